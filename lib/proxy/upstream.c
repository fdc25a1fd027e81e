/*
 * Upstream connections and the keep-alive pool: a small chained hash table from address to a
 * list of idle connections, newest first (the warmest connection is reused first, as nginx's
 * keepalive module does).
 */
#include "proxy/upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"

#define POOL_BUCKETS 256

struct sl_pool_bucket {
    struct sockaddr_storage addr;
    sl_upconn_t *idle;     /* newest first */
    uint32_t n_idle;
    sl_pool_bucket_t *next;
};

struct sl_pool {
    sl_worker_t *w;
    sl_pool_bucket_t *buckets[POOL_BUCKETS];
};

static bool addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static size_t addr_hash(const struct sockaddr_storage *a)
{
    uint64_t h;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a;
        h = ((uint64_t)x->sin_addr.s_addr << 16) ^ x->sin_port;
    } else {
        const struct sockaddr_in6 *x = (const void *)a;
        uint64_t w[2];
        memcpy(w, &x->sin6_addr, sizeof(w));
        h = w[0] ^ w[1] ^ x->sin6_port;
    }
    h *= 0x9E3779B97F4A7C15ull; /* Fibonacci hashing: the top bits are well mixed */
    return (size_t)(h >> 56) % POOL_BUCKETS;
}

sl_pool_t *sl_pool_new(sl_worker_t *w)
{
    sl_pool_t *p = sl_xcalloc(1, sizeof(*p));
    p->w = w;
    return p;
}

static sl_pool_bucket_t *bucket_for(sl_pool_t *p, const struct sockaddr_storage *addr, bool create)
{
    size_t h = addr_hash(addr);
    for (sl_pool_bucket_t *b = p->buckets[h]; b; b = b->next)
        if (addr_eq(&b->addr, addr))
            return b;
    if (!create)
        return NULL;
    sl_pool_bucket_t *b = sl_xcalloc(1, sizeof(*b));
    b->addr = *addr;
    b->next = p->buckets[h];
    p->buckets[h] = b;
    return b;
}

static void pool_unlink(sl_upconn_t *u)
{
    sl_pool_bucket_t *b = u->bucket;
    if (b == NULL)
        return;
    if (u->pool_prev)
        u->pool_prev->pool_next = u->pool_next;
    else
        b->idle = u->pool_next;
    if (u->pool_next)
        u->pool_next->pool_prev = u->pool_prev;
    u->pool_prev = u->pool_next = NULL;
    u->bucket = NULL;
    b->n_idle--;
}

void sl_pool_free(sl_pool_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < POOL_BUCKETS; i++) {
        sl_pool_bucket_t *b = p->buckets[i];
        while (b) {
            while (b->idle)
                sl_upconn_close(b->idle);
            sl_pool_bucket_t *next = b->next;
            free(b);
            b = next;
        }
    }
    free(p);
}

sl_upconn_t *sl_pool_take(sl_pool_t *p, const struct sockaddr_storage *addr)
{
    if (p == NULL)
        return NULL; /* the worker stops */
    sl_pool_bucket_t *b = bucket_for(p, addr, false);
    if (b == NULL || b->idle == NULL)
        return NULL;
    sl_upconn_t *u = b->idle;
    pool_unlink(u);
    sl_deadline_clear(&u->timer);
    u->reused = true;
    return u;
}

/* The last of the two handles (the transport and the timer) to close frees the connection. */
static void handle_closed(sl_upconn_t *u)
{
    if (--u->handles > 0)
        return;
    sl_bufpool_put(&u->w->bufs, u->buf, u->cap);
    sl_hdr_spans_free(&u->spans);
    free(u);
}

static void on_handle_closed(uv_handle_t *h)
{
    handle_closed(h->data);
}

static void on_transport_closed(sl_transport_t *t)
{
    handle_closed(t->data);
}

void sl_upconn_close(sl_upconn_t *u)
{
    if (u->closing)
        return;
    u->closing = true;
    pool_unlink(u);
    u->handles = 2;
    sl_deadline_close(&u->timer, on_handle_closed);
    sl_transport_close(&u->tr, on_transport_closed);
}

static void on_connect_timeout(sl_deadline_t *d)
{
    sl_upconn_t *u = d->timer.data;
    /* closing the handle cancels the connect; report the timeout now and ignore the
     * ECANCELED that follows */
    sl_upconn_connect_cb cb = u->connect_cb;
    u->connect_cb = NULL;
    if (cb)
        cb(u, UV_ETIMEDOUT, u->connect_arg);
}

static void on_connected(sl_transport_t *t, int status)
{
    sl_upconn_t *u = t->data;
    sl_deadline_clear(&u->timer);
    sl_upconn_connect_cb cb = u->connect_cb;
    u->connect_cb = NULL;
    if (cb == NULL)
        return;
    if (status == 0)
        u->connected = true;
    cb(u, status, u->connect_arg);
}

