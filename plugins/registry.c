/* The plugin registry of the sluice binary: every shipped plugin (plugins/registry.h). */
#include "plugin/plugin.h"
#include "plugins/registry.h"

SL_SHIPPED_PLUGINS(SL_PLUGIN_DECLARE)

const sl_plugin_desc_t *const sl_plugin_registry[] = {
    SL_SHIPPED_PLUGINS(SL_PLUGIN_ENTRY) NULL,
};
