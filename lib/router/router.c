/*
 * The router: Kong 3.x traditional_compatible semantics (kong/router/compat.lua and
 * transform.lua: one expression and one 64-bit priority per route, split by path group as
 * Kong does since 3.3, issue #9914), evaluated without an expression engine.
 *
 * Build: every route becomes one matcher per path group (all regex paths; prefix paths of one
 * length) or one matcher when it has no paths. Matchers are filed by host: an exact host name
 * leads to its own sub-index through a hash table, each distinct wildcard pattern has its own
 * sub-index, and host-less matchers go to the default one. Inside a sub-index prefix paths
 * sit in a radix trie, regex matchers and path-less matchers in lists; every list is sorted
 * best first, so a lookup stops scanning a list at the first matcher that could not beat the
 * best found so far.
 *
 * Lookup visits the request host's sub-index, the wildcard sub-indexes whose pattern matches
 * and the default one, and keeps the matcher with the highest (priority, route id). Nothing
 * is allocated besides the per-thread PCRE2 match block created on a thread's first lookup.
 */
#include "router/router.h"

#include "core/errors.h"
#include "core/xalloc.h"
#include "router/host.h"
#include "router/trie.h"

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { PATH_NONE = 0, PATH_PREFIX, PATH_REGEX };

/* A compiled regex path with its group names, [i] for group i (NULL when unnamed). */
typedef struct path_re {
    pcre2_code *code;
    const char **names;
    uint32_t n_groups; /* capture groups + 1 (group 0 is the whole match) */
    const char *lit;   /* bytes every match starts with (a prefilter); may be empty */
    size_t lit_len;
} path_re_t;

typedef struct hdr_value {
    const char *s;  /* lower-cased literal value, or NULL when re is set */
    size_t len;
    pcre2_code *re; /* "~*" value: case-insensitive, unanchored */
} hdr_value_t;

typedef struct hdr_cond {
    const char *name; /* lower-cased */
    size_t name_len;
    hdr_value_t *v;
    size_t n;
} hdr_cond_t;

/* Conditions of a route other than paths, shared by all of its matchers. */
typedef struct route_conds {
    sl_slice_t *methods;
    size_t n_methods;
    sl_host_pattern_t *hosts;
    size_t n_hosts;
    hdr_cond_t *headers;
    size_t n_headers;
    sl_slice_t *snis; /* trailing dot removed */
    size_t n_snis;
} route_conds_t;

typedef struct matcher {
    const sl_route_t *route;
    const route_conds_t *c;
    uint64_t priority;
    int path_kind;        /* PATH_* */
    const char **prefixes; /* PATH_PREFIX: paths of this group, all prefix_len bytes */
    size_t n_prefixes;
    size_t prefix_len;
    path_re_t *res;       /* PATH_REGEX: in the route's order */
    size_t n_res;
} matcher_t;

/* A list of matchers, best first once the build is done. */
typedef struct mlist {
    matcher_t **v;
    size_t n, cap;
} mlist_t;

typedef struct subindex {
    sl_trie_t trie;        /* prefix path -> mlist_t* */
    mlist_t regex;
    mlist_t pathless;
    const matcher_t *last; /* build only: the matcher added last, to file a route once */
} subindex_t;

typedef struct wildcard {
    sl_host_pattern_t pat; /* port ignored here: matchers check it */
    subindex_t *sub;
} wildcard_t;

struct sl_router {
    subindex_t deflt;
    sl_host_table_t exact; /* lower-case host -> subindex_t* */
    wildcard_t *wild;
    size_t n_wild;
    size_t n_matchers;
};

/* ---- priority (kong/router/transform.lua get_priority) ---- */

#define PRIO_WEIGHT_SHIFT 61
#define PRIO_PLAIN_HOST_BIT (1ull << 60)
#define PRIO_HEADERS_SHIFT 52
#define PRIO_REGEX_BIT (1ull << 51)
#define PRIO_REGEX_PRIORITY_SHIFT 19
#define PRIO_LENGTH_MASK 0x7FFFFull
#define MAX_HEADER_COUNT 255

