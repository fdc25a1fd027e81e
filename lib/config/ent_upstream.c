/*
 * Upstreams and targets. The healthchecks record is data (nested field tables with Kong's
 * defaults, upstreams.lua healthchecks_config); health checking counts as enabled by Kong's
 * rule (any active interval, or a passive failure counter, non-zero), which sluice refuses
 * for now, as it refuses load-balancing algorithms other than round-robin and hashing.
 *
 * A target without a port gets 8000, what Kong's targets DAO (format_target) gives it.
 */
#include "config/ent_upstream.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/check.h"
#include "config/entities.h"
#include "config/schema.h"

#define TARGET_DEFAULT_PORT 8000

static const char *const check_types[] = {"tcp", "http", "https", "grpc", "grpcs", NULL};

#define HC(path) offsetof(sl_healthchecks_t, path)
#define REL(outer, inner) (HC(outer.inner) - HC(outer))

static const sl_field_t active_healthy[] = {
    {.name = "interval", .type = SL_FT_NUMBER, .off = REL(active.healthy, interval_s),
     .size = sizeof(uint32_t), .min = 0, .max = 65535, .def = "0"},
    {.name = "http_statuses", .type = SL_FT_STATUSES, .off = REL(active.healthy, http_statuses),
     .off_n = REL(active.healthy, n_http_statuses), .min = 100, .max = 999, .def = "200,302"},
    {.name = "successes", .type = SL_FT_INT, .off = REL(active.healthy, successes),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = NULL},
};

static const sl_field_t active_unhealthy[] = {
    {.name = "interval", .type = SL_FT_NUMBER, .off = REL(active.unhealthy, interval_s),
     .size = sizeof(uint32_t), .min = 0, .max = 65535, .def = "0"},
    {.name = "http_statuses", .type = SL_FT_STATUSES,
     .off = REL(active.unhealthy, http_statuses), .off_n = REL(active.unhealthy, n_http_statuses),
     .min = 100, .max = 999, .def = "429,404,500,501,502,503,504,505"},
    {.name = "tcp_failures", .type = SL_FT_INT, .off = REL(active.unhealthy, tcp_failures),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = "timeouts", .type = SL_FT_INT, .off = REL(active.unhealthy, timeouts),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = "http_failures", .type = SL_FT_INT, .off = REL(active.unhealthy, http_failures),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = NULL},
};

static const sl_field_t active_fields[] = {
    {.name = "type", .type = SL_FT_STRING, .off = REL(active, type), .def = "http",
     .one_of = check_types},
    {.name = "timeout", .type = SL_FT_NUMBER, .off = REL(active, timeout_s),
     .size = sizeof(uint32_t), .min = 0, .max = 65535, .def = "1"},
    {.name = "concurrency", .type = SL_FT_INT, .off = REL(active, concurrency),
     .size = sizeof(uint32_t), .min = 1, .max = 2147483648LL, .def = "10"},
    {.name = "http_path", .type = SL_FT_STRING, .off = REL(active, http_path), .def = "/",
     .check = sl_check_path},
    {.name = "https_sni", .type = SL_FT_STRING, .off = REL(active, https_sni),
     .check = sl_check_sni},
    {.name = "https_verify_certificate", .type = SL_FT_BOOL,
     .off = REL(active, https_verify_certificate), .def = "true"},
    {.name = "headers", .type = SL_FT_HEADERS, .off = SL_NOOFF},
    {.name = "healthy", .type = SL_FT_RECORD, .off = REL(active, healthy), .sub = active_healthy},
    {.name = "unhealthy", .type = SL_FT_RECORD, .off = REL(active, unhealthy),
     .sub = active_unhealthy},
    {.name = NULL},
};

static const sl_field_t passive_healthy[] = {
    {.name = "http_statuses", .type = SL_FT_STATUSES,
     .off = REL(passive.healthy, http_statuses), .off_n = REL(passive.healthy, n_http_statuses),
     .min = 100, .max = 999,
     .def = "200,201,202,203,204,205,206,207,208,226,300,301,302,303,304,305,306,307,308"},
    {.name = "successes", .type = SL_FT_INT, .off = REL(passive.healthy, successes),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = NULL},
};

