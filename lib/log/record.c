/*
 * Kong's log record for one HTTP request (see record.h). Field meanings follow
 * kong/pdk/log.lua (serialize, 3.7+) and kong/pdk/request.lua (get_query, get_headers).
 */
#include "log/record.h"


#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config/render.h"
#include "config/uuid.h"
#include "core/addr.h"
#include "http/request.h"

struct sl_log_entities {
    sl_slice_t *routes;   /* by sl_route_t.rt_index */
    sl_slice_t *services; /* by sl_service_t.rt_index */
    struct consumer_json {
        const sl_consumer_t *c;
        sl_slice_t json;
    } *consumers;         /* sorted by pointer, for bsearch */
    size_t n_routes, n_services, n_consumers;
    char workspace[37];
};

/* ---- per snapshot ---- */

static sl_slice_t render(const sl_config_t *cfg, const char *entity, const void *e,
                         int64_t loaded_at, sl_arena_t *arena)
{
    cJSON *o = sl_entity_json(cfg, entity, e, loaded_at);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (text == NULL)
        return sl_slice("null", 4);
    size_t len = strlen(text);
    sl_slice_t s = sl_slice(sl_arena_strndup(arena, text, len), len);
    cJSON_free(text);
    return s;
}

static int cmp_consumer(const void *a, const void *b)
{
    const struct consumer_json *x = a, *y = b;
    return x->c < y->c ? -1 : x->c > y->c;
}

sl_log_entities_t *sl_log_entities_build(const sl_config_t *cfg, sl_arena_t *arena)
{
    sl_log_entities_t *t = sl_arena_calloc(arena, 1, sizeof(*t));
    int64_t loaded_at = (int64_t)time(NULL);
    t->n_routes = cfg->n_routes;
    t->routes = sl_arena_calloc(arena, cfg->n_routes + 1, sizeof(sl_slice_t));
    for (size_t i = 0; i < cfg->n_routes; i++)
        t->routes[cfg->routes[i]->rt_index] = render(cfg, "routes", cfg->routes[i], loaded_at,
                                                     arena);
    t->n_services = cfg->n_services;
    t->services = sl_arena_calloc(arena, cfg->n_services + 1, sizeof(sl_slice_t));
    for (size_t i = 0; i < cfg->n_services; i++)
        t->services[cfg->services[i]->rt_index] =
            render(cfg, "services", cfg->services[i], loaded_at, arena);
    t->n_consumers = cfg->n_consumers;
    t->consumers = sl_arena_calloc(arena, cfg->n_consumers + 1, sizeof(*t->consumers));
    for (size_t i = 0; i < cfg->n_consumers; i++) {
        t->consumers[i].c = cfg->consumers[i];
        t->consumers[i].json = render(cfg, "consumers", cfg->consumers[i], loaded_at, arena);
    }
    qsort(t->consumers, t->n_consumers, sizeof(*t->consumers), cmp_consumer);
    /* Kong creates a "default" workspace; give it the id a declarative config would */
    sl_uuid_entity("workspaces", "default", t->workspace);
    return t;
}

/* ---- JSON output ---- */

#define LIT(b, s) sl_hbuf_lit((b), s)

/* Length of the valid UTF-8 sequence at <s> (at most <n> bytes), or 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t min, cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void sl_log_json_str(sl_hbuf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    LIT(b, "\"");
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = 1;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
            i++;
            run++;
            continue;
        }
        if (c >= 0x80 && (n = utf8_len(p + i, len - i)) > 0) {
            i += n;
            run += n;
            continue;
        }
        if (run)
            sl_hbuf_append(b, (const char *)p + i - run, run);
        run = 0;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        switch (c) {
        case '"': LIT(b, "\\\""); break;
        case '\\': LIT(b, "\\\\"); break;
        case '\n': LIT(b, "\\n"); break;
        case '\r': LIT(b, "\\r"); break;
        case '\t': LIT(b, "\\t"); break;
        default: sl_hbuf_append(b, esc, 6); break; /* control, DEL, stray byte >= 0x80 */
        }
        i++;
    }
    if (run) /* <s> may be NULL when <len> is 0 */
        sl_hbuf_append(b, (const char *)p + len - run, run);
    LIT(b, "\"");
}

static void json_cstr(sl_hbuf_t *b, const char *s)
{
    sl_log_json_str(b, s, strlen(s));
}

static void json_i64(sl_hbuf_t *b, int64_t v)
{
    if (v < 0) {
        LIT(b, "-");
        sl_hbuf_u64(b, (uint64_t)-v);
    } else {
        sl_hbuf_u64(b, (uint64_t)v);
    }
}

