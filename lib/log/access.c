/* Access log lines and their buffering (see access.h). */
#include "log/access.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "http/request.h"

#define ALOG_BUF 65536
#define ALOG_FLUSH_AT 49152
#define ALOG_LINE_MAX 8192

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

/* A line being written: <p> with <room> bytes, <w> used. Appends past the room are cut; the
 * last byte is kept for the newline. */
typedef struct line {
    char *p;
    size_t w, room;
} line_t;

static void put(line_t *o, const char *s, size_t n)
{
    if (n == 0)
        return; /* <s> may be NULL then (an absent header) */
    size_t left = o->room - 1 - o->w;
    if (n > left)
        n = left;
    memcpy(o->p + o->w, s, n);
    o->w += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static void put_str(line_t *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(line_t *o, uint64_t v)
{
    char buf[24], *d = buf + sizeof(buf);
    do {
        *--d = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, d, (size_t)(buf + sizeof(buf) - d));
}

/* Appends <s> escaped as nginx escapes variables in log lines ("\xHH" for '"', '\' and bytes
 * outside printable ASCII), or as a JSON string body when <json>. Runs of bytes that need
 * nothing are copied at once. */
static void put_escaped(line_t *o, sl_slice_t s, bool json)
{
    static const char hex[] = "0123456789ABCDEF";
    if (s.len == 0)
        return;
    size_t i = 0, run = 0;
    while (i < s.len) {
        unsigned char ch = (unsigned char)s.p[i];
        if (!(ch == '"' || ch == '\\' || ch < 0x20 || ch == 0x7f || (!json && ch >= 0x80))) {
            i++;
            continue;
        }
        put(o, s.p + run, i - run);
        char e[6];
        if (json && (ch == '"' || ch == '\\')) {
            e[0] = '\\';
            e[1] = (char)ch;
            put(o, e, 2);
        } else if (json) {
            memcpy(e, "\\u00", 4);
            e[4] = (char)("0123456789abcdef"[ch >> 4]); /* lower case, as "%04x" */
            e[5] = (char)("0123456789abcdef"[ch & 15]);
            put(o, e, 6);
        } else {
            e[0] = '\\';
            e[1] = 'x';
            e[2] = hex[ch >> 4];
            e[3] = hex[ch & 15];
            put(o, e, 4);
        }
        run = ++i;
    }
    put(o, s.p + run, s.len - run);
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
    line_t line = {.p = l->buf + l->len, .w = 0, .room = ALOG_LINE_MAX}, *o = &line;
    char ver[4] = {(char)('0' + req->http_major % 10), '.', (char)('0' + req->http_minor % 10)};
    if (l->format == SL_ALOG_JSON) {
        uint64_t total_ms = (sl_now_ns() - req->start_ns) / 1000000;
        PUT_LIT(o, "{\"time\":\"");
        put_str(o, l->time_local);
        PUT_LIT(o, "\",\"remote_addr\":\"");
        put_str(o, sl_req_client_ip(req));
        PUT_LIT(o, "\",\"method\":\"");
        put_escaped(o, req->method, true);
        PUT_LIT(o, "\",\"uri\":\"");
        put_escaped(o, req->target, true);
        PUT_LIT(o, "\",\"protocol\":\"HTTP/");
        put(o, ver, 3);
        PUT_LIT(o, "\",\"status\":");
        put_u64(o, (uint64_t)status);
        PUT_LIT(o, ",\"bytes_sent\":");
        put_u64(o, req->bytes_out);
        PUT_LIT(o, ",\"body_bytes_sent\":");
        put_u64(o, body);
        PUT_LIT(o, ",\"request_time_ms\":");
        put_u64(o, total_ms);
        if (req->upstream_head_ns) {
            PUT_LIT(o, ",\"upstream_time_ms\":");
            put_u64(o, (req->upstream_head_ns - req->upstream_send_ns) / 1000000);
        }
        PUT_LIT(o, ",\"request_id\":\"");
        put_str(o, req->id);
        PUT_LIT(o, "\",\"host\":\"");
        put_escaped(o, req->host, true);
        PUT_LIT(o, "\",\"user_agent\":\"");
        put_escaped(o, ua, true);
        PUT_LIT(o, "\",\"referer\":\"");
        put_escaped(o, ref, true);
        PUT_LIT(o, "\"");
        if (req->route && req->route->name) {
            PUT_LIT(o, ",\"route\":\"");
            put_str(o, req->route->name);
            PUT_LIT(o, "\"");
        }
        if (req->service && req->service->name) {
            PUT_LIT(o, ",\"service\":\"");
            put_str(o, req->service->name);
            PUT_LIT(o, "\"");
        }
        PUT_LIT(o, "}");
    } else {
        put_str(o, sl_req_client_ip(req));
        PUT_LIT(o, " - - [");
        put_str(o, l->time_local);
        PUT_LIT(o, "] \"");
        put_escaped(o, req->method, false);
        PUT_LIT(o, " ");
        put_escaped(o, req->target, false);
        PUT_LIT(o, " HTTP/");
        put(o, ver, 3);
        PUT_LIT(o, "\" ");
        put_u64(o, (uint64_t)status);
        PUT_LIT(o, " ");
        put_u64(o, body);
        PUT_LIT(o, " \"");
        if (ref.len)
            put_escaped(o, ref, false);
        else
            PUT_LIT(o, "-");
        PUT_LIT(o, "\" \"");
        if (ua.len)
            put_escaped(o, ua, false);
        else
            PUT_LIT(o, "-");
        PUT_LIT(o, "\"");
        if (l->format == SL_ALOG_KONG) {
            PUT_LIT(o, " kong_request_id: \"");
            put_str(o, req->id);
            PUT_LIT(o, "\"");
        }
    }
    o->p[o->w++] = '\n'; /* kept free by put(): a line cut at the cap still ends */
    size_t w = o->w;
    l->len += w;
    if (l->len >= ALOG_FLUSH_AT)
        sl_alog_flush(l);
}
