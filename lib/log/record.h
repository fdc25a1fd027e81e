/*
 * The log record: Kong's kong.log.serialize() for an HTTP request, the JSON object the
 * logging plugins (file-log, http-log) write or send for each request (kong-compat.md 4.16):
 *
 *   request {id, uri, url, querystring, method, headers, size}, upstream_uri,
 *   upstream_status, response {status, headers, size}, latencies {kong, proxy, request,
 *   receive}, tries, authenticated_entity, route, service, consumer, client_ip, started_at,
 *   source, workspace, workspace_name
 *
 * The record is compact JSON built in the request arena; the entity copies (route, service,
 * consumer) are rendered once per snapshot (sl_log_entities_build, from a plugin's
 * configure) the way the Admin API shows them, and only spliced in per request.
 *
 * Untrusted input (header names and values, the query string) goes through here: every
 * byte is escaped so that the output is always one valid JSON object on one line
 * (test/fuzz/fuzz_log_record.c checks that).
 *
 * Thread: sl_log_entities_build on the compiling thread; sl_log_record on the request's
 * worker.
 */
#ifndef SL_LOG_RECORD_H
#define SL_LOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "core/arena.h"
#include "http/headers.h"

typedef struct sl_req sl_req_t;

/* At most this many query arguments and headers are shown (Kong's get_query and
 * get_headers default max_args / max_headers). */
#define SL_LOG_MAX_ARGS 100
#define SL_LOG_MAX_HEADERS 100

/* Route, service and consumer JSON of one config, rendered once (compact, in the snapshot
 * arena), and the default workspace's id. */
typedef struct sl_log_entities sl_log_entities_t;

/* Renders the entities of <cfg> into <arena> (rt_index of routes and services must be set).
 * Returns the table (arena-owned). */
sl_log_entities_t *sl_log_entities_build(const sl_config_t *cfg, sl_arena_t *arena);

/* Appends the record of <req> (after its response, or when the client went away) to <out>,
 * one JSON object without a newline. <ents> may be NULL: route, service and consumer are
 * then left out. <now_ns> is the current sl_now_ns(); <now_ms> the wall clock in
 * milliseconds since the epoch (started_at is derived from both). */
void sl_log_record(sl_hbuf_t *out, sl_req_t *req, const sl_log_entities_t *ents,
                   uint64_t now_ns, int64_t now_ms);

/* Appends <len> bytes of <s> as a JSON string (quoted; control characters, quotes and
 * backslashes escaped; bytes that are not valid UTF-8 written as \u00XX). */
void sl_log_json_str(sl_hbuf_t *out, const char *s, size_t len);

#endif
