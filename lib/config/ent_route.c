/*
 * Routes. Checks follow Kong's order for a router path (match_none "//", then match_any
 * "/" or "~/", then validate_path_with_regexes: bad %-escapes, normalization of prefix
 * paths, PCRE compilation of regex paths) and the http subschema's entity checks (at least
 * one matching field; `snis` only with https-like protocols; no sources / destinations).
 *
 * sluice routes HTTP and HTTPS only: any other protocol is refused at the element. The
 * PCRE2 codes compiled here are for validation only and freed at once; the router compiles
 * its own.
 */
#include "config/ent_route.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "config/check.h"
#include "config/entities.h"
#include "config/schema.h"
#include "core/path.h"

#define R(field) offsetof(sl_route_t, field)

static const char *check_method(const char *s, char *err, size_t cap)
{
    for (const char *p = s; *p; p++) {
        if (*p < 'A' || *p > 'Z') {
            snprintf(err, cap, "invalid value: %.200s", s);
            return err;
        }
    }
    return NULL;
}

static const char *const redirect_codes[] = {"426", "301", "302", "307", "308", NULL};

static const sl_field_t route_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = R(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "name", .type = SL_FT_STRING, .off = R(name), .check = sl_check_name},
    {.name = "protocols", .type = SL_FT_CUSTOM},
    {.name = "methods", .type = SL_FT_STRINGS, .flags = SL_F_SET, .off = R(methods),
     .check = check_method},
    {.name = "hosts", .type = SL_FT_STRINGS, .off = R(hosts), .check = sl_check_route_host},
    {.name = "paths", .type = SL_FT_CUSTOM},
    {.name = "headers", .type = SL_FT_CUSTOM},
    {.name = "https_redirect_status_code", .type = SL_FT_INT, .flags = SL_F_REQUIRED,
     .off = R(https_redirect_status_code), .size = sizeof(int), .min = 100, .max = 999,
     .def = "426", .one_of = redirect_codes},
    {.name = "regex_priority", .type = SL_FT_INT, .off = R(regex_priority), .size = sizeof(int),
     .min = INT32_MIN, .max = INT32_MAX, .def = "0"},
    {.name = "strip_path", .type = SL_FT_BOOL, .flags = SL_F_REQUIRED, .off = R(strip_path),
     .def = "true"},
    {.name = "path_handling", .type = SL_FT_CUSTOM},
    {.name = "preserve_host", .type = SL_FT_BOOL, .flags = SL_F_REQUIRED,
     .off = R(preserve_host), .def = "false"},
    {.name = "request_buffering", .type = SL_FT_BOOL, .flags = SL_F_REQUIRED,
     .off = R(request_buffering), .def = "true"},
    {.name = "response_buffering", .type = SL_FT_BOOL, .flags = SL_F_REQUIRED,
     .off = R(response_buffering), .def = "true"},
    {.name = "snis", .type = SL_FT_STRINGS, .flags = SL_F_SET, .off = R(snis),
     .check = sl_check_sni},
    {.name = "sources", .type = SL_FT_CUSTOM},
    {.name = "destinations", .type = SL_FT_CUSTOM},
    {.name = "tags", .type = SL_FT_TAGS, .off = R(tags)},
    {.name = "service", .type = SL_FT_CUSTOM},
    {.name = "plugins", .type = SL_FT_CUSTOM},
    {.name = NULL},
};

