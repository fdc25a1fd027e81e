/*
 * What the config loader knows of plugins. The layer that has them (plugin/plugin.h,
 * sl_plugin_lookup) hands the loader a lookup: a plugin found by its Kong name, whether it may
 * be scoped to a consumer, and how it parses its `config` record. The loader keeps the
 * descriptor in the model without looking inside it.
 *
 * Thread: any.
 */
#ifndef SL_CONFIG_PLUGINS_H
#define SL_CONFIG_PLUGINS_H

#include <stdbool.h>

#include "config/diag.h"
#include "config/node.h"
#include "core/arena.h"

typedef struct sl_plugin_desc sl_plugin_desc_t;

typedef struct sl_plugin_ref {
    const sl_plugin_desc_t *desc;
    bool no_consumer;  /* Kong's typedefs.no_consumer */
    /* parses <config> into the plugin's typed struct (NULL when it has no config) */
    void *(*parse)(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag);
} sl_plugin_ref_t;

/* Fills <out> and returns true when a plugin named <name> exists. */
typedef bool (*sl_plugin_lookup_fn)(const char *name, sl_plugin_ref_t *out);

#endif
