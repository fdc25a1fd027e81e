/*
 * Worker threads, and the modules each runs (the top of the layers: this file starts and
 * stops what the lower ones only use). The master binds every worker's listening sockets (so a busy port is an
 * error at startup, not in a thread), then each worker adopts its sockets into its own loop.
 * SO_REUSEPORT makes the kernel spread new connections over the workers' sockets.
 */
#include "runtime/workers.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/write.h"
#include "core/xalloc.h"
#include "http/conn.h"
#include "http/request.h"
#include "log/access.h"
#include "metrics/store.h"
#include "plugin/plugin.h"
#include "proxy/dns.h"
#include "proxy/upstream.h"
#include "snapshot/snapshot.h"

int sl_worker_bind(sl_worker_t *w, const sl_settings_t *s, int id, const sl_listen_t *ls,
                   size_t n, const sl_handler_t *handler)
{
    memset(w, 0, sizeof(*w));
    w->alog_fd = -1;
    w->id = id;
    w->settings = s;
    w->handler = handler;
    w->listen = ls;
    for (size_t i = 0; i < n; i++) {
        const sl_listen_t *l = &ls[i];
        int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            goto fail;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* proxy workers share their ports with SO_REUSEPORT; the admin listener is alone,
         * so a port another process holds is an error, not a silent share */
        if (id >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
            close(fd);
            goto fail;
        }
        if (l->addr.ss_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        /* accepted sockets inherit TCP_NODELAY from the listener on Linux: one setsockopt
         * here instead of one per connection */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        socklen_t len = l->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                       : sizeof(struct sockaddr_in);
        if (bind(fd, (const struct sockaddr *)&l->addr, len) != 0 || listen(fd, l->backlog) != 0) {
            int e = errno;
            close(fd);
            errno = e;
            goto fail;
        }
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);
        getsockname(fd, (struct sockaddr *)&bound, &blen);
        w->listen_ports[i] = ntohs(bound.ss_family == AF_INET6
                                       ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                       : ((struct sockaddr_in *)&bound)->sin_port);
        w->listen_fds[i] = fd;
        w->n_listeners++;
        continue;
    fail:
        fprintf(stderr, "sluice: cannot listen on %s: %s\n", l->text, strerror(errno));
        for (size_t j = 0; j < w->n_listeners; j++)
            close(w->listen_fds[j]);
        w->n_listeners = 0;
        return -errno;
    }
    return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
    sl_worker_t *w = server->data;
    if (status < 0) {
        sl_conn_accept_failed(w, status);
        return;
    }
    size_t idx = (size_t)((uv_tcp_t *)server - w->listeners);
    sl_conn_accept(w, server, w->listen_ports[idx]);
}

static sl_snap_slot_t *slot_new(sl_snapshot_t *snap)
{
    sl_snap_slot_t *slot = sl_xcalloc(1, sizeof(*slot));
    slot->snap = snap;
    slot->rr_state = sl_xcalloc(snap->rr_state_len + 1, sizeof(int32_t));
    return slot;
}

static void slot_free(sl_snap_slot_t *slot)
{
    sl_snapshot_release(slot->snap);
    free(slot->rr_state);
    free(slot);
}

static void adopt_pending(sl_worker_t *w)
{
    sl_snapshot_t *snap = atomic_exchange(&w->pending, NULL);
    if (snap == NULL)
        return;
    sl_snap_slot_t *old = w->current;
    w->current = slot_new(snap);
    if (old) {
        old->retired = true;
        if (old->inflight == 0) {
            slot_free(old);
        } else {
            old->next = w->retired;
            w->retired = old;
        }
    }
    sl_log(SL_LOG_DEBUG, "adopted config generation %llu", (unsigned long long)snap->generation);
}



static void on_walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void stop_handles(sl_worker_t *w);

static void on_drain_tick(uv_timer_t *t)
{
    sl_worker_t *w = t->data;
    if (w->conns == NULL || uv_now(w->loop) >= w->drain_deadline) {
        if (w->conns)
            sl_log(SL_LOG_WARN, "drain timeout: closing the connections still open");
        stop_handles(w);
    }
}

static void start_drain(sl_worker_t *w)
{
    w->draining = true;
    for (size_t i = 0; i < w->n_listeners; i++)
        uv_close((uv_handle_t *)&w->listeners[i], NULL);
    /* idle keep-alive connections go now; the others once their response is out */
    sl_conn_t *c = w->conns;
    while (c) {
        sl_conn_t *next = c->next;
        if (c->req == NULL)
            sl_conn_close(c);
        else
            c->close_after = true;
        c = next;
    }
    w->drain_deadline = uv_now(w->loop) + w->settings->drain_timeout_ms;
    uv_timer_start(&w->drain_timer, on_drain_tick, 0, 50);
}

static void on_async(uv_async_t *a)
{
    sl_worker_t *w = a->data;
    adopt_pending(w);
    int stop = atomic_load(&w->stop);
    if (stop == 1 && !w->attached)
        stop_handles(w);
    else if (stop == 2 && !w->draining)
        start_drain(w);
}




