/*
 * Fuzz target: metric label values through the store and the Prometheus renderer. Label
 * values come from config and requests (a consumer's username, a service's host, a route's
 * name), so any byte may reach the scrape text.
 *
 * Input: "<service>\0<route>\0<consumer>\0<rest>"; missing parts are empty. Each byte of
 * <rest> drives one operation on one of two stores (a status code, a latency, bandwidth),
 * with the service/route/consumer or a variant of them.
 *
 * Invariants: every line of the text is a comment ("# HELP"/"# TYPE") or a well-formed
 * sample (name, label pairs with only \\, \" and \n escapes, a decimal value); the consumer
 * label of the request counter unescapes to the input; the counts rendered add up to the
 * operations made.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/scrape.h"

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

/* Checks one sample line; returns its value. Appends unescaped label values to <vals>
 * (NUL-separated) for the caller. */
static uint64_t check_sample(const char *p, const char *end, char *vals, size_t *vlen)
{
    const char *s = p;
    while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')))
        p++;
    if (p == s || p == end)
        FAIL("sample without a name");
    if (*p == '{') {
        p++;
        for (;;) {
            const char *n = p;
            while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')))
                p++;
            if (p == n || end - p < 2 || p[0] != '=' || p[1] != '"')
                FAIL("bad label name");
            p += 2;
            for (;;) {
                if (p == end)
                    FAIL("unterminated label value");
                if (*p == '"')
                    break;
                char c = *p;
                if (c == '\\') {
                    if (p + 1 == end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
                        FAIL("bad escape");
                    c = p[1] == 'n' ? '\n' : p[1];
                    p++;
                }
                vals[(*vlen)++] = c;
                p++;
            }
            vals[(*vlen)++] = '\0';
            p++;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            FAIL("label set not closed");
        }
    }
    if (p == end || *p != ' ')
        FAIL("no space before the value");
    p++;
    uint64_t v = 0;
    if (p == end)
        FAIL("no value");
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            FAIL("value is not a decimal");
        v = v * 10 + (uint64_t)(*p - '0');
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 4);
    memcpy(buf, data, size);
    memset(buf + size, 0, 4);
    const char *svc = buf;
    const char *rt = svc + strlen(svc) + 1;
    const char *cons = rt < buf + size ? rt + strlen(rt) + 1 : buf + size + 1;
    if (rt >= buf + size)
        rt = buf + size + 1;
    const char *rest = cons < buf + size ? cons + strlen(cons) + 1 : buf + size;
    if (cons >= buf + size)
        cons = buf + size + 1;
    size_t nrest = rest < buf + size ? (size_t)(buf + size - rest) : 0;

    sl_metrics_t *stores[2] = {sl_metrics_new(), sl_metrics_new()};
    uint64_t statuses = 0, cons_statuses = 0;
    for (size_t i = 0; i < nrest && i < 4096; i++) {
        uint8_t op = (uint8_t)rest[i];
        sl_metrics_t *m = stores[op & 1];
        bool own = (op & 2) == 0; /* the input's consumer, else "" */
        sl_mseries_t *s = sl_metrics_series(m, svc, (op & 4) ? rt : "r", own ? cons : "");
        if (s == NULL)
            FAIL("store full");
        switch ((op >> 3) & 3) {
        case 0:
            sl_metrics_count_status(s, 100 + op, op & 32);
            statuses++;
            cons_statuses += own;
            break;
        case 1: sl_metrics_observe(s, (sl_mhist_kind_t)(op % SL_MHIST__COUNT), op * 97u); break;
        default: sl_metrics_bandwidth(s, op, i); break;
        }
    }

    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_metrics_view_t v;
    sl_metrics_gather(&v, stores, 2, &a);
    sl_hbuf_t out;
    sl_hbuf_init(&out, &a, 256);
    sl_metrics_render_bandwidth(&v, &out);
    sl_metrics_render_status(&v, &out);
    for (int k = 0; k < SL_MHIST__COUNT; k++)
        sl_metrics_render_hist(&v, (sl_mhist_kind_t)k, &out);

    char *vals = malloc(out.len + 1);
    uint64_t seen = 0, seen_cons = 0;
    const char *p = out.p, *end = out.p + out.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            FAIL("text does not end with a newline");
        if (nl - p >= 2 && p[0] == '#' && p[1] == ' ') {
            p = nl + 1;
            continue;
        }
        size_t vlen = 0;
        uint64_t val = check_sample(p, nl, vals, &vlen);
        if ((size_t)(nl - p) > 24 && memcmp(p, "kong_http_requests_total{", 25) == 0) {
            seen += val;
            /* labels: service, route, code, source, workspace, consumer */
            const char *lv = vals;
            for (int k = 0; k < 5; k++)
                lv += strlen(lv) + 1;
            if (strcmp(vals, svc) != 0)
                FAIL("service label does not round-trip");
            if (*cons && strcmp(lv, cons) == 0)
                seen_cons += val;
            else if (*lv != '\0')
                FAIL("consumer label does not round-trip");
        }
        p = nl + 1;
    }
    if (seen != statuses)
        FAIL("request counts do not add up");
    if (*cons && seen_cons != cons_statuses)
        FAIL("consumer counts do not add up");
    free(vals);
    sl_metrics_view_free(&v);
    sl_arena_destroy(&a);
    sl_metrics_free(stores[0]);
    sl_metrics_free(stores[1]);
    free(buf);
    return 0;
}
