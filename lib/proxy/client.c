/* The upstream HTTP/1.1 client (see client.h). */
#include "proxy/client.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/xalloc.h"
#include "http/respparse.h"

struct sl_upclient {
    sl_worker_t *w;
    struct sockaddr_storage addr;
    const uv_buf_t *bufs;
    unsigned n_bufs;
    sl_upclient_opts_t opts;
    const sl_upclient_hooks_t *hooks;
    void *arg;
    sl_upconn_t *up;
    sl_respparse_t rp;
    sl_arena_t *arena;          /* the owner's, or a malloc'd one of its own */
    bool owns_memory;           /* malloc'd, with its own arena (no arena given) */
    void (*write_cb)(void *arg, int status);
    const char *refused;        /* why on_head refused the head */
    int status;
    bool head_sent, got_bytes, head_received, complete, upgrade, eof;
    bool holding;               /* on_round asked to wait */
    bool streamed;              /* a body write followed the head */
    bool req_done;              /* the whole request is written */
    bool retried;               /* the one retry of a stale connection is used */
    bool too_big;
    bool starting, done_early;  /* inside sl_upclient_start / on_done ran there */
    bool in_connect;            /* inside sl_upconn_connect */
    int connect_err;            /* a connect that failed at once, reported after it */
    bool connecting;
    bool write_failed;          /* the head's write failed */
    bool in_round;              /* inside on_round */
    bool cancelled;             /* sl_upclient_cancel ran inside on_round */
};

static void send_request(sl_upclient_t *c);
static void connect_new(sl_upclient_t *c);
static void parse_round(sl_upclient_t *c);
static void on_read(sl_upconn_t *u, ssize_t nread);

static void free_client(sl_upclient_t *c)
{
    if (!c->owns_memory)
        return; /* in the owner's arena */
    sl_arena_destroy(c->arena);
    free(c->arena);
    free(c);
}

static void detach(sl_upclient_t *c, bool reusable)
{
    sl_upconn_t *u = c->up;
    if (u == NULL)
        return;
    c->up = NULL;
    u->owner = NULL;
    u->connect_cb = NULL;
    if (reusable)
        sl_upconn_release(u, c->opts.idle_timeout_ms);
    else
        sl_upconn_close(u);
}

/* Ends the exchange with <err> (0: complete) and runs on_done. */
static void finish(sl_upclient_t *c, int err, const char *why, const char *detail)
{
    sl_upconn_t *u = c->up;
    sl_upclient_result_t r;
    r.err = err;
    r.status = c->status;
    r.why = why;
    if (err) { /* where it failed, for the owner's choice of answer */
        r.detail = detail;
        r.connecting = c->connecting;
        r.sending = c->write_failed || (u && sl_upconn_writes_pending(u) > 0);
        r.head_sent = c->head_sent;
        r.got_bytes = c->got_bytes;
        r.head_received = c->head_received;
        r.reused = u && u->reused;
        r.too_big = c->too_big;
        r.addr = &c->addr;
    }
    bool reusable = err == 0 && c->opts.keepalive && u && !c->eof && c->req_done &&
                    u->pos == u->len && sl_upconn_writes_pending(u) == 0 &&
                    llhttp_should_keep_alive(&c->rp.llhttp);
    detach(c, reusable);
    /* the owner may free the memory the exchange lives in from on_done (its request ends) */
    bool starting = c->starting, owns = c->owns_memory;
    sl_arena_t *own = c->arena;
    c->hooks->on_done(c->arg, &r);
    if (starting) {
        c->done_early = true; /* sl_upclient_start frees it */
        return;
    }
    if (owns) {
        sl_arena_destroy(own);
        free(own);
        free(c);
    }
}

/* The connection failed before the response began: a stale pooled one gets one retry. */
static void failed_early(sl_upclient_t *c, int err, const char *why)
{
    sl_upconn_t *u = c->up;
    if (c->opts.retry_stale && u && u->reused && !c->got_bytes && !c->streamed && !c->retried) {
        c->retried = true;
        detach(c, false);
        connect_new(c);
        return;
    }
    finish(c, err, why, NULL);
}

/* ---- timers -------------------------------------------------------------------------- */

