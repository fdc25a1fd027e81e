/*
 * Real client address (see realip.h). The walk follows nginx's
 * ngx_http_get_forwarded_addr_internal (src/http/ngx_http_core_module.c) step for step,
 * but iterates where nginx recurses, so a long X-Forwarded-For cannot exhaust the stack.
 */
#include "http/realip.h"

#include <string.h>
#include <strings.h>

#include "core/errors.h"

int sl_realip_parse_entry(const char *s, size_t len, sl_ip_t *out)
{
    if (sl_ip_parse(s, len, out) == 0)
        return 0;
    const char *end = s + len, *colon;
    const char *a = s;
    size_t alen;
    if (len && s[0] == '[') {
        const char *rb = memchr(s, ']', len);
        if (rb == NULL || rb == end - 1 || rb[1] != ':')
            return SL_EINVAL;
        colon = rb + 1;
        a = s + 1;
        alen = (size_t)(rb - a);
    } else {
        colon = memchr(s, ':', len);
        if (colon == NULL)
            return SL_EINVAL;
        alen = (size_t)(colon - s);
    }
    /* the port: 1..65535, digits only (ngx_atoi) */
    const char *p = colon + 1;
    if (p == end || end - p > 5)
        return SL_EINVAL;
    unsigned port = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return SL_EINVAL;
        port = port * 10 + (unsigned)(*p - '0');
    }
    if (port < 1 || port > 65535)
        return SL_EINVAL;
    return sl_ip_parse(a, alen, out);
}

static bool is_sep(char ch)
{
    return ch == ' ' || ch == ',';
}

sl_realip_rc_t sl_realip_walk(sl_ip_t *addr, sl_slice_t value, const sl_cidr_t *trusted,
                              size_t n, bool recursive)
{
    const char *xff = value.p;
    size_t len = value.len;
    bool first = true;
    for (;;) {
        /* a hop below the first that fails ends the walk where it is (NGX_DONE) */
        sl_realip_rc_t fail = first ? SL_REALIP_DECLINED : SL_REALIP_DONE;
        if (!sl_cidr_list_match(trusted, n, addr))
            return fail;
        if (len == 0 || xff == NULL)
            return fail;
        size_t end = len, i = len - 1;
        while (i > 0 && is_sep(xff[i])) { /* trailing separators; nginx never looks at [0] */
            i--;
            end--;
        }
        size_t start = i;
        while (start > 0) {
            if (is_sep(xff[start])) {
                start++;
                break;
            }
            start--;
        }
        sl_ip_t found;
        if (sl_realip_parse_entry(xff + start, end - start, &found) != 0)
            return fail;
        *addr = found;
        if (!recursive || start == 0)
            return SL_REALIP_OK;
        len = start - 1; /* the rest, without the separator before this entry */
        first = false;
    }
}

bool sl_realip_client(const sl_ip_t *peer, const sl_header_t *headers, size_t n_headers,
                      const char *header_name, const sl_cidr_t *trusted, size_t n,
                      bool recursive, sl_ip_t *out)
{
    if (n == 0 || !sl_cidr_list_match(trusted, n, peer))
        return false;
    size_t name_len = strlen(header_name);
    sl_ip_t addr = *peer;
    sl_realip_rc_t rc = SL_REALIP_DECLINED;
    if (name_len == 15 && strncasecmp(header_name, "x-forwarded-for", 15) == 0) {
        /* every X-Forwarded-For header, the last one first (ngx_http_get_forwarded_addr):
         * without recursion only the last counts; with it, the walk goes on into an
         * earlier header while every entry of a later one was trusted */
        bool found = false;
        for (size_t i = n_headers; i-- > 0;) {
            if (!sl_slice_ieq(headers[i].name, header_name, name_len))
                continue;
            rc = sl_realip_walk(&addr, headers[i].value, trusted, n, recursive);
            if (!recursive)
                break;
            if (rc == SL_REALIP_DECLINED && found) {
                rc = SL_REALIP_DONE;
                break;
            }
            if (rc != SL_REALIP_OK)
                break;
            found = true;
        }
    } else {
        for (size_t i = 0; i < n_headers; i++) {
            if (sl_slice_ieq(headers[i].name, header_name, name_len)) {
                rc = sl_realip_walk(&addr, headers[i].value, trusted, n, recursive);
                break;
            }
        }
    }
    if (rc == SL_REALIP_DECLINED)
        return false;
    *out = addr;
    return true;
}
