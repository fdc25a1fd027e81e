/* The request driver (see pipeline.h). */
#include "pipeline/pipeline.h"

#include "http/headers.h"
#include "log/access.h"
#include "plugin/chain.h"
#include "plugin/pdk.h"
#include "proxy/proxy.h"
#include "router/router.h"
#include "snapshot/snapshot.h"

/* Kong's answer to plain HTTP on an https-only route with a 301/302/307/308 code. */
static void send_redirect(sl_req_t *req, int code)
{
    sl_hbuf_t loc;
    sl_hbuf_init(&loc, req->arena, 16 + req->host.len + req->target.len);
    sl_hbuf_lit(&loc, "https://");
    sl_hbuf_slice(&loc, req->host);
    sl_hbuf_slice(&loc, req->target);
    sl_header_t hs[2] = {{SL_SLICE_LIT("Location"), sl_slice(loc.p, loc.len)}};
    size_t n = 1;
    if (req->w->settings->headers & SL_HDR_REQUEST_ID)
        hs[n++] = (sl_header_t){SL_SLICE_LIT("X-Kong-Request-Id"), sl_slice(req->id, 32)};
    sl_req_respond(req, code, NULL, NULL, hs, n, "", 0);
}

/* The handler step: what produces the response once the access phase has passed. */
static void after_access(sl_req_t *req)
{
    const sl_route_t *route = req->route;
    if (route->service == NULL) {
        sl_req_send_error(req, SL_ERR_NO_SERVICE);
        return;
    }
    req->service = route->service;
    if (req->body_overflow && req->body_received > 0) {
        /* a plugin read part of a body too large for it and went on: the part read cannot
         * be sent any more */
        sl_req_send_error(req, SL_ERR_PAYLOAD_TOO_LARGE);
        return;
    }
    sl_proxy_forward(req);
}

static void start(sl_req_t *req)
{
    const sl_snapshot_t *snap = req->slot->snap;
    req->filters = &sl_pdk_filters; /* header_filter and body_filter, in the response stream */
    req->chain = &snap->global_chain;

    /* rewrite: global plugins, before routing */
    if ((snap->global_chain.phases & SL_PHASE_REWRITE) &&
        !sl_pdk_run_rewrite(req, &snap->global_chain))
        return;

    /* route */
    sl_router_req_t rr = {
        .method = req->method,
        .host = req->host,
        .port = req->port,
        .path = sl_slice(req->norm_path, req->norm_len),
        .headers = req->headers,
        .n_headers = req->n_headers,
        .https = req->secure,
    };
    if (!sl_router_match(snap->router, &rr, &req->match)) {
        sl_req_send_error(req, SL_ERR_NO_ROUTE);
        return;
    }
    const sl_route_t *route = req->match.route;
    req->route = route;
    req->chain = &snap->route_chains[route->rt_index];
    /* an https-only route: Kong checks the scheme a trusted proxy forwarded, if any */
    if (!(route->protocols & SL_PROTO_HTTP) && !req->secure &&
        !(sl_req_peer_trusted(req) &&
          SL_SLICE_EQ_LIT(sl_req_header(req, "x-forwarded-proto"), "https"))) {
        if (route->https_redirect_status_code == 426)
            sl_req_send_error(req, SL_ERR_HTTPS_REQUIRED);
        else
            send_redirect(req, route->https_redirect_status_code);
        return;
    }

    /* access: authentication, limits, early answers (Kong runs it before noticing that a
     * route has no service); a plugin may wait on I/O and resume later */
    if (sl_pdk_run_access(req, after_access) == SL_CONTINUE)
        after_access(req);
}

static void abort_request(sl_req_t *req)
{
    sl_pdk_abort(req); /* a plugin waiting in the access phase, or a body filter */
    sl_proxy_abort(req);
}

static void end(sl_req_t *req)
{
    sl_pdk_run_log(req);
    sl_alog_request(req->w->alog, req);
}

const sl_handler_t sl_pipeline_handler = {
    .start = start,
    .body = sl_proxy_body,
    .abort = abort_request,
    .end = end,
};
