/*
 * Transport: the byte stream under an HTTP connection, client side and upstream side alike.
 * The HTTP layer reads, writes, shuts down and closes through this interface and never
 * touches the socket handle, so that TLS can be a second implementation beside plain TCP
 * without a change above it (curl's connection filters and HAProxy's xprt_ops have the same
 * shape). Plain TCP (net/tcp.c) is the implementation today.
 *
 * Reading: the owner gives an allocator that hands out where the next bytes go (it may
 * return an empty buffer: the transport then reports UV_ENOBUFS) and a read callback that
 * learns how many arrived there, or a negative libuv error (UV_EOF at the end).
 *
 * Thread: the worker owning the loop the transport runs on.
 */
#ifndef SL_NET_TRANSPORT_H
#define SL_NET_TRANSPORT_H

#include <stdbool.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/write.h"

typedef struct sl_transport sl_transport_t;

/* Where the next bytes go: <*out> is set to a buffer of the owner's. */
typedef void (*sl_transport_alloc_cb)(sl_transport_t *t, uv_buf_t *out);
/* <nread> bytes arrived at the buffer the allocator gave (0: none this time), or a negative
 * libuv error; UV_EOF when the peer closed its side. */
typedef void (*sl_transport_read_cb)(sl_transport_t *t, ssize_t nread);
/* The transport is closed; its memory may go. */
typedef void (*sl_transport_close_cb)(sl_transport_t *t);
/* A connect finished with <status> (0, or a negative libuv error). */
typedef void (*sl_transport_connect_cb)(sl_transport_t *t, int status);

typedef struct sl_transport_ops {
    const char *name;  /* "tcp" */
    bool secure;       /* the scheme is https (TLS) */
    int (*read_start)(sl_transport_t *t);
    void (*read_stop)(sl_transport_t *t);
    int (*write)(sl_transport_t *t, const uv_buf_t *bufs, unsigned n, sl_write_t *wr,
                 sl_write_cb cb);
    int (*shutdown)(sl_transport_t *t);
    void (*close)(sl_transport_t *t);
} sl_transport_ops_t;

struct sl_transport {
    uv_tcp_t tcp;                     /* the socket every transport runs on (first); libuv
                                         callbacks cast back to the transport */
    const sl_transport_ops_t *ops;
    sl_worker_t *w;
    void *data;                       /* the owner's */
    sl_transport_alloc_cb alloc_cb;   /* while reading */
    sl_transport_read_cb read_cb;
    sl_transport_connect_cb connect_cb; /* while connecting */
    sl_transport_close_cb close_cb;     /* while closing */
};

/* Initialises <t> as a plain TCP transport on <w>'s loop, owned by <data>. */
void sl_tcp_transport_init(sl_transport_t *t, sl_worker_t *w, void *data);
/* Accepts a connection from <listener> into <t> (sl_tcp_transport_init'ed). Returns 0 or a
 * negative libuv error; <t> must be closed either way. */
int sl_transport_accept(sl_transport_t *t, uv_stream_t *listener);
/* Connects <t> to <addr> using <req> (the caller's, alive until <cb> runs). Returns 0 (then
 * <cb> runs) or a negative libuv error (then it does not). */
int sl_transport_connect(sl_transport_t *t, uv_connect_t *req, const struct sockaddr *addr,
                         sl_transport_connect_cb cb);

/* The peer's and the local address. Return 0 or a negative libuv error. */
int sl_transport_peer(sl_transport_t *t, struct sockaddr_storage *out);
int sl_transport_local(sl_transport_t *t, struct sockaddr_storage *out);

/* Starts reading into what <alloc> gives; <read> runs for every arrival. Returns 0 or a
 * negative libuv error. */
static inline int sl_transport_read_start(sl_transport_t *t, sl_transport_alloc_cb alloc,
                                          sl_transport_read_cb read)
{
    t->alloc_cb = alloc;
    t->read_cb = read;
    return t->ops->read_start(t);
}

static inline void sl_transport_read_stop(sl_transport_t *t)
{
    t->ops->read_stop(t);
}

/* Writes <n> buffers as core/write.h's sl_write does: <cb>(<wr>, status) runs later, from the
 * worker's check phase; the memory stays the caller's until then. Returns 0 or a negative
 * libuv error (no callback then). */
static inline int sl_transport_write(sl_transport_t *t, const uv_buf_t *bufs, unsigned n,
                                     sl_write_t *wr, sl_write_cb cb)
{
    return t->ops->write(t, bufs, n, wr, cb);
}

/* Ends our side of the stream once the writes handed over are out (TCP: a FIN). The peer may
 * still send. Returns 0 or a negative libuv error. */
static inline int sl_transport_shutdown(sl_transport_t *t)
{
    return t->ops->shutdown(t);
}

/* Closes <t>; pending writes complete with UV_ECANCELED first; <cb>(t) runs last. */
static inline void sl_transport_close(sl_transport_t *t, sl_transport_close_cb cb)
{
    t->close_cb = cb;
    t->ops->close(t);
}

/* Whether the stream is TLS (the request's scheme is https). A zeroed transport (never
 * initialised, as in tests that build a connection by hand) is plain. */
static inline bool sl_transport_secure(const sl_transport_t *t)
{
    return t->ops && t->ops->secure;
}

/* "https" for a secure transport, "http" otherwise. */
static inline const char *sl_transport_scheme(const sl_transport_t *t)
{
    return sl_transport_secure(t) ? "https" : "http";
}

#endif
