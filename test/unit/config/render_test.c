/*
 * Admin JSON rendering tests: every schema field present with nulls for unset values,
 * foreign keys as {"id": ...}, list envelopes in config order, nested lists, lookup by id and
 * by endpoint key, the upstream health view, and that no secret (certificate keys, credential
 * keys, passwords, jwt secrets) appears in any output. Plugins resolve through a test
 * lookup, as in config_test.c, apart from the shipped plugins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config/render.h"
#include "config/diag.h"
#include "config/load.h"
#include "config/loader.h"
#include "plugin/plugin.h"
#include "test.h"

#define LOADED_AT 1700000000

static void *test_parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    return sl_arena_calloc(arena, 1, sizeof(int));
}

static const sl_plugin_desc_t test_plugin = {
    .name = "test-plugin", .priority = 1000, .version = "1.0", .parse = test_parse,
};

static bool test_lookup(const char *name, sl_plugin_ref_t *out)
{
    if (strcmp(name, test_plugin.name) != 0)
        return false;
    sl_plugin_ref(&test_plugin, out);
    return true;
}

static const char *const CONFIG_TEXT =
    "_format_version: \"3.0\"\n"
    "services:\n"
    "  - name: svc-a\n"
    "    url: http://backend:8080/base\n"
    "    tags: [t1, t2]\n"
    "    routes:\n"
    "      - name: r1\n"
    "        paths: [/a]\n"
    "        methods: [GET]\n"
    "        headers: {x-v: [\"1\", \"2\"]}\n"
    "        plugins:\n"
    "          - name: test-plugin\n"
    "            config: {limit: 5}\n"
    "      - name: r2\n"
    "        hosts: [example.com]\n"
    "  - name: svc-b\n"
    "    host: 10.0.0.1\n"
    "    port: 81\n"
    "routes:\n"
    "  - name: r3\n"
    "    service: svc-b\n"
    "    paths: [/b]\n"
    "    protocols: [https]\n"
    "    path_handling: v1\n"
    "upstreams:\n"
    "  - name: backend\n"
    "    targets:\n"
    "      - target: 10.0.0.2:8080\n"
    "        weight: 50\n"
    "      - target: host.internal:9000\n"
    "  - name: other\n"
    "    slots: 20\n"
    "    host_header: other.internal\n"
    "    use_srv_name: true\n"
    "    tags: [x]\n"
    "    targets:\n"
    "      - target: 10.0.0.3:80\n"
    "consumers:\n"
    "  - username: alice\n"
    "    custom_id: a-1\n"
    "    keyauth_credentials: [{key: SECRET-KEY-1}]\n"
    "    basicauth_credentials: [{username: alice, password: SECRET-PASS-1}]\n"
    "    jwt_secrets: [{key: alice-iss, secret: SECRET-JWT-1}]\n"
    "    acls: [{group: gold-group}]\n"
    "  - custom_id: bob\n"
    "plugins:\n"
    "  - name: test-plugin\n"
    "    instance_name: svc-b-plugin\n"
    "    service: svc-b\n"
    "  - name: test-plugin\n"
    "    consumer: alice\n"
    "    protocols: [http]\n"
    "    enabled: false\n";

static sl_config_t *load_text(const char *text)
{
    sl_diag_t d;
    sl_diag_init(&d, "t");
    sl_config_t *cfg = NULL;
    if (sl_loader_load(NULL, text, strlen(text), SL_CONFIG_FMT_YAML, test_lookup, &cfg, &d) != 0)
        sl_diag_print(&d, stderr);
    sl_diag_free(&d);
    return cfg;
}

/* The golden file with every entity, certificates with real keys included. */
static sl_config_t *load_full(void)
{
    const char *dir = getenv("SLUICE_TEST_DATA");
    char path[1024];
    if (dir != NULL) {
        snprintf(path, sizeof(path), "%s/e2e/configs/good/full.yml", dir);
    } else {
        snprintf(path, sizeof(path), "%s", __FILE__);
        char *cut = strstr(path, "unit/config/render_test.c");
        if (cut != NULL)
            snprintf(cut, sizeof(path) - (size_t)(cut - path), "e2e/configs/good/full.yml");
    }
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "skipping full.yml checks: %s not found\n", path);
        return NULL;
    }
    sl_diag_t d;
    sl_diag_init(&d, path);
    sl_config_t *cfg = NULL;
    if (sl_config_load_file(path, sl_plugin_lookup, &cfg, &d) != 0)
        sl_diag_print(&d, stderr);
    sl_diag_free(&d);
    return cfg;
}

