/*
 * Proxying one request: pick a peer, send the rewritten head and stream the body through the
 * upstream client (proxy/client.h: the keep-alive pool, the response parser, backpressure),
 * and give the response to the response stream with its headers rewritten, or tunnel after a
 * 101. Connection failures are retried on the next peer up to service.retries times (Kong's
 * nginx next-upstream on "error timeout" for the connect phase); upstream failures map to
 * Kong's 502/503/504 in fail() only.
 */
#include "proxy/proxy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "balancer/balancer.h"
#include "core/log.h"
#include "core/path.h"
#include "http/conn.h"
#include "http/errors.h"
#include "http/h1write.h"
#include "http/headers.h"
#include "http/hlist.h"
#include "http/response.h"
#include "plugin/chain.h"
#include "plugin/pdk.h"
#include "proxy/client.h"
#include "proxy/dns.h"
#include "proxy/upstream.h"
#include "snapshot/snapshot.h"

struct sl_proxy {
    sl_req_t *req;
    sl_conn_t *conn;
    sl_worker_t *w;
    const sl_service_t *svc;
    const sl_balancer_t *bal;
    int tries_left;
    uint64_t tried;
    int peer;
    sl_err_kind_t last_err;
    sl_dns_waiter_t *dns_waiter;
    sl_upclient_t *x;          /* the exchange with the peer tried now */
    sl_upconn_t *up;           /* the connection, once a 101 made it a tunnel */
    uv_buf_t head[2];          /* what the exchange sends first: the head, a read body */

    const char *prefix;        /* stripped prefix for X-Forwarded-Prefix, or NULL */
    size_t prefix_len;

    /* request side */
    bool head_sent;
    bool req_body_sent;        /* all of the request body was written upstream */
    bool body_started;         /* some body bytes were written upstream */
    bool body_reading;         /* the client's body is being read (sl_conn_body_start) */
    char req_chunk_hdr[24];

    /* response side */
    bool head_received;
    bool complete;
    bool upgrade_ok;
    bool client_write_pending;
    bool tunnel;
    bool tunnel_close_after_write;
};

static void pick_and_connect(sl_proxy_t *p);
static void fail(sl_proxy_t *p, sl_err_kind_t kind);

/* ---- failure ------------------------------------------------------------------------ */

static void drop_upstream(sl_proxy_t *p)
{
    sl_upclient_cancel(p->x);
    p->x = NULL;
    if (p->up) {
        p->up->owner = NULL;
        sl_upconn_close(p->up);
        p->up = NULL;
    }
    if (p->dns_waiter) {
        sl_dns_cancel(p->dns_waiter);
        p->dns_waiter = NULL;
    }
}

static void fail(sl_proxy_t *p, sl_err_kind_t kind)
{
    sl_req_t *req = p->req;
    drop_upstream(p);
    req->proxy = NULL;
    if (req->response_started) {
        /* part of the response is out: the only honest thing left is to cut it short */
        sl_conn_close(p->conn);
        return;
    }
    sl_req_send_error(p->req, kind);
}

void sl_proxy_abort(sl_req_t *req)
{
    sl_proxy_t *p = req->proxy;
    if (p == NULL)
        return;
    drop_upstream(p);
    req->proxy = NULL;
}

/* An attempt failed before any response byte: try another peer if allowed. */
static void attempt_failed(sl_proxy_t *p, sl_err_kind_t kind, bool free_retry)
{
    drop_upstream(p);
    p->last_err = kind;
    if (free_retry) {
        /* a keep-alive connection the upstream had closed: not the peer's fault */
        pick_and_connect(p);
        return;
    }
    /* a request that reached the upstream is sent again only if repeating it is harmless
     * (nginx: non-idempotent requests are not passed to the next server once sent) */
    bool idempotent = !(SL_SLICE_EQ_LIT(p->req->method, "POST") ||
                        SL_SLICE_EQ_LIT(p->req->method, "PATCH") ||
                        SL_SLICE_EQ_LIT(p->req->method, "LOCK"));
    if (p->tries_left > 0 && !p->body_started && (!p->head_sent || idempotent)) {
        p->tries_left--;
        pick_and_connect(p);
        return;
    }
    fail(p, kind);
}

/* ---- the request head --------------------------------------------------------------- */

