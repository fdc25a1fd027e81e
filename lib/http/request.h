/*
 * A request as the worker sees it from the head on: the parsed head (copied into the request
 * arena, so it outlives the read buffer), framing facts, the route it matched, timings, and
 * the response's progress. One at a time per client connection; responses therefore leave in
 * request order when clients pipeline.
 *
 * Thread: the owning worker only. Lifetime: from headers complete to the end of the log phase;
 * everything it points to is in <arena> or in the snapshot held by <slot>.
 */
#ifndef SL_HTTP_REQUEST_H
#define SL_HTTP_REQUEST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/cidr.h"
#include "core/slice.h"
#include "core/worker.h"
#include "http/errors.h"
#include "http/response.h"
#include "router/router.h"

typedef struct sl_conn sl_conn_t;
typedef struct sl_proxy sl_proxy_t;
typedef struct sl_consumer sl_consumer_t;
typedef struct sl_req sl_req_t;

/* One upstream peer a request was sent to (Kong's balancer_data.tries). */
typedef struct sl_req_try {
    union {                      /* the peer's address (AF_UNSPEC until known); formatted
                                    only when something logs it */
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
    uint64_t start_ns;           /* the balancer picked it (monotonic, sl_now_ns) */
    uint64_t latency_ns;         /* from the pick to its address being known (DNS) */
} sl_req_try_t;

/* What runs when a request's access phase has passed (plugin/pdk.h). */
typedef void (*sl_req_next_cb)(sl_req_t *req);
/* Cancels a plugin's pending I/O for a request that goes away (plugin/pdk.h). */
typedef void (*sl_req_cancel_cb)(sl_req_t *req, void *arg);

typedef struct sl_req {
    sl_conn_t *conn;
    sl_worker_t *w;
    sl_arena_t *arena;           /* the request's own (sl_req_new), freed at its end */
    sl_snap_slot_t *slot;        /* snapshot this request runs on (worker-local count) */

    /* the connection it came on, as far as anything above HTTP needs it */
    const char *scheme;          /* "http" or "https" (the transport's) */
    bool secure;                 /* it came over TLS */
    uint16_t local_port;         /* the listener's port */
    uint64_t conn_serial;        /* the worker's count of connections at its accept */
    uint32_t conn_nth;           /* this request's number on its connection, from 1 */

    /* head, as received (slices into the arena copy of the head) */
    sl_slice_t method;
    sl_slice_t target;           /* request-target as sent */
    sl_slice_t path;             /* target without query (raw) */
    sl_slice_t query;            /* after '?', without it; has_query tells a bare '?' */
    bool has_query;
    uint8_t http_major, http_minor;
    sl_header_t *headers;
    size_t n_headers;
    sl_slice_t host;             /* Host header without port, lower-cased (arena) */
    sl_slice_t host_raw;         /* Host header as sent */
    uint16_t port;               /* Host header port, else the listening port */
    char *norm_path;             /* normalized path (arena, NUL-terminated) */
    size_t norm_len;

    /* framing */
    bool has_body;               /* Content-Length > 0 or chunked */
    bool chunked;
    uint64_t content_length;     /* when !chunked */
    bool keep_alive;             /* client wants the connection kept */
    bool upgrade;                /* Upgrade request (WebSocket) */
    bool expect_continue;
    bool is_head;
    bool is_trace;               /* TRACE: 405 before routing, as nginx */

    /* request body progress */
    uint64_t body_received;
    bool body_done;
    /* the body read whole before the access phase ended (sl_pdk_read_body): the proxy sends
     * body_buf (arena; a plugin may replace it) with a Content-Length instead of streaming */
    bool body_read_wanted;       /* a plugin asked for it and returned SL_AGAIN */
    bool body_buffered;          /* body_buf holds the whole body */
    bool body_overflow;          /* it was larger than client_body_buffer_size */
    char *body_buf;
    size_t body_len, body_cap;

    /* routing */
    const struct sl_plugin_chain *chain; /* plugins that apply (the route's, or the global
                                            chain when no route matched); NULL before */
    sl_router_match_t match;
    const sl_route_t *route;
    const sl_service_t *service;

    /* the access phase (plugin/pdk.c): where a waiting plugin resumes, what follows it, and
     * how to cancel the wait if the client goes away */
    size_t phase_next;
    sl_req_next_cb access_next;
    sl_req_cancel_cb pending_cancel;
    void *pending_arg;

    /* who is calling, once an authentication plugin knows (NULL: nobody) */
    const sl_consumer_t *consumer;
    const char *credential_id;   /* the credential's id (Kong's authenticated_credential) */

    /* a limit plugins set on the request body (request-size-limiting): when body_limited,
     * more than body_limit bytes received ends the request with a 413 */
    bool body_limited;
    uint64_t body_limit;

    /* facts for logs and metrics */
    uint64_t head_in;            /* bytes of the request head */
    sl_slice_t upstream_uri;     /* path and query sent upstream (empty: not proxied) */
    int upstream_status;         /* status the upstream answered (0: none) */
    sl_req_try_t *tries;         /* peers tried, in order (arena; proxy.c) */
    size_t n_tries;

    char id[33];                 /* X-Kong-Request-Id */
    uint64_t start_ns;           /* head started */
    uint64_t upstream_send_ns;   /* just before the upstream request was sent (0: never) */
    uint64_t upstream_head_ns;   /* upstream response head received */

    /* response progress */
    int status;                  /* status sent to the client, 0 until the head is built */
    bool response_started;       /* bytes of the response head were handed to the socket */
    uint64_t bytes_out;          /* bytes handed to the socket for this request */
    uint64_t head_out;           /* of which the final response head */
    sl_slice_t head_sent;        /* the final response head as sent, status line to the
                                    empty line (arena; for the log record) */

    /* what plugins changed (plugin/pdk.h): headers set on the upstream request (replacing
     * the client's of the same name) and headers added to the response before it existed
     * (the response stream applies them to its header list) */
    sl_header_t *up_set, *resp_add;
    size_t n_up_set, n_resp_add;
    /* response header names plugins set or cleared before the response existed: the
     * producer's of these names are dropped (kong.response.set_header / clear_header) */
    sl_slice_t *resp_drop;
    size_t n_resp_drop;
    /* the response (http/response.h), and how its stream reaches the chain's filters */
    sl_resp_t resp;
    const sl_resp_filters_t *filters;
    /* per-request plugin state, one slot per registry entry (plugin/pdk.h sl_pdk_ctx) */
    void **plugin_ctx;

    /* the client address (sl_req_client_ip), worked out on first use */
    bool client_done;
    sl_ip_t client_addr;         /* family 0: unknown (no peer address) */
    const char *client_ip;       /* its text: the connection's peer_ip, or in the arena */

    sl_proxy_t *proxy;           /* proxy state while proxying */
    void *hdata;                 /* other handlers' state (the admin API's POST /config) */
} sl_req_t;

/* A new request on <w>, zeroed, in its own arena taken from the worker's pool (the first
 * block of 8 KiB is kept across requests, so a common request allocates nothing). */
sl_req_t *sl_req_new(sl_worker_t *w);
/* Gives <req>'s arena, and with it the request, back to the pool. */
void sl_req_free(sl_req_t *req);
/* Frees the worker's pool of request arenas, once its loop is done. */
void sl_req_pool_free(sl_worker_t *w);

/* The first header <name> of the request (case-insensitive); an empty slice with p == NULL
 * when absent. */
sl_slice_t sl_req_header(const sl_req_t *req, const char *name);

/* True if the query string holds the argument <name> (raw comparison, no decoding); its raw
 * value in <value> when not NULL. */
bool sl_req_query_arg(const sl_req_t *req, const char *name, sl_slice_t *value);

/* The client's address, as nginx's $remote_addr after the realip module (Kong's
 * kong.client.get_ip): the socket peer, or, when the peer is one of the node's
 * trusted_ips, the address it names in real_ip_header (http/realip.h). Worked out once
 * per request; with no trusted_ips it is the peer, without parsing. The text is valid for
 * the request's lifetime; the address has family 0 when the peer is unknown. */
const char *sl_req_client_ip(sl_req_t *req);
const sl_ip_t *sl_req_client_addr(sl_req_t *req);

/* What a request can do to its client; plugins, the PDK and the request driver reach the
 * client through these, never through the connection (http/conn.c carries them out). */

/* Answers with <status>, <reason> (NULL: the standard phrase), <content_type> (NULL: none),
 * the extra headers <headers> and <body> (both valid until written: the request arena or
 * static memory) through the response stream; Date, Content-Length and Server are added. The
 * request finishes once it is written. Only before the response has started. */
void sl_req_respond(sl_req_t *req, int status, const char *reason, const char *content_type,
                    const sl_header_t *headers, size_t n_headers, const char *body,
                    size_t len);
/* Answers with the gateway error <kind>: Kong's status, message and negotiated format. */
void sl_req_send_error(sl_req_t *req, sl_err_kind_t kind);
/* kong.response.exit: <status>, <content_type> (NULL: none) and <body> (copied), with
 * X-Kong-Response-Latency and X-Kong-Request-Id as configured. */
void sl_req_exit(sl_req_t *req, int status, const char *content_type, const char *body,
                 size_t len);
/* kong.response.exit with a message: the compact JSON {"message":"<message>"}. */
void sl_req_exit_message(sl_req_t *req, int status, const char *message);
/* Reads the whole body into req->body_buf (see sl_conn_body_read): true when that is over
 * already, false when <cb>(req) runs later (unless the request is answered or cancelled). */
bool sl_req_read_body(sl_req_t *req, void (*cb)(sl_req_t *req));
void sl_req_read_body_cancel(sl_req_t *req);
/* The local address the request came to (the listener's socket); 0 or a negative errno. */
int sl_req_local_addr(const sl_req_t *req, struct sockaddr_storage *out);

/* True if the connecting peer (Kong's realip_remote_addr) is one of the node's
 * trusted_ips: its X-Forwarded-* headers are then passed on (kong.ip.is_trusted). */
bool sl_req_peer_trusted(const sl_req_t *req);

#endif