/* ---- JSON helpers ---- */

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static bool has_null(const cJSON *o, const char *key)
{
    return cJSON_IsNull(get(o, key));
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -12345;
}

static const char *ref_id(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1)
        return NULL;
    return str(v, "id");
}

static int count_keys(const cJSON *o)
{
    return cJSON_GetArraySize(o);
}

/* Checks that <o> has exactly the keys in <keys> (NULL-terminated). */
static void check_keys(const cJSON *o, const char *const *keys)
{
    int n = 0;
    for (; keys[n] != NULL; n++) {
        if (get(o, keys[n]) == NULL)
            fprintf(stderr, "missing key %s\n", keys[n]);
        CHECK(get(o, keys[n]) != NULL);
    }
    CHECK_EQ_INT(count_keys(o), n);
}

static bool strarray_is(const cJSON *a, const char *const *want)
{
    if (!cJSON_IsArray(a))
        return false;
    int n = 0;
    for (; want[n] != NULL; n++) {
        const cJSON *v = cJSON_GetArrayItem(a, n);
        if (!cJSON_IsString(v) || strcmp(v->valuestring, want[n]) != 0)
            return false;
    }
    return cJSON_GetArraySize(a) == n;
}

static const cJSON *data_item(const cJSON *list, int i)
{
    return cJSON_GetArrayItem(get(list, "data"), i);
}

static int data_len(const cJSON *list)
{
    const cJSON *d = get(list, "data");
    return cJSON_IsArray(d) ? cJSON_GetArraySize(d) : -1;
}

static void check_envelope(const cJSON *list)
{
    CHECK(list != NULL);
    if (list == NULL)
        return;
    CHECK(cJSON_IsArray(get(list, "data")));
    CHECK(has_null(list, "next"));
}

/* ---- tests ---- */

static const char *const entity_names[] = {
    "services", "routes", "upstreams", "targets", "consumers", "plugins", "certificates", "snis",
    NULL,
};

static void test_service(void)
{
    sl_config_t *cfg = load_text(CONFIG_TEXT);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    cJSON *o = sl_entity_json(cfg, "services", cfg->services[0], LOADED_AT);
    static const char *const keys[] = {
        "id", "name", "protocol", "host", "port", "path", "retries", "connect_timeout",
        "write_timeout", "read_timeout", "enabled", "tls_verify", "tls_verify_depth",
        "ca_certificates", "client_certificate", "tags", "created_at", "updated_at", NULL,
    };
    check_keys(o, keys);
    CHECK_EQ_STR(str(o, "id"), cfg->services[0]->id);
    CHECK_EQ_STR(str(o, "name"), "svc-a");
    CHECK_EQ_STR(str(o, "protocol"), "http");
    CHECK_EQ_STR(str(o, "host"), "backend");
    CHECK_EQ_INT(num(o, "port"), 8080);
    CHECK_EQ_STR(str(o, "path"), "/base");
    CHECK_EQ_INT(num(o, "retries"), 5);
    CHECK_EQ_INT(num(o, "connect_timeout"), 60000);
    CHECK_EQ_INT(num(o, "write_timeout"), 60000);
    CHECK_EQ_INT(num(o, "read_timeout"), 60000);
    CHECK(cJSON_IsTrue(get(o, "enabled")));
    CHECK(has_null(o, "tls_verify"));
    CHECK(has_null(o, "tls_verify_depth"));
    CHECK(has_null(o, "ca_certificates"));
    CHECK(has_null(o, "client_certificate"));
    static const char *const tags[] = {"t1", "t2", NULL};
    CHECK(strarray_is(get(o, "tags"), tags));
    CHECK_EQ_INT(num(o, "created_at"), LOADED_AT);
    CHECK_EQ_INT(num(o, "updated_at"), LOADED_AT);
    cJSON_Delete(o);

    /* unset path and tags are null */
    o = sl_entity_json(cfg, "services", cfg->services[1], LOADED_AT);
    CHECK(has_null(o, "path"));
    CHECK(has_null(o, "tags"));
    CHECK_EQ_INT(num(o, "port"), 81);
    cJSON_Delete(o);

    /* unknown entity names, credentials included, and NULL entities give NULL */
    CHECK(sl_entity_json(cfg, "keyauth_credentials", cfg->keyauth_credentials[0],
                               LOADED_AT) == NULL);
    CHECK(sl_entity_json(cfg, "nope", cfg->services[0], LOADED_AT) == NULL);
    CHECK(sl_entity_json(cfg, NULL, cfg->services[0], LOADED_AT) == NULL);
    CHECK(sl_entity_json(cfg, "services", NULL, LOADED_AT) == NULL);
    sl_config_free(cfg);
}

