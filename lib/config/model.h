/*
 * The declarative configuration after loading and validation: Kong's entities as typed C
 * structs. Everything here lives in the config's arena and is immutable once loaded; the
 * request path reads it through a snapshot (snapshot/snapshot.h).
 *
 * References between entities are resolved pointers (a route's service, a credential's
 * consumer); nested and flat forms of the file give the same result.
 */
#ifndef SL_CONFIG_MODEL_H
#define SL_CONFIG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct sl_node sl_node_t;
typedef struct sl_plugin_desc sl_plugin_desc_t;

/* Position of an entity or field in the source file (1-based). */
typedef struct sl_pos {
    uint32_t line;
    uint32_t col;
} sl_pos_t;

/* Protocol bits (route `protocols`, service `protocol`). */
enum {
    SL_PROTO_HTTP = 1u << 0,
    SL_PROTO_HTTPS = 1u << 1,
    SL_PROTO_GRPC = 1u << 2,
    SL_PROTO_GRPCS = 1u << 3,
    SL_PROTO_TCP = 1u << 4,
    SL_PROTO_TLS = 1u << 5,
    SL_PROTO_TLS_PASSTHROUGH = 1u << 6,
    SL_PROTO_UDP = 1u << 7,
};

typedef struct sl_strlist {
    const char **v; /* NUL-terminated strings */
    size_t n;
} sl_strlist_t;

typedef struct sl_upstream sl_upstream_t;

typedef struct sl_service {
    char id[37];            /* UUID text; given, or derived as Kong derives it */
    const char *name;       /* NULL when unnamed */
    unsigned protocol;      /* one SL_PROTO_* bit */
    const char *host;       /* hostname or IP literal (IPv6 without brackets) */
    uint16_t port;
    const char *path;       /* NULL when unset; else starts with '/' */
    int retries;            /* 0..32767, default 5 */
    uint32_t connect_timeout_ms, write_timeout_ms, read_timeout_ms; /* default 60000 */
    bool enabled;           /* false: its routes are left out of the router */
    sl_upstream_t *upstream; /* the upstream whose name equals host, or NULL */
    sl_strlist_t tags;
    sl_pos_t pos;
    uint32_t rt_index;      /* position in sl_config_t.services; set by the snapshot compiler */
} sl_service_t;

typedef struct sl_route_header {
    const char *name;       /* lower-cased */
    sl_strlist_t values;    /* as written; a value starting with "~*" is a regex */
} sl_route_header_t;

typedef struct sl_route {
    char id[37];
    const char *name;
    unsigned protocols;     /* SL_PROTO_* bits; default HTTP|HTTPS */
    sl_strlist_t methods;
    sl_strlist_t hosts;     /* as written, may carry :port and one '*' */
    sl_strlist_t paths;     /* prefix "/x" or regex "~/x"; 1.1/2.1 files already migrated */
    sl_route_header_t *headers;
    size_t n_headers;
    sl_strlist_t snis;
    bool strip_path;        /* default true */
    bool preserve_host;     /* default false */
    bool request_buffering, response_buffering; /* default true */
    int regex_priority;     /* default 0 */
    int path_handling;      /* 0 = v0 (default), 1 = v1 */
    int https_redirect_status_code; /* default 426 */
    sl_service_t *service;  /* NULL when the route has none (request gets 503) */
    sl_strlist_t tags;
    sl_pos_t pos;
    uint32_t rt_index;      /* position in sl_config_t.routes; set by the snapshot compiler */
} sl_route_t;

