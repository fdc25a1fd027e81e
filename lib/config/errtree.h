/*
 * Kong's error tree for a declarative config that failed to load: the `fields` of its
 * code-14 error (kong/db/errors.lua declarative_config) and the message built from it,
 * "declarative config is invalid: " followed by penlight's one-line rendering of the tree
 * (pl.pretty.write(fields, "")).
 *
 * The tree nests as Kong's schema validation nests its errors: by collection, then by the
 * entity's position in its array (1-based in Lua, an array with nulls for the entities
 * without errors in JSON), then by field; nested entities and records continue the chain:
 *
 *   {services={{routes={[2]={strip_pth="unknown field"}}}}}
 *   {"services":[{"routes":[null,{"strip_pth":"unknown field"}]}]}
 *
 * Entity-level errors are a list under "@entity"; reference errors a list under the
 * collection keyed by the entity's endpoint key or id (declarative_config.lua
 * validate_references); a uniqueness error stands in place of its entity; errors in text
 * that does not parse are one string under "error". Kong checks references only once the
 * schema checks pass; sluice reports both at once, so both can be in one tree.
 *
 * Placing the errors needs the document's node tree, so the loader places them when a load
 * fails, before the tree is freed; rendering works from the diag afterwards.
 *
 * Thread: any; no global state.
 */
#ifndef SL_CONFIG_ERRTREE_H
#define SL_CONFIG_ERRTREE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "config/diag.h"
#include "config/node.h"

/* Gives every entry of <d> that has no place yet its place in the document <root> (borrowed),
 * and clears every entry's about.node. <parsed> false: the text did not parse (no tree),
 * so each error is placed under "error" as Kong's parse failures are. Entries it cannot place
 * (no position in the document) keep a NULL place. */
void sl_errtree_place(sl_diag_t *d, const sl_node_t *root, bool parsed);

/* Builds Kong's tree from the entries of <d>, in their order (sort the diag first for file
 * order): sets *<fields> to the `fields` object (caller deletes) and *<message> to Kong's
 * message (caller frees). When two errors fall on the same place the first one is kept, as
 * Kong keeps one message per field; entries without a place join a top-level "@entity"
 * list. */
void sl_errtree_render(const sl_diag_t *d, cJSON **fields, char **message);

#endif
