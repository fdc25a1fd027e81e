/*
 * Fuzz target: the jwt plugin's token extractors (lib/auth/jwt_extract.c): the Bearer regex,
 * nginx's cookie lookup and the query argument reader, through sl_jwt_extract on a request
 * built from the input.
 *
 * Input: lines. The first is the query string; each following line is a header "name:value"
 * (a line without ':' is an Authorization value). Names looked for: query "jwt" and "t",
 * cookies "jwt" and "c", headers "authorization" and "x_token".
 *
 * Invariants: a Bearer match lies inside the value, is not empty and holds no newline; a
 * cookie value lies inside its header and holds no ';'; the collector counts at most two
 * tokens, a non-bare first token is never empty, and slices point into the input or the
 * arena's decoded copy.
 */
#include "auth/jwt_extract.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

#define MAX_HEADERS 16

static bool inside(sl_slice_t in, sl_slice_t of)
{
    return in.p >= of.p && in.p + in.len <= of.p + of.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    const char *p = buf, *end = buf + size;
    const char *nl = memchr(p, '\n', size);
    sl_req_t req = {0};
    req.query = sl_slice(p, (size_t)((nl ? nl : end) - p));
    req.has_query = true;
    sl_header_t hs[MAX_HEADERS];
    size_t n = 0;
    p = nl ? nl + 1 : end;
    while (p < end && n < MAX_HEADERS) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon) {
            hs[n].name = sl_slice(p, (size_t)(colon - p));
            hs[n].value = sl_slice(colon + 1, (size_t)(le - colon - 1));
        } else {
            hs[n].name = SL_SLICE_LIT("Authorization");
            hs[n].value = sl_slice(p, (size_t)(le - p));
        }
        n++;
        p = nl ? nl + 1 : end;
    }
    req.headers = hs;
    req.n_headers = n;

    for (size_t i = 0; i < n; i++) {
        sl_slice_t t;
        if (sl_jwt_extract_bearer(hs[i].value, &t)) {
            if (!inside(t, hs[i].value) || t.len == 0 || memchr(t.p, '\n', t.len))
                FAIL("bearer");
        }
        static const char *const names[] = {"jwt", "c", "", "a=b"};
        for (size_t k = 0; k < 4; k++) {
            if (sl_jwt_extract_cookie(hs[i].value, sl_slice(names[k], strlen(names[k])), &t)) {
                if (!inside(t, hs[i].value) || memchr(t.p, ';', t.len))
                    FAIL("cookie");
            }
        }
    }

    sl_arena_t a;
    sl_arena_init(&a, 0);
    const char *qn[] = {"jwt", "t"}, *cn[] = {"jwt", "c"}, *hn[] = {"authorization", "x_token"};
    sl_strlist_t q = {qn, 2}, c = {cn, 2}, h = {hn, 2};
    sl_jwt_tokens_t t;
    sl_jwt_extract(&req, &q, &c, &h, &a, &t);
    if (t.n > 2)
        FAIL("count");
    if (t.n > 0 && !t.first_bare && t.first.len == 0)
        FAIL("empty token");
    if (t.n > 0 && !t.first_bare && !inside(t.first, sl_slice(buf, size)) &&
        t.first.p[t.first.len] != '\0')
        FAIL("token not from the input nor a decoded copy");
    sl_arena_destroy(&a);
    free(buf);
    return 0;
}
