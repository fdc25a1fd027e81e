/*
 * rate-limiting (Kong's plugin, priority 910): counts requests per identifier in fixed
 * calendar windows and refuses those over a limit with Kong's 429 and headers
 * (kong/plugins/rate-limiting/handler.lua, policies/init.lua). Beyond Kong, a token-bucket
 * mode with nginx's limit_req burst semantics.
 *
 * Where counts live:
 * - local: the node-wide table of counters.h, checked and incremented atomically, so the
 *   limit is exact on a node whatever the number of workers;
 * - redis, sync_rate -1: every request increments its counters in Redis and waits for the
 *   answer (SL_AGAIN; exact across nodes, like Kong);
 * - redis, sync_rate > 0: the worker counts locally and syncs in batches (redis.h), no
 *   request waits on Redis.
 * When Redis cannot answer (down, or slower than redis.timeout): with fault_tolerant the
 * request is counted locally instead (node-wide, and sent to Redis when it is back); without,
 * Kong's 500.
 */
#include <stdio.h>
#include <string.h>

#include "config/model.h"
#include "counters.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "redis.h"
#include "window.h"

const sl_plugin_desc_t sl_plugin_rate_limiting;

#define EMPTY_UUID "00000000-0000-0000-0000-000000000000"

/* One request's counters: the configured windows and their keys. */
typedef struct check {
    sl_req_t *req;
    const sl_rl_conf_t *conf;
    int64_t now_ms;
    size_t n;
    sl_rl_period_t period[SL_RL_N_PERIODS];
    int64_t start_ms[SL_RL_N_PERIODS];
    int64_t ttl_s[SL_RL_N_PERIODS];
    const char *key[SL_RL_N_PERIODS];
    size_t klen[SL_RL_N_PERIODS];
    sl_rl_counter_t counters[SL_RL_N_PERIODS];
    sl_rl_redis_op_t *op;
} check_t;

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    return sl_rl_conf_parse(config, arena, diag);
}

/* Counter keys carry the plugin entity's own scope (Kong's route_id/service_id). */
static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    (void)arena;
    (void)diag;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const sl_plugin_instance_t *pi = cfg->plugins[i];
        if (pi->desc != &sl_plugin_rate_limiting || pi->conf == NULL)
            continue;
        sl_rl_conf_t *c = pi->conf;
        c->route_id = pi->route ? pi->route->id : EMPTY_UUID;
        c->service_id = pi->service ? pi->service->id : EMPTY_UUID;
    }
    return NULL;
}

static void *worker_init(sl_worker_t *w)
{
    return sl_rl_redis_set_new(w);
}

static void worker_fini(sl_worker_t *w, void *state)
{
    (void)w;
    sl_rl_redis_set_free(state);
}

/* kong.client.get_forwarded_ip: the socket peer, or the address trusted proxies forwarded */
static sl_slice_t client_ip(sl_req_t *req)
{
    const char *ip = sl_req_client_ip(req);
    return sl_slice(ip, strlen(ip));
}

/* What requests are counted by (Kong's get_identifier); the client address when the
 * configured source has nothing. */
static sl_slice_t identifier(sl_req_t *req, const sl_rl_conf_t *c)
{
    const char *id = NULL;
    switch (c->limit_by) {
    case SL_RL_BY_CONSUMER:
        id = req->consumer ? req->consumer->id : req->credential_id;
        break;
    case SL_RL_BY_CREDENTIAL:
        id = req->credential_id;
        break;
    case SL_RL_BY_SERVICE:
        id = req->route && req->route->service ? req->route->service->id : NULL;
        break;
    case SL_RL_BY_HEADER: {
        sl_slice_t v = sl_req_header(req, c->header_name);
        if (v.p)
            return v;
        break;
    }
    case SL_RL_BY_PATH:
        if (strcmp(req->norm_path, c->path) == 0)
            return sl_slice(c->path, strlen(c->path));
        break;
    case SL_RL_BY_IP:
        break;
    }
    return id ? sl_slice(id, strlen(id)) : client_ip(req);
}

static const char *const limit_headers[SL_RL_N_PERIODS] = {
    "X-RateLimit-Limit-Second", "X-RateLimit-Limit-Minute", "X-RateLimit-Limit-Hour",
    "X-RateLimit-Limit-Day",    "X-RateLimit-Limit-Month",  "X-RateLimit-Limit-Year"};
