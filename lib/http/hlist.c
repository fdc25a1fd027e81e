/* Header lists (see hlist.h). */
#include "http/hlist.h"

#include <string.h>

void sl_hlist_init(sl_hlist_t *l, sl_arena_t *a, size_t cap)
{
    l->arena = a;
    l->n = 0;
    l->cap = cap ? cap : 8;
    l->v = sl_arena_alloc(a, l->cap * sizeof(*l->v));
}

void sl_hlist_grow(sl_hlist_t *l)
{
    size_t ncap = l->cap * 2;
    sl_header_t *nv = sl_arena_alloc(l->arena, ncap * sizeof(*nv));
    memcpy(nv, l->v, l->n * sizeof(*nv));
    l->v = nv;
    l->cap = ncap;
}

static sl_slice_t copy(sl_arena_t *a, sl_slice_t s)
{
    return sl_slice(sl_arena_strndup(a, s.p ? s.p : "", s.len), s.len);
}

void sl_hlist_add_copy(sl_hlist_t *l, sl_slice_t name, sl_slice_t value)
{
    sl_hlist_add(l, copy(l->arena, name), copy(l->arena, value));
}

void sl_hlist_add_u64(sl_hlist_t *l, sl_slice_t name, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char *d = sl_arena_alloc(l->arena, n);
    for (size_t i = 0; i < n; i++)
        d[i] = tmp[n - 1 - i];
    sl_hlist_add(l, name, sl_slice(d, n));
}

size_t sl_hlist_remove(sl_hlist_t *l, sl_slice_t name)
{
    size_t j = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!sl_slice_ieq(l->v[i].name, name.p, name.len))
            l->v[j++] = l->v[i];
    size_t removed = l->n - j;
    l->n = j;
    return removed;
}

void sl_hlist_set(sl_hlist_t *l, sl_slice_t name, sl_slice_t value)
{
    sl_hlist_remove(l, name);
    sl_hlist_add_copy(l, name, value);
}

const sl_header_t *sl_hlist_find(const sl_hlist_t *l, sl_slice_t name)
{
    for (size_t i = 0; i < l->n; i++)
        if (sl_slice_ieq(l->v[i].name, name.p, name.len))
            return &l->v[i];
    return NULL;
}

sl_slice_t sl_hlist_get(const sl_hlist_t *l, sl_slice_t name)
{
    const sl_header_t *h = sl_hlist_find(l, name);
    return h ? h->value : sl_slice(NULL, 0);
}

void sl_hlist_own(sl_hlist_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        l->v[i].name = copy(l->arena, l->v[i].name);
        l->v[i].value = copy(l->arena, l->v[i].value);
    }
}
