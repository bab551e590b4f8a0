/*
 * handler_util.c - the helpers every transaction handler uses.
 *
 * Owns reading fields from the request tree (with the checks and messages
 * a HIS sees for a missing, overlong or malformed field), building the
 * answer tree, formatting exact decimals, issuing ids, and the checks that
 * several transactions share: the person, the 就诊凭证, the visit, the
 * benefit policy. The contracts are in handlers_internal.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_json.h"
#include "handlers_internal.h"
#include "ybgw/ybgw.h"

#define MAX_LINES 2000 /* fee lines or mappings in one request */

/* ---- errors and warnings ---- */

int ybsim_fail(struct ybsim_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return YB_EINVAL;
}

void ybsim_warn(struct ybsim_ctx *c, const char *fmt, ...)
{
    if (c->warn.len)
        yb_buf_puts(&c->warn, "; ");
    va_list ap;
    va_start(ap, fmt);
    yb_buf_vprintf(&c->warn, fmt, ap);
    va_end(ap);
}

int ybsim_db_fail(struct ybsim_ctx *c, int rc)
{
    if (rc == YB_ENOMEM)
        return ybsim_fail(c, "系统内部错误: out of memory");
    return ybsim_fail(c, "系统内部错误: database: %s", ybsim_store_errmsg(c->st));
}

/* ---- reading the request ---- */

/* Copy obj.key into buf. A missing or empty required field, or one longer
 * than buf, rejects the request naming the field's path. */
int ybsim_get(struct ybsim_ctx *c, const struct yb_node *obj, const char *where, const char *key,
              char *buf, size_t cap, int required)
{
    struct yb_node *n = obj ? yb_node_get(obj, key) : NULL;
    buf[0] = '\0';
    if (n && n->type != YB_NODE_NULL && !yb_node_is_scalar(n))
        return ybsim_fail(c, "字段类型错误: %s.%s must be a string or number", where, key);
    const char *v = n && yb_node_is_scalar(n) ? n->text : NULL;
    if (!v || !*v) {
        if (required)
            return ybsim_fail(c, "缺少必填字段: %s.%s is required", where, key);
        return 0;
    }
    size_t len = n->len;
    if (len >= cap)
        return ybsim_fail(c, "字段超长: %s.%s has %zu bytes, at most %zu allowed", where, key, len,
                          cap - 1);
    if (memchr(v, '\0', len))
        return ybsim_fail(c, "字段内容错误: %s.%s contains a NUL character", where, key);
    memcpy(buf, v, len + 1);
    return 0;
}

/* Read obj.key as a decimal with at most `places` places. *present (may be
 * NULL) says whether it was there; absent and not required leaves *out 0. */
int ybsim_get_dec(struct ybsim_ctx *c, const struct yb_node *obj, const char *where,
                  const char *key, unsigned places, ybsim_dec *out, int required)
{
    struct yb_node *n = obj ? yb_node_get(obj, key) : NULL;
    *out = 0;
    if (!n || n->type == YB_NODE_NULL || (n->type == YB_NODE_STRING && n->len == 0)) {
        if (required)
            return ybsim_fail(c, "缺少必填字段: %s.%s is required", where, key);
        return 0;
    }
    if (n->type != YB_NODE_NUMBER && n->type != YB_NODE_STRING)
        return ybsim_fail(c, "字段类型错误: %s.%s must be a number", where, key);
    int rc = ybsim_dec_parse(n->text, n->len, places, out);
    if (rc == YB_ELIMIT)
        return ybsim_fail(c,
                          "数值精度或范围错误: %s.%s \"%.40s\" has more than %u decimal places or "
                          "is too large",
                          where, key, n->text, places);
    if (rc)
        return ybsim_fail(c, "数值格式错误: %s.%s \"%.40s\" is not a number", where, key, n->text);
    return 0;
}

/* input.key as an object. */
const struct yb_node *ybsim_input_object(struct ybsim_ctx *c, const char *key, int *rc)
{
    struct yb_node *n = yb_node_get(c->input, key);
    if (!n || n->type != YB_NODE_OBJECT) {
        *rc = ybsim_fail(c, "缺少输入节点: input.%s must be an object", key);
        return NULL;
    }
    *rc = 0;
    return n;
}

/* input.key as a list; a lone object counts as a list of one, because
 * several HIS send one-item lists that way. */
