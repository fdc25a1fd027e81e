/* Summing the workers' stores and rendering Kong's per-request families (see scrape.h). */
#include "metrics/scrape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "metrics/prom.h"

#define SL_LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* A growable array of rows, malloc'ed. */
#define PUSH(arr, n, cap, row)                                                                     \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : 16;                                                          \
            (arr) = sl_xrealloc((arr), (cap) * sizeof(*(arr)));                                    \
        }                                                                                          \
        (arr)[(n)++] = (row);                                                                      \
    } while (0)

/* service="..",route=".." and what follows; returns the text in <arena>. */
static const char *labels(sl_arena_t *arena, const sl_mseries_t *s, const char *code,
                          const char *source, const char *direction, bool consumer)
{
    sl_hbuf_t b;
    sl_hbuf_init(&b, arena, 96);
    sl_prom_label(&b, "service", s->service, true);
    sl_prom_label(&b, "route", s->route, false);
    if (code) {
        sl_prom_label(&b, "code", code, false);
        sl_prom_label(&b, "source", source, false);
    }
    if (direction)
        sl_prom_label(&b, "direction", direction, false);
    sl_prom_label(&b, "workspace", "default", false); /* sluice has one workspace */
    if (consumer)
        sl_prom_label(&b, "consumer", s->consumer, false);
    sl_hbuf_append(&b, "", 1);
    return b.p;
}

static int count_cmp(const void *x, const void *y)
{
    return strcmp(((const sl_mcount_row_t *)x)->labels, ((const sl_mcount_row_t *)y)->labels);
}

static int hist_cmp(const void *x, const void *y)
{
    return strcmp(((const sl_mhist_row_t *)x)->labels, ((const sl_mhist_row_t *)y)->labels);
}

/* Sorts and merges rows with the same labels (other workers, other consumers). */
static size_t merge_counts(sl_mcount_row_t *r, size_t n)
{
    if (n == 0)
        return 0;
    qsort(r, n, sizeof(*r), count_cmp);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(r[i].labels, r[out].labels) == 0)
            r[out].v += r[i].v;
        else
            r[++out] = r[i];
    }
    return out + 1;
}

static size_t merge_hists(sl_mhist_row_t *r, size_t n)
{
    if (n == 0)
        return 0;
    qsort(r, n, sizeof(*r), hist_cmp);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(r[i].labels, r[out].labels) == 0) {
            for (size_t k = 0; k <= SL_MHIST_MAX_BOUNDS; k++)
                r[out].slot[k] += r[i].slot[k];
            r[out].sum_ms += r[i].sum_ms;
        } else {
            r[++out] = r[i];
        }
    }
    return out + 1;
}

void sl_metrics_gather(sl_metrics_view_t *v, sl_metrics_t *const *stores, size_t n,
                       sl_arena_t *arena)
{
    memset(v, 0, sizeof(*v));
    size_t cap_status = 0, cap_bw = 0, cap_hist[SL_MHIST__COUNT] = {0};
    for (size_t w = 0; w < n; w++) {
        if (stores[w] == NULL)
            continue;
        v->errors += SL_LOAD(stores[w]->errors);
        for (sl_mseries_t *s = sl_metrics_first(stores[w]); s; s = sl_mseries_next(s)) {
            for (sl_mcode_t *c = sl_mseries_codes(s); c; c = sl_mcode_next(c)) {
                char code[8];
                snprintf(code, sizeof(code), "%u", (unsigned)c->code);
                sl_mcount_row_t row = {
                    labels(arena, s, code, c->from_service ? "service" : "kong", NULL, true),
                    SL_LOAD(c->n)};
                PUSH(v->status, v->n_status, cap_status, row);
            }
            uint64_t in = SL_LOAD(s->ingress), out = SL_LOAD(s->egress);
            if (in) {
                sl_mcount_row_t row = {labels(arena, s, NULL, NULL, "ingress", true), in};
                PUSH(v->bandwidth, v->n_bandwidth, cap_bw, row);
            }
            if (out) {
                sl_mcount_row_t row = {labels(arena, s, NULL, NULL, "egress", true), out};
                PUSH(v->bandwidth, v->n_bandwidth, cap_bw, row);
            }
            const char *hl = NULL; /* latency labels have no consumer: made once if needed */
            for (int k = 0; k < SL_MHIST__COUNT; k++) {
                sl_mhist_row_t row = {0};
                uint64_t total = 0;
                for (size_t i = 0; i <= SL_MHIST_MAX_BOUNDS; i++)
                    total += row.slot[i] = SL_LOAD(s->hist[k].slot[i]);
                if (total == 0)
                    continue; /* never observed: latency_metrics was off for it */
                row.sum_ms = SL_LOAD(s->hist[k].sum_ms);
                row.labels = hl ? hl : (hl = labels(arena, s, NULL, NULL, NULL, false));
                PUSH(v->hist[k], v->n_hist[k], cap_hist[k], row);
            }
        }
    }
    v->n_status = merge_counts(v->status, v->n_status);
    v->n_bandwidth = merge_counts(v->bandwidth, v->n_bandwidth);
    for (int k = 0; k < SL_MHIST__COUNT; k++)
        v->n_hist[k] = merge_hists(v->hist[k], v->n_hist[k]);
}

