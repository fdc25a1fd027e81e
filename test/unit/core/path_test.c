/*
 * Tests for lib/core/path.c: normalization (kong-compat.md 3.1), upstream path joining
 * (3.4; Kong's spec/fixtures/router_path_handling_tests.lua table, v0 and v1) and escaping.
 */
#include "core/path.h"
#include "test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Normalizes <in> and checks the result (NULL: must fail). */
static void norm_case(const char *in, size_t in_len, const char *want, size_t want_len, int line)
{
    char *out = malloc(in_len + 1);
    ssize_t n = sl_path_normalize(in, in_len, out);
    test_checks++;
    if (want == NULL) {
        if (n != -1) {
            test_failures++;
            fprintf(stderr, "line %d: normalize(\"%.*s\") = %zd, want -1\n", line, (int)in_len,
                    in, n);
        }
    } else if (n < 0 || (size_t)n != want_len || memcmp(out, want, want_len) != 0 ||
               out[n] != '\0') {
        test_failures++;
        fprintf(stderr, "line %d: normalize(\"%.*s\") = \"%.*s\" (%zd), want \"%s\"\n", line,
                (int)in_len, in, n < 0 ? 0 : (int)n, out, n, want);
    }
    free(out);
}

#define NORM(in, want) norm_case((in), strlen(in), (want), strlen(want), __LINE__)
#define NORM_BAD(in) norm_case((in), strlen(in), NULL, 0, __LINE__)

static void test_normalize(void)
{
    NORM("/", "/");
    NORM("/abc", "/abc");
    NORM("/abc/", "/abc/");
    /* reserved stay encoded, upper-cased */
    NORM("/a%2fb", "/a%2Fb");
    NORM("/a%2Fb", "/a%2Fb");
    NORM("/%3f%23%5b%5d%40%21%24%26%27%28%29%2a%2b%2c%3b%3d%3a%25",
         "/%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%25");
    /* unreserved and others decoded */
    NORM("/%41", "/A");
    NORM("/%7e%2D%5F%2e", "/~-_.");
    NORM("/a%20b", "/a b");
    NORM("/caf%C3%A9", "/caf\xC3\xA9");
    NORM("/caf\xC3\xA9", "/caf\xC3\xA9");
    NORM("/%22%3C%3E", "/\"<>");
    /* no double decoding: %25 stays, what follows is literal */
    NORM("/%2541", "/%2541");
    /* dot segments */
    NORM("/a/./b/../c", "/a/c");
    NORM("/..", "/");
    NORM("/.", "/");
    NORM("/../a", "/a");
    NORM("/a/../../b", "/b");
    NORM("/a/b/..", "/a/");
    NORM("/a/b/.", "/a/b/");
    NORM("/./", "/");
    NORM("/a/./", "/a/");
    NORM("/.../a", "/.../a");
    NORM("/a/.b/..c/b.", "/a/.b/..c/b.");
    NORM("/%2E%2E/a", "/a");
    NORM("/a/%2e/b", "/a/b");
    NORM("/a/b/%2E%2e", "/a/");
    NORM("/route%2E%2E/req", "/route../req");
    /* slashes merged */
    NORM("//a//b", "/a/b");
    NORM("//", "/");
    NORM("///a///", "/a/");
    NORM("/a//../b", "/b");
    NORM("/a/.//b", "/a/b");
    /* %2F is not a separator */
    NORM("/a%2F..%2Fb", "/a%2F..%2Fb");
    /* malformed */
    NORM_BAD("/%zz");
    NORM_BAD("/%4");
    NORM_BAD("/%");
    NORM_BAD("/a%g1");
    NORM_BAD("abc");
    NORM_BAD("");
    /* a decoded NUL is refused (nginx answers 400) */
    NORM_BAD("/a%00b");
}

typedef struct path_row {
    const char *service;  /* NULL = "/" */
    const char *route;    /* NULL = host-only route */
    int strip;            /* 0, 1, or 2 for both */
    int handling;         /* 0 = v0, 1 = v1, 2 = both */
    const char *request;  /* raw: normalized first */
    const char *expected;
} path_row_t;