/* ---- paths ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

const char *sl_ent_route_migrate_path(sl_arena_t *arena, const char *path)
{
    size_t len = strlen(path);
    bool plain = true;
    for (const char *p = path; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr(".-_~/%", *p) != NULL;
    if (plain) {
        char *out = sl_arena_alloc(arena, len + 1);
        return sl_path_normalize(path, len, out) >= 0 ? out : path;
    }
    /* "~" + path with %XX triplets rewritten; at most 2 output bytes per 3 input bytes,
     * plus the "~" */
    char *out = sl_arena_alloc(arena, len + 2);
    size_t o = 0;
    out[o++] = '~';
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (path[i] == '%' && i + 2 < len && (hi = hexval(path[i + 1])) >= 0 &&
            (lo = hexval(path[i + 2])) >= 0) {
            unsigned char c = (unsigned char)(hi << 4 | lo);
            if (strchr("!#$%&'()*+,/:;=?@[]", c) != NULL && c != '\0') {
                out[o++] = '%';
                out[o++] = (char)toupper((unsigned char)path[i + 1]);
                out[o++] = (char)toupper((unsigned char)path[i + 2]);
            } else if (c != '\0' && strchr(".^-{}\\|", c) != NULL) {
                out[o++] = '\\';
                out[o++] = (char)c;
            } else {
                out[o++] = (char)c;
            }
            i += 2;
            continue;
        }
        out[o++] = path[i];
    }
    out[o] = '\0';
    return out;
}

static const char *check_regex(const char *re, uint32_t options, char *err, size_t cap)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, options, &code, &off,
                                  NULL);
    if (c != NULL) {
        pcre2_code_free(c);
        return NULL;
    }
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
        snprintf((char *)msg, sizeof(msg), "error %d", code);
    snprintf(err, cap, "invalid regex: '%.200s' (%s at offset %zu)", re, (const char *)msg,
             (size_t)off);
    return err;
}

const char *sl_ent_route_check_path(const char *path, char *err, size_t cap)
{
    if (strstr(path, "//") != NULL)
        return "must not have empty segments";
    bool regex = path[0] == '~';
    if (path[0] != '/' && !(regex && path[1] == '/'))
        return "should start with: / (fixed path) or ~/ (regex path)";
    if (regex)
        return check_regex(path + 1, 0, err, cap);
    /* Kong checks %-escapes only on paths made of RFC 3986 characters */
    if (sl_check_path_chars(path, err, cap) == 2)
        return err;
    size_t len = strlen(path);
    char norm[2048];
    if (len >= sizeof(norm))
        return "path too long";
    if (sl_path_normalize(path, len, norm) < 0) {
        /* a malformed %-escape on a path with other characters too */
        const char *pct = strchr(path, '%');
        snprintf(err, cap, "invalid url-encoded value: '%.3s'", pct ? pct : "%");
        return err;
    }
    if (strcmp(norm, path) != 0) {
        snprintf(err, cap, "non-normalized path, consider use '%.1000s' instead", norm);
        return err;
    }
    return NULL;
}

static void build_paths(sl_loader_t *ld, sl_ent_t *e, sl_route_t *r)
{
    const sl_node_t *n = sl_node_map_get(e->node, "paths");
    if (sl_node_is_null(n))
        return;
    if (n->kind != SL_NODE_SEQ) {
        sl_loader_err(ld, n, "expected an array");
        return;
    }
    const char **v = sl_arena_calloc(&ld->cfg->arena, n->n ? n->n : 1, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        const sl_node_t *el = n->items[i];
        const char *path = sl_schema_string(ld, el);
        if (path == NULL)
            continue;
        if (ld->version < 30)
            path = sl_ent_route_migrate_path(&ld->cfg->arena, path);
        char err[SL_CHECK_ERR_MAX + 1024];
        const char *msg = sl_ent_route_check_path(path, err, sizeof(err));
        if (msg != NULL)
            sl_loader_err(ld, el, "%s", msg);
        v[i] = path;
    }
    r->paths.v = v;
    r->paths.n = n->n;
}

/* ---- headers ---- */