const struct yb_node *ybsim_input_list(struct ybsim_ctx *c, const char *key, size_t *count, int *rc)
{
    struct yb_node *n = yb_node_get(c->input, key);
    *rc = 0;
    *count = 0;
    if (n && n->type == YB_NODE_OBJECT) {
        *count = 1;
        return n;
    }
    if (!n || n->type != YB_NODE_ARRAY || n->count == 0) {
        *rc = ybsim_fail(c, "缺少输入节点: input.%s must be a non-empty list", key);
        return NULL;
    }
    if (n->count > MAX_LINES) {
        *rc = ybsim_fail(c, "明细条数超限: input.%s has %zu items, at most %d in one request", key,
                         n->count, MAX_LINES);
        return NULL;
    }
    *count = n->count;
    return n;
}

const struct yb_node *ybsim_list_item(const struct yb_node *list, size_t i)
{
    return list->type == YB_NODE_OBJECT ? list : yb_node_at(list, i);
}

/* The node as compact JSON in the pool (for the store's record of what a
 * HIS sent); NULL when it cannot be encoded. */
const char *ybsim_json_text(struct ybsim_ctx *c, const struct yb_node *n)
{
    if (!n)
        return NULL;
    struct yb_buf b;
    yb_buf_init(&b, 1u << 22);
    const char *s = NULL;
    if (yb_json_encode(n, &b) == 0 && b.data)
        s = yb_pool_strndup(c->pool, b.data, b.len);
    yb_buf_free(&b);
    return s;
}

/* ---- writing the answer ---- */

struct yb_node *ybsim_new_node(struct ybsim_ctx *c, enum yb_node_type type)
{
    struct yb_node *n = yb_node_new(c->pool, type);
    if (!n)
        c->oom = 1;
    return n;
}

void ybsim_put(struct ybsim_ctx *c, struct yb_node *obj, const char *key, struct yb_node *n)
{
    if (!obj || !n || yb_node_append_member(c->pool, obj, key, strlen(key), n))
        c->oom = 1;
}

void ybsim_put_str(struct ybsim_ctx *c, struct yb_node *obj, const char *key, const char *value)
{
    if (!value)
        value = "";
    ybsim_put(c, obj, key, yb_node_new_text(c->pool, YB_NODE_STRING, value, strlen(value)));
}

void ybsim_put_number(struct ybsim_ctx *c, struct yb_node *obj, const char *key,
                      const char *literal)
{
    ybsim_put(c, obj, key, yb_node_new_text(c->pool, YB_NODE_NUMBER, literal, strlen(literal)));
}

/* An amount as a JSON number with exactly two places ("12.50"). */
void ybsim_put_amount(struct ybsim_ctx *c, struct yb_node *obj, const char *key, ybsim_dec v)
{
    char buf[YBSIM_DEC_TEXT];
    ybsim_dec_format(v, 2, buf, sizeof(buf));
    ybsim_put_number(c, obj, key, buf);
}

/* A count, price or ratio: two places, more only where the value has them
 * ("2.00", "1.2345", "0.10"). */
void ybsim_put_fine(struct ybsim_ctx *c, struct yb_node *obj, const char *key, ybsim_dec v)
{
    ybsim_put_number(c, obj, key, ybsim_fmt_fine(c, v));
}

void ybsim_put_int(struct ybsim_ctx *c, struct yb_node *obj, const char *key, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    ybsim_put_number(c, obj, key, buf);
}

const char *ybsim_fmt_amount(struct ybsim_ctx *c, ybsim_dec v)
{
    char buf[YBSIM_DEC_TEXT];
    ybsim_dec_format(v, 2, buf, sizeof(buf));
    const char *s = yb_pool_strdup(c->pool, buf);
    return s ? s : "?";
}

/* A count or price with two places, more only where it has them. */
const char *ybsim_fmt_fine(struct ybsim_ctx *c, ybsim_dec v)
{
    char buf[YBSIM_DEC_TEXT];
    unsigned places = 2;
    while (places < YBSIM_DEC_PLACES && ybsim_dec_round(v, places) != v)
        places++;
    ybsim_dec_format(v, places, buf, sizeof(buf));
    const char *s = yb_pool_strdup(c->pool, buf);
    return s ? s : "?";
}

/* "80%" or "12.5%" */
const char *ybsim_fmt_percent(struct ybsim_ctx *c, ybsim_dec ratio)
{
    ybsim_dec pct = 0;
    char buf[YBSIM_DEC_TEXT];
    ybsim_dec_mul(ratio, 100 * YBSIM_DEC_ONE, 4, &pct);
    unsigned places = 0;
    while (places < 4 && ybsim_dec_round(pct, places) != pct)
        places++;
    ybsim_dec_format(pct, places, buf, sizeof(buf));
    const char *s = yb_pool_printf(c->pool, "%s%%", buf);
    return s ? s : "?";
}

