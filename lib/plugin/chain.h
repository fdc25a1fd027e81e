/*
 * Plugin chains: for each route, the plugin instances that apply to its requests, resolved
 * once when a snapshot is compiled. For every plugin name the most specific enabled instance
 * wins (Kong: route+service, route, service, global), and the chain is sorted by priority,
 * highest first (kong/runloop/plugins_iterator.lua). Nothing is sorted per request.
 *
 * Consumer-scoped instances apply only once a consumer is known, after authentication;
 * sluice has no authentication plugin yet, so they are left out of the chains.
 *
 * Thread: built by the snapshot compiler; read by every worker.
 */
#ifndef SL_PLUGIN_CHAIN_H
#define SL_PLUGIN_CHAIN_H

#include <stddef.h>

#include "config/model.h"
#include "core/arena.h"

/* Which phases some instance of a chain implements, so requests skip the others. */
enum {
    SL_PHASE_REWRITE = 1 << 0,
    SL_PHASE_ACCESS = 1 << 1,
    SL_PHASE_HEADER_FILTER = 1 << 2,
    SL_PHASE_BODY_FILTER = 1 << 3,
    SL_PHASE_LOG = 1 << 4,
};

struct sl_plugin_chain {
    const sl_plugin_instance_t **v; /* priority order */
    size_t n;
    unsigned phases;                /* SL_PHASE_* */
};
typedef struct sl_plugin_chain sl_plugin_chain_t;

/* Builds the chain of every route of <cfg> (indexed like cfg->routes; route rt_index must be
 * set) into <chains>, and the global chain (for requests no route matched) into <global>,
 * allocating in <arena>. */
void sl_plugin_chains_build(const sl_config_t *cfg, sl_arena_t *arena, sl_plugin_chain_t *chains,
                            sl_plugin_chain_t *global);

#endif
