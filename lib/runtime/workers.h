/*
 * Starting, feeding and stopping workers (core/worker.h is what runs on them): the master
 * binds their sockets, starts their threads on a snapshot, publishes new snapshots, and
 * drains or stops them. Each worker sets up the modules it runs (connection pools, DNS,
 * access log, plugins' per-worker state, metrics) when it starts and tears them down when
 * it stops.
 *
 * Thread: the master's, except where said.
 */
#ifndef SL_RUNTIME_WORKERS_H
#define SL_RUNTIME_WORKERS_H

#include "core/worker.h"
#include "snapshot/snapshot.h"

/* Binds the <n> listening sockets <ls> for <w> (SO_REUSEPORT, so every worker binds its
 * own), whose connections go to <handler>. Returns 0, or a negative errno with a message
 * written to stderr. Master thread. */
int sl_worker_bind(sl_worker_t *w, const sl_settings_t *s, int id, const sl_listen_t *ls,
                   size_t n, const sl_handler_t *handler);
/* Starts the worker thread on <snap> (a reference is taken). Master thread. */
int sl_worker_start(sl_worker_t *w, sl_snapshot_t *snap);
/* Runs the worker on <loop> (the master's) instead of a thread of its own: the admin API
 * listener. sl_worker_detach stops it; the loop must then run until its handles closed, and
 * sl_worker_cleanup frees what is left. */
int sl_worker_attach(sl_worker_t *w, uv_loop_t *loop, sl_snapshot_t *snap);
void sl_worker_detach(sl_worker_t *w);
void sl_worker_cleanup(sl_worker_t *w);
/* Hands <snap> to the worker (a reference is taken); it adopts it between requests. */
void sl_worker_publish(sl_worker_t *w, sl_snapshot_t *snap);
/* Asks the worker to stop and waits for its thread. */
void sl_worker_stop_and_join(sl_worker_t *w);
/* Asks the worker to drain: stop accepting, close idle connections, let requests in flight
 * finish (their connections close after), and stop when none is left or after the
 * settings' drain_timeout_ms. sl_worker_join waits for it. Master thread. */
void sl_worker_drain(sl_worker_t *w);
void sl_worker_join(sl_worker_t *w);

#endif