/* Writes <name> lower-cased as a JSON string. */
static void json_lower(sl_hbuf_t *b, sl_slice_t name, char *tmp, size_t cap)
{
    size_t n = name.len < cap ? name.len : cap;
    for (size_t i = 0; i < n; i++) {
        char c = name.p[i];
        tmp[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    sl_log_json_str(b, tmp, n);
}

/* A header table as Kong's get_headers shows it: lower-cased names, a name sent more than
 * once as an array of its values in order, authorization and proxy-authorization (when
 * <redact>) as "REDACTED" (kong/pdk/log.lua). At most SL_LOG_MAX_HEADERS fields. */
static void json_headers(sl_hbuf_t *b, const sl_header_t *h, size_t n, bool redact,
                         sl_arena_t *a)
{
    if (n > SL_LOG_MAX_HEADERS)
        n = SL_LOG_MAX_HEADERS;
    char *tmp = NULL;
    size_t tmp_cap = 0;
    bool first = true;
    LIT(b, "{");
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        size_t count = 1;
        for (size_t j = 0; j < i && !seen; j++)
            seen = sl_slice_ieq(h[j].name, h[i].name.p, h[i].name.len);
        if (seen)
            continue;
        for (size_t j = i + 1; j < n; j++)
            count += sl_slice_ieq(h[j].name, h[i].name.p, h[i].name.len);
        if (h[i].name.len > tmp_cap) {
            tmp_cap = h[i].name.len < 64 ? 64 : h[i].name.len;
            tmp = sl_arena_alloc(a, tmp_cap);
        }
        if (!first)
            LIT(b, ",");
        first = false;
        json_lower(b, h[i].name, tmp, tmp_cap);
        LIT(b, ":");
        if (redact && (SL_SLICE_IEQ_LIT(h[i].name, "authorization") ||
                       SL_SLICE_IEQ_LIT(h[i].name, "proxy-authorization"))) {
            LIT(b, "\"REDACTED\"");
            continue;
        }
        if (count > 1)
            LIT(b, "[");
        for (size_t j = i, k = 0; j < n && k < count; j++) {
            if (!sl_slice_ieq(h[j].name, h[i].name.p, h[i].name.len))
                continue;
            if (k++)
                LIT(b, ",");
            sl_log_json_str(b, h[j].value.p, h[j].value.len);
        }
        if (count > 1)
            LIT(b, "]");
    }
    LIT(b, "}");
}

/* ---- the query string ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ngx.decode_args' unescaping: '+' is a space, %XX a byte, a malformed escape stays. */
static sl_slice_t unescape(const char *s, size_t n, sl_arena_t *a)
{
    char *o = sl_arena_alloc(a, n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            o[w++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
                   hexval(s[i + 2]) >= 0) {
            o[w++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            o[w++] = s[i];
        }
    }
    o[w] = '\0';
    return sl_slice(o, w);
}

typedef struct qarg {
    sl_slice_t key;
    sl_slice_t value; /* p == NULL: no '=', the value is true */
} qarg_t;

/* Kong's kong.request.get_query(): decoded keys and values, a key without '=' is true, a
 * repeated key an array of its values in order, an empty key is left out. */
static void json_query(sl_hbuf_t *b, sl_slice_t q, sl_arena_t *a)
{
    qarg_t *args = NULL;
    size_t n = 0;
    const char *p = q.p, *end = q.p + q.len;
    while (p && p < end && n < SL_LOG_MAX_ARGS) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        const char *ke = eq ? eq : e;
        if (ke > p) {
            if (args == NULL)
                args = sl_arena_alloc(a, SL_LOG_MAX_ARGS * sizeof(*args));
            args[n].key = unescape(p, (size_t)(ke - p), a);
            args[n].value = eq ? unescape(eq + 1, (size_t)(e - eq - 1), a) : sl_slice(NULL, 0);
            n++;
        }
        p = e + 1;
    }
    LIT(b, "{");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        size_t count = 1;
        for (size_t j = 0; j < i && !seen; j++)
            seen = sl_slice_eq(args[j].key, args[i].key.p, args[i].key.len);
        if (seen)
            continue;
        for (size_t j = i + 1; j < n; j++)
            count += sl_slice_eq(args[j].key, args[i].key.p, args[i].key.len);
        if (!first)
            LIT(b, ",");
        first = false;
        sl_log_json_str(b, args[i].key.p, args[i].key.len);
        LIT(b, ":");
        if (count > 1)
            LIT(b, "[");
        for (size_t j = i, k = 0; j < n && k < count; j++) {
            if (!sl_slice_eq(args[j].key, args[i].key.p, args[i].key.len))
                continue;
            if (k++)
                LIT(b, ",");
            if (args[j].value.p == NULL)
                LIT(b, "true");
            else
                sl_log_json_str(b, args[j].value.p, args[j].value.len);
        }
        if (count > 1)
            LIT(b, "]");
    }
    LIT(b, "}");
}

