/*
 * fund.h - the benefit policy and the fund split (基金分割) of the simulator.
 *
 * Two steps, as on the platform:
 *  1. Each fee line (2204/2301) is split by its charge level (甲/乙/丙) and
 *     price cap into full self-pay, over-limit, first self-pay and the
 *     in-scope amount (ybsim_fund_fee).
 *  2. A settlement (2206/2207, 2303/2304) adds the lines up and splits the
 *     in-scope amount between the deductible, the pooled fund (up to the
 *     annual cap), the civil-servant subsidy, the critical-illness fund,
 *     medical aid and the person, who may pay from the personal account
 *     (ybsim_fund_settle).
 *
 * The policy is data from the configuration (`policy PREFIX INSUTYPE ...
 * { ... }`); nothing here knows a region. This file has no SQLite and no
 * event loop, so the unit test links it alone.
 */
#ifndef YBSIM_FUND_H
#define YBSIM_FUND_H

#include <stddef.h>

#include "conf.h"
#include "decimal.h"

/* Charge levels (收费项目等级 chrgitm_lv): 01 甲类, 02 乙类, 03 丙类/自费. */
enum ybsim_level { YBSIM_LEVEL_A = 0, YBSIM_LEVEL_B = 1, YBSIM_LEVEL_C = 2, YBSIM_LEVEL_COUNT };

/* "01"/"甲" -> YBSIM_LEVEL_A, ...; -1 if the text names no level. */
int ybsim_level_parse(const char *s);
/* "01", "02", "03" */
const char *ybsim_level_code(int level);

/* Funds that pay part of a settlement; each has a fund_pay_type code and a
 * name from the policy, because the codes differ by insurance type. */
enum ybsim_fund_kind {
    YBSIM_FUND_POOL = 0, /* 统筹基金: hifp_pay */
    YBSIM_FUND_CVLSERV,  /* 公务员医疗补助: cvlserv_pay */
    YBSIM_FUND_HIFMI,    /* 大额/大病保险: hifmi_pay */
    YBSIM_FUND_MAF,      /* 医疗救助: maf_pay */
    YBSIM_FUND_COUNT
};

/* Which visits a policy applies to. */
enum ybsim_scope { YBSIM_SCOPE_ANY = 0, YBSIM_SCOPE_OUTPATIENT, YBSIM_SCOPE_INPATIENT };

struct ybsim_policy {
    char region[8];       /* admdvs prefix it applies to: "45", "450199", "" = all */
    char insutype[8];     /* 险种: "310", "390" */
    int scope;            /* enum ybsim_scope */
    ybsim_dec deductible; /* 起付线 per year */
    ybsim_dec annual_cap; /* 封顶线: pooled fund per year; 0 = no cap */
    ybsim_dec pool_ratio; /* share of the in-scope amount above the deductible */
    ybsim_dec selfpay_ratio[YBSIM_LEVEL_COUNT]; /* 先行自付比例 per level */
    ybsim_dec cvlserv_ratio;                    /* share of pool_prop_selfpay, for cvlserv_flag 1 */
    ybsim_dec hifmi_ratio;                      /* share of what the cap cut off from the pool */
    ybsim_dec maf_ratio; /* share of the in-scope self-pay left, for aid targets */
    int account;         /* the personal account may pay */
    int account_inscope; /* it may pay only in-scope self-pay (not 丙/over-limit) */
    char fund_code[YBSIM_FUND_COUNT][16];
    char fund_name[YBSIM_FUND_COUNT][96];
    const char *file; /* where it was defined, for messages (not owned) */
    int line;
    struct ybsim_policy *next;
};

/* Parse one `policy PREFIX INSUTYPE [outpatient|inpatient] { ... }` block
 * into a new policy (caller frees with ybsim_policy_free). On failure NULL
 * with "file:line: reason" in err. */
struct ybsim_policy *ybsim_policy_parse(const struct yb_conf *d, char *err, size_t errlen);
/* Free a list of policies. */
void ybsim_policy_free(struct ybsim_policy *list);
/* The policy for a person insured at admdvs with insutype, for a visit of
 * the given scope: the longest region prefix wins, and among equal prefixes
 * a policy for exactly this scope beats one for any. NULL if none. */
const struct ybsim_policy *ybsim_policy_find(const struct ybsim_policy *list, const char *admdvs,
                                             const char *insutype, int scope);

/* ---- step 1: one fee line ---- */
struct ybsim_fee_in {
    ybsim_dec amount;     /* det_item_fee_sumamt, whole fen */
    ybsim_dec cnt;        /* up to 4 places */
    ybsim_dec pric;       /* up to 6 places */
    ybsim_dec pric_uplmt; /* 最高限价; 0 = none */
    int level;            /* enum ybsim_level */
};

