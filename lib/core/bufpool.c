/* Per-worker freelist of I/O buffers. */
#include "core/bufpool.h"

#include "core/xalloc.h"

void sl_bufpool_init(sl_bufpool_t *p, size_t max_free)
{
    p->free = NULL;
    p->n_free = 0;
    p->max_free = max_free;
}

void sl_bufpool_destroy(sl_bufpool_t *p)
{
    while (p->free) {
        void *next = *(void **)p->free;
        free(p->free);
        p->free = next;
    }
    p->n_free = 0;
}

char *sl_bufpool_get(sl_bufpool_t *p, size_t size)
{
    if (size == SL_BUF_SIZE && p->free) {
        char *b = p->free;
        p->free = *(void **)b;
        p->n_free--;
        return b;
    }
    return sl_xmalloc(size);
}

void sl_bufpool_put(sl_bufpool_t *p, char *buf, size_t size)
{
    if (buf == NULL)
        return;
    if (size == SL_BUF_SIZE && p->n_free < p->max_free) {
        *(void **)buf = p->free;
        p->free = buf;
        p->n_free++;
        return;
    }
    free(buf);
}
