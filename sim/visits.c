/*
 * visits.c - sign-in, the person, and the life of a visit: 9001 9002 1101,
 * outpatient 2201 2202 2203, inpatient 2401 2402 2403 2404 2405.
 *
 * A visit (mdtrt_id) is opened by 2201 or 2401 and is then open, and for an
 * inpatient stay discharged, until it is settled or revoked. Fees and
 * settlements are in fees.c and settlements.c; the filing an off-site
 * registration needs (require_filing) is checked by filings.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers_internal.h"
#include "ybgw/ybgw.h"

/* ---- 9001 / 9002: sign-in and sign-out ---- */

static int do_sign_in(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "signIn", &rc);
    char opter_no[32], mac[64], ip[64], sign_no[40];
    if (rc || (rc = ybsim_get(c, in, "input.signIn", "opter_no", opter_no, sizeof(opter_no), 1)) ||
        (rc = ybsim_get(c, in, "input.signIn", "mac", mac, sizeof(mac), 0)) ||
        (rc = ybsim_get(c, in, "input.signIn", "ip", ip, sizeof(ip), 0)) ||
        (rc = ybsim_new_id(c, "sign", sign_no, sizeof(sign_no))))
        return rc;
    rc = ybsim_store_sign_add(c->st, sign_no, c->fixmedins_code, opter_no, mac, ip,
                              c->platform->region, c->now);
    if (rc)
        return ybsim_db_fail(c, rc);
    struct yb_node *out = ybsim_new_node(c, YB_NODE_OBJECT);
    ybsim_put_str(c, out, "sign_time", c->now);
    ybsim_put_str(c, out, "sign_no", sign_no);
    ybsim_put(c, c->output, "signinoutb", out);
    return 0;
}

static int do_sign_out(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "signOut", &rc);
    char sign_no[40], opter_no[32];
    if (rc || (rc = ybsim_get(c, in, "input.signOut", "sign_no", sign_no, sizeof(sign_no), 0)) ||
        (rc = ybsim_get(c, in, "input.signOut", "opter_no", opter_no, sizeof(opter_no), 0)))
        return rc;
    if (!sign_no[0] && c->sign_no)
        snprintf(sign_no, sizeof(sign_no), "%s", c->sign_no);
    if (!sign_no[0])
        return ybsim_fail(c, "缺少必填字段: input.signOut.sign_no is required");
    rc = ybsim_store_sign_close(c->st, sign_no, c->fixmedins_code, c->now);
    if (rc == YB_ENOENT)
        return ybsim_fail(c, "签到编号无效: sign_no \"%s\" is not an active sign-in of %s", sign_no,
                          c->fixmedins_code);
    if (rc)
        return ybsim_db_fail(c, rc);
    struct yb_node *out = ybsim_new_node(c, YB_NODE_OBJECT);
    ybsim_put_str(c, out, "sign_time", c->now);
    ybsim_put_str(c, out, "sign_no", sign_no);
    ybsim_put(c, c->output, "signoutoutb", out);
    return 0;
}

/* ---- 1101: person ---- */

static void put_baseinfo(struct ybsim_ctx *c, struct yb_node *obj, const struct ybsim_person *p)
{
    ybsim_put_str(c, obj, "psn_no", p->psn_no);
    ybsim_put_str(c, obj, "psn_cert_type", p->psn_cert_type);
    ybsim_put_str(c, obj, "certno", p->certno);
    ybsim_put_str(c, obj, "psn_name", p->psn_name);
    ybsim_put_str(c, obj, "gend", p->gend);
    ybsim_put_str(c, obj, "naty", p->naty);
    ybsim_put_str(c, obj, "brdy", p->brdy);
    ybsim_put_int(c, obj, "age", ybsim_age_of(p->brdy, c->now));
}

