/* Unit tests for core/cidr.c: address and range syntax, host bits, v4/v6 matching. */
#include "core/cidr.h"

#include "test.h"

static int parse(const char *s, sl_cidr_t *c)
{
    return sl_cidr_parse(s, strlen(s), c);
}

static bool in(const char *range, const char *addr)
{
    sl_cidr_t c;
    sl_ip_t ip;
    if (parse(range, &c) != 0 || sl_ip_parse(addr, strlen(addr), &ip) != 0)
        return false;
    return sl_cidr_match(&c, &ip);
}

static void test_parse(void)
{
    sl_cidr_t c;
    CHECK_EQ_INT(parse("10.0.0.1", &c), 0);
    CHECK_EQ_INT(c.net.family, SL_IP_V4);
    CHECK_EQ_INT(c.bits, 32);
    CHECK_EQ_INT(parse("10.1.2.3/8", &c), 0);
    CHECK_EQ_INT(c.bits, 8);
    CHECK_EQ_INT(c.net.b[0], 10);
    CHECK_EQ_INT(c.net.b[1], 0); /* host bits cleared */
    CHECK_EQ_INT(parse("0.0.0.0/0", &c), 0);
    CHECK_EQ_INT(c.bits, 0);
    CHECK_EQ_INT(parse("::/0", &c), 0);
    CHECK_EQ_INT(c.net.family, SL_IP_V6);
    CHECK_EQ_INT(parse("2001:db8::/32", &c), 0);
    CHECK_EQ_INT(c.bits, 32);
    CHECK_EQ_INT(parse("::1", &c), 0);
    CHECK_EQ_INT(c.bits, 128);
    CHECK_EQ_INT(parse("::ffff:1.2.3.4", &c), 0);
    CHECK_EQ_INT(parse("10.0.0.0/12", &c), 0);
    CHECK_EQ_INT(c.net.b[1], 0);

    const char *bad[] = {"", "/8", "10.0.0.1/", "10.0.0.1/33", "::1/129", "10.0.0", "10.1",
                         "256.0.0.1", "01.2.3.4", "1.2.3.4/08", "1.2.3.4/-1", "1.2.3.4/+8",
                         "1.2.3.4 ", " 1.2.3.4", "example.com", "1.2.3.4/8/8", "[::1]",
                         "::1%eth0", "1.2.3.4:80", "1:2:3:4:5:6:7:8:9", "10.0.0.1/1000",
                         "0x7f.0.0.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &c) == 0)
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
        CHECK(parse(bad[i], &c) != 0);
    }
    /* an embedded NUL is not the end of the text */
    CHECK(sl_cidr_parse("1.2.3.4\0/8", 10, &c) != 0);
    /* a length that stops early */
    CHECK_EQ_INT(sl_cidr_parse("1.2.3.4/24xyz", 10, &c), 0);
    CHECK_EQ_INT(c.bits, 24);
}

static void test_match(void)
{
    CHECK(in("10.0.0.0/8", "10.255.1.2"));
    CHECK(!in("10.0.0.0/8", "11.0.0.1"));
    CHECK(in("192.168.1.0/25", "192.168.1.127"));
    CHECK(!in("192.168.1.0/25", "192.168.1.128"));
    CHECK(in("0.0.0.0/0", "203.0.113.9"));
    CHECK(!in("0.0.0.0/0", "::1"));
    CHECK(in("::/0", "2001:db8::1"));
    CHECK(!in("::/0", "1.2.3.4"));
    CHECK(in("2001:db8::/32", "2001:db8:ffff::1"));
    CHECK(!in("2001:db8::/32", "2001:db9::1"));
    CHECK(in("2001:db8::/127", "2001:db8::1"));
    CHECK(!in("2001:db8::/127", "2001:db8::2"));
    CHECK(in("1.2.3.4", "1.2.3.4"));
    CHECK(!in("1.2.3.4", "1.2.3.5"));
    /* IPv4-mapped IPv6 addresses count as their IPv4 address against IPv4 ranges */
    CHECK(in("10.0.0.0/8", "::ffff:10.1.1.1"));
    CHECK(!in("10.0.0.0/8", "::ffff:11.1.1.1"));
    CHECK(!in("10.0.0.0/8", "::10.1.1.1"));

    sl_cidr_t list[2];
    sl_ip_t ip;
    CHECK_EQ_INT(parse("10.0.0.0/8", &list[0]), 0);
    CHECK_EQ_INT(parse("::1", &list[1]), 0);
    CHECK_EQ_INT(sl_ip_parse("::1", 3, &ip), 0);
    CHECK(sl_cidr_list_match(list, 2, &ip));
    CHECK_EQ_INT(sl_ip_parse("9.9.9.9", 7, &ip), 0);
    CHECK(!sl_cidr_list_match(list, 2, &ip));
    CHECK(!sl_cidr_list_match(list, 0, &ip));
}

static void test_format(void)
{
    sl_ip_t ip;
    char out[SL_IP_TEXT_MAX];
    CHECK_EQ_INT(sl_ip_parse("2001:DB8:0:0::1", 15, &ip), 0);
    CHECK_EQ_INT(sl_ip_format(&ip, out, sizeof(out)), 11);
    CHECK_EQ_STR(out, "2001:db8::1");
    CHECK_EQ_INT(sl_ip_parse("203.0.113.7", 11, &ip), 0);
    sl_ip_format(&ip, out, sizeof(out));
    CHECK_EQ_STR(out, "203.0.113.7");
}

int main(void)
{
    test_parse();
    test_match();
    test_format();
    TEST_MAIN_END();
}
