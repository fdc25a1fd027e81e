/*
 * Upstream and target entities (kong/db/schema/entities/upstreams.lua, targets.lua): load
 * balancing fields with their cross-field rules, the healthchecks record with Kong's
 * defaults, and targets nested in an upstream or flat with `upstream: <name|id>`.
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_ENT_UPSTREAM_H
#define SL_CONFIG_ENT_UPSTREAM_H

#include "config/loader.h"

/* Builds the sl_upstream_t of record <e> (a mapping) and its nested targets. */
void sl_ent_upstream_build(sl_loader_t *ld, sl_ent_t *e);

/* Builds the sl_target_t of record <e> (a mapping). */
void sl_ent_upstream_build_target(sl_loader_t *ld, sl_ent_t *e);

#endif
