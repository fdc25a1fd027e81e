/*
 * Fuzz target: upstream path joining (v0, v1) and escaping.
 *
 * Input: byte 0 = flags (bit 0 strip, bit 1 v1), byte 1 = prefix length, byte 2 = output
 * capacity; the rest is "<service path>\n<request path>". Output buffers are allocated with
 * exactly the capacity passed, so a write past it is caught by ASan.
 *
 * Invariants: a result is NUL-terminated within the capacity; a failure only happens when
 * the capacity is really too small; the joined path is no longer than base + request + 1;
 * the escaped path holds only safe bytes and has exactly the expected length.
 */
#include "core/path.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

static bool safe(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-_.~!#$&'()*+,/:;=?@[]%", c) != NULL);
}

static void check_escape(const char *in, size_t len, size_t cap)
{
    size_t need = len + 1;
    for (size_t i = 0; i < len; i++)
        if (!safe((unsigned char)in[i]))
            need += 2;
    char *out = malloc(cap ? cap : 1);
    ssize_t n = sl_path_escape(in, len, out, cap);
    if (n < 0) {
        if (cap >= need)
            FAIL("escape failed with room");
    } else {
        if (cap < need || (size_t)n != need - 1)
            FAIL("escape length");
        if (out[n] != '\0')
            FAIL("escape not NUL-terminated");
        for (ssize_t i = 0; i < n; i++)
            if (!safe((unsigned char)out[i]))
                FAIL("unsafe byte in escaped path");
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    bool strip = data[0] & 1, v1 = data[0] & 2;
    size_t prefix_len = data[1];
    size_t cap = data[2];
    const char *rest = (const char *)data + 3;
    size_t rest_len = size - 3;
    const char *nl = memchr(rest, '\n', rest_len);

    /* service path: a NUL-terminated copy (NULL when empty) */
    size_t base_len = nl ? (size_t)(nl - rest) : 0;
    char *base = NULL;
    if (base_len > 0) {
        base = malloc(base_len + 1);
        memcpy(base, rest, base_len);
        base[base_len] = '\0';
        base_len = strlen(base); /* the input may hold a NUL */
        if (base_len == 0) {
            free(base);
            base = NULL;
        }
    }
    const char *req = nl ? nl + 1 : rest;
    size_t req_len = (size_t)(rest + rest_len - req);
    size_t eff_base = base ? base_len : 1;

    char *out = malloc(cap ? cap : 1);
    ssize_t n = v1 ? sl_path_upstream_v1(base, req, req_len, strip, prefix_len, out, cap)
                   : sl_path_upstream(base, req, req_len, strip, prefix_len, out, cap);
    if (n < 0) {
        if (cap >= eff_base + req_len + 2)
            FAIL("upstream failed with room");
    } else {
        if ((size_t)n >= cap || out[n] != '\0')
            FAIL("upstream not NUL-terminated within cap");
        if ((size_t)n > eff_base + req_len + 1)
            FAIL("upstream longer than base + request + 1");
        check_escape(out, (size_t)n, cap);
    }
    free(out);

    check_escape(req, req_len, cap);
    check_escape(req, req_len, 3 * req_len + 1);

    /* normalize then escape, as the proxy does */
    char *norm = malloc(req_len + 1);
    ssize_t nn = sl_path_normalize(req, req_len, norm);
    if (nn >= 0)
        check_escape(norm, (size_t)nn, 3 * (size_t)nn + 1);
    free(norm);
    free(base);
    return 0;
}
