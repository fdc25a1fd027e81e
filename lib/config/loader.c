/*
 * The loading pipeline: walk and build every entity (entities.c), then resolve references
 * and compute what depends on several entities (refs.c), then lay the model arrays out in
 * the config arena. Each stage reports every error it finds and the pipeline goes on as far
 * as it can, so that one run shows all the problems of a file.
 */
#include "config/loader.h"

#include "config/load.h"

#include <mbedtls/md5.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/entities.h"
#include "config/errtree.h"
#include "config/json.h"
#include "config/refs.h"
#include "core/errors.h"
#include "core/xalloc.h"

static const char *const kind_names[SL_ENT__COUNT] = {
    [SL_ENT_SERVICE] = "services",
    [SL_ENT_ROUTE] = "routes",
    [SL_ENT_UPSTREAM] = "upstreams",
    [SL_ENT_TARGET] = "targets",
    [SL_ENT_CONSUMER] = "consumers",
    [SL_ENT_KEYAUTH] = "keyauth_credentials",
    [SL_ENT_BASICAUTH] = "basicauth_credentials",
    [SL_ENT_JWT] = "jwt_secrets",
    [SL_ENT_ACL] = "acls",
    [SL_ENT_PLUGIN] = "plugins",
    [SL_ENT_CERTIFICATE] = "certificates",
    [SL_ENT_SNI] = "snis",
    [SL_ENT_CA_CERTIFICATE] = "ca_certificates",
};

const char *sl_loader_kind_name(sl_ent_kind_t kind)
{
    return kind < SL_ENT__COUNT ? kind_names[kind] : "?";
}

void sl_loader_push(sl_loader_t *ld, sl_ptrvec_t *vec, void *p)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 8;
        void **v = sl_arena_alloc(&ld->tmp, cap * sizeof(void *));
        if (vec->n)
            memcpy(v, vec->v, vec->n * sizeof(void *));
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = p;
}

/* Messages are cut at 1 KiB, whatever they quote from the file. */
static void vreport(sl_loader_t *ld, const sl_diag_about_t *about, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vreport(sl_loader_t *ld, const sl_diag_about_t *about, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    sl_diag_add_about(ld->diag, about, "%s", msg);
}

void sl_loader_err(sl_loader_t *ld, const sl_node_t *n, const char *fmt, ...)
{
    sl_diag_about_t about = {.node = n};
    va_list ap;
    va_start(ap, fmt);
    vreport(ld, &about, fmt, ap);
    va_end(ap);
}

void sl_loader_err_about(sl_loader_t *ld, const sl_diag_about_t *about, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ld, about, fmt, ap);
    va_end(ap);
}

void sl_loader_missing(sl_loader_t *ld, const sl_node_t *map, const char *field)
{
    const sl_node_t *v = sl_node_map_get(map, field);
    sl_diag_about_t about = {.node = v ? v : map, .field = v ? NULL : field};
    sl_loader_err_about(ld, &about, "required field missing");
}

bool sl_loader_failed(const sl_loader_t *ld)
{
    return ld->diag->n + ld->diag->dropped > ld->diag_start;
}

const char *sl_loader_strdup(sl_loader_t *ld, const sl_node_t *n)
{
    return sl_arena_strndup(&ld->cfg->arena, n->str, n->len);
}

/* Copies the built structs of <kind> into a model array in the config arena. */
static void **model_array(sl_loader_t *ld, sl_ent_kind_t kind, size_t *n_out)
{
    sl_ptrvec_t *vec = &ld->ents[kind];
    void **v = sl_arena_calloc(&ld->cfg->arena, vec->n ? vec->n : 1, sizeof(void *));
    size_t n = 0;
    for (size_t i = 0; i < vec->n; i++) {
        sl_ent_t *e = vec->v[i];
        if (!e->invalid && e->obj != NULL)
            v[n++] = e->obj;
    }
    *n_out = n;
    return v;
}

