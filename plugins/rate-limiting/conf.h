/*
 * rate-limiting's configuration (kong/plugins/rate-limiting/schema.lua, DB-less): the limits
 * per window, what requests are counted by, where the counters live, and sluice's
 * token-bucket mode. Parsed and validated at load; read-only afterwards.
 */
#ifndef SL_PLUGINS_RATE_LIMITING_CONF_H
#define SL_PLUGINS_RATE_LIMITING_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "config/diag.h"
#include "config/node.h"
#include "core/arena.h"

typedef enum {
    SL_RL_SECOND = 0,
    SL_RL_MINUTE,
    SL_RL_HOUR,
    SL_RL_DAY,
    SL_RL_MONTH,
    SL_RL_YEAR,
    SL_RL_N_PERIODS
} sl_rl_period_t;

typedef enum {
    SL_RL_BY_CONSUMER = 0,
    SL_RL_BY_CREDENTIAL,
    SL_RL_BY_IP,
    SL_RL_BY_SERVICE,
    SL_RL_BY_HEADER,
    SL_RL_BY_PATH,
} sl_rl_limit_by_t;

typedef enum { SL_RL_LOCAL = 0, SL_RL_REDIS } sl_rl_policy_t;
typedef enum { SL_RL_FIXED_WINDOW = 0, SL_RL_TOKEN_BUCKET } sl_rl_algorithm_t;

typedef struct sl_rl_redis_conf {
    const char *host;
    int port;                    /* 6379 */
    int timeout_ms;              /* 2000: connect and each command */
    const char *username, *password; /* NULL when unset */
    int database;                /* 0 */
    const char *id;              /* "host:port;db;user;sync_ms": one connection per worker each */
} sl_rl_redis_conf_t;

typedef struct sl_rl_conf {
    int64_t limit[SL_RL_N_PERIODS]; /* 0: no limit for that window */
    sl_rl_limit_by_t limit_by;
    const char *header_name;     /* limit_by header */
    const char *path;            /* limit_by path */
    sl_rl_policy_t policy;
    bool fault_tolerant;
    bool hide_client_headers;
    int error_code;              /* 429 */
    const char *error_message;   /* "API rate limit exceeded" */
    int64_t sync_ms;             /* sync_rate in ms; -1: every request asks Redis */
    sl_rl_redis_conf_t redis;

    /* token-bucket mode (beyond Kong): <rate> tokens per second from the one configured
     * window, a bucket of burst + 1 (nginx limit_req burst=N nodelay) */
    sl_rl_algorithm_t algorithm;
    int64_t burst;
    sl_rl_period_t bucket_period; /* the window that gives the rate */

    /* the plugin entity's own scope, set when a snapshot is compiled: counters of one
     * instance are shared by every route it applies to (Kong's counter keys) */
    const char *route_id, *service_id;
} sl_rl_conf_t;

/* Parses <config> (NULL: all defaults, which fails: a limit is required). */
sl_rl_conf_t *sl_rl_conf_parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag);

/* "second", "minute", ... */
extern const char *const sl_rl_period_names[SL_RL_N_PERIODS];

#endif
