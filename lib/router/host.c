/*
 * Host patterns and the exact-host table. Kong turns "*.ex.com" into `http.host =^ ".ex.com"`
 * and "ex.*" into `http.host ^= "ex."` (kong/router/transform.lua get_expression); a ":port"
 * suffix adds `net.port == port`. Host names are lower-cased here so that lookups can hash
 * the request host byte by byte without copying it.
 */
#include "router/host.h"

#include "core/errors.h"

#include <string.h>

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Compares <n> bytes of request text <s> with lower-case pattern bytes <p>. */
static bool ieq(const char *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)p[i])
            return false;
    return true;
}

/* Kong's split_host_port: the port is what follows the first ':' when it reads as a number. */
static int split_port(const char *s, size_t *host_len)
{
    const char *colon = strchr(s, ':');
    *host_len = strlen(s);
    if (colon == NULL)
        return -1;
    const char *p = colon + 1;
    size_t n = strlen(p);
    if (n == 0 || n > 5)
        return -1;
    long port = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        port = port * 10 + (p[i] - '0');
    }
    if (port > 65535)
        return -1;
    *host_len = (size_t)(colon - s);
    return (int)port;
}

int sl_host_parse(sl_arena_t *a, const char *s, sl_host_pattern_t *out)
{
    size_t len;
    int port = split_port(s, &len);
    if (len == 0)
        return SL_EINVAL;

    const char *star = memchr(s, '*', len);
    sl_host_kind_t kind = SL_HOST_EXACT;
    const char *name = s;
    size_t name_len = len;
    if (star != NULL) {
        if (memchr(star + 1, '*', len - (size_t)(star - s) - 1) != NULL || len < 3)
            return SL_EINVAL;
        if (star == s && s[1] == '.') {
            kind = SL_HOST_SUFFIX;      /* keep the dot: "*.ex.com" -> ".ex.com" */
            name = s + 1;
            name_len = len - 1;
        } else if (star == s + len - 1 && s[len - 2] == '.') {
            kind = SL_HOST_PREFIX;      /* "ex.*" -> "ex." */
            name_len = len - 1;
        } else {
            return SL_EINVAL;
        }
    }

    char *copy = sl_arena_alloc(a, name_len + 1);
    for (size_t i = 0; i < name_len; i++)
        copy[i] = (char)lower((unsigned char)name[i]);
    copy[name_len] = '\0';
    out->name = copy;
    out->len = name_len;
    out->kind = kind;
    out->port = port;
    return 0;
}

bool sl_host_match_name(const sl_host_pattern_t *p, sl_slice_t host)
{
    switch (p->kind) {
    case SL_HOST_EXACT:
        return host.len == p->len && ieq(host.p, p->name, p->len);
    case SL_HOST_SUFFIX:
        return host.len >= p->len && ieq(host.p + host.len - p->len, p->name, p->len);
    case SL_HOST_PREFIX:
        return host.len >= p->len && ieq(host.p, p->name, p->len);
    }
    return false;
}

bool sl_host_match(const sl_host_pattern_t *p, sl_slice_t host, uint16_t port)
{
    if (p->port >= 0 && p->port != (int)port)
        return false;
    return sl_host_match_name(p, host);
}

/* Lower-cases the ASCII letters of 8 packed bytes at once (bytes >= 0x80 are left alone). */
static inline uint64_t lower8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t low7 = x & ~highs;
    uint64_t gt_z = low7 + ones * (0x7f - 'Z'); /* high bit set where byte > 'Z' */
    uint64_t ge_a = low7 + ones * (0x80 - 'A'); /* high bit set where byte >= 'A' */
    uint64_t upper = ~x & (ge_a ^ gt_z) & highs;
    return x | upper >> 2;                      /* 0x80 >> 2 == 0x20 */
}

/* Loads up to 8 bytes, zero-padded (little-endian order, as a full-word load gives). */
static inline uint64_t load8(const char *s, size_t n)
{
    uint64_t w = 0;
    if (n >= 8) {
        memcpy(&w, s, 8);
        return w;
    }
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w;
}

/* Hash of the lower-cased bytes, a word at a time: host names are hashed on every lookup. */
static uint64_t hash_lower(const char *s, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    for (size_t i = 0; i < len; i += 8) {
        h ^= lower8(load8(s + i, len - i));
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

/* Compares the request bytes <s> with the lower-case key <key>, <n> bytes each. */
static bool ieq_key(const char *s, const char *key, size_t n)
{
    for (size_t i = 0; i < n; i += 8)
        if (lower8(load8(s + i, n - i)) != load8(key + i, n - i))
            return false;
    return true;
}

void sl_host_table_init(sl_host_table_t *t, sl_arena_t *a, size_t max_keys)
{
    size_t cap = 8;
    while (cap < max_keys * 2)
        cap *= 2;
    t->slots = sl_arena_calloc(a, cap, sizeof(*t->slots));
    t->cap = cap;
    t->n = 0;
}

void **sl_host_table_insert(sl_host_table_t *t, const char *key, size_t len)
{
    uint64_t h = hash_lower(key, len);
    size_t mask = t->cap - 1;
    for (size_t i = h & mask, probes = 0; probes < t->cap; i = (i + 1) & mask, probes++) {
        sl_host_slot_t *s = &t->slots[i];
        if (s->key == NULL) {
            if (t->n + 1 >= t->cap)
                return NULL; /* keep one empty slot so failed lookups terminate */
            s->key = key;
            s->len = len;
            s->hash = h;
            s->value = NULL;
            t->n++;
            return &s->value;
        }
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            return &s->value;
    }
    return NULL;
}

void *sl_host_table_find(const sl_host_table_t *t, sl_slice_t host)
{
    if (t->cap == 0 || t->n == 0)
        return NULL;
    uint64_t h = hash_lower(host.p, host.len);
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const sl_host_slot_t *s = &t->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->hash == h && s->len == host.len && ieq_key(host.p, s->key, host.len))
            return s->value;
    }
}
