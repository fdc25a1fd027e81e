/*
 * Certificates, SNIs and CA certificates. mbedtls_pk_check_pair needs a random generator
 * (RSA blinding): one CTR_DRBG seeded from the platform entropy is made per load on first
 * use and freed with the loader's temporary arena.
 */
#include "config/ent_tls.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/check.h"
#include "config/entities.h"
#include "config/schema.h"

typedef struct tls_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    bool ok;
} tls_rng_t;

static void rng_free(void *data)
{
    tls_rng_t *r = data;
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
}

static tls_rng_t *rng_get(sl_loader_t *ld)
{
    if (ld->rng == NULL) {
        tls_rng_t *r = sl_arena_calloc(&ld->tmp, 1, sizeof(*r));
        mbedtls_entropy_init(&r->entropy);
        mbedtls_ctr_drbg_init(&r->drbg);
        static const unsigned char pers[] = "sluice-config";
        r->ok = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy, pers,
                                      sizeof(pers) - 1) == 0;
        sl_arena_cleanup(&ld->tmp, rng_free, r);
        ld->rng = r;
    }
    return ld->rng;
}

static void tls_error(int rc, char *buf, size_t cap)
{
    mbedtls_strerror(rc, buf, cap);
    if (buf[0] == '\0')
        snprintf(buf, cap, "error -0x%04x", (unsigned)-rc);
}

#define CE(field) offsetof(sl_certificate_t, field)

static const sl_field_t certificate_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = CE(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "cert", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = CE(cert)},
    {.name = "key", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = CE(key)},
    {.name = "cert_alt", .type = SL_FT_STRING, .off = CE(cert_alt)},
    {.name = "key_alt", .type = SL_FT_STRING, .off = CE(key_alt)},
    {.name = "tags", .type = SL_FT_TAGS, .off = CE(tags)},
    {.name = "snis", .type = SL_FT_CUSTOM},
    {.name = NULL},
};

typedef struct pair {
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    bool crt_ok, key_ok;
} pair_t;

/* Parses one certificate / key pair; reports at the nodes of <cert_field>, <key_field>. */
static void parse_pair(sl_loader_t *ld, const sl_ent_t *e, pair_t *p, const char *cert,
                       const char *key, const char *cert_field, const char *key_field)
{
    char err[256];
    mbedtls_x509_crt_init(&p->crt);
    mbedtls_pk_init(&p->key);
    p->crt_ok = p->key_ok = false;
    if (cert != NULL) {
        int rc = mbedtls_x509_crt_parse(&p->crt, (const unsigned char *)cert, strlen(cert) + 1);
        if (rc != 0) {
            tls_error(rc < 0 ? rc : MBEDTLS_ERR_X509_INVALID_FORMAT, err, sizeof(err));
            sl_loader_err(ld, sl_node_map_get(e->node, cert_field), "invalid certificate: %s",
                          err);
        } else {
            p->crt_ok = true;
        }
    }
    if (key != NULL) {
        tls_rng_t *r = rng_get(ld);
        int rc = mbedtls_pk_parse_key(&p->key, (const unsigned char *)key, strlen(key) + 1, NULL,
                                      0, mbedtls_ctr_drbg_random, &r->drbg);
        if (rc != 0) {
            tls_error(rc, err, sizeof(err));
            sl_loader_err(ld, sl_node_map_get(e->node, key_field), "invalid key: %s", err);
        } else {
            p->key_ok = true;
        }
    }
}

static void free_pair(pair_t *p)
{
    mbedtls_x509_crt_free(&p->crt);
    mbedtls_pk_free(&p->key);
}

static bool pair_matches(sl_loader_t *ld, pair_t *p)
{
    tls_rng_t *r = rng_get(ld);
    return r->ok &&
           mbedtls_pk_check_pair(&p->crt.pk, &p->key, mbedtls_ctr_drbg_random, &r->drbg) == 0;
}

static bool is_rsa(mbedtls_pk_context *pk)
{
    return mbedtls_pk_can_do(pk, MBEDTLS_PK_RSA);
}

