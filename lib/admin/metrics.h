/*
 * GET /metrics on the admin API: the node's figures in Prometheus text format, with Kong's
 * metric names and labels (kong/plugins/prometheus/exporter.lua, kong-compat.md 4.15), then
 * sluice's own per-worker figures under the sluice_ prefix.
 *
 * Always present, as in Kong whether or not a prometheus plugin is configured:
 * kong_datastore_reachable (1: DB-less has nothing to reach), kong_nginx_connections_total,
 * kong_nginx_requests_total, kong_nginx_metric_errors_total, kong_node_info. The per-request
 * families appear once a prometheus plugin has recorded something (metrics/scrape.h);
 * kong_upstream_target_health while an enabled instance has upstream_health_metrics.
 *
 * Thread: the master (admin listener); it reads the workers' counters and stores while they
 * run.
 */
#ifndef SL_ADMIN_METRICS_H
#define SL_ADMIN_METRICS_H

#include "admin/admin.h"
#include "http/headers.h"
#include "snapshot/snapshot.h"

/* Appends the scrape of the node <a>, which runs <snap>, to <out> (in <arena>). */
void sl_admin_metrics(const sl_admin_t *a, const sl_snapshot_t *snap, sl_hbuf_t *out,
                      sl_arena_t *arena);

#endif
