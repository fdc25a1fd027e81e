/*
 * Client connection: reads and parses requests with llhttp, enforces limits and timeouts,
 * answers malformed requests itself, hands each request to the proxy, feeds it the request
 * body with backpressure, writes what the proxy gives it, and keeps the connection alive
 * between requests (pipelined requests wait in the read buffer and are parsed one at a time).
 *
 * Thread: the owning worker only.
 */
#ifndef SL_HTTP_CONN_H
#define SL_HTTP_CONN_H

#include <llhttp.h>
#include <stdbool.h>
#include <uv.h>

#include "core/cidr.h"
#include "core/clock.h"
#include "core/deadline.h"
#include "core/worker.h"
#include "http/errors.h"
#include "http/handler.h"
#include "http/reqparse.h"
#include "http/request.h"
#include "net/transport.h"

typedef enum {
    SL_CONN_HEAD = 0,   /* waiting for / parsing a request head */
    SL_CONN_REQUEST,    /* a request is being handled */
    SL_CONN_TUNNEL,     /* upgraded: raw bytes both ways */
    SL_CONN_LINGER,     /* the last response is out and our side shut: what the client still
                           sends is read and dropped until it closes (nginx's lingering
                           close), so that it sees the response and a FIN, not a reset */
} sl_conn_state_t;

typedef void (*sl_conn_write_cb)(sl_conn_t *c, void *arg);

/* A request body left unread by an early answer is read and dropped up to this many bytes
 * to keep the connection; a longer one closes it. */
#define SL_DISCARD_MAX (1024 * 1024)
/* How long a closing connection reads and drops what the client still sends (nginx's
 * lingering_timeout). */
#define SL_LINGER_MS 5000

/* What a connection needs only while it has bytes to parse or a request in progress: the
 * request parser, a small arena (write requests, answers to unparseable heads) and the body
 * pieces of a parse round. It is taken from
 * the worker's pool when a request's first bytes arrive and given back when the connection
 * goes idle, so an idle keep-alive connection holds only its sl_conn (nginx keeps about
 * 1 KB per idle connection; so does this). */
typedef struct sl_conn_rt {
    sl_reqparse_t rp;             /* request parser (llhttp inside); rp.data is the conn */
    sl_arena_t arena;             /* reset between requests */
    uv_buf_t *pieces;             /* body pieces of one parse round (into the read buffer) */
    size_t n_pieces, cap_pieces;
    struct sl_conn_rt *next_free; /* in the worker's pool */
} sl_conn_rt_t;

struct sl_conn {
    sl_transport_t tr;            /* the byte stream (tr.data is the conn) */
    sl_worker_t *w;
    sl_conn_t *prev, *next;       /* worker's connection list */
    sl_deadline_t timer;          /* falls due at the earlier of read_due and write_due */
    uint64_t read_due;            /* loop ms: header / body / keep-alive idle / linger
                                     timeout; 0 when none */
    uint64_t write_due;           /* loop ms: send timeout while writes are pending, or 0 */
    sl_conn_rt_t *rt;             /* request-time state, or NULL while idle */
    sl_conn_state_t state;

    char *buf;                    /* read buffer (bufpool) or NULL while idle */
    size_t cap, len, pos;         /* bytes held, bytes parsed */
    sl_req_t *req;                /* current request or NULL (sl_req_new) */
    sl_req_t *ended_req;          /* the last request of a connection being closed, freed
                                     once its handles are */

    /* request body */
    void (*body_read_cb)(sl_req_t *req); /* runs when buffering ends later */
    uint64_t discard_left;        /* bytes still allowed to be dropped (SL_DISCARD_MAX) */
    size_t line_scan;             /* request line scanned up to here (encode_request_line) */
    uint64_t serial;              /* this worker's count of accepted connections, at accept
                                     (nginx's $connection) */
    uint32_t requests;            /* served on this connection */
    unsigned writes_pending;
    int8_t timer_phase;           /* what read_due measures: 0 idle, 1 head, 2 body */
    bool body_wanted;             /* the proxy is ready for body bytes */
    bool body_in_flight;          /* pieces handed to the proxy, not yet written */
    bool body_eof;                /* client closed its side */
    bool discarding;              /* the response is out; the body is read and dropped */
    bool buffering;               /* the body is read into req->body_buf (a plugin's) */
    bool line_done;               /* the request line's end was seen */
    bool reading;
    bool closing;
    bool close_after;             /* close once the current response is out */
    bool in_process;
    bool idle;                    /* counted in the worker's idle connections */
    bool reprocess;