static int do_person(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    char cert_type[8], cert_no[64], psn_cert_type[8], certno[40], psn_name[64];
    const char *w = "input.data";
    if (rc || (rc = ybsim_get(c, in, w, "mdtrt_cert_type", cert_type, sizeof(cert_type), 0)) ||
        (rc = ybsim_get(c, in, w, "mdtrt_cert_no", cert_no, sizeof(cert_no), 0)) ||
        (rc = ybsim_get(c, in, w, "psn_cert_type", psn_cert_type, sizeof(psn_cert_type), 0)) ||
        (rc = ybsim_get(c, in, w, "certno", certno, sizeof(certno), 0)) ||
        (rc = ybsim_get(c, in, w, "psn_name", psn_name, sizeof(psn_name), 0)))
        return rc;
    struct ybsim_person p;
    if (cert_type[0]) {
        if (!cert_no[0])
            return ybsim_fail(c, "缺少必填字段: input.data.mdtrt_cert_no is required with "
                                 "mdtrt_cert_type");
        if ((rc = ybsim_person_by_cert(c, cert_type, cert_no, &p)))
            return rc;
    } else if (certno[0]) {
        rc = ybsim_store_person(c->st, YBSIM_BY_CERTNO, certno, &p);
        if (rc == YB_ENOENT)
            return ybsim_fail(c, "未查询到参保信息: no insured person with certno \"%s\"", certno);
        if (rc)
            return ybsim_db_fail(c, rc);
    } else {
        return ybsim_fail(c, "缺少必填字段: input.data needs mdtrt_cert_type and mdtrt_cert_no, or "
                             "psn_cert_type and certno");
    }
    if (psn_name[0] && strcmp(psn_name, p.psn_name) != 0)
        return ybsim_fail(c, "姓名与证件不符: psn_name \"%s\" does not match the person found",
                          psn_name);

    struct yb_node *base = ybsim_new_node(c, YB_NODE_OBJECT);
    put_baseinfo(c, base, &p);
    ybsim_put(c, c->output, "baseinfo", base);
    struct yb_node *list = ybsim_new_node(c, YB_NODE_ARRAY),
                   *ins = ybsim_new_node(c, YB_NODE_OBJECT);
    ybsim_put_amount(c, ins, "balc", p.balc);
    ybsim_put_str(c, ins, "insutype", p.insutype);
    ybsim_put_str(c, ins, "psn_type", p.psn_type);
    ybsim_put_str(c, ins, "psn_insu_stas", p.psn_insu_stas);
    ybsim_put_str(c, ins, "psn_insu_date", p.psn_insu_date);
    ybsim_put_str(c, ins, "paus_insu_date", p.paus_insu_date);
    ybsim_put_str(c, ins, "cvlserv_flag", p.cvlserv_flag);
    ybsim_put_str(c, ins, "insuplc_admdvs", p.insuplc_admdvs);
    ybsim_put_str(c, ins, "emp_name", p.emp_name);
    if (list && ins)
        yb_node_append(list, ins);
    ybsim_put(c, c->output, "insuinfo", list);
    ybsim_put(c, c->output, "idetinfo", ybsim_new_node(c, YB_NODE_ARRAY));
    return 0;
}

/* ---- visits: 2201 2202 2203 2401 2402 2403 2404 2405 ---- */

