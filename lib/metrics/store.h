/*
 * A worker's metric store: the per-request figures of Kong's prometheus plugin (requests by
 * status code, latency histograms, bandwidth), kept in series keyed by their label values
 * (service, route, consumer) and summed over the workers by the master at scrape time
 * (metrics/scrape.h).
 *
 * Only the owning worker writes. A counter moves by a relaxed load and a relaxed store (a
 * plain mov on x86, like SL_STAT_ADD in core/worker.h): no lock and no locked read-modify-write
 * on the request path. New series and new status codes are malloc'ed when they first appear
 * (never once warm) and published with a release store at the head of an append-only list, so
 * the master can walk the lists at any time with acquire loads. Nothing is freed before
 * sl_metrics_free, which runs once the worker has stopped and nobody scrapes any more.
 *
 * Series are keyed by label text, not by config entities, so they survive config reloads:
 * a route that keeps its name keeps its counters, and Prometheus counters never go backwards.
 *
 * Thread: sl_metrics_new/free on any thread while nobody else uses the store; the writer
 * functions on the owning worker only; the reader functions (sl_metrics_first and the
 * sl_mseries_* / sl_mcode_* accessors) on any thread, concurrently with the writer.
 */
#ifndef SL_METRICS_STORE_H
#define SL_METRICS_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The three latency histograms of Kong's prometheus plugin. */
typedef enum {
    SL_MHIST_KONG = 0, /* kong_kong_latency_ms: time spent in the gateway */
    SL_MHIST_UPSTREAM, /* kong_upstream_latency_ms: upstream request sent .. its head received */
    SL_MHIST_REQUEST,  /* kong_request_latency_ms: the whole request */
    SL_MHIST__COUNT
} sl_mhist_kind_t;

/* Kong's bucket bounds in ms (kong/plugins/prometheus/exporter.lua, 3.9: KONG_LATENCY_BUCKETS
 * for kong, UPSTREAM_LATENCY_BUCKETS for upstream and request). */
#define SL_MHIST_MAX_BOUNDS 17
typedef struct sl_mbuckets {
    const uint32_t *le; /* upper bounds, ascending */
    size_t n;
} sl_mbuckets_t;
const sl_mbuckets_t *sl_metrics_buckets(sl_mhist_kind_t kind);

/* A histogram as the worker keeps it: how many observations fell in each bucket (not
 * cumulative; the last slot is above the largest bound) and their sum. The count is the sum
 * of the slots, so a reader always sees +Inf equal to _count. */
typedef struct sl_mhist {
    _Atomic uint64_t slot[SL_MHIST_MAX_BOUNDS + 1];
    _Atomic uint64_t sum_ms;
} sl_mhist_t;

/* One status code of a series: kong_http_requests_total{code, source}. */
typedef struct sl_mcode {
    struct sl_mcode *_Atomic next; /* older codes of the same series */
    uint16_t code;
    bool from_service; /* source="service" (the upstream answered), else "kong" */
    _Atomic uint64_t n;
} sl_mcode_t;

/* One series: everything recorded for a (service, route, consumer) label set. */
typedef struct sl_mseries {
    struct sl_mseries *_Atomic next; /* publication list (older series) */
    struct sl_mseries *hnext;        /* the worker's hash chain (worker only) */
    uint64_t hash;
    const char *service, *route, *consumer; /* label values, owned, immutable */
    sl_mcode_t *_Atomic codes;
    sl_mhist_t hist[SL_MHIST__COUNT];
    _Atomic uint64_t ingress, egress; /* kong_bandwidth_bytes by direction */
} sl_mseries_t;

/* Most series one worker keeps; the next ones are not recorded and count as errors
 * (kong_nginx_metric_errors_total), so that a label with unbounded values (per_consumer with
 * very many consumers) cannot take all memory. */
#define SL_METRICS_MAX_SERIES 16384

typedef struct sl_metrics {
    sl_mseries_t *_Atomic head; /* newest series first */
    _Atomic uint64_t n_series;
    _Atomic uint64_t errors; /* series not recorded (SL_METRICS_MAX_SERIES reached) */
    /* the worker's own index: open hashing, chains through hnext */
    sl_mseries_t **index;
    size_t index_cap; /* a power of two */
} sl_metrics_t;

/* A new empty store (caller frees with sl_metrics_free). Aborts on OOM. */
sl_metrics_t *sl_metrics_new(void);
/* Frees <m> and every series; nobody may use it any more. NULL is fine. */
void sl_metrics_free(sl_metrics_t *m);

/* Owning worker: the series of (<service>, <route>, <consumer>) (NUL-terminated, borrowed:
 * they are copied when the series is created), created on first use. Returns NULL when the
 * store is full (counted in m->errors). */
sl_mseries_t *sl_metrics_series(sl_metrics_t *m, const char *service, const char *route,
                                const char *consumer);
/* Owning worker: one more request answered with <code> by the upstream (<from_service>) or by
 * the gateway. */
void sl_metrics_count_status(sl_mseries_t *s, int code, bool from_service);
/* Owning worker: one observation of <ms> milliseconds in histogram <kind>. */
void sl_metrics_observe(sl_mseries_t *s, sl_mhist_kind_t kind, uint64_t ms);
/* Owning worker: <in> bytes received from the client and <out> sent to it. */
void sl_metrics_bandwidth(sl_mseries_t *s, uint64_t in, uint64_t out);

/* Any thread: the newest series of <m> (acquire), then sl_mseries_next; codes likewise. */
static inline sl_mseries_t *sl_metrics_first(const sl_metrics_t *m)
{
    return atomic_load_explicit(&((sl_metrics_t *)m)->head, memory_order_acquire);
}
static inline sl_mseries_t *sl_mseries_next(const sl_mseries_t *s)
{
    return atomic_load_explicit(&((sl_mseries_t *)s)->next, memory_order_acquire);
}
static inline sl_mcode_t *sl_mseries_codes(const sl_mseries_t *s)
{
    return atomic_load_explicit(&((sl_mseries_t *)s)->codes, memory_order_acquire);
}
static inline sl_mcode_t *sl_mcode_next(const sl_mcode_t *c)
{
    return atomic_load_explicit(&((sl_mcode_t *)c)->next, memory_order_acquire);
}

#endif
