/* The HTTP/1 writer (see h1write.h). */
#include "http/h1write.h"

#include <string.h>

#include "http/errors.h"

void sl_h1_status_line(sl_hbuf_t *hb, int status, sl_slice_t reason)
{
    sl_hbuf_lit(hb, "HTTP/1.1 ");
    sl_hbuf_u64(hb, (uint64_t)status);
    sl_hbuf_lit(hb, " ");
    if (reason.len)
        sl_hbuf_slice(hb, reason);
    else
        sl_hbuf_str(hb, sl_http_reason(status));
    sl_hbuf_lit(hb, "\r\n");
}

void sl_h1_head(sl_hbuf_t *hb, int status, sl_slice_t reason, const sl_hlist_t *l, int framing,
                bool close)
{
    sl_h1_status_line(hb, status, reason);
    /* one reservation for every entry, then plain copies */
    size_t need = 0;
    bool own_connection = false;
    for (size_t i = 0; i < l->n; i++) {
        const sl_header_t *h = &l->v[i];
        need += h->name.len + h->value.len + 4;
        if (h->name.len == 10 && SL_SLICE_IEQ_LIT(h->name, "connection"))
            own_connection = true;
    }
    sl_hbuf_reserve(hb, need + 64);
    char *o = hb->p + hb->len;
    for (size_t i = 0; i < l->n; i++) {
        const sl_header_t *h = &l->v[i];
        memcpy(o, h->name.p, h->name.len);
        o += h->name.len;
        *o++ = ':';
        *o++ = ' ';
        memcpy(o, h->value.p, h->value.len);
        o += h->value.len;
        *o++ = '\r';
        *o++ = '\n';
    }
    hb->len = (size_t)(o - hb->p);
    if (framing == SL_FRAME_CHUNKED)
        sl_hbuf_lit(hb, "Transfer-Encoding: chunked\r\n");
    if (own_connection)
        ;
    else if (status == 101)
        sl_hbuf_lit(hb, "Connection: upgrade\r\n");
    else if (close)
        sl_hbuf_lit(hb, "Connection: close\r\n");
    else
        sl_hbuf_lit(hb, "Connection: keep-alive\r\n");
    sl_hbuf_lit(hb, "\r\n");
}

size_t sl_h1_chunk_line(char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    size_t k = 0;
    do {
        tmp[k++] = hex[n & 15];
        n >>= 4;
    } while (n);
    size_t len = 0;
    while (k)
        buf[len++] = tmp[--k];
    buf[len++] = '\r';
    buf[len++] = '\n';
    return len;
}
