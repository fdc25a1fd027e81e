/* rate-limiting's per-worker Redis connections and counts (see redis.h). */
#include "redis.h"

#include <arpa/inet.h>
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "proxy/dns.h"

/* Kong's scripts: increment, give the window its lifetime if it has none yet, and answer the
 * count before (synchronous) or the new total (batched). */
#define SCRIPT_INCR                                                                              \
    "local v = redis.call('incr', KEYS[1]) "                                                     \
    "if redis.call('ttl', KEYS[1]) < 0 then redis.call('expire', KEYS[1], ARGV[1]) end "         \
    "return v - 1"
#define SCRIPT_ADD                                                                               \
    "local v = redis.call('incrby', KEYS[1], ARGV[1]) "                                          \
    "if redis.call('ttl', KEYS[1]) < 0 then redis.call('expire', KEYS[1], ARGV[2]) end "         \
    "return v"

#define RETRY_MS 1000         /* back-off after a failure before the next connection attempt */
#define DOWN_LOG_EVERY_MS 30000
#define MAX_KEYS 6

typedef enum { ST_IDLE = 0, ST_RESOLVING, ST_CONNECTING, ST_READY, ST_DOWN } state_t;

/* A worker-local counter (batched mode, and counts kept while Redis is away). */
typedef struct count {
    struct count *next;
    int64_t base;      /* the total Redis last gave */
    int64_t delta;     /* counted here, not sent yet */
    int64_t inflight;  /* sent, not acknowledged */
    int64_t expire_s;
    int64_t ttl_s;
    size_t klen;
    char key[];
} count_t;

#define COUNT_BUCKETS 256

typedef enum { P_INCR = 0, P_FLUSH } pending_kind_t;

/* Commands sent and not all answered, oldest first (Redis answers in order). */
typedef struct pending {
    struct pending *next;
    pending_kind_t kind;
    sl_rl_redis_t *r;
    uint64_t deadline;  /* loop ms */
    size_t n, left;
    bool failed;
    bool sent;          /* written to hiredis (not waiting for the connection) */
    int64_t vals[MAX_KEYS];
    /* P_INCR */
    sl_rl_redis_incr_cb cb;
    void *arg;
    char *keys[MAX_KEYS];
    size_t klens[MAX_KEYS];
    int64_t ttl[MAX_KEYS];
    /* P_FLUSH: one entry per counter sent */
    char **fkeys;
    size_t *fklens;
    int64_t *fsent;
    int64_t *ftotal;
    int64_t *fttl;
} pending_t;

struct sl_rl_redis_op {
    pending_t p;
};

struct sl_rl_redis {
    sl_rl_redis_t *next;
    sl_rl_redis_set_t *set;
    sl_worker_t *w;
    char *id;
    char *host, *username, *password;
    int port, database, timeout_ms;
    int64_t sync_ms;

    state_t state;
    redisAsyncContext *ac;
    sl_dns_waiter_t *dns;
    uint64_t retry_at;           /* loop ms; ST_DOWN until then */
    uint64_t down_logged_at;
    bool down_logged;
    char last_error[160];

    pending_t *head, *tail;      /* answered in order */
    uv_timer_t timeout_timer;
    uv_timer_t sync_timer;
    bool sync_running;
    bool flushing;
    bool synced;

    count_t *counts[COUNT_BUCKETS];
    size_t n_counts;
    int closing;                 /* handles left to close */
};

struct sl_rl_redis_set {
    sl_worker_t *w;
    sl_rl_redis_t *list;
};

static void connect_now(sl_rl_redis_t *r);
static void start_sync_timer(sl_rl_redis_t *r);

/* ---- pending commands ---------------------------------------------------------------- */

static void pending_push(sl_rl_redis_t *r, pending_t *p)
{
    p->next = NULL;
    if (r->tail)
        r->tail->next = p;
    else
        r->head = p;
    r->tail = p;
}

static void pending_unlink(sl_rl_redis_t *r, pending_t *p)
{
    pending_t **pp = &r->head, *prev = NULL;
    while (*pp && *pp != p) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = p->next;
    if (r->tail == p)
        r->tail = prev;
}

