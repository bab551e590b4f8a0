/*
 * fees.c - fee lines: 2204 and 2205 (outpatient), 2301 and 2302 (inpatient).
 *
 * Each line is checked (amount = cnt × pric to the fen, a fresh
 * feedetl_sn, a live visit, and with check_mapping on its 3301 mapping:
 * catalog.c), given its charge level from the catalogue (simconf.c) and
 * split by the person's policy (fund.c), and stored with its split, so
 * that a settlement only adds lines up. An upload is all or nothing: a bad
 * line refuses the request, and handlers.c rolls back the lines before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers_internal.h"
#include "ybgw/ybgw.h"

/* ---- fee lines: 2204 2205 2301 2302 ---- */

/* Per-request memory of the last visit a line named, so a list of lines
 * for one visit loads the visit, person and policy once. */
struct fee_visit {
    struct ybsim_visit v;
    struct ybsim_person p;
    const struct ybsim_policy *policy;
    int loaded;
};

static int fee_line(struct ybsim_ctx *c, const struct yb_node *line, size_t i, const char *kind,
                    struct fee_visit *fv, struct yb_node *results)
{
    char where[48];
    snprintf(where, sizeof(where), "input.feedetail[%zu]", i);
    if (!line || line->type != YB_NODE_OBJECT)
        return ybsim_fail(c, "费用明细格式错误: %s must be an object", where);
    struct ybsim_fee f;
    memset(&f, 0, sizeof(f));
    int rc;
    int otp = strcmp(kind, "otp") == 0;
    if ((rc = ybsim_get(c, line, where, "feedetl_sn", f.feedetl_sn, sizeof(f.feedetl_sn), 1)) ||
        (rc = ybsim_get(c, line, where, "mdtrt_id", f.mdtrt_id, sizeof(f.mdtrt_id), 1)) ||
        (rc = ybsim_get(c, line, where, "psn_no", f.psn_no, sizeof(f.psn_no), 1)) ||
        (rc = ybsim_get(c, line, where, "chrg_bchno", f.chrg_bchno, sizeof(f.chrg_bchno), otp)) ||
        (rc = ybsim_get(c, line, where, "fee_ocur_time", f.fee_ocur_time, sizeof(f.fee_ocur_time),
                        1)) ||
        (rc = ybsim_get(c, line, where, "med_list_codg", f.med_list_codg, sizeof(f.med_list_codg),
                        1)) ||
        (rc = ybsim_get(c, line, where, "medins_list_codg", f.medins_list_codg,
                        sizeof(f.medins_list_codg), 1)) ||
        (rc = ybsim_get_dec(c, line, where, "det_item_fee_sumamt", 2, &f.det_item_fee_sumamt, 1)) ||
        (rc = ybsim_get_dec(c, line, where, "cnt", 4, &f.cnt, 1)) ||
        (rc = ybsim_get_dec(c, line, where, "pric", 6, &f.pric, 1)))
        return rc;
    if (f.cnt <= 0)
        return ybsim_fail(c,
                          "数量错误: %s.cnt must be greater than 0 (refunds are revoked with %s)",
                          where, otp ? "2205" : "2302");
    if (f.pric < 0)
        return ybsim_fail(c, "单价错误: %s.pric must not be negative", where);
    ybsim_dec expect;
    if (ybsim_dec_mul(f.cnt, f.pric, 2, &expect))
        return ybsim_fail(c, "金额超限: %s.cnt × pric is too large", where);
    if (expect != f.det_item_fee_sumamt)
        return ybsim_fail(
            c,
            "明细金额不符: %s (feedetl_sn %s) det_item_fee_sumamt %s != cnt %s × pric "
            "%s = %s",
            where, f.feedetl_sn, ybsim_fmt_amount(c, f.det_item_fee_sumamt),
            ybsim_fmt_fine(c, f.cnt), ybsim_fmt_fine(c, f.pric), ybsim_fmt_amount(c, expect));
    if (!fv->loaded || strcmp(fv->v.mdtrt_id, f.mdtrt_id) != 0) {
        fv->loaded = 0;
        if ((rc = ybsim_load_visit(c, f.mdtrt_id, f.psn_no, kind, &fv->v)) ||
            (rc = ybsim_check_visit_live(c, &fv->v)) ||
            (rc = ybsim_load_person(c, f.psn_no, &fv->p)))
            return rc;
        if (!(fv->policy = ybsim_find_policy(c, &fv->p, fv->v.insutype, kind)))
            return YB_EINVAL;
        fv->loaded = 1;
    } else if (strcmp(fv->v.psn_no, f.psn_no) != 0) {
        return ybsim_fail(c, "人员与就诊信息不符: %s.psn_no %s, but mdtrt_id %s is a visit of %s",
                          where, f.psn_no, f.mdtrt_id, fv->v.psn_no);
    }

