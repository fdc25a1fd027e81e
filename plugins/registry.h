/*
 * The plugins sluice ships, one entry each (X-macro: X(symbol suffix)). Adding a plugin means
 * a folder under plugins/ defining `const sl_plugin_desc_t sl_plugin_<suffix>`, an entry here
 * and nothing else (CMake globs plugins/). plugins/registry.c makes the registry from it; a
 * test binary may make its own from the same list plus test-only plugins.
 */
#ifndef SL_PLUGINS_REGISTRY_H
#define SL_PLUGINS_REGISTRY_H

#define SL_SHIPPED_PLUGINS(X)  \
    X(acl)                     \
    X(basic_auth)              \
    X(correlation_id)          \
    X(cors)                    \
    X(file_log)                \
    X(http_log)                \
    X(ip_restriction)          \
    X(jwt)                     \
    X(key_auth)                \
    X(prometheus)              \
    X(rate_limiting)           \
    X(request_size_limiting)   \
    X(request_termination)     \
    X(security_headers)

#define SL_PLUGIN_DECLARE(suffix) extern const sl_plugin_desc_t sl_plugin_##suffix;
#define SL_PLUGIN_ENTRY(suffix) &sl_plugin_##suffix,

#endif
