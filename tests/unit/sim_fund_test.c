/*
 * sim_fund_test.c - the simulator's exact decimals (sim/decimal.c) and its
 * fund split (sim/fund.c): parsing, rounding, the split for the cases a
 * hospital meets, and the identities a HIS reconciles against.
 */
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "decimal.h"
#include "fund.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

#define D(units, micro) ((ybsim_dec)(units)*YBSIM_DEC_ONE + (micro))
#define Y(yuan, fen) ((ybsim_dec)(yuan)*YBSIM_DEC_ONE + (ybsim_dec)(fen)*YBSIM_DEC_FEN)

static ybsim_dec parse_ok(const char *s, unsigned places)
{
    ybsim_dec v = INT64_MIN;
    int rc = ybsim_dec_parse(s, strlen(s), places, &v);
    CU_ASSERT_EQUAL(rc, 0);
    return v;
}

static int parse_rc(const char *s, unsigned places)
{
    ybsim_dec v;
    return ybsim_dec_parse(s, strlen(s), places, &v);
}

static const char *fmt(ybsim_dec v, unsigned places)
{
    static char buf[4][YBSIM_DEC_TEXT];
    static int k;
    char *b = buf[k++ & 3];
    CU_ASSERT(ybsim_dec_format(v, places, b, YBSIM_DEC_TEXT) > 0);
    return b;
}

