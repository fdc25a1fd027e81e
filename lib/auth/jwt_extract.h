/*
 * Where Kong's jwt plugin finds tokens (kong/plugins/jwt/handler.lua retrieve_tokens): query
 * arguments named in uri_param_names, cookies named in cookie_names, and headers named in
 * header_names holding "Bearer <token>". Every non-empty token found goes into a set; none
 * means "Unauthorized", more than one distinct means "Multiple tokens provided".
 *
 * Thread: any. Input is untrusted request data; nothing here allocates but the decoded query
 * values, in the arena given.
 */
#ifndef SL_AUTH_JWT_EXTRACT_H
#define SL_AUTH_JWT_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"
#include "core/arena.h"
#include "core/slice.h"
#include "http/request.h"

/* Kong reads at most this many query arguments (kong.request.get_query's default). */
#define SL_JWT_MAX_QUERY_ARGS 100

/* The set of tokens a request carries. */
typedef struct sl_jwt_tokens {
    sl_slice_t first; /* the first token found (a query value decoded into the arena) */
    bool first_bare;  /* the first was a bare query argument ("?jwt"): Kong's `true` */
    unsigned n;       /* distinct tokens, counted up to 2 */
} sl_jwt_tokens_t;

/* Kong's regex "\s*[Bb]earer\s+(.+)" searched (not anchored) in a header value, PCRE
 * semantics: true and the captured token in *<token> (a slice of <value>) on a match. */
bool sl_jwt_extract_bearer(sl_slice_t value, sl_slice_t *token);

/* nginx's $cookie_<name> over one Cookie header value (ngx_http_parse_multi_header_lines):
 * true and the value (possibly empty, a slice of <header>) if a cookie <name> (ASCII case
 * insensitive) is found. */
bool sl_jwt_extract_cookie(sl_slice_t header, sl_slice_t name, sl_slice_t *value);

/* Collects the tokens of <req> (its headers and query; nothing else is read) for the three
 * name lists, in Kong's order: query, cookies, headers. Decoded query values go in <arena>. */
void sl_jwt_extract(const sl_req_t *req, const sl_strlist_t *uri_param_names,
                    const sl_strlist_t *cookie_names, const sl_strlist_t *header_names,
                    sl_arena_t *arena, sl_jwt_tokens_t *out);

#endif