static void on_timeout(sl_deadline_t *d)
{
    sl_upconn_t *u = d->timer.data;
    sl_upclient_t *c = u->owner;
    if (c == NULL)
        return;
    finish(c, UV_ETIMEDOUT,
           sl_upconn_writes_pending(u) ? "sending the request" : "reading the response", NULL);
}

/* The upstream's timeouts; none while the owner holds the exchange with nothing to send. */
static void arm(sl_upclient_t *c)
{
    if (c->up)
        sl_upconn_arm(c->up, c->holding, c->opts.write_timeout_ms, c->opts.read_timeout_ms,
                      on_timeout);
}

/* ---- the response --------------------------------------------------------------------- */

static void make_head(sl_upclient_t *c, sl_respparse_t *rp, sl_upclient_head_t *h)
{
    h->status = rp->llhttp.status_code;
    h->reason = rp->reason_len ? sl_respparse_reason(rp) : sl_slice(NULL, 0);
    h->headers = sl_respparse_headers(rp, c->arena);
    h->n_headers = rp->spans->n;
    h->chunked = rp->llhttp.flags & F_CHUNKED;
    h->has_length = (rp->llhttp.flags & F_CONTENT_LENGTH) && !h->chunked;
    h->length = h->has_length ? rp->llhttp.content_length : 0;
}

static int on_head(sl_respparse_t *rp)
{
    sl_upclient_t *c = rp->data;
    int status = rp->llhttp.status_code;
    if (status < 100) {
        /* llhttp takes any three digits; nginx: "upstream sent invalid status" */
        llhttp_set_error_reason(&rp->llhttp, "invalid status code");
        return HPE_USER;
    }
    sl_upclient_head_t h;
    if (status < 200 && status != 101) {
        if (c->hooks->on_interim) {
            make_head(c, rp, &h);
            c->hooks->on_interim(c->arg, &h);
        }
        return 0; /* the final head follows */
    }
    c->head_received = true;
    c->status = status;
    c->upgrade = status == 101;
    int rc = 0;
    if (c->hooks->on_head) {
        make_head(c, rp, &h);
        const char *why = NULL;
        rc = c->hooks->on_head(c->arg, &h, &why);
        if (rc < 0) {
            c->refused = why ? why : "refused";
            llhttp_set_error_reason(&rp->llhttp, c->refused);
            return HPE_USER;
        }
    }
    return rc > 0 || c->opts.no_body ? 1 : 0;
}

static int on_body(sl_respparse_t *rp, const char *at, size_t n)
{
    sl_upclient_t *c = rp->data;
    if (c->hooks->on_body)
        c->hooks->on_body(c->arg, at, n);
    return 0;
}

static int on_complete(sl_respparse_t *rp)
{
    sl_upclient_t *c = rp->data;
    if (!c->head_received)
        return 0; /* the end of an interim response */
    if (c->upgrade)
        return 0; /* llhttp stops with HPE_PAUSED_UPGRADE; the tunnel is the owner's */
    c->complete = true;
    if (c->hooks->on_end)
        c->hooks->on_end(c->arg);
    return HPE_PAUSED; /* anything after the response is not ours */
}

static const sl_respparse_hooks_t response_hooks = {
    .on_head = on_head,
    .on_body = on_body,
    .on_complete = on_complete,
};

/* Drops the parsed bytes from the buffer, unless a head is half parsed (its fields are
 * offsets into the buffer as it is). */
static void compact(sl_upclient_t *c)
{
    sl_upconn_t *u = c->up;
    if (u->pos == 0 || !sl_respparse_movable(&c->rp))
        return;
    memmove(u->buf, u->buf + u->pos, u->len - u->pos);
    u->len -= u->pos;
    u->pos = 0;
}

/* After a round the owner does not hold: the exchange ends, or reading goes on. */
static void after_round(sl_upclient_t *c)
{
    sl_upconn_t *u = c->up;
    if (c->complete) {
        finish(c, 0, NULL, NULL);
        return;
    }
    if (c->upgrade)
        return; /* the owner takes the connection */
    compact(c);
    if (!c->eof && !(u->buf && u->len == u->cap))
        sl_upconn_read_start(u, on_read);
    arm(c);
}

