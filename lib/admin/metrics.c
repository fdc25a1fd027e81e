/* GET /metrics: node figures, the workers' per-request series, and per-worker figures (see
 * metrics.h). Families come in the order of their names, as Kong's exporter sorts them. */
#include "admin/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "metrics/prom.h"
#include "metrics/scrape.h"
#include "plugin/plugin.h"
#include "snapshot/snapshot.h"

typedef struct conn_figures {
    uint64_t accepted, handled, active, requests, reading, writing, waiting;
} conn_figures_t;

static conn_figures_t worker_figures(const sl_worker_t *w)
{
    const sl_worker_stats_t *st = &w->stats;
    conn_figures_t f = {
        .accepted = SL_STAT_GET(st->accepted),
        .handled = SL_STAT_GET(st->handled),
        .active = SL_STAT_GET(st->active),
        .requests = SL_STAT_GET(st->requests),
        .writing = SL_STAT_GET(st->inflight),
        .waiting = SL_STAT_GET(st->idle),
    };
    /* the counters are read one after the other while the worker moves them */
    if (f.writing + f.waiting > f.active)
        f.active = f.writing + f.waiting;
    f.reading = f.active - f.writing - f.waiting;
    return f;
}

static void node_labels(sl_hbuf_t *out, const char *name, const sl_admin_t *a)
{
    sl_hbuf_str(out, name);
    sl_hbuf_lit(out, "{");
    sl_prom_label(out, "node_id", a->node_id, true);
    sl_prom_label(out, "subsystem", "http", false);
}

static void connections(const sl_admin_t *a, sl_hbuf_t *out)
{
    conn_figures_t t = {0};
    for (int i = 0; i < a->n_workers; i++) {
        conn_figures_t f = worker_figures(&a->workers[i]);
        t.accepted += f.accepted;
        t.handled += f.handled;
        t.active += f.active;
        t.requests += f.requests;
        t.reading += f.reading;
        t.writing += f.writing;
        t.waiting += f.waiting;
    }
    /* Kong sets these states from kong.nginx.get_statistics(); "total" is total_requests */
    const struct {
        const char *state;
        uint64_t v;
    } states[] = {
        {"accepted", t.accepted}, {"active", t.active},  {"handled", t.handled},
        {"reading", t.reading},   {"total", t.requests}, {"waiting", t.waiting},
        {"writing", t.writing},
    };
    sl_prom_family(out, "kong_nginx_connections_total", "Number of connections by subsystem",
                   "gauge");
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        node_labels(out, "kong_nginx_connections_total", a);
        sl_prom_label(out, "state", states[i].state, false);
        sl_hbuf_lit(out, "} ");
        sl_hbuf_u64(out, states[i].v);
        sl_hbuf_lit(out, "\n");
    }
}

static void requests_total(const sl_admin_t *a, sl_hbuf_t *out)
{
    uint64_t n = 0;
    for (int i = 0; i < a->n_workers; i++)
        n += SL_STAT_GET(a->workers[i].stats.requests);
    sl_prom_family(out, "kong_nginx_requests_total", "Number of requests total", "gauge");
    node_labels(out, "kong_nginx_requests_total", a);
    sl_hbuf_lit(out, "} ");
    sl_hbuf_u64(out, n);
    sl_hbuf_lit(out, "\n");
}

typedef struct health_row {
    const char *labels;
    int value;
} health_row_t;

static int health_cmp(const void *x, const void *y)
{
    return strcmp(((const health_row_t *)x)->labels, ((const health_row_t *)y)->labels);
}

/* Kong's set_healthiness_metrics: one series per state, 1 for the target's state. sluice has
 * no health checker (configs that enable one are refused), so every target is
 * healthchecks_off; addresses are not resolved at the master, so a hostname target shows
 * its name, as GET /upstreams/{u}/health does. */
static void target_health(const sl_config_t *cfg, sl_hbuf_t *out, sl_arena_t *arena)
{
    static const char *const states[] = {"healthchecks_off", "healthy", "unhealthy", "dns_error"};
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_upstreams; i++)
        n += cfg->upstreams[i]->n_targets * 4;
    if (n == 0)
        return;
    health_row_t *rows = sl_xcalloc(n, sizeof(*rows));
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_upstreams; i++) {
        const sl_upstream_t *u = cfg->upstreams[i];
        for (size_t j = 0; j < u->n_targets; j++) {
            const sl_target_t *t = u->targets[j];
            char *address = sl_arena_printf(arena, "%s:%u", t->host, (unsigned)t->port);
            for (size_t s = 0; s < 4; s++) {
                sl_hbuf_t b;
                sl_hbuf_init(&b, arena, 128);
                sl_prom_label(&b, "upstream", u->name, true);
                sl_prom_label(&b, "target", t->target, false);
                sl_prom_label(&b, "address", address, false);
                sl_prom_label(&b, "state", states[s], false);
                sl_prom_label(&b, "subsystem", "http", false);
                sl_hbuf_append(&b, "", 1);
                rows[k].labels = b.p;
                rows[k++].value = s == 0;
            }
        }
    }
    qsort(rows, n, sizeof(*rows), health_cmp);
    sl_prom_family(out, "kong_upstream_target_health",
                   "Health status of targets of upstream. States = "
                   "healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is "
                   "populated.",
                   "gauge");
    for (size_t i = 0; i < n; i++) {
        sl_hbuf_lit(out, "kong_upstream_target_health{");
        sl_hbuf_str(out, rows[i].labels);
        sl_hbuf_printf(out, "} %d\n", rows[i].value);
    }
    free(rows);
}

