/*
 * Service entities (kong/db/schema/entities/services.lua): fields, the `url` shorthand and
 * the protocol rules, plus the routes and plugins nested in a service.
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_ENT_SERVICE_H
#define SL_CONFIG_ENT_SERVICE_H

#include "config/loader.h"

/* Builds the sl_service_t of record <e> (a mapping) and its nested children. */
void sl_ent_service_build(sl_loader_t *ld, sl_ent_t *e);

/* Splits a service `url` (scheme://host[:port][/path]) as Kong's shorthand does: protocol
 * from the scheme, port from the URL or 80 / 443 by scheme, path NULL when absent. The host
 * keeps IPv6 brackets. Returns NULL, or an error message (static or in <err>). Strings point
 * into <buf> (<cap> bytes). */
const char *sl_ent_service_split_url(const char *url, char *buf, size_t cap, const char **scheme,
                                     const char **host, int *port, const char **path,
                                     char *err, size_t err_cap);

#endif
