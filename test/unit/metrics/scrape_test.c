/* Summing stores and rendering Kong's families: exact text for a small case, merging of
 * workers and consumers, label escaping. */
#include <string.h>

#include "metrics/prom.h"
#include "metrics/scrape.h"
#include "test.h"

static const char *render(sl_arena_t *a, sl_metrics_t **stores, size_t n)
{
    sl_metrics_view_t v;
    sl_metrics_gather(&v, stores, n, a);
    sl_hbuf_t b;
    sl_hbuf_init(&b, a, 64);
    sl_metrics_render_bandwidth(&v, &b);
    sl_metrics_render_status(&v, &b);
    for (int k = 0; k < SL_MHIST__COUNT; k++)
        sl_metrics_render_hist(&v, (sl_mhist_kind_t)k, &b);
    sl_hbuf_append(&b, "", 1);
    sl_metrics_view_free(&v);
    return b.p;
}

static void test_empty(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_metrics_t *m = sl_metrics_new();
    sl_metrics_t *stores[3] = {m, NULL, m};
    CHECK_EQ_STR(render(&a, stores, 3), "");
    /* a series that recorded nothing shows nothing */
    sl_metrics_series(m, "s", "r", "");
    CHECK_EQ_STR(render(&a, stores, 2), "");
    sl_metrics_free(m);
    sl_arena_destroy(&a);
}

static void test_merge_and_text(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_metrics_t *w0 = sl_metrics_new(), *w1 = sl_metrics_new();
    sl_mseries_t *s0 = sl_metrics_series(w0, "svc", "rt", "");
    sl_mseries_t *s1 = sl_metrics_series(w1, "svc", "rt", "");
    sl_mseries_t *s2 = sl_metrics_series(w1, "svc", "rt", "alice");
    sl_metrics_count_status(s0, 200, true);
    sl_metrics_count_status(s1, 200, true);
    sl_metrics_count_status(s2, 200, true);
    sl_metrics_count_status(s1, 401, false);
    sl_metrics_bandwidth(s0, 10, 20);
    sl_metrics_bandwidth(s1, 1, 2);
    sl_metrics_observe(s0, SL_MHIST_KONG, 3);
    sl_metrics_observe(s2, SL_MHIST_KONG, 9000);
    sl_metrics_t *stores[2] = {w0, w1};
    const char *text = render(&a, stores, 2);
    const char *want =
        "# HELP kong_bandwidth_bytes Total bandwidth (ingress/egress) throughput in bytes\n"
        "# TYPE kong_bandwidth_bytes counter\n"
        "kong_bandwidth_bytes{service=\"svc\",route=\"rt\",direction=\"egress\","
        "workspace=\"default\",consumer=\"\"} 22\n"
        "kong_bandwidth_bytes{service=\"svc\",route=\"rt\",direction=\"ingress\","
        "workspace=\"default\",consumer=\"\"} 11\n"
        "# HELP kong_http_requests_total HTTP status codes per consumer/service/route in Kong\n"
        "# TYPE kong_http_requests_total counter\n"
        "kong_http_requests_total{service=\"svc\",route=\"rt\",code=\"200\",source=\"service\","
        "workspace=\"default\",consumer=\"\"} 2\n"
        "kong_http_requests_total{service=\"svc\",route=\"rt\",code=\"200\",source=\"service\","
        "workspace=\"default\",consumer=\"alice\"} 1\n"
        "kong_http_requests_total{service=\"svc\",route=\"rt\",code=\"401\",source=\"kong\","
        "workspace=\"default\",consumer=\"\"} 1\n"
        "# HELP kong_kong_latency_ms Latency added by Kong and enabled plugins for each "
        "service/route in Kong\n"
        "# TYPE kong_kong_latency_ms histogram\n";
    CHECK(strncmp(text, want, strlen(want)) == 0);
    if (strncmp(text, want, strlen(want)) != 0)
        fprintf(stderr, "got:\n%s\n", text);
    /* one histogram series (the consumers merged): cumulative, +Inf equal to _count */
    const char *L = "{service=\"svc\",route=\"rt\",workspace=\"default\"";
    char line[256];
    snprintf(line, sizeof(line), "kong_kong_latency_ms_bucket%s,le=\"2\"} 0\n", L);
    CHECK(strstr(text, line) != NULL);
    snprintf(line, sizeof(line), "kong_kong_latency_ms_bucket%s,le=\"5\"} 1\n", L);
    CHECK(strstr(text, line) != NULL);
    snprintf(line, sizeof(line), "kong_kong_latency_ms_bucket%s,le=\"6000\"} 1\n", L);
    CHECK(strstr(text, line) != NULL);
    snprintf(line, sizeof(line), "kong_kong_latency_ms_bucket%s,le=\"+Inf\"} 2\n", L);
    CHECK(strstr(text, line) != NULL);
    snprintf(line, sizeof(line), "kong_kong_latency_ms_count%s} 2\n", L);
    CHECK(strstr(text, line) != NULL);
    snprintf(line, sizeof(line), "kong_kong_latency_ms_sum%s} 9003\n", L);
    CHECK(strstr(text, line) != NULL);
    /* _count lines come after every bucket, _sum after every _count */
    CHECK(strstr(text, "_count") > strstr(text, "le=\"+Inf\""));
    CHECK(strstr(text, "_sum") > strstr(text, "_count"));
    CHECK(strstr(text, "kong_upstream_latency_ms") == NULL);
    CHECK(strstr(text, "kong_request_latency_ms") == NULL);
    sl_metrics_free(w0);
    sl_metrics_free(w1);
    sl_arena_destroy(&a);
}

static void test_escaping(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_hbuf_t b;
    sl_hbuf_init(&b, &a, 8);
    sl_prom_label(&b, "consumer", "a\"b\\c\nd", true);
    sl_prom_label(&b, "x", "é", false);
    sl_hbuf_append(&b, "", 1);
    CHECK_EQ_STR(b.p, "consumer=\"a\\\"b\\\\c\\nd\",x=\"é\"");
    sl_hbuf_init(&b, &a, 8);
    sl_prom_family(&b, "m", "two\nlines \\ \"q\"", "gauge");
    sl_hbuf_append(&b, "", 1);
    CHECK_EQ_STR(b.p, "# HELP m two\\nlines \\\\ \"q\"\n# TYPE m gauge\n");
    sl_arena_destroy(&a);
}

int main(void)
{
    test_empty();
    test_merge_and_text();
    test_escaping();
    TEST_MAIN_END();
}
