/*
 * Arena allocator: blocks chained newest-first. The first block is kept across resets so a
 * connection that serves many requests reuses it and never calls malloc once warm.
 */
#include "core/arena.h"
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>


struct sl_arena_cleanup {
    sl_arena_cleanup_t *next;
    void (*fn)(void *);
    void *data;
};

void sl_arena_init(sl_arena_t *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 4096;
    a->cleanups = NULL;
    a->used = 0;
}

static void run_cleanups(sl_arena_t *a)
{
    while (a->cleanups) {
        sl_arena_cleanup_t *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->data);
    }
}

void sl_arena_destroy(sl_arena_t *a)
{
    run_cleanups(a);
    sl_arena_block_t *b = a->head;
    while (b) {
        sl_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}

void sl_arena_reset(sl_arena_t *a)
{
    run_cleanups(a);
    sl_arena_block_t *b = a->head, *keep = NULL;
    while (b) {
        sl_arena_block_t *next = b->next;
        if (next == NULL && b->cap == a->block_size)
            keep = b; /* the oldest block is the normal-sized first one */
        else
            free(b);
        b = next;
    }
    if (keep) {
        keep->off = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used = 0;
}

void *sl_arena_alloc_slow(sl_arena_t *a, size_t len)
{
    len = (len + 15) & ~(size_t)15;
    sl_arena_block_t *b = a->head;
    if (b == NULL || b->cap - b->off < len) {
        size_t cap = a->block_size;
        if (len > cap / 4 && b != NULL) {
            /* A big piece gets its own block, linked behind the current one, so the
             * current block's free space is not wasted. */
            sl_arena_block_t *big = sl_xmalloc(sizeof(*big) + len);
            big->cap = len;
            big->off = len;
            big->next = b->next;
            b->next = big;
            a->used += len;
            return big->data;
        }
        if (len > cap)
            cap = len;
        sl_arena_block_t *nb = sl_xmalloc(sizeof(*nb) + cap);
        nb->cap = cap;
        nb->off = 0;
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->off;
    b->off += len;
    a->used += len;
    return p;
}

void *sl_arena_calloc(sl_arena_t *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        sl_fatal_oom();
    void *p = sl_arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *sl_arena_strndup(sl_arena_t *a, const char *s, size_t len)
{
    char *p = sl_arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *sl_arena_strdup(sl_arena_t *a, const char *s)
{
    return sl_arena_strndup(a, s, strlen(s));
}

char *sl_arena_printf(sl_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = sl_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void sl_arena_cleanup(sl_arena_t *a, void (*fn)(void *data), void *data)
{
    sl_arena_cleanup_t *c = sl_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
}
