/* The prometheus plugin's log phase: the labels it records (service name or host, route name
 * or id, the consumer with per_consumer), the source of a status, and what it skips. */
#include "../../../plugins/prometheus/prometheus.c"

#include "test.h"

static sl_mseries_t *only_series(sl_metrics_t *m)
{
    sl_mseries_t *s = sl_metrics_first(m);
    return s && sl_mseries_next(s) == NULL ? s : NULL;
}

static void test_labels_and_flags(void)
{
    sl_worker_t w;
    memset(&w, 0, sizeof(w));
    w.metrics = sl_metrics_new();
    sl_service_t svc = {.name = NULL, .host = "backend.internal"};
    sl_route_t rt = {.id = "1b7a2c3d-0000-4000-8000-000000000001", .service = &svc};
    sl_consumer_t alice = {.username = "alice"};
    uint64_t now = sl_now_ns();
    sl_req_t req = {
        .w = &w,
        .route = &rt,
        .consumer = &alice,
        .status = 200,
        .response_started = true,
        .upstream_status = 200,
        .head_in = 80,
        .body_received = 20,
        .bytes_out = 300,
        .start_ns = now - 40000000,
        .upstream_send_ns = now - 30000000,
        .upstream_head_ns = now - 10000000,
    };
    conf_t c = {.status_code_metrics = true, .latency_metrics = true, .bandwidth_metrics = true};
    on_log(&req, &c);
    sl_mseries_t *s = only_series(w.metrics);
    CHECK(s != NULL);
    CHECK_EQ_STR(s->service, "backend.internal");
    CHECK_EQ_STR(s->route, rt.id);
    CHECK_EQ_STR(s->consumer, ""); /* per_consumer off */
    CHECK(sl_mseries_codes(s) && sl_mseries_codes(s)->code == 200 &&
          sl_mseries_codes(s)->from_service);
    CHECK_EQ_INT(atomic_load(&s->ingress), 100);
    CHECK_EQ_INT(atomic_load(&s->egress), 300);
    /* upstream 20 ms, gateway about 20 ms, request about 40 ms */
    CHECK_EQ_INT(atomic_load(&s->hist[SL_MHIST_UPSTREAM].sum_ms), 20);
    CHECK(atomic_load(&s->hist[SL_MHIST_KONG].sum_ms) >= 19);
    CHECK(atomic_load(&s->hist[SL_MHIST_REQUEST].sum_ms) >= 40);

    /* per_consumer: the username; a plugin's answer without upstream is source kong and
     * has no upstream latency */
    c.per_consumer = true;
    svc.name = "orders";
    rt.name = "r";
    req.upstream_status = 0;
    req.upstream_send_ns = req.upstream_head_ns = 0;
    req.status = 401;
    on_log(&req, &c);
    sl_mseries_t *a = sl_metrics_series(w.metrics, "orders", "r", "alice");
    CHECK(sl_mseries_codes(a) && sl_mseries_codes(a)->code == 401 &&
          !sl_mseries_codes(a)->from_service);
    uint64_t up = 0;
    for (int i = 0; i <= SL_MHIST_MAX_BOUNDS; i++)
        up += atomic_load(&a->hist[SL_MHIST_UPSTREAM].slot[i]);
    CHECK_EQ_INT(up, 0);
    /* about 40 ms, all of it the gateway's: the le="50" bucket (the 9th bound) */
    CHECK_EQ_INT(atomic_load(&a->hist[SL_MHIST_KONG].slot[8]), 1);

    /* a consumer without a username, and a client gone before the response (499) */
    sl_consumer_t anon = {.custom_id = "x"};
    req.consumer = &anon;
    req.response_started = false;
    on_log(&req, &c);
    sl_mseries_t *e = sl_metrics_series(w.metrics, "orders", "r", "");
    CHECK(sl_mseries_codes(e) && sl_mseries_codes(e)->code == 499);

    /* no route: nothing; every group off: nothing */
    uint64_t n = atomic_load(&w.metrics->n_series);
    req.route = NULL;
    on_log(&req, &c);
    req.route = &rt;
    rt.name = "other";
    conf_t off = {.per_consumer = true, .upstream_health_metrics = true};
    on_log(&req, &off);
    CHECK_EQ_INT(atomic_load(&w.metrics->n_series), n);
    sl_metrics_free(w.metrics);
}

int main(void)
{
    test_labels_and_flags();
    TEST_MAIN_END();
}
