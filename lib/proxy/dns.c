/*
 * DNS cache. Entries are few (one per upstream host name), so a linked list is enough; the
 * request path only reaches here for services and targets named by host name.
 */
#include "proxy/dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"

#define DNS_MAX_ADDRS 8
#define DNS_NEGATIVE_TTL_MS 1000

struct sl_dns_waiter {
    sl_dns_cb cb;
    void *arg;
    uint16_t port;
    bool cancelled;
    sl_dns_waiter_t *next;
};

typedef struct dns_entry {
    char *host;
    struct sockaddr_storage addrs[DNS_MAX_ADDRS];
    int n_addrs;
    int status;             /* 0 or the last error */
    uint64_t expires_ms;    /* loop time */
    unsigned rr;
    bool resolving;
    uv_getaddrinfo_t gai;
    sl_dns_waiter_t *waiters;
    struct dns_entry *next;
    sl_dns_t *dns;
} dns_entry_t;

struct sl_dns {
    sl_worker_t *w;
    dns_entry_t *entries;
    bool closing;
};

sl_dns_t *sl_dns_new(sl_worker_t *w)
{
    sl_dns_t *d = sl_xcalloc(1, sizeof(*d));
    d->w = w;
    return d;
}

static void free_waiters(dns_entry_t *e)
{
    while (e->waiters) {
        sl_dns_waiter_t *n = e->waiters->next;
        free(e->waiters);
        e->waiters = n;
    }
}

void sl_dns_free(sl_dns_t *d)
{
    if (d == NULL)
        return;
    dns_entry_t *e = d->entries;
    while (e) {
        dns_entry_t *n = e->next;
        if (e->resolving) {
            /* the lookup callback frees it once libuv hands it back */
            uv_cancel((uv_req_t *)&e->gai);
            e->dns = NULL;
            free_waiters(e);
        } else {
            free(e->host);
            free(e);
        }
        e = n;
    }
    free(d);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    dns_entry_t *e = req->data;
    e->resolving = false;
    if (e->dns == NULL) { /* the cache went away meanwhile */
        if (res)
            uv_freeaddrinfo(res);
        free(e->host);
        free(e);
        return;
    }
    sl_dns_t *d = e->dns;
    uint64_t now = uv_now(d->w->loop);
    e->n_addrs = 0;
    for (struct addrinfo *ai = res; ai && e->n_addrs < DNS_MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        memset(&e->addrs[e->n_addrs], 0, sizeof(e->addrs[0]));
        memcpy(&e->addrs[e->n_addrs], ai->ai_addr, ai->ai_addrlen);
        e->n_addrs++;
    }
    if (res)
        uv_freeaddrinfo(res);
    if (status == 0 && e->n_addrs == 0)
        status = UV_EAI_NODATA;
    e->status = status;
    e->expires_ms = now + (status == 0 ? d->w->settings->dns_cache_ttl_ms : DNS_NEGATIVE_TTL_MS);
    if (status != 0)
        sl_log(SL_LOG_ERROR, "name resolution of '%s' failed: %s", e->host, uv_strerror(status));
    sl_dns_waiter_t *wl = e->waiters;
    e->waiters = NULL;
    while (wl) {
        sl_dns_waiter_t *next = wl->next;
        if (!wl->cancelled) {
            if (status == 0) {
                struct sockaddr_storage a = e->addrs[e->rr++ % (unsigned)e->n_addrs];
                set_port(&a, wl->port);
                wl->cb(wl->arg, 0, &a);
            } else {
                wl->cb(wl->arg, status, NULL);
            }
        }
        free(wl);
        wl = next;
    }
}

int sl_dns_resolve(sl_dns_t *d, const char *host, uint16_t port, struct sockaddr_storage *out,
                   sl_dns_cb cb, void *arg, sl_dns_waiter_t **waiter)
{
    uint64_t now = uv_now(d->w->loop);
    dns_entry_t *e;
    for (e = d->entries; e; e = e->next)
        if (strcmp(e->host, host) == 0)
            break;
    if (e && !e->resolving && now < e->expires_ms) {
        if (e->status != 0)
            return e->status;
        *out = e->addrs[e->rr++ % (unsigned)e->n_addrs];
        set_port(out, port);
        return 0;
    }
    if (e == NULL) {
        e = sl_xcalloc(1, sizeof(*e));
        e->host = strdup(host);
        if (e->host == NULL)
            sl_fatal_oom();
        e->dns = d;
        e->next = d->entries;
        d->entries = e;
    }
    sl_dns_waiter_t *wt = sl_xcalloc(1, sizeof(*wt));
    wt->cb = cb;
    wt->arg = arg;
    wt->port = port;
    wt->next = e->waiters;
    e->waiters = wt;
    *waiter = wt;
    if (!e->resolving) {
        struct addrinfo hints;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        e->gai.data = e;
        int rc = uv_getaddrinfo(d->w->loop, &e->gai, on_resolved, e->host, NULL, &hints);
        if (rc < 0) {
            e->waiters = wt->next;
            free(wt);
            *waiter = NULL;
            return rc;
        }
        e->resolving = true;
    }
    return 1;
}

void sl_dns_cancel(sl_dns_waiter_t *waiter)
{
    if (waiter)
        waiter->cancelled = true;
}