static int run(sl_loader_t *ld, const sl_node_t *root)
{
    /* References are checked even after schema errors (entities that are not mappings are
     * skipped), so that a dangling reference is reported together with a type error. */
    sl_entities_walk(ld, root);
    sl_refs_resolve(ld);
    if (sl_loader_failed(ld))
        return SL_EINVAL;

    sl_config_t *c = ld->cfg;
    c->services = (sl_service_t **)model_array(ld, SL_ENT_SERVICE, &c->n_services);
    c->routes = (sl_route_t **)model_array(ld, SL_ENT_ROUTE, &c->n_routes);
    c->upstreams = (sl_upstream_t **)model_array(ld, SL_ENT_UPSTREAM, &c->n_upstreams);
    c->targets = (sl_target_t **)model_array(ld, SL_ENT_TARGET, &c->n_targets);
    c->consumers = (sl_consumer_t **)model_array(ld, SL_ENT_CONSUMER, &c->n_consumers);
    c->keyauth_credentials =
        (sl_keyauth_credential_t **)model_array(ld, SL_ENT_KEYAUTH, &c->n_keyauth_credentials);
    c->basicauth_credentials = (sl_basicauth_credential_t **)model_array(
        ld, SL_ENT_BASICAUTH, &c->n_basicauth_credentials);
    c->jwt_secrets = (sl_jwt_secret_t **)model_array(ld, SL_ENT_JWT, &c->n_jwt_secrets);
    c->acls = (sl_acl_t **)model_array(ld, SL_ENT_ACL, &c->n_acls);
    c->plugins = (sl_plugin_instance_t **)model_array(ld, SL_ENT_PLUGIN, &c->n_plugins);
    c->certificates =
        (sl_certificate_t **)model_array(ld, SL_ENT_CERTIFICATE, &c->n_certificates);
    c->snis = (sl_sni_t **)model_array(ld, SL_ENT_SNI, &c->n_snis);
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int sl_loader_format_by_name(const char *name)
{
    if (ends_with(name, ".json"))
        return SL_CONFIG_FMT_JSON;
    if (ends_with(name, ".yml") || ends_with(name, ".yaml"))
        return SL_CONFIG_FMT_YAML;
    return -1;
}

static void set_hash(sl_config_t *cfg, const char *text, size_t len)
{
    bool empty = cfg->n_services == 0 && cfg->n_routes == 0 && cfg->n_upstreams == 0 &&
                 cfg->n_targets == 0 && cfg->n_consumers == 0 &&
                 cfg->n_keyauth_credentials == 0 && cfg->n_basicauth_credentials == 0 &&
                 cfg->n_jwt_secrets == 0 && cfg->n_acls == 0 && cfg->n_plugins == 0 &&
                 cfg->n_certificates == 0 && cfg->n_snis == 0;
    if (empty) {
        /* Kong reports a configuration without entities with the all-zero hash
         * (DECLARATIVE_EMPTY_CONFIG_HASH). */
        memset(cfg->hash, '0', 32);
        cfg->hash[32] = '\0';
        return;
    }
    unsigned char md5[16];
    mbedtls_md5((const unsigned char *)text, len, md5);
    for (int i = 0; i < 16; i++)
        snprintf(cfg->hash + 2 * i, 3, "%02x", md5[i]);
}

int sl_loader_load(const char *name, const char *text, size_t len, sl_config_fmt_t fmt,
                   sl_plugin_lookup_fn find_plugin, sl_config_t **out,
                   sl_diag_t *diag)
{
    *out = NULL;
    if (diag->file == NULL) {
        const char *f = name ? name : "<body>";
        size_t n = strlen(f);
        diag->file = sl_xmalloc(n + 1);
        memcpy(diag->file, f, n + 1);
    }
    if (fmt == SL_CONFIG_FMT_AUTO) {
        if (name != NULL) {
            int f = sl_loader_format_by_name(name);
            if (f < 0) {
                sl_diag_add(diag, 0, 0, "unknown file type (accepted types: json, yaml)");
                return SL_EINVAL;
            }
            fmt = (sl_config_fmt_t)f;
        } else {
            /* Kong's POST /config: JSON first, then YAML */
            fmt = sl_json_looks_like(text, len) && sl_json_check(text, len, NULL) == 0
                      ? SL_CONFIG_FMT_JSON
                      : SL_CONFIG_FMT_YAML;
        }
    }

    sl_config_t *cfg = sl_xcalloc(1, sizeof(*cfg));
    sl_arena_init(&cfg->arena, 16384);
    cfg->source = sl_arena_strdup(&cfg->arena, name ? name : "<body>");
    memcpy(cfg->format_version, "3.0", 4);
    cfg->transform = true;

    sl_loader_t ld;
    memset(&ld, 0, sizeof(ld));
    ld.cfg = cfg;
    ld.diag = diag;
    ld.diag_start = diag->n + diag->dropped;
    ld.find_plugin = find_plugin;
    sl_arena_init(&ld.tmp, 65536);

    int rc;
    const sl_node_t *root = NULL;
    if (fmt == SL_CONFIG_FMT_JSON) {
        rc = sl_json_check(text, len, diag);
        if (rc == 0)
            rc = sl_node_parse(&ld.tmp, sl_json_prepare(&ld.tmp, text, len), len, true, diag,
                               &root);
    } else {
        rc = sl_node_parse(&ld.tmp, text, len, false, diag, &root);
    }
    bool parsed = rc == 0;
    if (rc == 0)
        rc = run(&ld, root);
    if (rc == 0 && sl_loader_failed(&ld))
        rc = SL_EINVAL;
    if (rc != 0)
        sl_errtree_place(diag, root, parsed); /* while the node tree still exists */
    sl_arena_destroy(&ld.tmp);
    if (rc != 0) {
        sl_config_free(cfg);
        return rc;
    }
    set_hash(cfg, text, len);
    cfg->text = sl_arena_strndup(&cfg->arena, text, len); /* GET /config answers with it */
    cfg->text_len = len;
    *out = cfg;
    return 0;
}
