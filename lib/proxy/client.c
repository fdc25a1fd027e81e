/* The gateway's own upstream requests (see client.h). */
#include "proxy/client.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/xalloc.h"
#include "http/respparse.h"
#include "proxy/upstream.h"

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
    sl_arena_t arena;           /* the response head's header array */
    bool got_bytes;             /* a response byte arrived on this connection */
    bool retried;               /* the one free retry is used */
    bool final_head;            /* the final (non-1xx) head arrived */
    bool complete;
    bool starting;              /* inside sl_upclient_start */
    bool done_early;            /* on_done ran inside sl_upclient_start */
    bool in_connect;            /* inside sl_upconn_connect */
    int connect_err;            /* a connect that failed at once, reported after it */
    int status;
};

static void send_request(sl_upclient_t *c);
static void connect_new(sl_upclient_t *c);

static void finish(sl_upclient_t *c, int err, const char *why)
{
    sl_upconn_t *u = c->up;
    c->up = NULL;
    if (u) {
        u->owner = NULL;
        u->connect_cb = NULL;
        bool reusable = err == 0 && c->opts.keepalive && llhttp_should_keep_alive(&c->rp.llhttp) &&
                        u->pos == u->len && sl_upconn_writes_pending(u) == 0;
        if (reusable)
            sl_upconn_release_for(u, c->opts.idle_timeout_ms);
        else
            sl_upconn_close(u);
    }
    c->hooks->on_done(c->arg, err, c->status, why);
    if (c->starting) {
        c->done_early = true; /* sl_upclient_start frees it */
        return;
    }
    sl_arena_destroy(&c->arena);
    free(c);
}

/* The connection failed before any response byte: a pooled one gets one retry. */
static void failed_early(sl_upclient_t *c, int err, const char *why)
{
    sl_upconn_t *u = c->up;
    if (u && u->reused && !c->got_bytes && !c->retried) {
        c->retried = true;
        c->up = NULL;
        u->owner = NULL;
        sl_upconn_close(u);
        connect_new(c);
        return;
    }
    finish(c, err, why);
}

/* ---- the response --------------------------------------------------------------------- */

static int on_head(sl_respparse_t *rp)
{
    sl_upclient_t *c = rp->data;
    int status = rp->llhttp.status_code;
    if (status < 100) {
        llhttp_set_error_reason(&rp->llhttp, "invalid status code");
        return HPE_USER;
    }
    if (status < 200)
        return 0; /* interim: the final head follows */
    c->final_head = true;
    c->status = status;
    if (c->hooks->on_head) {
        sl_header_t *hs = sl_respparse_headers(rp, &c->arena);
        c->hooks->on_head(c->arg, status, hs, rp->spans->n);
    }
    return 0;
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
    if (!c->final_head)
        return 0;
    c->complete = true;
    return HPE_PAUSED; /* anything after the response is not ours */
}

static const sl_respparse_hooks_t response_hooks = {
    .on_head = on_head,
    .on_body = on_body,
    .on_complete = on_complete,
};

static void on_io_timeout(sl_deadline_t *d)
{
    sl_upconn_t *u = d->timer.data;
    sl_upclient_t *c = u->owner;
    if (c)
        finish(c, UV_ETIMEDOUT, "timeout");
}

static void arm(sl_upclient_t *c)
{
    sl_deadline_set(&c->up->timer, c->opts.io_timeout_ms, on_io_timeout);
}

static void parse(sl_upclient_t *c)
{
    sl_upconn_t *u = c->up;
    if (u->pos < u->len) {
        llhttp_errno_t err = sl_respparse_execute(&c->rp, u->buf, u->pos, u->len - u->pos);
        if (err == HPE_PAUSED) {
            u->pos = (size_t)(llhttp_get_error_pos(&c->rp.llhttp) - u->buf);
        } else if (err != HPE_OK) {
            finish(c, UV_EPROTO, llhttp_get_error_reason(&c->rp.llhttp));
            return;
        } else {
            u->pos = u->len;
        }
    }
    if (c->complete) {
        finish(c, 0, NULL);
        return;
    }
    if (u->pos > 0 && sl_respparse_movable(&c->rp)) {
        memmove(u->buf, u->buf + u->pos, u->len - u->pos);
        u->len -= u->pos;
        u->pos = 0;
    }
    if (u->len == u->cap) {
        finish(c, UV_EPROTO, "response head too big");
        return;
    }
    arm(c);
}

