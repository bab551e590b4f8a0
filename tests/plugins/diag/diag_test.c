/*
 * diag_test.c - the diagnosis and procedure plugin (icd10yb, icd9yb), loaded
 * through the real plugin host: the spec's codes pass and explain segment by
 * segment, each rule has a negative, the table rules (membership, dates,
 * sample) apply, and the request hook refuses a gray code (灰码) as the
 * principal diagnosis in a transaction built as the gateway builds one.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "codec_json.h"
#include "cstest.h"
#include "txn.h"

static const char *const SECTIONS = "plugin admdvs { table admdvs/admdvs.tsv; } plugin diag { }";

/* SYNTHETIC official table: the codes have real shapes, but the rows, the
 * names, the dates and the gray flags are made up for this test. The gray
 * column uses the 灰码 header with 是, as columns.tsv maps it. */
static const char *const SYNTHETIC_TABLE = "诊断代码,诊断名称,开始日期,结束日期,灰码\n"
                                           "A00.000,synthetic cholera,2020-01-01,,否\n"
                                           "A00.000x001,synthetic extension,,,\n"
                                           "A09.900,synthetic gray diagnosis,,,是\n"
                                           "A17.000,synthetic dagger code,,,\n"
                                           "I10.x00,synthetic no-subcategory code,,,\n"
                                           "B01.000,synthetic expired,2001-01-01,2001-12-31,\n"
                                           "B02.000,synthetic not yet effective,2999-01-01,,\n"
                                           "00.0100,synthetic procedure,,,\n"
                                           "03.1x01,synthetic procedure x,,,\n";

static char db_official[64], db_sample[64];
static struct yb_plugin_set *bare;     /* no table: structure only */
static struct yb_plugin_set *official; /* the synthetic official table */
static struct yb_plugin_set *sample;   /* the shipped sample, imported as a sample */

static const struct yb_code_kind *icd10(const struct yb_plugin_set *set)
{
    return yb_plugins_kind(set, "icd10yb");
}

static const struct yb_code_kind *icd9(const struct yb_plugin_set *set)
{
    return yb_plugins_kind(set, "icd9yb");
}

/* ---- structure ---- */

static void test_spec_diagnoses_pass(void)
{
    struct yb_code_verdict v;
    const struct yb_code_kind *k = icd10(bare);
    CU_ASSERT_EQUAL(cstest_check(k, "A00.000", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(k, "A09.900", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(k, "A00.000x001", &v), YB_CODE_VALID);
    /* the dagger/asterisk pair, with and without the manifestation's subcode */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G01*", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G01.0*", &v), YB_CODE_VALID);
    /* the longest form: 18 characters */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000x001+G01.0*", &v), YB_CODE_VALID);
    /* the unverified x-subcategory form */
    CU_ASSERT_EQUAL(cstest_check(k, "I10.x00", &v), YB_CODE_VALID);
}

