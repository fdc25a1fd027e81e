/*
 * Metrics micro-benchmark: what the prometheus plugin adds to a request and what a scrape
 * costs the master.
 *
 * - record_ns: one request's recording with every group on, as the plugin's log phase does
 *   it (series lookup by service/route/consumer, a status count, three histogram
 *   observations, bandwidth), cycling over <series> label sets already created (warm: no
 *   malloc).
 * - scrape_us: summing <workers> stores of <series> series each (5 codes, 3 histograms and
 *   bandwidth per series) and rendering Kong's families, as GET /metrics does.
 *
 * Usage: bench_metrics [recordings per measurement, default 5000000]
 */
#include "metrics/scrape.h"
#include "metrics/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void record(sl_metrics_t *m, const char *svc, const char *route, uint64_t i)
{
    sl_mseries_t *s = sl_metrics_series(m, svc, route, "");
    sl_metrics_count_status(s, i % 5 ? 200 : 404, true);
    sl_metrics_observe(s, SL_MHIST_UPSTREAM, i % 300);
    sl_metrics_observe(s, SL_MHIST_KONG, i % 7);
    sl_metrics_observe(s, SL_MHIST_REQUEST, i % 307);
    sl_metrics_bandwidth(s, 120 + i % 64, 400 + i % 512);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    static char routes[1000][32];
    for (int i = 0; i < 1000; i++)
        snprintf(routes[i], sizeof(routes[i]), "orders-route-%d", i);
    printf("| series | record_ns |\n|---:|---:|\n");
    const int sizes[] = {1, 10, 100, 1000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        sl_metrics_t *m = sl_metrics_new();
        for (int i = 0; i < sizes[k]; i++)
            record(m, "orders-service", routes[i], (uint64_t)i);
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            record(m, "orders-service", routes[i % sizes[k]], (uint64_t)i);
        double t1 = now_ns();
        printf("| %d | %.1f |\n", sizes[k], (t1 - t0) / (double)n);
        sl_metrics_free(m);
    }

    printf("\n| workers | series per worker | scrape_us | text bytes |\n|---:|---:|---:|---:|\n");
    const int workers[] = {1, 4, 16};
    const int series[] = {10, 100, 1000};
    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        for (size_t k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
            sl_metrics_t *stores[16];
            for (int i = 0; i < workers[w]; i++) {
                stores[i] = sl_metrics_new();
                for (int j = 0; j < series[k] * 5; j++)
                    record(stores[i], "orders-service", routes[j % series[k]], (uint64_t)j);
            }
            int reps = series[k] >= 1000 ? 5 : 50;
            size_t bytes = 0;
            double t0 = now_ns();
            for (int r = 0; r < reps; r++) {
                sl_arena_t a;
                sl_arena_init(&a, 0);
                sl_metrics_view_t v;
                sl_metrics_gather(&v, stores, (size_t)workers[w], &a);
                sl_hbuf_t out;
                sl_hbuf_init(&out, &a, 16384);
                sl_metrics_render_bandwidth(&v, &out);
                sl_metrics_render_status(&v, &out);
                for (int h = 0; h < SL_MHIST__COUNT; h++)
                    sl_metrics_render_hist(&v, (sl_mhist_kind_t)h, &out);
                bytes = out.len;
                sl_metrics_view_free(&v);
                sl_arena_destroy(&a);
            }
            double t1 = now_ns();
            printf("| %d | %d | %.0f | %zu |\n", workers[w], series[k], (t1 - t0) / reps / 1e3,
                   bytes);
            for (int i = 0; i < workers[w]; i++)
                sl_metrics_free(stores[i]);
        }
    }
    return 0;
}
