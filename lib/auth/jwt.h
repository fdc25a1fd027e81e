/*
 * JSON Web Tokens as Kong's jwt plugin reads them (kong/plugins/jwt/jwt_parser.lua): a token
 * split into header, claims and signature, each decoded the way Kong decodes them, the JSON
 * parsed with cJSON into the request arena, and the signature verified with mbedTLS against
 * a key whose algorithm comes from the credential, never from the token alone.
 *
 * Thread: any. Parsing allocates only in the arena it is given (cJSON's allocations are
 * routed there while sl_jwt_parse runs, see jwt.c). Verification needs per-thread state: an
 * sl_jwt_hmac_t for the HS* algorithms and a pk context per thread for the others (mbedTLS
 * caches values inside RSA and EC contexts, so a context is never shared between threads).
 */
#ifndef SL_AUTH_JWT_H
#define SL_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include "core/arena.h"
#include "core/slice.h"

/* The longest token looked at. A longer one cannot reach Kong's plugin: nginx refuses a
 * header line over 8k (large_client_header_buffers) and a request line over 8k. */
#define SL_JWT_MAX_LEN 8192

/* Algorithms Kong knows (its alg_verify table, 3.7+). EdDSA is known (a token naming it is
 * not "invalid alg") but no credential can use it: mbedTLS has no Ed25519. */
typedef enum {
    SL_JWT_HS256 = 0,
    SL_JWT_HS384,
    SL_JWT_HS512,
    SL_JWT_RS256,
    SL_JWT_RS384,
    SL_JWT_RS512,
    SL_JWT_ES256,
    SL_JWT_ES384,
    SL_JWT_ES512,
    SL_JWT_PS256,
    SL_JWT_PS384,
    SL_JWT_PS512,
    SL_JWT_EDDSA,
    SL_JWT__NALG
} sl_jwt_alg_t;

/* Why a token could not be decoded; sl_jwt_strerror gives Kong's words, which the plugin
 * prefixes with "Bad token; ". */
typedef enum {
    SL_JWT_OK = 0,
    SL_JWT_EJSON,      /* "invalid JSON": a part missing, bad base64 or bad JSON */
    SL_JWT_EALG,       /* "invalid alg": no alg, not a string or not an algorithm Kong knows */
    SL_JWT_ECLAIMS,    /* "invalid claims": the claims are not a JSON object */
    SL_JWT_ESIGNATURE, /* "invalid signature": the signature is not base64 */
} sl_jwt_err_t;

/* A decoded token. Everything points into the token text or the arena given to sl_jwt_parse. */
typedef struct sl_jwt {
    sl_slice_t signing_input;     /* "<header_64>.<claims_64>", as received */
    const unsigned char *sig;     /* decoded signature (arena) */
    size_t sig_len;
    const cJSON *header;          /* the JOSE header: an object (arena) */
    const cJSON *claims;          /* the claims: an object (arena) */
    sl_jwt_alg_t alg;             /* the header's alg */
} sl_jwt_t;

/* Installs cJSON's allocation hooks (once per process; jwt.c says why). Called by
 * sl_jwt_parse; call it early, before other threads use cJSON. */
void sl_jwt_init(void);

/* "HS256" -> SL_JWT_HS256 ...; -1 for a name Kong does not know. */
int sl_jwt_alg_from_name(const char *name, size_t len);
const char *sl_jwt_alg_name(sl_jwt_alg_t alg);
/* The digest an algorithm hashes with. */
mbedtls_md_type_t sl_jwt_alg_md(sl_jwt_alg_t alg);
static inline bool sl_jwt_alg_is_hmac(sl_jwt_alg_t alg)
{
    return alg <= SL_JWT_HS512;
}

/* Kong's message for <err> ("invalid JSON", ...). */
const char *sl_jwt_strerror(sl_jwt_err_t err);

/* Splits and decodes <token> (<len> bytes, borrowed; it must outlive <out>) into <out>,
 * allocating in <arena>. Returns SL_JWT_OK or why not, checking in Kong's order. The token
 * length cap (SL_JWT_MAX_LEN) is the caller's. */
sl_jwt_err_t sl_jwt_parse(sl_jwt_t *out, const char *token, size_t len, sl_arena_t *arena);

/* Member <name> of the JSON object <obj>: the last one when it is repeated (lua-cjson keeps
 * the last); NULL when absent or <obj> is not an object. */
const cJSON *sl_jwt_member(const cJSON *obj, const char *name);

/* Per-thread HMAC contexts for HS256/384/512 (mbedtls_md_setup allocates; done once). */
typedef struct sl_jwt_hmac {
    mbedtls_md_context_t md[3];
} sl_jwt_hmac_t;

/* Returns 0, or a negative SL_E* (the contexts are then freed). */
int sl_jwt_hmac_init(sl_jwt_hmac_t *h);
void sl_jwt_hmac_free(sl_jwt_hmac_t *h);

/* What a signature is checked against: the credential's algorithm and its secret (HS*) or
 * public key (the others; a context owned by the calling thread). */
typedef struct sl_jwt_key {
    sl_jwt_alg_t alg;
    const unsigned char *secret;
    size_t secret_len;
    mbedtls_pk_context *pk;
} sl_jwt_key_t;

/* Parses the PEM public key <pem> (NUL-terminated) into <pk> (initialised here; the caller
 * frees it with mbedtls_pk_free) and checks that it fits <alg>: RSA for RS and PS, an EC key
 * on the curve of ES256/384/512. Returns 0 or -1 (then <pk> holds nothing). */
int sl_jwt_pk_parse(mbedtls_pk_context *pk, const char *pem, sl_jwt_alg_t alg);

/* True if <jwt>'s signature is valid for <key>. False too when the token's alg is not the
 * key's (the caller reports that first, as Kong does: "Invalid algorithm"), so a public key
 * can never be used as an HMAC secret. <h> is the calling thread's. */
bool sl_jwt_verify(const sl_jwt_t *jwt, const sl_jwt_key_t *key, sl_jwt_hmac_t *h);

#endif
