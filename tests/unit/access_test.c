/*
 * access_test.c - the JSON access log (access.c): a full line parses with
 * jansson and holds every field with its value; absent values are null;
 * quotes, backslashes, control characters and invalid UTF-8 are escaped so
 * a hostile header cannot forge a line; oversized values are cut and the
 * line stays whole; the access_log directive takes stderr, off or a file in
 * a writable folder, and a file destination gets the lines appended.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "conf.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

static char line[YB_ACCESS_LINE_MAX];
static char err[512];

static const struct yb_access full = {
    .infno = "2207",
    .msgid = "H45019900055202611231000000001",
    .fixmedins_code = "H45019900055",
    .route = "national",
    .outcome = "ok",
    .http = 200,
    .ms = 12.3456,
    .up_ms = 10.0021,
    .calls = 2,
    .caller = "relay-hunan",
    .why = "cross_province: insuplc_admdvs 430100 matched route 43",
    .hops = "relay-hunan,ybgw",
    .journal = 42,
    .infcode = "0",
};

/* Format a, check the line's shape, and parse it. */
static json_t *parse(const struct yb_access *a)
{
    size_t n = yb_access_format(a, line, sizeof(line));
    CU_ASSERT_EQUAL(n, strlen(line));
    CU_ASSERT_FATAL(n > 2);
    CU_ASSERT_EQUAL(line[n - 1], '\n');
    CU_ASSERT_PTR_NULL(memchr(line, '\n', n - 1)); /* one line */
    json_error_t jerr;
    json_t *j = json_loadb(line, n, 0, &jerr);
    if (!j)
        fprintf(stderr, "not JSON (%s): %s\n", jerr.text, line);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT(json_is_object(j));
    return j;
}

static const char *str(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_every_field(void)
{
    json_t *j = parse(&full);
    static const char *const keys[] = {
        "time", "level", "log",   "infno",  "msgid", "fixmedins_code", "route",   "outcome", "http",
        "ms",   "up_ms", "calls", "caller", "why",   "hops",           "journal", "infcode"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        CU_ASSERT_PTR_NOT_NULL(json_object_get(j, keys[i]));
    CU_ASSERT_EQUAL(json_object_size(j), sizeof(keys) / sizeof(keys[0]));
    CU_ASSERT_STRING_EQUAL(str(j, "level"), "info");
    CU_ASSERT_STRING_EQUAL(str(j, "log"), "access");
    CU_ASSERT_STRING_EQUAL(str(j, "infno"), "2207");
    CU_ASSERT_STRING_EQUAL(str(j, "msgid"), "H45019900055202611231000000001");
    CU_ASSERT_STRING_EQUAL(str(j, "fixmedins_code"), "H45019900055");
    CU_ASSERT_STRING_EQUAL(str(j, "route"), "national");
    CU_ASSERT_STRING_EQUAL(str(j, "outcome"), "ok");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "http")), 200);
    CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(j, "ms")), 12.346, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(j, "up_ms")), 10.002, 1e-9);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "calls")), 2);
    CU_ASSERT_STRING_EQUAL(str(j, "caller"), "relay-hunan");
    CU_ASSERT_STRING_EQUAL(str(j, "why"), full.why);
    CU_ASSERT_STRING_EQUAL(str(j, "hops"), "relay-hunan,ybgw");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "journal")), 42);
    CU_ASSERT(json_is_integer(json_object_get(j, "infcode")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "infcode")), 0);
    /* 2026-11-23T10:00:00.123+08:00 */
    const char *t = str(j, "time");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(strlen(t), 29);
    CU_ASSERT_EQUAL(t[10], 'T');
    CU_ASSERT_EQUAL(t[19], '.');
    CU_ASSERT(t[23] == '+' || t[23] == '-');
    CU_ASSERT_EQUAL(t[26], ':');
    /* the order an operator reads: time first */
    CU_ASSERT_EQUAL(strncmp(line, "{\"time\":\"", 9), 0);
    json_decref(j);
}

static void test_absent_is_null(void)
{
    struct yb_access a = {.outcome = "rejected", .http = 413, .infno = "", .msgid = ""};
    json_t *j = parse(&a);
    static const char *const nulls[] = {"infno", "msgid", "fixmedins_code", "route",  "caller",
                                        "why",   "hops",  "journal",        "infcode"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        CU_ASSERT(json_is_null(json_object_get(j, nulls[i])));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "http")), 413);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "calls")), 0);
    json_decref(j);

    /* a platform that sends infcode as a string, or something odder */
    a.infcode = "-1";
    j = parse(&a);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "infcode")), -1);
    json_decref(j);
    a.infcode = "0 OK";
    j = parse(&a);
    CU_ASSERT_STRING_EQUAL(str(j, "infcode"), "0 OK");
    json_decref(j);
    a.infcode = "-";
    j = parse(&a);
    CU_ASSERT_STRING_EQUAL(str(j, "infcode"), "-");
    json_decref(j);
    /* a clock that went wrong gives 0, not nan */
    a.ms = 0.0 / 0.0;
    a.up_ms = -5;
    j = parse(&a);
    CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(j, "ms")), 0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(j, "up_ms")), 0, 1e-9);
    json_decref(j);
}

