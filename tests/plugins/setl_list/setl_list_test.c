/*
 * setl_list_test.c - the settlement-list plugin's request hook, loaded
 * through the real plugin host with the shipped checks.conf and run on
 * transactions built as the gateway builds them (a pool, the decoded
 * envelope, the findings). A valid 4101 passes clean, and every rule of
 * checks.conf has a negative that names the field, the rule and the value.
 *
 * The icd10yb kind is played by the host tests' stub plugin (good.so with
 * `kind icd10yb`), which refuses exactly the code "BAD": the test checks how
 * the hook asks a kind and reports its verdict, not the ICD-10 rules (the
 * diag plugin's own test does that). All codes, people and amounts below
 * are SYNTHETIC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hosttest.h"
#include "diagtest.h"

static struct yb_test_host host;

static const char *top_level = ""; /* more top-level directives (codes { }) */

/* Load the stub icd10yb kind and setl_list (with EXTRA in its section). */
static struct yb_plugin_set *load(const char *extra)
{
    char path[] = "/tmp/ybgw-setl-list-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "upstream u { endpoint http://127.0.0.1:1/; }\ndata_dir %s;\n",
            yb_test_srcpath("codesets"));
    fprintf(f, "plugin_dir %s;\n%s\n", yb_test_buildpath("plugins/.libs"), top_level);
    fprintf(f, "plugin icd10stub { module %s; kind icd10yb; }\n",
            yb_test_buildpath("tests/plugins/host/.libs/good.so"));
    fprintf(f, "plugin setl_list { %s }\n", extra);
    fclose(f);
    struct yb_plugin_set *set = yb_test_host_load(&host, path);
    unlink(path);
    return set;
}

/* ---- messages ---- */

static const char *const SETLINFO =
    "\"mdtrt_id\":\"M0001\",\"setl_id\":\"S0001\",\"psn_no\":\"P0001\","
    "\"adm_time\":\"2024-03-01 08:00:00\",\"dscg_time\":\"2024-03-05 10:00:00\","
    "\"setl_begn_date\":\"2024-03-01\",\"setl_end_date\":\"2024-03-05\","
    "\"psn_selfpay\":\"110.50\",\"psn_ownpay\":\"0.00\",\"acct_pay\":\"100.00\","
    "\"psn_cashpay\":\"10.50\"";
/* 600.00 from the pooled fund + 100.00 account + 10.50 cash = 710.50 */
static const char *const PAYINFO = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"600.00\"}";
static const char *const DISEINFO = "{\"diag_type\":\"1\",\"diag_code\":\"J18.900\",\"diag_name\":"
                                    "\"肺炎\",\"maindiag_flag\":\"1\"},"
                                    "{\"diag_type\":\"1\",\"diag_code\":\"A09.900\",\"diag_name\":"
                                    "\"腹泻\",\"maindiag_flag\":\"0\"}";
/* 60.00 + 650.50 = 710.50, each split into its classes */
static const char *const ITEMINFO =
    "{\"med_chrgitm\":\"01\",\"amt\":\"60.00\",\"claa_sumfee\":\"60.00\",\"clab_amt\":\"0.00\","
    "\"fulamt_ownpay_amt\":\"0.00\",\"oth_amt\":\"0.00\"},"
    "{\"med_chrgitm\":\"09\",\"amt\":650.5,\"claa_sumfee\":\"625.00\",\"clab_amt\":25.5,"
    "\"fulamt_ownpay_amt\":\"0\",\"oth_amt\":\"0.00\"}";

struct msg {
    const char *infno;
    const char *setlinfo, *payinfo, *diseinfo, *iteminfo; /* NULL: the default; "-": absent */
};

static void part(char *buf, size_t cap, const char *name, const char *value, const char *def,
                 int list)
{
    size_t used = strlen(buf);
    if (value && strcmp(value, "-") == 0)
        return;
    snprintf(buf + used, cap - used, ",\"%s\":%s%s%s", name, list ? "[" : "{", value ? value : def,
             list ? "]" : "}");
}

