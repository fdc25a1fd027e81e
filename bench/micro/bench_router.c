/*
 * Router lookup micro-benchmark: routers of 10, 100, 1,000 and 10,000 routes (distinct prefix
 * paths "/svcNNNNN/items", every tenth route with a host, five regex routes), timed on hits
 * near the end of the set, hits on host routes, and misses. Prints ns per lookup per size;
 * with the trie and the host table the figures should stay nearly flat as the set grows.
 *
 * Usage: bench_router [lookups per measurement, default 2000000]
 */
#include "config/diag.h"
#include "router/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_REGEX 5
#define N_REQ 64

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static sl_strlist_t one(sl_arena_t *a, const char *s)
{
    sl_strlist_t l;
    l.v = sl_arena_calloc(a, 1, sizeof(*l.v));
    l.v[0] = sl_arena_strdup(a, s);
    l.n = 1;
    return l;
}

static sl_route_t *route(sl_arena_t *a, size_t i, const char *path, const char *host)
{
    sl_route_t *r = sl_arena_calloc(a, 1, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%08zx-0000-4000-8000-000000000000", i);
    r->protocols = SL_PROTO_HTTP | SL_PROTO_HTTPS;
    r->paths = one(a, path);
    if (host)
        r->hosts = one(a, host);
    r->strip_path = true;
    return r;
}

typedef struct req_set {
    sl_router_req_t req[N_REQ];
    char paths[N_REQ][64];
    char hosts[N_REQ][64];
} req_set_t;

static void set_req(req_set_t *s, int k, const char *host, const char *path)
{
    snprintf(s->hosts[k], sizeof(s->hosts[k]), "%s", host);
    snprintf(s->paths[k], sizeof(s->paths[k]), "%s", path);
    sl_router_req_t *r = &s->req[k];
    memset(r, 0, sizeof(*r));
    r->method = SL_SLICE_LIT("GET");
    r->host = sl_slice(s->hosts[k], strlen(s->hosts[k]));
    r->port = 80;
    r->path = sl_slice(s->paths[k], strlen(s->paths[k]));
}

/* Runs <iters> lookups over the request set; returns ns per lookup and the hit count. */
static double run(const sl_router_t *r, const req_set_t *s, long iters, long *hits)
{
    sl_router_match_t m;
    long h = 0;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++)
        h += sl_router_match(r, &s->req[i & (N_REQ - 1)], &m);
    double t1 = now_ns();
    *hits = h;
    return (t1 - t0) / (double)iters;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    static const size_t sizes[] = {10, 100, 1000, 10000};
    printf("%8s %10s %12s %12s %12s %12s\n", "routes", "matchers", "build_ms", "hit_ns",
           "host_hit_ns", "miss_ns");
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t n = sizes[si];
        sl_arena_t a;
        sl_arena_init(&a, 64 * 1024);
        sl_route_t **routes = calloc(n, sizeof(*routes));
        char path[64], host[64];
        for (size_t i = 0; i < n; i++) {
            if (i < N_REGEX) {
                snprintf(path, sizeof(path), "~/re%zu/(?<id>\\d+)/items$", i);
                routes[i] = route(&a, i, path, NULL);
            } else if (i % 10 == 0) {
                snprintf(path, sizeof(path), "/svc%05zu/items", i);
                snprintf(host, sizeof(host), "h%zu.example.com", i);
                routes[i] = route(&a, i, path, host);
            } else {
                snprintf(path, sizeof(path), "/svc%05zu/items", i);
                routes[i] = route(&a, i, path, NULL);
            }
        }
        sl_diag_t *diag = NULL;
        double b0 = now_ns();
        sl_router_t *r = sl_router_build(routes, n, &a, diag);
        double b1 = now_ns();

        /* hits: the last host-less routes of the set, with a longer request path */
        req_set_t *hit = calloc(1, sizeof(*hit)), *hhit = calloc(1, sizeof(*hhit)),
                  *miss = calloc(1, sizeof(*miss));
        for (int k = 0; k < N_REQ; k++) {
            size_t i = n - 1 - (size_t)k % (n / 2);
            if (i % 10 == 0 || i < N_REGEX)
                i--;
            snprintf(path, sizeof(path), "/svc%05zu/items/%d", i, k);
            set_req(hit, k, "api.example.org", path);

            size_t j = (n - 1) / 10 * 10 - (size_t)(k % 3) * 10;
            if (j < 10)
                j = 10;
            if (j >= n)
                j = 10 < n ? 10 : 0;
            snprintf(path, sizeof(path), "/svc%05zu/items/%d", j, k);
            snprintf(host, sizeof(host), "h%zu.example.com", j);
            set_req(hhit, k, host, path);

            snprintf(path, sizeof(path), k & 1 ? "/svc%05d/nothing" : "/nope/%d", 90000 + k);
            set_req(miss, k, k & 2 ? "h10.example.com" : "api.example.org", path);
        }

        long h1, h2, h3;
        run(r, hit, iters / 10, &h1); /* warm up */
        double hit_ns = run(r, hit, iters, &h1);
        double hhit_ns = run(r, hhit, iters, &h2);
        double miss_ns = run(r, miss, iters, &h3);
        printf("%8zu %10zu %12.2f %12.1f %12.1f %12.1f\n", n, sl_router_size(r),
               (b1 - b0) / 1e6, hit_ns, hhit_ns, miss_ns);
        if (h1 != iters || (n >= 20 && h2 != iters) || h3 != 0)
            fprintf(stderr, "unexpected hit counts: %ld %ld %ld of %ld\n", h1, h2, h3, iters);
        free(hit);
        free(hhit);
        free(miss);
        free(routes);
        sl_arena_destroy(&a);
    }
    return 0;
}