static void build_headers(sl_loader_t *ld, sl_ent_t *e, sl_route_t *r)
{
    const sl_node_t *n = sl_node_map_get(e->node, "headers");
    if (sl_node_is_null(n))
        return;
    if (n->kind != SL_NODE_MAP) {
        sl_loader_err(ld, n, "expected a map");
        return;
    }
    sl_route_header_t *h = sl_arena_calloc(&ld->cfg->arena, n->n ? n->n : 1, sizeof(*h));
    size_t count = 0;
    for (size_t i = 0; i < n->n; i++) {
        const sl_node_t *k = n->pairs[i].key, *vals = n->pairs[i].value;
        const char *name = sl_node_str(k);
        char err[SL_CHECK_ERR_MAX];
        if (name == NULL) {
            sl_loader_err(ld, k, "expected a string");
            continue;
        }
        if (strcasecmp(name, "host") == 0) {
            sl_loader_err(ld, k, "cannot contain 'host' header, which must be specified in the "
                                 "'hosts' attribute");
            continue;
        }
        const char *msg = sl_check_header_name(name, err, sizeof(err));
        if (msg != NULL) {
            sl_loader_err(ld, k, "%s", msg);
            continue;
        }
        char *lower = sl_arena_strdup(&ld->cfg->arena, name);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        bool dup = false;
        for (size_t j = 0; j < count && !dup; j++)
            dup = strcmp(h[j].name, lower) == 0;
        if (dup) {
            /* two spellings of one header name would make an unmatchable route */
            sl_loader_err(ld, k, "duplicate header name '%s'", lower);
            continue;
        }
        if (sl_node_is_null(vals)) {
            sl_loader_err(ld, vals ? vals : k, "required field missing");
            continue;
        }
        sl_strlist_t list;
        if (sl_schema_strings(ld, vals, false, NULL, &list) != 0)
            continue;
        for (size_t j = 0; j < list.n; j++) {
            if (strncmp(list.v[j], "~*", 2) == 0 &&
                check_regex(list.v[j] + 2, PCRE2_CASELESS, err, sizeof(err)) != NULL)
                sl_loader_err(ld, vals->items[j], "%s", err);
        }
        h[count].name = lower;
        h[count].values = list;
        count++;
    }
    r->headers = h;
    r->n_headers = count;
}

/* ---- protocols and entity checks ---- */

static unsigned build_protocols(sl_loader_t *ld, sl_ent_t *e)
{
    const sl_node_t *n = sl_node_map_get(e->node, "protocols");
    if (sl_node_is_null(n))
        return SL_PROTO_HTTP | SL_PROTO_HTTPS;
    if (n->kind != SL_NODE_SEQ) {
        sl_loader_err(ld, n, "expected a set");
        return 0;
    }
    if (n->n == 0) {
        sl_loader_err(ld, n, "length must be at least 1");
        return 0;
    }
    /* mutually_exclusive_subsets, in the order the groups first appear */
    static const struct {
        unsigned bits;
        const char *text;
    } groups[] = {
        {SL_PROTO_HTTP | SL_PROTO_HTTPS, "('http', 'https')"},
        {SL_PROTO_TCP | SL_PROTO_TLS | SL_PROTO_UDP, "('tcp', 'tls', 'udp')"},
        {SL_PROTO_TLS_PASSTHROUGH, "('tls_passthrough')"},
        {SL_PROTO_GRPC | SL_PROTO_GRPCS, "('grpc', 'grpcs')"},
    };
    unsigned bits = 0, seen_groups = 0;
    char order[4];
    size_t n_order = 0;
    bool ok = true;
    char err[SL_CHECK_ERR_MAX];
    for (size_t i = 0; i < n->n; i++) {
        const char *p = sl_schema_string(ld, n->items[i]);
        if (p == NULL) {
            ok = false;
            continue;
        }
        unsigned bit = sl_schema_proto_bit(p);
        if (bit == 0) {
            sl_loader_err(ld, n->items[i], "%s",
                          sl_schema_one_of_msg(sl_schema_protocols, err, sizeof(err)));
            ok = false;
            continue;
        }
        bits |= bit;
        for (size_t g = 0; g < 4; g++) {
            if ((groups[g].bits & bit) && !(seen_groups & (1u << g))) {
                seen_groups |= 1u << g;
                order[n_order++] = (char)g;
            }
        }
    }
    if (n_order > 1) {
        char msg[256];
        size_t o = (size_t)snprintf(msg, sizeof(msg), "these sets are mutually exclusive: ");
        for (size_t i = 0; i < n_order; i++)
            o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s", i ? ", " : "",
                                  groups[(int)order[i]].text);
        sl_loader_err(ld, n, "%s", msg);
        return 0;
    }
    for (size_t i = 0; ok && i < n->n; i++) {
        const char *p = sl_node_str(n->items[i]);
        if (!(sl_schema_proto_bit(p) & (SL_PROTO_HTTP | SL_PROTO_HTTPS)))
            sl_loader_err(ld, n->items[i], "protocol '%s' is not supported by sluice yet", p);
    }
    return ok ? bits : 0;
}