static bool skip_request_header(sl_slice_t name, const sl_conn_tokens_t *tok)
{
    if (sl_header_is_hop_by_hop(name, tok))
        return true;
    switch (name.len) {
    case 3:
        return SL_SLICE_IEQ_LIT(name, "via");
    case 4:
        return SL_SLICE_IEQ_LIT(name, "host");
    case 6:
        return SL_SLICE_IEQ_LIT(name, "expect");
    case 9:
        return SL_SLICE_IEQ_LIT(name, "x-real-ip");
    case 14:
        return SL_SLICE_IEQ_LIT(name, "content-length");
    case 15:
        return SL_SLICE_IEQ_LIT(name, "x-forwarded-for");
    case 16:
        return SL_SLICE_IEQ_LIT(name, "x-forwarded-host") ||
               SL_SLICE_IEQ_LIT(name, "x-forwarded-port") ||
               SL_SLICE_IEQ_LIT(name, "x-forwarded-path");
    case 17:
        return SL_SLICE_IEQ_LIT(name, "x-forwarded-proto") ||
               SL_SLICE_IEQ_LIT(name, "x-kong-request-id");
    case 18:
        return SL_SLICE_IEQ_LIT(name, "x-forwarded-prefix");
    }
    return false;
}

/* The X-Forwarded-* headers a trusted peer may set (index into build_request_head's fwd). */
enum { FWD_PROTO, FWD_HOST, FWD_PORT, FWD_PATH, FWD_PREFIX };

static int forwarded_index(sl_slice_t name)
{
    if (name.len < 16 || !sl_slice_ieq(sl_slice(name.p, 12), "x-forwarded-", 12))
        return -1;
    sl_slice_t rest = sl_slice(name.p + 12, name.len - 12);
    if (SL_SLICE_IEQ_LIT(rest, "proto"))
        return FWD_PROTO;
    if (SL_SLICE_IEQ_LIT(rest, "host"))
        return FWD_HOST;
    if (SL_SLICE_IEQ_LIT(rest, "port"))
        return FWD_PORT;
    if (SL_SLICE_IEQ_LIT(rest, "path"))
        return FWD_PATH;
    if (SL_SLICE_IEQ_LIT(rest, "prefix"))
        return FWD_PREFIX;
    return -1;
}

