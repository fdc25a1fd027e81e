/*
 * Node tree builder: one pass over libyaml's event stream (the parser API, not the loader,
 * so that we keep every start mark and control alias expansion ourselves).
 *
 * Alias handling follows the YAML spec with two safety rules: an anchor is registered only
 * once its node is complete, so `&a [*a]` is an undefined alias rather than a cycle, and the
 * size and depth of the document counted with aliases expanded are capped, because every
 * later pass walks the expanded tree.
 *
 * Scalar typing reproduces lyaml's implicit resolvers (lyaml/implicit.lua), which is what
 * Kong uses to read kong.yml: YAML 1.1 booleans (yes/no/on/off included), decimal, octal
 * (leading 0), hex, binary and sexagesimal integers, floats, .inf and .nan.
 */
#include "config/node.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/errors.h"
#include "core/xalloc.h"

/* ---- anchors: open-addressing map name -> node (heap, freed after the parse) ---- */

typedef struct anchor {
    char *name;             /* heap copy, NULL for an empty slot */
    const sl_node_t *node;
} anchor_t;

typedef struct anchors {
    anchor_t *v;
    size_t n, cap;          /* cap is a power of two (or 0) */
} anchors_t;

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static anchor_t *anchors_slot(anchors_t *a, const char *name)
{
    size_t mask = a->cap - 1;
    size_t i = (size_t)hash_bytes(name, strlen(name)) & mask;
    while (a->v[i].name != NULL && strcmp(a->v[i].name, name) != 0)
        i = (i + 1) & mask;
    return &a->v[i];
}

static void anchors_put(anchors_t *a, const char *name, const sl_node_t *node)
{
    if ((a->n + 1) * 2 > a->cap) {
        anchors_t bigger = {NULL, 0, a->cap ? a->cap * 2 : 16};
        bigger.v = sl_xcalloc(bigger.cap, sizeof(anchor_t));
        for (size_t i = 0; i < a->cap; i++) {
            if (a->v[i].name != NULL) {
                *anchors_slot(&bigger, a->v[i].name) = a->v[i];
                bigger.n++;
            }
        }
        free(a->v);
        *a = bigger;
    }
    anchor_t *s = anchors_slot(a, name);
    if (s->name == NULL) {
        size_t len = strlen(name);
        s->name = sl_xmalloc(len + 1);
        memcpy(s->name, name, len + 1);
        a->n++;
    }
    s->node = node; /* a later definition of the same name replaces the earlier one */
}

static const sl_node_t *anchors_get(anchors_t *a, const char *name)
{
    if (a->cap == 0)
        return NULL;
    anchor_t *s = anchors_slot(a, name);
    return s->name ? s->node : NULL;
}

static void anchors_free(anchors_t *a)
{
    for (size_t i = 0; i < a->cap; i++)
        free(a->v[i].name);
    free(a->v);
}

/* ---- positions ---- */

