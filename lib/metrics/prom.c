/* Prometheus text format 0.0.4 helpers (see prom.h). */
#include "metrics/prom.h"

#include <string.h>

static void escape(sl_hbuf_t *b, const char *v, size_t len, bool quotes)
{
    size_t run = 0; /* bytes that need no escape, copied in one go */
    for (size_t i = 0; i < len; i++) {
        const char *esc = NULL;
        if (v[i] == '\\')
            esc = "\\\\";
        else if (v[i] == '\n')
            esc = "\\n";
        else if (v[i] == '"' && quotes)
            esc = "\\\"";
        if (esc == NULL)
            continue;
        sl_hbuf_append(b, v + run, i - run);
        sl_hbuf_append(b, esc, 2);
        run = i + 1;
    }
    sl_hbuf_append(b, v + run, len - run);
}

void sl_prom_family(sl_hbuf_t *b, const char *name, const char *help, const char *type)
{
    sl_hbuf_lit(b, "# HELP ");
    sl_hbuf_str(b, name);
    sl_hbuf_lit(b, " ");
    escape(b, help, strlen(help), false); /* HELP escapes only backslash and newline */
    sl_hbuf_lit(b, "\n# TYPE ");
    sl_hbuf_str(b, name);
    sl_hbuf_lit(b, " ");
    sl_hbuf_str(b, type);
    sl_hbuf_lit(b, "\n");
}

void sl_prom_escape(sl_hbuf_t *b, const char *v, size_t len)
{
    escape(b, v, len, true);
}

void sl_prom_label(sl_hbuf_t *b, const char *name, const char *value, bool first)
{
    if (!first)
        sl_hbuf_lit(b, ",");
    sl_hbuf_str(b, name);
    sl_hbuf_lit(b, "=\"");
    escape(b, value, strlen(value), true);
    sl_hbuf_lit(b, "\"");
}
