/*
 * Admin API routes. Everything is answered at once from the snapshot the request runs on, so
 * the handler keeps no state between requests. In DB-less mode Kong refuses writes to
 * entities with 405 "operation unsupported"; so does sluice.
 */
#include "admin/admin.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "admin/metrics.h"
#include "config/errtree.h"
#include "config/load.h"
#include "config/render.h"
#include "core/log.h"
#include "http/conn.h"
#include "http/headers.h"
#include "http/hlist.h"
#include "log/access.h"
#include "metrics/prom.h"
#include "plugin/plugin.h"

static const char *const collections[] = {
    "services", "routes", "upstreams", "consumers", "plugins", "certificates", "snis", NULL,
};

void sl_admin_init(sl_admin_t *a, const sl_settings_t *s, sl_worker_t *workers, int n_workers)
{
    memset(a, 0, sizeof(*a));
    a->settings = s;
    a->workers = workers;
    a->n_workers = n_workers;
    unsigned char r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        memset(r, 0x5a, sizeof(r));
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(a->node_id, sizeof(a->node_id),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
             r[15]);
    if (gethostname(a->hostname, sizeof(a->hostname) - 1) != 0)
        strcpy(a->hostname, "localhost");
}

/* The headers of every admin answer: X-Kong-Admin-Latency, unless turned off. */
static void admin_headers(sl_req_t *req, sl_hlist_t *hs)
{
    sl_hlist_init(hs, req->arena, 1);
    if (req->w->settings->headers & SL_HDR_ADMIN_LATENCY)
        sl_hlist_add_u64(hs, SL_SLICE_LIT("X-Kong-Admin-Latency"),
                         (sl_now_ns() - req->start_ns) / 1000000);
}

/* Sends <json> (consumed) with <status>. */
static void reply(sl_req_t *req, int status, cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    size_t len = text ? strlen(text) : 0;
    char *body = sl_arena_strndup(req->arena, text ? text : "", len);
    cJSON_free(text);
    sl_hlist_t hs;
    admin_headers(req, &hs);
    sl_req_respond(req, status, NULL, "application/json; charset=utf-8", hs.v, hs.n, body,
                    len);
}

static void reply_message(sl_req_t *req, int status, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "message", message);
    reply(req, status, o);
}

/* Kong's DB-less refusal of entity writes (kong/api/endpoints.lua). */
static void reply_unsupported(sl_req_t *req, const char *op, const char *entity)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "cannot %s '%s' entities when not using a database", op, entity);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "code", 12);
    cJSON_AddStringToObject(o, "name", "operation unsupported");
    cJSON_AddStringToObject(o, "message", msg);
    reply(req, 405, o);
}

static cJSON *string_list(const sl_listen_t *ls, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(ls[i].text));
    return a;
}

static cJSON *node_info(const sl_admin_t *a, const sl_config_t *cfg)
{
    const sl_settings_t *s = a->settings;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tagline", "Welcome to sluice");
    cJSON_AddStringToObject(o, "version", SLUICE_VERSION);
    cJSON_AddStringToObject(o, "edition", "community");
    cJSON_AddStringToObject(o, "hostname", a->hostname);
    cJSON_AddStringToObject(o, "node_id", a->node_id);
    cJSON *plugins = cJSON_AddObjectToObject(o, "plugins");
    cJSON *avail = cJSON_AddObjectToObject(plugins, "available_on_server");
    for (size_t i = 0; sl_plugin_registry[i]; i++) {
        cJSON *p = cJSON_AddObjectToObject(avail, sl_plugin_registry[i]->name);
        cJSON_AddStringToObject(p, "version", sl_plugin_registry[i]->version);
        cJSON_AddNumberToObject(p, "priority", sl_plugin_registry[i]->priority);
    }
    cJSON *enabled = cJSON_AddArrayToObject(plugins, "enabled_in_cluster");
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(cfg->plugins[j]->name, cfg->plugins[i]->name) == 0;
        if (!seen)
            cJSON_AddItemToArray(enabled, cJSON_CreateString(cfg->plugins[i]->name));
    }
    cJSON *conf = cJSON_AddObjectToObject(o, "configuration");
    cJSON_AddStringToObject(conf, "database", "off");
    if (s->config_path)
        cJSON_AddStringToObject(conf, "declarative_config", s->config_path);
    cJSON_AddItemToObject(conf, "proxy_listen", string_list(s->proxy, s->n_proxy));
    cJSON_AddItemToObject(conf, "admin_listen", string_list(s->admin, s->n_admin));
    cJSON_AddNumberToObject(conf, "nginx_worker_processes", s->workers);
    cJSON_AddStringToObject(conf, "log_level", s->log_level);
    cJSON_AddNumberToObject(conf, "client_max_body_size", (double)s->max_body_size);
    cJSON_AddNumberToObject(conf, "upstream_keepalive_pool_size",
                            s->upstream_keepalive_pool_size);
    cJSON_AddNumberToObject(conf, "upstream_keepalive_max_requests",
                            s->upstream_keepalive_max_requests);
    cJSON_AddNumberToObject(conf, "upstream_keepalive_idle_timeout",
                            s->upstream_keepalive_idle_timeout_ms / 1000.0);
    cJSON *pids = cJSON_AddObjectToObject(o, "pids");
    cJSON_AddNumberToObject(pids, "master", getpid());
    cJSON *workers = cJSON_AddArrayToObject(pids, "workers");
    for (int i = 0; i < a->n_workers; i++) /* one process: workers are threads of it */
        cJSON_AddItemToArray(workers, cJSON_CreateNumber(getpid()));
    return o;
}

