/*
 * Arena: a bump allocator made of chained blocks, freed in one step.
 *
 * Request arenas live from the request head to the end of the log phase; the config
 * snapshot lives in one arena too. Nothing allocated here is freed individually.
 * Cleanups registered with sl_arena_cleanup run in reverse order at sl_arena_destroy /
 * sl_arena_reset, for resources that are not memory.
 *
 * Thread: an arena belongs to one thread at a time.
 */
#ifndef SL_CORE_ARENA_H
#define SL_CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct sl_arena_block sl_arena_block_t;
typedef struct sl_arena_cleanup sl_arena_cleanup_t;

/* A block (the arena's own; public only so that the common allocation is inline). */
struct sl_arena_block {
    sl_arena_block_t *next;
    size_t cap;
    size_t off;
    _Alignas(16) unsigned char data[];
};

typedef struct sl_arena {
    sl_arena_block_t *head;       /* current block; older blocks chained behind it */
    size_t block_size;            /* size of a normal block (big requests get their own) */
    sl_arena_cleanup_t *cleanups; /* LIFO list of cleanups */
    size_t used;                  /* bytes handed out since init/reset (for budgets/tests) */
} sl_arena_t;

/* Initialises <a> with blocks of <block_size> bytes (0: 4096). No memory is taken yet. */
void sl_arena_init(sl_arena_t *a, size_t block_size);
/* Runs cleanups and frees every block. <a> may be re-initialised afterwards. */
void sl_arena_destroy(sl_arena_t *a);
/* Runs cleanups and frees all blocks but the first, which is kept for reuse. */
void sl_arena_reset(sl_arena_t *a);

/* Returns <len> bytes aligned to 16, owned by the arena. Aborts on OOM. */
void *sl_arena_alloc_slow(sl_arena_t *a, size_t len);
static inline void *sl_arena_alloc(sl_arena_t *a, size_t len)
{
    size_t n = (len + 15) & ~(size_t)15;
    sl_arena_block_t *b = a->head;
    if (b == NULL || b->cap - b->off < n)
        return sl_arena_alloc_slow(a, len); /* a new block */
    void *p = b->data + b->off;
    b->off += n;
    a->used += n;
    return p;
}
/* Same, zeroed. */
void *sl_arena_calloc(sl_arena_t *a, size_t n, size_t size);
/* Copies <len> bytes of <s> and appends a NUL. */
char *sl_arena_strndup(sl_arena_t *a, const char *s, size_t len);
char *sl_arena_strdup(sl_arena_t *a, const char *s);
/* printf into the arena. */
char *sl_arena_printf(sl_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registers <fn>(<data>) to run when the arena is reset or destroyed. */
void sl_arena_cleanup(sl_arena_t *a, void (*fn)(void *data), void *data);

#endif