static void on_read(sl_upconn_t *u, ssize_t nread)
{
    sl_upclient_t *c = u->owner;
    if (nread < 0) {
        if (nread == UV_EOF && c->final_head) {
            llhttp_errno_t fe = llhttp_finish(&c->rp.llhttp);
            if ((fe == HPE_OK || fe == HPE_PAUSED) && c->complete) {
                finish(c, 0, NULL); /* a body delimited by the close */
                return;
            }
        }
        if (!c->got_bytes) {
            failed_early(c, (int)nread, nread == UV_EOF ? "connection closed before the response"
                                                        : uv_strerror((int)nread));
            return;
        }
        finish(c, nread == UV_EOF ? UV_EOF : (int)nread,
               nread == UV_EOF ? "connection closed in the middle of the response"
                               : uv_strerror((int)nread));
        return;
    }
    c->got_bytes = true;
    u->len += (size_t)nread;
    parse(c);
}

/* ---- the request ---------------------------------------------------------------------- */

static void on_written(sl_upconn_t *u, int status)
{
    sl_upclient_t *c = u->owner;
    if (status < 0) {
        failed_early(c, status, uv_strerror(status));
        return;
    }
    arm(c); /* now waiting for the response */
}

static void send_request(sl_upclient_t *c)
{
    sl_upconn_t *u = c->up;
    u->owner = c;
    u->requests++;
    c->got_bytes = c->final_head = c->complete = false;
    sl_respparse_start(&c->rp, &u->spans, &response_hooks, c);
    int rc = sl_upconn_write(u, c->bufs, c->n_bufs, on_written);
    if (rc < 0) {
        failed_early(c, rc, uv_strerror(rc));
        return;
    }
    arm(c);
    sl_upconn_read_start(u, on_read);
}

static void on_connected(sl_upconn_t *u, int status, void *arg)
{
    sl_upclient_t *c = arg;
    if (status < 0) {
        if (c->in_connect) {
            c->connect_err = status; /* connect_new reports it */
            return;
        }
        finish(c, status, status == UV_ETIMEDOUT ? "connect timeout" : uv_strerror(status));
        return;
    }
    send_request(c);
}

static void connect_new(sl_upclient_t *c)
{
    c->in_connect = true;
    c->connect_err = 0;
    c->up = sl_upconn_connect(c->w, &c->addr, c->opts.connect_timeout_ms, on_connected, c);
    c->in_connect = false;
    c->up->owner = c;
    if (c->connect_err)
        finish(c, c->connect_err, uv_strerror(c->connect_err));
}

sl_upclient_t *sl_upclient_start(sl_worker_t *w, const struct sockaddr_storage *addr,
                                 const uv_buf_t *bufs, unsigned n,
                                 const sl_upclient_opts_t *opts,
                                 const sl_upclient_hooks_t *hooks, void *arg)
{
    sl_upclient_t *c = sl_xcalloc(1, sizeof(*c));
    c->w = w;
    c->addr = *addr;
    c->bufs = bufs;
    c->n_bufs = n;
    c->opts = *opts;
    c->hooks = hooks;
    c->arg = arg;
    sl_arena_init(&c->arena, 1024);
    c->starting = true;
    sl_upconn_t *u = opts->keepalive ? sl_pool_take(w->pool, addr) : NULL;
    if (u) {
        c->up = u;
        send_request(c);
    } else {
        connect_new(c);
    }
    c->starting = false;
    if (c->done_early) { /* a connect refused at once: on_done ran already */
        sl_arena_destroy(&c->arena);
        free(c);
        return NULL;
    }
    return c;
}

void sl_upclient_cancel(sl_upclient_t *c)
{
    if (c == NULL)
        return;
    sl_upconn_t *u = c->up;
    if (u) {
        u->owner = NULL;
        u->connect_cb = NULL;
        sl_upconn_close(u);
    }
    sl_arena_destroy(&c->arena);
    free(c);
}
