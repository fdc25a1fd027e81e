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

void sl_diag_free(sl_diag_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].msg);
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

void sl_diag_add(sl_diag_t *d, uint32_t line, uint32_t col, const char *fmt, ...)
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
        free(d->v[worst].msg);
        memmove(&d->v[worst], &d->v[worst + 1], (d->n - worst - 1) * sizeof(d->v[0]));
        d->n--;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = sl_xrealloc(d->v, d->cap * sizeof(d->v[0]));
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        len = 0;
    char *raw = sl_xmalloc((size_t)len + 1);
    va_start(ap, fmt);
    vsnprintf(raw, (size_t)len + 1, fmt, ap);
    va_end(ap);
    char *msg = escape_controls(raw, (size_t)len);
    d->v[d->n].line = line;
    d->v[d->n].col = col;
    d->v[d->n].msg = msg;
    d->n++;
}

void sl_diag_print(sl_diag_t *d, FILE *f)
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
