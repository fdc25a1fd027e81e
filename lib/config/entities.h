/*
 * The document walk: top-level keys (_format_version, _transform, entity arrays), nested
 * entity arrays (services[].routes[], consumers[].acls[], ...) and the flat foreign keys
 * that replace nesting (routes[].service, ...). The kind-specific rules are in ent_*.c.
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_ENTITIES_H
#define SL_CONFIG_ENTITIES_H

#include <stdbool.h>

#include "config/loader.h"

/* Walks the whole document <root> (NULL: an empty stream), building every entity into
 * ld->ents and reporting every problem. Sets ld->version and ld->transform. */
void sl_entities_walk(sl_loader_t *ld, const sl_node_t *root);

/* Records and builds one entity of <kind> written at <node>, nested in <parent> (NULL when
 * written at the top level), then its nested children. Returns the record. */
sl_ent_t *sl_entities_build(sl_loader_t *ld, sl_ent_kind_t kind, const sl_node_t *node,
                            sl_ent_t *parent);

/* Builds the entities listed under key <key> of <parent>'s mapping as children of <kind>. */
void sl_entities_nested(sl_loader_t *ld, sl_ent_t *parent, const char *key, sl_ent_kind_t kind);

/* Reads the foreign key <field> (static) of <e> into e->fk[<slot>]. Nested entities get their parent
 * implicitly, so there it must be null ("value must be null", as Kong's nested records
 * say); a flat entity must give a string, and one when <required>. */
void sl_entities_fk(sl_loader_t *ld, sl_ent_t *e, const char *field, int slot, bool required);

/* Points e->id at <id> (the model's char[37]) and records the `id` node if one was given
 * (the schema check validated and copied it). */
void sl_entities_set_id(sl_ent_t *e, char *id);

/* Reports `'<key>' is not supported by sluice` for a present, non-null key of <e>. */
void sl_entities_unsupported(sl_loader_t *ld, const sl_ent_t *e, const char *key);

#endif
