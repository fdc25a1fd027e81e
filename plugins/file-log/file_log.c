/*
 * file-log (Kong's plugin, priority 9): appends the log record of every request of its scope
 * to a file, one JSON object per line (kong/plugins/file-log/handler.lua and schema.lua).
 *
 * Each worker keeps its own descriptors, one per path, opened O_APPEND (created 0644), and
 * writes a line with one write(2): lines of different workers never interleave. `reopen`
 * opens and closes the file around every write, as Kong does; SIGUSR1 makes every worker
 * reopen its files before the next line (logrotate), through the access log's reopen
 * generation (log/access.h). `custom_fields_by_lua` is refused: sluice runs no Lua.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "config/node.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "log/access.h"
#include "log/record.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "snapshot/snapshot.h"

typedef struct conf {
    const char *path;
    bool reopen;
} conf_t;

extern const sl_plugin_desc_t sl_plugin_file_log;

/* ---- config ---- */

/* Kong's schema: match [[^[^*&%%\`]+$]], "not a valid filename" */
static bool valid_filename(const char *s, size_t len)
{
    return len > 0 && strlen(s) == len && strpbrk(s, "*&%`") == NULL;
}

/* The config fields in the order of file-log/schema.lua, for suggestions. */
static const char *const fields[] = {
    "path", "reopen", "custom_fields_by_lua", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (strcmp(key, "path") == 0) {
            if (sl_node_is_null(v))
                continue; /* reported below as missing */
            const char *s = sl_pconf_string(diag, arena, v);
            if (s != NULL && !valid_filename(s, v->len))
                sl_diag_add_node(diag, v, "not a valid filename");
            else if (s != NULL)
                c->path = s;
        } else if (strcmp(key, "reopen") == 0) {
            if (!sl_node_is_null(v))
                sl_pconf_bool(diag, v, &c->reopen);
        } else if (strcmp(key, "custom_fields_by_lua") == 0) {
            if (!sl_node_is_null(v) && !(v->kind == SL_NODE_MAP && v->n == 0))
                sl_diag_add_node(diag, v, "custom_fields_by_lua is not supported by sluice (it runs "
                                          "no Lua)");
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    if (c->path == NULL && diag->n + diag->dropped == errors)
        sl_diag_add_node(diag, config, "path: required field missing");
    return diag->n + diag->dropped == errors ? c : NULL;
}

/* The entity copies of the snapshot, rendered once, only when some instance needs them. */
static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    for (size_t i = 0; i < cfg->n_plugins; i++)
        if (cfg->plugins[i]->desc == &sl_plugin_file_log)
            return sl_log_entities_build(cfg, arena);
    return NULL;
}

/* ---- per worker: open files ---- */

typedef struct file {
    char *path;        /* owned */
    int fd;            /* -1: closed */
    uint64_t gen;      /* reopen generation it was opened at */
    int64_t err_sec;   /* last time an error was logged (one line a second at most) */
} file_t;

typedef struct wstate {
    file_t *v;
    size_t n, cap;
} wstate_t;

static void *worker_init(sl_worker_t *w)
{
    return sl_xcalloc(1, sizeof(wstate_t));
}

static void worker_fini(sl_worker_t *w, void *state)
{
    wstate_t *ws = state;
    for (size_t i = 0; i < ws->n; i++) {
        if (ws->v[i].fd >= 0)
            close(ws->v[i].fd);
        free(ws->v[i].path);
    }
    free(ws->v);
    free(ws);
}

static file_t *file_for(wstate_t *ws, const char *path)
{
    for (size_t i = 0; i < ws->n; i++)
        if (strcmp(ws->v[i].path, path) == 0)
            return &ws->v[i];
    if (ws->n == ws->cap) {
        ws->cap = ws->cap ? ws->cap * 2 : 4;
        ws->v = sl_xrealloc(ws->v, ws->cap * sizeof(*ws->v));
    }
    file_t *f = &ws->v[ws->n++];
    size_t len = strlen(path);
    f->path = sl_xmalloc(len + 1);
    memcpy(f->path, path, len + 1);
    f->fd = -1;
    f->gen = 0;
    f->err_sec = 0;
    return f;
}

static void file_error(file_t *f, const char *what, int err)
{
    int64_t now = (int64_t)time(NULL);
    if (now == f->err_sec)
        return;
    f->err_sec = now;
    sl_log(SL_LOG_ERROR, "file-log: %s %s: %s", what, f->path, strerror(err));
}

static void on_log(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    wstate_t *ws = sl_plugin_worker_state(req->w, &sl_plugin_file_log);
    if (ws == NULL)
        return;
    file_t *f = file_for(ws, c->path);
    uint64_t gen = sl_alog_reopen_gen();
    if (f->fd >= 0 && (c->reopen || f->gen != gen)) {
        close(f->fd);
        f->fd = -1;
    }
    if (f->fd < 0) {
        f->fd = open(c->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (f->fd < 0) {
            file_error(f, "failed to open the file", errno);
            return;
        }
        f->gen = gen;
    }

    struct timeval tv;
    gettimeofday(&tv, NULL);
    sl_hbuf_t b;
    sl_hbuf_init(&b, req->arena, 4096);
    sl_log_record(&b, req, sl_snapshot_plugin_state(req->slot->snap, &sl_plugin_file_log),
                  sl_now_ns(), (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    sl_hbuf_lit(&b, "\n");
    /* one write per line: with O_APPEND a line lands whole, never between another's bytes */
    ssize_t n;
    do {
        n = write(f->fd, b.p, b.len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        file_error(f, "failed to write to", errno);
    if (c->reopen) {
        close(f->fd);
        f->fd = -1;
    }
}

const sl_plugin_desc_t sl_plugin_file_log = {
    .name = "file-log",
    .priority = 9,
    .version = SLUICE_VERSION,
    .parse = parse,
    .configure = configure,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .log = on_log,
};