/* Line and column (1-based, columns in characters as libyaml counts them) of byte <off>. */
static void pos_at(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    if (off > len)
        off = len;
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3; /* libyaml does not count a byte order mark as a column */
    for (; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n' || (ch == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80 && ch != '\r') {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* ---- builder ---- */

typedef struct frame {
    sl_node_t *node;
    const sl_node_t *key;   /* MAP: key waiting for its value */
    char *anchor;           /* heap copy of the collection's anchor, or NULL */
} frame_t;

typedef struct builder {
    sl_arena_t *arena;
    sl_diag_t *diag;
    bool json;
    frame_t stack[SL_NODE_MAX_DEPTH];
    size_t depth;
    size_t total;           /* expanded node count */
    anchors_t anchors;
    const sl_node_t *root;
} builder_t;

static const char *kind_prefix(const builder_t *b)
{
    return b->json ? "invalid JSON: " : "";
}

static void grow(sl_arena_t *arena, void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *nv = sl_arena_alloc(arena, ncap * elem);
    if (n)
        memcpy(nv, *v, n * elem);
    *v = nv;
    *cap = ncap;
}

static bool key_eq(const sl_node_t *a, const sl_node_t *b)
{
    return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

static bool is_merge_key(const sl_node_t *k)
{
    return k->kind == SL_NODE_SCALAR && k->plain && k->len == 2 && memcmp(k->str, "<<", 2) == 0;
}

/* Reports keys that appear twice among the explicit keys of <m>. Small maps are checked
 * pairwise; big ones through a temporary hash set so a huge mapping stays linear. */
static void check_duplicates(builder_t *b, const sl_node_t *m)
{
    if (m->n <= 16) {
        for (size_t i = 1; i < m->n; i++) {
            const sl_node_t *k = m->pairs[i].key;
            if (is_merge_key(k))
                continue;
            for (size_t j = 0; j < i; j++) {
                if (!is_merge_key(m->pairs[j].key) && key_eq(k, m->pairs[j].key)) {
                    sl_diag_add(b->diag, k->line, k->col, "duplicate key '%.*s'",
                                (int)(k->len > 128 ? 128 : k->len), k->str);
                    break;
                }
            }
        }
        return;
    }
    size_t cap = 32;
    while (cap < m->n * 2)
        cap *= 2;
    const sl_node_t **set = sl_xcalloc(cap, sizeof(*set));
    for (size_t i = 0; i < m->n; i++) {
        const sl_node_t *k = m->pairs[i].key;
        if (is_merge_key(k))
            continue;
        size_t h = (size_t)hash_bytes(k->str, k->len) & (cap - 1);
        while (set[h] != NULL && !key_eq(set[h], k))
            h = (h + 1) & (cap - 1);
        if (set[h] != NULL)
            sl_diag_add(b->diag, k->line, k->col, "duplicate key '%.*s'",
                        (int)(k->len > 128 ? 128 : k->len), k->str);
        else
            set[h] = k;
    }
    free(set);
}

/* A set of key nodes (by text) for apply_merges: heap memory, freed by the caller. */
typedef struct keyset {
    const sl_node_t **v;
    size_t cap;
} keyset_t;

/* Adds <k>; returns false if a key with the same text is already in. */
static bool keyset_add(keyset_t *s, const sl_node_t *k)
{
    size_t h = (size_t)hash_bytes(k->str, k->len) & (s->cap - 1);
    while (s->v[h] != NULL) {
        if (key_eq(s->v[h], k))
            return false;
        h = (h + 1) & (s->cap - 1);
    }
    s->v[h] = k;
    return true;
}

/* Applies `<<` merge keys (YAML 1.1 merge type): pairs of the merged mappings whose keys
 * are not already present are appended; earlier mappings of a merge sequence win. The
 * `<<` pairs themselves are removed. A key set keeps this linear for big mappings. */
static int apply_merges(builder_t *b, sl_node_t *m)
{
    size_t total = m->n;
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        if (!is_merge_key(m->pairs[i].key))
            continue;
        any = true;
        const sl_node_t *v = m->pairs[i].value;
        if (v->kind == SL_NODE_MAP)
            total += v->n;
        for (size_t s = 0; v->kind == SL_NODE_SEQ && s < v->n; s++)
            total += v->items[s]->kind == SL_NODE_MAP ? v->items[s]->n : 0;
    }
    if (!any)
        return 0;

    keyset_t seen = {NULL, 16};
    while (seen.cap < total * 2)
        seen.cap *= 2;
    seen.v = sl_xcalloc(seen.cap, sizeof(*seen.v));
    sl_node_pair_t *old = m->pairs;
    size_t old_n = m->n;
    m->pairs = NULL;
    m->n = 0;
    m->_cap = 0;
    int rc = 0;
    for (size_t i = 0; i < old_n; i++) {
        if (is_merge_key(old[i].key))
            continue;
        keyset_add(&seen, old[i].key);
        grow(b->arena, (void **)&m->pairs, &m->_cap, m->n, sizeof(sl_node_pair_t));
        m->pairs[m->n++] = old[i];
    }
    for (size_t i = 0; i < old_n && rc == 0; i++) {
        if (!is_merge_key(old[i].key))
            continue;
        const sl_node_t *v = old[i].value;
        size_t count = v->kind == SL_NODE_SEQ ? v->n : 1;
        for (size_t s = 0; s < count; s++) {
            const sl_node_t *src = v->kind == SL_NODE_SEQ ? v->items[s] : v;
            if (src->kind != SL_NODE_MAP) {
                sl_diag_add(b->diag, src->line, src->col,
                            "%sa merge key ('<<') takes a mapping or a list of mappings",
                            kind_prefix(b));
                rc = SL_EINVAL;
                break;
            }
            for (size_t j = 0; j < src->n; j++) {
                if (is_merge_key(src->pairs[j].key) || !keyset_add(&seen, src->pairs[j].key))
                    continue;
                grow(b->arena, (void **)&m->pairs, &m->_cap, m->n, sizeof(sl_node_pair_t));
                m->pairs[m->n++] = src->pairs[j];
            }
        }
    }
    free(seen.v);
    return rc;
}

/* Adds a finished node to the open collection (or makes it the root). */
static int attach(builder_t *b, const sl_node_t *node)
{
    if (b->depth == 0) {
        b->root = node;
        return 0;
    }
    frame_t *f = &b->stack[b->depth - 1];
    sl_node_t *p = f->node;
    if (node->_height + 1 > p->_height)
        p->_height = node->_height + 1;
    if (p->kind == SL_NODE_SEQ) {
        grow(b->arena, (void **)&p->items, &p->_cap, p->n, sizeof(sl_node_t *));
        p->items[p->n++] = node;
        return 0;
    }
    if (f->key == NULL) {
        if (node->kind != SL_NODE_SCALAR && node->kind != SL_NODE_NULL) {
            sl_diag_add(b->diag, node->line, node->col, "%smapping keys must be scalars",
                        kind_prefix(b));
            return SL_EINVAL;
        }
        f->key = node;
        return 0;
    }
    grow(b->arena, (void **)&p->pairs, &p->_cap, p->n, sizeof(sl_node_pair_t));
    p->pairs[p->n].key = f->key;
    p->pairs[p->n].value = node;
    p->n++;
    f->key = NULL;
    return 0;
}

static int count_nodes(builder_t *b, size_t add, uint32_t line, uint32_t col)
{
    b->total += add;
    if (b->total > SL_NODE_MAX_NODES) {
        sl_diag_add(b->diag, line, col, "document too large: more than %u nodes once aliases "
                    "are expanded", SL_NODE_MAX_NODES);
        return SL_E2BIG;
    }
    return 0;
}

static bool is_null_text(const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        if (len == strlen(nulls[i]) && memcmp(s, nulls[i], len) == 0)
            return true;
    }
    return false;
}

static int on_scalar(builder_t *b, const yaml_event_t *ev)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
    int rc = count_nodes(b, 1, line, col);
    if (rc != 0)
        return rc;
    sl_node_t *n = sl_arena_calloc(b->arena, 1, sizeof(*n));
    n->line = line;
    n->col = col;
    n->len = ev->data.scalar.length;
    n->str = sl_arena_strndup(b->arena, (const char *)ev->data.scalar.value, n->len);
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag != NULL && (strcmp(tag, "!") == 0 || strcmp(tag, YAML_STR_TAG) == 0))
        n->plain = false; /* explicitly a string */
    n->kind = n->plain && is_null_text(n->str, n->len) ? SL_NODE_NULL : SL_NODE_SCALAR;
    n->_weight = 1;
    n->_height = 1;
    if (ev->data.scalar.anchor != NULL)
        anchors_put(&b->anchors, (const char *)ev->data.scalar.anchor, n);
    return attach(b, n);
}

