/*
 * settlements.c - pre-settlement, settlement and their undoing: 2206 2207
 * 2208 (outpatient), 2303 2304 2305 (inpatient), 2601 reversal, 5203
 * settlement query and 4101/4101A settlement lists.
 *
 * A settlement adds up the visit's live lines, asks fund.c for the split
 * with what the person has already used this year, and (2207/2304) keeps
 * it: the settlement row, the lines marked settled, the account debited.
 * Undoing it reverses each of those, so the year's deductible and pool use,
 * which are sums over live settlements, come back by themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers_internal.h"
#include "ybgw/ybgw.h"

/* ---- settlements: 2206 2207 2208 2303 2304 2305 5203 ---- */

struct fee_sums {
    struct ybsim_settle_in *in;
    int lines;
};

static int add_fee_to_sums(const struct ybsim_fee *f, void *arg)
{
    struct fee_sums *sums = arg;
    struct ybsim_fee_split line = {.fulamt_ownpay_amt = f->fulamt_ownpay_amt,
                                   .overlmt_amt = f->overlmt_amt,
                                   .preselfpay_amt = f->preselfpay_amt,
                                   .inscp_scp_amt = f->inscp_scp_amt};
    sums->lines++;
    return ybsim_fund_add_line(sums->in, f->det_item_fee_sumamt, &line);
}

static void put_setlinfo(struct ybsim_ctx *c, struct yb_node *obj, const struct ybsim_setl *s,
                         const struct ybsim_person *p, const struct ybsim_visit *v, int sign)
{
    if (s->setl_id[0])
        ybsim_put_str(c, obj, "setl_id", s->setl_id);
    ybsim_put_str(c, obj, "mdtrt_id", s->mdtrt_id);
    ybsim_put_str(c, obj, "psn_no", p->psn_no);
    ybsim_put_str(c, obj, "psn_name", p->psn_name);
    ybsim_put_str(c, obj, "psn_cert_type", p->psn_cert_type);
    ybsim_put_str(c, obj, "certno", p->certno);
    ybsim_put_str(c, obj, "gend", p->gend);
    ybsim_put_str(c, obj, "naty", p->naty);
    ybsim_put_str(c, obj, "brdy", p->brdy);
    ybsim_put_int(c, obj, "age", ybsim_age_of(p->brdy, c->now));
    ybsim_put_str(c, obj, "insutype", s->insutype);
    ybsim_put_str(c, obj, "psn_type", p->psn_type);
    ybsim_put_str(c, obj, "cvlserv_flag", p->cvlserv_flag);
    ybsim_put_str(c, obj, "setl_time", s->setl_time);
    ybsim_put_str(c, obj, "mdtrt_cert_type", v->mdtrt_cert_type);
    ybsim_put_str(c, obj, "med_type", s->med_type);
    for (const struct ybsim_split_field *f = ybsim_split_fields; f->name; f++) {
        ybsim_dec value = *ybsim_split_at((struct ybsim_split *)&s->split, f);
        /* a revoke answers with the amounts reversed, the balance as it is now */
        if (strcmp(f->name, "balc") != 0)
            value *= sign;
        ybsim_put_amount(c, obj, f->name, value);
    }
    ybsim_put_str(c, obj, "clr_optins", s->clr_optins);
    ybsim_put_str(c, obj, "clr_way", s->clr_way);
    ybsim_put_str(c, obj, "clr_type", s->clr_type);
    ybsim_put_str(c, obj, "medins_setl_id", s->msgid);
}