static void test_decimal_parse(void)
{
    CU_ASSERT_EQUAL(parse_ok("123.45", 2), D(123, 450000));
    CU_ASSERT_EQUAL(parse_ok("0.1", 2), D(0, 100000));
    CU_ASSERT_EQUAL(parse_ok("-1.5", 2), -D(1, 500000));
    CU_ASSERT_EQUAL(parse_ok("12", 0), D(12, 0));
    CU_ASSERT_EQUAL(parse_ok("1E2", 2), D(100, 0));
    CU_ASSERT_EQUAL(parse_ok("1.25e-1", 4), D(0, 125000));
    CU_ASSERT_EQUAL(parse_ok("0.000001", 6), 1);
    CU_ASSERT_EQUAL(parse_ok("12.3400", 2), D(12, 340000)); /* trailing zeros are fine */
    CU_ASSERT_EQUAL(parse_ok("007.50", 2), D(7, 500000));
    CU_ASSERT_EQUAL(parse_ok("-0", 2), 0);
    /* more places than allowed */
    CU_ASSERT_EQUAL(parse_rc("12.345", 2), YB_ELIMIT);
    CU_ASSERT_EQUAL(parse_rc("0.0000001", 6), YB_ELIMIT);
    CU_ASSERT_EQUAL(parse_rc("1.00001", 4), YB_ELIMIT);
    /* too big for int64 micro-units */
    CU_ASSERT_EQUAL(parse_rc("99999999999999.99", 2), YB_ELIMIT);
    CU_ASSERT_EQUAL(parse_rc("1e40", 2), YB_ELIMIT);
    /* not numbers */
    CU_ASSERT_EQUAL(parse_rc("", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc("abc", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc("1.", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc(".5", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc("--1", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc("1e", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc("1.2.3", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc("12 ", 2), YB_EINVAL);
    CU_ASSERT_EQUAL(parse_rc("+1", 2), YB_EINVAL);
    /* the length bounds the parse, not a NUL */
    ybsim_dec v = 0;
    CU_ASSERT_EQUAL(ybsim_dec_parse("12.50xyz", 5, 2, &v), 0);
    CU_ASSERT_EQUAL(v, D(12, 500000));
}

static void test_decimal_exact(void)
{
    /* 0.1 + 0.2 is 0.3, not 0.30000000000000004 */
    ybsim_dec sum;
    CU_ASSERT_EQUAL(ybsim_dec_add(parse_ok("0.1", 2), parse_ok("0.2", 2), &sum), 0);
    CU_ASSERT_EQUAL(sum, parse_ok("0.3", 2));
    CU_ASSERT_STRING_EQUAL(fmt(sum, 2), "0.30");
    /* ten times 0.10 is exactly 1.00 */
    ybsim_dec acc = 0;
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(ybsim_dec_add(acc, parse_ok("0.10", 2), &acc), 0);
    CU_ASSERT_EQUAL(acc, YBSIM_DEC_ONE);
    /* overflow is reported, not wrapped */
    CU_ASSERT_EQUAL(ybsim_dec_add(INT64_MAX, 1, &sum), YB_ELIMIT);
    CU_ASSERT_EQUAL(ybsim_dec_sub(INT64_MIN, 1, &sum), YB_ELIMIT);
}

static void test_decimal_round(void)
{
    CU_ASSERT_EQUAL(ybsim_dec_round2(D(0, 5000)), D(0, 10000));   /* 0.005 -> 0.01 */
    CU_ASSERT_EQUAL(ybsim_dec_round2(D(0, 4999)), 0);             /* 0.004999 -> 0.00 */
    CU_ASSERT_EQUAL(ybsim_dec_round2(-D(0, 5000)), -D(0, 10000)); /* half away from zero */
    CU_ASSERT_EQUAL(ybsim_dec_round2(D(2, 675000)), D(2, 680000));
    CU_ASSERT_EQUAL(ybsim_dec_round2(D(2, 665000)), D(2, 670000)); /* not banker's rounding */
    CU_ASSERT_EQUAL(ybsim_dec_round(D(1, 234567), 4), D(1, 234600));
    CU_ASSERT_EQUAL(ybsim_dec_round(D(1, 500000), 0), D(2, 0));
}

static void test_decimal_mul(void)
{
    ybsim_dec r;
    /* cnt 3 x pric 33.333333 = 99.999999 -> 100.00 */
    CU_ASSERT_EQUAL(ybsim_dec_mul(parse_ok("3", 4), parse_ok("33.333333", 6), 2, &r), 0);
    CU_ASSERT_EQUAL(r, D(100, 0));
    /* 2.5 x 1.15 = 2.875 -> 2.88 */
    CU_ASSERT_EQUAL(ybsim_dec_mul(parse_ok("2.5", 4), parse_ok("1.15", 6), 2, &r), 0);
    CU_ASSERT_EQUAL(r, D(2, 880000));
    /* one rounding only: 0.499999 x 0.01 = 0.00499999 -> 0.00 (rounding to 6
     * places first would give 0.005000 and then 0.01) */
    CU_ASSERT_EQUAL(ybsim_dec_mul(D(0, 499999), D(0, 10000), 2, &r), 0);
    CU_ASSERT_EQUAL(r, 0);
    /* negative products round away from zero too */
    CU_ASSERT_EQUAL(ybsim_dec_mul(-D(0, 5000), D(1, 0), 2, &r), 0);
    CU_ASSERT_EQUAL(r, -D(0, 10000));
    /* 6-place result keeps all places */
    CU_ASSERT_EQUAL(ybsim_dec_mul(D(0, 333333), D(3, 0), 6, &r), 0);
    CU_ASSERT_EQUAL(r, D(0, 999999));
    CU_ASSERT_EQUAL(ybsim_dec_mul(INT64_MAX, D(2, 0), 2, &r), YB_ELIMIT);
}

static void test_decimal_format(void)
{
    CU_ASSERT_STRING_EQUAL(fmt(D(1200, 0), 2), "1200.00");
    CU_ASSERT_STRING_EQUAL(fmt(-D(0, 500000), 2), "-0.50");
    CU_ASSERT_STRING_EQUAL(fmt(0, 2), "0.00");
    CU_ASSERT_STRING_EQUAL(fmt(D(7, 0), 0), "7");
    CU_ASSERT_STRING_EQUAL(fmt(D(0, 1), 6), "0.000001");
    CU_ASSERT_STRING_EQUAL(fmt(D(0, 5000), 2), "0.01"); /* rounded on the way out */
    CU_ASSERT_STRING_EQUAL(fmt(INT64_MAX, 6), "9223372036854.775807");
    char small[4];
    CU_ASSERT_EQUAL(ybsim_dec_format(D(1200, 0), 2, small, sizeof(small)), YB_ELIMIT);
    /* text -> value -> text is the identity for 2-place amounts */
    const char *samples[] = {"0.01", "19.99", "1200.00", "-3.40", "123456789012.34"};
    for (size_t i = 0; i < sizeof(samples) / sizeof(*samples); i++)
        CU_ASSERT_STRING_EQUAL(fmt(parse_ok(samples[i], 2), 2), samples[i]);
}

/* ---- policies ---- */

static const char policy_text[] =
    "policy 45 310 {\n"
    "    deductible 1000.00;\n"
    "    annual_cap 1000.00;\n"
    "    pool_ratio 0.80;\n"
    "    selfpay_ratio 甲 0;\n"
    "    selfpay_ratio 乙 0.10;\n"
    "    selfpay_ratio 03 1;\n"
    "    cvlserv_ratio 0.50;\n"
    "    hifmi_ratio 0.60;\n"
    "    maf_ratio 0.70;\n"
    "    account on;\n"
    "    fund pool 310100 统筹基金;\n"
    "    fund hifmi 330100 大额;\n"
    "}\n"
    "policy 45 310 inpatient {\n"
    "    deductible 500.00; pool_ratio 0.9; fund pool 310100 统筹基金;\n"
    "}\n"
    "policy 450199 310 {\n"
    "    pool_ratio 0.85; fund pool 310100 统筹基金;\n"
    "}\n"
    "policy * 390 {\n"
    "    pool_ratio 0.5; fund pool 390100 居民基金;\n"
    "}\n";

static struct ybsim_policy *load_policies(const char *text)
{
    char err[256] = "";
    struct yb_conf *root =
        yb_conf_parse_string("policy.conf", text, strlen(text), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    struct ybsim_policy *head = NULL, **tail = &head;
    for (const struct yb_conf *d = root->children; d; d = d->next) {
        struct ybsim_policy *p = ybsim_policy_parse(d, err, sizeof(err));
        CU_ASSERT_PTR_NOT_NULL(p);
        if (!p) {
            fprintf(stderr, "%s\n", err);
            break;
        }
        *tail = p;
        tail = &p->next;
    }
    yb_conf_free(root);
    return head;
}

static void test_policy_parse(void)
{
    struct ybsim_policy *list = load_policies(policy_text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    CU_ASSERT_EQUAL(list->deductible, Y(1000, 0));
    CU_ASSERT_EQUAL(list->pool_ratio, D(0, 800000));
    CU_ASSERT_EQUAL(list->selfpay_ratio[YBSIM_LEVEL_A], 0);
    CU_ASSERT_EQUAL(list->selfpay_ratio[YBSIM_LEVEL_B], D(0, 100000));
    CU_ASSERT_EQUAL(list->selfpay_ratio[YBSIM_LEVEL_C], YBSIM_DEC_ONE);
    CU_ASSERT_STRING_EQUAL(list->fund_code[YBSIM_FUND_POOL], "310100");
    CU_ASSERT_EQUAL(list->account, 1);
    CU_ASSERT_EQUAL(list->line, 1);

    /* longest prefix, then exact scope over "any" */
    const struct ybsim_policy *p;
    p = ybsim_policy_find(list, "450102", "310", YBSIM_SCOPE_OUTPATIENT);
    CU_ASSERT(p && p->deductible == Y(1000, 0));
    p = ybsim_policy_find(list, "450102", "310", YBSIM_SCOPE_INPATIENT);
    CU_ASSERT(p && p->deductible == Y(500, 0));
    p = ybsim_policy_find(list, "450199", "310", YBSIM_SCOPE_INPATIENT);
    CU_ASSERT(p && p->pool_ratio == D(0, 850000));
    p = ybsim_policy_find(list, "330199", "390", YBSIM_SCOPE_OUTPATIENT);
    CU_ASSERT(p && p->pool_ratio == D(0, 500000));
    CU_ASSERT_PTR_NULL(ybsim_policy_find(list, "330199", "310", YBSIM_SCOPE_OUTPATIENT));
    ybsim_policy_free(list);
}

static void expect_policy_error(const char *text, const char *needle)
{
    char err[256] = "";
    struct yb_conf *root = yb_conf_parse_string("bad.conf", text, strlen(text), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    struct ybsim_policy *p = ybsim_policy_parse(root->children, err, sizeof(err));
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
    if (!strstr(err, needle))
        fprintf(stderr, "got: %s\n", err);
    ybsim_policy_free(p);
    yb_conf_free(root);
}

static void test_policy_errors(void)
{
    expect_policy_error("policy 45 310 {\n pool_ratio 1.5; fund pool 1 x; }",
                        "bad.conf:2: \"pool_ratio\": \"1.5\" is not a ratio");
    expect_policy_error("policy 45 310 {\n deductible 10.001; fund pool 1 x; }",
                        "bad.conf:2: \"deductible\"");
    expect_policy_error("policy 45 310 {\n selfpay_ratio 丁 0.1; fund pool 1 x; }",
                        "is not a charge level");
    expect_policy_error("policy 4x 310 { fund pool 1 x; }", "region prefix");
    expect_policy_error("policy 45 310 { pool_ratio 0.5; }", "no \"fund pool CODE NAME;\"");
    expect_policy_error("policy 45 310 daycare { fund pool 1 x; }", "scope \"daycare\"");
    expect_policy_error("policy 45 310 {\n\n colour blue; }", "bad.conf:3: unknown directive");
}

/* ---- the split ---- */

static struct ybsim_policy base_policy(void)
{
    struct ybsim_policy p;
    memset(&p, 0, sizeof(p));
    memcpy(p.region, "45", 3);
    memcpy(p.insutype, "310", 4);
    p.deductible = Y(1000, 0);
    p.annual_cap = Y(300000, 0);
    p.pool_ratio = D(0, 800000);
    p.selfpay_ratio[YBSIM_LEVEL_A] = 0;
    p.selfpay_ratio[YBSIM_LEVEL_B] = D(0, 100000);
    p.selfpay_ratio[YBSIM_LEVEL_C] = YBSIM_DEC_ONE;
    p.cvlserv_ratio = D(0, 500000);
    p.hifmi_ratio = D(0, 600000);
    p.maf_ratio = D(0, 700000);
    p.account = 1;
    memcpy(p.fund_code[YBSIM_FUND_POOL], "310100", 7);
    memcpy(p.fund_name[YBSIM_FUND_POOL], "pool", 5);
    memcpy(p.fund_code[YBSIM_FUND_HIFMI], "330100", 7);
    return p;
}

static void add_line(const struct ybsim_policy *p, struct ybsim_settle_in *in, ybsim_dec amount,
                     int level)
{
    struct ybsim_fee_in fee = {
        .amount = amount, .cnt = YBSIM_DEC_ONE, .pric = amount, .level = level};
    struct ybsim_fee_split line;
    CU_ASSERT_EQUAL(ybsim_fund_fee(p, &fee, &line), 0);
    CU_ASSERT_EQUAL(line.fulamt_ownpay_amt + line.overlmt_amt + line.preselfpay_amt +
                        line.inscp_scp_amt,
                    amount);
    CU_ASSERT_EQUAL(ybsim_fund_add_line(in, amount, &line), 0);
}

static void settle_checked(const struct ybsim_policy *p, const struct ybsim_settle_in *in,
                           struct ybsim_split *s)
{
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(ybsim_fund_settle(p, in, s), 0);
    CU_ASSERT_EQUAL(ybsim_fund_check(s, err, sizeof(err)), 0);
    if (err[0])
        fprintf(stderr, "%s\n", err);
}

static void test_fee_line_levels(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_fee_split s;
    struct ybsim_fee_in fee = {.amount = Y(200, 0), .cnt = D(2, 0), .pric = Y(100, 0)};

    fee.level = YBSIM_LEVEL_A;
    CU_ASSERT_EQUAL(ybsim_fund_fee(&p, &fee, &s), 0);
    CU_ASSERT_EQUAL(s.inscp_scp_amt, Y(200, 0));
    CU_ASSERT_EQUAL(s.preselfpay_amt, 0);
    CU_ASSERT_EQUAL(s.selfpay_prop, 0);

    fee.level = YBSIM_LEVEL_B;
    CU_ASSERT_EQUAL(ybsim_fund_fee(&p, &fee, &s), 0);
    CU_ASSERT_EQUAL(s.preselfpay_amt, Y(20, 0));
    CU_ASSERT_EQUAL(s.inscp_scp_amt, Y(180, 0));

    fee.level = YBSIM_LEVEL_C;
    CU_ASSERT_EQUAL(ybsim_fund_fee(&p, &fee, &s), 0);
    CU_ASSERT_EQUAL(s.fulamt_ownpay_amt, Y(200, 0));
    CU_ASSERT_EQUAL(s.inscp_scp_amt, 0);

    /* a price cap of 80.00: 2 x 20.00 over the cap is the patient's */
    fee.level = YBSIM_LEVEL_B;
    fee.pric_uplmt = Y(80, 0);
    CU_ASSERT_EQUAL(ybsim_fund_fee(&p, &fee, &s), 0);
    CU_ASSERT_EQUAL(s.overlmt_amt, Y(40, 0));
    CU_ASSERT_EQUAL(s.preselfpay_amt, Y(16, 0));
    CU_ASSERT_EQUAL(s.inscp_scp_amt, Y(144, 0));

    /* 10% of 0.15 is 0.015 -> 0.02 first self-pay, 0.13 in scope */
    struct ybsim_fee_in small = {
        .amount = Y(0, 15), .cnt = YBSIM_DEC_ONE, .pric = Y(0, 15), .level = YBSIM_LEVEL_B};
    CU_ASSERT_EQUAL(ybsim_fund_fee(&p, &small, &s), 0);
    CU_ASSERT_EQUAL(s.preselfpay_amt, Y(0, 2));
    CU_ASSERT_EQUAL(s.inscp_scp_amt, Y(0, 13));

    fee.level = 7;
    CU_ASSERT_EQUAL(ybsim_fund_fee(&p, &fee, &s), YB_EINVAL);
    fee.level = YBSIM_LEVEL_A;
    fee.amount = -1;
    CU_ASSERT_EQUAL(ybsim_fund_fee(&p, &fee, &s), YB_EINVAL);
}

static void test_split_all_a_after_deductible(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_settle_in in = {.dedc_used = Y(1000, 0)};
    add_line(&p, &in, Y(60, 0), YBSIM_LEVEL_A);
    add_line(&p, &in, Y(40, 0), YBSIM_LEVEL_A);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.medfee_sumamt, Y(100, 0));
    CU_ASSERT_EQUAL(s.inscp_scp_amt, Y(100, 0));
    CU_ASSERT_EQUAL(s.act_pay_dedc, 0);
    CU_ASSERT_EQUAL(s.hifp_pay, Y(80, 0));
    CU_ASSERT_EQUAL(s.pool_prop_selfpay, Y(20, 0));
    CU_ASSERT_EQUAL(s.fund_pay_sumamt, Y(80, 0));
    CU_ASSERT_EQUAL(s.psn_part_amt, Y(20, 0));
    CU_ASSERT_EQUAL(s.acct_pay, 0); /* acct_used_flag 0 */
    CU_ASSERT_EQUAL(s.psn_cash_pay, Y(20, 0));
}

static void test_split_mixed_b_c_under_deductible(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_settle_in in = {0};
    add_line(&p, &in, Y(200, 0), YBSIM_LEVEL_B);
    add_line(&p, &in, Y(50, 0), YBSIM_LEVEL_C);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.medfee_sumamt, Y(250, 0));
    CU_ASSERT_EQUAL(s.fulamt_ownpay_amt, Y(50, 0));
    CU_ASSERT_EQUAL(s.preselfpay_amt, Y(20, 0));
    CU_ASSERT_EQUAL(s.inscp_scp_amt, Y(180, 0));
    CU_ASSERT_EQUAL(s.act_pay_dedc, Y(180, 0)); /* all of it goes to the deductible */
    CU_ASSERT_EQUAL(s.hifp_pay, 0);
    CU_ASSERT_EQUAL(s.fund_pay_sumamt, 0);
    CU_ASSERT_EQUAL(s.psn_part_amt, Y(250, 0));
    CU_ASSERT_EQUAL(s.dedc_left, Y(1000, 0));
    struct ybsim_fund_row rows[YBSIM_FUND_COUNT];
    int n = ybsim_fund_rows(&p, &s, rows);
    CU_ASSERT_EQUAL(n, 1); /* the pool row is there even at zero */
    CU_ASSERT_STRING_EQUAL(rows[0].fund_pay_type, "310100");
    CU_ASSERT_EQUAL(rows[0].fund_payamt, 0);
}

static void test_split_deductible_partly_used(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_settle_in in = {.dedc_used = Y(900, 0)};
    add_line(&p, &in, Y(300, 0), YBSIM_LEVEL_A);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.act_pay_dedc, Y(100, 0));
    CU_ASSERT_EQUAL(s.hifp_pay, Y(160, 0));
    CU_ASSERT_EQUAL(s.pool_prop_selfpay, Y(40, 0));
    CU_ASSERT_EQUAL(s.psn_part_amt, Y(140, 0));
}

static void test_split_cap_reached(void)
{
    struct ybsim_policy p = base_policy();
    p.annual_cap = Y(1000, 0);
    struct ybsim_settle_in in = {.dedc_used = Y(1000, 0), .pool_used = Y(950, 0)};
    add_line(&p, &in, Y(1000, 0), YBSIM_LEVEL_A);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.cap_left, Y(50, 0));
    CU_ASSERT_EQUAL(s.hifp_pay, Y(50, 0));   /* only what the cap leaves */
    CU_ASSERT_EQUAL(s.over_cap, Y(750, 0));  /* 800 share - 50 */
    CU_ASSERT_EQUAL(s.hifmi_pay, Y(450, 0)); /* 60% of what the cap cut off */
    CU_ASSERT_EQUAL(s.pool_prop_selfpay, Y(200, 0));
    CU_ASSERT_EQUAL(s.fund_pay_sumamt, Y(500, 0));
    CU_ASSERT_EQUAL(s.psn_part_amt, Y(500, 0));
    struct ybsim_fund_row rows[YBSIM_FUND_COUNT];
    CU_ASSERT_EQUAL(ybsim_fund_rows(&p, &s, rows), 2);
    CU_ASSERT_STRING_EQUAL(rows[1].fund_pay_type, "330100");
    CU_ASSERT_EQUAL(rows[0].crt_payb_lmt_amt, Y(50, 0));

    /* cap used up entirely: the pool pays nothing */
    in.pool_used = Y(1200, 0);
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.hifp_pay, 0);
    CU_ASSERT_EQUAL(s.hifmi_pay, Y(480, 0));
}

static void test_split_account_pays(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_settle_in in = {.dedc_used = Y(1000, 0), .balance = Y(1200, 0), .use_account = 1};
    add_line(&p, &in, Y(100, 0), YBSIM_LEVEL_A);
    add_line(&p, &in, Y(30, 0), YBSIM_LEVEL_C);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.psn_part_amt, Y(50, 0)); /* 20 proportional + 30 丙 */
    CU_ASSERT_EQUAL(s.acct_pay, Y(50, 0));
    CU_ASSERT_EQUAL(s.psn_cash_pay, 0);
    CU_ASSERT_EQUAL(s.balc, Y(1150, 0));

    /* in-scope only: the account does not pay for the 丙 item */
    p.account_inscope = 1;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.acct_pay, Y(20, 0));
    CU_ASSERT_EQUAL(s.psn_cash_pay, Y(30, 0));
    CU_ASSERT_EQUAL(s.balc, Y(1180, 0));

    /* a low balance pays what it has */
    p.account_inscope = 0;
    in.balance = Y(35, 50);
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.acct_pay, Y(35, 50));
    CU_ASSERT_EQUAL(s.psn_cash_pay, Y(14, 50));
    CU_ASSERT_EQUAL(s.balc, 0);

    /* account switched off by policy */
    p.account = 0;
    in.balance = Y(1200, 0);
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.acct_pay, 0);
    CU_ASSERT_EQUAL(s.balc, Y(1200, 0));
}

static void test_split_zero_balance(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_settle_in in = {.balance = 0, .use_account = 1};
    add_line(&p, &in, Y(88, 88), YBSIM_LEVEL_B);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.acct_pay, 0);
    CU_ASSERT_EQUAL(s.psn_cash_pay, Y(88, 88));
    CU_ASSERT_EQUAL(s.balc, 0);
}

