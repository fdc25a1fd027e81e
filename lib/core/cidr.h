/*
 * IP addresses and CIDR ranges, IPv4 and IPv6: parsing the text forms Kong accepts in
 * trusted_ips and in ip-restriction's allow/deny lists, and matching an address against a
 * range or a list of them. Used by the node's trusted proxies (http/realip.c) and by
 * plugins that restrict by address.
 *
 * Thread: any; no state.
 */
#ifndef SL_CORE_CIDR_H
#define SL_CORE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_IP_V4 4
#define SL_IP_V6 6

/* Longest text sl_ip_format writes, NUL included (INET6_ADDRSTRLEN). */
#define SL_IP_TEXT_MAX 46

/* An address in network byte order; an IPv4 address uses the first 4 bytes of <b>. */
typedef struct sl_ip {
    uint8_t family; /* SL_IP_V4 or SL_IP_V6 */
    uint8_t b[16];
} sl_ip_t;

/* A range: <net> with every bit past <bits> cleared. */
typedef struct sl_cidr {
    sl_ip_t net;
    uint8_t bits; /* prefix length: 0..32 (IPv4) or 0..128 (IPv6) */
} sl_cidr_t;

/* Parses one address, "192.0.2.1" or "2001:db8::1" (no brackets, no port, no zone), from
 * <len> bytes at <s> (not NUL-terminated). IPv4 is dotted-quad only: no leading zeros,
 * no shorthand ("10.1"), as inet_pton. Returns 0 or SL_EINVAL. */
int sl_ip_parse(const char *s, size_t len, sl_ip_t *out);

/* Parses an address or a range "ADDR/BITS" (Kong's ip_or_cidr). A bare address is a
 * /32 or /128. Host bits set past the prefix are accepted and cleared, as Kong and nginx
 * do ("10.1.2.3/8" is 10.0.0.0/8). Returns 0 or SL_EINVAL. */
int sl_cidr_parse(const char *s, size_t len, sl_cidr_t *out);

/* True if <ip> lies in <c>. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches the IPv4
 * ranges its IPv4 address does, so that a deny list cannot be sidestepped by spelling. */
bool sl_cidr_match(const sl_cidr_t *c, const sl_ip_t *ip);

/* True if <ip> lies in any of the <n> ranges at <v>. */
bool sl_cidr_list_match(const sl_cidr_t *v, size_t n, const sl_ip_t *ip);

/* Writes the canonical text of <ip> (inet_ntop's) into <out> of <cap> bytes (at least
 * SL_IP_TEXT_MAX). Returns its length. */
size_t sl_ip_format(const sl_ip_t *ip, char *out, size_t cap);

#endif