static void put_setldetail(struct ybsim_ctx *c, const struct ybsim_policy *pol,
                           const struct ybsim_setl *s)
{
    struct ybsim_fund_row rows[YBSIM_FUND_COUNT];
    int n = ybsim_fund_rows(pol, &s->split, rows);
    struct yb_node *list = ybsim_new_node(c, YB_NODE_ARRAY);
    for (int i = 0; i < n; i++) {
        struct yb_node *r = ybsim_new_node(c, YB_NODE_OBJECT);
        ybsim_put_str(c, r, "fund_pay_type", rows[i].fund_pay_type);
        ybsim_put_amount(c, r, "inscp_scp_amt", rows[i].inscp_scp_amt);
        ybsim_put_amount(c, r, "crt_payb_lmt_amt", rows[i].crt_payb_lmt_amt);
        ybsim_put_amount(c, r, "fund_payamt", rows[i].fund_payamt);
        ybsim_put_str(c, r, "fund_pay_type_name", rows[i].fund_pay_type_name);
        const char *info = "";
        if (i == 0)
            info = yb_pool_printf(
                c->pool,
                "起付线%s元(本次支付%s元,剩余%s元); 统筹支付比例%s; "
                "本年统筹可支付%s元",
                ybsim_fmt_amount(c, pol->deductible), ybsim_fmt_amount(c, s->split.act_pay_dedc),
                ybsim_fmt_amount(c, s->split.dedc_left - s->split.act_pay_dedc),
                ybsim_fmt_percent(c, pol->pool_ratio), ybsim_fmt_amount(c, s->split.cap_left));
        ybsim_put_str(c, r, "setl_proc_info", info ? info : "");
        if (list && r)
            yb_node_append(list, r);
    }
    ybsim_put(c, c->output, "setldetail", list);
}