static void build_request_head(sl_proxy_t *p, sl_hbuf_t *hb, const sl_peer_t *peer)
{
    sl_req_t *req = p->req;
    sl_conn_t *c = p->conn;
    const sl_settings_t *s = p->w->settings;
    sl_conn_tokens_t tok;
    sl_conn_tokens_parse(&tok, req->headers, req->n_headers);

    sl_hbuf_init(hb, req->arena, 512 + req->target.len + req->n_headers * 48);
    sl_hbuf_slice(hb, req->method);
    sl_hbuf_lit(hb, " ");
    sl_hbuf_slice(hb, req->upstream_uri);
    sl_hbuf_lit(hb, " HTTP/1.1\r\nHost: ");
    if (p->req->route->preserve_host && req->host_raw.len)
        sl_hbuf_slice(hb, req->host_raw);
    else
        sl_hbuf_append(hb, peer->host_header, strlen(peer->host_header));
    sl_hbuf_lit(hb, "\r\n");

    sl_slice_t via_in[8];
    size_t n_via = 0;
    bool te_trailers = false;
    bool first_xff = true;
    sl_hbuf_t xff = {0}; /* the client's X-Forwarded-For values, joined; only if it sent any */
    /* X-Forwarded-Proto/Host/Port/Path/Prefix from a trusted peer pass on (Kong's runloop:
     * kong.ip.is_trusted(realip_remote_addr)) */
    bool trusted = sl_req_peer_trusted(req);
    sl_slice_t fwd[5] = {{0}};
    for (size_t i = 0; i < req->n_headers; i++) {
        const sl_header_t *h = &req->headers[i];
        if (req->n_up_set && sl_pdk_upstream_header_set(req, h->name))
            continue; /* a plugin set its own value (sent below) */
        if (skip_request_header(h->name, &tok)) {
            int f = trusted ? forwarded_index(h->name) : -1;
            if (f >= 0 && fwd[f].p == NULL)
                fwd[f] = h->value;
            if (SL_SLICE_IEQ_LIT(h->name, "x-forwarded-for") && h->value.len) {
                if (first_xff)
                    sl_hbuf_init(&xff, req->arena, 64 + h->value.len);
                else
                    sl_hbuf_lit(&xff, ", ");
                sl_hbuf_slice(&xff, h->value);
                first_xff = false;
            } else if (SL_SLICE_IEQ_LIT(h->name, "via") && n_via < 8) {
                via_in[n_via++] = h->value;
            } else if (SL_SLICE_IEQ_LIT(h->name, "te")) {
                te_trailers |= sl_header_has_token(h->value, "trailers");
            }
            continue;
        }
        sl_hbuf_header(hb, h->name, h->value);
    }
    /* kong-compat 3.6: X-Forwarded-* describe what the gateway received; unless the peer is
     * trusted the client's values are replaced, except X-Forwarded-For which is appended to:
     * the client's list plus the peer, or without a list the client address (Kong's runloop
     * appends realip_remote_addr, else sends remote_addr) */
    const char *client_ip = sl_req_client_ip(req);
    sl_hbuf_lit(hb, "X-Forwarded-For: ");
    if (!first_xff) {
        sl_hbuf_append(hb, xff.p, xff.len);
        sl_hbuf_lit(hb, ", ");
        sl_hbuf_str(hb, c->peer_ip);
    } else {
        sl_hbuf_str(hb, client_ip);
    }
    sl_hbuf_lit(hb, "\r\nX-Forwarded-Proto: ");
    if (fwd[FWD_PROTO].p)
        sl_hbuf_slice(hb, fwd[FWD_PROTO]);
    else
        sl_hbuf_str(hb, sl_transport_scheme(&c->tr));
    sl_hbuf_lit(hb, "\r\nX-Forwarded-Host: ");
    sl_hbuf_slice(hb, fwd[FWD_HOST].p ? fwd[FWD_HOST] : req->host);
    sl_hbuf_lit(hb, "\r\nX-Forwarded-Port: ");
    if (fwd[FWD_PORT].p)
        sl_hbuf_slice(hb, fwd[FWD_PORT]);
    else
        sl_hbuf_u64(hb, c->local_port);
    sl_hbuf_lit(hb, "\r\nX-Forwarded-Path: ");
    sl_hbuf_slice(hb, fwd[FWD_PATH].p ? fwd[FWD_PATH] : req->path);
    sl_hbuf_lit(hb, "\r\n");
    if (fwd[FWD_PREFIX].p || p->prefix) {
        sl_hbuf_lit(hb, "X-Forwarded-Prefix: ");
        if (fwd[FWD_PREFIX].p)
            sl_hbuf_slice(hb, fwd[FWD_PREFIX]);
        else
            sl_hbuf_append(hb, p->prefix, p->prefix_len);
        sl_hbuf_lit(hb, "\r\n");
    }
    sl_hbuf_lit(hb, "X-Real-IP: ");
    sl_hbuf_str(hb, client_ip);
    sl_hbuf_lit(hb, "\r\nVia: ");
    for (size_t i = 0; i < n_via; i++) {
        sl_hbuf_slice(hb, via_in[i]);
        sl_hbuf_lit(hb, ", ");
    }
    sl_hbuf_u64(hb, req->http_major);
    sl_hbuf_lit(hb, ".");
    sl_hbuf_u64(hb, req->http_minor);
    sl_hbuf_lit(hb, " " SL_SERVER_TOKEN "\r\n");
    if (s->headers_upstream & SL_HDR_REQUEST_ID) {
        sl_hbuf_lit(hb, "X-Kong-Request-Id: ");
        sl_hbuf_append(hb, req->id, 32);
        sl_hbuf_lit(hb, "\r\n");
    }
    if (req->body_buffered && req->has_body) {
        /* read whole by a plugin (maybe changed): its length, chunked or not before */
        sl_hbuf_lit(hb, "Content-Length: ");
        sl_hbuf_u64(hb, req->body_len);
        sl_hbuf_lit(hb, "\r\n");
    } else if (req->chunked)
        sl_hbuf_lit(hb, "Transfer-Encoding: chunked\r\n");
    else if (req->has_body ||
             (req->content_length == 0 && (SL_SLICE_EQ_LIT(req->method, "POST") ||
                                           SL_SLICE_EQ_LIT(req->method, "PUT") ||
                                           SL_SLICE_EQ_LIT(req->method, "PATCH"))))
    {
        sl_hbuf_lit(hb, "Content-Length: ");
        sl_hbuf_u64(hb, req->content_length);
        sl_hbuf_lit(hb, "\r\n");
    }
    if (te_trailers)
        sl_hbuf_lit(hb, "TE: trailers\r\n");
    for (size_t i = 0; i < req->n_up_set; i++)
        if (req->up_set[i].value.p) /* NULL: cleared (sl_pdk_clear_upstream_header) */
            sl_hbuf_header(hb, req->up_set[i].name, req->up_set[i].value);
    if (req->upgrade) {
        for (size_t i = 0; i < req->n_headers; i++)
            if (SL_SLICE_IEQ_LIT(req->headers[i].name, "upgrade"))
                sl_hbuf_header(hb, req->headers[i].name, req->headers[i].value);
        sl_hbuf_lit(hb, "Connection: keep-alive, Upgrade\r\n\r\n");
    } else {
        sl_hbuf_lit(hb, "Connection: keep-alive\r\n\r\n");
    }
}

