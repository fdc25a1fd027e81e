/*
 * correlation-id (Kong's plugin, priority 100001 in 3.9): every request carries an id in a
 * header to the upstream: the client's when it sent one, else a generated one; optionally
 * echoed to the client (kong/plugins/correlation-id/handler.lua).
 *
 * Generators: "uuid" (a random v4 UUID), "uuid#counter" (a UUID per worker and a counter
 * of the worker's requests, Kong's default) and "tracker" (Kong's
 * "<server_addr>-<server_port>-<worker pid>-<connection>-<connection_requests>-<now>", where
 * sluice's workers are threads: the worker's thread id stands for nginx's worker pid, so ids
 * stay unique across workers).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config/node.h"
#include "core/addr.h"
#include "http/request.h"
#include "plugin/conf.h"
#include "plugin/pdk.h"
#include "plugin/plugin.h"

typedef enum { GEN_UUID, GEN_UUID_COUNTER, GEN_TRACKER } generator_t;

typedef struct conf {
    const char *header_name; /* default Kong-Request-ID */
    generator_t generator;   /* default uuid#counter */
    bool echo_downstream;
} conf_t;

/* The config fields in the order of correlation-id/schema.lua, for suggestions. */
static const char *const fields[] = {
    "header_name", "generator", "echo_downstream", NULL,
};

static void *parse(const sl_node_t *config, sl_arena_t *arena, sl_diag_t *diag)
{
    conf_t *c = sl_arena_calloc(arena, 1, sizeof(*c));
    c->header_name = "Kong-Request-ID";
    c->generator = GEN_UUID_COUNTER;
    size_t errors = diag->n + diag->dropped;
    for (size_t i = 0; config && i < config->n; i++) {
        const sl_node_t *k = config->pairs[i].key, *v = config->pairs[i].value;
        const char *key = sl_pconf_key(k);
        if (sl_node_is_null(v))
            continue;
        if (strcmp(key, "header_name") == 0) {
            const char *s = sl_node_str(v);
            if (s == NULL || v->len == 0 || strpbrk(s, " \t\r\n:") != NULL)
                sl_diag_add_node(diag, v, "expected a header name");
            else
                c->header_name = sl_arena_strndup(arena, s, v->len);
        } else if (strcmp(key, "generator") == 0) {
            static const char *const names[] = {"uuid", "uuid#counter", "tracker", NULL};
            static const generator_t gens[] = {GEN_UUID, GEN_UUID_COUNTER, GEN_TRACKER};
            int g = sl_pconf_one_of(diag, v, names);
            if (g >= 0)
                c->generator = gens[g];
        } else if (strcmp(key, "echo_downstream") == 0) {
            sl_pconf_bool(diag, v, &c->echo_downstream);
        } else {
            sl_pconf_unknown(diag, k, fields);
        }
    }
    return diag->n + diag->dropped == errors ? c : NULL;
}

static void uuid4(sl_worker_t *w, char out[37])
{
    uint64_t a = sl_worker_random(w), b = sl_worker_random(w);
    a = (a & ~0xf000ull) | 0x4000ull;                        /* version 4 */
    b = (b & ~(3ull << 62)) | (2ull << 62);                  /* variant 10 */
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xffff), (unsigned)(b >> 48),
             (unsigned long long)(b & 0xffffffffffffull));
}

/* uuid#counter: one UUID per worker thread and the worker's request counter */
static _Thread_local char worker_uuid[37];
static _Thread_local uint64_t worker_counter;

/* tracker: where and when the request came in (Kong's format, nginx's variables) */
static void tracker(sl_req_t *req, char *out, size_t cap)
{
    static _Thread_local long tid;
    if (tid == 0)
        tid = (long)syscall(SYS_gettid);
    char addr[INET6_ADDRSTRLEN] = "";
    struct sockaddr_storage ss;
    if (sl_req_local_addr(req, &ss) == 0)
        sl_addr_ip((struct sockaddr *)&ss, addr, sizeof(addr));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, cap, "%s-%u-%ld-%llu-%u-%lld.%03ld", addr, (unsigned)req->local_port, tid,
             (unsigned long long)req->conn_serial, req->conn_nth, (long long)ts.tv_sec,
             ts.tv_nsec / 1000000);
}

static sl_phase_result_t on_access(sl_req_t *req, const void *conf)
{
    const conf_t *c = conf;
    sl_slice_t id = sl_req_header(req, c->header_name);
    char buf[160];
    if (id.len == 0) {
        if (c->generator == GEN_UUID) {
            uuid4(req->w, buf);
        } else if (c->generator == GEN_TRACKER) {
            tracker(req, buf, sizeof(buf));
        } else {
            if (worker_uuid[0] == '\0')
                uuid4(req->w, worker_uuid);
            snprintf(buf, sizeof(buf), "%s#%llu", worker_uuid,
                     (unsigned long long)++worker_counter);
        }
        id = sl_slice(buf, strlen(buf));
        sl_pdk_set_upstream_header(req, c->header_name, id);
    }
    if (c->echo_downstream)
        sl_pdk_add_response_header(req, c->header_name, id);
    return SL_CONTINUE;
}

const sl_plugin_desc_t sl_plugin_correlation_id = {
    .name = "correlation-id",
    .priority = 100001,
    .version = SLUICE_VERSION,
    .parse = parse,
    .access = on_access,
};
