/*
 * Request heads. llhttp (strict mode) rejects the smuggling shapes itself: Content-Length with
 * Transfer-Encoding, duplicate Content-Length, bad chunk sizes, obs-fold, bare LF, invalid
 * bytes in names and values. What llhttp leaves to us is checked in sl_reqparse_build: Host
 * (exactly one for HTTP/1.1), the request-target form, the HTTP version.
 */
#include "http/reqparse.h"

#include <string.h>
#include <strings.h>

#include "core/path.h"
#include "core/xalloc.h"
#include "http/headers.h"

static int fail(sl_reqparse_t *p, sl_err_kind_t kind)
{
    p->err = kind;
    p->has_err = true;
    return HPE_USER;
}

static int on_message_begin(llhttp_t *l)
{
    sl_reqparse_t *p = l->data;
    p->started = true;
    sl_hdr_spans_reset(&p->spans);
    p->url_complete = false;
    p->method_len = p->url_len = 0;
    p->line_len = 0;
    p->line_carry = p->round_data = p->round_chunks = 0;
    return 0;
}

static void extend(sl_reqparse_t *p, uint32_t *off, uint32_t *len, const char *at, size_t n)
{
    if (*len == 0)
        *off = (uint32_t)(at - p->base);
    *len += (uint32_t)n;
}

static int on_method(llhttp_t *l, const char *at, size_t n)
{
    sl_reqparse_t *p = l->data;
    extend(p, &p->method_off, &p->method_len, at, n);
    return 0;
}

static int on_url(llhttp_t *l, const char *at, size_t n)
{
    sl_reqparse_t *p = l->data;
    extend(p, &p->url_off, &p->url_len, at, n);
    if (p->url_len > p->max_request_line)
        return fail(p, SL_ERR_URI_TOO_LONG);
    return 0;
}

static int on_url_complete(llhttp_t *l)
{
    ((sl_reqparse_t *)l->data)->url_complete = true;
    return 0;
}

/* nginx reads a head into large_client_header_buffers (4 x 8k): one header line (or
 * trailer line) that does not fit a buffer is 400 "Request header or cookie too large",
 * whatever the head's total. */
static int count_line(sl_reqparse_t *p, size_t n)
{
    p->line_len += n;
    if (p->line_len + 2 > p->max_request_line) /* ": " between name and value */
        return fail(p, SL_ERR_HEADER_TOO_LARGE);
    return 0;
}

static int on_header_field(llhttp_t *l, const char *at, size_t n)
{
    sl_reqparse_t *p = l->data;
    if (p->spans.in_value || p->spans.n == 0)
        p->line_len = 0; /* a new field begins */
    if (sl_hdr_spans_name(&p->spans, (size_t)(at - p->base), n) != 0)
        return fail(p, SL_ERR_HEADER_TOO_LARGE);
    return count_line(p, n);
}

static int on_header_value(llhttp_t *l, const char *at, size_t n)
{
    sl_reqparse_t *p = l->data;
    sl_hdr_spans_value(&p->spans, (size_t)(at - p->base), n);
    return count_line(p, n);
}

static int on_chunk_header(llhttp_t *l)
{
    ((sl_reqparse_t *)l->data)->round_chunks++;
    return 0;
}

static int on_headers_complete(llhttp_t *l)
{
    ((sl_reqparse_t *)l->data)->head_ready = true;
    return HPE_PAUSED; /* the head is handled outside the parser: sl_reqparse_build */
}

static int on_body(llhttp_t *l, const char *at, size_t n)
{
    sl_reqparse_t *p = l->data;
    p->round_data += n;
    return p->on_body ? p->on_body(p, at, n) : 0;
}

static int on_message_complete(llhttp_t *l)
{
    sl_reqparse_t *p = l->data;
    p->started = false;
    return p->on_message_complete ? p->on_message_complete(p) : 0;
}

static const llhttp_settings_t *settings(void)
{
    static llhttp_settings_t s;
    static bool init;
    if (!init) {
        llhttp_settings_init(&s);
        s.on_message_begin = on_message_begin;
        s.on_method = on_method;
        s.on_url = on_url;
        s.on_url_complete = on_url_complete;
        s.on_header_field = on_header_field;
        s.on_header_value = on_header_value;
        s.on_headers_complete = on_headers_complete;
        s.on_body = on_body;
        s.on_chunk_header = on_chunk_header;
        s.on_message_complete = on_message_complete;
        init = true;
    }
    return &s;
}

