/*
 * The response stream: how every response leaves the gateway, whoever makes it (the proxy,
 * a gateway error, a plugin's exit, the admin API, later a cache hit). A producer gives a head
 * (status, reason, a header list) and then body pieces and the end; between the producer and
 * the client run the header filters (on the list, before anything is serialized) and the body
 * filters, which may pass, replace, drop or hold each piece, append bytes, or wait on I/O.
 * The framing is decided after the filters, and one HTTP/1 writer (http/h1write.h)
 * serializes the result:
 *
 *   - no body for HEAD, 1xx, 101, 204 and 304 (HEAD and 304 keep the Content-Length the
 *     producer gave; the others lose it);
 *   - the producer's Content-Length when it is still in the list after the header filters
 *     and no body filter changed a byte before the head left;
 *   - the exact length when the filters changed the body and let nothing out before the
 *     end (a filter that held everything, then let it out);
 *   - otherwise chunked for HTTP/1.1 clients and close-delimited for HTTP/1.0.
 *
 * The head leaves with the first body bytes that come out of the filters, or at the end: a
 * filter that holds delays it. A body filter that will change the body says so in its header
 * filter by removing Content-Length (sl_resp_body_changes), as Kong's and nginx's filters do;
 * one that changes a body whose length already left cuts the response short (the connection
 * closes) instead of sending a wrong length.
 *
 * Producer protocol: sl_resp_start, fill sl_resp_headers, sl_resp_head, then sl_resp_body
 * (any number) and sl_resp_end, and sl_resp_flush after a batch of those. A piece's memory
 * must stay valid until the flush's drain callback runs (the stream may pass it on without a
 * copy). The drain callback runs once everything handed over is written (and every waiting
 * filter has resumed).
 *
 * Thread: the worker owning the request.
 */
#ifndef SL_HTTP_RESPONSE_H
#define SL_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/slice.h"
#include "http/hlist.h"

typedef struct sl_req sl_req_t;

/* ---- body filters --------------------------------------------------------------------- */

/* What a body filter does with a piece. */
typedef enum {
    SL_BODY_PASS = 0, /* the piece goes on to the next filter, after what this one held */
    SL_BODY_REPLACED, /* sl_body_replace gave the bytes that go on instead of what this
                         filter held and the piece */
    SL_BODY_DROP,     /* the piece goes nowhere (what was held stays held) */
    SL_BODY_HOLD,     /* the piece is kept (copied) after what was held; nothing goes on.
                         Past SL_BODY_HOLD_MAX the held bytes and the piece pass instead */
    SL_BODY_WAIT,     /* waiting on I/O: sl_body_resume later, from a callback of the
                         worker's loop, with one of the actions above */
    SL_BODY_FAIL,     /* the response is cut short (the connection closes) */
} sl_body_action_t;

/* What a filter may hold for one response (the held bytes are copied). */
#define SL_BODY_HOLD_MAX (8u * 1024 * 1024)

/* One piece of the body as a filter sees it. */
typedef struct sl_body {
    const char *data;  /* the piece (may be empty, on the last call) */
    size_t len;
    bool last;         /* nothing comes after this piece */
    size_t held;       /* bytes this filter holds from earlier pieces */
    /* the stream's own (filters do not touch these) */
    size_t stage;
    bool final;        /* made when the body's end passed (see decide_framing) */
    const char *out;
    size_t out_len;
    const char *extra;
    size_t extra_len;
} sl_body_t;

/* The bytes this filter holds, contiguous (valid until it returns anything but WAIT). */
sl_slice_t sl_body_held(sl_req_t *req, const sl_body_t *b);
/* With SL_BODY_REPLACED: <data> (copied) goes on instead of the held bytes and the piece. */
void sl_body_replace(sl_req_t *req, sl_body_t *b, const char *data, size_t len);
/* <data> (copied) goes on after this piece's output, whatever the action (but WAIT). */
void sl_body_append(sl_req_t *req, sl_body_t *b, const char *data, size_t len);
/* A filter that returned SL_BODY_WAIT for <b> is done with <action>. Before it returns
 * SL_BODY_WAIT it registers, with sl_pdk_wait (plugin/pdk.h), how to cancel its I/O if the
 * request goes away meanwhile. */