typedef struct sl_target {
    char id[37];
    const char *target;     /* as written: "host:port" */
    const char *host;       /* host part, IPv6 without brackets */
    uint16_t port;
    uint32_t weight;        /* 0..65535, default 100 */
    sl_upstream_t *upstream;
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_target_t;

typedef enum {
    SL_LB_ROUND_ROBIN = 0,
    SL_LB_CONSISTENT_HASHING,
    SL_LB_LEAST_CONNECTIONS,
    SL_LB_LATENCY,
} sl_lb_algorithm_t;

/* Healthcheck settings, parsed and validated with Kong's defaults (section 2.3). */
typedef struct sl_healthchecks {
    struct {
        const char *type;          /* http, https, tcp, grpc, grpcs */
        uint32_t timeout_s, concurrency;
        const char *http_path, *https_sni;
        bool https_verify_certificate;
        struct {
            uint32_t interval_s, successes;
            uint16_t *http_statuses;
            size_t n_http_statuses;
        } healthy;
        struct {
            uint32_t interval_s, tcp_failures, timeouts, http_failures;
            uint16_t *http_statuses;
            size_t n_http_statuses;
        } unhealthy;
    } active;
    struct {
        const char *type;
        struct {
            uint32_t successes;
            uint16_t *http_statuses;
            size_t n_http_statuses;
        } healthy;
        struct {
            uint32_t tcp_failures, timeouts, http_failures;
            uint16_t *http_statuses;
            size_t n_http_statuses;
        } unhealthy;
    } passive;
    double threshold;
    bool enabled; /* true if any interval or passive counter is non-zero (Kong's rule) */
} sl_healthchecks_t;

struct sl_upstream {
    char id[37];
    const char *name;
    sl_lb_algorithm_t algorithm;
    const char *hash_on, *hash_fallback; /* "none" by default */
    const char *hash_on_header, *hash_fallback_header, *hash_on_cookie, *hash_on_cookie_path;
    const char *hash_on_query_arg, *hash_fallback_query_arg;
    const char *hash_on_uri_capture, *hash_fallback_uri_capture;
    uint32_t slots;          /* default 10000 */
    const char *host_header; /* NULL when unset */
    bool use_srv_name;
    sl_healthchecks_t healthchecks;
    sl_target_t **targets;   /* in file order */
    size_t n_targets;
    sl_strlist_t tags;
    sl_pos_t pos;
    uint32_t rt_index;       /* position in sl_config_t.upstreams; set by the snapshot compiler */
};

typedef struct sl_consumer {
    char id[37];
    const char *username;   /* at least one of username / custom_id */
    const char *custom_id;
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_consumer_t;

typedef struct sl_keyauth_credential {
    char id[37];
    sl_consumer_t *consumer;
    const char *key;
    int64_t ttl;            /* 0 when unset */
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_keyauth_credential_t;

typedef struct sl_basicauth_credential {
    char id[37];
    sl_consumer_t *consumer;
    const char *username;
    const char *password_hash; /* sha1_hex(password .. consumer id), as Kong stores it */
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_basicauth_credential_t;

typedef struct sl_jwt_secret {
    char id[37];
    sl_consumer_t *consumer;
    const char *key;
    const char *secret;
    const char *rsa_public_key; /* PEM or NULL */
    const char *algorithm;      /* default "HS256" */
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_jwt_secret_t;

typedef struct sl_acl {
    char id[37];
    sl_consumer_t *consumer;
    const char *group;
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_acl_t;

typedef struct sl_plugin_instance {
    char id[37];
    const char *name;
    const char *instance_name;
    const sl_plugin_desc_t *desc; /* the implementation (plugin/plugin.h) */
    void *conf;              /* typed config made by desc->parse, in the config arena */
    sl_route_t *route;       /* scope; NULL = any */
    sl_service_t *service;
    sl_consumer_t *consumer;
    unsigned protocols;
    bool enabled;
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_plugin_instance_t;

typedef struct sl_certificate {
    char id[37];
    const char *cert, *key;          /* PEM, validated to parse and to match */
    const char *cert_alt, *key_alt;  /* NULL when unset */
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_certificate_t;

typedef struct sl_sni {
    char id[37];
    const char *name;
    sl_certificate_t *certificate;
    sl_strlist_t tags;
    sl_pos_t pos;
} sl_sni_t;

#define SL_ENTITY_ARRAY(type, field)                                                               \
    type **field;                                                                                  \
    size_t n_##field

/* A whole loaded configuration. Owned by its arena; free with sl_config_free. */
typedef struct sl_config {
    sl_arena_t arena;
    const char *source;      /* file name, or "<body>" for text without a name */
    char format_version[8];  /* "1.1", "2.1" or "3.0" */
    char hash[33];           /* MD5 hex of the raw text; all zeros when empty */
    const char *text;        /* the raw text this config was loaded from (arena) */
    size_t text_len;
    bool transform;          /* _transform */
    SL_ENTITY_ARRAY(sl_service_t, services);
    SL_ENTITY_ARRAY(sl_route_t, routes);
    SL_ENTITY_ARRAY(sl_upstream_t, upstreams);
    SL_ENTITY_ARRAY(sl_target_t, targets);
    SL_ENTITY_ARRAY(sl_consumer_t, consumers);
    SL_ENTITY_ARRAY(sl_keyauth_credential_t, keyauth_credentials);
    SL_ENTITY_ARRAY(sl_basicauth_credential_t, basicauth_credentials);
    SL_ENTITY_ARRAY(sl_jwt_secret_t, jwt_secrets);
    SL_ENTITY_ARRAY(sl_acl_t, acls);
    SL_ENTITY_ARRAY(sl_plugin_instance_t, plugins);
    SL_ENTITY_ARRAY(sl_certificate_t, certificates);
    SL_ENTITY_ARRAY(sl_sni_t, snis);
} sl_config_t;

#endif
