/*
 * The admin API: a read-only view of the node and its running declarative config, in Kong's
 * Admin API shapes (kong-compat.md section 6), served by the same HTTP stack as the proxy on
 * the admin listener (127.0.0.1:8001 by default), on the master thread.
 *
 * Thread: the master's loop.
 */
#ifndef SL_ADMIN_ADMIN_H
#define SL_ADMIN_ADMIN_H

#include "core/settings.h"
#include "core/worker.h"
#include "http/handler.h"

/* What the admin API knows of the node. */
typedef struct sl_admin {
    const sl_settings_t *settings;
    sl_worker_t *workers;     /* the proxy workers, whose counters GET /status sums */
    int n_workers;
    char node_id[37];         /* a random UUID per process, as Kong's node_id */
    char hostname[256];
    /* Publishes a snapshot compiled from POST /config to every worker (takes the caller's
     * reference). Set by the master. */
    void (*apply)(void *ctx, sl_snapshot_t *snap);
    void *apply_ctx;
} sl_admin_t;

/* Largest declarative config POST /config accepts (Kong's LMDB map is the limit there). */
#define SL_ADMIN_CONFIG_MAX (64u * 1024 * 1024)

void sl_admin_init(sl_admin_t *a, const sl_settings_t *s, sl_worker_t *workers, int n_workers);

/* The handler of the admin listener; the listener's worker has handler_ctx = the sl_admin_t. */
extern const sl_handler_t sl_admin_handler;

#endif
