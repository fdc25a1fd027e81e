/*
 * Plugins. A plugin name sluice has no implementation for is an error at the name (Kong's
 * "not enabled" case, worded for sluice); a known one parses its `config` record with its
 * descriptor, which reports its own errors into the same diagnostics.
 */
#include "config/ent_plugin.h"

#include <stddef.h>
#include <string.h>

#include "config/check.h"
#include "config/entities.h"
#include "config/schema.h"

#define P(field) offsetof(sl_plugin_instance_t, field)

static const sl_field_t plugin_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = P(id)},
    {.name = "name", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = P(name)},
    {.name = "instance_name", .type = SL_FT_STRING, .off = P(instance_name),
     .check = sl_check_name},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "route", .type = SL_FT_CUSTOM},
    {.name = "service", .type = SL_FT_CUSTOM},
    {.name = "consumer", .type = SL_FT_CUSTOM},
    {.name = "config", .type = SL_FT_CUSTOM},
    {.name = "protocols", .type = SL_FT_CUSTOM},
    {.name = "enabled", .type = SL_FT_BOOL, .flags = SL_F_REQUIRED, .off = P(enabled),
     .def = "true"},
    {.name = "tags", .type = SL_FT_TAGS, .off = P(tags)},
    {.name = NULL},
};

/* typedefs.protocols: a set of protocol names, by default every HTTP-subsystem one. */
static unsigned build_protocols(sl_loader_t *ld, const sl_ent_t *e)
{
    const sl_node_t *n = sl_node_map_get(e->node, "protocols");
    if (sl_node_is_null(n))
        return SL_PROTO_GRPC | SL_PROTO_GRPCS | SL_PROTO_HTTP | SL_PROTO_HTTPS;
    if (n->kind != SL_NODE_SEQ) {
        sl_loader_err(ld, n, "expected a set");
        return 0;
    }
    unsigned bits = 0;
    for (size_t i = 0; i < n->n; i++) {
        const char *p = sl_schema_string(ld, n->items[i]);
        if (p == NULL)
            continue;
        unsigned bit = sl_schema_proto_bit(p);
        if (bit == 0) {
            char err[SL_CHECK_ERR_MAX];
            sl_loader_err(ld, n->items[i], "%s",
                          sl_schema_one_of_msg(sl_schema_protocols, err, sizeof(err)));
        }
        bits |= bit;
    }
    return bits;
}

void sl_ent_plugin_build(sl_loader_t *ld, sl_ent_t *e)
{
    sl_plugin_instance_t *p = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*p));
    e->obj = p;
    p->pos.line = e->node->line;
    p->pos.col = e->node->col;
    sl_schema_check(ld, plugin_fields, e->node, p, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, p->id);
    p->protocols = build_protocols(ld, e);

    sl_entities_fk(ld, e, "route", SL_FK_P_ROUTE, false);
    sl_entities_fk(ld, e, "service", SL_FK_P_SERVICE, false);
    sl_entities_fk(ld, e, "consumer", SL_FK_P_CONSUMER, false);

    const sl_node_t *config = sl_node_map_get(e->node, "config");
    if (!sl_node_is_null(config) && config->kind != SL_NODE_MAP) {
        sl_loader_err(ld, config, "expected a record");
        return;
    }
    if (p->name == NULL)
        return;
    sl_plugin_ref_t ref = {0};
    if (ld->find_plugin == NULL || !ld->find_plugin(p->name, &ref)) {
        sl_loader_err(ld, sl_node_map_get(e->node, "name"),
                      "plugin '%.200s' not enabled; sluice does not implement it yet", p->name);
        return;
    }
    p->desc = ref.desc;
    if (ref.no_consumer) {
        /* typedefs.no_consumer: the field must be null, nested under a consumer included */
        const sl_node_t *c = sl_node_map_get(e->node, "consumer");
        if (!sl_node_is_null(c))
            sl_loader_err(ld, c, "value must be null (plugin '%s' cannot be scoped to a "
                                 "consumer)", p->name);
        else if (e->parent && e->parent->kind == SL_ENT_CONSUMER)
            sl_loader_err(ld, sl_node_map_get(e->node, "name"),
                          "consumer: value must be null (plugin '%s' cannot be scoped to a "
                          "consumer)", p->name);
    }
    if (ref.parse == NULL)
        return;
    if (sl_node_is_null(config)) {
        /* an empty record where the config (or the plugin) is written, so that a required
         * field can be reported missing at a position */
        const sl_node_t *at = config ? config : e->node;
        sl_node_t *empty = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*empty));
        empty->kind = SL_NODE_MAP;
        empty->line = at->line;
        empty->col = at->col;
        empty->str = "";
        config = empty;
    }
    size_t before = ld->diag->n + ld->diag->dropped;
    p->conf = ref.parse(config, &ld->cfg->arena, ld->diag);
    if (ld->diag->n + ld->diag->dropped == before)
        return;
    /* What the plugin reported about its config record as a whole (a missing field, a check
     * across fields) is the plugin's in Kong's tree: its plugin schema holds those checks. */
    for (size_t i = 0; i < ld->diag->n; i++) {
        sl_diag_about_t *a = &ld->diag->v[i].about;
        if (a->node == config) {
            a->node = e->node;
            a->config = true;
        }
    }
}