void sl_reqparse_init(sl_reqparse_t *p, size_t max_request_line, void *data)
{
    memset(p, 0, sizeof(*p));
    llhttp_init(&p->llhttp, HTTP_REQUEST, settings());
    p->llhttp.data = p;
    p->max_request_line = max_request_line;
    sl_hdr_spans_init(&p->spans, SL_MAX_HEADERS);
    p->data = data;
}

void sl_reqparse_free(sl_reqparse_t *p)
{
    sl_hdr_spans_free(&p->spans);
}

llhttp_errno_t sl_reqparse_execute(sl_reqparse_t *p, const char *base, size_t off, size_t len)
{
    p->base = base;
    return llhttp_execute(&p->llhttp, base + off, len);
}

void sl_reqparse_reset(sl_reqparse_t *p, void *data)
{
    llhttp_reset(&p->llhttp);
    p->llhttp.data = p;
    p->data = data;
    p->started = p->head_ready = p->url_complete = false;
    p->has_err = false;
    sl_hdr_spans_reset(&p->spans);
}

/* llhttp reports no byte of a chunk-size line but its extensions (and those only as data),
 * and accepts any number of leading zeros: a client could send one endless size line and
 * never be answered. So each round over a chunked body counts the bytes that were not
 * body data; while no chunk header completes they add up, and past SL_CHUNK_LINE_MAX the
 * body is refused. A round that completes a chunk header starts the count again, so a line
 * is allowed at most SL_CHUNK_LINE_MAX plus one read buffer. */
bool sl_reqparse_chunk_line_ok(sl_reqparse_t *p, size_t consumed)
{
    size_t framing = consumed > p->round_data ? consumed - p->round_data : 0;
    if (p->round_chunks)
        p->line_carry = 0;
    else
        p->line_carry += framing;
    p->round_data = 0;
    p->round_chunks = 0;
    return p->line_carry <= SL_CHUNK_LINE_MAX;
}