struct ybsim_fee_split {
    ybsim_dec fulamt_ownpay_amt; /* 全自费 */
    ybsim_dec overlmt_amt;       /* 超限价自费 */
    ybsim_dec preselfpay_amt;    /* 先行自付 */
    ybsim_dec inscp_scp_amt;     /* 符合政策范围 */
    ybsim_dec selfpay_prop;      /* the ratio that was applied */
};

/* Split one line. Returns 0, or YB_EINVAL for a negative amount or a level
 * out of range. The four parts always add up to amount. */
int ybsim_fund_fee(const struct ybsim_policy *p, const struct ybsim_fee_in *in,
                   struct ybsim_fee_split *out);

/* ---- step 2: the settlement ---- */
struct ybsim_settle_in {
    /* sums over the visit's lines (ybsim_fund_add_line adds one) */
    ybsim_dec medfee_sumamt;
    ybsim_dec fulamt_ownpay_amt;
    ybsim_dec overlmt_selfpay;
    ybsim_dec preselfpay_amt;
    ybsim_dec inscp_scp_amt;
    /* the person's year so far, from earlier settlements not revoked */
    ybsim_dec dedc_used; /* deductible already paid */
    ybsim_dec pool_used; /* pooled fund already paid */
    ybsim_dec balance;   /* personal account before this settlement */
    int use_account;     /* acct_used_flag = 1 */
    int cvlserv;         /* cvlserv_flag = 1 */
    int maf;             /* a medical-aid target */
};

/* The answer's amounts. The order is the order of ybsim_split_fields. */
struct ybsim_split {
    ybsim_dec medfee_sumamt;
    ybsim_dec fulamt_ownpay_amt;
    ybsim_dec overlmt_selfpay;
    ybsim_dec preselfpay_amt;
    ybsim_dec inscp_scp_amt;
    ybsim_dec act_pay_dedc;
    ybsim_dec hifp_pay;
    ybsim_dec pool_prop_selfpay;
    ybsim_dec cvlserv_pay;
    ybsim_dec hifes_pay;
    ybsim_dec hifmi_pay;
    ybsim_dec hifob_pay;
    ybsim_dec maf_pay;
    ybsim_dec oth_pay;
    ybsim_dec fund_pay_sumamt;
    ybsim_dec psn_part_amt;
    ybsim_dec acct_pay;
    ybsim_dec psn_cash_pay;
    ybsim_dec hosp_part_amt;
    ybsim_dec balc;
    ybsim_dec acct_mulaid_pay;
    /* not in setlinfo: for setldetail and the store */
    ybsim_dec over_cap;  /* pool share the annual cap cut off */
    ybsim_dec cap_left;  /* pooled fund still payable before this settlement */
    ybsim_dec dedc_left; /* deductible still to pay before this settlement */
};

/* Field names and offsets of the setlinfo amounts, NULL-terminated: the
 * handlers write them, the store keeps them, in one order. */
struct ybsim_split_field {
    const char *name;
    size_t offset;
};
extern const struct ybsim_split_field ybsim_split_fields[];

static inline ybsim_dec *ybsim_split_at(struct ybsim_split *s, const struct ybsim_split_field *f)
{
    return (ybsim_dec *)((char *)s + f->offset);
}

/* Add one line's amount and split to a settlement's sums. */
int ybsim_fund_add_line(struct ybsim_settle_in *in, ybsim_dec amount,
                        const struct ybsim_fee_split *line);

/* Compute the split. Returns 0, or YB_EINVAL when the sums are negative or
 * inconsistent (their parts do not add up to medfee_sumamt) or YB_ELIMIT
 * on overflow. The result always passes ybsim_fund_check. */
int ybsim_fund_settle(const struct ybsim_policy *p, const struct ybsim_settle_in *in,
                      struct ybsim_split *out);

/* Check the identities a HIS reconciles against; 0 or YB_EINVAL with the
 * first broken identity in err:
 *   medfee_sumamt = fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt
 *   inscp_scp_amt = act_pay_dedc + hifp_pay + over_cap + pool_prop_selfpay
 *   fund_pay_sumamt = hifp + cvlserv + hifes + hifmi + hifob + maf + oth
 *   medfee_sumamt = fund_pay_sumamt + psn_part_amt (+ hosp_part_amt)
 *   psn_part_amt = acct_pay + psn_cash_pay
 * and every amount is whole fen and not negative. */
int ybsim_fund_check(const struct ybsim_split *s, char *err, size_t errlen);

/* The setldetail rows: one per fund that paid. */
struct ybsim_fund_row {
    const char *fund_pay_type;
    const char *fund_pay_type_name;
    ybsim_dec inscp_scp_amt;
    ybsim_dec crt_payb_lmt_amt;
    ybsim_dec fund_payamt;
};
/* Fill rows (room for YBSIM_FUND_COUNT) and return how many. */
int ybsim_fund_rows(const struct ybsim_policy *p, const struct ybsim_split *s,
                    struct ybsim_fund_row *rows);

#endif
