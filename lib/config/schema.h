/*
 * Entity schemas as data, in the style of Redis' standardConfig table: each entity has a
 * table of fields (name, type, required, default, range, allowed values, extra validator,
 * where the value goes in the model struct), and one generic checker applies a table to a
 * mapping node: unknown keys, types, ranges, enums, required fields and defaults, with
 * Kong's error wording (kong/db/schema/init.lua validation_errors).
 *
 * What a table cannot say (cross-field rules, shorthands, references) is done by the entity
 * code after the generic check; fields it handles itself are SL_FT_CUSTOM, which the
 * checker only accepts as known keys.
 *
 * Thread: any; the tables are const.
 */
#ifndef SL_CONFIG_SCHEMA_H
#define SL_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "config/loader.h"
#include "config/node.h"

typedef enum {
    SL_FT_STRING = 0, /* const char * (config arena) */
    SL_FT_INT,        /* integer member of .size bytes (1, 2, 4 or 8; signed if .min < 0) */
    SL_FT_NUMBER,     /* double, or uint32_t rounded up when .size is 4 (seconds) */
    SL_FT_BOOL,       /* bool */
    SL_FT_STRINGS,    /* sl_strlist_t: array (or set, SL_F_SET) of non-empty strings */
    SL_FT_ID,         /* char[37]: a UUID */
    SL_FT_TAGS,       /* sl_strlist_t: set of tags */
    SL_FT_TIMESTAMP,  /* created_at / updated_at: a number, accepted and not stored */
    SL_FT_RECORD,     /* nested record checked against .sub */
    SL_FT_STATUSES,   /* uint16_t * at .off, size_t count at .off_n: integers in range */
    SL_FT_HEADERS,    /* map of header name -> array of strings: checked, not stored */
    SL_FT_CUSTOM,     /* handled by the entity code */
} sl_ftype_t;

#define SL_F_REQUIRED 0x1u /* missing or null: "required field missing" */
#define SL_F_SET 0x2u      /* SL_FT_STRINGS: say "expected a set" */
#define SL_NOOFF ((size_t)-1)

typedef const char *(*sl_str_check_fn)(const char *s, char *err, size_t cap);

typedef struct sl_field {
    const char *name;            /* NULL ends a table */
    sl_ftype_t type;
    unsigned flags;              /* SL_F_* */
    size_t off;                  /* offset in the model struct, or SL_NOOFF */
    size_t size;                 /* SL_FT_INT: size of the member */
    int64_t min, max;            /* SL_FT_INT / NUMBER / STATUSES range; none if both 0 */
    const char *def;             /* default as text ("5", "true", "http", "200,302"), or NULL */
    const char *const *one_of;   /* NULL-terminated allowed values (INT: as decimal text) */
    sl_str_check_fn check;       /* STRING / STRINGS elements: extra validator */
    const struct sl_field *sub;  /* SL_FT_RECORD */
    size_t off_n;                /* SL_FT_STATUSES: offset of the size_t count */
} sl_field_t;

#define SL_SCHEMA_ENTITY 0x1u /* accept _comment / _ignore (entity records) */

/* Checks <map> against <fields>, writing values and defaults into <obj> (NULL: check only).
 * A node that is not a mapping gets "expected a record". Returns the number of errors
 * reported. */
int sl_schema_check(sl_loader_t *ld, const sl_field_t *fields, const sl_node_t *map, void *obj,
                    unsigned opts);

/* Applies the defaults of <fields> (recursively) to <obj>, for a record that is absent. */
void sl_schema_defaults(sl_loader_t *ld, const sl_field_t *fields, void *obj);

/* The field named <name> in <fields>, or NULL. */
const sl_field_t *sl_schema_field(const sl_field_t *fields, const char *name);

/* Reads a string value (non-empty, string-typed), reporting Kong's type errors at <n>.
 * Returns the config-arena copy or NULL (error reported). */
const char *sl_schema_string(sl_loader_t *ld, const sl_node_t *n);

/* Reads an integer within [<min>, <max>] (any int64 when <min> > <max>), reporting errors
 * at <n>. Returns 0 or -1. */
int sl_schema_int(sl_loader_t *ld, const sl_node_t *n, int64_t min, int64_t max, int64_t *out);

/* Reads a boolean, reporting errors at <n>. Returns 0 or -1. */
int sl_schema_bool(sl_loader_t *ld, const sl_node_t *n, bool *out);

/* Reads an array of non-empty strings (each checked by <check> when not NULL) into <out>;
 * <set> selects the "expected a set" wording. Returns 0 or -1 (errors reported). */
int sl_schema_strings(sl_loader_t *ld, const sl_node_t *n, bool set, sl_str_check_fn check,
                      sl_strlist_t *out);

/* Kong's protocol names (constants.PROTOCOLS, sorted), NULL-terminated. */
extern const char *const sl_schema_protocols[];
/* The SL_PROTO_* bit of protocol <name>, 0 if unknown. */
unsigned sl_schema_proto_bit(const char *name);

/* Formats "expected one of: a, b, c" for <one_of> into <buf>. */
const char *sl_schema_one_of_msg(const char *const *one_of, char *buf, size_t cap);

#endif
