/*
 * JWT decoding and verification (lib/auth/jwt.c) with the vectors of RFC 7515 appendix A
 * (A.1 HS256, A.2 RS256, A.3 ES256; the public keys are the RFC's JWKs written as PEM), and
 * the token extractors (lib/auth/jwt_extract.c) on Kong's edge cases.
 */
#include "auth/jwt.c"
#include "auth/jwt_extract.c"

#include "test.h"

#include "../../fixtures/rfc7515.h"

static const char *hs_token = RFC7515_HS256_TOKEN;
static const char *hs_key_b64 = RFC7515_HS256_KEY_B64URL;
static const char *rs_token = RFC7515_RS256_TOKEN;
static const char *rs_pem = RFC7515_RS256_PEM;
static const char *es_token = RFC7515_ES256_TOKEN;
static const char *es_pem = RFC7515_ES256_PEM;

static sl_jwt_err_t parse(sl_arena_t *a, const char *tok, sl_jwt_t *out)
{
    return sl_jwt_parse(out, tok, strlen(tok), a);
}

static void test_parse(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_jwt_t j;
    CHECK_EQ_INT(parse(&a, hs_token, &j), SL_JWT_OK);
    CHECK_EQ_INT(j.alg, SL_JWT_HS256);
    CHECK_EQ_INT(j.sig_len, 32);
    CHECK_EQ_STR(sl_jwt_member(j.claims, "iss")->valuestring, "joe");
    CHECK(sl_jwt_member(j.claims, "exp")->valuedouble == 1300819380.0);
    CHECK(cJSON_IsTrue(sl_jwt_member(j.claims, "http://example.com/is_root")));
    CHECK_EQ_INT(j.signing_input.len, strchr(strchr(hs_token, '.') + 1, '.') - hs_token);

    CHECK_EQ_INT(parse(&a, "", &j), SL_JWT_EJSON);
    CHECK_EQ_INT(parse(&a, "abc", &j), SL_JWT_EJSON);
    CHECK_EQ_INT(parse(&a, "e30.e30", &j), SL_JWT_EJSON);            /* two parts */
    CHECK_EQ_INT(parse(&a, "e30.e30.", &j), SL_JWT_EALG);            /* {} has no alg */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJub25lIn0.e30.", &j), SL_JWT_EALG); /* alg none */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOjF9.e30.", &j), SL_JWT_EALG);  /* alg 1 */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.e30.", &j), SL_JWT_OK);
    CHECK_EQ_INT(j.sig_len, 0);
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.ZmFsc2U.", &j), SL_JWT_ECLAIMS); /* false */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.WzFd.", &j), SL_JWT_ECLAIMS);    /* [1] */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.e30.a!", &j), SL_JWT_ESIGNATURE);
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.e30.a.b", &j), SL_JWT_ESIGNATURE);
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.e30x.", &j), SL_JWT_EJSON);  /* trailing */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.e30A.", &j), SL_JWT_EJSON);  /* NUL after */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJIUzI1NiJ9.e30B.", &j), SL_JWT_EJSON);  /* \x01 after */
    CHECK_EQ_INT(parse(&a, "e!.e30.", &j), SL_JWT_EJSON);
    /* lua-cjson keeps the last of repeated members: {"alg":"none","alg":"HS256"} */
    CHECK_EQ_INT(parse(&a, "eyJhbGciOiJub25lIiwiYWxnIjoiSFMyNTYifQ.e30.", &j), SL_JWT_OK);
    sl_arena_destroy(&a);
}

