/*
 * Cross-entity pass, following kong/db/schema/others/declarative_config.lua:
 *
 * - ids (generate_ids): an entity whose schema has a cache key gets
 *   v5("<table>:*:<part>:<part>...") where each part is the field as written, the parent's id
 *   for the field the nesting fills in, or "" (no id is derived when a part cannot be known:
 *   an auto-generated key, a missing required field, a parent with a random id); otherwise an
 *   entity with its endpoint key (name, username) gets v5(<key>); anything else a random v4.
 * - uniqueness (populate_references, flatten): endpoint keys first, then primary keys (an
 *   entity whose key already clashed is not reported again), then other unique fields.
 * - references (validate_references): a flat foreign key names the parent by endpoint key or
 *   by id; certificates only by id.
 *
 * Keys and references are read from the nodes as written rather than from the built model,
 * so that a value rejected by a schema check does not also produce a dangling reference.
 */
#include "config/refs.h"

#include <mbedtls/sha1.h>
#include <stdio.h>
#include <string.h>

#include "config/uuid.h"

/* ---- a string -> pointer map sized once, in the temporary arena ---- */

typedef struct smap {
    const char **k;
    void **v;
    size_t cap;
} smap_t;

static void smap_init(sl_loader_t *ld, smap_t *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 2)
        m->cap *= 2;
    m->k = sl_arena_calloc(&ld->tmp, m->cap, sizeof(*m->k));
    m->v = sl_arena_calloc(&ld->tmp, m->cap, sizeof(*m->v));
}

