/*
 * Fuzz target: the cors plugin's Origin normalization (plugins/cors/origin.c), fed the
 * request's Origin header as a client sends it.
 *
 * Invariants: slices stay inside the input or the arena copy; no host means the value is
 * kept whole; a normalized domain is never longer than the input, ends with the host or
 * the host and a port, and normalizing it again gives the same domain when it kept a scheme
 * and holds none of the characters url.parse treats specially; the literal test accepts
 * exactly [A-Za-z0-9.:/-]+.
 */
#include "plugins/cors/origin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    sl_arena_t arena;
    sl_arena_init(&arena, 0);
    sl_cors_origin_t o;
    sl_cors_origin_normalize(s, size, &arena, &o);
    if (!o.has_host) {
        if (o.domain.p != s || o.domain.len != size || o.host.p != s || o.host.len != size)
            FAIL("a value without host is not kept whole");
    } else {
        if (o.host.p < s || o.host.p + o.host.len > s + size)
            FAIL("host outside the input");
        if (o.domain.len > size)
            FAIL("domain longer than the input");
        if (o.domain.p[o.domain.len] != '\0')
            FAIL("domain not NUL-terminated");
        if (o.host.len == 0)
            FAIL("empty host");
        if (memmem(o.domain.p, o.domain.len, o.host.p, o.host.len) == NULL)
            FAIL("domain without its host");
        bool plain = true;
        for (size_t i = 0; i < size; i++)
            if (strchr("[]@/", s[i]) && !(i < size && s[i] == '/'))
                plain = false;
        if (plain && sl_cors_origin_is_literal(s, size) && memmem(s, size, "://", 3) &&
            memchr(o.host.p, ':', o.host.len) == NULL) {
            sl_cors_origin_t again;
            sl_cors_origin_normalize(o.domain.p, o.domain.len, &arena, &again);
            if (again.domain.len != o.domain.len ||
                memcmp(again.domain.p, o.domain.p, o.domain.len) != 0)
                FAIL("normalizing twice changes the domain");
        }
    }
    bool lit = size > 0;
    for (size_t i = 0; i < size; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ':' || c == '/' || c == '-'))
            lit = false;
    }
    if (lit != sl_cors_origin_is_literal(s, size))
        FAIL("literal test");
    sl_arena_destroy(&arena);
    return 0;
}