static void test_verify(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_jwt_hmac_t h;
    CHECK_EQ_INT(sl_jwt_hmac_init(&h), 0);
    sl_jwt_t j;

    unsigned char secret[64];
    long n = sl_base64_decode(hs_key_b64, strlen(hs_key_b64), secret, sizeof(secret),
                              SL_BASE64_URL);
    CHECK_EQ_INT(n, 64);
    sl_jwt_key_t k = {.alg = SL_JWT_HS256, .secret = secret, .secret_len = (size_t)n};
    CHECK_EQ_INT(parse(&a, hs_token, &j), SL_JWT_OK);
    CHECK(sl_jwt_verify(&j, &k, &h));
    secret[0] ^= 1;
    CHECK(!sl_jwt_verify(&j, &k, &h));
    secret[0] ^= 1;
    k.alg = SL_JWT_HS384; /* the credential's algorithm differs from the token's */
    CHECK(!sl_jwt_verify(&j, &k, &h));

    mbedtls_pk_context rsa, ec;
    CHECK_EQ_INT(sl_jwt_pk_parse(&rsa, rs_pem, SL_JWT_RS256), 0);
    CHECK_EQ_INT(sl_jwt_pk_parse(&ec, es_pem, SL_JWT_ES256), 0);
    mbedtls_pk_context bad;
    CHECK_EQ_INT(sl_jwt_pk_parse(&bad, es_pem, SL_JWT_RS256), -1);  /* EC key for RS */
    CHECK_EQ_INT(sl_jwt_pk_parse(&bad, es_pem, SL_JWT_ES384), -1);  /* P-256 for ES384 */
    CHECK_EQ_INT(sl_jwt_pk_parse(&bad, rs_pem, SL_JWT_ES256), -1);
    CHECK_EQ_INT(sl_jwt_pk_parse(&bad, "garbage", SL_JWT_RS256), -1);
    CHECK_EQ_INT(sl_jwt_pk_parse(&bad, rs_pem, SL_JWT_HS256), -1);
    CHECK_EQ_INT(sl_jwt_pk_parse(&bad, rs_pem, SL_JWT_PS256), 0);
    mbedtls_pk_free(&bad);

    sl_jwt_key_t rk = {.alg = SL_JWT_RS256, .pk = &rsa};
    CHECK_EQ_INT(parse(&a, rs_token, &j), SL_JWT_OK);
    CHECK_EQ_INT(j.sig_len, 256);
    CHECK(sl_jwt_verify(&j, &rk, &h));
    /* a PKCS#1 v1.5 signature is not a PSS one */
    sl_jwt_t ps = j;
    ps.alg = SL_JWT_PS256;
    sl_jwt_key_t pk = {.alg = SL_JWT_PS256, .pk = &rsa};
    CHECK(!sl_jwt_verify(&ps, &pk, &h));
    /* algorithm confusion: the RSA key's PEM as an HMAC secret never verifies an RS256
     * credential's token, whatever the token claims */
    sl_jwt_key_t conf = {.alg = SL_JWT_HS256, .secret = (const unsigned char *)rs_pem,
                         .secret_len = strlen(rs_pem)};
    CHECK(!sl_jwt_verify(&j, &conf, &h));
    unsigned char *sig = (unsigned char *)j.sig;
    sig[10] ^= 0x40;
    CHECK(!sl_jwt_verify(&j, &rk, &h));

    sl_jwt_key_t ek = {.alg = SL_JWT_ES256, .pk = &ec};
    CHECK_EQ_INT(parse(&a, es_token, &j), SL_JWT_OK);
    CHECK_EQ_INT(j.sig_len, 64);
    CHECK(sl_jwt_verify(&j, &ek, &h));
    sl_jwt_t shortsig = j;
    shortsig.sig_len = 63;
    CHECK(!sl_jwt_verify(&shortsig, &ek, &h));
    sig = (unsigned char *)j.sig;
    sig[40] ^= 1;
    CHECK(!sl_jwt_verify(&j, &ek, &h));
    sl_jwt_key_t wrong = {.alg = SL_JWT_ES256, .pk = &rsa}; /* an RSA key behind ES256 */
    CHECK(!sl_jwt_verify(&j, &wrong, &h));

    mbedtls_pk_free(&rsa);
    mbedtls_pk_free(&ec);
    sl_jwt_hmac_free(&h);
    sl_arena_destroy(&a);
}

