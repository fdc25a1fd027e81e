/*
 * JSON input. cJSON decides whether the text is JSON; libyaml then builds the positioned
 * tree (valid JSON is YAML flow syntax). Two JSON features libyaml does not take are
 * rewritten without moving any character that follows: tabs used as indentation, and
 * surrogate-pair escapes (libyaml only takes \u escapes of scalar values, so the pair is
 * rewritten as one \U escape, two characters shorter, and the two characters are put back as
 * spaces after the string).
 */
#include "config/json.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "config/node.h"
#include "core/errors.h"

int sl_json_check(const char *text, size_t len, sl_diag_t *diag)
{
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t off;
    if (doc != NULL) {
        cJSON_Delete(doc);
        off = (size_t)(end - text);
        while (off < len && (unsigned char)text[off] <= 32 && text[off] != '\0')
            off++;
        if (off >= len)
            return 0;
    } else {
        /* cJSON reports the error position through <end> as well as through its
         * process-wide cJSON_GetErrorPtr(); <end> is the thread-safe one. */
        off = end != NULL && end >= text ? (size_t)(end - text) : 0;
    }
    if (diag != NULL) {
        uint32_t line, col;
        sl_node_pos_at(text, len, off, &line, &col);
        sl_diag_add(diag, line, col, "invalid JSON");
    }
    return SL_EINVAL;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

char *sl_json_prepare(sl_arena_t *arena, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = sl_arena_alloc(arena, len + 1);
    size_t o = 0, pad = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!in_str) {
            if (c == '"')
                in_str = true;
            out[o++] = c == '\t' ? ' ' : c;
            continue;
        }
        if (c == '"') {
            out[o++] = c;
            while (pad > 0) {
                out[o++] = ' ';
                pad--;
            }
            in_str = false;
            continue;
        }
        if (c != '\\' || i + 1 >= len) {
            out[o++] = c;
            continue;
        }
        unsigned hi, lo;
        if (text[i + 1] == 'u' && i + 11 < len && hex4(text + i + 2, &hi) == 0 &&
            hi >= 0xD800 && hi <= 0xDBFF && text[i + 6] == '\\' && text[i + 7] == 'u' &&
            hex4(text + i + 8, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
            unsigned cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            out[o++] = '\\';
            out[o++] = 'U';
            for (int s = 28; s >= 0; s -= 4)
                out[o++] = hex[(cp >> s) & 0xF];
            pad += 2;
            i += 11;
            continue;
        }
        out[o++] = c;
        out[o++] = text[++i];
    }
    while (pad > 0) { /* unterminated string: cannot happen after sl_json_check */
        out[o++] = ' ';
        pad--;
    }
    out[o] = '\0';
    return out;
}

bool sl_json_looks_like(const char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    return i < len && text[i] == '{';
}
