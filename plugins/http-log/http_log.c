/*
 * http-log (Kong's plugin, priority 12): sends the log record of every request of its scope
 * to an HTTP endpoint, in batches, from a queue per worker (kong/plugins/http-log/
 * handler.lua and schema.lua, kong/tools/queue_schema.lua). The sending side is sender.c.
 *
 * Refused at load: https endpoints (sluice has no TLS client yet), `custom_fields_by_lua`
 * (no Lua) and `queue.concurrency_limit: -1` (one batch in flight per queue only).
 */
#include <math.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "config/node.h"
#include "core/clock.h"
#include "log/record.h"
#include "plugin/chain.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "plugins/http-log/sender.h"
#include "snapshot/snapshot.h"

typedef struct conf {
    sl_hlq_conf_t q;
} conf_t;

extern const sl_plugin_desc_t sl_plugin_http_log;

/* ---- config ---- */

typedef struct parse_ctx {
    sl_arena_t *arena;
    sl_diag_t *diag;
} parse_ctx_t;

#define ERR(v, ...) sl_diag_add_node(pc->diag, (v), __VA_ARGS__)

/* A number of seconds within [<min>, <max>] as milliseconds (rounded). */
static bool seconds_field(parse_ctx_t *pc, const sl_node_t *v, double min, double max,
                          int64_t *out_ms)
{
    double d;
    if (!sl_pconf_number(pc->diag, v, -HUGE_VAL, HUGE_VAL, &d))
        return false;
    if (d < min || d > max) {
        /* %g, not sl_pconf_number's %.15g: the queue fields have always said 1e+06 */
        ERR(v, "value should be between %g and %g", min, max);
        return false;
    }
    *out_ms = (int64_t)(d * 1000 + 0.5 * (d >= 0 ? 1 : -1));
    return true;
}

/* Milliseconds given as a number (timeout, keepalive). */
static bool ms_field(parse_ctx_t *pc, const sl_node_t *v, uint32_t *out)
{
    double d;
    if (!sl_pconf_number(pc->diag, v, 0, 4294967295.0, &d))
        return false;
    *out = (uint32_t)d;
    return true;
}

typedef struct queue_given {
    bool max_batch_size, max_coalescing_delay;
} queue_given_t;

/* The fields of kong/tools/queue_schema.lua, in its order, for suggestions. */
static const char *const queue_fields[] = {
    "max_batch_size", "max_coalescing_delay", "max_entries", "max_bytes", "max_retry_time",
    "initial_retry_delay", "max_retry_delay", "concurrency_limit", NULL,
};

