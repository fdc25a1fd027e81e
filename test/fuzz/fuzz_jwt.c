/*
 * Fuzz target: JWT decoding and verification (lib/auth/jwt.c). The input is a token; it is
 * parsed, then verified against fixed credentials: an HS256 secret, the RSA key of RFC 7515
 * A.2 (RS256 and PS256) and the P-256 key of A.3 (ES256).
 *
 * Invariants: a decoded token's signing input is the input up to its second dot; the alg is
 * one Kong knows; a key of another algorithm than the token's never verifies; the same
 * token verified twice gives the same answer (no state leaks between verifications).
 */
#include "auth/jwt.h"

#include "../fixtures/rfc7515.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

static const char *rs_pem = RFC7515_RS256_PEM;
static const char *es_pem = RFC7515_ES256_PEM;
static const char secret[] = "fuzz-secret";

static sl_jwt_hmac_t hmac;
static mbedtls_pk_context rsa, ec;
static int ready;

static void setup(void)
{
    if (ready)
        return;
    if (sl_jwt_hmac_init(&hmac) != 0 || sl_jwt_pk_parse(&rsa, rs_pem, SL_JWT_RS256) != 0 ||
        sl_jwt_pk_parse(&ec, es_pem, SL_JWT_ES256) != 0)
        FAIL("setup");
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size > SL_JWT_MAX_LEN)
        return 0;
    char *tok = malloc(size ? size : 1);
    memcpy(tok, data, size);
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_jwt_t j;
    sl_jwt_err_t e = sl_jwt_parse(&j, tok, size, &a);
    if (e == SL_JWT_OK) {
        if (j.alg >= SL_JWT__NALG)
            FAIL("alg");
        const char *d1 = memchr(tok, '.', size);
        const char *d2 = d1 ? memchr(d1 + 1, '.', size - (size_t)(d1 + 1 - tok)) : NULL;
        if (d2 == NULL || j.signing_input.p != tok || j.signing_input.len != (size_t)(d2 - tok))
            FAIL("signing input");
        if (!cJSON_IsObject(j.header) || !cJSON_IsObject(j.claims))
            FAIL("objects");
        const sl_jwt_key_t keys[] = {
            {.alg = SL_JWT_HS256, .secret = (const unsigned char *)secret,
             .secret_len = sizeof(secret) - 1},
            {.alg = SL_JWT_RS256, .pk = &rsa},
            {.alg = SL_JWT_PS256, .pk = &rsa},
            {.alg = SL_JWT_ES256, .pk = &ec},
            /* confusion: the PEM as an HMAC secret */
            {.alg = SL_JWT_HS256, .secret = (const unsigned char *)rs_pem,
             .secret_len = strlen(rs_pem)},
        };
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            bool ok = sl_jwt_verify(&j, &keys[i], &hmac);
            if (ok && j.alg != keys[i].alg)
                FAIL("verified with another algorithm's key");
            if (ok != sl_jwt_verify(&j, &keys[i], &hmac))
                FAIL("not repeatable");
        }
        (void)sl_jwt_member(j.claims, "iss");
        (void)sl_jwt_member(j.header, "kid");
    } else if (e != SL_JWT_EJSON && e != SL_JWT_EALG && e != SL_JWT_ECLAIMS &&
               e != SL_JWT_ESIGNATURE) {
        FAIL("error code");
    }
    sl_arena_destroy(&a);
    free(tok);
    return 0;
}
