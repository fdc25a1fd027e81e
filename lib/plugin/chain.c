/* Plugin chain resolution (see chain.h). */
#include "plugin/chain.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

/* Kong's lookup order, most specific first (kong-compat.md 4; plugins_iterator.lua):
 * route+service+consumer, route+consumer, service+consumer, route+service, consumer, route,
 * service, global. */
static int rank(const sl_plugin_instance_t *p)
{
    if (p->consumer)
        return p->route ? (p->service ? 7 : 6) : p->service ? 5 : 3;
    return p->route ? (p->service ? 4 : 2) : p->service ? 1 : 0;
}

/* True if <p> may apply to requests on route <r> (NULL: no route) for some consumer. */
static bool applies(const sl_plugin_instance_t *p, const sl_route_t *r)
{
    if (!p->enabled || p->desc == NULL)
        return false;
    bool route_ok = p->route == NULL || p->route == r;
    bool service_ok = p->service == NULL || (r && p->service == r->service);
    return route_ok && service_ok;
}

/* Chain order: priority, highest first; equal priorities by name, so it is total. */
static int order(const sl_plugin_instance_t *x, const sl_plugin_instance_t *y)
{
    if (x->desc->priority != y->desc->priority)
        return x->desc->priority > y->desc->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_priority(const void *a, const void *b)
{
    return order(*(const sl_plugin_instance_t *const *)a, *(const sl_plugin_instance_t *const *)b);
}

static int by_consumer(const void *a, const void *b)
{
    const sl_plugin_instance_t *x = *(const sl_plugin_instance_t *const *)a;
    const sl_plugin_instance_t *y = *(const sl_plugin_instance_t *const *)b;
    uintptr_t cx = (uintptr_t)x->consumer, cy = (uintptr_t)y->consumer;
    if (cx != cy)
        return cx < cy ? -1 : 1;
    return order(x, y);
}

static unsigned phases_of(const sl_plugin_instance_t *const *v, size_t n)
{
    unsigned ph = 0;
    for (size_t i = 0; i < n; i++) {
        const sl_plugin_desc_t *d = v[i]->desc;
        ph |= (d->rewrite ? SL_PHASE_REWRITE : 0) | (d->access ? SL_PHASE_ACCESS : 0) |
              (d->header_filter ? SL_PHASE_HEADER_FILTER : 0) |
              (d->body_filter ? SL_PHASE_BODY_FILTER : 0) | (d->log ? SL_PHASE_LOG : 0);
    }
    return ph;
}

static void build_one(const sl_config_t *cfg, const sl_route_t *r, sl_arena_t *arena,
                      sl_plugin_chain_t *out)
{
    *out = (sl_plugin_chain_t){0};
    out->v = sl_arena_calloc(arena, cfg->n_plugins + 1, sizeof(*out->v));
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const sl_plugin_instance_t *p = cfg->plugins[i];
        if (p->consumer || !applies(p, r))
            continue;
        /* one instance per plugin name: keep the most specific */
        size_t j;
        for (j = 0; j < out->n; j++)
            if (strcmp(out->v[j]->name, p->name) == 0)
                break;
        if (j == out->n)
            out->v[out->n++] = p;
        else if (rank(out->v[j]) < rank(p))
            out->v[j] = p;
    }
    qsort(out->v, out->n, sizeof(*out->v), by_priority);
    out->phases = phases_of(out->v, out->n);
}

/* The consumer-scoped instances <keep> selects, sorted for lookups by consumer; NULL if
 * none. */
static const sl_plugin_ctab_t *ctab_build(const sl_config_t *cfg, sl_arena_t *arena,
                                          bool (*keep)(const sl_plugin_instance_t *,
                                                       const void *),
                                          const void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++)
        n += cfg->plugins[i]->consumer && keep(cfg->plugins[i], arg);
    if (n == 0)
        return NULL;
    sl_plugin_ctab_t *t = sl_arena_calloc(arena, 1, sizeof(*t));
    t->v = sl_arena_calloc(arena, n, sizeof(*t->v));
    for (size_t i = 0; i < cfg->n_plugins; i++)
        if (cfg->plugins[i]->consumer && keep(cfg->plugins[i], arg))
            t->v[t->n++] = cfg->plugins[i];
    qsort(t->v, t->n, sizeof(*t->v), by_consumer);
    return t;
}

static bool keep_route(const sl_plugin_instance_t *p, const void *arg)
{
    const sl_route_t *r = arg;
    return p->route == r && applies(p, r);
}

