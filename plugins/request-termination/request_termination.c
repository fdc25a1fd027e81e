/*
 * request-termination (Kong's plugin, priority 2): answers every request of its scope with a
 * fixed status and message or body, optionally only when a trigger header or query argument
 * is present (kong/plugins/request-termination/handler.lua and schema.lua).
 */
#include <string.h>

#include "config/node.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"

typedef struct conf {
    int status_code;         /* 100..599, default 503 */
    const char *message;     /* NULL: the default for the status, if it has one */
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *trigger;     /* header or query argument name; NULL: always */
} conf_t;

/* Kong's default messages (handler.lua DEFAULT_RESPONSE). */
static const char *default_message(int status)
{
    switch (status) {
    case 401: return "Unauthorized";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 500: return "An unexpected error occurred";
    case 502: return "Bad Gateway";
    case 503: return "Service unavailable";
    default: return NULL;
    }
}

/* The config fields in the order of request-termination/schema.lua, for suggestions. */
static const char *const fields[] = {
    "status_code", "message", "content_type", "body", "echo", "trigger", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    c->status_code = 503;
    size_t errors = diag->n + diag->dropped;
    const sl_node_t *message = NULL, *content_type = NULL, *body = NULL;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue; /* an explicit null keeps the default */
        if (strcmp(key, "status_code") == 0) {
            int64_t n;
            if (sl_pconf_int(diag, v, 100, 599, &n))
                c->status_code = (int)n;
        } else if (strcmp(key, "message") == 0) {
            c->message = sl_pconf_string(diag, arena, v);
            message = v;
        } else if (strcmp(key, "content_type") == 0) {
            c->content_type = sl_pconf_string(diag, arena, v);
            content_type = v;
        } else if (strcmp(key, "body") == 0) {
            c->body = sl_pconf_string(diag, arena, v);
            c->body_len = c->body ? v->len : 0;
            body = v;
        } else if (strcmp(key, "trigger") == 0) {
            c->trigger = sl_pconf_string(diag, arena, v);
        } else if (strcmp(key, "echo") == 0) {
            bool echo;
            if (sl_pconf_bool(diag, v, &echo) && echo)
                sl_diag_add_node(diag, v, "echo is not supported by sluice yet");
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    /* schema.lua entity checks */
    if (message && (body || content_type))
        sl_diag_add_node(diag, message, "message cannot be used with content_type or body");
    if (content_type && !body)
        sl_diag_add_node(diag, content_type, "content_type requires a body");
    return diag->n + diag->dropped == errors ? c : NULL;
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    if (c->trigger && sl_req_header(req, c->trigger).p == NULL &&
        !sl_req_query_arg(req, c->trigger, NULL))
        return SL_CONTINUE;
    if (c->body) {
        sl_pdk_exit(req, c->status_code,
                    c->content_type ? c->content_type : "application/json; charset=utf-8",
                    c->body, c->body_len);
        return SL_RESPONDED;
    }
    const char *m = c->message ? c->message : default_message(c->status_code);
    if (m)
        sl_pdk_exit_message(req, c->status_code, m);
    else
        sl_pdk_exit(req, c->status_code, NULL, "", 0);
    return SL_RESPONDED;
}

const sl_plugin_desc_t sl_plugin_request_termination = {
    .name = "request-termination",
    .priority = 2,
    .version = SLUICE_VERSION,
    .parse = parse,
    .access = on_access,
};
