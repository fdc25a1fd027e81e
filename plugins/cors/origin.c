/*
 * Origin normalization (see origin.h). LuaSocket's url.parse, the parts Kong relies on:
 *   scheme    ^[A-Za-z0-9][A-Za-z0-9+.-]*:   (removed with its colon)
 *   authority ^//([^/]*)                     (so '?' and '#' stay in it)
 *   userinfo  ^([^@]*)@ inside the authority (dropped)
 *   port      :([^:\]]*)$ inside the rest    (may be empty)
 *   host      what is left; [v6] loses its brackets; none if nothing is left.
 */
#include "plugins/cors/origin.h"

#include <string.h>

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool sl_cors_origin_is_literal(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!is_alnum(c) && c != '.' && c != ':' && c != '/' && c != '-')
            return false;
    }
    return true;
}

void sl_cors_origin_normalize(const char *s, size_t len, sl_arena_t *arena,
                              sl_cors_origin_t *out)
{
    out->domain = sl_slice(s, len);
    out->host = sl_slice(s, len);
    out->has_host = false;

    const char *p = s, *end = s + len;
    sl_slice_t scheme = {NULL, 0};
    if (p < end && is_alnum(*p)) {
        const char *q = p + 1;
        while (q < end && (is_alnum(*q) || *q == '+' || *q == '-' || *q == '.'))
            q++;
        if (q < end && *q == ':') {
            scheme = sl_slice(p, (size_t)(q - p));
            p = q + 1;
        }
    }
    if (end - p < 2 || p[0] != '/' || p[1] != '/')
        return; /* no authority, no host */
    p += 2;
    const char *a = p, *ae = p;
    while (ae < end && *ae != '/')
        ae++;
    const char *at = memchr(a, '@', (size_t)(ae - a));
    if (at)
        a = at + 1;
    /* the port: after the last ':' when no ']' follows it */
    sl_slice_t port = {NULL, 0};
    for (const char *q = ae; q > a; q--) {
        if (q[-1] == ']')
            break;
        if (q[-1] == ':') {
            port = sl_slice(q, (size_t)(ae - q));
            ae = q - 1;
            break;
        }
    }
    if (ae == a)
        return; /* empty authority: url.parse sets no host */
    sl_slice_t host = sl_slice(a, (size_t)(ae - a));
    if (host.len > 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
        host = sl_slice(host.p + 1, host.len - 2);

    if (port.p && ((SL_SLICE_EQ_LIT(scheme, "http") && SL_SLICE_EQ_LIT(port, "80")) ||
                   (SL_SLICE_EQ_LIT(scheme, "https") && SL_SLICE_EQ_LIT(port, "443"))))
        port.p = NULL;
    size_t n = (scheme.p ? scheme.len + 3 : 0) + host.len + (port.p ? port.len + 1 : 0);
    char *d = sl_arena_alloc(arena, n + 1), *w = d;
    if (scheme.p) {
        memcpy(w, scheme.p, scheme.len);
        memcpy(w + scheme.len, "://", 3);
        w += scheme.len + 3;
    }
    memcpy(w, host.p, host.len);
    w += host.len;
    if (port.p) {
        *w++ = ':';
        memcpy(w, port.p, port.len);
        w += port.len;
    }
    *w = '\0';
    out->domain = sl_slice(d, n);
    out->host = host;
    out->has_host = true;
}