static uint64_t calc_priority(const sl_route_t *rt, const route_conds_t *c, int path_kind,
                              size_t prefix_len)
{
    uint64_t weight = 0;
    weight += rt->methods.n > 0;
    weight += rt->hosts.n > 0;
    weight += rt->paths.n > 0;
    weight += rt->n_headers > 0;
    weight += rt->snis.n > 0;

    bool plain_hosts = c->n_hosts > 0;
    for (size_t i = 0; i < c->n_hosts; i++)
        if (c->hosts[i].kind != SL_HOST_EXACT)
            plain_hosts = false;

    uint64_t headers = rt->n_headers > MAX_HEADER_COUNT ? MAX_HEADER_COUNT : rt->n_headers;
    uint64_t p = weight << PRIO_WEIGHT_SHIFT | headers << PRIO_HEADERS_SHIFT;
    if (plain_hosts)
        p |= PRIO_PLAIN_HOST_BIT;
    if (path_kind == PATH_REGEX) {
        /* Kong shifts the signed regex_priority into 32 bits; a negative one then spills
         * into the bits above. Biasing it keeps the order of signed values instead. */
        uint32_t rp = (uint32_t)rt->regex_priority ^ 0x80000000u;
        p |= PRIO_REGEX_BIT | (uint64_t)rp << PRIO_REGEX_PRIORITY_SHIFT;
    } else {
        p |= (uint64_t)prefix_len & PRIO_LENGTH_MASK;
    }
    return p;
}

/* Route ids compare as UUIDs do: the byte order of their lower-case text. */
static int id_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return x < y ? -1 : 1;
        if (x == '\0')
            return 0;
    }
}

/* True when <m> ranks above <best>: higher priority, then larger route id. */
static inline bool better(const matcher_t *m, const matcher_t *best)
{
    if (best == NULL)
        return true;
    if (m->priority != best->priority)
        return m->priority > best->priority;
    return id_cmp(m->route->id, best->route->id) > 0;
}

static int cmp_matchers(const void *pa, const void *pb)
{
    const matcher_t *a = *(const matcher_t *const *)pa, *b = *(const matcher_t *const *)pb;
    if (a == b)
        return 0;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

/* ---- build ---- */

typedef struct build {
    sl_arena_t *a;
    sl_diag_t *diag;
    sl_router_t *r;
    matcher_t **all; /* heap, build only */
    size_t n_all, cap_all;
    mlist_t **lists; /* heap, build only: every list to sort at the end */
    size_t n_lists, cap_lists;
    size_t cap_wild;
} build_t;

static void code_free(void *p)
{
    pcre2_code_free(p);
}

/* Compiles <pattern> for the router; JIT when the platform has it. The code is freed with
 * the arena. On failure writes PCRE2's message into <err>. */
static pcre2_code *compile_re(build_t *b, const char *pattern, uint32_t options, char *err,
                              size_t err_cap)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &ec, &eo, NULL);
    if (code == NULL) {
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)err, err_cap);
        return NULL;
    }
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter serves otherwise */
    sl_arena_cleanup(b->a, code_free, code);
    return code;
}

static void report(build_t *b, const sl_route_t *rt, const char *what, const char *value,
                   const char *why)
{
    if (b->diag == NULL)
        return;
    sl_diag_add(b->diag, rt->pos.line, rt->pos.col, "route %s: %s: '%s'%s%s%s", rt->id, what,
                value, why ? " (" : "", why ? why : "", why ? ")" : "");
}

