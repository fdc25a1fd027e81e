/* rate-limiting configuration parsing (see conf.h). */
#include "conf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plugin/conf.h"

const char *const sl_rl_period_names[SL_RL_N_PERIODS] = {"second", "minute", "hour",
                                                          "day",    "month",  "year"};

static const char *const limit_by_names[] = {"consumer", "credential", "ip",  "service",
                                             "header",   "path",       NULL};

typedef struct parse_ctx {
    sl_arena_t *arena;
    sl_diag_t *diag;
    sl_rl_conf_t *c;
    const sl_node_t *policy_node, *sync_node, *algorithm_node, *burst_node;
    const sl_node_t *limit_node[SL_RL_N_PERIODS];
    bool has_host;
} parse_ctx_t;

/* One field of the redis settings, from the 3.x `redis:` record (<name>) or the 2.x flat
 * redis_<name> alias. Returns false for a name that is not one. */
/* The fields of config.redis and of config, in the order of rate-limiting/schema.lua
 * (unknown-field suggestions; algorithm and burst are sluice's). */
static const char *const redis_fields[] = {
    "host", "port", "timeout", "username", "password", "database", "ssl", "ssl_verify",
    "server_name", NULL,
};
static const char *const fields[] = {
    "second", "minute", "hour", "day", "month", "year", "limit_by", "header_name", "path",
    "policy", "fault_tolerant", "redis", "hide_client_headers", "error_code", "error_message",
    "sync_rate", "algorithm", "burst", NULL,
};

static bool redis_field(parse_ctx_t *p, const char *name, const sl_node_t *k, const sl_node_t *v)
{
    sl_rl_redis_conf_t *r = &p->c->redis;
    int64_t n;
    bool b;
    if (strcmp(name, "host") == 0) {
        r->host = sl_pconf_string(p->diag, p->arena, v);
        p->has_host = r->host != NULL;
    } else if (strcmp(name, "port") == 0) {
        if (sl_pconf_int(p->diag, v, 0, 65535, &n))
            r->port = (int)n;
    } else if (strcmp(name, "timeout") == 0) {
        if (sl_pconf_int(p->diag, v, 0, 2147483646, &n))
            r->timeout_ms = (int)n;
    } else if (strcmp(name, "username") == 0) {
        r->username = sl_pconf_string(p->diag, p->arena, v);
    } else if (strcmp(name, "password") == 0) {
        r->password = sl_pconf_string(p->diag, p->arena, v);
    } else if (strcmp(name, "database") == 0) {
        if (sl_pconf_int(p->diag, v, 0, 1 << 20, &n))
            r->database = (int)n;
    } else if (strcmp(name, "ssl") == 0 || strcmp(name, "ssl_verify") == 0) {
        b = false;
        sl_pconf_bool(p->diag, v, &b);
        if (b)
            sl_diag_add_node(p->diag, v, "TLS to Redis is not supported by sluice yet");
    } else if (strcmp(name, "server_name") == 0) {
        (void)sl_pconf_string(p->diag, p->arena, v); /* only meaningful with ssl, which is refused above */
    } else {
        (void)k;
        return false;
    }
    return true;
}

static void parse_field(parse_ctx_t *p, const char *key, const sl_node_t *k, const sl_node_t *v)
{
    sl_rl_conf_t *c = p->c;
    for (int i = 0; i < SL_RL_N_PERIODS; i++) {
        if (strcmp(key, sl_rl_period_names[i]) == 0) {
            double d;
            if (sl_node_number(v, &d) != 0 || v->kind != SL_NODE_SCALAR) {
                sl_diag_add_node(p->diag, v, "expected a number");
            } else if (!(d > 0)) {
                sl_diag_add_node(p->diag, v, "value must be greater than 0");
            } else if (d > 1e15) {
                sl_diag_add_node(p->diag, v, "value is too large");
            } else {
                /* a fractional limit admits as many whole requests as Kong's comparison
                 * (usage < limit) lets through */
                c->limit[i] = (int64_t)ceil(d);
                p->limit_node[i] = v;
            }
            return;
        }
    }
    int64_t n;
    if (strcmp(key, "limit_by") == 0) {
        int i = sl_pconf_one_of(p->diag, v, limit_by_names);
        if (i >= 0)
            c->limit_by = (sl_rl_limit_by_t)i;
    } else if (strcmp(key, "header_name") == 0) {
        c->header_name = sl_pconf_string(p->diag, p->arena, v);
    } else if (strcmp(key, "path") == 0) {
        c->path = sl_pconf_string(p->diag, p->arena, v);
        if (c->path && c->path[0] != '/')
            sl_diag_add_node(p->diag, v, "should start with: /");
    } else if (strcmp(key, "policy") == 0) {
        /* Kong's DB-less schema offers only these two (cluster needs a database) */
        static const char *const names[] = {"local", "redis", NULL};
        static const sl_rl_policy_t policies[] = {SL_RL_LOCAL, SL_RL_REDIS};
        p->policy_node = v;
        int i = sl_pconf_one_of(p->diag, v, names);
        if (i >= 0)
            c->policy = policies[i];
    } else if (strcmp(key, "fault_tolerant") == 0) {
        sl_pconf_bool(p->diag, v, &c->fault_tolerant);
    } else if (strcmp(key, "hide_client_headers") == 0) {
        sl_pconf_bool(p->diag, v, &c->hide_client_headers);
    } else if (strcmp(key, "error_code") == 0) {
        if (sl_pconf_int(p->diag, v, 1, 999, &n)) {
            if (n < 100 || n > 599)
                sl_diag_add_node(p->diag, v, "value should be between 100 and 599");
            else
                c->error_code = (int)n;
        }
    } else if (strcmp(key, "error_message") == 0) {
        c->error_message = sl_pconf_string(p->diag, p->arena, v);
    } else if (strcmp(key, "sync_rate") == 0) {
        double d;
        p->sync_node = v;
        if (sl_node_number(v, &d) != 0 || v->kind != SL_NODE_SCALAR)
            sl_diag_add_node(p->diag, v, "expected a number");
        else if (d == -1)
            c->sync_ms = -1;
        else if (d < 0.02 || d > 86400)
            sl_diag_add_node(p->diag, v, "sync_rate must be greater than 0.02, or -1 to disable");
        else
            c->sync_ms = (int64_t)llround(d * 1000);
    } else if (strcmp(key, "redis") == 0) {
        if (v->kind != SL_NODE_MAP) {
            sl_diag_add_node(p->diag, v, "expected a record");
            return;
        }
        for (size_t i = 0; i < v->n; i++) {
            const sl_node_t *rk = v->pairs[i].key, *rv = v->pairs[i].value;
            const char *name = rk->kind == SL_NODE_SCALAR && rk->str ? rk->str : "";
            if (sl_node_is_null(rv))
                continue;
            if (!redis_field(p, name, rk, rv))
                sl_pconf_unknown(p->diag, rk, redis_fields);
        }
    } else if (strncmp(key, "redis_", 6) == 0 && redis_field(p, key + 6, k, v)) {
        /* the 2.x flat names, still accepted by 3.x as aliases of redis.* */
    } else if (strcmp(key, "algorithm") == 0) {
        static const char *const names[] = {"fixed-window", "token-bucket", NULL};
        static const sl_rl_algorithm_t algorithms[] = {SL_RL_FIXED_WINDOW, SL_RL_TOKEN_BUCKET};
        p->algorithm_node = v;
        int i = sl_pconf_one_of(p->diag, v, names);
        if (i >= 0)
            c->algorithm = algorithms[i];
    } else if (strcmp(key, "burst") == 0) {
        p->burst_node = v;
        if (sl_pconf_int(p->diag, v, 0, 1000000000, &n))
            c->burst = n;
    } else {
        sl_pconf_unknown(p->diag, k, fields);
    }
}

