/* The plugin development kit and the phase runners (see pdk.h). */
#include "plugin/pdk.h"

#include <stdio.h>
#include <string.h>

#include "config/model.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/errors.h"
#include "http/headers.h"
#include "http/hlist.h"
#include "http/response.h"
#include "plugin/chain.h"
#include "plugin/plugin.h"

static void push(sl_req_t *req, sl_header_t **v, size_t *n, const char *name, sl_slice_t value)
{
    /* in the request arena, room for 4, then doubled whenever a power of two is full */
    sl_header_t *nv = *v;
    if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) {
        nv = sl_arena_alloc(req->arena, (*n ? *n * 2 : 4) * sizeof(*nv));
        if (*n)
            memcpy(nv, *v, *n * sizeof(*nv));
    }
    /* name and value copied together, each NUL-terminated */
    size_t nl = strlen(name);
    char *m = sl_arena_alloc(req->arena, nl + value.len + 2);
    memcpy(m, name, nl + 1);
    if (value.len)
        memcpy(m + nl + 1, value.p, value.len);
    m[nl + 1 + value.len] = '\0';
    nv[*n].name = sl_slice(m, nl);
    nv[*n].value = sl_slice(m + nl + 1, value.len);
    *v = nv;
    (*n)++;
}

void sl_pdk_set_upstream_header(sl_req_t *req, const char *name, sl_slice_t value)
{
    for (size_t i = 0; i < req->n_up_set; i++) {
        if (sl_slice_ieq(req->up_set[i].name, name, strlen(name))) {
            req->up_set[i].value =
                sl_slice(sl_arena_strndup(req->arena, value.p ? value.p : "", value.len),
                         value.len);
            return;
        }
    }
    push(req, &req->up_set, &req->n_up_set, name, value);
}

void sl_pdk_add_response_header(sl_req_t *req, const char *name, sl_slice_t value)
{
    if (req->resp.headed) {
        sl_hlist_add_copy(&req->resp.headers, sl_slice(name, strlen(name)), value);
        return;
    }
    push(req, &req->resp_add, &req->n_resp_add, name, value);
}

/* Removes the plugin-added response headers named <name>. */
static void unadd(sl_req_t *req, const char *name, size_t nl)
{
    size_t j = 0;
    for (size_t i = 0; i < req->n_resp_add; i++)
        if (!sl_slice_ieq(req->resp_add[i].name, name, nl))
            req->resp_add[j++] = req->resp_add[i];
    req->n_resp_add = j;
}

/* The upstream's headers named <name> will not be sent. */
static void drop_upstream(sl_req_t *req, const char *name, size_t nl)
{
    for (size_t i = 0; i < req->n_resp_drop; i++)
        if (sl_slice_ieq(req->resp_drop[i], name, nl))
            return;
    sl_slice_t *nv = sl_arena_alloc(req->arena, (req->n_resp_drop + 1) * sizeof(*nv));
    if (req->n_resp_drop)
        memcpy(nv, req->resp_drop, req->n_resp_drop * sizeof(*nv));
    nv[req->n_resp_drop++] = sl_slice(sl_arena_strndup(req->arena, name, nl), nl);
    req->resp_drop = nv;
}

void sl_pdk_set_response_header(sl_req_t *req, const char *name, sl_slice_t value)
{
    size_t nl = strlen(name);
    if (req->resp.headed) {
        sl_hlist_set(&req->resp.headers, sl_slice(name, nl), value);
        return;
    }
    unadd(req, name, nl);
    drop_upstream(req, name, nl);
    push(req, &req->resp_add, &req->n_resp_add, name, value);
}

void sl_pdk_clear_response_header(sl_req_t *req, const char *name)
{
    size_t nl = strlen(name);
    if (req->resp.headed) {
        sl_hlist_remove(&req->resp.headers, sl_slice(name, nl));
        return;
    }
    unadd(req, name, nl);
    drop_upstream(req, name, nl);
}

sl_slice_t sl_pdk_response_header(const sl_req_t *req, const char *name)
{
    size_t nl = strlen(name);
    if (req->resp.headed)
        return sl_hlist_get(&req->resp.headers, sl_slice(name, nl));
    for (size_t i = 0; i < req->n_resp_add; i++)
        if (sl_slice_ieq(req->resp_add[i].name, name, nl))
            return req->resp_add[i].value;
    for (size_t i = 0; i < req->n_resp_drop; i++)
        if (sl_slice_ieq(req->resp_drop[i], name, nl))
            return sl_slice(NULL, 0);
    return sl_slice(NULL, 0);
}

void **sl_pdk_ctx(sl_req_t *req, const sl_plugin_desc_t *desc)
{
    if (req->plugin_ctx == NULL)
        req->plugin_ctx = sl_arena_calloc(req->arena, sl_plugin_count() + 1, sizeof(void *));
    return &req->plugin_ctx[sl_plugin_index(desc)]; /* unregistered: the spare last slot */
}

