/*
 * Plugin entities (kong/db/schema/entities/plugins.lua): nested under services, routes and
 * consumers, or at the top level with `service` / `route` / `consumer` references. The
 * plugin's own `config` is handed to its descriptor's parse callback (plugin/plugin.h).
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_ENT_PLUGIN_H
#define SL_CONFIG_ENT_PLUGIN_H

#include "config/loader.h"

/* Builds the sl_plugin_instance_t of record <e> (a mapping). */
void sl_ent_plugin_build(sl_loader_t *ld, sl_ent_t *e);

#endif
