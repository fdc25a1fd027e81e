/*
 * Kong's error tree (see errtree.h).
 *
 * Placing: one walk of the document, done only once a load has failed, finds the node each
 * error is about (by pointer, or by position for errors that only gave one) and turns the
 * walk's path into the error's place. The rules follow where Kong's schema validation puts
 * an error (kong/db/schema/init.lua): a key or value gives its field, an array element its
 * 1-based position, a mapping its "@entity" list; a message written "field.sub: text" (a
 * plugin naming the field it is about) goes under that field of the record.
 *
 * Rendering: the places are merged into a small tree, then written twice: as cJSON encodes a
 * Lua table for Kong (arrays with nulls for holes; kong/globalpatches.lua lets an array be
 * sparse up to 2^15 entries), and as penlight's pl.pretty.write(t, "") writes it (the array
 * part, then string keys sorted, then the other integer keys; `key=` for identifiers,
 * `["key"]=` otherwise; strings as %q quotes them, or in long brackets).
 */
#include "config/errtree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/xalloc.h"

#define PARSE_PREFIX "failed parsing declarative configuration"
#define MAX_STEPS (SL_NODE_MAX_DEPTH + 16)
#define MAX_CHAIN 8
#define PRIO_EXACT 100 /* found by pointer; position matches rank by node role below */

/* ---- placing ------------------------------------------------------------------------- */

typedef struct pstep {
    const char *s; /* borrowed key text, NULL for an array position */
    size_t len;
    size_t index;
} pstep_t;

typedef struct slot {
    uint64_t key;
    size_t first; /* entry index + 1; 0: empty slot */
} slot_t;

typedef struct table {
    slot_t *v;
    size_t cap;
} table_t;

typedef struct placer {
    sl_diag_t *d;
    table_t by_node, by_pos;
    size_t *next_node, *next_pos; /* chains: entry index + 1 */
    int *prio;                    /* how each entry was placed so far; -1: not yet */
    size_t left;                  /* entries whose place may still improve */
    bool root_is_map;
    pstep_t path[MAX_STEPS];
    size_t depth;
} placer_t;

static size_t hash64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

static void table_init(table_t *t, size_t n)
{
    t->cap = 16;
    while (t->cap < 2 * n)
        t->cap *= 2;
    t->v = sl_xcalloc(t->cap, sizeof(*t->v));
}

/* The slot of <key>: the existing one, or the empty one where it goes. */
static slot_t *table_slot(const table_t *t, uint64_t key)
{
    size_t h = hash64(key) & (t->cap - 1);
    while (t->v[h].first != 0 && t->v[h].key != key)
        h = (h + 1) & (t->cap - 1);
    return &t->v[h];
}

static void table_push(table_t *t, size_t *next, uint64_t key, size_t entry)
{
    slot_t *s = table_slot(t, key);
    s->key = key;
    next[entry] = s->first;
    s->first = entry + 1;
}

