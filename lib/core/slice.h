/*
 * Slices: a pointer and a length into memory owned by someone else (a read buffer, an arena).
 * A slice into a connection's read buffer is valid only until that buffer is recycled.
 */
#ifndef SL_CORE_SLICE_H
#define SL_CORE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

typedef struct sl_slice {
    const char *p;
    size_t len;
} sl_slice_t;

#define SL_SLICE_LIT(s) ((sl_slice_t){(s), sizeof(s) - 1})

static inline sl_slice_t sl_slice(const char *p, size_t len)
{
    return (sl_slice_t){p, len};
}

static inline bool sl_slice_eq(sl_slice_t a, const char *lit, size_t lit_len)
{
    return a.len == lit_len && memcmp(a.p, lit, lit_len) == 0;
}

/* Case-insensitive ASCII compare with a literal (header names, tokens). */
static inline bool sl_slice_ieq(sl_slice_t a, const char *lit, size_t lit_len)
{
    return a.len == lit_len && strncasecmp(a.p, lit, lit_len) == 0;
}

#define SL_SLICE_IEQ_LIT(s, lit) sl_slice_ieq((s), (lit), sizeof(lit) - 1)
#define SL_SLICE_EQ_LIT(s, lit) sl_slice_eq((s), (lit), sizeof(lit) - 1)

/* One header field as received: slices into the head buffer, name as sent (any case). */
typedef struct sl_header {
    sl_slice_t name;
    sl_slice_t value; /* leading/trailing whitespace removed */
} sl_header_t;

#endif
