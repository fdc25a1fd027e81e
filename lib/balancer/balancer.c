/*
 * Smooth weighted round-robin: each pick adds every peer's weight to its current value,
 * takes the largest, and subtracts the total from it. Weights 5,1,1 give a a b a c a a: the
 * spread nginx users know, with no burst to one peer.
 */
#include "balancer/balancer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int sl_balancer_pick(const sl_balancer_t *b, int32_t *state, uint64_t exclude)
{
    int32_t *cur = state + b->state_off;
    int best = -1;
    int32_t total = 0;
    for (size_t i = 0; i < b->n_peers; i++) {
        if (b->peers[i].weight == 0)
            continue;
        if (i < 64 && (exclude & (1ull << i)))
            continue;
        cur[i] += (int32_t)b->peers[i].weight;
        total += (int32_t)b->peers[i].weight;
        if (best < 0 || cur[i] > cur[best])
            best = (int)i;
    }
    if (best >= 0)
        cur[best] -= total;
    return best;
}

int sl_addr_from_ip(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        return 0;
    }
    return -1;
}
