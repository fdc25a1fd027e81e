/*
 * cors (Kong's plugin, priority 2000, before authentication so that a preflight needs no
 * credentials): answers CORS preflight requests at the gateway and adds the
 * Access-Control-* headers to every other response of its scope, proxied or made by the
 * gateway (kong/plugins/cors/handler.lua and schema.lua).
 *
 * Origins: none or just "*" allow every origin. One literal origin (only [A-Za-z0-9.:/-])
 * is sent as is, whatever the request's Origin. Otherwise the request's Origin is
 * normalized (origin.h) and compared with each entry: literal entries are normalized the
 * same way and compared whole; any other entry is a PCRE regex anchored at both ends (a
 * leading '^' is dropped, a '$' appended) matched against the origin's host, or against
 * scheme://host:port when the entry holds a ':'.
 */
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/node.h"
#include "core/log.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "plugins/cors/origin.h"

extern const sl_plugin_desc_t sl_plugin_cors;

/* Kong's METHODS: the schema's one_of and the default */
static const char *const all_methods[] = {"GET",    "HEAD",    "PUT",   "PATCH",   "POST",
                                          "DELETE", "OPTIONS", "TRACE", "CONNECT", NULL};
#define DEFAULT_METHODS "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"

/* Backtracking budget per regex run: past it an origin counts as not matching. */
#define CORS_MATCH_LIMIT 100000u

typedef struct origin_entry {
    bool star;           /* "*" */
    pcre2_code *re;      /* a regex entry, else NULL */
    bool by_host;        /* regex matched against the host only (the entry has no ':') */
    sl_slice_t domain;   /* a literal entry, normalized */
} origin_entry_t;

typedef struct conf {
    origin_entry_t *origins;
    size_t n_origins;
    const char *first_origin;  /* origins[0] as configured */
    bool single_literal;       /* one origin, literal: sent whatever the request says */
    bool allow_all;            /* no origins, or just "*" */
    bool any_star;             /* some entry is "*" */
    const char *methods;       /* joined with ',' */
    const char *headers;       /* joined; NULL: echo Access-Control-Request-Headers */
    const char *exposed;       /* joined; NULL: none */
    const char *max_age;       /* as Lua's tostring writes the number; NULL: none */
    bool credentials;
    bool preflight_continue;
    bool private_network;
    bool allow_origin_absent;
} conf_t;

/* ---- config ------------------------------------------------------------------------- */

static void code_free(void *p)
{
    pcre2_code_free(p);
}

static pcre2_code *compile(const char *pattern, size_t len, sl_arena_t *arena)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, len, 0, &ec, &eo, NULL);
    if (code == NULL)
        return NULL;
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter serves otherwise */
    sl_arena_cleanup(arena, code_free, code);
    return code;
}

/* A non-empty string element (Kong's strings have len_min 1); NULL after reporting. */
static const char *string_item(const sl_node_t *it, sl_diag_t *diag)
{
    const char *s = sl_node_str(it);
    if (s == NULL) {
        sl_diag_add_node(diag, it, "expected a string");
        return NULL;
    }
    if (it->len == 0 || memchr(s, '\0', it->len) != NULL) {
        sl_diag_add_node(diag, it, it->len ? "expected a string without NUL bytes"
                                           : "length must be at least 1");
        return NULL;
    }
    return s;
}

/* An array of strings joined with ','; NULL for an empty one or after reporting. */
static const char *joined(const sl_node_t *v, sl_arena_t *arena, sl_diag_t *diag,
                          bool methods)
{
    if (v->kind != SL_NODE_SEQ) {
        sl_diag_add_node(diag, v, "expected an array");
        return NULL;
    }
    size_t total = 1;
    for (size_t i = 0; i < v->n; i++)
        total += v->items[i]->len + 1;
    char *out = sl_arena_alloc(arena, total), *w = out;
    bool ok = true;
    for (size_t i = 0; i < v->n; i++) {
        const sl_node_t *it = v->items[i];
        const char *s = string_item(it, diag);
        if (s == NULL) {
            ok = false;
            continue;
        }
        if (methods) {
            bool known = false;
            for (size_t m = 0; all_methods[m] && !known; m++)
                known = strcmp(all_methods[m], s) == 0;
            if (!known) {
                sl_diag_add_node(diag, it,
                                 "expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, "
                                 "TRACE, CONNECT");
                ok = false;
                continue;
            }
        }
        if (w != out)
            *w++ = ',';
        memcpy(w, s, it->len);
        w += it->len;
    }
    *w = '\0';
    return ok ? out : NULL;
}

