/*
 * conf_test.c - the configuration language and the gateway's settings:
 * values parse, and every kind of mistake names its file and line.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "settings.h"
#include "testutil.h"

static char err[1024];

static struct yb_conf *parse(const char *text)
{
    err[0] = '\0';
    return yb_conf_parse_string("t.conf", text, strlen(text), err, sizeof(err));
}

static void test_parses_directives_blocks_quotes(void)
{
    struct yb_conf *c = parse("a 1 2;\n# comment\nb \"x y\" 'z;' { c; d e; }\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    const struct yb_conf *a = yb_conf_find(c, "a");
    CU_ASSERT_EQUAL(a->argc, 2);
    CU_ASSERT_STRING_EQUAL(a->argv[1], "2");
    const struct yb_conf *b = yb_conf_find(c, "b");
    CU_ASSERT_STRING_EQUAL(b->argv[0], "x y");
    CU_ASSERT_STRING_EQUAL(b->argv[1], "z;");
    CU_ASSERT_EQUAL(b->line, 3);
    CU_ASSERT_STRING_EQUAL(yb_conf_value(b, "d"), "e");
    yb_conf_free(c);
}

static void test_errors_name_file_and_line(void)
{
    CU_ASSERT_PTR_NULL(parse("a 1;\nb 2\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:3: directive \"b\" has no ending \";\""));
    CU_ASSERT_PTR_NULL(parse("a {\n b;\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "a \"}\" is missing"));
    CU_ASSERT_PTR_NULL(parse("a;\n}\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2: unexpected \"}\""));
    CU_ASSERT_PTR_NULL(parse("a \"open;\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:1: unterminated quoted string"));
    CU_ASSERT_PTR_NULL(parse(";"));
    CU_ASSERT_PTR_NULL(parse("include /nonexistent/file.conf;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no such file"));
}

static void test_depth_and_token_limits(void)
{
    char deep[200] = "";
    for (int i = 0; i < 20; i++)
        strcat(deep, "a{");
    CU_ASSERT_PTR_NULL(parse(deep));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nested deeper"));
    static char big[YB_CONF_MAX_TOKEN + 16];
    memset(big, 'x', sizeof(big) - 2);
    big[sizeof(big) - 2] = ';';
    big[sizeof(big) - 1] = '\0';
    CU_ASSERT_PTR_NULL(parse(big));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "token longer"));
    CU_ASSERT_PTR_NULL(yb_conf_parse_string("t.conf", "a\0b;", 4, err, sizeof(err)));
}

static void test_value_parsers(void)
{
    size_t sz;
    long ms;
    unsigned long u;
    CU_ASSERT_EQUAL(yb_parse_size("64k", &sz), 0);
    CU_ASSERT_EQUAL(sz, 65536);
    CU_ASSERT_EQUAL(yb_parse_size("1m", &sz), 0);
    CU_ASSERT_EQUAL(sz, 1048576);
    CU_ASSERT_NOT_EQUAL(yb_parse_size("1x", &sz), 0);
    CU_ASSERT_NOT_EQUAL(yb_parse_size("", &sz), 0);
    CU_ASSERT_EQUAL(yb_parse_msec("250ms", &ms), 0);
    CU_ASSERT_EQUAL(ms, 250);
    CU_ASSERT_EQUAL(yb_parse_msec("2s", &ms), 0);
    CU_ASSERT_EQUAL(ms, 2000);
    CU_ASSERT_EQUAL(yb_parse_msec("1m", &ms), 0);
    CU_ASSERT_EQUAL(ms, 60000);
    CU_ASSERT_NOT_EQUAL(yb_parse_msec("soon", &ms), 0);
    CU_ASSERT_NOT_EQUAL(yb_parse_uint("3", 2, &u), 0);
    CU_ASSERT_NOT_EQUAL(yb_parse_uint("99999999999999999999999", 0xFFFFFFFFul, &u), 0);
    CU_ASSERT_EQUAL(yb_parse_uint("4294967295", 0xFFFFFFFFul, &u), 0);
}

static struct yb_settings *settings(const char *text)
{
    char path[] = "/tmp/ybgw-conf-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    err[0] = '\0';
    struct yb_settings *s = yb_settings_load(path, err, sizeof(err));
    unlink(path);
    return s;
}

static void test_default_configuration_loads(void)
{
    struct yb_settings *s = yb_settings_load(yb_test_srcpath("conf/ybgw.conf"), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s->listen, "127.0.0.1:9800");
    CU_ASSERT_STRING_EQUAL(s->admin_listen, "127.0.0.1:9801");
    CU_ASSERT_EQUAL(s->max_body, 1048576);
    CU_ASSERT_PTR_NULL(s->default_upstream); /* the offsite plugin routes */
    CU_ASSERT_EQUAL(s->n_upstreams, 2);
    CU_ASSERT_STRING_EQUAL(s->node_name, "H45019900055");
    CU_ASSERT(yb_settings_retry_safe(s, "1101"));
    CU_ASSERT(yb_settings_retry_safe(s, "1312"));
    CU_ASSERT(!yb_settings_retry_safe(s, "2207"));
    CU_ASSERT_EQUAL(yb_settings_kind_policy(s, "doctor"), YB_POLICY_WARN);
    CU_ASSERT_EQUAL(yb_settings_kind_policy(s, "drug"), YB_POLICY_REJECT);
    CU_ASSERT_EQUAL(s->n_plugins, 18); /* admdvs, the 15 coding standards, catalog, offsite */
    yb_settings_free(s);
}