/* Parses what the buffer holds and hands it on. */
static void parse_round(sl_upclient_t *c)
{
    sl_upconn_t *u = c->up;
    if (u->pos < u->len) {
        llhttp_errno_t err = sl_respparse_execute(&c->rp, u->buf, u->pos, u->len - u->pos);
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            u->pos = (size_t)(llhttp_get_error_pos(&c->rp.llhttp) - u->buf);
            if (err == HPE_PAUSED_UPGRADE && c->upgrade && !c->complete) {
                c->complete = true; /* the 101's head is all of it */
                if (c->hooks->on_end)
                    c->hooks->on_end(c->arg);
            }
        } else if (err != HPE_OK) {
            finish(c, UV_EPROTO, llhttp_get_error_reason(&c->rp.llhttp), llhttp_errno_name(err));
            return;
        } else {
            u->pos = u->len;
        }
    }
    if (c->eof && !c->complete) {
        /* a body delimited by the close ends here; anything else was cut short */
        llhttp_errno_t fe = c->head_received ? llhttp_finish(&c->rp.llhttp)
                                             : HPE_INVALID_EOF_STATE;
        if (!((fe == HPE_OK || fe == HPE_PAUSED) && c->complete)) {
            if (!c->head_received) {
                failed_early(c, UV_EOF, "before responding");
                return;
            }
            finish(c, UV_EOF, "in the middle of the response", NULL);
            return;
        }
    }
    if (!c->head_received && u->len == u->cap) {
        c->too_big = true;
        finish(c, UV_EPROTO, "too big a header", NULL);
        return;
    }
    bool hold = false;
    if (c->hooks->on_round) {
        c->in_round = true;
        hold = c->hooks->on_round(c->arg);
        c->in_round = false;
        if (c->cancelled) { /* from the hook */
            free_client(c);
            return;
        }
    }
    if (hold) {
        c->holding = true;
        arm(c);
        return;
    }
    after_round(c);
}

static void on_read(sl_upconn_t *u, ssize_t nread)
{
    sl_upclient_t *c = u->owner;
    if (nread < 0) {
        if (nread != UV_EOF) {
            /* a reset: like a close, but said so */
            c->eof = true;
            sl_upconn_read_stop(u);
            if (!c->head_received && !c->got_bytes) {
                failed_early(c, (int)nread, uv_strerror((int)nread));
                return;
            }
            if (!c->holding)
                finish(c, (int)nread, uv_strerror((int)nread), NULL);
            return;
        }
        c->eof = true;
        sl_upconn_read_stop(u);
        if (!c->holding)
            parse_round(c);
        return;
    }
    c->got_bytes = true;
    u->len += (size_t)nread;
    if (u->len == u->cap)
        sl_upconn_read_stop(u); /* full: reading resumes once parsed bytes are handed on */
    if (c->holding)
        return; /* parsed once the owner resumes */
    arm(c);
    parse_round(c);
}

void sl_upclient_resume(sl_upclient_t *c)
{
    if (c == NULL || !c->holding)
        return;
    c->holding = false;
    sl_upconn_t *u = c->up;
    if (c->complete || c->upgrade) {
        after_round(c);
        return;
    }
    compact(c);
    arm(c);
    if (u->pos < u->len || c->eof) {
        parse_round(c);
        return;
    }
    if (!c->eof)
        sl_upconn_read_start(u, on_read);
}

/* ---- the request ---------------------------------------------------------------------- */

static void on_head_written(sl_upconn_t *u, int status)
{
    sl_upclient_t *c = u->owner;
    if (status < 0) {
        c->write_failed = true;
        failed_early(c, status, uv_strerror(status));
        return;
    }
    arm(c);
}

static void on_body_written(sl_upconn_t *u, int status)
{
    sl_upclient_t *c = u->owner;
    void (*cb)(void *, int) = c->write_cb;
    c->write_cb = NULL;
    if (status >= 0)
        arm(c);
    if (cb)
        cb(c->arg, status);
}

