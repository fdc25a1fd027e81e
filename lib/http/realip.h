/*
 * The client address behind trusted proxies, computed as nginx's realip module does (Kong
 * configures it from trusted_ips, real_ip_header and real_ip_recursive): a request whose
 * peer is trusted may name its client in a header; X-Forwarded-For is read from the right,
 * and with recursion every trusted hop is skipped until an untrusted one (the client).
 *
 * Thread: any; no state. Input is untrusted header bytes (test/fuzz/fuzz_realip.c).
 */
#ifndef SL_HTTP_REALIP_H
#define SL_HTTP_REALIP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cidr.h"
#include "core/slice.h"

/* What a walk over one header value found (nginx's NGX_DECLINED / NGX_OK / NGX_DONE). */
typedef enum {
    SL_REALIP_DECLINED = 0, /* nothing: the address it started from was untrusted, or the
                               last entry is not an address */
    SL_REALIP_OK,           /* every entry taken: <addr> is the leftmost one */
    SL_REALIP_DONE,         /* stopped inside the value: <addr> is what it stopped at */
} sl_realip_rc_t;

/* Parses one list entry as nginx's ngx_parse_addr_port: "ADDR", "ADDR:PORT" (IPv4) or
 * "[ADDR]:PORT"; the port is checked and dropped. Returns 0 or SL_EINVAL. */
int sl_realip_parse_entry(const char *s, size_t len, sl_ip_t *out);

/* Walks the comma/space separated list <value> from its right end. <addr> is the address
 * the value came from (the peer, or the hop found so far); when it is in <trusted> (<n>
 * ranges) the last entry replaces it, and with <recursive> so on leftwards while the
 * address found is trusted. */
sl_realip_rc_t sl_realip_walk(sl_ip_t *addr, sl_slice_t value, const sl_cidr_t *trusted,
                              size_t n, bool recursive);

/* The client address of a request from <peer> with <headers>: <header_name> (e.g.
 * X-Real-IP; X-Forwarded-For takes every such header, the last one rightmost), the
 * trusted ranges and the recursion flag. Returns true and sets <out> when the header
 * named a client, false when the peer stays the client. */
bool sl_realip_client(const sl_ip_t *peer, const sl_header_t *headers, size_t n_headers,
                      const char *header_name, const sl_cidr_t *trusted, size_t n,
                      bool recursive, sl_ip_t *out);

#endif
