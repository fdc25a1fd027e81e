/*
 * Fuzz target: the request path's parsing glue (http/reqparse.c on llhttp, path
 * normalization, Host and target checks), driven the way a connection drives it: bytes arrive
 * in two reads split where the input says, heads pause the parser, bodies are collected, and
 * pipelined requests follow.
 *
 * Invariants checked: offsets stay inside the buffer, a built request's normalized path
 * starts with '/', holds no "//", "/./" or "/../" and is no longer than the raw path; its host
 * is lower-case; a body is only delivered for a request that declared one; the parser never
 * reports success past the end of the input; a chunked body's size lines stay bounded
 * (sl_reqparse_chunk_line_ok) however the bytes are split. After an upgrade request the
 * parser is reset, as the connection does when the upstream does not switch protocols, and
 * what follows is parsed as requests.
 */
#undef NDEBUG /* the invariants are checked in every build, the replay ones included */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/reqparse.h"

typedef struct state {
    sl_req_t *req;
    size_t body_bytes;
    bool complete;
} state_t;

static int on_body(sl_reqparse_t *p, const char *at, size_t n)
{
    state_t *st = p->data;
    assert(st->req != NULL && st->req->has_body);
    assert(at >= p->base);
    st->body_bytes += n;
    return 0;
}

static int on_message_complete(sl_reqparse_t *p)
{
    state_t *st = p->data;
    st->complete = true;
    return p->llhttp.upgrade ? 0 : HPE_PAUSED;
}

static void check_request(const sl_req_t *req)
{
    assert(req->norm_len <= req->path.len);
    assert(req->norm_path[0] == '/');
    assert(strlen(req->norm_path) == req->norm_len);
    assert(strstr(req->norm_path, "//") == NULL);
    assert(strstr(req->norm_path, "/./") == NULL);
    assert(strstr(req->norm_path, "/../") == NULL);
    for (size_t i = 0; i < req->host.len; i++)
        assert(!(req->host.p[i] >= 'A' && req->host.p[i] <= 'Z'));
    assert(req->http_major == 1);
}

/* Forgets the request just parsed: the next one on the connection starts. */
static void next_message(state_t *st, bool *in_body, sl_arena_t *arena)
{
    st->complete = false;
    st->body_bytes = 0;
    st->req = NULL;
    *in_body = false;
    sl_arena_reset(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0] % (size);
    data++;
    size--;
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    sl_reqparse_t p;
    state_t st = {0};
    sl_reqparse_init(&p, 8192, &st);
    p.on_body = on_body;
    p.on_message_complete = on_message_complete;
    sl_arena_t arena;
    sl_arena_init(&arena, 4096);

    size_t len = split < size ? split : size; /* bytes "read" so far */
    size_t pos = 0;
    bool in_body = false;
    for (int rounds = 0; rounds < 1000; rounds++) {
        if (pos == len) {
            if (len == size)
                break;
            len = size; /* the second read */
        }
        llhttp_errno_t err = sl_reqparse_execute(&p, buf, pos, len - pos);
        if (in_body && st.req->chunked && !p.has_err) {
            size_t end = err == HPE_OK ? len : (size_t)(llhttp_get_error_pos(&p.llhttp) - buf);
            if (!sl_reqparse_chunk_line_ok(&p, end - pos))
                break; /* 400 and close */
            assert(p.line_carry <= SL_CHUNK_LINE_MAX);
        }
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            const char *ep = llhttp_get_error_pos(&p.llhttp);
            assert(ep >= buf + pos && ep <= buf + len);
            pos = (size_t)(ep - buf);
            if (err == HPE_PAUSED_UPGRADE) {
                /* the upstream did not switch: the next bytes are requests again */
                if (st.req == NULL)
                    break;
                sl_reqparse_reset(&p, &st);
                next_message(&st, &in_body, &arena);
                continue;
            }
            llhttp_resume(&p.llhttp);
            if (!in_body && !st.complete) {
                sl_req_t *req = sl_arena_calloc(&arena, 1, sizeof(*req));
                int e = sl_reqparse_build(&p, buf, pos, &arena, 8000, req);
                if (e != 0)
                    break; /* the connection would answer 4xx/5xx and close */
                check_request(req);
                st.req = req;
                in_body = true;
                continue;
            }
            /* message complete: the next pipelined request starts */
            assert(st.body_bytes == 0 || st.req->has_body);
            if (!st.req->chunked)
                assert(st.body_bytes == st.req->content_length);
            next_message(&st, &in_body, &arena);
            continue;
        }
        if (err != HPE_OK)
            break; /* 400 and close */
        pos = len;
    }
    sl_arena_destroy(&arena);
    sl_reqparse_free(&p);
    free(buf);
    return 0;
}