/* Response headers that never reach the client: hop-by-hop ones (Upgrade kept on a 101)
 * and Via, which the gateway writes itself. */
static bool skip_response_header(sl_slice_t name, const sl_conn_tokens_t *tok, bool upgrade)
{
    if (upgrade && SL_SLICE_IEQ_LIT(name, "upgrade"))
        return false;
    if (sl_header_is_hop_by_hop(name, tok))
        return true;
    return SL_SLICE_IEQ_LIT(name, "via");
}

/* ---- the exchange ------------------------------------------------------------------- */

static void on_response_drained(sl_req_t *req, void *arg);

static void x_sending(void *arg, sl_upclient_t *x)
{
    sl_proxy_t *p = arg;
    sl_req_t *req = p->req;
    p->x = x; /* body pieces may arrive before sl_upclient_start_in returns */
    p->head_sent = true;
    req->upstream_send_ns = sl_now_ns();
    if (req->body_buffered && req->has_body)
        p->req_body_sent = true; /* with the head; a retry sends it again */
    else if (req->has_body && !p->body_reading) {
        p->body_reading = true;
        sl_conn_body_start(p->conn);
    }
}

/* An interim (1xx) response goes to HTTP/1.1 clients as it came, less its hop-by-hop
 * headers; 100 is ours to send (Expect is answered by the gateway, see sl_conn_body_start). */
static void x_interim(void *arg, const sl_upclient_head_t *h)
{
    sl_proxy_t *p = arg;
    sl_req_t *req = p->req;
    if (req->http_minor == 0 || h->status == 100)
        return;
    sl_conn_tokens_t tok;
    sl_conn_tokens_parse(&tok, h->headers, h->n_headers);
    sl_hbuf_t hb;
    sl_hbuf_init(&hb, req->arena, 256);
    sl_h1_status_line(&hb, h->status, h->reason);
    for (size_t i = 0; i < h->n_headers; i++)
        if (!skip_response_header(h->headers[i].name, &tok, false))
            sl_hbuf_header(&hb, h->headers[i].name, h->headers[i].value);
    sl_hbuf_lit(&hb, "\r\n");
    uv_buf_t b = uv_buf_init(hb.p, (unsigned)hb.len);
    sl_conn_write(p->conn, &b, 1, NULL, NULL); /* queued before the final response */
}

/* The response head from the upstream's: its headers less hop-by-hop ones, then what the
 * gateway adds (Kong's Via, Server, X-Kong-*), for the response stream. */
