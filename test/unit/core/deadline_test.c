/* Unit tests for core/deadline.c: a deadline moved later fires once at the new time; a
 * cleared one never fires; an earlier one re-arms the timer. */
#include "core/deadline.h"

#include "test.h"

static int fired;
static uint64_t fired_at;

static void on_fire(sl_deadline_t *d)
{
    fired++;
    fired_at = uv_now(d->timer.loop);
}

static void on_move(uv_timer_t *t)
{
    sl_deadline_t *d = t->data;
    sl_deadline_set(d, 60, on_fire); /* pushed back before it fell due */
}

static void test_moved_later(uv_loop_t *loop)
{
    sl_deadline_t d;
    uv_timer_t mover;
    fired = 0;
    sl_deadline_init(loop, &d, NULL);
    uv_timer_init(loop, &mover);
    mover.data = &d;
    uint64_t start = uv_now(loop);
    sl_deadline_set(&d, 30, on_fire);
    uv_timer_start(&mover, on_move, 10, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(fired, 1);
    CHECK(fired_at - start >= 65); /* 10 + 60, not 30 */
    CHECK(!sl_deadline_pending(&d));
    sl_deadline_close(&d, NULL);
    uv_close((uv_handle_t *)&mover, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
}

static void test_cleared(uv_loop_t *loop)
{
    sl_deadline_t d;
    fired = 0;
    sl_deadline_init(loop, &d, NULL);
    sl_deadline_set(&d, 10, on_fire);
    sl_deadline_clear(&d);
    uv_run(loop, UV_RUN_DEFAULT); /* the timer runs out and finds nothing due */
    CHECK_EQ_INT(fired, 0);
    sl_deadline_close(&d, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
}

static void test_moved_earlier(uv_loop_t *loop)
{
    sl_deadline_t d;
    fired = 0;
    sl_deadline_init(loop, &d, NULL);
    uint64_t start = uv_now(loop);
    sl_deadline_set(&d, 1000, on_fire);
    sl_deadline_set(&d, 20, on_fire);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(fired, 1);
    CHECK(fired_at - start < 500);
    sl_deadline_close(&d, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
}

int main(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    test_moved_later(&loop);
    test_cleared(&loop);
    test_moved_earlier(&loop);
    uv_loop_close(&loop);
    TEST_MAIN_END();
}
