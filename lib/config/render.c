/*
 * Kong's Admin API JSON for the loaded config: one renderer per entity kind, the list
 * envelope, nested lists, lookup by id or endpoint key, and the upstream health view.
 *
 * Field names and order follow Kong 3.x's schemas (kong/db/schema/entities/); the
 * Admin API shows every schema field, `null` when unset (kong/api/endpoints.lua renders rows
 * through the DAO, which fills absent fields with ngx.null). Secrets are left out on purpose,
 * unlike Kong: certificate keys are omitted and credential entities have no renderer.
 */
#include "config/render.h"

#include <string.h>

/* ---- entity kinds ---- */

typedef enum {
    K_SERVICES,
    K_ROUTES,
    K_UPSTREAMS,
    K_TARGETS,
    K_CONSUMERS,
    K_PLUGINS,
    K_CERTIFICATES,
    K_SNIS,
    K_COUNT,
    K_UNKNOWN = -1,
} kind_t;

static const char *const kind_names[K_COUNT] = {
    "services", "routes",  "upstreams",    "targets",
    "consumers", "plugins", "certificates", "snis",
};

static kind_t kind_of(const char *entity)
{
    if (entity == NULL)
        return K_UNKNOWN;
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(entity, kind_names[k]) == 0)
            return (kind_t)k;
    return K_UNKNOWN;
}

static size_t kind_count(const sl_config_t *cfg, kind_t k)
{
    switch (k) {
    case K_SERVICES: return cfg->n_services;
    case K_ROUTES: return cfg->n_routes;
    case K_UPSTREAMS: return cfg->n_upstreams;
    case K_TARGETS: return cfg->n_targets;
    case K_CONSUMERS: return cfg->n_consumers;
    case K_PLUGINS: return cfg->n_plugins;
    case K_CERTIFICATES: return cfg->n_certificates;
    case K_SNIS: return cfg->n_snis;
    default: return 0;
    }
}

static const void *kind_at(const sl_config_t *cfg, kind_t k, size_t i)
{
    switch (k) {
    case K_SERVICES: return cfg->services[i];
    case K_ROUTES: return cfg->routes[i];
    case K_UPSTREAMS: return cfg->upstreams[i];
    case K_TARGETS: return cfg->targets[i];
    case K_CONSUMERS: return cfg->consumers[i];
    case K_PLUGINS: return cfg->plugins[i];
    case K_CERTIFICATES: return cfg->certificates[i];
    case K_SNIS: return cfg->snis[i];
    default: return NULL;
    }
}

static const char *kind_id(kind_t k, const void *e)
{
    switch (k) {
    case K_SERVICES: return ((const sl_service_t *)e)->id;
    case K_ROUTES: return ((const sl_route_t *)e)->id;
    case K_UPSTREAMS: return ((const sl_upstream_t *)e)->id;
    case K_TARGETS: return ((const sl_target_t *)e)->id;
    case K_CONSUMERS: return ((const sl_consumer_t *)e)->id;
    case K_PLUGINS: return ((const sl_plugin_instance_t *)e)->id;
    case K_CERTIFICATES: return ((const sl_certificate_t *)e)->id;
    case K_SNIS: return ((const sl_sni_t *)e)->id;
    default: return NULL;
    }
}

/* The endpoint key Kong accepts in place of the id (schema `endpoint_key`), or NULL. */
static const char *kind_key(kind_t k, const void *e)
{
    switch (k) {
    case K_SERVICES: return ((const sl_service_t *)e)->name;
    case K_ROUTES: return ((const sl_route_t *)e)->name;
    case K_UPSTREAMS: return ((const sl_upstream_t *)e)->name;
    case K_CONSUMERS: return ((const sl_consumer_t *)e)->username;
    case K_PLUGINS: return ((const sl_plugin_instance_t *)e)->instance_name;
    case K_SNIS: return ((const sl_sni_t *)e)->name;
    default: return NULL;
    }
}

/* ---- field helpers ---- */

static void add_str(cJSON *o, const char *key, const char *s)
{
    if (s != NULL)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *strlist(const sl_strlist_t *l)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < l->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
    return a;
}

