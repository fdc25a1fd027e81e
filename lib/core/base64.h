/*
 * nginx's base64 decoder (ngx_decode_base64_internal), which both Kong's basic-auth (through
 * ngx.decode_base64) and Kong's jwt parser (jwt_parser.lua base64_decode, after mapping the
 * url alphabet and padding) end in: padding optional, everything from the first '=' ignored,
 * any other byte outside the alphabet or a length of 4k+1 an error.
 *
 * It takes untrusted bytes (Authorization headers, tokens) and is fuzzed through its callers
 * (test/fuzz/fuzz_credentials.c, test/fuzz/fuzz_jwt.c). Never allocates.
 *
 * Thread: any.
 */
#ifndef SL_CORE_BASE64_H
#define SL_CORE_BASE64_H

#include <stddef.h>

/* Also accept the url alphabet ('-' and '_' for '+' and '/'), as Kong's jwt parser does by
 * mapping one onto the other before decoding. */
#define SL_BASE64_URL 0x1u

/* What decoding <len> bytes can need at the most. */
#define SL_BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 3)

/* Decodes <in> into <out> (capacity <cap>) with <flags> (SL_BASE64_*). Returns the decoded
 * length, or -1 if <in> is not base64 or the result does not fit in <cap>. */
long sl_base64_decode(const char *in, size_t len, void *out, size_t cap, unsigned flags);

#endif
