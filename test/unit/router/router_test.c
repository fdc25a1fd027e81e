/*
 * Tests for lib/router/router.c (with trie.c and host.c): Kong traditional_compatible
 * matching and priority (kong-compat.md 3.2, 3.3). Routes are built by hand.
 */
#include "router/router.h"
#include "router/host.h"
#include "core/path.h"
#include "router/trie.h"
#include "test.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* Splits <spec> at spaces into an arena list; NULL or "" gives an empty list. */
static sl_strlist_t list(sl_arena_t *a, const char *spec)
{
    sl_strlist_t l = {0};
    if (spec == NULL || *spec == '\0')
        return l;
    size_t n = 1;
    for (const char *p = spec; *p; p++)
        n += *p == ' ';
    l.v = sl_arena_calloc(a, n, sizeof(*l.v));
    const char *s = spec;
    while (*s) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        l.v[l.n++] = sl_arena_strndup(a, s, len);
        s += len;
        while (*s == ' ')
            s++;
    }
    return l;
}

/* A route with id "<id>" (padded to look like a UUID when short). */
static sl_route_t *mk(sl_arena_t *a, const char *id, const char *methods, const char *hosts,
                      const char *paths)
{
    sl_route_t *r = sl_arena_calloc(a, 1, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->name = r->id;
    r->protocols = SL_PROTO_HTTP | SL_PROTO_HTTPS;
    r->methods = list(a, methods);
    r->hosts = list(a, hosts);
    r->paths = list(a, paths);
    r->strip_path = true;
    r->request_buffering = r->response_buffering = true;
    r->https_redirect_status_code = 426;
    r->pos.line = 1;
    r->pos.col = 1;
    return r;
}

/* Adds a header condition; <values> space-separated. */
static void add_header(sl_arena_t *a, sl_route_t *r, const char *name, const char *values)
{
    sl_route_header_t *h = sl_arena_calloc(a, r->n_headers + 1, sizeof(*h));
    if (r->n_headers)
        memcpy(h, r->headers, r->n_headers * sizeof(*h));
    h[r->n_headers].name = sl_arena_strdup(a, name);
    h[r->n_headers].values = list(a, values);
    r->headers = h;
    r->n_headers++;
}

typedef struct req_buf {
    sl_router_req_t req;
    sl_header_t headers[8];
} req_buf_t;

static sl_router_req_t *rq(req_buf_t *b, const char *method, const char *host, uint16_t port,
                           const char *path)
{
    memset(b, 0, sizeof(*b));
    b->req.method = sl_slice(method, strlen(method));
    b->req.host = sl_slice(host, strlen(host));
    b->req.port = port;
    b->req.path = sl_slice(path, strlen(path));
    b->req.headers = b->headers;
    return &b->req;
}

static void hdr(req_buf_t *b, const char *name, const char *value)
{
    sl_header_t *h = &b->headers[b->req.n_headers++];
    h->name = sl_slice(name, strlen(name));
    h->value = sl_slice(value, strlen(value));
}

/* Returns the id of the matched route, or "" for no match. */
static const char *match_id(const sl_router_t *r, const sl_router_req_t *req,
                            sl_router_match_t *m)
{
    if (!sl_router_match(r, req, m)) {
        CHECK(m->route == NULL);
        return "";
    }
    return m->route->id;
}

#define MATCH(r, req) match_id((r), (req), &m)

/* ---- cases ---- */

static void test_prefix_longer(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {mk(&a, "a", NULL, NULL, "/foo"), mk(&a, "b", NULL, NULL, "/foo/bar")};
    sl_router_t *r = sl_router_build(rs, 2, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_INT(sl_router_size(r), 2);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "x", 80, "/foo/bar/baz")), "b");
    CHECK_EQ_INT(m.prefix_len, 8);
    CHECK_EQ_INT(m.n_captures, 0);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "x", 80, "/foo/ba")), "a");
    CHECK_EQ_INT(m.prefix_len, 4);
    /* not segment aware */
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "x", 80, "/foobar")), "a");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "x", 80, "/foo")), "a");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "x", 80, "/fo")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "x", 80, "/")), "");
    sl_arena_destroy(&a);
}

static void test_regex_vs_prefix(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "prefix", NULL, NULL, "/users/123/profile"),
        mk(&a, "regex", NULL, NULL, "~/users/\\d+"),
    };
    sl_router_t *r = sl_router_build(rs, 2, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    /* same tier (paths only): regex beats even a longer prefix */
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/users/123/profile")), "regex");
    CHECK_EQ_INT(m.prefix_len, 10);
    /* anchored at the start, no implicit $ */
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/x/users/1")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/users/1abc")), "regex");
    sl_arena_destroy(&a);
}