/* An unset set or array is null in Kong; the model keeps "unset" and "empty" alike. */
static void add_strlist(cJSON *o, const char *key, const sl_strlist_t *l)
{
    if (l->n == 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddItemToObject(o, key, strlist(l));
}

/* A foreign key: `{"id": "<uuid>"}`, or null. */
static void add_ref(cJSON *o, const char *key, const char *id)
{
    if (id == NULL) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    cJSON *ref = cJSON_AddObjectToObject(o, key);
    cJSON_AddStringToObject(ref, "id", id);
}

static void add_times(cJSON *o, int64_t loaded_at)
{
    cJSON_AddNumberToObject(o, "created_at", (double)loaded_at);
    cJSON_AddNumberToObject(o, "updated_at", (double)loaded_at);
}

static void add_statuses(cJSON *o, const uint16_t *v, size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(o, "http_statuses");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
}

static const char *const proto_names[] = {
    "http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp",
};

/* Protocol bits as names, in the order of <order> (indexes into proto_names): the model
 * keeps a set, so the order is Kong's default order for the entity. */
static void add_protocols(cJSON *o, const char *key, unsigned bits, const int *order)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (int i = 0; i < 8; i++)
        if (bits & (1u << order[i]))
            cJSON_AddItemToArray(a, cJSON_CreateString(proto_names[order[i]]));
}

/* Routes default to ["http","https"]; plugins to ["grpc","grpcs","http","https"]. */
static const int route_proto_order[8] = {0, 1, 2, 3, 4, 5, 6, 7};
static const int plugin_proto_order[8] = {2, 3, 0, 1, 4, 5, 6, 7};

static const char *service_protocol(unsigned bit)
{
    for (int i = 0; i < 8; i++)
        if (bit == (1u << i))
            return proto_names[i];
    return NULL;
}

/* ---- one renderer per kind ---- */

static cJSON *render_service(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_service_t *s = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", s->id);
    add_str(o, "name", s->name);
    add_str(o, "protocol", service_protocol(s->protocol));
    add_str(o, "host", s->host);
    cJSON_AddNumberToObject(o, "port", s->port);
    add_str(o, "path", s->path);
    cJSON_AddNumberToObject(o, "retries", s->retries);
    cJSON_AddNumberToObject(o, "connect_timeout", s->connect_timeout_ms);
    cJSON_AddNumberToObject(o, "write_timeout", s->write_timeout_ms);
    cJSON_AddNumberToObject(o, "read_timeout", s->read_timeout_ms);
    cJSON_AddBoolToObject(o, "enabled", s->enabled);
    /* TLS towards the upstream is not configurable in sluice yet: Kong's defaults. */
    cJSON_AddNullToObject(o, "tls_verify");
    cJSON_AddNullToObject(o, "tls_verify_depth");
    cJSON_AddNullToObject(o, "ca_certificates");
    cJSON_AddNullToObject(o, "client_certificate");
    add_strlist(o, "tags", &s->tags);
    add_times(o, loaded_at);
    return o;
}

static cJSON *render_route(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_route_t *r = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", r->id);
    add_str(o, "name", r->name);
    add_protocols(o, "protocols", r->protocols, route_proto_order);
    add_strlist(o, "methods", &r->methods);
    add_strlist(o, "hosts", &r->hosts);
    add_strlist(o, "paths", &r->paths);
    if (r->n_headers == 0) {
        cJSON_AddNullToObject(o, "headers");
    } else {
        cJSON *h = cJSON_AddObjectToObject(o, "headers");
        for (size_t i = 0; i < r->n_headers; i++)
            cJSON_AddItemToObject(h, r->headers[i].name, strlist(&r->headers[i].values));
    }
    add_strlist(o, "snis", &r->snis);
    /* stream routes (sources/destinations) are not supported: always unset */
    cJSON_AddNullToObject(o, "sources");
    cJSON_AddNullToObject(o, "destinations");
    cJSON_AddBoolToObject(o, "strip_path", r->strip_path);
    cJSON_AddBoolToObject(o, "preserve_host", r->preserve_host);
    cJSON_AddNumberToObject(o, "regex_priority", r->regex_priority);
    cJSON_AddStringToObject(o, "path_handling", r->path_handling == 1 ? "v1" : "v0");
    cJSON_AddNumberToObject(o, "https_redirect_status_code", r->https_redirect_status_code);
    cJSON_AddBoolToObject(o, "request_buffering", r->request_buffering);
    cJSON_AddBoolToObject(o, "response_buffering", r->response_buffering);
    add_ref(o, "service", r->service ? r->service->id : NULL);
    add_strlist(o, "tags", &r->tags);
    add_times(o, loaded_at);
    return o;
}

