/*
 * Declarative config loading: text (YAML or JSON, Kong's format 1.1 / 2.1 / 3.0) -> positioned
 * node tree -> validated, reference-resolved sl_config_t.
 *
 * Every problem found is added to <diag> with its line and column; loading goes on after an
 * error so that one run reports all of them. A config with any error is never returned.
 *
 * Plugin names are resolved, and plugin configs parsed, through <plugins> (sl_plugin_lookup
 * in plugin/plugin.h: the registry).
 *
 * Thread: any thread; touches no global state.
 */
#ifndef SL_CONFIG_LOAD_H
#define SL_CONFIG_LOAD_H

#include <stddef.h>

#include "config/diag.h"
#include "config/model.h"
#include "config/plugins.h"

typedef enum {
    SL_CONFIG_FMT_AUTO = 0, /* by file name: *.json is JSON, *.yml / *.yaml YAML; text without
                               a name: JSON first, then YAML (Kong's POST /config rule) */
    SL_CONFIG_FMT_YAML,
    SL_CONFIG_FMT_JSON,
} sl_config_fmt_t;

/* Reads and loads <path>. On success returns 0 and sets *<out> (caller frees with
 * sl_config_free). On failure returns a negative SL_E* code and <diag> holds every error. */
int sl_config_load_file(const char *path, sl_plugin_lookup_fn plugins, sl_config_t **out,
                        sl_diag_t *diag);

/* Loads <len> bytes of <text>; <name> is used in messages and for SL_CONFIG_FMT_AUTO
 * (NULL: "<body>"). Same contract as sl_config_load_file. <text> is borrowed. */
int sl_config_load_text(const char *name, const char *text, size_t len, sl_config_fmt_t fmt,
                        sl_plugin_lookup_fn plugins, sl_config_t **out, sl_diag_t *diag);

/* Frees a config returned by the loaders. NULL is accepted. */
void sl_config_free(sl_config_t *cfg);

#endif