static int settle(struct ybsim_ctx *c, const char *kind, int commit)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    const char *w = "input.data";
    char psn_no[32], mdtrt_id[40], cert_type[8], cert_no[64], med_type[8], setlway[8], acct_flag[4],
        insutype[8];
    ybsim_dec medfee;
    if (rc || (rc = ybsim_get(c, in, w, "psn_no", psn_no, sizeof(psn_no), 1)) ||
        (rc = ybsim_get(c, in, w, "mdtrt_id", mdtrt_id, sizeof(mdtrt_id), 1)) ||
        (rc = ybsim_get(c, in, w, "mdtrt_cert_type", cert_type, sizeof(cert_type), 0)) ||
        (rc = ybsim_get(c, in, w, "mdtrt_cert_no", cert_no, sizeof(cert_no), 0)) ||
        (rc = ybsim_get(c, in, w, "med_type", med_type, sizeof(med_type), 0)) ||
        (rc = ybsim_get(c, in, w, "psn_setlway", setlway, sizeof(setlway), 0)) ||
        (rc = ybsim_get(c, in, w, "acct_used_flag", acct_flag, sizeof(acct_flag), 0)) ||
        (rc = ybsim_get(c, in, w, "insutype", insutype, sizeof(insutype), 0)) ||
        (rc = ybsim_get_dec(c, in, w, "medfee_sumamt", 2, &medfee, 1)))
        return rc;
    if (acct_flag[0] && strcmp(acct_flag, "0") != 0 && strcmp(acct_flag, "1") != 0)
        return ybsim_fail(c, "字段值错误: input.data.acct_used_flag \"%s\" must be 0 or 1",
                          acct_flag);
    struct ybsim_visit v;
    struct ybsim_person p;
    if ((rc = ybsim_load_visit(c, mdtrt_id, psn_no, kind, &v)) ||
        (rc = ybsim_check_visit_live(c, &v)) || (rc = ybsim_load_person(c, psn_no, &p)) ||
        (rc = ybsim_check_cert(c, &p, cert_type, cert_no)))
        return rc;
    if (insutype[0] && strcmp(insutype, v.insutype) != 0)
        return ybsim_fail(c, "险种不符: insutype %s, but mdtrt_id %s was opened under %s", insutype,
                          mdtrt_id, v.insutype);
    int ipt = strcmp(kind, "ipt") == 0;
    if (ipt && commit && strcmp(v.status, YBSIM_VISIT_DISCHARGED) != 0)
        return ybsim_fail(
            c, "未办理出院: mdtrt_id %s must be discharged (2402) before it is settled", mdtrt_id);
    if (!ipt && !v.info_uploaded)
        ybsim_warn(c, "就诊信息未上传: no 2203 was received for mdtrt_id %s", mdtrt_id);
    const struct ybsim_policy *pol = ybsim_find_policy(c, &p, v.insutype, kind);
    if (!pol)
        return YB_EINVAL;

    struct ybsim_settle_in sums;
    memset(&sums, 0, sizeof(sums));
    struct fee_sums counted = {&sums, 0};
    rc = ybsim_store_fee_each(c->st, mdtrt_id, add_fee_to_sums, &counted);
    if (rc == YB_ELIMIT)
        return ybsim_fail(c, "金额超限: the fee lines of mdtrt_id %s add up past the limit",
                          mdtrt_id);
    if (rc)
        return ybsim_db_fail(c, rc);
    int lines = counted.lines;
    if (lines == 0)
        return ybsim_fail(c,
                          "无待结算费用明细: mdtrt_id %s has no uploaded, unsettled fee lines (%s)",
                          mdtrt_id, ipt ? "2301" : "2204");
    if (medfee != sums.medfee_sumamt)
        return ybsim_fail(c,
                          "医疗费总额与明细不符: medfee_sumamt %s, but the %d uploaded lines of "
                          "mdtrt_id %s add up to %s",
                          ybsim_fmt_amount(c, medfee), lines, mdtrt_id,
                          ybsim_fmt_amount(c, sums.medfee_sumamt));

    struct ybsim_setl s;
    memset(&s, 0, sizeof(s));
    const char *scope = pol->scope == YBSIM_SCOPE_ANY ? "" : kind;
    if ((rc = ybsim_store_year_used(c->st, psn_no, c->year, v.insutype, scope, &sums.dedc_used,
                                    &sums.pool_used)))
        return ybsim_db_fail(c, rc);
    sums.balance = p.balc;
    sums.use_account = strcmp(acct_flag, "1") == 0;
    sums.cvlserv = strcmp(p.cvlserv_flag, "1") == 0;
    sums.maf = strcmp(p.maf_flag, "1") == 0;
    char why[256];
    if (ybsim_fund_settle(pol, &sums, &s.split) || ybsim_fund_check(&s.split, why, sizeof(why)))
        return ybsim_fail(c, "系统内部错误: the fund split failed for mdtrt_id %s", mdtrt_id);

    memcpy(s.mdtrt_id, v.mdtrt_id, sizeof(s.mdtrt_id));
    memcpy(s.psn_no, p.psn_no, sizeof(s.psn_no));
    memcpy(s.fixmedins_code, v.fixmedins_code, sizeof(s.fixmedins_code));
    memcpy(s.region, c->platform->region, sizeof(s.region));
    snprintf(s.msgid, sizeof(s.msgid), "%s", c->msgid);
    snprintf(s.infno, sizeof(s.infno), "%s", c->infno);
    memcpy(s.insutype, v.insutype, sizeof(s.insutype));
    memcpy(s.kind, v.kind, sizeof(s.kind));
    snprintf(s.accum_scope, sizeof(s.accum_scope), "%s", scope);
    snprintf(s.year, sizeof(s.year), "%s", c->year);
    snprintf(s.med_type, sizeof(s.med_type), "%s", med_type[0] ? med_type : v.med_type);
    memcpy(s.setl_time, c->now, sizeof(c->now));
    /* cleared by the insured place's agency, item by item, as an outpatient
     * (11) or inpatient (21) claim */
    memcpy(s.clr_optins, p.insuplc_admdvs, sizeof(s.clr_optins));
    memcpy(s.clr_way, "1", 2);
    memcpy(s.clr_type, ipt ? "21" : "11", 3);
    memcpy(s.acct_used_flag, sums.use_account ? "1" : "0", 2);
    snprintf(s.psn_setlway, sizeof(s.psn_setlway), "%s", setlway[0] ? setlway : "01");

    if (commit) {
        if ((rc = ybsim_new_id(c, "setl", s.setl_id, sizeof(s.setl_id))))
            return rc;
        if ((rc = ybsim_store_setl_add(c->st, &s)) ||
            (rc = ybsim_store_fee_settle(c->st, mdtrt_id, s.setl_id, NULL)) ||
            (rc = ybsim_store_person_set_balc(c->st, p.psn_no, s.split.balc)))
            return ybsim_db_fail(c, rc);
        memcpy(v.status, YBSIM_VISIT_SETTLED, sizeof(YBSIM_VISIT_SETTLED));
        memcpy(v.setl_id, s.setl_id, sizeof(v.setl_id));
        if ((rc = ybsim_store_visit_update(c->st, &v)))
            return ybsim_db_fail(c, rc);
    }
    struct yb_node *info = ybsim_new_node(c, YB_NODE_OBJECT);
    put_setlinfo(c, info, &s, &p, &v, 1);
    ybsim_put(c, c->output, "setlinfo", info);
    put_setldetail(c, pol, &s);
    return 0;
}

