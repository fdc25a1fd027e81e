/*
 * Fuzz target: request path normalization and router matching. The input is split at '\n'
 * into method, host[:port], raw path and one "name: value" header; the path is normalized
 * and matched against a fixed router built once.
 *
 * Invariants checked (abort on violation):
 * - normalize: output no longer than the input, starts with '/', NUL-terminated, holds no
 *   "//", "/./" or "/../" and does not end in "/." or "/.."; normalizing it again gives the
 *   same bytes;
 * - match: a matched route is set, prefix_len <= path length, captures lie inside the path;
 * - the upstream path for the match (v0 and v1) fits the documented bounds;
 * - an optional fifth line is a regex path: a one-route router built from it matches the
 *   normalized path exactly when PCRE2 itself does (checks the literal-prefix prefilter).
 */
#include "core/path.h"
#include "router/router.h"

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

static sl_arena_t arena;
static sl_router_t *router;

static sl_strlist_t split(const char *spec)
{
    sl_strlist_t l = {0};
    if (spec == NULL)
        return l;
    size_t n = 1;
    for (const char *p = spec; *p; p++)
        n += *p == ' ';
    l.v = sl_arena_calloc(&arena, n, sizeof(*l.v));
    const char *s = spec;
    while (*s) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        l.v[l.n++] = sl_arena_strndup(&arena, s, len);
        s += len;
        while (*s == ' ')
            s++;
    }
    return l;
}

static sl_route_t *mk(const char *id, const char *methods, const char *hosts, const char *paths,
                      const char *header, const char *values, const char *snis, int regex_prio)
{
    sl_route_t *r = sl_arena_calloc(&arena, 1, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->protocols = SL_PROTO_HTTP | SL_PROTO_HTTPS;
    r->methods = split(methods);
    r->hosts = split(hosts);
    r->paths = split(paths);
    r->snis = split(snis);
    r->regex_priority = regex_prio;
    r->strip_path = true;
    if (header) {
        r->headers = sl_arena_calloc(&arena, 1, sizeof(*r->headers));
        r->headers[0].name = header;
        r->headers[0].values = split(values);
        r->n_headers = 1;
    }
    return r;
}

static void build(void)
{
    if (router != NULL)
        return;
    sl_arena_init(&arena, 0);
    sl_route_t *rs[] = {
        mk("00000000-0000-4000-8000-000000000001", NULL, NULL, "/", NULL, NULL, NULL, 0),
        mk("00000000-0000-4000-8000-000000000002", NULL, NULL, "/api /api/v1 /a", NULL, NULL,
           NULL, 0),
        mk("00000000-0000-4000-8000-000000000003", "GET POST", "ex.com *.ex.com ex.*:8080",
           "/api/v1/users", NULL, NULL, NULL, 0),
        mk("00000000-0000-4000-8000-000000000004", NULL, NULL,
           "~/users/(?<id>\\d+)/(\\w+)? ~/files/(.*)$ /users/x", NULL, NULL, NULL, 3),
        mk("00000000-0000-4000-8000-000000000005", NULL, "Api.Example.com:443", "/", "x-ver",
           "~*^v[0-9]+$ beta", NULL, 0),
        mk("00000000-0000-4000-8000-000000000006", "PUT", NULL, NULL, "x-team", "blue",
           "secure.ex.com", 0),
        mk("00000000-0000-4000-8000-000000000007", NULL, NULL, "~/(a|b)*c/(?<tail>.*)", NULL,
           NULL, NULL, -2),
        mk("00000000-0000-4000-8000-000000000008", NULL, "*.example.org", "/%2F/x /caf\xC3\xA9",
           NULL, NULL, NULL, 0),
    };
    router = sl_router_build(rs, sizeof(rs) / sizeof(rs[0]), &arena, NULL);
    if (router == NULL)
        FAIL("build");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    build();
    return 0;
}

static bool contains(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp(s + i, needle, nl) == 0)
            return true;
    return false;
}

static bool ends_with(const char *s, size_t len, const char *tail)
{
    size_t tl = strlen(tail);
    return len >= tl && memcmp(s + len - tl, tail, tl) == 0;
}

/* Takes the next '\n'-terminated field of the input. */
static sl_slice_t field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p;
    const uint8_t *nl = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
    const uint8_t *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    return sl_slice((const char *)s, (size_t)(e - s));
}

static void check_upstream(const sl_router_match_t *m, const char *path, size_t len)
{
    static const char *bases[] = {NULL, "/", "/svc", "/svc/"};
    char out[512];
    for (size_t b = 0; b < 4; b++) {
        size_t base_len = bases[b] ? strlen(bases[b]) : 1;
        for (int v = 0; v < 2; v++) {
            for (int strip = 0; strip < 2; strip++) {
                ssize_t n = (v ? sl_path_upstream_v1 : sl_path_upstream)(
                    bases[b], path, len, strip, m->prefix_len, out, sizeof(out));
                if (n < 0) {
                    if (base_len + len + 2 <= sizeof(out))
                        FAIL("upstream failed with room to spare");
                    continue;
                }
                if ((size_t)n >= sizeof(out) || out[n] != '\0')
                    FAIL("upstream not NUL-terminated within cap");
                if ((size_t)n > base_len + len + 1)
                    FAIL("upstream longer than base + request");
                if (n == 0 || out[0] != '/')
                    FAIL("upstream does not start with '/'");
            }
        }
    }
}