static char *lower_dup(sl_arena_t *a, const char *s, size_t len)
{
    char *p = sl_arena_alloc(a, len + 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        p[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    p[len] = '\0';
    return p;
}

/* The literal bytes every match of the anchored <pattern> must start with, so that a lookup
 * can skip PCRE2 for paths that cannot match. Conservative: 0 whenever the pattern has a
 * top-level alternative or a construct that could hide one ("\Q", comments, option
 * settings, verbs). */
static size_t literal_prefix(const char *pattern)
{
    int depth = 0;
    bool in_class = false;
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\') {
            if (p[1] == 'Q' || p[1] == 'E' || p[1] == '\0')
                return 0;
            p++;
        } else if (in_class) {
            if (*p == '[' && p[1] == ':') {
                /* A POSIX class such as [:alpha:] or [:^digit:]; anything else after "[:"
                 * is literal to PCRE2, and so it is here. */
                const char *e = p + 2 + (p[2] == '^');
                const char *name = e;
                while (*e >= 'a' && *e <= 'z')
                    e++;
                if (e > name && e[0] == ':' && e[1] == ']')
                    p = e + 1;
            } else if (*p == ']') {
                in_class = false;
            }
        } else if (*p == '[') {
            in_class = true;
            if (p[1] == '^')
                p++;
            if (p[1] == ']')
                p++; /* a leading ']' is a literal member */
        } else if (*p == '(') {
            if (p[1] == '*')
                return 0;
            if (p[1] == '?' && strchr(":<P=!>|", p[2] ? p[2] : '#') == NULL)
                return 0;
            depth++;
        } else if (*p == ')') {
            if (--depth < 0)
                return 0;
        } else if (*p == '|' && depth == 0) {
            return 0;
        }
    }
    if (depth != 0 || in_class)
        return 0;

    size_t n = 0;
    for (;;) {
        unsigned char c = (unsigned char)pattern[n];
        bool lit = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c != '\0' && strchr("/-_~%,;=@&:!'\"<>", c) != NULL);
        if (!lit)
            break;
        n++;
    }
    /* a quantifier after the last literal makes that byte optional */
    char next = pattern[n];
    if (n > 0 && (next == '?' || next == '*' || next == '+' || next == '{'))
        n--;
    return n;
}

static int compile_path_re(build_t *b, const sl_route_t *rt, const char *path, path_re_t *out)
{
    char err[256];
    /* "~" stripped; anchored at the start only, as Kong prepends "^" (no implicit "$"). */
    pcre2_code *code = compile_re(b, path + 1, PCRE2_ANCHORED, err, sizeof(err));
    if (code == NULL) {
        report(b, rt, "invalid regex", path + 1, err);
        return SL_EINVAL;
    }
    uint32_t groups = 0, name_count = 0, entry_size = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &name_count);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    out->code = code;
    out->n_groups = groups + 1;
    out->lit_len = literal_prefix(path + 1);
    out->lit = sl_arena_strndup(b->a, path + 1, out->lit_len);
    out->names = sl_arena_calloc(b->a, out->n_groups, sizeof(*out->names));
    for (uint32_t i = 0; i < name_count; i++) {
        PCRE2_SPTR e = table + (size_t)i * entry_size;
        uint32_t g = (uint32_t)e[0] << 8 | e[1];
        if (g < out->n_groups)
            out->names[g] = sl_arena_strdup(b->a, (const char *)e + 2);
    }
    return 0;
}

static route_conds_t *compile_conds(build_t *b, const sl_route_t *rt)
{
    sl_arena_t *a = b->a;
    route_conds_t *c = sl_arena_calloc(a, 1, sizeof(*c));

    c->methods = sl_arena_calloc(a, rt->methods.n, sizeof(*c->methods));
    for (size_t i = 0; i < rt->methods.n; i++)
        c->methods[c->n_methods++] = sl_slice(rt->methods.v[i], strlen(rt->methods.v[i]));

    c->hosts = sl_arena_calloc(a, rt->hosts.n, sizeof(*c->hosts));
    for (size_t i = 0; i < rt->hosts.n; i++) {
        if (sl_host_parse(a, rt->hosts.v[i], &c->hosts[c->n_hosts]) != 0) {
            report(b, rt, "invalid host", rt->hosts.v[i], NULL);
            return NULL;
        }
        c->n_hosts++;
    }

    c->snis = sl_arena_calloc(a, rt->snis.n, sizeof(*c->snis));
    for (size_t i = 0; i < rt->snis.n; i++) {
        size_t len = strlen(rt->snis.v[i]);
        if (len > 1 && rt->snis.v[i][len - 1] == '.')
            len--; /* the FQDN dot is not used for routing (transform.lua sni_val_transform) */
        c->snis[c->n_snis++] = sl_slice(lower_dup(a, rt->snis.v[i], len), len);
    }

    c->headers = sl_arena_calloc(a, rt->n_headers, sizeof(*c->headers));
    for (size_t i = 0; i < rt->n_headers; i++) {
        const sl_route_header_t *h = &rt->headers[i];
        hdr_cond_t *hc = &c->headers[c->n_headers++];
        hc->name_len = strlen(h->name);
        hc->name = lower_dup(a, h->name, hc->name_len);
        hc->v = sl_arena_calloc(a, h->values.n, sizeof(*hc->v));
        for (size_t j = 0; j < h->values.n; j++) {
            const char *v = h->values.v[j];
            hdr_value_t *hv = &hc->v[hc->n++];
            if (v[0] == '~' && v[1] == '*') {
                char err[256];
                hv->re = compile_re(b, v + 2, PCRE2_CASELESS, err, sizeof(err));
                if (hv->re == NULL) {
                    report(b, rt, "invalid header regex", v + 2, err);
                    return NULL;
                }
            } else {
                hv->len = strlen(v);
                hv->s = lower_dup(a, v, hv->len);
            }
        }
    }
    return c;
}

