/*
 * jwt (Kong's plugin, priority 1450): authenticates a request by a JSON Web Token signed with
 * the secret or public key of one of the consumers' jwt_secrets, found by the token's
 * key_claim_name (iss by default). kong/plugins/jwt/handler.lua and schema.lua (3.8+):
 * tokens from query arguments, cookies and Bearer headers; every failure is a 401 made with
 * kong.response.exit and a WWW-Authenticate header; with `anonymous` a failure lets the
 * request through as the anonymous consumer.
 *
 * State: the parsed config (per instance); a key -> credential index and the consumer
 * lookups for `anonymous` (per snapshot, built in configure); HMAC contexts and the parsed
 * public keys (per worker: mbedTLS contexts keep caches and are not shared between threads).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/jwt.h"
#include "auth/jwt_extract.h"
#include "config/model.h"
#include "config/node.h"
#include "core/base64.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "snapshot/snapshot.h"

const sl_plugin_desc_t sl_plugin_jwt;

enum { CLAIM_EXP = 1, CLAIM_NBF = 2 };

typedef struct conf {
    sl_strlist_t uri_param_names; /* default ["jwt"] */
    sl_strlist_t cookie_names;    /* default [] */
    sl_strlist_t header_names;    /* default ["authorization"] */
    const char *key_claim_name;   /* default "iss" */
    bool secret_is_base64;
    int claims[2];                /* CLAIM_* in the order written; 0 ends */
    double maximum_expiration;    /* 0..31536000 s; 0: no maximum */
    const char *anonymous;        /* consumer id or username, or NULL */
    bool run_on_preflight;        /* default true */
    const char *www_auth;         /* "Bearer" or Bearer realm="<realm>" */
    const char *www_auth_error;   /* the same with error="invalid_token" */
} conf_t;

/* ---- config ------------------------------------------------------------------------------ */

static sl_strlist_t one(sl_arena_t *a, const char *s)
{
    sl_strlist_t l;
    l.v = sl_arena_calloc(a, 1, sizeof(*l.v));
    l.v[0] = s;
    l.n = 1;
    return l;
}

