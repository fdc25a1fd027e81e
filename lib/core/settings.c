/*
 * Node settings from the environment. Kong's names are accepted beside sluice's so that a
 * docker-compose file written for kong:latest works unchanged (kong-compat.md section 7).
 */
#include "core/settings.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/mime.h"
#include "core/xalloc.h"

int sl_settings_log_format(const char *name)
{
    if (strcmp(name, "kong") == 0)
        return SL_ALOG_KONG;
    if (strcmp(name, "combined") == 0)
        return SL_ALOG_COMBINED;
    if (strcmp(name, "json") == 0)
        return SL_ALOG_JSON;
    return -1;
}

void sl_settings_defaults(sl_settings_t *s)
{
    memset(s, 0, sizeof(*s));
    char err[128];
    sl_settings_parse_listen("0.0.0.0:8000", s->proxy, SL_MAX_LISTENERS, err, sizeof(err));
    s->n_proxy = 1;
    sl_settings_parse_listen("127.0.0.1:8001", s->admin, SL_MAX_LISTENERS, err, sizeof(err));
    s->n_admin = 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    s->workers = cores > 0 ? (int)cores : 1;
    s->pin_workers = true;
    s->headers = SL_HDR_SERVER | SL_HDR_VIA | SL_HDR_PROXY_LATENCY | SL_HDR_RESPONSE_LATENCY |
                 SL_HDR_UPSTREAM_LATENCY | SL_HDR_ADMIN_LATENCY | SL_HDR_REQUEST_ID;
    s->headers_upstream = SL_HDR_REQUEST_ID;
    s->error_default_type = SL_MIME_TEXT;
    s->max_request_line = 8192;
    s->max_header_size = 32768;
    s->max_body_size = 0;
    s->client_body_buffer_size = 8192;
    s->client_header_timeout_ms = 60000;
    s->client_body_timeout_ms = 60000;
    s->keepalive_timeout_ms = 60000;
    s->send_timeout_ms = 60000;
    s->keepalive_requests = 10000;
    s->upstream_keepalive_pool_size = 512;
    s->upstream_keepalive_max_requests = 10000;
    s->upstream_keepalive_idle_timeout_ms = 60000;
    s->dns_cache_ttl_ms = 30000;
    s->drain_timeout_ms = 10000;
    s->log_level = "notice";
    s->real_ip_header = "X-Real-IP";
}

void sl_settings_free(sl_settings_t *s)
{
    for (size_t i = 0; i < sizeof(s->owned) / sizeof(s->owned[0]); i++) {
        free(s->owned[i]);
        s->owned[i] = NULL;
    }
    free(s->trusted_ips);
    s->trusted_ips = NULL;
    s->n_trusted_ips = 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int parse_hostport(const char *hp, struct sockaddr_storage *ss)
{
    char host[64];
    const char *port_s;
    if (hp[0] == '[') {
        const char *end = strchr(hp, ']');
        if (end == NULL || end[1] != ':' || (size_t)(end - hp - 1) >= sizeof(host))
            return -1;
        memcpy(host, hp + 1, (size_t)(end - hp - 1));
        host[end - hp - 1] = '\0';
        port_s = end + 2;
    } else {
        const char *colon = strrchr(hp, ':');
        if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
            return -1;
        memcpy(host, hp, (size_t)(colon - hp));
        host[colon - hp] = '\0';
        port_s = colon + 1;
    }
    char *endp;
    errno = 0;
    long port = strtol(port_s, &endp, 10);
    if (errno || *endp != '\0' || port < 0 || port > 65535 || endp == port_s)
        return -1;
    memset(ss, 0, sizeof(*ss));
    if (strcmp(host, "*") == 0 || host[0] == '\0')
        strcpy(host, "0.0.0.0");
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        return 0;
    }
    return -1;
}