static void pending_free(pending_t *p)
{
    for (size_t i = 0; i < MAX_KEYS; i++)
        free(p->keys[i]);
    if (p->fkeys)
        for (size_t i = 0; i < p->n; i++)
            free(p->fkeys[i]);
    free(p->fkeys);
    free(p->fklens);
    free(p->fsent);
    free(p->ftotal);
    free(p->fttl);
    free(p);
}

/* ---- worker-local counts ------------------------------------------------------------- */

static count_t *count_find(sl_rl_redis_t *r, const char *key, size_t klen, bool create,
                           int64_t expire_s, int64_t now_s)
{
    count_t **head = &r->counts[sl_hash_bytes(key, klen) % COUNT_BUCKETS], **pp = head;
    while (*pp) {
        count_t *c = *pp;
        if (c->expire_s <= now_s && c->inflight == 0) {
            *pp = c->next; /* its window is over */
            free(c);
            r->n_counts--;
            continue;
        }
        if (c->klen == klen && memcmp(c->key, key, klen) == 0)
            return c;
        pp = &c->next;
    }
    if (!create)
        return NULL;
    count_t *c = sl_xcalloc(1, sizeof(*c) + klen);
    c->klen = klen;
    c->expire_s = expire_s;
    memcpy(c->key, key, klen);
    c->next = *head;
    *head = c;
    r->n_counts++;
    return c;
}

int sl_rl_redis_take(sl_rl_redis_t *r, sl_rl_counter_t *cs, const int64_t *ttl_s, size_t n,
                     int64_t now_s)
{
    count_t *c[SL_RL_N_PERIODS];
    int stop = -1;
    for (size_t i = 0; i < n; i++) {
        c[i] = count_find(r, cs[i].key, cs[i].klen, true, cs[i].expire_s, now_s);
        c[i]->ttl_s = ttl_s[i];
        cs[i].usage = c[i]->base + c[i]->delta + c[i]->inflight;
        if (stop < 0 && cs[i].usage >= cs[i].limit)
            stop = (int)i;
    }
    if (stop < 0) {
        for (size_t i = 0; i < n; i++)
            c[i]->delta++;
        start_sync_timer(r);
    }
    return stop;
}

void sl_rl_redis_add(sl_rl_redis_t *r, const char *key, size_t klen, int64_t expire_s,
                     int64_t ttl_s, int64_t n)
{
    count_t *c = count_find(r, key, klen, true, expire_s, expire_s - ttl_s);
    c->delta += n;
    c->ttl_s = ttl_s;
    start_sync_timer(r);
}

bool sl_rl_redis_synced(const sl_rl_redis_t *r)
{
    return r->synced;
}

/* ---- failures ------------------------------------------------------------------------ */

static void note_down(sl_rl_redis_t *r, const char *why)
{
    snprintf(r->last_error, sizeof(r->last_error), "%s", why);
    uint64_t now = uv_now(r->w->loop);
    if (!r->down_logged || now - r->down_logged_at >= DOWN_LOG_EVERY_MS) {
        sl_log(SL_LOG_ERROR, "rate-limiting: Redis %s:%d unreachable (%s): counting locally",
               r->host, r->port, why);
        r->down_logged = true;
        r->down_logged_at = now;
    }
}

/* Drops the connection: pending commands fail (hiredis answers them with NULL), new ones
 * wait for the back-off. */
static void fail_connection(sl_rl_redis_t *r, const char *why)
{
    note_down(r, why);
    r->state = ST_DOWN;
    r->retry_at = uv_now(r->w->loop) + RETRY_MS;
    r->synced = false;
    if (r->dns) {
        sl_dns_cancel(r->dns);
        r->dns = NULL;
    }
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    if (ac)
        redisAsyncFree(ac); /* runs every pending callback with a NULL reply */
    /* commands that never reached hiredis (waiting for the connection) fail here */
    pending_t *p = r->head;
    while (p) {
        pending_t *next = p->next;
        if (!p->sent) {
            pending_unlink(r, p);
            p->failed = true;
            if (p->kind == P_INCR && p->cb)
                p->cb(p->arg, false, p->vals, p->n);
            pending_free(p);
        }
        p = next;
    }
}

