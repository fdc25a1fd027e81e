/* plugin/body_args.c: request bodies as key_in_body decodes them, and without a field. */
#include "plugin/body_args.h"

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

static const char MP[] = "multipart/form-data; boundary=XyZ";

static void test_type(void)
{
    CHECK_EQ_INT(sl_body_type(sl_slice(NULL, 0)), SL_BODY_NONE);
    CHECK_EQ_INT(sl_body_type(S("Application/X-WWW-Form-Urlencoded; charset=utf-8")),
                 SL_BODY_FORM);
    CHECK_EQ_INT(sl_body_type(S("application/json")), SL_BODY_JSON);
    CHECK_EQ_INT(sl_body_type(S(MP)), SL_BODY_MULTIPART);
    CHECK_EQ_INT(sl_body_type(S("text/plain")), SL_BODY_OTHER);
}

static void test_form_and_json(sl_arena_t *a)
{
    sl_cred_arg_t f;
    sl_slice_t v;
    CHECK(sl_body_arg(SL_BODY_FORM, S(""), S("a=1&apikey=k+1%26"), "apikey", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_VALUE);
    CHECK(eq(v, "k 1&"));
    CHECK(eq(sl_body_without(SL_BODY_FORM, S(""), S("a=1&apikey=k&b=2"), "apikey", a),
             "a=1&b=2"));

    CHECK(sl_body_arg(SL_BODY_JSON, S(""), S("{\"apikey\":\"k\\u0041\"}"), "apikey", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_VALUE);
    CHECK(eq(v, "kA"));
    CHECK(sl_body_arg(SL_BODY_JSON, S(""), S("{\"apikey\":{}}"), "apikey", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_MANY);
    CHECK(sl_body_arg(SL_BODY_JSON, S(""), S("{\"apikey\":true}"), "apikey", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_FLAG);
    CHECK(sl_body_arg(SL_BODY_JSON, S(""), S("[\"apikey\"]"), "apikey", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_NONE);
    CHECK(!sl_body_arg(SL_BODY_JSON, S(""), S("\"k\""), "apikey", a, &f, &v));
    CHECK(!sl_body_arg(SL_BODY_JSON, S(""), S("{\"apikey\":"), "apikey", a, &f, &v));
    CHECK(!sl_body_arg(SL_BODY_OTHER, S(""), S("apikey=k"), "apikey", a, &f, &v));
    CHECK(eq(sl_body_without(SL_BODY_JSON, S(""), S("{\"a\": 1, \"apikey\": \"k\", \"b\": [2]}"),
                             "apikey", a),
             "{\"a\":1,\"b\":[2]}"));
}

static void test_multipart(sl_arena_t *a)
{
    sl_cred_arg_t f;
    sl_slice_t v;
    const char *body = "--XyZ\r\nContent-Disposition: form-data; filename=\"apikey\"; name=\"a\""
                       "\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"apikey\"\r\n"
                       "Content-Type: text/plain\r\n\r\nk\r\n--X\r\n--XyZ--\r\n";
    CHECK(sl_body_arg(SL_BODY_MULTIPART, S(MP), S(body), "apikey", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_VALUE);
    CHECK(eq(v, "k\r\n--X")); /* not the boundary: part of the value */
    CHECK(sl_body_arg(SL_BODY_MULTIPART, S(MP), S(body), "filename", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_NONE);
    CHECK(eq(sl_body_without(SL_BODY_MULTIPART, S(MP), S(body), "apikey", a),
             "--XyZ\r\nContent-Disposition: form-data; filename=\"apikey\"; name=\"a\""
             "\r\n\r\n1\r\n--XyZ--\r\n"));
    const char *two = "--XyZ\r\nContent-Disposition: form-data; name=k\r\n\r\n1\r\n"
                      "--XyZ\r\nContent-Disposition: form-data; name=k\r\n\r\n2\r\n--XyZ--";
    CHECK(sl_body_arg(SL_BODY_MULTIPART, S("multipart/form-data; boundary=\"XyZ\""), S(two), "k",
                      a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_MANY);
    CHECK(!sl_body_arg(SL_BODY_MULTIPART, S("multipart/form-data"), S(two), "k", a, &f, &v));
    /* truncated: no part is complete */
    CHECK(sl_body_arg(SL_BODY_MULTIPART, S(MP), S("--XyZ\r\nContent-Disposition: form-data; "
                                                 "name=k\r\n\r\n1"), "k", a, &f, &v));
    CHECK_EQ_INT(f, SL_CRED_ARG_NONE);
}

int main(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    test_type();
    test_form_and_json(&a);
    test_multipart(&a);
    sl_arena_destroy(&a);
    TEST_MAIN_END();
}
