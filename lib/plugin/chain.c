/* Plugin chain resolution (see chain.h). */
#include "plugin/chain.h"

#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

/* Kong's lookup order without a consumer: route+service, route, service, global. */
static int specificity(const sl_plugin_instance_t *p, const sl_route_t *r)
{
    if (p->consumer || !p->enabled)
        return -1;
    bool route_ok = p->route == NULL || p->route == r;
    bool service_ok = p->service == NULL || (r && p->service == r->service);
    if (!route_ok || !service_ok)
        return -1;
    if (p->route && p->service)
        return 3;
    if (p->route)
        return 2;
    if (p->service)
        return 1;
    return 0;
}

static int by_priority(const void *a, const void *b)
{
    const sl_plugin_instance_t *x = *(const sl_plugin_instance_t *const *)a;
    const sl_plugin_instance_t *y = *(const sl_plugin_instance_t *const *)b;
    if (x->desc->priority != y->desc->priority)
        return x->desc->priority > y->desc->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void build_one(const sl_config_t *cfg, const sl_route_t *r, sl_arena_t *arena,
                      sl_plugin_chain_t *out)
{
    out->v = sl_arena_calloc(arena, cfg->n_plugins + 1, sizeof(*out->v));
    out->n = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const sl_plugin_instance_t *p = cfg->plugins[i];
        int s = specificity(p, r);
        if (s < 0 || p->desc == NULL)
            continue;
        /* one instance per plugin name: keep the most specific */
        size_t j;
        for (j = 0; j < out->n; j++)
            if (strcmp(out->v[j]->name, p->name) == 0)
                break;
        if (j == out->n)
            out->v[out->n++] = p;
        else if (specificity(out->v[j], r) < s)
            out->v[j] = p;
    }
    qsort(out->v, out->n, sizeof(*out->v), by_priority);
    out->phases = 0;
    for (size_t i = 0; i < out->n; i++) {
        const sl_plugin_desc_t *d = out->v[i]->desc;
        out->phases |= (d->rewrite ? SL_PHASE_REWRITE : 0) | (d->access ? SL_PHASE_ACCESS : 0) |
                       (d->header_filter ? SL_PHASE_HEADER_FILTER : 0) |
                       (d->body_filter ? SL_PHASE_BODY_FILTER : 0) | (d->log ? SL_PHASE_LOG : 0);
    }
}

void sl_plugin_chains_build(const sl_config_t *cfg, sl_arena_t *arena, sl_plugin_chain_t *chains,
                            sl_plugin_chain_t *global)
{
    for (size_t i = 0; i < cfg->n_routes; i++)
        build_one(cfg, cfg->routes[i], arena, &chains[i]);
    build_one(cfg, NULL, arena, global);
}