/* The config fields in the order of jwt/schema.lua, for suggestions. */
static const char *const fields[] = {
    "uri_param_names", "cookie_names", "key_claim_name", "secret_is_base64", "claims_to_verify",
    "anonymous", "run_on_preflight", "maximum_expiration", "header_names", "realm", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    c->uri_param_names = one(arena, "jwt");
    c->header_names = one(arena, "authorization");
    c->key_claim_name = "iss";
    c->run_on_preflight = true;
    const char *realm = NULL;
    const sl_node_t *max_node = NULL, *claims_node = NULL;
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue; /* an explicit null keeps the default */
        if (strcmp(key, "uri_param_names") == 0) {
            sl_pconf_strings(diag, arena, v, &c->uri_param_names);
        } else if (strcmp(key, "cookie_names") == 0) {
            sl_pconf_strings(diag, arena, v, &c->cookie_names);
        } else if (strcmp(key, "header_names") == 0) {
            sl_pconf_strings(diag, arena, v, &c->header_names);
        } else if (strcmp(key, "key_claim_name") == 0) {
            const char *s = sl_pconf_string(diag, arena, v);
            c->key_claim_name = s ? s : c->key_claim_name;
        } else if (strcmp(key, "secret_is_base64") == 0) {
            sl_pconf_bool(diag, v, &c->secret_is_base64);
        } else if (strcmp(key, "run_on_preflight") == 0) {
            sl_pconf_bool(diag, v, &c->run_on_preflight);
        } else if (strcmp(key, "claims_to_verify") == 0) {
            sl_strlist_t l = {0};
            claims_node = v;
            if (!sl_pconf_strings(diag, arena, v, &l))
                continue;
            size_t n = 0;
            for (size_t j = 0; j < l.n; j++) {
                int claim = strcmp(l.v[j], "exp") == 0   ? CLAIM_EXP
                            : strcmp(l.v[j], "nbf") == 0 ? CLAIM_NBF
                                                         : 0;
                if (claim == 0) {
                    sl_diag_add_node(diag, v->items[j], "expected one of: exp, nbf");
                } else if (c->claims[0] != claim && c->claims[1] != claim) {
                    c->claims[n++] = claim; /* a set: a repeated name counts once */
                }
            }
        } else if (strcmp(key, "maximum_expiration") == 0) {
            sl_pconf_number(diag, v, 0, 31536000, &c->maximum_expiration);
            max_node = v;
        } else if (strcmp(key, "anonymous") == 0) {
            c->anonymous = sl_pconf_string(diag, arena, v);
        } else if (strcmp(key, "realm") == 0) {
            realm = sl_pconf_string(diag, arena, v);
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    /* schema.lua entity check: maximum_expiration > 0 needs exp in claims_to_verify */
    if (c->maximum_expiration > 0 && c->claims[0] != CLAIM_EXP && c->claims[1] != CLAIM_EXP) {
        const sl_node_t *at = claims_node ? claims_node : max_node;
        sl_diag_add_node(diag, at,
                         "failed conditional validation given value of field "
                         "'config.maximum_expiration': claims_to_verify expected to contain: exp");
    }
    /* handler.lua: 'Bearer realm="<realm>"' and the same with ' error="invalid_token"' */
    c->www_auth = realm ? sl_arena_printf(arena, "Bearer realm=\"%s\"", realm) : "Bearer";
    c->www_auth_error = sl_arena_printf(arena, "%s error=\"invalid_token\"", c->www_auth);
    return diag->n + diag->dropped == errors ? c : NULL;
}

/* ---- per snapshot: the credential index -------------------------------------------------- */

typedef struct cred {
    const sl_jwt_secret_t *s;
    sl_jwt_alg_t alg;
    uint32_t index;              /* into the worker's table of parsed keys */
    bool key_ok;                 /* a public key that parses and fits alg (not HS*) */
    const unsigned char *b64;    /* the secret decoded as base64 (secret_is_base64) */
    size_t b64_len;
    bool b64_ok;
} cred_t;

/* open addressing on string keys: a slot holds an index + 1 (0: empty) */
typedef struct strindex {
    uint32_t *slot;
    size_t mask;
} strindex_t;

typedef struct state {
    cred_t *creds;
    size_t n_creds;
    strindex_t by_key;                /* jwt secret key -> creds */
    strindex_t consumer_id, consumer_name; /* -> cfg->consumers */
    const sl_config_t *cfg;
} state_t;

static uint64_t hash_str(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void index_init(strindex_t *ix, size_t n, sl_arena_t *a)
{
    size_t cap = 8;
    while (cap < n * 2)
        cap <<= 1;
    ix->slot = sl_arena_calloc(a, cap, sizeof(*ix->slot));
    ix->mask = cap - 1;
}

static void index_put(strindex_t *ix, const char *key, uint32_t value)
{
    size_t i = hash_str(key, strlen(key)) & ix->mask;
    while (ix->slot[i] != 0)
        i = (i + 1) & ix->mask;
    ix->slot[i] = value + 1;
}

/* The first value put under <key> (<len> bytes), or -1. <name_of> gives a value's key. */
static long index_get(const strindex_t *ix, const char *key, size_t len,
                      const char *(*name_of)(const state_t *, uint32_t), const state_t *st)
{
    if (ix->slot == NULL)
        return -1;
    for (size_t i = hash_str(key, len) & ix->mask; ix->slot[i] != 0; i = (i + 1) & ix->mask) {
        const char *k = name_of(st, ix->slot[i] - 1);
        if (k && strlen(k) == len && memcmp(k, key, len) == 0)
            return (long)ix->slot[i] - 1;
    }
    return -1;
}

static const char *cred_key(const state_t *st, uint32_t i)
{
    return st->creds[i].s->key;
}

static const char *consumer_id(const state_t *st, uint32_t i)
{
    return st->cfg->consumers[i]->id;
}

static const char *consumer_username(const state_t *st, uint32_t i)
{
    return st->cfg->consumers[i]->username;
}

static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    sl_jwt_init(); /* before any worker runs: it sets cJSON's allocation hooks */
    bool used = false;
    for (size_t i = 0; i < cfg->n_plugins; i++)
        used |= cfg->plugins[i]->desc == &sl_plugin_jwt;
    if (!used)
        return NULL;
    state_t *st = sl_arena_calloc(arena, 1, sizeof(*st));
    st->cfg = cfg;
    st->n_creds = cfg->n_jwt_secrets;
    st->creds = sl_arena_calloc(arena, st->n_creds ? st->n_creds : 1, sizeof(*st->creds));
    index_init(&st->by_key, st->n_creds, arena);
    for (size_t i = 0; i < st->n_creds; i++) {
        const sl_jwt_secret_t *s = cfg->jwt_secrets[i];
        cred_t *c = &st->creds[i];
        c->s = s;
        c->index = (uint32_t)i;
        int alg = s->algorithm ? sl_jwt_alg_from_name(s->algorithm, strlen(s->algorithm)) : 0;
        c->alg = alg < 0 ? SL_JWT_EDDSA : (sl_jwt_alg_t)alg; /* the loader refused others */
        if (s->key)
            index_put(&st->by_key, s->key, (uint32_t)i);
        if (sl_jwt_alg_is_hmac(c->alg) && s->secret) {
            size_t len = strlen(s->secret);
            size_t cap = SL_BASE64_DECODED_MAX(len);
            unsigned char *buf = sl_arena_alloc(arena, cap + 1);
            long n = sl_base64_decode(s->secret, len, buf, cap, SL_BASE64_URL);
            c->b64 = buf;
            c->b64_len = n > 0 ? (size_t)n : 0;
            c->b64_ok = n >= 0;
        } else if (!sl_jwt_alg_is_hmac(c->alg)) {
            /* parsed here once to know it fits (an EC key on another curve than the
             * algorithm's never verifies); each worker parses its own copy on first use */
            mbedtls_pk_context pk;
            c->key_ok = sl_jwt_pk_parse(&pk, s->rsa_public_key, c->alg) == 0;
            mbedtls_pk_free(&pk);
        }
    }
    index_init(&st->consumer_id, cfg->n_consumers, arena);
    index_init(&st->consumer_name, cfg->n_consumers, arena);
    for (size_t i = 0; i < cfg->n_consumers; i++) {
        index_put(&st->consumer_id, cfg->consumers[i]->id, (uint32_t)i);
        if (cfg->consumers[i]->username)
            index_put(&st->consumer_name, cfg->consumers[i]->username, (uint32_t)i);
    }
    (void)diag;
    return st;
}

/* ---- per worker: HMAC contexts and parsed public keys ------------------------------------ */

typedef struct wstate {
    sl_jwt_hmac_t hmac;
    bool hmac_ok;
    uint64_t generation;       /* the snapshot the keys below belong to */
    mbedtls_pk_context **pk;   /* by cred index, parsed on first use */
    size_t n_pk;
} wstate_t;

static void free_keys(wstate_t *ws)
{
    for (size_t i = 0; i < ws->n_pk; i++) {
        if (ws->pk[i]) {
            mbedtls_pk_free(ws->pk[i]);
            free(ws->pk[i]);
        }
    }
    free(ws->pk);
    ws->pk = NULL;
    ws->n_pk = 0;
}

static void *worker_init(sl_worker_t *w)
{
    wstate_t *ws = sl_xcalloc(1, sizeof(*ws));
    ws->hmac_ok = sl_jwt_hmac_init(&ws->hmac) == 0;
    return ws;
}

static void worker_fini(sl_worker_t *w, void *state)
{
    wstate_t *ws = state;
    free_keys(ws);
    if (ws->hmac_ok)
        sl_jwt_hmac_free(&ws->hmac);
    free(ws);
}

static void pk_cleanup(void *data)
{
    mbedtls_pk_free(data);
}

/* This worker's parsed key for <c>. Keys of the newest snapshot are kept until the next one;
 * a request still running on an older snapshot parses a key for itself. */
static mbedtls_pk_context *worker_key(sl_req_t *req, wstate_t *ws, const state_t *st,
                                      const cred_t *c)
{
    if (!c->key_ok)
        return NULL;
    uint64_t gen = req->slot->snap->generation;
    if (ws->pk == NULL || gen > ws->generation) {
        free_keys(ws);
        ws->generation = gen;
        ws->pk = sl_xcalloc(st->n_creds ? st->n_creds : 1, sizeof(*ws->pk));
        ws->n_pk = st->n_creds;
    }
    if (gen == ws->generation) {
        if (ws->pk[c->index] == NULL) {
            mbedtls_pk_context *pk = sl_xmalloc(sizeof(*pk));
            if (sl_jwt_pk_parse(pk, c->s->rsa_public_key, c->alg) != 0) {
                free(pk);
                return NULL;
            }
            ws->pk[c->index] = pk;
        }
        return ws->pk[c->index];
    }
    mbedtls_pk_context *pk = sl_arena_alloc(req->arena, sizeof(*pk));
    if (sl_jwt_pk_parse(pk, c->s->rsa_public_key, c->alg) != 0)
        return NULL;
    sl_arena_cleanup(req->arena, pk_cleanup, pk);
    return pk;
}

/* ---- access ------------------------------------------------------------------------------ */

/* Why authentication failed: a message, or a claims error document (claims errors are
 * answered with the errors map as the body, as Kong does). */
typedef struct failure {
    const char *message;
    const char *body;      /* JSON document, when not a message */
    bool with_error;       /* WWW-Authenticate carries error="invalid_token" */
} failure_t;

static bool fail(failure_t *f, const char *message)
{
    f->message = message;
    f->with_error = true;
    return false;
}

static const char *claims_errors(sl_req_t *req, const conf_t *c, const sl_jwt_t *jwt)
{
    /* jwt_parser.lua verify_registered_claims: a claim must be a number; exp fails when
     * exp <= now, nbf when nbf > now; no leeway */
    double now = (double)time(NULL);
    char buf[128];
    size_t len = 0;
    for (int i = 0; i < 2 && c->claims[i]; i++) {
        const char *name = c->claims[i] == CLAIM_EXP ? "exp" : "nbf";
        const cJSON *v = sl_jwt_member(jwt->claims, name);
        const char *err = NULL;
        if (!cJSON_IsNumber(v))
            err = "must be a number";
        else if (c->claims[i] == CLAIM_EXP && v->valuedouble <= now)
            err = "token expired";
        else if (c->claims[i] == CLAIM_NBF && v->valuedouble > now)
            err = "token not valid yet";
        if (err)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\"%s\":\"%s\"",
                                    len ? "," : "{", name, err);
    }
    return len ? sl_arena_printf(req->arena, "%s}", buf) : NULL;
}

