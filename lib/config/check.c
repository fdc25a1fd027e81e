/*
 * Value validators. Host parsing follows kong/tools/ip.lua (hostname_type, normalize_ipv4,
 * normalize_ipv6, check_hostname) so that the same strings are accepted and refused, with
 * the same messages; the wrappers follow typedefs.lua (validate_host, validate_sni,
 * validate_wildcard_host, validate_path, validate_utf8_name, validate_tag).
 */
#include "config/check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 200 /* longest user string quoted in a message */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Writes <pre><s><post> (with <s> cut at QUOTE_MAX bytes) into <err>. */
static const char *fail(char *err, size_t cap, const char *pre, const char *s, const char *post)
{
    snprintf(err, cap, "%s%.*s%s", pre, QUOTE_MAX, s, post);
    return err;
}

/* Parses a run of digits as a port; -1 if it is empty, -2 if over 65535. */
static int parse_port(const char *p, size_t len)
{
    if (len == 0)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(p[i]))
            return -1;
        if (v <= 65535)
            v = v * 10 + (p[i] - '0');
    }
    return v > 65535 ? -2 : (int)v;
}

static sl_host_type_t host_type(const char *s)
{
    size_t colons = 0;
    bool ipv4ish = s[0] != '\0';
    for (const char *p = s; *p; p++) {
        if (*p == ':')
            colons++;
        else if (!is_digit(*p) && *p != '.')
            ipv4ish = false;
    }
    if (colons > 1)
        return SL_HOST_IPV6;
    return ipv4ish ? SL_HOST_IPV4 : SL_HOST_NAME;
}

static const char *parse_ipv4(const char *s, sl_hostport_t *out, char *err, size_t cap)
{
    /* ^(%d+)%.(%d+)%.(%d+)%.(%d+):?(%d*)$ */
    const char *p = s;
    unsigned oct[4];
    for (int i = 0; i < 4; i++) {
        const char *q = p;
        unsigned long v = 0;
        while (is_digit(*q)) {
            if (v < 1000)
                v = v * 10 + (unsigned)(*q - '0');
            q++;
        }
        if (q == p || (i < 3 && *q != '.'))
            return fail(err, cap, "invalid ipv4 address: ", s, "");
        if (v > 255)
            return fail(err, cap, "invalid ipv4 address: ", s, "");
        oct[i] = (unsigned)v;
        p = i < 3 ? q + 1 : q;
    }
    out->port = -1;
    if (*p == ':')
        p++;
    if (*p != '\0') {
        int port = parse_port(p, strlen(p));
        if (port == -1)
            return fail(err, cap, "invalid ipv4 address: ", s, "");
        if (port == -2) {
            snprintf(err, cap, "invalid port number");
            return err;
        }
        out->port = port;
    }
    snprintf(out->host, sizeof(out->host), "%u.%u.%u.%u", oct[0], oct[1], oct[2], oct[3]);
    return NULL;
}

static const char *parse_ipv6(const char *s, sl_hostport_t *out, char *err, size_t cap)
{
    char addr[128];
    out->port = -1;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || (size_t)(close - s - 1) >= sizeof(addr))
            return fail(err, cap, "invalid ipv6 address: ", s, "");
        memcpy(addr, s + 1, (size_t)(close - s - 1));
        addr[close - s - 1] = '\0';
        const char *rest = close + 1;
        if (*rest != '\0') {
            int port = *rest == ':' ? parse_port(rest + 1, strlen(rest + 1)) : -1;
            if (*rest != ':' || (port == -1 && rest[1] != '\0')) {
                snprintf(err, cap, "invalid ipv6 address");
                return err;
            }
            if (port == -2) {
                snprintf(err, cap, "invalid port number");
                return err;
            }
            out->port = port < 0 ? -1 : port;
        }
    } else {
        if (strlen(s) >= sizeof(addr))
            return fail(err, cap, "invalid ipv6 address: ", s, "");
        strcpy(addr, s);
    }
    unsigned char bin[16];
    if (strchr(addr, '%') != NULL || inet_pton(AF_INET6, addr, bin) != 1)
        return fail(err, cap, "invalid ipv6 address: ", s, "");
    snprintf(out->host, sizeof(out->host), "%s", addr);
    return NULL;
}

static const char *parse_name(const char *s, sl_hostport_t *out, char *err, size_t cap)
{
    size_t len = strlen(s);
    size_t name_len = len;
    out->port = -1;
    /* a trailing `:digits` is the port */
    const char *colon = strrchr(s, ':');
    if (colon != NULL) {
        size_t plen = len - (size_t)(colon - s) - 1;
        int port = parse_port(colon + 1, plen);
        if (port == -2) {
            snprintf(err, cap, "invalid port number");
            return err;
        }
        if (port >= 0) {
            out->port = port;
            name_len = (size_t)(colon - s);
        }
    }
    if (name_len == 0 || name_len >= sizeof(out->host))
        return fail(err, cap, "invalid hostname: ", s, "");
    for (size_t i = 0; i < name_len; i++) {
        char c = s[i];
        if (!is_alnum(c) && c != '-' && c != '.' && c != '_')
            return fail(err, cap, "invalid hostname: ", s, "");
    }
    /* No segment may end with '-'; empty segments only as the last one (FQDN dot). */
    size_t seg_start = 0;
    for (size_t i = 0; i <= name_len; i++) {
        if (i == name_len || s[i] == '.') {
            size_t seg_len = i - seg_start;
            if (seg_len == 0 && i != name_len)
                return fail(err, cap, "invalid hostname: ", s, "");
            if (seg_len > 0 && s[i - 1] == '-')
                return fail(err, cap, "invalid hostname: ", s, "");
            seg_start = i + 1;
        }
    }
    memcpy(out->host, s, name_len);
    out->host[name_len] = '\0';
    return NULL;
}

