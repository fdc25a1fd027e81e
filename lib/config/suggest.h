/*
 * "Did you mean": the known name closest to an unknown one, for messages such as
 * `unknown field 'strip_pth' (did you mean 'strip_path'?)`.
 *
 * Closeness is the Damerau-Levenshtein distance in its optimal-string-alignment form: one
 * edit is inserting, deleting or replacing a byte, or swapping two adjacent bytes. A name is
 * suggested only when it is at most SL_SUGGEST_MAX_DIST edits away and the edits are fewer
 * than half the unknown name's length, so that a short unrelated name ("foo") gets no
 * suggestion. The closest wins; among equals, the first offered (schema order).
 *
 * Thread: any; no global state.
 */
#ifndef SL_CONFIG_SUGGEST_H
#define SL_CONFIG_SUGGEST_H

#include <stddef.h>

#define SL_SUGGEST_MAX_DIST 2
#define SL_SUGGEST_MAX_LEN 64 /* longer names are never compared */

/* A search in progress. Fields are private. */
typedef struct sl_suggest {
    const char *_word;  /* borrowed */
    size_t _len;
    const char *_best;  /* borrowed from the caller's candidates */
    size_t _best_dist;
} sl_suggest_t;

/* The edit distance between <a> (<alen> bytes) and <b> (<blen> bytes), or a number above
 * <limit> as soon as it is known to exceed it (so callers can stop early). Either length
 * above SL_SUGGEST_MAX_LEN counts as too far. */
size_t sl_suggest_distance(const char *a, size_t alen, const char *b, size_t blen,
                           size_t limit);

/* Starts a search for names close to the <len> bytes at <word> (borrowed until the search
 * ends). */
void sl_suggest_init(sl_suggest_t *s, const char *word, size_t len);

/* Considers the NUL-terminated <name> (borrowed until the search ends). */
void sl_suggest_offer(sl_suggest_t *s, const char *name);

/* Considers every name of the NULL-terminated array <names>. */
void sl_suggest_offer_all(sl_suggest_t *s, const char *const *names);

/* The best name offered, or NULL when none was close enough. */
const char *sl_suggest_best(const sl_suggest_t *s);

#endif
