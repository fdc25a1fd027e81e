/*
 * Request path handling as Kong does it: normalization before matching (kong/tools/uri.lua
 * `normalize`), the upstream path built from the service path and what strip_path leaves
 * (kong/router/utils.lua `get_upstream_uri`, path_handling v0; kong/router/traditional.lua for
 * v1) and the escaping applied before the path goes upstream (kong/tools/uri.lua `escape`).
 *
 * Everything works on caller buffers; nothing allocates.
 */
#include "core/path.h"

#include <string.h>

/* RFC 3986 reserved characters plus '%': Kong keeps their %XX form (upper-cased) because
 * decoding them would change what the path means (kong/tools/uri.lua RESERVED_CHARS). */
static bool is_reserved(unsigned char c)
{
    switch (c) {
    case '!': case '*': case '\'': case '(': case ')': case ';': case ':': case '@':
    case '&': case '=': case '+': case '$': case ',': case '/': case '?': case '%':
    case '#': case '[': case ']':
        return true;
    default:
        return false;
    }
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char upper_hex(unsigned char c)
{
    return (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : (char)c;
}

/* Step 1: %XX of a reserved character stays (upper-cased), any other %XX is decoded. The
 * result is never longer than the input, and never holds a '%' that is not the start of a
 * valid triplet, so decoding twice changes nothing. */
static ssize_t decode(const char *in, size_t len, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c != '%') {
            out[w++] = (char)c;
            continue;
        }
        if (len - i < 3)
            return -1;
        int hi = hex_value((unsigned char)in[i + 1]);
        int lo = hex_value((unsigned char)in[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        unsigned char v = (unsigned char)(hi << 4 | lo);
        if (v == 0)
            return -1; /* nginx refuses a decoded NUL in the URI with 400, and so does Kong */
        if (is_reserved(v)) {
            out[w++] = '%';
            out[w++] = upper_hex((unsigned char)in[i + 1]);
            out[w++] = upper_hex((unsigned char)in[i + 2]);
        } else {
            out[w++] = (char)v;
        }
        i += 2;
    }
    return (ssize_t)w;
}

/* Steps 2 and 3, in place: the loop of kong/tools/uri.lua `normalize` with merge_slashes.
 * The unread input always starts with '/', and every output segment starts with '/', so
 * popping a segment is cutting the output back to its last '/'. The writer never passes the
 * reader. */
static size_t remove_dots(char *buf, size_t len)
{
    size_t r = 0, w = 0;
    while (r < len) {
        size_t left = len - r;
        const char *p = buf + r;
        if (left == 2 && p[1] == '.') {
            /* "/." at the end: becomes "/" */
            buf[w++] = '/';
            r = len;
        } else if (left == 3 && p[1] == '.' && p[2] == '.') {
            /* "/.." at the end: drop the last segment, then "/" */
            while (w > 0 && buf[--w] != '/')
                ;
            buf[w++] = '/';
            r = len;
        } else if (left >= 3 && p[1] == '.' && p[2] == '/') {
            r += 2; /* "/./" -> "/" */
        } else if (left >= 4 && p[1] == '.' && p[2] == '.' && p[3] == '/') {
            r += 3; /* "/../" -> "/" and drop the last segment */
            while (w > 0 && buf[--w] != '/')
                ;
        } else if (left >= 2 && p[1] == '/') {
            r += 1; /* merge "//" */
        } else {
            /* copy one segment: '/' and everything up to the next '/' */
            const char *next = left > 1 ? memchr(p + 1, '/', left - 1) : NULL;
            size_t seg = next ? (size_t)(next - p) : left;
            memmove(buf + w, p, seg);
            w += seg;
            r += seg;
        }
    }
    return w;
}

ssize_t sl_path_normalize(const char *in, size_t len, char *out)
{
    if (len == 0 || in[0] != '/')
        return -1;
    ssize_t n = decode(in, len, out);
    if (n < 0)
        return -1;
    size_t w = remove_dots(out, (size_t)n);
    out[w] = '\0';
    return (ssize_t)w;
}

/* Appends <len> bytes of <s> to <out> at *<w>, keeping room for the final NUL. */
static bool put(char *out, size_t cap, size_t *w, const char *s, size_t len)
{
    if (cap - *w <= len)
        return false;
    memcpy(out + *w, s, len);
    *w += len;
    return true;
}

/* What strip_path leaves of the request: the part after <prefix_len>. A route without a path
 * match (prefix_len 0) leaves the path minus its first '/', as Kong's atc.lua does. */
static void postfix(const char *req, size_t req_len, bool strip, size_t prefix_len,
                    const char **rest, size_t *rest_len)
{
    size_t skip = strip ? prefix_len : 0;
    if (skip == 0 && req_len > 0)
        skip = 1;
    if (skip > req_len)
        skip = req_len;
    *rest = req + skip;
    *rest_len = req_len - skip;
}

/* kong/router/utils.lua sanitize_uri_postfix: a leading "./" or "../" (or a bare "." or "..")
 * left over by stripping must not reach the upstream as a dot segment. */
static void sanitize(const char **rest, size_t *rest_len)
{
    const char *s = *rest;
    size_t n = *rest_len;
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
        *rest_len = 0;
    } else if (n >= 2 && s[0] == '.' && s[1] == '/') {
        *rest = s + 2;
        *rest_len = n - 2;
    } else if (n >= 3 && s[0] == '.' && s[1] == '.' && s[2] == '/') {
        *rest = s + 3;
        *rest_len = n - 3;
    }
}

ssize_t sl_path_upstream(const char *base, const char *req, size_t req_len, bool strip,
                         size_t prefix_len, char *out, size_t cap)
{
    if (base == NULL || base[0] == '\0')
        base = "/";
    size_t base_len = strlen(base);
    const char *rest;
    size_t rest_len;
    postfix(req, req_len, strip, prefix_len, &rest, &rest_len);
    sanitize(&rest, &rest_len);

    size_t w = 0;
    bool ok;
    bool req_slash_end = req_len > 0 && req[req_len - 1] == '/';
    if (cap == 0)
        return -1;
    if (base[base_len - 1] == '/') {
        if (strip) {
            if (rest_len == 0) {
                if (base_len == 1)
                    ok = put(out, cap, &w, "/", 1);
                else if (req_slash_end)
                    ok = put(out, cap, &w, base, base_len);
                else
                    ok = put(out, cap, &w, base, base_len - 1);
            } else if (rest[0] == '/') {
                ok = put(out, cap, &w, base, base_len - 1) && put(out, cap, &w, rest, rest_len);
            } else {
                ok = put(out, cap, &w, base, base_len) && put(out, cap, &w, rest, rest_len);
            }
        } else {
            ok = put(out, cap, &w, base, base_len) &&
                 put(out, cap, &w, req + (req_len > 0), req_len - (req_len > 0));
        }
    } else {
        if (strip) {
            if (rest_len == 0) {
                ok = put(out, cap, &w, base, base_len);
                if (ok && req_len > 1 && req_slash_end)
                    ok = put(out, cap, &w, "/", 1);
            } else if (rest[0] == '/') {
                ok = put(out, cap, &w, base, base_len) && put(out, cap, &w, rest, rest_len);
            } else {
                ok = put(out, cap, &w, base, base_len) && put(out, cap, &w, "/", 1) &&
                     put(out, cap, &w, rest, rest_len);
            }
        } else {
            ok = put(out, cap, &w, base, base_len);
            if (ok && !(req_len == 1 && req[0] == '/'))
                ok = put(out, cap, &w, req, req_len);
        }
    }
    if (!ok)
        return -1;
    out[w] = '\0';
    return (ssize_t)w;
}

ssize_t sl_path_upstream_v1(const char *base, const char *req, size_t req_len, bool strip,
                            size_t prefix_len, char *out, size_t cap)
{
    if (base == NULL || base[0] == '\0')
        base = "/";
    size_t base_len = strlen(base);
    size_t w = 0;
    bool ok;
    if (cap == 0)
        return -1;
    if (strip) {
        /* kong/router/traditional.lua, path_handling v1: the rest is appended as is; only a
         * doubled '/' at the junction is dropped. */
        const char *rest;
        size_t rest_len;
        postfix(req, req_len, strip, prefix_len, &rest, &rest_len);
        if (base[base_len - 1] == '/' && rest_len > 0 && rest[0] == '/')
            base_len--;
        ok = put(out, cap, &w, base, base_len) && put(out, cap, &w, rest, rest_len);
    } else {
        ok = put(out, cap, &w, base, base_len) &&
             put(out, cap, &w, req + (req_len > 0), req_len - (req_len > 0));
    }
    if (!ok)
        return -1;
    out[w] = '\0';
    return (ssize_t)w;
}

/* kong/tools/uri.lua ESCAPE_PATTERN: these bytes go upstream as they are. */
static bool is_safe(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '-': case '_': case '.': case '~': case '!': case '#': case '$': case '&':
    case '\'': case '(': case ')': case '*': case '+': case ',': case '/': case ':':
    case ';': case '=': case '?': case '@': case '[': case ']': case '%':
        return true;
    default:
        return false;
    }
}

ssize_t sl_path_escape(const char *in, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_safe(c)) {
            if (cap - w < 2)
                return -1;
            out[w++] = (char)c;
        } else {
            if (cap - w < 4)
                return -1;
            out[w++] = '%';
            out[w++] = hex[c >> 4];
            out[w++] = hex[c & 15];
        }
    }
    if (cap - w < 1)
        return -1;
    out[w] = '\0';
    return (ssize_t)w;
}