static void test_route(void)
{
    sl_config_t *cfg = load_text(CONFIG_TEXT);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    CHECK_EQ_INT(cfg->n_routes, 3);
    const sl_route_t *r1 = sl_entity_find(cfg, "routes", "r1");
    CHECK(r1 != NULL);
    cJSON *o = sl_entity_json(cfg, "routes", r1, LOADED_AT);
    static const char *const keys[] = {
        "id", "name", "protocols", "methods", "hosts", "paths", "headers", "snis", "sources",
        "destinations", "strip_path", "preserve_host", "regex_priority", "path_handling",
        "https_redirect_status_code", "request_buffering", "response_buffering", "service",
        "tags", "created_at", "updated_at", NULL,
    };
    check_keys(o, keys);
    static const char *const http_https[] = {"http", "https", NULL};
    static const char *const get_only[] = {"GET", NULL};
    static const char *const path_a[] = {"/a", NULL};
    static const char *const one_two[] = {"1", "2", NULL};
    CHECK_EQ_STR(str(o, "name"), "r1");
    CHECK(strarray_is(get(o, "protocols"), http_https));
    CHECK(strarray_is(get(o, "methods"), get_only));
    CHECK(has_null(o, "hosts"));
    CHECK(strarray_is(get(o, "paths"), path_a));
    CHECK(cJSON_IsObject(get(o, "headers")));
    CHECK(strarray_is(get(get(o, "headers"), "x-v"), one_two));
    CHECK(has_null(o, "snis"));
    CHECK(has_null(o, "sources"));
    CHECK(has_null(o, "destinations"));
    CHECK(cJSON_IsTrue(get(o, "strip_path")));
    CHECK(cJSON_IsFalse(get(o, "preserve_host")));
    CHECK_EQ_INT(num(o, "regex_priority"), 0);
    CHECK_EQ_STR(str(o, "path_handling"), "v0");
    CHECK_EQ_INT(num(o, "https_redirect_status_code"), 426);
    CHECK(cJSON_IsTrue(get(o, "request_buffering")));
    CHECK(cJSON_IsTrue(get(o, "response_buffering")));
    CHECK_EQ_STR(ref_id(o, "service"), cfg->services[0]->id);
    CHECK(has_null(o, "tags"));
    cJSON_Delete(o);

    o = sl_entity_json(cfg, "routes", sl_entity_find(cfg, "routes", "r3"), LOADED_AT);
    static const char *const https_only[] = {"https", NULL};
    CHECK(strarray_is(get(o, "protocols"), https_only));
    CHECK(has_null(o, "methods"));
    CHECK(has_null(o, "headers"));
    CHECK_EQ_STR(str(o, "path_handling"), "v1");
    CHECK_EQ_STR(ref_id(o, "service"), cfg->services[1]->id);
    cJSON_Delete(o);
    sl_config_free(cfg);
}

