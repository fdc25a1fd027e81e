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
#include "plugin/plugin.h"

struct sl_plugin_chain;

/* Reading the request: sl_req_header and sl_req_query_arg (http/request.h). */

/* kong.service.request.set_header: <name> is set to <value> on the upstream request,
 * replacing what the client sent. Both are copied. */
void sl_pdk_set_upstream_header(sl_req_t *req, const char *name, sl_slice_t value);
/* kong.response.add_header: added to the response, proxied or produced by the gateway.
 * Before the response exists (access) the edits below are kept and applied when it starts;
 * in header_filter they change its header list directly (http/response.h). */
void sl_pdk_add_response_header(sl_req_t *req, const char *name, sl_slice_t value);
/* kong.response.set_header: the response carries <value> as its only header <name>:
 * replaces what a plugin added before and what the upstream sent. Copied. */
void sl_pdk_set_response_header(sl_req_t *req, const char *name, sl_slice_t value);
/* kong.response.clear_header: the response carries no header <name>, neither a plugin's
 * nor the upstream's. Edits made before the response exists leave a gateway answer's own
 * headers (Date, Content-Type, Content-Length, Server) alone. Clearing Content-Length in
 * header_filter makes the response chunked (close-delimited for HTTP/1.0 clients). */
void sl_pdk_clear_response_header(sl_req_t *req, const char *name);
/* kong.response.get_header: the first value of <name> in the response as it stands: in
 * header_filter its header list; before, one a plugin added (NULL when absent). */
sl_slice_t sl_pdk_response_header(const sl_req_t *req, const char *name);

/* Per-request state of the plugin <desc> (Kong's kong.ctx.plugin): a slot, NULL until the
 * plugin stores something (allocated in the request arena), kept until the log phase. */
void **sl_pdk_ctx(sl_req_t *req, const sl_plugin_desc_t *desc);

/* kong.service.request.clear_header: the upstream request carries no header <name>, even
 * if the client sent one. */
void sl_pdk_clear_upstream_header(sl_req_t *req, const char *name);
/* True if the upstream request will carry a header <name> set by a plugin. */
bool sl_pdk_upstream_header_set(const sl_req_t *req, sl_slice_t name);

/* kong.client.authenticate and the headers Kong's auth plugins send upstream: the request
 * is now <consumer>'s; X-Consumer-ID, X-Consumer-Custom-ID and X-Consumer-Username are set
 * (or cleared when the consumer has no such field). <credential_id> is the credential's id
 * (rate limits by credential, logs); <identifier> goes in X-Credential-Identifier (key-auth:
 * the credential id, basic-auth: the username, jwt: the key). A NULL <identifier> means the
 * anonymous consumer: X-Anonymous-Consumer: true and no credential. */
void sl_pdk_authenticate(sl_req_t *req, const sl_consumer_t *consumer, const char *credential_id,
                         const char *identifier);

/* kong.response.exit with a message: <status> and the compact JSON {"message":"<message>"}
 * (no request_id, whatever the Accept header says). */
void sl_pdk_exit_message(sl_req_t *req, int status, const char *message);
/* kong.response.error: <status> and <message> in Kong's error template, its type from the
 * Accept header (JSON by default, with the request id). Headers added before with
 * sl_pdk_add_response_header (WWW-Authenticate) go with it. */
void sl_pdk_error(sl_req_t *req, int status, const char *message);

/* kong.service.request.set_query: the upstream request carries <query> (raw, without '?';
 * copied; empty: no query) instead of the client's. Plugins later in the chain read the new
 * one. */
void sl_pdk_set_upstream_query(sl_req_t *req, sl_slice_t query);

/* kong.response.exit with a body: <status>, <content_type> (NULL: none) and <body>. */
void sl_pdk_exit(sl_req_t *req, int status, const char *content_type, const char *body,
                 size_t len);

/* Runs the rewrite phase of <chain> (the global instances; before routing). Returns true
 * when the request goes on, false when a plugin answered (or failed: a 500). */
bool sl_pdk_run_rewrite(sl_req_t *req, const struct sl_plugin_chain *chain);

/* Runs the access phase of the request's chain, in priority order. SL_CONTINUE: every plugin
 * passed, the caller goes on now. SL_RESPONDED: a plugin answered (or failed: a 500 was
 * sent). SL_AGAIN: a plugin waits on I/O; <next> runs once the phase passes, or never if a
 * plugin answers or the request goes away. */
sl_phase_result_t sl_pdk_run_access(sl_req_t *req, sl_req_next_cb next);

/* For a plugin that returned SL_AGAIN from access: <cancel>(<req>, <arg>) runs if the
 * request goes away while it waits; the plugin must then never touch <req> again. */
void sl_pdk_wait(sl_req_t *req, sl_req_cancel_cb cancel, void *arg);
/* The plugin that waits is done with <result>: SL_CONTINUE runs the rest of the phase (and
 * then the request's next step), SL_RESPONDED means it has answered, SL_ERROR sends a 500.
 * Called from a later callback of the worker's loop, never from inside access itself. */
void sl_pdk_resume(sl_req_t *req, sl_phase_result_t result);
/* The request goes away: cancels a plugin's wait, if any. */
void sl_pdk_abort(sl_req_t *req);

/* kong.request.get_raw_body, for the access phase. SL_RAW_BODY_READY: <body> is the whole
 * request body (empty without one). SL_RAW_BODY_WAIT: the plugin returns SL_AGAIN at once; the
 * body is read (after "100 Continue" when the client expects it, chunked or not, within
 * client_body_timeout) and the plugin's access callback runs again from its start, where
 * this call answers READY or TOO_LARGE. SL_RAW_BODY_TOO_LARGE: the body is larger than
 * client_body_buffer_size (Kong would read it from a temporary file; sluice keeps bodies in
 * memory only). Once read, the upstream gets the body with a Content-Length, even if the
 * client sent it chunked (as nginx does with a buffered body). A plugin that goes on after
 * TOO_LARGE with a body already partly read gets a 413 from the proxy. */
typedef enum { SL_RAW_BODY_READY, SL_RAW_BODY_WAIT, SL_RAW_BODY_TOO_LARGE } sl_body_status_t;
sl_body_status_t sl_pdk_read_body(sl_req_t *req, sl_slice_t *body);
/* kong.service.request.set_raw_body, after READY: the upstream gets <body> (copied) and its
 * length instead of the client's body. */
void sl_pdk_set_upstream_body(sl_req_t *req, sl_slice_t body);

/* Runs the header_filter phase on the response's header list (the response stream calls
 * it, through sl_pdk_filters). */
void sl_pdk_run_header_filter(sl_req_t *req);
/* How the response stream (http/response.h) reaches the request's header and body filters;
 * a handler installs it in req->filters. */
extern const sl_resp_filters_t sl_pdk_filters;
/* Runs the log phase of the request's chain (after the response, or when it was cut). */
void sl_pdk_run_log(sl_req_t *req);

#endif
