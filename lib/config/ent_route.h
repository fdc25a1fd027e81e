/*
 * Route entities (kong/db/schema/entities/routes.lua and routes_subschemas.lua, traditional
 * router schema): matching fields, protocols, the legacy path migration of 1.1 / 2.1 files,
 * and the plugins nested in a route.
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_ENT_ROUTE_H
#define SL_CONFIG_ENT_ROUTE_H

#include <stddef.h>

#include "config/loader.h"

/* Builds the sl_route_t of record <e> (a mapping) and its nested plugins. */
void sl_ent_route_build(sl_loader_t *ld, sl_ent_t *e);

/* Kong's migrate_path (kong/db/migrations/migrate_path_280_300.lua) for paths of
 * _format_version 1.1 / 2.1 files: a path made only of [A-Za-z0-9._~/%-] is a prefix and is
 * normalized; any other path becomes a regex: "~" prepended, %XX of reserved characters
 * upper-cased, of regex metacharacters decoded and escaped, of others decoded. Returns the
 * migrated path in <arena>. */
const char *sl_ent_route_migrate_path(sl_arena_t *arena, const char *path);

/* Checks a route path as typedefs.router_path does; NULL if valid, else the message in
 * <err> (<cap> bytes). Regex paths are compiled with PCRE2 and freed. */
const char *sl_ent_route_check_path(const char *path, char *err, size_t cap);

#endif