static bool authenticate(sl_req_t *req, const conf_t *c, const state_t *st, wstate_t *ws,
                         const sl_jwt_tokens_t *tokens, failure_t *f)
{
    if (tokens->n == 0) {
        f->message = "Unauthorized";
        return false;
    }
    if (tokens->n > 1)
        return fail(f, "Multiple tokens provided");
    if (tokens->first_bare)
        return fail(f, "Unrecognizable token");

    sl_jwt_t jwt;
    sl_jwt_err_t e = sl_jwt_parse(&jwt, tokens->first.p, tokens->first.len, req->arena);
    if (e != SL_JWT_OK)
        return fail(f, sl_arena_printf(req->arena, "Bad token; %s", sl_jwt_strerror(e)));

    const char *kc = c->key_claim_name;
    const cJSON *key = sl_jwt_member(jwt.claims, kc);
    if (key == NULL || cJSON_IsFalse(key))
        key = sl_jwt_member(jwt.header, kc); /* claims[name] or header[name] */
    if (key == NULL || cJSON_IsFalse(key))
        return fail(f, sl_arena_printf(req->arena, "No mandatory '%s' in claims", kc));
    if (cJSON_IsString(key) && key->valuestring[0] == '\0')
        return fail(f, sl_arena_printf(req->arena, "Invalid '%s' in claims", kc));
    long ci = -1;
    if (cJSON_IsString(key) && st != NULL)
        ci = index_get(&st->by_key, key->valuestring, strlen(key->valuestring), cred_key, st);
    if (ci < 0)
        return fail(f, sl_arena_printf(req->arena, "No credentials found for given '%s'", kc));
    const cred_t *cred = &st->creds[ci];

    if (jwt.alg != cred->alg)
        return fail(f, "Invalid algorithm");

    sl_jwt_key_t k = {.alg = cred->alg};
    if (sl_jwt_alg_is_hmac(cred->alg)) {
        if (c->secret_is_base64 && !cred->b64_ok)
            return fail(f, "Invalid key/secret");
        k.secret = c->secret_is_base64 ? cred->b64 : (const unsigned char *)cred->s->secret;
        k.secret_len = c->secret_is_base64 ? cred->b64_len : strlen(cred->s->secret);
    } else {
        /* Kong base64-decodes the PEM too when secret_is_base64 is set, which never works
         * (a PEM has spaces and newlines): "Invalid key/secret" */
        if (c->secret_is_base64)
            return fail(f, "Invalid key/secret");
        k.pk = worker_key(req, ws, st, cred);
    }
    if ((sl_jwt_alg_is_hmac(cred->alg) && !ws->hmac_ok) || !sl_jwt_verify(&jwt, &k, &ws->hmac))
        return fail(f, "Invalid signature");

    const char *errs = claims_errors(req, c, &jwt);
    if (errs) {
        f->body = errs;
        f->with_error = true;
        return false;
    }
    if (c->maximum_expiration > 0) {
        const cJSON *exp = sl_jwt_member(jwt.claims, "exp");
        if (!cJSON_IsNumber(exp) ||
            exp->valuedouble - (double)time(NULL) > c->maximum_expiration) {
            f->body = "{\"exp\":\"exceeds maximum allowed expiration\"}";
            f->with_error = true;
            return false;
        }
    }
    sl_pdk_authenticate(req, cred->s->consumer, cred->s->id, cred->s->key);
    return true;
}