static const sl_field_t passive_unhealthy[] = {
    {.name = "http_statuses", .type = SL_FT_STATUSES,
     .off = REL(passive.unhealthy, http_statuses),
     .off_n = REL(passive.unhealthy, n_http_statuses), .min = 100, .max = 999,
     .def = "429,500,503"},
    {.name = "tcp_failures", .type = SL_FT_INT, .off = REL(passive.unhealthy, tcp_failures),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = "timeouts", .type = SL_FT_INT, .off = REL(passive.unhealthy, timeouts),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = "http_failures", .type = SL_FT_INT, .off = REL(passive.unhealthy, http_failures),
     .size = sizeof(uint32_t), .min = 0, .max = 255, .def = "0"},
    {.name = NULL},
};

static const sl_field_t passive_fields[] = {
    {.name = "type", .type = SL_FT_STRING, .off = REL(passive, type), .def = "http",
     .one_of = check_types},
    {.name = "healthy", .type = SL_FT_RECORD, .off = REL(passive, healthy),
     .sub = passive_healthy},
    {.name = "unhealthy", .type = SL_FT_RECORD, .off = REL(passive, unhealthy),
     .sub = passive_unhealthy},
    {.name = NULL},
};

static const sl_field_t healthchecks_fields[] = {
    {.name = "active", .type = SL_FT_RECORD, .off = HC(active), .sub = active_fields},
    {.name = "passive", .type = SL_FT_RECORD, .off = HC(passive), .sub = passive_fields},
    {.name = "threshold", .type = SL_FT_NUMBER, .off = HC(threshold), .min = 0, .max = 100,
     .def = "0"},
    {.name = NULL},
};

static const char *const hash_modes[] = {
    "none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture", NULL,
};

#define U(field) offsetof(sl_upstream_t, field)

static const sl_field_t upstream_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = U(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "name", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = U(name),
     .check = sl_check_upstream_name},
    {.name = "algorithm", .type = SL_FT_CUSTOM},
    {.name = "hash_on", .type = SL_FT_STRING, .off = U(hash_on), .def = "none",
     .one_of = hash_modes},
    {.name = "hash_fallback", .type = SL_FT_STRING, .off = U(hash_fallback), .def = "none",
     .one_of = hash_modes},
    {.name = "hash_on_header", .type = SL_FT_STRING, .off = U(hash_on_header),
     .check = sl_check_header_name},
    {.name = "hash_fallback_header", .type = SL_FT_STRING, .off = U(hash_fallback_header),
     .check = sl_check_header_name},
    {.name = "hash_on_cookie", .type = SL_FT_STRING, .off = U(hash_on_cookie),
     .check = sl_check_cookie_name},
    {.name = "hash_on_cookie_path", .type = SL_FT_STRING, .off = U(hash_on_cookie_path),
     .def = "/", .check = sl_check_path},
    {.name = "hash_on_query_arg", .type = SL_FT_STRING, .off = U(hash_on_query_arg)},
    {.name = "hash_fallback_query_arg", .type = SL_FT_STRING, .off = U(hash_fallback_query_arg)},
    {.name = "hash_on_uri_capture", .type = SL_FT_STRING, .off = U(hash_on_uri_capture)},
    {.name = "hash_fallback_uri_capture", .type = SL_FT_STRING,
     .off = U(hash_fallback_uri_capture)},
    {.name = "slots", .type = SL_FT_INT, .off = U(slots), .size = sizeof(uint32_t), .min = 10,
     .max = 65536, .def = "10000"},
    {.name = "healthchecks", .type = SL_FT_RECORD, .off = U(healthchecks),
     .sub = healthchecks_fields},
    {.name = "tags", .type = SL_FT_TAGS, .off = U(tags)},
    {.name = "host_header", .type = SL_FT_STRING, .off = U(host_header),
     .check = sl_check_host_with_port},
    {.name = "client_certificate", .type = SL_FT_CUSTOM},
    {.name = "use_srv_name", .type = SL_FT_BOOL, .off = U(use_srv_name), .def = "false"},
    {.name = "targets", .type = SL_FT_CUSTOM},
    {.name = NULL},
};