static bool parse_origins(conf_t *c, const sl_node_t *v, sl_arena_t *arena, sl_diag_t *diag)
{
    if (v->kind != SL_NODE_SEQ) {
        sl_diag_add_node(diag, v, "expected an array");
        return false;
    }
    c->origins = sl_arena_calloc(arena, v->n ? v->n : 1, sizeof(*c->origins));
    c->n_origins = v->n;
    bool ok = true;
    for (size_t i = 0; i < v->n; i++) {
        const sl_node_t *it = v->items[i];
        origin_entry_t *e = &c->origins[i];
        const char *s = string_item(it, diag);
        if (s == NULL) {
            ok = false;
            continue;
        }
        if (i == 0)
            c->first_origin = sl_arena_strndup(arena, s, it->len);
        if (strcmp(s, "*") == 0) {
            e->star = true;
            c->any_star = true;
            continue;
        }
        /* schema.lua validate_asterisk_or_regex: every other entry must compile */
        pcre2_code *check = compile(s, it->len, arena);
        if (check == NULL) {
            sl_diag_add_node(diag, it, "'%.200s' is not a valid regex", s);
            ok = false;
            continue;
        }
        e->by_host = memchr(s, ':', it->len) == NULL;
        if (sl_cors_origin_is_literal(s, it->len)) {
            sl_cors_origin_t o;
            sl_cors_origin_normalize(s, it->len, arena, &o);
            e->domain = sl_slice(sl_arena_strndup(arena, o.domain.p, o.domain.len),
                                 o.domain.len);
            continue;
        }
        /* Kong 0.x did not anchor regexes: the handler anchors them, accepting a '^' */
        const char *body = s[0] == '^' ? s + 1 : s;
        size_t blen = it->len - (size_t)(body - s);
        bool has_end = it->len && s[it->len - 1] == '$';
        char *pat = sl_arena_printf(arena, "%.*s%s", (int)blen, body, has_end ? "" : "$");
        e->re = compile(pat, strlen(pat), arena);
        if (e->re == NULL) {
            sl_diag_add_node(diag, it, "'%.200s' is not a valid regex", s);
            ok = false;
        }
    }
    return ok;
}

/* The config fields in the order of cors/schema.lua, for suggestions. */
static const char *const fields[] = {
    "origins", "headers", "exposed_headers", "methods", "max_age", "credentials",
    "private_network", "preflight_continue", "allow_origin_absent", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    c->methods = DEFAULT_METHODS;
    c->allow_origin_absent = true;
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        struct {
            const char *name;
            bool *dst;
        } flags[] = {
            {"credentials", &c->credentials},
            {"preflight_continue", &c->preflight_continue},
            {"private_network", &c->private_network},
            {"allow_origin_absent", &c->allow_origin_absent},
        };
        bool flag = false;
        for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
            if (strcmp(key, flags[f].name) != 0)
                continue;
            flag = true;
            if (!sl_node_is_null(v))
                sl_pconf_bool(diag, v, flags[f].dst);
        }
        if (flag || sl_node_is_null(v))
            continue; /* a null keeps the default */
        if (strcmp(key, "origins") == 0) {
            parse_origins(c, v, arena, diag);
        } else if (strcmp(key, "methods") == 0) {
            c->methods = joined(v, arena, diag, true);
            if (c->methods == NULL)
                c->methods = "";
        } else if (strcmp(key, "headers") == 0) {
            c->headers = joined(v, arena, diag, false);
            if (c->headers && !*c->headers)
                c->headers = NULL; /* an empty list: echo, as for none */
        } else if (strcmp(key, "exposed_headers") == 0) {
            c->exposed = joined(v, arena, diag, false);
            if (c->exposed && !*c->exposed)
                c->exposed = NULL;
        } else if (strcmp(key, "max_age") == 0) {
            double d;
            if (sl_pconf_number(diag, v, -HUGE_VAL, HUGE_VAL, &d))
                c->max_age = sl_arena_printf(arena, "%.14g", d); /* Lua's tostring */
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    c->allow_all = c->n_origins == 0 || (c->n_origins == 1 && c->origins[0].star);
    c->single_literal = c->n_origins == 1 && c->first_origin &&
                        sl_cors_origin_is_literal(c->first_origin, strlen(c->first_origin));
    return diag->n + diag->dropped == errors ? c : NULL;
}

/* ---- per worker: the regex match block ---------------------------------------------- */

typedef struct worker_state {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
} worker_state_t;

static void *worker_init(sl_worker_t *w)
{
    worker_state_t *ws = calloc(1, sizeof(*ws));
    if (ws == NULL)
        return NULL;
    ws->md = pcre2_match_data_create(1, NULL);
    ws->mctx = pcre2_match_context_create(NULL);
    if (ws->mctx)
        pcre2_set_match_limit(ws->mctx, CORS_MATCH_LIMIT);
    return ws;
}

static void worker_fini(sl_worker_t *w, void *state)
{
    worker_state_t *ws = state;
    if (ws == NULL)
        return;
    pcre2_match_data_free(ws->md);
    pcre2_match_context_free(ws->mctx);
    free(ws);
}

