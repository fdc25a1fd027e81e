/*
 * The plain TCP transport: libuv's stream calls on the transport's own uv_tcp_t, writes
 * through core/write.c (a direct writev first, uv_write only for what the kernel did not
 * take).
 */
#include "net/transport.h"

#include <string.h>

#include "core/worker.h"

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
    (void)hint;
    sl_transport_t *t = (sl_transport_t *)h;
    t->alloc_cb(t, out);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    (void)b;
    sl_transport_t *t = (sl_transport_t *)s;
    t->read_cb(t, nread);
}

static int tcp_read_start(sl_transport_t *t)
{
    return uv_read_start((uv_stream_t *)&t->tcp, on_alloc, on_read);
}

static void tcp_read_stop(sl_transport_t *t)
{
    uv_read_stop((uv_stream_t *)&t->tcp);
}

static int tcp_write(sl_transport_t *t, const uv_buf_t *bufs, unsigned n, sl_write_t *wr,
                     sl_write_cb cb)
{
    return sl_write(t->w, (uv_stream_t *)&t->tcp, bufs, n, wr, cb);
}

static int tcp_shutdown(sl_transport_t *t)
{
    /* no uv_shutdown request to keep: writes here complete before a close is decided (the
     * callers shut down after their last write is out), so the FIN goes now */
    uv_os_fd_t fd;
    int rc = uv_fileno((uv_handle_t *)&t->tcp, &fd);
    if (rc != 0)
        return rc;
    return shutdown(fd, SHUT_WR) == 0 ? 0 : UV_EINVAL;
}

static void on_closed(uv_handle_t *h)
{
    sl_transport_t *t = (sl_transport_t *)h;
    if (t->close_cb)
        t->close_cb(t);
}

static void tcp_close(sl_transport_t *t)
{
    uv_close((uv_handle_t *)&t->tcp, on_closed);
}

static const sl_transport_ops_t tcp_ops = {
    .name = "tcp",
    .secure = false,
    .read_start = tcp_read_start,
    .read_stop = tcp_read_stop,
    .write = tcp_write,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
};

void sl_tcp_transport_init(sl_transport_t *t, sl_worker_t *w, void *data)
{
    uv_tcp_init(w->loop, &t->tcp);
    t->tcp.data = t;
    t->ops = &tcp_ops;
    t->w = w;
    t->data = data;
}

int sl_transport_accept(sl_transport_t *t, uv_stream_t *listener)
{
    return uv_accept(listener, (uv_stream_t *)&t->tcp);
}

static void on_connected(uv_connect_t *req, int status)
{
    sl_transport_t *t = (sl_transport_t *)req->handle;
    if (status == 0)
        uv_tcp_nodelay(&t->tcp, 1);
    sl_transport_connect_cb cb = t->connect_cb;
    t->connect_cb = NULL;
    if (cb)
        cb(t, status);
}

int sl_transport_connect(sl_transport_t *t, uv_connect_t *req, const struct sockaddr *addr,
                         sl_transport_connect_cb cb)
{
    t->connect_cb = cb;
    int rc = uv_tcp_connect(req, &t->tcp, addr, on_connected);
    if (rc != 0)
        t->connect_cb = NULL;
    return rc;
}

int sl_transport_peer(sl_transport_t *t, struct sockaddr_storage *out)
{
    int len = sizeof(*out);
    return uv_tcp_getpeername(&t->tcp, (struct sockaddr *)out, &len);
}

int sl_transport_local(sl_transport_t *t, struct sockaddr_storage *out)
{
    int len = sizeof(*out);
    return uv_tcp_getsockname(&t->tcp, (struct sockaddr *)out, &len);
}
