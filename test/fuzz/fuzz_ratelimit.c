/*
 * Fuzz target: rate-limiting's config parsing, counter keys, windows and counters.
 *
 * Input: "<YAML or JSON of a plugin config mapping>\n---\n<identifier bytes>". The first
 * part goes through the YAML reader and sl_rl_conf_parse (every field, the flat and nested
 * Redis forms, the cross-field checks). When it parses, the identifier (any bytes) makes the
 * counter key of every configured window at a timestamp taken from the input, and the keys
 * go through the node-wide counters and the token bucket.
 *
 * Invariants: a failed parse reported at least one error and a good one none; a window
 * holds its instant and is no longer than its period; RateLimit-Reset is within 1..window;
 * a key holds the identifier verbatim; counting never goes past a limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/rate-limiting/conf.h"
#include "../../plugins/rate-limiting/counters.h"
#include "../../plugins/rate-limiting/window.h"
#include "config/node.h"

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "invariant failed: %s\n", msg);                                            \
        abort();                                                                                   \
    } while (0)

static const int64_t max_len_ms[SL_RL_N_PERIODS] = {1000, 60000, 3600000, 86400000,
                                                    31LL * 86400000, 366LL * 86400000};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *sep = NULL;
    for (size_t i = 0; i + 5 <= size; i++) {
        if (memcmp(text + i, "\n---\n", 5) == 0) {
            sep = text + i;
            break;
        }
    }
    size_t conf_len = sep ? (size_t)(sep - text) : size;
    sl_slice_t id = sep ? sl_slice(sep + 5, size - conf_len - 5) : sl_slice("", 0);

    sl_arena_t arena;
    sl_arena_init(&arena, 4096);
    sl_diag_t diag;
    sl_diag_init(&diag, "fuzz.yml");
    const sl_node_t *root = NULL;
    if (sl_node_parse(&arena, text, conf_len, false, &diag, &root) != 0 || root == NULL ||
        root->kind != SL_NODE_MAP)
        goto out;
    size_t before = diag.n + diag.dropped;
    sl_rl_conf_t *c = sl_rl_conf_parse(root, &arena, &diag);
    if ((c == NULL) != (diag.n + diag.dropped > before))
        FAIL("parse result and reported errors disagree");
    if (c == NULL)
        goto out;

    /* an instant from the identifier's first bytes, within +-300 years of the epoch */
    int64_t now_ms = 1700000000000LL;
    for (size_t i = 0; i < id.len && i < 6; i++)
        now_ms ^= (int64_t)(unsigned char)id.p[i] << (8 * i + 3);
    now_ms %= 9467280000000LL;

    static int64_t tick = 1000;
    tick++;
    sl_rl_counter_t cs[SL_RL_N_PERIODS];
    size_t n = 0;
    for (int p = 0; p < SL_RL_N_PERIODS; p++) {
        if (c->limit[p] <= 0)
            continue;
        int64_t start = sl_rl_window_start((sl_rl_period_t)p, now_ms);
        if (now_ms >= 0 && (start > now_ms || now_ms - start >= max_len_ms[p]))
            FAIL("window does not hold its instant");
        int64_t reset = sl_rl_window_reset((sl_rl_period_t)p, start, now_ms);
        if (now_ms >= 0 && (reset < 1 || reset > sl_rl_window_seconds[p]))
            FAIL("reset out of range");
        size_t klen;
        char *k = sl_rl_window_key(&arena, "r", "s", id, start, (sl_rl_period_t)p, &klen);
        if (klen < 14 + id.len || memcmp(k + 14, id.p ? id.p : "", id.len) != 0 ||
            k[klen] != '\0')
            FAIL("key does not hold the identifier");
        /* counters live two ticks of a clock of our own, so old inputs' keys are swept */
        cs[n++] = (sl_rl_counter_t){.key = k, .klen = klen, .limit = c->limit[p] % 4 + 1,
                                    .expire_s = tick + 2};
    }
    if (n) {
        for (int i = 0; i < 8; i++) {
            int stop = sl_rl_counters_take(cs, n, tick);
            for (size_t j = 0; stop < 0 && j < n; j++)
                if (cs[j].usage >= cs[j].limit)
                    FAIL("admitted past a limit");
            if (stop >= 0 && cs[stop].usage < cs[stop].limit)
                FAIL("refused below the limit");
        }
        double left;
        int64_t retry;
        sl_rl_counters_bucket(cs[0].key, cs[0].klen, 0.001, (double)(c->burst % 50) + 1,
                              now_ms < 0 ? 0 : now_ms, &left, &retry);
        if (left < 0 || retry < 0)
            FAIL("bucket went negative");
    }
out:
    sl_diag_free(&diag);
    sl_arena_destroy(&arena);
    return 0;
}
