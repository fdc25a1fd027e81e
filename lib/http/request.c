/* Lookups on a parsed request (see request.h). */
#include "http/request.h"

#include <string.h>

sl_slice_t sl_req_header(const sl_req_t *req, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < req->n_headers; i++)
        if (sl_slice_ieq(req->headers[i].name, name, nl))
            return req->headers[i].value;
    return sl_slice(NULL, 0);
}

bool sl_req_query_arg(const sl_req_t *req, const char *name, sl_slice_t *value)
{
    size_t nl = strlen(name);
    const char *p = req->query.p, *end = req->query.p + req->query.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        const char *ke = eq ? eq : e;
        if ((size_t)(ke - p) == nl && memcmp(p, name, nl) == 0) {
            if (value)
                *value = eq ? sl_slice(eq + 1, (size_t)(e - eq - 1)) : sl_slice("", 0);
            return true;
        }
        p = e + 1;
    }
    return false;
}
