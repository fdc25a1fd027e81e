/*
 * Positioned node tree: a YAML (or JSON) document as null / scalar / sequence / mapping nodes,
 * each with the 1-based line and column where it starts, so that any later check can report
 * an error exactly where the offending value is written (the way h2o's yoml nodes do).
 *
 * Scalars keep their text and whether they were written plain. Plain scalars are typed the
 * way Kong's YAML loader (lyaml, YAML 1.1 implicit typing) types them: `true`, `yes`, `on`
 * are booleans, `123` / `0x1f` / `1:30` are integers, `1.5` a float, `~` / `null` / empty a
 * null (a null becomes an SL_NODE_NULL node). Quoted, block and `!!str`-tagged scalars are
 * always strings.
 *
 * Aliases share the anchored node: the tree is a DAG. The builder caps the expanded size of
 * the document (SL_NODE_MAX_NODES, so a "billion laughs" input is refused) and its expanded
 * depth (SL_NODE_MAX_DEPTH). Duplicate keys in one mapping are an error; `<<` merge keys are
 * applied (explicit keys win).
 *
 * Ownership: every node and string lives in the arena given to sl_node_parse.
 * Thread: any; no global state.
 */
#ifndef SL_CONFIG_NODE_H
#define SL_CONFIG_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "core/arena.h"

#define SL_NODE_MAX_NODES 1000000u /* nodes after alias expansion */
#define SL_NODE_MAX_DEPTH 64u      /* nesting after alias expansion */

typedef enum {
    SL_NODE_NULL = 0,
    SL_NODE_SCALAR,
    SL_NODE_SEQ,
    SL_NODE_MAP,
} sl_node_kind_t;

/* What a scalar means (sl_node_scalar_type). */
typedef enum {
    SL_SCALAR_STRING = 0,
    SL_SCALAR_INT,
    SL_SCALAR_FLOAT,
    SL_SCALAR_BOOL,
} sl_scalar_type_t;

typedef struct sl_node sl_node_t;

typedef struct sl_node_pair {
    const sl_node_t *key;   /* a scalar or null node */
    const sl_node_t *value;
} sl_node_pair_t;

struct sl_node {
    sl_node_kind_t kind;
    uint32_t line, col;     /* 1-based start of the node (for an alias: of the anchor) */
    const char *str;        /* SCALAR and NULL: the text, NUL-terminated ("" for none) */
    size_t len;             /* length of str (may hold NUL bytes from escapes) */
    bool plain;             /* SCALAR: written plain, so implicitly typed */
    const sl_node_t **items; /* SEQ: elements */
    sl_node_pair_t *pairs;  /* MAP: pairs in document order */
    size_t n;               /* SEQ: number of items; MAP: number of pairs */
    size_t _cap;            /* private: capacity while building */
    uint32_t _weight;       /* private: nodes in the expanded subtree */
    uint32_t _height;       /* private: depth of the expanded subtree */
};

/* Parses <len> bytes of <text> (borrowed) into a tree allocated in <arena>. <json> only
 * changes the wording of syntax errors ("invalid JSON: ..."); the caller validates JSON
 * syntax first. Returns 0 and sets *<out> (NULL for an empty stream), or a negative SL_E*
 * after adding the error (at libyaml's problem mark) to <diag>. */
int sl_node_parse(sl_arena_t *arena, const char *text, size_t len, bool json, sl_diag_t *diag,
                  const sl_node_t **out);

/* Mapping lookup by key text; NULL when <map> is not a mapping or has no such key. */
const sl_node_t *sl_node_map_get(const sl_node_t *map, const char *key);
/* Same, returning the pair (key node and value). */
const sl_node_pair_t *sl_node_map_find(const sl_node_t *map, const char *key);

/* True for an absent (NULL) node or an explicit null. */
static inline bool sl_node_is_null(const sl_node_t *n)
{
    return n == NULL || n->kind == SL_NODE_NULL;
}

/* The implicit type of a scalar (SL_SCALAR_STRING for a non-scalar). */
sl_scalar_type_t sl_node_scalar_type(const sl_node_t *n);
/* The string of <n> if it is a string-typed scalar, else NULL. */
const char *sl_node_str(const sl_node_t *n);
/* 0 and *<out> if <n> is an integer (or a float with an integral value within int64);
 * SL_EINVAL if it is not a number; SL_E2BIG if it is an integer out of the int64 range. */
int sl_node_int(const sl_node_t *n, int64_t *out);
/* 0 and *<out> if <n> is an integer or a float; else SL_EINVAL. */
int sl_node_number(const sl_node_t *n, double *out);
/* 0 and *<out> if <n> is a boolean; else SL_EINVAL. */
int sl_node_bool(const sl_node_t *n, bool *out);

/* Line and column (1-based; columns count characters, as libyaml does) of byte offset <off>
 * of <text>, for errors reported by offset (cJSON, libyaml reader errors). */
void sl_node_pos_at(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col);

#endif
