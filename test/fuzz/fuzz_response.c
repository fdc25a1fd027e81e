/*
 * Fuzz target: upstream responses (http/respparse.c on llhttp), driven the way the proxy
 * drives it: bytes arrive in reads whose sizes the input picks, the parsed prefix of the
 * buffer is dropped whenever the parser allows it (sl_respparse_movable), interim 1xx
 * responses come before the final one, and keep-alive responses follow each other.
 *
 * Invariant checked: splitting changes nothing. The same bytes parsed in one read and in
 * many reads give the same events: each head's status, reason and header fields byte for
 * byte, the same body bytes, the same ends, and the same outcome (done, paused, error).
 * Besides: every slice handed out lies inside the bytes held at that moment, and a status
 * code has three digits (llhttp takes "050" as well: the proxy answers 502 to that).
 *
 * Input: byte 0 seeds the read sizes; bit 7 of byte 1 says whether the request was a HEAD
 * (no body follows any head); the rest is what the upstream sends.
 */
#undef NDEBUG /* the invariants are checked in every build, the replay ones included */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/respparse.h"

#define MAX_EVENTS 64
#define LOG_CAP (64 * 1024)

/* What the parser reported, as one byte string: heads, bodies and ends in order. */
typedef struct trace {
    char log[LOG_CAP];
    size_t len;
    bool full;
    bool head_request;
    bool in_body;      /* the last event was body bytes (pieces are logged as one run) */
    const char *held;  /* the bytes held in the buffer now */
    size_t held_len;
    sl_arena_t *arena;
} trace_t;

static void put(trace_t *t, const void *p, size_t n)
{
    if (t->full || n > LOG_CAP - t->len) {
        t->full = true;
        return;
    }
    memcpy(t->log + t->len, p, n);
    t->len += n;
}

static void inside(const trace_t *t, const char *p, size_t n)
{
    assert(n == 0 || (p >= t->held && p + n <= t->held + t->held_len));
}

static int on_head(sl_respparse_t *p)
{
    trace_t *t = p->data;
    int status = p->llhttp.status_code;
    assert(status >= 0 && status <= 999); /* three digits; "050" too (the proxy refuses it) */
    char tag[8] = {'H', (char)('0' + status / 100), (char)('0' + status / 10 % 10),
                   (char)('0' + status % 10)};
    t->in_body = false;
    put(t, tag, 4);
    sl_slice_t reason = sl_respparse_reason(p);
    inside(t, reason.p, reason.len);
    put(t, reason.p, reason.len);
    put(t, "\n", 1);
    sl_header_t *hs = sl_respparse_headers(p, t->arena);
    for (size_t i = 0; i < p->spans->n; i++) {
        inside(t, hs[i].name.p, hs[i].name.len);
        inside(t, hs[i].value.p, hs[i].value.len);
        put(t, hs[i].name.p, hs[i].name.len);
        put(t, ":", 1);
        put(t, hs[i].value.p, hs[i].value.len);
        put(t, "\n", 1);
    }
    /* a HEAD's answer has no body; neither has a 1xx */
    return t->head_request && status >= 200 ? 1 : 0;
}

static int on_body(sl_respparse_t *p, const char *at, size_t n)
{
    trace_t *t = p->data;
    inside(t, at, n);
    if (!t->in_body)
        put(t, "B", 1);
    t->in_body = true;
    put(t, at, n);
    return 0;
}

static int on_complete(sl_respparse_t *p)
{
    trace_t *t = p->data;
    t->in_body = false;
    put(t, "E", 1);
    return 0;
}

static const sl_respparse_hooks_t hooks = {on_head, on_body, on_complete};

/* Parses <data> in reads of sizes drawn from <seed> (0: one read) into a buffer that is
 * compacted whenever allowed. Records the events in <t>; returns the outcome. */
static int run(const uint8_t *data, size_t size, unsigned seed, trace_t *t)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 4096);
    t->arena = &arena;
    sl_hdr_spans_t spans;
    sl_hdr_spans_init(&spans, 256);
    sl_respparse_t p;
    sl_respparse_start(&p, &spans, &hooks, t);
    char *buf = malloc(size + 1);
    size_t len = 0, pos = 0, fed = 0;
    int outcome = 0;
    uint32_t rng = seed * 2654435761u + 1;
    while (fed < size) {
        size_t n = size - fed;
        if (seed) {
            rng = rng * 1103515245u + 12345u;
            n = 1 + (rng >> 16) % 23;
            if (n > size - fed)
                n = size - fed;
        }
        memcpy(buf + len, data + fed, n);
        len += n;
        fed += n;
        t->held = buf;
        t->held_len = len;
        llhttp_errno_t err = sl_respparse_execute(&p, buf, pos, len - pos);
        if (err == HPE_PAUSED_UPGRADE) {
            outcome = 2; /* a 101: the rest is another protocol */
            break;
        }
        if (err != HPE_OK) {
            outcome = 3 + (int)err;
            break;
        }
        pos = len;
        if (sl_respparse_movable(&p)) {
            memmove(buf, buf + pos, len - pos);
            len -= pos;
            pos = 0;
        }
    }
    if (outcome == 0)
        outcome = llhttp_finish(&p.llhttp) == HPE_OK ? 0 : 1;
    free(buf);
    sl_hdr_spans_free(&spans);
    sl_arena_destroy(&arena);
    return outcome;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 32768)
        return 0;
    unsigned seed = data[0];
    bool head_request = (data[1] & 0x80) != 0;
    data += 2;
    size -= 2;
    static trace_t whole, split;
    whole.len = split.len = 0;
    whole.full = split.full = false;
    whole.in_body = split.in_body = false;
    whole.head_request = split.head_request = head_request;
    int a = run(data, size, 0, &whole);
    int b = run(data, size, seed | 1, &split);
    if (whole.full || split.full)
        return 0; /* too long a trace to compare */
    assert(a == b);
    assert(whole.len == split.len);
    assert(memcmp(whole.log, split.log, whole.len) == 0);
    return 0;
}
