/*
 * Nearest-name suggestions: the edit distance (adjacent swaps count once), its early stop,
 * and the choice rules (at most two edits, fewer than half the name, closest first, first of
 * equals, never the name itself).
 */
#include <string.h>

#include "config/suggest.h"
#include "test.h"

static size_t dist(const char *a, const char *b)
{
    return sl_suggest_distance(a, strlen(a), b, strlen(b), 100);
}

static const char *best(const char *word, const char *const *names)
{
    sl_suggest_t s;
    sl_suggest_init(&s, word, strlen(word));
    sl_suggest_offer_all(&s, names);
    return sl_suggest_best(&s);
}

static void test_distance(void)
{
    CHECK_EQ_INT(dist("", ""), 0);
    CHECK_EQ_INT(dist("", "abc"), 3);
    CHECK_EQ_INT(dist("abc", ""), 3);
    CHECK_EQ_INT(dist("host", "host"), 0);
    CHECK_EQ_INT(dist("kitten", "sitting"), 3);
    CHECK_EQ_INT(dist("hots", "host"), 1);        /* one swap */
    CHECK_EQ_INT(dist("strip_pth", "strip_path"), 1);
    CHECK_EQ_INT(dist("Hosts", "hosts"), 1);      /* bytes: case counts */
    CHECK_EQ_INT(dist("ca", "abc"), 3);           /* no edit inside a swapped pair */
    /* past the limit the answer is only "more than the limit" */
    CHECK(sl_suggest_distance("abcdef", 6, "uvwxyz", 6, 2) > 2);
    CHECK(sl_suggest_distance("a", 1, "abcdef", 6, 2) > 2);
    CHECK_EQ_INT(sl_suggest_distance("paths", 5, "path", 4, 1), 1);
    /* names longer than SL_SUGGEST_MAX_LEN are never close */
    char longer[SL_SUGGEST_MAX_LEN + 2];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    CHECK(sl_suggest_distance(longer, strlen(longer), longer, strlen(longer), 2) > 2);
}

static void test_choice(void)
{
    static const char *const route[] = {"id", "name", "protocols", "methods", "hosts", "paths",
                                        "strip_path", "preserve_host", "service", NULL};
    CHECK_EQ_STR(best("strip_pth", route), "strip_path");
    CHECK_EQ_STR(best("path", route), "paths");
    CHECK_EQ_STR(best("Hosts", route), "hosts");
    CHECK(best("bogus", route) == NULL);
    CHECK(best("colour", route) == NULL);
    /* the unknown name itself (a key with a NUL byte reads as a known one) is no suggestion */
    CHECK(best("hosts", route) == NULL);

    /* fewer edits than half the name: "ab" -> "abc" is one edit of two bytes */
    static const char *const shorts[] = {"abc", "xy", NULL};
    CHECK(best("ab", shorts) == NULL);
    CHECK_EQ_STR(best("abd", shorts), "abc");
    CHECK(best("x", shorts) == NULL);

    /* closest wins whatever the order; among equals the first offered */
    static const char *const colors[] = {"colors", "color", NULL};
    CHECK_EQ_STR(best("colour", colors), "color");
    static const char *const ties[] = {"hosta", "hostb", NULL};
    CHECK_EQ_STR(best("hostc", ties), "hosta");
    /* at most two edits */
    static const char *const far[] = {"retries", NULL};
    CHECK_EQ_STR(best("retires", far), "retries");
    CHECK_EQ_STR(best("retrs", far), "retries");
    CHECK(best("rtrs", far) == NULL);

    /* one candidate at a time, as the schema tables offer them */
    sl_suggest_t s;
    sl_suggest_init(&s, "polcy", 5);
    CHECK(sl_suggest_best(&s) == NULL);
    sl_suggest_offer(&s, NULL);
    sl_suggest_offer(&s, "limit_by");
    sl_suggest_offer(&s, "policy");
    sl_suggest_offer(&s, "polic");
    CHECK_EQ_STR(sl_suggest_best(&s), "policy");
    sl_suggest_offer_all(&s, NULL);
    CHECK_EQ_STR(sl_suggest_best(&s), "policy");
}

int main(void)
{
    test_distance();
    test_choice();
    TEST_MAIN_END();
}
