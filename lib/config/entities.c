/*
 * Document walk. Kong's declarative schema (kong/db/schema/others/declarative_config.lua)
 * has one array per entity table at the top level, and inside every parent a nested array
 * per child table whose foreign key points at it; a nested record cannot set any foreign key
 * itself (its foreign fields get `eq = null`). Top-level keys are checked in document order.
 */
#include "config/entities.h"

#include <string.h>

#include "config/ent_consumer.h"
#include "config/ent_plugin.h"
#include "config/ent_route.h"
#include "config/ent_service.h"
#include "config/ent_tls.h"
#include "config/ent_upstream.h"
#include "config/schema.h"
#include "config/suggest.h"

/* Keys of Kong 3.x declarative files that sluice does not implement: refused by name so
 * that nothing is silently ignored. */
static const char *const unsupported_top[] = {
    "hmacauth_credentials", "oauth2_credentials", "vaults", "workspaces", "key_sets", "keys",
    "parameters", "filter_chains", "_workspace", NULL,
};

static const struct {
    const char *key;
    sl_ent_kind_t kind;
} top_entities[] = {
    {"services", SL_ENT_SERVICE},
    {"routes", SL_ENT_ROUTE},
    {"upstreams", SL_ENT_UPSTREAM},
    {"targets", SL_ENT_TARGET},
    {"consumers", SL_ENT_CONSUMER},
    {"plugins", SL_ENT_PLUGIN},
    {"certificates", SL_ENT_CERTIFICATE},
    {"snis", SL_ENT_SNI},
    {"ca_certificates", SL_ENT_CA_CERTIFICATE},
    {"keyauth_credentials", SL_ENT_KEYAUTH},
    {"basicauth_credentials", SL_ENT_BASICAUTH},
    {"jwt_secrets", SL_ENT_JWT},
    {"acls", SL_ENT_ACL},
};

void sl_entities_set_id(sl_ent_t *e, char *id)
{
    e->id = id;
    const sl_node_t *n = sl_node_map_get(e->node, "id");
    if (!sl_node_is_null(n) && id[0] != '\0')
        e->id_node = n;
}

void sl_entities_unsupported(sl_loader_t *ld, const sl_ent_t *e, const char *key)
{
    const sl_node_pair_t *p = sl_node_map_find(e->node, key);
    if (p != NULL && !sl_node_is_null(p->value))
        sl_loader_err(ld, p->key, "'%s' is not supported by sluice", key);
}

void sl_entities_fk(sl_loader_t *ld, sl_ent_t *e, const char *field, int slot, bool required)
{
    const sl_node_t *v = sl_node_map_get(e->node, field);
    if (e->parent != NULL) {
        if (!sl_node_is_null(v))
            sl_loader_err(ld, v, "value must be null");
        return;
    }
    if (sl_node_is_null(v)) {
        if (required)
            sl_loader_missing(ld, e->node, field);
        return;
    }
    if (sl_node_str(v) == NULL) {
        sl_loader_err(ld, v, "expected a string");
        return;
    }
    if (v->len == 0) {
        sl_loader_err(ld, v, "length must be at least 1");
        return;
    }
    e->fk[slot] = v;
}

sl_ent_t *sl_entities_build(sl_loader_t *ld, sl_ent_kind_t kind, const sl_node_t *node,
                            sl_ent_t *parent)
{
    sl_ent_t *e = sl_arena_calloc(&ld->tmp, 1, sizeof(*e));
    e->kind = kind;
    e->node = node;
    e->parent = parent;
    sl_loader_push(ld, &ld->ents[kind], e);
    if (node == NULL || node->kind != SL_NODE_MAP) {
        sl_loader_err(ld, node, "expected a record");
        e->invalid = true;
        return e;
    }
    switch (kind) {
    case SL_ENT_SERVICE:
        sl_ent_service_build(ld, e);
        break;
    case SL_ENT_ROUTE:
        sl_ent_route_build(ld, e);
        break;
    case SL_ENT_UPSTREAM:
        sl_ent_upstream_build(ld, e);
        break;
    case SL_ENT_TARGET:
        sl_ent_upstream_build_target(ld, e);
        break;
    case SL_ENT_CONSUMER:
        sl_ent_consumer_build(ld, e);
        break;
    case SL_ENT_KEYAUTH:
    case SL_ENT_BASICAUTH:
    case SL_ENT_JWT:
    case SL_ENT_ACL:
        sl_ent_consumer_build_credential(ld, e);
        break;
    case SL_ENT_PLUGIN:
        sl_ent_plugin_build(ld, e);
        break;
    case SL_ENT_CERTIFICATE:
        sl_ent_tls_build_certificate(ld, e);
        break;
    case SL_ENT_SNI:
        sl_ent_tls_build_sni(ld, e);
        break;
    case SL_ENT_CA_CERTIFICATE:
        sl_ent_tls_build_ca_certificate(ld, e);
        break;
    default:
        break;
    }
    return e;
}