void sl_body_resume(sl_req_t *req, sl_body_action_t action);

/* How the stream reaches the filters of a request's chain (installed by the layer that runs
 * plugins; NULL: none). */
typedef struct sl_resp_filters {
    /* runs the header filters; the list is sl_resp_headers(req) */
    void (*header)(sl_req_t *req);
    /* the number of body filters for this request, and the <i>th one on <b> */
    size_t (*n_body)(const sl_req_t *req);
    sl_body_action_t (*body)(sl_req_t *req, size_t i, sl_body_t *b);
} sl_resp_filters_t;

/* ---- the stream --------------------------------------------------------------------------- */

typedef void (*sl_resp_drain_cb)(sl_req_t *req, void *arg);

typedef struct sl_resp_item {
    const char *p;
    size_t len;
    size_t stage;      /* the filter it goes to next (n_stages: the writer) */
    bool last;
    bool final;        /* let out by a filter when the end reached it */
} sl_resp_item_t;

typedef struct sl_resp {
    int status;
    sl_slice_t reason;
    sl_hlist_t headers;
    int64_t length;          /* the producer's body length; -1: unknown */
    bool started;            /* sl_resp_start ran */
    bool gateway;            /* made by the gateway (its own headers are not the
                                producer's that plugins' set/clear replace) */
    bool headed;             /* sl_resp_head ran (the header filters are done) */
    bool no_body;
    bool changed;            /* a filter changed the body before the head left */
    bool head_written;
    bool ended;              /* the end came out of the filters */
    bool end_written;
    bool cut;                /* a filter failed, or changed a body whose length left */
    bool waiting;            /* a filter waits (SL_BODY_WAIT) */
    bool streamed;           /* body bytes came out before the end did */
    bool writing;            /* a write to the client is under way */
    int framing;             /* SL_FRAME_* (h1write.h), once the head is written */
    size_t n_stages;
    uint64_t body_out;       /* body bytes handed to the writer */
    sl_slice_t *ready;       /* output of the filters, not written yet */
    size_t n_ready, cap_ready;
    sl_resp_item_t *stack;   /* pieces between filters (depth first) */
    size_t n_stack, cap_stack;
    sl_resp_item_t *queue;   /* pieces given while a filter waits */
    size_t n_queue, q_head, cap_queue;
    sl_body_t wait_b;        /* the piece a filter waits on */
    struct sl_resp_hold *holds; /* per filter stage, what it holds */
    sl_arena_t *scratch;     /* copies made for filters, freed once written */
    sl_resp_drain_cb drain;
    void *drain_arg;
    char chunk_line[24];
} sl_resp_t;

/* Starts the response of <req>: <status> and <reason> (an empty slice: the standard phrase),
 * an empty header list. Only before the head has left; a response started and not written
 * (a filter holding it) is dropped and replaced. */
void sl_resp_start(sl_req_t *req, int status, sl_slice_t reason);
/* The header list producers fill and header filters change. */
sl_hlist_t *sl_resp_headers(sl_req_t *req);
/* The head is complete. <length>: the body's length as the producer knows it (-1: unknown,
 * the body ends with sl_resp_end); it is written only while the list still has a
 * Content-Length entry. Plugin edits made before the response existed are applied (see
 * plugin/pdk.h), then the header filters run. */
void sl_resp_head(sl_req_t *req, int64_t length);
/* A filter will change the body: the producer's length no longer holds (nothing for a
 * response without a body). */
void sl_resp_body_changes(sl_req_t *req);
/* A piece of the body; see the protocol above. */
void sl_resp_body(sl_req_t *req, const char *p, size_t n);
/* The end of the body. */
void sl_resp_end(sl_req_t *req);
/* Hands what the filters let out to the client. Returns true when something is under way
 * (a write, or a filter that waits): <drain>(req, arg) runs once it is all done. False when
 * nothing is pending: the producer goes on at once. */
bool sl_resp_flush(sl_req_t *req, sl_resp_drain_cb drain, void *arg);
/* Frees what the stream allocated for the request (its end). */
void sl_resp_free(sl_req_t *req);

#endif