/* kong/tools/queue_schema.lua */
static void parse_queue(parse_ctx_t *pc, const sl_node_t *map, sl_hlq_conf_t *q,
                        queue_given_t *given)
{
    if (map->kind != SL_NODE_MAP) {
        ERR(map, "expected a record");
        return;
    }
    for (size_t i = 0; i < map->n; i++) {
        const sl_node_t *k = map->pairs[i].key, *v = map->pairs[i].value;
        const char *key = sl_pconf_key(k);
        int64_t n;
        if (sl_node_is_null(v))
            continue;
        if (strcmp(key, "max_batch_size") == 0) {
            if (sl_pconf_int(pc->diag, v, 1, 1000000, &n))
                q->max_batch_size = (uint32_t)n;
            given->max_batch_size = true;
        } else if (strcmp(key, "max_coalescing_delay") == 0) {
            if (seconds_field(pc, v, 0, 3600, &n))
                q->coalescing_ms = (uint32_t)n;
            given->max_coalescing_delay = true;
        } else if (strcmp(key, "max_entries") == 0) {
            if (sl_pconf_int(pc->diag, v, 1, 1000000, &n))
                q->max_entries = (uint32_t)n;
        } else if (strcmp(key, "max_bytes") == 0) {
            if (sl_pconf_int(pc->diag, v, 1, INT64_MAX, &n))
                q->max_bytes = (uint64_t)n;
        } else if (strcmp(key, "max_retry_time") == 0) {
            double d;
            if (sl_pconf_number(pc->diag, v, -HUGE_VAL, HUGE_VAL, &d))
                q->max_retry_time_ms = d > 1e12 ? (int64_t)1e15 : (int64_t)(d * 1000);
        } else if (strcmp(key, "initial_retry_delay") == 0) {
            if (seconds_field(pc, v, 0.001, 1000000, &n))
                q->initial_retry_ms = (uint32_t)n;
        } else if (strcmp(key, "max_retry_delay") == 0) {
            if (seconds_field(pc, v, 0.001, 1000000, &n))
                q->max_retry_delay_ms = (uint32_t)n;
        } else if (strcmp(key, "concurrency_limit") == 0) {
            if (sl_node_int(v, &n) != 0 || (n != 1 && n != -1))
                ERR(v, "expected one of: -1, 1");
            else if (n == -1)
                ERR(v, "concurrency_limit -1 is not supported by sluice (one batch in flight "
                       "per queue)");
        } else {
            sl_pconf_unknown(pc->diag, k, queue_fields);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

typedef struct url {
    const char *userinfo; /* decoded, or NULL */
    size_t userinfo_len;
    const char *host;     /* without brackets */
    bool ipv6;
    uint16_t port;
    const char *path;     /* path and query, "/" at least */
} url_t;

/* http://[userinfo@]host[:port][/path][?query] (socket.url's reading, which Kong uses).
 * Returns NULL or an error message. */
static const char *parse_url(parse_ctx_t *pc, const char *s, url_t *u)
{
    memset(u, 0, sizeof(*u));
    const char *sep = strstr(s, "://");
    if (sep == NULL || sep == s)
        return "missing scheme in url";
    size_t sl = (size_t)(sep - s);
    if (sl == 5 && strncasecmp(s, "https", 5) == 0)
        return "https endpoints are not supported by sluice yet (it has no TLS client)";
    if (!(sl == 4 && strncasecmp(s, "http", 4) == 0))
        return "unsupported scheme in url (http only)";
    const char *a = sep + 3;
    size_t alen = strcspn(a, "/?#");
    const char *rest = a + alen;
    const char *at = NULL;
    for (const char *p = a; p < rest; p++)
        if (*p == '@')
            at = p;
    if (at) {
        char *d = sl_arena_alloc(pc->arena, (size_t)(at - a) + 1);
        size_t w = 0;
        for (const char *p = a; p < at; p++) {
            if (*p == '%' && p + 2 < at && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                d[w++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                p += 2;
            } else {
                d[w++] = *p;
            }
        }
        d[w] = '\0';
        u->userinfo = d;
        u->userinfo_len = w;
        a = at + 1;
    }
    const char *hs = a, *he;
    const char *port = NULL;
    if (*a == '[') {
        hs = a + 1;
        he = memchr(hs, ']', (size_t)(rest - hs));
        if (he == NULL)
            return "could not parse url";
        u->ipv6 = true;
        if (he + 1 < rest) {
            if (he[1] != ':')
                return "could not parse url";
            port = he + 2;
        }
    } else {
        he = memchr(a, ':', (size_t)(rest - a));
        if (he)
            port = he + 1;
        else
            he = rest;
    }
    if (he == hs)
        return "missing host in url";
    u->host = sl_arena_strndup(pc->arena, hs, (size_t)(he - hs));
    if (strpbrk(u->host, " \t\r\n"))
        return "could not parse url";
    u->port = 80;
    if (port && port < rest) {
        unsigned long n = 0;
        for (const char *p = port; p < rest; p++) {
            if (*p < '0' || *p > '9' || (n = n * 10 + (unsigned long)(*p - '0')) > 65535)
                return "invalid port in url";
        }
        if (n == 0)
            return "invalid port in url";
        u->port = (uint16_t)n;
    }
    size_t pl = strcspn(rest, "#");
    if (pl == 0 || rest[0] == '?') {
        u->path = sl_arena_printf(pc->arena, "/%.*s", (int)pl, rest);
    } else {
        u->path = sl_arena_strndup(pc->arena, rest, pl);
    }
    for (const char *p = u->path; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return "could not parse url";
    return NULL;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* The config fields in the order of http-log/schema.lua, for suggestions. */
static const char *const fields[] = {
    "http_endpoint", "method", "content_type", "timeout", "keepalive", "retry_count", "queue_size",
    "flush_timeout", "headers", "queue", "custom_fields_by_lua", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    parse_ctx_t ctx = {arena, diag}, *pc = &ctx;
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    sl_hlq_conf_t *q = &c->q;
    q->timeout_ms = 10000;
    q->keepalive_ms = 60000;
    q->max_batch_size = 1;
    q->coalescing_ms = 1000;
    q->max_entries = 10000;
    q->max_retry_time_ms = 60000;
    q->initial_retry_ms = 10;
    q->max_retry_delay_ms = 60000;
    const char *method = "POST", *content_type = "application/json";
    const sl_node_t *endpoint = NULL, *headers = NULL, *queue = NULL;
    const sl_node_t *queue_size = NULL, *flush_timeout = NULL;
    size_t errors = diag->n + diag->dropped;

    for (size_t i = 0; i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue;
        if (strcmp(key, "http_endpoint") == 0) {
            endpoint = v;
        } else if (strcmp(key, "method") == 0) {
            static const char *const methods[] = {"POST", "PUT", "PATCH", NULL};
            int m = sl_pconf_one_of(diag, v, methods);
            method = m >= 0 ? methods[m] : method;
        } else if (strcmp(key, "content_type") == 0) {
            static const char *const types[] = {"application/json",
                                                "application/json; charset=utf-8", NULL};
            int t = sl_pconf_one_of(diag, v, types);
            content_type = t >= 0 ? types[t] : content_type;
        } else if (strcmp(key, "timeout") == 0) {
            ms_field(pc, v, &q->timeout_ms);
        } else if (strcmp(key, "keepalive") == 0) {
            ms_field(pc, v, &q->keepalive_ms);
        } else if (strcmp(key, "retry_count") == 0) {
            int64_t n; /* deprecated and without effect in Kong 3.x: max_retry_time rules */
            sl_pconf_int(diag, v, INT64_MIN, INT64_MAX, &n);
        } else if (strcmp(key, "queue_size") == 0) {
            queue_size = v;
        } else if (strcmp(key, "flush_timeout") == 0) {
            flush_timeout = v;
        } else if (strcmp(key, "headers") == 0) {
            headers = v;
        } else if (strcmp(key, "queue") == 0) {
            queue = v;
        } else if (strcmp(key, "custom_fields_by_lua") == 0) {
            if (!(v->kind == SL_NODE_MAP && v->n == 0))
                ERR(v, "custom_fields_by_lua is not supported by sluice (it runs no Lua)");
        } else {
            sl_pconf_unknown(pc->diag, k, fields);
        }
    }

    queue_given_t given = {0};
    if (queue)
        parse_queue(pc, queue, q, &given);
    /* the deprecated fields map onto the queue's when it does not set them (Kong 3.3+) */
    int64_t n;
    if (queue_size && sl_pconf_int(pc->diag, queue_size, 1, 1000000, &n) && !given.max_batch_size)
        q->max_batch_size = (uint32_t)n;
    if (flush_timeout && seconds_field(pc, flush_timeout, 0, 3600, &n) &&
        !given.max_coalescing_delay)
        q->coalescing_ms = (uint32_t)n;

    url_t u = {0};
    const char *es;
    if (endpoint == NULL) {
        ERR(config, "http_endpoint: required field missing");
    } else if ((es = sl_node_str(endpoint)) == NULL) {
        ERR(endpoint, "expected a string");
    } else {
        const char *err = parse_url(pc, es, &u);
        if (err)
            ERR(endpoint, "%s", err);
    }

    sl_hbuf_t head;
    sl_hbuf_init(&head, arena, 256);
    if (u.host) {
        sl_hbuf_printf(&head, "%s %s HTTP/1.1\r\nHost: %s%s%s\r\n", method, u.path,
                       u.ipv6 ? "[" : "", u.host, u.ipv6 ? "]" : "");
    }
    if (headers && headers->kind != SL_NODE_MAP) {
        ERR(headers, "expected a map");
    } else if (headers) {
        for (size_t i = 0; i < headers->n; i++) {
            const sl_node_t *k = headers->pairs[i].key, *v = headers->pairs[i].value;
            const char *name = sl_pconf_key(k);
            const char *val = sl_node_str(v);
            if (!sl_pconf_header_name_ok(name, k->kind == SL_NODE_SCALAR ? k->len : 0)) {
                sl_pconf_bad_header_name(diag, k, name);
            } else if (strcasecmp(name, "host") == 0) {
                ERR(k, "cannot contain 'Host' header");
            } else if (strcasecmp(name, "content-length") == 0) {
                ERR(k, "cannot contain 'Content-Length' header");
            } else if (strcasecmp(name, "content-type") == 0) {
                ERR(k, "cannot contain 'Content-Type' header");
            } else if (u.userinfo && strcasecmp(name, "authorization") == 0) {
                ERR(k, "specifying both an 'Authorization' header and user info in "
                       "'http_endpoint' is not allowed");
            } else if (val == NULL) {
                ERR(v, "expected a string");
            } else if (strpbrk(val, "\r\n") || strlen(val) != v->len) {
                ERR(v, "invalid header value");
            } else {
                sl_hbuf_printf(&head, "%s: %s\r\n", name, val);
            }
        }
    }
    if (u.userinfo) {
        unsigned char b64[1024];
        size_t olen = 0;
        if (mbedtls_base64_encode(b64, sizeof(b64), &olen, (const unsigned char *)u.userinfo,
                                  u.userinfo_len) != 0)
            ERR(endpoint, "user info in url too long");
        else
            sl_hbuf_printf(&head, "Authorization: Basic %.*s\r\n", (int)olen, b64);
    }
    sl_hbuf_printf(&head, "Content-Type: %s\r\n", content_type);
    if (diag->n + diag->dropped != errors)
        return NULL;

    q->host = u.host;
    q->port = u.port;
    q->head = head.p;
    q->head_len = head.len;
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, q->host, strlen(q->host) + 1);
    h = fnv(h, q->head, q->head_len);
    uint64_t nums[] = {q->port,           q->timeout_ms,       q->keepalive_ms,
                       q->max_batch_size, q->max_entries,      q->max_bytes,
                       q->coalescing_ms,  (uint64_t)q->max_retry_time_ms,
                       q->initial_retry_ms, q->max_retry_delay_ms};
    q->hash = fnv(h, nums, sizeof(nums));
    return c;
}

/* The entity copies of the snapshot, rendered once, only when some instance needs them. */
static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    for (size_t i = 0; i < cfg->n_plugins; i++)
        if (cfg->plugins[i]->desc == &sl_plugin_http_log)
            return sl_log_entities_build(cfg, arena);
    return NULL;
}

/* ---- runtime ---- */

static void *worker_init(sl_worker_t *w)
{
    return sl_hlq_set_new(w);
}

static void worker_fini(sl_worker_t *w, void *state)
{
    sl_hlq_set_close(state);
}

static void on_log(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    sl_hlq_set_t *s = sl_plugin_worker_state(req->w, &sl_plugin_http_log);
    if (s == NULL)
        return;
    /* the queue belongs to the instance (and its config): find its id in the chain */
    static const char no_id[37] = "00000000-0000-0000-0000-000000000000";
    const char *id = no_id;
    for (size_t i = 0; req->chain && i < req->chain->n; i++)
        if (req->chain->v[i]->conf == conf)
            id = req->chain->v[i]->id;

    struct timeval tv;
    gettimeofday(&tv, NULL);
    sl_hbuf_t b;
    sl_hbuf_init(&b, req->arena, 4096);
    sl_log_record(&b, req, sl_snapshot_plugin_state(req->slot->snap, &sl_plugin_http_log),
                  sl_now_ns(), (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    sl_hlq_add(s, id, &c->q, b.p, b.len);
}

const sl_plugin_desc_t sl_plugin_http_log = {
    .name = "http-log",
    .priority = 12,
    .version = SLUICE_VERSION,
    .parse = parse,
    .configure = configure,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .log = on_log,
};
