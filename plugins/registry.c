/*
 * The plugin registry: every plugin sluice implements, one line each. Adding a plugin means
 * a folder under plugins/, a line here and nothing else (CMake globs plugins/).
 */
#include "plugin/plugin.h"

#include <string.h>

extern const sl_plugin_desc_t sl_plugin_correlation_id;
extern const sl_plugin_desc_t sl_plugin_jwt;
extern const sl_plugin_desc_t sl_plugin_request_termination;

const sl_plugin_desc_t *const sl_plugin_registry[] = {
    &sl_plugin_correlation_id,
    &sl_plugin_jwt,
    &sl_plugin_request_termination,
    NULL,
};

const sl_plugin_desc_t *sl_plugin_find(const char *name)
{
    for (size_t i = 0; sl_plugin_registry[i] != NULL; i++) {
        if (strcmp(sl_plugin_registry[i]->name, name) == 0)
            return sl_plugin_registry[i];
    }
    return NULL;
}