static int on_alias(builder_t *b, const yaml_event_t *ev)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
    const char *name = (const char *)ev->data.alias.anchor;
    const sl_node_t *target = anchors_get(&b->anchors, name);
    if (target == NULL) {
        sl_diag_add(b->diag, line, col, "%sundefined alias '%.128s'", kind_prefix(b), name);
        return SL_EINVAL;
    }
    if (b->depth + target->_height > SL_NODE_MAX_DEPTH) {
        sl_diag_add(b->diag, line, col, "document nested too deeply (more than %u levels)",
                    SL_NODE_MAX_DEPTH);
        return SL_E2BIG;
    }
    int rc = count_nodes(b, target->_weight, line, col);
    if (rc != 0)
        return rc;
    return attach(b, target);
}

static int on_start(builder_t *b, const yaml_event_t *ev, sl_node_kind_t kind)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
    if (b->depth >= SL_NODE_MAX_DEPTH) {
        sl_diag_add(b->diag, line, col, "document nested too deeply (more than %u levels)",
                    SL_NODE_MAX_DEPTH);
        return SL_E2BIG;
    }
    int rc = count_nodes(b, 1, line, col);
    if (rc != 0)
        return rc;
    sl_node_t *n = sl_arena_calloc(b->arena, 1, sizeof(*n));
    n->kind = kind;
    n->line = line;
    n->col = col;
    n->str = "";
    n->_height = 1;
    const yaml_char_t *anchor = kind == SL_NODE_SEQ ? ev->data.sequence_start.anchor
                                                    : ev->data.mapping_start.anchor;
    frame_t *f = &b->stack[b->depth++];
    f->node = n;
    f->key = NULL;
    f->anchor = NULL;
    if (anchor != NULL) {
        size_t len = strlen((const char *)anchor);
        f->anchor = sl_xmalloc(len + 1);
        memcpy(f->anchor, anchor, len + 1);
    }
    return 0;
}