static int do_otp_presettle(struct ybsim_ctx *c)
{
    return settle(c, "otp", 0);
}

static int do_otp_settle(struct ybsim_ctx *c)
{
    return settle(c, "otp", 1);
}

static int do_ipt_presettle(struct ybsim_ctx *c)
{
    return settle(c, "ipt", 0);
}

static int do_ipt_settle(struct ybsim_ctx *c)
{
    return settle(c, "ipt", 1);
}

/* Undo settlement s: the account gets back what it paid, the deductible and
 * the pool's annual use shrink (they are sums over live settlements), the
 * lines are unsettled again and the visit goes back to where it was. */
static int revoke_settlement(struct ybsim_ctx *c, struct ybsim_setl *s)
{
    struct ybsim_person p;
    struct ybsim_visit v;
    int rc;
    if ((rc = ybsim_load_person(c, s->psn_no, &p)))
        return rc;
    if ((rc = ybsim_store_visit(c->st, s->mdtrt_id, &v)))
        return ybsim_db_fail(c, rc);
    p.balc += s->split.acct_pay;
    s->split.balc = p.balc;
    s->revoked = 1;
    if ((rc = ybsim_new_id(c, "setl", s->revoke_id, sizeof(s->revoke_id))))
        return rc;
    memcpy(s->revoke_time, c->now, sizeof(c->now));
    snprintf(s->revoke_msgid, sizeof(s->revoke_msgid), "%s", c->msgid);
    const char *status = strcmp(v.kind, "ipt") == 0 ? YBSIM_VISIT_DISCHARGED : YBSIM_VISIT_OPEN;
    memcpy(v.status, status, strlen(status) + 1);
    v.setl_id[0] = '\0';
    if ((rc = ybsim_store_person_set_balc(c->st, p.psn_no, p.balc)) ||
        (rc = ybsim_store_fee_settle(c->st, s->mdtrt_id, NULL, s->setl_id)) ||
        (rc = ybsim_store_visit_update(c->st, &v)) || (rc = ybsim_store_setl_update(c->st, s)))
        return ybsim_db_fail(c, rc);
    struct ybsim_setl answer = *s;
    memcpy(answer.setl_id, s->revoke_id, sizeof(answer.setl_id));
    memcpy(answer.setl_time, c->now, sizeof(c->now));
    struct yb_node *info = ybsim_new_node(c, YB_NODE_OBJECT);
    put_setlinfo(c, info, &answer, &p, &v, -1);
    ybsim_put_str(c, info, "init_setl_id", s->setl_id);
    ybsim_put(c, c->output, "setlinfo", info);
    return 0;
}

/* The settlement a request names, checked against institution, visit,
 * person and kind. */
