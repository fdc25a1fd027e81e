/*
 * http-log's sending side: per worker, one queue per plugin instance and configuration,
 * drained by one keep-alive HTTP/1.1 client connection on the worker's loop (Kong's
 * kong/tools/queue.lua with concurrency_limit 1, and the plugin's send_payload).
 *
 * A log record is copied into its queue and the request goes on: nothing here ever blocks
 * or delays a request. The queue holds at most max_entries records (and max_bytes bytes
 * when set); when it is full the oldest records are dropped, with one log line a second.
 * Batches of up to max_batch_size records leave once that many wait or max_coalescing_delay
 * after the first; one batch is in flight at a time. A batch that fails (connection error,
 * timeout, status >= 400) is sent again after initial_retry_delay, doubling up to
 * max_retry_delay, until max_retry_time has passed; then it is dropped with a log line.
 *
 * Memory: queues, their buffers and connections are malloc'd when a queue is first used and
 * grow to their high-water mark; once warm, adding a record allocates nothing.
 *
 * Thread: the owning worker only.
 */
#ifndef SL_PLUGINS_HTTP_LOG_SENDER_H
#define SL_PLUGINS_HTTP_LOG_SENDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/worker.h"

/* What a queue needs from a plugin config (the config arena holds it; a queue copies it). */
typedef struct sl_hlq_conf {
    const char *host;            /* name or IP literal (IPv6 without brackets) */
    uint16_t port;
    const char *head;            /* request line and fixed header lines, each ending in CRLF,
                                    without Content-Length and the empty line */
    size_t head_len;
    uint32_t timeout_ms;         /* connect, send and response, per attempt */
    uint32_t keepalive_ms;       /* an idle connection is closed after this */
    uint32_t max_batch_size;
    uint32_t max_entries;
    uint64_t max_bytes;          /* 0: no limit */
    uint32_t coalescing_ms;
    int64_t max_retry_time_ms;   /* negative: no retries */
    uint32_t initial_retry_ms;
    uint32_t max_retry_delay_ms;
    uint64_t hash;               /* of all of the above: same hash, same queue */
} sl_hlq_conf_t;

typedef struct sl_hlq_set sl_hlq_set_t;

/* The queues of worker <w>. */
sl_hlq_set_t *sl_hlq_set_new(sl_worker_t *w);

/* The worker stops: a batch in flight may finish (within its timeout), the queue's next
 * batch gets one attempt; then everything is closed and freed, and what is left is dropped
 * with a log line. The loop must keep running until then (it does: the handles are
 * active). */
void sl_hlq_set_close(sl_hlq_set_t *s);

/* Queues the record <entry> (<len> bytes, copied) for the instance <instance_id> (36
 * characters) configured as <c>. */
void sl_hlq_add(sl_hlq_set_t *s, const char *instance_id, const sl_hlq_conf_t *c,
                const char *entry, size_t len);

#endif
