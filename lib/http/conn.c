/*
 * Client connections. The read buffer is contiguous and only compacted between parse rounds,
 * so header and body positions are kept as offsets while a head is parsed and the head is
 * copied into the request arena once complete; body pieces handed to the proxy point into
 * the buffer and pin it until the proxy says they are written (that is the backpressure:
 * nothing more is parsed, and reading stops when the buffer is full).
 */
#include "http/conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/write.h"
#include "core/xalloc.h"
#include "http/h1write.h"
#include "http/headers.h"
#include "http/response.h"

#define HEAD_BUF_MAX(c) ((c)->w->settings->max_header_size + 1024)

static void process(sl_conn_t *c);
static void compact(sl_conn_t *c);
static int on_body(sl_reqparse_t *rp, const char *at, size_t n);
static int on_message_complete(sl_reqparse_t *rp);
static void start_reading(sl_conn_t *c);
static void stop_reading(sl_conn_t *c);
static void finish_request(sl_conn_t *c, bool close);

/* ---- lifecycle ---------------------------------------------------------------------- */

/* Keeps the worker's count of idle keep-alive connections (GET /status "waiting"). */
static void set_idle(sl_conn_t *c, bool idle)
{
    if (c->idle == idle)
        return;
    c->idle = idle;
    if (idle)
        SL_STAT_INC(c->w->stats.idle);
    else
        SL_STAT_DEC(c->w->stats.idle);
}

/* ---- request-time state ------------------------------------------------------------- */

/* Pooled sl_conn_rt_t kept per worker; past this they go back to malloc. Each holds a
 * parser, the arena's first block (write requests, answers to unparseable heads) and small
 * arrays, about 5 KiB. A request's own memory is its arena (sl_req_new). */
#define RT_POOL_MAX 1024
#define RT_ARENA_BLOCK 4096

static void rt_free(sl_conn_rt_t *rt)
{
    sl_arena_destroy(&rt->arena);
    sl_reqparse_free(&rt->rp);
    free(rt->pieces);
    free(rt);
}

/* Gives <c> its request-time state, from the pool when there is one. */
static void rt_take(sl_conn_t *c)
{
    sl_worker_t *w = c->w;
    sl_conn_rt_t *rt = w->conn_rts;
    if (rt) {
        w->conn_rts = rt->next_free;
        w->n_conn_rts--;
        rt->next_free = NULL;
        sl_reqparse_reset(&rt->rp, c);
    } else {
        rt = sl_xcalloc(1, sizeof(*rt));
        sl_reqparse_init(&rt->rp, w->settings->max_request_line, c);
        rt->rp.on_body = on_body;
        rt->rp.on_message_complete = on_message_complete;
        sl_arena_init(&rt->arena, RT_ARENA_BLOCK);
    }
    c->rt = rt;
}

/* Takes back the request-time state and the read buffer of a connection that has neither a
 * request nor unparsed bytes (it is idle, or closed). */
static void rt_give(sl_conn_t *c)
{
    sl_worker_t *w = c->w;
    sl_bufpool_put(&w->bufs, c->buf, c->cap);
    c->buf = NULL;
    c->cap = c->len = c->pos = 0;
    sl_conn_rt_t *rt = c->rt;
    if (rt == NULL)
        return;
    c->rt = NULL;
    sl_arena_reset(&rt->arena);
    rt->n_pieces = 0;
    if (w->n_conn_rts >= RT_POOL_MAX) {
        rt_free(rt);
        return;
    }
    rt->next_free = w->conn_rts;
    w->conn_rts = rt;
    w->n_conn_rts++;
}

void sl_conn_rt_pool_free(sl_worker_t *w)
{
    while (w->conn_rts) {
        sl_conn_rt_t *rt = w->conn_rts;
        w->conn_rts = rt->next_free;
        rt_free(rt);
    }
    w->n_conn_rts = 0;
}

/* The last of the two handles (the transport and the timer) to close frees the connection. */
static void handle_closed(sl_conn_t *c)
{
    if (--c->writes_pending > 0)
        return;
    if (c->ended_req) /* its memory may back writes libuv cancelled: freed only now */
        sl_req_free(c->ended_req);
    rt_give(c);
    free(c);
}

static void on_close(uv_handle_t *h)
{
    handle_closed(h->data);
}

static void on_transport_closed(sl_transport_t *t)
{
    handle_closed(t->data);
}