/* Open a visit for psn_no; fills v with what the request and person say. */
static int open_visit(struct ybsim_ctx *c, const struct yb_node *in, const char *where,
                      const char *kind, const char *number_key, struct ybsim_visit *v)
{
    int rc;
    memset(v, 0, sizeof(*v));
    if ((rc = ybsim_get(c, in, where, "psn_no", v->psn_no, sizeof(v->psn_no), 1)) ||
        (rc = ybsim_get(c, in, where, "insutype", v->insutype, sizeof(v->insutype), 1)) ||
        (rc = ybsim_get(c, in, where, "begntime", v->begntime, sizeof(v->begntime), 1)) ||
        (rc = ybsim_get(c, in, where, "mdtrt_cert_type", v->mdtrt_cert_type,
                        sizeof(v->mdtrt_cert_type), 1)) ||
        (rc = ybsim_get(c, in, where, "mdtrt_cert_no", v->mdtrt_cert_no, sizeof(v->mdtrt_cert_no),
                        1)) ||
        (rc = ybsim_get(c, in, where, number_key, v->ipt_otp_no, sizeof(v->ipt_otp_no), 1)) ||
        (rc = ybsim_get(c, in, where, "med_type", v->med_type, sizeof(v->med_type), 0)))
        return rc;
    struct ybsim_person p;
    if ((rc = ybsim_load_person(c, v->psn_no, &p)) ||
        (rc = ybsim_check_insured(c, &p, v->insutype)) ||
        (rc = ybsim_check_cert(c, &p, v->mdtrt_cert_type, v->mdtrt_cert_no)) ||
        (rc = ybsim_check_filing(c, &p, where, v->begntime)))
        return rc;
    if (!ybsim_find_policy(c, &p, v->insutype, kind))
        return YB_EINVAL;
    if ((rc = ybsim_new_id(c, "mdtrt", v->mdtrt_id, sizeof(v->mdtrt_id))))
        return rc;
    memcpy(v->region, c->platform->region, sizeof(v->region));
    snprintf(v->fixmedins_code, sizeof(v->fixmedins_code), "%s", c->fixmedins_code);
    memcpy(v->kind, kind, strlen(kind) + 1);
    memcpy(v->insuplc_admdvs, p.insuplc_admdvs, sizeof(v->insuplc_admdvs));
    memcpy(v->status, YBSIM_VISIT_OPEN, sizeof(YBSIM_VISIT_OPEN));
    snprintf(v->msgid, sizeof(v->msgid), "%s", c->msgid);
    memcpy(v->created, c->now, sizeof(c->now));
    return 0;
}

static void put_visit_data(struct ybsim_ctx *c, const struct ybsim_visit *v)
{
    struct yb_node *out = ybsim_new_node(c, YB_NODE_OBJECT);
    ybsim_put_str(c, out, "mdtrt_id", v->mdtrt_id);
    ybsim_put_str(c, out, "psn_no", v->psn_no);
    ybsim_put_str(c, out, "ipt_otp_no", v->ipt_otp_no);
    ybsim_put(c, c->output, "data", out);
}

static int do_register(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    struct ybsim_visit v;
    if (rc || (rc = open_visit(c, in, "input.data", "otp", "ipt_otp_no", &v)) ||
        (rc = ybsim_get(c, in, "input.data", "dept_code", v.dept_code, sizeof(v.dept_code), 0)) ||
        (rc = ybsim_get(c, in, "input.data", "dept_name", v.dept_name, sizeof(v.dept_name), 0)))
        return rc;
    if (!v.med_type[0])
        memcpy(v.med_type, "11", 3); /* 普通门诊 */
    if ((rc = ybsim_store_visit_add(c->st, &v)))
        return ybsim_db_fail(c, rc);
    put_visit_data(c, &v);
    ybsim_put_str(c, yb_node_get(c->output, "data"), "exp_content", "");
    return 0;
}

static int do_register_revoke(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    struct ybsim_visit v;
    if (rc || (rc = ybsim_visit_from(c, in, "input.data", "otp", &v)) ||
        (rc = ybsim_check_visit_live(c, &v)))
        return rc;
    int live = 0, settled = 0;
    if ((rc = ybsim_store_fee_count(c->st, v.mdtrt_id, &live, &settled)))
        return ybsim_db_fail(c, rc);
    if (live)
        return ybsim_fail(c,
                          "存在未撤销的费用明细: mdtrt_id %s has %d fee lines; revoke them (2205) "
                          "before revoking the registration",
                          v.mdtrt_id, live);
    memcpy(v.status, YBSIM_VISIT_REVOKED, sizeof(YBSIM_VISIT_REVOKED));
    if ((rc = ybsim_store_visit_update(c->st, &v)))
        return ybsim_db_fail(c, rc);
    return 0;
}

