/*
 * Diagnostics: the errors found while loading a config, each with a position, printed the
 * way a compiler prints them: `FILE:LINE:COL: message`, in file order.
 *
 * An error may also say what it is about (a key, a value, a missing field of a mapping, a
 * whole entity), so that once a load has failed the loader can give each error its place in
 * the document as Kong's error tree keys it (config/errtree.h): collection, entity index or
 * name, field chain. Nothing of that is computed while a load succeeds.
 *
 * Thread: one diag belongs to one thread.
 */
#ifndef SL_CONFIG_DIAG_H
#define SL_CONFIG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sl_node;

/* What an error is about, beyond its position. */
typedef struct sl_diag_about {
    const struct sl_node *node; /* the key, value or mapping at fault; gives the position
                                   (1:1 when NULL). Borrowed, valid during the load only */
    const char *field;  /* a field of mapping <node> (one that is missing); static */
    const char *text;   /* the tree's text when it is not the message ("unknown field");
                           static */
    const char *key;    /* listed under the entity's collection by this key, not by its
                           index (Kong's reference errors); copied */
    bool whole;         /* the error stands for the whole entity <node> (uniqueness) */
    bool config;        /* <node> is a plugin and the error is about its config record */
} sl_diag_about_t;

/* One step from the root of Kong's error tree. */
typedef struct sl_diag_step {
    const char *key;  /* a field, collection or entity key; NULL for an array position */
    size_t index;     /* 0-based array position when <key> is NULL */
} sl_diag_step_t;

/* Where Kong's error tree holds an error: one allocation, strings included. */
typedef struct sl_diag_place {
    bool append;            /* the text joins a list there ("@entity", reference errors) */
    const char *text;       /* what the tree holds */
    size_t n;               /* number of steps, at least 1 */
    sl_diag_step_t steps[]; /* root first */
} sl_diag_place_t;

typedef struct sl_diag_entry {
    uint32_t line, col;     /* 1-based; 0 when the error has no position (e.g. unreadable file) */
    char *msg;              /* owned by the diag */
    sl_diag_about_t about;  /* about.key owned by the diag; about.node cleared when placed */
    sl_diag_place_t *place; /* owned; NULL until a failed load placed it (or when it has no
                               place in the document) */
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
/* Adds an error about node <n> (the key, value or mapping at fault), at its position. */
void sl_diag_add_node(sl_diag_t *d, const struct sl_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds an error described by <about> (copied), at the position of about->node. */
void sl_diag_add_about(sl_diag_t *d, const sl_diag_about_t *about, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The one wording of an unknown key <k>: "unknown field 'K'", with " (did you mean 'S'?)"
 * when <suggestion> is not NULL (config/suggest.h finds one). Kong's tree says "unknown
 * field". */
void sl_diag_unknown_field(sl_diag_t *d, const struct sl_node *k, const char *suggestion);
/* Sorts the entries by position, keeping the order of errors at the same position. */
void sl_diag_sort(sl_diag_t *d);
/* Sorts (sl_diag_sort) and writes one `FILE:LINE:COL: message` line per error to <f>. */
void sl_diag_print(sl_diag_t *d, FILE *f);

#endif
