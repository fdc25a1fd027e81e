/*
 * request-size-limiting (Kong's plugin, priority 951): refuses requests whose body is larger
 * than allowed_payload_size (kong/plugins/request-size-limiting/handler.lua). A numeric
 * Content-Length is checked before anything is read; a chunked body is counted as it streams
 * to the upstream (never buffered) and ends the request with the same answer when it goes past
 * the limit (lib/http/conn.c, req->body_limit). With Expect: 100-continue the answer is 417.
 */
#include <string.h>

#include "config/node.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"

typedef struct conf {
    uint64_t limit;              /* bytes */
    bool require_content_length;
} conf_t;

/* The config fields in the order of request-size-limiting/schema.lua, for suggestions. */
static const char *const fields[] = {
    "allowed_payload_size", "size_unit", "require_content_length", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    size_t errors = diag->n + diag->dropped;
    int64_t size = 128;
    uint64_t unit = 1048576; /* megabytes: binary, 2^20 */
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue;
        if (strcmp(key, "allowed_payload_size") == 0) {
            if (sl_node_int(v, &size) != 0)
                sl_diag_add_node(diag, v, "expected an integer");
            else if (size < 0 || size > (int64_t)1 << 40)
                sl_diag_add_node(diag, v, "value out of range");
        } else if (strcmp(key, "size_unit") == 0) {
            static const char *const units[] = {"megabytes", "kilobytes", "bytes", NULL};
            static const uint64_t unit_bytes[] = {1048576, 1024, 1};
            int u = sl_pconf_one_of(diag, v, units);
            if (u >= 0)
                unit = unit_bytes[u];
        } else if (strcmp(key, "require_content_length") == 0) {
            sl_pconf_bool(diag, v, &c->require_content_length);
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    c->limit = (uint64_t)size * unit;
    return diag->n + diag->dropped == errors ? c : NULL;
}

static sl_phase_result_t too_large(sl_req_t *req)
{
    sl_pdk_exit_message(req, req->expect_continue ? 417 : 413, "Request size limit exceeded");
    return SL_RESPONDED;
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    if (!req->chunked && sl_req_header(req, "content-length").p) {
        /* the parser has checked Content-Length: it is a number */
        return req->content_length > c->limit ? too_large(req) : SL_CONTINUE;
    }
    if (req->chunked) {
        /* counted as it arrives: the first byte past the limit ends the request */
        if (!req->body_limited || c->limit < req->body_limit)
            req->body_limit = c->limit;
        req->body_limited = true;
        return SL_CONTINUE;
    }
    if (c->require_content_length) {
        sl_pdk_exit_message(req, 411, "A valid Content-Length header is required");
        return SL_RESPONDED;
    }
    return SL_CONTINUE;
}

const sl_plugin_desc_t sl_plugin_request_size_limiting = {
    .name = "request-size-limiting",
    .priority = 951,
    .version = SLUICE_VERSION,
    .parse = parse,
    .access = on_access,
};
