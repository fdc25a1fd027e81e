/*
 * Node settings: what Kong keeps in kong.conf and nginx directives, as opposed to the
 * declarative config. They come from flags and environment variables (SLUICE_* names, with
 * Kong's KONG_* names accepted as aliases) and are fixed for the life of the process.
 *
 * Thread: filled by the master before workers start; read-only afterwards.
 */
#ifndef SL_CORE_SETTINGS_H
#define SL_CORE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/cidr.h"

#define SL_MAX_LISTENERS 8

typedef struct sl_listen {
    struct sockaddr_storage addr;
    char text[64];            /* "0.0.0.0:8000" as given, for messages */
    int backlog;
} sl_listen_t;

/* Which response headers the gateway adds (Kong's `headers` setting). */
enum {
    SL_HDR_SERVER = 1u << 0,
    SL_HDR_VIA = 1u << 1,
    SL_HDR_PROXY_LATENCY = 1u << 2,
    SL_HDR_RESPONSE_LATENCY = 1u << 3,
    SL_HDR_UPSTREAM_LATENCY = 1u << 4,
    SL_HDR_UPSTREAM_STATUS = 1u << 5,
    SL_HDR_REQUEST_ID = 1u << 6,
    SL_HDR_ADMIN_LATENCY = 1u << 7,
};

/* Access log line formats (log/access.h writes them). */
typedef enum {
    SL_ALOG_KONG = 0,     /* combined + ` kong_request_id: "<id>"` */
    SL_ALOG_COMBINED,
    SL_ALOG_JSON,
} sl_alog_format_t;

/* Parses "kong", "combined" or "json"; -1 if unknown. */
int sl_settings_log_format(const char *name);

typedef struct sl_settings {
    const char *config_path;    /* declarative config file (SLUICE_CONFIG) */
    sl_listen_t proxy[SL_MAX_LISTENERS];
    size_t n_proxy;
    sl_listen_t admin[SL_MAX_LISTENERS];
    size_t n_admin;
    int workers;                /* worker threads; default: number of cores */
    bool pin_workers;           /* pin worker i to core i % cores (default true) */

    unsigned headers;           /* SL_HDR_* added to downstream responses */
    unsigned headers_upstream;  /* SL_HDR_REQUEST_ID or 0 */
    int error_default_type;     /* sl_mime_t for nginx-level errors without Accept */

    /* client side limits (nginx names in comments) */
    size_t max_request_line;    /* large_client_header_buffers size: 8k -> 414 */
    size_t max_header_size;     /* total head: 32k -> 400 "Request header or cookie too large" */
    uint64_t max_body_size;     /* client_max_body_size; 0 = unlimited (Kong's default) */
    size_t client_body_buffer_size; /* the most of a body a plugin may read (Kong's
                                       nginx_http_client_body_buffer_size, 8k) */
    uint32_t client_header_timeout_ms; /* 60s */
    uint32_t client_body_timeout_ms;   /* 60s */
    uint32_t keepalive_timeout_ms;     /* 60s */
    uint32_t send_timeout_ms;          /* 60s */
    uint32_t keepalive_requests;       /* requests per client connection, 10000 (Kong) */
    uint32_t worker_connections;       /* client connections one worker holds at most
                                          (Kong's nginx_events_worker_connections); 0 is
                                          "auto": the open-file limit, at most 16384 */

    /* upstream keep-alive (Kong's upstream_keepalive_*) */
    uint32_t upstream_keepalive_pool_size;    /* idle connections per target, 512 */
    uint32_t upstream_keepalive_max_requests; /* 10000 */
    uint32_t upstream_keepalive_idle_timeout_ms; /* 60s */

    uint32_t dns_cache_ttl_ms;  /* how long a resolved name is reused, 30s */
    uint32_t drain_timeout_ms;  /* SIGTERM: how long requests in flight may take, 10s */
    const char *log_level;
    const char *proxy_access_log;  /* path, or NULL when off */
    const char *admin_access_log;  /* path, or NULL when off */
    const char *error_log;         /* path, or NULL for stderr */
    int access_log_format;         /* sl_alog_format_t */

    /* trusted proxies (Kong's trusted_ips, real_ip_header, real_ip_recursive; nginx's
     * realip module): a request from one of these may name its client (http/realip.h) */
    sl_cidr_t *trusted_ips;        /* heap, freed by sl_settings_free; NULL when none */
    size_t n_trusted_ips;
    const char *real_ip_header;    /* where a trusted proxy names the client: "X-Real-IP" */
    bool real_ip_recursive;        /* skip trusted addresses from the right (default off) */
    char *owned[4];                /* strings allocated here, freed by sl_settings_free */
} sl_settings_t;

/* Fills <s> with the defaults. */
void sl_settings_defaults(sl_settings_t *s);
/* Frees what sl_settings_from_env allocated. */
void sl_settings_free(sl_settings_t *s);

/* Applies environment variables (SLUICE_* first, then KONG_* aliases). Returns 0, or -1 after
 * printing a message naming the variable to stderr. */
int sl_settings_from_env(sl_settings_t *s);

/* Parses "HOST:PORT[ flags][, HOST:PORT ...]" (Kong's listen syntax; "[::1]:8000" for IPv6;
 * flags reuseport, backlog=N, deferred, bind accepted; "ssl", "http2", "proxy_protocol" are
 * refused as not supported yet; "off" gives none) into <out>. Returns the count, or -1 with a
 * message in <err>. */
int sl_settings_parse_listen(const char *text, sl_listen_t *out, size_t cap, char *err,
                             size_t errlen);

/* nginx-style sizes and durations: "8k", "1m", "512"; "60s", "500ms", "2m", "1h", "60". */
int sl_settings_parse_size(const char *text, uint64_t *out);
int sl_settings_parse_duration_ms(const char *text, uint32_t *out);

/* Kong's trusted_ips: a comma list of addresses and CIDR ranges ("10.0.0.0/8, ::1",
 * "0.0.0.0/0,::/0" for all). Sets *<out> to a heap array of *<n> ranges (NULL and 0 for an
 * empty list); the caller frees it. Returns 0, or -1 with a message in <err>. */
int sl_settings_parse_trusted_ips(const char *text, sl_cidr_t **out, size_t *n, char *err,
                                  size_t errlen);

/* Kong's `headers` list ("server_tokens, latency_tokens, X-Kong-Request-Id", "off"). */
int sl_settings_parse_headers(const char *text, unsigned *out);

#endif
