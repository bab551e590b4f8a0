/*
 * chronic_test.c - the outpatient chronic and special diseases plugin
 * (kind chronic), loaded through the real plugin host: the spec's codes
 * pass and explain segment by segment, each rule has a negative, and the
 * table rules (membership, dates, sample) apply.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cstest.h"

static const char *const SECTIONS = "plugin admdvs { table admdvs/admdvs.tsv; } plugin chronic { }";

/* SYNTHETIC official table: M03900 and M01600 are real codes, but these
 * rows, names and dates are made up for the test; M09901, M09902 and
 * M09903 are synthetic codes. */
static const char *const SYNTHETIC_TABLE = "病种代码,病种名称,开始日期,结束日期\n"
                                           "M03900,synthetic row,2020-01-01,\n"
                                           "M01600,synthetic row,,\n"
                                           "M09901,synthetic expired,2001-01-01,2001-12-31\n"
                                           "M09902,synthetic not yet effective,2999-01-01,\n"
                                           "M09903,synthetic ends in the far future,,2999-12-31\n";

static char db_official[64], db_sample[64];
static struct yb_plugin_set *bare, *official, *sample;

static const struct yb_code_kind *chronic(const struct yb_plugin_set *set)
{
    return yb_plugins_kind(set, "chronic");
}

static void test_spec_codes_pass(void)
{
    struct yb_code_verdict v;
    const char *codes[] = {"M03900", "M01600", "M00300", "M04600", "M05300"};
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(cstest_check(chronic(bare), codes[i], &v), YB_CODE_VALID);
        CU_ASSERT_EQUAL(cstest_check(chronic(sample), codes[i], &v), YB_CODE_VALID);
    }
}

static void test_explain(void)
{
    const char *e = cstest_explain(chronic(bare), "M03900");
    CU_ASSERT(cstest_has(e, "门诊慢特病"));
    CU_ASSERT(cstest_has(e, "verified"));
    CU_ASSERT(cstest_has(e, "prefix: M = 门诊慢特病 code"));
    CU_ASSERT(cstest_has(e, "group: 039 = disease group: 高血压病"));
    CU_ASSERT(cstest_has(e, "subtype: 00 = subtype: the disease group itself"));
    e = cstest_explain(chronic(bare), "M05300");
    CU_ASSERT(cstest_has(e, "group: 053 = disease group: 慢性阻塞性肺疾病"));
    /* a group the values file does not name is shown without a meaning */
    e = cstest_explain(chronic(bare), "M09901");
    CU_ASSERT(cstest_has(e, "group: 099 = disease group\n"));
    CU_ASSERT(cstest_has(e, "subtype: 01 = subtype\n"));
    /* the sample table's name */
    e = cstest_explain(chronic(sample), "M04600");
    CU_ASSERT(cstest_has(e, "冠心病"));
    CU_ASSERT(cstest_has(e, "SAMPLE"));
}

static void test_wrong_length(void)
{
    struct yb_code_verdict v;
    /* an M code with 4 digits */
    CU_ASSERT_EQUAL(cstest_check(chronic(bare), "M0390", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT(cstest_has(v.reason, "must be 6 characters, got 5"));
    CU_ASSERT_EQUAL(cstest_check(chronic(bare), "M039000", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
}

static void test_wrong_characters(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(chronic(bare), "m03900", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "prefix");
    CU_ASSERT(cstest_has(v.reason, "must start with \"M\""));
    CU_ASSERT_EQUAL(cstest_check(chronic(bare), "N03900", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "prefix");
    CU_ASSERT_EQUAL(cstest_check(chronic(bare), "M0A900", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "group");
    CU_ASSERT(cstest_has(v.reason, "3 digits"));
    CU_ASSERT_EQUAL(cstest_check(chronic(bare), "M0390A", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "subtype");
    /* an ICD-10 code is not a 门诊慢特病 code */
    CU_ASSERT_EQUAL(cstest_check(chronic(bare), "M05.900", &v), YB_CODE_INVALID);
    CU_ASSERT(chronic(bare)->match(chronic(bare)->state, "M03900", 6));
    CU_ASSERT(!chronic(bare)->match(chronic(bare)->state, "A00.000", 7));
}

static void test_unknown_entry(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(chronic(official), "M03900", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(chronic(official), "M09903", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(chronic(official), "M04600", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT(cstest_has(v.reason, "not in the"));
}

static void test_expired_and_not_yet_effective(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(chronic(official), "M09901", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "expired");
    CU_ASSERT(cstest_has(v.reason, "2001-12-31"));
    CU_ASSERT_EQUAL(cstest_check(chronic(official), "M09902", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "effective");
    CU_ASSERT(cstest_has(v.reason, "2999-01-01"));
}

static void test_expired_warn_and_membership_warn(void)
{
    struct yb_plugin_set *p =
        cstest_load("plugin chronic { expired warn; membership warn; }", db_official);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(chronic(p), "M09901", &v), YB_CODE_WARN);
    CU_ASSERT_EQUAL(cstest_check(chronic(p), "M04600", &v), YB_CODE_WARN);
    yb_plugins_free(p);
}

static void test_sample_table_warns(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(chronic(sample), "M09901", &v), YB_CODE_WARN);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT(cstest_has(v.reason, "SAMPLE"));
    CU_ASSERT_EQUAL(cstest_check(chronic(sample), "M0390", &v), YB_CODE_INVALID);
}

static const char *read_file(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int main(void)
{
    cstest_tmpname(db_official, sizeof(db_official));
    cstest_tmpname(db_sample, sizeof(db_sample));
    const char *sample_csv = read_file(yb_test_srcpath("codesets/chronic/sample.csv"));
    long r1 = cstest_import(db_official, "chronic", SYNTHETIC_TABLE, 0);
    long r2 = sample_csv ? cstest_import(db_sample, "chronic", sample_csv, 1) : -1;
    if (r1 != 0 || r2 != 0) {
        fprintf(stderr, "import: %ld rejected (synthetic), %ld rejected (sample)\n", r1, r2);
        return 1;
    }
    bare = cstest_load(SECTIONS, NULL);
    official = cstest_load(SECTIONS, db_official);
    sample = cstest_load(SECTIONS, db_sample);
    if (!bare || !official || !sample || !chronic(bare)) {
        fprintf(stderr, "the chronic plugin did not load\n");
        return 1;
    }
    static const struct yb_test tests[] = {
        YB_TEST(test_spec_codes_pass),
        YB_TEST(test_explain),
        YB_TEST(test_wrong_length),
        YB_TEST(test_wrong_characters),
        YB_TEST(test_unknown_entry),
        YB_TEST(test_expired_and_not_yet_effective),
        YB_TEST(test_expired_warn_and_membership_warn),
        YB_TEST(test_sample_table_warns),
        YB_TEST_END,
    };
    int rc = yb_test_main("chronic", tests);
    yb_plugins_free(bare);
    yb_plugins_free(official);
    yb_plugins_free(sample);
    unlink(db_official);
    unlink(db_sample);
    return rc;
}
