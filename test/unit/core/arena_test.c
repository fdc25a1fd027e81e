/* Unit tests for core/arena.c and core/bufpool.c. */
#include "core/arena.h"
#include "core/bufpool.h"

#include <stdint.h>

#include "test.h"

static int cleanups;
static void count_cleanup(void *p)
{
    (void)p;
    cleanups++;
}

static void test_arena(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 256);
    char *p = sl_arena_alloc(&a, 10);
    CHECK(((uintptr_t)p & 15) == 0);
    memset(p, 'x', 10);
    char *big = sl_arena_alloc(&a, 10000); /* bigger than a block: its own block */
    memset(big, 'y', 10000);
    char *q = sl_arena_strdup(&a, "hello");
    CHECK_EQ_STR(q, "hello");
    CHECK_EQ_STR(sl_arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    int *z = sl_arena_calloc(&a, 100, sizeof(int));
    int sum = 0;
    for (int i = 0; i < 100; i++)
        sum += z[i];
    CHECK_EQ_INT(sum, 0);
    sl_arena_cleanup(&a, count_cleanup, NULL);
    sl_arena_cleanup(&a, count_cleanup, NULL);
    sl_arena_reset(&a);
    CHECK_EQ_INT(cleanups, 2);
    CHECK_EQ_INT(a.used, 0);
    /* after a reset the kept block serves small allocations again */
    char *r = sl_arena_alloc(&a, 16);
    CHECK(r != NULL);
    sl_arena_destroy(&a);
}

static void test_bufpool(void)
{
    sl_bufpool_t p;
    sl_bufpool_init(&p, 2);
    char *a = sl_bufpool_get(&p, SL_BUF_SIZE);
    char *b = sl_bufpool_get(&p, SL_BUF_SIZE);
    char *c = sl_bufpool_get(&p, SL_BUF_SIZE);
    sl_bufpool_put(&p, a, SL_BUF_SIZE);
    sl_bufpool_put(&p, b, SL_BUF_SIZE);
    sl_bufpool_put(&p, c, SL_BUF_SIZE); /* over max_free: freed */
    CHECK_EQ_INT(p.n_free, 2);
    CHECK(sl_bufpool_get(&p, SL_BUF_SIZE) == b); /* LIFO: the warmest first */
    char *big = sl_bufpool_get(&p, 3 * SL_BUF_SIZE);
    sl_bufpool_put(&p, big, 3 * SL_BUF_SIZE);
    CHECK_EQ_INT(p.n_free, 1);
    sl_bufpool_put(&p, b, SL_BUF_SIZE);
    sl_bufpool_destroy(&p);
}

int main(void)
{
    test_arena();
    test_bufpool();
    TEST_MAIN_END();
}