    if ((rc = ybsim_check_fee_mapping(c, where, &f)))
        return rc;

    struct ybsim_charge charge;
    const struct ybsim_item *item;
    ybsim_catalog_charge(c->conf, f.med_list_codg, &charge, &item);
    struct ybsim_fee_in fee_in = {.amount = f.det_item_fee_sumamt,
                                  .cnt = f.cnt,
                                  .pric = f.pric,
                                  .pric_uplmt = charge.pric_uplmt,
                                  .level = charge.level};
    struct ybsim_fee_split split;
    if (ybsim_fund_fee(fv->policy, &fee_in, &split))
        return ybsim_fail(c, "系统内部错误: cannot split %s", where);
    f.pric_uplmt_amt = charge.pric_uplmt;
    f.selfpay_prop = split.selfpay_prop;
    f.fulamt_ownpay_amt = split.fulamt_ownpay_amt;
    f.overlmt_amt = split.overlmt_amt;
    f.preselfpay_amt = split.preselfpay_amt;
    f.inscp_scp_amt = split.inscp_scp_amt;
    memcpy(f.chrgitm_lv, ybsim_level_code(charge.level), 3);
    snprintf(f.med_chrgitm_type, sizeof(f.med_chrgitm_type), "%s", charge.chrgitm_type);
    snprintf(f.msgid, sizeof(f.msgid), "%s", c->msgid);
    f.detail_json = ybsim_json_text(c, line);
    rc = ybsim_store_fee_add(c->st, &f);
    if (rc == YB_EEXIST)
        return ybsim_fail(
            c,
            "费用明细流水号重复: %s.feedetl_sn \"%s\" is already uploaded for mdtrt_id "
            "%s",
            where, f.feedetl_sn, f.mdtrt_id);
    if (rc)
        return ybsim_db_fail(c, rc);

    struct yb_node *r = ybsim_new_node(c, YB_NODE_OBJECT);
    ybsim_put_str(c, r, "feedetl_sn", f.feedetl_sn);
    ybsim_put_amount(c, r, "det_item_fee_sumamt", f.det_item_fee_sumamt);
    ybsim_put_fine(c, r, "cnt", f.cnt);
    ybsim_put_fine(c, r, "pric", f.pric);
    ybsim_put_fine(c, r, "pric_uplmt_amt", f.pric_uplmt_amt);
    ybsim_put_fine(c, r, "selfpay_prop", f.selfpay_prop);
    ybsim_put_amount(c, r, "fulamt_ownpay_amt", f.fulamt_ownpay_amt);
    ybsim_put_amount(c, r, "overlmt_amt", f.overlmt_amt);
    ybsim_put_amount(c, r, "preselfpay_amt", f.preselfpay_amt);
    ybsim_put_amount(c, r, "inscp_scp_amt", f.inscp_scp_amt);
    ybsim_put_str(c, r, "chrgitm_lv", f.chrgitm_lv);
    ybsim_put_str(c, r, "med_chrgitm_type", f.med_chrgitm_type);
    static const char *const flags[] = {"bas_medn_flag",     "hi_nego_drug_flag", "chld_medc_flag",
                                        "list_sp_item_flag", "lmt_used_flag",     "drt_reim_flag"};
    for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
        ybsim_put_str(c, r, flags[k], "0");
    ybsim_put_str(c, r, "memo", item ? item->name : "");
    if (r && results)
        yb_node_append(results, r);
    return 0;
}

