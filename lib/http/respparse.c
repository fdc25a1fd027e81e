/*
 * Response heads (see respparse.h). llhttp runs strict: it refuses bare LF, obs-fold,
 * invalid bytes, Content-Length with Transfer-Encoding and bad chunk sizes itself; a head
 * with more than the spans' maximum of fields is refused here.
 */
#include "http/respparse.h"

static int on_message_begin(llhttp_t *l)
{
    sl_respparse_t *p = (sl_respparse_t *)l;
    sl_hdr_spans_reset(p->spans);
    p->reason_len = 0;
    p->in_head = true;
    return 0;
}

static int on_status(llhttp_t *l, const char *at, size_t n)
{
    sl_respparse_t *p = (sl_respparse_t *)l;
    if (p->reason_len == 0)
        p->reason_off = (uint32_t)(at - p->base);
    p->reason_len += (uint32_t)n;
    return 0;
}

static int on_header_field(llhttp_t *l, const char *at, size_t n)
{
    sl_respparse_t *p = (sl_respparse_t *)l;
    if (sl_hdr_spans_name(p->spans, (size_t)(at - p->base), n) != 0) {
        llhttp_set_error_reason(l, "too many header fields");
        return HPE_USER;
    }
    return 0;
}

static int on_header_value(llhttp_t *l, const char *at, size_t n)
{
    sl_respparse_t *p = (sl_respparse_t *)l;
    sl_hdr_spans_value(p->spans, (size_t)(at - p->base), n);
    return 0;
}

static int on_headers_complete(llhttp_t *l)
{
    sl_respparse_t *p = (sl_respparse_t *)l;
    p->in_head = false;
    return p->hooks->on_head(p);
}

static int on_body(llhttp_t *l, const char *at, size_t n)
{
    sl_respparse_t *p = (sl_respparse_t *)l;
    return p->hooks->on_body(p, at, n);
}

static int on_message_complete(llhttp_t *l)
{
    sl_respparse_t *p = (sl_respparse_t *)l;
    return p->hooks->on_complete(p);
}

static const llhttp_settings_t *settings(void)
{
    static llhttp_settings_t s;
    static bool init;
    if (!init) {
        llhttp_settings_init(&s);
        s.on_message_begin = on_message_begin;
        s.on_status = on_status;
        s.on_header_field = on_header_field;
        s.on_header_value = on_header_value;
        s.on_headers_complete = on_headers_complete;
        s.on_body = on_body;
        s.on_message_complete = on_message_complete;
        init = true;
    }
    return &s;
}

void sl_respparse_start(sl_respparse_t *p, sl_hdr_spans_t *spans,
                        const sl_respparse_hooks_t *hooks, void *data)
{
    llhttp_init(&p->llhttp, HTTP_RESPONSE, settings());
    p->llhttp.data = p;
    p->base = NULL;
    p->spans = spans;
    sl_hdr_spans_reset(spans);
    p->reason_off = p->reason_len = 0;
    p->in_head = false;
    p->hooks = hooks;
    p->data = data;
}

llhttp_errno_t sl_respparse_execute(sl_respparse_t *p, const char *base, size_t off,
                                    size_t len)
{
    p->base = base;
    return llhttp_execute(&p->llhttp, base + off, len);
}

sl_slice_t sl_respparse_reason(const sl_respparse_t *p)
{
    return sl_slice(p->base + p->reason_off, p->reason_len);
}

sl_header_t *sl_respparse_headers(const sl_respparse_t *p, sl_arena_t *arena)
{
    return sl_hdr_spans_headers(p->spans, p->base, arena);
}
