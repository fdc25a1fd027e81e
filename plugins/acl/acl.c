/*
 * acl (Kong's plugin, priority 950): after authentication, the consumer's ACL groups decide:
 * with `allow` it must be in one of them, with `deny` in none; the upstream learns the groups
 * in X-Consumer-Groups (kong/plugins/acl/handler.lua, schema.lua, groups.lua).
 *
 * configure builds a per-snapshot index consumer id -> groups (file order) with the header
 * value joined once. Groups authenticated by an external identity provider
 * (kong.ctx.shared.authenticated_groups, X-Authenticated-Groups) come from plugins sluice
 * does not have, so always_use_authenticated_groups changes nothing here;
 * include_consumer_groups (consumer groups are a Kong Enterprise entity) is refused.
 */
#include <string.h>

#include "config/model.h"
#include "config/node.h"
#include "plugin/conf.h"
#include "plugin/cred.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"
#include "snapshot/snapshot.h"

typedef struct conf {
    const char **groups;  /* allow or deny list */
    size_t n_groups;
    bool deny;            /* the list is `deny` */
    bool hide_groups_header;
} conf_t;

typedef struct groups {
    const char **v;       /* the consumer's groups, file order */
    size_t n;
    const char *joined;   /* "g1, g2" */
    size_t len;           /* of joined (while building: the room it needs) */
} groups_t;

typedef struct state {
    sl_cred_index_t by_consumer; /* consumer id -> groups_t */
} state_t;

extern const sl_plugin_desc_t sl_plugin_acl;

static const sl_node_t *parse_list(conf_t *c, const sl_node_t *v, sl_arena_t *a,
                                   sl_diag_t *diag)
{
    if (v->kind != SL_NODE_SEQ) {
        sl_diag_add_node(diag, v, "expected an array");
        return NULL;
    }
    if (v->n == 0)
        return NULL; /* empty counts as not given (Kong's is_nonempty) */
    c->groups = sl_arena_calloc(a, v->n, sizeof(*c->groups));
    c->n_groups = 0;
    for (size_t i = 0; i < v->n; i++) {
        const char *s = sl_pconf_string(diag, a, v->items[i]);
        if (s != NULL)
            c->groups[c->n_groups++] = s;
    }
    return v;
}