    uint16_t peer_port;
    uint16_t local_port;
    sl_ip_t peer_addr;            /* peer_ip parsed (family 0 when unknown) */
    char peer_ip[48];
};

/* Accepts a connection from <listener> (listening on <local_port>); past the worker's
 * max_conns it is closed at once (logged at most once a second). */
void sl_conn_accept(sl_worker_t *w, uv_stream_t *listener, uint16_t local_port);
/* An accept failed with <status> (out of file descriptors): logged at most once a second. */
void sl_conn_accept_failed(sl_worker_t *w, int status);

/* Queues <n> buffers for the client; <cb>(conn, arg) runs once they are written. The memory
 * must stay valid until then. A write error closes the connection (and aborts the proxy). */
void sl_conn_write(sl_conn_t *c, const uv_buf_t *bufs, unsigned n, sl_conn_write_cb cb, void *arg);

/* The proxy is ready for the request body: parsing resumes and pieces arrive through
 * sl_proxy_body. Sends "100 Continue" first when the client asked for it. */
void sl_conn_body_start(sl_conn_t *c);
/* A plugin reads the whole body before the proxy starts (plugin/pdk.h sl_pdk_read_body):
 * sends "100 Continue" when asked for, then reads the body into req->body_buf, up to
 * client_body_buffer_size. Returns true when that is over already (req->body_buffered, or
 * req->body_overflow), false when it goes on: <cb>(req) then runs from a later read, unless
 * the request is answered or goes away first (sl_conn_body_read_cancel). */
bool sl_conn_body_read(sl_conn_t *c, void (*cb)(sl_req_t *req));
void sl_conn_body_read_cancel(sl_conn_t *c);
/* The proxy has written the pieces it was given; their buffer space may be reused. */
void sl_conn_body_consumed(sl_conn_t *c);

/* Answers the current request with the gateway error <kind> (Kong's status, message and
 * negotiated format) and finishes it. Only before the response has started. */
void sl_conn_send_error(sl_conn_t *c, sl_err_kind_t kind);

/* Answers the current request (or a connection without one) with <status>, <reason>
 * (NULL: the standard phrase), <content_type> (NULL: none), the extra headers <headers>
 * (<n_headers> of them; their bytes, like <body>'s, must stay valid until the response is
 * written: the request arena or static memory) and <body>, through the response stream
 * (header and body filters run), and finishes the request once it is written. Adds Date,
 * Content-Length and Server. Only before the response has started. */
void sl_conn_respond(sl_conn_t *c, int status, const char *reason, const char *content_type,
                     const sl_header_t *headers, size_t n_headers, const char *body,
                     size_t body_len);

/* The response is completely written. <close>: the connection cannot be reused. */
void sl_conn_response_done(sl_conn_t *c, bool close);

/* Switches to tunnel mode after a 101: every byte read goes to the proxy as body pieces. */
void sl_conn_tunnel_start(sl_conn_t *c);

/* True when the response now being made is the connection's last: it must say
 * "Connection: close" (the client asked for it, the gateway drains, keepalive_requests is
 * reached, the client's side is closed, or an error made the connection unusable). */
bool sl_conn_last_response(const sl_conn_t *c);

/* Frees the worker's pool of request-time state (sl_conn_rt_t), once its loop is done. */
void sl_conn_rt_pool_free(sl_worker_t *w);

/* Closes the connection now, aborting the request in progress. */
void sl_conn_close(sl_conn_t *c);

/* Stops accepting work on every connection of <w> and closes them (shutdown). */
void sl_conn_close_all(sl_worker_t *w);

#endif
