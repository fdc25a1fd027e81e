/*
 * Token extraction for the jwt plugin (see jwt_extract.h). Each source reproduces what Kong
 * reads through OpenResty: ngx.req.get_uri_args for the query (arguments decoded, a bare
 * name is `true`), ngx.var.cookie_<name> for cookies, kong.request.get_headers for headers
 * (the first of repeated headers, names matched case-insensitively with '_' as '-').
 */
#include "auth/jwt_extract.h"

#include <string.h>

/* PCRE's \s without UCP: space, \t, \n, \v, \f, \r */
static bool pcre_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool sl_jwt_extract_bearer(sl_slice_t value, sl_slice_t *token)
{
    const char *s = value.p;
    size_t n = value.len;
    for (size_t i = 0; i + 6 < n; i++) {
        if ((s[i] != 'B' && s[i] != 'b') || memcmp(s + i + 1, "earer", 5) != 0)
            continue;
        size_t j = i + 6, k = j;
        while (k < n && pcre_space(s[k]))
            k++;
        if (k == j)
            continue; /* \s+ needs one */
        /* (.+) takes what follows up to a newline; when the spaces run to the end, \s+ gives
         * back characters until (.+) can take one that is not a newline */
        size_t start = k;
        if (start == n) {
            start = 0;
            for (size_t p = k - 1; p > j; p--) {
                if (s[p] != '\n') {
                    start = p;
                    break;
                }
            }
            if (start == 0)
                continue;
        }
        size_t end = start;
        while (end < n && s[end] != '\n')
            end++;
        *token = sl_slice(s + start, end - start);
        return true;
    }
    return false;
}

bool sl_jwt_extract_cookie(sl_slice_t header, sl_slice_t name, sl_slice_t *value)
{
    const char *start = header.p, *end = header.p + header.len;
    if (name.len > header.len)
        return false;
    while (start < end) {
        if ((size_t)(end - start) >= name.len && strncasecmp(start, name.p, name.len) == 0) {
            const char *p = start + name.len;
            while (p < end && *p == ' ')
                p++;
            if (p < end && *p == '=') {
                p++;
                while (p < end && *p == ' ')
                    p++;
                const char *last = p;
                while (last < end && *last != ';')
                    last++;
                *value = sl_slice(p, (size_t)(last - p));
                return true;
            }
            start = p;
        }
        /* skip to the next cookie: after ';' or ',' and the spaces that follow */
        while (start < end) {
            char ch = *start++;
            if (ch == ';' || ch == ',')
                break;
        }
        while (start < end && *start == ' ')
            start++;
    }
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One decoded byte of a query component at *<i> (advanced): '+' is a space, %XX a byte, an
 * invalid escape stays as written. */
static char next_decoded(const char *s, size_t n, size_t *i)
{
    char c = s[*i];
    if (c == '+') {
        (*i)++;
        return ' ';
    }
    if (c == '%' && n - *i >= 3) {
        int h = hexval(s[*i + 1]), l = hexval(s[*i + 2]);
        if (h >= 0 && l >= 0) {
            *i += 3;
            return (char)(h << 4 | l);
        }
    }
    (*i)++;
    return c;
}

static bool decoded_eq(const char *s, size_t n, const char *want, size_t want_len)
{
    size_t i = 0, k = 0;
    while (i < n) {
        if (k == want_len || next_decoded(s, n, &i) != want[k])
            return false;
        k++;
    }
    return k == want_len;
}

static sl_slice_t decode(const char *s, size_t n, sl_arena_t *arena)
{
    char *out = sl_arena_alloc(arena, n + 1);
    size_t i = 0, k = 0;
    while (i < n)
        out[k++] = next_decoded(s, n, &i);
    out[k] = '\0';
    return sl_slice(out, k);
}

static void add(sl_jwt_tokens_t *t, sl_slice_t tok, bool bare)
{
    if (t->n == 0) {
        t->first = tok;
        t->first_bare = bare;
        t->n = 1;
    } else if (t->n == 1 &&
               (bare != t->first_bare ||
                (!bare && (tok.len != t->first.len || memcmp(tok.p, t->first.p, tok.len) != 0)))) {
        t->n = 2;
    }
}

static void from_query(const sl_req_t *req, const char *name, sl_arena_t *arena,
                       sl_jwt_tokens_t *out)
{
    const char *q = req->query.p, *end = req->query.p + req->query.len;
    size_t nlen = strlen(name);
    unsigned args = 0;
    while (q && q < end && args < SL_JWT_MAX_QUERY_ARGS) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *seg_end = amp ? amp : end;
        if (seg_end > q) {
            args++;
            const char *eq = memchr(q, '=', (size_t)(seg_end - q));
            const char *kend = eq ? eq : seg_end;
            if (decoded_eq(q, (size_t)(kend - q), name, nlen)) {
                if (eq == NULL)
                    add(out, sl_slice(NULL, 0), true); /* "?jwt": Kong gets `true` */
                else if (seg_end > eq + 1)
                    add(out, decode(eq + 1, (size_t)(seg_end - eq - 1), arena), false);
            }
        }
        q = amp ? amp + 1 : end;
    }
}

/* kong.request.get_headers: names compare case-insensitively and '_' matches '-' */
static bool header_name_eq(sl_slice_t h, const char *name, size_t len)
{
    if (h.len != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char a = h.p[i], b = name[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (char)(b + 32);
        if (a == '_')
            a = '-';
        if (b == '_')
            b = '-';
        if (a != b)
            return false;
    }
    return true;
}

void sl_jwt_extract(const sl_req_t *req, const sl_strlist_t *uri_param_names,
                    const sl_strlist_t *cookie_names, const sl_strlist_t *header_names,
                    sl_arena_t *arena, sl_jwt_tokens_t *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < uri_param_names->n && req->has_query; i++)
        from_query(req, uri_param_names->v[i], arena, out);

    for (size_t i = 0; i < cookie_names->n; i++) {
        sl_slice_t name = sl_slice(cookie_names->v[i], strlen(cookie_names->v[i]));
        /* every Cookie header, in order; the first cookie of that name wins */
        for (size_t h = 0; h < req->n_headers; h++) {
            sl_slice_t v;
            if (SL_SLICE_IEQ_LIT(req->headers[h].name, "cookie") &&
                sl_jwt_extract_cookie(req->headers[h].value, name, &v)) {
                if (v.len > 0)
                    add(out, v, false);
                break;
            }
        }
    }

    for (size_t i = 0; i < header_names->n; i++) {
        const char *name = header_names->v[i];
        size_t len = strlen(name);
        for (size_t h = 0; h < req->n_headers; h++) {
            if (!header_name_eq(req->headers[h].name, name, len))
                continue;
            sl_slice_t tok;
            if (sl_jwt_extract_bearer(req->headers[h].value, &tok))
                add(out, tok, false);
            break; /* only the first header of that name */
        }
    }
}