static const char *algorithm_name(sl_lb_algorithm_t a)
{
    switch (a) {
    case SL_LB_CONSISTENT_HASHING: return "consistent-hashing";
    case SL_LB_LEAST_CONNECTIONS: return "least-connections";
    case SL_LB_LATENCY: return "latency";
    case SL_LB_ROUND_ROBIN:
    default: return "round-robin";
    }
}

/* The full `healthchecks` record, with Kong's field names (kong/db/schema/entities/
 * upstreams.lua). Active-check `headers` are not kept by the loader: shown as null. */
static cJSON *healthchecks_json(const sl_healthchecks_t *hc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "threshold", hc->threshold);

    cJSON *a = cJSON_AddObjectToObject(o, "active");
    add_str(a, "type", hc->active.type);
    cJSON_AddNumberToObject(a, "timeout", hc->active.timeout_s);
    cJSON_AddNumberToObject(a, "concurrency", hc->active.concurrency);
    add_str(a, "http_path", hc->active.http_path);
    add_str(a, "https_sni", hc->active.https_sni);
    cJSON_AddBoolToObject(a, "https_verify_certificate", hc->active.https_verify_certificate);
    cJSON_AddNullToObject(a, "headers");
    cJSON *ah = cJSON_AddObjectToObject(a, "healthy");
    cJSON_AddNumberToObject(ah, "interval", hc->active.healthy.interval_s);
    add_statuses(ah, hc->active.healthy.http_statuses, hc->active.healthy.n_http_statuses);
    cJSON_AddNumberToObject(ah, "successes", hc->active.healthy.successes);
    cJSON *au = cJSON_AddObjectToObject(a, "unhealthy");
    cJSON_AddNumberToObject(au, "interval", hc->active.unhealthy.interval_s);
    add_statuses(au, hc->active.unhealthy.http_statuses, hc->active.unhealthy.n_http_statuses);
    cJSON_AddNumberToObject(au, "tcp_failures", hc->active.unhealthy.tcp_failures);
    cJSON_AddNumberToObject(au, "timeouts", hc->active.unhealthy.timeouts);
    cJSON_AddNumberToObject(au, "http_failures", hc->active.unhealthy.http_failures);

    cJSON *ps = cJSON_AddObjectToObject(o, "passive");
    add_str(ps, "type", hc->passive.type);
    cJSON *ph = cJSON_AddObjectToObject(ps, "healthy");
    add_statuses(ph, hc->passive.healthy.http_statuses, hc->passive.healthy.n_http_statuses);
    cJSON_AddNumberToObject(ph, "successes", hc->passive.healthy.successes);
    cJSON *pu = cJSON_AddObjectToObject(ps, "unhealthy");
    add_statuses(pu, hc->passive.unhealthy.http_statuses, hc->passive.unhealthy.n_http_statuses);
    cJSON_AddNumberToObject(pu, "tcp_failures", hc->passive.unhealthy.tcp_failures);
    cJSON_AddNumberToObject(pu, "timeouts", hc->passive.unhealthy.timeouts);
    cJSON_AddNumberToObject(pu, "http_failures", hc->passive.unhealthy.http_failures);
    return o;
}

static cJSON *render_upstream(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_upstream_t *u = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", u->id);
    add_str(o, "name", u->name);
    cJSON_AddStringToObject(o, "algorithm", algorithm_name(u->algorithm));
    add_str(o, "hash_on", u->hash_on);
    add_str(o, "hash_fallback", u->hash_fallback);
    add_str(o, "hash_on_header", u->hash_on_header);
    add_str(o, "hash_fallback_header", u->hash_fallback_header);
    add_str(o, "hash_on_cookie", u->hash_on_cookie);
    add_str(o, "hash_on_cookie_path", u->hash_on_cookie_path);
    add_str(o, "hash_on_query_arg", u->hash_on_query_arg);
    add_str(o, "hash_fallback_query_arg", u->hash_fallback_query_arg);
    add_str(o, "hash_on_uri_capture", u->hash_on_uri_capture);
    add_str(o, "hash_fallback_uri_capture", u->hash_fallback_uri_capture);
    cJSON_AddNumberToObject(o, "slots", u->slots);
    add_str(o, "host_header", u->host_header);
    cJSON_AddNullToObject(o, "client_certificate");
    cJSON_AddBoolToObject(o, "use_srv_name", u->use_srv_name);
    cJSON_AddItemToObject(o, "healthchecks", healthchecks_json(&u->healthchecks));
    add_strlist(o, "tags", &u->tags);
    add_times(o, loaded_at);
    return o;
}