const char *sl_check_hostport(const char *s, sl_hostport_t *out, char *err, size_t cap)
{
    memset(out, 0, sizeof(*out));
    out->port = -1;
    out->type = host_type(s);
    switch (out->type) {
    case SL_HOST_IPV4:
        return parse_ipv4(s, out, err, cap);
    case SL_HOST_IPV6:
        return parse_ipv6(s, out, err, cap);
    default:
        return parse_name(s, out, err, cap);
    }
}

static bool is_port_error(const char *e)
{
    return e != NULL && strcmp(e, "invalid port number") == 0;
}

const char *sl_check_host(const char *s, char *err, size_t cap)
{
    sl_hostport_t hp;
    const char *e = sl_check_hostport(s, &hp, err, cap);
    if (e != NULL && !is_port_error(e))
        return fail(err, cap, "invalid value: ", s, "");
    if (e != NULL || hp.port >= 0) {
        snprintf(err, cap, "must not have a port");
        return err;
    }
    return NULL;
}

const char *sl_check_host_with_port(const char *s, char *err, size_t cap)
{
    sl_hostport_t hp;
    return sl_check_hostport(s, &hp, err, cap);
}

const char *sl_check_route_host(const char *s, char *err, size_t cap)
{
    size_t len = strlen(s), stars = 0;
    for (size_t i = 0; i < len; i++)
        stars += s[i] == '*';
    if (stars > 1) {
        snprintf(err, cap, "invalid wildcard: must have at most one wildcard");
        return err;
    }
    if (stars == 1 && !(len >= 2 && s[0] == '*' && s[1] == '.') &&
        !(len >= 2 && s[len - 1] == '*' && s[len - 2] == '.')) {
        snprintf(err, cap, "invalid wildcard: must be placed at leftmost or rightmost label");
        return err;
    }
    /* Kong validates the host with the '*' replaced by "abc" (and reports that string). */
    char buf[1024];
    if (len + 3 >= sizeof(buf))
        return fail(err, cap, "invalid hostname: ", s, "");
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '*') {
            memcpy(buf + o, "abc", 3);
            o += 3;
        } else {
            buf[o++] = s[i];
        }
    }
    buf[o] = '\0';
    sl_hostport_t hp;
    return sl_check_hostport(buf, &hp, err, cap);
}

/* validate_sni and validate_wildcard_host share this tail. */
static const char *sni_tail(const char *checked, const char *orig, char *err, size_t cap)
{
    sl_hostport_t hp;
    const char *e = sl_check_hostport(checked, &hp, err, cap);
    if (e != NULL && !is_port_error(e))
        return fail(err, cap, "invalid value: ", orig, "");
    if (e == NULL && hp.type != SL_HOST_NAME) {
        snprintf(err, cap, "must not be an IP");
        return err;
    }
    if (e != NULL || hp.port >= 0) {
        snprintf(err, cap, "must not have a port");
        return err;
    }
    return NULL;
}

const char *sl_check_sni(const char *s, char *err, size_t cap)
{
    return sni_tail(s, s, err, cap);
}

const char *sl_check_wildcard_host(const char *s, char *err, size_t cap)
{
    size_t len = strlen(s);
    const char *star = strchr(s, '*');
    if (star == NULL)
        return sni_tail(s, s, err, cap);
    if (star != s && star != s + len - 1) {
        snprintf(err, cap, "wildcard must be leftmost or rightmost character");
        return err;
    }
    if (strchr(star + 1, '*') != NULL) {
        snprintf(err, cap, "only one wildcard must be specified");
        return err;
    }
    char buf[1024];
    if (len + 8 >= sizeof(buf))
        return fail(err, cap, "invalid value: ", s, "");
    size_t pre = (size_t)(star - s);
    memcpy(buf, s, pre);
    memcpy(buf + pre, "wildcard", 8);
    strcpy(buf + pre + 8, star + 1);
    /* Kong reports the substituted host in "invalid value". */
    return sni_tail(buf, buf, err, cap);
}

const char *sl_check_upstream_name(const char *s, char *err, size_t cap)
{
    sl_hostport_t hp;
    char tmp[SL_CHECK_ERR_MAX];
    const char *e = sl_check_hostport(s, &hp, tmp, sizeof(tmp));
    if (e != NULL && !is_port_error(e))
        return fail(err, cap, "Invalid name ('", s, "'); must be a valid hostname");
    if (e == NULL && hp.type != SL_HOST_NAME)
        return fail(err, cap, "Invalid name ('", s, "'); no ip addresses allowed");
    if (e != NULL || hp.port >= 0)
        return fail(err, cap, "Invalid name ('", s, "'); no port allowed");
    return NULL;
}

