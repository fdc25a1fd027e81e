/*
 * Request paths as Kong treats them (kong-compat.md 3.1 and 3.4): normalization before
 * matching, and the upstream path built from the service path and what strip_path leaves.
 *
 * Thread: any; pure functions.
 */
#ifndef SL_CORE_PATH_H
#define SL_CORE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Normalizes the request path <in> (<len> bytes, query already removed) into <out>, which
 * must hold at least <len> + 1 bytes: %XX of a reserved character is kept and upper-cased,
 * any other %XX is decoded; dot segments are removed (RFC 3986 5.2.4, ".." above the root
 * dropped); runs of '/' are merged. Returns the output length (NUL-terminated), or -1 when
 * <in> does not start with '/', holds a malformed %-escape or a %00 (nginx refuses it). */
ssize_t sl_path_normalize(const char *in, size_t len, char *out);

/* Kong path_handling v0: builds the upstream path into <out> (<cap> bytes) from the service
 * path <base> (NULL: "/"), the normalized request path <req>/<req_len> and, when <strip> is
 * true, the length <prefix_len> of the part of <req> the route matched. Returns the length
 * written (NUL-terminated), or -1 if <cap> is too small. Not escaped: see sl_path_escape.
 * A <prefix_len> of 0 (a route without paths) strips only the leading '/', as Kong does. */
ssize_t sl_path_upstream(const char *base, const char *req, size_t req_len, bool strip,
                         size_t prefix_len, char *out, size_t cap);

/* Kong path_handling v1 (concatenation without inserting '/'). Same contract. */
ssize_t sl_path_upstream_v1(const char *base, const char *req, size_t req_len, bool strip,
                            size_t prefix_len, char *out, size_t cap);

/* Re-escapes a normalized path for the upstream request line: any byte outside
 * A-Z a-z 0-9 - _ . ~ ! # $ & ' ( ) * + , / : ; = ? @ [ ] % becomes %XX (upper-case hex).
 * Returns the length written (NUL-terminated), or -1 if <cap> is too small. */
ssize_t sl_path_escape(const char *in, size_t len, char *out, size_t cap);

#endif
