/* The per-worker metric store: series keys, buckets, the series cap, and a reader walking the
 * store while its writer records (what the master does at scrape). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "metrics/store.h"
#include "test.h"

static uint64_t slot_total(const sl_mhist_t *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= SL_MHIST_MAX_BOUNDS; i++)
        n += atomic_load(&((sl_mhist_t *)h)->slot[i]);
    return n;
}

static void test_series_keys(void)
{
    sl_metrics_t *m = sl_metrics_new();
    sl_mseries_t *a = sl_metrics_series(m, "ab", "c", "");
    sl_mseries_t *b = sl_metrics_series(m, "a", "bc", "");
    sl_mseries_t *c = sl_metrics_series(m, "ab", "c", "alice");
    CHECK(a && b && c);
    CHECK(a != b && a != c && b != c);
    CHECK(sl_metrics_series(m, "ab", "c", "") == a);
    CHECK_EQ_STR(a->service, "ab");
    CHECK_EQ_STR(c->consumer, "alice");
    CHECK_EQ_INT(atomic_load(&m->n_series), 3);
    /* the publication list holds every series, newest first */
    CHECK(sl_metrics_first(m) == c);
    CHECK(sl_mseries_next(c) == b && sl_mseries_next(b) == a && sl_mseries_next(a) == NULL);
    /* many series: the index grows and every one is still found */
    char name[32];
    sl_mseries_t *v[2000];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "route-%d", i);
        v[i] = sl_metrics_series(m, "svc", name, "");
    }
    int same = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "route-%d", i);
        same += sl_metrics_series(m, "svc", name, "") == v[i];
    }
    CHECK_EQ_INT(same, 2000);
    CHECK(m->index_cap >= 2003);
    CHECK_EQ_INT(atomic_load(&m->errors), 0);
    sl_metrics_free(m);
}

static void test_cap(void)
{
    sl_metrics_t *m = sl_metrics_new();
    char name[32];
    int made = 0;
    for (int i = 0; i < SL_METRICS_MAX_SERIES + 5; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        made += sl_metrics_series(m, "s", "r", name) != NULL;
    }
    CHECK_EQ_INT(made, SL_METRICS_MAX_SERIES);
    CHECK_EQ_INT(atomic_load(&m->errors), 5);
    /* existing series are still found when full */
    CHECK(sl_metrics_series(m, "s", "r", "c0") != NULL);
    sl_metrics_free(m);
}