static cJSON *status(const sl_admin_t *a, const sl_config_t *cfg)
{
    uint64_t accepted = 0, handled = 0, active = 0, requests = 0, inflight = 0, idle = 0;
    for (int i = 0; i < a->n_workers; i++) {
        const sl_worker_stats_t *st = &a->workers[i].stats;
        accepted += SL_STAT_GET(st->accepted);
        handled += SL_STAT_GET(st->handled);
        active += SL_STAT_GET(st->active);
        requests += SL_STAT_GET(st->requests);
        inflight += SL_STAT_GET(st->inflight);
        idle += SL_STAT_GET(st->idle);
    }
    /* the counters of different workers are read at slightly different moments */
    if (inflight + idle > active)
        active = inflight + idle;
    cJSON *o = cJSON_CreateObject();
    cJSON *srv = cJSON_AddObjectToObject(o, "server");
    cJSON_AddNumberToObject(srv, "connections_accepted", (double)accepted);
    cJSON_AddNumberToObject(srv, "connections_active", (double)active);
    cJSON_AddNumberToObject(srv, "connections_handled", (double)handled);
    cJSON_AddNumberToObject(srv, "connections_reading", (double)(active - inflight - idle));
    cJSON_AddNumberToObject(srv, "connections_writing", (double)inflight);
    cJSON_AddNumberToObject(srv, "connections_waiting", (double)idle);
    cJSON_AddNumberToObject(srv, "total_requests", (double)requests);
    cJSON_AddStringToObject(o, "configuration_hash", cfg->hash);
    return o;
}

/* GET /metrics: Prometheus text, built in the request arena. */
static void reply_metrics(sl_req_t *req)
{
    const sl_admin_t *a = req->w->handler_ctx;
    sl_hbuf_t body;
    sl_hbuf_init(&body, req->arena, 16384);
    sl_admin_metrics(a, req->slot->snap, &body, req->arena);
    sl_hlist_t hs;
    admin_headers(req, &hs);
    sl_req_respond(req, 200, NULL, SL_PROM_CONTENT_TYPE, hs.v, hs.n, body.p, body.len);
}

/* Splits the path into at most 4 segments; returns the count, or -1 if there are more. */
static int split(sl_slice_t path, sl_arena_t *arena, char *seg[4])
{
    int n = 0;
    const char *p = path.p, *end = path.p + path.len;
    while (p < end) {
        while (p < end && *p == '/')
            p++;
        if (p == end)
            break;
        const char *s = p;
        while (p < end && *p != '/')
            p++;
        if (n == 4)
            return -1;
        seg[n++] = sl_arena_strndup(arena, s, (size_t)(p - s));
    }
    return n;
}

static bool is_collection(const char *name)
{
    for (size_t i = 0; collections[i]; i++)
        if (strcmp(collections[i], name) == 0)
            return true;
    return false;
}

/* ---- POST /config ------------------------------------------------------------------ */

/* Kong's POST /config flags take "1" only. */
static bool query_flag(const sl_req_t *req, const char *name)
{
    sl_slice_t v;
    return sl_req_query_arg(req, name, &v) && SL_SLICE_EQ_LIT(v, "1");
}

/* Kong's three body forms: the config itself (YAML or JSON text), or a JSON object whose
 * "config" field holds the text. Returns the text, in the arena, or NULL. */