static void test_upstream_and_targets(void)
{
    sl_config_t *cfg = load_text(CONFIG_TEXT);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    const sl_upstream_t *u = sl_entity_find(cfg, "upstreams", "backend");
    CHECK(u != NULL && u == cfg->upstreams[0]);
    cJSON *o = sl_entity_json(cfg, "upstreams", u, LOADED_AT);
    static const char *const keys[] = {
        "id", "name", "algorithm", "hash_on", "hash_fallback", "hash_on_header",
        "hash_fallback_header", "hash_on_cookie", "hash_on_cookie_path", "hash_on_query_arg",
        "hash_fallback_query_arg", "hash_on_uri_capture", "hash_fallback_uri_capture", "slots",
        "host_header", "client_certificate", "use_srv_name", "healthchecks", "tags",
        "created_at", "updated_at", NULL,
    };
    check_keys(o, keys);
    CHECK_EQ_STR(str(o, "algorithm"), "round-robin");
    CHECK_EQ_STR(str(o, "hash_on"), "none");
    CHECK_EQ_STR(str(o, "hash_fallback"), "none");
    CHECK(has_null(o, "hash_on_header"));
    CHECK_EQ_STR(str(o, "hash_on_cookie_path"), "/");
    CHECK_EQ_INT(num(o, "slots"), 10000);
    CHECK(has_null(o, "host_header"));
    CHECK(has_null(o, "client_certificate"));
    CHECK(cJSON_IsFalse(get(o, "use_srv_name")));

    const cJSON *hc = get(o, "healthchecks");
    static const char *const hc_keys[] = {"threshold", "active", "passive", NULL};
    check_keys(hc, hc_keys);
    const cJSON *act = get(hc, "active");
    static const char *const act_keys[] = {
        "type", "timeout", "concurrency", "http_path", "https_sni", "https_verify_certificate",
        "headers", "healthy", "unhealthy", NULL,
    };
    check_keys(act, act_keys);
    CHECK_EQ_STR(str(act, "type"), "http");
    CHECK_EQ_INT(num(act, "timeout"), 1);
    CHECK_EQ_INT(num(act, "concurrency"), 10);
    CHECK_EQ_STR(str(act, "http_path"), "/");
    CHECK(has_null(act, "https_sni"));
    CHECK(cJSON_IsTrue(get(act, "https_verify_certificate")));
    const cJSON *ah = get(act, "healthy");
    CHECK_EQ_INT(num(ah, "interval"), 0);
    CHECK_EQ_INT(num(ah, "successes"), 0);
    CHECK_EQ_INT(cJSON_GetArraySize(get(ah, "http_statuses")), 2);
    CHECK_EQ_INT(cJSON_GetArrayItem(get(ah, "http_statuses"), 1)->valueint, 302);
    const cJSON *au = get(act, "unhealthy");
    static const char *const au_keys[] = {
        "interval", "http_statuses", "tcp_failures", "timeouts", "http_failures", NULL,
    };
    check_keys(au, au_keys);
    CHECK_EQ_INT(cJSON_GetArraySize(get(au, "http_statuses")), 8);
    const cJSON *pas = get(hc, "passive");
    CHECK_EQ_STR(str(pas, "type"), "http");
    CHECK_EQ_INT(cJSON_GetArraySize(get(get(pas, "healthy"), "http_statuses")), 19);
    CHECK_EQ_INT(cJSON_GetArraySize(get(get(pas, "unhealthy"), "http_statuses")), 3);
    static const char *const pu_keys[] = {
        "http_statuses", "tcp_failures", "timeouts", "http_failures", NULL,
    };
    check_keys(get(pas, "unhealthy"), pu_keys);
    CHECK_EQ_INT(num(hc, "threshold"), 0);
    cJSON_Delete(o);

    /* set values replace the defaults */
    o = sl_entity_json(cfg, "upstreams", sl_entity_find(cfg, "upstreams", "other"),
                             LOADED_AT);
    CHECK_EQ_INT(num(o, "slots"), 20);
    CHECK_EQ_STR(str(o, "host_header"), "other.internal");
    CHECK(cJSON_IsTrue(get(o, "use_srv_name")));
    static const char *const x[] = {"x", NULL};
    CHECK(strarray_is(get(o, "tags"), x));
    cJSON_Delete(o);

    /* a target */
    o = sl_entity_json(cfg, "targets", u->targets[0], LOADED_AT);
    static const char *const t_keys[] = {
        "id", "target", "weight", "upstream", "tags", "created_at", "updated_at", NULL,
    };
    check_keys(o, t_keys);
    CHECK_EQ_STR(str(o, "target"), "10.0.0.2:8080");
    CHECK_EQ_INT(num(o, "weight"), 50);
    CHECK_EQ_STR(ref_id(o, "upstream"), u->id);
    cJSON_Delete(o);

    /* /upstreams/backend/targets: its two targets only, in order */
    cJSON *l = sl_entity_children_json(cfg, "upstreams", u, "targets", LOADED_AT);
    check_envelope(l);
    CHECK_EQ_INT(data_len(l), 2);
    CHECK_EQ_STR(str(data_item(l, 0), "target"), "10.0.0.2:8080");
    CHECK_EQ_STR(str(data_item(l, 1), "target"), "host.internal:9000");
    CHECK_EQ_INT(num(data_item(l, 1), "weight"), 100);
    cJSON_Delete(l);

    /* all targets */
    l = sl_entity_list_json(cfg, "targets", LOADED_AT);
    CHECK_EQ_INT(data_len(l), 3);
    cJSON_Delete(l);

    /* health */
    cJSON *h = sl_entity_upstream_health_json(cfg, u, "11111111-2222-4333-8444-555555555555",
                                             LOADED_AT);
    check_envelope(h);
    CHECK_EQ_STR(str(h, "node_id"), "11111111-2222-4333-8444-555555555555");
    CHECK_EQ_INT(data_len(h), 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *t = data_item(h, i);
        CHECK_EQ_STR(str(t, "id"), u->targets[i]->id);
        CHECK_EQ_STR(str(t, "target"), u->targets[i]->target);
        CHECK_EQ_STR(ref_id(t, "upstream"), u->id);
        CHECK_EQ_STR(str(t, "health"), "HEALTHCHECKS_OFF");
        const cJSON *addrs = get(get(t, "data"), "addresses");
        CHECK_EQ_INT(cJSON_GetArraySize(addrs), 1);
        const cJSON *a = cJSON_GetArrayItem(addrs, 0);
        CHECK_EQ_STR(str(a, "health"), "HEALTHCHECKS_OFF");
        CHECK_EQ_INT(num(a, "weight"), i == 0 ? 50 : 100);
        CHECK_EQ_INT(num(a, "port"), i == 0 ? 8080 : 9000);
        CHECK_EQ_STR(str(a, "ip"), i == 0 ? "10.0.0.2" : "host.internal");
    }
    cJSON_Delete(h);
    CHECK(sl_entity_upstream_health_json(cfg, NULL, "x", LOADED_AT) == NULL);
    sl_config_free(cfg);
}