int sl_settings_parse_listen(const char *text, sl_listen_t *out, size_t cap, char *err,
                             size_t errlen)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", text);
    char *all = trim(buf);
    if (strcmp(all, "off") == 0)
        return 0;
    size_t n = 0;
    char *save = NULL;
    for (char *entry = strtok_r(all, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
        entry = trim(entry);
        if (*entry == '\0')
            continue;
        if (n == cap) {
            snprintf(err, errlen, "too many listen addresses (at most %zu)", cap);
            return -1;
        }
        char *save2 = NULL;
        char *addr = strtok_r(entry, " \t", &save2);
        sl_listen_t *l = &out[n];
        memset(l, 0, sizeof(*l));
        l->backlog = 16384;
        snprintf(l->text, sizeof(l->text), "%s", addr);
        if (parse_hostport(addr, &l->addr) != 0) {
            snprintf(err, errlen, "invalid listen address '%s' (expected IP:PORT)", addr);
            return -1;
        }
        for (char *flag = strtok_r(NULL, " \t", &save2); flag;
             flag = strtok_r(NULL, " \t", &save2)) {
            if (strncmp(flag, "backlog=", 8) == 0) {
                l->backlog = atoi(flag + 8);
                if (l->backlog <= 0) {
                    snprintf(err, errlen, "invalid listen flag '%s'", flag);
                    return -1;
                }
            } else if (strcmp(flag, "reuseport") == 0 || strcmp(flag, "deferred") == 0 ||
                       strcmp(flag, "bind") == 0) {
                /* SO_REUSEPORT is always used; deferred/bind change nothing observable */
            } else if (strcmp(flag, "ssl") == 0 || strcmp(flag, "http2") == 0 ||
                       strcmp(flag, "proxy_protocol") == 0) {
                snprintf(err, errlen, "listen flag '%s' is not supported by sluice yet", flag);
                return -1;
            } else {
                snprintf(err, errlen, "unknown listen flag '%s'", flag);
                return -1;
            }
        }
        n++;
    }
    return (int)n;
}

int sl_settings_parse_size(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -1;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ull * 1024 * 1024, end++;
    if (*end != '\0')
        return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

int sl_settings_parse_duration_ms(const char *text, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -1;
    unsigned long long ms;
    if (strcmp(end, "ms") == 0)
        ms = v;
    else if (*end == '\0' || strcmp(end, "s") == 0)
        ms = v * 1000;
    else if (strcmp(end, "m") == 0)
        ms = v * 60000;
    else if (strcmp(end, "h") == 0)
        ms = v * 3600000;
    else
        return -1;
    if (ms > UINT32_MAX)
        return -1;
    *out = (uint32_t)ms;
    return 0;
}

int sl_settings_parse_headers(const char *text, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bits;
    } map[] = {
        {"server_tokens", SL_HDR_SERVER | SL_HDR_VIA},
        {"latency_tokens", SL_HDR_PROXY_LATENCY | SL_HDR_RESPONSE_LATENCY |
                               SL_HDR_UPSTREAM_LATENCY | SL_HDR_ADMIN_LATENCY},
        {"server", SL_HDR_SERVER},
        {"via", SL_HDR_VIA},
        {"x-kong-proxy-latency", SL_HDR_PROXY_LATENCY},
        {"x-kong-response-latency", SL_HDR_RESPONSE_LATENCY},
        {"x-kong-admin-latency", SL_HDR_ADMIN_LATENCY},
        {"x-kong-upstream-latency", SL_HDR_UPSTREAM_LATENCY},
        {"x-kong-upstream-status", SL_HDR_UPSTREAM_STATUS},
        {"x-kong-request-id", SL_HDR_REQUEST_ID},
    };
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", text);
    unsigned bits = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (*tok == '\0')
            continue;
        if (strcasecmp(tok, "off") == 0) {
            bits = 0;
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
            if (strcasecmp(tok, map[i].name) == 0) {
                bits |= map[i].bits;
                break;
            }
        }
        if (i == sizeof(map) / sizeof(map[0]))
            return -1;
    }
    *out = bits;
    return 0;
}

int sl_settings_parse_trusted_ips(const char *text, sl_cidr_t **out, size_t *n, char *err,
                                  size_t errlen)
{
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    sl_cidr_t *v = sl_xmalloc(cap * sizeof(*v));
    size_t count = 0;
    const char *p = text;
    for (;;) {
        const char *e = p + strcspn(p, ",");
        const char *a = p, *b = e;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b - a >= 5 && strncmp(a, "unix:", 5) == 0) {
            snprintf(err, errlen, "'unix:' is not supported: sluice listens on no unix socket");
            goto fail;
        }
        if (b > a && sl_cidr_parse(a, (size_t)(b - a), &v[count]) != 0) {
            snprintf(err, errlen, "'%.*s' is not an IP address or CIDR range", (int)(b - a), a);
            goto fail;
        }
        if (b > a)
            count++;
        if (*e == '\0')
            break;
        p = e + 1;
    }
    if (count == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = count;
    return 0;

fail:
    free(v);
    return -1;
}

