/*
 * UUID generation. Version 5 is SHA-1 of the namespace bytes followed by the name, with the
 * version and variant bits set (RFC 4122 4.3), as lua-resty-jit-uuid's factory_v5 does; Kong
 * first derives one namespace per entity table from its root namespace and the table name.
 */
#include "config/uuid.h"

#include <fcntl.h>
#include <mbedtls/sha1.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>


static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_uuid(const char *s, unsigned char out[16])
{
    size_t o = 0;
    for (size_t i = 0; s[i] != '\0' && o < 16; i++) {
        if (s[i] == '-')
            continue;
        int hi = hexval(s[i]), lo = s[i + 1] ? hexval(s[i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return -1;
        out[o++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return o == 16 ? 0 : -1;
}

static void format_uuid(const unsigned char b[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

int sl_uuid_v5(const char *ns, const char *name, size_t len, char out[37])
{
    unsigned char nsb[16];
    if (parse_uuid(ns, nsb) != 0)
        return -1;
    mbedtls_sha1_context ctx;
    unsigned char digest[20];
    mbedtls_sha1_init(&ctx);
    mbedtls_sha1_starts(&ctx);
    mbedtls_sha1_update(&ctx, nsb, sizeof(nsb));
    mbedtls_sha1_update(&ctx, (const unsigned char *)name, len);
    mbedtls_sha1_finish(&ctx, digest);
    mbedtls_sha1_free(&ctx);
    digest[6] = (unsigned char)((digest[6] & 0x0F) | 0x50);
    digest[8] = (unsigned char)((digest[8] & 0x3F) | 0x80);
    format_uuid(digest, out);
    return 0;
}

void sl_uuid_entity(const char *entity, const char *key, char out[37])
{
    char ns[37];
    sl_uuid_v5(SL_UUID_KONG_NAMESPACE, entity, strlen(entity), ns);
    sl_uuid_v5(ns, key, strlen(key), out);
}

void sl_uuid_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n <= 0)
            break;
        p += n;
        len -= (size_t)n;
    }
    if (len == 0)
        return;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd >= 0 && len > 0) {
        ssize_t n = read(fd, p, len);
        if (n <= 0)
            break;
        p += n;
        len -= (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    if (len > 0) {
        fprintf(stderr, "sluice: no source of random bytes\n");
        abort();
    }
}

void sl_uuid_v4(char out[37])
{
    unsigned char b[16];
    sl_uuid_random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    format_uuid(b, out);
}