static void test_consumers_and_plugins(void)
{
    sl_config_t *cfg = load_text(CONFIG_TEXT);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    const sl_consumer_t *alice = sl_entity_find(cfg, "consumers", "alice");
    CHECK(alice != NULL);
    cJSON *o = sl_entity_json(cfg, "consumers", alice, LOADED_AT);
    static const char *const c_keys[] = {
        "id", "username", "custom_id", "tags", "created_at", "updated_at", NULL,
    };
    check_keys(o, c_keys);
    CHECK_EQ_STR(str(o, "username"), "alice");
    CHECK_EQ_STR(str(o, "custom_id"), "a-1");
    cJSON_Delete(o);
    o = sl_entity_json(cfg, "consumers", cfg->consumers[1], LOADED_AT);
    CHECK(has_null(o, "username"));
    CHECK_EQ_STR(str(o, "custom_id"), "bob");
    cJSON_Delete(o);

    CHECK_EQ_INT(cfg->n_plugins, 3);
    static const char *const p_keys[] = {
        "id", "name", "instance_name", "route", "service", "consumer", "protocols", "enabled",
        "tags", "config", "created_at", "updated_at", NULL,
    };
    static const char *const default_protos[] = {"grpc", "grpcs", "http", "https", NULL};
    static const char *const http_only[] = {"http", NULL};
    int seen = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const sl_plugin_instance_t *p = cfg->plugins[i];
        o = sl_entity_json(cfg, "plugins", p, LOADED_AT);
        check_keys(o, p_keys);
        CHECK_EQ_STR(str(o, "name"), "test-plugin");
        CHECK(has_null(o, "config"));
        if (p->route != NULL) {
            seen |= 1;
            CHECK_EQ_STR(ref_id(o, "route"), p->route->id);
            CHECK(has_null(o, "service"));
            CHECK(has_null(o, "consumer"));
            CHECK(has_null(o, "instance_name"));
            CHECK(strarray_is(get(o, "protocols"), default_protos));
            CHECK(cJSON_IsTrue(get(o, "enabled")));
        } else if (p->service != NULL) {
            seen |= 2;
            CHECK_EQ_STR(ref_id(o, "service"), cfg->services[1]->id);
            CHECK(has_null(o, "route"));
            CHECK_EQ_STR(str(o, "instance_name"), "svc-b-plugin");
            CHECK(sl_entity_find(cfg, "plugins", "svc-b-plugin") == p);
        } else {
            seen |= 4;
            CHECK_EQ_STR(ref_id(o, "consumer"), alice->id);
            CHECK(strarray_is(get(o, "protocols"), http_only));
            CHECK(cJSON_IsFalse(get(o, "enabled")));
        }
        cJSON_Delete(o);
    }
    CHECK_EQ_INT(seen, 7);

    /* nested plugin lists */
    cJSON *l = sl_entity_children_json(cfg, "consumers", alice, "plugins", LOADED_AT);
    CHECK_EQ_INT(data_len(l), 1);
    cJSON_Delete(l);
    l = sl_entity_children_json(cfg, "routes", sl_entity_find(cfg, "routes", "r1"), "plugins",
                               LOADED_AT);
    CHECK_EQ_INT(data_len(l), 1);
    cJSON_Delete(l);
    l = sl_entity_children_json(cfg, "routes", sl_entity_find(cfg, "routes", "r2"), "plugins",
                               LOADED_AT);
    check_envelope(l);
    CHECK_EQ_INT(data_len(l), 0);
    cJSON_Delete(l);
    sl_config_free(cfg);
}