sl_rl_conf_t *sl_rl_conf_parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    sl_rl_conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    c->limit_by = SL_RL_BY_CONSUMER;
    c->policy = SL_RL_LOCAL;
    c->fault_tolerant = true;
    c->error_code = 429;
    c->error_message = "API rate limit exceeded";
    c->sync_ms = -1;
    c->redis.port = 6379;
    c->redis.timeout_ms = 2000;
    parse_ctx_t p = {.arena = arena, .diag = diag, .c = c};
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue; /* an explicit null keeps the default */
        parse_field(&p, key, k, v);
    }
    if (diag->n + diag->dropped != errors)
        return NULL;

    /* the schema's checks across fields, in Kong's words */
    int n_limits = 0;
    for (int i = 0; i < SL_RL_N_PERIODS; i++)
        n_limits += c->limit[i] > 0;
    if (n_limits == 0)
        sl_diag_add_node(diag, config,
                         "at least one of these fields must be non-empty: 'config.second', "
                         "'config.minute', 'config.hour', 'config.day', 'config.month', "
                         "'config.year'");
    for (int i = 0; i < SL_RL_N_PERIODS; i++) {
        for (int j = i + 1; c->limit[i] && j < SL_RL_N_PERIODS; j++) {
            if (c->limit[j] && c->limit[j] < c->limit[i]) {
                const sl_node_t *at = p.limit_node[j];
                sl_diag_add_node(
                    diag, at, "The limit for %s(%.1f) cannot be lower than the limit for %s(%.1f)",
                    sl_rl_period_names[j], (double)c->limit[j], sl_rl_period_names[i],
                    (double)c->limit[i]);
            }
        }
    }
    if (c->limit_by == SL_RL_BY_HEADER && c->header_name == NULL)
        sl_diag_add_node(diag, config, "config.header_name: required field missing");
    if (c->limit_by == SL_RL_BY_PATH && c->path == NULL)
        sl_diag_add_node(diag, config, "config.path: required field missing");
    if (c->policy != SL_RL_REDIS && c->sync_ms != -1)
        sl_diag_add_node(diag, p.sync_node, "sync_rate can only be used with the redis policy");
    if (c->policy == SL_RL_REDIS && !p.has_host)
        sl_diag_add_node(diag, p.policy_node, "config.redis.host: required field missing");
    if (c->algorithm == SL_RL_TOKEN_BUCKET) {
        if (n_limits != 1)
            sl_diag_add_node(diag, p.algorithm_node,
                             "token-bucket takes its rate from exactly one of second, minute, "
                             "hour, day, month, year");
        if (c->policy != SL_RL_LOCAL)
            sl_diag_add_node(diag, p.algorithm_node,
                             "token-bucket works with the local policy only");
        for (int i = 0; i < SL_RL_N_PERIODS; i++)
            if (c->limit[i])
                c->bucket_period = (sl_rl_period_t)i;
    } else if (p.burst_node) {
        sl_diag_add_node(diag, p.burst_node, "burst needs algorithm: token-bucket");
    }
    if (c->policy == SL_RL_REDIS && c->redis.host)
        c->redis.id = sl_arena_printf(arena, "%s:%d;%d;%s;%lld", c->redis.host, c->redis.port,
                                      c->redis.database,
                                      c->redis.username ? c->redis.username : "",
                                      (long long)c->sync_ms);
    return diag->n + diag->dropped == errors ? c : NULL;
}
