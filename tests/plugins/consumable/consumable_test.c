/*
 * consumable_test.c - 医用耗材分类与代码 (kind consumable) through the real
 * plugin host: the 27-character code and its segments, each rule with a
 * negative (length, prefix, a letter in the digits), the legacy 20-character
 * code accepted with its warning, a synthetic official table for membership
 * and dates, a sample built on the shipped (header-only) sample.csv giving
 * only warnings, and a field allowing drug|service|consumable finding the
 * right kind with each kind's match().
 *
 * The spec page quotes no complete real consumable code, so EVERY consumable
 * code in this file is SYNTHETIC: shaped by the verified rule (C + 26 digits,
 * or the 2019 rule of 20 characters), not a real product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cstest.h"

/* synthetic: C · 01 · 02 · 03 · 001 · 17 digits */
#define SYNTH_CURRENT "C01020300100000000000000001"
/* synthetic: C · 010203 · 001 · 00001 · 00001 (the 2019 rule) */
#define SYNTH_LEGACY "C0102030010000100001"

static struct yb_plugin_set *load(const char *directives, const char *db,
                                  const struct yb_code_kind **kind)
{
    char sections[1024];
    snprintf(sections, sizeof(sections), "plugin consumable { %s }", directives);
    struct yb_plugin_set *set = cstest_load(sections, db);
    *kind = set ? yb_plugins_kind(set, "consumable") : NULL;
    return set;
}

static const struct cstest_case structure_cases[] = {
    {SYNTH_CURRENT, YB_CODE_VALID, NULL, {NULL}},
    /* the legacy 2019 code: accepted, with the warning of its note */
    {SYNTH_LEGACY,
     YB_CODE_WARN,
     "form",
     {"医用耗材(2019版)", "legacy 20-character code", "use the current 27-character"}},
    /* one digit missing */
    {"C0102030010000000000000000",
     YB_CODE_INVALID,
     "length",
     {"医用耗材 code must be 27 characters, got 26", "医用耗材(2019版) code has 20"}},
    {"C010203001000000000000000011", YB_CODE_INVALID, "length", {"27 characters, got 28"}},
    {"C01020300100001000011",
     YB_CODE_INVALID,
     "length",
     {"医用耗材(2019版) code must be 20 characters, got 21"}},
    /* a letter in the tail (material, specification, enterprise) */
    {"C0102030010000000000000000A",
     YB_CODE_INVALID,
     "detail",
     {"17 digits", "got \"0000000000000000A\""}},
    /* a letter in a class or the generic name number */
    {"C0A0203001000000000000000001", YB_CODE_INVALID, "length", {"got 28"}},
    {"C0A020300100000000000000001", YB_CODE_INVALID, "class1", {"一级分类", "got \"0A\""}},
    {"C010203A0100000000000000001", YB_CODE_INVALID, "generic", {"医保通用名编号", "3 digits"}},
    /* lower case, other prefixes */
    {"c01020300100000000000000001",
     YB_CODE_INVALID,
     "prefix",
     {"医用耗材 code must start with \"C\" (医用耗材)", "got \"c01\""}},
    {"XA01ABD075A002010100483", YB_CODE_INVALID, "prefix", {"got \"XA0\""}},
    /* the legacy form's parts take capital letters and digits, nothing else */
    {"C010203001000010000-", YB_CODE_INVALID, "firm", {"2019"}},
    {NULL, 0, NULL, {NULL}},
};

static void test_structure(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    CU_ASSERT_STRING_EQUAL(kind->standard, "医用耗材分类与代码");
    cstest_expect_cases(kind, structure_cases);
    yb_plugins_free(set);
}

static void test_explain(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    static const char *const current[] = {
        "form: 医用耗材 (current, verified)",
        "prefix: C = 医用耗材",
        "class1: 01 = 一级分类",
        "class2: 02 = 二级分类",
        "class3: 03 = 三级分类",
        "generic: 001 = 医保通用名编号",
        "detail: 00000000000000001 = 耗材材质, 规格, 耗材企业 (material/specification/enterprise; "
        "split unverified)",
        "membership not checked",
        NULL};
    cstest_expect_explain(kind, SYNTH_CURRENT, current);
    static const char *const legacy[] = {"form: 医用耗材(2019版) (legacy2019, verified)",
                                         "class: 010203",
                                         "generic: 001",
                                         "feature: 00001",
                                         "firm: 00001",
                                         "verdict: warn [form]",
                                         NULL};
    cstest_expect_explain(kind, SYNTH_LEGACY, legacy);
    yb_plugins_free(set);
}