static int named_settlement(struct ybsim_ctx *c, const struct yb_node *in, const char *kind,
                            struct ybsim_setl *s)
{
    const char *w = "input.data";
    char setl_id[40], mdtrt_id[40], psn_no[32];
    int rc;
    if ((rc = ybsim_get(c, in, w, "setl_id", setl_id, sizeof(setl_id), 1)) ||
        (rc = ybsim_get(c, in, w, "mdtrt_id", mdtrt_id, sizeof(mdtrt_id), 0)) ||
        (rc = ybsim_get(c, in, w, "psn_no", psn_no, sizeof(psn_no), 1)))
        return rc;
    rc = ybsim_store_setl(c->st, setl_id, s);
    if (rc == YB_ENOENT)
        return ybsim_fail(c, "结算信息不存在: setl_id \"%s\" is unknown", setl_id);
    if (rc)
        return ybsim_db_fail(c, rc);
    if (strcmp(s->fixmedins_code, c->fixmedins_code) != 0)
        return ybsim_fail(c, "结算信息不属于本机构: setl_id %s was made by %s", setl_id,
                          s->fixmedins_code);
    if (mdtrt_id[0] && strcmp(mdtrt_id, s->mdtrt_id) != 0)
        return ybsim_fail(c, "结算与就诊信息不符: setl_id %s settles mdtrt_id %s, not %s", setl_id,
                          s->mdtrt_id, mdtrt_id);
    if (strcmp(psn_no, s->psn_no) != 0)
        return ybsim_fail(c, "人员与结算信息不符: setl_id %s is a settlement of psn_no %s, not %s",
                          setl_id, s->psn_no, psn_no);
    if (kind && strcmp(kind, s->kind) != 0)
        return ybsim_fail(c, "结算类型不符: setl_id %s is a %s settlement; use %s", setl_id,
                          ybsim_kind_name(s->kind), strcmp(s->kind, "ipt") == 0 ? "2305" : "2208");
    return 0;
}

static int settle_revoke(struct ybsim_ctx *c, const char *kind)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    struct ybsim_setl s;
    if (rc || (rc = named_settlement(c, in, kind, &s)))
        return rc;
    if (s.revoked)
        return ybsim_fail(c, "该结算已撤销: setl_id %s was already revoked at %s (revoke id %s)",
                          s.setl_id, s.revoke_time, s.revoke_id);
    return revoke_settlement(c, &s);
}

static int do_otp_settle_revoke(struct ybsim_ctx *c)
{
    return settle_revoke(c, "otp");
}

static int do_ipt_settle_revoke(struct ybsim_ctx *c)
{
    return settle_revoke(c, "ipt");
}

static int do_setl_query(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    struct ybsim_setl s;
    struct ybsim_person p;
    struct ybsim_visit v;
    if (rc || (rc = named_settlement(c, in, NULL, &s)) || (rc = ybsim_load_person(c, s.psn_no, &p)))
        return rc;
    if ((rc = ybsim_store_visit(c->st, s.mdtrt_id, &v)))
        return ybsim_db_fail(c, rc);
    const struct ybsim_policy *pol = ybsim_find_policy(c, &p, s.insutype, s.kind);
    if (!pol)
        return YB_EINVAL;
    struct yb_node *info = ybsim_new_node(c, YB_NODE_OBJECT);
    put_setlinfo(c, info, &s, &p, &v, 1);
    ybsim_put_str(c, info, "vali_flag", s.revoked ? "0" : "1");
    ybsim_put(c, c->output, "setlinfo", info);
    put_setldetail(c, pol, &s);
    return 0;
}

/* ---- 2601: reversal ---- */

