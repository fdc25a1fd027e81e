/*
 * Route host patterns (kong-compat.md 2.2 and 3.2): "ex.com", "*.ex.com" (suffix),
 * "ex.*" (prefix), each optionally followed by ":port"; and the hash table the router keeps
 * exact host names in. Host names compare case-insensitively (ASCII).
 *
 * Thread: parse and insert on the building thread; matching and lookups are read-only and
 * may run on any thread.
 */
#ifndef SL_ROUTER_HOST_H
#define SL_ROUTER_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/slice.h"

typedef enum {
    SL_HOST_EXACT = 0,  /* name equals the host */
    SL_HOST_SUFFIX,     /* "*.ex.com": host ends with name (".ex.com") */
    SL_HOST_PREFIX,     /* "ex.*": host starts with name ("ex.") */
} sl_host_kind_t;

typedef struct sl_host_pattern {
    const char *name;   /* lower-cased, '*' and ":port" removed; arena-owned, NUL-terminated */
    size_t len;
    sl_host_kind_t kind;
    int port;           /* required port, or -1 for any */
} sl_host_pattern_t;

/* Parses the route host <s> into <out>, copying the name into <a>. The port is split off at
 * the first ':' when what follows is a decimal number up to 65535 (as Kong's
 * split_host_port does; "[::1]" has no port). Returns 0, or SL_EINVAL for an empty name or
 * a '*' that is not the whole leftmost or rightmost label. */
int sl_host_parse(sl_arena_t *a, const char *s, sl_host_pattern_t *out);

/* True when the request host name <host> matches <p>'s name (the port is not looked at). */
bool sl_host_match_name(const sl_host_pattern_t *p, sl_slice_t host);

/* True when <host> and <port> (the request's) match <p>. */
bool sl_host_match(const sl_host_pattern_t *p, sl_slice_t host, uint16_t port);

/* Hash table of exact host names (open addressing), each mapped to one pointer. */
typedef struct sl_host_slot {
    const char *key;    /* lower-cased; NULL for an empty slot */
    size_t len;
    uint64_t hash;
    void *value;
} sl_host_slot_t;

typedef struct sl_host_table {
    sl_host_slot_t *slots; /* arena-owned */
    size_t cap;            /* power of two */
    size_t n;
} sl_host_table_t;

/* Sizes <t> for up to <max_keys> keys; slots come from <a>. */
void sl_host_table_init(sl_host_table_t *t, sl_arena_t *a, size_t max_keys);

/* Returns the value slot for the lower-case <key>/<len> (borrowed: must outlive the table),
 * creating it (holding NULL) if needed; NULL when the table is full (more keys than sized). */
void **sl_host_table_insert(sl_host_table_t *t, const char *key, size_t len);

/* Looks up <host> case-insensitively without copying it. Returns the value or NULL. */
void *sl_host_table_find(const sl_host_table_t *t, sl_slice_t host);

#endif
