/*
 * Config loader tests: good files (every entity, nested vs flat, defaults, url expansion,
 * legacy path migration, JSON vs YAML, hash, derived ids) and bad inputs with their exact
 * `LINE:COL: message` output. Plugins are resolved through a test lookup so that plugin
 * scoping is checked apart from the shipped plugins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/diag.h"
#include "config/json.h"
#include "config/load.h"
#include "config/loader.h"
#include "config/node.h"
#include "config/uuid.h"
#include "plugin/plugin.h"
#include "test.h"

/* ---- a test plugin registry ---- */

static int parse_calls;

static void *test_parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    parse_calls++;
    const sl_node_t *limit = sl_node_map_get(config, "limit");
    if (limit != NULL && sl_node_str(limit) != NULL) {
        sl_diag_add(diag, limit->line, limit->col, "expected a number");
        return NULL;
    }
    int *conf = sl_arena_calloc(arena, 1, sizeof(int));
    int64_t v = 0;
    if (limit != NULL)
        sl_node_int(limit, &v);
    *conf = (int)v;
    return conf;
}

static const sl_plugin_desc_t test_plugin = {
    .name = "test-plugin", .priority = 1000, .version = "1.0", .parse = test_parse,
};
static const sl_plugin_desc_t other_plugin = {
    .name = "other-plugin", .priority = 10, .version = "1.0", .parse = test_parse,
};

static const sl_plugin_desc_t *test_find(const char *name)
{
    if (strcmp(name, test_plugin.name) == 0)
        return &test_plugin;
    if (strcmp(name, other_plugin.name) == 0)
        return &other_plugin;
    return NULL;
}

static bool test_lookup(const char *name, sl_plugin_ref_t *out)
{
    const sl_plugin_desc_t *d = test_find(name);
    if (d == NULL)
        return false;
    sl_plugin_ref(d, out);
    return true;
}

/* ---- helpers ---- */

static char *diag_text(sl_diag_t *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sl_diag_print(d, f);
    fclose(f);
    return buf;
}

static sl_config_t *load_fmt(const char *text, sl_config_fmt_t fmt)
{
    sl_diag_t d;
    sl_diag_init(&d, "t");
    sl_config_t *cfg = NULL;
    int rc = sl_loader_load(NULL, text, strlen(text), fmt, test_lookup, &cfg, &d);
    if (rc != 0) {
        char *out = diag_text(&d);
        fprintf(stderr, "unexpected load failure:\n%s", out);
        free(out);
    }
    sl_diag_free(&d);
    return cfg;
}

static sl_config_t *load_yaml(const char *text)
{
    return load_fmt(text, SL_CONFIG_FMT_YAML);
}

/* Loads <text> expecting failure, and compares the printed errors (file name "t") with
 * <expected>. */
#define CHECK_ERRORS(text, fmt, expected)                                                          \
    do {                                                                                           \
        sl_diag_t _d;                                                                              \
        sl_diag_init(&_d, "t");                                                                    \
        sl_config_t *_cfg = NULL;                                                                  \
        int _rc = sl_loader_load(NULL, (text), strlen(text), (fmt), test_lookup, &_cfg, &_d);        \
        CHECK(_rc != 0);                                                                           \
        CHECK(_cfg == NULL);                                                                       \
        char *_out = diag_text(&_d);                                                               \
        CHECK_EQ_STR(_out, (expected));                                                            \
        free(_out);                                                                                \
        sl_config_free(_cfg);                                                                      \
        sl_diag_free(&_d);                                                                         \
    } while (0)

#define CHECK_YAML_ERRORS(text, expected) CHECK_ERRORS(text, SL_CONFIG_FMT_YAML, expected)

static const char *derived(const char *table, const char *key)
{
    static char buf[4][37];
    static int i;
    i = (i + 1) % 4;
    sl_uuid_entity(table, key, buf[i]);
    return buf[i];
}

/* ---- good files ---- */

static const char *const kong_example =
    "_format_version: \"3.0\"\n"
    "services:\n"
    "  - name: orders\n"
    "    url: http://orders-up:8080/api\n"
    "    retries: 3\n"
    "    routes:\n"
    "      - name: orders-route\n"
    "        paths: [\"/orders\", \"~/v[0-9]+/orders$\"]\n"
    "        methods: [GET, POST]\n"
    "        strip_path: true\n"
    "        plugins:\n"
    "          - name: test-plugin\n"
    "            config: { limit: 60 }\n"
    "    plugins:\n"
    "      - name: other-plugin\n"
    "upstreams:\n"
    "  - name: orders-up\n"
    "    targets:\n"
    "      - { target: \"10.0.0.11:8080\", weight: 50 }\n"
    "      - { target: \"10.0.0.12:8080\" }\n"
    "consumers:\n"
    "  - username: alice\n"
    "    keyauth_credentials: [{ key: alice-key }]\n"
    "    basicauth_credentials: [{ username: alice, password: secret }]\n"
    "    jwt_secrets: [{ key: alice-iss, secret: s3cr3t }]\n"
    "    acls: [{ group: gold }]\n"
    "plugins:\n"
    "  - name: test-plugin\n";