/* ---- the response head as sent ---- */

/* Splits the head the gateway sent (status line, fields, empty line) into fields. */
static size_t parse_head(sl_slice_t head, sl_header_t **out, sl_arena_t *a)
{
    const char *p = head.p, *end = head.p + head.len;
    const char *nl = p ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    if (nl == NULL)
        return 0;
    p = nl + 1; /* past the status line */
    size_t n = 0, cap = 0;
    sl_header_t *v = NULL;
    while (p < end && n < SL_LOG_MAX_HEADERS) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *ve = le > p && le[-1] == '\r' ? le - 1 : le;
        if (ve == p)
            break; /* the empty line */
        const char *colon = memchr(p, ':', (size_t)(ve - p));
        if (colon) {
            const char *vs = colon + 1;
            while (vs < ve && (*vs == ' ' || *vs == '\t'))
                vs++;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                sl_header_t *nv = sl_arena_alloc(a, ncap * sizeof(*nv));
                if (n)
                    memcpy(nv, v, n * sizeof(*nv));
                v = nv;
                cap = ncap;
            }
            v[n].name = sl_slice(p, (size_t)(colon - p));
            v[n].value = sl_slice(vs, (size_t)(ve - vs));
            n++;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    *out = v;
    return n;
}

static const sl_slice_t *find_consumer(const sl_log_entities_t *t, const sl_consumer_t *c)
{
    struct consumer_json key = {.c = c};
    const struct consumer_json *f =
        t->n_consumers ? bsearch(&key, t->consumers, t->n_consumers, sizeof(key), cmp_consumer)
                       : NULL;
    return f ? &f->json : NULL;
}

/* ---- the record ---- */

static int64_t ms_between(uint64_t from_ns, uint64_t to_ns)
{
    return to_ns > from_ns ? (int64_t)((to_ns - from_ns) / 1000000) : 0;
}