/* kong.client.load_consumer(anonymous, true): by id, then by username */
static const sl_consumer_t *find_consumer(const state_t *st, const char *name)
{
    if (st == NULL)
        return NULL;
    size_t len = strlen(name);
    long i = index_get(&st->consumer_id, name, len, consumer_id, st);
    if (i < 0)
        i = index_get(&st->consumer_name, name, len, consumer_username, st);
    return i < 0 ? NULL : st->cfg->consumers[i];
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    if (!c->run_on_preflight && SL_SLICE_EQ_LIT(req->method, "OPTIONS"))
        return SL_CONTINUE;
    /* with anonymous, auth plugins are a logical OR: an earlier one already succeeded */
    if (c->anonymous && req->credential_id != NULL)
        return SL_CONTINUE;

    const state_t *st = sl_snapshot_plugin_state(req->slot->snap, &sl_plugin_jwt);
    wstate_t *ws = sl_plugin_worker_state(req->w, &sl_plugin_jwt);
    if (ws == NULL)
        return SL_ERROR;

    sl_jwt_tokens_t tokens;
    sl_jwt_extract(req, &c->uri_param_names, &c->cookie_names, &c->header_names, req->arena,
                   &tokens);
    if (tokens.n > 0 && tokens.first.len > SL_JWT_MAX_LEN) {
        /* what nginx answers before Kong's plugin ever sees such a header line */
        sl_req_send_error(req, SL_ERR_HEADER_TOO_LARGE);
        return SL_RESPONDED;
    }

    failure_t f = {0};
    if (authenticate(req, c, st, ws, &tokens, &f))
        return SL_CONTINUE;

    if (c->anonymous) {
        const sl_consumer_t *anon = find_consumer(st, c->anonymous);
        if (anon == NULL) {
            char *msg = sl_arena_printf(req->arena,
                                        "anonymous consumer %s is configured but doesn't exist",
                                        c->anonymous);
            sl_log(SL_LOG_ERROR, "jwt: %s", msg);
            sl_pdk_error(req, 500, msg);
            return SL_RESPONDED;
        }
        sl_pdk_authenticate(req, anon, NULL, NULL);
        return SL_CONTINUE;
    }
    const char *www = f.with_error ? c->www_auth_error : c->www_auth;
    sl_pdk_add_response_header(req, "WWW-Authenticate", sl_slice(www, strlen(www)));
    if (f.body)
        sl_pdk_exit(req, 401, "application/json; charset=utf-8", f.body, strlen(f.body));
    else
        sl_pdk_exit_message(req, 401, f.message);
    return SL_RESPONDED;
}

const sl_plugin_desc_t sl_plugin_jwt = {
    .name = "jwt",
    .priority = 1450,
    .version = SLUICE_VERSION,
    .parse = parse,
    .configure = configure,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .access = on_access,
};
