/*
 * Header helpers: an output buffer for building heads in an arena, and the rules for which
 * headers are hop-by-hop (RFC 9110 7.6.1 plus those a Connection header names).
 *
 * Thread: any; an sl_hbuf belongs to the thread of its arena.
 */
#ifndef SL_HTTP_HEADERS_H
#define SL_HTTP_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/slice.h"

#define SL_SERVER_TOKEN "sluice/" SLUICE_VERSION

/* A growable byte buffer in an arena (old space stays in the arena until it is reset). */
typedef struct sl_hbuf {
    sl_arena_t *arena;
    char *p;
    size_t len, cap;
} sl_hbuf_t;

void sl_hbuf_init(sl_hbuf_t *b, sl_arena_t *a, size_t cap);
/* Moves the buffer to a bigger one with room for <need> more bytes. */
void sl_hbuf_grow(sl_hbuf_t *b, size_t need);
/* Makes room for <n> more bytes (written at b->p + b->len by the caller). */
static inline void sl_hbuf_reserve(sl_hbuf_t *b, size_t n)
{
    if (b->cap - b->len < n)
        sl_hbuf_grow(b, n);
}
static inline void sl_hbuf_append(sl_hbuf_t *b, const char *s, size_t n)
{
    sl_hbuf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}
void sl_hbuf_printf(sl_hbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* <lit> must be a string literal (the "" makes anything else a compile error) */
#define sl_hbuf_lit(b, lit) sl_hbuf_append((b), "" lit, sizeof(lit) - 1)
static inline void sl_hbuf_slice(sl_hbuf_t *b, sl_slice_t s)
{
    sl_hbuf_append(b, s.p, s.len);
}
/* Appends <v> in decimal. */
void sl_hbuf_u64(sl_hbuf_t *b, uint64_t v);
/* Appends a NUL-terminated string. */
static inline void sl_hbuf_str(sl_hbuf_t *b, const char *s)
{
    sl_hbuf_append(b, s, strlen(s));
}
/* Appends "Name: value\r\n". */
void sl_hbuf_header(sl_hbuf_t *b, sl_slice_t name, sl_slice_t value);

/* The tokens of Connection headers, parsed once per message. */
typedef struct sl_conn_tokens {
    sl_slice_t v[16];
    size_t n;
    bool close, keep_alive, upgrade;
} sl_conn_tokens_t;

/* Collects the tokens of every Connection header in <headers>. */
void sl_conn_tokens_parse(sl_conn_tokens_t *t, const sl_header_t *headers, size_t n);

/* True for headers that never cross the proxy: Connection, Keep-Alive, Proxy-Connection,
 * Proxy (httpoxy), TE, Trailer, Transfer-Encoding, Upgrade, and any named in <t>. */
bool sl_header_is_hop_by_hop(sl_slice_t name, const sl_conn_tokens_t *t);

/* True if a comma-separated header value holds <tok> (case-insensitive). */
bool sl_header_has_token(sl_slice_t value, const char *tok);

#endif
