/* A worker's metric store: series by label values, written by one worker, read by the master
 * (see store.h for the publication rules). */
#include "metrics/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/worker.h"
#include "core/xalloc.h"

static const uint32_t kong_le[] = {1,  2,   5,   7,   10,  15,   20,   30,  50,
                                   75, 100, 200, 500, 750, 1000, 3000, 6000};
static const uint32_t upstream_le[] = {25,   50,   80,   100,   250,   400,  700,
                                       1000, 2000, 5000, 10000, 30000, 60000};
static const sl_mbuckets_t buckets[SL_MHIST__COUNT] = {
    [SL_MHIST_KONG] = {kong_le, sizeof(kong_le) / sizeof(kong_le[0])},
    [SL_MHIST_UPSTREAM] = {upstream_le, sizeof(upstream_le) / sizeof(upstream_le[0])},
    [SL_MHIST_REQUEST] = {upstream_le, sizeof(upstream_le) / sizeof(upstream_le[0])},
};
_Static_assert(sizeof(kong_le) / sizeof(kong_le[0]) <= SL_MHIST_MAX_BOUNDS, "bounds");

const sl_mbuckets_t *sl_metrics_buckets(sl_mhist_kind_t kind)
{
    return &buckets[kind];
}

#define INDEX_CAP0 64

sl_metrics_t *sl_metrics_new(void)
{
    sl_metrics_t *m = sl_xcalloc(1, sizeof(*m));
    m->index_cap = INDEX_CAP0;
    m->index = sl_xcalloc(m->index_cap, sizeof(*m->index));
    return m;
}

void sl_metrics_free(sl_metrics_t *m)
{
    if (m == NULL)
        return;
    sl_mseries_t *s = atomic_load_explicit(&m->head, memory_order_relaxed);
    while (s) {
        sl_mseries_t *next = atomic_load_explicit(&s->next, memory_order_relaxed);
        sl_mcode_t *c = atomic_load_explicit(&s->codes, memory_order_relaxed);
        while (c) {
            sl_mcode_t *cn = atomic_load_explicit(&c->next, memory_order_relaxed);
            free(c);
            c = cn;
        }
        free(s); /* the label strings live in the same block */
        s = next;
    }
    free(m->index);
    free(m);
}

/* FNV-1a over the three values, each with its NUL, so ("ab","c") and ("a","bc") differ. */
static uint64_t key_hash(const char *a, const char *b, const char *c, size_t *la, size_t *lb,
                         size_t *lc)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const char *parts[3] = {a, b, c};
    size_t *lens[3] = {la, lb, lc};
    for (int i = 0; i < 3; i++) {
        const unsigned char *p = (const unsigned char *)parts[i];
        size_t n = 0;
        for (; p[n]; n++)
            h = (h ^ p[n]) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;
        *lens[i] = n;
    }
    return h;
}

static void grow_index(sl_metrics_t *m)
{
    size_t cap = m->index_cap * 2;
    sl_mseries_t **idx = sl_xcalloc(cap, sizeof(*idx));
    for (size_t i = 0; i < m->index_cap; i++) {
        sl_mseries_t *s = m->index[i];
        while (s) {
            sl_mseries_t *n = s->hnext;
            size_t b = s->hash & (cap - 1);
            s->hnext = idx[b];
            idx[b] = s;
            s = n;
        }
    }
    free(m->index); /* the index is the worker's alone; readers walk the list */
    m->index = idx;
    m->index_cap = cap;
}

sl_mseries_t *sl_metrics_series(sl_metrics_t *m, const char *service, const char *route,
                                const char *consumer)
{
    size_t ls, lr, lc;
    uint64_t h = key_hash(service, route, consumer, &ls, &lr, &lc);
    for (sl_mseries_t *s = m->index[h & (m->index_cap - 1)]; s; s = s->hnext)
        if (s->hash == h && strcmp(s->service, service) == 0 && strcmp(s->route, route) == 0 &&
            strcmp(s->consumer, consumer) == 0)
            return s;
    uint64_t n = SL_STAT_GET(m->n_series);
    if (n >= SL_METRICS_MAX_SERIES) {
        SL_STAT_INC(m->errors);
        return NULL;
    }
    /* one block: the series, then its three label values */
    sl_mseries_t *s = sl_xcalloc(1, sizeof(*s) + ls + lr + lc + 3);
    char *p = (char *)(s + 1);
    memcpy(p, service, ls + 1);
    s->service = p;
    p += ls + 1;
    memcpy(p, route, lr + 1);
    s->route = p;
    p += lr + 1;
    memcpy(p, consumer, lc + 1);
    s->consumer = p;
    s->hash = h;
    if (n + 1 > m->index_cap)
        grow_index(m);
    size_t b = h & (m->index_cap - 1);
    s->hnext = m->index[b];
    m->index[b] = s;
    atomic_store_explicit(&s->next, atomic_load_explicit(&m->head, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&m->head, s, memory_order_release); /* the series is complete */
    SL_STAT_INC(m->n_series);
    return s;
}

void sl_metrics_count_status(sl_mseries_t *s, int code, bool from_service)
{
    sl_mcode_t *head = atomic_load_explicit(&s->codes, memory_order_relaxed);
    for (sl_mcode_t *c = head; c; c = atomic_load_explicit(&c->next, memory_order_relaxed)) {
        if (c->code == code && c->from_service == from_service) {
            SL_STAT_INC(c->n);
            return;
        }
    }
    sl_mcode_t *c = sl_xcalloc(1, sizeof(*c));
    c->code = (uint16_t)code;
    c->from_service = from_service;
    atomic_store_explicit(&c->n, 1, memory_order_relaxed);
    atomic_store_explicit(&c->next, head, memory_order_relaxed);
    atomic_store_explicit(&s->codes, c, memory_order_release);
}

void sl_metrics_observe(sl_mseries_t *s, sl_mhist_kind_t kind, uint64_t ms)
{
    const sl_mbuckets_t *bk = &buckets[kind];
    size_t i = 0;
    while (i < bk->n && ms > bk->le[i])
        i++;
    sl_mhist_t *h = &s->hist[kind];
    SL_STAT_INC(h->slot[i]);
    SL_STAT_ADD(h->sum_ms, ms);
}

void sl_metrics_bandwidth(sl_mseries_t *s, uint64_t in, uint64_t out)
{
    if (in)
        SL_STAT_ADD(s->ingress, in);
    if (out)
        SL_STAT_ADD(s->egress, out);
}
