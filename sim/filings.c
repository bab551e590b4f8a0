/*
 * filings.c - filings (备案): 2501 转院备案, 2502 its revoke, and the rule
 * that an off-site registration (2201, 2401) needs one.
 *
 * Off-site treatment (异地就医) is filed with the person's insured place:
 * the platform that serves the insured place takes the 2501, keeps the
 * filing under its own region and hands back a trt_dcla_detl_sn that starts
 * with that region. With `require_filing cross-province` (or `off-site`) a
 * platform then refuses a registration whose treatment place
 * (mdtrtarea_admvs) and insured place (insuplc_admdvs) lie in two provinces
 * (or two pools) unless the person has a live filing with that platform
 * covering the visit's date and place. A filing taken by another platform
 * does not count: a test can thereby tell a registration that reached the
 * insured place's platform from one that was routed wrongly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers_internal.h"
#include "ybgw/ybgw.h"

#define MEMO_MAX 2048 /* 500 characters of the specification, in UTF-8 bytes */

static int is_region(const char *s)
{
    return strlen(s) == 6 && strspn(s, "0123456789") == 6;
}

/* Does platform p serve region code admdvs (one of its prefixes starts it)? */
static int platform_serves(const struct ybsim_platform *p, const char *admdvs)
{
    for (int i = 0; i < p->nserves; i++)
        if (strncmp(p->serves[i], admdvs, strlen(p->serves[i])) == 0)
            return 1;
    return 0;
}

/* Does a filing for filed_area (450000 a province, 450100 a city, 450199 a
 * pool) cover treatment in area? Trailing "00" pairs widen the code to its
 * city or province. */
static int area_covers(const char *filed_area, const char *area)
{
    size_t n = strlen(filed_area);
    while (n >= 4 && filed_area[n - 1] == '0' && filed_area[n - 2] == '0')
        n -= 2;
    return strncmp(filed_area, area, n) == 0;
}

/* ---- 2501 转院备案 ---- */

static int do_file(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "refmedin", &rc);
    const char *w = "input.refmedin";
    struct ybsim_filing f;
    memset(&f, 0, sizeof(f));
    char begndate[24], enddate[24];
    if (rc || (rc = ybsim_get(c, in, w, "psn_no", f.psn_no, sizeof(f.psn_no), 1)) ||
        (rc = ybsim_get(c, in, w, "insutype", f.insutype, sizeof(f.insutype), 1)) ||
        (rc = ybsim_get(c, in, w, "mdtrtarea_admdvs", f.mdtrtarea_admdvs,
                        sizeof(f.mdtrtarea_admdvs), 1)) ||
        (rc = ybsim_get(c, in, w, "reflin_medins_no", f.reflin_medins_no,
                        sizeof(f.reflin_medins_no), 0)) ||
        (rc = ybsim_get(c, in, w, "begndate", begndate, sizeof(begndate), 0)) ||
        (rc = ybsim_get(c, in, w, "enddate", enddate, sizeof(enddate), 0)))
        return rc;
    if (!is_region(f.mdtrtarea_admdvs))
        return ybsim_fail(c,
                          "区划代码错误: %s.mdtrtarea_admdvs \"%s\" is not a 6-digit region code",
                          w, f.mdtrtarea_admdvs);
    struct ybsim_person p;
    if ((rc = ybsim_load_person(c, f.psn_no, &p)) || (rc = ybsim_check_insured(c, &p, f.insutype)))
        return rc;
    if (!platform_serves(c->platform, p.insuplc_admdvs))
        return ybsim_fail(c,
                          "非参保地备案: person %s is insured in %s, which this platform (%s) does "
                          "not serve; the insured place's platform takes the filing (2501)",
                          p.psn_no, p.insuplc_admdvs, c->platform->region);
    if (strcmp(f.mdtrtarea_admdvs, p.insuplc_admdvs) == 0)
        return ybsim_fail(
            c,
            "备案就医地错误: %s.mdtrtarea_admdvs %s is the person's own insured place; "
            "a filing is for treatment elsewhere",
            w, f.mdtrtarea_admdvs);
    /* no begndate: from today; no enddate: open-ended */
    if (!begndate[0])
        memcpy(f.begndate, c->now, 10);
    else if (ybsim_date_norm(begndate, f.begndate))
        return ybsim_fail(c, "日期格式错误: %s.begndate \"%s\" is not a date (yyyy-MM-dd)", w,
                          begndate);
    if (enddate[0] && ybsim_date_norm(enddate, f.enddate))
        return ybsim_fail(c, "日期格式错误: %s.enddate \"%s\" is not a date (yyyy-MM-dd)", w,
                          enddate);
    if (f.enddate[0] && strcmp(f.enddate, f.begndate) < 0)
        return ybsim_fail(c, "日期错误: %s.enddate %s is before begndate %s", w, f.enddate,
                          f.begndate);
    if ((rc = ybsim_new_id(c, "filing", f.trt_dcla_detl_sn, sizeof(f.trt_dcla_detl_sn))))
        return rc;
    memcpy(f.region, c->platform->region, sizeof(f.region));
    snprintf(f.fixmedins_code, sizeof(f.fixmedins_code), "%s", c->fixmedins_code);
    memcpy(f.insuplc_admdvs, p.insuplc_admdvs, sizeof(f.insuplc_admdvs));
    snprintf(f.msgid, sizeof(f.msgid), "%s", c->msgid);
    memcpy(f.created, c->now, sizeof(c->now));
    f.refmedin_json = ybsim_json_text(c, in);
    if ((rc = ybsim_store_filing_add(c->st, &f)))
        return ybsim_db_fail(c, rc);
    struct yb_node *out = ybsim_new_node(c, YB_NODE_OBJECT);
    ybsim_put_str(c, out, "trt_dcla_detl_sn", f.trt_dcla_detl_sn);
    ybsim_put(c, c->output, "result", out);
    return 0;
}

