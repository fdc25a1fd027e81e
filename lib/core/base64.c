/* nginx's base64 decoder (see base64.h). */
#include "core/base64.h"

/* 0..63, or -1 for a byte outside the alphabet(s) <flags> selects */
static inline int b64_value(unsigned char c, unsigned flags)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || (c == '-' && (flags & SL_BASE64_URL)))
        return 62;
    if (c == '/' || (c == '_' && (flags & SL_BASE64_URL)))
        return 63;
    return -1;
}

long sl_base64_decode(const char *in, size_t len, void *out, size_t cap, unsigned flags)
{
    /* the data ends at the first '=' (or at the end); nginx refuses a bad character before
     * it and a length of 4k+1, and ignores whatever follows the first '=' */
    size_t n = 0;
    while (n < len && in[n] != '=') {
        if (b64_value((unsigned char)in[n], flags) < 0)
            return -1;
        n++;
    }
    if (n % 4 == 1)
        return -1;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > cap)
        return -1;
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *d = out;
    for (; n >= 4; s += 4, n -= 4) {
        unsigned v = (unsigned)b64_value(s[0], flags) << 18 |
                     (unsigned)b64_value(s[1], flags) << 12 |
                     (unsigned)b64_value(s[2], flags) << 6 | (unsigned)b64_value(s[3], flags);
        *d++ = (unsigned char)(v >> 16);
        *d++ = (unsigned char)(v >> 8);
        *d++ = (unsigned char)v;
    }
    if (n >= 2) {
        unsigned v = (unsigned)b64_value(s[0], flags) << 18 |
                     (unsigned)b64_value(s[1], flags) << 12;
        if (n == 3)
            v |= (unsigned)b64_value(s[2], flags) << 6;
        *d++ = (unsigned char)(v >> 16);
        if (n == 3)
            *d++ = (unsigned char)(v >> 8);
    }
    return (long)need;
}