static void test_split_cvlserv_and_maf(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_settle_in in = {.dedc_used = Y(1000, 0), .cvlserv = 1};
    add_line(&p, &in, Y(100, 0), YBSIM_LEVEL_A);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.cvlserv_pay, Y(10, 0)); /* 50% of the 20.00 proportional self-pay */
    CU_ASSERT_EQUAL(s.psn_part_amt, Y(10, 0));

    in.cvlserv = 0;
    in.maf = 1;
    settle_checked(&p, &in, &s);
    CU_ASSERT_EQUAL(s.maf_pay, Y(14, 0)); /* 70% of 20.00 */
    CU_ASSERT_EQUAL(s.fund_pay_sumamt, Y(94, 0));
    CU_ASSERT_EQUAL(s.psn_part_amt, Y(6, 0));
}

/* A deterministic sweep of awkward amounts: whatever the inputs, the
 * identities hold to the fen. */
static void test_split_invariants_sweep(void)
{
    struct ybsim_policy p = base_policy();
    p.annual_cap = Y(5000, 0);
    p.pool_ratio = D(0, 876543);
    p.selfpay_ratio[YBSIM_LEVEL_B] = D(0, 153333);
    uint64_t seed = 12345;
    unsigned checked = 0;
    for (int round = 0; round < 500; round++) {
        struct ybsim_settle_in in = {0};
        int lines = 1 + (int)(seed % 7);
        for (int i = 0; i < lines; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            ybsim_dec amount = (ybsim_dec)((seed >> 33) % 500000) * YBSIM_DEC_FEN;
            add_line(&p, &in, amount, (int)((seed >> 20) % 3));
        }
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        in.dedc_used = (ybsim_dec)((seed >> 40) % 120000) * YBSIM_DEC_FEN;
        in.pool_used = (ybsim_dec)((seed >> 20) % 600000) * YBSIM_DEC_FEN;
        in.balance = (ybsim_dec)((seed >> 10) % 200000) * YBSIM_DEC_FEN;
        in.use_account = (int)(seed & 1);
        in.cvlserv = (int)((seed >> 1) & 1);
        in.maf = (int)((seed >> 2) & 1);
        struct ybsim_split s;
        char err[256] = "";
        CU_ASSERT_EQUAL_FATAL(ybsim_fund_settle(&p, &in, &s), 0);
        CU_ASSERT_EQUAL(ybsim_fund_check(&s, err, sizeof(err)), 0);
        CU_ASSERT_EQUAL(s.fund_pay_sumamt + s.psn_part_amt, s.medfee_sumamt);
        CU_ASSERT_EQUAL(s.acct_pay + s.psn_cash_pay, s.psn_part_amt);
        CU_ASSERT(s.acct_pay <= in.balance);
        CU_ASSERT(s.act_pay_dedc + in.dedc_used <= p.deductible || s.act_pay_dedc == 0);
        CU_ASSERT(s.hifp_pay + in.pool_used <= p.annual_cap || s.hifp_pay == 0);
        checked++;
    }
    CU_ASSERT_EQUAL(checked, 500);
}

