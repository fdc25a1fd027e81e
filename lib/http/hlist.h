/*
 * A header list: the response's headers as filters see them (set, add, remove, find,
 * iterate), in order, before anything is serialized. Entries point wherever their producer
 * keeps the bytes (an upstream's read buffer, the request arena, static strings) until
 * sl_hlist_own copies them into the arena; values added with sl_hlist_add_copy and
 * sl_hlist_set are copied at once.
 *
 * Thread: the owner of the arena.
 */
#ifndef SL_HTTP_HLIST_H
#define SL_HTTP_HLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/slice.h"

typedef struct sl_hlist {
    sl_header_t *v;
    size_t n, cap;
    sl_arena_t *arena;
} sl_hlist_t;

/* An empty list allocating in <a>, with room for <cap> entries before it grows. */
void sl_hlist_init(sl_hlist_t *l, sl_arena_t *a, size_t cap);

void sl_hlist_grow(sl_hlist_t *l);

/* Appends <name>: <value>; the bytes are not copied. */
static inline void sl_hlist_add(sl_hlist_t *l, sl_slice_t name, sl_slice_t value)
{
    if (l->n == l->cap)
        sl_hlist_grow(l);
    l->v[l->n].name = name;
    l->v[l->n].value = value;
    l->n++;
}
/* Appends a copy of <name>: <value>. */
void sl_hlist_add_copy(sl_hlist_t *l, sl_slice_t name, sl_slice_t value);
/* Appends <name>: <v> in decimal (the digits in the arena). */
void sl_hlist_add_u64(sl_hlist_t *l, sl_slice_t name, uint64_t v);
/* Removes every entry named <name> (case-insensitive); returns how many. */
size_t sl_hlist_remove(sl_hlist_t *l, sl_slice_t name);
/* <name> has the one value <value> (copied) from now on: the others are removed and it is
 * appended at the end. */
void sl_hlist_set(sl_hlist_t *l, sl_slice_t name, sl_slice_t value);
/* The first entry named <name>, or NULL. */
const sl_header_t *sl_hlist_find(const sl_hlist_t *l, sl_slice_t name);
/* Its value; an empty slice with p == NULL when absent. */
sl_slice_t sl_hlist_get(const sl_hlist_t *l, sl_slice_t name);
/* Copies every name and value into the arena, so the list outlives its producer's buffers. */
void sl_hlist_own(sl_hlist_t *l);

#endif