/* Build M, run the request hooks on it; returns the hooks' result. */
static int run(const struct msg *m)
{
    static char json[65536];
    snprintf(json, sizeof(json), "{\"infno\":\"%s\",\"input\":{\"x\":0",
             m->infno ? m->infno : "4101");
    part(json, sizeof(json), "setlinfo", m->setlinfo, SETLINFO, 0);
    part(json, sizeof(json), "payinfo", m->payinfo, PAYINFO, 1);
    part(json, sizeof(json), "diseinfo", m->diseinfo, DISEINFO, 1);
    part(json, sizeof(json), "iteminfo", m->iteminfo, ITEMINFO, 1);
    strncat(json, "}}", sizeof(json) - strlen(json) - 1);

    /* the snapshot gives the hooks the configuration (codes { } policy) */
    yb_test_host_begin(&host, m->infno ? m->infno : "4101", json);
    return yb_plugins_on_request(host.set, &host.txn);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- tests ---- */

static void test_loads_without_a_kind(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
    /* the rules file declares no kind: only the stub's icd10yb is there */
    CU_ASSERT_EQUAL(yb_plugins_kind_count(host.set), 1);
    CU_ASSERT_STRING_EQUAL(yb_plugins_name(host.set, 1), "codeset.setl_list");
}

static void test_valid_list_passes_clean(void)
{
    struct msg m = {0};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    if (yb_test_findings(&host.txn.diag))
        yb_test_dump_findings(&host.txn.diag);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    /* 4101A is the same form */
    m.infno = "4101A";
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_other_transactions_untouched(void)
{
    struct msg m = {.infno = "2304", .setlinfo = "\"psn_cashpay\":\"-5.00\""};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_two_principal_diagnoses(void)
{
    struct msg m = {.diseinfo =
                        "{\"diag_type\":\"1\",\"diag_code\":\"J18.900\",\"maindiag_flag\":\"1\"},"
                        "{\"diag_type\":\"1\",\"diag_code\":\"A09.900\",\"maindiag_flag\":\"0\"},"
                        "{\"diag_type\":\"1\",\"diag_code\":\"A00.000\",\"maindiag_flag\":\"1\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "diseinfo", "principal", YB_DIAG_ERROR, "2",
                        WORDS("diseinfo[0], diseinfo[2]", "西医主要诊断", "maindiag_flag 0"));
}

static void test_no_principal_diagnosis(void)
{
    struct msg m = {.diseinfo =
                        "{\"diag_type\":\"1\",\"diag_code\":\"J18.900\",\"maindiag_flag\":\"0\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "diseinfo", "principal", YB_DIAG_ERROR, "0",
                        WORDS("with diag_type 1", "set maindiag_flag 1 on exactly one"));
}

static void test_no_western_diagnosis(void)
{
    /* only a TCM main disease: the list still needs its western principal */
    struct msg m = {.diseinfo =
                        "{\"diag_type\":\"2\",\"diag_code\":\"TCM01\",\"maindiag_flag\":\"1\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "diseinfo", "principal", YB_DIAG_ERROR, "0",
                        WORDS("there is no 西医主要诊断", "diag_type 1"));
}

static void test_tcm_principals_do_not_count(void)
{
    /* a western principal and a TCM main disease and syndrome, each flagged;
     * the TCM codes are not ICD-10 and are not sent to icd10yb */
    struct msg m = {.diseinfo =
                        "{\"diag_type\":\"1\",\"diag_code\":\"J18.900\",\"maindiag_flag\":\"1\"},"
                        "{\"diag_type\":\"2\",\"diag_code\":\"BAD\",\"maindiag_flag\":\"1\"},"
                        "{\"diag_type\":\"3\",\"diag_code\":\"BAD\",\"maindiag_flag\":\"1\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_no_diseinfo_no_principal_rule(void)
{
    /* an outpatient chronic-disease list has no inpatient diagnoses */
    struct msg m = {.diseinfo = "-"};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_western_code_asks_icd10yb(void)
{
    struct msg m = {.diseinfo =
                        "{\"diag_type\":\"1\",\"diag_code\":\"J18.900\",\"maindiag_flag\":\"1\"},"
                        "{\"diag_type\":\"1\",\"diag_code\":\"BAD\",\"maindiag_flag\":\"0\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    const struct yb_diag_entry *e =
        yb_test_find_finding(&host.txn.diag, "diseinfo[1].diag_code", "whole");
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->severity, YB_DIAG_ERROR);
    CU_ASSERT_STRING_EQUAL(e->source, "codeset.icd10yb");
    CU_ASSERT_STRING_EQUAL(e->value, "BAD");
    CU_ASSERT_STRING_EQUAL(e->message, "test kind refuses BAD");
}

/* The codes { } policy of icd10yb applies to the lists this plugin checks. */
static void test_code_policy_of_the_kind_applies(void)
{
    struct msg m = {.diseinfo =
                        "{\"diag_type\":\"1\",\"diag_code\":\"J18.900\",\"maindiag_flag\":\"1\"},"
                        "{\"diag_type\":\"1\",\"diag_code\":\"BAD\",\"maindiag_flag\":\"0\"}"};
    top_level = "codes { icd10yb warn; }";
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    const struct yb_diag_entry *e =
        yb_test_find_finding(&host.txn.diag, "diseinfo[1].diag_code", "whole");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->severity, YB_DIAG_WARN);
    top_level = "codes { icd10yb off; }";
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    top_level = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_visit_transactions_get_only_the_code_rule(void)
{
    /* 2401 (admission) has diseinfo too: its western codes are checked, its
     * TCM codes are not, and the settlement-list rules do not apply */
    struct msg m = {.infno = "2401",
                    .setlinfo = "\"psn_cashpay\":\"-5.00\"",
                    .diseinfo =
                        "{\"diag_type\":\"1\",\"diag_code\":\"BAD\",\"maindiag_flag\":\"0\"},"
                        "{\"diag_type\":\"3\",\"diag_code\":\"BAD\",\"maindiag_flag\":\"0\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    const struct yb_diag_entry *e =
        yb_test_find_finding(&host.txn.diag, "diseinfo[0].diag_code", "whole");
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->source, "codeset.icd10yb");
}

static void test_negative_amounts(void)
{
    struct msg m = {.setlinfo = "\"setl_id\":\"S1\",\"psn_cashpay\":\"-1.00\""};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "setlinfo.psn_cashpay", "negative",
                        YB_DIAG_ERROR, "-1.00", WORDS("个人现金支付 must not be negative"));

    m = (struct msg){.payinfo = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"610.50\"},"
                                "{\"fund_pay_type\":\"610100\",\"fund_payamt\":-10.5}"};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    /* 610.50 - 10.50 + 110.50 still adds up: the only finding is the sign */
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "payinfo[1].fund_payamt", "negative",
                        YB_DIAG_ERROR, "-10.5", WORDS("基金支付金额 must not be negative"));
}

static void test_amount_text(void)
{
    struct msg m = {.setlinfo = "\"psn_ownpay\":\"1.005\""};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "setlinfo.psn_ownpay", "decimal",
                        YB_DIAG_ERROR, "1.005", WORDS("at most 2 places"));

    m = (struct msg){.setlinfo = "\"psn_ownpay\":\"12,50\""};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "setlinfo.psn_ownpay", "decimal",
                        YB_DIAG_ERROR, "12,50", WORDS("个人自费 must be an amount such as 12.50"));

    m = (struct msg){.setlinfo = "\"psn_ownpay\":\"123456789012345.00\""};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "setlinfo.psn_ownpay", "decimal",
                        YB_DIAG_ERROR, "123456789012345.00", WORDS("more than 14 digits"));

    /* trailing zeros past the second place are fine, as in the schema */
    m = (struct msg){.setlinfo = "\"psn_ownpay\":\"1.500\""};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_item_split(void)
{
    struct msg m = {
        .iteminfo = "{\"med_chrgitm\":\"01\",\"amt\":\"60.00\",\"claa_sumfee\":\"60.00\","
                    "\"clab_amt\":\"0.00\",\"fulamt_ownpay_amt\":\"0.00\",\"oth_amt\":\"0.00\"},"
                    "{\"med_chrgitm\":\"09\",\"amt\":\"650.50\",\"claa_sumfee\":\"625.00\","
                    "\"clab_amt\":\"25.00\",\"fulamt_ownpay_amt\":\"0.00\",\"oth_amt\":\"0.00\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(
        &host.txn.diag, "codeset.setl_list", "iteminfo[1].amt", "item_split", YB_DIAG_ERROR, "650.50",
        WORDS("金额 650.50 does not match", "甲类 625.00 + 乙类 25.00", "= 650.00", "off by 0.50"));
}

static void test_item_split_not_judged_when_unfilled(void)
{
    /* no split sent for the item: nothing to compare (and the totals still hold) */
    struct msg m = {.iteminfo = "{\"med_chrgitm\":\"01\",\"amt\":\"710.50\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_payments_total_warns(void)
{
    struct msg m = {.payinfo = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"590.00\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "iteminfo", "payments", YB_DIAG_WARN,
                        "710.50",
                        WORDS("金额 (all iteminfo) 710.50", "基金支付金额 (all payinfo) 590.00",
                              "个人账户支出 100.00", "= 700.50", "off by 10.00"));
}

static void test_personal_parts_warn(void)
{
    struct msg m = {.setlinfo = "\"psn_selfpay\":\"100.00\",\"psn_ownpay\":\"0.00\","
                                "\"acct_pay\":\"100.00\",\"psn_cashpay\":\"10.50\""};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    yb_test_expect_only(
        &host.txn.diag, "codeset.setl_list", "setlinfo", "personal", YB_DIAG_WARN, "100.00",
        WORDS("个人自付 100.00 + 个人自费 0.00 = 100.00", "个人现金支付 10.50", "off by 10.50"));
}

static void test_overlong_list_refused_once(void)
{
    /* 1001 charge lines: more than the rules walk (MAX_ITEMS); several rules
     * use iteminfo, one finding names it */
    static char items[32768];
    items[0] = '\0';
    for (int i = 0; i < 1001; i++)
        strcat(items, i ? ",{\"amt\":\"0.00\"}" : "{\"amt\":\"0.00\"}");
    struct msg m = {.iteminfo = items};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "iteminfo", "items", YB_DIAG_ERROR, "1001",
                        WORDS("at most 1000"));
}

static void test_settlement_dates_in_order(void)
{
    struct msg m = {.setlinfo =
                        "\"setl_begn_date\":\"2024-03-06\",\"setl_end_date\":\"2024-03-05\""};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "setlinfo.setl_begn_date", "order",
                        YB_DIAG_ERROR, "2024-03-06",
                        WORDS("结算开始日期 is after 结算结束日期 2024-03-05"));

    /* the same day is fine */
    m = (struct msg){.setlinfo =
                         "\"setl_begn_date\":\"2024-03-05\",\"setl_end_date\":\"2024-03-05\""};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_admission_before_discharge(void)
{
    struct msg m = {
        .setlinfo = "\"adm_time\":\"2024-03-05 10:00:01\",\"dscg_time\":\"2024-03-05 10:00:00\""};
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "setlinfo.adm_time", "order", YB_DIAG_ERROR,
                        "2024-03-05 10:00:01", WORDS("入院时间 is after 出院时间"));

    /* a date against a time on the same day compares by date only */
    m = (struct msg){.setlinfo =
                         "\"adm_time\":\"2024-03-05 10:00:01\",\"dscg_time\":\"2024-03-05\""};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
}

static void test_large_amounts_add_exactly(void)
{
    /* binary floats cannot hold these sums; fen integers can */
    struct msg m = {
        .setlinfo = "\"psn_selfpay\":\"0.10\",\"psn_ownpay\":\"0.20\",\"acct_pay\":\"0.30\","
                    "\"psn_cashpay\":\"0.00\"",
        .payinfo = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"90071992547409.91\"}",
        .iteminfo = "{\"amt\":\"90071992547409.90\",\"claa_sumfee\":\"90071992547409.90\","
                    "\"clab_amt\":0,\"fulamt_ownpay_amt\":0,\"oth_amt\":0},"
                    "{\"amt\":\"0.31\",\"claa_sumfee\":\"0.01\",\"clab_amt\":\"0.10\","
                    "\"fulamt_ownpay_amt\":\"0.20\",\"oth_amt\":0}"};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    if (yb_test_findings(&host.txn.diag))
        yb_test_dump_findings(&host.txn.diag);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);

    /* one fen off is found */
    m.payinfo = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"90071992547409.92\"}";
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "iteminfo", "payments", YB_DIAG_WARN,
                        "90071992547410.21", WORDS("off by 0.01"));
}