void sl_entities_nested(sl_loader_t *ld, sl_ent_t *parent, const char *key, sl_ent_kind_t kind)
{
    const sl_node_t *v = sl_node_map_get(parent->node, key);
    if (sl_node_is_null(v))
        return;
    if (v->kind != SL_NODE_SEQ) {
        sl_loader_err(ld, v, "expected an array");
        return;
    }
    for (size_t i = 0; i < v->n; i++)
        sl_entities_build(ld, kind, v->items[i], parent);
}

static void walk_format(sl_loader_t *ld, const sl_node_t *root)
{
    static const char *const versions[] = {"1.1", "2.1", "3.0", NULL};
    ld->version = 30;
    const sl_node_t *v = sl_node_map_get(root, "_format_version");
    if (sl_node_is_null(v)) {
        sl_loader_missing(ld, root, "_format_version");
        return;
    }
    const char *s = sl_node_str(v);
    if (s == NULL) {
        sl_loader_err(ld, v, "expected a string");
        return;
    }
    for (size_t i = 0; versions[i] != NULL; i++) {
        if (strcmp(s, versions[i]) == 0) {
            ld->version = (s[0] - '0') * 10 + (s[2] - '0');
            memcpy(ld->cfg->format_version, s, 4);
            return;
        }
    }
    char buf[128];
    sl_loader_err(ld, v, "%s", sl_schema_one_of_msg(versions, buf, sizeof(buf)));
}

/* An unknown top-level key, with the nearest key of Kong's declarative schema (meta fields,
 * then the entity tables) as a suggestion. */
static void unknown_top(sl_loader_t *ld, const sl_node_t *k)
{
    static const char *const meta[] = {"_format_version", "_transform", "_comment", "_ignore",
                                       NULL};
    sl_suggest_t s;
    sl_suggest_init(&s, k->str ? k->str : "", k->len);
    sl_suggest_offer_all(&s, meta);
    for (size_t j = 0; j < sizeof(top_entities) / sizeof(top_entities[0]); j++)
        sl_suggest_offer(&s, top_entities[j].key);
    sl_suggest_offer_all(&s, unsupported_top);
    sl_diag_unknown_field(ld->diag, k, sl_suggest_best(&s));
}

void sl_entities_walk(sl_loader_t *ld, const sl_node_t *root)
{
    ld->version = 30;
    ld->transform = true;
    if (root == NULL) {
        sl_diag_add(ld->diag, 0, 0, "failed parsing declarative configuration: expected an "
                                    "object");
        return;
    }
    if (root->kind != SL_NODE_MAP) {
        sl_loader_err(ld, root, "failed parsing declarative configuration: expected an object");
        return;
    }
    walk_format(ld, root);
    const sl_node_t *t = sl_node_map_get(root, "_transform");
    if (!sl_node_is_null(t))
        sl_schema_bool(ld, t, &ld->transform);
    ld->cfg->transform = ld->transform;

    for (size_t i = 0; i < root->n; i++) {
        const sl_node_t *k = root->pairs[i].key, *v = root->pairs[i].value;
        const char *key = k->kind == SL_NODE_SCALAR ? k->str : "";
        if (strcmp(key, "_format_version") == 0 || strcmp(key, "_transform") == 0 ||
            strcmp(key, "_comment") == 0 || strcmp(key, "_ignore") == 0)
            continue;
        bool known = false;
        for (size_t j = 0; j < sizeof(top_entities) / sizeof(top_entities[0]); j++) {
            if (strcmp(key, top_entities[j].key) != 0)
                continue;
            known = true;
            if (sl_node_is_null(v))
                break;
            if (v->kind != SL_NODE_SEQ) {
                sl_loader_err(ld, v, "expected an array");
                break;
            }
            for (size_t e = 0; e < v->n; e++)
                sl_entities_build(ld, top_entities[j].kind, v->items[e], NULL);
            break;
        }
        for (size_t j = 0; !known && unsupported_top[j] != NULL; j++) {
            if (strcmp(key, unsupported_top[j]) == 0) {
                sl_loader_err(ld, k, "'%s' is not supported by sluice", key);
                known = true;
            }
        }
        if (!known)
            unknown_top(ld, k);
    }
}