void sl_conn_close(sl_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    sl_worker_t *w = c->w;
    if (c->req) {
        sl_req_t *req = c->req;
        c->w->handler->abort(req);
        c->w->handler->end(req); /* the log phase */
        sl_resp_free(req);
        sl_worker_snap_release(w, req->slot);
        SL_STAT_DEC(w->stats.inflight);
        c->req = NULL;
        c->ended_req = req;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    SL_STAT_DEC(w->stats.active);
    if (c->idle)
        SL_STAT_DEC(w->stats.idle);
    /* pending writes complete with ECANCELED before the close callbacks; reuse the counter
     * for the two handles */
    c->writes_pending = 2;
    c->read_due = c->write_due = 0;
    sl_deadline_close(&c->timer, on_close);
    sl_transport_close(&c->tr, on_transport_closed);
}

void sl_conn_close_all(sl_worker_t *w)
{
    while (w->conns)
        sl_conn_close(w->conns);
}

/* One timer per connection serves both deadlines (it falls due at the earlier one): an idle
 * connection then holds one uv timer, not two. */
static void on_timer(sl_deadline_t *d);

static void rearm(sl_conn_t *c)
{
    uint64_t due = c->read_due;
    if (c->write_due && (due == 0 || c->write_due < due))
        due = c->write_due;
    if (due == 0) {
        sl_deadline_clear(&c->timer);
        return;
    }
    uint64_t now = uv_now(c->w->loop);
    sl_deadline_set(&c->timer, due > now ? due - now : 0, on_timer);
}

static void set_read_deadline(sl_conn_t *c, uint64_t ms)
{
    c->read_due = uv_now(c->w->loop) + (ms ? ms : 1);
    rearm(c);
}

static void clear_read_deadline(sl_conn_t *c)
{
    c->read_due = 0;
    rearm(c);
}

static void on_read_timeout(sl_conn_t *c)
{
    if (c->state == SL_CONN_HEAD && c->rt && c->rt->rp.started && c->req == NULL) {
        /* nginx answers 408 when the head does not arrive in time */
        sl_log(SL_LOG_INFO, "client %s: timed out reading the request head", c->peer_ip);
        c->rt->rp.err = SL_ERR_REQUEST_TIMEOUT;
        c->rt->rp.has_err = true;
        c->close_after = true;
        process(c);
        return;
    }
    if (c->state == SL_CONN_REQUEST && c->req && !c->req->body_done &&
        !c->req->response_started) {
        sl_log(SL_LOG_INFO, "client %s: timed out reading the request body", c->peer_ip);
        c->w->handler->abort(c->req);
        c->close_after = true;
        sl_conn_send_error(c, SL_ERR_REQUEST_TIMEOUT);
        return;
    }
    sl_conn_close(c); /* idle keep-alive, a body stalled after the response began, or the
                         end of a lingering close */
}

static void on_write_timeout(sl_conn_t *c)
{
    sl_log(SL_LOG_INFO, "client %s: timed out sending the response", c->peer_ip);
    sl_conn_close(c);
}

static void on_timer(sl_deadline_t *d)
{
    sl_conn_t *c = d->timer.data;
    uint64_t now = uv_now(c->w->loop);
    if (c->write_due && now >= c->write_due) {
        c->write_due = 0;
        on_write_timeout(c);
        return;
    }
    if (c->read_due && now >= c->read_due) {
        c->read_due = 0;
        rearm(c);
        on_read_timeout(c);
        return;
    }
    rearm(c);
}

/* nginx semantics: the head must arrive within client_header_timeout in total; a body may
 * pause up to client_body_timeout between two reads; an idle keep-alive connection lives
 * keepalive_timeout. */
static void arm_read_timer(sl_conn_t *c)
{
    const sl_settings_t *s = c->w->settings;
    uint32_t ms;
    int phase;
    if (c->state == SL_CONN_TUNNEL || c->state == SL_CONN_LINGER)
        return; /* the proxy times the tunnel out; a linger has its own deadline */
    if (c->req == NULL) {
        bool head = (c->rt && c->rt->rp.started) || c->len > c->pos;
        phase = head ? 1 : 0;
        ms = head ? s->client_header_timeout_ms : s->keepalive_timeout_ms;
        if (c->timer_phase == phase && c->read_due)
            return;
    } else if (!c->req->body_done) {
        phase = 2;
        ms = s->client_body_timeout_ms;
    } else {
        c->timer_phase = -1;
        clear_read_deadline(c);
        return;
    }
    c->timer_phase = phase;
    set_read_deadline(c, ms);
}

static void on_connection_alloc(sl_transport_t *t, uv_buf_t *out)
{
    sl_conn_t *c = t->data;
    if (c->buf == NULL) {
        c->cap = SL_BUF_SIZE;
        c->buf = sl_bufpool_get(&c->w->bufs, c->cap);
        c->len = c->pos = 0;
        if (c->rt == NULL)
            rt_take(c);
    }
    *out = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(sl_transport_t *t, ssize_t nread)
{
    sl_conn_t *c = t->data;
    if (nread == 0) {
        if (c->req == NULL && c->len == 0 && c->state == SL_CONN_HEAD)
            rt_give(c); /* nothing came after all: stay small while idle */
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF)
            sl_log(SL_LOG_DEBUG, "client %s: read error: %s", c->peer_ip, uv_strerror((int)nread));
        stop_reading(c);
        c->body_eof = true;
        if (c->state == SL_CONN_TUNNEL && c->req) {
            c->w->handler->body(c->req, NULL, 0, true);
            return;
        }
        /* the client closed or reset its side: whatever is in progress is abandoned at once
         * and its upstream connection closed, not pooled (nginx's "client prematurely
         * closed connection", logged as 499) */
        sl_conn_close(c);
        return;
    }
    if (c->state == SL_CONN_LINGER) {
        c->len = c->pos = 0; /* dropped */
        return;
    }
    c->len += (size_t)nread;
    set_idle(c, false);
    if (c->state == SL_CONN_TUNNEL) {
        stop_reading(c);
        uv_buf_t piece = uv_buf_init(c->buf + c->pos, (unsigned)(c->len - c->pos));
        c->pos = c->len;
        c->body_in_flight = true;
        c->w->handler->body(c->req, &piece, 1, false);
        return;
    }
    if (c->len == c->cap)
        stop_reading(c);
    process(c);
    if (!c->closing && c->state != SL_CONN_TUNNEL)
        arm_read_timer(c);
}

static void start_reading(sl_conn_t *c)
{
    if (c->reading || c->closing || c->body_eof)
        return;
    if (c->buf && c->len == c->cap)
        return;
    if (sl_transport_read_start(&c->tr, on_connection_alloc, on_read) == 0)
        c->reading = true;
}

static void stop_reading(sl_conn_t *c)
{
    if (!c->reading)
        return;
    sl_transport_read_stop(&c->tr);
    c->reading = false;
}

/* Counts a connection refused for <why> and logs it at most once a second, with how many. */
static void count_refused(sl_worker_t *w, const char *why)
{
    w->conns_refused++;
    uint64_t now = uv_now(w->loop);
    if (w->conns_refused_log_ms == 0 || now - w->conns_refused_log_ms >= 1000) {
        sl_log(SL_LOG_WARN, "%s: %llu connection%s refused", why,
               (unsigned long long)w->conns_refused, w->conns_refused == 1 ? "" : "s");
        w->conns_refused = 0;
        w->conns_refused_log_ms = now;
    }
}

void sl_conn_accept_failed(sl_worker_t *w, int status)
{
    count_refused(w, uv_strerror(status));
}

/* At the ceiling a connection is accepted and closed at once, as nginx does when its
 * worker_connections are used up ("worker_connections are not enough"): the client learns
 * at once instead of waiting in the backlog. */
static void refuse(sl_worker_t *w, sl_conn_t *c)
{
    count_refused(w, "worker_connections are not enough");
    c->closing = true;
    c->writes_pending = 1;
    sl_transport_close(&c->tr, on_transport_closed);
}

void sl_conn_accept(sl_worker_t *w, uv_stream_t *listener, uint16_t local_port)
{
    sl_conn_t *c = sl_xcalloc(1, sizeof(*c));
    c->w = w;
    sl_tcp_transport_init(&c->tr, w, c);
    if (sl_transport_accept(&c->tr, listener) != 0) {
        c->closing = true;
        c->writes_pending = 1;
        sl_transport_close(&c->tr, on_transport_closed);
        return;
    }
    if (w->max_conns && SL_STAT_GET(w->stats.active) >= w->max_conns) {
        refuse(w, c);
        return;
    }
    sl_deadline_init(w->loop, &c->timer, c);
    c->local_port = local_port;
    c->serial = SL_STAT_GET(w->stats.accepted) + 1;

    struct sockaddr_storage ss;
    if (sl_transport_peer(&c->tr, &ss) == 0) {
        /* the text for logs and headers, the bytes for address matching; an IPv4-mapped
         * IPv6 peer is its IPv4 address in both */
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, c->peer_ip, sizeof(c->peer_ip));
            c->peer_port = ntohs(in->sin_port);
            c->peer_addr.family = SL_IP_V4;
            memcpy(c->peer_addr.b, &in->sin_addr, 4);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            c->peer_port = ntohs(in6->sin6_port);
            if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
                inet_ntop(AF_INET, in6->sin6_addr.s6_addr + 12, c->peer_ip, sizeof(c->peer_ip));
                c->peer_addr.family = SL_IP_V4;
                memcpy(c->peer_addr.b, in6->sin6_addr.s6_addr + 12, 4);
            } else {
                inet_ntop(AF_INET6, &in6->sin6_addr, c->peer_ip, sizeof(c->peer_ip));
                c->peer_addr.family = SL_IP_V6;
                memcpy(c->peer_addr.b, in6->sin6_addr.s6_addr, 16);
            }
        }
    }
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    SL_STAT_INC(w->stats.accepted);
    SL_STAT_INC(w->stats.handled);
    SL_STAT_INC(w->stats.active);
    set_idle(c, true);
    start_reading(c);
    arm_read_timer(c);
}