static int x_head(void *arg, const sl_upclient_head_t *h, const char **why)
{
    sl_proxy_t *p = arg;
    sl_req_t *req = p->req;
    const sl_settings_t *s = p->w->settings;
    int status = h->status;
    req->upstream_head_ns = sl_now_ns();
    p->head_received = true;
    bool upgrade = status == 101;
    if (upgrade && !req->upgrade) {
        *why = "101 to a request that asked for no upgrade";
        return -1;
    }
    p->upgrade_ok = upgrade;
    req->upstream_status = status;

    sl_conn_tokens_t tok;
    sl_conn_tokens_parse(&tok, h->headers, h->n_headers);
    sl_resp_start(req, status, h->reason);
    sl_hlist_t *l = sl_resp_headers(req);
    bool has_date = false, has_server = false;
    sl_slice_t via[8];
    size_t n_via = 0;
    for (size_t i = 0; i < h->n_headers; i++) {
        sl_slice_t name = h->headers[i].name;
        if (skip_response_header(name, &tok, upgrade)) {
            if (SL_SLICE_IEQ_LIT(name, "via") && n_via < 8)
                via[n_via++] = h->headers[i].value;
            continue;
        }
        if (name.len == 4 && SL_SLICE_IEQ_LIT(name, "date"))
            has_date = true;
        else if (name.len == 6 && SL_SLICE_IEQ_LIT(name, "server"))
            has_server = true;
        sl_hlist_add(l, name, h->headers[i].value);
    }
    if (!has_date) {
        const char *date = sl_worker_date(p->w);
        sl_hlist_add(l, SL_SLICE_LIT("Date"), sl_slice(date, strlen(date)));
    }
    if (req->is_head && h->chunked && req->http_minor != 0)
        sl_hlist_add(l, SL_SLICE_LIT("Transfer-Encoding"), SL_SLICE_LIT("chunked"));
    if (!has_server && (s->headers & SL_HDR_SERVER))
        sl_hlist_add(l, SL_SLICE_LIT("Server"), SL_SLICE_LIT(SL_SERVER_TOKEN));
    if (s->headers & SL_HDR_VIA || n_via) {
        sl_hbuf_t hb;
        sl_hbuf_init(&hb, req->arena, 64);
        for (size_t i = 0; i < n_via; i++) {
            sl_hbuf_slice(&hb, via[i]);
            if (i + 1 < n_via || (s->headers & SL_HDR_VIA))
                sl_hbuf_lit(&hb, ", ");
        }
        if (s->headers & SL_HDR_VIA)
            sl_hbuf_lit(&hb, "1.1 " SL_SERVER_TOKEN);
        sl_hlist_add(l, SL_SLICE_LIT("Via"), sl_slice(hb.p, hb.len));
    }
    if (s->headers & SL_HDR_UPSTREAM_LATENCY)
        sl_hlist_add_u64(l, SL_SLICE_LIT("X-Kong-Upstream-Latency"),
                         (req->upstream_head_ns - req->upstream_send_ns) / 1000000);
    if (s->headers & SL_HDR_PROXY_LATENCY)
        sl_hlist_add_u64(l, SL_SLICE_LIT("X-Kong-Proxy-Latency"),
                         (req->upstream_send_ns - req->start_ns) / 1000000);
    if (s->headers & SL_HDR_UPSTREAM_STATUS)
        sl_hlist_add_u64(l, SL_SLICE_LIT("X-Kong-Upstream-Status"), (uint64_t)status);
    if (s->headers & SL_HDR_REQUEST_ID)
        sl_hlist_add(l, SL_SLICE_LIT("X-Kong-Request-Id"), sl_slice(req->id, 32));
    sl_resp_head(req, h->has_length ? (int64_t)h->length : -1);
    if (upgrade)
        sl_resp_end(req); /* the head is all; the tunnel follows once it is out */
    return req->is_head ? 1 : 0;
}

static void x_body(void *arg, const char *at, size_t n)
{
    sl_proxy_t *p = arg;
    sl_resp_body(p->req, at, n);
}

static void x_end(void *arg)
{
    sl_proxy_t *p = arg;
    if (p->upgrade_ok)
        return; /* ended with its head */
    p->complete = true;
    sl_resp_end(p->req);
}

/* After each read: what the response stream got goes out; the exchange holds its buffer
 * (and its timer) until the client took it. */
static bool x_round(void *arg)
{
    sl_proxy_t *p = arg;
    if (!p->head_received)
        return false;
    if (!sl_resp_flush(p->req, on_response_drained, p))
        return false;
    if (!p->conn->closing)
        p->client_write_pending = true;
    return true;
}

/* The exchange is over: a complete response (the connection is back in the pool), or a
 * failure mapped to Kong's answer or another try. */
static void x_done(void *arg, const sl_upclient_result_t *r)
{
    sl_proxy_t *p = arg;
    sl_req_t *req = p->req;
    p->x = NULL;
    if (r->err == 0) {
        req->proxy = NULL;
        sl_conn_response_done(p->conn, req->resp.framing == SL_FRAME_CLOSE);
        return;
    }
    p->head_sent = r->head_sent;
    bool free_retry = r->reused && !r->got_bytes && !req->has_body;
    if (r->connecting) {
        char addr[64];
        sl_addr_format(r->addr, addr, sizeof(addr));
        sl_log(SL_LOG_ERROR, "upstream %s (%s): connect failed: %s", p->bal->name, addr,
               uv_strerror(r->err));
        attempt_failed(p, r->err == UV_ETIMEDOUT ? SL_ERR_UPSTREAM_TIMEOUT : SL_ERR_UPSTREAM_BAD,
                       false);
        return;
    }
    if (r->err == UV_ETIMEDOUT) {
        sl_log(SL_LOG_ERROR, "upstream timed out (%s) while %s", p->bal->name, r->why);
        /* nginx's default next-upstream conditions, "error timeout", include a timeout
         * before the response head: another peer may answer */
        if (!r->head_received)
            attempt_failed(p, SL_ERR_UPSTREAM_TIMEOUT, false);
        else
            fail(p, SL_ERR_UPSTREAM_TIMEOUT);
        return;
    }
    if (r->err == UV_EPROTO) {
        if (r->too_big)
            sl_log(SL_LOG_ERROR, "upstream %s sent too big a header", p->bal->name);
        else
            sl_log(SL_LOG_ERROR, "upstream %s sent an invalid response: %s (%s)", p->bal->name,
                   r->detail ? r->detail : "HPE_USER", r->why);
        fail(p, SL_ERR_UPSTREAM_BAD);
        return;
    }
    if (r->sending) {
        sl_log(SL_LOG_ERROR, "upstream %s: sending the request failed: %s", p->bal->name,
               uv_strerror(r->err));
        attempt_failed(p, SL_ERR_UPSTREAM_BAD, free_retry);
        return;
    }
    /* the connection closed (or was reset) before the response ended */
    sl_log(SL_LOG_ERROR, "upstream %s closed the connection %s", p->bal->name,
           r->head_received ? "in the middle of the response" : "before responding");
    if (!r->head_received) {
        attempt_failed(p, SL_ERR_UPSTREAM_BAD, free_retry);
        return;
    }
    fail(p, SL_ERR_UPSTREAM_BAD);
}