static const char *config_text(sl_req_t *req, const char *body, size_t len, size_t *out_len)
{
    sl_slice_t ct = sl_req_header(req, "content-type");
    if (ct.len >= 16 && strncasecmp(ct.p, "application/json", 16) == 0) {
        cJSON *j = cJSON_ParseWithLength(body, len);
        cJSON *c = j ? cJSON_GetObjectItemCaseSensitive(j, "config") : NULL;
        if (c && cJSON_IsString(c) && cJSON_GetObjectItemCaseSensitive(j, "_format_version") ==
                                          NULL) {
            const char *t = sl_arena_strdup(req->arena, c->valuestring);
            *out_len = strlen(t);
            cJSON_Delete(j);
            return t;
        }
        cJSON_Delete(j);
    }
    *out_len = len;
    return body;
}

static void post_config(sl_req_t *req, const char *body, size_t len)
{
    const sl_admin_t *a = req->w->handler_ctx;
    size_t tlen;
    const char *text = config_text(req, body, len, &tlen);
    if (tlen == 0) {
        reply_message(req, 400, "expected a declarative configuration");
        return;
    }
    sl_diag_t diag;
    sl_diag_init(&diag, "<body>");
    sl_config_t *cfg = NULL;
    sl_snapshot_t *snap = NULL;
    if (sl_config_load_text(NULL, text, tlen, SL_CONFIG_FMT_AUTO, sl_plugin_lookup, &cfg,
                            &diag) == 0 &&
        query_flag(req, "check_hash") && strcmp(cfg->hash, req->slot->snap->cfg->hash) == 0) {
        sl_config_free(cfg);
        sl_diag_free(&diag);
        sl_req_respond(req, 304, NULL, NULL, NULL, 0, "", 0);
        return;
    }
    if (cfg == NULL || sl_snapshot_compile(cfg, &snap, &diag) != 0) {
        /* Kong's code-14 error (kong/db/errors.lua declarative_config), its `fields` tree
         * and message, then every problem with its position; the running config stays */
        sl_diag_sort(&diag); /* file order */
        cJSON *fields;
        char *message;
        sl_errtree_render(&diag, &fields, &message);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "code", 14);
        cJSON_AddStringToObject(o, "name", "invalid declarative configuration");
        cJSON_AddStringToObject(o, "message", message);
        cJSON_AddItemToObject(o, "fields", fields);
        free(message);
        cJSON *errs = cJSON_AddArrayToObject(o, "errors");
        for (size_t i = 0; i < diag.n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "line", diag.v[i].line);
            cJSON_AddNumberToObject(e, "column", diag.v[i].col);
            cJSON_AddStringToObject(e, "message", diag.v[i].msg);
            cJSON_AddItemToArray(errs, e);
        }
        size_t total = diag.n + diag.dropped;
        sl_log(SL_LOG_ERROR,
               "POST /config refused: %zu error%s in the declarative config; the running "
               "configuration stays",
               total, total == 1 ? "" : "s");
        sl_diag_free(&diag);
        reply(req, 400, o);
        return;
    }
    sl_diag_free(&diag);
    /* Kong answers with the new entities, flattened: {"services": {"<id>": {...}}, ...} */
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; collections[i]; i++) {
        cJSON *list = sl_entity_list_json(snap->cfg, collections[i], snap->loaded_at);
        cJSON *map = cJSON_AddObjectToObject(out, collections[i]);
        cJSON *item, *data = list ? cJSON_GetObjectItemCaseSensitive(list, "data") : NULL;
        cJSON_ArrayForEach(item, data)
        {
            cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
            if (cJSON_IsString(id))
                cJSON_AddItemToObject(map, id->valuestring, cJSON_Duplicate(item, true));
        }
        cJSON_Delete(list);
    }
    sl_log(SL_LOG_NOTICE, "configuration replaced by POST /config (%zu services, %zu routes)",
           snap->cfg->n_services, snap->cfg->n_routes);
    a->apply(a->apply_ctx, snap);
    reply(req, 201, out);
}

typedef struct config_upload {
    sl_hbuf_t buf;
} config_upload_t;

static void admin_body(sl_req_t *req, const uv_buf_t *pieces, size_t n, bool last)
{
    config_upload_t *up = req->hdata;
    if (up == NULL) { /* no handler asked for this body */
        sl_conn_body_consumed(req->conn);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (up->buf.len + pieces[i].len > SL_ADMIN_CONFIG_MAX) {
            req->hdata = NULL;
            reply_message(req, 413, "Payload too large");
            return;
        }
        sl_hbuf_append(&up->buf, pieces[i].base, pieces[i].len);
    }
    if (!last) {
        sl_conn_body_consumed(req->conn);
        return;
    }
    req->hdata = NULL;
    sl_hbuf_append(&up->buf, "", 1);
    sl_conn_body_consumed(req->conn);
    post_config(req, up->buf.p, up->buf.len - 1);
}

