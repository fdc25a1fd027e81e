/*
 * Body arguments (plugin/body_args.h). Form bodies share the query's decoder (plugin/cred.c);
 * JSON goes through cJSON; multipart is scanned for delimiters and part headers only, never
 * copied except for the one value asked for.
 */
#include "plugin/body_args.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <strings.h>

static const char *find(const char *p, const char *end, const char *s, size_t n)
{
    if (n == 0)
        return p;
    for (; p && (size_t)(end - p) >= n; p++) {
        p = memchr(p, s[0], (size_t)(end - p) - n + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, s, n) == 0)
            return p;
    }
    return NULL;
}

static const char *ifind(const char *p, const char *end, const char *s, size_t n)
{
    for (; (size_t)(end - p) >= n; p++)
        if (strncasecmp(p, s, n) == 0)
            return p;
    return NULL;
}

sl_body_type_t sl_body_type(sl_slice_t ct)
{
    if (ct.p == NULL)
        return SL_BODY_NONE;
    const char *end = ct.p + ct.len;
    if (ifind(ct.p, end, "application/x-www-form-urlencoded", 33))
        return SL_BODY_FORM;
    if (ifind(ct.p, end, "application/json", 16))
        return SL_BODY_JSON;
    if (ifind(ct.p, end, "multipart/form-data", 19))
        return SL_BODY_MULTIPART;
    return SL_BODY_OTHER;
}

/* ---- JSON --------------------------------------------------------------------------- */

static bool json_arg(sl_slice_t body, const char *name, sl_arena_t *a, sl_cred_arg_t *found,
                     sl_slice_t *value)
{
    cJSON *root = cJSON_ParseWithLength(body.p, body.len);
    if (root == NULL || !(cJSON_IsObject(root) || cJSON_IsArray(root))) {
        cJSON_Delete(root);
        return false; /* Kong: "invalid json body" */
    }
    *found = SL_CRED_ARG_NONE;
    /* the last member of a repeated name wins, as in Lua's cjson */
    const cJSON *v = NULL;
    if (cJSON_IsObject(root))
        for (const cJSON *it = root->child; it; it = it->next)
            if (it->string && strcmp(it->string, name) == 0)
                v = it;
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        *value = sl_slice(sl_arena_strndup(a, v->valuestring, n), n);
        *found = SL_CRED_ARG_VALUE;
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        *found = SL_CRED_ARG_MANY;
    } else if (v) {
        *found = SL_CRED_ARG_FLAG;
    }
    cJSON_Delete(root);
    return true;
}

static sl_slice_t json_without(sl_slice_t body, const char *name, sl_arena_t *a)
{
    cJSON *root = cJSON_ParseWithLength(body.p, body.len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return body;
    }
    while (cJSON_GetObjectItemCaseSensitive(root, name))
        cJSON_DeleteItemFromObjectCaseSensitive(root, name);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (s == NULL)
        return body;
    size_t n = strlen(s);
    sl_slice_t out = sl_slice(sl_arena_strndup(a, s, n), n);
    cJSON_free(s);
    return out;
}

/* ---- multipart ---------------------------------------------------------------------- */

/* The boundary parameter of a Content-Type (quotes removed); empty when absent. */
static sl_slice_t boundary_of(sl_slice_t ct)
{
    const char *end = ct.p + ct.len;
    const char *b = ifind(ct.p, end, "boundary=", 9);
    if (b == NULL)
        return sl_slice(NULL, 0);
    b += 9;
    const char *e = b;
    if (b < end && *b == '"') {
        b++;
        e = memchr(b, '"', (size_t)(end - b));
        if (e == NULL)
            return sl_slice(NULL, 0);
    } else {
        while (e < end && *e != ';' && *e != ' ' && *e != '\t')
            e++;
    }
    return sl_slice(b, (size_t)(e - b));
}

typedef struct part {
    const char *start;      /* its delimiter ("--boundary") */
    const char *next;       /* the next delimiter (the part's end) */
    sl_slice_t name;        /* Content-Disposition name (empty p: none) */
    sl_slice_t value;       /* the part's content */
} part_t;

/* The name="..." parameter of a Content-Disposition header (not filename="..."). */
static sl_slice_t disposition_name(const char *p, const char *end)
{
    for (const char *q = p; (q = find(q, end, "name=", 5)) != NULL; q++) {
        if (q > p && q[-1] != ';' && q[-1] != ' ' && q[-1] != '\t')
            continue;
        const char *v = q + 5, *e;
        if (v < end && *v == '"') {
            v++;
            e = memchr(v, '"', (size_t)(end - v));
            if (e == NULL)
                return sl_slice(NULL, 0);
        } else {
            for (e = v; e < end && *e != ';' && *e != ' ' && *e != '\r'; e++) {
            }
        }
        return sl_slice(v, (size_t)(e - v));
    }
    return sl_slice(NULL, 0);
}