static const sl_upclient_hooks_t exchange_hooks = {
    .on_sending = x_sending,
    .on_interim = x_interim,
    .on_head = x_head,
    .on_body = x_body,
    .on_end = x_end,
    .on_round = x_round,
    .on_done = x_done,
};

static void send_request(sl_proxy_t *p, const struct sockaddr_storage *addr)
{
    sl_req_t *req = p->req;
    const sl_service_t *svc = p->svc;
    p->head_received = false;
    sl_hbuf_t hb;
    build_request_head(p, &hb, &p->bal->peers[p->peer]);
    p->head[0] = uv_buf_init(hb.p, (unsigned)hb.len);
    unsigned nb = 1;
    bool buffered = req->body_buffered && req->has_body;
    if (buffered && req->body_len)
        p->head[nb++] = uv_buf_init(req->body_buf, (unsigned)req->body_len);
    sl_upclient_opts_t o = {
        .connect_timeout_ms = svc->connect_timeout_ms,
        .write_timeout_ms = svc->write_timeout_ms,
        .read_timeout_ms = svc->read_timeout_ms,
        .keepalive = true,
        .no_body = req->is_head,
        .body_follows = req->has_body && !buffered,
    };
    /* NULL when it failed at once: x_done ran, maybe starting another try that set p->x */
    sl_upclient_t *x = sl_upclient_start_in(p->w, addr, p->head, nb, &o, &exchange_hooks, p,
                                            req->arena);
    if (x)
        p->x = x;
}

/* Records the address of the try under way (the log record's `tries`). */
static void note_try_addr(sl_req_t *req, const struct sockaddr_storage *addr)
{
    if (req->n_tries == 0)
        return;
    sl_req_try_t *t = &req->tries[req->n_tries - 1];
    t->latency_ns = sl_now_ns() - t->start_ns; /* the pick and, for a name, its lookup */
    memcpy(&t->addr, addr,
           addr->ss_family == AF_INET6 ? sizeof(t->addr.in6) : sizeof(t->addr.in));
}

/* A new try: grows the request's list by one in its arena (tries are few). */
static void push_try(sl_req_t *req)
{
    sl_req_try_t *v = sl_arena_alloc(req->arena, (req->n_tries + 1) * sizeof(*v));
    if (req->n_tries)
        memcpy(v, req->tries, req->n_tries * sizeof(*v));
    memset(&v[req->n_tries], 0, sizeof(*v));
    v[req->n_tries].start_ns = sl_now_ns();
    req->tries = v;
    req->n_tries++;
}

static void connect_addr(sl_proxy_t *p, const struct sockaddr_storage *addr)
{
    note_try_addr(p->req, addr);
    send_request(p, addr);
}

static void on_dns(void *arg, int status, const struct sockaddr_storage *addr)
{
    sl_proxy_t *p = arg;
    p->dns_waiter = NULL;
    if (status != 0) {
        fail(p, SL_ERR_DNS);
        return;
    }
    connect_addr(p, addr);
}

static void pick_and_connect(sl_proxy_t *p)
{
    int32_t *state = p->req->slot->rr_state;
    p->head_sent = false;
    int i = sl_balancer_pick(p->bal, state, p->tried);
    if (i < 0 && p->tried) {
        p->tried = 0; /* every peer was tried: start over (nginx does the same) */
        i = sl_balancer_pick(p->bal, state, 0);
    }
    if (i < 0) {
        fail(p, SL_ERR_NO_PEER);
        return;
    }
    p->peer = i;
    push_try(p->req);
    if (i < 64)
        p->tried |= 1ull << i;
    const sl_peer_t *peer = &p->bal->peers[i];
    if (peer->is_ip) {
        connect_addr(p, &peer->addr);
        return;
    }
    struct sockaddr_storage addr;
    int rc = sl_dns_resolve(p->w->dns, peer->host, peer->port, &addr, on_dns, p, &p->dns_waiter);
    if (rc == 0)
        connect_addr(p, &addr);
    else if (rc < 0)
        fail(p, SL_ERR_DNS);
}

