/*
 * The body formats the gateway writes its own answers in (Kong's error templates), by their
 * media type names. http/errors.h negotiates them from Accept and Content-Type; the node
 * settings name one as error_default_type.
 *
 * Thread: any.
 */
#ifndef SL_CORE_MIME_H
#define SL_CORE_MIME_H

#include <stddef.h>

typedef enum {
    SL_MIME_JSON = 0,
    SL_MIME_HTML,
    SL_MIME_XML,
    SL_MIME_TEXT,
} sl_mime_t;

/* The format named by the <len> bytes at <p> ("application/json", case-insensitive), or
 * -1. */
int sl_mime_lookup(const char *p, size_t len);
/* The same for a NUL-terminated name. */
int sl_mime_from_name(const char *name);

#endif
