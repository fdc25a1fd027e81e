/*
 * Proxying one request: route, pick a peer, connect (or reuse), send the rewritten head and
 * stream the body, then parse the response and stream it back with its headers rewritten.
 * Connection failures are retried on the next peer up to service.retries times (Kong's
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
#include "http/respparse.h"
#include "plugin/chain.h"
#include "plugin/pdk.h"
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
    sl_upconn_t *up;

    const char *prefix;        /* stripped prefix for X-Forwarded-Prefix, or NULL */
    size_t prefix_len;

    /* request side */
    bool head_sent;
    bool req_body_sent;        /* all of the request body was written upstream */
    bool body_started;         /* some body bytes were written upstream */
    char req_chunk_hdr[24];

    /* response side */
    sl_respparse_t rp;         /* the upstream's response */
    bool got_bytes;            /* any response byte arrived */
    bool head_received;
    bool complete;
    bool upgrade_ok;
    bool client_write_pending;
    bool up_eof;
    bool tunnel;
    bool tunnel_close_after_write;
};

static void pick_and_connect(sl_proxy_t *p);
static void fail(sl_proxy_t *p, sl_err_kind_t kind);
static void parse_response(sl_proxy_t *p);
static const sl_respparse_hooks_t response_hooks;

/* ---- helpers ------------------------------------------------------------------------ */

static void detach_upstream(sl_proxy_t *p, bool reusable)
{
    sl_upconn_t *u = p->up;
    if (u == NULL)
        return;
    p->up = NULL;
    u->owner = NULL;
    u->connect_cb = NULL;
    if (reusable)
        sl_upconn_release(u);
    else
        sl_upconn_close(u);
}

static void arm_up_timer(sl_proxy_t *p);
static void attempt_failed(sl_proxy_t *p, sl_err_kind_t kind, bool free_retry);

static void on_up_timeout(sl_deadline_t *d)
{
    sl_upconn_t *u = d->timer.data;
    sl_proxy_t *p = u->owner;
    if (p == NULL)
        return;
    if (p->tunnel) {
        sl_conn_close(p->conn);
        return;
    }
    sl_log(SL_LOG_ERROR, "upstream timed out (%s) while %s", p->bal->name,
           sl_upconn_writes_pending(u) ? "sending the request" : "reading the response");
    if (!p->head_received) {
        /* nginx's default next-upstream conditions, "error timeout", include a timeout
         * before the response head: another peer may answer */
        attempt_failed(p, SL_ERR_UPSTREAM_TIMEOUT, false);
        return;
    }
    fail(p, SL_ERR_UPSTREAM_TIMEOUT);
}

static void arm_up_timer(sl_proxy_t *p)
{
    sl_upconn_t *u = p->up;
    if (u == NULL)
        return;
    if (p->client_write_pending && !sl_upconn_writes_pending(u)) {
        sl_deadline_clear(&u->timer); /* waiting on the client, not on the upstream */
        return;
    }
    uint32_t ms = sl_upconn_writes_pending(u) ? p->svc->write_timeout_ms : p->svc->read_timeout_ms;
    sl_deadline_set(&u->timer, ms, on_up_timeout);
}

/* ---- failure ------------------------------------------------------------------------ */

static void fail(sl_proxy_t *p, sl_err_kind_t kind)
{
    sl_req_t *req = p->req;
    detach_upstream(p, false);
    if (p->dns_waiter) {
        sl_dns_cancel(p->dns_waiter);
        p->dns_waiter = NULL;
    }
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
    detach_upstream(p, false);
    if (p->dns_waiter) {
        sl_dns_cancel(p->dns_waiter);
        p->dns_waiter = NULL;
    }
    req->proxy = NULL;
}