static int do_reversal(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    const char *w = "input.data";
    char psn_no[32], omsgid[64], oinfno[8];
    if (rc || (rc = ybsim_get(c, in, w, "psn_no", psn_no, sizeof(psn_no), 1)) ||
        (rc = ybsim_get(c, in, w, "omsgid", omsgid, sizeof(omsgid), 1)) ||
        (rc = ybsim_get(c, in, w, "oinfno", oinfno, sizeof(oinfno), 1)))
        return rc;
    if (strcmp(oinfno, "2207") != 0 && strcmp(oinfno, "2304") != 0)
        return ybsim_fail(c,
                          "不支持冲正的交易: oinfno %s; the simulator reverses settlements (2207, "
                          "2304)",
                          oinfno);
    struct ybsim_setl s;
    rc = ybsim_store_setl_by_msgid(c->st, omsgid, c->fixmedins_code, &s);
    if (rc == YB_ENOENT) {
        /* The original never took effect (refused, or never arrived): there
         * is nothing to undo, and saying so is the idempotent answer. */
        ybsim_warn(c, "原交易未成功, 无需冲正: no settlement was made by msgid %s", omsgid);
        return 0;
    }
    if (rc)
        return ybsim_db_fail(c, rc);
    if (strcmp(s.infno, oinfno) != 0)
        return ybsim_fail(c, "原交易编号不符: msgid %s was a %s, not a %s", omsgid, s.infno,
                          oinfno);
    if (strcmp(s.psn_no, psn_no) != 0)
        return ybsim_fail(c, "人员与原交易不符: msgid %s settled psn_no %s, not %s", omsgid,
                          s.psn_no, psn_no);
    if (s.revoked) {
        ybsim_warn(c, "原交易已冲正或撤销: setl_id %s was already revoked at %s", s.setl_id,
                   s.revoke_time);
        return 0;
    }
    return revoke_settlement(c, &s);
}

/* ---- 4101 / 4101A: settlement list ---- */

static int do_setl_list(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *info = ybsim_input_object(c, "setlinfo", &rc);
    char setl_id[40];
    if (rc || (rc = ybsim_get(c, info, "input.setlinfo", "setl_id", setl_id, sizeof(setl_id), 1)))
        return rc;
    struct ybsim_setl s;
    rc = ybsim_store_setl(c->st, setl_id, &s);
    if (rc == YB_ENOENT || (rc == 0 && strcmp(s.fixmedins_code, c->fixmedins_code) != 0))
        return ybsim_fail(c, "结算信息不存在: setl_id \"%s\" is not a settlement of %s", setl_id,
                          c->fixmedins_code);
    if (rc)
        return ybsim_db_fail(c, rc);
    if (s.revoked)
        return ybsim_fail(
            c,
            "结算已撤销: setl_id %s was revoked at %s; a settlement list needs a live "
            "settlement",
            setl_id, s.revoke_time);
    const char *body = ybsim_json_text(c, c->input);
    if (!body)
        return ybsim_fail(c, "系统内部错误: cannot store the settlement list");
    int replaced = 0;
    if ((rc = ybsim_store_setl_list_put(c->st, setl_id, c->fixmedins_code, c->infno, c->now,
                                        c->msgid, body, &replaced)))
        return ybsim_db_fail(c, rc);
    if (replaced)
        ybsim_warn(c, "结算清单已覆盖: the earlier list of setl_id %s was replaced", setl_id);
    ybsim_put_str(c, c->output, "setl_list_id", setl_id);
    return 0;
}

/* ---- the table ---- */

const struct ybsim_handler ybsim_settlement_handlers[] = {
    {"2206", "门诊预结算", do_otp_presettle, 1},
    {"2207", "门诊结算", do_otp_settle, 1},
    {"2208", "门诊结算撤销", do_otp_settle_revoke, 1},
    {"2303", "住院预结算", do_ipt_presettle, 1},
    {"2304", "住院结算", do_ipt_settle, 1},
    {"2305", "住院结算撤销", do_ipt_settle_revoke, 1},
    {"2601", "冲正交易", do_reversal, 1},
    {"4101", "医疗保障基金结算清单信息上传", do_setl_list, 1},
    {"4101A", "医疗保障基金结算清单信息上传", do_setl_list, 1},
    {"5203", "结算信息查询", do_setl_query, 1},
    {NULL, NULL, NULL, 0},
};