void sl_ent_tls_build_certificate(sl_loader_t *ld, sl_ent_t *e)
{
    sl_certificate_t *c = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*c));
    e->obj = c;
    c->pos.line = e->node->line;
    c->pos.col = e->node->col;
    sl_schema_check(ld, certificate_fields, e->node, c, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, c->id);

    pair_t main_pair, alt;
    parse_pair(ld, e, &main_pair, c->cert, c->key, "cert", "key");
    if (main_pair.crt_ok && main_pair.key_ok && !pair_matches(ld, &main_pair))
        sl_loader_err(ld, sl_node_map_get(e->node, "key"), "certificate does not match key");

    bool has_cert_alt = !sl_node_is_null(sl_node_map_get(e->node, "cert_alt"));
    bool has_key_alt = !sl_node_is_null(sl_node_map_get(e->node, "key_alt"));
    if (has_cert_alt != has_key_alt)
        sl_loader_err(ld, e->node,
                      "all or none of these fields must be set: 'cert_alt', 'key_alt'");
    parse_pair(ld, e, &alt, c->cert_alt, c->key_alt, "cert_alt", "key_alt");
    if (alt.crt_ok && alt.key_ok && !pair_matches(ld, &alt))
        sl_loader_err(ld, sl_node_map_get(e->node, "key_alt"),
                      "alternative certificate does not match key");
    if (main_pair.crt_ok && alt.crt_ok && is_rsa(&main_pair.crt.pk) == is_rsa(&alt.crt.pk))
        sl_loader_err(ld, sl_node_map_get(e->node, "cert_alt"),
                      "certificate and alternative certificate need to have different type "
                      "(e.g. RSA and ECDSA), the provided certificates were both of the same "
                      "type");
    free_pair(&main_pair);
    free_pair(&alt);

    sl_entities_nested(ld, e, "snis", SL_ENT_SNI);
}

#define SN(field) offsetof(sl_sni_t, field)

static const sl_field_t sni_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = SN(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "name", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = SN(name),
     .check = sl_check_wildcard_host},
    {.name = "certificate", .type = SL_FT_CUSTOM},
    {.name = "tags", .type = SL_FT_TAGS, .off = SN(tags)},
    {.name = NULL},
};

void sl_ent_tls_build_sni(sl_loader_t *ld, sl_ent_t *e)
{
    sl_sni_t *s = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*s));
    e->obj = s;
    s->pos.line = e->node->line;
    s->pos.col = e->node->col;
    sl_schema_check(ld, sni_fields, e->node, s, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, s->id);
    sl_entities_fk(ld, e, "certificate", SL_FK_CERT, true);
}

static const sl_field_t ca_certificate_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = 0},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "cert", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = SL_NOOFF},
    {.name = "cert_digest", .type = SL_FT_STRING, .off = SL_NOOFF},
    {.name = "tags", .type = SL_FT_TAGS, .off = SL_NOOFF},
    {.name = NULL},
};

void sl_ent_tls_build_ca_certificate(sl_loader_t *ld, sl_ent_t *e)
{
    char *id = sl_arena_calloc(&ld->tmp, 1, 37);
    sl_schema_check(ld, ca_certificate_fields, e->node, id, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, id);
    const sl_node_t *n = sl_node_map_get(e->node, "cert");
    const char *pem = sl_node_str(n);
    if (pem == NULL || n->len == 0)
        return; /* reported by the schema check */
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1);
    char err[256];
    if (rc != 0) {
        tls_error(rc < 0 ? rc : MBEDTLS_ERR_X509_INVALID_FORMAT, err, sizeof(err));
        sl_loader_err(ld, n, "invalid certificate: %s", err);
    } else if (crt.next != NULL && crt.next->raw.len > 0) {
        sl_loader_err(ld, n, "please submit only one certificate at a time");
    } else if (!crt.MBEDTLS_PRIVATE(ca_istrue)) {
        sl_loader_err(ld, n, "certificate does not appear to be a CA because it is missing the "
                             "\"CA\" basic constraint");
    } else if (mbedtls_x509_time_is_past(&crt.valid_to)) {
        sl_loader_err(ld, n, "certificate expired, \"Not After\" time is in the past");
    }
    mbedtls_x509_crt_free(&crt);
}
