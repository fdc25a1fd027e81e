/* Unit tests for core/base64.c: nginx's decoder, both alphabets, the output cap. */
#include "core/base64.h"

#include <string.h>

#include "test.h"

static long dec(const char *s, unsigned char *out, size_t cap, unsigned flags)
{
    return sl_base64_decode(s, strlen(s), out, cap, flags);
}

static void test_standard(void)
{
    unsigned char out[64];
    CHECK_EQ_INT(dec("", out, sizeof(out), 0), 0);
    CHECK_EQ_INT(dec("Zm9v", out, sizeof(out), 0), 3);
    CHECK(memcmp(out, "foo", 3) == 0);
    CHECK_EQ_INT(dec("Zm8", out, sizeof(out), 0), 2);      /* unpadded */
    CHECK_EQ_INT(dec("Zm8=", out, sizeof(out), 0), 2);     /* padded */
    CHECK(memcmp(out, "fo", 2) == 0);
    CHECK_EQ_INT(dec("Zm8=!!", out, sizeof(out), 0), 2);   /* what follows '=' is ignored */
    CHECK_EQ_INT(dec("YQ==junk", out, sizeof(out), 0), 1);
    CHECK_EQ_INT(dec("Z", out, sizeof(out), 0), -1);       /* 4k+1 */
    CHECK_EQ_INT(dec("Zm9vY", out, sizeof(out), 0), -1);
    CHECK_EQ_INT(dec("Zm!v", out, sizeof(out), 0), -1);
    CHECK_EQ_INT(dec("Zm 9v", out, sizeof(out), 0), -1);
    CHECK_EQ_INT(dec("+/+/", out, sizeof(out), 0), 3);
    CHECK(out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
    CHECK_EQ_INT(dec("-_-_", out, sizeof(out), 0), -1);    /* the url alphabet is not base64 */
    CHECK_EQ_INT(dec("dXNlcjpwOmFzcw==", out, sizeof(out), 0), 10);
    CHECK(memcmp(out, "user:p:ass", 10) == 0);
}

static void test_url(void)
{
    unsigned char out[8];
    CHECK_EQ_INT(dec("-_-_", out, sizeof(out), SL_BASE64_URL), 3);
    CHECK(out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
    CHECK_EQ_INT(dec("+/-_", out, sizeof(out), SL_BASE64_URL), 3); /* both, as Kong maps */
    CHECK(out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
    CHECK_EQ_INT(dec("Zm8=", out, sizeof(out), SL_BASE64_URL), 2);
    CHECK_EQ_INT(dec("Zm.v", out, sizeof(out), SL_BASE64_URL), -1);
}

static void test_cap(void)
{
    unsigned char out[8];
    memset(out, 0xaa, sizeof(out));
    CHECK_EQ_INT(dec("YWJj", out, 2, 0), -1);              /* no room: nothing written */
    CHECK(out[0] == 0xaa && out[1] == 0xaa && out[2] == 0xaa);
    CHECK_EQ_INT(dec("YWJj", out, 3, 0), 3);               /* exactly enough */
    CHECK_EQ_INT(dec("YWJjZA", out, 3, 0), -1);
    CHECK_EQ_INT(dec("YWJjZA", out, 4, 0), 4);
    CHECK(memcmp(out, "abcd", 4) == 0);
    CHECK_EQ_INT(dec("YWJjZA==", out, 0, 0) , -1);
    CHECK_EQ_INT(dec("", out, 0, 0), 0);
    /* the bound SL_BASE64_DECODED_MAX gives is always enough */
    const char *all = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo";
    unsigned char big[SL_BASE64_DECODED_MAX(35)];
    CHECK_EQ_INT(sl_base64_decode(all, 35, big, sizeof(big), 0), 26);
    CHECK(memcmp(big, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26) == 0);
}

int main(void)
{
    test_standard();
    test_url();
    test_cap();
    TEST_MAIN_END();
}
