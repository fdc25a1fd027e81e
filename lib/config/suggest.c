/*
 * Nearest-name search (see suggest.h). Names are short (Kong's field names), so the distance
 * is the textbook three-row dynamic program on the stack; a search costs nothing until a key
 * turns out to be unknown.
 */
#include "config/suggest.h"

#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t sl_suggest_distance(const char *a, size_t alen, const char *b, size_t blen,
                           size_t limit)
{
    if (alen > SL_SUGGEST_MAX_LEN || blen > SL_SUGGEST_MAX_LEN)
        return limit + 1;
    size_t gap = alen > blen ? alen - blen : blen - alen;
    if (gap > limit)
        return limit + 1;
    /* rows i-2, i-1 and i of the (alen+1) x (blen+1) table */
    size_t rows[3][SL_SUGGEST_MAX_LEN + 1];
    size_t *two = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= blen; j++)
        prev[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        cur[0] = i;
        size_t row_min = cur[0];
        for (size_t j = 1; j <= blen; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t d = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                two[j - 2] + 1 < d)
                d = two[j - 2] + 1; /* adjacent swap */
            cur[j] = d;
            if (d < row_min)
                row_min = d;
        }
        if (row_min > limit)
            return limit + 1;
        size_t *t = two;
        two = prev;
        prev = cur;
        cur = t;
    }
    return prev[blen];
}

void sl_suggest_init(sl_suggest_t *s, const char *word, size_t len)
{
    s->_word = word;
    s->_len = len;
    s->_best = NULL;
    s->_best_dist = SL_SUGGEST_MAX_DIST + 1;
}

void sl_suggest_offer(sl_suggest_t *s, const char *name)
{
    if (name == NULL)
        return;
    /* strictly closer than the best so far, so the first of equals stays */
    size_t limit = s->_best_dist - 1;
    size_t d = sl_suggest_distance(s->_word, s->_len, name, strlen(name), limit);
    if (d == 0 || d > limit || 2 * d >= s->_len)
        return;
    s->_best = name;
    s->_best_dist = d;
}

void sl_suggest_offer_all(sl_suggest_t *s, const char *const *names)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++)
        sl_suggest_offer(s, names[i]);
}

const char *sl_suggest_best(const sl_suggest_t *s)
{
    return s->_best;
}
