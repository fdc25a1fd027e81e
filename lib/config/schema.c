/*
 * The generic schema checker. Wording and order of checks follow Kong's Schema.validate_field
 * (kong/db/schema/init.lua): type first, then "length must be at least 1" for empty strings
 * (Kong's strings are non-empty by default), then one_of, range, and the custom validator.
 *
 * Null handling: an explicit null counts as absent, so a field with a default gets its
 * default (the model has no null for most fields) and a required field without a value is
 * "required field missing". Errors about a missing field point at the enclosing mapping;
 * every other error at the offending value, or at the key for an unknown field.
 */
#include "config/schema.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/check.h"
#include "config/suggest.h"
#include "core/errors.h"

static bool is_extra_attribute(const sl_node_t *key)
{
    return (key->len == 8 && memcmp(key->str, "_comment", 8) == 0) ||
           (key->len == 7 && memcmp(key->str, "_ignore", 7) == 0);
}

const char *const sl_schema_protocols[] = {
    "grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp", NULL,
};

unsigned sl_schema_proto_bit(const char *name)
{
    static const unsigned bits[] = {SL_PROTO_GRPC, SL_PROTO_GRPCS, SL_PROTO_HTTP,
                                    SL_PROTO_HTTPS, SL_PROTO_TCP, SL_PROTO_TLS,
                                    SL_PROTO_TLS_PASSTHROUGH, SL_PROTO_UDP};
    for (size_t i = 0; sl_schema_protocols[i] != NULL; i++) {
        if (strcmp(sl_schema_protocols[i], name) == 0)
            return bits[i];
    }
    return 0;
}

