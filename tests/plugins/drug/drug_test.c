/*
 * drug_test.c - 药品分类与代码 (kind drug) through the real plugin host: the
 * real codes of the spec page pass and are explained segment by segment,
 * each rule has a negative (length, prefix, characters, the ATC class level
 * by level), a synthetic official table gives membership and dates, the
 * shipped sample gives only warnings, and a field allowing
 * drug|service|consumable finds the right kind with each kind's match().
 *
 * Real codes (spec page): XA01ABD075A002010100483 (西药 product) and
 * XB06ACL388B0 (西药 catalogue level). Every other code here is SYNTHETIC:
 * shaped like a real one, not a real drug.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cstest.h"

#define REAL_WESTERN "XA01ABD075A002010100483"
#define REAL_CATALOGUE "XB06ACL388B0"

static struct yb_plugin_set *load(const char *directives, const char *db,
                                  const struct yb_code_kind **kind)
{
    char sections[1024];
    snprintf(sections, sizeof(sections), "plugin drug { %s }", directives);
    struct yb_plugin_set *set = cstest_load(sections, db);
    *kind = set ? yb_plugins_kind(set, "drug") : NULL;
    return set;
}

static const struct cstest_case structure_cases[] = {
    /* real codes */
    {REAL_WESTERN, YB_CODE_VALID, NULL, {NULL}},
    {REAL_CATALOGUE, YB_CODE_VALID, NULL, {NULL}},
    /* the example: one enterprise digit missing */
    {"XA01ABD075A00201010048",
     YB_CODE_INVALID,
     "length",
     {"西药 code must be 23 characters, got 22", "西药目录 code has 12"}},
    {"XA01ABD075A0020101004830", YB_CODE_INVALID, "length", {"must be 23 characters, got 24"}},
    {"XB06ACL388B", YB_CODE_INVALID, "length", {"西药目录 code must be 12 characters, got 11"}},
    /* lower case: codes are capital letters */
    {"xa01abd075a002010100483",
     YB_CODE_INVALID,
     "prefix",
     {"药品 code must start with \"X\" (西药), \"Z\" (中成药), \"T\" (中药饮片)", "got \"xa0\""}},
    {"XA01abD075A002010100483",
     YB_CODE_INVALID,
     "atc4",
     {"西药 code: atc4 (ATC level-4 class) at position 2", "got \"A01ab\""}},
    /* a service code in a drug field */
    {"001216000010100", YB_CODE_INVALID, "prefix", {"must start with \"X\" (西药)", "got \"001\""}},
    /* characters in the digit segments */
    {"XA01ABD075A0020A0100483", YB_CODE_INVALID, "spec", {"4 digits", "got \"0A01\""}},
    {"XA01ABD075A00201010048X", YB_CODE_INVALID, "firm", {"5 digits", "got \"0048X\""}},
    {"XA01AB0075A002010100483", YB_CODE_INVALID, "name", {"generic name code"}},
    /* the ATC class, level by level (synthetic codes around the real one) */
    {"XK01ABD075A002010100483",
     YB_CODE_INVALID,
     "atc4",
     {"ATC class K01AB does not exist: no level-1 group K", "A B C D G H J L M N P R S V"}},
    {"XA99ABD075A002010100483",
     YB_CODE_INVALID,
     "atc4",
     {"ATC class A99AB does not exist: no level-2 class A99"}},
    {"XB04ABD075A002010100483", YB_CODE_INVALID, "atc4", {"no level-2 class B04"}},
    {"XA01XBD075A002010100483", YB_CODE_INVALID, "atc4", {"no level-3 class A01X under A01"}},
    {"XA01AXD075A002010100483", YB_CODE_INVALID, "atc4", {"no level-4 class A01AX under A01A"}},
    /* A02 is listed without level-3/4 entries: only levels 1 and 2 are checked */
    {"XA02BCD075A002010100483", YB_CODE_VALID, NULL, {NULL}},
    /* the check runs on the catalogue-level form too */
    {"XA99ACL388B0", YB_CODE_INVALID, "atc4", {"no level-2 class A99"}},
    {"XB06AZL388B0", YB_CODE_INVALID, "atc4", {"no level-4 class B06AZ"}},
    /* 中成药 (synthetic): 20 characters (product), 11 (catalogue level) */
    {"ZA01AAB0001010100001", YB_CODE_VALID, NULL, {NULL}},
    {"ZA01AAB0001", YB_CODE_VALID, NULL, {NULL}},
    {"ZA01AAB000101010000",
     YB_CODE_INVALID,
     "length",
     {"中成药 code must be 20 characters, got 19", "中成药目录 code has 11"}},
    {"ZA01AAB000101010", YB_CODE_INVALID, "length", {"中成药 code must be 20 characters, got 16"}},
    {"ZA01AAB000", YB_CODE_INVALID, "length", {"中成药目录 code must be 11 characters, got 10"}},
    {"ZA01aaB0001010100001", YB_CODE_INVALID, "class", {"中成药 code: class", "got \"A01aa\""}},
    /* 中药饮片 (synthetic, unverified form): T and letters or digits */
    {"T000100001", YB_CODE_VALID, NULL, {NULL}},
    {"T12", YB_CODE_INVALID, "length", {"中药饮片 code must be 5 to 41 characters, got 3"}},
    {"T0001-0001", YB_CODE_INVALID, "body", {"中药饮片 code: body"}},
    {"Q", YB_CODE_INVALID, "prefix", {"must start with"}},
    {NULL, 0, NULL, {NULL}},
};

