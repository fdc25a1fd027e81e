/* Credential extractors and indexes (see cred.h). */
#include "plugin/cred.h"

#include <string.h>

#include "config/model.h"
#include "config/uuid.h"
#include "core/base64.h"
#include "core/log.h"
#include "plugin/pdk.h"

static inline char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

size_t sl_cred_header(const sl_header_t *h, size_t n, const char *name, sl_slice_t *value)
{
    size_t nl = strlen(name), found = 0;
    for (size_t i = 0; i < n && found < 2; i++) {
        if (h[i].name.len != nl)
            continue;
        size_t k = 0;
        for (; k < nl; k++) {
            char a = lower(h[i].name.p[k]), b = lower(name[k]);
            if (a != b && !(b == '_' && a == '-'))
                break;
        }
        if (k < nl)
            continue;
        if (found++ == 0 && value)
            *value = h[i].value;
    }
    return found;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes one byte of a query component at <p> (before <end>): '+' is a space, a valid %XX
 * its byte, anything else itself. Returns the bytes consumed. */
static size_t decode_one(const char *p, const char *end, char *out)
{
    if (*p == '+') {
        *out = ' ';
        return 1;
    }
    if (*p == '%' && end - p >= 3) {
        int hi = hexval(p[1]), lo = hexval(p[2]);
        if (hi >= 0 && lo >= 0) {
            *out = (char)(hi << 4 | lo);
            return 3;
        }
    }
    *out = *p;
    return 1;
}

/* True if the raw component [p, end) decodes to exactly <name> (<nl> bytes). */
static bool decoded_eq(const char *p, const char *end, const char *name, size_t nl)
{
    size_t k = 0;
    while (p < end) {
        char c;
        p += decode_one(p, end, &c);
        if (k >= nl || c != name[k])
            return false;
        k++;
    }
    return k == nl;
}

sl_cred_arg_t sl_cred_query_arg(sl_slice_t query, const char *name, char *buf, size_t cap,
                                sl_slice_t *value)
{
    size_t nl = strlen(name);
    const char *p = query.p, *end = query.p + query.len;
    const char *vp = NULL, *ve = NULL;
    size_t found = 0;
    bool flag = false;
    while (p && p < end && found < 2) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        const char *ke = eq ? eq : e;
        if (ke > p && decoded_eq(p, ke, name, nl)) {
            if (found++ == 0) {
                flag = eq == NULL;
                vp = eq ? eq + 1 : e;
                ve = e;
            }
        }
        p = e + 1;
    }
    if (found == 0)
        return SL_CRED_ARG_NONE;
    if (found > 1)
        return SL_CRED_ARG_MANY;
    if (flag)
        return SL_CRED_ARG_FLAG;
    size_t o = 0;
    while (vp < ve) {
        if (o >= cap)
            return SL_CRED_ARG_NONE;
        vp += decode_one(vp, ve, &buf[o++]);
    }
    *value = sl_slice(buf, o);
    return SL_CRED_ARG_VALUE;
}

size_t sl_cred_query_without(sl_slice_t query, const char *name, char *out)
{
    size_t nl = strlen(name), o = 0;
    const char *p = query.p, *end = query.p + query.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        const char *ke = eq ? eq : e;
        if (!(ke > p && decoded_eq(p, ke, name, nl)) && e > p) {
            if (o)
                out[o++] = '&';
            memcpy(out + o, p, (size_t)(e - p));
            o += (size_t)(e - p);
        }
        p = e + 1;
    }
    return o;
}

bool sl_cred_basic(sl_slice_t value, char *buf, size_t cap, sl_slice_t *user, sl_slice_t *pass)
{
    /* \s*[Bb]asic\s*(.+), unanchored: the first "Basic"/"basic", then the rest of the line */
    const char *p = value.p, *end = value.p + value.len, *b = NULL;
    for (; p && end - p >= 5; p++) {
        if ((*p == 'B' || *p == 'b') && memcmp(p + 1, "asic", 4) == 0) {
            b = p + 5;
            break;
        }
    }
    if (b == NULL)
        return false;
    while (b < end && (*b == ' ' || *b == '\t' || *b == '\f' || *b == '\v'))
        b++;
    const char *nl = memchr(b, '\n', (size_t)(end - b)); /* '.' stops at a newline */
    const char *e = nl ? nl : end;
    if (e == b)
        return false;
    long n = sl_base64_decode(b, (size_t)(e - b), buf, cap, 0);
    if (n < 0)
        return false;
    /* ([^:]+):(.*) leftmost: skip leading colons, the user runs to the next colon */
    size_t i = 0, len = (size_t)n;
    while (i < len && buf[i] == ':')
        i++;
    const char *colon = i < len ? memchr(buf + i, ':', len - i) : NULL;
    if (colon == NULL)
        return false;
    *user = sl_slice(buf + i, (size_t)(colon - (buf + i)));
    const char *ps = colon + 1, *pe = buf + len;
    const char *pn = memchr(ps, '\n', (size_t)(pe - ps));
    *pass = sl_slice(ps, (size_t)((pn ? pn : pe) - ps));
    return true;
}