static bool bearer(const char *v, const char *want)
{
    sl_slice_t t;
    if (!sl_jwt_extract_bearer(sl_slice(v, strlen(v)), &t))
        return want == NULL;
    return want && t.len == strlen(want) && memcmp(t.p, want, t.len) == 0;
}

static bool cookie(const char *h, const char *name, const char *want)
{
    sl_slice_t v;
    if (!sl_jwt_extract_cookie(sl_slice(h, strlen(h)), sl_slice(name, strlen(name)), &v))
        return want == NULL;
    return want && v.len == strlen(want) && memcmp(v.p, want, v.len) == 0;
}

static void test_extract(void)
{
    CHECK(bearer("Bearer abc", "abc"));
    CHECK(bearer("bearer  a b", "a b"));
    CHECK(bearer("BEARER abc", NULL)); /* Kong's [Bb]earer */
    CHECK(bearer("Bearer", NULL));
    CHECK(bearer("Bearerabc", NULL));
    CHECK(bearer("Token Bearer abc", "abc")); /* the regex is not anchored */
    CHECK(bearer("Bearerx bearer y", "y"));
    CHECK(bearer("Bearer \t ", "\t ") || bearer("Bearer \t ", " ")); /* backtracking */
    CHECK(bearer("Bearer  ", " "));
    CHECK(bearer("Bearer x\ny", "x"));

    CHECK(cookie("jwt=abc", "jwt", "abc"));
    CHECK(cookie("a=1; jwt=abc; b=2", "jwt", "abc"));
    CHECK(cookie("a=1;jwt = abc ;b", "JWT", "abc "));
    CHECK(cookie("jwtx=1; jwt=2", "jwt", "2"));
    CHECK(cookie("a=1, jwt=2", "jwt", "2"));
    CHECK(cookie("jwt", "jwt", NULL));
    CHECK(cookie("jwt=", "jwt", ""));
    CHECK(cookie("jw", "jwt", NULL));
    CHECK(cookie("x=jwt=1", "jwt", NULL));

    /* the collector: Kong's order, sets and bare arguments */
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_header_t hs[3] = {
        {SL_SLICE_LIT("Authorization"), SL_SLICE_LIT("Bearer tok")},
        {SL_SLICE_LIT("Cookie"), SL_SLICE_LIT("c=tok")},
        {SL_SLICE_LIT("X-Other"), SL_SLICE_LIT("Bearer two")},
    };
    sl_req_t req = {.headers = hs, .n_headers = 3};
    const char *qn[] = {"jwt"}, *cn[] = {"c"}, *hn[] = {"authorization", "x_other"};
    sl_strlist_t q = {qn, 1}, c = {cn, 1}, h = {hn, 1}, none = {NULL, 0};
    sl_jwt_tokens_t t;
    sl_jwt_extract(&req, &q, &c, &h, &a, &t);
    CHECK_EQ_INT(t.n, 1); /* the same token twice */
    CHECK(SL_SLICE_EQ_LIT(t.first, "tok"));
    h.n = 2;
    sl_jwt_extract(&req, &q, &c, &h, &a, &t);
    CHECK_EQ_INT(t.n, 2);
    req.query = SL_SLICE_LIT("a=1&j%77t=t%6Fk+&&jwt");
    req.has_query = true;
    sl_jwt_extract(&req, &q, &none, &none, &a, &t);
    CHECK_EQ_INT(t.n, 2); /* "tok " and the bare `true` */
    CHECK(SL_SLICE_EQ_LIT(t.first, "tok "));
    req.query = SL_SLICE_LIT("jwt");
    sl_jwt_extract(&req, &q, &none, &none, &a, &t);
    CHECK(t.n == 1 && t.first_bare);
    req.query = SL_SLICE_LIT("jwt=&x=%zz");
    sl_jwt_extract(&req, &q, &none, &none, &a, &t);
    CHECK_EQ_INT(t.n, 0);
    sl_arena_destroy(&a);
}

int main(void)
{
    test_parse();
    test_verify();
    test_extract();
    TEST_MAIN_END();
}
