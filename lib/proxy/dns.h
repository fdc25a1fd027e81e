/*
 * Asynchronous name resolution with a per-worker cache: uv_getaddrinfo on the worker's loop
 * (libuv runs it on its thread pool), answers kept for dns_cache_ttl_ms, concurrent lookups of
 * one name merged. Addresses of one name are handed out in turn.
 *
 * Thread: the owning worker only.
 */
#ifndef SL_PROXY_DNS_H
#define SL_PROXY_DNS_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/worker.h"

typedef struct sl_dns_waiter sl_dns_waiter_t;

/* <status> 0 with <addr> (port filled), or a libuv error (UV_EAI_*). */
typedef void (*sl_dns_cb)(void *arg, int status, const struct sockaddr_storage *addr);

sl_dns_t *sl_dns_new(sl_worker_t *w);
void sl_dns_free(sl_dns_t *d);

/* Resolves <host>. Returns 0 with *<out> filled when the cache answers; 1 when a lookup is
 * under way and <cb> will run (*<waiter> can cancel it); a negative error for a cached
 * failure. */
int sl_dns_resolve(sl_dns_t *d, const char *host, uint16_t port, struct sockaddr_storage *out,
                   sl_dns_cb cb, void *arg, sl_dns_waiter_t **waiter);

/* The waiter's callback will not run. */
void sl_dns_cancel(sl_dns_waiter_t *waiter);

#endif