int sl_check_path_chars(const char *s, char *err, size_t cap)
{
    /* ^/[%w%.%-%_%~%/%%%:%@%!%$%&%'%(%)%*%+%,%;%=]*$ */
    if (s[0] != '/')
        return 1;
    for (const char *p = s; *p; p++) {
        if (!is_alnum(*p) && strchr("._-~/%:@!$&'()*+,;=", *p) == NULL)
            return 1;
    }
    /* every '%' must start a %XX triplet; Kong quotes the '%' and up to two characters
     * after it, with valid triplets before it replaced by "___" */
    for (const char *p = s; *p; p++) {
        if (*p != '%')
            continue;
        if (is_hex(p[1]) && is_hex(p[2])) {
            p += 2;
            continue;
        }
        char frag[8];
        size_t n = 0;
        frag[n++] = '%';
        for (int i = 1; i <= 2 && p[i]; i++) {
            if (p[i] == '%' && is_hex(p[i + 1]) && is_hex(p[i + 2])) {
                frag[n++] = '_';
                if (i == 1)
                    frag[n++] = '_';
                break;
            }
            frag[n++] = p[i];
        }
        frag[n] = '\0';
        snprintf(err, cap, "invalid url-encoded value: '%s'", frag);
        return 2;
    }
    return 0;
}

const char *sl_check_path(const char *s, char *err, size_t cap)
{
    if (s[0] != '/') {
        snprintf(err, cap, "should start with: /");
        return err;
    }
    if (strstr(s, "//") != NULL) {
        snprintf(err, cap, "must not have empty segments");
        return err;
    }
    int rc = sl_check_path_chars(s, err, cap);
    if (rc == 1)
        return fail(err, cap, "invalid path: '", s,
                    "' (characters outside of the reserved list of RFC 3986 found)");
    return rc == 2 ? err : NULL;
}

size_t sl_check_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i + 1;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (p[i + k] & 0xC0) != 0x80)
                return i + 1;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i + 1;
        i += n + 1;
    }
    return 0;
}

const char *sl_check_name(const char *s, char *err, size_t cap)
{
    size_t len = strlen(s);
    size_t bad = sl_check_utf8(s, len);
    if (bad != 0) {
        snprintf(err, cap, "invalid utf-8 character sequence detected at position %zu", bad);
        return err;
    }
    /* ^[%w%.%-%_~\128-\244]+$ */
    bool ok = len > 0;
    for (size_t i = 0; i < len && ok; i++) {
        unsigned char c = (unsigned char)s[i];
        ok = is_alnum((char)c) || strchr(".-_~", c) != NULL || (c >= 128 && c <= 244);
    }
    if (!ok)
        return fail(err, cap, "invalid value '", s,
                    "': the only accepted ascii characters are alphanumerics or ., -, _, and ~");
    return NULL;
}

const char *sl_check_tag(const char *s, char *err, size_t cap)
{
    size_t len = strlen(s);
    size_t bad = sl_check_utf8(s, len);
    if (bad != 0) {
        snprintf(err, cap, "invalid utf-8 character sequence detected at position %zu", bad);
        return err;
    }
    /* ^[ \033-\043\045\046\048-\126\128-\244]+$ (Lua decimal escapes: 33-43, 45, 46,
     * 48-126: printable ASCII without ',' and '/', plus space and UTF-8 bytes) */
    bool ok = len > 0;
    for (size_t i = 0; i < len && ok; i++) {
        unsigned char c = (unsigned char)s[i];
        ok = c == ' ' || (c >= 33 && c <= 43) || c == 45 || c == 46 || (c >= 48 && c <= 126) ||
             (c >= 128 && c <= 244);
    }
    if (!ok)
        return fail(err, cap, "invalid tag '", s,
                    "': expected printable ascii (except `,` and `/`) or valid utf-8 sequences");
    return NULL;
}

const char *sl_check_header_name(const char *s, char *err, size_t cap)
{
    bool ok = s[0] != '\0';
    for (const char *p = s; *p && ok; p++)
        ok = is_alnum(*p) || *p == '-' || *p == '_';
    if (!ok)
        return fail(err, cap, "bad header name '", s,
                    "', allowed characters are A-Z, a-z, 0-9, '_', and '-'");
    return NULL;
}

const char *sl_check_cookie_name(const char *s, char *err, size_t cap)
{
    bool ok = s[0] != '\0';
    for (const char *p = s; *p && ok; p++)
        ok = is_alnum(*p) || strchr("!#$%&'*+-.^_`|~", *p) != NULL;
    if (!ok)
        return fail(err, cap, "bad cookie name '", s,
                    "', allowed characters are A-Z, a-z, 0-9, and !#$%&'*+-.^_`|~");
    return NULL;
}

bool sl_check_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!is_hex(s[i])) {
            return false;
        }
    }
    return true;
}