static uint64_t pos_key(uint32_t line, uint32_t col)
{
    return (uint64_t)line << 32 | col;
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* The length of a leading "field.sub" chain followed by ": ", or 0. */
static size_t chain_len(const char *s)
{
    size_t i = 0;
    for (;;) {
        if (!is_ident_start(s[i]))
            return 0;
        while (is_ident_char(s[i]))
            i++;
        if (s[i] != '.')
            break;
        i++;
    }
    return s[i] == ':' && s[i + 1] == ' ' ? i : 0;
}

static bool step_is(const pstep_t *st, const char *s, size_t len)
{
    return st->s != NULL && st->len == len && memcmp(st->s, s, len) == 0;
}

static void push(pstep_t *steps, size_t *n, const char *s, size_t len)
{
    if (*n < MAX_STEPS)
        steps[(*n)++] = (pstep_t){.s = s, .len = len};
}

/* Pushes the parts of the chain of <len> bytes at <s>, skipping a first part equal to
 * <skip> (NULL: none). */
static void push_chain(pstep_t *steps, size_t *n, const char *s, size_t len, const char *skip)
{
    size_t parts = 0;
    for (size_t i = 0; i < len && parts < MAX_CHAIN;) {
        size_t j = i;
        while (j < len && s[j] != '.')
            j++;
        bool skipped = parts == 0 && skip != NULL && j - i == strlen(skip) &&
                       memcmp(s + i, skip, j - i) == 0;
        if (!skipped)
            push(steps, n, s + i, j - i);
        parts++;
        i = j + 1;
    }
}

static sl_diag_place_t *make_place(const pstep_t *steps, size_t n, bool append,
                                   const char *prefix, const char *text)
{
    size_t plen = prefix ? strlen(prefix) : 0, tlen = strlen(text);
    size_t size = sizeof(sl_diag_place_t) + n * sizeof(sl_diag_step_t) + plen + tlen + 1;
    for (size_t i = 0; i < n; i++)
        size += steps[i].s ? steps[i].len + 1 : 0;
    sl_diag_place_t *p = sl_xmalloc(size);
    p->append = append;
    p->n = n;
    char *w = (char *)&p->steps[n];
    for (size_t i = 0; i < n; i++) {
        p->steps[i].index = steps[i].index;
        p->steps[i].key = NULL;
        if (steps[i].s != NULL) {
            memcpy(w, steps[i].s, steps[i].len);
            w[steps[i].len] = '\0';
            p->steps[i].key = w;
            w += steps[i].len + 1;
        }
    }
    p->text = w;
    if (plen != 0)
        memcpy(w, prefix, plen);
    memcpy(w + plen, text, tlen + 1);
    return p;
}

/* Kong's place for a text that did not parse: {error = "failed parsing ...: <problem>"}. */
static sl_diag_place_t *parse_place(const char *msg)
{
    pstep_t st = {.s = "error", .len = 5};
    bool prefixed = strncmp(msg, PARSE_PREFIX, strlen(PARSE_PREFIX)) == 0;
    return make_place(&st, 1, false, prefixed ? NULL : PARSE_PREFIX ": ", msg);
}

/* The length of the path of the mapping holding the key or value whose path is the first
 * <n> of <steps>: array positions, then the key, come off. */
static size_t enclosing_map(const pstep_t *steps, size_t n)
{
    while (n > 0 && steps[n - 1].s == NULL)
        n--;
    return n > 0 ? n - 1 : 0;
}

/* The place of entry <e> about node <n> (a mapping key when <is_key>), reached by the
 * walk's current path. */
static sl_diag_place_t *place_for(const placer_t *p, const sl_diag_entry_t *e,
                                  const sl_node_t *n, bool is_key)
{
    const sl_diag_about_t *a = &e->about;
    pstep_t steps[MAX_STEPS];
    size_t ns = p->depth;
    memcpy(steps, p->path, ns * sizeof(steps[0]));
    bool map = n->kind == SL_NODE_MAP && !is_key, append = false;
    const char *text = a->text ? a->text : e->msg;
    size_t cl = a->text ? 0 : chain_len(e->msg);

    if (a->key != NULL && ns >= 1 && steps[0].s != NULL) {
        /* declarative_config.lua validate_references: errs[collection][key] = {messages} */
        ns = 1;
        push(steps, &ns, a->key, strlen(a->key));
        append = true;
    } else if (a->whole) {
        /* the entity's own slot: the mapping, or the one holding the key or value */
        if (!map)
            ns = enclosing_map(steps, ns);
    } else if (a->config) {
        /* the plugin's config record; entity checks of a plugin schema name their fields
         * "config.x" and, without one, belong to the plugin */
        if (cl != 0) {
            push(steps, &ns, "config", 6);
            push_chain(steps, &ns, e->msg, cl, "config");
            text = e->msg + cl + 2;
        } else {
            push(steps, &ns, "@entity", 7);
            append = true;
        }
    } else if (a->field != NULL) {
        push(steps, &ns, a->field, strlen(a->field));
    } else if (cl != 0) {
        /* a field of the mapping, or of the one holding the key or value; a chain may start
         * with the record's own name ("config.x" said of config) */
        if (!map)
            ns = enclosing_map(steps, ns);
        size_t first = 0;
        while (first < cl && e->msg[first] != '.')
            first++;
        if (ns > 0 && step_is(&steps[ns - 1], e->msg, first))
            ns--;
        push_chain(steps, &ns, e->msg, cl, NULL);
        text = e->msg + cl + 2;
    } else if (map) {
        push(steps, &ns, "@entity", 7);
        append = true;
    }
    if (ns == 0) /* the document itself is not a mapping */
        return parse_place(e->msg);
    return make_place(steps, ns, append, NULL, text);
}

static bool is_final(const placer_t *p, size_t i)
{
    return p->prio[i] >= PRIO_EXACT || (p->d->v[i].about.node == NULL && p->prio[i] >= 3);
}

static void offer(placer_t *p, size_t i, const sl_node_t *n, bool is_key, int prio)
{
    if (prio <= p->prio[i])
        return;
    sl_diag_entry_t *e = &p->d->v[i];
    bool was_final = p->prio[i] >= 0 && is_final(p, i);
    free(e->place);
    e->place = place_for(p, e, n, is_key);
    p->prio[i] = prio;
    if (!was_final && is_final(p, i))
        p->left--;
}

static void match(placer_t *p, const sl_node_t *n, bool is_key)
{
    slot_t *s = table_slot(&p->by_node, (uint64_t)(uintptr_t)n);
    for (size_t i = s->first; i != 0; i = p->next_node[i - 1])
        offer(p, i - 1, n, is_key, PRIO_EXACT);
    /* by position: a key before a scalar value before a sequence before a mapping, since a
     * block mapping starts where its first key does */
    int prio = is_key                        ? 3
               : n->kind == SL_NODE_MAP      ? 0
               : n->kind == SL_NODE_SEQ      ? 1
                                             : 2;
    s = table_slot(&p->by_pos, pos_key(n->line, n->col));
    for (size_t i = s->first; i != 0; i = p->next_pos[i - 1])
        offer(p, i - 1, n, is_key, prio);
}

static void walk(placer_t *p, const sl_node_t *n)
{
    if (p->left == 0)
        return;
    match(p, n, false);
    if (p->depth >= MAX_STEPS)
        return;
    if (n->kind == SL_NODE_MAP) {
        for (size_t i = 0; i < n->n && p->left > 0; i++) {
            const sl_node_t *k = n->pairs[i].key;
            p->path[p->depth++] = (pstep_t){.s = k->str ? k->str : "", .len = k->len};
            match(p, k, true);
            walk(p, n->pairs[i].value);
            p->depth--;
        }
    } else if (n->kind == SL_NODE_SEQ) {
        for (size_t i = 0; i < n->n && p->left > 0; i++) {
            p->path[p->depth++] = (pstep_t){.index = i};
            walk(p, n->items[i]);
            p->depth--;
        }
    }
}

void sl_errtree_place(sl_diag_t *d, const sl_node_t *root, bool parsed)
{
    placer_t p;
    memset(&p, 0, sizeof(p));
    p.d = d;
    p.root_is_map = root != NULL && root->kind == SL_NODE_MAP;
    table_init(&p.by_node, d->n);
    table_init(&p.by_pos, d->n);
    p.next_node = sl_xcalloc(d->n + 1, sizeof(size_t));
    p.next_pos = sl_xcalloc(d->n + 1, sizeof(size_t));
    p.prio = sl_xcalloc(d->n + 1, sizeof(int));
    for (size_t i = 0; i < d->n; i++) {
        sl_diag_entry_t *e = &d->v[i];
        p.prio[i] = -1;
        if (e->place != NULL)
            continue;
        if (!parsed) {
            e->place = parse_place(e->msg);
            continue;
        }
        if (e->about.node == NULL && e->line == 0)
            continue;
        p.left++;
        if (e->about.node != NULL)
            table_push(&p.by_node, p.next_node, (uint64_t)(uintptr_t)e->about.node, i);
        if (e->line != 0)
            table_push(&p.by_pos, p.next_pos, pos_key(e->line, e->col), i);
    }
    if (root != NULL)
        walk(&p, root);
    for (size_t i = 0; i < d->n; i++) {
        sl_diag_entry_t *e = &d->v[i];
        if (e->place == NULL && parsed && !p.root_is_map)
            e->place = parse_place(e->msg);
        e->about.node = NULL;
    }
    free(p.by_node.v);
    free(p.by_pos.v);
    free(p.next_node);
    free(p.next_pos);
    free(p.prio);
}

/* ---- the tree ------------------------------------------------------------------------ */

typedef struct tnode tnode_t;

typedef struct tkid {
    const char *key; /* NULL: an array position */
    size_t index;    /* 0-based */
    tnode_t *val;
} tkid_t;

struct tnode {
    const char *text; /* a string leaf when not NULL */
    tkid_t *kids;
    size_t n, cap;
};

static tkid_t *find_kid(const tnode_t *t, const char *key, size_t index)
{
    for (size_t i = 0; i < t->n; i++) {
        const tkid_t *k = &t->kids[i];
        if (key != NULL ? k->key != NULL && strcmp(k->key, key) == 0
                        : k->key == NULL && k->index == index)
            return &t->kids[i];
    }
    return NULL;
}

static tkid_t *add_kid(sl_arena_t *a, tnode_t *t, const char *key, size_t index,
                       const char *text)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4;
        tkid_t *v = sl_arena_alloc(a, cap * sizeof(*v));
        if (t->n)
            memcpy(v, t->kids, t->n * sizeof(*v));
        t->kids = v;
        t->cap = cap;
    }
    tkid_t *k = &t->kids[t->n++];
    k->key = key ? sl_arena_strdup(a, key) : NULL;
    k->index = index;
    k->val = sl_arena_calloc(a, 1, sizeof(tnode_t));
    k->val->text = text ? sl_arena_strdup(a, text) : NULL;
    return k;
}