int sl_upclient_write(sl_upclient_t *c, const uv_buf_t *bufs, unsigned n,
                      void (*cb)(void *arg, int status))
{
    c->streamed = true;
    c->write_cb = cb;
    int rc = sl_upconn_write(c->up, bufs, n, on_body_written);
    if (rc < 0) {
        c->write_cb = NULL;
        return rc;
    }
    arm(c);
    return 0;
}

void sl_upclient_request_done(sl_upclient_t *c)
{
    c->req_done = true;
}

static void send_request(sl_upclient_t *c)
{
    sl_upconn_t *u = c->up;
    u->owner = c;
    u->requests++;
    c->connecting = false;
    c->write_failed = false;
    c->got_bytes = c->head_received = c->complete = c->upgrade = c->eof = false;
    sl_respparse_start(&c->rp, &u->spans, &response_hooks, c);
    int rc = sl_upconn_write(u, c->bufs, c->n_bufs, on_head_written);
    if (rc < 0) {
        c->write_failed = true;
        failed_early(c, rc, uv_strerror(rc));
        return;
    }
    c->head_sent = true;
    arm(c);
    sl_upconn_read_start(u, on_read);
    if (c->hooks->on_sending)
        c->hooks->on_sending(c->arg, c);
}

static void on_connected(sl_upconn_t *u, int status, void *arg)
{
    (void)u;
    sl_upclient_t *c = arg;
    if (status < 0) {
        if (c->in_connect) {
            c->connect_err = status; /* connect_new reports it */
            return;
        }
        finish(c, status, uv_strerror(status), NULL);
        return;
    }
    send_request(c);
}

static void connect_new(sl_upclient_t *c)
{
    c->connecting = true;
    c->in_connect = true;
    c->connect_err = 0;
    c->up = sl_upconn_connect(c->w, &c->addr, c->opts.connect_timeout_ms, on_connected, c);
    c->in_connect = false;
    c->up->owner = c;
    if (c->connect_err)
        finish(c, c->connect_err, uv_strerror(c->connect_err), NULL);
}

sl_upclient_t *sl_upclient_start_in(sl_worker_t *w, const struct sockaddr_storage *addr,
                                    const uv_buf_t *bufs, unsigned n,
                                    const sl_upclient_opts_t *opts,
                                    const sl_upclient_hooks_t *hooks, void *arg,
                                    sl_arena_t *arena)
{
    sl_upclient_t *c;
    if (arena) {
        c = sl_arena_calloc(arena, 1, sizeof(*c));
        c->arena = arena;
    } else {
        c = sl_xcalloc(1, sizeof(*c));
        c->owns_memory = true;
        c->arena = sl_xmalloc(sizeof(*c->arena));
        sl_arena_init(c->arena, 1024);
    }
    c->w = w;
    memcpy(&c->addr, addr,
           addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    c->bufs = bufs;
    c->n_bufs = n;
    c->opts = *opts;
    c->hooks = hooks;
    c->arg = arg;
    c->req_done = !opts->body_follows;
    c->starting = true;
    sl_upconn_t *u = opts->keepalive ? sl_pool_take(w->pool, addr) : NULL;
    if (u) {
        c->up = u;
        u->owner = c;
        send_request(c);
    } else {
        connect_new(c);
    }
    c->starting = false;
    if (c->done_early) { /* on_done ran already */
        free_client(c);
        return NULL;
    }
    return c;
}

sl_upclient_t *sl_upclient_start(sl_worker_t *w, const struct sockaddr_storage *addr,
                                 const uv_buf_t *bufs, unsigned n,
                                 const sl_upclient_opts_t *opts,
                                 const sl_upclient_hooks_t *hooks, void *arg)
{
    return sl_upclient_start_in(w, addr, bufs, n, opts, hooks, arg, NULL);
}

sl_upconn_t *sl_upclient_take(sl_upclient_t *c)
{
    sl_upconn_t *u = c->up;
    c->up = NULL;
    if (u) {
        u->owner = NULL;
        sl_deadline_clear(&u->timer);
    }
    free_client(c);
    return u;
}

void sl_upclient_cancel(sl_upclient_t *c)
{
    if (c == NULL)
        return;
    detach(c, false);
    if (c->in_round) {
        c->cancelled = true; /* freed once on_round returns */
        return;
    }
    free_client(c);
}
