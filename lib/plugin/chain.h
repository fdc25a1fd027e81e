/*
 * Plugin chains: for each route, the plugin instances that apply to its requests, resolved
 * once when a snapshot is compiled. For every plugin name the most specific enabled instance
 * wins (Kong: route+service, route, service, global), and the chain is sorted by priority,
 * highest first (kong/runloop/plugins_iterator.lua). Nothing is sorted per request.
 *
 * Consumer-scoped instances apply only once a consumer is known, to the plugins that run
 * after the one that authenticated (Kong's collecting access phase). The compiler files
 * them, per route, in up to three tables (route-level, the route's service's, and the
 * consumer-only ones), each sorted by consumer then chain order; when the access phase sees
 * a new consumer, sl_plugin_chain_for_consumer merges that consumer's instances into the rest
 * of the chain, in the request arena. A route without consumer-scoped instances pays
 * nothing.
 *
 * Thread: built by the snapshot compiler; read by every worker.
 */
#ifndef SL_PLUGIN_CHAIN_H
#define SL_PLUGIN_CHAIN_H

#include <stdbool.h>
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

/* Consumer-scoped instances of one scope level, sorted by consumer, then chain order. */
typedef struct sl_plugin_ctab {
    const sl_plugin_instance_t **v;
    size_t n;
} sl_plugin_ctab_t;

struct sl_plugin_chain {
    const sl_plugin_instance_t **v; /* priority order */
    size_t n;
    unsigned phases;                /* SL_PHASE_* */
    /* consumer-scoped instances that may join this route's chain: route-level (route, or
     * route and service), service-level, consumer-only; NULL or empty when none */
    const sl_plugin_ctab_t *ctab[3];
    bool has_cscope;                /* some ctab is not empty */
    /* a chain merged for a consumer (request arena): the route's chain it came from and
     * the consumer; NULL in compiled chains */
    const struct sl_plugin_chain *base;
    const sl_consumer_t *consumer;
};
typedef struct sl_plugin_chain sl_plugin_chain_t;

/* Builds the chain of every route of <cfg> (indexed like cfg->routes; route rt_index must be
 * set) into <chains>, and the global chain (for requests no route matched) into <global>,
 * allocating in <arena>. */
void sl_plugin_chains_build(const sl_config_t *cfg, sl_arena_t *arena, sl_plugin_chain_t *chains,
                            sl_plugin_chain_t *global);

/* Worker: the chain a request on <cur> continues with once <consumer> is known, the first
 * <ran> instances of <cur> having run: those, then for every later plugin the most specific
 * instance including <consumer>'s scopes (Kong: route+service+consumer, route+consumer,
 * service+consumer, route+service, consumer, route, service, global), allocated in <arena>.
 * NULL when nothing changes (no instance for <consumer>, or <consumer> is the one <cur> was
 * merged for). <ran> is at least 1. */
const sl_plugin_chain_t *sl_plugin_chain_for_consumer(const sl_plugin_chain_t *cur, size_t ran,
                                                      const sl_consumer_t *consumer,
                                                      sl_arena_t *arena);

#endif
