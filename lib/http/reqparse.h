/*
 * Request head parsing: llhttp callbacks that record the method, target and header fields as
 * offsets into the caller's buffer (so the buffer may grow while a head arrives), and the step
 * that turns a complete head into an sl_req: the head copied into the request arena, Host and
 * target checked (RFC 9112), the path split and normalized, framing facts recorded.
 *
 * The connection drives it with its socket data; the fuzz target and unit tests drive it with
 * plain bytes.
 *
 * Thread: one parser belongs to one thread.
 */
#ifndef SL_HTTP_REQPARSE_H
#define SL_HTTP_REQPARSE_H

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "http/errors.h"
#include "http/hdrspans.h"
#include "http/request.h"

#define SL_MAX_HEADERS 256
/* A chunk-size line (extensions included) longer than this is refused (nginx and HAProxy
 * allow a few KiB). */
#define SL_CHUNK_LINE_MAX 4096

typedef struct sl_reqparse sl_reqparse_t;

struct sl_reqparse {
    llhttp_t llhttp;
    const char *base;            /* start of the buffer being parsed; set before execute */
    size_t max_request_line;
    uint32_t method_off, method_len, url_off, url_len;
    bool started;                /* a head has begun */
    bool head_ready;             /* llhttp paused because a head is complete (vs. because a
                                    message ended); cleared by sl_reqparse_build */
    bool url_complete;
    size_t line_len;             /* bytes of the header line being parsed (name + value) */
    size_t line_carry;           /* chunked body: non-data bytes since a chunk header */
    size_t round_data;           /* body bytes of this round */
    uint32_t round_chunks;       /* chunk headers completed in this round */
    sl_hdr_spans_t spans;        /* header fields of the current head */
    bool has_err;                /* a callback decided on an error response */
    sl_err_kind_t err;
    /* body hooks, called from llhttp's on_body / on_message_complete */
    int (*on_body)(sl_reqparse_t *p, const char *at, size_t n);
    int (*on_message_complete)(sl_reqparse_t *p);
    void *data;
};

/* Initialises <p>; llhttp pauses (HPE_PAUSED) when a head is complete. */
void sl_reqparse_init(sl_reqparse_t *p, size_t max_request_line, void *data);
void sl_reqparse_free(sl_reqparse_t *p);

/* Runs llhttp over <len> bytes at <base> + <off>; <base> is where offsets count from. */
llhttp_errno_t sl_reqparse_execute(sl_reqparse_t *p, const char *base, size_t off, size_t len);

/* Readies <p> for a new message on a connection (its header arrays are kept); <data> is
 * the new owner. After an upgrade request that was not switched (no 101), this is what
 * makes the following bytes parse as requests again. */
void sl_reqparse_reset(sl_reqparse_t *p, void *data);

/* After a round of sl_reqparse_execute over a chunked body that consumed <consumed> bytes:
 * false when a chunk-size line has run past SL_CHUNK_LINE_MAX (answer 400 and close). */
bool sl_reqparse_chunk_line_ok(sl_reqparse_t *p, size_t consumed);

/* Fills <req> from the complete head that ends at <head_end> (offset into <base>): copies the
 * head into <arena>, sets method, target, path/query, headers, host/port (<local_port> when
 * the Host header has none), normalized path and framing. Returns 0, or 1 + the
 * sl_err_kind_t to answer with. */
int sl_reqparse_build(sl_reqparse_t *p, const char *base, size_t head_end, sl_arena_t *arena,
                      uint16_t local_port, sl_req_t *req);

#endif
