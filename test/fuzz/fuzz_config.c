/*
 * Fuzz target: config loading (kong.yml / kong.json). Each input is loaded as YAML, as JSON
 * and with the format guessed (text without a name), and the result checked against the
 * loader's contract:
 *   - success (0) comes with a config and no diagnostics; failure with no config and at
 *     least one diagnostic;
 *   - every diagnostic has a position (line > 0), except the file-level "expected an
 *     object" of an empty document;
 *   - a loaded config is consistent: ids are UUIDs, references point into the config,
 *     targets are listed by their upstream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load.h"
#include "plugin/plugin.h"

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_config: invariant failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int contains(void *const *v, size_t n, const void *p)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] == p)
            return 1;
    }
    return 0;
}

static void check_config(const sl_config_t *c)
{
    EXPECT(strlen(c->hash) == 32);
    for (size_t i = 0; i < c->n_services; i++) {
        const sl_service_t *s = c->services[i];
        EXPECT(strlen(s->id) == 36);
        EXPECT(s->host != NULL);
        EXPECT(s->protocol == SL_PROTO_HTTP);
        EXPECT(s->path == NULL || s->path[0] == '/');
        EXPECT(s->upstream == NULL || contains((void *const *)c->upstreams, c->n_upstreams,
                                               s->upstream));
    }
    for (size_t i = 0; i < c->n_routes; i++) {
        const sl_route_t *r = c->routes[i];
        EXPECT(strlen(r->id) == 36);
        EXPECT(r->protocols != 0);
        EXPECT(r->service == NULL ||
               contains((void *const *)c->services, c->n_services, r->service));
        for (size_t p = 0; p < r->paths.n; p++)
            EXPECT(r->paths.v[p][0] == '/' || r->paths.v[p][0] == '~');
    }
    size_t listed = 0;
    for (size_t i = 0; i < c->n_upstreams; i++) {
        EXPECT(c->upstreams[i]->name != NULL);
        listed += c->upstreams[i]->n_targets;
    }
    EXPECT(listed == c->n_targets);
    for (size_t i = 0; i < c->n_targets; i++) {
        EXPECT(c->targets[i]->upstream != NULL && c->targets[i]->host != NULL);
        EXPECT(c->targets[i]->weight <= 65535);
    }
    for (size_t i = 0; i < c->n_keyauth_credentials; i++)
        EXPECT(c->keyauth_credentials[i]->consumer != NULL && c->keyauth_credentials[i]->key);
    for (size_t i = 0; i < c->n_basicauth_credentials; i++)
        EXPECT(c->basicauth_credentials[i]->consumer != NULL &&
               c->basicauth_credentials[i]->password_hash != NULL);
    for (size_t i = 0; i < c->n_acls; i++)
        EXPECT(c->acls[i]->consumer != NULL && c->acls[i]->group != NULL);
    for (size_t i = 0; i < c->n_plugins; i++)
        EXPECT(c->plugins[i]->desc != NULL);
    for (size_t i = 0; i < c->n_snis; i++)
        EXPECT(c->snis[i]->certificate != NULL);
}

static void load_one(const uint8_t *data, size_t size, sl_config_fmt_t fmt)
{
    sl_diag_t d;
    sl_diag_init(&d, "fuzz");
    sl_config_t *cfg = NULL;
    int rc = sl_config_load_text(NULL, (const char *)data, size, fmt, sl_plugin_lookup, &cfg, &d);
    if (rc == 0) {
        EXPECT(cfg != NULL);
        EXPECT(d.n == 0 && d.dropped == 0);
        check_config(cfg);
    } else {
        EXPECT(rc < 0);
        EXPECT(cfg == NULL);
        EXPECT(d.n > 0);
        EXPECT(d.n <= SL_DIAG_MAX);
        for (size_t i = 0; i < d.n; i++) {
            EXPECT(d.v[i].msg != NULL);
            EXPECT(d.v[i].line > 0 ||
                   strcmp(d.v[i].msg,
                          "failed parsing declarative configuration: expected an object") == 0);
        }
    }
    sl_config_free(cfg);
    sl_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    load_one(data, size, SL_CONFIG_FMT_YAML);
    load_one(data, size, SL_CONFIG_FMT_JSON);
    load_one(data, size, SL_CONFIG_FMT_AUTO);
    return 0;
}
