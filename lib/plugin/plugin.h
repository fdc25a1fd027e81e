/*
 * Plugin interface. A plugin is one folder under plugins/ exporting one const descriptor;
 * plugins/registry.h lists them. The config loader finds a plugin by its Kong name, lets it
 * parse its `config` node into a typed struct, and the snapshot compiler resolves, per route,
 * the ordered chain of instances that apply (Kong's scoping and priorities).
 *
 * Phase callbacks run on the worker that owns the request; config callbacks run on whatever
 * thread loads the config and never touch workers.
 */
#ifndef SL_PLUGIN_PLUGIN_H
#define SL_PLUGIN_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/diag.h"
#include "config/plugins.h"
#include "core/arena.h"
#include "http/response.h"

typedef struct sl_node sl_node_t;
typedef struct sl_req sl_req_t;
typedef struct sl_worker sl_worker_t;
typedef struct sl_config sl_config_t;
typedef struct sl_snapshot sl_snapshot_t;

/* What a phase callback returns. */
typedef enum {
    SL_CONTINUE = 0,  /* go on with the next plugin */
    SL_RESPONDED = 1, /* the plugin produced the response; later plugins of this phase skip */
    SL_AGAIN = 2,     /* waiting on I/O; the plugin calls sl_pdk_resume() later, from a
                         callback of this worker's loop (access phase only) */
    SL_ERROR = -1,    /* becomes a 500 with Kong's message */
} sl_phase_result_t;

typedef struct sl_plugin_desc {
    const char *name;  /* Kong's name, e.g. "rate-limiting" */
    int priority;      /* Kong's PRIORITY: higher runs first */
    const char *version;
    /* Kong's `consumer = typedefs.no_consumer` (authentication and ACL plugins): an instance
     * scoped to a consumer is refused at load. */
    bool no_consumer;

    /* Parses <config> (a mapping; an empty one positioned at the plugin, or at its null
     * `config`, when the entity has none) into a typed struct
     * allocated in <arena>. Reports problems with sl_diag_add at node positions and returns
     * NULL if there was any. */
    void *(*parse)(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag);

    /* Per-snapshot state (Kong's `configure`): built from the whole config when a snapshot is
     * compiled, on the compiling thread, allocated in <arena> (freed with the snapshot), and
     * read-only afterwards: a credential index, say. Problems go to <diag> (the config is
     * then refused). sl_snapshot_plugin_state gives it back. */
    void *(*configure)(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag);

    /* Per-worker state: worker_init runs on each worker's thread when it starts and returns
     * what sl_plugin_worker_state gives back to the plugin's phases on that worker (local
     * counters, a Redis connection on the worker's loop, a log queue). worker_fini runs when
     * the worker stops, with the loop still running: it closes its handles (their close
     * callbacks free what they own) and may leave a bounded amount of work in flight. */
    void *(*worker_init)(sl_worker_t *w);
    void (*worker_fini)(sl_worker_t *w, void *state);

    /* Phases; NULL when unused. <conf> is what parse returned.
     * rewrite: global instances only, before routing.
     * access: after routing; may answer (SL_RESPONDED) or wait (SL_AGAIN).
     * header_filter: the response head, proxied or made by the gateway, before anything of
     *   it is serialized: req->status is known and sl_pdk_*_response_header change its
     *   header list. A plugin whose body_filter will change the body calls
     *   sl_resp_body_changes(req) here (Content-Length goes; the body is then chunked).
     * body_filter: each piece of the response body as it streams to the client, in <b>
     *   (data, len, last; what this plugin holds in b->held), and returns what becomes of
     *   it (http/response.h): SL_BODY_PASS, SL_BODY_REPLACED after sl_body_replace,
     *   SL_BODY_DROP, SL_BODY_HOLD (kept and seen again with sl_body_held, up to
     *   SL_BODY_HOLD_MAX), SL_BODY_WAIT (then sl_body_resume from a later loop callback,
     *   after sl_pdk_wait registered how to cancel), SL_BODY_FAIL; sl_body_append adds bytes
     *   after the piece, on the last call an epilogue. The last call has b->last set, maybe
     *   with no data. Not called for responses without a body (HEAD, 1xx, 204, 304).
     * log: after the response (or when the client went away); cannot change anything. */
    sl_phase_result_t (*rewrite)(sl_req_t *req, const void *conf);
    sl_phase_result_t (*access)(sl_req_t *req, const void *conf);
    void (*header_filter)(sl_req_t *req, const void *conf);
    sl_body_action_t (*body_filter)(sl_req_t *req, const void *conf, sl_body_t *b);
    void (*log)(sl_req_t *req, const void *conf);
} sl_plugin_desc_t;

/* The number of registered plugins, and <desc>'s position in the registry (the count when it
 * is not registered): the slot of its per-snapshot, per-worker and per-request state. */
size_t sl_plugin_count(void);
size_t sl_plugin_index(const sl_plugin_desc_t *desc);

/* The config loader's view of <d> (config/plugins.h). */
void sl_plugin_ref(const sl_plugin_desc_t *d, sl_plugin_ref_t *out);
/* The registry as the config loader sees it (a sl_plugin_lookup_fn). */
bool sl_plugin_lookup(const char *name, sl_plugin_ref_t *out);

/* Returns the descriptor of the plugin named <name>, or NULL if sluice has none. */
const sl_plugin_desc_t *sl_plugin_find(const char *name);

/* The registry: a NULL-terminated array, defined in plugins/registry.c (a test binary may
 * define its own, with test-only plugins beside the shipped ones). */
extern const sl_plugin_desc_t *const sl_plugin_registry[];

/* Runs every plugin's configure on <cfg>, allocating in <arena>: the states, one slot per
 * registered plugin (plugin/state.c). Problems go to <diag>. The snapshot compiler keeps
 * them; sl_snapshot_plugin_state (snapshot/snapshot.h) gives one back. */
void **sl_plugin_configure_all(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag);

/* Worker thread: runs every plugin's worker_init for <w> / worker_fini (plugin/state.c). */
void sl_plugin_workers_init(sl_worker_t *w);
void sl_plugin_workers_fini(sl_worker_t *w);
/* What <desc>'s worker_init returned on <w>; NULL if it has none. */
void *sl_plugin_worker_state(const sl_worker_t *w, const sl_plugin_desc_t *desc);

#endif
