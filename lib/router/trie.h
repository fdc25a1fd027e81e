/*
 * A byte-wise radix trie (compressed prefix tree) mapping strings to one pointer each,
 * used by the router for prefix paths. Not segment aware: the key "/foo" is a prefix of
 * "/foobar". Lookup walks the query once and reports every stored key that is a prefix of
 * it, shortest first, so its cost depends on the query length, not on the number of keys.
 *
 * Memory: nodes, labels and child arrays live in the arena given at insert time and go
 * with it; there is no delete. Thread: build on one thread; once built, any number of
 * threads may walk it concurrently.
 */
#ifndef SL_ROUTER_TRIE_H
#define SL_ROUTER_TRIE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct sl_trie_node sl_trie_node_t;

struct sl_trie_node {
    const char *label;         /* edge bytes leading to this node (arena-owned); "" at root */
    uint32_t label_len;
    uint32_t n_children, cap_children;
    sl_trie_node_t **children; /* sorted by label[0]; labels of siblings never share a byte */
    unsigned char *first;      /* first[i] == children[i]->label[0], read by the walk */
    void *value;               /* non-NULL when a key ends here */
};

typedef struct sl_trie {
    sl_trie_node_t root;
    size_t n_keys;             /* distinct keys stored */
    size_t n_nodes;            /* nodes besides the root */
} sl_trie_t;

/* Makes <t> empty. */
void sl_trie_init(sl_trie_t *t);

/* Returns the value slot for <key>/<len>, creating the key if needed (the slot then holds
 * NULL). The key bytes are copied into <a>. The slot stays valid for the arena's life. */
void **sl_trie_insert(sl_trie_t *t, sl_arena_t *a, const char *key, size_t len);

/* Returns the value stored for exactly <key>/<len>, or NULL. */
void *sl_trie_find(const sl_trie_t *t, const char *key, size_t len);

/* Iterator over the stored keys that are prefixes of a string, shortest first. It borrows
 * the trie and the string; it allocates nothing. */
typedef struct sl_trie_walk {
    const sl_trie_node_t *node; /* node reached so far; NULL when done */
    const char *s;
    size_t len;
    size_t depth;               /* bytes of s consumed to reach node */
    int started;
} sl_trie_walk_t;

void sl_trie_walk_init(sl_trie_walk_t *w, const sl_trie_t *t, const char *s, size_t len);

/* Returns the next value whose key is a prefix of the string, and its key length in
 * *<key_len>; NULL when there is none left. */
void *sl_trie_walk_next(sl_trie_walk_t *w, size_t *key_len);

#endif
