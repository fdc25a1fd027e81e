/*
 * Diagnostics collector. Keeps the SL_DIAG_MAX errors that come first in the file: when full,
 * a new error that sorts before the last kept one replaces it, so the printed errors are
 * always the first ones by position whatever order the checks ran in. The array stays in
 * insertion order, which the stable sort at print time relies on for errors at the same
 * position.
 */
#include "config/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/node.h"
#include "core/xalloc.h"

void sl_diag_init(sl_diag_t *d, const char *file)
{
    memset(d, 0, sizeof(*d));
    if (file != NULL) {
        size_t len = strlen(file);
        d->file = sl_xmalloc(len + 1);
        memcpy(d->file, file, len + 1);
    }
}

static void entry_free(sl_diag_entry_t *e)
{
    free(e->msg);
    free((char *)e->about.key);
    free(e->place);
}

void sl_diag_free(sl_diag_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        entry_free(&d->v[i]);
    free(d->v);
    free(d->file);
    memset(d, 0, sizeof(*d));
}

static int pos_cmp(uint32_t l1, uint32_t c1, uint32_t l2, uint32_t c2)
{
    if (l1 != l2)
        return l1 < l2 ? -1 : 1;
    if (c1 != c2)
        return c1 < c2 ? -1 : 1;
    return 0;
}

/* Messages quote values from the file; control characters in them (a newline inside a
 * quoted YAML string) are escaped so that every error stays on one output line. Takes
 * ownership of <raw>. */
static char *escape_controls(char *raw, size_t len)
{
    size_t extra = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c < 0x20 || c == 0x7f)
            extra += 3;
    }
    if (extra == 0)
        return raw;
    char *out = sl_xmalloc(len + extra + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
    free(raw);
    return out;
}

static char *copy_str(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    char *c = sl_xmalloc(len + 1);
    memcpy(c, s, len + 1);
    return c;
}

static void vadd(sl_diag_t *d, uint32_t line, uint32_t col, const sl_diag_about_t *about,
                 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vadd(sl_diag_t *d, uint32_t line, uint32_t col, const sl_diag_about_t *about,
                 const char *fmt, va_list ap)
{
    if (d->n >= SL_DIAG_MAX) {
        /* Find the last-sorting kept entry (the latest one among equals). */
        size_t worst = 0;
        for (size_t i = 1; i < d->n; i++) {
            if (pos_cmp(d->v[i].line, d->v[i].col, d->v[worst].line, d->v[worst].col) >= 0)
                worst = i;
        }
        d->dropped++;
        if (pos_cmp(line, col, d->v[worst].line, d->v[worst].col) >= 0)
            return;
        entry_free(&d->v[worst]);
        memmove(&d->v[worst], &d->v[worst + 1], (d->n - worst - 1) * sizeof(d->v[0]));
        d->n--;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = sl_xrealloc(d->v, d->cap * sizeof(d->v[0]));
    }
    va_list ap2;
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (len < 0)
        len = 0;
    char *raw = sl_xmalloc((size_t)len + 1);
    vsnprintf(raw, (size_t)len + 1, fmt, ap);
    sl_diag_entry_t *e = &d->v[d->n++];
    memset(e, 0, sizeof(*e));
    e->line = line;
    e->col = col;
    e->msg = escape_controls(raw, (size_t)len);
    if (about != NULL) {
        e->about = *about;
        e->about.key = copy_str(about->key);
    }
}

void sl_diag_add(sl_diag_t *d, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(d, line, col, NULL, fmt, ap);
    va_end(ap);
}

void sl_diag_add_about(sl_diag_t *d, const sl_diag_about_t *about, const char *fmt, ...)
{
    const sl_node_t *n = about->node;
    va_list ap;
    va_start(ap, fmt);
    vadd(d, n ? n->line : 1, n ? n->col : 1, about, fmt, ap);
    va_end(ap);
}

void sl_diag_add_node(sl_diag_t *d, const sl_node_t *n, const char *fmt, ...)
{
    sl_diag_about_t about = {.node = n};
    va_list ap;
    va_start(ap, fmt);
    vadd(d, n ? n->line : 1, n ? n->col : 1, &about, fmt, ap);
    va_end(ap);
}

void sl_diag_unknown_field(sl_diag_t *d, const sl_node_t *k, const char *suggestion)
{
    /* a null key (`~: 1`) is quoted as written */
    const char *name = k->str ? k->str : "";
    int len = (int)(k->len > 128 ? 128 : k->len);
    sl_diag_about_t about = {.node = k, .text = "unknown field"};
    if (suggestion != NULL)
        sl_diag_add_about(d, &about, "unknown field '%.*s' (did you mean '%s'?)", len, name,
                          suggestion);
    else
        sl_diag_add_about(d, &about, "unknown field '%.*s'", len, name);
}

void sl_diag_sort(sl_diag_t *d)
{
    /* Insertion sort: stable, and n is at most SL_DIAG_MAX. */
    for (size_t i = 1; i < d->n; i++) {
        sl_diag_entry_t e = d->v[i];
        size_t j = i;
        while (j > 0 && pos_cmp(d->v[j - 1].line, d->v[j - 1].col, e.line, e.col) > 0) {
            d->v[j] = d->v[j - 1];
            j--;
        }
        d->v[j] = e;
    }
}

void sl_diag_print(sl_diag_t *d, FILE *f)
{
    sl_diag_sort(d);
    const char *file = d->file ? d->file : "<body>";
    for (size_t i = 0; i < d->n; i++) {
        if (d->v[i].line == 0)
            fprintf(f, "%s: %s\n", file, d->v[i].msg);
        else
            fprintf(f, "%s:%u:%u: %s\n", file, d->v[i].line, d->v[i].col, d->v[i].msg);
    }
    if (d->dropped > 0)
        fprintf(f, "%s: %zu more errors not shown\n", file, d->dropped);
}