static const char *const remaining_headers[SL_RL_N_PERIODS] = {
    "X-RateLimit-Remaining-Second", "X-RateLimit-Remaining-Minute",
    "X-RateLimit-Remaining-Hour",   "X-RateLimit-Remaining-Day",
    "X-RateLimit-Remaining-Month",  "X-RateLimit-Remaining-Year"};

static void add_header_i64(sl_req_t *req, const char *name, int64_t v)
{
    char buf[24], *p = buf + sizeof(buf);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    sl_pdk_add_response_header(req, name, sl_slice(p, (size_t)(buf + sizeof(buf) - p)));
}

/* Headers and the verdict from the counts each window had before this request (Kong's
 * access handler). <stop>: the window at its limit, or -1. */
static sl_phase_result_t finish(check_t *ck, int stop)
{
    sl_req_t *req = ck->req;
    const sl_rl_conf_t *c = ck->conf;
    int64_t reset = -1;
    if (!c->hide_client_headers) {
        int64_t best_limit = 0, best_remaining = 0, best_window = 0;
        bool have = false;
        for (size_t i = 0; i < ck->n; i++) {
            sl_rl_period_t p = ck->period[i];
            int64_t limit = c->limit[p];
            int64_t remaining = limit - ck->counters[i].usage;
            if (stop < 0 || stop == (int)i)
                remaining--;
            if (remaining < 0)
                remaining = 0;
            int64_t window = sl_rl_window_seconds[p];
            if (!have || remaining < best_remaining ||
                (remaining == best_remaining && window > best_window)) {
                have = true;
                best_limit = limit;
                best_remaining = remaining;
                best_window = window;
                reset = sl_rl_window_reset(p, ck->start_ms[i], ck->now_ms);
            }
            add_header_i64(req, limit_headers[p], limit);
            add_header_i64(req, remaining_headers[p], remaining);
        }
        add_header_i64(req, "RateLimit-Limit", best_limit);
        add_header_i64(req, "RateLimit-Remaining", best_remaining);
        add_header_i64(req, "RateLimit-Reset", reset);
    }
    if (stop < 0)
        return SL_CONTINUE;
    if (reset > 0)
        add_header_i64(req, "Retry-After", reset);
    sl_pdk_error(req, c->error_code, c->error_message);
    return SL_RESPONDED;
}

/* "<prefix><key>" in <arena>; *<len> is the key's length in and the result's out. */
static char *prefixed(sl_arena_t *arena, const char *prefix, const char *key, size_t *len)
{
    size_t pl = strlen(prefix);
    char *k = sl_arena_alloc(arena, pl + *len + 1);
    memcpy(k, prefix, pl);
    memcpy(k + pl, key, *len + 1);
    *len += pl;
    return k;
}

/* Counts on this node: the local policy, and Redis' stand-in while it cannot answer. */
static sl_phase_result_t count_locally(check_t *ck, bool for_redis)
{
    if (for_redis) {
        /* separate from the local policy's counters of the same scope */
        for (size_t i = 0; i < ck->n; i++) {
            size_t n = ck->klen[i];
            ck->counters[i].key = prefixed(ck->req->arena, "redis-fallback:", ck->key[i], &n);
            ck->counters[i].klen = n;
        }
    }
    int stop = sl_rl_counters_take(ck->counters, ck->n, ck->now_ms / 1000);
    return finish(ck, stop);
}

static sl_phase_result_t redis_unavailable(check_t *ck, sl_rl_redis_t *r)
{
    if (!ck->conf->fault_tolerant)
        return SL_ERROR; /* Kong: error(err), a 500 */
    sl_phase_result_t res = count_locally(ck, true);
    if (res == SL_CONTINUE) /* sent to Redis once it is back */
        for (size_t i = 0; i < ck->n; i++)
            sl_rl_redis_add(r, ck->key[i], ck->klen[i], ck->counters[i].expire_s,
                            ck->ttl_s[i], 1);
    return res;
}

static void on_redis_counts(void *arg, bool ok, const int64_t *before, size_t n)
{
    check_t *ck = arg;
    sl_req_t *req = ck->req;
    ck->op = NULL;
    sl_phase_result_t res;
    if (!ok) {
        sl_rl_redis_set_t *set = sl_plugin_worker_state(req->w, &sl_plugin_rate_limiting);
        res = redis_unavailable(ck, sl_rl_redis_get(set, &ck->conf->redis));
    } else {
        int stop = -1;
        for (size_t i = 0; i < n; i++) {
            ck->counters[i].usage = before[i];
            if (stop < 0 && before[i] >= ck->counters[i].limit)
                stop = (int)i;
        }
        res = finish(ck, stop);
    }
    sl_pdk_resume(req, res);
}