void sl_pdk_clear_upstream_header(sl_req_t *req, const char *name)
{
    size_t nl = strlen(name), i = 0;
    while (i < req->n_up_set && !sl_slice_ieq(req->up_set[i].name, name, nl))
        i++;
    if (i == req->n_up_set)
        push(req, &req->up_set, &req->n_up_set, name, SL_SLICE_LIT(""));
    req->up_set[i].value = sl_slice(NULL, 0); /* sent as nothing: see proxy.c */
}

static void set_or_clear(sl_req_t *req, const char *name, const char *value)
{
    if (value)
        sl_pdk_set_upstream_header(req, name, sl_slice(value, strlen(value)));
    else
        sl_pdk_clear_upstream_header(req, name);
}

void sl_pdk_authenticate(sl_req_t *req, const sl_consumer_t *consumer, const char *credential_id,
                         const char *identifier)
{
    req->consumer = consumer;
    req->credential_id = identifier ? credential_id : NULL;
    set_or_clear(req, "X-Consumer-ID", consumer ? consumer->id : NULL);
    set_or_clear(req, "X-Consumer-Custom-ID", consumer ? consumer->custom_id : NULL);
    set_or_clear(req, "X-Consumer-Username", consumer ? consumer->username : NULL);
    set_or_clear(req, "X-Credential-Identifier", identifier);
    set_or_clear(req, "X-Anonymous-Consumer", identifier ? NULL : "true");
}

bool sl_pdk_upstream_header_set(const sl_req_t *req, sl_slice_t name)
{
    for (size_t i = 0; i < req->n_up_set; i++)
        if (sl_slice_ieq(req->up_set[i].name, name.p, name.len))
            return true;
    return false;
}

void sl_pdk_exit(sl_req_t *req, int status, const char *content_type, const char *body,
                 size_t len)
{
    sl_req_exit(req, status, content_type, body, len);
}

void sl_pdk_exit_message(sl_req_t *req, int status, const char *message)
{
    sl_req_exit_message(req, status, message);
}

void sl_pdk_set_upstream_query(sl_req_t *req, sl_slice_t query)
{
    req->query = sl_slice(sl_arena_strndup(req->arena, query.p ? query.p : "", query.len),
                          query.len);
    req->has_query = query.len > 0;
}

static void phase_failed(sl_req_t *req, const char *plugin, const char *phase)
{
    sl_log(SL_LOG_ERROR, "plugin %s failed in the %s phase", plugin, phase);
    sl_req_send_error(req, SL_ERR_INTERNAL);
}

void sl_pdk_error(sl_req_t *req, int status, const char *message)
{
    /* the body type follows Accept, JSON by default (kong-compat 3.8) */
    sl_slice_t accept = sl_req_header(req, "accept");
    int m = accept.p ? sl_mime_from_accept(accept) : -1;
    if (m < 0)
        m = SL_MIME_JSON;
    size_t cap = strlen(message) + 512;
    char *body = sl_arena_alloc(req->arena, cap);
    size_t len = sl_err_body((sl_mime_t)m, message, req->id, body, cap);
    sl_pdk_exit(req, status, sl_mime_content_type((sl_mime_t)m), body, len);
}

bool sl_pdk_run_rewrite(sl_req_t *req, const sl_plugin_chain_t *chain)
{
    for (size_t i = 0; chain && i < chain->n; i++) {
        const sl_plugin_instance_t *pi = chain->v[i];
        if (pi->desc->rewrite == NULL)
            continue;
        sl_phase_result_t r = pi->desc->rewrite(req, pi->conf);
        if (r == SL_CONTINUE)
            continue;
        if (r != SL_RESPONDED)
            phase_failed(req, pi->name, "rewrite"); /* SL_AGAIN is for access only */
        return false;
    }
    return true;
}

/* After a plugin of the access phase is done: if it made the request some consumer's, the
 * plugins after it resolve with that consumer's scopes too (Kong's collecting phase), and
 * header_filter and log later see the same instances. */
static void rescope(sl_req_t *req)
{
    const sl_plugin_chain_t *ch = req->chain;
    if (ch == NULL || req->consumer == ch->consumer || !(ch->base ? ch->base : ch)->has_cscope)
        return;
    const sl_plugin_chain_t *merged =
        sl_plugin_chain_for_consumer(ch, req->phase_next, req->consumer, req->arena);
    if (merged)
        req->chain = merged;
}

static bool start_body_read(sl_req_t *req);