/* ---- writing ------------------------------------------------------------------------ */

typedef struct conn_write {
    sl_write_t wr;
    sl_conn_t *conn;
    sl_conn_write_cb cb;
    void *arg;
} conn_write_t;

static void on_written(sl_write_t *wr, int status)
{
    conn_write_t *cw = (conn_write_t *)wr;
    sl_conn_t *c = cw->conn;
    if (c->closing)
        return; /* the close already aborted the request */
    c->writes_pending--;
    if (c->writes_pending == 0) {
        c->write_due = 0;
        rearm(c);
    }
    if (status < 0) {
        sl_log(SL_LOG_DEBUG, "client %s: write error: %s", c->peer_ip, uv_strerror(status));
        sl_conn_close(c);
        return;
    }
    if (cw->cb)
        cw->cb(c, cw->arg);
}

void sl_conn_write(sl_conn_t *c, const uv_buf_t *bufs, unsigned n, sl_conn_write_cb cb, void *arg)
{
    if (c->closing)
        return;
    /* the write request lives in the request arena, or in a small conn-lifetime allocation
     * when there is no request (a response to an unparseable head has one, see send_error) */
    conn_write_t *cw = sl_arena_alloc(&c->rt->arena, sizeof(*cw));
    cw->conn = c;
    cw->cb = cb;
    cw->arg = arg;
    if (c->req)
        for (unsigned i = 0; i < n; i++)
            c->req->bytes_out += bufs[i].len;
    c->writes_pending++;
    if (c->writes_pending == 1) {
        c->write_due = uv_now(c->w->loop) + c->w->settings->send_timeout_ms;
        rearm(c);
    }
    int rc = sl_transport_write(&c->tr, bufs, n, &cw->wr, on_written);
    if (rc < 0) {
        c->writes_pending--;
        sl_conn_close(c);
    }
}

/* ---- body hooks of the request parser -------------------------------------------- */