static void test_check_catches_breakage(void)
{
    struct ybsim_policy p = base_policy();
    struct ybsim_settle_in in = {.dedc_used = Y(1000, 0)};
    add_line(&p, &in, Y(100, 0), YBSIM_LEVEL_A);
    struct ybsim_split s;
    settle_checked(&p, &in, &s);
    char err[256];
    struct ybsim_split bad = s;
    bad.hifp_pay += YBSIM_DEC_FEN;
    CU_ASSERT_EQUAL(ybsim_fund_check(&bad, err, sizeof(err)), YB_EINVAL);
    bad = s;
    bad.psn_cash_pay -= YBSIM_DEC_FEN;
    CU_ASSERT_EQUAL(ybsim_fund_check(&bad, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "psn_part_amt"));
    bad = s;
    bad.acct_pay += 1; /* not whole fen */
    CU_ASSERT_EQUAL(ybsim_fund_check(&bad, err, sizeof(err)), YB_EINVAL);
    /* inconsistent sums are refused before any split is made */
    in.inscp_scp_amt += YBSIM_DEC_FEN;
    CU_ASSERT_EQUAL(ybsim_fund_settle(&p, &in, &s), YB_EINVAL);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_decimal_parse),
        YB_TEST(test_decimal_exact),
        YB_TEST(test_decimal_round),
        YB_TEST(test_decimal_mul),
        YB_TEST(test_decimal_format),
        YB_TEST(test_policy_parse),
        YB_TEST(test_policy_errors),
        YB_TEST(test_fee_line_levels),
        YB_TEST(test_split_all_a_after_deductible),
        YB_TEST(test_split_mixed_b_c_under_deductible),
        YB_TEST(test_split_deductible_partly_used),
        YB_TEST(test_split_cap_reached),
        YB_TEST(test_split_account_pays),
        YB_TEST(test_split_zero_balance),
        YB_TEST(test_split_cvlserv_and_maf),
        YB_TEST(test_split_invariants_sweep),
        YB_TEST(test_check_catches_breakage),
        YB_TEST_END,
    };
    return yb_test_main("sim_fund", tests);
}