/* ---- replies ------------------------------------------------------------------------- */

static void flush_done(sl_rl_redis_t *r, pending_t *p)
{
    int64_t now_s = (int64_t)time(NULL);
    for (size_t i = 0; i < p->n; i++) {
        count_t *c = count_find(r, p->fkeys[i], p->fklens[i], false, 0, now_s);
        if (c == NULL)
            continue;
        c->inflight -= p->fsent[i];
        if (p->failed)
            c->delta += p->fsent[i]; /* sent again at the next sync */
        else
            c->base = p->ftotal[i] - c->inflight;
    }
    r->flushing = false;
    if (!p->failed) {
        if (r->down_logged)
            sl_log(SL_LOG_INFO, "rate-limiting: Redis %s:%d reachable again, counts synced",
                   r->host, r->port);
        r->down_logged = false;
        r->synced = true;
    }
    /* in synchronous mode, counts are only kept while Redis is away: drop what was sent */
    if (r->sync_ms < 0 && !p->failed) {
        for (size_t b = 0; b < COUNT_BUCKETS; b++) {
            count_t **pp = &r->counts[b];
            while (*pp) {
                count_t *c = *pp;
                if (c->delta == 0 && c->inflight == 0) {
                    *pp = c->next;
                    free(c);
                    r->n_counts--;
                } else {
                    pp = &c->next;
                }
            }
        }
    }
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    pending_t *p = privdata;
    sl_rl_redis_t *r = p->r;
    redisReply *rep = reply;
    size_t idx = p->n - p->left;
    if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
        p->failed = true;
        if (rep == NULL && r->ac == ac) {
            /* the connection is going away: nothing new may use it */
            r->ac = NULL;
            r->state = ST_DOWN;
            r->retry_at = uv_now(r->w->loop) + RETRY_MS;
            r->synced = false;
            note_down(r, ac->errstr[0] ? ac->errstr : "connection lost");
        } else if (rep && rep->type == REDIS_REPLY_ERROR) {
            note_down(r, rep->str);
        }
    } else if (p->kind == P_FLUSH) {
        p->ftotal[idx] = rep->integer;
    } else {
        p->vals[idx] = rep->integer;
    }
    if (--p->left > 0)
        return;
    pending_unlink(r, p);
    if (p->kind == P_INCR) {
        if (p->cb)
            p->cb(p->arg, !p->failed, p->vals, p->n);
    } else {
        flush_done(r, p);
    }
    pending_free(p);
}

static void on_timeout(uv_timer_t *t);

/* AUTH and SELECT answers: a refusal drops the connection. */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    sl_rl_redis_t *r = privdata;
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_ERROR && r->ac == ac) {
        char why[160];
        snprintf(why, sizeof(why), "%s", rep->str);
        /* not from inside hiredis' callback: the timeout timer drops it on its next run */
        note_down(r, why);
        r->state = ST_DOWN; /* marks it for fail_connection in on_timeout */
        uv_timer_start(&r->timeout_timer, on_timeout, 0, 0);
    }
}

/* ---- sending ------------------------------------------------------------------------- */

static void arm_timeout(sl_rl_redis_t *r);

/* Writes <p>'s commands to hiredis. */
static void send_pending(sl_rl_redis_t *r, pending_t *p)
{
    p->sent = true;
    char ttl[24], val[24];
    for (size_t i = 0; i < p->n; i++) {
        const char *argv[6];
        size_t argl[6];
        int argc;
        argv[0] = "EVAL";
        argv[2] = "1";
        if (p->kind == P_INCR) {
            argv[1] = SCRIPT_INCR;
            argv[3] = p->keys[i];
            argl[3] = p->klens[i];
            snprintf(ttl, sizeof(ttl), "%lld", (long long)p->ttl[i]);
            argv[4] = ttl;
            argc = 5;
        } else {
            argv[1] = SCRIPT_ADD;
            argv[3] = p->fkeys[i];
            argl[3] = p->fklens[i];
            snprintf(val, sizeof(val), "%lld", (long long)p->fsent[i]);
            snprintf(ttl, sizeof(ttl), "%lld", (long long)p->fttl[i]);
            argv[4] = val;
            argv[5] = ttl;
            argc = 6;
        }
        for (int a = 0; a < argc; a++)
            if (a != 3)
                argl[a] = strlen(argv[a]);
        redisAsyncCommandArgv(r->ac, on_reply, p, argc, argv, argl);
    }
}