static int on_body(sl_reqparse_t *rp, const char *at, size_t n)
{
    sl_conn_t *c = rp->data;
    sl_req_t *req = c->req;
    req->body_received += n;
    if (c->discarding) {
        if (n > c->discard_left) {
            c->discard_left = 0;
            return HPE_USER; /* too much to read past: the connection closes */
        }
        c->discard_left -= n;
        return 0;
    }
    uint64_t max = c->w->settings->max_body_size;
    if (max && req->body_received > max) {
        rp->err = SL_ERR_PAYLOAD_TOO_LARGE;
        rp->has_err = true;
        return HPE_USER;
    }
    if (req->body_limited && req->body_received > req->body_limit) {
        rp->err = SL_ERR_SIZE_LIMIT;
        rp->has_err = true;
        return HPE_USER;
    }
    if (c->buffering) {
        /* copied, so the read buffer is free again at once; over the cap the reading
         * stops here (llhttp's state no longer matters: the connection closes after the
         * response, see sl_conn_body_read) */
        if (n > req->body_cap - req->body_len) {
            req->body_overflow = true;
            return HPE_USER;
        }
        memcpy(req->body_buf + req->body_len, at, n);
        req->body_len += n;
        return 0;
    }
    if (c->rt->n_pieces && c->rt->pieces[c->rt->n_pieces - 1].base + c->rt->pieces[c->rt->n_pieces - 1].len == at) {
        c->rt->pieces[c->rt->n_pieces - 1].len += n; /* contiguous: merge */
        return 0;
    }
    if (c->rt->n_pieces == c->rt->cap_pieces) {
        c->rt->cap_pieces = c->rt->cap_pieces ? c->rt->cap_pieces * 2 : 16;
        c->rt->pieces = sl_xrealloc(c->rt->pieces, c->rt->cap_pieces * sizeof(*c->rt->pieces));
    }
    c->rt->pieces[c->rt->n_pieces++] = uv_buf_init((char *)at, (unsigned)n);
    return 0;
}

static int on_message_complete(sl_reqparse_t *rp)
{
    sl_conn_t *c = rp->data;
    if (c->req)
        c->req->body_done = true;
    /* stop at the end of the message: a pipelined request waits in the buffer until this
     * one's response is out. Upgrade requests stop by themselves (HPE_PAUSED_UPGRADE). */
    return rp->llhttp.upgrade ? 0 : HPE_PAUSED;
}

/* ---- gateway answers --------------------------------------------------------------- */

static void after_error_written(sl_conn_t *c, void *arg)
{
    (void)arg;
    sl_conn_response_done(c, c->close_after);
}

/* Picks the body format Kong would for <kind>. */
static sl_mime_t negotiate(sl_conn_t *c, const sl_err_info_t *info)
{
    sl_req_t *req = c->req;
    int m = -1;
    if (req) {
        sl_slice_t accept = sl_req_header(req, "accept");
        if (accept.p)
            m = sl_mime_from_accept(accept);
        sl_slice_t ctype = sl_req_header(req, "content-type");
        if (m < 0 && info->nginx_level && ctype.p)
            m = sl_mime_from_content_type(ctype);
    }
    if (m < 0)
        m = info->nginx_level ? c->w->settings->error_default_type : SL_MIME_JSON;
    return (sl_mime_t)m;
}

static void after_response(sl_req_t *req, void *arg)
{
    (void)arg;
    sl_conn_response_done(req->conn, req->conn->close_after);
}

/* The headers of a gateway answer: Date, Content-Type, Content-Length, the caller's, Server. */
static void gateway_headers(sl_conn_t *c, sl_hlist_t *l, const char *content_type,
                            const sl_header_t *headers, size_t n_headers, size_t body_len)
{
    const char *date = sl_worker_date(c->w);
    sl_hlist_add(l, SL_SLICE_LIT("Date"), sl_slice(date, strlen(date)));
    if (content_type)
        sl_hlist_add(l, SL_SLICE_LIT("Content-Type"), sl_slice(content_type, strlen(content_type)));
    sl_hlist_add_u64(l, SL_SLICE_LIT("Content-Length"), body_len);
    for (size_t i = 0; i < n_headers; i++)
        sl_hlist_add(l, headers[i].name, headers[i].value);
    if (c->w->settings->headers & SL_HDR_SERVER)
        sl_hlist_add(l, SL_SLICE_LIT("Server"), SL_SLICE_LIT(SL_SERVER_TOKEN));
}

/* An answer on a connection whose head could not be parsed: no request, no filters, and the
 * connection closes after it. */
static void respond_bare(sl_conn_t *c, int status, const char *reason, const char *content_type,
                         const sl_header_t *headers, size_t n_headers, const char *body,
                         size_t body_len)
{
    sl_arena_t *a = &c->rt->arena;
    sl_hlist_t l;
    sl_hlist_init(&l, a, 8 + n_headers);
    gateway_headers(c, &l, content_type, headers, n_headers, body_len);
    sl_hbuf_t hb;
    sl_hbuf_init(&hb, a, 256 + body_len);
    sl_h1_head(&hb, status, sl_slice(reason, reason ? strlen(reason) : 0), &l, SL_FRAME_LENGTH,
               true);
    sl_hbuf_append(&hb, body, body_len);
    uv_buf_t out = uv_buf_init(hb.p, (unsigned)hb.len);
    c->state = SL_CONN_REQUEST; /* no more parsing on this connection */
    sl_conn_write(c, &out, 1, after_error_written, NULL);
}

