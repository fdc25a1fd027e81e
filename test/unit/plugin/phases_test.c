/* Unit tests for the phase runners of plugin/pdk.c: priority order in every phase, an access
 * plugin that waits (SL_AGAIN) and resumes the rest of the phase and then the request, one
 * that answers (SL_RESPONDED) and stops the phase, cancelling a wait, and the chain's phase
 * mask that lets requests skip phases nobody implements. */
#include "plugin/pdk.h"

#include "plugin/chain.h"
#include "test.h"

static char trace[256];

static void note(const char *s)
{
    strncat(trace, s, sizeof(trace) - strlen(trace) - 1);
}

static sl_phase_result_t a_access(sl_req_t *req, const void *conf)
{
    (void)req;
    note(conf);
    return SL_CONTINUE;
}

static int wait_mode; /* 0 continue, 1 wait, 2 answer */

static sl_phase_result_t b_access(sl_req_t *req, const void *conf)
{
    (void)req;
    note(conf);
    return wait_mode == 1 ? SL_AGAIN : wait_mode == 2 ? SL_RESPONDED : SL_CONTINUE;
}

static void any_log(sl_req_t *req, const void *conf)
{
    (void)req;
    note("log:");
    note(conf);
}

static void any_header(sl_req_t *req, const void *conf)
{
    (void)req;
    note("hdr:");
    note(conf);
}

static sl_body_action_t any_body(sl_req_t *req, const void *conf, sl_body_t *b)
{
    (void)req;
    note("body:");
    note(conf);
    note(b->last ? "!" : "");
    return SL_BODY_PASS;
}

static sl_phase_result_t any_rewrite(sl_req_t *req, const void *conf)
{
    (void)req;
    note("rw:");
    note(conf);
    return SL_CONTINUE;
}

static const sl_plugin_desc_t desc_a = {.name = "a", .priority = 100, .access = a_access,
                                        .log = any_log, .header_filter = any_header,
                                        .body_filter = any_body, .rewrite = any_rewrite};
static const sl_plugin_desc_t desc_b = {.name = "b", .priority = 50, .access = b_access,
                                        .log = any_log};
static const sl_plugin_desc_t desc_c = {.name = "c", .priority = 10, .access = a_access};

static int nexts;
static void on_next(sl_req_t *req)
{
    (void)req;
    nexts++;
    note("next");
}

static int cancels;
static void on_cancel(sl_req_t *req, void *arg)
{
    (void)req;
    (void)arg;
    cancels++;
}

int main(void)
{
    sl_plugin_instance_t ia = {.name = "a", .desc = &desc_a, .conf = "A", .enabled = true};
    sl_plugin_instance_t ib = {.name = "b", .desc = &desc_b, .conf = "B", .enabled = true};
    sl_plugin_instance_t ic = {.name = "c", .desc = &desc_c, .conf = "C", .enabled = true};
    sl_plugin_instance_t *plugins[] = {&ic, &ia, &ib}; /* not in priority order */
    sl_config_t cfg = {0};
    cfg.plugins = plugins;
    cfg.n_plugins = 3;
    sl_arena_t arena;
    sl_arena_init(&arena, 4096);
    sl_plugin_chain_t global = {0};
    sl_plugin_chains_build(&cfg, &arena, NULL, &global);
    CHECK_EQ_INT(global.n, 3);
    CHECK(global.phases == (SL_PHASE_REWRITE | SL_PHASE_ACCESS | SL_PHASE_HEADER_FILTER |
                            SL_PHASE_BODY_FILTER | SL_PHASE_LOG));

    sl_req_t req = {0};
    req.arena = &arena;
    req.chain = &global;

    /* every plugin passes: priority order, and the caller goes on by itself */
    trace[0] = '\0';
    wait_mode = 0;
    CHECK(sl_pdk_run_access(&req, on_next) == SL_CONTINUE);
    CHECK_EQ_STR(trace, "ABC");
    CHECK_EQ_INT(nexts, 0);

    /* b waits: the phase stops there; resuming runs c and then what follows the phase */
    trace[0] = '\0';
    wait_mode = 1;
    CHECK(sl_pdk_run_access(&req, on_next) == SL_AGAIN);
    CHECK_EQ_STR(trace, "AB");
    sl_pdk_wait(&req, on_cancel, NULL);
    sl_pdk_resume(&req, SL_CONTINUE);
    CHECK_EQ_STR(trace, "ABCnext");
    CHECK_EQ_INT(nexts, 1);
    CHECK(req.pending_cancel == NULL);
    sl_pdk_abort(&req); /* nothing waits any more */
    CHECK_EQ_INT(cancels, 0);

    /* b waits and answers later: nothing else runs */
    trace[0] = '\0';
    CHECK(sl_pdk_run_access(&req, on_next) == SL_AGAIN);
    sl_pdk_wait(&req, on_cancel, NULL);
    sl_pdk_resume(&req, SL_RESPONDED);
    CHECK_EQ_STR(trace, "AB");
    CHECK_EQ_INT(nexts, 1);

    /* the request goes away while b waits: its cancel runs once */
    CHECK(sl_pdk_run_access(&req, on_next) == SL_AGAIN);
    sl_pdk_wait(&req, on_cancel, NULL);
    sl_pdk_abort(&req);
    sl_pdk_abort(&req);
    CHECK_EQ_INT(cancels, 1);

    /* b answers at once: c's access is skipped */
    trace[0] = '\0';
    wait_mode = 2;
    CHECK(sl_pdk_run_access(&req, on_next) == SL_RESPONDED);
    CHECK_EQ_STR(trace, "AB");

    /* the other phases, in priority order, for every plugin implementing them */
    trace[0] = '\0';
    CHECK(sl_pdk_run_rewrite(&req, &global));
    sl_pdk_run_header_filter(&req);
    CHECK_EQ_INT((int)sl_pdk_filters.n_body(&req), 1);
    sl_body_t b1 = {.data = "x", .len = 1}, b2 = {.last = true};
    CHECK(sl_pdk_filters.body(&req, 0, &b1) == SL_BODY_PASS);
    CHECK(sl_pdk_filters.body(&req, 0, &b2) == SL_BODY_PASS);
    sl_pdk_run_log(&req);
    CHECK_EQ_STR(trace, "rw:Ahdr:Abody:Abody:A!log:Alog:B");

    /* a chain with c only implements access */
    sl_plugin_instance_t *only_c[] = {&ic};
    cfg.plugins = only_c;
    cfg.n_plugins = 1;
    sl_plugin_chain_t g2 = {0};
    sl_plugin_chains_build(&cfg, &arena, NULL, &g2);
    CHECK(g2.phases == SL_PHASE_ACCESS);

    sl_arena_destroy(&arena);
    TEST_MAIN_END();
}
