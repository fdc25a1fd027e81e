/* Plugin config field readers (see conf.h). */
#include "plugin/conf.h"

#include <stdio.h>
#include <string.h>

#include "config/suggest.h"

const char *sl_pconf_key(const sl_node_t *k)
{
    return k->kind == SL_NODE_SCALAR && k->str ? k->str : "";
}

void sl_pconf_unknown(sl_diag_t *diag, const sl_node_t *k, const char *const *names)
{
    sl_suggest_t s;
    sl_suggest_init(&s, k->str ? k->str : "", k->len);
    sl_suggest_offer_all(&s, names);
    sl_diag_unknown_field(diag, k, sl_suggest_best(&s));
}

bool sl_pconf_bool(sl_diag_t *diag, const sl_node_t *v, bool *out)
{
    if (sl_node_bool(v, out) == 0)
        return true;
    sl_diag_add_node(diag, v, "expected a boolean");
    return false;
}

const char *sl_pconf_string(sl_diag_t *diag, sl_arena_t *a, const sl_node_t *v)
{
    const char *s = sl_node_str(v);
    if (s == NULL || strlen(s) != v->len) {
        sl_diag_add_node(diag, v, "expected a string");
        return NULL;
    }
    return sl_arena_strndup(a, s, v->len);
}

bool sl_pconf_int(sl_diag_t *diag, const sl_node_t *v, int64_t min, int64_t max,
                  int64_t *out)
{
    int64_t n;
    if (sl_node_int(v, &n) != 0) {
        sl_diag_add_node(diag, v, "expected an integer");
        return false;
    }
    if (n < min || n > max) {
        sl_diag_add_node(diag, v, "value should be between %lld and %lld", (long long)min,
                         (long long)max);
        return false;
    }
    *out = n;
    return true;
}

bool sl_pconf_number(sl_diag_t *diag, const sl_node_t *v, double min, double max,
                     double *out)
{
    double d;
    if (sl_node_number(v, &d) != 0) {
        sl_diag_add_node(diag, v, "expected a number");
        return false;
    }
    if (!(d >= min && d <= max)) {
        /* %.15g: whole bounds print whole (31536000, not %g's 3.1536e+07), as Lua does */
        sl_diag_add_node(diag, v, "value should be between %.15g and %.15g", min, max);
        return false;
    }
    *out = d;
    return true;
}

bool sl_pconf_strings(sl_diag_t *diag, sl_arena_t *a, const sl_node_t *v, sl_strlist_t *out)
{
    if (v->kind != SL_NODE_SEQ) {
        sl_diag_add_node(diag, v, "expected an array");
        return false;
    }
    out->v = sl_arena_calloc(a, v->n ? v->n : 1, sizeof(*out->v));
    out->n = 0;
    bool ok = true;
    for (size_t i = 0; i < v->n; i++) {
        const char *s = sl_pconf_string(diag, a, v->items[i]);
        if (s == NULL)
            ok = false;
        else
            out->v[out->n++] = s;
    }
    return ok;
}

int sl_pconf_one_of(sl_diag_t *diag, const sl_node_t *v, const char *const *names)
{
    const char *s = sl_node_str(v);
    for (int i = 0; s && names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    char msg[256];
    size_t len = (size_t)snprintf(msg, sizeof(msg), "expected one of:");
    for (int i = 0; names[i] && len < sizeof(msg); i++)
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s", i ? "," : "", names[i]);
    sl_diag_add_node(diag, v, "%s", msg);
    return -1;
}

bool sl_pconf_header_name_ok(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

void sl_pconf_bad_header_name(sl_diag_t *diag, const sl_node_t *v, const char *s)
{
    sl_diag_add_node(diag, v,
                     "bad header name '%.200s', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
                     s);
}