sl_upconn_t *sl_upconn_connect(sl_worker_t *w, const struct sockaddr_storage *addr,
                               uint32_t timeout_ms, sl_upconn_connect_cb cb, void *arg)
{
    sl_upconn_t *u = sl_xcalloc(1, sizeof(*u));
    u->w = w;
    u->addr = *addr;
    sl_hdr_spans_init(&u->spans, SL_MAX_RESP_HEADERS);
    sl_tcp_transport_init(&u->tr, w, u);
    sl_deadline_init(w->loop, &u->timer, u);
    u->connect_cb = cb;
    u->connect_arg = arg;
    int rc = sl_transport_connect(&u->tr, &u->connect_req, (const struct sockaddr *)addr,
                                  on_connected);
    if (rc < 0) {
        /* report asynchronously-shaped: the caller expects the callback */
        u->connect_cb = NULL;
        cb(u, rc, arg);
        return u;
    }
    sl_deadline_set(&u->timer, timeout_ms, on_connect_timeout);
    return u;
}

static void on_idle_timeout(sl_deadline_t *d)
{
    sl_upconn_close(d->timer.data);
}

static void on_alloc(sl_transport_t *t, uv_buf_t *out)
{
    static char scratch[64]; /* an idle connection's read only detects data or EOF */
    sl_upconn_t *u = t->data;
    if (u->owner == NULL) {
        *out = uv_buf_init(scratch, sizeof(scratch));
        return;
    }
    if (u->buf == NULL) {
        u->cap = SL_BUF_SIZE;
        u->buf = sl_bufpool_get(&u->w->bufs, u->cap);
        u->len = u->pos = 0;
    }
    *out = uv_buf_init(u->buf + u->len, (unsigned)(u->cap - u->len));
}

static void on_read(sl_transport_t *t, ssize_t nread)
{
    sl_upconn_t *u = t->data;
    if (nread == 0)
        return;
    if (u->owner == NULL) {
        /* an idle upstream connection has nothing to say: data or EOF both end it */
        sl_upconn_close(u);
        return;
    }
    u->read_cb(u, nread);
}

void sl_upconn_read_start(sl_upconn_t *u, void (*cb)(sl_upconn_t *u, ssize_t nread))
{
    u->read_cb = cb;
    if (u->reading || u->closing)
        return;
    if (sl_transport_read_start(&u->tr, on_alloc, on_read) == 0)
        u->reading = true;
}

void sl_upconn_read_stop(sl_upconn_t *u)
{
    if (!u->reading)
        return;
    sl_transport_read_stop(&u->tr);
    u->reading = false;
}

void sl_upconn_release(sl_upconn_t *u, uint32_t idle_ms)
{
    sl_worker_t *w = u->w;
    const sl_settings_t *s = w->settings;
    u->owner = NULL;
    if (u->closing)
        return;
    sl_deadline_clear(&u->timer);
    /* the read buffer is not needed while idle */
    sl_bufpool_put(&w->bufs, u->buf, u->cap);
    u->buf = NULL;
    u->cap = u->len = u->pos = 0;
    if (w->pool == NULL || s->upstream_keepalive_pool_size == 0 || /* the worker stops */
        (s->upstream_keepalive_max_requests && u->requests >= s->upstream_keepalive_max_requests)) {
        sl_upconn_close(u);
        return;
    }
    sl_pool_bucket_t *b = bucket_for(w->pool, &u->addr, true);
    if (b->n_idle >= s->upstream_keepalive_pool_size) {
        sl_upconn_close(u);
        return;
    }
    u->bucket = b;
    u->pool_prev = NULL;
    u->pool_next = b->idle;
    if (b->idle)
        b->idle->pool_prev = u;
    b->idle = u;
    b->n_idle++;
    sl_upconn_read_start(u, NULL);
    sl_deadline_set(&u->timer, idle_ms ? idle_ms : s->upstream_keepalive_idle_timeout_ms,
                    on_idle_timeout);
}

static void on_write_done(sl_write_t *wr, int status)
{
    struct sl_upconn_write *slot = (struct sl_upconn_write *)wr;
    sl_upconn_t *u = wr->data;
    slot->busy = false;
    if (u->owner == NULL || u->closing || slot->cb == NULL)
        return;
    slot->cb(u, status);
}

int sl_upconn_write(sl_upconn_t *u, const uv_buf_t *bufs, unsigned n,
                    void (*cb)(sl_upconn_t *u, int status))
{
    struct sl_upconn_write *slot = NULL;
    for (size_t i = 0; i < sizeof(u->writes) / sizeof(u->writes[0]); i++) {
        if (!u->writes[i].busy) {
            slot = &u->writes[i];
            break;
        }
    }
    if (slot == NULL)
        return UV_ENOBUFS; /* programmer error: callers keep at most two writes */
    slot->busy = true;
    slot->cb = cb;
    slot->wr.data = u;
    int rc = sl_transport_write(&u->tr, bufs, n, &slot->wr, on_write_done);
    if (rc < 0)
        slot->busy = false;
    return rc;
}

unsigned sl_upconn_writes_pending(const sl_upconn_t *u)
{
    return (unsigned)u->writes[0].busy + (unsigned)u->writes[1].busy;
}

void sl_upconn_arm(sl_upconn_t *u, bool owner_waits, uint32_t write_ms, uint32_t read_ms,
                   sl_deadline_cb cb)
{
    bool writing = sl_upconn_writes_pending(u) > 0;
    if (owner_waits && !writing) {
        sl_deadline_clear(&u->timer);
        return;
    }
    sl_deadline_set(&u->timer, writing ? write_ms : read_ms, cb);
}