static void test_regex_priority(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *lo = mk(&a, "lo", NULL, NULL, "~/api/.*");
    sl_route_t *hi = mk(&a, "hi", NULL, NULL, "~/api/v\\d+");
    sl_route_t *neg = mk(&a, "zz-neg", NULL, NULL, "~/api/v1/x");
    lo->regex_priority = 1;
    hi->regex_priority = 10;
    neg->regex_priority = -5;
    sl_route_t *rs[] = {lo, hi, neg};
    sl_router_t *r = sl_router_build(rs, 3, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/api/v2/x")), "hi");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/api/other")), "lo");
    /* a negative regex_priority ranks below 0 and 1 (zz-neg has the largest id) */
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/api/v1/x")), "hi");
    hi->regex_priority = -10;
    lo->regex_priority = -6;
    r = sl_router_build(rs, 3, &a, NULL);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/api/v1/x")), "zz-neg");
    sl_arena_destroy(&a);
}

static void test_more_fields_wins(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "host-root", NULL, "ex.com", "/"),
        mk(&a, "long-path", NULL, NULL, "/very/long/path/indeed"),
        mk(&a, "method-only", "GET", NULL, NULL),
    };
    sl_router_t *r = sl_router_build(rs, 3, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.com", 80, "/very/long/path/indeed")), "host-root");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "other.com", 80, "/very/long/path/indeed")),
                 "long-path");
    /* one field each: the path-only route has the length bits, method-only none */
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "other.com", 80, "/else")), "method-only");
    CHECK_EQ_INT(m.prefix_len, 0);
    CHECK_EQ_STR(MATCH(r, rq(&b, "POST", "other.com", 80, "/else")), "");
    sl_arena_destroy(&a);
}

static void test_plain_host_beats_wildcard(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "plain", NULL, "api.ex.com", "/"),
        mk(&a, "wild", NULL, "*.ex.com", "/a/much/longer/path"),
        mk(&a, "mixed", NULL, "api.ex.com *.ex.org", "/a/much/longer/path/still"),
    };
    sl_router_t *r = sl_router_build(rs, 3, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "api.ex.com", 80, "/a/much/longer/path")), "plain");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "www.ex.com", 80, "/a/much/longer/path")), "wild");
    /* a host list with one wildcard loses the plain-host bit */
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "api.ex.com", 80, "/a/much/longer/path/still")),
                 "plain");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "x.ex.org", 80, "/a/much/longer/path/still")),
                 "mixed");
    sl_arena_destroy(&a);
}

static void test_header_count(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *one = mk(&a, "one", NULL, NULL, "/");
    add_header(&a, one, "x-a", "1");
    sl_route_t *two = mk(&a, "two", NULL, NULL, "/");
    add_header(&a, two, "x-a", "1");
    add_header(&a, two, "x-b", "2");
    sl_route_t *path = mk(&a, "path", NULL, NULL, "/long/path/for/nothing");
    sl_route_t *rs[] = {one, two, path};
    sl_router_t *r = sl_router_build(rs, 3, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    rq(&b, "GET", "", 80, "/long/path/for/nothing");
    hdr(&b, "X-A", "1");
    hdr(&b, "X-B", "2");
    CHECK_EQ_STR(MATCH(r, &b.req), "two");
    rq(&b, "GET", "", 80, "/long/path/for/nothing");
    hdr(&b, "x-a", "1");
    CHECK_EQ_STR(MATCH(r, &b.req), "one");
    rq(&b, "GET", "", 80, "/long/path/for/nothing");
    hdr(&b, "x-b", "2");
    CHECK_EQ_STR(MATCH(r, &b.req), "path");
    sl_arena_destroy(&a);
}

static void test_methods(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "get", "GET HEAD", NULL, "/m"),
        mk(&a, "post", "POST", NULL, "/m"),
    };
    sl_router_t *r = sl_router_build(rs, 2, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/m")), "get");
    CHECK_EQ_STR(MATCH(r, rq(&b, "HEAD", "", 80, "/m")), "get");
    CHECK_EQ_STR(MATCH(r, rq(&b, "POST", "", 80, "/m/x")), "post");
    CHECK_EQ_STR(MATCH(r, rq(&b, "get", "", 80, "/m")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GETX", "", 80, "/m")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "DELETE", "", 80, "/m")), "");
    sl_arena_destroy(&a);
}

static void test_host_port(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "p8080", NULL, "ex.com:8080", "/p"),
        mk(&a, "p9090", NULL, "ex.com:9090 *.ex.com:9090", "/p"),
        mk(&a, "v6", NULL, "[::1]", NULL),
    };
    sl_router_t *r = sl_router_build(rs, 3, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.com", 8080, "/p")), "p8080");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.com", 9090, "/p")), "p9090");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "a.ex.com", 9090, "/p")), "p9090");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "a.ex.com", 8080, "/p")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.com", 80, "/p")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "[::1]", 80, "/")), "v6");
    sl_arena_destroy(&a);
}