static void test_kong_example(void)
{
    parse_calls = 0;
    sl_config_t *cfg = load_yaml(kong_example);
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    CHECK_EQ_INT(parse_calls, 3);
    CHECK_EQ_INT(cfg->n_services, 1);
    CHECK_EQ_INT(cfg->n_routes, 1);
    CHECK_EQ_INT(cfg->n_upstreams, 1);
    CHECK_EQ_INT(cfg->n_targets, 2);
    CHECK_EQ_INT(cfg->n_consumers, 1);
    CHECK_EQ_INT(cfg->n_plugins, 3);
    CHECK_EQ_STR(cfg->format_version, "3.0");
    CHECK(cfg->transform);

    sl_service_t *s = cfg->services[0];
    CHECK_EQ_STR(s->name, "orders");
    CHECK_EQ_STR(s->id, "580c8aca-d632-5804-b307-a24326e1e2d5");
    CHECK_EQ_INT(s->protocol, SL_PROTO_HTTP);
    CHECK_EQ_STR(s->host, "orders-up");
    CHECK_EQ_INT(s->port, 8080);
    CHECK_EQ_STR(s->path, "/api");
    CHECK_EQ_INT(s->retries, 3);
    CHECK_EQ_INT(s->connect_timeout_ms, 60000);
    CHECK_EQ_INT(s->read_timeout_ms, 60000);
    CHECK_EQ_INT(s->write_timeout_ms, 60000);
    CHECK(s->enabled);
    CHECK(s->upstream == cfg->upstreams[0]);
    CHECK_EQ_INT(s->pos.line, 3);
    CHECK_EQ_INT(s->pos.col, 5);

    sl_route_t *r = cfg->routes[0];
    CHECK(r->service == s);
    CHECK_EQ_STR(r->id, "4b978d57-df71-51a2-950f-e926c640e159");
    CHECK_EQ_INT(r->paths.n, 2);
    CHECK_EQ_STR(r->paths.v[0], "/orders");
    CHECK_EQ_STR(r->paths.v[1], "~/v[0-9]+/orders$");
    CHECK_EQ_INT(r->methods.n, 2);
    CHECK_EQ_STR(r->methods.v[1], "POST");
    CHECK_EQ_INT(r->protocols, SL_PROTO_HTTP | SL_PROTO_HTTPS);

    sl_upstream_t *u = cfg->upstreams[0];
    CHECK_EQ_STR(u->id, "2568aedf-4971-5ee8-a406-e2f385e0e149");
    CHECK_EQ_INT(u->n_targets, 2);
    CHECK(u->targets[0] == cfg->targets[0]);
    CHECK_EQ_STR(cfg->targets[0]->host, "10.0.0.11");
    CHECK_EQ_INT(cfg->targets[0]->port, 8080);
    CHECK_EQ_INT(cfg->targets[0]->weight, 50);
    CHECK_EQ_INT(cfg->targets[1]->weight, 100);
    CHECK_EQ_STR(cfg->targets[0]->id, "9174e5c5-41fe-5e36-98e2-61a08a9d986a");

    sl_consumer_t *c = cfg->consumers[0];
    CHECK_EQ_STR(c->id, "b32379d9-3d28-5683-a79c-72139be6e34f");
    CHECK_EQ_INT(cfg->n_keyauth_credentials, 1);
    CHECK(cfg->keyauth_credentials[0]->consumer == c);
    CHECK_EQ_STR(cfg->keyauth_credentials[0]->key, "alice-key");
    CHECK(cfg->basicauth_credentials[0]->consumer == c);
    /* sha1_hex("secret" .. consumer id) */
    CHECK_EQ_STR(cfg->basicauth_credentials[0]->password_hash,
                 "3871dc59ef495b47270e3209dca80899e81de3b4");
    CHECK_EQ_STR(cfg->jwt_secrets[0]->algorithm, "HS256");
    CHECK_EQ_STR(cfg->jwt_secrets[0]->secret, "s3cr3t");
    CHECK_EQ_STR(cfg->acls[0]->group, "gold");
    CHECK_EQ_STR(cfg->acls[0]->id, "44ba2b41-bb53-5fbb-a809-f2ba8cc37f0c");

    /* plugins: route-scoped (nested in a route nested in a service), service-scoped,
     * global; in document order of the walk */
    int found = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        sl_plugin_instance_t *p = cfg->plugins[i];
        CHECK(p->enabled);
        CHECK_EQ_INT(p->protocols,
                     SL_PROTO_GRPC | SL_PROTO_GRPCS | SL_PROTO_HTTP | SL_PROTO_HTTPS);
        if (p->route == r) {
            CHECK(p->service == NULL && p->consumer == NULL);
            CHECK(p->desc == &test_plugin);
            CHECK_EQ_INT(*(int *)p->conf, 60);
            found |= 1;
        } else if (p->service == s) {
            CHECK(p->route == NULL && p->consumer == NULL);
            CHECK_EQ_STR(p->name, "other-plugin");
            CHECK_EQ_STR(p->id, derived("plugins", "plugins:*:other-plugin::"
                                                   "580c8aca-d632-5804-b307-a24326e1e2d5:"));
            found |= 2;
        } else {
            CHECK(p->route == NULL && p->service == NULL && p->consumer == NULL);
            CHECK_EQ_STR(p->id, derived("plugins", "plugins:*:test-plugin:::"));
            found |= 4;
        }
    }
    CHECK_EQ_INT(found, 7);
    CHECK_EQ_INT(strlen(cfg->hash), 32);
    sl_config_free(cfg);
}

static void test_defaults(void)
{
    sl_config_t *cfg = load_yaml("_format_version: \"3.0\"\n"
                                 "services:\n"
                                 "  - host: example.com\n"
                                 "    routes:\n"
                                 "      - hosts: [example.com]\n"
                                 "upstreams:\n"
                                 "  - name: up\n"
                                 "    targets: [{target: a.example}]\n");
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    sl_service_t *s = cfg->services[0];
    CHECK(s->name == NULL);
    CHECK_EQ_INT(s->protocol, SL_PROTO_HTTP);
    CHECK_EQ_INT(s->port, 80);
    CHECK(s->path == NULL);
    CHECK_EQ_INT(s->retries, 5);
    CHECK_EQ_INT(s->connect_timeout_ms, 60000);
    CHECK(s->enabled);
    CHECK(s->upstream == NULL);
    CHECK_EQ_INT(strlen(s->id), 36);
    CHECK(s->id[14] == '4'); /* random v4: no name to derive from */

    sl_route_t *r = cfg->routes[0];
    CHECK(r->strip_path);
    CHECK(!r->preserve_host);
    CHECK(r->request_buffering);
    CHECK(r->response_buffering);
    CHECK_EQ_INT(r->regex_priority, 0);
    CHECK_EQ_INT(r->path_handling, 0);
    CHECK_EQ_INT(r->https_redirect_status_code, 426);
    CHECK_EQ_INT(r->protocols, SL_PROTO_HTTP | SL_PROTO_HTTPS);
    CHECK_EQ_INT(r->paths.n, 0);
    CHECK(r->service == s);

    sl_upstream_t *u = cfg->upstreams[0];
    CHECK_EQ_INT(u->algorithm, SL_LB_ROUND_ROBIN);
    CHECK_EQ_STR(u->hash_on, "none");
    CHECK_EQ_STR(u->hash_fallback, "none");
    CHECK_EQ_STR(u->hash_on_cookie_path, "/");
    CHECK_EQ_INT(u->slots, 10000);
    CHECK(!u->use_srv_name);
    CHECK(u->host_header == NULL);
    const sl_healthchecks_t *h = &u->healthchecks;
    CHECK(!h->enabled);
    CHECK_EQ_STR(h->active.type, "http");
    CHECK_EQ_INT(h->active.timeout_s, 1);
    CHECK_EQ_INT(h->active.concurrency, 10);
    CHECK_EQ_STR(h->active.http_path, "/");
    CHECK(h->active.https_sni == NULL);
    CHECK(h->active.https_verify_certificate);
    CHECK_EQ_INT(h->active.healthy.interval_s, 0);
    CHECK_EQ_INT(h->active.healthy.n_http_statuses, 2);
    CHECK_EQ_INT(h->active.healthy.http_statuses[1], 302);
    CHECK_EQ_INT(h->active.unhealthy.n_http_statuses, 8);
    CHECK_EQ_INT(h->active.unhealthy.http_statuses[0], 429);
    CHECK_EQ_INT(h->active.unhealthy.http_statuses[7], 505);
    CHECK_EQ_STR(h->passive.type, "http");
    CHECK_EQ_INT(h->passive.healthy.n_http_statuses, 19);
    CHECK_EQ_INT(h->passive.healthy.http_statuses[9], 226);
    CHECK_EQ_INT(h->passive.unhealthy.n_http_statuses, 3);
    CHECK_EQ_INT(h->passive.unhealthy.http_statuses[2], 503);
    CHECK(h->threshold == 0);

    sl_target_t *t = cfg->targets[0];
    CHECK_EQ_STR(t->target, "a.example");
    CHECK_EQ_STR(t->host, "a.example");
    CHECK_EQ_INT(t->port, 8000);
    CHECK_EQ_INT(t->weight, 100);
    CHECK(t->upstream == u);
    sl_config_free(cfg);
}

