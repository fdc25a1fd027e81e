/*
 * JWT decoding and signature verification (see jwt.h). Decoding reproduces Kong's
 * jwt_parser.lua step by step, including where it is lenient (base64 padding and the
 * standard alphabet are accepted, as nginx's decoder accepts them); verification uses
 * mbedTLS: HMAC compared in constant time, RSA PKCS#1 v1.5 and PSS, ECDSA with the JWS raw
 * r||s signature turned into the DER form mbedTLS reads (RFC 7518 3.4).
 */
#include "auth/jwt.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/errors.h"

#include <mbedtls/rsa.h>

#if defined(MBEDTLS_USE_PSA_CRYPTO)
#include <psa/crypto.h>
#endif

/* ---- cJSON allocations in the request arena --------------------------------------------- */

/* cJSON allocates every node with its global hooks. While sl_jwt_parse runs, the hooks take
 * memory from the arena of the request (a thread-local pointer), so a token costs no malloc
 * and is freed with the request; everywhere else (the admin API, JSON configs, on any thread)
 * they are plain malloc and free. cJSON's own frees of arena memory, on a parse error, are
 * then no-ops. */
static _Thread_local sl_arena_t *json_arena;

static void *json_malloc(size_t n)
{
    return json_arena ? sl_arena_alloc(json_arena, n) : malloc(n);
}

static void json_free(void *p)
{
    if (json_arena == NULL)
        free(p);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_hooks(void)
{
    cJSON_Hooks hooks = {.malloc_fn = json_malloc, .free_fn = json_free};
    cJSON_InitHooks(&hooks);
#if defined(MBEDTLS_USE_PSA_CRYPTO)
    psa_crypto_init(); /* pk operations go through PSA in such builds */
#endif
}

void sl_jwt_init(void)
{
    pthread_once(&init_once, init_hooks);
}

/* ---- algorithms -------------------------------------------------------------------------- */

static const char *const alg_names[SL_JWT__NALG] = {
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256",
    "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
};

int sl_jwt_alg_from_name(const char *name, size_t len)
{
    for (int i = 0; i < SL_JWT__NALG; i++)
        if (strlen(alg_names[i]) == len && memcmp(alg_names[i], name, len) == 0)
            return i;
    return -1;
}

const char *sl_jwt_alg_name(sl_jwt_alg_t alg)
{
    return alg < SL_JWT__NALG ? alg_names[alg] : "?";
}

mbedtls_md_type_t sl_jwt_alg_md(sl_jwt_alg_t alg)
{
    switch (alg) {
    case SL_JWT_HS256:
    case SL_JWT_RS256:
    case SL_JWT_ES256:
    case SL_JWT_PS256:
        return MBEDTLS_MD_SHA256;
    case SL_JWT_HS384:
    case SL_JWT_RS384:
    case SL_JWT_ES384:
    case SL_JWT_PS384:
        return MBEDTLS_MD_SHA384;
    case SL_JWT_HS512:
    case SL_JWT_RS512:
    case SL_JWT_ES512:
    case SL_JWT_PS512:
        return MBEDTLS_MD_SHA512;
    default:
        return MBEDTLS_MD_NONE;
    }
}

const char *sl_jwt_strerror(sl_jwt_err_t err)
{
    switch (err) {
    case SL_JWT_OK: return "ok";
    case SL_JWT_EJSON: return "invalid JSON";
    case SL_JWT_EALG: return "invalid alg";
    case SL_JWT_ECLAIMS: return "invalid claims";
    case SL_JWT_ESIGNATURE: return "invalid signature";
    }
    return "invalid JSON";
}

/* ---- parsing ----------------------------------------------------------------------------- */

/* Decodes one base64 part and parses it as JSON in the arena; NULL on either failure. */
static const cJSON *decode_json(const char *p, size_t len, sl_arena_t *arena)
{
    size_t cap = SL_BASE64_DECODED_MAX(len);
    unsigned char *buf = sl_arena_alloc(arena, cap + 1);
    long n = sl_base64_decode(p, len, buf, cap, SL_BASE64_URL);
    if (n < 0)
        return NULL;
    /* cJSON takes any control character for whitespace; lua-cjson, like the JSON grammar,
     * allows none outside whitespace, and none raw inside strings */
    for (long i = 0; i < n; i++)
        if (buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
            return NULL;
    buf[n] = '\0';
    const char *end = NULL;
    json_arena = arena;
    /* the length includes the NUL so that cJSON may require the document to end there */
    cJSON *j = cJSON_ParseWithLengthOpts((const char *)buf, (size_t)n + 1, &end, true);
    json_arena = NULL;
    /* lua-cjson refuses anything after the document */
    if (j && end != (const char *)buf + n)
        return NULL;
    return j;
}

const cJSON *sl_jwt_member(const cJSON *obj, const char *name)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    const cJSON *found = NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && strcmp(c->string, name) == 0)
            found = c;
    return found;
}

