/*
 * Fuzz target: the log record (log/record.c) of a request whose query string, header fields
 * and response head come from the input, the untrusted parts a record shows.
 *
 * Input: the first line is the query string; the lines up to an empty line are request
 * header fields ("name:value", split at the first ':'); the rest is the response head as
 * the gateway would have sent it.
 *
 * Invariants checked: the record is one line (no raw CR or LF), parses as JSON, and is an
 * object whose request.querystring and request.headers and response.headers are objects;
 * authorization is always REDACTED; at most SL_LOG_MAX_ARGS query keys are shown.
 */
#undef NDEBUG /* the invariants are checked in every build, the replay ones included */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "http/conn.h"
#include "http/headers.h"
#include "http/request.h"
#include "log/record.h"

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    sl_arena_t arena;
    sl_arena_init(&arena, 0);
    sl_conn_t *conn = calloc(1, sizeof(*conn));
    strcpy(conn->peer_ip, "127.0.0.1");
    conn->local_port = 8000;
    static sl_settings_t settings; /* no trusted proxies: the client is the socket peer */
    static sl_worker_t worker = {.settings = &settings};
    conn->w = &worker;
    sl_req_t *req = sl_arena_calloc(&arena, 1, sizeof(*req));
    req->arena = &arena;
    req->conn = conn;
    req->w = &worker;
    req->method = SL_SLICE_LIT("GET");
    strcpy(req->id, "0123456789abcdef0123456789abcdef");

    const char *le = line_end(p, end);
    req->query = sl_slice(p, (size_t)(le - p));
    req->has_query = true;
    req->target = req->query;
    p = le < end ? le + 1 : end;

    sl_header_t *hs = sl_arena_alloc(&arena, 256 * sizeof(*hs));
    bool has_auth = false;
    while (p < end && req->n_headers < 256) {
        le = line_end(p, end);
        if (le == p) {
            p++;
            break;
        }
        const char *colon = memchr(p, ':', (size_t)(le - p));
        const char *ne = colon ? colon : le;
        if (memchr(p, '\0', (size_t)(ne - p))) {
            /* llhttp never lets a NUL into a name, and cJSON (the checker) would read such a
             * key only up to it */
            p = le < end ? le + 1 : end;
            continue;
        }
        sl_header_t *h = &hs[req->n_headers++];
        h->name = sl_slice(p, (size_t)(ne - p));
        h->value = colon ? sl_slice(colon + 1, (size_t)(le - colon - 1)) : sl_slice("", 0);
        if (req->n_headers <= SL_LOG_MAX_HEADERS &&
            SL_SLICE_IEQ_LIT(h->name, "authorization"))
            has_auth = true;
        p = le < end ? le + 1 : end;
    }
    req->headers = hs;
    req->head_sent = sl_slice(p, (size_t)(end - p));
    req->response_started = true;
    req->status = 200;

    sl_hbuf_t b;
    sl_hbuf_init(&b, &arena, 1024);
    sl_log_record(&b, req, NULL, 1000000000, 1700000000000);
    assert(memchr(b.p, '\n', b.len) == NULL && memchr(b.p, '\r', b.len) == NULL);
    assert(memchr(b.p, '\0', b.len) == NULL);

    cJSON *rec = cJSON_ParseWithLength(b.p, b.len);
    assert(rec != NULL && cJSON_IsObject(rec));
    cJSON *rq = cJSON_GetObjectItemCaseSensitive(rec, "request");
    cJSON *qs = cJSON_GetObjectItemCaseSensitive(rq, "querystring");
    cJSON *h = cJSON_GetObjectItemCaseSensitive(rq, "headers");
    cJSON *rs = cJSON_GetObjectItemCaseSensitive(rec, "response");
    assert(cJSON_IsObject(qs) && cJSON_IsObject(h));
    assert(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rs, "headers")));
    assert(cJSON_GetArraySize(qs) <= SL_LOG_MAX_ARGS);
    if (has_auth) {
        cJSON *a = cJSON_GetObjectItemCaseSensitive(h, "authorization");
        assert(cJSON_IsString(a) && strcmp(a->valuestring, "REDACTED") == 0);
    }
    cJSON_Delete(rec);
    free(conn);
    sl_arena_destroy(&arena);
    return 0;
}
