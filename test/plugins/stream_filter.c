/*
 * test-stream: a test-only plugin (built into sluice-test, never shipped) that drives the
 * response stream (lib/http/response.h) the ways real filters will, so the e2e tests can
 * assert the bytes a client receives. Config:
 *   mode: pass | longer | shorter | hold | wait | append | late | drop-cl
 *     longer   every byte doubled ("ab" -> "aabb"), whatever the pieces
 *     shorter  every other byte dropped (the bytes at even offsets of the body stay)
 *     hold     every piece held; at the end "[" + everything + "]"
 *     wait     each piece passed after waiting wait_ms on a timer
 *     append   pieces pass; at the end `text` is appended
 *     late     the first piece passes, later ones are replaced (longer) without saying so
 *              in header_filter: the stream must cut the response, not send a wrong length
 *     drop-cl  header_filter removes Content-Length; the body passes
 *   declare: true  header_filter calls sl_resp_body_changes (as a real body filter does)
 *   wait_ms, text
 * test-stream-2 is the same plugin under another name and a lower priority, so that a route
 * can chain two filters (test-stream runs first).
 */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "config/node.h"
#include "core/worker.h"
#include "core/xalloc.h"
#include "http/request.h"
#include "http/response.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"

extern const sl_plugin_desc_t sl_plugin_test_stream;
extern const sl_plugin_desc_t sl_plugin_test_stream_2;

enum { M_PASS, M_LONGER, M_SHORTER, M_HOLD, M_WAIT, M_APPEND, M_LATE, M_DROP_CL };

typedef struct conf {
    const sl_plugin_desc_t *desc; /* which of the two (its per-request slot) */
    int mode;
    bool declare;
    int64_t wait_ms;
    const char *text;
} conf_t;

static const char *const fields[] = {"mode", "declare", "wait_ms", "text", NULL};
static const char *const modes[] = {"pass", "longer", "shorter", "hold", "wait",
                                    "append", "late", "drop-cl", NULL};

static conf_t *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    size_t errors = diag->n + diag->dropped;
    c->wait_ms = 50;
    c->text = "";
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (strcmp(key, "mode") == 0)
            c->mode = sl_pconf_one_of(diag, v, modes);
        else if (strcmp(key, "declare") == 0)
            sl_pconf_bool(diag, v, &c->declare);
        else if (strcmp(key, "wait_ms") == 0)
            sl_pconf_int(diag, v, 0, 10000, &c->wait_ms);
        else if (strcmp(key, "text") == 0)
            c->text = sl_pconf_string(diag, arena, v);
        else
            sl_pconf_unknown(diag, k, fields);
    }
    return diag->n + diag->dropped == errors ? c : NULL;
}

static void *parse_1(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = parse(config, arena, diag);
    if (c)
        c->desc = &sl_plugin_test_stream;
    return c;
}

static void *parse_2(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = parse(config, arena, diag);
    if (c)
        c->desc = &sl_plugin_test_stream_2;
    return c;
}

static void on_header_filter(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    if (c->declare)
        sl_resp_body_changes(req);
    if (c->mode == M_DROP_CL)
        sl_pdk_clear_response_header(req, "Content-Length");
    sl_pdk_add_response_header(req, "X-Test-Stream", SL_SLICE_LIT("seen"));
}

/* A wait on a timer, per request: the timer handle is malloc'd and freed by its close. */
typedef struct waiter {
    uv_timer_t timer;
    sl_req_t *req; /* NULL once the request went away */
} waiter_t;

static void on_waiter_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_timer(uv_timer_t *t)
{
    waiter_t *wt = t->data;
    sl_req_t *req = wt->req;
    uv_close((uv_handle_t *)&wt->timer, on_waiter_closed);
    if (req == NULL)
        return;
    sl_body_resume(req, SL_BODY_PASS);
}

static void cancel_wait(sl_req_t *req, void *arg)
{
    (void)req;
    waiter_t *wt = arg;
    wt->req = NULL;
    uv_timer_stop(&wt->timer);
    uv_close((uv_handle_t *)&wt->timer, on_waiter_closed);
}

/* Per request: pieces seen and body bytes seen. */
typedef struct seen {
    int pieces;
    uint64_t bytes;
} seen_t;

static sl_body_action_t on_body_filter(sl_req_t *req, const void *conf, sl_body_t *b)
{
    const conf_t *c = conf;
    void **ctx = sl_pdk_ctx(req, c->desc);
    if (*ctx == NULL)
        *ctx = sl_arena_calloc(req->arena, 1, sizeof(seen_t));
    seen_t *seen = *ctx;
    int nth = seen->pieces++;
    uint64_t off = seen->bytes;
    seen->bytes += b->len;
    switch (c->mode) {
    case M_LONGER:
    case M_LATE:
        if (c->mode == M_LATE && nth == 0)
            return SL_BODY_PASS;
        if (b->len) {
            char *d = sl_xmalloc(2 * b->len);
            for (size_t i = 0; i < b->len; i++)
                d[2 * i] = d[2 * i + 1] = b->data[i];
            sl_body_replace(req, b, d, 2 * b->len); /* copied */
            free(d);
        }
        return SL_BODY_REPLACED;
    case M_SHORTER: {
        char *d = sl_xmalloc(b->len + 1);
        size_t n = 0;
        for (size_t i = 0; i < b->len; i++)
            if ((off + i) % 2 == 0)
                d[n++] = b->data[i];
        sl_body_replace(req, b, d, n);
        free(d);
        return SL_BODY_REPLACED;
    }
    case M_HOLD:
        if (!b->last)
            return SL_BODY_HOLD;
        {
            sl_slice_t held = sl_body_held(req, b);
            size_t n = held.len + b->len + 2;
            char *d = sl_xmalloc(n);
            d[0] = '[';
            memcpy(d + 1, held.p, held.len);
            memcpy(d + 1 + held.len, b->data, b->len);
            d[n - 1] = ']';
            sl_body_replace(req, b, d, n);
            free(d);
        }
        return SL_BODY_REPLACED;
    case M_WAIT: {
        if (b->last && b->len == 0)
            return SL_BODY_PASS;
        waiter_t *wt = sl_xcalloc(1, sizeof(*wt));
        wt->req = req;
        uv_timer_init(req->w->loop, &wt->timer);
        wt->timer.data = wt;
        uv_timer_start(&wt->timer, on_timer, (uint64_t)c->wait_ms, 0);
        sl_pdk_wait(req, cancel_wait, wt);
        return SL_BODY_WAIT;
    }
    case M_APPEND:
        if (b->last)
            sl_body_append(req, b, c->text, strlen(c->text));
        return SL_BODY_PASS;
    default:
        return SL_BODY_PASS;
    }
}

const sl_plugin_desc_t sl_plugin_test_stream = {
    .name = "test-stream",
    .priority = 5,
    .version = "0.0.1",
    .parse = parse_1,
    .header_filter = on_header_filter,
    .body_filter = on_body_filter,
};

const sl_plugin_desc_t sl_plugin_test_stream_2 = {
    .name = "test-stream-2",
    .priority = 4,
    .version = "0.0.1",
    .parse = parse_2,
    .header_filter = on_header_filter,
    .body_filter = on_body_filter,
};