/* First set variable among <names> (NULL-terminated); sets *<which> to its name. */
static const char *env_first(const char *const *names, const char **which)
{
    for (size_t i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) {
            *which = names[i];
            return v;
        }
    }
    return NULL;
}

#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

extern char **environ;

/* Kong settings sluice reads (besides these, KONG_DATABASE must be "off"). */
static const char *const kong_known[] = {
    "KONG_DECLARATIVE_CONFIG", "KONG_PROXY_LISTEN", "KONG_ADMIN_LISTEN",
    "KONG_NGINX_WORKER_PROCESSES", "KONG_LOG_LEVEL", "KONG_HEADERS", "KONG_HEADERS_UPSTREAM",
    "KONG_ERROR_DEFAULT_TYPE", "KONG_NGINX_HTTP_CLIENT_HEADER_TIMEOUT",
    "KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT", "KONG_NGINX_HTTP_KEEPALIVE_TIMEOUT",
    "KONG_NGINX_HTTP_SEND_TIMEOUT", "KONG_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT",
    "KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE", "KONG_NGINX_HTTP_KEEPALIVE_REQUESTS",
    "KONG_UPSTREAM_KEEPALIVE_POOL_SIZE", "KONG_UPSTREAM_KEEPALIVE_MAX_REQUESTS",
    "KONG_DATABASE", "KONG_NGINX_DAEMON", "KONG_PROXY_ACCESS_LOG", "KONG_ADMIN_ACCESS_LOG",
    "KONG_PROXY_ERROR_LOG", "KONG_ADMIN_ERROR_LOG", "KONG_NGINX_MAIN_WORKER_SHUTDOWN_TIMEOUT",
    "KONG_TRUSTED_IPS", "KONG_REAL_IP_HEADER", "KONG_REAL_IP_RECURSIVE",
    "KONG_NGINX_EVENTS_WORKER_CONNECTIONS", NULL,
};

/* A compose file written for kong:latest carries Kong settings sluice may not have yet: say
 * which ones are ignored instead of ignoring them silently. */
static void warn_unknown_kong_env(void)
{
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "KONG_", 5) != 0)
            continue;
        size_t n = strcspn(*e, "=");
        bool known = false;
        for (size_t i = 0; kong_known[i] && !known; i++)
            known = strlen(kong_known[i]) == n && strncmp(*e, kong_known[i], n) == 0;
        if (!known)
            fprintf(stderr, "sluice: warning: %.*s is not supported by sluice yet and has no "
                            "effect\n", (int)n, *e);
    }
}

