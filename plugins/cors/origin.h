/*
 * Origin normalization for the cors plugin: Kong's normalize_origin
 * (kong/plugins/cors/handler.lua), which splits the value with LuaSocket's url.parse and
 * rebuilds scheme://host[:port] without the scheme's default port. The request's Origin
 * header is untrusted input (test/fuzz/fuzz_cors_origin.c).
 *
 * Thread: any; no state.
 */
#ifndef SL_PLUGINS_CORS_ORIGIN_H
#define SL_PLUGINS_CORS_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/slice.h"

typedef struct sl_cors_origin {
    sl_slice_t domain; /* scheme://host[:port], or the whole value when it has no host */
    sl_slice_t host;   /* the host (IPv6 without brackets), or the whole value */
    bool has_host;
} sl_cors_origin_t;

/* Normalizes the <len> bytes at <s> into <out>; the slices point into <s> or into memory
 * from <arena>. Never fails: a value url.parse finds no host in is kept whole (Kong raises
 * an error on an empty one; sluice keeps it, so it matches no literal origin). */
void sl_cors_origin_normalize(const char *s, size_t len, sl_arena_t *arena,
                              sl_cors_origin_t *out);

/* True if <s> looks like a literal origin to Kong: only [A-Za-z0-9.:/-], at least one. */
bool sl_cors_origin_is_literal(const char *s, size_t len);

#endif
