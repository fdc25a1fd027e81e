/*
 * Master thread: workers, signals, reload.
 */
#include "runtime/server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "admin/admin.h"
#include "config/load.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "log/access.h"
#include "pipeline/pipeline.h"
#include "plugin/plugin.h"
#include "runtime/workers.h"

typedef struct server {
    const sl_settings_t *s;
    sl_worker_t *workers;
    int n_workers;
    sl_snapshot_t *snap;
    sl_worker_t admin_worker;       /* the admin listener, on this (the master's) loop */
    bool admin_on;
    sl_admin_t admin;
    uv_loop_t loop;
    uv_signal_t sig_term, sig_int, sig_hup, sig_usr1;
    int proxy_log_fd, admin_log_fd, error_log_fd; /* -1 when off (stderr for errors) */
    bool drain;                     /* stopped by SIGTERM: let requests in flight finish */
} server_t;

/* Publishes <snap> (the caller's reference) to every worker and the admin listener. */
static void apply_snapshot(void *ctx, sl_snapshot_t *snap)
{
    server_t *sv = ctx;
    for (int i = 0; i < sv->n_workers; i++)
        sl_worker_publish(&sv->workers[i], snap);
    if (sv->admin_on)
        sl_worker_publish(&sv->admin_worker, snap);
    sl_snapshot_release(sv->snap);
    sv->snap = snap;
}

static void reload(server_t *sv)
{
    const char *path = sv->s->config_path;
    sl_diag_t diag;
    sl_diag_init(&diag, path);
    sl_config_t *cfg = NULL;
    sl_snapshot_t *snap = NULL;
    if (sl_config_load_file(path, sl_plugin_lookup, &cfg, &diag) != 0 ||
        sl_snapshot_compile(cfg, &snap, &diag) != 0) {
        sl_log(SL_LOG_ERROR, "reload of %s failed; the running configuration stays:", path);
        for (size_t i = 0; i < diag.n; i++)
            sl_log(SL_LOG_ERROR, "%s:%u:%u: %s", path, diag.v[i].line, diag.v[i].col,
                   diag.v[i].msg);
        sl_diag_free(&diag);
        return;
    }
    sl_diag_free(&diag);
    apply_snapshot(sv, snap);
    sl_log(SL_LOG_NOTICE, "configuration reloaded from %s (%zu services, %zu routes)", path,
           snap->cfg->n_services, snap->cfg->n_routes);
}

/* SIGUSR1: reopen the log files after logrotate moved them (log/access.h). */
static void reopen_logs(server_t *sv)
{
    const sl_settings_t *s = sv->s;
    struct {
        int fd;
        const char *path;
    } files[] = {
        {sv->proxy_log_fd, s->proxy_access_log},
        {sv->admin_log_fd, s->admin_access_log},
        {sv->error_log_fd, s->error_log},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (files[i].fd < 0)
            continue;
        int rc = sl_alog_reopen(files[i].fd, files[i].path);
        if (rc < 0)
            sl_log(SL_LOG_ERROR, "reopening %s failed: %s", files[i].path, strerror(-rc));
    }
    sl_alog_reopen_bump(); /* and those plugins opened (file-log) */
    sl_log(SL_LOG_NOTICE, "log files reopened");
}

static void on_signal(uv_signal_t *h, int signum)
{
    server_t *sv = h->data;
    if (signum == SIGUSR1) {
        reopen_logs(sv);
        return;
    }
    if (signum == SIGHUP) {
        if (sv->s->config_path)
            reload(sv);
        return;
    }
    sv->drain = signum == SIGTERM;
    sl_log(SL_LOG_NOTICE, "received %s, %s", signum == SIGTERM ? "SIGTERM" : "SIGINT",
           sv->drain ? "draining" : "stopping");
    uv_signal_stop(&sv->sig_term);
    uv_signal_stop(&sv->sig_int);
    uv_signal_stop(&sv->sig_hup);
    uv_signal_stop(&sv->sig_usr1);
    uv_stop(&sv->loop);
}

/* Raises the open-file soft limit to the hard limit (nginx's worker_rlimit_nofile, which
 * Kong sets to the same "auto") and returns the resulting limit; <raised_from> gets the
 * limit before, or 0 when it stayed. */
static uint64_t raise_nofile(uint64_t *raised_from)
{
    struct rlimit rl;
    *raised_from = 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    rlim_t was = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = was;
    }
    *raised_from = rl.rlim_cur != was ? (uint64_t)was : 0;
    return rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : (uint64_t)rl.rlim_cur;
}

/* Connections one worker holds at most: the setting, or Kong's "auto" (the open-file
 * limit, at most 16384, as Kong's nginx_events_worker_connections documents). */
static uint32_t worker_conn_limit(const sl_settings_t *s, uint64_t nofile)
{
    if (s->worker_connections)
        return s->worker_connections;
    return nofile < 16384 ? (uint32_t)nofile : 16384;
}

