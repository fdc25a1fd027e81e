/*
 * Kong's error tree: where failed loads place their errors (nested entities, records, array
 * elements, plugin configs, references, uniqueness, text that does not parse) and how the
 * tree is written, as cJSON encodes it and as penlight's pl.pretty.write(t, "") does.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/errtree.c"
#include "config/load.h"
#include "plugin/plugin.h"
#include "test.h"

/* Loads <text> (YAML or JSON, as POST /config does), expecting failure; returns Kong's
 * fields as compact JSON and sets *<message> (both caller-frees). */
static char *fields_of(const char *text, char **message)
{
    sl_diag_t d;
    sl_diag_init(&d, NULL);
    sl_config_t *cfg = NULL;
    int rc = sl_config_load_text(NULL, text, strlen(text), SL_CONFIG_FMT_AUTO, sl_plugin_lookup,
                                 &cfg, &d);
    CHECK(rc != 0);
    sl_config_free(cfg);
    for (size_t i = 0; i < d.n; i++)
        CHECK(d.v[i].about.node == NULL); /* nothing points into the freed node tree */
    sl_diag_sort(&d);
    cJSON *fields;
    char *msg;
    sl_errtree_render(&d, &fields, &msg);
    char *json = cJSON_PrintUnformatted(fields);
    cJSON_Delete(fields);
    sl_diag_free(&d);
    char *out = strdup(json);
    cJSON_free(json);
    if (message != NULL)
        *message = msg;
    else
        free(msg);
    return out;
}

#define CHECK_FIELDS(text, json, lua)                                                              \
    do {                                                                                           \
        char *_msg;                                                                                \
        char *_f = fields_of((text), &_msg);                                                       \
        CHECK_EQ_STR(_f, (json));                                                                  \
        CHECK_EQ_STR(_msg, "declarative config is invalid: " lua);                                 \
        free(_f);                                                                                  \
        free(_msg);                                                                                \
    } while (0)

#define HEAD "_format_version: \"3.0\"\n"

static void test_nested_entities(void)
{
    CHECK_FIELDS(HEAD "services:\n"
                      "  - name: s\n"
                      "    host: h\n"
                      "    routes:\n"
                      "      - name: r\n"
                      "        paths: [/a]\n"
                      "        strip_pth: true\n",
                 "{\"services\":[{\"routes\":[{\"strip_pth\":\"unknown field\"}]}]}",
                 "{services={{routes={{strip_pth=\"unknown field\"}}}}}");
    /* entities without errors are nulls in JSON and absent in Lua */
    CHECK_FIELDS(HEAD "services:\n"
                      "  - { name: a, host: h }\n"
                      "  - name: b\n"
                      "    host: h\n"
                      "    port: eighty\n"
                      "    routes:\n"
                      "      - { name: r1, paths: [/a] }\n"
                      "      - { name: r2, paths: [/b, 5] }\n",
                 "{\"services\":[null,{\"port\":\"expected an integer\",\"routes\":[null,{\"paths\":"
                 "[null,\"expected a string\"]}]}]}",
                 "{services={[2]={port=\"expected an integer\",routes={[2]={paths={[2]=\"expected "
                 "a string\"}}}}}}");
}

static void test_records_and_entity_checks(void)
{
    CHECK_FIELDS(HEAD "upstreams:\n"
                      "  - name: u\n"
                      "    healthchecks:\n"
                      "      active:\n"
                      "        intervl: 5\n"
                      "routes:\n"
                      "  - name: r\n",
                 "{\"upstreams\":[{\"healthchecks\":{\"active\":{\"intervl\":\"unknown field\"}}}],"
                 "\"routes\":[{\"@entity\":[\"must set one of 'methods', 'hosts', 'headers', "
                 "'paths', 'snis' when 'protocols' is 'https'\"]}]}",
                 "{routes={{[\"@entity\"]={\"must set one of 'methods', 'hosts', 'headers', "
                 "'paths', 'snis' when 'protocols' is 'https'\"}}},upstreams={{healthchecks="
                 "{active={intervl=\"unknown field\"}}}}}");
    /* a missing field is keyed by its name, at the top level too */
    CHECK_FIELDS("services:\n  - name: s\n",
                 "{\"_format_version\":\"required field missing\",\"services\":[{\"host\":"
                 "\"required field missing\"}]}",
                 "{_format_version=\"required field missing\",services={{host=\"required field "
                 "missing\"}}}");
}