static void test_healthchecks_partial(void)
{
    /* a partial record keeps the defaults of what it does not set */
    sl_config_t *cfg = load_yaml("_format_version: \"3.0\"\n"
                                 "upstreams:\n"
                                 "  - name: up\n"
                                 "    slots: 100\n"
                                 "    healthchecks:\n"
                                 "      active: {http_path: /health, healthy: {successes: 3}}\n"
                                 "      passive: {unhealthy: {http_statuses: [500]}}\n"
                                 "      threshold: 50.5\n");
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    const sl_healthchecks_t *h = &cfg->upstreams[0]->healthchecks;
    CHECK_EQ_INT(cfg->upstreams[0]->slots, 100);
    CHECK_EQ_STR(h->active.http_path, "/health");
    CHECK_EQ_INT(h->active.healthy.successes, 3);
    CHECK_EQ_INT(h->active.healthy.n_http_statuses, 2);
    CHECK_EQ_INT(h->active.concurrency, 10);
    CHECK_EQ_INT(h->passive.unhealthy.n_http_statuses, 1);
    CHECK_EQ_INT(h->passive.unhealthy.http_statuses[0], 500);
    CHECK_EQ_INT(h->passive.healthy.n_http_statuses, 19);
    CHECK(h->threshold == 50.5);
    CHECK(!h->enabled);
    sl_config_free(cfg);
}

static void test_url_expansion(void)
{
    static const struct {
        const char *url;
        const char *host;
        int port;
        const char *path;
    } cases[] = {
        {"http://api:3000/v1", "api", 3000, "/v1"},
        {"http://example.com", "example.com", 80, NULL},
        {"http://example.com/", "example.com", 80, "/"},
        {"http://10.1.2.3:8080/a/b", "10.1.2.3", 8080, "/a/b"},
        {"http://[::1]:9000/x", "::1", 9000, "/x"},
        {"http://[2001:db8::1]", "2001:db8::1", 80, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "_format_version: \"3.0\"\nservices:\n  - url: \"%s\"\n",
                 cases[i].url);
        sl_config_t *cfg = load_yaml(text);
        CHECK(cfg != NULL);
        if (cfg == NULL)
            continue;
        sl_service_t *s = cfg->services[0];
        CHECK_EQ_INT(s->protocol, SL_PROTO_HTTP);
        CHECK_EQ_STR(s->host, cases[i].host);
        CHECK_EQ_INT(s->port, cases[i].port);
        if (cases[i].path == NULL)
            CHECK(s->path == NULL);
        else
            CHECK_EQ_STR(s->path, cases[i].path);
        sl_config_free(cfg);
    }
}

/* Nested and flat forms give the same model (ids of named entities included). */
static const char *const nested_form =
    "_format_version: \"3.0\"\n"
    "services:\n"
    "  - name: svc-a\n"
    "    host: up-a\n"
    "    routes:\n"
    "      - name: r1\n"
    "        paths: [/a]\n"
    "        plugins: [{name: test-plugin, config: {limit: 5}}]\n"
    "upstreams:\n"
    "  - name: up-a\n"
    "    targets: [{target: \"10.0.0.1:8080\", weight: 7}]\n"
    "consumers:\n"
    "  - username: alice\n"
    "    keyauth_credentials: [{key: k1}]\n"
    "    acls: [{group: g1}]\n"
    "    plugins: [{name: other-plugin}]\n"
    "certificates: []\n";

static const char *const flat_form =
    "_format_version: \"3.0\"\n"
    "services:\n"
    "  - name: svc-a\n"
    "    host: up-a\n"
    "routes:\n"
    "  - name: r1\n"
    "    paths: [/a]\n"
    "    service: svc-a\n"
    "plugins:\n"
    "  - {name: test-plugin, route: r1, config: {limit: 5}}\n"
    "  - {name: other-plugin, consumer: alice}\n"
    "upstreams:\n"
    "  - name: up-a\n"
    "targets:\n"
    "  - {target: \"10.0.0.1:8080\", weight: 7, upstream: up-a}\n"
    "consumers:\n"
    "  - username: alice\n"
    "keyauth_credentials: [{key: k1, consumer: alice}]\n"
    "acls: [{group: g1, consumer: b32379d9-3d28-5683-a79c-72139be6e34f}]\n";

