/*
 * service_test.c - 医疗服务项目分类与代码 (kind service) through the real plugin
 * host: the real codes of the spec page pass and are explained segment by
 * segment, each rule has a negative (length, digits, prefix), a synthetic
 * official table gives membership and dates, the shipped sample gives only
 * warnings, and a field allowing drug|service|consumable finds the right
 * kind with each kind's match().
 *
 * Real codes (spec page): 001216000010100 (导尿, 留置导尿) and 004400000010100
 * (灸法, 艾条灸). Every other code here is SYNTHETIC: 15 digits, not a real item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cstest.h"

#define REAL_CATHETER "001216000010100"
#define REAL_MOXIBUSTION "004400000010100"

static struct yb_plugin_set *load(const char *directives, const char *db,
                                  const struct yb_code_kind **kind)
{
    char sections[1024];
    snprintf(sections, sizeof(sections), "plugin service { %s }", directives);
    struct yb_plugin_set *set = cstest_load(sections, db);
    *kind = set ? yb_plugins_kind(set, "service") : NULL;
    return set;
}

static const struct cstest_case structure_cases[] = {
    {REAL_CATHETER, YB_CODE_VALID, NULL, {NULL}},
    {REAL_MOXIBUSTION, YB_CODE_VALID, NULL, {NULL}},
    /* any 15 digits: the split is unverified, so no segment refuses digits */
    {"991216000019999", YB_CODE_VALID, NULL, {NULL}},
    {"00121600001010",
     YB_CODE_INVALID,
     "length",
     {"医疗服务项目 code must be 15 characters, got 14"}},
    {"0012160000101000", YB_CODE_INVALID, "length", {"must be 15 characters, got 16"}},
    /* a letter anywhere */
    {"0012X6000010100", YB_CODE_INVALID, "price_item", {"9 digits", "got \"12X600001\""}},
    {"0012160000101A0", YB_CODE_INVALID, "tail", {"2 digits", "got \"A0\""}},
    {"001216000010 00", YB_CODE_INVALID, "variant", {"2 digits"}},
    {"A01216000010100",
     YB_CODE_INVALID,
     "prefix",
     {"医疗服务项目 code must start with 2 digits", "got \"A01\""}},
    /* a drug code in a service field */
    {"XA01ABD075A002010100483", YB_CODE_INVALID, "prefix", {"got \"XA0\""}},
    {"", YB_CODE_INVALID, "length", {"out of range"}},
    {NULL, 0, NULL, {NULL}},
};

static void test_structure(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    CU_ASSERT_STRING_EQUAL(kind->standard, "医疗服务项目分类与代码");
    cstest_expect_cases(kind, structure_cases);
    yb_plugins_free(set);
}

static void test_explain_real_codes(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    static const char *const catheter[] = {
        "form: 医疗服务项目 (item, verified)",
        "split into segments is unverified",
        "lead: 00 = leading digits",
        "price_item: 121600001 = national service price item code",
        "variant: 01 = variant of the item",
        "tail: 00 = trailing digits",
        "membership not checked",
        NULL};
    cstest_expect_explain(kind, REAL_CATHETER, catheter);
    static const char *const moxibustion[] = {"lead: 00", "price_item: 440000001", "variant: 01",
                                              "tail: 00", NULL};
    cstest_expect_explain(kind, REAL_MOXIBUSTION, moxibustion);
    static const char *const bad[] = {"not a 医疗服务项目 code", "15 characters, got 14", NULL};
    cstest_expect_explain(kind, "00121600001010", bad);
    yb_plugins_free(set);
}

/* A SYNTHETIC official table (not a sample): none of these is a real item. */
static const char official_csv[] = "医疗服务项目代码,医疗服务项目名称,开始日期,结束日期\n"
                                   "009999999990100,synthetic current,2000-01-01,\n"
                                   "009999999980100,synthetic expired,2000-01-01,2001-12-31\n"
                                   "009999999970100,synthetic future,2999-01-01,\n"
                                   "00999999996010,refused: 14 digits,,\n";

static void test_official_table(void)
{
    char db[64];
    const struct yb_code_kind *kind;
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "service", official_csv, 0), 1);
    struct yb_plugin_set *set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "009999999990100", YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, "009999999960100", YB_CODE_INVALID, "table",
                   "医疗服务项目 code is not in the 医疗服务项目分类与代码 table");
    cstest_expect1(kind, REAL_CATHETER, YB_CODE_INVALID, "table", "not in the");
    cstest_expect1(kind, "009999999980100", YB_CODE_INVALID, "expired", "expired on 2001-12-31");
    cstest_expect1(kind, "009999999970100", YB_CODE_INVALID, "effective",
                   "not in effect until 2999-01-01");
    static const char *const entry[] = {"table: 医疗服务项目分类与代码 version",
                                        "synthetic current", NULL};
    cstest_expect_explain(kind, "009999999990100", entry);
    yb_plugins_free(set);

    set = load("membership warn; expired warn;", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "009999999960100", YB_CODE_WARN, "table", "not in the");
    cstest_expect1(kind, "009999999970100", YB_CODE_WARN, "effective", "2999-01-01");
    yb_plugins_free(set);
    unlink(db);
}

static char *read_sample(void)
{
    static char text[8192];
    FILE *f = fopen(yb_test_srcpath("codesets/service/sample.csv"), "r");
    if (!f)
        return NULL;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

static void test_sample_table(void)
{
    char db[64];
    const struct yb_code_kind *kind;
    const char *sample = read_sample();
    CU_ASSERT_PTR_NOT_NULL_FATAL(sample);

    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "service", sample, 1), 0);
    struct yb_plugin_set *set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, REAL_CATHETER, YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, REAL_MOXIBUSTION, YB_CODE_VALID, NULL, NULL);
    static const char *const named[] = {"导尿", NULL};
    cstest_expect_explain(kind, REAL_CATHETER, named);
    yb_plugins_free(set);
    unlink(db);

    /* a sample holding only the first real code: the other real code warns */
    const char *row2 = strstr(sample, REAL_MOXIBUSTION);
    CU_ASSERT_PTR_NOT_NULL_FATAL(row2);
    char partial[4096];
    snprintf(partial, sizeof(partial), "%.*s", (int)(row2 - sample), sample);
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "service", partial, 1), 0);
    set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, REAL_CATHETER, YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, REAL_MOXIBUSTION, YB_CODE_WARN, "table",
                   "is not in the SAMPLE 医疗服务项目分类与代码 table");
    yb_plugins_free(set);
    unlink(db);
}

static void test_match_among_kinds(void)
{
    struct yb_plugin_set *set =
        cstest_load("plugin drug { } plugin service { } plugin consumable { }", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    static const char *const cases[][2] = {
        {REAL_CATHETER, "service"},
        {REAL_MOXIBUSTION, "service"},
        {"00121600001010", "service"}, /* too short, still a service code */
        {"XA01ABD075A002010100483", "drug"},
        {"C01020300100000000000000001", "consumable"}, /* synthetic */
        {"A01216000010100", "none"},
    };
    cstest_expect_matches(set, cases, sizeof(cases) / sizeof(cases[0]));
    yb_plugins_free(set);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_structure),    YB_TEST(test_explain_real_codes), YB_TEST(test_official_table),
        YB_TEST(test_sample_table), YB_TEST(test_match_among_kinds),  YB_TEST_END,
    };
    return yb_test_main("service", tests);
}
