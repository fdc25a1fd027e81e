/* Access log lines and their buffering (see access.h). */
#include "log/access.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "http/conn.h"
#include "http/request.h"

#define ALOG_BUF 65536
#define ALOG_FLUSH_AT 49152
#define ALOG_LINE_MAX 8192

int sl_alog_format_from_name(const char *name)
{
    if (strcmp(name, "kong") == 0)
        return SL_ALOG_KONG;
    if (strcmp(name, "combined") == 0)
        return SL_ALOG_COMBINED;
    if (strcmp(name, "json") == 0)
        return SL_ALOG_JSON;
    return -1;
}

int sl_alog_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

int sl_alog_reopen(int fd, const char *path)
{
    int nfd = sl_alog_open(path);
    if (nfd < 0)
        return nfd;
    int rc = dup2(nfd, fd) < 0 ? -errno : 0;
    close(nfd);
    return rc;
}

static _Atomic uint64_t reopen_gen;

void sl_alog_reopen_bump(void)
{
    atomic_fetch_add_explicit(&reopen_gen, 1, memory_order_relaxed);
}

uint64_t sl_alog_reopen_gen(void)
{
    return atomic_load_explicit(&reopen_gen, memory_order_relaxed);
}

static void on_timer(uv_timer_t *t)
{
    sl_alog_flush(t->data);
}

void sl_alog_init(sl_alog_t *l, uv_loop_t *loop, int fd, sl_alog_format_t format)
{
    memset(l, 0, sizeof(*l));
    l->fd = fd;
    l->format = format;
    if (fd < 0)
        return;
    l->cap = ALOG_BUF;
    l->buf = sl_xmalloc(l->cap);
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    uv_timer_start(&l->timer, on_timer, 1000, 1000);
    uv_unref((uv_handle_t *)&l->timer);
    l->timer_on = true;
}

void sl_alog_flush(sl_alog_t *l)
{
    size_t off = 0;
    while (off < l->len) {
        ssize_t n = write(l->fd, l->buf + off, l->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* a full disk loses log lines, never requests */
        off += (size_t)n;
    }
    l->len = 0;
}

void sl_alog_close(sl_alog_t *l)
{
    if (l->fd < 0)
        return;
    sl_alog_flush(l);
    if (l->timer_on)
        uv_close((uv_handle_t *)&l->timer, NULL);
    l->timer_on = false;
    free(l->buf);
    l->buf = NULL;
    l->fd = -1; /* anything logged after this is dropped, not written to a freed buffer */
}

/* Appends <s> escaped as nginx escapes variables in log lines ("\xHH" for '"', '\' and bytes
 * outside printable ASCII), or as a JSON string body when <json>. */
static size_t put_escaped(char *out, size_t room, const char *s, size_t n, bool json)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (size_t i = 0; i < n && w + 6 < room; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\' || ch < 0x20 || ch == 0x7f || (!json && ch >= 0x80)) {
            if (json && (ch == '"' || ch == '\\')) {
                out[w++] = '\\';
                out[w++] = (char)ch;
            } else if (json) {
                w += (size_t)snprintf(out + w, room - w, "\\u%04x", ch);
            } else {
                out[w++] = '\\';
                out[w++] = 'x';
                out[w++] = hex[ch >> 4];
                out[w++] = hex[ch & 15];
            }
        } else {
            out[w++] = (char)ch;
        }
    }
    return w;
}

void sl_alog_request(sl_alog_t *l, sl_req_t *req)
{
    if (l->fd < 0)
        return;
    if (l->len + ALOG_LINE_MAX > l->cap)
        sl_alog_flush(l);
    time_t now = time(NULL);
    if (now != l->time_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(l->time_local, sizeof(l->time_local), l->format == SL_ALOG_JSON
                                                            ? "%Y-%m-%dT%H:%M:%S+00:00"
                                                            : "%d/%b/%Y:%H:%M:%S +0000",
                 &tm);
        l->time_sec = now;
    }
    int status = req->response_started ? req->status : 499; /* nginx: client closed */
    uint64_t body = req->bytes_out > req->head_out ? req->bytes_out - req->head_out : 0;
    sl_slice_t ua = sl_req_header(req, "user-agent"), ref = sl_req_header(req, "referer");
    char *o = l->buf + l->len;
    size_t room = ALOG_LINE_MAX, w = 0;
#define PUT(...) (w += (size_t)snprintf(o + w, room - w, __VA_ARGS__), w = w < room ? w : room - 1)
#define ESC(slice, json) (w += put_escaped(o + w, room - w, (slice).p, (slice).len, (json)))
    if (l->format == SL_ALOG_JSON) {
        uint64_t total_ms = (sl_now_ns() - req->start_ns) / 1000000;
        PUT("{\"time\":\"%s\",\"remote_addr\":\"%s\",\"method\":\"", l->time_local,
            sl_req_client_ip(req));
        ESC(req->method, true);
        PUT("\",\"uri\":\"");
        ESC(req->target, true);
        PUT("\",\"protocol\":\"HTTP/%u.%u\",\"status\":%d,\"bytes_sent\":%" PRIu64
            ",\"body_bytes_sent\":%" PRIu64 ",\"request_time_ms\":%" PRIu64,
            req->http_major, req->http_minor, status, req->bytes_out, body, total_ms);
        if (req->upstream_head_ns)
            PUT(",\"upstream_time_ms\":%" PRIu64,
                (req->upstream_head_ns - req->upstream_send_ns) / 1000000);
        PUT(",\"request_id\":\"%s\",\"host\":\"", req->id);
        ESC(req->host, true);
        PUT("\",\"user_agent\":\"");
        ESC(ua, true);
        PUT("\",\"referer\":\"");
        ESC(ref, true);
        PUT("\"");
        if (req->route && req->route->name)
            PUT(",\"route\":\"%s\"", req->route->name);
        if (req->service && req->service->name)
            PUT(",\"service\":\"%s\"", req->service->name);
        PUT("}\n");
    } else {
        PUT("%s - - [%s] \"", sl_req_client_ip(req), l->time_local);
        ESC(req->method, false);
        PUT(" ");
        ESC(req->target, false);
        PUT(" HTTP/%u.%u\" %d %" PRIu64 " \"", req->http_major, req->http_minor, status, body);
        if (ref.len)
            ESC(ref, false);
        else
            PUT("-");
        PUT("\" \"");
        if (ua.len)
            ESC(ua, false);
        else
            PUT("-");
        PUT("\"");
        if (l->format == SL_ALOG_KONG)
            PUT(" kong_request_id: \"%s\"", req->id);
        PUT("\n");
    }
#undef PUT
#undef ESC
    if (w == room - 1)
        o[w - 1] = '\n'; /* a line cut at the cap still ends the line */
    l->len += w;
    if (l->len >= ALOG_FLUSH_AT)
        sl_alog_flush(l);
}