static int on_end(builder_t *b)
{
    frame_t *f = &b->stack[--b->depth];
    sl_node_t *n = f->node;
    char *anchor = f->anchor;
    f->anchor = NULL;
    int rc = 0;
    if (n->kind == SL_NODE_MAP) {
        check_duplicates(b, n);
        rc = apply_merges(b, n);
    }
    /* The expanded weight is what the subtree adds each time an alias repeats it. */
    size_t w = 1;
    if (n->kind == SL_NODE_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            w += n->items[i]->_weight;
    } else {
        for (size_t i = 0; i < n->n; i++)
            w += n->pairs[i].key->_weight + n->pairs[i].value->_weight;
    }
    n->_weight = w > SL_NODE_MAX_NODES ? SL_NODE_MAX_NODES + 1 : (uint32_t)w;
    if (anchor != NULL) {
        anchors_put(&b->anchors, anchor, n);
        free(anchor);
    }
    if (rc != 0)
        return rc;
    return attach(b, n);
}

static void report_yaml_error(builder_t *b, const yaml_parser_t *p, const char *text, size_t len)
{
    uint32_t line, col;
    if (p->error == YAML_READER_ERROR) {
        pos_at(text, len, p->problem_offset, &line, &col);
    } else {
        line = (uint32_t)p->problem_mark.line + 1;
        col = (uint32_t)p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "cannot parse";
    if (p->error == YAML_MEMORY_ERROR)
        problem = "out of memory";
    if (p->context != NULL && p->error != YAML_READER_ERROR)
        sl_diag_add(b->diag, line, col, "%s%s %s", kind_prefix(b), problem, p->context);
    else
        sl_diag_add(b->diag, line, col, "%s%s", kind_prefix(b), problem);
}

int sl_node_parse(sl_arena_t *arena, const char *text, size_t len, bool json, sl_diag_t *diag,
                  const sl_node_t **out)
{
    builder_t b;
    memset(&b, 0, sizeof(b));
    b.arena = arena;
    b.diag = diag;
    b.json = json;
    *out = NULL;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        sl_fatal_oom();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    int rc = 0;
    int docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            report_yaml_error(&b, &parser, text, len);
            rc = SL_EINVAL;
            break;
        }
        bool done = false;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                sl_diag_add(diag, (uint32_t)ev.start_mark.line + 1,
                            (uint32_t)ev.start_mark.column + 1,
                            "expected a single YAML document");
                rc = SL_EINVAL;
            }
            break;
        case YAML_SCALAR_EVENT:
            rc = on_scalar(&b, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = on_alias(&b, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = on_start(&b, &ev, SL_NODE_SEQ);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = on_start(&b, &ev, SL_NODE_MAP);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = on_end(&b);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (done || rc != 0)
            break;
    }
    for (size_t i = 0; i < b.depth; i++)
        free(b.stack[i].anchor);
    anchors_free(&b.anchors);
    yaml_parser_delete(&parser);
    if (rc == 0)
        *out = b.root;
    return rc;
}

