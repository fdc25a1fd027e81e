/*
 * security-headers: sluice's own plugin, not one of Kong's. It adds the response headers
 * that nginx configurations add by hand (add_header X-Frame-Options DENY and friends) to
 * every response of its scope, proxied or made by the gateway, without writing a
 * response-transformer per header.
 *
 * Defaults, each field may be null to send no such header:
 *   x_frame_options          "DENY" (or "SAMEORIGIN")
 *   x_content_type_options   "nosniff"
 *   referrer_policy          "strict-origin-when-cross-origin": what current browsers do
 *                            anyway, sent so older ones do too. It keeps full referrers
 *                            within the site (CSRF checks and analytics that read Referer
 *                            keep working, which a gateway operator cannot audit for every
 *                            upstream) while other sites see the origin only. "no-referrer"
 *                            is stricter and may be chosen.
 *   x_xss_protection         true, sending "0": the XSS auditors of old browsers could be
 *                            abused to hide parts of a page, so the advice is to turn them
 *                            off and rely on Content-Security-Policy. false or null: none.
 *   strict_transport_security  null: sluice terminates no TLS yet, and HSTS sent over plain
 *                            HTTP behind a proxy that does is the operator's call. A record
 *                            {max_age (31536000), include_subdomains (false), preload
 *                            (false)} sends it.
 *   content_security_policy  null (a policy is specific to each site)
 *   permissions_policy       null
 *   override                 false: a header the upstream sent is kept (it knows whether its
 *                            page may be framed); true replaces it.
 *
 * Priority 810: in header_filter it runs before response-transformer (800), so a
 * transformer rule for the same header has the last word.
 */
#include <stdio.h>
#include <string.h>

#include "config/node.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"

enum { H_FRAME, H_NOSNIFF, H_REFERRER, H_XSS, H_HSTS, H_CSP, H_PERMISSIONS, H_COUNT };

static const char *const header_names[H_COUNT] = {
    "X-Frame-Options",           "X-Content-Type-Options",  "Referrer-Policy",
    "X-XSS-Protection",          "Strict-Transport-Security", "Content-Security-Policy",
    "Permissions-Policy",
};

typedef struct conf {
    const char *value[H_COUNT]; /* NULL: not sent */
    bool override;
} conf_t;

static const char *const frame_values[] = {"DENY", "SAMEORIGIN", NULL};
static const char *const nosniff_values[] = {"nosniff", NULL};
/* the W3C Referrer Policy's tokens */
static const char *const referrer_values[] = {
    "no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
    "same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url", NULL};

/* A header value: a non-empty string without control characters. */
static const char *header_value(const sl_node_t *v, sl_arena_t *a, sl_diag_t *diag)
{
    const char *s = sl_node_str(v);
    if (s == NULL) {
        sl_diag_add_node(diag, v, "expected a string");
        return NULL;
    }
    if (v->len == 0) {
        sl_diag_add_node(diag, v, "length must be at least 1");
        return NULL;
    }
    for (size_t i = 0; i < v->len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            sl_diag_add_node(diag, v, "expected a header value without control characters");
            return NULL;
        }
    }
    return sl_arena_strndup(a, s, v->len);
}

static const char *one_of(const sl_node_t *v, const char *const *values, sl_diag_t *diag)
{
    int i = sl_pconf_one_of(diag, v, values);
    return i < 0 ? NULL : values[i];
}
/* The fields of strict_transport_security in the order they are read, for suggestions. */
static const char *const hsts_fields[] = {"max_age", "include_subdomains", "preload", NULL};

static const char *parse_hsts(const sl_node_t *v, sl_arena_t *a, sl_diag_t *diag)
{
    if (v->kind != SL_NODE_MAP) {
        sl_diag_add_node(diag, v, "expected a record");
        return NULL;
    }
    int64_t max_age = 31536000;
    bool subdomains = false, preload = false;
    const sl_node_t *preload_node = NULL;
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; i < v->n; i++) {
        const sl_node_t *k = v->pairs[i].key, *f = v->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(f))
            continue;
        if (strcmp(key, "max_age") == 0) {
            if (sl_node_int(f, &max_age) != 0 || max_age < 0 || max_age > 0x7fffffff)
                sl_diag_add_node(diag, f, "expected an integer between 0 and 2147483647");
        } else if (strcmp(key, "include_subdomains") == 0) {
            sl_pconf_bool(diag, f, &subdomains);
        } else if (strcmp(key, "preload") == 0) {
            preload_node = f;
            sl_pconf_bool(diag, f, &preload);
        } else {
            sl_pconf_unknown(diag, k, hsts_fields);
        }
    }
    /* browsers' preload lists (hstspreload.org) take only what covers every subdomain for
     * at least a year */
    if (preload && (!subdomains || max_age < 31536000))
        sl_diag_add_node(diag, preload_node,
                         "preload requires include_subdomains and a max_age of at least 31536000");
    if (diag->n + diag->dropped != errors)
        return NULL;
    return sl_arena_printf(a, "max-age=%lld%s%s", (long long)max_age,
                           subdomains ? "; includeSubDomains" : "", preload ? "; preload" : "");
}

/* The config fields, in the order they are read, for suggestions. */
static const char *const fields[] = {
    "x_frame_options", "x_content_type_options", "referrer_policy", "x_xss_protection",
    "strict_transport_security", "content_security_policy", "permissions_policy", "override", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    c->value[H_FRAME] = "DENY";
    c->value[H_NOSNIFF] = "nosniff";
    c->value[H_REFERRER] = "strict-origin-when-cross-origin";
    c->value[H_XSS] = "0";
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        bool null = sl_node_is_null(v);
        if (strcmp(key, "x_frame_options") == 0) {
            c->value[H_FRAME] = null ? NULL : one_of(v, frame_values, diag);
        } else if (strcmp(key, "x_content_type_options") == 0) {
            c->value[H_NOSNIFF] = null ? NULL : one_of(v, nosniff_values, diag);
        } else if (strcmp(key, "referrer_policy") == 0) {
            c->value[H_REFERRER] = null ? NULL : one_of(v, referrer_values, diag);
        } else if (strcmp(key, "x_xss_protection") == 0) {
            bool on = false;
            if (!null)
                sl_pconf_bool(diag, v, &on);
            c->value[H_XSS] = on ? "0" : NULL;
        } else if (strcmp(key, "strict_transport_security") == 0) {
            c->value[H_HSTS] = null ? NULL : parse_hsts(v, arena, diag);
        } else if (strcmp(key, "content_security_policy") == 0) {
            c->value[H_CSP] = null ? NULL : header_value(v, arena, diag);
        } else if (strcmp(key, "permissions_policy") == 0) {
            c->value[H_PERMISSIONS] = null ? NULL : header_value(v, arena, diag);
        } else if (strcmp(key, "override") == 0) {
            if (!null)
                sl_pconf_bool(diag, v, &c->override);
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    return diag->n + diag->dropped == errors ? c : NULL;
}

static void on_header_filter(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    for (int h = 0; h < H_COUNT; h++) {
        const char *v = c->value[h];
        if (v == NULL)
            continue;
        sl_slice_t value = sl_slice(v, strlen(v));
        if (c->override)
            sl_pdk_set_response_header(req, header_names[h], value);
        else if (sl_pdk_response_header(req, header_names[h]).p == NULL)
            sl_pdk_add_response_header(req, header_names[h], value);
    }
}

const sl_plugin_desc_t sl_plugin_security_headers = {
    .name = "security-headers",
    .priority = 810,
    .version = SLUICE_VERSION,
    .parse = parse,
    .header_filter = on_header_filter,
};
