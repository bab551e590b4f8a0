/*
 * fund.c - benefit policies as data, and the fund split they drive.
 *
 * Owns the `policy` configuration block, the per-line split of a fee line
 * by charge level, and the settlement split. Every amount is an exact
 * decimal (decimal.h); each rounding happens in exactly one place and the
 * remainder of a split is always taken by subtraction, so the parts add up
 * to the whole to the fen, by construction and again by ybsim_fund_check.
 */
#include "fund.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ybgw/ybgw.h"

/* ---- charge levels ---- */

static const char *const level_codes[YBSIM_LEVEL_COUNT] = {"01", "02", "03"};
static const char *const level_names[YBSIM_LEVEL_COUNT] = {"甲", "乙", "丙"};

int ybsim_level_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < YBSIM_LEVEL_COUNT; i++)
        if (strcmp(s, level_codes[i]) == 0 || strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

const char *ybsim_level_code(int level)
{
    return level >= 0 && level < YBSIM_LEVEL_COUNT ? level_codes[level] : "03";
}

/* ---- the policy block ---- */

static int parse_amount(const char *s, ybsim_dec *out)
{
    ybsim_dec v;
    if (ybsim_dec_parse(s, strlen(s), 2, &v) || v < 0)
        return YB_EINVAL;
    *out = v;
    return 0;
}

static int parse_ratio(const char *s, ybsim_dec *out)
{
    ybsim_dec v;
    if (ybsim_dec_parse(s, strlen(s), 6, &v) || v < 0 || v > YBSIM_DEC_ONE)
        return YB_EINVAL;
    *out = v;
    return 0;
}

static int set_amount(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                      char *err, size_t errlen)
{
    if (parse_amount(d->argv[0], (ybsim_dec *)((char *)target + cmd->offset)))
        return yb_conf_error(d, err, errlen,
                             "\"%s\": \"%s\" is not an amount (like 1000.00, at most 2 places)",
                             d->name, d->argv[0]);
    return 0;
}

static int set_ratio(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    if (parse_ratio(d->argv[0], (ybsim_dec *)((char *)target + cmd->offset)))
        return yb_conf_error(d, err, errlen,
                             "\"%s\": \"%s\" is not a ratio between 0 and 1 (like 0.85)", d->name,
                             d->argv[0]);
    return 0;
}

static int set_selfpay(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_policy *p = target;
    int level = ybsim_level_parse(d->argv[0]);
    if (level < 0)
        return yb_conf_error(
            d, err, errlen,
            "\"selfpay_ratio\": \"%s\" is not a charge level (甲 乙 丙 or 01 02 03)", d->argv[0]);
    if (parse_ratio(d->argv[1], &p->selfpay_ratio[level]))
        return yb_conf_error(
            d, err, errlen, "\"selfpay_ratio\": \"%s\" is not a ratio between 0 and 1", d->argv[1]);
    return 0;
}

static const char *const fund_kinds[YBSIM_FUND_COUNT + 1] = {"pool", "cvlserv", "hifmi", "maf",
                                                             NULL};

static int set_fund(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                    char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_policy *p = target;
    int kind = -1;
    for (int i = 0; fund_kinds[i]; i++)
        if (strcmp(fund_kinds[i], d->argv[0]) == 0)
            kind = i;
    if (kind < 0)
        return yb_conf_error(d, err, errlen,
                             "\"fund\": \"%s\" is not a fund (pool, cvlserv, hifmi or maf)",
                             d->argv[0]);
    size_t code_len = strlen(d->argv[1]), name_len = strlen(d->argv[2]);
    if (code_len == 0 || code_len >= sizeof(p->fund_code[0]) || name_len >= sizeof(p->fund_name[0]))
        return yb_conf_error(d, err, errlen, "\"fund\": code or name too long");
    memcpy(p->fund_code[kind], d->argv[1], code_len + 1);
    memcpy(p->fund_name[kind], d->argv[2], name_len + 1);
    return 0;
}

static const char *const account_scopes[] = {"all", "inscope", NULL};

static const struct yb_conf_command policy_commands[] = {
    {"deductible", 1, 1, 0, set_amount, offsetof(struct ybsim_policy, deductible), 0},
    {"annual_cap", 1, 1, 0, set_amount, offsetof(struct ybsim_policy, annual_cap), 0},
    {"pool_ratio", 1, 1, 0, set_ratio, offsetof(struct ybsim_policy, pool_ratio), 0},
    {"selfpay_ratio", 2, 2, 0, set_selfpay, 0, 0},
    {"cvlserv_ratio", 1, 1, 0, set_ratio, offsetof(struct ybsim_policy, cvlserv_ratio), 0},
    {"hifmi_ratio", 1, 1, 0, set_ratio, offsetof(struct ybsim_policy, hifmi_ratio), 0},
    {"maf_ratio", 1, 1, 0, set_ratio, offsetof(struct ybsim_policy, maf_ratio), 0},
    {"account", 1, 1, 0, yb_conf_set_flag, offsetof(struct ybsim_policy, account), 0},
    {"account_scope", 1, 1, 0, yb_conf_set_enum, offsetof(struct ybsim_policy, account_inscope),
     (uintptr_t)account_scopes},
    {"fund", 3, 3, 0, set_fund, 0, 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

static int all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

struct ybsim_policy *ybsim_policy_parse(const struct yb_conf *d, char *err, size_t errlen)
{
    struct ybsim_policy *p = NULL;
    if (d->argc < 2 || d->argc > 3 || !d->has_block) {
        yb_conf_error(d, err, errlen,
                      "\"policy\" takes REGION_PREFIX INSUTYPE [outpatient|inpatient] { ... }");
        goto fail;
    }
    const char *region = d->argv[0], *insutype = d->argv[1];
    if (strcmp(region, "*") == 0)
        region = "";
    if (strlen(region) > 6 || !all_digits(region)) {
        yb_conf_error(d, err, errlen, "\"policy\": region prefix \"%s\" is not 1-6 digits or *",
                      d->argv[0]);
        goto fail;
    }
    if (strlen(insutype) == 0 || strlen(insutype) > 6 || !all_digits(insutype)) {
        yb_conf_error(d, err, errlen, "\"policy\": insutype \"%s\" is not a 险种 code like 310",
                      insutype);
        goto fail;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        yb_conf_error(d, err, errlen, "out of memory");
        goto fail;
    }
    memcpy(p->region, region, strlen(region) + 1);
    memcpy(p->insutype, insutype, strlen(insutype) + 1);
    if (d->argc == 3) {
        if (strcmp(d->argv[2], "outpatient") == 0) {
            p->scope = YBSIM_SCOPE_OUTPATIENT;
        } else if (strcmp(d->argv[2], "inpatient") == 0) {
            p->scope = YBSIM_SCOPE_INPATIENT;
        } else {
            yb_conf_error(d, err, errlen, "\"policy\": scope \"%s\" is not outpatient or inpatient",
                          d->argv[2]);
            goto fail;
        }
    }
    /* 丙 is self-paid in full unless the policy says otherwise */
    p->selfpay_ratio[YBSIM_LEVEL_C] = YBSIM_DEC_ONE;
    p->file = d->file;
    p->line = d->line;
    if (yb_conf_apply(d, policy_commands, p, err, errlen))
        goto fail;
    if (!p->fund_code[YBSIM_FUND_POOL][0]) {
        yb_conf_error(d, err, errlen, "\"policy %s %s\": no \"fund pool CODE NAME;\" line",
                      d->argv[0], insutype);
        goto fail;
    }
    return p;
fail:
    free(p);
    return NULL;
}

void ybsim_policy_free(struct ybsim_policy *list)
{
    while (list) {
        struct ybsim_policy *next = list->next;
        free(list);
        list = next;
    }
}

const struct ybsim_policy *ybsim_policy_find(const struct ybsim_policy *list, const char *admdvs,
                                             const char *insutype, int scope)
{
    const struct ybsim_policy *best = NULL;
    size_t best_len = 0;
    if (!admdvs || !insutype)
        return NULL;
    for (const struct ybsim_policy *p = list; p; p = p->next) {
        size_t len = strlen(p->region);
        if (strcmp(p->insutype, insutype) != 0 || strncmp(p->region, admdvs, len) != 0)
            continue;
        if (p->scope != YBSIM_SCOPE_ANY && p->scope != scope)
            continue;
        int better = !best || len > best_len ||
                     (len == best_len && best->scope == YBSIM_SCOPE_ANY && p->scope == scope);
        if (better) {
            best = p;
            best_len = len;
        }
    }
    return best;
}

/* ---- step 1: a fee line ---- */

int ybsim_fund_fee(const struct ybsim_policy *p, const struct ybsim_fee_in *in,
                   struct ybsim_fee_split *out)
{
    memset(out, 0, sizeof(*out));
    if (in->amount < 0 || in->level < 0 || in->level >= YBSIM_LEVEL_COUNT)
        return YB_EINVAL;
    ybsim_dec ratio = p->selfpay_ratio[in->level];
    out->selfpay_prop = ratio;
    if (ratio >= YBSIM_DEC_ONE) {
        /* a fully self-paid item: the price cap does not matter */
        out->fulamt_ownpay_amt = in->amount;
        return 0;
    }
    /* Above a price cap, the excess per unit is the patient's (超限价). */
    ybsim_dec rest = in->amount;
    if (in->pric_uplmt > 0 && in->pric > in->pric_uplmt) {
        ybsim_dec over;
        if (ybsim_dec_mul(in->cnt, in->pric - in->pric_uplmt, 2, &over))
            return YB_ELIMIT;
        out->overlmt_amt = ybsim_dec_min(over, rest);
        rest -= out->overlmt_amt;
    }
    ybsim_dec first;
    if (ybsim_dec_mul(rest, ratio, 2, &first))
        return YB_ELIMIT;
    out->preselfpay_amt = first;
    out->inscp_scp_amt = rest - first;
    return 0;
}

/* ---- step 2: the settlement ---- */

#define FIELD(name)                                                                                \
    {                                                                                              \
#name, offsetof(struct ybsim_split, name)                                                  \
    }
const struct ybsim_split_field ybsim_split_fields[] = {
    FIELD(medfee_sumamt),   FIELD(fulamt_ownpay_amt),
    FIELD(overlmt_selfpay), FIELD(preselfpay_amt),
    FIELD(inscp_scp_amt),   FIELD(act_pay_dedc),
    FIELD(hifp_pay),        FIELD(pool_prop_selfpay),
    FIELD(cvlserv_pay),     FIELD(hifes_pay),
    FIELD(hifmi_pay),       FIELD(hifob_pay),
    FIELD(maf_pay),         FIELD(oth_pay),
    FIELD(fund_pay_sumamt), FIELD(psn_part_amt),
    FIELD(acct_pay),        FIELD(psn_cash_pay),
    FIELD(hosp_part_amt),   FIELD(balc),
    FIELD(acct_mulaid_pay), {NULL, 0},
};
#undef FIELD

int ybsim_fund_add_line(struct ybsim_settle_in *in, ybsim_dec amount,
                        const struct ybsim_fee_split *line)
{
    if (ybsim_dec_add(in->medfee_sumamt, amount, &in->medfee_sumamt) ||
        ybsim_dec_add(in->fulamt_ownpay_amt, line->fulamt_ownpay_amt, &in->fulamt_ownpay_amt) ||
        ybsim_dec_add(in->overlmt_selfpay, line->overlmt_amt, &in->overlmt_selfpay) ||
        ybsim_dec_add(in->preselfpay_amt, line->preselfpay_amt, &in->preselfpay_amt) ||
        ybsim_dec_add(in->inscp_scp_amt, line->inscp_scp_amt, &in->inscp_scp_amt))
        return YB_ELIMIT;
    return 0;
}

int ybsim_fund_settle(const struct ybsim_policy *p, const struct ybsim_settle_in *in,
                      struct ybsim_split *s)
{
    memset(s, 0, sizeof(*s));
    if (in->medfee_sumamt < 0 || in->fulamt_ownpay_amt < 0 || in->overlmt_selfpay < 0 ||
        in->preselfpay_amt < 0 || in->inscp_scp_amt < 0 || in->dedc_used < 0 || in->pool_used < 0 ||
        in->balance < 0)
        return YB_EINVAL;
    if (in->fulamt_ownpay_amt + in->overlmt_selfpay + in->preselfpay_amt + in->inscp_scp_amt !=
        in->medfee_sumamt)
        return YB_EINVAL;

    s->medfee_sumamt = in->medfee_sumamt;
    s->fulamt_ownpay_amt = in->fulamt_ownpay_amt;
    s->overlmt_selfpay = in->overlmt_selfpay;
    s->preselfpay_amt = in->preselfpay_amt;
    s->inscp_scp_amt = in->inscp_scp_amt;

    /* The deductible comes first, and only once a year. */
    s->dedc_left = ybsim_dec_max(0, p->deductible - in->dedc_used);
    s->act_pay_dedc = ybsim_dec_min(in->inscp_scp_amt, s->dedc_left);
    ybsim_dec payable = in->inscp_scp_amt - s->act_pay_dedc;

    /* The pool pays its ratio of the rest, up to what the annual cap leaves;
     * what the cap cuts off goes to the critical-illness fund at its ratio,
     * and the remainder of that stays with the person. */
    ybsim_dec pool_share;
    if (ybsim_dec_mul(payable, p->pool_ratio, 2, &pool_share))
        return YB_ELIMIT;
    s->pool_prop_selfpay = payable - pool_share;
    if (p->annual_cap > 0) {
        s->cap_left = ybsim_dec_max(0, p->annual_cap - in->pool_used);
        s->hifp_pay = ybsim_dec_min(pool_share, s->cap_left);
    } else {
        s->cap_left = -1; /* no cap */
        s->hifp_pay = pool_share;
    }
    s->over_cap = pool_share - s->hifp_pay;
    if (ybsim_dec_mul(s->over_cap, p->hifmi_ratio, 2, &s->hifmi_pay))
        return YB_ELIMIT;

    /* The civil-servant subsidy covers part of the proportional self-pay. */
    if (in->cvlserv && ybsim_dec_mul(s->pool_prop_selfpay, p->cvlserv_ratio, 2, &s->cvlserv_pay))
        return YB_ELIMIT;

    /* Medical aid covers part of the in-scope self-pay that is left. */
    ybsim_dec inscope_left =
        s->act_pay_dedc + s->pool_prop_selfpay - s->cvlserv_pay + (s->over_cap - s->hifmi_pay);
    if (in->maf && ybsim_dec_mul(inscope_left, p->maf_ratio, 2, &s->maf_pay))
        return YB_ELIMIT;

    s->fund_pay_sumamt = s->hifp_pay + s->cvlserv_pay + s->hifes_pay + s->hifmi_pay + s->hifob_pay +
                         s->maf_pay + s->oth_pay;
    s->psn_part_amt = s->medfee_sumamt - s->fund_pay_sumamt - s->hosp_part_amt;

    /* The personal account pays last, from what the person owes. */
    if (in->use_account && p->account) {
        ybsim_dec base = s->psn_part_amt;
        if (p->account_inscope)
            base -= s->fulamt_ownpay_amt + s->overlmt_selfpay;
        s->acct_pay = ybsim_dec_max(0, ybsim_dec_min(base, in->balance));
    }
    s->psn_cash_pay = s->psn_part_amt - s->acct_pay;
    s->balc = in->balance - s->acct_pay;
    if (s->cap_left < 0)
        s->cap_left = s->hifp_pay; /* no cap: this settlement's share was payable */
    return 0;
}

static int broken(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "fund split does not add up: %s", what);
    return YB_EINVAL;
}

int ybsim_fund_check(const struct ybsim_split *s, char *err, size_t errlen)
{
    for (const struct ybsim_split_field *f = ybsim_split_fields; f->name; f++) {
        ybsim_dec v = *ybsim_split_at((struct ybsim_split *)s, f);
        if (v < 0 || v % YBSIM_DEC_FEN != 0) {
            snprintf(err, errlen, "fund split: %s is negative or not whole fen", f->name);
            return YB_EINVAL;
        }
    }
    if (s->fulamt_ownpay_amt + s->overlmt_selfpay + s->preselfpay_amt + s->inscp_scp_amt !=
        s->medfee_sumamt)
        return broken(err, errlen, "medfee_sumamt != fulamt + overlmt + preselfpay + inscp");
    if (s->act_pay_dedc + s->hifp_pay + s->over_cap + s->pool_prop_selfpay != s->inscp_scp_amt)
        return broken(err, errlen, "inscp_scp_amt != act_pay_dedc + hifp_pay + pool_prop_selfpay");
    if (s->hifp_pay + s->cvlserv_pay + s->hifes_pay + s->hifmi_pay + s->hifob_pay + s->maf_pay +
            s->oth_pay !=
        s->fund_pay_sumamt)
        return broken(err, errlen, "fund_pay_sumamt != sum of the fund payments");
    if (s->fund_pay_sumamt + s->psn_part_amt + s->hosp_part_amt != s->medfee_sumamt)
        return broken(err, errlen, "medfee_sumamt != fund_pay_sumamt + psn_part_amt");
    if (s->acct_pay + s->psn_cash_pay != s->psn_part_amt)
        return broken(err, errlen, "psn_part_amt != acct_pay + psn_cash_pay");
    return 0;
}

int ybsim_fund_rows(const struct ybsim_policy *p, const struct ybsim_split *s,
                    struct ybsim_fund_row *rows)
{
    const ybsim_dec paid[YBSIM_FUND_COUNT] = {s->hifp_pay, s->cvlserv_pay, s->hifmi_pay,
                                              s->maf_pay};
    int n = 0;
    for (int k = 0; k < YBSIM_FUND_COUNT; k++) {
        /* the pool always has a row, even when it paid nothing (under the
         * deductible), because a HIS prints it; the others only when used */
        if (k != YBSIM_FUND_POOL && paid[k] == 0)
            continue;
        struct ybsim_fund_row *r = &rows[n++];
        r->fund_pay_type = p->fund_code[k][0] ? p->fund_code[k] : "999999";
        r->fund_pay_type_name = p->fund_name[k][0] ? p->fund_name[k] : fund_kinds[k];
        r->inscp_scp_amt = s->inscp_scp_amt;
        r->crt_payb_lmt_amt = k == YBSIM_FUND_POOL ? s->cap_left : 0;
        r->fund_payamt = paid[k];
    }
    return n;
}