static void insert(sl_arena_t *a, tnode_t *root, const sl_diag_place_t *pl)
{
    tnode_t *t = root;
    size_t tables = pl->append ? pl->n : pl->n - 1;
    for (size_t i = 0; i < tables; i++) {
        const sl_diag_step_t *st = &pl->steps[i];
        tkid_t *k = find_kid(t, st->key, st->index);
        if (k == NULL)
            k = add_kid(a, t, st->key, st->index, NULL);
        if (k->val->text != NULL)
            return; /* a message already holds this place */
        t = k->val;
    }
    if (pl->append) {
        size_t next = 0;
        for (size_t i = 0; i < t->n; i++) {
            if (t->kids[i].key == NULL && t->kids[i].index >= next)
                next = t->kids[i].index + 1;
        }
        add_kid(a, t, NULL, next, pl->text);
        return;
    }
    const sl_diag_step_t *st = &pl->steps[pl->n - 1];
    if (find_kid(t, st->key, st->index) == NULL)
        add_kid(a, t, st->key, st->index, pl->text);
}

/* ---- JSON, as cJSON would encode the Lua table ---- */

#define SPARSE_SAFE 32768 /* cjson.encode_sparse_array(nil, nil, 2^15) */

static cJSON *to_json(const tnode_t *t)
{
    if (t->text != NULL)
        return cJSON_CreateString(t->text);
    bool array = t->n > 0;
    size_t len = 0;
    for (size_t i = 0; i < t->n && array; i++) {
        if (t->kids[i].key != NULL)
            array = false;
        else if (t->kids[i].index + 1 > len)
            len = t->kids[i].index + 1;
    }
    if (array && len > SPARSE_SAFE && len > 2 * t->n)
        array = false; /* too sparse for an array; cjson would refuse it */
    if (!array) {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < t->n; i++) {
            const tkid_t *k = &t->kids[i];
            char num[24];
            if (k->key == NULL)
                snprintf(num, sizeof(num), "%zu", k->index + 1);
            cJSON_AddItemToObject(o, k->key ? k->key : num, to_json(k->val));
        }
        return o;
    }
    const tnode_t **at = sl_xcalloc(len, sizeof(*at));
    for (size_t i = 0; i < t->n; i++)
        at[t->kids[i].index] = t->kids[i].val;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < len; i++)
        cJSON_AddItemToArray(arr, at[i] ? to_json(at[i]) : cJSON_CreateNull());
    free((void *)at);
    return arr;
}

