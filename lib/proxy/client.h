/*
 * The gateway's own HTTP/1.1 requests to upstreams: one exchange (a request given as bytes,
 * its response parsed into a status, headers and body pieces) on a connection from the
 * worker's keep-alive pool (proxy/upstream.h), or a new one. The response is parsed by the
 * same parser as proxied responses (http/respparse.h). http-log sends its batches with it;
 * health probes and identity-provider calls are meant to as well.
 *
 * A keep-alive connection that the upstream closed before answering (the race every pool
 * has) is retried once on a new connection, as the proxy does; nothing else is retried here.
 *
 * Thread: the owning worker only.
 */
#ifndef SL_PROXY_CLIENT_H
#define SL_PROXY_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/slice.h"
#include "core/worker.h"

typedef struct sl_upclient sl_upclient_t;

typedef struct sl_upclient_hooks {
    /* The final response's head (interim 1xx ones are skipped). May be NULL. */
    void (*on_head)(void *arg, int status, const sl_header_t *headers, size_t n);
    /* Body bytes, decoded from the response's framing. May be NULL. */
    void (*on_body)(void *arg, const char *p, size_t n);
    /* The exchange is over, once: <err> 0 with the complete response's <status>, or a
     * negative libuv code (UV_ETIMEDOUT: a timeout, UV_EPROTO: an invalid response, UV_EOF:
     * closed before the response ended, or the connect or write error) with <why>, a text
     * for logs. The exchange is freed after it returns. */
    void (*on_done)(void *arg, int err, int status, const char *why);
} sl_upclient_hooks_t;

typedef struct sl_upclient_opts {
    uint32_t connect_timeout_ms;
    uint32_t io_timeout_ms;      /* sending, and between two reads of the response */
    uint32_t idle_timeout_ms;    /* how long the connection then waits in the pool for the
                                    next exchange; 0: upstream_keepalive_idle_timeout */
    bool keepalive;              /* false: the connection is closed after the exchange */
} sl_upclient_opts_t;

/* Starts an exchange with <addr>: <bufs> (<n> of them, a whole HTTP/1.1 request; they must
 * stay valid until on_done or sl_upclient_cancel) are written, then the response read.
 * <hooks> (static) run with <arg>. Returns NULL when it is over already: a connect that
 * failed at once, reported through on_done before this returns. */
sl_upclient_t *sl_upclient_start(sl_worker_t *w, const struct sockaddr_storage *addr,
                                 const uv_buf_t *bufs, unsigned n,
                                 const sl_upclient_opts_t *opts,
                                 const sl_upclient_hooks_t *hooks, void *arg);

/* Abandons the exchange: no hook runs any more, the connection is closed. */
void sl_upclient_cancel(sl_upclient_t *c);

#endif
