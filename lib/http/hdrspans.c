/* Header span collection (see hdrspans.h). */
#include "http/hdrspans.h"

#include <string.h>

#include "core/xalloc.h"

void sl_hdr_spans_init(sl_hdr_spans_t *s, size_t max)
{
    memset(s, 0, sizeof(*s));
    s->max = max;
}

void sl_hdr_spans_free(sl_hdr_spans_t *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

int sl_hdr_spans_name(sl_hdr_spans_t *s, size_t off, size_t n)
{
    if (s->n == 0 || s->in_value) {
        if (s->n == s->max)
            return -1;
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 32;
            s->v = sl_xrealloc(s->v, s->cap * sizeof(*s->v));
        }
        memset(&s->v[s->n++], 0, sizeof(sl_hdr_span_t));
        s->in_value = false;
    }
    sl_hdr_span_t *h = &s->v[s->n - 1];
    if (h->name_len == 0)
        h->name_off = (uint32_t)off;
    h->name_len += (uint32_t)n;
    return 0;
}

void sl_hdr_spans_value(sl_hdr_spans_t *s, size_t off, size_t n)
{
    sl_hdr_span_t *h = &s->v[s->n - 1];
    if (!s->in_value) {
        s->in_value = true;
        h->value_off = (uint32_t)off;
    }
    h->value_len = (uint32_t)(off + n - h->value_off);
}

sl_header_t *sl_hdr_spans_headers(const sl_hdr_spans_t *s, const char *base, sl_arena_t *arena)
{
    sl_header_t *hs = sl_arena_alloc(arena, (s->n + 1) * sizeof(*hs));
    for (size_t i = 0; i < s->n; i++) {
        const sl_hdr_span_t *h = &s->v[i];
        sl_slice_t v = h->value_len ? sl_slice(base + h->value_off, h->value_len)
                                    : sl_slice("", 0);
        while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
            v.len--;
        hs[i].name = sl_slice(base + h->name_off, h->name_len);
        hs[i].value = v;
    }
    return hs;
}
