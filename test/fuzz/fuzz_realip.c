/*
 * Fuzz target: IP/CIDR parsing (core/cidr.c, the trusted_ips list parser) and the real
 * client address walk over X-Forwarded-For / X-Real-IP values (http/realip.c).
 *
 * Input: byte 0 = flags (bit 0 recursive, bit 1 header is X-Real-IP instead of
 * X-Forwarded-For), then lines: the trusted_ips list, the peer address, then one header
 * value per line (at most 8 headers).
 *
 * Invariants: a parsed address formats and parses back to itself; a parsed range has no
 * host bits and contains its own network address; without trusted ranges or with an
 * untrusted peer the client is the peer; the iterative walk agrees with a direct recursive
 * transcription of nginx's ngx_http_get_forwarded_addr_internal on short lists.
 */
#include "core/cidr.h"
#include "core/settings.h"
#include "http/realip.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

static void check_ip(const char *s, size_t len)
{
    sl_ip_t ip, back;
    if (sl_ip_parse(s, len, &ip) != 0)
        return;
    char text[SL_IP_TEXT_MAX];
    size_t n = sl_ip_format(&ip, text, sizeof(text));
    if (n == 0 || sl_ip_parse(text, n, &back) != 0 || memcmp(&ip, &back, sizeof(ip)) != 0)
        FAIL("address does not round-trip");
}

static void check_cidr(const char *s, size_t len)
{
    sl_cidr_t c;
    if (sl_cidr_parse(s, len, &c) != 0)
        return;
    unsigned max = c.net.family == SL_IP_V4 ? 32 : 128;
    if (c.bits > max)
        FAIL("prefix too long");
    for (unsigned b = c.bits; b < max; b++)
        if (c.net.b[b / 8] & (0x80 >> (b % 8)))
            FAIL("host bit left set");
    if (!sl_cidr_match(&c, &c.net))
        FAIL("range does not contain its network");
}

/* nginx's recursion, transcribed: the reference the iterative walk must agree with */
static sl_realip_rc_t ref_walk(sl_ip_t *addr, const char *xff, size_t len,
                               const sl_cidr_t *t, size_t n, bool recursive)
{
    if (!sl_cidr_list_match(t, n, addr))
        return SL_REALIP_DECLINED;
    if (len == 0)
        return SL_REALIP_DECLINED;
    const char *p = xff + len - 1;
    size_t xfflen = len;
    for (; p > xff; p--, xfflen--)
        if (*p != ' ' && *p != ',')
            break;
    for (; p > xff; p--)
        if (*p == ' ' || *p == ',') {
            p++;
            break;
        }
    sl_ip_t paddr;
    if (sl_realip_parse_entry(p, xfflen - (size_t)(p - xff), &paddr) != 0)
        return SL_REALIP_DECLINED;
    *addr = paddr;
    if (recursive && p > xff) {
        sl_realip_rc_t rc = ref_walk(addr, xff, (size_t)(p - 1 - xff), t, n, true);
        return rc == SL_REALIP_DECLINED ? SL_REALIP_DONE : rc;
    }
    return SL_REALIP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool recursive = data[0] & 1;
    const char *name = (data[0] & 2) ? "X-Real-IP" : "X-Forwarded-For";
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    sl_slice_t lines[10];
    size_t n_lines = 0;
    const char *p = text, *end = text + len;
    while (p <= end && n_lines < 10) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        lines[n_lines++] = sl_slice(p, (size_t)(e - p));
        if (!nl)
            break;
        p = nl + 1;
    }
    for (size_t i = 0; i < n_lines; i++) {
        check_ip(lines[i].p, lines[i].len);
        check_cidr(lines[i].p, lines[i].len);
        sl_ip_t e;
        if (sl_realip_parse_entry(lines[i].p, lines[i].len, &e) == 0 && e.family != SL_IP_V4 &&
            e.family != SL_IP_V6)
            FAIL("entry with no family");
    }
    if (n_lines < 2)
        return 0;

    /* the trusted list through the settings parser (NUL-terminated copy) */
    char *list = malloc(lines[0].len + 1);
    memcpy(list, lines[0].p, lines[0].len);
    list[lines[0].len] = '\0';
    sl_cidr_t *trusted = NULL;
    size_t n_trusted = 0;
    char err[160];
    int rc = sl_settings_parse_trusted_ips(list, &trusted, &n_trusted, err, sizeof(err));
    free(list);
    if (rc != 0)
        return 0;

    sl_ip_t peer;
    if (sl_ip_parse(lines[1].p, lines[1].len, &peer) != 0) {
        free(trusted);
        return 0;
    }
    sl_header_t headers[8];
    size_t nh = 0;
    for (size_t i = 2; i < n_lines && nh < 8; i++)
        headers[nh++] = (sl_header_t){sl_slice(name, strlen(name)), lines[i]};

    sl_ip_t client;
    bool changed = sl_realip_client(&peer, headers, nh, name, trusted, n_trusted, recursive,
                                    &client);
    if (changed && (n_trusted == 0 || !sl_cidr_list_match(trusted, n_trusted, &peer)))
        FAIL("an untrusted peer named a client");
    if (changed && client.family != SL_IP_V4 && client.family != SL_IP_V6)
        FAIL("client with no family");

    /* one header at a time against the reference, for lists short enough to recurse */
    for (size_t i = 0; i < nh; i++) {
        sl_slice_t v = headers[i].value;
        if (v.len > 512)
            continue;
        sl_ip_t a = peer, b = peer;
        sl_realip_rc_t r1 = sl_realip_walk(&a, v, trusted, n_trusted, recursive);
        sl_realip_rc_t r2 = ref_walk(&b, v.p, v.len, trusted, n_trusted, recursive);
        if (r1 != r2)
            FAIL("walk result differs from nginx's");
        if (r1 != SL_REALIP_DECLINED && memcmp(&a, &b, sizeof(a)) != 0)
            FAIL("walk address differs from nginx's");
    }
    free(trusted);
    return 0;
}
