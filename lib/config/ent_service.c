/*
 * Services. The `url` shorthand expands as Kong's shorthand_fields does (services.lua):
 * scheme -> protocol, host, port (explicit, else 80 for http and 443 for https), path or
 * null. Unlike Kong, which lets the url silently override, combining `url` with protocol,
 * host, port or path is refused, so that no value written in the file is ignored.
 *
 * sluice proxies plain HTTP upstreams only: any other protocol is refused at the field, and
 * the TLS-only fields (client_certificate, tls_verify, tls_verify_depth, ca_certificates)
 * get Kong's "value must be null" unless the protocol is https or tls.
 */
#include "config/ent_service.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/check.h"
#include "config/entities.h"
#include "config/schema.h"

#define S(field) offsetof(sl_service_t, field)

static const sl_field_t service_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = S(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "name", .type = SL_FT_STRING, .off = S(name), .check = sl_check_name},
    {.name = "retries", .type = SL_FT_INT, .off = S(retries), .size = sizeof(int), .min = 0,
     .max = 32767, .def = "5"},
    {.name = "protocol", .type = SL_FT_CUSTOM},
    {.name = "host", .type = SL_FT_CUSTOM},
    {.name = "port", .type = SL_FT_CUSTOM},
    {.name = "path", .type = SL_FT_CUSTOM},
    {.name = "url", .type = SL_FT_CUSTOM},
    {.name = "connect_timeout", .type = SL_FT_INT, .off = S(connect_timeout_ms),
     .size = sizeof(uint32_t), .min = 1, .max = 2147483646, .def = "60000"},
    {.name = "write_timeout", .type = SL_FT_INT, .off = S(write_timeout_ms),
     .size = sizeof(uint32_t), .min = 1, .max = 2147483646, .def = "60000"},
    {.name = "read_timeout", .type = SL_FT_INT, .off = S(read_timeout_ms),
     .size = sizeof(uint32_t), .min = 1, .max = 2147483646, .def = "60000"},
    {.name = "tags", .type = SL_FT_TAGS, .off = S(tags)},
    {.name = "client_certificate", .type = SL_FT_CUSTOM},
    {.name = "tls_verify", .type = SL_FT_CUSTOM},
    {.name = "tls_verify_depth", .type = SL_FT_CUSTOM},
    {.name = "ca_certificates", .type = SL_FT_CUSTOM},
    {.name = "enabled", .type = SL_FT_BOOL, .flags = SL_F_REQUIRED, .off = S(enabled),
     .def = "true"},
    {.name = "routes", .type = SL_FT_CUSTOM},
    {.name = "plugins", .type = SL_FT_CUSTOM},
    {.name = NULL},
};

const char *sl_ent_service_split_url(const char *url, char *buf, size_t cap, const char **scheme,
                                     const char **host, int *port, const char **path,
                                     char *err, size_t err_cap)
{
    size_t len = strlen(url);
    if (2 * len + 4 > cap)
        return "url too long";
    memcpy(buf, url, len + 1);
    char *p = buf;
    /* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) "://" */
    char *colon = strstr(p, "://");
    bool scheme_ok = colon != NULL && colon != p;
    for (char *q = p; scheme_ok && q < colon; q++) {
        bool alpha = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z');
        scheme_ok = alpha || (q != p && ((*q >= '0' && *q <= '9') || strchr("+-.", *q)));
    }
    if (!scheme_ok)
        return "missing scheme in url";
    *colon = '\0';
    *scheme = p;
    p = colon + 3;

    /* authority ends at '/', '?' or '#' */
    size_t auth_len = strcspn(p, "/?#");
    char *rest = p + auth_len;
    if (strpbrk(rest, "?#") != NULL)
        return "url must not have a query string or fragment";
    /* the path (or nothing) starts where the authority ends: move it out of the way */
    char *path_buf = buf + len + 2;
    size_t path_len = strlen(rest);
    memmove(path_buf, rest, path_len + 1);
    *path = path_len ? path_buf : NULL;
    p[auth_len] = '\0';

    if (memchr(p, '@', auth_len) != NULL)
        return "url must not have user information";
    char *port_str = NULL;
    if (p[0] == '[') {
        char *close = strchr(p, ']');
        if (close == NULL)
            return "missing host in url";
        if (close[1] == ':')
            port_str = close + 2;
        else if (close[1] != '\0')
            return "invalid port in url";
        close[1] = '\0';
    } else {
        char *c = strrchr(p, ':');
        if (c != NULL) {
            *c = '\0';
            port_str = c + 1;
        }
    }
    if (p[0] == '\0')
        return "missing host in url";
    *host = p;
    *port = -1;
    if (port_str != NULL) {
        long v = 0;
        if (*port_str == '\0')
            return "invalid port in url";
        for (const char *d = port_str; *d; d++) {
            if (*d < '0' || *d > '9')
                return "invalid port in url";
            if (v <= 65535)
                v = v * 10 + (*d - '0');
        }
        if (v > 65535) {
            snprintf(err, err_cap, "value should be between 0 and 65535");
            return err;
        }
        *port = (int)v;
    }
    if (*port < 0)
        *port = strcmp(*scheme, "https") == 0 ? 443 : 80;
    return NULL;
}