void sl_conn_respond(sl_conn_t *c, int status, const char *reason, const char *content_type,
                     const sl_header_t *headers, size_t n_headers, const char *body,
                     size_t body_len)
{
    sl_req_t *req = c->req;
    if (req == NULL || sl_conn_last_response(c))
        c->close_after = true;
    if (req == NULL) {
        respond_bare(c, status, reason, content_type, headers, n_headers, body, body_len);
        return;
    }
    sl_resp_start(req, status, sl_slice(reason, reason ? strlen(reason) : 0));
    req->resp.gateway = true;
    gateway_headers(c, sl_resp_headers(req), content_type, headers, n_headers, body_len);
    sl_resp_head(req, (int64_t)body_len);
    sl_resp_body(req, body, body_len);
    sl_resp_end(req);
    if (!sl_resp_flush(req, after_response, NULL))
        after_response(req, NULL);
}

void sl_conn_send_error(sl_conn_t *c, sl_err_kind_t kind)
{
    const sl_err_info_t *info = sl_err_info(kind);
    const sl_settings_t *s = c->w->settings;
    sl_req_t *req = c->req;
    SL_STAT_INC(c->w->stats.errors_by_kind[kind]);
    char rid_buf[33];
    const char *rid = req ? req->id : NULL;
    if (rid == NULL) {
        sl_worker_request_id(c->w, rid_buf);
        rid = rid_buf;
    }
    sl_mime_t m = negotiate(c, info);
    sl_arena_t *a = req ? req->arena : &c->rt->arena;
    char *body = sl_arena_alloc(a, 1024);
    size_t body_len = sl_err_body(m, info->message, rid, body, 1024);
    /* after an unparseable head nothing else on the connection can be trusted; an unread
     * body is read and dropped after the response (see sl_conn_response_done), as nginx does */
    if (kind == SL_ERR_BAD_REQUEST || kind == SL_ERR_HEADER_TOO_LARGE ||
        kind == SL_ERR_URI_TOO_LONG || kind == SL_ERR_PAYLOAD_TOO_LARGE ||
        kind == SL_ERR_REQUEST_TIMEOUT || kind == SL_ERR_VERSION ||
        kind == SL_ERR_EXPECTATION_FAILED)
        c->close_after = true;

    sl_header_t hs[4];
    size_t n = 0;
    if (kind == SL_ERR_HTTPS_REQUIRED) {
        hs[n++] = (sl_header_t){SL_SLICE_LIT("Connection"), SL_SLICE_LIT("Upgrade")};
        hs[n++] = (sl_header_t){SL_SLICE_LIT("Upgrade"), SL_SLICE_LIT("TLS/1.2, HTTP/1.1")};
    }
    if (s->headers & SL_HDR_RESPONSE_LATENCY) {
        sl_hlist_t tmp;
        sl_hlist_init(&tmp, a, 1);
        sl_hlist_add_u64(&tmp, SL_SLICE_LIT("X-Kong-Response-Latency"),
                         req ? (sl_now_ns() - req->start_ns) / 1000000 : 0);
        hs[n++] = tmp.v[0];
    }
    if (s->headers & SL_HDR_REQUEST_ID)
        hs[n++] = (sl_header_t){SL_SLICE_LIT("X-Kong-Request-Id"),
                                sl_slice(sl_arena_strndup(a, rid, strlen(rid)),
                                         strlen(rid))};
    sl_conn_respond(c, info->status, info->reason, sl_mime_content_type(m), hs, n, body,
                    body_len);
}

/* ---- request lifecycle --------------------------------------------------------------- */

/* Builds the request from the parsed head. Returns 0, or an error kind + 1. */
static int head_complete(sl_conn_t *c)
{
    sl_worker_t *w = c->w;
    sl_req_t *req = sl_req_new(w);
    c->req = req;
    req->conn = c;
    req->scheme = sl_transport_scheme(&c->tr);
    req->secure = sl_transport_secure(&c->tr);
    req->local_port = c->local_port;
    req->conn_serial = c->serial;
    req->conn_nth = c->requests + 1;
    req->slot = sl_worker_snap_acquire(w);
    req->start_ns = sl_now_ns();
    sl_worker_request_id(w, req->id);
    SL_STAT_INC(w->stats.requests);
    SL_STAT_INC(w->stats.inflight);
    req->head_in = c->pos - c->rt->rp.method_off;
    int e = sl_reqparse_build(&c->rt->rp, c->buf, c->pos, req->arena, c->local_port, req);
    if (e)
        return e;
    uint64_t max = w->settings->max_body_size;
    if (max && !req->chunked && req->content_length > max)
        return 1 + SL_ERR_PAYLOAD_TOO_LARGE;
    return 0;
}

/* Grows the read buffer of a head that does not fit SL_BUF_SIZE, up to the head limit.
 * Returns false when it is at the limit already. */
static bool grow_head_buffer(sl_conn_t *c)
{
    if (c->cap >= HEAD_BUF_MAX(c))
        return false;
    size_t ncap = HEAD_BUF_MAX(c);
    char *nb = sl_xmalloc(ncap);
    memcpy(nb, c->buf, c->len);
    sl_bufpool_put(&c->w->bufs, c->buf, c->cap);
    c->buf = nb;
    c->cap = ncap;
    return true;
}

