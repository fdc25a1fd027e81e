/*
 * The HTTP/1 writer: how a response head and its body framing look on the wire. Every
 * response the gateway sends is serialized here (the response stream calls it; interim 1xx
 * heads from upstreams too).
 *
 * Thread: any.
 */
#ifndef SL_HTTP_H1WRITE_H
#define SL_HTTP_H1WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/headers.h"
#include "http/hlist.h"

/* How a body is delimited. */
enum {
    SL_FRAME_NONE = 0, /* no body (HEAD, 1xx, 101, 204, 304) */
    SL_FRAME_LENGTH,   /* Content-Length */
    SL_FRAME_CHUNKED,  /* Transfer-Encoding: chunked */
    SL_FRAME_CLOSE,    /* the connection's close ends it (HTTP/1.0 clients) */
};

/* Appends "HTTP/1.1 <status> <reason>\r\n" (<reason> empty: the standard phrase). */
void sl_h1_status_line(sl_hbuf_t *hb, int status, sl_slice_t reason);

/* Appends a whole head: the status line, every entry of <l> in order, then what the writer
 * owns: "Transfer-Encoding: chunked" for SL_FRAME_CHUNKED, and Connection (upgrade for a
 * 101, close when <close>, else keep-alive) unless <l> has one of its own; then the empty
 * line. Content-Length is the list's business (the response stream keeps it right). */
void sl_h1_head(sl_hbuf_t *hb, int status, sl_slice_t reason, const sl_hlist_t *l, int framing,
                bool close);

/* Writes the size line of a chunk of <n> bytes ("<hex>\r\n") into <buf> (24 bytes) and
 * returns its length. */
size_t sl_h1_chunk_line(char *buf, size_t n);

/* The end of a chunked body (no trailers). */
#define SL_H1_LAST_CHUNK "0\r\n\r\n"

#endif
