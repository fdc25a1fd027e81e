/*
 * Scrape: the master sums the workers' metric stores (metrics/store.h) into one view and
 * renders Kong's per-request metric families from it, in Kong's text: label names and order
 * of kong/plugins/prometheus/exporter.lua (3.7+, with the workspace label), series sorted by
 * their label text as Kong's exporter sorts its keys, histogram buckets cumulative with
 * `le` printed without padding ("1", "75", "+Inf"), then every _count, then every _sum.
 *
 * Kong records only the groups a prometheus plugin enables, and a family without series is
 * not printed at all (no HELP/TYPE either), so the view renders exactly what was recorded.
 *
 * Thread: any; gathering only reads the stores (acquire loads) while their workers write.
 */
#ifndef SL_METRICS_SCRAPE_H
#define SL_METRICS_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "http/headers.h"
#include "metrics/store.h"

/* What the enabled prometheus plugins of a config ask of a scrape beyond what they record per
 * request: the plugin's per-snapshot state (its configure), read by GET /metrics. */
typedef struct sl_metrics_exports {
    bool upstream_health; /* some instance has upstream_health_metrics: export
                             kong_upstream_target_health */
} sl_metrics_exports_t;

/* One counter row: escaped label pairs (without braces) and the value summed over workers. */
typedef struct sl_mcount_row {
    const char *labels;
    uint64_t v;
} sl_mcount_row_t;

/* One histogram row: per-bucket counts (not cumulative; the last slot is above every bound)
 * and the sum, summed over workers and consumers. */
typedef struct sl_mhist_row {
    const char *labels;
    uint64_t slot[SL_MHIST_MAX_BOUNDS + 1];
    uint64_t sum_ms;
} sl_mhist_row_t;

typedef struct sl_metrics_view {
    sl_mcount_row_t *status; /* kong_http_requests_total */
    size_t n_status;
    sl_mcount_row_t *bandwidth; /* kong_bandwidth_bytes */
    size_t n_bandwidth;
    sl_mhist_row_t *hist[SL_MHIST__COUNT];
    size_t n_hist[SL_MHIST__COUNT];
    uint64_t errors; /* series the stores could not record */
} sl_metrics_view_t;

/* Sums the <n> stores <stores> (NULL entries are skipped) into <v>: rows sorted by label text,
 * equal label sets merged. Label texts are allocated in <arena>; the arrays are malloc'ed
 * (sl_metrics_view_free). */
void sl_metrics_gather(sl_metrics_view_t *v, sl_metrics_t *const *stores, size_t n,
                       sl_arena_t *arena);
void sl_metrics_view_free(sl_metrics_view_t *v);

/* Appends a family of <v> to <out>; nothing when it has no series. */
void sl_metrics_render_bandwidth(const sl_metrics_view_t *v, sl_hbuf_t *out);
void sl_metrics_render_status(const sl_metrics_view_t *v, sl_hbuf_t *out);
void sl_metrics_render_hist(const sl_metrics_view_t *v, sl_mhist_kind_t kind, sl_hbuf_t *out);

#endif