static void test_escaping(void)
{
    struct yb_access a = full;
    a.caller = "evil\"},\"outcome\":\"ok";
    a.why = "line one\nline two\r\t\x01\x7f back\\slash";
    a.hops = "bad\xff\xfe utf8 \xe5\xbc half, 张三 fine";
    a.msgid = "H4501\x1b[31m";
    json_t *j = parse(&a);
    CU_ASSERT_STRING_EQUAL(str(j, "caller"), "evil\"},\"outcome\":\"ok");
    CU_ASSERT_STRING_EQUAL(str(j, "outcome"), "ok");
    CU_ASSERT_STRING_EQUAL(str(j, "why"), "line one\nline two\r\t\x01\x7f back\\slash");
    CU_ASSERT_STRING_EQUAL(
        str(j, "hops"),
        "bad\xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd half, 张三 fine");
    CU_ASSERT_STRING_EQUAL(str(j, "msgid"), "H4501\x1b[31m");
    /* the raw line has no control byte at all */
    for (const char *p = line; *p && *p != '\n'; p++)
        CU_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
    json_decref(j);
}

static void test_caps(void)
{
    static char huge[20000];
    memset(huge, 'h', sizeof(huge) - 1);
    static char quotes[20000];
    memset(quotes, '\x01', sizeof(quotes) - 1); /* six bytes each once escaped */
    struct yb_access a = full;
    a.hops = huge;
    a.why = quotes;
    a.caller = huge;
    a.msgid = huge;
    a.route = quotes;
    a.fixmedins_code = huge;
    a.infno = huge;
    a.outcome = quotes;
    a.infcode = huge;
    json_t *j = parse(&a);
    CU_ASSERT(strlen(line) < YB_ACCESS_LINE_MAX);
    const char *hops = str(j, "hops");
    CU_ASSERT_PTR_NOT_NULL_FATAL(hops);
    CU_ASSERT(strlen(hops) < 1300);
    CU_ASSERT_EQUAL(strcmp(hops + strlen(hops) - 3, "..."), 0);
    CU_ASSERT_PTR_NOT_NULL(str(j, "why"));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "journal")), 42);
    json_decref(j);

    /* a tiny buffer still gets a terminated line */
    char small[16];
    size_t n = yb_access_format(&full, small, sizeof(small));
    CU_ASSERT_EQUAL(n, strlen(small));
    CU_ASSERT(n < sizeof(small));
    CU_ASSERT_EQUAL(small[n - 1], '\n');
    CU_ASSERT_EQUAL(yb_access_format(&full, small, 0), 0);
}

struct holder {
    int pad;
    struct yb_access_dest *dest;
};

static const struct yb_conf_command commands[] = {
    {"access_log", 1, 1, 0, yb_access_conf, offsetof(struct holder, dest), 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

static int load(struct holder *h, const char *text)
{
    struct yb_conf *root = yb_conf_parse_string("t.conf", text, strlen(text), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    int rc = yb_conf_apply(root, commands, h, err, sizeof(err));
    yb_conf_free(root);
    return rc;
}

static void test_destination(void)
{
    char dir[] = "/tmp/access_test.XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[256], text[512];
    snprintf(path, sizeof(path), "%s/access.log", dir);

    struct holder h = {0, NULL};
    CU_ASSERT_EQUAL(load(&h, "access_log stderr;\naccess_log off;\n"), 0);
    CU_ASSERT_PTR_NOT_NULL(h.dest);
    yb_access_write(h.dest, &full); /* off: nothing, and no crash */
    yb_access_dest_free(h.dest);

    h.dest = NULL;
    snprintf(text, sizeof(text), "access_log %s;\n", path);
    CU_ASSERT_EQUAL(load(&h, text), 0);
    CU_ASSERT_EQUAL(access(path, F_OK), -1); /* opened by the first line, not by loading */
    yb_access_write(h.dest, &full);
    struct yb_access second = full;
    second.infno = "2208";
    yb_access_write(h.dest, &second);
    yb_access_dest_free(h.dest);
    char *got = yb_test_read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    char *nl = strchr(got, '\n');
    CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"infno\":\"2207\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(nl, "\"infno\":\"2208\""));
    CU_ASSERT_EQUAL(strlen(nl + 1), strcspn(nl + 1, "\n") + 1); /* exactly two lines */
    free(got);

    h.dest = NULL;
    snprintf(text, sizeof(text), "\naccess_log %s/no/such/folder/a.log;\n", dir);
    CU_ASSERT_EQUAL(load(&h, text), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "folder cannot be written"));
    CU_ASSERT_PTR_NULL(h.dest);
    CU_ASSERT_EQUAL(load(&h, "access_log /tmp/;\n"), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "stderr, off or a file"));

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_every_field), YB_TEST(test_absent_is_null), YB_TEST(test_escaping),
        YB_TEST(test_caps),        YB_TEST(test_destination),    YB_TEST_END,
    };
    return yb_test_main("access", tests);
}
