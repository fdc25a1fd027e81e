/*
 * Buffer pool: a per-worker freelist of fixed-size I/O buffers, so that connections take and
 * return read buffers without calling malloc once warm. Buffers larger than the pool size
 * (a request head past 16 KiB) are plain allocations and freed on return.
 *
 * Thread: one pool per worker; only that worker's thread uses it.
 */
#ifndef SL_CORE_BUFPOOL_H
#define SL_CORE_BUFPOOL_H

#include <stddef.h>

#define SL_BUF_SIZE (16 * 1024)

typedef struct sl_bufpool {
    void *free;        /* singly linked through the first word */
    size_t n_free;
    size_t max_free;   /* kept at most; the rest go back to malloc */
} sl_bufpool_t;

void sl_bufpool_init(sl_bufpool_t *p, size_t max_free);
void sl_bufpool_destroy(sl_bufpool_t *p);
/* Returns a buffer of <size> bytes (SL_BUF_SIZE from the freelist, other sizes malloc'd). */
char *sl_bufpool_get(sl_bufpool_t *p, size_t size);
/* Gives back a buffer of <size> bytes obtained from sl_bufpool_get. NULL is accepted. */
void sl_bufpool_put(sl_bufpool_t *p, char *buf, size_t size);

#endif