const sl_field_t *sl_schema_field(const sl_field_t *fields, const char *name)
{
    for (const sl_field_t *f = fields; f->name != NULL; f++) {
        if (strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}

const char *sl_schema_one_of_msg(const char *const *one_of, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "expected one of: ");
    for (size_t i = 0; one_of[i] != NULL && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", one_of[i]);
    return buf;
}

static bool in_one_of(const char *const *one_of, const char *s)
{
    for (size_t i = 0; one_of[i] != NULL; i++) {
        if (strcmp(one_of[i], s) == 0)
            return true;
    }
    return false;
}

const char *sl_schema_string(sl_loader_t *ld, const sl_node_t *n)
{
    if (sl_node_str(n) == NULL) {
        sl_loader_err(ld, n, "expected a string");
        return NULL;
    }
    if (n->len == 0) {
        sl_loader_err(ld, n, "length must be at least 1");
        return NULL;
    }
    return sl_loader_strdup(ld, n);
}

int sl_schema_int(sl_loader_t *ld, const sl_node_t *n, int64_t min, int64_t max, int64_t *out)
{
    int64_t v;
    int rc = sl_node_int(n, &v);
    if (rc == SL_EINVAL) {
        sl_loader_err(ld, n, "expected an integer");
        return -1;
    }
    if (rc != 0 || (min <= max && (v < min || v > max))) {
        sl_loader_err(ld, n, "value should be between %" PRId64 " and %" PRId64, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int sl_schema_bool(sl_loader_t *ld, const sl_node_t *n, bool *out)
{
    if (sl_node_bool(n, out) != 0) {
        sl_loader_err(ld, n, "expected a boolean");
        return -1;
    }
    return 0;
}

int sl_schema_strings(sl_loader_t *ld, const sl_node_t *n, bool set, sl_str_check_fn check,
                      sl_strlist_t *out)
{
    if (n->kind != SL_NODE_SEQ) {
        sl_loader_err(ld, n, set ? "expected a set" : "expected an array");
        return -1;
    }
    int rc = 0;
    const char **v = sl_arena_calloc(&ld->cfg->arena, n->n ? n->n : 1, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        const sl_node_t *e = n->items[i];
        const char *s = sl_schema_string(ld, e);
        if (s == NULL) {
            rc = -1;
            continue;
        }
        char err[SL_CHECK_ERR_MAX];
        const char *msg = check ? check(s, err, sizeof(err)) : NULL;
        if (msg != NULL) {
            sl_loader_err(ld, e, "%s", msg);
            rc = -1;
        }
        v[i] = s;
    }
    if (out != NULL) {
        out->v = v;
        out->n = n->n;
    }
    return rc;
}

static void store_int(void *obj, const sl_field_t *f, int64_t v)
{
    char *p = (char *)obj + f->off;
    switch (f->size) {
    case 1: {
        uint8_t x = (uint8_t)v;
        memcpy(p, &x, 1);
        break;
    }
    case 2: {
        uint16_t x = (uint16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case 4:
        if (f->min < 0) {
            int32_t x = (int32_t)v;
            memcpy(p, &x, 4);
        } else {
            uint32_t x = (uint32_t)v;
            memcpy(p, &x, 4);
        }
        break;
    default:
        memcpy(p, &v, 8);
        break;
    }
}

/* A number goes to a double, or (.size 4) to a uint32_t rounded up, so that a fractional
 * non-zero setting stays non-zero. */
static void store_number(void *obj, const sl_field_t *f, double d)
{
    if (f->size == sizeof(uint32_t)) {
        uint32_t x = (uint32_t)ceil(d);
        memcpy((char *)obj + f->off, &x, sizeof(x));
    } else {
        memcpy((char *)obj + f->off, &d, sizeof(d));
    }
}

/* Parses a default list "200,302" into a uint16_t array in the config arena. */
static void store_statuses_default(sl_loader_t *ld, void *obj, const sl_field_t *f)
{
    size_t n = 1;
    for (const char *p = f->def; *p; p++)
        n += *p == ',';
    uint16_t *v = sl_arena_calloc(&ld->cfg->arena, n, sizeof(uint16_t));
    const char *p = f->def;
    for (size_t i = 0; i < n; i++) {
        char *end;
        v[i] = (uint16_t)strtoul(p, &end, 10);
        p = *end == ',' ? end + 1 : end;
    }
    memcpy((char *)obj + f->off, &v, sizeof(v));
    memcpy((char *)obj + f->off_n, &n, sizeof(n));
}

static void apply_default(sl_loader_t *ld, const sl_field_t *f, void *obj)
{
    if (obj == NULL || f->off == SL_NOOFF)
        return;
    if (f->type == SL_FT_RECORD) {
        sl_schema_defaults(ld, f->sub, (char *)obj + f->off);
        return;
    }
    if (f->def == NULL)
        return;
    switch (f->type) {
    case SL_FT_STRING: {
        const char *s = f->def;
        memcpy((char *)obj + f->off, &s, sizeof(s));
        break;
    }
    case SL_FT_INT:
        store_int(obj, f, strtoll(f->def, NULL, 10));
        break;
    case SL_FT_NUMBER:
        store_number(obj, f, strtod(f->def, NULL));
        break;
    case SL_FT_BOOL: {
        bool b = strcmp(f->def, "true") == 0;
        memcpy((char *)obj + f->off, &b, sizeof(b));
        break;
    }
    case SL_FT_STATUSES:
        store_statuses_default(ld, obj, f);
        break;
    default:
        break;
    }
}

void sl_schema_defaults(sl_loader_t *ld, const sl_field_t *fields, void *obj)
{
    for (const sl_field_t *f = fields; f->name != NULL; f++)
        apply_default(ld, f, obj);
}

static int check_statuses(sl_loader_t *ld, const sl_field_t *f, const sl_node_t *v, void *obj)
{
    if (v->kind != SL_NODE_SEQ) {
        sl_loader_err(ld, v, "expected an array");
        return -1;
    }
    int rc = 0;
    uint16_t *out = sl_arena_calloc(&ld->cfg->arena, v->n ? v->n : 1, sizeof(uint16_t));
    for (size_t i = 0; i < v->n; i++) {
        int64_t x;
        if (sl_schema_int(ld, v->items[i], f->min, f->max, &x) != 0)
            rc = -1;
        else
            out[i] = (uint16_t)x;
    }
    if (obj != NULL && f->off != SL_NOOFF) {
        size_t n = v->n;
        memcpy((char *)obj + f->off, &out, sizeof(out));
        memcpy((char *)obj + f->off_n, &n, sizeof(n));
    }
    return rc;
}

static int check_headers(sl_loader_t *ld, const sl_node_t *v)
{
    if (v->kind != SL_NODE_MAP) {
        sl_loader_err(ld, v, "expected a map");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < v->n; i++) {
        const sl_node_t *k = v->pairs[i].key;
        char err[SL_CHECK_ERR_MAX];
        const char *name = sl_node_str(k);
        const char *msg = name ? sl_check_header_name(name, err, sizeof(err)) : "expected a string";
        if (msg != NULL) {
            sl_loader_err(ld, k, "%s", msg);
            rc = -1;
        }
        if (sl_schema_strings(ld, v->pairs[i].value, false, NULL, NULL) != 0)
            rc = -1;
    }
    return rc;
}

/* Checks one present, non-null value against its field. */
static void check_value(sl_loader_t *ld, const sl_field_t *f, const sl_node_t *v, void *obj)
{
    void *dst = obj != NULL && f->off != SL_NOOFF ? (char *)obj + f->off : NULL;
    char err[SL_CHECK_ERR_MAX];
    switch (f->type) {
    case SL_FT_STRING: {
        const char *s = sl_schema_string(ld, v);
        if (s == NULL)
            return;
        if (f->one_of != NULL && !in_one_of(f->one_of, s)) {
            sl_loader_err(ld, v, "%s", sl_schema_one_of_msg(f->one_of, err, sizeof(err)));
            return;
        }
        const char *msg = f->check ? f->check(s, err, sizeof(err)) : NULL;
        if (msg != NULL) {
            sl_loader_err(ld, v, "%s", msg);
            return;
        }
        if (dst != NULL)
            memcpy(dst, &s, sizeof(s));
        return;
    }
    case SL_FT_INT: {
        int64_t x;
        if (f->one_of != NULL) {
            int64_t any;
            if (sl_node_int(v, &any) == SL_EINVAL) {
                sl_loader_err(ld, v, "expected an integer");
                return;
            }
            char text[32];
            snprintf(text, sizeof(text), "%" PRId64, any);
            if (sl_node_int(v, &any) != 0 || !in_one_of(f->one_of, text)) {
                sl_loader_err(ld, v, "%s", sl_schema_one_of_msg(f->one_of, err, sizeof(err)));
                return;
            }
        }
        int64_t lo = f->min, hi = f->max;
        if (lo == 0 && hi == 0) {
            lo = 1; /* no range */
        }
        if (sl_schema_int(ld, v, lo, hi, &x) == 0 && dst != NULL)
            store_int(obj, f, x);
        return;
    }
    case SL_FT_NUMBER: {
        double d;
        if (sl_node_number(v, &d) != 0) {
            sl_loader_err(ld, v, "expected a number");
            return;
        }
        if ((f->min != 0 || f->max != 0) && !(d >= (double)f->min && d <= (double)f->max)) {
            sl_loader_err(ld, v, "value should be between %" PRId64 " and %" PRId64, f->min,
                          f->max);
            return;
        }
        if (dst != NULL)
            store_number(obj, f, d);
        return;
    }
    case SL_FT_BOOL: {
        bool b;
        if (sl_schema_bool(ld, v, &b) == 0 && dst != NULL)
            memcpy(dst, &b, sizeof(b));
        return;
    }
    case SL_FT_STRINGS:
    case SL_FT_TAGS: {
        sl_strlist_t list;
        bool set = f->type == SL_FT_TAGS || (f->flags & SL_F_SET);
        sl_str_check_fn check = f->type == SL_FT_TAGS ? sl_check_tag : f->check;
        if (sl_schema_strings(ld, v, set, check, &list) == 0 && dst != NULL)
            memcpy(dst, &list, sizeof(list));
        return;
    }
    case SL_FT_ID: {
        const char *s = sl_node_str(v);
        if (s == NULL) {
            sl_loader_err(ld, v, "expected a string");
            return;
        }
        if (!sl_check_uuid(s)) {
            sl_loader_err(ld, v, "expected a valid UUID");
            return;
        }
        if (dst != NULL)
            memcpy(dst, s, 37);
        return;
    }
    case SL_FT_TIMESTAMP: {
        double d;
        if (sl_node_number(v, &d) != 0)
            sl_loader_err(ld, v, "expected a number");
        else if (!(d > 0))
            sl_loader_err(ld, v, "expected a valid timestamp");
        return;
    }
    case SL_FT_RECORD:
        sl_schema_check(ld, f->sub, v, dst, 0);
        return;
    case SL_FT_STATUSES:
        check_statuses(ld, f, v, obj);
        return;
    case SL_FT_HEADERS:
        check_headers(ld, v);
        return;
    case SL_FT_CUSTOM:
        return;
    }
}

/* "unknown field 'x'", suggesting the nearest field of this record. */
static void unknown_field(sl_loader_t *ld, const sl_field_t *fields, const sl_node_t *k)
{
    sl_suggest_t s;
    sl_suggest_init(&s, k->str ? k->str : "", k->len);
    for (const sl_field_t *f = fields; f->name != NULL; f++)
        sl_suggest_offer(&s, f->name);
    sl_diag_unknown_field(ld->diag, k, sl_suggest_best(&s));
}

int sl_schema_check(sl_loader_t *ld, const sl_field_t *fields, const sl_node_t *map, void *obj,
                    unsigned opts)
{
    size_t before = ld->diag->n + ld->diag->dropped;
    if (map == NULL || map->kind != SL_NODE_MAP) {
        sl_loader_err(ld, map, "expected a record");
        return 1;
    }
    if (obj != NULL) {
        /* the record starts from its defaults; present values override them below */
        sl_schema_defaults(ld, fields, obj);
    }
    for (size_t i = 0; i < map->n; i++) {
        const sl_node_t *k = map->pairs[i].key;
        if ((opts & SL_SCHEMA_ENTITY) && is_extra_attribute(k))
            continue;
        if (k->kind != SL_NODE_SCALAR || sl_schema_field(fields, k->str) == NULL ||
            k->len != strlen(k->str))
            unknown_field(ld, fields, k);
    }
    for (const sl_field_t *f = fields; f->name != NULL; f++) {
        if (f->type == SL_FT_CUSTOM)
            continue;
        const sl_node_pair_t *p = sl_node_map_find(map, f->name);
        if (p == NULL || sl_node_is_null(p->value)) {
            if ((f->flags & SL_F_REQUIRED) && (p != NULL || f->def == NULL))
                sl_loader_missing(ld, map, f->name);
            continue;
        }
        check_value(ld, f, p->value, obj);
    }
    return (int)(ld->diag->n + ld->diag->dropped - before);
}