/* nginx accepts raw bytes >= 0x80 in the request target and Kong re-escapes them
 * (kong-compat 3.1); llhttp rejects them. So before llhttp sees the request line, such bytes
 * are percent-encoded in place; normalization decodes them again and the upstream path is
 * re-escaped, as Kong does. Only the request line changes, and the head is rebuilt for the
 * upstream anyway. Returns false when the encoded line no longer fits. */
static bool encode_request_line(sl_conn_t *c)
{
    static const char hex[] = "0123456789ABCDEF";
    if (c->line_done)
        return true;
    size_t end = c->len, n_high = 0;
    for (size_t i = c->line_scan; i < c->len; i++) {
        unsigned char ch = (unsigned char)c->buf[i];
        if (ch == '\n') {
            c->line_done = true;
            end = i;
            break;
        }
        n_high += ch >= 0x80;
    }
    if (n_high) {
        size_t extra = 2 * n_high;
        while (c->len + extra > c->cap)
            if (!grow_head_buffer(c))
                return false;
        memmove(c->buf + end + extra, c->buf + end, c->len - end);
        size_t w = end + extra;
        for (size_t r = end; r-- > c->line_scan;) {
            unsigned char ch = (unsigned char)c->buf[r];
            if (ch >= 0x80) {
                c->buf[--w] = hex[ch & 15];
                c->buf[--w] = hex[ch >> 4];
                c->buf[--w] = '%';
            } else {
                c->buf[--w] = (char)ch;
            }
        }
        c->len += extra;
        end += extra;
    }
    c->line_scan = end;
    return true;
}

/* After a parse round of a body being read for a plugin (pieces were copied by on_body).
 * Returns true when parse_round must return (done, waiting for bytes, or the request moved
 * on from the callback), false to go on parsing (an error to answer). */
static bool buffer_round(sl_conn_t *c, llhttp_errno_t err)
{
    sl_req_t *req = c->req;
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
        c->pos = (size_t)(llhttp_get_error_pos(&c->rt->rp.llhttp) - c->buf);
        if (err == HPE_PAUSED)
            llhttp_resume(&c->rt->rp.llhttp);
        req->body_done = true;
        req->body_buffered = true;
    } else if (err == HPE_USER && req->body_overflow) {
        /* the rest of the body stays unread: the request cannot be kept */
        c->close_after = true;
        stop_reading(c);
    } else if (err != HPE_OK) {
        if (!c->rt->rp.has_err) {
            sl_log(SL_LOG_INFO, "client %s: bad request body: %s (%s)", c->peer_ip,
                   llhttp_errno_name(err), llhttp_get_error_reason(&c->rt->rp.llhttp));
            c->rt->rp.err = SL_ERR_BAD_REQUEST;
            c->rt->rp.has_err = true;
        }
        return false;
    } else {
        c->pos = c->len;
        compact(c);
        arm_read_timer(c);
        start_reading(c);
        return true;
    }
    c->buffering = false;
    c->body_wanted = false;
    compact(c);
    arm_read_timer(c);
    void (*cb)(sl_req_t *) = c->body_read_cb;
    c->body_read_cb = NULL;
    if (cb)
        cb(req);
    return true;
}