int sl_settings_from_env(sl_settings_t *s)
{
    const char *name, *v;
    char err[160];

    warn_unknown_kong_env();
    if ((v = env_first(ENV("KONG_DATABASE"), &name)) && strcmp(v, "off") != 0) {
        snprintf(err, sizeof(err), "sluice runs DB-less only: set KONG_DATABASE=off (or leave "
                                   "it unset) and give a declarative config");
        goto bad;
    }
    if ((v = env_first(ENV("KONG_NGINX_DAEMON"), &name)) && strcmp(v, "off") != 0) {
        snprintf(err, sizeof(err), "sluice always runs in the foreground: expected 'off'");
        goto bad;
    }
    if ((v = env_first(ENV("SLUICE_CONFIG", "KONG_DECLARATIVE_CONFIG"), &name)))
        s->config_path = v;
    if ((v = env_first(ENV("SLUICE_PROXY_LISTEN", "KONG_PROXY_LISTEN"), &name))) {
        int n = sl_settings_parse_listen(v, s->proxy, SL_MAX_LISTENERS, err, sizeof(err));
        if (n < 0)
            goto bad;
        s->n_proxy = (size_t)n;
    }
    if ((v = env_first(ENV("SLUICE_ADMIN_LISTEN", "KONG_ADMIN_LISTEN"), &name))) {
        int n = sl_settings_parse_listen(v, s->admin, SL_MAX_LISTENERS, err, sizeof(err));
        if (n < 0)
            goto bad;
        s->n_admin = (size_t)n;
    }
    if ((v = env_first(ENV("SLUICE_WORKERS", "KONG_NGINX_WORKER_PROCESSES"), &name))) {
        if (strcmp(v, "auto") != 0) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end != '\0' || n < 1 || n > 1024) {
                snprintf(err, sizeof(err), "expected a number of workers (1..1024) or 'auto'");
                goto bad;
            }
            s->workers = (int)n;
        }
    }
    if ((v = env_first(ENV("SLUICE_LOG_LEVEL", "KONG_LOG_LEVEL"), &name)))
        s->log_level = v;
    /* log destinations: a path, or "off"; Kong's "path format" form takes the first word */
    struct {
        const char *const *names;
        const char **dst;
    } logs[] = {
        {ENV("SLUICE_PROXY_ACCESS_LOG", "KONG_PROXY_ACCESS_LOG"), &s->proxy_access_log},
        {ENV("SLUICE_ADMIN_ACCESS_LOG", "KONG_ADMIN_ACCESS_LOG"), &s->admin_access_log},
        /* one process, one error log: Kong's admin error log names the same file */
        {ENV("SLUICE_PROXY_ERROR_LOG", "KONG_PROXY_ERROR_LOG", "KONG_ADMIN_ERROR_LOG"),
         &s->error_log},
    };
    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
        if (!(v = env_first(logs[i].names, &name)))
            continue;
        char *path = strdup(v);
        if (path == NULL)
            sl_fatal_oom();
        path[strcspn(path, " \t")] = '\0';
        free(s->owned[i]);
        s->owned[i] = path;
        *logs[i].dst = strcmp(path, "off") == 0 ? NULL : path;
    }
    if ((v = env_first(ENV("SLUICE_ACCESS_LOG_FORMAT"), &name))) {
        int f = sl_settings_log_format(v);
        if (f < 0) {
            snprintf(err, sizeof(err), "expected kong, combined or json");
            goto bad;
        }
        s->access_log_format = f;
    }
    if ((v = env_first(ENV("SLUICE_HEADERS", "KONG_HEADERS"), &name))) {
        if (sl_settings_parse_headers(v, &s->headers) != 0) {
            snprintf(err, sizeof(err), "unknown header name in list");
            goto bad;
        }
    }
    if ((v = env_first(ENV("SLUICE_HEADERS_UPSTREAM", "KONG_HEADERS_UPSTREAM"), &name))) {
        unsigned bits;
        if (sl_settings_parse_headers(v, &bits) != 0 || (bits & ~SL_HDR_REQUEST_ID)) {
            snprintf(err, sizeof(err), "expected 'X-Kong-Request-Id' or 'off'");
            goto bad;
        }
        s->headers_upstream = bits;
    }
    if ((v = env_first(ENV("SLUICE_ERROR_DEFAULT_TYPE", "KONG_ERROR_DEFAULT_TYPE"), &name))) {
        int t = sl_mime_from_name(v);
        if (t < 0) {
            snprintf(err, sizeof(err), "expected one of application/json, application/xml, "
                                       "text/html, text/plain");
            goto bad;
        }
        s->error_default_type = t;
    }
    if ((v = env_first(ENV("SLUICE_TRUSTED_IPS", "KONG_TRUSTED_IPS"), &name))) {
        free(s->trusted_ips);
        s->trusted_ips = NULL;
        s->n_trusted_ips = 0;
        if (sl_settings_parse_trusted_ips(v, &s->trusted_ips, &s->n_trusted_ips, err,
                                          sizeof(err)) != 0)
            goto bad;
    }
    if ((v = env_first(ENV("SLUICE_REAL_IP_HEADER", "KONG_REAL_IP_HEADER"), &name))) {
        if (strcmp(v, "proxy_protocol") == 0) {
            snprintf(err, sizeof(err), "the PROXY protocol is not supported by sluice yet: "
                                       "name a header such as X-Forwarded-For");
            goto bad;
        }
        if (v[strcspn(v, " \t\r\n:,;\"()<>@[]{}/?=\\")] != '\0') {
            snprintf(err, sizeof(err), "expected a header name");
            goto bad;
        }
        s->real_ip_header = v;
    }
    if ((v = env_first(ENV("SLUICE_REAL_IP_RECURSIVE", "KONG_REAL_IP_RECURSIVE"), &name))) {
        if (strcmp(v, "on") == 0) {
            s->real_ip_recursive = true;
        } else if (strcmp(v, "off") == 0) {
            s->real_ip_recursive = false;
        } else {
            snprintf(err, sizeof(err), "expected 'on' or 'off'");
            goto bad;
        }
    }

    struct {
        const char *const *names;
        uint32_t *ms;
    } durations[] = {
        {ENV("SLUICE_CLIENT_HEADER_TIMEOUT", "KONG_NGINX_HTTP_CLIENT_HEADER_TIMEOUT"),
         &s->client_header_timeout_ms},
        {ENV("SLUICE_CLIENT_BODY_TIMEOUT", "KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT"),
         &s->client_body_timeout_ms},
        {ENV("SLUICE_KEEPALIVE_TIMEOUT", "KONG_NGINX_HTTP_KEEPALIVE_TIMEOUT"),
         &s->keepalive_timeout_ms},
        {ENV("SLUICE_SEND_TIMEOUT", "KONG_NGINX_HTTP_SEND_TIMEOUT"), &s->send_timeout_ms},
        {ENV("SLUICE_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT", "KONG_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT"),
         &s->upstream_keepalive_idle_timeout_ms},
        {ENV("SLUICE_DNS_CACHE_TTL"), &s->dns_cache_ttl_ms},
        {ENV("SLUICE_DRAIN_TIMEOUT", "KONG_NGINX_MAIN_WORKER_SHUTDOWN_TIMEOUT"),
         &s->drain_timeout_ms},
    };
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        if ((v = env_first(durations[i].names, &name)) &&
            sl_settings_parse_duration_ms(v, durations[i].ms) != 0) {
            snprintf(err, sizeof(err), "expected a duration such as 60s or 500ms");
            goto bad;
        }
    }

    struct {
        const char *const *names;
        uint64_t min, max;
        int kind; /* 0 size_t, 1 uint64, 2 uint32 */
        void *p;
    } sizes[] = {
        {ENV("SLUICE_CLIENT_MAX_BODY_SIZE", "KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE"), 0,
         UINT64_MAX, 1, &s->max_body_size},
        {ENV("SLUICE_CLIENT_BODY_BUFFER_SIZE", "KONG_NGINX_HTTP_CLIENT_BODY_BUFFER_SIZE"), 1,
         64u << 20, 0, &s->client_body_buffer_size},
        {ENV("SLUICE_MAX_REQUEST_LINE"), 256, 1 << 20, 0, &s->max_request_line},
        {ENV("SLUICE_MAX_HEADER_SIZE"), 1024, 1 << 20, 0, &s->max_header_size},
        {ENV("SLUICE_KEEPALIVE_REQUESTS", "KONG_NGINX_HTTP_KEEPALIVE_REQUESTS"), 1, UINT32_MAX, 2,
         &s->keepalive_requests},
        {ENV("SLUICE_UPSTREAM_KEEPALIVE_POOL_SIZE", "KONG_UPSTREAM_KEEPALIVE_POOL_SIZE"), 0,
         UINT32_MAX, 2, &s->upstream_keepalive_pool_size},
        {ENV("SLUICE_UPSTREAM_KEEPALIVE_MAX_REQUESTS", "KONG_UPSTREAM_KEEPALIVE_MAX_REQUESTS"), 0,
         UINT32_MAX, 2, &s->upstream_keepalive_max_requests},
    };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t x;
        if (!(v = env_first(sizes[i].names, &name)))
            continue;
        if (sl_settings_parse_size(v, &x) != 0 || x < sizes[i].min || x > sizes[i].max) {
            snprintf(err, sizeof(err), "expected a size between %llu and %llu (k/m suffixes)",
                     (unsigned long long)sizes[i].min, (unsigned long long)sizes[i].max);
            goto bad;
        }
        if (sizes[i].kind == 0)
            *(size_t *)sizes[i].p = (size_t)x;
        else if (sizes[i].kind == 1)
            *(uint64_t *)sizes[i].p = x;
        else
            *(uint32_t *)sizes[i].p = (uint32_t)x;
    }
    if (s->max_request_line > s->max_header_size)
        s->max_request_line = s->max_header_size;

    /* Kong's nginx_events_worker_connections: "auto" (the default) or a count */
    if ((v = env_first(ENV("SLUICE_WORKER_CONNECTIONS", "KONG_NGINX_EVENTS_WORKER_CONNECTIONS"),
                       &name))) {
        uint64_t x;
        if (strcmp(v, "auto") == 0) {
            s->worker_connections = 0;
        } else if (sl_settings_parse_size(v, &x) != 0 || x < 1 || x > (1u << 24)) {
            snprintf(err, sizeof(err), "expected auto or a number between 1 and %u", 1u << 24);
            goto bad;
        } else {
            s->worker_connections = (uint32_t)x;
        }
    }
    return 0;

bad:
    fprintf(stderr, "sluice: %s='%s': %s\n", name, v, err);
    return -1;
}
