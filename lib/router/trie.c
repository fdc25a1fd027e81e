/*
 * Radix trie over bytes. Each node's children are kept sorted by their first label byte so
 * a step of the walk is one binary search; siblings never share a first byte because an
 * insert splits an edge at the first differing byte. Lwan's lwan-trie.c shows the same
 * arena-backed, freed-in-one-step shape.
 */
#include "router/trie.h"

#include <stdbool.h>
#include <string.h>

/* Short labels: a plain loop beats a call to memcmp. */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

void sl_trie_init(sl_trie_t *t)
{
    memset(t, 0, sizeof(*t));
    t->root.label = "";
}

/* Returns the child of <n> whose label starts with <c>, and in *<pos> its index or the index
 * where such a child would be inserted. */
static sl_trie_node_t *find_child(const sl_trie_node_t *n, unsigned char c, uint32_t *pos)
{
    uint32_t lo = 0, hi = n->n_children;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        unsigned char m = n->first[mid];
        if (m == c) {
            if (pos)
                *pos = mid;
            return n->children[mid];
        }
        if (m < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return NULL;
}

static void add_child(sl_trie_node_t *n, sl_arena_t *a, uint32_t pos, sl_trie_node_t *child)
{
    if (n->n_children == n->cap_children) {
        uint32_t cap = n->cap_children ? n->cap_children * 2 : 2;
        sl_trie_node_t **v = sl_arena_alloc(a, cap * sizeof(*v));
        unsigned char *f = sl_arena_alloc(a, cap);
        if (n->n_children) {
            memcpy(v, n->children, n->n_children * sizeof(*v));
            memcpy(f, n->first, n->n_children);
        }
        n->children = v;
        n->first = f;
        n->cap_children = cap;
    }
    memmove(n->children + pos + 1, n->children + pos, (n->n_children - pos) * sizeof(*n->children));
    memmove(n->first + pos + 1, n->first + pos, n->n_children - pos);
    n->children[pos] = child;
    n->first[pos] = (unsigned char)child->label[0];
    n->n_children++;
}

static sl_trie_node_t *new_node(sl_trie_t *t, sl_arena_t *a, const char *label, size_t len)
{
    sl_trie_node_t *n = sl_arena_calloc(a, 1, sizeof(*n));
    n->label = label;
    n->label_len = (uint32_t)len;
    t->n_nodes++;
    return n;
}

void **sl_trie_insert(sl_trie_t *t, sl_arena_t *a, const char *key, size_t len)
{
    sl_trie_node_t *node = &t->root;
    const char *copy = NULL;
    size_t i = 0;
    while (i < len) {
        uint32_t pos;
        sl_trie_node_t *child = find_child(node, (unsigned char)key[i], &pos);
        if (child == NULL) {
            /* Labels point into one arena copy of the key. */
            copy = sl_arena_strndup(a, key, len);
            sl_trie_node_t *leaf = new_node(t, a, copy + i, len - i);
            add_child(node, a, pos, leaf);
            node = leaf;
            break;
        }
        size_t m = 0;
        while (m < child->label_len && i + m < len && child->label[m] == key[i + m])
            m++;
        if (m < child->label_len) {
            /* Split the edge: a middle node takes the shared part. */
            sl_trie_node_t *mid = new_node(t, a, child->label, m);
            child->label += m;
            child->label_len -= (uint32_t)m;
            add_child(mid, a, 0, child);
            node->children[pos] = mid;
            child = mid;
        }
        node = child;
        i += m;
    }
    if (node->value == NULL)
        t->n_keys++; /* counted as created; a caller that leaves it NULL wastes nothing */
    return &node->value;
}

void *sl_trie_find(const sl_trie_t *t, const char *key, size_t len)
{
    const sl_trie_node_t *node = &t->root;
    size_t i = 0;
    while (i < len) {
        const sl_trie_node_t *child = find_child(node, (unsigned char)key[i], NULL);
        if (child == NULL || child->label_len > len - i ||
            memcmp(child->label, key + i, child->label_len) != 0)
            return NULL;
        i += child->label_len;
        node = child;
    }
    return node->value;
}

void sl_trie_walk_init(sl_trie_walk_t *w, const sl_trie_t *t, const char *s, size_t len)
{
    w->node = &t->root;
    w->s = s;
    w->len = len;
    w->depth = 0;
    w->started = 0;
}

void *sl_trie_walk_next(sl_trie_walk_t *w, size_t *key_len)
{
    while (w->node != NULL) {
        const sl_trie_node_t *node = w->node;
        if (!w->started) {
            w->started = 1;
            if (node->value != NULL) {
                if (key_len)
                    *key_len = w->depth;
                return node->value;
            }
        }
        if (w->depth == w->len) {
            w->node = NULL;
            break;
        }
        const sl_trie_node_t *child = find_child(node, (unsigned char)w->s[w->depth], NULL);
        if (child == NULL || child->label_len > w->len - w->depth ||
            !bytes_eq(child->label, w->s + w->depth, child->label_len)) {
            w->node = NULL;
            break;
        }
        w->depth += child->label_len;
        w->node = child;
        w->started = 0;
    }
    return NULL;
}