/* Check diseinfo items; returns the list (or NULL when absent). */
static int check_diseinfo(struct ybsim_ctx *c, const struct yb_node **list, int required)
{
    struct yb_node *n = yb_node_get(c->input, "diseinfo");
    *list = NULL;
    if (!n || n->type == YB_NODE_NULL || (n->type == YB_NODE_ARRAY && n->count == 0)) {
        if (required)
            return ybsim_fail(c, "缺少诊断信息: input.diseinfo must list at least one diagnosis");
        return 0;
    }
    size_t count = 0;
    int rc;
    const struct yb_node *l = ybsim_input_list(c, "diseinfo", &count, &rc);
    if (rc)
        return rc;
    for (size_t i = 0; i < count; i++) {
        const struct yb_node *d = ybsim_list_item(l, i);
        char where[48], code[64], name[256];
        snprintf(where, sizeof(where), "input.diseinfo[%zu]", i);
        if (!d || d->type != YB_NODE_OBJECT)
            return ybsim_fail(c, "诊断信息格式错误: %s must be an object", where);
        if ((rc = ybsim_get(c, d, where, "diag_code", code, sizeof(code), 1)) ||
            (rc = ybsim_get(c, d, where, "diag_name", name, sizeof(name), 1)))
            return rc;
    }
    *list = l;
    return 0;
}

/* dise_codg and dise_name, where the message carries them, replace the
 * visit's stored diagnosis. */
static int take_diagnosis(struct ybsim_ctx *c, const struct yb_node *in, const char *w,
                          struct ybsim_visit *v)
{
    char codg[sizeof(v->dise_codg)], name[sizeof(v->dise_name)];
    int rc;
    if ((rc = ybsim_get(c, in, w, "dise_codg", codg, sizeof(codg), 0)) ||
        (rc = ybsim_get(c, in, w, "dise_name", name, sizeof(name), 0)))
        return rc;
    if (codg[0])
        memcpy(v->dise_codg, codg, sizeof(codg));
    if (name[0])
        memcpy(v->dise_name, name, sizeof(name));
    return 0;
}

static int do_visit_info(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "mdtrtinfo", &rc), *dise;
    const char *w = "input.mdtrtinfo";
    struct ybsim_visit v;
    if (rc || (rc = ybsim_visit_from(c, in, w, "otp", &v)) ||
        (rc = ybsim_check_visit_live(c, &v)) ||
        (rc = ybsim_get(c, in, w, "med_type", v.med_type, sizeof(v.med_type), 1)) ||
        (rc = check_diseinfo(c, &dise, 0)))
        return rc;
    if ((rc = take_diagnosis(c, in, w, &v)))
        return rc;
    v.info_uploaded = 1;
    v.info_json = ybsim_json_text(c, in);
    v.diseinfo_json = ybsim_json_text(c, dise);
    if ((rc = ybsim_store_visit_update(c->st, &v)))
        return ybsim_db_fail(c, rc);
    return 0;
}