static size_t smap_slot(const smap_t *m, const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = key; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ull;
    }
    size_t i = (size_t)h & (m->cap - 1);
    while (m->k[i] != NULL && strcmp(m->k[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void *smap_get(const smap_t *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = smap_slot(m, key);
    return m->k[i] ? m->v[i] : NULL;
}

/* Returns false (and stores nothing) when <key> is already present. */
static bool smap_put(smap_t *m, const char *key, void *val)
{
    size_t i = smap_slot(m, key);
    if (m->k[i] != NULL)
        return false;
    m->k[i] = key;
    m->v[i] = val;
    return true;
}

/* ---- per-kind schema facts ---- */

typedef struct kind_info {
    const char *endpoint_key;       /* unique endpoint key, or NULL */
    const char *const *cache_key;   /* cache_key fields, or NULL */
    bool auto_cache_key;            /* the cache key is an auto field: never derived */
    const char *fk_names[SL_FK__COUNT]; /* foreign key field names by slot */
    sl_ent_kind_t fk_kinds[SL_FK__COUNT];
} kind_info_t;

static const char *const ck_target[] = {"upstream", "target", NULL};
static const char *const ck_key[] = {"key", NULL};
static const char *const ck_username[] = {"username", NULL};
static const char *const ck_acl[] = {"consumer", "group", NULL};
static const char *const ck_plugin[] = {"name", "route", "service", "consumer", NULL};

static const kind_info_t info[SL_ENT__COUNT] = {
    [SL_ENT_SERVICE] = {.endpoint_key = "name"},
    [SL_ENT_ROUTE] = {.endpoint_key = "name", .fk_names = {"service"},
                      .fk_kinds = {SL_ENT_SERVICE}},
    [SL_ENT_UPSTREAM] = {.endpoint_key = "name"},
    [SL_ENT_TARGET] = {.cache_key = ck_target, .fk_names = {"upstream"},
                       .fk_kinds = {SL_ENT_UPSTREAM}},
    [SL_ENT_CONSUMER] = {.endpoint_key = "username"},
    [SL_ENT_KEYAUTH] = {.endpoint_key = "key", .cache_key = ck_key, .auto_cache_key = true,
                        .fk_names = {"consumer"}, .fk_kinds = {SL_ENT_CONSUMER}},
    [SL_ENT_BASICAUTH] = {.endpoint_key = "username", .cache_key = ck_username,
                          .fk_names = {"consumer"}, .fk_kinds = {SL_ENT_CONSUMER}},
    [SL_ENT_JWT] = {.endpoint_key = "key", .cache_key = ck_key, .auto_cache_key = true,
                    .fk_names = {"consumer"}, .fk_kinds = {SL_ENT_CONSUMER}},
    [SL_ENT_ACL] = {.cache_key = ck_acl, .fk_names = {"consumer"},
                    .fk_kinds = {SL_ENT_CONSUMER}},
    [SL_ENT_PLUGIN] = {.endpoint_key = "instance_name", .cache_key = ck_plugin,
                       .fk_names = {"route", "service", "consumer"},
                       .fk_kinds = {SL_ENT_ROUTE, SL_ENT_SERVICE, SL_ENT_CONSUMER}},
    [SL_ENT_CERTIFICATE] = {0},
    [SL_ENT_SNI] = {.endpoint_key = "name", .fk_names = {"certificate"},
                    .fk_kinds = {SL_ENT_CERTIFICATE}},
    [SL_ENT_CA_CERTIFICATE] = {0},
};

/* The order ids are made in: parents before the children that derive from them. */
static const sl_ent_kind_t id_order[] = {
    SL_ENT_SERVICE, SL_ENT_ROUTE,     SL_ENT_UPSTREAM, SL_ENT_CONSUMER, SL_ENT_CERTIFICATE,
    SL_ENT_SNI,     SL_ENT_CA_CERTIFICATE, SL_ENT_TARGET, SL_ENT_KEYAUTH, SL_ENT_BASICAUTH,
    SL_ENT_JWT,     SL_ENT_ACL,       SL_ENT_PLUGIN,
};

/* The foreign key field that nesting fills in for <e>, or NULL when it is not nested. */
static const char *child_key(const sl_ent_t *e)
{
    if (e->parent == NULL)
        return NULL;
    for (int s = 0; s < SL_FK__COUNT; s++) {
        if (info[e->kind].fk_names[s] != NULL && info[e->kind].fk_kinds[s] == e->parent->kind)
            return info[e->kind].fk_names[s];
    }
    return NULL;
}

/* The model's own string for fields sluice may generate (credential keys). */
static const char *generated_key(const sl_ent_t *e)
{
    if (e->kind == SL_ENT_KEYAUTH)
        return ((const sl_keyauth_credential_t *)e->obj)->key;
    if (e->kind == SL_ENT_JWT)
        return ((const sl_jwt_secret_t *)e->obj)->key;
    return NULL;
}

/* The endpoint key of <e> as written (or generated), with the node to report at. */
static const char *endpoint_key(const sl_ent_t *e, const sl_node_t **at)
{
    const char *field = info[e->kind].endpoint_key;
    *at = e->node;
    if (field == NULL)
        return NULL;
    const sl_node_t *n = sl_node_map_get(e->node, field);
    const char *s = sl_node_str(n);
    if (s != NULL && n->len > 0) {
        *at = n;
        return s;
    }
    return sl_node_is_null(n) ? generated_key(e) : NULL;
}

/* ---- ids ---- */

static void derive_id(sl_loader_t *ld, sl_ent_t *e)
{
    const kind_info_t *ki = &info[e->kind];
    const char *table = sl_loader_kind_name(e->kind);
    if (ki->cache_key != NULL) {
        if (ki->auto_cache_key)
            goto random;
        const char *ck = child_key(e);
        char key[4096];
        size_t o = (size_t)snprintf(key, sizeof(key), "%s:*", table);
        for (size_t i = 0; ki->cache_key[i] != NULL; i++) {
            const char *field = ki->cache_key[i];
            const sl_node_pair_t *p = sl_node_map_find(e->node, field);
            const char *part = NULL;
            if (p == NULL) {
                if (ck != NULL && strcmp(ck, field) == 0) {
                    if (e->parent->random_id || e->parent->id == NULL)
                        goto random;
                    part = e->parent->id;
                } else if (strcmp(field, "route") != 0 && strcmp(field, "service") != 0 &&
                           strcmp(field, "consumer") != 0) {
                    goto random; /* a required field is missing */
                } else if (e->kind != SL_ENT_PLUGIN) {
                    goto random;
                } else {
                    part = "";
                }
            } else if (sl_node_str(p->value) != NULL) {
                part = p->value->str;
            }
            /* neither a string nor absent (an explicit null): Kong adds no part */
            if (part != NULL) {
                int w = snprintf(key + o, sizeof(key) - o, ":%s", part);
                if (w < 0 || (size_t)w >= sizeof(key) - o)
                    goto random;
                o += (size_t)w;
            }
        }
        sl_uuid_entity(table, key, e->id);
        return;
    }
    if (ki->endpoint_key != NULL) {
        const sl_node_t *n = sl_node_map_get(e->node, ki->endpoint_key);
        const char *s = sl_node_str(n);
        if (s != NULL && n->len > 0) {
            sl_uuid_entity(table, s, e->id);
            return;
        }
    }
random:
    sl_uuid_v4(e->id);
    e->random_id = true;
    (void)ld;
}

static void make_ids(sl_loader_t *ld)
{
    for (size_t k = 0; k < sizeof(id_order) / sizeof(id_order[0]); k++) {
        sl_ptrvec_t *vec = &ld->ents[id_order[k]];
        for (size_t i = 0; i < vec->n; i++) {
            sl_ent_t *e = vec->v[i];
            if (e->invalid || e->id == NULL)
                continue;
            if (e->id[0] == '\0')
                derive_id(ld, e);
        }
    }
}

/* ---- uniqueness ---- */

/* Kong's tree holds a uniqueness error in place of the entity (declarative_config.lua
 * populate_references: errs[entity][i] = message). */
static void uniqueness_error(sl_loader_t *ld, sl_ent_t *e, const sl_node_t *at,
                             const char *field, const char *value)
{
    sl_diag_about_t about = {.node = at, .whole = true};
    sl_loader_err_about(ld, &about,
                        "uniqueness violation: '%s' entity with %s set to '%.200s' already "
                        "declared",
                        sl_loader_kind_name(e->kind), field, value);
    e->dup_reported = true;
}

typedef struct lookup {
    smap_t by_key[SL_ENT__COUNT];
    smap_t by_id[SL_ENT__COUNT];
} lookup_t;

static void check_unique(sl_loader_t *ld, lookup_t *lk)
{
    for (int kind = 0; kind < SL_ENT__COUNT; kind++) {
        sl_ptrvec_t *vec = &ld->ents[kind];
        smap_init(ld, &lk->by_key[kind], vec->n);
        smap_init(ld, &lk->by_id[kind], vec->n);
        smap_t other;
        smap_init(ld, &other, kind == SL_ENT_CONSUMER ? vec->n : 0);
        for (size_t i = 0; i < vec->n; i++) {
            sl_ent_t *e = vec->v[i];
            if (e->invalid)
                continue;
            const sl_node_t *at;
            const char *key = endpoint_key(e, &at);
            bool failed = false;
            if (key != NULL && !smap_put(&lk->by_key[kind], key, e)) {
                uniqueness_error(ld, e, at, info[kind].endpoint_key, key);
                failed = true;
            }
            if (e->id != NULL && e->id[0] != '\0' && !smap_put(&lk->by_id[kind], e->id, e) &&
                !failed)
                uniqueness_error(ld, e, e->id_node ? e->id_node : e->node, "primary key", e->id);
            if (kind == SL_ENT_CONSUMER) {
                const sl_node_t *n = sl_node_map_get(e->node, "custom_id");
                const char *cid = sl_node_str(n);
                if (cid != NULL && n->len > 0 && !smap_put(&other, cid, e))
                    uniqueness_error(ld, e, n, "custom_id", cid);
            }
        }
    }
}

/* ---- references ---- */

static sl_ent_t *find(const lookup_t *lk, sl_ent_kind_t kind, const char *key)
{
    sl_ent_t *e = kind == SL_ENT_CERTIFICATE ? NULL : smap_get(&lk->by_key[kind], key);
    return e ? e : smap_get(&lk->by_id[kind], key);
}

/* The entity <e> refers to through fk slot <slot>: its parent when nested there, else the
 * flat reference (reported when dangling). */
static sl_ent_t *target_of(sl_loader_t *ld, const lookup_t *lk, sl_ent_t *e, int slot)
{
    const kind_info_t *ki = &info[e->kind];
    if (ki->fk_names[slot] == NULL)
        return NULL;
    if (e->parent != NULL)
        return e->parent->kind == ki->fk_kinds[slot] ? e->parent : NULL;
    const sl_node_t *n = e->fk[slot];
    if (n == NULL)
        return NULL;
    sl_ent_t *t = find(lk, ki->fk_kinds[slot], n->str);
    if (t == NULL) {
        /* Kong lists it under the entity's endpoint key, else its id
         * (declarative_config.lua validate_references) */
        const sl_node_t *at;
        const char *key = endpoint_key(e, &at);
        sl_diag_about_t about = {.node = n, .key = key ? key : e->id};
        sl_loader_err_about(ld, &about, "invalid reference '%s: %.200s' (no such entry in '%s')",
                            ki->fk_names[slot], n->str,
                            sl_loader_kind_name(ki->fk_kinds[slot]));
    }
    return t;
}

static void *obj_of(const sl_ent_t *t)
{
    return t != NULL && !t->invalid ? t->obj : NULL;
}

static void link_refs(sl_loader_t *ld, const lookup_t *lk)
{
    for (int kind = 0; kind < SL_ENT__COUNT; kind++) {
        sl_ptrvec_t *vec = &ld->ents[kind];
        for (size_t i = 0; i < vec->n; i++) {
            sl_ent_t *e = vec->v[i];
            if (e->invalid)
                continue;
            sl_ent_t *t[SL_FK__COUNT] = {NULL, NULL, NULL};
            for (int s = 0; s < SL_FK__COUNT; s++)
                t[s] = target_of(ld, lk, e, s);
            switch (e->kind) {
            case SL_ENT_ROUTE:
                ((sl_route_t *)e->obj)->service = obj_of(t[SL_FK_SERVICE]);
                break;
            case SL_ENT_TARGET:
                ((sl_target_t *)e->obj)->upstream = obj_of(t[SL_FK_UPSTREAM]);
                break;
            case SL_ENT_KEYAUTH:
                ((sl_keyauth_credential_t *)e->obj)->consumer = obj_of(t[SL_FK_CONSUMER]);
                break;
            case SL_ENT_BASICAUTH:
                ((sl_basicauth_credential_t *)e->obj)->consumer = obj_of(t[SL_FK_CONSUMER]);
                break;
            case SL_ENT_JWT:
                ((sl_jwt_secret_t *)e->obj)->consumer = obj_of(t[SL_FK_CONSUMER]);
                break;
            case SL_ENT_ACL:
                ((sl_acl_t *)e->obj)->consumer = obj_of(t[SL_FK_CONSUMER]);
                break;
            case SL_ENT_PLUGIN: {
                sl_plugin_instance_t *p = e->obj;
                p->route = obj_of(t[SL_FK_P_ROUTE]);
                p->service = obj_of(t[SL_FK_P_SERVICE]);
                p->consumer = obj_of(t[SL_FK_P_CONSUMER]);
                break;
            }
            case SL_ENT_SNI:
                ((sl_sni_t *)e->obj)->certificate = obj_of(t[SL_FK_CERT]);
                break;
            default:
                break;
            }
        }
    }
}

/* ---- values computed from several entities ---- */

const char *sl_refs_random_string(sl_arena_t *arena)
{
    unsigned char b[16];
    sl_uuid_random_bytes(b, sizeof(b));
    char *s = sl_arena_alloc(arena, 33);
    for (int i = 0; i < 16; i++)
        snprintf(s + 2 * i, 3, "%02x", b[i]);
    return s;
}

/* key-auth and jwt generate what is not written (auto fields in their schemas). */
static void generate_keys(sl_loader_t *ld)
{
    sl_ptrvec_t *ka = &ld->ents[SL_ENT_KEYAUTH], *jw = &ld->ents[SL_ENT_JWT];
    for (size_t i = 0; i < ka->n; i++) {
        sl_ent_t *e = ka->v[i];
        sl_keyauth_credential_t *c = e->obj;
        if (!e->invalid && c->key == NULL && sl_node_is_null(sl_node_map_get(e->node, "key")))
            c->key = sl_refs_random_string(&ld->cfg->arena);
    }
    for (size_t i = 0; i < jw->n; i++) {
        sl_ent_t *e = jw->v[i];
        sl_jwt_secret_t *j = e->obj;
        if (e->invalid)
            continue;
        if (j->key == NULL && sl_node_is_null(sl_node_map_get(e->node, "key")))
            j->key = sl_refs_random_string(&ld->cfg->arena);
        if (j->secret == NULL && sl_node_is_null(sl_node_map_get(e->node, "secret")))
            j->secret = sl_refs_random_string(&ld->cfg->arena);
    }
}

/* basic-auth/crypto.lua: sha1_hex(password .. consumer_id), with _transform. */
static void hash_passwords(sl_loader_t *ld)
{
    sl_ptrvec_t *vec = &ld->ents[SL_ENT_BASICAUTH];
    for (size_t i = 0; ld->transform && i < vec->n; i++) {
        sl_ent_t *e = vec->v[i];
        sl_basicauth_credential_t *c = e->obj;
        if (e->invalid || c->password_hash == NULL || c->consumer == NULL)
            continue;
        mbedtls_sha1_context ctx;
        unsigned char d[20];
        mbedtls_sha1_init(&ctx);
        mbedtls_sha1_starts(&ctx);
        mbedtls_sha1_update(&ctx, (const unsigned char *)c->password_hash,
                            strlen(c->password_hash));
        mbedtls_sha1_update(&ctx, (const unsigned char *)c->consumer->id,
                            strlen(c->consumer->id));
        mbedtls_sha1_finish(&ctx, d);
        mbedtls_sha1_free(&ctx);
        char *hex = sl_arena_alloc(&ld->cfg->arena, 41);
        for (int b = 0; b < 20; b++)
            snprintf(hex + 2 * b, 3, "%02x", d[b]);
        c->password_hash = hex;
    }
}

/* A service whose host is an upstream's name is balanced through it. */
static void link_upstreams(sl_loader_t *ld, const lookup_t *lk)
{
    sl_ptrvec_t *sv = &ld->ents[SL_ENT_SERVICE];
    for (size_t i = 0; i < sv->n; i++) {
        sl_ent_t *e = sv->v[i];
        sl_service_t *s = e->obj;
        if (e->invalid || s->host == NULL)
            continue;
        sl_ent_t *u = smap_get(&lk->by_key[SL_ENT_UPSTREAM], s->host);
        s->upstream = obj_of(u);
    }
    /* targets of each upstream, in file order */
    sl_ptrvec_t *tv = &ld->ents[SL_ENT_TARGET];
    for (size_t i = 0; i < tv->n; i++) {
        sl_ent_t *e = tv->v[i];
        sl_target_t *t = e->obj;
        if (e->invalid || t->upstream == NULL)
            continue;
        t->upstream->n_targets++;
    }
    sl_ptrvec_t *uv = &ld->ents[SL_ENT_UPSTREAM];
    for (size_t i = 0; i < uv->n; i++) {
        sl_ent_t *e = uv->v[i];
        sl_upstream_t *u = e->obj;
        if (e->invalid)
            continue;
        u->targets = sl_arena_calloc(&ld->cfg->arena, u->n_targets ? u->n_targets : 1,
                                     sizeof(sl_target_t *));
        u->n_targets = 0;
    }
    for (size_t i = 0; i < tv->n; i++) {
        sl_ent_t *e = tv->v[i];
        sl_target_t *t = e->obj;
        if (e->invalid || t->upstream == NULL)
            continue;
        t->upstream->targets[t->upstream->n_targets++] = t;
    }
}

/* Duplicates Kong would catch through equal derived ids, caught here whatever the ids:
 * the same plugin twice on one scope, one ACL group twice for a consumer, one target twice
 * in an upstream. Entities already reported are skipped. */
static void check_scoped_duplicates(sl_loader_t *ld)
{
    char key[1024];
    for (int pass = 0; pass < 3; pass++) {
        sl_ent_kind_t kind = pass == 0 ? SL_ENT_PLUGIN : pass == 1 ? SL_ENT_ACL : SL_ENT_TARGET;
        sl_ptrvec_t *vec = &ld->ents[kind];
        smap_t seen;
        smap_init(ld, &seen, vec->n);
        for (size_t i = 0; i < vec->n; i++) {
            sl_ent_t *e = vec->v[i];
            if (e->invalid)
                continue;
            const char *field, *value;
            const sl_node_t *at;
            if (kind == SL_ENT_PLUGIN) {
                const sl_plugin_instance_t *p = e->obj;
                if (p->name == NULL)
                    continue;
                snprintf(key, sizeof(key), "%p:%p:%p:%s", (void *)p->route, (void *)p->service,
                         (void *)p->consumer, p->name);
                field = "name";
                value = p->name;
                at = sl_node_map_get(e->node, "name");
            } else if (kind == SL_ENT_ACL) {
                const sl_acl_t *a = e->obj;
                if (a->group == NULL || a->consumer == NULL)
                    continue;
                snprintf(key, sizeof(key), "%p:%s", (void *)a->consumer, a->group);
                field = "group";
                value = a->group;
                at = sl_node_map_get(e->node, "group");
            } else {
                const sl_target_t *t = e->obj;
                if (t->host == NULL || t->upstream == NULL)
                    continue;
                snprintf(key, sizeof(key), "%p:%s:%u", (void *)t->upstream, t->host, t->port);
                field = "target";
                value = t->target;
                at = sl_node_map_get(e->node, "target");
            }
            char *k = sl_arena_strdup(&ld->tmp, key);
            sl_diag_about_t about = {.node = at ? at : e->node, .whole = true};
            if (!smap_put(&seen, k, e) && !e->dup_reported)
                sl_loader_err_about(ld, &about,
                                    "uniqueness violation: '%s' entity with %s set to '%.200s' "
                                    "already declared for this %s",
                                    sl_loader_kind_name(kind), field, value,
                                    kind == SL_ENT_PLUGIN ? "scope"
                                    : kind == SL_ENT_ACL  ? "consumer"
                                                          : "upstream");
        }
    }
}

void sl_refs_resolve(sl_loader_t *ld)
{
    lookup_t *lk = sl_arena_calloc(&ld->tmp, 1, sizeof(*lk));
    generate_keys(ld);
    make_ids(ld);
    check_unique(ld, lk);
    link_refs(ld, lk);
    link_upstreams(ld, lk);
    hash_passwords(ld);
    check_scoped_duplicates(ld);
}
