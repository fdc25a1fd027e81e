/* Header output buffers and hop-by-hop rules. */
#include "http/headers.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void sl_hbuf_init(sl_hbuf_t *b, sl_arena_t *a, size_t cap)
{
    b->arena = a;
    b->cap = cap ? cap : 256;
    b->p = sl_arena_alloc(a, b->cap);
    b->len = 0;
}

void sl_hbuf_grow(sl_hbuf_t *b, size_t need)
{
    if (b->len + need <= b->cap)
        return;
    size_t ncap = b->cap * 2;
    while (ncap < b->len + need)
        ncap *= 2;
    char *np = sl_arena_alloc(b->arena, ncap);
    memcpy(np, b->p, b->len);
    b->p = np;
    b->cap = ncap;
}


void sl_hbuf_printf(sl_hbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        sl_hbuf_grow(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void sl_hbuf_u64(sl_hbuf_t *b, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof(tmp);
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sl_hbuf_append(b, tmp + n, sizeof(tmp) - n);
}

void sl_hbuf_header(sl_hbuf_t *b, sl_slice_t name, sl_slice_t value)
{
    sl_hbuf_reserve(b, name.len + value.len + 4);
    memcpy(b->p + b->len, name.p, name.len);
    b->len += name.len;
    b->p[b->len++] = ':';
    b->p[b->len++] = ' ';
    memcpy(b->p + b->len, value.p, value.len);
    b->len += value.len;
    b->p[b->len++] = '\r';
    b->p[b->len++] = '\n';
}

void sl_conn_tokens_parse(sl_conn_tokens_t *t, const sl_header_t *headers, size_t n)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        if (!SL_SLICE_IEQ_LIT(headers[i].name, "connection"))
            continue;
        const char *p = headers[i].value.p, *end = p + headers[i].value.len;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
                p++;
            const char *s = p;
            while (p < end && *p != ',')
                p++;
            const char *e = p;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (e == s)
                continue;
            sl_slice_t tok = sl_slice(s, (size_t)(e - s));
            if (SL_SLICE_IEQ_LIT(tok, "close"))
                t->close = true;
            else if (SL_SLICE_IEQ_LIT(tok, "keep-alive"))
                t->keep_alive = true;
            else if (SL_SLICE_IEQ_LIT(tok, "upgrade"))
                t->upgrade = true;
            else if (t->n < sizeof(t->v) / sizeof(t->v[0]))
                t->v[t->n++] = tok;
        }
    }
}

bool sl_header_is_hop_by_hop(sl_slice_t name, const sl_conn_tokens_t *t)
{
    switch (name.len) {
    case 2:
        if (SL_SLICE_IEQ_LIT(name, "te"))
            return true;
        break;
    case 5:
        if (SL_SLICE_IEQ_LIT(name, "proxy"))
            return true;
        break;
    case 7:
        if (SL_SLICE_IEQ_LIT(name, "trailer") || SL_SLICE_IEQ_LIT(name, "upgrade"))
            return true;
        break;
    case 10:
        if (SL_SLICE_IEQ_LIT(name, "connection") || SL_SLICE_IEQ_LIT(name, "keep-alive"))
            return true;
        break;
    case 14:
        /* only meaningful to an h2c upgrade, which is never forwarded (RFC 9113 3.2.1) */
        if (SL_SLICE_IEQ_LIT(name, "http2-settings"))
            return true;
        break;
    case 16:
        if (SL_SLICE_IEQ_LIT(name, "proxy-connection"))
            return true;
        break;
    case 17:
        if (SL_SLICE_IEQ_LIT(name, "transfer-encoding"))
            return true;
        break;
    }
    if (t) {
        for (size_t i = 0; i < t->n; i++)
            if (name.len == t->v[i].len && strncasecmp(name.p, t->v[i].p, name.len) == 0)
                return true;
    }
    return false;
}

bool sl_header_has_token(sl_slice_t value, const char *tok)
{
    size_t tl = strlen(tok);
    const char *p = value.p, *end = value.p + value.len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const char *s = p;
        while (p < end && *p != ',' && *p != ';')
            p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - s) == tl && strncasecmp(s, tok, tl) == 0)
            return true;
        while (p < end && *p != ',')
            p++;
    }
    return false;
}