static void check_same_model(sl_config_t *a, sl_config_t *b)
{
    CHECK_EQ_INT(a->n_services, b->n_services);
    CHECK_EQ_INT(a->n_routes, b->n_routes);
    CHECK_EQ_INT(a->n_targets, b->n_targets);
    CHECK_EQ_INT(a->n_plugins, b->n_plugins);
    CHECK_EQ_INT(a->n_acls, b->n_acls);
    CHECK_EQ_INT(a->n_keyauth_credentials, b->n_keyauth_credentials);
    if (a->n_routes != 1 || b->n_routes != 1 || a->n_plugins != 2 || b->n_plugins != 2)
        return;
    CHECK_EQ_STR(a->services[0]->id, b->services[0]->id);
    CHECK_EQ_STR(a->routes[0]->id, b->routes[0]->id);
    CHECK(a->routes[0]->service == a->services[0]);
    CHECK(b->routes[0]->service == b->services[0]);
    CHECK(a->services[0]->upstream == a->upstreams[0]);
    CHECK(b->services[0]->upstream == b->upstreams[0]);
    CHECK_EQ_STR(a->upstreams[0]->id, b->upstreams[0]->id);
    CHECK_EQ_INT(a->upstreams[0]->n_targets, 1);
    CHECK_EQ_INT(b->upstreams[0]->n_targets, 1);
    CHECK_EQ_STR(a->targets[0]->host, b->targets[0]->host);
    CHECK_EQ_INT(a->targets[0]->weight, b->targets[0]->weight);
    CHECK(a->targets[0]->upstream == a->upstreams[0]);
    CHECK(b->targets[0]->upstream == b->upstreams[0]);
    CHECK_EQ_STR(a->consumers[0]->id, b->consumers[0]->id);
    CHECK(a->keyauth_credentials[0]->consumer == a->consumers[0]);
    CHECK(b->keyauth_credentials[0]->consumer == b->consumers[0]);
    CHECK_EQ_STR(a->keyauth_credentials[0]->key, b->keyauth_credentials[0]->key);
    CHECK(a->acls[0]->consumer == a->consumers[0]);
    CHECK(b->acls[0]->consumer == b->consumers[0]);
    for (size_t i = 0; i < 2; i++) {
        sl_plugin_instance_t *pa = a->plugins[i], *pb = NULL;
        for (size_t j = 0; j < 2; j++) {
            if (strcmp(b->plugins[j]->name, pa->name) == 0)
                pb = b->plugins[j];
        }
        CHECK(pb != NULL);
        if (pb == NULL)
            continue;
        CHECK((pa->route != NULL) == (pb->route != NULL));
        CHECK((pa->consumer != NULL) == (pb->consumer != NULL));
        CHECK(pa->service == NULL && pb->service == NULL);
        CHECK(pa->route == NULL || pa->route == a->routes[0]);
        CHECK(pb->route == NULL || pb->route == b->routes[0]);
        CHECK(pa->consumer == NULL || pa->consumer == a->consumers[0]);
        CHECK(pb->consumer == NULL || pb->consumer == b->consumers[0]);
    }
}

static void test_nested_vs_flat(void)
{
    sl_config_t *a = load_yaml(nested_form);
    sl_config_t *b = load_yaml(flat_form);
    CHECK(a != NULL && b != NULL);
    if (a != NULL && b != NULL)
        check_same_model(a, b);
    /* the flat target names its upstream by name, so Kong derives its id from the name */
    if (b != NULL)
        CHECK_EQ_STR(b->targets[0]->id, derived("targets", "targets:*:up-a:10.0.0.1:8080"));
    sl_config_free(a);
    sl_config_free(b);
}

static void test_json_vs_yaml(void)
{
    const char *json =
        "{\n"
        "\t\"_format_version\": \"3.0\",\n"
        "\t\"services\": [{\"name\": \"svc-a\", \"host\": \"up-a\",\n"
        "   \"routes\": [{\"name\": \"r1\", \"paths\": [\"/a\"],\n"
        "     \"plugins\": [{\"name\": \"test-plugin\", \"config\": {\"limit\": 5}}]}]}],\n"
        "  \"upstreams\": [{\"name\": \"up-a\", \"targets\": [{\"target\": \"10.0.0.1:8080\","
        "\"weight\": 7}]}],\n"
        "  \"consumers\": [{\"username\": \"alice\", \"keyauth_credentials\": [{\"key\":\"k1\"}],\n"
        "    \"acls\": [{\"group\": \"g1\"}], \"plugins\": [{\"name\": \"other-plugin\"}]}]\n"
        "}\n";
    sl_config_t *a = load_yaml(nested_form);
    sl_config_t *b = load_fmt(json, SL_CONFIG_FMT_JSON);
    CHECK(a != NULL && b != NULL);
    if (a != NULL && b != NULL) {
        check_same_model(a, b);
        /* plugin ids derive from the same parents, so they match too */
        for (size_t i = 0; i < 2; i++)
            CHECK_EQ_STR(a->plugins[i]->id, b->plugins[i]->id);
        CHECK(strcmp(a->hash, b->hash) != 0); /* the hash is of the text */
    }
    sl_config_free(a);
    sl_config_free(b);

    /* auto detection of text without a name: JSON when it starts with '{' */
    sl_diag_t d;
    sl_diag_init(&d, NULL);
    sl_config_t *c = NULL;
    CHECK_EQ_INT(sl_loader_load(NULL, json, strlen(json), SL_CONFIG_FMT_AUTO, test_lookup, &c, &d),
                 0);
    CHECK_EQ_STR(d.file, "<body>");
    sl_config_free(c);
    sl_diag_free(&d);
    /* YAML flow syntax that is not JSON falls back to YAML */
    const char *flow = "{_format_version: '3.0', services: [{host: a}]}";
    sl_diag_init(&d, NULL);
    CHECK_EQ_INT(sl_loader_load(NULL, flow, strlen(flow), SL_CONFIG_FMT_AUTO, test_lookup, &c, &d),
                 0);
    sl_config_free(c);
    sl_diag_free(&d);
}

static void test_json_unicode(void)
{
    /* surrogate pairs, which libyaml rejects, are rewritten without moving positions */
    const char *json = "{\"_format_version\": \"3.0\", \"services\": [{\"name\": \"a\", "
                       "\"host\": \"h\", \"tags\": [\"\\ud83d\\ude00 x\"], \"port\": \"x\"}]}";
    CHECK_ERRORS(json, SL_CONFIG_FMT_JSON, "t:1:104: expected an integer\n");
    sl_arena_t a;
    sl_arena_init(&a, 0);
    const char *in = "{\"a\":\t\"\\ud83d\\ude00\"}";
    const char *out = sl_json_prepare(&a, in, strlen(in));
    CHECK_EQ_STR(out, "{\"a\": \"\\U0001F600\"  }");
    sl_arena_destroy(&a);
    const char *ok = "{\"_format_version\": \"3.0\", \"consumers\": [{\"username\": "
                     "\"\\ud83d\\ude00\"}]}";
    sl_config_t *cfg = load_fmt(ok, SL_CONFIG_FMT_JSON);
    CHECK(cfg != NULL);
    if (cfg != NULL)
        CHECK_EQ_STR(cfg->consumers[0]->username, "\xF0\x9F\x98\x80");
    sl_config_free(cfg);
}

static void test_legacy_paths(void)
{
    sl_config_t *cfg = load_yaml("_format_version: \"1.1\"\n"
                                 "services:\n"
                                 "  - host: h\n"
                                 "    routes:\n"
                                 "      - paths: [/v1/users:batch, /a/./b//c, /x%2Fy%41, "
                                 "\"/p/%2E(\\\\d+)\"]\n"
                                 "routes:\n"
                                 "  - paths: [\"~/already\", /plain]\n");
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    CHECK_EQ_STR(cfg->format_version, "1.1");
    sl_route_t *r = cfg->routes[0]->paths.n == 4 ? cfg->routes[0] : cfg->routes[1];
    sl_route_t *r2 = r == cfg->routes[0] ? cfg->routes[1] : cfg->routes[0];
    CHECK_EQ_INT(r->paths.n, 4);
    CHECK_EQ_STR(r->paths.v[0], "~/v1/users:batch");
    CHECK_EQ_STR(r->paths.v[1], "/a/b/c");
    CHECK_EQ_STR(r->paths.v[2], "/x%2FyA");
    CHECK_EQ_STR(r->paths.v[3], "~/p/\\.(\\d+)");
    CHECK_EQ_STR(r2->paths.v[0], "~/already");
    CHECK_EQ_STR(r2->paths.v[1], "/plain");
    sl_config_free(cfg);

    /* in a 3.0 file the same paths are checked as written */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "routes:\n"
                      "  - paths: [/a/./b, /v1/users:batch, /x%2fy]\n",
                      "t:3:13: non-normalized path, consider use '/a/b' instead\n"
                      "t:3:38: non-normalized path, consider use '/x%2Fy' instead\n");
}