static void test_buckets_codes_bandwidth(void)
{
    const sl_mbuckets_t *k = sl_metrics_buckets(SL_MHIST_KONG);
    const sl_mbuckets_t *u = sl_metrics_buckets(SL_MHIST_UPSTREAM);
    CHECK_EQ_INT(k->n, 17);
    CHECK_EQ_INT(k->le[0], 1);
    CHECK_EQ_INT(k->le[16], 6000);
    CHECK_EQ_INT(u->n, 13);
    CHECK_EQ_INT(u->le[12], 60000);
    CHECK(sl_metrics_buckets(SL_MHIST_REQUEST)->le == u->le);

    sl_metrics_t *m = sl_metrics_new();
    sl_mseries_t *s = sl_metrics_series(m, "s", "r", "");
    /* a bound is inclusive (Prometheus le) */
    sl_metrics_observe(s, SL_MHIST_KONG, 0);
    sl_metrics_observe(s, SL_MHIST_KONG, 1);
    sl_metrics_observe(s, SL_MHIST_KONG, 2);
    sl_metrics_observe(s, SL_MHIST_KONG, 6000);
    sl_metrics_observe(s, SL_MHIST_KONG, 6001);
    CHECK_EQ_INT(atomic_load(&s->hist[SL_MHIST_KONG].slot[0]), 2);
    CHECK_EQ_INT(atomic_load(&s->hist[SL_MHIST_KONG].slot[1]), 1);
    CHECK_EQ_INT(atomic_load(&s->hist[SL_MHIST_KONG].slot[16]), 1);
    CHECK_EQ_INT(atomic_load(&s->hist[SL_MHIST_KONG].slot[17]), 1);
    CHECK_EQ_INT(atomic_load(&s->hist[SL_MHIST_KONG].sum_ms), 12004);
    CHECK_EQ_INT(slot_total(&s->hist[SL_MHIST_UPSTREAM]), 0);
    sl_metrics_observe(s, SL_MHIST_UPSTREAM, 60001);
    CHECK_EQ_INT(atomic_load(&s->hist[SL_MHIST_UPSTREAM].slot[13]), 1);

    sl_metrics_count_status(s, 200, true);
    sl_metrics_count_status(s, 200, true);
    sl_metrics_count_status(s, 200, false);
    sl_metrics_count_status(s, 404, false);
    int codes = 0;
    uint64_t total = 0;
    for (sl_mcode_t *c = sl_mseries_codes(s); c; c = sl_mcode_next(c)) {
        codes++;
        total += atomic_load(&c->n);
        if (c->code == 200 && c->from_service)
            CHECK_EQ_INT(atomic_load(&c->n), 2);
    }
    CHECK_EQ_INT(codes, 3);
    CHECK_EQ_INT(total, 4);

    sl_metrics_bandwidth(s, 100, 0);
    sl_metrics_bandwidth(s, 5, 7);
    CHECK_EQ_INT(atomic_load(&s->ingress), 105);
    CHECK_EQ_INT(atomic_load(&s->egress), 7);
    sl_metrics_free(m);
}

/* One writer (the worker) records while a reader (the master) walks the store: the reader
 * never sees a half-made series, and what it sums never goes backwards. */
#define WRITES 200000
static atomic_int writer_done;

static void *writer(void *arg)
{
    sl_metrics_t *m = arg;
    char name[32];
    for (int i = 0; i < WRITES; i++) {
        snprintf(name, sizeof(name), "r%d", i % 500);
        sl_mseries_t *s = sl_metrics_series(m, "svc", name, i % 3 ? "" : "bob");
        sl_metrics_count_status(s, 200 + i % 7, i % 2);
        sl_metrics_observe(s, SL_MHIST_REQUEST, (uint64_t)(i % 70000));
    }
    atomic_store(&writer_done, 1);
    return NULL;
}

static uint64_t read_total(const sl_metrics_t *m, int *bad)
{
    uint64_t total = 0;
    for (sl_mseries_t *s = sl_metrics_first(m); s; s = sl_mseries_next(s)) {
        if (strcmp(s->service, "svc") != 0 || s->route[0] != 'r')
            (*bad)++;
        uint64_t codes = 0;
        for (sl_mcode_t *c = sl_mseries_codes(s); c; c = sl_mcode_next(c)) {
            if (c->code < 200 || c->code > 206)
                (*bad)++;
            codes += atomic_load_explicit(&c->n, memory_order_relaxed);
        }
        total += codes;
    }
    return total;
}

static void test_concurrent_reader(void)
{
    sl_metrics_t *m = sl_metrics_new();
    pthread_t t;
    atomic_store(&writer_done, 0);
    pthread_create(&t, NULL, writer, m);
    uint64_t last = 0;
    int bad = 0, backwards = 0, scrapes = 0;
    while (!atomic_load(&writer_done)) {
        uint64_t now = read_total(m, &bad);
        backwards += now < last;
        last = now;
        scrapes++;
    }
    pthread_join(t, NULL);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(backwards, 0);
    CHECK_EQ_INT(read_total(m, &bad), WRITES);
    CHECK_EQ_INT(atomic_load(&m->n_series), 1000);
    CHECK(scrapes > 0);
    sl_metrics_free(m);
}

int main(void)
{
    test_series_keys();
    test_cap();
    test_buckets_codes_bandwidth();
    test_concurrent_reader();
    TEST_MAIN_END();
}
