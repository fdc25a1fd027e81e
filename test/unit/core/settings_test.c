/* Unit tests for core/settings.c: listen syntax, sizes, durations, Kong's headers list and
 * the environment aliases. */
#include "core/settings.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "test.h"

static void test_listen(void)
{
    sl_listen_t l[SL_MAX_LISTENERS];
    char err[160];
    CHECK_EQ_INT(sl_settings_parse_listen("0.0.0.0:8000 reuseport backlog=16384, [::1]:8001",
                                          l, SL_MAX_LISTENERS, err, sizeof(err)),
                 2);
    CHECK_EQ_INT(l[0].addr.ss_family, AF_INET);
    CHECK_EQ_INT(ntohs(((struct sockaddr_in *)&l[0].addr)->sin_port), 8000);
    CHECK_EQ_INT(l[0].backlog, 16384);
    CHECK_EQ_INT(l[1].addr.ss_family, AF_INET6);
    CHECK_EQ_INT(sl_settings_parse_listen("off", l, SL_MAX_LISTENERS, err, sizeof(err)), 0);
    CHECK_EQ_INT(sl_settings_parse_listen("127.0.0.1:8443 ssl", l, SL_MAX_LISTENERS, err,
                                          sizeof(err)),
                 -1);
    CHECK(strstr(err, "not supported") != NULL);
    CHECK_EQ_INT(sl_settings_parse_listen("127.0.0.1", l, SL_MAX_LISTENERS, err, sizeof(err)), -1);
    CHECK_EQ_INT(sl_settings_parse_listen("1.2.3.4:70000", l, SL_MAX_LISTENERS, err, sizeof(err)),
                 -1);
    CHECK_EQ_INT(sl_settings_parse_listen("host.example:80", l, SL_MAX_LISTENERS, err,
                                          sizeof(err)),
                 -1);
    CHECK_EQ_INT(sl_settings_parse_listen("127.0.0.1:1 bogus", l, SL_MAX_LISTENERS, err,
                                          sizeof(err)),
                 -1);
}

static void test_units(void)
{
    uint64_t v;
    uint32_t ms;
    CHECK(sl_settings_parse_size("8k", &v) == 0 && v == 8192);
    CHECK(sl_settings_parse_size("1m", &v) == 0 && v == 1048576);
    CHECK(sl_settings_parse_size("0", &v) == 0 && v == 0);
    CHECK(sl_settings_parse_size("1x", &v) == -1);
    CHECK(sl_settings_parse_size("", &v) == -1);
    CHECK(sl_settings_parse_duration_ms("60s", &ms) == 0 && ms == 60000);
    CHECK(sl_settings_parse_duration_ms("500ms", &ms) == 0 && ms == 500);
    CHECK(sl_settings_parse_duration_ms("2m", &ms) == 0 && ms == 120000);
    CHECK(sl_settings_parse_duration_ms("7", &ms) == 0 && ms == 7000);
    CHECK(sl_settings_parse_duration_ms("1d", &ms) == -1);
}

static void test_headers(void)
{
    unsigned h;
    CHECK(sl_settings_parse_headers("off", &h) == 0 && h == 0);
    CHECK(sl_settings_parse_headers("server_tokens", &h) == 0 && h == (SL_HDR_SERVER | SL_HDR_VIA));
    CHECK(sl_settings_parse_headers("latency_tokens, X-Kong-Request-Id", &h) == 0);
    CHECK(h & SL_HDR_PROXY_LATENCY);
    CHECK(h & SL_HDR_REQUEST_ID);
    CHECK(!(h & SL_HDR_SERVER));
    CHECK(sl_settings_parse_headers("X-Nope", &h) == -1);
}