/* ---- the tunnel (after a 101) --------------------------------------------------------- */

static void on_tunnel_up_read(sl_upconn_t *u, ssize_t nread);

static void on_tunnel_timeout(sl_deadline_t *d)
{
    sl_upconn_t *u = d->timer.data;
    sl_proxy_t *p = u->owner;
    if (p)
        sl_conn_close(p->conn);
}

static void tunnel_arm(sl_proxy_t *p)
{
    if (p->up)
        sl_upconn_arm(p->up, p->client_write_pending, p->svc->write_timeout_ms,
                      p->svc->read_timeout_ms, on_tunnel_timeout);
}

static void tunnel_read(sl_proxy_t *p)
{
    sl_upconn_t *u = p->up;
    if (u->buf && u->len == u->cap)
        return;
    sl_upconn_read_start(u, on_tunnel_up_read);
}

/* What the upstream sent is written; send what came meanwhile, or read on. */
static void on_tunnel_written(sl_conn_t *c, void *arg)
{
    sl_proxy_t *p = arg;
    p->client_write_pending = false;
    if (c->req == NULL || c->req->proxy != p)
        return;
    sl_upconn_t *u = p->up;
    if (u->len > u->pos) {
        /* more arrived while the last batch was being written */
        memmove(u->buf, u->buf + u->pos, u->len - u->pos);
        u->len -= u->pos;
        u->pos = u->len;
        uv_buf_t out = uv_buf_init(u->buf, (unsigned)u->len);
        p->client_write_pending = true;
        sl_conn_write(c, &out, 1, on_tunnel_written, p);
        tunnel_read(p);
        return;
    }
    if (p->tunnel_close_after_write) {
        sl_conn_close(c);
        return;
    }
    u->len = u->pos = 0;
    tunnel_arm(p);
    tunnel_read(p);
}

static void on_tunnel_up_read(sl_upconn_t *u, ssize_t nread)
{
    sl_proxy_t *p = u->owner;
    if (nread < 0) {
        if (p->client_write_pending)
            p->tunnel_close_after_write = true;
        else
            sl_conn_close(p->conn);
        return;
    }
    u->len += (size_t)nread;
    if (u->len == u->cap)
        sl_upconn_read_stop(u); /* resumes when the client took it */
    if (p->client_write_pending)
        return; /* sent when the current write is done */
    uv_buf_t out = uv_buf_init(u->buf + u->pos, (unsigned)(u->len - u->pos));
    u->pos = u->len;
    p->client_write_pending = true;
    tunnel_arm(p);
    sl_conn_write(p->conn, &out, 1, on_tunnel_written, p);
}

/* The 101 is out: from now on bytes flow both ways untouched. */
static void start_tunnel(sl_proxy_t *p)
{
    sl_conn_t *c = p->conn;
    p->up = sl_upclient_take(p->x);
    p->x = NULL;
    p->tunnel = true;
    sl_upconn_t *u = p->up;
    u->owner = p;
    if (u->len > u->pos) {
        uv_buf_t b = uv_buf_init(u->buf + u->pos, (unsigned)(u->len - u->pos));
        u->pos = u->len;
        p->client_write_pending = true;
        sl_conn_write(c, &b, 1, on_tunnel_written, p);
    } else {
        u->len = u->pos = 0;
        tunnel_read(p);
    }
    tunnel_arm(p);
    sl_conn_tunnel_start(c);
}

/* The response stream wrote what it was given (and its filters are done with it). */
static void on_response_drained(sl_req_t *req, void *arg)
{
    sl_proxy_t *p = arg;
    p->client_write_pending = false;
    if (p->conn->req != req || req->proxy != p)
        return;
    if (p->upgrade_ok) {
        start_tunnel(p);
        return;
    }
    sl_upclient_resume(p->x); /* the exchange goes on, or ends (x_done) */
}

/* ---- request body ------------------------------------------------------------------- */

static void on_tunnel_up_written(sl_upconn_t *u, int status)
{
    sl_proxy_t *p = u->owner;
    if (status < 0) {
        sl_conn_close(p->conn);
        return;
    }
    tunnel_arm(p);
    sl_conn_body_consumed(p->conn);
}

