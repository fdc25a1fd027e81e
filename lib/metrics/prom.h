/*
 * Prometheus text exposition format 0.0.4: family headers and escaped label values, written
 * into an sl_hbuf (http/headers.h). The caller writes the sample lines themselves; these
 * helpers hold the rules that are easy to get wrong.
 *
 * Thread: any; the buffer belongs to the caller.
 */
#ifndef SL_METRICS_PROM_H
#define SL_METRICS_PROM_H

#include <stdbool.h>
#include <stddef.h>

#include "http/headers.h"

/* The Content-Type of a scrape, as Kong's exporter sends it. */
#define SL_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Appends "# HELP <name> <help>\n# TYPE <name> <type>\n". <name> and <type> are trusted
 * constants; <help> is escaped (backslash and newline). */
void sl_prom_family(sl_hbuf_t *b, const char *name, const char *help, const char *type);

/* Appends the <len> bytes of <v> as the inside of a quoted label value: backslash, double
 * quote and line feed are escaped (\\, \", \n); every other byte goes as it is (the format
 * is UTF-8 and a scraper takes any byte but those three). */
void sl_prom_escape(sl_hbuf_t *b, const char *v, size_t len);

/* Appends `<name>="<escaped value>"`, preceded by a comma unless <first>. */
void sl_prom_label(sl_hbuf_t *b, const char *name, const char *value, bool first);

#endif
