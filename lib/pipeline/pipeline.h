/*
 * The request driver: every request on a proxy listener runs its phases here, in Kong's
 * order, whoever produces the response:
 *
 *   rewrite (global plugins) -> route -> access (plugins, may answer or wait) -> handler
 *   (the proxy today; a cache hit or an aggregate later) -> header_filter -> body_filter
 *   -> log
 *
 * The two filter phases run inside the response stream (http/response.h), for proxied
 * responses and gateway answers alike, through the filters this driver installs; the log
 * phase runs when the connection says the request is over (http/handler.h `end`).
 *
 * Thread: the worker owning the request.
 */
#ifndef SL_PIPELINE_PIPELINE_H
#define SL_PIPELINE_PIPELINE_H

#include "http/handler.h"
#include "http/request.h"

/* The handler of proxy listeners. */
extern const sl_handler_t sl_pipeline_handler;

#endif