/* Validates and stores a host (the `host` field or the url's), reporting at <at>. */
static void set_host(sl_loader_t *ld, sl_service_t *s, const char *host, const sl_node_t *at)
{
    char err[SL_CHECK_ERR_MAX];
    const char *msg = sl_check_host(host, err, sizeof(err));
    if (msg != NULL) {
        sl_loader_err(ld, at, "%s", msg);
        return;
    }
    sl_hostport_t hp;
    sl_check_hostport(host, &hp, err, sizeof(err));
    s->host = sl_arena_strdup(&ld->cfg->arena, hp.host);
}

static void set_path(sl_loader_t *ld, sl_service_t *s, const char *path, const sl_node_t *at)
{
    char err[SL_CHECK_ERR_MAX];
    const char *msg = sl_check_path(path, err, sizeof(err));
    if (msg != NULL)
        sl_loader_err(ld, at, "%s", msg);
    else
        s->path = sl_arena_strdup(&ld->cfg->arena, path);
}

/* Returns the protocol name ("http" by default) and the node to report protocol errors at. */
static const char *address_from_url(sl_loader_t *ld, sl_ent_t *e, sl_service_t *s,
                                    const sl_node_t *url, const sl_node_t **proto_at)
{
    static const char *const shadowed[] = {"protocol", "host", "port", "path", NULL};
    for (size_t i = 0; shadowed[i] != NULL; i++) {
        const sl_node_pair_t *p = sl_node_map_find(e->node, shadowed[i]);
        if (p != NULL && !sl_node_is_null(p->value))
            sl_loader_err(ld, p->key, "cannot set '%s' when 'url' is set", shadowed[i]);
    }
    *proto_at = url;
    const char *u = sl_schema_string(ld, url);
    if (u == NULL)
        return NULL;
    char buf[2200], err[SL_CHECK_ERR_MAX];
    const char *scheme, *host, *path;
    int port;
    const char *msg = sl_ent_service_split_url(u, buf, sizeof(buf), &scheme, &host, &port, &path,
                                               err, sizeof(err));
    if (msg != NULL) {
        sl_loader_err(ld, url, "%s", msg);
        return NULL;
    }
    set_host(ld, s, host, url);
    s->port = (uint16_t)port;
    if (path != NULL)
        set_path(ld, s, path, url);
    return sl_arena_strdup(&ld->cfg->arena, scheme);
}

