/*
 * basic-auth (Kong's plugin, priority 1100): the request carries "Basic base64(user:pass)" in
 * Proxy-Authorization or Authorization; the user names a basic-auth credential whose stored
 * password is sha1_hex(password .. consumer id) (kong/plugins/basic-auth/access.lua and
 * crypto.lua; 3.6+ messages: every failure is a 401 "Unauthorized" with
 * WWW-Authenticate: Basic realm="<realm>").
 *
 * Users are found through a per-snapshot hash index built by configure; the password digest
 * is compared in constant time.
 */
#include <mbedtls/sha1.h>
#include <stdio.h>
#include <string.h>

#include "config/model.h"
#include "config/node.h"
#include "plugin/conf.h"
#include "plugin/cred.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "snapshot/snapshot.h"

typedef struct conf {
    bool hide_credentials;
    const char *anonymous; /* consumer id or username; NULL: none */
    const char *www_auth;  /* Basic realm="<realm>", realm "service" by default */
} conf_t;

typedef struct state {
    sl_cred_index_t users; /* username -> sl_basicauth_credential_t */
    sl_cred_consumers_t consumers;
} state_t;

extern const sl_plugin_desc_t sl_plugin_basic_auth;

/* The config fields in the order of basic-auth/schema.lua, for suggestions. */
static const char *const fields[] = {
    "anonymous", "hide_credentials", "realm", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    c->www_auth = "Basic realm=\"service\"";
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue; /* an explicit null keeps the default */
        if (strcmp(key, "hide_credentials") == 0) {
            sl_pconf_bool(diag, v, &c->hide_credentials);
        } else if (strcmp(key, "anonymous") == 0 || strcmp(key, "realm") == 0) {
            const char *s = sl_pconf_string(diag, arena, v);
            if (s != NULL && key[0] == 'a')
                c->anonymous = s;
            else if (s != NULL)
                c->www_auth = sl_arena_printf(arena, "Basic realm=\"%s\"", s);
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    return diag->n + diag->dropped == errors ? c : NULL;
}

static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    state_t *st = sl_arena_calloc(arena, 1, sizeof(*st));
    sl_cred_consumers_build(&st->consumers, cfg, arena);
    sl_cred_index_init(&st->users, cfg->n_basicauth_credentials, arena);
    for (size_t i = 0; i < cfg->n_basicauth_credentials; i++) {
        const sl_basicauth_credential_t *b = cfg->basicauth_credentials[i];
        if (b->username == NULL || b->consumer == NULL || b->password_hash == NULL)
            continue;
        if (sl_cred_index_put(&st->users, b->username, strlen(b->username), b) != NULL)
            sl_diag_add(diag, b->pos.line, b->pos.col,
                        "uniqueness violation: 'basicauth_credentials' entity with username "
                        "set to '%.200s' already declared",
                        b->username);
    }
    return st;
}

/* retrieve_credentials: the user and password of header <name>; clears the header when
 * hiding credentials, whatever it held. */
static bool retrieve(sl_req_t *req, const conf_t *c, const char *name, sl_slice_t *user,
                     sl_slice_t *pass)
{
    sl_slice_t v = sl_req_header(req, name);
    bool ok = false;
    if (v.p) {
        size_t cap = v.len / 4 * 3 + 3;
        char *buf = sl_arena_alloc(req->arena, cap);
        ok = sl_cred_basic(v, buf, cap, user, pass);
    }
    if (c->hide_credentials)
        sl_pdk_clear_upstream_header(req, name);
    return ok;
}

/* crypto.lua: sha1_hex(password .. consumer id) against the stored digest. */
static bool password_ok(const sl_basicauth_credential_t *cred, sl_slice_t pass)
{
    mbedtls_sha1_context ctx;
    unsigned char d[20];
    mbedtls_sha1_init(&ctx);
    mbedtls_sha1_starts(&ctx);
    mbedtls_sha1_update(&ctx, (const unsigned char *)pass.p, pass.len);
    mbedtls_sha1_update(&ctx, (const unsigned char *)cred->consumer->id,
                        strlen(cred->consumer->id));
    mbedtls_sha1_finish(&ctx, d);
    mbedtls_sha1_free(&ctx);
    char hex[41];
    for (int i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return sl_cred_ct_eq(hex, 40, cred->password_hash, strlen(cred->password_hash));
}

/* do_authentication: true when the request is authenticated. */
static bool authenticate(sl_req_t *req, const conf_t *c, const state_t *st)
{
    if (sl_req_header(req, "authorization").p == NULL &&
        sl_req_header(req, "proxy-authorization").p == NULL)
        return false;
    const sl_basicauth_credential_t *cred = NULL;
    sl_slice_t user, pass;
    if (retrieve(req, c, "proxy-authorization", &user, &pass))
        cred = sl_cred_index_get(&st->users, user.p, user.len);
    if (cred == NULL) {
        if (!retrieve(req, c, "authorization", &user, &pass))
            return false;
        cred = sl_cred_index_get(&st->users, user.p, user.len);
    }
    if (cred == NULL || !password_ok(cred, pass))
        return false;
    sl_pdk_authenticate(req, cred->consumer, cred->id, cred->username);
    return true;
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    /* logical OR between auth plugins: an earlier one has authenticated already */
    if (c->anonymous && req->credential_id)
        return SL_CONTINUE;
    const state_t *st = sl_snapshot_plugin_state(req->slot->snap, &sl_plugin_basic_auth);
    if (authenticate(req, c, st))
        return SL_CONTINUE;
    if (c->anonymous)
        return sl_cred_anonymous(req, &st->consumers, c->anonymous) ? SL_CONTINUE
                                                                     : SL_RESPONDED;
    sl_pdk_add_response_header(req, "WWW-Authenticate",
                               sl_slice(c->www_auth, strlen(c->www_auth)));
    sl_pdk_error(req, 401, "Unauthorized");
    return SL_RESPONDED;
}

const sl_plugin_desc_t sl_plugin_basic_auth = {
    .name = "basic-auth",
    .priority = 1100,
    .version = SLUICE_VERSION,
    .no_consumer = true,
    .parse = parse,
    .configure = configure,
    .access = on_access,
};