/* The part after <p> (a delimiter). False at the closing delimiter or malformed input. */
static bool next_part(const char *p, const char *end, sl_slice_t delim, part_t *out)
{
    const char *q = p + delim.len;
    if (end - q >= 2 && q[0] == '-' && q[1] == '-')
        return false; /* the closing delimiter */
    const char *eol = find(q, end, "\r\n", 2);
    if (eol == NULL)
        return false;
    const char *hdr = eol + 2;
    const char *hend = find(eol, end, "\r\n\r\n", 4);
    if (hend == NULL)
        return false;
    out->start = p;
    out->name = sl_slice(NULL, 0);
    for (const char *h = hdr; h < hend + 2;) {
        const char *le = find(h, hend + 2, "\r\n", 2);
        if (le == NULL)
            break;
        if (le - h > 20 && strncasecmp(h, "content-disposition:", 20) == 0)
            out->name = disposition_name(h + 20, le);
        h = le + 2;
    }
    const char *content = hend + 4;
    /* the next delimiter: CRLF "--boundary" */
    const char *n = content;
    for (;;) {
        n = find(n, end, "\r\n--", 4);
        if (n == NULL)
            return false;
        if ((size_t)(end - n - 2) >= delim.len && memcmp(n + 2, delim.p, delim.len) == 0)
            break;
        n++;
    }
    out->value = sl_slice(content, (size_t)(n - content));
    out->next = n + 2;
    return true;
}

/* The first delimiter of <body>, or NULL. */
static const char *first_delim(sl_slice_t body, sl_slice_t delim)
{
    const char *end = body.p + body.len;
    if (body.len >= delim.len && memcmp(body.p, delim.p, delim.len) == 0)
        return body.p;
    for (const char *n = body.p; (n = find(n, end, "\r\n--", 4)) != NULL; n++)
        if ((size_t)(end - n - 2) >= delim.len && memcmp(n + 2, delim.p, delim.len) == 0)
            return n + 2;
    return NULL;
}

/* "--" + boundary in the arena; false without a boundary. */
static bool delim_of(sl_slice_t ct, sl_arena_t *a, sl_slice_t *delim)
{
    sl_slice_t b = boundary_of(ct);
    if (b.len == 0 || b.len > 200) /* RFC 2046: at most 70 */
        return false;
    char *d = sl_arena_alloc(a, b.len + 2);
    d[0] = d[1] = '-';
    memcpy(d + 2, b.p, b.len);
    *delim = sl_slice(d, b.len + 2);
    return true;
}

static bool multipart_arg(sl_slice_t ct, sl_slice_t body, const char *name, sl_arena_t *a,
                          sl_cred_arg_t *found, sl_slice_t *value)
{
    sl_slice_t delim;
    if (!delim_of(ct, a, &delim))
        return false;
    *found = SL_CRED_ARG_NONE;
    const char *end = body.p + body.len;
    size_t nl = strlen(name);
    part_t pt;
    for (const char *p = first_delim(body, delim); p && next_part(p, end, delim, &pt);
         p = pt.next) {
        if (pt.name.len != nl || memcmp(pt.name.p, name, nl) != 0)
            continue;
        if (*found != SL_CRED_ARG_NONE) {
            *found = SL_CRED_ARG_MANY;
            return true;
        }
        *found = SL_CRED_ARG_VALUE;
        *value = pt.value;
    }
    return true;
}

static sl_slice_t multipart_without(sl_slice_t ct, sl_slice_t body, const char *name,
                                    sl_arena_t *a)
{
    sl_slice_t delim;
    if (!delim_of(ct, a, &delim))
        return body;
    char *out = sl_arena_alloc(a, body.len ? body.len : 1);
    size_t o = 0, nl = strlen(name);
    const char *end = body.p + body.len, *kept = body.p;
    part_t pt;
    for (const char *p = first_delim(body, delim); p && next_part(p, end, delim, &pt);
         p = pt.next) {
        if (pt.name.len != nl || memcmp(pt.name.p, name, nl) != 0)
            continue;
        memcpy(out + o, kept, (size_t)(pt.start - kept));
        o += (size_t)(pt.start - kept);
        kept = pt.next;
    }
    memcpy(out + o, kept, (size_t)(end - kept));
    o += (size_t)(end - kept);
    return sl_slice(out, o);
}

/* ---- the three together -------------------------------------------------------------- */

bool sl_body_arg(sl_body_type_t type, sl_slice_t ct, sl_slice_t body, const char *name,
                 sl_arena_t *a, sl_cred_arg_t *found, sl_slice_t *value)
{
    *found = SL_CRED_ARG_NONE;
    switch (type) {
    case SL_BODY_FORM: {
        char *buf = sl_arena_alloc(a, body.len ? body.len : 1);
        *found = sl_cred_query_arg(body, name, buf, body.len, value);
        return true;
    }
    case SL_BODY_JSON:
        return json_arg(body, name, a, found, value);
    case SL_BODY_MULTIPART:
        return multipart_arg(ct, body, name, a, found, value);
    default:
        return false;
    }
}

sl_slice_t sl_body_without(sl_body_type_t type, sl_slice_t ct, sl_slice_t body,
                           const char *name, sl_arena_t *a)
{
    switch (type) {
    case SL_BODY_FORM: {
        char *out = sl_arena_alloc(a, body.len ? body.len : 1);
        return sl_slice(out, sl_cred_query_without(body, name, out));
    }
    case SL_BODY_JSON:
        return json_without(body, name, a);
    case SL_BODY_MULTIPART:
        return multipart_without(ct, body, name, a);
    default:
        return body;
    }
}
