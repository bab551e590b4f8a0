/*
 * list_test.h - the tests the two ICD-referring list plugins share:
 * drg_dise (按病种结算病种) and daysurg (日间手术病种). The including file
 * defines LIST_STD (the standard and kind name) and LIST_LABEL (its label)
 * and calls list_test_main().
 *
 * No real list code of either list could be confirmed, so every list row
 * here is SYNTHETIC (SYN-...), and so are the diagnosis table's rows (real
 * shapes, made-up attributes). The shipped sample holds only the header
 * (an empty version: structure only), so the sample-table rule is tested
 * with a SYNTHETIC sample.
 */
#ifndef YB_LIST_TEST_H
#define YB_LIST_TEST_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cstest.h"

/* SYNTHETIC diagnosis/procedure table for the references. */
static const char *const DIAG_TABLE = "code,name,begin_date,end_date\n"
                                      "A00.000,synthetic diagnosis,,\n"
                                      "00.0100,synthetic procedure,,\n"
                                      "03.1x01,synthetic procedure,,\n"
                                      "B01.000,synthetic expired diagnosis,2001-01-01,2001-12-31\n";

/* SYNTHETIC list: codes, names, references and dates made up for the test. */
static const char *const LIST_TABLE =
    "code,name,refs,begin_date,end_date\n"
    "SYN-001,synthetic entry,A00.000 00.0100,,\n"
    "SYN-002,synthetic bad-shape reference,A00.000 A0.000,,\n"
    "SYN-003,synthetic reference missing from the diagnosis table,A01.000,,\n"
    "SYN-004,synthetic entry without references,,,\n"
    "SYN-005,synthetic Chinese separator,A00.000、03.1x01,,\n"
    "SYN-006,synthetic expired,A00.000,2001-01-01,2001-12-31\n"
    "SYN-007,synthetic not yet effective,A00.000,2999-01-01,\n"
    "SYN-008,synthetic reference to an expired diagnosis,B01.000,,\n"
    "SYN-009,synthetic reference that is no ICD code,abc,,\n"
    "SYN.10+x*,synthetic entry using every allowed character,,,\n";

/* SYNTHETIC sample table (imported as a sample version). */
static const char *const SYNTHETIC_SAMPLE = "code,name,refs\nSYN-S01,synthetic sample row,\n";

static char db_both[64], db_list_only[64], db_sample[64], db_empty[64];
static struct yb_plugin_set *bare;       /* no tables */
static struct yb_plugin_set *alone;      /* the list table, no diag plugin */
static struct yb_plugin_set *with_diag;  /* list after diag, both tables */
static struct yb_plugin_set *list_first; /* list before diag, both tables */
static struct yb_plugin_set *diag_bare;  /* the list table, diag without a table */
static struct yb_plugin_set *sample;     /* a synthetic sample table */
static struct yb_plugin_set *empty;      /* the shipped sample: no rows */

static const struct yb_code_kind *list_kind(const struct yb_plugin_set *set)
{
    return yb_plugins_kind(set, LIST_STD);
}

static void test_unverified_shape(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(bare), "SYN-001", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(bare), "SYN.10+x*", &v), YB_CODE_VALID);
    const char *e = cstest_explain(list_kind(bare), "SYN-001");
    CU_ASSERT(cstest_has(e, "unverified"));
    CU_ASSERT(cstest_has(e, "code: SYN-001 = list code (shape unverified)"));
    CU_ASSERT(cstest_has(e, "membership not checked"));
}

static void test_wrong_length(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(bare), "SYN-0000000000000000000000000001", &v),
                    YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT(cstest_has(v.reason, "1 to 30 characters, got 32"));
}

static void test_wrong_characters(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(bare), "SYN 001", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "code");
    CU_ASSERT_EQUAL(cstest_check(list_kind(bare), "SYN_001", &v), YB_CODE_INVALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(bare), "病种1", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "prefix");
}

static void test_references_valid(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-001", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-004", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-005", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN.10+x*", &v), YB_CODE_VALID);
}

static void test_bad_reference_makes_the_code_invalid(void)
{
    struct yb_code_verdict v;
    /* a reference the diag rules refuse */
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-002", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "refs");
    CU_ASSERT(
        cstest_has(v.reason, LIST_LABEL " SYN-002 refers to diagnosis A0.000, which is not valid"));
    CU_ASSERT(cstest_has(v.reason, "not valid"));
    /* a reference missing from the diagnosis table */
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-003", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "refs");
    CU_ASSERT(cstest_has(v.reason, "diagnosis A01.000"));
    CU_ASSERT(cstest_has(v.reason, "not in the"));
    /* a reference to an expired diagnosis */
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-008", &v), YB_CODE_INVALID);
    CU_ASSERT(cstest_has(v.reason, "diagnosis B01.000"));
    CU_ASSERT(cstest_has(v.reason, "expired"));
    /* a reference that is no ICD code at all */
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-009", &v), YB_CODE_INVALID);
    CU_ASSERT(cstest_has(v.reason, "\"abc\", which is neither"));
}

static void test_references_whatever_the_load_order(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(list_first), "SYN-001", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(list_first), "SYN-002", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "refs");
}