/* A checks file written by the test: path in buf. */
static void write_checks(char *buf, size_t cap, const char *text)
{
    snprintf(buf, cap, "/tmp/ybgw-setl-checks-XXXXXX");
    int fd = mkstemp(buf);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

static void test_tolerance_and_severity_are_data(void)
{
    char path[64], section[128];
    write_checks(path, sizeof(path),
                 "transactions 4101\n"
                 "tolerance 0.50\n"
                 "amount iteminfo.amt\namount payinfo.fund_payamt\n"
                 "sum funds reject iteminfo.amt = payinfo.fund_payamt \"ask the settlement\"\n");
    snprintf(section, sizeof(section), "checks %s;", path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(section));
    unlink(path);

    struct msg m = {.payinfo = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"710.00\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_PASS); /* 0.50 off: within the tolerance */
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    m.payinfo = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"709.99\"}";
    CU_ASSERT_EQUAL(run(&m), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "codeset.setl_list", "iteminfo", "funds", YB_DIAG_ERROR,
                        "710.50", WORDS("(off by 0.51): ask the settlement"));
    /* and no other rule: two principal diagnoses pass */
    m = (struct msg){.payinfo = "{\"fund_pay_type\":\"310100\",\"fund_payamt\":\"710.50\"}",
                     .diseinfo =
                         "{\"diag_type\":\"1\",\"diag_code\":\"BAD\",\"maindiag_flag\":\"1\"},"
                         "{\"diag_type\":\"1\",\"diag_code\":\"A09.900\",\"maindiag_flag\":\"1\"}"};
    CU_ASSERT_EQUAL(run(&m), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_bad_checks_files_refused(void)
{
    static const char *const bad[] = {
        "amount setlinfo.acct_pay\n", /* before transactions */
        "transactions 4101\nsum s reject setlinfo.acct_pay = setlinfo.psn_cashpay\n", /* no amount
                                                                                       */
        "transactions 4101\namount setlinfo\n",                        /* not NODE.FIELD */
        "transactions 4101\namount a.b\nsum s maybe a.b = a.b\n",      /* severity */
        "transactions 4101\namount a.b\nsum s warn a.b + a.b\n",       /* no = */
        "transactions 4101\nprincipal diseinfo maindiag_flag \"x\"\n", /* not FLAG=VALUE */
        "transactions 4101\nfrobnicate\n",                             /* unknown directive */
        "transactions 4101\nlabel a.b \"unterminated\n",               /* quote */
        "# nothing\n",                                                 /* no transactions */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[64], section[128];
        write_checks(path, sizeof(path), bad[i]);
        snprintf(section, sizeof(section), "checks %s;", path);
        if (load(section))
            fprintf(stderr, "accepted: %s", bad[i]);
        CU_ASSERT_PTR_NULL(host.set);
        unlink(path);
    }
    CU_ASSERT_PTR_NULL(load("checks /nonexistent/checks.conf;"));
    CU_ASSERT_PTR_NOT_NULL(load(""));
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_loads_without_a_kind),
        YB_TEST(test_valid_list_passes_clean),
        YB_TEST(test_other_transactions_untouched),
        YB_TEST(test_two_principal_diagnoses),
        YB_TEST(test_no_principal_diagnosis),
        YB_TEST(test_no_western_diagnosis),
        YB_TEST(test_tcm_principals_do_not_count),
        YB_TEST(test_no_diseinfo_no_principal_rule),
        YB_TEST(test_western_code_asks_icd10yb),
        YB_TEST(test_code_policy_of_the_kind_applies),
        YB_TEST(test_visit_transactions_get_only_the_code_rule),
        YB_TEST(test_negative_amounts),
        YB_TEST(test_amount_text),
        YB_TEST(test_item_split),
        YB_TEST(test_item_split_not_judged_when_unfilled),
        YB_TEST(test_payments_total_warns),
        YB_TEST(test_personal_parts_warn),
        YB_TEST(test_overlong_list_refused_once),
        YB_TEST(test_settlement_dates_in_order),
        YB_TEST(test_admission_before_discharge),
        YB_TEST(test_large_amounts_add_exactly),
        YB_TEST(test_tolerance_and_severity_are_data),
        YB_TEST(test_bad_checks_files_refused),
        YB_TEST_END,
    };
    int rc = yb_test_main("setl_list", tests);
    yb_test_host_free(&host);
    return rc;
}