static void test_hash(void)
{
    const char *text = "_format_version: \"3.0\"\nservices: [{host: a}]\n";
    sl_config_t *cfg = load_yaml(text);
    CHECK(cfg != NULL);
    /* md5 of the exact text */
    if (cfg != NULL)
        CHECK_EQ_STR(cfg->hash, "a293520cf8c73a07bd160f5c167e8cb5");
    sl_config_free(cfg);
    cfg = load_yaml("_format_version: \"3.0\"\nservices: []\n");
    CHECK(cfg != NULL);
    if (cfg != NULL)
        CHECK_EQ_STR(cfg->hash, "00000000000000000000000000000000");
    sl_config_free(cfg);
}

static void test_transform_false(void)
{
    sl_config_t *cfg = load_yaml("_format_version: \"3.0\"\n"
                                 "_transform: false\n"
                                 "consumers:\n"
                                 "  - username: bob\n"
                                 "    basicauth_credentials: [{username: bob, password: abc}]\n"
                                 "    keyauth_credentials: [{}]\n"
                                 "    jwt_secrets: [{}]\n");
    CHECK(cfg != NULL);
    if (cfg == NULL)
        return;
    CHECK(!cfg->transform);
    CHECK_EQ_STR(cfg->basicauth_credentials[0]->password_hash, "abc");
    CHECK_EQ_STR(cfg->basicauth_credentials[0]->id,
                 derived("basicauth_credentials", "basicauth_credentials:*:bob"));
    /* generated keys and secrets: 32 hex characters, random ids */
    CHECK_EQ_INT(strlen(cfg->keyauth_credentials[0]->key), 32);
    CHECK_EQ_INT(strlen(cfg->jwt_secrets[0]->key), 32);
    CHECK_EQ_INT(strlen(cfg->jwt_secrets[0]->secret), 32);
    CHECK(cfg->keyauth_credentials[0]->id[14] == '4');
    sl_config_free(cfg);
}

static const char *const rsa_pub =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\n"
    "q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n"
    "-----END PUBLIC KEY-----\n";

static void test_jwt_keys(void)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "_format_version: \"3.0\"\n"
             "consumers:\n"
             "  - username: bob\n"
             "    jwt_secrets:\n"
             "      - algorithm: ES256\n"
             "        rsa_public_key: |\n"
             "          %s",
             "-----BEGIN PUBLIC KEY-----\n"
             "          MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\n"
             "          q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n"
             "          -----END PUBLIC KEY-----\n");
    sl_config_t *cfg = load_yaml(text);
    CHECK(cfg != NULL);
    if (cfg != NULL)
        CHECK_EQ_STR(cfg->jwt_secrets[0]->rsa_public_key, rsa_pub);
    sl_config_free(cfg);
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "jwt_secrets:\n"
                      "  - {consumer: bob, algorithm: RS256, rsa_public_key: nope}\n"
                      "  - {consumer: bob, algorithm: PS256}\n"
                      "  - {consumer: bob, algorithm: EdDSA, rsa_public_key: x}\n"
                      "consumers: [{username: bob}]\n",
                      "t:3:55: 'rsa_public_key' format is invalid\n"
                      "t:4:5: required field missing\n"
                      "t:5:32: algorithm 'EdDSA' is not supported by sluice yet\n");
}

static void test_plugins(void)
{
    /* flat plugin refs by id and by name; a config error from the plugin's parser */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "services: [{name: s, host: h, routes: [{name: r, paths: [/]}]}]\n"
                      "plugins:\n"
                      "  - name: test-plugin\n"
                      "    service: s\n"
                      "    config: {limit: lots}\n"
                      "  - name: test-plugin\n"
                      "    route: r\n"
                      "    consumer: nobody\n"
                      "  - name: rate-limiting\n"
                      "  - name: test-plugin\n"
                      "    service: s\n"
                      "    protocols: [http, ftp]\n",
                      "t:6:21: expected a number\n"
                      "t:9:15: invalid reference 'consumer: nobody' (no such entry in "
                      "'consumers')\n"
                      "t:10:11: plugin 'rate-limiting' not enabled; sluice does not implement it "
                      "yet\n"
                      "t:11:5: uniqueness violation: 'plugins' entity with primary key set to "
                      "'e7b264ea-2883-504c-8b4c-bcac660b2b1b' already declared\n"
                      "t:13:23: expected one of: grpc, grpcs, http, https, tcp, tls, "
                      "tls_passthrough, udp\n");
    /* the same plugin twice on one scope written in two forms: ids differ, still refused */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "services:\n"
                      "  - name: s\n"
                      "    host: h\n"
                      "    plugins: [{name: test-plugin}]\n"
                      "plugins:\n"
                      "  - {name: test-plugin, service: s}\n"
                      "  - {name: other-plugin, service: s, enabled: false}\n",
                      "t:7:12: uniqueness violation: 'plugins' entity with name set to "
                      "'test-plugin' already declared for this scope\n");
    /* nested plugins cannot name another scope */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "consumers:\n"
                      "  - username: u\n"
                      "    plugins: [{name: test-plugin, route: r1, config: []}]\n",
                      "t:4:42: value must be null\n"
                      "t:4:54: expected a record\n");
}