/* ---- Lua text, as pl.pretty.write(t, "") writes it ---- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

static void put(buf_t *b, const char *s, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        b->p = sl_xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void puts_(buf_t *b, const char *s)
{
    put(b, s, strlen(s));
}

/* The most '=' of a long-bracket-like sequence ("[[", "]==]") in <s>, or -1 (penlight's
 * has_lquote). */
static int lquote_equals(const char *s, size_t n)
{
    int best = -1;
    size_t i = 0;
    while (i < n) {
        bool found = false;
        for (size_t j = i; j < n && !found; j++) {
            if (s[j] != '[' && s[j] != ']')
                continue;
            size_t k = j + 1;
            while (k < n && s[k] == '=')
                k++;
            if (k < n && s[k] == s[j]) {
                if ((int)(k - j - 1) > best)
                    best = (int)(k - j - 1);
                i = k; /* the next search starts at the closing bracket */
                found = true;
            }
        }
        if (!found)
            break;
    }
    return best;
}

/* penlight's quote_string: long brackets for text with newlines or bracket sequences, else
 * LuaJIT's %q (control bytes as decimal escapes). */
static void lua_quote(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    int eq = lquote_equals(s, n);
    if (eq >= 0 || memchr(s, '\n', n) != NULL) {
        char eqs[64];
        size_t ne = (size_t)(eq + 1) < sizeof(eqs) ? (size_t)(eq + 1) : sizeof(eqs) - 1;
        memset(eqs, '=', ne);
        put(b, "[", 1);
        put(b, eqs, ne);
        put(b, "[", 1);
        if (s[0] == '\n')
            put(b, "\n", 1); /* a long string drops its first newline */
        put(b, s, n);
        put(b, "]", 1);
        put(b, eqs, ne);
        put(b, "]", 1);
        return;
    }
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(b, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[8];
            bool digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9';
            int len = snprintf(esc, sizeof(esc), digit_next ? "\\%03u" : "\\%u", c);
            put(b, esc, (size_t)len);
        } else {
            put(b, (const char *)&s[i], 1);
        }
    }
    put(b, "\"", 1);
}

