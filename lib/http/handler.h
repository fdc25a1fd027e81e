/*
 * Request handlers: what a connection hands its requests to. Proxy listeners use the proxy
 * (proxy/proxy.h); the admin listener uses the admin API (admin/admin.h). Both run on the same
 * HTTP stack (http/conn.c): parsing, limits, timeouts, keep-alive and error answers are shared.
 *
 * Thread: the loop owning the connection.
 */
#ifndef SL_HTTP_HANDLER_H
#define SL_HTTP_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct sl_req sl_req_t;

typedef struct sl_handler {
    /* A request whose head is parsed; the handler answers through sl_conn_*, maybe later. */
    void (*start)(sl_req_t *req);
    /* Body pieces (see sl_proxy_body); NULL when the handler never asks for the body. */
    void (*body)(sl_req_t *req, const uv_buf_t *pieces, size_t n, bool last);
    /* The connection goes away: release whatever the request holds. */
    void (*abort)(sl_req_t *req);
    /* The request is over (answered, or cut because the client went away): its log phase
     * (plugins' log, the access log). */
    void (*end)(sl_req_t *req);
} sl_handler_t;

#endif