static void test_tls(void)
{
    /* certificates fail to parse; nested snis and a flat one with a bad reference */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "certificates:\n"
                      "  - id: 11111111-1111-4111-8111-111111111111\n"
                      "    cert: not a pem\n"
                      "    key: not a key\n"
                      "    cert_alt: x\n"
                      "    snis: [{name: \"*.example.com\"}, {name: \"a.*.com\"}, {name: "
                      "\"1.2.3.4\"}]\n"
                      "snis:\n"
                      "  - {name: \"*.example.com\", certificate: 11111111-1111-4111-8111-"
                      "111111111111}\n"
                      "  - {name: other.com, certificate: nope}\n"
                      "ca_certificates:\n"
                      "  - cert: nope\n",
                      "t:3:5: all or none of these fields must be set: 'cert_alt', 'key_alt'\n"
                      "t:4:11: invalid certificate: X509 - The CRT/CRL/CSR format is invalid, "
                      "e.g. different type expected\n"
                      "t:5:10: invalid key: PK - Invalid key tag or value\n"
                      "t:6:15: invalid certificate: X509 - The CRT/CRL/CSR format is invalid, "
                      "e.g. different type expected\n"
                      "t:7:44: wildcard must be leftmost or rightmost character\n"
                      "t:7:63: must not be an IP\n"
                      "t:9:12: uniqueness violation: 'snis' entity with name set to "
                      "'*.example.com' already declared\n"
                      "t:10:36: invalid reference 'certificate: nope' (no such entry in "
                      "'certificates')\n"
                      "t:12:11: invalid certificate: X509 - The CRT/CRL/CSR format is invalid, "
                      "e.g. different type expected\n");
}

/* ---- bad inputs ---- */

static void test_bad_inputs(void)
{
    CHECK_YAML_ERRORS("", "t: failed parsing declarative configuration: expected an object\n");
    CHECK_YAML_ERRORS("- a\n", "t:1:1: failed parsing declarative configuration: expected an "
                               "object\n");
    CHECK_YAML_ERRORS("services: []\n", "t:1:1: required field missing\n");
    CHECK_YAML_ERRORS("_format_version: \"4.0\"\n",
                      "t:1:18: expected one of: 1.1, 2.1, 3.0\n");
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\nservices:\n  - name: a\n    host: [x\n",
                      "t:5:1: did not find expected ',' or ']' while parsing a flow sequence\n");
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\nservices: {}\nkeys: []\nfoo: 1\n",
                      "t:2:11: expected an array\n"
                      "t:3:1: 'keys' is not supported by sluice\n"
                      "t:4:1: unknown field 'foo'\n");
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "services:\n"
                      "  - name: a\n"
                      "    host: h\n"
                      "    _comment: fine\n"
                      "    _ignore: [1, 2]\n"
                      "    name: b\n",
                      "t:7:5: duplicate key 'name'\n");
    /* types and ranges */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "services:\n"
                      "  - name: 12\n"
                      "    host: h\n"
                      "    port: \"80\"\n"
                      "    retries: 40000\n"
                      "    connect_timeout: 0\n"
                      "    enabled: yes please\n"
                      "    tags: tag\n"
                      "    path: relative\n",
                      "t:3:11: expected a string\n"
                      "t:5:11: expected an integer\n"
                      "t:6:14: value should be between 0 and 32767\n"
                      "t:7:22: value should be between 1 and 2147483646\n"
                      "t:8:14: expected a boolean\n"
                      "t:9:11: expected a set\n"
                      "t:10:11: should start with: /\n");
    /* route rules */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "routes:\n"
                      "  - name: r1\n"
                      "  - protocols: [http]\n"
                      "    snis: [a.com]\n"
                      "  - paths: [/]\n"
                      "    https_redirect_status_code: 303\n"
                      "    path_handling: v2\n"
                      "    headers: {x-a: [\"~*(\"], X-A: [b]}\n"
                      "    sources: [{ip: 1.2.3.4}]\n",
                      "t:3:5: must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' "
                      "when 'protocols' is 'https'\n"
                      "t:4:5: must set one of 'methods', 'hosts', 'headers', 'paths' when "
                      "'protocols' is 'http'\n"
                      "t:5:11: 'snis' can only be set when 'protocols' is 'grpcs', 'https', "
                      "'tls' or 'tls_passthrough'\n"
                      "t:7:33: expected one of: 426, 301, 302, 307, 308\n"
                      "t:8:20: expected one of: v0, v1\n"
                      "t:9:21: invalid regex: '(' (missing closing parenthesis at offset 1)\n"
                      "t:9:29: duplicate header name 'x-a'\n"
                      "t:10:14: cannot set 'sources' when 'protocols' is 'http' or 'https'\n");
    /* consumers and credentials */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "consumers:\n"
                      "  - username: a\n"
                      "    custom_id: c\n"
                      "    hmacauth_credentials: [{username: x}]\n"
                      "  - username: a\n"
                      "  - custom_id: c\n"
                      "keyauth_credentials:\n"
                      "  - {key: k, consumer: a}\n"
                      "  - {key: k, consumer: c}\n"
                      "acls:\n"
                      "  - {group: g, consumer: a}\n"
                      "  - {group: g, consumer: a}\n",
                      "t:5:5: 'hmacauth_credentials' is not supported by sluice\n"
                      "t:6:15: uniqueness violation: 'consumers' entity with username set to "
                      "'a' already declared\n"
                      "t:7:16: uniqueness violation: 'consumers' entity with custom_id set to "
                      "'c' already declared\n"
                      "t:10:11: uniqueness violation: 'keyauth_credentials' entity with key set "
                      "to 'k' already declared\n"
                      "t:10:24: invalid reference 'consumer: c' (no such entry in 'consumers')\n"
                      "t:13:5: uniqueness violation: 'acls' entity with primary key set to "
                      "'5fa65181-bfb4-5d9d-a969-a67f00199ec1' already declared\n");
    /* ids */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "services:\n"
                      "  - {id: not-a-uuid, host: a}\n"
                      "  - {id: 11111111-1111-4111-8111-111111111111, host: a}\n"
                      "  - {id: 11111111-1111-4111-8111-111111111111, host: b}\n",
                      "t:3:10: expected a valid UUID\n"
                      "t:5:10: uniqueness violation: 'services' entity with primary key set to "
                      "'11111111-1111-4111-8111-111111111111' already declared\n");
    /* upstream and target rules */
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "upstreams:\n"
                      "  - name: up:80\n"
                      "    hash_fallback: ip\n"
                      "    slots: 5\n"
                      "    healthchecks: {passive: {unhealthy: {timeouts: 3}}}\n"
                      "    targets:\n"
                      "      - {target: \"[::1]:80\", weight: 70000}\n",
                      "t:3:11: Invalid name ('up:80'); no port allowed\n"
                      "t:4:20: expected one of: none\n"
                      "t:5:12: value should be between 10 and 65536\n"
                      "t:6:52: health checks are not supported by sluice yet\n"
                      "t:8:38: value should be between 0 and 65535\n");
}

