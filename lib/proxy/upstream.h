/*
 * Upstream connections and the per-worker keep-alive pool (Kong's upstream_keepalive_*:
 * 512 idle connections per address, 10000 requests each, 60 s idle). An idle connection keeps
 * reading so that a close by the upstream removes it from the pool at once.
 *
 * Thread: the owning worker only.
 */
#ifndef SL_PROXY_UPSTREAM_H
#define SL_PROXY_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/addr.h"
#include "core/deadline.h"
#include "core/worker.h"
#include "core/write.h"
#include "http/hdrspans.h"
#include "net/transport.h"

typedef struct sl_upconn sl_upconn_t;
typedef struct sl_pool_bucket sl_pool_bucket_t;

typedef void (*sl_upconn_connect_cb)(sl_upconn_t *u, int status, void *arg);

struct sl_upconn {
    sl_transport_t tr;             /* the byte stream (tr.data is the connection) */
    sl_worker_t *w;
    uv_connect_t connect_req;
    sl_deadline_t timer;           /* connect / write / read / idle timeout */
    struct sockaddr_storage addr;  /* pool key */
    char *buf;                     /* read buffer (bufpool) while in use */
    size_t cap, len, pos;
    uint32_t requests;             /* requests sent on this connection */
    sl_hdr_spans_t spans;          /* response header fields while a head is parsed */
    bool connected, reused, closing, reading;
    void *owner;                   /* the proxy using it, NULL when idle */
    void (*read_cb)(sl_upconn_t *u, ssize_t nread); /* the owner's; data is at buf + len */
    sl_upconn_connect_cb connect_cb;
    void *connect_arg;
    sl_pool_bucket_t *bucket;      /* when idle in the pool */
    sl_upconn_t *pool_prev, *pool_next;
    int handles;                   /* open handles; the last close frees */
    /* at most two writes are in flight (the request head and one body batch, or one tunnel
     * batch); their requests live here, not in the request arena, because their callbacks
     * can run after the request is gone */
    struct sl_upconn_write {
        sl_write_t wr;
        bool busy;
        void (*cb)(sl_upconn_t *u, int status);
    } writes[2];
};

/* Writes <n> buffers to <u>; <cb>(u, status) runs when done unless u->owner was cleared
 * meanwhile. Returns 0, or a negative error (no callback then). */
int sl_upconn_write(sl_upconn_t *u, const uv_buf_t *bufs, unsigned n,
                    void (*cb)(sl_upconn_t *u, int status));
/* Writes in flight. */
unsigned sl_upconn_writes_pending(const sl_upconn_t *u);
/* Arms <u>'s timer for its owner: <write_ms> while a write is in flight, else <read_ms>;
 * off while <owner_waits> (on its own client, not on the upstream) and nothing is being
 * written. <cb> runs when it falls due. */
void sl_upconn_arm(sl_upconn_t *u, bool owner_waits, uint32_t write_ms, uint32_t read_ms,
                   sl_deadline_cb cb);

/* Header fields allowed in an upstream response head. */
#define SL_MAX_RESP_HEADERS 256

/* Creates the worker's pool. */
sl_pool_t *sl_pool_new(sl_worker_t *w);
/* Closes idle connections and frees the pool (their memory goes when their handles close). */
void sl_pool_free(sl_pool_t *p);

/* Returns an idle connection to <addr> taken out of the pool (owner to be set by the caller),
 * or NULL. */
sl_upconn_t *sl_pool_take(sl_pool_t *p, const struct sockaddr_storage *addr);

/* Opens a new connection to <addr>; <cb>(u, status, arg) runs once connected (status 0) or
 * failed (a libuv error, UV_ETIMEDOUT after <timeout_ms>). On failure the caller closes <u>. */
sl_upconn_t *sl_upconn_connect(sl_worker_t *w, const struct sockaddr_storage *addr,
                               uint32_t timeout_ms, sl_upconn_connect_cb cb, void *arg);

/* Gives a connection whose last response was read completely back to the pool, idle there
 * for at most <idle_ms> (0: upstream_keepalive_idle_timeout), or closes it when the pool
 * for its address is full or it served its share of requests. */
void sl_upconn_release(sl_upconn_t *u, uint32_t idle_ms);

/* Keeps reading <u>: with an owner, data is appended at buf + len and <cb> runs; idle, any
 * byte or EOF closes it. Reading goes on across requests, so a connection taken from the pool
 * costs no epoll change. */
void sl_upconn_read_start(sl_upconn_t *u, void (*cb)(sl_upconn_t *u, ssize_t nread));
/* Stops reading (the owner's buffer is full). */
void sl_upconn_read_stop(sl_upconn_t *u);

/* Closes <u> (in the pool or not). Its buffer and memory go when libuv is done. */
void sl_upconn_close(sl_upconn_t *u);


#endif
