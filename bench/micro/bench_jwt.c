/*
 * JWT micro-benchmark: what the jwt plugin spends per request on one token, split into
 * decoding (base64 + cJSON into an arena, sl_jwt_parse) and signature verification
 * (sl_jwt_verify), for HS256 (RFC 7515 A.1), RS256 (A.2, a 2048-bit key), ES256 (A.3) and
 * PS256 (the A.2 key; the PSS signature is made here with mbedTLS). Contexts are warm, as on a
 * worker after its first request. Prints ns per operation.
 *
 * Usage: bench_jwt [iterations for HS256, default 200000; the others run a tenth as many]
 */
#include "auth/jwt.h"
#include "core/base64.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../test/fixtures/rfc7515.h"

static const char *hs_token = RFC7515_HS256_TOKEN;
static const char *hs_key_b64 = RFC7515_HS256_KEY_B64URL;
static const char *rs_token = RFC7515_RS256_TOKEN;
static const char *rs_pem = RFC7515_RS256_PEM;
static const char *es_token = RFC7515_ES256_TOKEN;
static const char *es_pem = RFC7515_ES256_PEM;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void run(const char *name, const char *token, const sl_jwt_key_t *key, sl_jwt_hmac_t *h,
                long iters)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_jwt_t j;
    size_t len = strlen(token);
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        if (sl_jwt_parse(&j, token, len, &a) != SL_JWT_OK)
            abort();
        sl_arena_reset(&a);
    }
    double parse = (now_ns() - t0) / (double)iters;
    if (sl_jwt_parse(&j, token, len, &a) != SL_JWT_OK || !sl_jwt_verify(&j, key, h)) {
        fprintf(stderr, "%s: the token does not verify\n", name);
        exit(1);
    }
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        if (!sl_jwt_verify(&j, key, h))
            abort();
    double verify = (now_ns() - t0) / (double)iters;
    printf("%-6s  parse %8.0f ns   verify %9.0f ns   total %9.0f ns   (%ld iterations)\n", name,
           parse, verify, parse + verify, iters);
    sl_arena_destroy(&a);
}

/* A PS256 token over the RFC's header and payload, signed with a fresh key (mbedTLS). */
static char *ps_token(mbedtls_pk_context *pub)
{
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context priv;
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&priv);
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) != 0 ||
        mbedtls_pk_setup(&priv, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(priv), mbedtls_ctr_drbg_random, &drbg, 2048, 65537))
        abort();
    mbedtls_rsa_set_padding(mbedtls_pk_rsa(priv), MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    const char *input = "eyJhbGciOiJQUzI1NiJ9." RFC7515_PAYLOAD;
    unsigned char hash[32], sig[256], pem[1024];
    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)input,
               strlen(input), hash);
    if (mbedtls_rsa_rsassa_pss_sign(mbedtls_pk_rsa(priv), mbedtls_ctr_drbg_random, &drbg,
                                    MBEDTLS_MD_SHA256, 32, hash, sig) != 0 ||
        mbedtls_pk_write_pubkey_pem(&priv, pem, sizeof(pem)) != 0 ||
        sl_jwt_pk_parse(pub, (const char *)pem, SL_JWT_PS256) != 0)
        abort();
    static const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(strlen(input) + 1 + 400);
    size_t n = (size_t)sprintf(out, "%s.", input);
    for (size_t i = 0; i < 256; i += 3) {
        unsigned v = (unsigned)sig[i] << 16 | (i + 1 < 256 ? sig[i + 1] << 8 : 0) |
                     (i + 2 < 256 ? sig[i + 2] : 0);
        size_t chars = i + 2 < 256 ? 4 : i + 1 < 256 ? 3 : 2;
        for (size_t k = 0; k < chars; k++)
            out[n++] = b64[(v >> (18 - 6 * k)) & 63];
    }
    out[n] = '\0';
    mbedtls_pk_free(&priv);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    return out;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    if (iters < 10)
        iters = 10;
    sl_jwt_hmac_t h;
    if (sl_jwt_hmac_init(&h) != 0)
        return 1;
    unsigned char secret[64];
    long n = sl_base64_decode(hs_key_b64, strlen(hs_key_b64), secret, sizeof(secret),
                              SL_BASE64_URL);
    sl_jwt_key_t hk = {.alg = SL_JWT_HS256, .secret = secret, .secret_len = (size_t)n};
    mbedtls_pk_context rsa, ec, ps;
    if (sl_jwt_pk_parse(&rsa, rs_pem, SL_JWT_RS256) || sl_jwt_pk_parse(&ec, es_pem, SL_JWT_ES256))
        return 1;
    sl_jwt_key_t rk = {.alg = SL_JWT_RS256, .pk = &rsa};
    sl_jwt_key_t ek = {.alg = SL_JWT_ES256, .pk = &ec};
    char *pst = ps_token(&ps);
    sl_jwt_key_t pk = {.alg = SL_JWT_PS256, .pk = &ps};

    run("HS256", hs_token, &hk, &h, iters);
    run("RS256", rs_token, &rk, &h, iters / 10);
    run("PS256", pst, &pk, &h, iters / 10);
    run("ES256", es_token, &ek, &h, iters / 100 > 10 ? iters / 100 : 10);

    free(pst);
    mbedtls_pk_free(&rsa);
    mbedtls_pk_free(&ec);
    mbedtls_pk_free(&ps);
    sl_jwt_hmac_free(&h);
    return 0;
}