/* Parses what the buffer holds, as far as the current state allows. */
static void parse_round(sl_conn_t *c)
{
    for (;;) {
        if (c->closing || c->rt == NULL)
            return; /* closed, or idle with nothing to parse */
        if (c->rt->rp.has_err) {
            c->rt->rp.has_err = false;
            sl_err_kind_t kind = c->rt->rp.err;
            stop_reading(c);
            c->close_after = true;
            if (c->req && c->req->response_started) {
                sl_conn_close(c);
                return;
            }
            if (c->req)
                c->w->handler->abort(c->req);
            if (kind == SL_ERR_SIZE_LIMIT && c->req) {
                /* a plugin's limit: answered as kong.response.exit does */
                SL_STAT_INC(c->w->stats.errors_by_kind[kind]);
                sl_req_exit_message(c->req, c->req->expect_continue ? 417 : 413,
                                    sl_err_info(kind)->message);
                return;
            }
            sl_conn_send_error(c, kind);
            return;
        }
        if (c->state == SL_CONN_HEAD) {
            if (c->pos == c->len)
                return;
            if (!encode_request_line(c)) {
                c->rt->rp.err = SL_ERR_URI_TOO_LONG;
                c->rt->rp.has_err = true;
                continue;
            }
            llhttp_errno_t err = sl_reqparse_execute(&c->rt->rp, c->buf, c->pos, c->len - c->pos);
            if (err == HPE_PAUSED) {
                c->pos = (size_t)(llhttp_get_error_pos(&c->rt->rp.llhttp) - c->buf);
                llhttp_resume(&c->rt->rp.llhttp);
                if (!c->rt->rp.head_ready)
                    continue; /* the end of the previous, bodiless message */
                if (c->pos - c->rt->rp.method_off > c->w->settings->max_header_size) {
                    c->rt->rp.err = SL_ERR_HEADER_TOO_LARGE;
                    c->rt->rp.has_err = true;
                    continue;
                }
                /* paused in on_headers_complete: the head is whole */
                c->state = SL_CONN_REQUEST;
                c->rt->rp.started = false;
                int e = head_complete(c);
                if (e) {
                    c->rt->rp.err = (sl_err_kind_t)(e - 1);
                    c->rt->rp.has_err = true;
                    continue;
                }
                arm_read_timer(c);
                if (c->req->is_trace) {
                    /* nginx refuses TRACE before any phase runs (405) */
                    sl_conn_send_error(c, SL_ERR_METHOD_NOT_ALLOWED);
                    continue;
                }
                c->w->handler->start(c->req);
                continue;
            }
            if (err != HPE_OK) {
                if (!c->rt->rp.has_err) {
                    sl_log(SL_LOG_INFO, "client %s: bad request: %s (%s)", c->peer_ip,
                           llhttp_errno_name(err), llhttp_get_error_reason(&c->rt->rp.llhttp));
                    c->rt->rp.err = SL_ERR_BAD_REQUEST;
                    c->rt->rp.has_err = true;
                }
                continue;
            }
            c->pos = c->len;
            /* the head is not whole yet: is it already too big, is there room for the rest? */
            if (c->rt->rp.started && c->len - c->rt->rp.method_off > c->w->settings->max_header_size) {
                c->rt->rp.err = c->rt->rp.url_complete ? SL_ERR_HEADER_TOO_LARGE : SL_ERR_URI_TOO_LONG;
                c->rt->rp.has_err = true;
                continue;
            }
            if (c->len == c->cap) {
                if (grow_head_buffer(c)) {
                    start_reading(c);
                } else {
                    c->rt->rp.err = c->rt->rp.url_complete ? SL_ERR_HEADER_TOO_LARGE : SL_ERR_URI_TOO_LONG;
                    c->rt->rp.has_err = true;
                    continue;
                }
            }
            return;
        }
        if (c->state == SL_CONN_REQUEST) {
            sl_req_t *req = c->req;
            if (req == NULL || !c->body_wanted || c->body_in_flight || req->body_done)
                return;
            if (c->pos == c->len) {
                start_reading(c);
                return;
            }
            c->rt->n_pieces = 0;
            llhttp_errno_t err = sl_reqparse_execute(&c->rt->rp, c->buf, c->pos, c->len - c->pos);
            if (req->chunked && !c->rt->rp.has_err) {
                size_t end = err == HPE_OK ? c->len
                                           : (size_t)(llhttp_get_error_pos(&c->rt->rp.llhttp) -
                                                      c->buf);
                if (!sl_reqparse_chunk_line_ok(&c->rt->rp, end - c->pos)) {
                    sl_log(SL_LOG_INFO, "client %s: chunk-size line longer than %d bytes",
                           c->peer_ip, SL_CHUNK_LINE_MAX);
                    c->rt->rp.err = SL_ERR_BAD_REQUEST;
                    c->rt->rp.has_err = true;
                    continue;
                }
            }
            if (c->buffering) {
                if (buffer_round(c, err))
                    return;
                continue;
            }
            if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
                c->pos = (size_t)(llhttp_get_error_pos(&c->rt->rp.llhttp) - c->buf);
                if (err == HPE_PAUSED)
                    llhttp_resume(&c->rt->rp.llhttp);
                req->body_done = true;
            } else if (err != HPE_OK) {
                if (!c->rt->rp.has_err) {
                    sl_log(SL_LOG_INFO, "client %s: bad request body: %s (%s)", c->peer_ip,
                           llhttp_errno_name(err), llhttp_get_error_reason(&c->rt->rp.llhttp));
                    c->rt->rp.err = SL_ERR_BAD_REQUEST;
                    c->rt->rp.has_err = true;
                }
                continue;
            } else {
                c->pos = c->len;
            }
            if (c->rt->n_pieces == 0 && !req->body_done) {
                start_reading(c);
                return;
            }
            if (c->discarding) {
                /* the response is out already; the body only has to be read past */
                c->rt->n_pieces = 0;
                if (req->body_done) {
                    finish_request(c, false);
                    return;
                }
                compact(c);
                arm_read_timer(c);
                continue;
            }
            c->body_in_flight = true;
            arm_read_timer(c);
            c->w->handler->body(req, c->rt->pieces, c->rt->n_pieces, req->body_done);
            continue;
        }
        return; /* tunnel: raw bytes go straight from on_read */
    }
}

static void process(sl_conn_t *c)
{
    if (c->in_process) {
        c->reprocess = true;
        return;
    }
    c->in_process = true;
    do {
        c->reprocess = false;
        parse_round(c);
    } while (c->reprocess && !c->closing);
    c->in_process = false;
    if (!c->closing && c->state != SL_CONN_TUNNEL)
        start_reading(c);
}

/* Drops the parsed prefix of the buffer once nothing points into it. */
static void compact(sl_conn_t *c)
{
    if (c->body_in_flight || c->pos == 0 ||
        (c->state == SL_CONN_HEAD && c->rt && c->rt->rp.started))
        return;
    memmove(c->buf, c->buf + c->pos, c->len - c->pos);
    c->len -= c->pos;
    c->pos = 0;
}

void sl_conn_body_start(sl_conn_t *c)
{
    sl_req_t *req = c->req;
    if (req == NULL || c->body_wanted)
        return;
    c->body_wanted = true;
    if (req->expect_continue && !req->body_done && c->pos == c->len) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        uv_buf_t b = uv_buf_init((char *)cont, sizeof(cont) - 1);
        sl_conn_write(c, &b, 1, NULL, NULL);
    }
    process(c);
}