static int fee_upload(struct ybsim_ctx *c, const char *kind)
{
    int rc;
    size_t count = 0;
    const struct yb_node *list = ybsim_input_list(c, "feedetail", &count, &rc);
    if (rc)
        return rc;
    struct yb_node *results = ybsim_new_node(c, YB_NODE_ARRAY);
    struct fee_visit *fv = calloc(1, sizeof(*fv));
    if (!fv)
        return ybsim_fail(c, "系统内部错误: out of memory");
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = fee_line(c, ybsim_list_item(list, i), i, kind, fv, results);
    free(fv);
    if (rc)
        return rc;
    ybsim_put(c, c->output, "result", results);
    return 0;
}

static int do_otp_fee_upload(struct ybsim_ctx *c)
{
    return fee_upload(c, "otp");
}

static int do_ipt_fee_upload(struct ybsim_ctx *c)
{
    return fee_upload(c, "ipt");
}

/* Revoke unsettled lines; "0000" (the platform's "all") or "" matches any. */
static int fee_revoke(struct ybsim_ctx *c, const char *kind, const struct yb_node *in,
                      const char *where, const char *batch_key)
{
    struct ybsim_visit v;
    char batch[64] = "", sn[64] = "";
    int rc;
    if ((rc = ybsim_visit_from(c, in, where, kind, &v)) ||
        (batch_key && (rc = ybsim_get(c, in, where, batch_key, batch, sizeof(batch), 1))) ||
        (rc = ybsim_get(c, in, where, "feedetl_sn", sn, sizeof(sn), 0)))
        return rc;
    if (strcmp(v.status, YBSIM_VISIT_REVOKED) == 0)
        return ybsim_fail(c, "就诊已撤销: mdtrt_id %s was revoked", v.mdtrt_id);
    if (strcmp(batch, "0000") == 0)
        batch[0] = '\0';
    if (strcmp(sn, "0000") == 0)
        sn[0] = '\0';
    int count = 0;
    if ((rc = ybsim_store_fee_revoke(c->st, v.mdtrt_id, batch, sn, &count)))
        return ybsim_db_fail(c, rc);
    if (count > 0)
        return 0;
    int settled = 0;
    if ((rc = ybsim_store_fee_count_settled(c->st, v.mdtrt_id, batch, sn, &settled)))
        return ybsim_db_fail(c, rc);
    if (settled)
        return ybsim_fail(
            c,
            "费用明细已结算: %d matching lines of mdtrt_id %s are settled as setl_id %s; "
            "revoke the settlement first",
            settled, v.mdtrt_id, v.setl_id);
    return ybsim_fail(c, "无可撤销的费用明细: no live line of mdtrt_id %s matches%s%s%s%s",
                      v.mdtrt_id, batch[0] ? " chrg_bchno " : "", batch,
                      sn[0] ? " feedetl_sn " : "", sn);
}

static int do_otp_fee_revoke(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    return rc ? rc : fee_revoke(c, "otp", in, "input.data", "chrg_bchno");
}

static int do_ipt_fee_revoke(struct ybsim_ctx *c)
{
    int rc;
    size_t count = 0;
    const struct yb_node *list = ybsim_input_list(c, "data", &count, &rc);
    for (size_t i = 0; i < count && rc == 0; i++) {
        char where[40];
        snprintf(where, sizeof(where), "input.data[%zu]", i);
        const struct yb_node *item = ybsim_list_item(list, i);
        if (!item || item->type != YB_NODE_OBJECT)
            return ybsim_fail(c, "输入格式错误: %s must be an object", where);
        rc = fee_revoke(c, "ipt", item, list->type == YB_NODE_OBJECT ? "input.data" : where, NULL);
    }
    return rc;
}

/* ---- the table ---- */

const struct ybsim_handler ybsim_fee_handlers[] = {
    {"2204", "门诊费用明细信息上传", do_otp_fee_upload, 1},
    {"2205", "门诊费用明细信息撤销", do_otp_fee_revoke, 1},
    {"2301", "住院费用明细上传", do_ipt_fee_upload, 1},
    {"2302", "住院费用明细撤销", do_ipt_fee_revoke, 1},
    {NULL, NULL, NULL, 0},
};
