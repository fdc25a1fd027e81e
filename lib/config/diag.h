/*
 * Diagnostics: the errors found while loading a config, each with a position, printed the
 * way a compiler prints them: `FILE:LINE:COL: message`, in file order.
 *
 * Thread: one diag belongs to one thread.
 */
#ifndef SL_CONFIG_DIAG_H
#define SL_CONFIG_DIAG_H

#include <stdint.h>
#include <stdio.h>

typedef struct sl_diag_entry {
    uint32_t line, col; /* 1-based; 0 when the error has no position (e.g. unreadable file) */
    char *msg;          /* owned by the diag */
} sl_diag_entry_t;

typedef struct sl_diag {
    char *file;             /* name used in messages; owned */
    sl_diag_entry_t *v;     /* owned */
    size_t n, cap;
    size_t dropped;         /* errors past SL_DIAG_MAX, counted but not kept */
} sl_diag_t;

#define SL_DIAG_MAX 200

void sl_diag_init(sl_diag_t *d, const char *file);
void sl_diag_free(sl_diag_t *d);
/* Adds an error at <line>:<col>. */
void sl_diag_add(sl_diag_t *d, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sorts by position (stable) and writes one `FILE:LINE:COL: message` line per error to <f>. */
void sl_diag_print(sl_diag_t *d, FILE *f);

#endif
