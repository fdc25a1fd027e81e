/*
 * key-auth (Kong's plugin, priority 1250): the request must carry a key of a key-auth
 * credential, in a header or a query argument named by key_names; the request becomes the
 * credential's consumer's (kong/plugins/key-auth/handler.lua and schema.lua, 3.7+ messages
 * and WWW-Authenticate).
 *
 * Keys are found through a per-snapshot hash index built by configure (key -> credential),
 * compared in constant time once the bucket is found. A credential's `ttl` counts from the
 * moment the snapshot was compiled. With key_in_body the whole body is read first
 * (sl_pdk_read_body, up to client_body_buffer_size) and decoded as Kong's
 * kong.request.get_body does (plugin/body_args.h); a body it cannot decode (no or another
 * Content-Type, invalid JSON, too large to read) is a 400, as in Kong.
 */
#include <string.h>
#include <time.h>

#include "config/model.h"
#include "config/node.h"
#include "plugin/body_args.h"
#include "plugin/conf.h"
#include "plugin/cred.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "snapshot/snapshot.h"

typedef struct conf {
    const char **key_names; /* default {"apikey"} */
    size_t n_key_names;
    bool key_in_header;     /* default true */
    bool key_in_query;      /* default true */
    bool key_in_body;
    bool hide_credentials;
    bool run_on_preflight;  /* default true */
    const char *anonymous;  /* consumer id or username; NULL: none */
    const char *www_auth;   /* WWW-Authenticate: "Key" or Key realm="<realm>" */
} conf_t;

typedef struct state {
    sl_cred_index_t keys;  /* key -> sl_keyauth_credential_t */
    sl_cred_consumers_t consumers;
    int64_t loaded_at;     /* ttl origin */
} state_t;

extern const sl_plugin_desc_t sl_plugin_key_auth;

static void parse_key_names(conf_t *c, const sl_node_t *v, sl_arena_t *a, sl_diag_t *diag)
{
    if (v->kind != SL_NODE_SEQ) {
        sl_diag_add_node(diag, v, "expected an array");
        return;
    }
    if (v->n == 0) {
        sl_diag_add_node(diag, v, "length must be at least 1");
        return;
    }
    c->key_names = sl_arena_calloc(a, v->n, sizeof(*c->key_names));
    c->n_key_names = 0;
    for (size_t i = 0; i < v->n; i++) {
        const sl_node_t *it = v->items[i];
        const char *s = sl_pconf_string(diag, a, it);
        if (s != NULL && !sl_pconf_header_name_ok(s, it->len))
            sl_pconf_bad_header_name(diag, it, s);
        else if (s != NULL)
            c->key_names[c->n_key_names++] = s;
    }
}

/* The config fields in the order of key-auth/schema.lua, for suggestions. */
static const char *const fields[] = {
    "key_names", "hide_credentials", "anonymous", "key_in_header", "key_in_query", "key_in_body",
    "run_on_preflight", "realm", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    static const char *const default_names[] = {"apikey"};
    c->key_names = (const char **)default_names;
    c->n_key_names = 1;
    c->key_in_header = c->key_in_query = c->run_on_preflight = true;
    c->www_auth = "Key";
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v)) {
            if (strcmp(key, "key_names") == 0)
                sl_diag_add_node(diag, v, "required field missing");
            continue; /* an explicit null keeps the default */
        }
        if (strcmp(key, "key_names") == 0) {
            parse_key_names(c, v, arena, diag);
        } else if (strcmp(key, "key_in_header") == 0) {
            sl_pconf_bool(diag, v, &c->key_in_header);
        } else if (strcmp(key, "key_in_query") == 0) {
            sl_pconf_bool(diag, v, &c->key_in_query);
        } else if (strcmp(key, "key_in_body") == 0) {
            sl_pconf_bool(diag, v, &c->key_in_body);
        } else if (strcmp(key, "hide_credentials") == 0) {
            sl_pconf_bool(diag, v, &c->hide_credentials);
        } else if (strcmp(key, "run_on_preflight") == 0) {
            sl_pconf_bool(diag, v, &c->run_on_preflight);
        } else if (strcmp(key, "anonymous") == 0) {
            c->anonymous = sl_pconf_string(diag, arena, v);
        } else if (strcmp(key, "realm") == 0) {
            const char *realm = sl_pconf_string(diag, arena, v);
            if (realm)
                c->www_auth = sl_arena_printf(arena, "Key realm=\"%s\"", realm);
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    return diag->n + diag->dropped == errors ? c : NULL;
}

static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    state_t *st = sl_arena_calloc(arena, 1, sizeof(*st));
    st->loaded_at = (int64_t)time(NULL);
    sl_cred_consumers_build(&st->consumers, cfg, arena);
    sl_cred_index_init(&st->keys, cfg->n_keyauth_credentials, arena);
    for (size_t i = 0; i < cfg->n_keyauth_credentials; i++) {
        const sl_keyauth_credential_t *k = cfg->keyauth_credentials[i];
        if (k->key == NULL || k->consumer == NULL)
            continue;
        /* the loader already refuses equal keys (a unique field); an index can hold one */
        if (sl_cred_index_put(&st->keys, k->key, strlen(k->key), k) != NULL)
            sl_diag_add(diag, k->pos.line, k->pos.col,
                        "uniqueness violation: 'keyauth_credentials' entity with key set to "
                        "'%.200s' already declared",
                        k->key);
    }
    return st;
}

typedef enum { V_NONE, V_STRING, V_MANY, V_OTHER } found_t;