static void on_body_written(void *arg, int status)
{
    sl_proxy_t *p = arg;
    if (status < 0) {
        sl_log(SL_LOG_ERROR, "upstream %s: sending the request body failed: %s", p->bal->name,
               uv_strerror(status));
        fail(p, SL_ERR_UPSTREAM_BAD);
        return;
    }
    if (p->req->body_done) {
        p->req_body_sent = true;
        sl_upclient_request_done(p->x);
    }
    sl_conn_body_consumed(p->conn);
}

void sl_proxy_body(sl_req_t *req, const uv_buf_t *pieces, size_t n, bool last)
{
    sl_proxy_t *p = req->proxy;
    sl_conn_t *c = req->conn;
    if (p && p->tunnel) {
        if (last) {
            sl_conn_close(c); /* the client closed the tunnel */
            return;
        }
        int rc = sl_upconn_write(p->up, pieces, (unsigned)n, on_tunnel_up_written);
        if (rc < 0) {
            sl_conn_close(c);
            return;
        }
        tunnel_arm(p);
        return;
    }
    if (p == NULL || p->x == NULL || p->complete) {
        /* the response is already decided: the body has nowhere to go */
        sl_conn_body_consumed(c);
        return;
    }
    uv_buf_t bufs[64];
    uv_buf_t *v = bufs;
    size_t need = n + 3;
    if (need > sizeof(bufs) / sizeof(bufs[0]))
        v = sl_arena_alloc(req->arena, need * sizeof(*v));
    size_t k = 0, total = 0;
    for (size_t i = 0; i < n; i++)
        total += pieces[i].len;
    bool chunk = req->chunked;
    if (chunk && total) {
        size_t hl = sl_h1_chunk_line(p->req_chunk_hdr, total);
        v[k++] = uv_buf_init(p->req_chunk_hdr, (unsigned)hl);
    }
    for (size_t i = 0; i < n; i++)
        v[k++] = pieces[i];
    if (chunk && total)
        v[k++] = uv_buf_init("\r\n", 2);
    if (chunk && last)
        v[k++] = uv_buf_init(SL_H1_LAST_CHUNK, sizeof(SL_H1_LAST_CHUNK) - 1);
    if (k == 0) {
        if (last) {
            p->req_body_sent = true;
            sl_upclient_request_done(p->x);
        }
        sl_conn_body_consumed(c);
        return;
    }
    p->body_started = true;
    if (sl_upclient_write(p->x, v, (unsigned)k, on_body_written) < 0)
        fail(p, SL_ERR_UPSTREAM_BAD);
}

/* ---- start ------------------------------------------------------------------------- */

void sl_proxy_forward(sl_req_t *req)
{
    const sl_snapshot_t *snap = req->slot->snap;
    const sl_route_t *route = req->route;
    const sl_service_t *svc = req->service;

    sl_proxy_t *p = sl_arena_calloc(req->arena, 1, sizeof(*p));
    p->req = req;
    p->conn = req->conn;
    p->w = req->w;
    p->svc = svc;
    p->bal = snap->svc_balancer[svc->rt_index];
    p->tries_left = svc->retries;
    p->peer = -1;

    req->proxy = p;

    /* the upstream path (kong-compat 3.4), escaped, then the query as received */
    bool strip = route->strip_path && req->match.prefix_len > 0;
    size_t cap = req->norm_len + (svc->path ? strlen(svc->path) : 1) + 8;
    char *joined = sl_arena_alloc(req->arena, cap);
    ssize_t jl = route->path_handling == 1
                     ? sl_path_upstream_v1(svc->path, req->norm_path, req->norm_len, strip,
                                           req->match.prefix_len, joined, cap)
                     : sl_path_upstream(svc->path, req->norm_path, req->norm_len, strip,
                                        req->match.prefix_len, joined, cap);
    if (jl < 0) {
        fail(p, SL_ERR_INTERNAL);
        return;
    }
    size_t ecap = (size_t)jl * 3 + req->query.len + 4;
    char *esc = sl_arena_alloc(req->arena, ecap);
    ssize_t el = sl_path_escape(joined, (size_t)jl, esc, ecap);
    if (el < 0) {
        fail(p, SL_ERR_INTERNAL);
        return;
    }
    if (req->has_query) {
        esc[el++] = '?';
        memcpy(esc + el, req->query.p, req->query.len);
        el += (ssize_t)req->query.len;
        esc[el] = '\0';
    }
    req->upstream_uri = sl_slice(esc, (size_t)el);
    if (strip && !(req->match.prefix_len == 1 && req->norm_path[0] == '/')) {
        p->prefix = req->norm_path;
        p->prefix_len = req->match.prefix_len;
    }
    pick_and_connect(p);
}