static void test_plugin_configs(void)
{
    CHECK_FIELDS(HEAD "plugins:\n"
                      "  - name: key-auth\n"
                      "    config:\n"
                      "      key_name: [k]\n"
                      "  - name: file-log\n"
                      "  - name: acl\n"
                      "    config: {}\n"
                      "  - name: rate-limiting\n"
                      "    config:\n"
                      "      minute: 5\n"
                      "      limit_by: header\n",
                 "{\"plugins\":[{\"config\":{\"key_name\":\"unknown field\"}},{\"config\":{\"path\":"
                 "\"required field missing\"}},{\"@entity\":[\"at least one of these fields must "
                 "be non-empty: 'config.allow', 'config.deny'\"]},{\"config\":{\"header_name\":"
                 "\"required field missing\"}}]}",
                 "{plugins={{config={key_name=\"unknown field\"}},{config={path=\"required field "
                 "missing\"}},{[\"@entity\"]={\"at least one of these fields must be non-empty: "
                 "'config.allow', 'config.deny'\"}},{config={header_name=\"required field "
                 "missing\"}}}}");
}

static void test_references_and_uniqueness(void)
{
    CHECK_FIELDS(HEAD "routes:\n"
                      "  - name: r1\n"
                      "    paths: [/a]\n"
                      "    service: nope\n"
                      "consumers:\n"
                      "  - username: bob\n"
                      "  - username: bob\n",
                 "{\"routes\":{\"r1\":[\"invalid reference 'service: nope' (no such entry in "
                 "'services')\"]},\"consumers\":[null,\"uniqueness violation: 'consumers' entity "
                 "with username set to 'bob' already declared\"]}",
                 "{consumers={[2]=\"uniqueness violation: 'consumers' entity with username set "
                 "to 'bob' already declared\"},routes={r1={\"invalid reference 'service: nope' (no "
                 "such entry in 'services')\"}}}");
    /* without a name, the entity's id keys it */
    CHECK_FIELDS(HEAD "routes:\n"
                      "  - id: 8a1b1e9e-8d2f-4b3a-9c1d-2e3f4a5b6c7d\n"
                      "    paths: [/a]\n"
                      "    service: nope\n",
                 "{\"routes\":{\"8a1b1e9e-8d2f-4b3a-9c1d-2e3f4a5b6c7d\":[\"invalid reference "
                 "'service: nope' (no such entry in 'services')\"]}}",
                 "{routes={[\"8a1b1e9e-8d2f-4b3a-9c1d-2e3f4a5b6c7d\"]={\"invalid reference "
                 "'service: nope' (no such entry in 'services')\"}}}");
}

static void test_parse_failures(void)
{
    CHECK_FIELDS("a: [1\n",
                 "{\"error\":\"failed parsing declarative configuration: did not find expected "
                 "',' or ']' while parsing a flow sequence\"}",
                 "{error=\"failed parsing declarative configuration: did not find expected ',' "
                 "or ']' while parsing a flow sequence\"}");
    CHECK_FIELDS("- 1\n",
                 "{\"error\":\"failed parsing declarative configuration: expected an object\"}",
                 "{error=\"failed parsing declarative configuration: expected an object\"}");
    /* JSON, as POST /config takes it */
    CHECK_FIELDS("{\"_format_version\":\"3.0\",\"services\":[{\"name\":\"s\",\"host\":\"h\","
                 "\"retries\":\"x\"}]}",
                 "{\"services\":[{\"retries\":\"expected an integer\"}]}",
                 "{services={{retries=\"expected an integer\"}}}");
}

/* ---- rendering, on trees built by hand ---- */

static void add(tnode_t *root, sl_arena_t *a, bool append, const char *text, int n, ...)
{
    pstep_t steps[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *k = va_arg(ap, const char *);
        if (k[0] == '#')
            steps[i] = (pstep_t){.index = (size_t)atoi(k + 1)};
        else
            steps[i] = (pstep_t){.s = k, .len = strlen(k)};
    }
    va_end(ap);
    sl_diag_place_t *pl = make_place(steps, (size_t)n, append, NULL, text);
    insert(a, root, pl);
    free(pl);
}