/* Runs access callbacks from req->phase_next on. */
static sl_phase_result_t access_from(sl_req_t *req)
{
    while (req->chain && req->phase_next < req->chain->n) {
        const sl_plugin_instance_t *pi = req->chain->v[req->phase_next++];
        if (pi->desc->access == NULL)
            continue;
        sl_phase_result_t r = pi->desc->access(req, pi->conf);
        if (r == SL_CONTINUE) {
            rescope(req);
            continue;
        }
        if (r == SL_ERROR) {
            phase_failed(req, pi->name, "access");
            return SL_RESPONDED;
        }
        if (r == SL_AGAIN && req->body_read_wanted) {
            if (start_body_read(req))
                continue;
            return SL_AGAIN;
        }
        if (r == SL_RESPONDED)
            rescope(req); /* the rest still log */
        return r; /* SL_RESPONDED or SL_AGAIN */
    }
    return SL_CONTINUE;
}

sl_body_status_t sl_pdk_read_body(sl_req_t *req, sl_slice_t *body)
{
    *body = sl_slice(req->body_buf ? req->body_buf : "", req->body_len);
    if (req->body_buffered)
        return SL_RAW_BODY_READY;
    if (req->body_overflow)
        return SL_RAW_BODY_TOO_LARGE;
    if (!req->has_body) {
        req->body_buffered = true;
        return SL_RAW_BODY_READY;
    }
    req->body_read_wanted = true; /* access_from starts the reading once the plugin returns */
    return SL_RAW_BODY_WAIT;
}

void sl_pdk_set_upstream_body(sl_req_t *req, sl_slice_t body)
{
    req->body_buf = sl_arena_strndup(req->arena, body.p, body.len);
    req->body_len = body.len;
}

static void body_read_done(sl_req_t *req)
{
    sl_pdk_resume(req, SL_CONTINUE);
}

static void body_read_cancel(sl_req_t *req, void *arg)
{
    (void)arg;
    sl_req_read_body_cancel(req);
}

/* A plugin returned SL_AGAIN after sl_pdk_read_body: the body is read, then the same plugin
 * runs again. Returns true when that can happen now (the body is there, or too large). */
static bool start_body_read(sl_req_t *req)
{
    req->body_read_wanted = false;
    req->phase_next--;
    sl_pdk_wait(req, body_read_cancel, NULL);
    if (!sl_req_read_body(req, body_read_done))
        return false;
    req->pending_cancel = NULL;
    return true;
}

sl_phase_result_t sl_pdk_run_access(sl_req_t *req, sl_req_next_cb next)
{
    req->phase_next = 0;
    req->access_next = next;
    return access_from(req);
}

void sl_pdk_wait(sl_req_t *req, sl_req_cancel_cb cancel, void *arg)
{
    req->pending_cancel = cancel;
    req->pending_arg = arg;
}

void sl_pdk_resume(sl_req_t *req, sl_phase_result_t result)
{
    req->pending_cancel = NULL;
    req->pending_arg = NULL;
    if (result == SL_RESPONDED)
        return;
    if (result != SL_CONTINUE) {
        const sl_plugin_chain_t *ch = req->chain;
        phase_failed(req, ch->v[req->phase_next - 1]->name, "access");
        return;
    }
    rescope(req);
    if (access_from(req) == SL_CONTINUE)
        req->access_next(req);
}

void sl_pdk_abort(sl_req_t *req)
{
    sl_req_cancel_cb cancel = req->pending_cancel;
    if (cancel) {
        req->pending_cancel = NULL;
        cancel(req, req->pending_arg);
    }
}

void sl_pdk_run_header_filter(sl_req_t *req)
{
    const sl_plugin_chain_t *ch = req->chain;
    if (ch == NULL || !(ch->phases & SL_PHASE_HEADER_FILTER))
        return;
    for (size_t i = 0; i < ch->n; i++)
        if (ch->v[i]->desc->header_filter)
            ch->v[i]->desc->header_filter(req, ch->v[i]->conf);
}

static size_t n_body_filters(const sl_req_t *req)
{
    const sl_plugin_chain_t *ch = req->chain;
    if (ch == NULL || !(ch->phases & SL_PHASE_BODY_FILTER))
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < ch->n; i++)
        n += ch->v[i]->desc->body_filter != NULL;
    return n;
}

/* The <k>th body filter of the chain, in priority order. */
static sl_body_action_t run_body_filter(sl_req_t *req, size_t k, sl_body_t *b)
{
    const sl_plugin_chain_t *ch = req->chain;
    for (size_t i = 0; i < ch->n; i++) {
        const sl_plugin_instance_t *pi = ch->v[i];
        if (pi->desc->body_filter && k-- == 0)
            return pi->desc->body_filter(req, pi->conf, b);
    }
    return SL_BODY_PASS;
}

const sl_resp_filters_t sl_pdk_filters = {
    .header = sl_pdk_run_header_filter,
    .n_body = n_body_filters,
    .body = run_body_filter,
};

void sl_pdk_run_log(sl_req_t *req)
{
    const sl_plugin_chain_t *ch = req->chain;
    for (size_t i = 0; ch && i < ch->n; i++)
        if (ch->v[i]->desc->log)
            ch->v[i]->desc->log(req, ch->v[i]->conf);
}