/* The config fields in the order of acl/schema.lua, for suggestions. */
static const char *const fields[] = {
    "allow", "deny", "hide_groups_header", "always_use_authenticated_groups",
    "include_consumer_groups", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    size_t errors = diag->n + diag->dropped;
    const sl_node_t *allow = NULL, *deny = NULL;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue; /* an explicit null keeps the default */
        bool b = false;
        if (strcmp(key, "allow") == 0) {
            conf_t tmp = {0};
            if ((allow = parse_list(&tmp, v, arena, diag)) != NULL && !deny) {
                c->groups = tmp.groups;
                c->n_groups = tmp.n_groups;
            }
        } else if (strcmp(key, "deny") == 0) {
            conf_t tmp = {0};
            if ((deny = parse_list(&tmp, v, arena, diag)) != NULL) {
                c->groups = tmp.groups;
                c->n_groups = tmp.n_groups;
                c->deny = true;
            }
        } else if (strcmp(key, "hide_groups_header") == 0) {
            sl_pconf_bool(diag, v, &c->hide_groups_header);
        } else if (strcmp(key, "always_use_authenticated_groups") == 0) {
            sl_pconf_bool(diag, v, &b);
        } else if (strcmp(key, "include_consumer_groups") == 0) {
            if (sl_pconf_bool(diag, v, &b) && b)
                sl_diag_add_node(diag, v,
                                 "include_consumer_groups is not supported by sluice (consumer "
                                 "groups are not loaded)");
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    /* schema.lua entity_checks */
    if (allow && deny)
        sl_diag_add_node(diag, deny, "only one of these fields must be non-empty: 'config.allow', "
                                     "'config.deny'");
    else if (!allow && !deny && diag->n + diag->dropped == errors)
        sl_diag_add_node(diag, config,
                         "at least one of these fields must be non-empty: 'config.allow', "
                         "'config.deny'");
    return diag->n + diag->dropped == errors ? c : NULL;
}

static void *configure(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    (void)diag;
    state_t *st = sl_arena_calloc(arena, 1, sizeof(*st));
    sl_cred_index_init(&st->by_consumer, cfg->n_consumers, arena);
    /* two passes over the ACLs: count and size per consumer, then fill in file order */
    for (size_t j = 0; j < cfg->n_acls; j++) {
        const sl_acl_t *a = cfg->acls[j];
        if (a->consumer == NULL || a->group == NULL)
            continue;
        const char *id = a->consumer->id;
        groups_t *g = (groups_t *)sl_cred_index_get(&st->by_consumer, id, strlen(id));
        if (g == NULL) {
            g = sl_arena_calloc(arena, 1, sizeof(*g));
            sl_cred_index_put(&st->by_consumer, id, strlen(id), g);
        }
        g->n++;
        g->len += strlen(a->group) + 2;
    }
    for (size_t j = 0; j < cfg->n_acls; j++) {
        const sl_acl_t *a = cfg->acls[j];
        if (a->consumer == NULL || a->group == NULL)
            continue;
        const char *id = a->consumer->id;
        groups_t *g = (groups_t *)sl_cred_index_get(&st->by_consumer, id, strlen(id));
        if (g->v == NULL) {
            g->v = sl_arena_calloc(arena, g->n, sizeof(*g->v));
            g->joined = sl_arena_alloc(arena, g->len + 1);
            g->n = 0;
            g->len = 0;
        }
        char *joined = (char *)g->joined;
        size_t o = g->len, gl = strlen(a->group);
        if (g->n) {
            memcpy(joined + o, ", ", 2);
            o += 2;
        }
        memcpy(joined + o, a->group, gl + 1);
        g->len = o + gl;
        g->v[g->n++] = a->group;
    }
    return st;
}

static bool in_groups(const conf_t *c, const groups_t *g)
{
    for (size_t i = 0; i < c->n_groups; i++)
        for (size_t j = 0; j < g->n; j++)
            if (strcmp(c->groups[i], g->v[j]) == 0)
                return true;
    return false;
}

static sl_phase_result_t refuse(sl_req_t *req)
{
    /* with a credential the caller is known but not allowed; without one, not identified */
    if (req->credential_id)
        sl_pdk_error(req, 403, "You cannot consume this service");
    else
        sl_pdk_error(req, 401, "Unauthorized");
    return SL_RESPONDED;
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    const sl_consumer_t *co = req->consumer;
    if (co == NULL)
        return refuse(req);
    const state_t *st = sl_snapshot_plugin_state(req->slot->snap, &sl_plugin_acl);
    const groups_t *g = sl_cred_index_get(&st->by_consumer, co->id, strlen(co->id));
    static const groups_t none = {NULL, 0, "", 0};
    if (g == NULL) {
        if (!c->deny)
            return refuse(req);
        g = &none;
    }
    bool blocked = c->deny ? in_groups(c, g) : !in_groups(c, g);
    if (blocked) {
        sl_pdk_error(req, 403, "You cannot consume this service");
        return SL_RESPONDED;
    }
    if (!c->hide_groups_header) {
        /* an empty value (no groups, deny mode) clears the header, as ngx set_header does */
        if (g->n)
            sl_pdk_set_upstream_header(req, "X-Consumer-Groups", sl_slice(g->joined, g->len));
        else
            sl_pdk_clear_upstream_header(req, "X-Consumer-Groups");
    }
    return SL_CONTINUE;
}

const sl_plugin_desc_t sl_plugin_acl = {
    .name = "acl",
    .priority = 950,
    .version = SLUICE_VERSION,
    .no_consumer = true,
    .parse = parse,
    .configure = configure,
    .access = on_access,
};
