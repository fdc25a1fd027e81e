/*
 * Kong's error table and body templates (kong/tools/http.lua error templates, 3.5+ layout
 * with request_id; kong/error_handlers.lua for the nginx-level messages).
 */
#include "http/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const sl_err_info_t table[SL_ERR__COUNT] = {
    [SL_ERR_NO_ROUTE] = {404, "Not Found", "no Route matched with those values", false},
    [SL_ERR_NO_SERVICE] = {503, "Service Temporarily Unavailable",
                           "no Service found with those values", false},
    [SL_ERR_HTTPS_REQUIRED] = {426, "Upgrade Required", "Please use HTTPS protocol", false},
    [SL_ERR_NO_PEER] = {503, "Service Temporarily Unavailable",
                        "failure to get a peer from the ring-balancer", false},
    [SL_ERR_DNS] = {503, "Service Temporarily Unavailable", "name resolution failed", false},
    [SL_ERR_UPSTREAM_BAD] = {502, "Bad Gateway",
                             "An invalid response was received from the upstream server", true},
    [SL_ERR_UPSTREAM_UNAVAILABLE] = {503, "Service Temporarily Unavailable",
                                     "The upstream server is currently unavailable", true},
    [SL_ERR_UPSTREAM_TIMEOUT] = {504, "Gateway Time-out", "The upstream server is timing out",
                                 true},
    [SL_ERR_BAD_REQUEST] = {400, "Bad Request", "Bad request", true},
    [SL_ERR_HEADER_TOO_LARGE] = {400, "Bad Request", "Request header or cookie too large", true},
    [SL_ERR_REQUEST_TIMEOUT] = {408, "Request Time-out", "Request timeout", true},
    [SL_ERR_METHOD_NOT_ALLOWED] = {405, "Not Allowed", "Method not allowed", true},
    [SL_ERR_LENGTH_REQUIRED] = {411, "Length Required", "Length required", true},
    [SL_ERR_PAYLOAD_TOO_LARGE] = {413, "Request Entity Too Large", "Payload too large", true},
    [SL_ERR_URI_TOO_LONG] = {414, "Request-URI Too Large", "URI too long", true},
    [SL_ERR_EXPECTATION_FAILED] = {417, "Expectation Failed", "Expectation failed", true},
    [SL_ERR_VERSION] = {505, "HTTP Version Not Supported",
                        "The upstream server responded with 505", true},
    [SL_ERR_INTERNAL] = {500, "Internal Server Error", "An unexpected error occurred", false},
    [SL_ERR_SIZE_LIMIT] = {413, "Request Entity Too Large", "Request size limit exceeded", true},
};

const sl_err_info_t *sl_err_info(sl_err_kind_t kind)
{
    return &table[kind];
}

const char *sl_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Not Allowed";
    case 408: return "Request Time-out";
    case 411: return "Length Required";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Large";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Temporarily Unavailable";
    case 504: return "Gateway Time-out";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses the q parameter out of "; a=b; q=0.5" (defaults to 1). */
static double parse_q(const char *p, const char *end)
{
    while (p < end) {
        while (p < end && (is_ows(*p) || *p == ';'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char tmp[16];
            size_t n = (size_t)(end - p - 2);
            if (n >= sizeof(tmp))
                n = sizeof(tmp) - 1;
            memcpy(tmp, p + 2, n);
            tmp[n] = '\0';
            return atof(tmp);
        }
        while (p < end && *p != ';')
            p++;
    }
    return 1.0;
}

int sl_mime_from_accept(sl_slice_t accept)
{
    const char *p = accept.p, *end = accept.p + accept.len;
    int best = -1;
    double best_q = 0.0;
    while (p < end) {
        while (p < end && (is_ows(*p) || *p == ','))
            p++;
        const char *item = p;
        while (p < end && *p != ',')
            p++;
        const char *item_end = p;
        const char *type_end = item;
        while (type_end < item_end && *type_end != ';' && !is_ows(*type_end))
            type_end++;
        if (type_end == item)
            continue;
        double q = parse_q(type_end, item_end);
        if (q <= 0.0)
            continue;
        int m = sl_mime_lookup(item, (size_t)(type_end - item));
        if (m < 0)
            continue; /* wildcards and unknown types leave the default in charge */
        if (q > best_q) {
            best = m;
            best_q = q;
        }
    }
    return best;
}

int sl_mime_from_content_type(sl_slice_t ctype)
{
    size_t n = 0;
    while (n < ctype.len && ctype.p[n] != ';' && !is_ows(ctype.p[n]))
        n++;
    return sl_mime_lookup(ctype.p, n);
}

const char *sl_mime_content_type(sl_mime_t m)
{
    switch (m) {
    case SL_MIME_JSON: return "application/json; charset=utf-8";
    case SL_MIME_HTML: return "text/html; charset=utf-8";
    case SL_MIME_XML: return "application/xml; charset=utf-8";
    case SL_MIME_TEXT: return "text/plain; charset=utf-8";
    }
    return "text/plain; charset=utf-8";
}

size_t sl_err_body(sl_mime_t m, const char *message, const char *request_id, char *out,
                   size_t cap)
{
    int n;
    const char *rid = request_id ? request_id : "";
    switch (m) {
    case SL_MIME_JSON:
        n = snprintf(out, cap, "{\n  \"message\":\"%s\",\n  \"request_id\":\"%s\"\n}", message,
                     rid);
        break;
    case SL_MIME_HTML:
        n = snprintf(out, cap,
                     "<!doctype html>\n<html>\n  <head>\n    <meta charset=\"utf-8\">\n"
                     "    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n"
                     "    <p>%s.</p>\n    <p>request_id: %s</p>\n  </body>\n</html>\n",
                     message, rid);
        break;
    case SL_MIME_XML:
        n = snprintf(out, cap,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error>\n"
                     "  <message>%s</message>\n  <requestid>%s</requestid>\n</error>\n",
                     message, rid);
        break;
    default:
        n = snprintf(out, cap, "%s\nrequest_id: %s\n", message, rid);
        break;
    }
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}