void sl_log_record(sl_hbuf_t *b, sl_req_t *req, const sl_log_entities_t *ents,
                   uint64_t now_ns, int64_t now_ms)
{
    sl_arena_t *a = req->arena;
    int64_t started_ms = now_ms - ms_between(req->start_ns, now_ns);

    LIT(b, "{\"request\":{\"id\":");
    json_cstr(b, req->id);
    LIT(b, ",\"uri\":");
    sl_log_json_str(b, req->target.p, req->target.len);
    /* $scheme://$host:$server_port$request_uri; nginx's $host falls back to the server
     * name, "kong" in Kong's nginx template */
    sl_hbuf_t url;
    sl_hbuf_init(&url, a, 32 + req->host.len + req->target.len);
    sl_hbuf_str(&url, req->scheme ? req->scheme : "http");
    LIT(&url, "://");
    if (req->host.len)
        sl_hbuf_slice(&url, req->host);
    else
        LIT(&url, "kong");
    sl_hbuf_printf(&url, ":%u", req->local_port ? req->local_port : req->port);
    sl_hbuf_slice(&url, req->target);
    LIT(b, ",\"url\":");
    sl_log_json_str(b, url.p, url.len);
    LIT(b, ",\"querystring\":");
    json_query(b, req->query, a);
    LIT(b, ",\"method\":");
    sl_log_json_str(b, req->method.p, req->method.len);
    LIT(b, ",\"headers\":");
    json_headers(b, req->headers, req->n_headers, true, a);
    LIT(b, ",\"size\":");
    sl_hbuf_u64(b, req->head_in + req->body_received);
    LIT(b, "},\"upstream_uri\":");
    sl_log_json_str(b, req->upstream_uri.p, req->upstream_uri.len);
    if (req->upstream_status) {
        LIT(b, ",\"upstream_status\":\"");
        sl_hbuf_u64(b, (uint64_t)req->upstream_status);
        LIT(b, "\"");
    }

    /* nginx logs 499 for a client that went away before the response */
    int status = req->response_started ? req->status : 499;
    sl_header_t *rh = NULL;
    size_t n_rh = parse_head(req->head_sent, &rh, a);
    LIT(b, ",\"response\":{\"status\":");
    sl_hbuf_u64(b, (uint64_t)status);
    LIT(b, ",\"headers\":");
    json_headers(b, rh, n_rh, false, a);
    LIT(b, ",\"size\":");
    sl_hbuf_u64(b, req->bytes_out);
    LIT(b, "}");

    /* kong/pdk/log.lua: kong = proxy latency (or response latency when the gateway
     * answered) + receive time; proxy = waiting time for the upstream head, -1 if none */
    int64_t total = ms_between(req->start_ns, now_ns);
    int64_t kong, proxy = -1, receive = 0;
    if (req->upstream_send_ns) {
        kong = ms_between(req->start_ns, req->upstream_send_ns);
        if (req->upstream_head_ns) {
            proxy = ms_between(req->upstream_send_ns, req->upstream_head_ns);
            receive = ms_between(req->upstream_head_ns, now_ns);
        }
        kong += receive;
    } else {
        kong = total;
    }
    LIT(b, ",\"latencies\":{\"kong\":");
    json_i64(b, kong);
    LIT(b, ",\"proxy\":");
    json_i64(b, proxy);
    LIT(b, ",\"request\":");
    json_i64(b, total);
    LIT(b, ",\"receive\":");
    json_i64(b, receive);
    LIT(b, "}");
    if (req->n_tries) /* absent when nothing was proxied, like Kong's nil balancer_data */
        LIT(b, ",\"tries\":[");
    for (size_t i = 0; i < req->n_tries; i++) {
        const sl_req_try_t *t = &req->tries[i];
        if (i)
            LIT(b, ",");
        char ip[INET6_ADDRSTRLEN];
        unsigned port = sl_addr_ip(&t->addr.sa, ip, sizeof(ip));
        LIT(b, "{\"ip\":");
        json_cstr(b, ip);
        LIT(b, ",\"port\":");
        sl_hbuf_u64(b, port);
        int64_t start_ms = started_ms + ms_between(req->start_ns, t->start_ns);
        LIT(b, ",\"balancer_start\":");
        json_i64(b, start_ms);
        LIT(b, ",\"balancer_start_ns\":");
        json_i64(b, start_ms * 1000000 + (int64_t)((t->start_ns - req->start_ns) % 1000000));
        LIT(b, ",\"balancer_latency\":");
        sl_hbuf_u64(b, t->latency_ns / 1000000);
        LIT(b, ",\"balancer_latency_ns\":");
        sl_hbuf_u64(b, t->latency_ns);
        LIT(b, "}");
    }
    if (req->n_tries)
        LIT(b, "]");

    if (req->consumer) {
        if (req->credential_id) {
            LIT(b, ",\"authenticated_entity\":{\"id\":");
            json_cstr(b, req->credential_id);
            LIT(b, ",\"consumer_id\":");
            json_cstr(b, req->consumer->id);
            LIT(b, "}");
        }
        const sl_slice_t *cj = ents ? find_consumer(ents, req->consumer) : NULL;
        if (cj) {
            LIT(b, ",\"consumer\":");
            sl_hbuf_slice(b, *cj);
        }
    }
    /* Kong knows the service from the route match on, even when a plugin answers */
    const sl_service_t *svc = req->service ? req->service
                                           : req->route ? req->route->service : NULL;
    if (ents && req->route && req->route->rt_index < ents->n_routes) {
        LIT(b, ",\"route\":");
        sl_hbuf_slice(b, ents->routes[req->route->rt_index]);
    }
    if (ents && svc && svc->rt_index < ents->n_services) {
        LIT(b, ",\"service\":");
        sl_hbuf_slice(b, ents->services[svc->rt_index]);
    }
    LIT(b, ",\"client_ip\":");
    json_cstr(b, req->conn ? sl_req_client_ip(req) : "");
    LIT(b, ",\"started_at\":");
    json_i64(b, started_ms);
    /* kong.response.get_source(): "upstream" when the upstream's response was relayed */
    if (req->upstream_status && req->response_started)
        LIT(b, ",\"source\":\"upstream\"");
    else
        LIT(b, ",\"source\":\"kong\"");
    char ws[37];
    if (ents == NULL)
        sl_uuid_entity("workspaces", "default", ws);
    LIT(b, ",\"workspace\":");
    json_cstr(b, ents ? ents->workspace : ws);
    LIT(b, ",\"workspace_name\":\"default\"}");
}
