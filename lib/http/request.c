/* Lookups on a parsed request (see request.h). */
#include "http/request.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

#include "core/settings.h"
#include "core/xalloc.h"
#include "http/conn.h"
#include "http/headers.h"
#include "http/hlist.h"
#include "http/realip.h"

/* ---- request memory ------------------------------------------------------------------- */

/* A pooled request arena; the arena comes first, so req->arena leads back to it. */
struct sl_req_arena {
    sl_arena_t arena;
    struct sl_req_arena *next;
};

/* Arenas kept per worker; past this they are freed. */
#define REQ_POOL_MAX 1024
#define REQ_ARENA_BLOCK 8192

sl_req_t *sl_req_new(sl_worker_t *w)
{
    struct sl_req_arena *ra = w->req_arenas;
    if (ra) {
        w->req_arenas = ra->next;
        w->n_req_arenas--;
    } else {
        ra = sl_xmalloc(sizeof(*ra));
        sl_arena_init(&ra->arena, REQ_ARENA_BLOCK);
    }
    ra->next = NULL;
    sl_req_t *req = sl_arena_calloc(&ra->arena, 1, sizeof(*req));
    req->arena = &ra->arena;
    req->w = w;
    return req;
}

void sl_req_free(sl_req_t *req)
{
    sl_worker_t *w = req->w;
    struct sl_req_arena *ra = (struct sl_req_arena *)req->arena;
    sl_arena_reset(&ra->arena); /* <req> lived in it */
    if (w->n_req_arenas >= REQ_POOL_MAX) {
        sl_arena_destroy(&ra->arena);
        free(ra);
        return;
    }
    ra->next = w->req_arenas;
    w->req_arenas = ra;
    w->n_req_arenas++;
}

void sl_req_pool_free(sl_worker_t *w)
{
    while (w->req_arenas) {
        struct sl_req_arena *ra = w->req_arenas;
        w->req_arenas = ra->next;
        sl_arena_destroy(&ra->arena);
        free(ra);
    }
    w->n_req_arenas = 0;
}

/* ---- lookups ------------------------------------------------------------------------------ */

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

/* ---- what a request does to its client -------------------------------------------------- */

void sl_req_respond(sl_req_t *req, int status, const char *reason, const char *content_type,
                    const sl_header_t *headers, size_t n_headers, const char *body, size_t len)
{
    sl_conn_respond(req->conn, status, reason, content_type, headers, n_headers, body, len);
}

void sl_req_send_error(sl_req_t *req, sl_err_kind_t kind)
{
    sl_conn_send_error(req->conn, kind);
}

void sl_req_exit(sl_req_t *req, int status, const char *content_type, const char *body,
                 size_t len)
{
    const sl_settings_t *s = req->w->settings;
    sl_hlist_t hs;
    sl_hlist_init(&hs, req->arena, 2);
    if (s->headers & SL_HDR_RESPONSE_LATENCY)
        sl_hlist_add_u64(&hs, SL_SLICE_LIT("X-Kong-Response-Latency"),
                         (sl_now_ns() - req->start_ns) / 1000000);
    if (s->headers & SL_HDR_REQUEST_ID)
        sl_hlist_add(&hs, SL_SLICE_LIT("X-Kong-Request-Id"), sl_slice(req->id, 32));
    char *copy = sl_arena_strndup(req->arena, body ? body : "", len);
    sl_conn_respond(req->conn, status, NULL, content_type, hs.v, hs.n, copy, len);
}

void sl_req_exit_message(sl_req_t *req, int status, const char *message)
{
    /* Kong inserts the message without JSON escaping (kong-compat 3.8); escape the two
     * characters that would break the document */
    sl_hbuf_t hb;
    sl_hbuf_init(&hb, req->arena, 64 + strlen(message));
    sl_hbuf_lit(&hb, "{\"message\":\"");
    for (const char *m = message; *m; m++) {
        if (*m == '"' || *m == '\\')
            sl_hbuf_lit(&hb, "\\");
        sl_hbuf_append(&hb, m, 1);
    }
    sl_hbuf_lit(&hb, "\"}");
    sl_req_exit(req, status, "application/json; charset=utf-8", hb.p, hb.len);
}

bool sl_req_read_body(sl_req_t *req, void (*cb)(sl_req_t *req))
{
    return sl_conn_body_read(req->conn, cb);
}

void sl_req_read_body_cancel(sl_req_t *req)
{
    sl_conn_body_read_cancel(req->conn);
}

int sl_req_local_addr(const sl_req_t *req, struct sockaddr_storage *out)
{
    return sl_transport_local(&req->conn->tr, out);
}
