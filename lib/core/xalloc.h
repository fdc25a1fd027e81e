/*
 * Aborting allocators for small fixed allocations (the h2o / Redis convention). Growth
 * driven by input must not use these: it checks a cap and returns an error instead.
 */
#ifndef SL_CORE_XALLOC_H
#define SL_CORE_XALLOC_H

#include <stddef.h>
#include <stdlib.h>

/* Prints a message and aborts. */
void sl_fatal_oom(void) __attribute__((noreturn));

static inline void *sl_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        sl_fatal_oom();
    return p;
}

static inline void *sl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        sl_fatal_oom();
    return p;
}

static inline void *sl_xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (p == NULL)
        sl_fatal_oom();
    return p;
}

#endif