static void admin_start(sl_req_t *req)
{
    const sl_admin_t *a = req->w->handler_ctx;
    const sl_config_t *cfg = req->slot->snap->cfg;
    int64_t at = req->slot->snap->loaded_at;
    sl_slice_t m = req->method;
    bool get = SL_SLICE_EQ_LIT(m, "GET") || SL_SLICE_EQ_LIT(m, "HEAD");
    char *seg[4];
    int n = split(req->path, req->arena, seg);

    if (n == 0 || (n == 1 && strcmp(seg[0], "status") == 0)) {
        if (!get) {
            reply_message(req, 405, "Method not allowed");
            return;
        }
        reply(req, 200, n == 0 ? node_info(a, cfg) : status(a, cfg));
        return;
    }
    if (n == 1 && strcmp(seg[0], "config") == 0 && SL_SLICE_EQ_LIT(m, "POST")) {
        if (!req->has_body) {
            reply_message(req, 400, "expected a declarative configuration");
            return;
        }
        if (!req->chunked && req->content_length > SL_ADMIN_CONFIG_MAX) {
            reply_message(req, 413, "Payload too large");
            return;
        }
        config_upload_t *up = sl_arena_calloc(req->arena, 1, sizeof(*up));
        sl_hbuf_init(&up->buf, req->arena, req->chunked ? 4096 : (size_t)req->content_length + 1);
        req->hdata = up;
        sl_conn_body_start(req->conn);
        return;
    }
    if (n == 1 && strcmp(seg[0], "config") == 0) {
        if (!get) {
            reply_message(req, 405, "Method not allowed");
            return;
        }
        /* the running declarative config, as it was given (file or POST /config body) */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "config", cJSON_CreateString(cfg->text ? cfg->text : ""));
        reply(req, 200, o);
        return;
    }
    if (n < 1 || !is_collection(seg[0])) {
        if (n == 1 && strcmp(seg[0], "metrics") == 0) {
            if (!get)
                reply_message(req, 405, "Method not allowed");
            else
                reply_metrics(req);
            return;
        }
        reply_message(req, 404, "Not found");
        return;
    }
    const char *entity = seg[0];
    if (n == 1) {
        if (SL_SLICE_EQ_LIT(m, "POST"))
            reply_unsupported(req, "create", entity);
        else if (!get)
            reply_message(req, 405, "Method not allowed");
        else
            reply(req, 200, sl_entity_list_json(cfg, entity, at));
        return;
    }
    const void *e = sl_entity_find(cfg, entity, seg[1]);
    if (n == 2) {
        if (SL_SLICE_EQ_LIT(m, "PUT"))
            reply_unsupported(req, "create or update", entity);
        else if (SL_SLICE_EQ_LIT(m, "PATCH"))
            reply_unsupported(req, "update", entity);
        else if (SL_SLICE_EQ_LIT(m, "DELETE"))
            reply_unsupported(req, "delete", entity);
        else if (!get)
            reply_message(req, 405, "Method not allowed");
        else if (e == NULL)
            reply_message(req, 404, "Not found");
        else
            reply(req, 200, sl_entity_json(cfg, entity, e, at));
        return;
    }
    /* nested views: /upstreams/{u}/health, and the children lists Kong has
     * (/services/{s}/routes, /upstreams/{u}/targets, ...) */
    const char *sub = seg[2];
    bool health = n == 3 && strcmp(entity, "upstreams") == 0 && strcmp(sub, "health") == 0;
    cJSON *out = NULL;
    if (n == 3 && e && !health)
        out = sl_entity_children_json(cfg, entity, e, sub, at);
    if (n != 3 || (!health && e && out == NULL)) {
        reply_message(req, 404, "Not found");
        return;
    }
    if (!get) {
        cJSON_Delete(out);
        if (SL_SLICE_EQ_LIT(m, "POST") && !health)
            reply_unsupported(req, "create", sub);
        else
            reply_message(req, 405, "Method not allowed");
        return;
    }
    if (e == NULL) {
        reply_message(req, 404, "Not found");
        return;
    }
    if (health)
        out = sl_entity_upstream_health_json(cfg, e, a->node_id, at);
    reply(req, 200, out);
}

static void admin_abort(sl_req_t *req)
{
    req->hdata = NULL; /* an upload in progress lives in the request arena */
}

/* The admin API's requests go to its access log (admin_access_log); no plugin runs. */
static void admin_end(sl_req_t *req)
{
    sl_alog_request(req->w->alog, req);
}

const sl_handler_t sl_admin_handler = {
    .start = admin_start,
    .body = admin_body,
    .abort = admin_abort,
    .end = admin_end,
};