static void push_all(build_t *b, matcher_t *m)
{
    if (b->n_all == b->cap_all) {
        b->cap_all = b->cap_all ? b->cap_all * 2 : 64;
        b->all = sl_xrealloc(b->all, b->cap_all * sizeof(*b->all));
    }
    b->all[b->n_all++] = m;
}

static matcher_t *new_matcher(build_t *b, const sl_route_t *rt, const route_conds_t *c,
                              int kind)
{
    matcher_t *m = sl_arena_calloc(b->a, 1, sizeof(*m));
    m->route = rt;
    m->c = c;
    m->path_kind = kind;
    return m;
}

/* Splits <rt> into matchers (Kong 3.3+ transform.lua split_routes_and_services_by_path):
 * one for all regex paths, one per distinct prefix length, or one when there are no paths.
 * A route with a bad regex or host is reported and left out entirely. */
static void compile_route(build_t *b, const sl_route_t *rt)
{
    const unsigned http = SL_PROTO_HTTP | SL_PROTO_HTTPS | SL_PROTO_GRPC | SL_PROTO_GRPCS;
    if (rt->protocols != 0 && (rt->protocols & http) == 0)
        return; /* stream routes belong to a stream router */

    route_conds_t *c = compile_conds(b, rt);
    if (c == NULL)
        return;

    size_t n_paths = rt->paths.n;
    if (n_paths == 0) {
        matcher_t *m = new_matcher(b, rt, c, PATH_NONE);
        m->priority = calc_priority(rt, c, PATH_NONE, 0);
        push_all(b, m);
        return;
    }

    /* Compile every regex first so that a bad one leaves nothing of the route behind. */
    size_t n_re = 0;
    for (size_t i = 0; i < n_paths; i++)
        n_re += rt->paths.v[i][0] == '~';
    matcher_t *re_m = NULL;
    if (n_re > 0) {
        re_m = new_matcher(b, rt, c, PATH_REGEX);
        re_m->res = sl_arena_calloc(b->a, n_re, sizeof(*re_m->res));
        for (size_t i = 0; i < n_paths; i++) {
            const char *p = rt->paths.v[i];
            if (p[0] != '~')
                continue;
            if (compile_path_re(b, rt, p, &re_m->res[re_m->n_res]) != 0)
                return;
            re_m->n_res++;
        }
        re_m->priority = calc_priority(rt, c, PATH_REGEX, 0);
        push_all(b, re_m);
    }

    /* Prefix paths grouped by length, groups in order of first appearance. */
    bool *done = sl_xcalloc(n_paths, sizeof(*done));
    for (size_t i = 0; i < n_paths; i++) {
        const char *p = rt->paths.v[i];
        if (done[i] || p[0] == '~')
            continue;
        size_t len = strlen(p), n = 0;
        for (size_t j = i; j < n_paths; j++)
            if (!done[j] && rt->paths.v[j][0] != '~' && strlen(rt->paths.v[j]) == len)
                n++;
        matcher_t *m = new_matcher(b, rt, c, PATH_PREFIX);
        m->prefixes = sl_arena_calloc(b->a, n, sizeof(*m->prefixes));
        m->prefix_len = len;
        for (size_t j = i; j < n_paths; j++) {
            if (!done[j] && rt->paths.v[j][0] != '~' && strlen(rt->paths.v[j]) == len) {
                m->prefixes[m->n_prefixes++] = rt->paths.v[j];
                done[j] = true;
            }
        }
        m->priority = calc_priority(rt, c, PATH_PREFIX, len);
        push_all(b, m);
    }
    free(done);
}