static void on_timeout(uv_timer_t *t)
{
    sl_rl_redis_t *r = t->data;
    if (r->ac && r->state == ST_DOWN) {
        fail_connection(r, r->last_error); /* refused by AUTH or SELECT */
        return;
    }
    uint64_t now = uv_now(r->w->loop);
    if (r->head && r->head->deadline <= now) {
        char why[64];
        snprintf(why, sizeof(why), "timeout after %d ms", r->timeout_ms);
        fail_connection(r, why);
        return;
    }
    arm_timeout(r);
}

static void arm_timeout(sl_rl_redis_t *r)
{
    if (r->head == NULL) {
        uv_timer_stop(&r->timeout_timer);
        return;
    }
    uint64_t now = uv_now(r->w->loop);
    uint64_t wait = r->head->deadline > now ? r->head->deadline - now : 0;
    uv_timer_start(&r->timeout_timer, on_timeout, wait, 0);
}

static void enqueue(sl_rl_redis_t *r, pending_t *p)
{
    p->r = r;
    p->left = p->n;
    p->deadline = uv_now(r->w->loop) + (uint64_t)r->timeout_ms;
    bool first = r->head == NULL;
    pending_push(r, p);
    if (r->ac && r->state != ST_RESOLVING)
        send_pending(r, p);
    if (first)
        arm_timeout(r);
}

/* ---- connecting ---------------------------------------------------------------------- */

static void on_connect(const redisAsyncContext *ac, int status)
{
    sl_rl_redis_t *r = ac->data;
    if (r == NULL || r->ac != ac)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback */
        r->ac = NULL;
        r->state = ST_DOWN;
        r->retry_at = uv_now(r->w->loop) + RETRY_MS;
        r->synced = false;
        note_down(r, ac->errstr[0] ? ac->errstr : "connect failed");
        return;
    }
    r->state = ST_READY;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    sl_rl_redis_t *r = ac->data;
    (void)status;
    if (r && r->ac == ac) {
        r->ac = NULL;
        r->state = ST_DOWN;
        r->retry_at = uv_now(r->w->loop) + RETRY_MS;
        r->synced = false;
        note_down(r, "connection closed");
    }
}