static cJSON *render_target(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_target_t *t = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", t->id);
    add_str(o, "target", t->target);
    cJSON_AddNumberToObject(o, "weight", t->weight);
    add_ref(o, "upstream", t->upstream ? t->upstream->id : NULL);
    add_strlist(o, "tags", &t->tags);
    /* Kong's targets use float seconds (ms precision); whole seconds are a valid value */
    add_times(o, loaded_at);
    return o;
}

static cJSON *render_consumer(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_consumer_t *c = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->id);
    add_str(o, "username", c->username);
    add_str(o, "custom_id", c->custom_id);
    add_strlist(o, "tags", &c->tags);
    add_times(o, loaded_at);
    return o;
}

static cJSON *render_plugin(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_plugin_instance_t *pl = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", pl->id);
    add_str(o, "name", pl->name);
    add_str(o, "instance_name", pl->instance_name);
    add_ref(o, "route", pl->route ? pl->route->id : NULL);
    add_ref(o, "service", pl->service ? pl->service->id : NULL);
    add_ref(o, "consumer", pl->consumer ? pl->consumer->id : NULL);
    add_protocols(o, "protocols", pl->protocols, plugin_proto_order);
    cJSON_AddBoolToObject(o, "enabled", pl->enabled);
    add_strlist(o, "tags", &pl->tags);
    /* A plugin's config is a typed struct owned by the plugin (sl_plugin_desc_t.parse) and
     * there is no callback yet to turn it back into JSON; until plugins get one, `config` is
     * null. It must then leave out secret fields (e.g. a redis password), as we do for keys. */
    cJSON_AddNullToObject(o, "config");
    add_times(o, loaded_at);
    return o;
}

static cJSON *render_certificate(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_certificate_t *c = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->id);
    /* `key` and `key_alt` are private keys: Kong shows them, sluice never does. */
    add_str(o, "cert", c->cert);
    add_str(o, "cert_alt", c->cert_alt);
    cJSON *snis = cJSON_AddArrayToObject(o, "snis");
    for (size_t i = 0; i < cfg->n_snis; i++)
        if (cfg->snis[i]->certificate == c)
            cJSON_AddItemToArray(snis, cJSON_CreateString(cfg->snis[i]->name));
    add_strlist(o, "tags", &c->tags);
    add_times(o, loaded_at);
    return o;
}

static cJSON *render_sni(const sl_config_t *cfg, const void *p, int64_t loaded_at)
{
    const sl_sni_t *s = p;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", s->id);
    add_str(o, "name", s->name);
    add_ref(o, "certificate", s->certificate ? s->certificate->id : NULL);
    add_strlist(o, "tags", &s->tags);
    add_times(o, loaded_at);
    return o;
}

typedef cJSON *(*render_fn)(const sl_config_t *cfg, const void *e, int64_t loaded_at);

static const render_fn renderers[K_COUNT] = {
    render_service,  render_route,  render_upstream,    render_target,
    render_consumer, render_plugin, render_certificate, render_sni,
};

/* ---- public ---- */

cJSON *sl_entity_json(const sl_config_t *cfg, const char *entity, const void *e,
                            int64_t loaded_at)
{
    kind_t k = kind_of(entity);
    if (k == K_UNKNOWN || e == NULL)
        return NULL;
    return renderers[k](cfg, e, loaded_at);
}

static cJSON *envelope(cJSON **data)
{
    cJSON *o = cJSON_CreateObject();
    *data = cJSON_AddArrayToObject(o, "data");
    return o;
}

/* Kong pages lists (100 by default); sluice lists everything at once, so `next` is null. */
static cJSON *finish(cJSON *o)
{
    cJSON_AddNullToObject(o, "next");
    return o;
}

cJSON *sl_entity_list_json(const sl_config_t *cfg, const char *entity, int64_t loaded_at)
{
    kind_t k = kind_of(entity);
    if (k == K_UNKNOWN)
        return NULL;
    cJSON *data;
    cJSON *o = envelope(&data);
    size_t n = kind_count(cfg, k);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(data, renderers[k](cfg, kind_at(cfg, k, i), loaded_at));
    return finish(o);
}

/* Whether <e> (of kind <child>) belongs to <parent> (of kind <pk>); false for a pair that is
 * not a nested endpoint. */