static void track_list(build_t *b, mlist_t *l)
{
    if (b->n_lists == b->cap_lists) {
        b->cap_lists = b->cap_lists ? b->cap_lists * 2 : 64;
        b->lists = sl_xrealloc(b->lists, b->cap_lists * sizeof(*b->lists));
    }
    b->lists[b->n_lists++] = l;
}

static void mlist_push(sl_arena_t *a, mlist_t *l, matcher_t *m)
{
    if (l->n > 0 && l->v[l->n - 1] == m)
        return; /* the same route path listed twice */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 2;
        matcher_t **v = sl_arena_alloc(a, cap * sizeof(*v));
        if (l->n)
            memcpy(v, l->v, l->n * sizeof(*v));
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = m;
}

static subindex_t *new_subindex(build_t *b)
{
    subindex_t *s = sl_arena_calloc(b->a, 1, sizeof(*s));
    sl_trie_init(&s->trie);
    track_list(b, &s->regex);
    track_list(b, &s->pathless);
    return s;
}

static void sub_add(build_t *b, subindex_t *s, matcher_t *m)
{
    if (s->last == m)
        return;
    s->last = m;
    switch (m->path_kind) {
    case PATH_NONE:
        mlist_push(b->a, &s->pathless, m);
        break;
    case PATH_REGEX:
        mlist_push(b->a, &s->regex, m);
        break;
    case PATH_PREFIX:
        for (size_t i = 0; i < m->n_prefixes; i++) {
            void **slot = sl_trie_insert(&s->trie, b->a, m->prefixes[i], m->prefix_len);
            if (*slot == NULL) {
                *slot = sl_arena_calloc(b->a, 1, sizeof(mlist_t));
                track_list(b, *slot);
            }
            mlist_push(b->a, *slot, m);
        }
        break;
    }
}

static subindex_t *wildcard_sub(build_t *b, const sl_host_pattern_t *p)
{
    sl_router_t *r = b->r;
    for (size_t i = 0; i < r->n_wild; i++) {
        const sl_host_pattern_t *q = &r->wild[i].pat;
        if (q->kind == p->kind && q->len == p->len && memcmp(q->name, p->name, p->len) == 0)
            return r->wild[i].sub;
    }
    if (r->n_wild == b->cap_wild) {
        size_t cap = b->cap_wild ? b->cap_wild * 2 : 4;
        wildcard_t *v = sl_arena_alloc(b->a, cap * sizeof(*v));
        if (r->n_wild)
            memcpy(v, r->wild, r->n_wild * sizeof(*v));
        r->wild = v;
        b->cap_wild = cap;
    }
    wildcard_t *w = &r->wild[r->n_wild++];
    w->pat = *p;
    w->pat.port = -1;
    w->sub = new_subindex(b);
    return w->sub;
}

static void file_matcher(build_t *b, matcher_t *m)
{
    const route_conds_t *c = m->c;
    if (c->n_hosts == 0) {
        sub_add(b, &b->r->deflt, m);
        return;
    }
    for (size_t i = 0; i < c->n_hosts; i++) {
        const sl_host_pattern_t *p = &c->hosts[i];
        subindex_t *s;
        if (p->kind == SL_HOST_EXACT) {
            void **slot = sl_host_table_insert(&b->r->exact, p->name, p->len);
            if (slot == NULL)
                continue; /* cannot happen: the table is sized for every exact host */
            if (*slot == NULL)
                *slot = new_subindex(b);
            s = *slot;
        } else {
            s = wildcard_sub(b, p);
        }
        sub_add(b, s, m);
    }
}

