/* Unit tests for http/reqparse.c: heads, Host and target rules, smuggling shapes. */
#include "http/reqparse.h"

#include <stdio.h>
#include <stdlib.h>

#include "test.h"

typedef struct result {
    int rc;            /* -1: llhttp error; 0: built; >0: 1 + error kind */
    sl_req_t req;
} result_t;

static sl_arena_t arena;

/* Parses one head from <text>; the result's slices live in the arena until reset. */
static result_t parse(const char *text)
{
    result_t r;
    memset(&r, 0, sizeof(r));
    sl_reqparse_t p;
    sl_reqparse_init(&p, 64, NULL);
    size_t len = strlen(text);
    llhttp_errno_t err = sl_reqparse_execute(&p, text, 0, len);
    if (err == HPE_PAUSED) {
        size_t end = (size_t)(llhttp_get_error_pos(&p.llhttp) - text);
        r.rc = sl_reqparse_build(&p, text, end, &arena, 8000, &r.req);
    } else {
        r.rc = p.has_err ? 1 + (int)p.err : -1;
    }
    sl_reqparse_free(&p);
    return r;
}

static bool header_is(const sl_req_t *req, size_t i, const char *name, const char *value)
{
    return i < req->n_headers && sl_slice_eq(req->headers[i].name, name, strlen(name)) &&
           sl_slice_eq(req->headers[i].value, value, strlen(value));
}