/* ---- ids ---- */

/* A 30-character id: the platform's region, the time, a 10-digit serial
 * kept in the database, so ids stay unique across restarts. */
int ybsim_new_id(struct ybsim_ctx *c, const char *counter, char *buf, size_t cap)
{
    long long n;
    int rc = ybsim_store_next(c->st, counter, &n);
    if (rc)
        return ybsim_db_fail(c, rc);
    snprintf(buf, cap, "%s%s%010lld", c->platform->region, c->stamp, n % 10000000000LL);
    return 0;
}

/* ---- shared checks ---- */

int ybsim_load_person(struct ybsim_ctx *c, const char *psn_no, struct ybsim_person *p)
{
    int rc = ybsim_store_person(c->st, YBSIM_BY_PSN_NO, psn_no, p);
    if (rc == YB_ENOENT)
        return ybsim_fail(c, "人员信息不存在: psn_no \"%s\" is not an insured person", psn_no);
    return rc ? ybsim_db_fail(c, rc) : 0;
}

/* The person may claim benefits under insutype today. */
int ybsim_check_insured(struct ybsim_ctx *c, const struct ybsim_person *p, const char *insutype)
{
    if (insutype[0] && strcmp(insutype, p->insutype) != 0)
        return ybsim_fail(c, "险种不符: insutype %s, but person %s is insured under %s", insutype,
                          p->psn_no, p->insutype);
    if (strcmp(p->psn_insu_stas, "1") != 0)
        return ybsim_fail(c,
                          "参保状态异常: person %s has psn_insu_stas %s (1 = normal), benefits are "
                          "suspended",
                          p->psn_no, p->psn_insu_stas[0] ? p->psn_insu_stas : "(empty)");
    return 0;
}

static const char *cert_type_name(const char *t)
{
    return strcmp(t, "01") == 0   ? "医保电子凭证"
           : strcmp(t, "02") == 0 ? "居民身份证"
           : strcmp(t, "03") == 0 ? "社会保障卡"
                                  : NULL;
}

/* Find a person by a 就诊凭证: 01 电子凭证 token, 02 身份证 number, 03 社保卡 number. */
int ybsim_person_by_cert(struct ybsim_ctx *c, const char *type, const char *no,
                         struct ybsim_person *p)
{
    enum ybsim_person_key by;
    if (strcmp(type, "01") == 0)
        by = YBSIM_BY_ECARD;
    else if (strcmp(type, "02") == 0)
        by = YBSIM_BY_CERTNO;
    else if (strcmp(type, "03") == 0)
        by = YBSIM_BY_CARD;
    else
        return ybsim_fail(
            c,
            "就诊凭证类型错误: mdtrt_cert_type \"%s\" (01 医保电子凭证, 02 居民身份证, "
            "03 社会保障卡)",
            type);
    int rc = ybsim_store_person(c->st, by, no, p);
    if (rc == YB_ENOENT)
        return ybsim_fail(c, "未查询到参保信息: no insured person with %s \"%s\"",
                          cert_type_name(type), no);
    return rc ? ybsim_db_fail(c, rc) : 0;
}

/* When a request names a 就诊凭证 as well as a person, they must agree. */
int ybsim_check_cert(struct ybsim_ctx *c, const struct ybsim_person *p, const char *type,
                     const char *no)
{
    if (!type[0] || !no[0])
        return 0;
    struct ybsim_person other;
    int rc = ybsim_person_by_cert(c, type, no, &other);
    if (rc)
        return rc;
    if (strcmp(other.psn_no, p->psn_no) != 0)
        return ybsim_fail(c,
                          "就诊凭证与人员不符: mdtrt_cert_no \"%s\" belongs to another person, not "
                          "psn_no %s",
                          no, p->psn_no);
    return 0;
}

const char *ybsim_kind_name(const char *kind)
{
    return strcmp(kind, "ipt") == 0 ? "住院 inpatient" : "门诊 outpatient";
}

/* A visit of this institution, of this person (psn_no may be ""), of this
 * kind. */