/* Kong's spec/fixtures/router_path_handling_tests.lua, row by row. */
static const path_row_t kong_rows[] = {
    {"/", "/", 2, 2, "/", "/"},
    {"/", "/", 2, 2, "/route", "/route"},
    {"/", "/", 2, 2, "/route/", "/route/"},
    {"/", "/", 2, 2, "/routereq", "/routereq"},
    {"/", "/", 2, 2, "/route/req", "/route/req"},
    {"/", "/route", 0, 2, "/route", "/route"},
    {"/", "/route", 0, 2, "/route/", "/route/"},
    {"/", "/route", 0, 2, "/routereq", "/routereq"},
    {"/", "/route", 1, 2, "/route", "/"},
    {"/", "/route", 1, 2, "/route/", "/"},
    {"/", "/route", 1, 2, "/routereq", "/req"},
    {"/", "/route/", 0, 2, "/route/", "/route/"},
    {"/", "/route/", 0, 2, "/route/req", "/route/req"},
    {"/", "/route/", 1, 2, "/route/", "/"},
    {"/", "/route/", 1, 2, "/route/req", "/req"},
    {"/srv", "/rou", 0, 0, "/roureq", "/srv/roureq"},
    {"/srv", "/rou", 0, 1, "/roureq", "/srvroureq"},
    {"/srv", "/rou", 1, 0, "/roureq", "/srv/req"},
    {"/srv", "/rou", 1, 1, "/roureq", "/srvreq"},
    {"/srv/", "/rou", 0, 2, "/rou", "/srv/rou"},
    {"/srv/", "/rou", 1, 0, "/rou", "/srv"},
    {"/srv/", "/rou", 1, 1, "/rou", "/srv/"},
    {"/service", "/", 2, 2, "/", "/service"},
    {"/service", "/", 2, 0, "/route", "/service/route"},
    {"/service", "/", 2, 1, "/route", "/serviceroute"},
    {"/service", "/", 2, 0, "/route/", "/service/route/"},
    {"/service", "/", 2, 1, "/route/", "/serviceroute/"},
    {"/service", "/", 2, 0, "/routereq", "/service/routereq"},
    {"/service", "/", 2, 1, "/routereq", "/serviceroutereq"},
    {"/service", "/", 2, 0, "/route/req", "/service/route/req"},
    {"/service", "/", 2, 1, "/route/req", "/serviceroute/req"},
    {"/service", "/route", 0, 0, "/route", "/service/route"},
    {"/service", "/route", 0, 1, "/route", "/serviceroute"},
    {"/service", "/route", 0, 0, "/route/", "/service/route/"},
    {"/service", "/route", 0, 1, "/route/", "/serviceroute/"},
    {"/service", "/route", 0, 0, "/routereq", "/service/routereq"},
    {"/service", "/route", 0, 1, "/routereq", "/serviceroutereq"},
    {"/service", "/route", 1, 2, "/route", "/service"},
    {"/service", "/route", 1, 2, "/route/", "/service/"},
    {"/service", "/route", 1, 0, "/routereq", "/service/req"},
    {"/service", "/route", 1, 1, "/routereq", "/servicereq"},
    {"/service", "/route/", 0, 0, "/route/", "/service/route/"},
    {"/service", "/route/", 0, 1, "/route/", "/serviceroute/"},
    {"/service", "/route/", 0, 0, "/route/req", "/service/route/req"},
    {"/service", "/route/", 0, 1, "/route/req", "/serviceroute/req"},
    {"/service", "/route/", 1, 0, "/route/", "/service/"},
    {"/service", "/route/", 1, 1, "/route/", "/service"},
    {"/service", "/route/", 1, 0, "/route/req", "/service/req"},
    {"/service", "/route/", 1, 1, "/route/req", "/servicereq"},
    {"/service/", "/", 2, 0, "/route/", "/service/route/"},
    {"/service/", "/", 2, 1, "/route/", "/service/route/"},
    {"/service/", "/", 2, 2, "/", "/service/"},
    {"/service/", "/", 2, 2, "/route", "/service/route"},
    {"/service/", "/", 2, 2, "/routereq", "/service/routereq"},
    {"/service/", "/", 2, 2, "/route/req", "/service/route/req"},
    {"/service/", "/route", 0, 2, "/route", "/service/route"},
    {"/service/", "/route", 0, 2, "/route/", "/service/route/"},
    {"/service/", "/route", 0, 2, "/routereq", "/service/routereq"},
    {"/service/", "/route", 1, 0, "/route", "/service"},
    {"/service/", "/route", 1, 1, "/route", "/service/"},
    {"/service/", "/route", 1, 2, "/route/", "/service/"},
    {"/service/", "/route", 1, 2, "/routereq", "/service/req"},
    {"/service/", "/route/", 0, 2, "/route/", "/service/route/"},
    {"/service/", "/route/", 0, 2, "/route/req", "/service/route/req"},
    {"/service/", "/route/", 1, 2, "/route/", "/service/"},
    {"/service/", "/route/", 1, 2, "/route/req", "/service/req"},
    {"/", NULL, 2, 2, "/", "/"},
    {"/", NULL, 2, 2, "/route", "/route"},
    {"/", NULL, 2, 2, "/route/", "/route/"},
    {"/service", NULL, 2, 2, "/", "/service"},
    {"/service", NULL, 2, 0, "/route", "/service/route"},
    {"/service", NULL, 2, 1, "/route", "/serviceroute"},
    {"/service", NULL, 2, 0, "/route/", "/service/route/"},
    {"/service", NULL, 2, 1, "/route/", "/serviceroute/"},
    {"/service/", NULL, 2, 2, "/", "/service/"},
    {"/service/", NULL, 2, 2, "/route", "/service/route"},
    {"/service/", NULL, 2, 2, "/route/", "/service/route/"},
};

