/*
 * Consumers and credentials. Kong's rules reproduced here: a consumer needs a username or a
 * custom_id (at_least_one_of), a basic-auth credential a username and a password, an ACL a
 * group, and a JWT secret whose algorithm is asymmetric a public key in PEM (jwt/daos.lua).
 * EdDSA secrets are refused: mbedTLS has no Ed25519, so sluice could not verify them.
 */
#include "config/ent_consumer.h"

#include <mbedtls/pk.h>
#include <stddef.h>
#include <string.h>

#include "config/check.h"
#include "config/entities.h"
#include "config/schema.h"

#define C(field) offsetof(sl_consumer_t, field)

static const sl_field_t consumer_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = C(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "username", .type = SL_FT_STRING, .off = C(username)},
    {.name = "custom_id", .type = SL_FT_STRING, .off = C(custom_id)},
    {.name = "tags", .type = SL_FT_TAGS, .off = C(tags)},
    {.name = "plugins", .type = SL_FT_CUSTOM},
    {.name = "keyauth_credentials", .type = SL_FT_CUSTOM},
    {.name = "basicauth_credentials", .type = SL_FT_CUSTOM},
    {.name = "jwt_secrets", .type = SL_FT_CUSTOM},
    {.name = "acls", .type = SL_FT_CUSTOM},
    {.name = "hmacauth_credentials", .type = SL_FT_CUSTOM},
    {.name = "oauth2_credentials", .type = SL_FT_CUSTOM},
    {.name = NULL},
};

#define KA(field) offsetof(sl_keyauth_credential_t, field)

static const sl_field_t keyauth_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = KA(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "consumer", .type = SL_FT_CUSTOM},
    {.name = "key", .type = SL_FT_STRING, .off = KA(key)},
    {.name = "ttl", .type = SL_FT_INT, .off = KA(ttl), .size = sizeof(int64_t), .min = 0,
     .max = 100000000},
    {.name = "tags", .type = SL_FT_TAGS, .off = KA(tags)},
    {.name = NULL},
};

#define BA(field) offsetof(sl_basicauth_credential_t, field)

static const sl_field_t basicauth_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = BA(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "consumer", .type = SL_FT_CUSTOM},
    {.name = "username", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = BA(username)},
    {.name = "password", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = BA(password_hash)},
    {.name = "tags", .type = SL_FT_TAGS, .off = BA(tags)},
    {.name = NULL},
};

static const char *const jwt_algorithms[] = {
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256",
    "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA", NULL,
};

#define JW(field) offsetof(sl_jwt_secret_t, field)

static const sl_field_t jwt_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = JW(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "consumer", .type = SL_FT_CUSTOM},
    {.name = "key", .type = SL_FT_STRING, .off = JW(key)},
    {.name = "secret", .type = SL_FT_STRING, .off = JW(secret)},
    {.name = "rsa_public_key", .type = SL_FT_STRING, .off = JW(rsa_public_key)},
    {.name = "algorithm", .type = SL_FT_STRING, .off = JW(algorithm), .def = "HS256",
     .one_of = jwt_algorithms},
    {.name = "tags", .type = SL_FT_TAGS, .off = JW(tags)},
    {.name = NULL},
};

#define AC(field) offsetof(sl_acl_t, field)

static const sl_field_t acl_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = AC(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "consumer", .type = SL_FT_CUSTOM},
    {.name = "group", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = AC(group)},
    {.name = "tags", .type = SL_FT_TAGS, .off = AC(tags)},
    {.name = NULL},
};