static void test_wildcards(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "suffix", NULL, "*.ex.com", NULL),
        mk(&a, "prefix", NULL, "ex.*", NULL),
    };
    sl_router_t *r = sl_router_build(rs, 2, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "a.ex.com", 80, "/")), "suffix");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "a.b.ex.com", 80, "/x")), "suffix");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.com", 80, "/")), "prefix");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "xex.com", 80, "/")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.org", 80, "/")), "prefix");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.co.uk", 80, "/")), "prefix");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "eex.org", 80, "/")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "A.EX.COM", 80, "/")), "suffix");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "EX.ORG", 80, "/")), "prefix");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/")), "");
    sl_arena_destroy(&a);
}

static void test_host_case(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {mk(&a, "h", NULL, "Api.Example.COM", NULL)};
    sl_router_t *r = sl_router_build(rs, 1, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "api.example.com", 80, "/")), "h");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "API.EXAMPLE.COM", 80, "/")), "h");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "api.example.co", 80, "/")), "");
    sl_arena_destroy(&a);
}

static void test_headers(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *re = mk(&a, "re", NULL, NULL, NULL);
    add_header(&a, re, "x-version", "~*^v[12]$");
    sl_route_t *lit = mk(&a, "lit", NULL, NULL, NULL);
    add_header(&a, lit, "x-team", "Blue green");
    add_header(&a, lit, "x-env", "prod");
    sl_route_t *rs[] = {re, lit};
    sl_router_t *r = sl_router_build(rs, 2, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    rq(&b, "GET", "", 80, "/");
    hdr(&b, "X-Version", "V2");
    CHECK_EQ_STR(MATCH(r, &b.req), "re");
    rq(&b, "GET", "", 80, "/");
    hdr(&b, "x-version", "v3");
    CHECK_EQ_STR(MATCH(r, &b.req), "");
    /* one of several values of the same header is enough */
    rq(&b, "GET", "", 80, "/");
    hdr(&b, "x-version", "v3");
    hdr(&b, "X-VERSION", "v1");
    CHECK_EQ_STR(MATCH(r, &b.req), "re");
    /* literal values compare lower-cased; every configured name must match */
    rq(&b, "GET", "", 80, "/");
    hdr(&b, "X-Team", "BLUE");
    hdr(&b, "X-Env", "Prod");
    CHECK_EQ_STR(MATCH(r, &b.req), "lit");
    rq(&b, "GET", "", 80, "/");
    hdr(&b, "X-Team", "GREEN");
    CHECK_EQ_STR(MATCH(r, &b.req), "");
    rq(&b, "GET", "", 80, "/");
    hdr(&b, "X-Team", "blu");
    hdr(&b, "X-Env", "prod");
    CHECK_EQ_STR(MATCH(r, &b.req), "");
    sl_arena_destroy(&a);
}

/* Issue #9914: each path group of a route gets its own priority. */
static void test_path_groups(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "mixed", NULL, NULL, "/x ~/r/\\d+ /y/very/long/path /z"),
        mk(&a, "other", NULL, NULL, "/x/longer"),
    };
    sl_router_t *r = sl_router_build(rs, 2, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    /* mixed: one regex group, "/x" + "/z" (2 bytes), "/y/very/long/path" (17 bytes) */
    CHECK_EQ_INT(sl_router_size(r), 4);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/x/longer/still")), "other");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/x/long")), "mixed");
    CHECK_EQ_INT(m.prefix_len, 2);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/z")), "mixed");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/y/very/long/path/x")), "mixed");
    CHECK_EQ_INT(m.prefix_len, 17);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/r/77/x")), "mixed");
    CHECK_EQ_INT(m.prefix_len, 5);
    CHECK_EQ_INT(m.n_captures, 1);
    sl_arena_destroy(&a);
}

