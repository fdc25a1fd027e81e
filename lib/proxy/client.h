/*
 * The upstream HTTP/1.1 client: one exchange (a request head, maybe a body streamed after
 * it, then the response parsed into an interim head, a head, body pieces and an end) on a
 * connection from the worker's keep-alive pool (proxy/upstream.h), or a new one. The proxy
 * runs every proxied request on it; http-log sends its batches with it; health probes and
 * identity-provider calls are meant to as well. The response is parsed by http/respparse.h.
 *
 * Backpressure: after each read the client hands on what it parsed, then calls on_round;
 * when that returns true (the owner is still writing those bytes somewhere), the client
 * neither reads nor moves its buffer, and its upstream timer is off, until
 * sl_upclient_resume. Body pieces point into that buffer: valid until then.
 *
 * Failures end the exchange through on_done with what was known (a connect failure, a write
 * failure, a timeout, an invalid or cut response), so the owner can choose Kong's answer or
 * another try. With opts.retry_stale, a keep-alive connection that the upstream had closed
 * (no byte came back) is retried once on a new connection first, as long as no body was
 * streamed after the head.
 *
 * Thread: the owning worker only.
 */
#ifndef SL_PROXY_CLIENT_H
#define SL_PROXY_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/arena.h"
#include "core/slice.h"
#include "core/worker.h"
#include "proxy/upstream.h"

typedef struct sl_upclient sl_upclient_t;

/* A response head as the client hands it on. */
typedef struct sl_upclient_head {
    int status;
    sl_slice_t reason;           /* as received, maybe empty */
    const sl_header_t *headers;  /* slices into the client's buffer (valid in the hook) */
    size_t n_headers;
    bool chunked;
    bool has_length;             /* Content-Length framing */
    uint64_t length;
} sl_upclient_head_t;

/* How an exchange ended. */
typedef struct sl_upclient_result {
    int err;                     /* 0: the response is complete; else a negative libuv code
                                    (UV_ETIMEDOUT, UV_EPROTO for an invalid response, UV_EOF
                                    for a close before the end, a connect or write error) */
    int status;                  /* the final status (0 before the head) */
    const char *why;             /* for logs; NULL when complete */
    /* the rest only when err != 0 */
    const char *detail;          /* for an invalid response: llhttp's error name */
    bool connecting;             /* it failed while connecting */
    bool sending;                /* it failed while the request was being written */
    bool head_sent;              /* the head was handed to the connection */
    bool got_bytes;              /* a response byte arrived */
    bool head_received;          /* the final head arrived */
    bool reused;                 /* on a connection from the pool */
    bool too_big;                /* the response head did not fit the buffer */
    const struct sockaddr_storage *addr;
} sl_upclient_result_t;

typedef struct sl_upclient_hooks {
    /* The head was handed to a connected connection (the owner may stream a body now, and
     * not before): <c> is the exchange, which may not have been returned to the owner yet
     * (a pooled connection sends at once). May be NULL. */
    void (*on_sending)(void *arg, sl_upclient_t *c);
    /* An interim (1xx) head, 101 aside. May be NULL. */
    void (*on_interim)(void *arg, const sl_upclient_head_t *h);
    /* The final head. Returns 0, 1 when no body follows (a response to HEAD), or -1 to
     * refuse it (the exchange fails as an invalid response; set *why). May be NULL. */
    int (*on_head)(void *arg, const sl_upclient_head_t *h, const char **why);
    /* Body bytes, decoded from the response's framing. May be NULL. */
    void (*on_body)(void *arg, const char *p, size_t n);
    /* The response ended (for a 101 its head did: the connection is the owner's to take
     * with sl_upclient_take). May be NULL. */
    void (*on_end)(void *arg);
    /* A read was parsed and handed on. Returns true to hold until sl_upclient_resume. May
     * be NULL (never holds). */
    bool (*on_round)(void *arg);
    /* The exchange is over, once (not after sl_upclient_take or sl_upclient_cancel): on
     * success after on_end, when the connection is back in the pool. The exchange is freed
     * after it returns. */
    void (*on_done)(void *arg, const sl_upclient_result_t *r);
} sl_upclient_hooks_t;

typedef struct sl_upclient_opts {
    uint32_t connect_timeout_ms;
    uint32_t write_timeout_ms;   /* between two successful writes */
    uint32_t read_timeout_ms;    /* between two reads of the response */
    uint32_t idle_timeout_ms;    /* then idle in the pool this long at most (0: the node's
                                    upstream_keepalive_idle_timeout) */
    bool keepalive;              /* false: the connection is closed after the exchange */
    bool no_body;                /* a HEAD request: the response has no body */
    bool retry_stale;            /* see above */
    bool body_follows;           /* the owner streams a body after the head, and says when
                                    it is all written (sl_upclient_request_done) */
} sl_upclient_opts_t;

/* Starts an exchange with <addr>: <bufs> (<n> of them; the head, maybe a whole body; they
 * must stay valid until the exchange is over) are written once connected. Returns NULL when
 * it is over already (on_done ran: a connect that failed at once). */
sl_upclient_t *sl_upclient_start(sl_worker_t *w, const struct sockaddr_storage *addr,
                                 const uv_buf_t *bufs, unsigned n,
                                 const sl_upclient_opts_t *opts,
                                 const sl_upclient_hooks_t *hooks, void *arg);
/* The same with the exchange's memory in <arena> (the request's), which must outlive it:
 * nothing is malloc'd. */
sl_upclient_t *sl_upclient_start_in(sl_worker_t *w, const struct sockaddr_storage *addr,
                                    const uv_buf_t *bufs, unsigned n,
                                    const sl_upclient_opts_t *opts,
                                    const sl_upclient_hooks_t *hooks, void *arg,
                                    sl_arena_t *arena);

/* Writes more of the request (a body streamed after the head); <cb>(arg, status) runs once
 * written. At most one such write is in flight. Returns 0 or a negative error. */
int sl_upclient_write(sl_upclient_t *c, const uv_buf_t *bufs, unsigned n,
                      void (*cb)(void *arg, int status));
/* The whole request is written (the last body write completed). */
void sl_upclient_request_done(sl_upclient_t *c);
/* Goes on after on_round returned true. May end the exchange (its hooks run). */
void sl_upclient_resume(sl_upclient_t *c);
/* After a 101: the connection, with what arrived after the head at buf + pos .. len, for
 * the owner to tunnel; the exchange is freed. */
sl_upconn_t *sl_upclient_take(sl_upclient_t *c);
/* Abandons the exchange: no hook runs any more, the connection is closed. NULL is fine; so
 * is a call from inside on_round. */
void sl_upclient_cancel(sl_upclient_t *c);

#endif
