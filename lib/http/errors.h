/*
 * The gateway's own responses: one table mapping each error kind to Kong's status and
 * message (kong-compat.md 3.8), and the body templates Kong picks from the Accept header.
 *
 * Two families, as in Kong:
 * - Kong-level errors (no route, no service, ...): format from Accept, JSON by default.
 * - nginx-level errors (400, 408, 413, 414, 502, 504, ...): format from Accept, else the
 *   request Content-Type, else the node's error_default_type (text/plain by default).
 *
 * Thread: any; the table is constant. Each emission is counted per worker by the caller.
 */
#ifndef SL_HTTP_ERRORS_H
#define SL_HTTP_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mime.h"
#include "core/slice.h"

typedef enum {
    SL_ERR_NO_ROUTE = 0,         /* 404 no Route matched with those values */
    SL_ERR_NO_SERVICE,           /* 503 no Service found with those values */
    SL_ERR_HTTPS_REQUIRED,       /* 426 Please use HTTPS protocol */
    SL_ERR_NO_PEER,              /* 503 failure to get a peer from the ring-balancer */
    SL_ERR_DNS,                  /* 503 name resolution failed */
    SL_ERR_UPSTREAM_BAD,         /* 502 An invalid response was received from the upstream server */
    SL_ERR_UPSTREAM_UNAVAILABLE, /* 503 The upstream server is currently unavailable */
    SL_ERR_UPSTREAM_TIMEOUT,     /* 504 The upstream server is timing out */
    SL_ERR_BAD_REQUEST,          /* 400 Bad request */
    SL_ERR_HEADER_TOO_LARGE,     /* 400 Request header or cookie too large */
    SL_ERR_METHOD_NOT_ALLOWED,   /* 405 Method not allowed (TRACE, as nginx) */
    SL_ERR_REQUEST_TIMEOUT,      /* 408 Request timeout */
    SL_ERR_LENGTH_REQUIRED,      /* 411 Length required */
    SL_ERR_PAYLOAD_TOO_LARGE,    /* 413 Payload too large */
    SL_ERR_URI_TOO_LONG,         /* 414 URI too long */
    SL_ERR_EXPECTATION_FAILED,   /* 417 Expectation failed */
    SL_ERR_VERSION,              /* 505 HTTP version not supported */
    SL_ERR_INTERNAL,             /* 500 An unexpected error occurred */
    SL_ERR_SIZE_LIMIT,           /* 413 Request size limit exceeded (request-size-limiting,
                                    a body counted past req->body_limit) */
    SL_ERR__COUNT
} sl_err_kind_t;

typedef struct sl_err_info {
    int status;
    const char *reason;  /* status line reason phrase */
    const char *message; /* Kong's message */
    bool nginx_level;    /* negotiated with the nginx-level rule (see above) */
} sl_err_info_t;

const sl_err_info_t *sl_err_info(sl_err_kind_t kind);

/* Reason phrase for a status code ("Not Found"); "Unknown" for codes without one. */
const char *sl_http_reason(int status);

/* Picks the body type from an Accept header value (q-values honoured; ties go to the first
 * listed). Returns -1 when Accept is absent or names no type we can produce. */
int sl_mime_from_accept(sl_slice_t accept);
/* Maps a Content-Type value to a type we produce, or -1. */
int sl_mime_from_content_type(sl_slice_t ctype);
/* Content-Type header value for <m> ("application/json; charset=utf-8"). */
const char *sl_mime_content_type(sl_mime_t m);

/* Writes Kong's error body for <message> and <request_id> (may be NULL) in format <m> into
 * <out> (<cap> bytes). Returns the length, truncated to cap - 1. */
size_t sl_err_body(sl_mime_t m, const char *message, const char *request_id, char *out,
                   size_t cap);

#endif
