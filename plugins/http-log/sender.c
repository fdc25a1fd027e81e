/*
 * http-log's queues and their HTTP client (see sender.h).
 *
 * A queue keeps its records back to back in one byte buffer, with a ring of their lengths;
 * a batch is copied out of it into the queue's send buffer (the request head, then the
 * record, or the records as a JSON array), so that the queue can keep taking and dropping
 * records while the batch is in flight or waits for a retry.
 *
 * Handles: each queue embeds two timers, `timer` (the coalescing delay, or the wait before a
 * retry) and `io_timer` (an attempt's timeout), and is freed from the second one's close
 * callback. Batches go out through the gateway's upstream client (proxy/client.h), on the
 * worker's keep-alive pool: a connection waits there `keepalive` ms between batches.
 */
#include "plugins/http-log/sender.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "proxy/client.h"
#include "proxy/dns.h"

#define IDLE_QUEUE_MS (5 * 60 * 1000) /* an empty queue unused this long is freed */

typedef struct queue queue_t;

struct queue {
    queue_t *next;
    sl_hlq_set_t *set;
    char id[37];
    uint64_t hash;
    sl_hlq_conf_t c;          /* host and head point into this queue's own copies */
    char *host, *head;
    uint64_t last_used_ms;

    /* queued records */
    char *data;
    size_t data_off, data_len, data_cap;
    uint32_t *lens;           /* ring */
    size_t r_head, r_n, r_cap;
    uint64_t bytes;
    uint64_t dropped;         /* since the last "queue full" line */
    int64_t drop_log_sec;

    /* the batch being sent */
    char *send;
    size_t send_len, send_cap;
    size_t batch_n;           /* records in it; 0: none */
    uint64_t first_try_ms;
    unsigned retries;
    bool in_flight;           /* an attempt is under way */

    sl_upclient_t *x;         /* the exchange of an attempt under way */
    uv_buf_t xbuf;            /* what it sends (send, send_len) */
    sl_dns_waiter_t *dns;
    uv_timer_t timer, io_timer;
    int open_handles;
    bool closing;
};

struct sl_hlq_set {
    sl_worker_t *w;
    queue_t *queues;
    size_t n_live;            /* queues not yet freed */
    bool closing;
};

static void flush(queue_t *q);
static void next_batch(queue_t *q);
static void start_attempt(queue_t *q);
static void q_finish(queue_t *q);

static void on_retry_timer(uv_timer_t *t)
{
    start_attempt(t->data);
}

static void on_coalesce_timer(uv_timer_t *t)
{
    flush(t->data);
}

static uint64_t now_ms(queue_t *q)
{
    return uv_now(q->set->w->loop);
}

/* ---- the exchange ---- */

/* Abandons the attempt's exchange, if any. */
static void drop_exchange(queue_t *q)
{
    sl_upclient_cancel(q->x);
    q->x = NULL;
}