static int do_admit(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "mdtrtinfo", &rc), *dise;
    const char *w = "input.mdtrtinfo";
    struct ybsim_visit v;
    if (rc || (rc = open_visit(c, in, w, "ipt", "ipt_no", &v)) ||
        (rc = ybsim_get(c, in, w, "adm_dept_codg", v.dept_code, sizeof(v.dept_code), 0)) ||
        (rc = ybsim_get(c, in, w, "adm_dept_name", v.dept_name, sizeof(v.dept_name), 0)) ||
        (rc = ybsim_get(c, in, w, "dscg_maindiag_code", v.dise_codg, sizeof(v.dise_codg), 0)) ||
        (rc = ybsim_get(c, in, w, "dscg_maindiag_name", v.dise_name, sizeof(v.dise_name), 0)) ||
        (rc = check_diseinfo(c, &dise, 0)))
        return rc;
    struct ybsim_visit other;
    rc = ybsim_store_visit_inpatient(c->st, v.psn_no, &other);
    if (rc == 0)
        return ybsim_fail(
            c,
            "该人员已在院: psn_no %s is already admitted (mdtrt_id %s at %s, since %s); "
            "discharge or revoke that admission first",
            v.psn_no, other.mdtrt_id, other.fixmedins_code, other.begntime);
    if (rc != YB_ENOENT)
        return ybsim_db_fail(c, rc);
    if (!v.med_type[0])
        memcpy(v.med_type, "21", 3); /* 普通住院 */
    v.info_uploaded = 1;
    v.info_json = ybsim_json_text(c, in);
    v.diseinfo_json = ybsim_json_text(c, dise);
    if ((rc = ybsim_store_visit_add(c->st, &v)))
        return ybsim_db_fail(c, rc);
    put_visit_data(c, &v);
    return 0;
}

static int do_discharge(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "dscginfo", &rc), *dise;
    const char *w = "input.dscginfo";
    struct ybsim_visit v;
    char insutype[8];
    if (rc || (rc = ybsim_visit_from(c, in, w, "ipt", &v)) ||
        (rc = ybsim_check_visit_live(c, &v)) ||
        (rc = ybsim_get(c, in, w, "insutype", insutype, sizeof(insutype), 0)))
        return rc;
    if (insutype[0] && strcmp(insutype, v.insutype) != 0)
        return ybsim_fail(c, "险种不符: insutype %s, but the admission was under %s", insutype,
                          v.insutype);
    if (strcmp(v.status, YBSIM_VISIT_DISCHARGED) == 0)
        return ybsim_fail(c, "已办理出院: mdtrt_id %s was discharged at %s", v.mdtrt_id, v.endtime);
    if ((rc = ybsim_get(c, in, w, "endtime", v.endtime, sizeof(v.endtime), 1)) ||
        (rc = ybsim_get(c, in, w, "dscg_way", v.dscg_way, sizeof(v.dscg_way), 0)) ||
        (rc = check_diseinfo(c, &dise, 0)))
        return rc;
    if ((rc = take_diagnosis(c, in, w, &v)))
        return rc;
    if (strcmp(v.endtime, v.begntime) < 0)
        return ybsim_fail(c, "出院时间早于入院时间: endtime %s is before begntime %s", v.endtime,
                          v.begntime);
    memcpy(v.status, YBSIM_VISIT_DISCHARGED, sizeof(YBSIM_VISIT_DISCHARGED));
    v.info_json = ybsim_json_text(c, in);
    v.diseinfo_json = ybsim_json_text(c, dise);
    if ((rc = ybsim_store_visit_update(c->st, &v)))
        return ybsim_db_fail(c, rc);
    return 0;
}

