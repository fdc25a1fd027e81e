/*
 * Snapshot: everything the request path needs from one config, compiled once and immutable:
 * the config itself, the router, the balancers. Refcounted; the master publishes a new one
 * to the workers, each request runs to its end on the snapshot it started with, and the last
 * release frees it.
 *
 * Thread: compiled on the master (or any thread); then read by every worker. Refcount changes
 * are atomic but happen only when a worker adopts or retires a snapshot, never per request
 * (see core/worker.h).
 */
#ifndef SL_SNAPSHOT_SNAPSHOT_H
#define SL_SNAPSHOT_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "balancer/balancer.h"
#include "config/diag.h"
#include "config/model.h"
#include "core/arena.h"
#include "plugin/chain.h"
#include "router/router.h"

typedef struct sl_snapshot {
    atomic_uint refs;
    uint64_t generation;            /* increases with each compile in this process */
    int64_t loaded_at;              /* when it was compiled (seconds since the epoch) */
    sl_config_t *cfg;               /* owned */
    sl_arena_t arena;               /* router, balancers */
    sl_router_t *router;
    sl_balancer_t **svc_balancer;   /* by sl_service_t.rt_index */
    uint32_t rr_state_len;          /* int32 slots a worker needs for round-robin state */
    sl_plugin_chain_t *route_chains; /* by sl_route_t.rt_index */
    sl_plugin_chain_t global_chain;  /* requests no route matched */
    void **plugin_states;            /* per registered plugin: what its configure built */
} sl_snapshot_t;

/* Compiles <cfg> into a snapshot with one reference. Takes ownership of <cfg> in every case.
 * Returns 0, or a negative SL_E* with problems in <diag>. */
int sl_snapshot_compile(sl_config_t *cfg, sl_snapshot_t **out, sl_diag_t *diag);

void sl_snapshot_ref(sl_snapshot_t *s);
/* Drops a reference; the last one frees the snapshot. NULL is accepted. */
void sl_snapshot_release(sl_snapshot_t *s);

/* What the plugin <desc>'s configure returned for <snap>; NULL if it has none. */
void *sl_snapshot_plugin_state(const sl_snapshot_t *snap, const sl_plugin_desc_t *desc);

#endif