static void test_structure(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    CU_ASSERT_STRING_EQUAL(kind->standard, "药品分类与代码");
    cstest_expect_cases(kind, structure_cases);
    yb_plugins_free(set);
}

static void test_explain_real_codes(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    static const char *const western[] = {
        "form: 西药 (western, verified)",
        "prefix: X = 西药",
        "atc4: A01AB = ATC level-4 class: Antiinfectives and antiseptics for local oral treatment",
        "name: D075 = generic name code",
        "dosage: A002 = dosage form",
        "spec: 0101 = specification and packaging",
        "firm: 00483 = enterprise",
        "membership not checked",
        NULL};
    cstest_expect_explain(kind, REAL_WESTERN, western);
    static const char *const catalogue[] = {
        "form: 西药目录 (western_catalogue, verified)",
        "prefix: X = 西药",
        "atc4: B06AC = ATC level-4 class: Drugs used in hereditary angioedema",
        "name: L388 = generic name code",
        "dosage: B0 = catalogue dosage form",
        NULL};
    cstest_expect_explain(kind, REAL_CATALOGUE, catalogue);
    static const char *const chinese[] = {"form: 中成药 (chinese, unverified", "split unverified",
                                          "class: A01AA", "firm: 00001", NULL};
    cstest_expect_explain(kind, "ZA01AAB0001010100001", chinese);
    static const char *const herbal[] = {"form: 中药饮片 (herbal, unverified", "only the leading T",
                                         "body: 000100001", NULL};
    cstest_expect_explain(kind, "T000100001", herbal);
    static const char *const bad[] = {"not a 药品 code", "23 characters, got 22", NULL};
    cstest_expect_explain(kind, "XA01ABD075A00201010048", bad);
    yb_plugins_free(set);
}

/* Write TEXT to a temporary ATC file; the caller unlinks PATH. */
static void write_atc(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/ybgw-atc-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

static void test_atc_file(void)
{
    const struct yb_code_kind *kind;
    char path[64], directive[128];
    struct yb_plugin_set *set;

    /* a file listing only levels 1 and 2 checks only levels 1 and 2 */
    write_atc(path, sizeof(path), "value\tmeaning\nA\talimentary\nA01\tstomatological\n");
    snprintf(directive, sizeof(directive), "atc %s;", path);
    set = load(directive, NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "XA01XBD075A002010100483", YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, "XA02BCD075A002010100483", YB_CODE_INVALID, "atc4",
                   "no level-2 class A02");
    cstest_expect1(kind, REAL_CATALOGUE, YB_CODE_INVALID, "atc4",
                   "no level-1 group B (the groups are A)");
    yb_plugins_free(set);
    unlink(path);

    /* a class without its parent, or a row that is no ATC class, stops the load */
    write_atc(path, sizeof(path), "value\tmeaning\nA\talimentary\nA01AB\torphan\n");
    snprintf(directive, sizeof(directive), "atc %s;", path);
    CU_ASSERT_PTR_NULL(load(directive, NULL, &kind));
    unlink(path);
    write_atc(path, sizeof(path), "value\tmeaning\nA\talimentary\nA1\tbad\n");
    snprintf(directive, sizeof(directive), "atc %s;", path);
    CU_ASSERT_PTR_NULL(load(directive, NULL, &kind));
    unlink(path);
    write_atc(path, sizeof(path), "code\tmeaning\nA\talimentary\n");
    snprintf(directive, sizeof(directive), "atc %s;", path);
    CU_ASSERT_PTR_NULL(load(directive, NULL, &kind));
    unlink(path);
    CU_ASSERT_PTR_NULL(load("atc /nonexistent/atc.tsv;", NULL, &kind));
}

/* A SYNTHETIC official table (not a sample): none of these codes is a real
 * drug. A02BC is a real ATC class; names Z99x and enterprise 99999 are made up. */
static const char official_csv[] =
    "药品代码,注册名称,开始日期,结束日期\n"
    "XA02BCZ999Z999999999999,synthetic current,2000-01-01,\n"
    "XA02BCZ998Z999999999999,synthetic expired,2000-01-01,2001-12-31\n"
    "XA02BCZ997Z999999999999,synthetic future,2999-01-01,\n"
    "ZA01AAZ9999999999999,synthetic 中成药,,\n"
    "XA02BCZ99Z999999999999,refused: 22 characters,,\n";

static void test_official_table(void)
{
    char db[64];
    const struct yb_code_kind *kind;
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "drug", official_csv, 0), 1); /* the 22-char row */
    struct yb_plugin_set *set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "XA02BCZ999Z999999999999", YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, "ZA01AAZ9999999999999", YB_CODE_VALID, NULL, NULL);
    static const char *const absent[] = {"西药 code is not in the 药品分类与代码 table", NULL};
    cstest_expect(kind, "XA02BCZ996Z999999999999", YB_CODE_INVALID, "table", absent, 1);
    /* the real code is structurally fine but absent from this official table */
    cstest_expect1(kind, REAL_WESTERN, YB_CODE_INVALID, "table", "not in the 药品分类与代码 table");
    cstest_expect1(kind, "XA02BCZ998Z999999999999", YB_CODE_INVALID, "expired",
                   "expired on 2001-12-31");
    cstest_expect1(kind, "XA02BCZ997Z999999999999", YB_CODE_INVALID, "effective",
                   "not in effect until 2999-01-01");
    /* structure and the ATC check come before the table */
    cstest_expect1(kind, "XA99BCZ999Z999999999999", YB_CODE_INVALID, "atc4",
                   "no level-2 class A99");
    static const char *const entry[] = {"table: 药品分类与代码 version", "synthetic current",
                                        "in effect 2000-01-01 to open", NULL};
    cstest_expect_explain(kind, "XA02BCZ999Z999999999999", entry);
    yb_plugins_free(set);

    /* the policies turn both refusals into warnings */
    set = load("membership warn; expired warn;", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "XA02BCZ996Z999999999999", YB_CODE_WARN, "table", "not in the");
    cstest_expect1(kind, "XA02BCZ998Z999999999999", YB_CODE_WARN, "expired", "2001-12-31");
    yb_plugins_free(set);
    set = load("membership off;", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, "XA02BCZ996Z999999999999", YB_CODE_VALID, NULL, NULL);
    yb_plugins_free(set);
    unlink(db);
}