/* The literal-prefix prefilter in front of PCRE2 must never hide a match. */
static void test_regex_prefilter(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    static const struct {
        const char *re, *hit, *miss;
    } cases[] = {
        {"~/lit/(\\d+)", "/lit/5", "/lix/5"},
        {"~/a|/b", "/b/x", "/c"},
        {"~/ab?c", "/ac", "/adc"},
        {"~/ab*c", "/ac", "/abd"},
        {"~/ab+c", "/abbc", "/ac"},
        {"~/p{2}", "/pp", "/p"},
        {"~/x(?i)ABC", "/xabc", "/yabc"},
        {"~/v[]]x", "/v]x", "/vx"},
        {"~/(?:a|b)c", "/bc", "/cc"},
        {"~/q\\Q|\\E/r", "/q|/r", "/q/r"},
        {"~/(?<n>a)|/z", "/z", "/y"},
        {"~/k\\.json", "/k.json", "/kxjson"},
        {"~/w[[:alpha:](]|/b", "/b", "/c"},
        {"~u[[:(]|/b", "/b", "/c"},
        {"~/[[:^digit:]]|/b", "/b", "/1"},
        {"~/s(?#)|/b", "/b", "/c"},
        {"~/caf\xC3\xA9", "/caf\xC3\xA9", "/cafe"},
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++) {
        sl_route_t *rt = mk(&a, "re", NULL, NULL, NULL);
        rt->paths.v = sl_arena_calloc(&a, 1, sizeof(char *));
        rt->paths.v[0] = cases[i].re;
        rt->paths.n = 1;
        sl_route_t *rs[] = {rt};
        sl_router_t *r = sl_router_build(rs, 1, &a, NULL);
        req_buf_t b;
        sl_router_match_t m;
        CHECK_EQ_INT(sl_router_size(r), 1);
        test_checks++;
        if (strcmp(MATCH(r, rq(&b, "GET", "", 80, cases[i].hit)), "re") != 0) {
            test_failures++;
            fprintf(stderr, "regex %s did not match %s\n", cases[i].re, cases[i].hit);
        }
        test_checks++;
        if (strcmp(MATCH(r, rq(&b, "GET", "", 80, cases[i].miss)), "") != 0) {
            test_failures++;
            fprintf(stderr, "regex %s matched %s\n", cases[i].re, cases[i].miss);
        }
    }
    sl_arena_destroy(&a);
}

static void test_tie_by_id(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    const char *lo = "11111111-1111-4111-8111-111111111111";
    const char *hi = "AAAAAAAA-1111-4111-8111-111111111111";
    sl_route_t *x = mk(&a, lo, NULL, NULL, "/same");
    sl_route_t *y = mk(&a, hi, NULL, NULL, "/same");
    req_buf_t b;
    sl_router_match_t m;
    sl_route_t *rs1[] = {x, y};
    sl_router_t *r = sl_router_build(rs1, 2, &a, NULL);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/same")), hi);
    sl_route_t *rs2[] = {y, x};
    r = sl_router_build(rs2, 2, &a, NULL);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/same")), hi);
    /* across lists too: a regex tie is decided by id as well */
    sl_route_t *p = mk(&a, lo, NULL, NULL, "~/t");
    sl_route_t *q = mk(&a, "bbbbbbbb-1111-4111-8111-111111111111", NULL, NULL, "~/t");
    sl_route_t *rs3[] = {q, p};
    r = sl_router_build(rs3, 2, &a, NULL);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/t")), "bbbbbbbb-1111-4111-8111-111111111111");
    sl_arena_destroy(&a);
}