static void worker_line(sl_hbuf_t *out, const char *name, int worker, const char *state, uint64_t v)
{
    sl_hbuf_str(out, name);
    sl_hbuf_printf(out, "{worker=\"%d\"", worker);
    if (state)
        sl_prom_label(out, "state", state, false);
    sl_hbuf_lit(out, "} ");
    sl_hbuf_u64(out, v);
    sl_hbuf_lit(out, "\n");
}

/* sluice's own figures, per worker: where Kong's node totals hide an unbalanced worker */
static void per_worker(const sl_admin_t *a, sl_hbuf_t *out)
{
    sl_prom_family(out, "sluice_worker_connections", "Client connections of each worker by state",
                   "gauge");
    for (int i = 0; i < a->n_workers; i++) {
        conn_figures_t f = worker_figures(&a->workers[i]);
        worker_line(out, "sluice_worker_connections", i, "active", f.active);
        worker_line(out, "sluice_worker_connections", i, "reading", f.reading);
        worker_line(out, "sluice_worker_connections", i, "waiting", f.waiting);
        worker_line(out, "sluice_worker_connections", i, "writing", f.writing);
    }
    sl_prom_family(out, "sluice_worker_connections_accepted_total",
                   "Client connections each worker has accepted", "counter");
    for (int i = 0; i < a->n_workers; i++)
        worker_line(out, "sluice_worker_connections_accepted_total", i, NULL,
                    SL_STAT_GET(a->workers[i].stats.accepted));
    sl_prom_family(out, "sluice_worker_metric_series",
                   "Series in each worker's metric store (prometheus plugin)", "gauge");
    for (int i = 0; i < a->n_workers; i++) {
        const sl_metrics_t *m = a->workers[i].metrics;
        worker_line(out, "sluice_worker_metric_series", i, NULL,
                    m ? SL_STAT_GET(((sl_metrics_t *)m)->n_series) : 0);
    }
    sl_prom_family(out, "sluice_worker_requests_total", "Requests each worker has read", "counter");
    for (int i = 0; i < a->n_workers; i++)
        worker_line(out, "sluice_worker_requests_total", i, NULL,
                    SL_STAT_GET(a->workers[i].stats.requests));
}

void sl_admin_metrics(const sl_admin_t *a, const sl_snapshot_t *snap, sl_hbuf_t *out,
                      sl_arena_t *arena)
{
    sl_metrics_t **stores = sl_xcalloc(a->n_workers ? (size_t)a->n_workers : 1, sizeof(*stores));
    for (int i = 0; i < a->n_workers; i++)
        stores[i] = a->workers[i].metrics;
    sl_metrics_view_t v;
    sl_metrics_gather(&v, stores, (size_t)a->n_workers, arena);
    free(stores);

    const sl_plugin_desc_t *prom = sl_plugin_find("prometheus");
    const sl_metrics_exports_t *exports = prom ? sl_snapshot_plugin_state(snap, prom) : NULL;

    sl_metrics_render_bandwidth(&v, out);
    sl_prom_family(out, "kong_datastore_reachable",
                   "Datastore reachable from Kong, 0 is unreachable", "gauge");
    sl_hbuf_lit(out, "kong_datastore_reachable 1\n"); /* DB-less: the config is in memory */
    sl_metrics_render_status(&v, out);
    sl_metrics_render_hist(&v, SL_MHIST_KONG, out);
    connections(a, out);
    sl_prom_family(out, "kong_nginx_metric_errors_total", "Number of nginx-lua-prometheus errors",
                   "counter");
    sl_hbuf_lit(out, "kong_nginx_metric_errors_total ");
    sl_hbuf_u64(out, v.errors);
    sl_hbuf_lit(out, "\n");
    requests_total(a, out);
    sl_prom_family(out, "kong_node_info", "Kong Node metadata information", "gauge");
    sl_hbuf_lit(out, "kong_node_info{");
    sl_prom_label(out, "node_id", a->node_id, true);
    sl_prom_label(out, "version", SLUICE_VERSION, false);
    sl_hbuf_lit(out, "} 1\n");
    sl_metrics_render_hist(&v, SL_MHIST_REQUEST, out);
    sl_metrics_render_hist(&v, SL_MHIST_UPSTREAM, out);
    if (exports && exports->upstream_health)
        target_health(snap->cfg, out, arena);
    per_worker(a, out);
    sl_metrics_view_free(&v);
}
