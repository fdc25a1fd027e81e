/*
 * The plugin registry: every plugin sluice implements, one line each. Adding a plugin means
 * a folder under plugins/, a line here and nothing else (CMake globs plugins/).
 */
#include "plugin/plugin.h"

#include <string.h>

extern const sl_plugin_desc_t sl_plugin_acl;
extern const sl_plugin_desc_t sl_plugin_basic_auth;
extern const sl_plugin_desc_t sl_plugin_correlation_id;
extern const sl_plugin_desc_t sl_plugin_cors;
extern const sl_plugin_desc_t sl_plugin_file_log;
extern const sl_plugin_desc_t sl_plugin_http_log;
extern const sl_plugin_desc_t sl_plugin_ip_restriction;
extern const sl_plugin_desc_t sl_plugin_jwt;
extern const sl_plugin_desc_t sl_plugin_key_auth;
extern const sl_plugin_desc_t sl_plugin_prometheus;
extern const sl_plugin_desc_t sl_plugin_rate_limiting;
extern const sl_plugin_desc_t sl_plugin_request_size_limiting;
extern const sl_plugin_desc_t sl_plugin_request_termination;
extern const sl_plugin_desc_t sl_plugin_security_headers;

const sl_plugin_desc_t *const sl_plugin_registry[] = {
    &sl_plugin_acl,
    &sl_plugin_basic_auth,
    &sl_plugin_correlation_id,
    &sl_plugin_cors,
    &sl_plugin_file_log,
    &sl_plugin_http_log,
    &sl_plugin_ip_restriction,
    &sl_plugin_jwt,
    &sl_plugin_key_auth,
    &sl_plugin_prometheus,
    &sl_plugin_rate_limiting,
    &sl_plugin_request_size_limiting,
    &sl_plugin_request_termination,
    &sl_plugin_security_headers,
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