static void test_lists_and_find(void)
{
    sl_config_t *cfg = load_text(CONFIG_TEXT);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    /* config order */
    cJSON *l = sl_entity_list_json(cfg, "services", LOADED_AT);
    check_envelope(l);
    CHECK_EQ_INT(count_keys(l), 2);
    CHECK_EQ_INT(data_len(l), 2);
    CHECK_EQ_STR(str(data_item(l, 0), "name"), "svc-a");
    CHECK_EQ_STR(str(data_item(l, 1), "name"), "svc-b");
    cJSON_Delete(l);
    l = sl_entity_list_json(cfg, "routes", LOADED_AT);
    CHECK_EQ_INT(data_len(l), 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_STR(str(data_item(l, i), "id"), cfg->routes[i]->id);
    cJSON_Delete(l);

    /* every known entity has a list, empty ones included */
    for (int i = 0; entity_names[i] != NULL; i++) {
        l = sl_entity_list_json(cfg, entity_names[i], LOADED_AT);
        check_envelope(l);
        cJSON_Delete(l);
    }
    l = sl_entity_list_json(cfg, "certificates", LOADED_AT);
    CHECK_EQ_INT(data_len(l), 0);
    cJSON_Delete(l);

    /* unknown entities and credentials are not listed */
    static const char *const unlisted[] = {
        "keyauth_credentials", "basicauth_credentials", "jwt_secrets", "acls",
        "ca_certificates", "workspaces", "", "service", NULL,
    };
    for (int i = 0; unlisted[i] != NULL; i++)
        CHECK(sl_entity_list_json(cfg, unlisted[i], LOADED_AT) == NULL);
    CHECK(sl_entity_list_json(cfg, NULL, LOADED_AT) == NULL);

    /* /services/{s}/routes */
    l = sl_entity_children_json(cfg, "services", cfg->services[0], "routes", LOADED_AT);
    check_envelope(l);
    CHECK_EQ_INT(data_len(l), 2);
    CHECK_EQ_STR(str(data_item(l, 0), "name"), "r1");
    CHECK_EQ_STR(str(data_item(l, 1), "name"), "r2");
    cJSON_Delete(l);
    l = sl_entity_children_json(cfg, "services", cfg->services[1], "routes", LOADED_AT);
    CHECK_EQ_INT(data_len(l), 1);
    CHECK_EQ_STR(str(data_item(l, 0), "name"), "r3");
    cJSON_Delete(l);
    l = sl_entity_children_json(cfg, "services", cfg->services[1], "plugins", LOADED_AT);
    CHECK_EQ_INT(data_len(l), 1);
    cJSON_Delete(l);
    /* pairs that are not nested endpoints */
    CHECK(sl_entity_children_json(cfg, "routes", cfg->routes[0], "services", LOADED_AT) == NULL);
    CHECK(sl_entity_children_json(cfg, "services", cfg->services[0], "targets", LOADED_AT) ==
          NULL);
    CHECK(sl_entity_children_json(cfg, "services", NULL, "routes", LOADED_AT) == NULL);
    CHECK(sl_entity_children_json(cfg, "nope", cfg->services[0], "routes", LOADED_AT) == NULL);

    /* find by id and by endpoint key */
    CHECK(sl_entity_find(cfg, "services", "svc-b") == cfg->services[1]);
    CHECK(sl_entity_find(cfg, "services", cfg->services[1]->id) == cfg->services[1]);
    CHECK(sl_entity_find(cfg, "routes", "r2") == cfg->routes[1]);
    CHECK(sl_entity_find(cfg, "routes", cfg->routes[2]->id) == cfg->routes[2]);
    CHECK(sl_entity_find(cfg, "upstreams", cfg->upstreams[1]->id) == cfg->upstreams[1]);
    CHECK(sl_entity_find(cfg, "consumers", "alice") == cfg->consumers[0]);
    CHECK(sl_entity_find(cfg, "consumers", cfg->consumers[1]->id) == cfg->consumers[1]);
    CHECK(sl_entity_find(cfg, "targets", cfg->targets[2]->id) == cfg->targets[2]);
    CHECK(sl_entity_find(cfg, "plugins", cfg->plugins[0]->id) == cfg->plugins[0]);
    /* absent, wrong kind, custom_id is not an endpoint key, credentials are not found */
    CHECK(sl_entity_find(cfg, "services", "nope") == NULL);
    CHECK(sl_entity_find(cfg, "services", "r1") == NULL);
    CHECK(sl_entity_find(cfg, "routes", cfg->services[0]->id) == NULL);
    CHECK(sl_entity_find(cfg, "consumers", "bob") == NULL);
    CHECK(sl_entity_find(cfg, "targets", "10.0.0.2:8080") == NULL);
    CHECK(sl_entity_find(cfg, "keyauth_credentials", cfg->keyauth_credentials[0]->id) == NULL);
    CHECK(sl_entity_find(cfg, "nope", "svc-a") == NULL);
    CHECK(sl_entity_find(cfg, "services", NULL) == NULL);
    CHECK(sl_entity_find(cfg, "services", "") == NULL);
    sl_config_free(cfg);
}

static void test_certificates(void)
{
    sl_config_t *cfg = load_full();
    if (cfg == NULL)
        return;
    const sl_certificate_t *c = cfg->certificates[0];
    cJSON *o = sl_entity_json(cfg, "certificates", c, LOADED_AT);
    static const char *const keys[] = {
        "id", "cert", "cert_alt", "snis", "tags", "created_at", "updated_at", NULL,
    };
    check_keys(o, keys);
    CHECK(get(o, "key") == NULL);
    CHECK(get(o, "key_alt") == NULL);
    CHECK_EQ_STR(str(o, "cert"), c->cert);
    CHECK_EQ_STR(str(o, "cert_alt"), c->cert_alt);
    static const char *const names[] = {"example.com", "*.example.com", NULL};
    CHECK(strarray_is(get(o, "snis"), names));
    cJSON_Delete(o);

    o = sl_entity_json(cfg, "snis", cfg->snis[1], LOADED_AT);
    static const char *const sni_keys[] = {
        "id", "name", "certificate", "tags", "created_at", "updated_at", NULL,
    };
    check_keys(o, sni_keys);
    CHECK_EQ_STR(str(o, "name"), "*.example.com");
    CHECK_EQ_STR(ref_id(o, "certificate"), c->id);
    cJSON_Delete(o);

    /* by id, and by the name of one of its SNIs */
    CHECK(sl_entity_find(cfg, "certificates", c->id) == c);
    CHECK(sl_entity_find(cfg, "certificates", "*.example.com") == c);
    CHECK(sl_entity_find(cfg, "certificates", "other.example.com") == NULL);
    CHECK(sl_entity_find(cfg, "snis", "example.com") == cfg->snis[0]);

    cJSON *l = sl_entity_children_json(cfg, "certificates", c, "snis", LOADED_AT);
    CHECK_EQ_INT(data_len(l), 2);
    cJSON_Delete(l);

    /* an upstream with configured healthcheck values shows them */
    o = sl_entity_json(cfg, "upstreams", cfg->upstreams[0], LOADED_AT);
    const cJSON *hc = get(o, "healthchecks");
    CHECK_EQ_INT(num(hc, "threshold"), 25);
    CHECK_EQ_STR(str(get(hc, "active"), "http_path"), "/health");
    CHECK_EQ_INT(num(get(get(hc, "active"), "healthy"), "successes"), 2);
    CHECK_EQ_STR(str(o, "host_header"), "orders.internal");
    CHECK_EQ_INT(num(o, "slots"), 1000);
    cJSON_Delete(o);

    /* IPv6 target: the address without brackets */
    cJSON *h = sl_entity_upstream_health_json(cfg, cfg->upstreams[0], "n", LOADED_AT);
    CHECK_EQ_INT(data_len(h), 4);
    const cJSON *a = cJSON_GetArrayItem(get(get(data_item(h, 2), "data"), "addresses"), 0);
    CHECK_EQ_STR(str(a, "ip"), "2001:db8::1");
    cJSON_Delete(h);
    sl_config_free(cfg);
}

/* Appends the text of <o> (may be NULL) to <acc>; frees <o>. */
static char *append_json(char *acc, cJSON *o)
{
    if (o == NULL)
        return acc;
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t a = acc ? strlen(acc) : 0, b = strlen(s);
    acc = realloc(acc, a + b + 2);
    memcpy(acc + a, s, b);
    acc[a + b] = '\n';
    acc[a + b + 1] = '\0';
    free(s);
    return acc;
}

/* Everything the renderer can show for <cfg>: every list, every entity, every nested list and
 * every upstream's health. */
static char *render_everything(const sl_config_t *cfg)
{
    char *all = NULL;
    for (int k = 0; entity_names[k] != NULL; k++) {
        all = append_json(all, sl_entity_list_json(cfg, entity_names[k], LOADED_AT));
        cJSON *l = sl_entity_list_json(cfg, entity_names[k], LOADED_AT);
        cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "data")) {
            const void *e = sl_entity_find(cfg, entity_names[k], str(it, "id"));
            CHECK(e != NULL);
            all = append_json(all, sl_entity_json(cfg, entity_names[k], e, LOADED_AT));
            for (int c = 0; entity_names[c] != NULL; c++)
                all = append_json(all, sl_entity_children_json(cfg, entity_names[k], e,
                                                              entity_names[c], LOADED_AT));
        }
        cJSON_Delete(l);
    }
    for (size_t i = 0; i < cfg->n_upstreams; i++)
        all = append_json(all, sl_entity_upstream_health_json(cfg, cfg->upstreams[i], "n",
                                                             LOADED_AT));
    return all;
}