void sl_ent_consumer_build(sl_loader_t *ld, sl_ent_t *e)
{
    sl_consumer_t *c = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*c));
    e->obj = c;
    c->pos.line = e->node->line;
    c->pos.col = e->node->col;
    sl_schema_check(ld, consumer_fields, e->node, c, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, c->id);
    if (sl_node_is_null(sl_node_map_get(e->node, "username")) &&
        sl_node_is_null(sl_node_map_get(e->node, "custom_id")))
        sl_loader_err(ld, e->node,
                      "at least one of these fields must be non-empty: 'custom_id', 'username'");

    sl_entities_unsupported(ld, e, "hmacauth_credentials");
    sl_entities_unsupported(ld, e, "oauth2_credentials");
    sl_entities_nested(ld, e, "plugins", SL_ENT_PLUGIN);
    sl_entities_nested(ld, e, "keyauth_credentials", SL_ENT_KEYAUTH);
    sl_entities_nested(ld, e, "basicauth_credentials", SL_ENT_BASICAUTH);
    sl_entities_nested(ld, e, "jwt_secrets", SL_ENT_JWT);
    sl_entities_nested(ld, e, "acls", SL_ENT_ACL);
}

/* jwt/daos.lua: asymmetric algorithms need a PEM public key that parses. */
static void check_jwt(sl_loader_t *ld, const sl_ent_t *e, const sl_jwt_secret_t *j)
{
    const char *alg = j->algorithm;
    if (alg == NULL || alg[0] == 'H')
        return;
    const sl_node_t *alg_node = sl_node_map_get(e->node, "algorithm");
    if (strcmp(alg, "EdDSA") == 0) {
        sl_loader_err(ld, alg_node, "algorithm 'EdDSA' is not supported by sluice yet");
        return;
    }
    const sl_node_t *key_node = sl_node_map_get(e->node, "rsa_public_key");
    if (sl_node_is_null(key_node)) {
        sl_loader_missing(ld, e->node, "rsa_public_key");
        return;
    }
    if (j->rsa_public_key == NULL)
        return; /* its type error is reported */
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    const char *pem = j->rsa_public_key;
    int rc = mbedtls_pk_parse_public_key(&pk, (const unsigned char *)pem, strlen(pem) + 1);
    if (rc != 0) {
        sl_loader_err(ld, key_node, "'rsa_public_key' format is invalid");
    } else {
        bool rsa_alg = alg[0] == 'R' || alg[0] == 'P';
        bool ok = rsa_alg ? mbedtls_pk_can_do(&pk, MBEDTLS_PK_RSA)
                          : mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA);
        if (!ok)
            sl_loader_err(ld, key_node, "public key type does not match algorithm '%s'", alg);
    }
    mbedtls_pk_free(&pk);
}

void sl_ent_consumer_build_credential(sl_loader_t *ld, sl_ent_t *e)
{
    const sl_field_t *fields;
    size_t size;
    size_t id_off, pos_off;
    switch (e->kind) {
    case SL_ENT_KEYAUTH:
        fields = keyauth_fields;
        size = sizeof(sl_keyauth_credential_t);
        id_off = KA(id);
        pos_off = KA(pos);
        break;
    case SL_ENT_BASICAUTH:
        fields = basicauth_fields;
        size = sizeof(sl_basicauth_credential_t);
        id_off = BA(id);
        pos_off = BA(pos);
        break;
    case SL_ENT_JWT:
        fields = jwt_fields;
        size = sizeof(sl_jwt_secret_t);
        id_off = JW(id);
        pos_off = JW(pos);
        break;
    default:
        fields = acl_fields;
        size = sizeof(sl_acl_t);
        id_off = AC(id);
        pos_off = AC(pos);
        break;
    }
    char *obj = sl_arena_calloc(&ld->cfg->arena, 1, size);
    e->obj = obj;
    sl_pos_t pos = {e->node->line, e->node->col};
    memcpy(obj + pos_off, &pos, sizeof(pos));
    sl_schema_check(ld, fields, e->node, obj, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, obj + id_off);
    if (e->kind == SL_ENT_JWT)
        check_jwt(ld, e, (sl_jwt_secret_t *)(void *)obj);
    sl_entities_fk(ld, e, "consumer", SL_FK_CONSUMER, true);
}