/* kong-compat.md 3.4 worked cases (v0), including those that go through normalization. */
static const path_row_t doc_rows[] = {
    {"/", "/route", 1, 0, "/route", "/"},
    {"/", "/route", 1, 0, "/route/", "/"},
    {"/", "/route", 1, 0, "/routereq", "/req"},
    {"/", "/route/", 1, 0, "/route/req", "/req"},
    {"/", "/route", 0, 0, "/routereq", "/routereq"},
    {"/srv", "/rou", 0, 0, "/roureq", "/srv/roureq"},
    {"/srv", "/rou", 1, 0, "/roureq", "/srv/req"},
    {"/srv/", "/rou", 1, 0, "/rou", "/srv"},
    {"/service", "/", 2, 0, "/", "/service"},
    {"/service", "/", 2, 0, "/route/", "/service/route/"},
    {"/service", "/route", 1, 0, "/route", "/service"},
    {"/service", "/route", 1, 0, "/route/", "/service/"},
    {"/service/", "/route", 1, 0, "/route", "/service"},
    {"/service/", "/route/", 1, 0, "/route/req", "/service/req"},
    {"/service/", "/", 2, 0, "/", "/service/"},
    {"/service", "/route", 1, 0, "/route%2E%2E/req", "/service/req"},
    {"/service", "/route", 0, 0, "/route%2E/req", "/service/route./req"},
    {"/service", NULL, 2, 0, "/route", "/service/route"},
    /* NULL service path means "/" */
    {NULL, "/route", 1, 0, "/route/x", "/x"},
    {NULL, NULL, 2, 0, "/route", "/route"},
    /* a stripped rest of "." / ".." / "./" / "../" is not sent as a dot segment */
    {"/service", "/route", 1, 0, "/route%2E", "/service"},
    {"/service", "/route", 1, 0, "/route./x", "/service/x"},
    {"/service/", "/route", 1, 0, "/route../x", "/service/x"},
};

static void run_rows(const path_row_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const path_row_t *r = &rows[i];
        size_t rl = strlen(r->request);
        char req[256], out[512];
        ssize_t req_len = sl_path_normalize(r->request, rl, req);
        CHECK(req_len > 0);
        if (req_len <= 0)
            continue;
        size_t prefix = r->route ? strlen(r->route) : 0;
        /* the route must match the normalized request */
        CHECK(r->route == NULL || strncmp(req, r->route, prefix) == 0);
        for (int strip = 0; strip <= 1; strip++) {
            if (r->strip != 2 && r->strip != strip)
                continue;
            for (int h = 0; h <= 1; h++) {
                if (r->handling != 2 && r->handling != h)
                    continue;
                ssize_t n_out = h == 0 ? sl_path_upstream(r->service, req, (size_t)req_len,
                                                          strip, prefix, out, sizeof(out))
                                       : sl_path_upstream_v1(r->service, req, (size_t)req_len,
                                                             strip, prefix, out, sizeof(out));
                test_checks++;
                if (n_out < 0 || strcmp(out, r->expected) != 0 ||
                    (size_t)n_out != strlen(r->expected)) {
                    test_failures++;
                    fprintf(stderr,
                            "row %zu: service %s route %s strip %d v%d request %s: got \"%s\" "
                            "(%zd), want \"%s\"\n",
                            i, r->service ? r->service : "(null)",
                            r->route ? r->route : "(none)", strip, h, r->request,
                            n_out < 0 ? "" : out, n_out, r->expected);
                }
            }
        }
    }
}