static bool lua_identifier(const char *s)
{
    static const char *const keywords[] = {
        "and",   "break", "do",  "else", "elseif", "end",    "false", "for",  "function", "if",
        "in",    "local", "nil", "not",  "or",     "repeat", "return", "then", "true",
        "until", "while", NULL,
    };
    if (!is_ident_start(s[0]))
        return false;
    for (size_t i = 1; s[i]; i++) {
        if (!is_ident_char(s[i]))
            return false;
    }
    for (size_t i = 0; keywords[i]; i++) {
        if (strcmp(s, keywords[i]) == 0)
            return false;
    }
    return true;
}

static int kid_key_cmp(const void *x, const void *y)
{
    const tkid_t *a = *(const tkid_t *const *)x, *b = *(const tkid_t *const *)y;
    return strcmp(a->key, b->key);
}

static int kid_index_cmp(const void *x, const void *y)
{
    const tkid_t *a = *(const tkid_t *const *)x, *b = *(const tkid_t *const *)y;
    return a->index < b->index ? -1 : a->index > b->index;
}

static void to_lua(buf_t *b, const tnode_t *t)
{
    if (t->text != NULL) {
        lua_quote(b, t->text);
        return;
    }
    put(b, "{", 1);
    size_t before = b->len;
    /* the array part: 1, 2, ... while present (ipairs) */
    size_t arr = 0;
    for (const tkid_t *k; (k = find_kid(t, NULL, arr)) != NULL; arr++) {
        to_lua(b, k->val);
        put(b, ",", 1);
    }
    const tkid_t **named = sl_xcalloc(t->n + 1, sizeof(*named));
    const tkid_t **numbered = sl_xcalloc(t->n + 1, sizeof(*numbered));
    size_t nn = 0, nm = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->kids[i].key != NULL)
            named[nn++] = &t->kids[i];
        else if (t->kids[i].index >= arr)
            numbered[nm++] = &t->kids[i];
    }
    qsort((void *)named, nn, sizeof(*named), kid_key_cmp);
    qsort((void *)numbered, nm, sizeof(*numbered), kid_index_cmp);
    for (size_t i = 0; i < nn; i++) {
        if (lua_identifier(named[i]->key)) {
            puts_(b, named[i]->key);
        } else {
            put(b, "[", 1);
            lua_quote(b, named[i]->key);
            put(b, "]", 1);
        }
        put(b, "=", 1);
        to_lua(b, named[i]->val);
        put(b, ",", 1);
    }
    for (size_t i = 0; i < nm; i++) {
        char num[32];
        snprintf(num, sizeof(num), "[%zu]=", numbered[i]->index + 1);
        puts_(b, num);
        to_lua(b, numbered[i]->val);
        put(b, ",", 1);
    }
    free((void *)named);
    free((void *)numbered);
    if (b->len > before)
        b->len--; /* the last comma */
    put(b, "}", 1);
}

void sl_errtree_render(const sl_diag_t *d, cJSON **fields, char **message)
{
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    tnode_t *root = sl_arena_calloc(&a, 1, sizeof(*root));
    sl_diag_place_t *unplaced = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const sl_diag_place_t *pl = d->v[i].place;
        if (pl == NULL) {
            pstep_t st = {.s = "@entity", .len = 7};
            unplaced = make_place(&st, 1, true, NULL, d->v[i].msg);
            pl = unplaced;
        }
        insert(&a, root, pl);
        free(unplaced);
        unplaced = NULL;
    }
    *fields = to_json(root);
    buf_t b = {0};
    puts_(&b, "declarative config is invalid: ");
    to_lua(&b, root);
    *message = b.p;
    sl_arena_destroy(&a);
}
