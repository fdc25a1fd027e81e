/*
 * A fast non-cryptographic hash of a byte string for in-memory tables (counters, indexes):
 * eight bytes per step with a multiply-xorshift mix, then a final avalanche. Not for anything
 * an attacker may aim collisions at where that matters more than speed; tables keyed by
 * client-chosen bytes keep their chains short by growing.
 */
#ifndef SL_CORE_HASH_H
#define SL_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t sl_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static inline uint64_t sl_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (len * 0x100000001b3ull);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ sl_hash_mix(w)) * 0x9e3779b97f4a7c15ull;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ sl_hash_mix(w ^ len)) * 0x9e3779b97f4a7c15ull;
    return sl_hash_mix(h);
}

#endif
