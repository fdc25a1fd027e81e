/*
 * Access log: one line per request, written in the log phase. Each worker appends to its own
 * buffer and writes it out with one write(2) when it fills, once a second, and when the
 * worker stops; lines of different workers never interleave because each write holds whole
 * lines and the file is opened O_APPEND. Formats: Kong's default (nginx "combined" plus
 * kong_request_id, 3.5+), plain "combined", or one JSON object per line.
 *
 * The file descriptor is shared by all workers and never changes: SIGUSR1 reopens the path
 * and dup2()s the new file onto it (logrotate), so a worker's write goes to the old or the new
 * file, never to a closed descriptor.
 *
 * Thread: sl_alog_open/reopen on the master; an sl_alog_t belongs to one worker.
 */
#ifndef SL_LOG_ACCESS_H
#define SL_LOG_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/settings.h"

typedef struct sl_req sl_req_t;


/* Opens <path> for appending (created 0644). Returns the fd or -errno. */
int sl_alog_open(const char *path);
/* Reopens <path> onto <fd> (after the file was moved away). Returns 0 or -errno. */
int sl_alog_reopen(int fd, const char *path);

/* Log files that workers open themselves (file-log) follow SIGUSR1 too: the master bumps a
 * process-wide generation (sl_alog_reopen_bump) and an owner that opened its files at an
 * older one (sl_alog_reopen_gen, a relaxed load) reopens them before its next write. */
void sl_alog_reopen_bump(void);
uint64_t sl_alog_reopen_gen(void);

typedef struct sl_alog {
    int fd;                    /* -1: off */
    sl_alog_format_t format;
    char *buf;
    size_t len, cap;
    uv_timer_t timer;          /* flushes once a second */
    bool timer_on;
    char time_local[40];       /* cached per second */
    int64_t time_sec;
} sl_alog_t;

/* Sets up a worker's log on <loop>; <fd> -1 turns it off. */
void sl_alog_init(sl_alog_t *l, uv_loop_t *loop, int fd, sl_alog_format_t format);
/* Appends the line for <req> (its response is complete, or the client went away). */
void sl_alog_request(sl_alog_t *l, sl_req_t *req);
/* Writes out what is buffered. */
void sl_alog_flush(sl_alog_t *l);
/* Flushes and closes the timer (the worker is stopping). */
void sl_alog_close(sl_alog_t *l);

#endif