sl_jwt_err_t sl_jwt_parse(sl_jwt_t *out, const char *token, size_t len, sl_arena_t *arena)
{
    sl_jwt_init();
    memset(out, 0, sizeof(*out));
    /* jwt_parser.lua tokenize(token, ".", 3): the first two dots split; the signature is the
     * rest, dots included. A missing part fails inside Kong's pcall: "invalid JSON". */
    const char *d1 = memchr(token, '.', len);
    if (d1 == NULL)
        return SL_JWT_EJSON;
    const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    if (d2 == NULL)
        return SL_JWT_EJSON;
    const char *sig = d2 + 1;
    size_t sig_len = len - (size_t)(sig - token);

    const cJSON *header = decode_json(token, (size_t)(d1 - token), arena);
    if (header == NULL)
        return SL_JWT_EJSON;
    const cJSON *claims = decode_json(d1 + 1, (size_t)(d2 - d1 - 1), arena);
    if (claims == NULL)
        return SL_JWT_EJSON;
    size_t scap = SL_BASE64_DECODED_MAX(sig_len);
    unsigned char *sbuf = sl_arena_alloc(arena, scap + 1);
    long sn = sl_base64_decode(sig, sig_len, sbuf, scap, SL_BASE64_URL);

    const cJSON *alg = sl_jwt_member(header, "alg");
    int a = cJSON_IsString(alg) ? sl_jwt_alg_from_name(alg->valuestring,
                                                       strlen(alg->valuestring))
                                : -1;
    if (a < 0)
        return SL_JWT_EALG;
    /* Kong only refuses false claims here, and fails later (a 500) on other non-objects;
     * sluice refuses every claims value that is not an object */
    if (!cJSON_IsObject(claims))
        return SL_JWT_ECLAIMS;
    if (sn < 0)
        return SL_JWT_ESIGNATURE;

    out->signing_input = sl_slice(token, (size_t)(d2 - token));
    out->sig = sbuf;
    out->sig_len = (size_t)sn;
    out->header = header;
    out->claims = claims;
    out->alg = (sl_jwt_alg_t)a;
    return SL_JWT_OK;
}

/* ---- verification ------------------------------------------------------------------------ */

int sl_jwt_hmac_init(sl_jwt_hmac_t *h)
{
    static const mbedtls_md_type_t types[3] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384,
                                               MBEDTLS_MD_SHA512};
    for (int i = 0; i < 3; i++)
        mbedtls_md_init(&h->md[i]);
    for (int i = 0; i < 3; i++) {
        if (mbedtls_md_setup(&h->md[i], mbedtls_md_info_from_type(types[i]), 1) != 0) {
            sl_jwt_hmac_free(h);
            return SL_ENOMEM;
        }
    }
    return 0;
}

void sl_jwt_hmac_free(sl_jwt_hmac_t *h)
{
    for (int i = 0; i < 3; i++)
        mbedtls_md_free(&h->md[i]);
}

static bool ct_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
    /* constant time: the time taken says nothing about where the first difference is */
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}

static size_t ec_bits(sl_jwt_alg_t alg)
{
    return alg == SL_JWT_ES256 ? 256 : alg == SL_JWT_ES384 ? 384 : 521;
}

int sl_jwt_pk_parse(mbedtls_pk_context *pk, const char *pem, sl_jwt_alg_t alg)
{
    mbedtls_pk_init(pk);
    if (pem == NULL || sl_jwt_alg_is_hmac(alg) || alg == SL_JWT_EDDSA)
        return -1;
    if (mbedtls_pk_parse_public_key(pk, (const unsigned char *)pem, strlen(pem) + 1) != 0)
        goto fail;
    bool ok;
    if (alg >= SL_JWT_ES256 && alg <= SL_JWT_ES512)
        ok = mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) && mbedtls_pk_get_bitlen(pk) == ec_bits(alg);
    else
        ok = mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA;
    if (ok)
        return 0;