sl_router_t *sl_router_build(sl_route_t *const *routes, size_t n, sl_arena_t *arena,
                             sl_diag_t *diag)
{
    build_t b = {.a = arena, .diag = diag};
    b.r = sl_arena_calloc(arena, 1, sizeof(*b.r));
    sl_trie_init(&b.r->deflt.trie);
    track_list(&b, &b.r->deflt.regex);
    track_list(&b, &b.r->deflt.pathless);

    for (size_t i = 0; i < n; i++)
        if (routes[i] != NULL)
            compile_route(&b, routes[i]);

    size_t exact_hosts = 0;
    for (size_t i = 0; i < b.n_all; i++)
        for (size_t j = 0; j < b.all[i]->c->n_hosts; j++)
            exact_hosts += b.all[i]->c->hosts[j].kind == SL_HOST_EXACT;
    sl_host_table_init(&b.r->exact, arena, exact_hosts);

    for (size_t i = 0; i < b.n_all; i++)
        file_matcher(&b, b.all[i]);
    b.r->n_matchers = b.n_all;

    for (size_t i = 0; i < b.n_lists; i++)
        if (b.lists[i]->n > 1)
            qsort(b.lists[i]->v, b.lists[i]->n, sizeof(matcher_t *), cmp_matchers);

    free(b.all);
    free(b.lists);
    return b.r;
}

size_t sl_router_size(const sl_router_t *r)
{
    return r ? r->n_matchers : 0;
}

/* ---- match ---- */

/* Backtracking budget per regex run. PCRE2 can backtrack exponentially where Kong's Rust
 * regex engine cannot; past this budget a regex counts as not matching instead of stalling
 * a worker. */
#define SL_ROUTER_MATCH_LIMIT 1000000u

static pthread_once_t re_once = PTHREAD_ONCE_INIT;
static pthread_key_t md_key;
static pcre2_match_context *match_ctx; /* process lifetime; read-only once made */
static _Thread_local pcre2_match_data *tl_md;

static void md_free(void *p)
{
    pcre2_match_data_free(p);
}

static void re_init(void)
{
    (void)pthread_key_create(&md_key, md_free);
    match_ctx = pcre2_match_context_create(NULL);
    if (match_ctx != NULL)
        pcre2_set_match_limit(match_ctx, SL_ROUTER_MATCH_LIMIT);
}

/* The calling thread's match block, made on first use and freed when the thread exits. */
static pcre2_match_data *match_data(void)
{
    if (tl_md == NULL) {
        pthread_once(&re_once, re_init);
        tl_md = pcre2_match_data_create(SL_ROUTER_MAX_CAPTURES, NULL);
        if (tl_md != NULL)
            (void)pthread_setspecific(md_key, tl_md);
    }
    return tl_md;
}

/* pcre2_match with the router's limits. A pattern that overflows the JIT stack is run again
 * by the interpreter, so JIT and non-JIT platforms agree; that rare path may let PCRE2 grow
 * the match block's frame vector (kept for the thread's later matches). */
static int run_re(const pcre2_code *code, sl_slice_t s, pcre2_match_data *md)
{
    PCRE2_SPTR subject = (PCRE2_SPTR)(s.p ? s.p : "");
    int rc = pcre2_match(code, subject, s.len, 0, 0, md, match_ctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(code, subject, s.len, 0, PCRE2_NO_JIT, md, match_ctx);
    return rc;
}

static bool re_find(const pcre2_code *re, sl_slice_t s)
{
    pcre2_match_data *md = match_data();
    if (md == NULL)
        return false;
    return run_re(re, s, md) >= 0; /* 0: matched, ovector too small */
}

/* Short strings: a plain loop beats a call to memcmp. */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static bool ieq_lower(const char *s, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c += 32;
        if (c != (unsigned char)lower[i])
            return false;
    }
    return true;
}

static bool header_ok(const hdr_cond_t *hc, const sl_router_req_t *req)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        const sl_header_t *h = &req->headers[i];
        if (h->name.len != hc->name_len || !ieq_lower(h->name.p, hc->name, hc->name_len))
            continue;
        for (size_t j = 0; j < hc->n; j++) {
            const hdr_value_t *v = &hc->v[j];
            if (v->re != NULL ? re_find(v->re, h->value)
                              : (h->value.len == v->len && ieq_lower(h->value.p, v->s, v->len)))
                return true;
        }
    }
    return false;
}

