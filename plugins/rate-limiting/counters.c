/* Node-wide rate-limit counters: a sharded chained hash table (see counters.h). */
#include "counters.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xalloc.h"

#define N_SHARDS 64

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    int64_t expire_s;   /* fixed windows: end of the window; buckets: when it is full again */
    int64_t value;      /* fixed windows: the count */
    double tokens;      /* buckets: tokens at <stamp_ms> */
    int64_t stamp_ms;
    size_t klen;
    char key[];
} entry_t;

typedef struct shard {
    pthread_mutex_t mu;
    entry_t **buckets;
    size_t n_buckets;   /* a power of two */
    size_t n;
    size_t sweep;       /* next bucket the incremental sweep looks at */
    char pad[64];
} shard_t;

static shard_t shards[N_SHARDS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_shards(void)
{
    for (size_t i = 0; i < N_SHARDS; i++) {
        pthread_mutex_init(&shards[i].mu, NULL);
        shards[i].n_buckets = 64;
        shards[i].buckets = sl_xcalloc(64, sizeof(entry_t *));
    }
}

static shard_t *shard_of(uint64_t h)
{
    return &shards[h >> 58];
}

/* Drops the expired entries of one chain. Shard lock held. */
static void sweep_chain(shard_t *s, entry_t **pp, int64_t now_s)
{
    while (*pp) {
        entry_t *e = *pp;
        if (e->expire_s <= now_s) {
            *pp = e->next;
            free(e);
            s->n--;
        } else {
            pp = &e->next;
        }
    }
}

static void grow(shard_t *s)
{
    size_t nb = s->n_buckets * 2;
    entry_t **b = sl_xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < s->n_buckets; i++) {
        entry_t *e = s->buckets[i];
        while (e) {
            entry_t *next = e->next;
            size_t j = e->hash & (nb - 1);
            e->next = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->n_buckets = nb;
    s->sweep = 0;
}

/* Finds or creates the entry of <key>. Shard lock held. */
static entry_t *lookup(shard_t *s, uint64_t h, const char *key, size_t klen, int64_t now_s,
                       int64_t expire_s)
{
    entry_t **head = &s->buckets[h & (s->n_buckets - 1)];
    sweep_chain(s, head, now_s);
    for (entry_t *e = *head; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return e;
    /* a new key: sweep two more chains so expired windows never pile up */
    for (int i = 0; i < 2; i++) {
        sweep_chain(s, &s->buckets[s->sweep], now_s);
        s->sweep = (s->sweep + 1) & (s->n_buckets - 1);
    }
    if (s->n >= s->n_buckets)
        grow(s);
    head = &s->buckets[h & (s->n_buckets - 1)];
    entry_t *e = sl_xmalloc(sizeof(*e) + klen);
    memset(e, 0, sizeof(*e));
    e->hash = h;
    e->klen = klen;
    e->expire_s = expire_s;
    memcpy(e->key, key, klen);
    e->next = *head;
    *head = e;
    s->n++;
    return e;
}

int sl_rl_counters_take(sl_rl_counter_t *cs, size_t n, int64_t now_s)
{
    pthread_once(&once, init_shards);
    uint64_t h[8];
    shard_t *locked[8];
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        h[i] = sl_hash_bytes(cs[i].key, cs[i].klen);
        locked[nl++] = shard_of(h[i]);
    }
    /* lock each shard once, in address order, so two requests never wait on each other
     * (insertion sort: at most six) */
    for (size_t i = 1; i < nl; i++)
        for (size_t j = i; j > 0 && (uintptr_t)locked[j - 1] > (uintptr_t)locked[j]; j--) {
            shard_t *t = locked[j];
            locked[j] = locked[j - 1];
            locked[j - 1] = t;
        }
    size_t u = 0;
    for (size_t i = 0; i < nl; i++)
        if (u == 0 || locked[u - 1] != locked[i])
            locked[u++] = locked[i];
    for (size_t i = 0; i < u; i++)
        pthread_mutex_lock(&locked[i]->mu);

    entry_t *e[8];
    int stop = -1;
    for (size_t i = 0; i < n; i++) {
        e[i] = lookup(shard_of(h[i]), h[i], cs[i].key, cs[i].klen, now_s, cs[i].expire_s);
        cs[i].usage = e[i]->value;
        if (stop < 0 && e[i]->value >= cs[i].limit)
            stop = (int)i;
    }
    if (stop < 0)
        for (size_t i = 0; i < n; i++)
            e[i]->value++;

    for (size_t i = u; i-- > 0;)
        pthread_mutex_unlock(&locked[i]->mu);
    return stop;
}

bool sl_rl_counters_bucket(const char *key, size_t klen, double per_ms, double capacity,
                           int64_t now_ms, double *left, int64_t *retry_ms)
{
    pthread_once(&once, init_shards);
    uint64_t h = sl_hash_bytes(key, klen);
    shard_t *s = shard_of(h);
    int64_t now_s = now_ms / 1000;
    pthread_mutex_lock(&s->mu);
    /* a bucket is forgotten once it would be full again: a new one starts full */
    int64_t full_s = now_s + (int64_t)(capacity / per_ms / 1000) + 2;
    entry_t *e = lookup(s, h, key, klen, now_s, full_s);
    if (e->stamp_ms == 0) {
        e->tokens = capacity;
    } else if (now_ms > e->stamp_ms) {
        e->tokens += (double)(now_ms - e->stamp_ms) * per_ms;
        if (e->tokens > capacity)
            e->tokens = capacity;
    }
    if (now_ms > e->stamp_ms)
        e->stamp_ms = now_ms;
    bool ok = e->tokens >= 1.0;
    if (ok)
        e->tokens -= 1.0;
    e->expire_s = full_s;
    *left = e->tokens;
    *retry_ms = ok ? 0 : (int64_t)((1.0 - e->tokens) / per_ms) + 1;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

size_t sl_rl_counters_size(void)
{
    pthread_once(&once, init_shards);
    size_t n = 0;
    for (size_t i = 0; i < N_SHARDS; i++) {
        pthread_mutex_lock(&shards[i].mu);
        n += shards[i].n;
        pthread_mutex_unlock(&shards[i].mu);
    }
    return n;
}