static bool belongs(kind_t child, const void *e, kind_t pk, const void *parent)
{
    switch (child) {
    case K_ROUTES:
        if (pk == K_SERVICES)
            return ((const sl_route_t *)e)->service == parent;
        return false;
    case K_PLUGINS: {
        const sl_plugin_instance_t *p = e;
        if (pk == K_SERVICES)
            return p->service == parent;
        if (pk == K_ROUTES)
            return p->route == parent;
        if (pk == K_CONSUMERS)
            return p->consumer == parent;
        return false;
    }
    case K_TARGETS:
        if (pk == K_UPSTREAMS)
            return ((const sl_target_t *)e)->upstream == parent;
        return false;
    case K_SNIS:
        if (pk == K_CERTIFICATES)
            return ((const sl_sni_t *)e)->certificate == parent;
        return false;
    default:
        return false;
    }
}

cJSON *sl_entity_children_json(const sl_config_t *cfg, const char *parent_entity,
                              const void *parent, const char *child, int64_t loaded_at)
{
    kind_t pk = kind_of(parent_entity), ck = kind_of(child);
    if (pk == K_UNKNOWN || ck == K_UNKNOWN || parent == NULL)
        return NULL;
    /* decided on the kinds alone: an empty list is still a known endpoint */
    static const struct {
        kind_t parent, child;
    } pairs[] = {
        {K_SERVICES, K_ROUTES},  {K_SERVICES, K_PLUGINS},  {K_ROUTES, K_PLUGINS},
        {K_CONSUMERS, K_PLUGINS}, {K_UPSTREAMS, K_TARGETS}, {K_CERTIFICATES, K_SNIS},
    };
    bool known = false;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        known = known || (pairs[i].parent == pk && pairs[i].child == ck);
    if (!known)
        return NULL;

    cJSON *data;
    cJSON *o = envelope(&data);
    size_t n = kind_count(cfg, ck);
    for (size_t i = 0; i < n; i++) {
        const void *e = kind_at(cfg, ck, i);
        if (belongs(ck, e, pk, parent))
            cJSON_AddItemToArray(data, renderers[ck](cfg, e, loaded_at));
    }
    return finish(o);
}

const void *sl_entity_find(const sl_config_t *cfg, const char *entity, const char *name_or_id)
{
    kind_t k = kind_of(entity);
    if (k == K_UNKNOWN || name_or_id == NULL)
        return NULL;
    size_t n = kind_count(cfg, k);
    /* Kong tries the primary key first, then the endpoint key (kong/api/endpoints.lua
     * select_entity): a name that looks like a uuid still finds its entity. */
    for (size_t i = 0; i < n; i++) {
        const void *e = kind_at(cfg, k, i);
        if (strcmp(kind_id(k, e), name_or_id) == 0)
            return e;
    }
    for (size_t i = 0; i < n; i++) {
        const void *e = kind_at(cfg, k, i);
        const char *key = kind_key(k, e);
        if (key != NULL && strcmp(key, name_or_id) == 0)
            return e;
    }
    /* `/certificates/{sni name}` (kong/api/routes/certificates.lua) */
    if (k == K_CERTIFICATES) {
        const sl_sni_t *sni = sl_entity_find(cfg, "snis", name_or_id);
        if (sni != NULL)
            return sni->certificate;
    }
    return NULL;
}

cJSON *sl_entity_upstream_health_json(const sl_config_t *cfg, const sl_upstream_t *u,
                                     const char *node_id, int64_t loaded_at)
{
    if (u == NULL)
        return NULL;
    cJSON *data;
    cJSON *o = envelope(&data);
    for (size_t i = 0; i < u->n_targets; i++) {
        const sl_target_t *t = u->targets[i];
        cJSON *tj = render_target(cfg, t, loaded_at);
        cJSON_AddStringToObject(tj, "health", "HEALTHCHECKS_OFF");
        cJSON *d = cJSON_AddObjectToObject(tj, "data");
        cJSON *addrs = cJSON_AddArrayToObject(d, "addresses");
        cJSON *a = cJSON_CreateObject();
        /* no resolved addresses are kept per target: a hostname target shows its name */
        add_str(a, "ip", t->host);
        cJSON_AddNumberToObject(a, "port", t->port);
        cJSON_AddNumberToObject(a, "weight", t->weight);
        cJSON_AddStringToObject(a, "health", "HEALTHCHECKS_OFF");
        cJSON_AddItemToArray(addrs, a);
        cJSON_AddItemToArray(data, tj);
    }
    finish(o);
    add_str(o, "node_id", node_id);
    return o;
}
