/*
 * Readers for the fields of a plugin's `config` node, shared by every plugin's parse callback.
 * Each checks one value, reports a problem at the node's position with Kong's wording
 * (kong/db/schema/init.lua validation_errors) and copies what it keeps into the snapshot
 * arena. They return false (or NULL, or -1) after reporting, so a parser can go on and report
 * every bad field of one config at once.
 *
 * The entity schemas (config/schema.h) work on the loader; plugins only see an arena and a
 * diag, so these take those.
 *
 * Thread: the compiling thread (config callbacks only).
 */
#ifndef SL_PLUGIN_CONF_H
#define SL_PLUGIN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "config/model.h"
#include "config/node.h"
#include "core/arena.h"

/* The text of mapping key <k>, "" when it is not a scalar (then it is an unknown field). */
const char *sl_pconf_key(const sl_node_t *k);

/* "unknown field 'K'" at key <k>, suggesting the nearest of <names> (the record's fields,
 * NULL-terminated, in schema order) when one is close. */
void sl_pconf_unknown(sl_diag_t *diag, const sl_node_t *k, const char *const *names);

/* A boolean into *<out> (left alone on error): "expected a boolean". */
bool sl_pconf_bool(sl_diag_t *diag, const sl_node_t *v, bool *out);

/* A string, copied into <a>: "expected a string" for anything else, a string with a NUL
 * byte included (it would be cut short silently). Returns NULL on error. */
const char *sl_pconf_string(sl_diag_t *diag, sl_arena_t *a, const sl_node_t *v);

/* An integer within [<min>, <max>]: "expected an integer", "value should be between <min>
 * and <max>". */
bool sl_pconf_int(sl_diag_t *diag, const sl_node_t *v, int64_t min, int64_t max,
                  int64_t *out);

/* A number within [<min>, <max>]: "expected a number", "value should be between <min> and
 * <max>" (bounds printed as Lua prints them: 0.5, 3600, 31536000). */
bool sl_pconf_number(sl_diag_t *diag, const sl_node_t *v, double min, double max,
                     double *out);

/* An array of strings, copied into <a>: "expected an array" for the node, "expected a
 * string" for each element that is not one (the others are kept). Returns false if any
 * error was reported. */
bool sl_pconf_strings(sl_diag_t *diag, sl_arena_t *a, const sl_node_t *v, sl_strlist_t *out);

/* The index of the string <v> in the NULL-terminated <names>, or -1 after "expected one of:
 * a, b, c". */
int sl_pconf_one_of(sl_diag_t *diag, const sl_node_t *v, const char *const *names);

/* Kong's typedefs.header_name: non-empty, only A-Z a-z 0-9 '_' '-'. */
bool sl_pconf_header_name_ok(const char *s, size_t len);

/* Reports typedefs.header_name's message for <s> at <v>. */
void sl_pconf_bad_header_name(sl_diag_t *diag, const sl_node_t *v, const char *s);

#endif
