/*
 * Header spans: header fields as llhttp reports them, recorded as offsets into the buffer
 * being parsed (a field may arrive in pieces across reads, and the buffer may grow), then
 * turned into sl_header_t slices once the head is complete. Used for request heads and for
 * upstream response heads alike.
 *
 * Thread: one collector belongs to one parser.
 */
#ifndef SL_HTTP_HDRSPANS_H
#define SL_HTTP_HDRSPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/slice.h"

typedef struct sl_hdr_span {
    uint32_t name_off, name_len, value_off, value_len; /* into the parsed buffer */
} sl_hdr_span_t;

typedef struct sl_hdr_spans {
    sl_hdr_span_t *v;   /* owned (malloc), kept across heads */
    size_t n, cap;
    size_t max;         /* fields allowed in one head */
    bool in_value;      /* the last piece was a value: a name piece starts a new field */
} sl_hdr_spans_t;

void sl_hdr_spans_init(sl_hdr_spans_t *s, size_t max);
void sl_hdr_spans_free(sl_hdr_spans_t *s);
/* Forgets the fields of the previous head. */
static inline void sl_hdr_spans_reset(sl_hdr_spans_t *s)
{
    s->n = 0;
    s->in_value = false;
}
/* A piece of a field name at offset <off>. Returns -1 when the head has too many fields. */
int sl_hdr_spans_name(sl_hdr_spans_t *s, size_t off, size_t n);
/* A piece of a field value at offset <off>. */
void sl_hdr_spans_value(sl_hdr_spans_t *s, size_t off, size_t n);
/* The fields as slices into <base> (trailing whitespace dropped from values), in an array
 * allocated in <arena>. */
sl_header_t *sl_hdr_spans_headers(const sl_hdr_spans_t *s, const char *base, sl_arena_t *arena);

#endif
