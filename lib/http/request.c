/* Lookups on a parsed request (see request.h). */
#include "http/request.h"

#include <string.h>

#include "core/settings.h"
#include "http/conn.h"
#include "http/realip.h"

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

static void client_resolve(sl_req_t *req)
{
    const sl_conn_t *c = req->conn;
    const sl_settings_t *s = req->w->settings;
    req->client_done = true;
    req->client_addr = c->peer_addr;
    req->client_ip = c->peer_ip;
    if (s->n_trusted_ips == 0)
        return;
    sl_ip_t addr;
    if (!sl_realip_client(&c->peer_addr, req->headers, req->n_headers, s->real_ip_header,
                          s->trusted_ips, s->n_trusted_ips, s->real_ip_recursive, &addr))
        return;
    char text[SL_IP_TEXT_MAX];
    size_t len = sl_ip_format(&addr, text, sizeof(text));
    req->client_addr = addr;
    req->client_ip = sl_arena_strndup(req->arena, text, len);
}

const char *sl_req_client_ip(sl_req_t *req)
{
    if (!req->client_done)
        client_resolve(req);
    return req->client_ip;
}

const sl_ip_t *sl_req_client_addr(sl_req_t *req)
{
    if (!req->client_done)
        client_resolve(req);
    return &req->client_addr;
}

bool sl_req_peer_trusted(const sl_req_t *req)
{
    const sl_settings_t *s = req->w->settings;
    return s->n_trusted_ips &&
           sl_cidr_list_match(s->trusted_ips, s->n_trusted_ips, &req->conn->peer_addr);
}