/* ---- 2502 转院备案撤销 ---- */

static int do_file_revoke(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    const char *w = "input.data";
    char psn_no[32], sn[40];
    char *memo = yb_pool_alloc(c->pool, MEMO_MAX);
    if (!memo)
        return ybsim_fail(c, "系统内部错误: out of memory");
    if (rc || (rc = ybsim_get(c, in, w, "psn_no", psn_no, sizeof(psn_no), 1)) ||
        (rc = ybsim_get(c, in, w, "trt_dcla_detl_sn", sn, sizeof(sn), 1)) ||
        (rc = ybsim_get(c, in, w, "memo", memo, MEMO_MAX, 0)))
        return rc;
    struct ybsim_filing f;
    rc = ybsim_store_filing(c->st, sn, &f);
    if (rc == YB_ENOENT || (rc == 0 && strcmp(f.region, c->platform->region) != 0))
        return ybsim_fail(c,
                          "备案信息不存在: trt_dcla_detl_sn %s is not a filing of this platform "
                          "(%s)",
                          sn, c->platform->region);
    if (rc)
        return ybsim_db_fail(c, rc);
    if (strcmp(f.psn_no, psn_no) != 0)
        return ybsim_fail(
            c, "人员与备案信息不符: trt_dcla_detl_sn %s is a filing of psn_no %s, not %s", sn,
            f.psn_no, psn_no);
    if (f.revoked)
        return ybsim_fail(c, "备案已撤销: trt_dcla_detl_sn %s was already revoked at %s", sn,
                          f.revoke_time);
    f.revoked = 1;
    memcpy(f.revoke_time, c->now, sizeof(c->now));
    snprintf(f.revoke_msgid, sizeof(f.revoke_msgid), "%s", c->msgid);
    f.revoke_memo = memo;
    if ((rc = ybsim_store_filing_update(c->st, &f)))
        return ybsim_db_fail(c, rc);
    return 0;
}

/* ---- the rule for registrations ---- */

struct filing_match {
    const char *area;
    int found;
};

static int filing_matches(const struct ybsim_filing *f, void *arg)
{
    struct filing_match *m = arg;
    if (!area_covers(f->mdtrtarea_admdvs, m->area))
        return 0;
    m->found = 1;
    return 1; /* stop: one is enough */
}

int ybsim_check_filing(struct ybsim_ctx *c, const struct ybsim_person *p, const char *where,
                       const char *begntime)
{
    if (c->conf->require_filing == YBSIM_FILING_OFF)
        return 0;
    const char *area = yb_node_get_text(c->req, "mdtrtarea_admvs");
    const char *insuplc = yb_node_get_text(c->req, "insuplc_admdvs");
    if (!area || !*area)
        return ybsim_fail(c,
                          "缺少必填字段: mdtrtarea_admvs (the treatment place) is required to tell "
                          "a local visit from an off-site one");
    if (!is_region(area))
        return ybsim_fail(c, "区划代码错误: mdtrtarea_admvs \"%.20s\" is not a 6-digit region code",
                          area);
    if (!insuplc || !*insuplc)
        insuplc = p->insuplc_admdvs; /* the platform knows where the person is insured */
    else if (!is_region(insuplc))
        return ybsim_fail(c, "区划代码错误: insuplc_admdvs \"%.20s\" is not a 6-digit region code",
                          insuplc);
    int cross_province = strncmp(area, insuplc, 2) != 0;
    int off_site = strcmp(area, insuplc) != 0;
    if (c->conf->require_filing == YBSIM_FILING_CROSS_PROVINCE ? !cross_province : !off_site)
        return 0;
    char date[11];
    if (ybsim_date_norm(begntime, date))
        return ybsim_fail(c,
                          "日期格式错误: %s.begntime \"%s\" is not a date and time "
                          "(yyyy-MM-dd HH:mm:ss)",
                          where, begntime);
    struct filing_match m = {area, 0};
    int rc =
        ybsim_store_filing_each(c->st, p->psn_no, c->platform->region, date, filing_matches, &m);
    if (rc < 0)
        return ybsim_db_fail(c, rc);
    if (m.found)
        return 0;
    if (!platform_serves(c->platform, insuplc))
        return ybsim_fail(c,
                          "异地就医未备案: person %s (insured %s) has no active filing for "
                          "treatment in %s; file it with 2501 first (this platform, %s, does not "
                          "serve %s and holds no filings for it: send the person's transactions to "
                          "the insured place's platform)",
                          p->psn_no, insuplc, area, c->platform->region, insuplc);
    return ybsim_fail(
        c,
        "异地就医未备案: person %s (insured %s) has no active filing for treatment in "
        "%s; file it with 2501 first (platform %s has none for the visit date %s)",
        p->psn_no, insuplc, area, c->platform->region, date);
}

/* ---- the table ---- */

const struct ybsim_handler ybsim_filing_handlers[] = {
    {"2501", "转院备案", do_file, 1},
    {"2502", "转院备案撤销", do_file_revoke, 1},
    {NULL, NULL, NULL, 0},
};
