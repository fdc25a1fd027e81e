/*
 * UUIDs for entities: Kong's deterministic ids for DB-less configs (UUIDv5, so that a
 * reload of the same file keeps the same ids) and random v4 ids for everything else.
 *
 * Thread: any.
 */
#ifndef SL_CONFIG_UUID_H
#define SL_CONFIG_UUID_H

#include <stddef.h>

/* Kong's root namespace (kong/db/schema/others/declarative_config.lua). */
#define SL_UUID_KONG_NAMESPACE "fd02801f-0957-4a15-a55a-c8d9606f30b5"

/* Writes the RFC 4122 version 5 UUID of <name> (<len> bytes) in namespace <ns> (UUID text)
 * to <out> (37 bytes, lower-case). Returns 0, or -1 if <ns> is not a UUID. */
int sl_uuid_v5(const char *ns, const char *name, size_t len, char out[37]);

/* Kong's id for an entity of table <entity> derived from <key>:
 * v5(v5(SL_UUID_KONG_NAMESPACE, <entity>), <key>). */
void sl_uuid_entity(const char *entity, const char *key, char out[37]);

/* Writes a random version 4 UUID to <out> (37 bytes). */
void sl_uuid_v4(char out[37]);

/* Fills <buf> with <len> random bytes (getrandom, /dev/urandom as fallback). */
void sl_uuid_random_bytes(void *buf, size_t len);

#endif
