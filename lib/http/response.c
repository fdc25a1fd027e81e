/*
 * The response stream (see response.h). Pieces travel between filters on a stack, depth
 * first, so that what a filter lets out reaches the client before the next piece enters it
 * and the order never changes; pieces given while a filter waits queue behind it. What comes
 * out of the last filter is gathered in <ready> and written in one batch per flush, as one
 * chunk when the body is chunked.
 */
#include "http/response.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "http/conn.h"
#include "http/h1write.h"
#include "http/headers.h"
#include "http/request.h"

/* What one filter holds. */
struct sl_resp_hold {
    char *p;
    size_t len, cap;
};

static const sl_slice_t CONTENT_LENGTH = {"Content-Length", 14};

static void run(sl_req_t *req);
static bool write_out(sl_req_t *req);

/* ---- memory -------------------------------------------------------------------------- */

static void *grow(sl_req_t *req, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *nv = sl_arena_alloc(req->arena, ncap * size);
    if (n)
        memcpy(nv, v, n * size);
    *cap = ncap;
    return nv;
}

/* A copy of <p> that lives until the batch it goes out with is written. */
static const char *scratch_copy(sl_req_t *req, const char *p, size_t n)
{
    sl_resp_t *r = &req->resp;
    if (r->scratch == NULL) {
        r->scratch = sl_xmalloc(sizeof(*r->scratch));
        sl_arena_init(r->scratch, 4096);
    }
    char *d = sl_arena_alloc(r->scratch, n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}

static void drop_holds(sl_resp_t *r)
{
    for (size_t i = 0; r->holds && i < r->n_stages; i++) {
        free(r->holds[i].p);
        r->holds[i] = (struct sl_resp_hold){0};
    }
}

void sl_resp_free(sl_req_t *req)
{
    sl_resp_t *r = &req->resp;
    drop_holds(r);
    r->holds = NULL;
    if (r->scratch) {
        sl_arena_destroy(r->scratch);
        free(r->scratch);
        r->scratch = NULL;
    }
}

/* ---- the head ------------------------------------------------------------------------- */

void sl_resp_start(sl_req_t *req, int status, sl_slice_t reason)
{
    sl_resp_t *r = &req->resp;
    if (r->waiting && req->pending_cancel) {
        sl_req_cancel_cb cancel = req->pending_cancel;
        req->pending_cancel = NULL;
        cancel(req, req->pending_arg);
    }
    if (r->started) {
        /* replaced before anything left (an upstream failing while a filter held its
         * response): what the filters held goes */
        drop_holds(r);
        sl_arena_t *scratch = r->scratch;
        struct sl_resp_hold *holds = r->holds;
        size_t n_holds = r->n_stages;
        *r = (sl_resp_t){0};
        r->scratch = scratch;
        if (holds && n_holds) {
            r->holds = holds; /* the same chain, the same number of filters */
            r->n_stages = n_holds;
        }
    }
    r->started = true;
    r->status = status;
    r->reason = reason;
    r->length = -1;
    sl_hlist_init(&r->headers, req->arena, 16);
}

sl_hlist_t *sl_resp_headers(sl_req_t *req)
{
    return &req->resp.headers;
}

/* Edits plugins made before the response existed (plugin/pdk.h): the headers they set or
 * cleared replace the producer's (not a gateway answer's own), then what they added. */
static void apply_pending(sl_req_t *req)
{
    sl_resp_t *r = &req->resp;
    if (!r->gateway)
        for (size_t i = 0; i < req->n_resp_drop; i++)
            sl_hlist_remove(&r->headers, req->resp_drop[i]);
    for (size_t i = 0; i < req->n_resp_add; i++)
        sl_hlist_add(&r->headers, req->resp_add[i].name, req->resp_add[i].value);
}

void sl_resp_head(sl_req_t *req, int64_t length)
{
    sl_resp_t *r = &req->resp;
    int s = r->status;
    r->length = length;
    r->no_body = req->is_head || s < 200 || s == 204 || s == 304;
    apply_pending(req);
    r->headed = true; /* header filters edit the list itself from now on */
    req->status = s;
    const sl_resp_filters_t *f = req->filters;
    if (f && f->header)
        f->header(req);
    size_t n = f && f->n_body && !r->no_body ? f->n_body(req) : 0;
    if (n) {
        /* the head may wait for the filters: it must outlive the producer's buffers */
        sl_hlist_own(&r->headers);
        r->reason = sl_slice(sl_arena_strndup(req->arena, r->reason.p ? r->reason.p : "",
                                              r->reason.len), r->reason.len);
        if (r->holds == NULL || r->n_stages != n)
            r->holds = sl_arena_calloc(req->arena, n, sizeof(*r->holds));
    }
    r->n_stages = n;
}

void sl_resp_body_changes(sl_req_t *req)
{
    if (req->resp.no_body)
        return; /* nothing to change: HEAD and 304 keep the length they announce */
    req->resp.changed = true;
    sl_hlist_remove(&req->resp.headers, CONTENT_LENGTH);
}

/* The framing, decided when the head leaves; fixes Content-Length in the list to match. */
static int decide_framing(sl_req_t *req)
{
    sl_resp_t *r = &req->resp;
    int s = r->status;
    if (r->no_body) {
        if (!(req->is_head || s == 304))
            sl_hlist_remove(&r->headers, CONTENT_LENGTH);
        return SL_FRAME_NONE;
    }
    bool has_cl = sl_hlist_find(&r->headers, CONTENT_LENGTH) != NULL;
    if (!r->changed && has_cl && r->length >= 0)
        return SL_FRAME_LENGTH;
    sl_hlist_remove(&r->headers, CONTENT_LENGTH);
    if (r->changed && r->ended && !r->streamed) {
        /* the filters changed the body and let all of it out at its end: its length is
         * known */
        uint64_t total = 0;
        for (size_t i = 0; i < r->n_ready; i++)
            total += r->ready[i].len;
        sl_hlist_add_u64(&r->headers, CONTENT_LENGTH, total);
        r->length = (int64_t)total;
        return SL_FRAME_LENGTH;
    }
    return req->http_minor == 0 ? SL_FRAME_CLOSE : SL_FRAME_CHUNKED;
}

/* ---- body filters ---------------------------------------------------------------------- */

sl_slice_t sl_body_held(sl_req_t *req, const sl_body_t *b)
{
    struct sl_resp_hold *h = &req->resp.holds[b->stage];
    return sl_slice(h->p ? h->p : "", h->len);
}

void sl_body_replace(sl_req_t *req, sl_body_t *b, const char *data, size_t len)
{
    b->out = scratch_copy(req, data, len);
    b->out_len = len;
}

void sl_body_append(sl_req_t *req, sl_body_t *b, const char *data, size_t len)
{
    if (len == 0)
        return;
    if (b->extra_len == 0) {
        b->extra = scratch_copy(req, data, len);
        b->extra_len = len;
        return;
    }
    char *d = (char *)scratch_copy(req, b->extra, b->extra_len + len);
    memcpy(d + b->extra_len, data, len);
    b->extra = d;
    b->extra_len += len;
}

static void push_item(sl_req_t *req, const char *p, size_t len, size_t stage, bool last,
                      bool final)
{
    sl_resp_t *r = &req->resp;
    r->stack = grow(req, r->stack, r->n_stack, &r->cap_stack, sizeof(*r->stack));
    r->stack[r->n_stack++] = (sl_resp_item_t){p, len, stage, last, final};
}

static void enqueue(sl_req_t *req, const char *p, size_t len, bool last)
{
    sl_resp_t *r = &req->resp;
    if (r->q_head == r->n_queue)
        r->q_head = r->n_queue = 0;
    r->queue = grow(req, r->queue, r->n_queue, &r->cap_queue, sizeof(*r->queue));
    r->queue[r->n_queue++] = (sl_resp_item_t){p, len, 0, last, last};
}

/* A change to the body: fine until the head leaves, or when its framing does not care. */
static void note_change(sl_req_t *req)
{
    sl_resp_t *r = &req->resp;
    if (!r->head_written) {
        r->changed = true;
        return;
    }
    if (r->framing == SL_FRAME_LENGTH && !r->cut) {
        sl_log(SL_LOG_ERROR, "a body filter changed a response whose Content-Length was sent "
               "(it must remove Content-Length in its header filter): the response is cut");
        r->cut = true;
    }
}

/* What filter <b->stage> did with its piece: its output goes on to the next stage. */
static void apply(sl_req_t *req, sl_body_t *b, sl_body_action_t act)
{
    sl_resp_t *r = &req->resp;
    struct sl_resp_hold *h = &r->holds[b->stage];
    sl_slice_t out[3];
    size_t n_out = 0;
    if (act == SL_BODY_HOLD && h->len + b->len > SL_BODY_HOLD_MAX) {
        sl_log(SL_LOG_WARN, "a body filter held more than %u bytes: the body passes unchanged",
               SL_BODY_HOLD_MAX);
        act = SL_BODY_PASS;
    }
    switch (act) {
    case SL_BODY_PASS:
        if (h->len) {
            out[n_out++] = sl_slice(scratch_copy(req, h->p, h->len), h->len);
            h->len = 0;
        }
        if (b->len)
            out[n_out++] = sl_slice(b->data, b->len);
        break;
    case SL_BODY_REPLACED:
        if (h->len || b->len || b->out_len)
            note_change(req);
        h->len = 0;
        if (b->out_len)
            out[n_out++] = sl_slice(b->out, b->out_len);
        break;
    case SL_BODY_DROP:
        if (b->len)
            note_change(req);
        break;
    case SL_BODY_HOLD:
        if (b->len) {
            if (h->len + b->len > h->cap) {
                h->cap = (h->len + b->len) * 2;
                h->p = sl_xrealloc(h->p, h->cap);
            }
            memcpy(h->p + h->len, b->data, b->len);
            h->len += b->len;
        }
        if (b->last && h->len) {
            /* held to the end and never let out: dropped */
            note_change(req);
            h->len = 0;
        }
        break;
    case SL_BODY_WAIT:
        break; /* not here: see run */
    case SL_BODY_FAIL:
    default:
        sl_log(SL_LOG_ERROR, "a body filter failed: the response is cut");
        r->cut = true;
        return;
    }
    if (b->extra_len) {
        note_change(req);
        out[n_out++] = sl_slice(b->extra, b->extra_len);
    }
    if (n_out == 0) {
        if (b->last)
            push_item(req, NULL, 0, b->stage + 1, true, true);
        return;
    }
    for (size_t i = n_out; i-- > 0;)
        push_item(req, out[i].p, out[i].len, b->stage + 1, b->last && i == n_out - 1,
                  b->final);
}

static void to_writer(sl_req_t *req, const char *p, size_t len, bool last, bool final)
{
    sl_resp_t *r = &req->resp;
    if (len && !final)
        r->streamed = true;
    if (len) {
        if (r->n_ready && r->ready[r->n_ready - 1].p + r->ready[r->n_ready - 1].len == p) {
            r->ready[r->n_ready - 1].len += len; /* contiguous: one buffer */
        } else {
            r->ready = grow(req, r->ready, r->n_ready, &r->cap_ready, sizeof(*r->ready));
            r->ready[r->n_ready++] = sl_slice(p, len);
        }
    }
    if (last)
        r->ended = true;
}

/* Moves pieces through the filters until all are out or one waits. */
static void run(sl_req_t *req)
{
    sl_resp_t *r = &req->resp;
    while (!r->waiting && !r->cut) {
        if (r->n_stack == 0) {
            if (r->q_head == r->n_queue)
                return;
            r->stack = grow(req, r->stack, 0, &r->cap_stack, sizeof(*r->stack));
            r->stack[r->n_stack++] = r->queue[r->q_head++];
        }
        sl_resp_item_t it = r->stack[--r->n_stack];
        if (it.stage >= r->n_stages) {
            to_writer(req, it.p, it.len, it.last, it.final);
            continue;
        }
        sl_body_t *b = &r->wait_b;
        *b = (sl_body_t){.data = it.p ? it.p : "", .len = it.len, .last = it.last,
                         .held = r->holds[it.stage].len, .stage = it.stage,
                         .final = it.final};
        sl_body_action_t act = req->filters->body(req, it.stage, b);
        if (act == SL_BODY_WAIT) {
            r->waiting = true;
            return;
        }
        apply(req, b, act);
    }
}

void sl_body_resume(sl_req_t *req, sl_body_action_t action)
{
    sl_resp_t *r = &req->resp;
    if (!r->waiting)
        return;
    r->waiting = false;
    req->pending_cancel = NULL; /* the wait is over: nothing to cancel */
    req->pending_arg = NULL;
    if (action == SL_BODY_WAIT)
        action = SL_BODY_FAIL;
    apply(req, &r->wait_b, action);
    run(req);
    if (r->waiting || r->drain == NULL)
        return; /* the producer has not flushed yet: its flush writes */
    if (!write_out(req)) {
        sl_resp_drain_cb cb = r->drain;
        r->drain = NULL;
        cb(req, r->drain_arg);
    }
}

/* ---- producer side ------------------------------------------------------------------------ */

void sl_resp_body(sl_req_t *req, const char *p, size_t n)
{
    sl_resp_t *r = &req->resp;
    if (n == 0 || r->no_body)
        return;
    if (r->n_stages == 0) {
        to_writer(req, p, n, false, false);
        return;
    }
    enqueue(req, p, n, false);
    run(req);
}

void sl_resp_end(sl_req_t *req)
{
    sl_resp_t *r = &req->resp;
    if (r->n_stages == 0) {
        r->ended = true;
        return;
    }
    enqueue(req, NULL, 0, true);
    run(req);
}

/* ---- writing --------------------------------------------------------------------------------- */

static void on_written(sl_conn_t *c, void *arg)
{
    (void)c;
    sl_req_t *req = arg;
    sl_resp_t *r = &req->resp;
    r->writing = false;
    if (r->scratch)
        sl_arena_reset(r->scratch);
    if (write_out(req))
        return;
    sl_resp_drain_cb cb = r->drain;
    r->drain = NULL;
    if (cb)
        cb(req, r->drain_arg);
}

/* Writes the head (first time) and what is ready. Returns true when a write is under way. */
static bool write_out(sl_req_t *req)
{
    sl_resp_t *r = &req->resp;
    sl_conn_t *c = req->conn;
    if (r->writing)
        return true;
    bool head_now = !r->head_written && (r->n_stages == 0 || r->n_ready || r->ended);
    if (!head_now && r->n_ready == 0 && !(r->ended && !r->end_written))
        return false;
    uv_buf_t local[64];
    size_t need = r->n_ready + 4;
    uv_buf_t *v = need <= 64 ? local : sl_arena_alloc(req->arena, need * sizeof(*v));
    size_t k = 0;
    if (head_now) {
        r->framing = decide_framing(req);
        bool close = r->framing == SL_FRAME_CLOSE || sl_conn_last_response(c);
        sl_hbuf_t hb;
        sl_hbuf_init(&hb, req->arena, 256 + r->headers.n * 48);
        sl_h1_head(&hb, r->status, r->reason, &r->headers, r->framing, close);
        if (close)
            c->close_after = true;
        req->status = r->status;
        req->head_out = hb.len;
        req->head_sent = sl_slice(hb.p, hb.len);
        req->response_started = true;
        r->head_written = true;
        v[k++] = uv_buf_init(hb.p, (unsigned)hb.len);
    }
    uint64_t batch = 0;
    for (size_t i = 0; i < r->n_ready; i++)
        batch += r->ready[i].len;
    if (r->framing == SL_FRAME_LENGTH &&
        (r->body_out + batch > (uint64_t)r->length ||
         (r->ended && r->body_out + batch != (uint64_t)r->length))) {
        if (!r->cut)
            sl_log(SL_LOG_ERROR, "response body of %llu bytes where Content-Length said %lld: "
                   "the response is cut", (unsigned long long)(r->body_out + batch),
                   (long long)r->length);
        r->cut = true;
    }
    if (r->cut) {
        sl_conn_close(c);
        return true;
    }
    bool chunk = r->framing == SL_FRAME_CHUNKED && batch;
    if (chunk)
        v[k++] = uv_buf_init(r->chunk_line, (unsigned)sl_h1_chunk_line(r->chunk_line, batch));
    for (size_t i = 0; i < r->n_ready; i++)
        v[k++] = uv_buf_init((char *)r->ready[i].p, (unsigned)r->ready[i].len);
    if (chunk)
        v[k++] = uv_buf_init("\r\n", 2);
    if (r->ended && !r->end_written) {
        r->end_written = true;
        if (r->framing == SL_FRAME_CHUNKED)
            v[k++] = uv_buf_init(SL_H1_LAST_CHUNK, sizeof(SL_H1_LAST_CHUNK) - 1);
    }
    r->body_out += batch;
    r->n_ready = 0;
    if (k == 0)
        return false;
    r->writing = true;
    sl_conn_write(c, v, (unsigned)k, on_written, req); /* libuv copies the array */
    return true;
}

bool sl_resp_flush(sl_req_t *req, sl_resp_drain_cb drain, void *arg)
{
    sl_resp_t *r = &req->resp;
    if (!r->headed)
        return false;
    r->drain = drain;
    r->drain_arg = arg;
    if (r->cut) {
        sl_conn_close(req->conn);
        return true;
    }
    if (r->waiting)
        return true;
    if (write_out(req))
        return true;
    r->drain = NULL;
    return false;
}