bool sl_cred_ct_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    /* every byte of <a> is looked at whatever <b> holds; a length mismatch still fails */
    volatile unsigned char diff = alen != blen;
    for (size_t i = 0; i < alen; i++) {
        unsigned char bc = blen ? (unsigned char)b[i % blen] : 0;
        diff |= (unsigned char)((unsigned char)a[i] ^ bc);
    }
    return diff == 0;
}

/* ---- index ---------------------------------------------------------------------------- */

/* FNV-1a over a seeded state, then a final mix (splitmix64), so that keys chosen by a client
 * cannot be aimed at one bucket without knowing the seed. */
static uint64_t hash_of(uint64_t seed, const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

void sl_cred_index_init(sl_cred_index_t *ix, size_t n, sl_arena_t *arena)
{
    size_t cap = 8;
    while (cap < n * 2)
        cap <<= 1;
    ix->slots = sl_arena_calloc(arena, cap, sizeof(*ix->slots));
    ix->mask = cap - 1;
    sl_uuid_random_bytes(&ix->seed, sizeof(ix->seed));
}

const void *sl_cred_index_put(sl_cred_index_t *ix, const char *key, size_t len, const void *val)
{
    uint64_t h = hash_of(ix->seed, key, len);
    for (size_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
        sl_cred_entry_t *s = &ix->slots[i];
        if (s->key == NULL) {
            *s = (sl_cred_entry_t){h, key, len, val};
            return NULL;
        }
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            return s->val;
    }
}

const void *sl_cred_index_get(const sl_cred_index_t *ix, const char *key, size_t len)
{
    if (ix == NULL || ix->slots == NULL)
        return NULL;
    uint64_t h = hash_of(ix->seed, key, len);
    for (size_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
        const sl_cred_entry_t *s = &ix->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->hash == h && sl_cred_ct_eq(key, len, s->key, s->len))
            return s->val;
    }
}

/* ---- consumers ------------------------------------------------------------------------ */

void sl_cred_consumers_build(sl_cred_consumers_t *cc, const sl_config_t *cfg, sl_arena_t *arena)
{
    sl_cred_index_init(&cc->by_id, cfg->n_consumers, arena);
    sl_cred_index_init(&cc->by_username, cfg->n_consumers, arena);
    for (size_t i = 0; i < cfg->n_consumers; i++) {
        const sl_consumer_t *c = cfg->consumers[i];
        sl_cred_index_put(&cc->by_id, c->id, strlen(c->id), c);
        if (c->username)
            sl_cred_index_put(&cc->by_username, c->username, strlen(c->username), c);
    }
}

const sl_consumer_t *sl_cred_consumer_find(const sl_cred_consumers_t *cc, const char *name)
{
    size_t len = strlen(name);
    const sl_consumer_t *c = sl_cred_index_get(&cc->by_id, name, len);
    return c ? c : sl_cred_index_get(&cc->by_username, name, len);
}

int sl_cred_anonymous(sl_req_t *req, const sl_cred_consumers_t *cc, const char *anonymous)
{
    const sl_consumer_t *c = cc ? sl_cred_consumer_find(cc, anonymous) : NULL;
    if (c == NULL) {
        /* Kong 3.8+: set_anonymous_consumer answers kong.response.error(500, ...) */
        char *msg = sl_arena_printf(req->arena,
                                    "anonymous consumer %s is configured but doesn't exist",
                                    anonymous);
        sl_log(SL_LOG_ERROR, "%s", msg);
        sl_pdk_error(req, 500, msg);
        return 0;
    }
    sl_pdk_authenticate(req, c, NULL, NULL);
    return 1;
}
