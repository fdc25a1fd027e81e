/*
 * The router: finds the route for a request with Kong's traditional_compatible semantics
 * (kong-compat.md 3.2 and 3.3). Built once per config snapshot, immutable, shared by all
 * workers; matching allocates nothing.
 *
 * Index: exact hosts in a hash table, wildcard hosts and host-less routes beside it; inside
 * each, prefix paths in a radix trie (every trie node on the request path's walk is a
 * candidate), regex paths in priority order, and path-less matchers. Cost grows with the
 * length of the path, not with the number of routes.
 */
#ifndef SL_ROUTER_ROUTER_H
#define SL_ROUTER_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "config/model.h"
#include "core/arena.h"
#include "core/slice.h"

typedef struct sl_router sl_router_t;

#define SL_ROUTER_MAX_CAPTURES 16

/* What the router needs to know about a request. All slices are borrowed for the call. */
typedef struct sl_router_req {
    sl_slice_t method;
    sl_slice_t host;            /* Host header without port, as received */
    uint16_t port;              /* Host header port, else the listening port */
    sl_slice_t path;            /* normalized (sl_path_normalize) */
    const sl_header_t *headers; /* request headers */
    size_t n_headers;
    bool https;                 /* arrived over TLS (snis condition; the host above stands
                                   in for the SNI name, compared case-insensitively) */
} sl_router_req_t;

typedef struct sl_router_match {
    const sl_route_t *route;
    size_t prefix_len;          /* bytes of path the matched route path covers (the whole
                                   regex match for regex paths); used by strip_path */
    size_t n_captures;          /* regex captures, [0] is the whole match */
    struct {
        size_t off, len;        /* into the request path; len (size_t)-1 when unset */
        const char *name;       /* named group, or NULL */
    } captures[SL_ROUTER_MAX_CAPTURES];
} sl_router_match_t;

/* Builds a router over <routes> (routes of disabled services must already be left out by the
 * caller). Allocates in <arena> (the snapshot's; PCRE2 codes are freed by an arena cleanup).
 * Regexes that fail to compile are reported in <diag> at the route's position and the route
 * is skipped; returns NULL only on an internal failure. */
sl_router_t *sl_router_build(sl_route_t *const *routes, size_t n, sl_arena_t *arena,
                             sl_diag_t *diag);

/* Finds the best route for <req>. Returns true and fills <out>, or false when none matches.
 * Thread: any; uses a thread-local PCRE2 match block. */
bool sl_router_match(const sl_router_t *r, const sl_router_req_t *req, sl_router_match_t *out);

/* Number of matchers (route x path group) in the router, for tests and benchmarks. */
size_t sl_router_size(const sl_router_t *r);

#endif