/* Differential check of a regex path: the router against PCRE2 run directly. */
static void check_regex(sl_slice_t pattern, const char *path, size_t len)
{
    if (pattern.len == 0 || pattern.len > 256 || memchr(pattern.p, '\0', pattern.len) != NULL)
        return;
    sl_arena_t a;
    sl_arena_init(&a, 0);
    char *rpath = sl_arena_alloc(&a, pattern.len + 2);
    rpath[0] = '~';
    memcpy(rpath + 1, pattern.p, pattern.len);
    rpath[pattern.len + 1] = '\0';
    sl_route_t *rt = sl_arena_calloc(&a, 1, sizeof(*rt));
    snprintf(rt->id, sizeof(rt->id), "re");
    rt->protocols = SL_PROTO_HTTP;
    rt->paths.v = sl_arena_calloc(&a, 1, sizeof(char *));
    rt->paths.v[0] = rpath;
    rt->paths.n = 1;
    sl_route_t *rs[] = {rt};
    sl_router_t *r = sl_router_build(rs, 1, &a, NULL);

    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)rpath + 1, pattern.len, PCRE2_ANCHORED, &ec, &eo,
                                     NULL);
    if (code == NULL) {
        if (sl_router_size(r) != 0)
            FAIL("router kept a regex PCRE2 rejects");
    } else {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
        pcre2_match_context *mc = pcre2_match_context_create(NULL);
        pcre2_set_match_limit(mc, 100000);
        int rc = pcre2_match(code, (PCRE2_SPTR)path, len, 0, 0, md, mc);
        sl_router_req_t req;
        memset(&req, 0, sizeof(req));
        req.method = SL_SLICE_LIT("GET");
        req.path = sl_slice(path, len);
        sl_router_match_t m;
        bool hit = sl_router_match(r, &req, &m);
        /* a PCRE2 error (match limit) gives no verdict */
        if (rc >= 0 && !hit)
            FAIL("router missed a regex match");
        if (rc == PCRE2_ERROR_NOMATCH && hit)
            FAIL("router matched what PCRE2 does not");
        if (hit && rc >= 0 && m.prefix_len != pcre2_get_ovector_pointer(md)[1] -
                                                  pcre2_get_ovector_pointer(md)[0])
            FAIL("regex prefix_len differs");
        pcre2_match_context_free(mc);
        pcre2_match_data_free(md);
        pcre2_code_free(code);
    }
    sl_arena_destroy(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    build();
    const uint8_t *p = data, *end = data + size;
    sl_slice_t method = field(&p, end);
    sl_slice_t hostport = field(&p, end);
    sl_slice_t raw = field(&p, end);
    sl_slice_t hline = field(&p, end);
    sl_slice_t regex = field(&p, end);

    /* host[:port] */
    sl_router_req_t req;
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.host = hostport;
    req.port = 80;
    const char *colon = memchr(hostport.p, ':', hostport.len);
    if (colon != NULL) {
        req.host.len = (size_t)(colon - hostport.p);
        unsigned port = 0;
        for (const char *c = colon + 1; c < hostport.p + hostport.len && *c >= '0' && *c <= '9';
             c++)
            port = (port * 10 + (unsigned)(*c - '0')) & 0xffff;
        req.port = (uint16_t)port;
    }
    req.https = size > 0 && (data[0] & 1);

    sl_header_t h;
    if (hline.len > 0) {
        const char *c = memchr(hline.p, ':', hline.len);
        h.name = sl_slice(hline.p, c ? (size_t)(c - hline.p) : hline.len);
        h.value = c ? sl_slice(c + 1, hline.len - h.name.len - 1) : sl_slice("", 0);
        while (h.value.len > 0 && h.value.p[0] == ' ') {
            h.value.p++;
            h.value.len--;
        }
        req.headers = &h;
        req.n_headers = 1;
    }

    char *norm = malloc(raw.len + 1);
    ssize_t n = sl_path_normalize(raw.p, raw.len, norm);
    if (n < 0) {
        if (raw.len > 0 && raw.p[0] == '/' && memchr(raw.p, '%', raw.len) == NULL)
            FAIL("normalize rejected a path without '%'");
        free(norm);
        return 0;
    }
    size_t len = (size_t)n;
    if (len > raw.len)
        FAIL("normalized longer than input");
    if (norm[len] != '\0')
        FAIL("normalized not NUL-terminated");
    if (len == 0 || norm[0] != '/')
        FAIL("normalized does not start with '/'");
    if (contains(norm, len, "//") || contains(norm, len, "/./") || contains(norm, len, "/../") ||
        ends_with(norm, len, "/.") || ends_with(norm, len, "/.."))
        FAIL("dot segment or double slash left");
    char *again = malloc(len + 1);
    ssize_t n2 = sl_path_normalize(norm, len, again);
    if (n2 != n || memcmp(again, norm, len) != 0)
        FAIL("normalize not idempotent");
    free(again);

    req.path = sl_slice(norm, len);
    sl_router_match_t m;
    if (sl_router_match(router, &req, &m)) {
        if (m.route == NULL)
            FAIL("match without route");
        if (m.prefix_len > len)
            FAIL("prefix_len beyond path");
        if (m.n_captures > SL_ROUTER_MAX_CAPTURES)
            FAIL("too many captures");
        for (size_t i = 0; i < m.n_captures; i++) {
            if (m.captures[i].len == (size_t)-1)
                continue;
            if (m.captures[i].off > len || m.captures[i].len > len - m.captures[i].off)
                FAIL("capture outside path");
        }
        check_upstream(&m, norm, len);
    } else if (m.route != NULL) {
        FAIL("no match but route set");
    }
    check_regex(regex, norm, len);
    free(norm);
    return 0;
}
