/*
 * The proxy: the handler step of a routed request (pipeline/pipeline.h drives the phases
 * around it). The upstream path and head, the balancer and the upstream connection (with
 * retries and timeouts), then the response given to the response stream with its headers
 * rewritten, or a WebSocket tunnel after a 101.
 *
 * Thread: the owning worker only.
 */
#ifndef SL_PROXY_PROXY_H
#define SL_PROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "http/handler.h"
#include "http/request.h"

/* The handler step of a routed request whose access phase has passed (pipeline/pipeline.h):
 * req->route and req->service are set; the body, if any, is not read yet. The proxy answers
 * through the response stream; it may answer before returning. */
void sl_proxy_forward(sl_req_t *req);

/* Request body pieces (decoded from the client's framing; raw bytes in tunnel mode). <last>:
 * the body (or the client's side of the tunnel) ends after these. The proxy calls
 * sl_conn_body_consumed once it no longer needs the pieces' memory. */
void sl_proxy_body(sl_req_t *req, const uv_buf_t *pieces, size_t n, bool last);

/* The client connection is going away: release the upstream side. */
void sl_proxy_abort(sl_req_t *req);

#endif
