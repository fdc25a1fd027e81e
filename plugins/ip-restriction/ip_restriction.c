/*
 * ip-restriction (Kong's plugin, priority 990): refuses requests by client address with
 * allow and deny lists of addresses and CIDR ranges, IPv4 and IPv6
 * (kong/plugins/ip-restriction/handler.lua and schema.lua, Kong 3.4+).
 *
 * The address is the client's after the node's trusted proxies (sl_req_client_ip, nginx's
 * $remote_addr). Deny is checked first: an address in both lists is refused. A non-empty
 * allow list refuses everything not in it. A refusal is kong.response.error: <status>
 * (default 403) and <message> (default "IP address not allowed: <address>") in the format
 * the client accepts.
 */
#include <stdio.h>
#include <string.h>

#include "config/node.h"
#include "core/cidr.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"

typedef struct conf {
    sl_cidr_t *allow, *deny; /* in the snapshot arena */
    size_t n_allow, n_deny;
    int status;              /* 0: Kong's default, 403 */
    const char *message;     /* NULL: Kong's default, naming the address */
} conf_t;

/* An array of ip_or_cidr strings into <*out>; false after reporting a problem. */
static bool parse_list(const sl_node_t *v, sl_arena_t *a, sl_diag_t *diag, sl_cidr_t **out,
                       size_t *n)
{
    if (v->kind != SL_NODE_SEQ) {
        sl_diag_add_node(diag, v, "expected an array");
        return false;
    }
    sl_cidr_t *list = sl_arena_calloc(a, v->n ? v->n : 1, sizeof(*list));
    bool ok = true;
    for (size_t i = 0; i < v->n; i++) {
        const sl_node_t *it = v->items[i];
        const char *s = sl_node_str(it);
        if (s == NULL || it->kind != SL_NODE_SCALAR) {
            sl_diag_add_node(diag, it, "expected a string");
            ok = false;
        } else if (sl_cidr_parse(s, it->len, &list[i]) != 0) {
            /* typedefs.ip_or_cidr's message */
            sl_diag_add_node(diag, it, "invalid ip or cidr range: '%.100s'", s);
            ok = false;
        }
    }
    *out = list;
    *n = v->n;
    return ok;
}

/* The config fields in the order of ip-restriction/schema.lua, for suggestions. */
static const char *const fields[] = {
    "allow", "deny", "status", "message", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (strcmp(key, "allow") == 0) {
            if (!sl_node_is_null(v))
                parse_list(v, arena, diag, &c->allow, &c->n_allow);
        } else if (strcmp(key, "deny") == 0) {
            if (!sl_node_is_null(v))
                parse_list(v, arena, diag, &c->deny, &c->n_deny);
        } else if (strcmp(key, "status") == 0) {
            int64_t n;
            if (sl_node_is_null(v))
                continue;
            /* kong.response.error takes 400..599 only; Kong finds out per request */
            if (sl_pconf_int(diag, v, 400, 599, &n))
                c->status = (int)n;
        } else if (strcmp(key, "message") == 0) {
            if (sl_node_is_null(v))
                continue;
            const char *s = sl_pconf_string(diag, arena, v);
            c->message = s ? s : c->message;
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    /* schema.lua: at_least_one_of (an empty array counts as absent) */
    if (c->n_allow == 0 && c->n_deny == 0 && diag->n + diag->dropped == errors)
        sl_diag_add_node(diag, config,
                         "at least one of these fields must be non-empty: 'config.allow', "
                         "'config.deny'");
    return diag->n + diag->dropped == errors ? c : NULL;
}

static sl_phase_result_t refuse(sl_req_t *req, const conf_t *c, const char *ip)
{
    const char *m = c->message;
    if (m == NULL)
        m = sl_arena_printf(req->arena, "IP address not allowed: %s", ip);
    sl_pdk_error(req, c->status ? c->status : 403, m);
    return SL_RESPONDED;
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    const sl_ip_t *addr = sl_req_client_addr(req);
    if (addr->family == 0) {
        sl_pdk_error(req, 403, "Cannot identify the client IP address, unix domain sockets "
                               "are not supported.");
        return SL_RESPONDED;
    }
    if (c->n_deny && sl_cidr_list_match(c->deny, c->n_deny, addr))
        return refuse(req, c, sl_req_client_ip(req));
    if (c->n_allow && !sl_cidr_list_match(c->allow, c->n_allow, addr))
        return refuse(req, c, sl_req_client_ip(req));
    return SL_CONTINUE;
}

const sl_plugin_desc_t sl_plugin_ip_restriction = {
    .name = "ip-restriction",
    .priority = 990,
    .version = SLUICE_VERSION,
    .parse = parse,
    .access = on_access,
};
