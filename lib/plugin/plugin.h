/*
 * Plugin interface. A plugin is one folder under plugins/ exporting one const descriptor;
 * plugins/registry.c lists them. The config loader finds a plugin by its Kong name, lets it
 * parse its `config` node into a typed struct, and the snapshot compiler resolves, per route,
 * the ordered chain of instances that apply (Kong's scoping and priorities).
 *
 * Phase callbacks run on the worker that owns the request; config callbacks run on whatever
 * thread loads the config and never touch workers.
 */
#ifndef SL_PLUGIN_PLUGIN_H
#define SL_PLUGIN_PLUGIN_H

#include <stddef.h>

#include "config/diag.h"
#include "core/arena.h"

typedef struct sl_node sl_node_t;
typedef struct sl_req sl_req_t;

/* What a phase callback returns. */
typedef enum {
    SL_CONTINUE = 0,  /* go on with the next plugin */
    SL_RESPONDED = 1, /* the plugin produced the response; later plugins of this phase skip */
    SL_AGAIN = 2,     /* waiting on I/O; the plugin calls sl_req_resume() on this worker */
    SL_ERROR = -1,    /* becomes a 500 with Kong's message */
} sl_phase_result_t;

typedef struct sl_plugin_desc {
    const char *name;  /* Kong's name, e.g. "rate-limiting" */
    int priority;      /* Kong's PRIORITY: higher runs first */
    const char *version;

    /* Parses <config> (may be NULL when the entity has no config) into a typed struct
     * allocated in <arena>. Reports problems with sl_diag_add at node positions and returns
     * NULL if there was any. */
    void *(*parse)(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag);

    /* Phases; NULL when unused. <conf> is what parse returned. */
    sl_phase_result_t (*rewrite)(sl_req_t *req, const void *conf);
    sl_phase_result_t (*access)(sl_req_t *req, const void *conf);
    sl_phase_result_t (*header_filter)(sl_req_t *req, const void *conf);
    void (*log)(sl_req_t *req, const void *conf);
} sl_plugin_desc_t;

/* Returns the descriptor of the plugin named <name>, or NULL if sluice has none. */
const sl_plugin_desc_t *sl_plugin_find(const char *name);

/* The registry: a NULL-terminated array, defined in plugins/registry.c. */
extern const sl_plugin_desc_t *const sl_plugin_registry[];

#endif