static void test_spec_procedures_pass(void)
{
    struct yb_code_verdict v;
    const struct yb_code_kind *k = icd9(bare);
    CU_ASSERT_EQUAL(cstest_check(k, "00.0100", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(k, "03.1x01", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(k, "00.0200x001", &v), YB_CODE_VALID);
}

static void test_explain_diagnosis(void)
{
    const char *e = cstest_explain(icd10(bare), "A00.000x001");
    CU_ASSERT(cstest_has(e, "verified"));
    CU_ASSERT(cstest_has(e, "category: A00 = chapter letter and 2-digit category"));
    CU_ASSERT(cstest_has(e, "dot: . = separator"));
    CU_ASSERT(cstest_has(e, "subcategory: 0 = subcategory digit"));
    CU_ASSERT(cstest_has(e, "extension: 00 = 医保版 extension: the ICD-10 code itself"));
    CU_ASSERT(cstest_has(e, "additional: x001 = 医保版 additional code"));
    CU_ASSERT(cstest_has(e, "membership not checked"));

    e = cstest_explain(icd10(bare), "A17.000+G01.0*");
    CU_ASSERT(cstest_has(e, "dagger: + = dagger"));
    CU_ASSERT(cstest_has(e, "manifestation: G01 = manifestation category"));
    CU_ASSERT(cstest_has(e, "manifestation_sub: 0 = "));
    CU_ASSERT(cstest_has(e, "asterisk: * = asterisk"));
    CU_ASSERT_PTR_NULL(strstr(e, "additional:"));

    e = cstest_explain(icd10(bare), "I10.x00");
    CU_ASSERT(cstest_has(e, "unverified"));
    CU_ASSERT(cstest_has(e, "subcategory: x = x: the category has no subcategory"));
}

static void test_explain_procedure(void)
{
    const char *e = cstest_explain(icd9(bare), "03.1x01");
    CU_ASSERT(cstest_has(e, "category: 03 = 2-digit category"));
    CU_ASSERT(cstest_has(e, "subcategory: 1 = subcategory digit"));
    CU_ASSERT(cstest_has(e, "detail: x = 4th digit (x: the ICD-9-CM-3 code has no 4th digit)"));
    CU_ASSERT(cstest_has(e, "extension: 01 = 医保版 extension"));
    e = cstest_explain(icd9(bare), "00.0200x001");
    CU_ASSERT(cstest_has(e, "detail: 2 = 4th digit"));
    CU_ASSERT(cstest_has(e, "additional: x001"));
}

static void test_diagnosis_wrong_length(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(icd10(bare), "A00.00", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT(cstest_has(v.reason, "7 or 11 characters, got 6"));
    CU_ASSERT_EQUAL(cstest_check(icd10(bare), "A00.000x01", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    /* 19 characters: longer than any form */
    CU_ASSERT_EQUAL(cstest_check(icd10(bare), "A17.000x001+G01.00*", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
}

static void test_diagnosis_wrong_characters(void)
{
    struct yb_code_verdict v;
    const struct yb_code_kind *k = icd10(bare);
    /* lower-case chapter letter */
    CU_ASSERT_EQUAL(cstest_check(k, "a00.000", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "prefix");
    CU_ASSERT(cstest_has(v.reason, "must start with a capital letter, 2 digits"));
    /* missing dot */
    CU_ASSERT_EQUAL(cstest_check(k, "A000000", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "dot");
    /* the 5th character is the subcategory digit */
    CU_ASSERT_EQUAL(cstest_check(k, "A00.A00", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "subcategory");
    CU_ASSERT(cstest_has(v.reason, "position 5"));
    CU_ASSERT_EQUAL(cstest_check(k, "A00.0A0", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "extension");
    /* bad extension: y instead of x, upper-case X */
    CU_ASSERT_EQUAL(cstest_check(k, "A00.000y001", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "additional");
    CU_ASSERT(cstest_has(v.reason, "\"x\", 3 digits"));
    CU_ASSERT_EQUAL(cstest_check(k, "A00.000X001", &v), YB_CODE_INVALID);
}

static void test_dagger_pair_must_be_whole(void)
{
    struct yb_code_verdict v;
    const struct yb_code_kind *k = icd10(bare);
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G01", &v), YB_CODE_INVALID);   /* no * */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000G01*", &v), YB_CODE_INVALID);   /* no + */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000*", &v), YB_CODE_INVALID);      /* * alone */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+g01*", &v), YB_CODE_INVALID);  /* lower case */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G01.*", &v), YB_CODE_INVALID); /* dot, no digit */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G010*", &v), YB_CODE_INVALID); /* digit, no dot */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G01.0", &v), YB_CODE_INVALID);
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G01.0*", &v), YB_CODE_VALID);
}

static void test_procedure_negatives(void)
{
    struct yb_code_verdict v;
    const struct yb_code_kind *k = icd9(bare);
    CU_ASSERT_EQUAL(cstest_check(k, "00.010", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT(cstest_has(v.reason, "7 or 11 characters, got 6"));
    CU_ASSERT_EQUAL(cstest_check(k, "0a.0100", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "prefix");
    CU_ASSERT_EQUAL(cstest_check(k, "00,0100", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "dot");
    CU_ASSERT_EQUAL(cstest_check(k, "00.x100", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "subcategory");
    CU_ASSERT_EQUAL(cstest_check(k, "00.0y00", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "detail");
    CU_ASSERT_EQUAL(cstest_check(k, "00.0100y001", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "additional");
    /* a diagnosis is not a procedure, and the other way round */
    CU_ASSERT_EQUAL(cstest_check(k, "A00.000", &v), YB_CODE_INVALID);
    CU_ASSERT_EQUAL(cstest_check(icd10(bare), "00.0100", &v), YB_CODE_INVALID);
    CU_ASSERT(icd9(bare)->match(icd9(bare)->state, "00.0100", 7));
    CU_ASSERT(!icd9(bare)->match(icd9(bare)->state, "A00.000", 7));
}

/* ---- the table ---- */

static void test_official_table(void)
{
    struct yb_code_verdict v;
    const struct yb_code_kind *k = icd10(official);
    CU_ASSERT_EQUAL(cstest_check(k, "A00.000", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(k, "A00.000x001", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(k, "I10.x00", &v), YB_CODE_VALID);
    /* the pair is not part of the key: A17.000+G01* is the table's A17.000 */
    CU_ASSERT_EQUAL(cstest_check(k, "A17.000+G01*", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(icd9(official), "03.1x01", &v), YB_CODE_VALID);
    /* a gray code is a valid code; only its place as principal is refused */
    CU_ASSERT_EQUAL(cstest_check(k, "A09.900", &v), YB_CODE_VALID);
}

static void test_unknown_entry(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(icd10(official), "A01.000", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT(cstest_has(v.reason, "not in the"));
    CU_ASSERT_EQUAL(cstest_check(icd9(official), "00.0200x001", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    /* an additional code of a listed code is a code of its own */
    CU_ASSERT_EQUAL(cstest_check(icd10(official), "B01.000x001", &v), YB_CODE_INVALID);
}

static void test_expired_and_not_yet_effective(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(icd10(official), "B01.000", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "expired");
    CU_ASSERT(cstest_has(v.reason, "2001-12-31"));
    CU_ASSERT_EQUAL(cstest_check(icd10(official), "B02.000", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "effective");
    CU_ASSERT(cstest_has(v.reason, "2999-01-01"));
}

static void test_sample_table_warns(void)
{
    struct yb_code_verdict v;
    /* every code of the shipped sample is in it */
    CU_ASSERT_EQUAL(cstest_check(icd10(sample), "A00.000", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(icd10(sample), "A09.900", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(icd9(sample), "03.1x01", &v), YB_CODE_VALID);
    /* any other only warns: the sample is not the official table */
    CU_ASSERT_EQUAL(cstest_check(icd10(sample), "A01.000", &v), YB_CODE_WARN);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT(cstest_has(v.reason, "SAMPLE"));
    /* structure still refuses */
    CU_ASSERT_EQUAL(cstest_check(icd10(sample), "A01.00", &v), YB_CODE_INVALID);
}

static void test_explain_gray(void)
{
    const char *e = cstest_explain(icd10(official), "A09.900");
    CU_ASSERT(cstest_has(e, "synthetic gray diagnosis"));
    CU_ASSERT(cstest_has(e, "flags gray"));
    CU_ASSERT(cstest_has(e, "gray: a gray code (灰码): may not be the principal diagnosis"));
    e = cstest_explain(icd10(official), "A00.000");
    CU_ASSERT_PTR_NULL(strstr(e, "灰码"));
}

/* ---- the gray principal rule, through the request hook ---- */

/* A transaction as txn.c makes one: pools, findings, the decoded envelope. */
static int run_hook(struct yb_plugin_set *set, const char *infno, const char *input_json,
                    struct yb_txn *txn)
{
    memset(txn, 0, sizeof(*txn));
    txn->pool = yb_pool_create(0);
    txn->answer = yb_pool_create(0);
    yb_diag_init(&txn->diag, txn->answer, 64);
    char body[4096], err[256];
    snprintf(body, sizeof(body),
             "{\"infno\":\"%s\",\"msgid\":\"H45019900055202401011200000001\","
             "\"input\":%s}",
             infno, input_json);
    if (yb_json_decode(txn->pool, body, strlen(body), NULL, &txn->request, err, sizeof(err))) {
        fprintf(stderr, "test JSON: %s\n", err);
        return -1;
    }
    txn->infno = infno;
    return yb_plugins_on_request(set, txn);
}

static void end_txn(struct yb_txn *txn)
{
    yb_pool_destroy(txn->pool);
    yb_pool_destroy(txn->answer);
}

#define DISE(type, flag, code)                                                                     \
    "{\"diag_type\":\"" type "\",\"maindiag_flag\":\"" flag "\",\"diag_srt_no\":1,"                \
    "\"diag_code\":\"" code "\",\"diag_name\":\"x\"}"

static void test_gray_principal_rejected(void)
{
    struct yb_txn txn;
    int rc = run_hook(
        official, "2401",
        "{\"mdtrtinfo\":{\"dscg_maindiag_code\":\"A00.000\"},\"diseinfo\":[" DISE(
            "1", "0", "A00.000") "," DISE("1", "0", "I10.x00") "," DISE("1", "1", "A09.900") "]}",
        &txn);
    CU_ASSERT_EQUAL(rc, YB_REJECT);
    CU_ASSERT_EQUAL(txn.diag.errors, 1);
    struct yb_diag_entry *d = txn.diag.head;
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d->path, "diseinfo[2].diag_code");
    CU_ASSERT_STRING_EQUAL(d->rule, "gray");
    CU_ASSERT_STRING_EQUAL(d->value, "A09.900");
    CU_ASSERT_STRING_EQUAL(d->source, "codeset.icd10yb");
    CU_ASSERT(cstest_has(d->message, "灰码"));
    CU_ASSERT(cstest_has(d->message, "may not be the principal diagnosis"));
    CU_ASSERT(cstest_has(d->message, "synthetic gray diagnosis"));
    end_txn(&txn);
}

static void test_gray_principal_other_places(void)
{
    struct yb_txn txn;
    /* the admission's principal diagnosis field itself */
    CU_ASSERT_EQUAL(
        run_hook(official, "2401", "{\"mdtrtinfo\":{\"dscg_maindiag_code\":\"A09.900\"}}", &txn),
        YB_REJECT);
    CU_ASSERT_STRING_EQUAL(txn.diag.head->path, "mdtrtinfo.dscg_maindiag_code");
    end_txn(&txn);
    /* discharge, change, settlement list and its A variant */
    const char *infnos[] = {"2402", "2403", "4101", "4101A"};
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(
            run_hook(official, infnos[i], "{\"diseinfo\":[" DISE("1", "1", "A09.900") "]}", &txn),
            YB_REJECT);
        CU_ASSERT_EQUAL(txn.diag.errors, 1);
        end_txn(&txn);
    }
    /* a code with a dagger/asterisk pair is looked up by its base code */
    CU_ASSERT_EQUAL(
        run_hook(official, "2402", "{\"diseinfo\":[" DISE("1", "1", "A09.900+G01*") "]}", &txn),
        YB_REJECT);
    end_txn(&txn);
    /* an additional code of a gray code is another code (not in the table) */
    CU_ASSERT_EQUAL(
        run_hook(official, "2402", "{\"diseinfo\":[" DISE("1", "1", "A09.900x001") "]}", &txn),
        YB_PASS);
    end_txn(&txn);
}

static void test_gray_principal_allowed_cases(void)
{
    struct yb_txn txn;
    /* a gray code as a secondary diagnosis */
    CU_ASSERT_EQUAL(
        run_hook(official, "2401",
                 "{\"diseinfo\":[" DISE("1", "1", "A00.000") "," DISE("1", "0", "A09.900") "]}",
                 &txn),
        YB_PASS);
    CU_ASSERT_EQUAL(txn.diag.errors + txn.diag.warnings, 0);
    end_txn(&txn);
    /* a TCM diagnosis (diag_type 2) is not an ICD-10 医保版 code */
    CU_ASSERT_EQUAL(
        run_hook(official, "2401", "{\"diseinfo\":[" DISE("2", "1", "A09.900") "]}", &txn),
        YB_PASS);
    CU_ASSERT_EQUAL(txn.diag.errors, 0);
    end_txn(&txn);
    /* a transaction without a principal diagnosis (2203 has no maindiag_flag) */
    CU_ASSERT_EQUAL(
        run_hook(official, "2203", "{\"diseinfo\":[" DISE("1", "1", "A09.900") "]}", &txn),
        YB_PASS);
    end_txn(&txn);
    /* without a table nothing is known to be gray */
    CU_ASSERT_EQUAL(run_hook(bare, "2401", "{\"diseinfo\":[" DISE("1", "1", "A09.900") "]}", &txn),
                    YB_PASS);
    end_txn(&txn);
    /* an input without the list */
    CU_ASSERT_EQUAL(run_hook(official, "2401", "{}", &txn), YB_PASS);
    end_txn(&txn);
}

static void test_gray_principal_warn_and_off(void)
{
    struct yb_txn txn;
    struct yb_plugin_set *warn = cstest_load(
        "plugin admdvs { table admdvs/admdvs.tsv; } plugin diag { gray_principal warn; }",
        db_official);
    CU_ASSERT_PTR_NOT_NULL_FATAL(warn);
    CU_ASSERT_EQUAL(run_hook(warn, "2401", "{\"diseinfo\":[" DISE("1", "1", "A09.900") "]}", &txn),
                    YB_PASS);
    CU_ASSERT_EQUAL(txn.diag.errors, 0);
    CU_ASSERT_EQUAL(txn.diag.warnings, 1);
    end_txn(&txn);
    yb_plugins_free(warn);

    struct yb_plugin_set *off = cstest_load("plugin diag { gray_principal off; }", db_official);
    CU_ASSERT_PTR_NOT_NULL_FATAL(off);
    CU_ASSERT_EQUAL(run_hook(off, "2401", "{\"diseinfo\":[" DISE("1", "1", "A09.900") "]}", &txn),
                    YB_PASS);
    CU_ASSERT_EQUAL(txn.diag.errors + txn.diag.warnings, 0);
    end_txn(&txn);
    yb_plugins_free(off);
}

static void test_bad_configuration_stops_load(void)
{
    CU_ASSERT_PTR_NULL(cstest_load("plugin diag { gray_principal maybe; }", NULL));
    CU_ASSERT_PTR_NULL(cstest_load("plugin diag { principal diag/nosuch.tsv; }", NULL));
    /* a principal file with a malformed row */
    char path[] = "/tmp/ybgw-diag-principal-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("infno\tlist\tcode_field\tflag_field\tprincipal_value\n2401\tdiseinfo\tdiag_code\n", f);
    fclose(f);
    char section[256];
    snprintf(section, sizeof(section), "plugin diag { principal %s; }", path);
    CU_ASSERT_PTR_NULL(cstest_load(section, NULL));
    unlink(path);
}

/* ---- setup ---- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int main(void)
{
    cstest_tmpname(db_official, sizeof(db_official));
    cstest_tmpname(db_sample, sizeof(db_sample));
    char sample_path[4096];
    snprintf(sample_path, sizeof(sample_path), "%s", yb_test_srcpath("codesets/diag/sample.csv"));
    const char *sample_csv = read_file(sample_path);
    long r1 = cstest_import(db_official, "diag", SYNTHETIC_TABLE, 0);
    long r2 = sample_csv ? cstest_import(db_sample, "diag", sample_csv, 1) : -1;
    if (r1 != 0 || r2 != 0) {
        fprintf(stderr, "import: %ld rejected (synthetic), %ld rejected (sample)\n", r1, r2);
        return 1;
    }
    bare = cstest_load(SECTIONS, NULL);
    official = cstest_load(SECTIONS, db_official);
    sample = cstest_load(SECTIONS, db_sample);
    if (!bare || !official || !sample || !icd10(bare) || !icd9(bare)) {
        fprintf(stderr, "the diag plugin did not load\n");
        return 1;
    }
    static const struct yb_test tests[] = {
        YB_TEST(test_spec_diagnoses_pass),
        YB_TEST(test_spec_procedures_pass),
        YB_TEST(test_explain_diagnosis),
        YB_TEST(test_explain_procedure),
        YB_TEST(test_diagnosis_wrong_length),
        YB_TEST(test_diagnosis_wrong_characters),
        YB_TEST(test_dagger_pair_must_be_whole),
        YB_TEST(test_procedure_negatives),
        YB_TEST(test_official_table),
        YB_TEST(test_unknown_entry),
        YB_TEST(test_expired_and_not_yet_effective),
        YB_TEST(test_sample_table_warns),
        YB_TEST(test_explain_gray),
        YB_TEST(test_gray_principal_rejected),
        YB_TEST(test_gray_principal_other_places),
        YB_TEST(test_gray_principal_allowed_cases),
        YB_TEST(test_gray_principal_warn_and_off),
        YB_TEST(test_bad_configuration_stops_load),
        YB_TEST_END,
    };
    int rc = yb_test_main("diag", tests);
    yb_plugins_free(bare);
    yb_plugins_free(official);
    yb_plugins_free(sample);
    unlink(db_official);
    unlink(db_sample);
    return rc;
}