static bool nonempty(const sl_node_t *n)
{
    if (sl_node_is_null(n))
        return false;
    if (n->kind == SL_NODE_SEQ || n->kind == SL_NODE_MAP)
        return n->n > 0;
    return n->len > 0;
}

/* The http subschema's entity checks (routes_subschemas.lua). */
static void check_http_rules(sl_loader_t *ld, sl_ent_t *e, unsigned protocols)
{
    const sl_node_t *node = e->node;
    if (!(protocols & (SL_PROTO_HTTP | SL_PROTO_HTTPS)))
        return;
    bool any = nonempty(sl_node_map_get(node, "methods")) ||
               nonempty(sl_node_map_get(node, "hosts")) ||
               nonempty(sl_node_map_get(node, "headers")) ||
               nonempty(sl_node_map_get(node, "paths"));
    if (protocols & SL_PROTO_HTTPS) {
        if (!any && !nonempty(sl_node_map_get(node, "snis")))
            sl_loader_err(ld, node, "must set one of 'methods', 'hosts', 'headers', 'paths', "
                                    "'snis' when 'protocols' is 'https'");
    } else if (!any) {
        sl_loader_err(ld, node, "must set one of 'methods', 'hosts', 'headers', 'paths' when "
                                "'protocols' is 'http'");
    }
    const sl_node_t *snis = sl_node_map_get(node, "snis");
    if (nonempty(snis) && !(protocols & SL_PROTO_HTTPS))
        sl_loader_err(ld, snis, "'snis' can only be set when 'protocols' is 'grpcs', 'https', "
                                "'tls' or 'tls_passthrough'");
    static const char *const stream_only[] = {"sources", "destinations", NULL};
    for (size_t i = 0; stream_only[i] != NULL; i++) {
        const sl_node_t *v = sl_node_map_get(node, stream_only[i]);
        if (!sl_node_is_null(v))
            sl_loader_err(ld, v, "cannot set '%s' when 'protocols' is 'http' or 'https'",
                          stream_only[i]);
    }
}

void sl_ent_route_build(sl_loader_t *ld, sl_ent_t *e)
{
    sl_route_t *r = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*r));
    e->obj = r;
    r->pos.line = e->node->line;
    r->pos.col = e->node->col;
    sl_schema_check(ld, route_fields, e->node, r, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, r->id);

    r->protocols = build_protocols(ld, e);
    build_paths(ld, e, r);
    build_headers(ld, e, r);
    check_http_rules(ld, e, r->protocols);

    const sl_node_t *ph = sl_node_map_get(e->node, "path_handling");
    if (!sl_node_is_null(ph)) {
        static const char *const handlings[] = {"v0", "v1", NULL};
        const char *s = sl_schema_string(ld, ph);
        char err[64];
        if (s != NULL && strcmp(s, "v0") != 0 && strcmp(s, "v1") != 0)
            sl_loader_err(ld, ph, "%s", sl_schema_one_of_msg(handlings, err, sizeof(err)));
        else if (s != NULL)
            r->path_handling = s[1] - '0';
    }

    sl_entities_fk(ld, e, "service", SL_FK_SERVICE, false);
    sl_entities_nested(ld, e, "plugins", SL_ENT_PLUGIN);
}
