/*
 * Snapshot compilation: the router over the routes of enabled services, and one balancer per
 * upstream entity plus one per service that names a plain host.
 */
#include "snapshot/snapshot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/load.h"
#include "core/errors.h"
#include "core/xalloc.h"
#include "plugin/plugin.h"

static atomic_ullong generation_counter;

static const char *host_header_for(sl_arena_t *a, const char *host, uint16_t port)
{
    bool v6 = strchr(host, ':') != NULL;
    if (port == 80)
        return v6 ? sl_arena_printf(a, "[%s]", host) : host;
    return v6 ? sl_arena_printf(a, "[%s]:%u", host, port) : sl_arena_printf(a, "%s:%u", host, port);
}

static void fill_peer(sl_arena_t *a, sl_peer_t *p, const char *host, uint16_t port,
                      uint32_t weight)
{
    p->host = host;
    p->port = port;
    p->weight = weight;
    p->is_ip = sl_addr_from_ip(host, port, &p->addr) == 0;
    p->host_header = host_header_for(a, host, port);
}

int sl_snapshot_compile(sl_config_t *cfg, sl_snapshot_t **out, sl_diag_t *diag)
{
    sl_snapshot_t *s = sl_xcalloc(1, sizeof(*s));
    atomic_init(&s->refs, 1);
    s->generation = atomic_fetch_add(&generation_counter, 1) + 1;
    s->loaded_at = (int64_t)time(NULL);
    s->cfg = cfg;
    sl_arena_init(&s->arena, 64 * 1024);

    for (size_t i = 0; i < cfg->n_services; i++)
        cfg->services[i]->rt_index = (uint32_t)i;
    for (size_t i = 0; i < cfg->n_upstreams; i++)
        cfg->upstreams[i]->rt_index = (uint32_t)i;
    for (size_t i = 0; i < cfg->n_routes; i++)
        cfg->routes[i]->rt_index = (uint32_t)i;
    s->route_chains = sl_arena_calloc(&s->arena, cfg->n_routes + 1, sizeof(*s->route_chains));
    sl_plugin_chains_build(cfg, &s->arena, s->route_chains, &s->global_chain);

    uint32_t state = 0;
    sl_balancer_t **up_bal = sl_arena_calloc(&s->arena, cfg->n_upstreams + 1, sizeof(*up_bal));
    for (size_t i = 0; i < cfg->n_upstreams; i++) {
        sl_upstream_t *u = cfg->upstreams[i];
        sl_balancer_t *b = sl_arena_calloc(&s->arena, 1, sizeof(*b));
        b->name = u->name;
        b->peers = sl_arena_calloc(&s->arena, u->n_targets + 1, sizeof(sl_peer_t));
        b->n_peers = u->n_targets;
        for (size_t t = 0; t < u->n_targets; t++) {
            sl_target_t *tg = u->targets[t];
            fill_peer(&s->arena, &b->peers[t], tg->host, tg->port, tg->weight);
            if (u->host_header)
                b->peers[t].host_header = u->host_header;
            b->total_weight += tg->weight;
        }
        b->state_off = state;
        state += (uint32_t)u->n_targets;
        up_bal[i] = b;
    }

    s->svc_balancer = sl_arena_calloc(&s->arena, cfg->n_services + 1, sizeof(*s->svc_balancer));
    for (size_t i = 0; i < cfg->n_services; i++) {
        sl_service_t *svc = cfg->services[i];
        if (svc->upstream) {
            s->svc_balancer[i] = up_bal[svc->upstream->rt_index];
            continue;
        }
        sl_balancer_t *b = sl_arena_calloc(&s->arena, 1, sizeof(*b));
        b->name = svc->host;
        b->peers = sl_arena_calloc(&s->arena, 1, sizeof(sl_peer_t));
        b->n_peers = 1;
        fill_peer(&s->arena, &b->peers[0], svc->host, svc->port, 100);
        b->total_weight = 100;
        b->state_off = state++;
        s->svc_balancer[i] = b;
    }
    s->rr_state_len = state;

    /* Kong leaves the routes of disabled services out of the router (they answer 404). */
    sl_route_t **routes = sl_arena_calloc(&s->arena, cfg->n_routes + 1, sizeof(*routes));
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_routes; i++) {
        sl_route_t *r = cfg->routes[i];
        if (r->service && !r->service->enabled)
            continue;
        routes[n++] = r;
    }
    size_t errors_before = diag->n + diag->dropped;
    s->router = sl_router_build(routes, n, &s->arena, diag);
    size_t before = diag->n + diag->dropped;
    s->plugin_states = sl_plugin_configure_all(s->cfg, &s->arena, diag);
    bool plugins_ok = diag->n + diag->dropped == before;
    if (s->router == NULL || !plugins_ok || diag->n + diag->dropped != errors_before) {
        sl_snapshot_release(s);
        return SL_EINVAL;
    }
    *out = s;
    return 0;
}

void sl_snapshot_ref(sl_snapshot_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void sl_snapshot_release(sl_snapshot_t *s)
{
    if (s == NULL)
        return;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    sl_arena_destroy(&s->arena);
    sl_config_free(s->cfg);
    free(s);
}

void *sl_snapshot_plugin_state(const sl_snapshot_t *snap, const sl_plugin_desc_t *desc)
{
    if (snap->plugin_states == NULL)
        return NULL;
    return snap->plugin_states[sl_plugin_index(desc)];
}