static void test_env(void)
{
    sl_settings_t s;
    sl_settings_defaults(&s);
    CHECK_EQ_INT(s.n_proxy, 1);
    CHECK_EQ_INT(s.max_request_line, 8192);
    setenv("KONG_DECLARATIVE_CONFIG", "/tmp/kong.yml", 1);
    setenv("KONG_PROXY_LISTEN", "127.0.0.1:9000, 127.0.0.1:9001", 1);
    setenv("KONG_NGINX_WORKER_PROCESSES", "3", 1);
    setenv("KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE", "10k", 1);
    setenv("SLUICE_KEEPALIVE_TIMEOUT", "5s", 1);
    setenv("KONG_HEADERS", "off", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), 0);
    CHECK_EQ_STR(s.config_path, "/tmp/kong.yml");
    CHECK_EQ_INT(s.n_proxy, 2);
    CHECK_EQ_INT(s.workers, 3);
    CHECK_EQ_INT(s.max_body_size, 10240);
    CHECK_EQ_INT(s.keepalive_timeout_ms, 5000);
    CHECK_EQ_INT(s.headers, 0);
    /* the sluice name wins over Kong's */
    setenv("SLUICE_WORKERS", "2", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), 0);
    CHECK_EQ_INT(s.workers, 2);
    setenv("SLUICE_WORKERS", "zero", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), -1);
    unsetenv("SLUICE_WORKERS");
}

static void test_trusted_ips(void)
{
    sl_cidr_t *v;
    size_t n;
    char err[160];
    CHECK_EQ_INT(sl_settings_parse_trusted_ips("0.0.0.0/0,::/0", &v, &n, err, sizeof(err)), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(v[0].net.family, SL_IP_V4);
    CHECK_EQ_INT(v[1].net.family, SL_IP_V6);
    free(v);
    CHECK_EQ_INT(sl_settings_parse_trusted_ips(" 10.0.0.0/8 , 192.0.2.1,", &v, &n, err,
                                               sizeof(err)),
                 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(v[1].bits, 32);
    free(v);
    CHECK_EQ_INT(sl_settings_parse_trusted_ips("", &v, &n, err, sizeof(err)), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(v == NULL);
    CHECK_EQ_INT(sl_settings_parse_trusted_ips("10.0.0.0/8, nope", &v, &n, err, sizeof(err)),
                 -1);
    CHECK(strstr(err, "'nope' is not an IP address or CIDR range") != NULL);
    CHECK_EQ_INT(sl_settings_parse_trusted_ips("unix:", &v, &n, err, sizeof(err)), -1);
    CHECK(strstr(err, "unix") != NULL);

    sl_settings_t s;
    sl_settings_defaults(&s);
    CHECK_EQ_STR(s.real_ip_header, "X-Real-IP");
    CHECK(!s.real_ip_recursive);
    CHECK_EQ_INT(s.n_trusted_ips, 0);
    setenv("KONG_TRUSTED_IPS", "127.0.0.1, ::1", 1);
    setenv("KONG_REAL_IP_HEADER", "X-Forwarded-For", 1);
    setenv("KONG_REAL_IP_RECURSIVE", "on", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), 0);
    CHECK_EQ_INT(s.n_trusted_ips, 2);
    CHECK_EQ_STR(s.real_ip_header, "X-Forwarded-For");
    CHECK(s.real_ip_recursive);
    setenv("KONG_REAL_IP_HEADER", "proxy_protocol", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), -1);
    setenv("KONG_REAL_IP_HEADER", "Bad Header", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), -1);
    unsetenv("KONG_REAL_IP_HEADER");
    setenv("KONG_REAL_IP_RECURSIVE", "yes", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), -1);
    unsetenv("KONG_REAL_IP_RECURSIVE");
    setenv("KONG_TRUSTED_IPS", "1.2.3.4/33", 1);
    CHECK_EQ_INT(sl_settings_from_env(&s), -1);
    unsetenv("KONG_TRUSTED_IPS");
    sl_settings_free(&s);
}

int main(void)
{
    test_listen();
    test_units();
    test_headers();
    test_env();
    test_trusted_ips();
    TEST_MAIN_END();
}
