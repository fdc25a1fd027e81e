/*
 * String validators for config values, each reproducing one of Kong's schema typedefs
 * (kong/db/schema/typedefs.lua, kong/tools/ip.lua) with Kong's error wording.
 *
 * Every validator takes a NUL-terminated string and returns NULL when the value is valid, or
 * the error message, written into <err> (<cap> bytes, caller's buffer) or a static string.
 *
 * Thread: any; pure functions.
 */
#ifndef SL_CONFIG_CHECK_H
#define SL_CONFIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_CHECK_ERR_MAX 512 /* a buffer of this size holds any message below */

typedef enum {
    SL_HOST_NAME = 0,
    SL_HOST_IPV4,
    SL_HOST_IPV6,
} sl_host_type_t;

/* A host with an optional port, as Kong's normalize_ip splits it. */
typedef struct sl_hostport {
    sl_host_type_t type;
    char host[256]; /* IPv6 without brackets; empty when the parse failed */
    int port;       /* -1 when absent */
} sl_hostport_t;

/* Kong's utils.normalize_ip: `name[:port]`, `a.b.c.d[:port]`, `[v6][:port]` or a bare IPv6.
 * Fills <out>; on error returns "invalid hostname: <s>", "invalid ipv4 address: <s>",
 * "invalid ipv6 address: <s>" or "invalid port number". */
const char *sl_check_hostport(const char *s, sl_hostport_t *out, char *err, size_t cap);

/* typedefs.host (service host, upstream host_header without port): a name or IP, no port. */
const char *sl_check_host(const char *s, char *err, size_t cap);
/* typedefs.host_with_optional_port. */
const char *sl_check_host_with_port(const char *s, char *err, size_t cap);
/* typedefs.hosts element (route hosts): at most one '*', as leftmost or rightmost label. */
const char *sl_check_route_host(const char *s, char *err, size_t cap);
/* typedefs.sni (route snis, https_sni): a name, no IP, no port. */
const char *sl_check_sni(const char *s, char *err, size_t cap);
/* typedefs.wildcard_host (SNI entity names): like sni with one leading or trailing '*'. */
const char *sl_check_wildcard_host(const char *s, char *err, size_t cap);
/* Upstream name: a hostname, no IP, no port. */
const char *sl_check_upstream_name(const char *s, char *err, size_t cap);

/* typedefs.path (service path, hash_on_cookie_path, http_path). */
const char *sl_check_path(const char *s, char *err, size_t cap);
/* The RFC 3986 character test of typedefs.path; 0 valid, 1 bad character, 2 bad %-escape
 * (then <err> says which). */
int sl_check_path_chars(const char *s, char *err, size_t cap);

/* typedefs.utf8_name (service, route, plugin instance names). */
const char *sl_check_name(const char *s, char *err, size_t cap);
/* typedefs.tag. */
const char *sl_check_tag(const char *s, char *err, size_t cap);
/* utils.validate_header_name. */
const char *sl_check_header_name(const char *s, char *err, size_t cap);
/* utils.validate_cookie_name. */
const char *sl_check_cookie_name(const char *s, char *err, size_t cap);
/* Kong's uuid validator (lower- or upper-case hex, 8-4-4-4-12). */
bool sl_check_uuid(const char *s);
/* Offset (1-based, as Kong reports it) of the first invalid UTF-8 byte, or 0 if valid. */
size_t sl_check_utf8(const char *s, size_t len);

#endif