/* The shipped sample.csv, as text. */
static char *read_sample(void)
{
    static char text[8192];
    FILE *f = fopen(yb_test_srcpath("codesets/drug/sample.csv"), "r");
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
    CU_ASSERT_PTR_NOT_NULL(strstr(sample, REAL_WESTERN));
    CU_ASSERT_PTR_NOT_NULL(strstr(sample, REAL_CATALOGUE));

    /* the shipped sample imports cleanly and its codes pass */
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "drug", sample, 1), 0);
    struct yb_plugin_set *set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, REAL_WESTERN, YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, REAL_CATALOGUE, YB_CODE_VALID, NULL, NULL);
    /* a well-formed code missing from a SAMPLE only warns (synthetic code) */
    cstest_expect1(kind, "XA02BCZ996Z999999999999", YB_CODE_WARN, "table", "not in the SAMPLE");
    yb_plugins_free(set);
    unlink(db);

    /* a sample holding only the product code: the real catalogue code warns */
    const char *row2 = strstr(sample, REAL_CATALOGUE);
    char partial[4096];
    snprintf(partial, sizeof(partial), "%.*s", (int)(row2 - sample), sample);
    CU_ASSERT_PTR_NULL(strstr(partial, REAL_CATALOGUE));
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, "drug", partial, 1), 0);
    set = load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, REAL_WESTERN, YB_CODE_VALID, NULL, NULL);
    static const char *const warn[] = {"西药目录 code is not in the SAMPLE 药品分类与代码 table",
                                       "once the official table is imported", NULL};
    cstest_expect(kind, REAL_CATALOGUE, YB_CODE_WARN, "table", warn, 2);
    static const char *const explain[] = {"(a SAMPLE table)", NULL};
    cstest_expect_explain(kind, REAL_CATALOGUE, explain);
    yb_plugins_free(set);
    unlink(db);
}

static void test_match_among_kinds(void)
{
    struct yb_plugin_set *set =
        cstest_load("plugin drug { } plugin service { } plugin consumable { }", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    static const char *const cases[][2] = {
        {REAL_WESTERN, "drug"},
        {REAL_CATALOGUE, "drug"},
        {"XA01ABD075A00201010048", "drug"}, /* a bad drug code is still a drug code */
        {"ZA01AAB0001010100001", "drug"},   /* synthetic */
        {"T000100001", "drug"},             /* synthetic */
        {"001216000010100", "service"},
        {"004400000010100", "service"},
        {"C01020300100000000000000001", "consumable"}, /* synthetic */
        {"C0102030010000100001", "consumable"},        /* synthetic, 2019 form */
        {"Q123", "none"},
        {"xa01abd075a002010100483", "none"},
    };
    cstest_expect_matches(set, cases, sizeof(cases) / sizeof(cases[0]));
    yb_plugins_free(set);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_structure),
        YB_TEST(test_explain_real_codes),
        YB_TEST(test_atc_file),
        YB_TEST(test_official_table),
        YB_TEST(test_sample_table),
        YB_TEST(test_match_among_kinds),
        YB_TEST_END,
    };
    return yb_test_main("drug", tests);
}