static void test_no_secrets(void)
{
    sl_config_t *cfg = load_text(CONFIG_TEXT);
    CHECK(cfg != NULL);
    if (cfg != NULL) {
        char *all = render_everything(cfg);
        CHECK(all != NULL);
        CHECK(strstr(all, "SECRET-") == NULL);
        CHECK(strstr(all, cfg->basicauth_credentials[0]->password_hash) == NULL);
        CHECK(strstr(all, "gold-group") == NULL);
        CHECK(strstr(all, cfg->keyauth_credentials[0]->id) == NULL);
        CHECK(strstr(all, "svc-b-plugin") != NULL); /* the walk did reach the plugins */
        free(all);
        sl_config_free(cfg);
    }

    cfg = load_full();
    if (cfg == NULL)
        return;
    char *all = render_everything(cfg);
    CHECK(all != NULL);
    CHECK(strstr(all, "PRIVATE KEY") == NULL);
    CHECK(strstr(all, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCpiW0ci85tCw") == NULL);
    CHECK(strstr(all, "\"key\"") == NULL);
    CHECK(strstr(all, "\"key_alt\"") == NULL);
    CHECK(strstr(all, "alice-key") == NULL);
    CHECK(strstr(all, "hunter2") == NULL);
    CHECK(strstr(all, cfg->basicauth_credentials[0]->password_hash) == NULL);
    CHECK(strstr(all, "alice-secret") == NULL);
    CHECK(strstr(all, "BEGIN CERTIFICATE") != NULL); /* certs are public and shown */
    free(all);
    sl_config_free(cfg);
}

int main(void)
{
    test_service();
    test_route();
    test_upstream_and_targets();
    test_consumers_and_plugins();
    test_lists_and_find();
    test_certificates();
    test_no_secrets();
    TEST_MAIN_END();
}