static void test_no_match(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {mk(&a, "h", "GET", "ex.com", "/a")};
    sl_router_t *r = sl_router_build(rs, 1, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.com", 80, "/b")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "ex.org", 80, "/a")), "");
    CHECK_EQ_STR(MATCH(r, rq(&b, "PUT", "ex.com", 80, "/a")), "");
    CHECK(!sl_router_match(r, rq(&b, "GET", "", 80, "/a"), &m));
    /* empty router */
    r = sl_router_build(NULL, 0, &a, NULL);
    CHECK(r != NULL);
    CHECK_EQ_INT(sl_router_size(r), 0);
    CHECK(!sl_router_match(r, rq(&b, "GET", "ex.com", 80, "/a"), &m));
    sl_arena_destroy(&a);
}

static void test_captures(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *rs[] = {
        mk(&a, "c", NULL, NULL, "~/users/(?<id>\\d+)/(\\w+)"),
        mk(&a, "o", NULL, NULL, "~/opt(/(\\d+))?(?P<tail>/.*)?$"),
    };
    sl_router_t *r = sl_router_build(rs, 2, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    const char *path = "/users/42/posts/x";
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, path)), "c");
    CHECK_EQ_INT(m.n_captures, 3);
    CHECK_EQ_INT(m.prefix_len, 15);
    CHECK_EQ_INT(m.captures[0].off, 0);
    CHECK_EQ_INT(m.captures[0].len, 15);
    CHECK(m.captures[0].name == NULL);
    CHECK_EQ_INT(m.captures[1].off, 7);
    CHECK_EQ_INT(m.captures[1].len, 2);
    CHECK_EQ_STR(m.captures[1].name, "id");
    CHECK_EQ_INT(m.captures[2].off, 10);
    CHECK_EQ_INT(m.captures[2].len, 5);
    CHECK(m.captures[2].name == NULL);

    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/opt")), "o");
    CHECK_EQ_INT(m.n_captures, 4);
    CHECK_EQ_INT(m.captures[1].len, (size_t)-1);
    CHECK_EQ_INT(m.captures[2].len, (size_t)-1);
    CHECK_EQ_INT(m.captures[3].len, (size_t)-1);
    CHECK_EQ_STR(m.captures[3].name, "tail");
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/opt/5/rest")), "o");
    CHECK_EQ_INT(m.captures[2].off, 5);
    CHECK_EQ_INT(m.captures[2].len, 1);
    CHECK_EQ_INT(m.captures[3].off, 6);
    CHECK_EQ_INT(m.captures[3].len, 5);
    CHECK_EQ_INT(m.prefix_len, 11);

    /* more groups than SL_ROUTER_MAX_CAPTURES: still a match, captures capped */
    char pat[256] = "~/many";
    for (int i = 0; i < 20; i++)
        strcat(pat, "(.)");
    sl_route_t *many = mk(&a, "many", NULL, NULL, pat);
    sl_route_t *rs2[] = {many};
    r = sl_router_build(rs2, 1, &a, NULL);
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/manyabcdefghijklmnopqrstuvwxyz")), "many");
    CHECK_EQ_INT(m.n_captures, SL_ROUTER_MAX_CAPTURES);
    CHECK_EQ_INT(m.captures[1].off, 5);
    CHECK_EQ_INT(m.captures[1].len, 1);
    sl_arena_destroy(&a);
}

static void test_snis(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *s = mk(&a, "sni", NULL, NULL, "/s");
    s->snis = list(&a, "secure.ex.com.");
    sl_route_t *rs[] = {s};
    sl_router_t *r = sl_router_build(rs, 1, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "other.com", 80, "/s")), "sni");
    rq(&b, "GET", "other.com", 443, "/s");
    b.req.https = true;
    CHECK_EQ_STR(MATCH(r, &b.req), "");
    rq(&b, "GET", "secure.ex.com", 443, "/s");
    b.req.https = true;
    CHECK_EQ_STR(MATCH(r, &b.req), "sni");
    sl_arena_destroy(&a);
}

static void test_bad_regex_and_stream(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_diag_t d;
    sl_diag_init(&d, "kong.yml");
    sl_route_t *bad = mk(&a, "bad", NULL, NULL, "/ok ~/broken(");
    bad->pos.line = 7;
    bad->pos.col = 5;
    sl_route_t *badh = mk(&a, "badh", NULL, NULL, "/h");
    add_header(&a, badh, "x-a", "~*[");
    sl_route_t *stream = mk(&a, "tcp", NULL, NULL, "/ok");
    stream->protocols = SL_PROTO_TCP;
    sl_route_t *good = mk(&a, "good", NULL, NULL, "/o");
    sl_route_t *rs[] = {bad, badh, stream, good};
    sl_router_t *r = sl_router_build(rs, 4, &a, &d);
    CHECK(r != NULL);
    CHECK_EQ_INT(d.n, 2);
    if (d.n > 0) {
        CHECK_EQ_INT(d.v[0].line, 7);
        CHECK_EQ_INT(d.v[0].col, 5);
        CHECK(strstr(d.v[0].msg, "broken(") != NULL);
    }
    CHECK_EQ_INT(sl_router_size(r), 1);
    req_buf_t b;
    sl_router_match_t m;
    CHECK_EQ_STR(MATCH(r, rq(&b, "GET", "", 80, "/ok")), "good");
    sl_diag_free(&d);
    sl_arena_destroy(&a);
}

