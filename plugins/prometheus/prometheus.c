/*
 * prometheus (Kong's plugin, priority 13): its log phase records the request in the worker's
 * metric store (metrics/store.h, the worker's `metrics` field), and GET /metrics on the admin
 * API sums the workers at scrape time (admin/metrics.h). As in Kong 3.x
 * (kong/plugins/prometheus/handler.lua, exporter.lua), only requests the plugin applies to are
 * recorded, only the groups its config enables, and only requests that matched a route:
 *
 *   status_code_metrics     kong_http_requests_total{service,route,code,source,workspace,consumer}
 *   latency_metrics         kong_kong_latency_ms, kong_upstream_latency_ms,
 *                           kong_request_latency_ms {service,route,workspace}
 *   bandwidth_metrics       kong_bandwidth_bytes{service,route,direction,workspace,consumer}
 *   upstream_health_metrics kong_upstream_target_health at scrape (per config, not per request)
 *   per_consumer            the consumer label holds the consumer's username (else "")
 *
 * The metric store is a field of sl_worker_t rather than this plugin's worker_init state: the
 * master reads every worker's store at scrape time, and a store the master allocates before
 * the worker thread starts (and frees after it ends) needs no hand-over between threads.
 */
#include <string.h>

#include "config/node.h"
#include "core/clock.h"
#include "metrics/scrape.h"
#include "metrics/store.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"

extern const sl_plugin_desc_t sl_plugin_prometheus;

typedef struct conf {
    bool per_consumer;
    bool status_code_metrics;
    bool latency_metrics;
    bool bandwidth_metrics;
    bool upstream_health_metrics;
} conf_t;

/* The config fields in the order of prometheus/schema.lua, for suggestions. */
static const char *const fields[] = {
    "per_consumer", "status_code_metrics", "ai_metrics", "latency_metrics", "bandwidth_metrics",
    "upstream_health_metrics", "wasm_metrics", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c)); /* every field defaults to false */
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue; /* an explicit null keeps the default */
        bool *field = NULL, refused = false;
        if (strcmp(key, "per_consumer") == 0)
            field = &c->per_consumer;
        else if (strcmp(key, "status_code_metrics") == 0)
            field = &c->status_code_metrics;
        else if (strcmp(key, "latency_metrics") == 0)
            field = &c->latency_metrics;
        else if (strcmp(key, "bandwidth_metrics") == 0)
            field = &c->bandwidth_metrics;
        else if (strcmp(key, "upstream_health_metrics") == 0)
            field = &c->upstream_health_metrics;
        else if (strcmp(key, "ai_metrics") == 0 || strcmp(key, "wasm_metrics") == 0)
            refused = true;
        else {
            sl_pconf_unknown(diag, k, fields);
            continue;
        }
        bool b;
        if (!sl_pconf_bool(diag, v, &b))
            continue;
        if (refused) {
            /* sluice proxies no AI provider and runs no Proxy-Wasm filter: there would be
             * nothing to count */
            if (b)
                sl_diag_add_node(diag, v, "%s is not supported by sluice (it has no %s)", key,
                                 key[0] == 'a' ? "AI plugins" : "Proxy-Wasm filters");
        } else {
            *field = b;
        }
    }
    return diag->n + diag->dropped == errors ? c : NULL;
}

/* Kong's configure(configs): upstream health is exported while some enabled instance asks
 * for it (exporter.set_export_upstream_health_metrics). */
static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    sl_metrics_exports_t *e = sl_arena_calloc(arena, 1, sizeof(*e));
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const sl_plugin_instance_t *p = cfg->plugins[i];
        if (p->enabled && p->desc == &sl_plugin_prometheus && p->conf &&
            ((const conf_t *)p->conf)->upstream_health_metrics)
            e->upstream_health = true;
    }
    return e;
}

static uint64_t ms(uint64_t ns)
{
    return ns / 1000000;
}

static void on_log(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    sl_metrics_t *m = req->w->metrics;
    if (m == NULL || req->route == NULL)
        return; /* Kong records nothing for a request no route matched */
    if (!c->status_code_metrics && !c->latency_metrics && !c->bandwidth_metrics)
        return;
    /* service label: name, else host; a route without a service counts with "" (Kong 3.6+) */
    const sl_service_t *svc = req->route->service; /* known from routing on, as in Kong */
    const char *service = svc ? (svc->name ? svc->name : svc->host) : "";
    const char *route = req->route->name ? req->route->name : req->route->id;
    const char *consumer = "";
    if (c->per_consumer && req->consumer && req->consumer->username)
        consumer = req->consumer->username;
    sl_mseries_t *s = sl_metrics_series(m, service, route, consumer);
    if (s == NULL)
        return; /* the store is full; counted in kong_nginx_metric_errors_total */

    if (c->status_code_metrics) {
        /* nginx logs 499 for a client that left before the response started */
        int code = req->response_started && req->status ? req->status : 499;
        sl_metrics_count_status(s, code, req->upstream_status != 0);
    }
    if (c->latency_metrics) {
        uint64_t total = sl_now_ns() - req->start_ns;
        uint64_t upstream = 0;
        bool proxied = req->upstream_send_ns && req->upstream_head_ns >= req->upstream_send_ns;
        if (proxied) {
            upstream = req->upstream_head_ns - req->upstream_send_ns;
            sl_metrics_observe(s, SL_MHIST_UPSTREAM, ms(upstream));
        }
        /* the gateway's share: up to the upstream request, and after the upstream head */
        sl_metrics_observe(s, SL_MHIST_KONG, ms(total - upstream));
        sl_metrics_observe(s, SL_MHIST_REQUEST, ms(total));
    }
    if (c->bandwidth_metrics)
        sl_metrics_bandwidth(s, req->head_in + req->body_received, req->bytes_out);
}

const sl_plugin_desc_t sl_plugin_prometheus = {
    .name = "prometheus",
    .priority = 13,
    .version = SLUICE_VERSION,
    .parse = parse,
    .configure = configure,
    .log = on_log,
};