/* Every condition but the path. */
static bool conds_ok(const route_conds_t *c, const sl_router_req_t *req)
{
    if (c->n_methods > 0) {
        size_t i;
        for (i = 0; i < c->n_methods; i++)
            if (c->methods[i].len == req->method.len &&
                memcmp(c->methods[i].p, req->method.p, req->method.len) == 0)
                break;
        if (i == c->n_methods)
            return false;
    }
    if (c->n_hosts > 0) {
        size_t i;
        for (i = 0; i < c->n_hosts; i++)
            if (sl_host_match(&c->hosts[i], req->host, req->port))
                break;
        if (i == c->n_hosts)
            return false;
    }
    if (c->n_snis > 0 && req->https) {
        /* The request struct carries no SNI; the Host name stands in for it (clients send
         * the same name in both). */
        size_t i;
        for (i = 0; i < c->n_snis; i++)
            if (c->snis[i].len == req->host.len &&
                ieq_lower(req->host.p, c->snis[i].p, c->snis[i].len))
                break;
        if (i == c->n_snis)
            return false;
    }
    for (size_t i = 0; i < c->n_headers; i++)
        if (!header_ok(&c->headers[i], req))
            return false;
    return true;
}

/* Runs <m>'s regex paths in order; on the first match fills <out>'s captures and prefix. */
static bool regex_ok(const matcher_t *m, const sl_router_req_t *req, sl_router_match_t *out)
{
    pcre2_match_data *md = match_data();
    if (md == NULL)
        return false;
    for (size_t i = 0; i < m->n_res; i++) {
        const path_re_t *re = &m->res[i];
        if (req->path.len < re->lit_len || !bytes_eq(req->path.p, re->lit, re->lit_len))
            continue;
        int rc = run_re(re->code, req->path, md);
        if (rc < 0)
            continue;
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        uint32_t set = rc == 0 ? SL_ROUTER_MAX_CAPTURES : (uint32_t)rc;
        uint32_t n = re->n_groups < SL_ROUTER_MAX_CAPTURES ? re->n_groups
                                                           : SL_ROUTER_MAX_CAPTURES;
        for (uint32_t g = 0; g < n; g++) {
            if (g < set && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >= ov[2 * g]) {
                out->captures[g].off = ov[2 * g];
                out->captures[g].len = ov[2 * g + 1] - ov[2 * g];
            } else {
                out->captures[g].off = 0;
                out->captures[g].len = (size_t)-1;
            }
            out->captures[g].name = re->names[g];
        }
        out->n_captures = n;
        out->prefix_len = out->captures[0].len == (size_t)-1 ? 0 : out->captures[0].len;
        return true;
    }
    return false;
}

typedef struct mstate {
    const sl_router_req_t *req;
    sl_router_match_t *out;
    const matcher_t *best;
} mstate_t;

/* Scans a best-first list; stops at the first matcher that matches or cannot win. */
static void scan_list(mstate_t *st, const mlist_t *l, size_t prefix_len)
{
    for (size_t i = 0; i < l->n; i++) {
        const matcher_t *m = l->v[i];
        if (!better(m, st->best))
            return;
        if (!conds_ok(m->c, st->req))
            continue;
        if (m->path_kind == PATH_REGEX) {
            if (!regex_ok(m, st->req, st->out))
                continue;
        } else {
            st->out->prefix_len = prefix_len;
        }
        st->best = m;
        return;
    }
}

static void search(mstate_t *st, const subindex_t *s)
{
    scan_list(st, &s->regex, 0);
    if (s->trie.n_keys > 0) {
        sl_trie_walk_t w;
        size_t depth;
        const mlist_t *l;
        sl_trie_walk_init(&w, &s->trie, st->req->path.p, st->req->path.len);
        while ((l = sl_trie_walk_next(&w, &depth)) != NULL)
            scan_list(st, l, depth);
    }
    scan_list(st, &s->pathless, 0);
}

bool sl_router_match(const sl_router_t *r, const sl_router_req_t *req, sl_router_match_t *out)
{
    mstate_t st = {.req = req, .out = out, .best = NULL};
    out->route = NULL;
    out->prefix_len = 0;
    out->n_captures = 0;
    if (r == NULL)
        return false;

    if (req->host.len > 0) {
        const subindex_t *s = sl_host_table_find(&r->exact, req->host);
        if (s != NULL)
            search(&st, s);
        for (size_t i = 0; i < r->n_wild; i++)
            if (sl_host_match_name(&r->wild[i].pat, req->host))
                search(&st, r->wild[i].sub);
    }
    search(&st, &r->deflt);

    if (st.best == NULL)
        return false;
    out->route = st.best->route;
    if (st.best->path_kind != PATH_REGEX)
        out->n_captures = 0;
    return true;
}