static char *lua_of(const tnode_t *t)
{
    buf_t b = {0};
    to_lua(&b, t);
    return b.p;
}

static char *json_of(const tnode_t *t)
{
    cJSON *j = to_json(t);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    char *out = strdup(s);
    cJSON_free(s);
    return out;
}

static void test_rendering(void)
{
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    tnode_t *root = sl_arena_calloc(&a, 1, sizeof(*root));
    char *s = lua_of(root);
    CHECK_EQ_STR(s, "{}");
    free(s);
    s = json_of(root);
    CHECK_EQ_STR(s, "{}");
    free(s);

    /* array part, sorted names (identifiers bare, others quoted, keywords quoted), then the
     * other positions ascending */
    add(root, &a, false, "a", 3, "t", "#0", "zeta");
    add(root, &a, false, "b", 3, "t", "#4", "alpha");
    add(root, &a, false, "c", 3, "t", "#2", "x");
    add(root, &a, false, "d", 2, "t", "end");
    add(root, &a, false, "e", 2, "t", "my-name");
    add(root, &a, true, "f", 2, "t", "@entity");
    add(root, &a, true, "g", 2, "t", "@entity");
    add(root, &a, false, "first", 2, "t", "end");        /* the first one stays */
    add(root, &a, false, "under a text", 3, "t", "end", "x");
    s = lua_of(root);
    CHECK_EQ_STR(s, "{t={{zeta=\"a\"},[\"@entity\"]={\"f\",\"g\"},[\"end\"]=\"d\",[\"my-name\"]="
                    "\"e\",[3]={x=\"c\"},[5]={alpha=\"b\"}}}");
    free(s);
    s = json_of(root);
    CHECK_EQ_STR(s, "{\"t\":{\"1\":{\"zeta\":\"a\"},\"5\":{\"alpha\":\"b\"},\"3\":{\"x\":\"c\"},"
                    "\"end\":\"d\",\"my-name\":\"e\",\"@entity\":[\"f\",\"g\"]}}");
    free(s);

    /* quoting: %q escapes, long brackets when the text holds a newline or "[[" */
    tnode_t *q = sl_arena_calloc(&a, 1, sizeof(*q));
    add(q, &a, false, "say \"hi\" \\ now", 1, "a");
    add(q, &a, false, "tab\there\0017", 1, "b");
    add(q, &a, false, "two\nlines", 1, "c");
    add(q, &a, false, "x[[y]]z", 1, "d");
    add(q, &a, false, "x]=]y", 1, "e");
    s = lua_of(q);
    CHECK_EQ_STR(s, "{a=\"say \\\"hi\\\" \\\\ now\",b=\"tab\\9here\\0017\",c=[[two\nlines]],"
                    "d=[=[x[[y]]z]=],e=[==[x]=]y]==]}");
    free(s);

    /* arrays: holes are nulls; too sparse past 2^15 becomes an object, as cjson needs */
    tnode_t *arr = sl_arena_calloc(&a, 1, sizeof(*arr));
    add(arr, &a, false, "x", 2, "s", "#2");
    add(arr, &a, false, "y", 2, "big", "#40000");
    s = json_of(arr);
    CHECK_EQ_STR(s, "{\"s\":[null,null,\"x\"],\"big\":{\"40001\":\"y\"}}");
    free(s);
    s = lua_of(arr);
    CHECK_EQ_STR(s, "{big={[40001]=\"y\"},s={[3]=\"x\"}}");
    free(s);
    sl_arena_destroy(&a);
}

static void test_chains(void)
{
    CHECK_EQ_INT(chain_len("config.redis.host: required field missing"), 17);
    CHECK_EQ_INT(chain_len("path: required field missing"), 4);
    CHECK_EQ_INT(chain_len("expected one of: a, b"), 0);
    CHECK_EQ_INT(chain_len("'x' is not supported: y"), 0);
    CHECK_EQ_INT(chain_len("a.: b"), 0);
    CHECK_EQ_INT(chain_len("a:b"), 0);
}

int main(void)
{
    test_nested_entities();
    test_records_and_entity_checks();
    test_plugin_configs();
    test_references_and_uniqueness();
    test_parse_failures();
    test_rendering();
    test_chains();
    TEST_MAIN_END();
}