void sl_metrics_view_free(sl_metrics_view_t *v)
{
    free(v->status);
    free(v->bandwidth);
    for (int k = 0; k < SL_MHIST__COUNT; k++)
        free(v->hist[k]);
    memset(v, 0, sizeof(*v));
}

static void counters(const sl_mcount_row_t *r, size_t n, const char *name, sl_hbuf_t *out)
{
    for (size_t i = 0; i < n; i++) {
        sl_hbuf_str(out, name);
        sl_hbuf_lit(out, "{");
        sl_hbuf_str(out, r[i].labels);
        sl_hbuf_lit(out, "} ");
        sl_hbuf_u64(out, r[i].v);
        sl_hbuf_lit(out, "\n");
    }
}

void sl_metrics_render_bandwidth(const sl_metrics_view_t *v, sl_hbuf_t *out)
{
    if (v->n_bandwidth == 0)
        return;
    sl_prom_family(out, "kong_bandwidth_bytes",
                   "Total bandwidth (ingress/egress) throughput in bytes", "counter");
    counters(v->bandwidth, v->n_bandwidth, "kong_bandwidth_bytes", out);
}

void sl_metrics_render_status(const sl_metrics_view_t *v, sl_hbuf_t *out)
{
    if (v->n_status == 0)
        return;
    sl_prom_family(out, "kong_http_requests_total",
                   "HTTP status codes per consumer/service/route in Kong", "counter");
    counters(v->status, v->n_status, "kong_http_requests_total", out);
}

static const struct {
    const char *name, *help;
} hist_names[SL_MHIST__COUNT] = {
    [SL_MHIST_KONG] = {"kong_kong_latency_ms",
                       "Latency added by Kong and enabled plugins for each service/route in Kong"},
    [SL_MHIST_UPSTREAM] = {"kong_upstream_latency_ms",
                           "Latency added by upstream response for each service/route in Kong"},
    [SL_MHIST_REQUEST] = {"kong_request_latency_ms",
                          "Total latency incurred during requests for each service/route in Kong"},
};

static void series_line(sl_hbuf_t *out, const char *name, const char *suffix, const char *labels)
{
    sl_hbuf_str(out, name);
    sl_hbuf_str(out, suffix);
    sl_hbuf_lit(out, "{");
    sl_hbuf_str(out, labels);
}

void sl_metrics_render_hist(const sl_metrics_view_t *v, sl_mhist_kind_t kind, sl_hbuf_t *out)
{
    const sl_mhist_row_t *r = v->hist[kind];
    size_t n = v->n_hist[kind];
    if (n == 0)
        return;
    const char *name = hist_names[kind].name;
    const sl_mbuckets_t *bk = sl_metrics_buckets(kind);
    sl_prom_family(out, name, hist_names[kind].help, "histogram");
    for (size_t i = 0; i < n; i++) {
        uint64_t cum = 0;
        for (size_t b = 0; b < bk->n; b++) {
            cum += r[i].slot[b];
            series_line(out, name, "_bucket", r[i].labels);
            sl_hbuf_printf(out, ",le=\"%u\"} ", (unsigned)bk->le[b]);
            sl_hbuf_u64(out, cum);
            sl_hbuf_lit(out, "\n");
        }
        cum += r[i].slot[bk->n];
        series_line(out, name, "_bucket", r[i].labels);
        sl_hbuf_lit(out, ",le=\"+Inf\"} ");
        sl_hbuf_u64(out, cum);
        sl_hbuf_lit(out, "\n");
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t total = 0;
        for (size_t b = 0; b <= bk->n; b++)
            total += r[i].slot[b];
        series_line(out, name, "_count", r[i].labels);
        sl_hbuf_lit(out, "} ");
        sl_hbuf_u64(out, total);
        sl_hbuf_lit(out, "\n");
    }
    for (size_t i = 0; i < n; i++) {
        series_line(out, name, "_sum", r[i].labels);
        sl_hbuf_lit(out, "} ");
        sl_hbuf_u64(out, r[i].sum_ms);
        sl_hbuf_lit(out, "\n");
    }
}