static bool streq(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* One `conditional ... then_match = { required = true }` rule: when <mode_field> is <mode>,
 * <field> must be set. */
static void require_for_mode(sl_loader_t *ld, const sl_ent_t *e, const char *mode_value,
                             const char *mode, const char *field)
{
    if (streq(mode_value, mode) && sl_node_is_null(sl_node_map_get(e->node, field))) {
        sl_diag_about_t about = {.node = e->node, .field = field};
        sl_loader_err_about(ld, &about, "required field missing");
    }
}

static void distinct(sl_loader_t *ld, const sl_ent_t *e, const char *a, const char *b,
                     const char *fa, const char *fb)
{
    if (a != NULL && b != NULL && strcmp(a, b) == 0)
        sl_loader_err(ld, e->node, "values of these fields must be distinct: '%s', '%s'", fa, fb);
}

/* Kong's upstream entity_checks on the hashing fields. */
static void check_hashing(sl_loader_t *ld, const sl_ent_t *e, const sl_upstream_t *u)
{
    const char *on = u->hash_on, *fb = u->hash_fallback;
    require_for_mode(ld, e, on, "header", "hash_on_header");
    require_for_mode(ld, e, fb, "header", "hash_fallback_header");
    require_for_mode(ld, e, on, "cookie", "hash_on_cookie");
    require_for_mode(ld, e, fb, "cookie", "hash_on_cookie");
    require_for_mode(ld, e, on, "query_arg", "hash_on_query_arg");
    require_for_mode(ld, e, fb, "query_arg", "hash_fallback_query_arg");
    require_for_mode(ld, e, on, "uri_capture", "hash_on_uri_capture");
    require_for_mode(ld, e, fb, "uri_capture", "hash_fallback_uri_capture");

    /* allowed fallbacks per primary mode */
    static const char *const only_none[] = {"none", NULL};
    static const char *const after_consumer[] = {"none",  "ip",        "header",      "cookie",
                                                 "path",  "query_arg", "uri_capture", NULL};
    static const char *const after_ip[] = {"none", "consumer",  "header",      "cookie",
                                           "path", "query_arg", "uri_capture", NULL};
    static const char *const after_path[] = {"none",   "consumer",  "ip",          "header",
                                             "cookie", "query_arg", "uri_capture", NULL};
    static const struct {
        const char *on;
        const char *const *allowed;
    } rules[] = {
        {"none", only_none},  {"cookie", only_none}, {"consumer", after_consumer},
        {"ip", after_ip},     {"path", after_path},
    };
    for (size_t i = 0; on != NULL && fb != NULL && i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (strcmp(on, rules[i].on) != 0)
            continue;
        bool ok = false;
        for (size_t j = 0; rules[i].allowed[j] != NULL; j++)
            ok |= strcmp(fb, rules[i].allowed[j]) == 0;
        if (!ok) {
            char buf[256];
            const sl_node_t *at = sl_node_map_get(e->node, "hash_fallback");
            sl_loader_err(ld, at ? at : e->node, "%s",
                          sl_schema_one_of_msg(rules[i].allowed, buf, sizeof(buf)));
        }
    }
    distinct(ld, e, u->hash_on_header, u->hash_fallback_header, "hash_on_header",
             "hash_fallback_header");
    distinct(ld, e, u->hash_on_query_arg, u->hash_fallback_query_arg, "hash_on_query_arg",
             "hash_fallback_query_arg");
    distinct(ld, e, u->hash_on_uri_capture, u->hash_fallback_uri_capture, "hash_on_uri_capture",
             "hash_fallback_uri_capture");
}

/* The node of a healthchecks setting (for error positions), or NULL. */
static const sl_node_t *hc_node(const sl_node_t *hc, const char *a, const char *b, const char *c)
{
    return sl_node_map_get(sl_node_map_get(sl_node_map_get(hc, a), b), c);
}

static void check_healthchecks(sl_loader_t *ld, const sl_ent_t *e, sl_upstream_t *u)
{
    sl_healthchecks_t *h = &u->healthchecks;
    const sl_node_t *hc = sl_node_map_get(e->node, "healthchecks");
    struct {
        bool on;
        const sl_node_t *at;
    } rules[] = {
        {h->active.healthy.interval_s != 0, hc_node(hc, "active", "healthy", "interval")},
        {h->active.unhealthy.interval_s != 0, hc_node(hc, "active", "unhealthy", "interval")},
        {h->passive.unhealthy.tcp_failures != 0,
         hc_node(hc, "passive", "unhealthy", "tcp_failures")},
        {h->passive.unhealthy.timeouts != 0, hc_node(hc, "passive", "unhealthy", "timeouts")},
        {h->passive.unhealthy.http_failures != 0,
         hc_node(hc, "passive", "unhealthy", "http_failures")},
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (rules[i].on) {
            h->enabled = true;
            sl_loader_err(ld, rules[i].at ? rules[i].at : hc,
                          "health checks are not supported by sluice yet");
            return;
        }
    }
}

void sl_ent_upstream_build(sl_loader_t *ld, sl_ent_t *e)
{
    sl_upstream_t *u = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*u));
    e->obj = u;
    u->pos.line = e->node->line;
    u->pos.col = e->node->col;
    sl_schema_check(ld, upstream_fields, e->node, u, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, u->id);

    static const char *const algorithms[] = {"consistent-hashing", "least-connections",
                                             "round-robin", "latency", NULL};
    u->algorithm = SL_LB_ROUND_ROBIN;
    const sl_node_t *alg = sl_node_map_get(e->node, "algorithm");
    if (!sl_node_is_null(alg)) {
        const char *s = sl_schema_string(ld, alg);
        char buf[256];
        if (s != NULL) {
            size_t i = 0;
            while (algorithms[i] != NULL && strcmp(algorithms[i], s) != 0)
                i++;
            if (algorithms[i] == NULL)
                sl_loader_err(ld, alg, "%s", sl_schema_one_of_msg(algorithms, buf, sizeof(buf)));
            else if (strcmp(s, "round-robin") != 0)
                sl_loader_err(ld, alg, "algorithm '%s' is not supported by sluice yet", s);
        }
    }
    check_hashing(ld, e, u);
    if (u->hash_on != NULL && strcmp(u->hash_on, "none") != 0) {
        u->algorithm = SL_LB_CONSISTENT_HASHING;
        sl_loader_err(ld, sl_node_map_get(e->node, "hash_on"),
                      "hash_on '%s' is not supported by sluice yet", u->hash_on);
    }
    check_healthchecks(ld, e, u);

    const sl_node_t *cc = sl_node_map_get(e->node, "client_certificate");
    if (!sl_node_is_null(cc))
        sl_loader_err(ld, cc, "'client_certificate' is not supported by sluice yet");

    sl_entities_nested(ld, e, "targets", SL_ENT_TARGET);
}

