/* Unit tests for http/errors.c and http/headers.c: Accept negotiation, Kong's templates,
 * hop-by-hop rules. */
#include "http/errors.h"
#include "http/headers.h"

#include "test.h"

static int accept_of(const char *v)
{
    return sl_mime_from_accept(sl_slice(v, strlen(v)));
}

static void test_accept(void)
{
    CHECK_EQ_INT(accept_of("application/json"), SL_MIME_JSON);
    CHECK_EQ_INT(accept_of("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                 SL_MIME_HTML);
    CHECK_EQ_INT(accept_of("text/plain;q=0.5, application/xml;q=0.8"), SL_MIME_XML);
    CHECK_EQ_INT(accept_of("*/*"), -1);
    CHECK_EQ_INT(accept_of("image/png"), -1);
    CHECK_EQ_INT(accept_of("text/plain;q=0, application/json"), SL_MIME_JSON);
    CHECK_EQ_INT(accept_of("TEXT/PLAIN"), SL_MIME_TEXT);
    CHECK_EQ_INT(accept_of(""), -1);
    const char *ct = "application/json; charset=utf-8";
    CHECK_EQ_INT(sl_mime_from_content_type(sl_slice(ct, strlen(ct))), SL_MIME_JSON);
}

static void test_templates(void)
{
    char out[512];
    const char *id = "0123456789abcdef0123456789abcdef";
    sl_err_body(SL_MIME_JSON, "no Route matched with those values", id, out, sizeof(out));
    CHECK_EQ_STR(out, "{\n  \"message\":\"no Route matched with those values\",\n"
                      "  \"request_id\":\"0123456789abcdef0123456789abcdef\"\n}");
    sl_err_body(SL_MIME_TEXT, "The upstream server is timing out", id, out, sizeof(out));
    CHECK_EQ_STR(out, "The upstream server is timing out\n"
                      "request_id: 0123456789abcdef0123456789abcdef\n");
    CHECK(strstr(sl_mime_content_type(SL_MIME_JSON), "application/json") != NULL);
    CHECK_EQ_INT(sl_err_info(SL_ERR_NO_ROUTE)->status, 404);
    CHECK_EQ_INT(sl_err_info(SL_ERR_UPSTREAM_TIMEOUT)->status, 504);
    CHECK_EQ_INT(sl_err_info(SL_ERR_UPSTREAM_BAD)->status, 502);
    CHECK(sl_err_info(SL_ERR_UPSTREAM_BAD)->nginx_level);
    CHECK(!sl_err_info(SL_ERR_NO_ROUTE)->nginx_level);
    /* truncation keeps a NUL inside the buffer */
    size_t n = sl_err_body(SL_MIME_JSON, "x", id, out, 10);
    CHECK_EQ_INT(n, 9);
}

static void test_hop_by_hop(void)
{
    sl_header_t hs[] = {
        {SL_SLICE_LIT("Connection"), SL_SLICE_LIT("keep-alive, X-Secret , close")},
        {SL_SLICE_LIT("X-Secret"), SL_SLICE_LIT("1")},
    };
    sl_conn_tokens_t t;
    sl_conn_tokens_parse(&t, hs, 2);
    CHECK(t.close && t.keep_alive && !t.upgrade);
    CHECK_EQ_INT(t.n, 1);
    CHECK(sl_header_is_hop_by_hop(SL_SLICE_LIT("x-secret"), &t));
    CHECK(sl_header_is_hop_by_hop(SL_SLICE_LIT("Keep-Alive"), &t));
    CHECK(sl_header_is_hop_by_hop(SL_SLICE_LIT("TRANSFER-ENCODING"), NULL));
    CHECK(sl_header_is_hop_by_hop(SL_SLICE_LIT("Proxy"), NULL));
    CHECK(sl_header_is_hop_by_hop(SL_SLICE_LIT("proxy-connection"), NULL));
    CHECK(!sl_header_is_hop_by_hop(SL_SLICE_LIT("Proxy-Authorization"), NULL));
    CHECK(!sl_header_is_hop_by_hop(SL_SLICE_LIT("X-Other"), &t));
    CHECK(sl_header_has_token(SL_SLICE_LIT("gzip, Trailers"), "trailers"));
    CHECK(!sl_header_has_token(SL_SLICE_LIT("trailersx"), "trailers"));
}

int main(void)
{
    test_accept();
    test_templates();
    test_hop_by_hop();
    TEST_MAIN_END();
}