static void fail_attempt(queue_t *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_attempt(queue_t *q, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    uv_timer_stop(&q->io_timer);
    q->in_flight = false;
    sl_log(SL_LOG_ERROR, "http-log: failed request to %s:%u: %s", q->host, q->c.port, why);
    if (q->closing) {
        q_finish(q);
        return;
    }
    if ((int64_t)(now_ms(q) - q->first_try_ms) >= q->c.max_retry_time_ms) {
        sl_log(SL_LOG_ERROR,
               "http-log: could not send entries due to max_retry_time exceeded. %zu queue "
               "entries were lost",
               q->batch_n);
        q->batch_n = 0;
        next_batch(q);
        return;
    }
    /* kong/tools/queue.lua: min(max_retry_delay, 2^try * initial_retry_delay) */
    uint64_t delay = q->c.initial_retry_ms ? q->c.initial_retry_ms : 1;
    for (unsigned i = 0; i < q->retries && delay < q->c.max_retry_delay_ms; i++)
        delay *= 2;
    if (delay > q->c.max_retry_delay_ms)
        delay = q->c.max_retry_delay_ms;
    q->retries++;
    uv_timer_start(&q->timer, on_retry_timer, delay, 0);
}

static void on_done(void *arg, const sl_upclient_result_t *r)
{
    queue_t *q = arg;
    int status = r->status;
    q->x = NULL;
    uv_timer_stop(&q->io_timer);
    if (r->err < 0) {
        if (r->err == UV_ETIMEDOUT)
            fail_attempt(q, "timeout");
        else if (r->err == UV_EOF)
            fail_attempt(q, "connection closed %s", r->why);
        else if (r->err == UV_EPROTO)
            fail_attempt(q, "invalid response: %s", r->detail ? r->detail : r->why);
        else
            fail_attempt(q, "%s", r->why ? r->why : uv_strerror(r->err));
        return;
    }
    q->in_flight = false;
    /* kong/plugins/http-log/handler.lua: any status below 400 is delivered */
    if (status >= 400) {
        fail_attempt(q, "returned status code %d", status);
        return;
    }
    q->batch_n = 0;
    if (q->closing) {
        q_finish(q);
        return;
    }
    next_batch(q);
}

static const sl_upclient_hooks_t exchange_hooks = {.on_done = on_done};

static void send_to(queue_t *q, const struct sockaddr_storage *addr)
{
    sl_upclient_opts_t o = {
        .connect_timeout_ms = q->c.timeout_ms,
        .write_timeout_ms = q->c.timeout_ms,
        .read_timeout_ms = q->c.timeout_ms,
        .idle_timeout_ms = q->c.keepalive_ms,
        .keepalive = true,
        .retry_stale = true,
    };
    q->xbuf = uv_buf_init(q->send, (unsigned)q->send_len);
    q->x = sl_upclient_start(q->set->w, addr, &q->xbuf, 1, &o, &exchange_hooks, q);
}

static void on_dns(void *arg, int status, const struct sockaddr_storage *addr)
{
    queue_t *q = arg;
    q->dns = NULL;
    if (status != 0) {
        fail_attempt(q, "could not resolve: %s", uv_strerror(status));
        return;
    }
    send_to(q, addr);
}

static void on_attempt_timeout(uv_timer_t *t)
{
    queue_t *q = t->data;
    if (q->dns) {
        sl_dns_cancel(q->dns);
        q->dns = NULL;
    }
    drop_exchange(q);
    fail_attempt(q, "timeout");
}

static void start_attempt(queue_t *q)
{
    q->in_flight = true;
    uv_timer_start(&q->io_timer, on_attempt_timeout, q->c.timeout_ms, 0);
    struct sockaddr_storage addr;
    int rc = sl_dns_resolve(q->set->w->dns, q->host, q->c.port, &addr, on_dns, q, &q->dns);
    if (rc == 0)
        send_to(q, &addr);
    else if (rc < 0)
        fail_attempt(q, "could not resolve: %s", uv_strerror(rc));
}

/* ---- the records ---- */

static void drop_front(queue_t *q)
{
    uint32_t len = q->lens[q->r_head];
    q->data_off += len;
    q->bytes -= len;
    q->r_head = (q->r_head + 1) % q->r_cap;
    if (--q->r_n == 0)
        q->data_off = q->data_len = 0;
}

static void note_dropped(queue_t *q, uint64_t n)
{
    q->dropped += n;
    int64_t sec = (int64_t)time(NULL);
    if (sec == q->drop_log_sec)
        return;
    q->drop_log_sec = sec;
    sl_log(SL_LOG_WARN, "http-log: queue for %s:%u full, %llu oldest entries dropped", q->host,
           q->c.port, (unsigned long long)q->dropped);
    q->dropped = 0;
}

static void push(queue_t *q, const char *entry, size_t len)
{
    if (q->data_len + len > q->data_cap && q->data_off) {
        memmove(q->data, q->data + q->data_off, q->data_len - q->data_off);
        q->data_len -= q->data_off;
        q->data_off = 0;
    }
    if (q->data_len + len > q->data_cap) {
        size_t cap = q->data_cap ? q->data_cap * 2 : 16384;
        while (cap < q->data_len + len)
            cap *= 2;
        q->data = sl_xrealloc(q->data, cap);
        q->data_cap = cap;
    }
    memcpy(q->data + q->data_len, entry, len);
    q->data_len += len;
    if (q->r_n == q->r_cap) {
        size_t cap = q->r_cap ? q->r_cap * 2 : 64;
        uint32_t *v = sl_xmalloc(cap * sizeof(*v));
        for (size_t i = 0; i < q->r_n; i++)
            v[i] = q->lens[(q->r_head + i) % q->r_cap];
        free(q->lens);
        q->lens = v;
        q->r_head = 0;
        q->r_cap = cap;
    }
    q->lens[(q->r_head + q->r_n) % q->r_cap] = (uint32_t)len;
    q->r_n++;
    q->bytes += len;
}

/* Moves the first records into the send buffer as one request. */
static void build_batch(queue_t *q)
{
    size_t k = q->r_n < q->c.max_batch_size ? q->r_n : q->c.max_batch_size;
    size_t body = k > 1 ? 2 + (k - 1) : 0;
    for (size_t i = 0; i < k; i++)
        body += q->lens[(q->r_head + i) % q->r_cap];
    size_t need = q->c.head_len + 48 + body;
    if (need > q->send_cap) {
        free(q->send);
        q->send_cap = need + need / 2;
        q->send = sl_xmalloc(q->send_cap);
    }
    char *o = q->send;
    memcpy(o, q->head, q->c.head_len);
    o += q->c.head_len;
    o += sprintf(o, "Content-Length: %zu\r\n\r\n", body);
    if (k > 1)
        *o++ = '[';
    for (size_t i = 0; i < k; i++) {
        uint32_t len = q->lens[q->r_head];
        if (i)
            *o++ = ',';
        memcpy(o, q->data + q->data_off, len);
        o += len;
        drop_front(q);
    }
    if (k > 1)
        *o++ = ']';
    q->send_len = (size_t)(o - q->send);
    q->batch_n = k;
}

static void flush(queue_t *q)
{
    uv_timer_stop(&q->timer);
    if (q->in_flight || q->batch_n || q->r_n == 0)
        return;
    build_batch(q);
    q->first_try_ms = now_ms(q);
    q->retries = 0;
    start_attempt(q);
}

/* After a batch: the next one now if it is full, else after the coalescing delay. */
static void next_batch(queue_t *q)
{
    if (q->r_n == 0 || q->in_flight || q->batch_n)
        return;
    if (q->r_n >= q->c.max_batch_size || q->c.coalescing_ms == 0)
        flush(q);
    else if (!uv_is_active((uv_handle_t *)&q->timer))
        uv_timer_start(&q->timer, on_coalesce_timer, q->c.coalescing_ms, 0);
}

/* ---- queues ---- */

static void on_queue_handle_closed(uv_handle_t *h)
{
    queue_t *q = h->data;
    if (--q->open_handles > 0)
        return;
    sl_hlq_set_t *s = q->set;
    free(q->data);
    free(q->lens);
    free(q->send);
    free(q->host);
    free(q->head);
    free(q);
    if (--s->n_live == 0 && s->closing)
        free(s);
}

/* Closes <q> for good (unlinked from its set already or now), dropping what it holds. */
static void q_finish(queue_t *q)
{
    sl_hlq_set_t *s = q->set;
    for (queue_t **pp = &s->queues; *pp; pp = &(*pp)->next) {
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    }
    size_t lost = q->r_n + q->batch_n;
    if (lost)
        sl_log(SL_LOG_ERROR, "http-log: closing the queue for %s:%u, %zu entries were lost",
               q->host, q->c.port, lost);
    if (q->dns) {
        sl_dns_cancel(q->dns);
        q->dns = NULL;
    }
    drop_exchange(q);
    q->closing = true;
    q->in_flight = false;
    uv_close((uv_handle_t *)&q->timer, on_queue_handle_closed);
    uv_close((uv_handle_t *)&q->io_timer, on_queue_handle_closed);
}

static char *dup_bytes(const char *s, size_t n)
{
    char *p = sl_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static queue_t *q_new(sl_hlq_set_t *s, const char *id, const sl_hlq_conf_t *c)
{
    queue_t *q = sl_xcalloc(1, sizeof(*q));
    q->set = s;
    memcpy(q->id, id, 36);
    q->hash = c->hash;
    q->c = *c;
    q->host = dup_bytes(c->host, strlen(c->host));
    q->head = dup_bytes(c->head, c->head_len);
    q->c.host = q->host;
    q->c.head = q->head;
    uv_timer_init(s->w->loop, &q->timer);
    uv_timer_init(s->w->loop, &q->io_timer);
    q->timer.data = q->io_timer.data = q;
    q->open_handles = 2;
    q->next = s->queues;
    s->queues = q;
    s->n_live++;
    return q;
}

sl_hlq_set_t *sl_hlq_set_new(sl_worker_t *w)
{
    sl_hlq_set_t *s = sl_xcalloc(1, sizeof(*s));
    s->w = w;
    return s;
}

void sl_hlq_set_close(sl_hlq_set_t *s)
{
    s->closing = true;
    if (s->n_live == 0) {
        free(s);
        return;
    }
    queue_t *q = s->queues;
    while (q) {
        queue_t *next = q->next;
        q->closing = true;
        if (q->in_flight) {
            /* the attempt under way ends within its timeout, then the queue closes */
        } else {
            uv_timer_stop(&q->timer);
            if (q->batch_n == 0 && q->r_n)
                build_batch(q);
            if (q->batch_n) {
                q->first_try_ms = now_ms(q);
                start_attempt(q); /* one last attempt, no retry */
            } else {
                q_finish(q);
            }
        }
        q = next;
    }
}

void sl_hlq_add(sl_hlq_set_t *s, const char *instance_id, const sl_hlq_conf_t *c,
                const char *entry, size_t len)
{
    if (s->closing)
        return;
    uint64_t now = uv_now(s->w->loop);
    queue_t *q = NULL;
    for (queue_t *it = s->queues, *next; it; it = next) {
        next = it->next;
        if (it->hash == c->hash && memcmp(it->id, instance_id, 36) == 0) {
            q = it;
        } else if (it->r_n == 0 && it->batch_n == 0 && !it->in_flight &&
                   now - it->last_used_ms > IDLE_QUEUE_MS) {
            q_finish(it); /* a queue of an instance or config that is gone */
        }
    }
    if (q == NULL)
        q = q_new(s, instance_id, c);
    q->last_used_ms = now;
    if (c->max_bytes && len > c->max_bytes) {
        note_dropped(q, 1);
        return;
    }
    uint64_t n = 0;
    while (q->r_n &&
           (q->r_n >= c->max_entries || (c->max_bytes && q->bytes + len > c->max_bytes))) {
        drop_front(q); /* Kong's queue drops the oldest to make room */
        n++;
    }
    if (n)
        note_dropped(q, n);
    push(q, entry, len);
    next_batch(q);
}