static void open_context(sl_rl_redis_t *r, const char *ip)
{
    redisAsyncContext *ac = redisAsyncConnect(ip, r->port);
    if (ac == NULL || ac->err) {
        note_down(r, ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        r->state = ST_DOWN;
        r->retry_at = uv_now(r->w->loop) + RETRY_MS;
        return;
    }
    if (redisLibuvAttach(ac, r->w->loop) != REDIS_OK) {
        redisAsyncFree(ac);
        note_down(r, "event loop attach failed");
        r->state = ST_DOWN;
        r->retry_at = uv_now(r->w->loop) + RETRY_MS;
        return;
    }
    ac->data = r;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    r->state = ST_CONNECTING;
    if (r->password) {
        if (r->username)
            redisAsyncCommand(ac, on_setup_reply, r, "AUTH %s %s", r->username, r->password);
        else
            redisAsyncCommand(ac, on_setup_reply, r, "AUTH %s", r->password);
    }
    if (r->database)
        redisAsyncCommand(ac, on_setup_reply, r, "SELECT %d", r->database);
    /* what waited for the connection goes out now */
    for (pending_t *p = r->head; p; p = p->next)
        if (!p->sent)
            send_pending(r, p);
}

static void on_resolved(void *arg, int status, const struct sockaddr_storage *addr)
{
    sl_rl_redis_t *r = arg;
    r->dns = NULL;
    if (status < 0) {
        fail_connection(r, uv_strerror(status));
        return;
    }
    char ip[INET6_ADDRSTRLEN];
    sl_addr_ip((const struct sockaddr *)addr, ip, sizeof(ip));
    open_context(r, ip);
    if (r->ac == NULL)
        fail_connection(r, r->last_error);
}

static void connect_now(sl_rl_redis_t *r)
{
    unsigned char tmp[16];
    if (inet_pton(AF_INET, r->host, tmp) == 1 || inet_pton(AF_INET6, r->host, tmp) == 1) {
        open_context(r, r->host);
        return;
    }
    struct sockaddr_storage addr;
    r->state = ST_RESOLVING;
    int rc = sl_dns_resolve(r->w->dns, r->host, (uint16_t)r->port, &addr, on_resolved, r,
                            &r->dns);
    if (rc == 0) {
        r->state = ST_IDLE;
        on_resolved(r, 0, &addr);
    } else if (rc < 0) {
        r->state = ST_IDLE;
        fail_connection(r, uv_strerror(rc));
    }
}

bool sl_rl_redis_available(sl_rl_redis_t *r)
{
    switch (r->state) {
    case ST_READY:
    case ST_CONNECTING:
    case ST_RESOLVING:
        return true;
    case ST_DOWN:
        if (r->ac || uv_now(r->w->loop) < r->retry_at)
            return false;
        connect_now(r); /* the back-off is over */
        return r->state != ST_DOWN;
    case ST_IDLE:
        connect_now(r);
        return r->state != ST_DOWN;
    }
    return false;
}

/* ---- synchronous counting ------------------------------------------------------------ */

sl_rl_redis_op_t *sl_rl_redis_incr(sl_rl_redis_t *r, const char *const *keys,
                                   const size_t *klens, const int64_t *ttl_s, size_t n,
                                   sl_rl_redis_incr_cb cb, void *arg)
{
    sl_rl_redis_op_t *op = sl_xcalloc(1, sizeof(*op));
    pending_t *p = &op->p;
    p->kind = P_INCR;
    p->n = n;
    p->cb = cb;
    p->arg = arg;
    for (size_t i = 0; i < n; i++) {
        p->keys[i] = sl_xmalloc(klens[i] + 1);
        memcpy(p->keys[i], keys[i], klens[i]);
        p->keys[i][klens[i]] = '\0';
        p->klens[i] = klens[i];
        p->ttl[i] = ttl_s[i];
    }
    enqueue(r, p);
    return op;
}

void sl_rl_redis_cancel(sl_rl_redis_op_t *op)
{
    op->p.cb = NULL; /* freed when its answers arrive or the connection fails */
}

/* ---- batched sync -------------------------------------------------------------------- */

static void on_sync_tick(uv_timer_t *t)
{
    sl_rl_redis_t *r = t->data;
    int64_t now_s = (int64_t)time(NULL);
    if (r->n_counts == 0 && r->sync_ms < 0) {
        uv_timer_stop(&r->sync_timer);
        r->sync_running = false;
        return;
    }
    if (r->flushing || r->n_counts == 0 || !sl_rl_redis_available(r))
        return;
    pending_t *p = sl_xcalloc(1, sizeof(*p));
    p->kind = P_FLUSH;
    size_t cap = r->n_counts;
    p->fkeys = sl_xcalloc(cap, sizeof(*p->fkeys));
    p->fklens = sl_xcalloc(cap, sizeof(*p->fklens));
    p->fsent = sl_xcalloc(cap, sizeof(*p->fsent));
    p->ftotal = sl_xcalloc(cap, sizeof(*p->ftotal));
    p->fttl = sl_xcalloc(cap, sizeof(*p->fttl));
    for (size_t b = 0; b < COUNT_BUCKETS; b++) {
        count_t **pp = &r->counts[b];
        while (*pp) {
            count_t *c = *pp;
            if (c->expire_s <= now_s && c->inflight == 0) {
                *pp = c->next;
                free(c);
                r->n_counts--;
                continue;
            }
            /* synchronous mode only sends what it counted while Redis was away; batched
             * mode also refreshes the totals other nodes made */
            if ((c->delta > 0 || r->sync_ms > 0) && p->n < cap) {
                p->fkeys[p->n] = sl_xmalloc(c->klen + 1);
                memcpy(p->fkeys[p->n], c->key, c->klen);
                p->fkeys[p->n][c->klen] = '\0';
                p->fklens[p->n] = c->klen;
                p->fsent[p->n] = c->delta;
                c->inflight += c->delta;
                c->delta = 0;
                p->fttl[p->n] = c->ttl_s;
                p->n++;
            }
            pp = &c->next;
        }
    }
    if (p->n == 0) {
        pending_free(p);
        return;
    }
    r->flushing = true;
    enqueue(r, p);
}

static void start_sync_timer(sl_rl_redis_t *r)
{
    if (r->sync_running)
        return;
    r->sync_running = true;
    uint64_t every = r->sync_ms > 0 ? (uint64_t)r->sync_ms : 1000;
    uv_timer_start(&r->sync_timer, on_sync_tick, every, every);
}

/* ---- the set ------------------------------------------------------------------------- */

sl_rl_redis_set_t *sl_rl_redis_set_new(sl_worker_t *w)
{
    sl_rl_redis_set_t *set = sl_xcalloc(1, sizeof(*set));
    set->w = w;
    return set;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

sl_rl_redis_t *sl_rl_redis_get(sl_rl_redis_set_t *set, const sl_rl_redis_conf_t *rc)
{
    for (sl_rl_redis_t *r = set->list; r; r = r->next)
        if (strcmp(r->id, rc->id) == 0)
            return r;
    sl_rl_redis_t *r = sl_xcalloc(1, sizeof(*r));
    r->set = set;
    r->w = set->w;
    r->id = strdup(rc->id);
    r->host = strdup(rc->host);
    r->username = dup_or_null(rc->username);
    r->password = dup_or_null(rc->password);
    r->port = rc->port;
    r->database = rc->database;
    r->timeout_ms = rc->timeout_ms > 0 ? rc->timeout_ms : 1;
    /* the sync interval is part of the id: "...;<sync_ms>" */
    const char *semi = strrchr(rc->id, ';');
    r->sync_ms = semi ? strtoll(semi + 1, NULL, 10) : -1;
    uv_timer_init(set->w->loop, &r->timeout_timer);
    r->timeout_timer.data = r;
    uv_timer_init(set->w->loop, &r->sync_timer);
    r->sync_timer.data = r;
    if (r->sync_ms > 0)
        start_sync_timer(r);
    r->next = set->list;
    set->list = r;
    return r;
}

static void on_handle_closed(uv_handle_t *h)
{
    sl_rl_redis_t *r = h->data;
    if (--r->closing > 0)
        return;
    for (size_t b = 0; b < COUNT_BUCKETS; b++) {
        while (r->counts[b]) {
            count_t *c = r->counts[b];
            r->counts[b] = c->next;
            free(c);
        }
    }
    free(r->id);
    free(r->host);
    free(r->username);
    free(r->password);
    free(r);
}

void sl_rl_redis_set_free(sl_rl_redis_set_t *set)
{
    sl_rl_redis_t *r = set->list;
    while (r) {
        sl_rl_redis_t *next = r->next;
        if (r->dns)
            sl_dns_cancel(r->dns);
        r->dns = NULL;
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        r->state = ST_DOWN;
        if (ac) {
            ac->data = NULL;
            redisAsyncFree(ac); /* pending callbacks get NULL replies */
        }
        while (r->head) { /* never sent */
            pending_t *p = r->head;
            r->head = p->next;
            if (p->kind == P_INCR && p->cb)
                p->cb(p->arg, false, p->vals, p->n);
            pending_free(p);
        }
        r->tail = NULL;
        r->closing = 2;
        uv_close((uv_handle_t *)&r->timeout_timer, on_handle_closed);
        uv_close((uv_handle_t *)&r->sync_timer, on_handle_closed);
        r = next;
    }
    free(set);
}