static void test_references_without_diag(void)
{
    struct yb_code_verdict v;
    /* no diag plugin: references cannot be judged; the list itself still is */
    CU_ASSERT_EQUAL(cstest_check(list_kind(alone), "SYN-002", &v), YB_CODE_VALID);
    /* no diag table: the shape of a reference is judged, not its membership */
    CU_ASSERT_EQUAL(cstest_check(list_kind(diag_bare), "SYN-003", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(diag_bare), "SYN-002", &v), YB_CODE_INVALID);
    CU_ASSERT(cstest_has(v.reason, "A0.000"));
}

static void test_unknown_entry(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-404", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT(cstest_has(v.reason, "not in the"));
    CU_ASSERT_EQUAL(cstest_check(list_kind(alone), "SYN-404", &v), YB_CODE_INVALID);
}

static void test_expired_and_not_yet_effective(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-006", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "expired");
    CU_ASSERT(cstest_has(v.reason, "2001-12-31"));
    CU_ASSERT_EQUAL(cstest_check(list_kind(with_diag), "SYN-007", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "effective");
}

static void test_sample_table_warns(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(sample), "SYN-S01", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(sample), "SYN-001", &v), YB_CODE_WARN);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT(cstest_has(v.reason, "SAMPLE"));
}

static void test_shipped_sample_checks_structure_only(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(list_kind(empty), "SYN-001", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(list_kind(empty), "SYN 001", &v), YB_CODE_INVALID);
    CU_ASSERT(cstest_has(cstest_explain(list_kind(empty), "SYN-001"), "membership not checked"));
}

static void test_explain_references(void)
{
    const char *e = cstest_explain(list_kind(with_diag), "SYN-001");
    CU_ASSERT(cstest_has(e, "synthetic entry"));
    CU_ASSERT(cstest_has(e, "ref: A00.000 = icd10yb, valid"));
    CU_ASSERT(cstest_has(e, "ref: 00.0100 = icd9yb, valid"));
    e = cstest_explain(list_kind(with_diag), "SYN-003");
    CU_ASSERT(cstest_has(e, "verdict: invalid [refs]"));
    CU_ASSERT(cstest_has(e, "diagnosis A01.000"));
    e = cstest_explain(list_kind(with_diag), "SYN-004");
    CU_ASSERT(cstest_has(e, "refs: none"));
    e = cstest_explain(list_kind(alone), "SYN-001");
    CU_ASSERT(cstest_has(e, "not checked (no diag plugin loaded)"));
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

static int list_test_main(void)
{
    cstest_tmpname(db_both, sizeof(db_both));
    cstest_tmpname(db_list_only, sizeof(db_list_only));
    cstest_tmpname(db_sample, sizeof(db_sample));
    cstest_tmpname(db_empty, sizeof(db_empty));
    /* the shipped sample is the header line alone: it imports as an empty
     * version, which the plugin treats as no table */
    const char *sample_csv = read_file(yb_test_srcpath("codesets/" LIST_STD "/sample.csv"));
    if (!sample_csv || strchr(sample_csv, '\n') != sample_csv + strlen(sample_csv) - 1 ||
        cstest_import(db_empty, LIST_STD, sample_csv, 1) != 0) {
        fprintf(stderr, "the shipped sample should be a header line that imports\n");
        return 1;
    }
    if (cstest_import(db_both, "diag", DIAG_TABLE, 0) != 0 ||
        cstest_import(db_both, LIST_STD, LIST_TABLE, 0) != 0 ||
        cstest_import(db_list_only, LIST_STD, LIST_TABLE, 0) != 0 ||
        cstest_import(db_sample, LIST_STD, SYNTHETIC_SAMPLE, 1) != 0) {
        fprintf(stderr, "an import failed or rejected rows\n");
        return 1;
    }
    bare = cstest_load("plugin " LIST_STD " { }", NULL);
    alone = cstest_load("plugin " LIST_STD " { }", db_both);
    with_diag = cstest_load("plugin diag { } plugin " LIST_STD " { }", db_both);
    list_first = cstest_load("plugin " LIST_STD " { } plugin diag { }", db_both);
    diag_bare = cstest_load("plugin diag { } plugin " LIST_STD " { }", db_list_only);
    sample = cstest_load("plugin " LIST_STD " { }", db_sample);
    empty = cstest_load("plugin " LIST_STD " { }", db_empty);
    if (!bare || !alone || !with_diag || !list_first || !diag_bare || !sample || !empty ||
        !list_kind(bare)) {
        fprintf(stderr, "the " LIST_STD " plugin did not load\n");
        return 1;
    }
    static const struct yb_test tests[] = {
        YB_TEST(test_unverified_shape),
        YB_TEST(test_wrong_length),
        YB_TEST(test_wrong_characters),
        YB_TEST(test_references_valid),
        YB_TEST(test_bad_reference_makes_the_code_invalid),
        YB_TEST(test_references_whatever_the_load_order),
        YB_TEST(test_references_without_diag),
        YB_TEST(test_unknown_entry),
        YB_TEST(test_expired_and_not_yet_effective),
        YB_TEST(test_sample_table_warns),
        YB_TEST(test_shipped_sample_checks_structure_only),
        YB_TEST(test_explain_references),
        YB_TEST_END,
    };
    int rc = yb_test_main(LIST_STD, tests);
    yb_plugins_free(bare);
    yb_plugins_free(alone);
    yb_plugins_free(with_diag);
    yb_plugins_free(list_first);
    yb_plugins_free(diag_bare);
    yb_plugins_free(sample);
    yb_plugins_free(empty);
    unlink(db_both);
    unlink(db_empty);
    unlink(db_list_only);
    unlink(db_sample);
    return rc;
}

#endif