static void cancel_redis(sl_req_t *req, void *arg)
{
    (void)req;
    check_t *ck = arg;
    if (ck->op)
        sl_rl_redis_cancel(ck->op);
    ck->op = NULL;
}

static sl_phase_result_t token_bucket(check_t *ck, sl_slice_t id)
{
    sl_req_t *req = ck->req;
    const sl_rl_conf_t *c = ck->conf;
    sl_rl_period_t p = c->bucket_period;
    double per_ms = (double)c->limit[p] / ((double)sl_rl_window_seconds[p] * 1000.0);
    double capacity = (double)c->burst + 1.0;
    /* the bucket's key: Kong's layout, start 0, in a namespace of its own */
    size_t klen;
    char *key = sl_rl_window_key(req->arena, c->route_id, c->service_id, id, 0, p, &klen);
    key = prefixed(req->arena, "bucket:", key, &klen);
    double left;
    int64_t retry_ms;
    bool ok = sl_rl_counters_bucket(key, klen, per_ms, capacity, ck->now_ms, &left, &retry_ms);
    int64_t retry_s = (retry_ms + 999) / 1000;
    if (!c->hide_client_headers) {
        add_header_i64(req, limit_headers[p], c->limit[p]);
        add_header_i64(req, remaining_headers[p], (int64_t)left);
        add_header_i64(req, "RateLimit-Limit", (int64_t)capacity);
        add_header_i64(req, "RateLimit-Remaining", (int64_t)left);
        /* seconds until the bucket is full again */
        int64_t full_s = (int64_t)((capacity - left) / per_ms / 1000.0 + 0.999);
        add_header_i64(req, "RateLimit-Reset", full_s < 1 ? 1 : full_s);
    }
    if (ok)
        return SL_CONTINUE;
    add_header_i64(req, "Retry-After", retry_s < 1 ? 1 : retry_s);
    sl_pdk_error(req, c->error_code, c->error_message);
    return SL_RESPONDED;
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const sl_rl_conf_t *c = conf;
    check_t *ck = sl_arena_calloc(req->arena, 1, sizeof(*ck));
    ck->req = req;
    ck->conf = c;
    ck->now_ms = sl_rl_now_ms();
    sl_slice_t id = identifier(req, c);
    if (c->algorithm == SL_RL_TOKEN_BUCKET)
        return token_bucket(ck, id);

    for (int p = 0; p < SL_RL_N_PERIODS; p++) {
        if (c->limit[p] == 0)
            continue;
        size_t i = ck->n++;
        ck->period[i] = (sl_rl_period_t)p;
        ck->start_ms[i] = sl_rl_window_start((sl_rl_period_t)p, ck->now_ms);
        ck->ttl_s[i] = sl_rl_window_seconds[p];
        char *k = sl_rl_window_key(req->arena, c->route_id, c->service_id, id, ck->start_ms[i],
                                   (sl_rl_period_t)p, &ck->klen[i]);
        ck->key[i] = k;
        ck->counters[i] = (sl_rl_counter_t){
            .key = k,
            .klen = ck->klen[i],
            .limit = c->limit[p],
            .expire_s = ck->start_ms[i] / 1000 + sl_rl_window_seconds[p],
        };
    }
    if (c->policy == SL_RL_LOCAL)
        return count_locally(ck, false);

    sl_rl_redis_set_t *set = sl_plugin_worker_state(req->w, &sl_plugin_rate_limiting);
    sl_rl_redis_t *r = sl_rl_redis_get(set, &c->redis);
    if (c->sync_ms > 0) {
        /* batched: this worker's view, synced in the background */
        if (!c->fault_tolerant && !sl_rl_redis_available(r))
            return SL_ERROR;
        int stop = sl_rl_redis_take(r, ck->counters, ck->ttl_s, ck->n, ck->now_ms / 1000);
        return finish(ck, stop);
    }
    if (!sl_rl_redis_available(r))
        return redis_unavailable(ck, r);
    ck->op = sl_rl_redis_incr(r, ck->key, ck->klen, ck->ttl_s, ck->n, on_redis_counts, ck);
    sl_pdk_wait(req, cancel_redis, ck);
    return SL_AGAIN;
}

const sl_plugin_desc_t sl_plugin_rate_limiting = {
    .name = "rate-limiting",
    .priority = 910,
    .version = SLUICE_VERSION,
    .parse = parse,
    .configure = configure,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .access = on_access,
};