static void test_settings_errors(void)
{
    const char *ups = "upstream u { endpoint http://127.0.0.1:1/; }\n";
    char text[512];
    struct {
        const char *body, *expect;
    } cases[] = {
        {"nosuch 1;", ":2: unknown directive \"nosuch\""},
        {"workers 0;", "workers must be 1 to"},
        {"listen nowhere;", "is not an address"},
        {"read_timeout soon;", "is not a duration"},
        {"max_body 10;", "max_body must be between"},
        {"default_upstream other;", "default_upstream \"other\" is not a configured upstream"},
        {"codes { drug maybe; }", "takes one of reject, warn, off"},
        {"codes { drug warn; drug off; }", "is set twice"},
        {"envelope { msgid sometimes; }", "\"msgid\" takes one of reject, warn, off"},
        {"upstream u { endpoint http://127.0.0.1:2/; }", "defined twice"},
        {"listen 1 2;", "\"listen\" takes 1 argument, got 2"},
        {"envelope;", "needs a { ... } block"},
        {"plugin ../evil;", "must be 1-64 of"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "%s%s\n", ups, cases[i].body);
        struct yb_settings *s = settings(text);
        CU_ASSERT_PTR_NULL(s);
        if (!strstr(err, cases[i].expect))
            fprintf(stderr, "case %zu: got \"%s\", wanted \"%s\"\n", i, err, cases[i].expect);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].expect));
        yb_settings_free(s);
    }
    CU_ASSERT_PTR_NULL(settings("listen 127.0.0.1:9800;\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no upstream is configured"));
}

static void test_hostport(void)
{
    char host[64];
    unsigned short port;
    CU_ASSERT_EQUAL(yb_split_hostport("127.0.0.1:9800", host, sizeof(host), &port), 0);
    CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
    CU_ASSERT_EQUAL(port, 9800);
    CU_ASSERT_EQUAL(yb_split_hostport("[::1]:80", host, sizeof(host), &port), 0);
    CU_ASSERT_STRING_EQUAL(host, "::1");
    CU_ASSERT_NOT_EQUAL(yb_split_hostport("127.0.0.1:0", host, sizeof(host), &port), 0);
    CU_ASSERT_NOT_EQUAL(yb_split_hostport("127.0.0.1:70000", host, sizeof(host), &port), 0);
    CU_ASSERT_NOT_EQUAL(yb_split_hostport(":80", host, sizeof(host), &port), 0);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_parses_directives_blocks_quotes),
        YB_TEST(test_errors_name_file_and_line),
        YB_TEST(test_depth_and_token_limits),
        YB_TEST(test_value_parsers),
        YB_TEST(test_default_configuration_loads),
        YB_TEST(test_settings_errors),
        YB_TEST(test_hostport),
        YB_TEST_END,
    };
    return yb_test_main("conf", tests);
}
