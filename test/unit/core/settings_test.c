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

int main(void)
{
    test_listen();
    test_units();
    test_headers();
    test_env();
    TEST_MAIN_END();
}