static void test_bad_targets(void)
{
    /* the derived id of the duplicate target depends on the upstream's derived id */
    char up[37], key[256], id[37], expected[1024];
    sl_uuid_entity("upstreams", "up", up);
    snprintf(key, sizeof(key), "targets:*:%s:[::1]:80", up);
    sl_uuid_entity("targets", key, id);
    snprintf(expected, sizeof(expected),
             "t:6:9: uniqueness violation: 'targets' entity with primary key set to '%s' already "
             "declared\n"
             "t:8:18: uniqueness violation: 'targets' entity with target set to '10.0.0.1:80' "
             "already declared for this upstream\n",
             id);
    CHECK_YAML_ERRORS("_format_version: \"3.0\"\n"
                      "upstreams:\n"
                      "  - name: up\n"
                      "    targets:\n"
                      "      - {target: \"[::1]:80\"}\n"
                      "      - target: \"[::1]:80\"\n"
                      "      - {target: \"10.0.0.1:80\"}\n"
                      "      - {target: \"10.0.0.1:80\",\n"
                      "         id: 11111111-1111-4111-8111-111111111111}\n",
                      expected);
}

static void test_many_errors_capped(void)
{
    /* more errors than SL_DIAG_MAX: the first ones by position are kept */
    size_t n = SL_DIAG_MAX + 5;
    size_t cap = 64 + n * 32;
    char *text = malloc(cap);
    size_t o = (size_t)snprintf(text, cap, "_format_version: \"3.0\"\nservices:\n");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, cap - o, "  - {host: h, port: -%zu}\n", i + 1);
    sl_diag_t d;
    sl_diag_init(&d, "t");
    sl_config_t *cfg = NULL;
    CHECK(sl_loader_load(NULL, text, o, SL_CONFIG_FMT_YAML, test_lookup, &cfg, &d) != 0);
    CHECK_EQ_INT(d.n, SL_DIAG_MAX);
    CHECK_EQ_INT(d.dropped, 5);
    char *out = diag_text(&d);
    CHECK(strstr(out, "t:3:21: value should be between 0 and 65535\n") == out);
    CHECK(strstr(out, "t: 5 more errors not shown\n") != NULL);
    char last[64];
    snprintf(last, sizeof(last), "t:%d:21: value", SL_DIAG_MAX + 2);
    CHECK(strstr(out, last) != NULL);
    free(out);
    sl_diag_free(&d);
    free(text);
}

static void test_diag_order(void)
{
    sl_diag_t d;
    sl_diag_init(&d, "f.yaml");
    sl_diag_add(&d, 3, 1, "c");
    sl_diag_add(&d, 1, 5, "b");
    sl_diag_add(&d, 1, 2, "a");
    sl_diag_add(&d, 0, 0, "file");
    sl_diag_add(&d, 1, 5, "b2");
    sl_diag_add(&d, 4, 1, "value 'x%sy'", "\n");
    char *out = diag_text(&d);
    CHECK_EQ_STR(out, "f.yaml: file\nf.yaml:1:2: a\nf.yaml:1:5: b\nf.yaml:1:5: b2\n"
                      "f.yaml:3:1: c\nf.yaml:4:1: value 'x\\x0ay'\n");
    free(out);
    sl_diag_free(&d);
}

/* ---- node tree ---- */