int sl_reqparse_build(sl_reqparse_t *p, const char *base, size_t head_end, sl_arena_t *arena,
                      uint16_t local_port, sl_req_t *req)
{
    llhttp_t *l = &p->llhttp;
    p->started = false;
    p->head_ready = false;

    /* copy the head out of the read buffer */
    size_t head_off = p->method_off;
    size_t head_len = head_end - head_off;
    char *head = sl_arena_alloc(arena, head_len + 1);
    memcpy(head, base + head_off, head_len);
#define REBASE(off, len) sl_slice(head + ((off) - head_off), (len))
    req->method = REBASE(p->method_off, p->method_len);
    req->target = REBASE(p->url_off, p->url_len);
    req->http_major = l->http_major;
    req->http_minor = l->http_minor;
    req->headers = sl_hdr_spans_headers(&p->spans, head - head_off, arena);
    req->n_headers = p->spans.n;
#undef REBASE
    req->is_head = SL_SLICE_EQ_LIT(req->method, "HEAD");
    req->is_trace = SL_SLICE_EQ_LIT(req->method, "TRACE");
    req->keep_alive = llhttp_should_keep_alive(l);
    req->upgrade = l->upgrade && !SL_SLICE_EQ_LIT(req->method, "CONNECT");
    req->chunked = (l->flags & F_CHUNKED) != 0;
    if (l->flags & F_CONTENT_LENGTH)
        req->content_length = l->content_length;
    req->has_body = req->chunked || req->content_length > 0;
    req->body_done = !req->has_body;

    if (req->http_major != 1)
        return 1 + SL_ERR_VERSION;
    if (SL_SLICE_EQ_LIT(req->method, "CONNECT"))
        return 1 + SL_ERR_BAD_REQUEST;

    size_t n_host = 0;
    bool h2c = false;
    sl_slice_t host = {0};
    for (size_t i = 0; i < req->n_headers; i++) {
        sl_header_t *h = &req->headers[i];
        if (SL_SLICE_IEQ_LIT(h->name, "host")) {
            n_host++;
            host = h->value;
        } else if (SL_SLICE_IEQ_LIT(h->name, "expect")) {
            if (!SL_SLICE_IEQ_LIT(h->value, "100-continue"))
                return 1 + SL_ERR_EXPECTATION_FAILED;
            req->expect_continue = req->http_minor >= 1;
        } else if (SL_SLICE_IEQ_LIT(h->name, "transfer-encoding")) {
            /* RFC 9112 6.1: a request whose final coding is not chunked cannot be framed
             * (llhttp would only notice after the head, and we pause there); and
             * Transfer-Encoding in an HTTP/1.0 request means the framing cannot be trusted
             * (an HTTP/1.0 hop may not know chunked), so it is refused too, as nginx and
             * HAProxy do */
            if (!req->chunked || req->http_minor == 0)
                return 1 + SL_ERR_BAD_REQUEST;
        } else if (SL_SLICE_IEQ_LIT(h->name, "connection") && req->upgrade) {
            if (!sl_header_has_token(h->value, "upgrade"))
                req->upgrade = false;
        } else if (SL_SLICE_IEQ_LIT(h->name, "upgrade")) {
            /* h2c through a proxy lets the upstream speak HTTP/2 on a connection the gateway
             * parses as HTTP/1 (a known smuggling vector): the upgrade is ignored (RFC 9113
             * 3.2 lets a server do so) and the request is proxied as plain HTTP/1.1 */
            if (sl_header_has_token(h->value, "h2c"))
                h2c = true;
        }
    }
    if (h2c)
        req->upgrade = false;
    /* RFC 9112 3.2: a 1.1 request without exactly one Host is a 400 */
    if (n_host > 1 || (n_host == 0 && req->http_minor >= 1))
        return 1 + SL_ERR_BAD_REQUEST;
    req->host_raw = host;

    /* request-target: origin-form, or absolute-form whose authority replaces Host */
    sl_slice_t t = req->target;
    if (t.len > 7 && strncasecmp(t.p, "http://", 7) == 0) {
        const char *a = t.p + 7, *end = t.p + t.len, *slash = a;
        while (slash < end && *slash != '/' && *slash != '?')
            slash++;
        host = sl_slice(a, (size_t)(slash - a));
        req->host_raw = host;
        t = sl_slice(slash, (size_t)(end - slash));
        if (t.len == 0 || t.p[0] != '/')
            t = sl_slice("/", 1);
    }
    if (t.len == 0 || t.p[0] != '/')
        return 1 + SL_ERR_BAD_REQUEST;
    const char *q = memchr(t.p, '?', t.len);
    if (q) {
        req->path = sl_slice(t.p, (size_t)(q - t.p));
        req->query = sl_slice(q + 1, (size_t)(t.p + t.len - q - 1));
        req->has_query = true;
    } else {
        req->path = t;
    }
    if (memchr(req->path.p, '#', req->path.len))
        return 1 + SL_ERR_BAD_REQUEST;

    /* Host: lower-cased, port split off (kong-compat 3.2) */
    req->port = local_port;
    if (host.len) {
        const char *h = host.p, *he = host.p + host.len;
        const char *colon = NULL;
        if (*h == '[') {
            const char *rb = memchr(h, ']', host.len);
            if (rb == NULL)
                return 1 + SL_ERR_BAD_REQUEST;
            if (rb + 1 < he && rb[1] == ':')
                colon = rb + 1;
            else if (rb + 1 != he)
                return 1 + SL_ERR_BAD_REQUEST;
        } else {
            colon = memchr(h, ':', host.len);
        }
        size_t hl = colon ? (size_t)(colon - h) : host.len;
        if (colon) {
            unsigned port = 0;
            const char *d = colon + 1;
            if (d == he)
                return 1 + SL_ERR_BAD_REQUEST;
            for (; d < he; d++) {
                if (*d < '0' || *d > '9' || (port = port * 10 + (unsigned)(*d - '0')) > 65535)
                    return 1 + SL_ERR_BAD_REQUEST;
            }
            req->port = (uint16_t)port;
        }
        char *lower = sl_arena_alloc(arena, hl + 1);
        for (size_t i = 0; i < hl; i++) {
            unsigned char ch = (unsigned char)h[i];
            if (ch <= ' ' || ch == '/' || ch == '\\' || ch == '@' || ch >= 0x7f)
                return 1 + SL_ERR_BAD_REQUEST;
            lower[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        lower[hl] = '\0';
        req->host = sl_slice(lower, hl);
    } else {
        req->host = sl_slice("", 0);
    }

    req->norm_path = sl_arena_alloc(arena, req->path.len + 1);
    ssize_t nl = sl_path_normalize(req->path.p, req->path.len, req->norm_path);
    if (nl < 0)
        return 1 + SL_ERR_BAD_REQUEST;
    req->norm_len = (size_t)nl;
    return 0;
}
