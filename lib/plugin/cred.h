/*
 * Credentials as auth plugins read them from a request, and the per-snapshot indexes they
 * are looked up in. The extractors take untrusted bytes (header values, the query string)
 * and are fuzzed (test/fuzz/fuzz_credentials.c); they never write past the capacities they
 * are given and never allocate.
 *
 * Thread: any. An index is built on the compiling thread and only read afterwards.
 */
#ifndef SL_PLUGIN_CRED_H
#define SL_PLUGIN_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/slice.h"

/* Kong's kong.request.get_headers()[<name>]: the headers whose name equals <name> ignoring
 * case, where an underscore of <name> also matches a hyphen (ngx's header table normalizes
 * the looked-up name that way). Returns how many of the <n> headers <h> match (0, 1 or 2
 * for "more than one"); the first one's value in <value>. */
size_t sl_cred_header(const sl_header_t *h, size_t n, const char *name, sl_slice_t *value);

/* One query argument as Kong's kong.request.get_query() sees it (ngx.decode_args: names and
 * values percent-decoded, '+' is a space, empty names skipped). */
typedef enum {
    SL_CRED_ARG_NONE = 0, /* absent */
    SL_CRED_ARG_VALUE,    /* once, with a value (possibly empty) */
    SL_CRED_ARG_FLAG,     /* once, without '=' (a boolean in Kong: not a key) */
    SL_CRED_ARG_MANY,     /* more than once (a table in Kong) */
} sl_cred_arg_t;

/* Finds argument <name> (compared after decoding) in the raw <query>. For
 * SL_CRED_ARG_VALUE the decoded value is written to <buf> (<cap> bytes; a cap of query.len
 * always suffices) and returned in <value>; when it does not fit, SL_CRED_ARG_NONE. */
sl_cred_arg_t sl_cred_query_arg(sl_slice_t query, const char *name, char *buf, size_t cap,
                                sl_slice_t *value);

/* Writes <query> without the arguments whose decoded name is <name> to <out> (capacity
 * query.len), the others kept byte for byte and joined by '&'. Returns the new length. */
size_t sl_cred_query_without(sl_slice_t query, const char *name, char *out);

/* basic-auth's reading of an Authorization value (kong/plugins/basic-auth/access.lua): the
 * first "Basic" or "basic" anywhere, optional spaces, the base64 rest decoded, then
 * "<user>:<password>" as the regex ([^:]+):(.*) finds it (the user is the first run of
 * non-colons followed by a colon; the password stops at a newline). <buf> (<cap> bytes)
 * holds the decoded text <user> and <pass> point into. Returns false when there is none. */
bool sl_cred_basic(sl_slice_t value, char *buf, size_t cap, sl_slice_t *user, sl_slice_t *pass);

/* Compares <a> and <b> in time that depends only on their lengths, not their contents. */
bool sl_cred_ct_eq(const char *a, size_t alen, const char *b, size_t blen);

/* A read-only string -> pointer hash index (open addressing, built once). Lookups compare
 * the stored 64-bit hash first and the key itself in constant time, so how long a lookup
 * takes tells nothing about a secret beyond its hash. */
typedef struct sl_cred_entry {
    uint64_t hash;
    const char *key; /* NULL: empty slot */
    size_t len;
    const void *val;
} sl_cred_entry_t;

typedef struct sl_cred_index {
    sl_cred_entry_t *slots;
    size_t mask;
    uint64_t seed;
} sl_cred_index_t;

/* Sizes <ix> for up to <n> keys, in <arena>. */
void sl_cred_index_init(sl_cred_index_t *ix, size_t n, sl_arena_t *arena);
/* Adds <key> -> <val> (both borrowed: they must outlive the index). Returns NULL, or the
 * value already stored under <key> (which stays). */
const void *sl_cred_index_put(sl_cred_index_t *ix, const char *key, size_t len, const void *val);
/* The value stored under <key>, or NULL. */
const void *sl_cred_index_get(const sl_cred_index_t *ix, const char *key, size_t len);

/* Consumers by id and by username, for `anonymous` (kong.client.load_consumer(x, true): the
 * id first, then the username). */
typedef struct sl_consumer sl_consumer_t;
typedef struct sl_config sl_config_t;
typedef struct sl_req sl_req_t;

typedef struct sl_cred_consumers {
    sl_cred_index_t by_id, by_username;
} sl_cred_consumers_t;

/* Builds <cc> over the consumers of <cfg>, in <arena>. */
void sl_cred_consumers_build(sl_cred_consumers_t *cc, const sl_config_t *cfg, sl_arena_t *arena);
/* The consumer whose id, else whose username, is <name>; NULL if none. */
const sl_consumer_t *sl_cred_consumer_find(const sl_cred_consumers_t *cc, const char *name);

/* The auth plugins' fallback when authentication failed and `anonymous` is set: the request
 * becomes <anonymous>'s (X-Anonymous-Consumer: true) and 1 is returned; if no such consumer
 * exists the request is answered with Kong's 500 "anonymous consumer <x> is configured but
 * doesn't exist" and 0 is returned (worker thread). */
int sl_cred_anonymous(sl_req_t *req, const sl_cred_consumers_t *cc, const char *anonymous);

#endif