static bool keep_service(const sl_plugin_instance_t *p, const void *arg)
{
    return p->route == NULL && p->service == arg && p->enabled && p->desc;
}

static bool keep_global(const sl_plugin_instance_t *p, const void *arg)
{
    (void)arg;
    return p->route == NULL && p->service == NULL && p->enabled && p->desc;
}

void sl_plugin_chains_build(const sl_config_t *cfg, sl_arena_t *arena, sl_plugin_chain_t *chains,
                            sl_plugin_chain_t *global)
{
    const sl_plugin_ctab_t *gtab = ctab_build(cfg, arena, keep_global, NULL);
    const sl_plugin_ctab_t **stab = sl_arena_calloc(arena, cfg->n_services + 1, sizeof(*stab));
    for (size_t i = 0; i < cfg->n_services; i++)
        stab[i] = ctab_build(cfg, arena, keep_service, cfg->services[i]);
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const sl_route_t *r = cfg->routes[i];
        sl_plugin_chain_t *ch = &chains[i];
        build_one(cfg, r, arena, ch);
        ch->ctab[0] = ctab_build(cfg, arena, keep_route, r);
        ch->ctab[1] = r->service ? stab[r->service->rt_index] : NULL;
        ch->ctab[2] = gtab;
        ch->has_cscope = ch->ctab[0] || ch->ctab[1] || ch->ctab[2];
    }
    build_one(cfg, NULL, arena, global);
}

/* ---- per request, once a consumer is known ---------------------------------------------- */

typedef struct run {
    const sl_plugin_instance_t *const *v;
    size_t n;
} run_t;

/* <consumer>'s entries of <t>, from the first one ordered after <last>. */
static run_t ctab_range(const sl_plugin_ctab_t *t, const sl_consumer_t *consumer,
                        const sl_plugin_instance_t *last)
{
    run_t r = {NULL, 0};
    if (t == NULL || consumer == NULL)
        return r;
    size_t lo = 0, hi = t->n;
    uintptr_t c = (uintptr_t)consumer;
    while (lo < hi) { /* first entry of <consumer> */
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)t->v[mid]->consumer < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < t->n && t->v[end]->consumer == consumer)
        end++;
    while (lo < end && order(t->v[lo], last) <= 0)
        lo++;
    r.v = t->v + lo;
    r.n = end - lo;
    return r;
}

const sl_plugin_chain_t *sl_plugin_chain_for_consumer(const sl_plugin_chain_t *cur, size_t ran,
                                                      const sl_consumer_t *consumer,
                                                      sl_arena_t *arena)
{
    const sl_plugin_chain_t *base = cur->base ? cur->base : cur;
    if (!base->has_cscope || consumer == cur->consumer || ran == 0 || ran > cur->n)
        return NULL;
    const sl_plugin_instance_t *last = cur->v[ran - 1];
    run_t runs[4];
    size_t total = 0;
    for (int k = 0; k < 3; k++) {
        runs[k + 1] = ctab_range(base->ctab[k], consumer, last);
        total += runs[k + 1].n;
    }
    if (total == 0 && cur->base == NULL)
        return NULL; /* nothing of this consumer's joins: the route's chain stays */
    size_t b = 0;
    while (b < base->n && order(base->v[b], last) <= 0)
        b++;
    runs[0] = (run_t){base->v + b, base->n - b};
    total += runs[0].n;

    sl_plugin_chain_t *out = sl_arena_calloc(arena, 1, sizeof(*out));
    const sl_plugin_instance_t **v = sl_arena_alloc(arena, (ran + total) * sizeof(*v));
    memcpy(v, cur->v, ran * sizeof(*v));
    size_t n = ran;
    /* merge the four sorted runs; instances of one plugin meet next to each other, and the
     * most specific stays */
    for (;;) {
        int pick = -1;
        for (int k = 0; k < 4; k++)
            if (runs[k].n && (pick < 0 || order(runs[k].v[0], runs[pick].v[0]) < 0))
                pick = k;
        if (pick < 0)
            break;
        const sl_plugin_instance_t *p = runs[pick].v[0];
        runs[pick].v++;
        runs[pick].n--;
        if (n > ran && strcmp(v[n - 1]->name, p->name) == 0) {
            if (rank(p) > rank(v[n - 1]))
                v[n - 1] = p;
        } else {
            v[n++] = p;
        }
    }
    out->v = v;
    out->n = n;
    out->phases = phases_of(v, n);
    memcpy(out->ctab, base->ctab, sizeof(out->ctab));
    out->has_cscope = base->has_cscope;
    out->base = base;
    out->consumer = consumer;
    return out;
}
