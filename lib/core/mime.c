/* Body format names (see mime.h). */
#include "core/mime.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    size_t len;
    sl_mime_t mime;
} mime_names[] = {
    {"application/json", 16, SL_MIME_JSON},
    {"text/html", 9, SL_MIME_HTML},
    {"application/xml", 15, SL_MIME_XML},
    {"text/plain", 10, SL_MIME_TEXT},
};

int sl_mime_lookup(const char *p, size_t len)
{
    for (size_t i = 0; i < sizeof(mime_names) / sizeof(mime_names[0]); i++)
        if (len == mime_names[i].len && strncasecmp(p, mime_names[i].name, len) == 0)
            return (int)mime_names[i].mime;
    return -1;
}

int sl_mime_from_name(const char *name)
{
    return sl_mime_lookup(name, strlen(name));
}
