/* plugin/cred.c: the credential extractors on known inputs, and the index. */
#include "plugin/cred.h"

#include <string.h>

#include "test.h"

static sl_slice_t S(const char *s)
{
    return sl_slice(s, strlen(s));
}

static bool eq(sl_slice_t a, const char *s)
{
    return a.len == strlen(s) && memcmp(a.p, s, a.len) == 0;
}

static void test_query(void)
{
    char buf[128], out[128];
    sl_slice_t v;
    CHECK_EQ_INT(sl_cred_query_arg(S("a=1&apikey=x%41+y&b"), "apikey", buf, 128, &v),
                 SL_CRED_ARG_VALUE);
    CHECK(eq(v, "xA y"));
    CHECK_EQ_INT(sl_cred_query_arg(S("api%6bey=v"), "apikey", buf, 128, &v), SL_CRED_ARG_VALUE);
    CHECK(eq(v, "v"));
    CHECK_EQ_INT(sl_cred_query_arg(S("apikey"), "apikey", buf, 128, &v), SL_CRED_ARG_FLAG);
    CHECK_EQ_INT(sl_cred_query_arg(S("apikey=&apikey=1"), "apikey", buf, 128, &v),
                 SL_CRED_ARG_MANY);
    CHECK_EQ_INT(sl_cred_query_arg(S("apikeyx=1&xapikey=2"), "apikey", buf, 128, &v),
                 SL_CRED_ARG_NONE);
    CHECK_EQ_INT(sl_cred_query_arg(S("apikey="), "apikey", buf, 128, &v), SL_CRED_ARG_VALUE);
    CHECK_EQ_INT((int)v.len, 0);
    CHECK_EQ_INT(sl_cred_query_arg(S("k=%zz%4"), "k", buf, 128, &v), SL_CRED_ARG_VALUE);
    CHECK(eq(v, "%zz%4")); /* invalid escapes stay as they are */
    CHECK_EQ_INT(sl_cred_query_arg(S("k=abcdef"), "k", buf, 3, &v), SL_CRED_ARG_NONE);

    size_t n = sl_cred_query_without(S("a=1&apikey=x&b=2&api%6Bey&c"), "apikey", out);
    CHECK(eq(sl_slice(out, n), "a=1&b=2&c"));
    n = sl_cred_query_without(S("apikey=1"), "apikey", out);
    CHECK_EQ_INT((int)n, 0);
    n = sl_cred_query_without(S("a&&b"), "apikey", out);
    CHECK(eq(sl_slice(out, n), "a&b"));
}

static void test_basic(void)
{
    char buf[128];
    sl_slice_t u, p;
    CHECK(sl_cred_basic(S("Basic dXNlcjpwOmFzcw=="), buf, sizeof(buf), &u, &p));
    CHECK(eq(u, "user") && eq(p, "p:ass"));
    CHECK(sl_cred_basic(S("basic dXNlcjpwOmFzcw"), buf, sizeof(buf), &u, &p)); /* no padding */
    CHECK(eq(u, "user"));
    /* "::u:p" -> the leftmost ([^:]+): match is "u", password "p" */
    CHECK(sl_cred_basic(S("Basic Ojp1OnA="), buf, sizeof(buf), &u, &p));
    CHECK(eq(u, "u") && eq(p, "p"));
    CHECK(!sl_cred_basic(S("BASIC dXNlcjpwOmFzcw=="), buf, sizeof(buf), &u, &p));
    CHECK(!sl_cred_basic(S("Basic bm9jb2xvbg=="), buf, sizeof(buf), &u, &p)); /* "nocolon" */
    CHECK(!sl_cred_basic(S("Basic !!!"), buf, sizeof(buf), &u, &p));
    CHECK(!sl_cred_basic(S("Basic"), buf, sizeof(buf), &u, &p));
    CHECK(!sl_cred_basic(S("Basic A"), buf, sizeof(buf), &u, &p)); /* 4k+1 characters */
}

static void test_header_and_ct(void)
{
    sl_header_t h[3] = {{S("Api-Key"), S("one")}, {S("other"), S("x")}, {S("api_key"), S("two")}};
    sl_slice_t v;
    CHECK_EQ_INT((int)sl_cred_header(h, 3, "api_key", &v), 2);
    CHECK(eq(v, "one"));
    CHECK_EQ_INT((int)sl_cred_header(h, 3, "api-key", &v), 1); /* a hyphen matches only '-' */
    CHECK_EQ_INT((int)sl_cred_header(h, 3, "OTHER", &v), 1);
    CHECK(eq(v, "x"));
    CHECK(sl_cred_ct_eq("abc", 3, "abc", 3));
    CHECK(!sl_cred_ct_eq("abc", 3, "abd", 3));
    CHECK(!sl_cred_ct_eq("abc", 3, "abcd", 4));
    CHECK(!sl_cred_ct_eq("", 0, "a", 1));
    CHECK(sl_cred_ct_eq("", 0, "", 0));
}

static void test_index(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    sl_cred_index_t ix;
    sl_cred_index_init(&ix, 100, &a);
    char keys[100][8];
    for (int i = 0; i < 100; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        CHECK(sl_cred_index_put(&ix, keys[i], strlen(keys[i]), keys[i]) == NULL);
    }
    CHECK(sl_cred_index_put(&ix, "k5", 2, "dup") == keys[5]);
    for (int i = 0; i < 100; i++)
        CHECK(sl_cred_index_get(&ix, keys[i], strlen(keys[i])) == keys[i]);
    CHECK(sl_cred_index_get(&ix, "k100", 4) == NULL);
    CHECK(sl_cred_index_get(&ix, "k1", 1) == NULL);
    sl_cred_index_t empty = {0};
    CHECK(sl_cred_index_get(&empty, "x", 1) == NULL);
    sl_arena_destroy(&a);
}

int main(void)
{
    test_query();
    test_basic();
    test_header_and_ct();
    test_index();
    TEST_MAIN_END();
}