static const char *address_from_fields(sl_loader_t *ld, sl_ent_t *e, sl_service_t *s,
                                       const sl_node_t **proto_at)
{
    const char *protocol = "http";
    const sl_node_t *n = sl_node_map_get(e->node, "protocol");
    *proto_at = n;
    if (!sl_node_is_null(n))
        protocol = sl_schema_string(ld, n);

    n = sl_node_map_get(e->node, "host");
    if (sl_node_is_null(n)) {
        sl_loader_missing(ld, e->node, "host");
    } else {
        const char *host = sl_schema_string(ld, n);
        if (host != NULL)
            set_host(ld, s, host, n);
    }

    s->port = 80;
    n = sl_node_map_get(e->node, "port");
    int64_t port;
    if (!sl_node_is_null(n) && sl_schema_int(ld, n, 0, 65535, &port) == 0)
        s->port = (uint16_t)port;

    n = sl_node_map_get(e->node, "path");
    if (!sl_node_is_null(n)) {
        const char *path = sl_schema_string(ld, n);
        if (path != NULL)
            set_path(ld, s, path, n);
    }
    return protocol;
}

/* The fields Kong allows only for https / tls services. */
static void check_tls_fields(sl_loader_t *ld, sl_ent_t *e, const char *protocol)
{
    bool tls = protocol != NULL && (strcmp(protocol, "https") == 0 || strcmp(protocol, "tls") == 0);
    const sl_node_t *n = sl_node_map_get(e->node, "client_certificate");
    bool ok = true;
    if (!sl_node_is_null(n)) {
        const char *id = sl_node_str(n);
        if (n->kind == SL_NODE_MAP)
            id = sl_node_str(sl_node_map_get(n, "id"));
        if (id == NULL || !sl_check_uuid(id)) {
            sl_loader_err(ld, n, "expected a valid UUID");
            ok = false;
        }
        if (ok && !tls)
            sl_loader_err(ld, n, "value must be null");
    }
    n = sl_node_map_get(e->node, "tls_verify");
    bool b;
    if (!sl_node_is_null(n) && sl_schema_bool(ld, n, &b) == 0 && !tls)
        sl_loader_err(ld, n, "value must be null");
    n = sl_node_map_get(e->node, "tls_verify_depth");
    int64_t depth;
    if (!sl_node_is_null(n) && sl_schema_int(ld, n, 0, 64, &depth) == 0 && !tls)
        sl_loader_err(ld, n, "value must be null");
    n = sl_node_map_get(e->node, "ca_certificates");
    if (!sl_node_is_null(n)) {
        ok = true;
        if (n->kind != SL_NODE_SEQ) {
            sl_loader_err(ld, n, "expected an array");
            ok = false;
        } else {
            for (size_t i = 0; i < n->n; i++) {
                const char *id = sl_node_str(n->items[i]);
                if (id == NULL) {
                    sl_loader_err(ld, n->items[i], "expected a string");
                    ok = false;
                } else if (!sl_check_uuid(id)) {
                    sl_loader_err(ld, n->items[i], "expected a valid UUID");
                    ok = false;
                }
            }
        }
        if (ok && !tls)
            sl_loader_err(ld, n, "value must be null");
    }
}

void sl_ent_service_build(sl_loader_t *ld, sl_ent_t *e)
{
    sl_service_t *s = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*s));
    e->obj = s;
    s->pos.line = e->node->line;
    s->pos.col = e->node->col;
    sl_schema_check(ld, service_fields, e->node, s, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, s->id);

    const sl_node_t *url = sl_node_map_get(e->node, "url");
    const sl_node_t *proto_at = NULL;
    const char *protocol = sl_node_is_null(url) ? address_from_fields(ld, e, s, &proto_at)
                                                : address_from_url(ld, e, s, url, &proto_at);
    if (protocol != NULL) {
        char err[SL_CHECK_ERR_MAX];
        s->protocol = sl_schema_proto_bit(protocol);
        if (s->protocol == 0)
            sl_loader_err(ld, proto_at, "%s",
                          sl_schema_one_of_msg(sl_schema_protocols, err, sizeof(err)));
        else if (s->protocol != SL_PROTO_HTTP)
            sl_loader_err(ld, proto_at, "protocol '%s' is not supported by sluice yet",
                          protocol);
    }
    check_tls_fields(ld, e, protocol);

    sl_entities_nested(ld, e, "routes", SL_ENT_ROUTE);
    sl_entities_nested(ld, e, "plugins", SL_ENT_PLUGIN);
}