static int do_admission_change(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "adminfo", &rc), *dise;
    const char *w = "input.adminfo";
    struct ybsim_visit v;
    if (rc || (rc = ybsim_visit_from(c, in, w, "ipt", &v)) ||
        (rc = ybsim_check_visit_live(c, &v)) || (rc = check_diseinfo(c, &dise, 0)))
        return rc;
    /* each field present replaces the stored one */
    static const struct {
        const char *key;
        size_t offset, size;
    } fields[] = {
        {"med_type", offsetof(struct ybsim_visit, med_type),
         sizeof(((struct ybsim_visit *)0)->med_type)},
        {"begntime", offsetof(struct ybsim_visit, begntime),
         sizeof(((struct ybsim_visit *)0)->begntime)},
        {"adm_dept_codg", offsetof(struct ybsim_visit, dept_code),
         sizeof(((struct ybsim_visit *)0)->dept_code)},
        {"adm_dept_name", offsetof(struct ybsim_visit, dept_name),
         sizeof(((struct ybsim_visit *)0)->dept_name)},
        {"dscg_maindiag_code", offsetof(struct ybsim_visit, dise_codg),
         sizeof(((struct ybsim_visit *)0)->dise_codg)},
        {"dscg_maindiag_name", offsetof(struct ybsim_visit, dise_name),
         sizeof(((struct ybsim_visit *)0)->dise_name)},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        char buf[256];
        if ((rc = ybsim_get(c, in, w, fields[i].key, buf, fields[i].size, 0)))
            return rc;
        if (buf[0])
            memcpy((char *)&v + fields[i].offset, buf, strlen(buf) + 1);
    }
    v.info_json = ybsim_json_text(c, in);
    v.diseinfo_json = ybsim_json_text(c, dise);
    if ((rc = ybsim_store_visit_update(c->st, &v)))
        return ybsim_db_fail(c, rc);
    return 0;
}

static int do_admit_revoke(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    struct ybsim_visit v;
    if (rc || (rc = ybsim_visit_from(c, in, "input.data", "ipt", &v)) ||
        (rc = ybsim_check_visit_live(c, &v)))
        return rc;
    if (strcmp(v.status, YBSIM_VISIT_DISCHARGED) == 0)
        return ybsim_fail(
            c, "已办理出院: mdtrt_id %s is discharged; revoke the discharge (2405) first",
            v.mdtrt_id);
    int live = 0, settled = 0;
    if ((rc = ybsim_store_fee_count(c->st, v.mdtrt_id, &live, &settled)))
        return ybsim_db_fail(c, rc);
    if (live)
        return ybsim_fail(c,
                          "存在未撤销的费用明细: mdtrt_id %s has %d fee lines; revoke them (2302) "
                          "before revoking the admission",
                          v.mdtrt_id, live);
    memcpy(v.status, YBSIM_VISIT_REVOKED, sizeof(YBSIM_VISIT_REVOKED));
    if ((rc = ybsim_store_visit_update(c->st, &v)))
        return ybsim_db_fail(c, rc);
    return 0;
}

static int do_discharge_revoke(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    struct ybsim_visit v;
    if (rc || (rc = ybsim_visit_from(c, in, "input.data", "ipt", &v)) ||
        (rc = ybsim_check_visit_live(c, &v)))
        return rc;
    if (strcmp(v.status, YBSIM_VISIT_DISCHARGED) != 0)
        return ybsim_fail(c, "未办理出院: mdtrt_id %s is not discharged", v.mdtrt_id);
    memcpy(v.status, YBSIM_VISIT_OPEN, sizeof(YBSIM_VISIT_OPEN));
    v.endtime[0] = '\0';
    v.dscg_way[0] = '\0';
    if ((rc = ybsim_store_visit_update(c->st, &v)))
        return ybsim_db_fail(c, rc);
    return 0;
}

/* ---- the table ---- */

const struct ybsim_handler ybsim_visit_handlers[] = {
    {"9001", "签到", do_sign_in, 0},
    {"9002", "签退", do_sign_out, 0},
    {"1101", "人员信息获取", do_person, 1},
    {"2201", "门诊挂号", do_register, 1},
    {"2202", "门诊挂号撤销", do_register_revoke, 1},
    {"2203", "门诊就诊信息上传", do_visit_info, 1},
    {"2203A", "门诊就诊信息上传", do_visit_info, 1},
    {"2401", "入院办理", do_admit, 1},
    {"2402", "出院办理", do_discharge, 1},
    {"2403", "住院信息变更", do_admission_change, 1},
    {"2404", "入院办理撤销", do_admit_revoke, 1},
    {"2405", "出院撤销", do_discharge_revoke, 1},
    {NULL, NULL, NULL, 0},
};