/* A connection attempt failed before any response byte: try another peer if allowed. */
static void attempt_failed(sl_proxy_t *p, sl_err_kind_t kind, bool free_retry)
{
    detach_upstream(p, false);
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

/* ---- sending ------------------------------------------------------------------------ */

static void on_up_read(sl_upconn_t *u, ssize_t nread);

static void up_start_reading(sl_proxy_t *p)
{
    sl_upconn_t *u = p->up;
    if (u == NULL || p->up_eof)
        return;
    if (u->buf && u->len == u->cap)
        return;
    sl_upconn_read_start(u, on_up_read);
}

static void on_head_written(sl_upconn_t *u, int status)
{
    sl_proxy_t *p = u->owner;
    if (status < 0) {
        sl_log(SL_LOG_ERROR, "upstream %s: sending the request failed: %s", p->bal->name,
               uv_strerror(status));
        attempt_failed(p, SL_ERR_UPSTREAM_BAD,
                       u->reused && !p->got_bytes && !p->req->has_body);
        return;
    }
    arm_up_timer(p);
}

static void send_request(sl_proxy_t *p)
{
    sl_req_t *req = p->req;
    sl_upconn_t *u = p->up;
    u->owner = p;
    u->requests++;
    sl_respparse_start(&p->rp, &p->up->spans, &response_hooks, p);
    p->got_bytes = p->head_received = false;
    p->up_eof = false;

    sl_hbuf_t hb;
    build_request_head(p, &hb, &p->bal->peers[p->peer]);
    uv_buf_t b[2] = {uv_buf_init(hb.p, (unsigned)hb.len)};
    unsigned nb = 1;
    bool buffered = req->body_buffered && req->has_body;
    if (buffered && req->body_len)
        b[nb++] = uv_buf_init(req->body_buf, (unsigned)req->body_len);
    req->upstream_send_ns = sl_now_ns();
    int rc = sl_upconn_write(u, b, nb, on_head_written);
    if (rc < 0) {
        attempt_failed(p, SL_ERR_UPSTREAM_BAD, false);
        return;
    }
    p->head_sent = true;
    arm_up_timer(p);
    up_start_reading(p);
    if (buffered)
        p->req_body_sent = true; /* with the head; a retry sends it again */
    else if (req->has_body && !p->body_started)
        sl_conn_body_start(p->conn);
}

static void on_connected(sl_upconn_t *u, int status, void *arg)
{
    sl_proxy_t *p = arg;
    if (status < 0) {
        char addr[64];
        sl_addr_format(&u->addr, addr, sizeof(addr));
        sl_log(SL_LOG_ERROR, "upstream %s (%s): connect failed: %s", p->bal->name, addr,
               uv_strerror(status));
        attempt_failed(p, status == UV_ETIMEDOUT ? SL_ERR_UPSTREAM_TIMEOUT : SL_ERR_UPSTREAM_BAD,
                       false);
        return;
    }
    send_request(p);
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
    sl_upconn_t *u = sl_pool_take(p->w->pool, addr);
    if (u) {
        p->up = u;
        u->owner = p;
        send_request(p);
        return;
    }
    p->up = sl_upconn_connect(p->w, addr, p->svc->connect_timeout_ms, on_connected, p);
    p->up->owner = p;
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

/* ---- request body ------------------------------------------------------------------- */

static void on_body_written(sl_upconn_t *u, int status)
{
    sl_proxy_t *p = u->owner;
    if (status < 0) {
        sl_log(SL_LOG_ERROR, "upstream %s: sending the request body failed: %s", p->bal->name,
               uv_strerror(status));
        fail(p, SL_ERR_UPSTREAM_BAD);
        return;
    }
    if (p->tunnel) {
        arm_up_timer(p);
        sl_conn_body_consumed(p->conn);
        return;
    }
    if (p->req->body_done)
        p->req_body_sent = true;
    arm_up_timer(p);
    sl_conn_body_consumed(p->conn);
}

void sl_proxy_body(sl_req_t *req, const uv_buf_t *pieces, size_t n, bool last)
{
    sl_proxy_t *p = req->proxy;
    sl_conn_t *c = req->conn;
    if (p == NULL || p->up == NULL || p->complete) {
        /* the response is already decided: the body has nowhere to go */
        if (p && p->tunnel && last) {
            sl_conn_close(c);
            return;
        }
        sl_conn_body_consumed(c);
        return;
    }
    if (p->tunnel && last) {
        sl_conn_close(c); /* the client closed the tunnel */
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
    bool chunk = req->chunked && !p->tunnel;
    if (chunk && total) {
        size_t hl = sl_h1_chunk_line(p->req_chunk_hdr, total);
        v[k++] = uv_buf_init(p->req_chunk_hdr, (unsigned)hl);
    }
    for (size_t i = 0; i < n; i++)
        v[k++] = pieces[i];
    if (chunk && total)
        v[k++] = uv_buf_init("\r\n", 2);
    if (chunk && last)
        v[k++] = uv_buf_init("0\r\n\r\n", 5);
    if (k == 0) {
        if (last)
            p->req_body_sent = true;
        sl_conn_body_consumed(c);
        return;
    }
    p->body_started = true;
    int rc = sl_upconn_write(p->up, v, (unsigned)k, on_body_written);
    if (rc < 0) {
        fail(p, SL_ERR_UPSTREAM_BAD);
        return;
    }
    arm_up_timer(p);
}

/* ---- the response ------------------------------------------------------------------- */

static bool skip_response_header(sl_slice_t name, const sl_conn_tokens_t *tok, bool upgrade)
{
    if (upgrade && SL_SLICE_IEQ_LIT(name, "upgrade"))
        return false;
    if (sl_header_is_hop_by_hop(name, tok))
        return true;
    return SL_SLICE_IEQ_LIT(name, "via");
}

/* An interim (1xx) response goes to HTTP/1.1 clients as it came, less its hop-by-hop
 * headers; 100 is ours to send (Expect is answered by the gateway, see sl_conn_body_start). */
static void send_interim(sl_proxy_t *p, int status, sl_slice_t reason, const sl_header_t *hs,
                         size_t n_hs, const sl_conn_tokens_t *tok)
{
    sl_req_t *req = p->req;
    if (req->http_minor == 0 || status == 100)
        return;
    sl_hbuf_t hb;
    sl_hbuf_init(&hb, req->arena, 256);
    sl_h1_status_line(&hb, status, reason);
    for (size_t i = 0; i < n_hs; i++)
        if (!skip_response_header(hs[i].name, tok, false))
            sl_hbuf_header(&hb, hs[i].name, hs[i].value);
    sl_hbuf_lit(&hb, "\r\n");
    uv_buf_t b = uv_buf_init(hb.p, (unsigned)hb.len);
    sl_conn_write(p->conn, &b, 1, NULL, NULL); /* queued before the final response */
}

/* The response head from the upstream's: its headers less hop-by-hop ones, then what the
 * gateway adds (Kong's Via, Server, X-Kong-*), for the response stream. Returns what llhttp
 * expects from on_headers_complete (0, or 1 for "no body"). */
static int r_on_headers_complete(sl_respparse_t *rp)
{
    sl_proxy_t *p = rp->data;
    sl_req_t *req = p->req;
    const sl_settings_t *s = p->w->settings;
    int status = rp->llhttp.status_code;
    if (status < 100) {
        /* llhttp takes any three digits; nginx: "upstream sent invalid status" */
        llhttp_set_error_reason(&rp->llhttp, "invalid status code");
        return HPE_USER;
    }

    sl_header_t *hs = sl_respparse_headers(rp, req->arena);
    size_t n_hs = rp->spans->n;
    sl_conn_tokens_t tok;
    sl_conn_tokens_parse(&tok, hs, n_hs);
    sl_slice_t reason = rp->reason_len ? sl_respparse_reason(rp) : sl_slice(NULL, 0);

    if (status < 200 && status != 101) {
        send_interim(p, status, reason, hs, n_hs, &tok);
        return 0;
    }

    req->upstream_head_ns = sl_now_ns();
    p->head_received = true;
    bool upgrade = status == 101;
    if (upgrade && !req->upgrade) {
        llhttp_set_error_reason(&rp->llhttp, "101 to a request that asked for no upgrade");
        return HPE_USER;
    }
    p->upgrade_ok = upgrade;
    req->upstream_status = status;

    sl_resp_start(req, status, reason);
    sl_hlist_t *l = sl_resp_headers(req);
    bool has_date = false, has_server = false;
    sl_slice_t via[8];
    size_t n_via = 0;
    for (size_t i = 0; i < n_hs; i++) {
        sl_slice_t name = hs[i].name;
        if (skip_response_header(name, &tok, upgrade)) {
            if (SL_SLICE_IEQ_LIT(name, "via") && n_via < 8)
                via[n_via++] = hs[i].value;
            continue;
        }
        if (name.len == 4 && SL_SLICE_IEQ_LIT(name, "date"))
            has_date = true;
        else if (name.len == 6 && SL_SLICE_IEQ_LIT(name, "server"))
            has_server = true;
        sl_hlist_add(l, name, hs[i].value);
    }
    if (!has_date) {
        const char *date = sl_worker_date(p->w);
        sl_hlist_add(l, SL_SLICE_LIT("Date"), sl_slice(date, strlen(date)));
    }
    bool chunked = rp->llhttp.flags & F_CHUNKED;
    if (req->is_head && chunked && req->http_minor != 0)
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
    bool has_length = (rp->llhttp.flags & F_CONTENT_LENGTH) && !chunked;
    sl_resp_head(req, has_length ? (int64_t)rp->llhttp.content_length : -1);
    if (upgrade)
        sl_resp_end(req); /* the head is all; the tunnel follows once it is out */
    return req->is_head ? 1 : 0;
}

static int r_on_body(sl_respparse_t *rp, const char *at, size_t n)
{
    sl_proxy_t *p = rp->data;
    sl_resp_body(p->req, at, n);
    return 0;
}

static int r_on_message_complete(sl_respparse_t *rp)
{
    sl_proxy_t *p = rp->data;
    if (!p->head_received)
        return 0; /* end of an interim (1xx) response: the final one follows */
    if (p->upgrade_ok)
        return 0; /* a 101: llhttp stops with HPE_PAUSED_UPGRADE, the tunnel follows */
    p->complete = true;
    sl_resp_end(p->req);
    return HPE_PAUSED;
}

static const sl_respparse_hooks_t response_hooks = {
    .on_head = r_on_headers_complete,
    .on_body = r_on_body,
    .on_complete = r_on_message_complete,
};

static void finish(sl_proxy_t *p)
{
    sl_req_t *req = p->req;
    sl_upconn_t *u = p->up;
    bool reusable = u && !p->up_eof && llhttp_should_keep_alive(&p->rp.llhttp) &&
                    (p->req_body_sent || !req->has_body) && u->pos == u->len &&
                    sl_upconn_writes_pending(u) == 0;
    detach_upstream(p, reusable);
    req->proxy = NULL;
    sl_conn_response_done(p->conn, req->resp.framing == SL_FRAME_CLOSE);
}

/* Drops the parsed prefix of the upstream buffer, unless a head is half parsed (its spans
 * are offsets into the buffer as it is). */
static void compact_up(sl_proxy_t *p)
{
    sl_upconn_t *u = p->up;
    if (u->pos == 0 || !sl_respparse_movable(&p->rp))
        return;
    memmove(u->buf, u->buf + u->pos, u->len - u->pos);
    u->len -= u->pos;
    u->pos = 0;
}

/* Tunnel: what the upstream sent is written; send what came meanwhile, or read on. */
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
        up_start_reading(p);
        return;
    }
    if (p->tunnel_close_after_write) {
        sl_conn_close(c);
        return;
    }
    u->len = u->pos = 0;
    arm_up_timer(p);
    up_start_reading(p);
}

/* The response stream wrote what it was given (and its filters are done with it). */
static void on_response_drained(sl_req_t *req, void *arg)
{
    sl_proxy_t *p = arg;
    sl_conn_t *c = p->conn;
    p->client_write_pending = false;
    if (c->req != req || req->proxy != p)
        return;
    if (p->complete) {
        finish(p);
        return;
    }
    if (p->upgrade_ok) {
        /* the 101 is out: from now on bytes flow both ways untouched */
        p->tunnel = true;
        sl_upconn_t *u = p->up;
        if (u->len > u->pos) {
            uv_buf_t b = uv_buf_init(u->buf + u->pos, (unsigned)(u->len - u->pos));
            u->pos = u->len;
            p->client_write_pending = true;
            sl_conn_write(c, &b, 1, on_tunnel_written, p);
        } else {
            u->len = u->pos = 0;
            up_start_reading(p);
        }
        arm_up_timer(p);
        sl_conn_tunnel_start(c);
        return;
    }
    compact_up(p);
    arm_up_timer(p); /* waiting on the upstream again */
    parse_response(p);
}

static void parse_response(sl_proxy_t *p)
{
    sl_upconn_t *u = p->up;
    if (p->client_write_pending || u == NULL)
        return;
    if (u->pos < u->len) {
        llhttp_errno_t err = sl_respparse_execute(&p->rp, u->buf, u->pos, u->len - u->pos);
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            u->pos = (size_t)(llhttp_get_error_pos(&p->rp.llhttp) - u->buf);
        } else if (err != HPE_OK) {
            sl_log(SL_LOG_ERROR, "upstream %s sent an invalid response: %s (%s)", p->bal->name,
                   llhttp_errno_name(err), llhttp_get_error_reason(&p->rp.llhttp));
            fail(p, SL_ERR_UPSTREAM_BAD);
            return;
        } else {
            u->pos = u->len;
        }
    }
    if (p->up_eof && !p->complete) {
        /* read-until-close bodies end here; anything else was cut short */
        llhttp_errno_t fe = p->head_received ? llhttp_finish(&p->rp.llhttp) : HPE_INVALID_EOF_STATE;
        if ((fe == HPE_OK || fe == HPE_PAUSED) && p->complete) {
            /* fall through to flush */
        } else {
            sl_log(SL_LOG_ERROR, "upstream %s closed the connection %s", p->bal->name,
                   p->head_received ? "in the middle of the response" : "before responding");
            if (!p->head_received) {
                attempt_failed(p, SL_ERR_UPSTREAM_BAD,
                               p->up->reused && !p->got_bytes && !p->req->has_body);
                return;
            }
            fail(p, SL_ERR_UPSTREAM_BAD);
            return;
        }
    }
    if (!p->head_received && u->len == u->cap) {
        sl_log(SL_LOG_ERROR, "upstream %s sent too big a header", p->bal->name);
        fail(p, SL_ERR_UPSTREAM_BAD);
        return;
    }
    if (p->head_received && sl_resp_flush(p->req, on_response_drained, p)) {
        /* written (or held by a filter that waits): on_response_drained goes on */
        if (!p->conn->closing) {
            p->client_write_pending = true;
            arm_up_timer(p);
        }
        return;
    }
    if (p->complete) {
        finish(p);
        return;
    }
    compact_up(p);
    up_start_reading(p);
}

static void on_up_read(sl_upconn_t *u, ssize_t nread)
{
    sl_proxy_t *p = u->owner;
    if (p->tunnel) {
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
        arm_up_timer(p);
        sl_conn_write(p->conn, &out, 1, on_tunnel_written, p);
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF)
            sl_log(SL_LOG_DEBUG, "upstream read error: %s", uv_strerror((int)nread));
        p->up_eof = true;
        sl_upconn_read_stop(u);
        parse_response(p);
        return;
    }
    p->got_bytes = true;
    u->len += (size_t)nread;
    if (u->len == u->cap)
        sl_upconn_read_stop(u); /* full: resumes once the client took what was parsed */
    if (!p->client_write_pending)
        arm_up_timer(p);
    parse_response(p);
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