#define T(field) offsetof(sl_target_t, field)

static const sl_field_t target_fields[] = {
    {.name = "id", .type = SL_FT_ID, .off = T(id)},
    {.name = "created_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "updated_at", .type = SL_FT_TIMESTAMP, .off = SL_NOOFF},
    {.name = "upstream", .type = SL_FT_CUSTOM},
    {.name = "target", .type = SL_FT_STRING, .flags = SL_F_REQUIRED, .off = T(target)},
    {.name = "weight", .type = SL_FT_INT, .off = T(weight), .size = sizeof(uint32_t), .min = 0,
     .max = 65535, .def = "100"},
    {.name = "tags", .type = SL_FT_TAGS, .off = T(tags)},
    {.name = NULL},
};

void sl_ent_upstream_build_target(sl_loader_t *ld, sl_ent_t *e)
{
    sl_target_t *t = sl_arena_calloc(&ld->cfg->arena, 1, sizeof(*t));
    e->obj = t;
    t->pos.line = e->node->line;
    t->pos.col = e->node->col;
    sl_schema_check(ld, target_fields, e->node, t, SL_SCHEMA_ENTITY);
    sl_entities_set_id(e, t->id);
    if (t->target != NULL) {
        sl_hostport_t hp;
        char err[SL_CHECK_ERR_MAX];
        if (sl_check_hostport(t->target, &hp, err, sizeof(err)) != NULL) {
            sl_loader_err(ld, sl_node_map_get(e->node, "target"),
                          "Invalid target ('%.200s'); not a valid hostname or ip address",
                          t->target);
        } else {
            t->host = sl_arena_strdup(&ld->cfg->arena, hp.host);
            t->port = (uint16_t)(hp.port < 0 ? TARGET_DEFAULT_PORT : hp.port);
        }
    }
    sl_entities_fk(ld, e, "upstream", SL_FK_UPSTREAM, true);
}
