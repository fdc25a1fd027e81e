/*
 * IP addresses and CIDR ranges (see cidr.h). Parsing goes through inet_pton after a copy
 * into a bounded buffer, so the accepted syntax is the C library's strict one; what this
 * file adds is the length handling, the prefix and the comparison.
 */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"

int sl_ip_parse(const char *s, size_t len, sl_ip_t *out)
{
    char buf[SL_IP_TEXT_MAX];
    if (s == NULL || len == 0 || len >= sizeof(buf))
        return SL_EINVAL;
    if (memchr(s, '\0', len) != NULL)
        return SL_EINVAL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (memchr(buf, ':', len) != NULL) {
        if (inet_pton(AF_INET6, buf, out->b) != 1)
            return SL_EINVAL;
        out->family = SL_IP_V6;
        return 0;
    }
    if (inet_pton(AF_INET, buf, out->b) != 1)
        return SL_EINVAL;
    out->family = SL_IP_V4;
    return 0;
}

int sl_cidr_parse(const char *s, size_t len, sl_cidr_t *out)
{
    const char *slash = s ? memchr(s, '/', len) : NULL;
    size_t alen = slash ? (size_t)(slash - s) : len;
    if (sl_ip_parse(s, alen, &out->net) != 0)
        return SL_EINVAL;
    unsigned max = out->net.family == SL_IP_V4 ? 32 : 128;
    unsigned bits = max;
    if (slash) {
        const char *p = slash + 1, *end = s + len;
        /* decimal, no sign, no leading zero but "0" itself, at most 3 digits */
        if (p == end || end - p > 3 || (*p == '0' && end - p > 1))
            return SL_EINVAL;
        bits = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return SL_EINVAL;
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if (bits > max)
            return SL_EINVAL;
    }
    out->bits = (uint8_t)bits;
    /* clear the host bits so that matching compares whole bytes */
    unsigned nbytes = max / 8;
    for (unsigned i = 0; i < nbytes; i++) {
        unsigned from = i * 8;
        if (from >= bits)
            out->net.b[i] = 0;
        else if (bits - from < 8)
            out->net.b[i] &= (uint8_t)(0xff00u >> (bits - from));
    }
    return 0;
}

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool prefix_eq(const uint8_t *a, const uint8_t *net, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, net, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return (a[whole] & mask) == net[whole];
}

bool sl_cidr_match(const sl_cidr_t *c, const sl_ip_t *ip)
{
    if (c->net.family == ip->family)
        return prefix_eq(ip->b, c->net.b, c->bits);
    if (c->net.family == SL_IP_V4 && ip->family == SL_IP_V6 &&
        memcmp(ip->b, v4_mapped_prefix, 12) == 0)
        return prefix_eq(ip->b + 12, c->net.b, c->bits);
    return false;
}

bool sl_cidr_list_match(const sl_cidr_t *v, size_t n, const sl_ip_t *ip)
{
    for (size_t i = 0; i < n; i++)
        if (sl_cidr_match(&v[i], ip))
            return true;
    return false;
}

size_t sl_ip_format(const sl_ip_t *ip, char *out, size_t cap)
{
    if (inet_ntop(ip->family == SL_IP_V4 ? AF_INET : AF_INET6, ip->b, out, (socklen_t)cap) ==
        NULL) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    return strlen(out);
}