/* Once a thread has its match block, matching allocates nothing. */
static void test_no_alloc(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_route_t *h = mk(&a, "h", NULL, NULL, NULL);
    add_header(&a, h, "x-v", "~*^a");
    sl_route_t *rs[] = {
        mk(&a, "p", "GET", "ex.com *.ex.org", "/a /bb"),
        mk(&a, "r", NULL, NULL, "~/(?<x>r)+"),
        h,
    };
    sl_router_t *r = sl_router_build(rs, 3, &a, NULL);
    req_buf_t b;
    sl_router_match_t m;
    rq(&b, "GET", "x.ex.org", 80, "/rrr");
    hdr(&b, "x-v", "abc");
    (void)sl_router_match(r, &b.req, &m);
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 1000; i++) {
        CHECK(sl_router_match(r, rq(&b, "GET", "ex.com", 80, "/a/x"), &m));
        rq(&b, "GET", "x.ex.org", 80, "/rrr");
        hdr(&b, "x-v", "abc");
        CHECK(sl_router_match(r, &b.req, &m));
        CHECK(!sl_router_match(r, rq(&b, "PUT", "none", 80, "/zzz"), &m));
    }
    struct mallinfo2 after = mallinfo2();
    CHECK_EQ_INT(after.uordblks, before.uordblks);
    sl_arena_destroy(&a);
}

static void test_trie(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_trie_t t;
    sl_trie_init(&t);
    static const char *keys[] = {"/foo", "/foobar", "/fo", "/f", "/bar", "/foo/x", "/"};
    int vals[7];
    for (int i = 0; i < 7; i++)
        *sl_trie_insert(&t, &a, keys[i], strlen(keys[i])) = &vals[i];
    for (int i = 0; i < 7; i++)
        CHECK(sl_trie_find(&t, keys[i], strlen(keys[i])) == &vals[i]);
    CHECK(sl_trie_find(&t, "/fooba", 6) == NULL);
    CHECK(sl_trie_find(&t, "/b", 2) == NULL);
    sl_trie_walk_t w;
    size_t len;
    const char *q = "/foobarbaz";
    sl_trie_walk_init(&w, &t, q, strlen(q));
    size_t want[] = {1, 2, 3, 4, 7};
    int n = 0;
    void *v;
    while ((v = sl_trie_walk_next(&w, &len)) != NULL) {
        CHECK(n < 5);
        if (n < 5)
            CHECK_EQ_INT(len, want[n]);
        n++;
    }
    CHECK_EQ_INT(n, 5);
    sl_arena_destroy(&a);
}

static void test_host_parse(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_host_pattern_t p;
    CHECK_EQ_INT(sl_host_parse(&a, "Ex.COM:8080", &p), 0);
    CHECK_EQ_STR(p.name, "ex.com");
    CHECK_EQ_INT(p.port, 8080);
    CHECK_EQ_INT(p.kind, SL_HOST_EXACT);
    CHECK_EQ_INT(sl_host_parse(&a, "*.ex.com", &p), 0);
    CHECK_EQ_STR(p.name, ".ex.com");
    CHECK_EQ_INT(p.kind, SL_HOST_SUFFIX);
    CHECK_EQ_INT(p.port, -1);
    CHECK_EQ_INT(sl_host_parse(&a, "ex.*:99", &p), 0);
    CHECK_EQ_STR(p.name, "ex.");
    CHECK_EQ_INT(p.kind, SL_HOST_PREFIX);
    CHECK_EQ_INT(p.port, 99);
    CHECK(sl_host_parse(&a, "a.*.com", &p) < 0);
    CHECK(sl_host_parse(&a, "*.*", &p) < 0);
    CHECK(sl_host_parse(&a, "*", &p) < 0);
    CHECK(sl_host_parse(&a, "", &p) < 0);
    CHECK(sl_host_parse(&a, ":80", &p) < 0);
    sl_arena_destroy(&a);
}

int main(void)
{
    test_trie();
    test_host_parse();
    test_prefix_longer();
    test_regex_vs_prefix();
    test_regex_priority();
    test_more_fields_wins();
    test_plain_host_beats_wildcard();
    test_header_count();
    test_methods();
    test_host_port();
    test_wildcards();
    test_host_case();
    test_headers();
    test_path_groups();
    test_regex_prefilter();
    test_tie_by_id();
    test_no_match();
    test_captures();
    test_snis();
    test_bad_regex_and_stream();
    test_no_alloc();
    TEST_MAIN_END();
}