static void hide(sl_req_t *req, const char *name)
{
    /* kong.service.request.clear_query_arg and clear_header */
    if (req->has_query) {
        char *q = sl_arena_alloc(req->arena, req->query.len + 1);
        size_t n = sl_cred_query_without(req->query, name, q);
        if (n != req->query.len)
            sl_pdk_set_upstream_query(req, sl_slice(q, n));
    }
    sl_pdk_clear_upstream_header(req, name);
    if (strchr(name, '_')) { /* the header may have been found under its hyphenated name */
        char *h = sl_arena_strndup(req->arena, name, strlen(name));
        for (char *p = h; *p; p++)
            if (*p == '_')
                *p = '-';
        sl_pdk_clear_upstream_header(req, h);
    }
}

/* The body as kong.request.get_body() sees it (key_in_body). */
typedef struct body {
    sl_body_type_t type;
    sl_slice_t ct;
    sl_slice_t raw;
} body_t;

static const char err_body[] = "Cannot process request body";

/* do_authentication: NULL when the request is authenticated, else the message (401, or 400
 * for err_body). */
static const char *authenticate(sl_req_t *req, const conf_t *c, const state_t *st,
                                const body_t *body)
{
    sl_slice_t key = {NULL, 0};
    found_t f = V_NONE;
    char *qbuf = NULL;
    for (size_t i = 0; i < c->n_key_names && f != V_STRING; i++) {
        const char *name = c->key_names[i];
        f = V_NONE;
        if (c->key_in_header) {
            size_t n = sl_cred_header(req->headers, req->n_headers, name, &key);
            f = n > 1 ? V_MANY : n == 1 ? V_STRING : V_NONE;
        }
        if (f == V_NONE && c->key_in_query && req->query.len) {
            if (qbuf == NULL)
                qbuf = sl_arena_alloc(req->arena, req->query.len);
            switch (sl_cred_query_arg(req->query, name, qbuf, req->query.len, &key)) {
            case SL_CRED_ARG_VALUE: f = V_STRING; break;
            case SL_CRED_ARG_MANY: f = V_MANY; break;
            case SL_CRED_ARG_FLAG: f = V_OTHER; break; /* a boolean, not a key */
            default: break;
            }
        }
        if (f == V_NONE && body) {
            sl_cred_arg_t a;
            if (!sl_body_arg(body->type, body->ct, body->raw, name, req->arena, &a, &key))
                return err_body;
            f = a == SL_CRED_ARG_VALUE ? V_STRING : a == SL_CRED_ARG_MANY ? V_MANY
                : a == SL_CRED_ARG_FLAG ? V_OTHER : V_NONE;
        }
        if (f == V_MANY)
            return "Duplicate API key found";
        if (f == V_STRING && c->hide_credentials) {
            /* the key must survive the query rewrite: it may point into qbuf only */
            hide(req, name);
            if (body) /* kong.service.request.set_body: the body without the field */
                sl_pdk_set_upstream_body(req, sl_body_without(body->type, body->ct, body->raw,
                                                              name, req->arena));
        }
    }
    if (f != V_STRING || key.len == 0)
        return "No API key found in request";
    const sl_keyauth_credential_t *cred = sl_cred_index_get(&st->keys, key.p, key.len);
    if (cred == NULL)
        return "Unauthorized";
    if (cred->ttl > 0 && (int64_t)time(NULL) >= st->loaded_at + cred->ttl)
        return "Unauthorized"; /* expired */
    sl_pdk_authenticate(req, cred->consumer, cred->id, cred->id);
    return NULL;
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    if (!c->run_on_preflight && SL_SLICE_EQ_LIT(req->method, "OPTIONS"))
        return SL_CONTINUE;
    /* logical OR between auth plugins: an earlier one has authenticated already */
    if (c->anonymous && req->credential_id)
        return SL_CONTINUE;
    const state_t *st = sl_snapshot_plugin_state(req->slot->snap, &sl_plugin_key_auth);
    body_t body, *bp = NULL;
    const char *err = NULL;
    if (c->key_in_body) {
        /* Kong reads and decodes the body before looking anywhere */
        switch (sl_pdk_read_body(req, &body.raw)) {
        case SL_RAW_BODY_WAIT: return SL_AGAIN;
        case SL_RAW_BODY_TOO_LARGE: err = err_body; break;
        case SL_RAW_BODY_READY: break;
        }
        body.ct = sl_req_header(req, "content-type");
        body.type = sl_body_type(body.ct);
        sl_cred_arg_t a;
        sl_slice_t v;
        /* get_body decodes it all up front: a body it cannot decode is refused even when
         * the key is in a header ("missing content type", "unsupported content type",
         * "invalid json body") */
        if (!sl_body_arg(body.type, body.ct, body.raw, "", req->arena, &a, &v))
            err = err_body;
        bp = &body;
    }
    if (err == NULL)
        err = authenticate(req, c, st, bp);
    if (err == NULL)
        return SL_CONTINUE;
    if (c->anonymous)
        return sl_cred_anonymous(req, &st->consumers, c->anonymous) ? SL_CONTINUE
                                                                     : SL_RESPONDED;
    if (err == err_body) {
        sl_pdk_error(req, 400, err);
        return SL_RESPONDED;
    }
    sl_pdk_add_response_header(req, "WWW-Authenticate", sl_slice(c->www_auth,
                                                                 strlen(c->www_auth)));
    sl_pdk_error(req, 401, err);
    return SL_RESPONDED;
}

const sl_plugin_desc_t sl_plugin_key_auth = {
    .name = "key-auth",
    .priority = 1250,
    .version = SLUICE_VERSION,
    .no_consumer = true,
    .parse = parse,
    .configure = configure,
    .access = on_access,
};