static void test_upstream_cap(void)
{
    char out[16];
    /* "/service/req" is 12 bytes + NUL */
    CHECK_EQ_INT(sl_path_upstream("/service", "/route/req", 10, true, 6, out, 13), 12);
    CHECK_EQ_STR(out, "/service/req");
    CHECK_EQ_INT(sl_path_upstream("/service", "/route/req", 10, true, 6, out, 12), -1);
    CHECK_EQ_INT(sl_path_upstream("/service", "/route/req", 10, true, 6, out, 0), -1);
    CHECK_EQ_INT(sl_path_upstream_v1("/srv", "/roureq", 7, true, 4, out, 8), 7);
    CHECK_EQ_STR(out, "/srvreq");
    CHECK_EQ_INT(sl_path_upstream_v1("/srv", "/roureq", 7, true, 4, out, 7), -1);
    /* a prefix longer than the request is clamped */
    CHECK_EQ_INT(sl_path_upstream("/s", "/a", 2, true, 99, out, sizeof(out)), 2);
    CHECK_EQ_STR(out, "/s");
    /* regex prefix: the whole match is stripped */
    CHECK_EQ_INT(sl_path_upstream("/up", "/v1/users/42", 12, true, 9, out, sizeof(out)), 6);
    CHECK_EQ_STR(out, "/up/42");
}

static void esc_case(const char *in, size_t len, const char *want, int line)
{
    char out[256];
    ssize_t n = sl_path_escape(in, len, out, sizeof(out));
    test_checks++;
    if (n < 0 || strcmp(out, want) != 0 || (size_t)n != strlen(want)) {
        test_failures++;
        fprintf(stderr, "line %d: escape = \"%s\", want \"%s\"\n", line, n < 0 ? "" : out, want);
    }
}

#define ESC(in, want) esc_case((in), strlen(in), (want), __LINE__)

static void test_escape(void)
{
    ESC("/abc/DEF/019", "/abc/DEF/019");
    ESC("/-_.~!#$&'()*+,/:;=?@[]%", "/-_.~!#$&'()*+,/:;=?@[]%");
    ESC("/a b", "/a%20b");
    ESC("/caf\xC3\xA9", "/caf%C3%A9");
    ESC("/\"<>\\^`{|}", "/%22%3C%3E%5C%5E%60%7B%7C%7D");
    ESC("/\x7f\x01", "/%7F%01");
    esc_case("/a\0b", 4, "/a%00b", __LINE__);
    ESC("", "");
    /* normalize then escape keeps reserved escapes and re-escapes decoded others */
    char norm[64], out[64];
    ssize_t n = sl_path_normalize("/a%20b%2fc%c3%a9", 16, norm);
    CHECK(n > 0);
    CHECK_EQ_INT(sl_path_escape(norm, (size_t)n, out, sizeof(out)), 16);
    CHECK_EQ_STR(out, "/a%20b%2Fc%C3%A9");
    /* capacity: result + NUL must fit */
    CHECK_EQ_INT(sl_path_escape("/a b", 4, out, 7), 6);
    CHECK_EQ_INT(sl_path_escape("/a b", 4, out, 6), -1);
    CHECK_EQ_INT(sl_path_escape("/ab", 3, out, 4), 3);
    CHECK_EQ_INT(sl_path_escape("/ab", 3, out, 3), -1);
    CHECK_EQ_INT(sl_path_escape("", 0, out, 1), 0);
    CHECK_EQ_INT(sl_path_escape("", 0, out, 0), -1);
}

int main(void)
{
    test_normalize();
    run_rows(kong_rows, sizeof(kong_rows) / sizeof(kong_rows[0]));
    run_rows(doc_rows, sizeof(doc_rows) / sizeof(doc_rows[0]));
    test_upstream_cap();
    test_escape();
    TEST_MAIN_END();
}