int ybsim_load_visit(struct ybsim_ctx *c, const char *mdtrt_id, const char *psn_no,
                     const char *kind, struct ybsim_visit *v)
{
    int rc = ybsim_store_visit(c->st, mdtrt_id, v);
    if (rc == YB_ENOENT)
        return ybsim_fail(c, "就诊信息不存在: mdtrt_id \"%s\" is unknown", mdtrt_id);
    if (rc)
        return ybsim_db_fail(c, rc);
    if (strcmp(v->fixmedins_code, c->fixmedins_code) != 0)
        return ybsim_fail(c, "就诊信息不属于本机构: mdtrt_id %s was opened by %s, not %s", mdtrt_id,
                          v->fixmedins_code, c->fixmedins_code);
    if (psn_no[0] && strcmp(psn_no, v->psn_no) != 0)
        return ybsim_fail(c, "人员与就诊信息不符: mdtrt_id %s is a visit of psn_no %s, not %s",
                          mdtrt_id, v->psn_no, psn_no);
    if (strcmp(kind, v->kind) != 0)
        return ybsim_fail(
            c, "就诊类型不符: mdtrt_id %s is a %s visit, this transaction is for %s visits",
            mdtrt_id, ybsim_kind_name(v->kind), ybsim_kind_name(kind));
    return 0;
}

/* The visit can still take fees, information and a settlement. */
int ybsim_check_visit_live(struct ybsim_ctx *c, const struct ybsim_visit *v)
{
    if (strcmp(v->status, YBSIM_VISIT_REVOKED) == 0)
        return ybsim_fail(c, "就诊已撤销: mdtrt_id %s was revoked", v->mdtrt_id);
    if (strcmp(v->status, YBSIM_VISIT_SETTLED) == 0)
        return ybsim_fail(
            c,
            "该就诊已结算: mdtrt_id %s is settled as setl_id %s; revoke the settlement "
            "first",
            v->mdtrt_id, v->setl_id);
    return 0;
}

const struct ybsim_policy *ybsim_find_policy(struct ybsim_ctx *c, const struct ybsim_person *p,
                                             const char *insutype, const char *kind)
{
    int scope = strcmp(kind, "ipt") == 0 ? YBSIM_SCOPE_INPATIENT : YBSIM_SCOPE_OUTPATIENT;
    const struct ybsim_policy *pol =
        ybsim_policy_find(c->conf->policies, p->insuplc_admdvs, insutype, scope);
    if (!pol)
        ybsim_fail(c,
                   "无待遇政策: the simulator has no benefit policy for insured place %s, insutype "
                   "%s (add a policy block to the configuration)",
                   p->insuplc_admdvs, insutype);
    return pol;
}

/* Whole years between brdy (yyyy-MM-dd) and today. */
int ybsim_age_of(const char *brdy, const char *now)
{
    int by, bm, bd, ny, nm, nd;
    if (sscanf(brdy, "%4d-%2d-%2d", &by, &bm, &bd) != 3 ||
        sscanf(now, "%4d-%2d-%2d", &ny, &nm, &nd) != 3)
        return 0;
    int age = ny - by;
    if (nm < bm || (nm == bm && nd < bd))
        age--;
    return age < 0 ? 0 : age;
}

/* The few fields every "mdtrt_id + psn_no" request carries. */
int ybsim_visit_from(struct ybsim_ctx *c, const struct yb_node *in, const char *where,
                     const char *kind, struct ybsim_visit *v)
{
    char mdtrt_id[40], psn_no[32];
    int rc;
    if ((rc = ybsim_get(c, in, where, "mdtrt_id", mdtrt_id, sizeof(mdtrt_id), 1)) ||
        (rc = ybsim_get(c, in, where, "psn_no", psn_no, sizeof(psn_no), 1)))
        return rc;
    return ybsim_load_visit(c, mdtrt_id, psn_no, kind, v);
}

/* ---- dates ---- */

static int digits_at(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int ybsim_date_norm(const char *s, char out[11])
{
    int y, m, d;
    size_t len, slen = s ? strlen(s) : 0;
    if (slen < 8)
        return YB_EINVAL;
    if (slen >= 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4]) {
        if (digits_at(s, 4, &y) || digits_at(s + 5, 2, &m) || digits_at(s + 8, 2, &d))
            return YB_EINVAL;
        len = 10;
    } else {
        if (digits_at(s, 4, &y) || digits_at(s + 4, 2, &m) || digits_at(s + 6, 2, &d))
            return YB_EINVAL;
        len = 8;
    }
    if (s[len]) {
        /* a time part: separator, then at most 12 characters of 0-9 : . */
        const char *t = s + len + 1;
        if ((s[len] != ' ' && s[len] != 'T') || !*t || strlen(t) > 12 ||
            strspn(t, "0123456789:.") != strlen(t))
            return YB_EINVAL;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
        return YB_EINVAL;
    char buf[16];
    snprintf(buf, sizeof(buf), "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
    memcpy(out, buf, 11);
    return 0;
}