/* ---- lookups and scalar typing ---- */

const sl_node_pair_t *sl_node_map_find(const sl_node_t *map, const char *key)
{
    if (map == NULL || map->kind != SL_NODE_MAP)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const sl_node_t *k = map->pairs[i].key;
        if (k->len == len && memcmp(k->str, key, len) == 0)
            return &map->pairs[i];
    }
    return NULL;
}

const sl_node_t *sl_node_map_get(const sl_node_t *map, const char *key)
{
    const sl_node_pair_t *p = sl_node_map_find(map, key);
    return p ? p->value : NULL;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const f[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off",
                                    "OFF"};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (strcmp(s, t[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, f[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return SL_EINVAL;
}

/* Accumulates <digit> in base <base> into *<acc>, flagging overflow past 2^63. */
static void acc_digit(uint64_t *acc, unsigned base, unsigned digit, bool *overflow)
{
    if (*acc > (UINT64_MAX - digit) / base)
        *overflow = true;
    else
        *acc = *acc * base + digit;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Digits of <s>..<end> in <base>, '_' skipped, into *<acc>. Returns the number of digits,
 * or -1 on a character that is not a digit of <base>. */
static int digits_in(const char *s, const char *end, unsigned base, uint64_t *acc, bool *overflow)
{
    int n = 0;
    for (; s < end; s++) {
        if (*s == '_')
            continue;
        int d = hexval(*s);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        acc_digit(acc, base, (unsigned)d, overflow);
        n++;
    }
    return n;
}

/* lyaml's integer resolvers, in its order: binary `0b[01][01_]+`, octal `0_*[0-7][0-7_]*`,
 * decimal `_*[0-9][0-9_]*`, hex `0x_*[0-9a-fA-F][0-9a-fA-F_]*`, sexagesimal
 * `[0-9]+:[0-5]?[0-9][:0-9]*`, each with an optional sign. Returns 0 (value in *out),
 * SL_E2BIG (an integer, too big) or SL_EINVAL (not an integer). */
static int parse_int(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len;
    bool neg = false, overflow = false;
    uint64_t acc = 0;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (p >= end)
        return SL_EINVAL;
    size_t rest = (size_t)(end - p);

    if (rest >= 2 && p[0] == '0' && p[1] == 'b') {
        const char *q = p + 2;
        while (q < end && *q == '_')
            q++;
        if (end - q < 2 || (*q != '0' && *q != '1') || digits_in(q, end, 2, &acc, &overflow) < 0)
            return SL_EINVAL;
    } else if (rest >= 2 && p[0] == '0' && p[1] == 'x') {
        const char *q = p + 2;
        while (q < end && *q == '_')
            q++;
        if (q >= end || hexval(*q) < 0 || digits_in(q, end, 16, &acc, &overflow) < 0)
            return SL_EINVAL;
    } else if (memchr(p, ':', rest) != NULL) {
        const char *q = p;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == p || q >= end || *q != ':')
            return SL_EINVAL;
        const char *r = ++q;
        while (r < end && *r >= '0' && *r <= '9')
            r++;
        if (r - q < 1 || r - q > 2 || (r - q == 2 && q[0] > '5'))
            return SL_EINVAL;
        for (; r < end; r++) {
            if (*r != ':' && (*r < '0' || *r > '9'))
                return SL_EINVAL;
        }
        uint64_t part = 0;
        for (q = p; q <= end; q++) {
            if (q == end || *q == ':') {
                if (acc > (UINT64_MAX - part) / 60)
                    overflow = true;
                else
                    acc = acc * 60 + part;
                part = 0;
            } else {
                acc_digit(&part, 10, (unsigned)(*q - '0'), &overflow);
            }
        }
    } else {
        const char *q = p + 1;
        while (q < end && *q == '_')
            q++;
        bool octal = p[0] == '0' && q < end && *q >= '0' && *q <= '7';
        uint64_t oacc = 0;
        bool ooverflow = false;
        if (octal && digits_in(q, end, 8, &oacc, &ooverflow) >= 0) {
            acc = oacc;
            overflow = ooverflow;
        } else {
            q = p;
            while (q < end && *q == '_')
                q++;
            if (q >= end || *q < '0' || *q > '9' || digits_in(q, end, 10, &acc, &overflow) < 0)
                return SL_EINVAL;
        }
    }
    if (overflow || acc > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return SL_E2BIG;
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

/* lyaml's float resolver: what Lua's tonumber accepts (decimal forms), containing '.', 'e'
 * or 'E', '_' ignored; plus .inf / .nan. */
static int parse_float(const char *s, size_t len, double *out)
{
    static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
    static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF"};
    static const char *const nan[] = {".nan", ".NaN", ".NAN"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, inf[i]) == 0) {
            *out = INFINITY;
            return 0;
        }
    }
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, ninf[i]) == 0) {
            *out = -INFINITY;
            return 0;
        }
        if (strcmp(s, nan[i]) == 0) {
            *out = NAN;
            return 0;
        }
    }
    if (len == 0 || len > 256 || strpbrk(s, ".eE") == NULL)
        return SL_EINVAL;
    char buf[260];
    size_t j = 0;
    bool digit = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '_')
            continue;
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' ||
              c == '-'))
            return SL_EINVAL; /* no hex floats, no inf/nan words */
        digit |= c >= '0' && c <= '9';
        buf[j++] = c;
    }
    buf[j] = '\0';
    if (!digit)
        return SL_EINVAL;
    char *endp;
    double v = strtod(buf, &endp);
    if (endp == buf || *endp != '\0')
        return SL_EINVAL;
    *out = v;
    return 0;
}

