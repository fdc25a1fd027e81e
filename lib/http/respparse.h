/*
 * Response heads from upstreams: llhttp callbacks that record the status line's reason and
 * the header fields as offsets into the buffer being parsed (a head may arrive in pieces
 * across reads), and hand the complete head, the body pieces and the end of each response to
 * the owner's hooks. Interim (1xx) responses come through the same hooks.
 *
 * The buffer may be compacted (parsed bytes dropped, the rest moved to its start) only while
 * no head is half parsed: sl_respparse_movable says when. The proxy drives it with socket
 * data; the fuzz target drives it with plain bytes split every way.
 *
 * Thread: one parser belongs to one thread.
 */
#ifndef SL_HTTP_RESPPARSE_H
#define SL_HTTP_RESPPARSE_H

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/slice.h"
#include "http/hdrspans.h"

typedef struct sl_respparse sl_respparse_t;

typedef struct sl_respparse_hooks {
    /* A head is complete (p->llhttp.status_code, sl_respparse_reason, sl_respparse_headers).
     * Returns 0, 1 when no body follows (a response to HEAD), or HPE_USER to fail the parse
     * (after llhttp_set_error_reason). */
    int (*on_head)(sl_respparse_t *p);
    /* <n> body bytes at <at> (inside the buffer being parsed). Returns 0 or HPE_USER. */
    int (*on_body)(sl_respparse_t *p, const char *at, size_t n);
    /* A response ended (interim ones too). Returns 0, or HPE_PAUSED to stop after it. */
    int (*on_complete)(sl_respparse_t *p);
} sl_respparse_hooks_t;

struct sl_respparse {
    llhttp_t llhttp;              /* first: llhttp's callbacks cast back */
    const char *base;             /* where offsets count from; set by execute */
    sl_hdr_spans_t *spans;        /* header fields of the current head (borrowed) */
    uint32_t reason_off, reason_len;
    bool in_head;                 /* a head is being parsed: the buffer must not move */
    const sl_respparse_hooks_t *hooks;
    void *data;                   /* the owner's */
};

/* Starts a new exchange on <p>: llhttp reset for a response, the fields recorded into
 * <spans> (borrowed, kept by the caller across exchanges), events to <hooks>. */
void sl_respparse_start(sl_respparse_t *p, sl_hdr_spans_t *spans,
                        const sl_respparse_hooks_t *hooks, void *data);

/* Runs llhttp over <len> bytes at <base> + <off>; <base> is where offsets count from, and
 * must hold every byte of a half-parsed head at the same offsets as before. */
llhttp_errno_t sl_respparse_execute(sl_respparse_t *p, const char *base, size_t off,
                                    size_t len);

/* Whether the bytes before the parse position may move (no head is half parsed). */
static inline bool sl_respparse_movable(const sl_respparse_t *p)
{
    return !p->in_head;
}

/* From on_head: the reason phrase as received (possibly empty). */
sl_slice_t sl_respparse_reason(const sl_respparse_t *p);
/* From on_head: the header fields as slices into the buffer, in an array from <arena>;
 * their number is p->spans->n. */
sl_header_t *sl_respparse_headers(const sl_respparse_t *p, sl_arena_t *arena);

#endif