int sl_server_run(const sl_settings_t *s, sl_snapshot_t *snap)
{
    server_t sv;
    memset(&sv, 0, sizeof(sv));
    sv.s = s;
    sv.snap = snap;
    sv.n_workers = s->workers;
    sv.workers = sl_xcalloc((size_t)sv.n_workers, sizeof(sl_worker_t));
    signal(SIGPIPE, SIG_IGN);

    uv_loop_init(&sv.loop);
    uv_signal_init(&sv.loop, &sv.sig_term);
    uv_signal_init(&sv.loop, &sv.sig_int);
    uv_signal_init(&sv.loop, &sv.sig_hup);
    sv.sig_term.data = sv.sig_int.data = sv.sig_hup.data = &sv;
    uv_signal_start(&sv.sig_term, on_signal, SIGTERM);
    uv_signal_start(&sv.sig_int, on_signal, SIGINT);
    uv_signal_start(&sv.sig_hup, on_signal, SIGHUP);
    uv_signal_init(&sv.loop, &sv.sig_usr1);
    sv.sig_usr1.data = &sv;
    uv_signal_start(&sv.sig_usr1, on_signal, SIGUSR1);

    /* log files, opened once: workers write to these descriptors, SIGUSR1 re-points them */
    sv.proxy_log_fd = sv.admin_log_fd = sv.error_log_fd = -1;
    const char *paths[3] = {s->proxy_access_log, s->admin_access_log, s->error_log};
    int *fds[3] = {&sv.proxy_log_fd, &sv.admin_log_fd, &sv.error_log_fd};
    for (int i = 0; i < 3; i++) {
        if (paths[i] == NULL)
            continue;
        *fds[i] = sl_alog_open(paths[i]);
        if (*fds[i] < 0) {
            fprintf(stderr, "sluice: cannot open log file %s: %s\n", paths[i],
                    strerror(-*fds[i]));
            return 1;
        }
    }
    if (sv.error_log_fd >= 0)
        sl_log_set_fd(sv.error_log_fd);

    /* handlers first: the port accepts as soon as it is bound, and a SIGHUP sent then must
     * not kill the process */
    int bound = 0;
    for (; bound < sv.n_workers; bound++)
        if (sl_worker_bind(&sv.workers[bound], s, bound, s->proxy, s->n_proxy,
                           &sl_pipeline_handler) != 0)
            break;
    bool ok = bound == sv.n_workers;
    uint64_t was_nofile;
    uint64_t nofile = raise_nofile(&was_nofile);
    uint32_t max_conns = worker_conn_limit(s, nofile);
    for (int i = 0; i < bound; i++) {
        sv.workers[i].alog_fd = sv.proxy_log_fd;
        sv.workers[i].max_conns = max_conns;
    }
    if (ok && was_nofile)
        sl_log(SL_LOG_NOTICE, "open files limit %llu (raised from %llu); at most %u "
               "connections per worker", (unsigned long long)nofile,
               (unsigned long long)was_nofile, max_conns);
    else if (ok)
        sl_log(SL_LOG_NOTICE, "open files limit %llu; at most %u connections per worker",
               (unsigned long long)nofile, max_conns);
    if (ok && s->n_admin) {
        sl_admin_init(&sv.admin, s, sv.workers, sv.n_workers);
        sv.admin.apply = apply_snapshot;
        sv.admin.apply_ctx = &sv;
        ok = sl_worker_bind(&sv.admin_worker, s, -1, s->admin, s->n_admin,
                            &sl_admin_handler) == 0;
        sv.admin_worker.handler_ctx = &sv.admin;
        sv.admin_worker.alog_fd = sv.admin_log_fd;
        sv.admin_worker.max_conns = max_conns;
        if (ok)
            ok = sl_worker_attach(&sv.admin_worker, &sv.loop, snap) == 0;
        sv.admin_on = ok;
    }

    int started = 0;
    for (; ok && started < sv.n_workers; started++) {
        if (sl_worker_start(&sv.workers[started], snap) != 0)
            break;
    }
    if (started == sv.n_workers) {
        for (size_t i = 0; i < s->n_proxy; i++)
            sl_log(SL_LOG_NOTICE, "proxy listening on %s with %d worker%s", s->proxy[i].text,
                   sv.n_workers, sv.n_workers == 1 ? "" : "s");
        for (size_t i = 0; i < s->n_admin; i++)
            sl_log(SL_LOG_NOTICE, "admin API listening on %s", s->admin[i].text);
        uv_run(&sv.loop, UV_RUN_DEFAULT);
    }
    if (sv.admin_on)
        sl_worker_detach(&sv.admin_worker); /* the admin API stops answering first */
    if (sv.drain) {
        for (int i = 0; i < started; i++)
            sl_worker_drain(&sv.workers[i]);
        for (int i = 0; i < started; i++)
            sl_worker_join(&sv.workers[i]);
    } else {
        for (int i = 0; i < started; i++)
            sl_worker_stop_and_join(&sv.workers[i]);
    }
    uv_close((uv_handle_t *)&sv.sig_term, NULL);
    uv_close((uv_handle_t *)&sv.sig_int, NULL);
    uv_close((uv_handle_t *)&sv.sig_hup, NULL);
    uv_close((uv_handle_t *)&sv.sig_usr1, NULL);
    uv_run(&sv.loop, UV_RUN_DEFAULT);
    uv_loop_close(&sv.loop);
    if (sv.admin_on)
        sl_worker_cleanup(&sv.admin_worker);
    sl_snapshot_release(sv.snap);
    free(sv.workers);
    sl_log(SL_LOG_NOTICE, "stopped");
    return ok && started == sv.n_workers ? 0 : 1;
}
