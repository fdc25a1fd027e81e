/*
 * The master: starts the workers on a compiled snapshot, then waits for signals. SIGHUP
 * re-reads the config file and publishes the new snapshot (an invalid file changes nothing and
 * is reported with FILE:LINE:COL); SIGTERM and SIGINT stop the workers and return.
 *
 * Thread: the main thread.
 */
#ifndef SL_RUNTIME_SERVER_H
#define SL_RUNTIME_SERVER_H

#include "core/settings.h"
#include "snapshot/snapshot.h"

/* Runs until SIGTERM/SIGINT. Takes the caller's reference on <snap>. Returns the process
 * exit code (0 on a clean stop, 1 if startup failed). */
int sl_server_run(const sl_settings_t *s, sl_snapshot_t *snap);

#endif