fail:
    mbedtls_pk_free(pk);
    mbedtls_pk_init(pk);
    return -1;
}

/* Writes one DER INTEGER of the unsigned big-endian <v> into <out>; returns its length. */
static size_t der_int(const unsigned char *v, size_t n, unsigned char *out)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    size_t pad = (v[0] & 0x80) ? 1 : 0;
    out[0] = 0x02;
    out[1] = (unsigned char)(n + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, v, n);
    return 2 + pad + n;
}

/* JWS ECDSA signatures are r||s, each as long as the curve order (RFC 7518 3.4); mbedTLS
 * reads the DER SEQUENCE { INTEGER r, INTEGER s } of RFC 5480. */
static bool ecdsa_verify(mbedtls_pk_context *pk, sl_jwt_alg_t alg, mbedtls_md_type_t md,
                         const unsigned char *hash, size_t hlen, const unsigned char *sig,
                         size_t sig_len)
{
    size_t half = (ec_bits(alg) + 7) / 8;
    /* Kong asserts the length (a 500 there); a wrong length is simply not a valid signature */
    if (sig_len != 2 * half)
        return false;
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) || mbedtls_pk_get_bitlen(pk) != ec_bits(alg))
        return false;
    unsigned char ints[2 * (3 + 66)], der[4 + sizeof(ints)];
    size_t n = der_int(sig, half, ints);
    n += der_int(sig + half, half, ints + n);
    size_t h = 0;
    der[h++] = 0x30;
    if (n >= 0x80)
        der[h++] = 0x81; /* at most 2 * 69 bytes: one length byte follows */
    der[h++] = (unsigned char)n;
    memcpy(der + h, ints, n);
    return mbedtls_pk_verify(pk, md, hash, hlen, der, h + n) == 0;
}

bool sl_jwt_verify(const sl_jwt_t *jwt, const sl_jwt_key_t *key, sl_jwt_hmac_t *h)
{
    sl_jwt_alg_t alg = key->alg;
    /* the algorithm is the credential's: a token naming another one never verifies, so an
     * RSA public key can never serve as an HMAC secret (algorithm confusion) */
    if (jwt->alg != alg || alg >= SL_JWT_EDDSA)
        return false;
    mbedtls_md_type_t md = sl_jwt_alg_md(alg);
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    size_t hlen = mbedtls_md_get_size(info);
    unsigned char mac[MBEDTLS_MD_MAX_SIZE];
    const unsigned char *in = (const unsigned char *)jwt->signing_input.p;
    size_t in_len = jwt->signing_input.len;

    if (sl_jwt_alg_is_hmac(alg)) {
        if (jwt->sig_len != hlen || key->secret == NULL)
            return false;
        mbedtls_md_context_t *ctx = &h->md[alg - SL_JWT_HS256];
        if (mbedtls_md_hmac_starts(ctx, key->secret, key->secret_len) != 0 ||
            mbedtls_md_hmac_update(ctx, in, in_len) != 0 || mbedtls_md_hmac_finish(ctx, mac) != 0)
            return false;
        return ct_equal(mac, jwt->sig, hlen);
    }
    if (key->pk == NULL || mbedtls_md(info, in, in_len, mac) != 0)
        return false;
    if (alg >= SL_JWT_ES256 && alg <= SL_JWT_ES512)
        return ecdsa_verify(key->pk, alg, md, mac, hlen, jwt->sig, jwt->sig_len);
    if (mbedtls_pk_get_type(key->pk) != MBEDTLS_PK_RSA)
        return false;
    if (alg >= SL_JWT_PS256) {
        /* the salt length is not fixed by RFC 7518 3.5 beyond "the hash length"; OpenSSL,
         * which Kong uses, accepts any (RSA_PSS_SALTLEN_AUTO), so does this */
        mbedtls_pk_rsassa_pss_options opts = {.mgf1_hash_id = md,
                                              .expected_salt_len = MBEDTLS_RSA_SALT_LEN_ANY};
        return mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &opts, key->pk, md, mac, hlen,
                                     jwt->sig, jwt->sig_len) == 0;
    }
    return mbedtls_pk_verify(key->pk, md, mac, hlen, jwt->sig, jwt->sig_len) == 0;
}