/* ngx.re.find(subject, regex, "ajo"): anchored at the start, the '$' does the end. */
static bool re_find(sl_req_t *req, const pcre2_code *re, sl_slice_t s)
{
    const worker_state_t *ws = sl_plugin_worker_state(req->w, &sl_plugin_cors);
    if (ws == NULL || ws->md == NULL)
        return false;
    PCRE2_SPTR subject = (PCRE2_SPTR)(s.p ? s.p : "");
    int rc = pcre2_match(re, subject, s.len, 0, PCRE2_ANCHORED, ws->md, ws->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(re, subject, s.len, 0, PCRE2_ANCHORED | PCRE2_NO_JIT, ws->md,
                         ws->mctx);
    return rc >= 0;
}

/* ---- runtime ------------------------------------------------------------------------ */

static void set(sl_req_t *req, const char *name, const char *value)
{
    sl_pdk_set_response_header(req, name, sl_slice(value, strlen(value)));
}

/* Vary: Origin, added beside the upstream's in header_filter, set on a preflight */
static void vary(sl_req_t *req, bool header_filter)
{
    if (header_filter)
        sl_pdk_add_response_header(req, "Vary", SL_SLICE_LIT("Origin"));
    else
        set(req, "Vary", "Origin");
}

/* handler.lua configure_origin: sets Access-Control-Allow-Origin; true when every origin
 * is allowed ("*"). <origin> has p == NULL when the request has none. */
static bool configure_origin(sl_req_t *req, const conf_t *c, bool header_filter,
                             sl_slice_t origin)
{
    if (c->allow_all) {
        set(req, "Access-Control-Allow-Origin", "*");
        return true;
    }
    vary(req, header_filter); /* always: caches key on it */
    if (c->single_literal) {
        set(req, "Access-Control-Allow-Origin", c->first_origin);
        return false;
    }
    if (origin.p) {
        if (c->any_star) {
            set(req, "Access-Control-Allow-Origin", "*");
            return true;
        }
        sl_cors_origin_t o;
        sl_cors_origin_normalize(origin.p, origin.len, req->arena, &o);
        for (size_t i = 0; i < c->n_origins; i++) {
            const origin_entry_t *e = &c->origins[i];
            bool found = e->re ? re_find(req, e->re, e->by_host ? o.host : o.domain)
                               : o.domain.len == e->domain.len &&
                                     memcmp(o.domain.p, e->domain.p, o.domain.len) == 0;
            if (found) {
                sl_pdk_set_response_header(req, "Access-Control-Allow-Origin", o.domain);
                return false;
            }
        }
    }
    sl_pdk_clear_response_header(req, "Access-Control-Allow-Origin");
    return false;
}

/* handler.lua configure_credentials */
static void configure_credentials(sl_req_t *req, const conf_t *c, bool allow_all,
                                  bool header_filter, sl_slice_t origin)
{
    if (!c->credentials)
        return;
    if (!allow_all) {
        set(req, "Access-Control-Allow-Credentials", "true");
        return;
    }
    /* "*" cannot go with credentials: the request's origin is echoed instead */
    if (origin.p) {
        vary(req, header_filter);
        sl_pdk_set_response_header(req, "Access-Control-Allow-Origin", origin);
        set(req, "Access-Control-Allow-Credentials", "true");
    }
}

/* Marks a request whose responses get no CORS headers from header_filter (a preflight). */
static char skip_marker;

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    sl_slice_t origin = sl_req_header(req, "origin");
    if (!SL_SLICE_EQ_LIT(req->method, "OPTIONS") || origin.p == NULL ||
        sl_req_header(req, "access-control-request-method").p == NULL)
        return SL_CONTINUE;
    /* a preflight: the upstream answers it (preflight_continue) or the headers are all set
     * here; either way header_filter adds nothing */
    *sl_pdk_ctx(req, &sl_plugin_cors) = &skip_marker;
    if (c->preflight_continue)
        return SL_CONTINUE;

    bool allow_all = configure_origin(req, c, false, origin);
    configure_credentials(req, c, allow_all, false, origin);
    if (c->headers) {
        set(req, "Access-Control-Allow-Headers", c->headers);
    } else {
        sl_slice_t acrh = sl_req_header(req, "access-control-request-headers");
        if (acrh.p)
            sl_pdk_set_response_header(req, "Access-Control-Allow-Headers", acrh);
        else
            sl_pdk_clear_response_header(req, "Access-Control-Allow-Headers");
    }
    set(req, "Access-Control-Allow-Methods", c->methods);
    if (c->max_age)
        set(req, "Access-Control-Max-Age", c->max_age);
    if (c->private_network &&
        SL_SLICE_EQ_LIT(sl_req_header(req, "access-control-request-private-network"), "true"))
        set(req, "Access-Control-Allow-Private-Network", "true");
    sl_pdk_exit(req, 200, NULL, "", 0);
    return SL_RESPONDED;
}

static void on_header_filter(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    if (req->plugin_ctx && *sl_pdk_ctx(req, &sl_plugin_cors) == &skip_marker)
        return;
    sl_slice_t origin = sl_req_header(req, "origin");
    if (origin.p == NULL && !c->allow_origin_absent)
        return;
    bool allow_all = configure_origin(req, c, true, origin);
    configure_credentials(req, c, allow_all, true, origin);
    if (c->exposed)
        set(req, "Access-Control-Expose-Headers", c->exposed);
}

const sl_plugin_desc_t sl_plugin_cors = {
    .name = "cors",
    .priority = 2000,
    .version = SLUICE_VERSION,
    .parse = parse,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .access = on_access,
    .header_filter = on_header_filter,
};
