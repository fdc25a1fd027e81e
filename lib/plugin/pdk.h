/*
 * What plugins may do to a request (Kong's PDK, the parts sluice has): read its headers and
 * query, end it with a response (kong.response.exit), run the chain's phases.
 *
 * Thread: the worker owning the request.
 */
#ifndef SL_PLUGIN_PDK_H
#define SL_PLUGIN_PDK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/slice.h"
#include "http/request.h"

/* Reading the request: sl_req_header and sl_req_query_arg (http/request.h). */

/* kong.service.request.set_header: <name> is set to <value> on the upstream request,
 * replacing what the client sent. Both are copied. */
void sl_pdk_set_upstream_header(sl_req_t *req, const char *name, sl_slice_t value);
/* kong.response.add_header: added to the response, proxied or produced by the gateway. */
void sl_pdk_add_response_header(sl_req_t *req, const char *name, sl_slice_t value);
/* True if the upstream request will carry a header <name> set by a plugin. */
bool sl_pdk_upstream_header_set(const sl_req_t *req, sl_slice_t name);

/* kong.response.exit with a message: <status> and the compact JSON {"message":"<message>"}
 * (no request_id, whatever the Accept header says). */
void sl_pdk_exit_message(sl_req_t *req, int status, const char *message);
/* kong.response.exit with a body: <status>, <content_type> (NULL: none) and <body>. */
void sl_pdk_exit(sl_req_t *req, int status, const char *content_type, const char *body,
                 size_t len);

/* Runs the access phase of the request's chain, in priority order. Returns true when the
 * request goes on to the upstream, false when a plugin answered (or failed: a 500). */
bool sl_pdk_run_access(sl_req_t *req);
/* Runs the log phase of the request's chain (after the response, or when it was cut). */
void sl_pdk_run_log(sl_req_t *req);

#endif
