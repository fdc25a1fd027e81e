/*
 * Balancers: the peers a service sends to (the targets of its upstream entity, or its own
 * host:port) and the choice among them. The peer table is part of the immutable snapshot;
 * the choice state (smooth weighted round-robin, as nginx does it) is per worker, in an array
 * of int32 the worker owns, each balancer using <n> slots at <state_off>.
 *
 * Thread: tables built by the snapshot compiler; sl_balancer_pick runs on a worker with that
 * worker's state array.
 */
#ifndef SL_BALANCER_BALANCER_H
#define SL_BALANCER_BALANCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct sl_peer {
    const char *host;          /* hostname or IP literal (IPv6 without brackets) */
    uint16_t port;
    uint32_t weight;           /* 0 = never chosen */
    bool is_ip;                /* host is an IP literal: addr is filled */
    struct sockaddr_storage addr;
    const char *host_header;   /* Host value sent upstream without preserve_host:
                                  host, with :port unless the port is the scheme's default */
} sl_peer_t;

typedef struct sl_balancer {
    const char *name;          /* upstream name, or the service host */
    sl_peer_t *peers;
    size_t n_peers;
    uint32_t total_weight;
    uint32_t state_off;        /* first slot in the worker's round-robin state */
} sl_balancer_t;

/* Picks a peer with smooth weighted round-robin (nginx ngx_http_upstream_round_robin), skipping
 * peers whose bit is set in <exclude> (peers tried already; bit i = peer i, for the first 64).
 * Returns the index, or -1 when no peer has weight. <state> is the worker's array. */
int sl_balancer_pick(const sl_balancer_t *b, int32_t *state, uint64_t exclude);

/* Fills <ss> from an IP literal and port; returns 0 or -1 if <host> is not an IP literal. */
int sl_addr_from_ip(const char *host, uint16_t port, struct sockaddr_storage *ss);

#endif
