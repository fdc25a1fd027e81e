/*
 * Arguments of a request body as Kong's kong.request.get_body() decodes them, for plugins
 * that look a credential up in the body (key-auth's key_in_body), and the body re-encoded
 * without one (kong.service.request.set_body, for hide_credentials). Three types, chosen by
 * Content-Type as Kong does: application/x-www-form-urlencoded (ngx.decode_args, as the
 * query: plugin/cred.h), application/json (an object; cJSON) and multipart/form-data (the
 * part whose Content-Disposition name is the argument).
 *
 * The input is untrusted: every function here is fuzzed (test/fuzz/fuzz_credentials.c).
 */
#ifndef SL_PLUGIN_BODY_ARGS_H
#define SL_PLUGIN_BODY_ARGS_H

#include "core/arena.h"
#include "core/slice.h"
#include "plugin/cred.h"

typedef enum {
    SL_BODY_NONE = 0,  /* no Content-Type: Kong's "missing content type" */
    SL_BODY_FORM,
    SL_BODY_JSON,
    SL_BODY_MULTIPART,
    SL_BODY_OTHER,     /* Kong's "unsupported content type" */
} sl_body_type_t;

/* The body type a Content-Type value names (case-insensitive, anywhere in the value, form
 * first, then JSON, then multipart, as kong.request.get_body looks). */
sl_body_type_t sl_body_type(sl_slice_t content_type);

/* Argument <name> of <body> of type <type> (<content_type>: multipart's boundary). A value
 * is decoded into the request arena <a>. SL_CRED_ARG_VALUE: a string; SL_CRED_ARG_MANY: a
 * table in Kong (a repeated form field or part, a JSON array or object); SL_CRED_ARG_FLAG:
 * anything else that is not a string (a bare form name, a JSON number, boolean or null).
 * Returns false when the body cannot be decoded (Kong's get_body error: invalid JSON, a
 * JSON body that is not an object or array, a multipart body without a boundary, a type
 * it does not decode). */
bool sl_body_arg(sl_body_type_t type, sl_slice_t content_type, sl_slice_t body,
                 const char *name, sl_arena_t *a, sl_cred_arg_t *found, sl_slice_t *value);

/* <body> without argument <name>, in <a>: form fields and multipart parts of that name
 * dropped (the others kept byte for byte), a JSON object re-encoded without the member. */
sl_slice_t sl_body_without(sl_body_type_t type, sl_slice_t content_type, sl_slice_t body,
                           const char *name, sl_arena_t *a);

#endif
