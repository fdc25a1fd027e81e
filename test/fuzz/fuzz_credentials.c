/*
 * Fuzz target: the credential extractors auth plugins run on untrusted bytes (plugin/cred.h):
 * query argument lookup with percent-decoding, query rewriting without an argument, the
 * Basic Authorization decode (base64 included), header lookup by name, constant-time
 * comparison and the credential index; and request bodies as key_in_body decodes them
 * (plugin/body_args.h: form, JSON, multipart) and re-encodes them without an argument.
 *
 * Input: "<name>\n<data>"; <name> is the argument / header name looked for, <data> the query
 * string, Authorization value and header block ("Name: value" lines). For bodies, <data> is
 * "<content type>\n<body>" (the multipart boundary comes from the first line). Buffers are allocated
 * with exactly the capacity passed, so a write past it is caught by ASan.
 *
 * Invariants: decoded values fit in what the raw text took; a query rewritten without <name>
 * no longer holds it and is no longer than before; a Basic user is non-empty and colon-free
 * and the password has no newline; the header count agrees with a plain scan; constant-time
 * equality agrees with memcmp; every key put in an index is found again with its value.
 */
#include "core/base64.h"
#include "core/arena.h"
#include "plugin/body_args.h"
#include "plugin/cred.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

static void check_query(const char *q, size_t len, const char *name)
{
    sl_slice_t query = sl_slice(q, len), v;
    char *buf = malloc(len ? len : 1);
    sl_cred_arg_t a = sl_cred_query_arg(query, name, buf, len, &v);
    if (a == SL_CRED_ARG_VALUE && (v.p != buf || v.len > len))
        FAIL("decoded value outside its buffer");
    /* a buffer too small never overflows */
    if (len > 1) {
        char *small = malloc(1);
        sl_cred_query_arg(query, name, small, 1, &v);
        free(small);
    }
    char *out = malloc(len ? len : 1);
    size_t n = sl_cred_query_without(query, name, out);
    if (n > len)
        FAIL("rewritten query grew");
    if (name[0] && sl_cred_query_arg(sl_slice(out, n), name, buf, len, &v) != SL_CRED_ARG_NONE)
        FAIL("argument still present after removal");
    if (a == SL_CRED_ARG_NONE && name[0] && n > len)
        FAIL("query changed without the argument");
    free(out);
    free(buf);
}

static void check_basic(const char *s, size_t len)
{
    size_t cap = len / 4 * 3 + 3;
    char *buf = malloc(cap);
    sl_slice_t user, pass;
    if (sl_cred_basic(sl_slice(s, len), buf, cap, &user, &pass)) {
        if (user.len == 0 || memchr(user.p, ':', user.len))
            FAIL("basic user empty or with a colon");
        if (pass.len && memchr(pass.p, '\n', pass.len))
            FAIL("basic password with a newline");
        if (user.p < buf || user.p + user.len > buf + cap || pass.p < buf ||
            pass.p + pass.len > buf + cap)
            FAIL("basic parts outside the buffer");
    }
    free(buf);
    char *b64 = malloc(cap);
    long n = sl_base64_decode(s, len, b64, cap, 0);
    if (n > (long)cap)
        FAIL("base64 length past capacity");
    free(b64);
}

static void check_headers(const char *s, size_t len, const char *name)
{
    static sl_header_t h[64];
    size_t n = 0;
    const char *p = s, *end = s + len;
    while (p < end && n < 64) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *colon = memchr(p, ':', (size_t)(e - p));
        if (colon) {
            h[n].name = sl_slice(p, (size_t)(colon - p));
            h[n].value = sl_slice(colon + 1, (size_t)(e - colon - 1));
            n++;
        }
        p = e + 1;
    }
    sl_slice_t v = {NULL, 0};
    size_t found = sl_cred_header(h, n, name, &v);
    size_t plain = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i].name.len == strlen(name) && strncasecmp(h[i].name.p, name, h[i].name.len) == 0)
            plain++;
    if (found > 2 || found < (plain > 2 ? 2 : plain))
        FAIL("header count");
    if (found && v.p == NULL)
        FAIL("found header without a value");
}

static void check_index(const char *s, size_t len, const char *name)
{
    if (sl_cred_ct_eq(s, len, name, strlen(name)) !=
        (len == strlen(name) && memcmp(s, name, len) == 0))
        FAIL("constant-time compare disagrees with memcmp");
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    sl_cred_index_t ix;
    sl_cred_index_init(&ix, 64, &a);
    const char *keys[64];
    size_t lens[64], n = 0;
    const char *p = s, *end = s + len;
    while (p <= end && n < 64) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        keys[n] = p;
        lens[n] = (size_t)(e - p);
        const void *old = sl_cred_index_put(&ix, p, lens[n], (void *)(uintptr_t)(n + 1));
        if (old == NULL)
            n++;
        p = e + 1;
    }
    for (size_t i = 0; i < n; i++)
        if (sl_cred_index_get(&ix, keys[i], lens[i]) != (void *)(uintptr_t)(i + 1))
            FAIL("index lost a key");
    sl_arena_destroy(&a);
}

static void check_body(const char *d, size_t len, const char *name)
{
    const char *nl = memchr(d, '\n', len);
    if (nl == NULL)
        return;
    sl_slice_t ct = sl_slice(d, (size_t)(nl - d));
    size_t blen = len - ct.len - 1;
    char *b = malloc(blen ? blen : 1); /* exactly its length */
    memcpy(b, nl + 1, blen);
    sl_slice_t body = sl_slice(b, blen);
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    static const sl_body_type_t types[] = {SL_BODY_FORM, SL_BODY_JSON, SL_BODY_MULTIPART,
                                           SL_BODY_OTHER};
    (void)sl_body_type(ct);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        sl_cred_arg_t f;
        sl_slice_t v = {NULL, 0};
        bool ok = sl_body_arg(types[i], ct, body, name, &a, &f, &v);
        if (!ok && (types[i] == SL_BODY_FORM))
            FAIL("a form body always decodes");
        if (ok && f == SL_CRED_ARG_VALUE && types[i] == SL_BODY_MULTIPART &&
            (v.p < b || v.p + v.len > b + blen))
            FAIL("multipart value outside the body");
        if (!ok)
            continue;
        sl_slice_t w = sl_body_without(types[i], ct, body, name, &a);
        if (types[i] != SL_BODY_JSON && w.len > blen)
            FAIL("body grew without an argument");
        if (name[0] && types[i] != SL_BODY_MULTIPART &&
            sl_body_arg(types[i], ct, w, name, &a, &f, &v) &&
            (f == SL_CRED_ARG_VALUE || f == SL_CRED_ARG_MANY))
            FAIL("argument still present after removal");
    }
    sl_arena_destroy(&a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size < 64 ? size : 64);
    if (nl == NULL)
        return 0;
    char name[65];
    size_t nlen = (size_t)(nl - s);
    memcpy(name, s, nlen);
    name[nlen] = '\0';
    if (strlen(name) != nlen)
        return 0; /* names are C strings */
    const char *body = nl + 1;
    size_t len = size - nlen - 1;
    /* copies of exactly <len> bytes, so reads past the end are caught */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    check_query(copy, len, name);
    check_basic(copy, len);
    check_headers(copy, len, name);
    check_index(copy, len, name);
    check_body(copy, len, name);
    free(copy);
    return 0;
}