/* Frees what the loop's handles no longer need, once they are all closed. */
void sl_worker_cleanup(sl_worker_t *w)
{
    sl_dns_free(w->dns);
    w->dns = NULL;
    if (w->current)
        slot_free(w->current);
    w->current = NULL;
    while (w->retired) {
        sl_snap_slot_t *n = w->retired->next;
        slot_free(w->retired);
        w->retired = n;
    }
    sl_snapshot_t *pending = atomic_exchange(&w->pending, NULL);
    if (pending)
        sl_snapshot_release(pending);
    sl_conn_rt_pool_free(w);
    sl_req_pool_free(w);
    sl_bufpool_destroy(&w->bufs);
    /* the admin API, the only reader, has stopped answering before any worker stops */
    sl_metrics_free(w->metrics);
    w->metrics = NULL;
    free(w->alog);
    w->alog = NULL;
}

static void worker_main(void *arg)
{
    sl_worker_t *w = arg;
    char name[32];
    snprintf(name, sizeof(name), "worker %d", w->id);
    sl_log_set_thread_name(name);
    if (w->settings->pin_workers) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        if (cores > 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(w->id % cores, &set);
            pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
        }
    }
    uv_run(w->loop, UV_RUN_DEFAULT);
    /* close anything left (timers of closed connections are closed already) */
    uv_walk(w->loop, on_walk_close, NULL);
    uv_run(w->loop, UV_RUN_DEFAULT);
    uv_loop_close(w->loop);
    sl_worker_cleanup(w);
}

/* Sets up the worker's handles on w->loop. */
static int setup(sl_worker_t *w, sl_snapshot_t *snap)
{
    sl_bufpool_init(&w->bufs, 1024);
    w->pool = sl_pool_new(w);
    w->dns = sl_dns_new(w);
    if (getrandom(w->rng, sizeof(w->rng), 0) != (ssize_t)sizeof(w->rng)) {
        w->rng[0] = (uint64_t)time(NULL) ^ ((uint64_t)w->id << 32);
        w->rng[1] = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
    }
    w->rng[0] |= 1;
    sl_snapshot_ref(snap);
    w->current = slot_new(snap);
    uv_async_init(w->loop, &w->async, on_async);
    w->async.data = w;
    sl_worker_deferred_init(w);
    w->slot_done = slot_free;
    uv_timer_init(w->loop, &w->drain_timer);
    w->drain_timer.data = w;
    w->alog = sl_xcalloc(1, sizeof(*w->alog));
    sl_alog_init(w->alog, w->loop, w->alog_fd, (sl_alog_format_t)w->settings->access_log_format);
    if (!w->attached)
        sl_plugin_workers_init(w);
    for (size_t i = 0; i < w->n_listeners; i++) {
        uv_tcp_init(w->loop, &w->listeners[i]);
        w->listeners[i].data = w;
        int rc = uv_tcp_open(&w->listeners[i], w->listen_fds[i]);
        if (rc == 0)
            rc = uv_listen((uv_stream_t *)&w->listeners[i], w->listen[i].backlog, on_connection);
        if (rc < 0) {
            fprintf(stderr, "sluice: listen on %s: %s\n", w->listen[i].text, uv_strerror(rc));
            return rc;
        }
    }
    return 0;
}

int sl_worker_start(sl_worker_t *w, sl_snapshot_t *snap)
{
    w->metrics = sl_metrics_new();
    w->loop = &w->own_loop;
    uv_loop_init(w->loop);
    w->loop->data = w;
    int rc = setup(w, snap);
    if (rc < 0)
        return rc;
    return uv_thread_create(&w->thread, worker_main, w);
}

int sl_worker_attach(sl_worker_t *w, uv_loop_t *loop, sl_snapshot_t *snap)
{
    w->loop = loop;
    w->attached = true;
    return setup(w, snap);
}

static void stop_handles(sl_worker_t *w)
{
    for (size_t i = 0; i < w->n_listeners; i++)
        if (!uv_is_closing((uv_handle_t *)&w->listeners[i]))
            uv_close((uv_handle_t *)&w->listeners[i], NULL);
    sl_conn_close_all(w);
    sl_alog_close(w->alog); /* after the connections: their requests are logged */
    sl_plugin_workers_fini(w);
    sl_pool_free(w->pool);
    w->pool = NULL;
    uv_close((uv_handle_t *)&w->async, NULL);
    uv_close((uv_handle_t *)&w->check, NULL);
    uv_close((uv_handle_t *)&w->idle, NULL);
    uv_close((uv_handle_t *)&w->drain_timer, NULL);
}

void sl_worker_detach(sl_worker_t *w)
{
    stop_handles(w);
}

void sl_worker_publish(sl_worker_t *w, sl_snapshot_t *snap)
{
    sl_snapshot_ref(snap);
    sl_snapshot_t *old = atomic_exchange(&w->pending, snap);
    if (old)
        sl_snapshot_release(old); /* never adopted: a newer one superseded it */
    uv_async_send(&w->async);
}

void sl_worker_drain(sl_worker_t *w)
{
    atomic_store(&w->stop, 2);
    uv_async_send(&w->async);
}

void sl_worker_join(sl_worker_t *w)
{
    uv_thread_join(&w->thread);
}

void sl_worker_stop_and_join(sl_worker_t *w)
{
    atomic_store(&w->stop, 1);
    uv_async_send(&w->async);
    uv_thread_join(&w->thread);
}




