/* The registry of sluice-test: the shipped plugins and the test-only ones. */
#include "plugin/plugin.h"
#include "plugins/registry.h"

SL_SHIPPED_PLUGINS(SL_PLUGIN_DECLARE)
extern const sl_plugin_desc_t sl_plugin_test_stream;
extern const sl_plugin_desc_t sl_plugin_test_stream_2;

const sl_plugin_desc_t *const sl_plugin_registry[] = {
    SL_SHIPPED_PLUGINS(SL_PLUGIN_ENTRY) &sl_plugin_test_stream, &sl_plugin_test_stream_2, NULL,
};
