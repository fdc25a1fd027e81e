/*
 * The config loading pipeline and its shared state, used by the files of lib/config that
 * check one kind of entity each. Not part of the public API (config/load.h is).
 *
 *   text -> node tree (node.c) -> entities walked and built (entities.c and ent_*.c)
 *        -> references, uniqueness, derived ids and values (refs.c) -> sl_config_t
 *
 * Every entity met in the document, nested or flat, gets one sl_ent_t record: the model
 * struct it builds, the node it came from (for error positions), its nesting parent and the
 * foreign keys as written. Records live in the loader's temporary arena; model structs in
 * the config's arena.
 *
 * Thread: a loader belongs to the thread that runs sl_loader_run.
 */
#ifndef SL_CONFIG_LOADER_H
#define SL_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "config/diag.h"
#include "config/load.h"
#include "config/model.h"
#include "config/node.h"
#include "config/plugins.h"
#include "core/arena.h"

typedef enum {
    SL_ENT_SERVICE = 0,
    SL_ENT_ROUTE,
    SL_ENT_UPSTREAM,
    SL_ENT_TARGET,
    SL_ENT_CONSUMER,
    SL_ENT_KEYAUTH,
    SL_ENT_BASICAUTH,
    SL_ENT_JWT,
    SL_ENT_ACL,
    SL_ENT_PLUGIN,
    SL_ENT_CERTIFICATE,
    SL_ENT_SNI,
    SL_ENT_CA_CERTIFICATE,
    SL_ENT__COUNT,
} sl_ent_kind_t;

/* Foreign-key slots of sl_ent_t.fk, per kind. */
enum {
    SL_FK_SERVICE = 0,  /* routes */
    SL_FK_UPSTREAM = 0, /* targets */
    SL_FK_CONSUMER = 0, /* credentials */
    SL_FK_CERT = 0,     /* snis */
    SL_FK_P_ROUTE = 0,  /* plugins: route, service, consumer */
    SL_FK_P_SERVICE = 1,
    SL_FK_P_CONSUMER = 2,
    SL_FK__COUNT = 3,
};

typedef struct sl_ent sl_ent_t;
struct sl_ent {
    sl_ent_kind_t kind;
    void *obj;                 /* the model struct (config arena); NULL for ca_certificates */
    char *id;                  /* obj's char[37] id, or a tmp-arena buffer for ca_certificates */
    const sl_node_t *node;     /* the entity's mapping */
    sl_ent_t *parent;          /* the entity it is nested in, or NULL */
    const sl_node_t *id_node;  /* the `id` value when one was written */
    const sl_node_t *fk[SL_FK__COUNT]; /* foreign keys as written (flat form), value nodes */
    bool invalid;              /* not a mapping / not built: later passes skip it */
    bool random_id;            /* id is a random v4 (Kong's children cannot derive from it) */
    bool dup_reported;         /* a uniqueness error was reported for it */
};

/* A growable array of pointers in the loader's temporary arena. */
typedef struct sl_ptrvec {
    void **v;
    size_t n, cap;
} sl_ptrvec_t;

typedef struct sl_loader {
    sl_config_t *cfg;          /* being built; model data goes to cfg->arena */
    sl_arena_t tmp;            /* node tree, records; destroyed when the load ends */
    sl_diag_t *diag;
    size_t diag_start;         /* diag->n + diag->dropped when the load began */
    int version;               /* 11, 21 or 30 (_format_version) */
    bool transform;            /* _transform */
    sl_plugin_lookup_fn find_plugin;
    sl_ptrvec_t ents[SL_ENT__COUNT]; /* sl_ent_t *, in document order */
    void *rng;                 /* mbedTLS DRBG made on first use by ent_tls.c, freed with tmp */
} sl_loader_t;

/* Kong's table name of <kind> ("services", "keyauth_credentials", ...). */
const char *sl_loader_kind_name(sl_ent_kind_t kind);

/* Adds <p> to <vec> (memory from <ld>'s temporary arena). */
void sl_loader_push(sl_loader_t *ld, sl_ptrvec_t *vec, void *p);

/* Reports an error about node <n> (the key, value or mapping at fault), at its position (1:1
 * when NULL). */
void sl_loader_err(sl_loader_t *ld, const sl_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports an error described by <about> (config/diag.h), at the position of about->node. */
void sl_loader_err_about(sl_loader_t *ld, const sl_diag_about_t *about, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports "required field missing" for field <field> (static) of mapping <map>: at its value
 * when one is written (an explicit null), else at <map>. */
void sl_loader_missing(sl_loader_t *ld, const sl_node_t *map, const char *field);

/* True if errors were reported since the load began. */
bool sl_loader_failed(const sl_loader_t *ld);

/* Copies a scalar's text into the config arena. */
const char *sl_loader_strdup(sl_loader_t *ld, const sl_node_t *n);

/* The whole load of <len> bytes of <text> (borrowed): format choice, node tree, entities,
 * references, hash. Same contract as sl_config_load_text (config/load.h), with plugin names
 * resolved by <find_plugin> (sl_plugin_lookup; tests pass their own). */
int sl_loader_load(const char *name, const char *text, size_t len, sl_config_fmt_t fmt,
                   sl_plugin_lookup_fn find_plugin, sl_config_t **out,
                   sl_diag_t *diag);

/* SL_CONFIG_FMT_JSON for a name ending in .json, SL_CONFIG_FMT_YAML for .yml / .yaml, else
 * -1. */
int sl_loader_format_by_name(const char *name);

#endif