bool sl_conn_body_read(sl_conn_t *c, void (*cb)(sl_req_t *req))
{
    sl_req_t *req = c->req;
    if (req->body_buffered || req->body_overflow)
        return true;
    if (!req->has_body) {
        req->body_buffered = true;
        return true;
    }
    size_t cap = c->w->settings->client_body_buffer_size;
    if (!req->chunked && req->content_length > cap) {
        /* nothing read: the body can still stream to the upstream if the plugin goes on */
        req->body_overflow = true;
        return true;
    }
    req->body_cap = req->chunked ? cap : (size_t)req->content_length;
    req->body_buf = sl_arena_alloc(req->arena, req->body_cap ? req->body_cap : 1);
    req->body_len = 0;
    c->buffering = true;
    c->body_read_cb = NULL; /* not while this call parses what has arrived already */
    sl_conn_body_start(c);
    if (c->closing || c->req != req || req->response_started)
        return false; /* answered (a bad body, a limit): the caller's wait was cancelled */
    if (!c->buffering)
        return true;
    c->body_read_cb = cb;
    return false;
}

void sl_conn_body_read_cancel(sl_conn_t *c)
{
    c->body_read_cb = NULL;
}

void sl_conn_body_consumed(sl_conn_t *c)
{
    c->body_in_flight = false;
    if (c->closing)
        return;
    compact(c);
    if (c->state == SL_CONN_TUNNEL) {
        start_reading(c);
        return;
    }
    process(c);
}

void sl_conn_tunnel_start(sl_conn_t *c)
{
    c->state = SL_CONN_TUNNEL;
    clear_read_deadline(c);
    compact(c);
    if (c->len > c->pos) {
        uv_buf_t piece = uv_buf_init(c->buf + c->pos, (unsigned)(c->len - c->pos));
        c->pos = c->len;
        c->body_in_flight = true;
        c->w->handler->body(c->req, &piece, 1, false);
        return;
    }
    if (c->body_eof) {
        c->w->handler->body(c->req, NULL, 0, true);
        return;
    }
    start_reading(c);
}

/* The lingering close: FIN now, then read and drop until the client closes or SL_LINGER_MS
 * pass. The connection has no request any more; a drain closes it like an idle one. */
static void linger_close(sl_conn_t *c)
{
    c->state = SL_CONN_LINGER;
    c->len = c->pos = 0;
    if (sl_transport_shutdown(&c->tr) != 0) {
        sl_conn_close(c);
        return;
    }
    c->timer_phase = -1;
    set_read_deadline(c, SL_LINGER_MS);
    start_reading(c);
}

static void finish_request(sl_conn_t *c, bool close)
{
    sl_req_t *req = c->req;
    if (req) {
        c->w->handler->end(req); /* the log phase */
        sl_resp_free(req);
        sl_worker_snap_release(c->w, req->slot);
        SL_STAT_DEC(c->w->stats.inflight);
    }
    if (close || c->state == SL_CONN_TUNNEL || sl_conn_last_response(c)) {
        /* bytes the client sent past this response (pipelined requests, an unread body, a
         * request refused as malformed) would make close() send a reset that can destroy
         * the response before the client reads it: shut our side and drain instead */
        bool linger = c->state != SL_CONN_TUNNEL && !c->body_eof &&
                      (c->len > c->pos || (req && !req->body_done) ||
                       (c->rt && c->rt->rp.started));
        c->req = NULL;
        c->requests++;
        if (linger) {
            if (req)
                sl_req_free(req);
            linger_close(c);
        } else {
            c->ended_req = req; /* freed once the handles are closed */
            sl_conn_close(c);
        }
        return;
    }
    c->req = NULL;
    c->requests++;
    if (req)
        sl_req_free(req);
    c->state = SL_CONN_HEAD;
    c->body_wanted = false;
    c->discarding = false;
    c->buffering = false;
    c->body_read_cb = NULL;
    c->line_done = false;
    compact(c);
    c->line_scan = c->pos;
    if (c->len == 0) {
        /* idle: the buffer and the request-time state go back to the worker's pools until
         * the next request arrives (rt_take gives the next one a fresh parser) */
        set_idle(c, true);
        rt_give(c);
    } else {
        /* a pipelined request waits: a fresh parser for its head (after an upgrade request
         * that got no 101, llhttp stays paused in "upgraded" mode and would take what
         * follows for tunnel bytes) */
        sl_arena_reset(&c->rt->arena);
        sl_reqparse_reset(&c->rt->rp, c);
    }
    arm_read_timer(c);
    process(c);
}

/* The unread rest of <req>'s body is known to be more than the connection reads past. */
static bool body_past_discard_limit(const sl_req_t *req)
{
    return !req->body_done && !req->chunked &&
           req->content_length - req->body_received > SL_DISCARD_MAX;
}

bool sl_conn_last_response(const sl_conn_t *c)
{
    const sl_req_t *req = c->req;
    return c->close_after || c->body_eof || c->w->draining || (req && !req->keep_alive) ||
           c->requests + 1 >= c->w->settings->keepalive_requests ||
           (req && body_past_discard_limit(req));
}

void sl_conn_response_done(sl_conn_t *c, bool close)
{
    if (c->closing)
        return;
    sl_req_t *req = c->req;
    if (req && !req->body_done && !close && !c->close_after && !c->body_eof &&
        !c->body_in_flight && req->proxy == NULL && !body_past_discard_limit(req)) {
        /* answered before the body was read (a 404, an early upstream reply): read the body
         * and drop it so the connection can serve the next request */
        c->discarding = true;
        c->buffering = false;
        c->body_read_cb = NULL;
        c->body_wanted = true;
        c->discard_left = SL_DISCARD_MAX;
        process(c);
        return;
    }
    if (req && !req->body_done)
        close = true; /* the rest of the body would be read as the next request */
    finish_request(c, close);
}