static void test_nodes(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_diag_t d;
    sl_diag_init(&d, "n");
    const sl_node_t *root;
    const char *text = "base: &b {x: 1, y: [a, b]}\n"
                       "use: *b\n"
                       "merged: {<<: *b, x: 2}\n"
                       "str: '123'\n"
                       "int: 0x1F\n"
                       "oct: 010\n"
                       "sexa: 1:30\n"
                       "flt: 1.5e3\n"
                       "bool: off\n"
                       "nul: ~\n"
                       "tagged: !!str 42\n";
    CHECK_EQ_INT(sl_node_parse(&a, text, strlen(text), false, &d, &root), 0);
    CHECK_EQ_INT(d.n, 0);
    const sl_node_t *use = sl_node_map_get(root, "use");
    CHECK(use == sl_node_map_get(root, "base"));
    const sl_node_t *merged = sl_node_map_get(root, "merged");
    CHECK_EQ_INT(merged->n, 2);
    int64_t v;
    CHECK(sl_node_int(sl_node_map_get(merged, "x"), &v) == 0 && v == 2);
    CHECK(sl_node_map_get(merged, "y") != NULL);
    CHECK(sl_node_str(sl_node_map_get(root, "str")) != NULL);
    CHECK(sl_node_int(sl_node_map_get(root, "int"), &v) == 0 && v == 31);
    CHECK(sl_node_int(sl_node_map_get(root, "oct"), &v) == 0 && v == 8);
    CHECK(sl_node_int(sl_node_map_get(root, "sexa"), &v) == 0 && v == 90);
    CHECK(sl_node_int(sl_node_map_get(root, "flt"), &v) == 0 && v == 1500);
    bool b = true;
    CHECK(sl_node_bool(sl_node_map_get(root, "bool"), &b) == 0 && !b);
    CHECK(sl_node_is_null(sl_node_map_get(root, "nul")));
    CHECK_EQ_STR(sl_node_str(sl_node_map_get(root, "tagged")), "42");
    const sl_node_t *y = sl_node_map_get(sl_node_map_get(root, "base"), "y");
    CHECK_EQ_INT(y->line, 1);
    CHECK_EQ_INT(y->col, 20);
    CHECK_EQ_INT(y->items[1]->col, 24);

    /* billion laughs: refused once the expanded size passes the cap */
    char lol[2048];
    size_t o = (size_t)snprintf(lol, sizeof(lol), "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'i'; c++)
        o += (size_t)snprintf(lol + o, sizeof(lol) - o,
                              "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c,
                              c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    CHECK(sl_node_parse(&a, lol, o, false, &d, &root) != 0);
    CHECK(d.n == 1 && strstr(d.v[0].msg, "document too large") != NULL);

    /* alias of an anchor still open, and too deep nesting */
    sl_diag_free(&d);
    sl_diag_init(&d, "n");
    CHECK(sl_node_parse(&a, "a: &x [*x]", 10, false, &d, &root) != 0);
    CHECK(d.n == 1 && strcmp(d.v[0].msg, "undefined alias 'x'") == 0);
    char deep[256];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    sl_diag_free(&d);
    sl_diag_init(&d, "n");
    CHECK(sl_node_parse(&a, deep, 200, false, &d, &root) != 0);
    CHECK(d.n == 1 && d.v[0].col == 65 &&
          strstr(d.v[0].msg, "nested too deeply") != NULL);
    sl_diag_free(&d);
    sl_arena_destroy(&a);
}

static void test_json_errors(void)
{
    CHECK_ERRORS("{\n  \"_format_version\": \"3.0\",\n  \"services\": [,]\n}\n",
                 SL_CONFIG_FMT_JSON, "t:3:16: invalid JSON\n");
    CHECK_ERRORS("{\"_format_version\": \"3.0\"} x", SL_CONFIG_FMT_JSON,
                 "t:1:28: invalid JSON\n");
    CHECK_ERRORS("{\"_format_version\": \"3.0\", \"_format_version\": \"3.0\"}",
                 SL_CONFIG_FMT_JSON, "t:1:28: duplicate key '_format_version'\n");
}

static void test_files(void)
{
    sl_diag_t d;
    sl_config_t *cfg = NULL;
    sl_diag_init(&d, "x.conf");
    CHECK(sl_config_load_file("x.conf", test_lookup, &cfg, &d) != 0);
    char *out = diag_text(&d);
    CHECK_EQ_STR(out, "x.conf: unknown file type (accepted types: json, yaml)\n");
    free(out);
    sl_diag_free(&d);

    sl_diag_init(&d, "/nonexistent/k.yml");
    CHECK(sl_config_load_file("/nonexistent/k.yml", test_lookup, &cfg, &d) != 0);
    out = diag_text(&d);
    CHECK_EQ_STR(out, "/nonexistent/k.yml: cannot read file: No such file or directory\n");
    free(out);
    sl_diag_free(&d);

    char path[] = "/tmp/sluice_config_testXXXXXX.yaml";
    int fd = mkstemps(path, 5);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char *text = "_format_version: \"3.0\"\nservices: [{host: a}]\n";
    CHECK_EQ_INT(write(fd, text, strlen(text)), (long long)strlen(text));
    close(fd);
    sl_diag_init(&d, path);
    CHECK_EQ_INT(sl_config_load_file(path, sl_plugin_lookup, &cfg, &d), 0);
    CHECK(cfg != NULL && cfg->n_services == 1);
    if (cfg != NULL)
        CHECK_EQ_STR(cfg->source, path);
    sl_config_free(cfg);
    sl_diag_free(&d);
    unlink(path);
}

/* The e2e golden file with every entity (certificates with real PEMs included). */
static void test_full_file(void)
{
    const char *dir = getenv("SLUICE_TEST_DATA");
    char path[1024];
    if (dir != NULL) {
        snprintf(path, sizeof(path), "%s/e2e/configs/good/full.yml", dir);
    } else {
        /* this file is test/unit/config/config_test.c */
        snprintf(path, sizeof(path), "%s", __FILE__);
        char *cut = strstr(path, "unit/config/config_test.c");
        if (cut != NULL)
            snprintf(cut, sizeof(path) - (size_t)(cut - path), "e2e/configs/good/full.yml");
    }
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "skipping test_full_file: %s not found\n", path);
        return;
    }
    sl_diag_t d;
    sl_diag_init(&d, path);
    sl_config_t *cfg = NULL;
    CHECK_EQ_INT(sl_config_load_file(path, sl_plugin_lookup, &cfg, &d), 0);
    sl_diag_free(&d);
    if (cfg == NULL)
        return;
    CHECK_EQ_INT(cfg->n_certificates, 1);
    CHECK_EQ_INT(cfg->n_snis, 2);
    sl_certificate_t *cert = cfg->certificates[0];
    CHECK_EQ_STR(cert->id, "6b1f0d5c-6c2b-4d1e-9a1b-1f7e0e6f3a01");
    CHECK(strncmp(cert->cert, "-----BEGIN CERTIFICATE-----", 27) == 0);
    CHECK(cert->key != NULL && cert->cert_alt != NULL && cert->key_alt != NULL);
    for (size_t i = 0; i < cfg->n_snis; i++) {
        CHECK(cfg->snis[i]->certificate == cert);
        CHECK_EQ_STR(cfg->snis[i]->id, derived("snis", cfg->snis[i]->name));
    }
    CHECK_EQ_STR(cfg->snis[1]->name, "*.example.com");

    sl_route_t *admin = NULL, *users = NULL;
    for (size_t i = 0; i < cfg->n_routes; i++) {
        if (strcmp(cfg->routes[i]->name, "orders-admin") == 0)
            admin = cfg->routes[i];
        if (strcmp(cfg->routes[i]->name, "users-route") == 0)
            users = cfg->routes[i];
    }
    CHECK(admin != NULL && users != NULL);
    if (admin != NULL) {
        CHECK_EQ_INT(admin->protocols, SL_PROTO_HTTPS);
        CHECK_EQ_INT(admin->n_headers, 1);
        CHECK_EQ_STR(admin->headers[0].name, "x-version");
        CHECK_EQ_INT(admin->headers[0].values.n, 2);
        CHECK_EQ_STR(admin->headers[0].values.v[1], "~*^v2");
        CHECK_EQ_INT(admin->hosts.n, 2);
        CHECK_EQ_STR(admin->hosts.v[1], "*.orders.example.com:8443");
        CHECK_EQ_INT(admin->path_handling, 1);
        CHECK_EQ_INT(admin->https_redirect_status_code, 308);
        CHECK(admin->preserve_host);
    }
    if (users != NULL) {
        CHECK(!users->service->enabled);
        CHECK_EQ_STR(users->service->host, "10.0.0.5");
        CHECK_EQ_STR(users->service->path, "/users/v1");
        CHECK_EQ_INT(users->snis.n, 1);
        CHECK(!users->request_buffering && !users->response_buffering);
    }
    CHECK_EQ_INT(cfg->n_targets, 4);
    CHECK_EQ_STR(cfg->targets[2]->host, "2001:db8::1");
    CHECK_EQ_INT(cfg->targets[1]->weight, 0);
    CHECK_EQ_INT(cfg->targets[3]->port, 8000);
    CHECK_EQ_STR(cfg->upstreams[0]->healthchecks.active.http_path, "/health");
    CHECK_EQ_STR(cfg->upstreams[0]->host_header, "orders.internal");
    CHECK_EQ_INT(cfg->keyauth_credentials[0]->ttl, 3600);
    CHECK_EQ_INT(cfg->n_jwt_secrets, 3);
    CHECK_EQ_STR(cfg->jwt_secrets[1]->algorithm, "ES256");
    CHECK(cfg->jwt_secrets[1]->rsa_public_key != NULL);
    CHECK_EQ_STR(cfg->consumers[1]->custom_id, "bob-002");
    CHECK(cfg->consumers[1]->username == NULL);
    CHECK_EQ_INT(cfg->services[0]->tags.n, 2);
    CHECK_EQ_STR(cfg->services[0]->tags.v[1], "prod env");
    sl_config_free(cfg);
}

int main(void)
{
    test_kong_example();
    test_defaults();
    test_healthchecks_partial();
    test_url_expansion();
    test_nested_vs_flat();
    test_json_vs_yaml();
    test_json_unicode();
    test_legacy_paths();
    test_hash();
    test_transform_false();
    test_jwt_keys();
    test_plugins();
    test_tls();
    test_bad_inputs();
    test_bad_targets();
    test_many_errors_capped();
    test_diag_order();
    test_nodes();
    test_json_errors();
    test_files();
    test_full_file();
    TEST_MAIN_END();
}