sl_scalar_type_t sl_node_scalar_type(const sl_node_t *n)
{
    if (n == NULL || n->kind != SL_NODE_SCALAR || !n->plain || n->len != strlen(n->str))
        return SL_SCALAR_STRING;
    bool b;
    if (parse_bool(n->str, &b) == 0)
        return SL_SCALAR_BOOL;
    int64_t i;
    int rc = parse_int(n->str, n->len, &i);
    if (rc == 0 || rc == SL_E2BIG)
        return SL_SCALAR_INT;
    double d;
    if (parse_float(n->str, n->len, &d) == 0)
        return SL_SCALAR_FLOAT;
    return SL_SCALAR_STRING;
}

const char *sl_node_str(const sl_node_t *n)
{
    if (n == NULL || n->kind != SL_NODE_SCALAR || sl_node_scalar_type(n) != SL_SCALAR_STRING)
        return NULL;
    return n->str;
}

int sl_node_int(const sl_node_t *n, int64_t *out)
{
    switch (sl_node_scalar_type(n)) {
    case SL_SCALAR_INT:
        return parse_int(n->str, n->len, out);
    case SL_SCALAR_FLOAT: {
        double d;
        parse_float(n->str, n->len, &d);
        if (!isfinite(d) || floor(d) != d)
            return SL_EINVAL;
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return SL_E2BIG;
        *out = (int64_t)d;
        return 0;
    }
    default:
        return SL_EINVAL;
    }
}

int sl_node_number(const sl_node_t *n, double *out)
{
    switch (sl_node_scalar_type(n)) {
    case SL_SCALAR_INT: {
        int64_t i;
        if (parse_int(n->str, n->len, &i) == 0) {
            *out = (double)i;
            return 0;
        }
        /* too big for int64: still a number */
        *out = n->str[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        return 0;
    }
    case SL_SCALAR_FLOAT:
        return parse_float(n->str, n->len, out);
    default:
        return SL_EINVAL;
    }
}

int sl_node_bool(const sl_node_t *n, bool *out)
{
    if (sl_node_scalar_type(n) != SL_SCALAR_BOOL)
        return SL_EINVAL;
    return parse_bool(n->str, out);
}

void sl_node_pos_at(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    pos_at(text, len, off, line, col);
}
