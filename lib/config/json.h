/*
 * JSON input: syntax validation with cJSON, then a same-length rewrite that lets libyaml's
 * event parser read the text as YAML flow syntax with every position unchanged, so JSON and
 * YAML share one positioned node builder (config/node.h).
 *
 * Thread: any (cJSON's global error pointer is not used).
 */
#ifndef SL_CONFIG_JSON_H
#define SL_CONFIG_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "config/diag.h"
#include "core/arena.h"

/* Checks that <text> (<len> bytes, borrowed) is one JSON value followed only by whitespace.
 * Returns 0, or SL_EINVAL after adding `LINE:COL: invalid JSON` at the offending byte to
 * <diag> (when <diag> is not NULL). */
int sl_json_check(const char *text, size_t len, sl_diag_t *diag);

/* Returns a copy of valid JSON <text> in <arena>, <len> bytes plus a NUL, rewritten for
 * libyaml: tabs outside strings become spaces, and each UTF-16 surrogate pair escape
 * (`\uD83D\uDE00`, which libyaml rejects) becomes `\U0001F600` with two spaces added after
 * the closing quote, so that everything after the string keeps its column. */
char *sl_json_prepare(sl_arena_t *arena, const char *text, size_t len);

/* True if <text> starts with '{' after whitespace (the POST /config style guess). */
bool sl_json_looks_like(const char *text, size_t len);

#endif