/* A SYNTHETIC official table (not a sample): none of these is a real product. */
static const char official_csv[] = "耗材代码,医保通用名,开始日期,结束日期\n"
                                   "C99999999900000000000000001,synthetic current,2000-01-01,\n"
                                   "C99999999900000000000000002,synthetic expired,2000-01-01,"
                                   "2001-12-31\n"
                                   "C99999999900000000000000003,synthetic future,2999-01-01,\n"
                                   "C9999999990000000000000000A,refused: a letter,,\n";

static void test_official_table(void)
{
    char db[64];
    const struct yb_code_kind *kind;
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "consumable", official_csv, 0), 1);
    struct yb_plugin_set *set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "C99999999900000000000000001", YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, "C99999999900000000000000004", YB_CODE_INVALID, "table",
                   "医用耗材 code is not in the 医用耗材分类与代码 table");
    cstest_expect1(kind, "C99999999900000000000000002", YB_CODE_INVALID, "expired",
                   "expired on 2001-12-31");
    cstest_expect1(kind, "C99999999900000000000000003", YB_CODE_INVALID, "effective",
                   "not in effect until 2999-01-01");
    /* a legacy code missing from the official table is refused, not warned */
    cstest_expect1(kind, SYNTH_LEGACY, YB_CODE_INVALID, "table", "not in the");
    static const char *const entry[] = {"table: 医用耗材分类与代码 version", "synthetic current",
                                        NULL};
    cstest_expect_explain(kind, "C99999999900000000000000001", entry);
    yb_plugins_free(set);

    set = load("membership warn; expired warn;", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "C99999999900000000000000004", YB_CODE_WARN, "table", "not in the");
    cstest_expect1(kind, "C99999999900000000000000002", YB_CODE_WARN, "expired", "2001-12-31");
    yb_plugins_free(set);
    unlink(db);
}

static char *read_sample(void)
{
    static char text[8192];
    FILE *f = fopen(yb_test_srcpath("codesets/consumable/sample.csv"), "r");
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
    /* the shipped sample is the header only: no real code was at hand */
    CU_ASSERT_PTR_NULL(strchr(sample, 'C'));

    /* the shipped header plus a SYNTHETIC row, imported as a sample: the
     * header maps through columns.tsv, and a code missing from a sample only
     * warns */
    char csv[8448]; /* the sample (at most 8191 bytes) and one row */
    snprintf(csv, sizeof(csv), "%s%s,synthetic sample row,,\n", sample,
             "C99999999900000000000000001");
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "consumable", csv, 1), 0);
    struct yb_plugin_set *set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "C99999999900000000000000001", YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, SYNTH_CURRENT, YB_CODE_WARN, "table",
                   "医用耗材 code is not in the SAMPLE 医用耗材分类与代码 table");
    yb_plugins_free(set);
    unlink(db);

    /* the header-only file imports as an empty version, which the plugin
     * treats as no table: codes are checked by structure only */
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "consumable", sample, 1), 0);
    set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, SYNTH_CURRENT, YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, SYNTH_LEGACY, YB_CODE_WARN, "form", "legacy 20-character code");
    yb_plugins_free(set);
    unlink(db);
}

static void test_match_among_kinds(void)
{
    struct yb_plugin_set *set =
        cstest_load("plugin drug { } plugin service { } plugin consumable { }", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    static const char *const cases[][2] = {
        {SYNTH_CURRENT, "consumable"},
        {SYNTH_LEGACY, "consumable"},
        {"C0102030010000000000000000", "consumable"}, /* too short, still a consumable */
        {"XA01ABD075A002010100483", "drug"},
        {"001216000010100", "service"},
        {"c01020300100000000000000001", "none"},
    };
    cstest_expect_matches(set, cases, sizeof(cases) / sizeof(cases[0]));
    yb_plugins_free(set);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_structure),    YB_TEST(test_explain),           YB_TEST(test_official_table),
        YB_TEST(test_sample_table), YB_TEST(test_match_among_kinds), YB_TEST_END,
    };
    return yb_test_main("consumable", tests);
}