static void test_basic(void)
{
    result_t r = parse("GET /a/b?x=1&y HTTP/1.1\r\nHost: Example.COM:8080\r\n"
                       "X-Test:  padded value  \r\nAccept: */*\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(SL_SLICE_EQ_LIT(r.req.method, "GET"));
    CHECK(SL_SLICE_EQ_LIT(r.req.path, "/a/b"));
    CHECK(SL_SLICE_EQ_LIT(r.req.query, "x=1&y"));
    CHECK(r.req.has_query);
    CHECK(SL_SLICE_EQ_LIT(r.req.host, "example.com"));
    CHECK_EQ_INT(r.req.port, 8080);
    CHECK_EQ_INT(r.req.n_headers, 3);
    CHECK(header_is(&r.req, 1, "X-Test", "padded value"));
    CHECK(r.req.keep_alive);
    CHECK(!r.req.has_body);
    CHECK(r.req.body_done);
}

static void test_normalization(void)
{
    result_t r = parse("GET /a/%2e%2e/b//c/./d%2f?q HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK_EQ_STR(r.req.norm_path, "/b/c/d%2F");
    CHECK(SL_SLICE_EQ_LIT(r.req.path, "/a/%2e%2e/b//c/./d%2f"));
    CHECK_EQ_INT(r.req.port, 8000); /* no port in Host: the listening port */
}

static void test_framing(void)
{
    result_t r = parse("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(r.req.has_body && !r.req.chunked);
    CHECK_EQ_INT(r.req.content_length, 12);
    r = parse("POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(r.req.has_body && r.req.chunked);
    r = parse("GET /x HTTP/1.0\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(!r.req.keep_alive);
    r = parse("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(r.req.keep_alive);
    r = parse("GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    CHECK(!r.req.keep_alive);
    r = parse("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(r.req.is_head);
    r = parse("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(r.req.expect_continue);
    r = parse("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 1\r\n\r\n");
    CHECK_EQ_INT(r.rc, 1 + SL_ERR_EXPECTATION_FAILED);
    r = parse("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
              "Upgrade: websocket\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(r.req.upgrade);
}

static void test_host_rules(void)
{
    CHECK_EQ_INT(parse("GET / HTTP/1.1\r\n\r\n").rc, 1 + SL_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").rc, 1 + SL_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n").rc, 1 + SL_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: a:\r\n\r\n").rc, 1 + SL_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n").rc, 1 + SL_ERR_BAD_REQUEST);
    result_t r = parse("GET / HTTP/1.1\r\nHost: [::1]:81\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(SL_SLICE_EQ_LIT(r.req.host, "[::1]"));
    CHECK_EQ_INT(r.req.port, 81);
    r = parse("GET http://Api.Example:81/v1/x?y HTTP/1.1\r\nHost: ignored\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(SL_SLICE_EQ_LIT(r.req.host, "api.example"));
    CHECK(SL_SLICE_EQ_LIT(r.req.path, "/v1/x"));
    CHECK_EQ_INT(parse("GET x HTTP/1.1\r\nHost: h\r\n\r\n").rc, -1 /* llhttp: bad URL */);
    CHECK_EQ_INT(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").rc, 1 + SL_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n").rc, 1 + SL_ERR_VERSION);
}

static void test_smuggling_shapes(void)
{
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                "Transfer-Encoding: chunked\r\n\r\n").rc != 0);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n").rc
          != 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n").rc != 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX\x01A: a\r\n\r\n").rc != 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7f\r\n\r\n").rc != 0);
    CHECK(parse("GET / HTTP/1.1\nHost: h\n\n").rc != 0);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n").rc != 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost : h\r\n\r\n").rc != 0);
    /* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request */
    CHECK_EQ_INT(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").rc,
                 1 + SL_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parse("POST / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n").rc,
                 1 + SL_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parse("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n").rc, 0);
}

static void test_upgrades(void)
{
    result_t r = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                       "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(!r.req.upgrade); /* h2c is never switched to through the gateway */
    r = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
              "Upgrade: websocket, H2C\r\n\r\n");
    CHECK(!r.req.upgrade);
    r = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    CHECK(r.req.upgrade);
    r = parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
    CHECK(!r.req.upgrade); /* Connection does not name it */
    r = parse("TRACE / HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK_EQ_INT(r.rc, 0);
    CHECK(r.req.is_trace);
}

static void test_limits(void)
{
    char line[256];
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    strcpy(line + 100, " HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK_EQ_INT(parse(line).rc, 1 + SL_ERR_URI_TOO_LONG); /* max_request_line is 64 here */
    /* one header line is held to the same size (nginx's large_client_header_buffers) */
    char head[512];
    snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: h\r\nX-Long: %062d\r\n\r\n", 0);
    CHECK_EQ_INT(parse(head).rc, 1 + SL_ERR_HEADER_TOO_LARGE);
    snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: h\r\nX-Long: %054d\r\n\r\n", 0);
    CHECK_EQ_INT(parse(head).rc, 0);
}

/* Feeds a chunked body in <piece>-byte rounds; returns whether every round passed the
 * chunk-size line check. */
static bool chunked_rounds_ok(const char *body, size_t piece)
{
    const char *head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    size_t hl = strlen(head), bl = strlen(body);
    char *buf = malloc(hl + bl);
    memcpy(buf, head, hl);
    memcpy(buf + hl, body, bl);
    sl_reqparse_t p;
    sl_reqparse_init(&p, 8192, NULL);
    bool ok = true;
    llhttp_errno_t err = sl_reqparse_execute(&p, buf, 0, hl);
    if (err == HPE_PAUSED)
        llhttp_resume(&p.llhttp);
    for (size_t off = hl; ok && off < hl + bl; off += piece) {
        size_t n = off + piece > hl + bl ? hl + bl - off : piece;
        err = sl_reqparse_execute(&p, buf, off, n);
        if (err != HPE_OK && err != HPE_PAUSED)
            break;
        ok = sl_reqparse_chunk_line_ok(&p, n);
        if (err == HPE_PAUSED)
            break;
    }
    sl_reqparse_free(&p);
    free(buf);
    return ok;
}

static void test_chunk_line_limit(void)
{
    static char body[16384];
    snprintf(body, sizeof(body), "5;a=%03000d\r\nhello\r\n0\r\n\r\n", 0);
    CHECK(chunked_rounds_ok(body, 100));
    CHECK(chunked_rounds_ok(body, 16384));
    snprintf(body, sizeof(body), "5;a=%05000d", 0); /* no end in sight */
    CHECK(!chunked_rounds_ok(body, 100));
    CHECK(!chunked_rounds_ok(body, 16384));
    memset(body, '0', 6000); /* leading zeros llhttp accepts without limit */
    body[6000] = '\0';
    CHECK(!chunked_rounds_ok(body, 1000));
    /* many small chunks: each size line is short */
    size_t n = 0;
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "1\r\nx\r\n");
    snprintf(body + n, sizeof(body) - n, "0\r\n\r\n");
    CHECK(chunked_rounds_ok(body, 7));
    CHECK(chunked_rounds_ok(body, 4096));
}

int main(void)
{
    sl_arena_init(&arena, 4096);
    test_basic();
    test_normalization();
    test_framing();
    test_host_rules();
    test_smuggling_shapes();
    test_upgrades();
    test_limits();
    test_chunk_line_limit();
    sl_arena_destroy(&arena);
    TEST_MAIN_END();
}
