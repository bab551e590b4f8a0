/*
 * handlers.c - from a decoded request to the platform's answer envelope.
 *
 * Owns the checks every transaction shares, in the platform's order (infno
 * known, msgid present and fresh, sign-in active), the lookup of an infno in
 * the handler tables (visits.c, fees.c, settlements.c, catalog.c,
 * filings.c), the
 * SQLite transaction around each request (committed only when the answer is
 * infcode 0, so a refused request changes nothing), and the response
 * envelope (infcode, inf_refmsgid, times, err_msg, warn_msg, output).
 */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers_internal.h"
#include "ybgw/ybgw.h"

#define WARN_MAX 2048

static const struct ybsim_handler *const tables[] = {
    ybsim_visit_handlers,   ybsim_fee_handlers,    ybsim_settlement_handlers,
    ybsim_catalog_handlers, ybsim_filing_handlers,
};

static const struct ybsim_handler *find_handler(const char *infno)
{
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct ybsim_handler *h = tables[t]; h->infno; h++)
            if (strcmp(h->infno, infno) == 0)
                return h;
    return NULL;
}

/* The text of a scalar member; NULL when absent or JSON null. */
static const char *text_of(const struct yb_node *obj, const char *key)
{
    return obj ? yb_node_get_text(obj, key) : NULL;
}

/* ---- the envelope ---- */

static void format_times(struct ybsim_ctx *c, const struct timespec *ts)
{
    struct tm tm;
    time_t t = ts->tv_sec;
    localtime_r(&t, &tm);
    strftime(c->now, sizeof(c->now), "%Y-%m-%d %H:%M:%S", &tm);
    strftime(c->stamp, sizeof(c->stamp), "%Y%m%d%H%M%S", &tm);
    strftime(c->year, sizeof(c->year), "%Y", &tm);
}

/* yyyyMMddHHmmssSSS */
static void time17(const struct timespec *ts, char *buf, size_t cap)
{
    struct tm tm;
    time_t t = ts->tv_sec;
    localtime_r(&t, &tm);
    char stamp[16];
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    snprintf(buf, cap, "%.14s%03d", stamp, (int)(ts->tv_nsec / 1000000) % 1000);
}

/* The envelope checks, then the handler. 0 or a negative value with c->err. */
static int process(struct ybsim_ctx *c, const char *path_infno)
{
    const struct yb_node *req = c->req;
    c->infno = text_of(req, "infno");
    if (path_infno && *path_infno) {
        if (!c->infno || !*c->infno)
            c->infno = path_infno;
        else if (strcmp(c->infno, path_infno) != 0)
            return ybsim_fail(c, "交易编号不一致: the URL names %s but infno is %s", path_infno,
                              c->infno);
    }
    if (!c->infno || !*c->infno)
        return ybsim_fail(c, "缺少必填字段: infno is required");
    const struct ybsim_handler *h = find_handler(c->infno);
    if (!h)
        return ybsim_fail(
            c, "交易编号不存在: infno \"%.20s\" is not a transaction of this platform", c->infno);
    c->msgid = text_of(req, "msgid");
    c->fixmedins_code = text_of(req, "fixmedins_code");
    c->sign_no = text_of(req, "sign_no");
    if (!c->msgid || !*c->msgid)
        return ybsim_fail(c, "缺少必填字段: msgid is required");
    if (strlen(c->msgid) > 60)
        return ybsim_fail(c, "报文ID格式错误: msgid is longer than 60 characters");
    if (!c->fixmedins_code || !*c->fixmedins_code)
        return ybsim_fail(c, "缺少必填字段: fixmedins_code is required");
    if (strlen(c->fixmedins_code) >= sizeof(((struct ybsim_visit *)0)->fixmedins_code))
        return ybsim_fail(c, "字段超长: fixmedins_code \"%.40s\" is longer than 15 characters",
                          c->fixmedins_code);
    if (c->conf->strict_msgid &&
        (strlen(c->msgid) != 30 ||
         strncmp(c->msgid, c->fixmedins_code, strlen(c->fixmedins_code)) != 0))
        return ybsim_fail(c,
                          "报文ID格式错误: msgid \"%s\" must be 30 characters: fixmedins_code, "
                          "yyyyMMddHHmmss and a 4-digit serial",
                          c->msgid);
    struct yb_node *input = yb_node_get(req, "input");
    if (input && input->type != YB_NODE_OBJECT && input->type != YB_NODE_NULL)
        return ybsim_fail(c, "输入格式错误: input must be an object");
    c->input = input && input->type == YB_NODE_OBJECT ? input : NULL;
    if (!c->input) {
        struct yb_node *empty = ybsim_new_node(c, YB_NODE_OBJECT);
        if (!empty)
            return ybsim_fail(c, "系统内部错误: out of memory");
        c->input = empty;
    }

    int rc = ybsim_store_begin(c->st);
    if (rc)
        return ybsim_db_fail(c, rc);
    rc = ybsim_store_msgid_add(c->st, c->msgid, c->infno, c->fixmedins_code, c->platform->region,
                               c->now);
    if (rc == YB_EEXIST && c->conf->reject_duplicate_msgid)
        rc = ybsim_fail(c,
                        "报文ID重复: msgid %s was already received; every message needs a new "
                        "msgid",
                        c->msgid);
    else if (rc == YB_EEXIST)
        rc = 0;
    else if (rc)
        rc = ybsim_db_fail(c, rc);
    if (rc == 0 && h->needs_sign_in && c->conf->require_sign_in) {
        if (!c->sign_no || !*c->sign_no) {
            rc = ybsim_fail(c, "签到编号无效: sign_no is missing; sign in with 9001 first");
        } else {
            rc = ybsim_store_sign_active(c->st, c->sign_no, c->fixmedins_code);
            if (rc == YB_ENOENT)
                rc = ybsim_fail(c, "签到编号无效: sign_no \"%.40s\" is not an active sign-in of %s",
                                c->sign_no, c->fixmedins_code);
            else if (rc)
                rc = ybsim_db_fail(c, rc);
        }
    }
    if (rc == 0)
        rc = h->fn(c);
    if (rc == 0 && c->oom)
        rc = ybsim_fail(c, "系统内部错误: out of memory");
    if (rc == 0 && (rc = ybsim_store_commit(c->st)) != 0)
        rc = ybsim_db_fail(c, rc);
    if (rc)
        ybsim_store_rollback(c->st);
    return rc;
}

struct yb_node *ybsim_answer(struct ybsim_sim *sim, const struct ybsim_platform *p,
                             struct yb_pool *pool, const struct yb_node *request, const char *why,
                             const char *path_infno, const struct timespec *received,
                             struct ybsim_result *result)
{
    struct ybsim_ctx c;
    memset(&c, 0, sizeof(c));
    c.sim = sim;
    c.conf = sim->conf;
    c.st = sim->store;
    c.platform = p;
    c.pool = pool;
    c.req = request;
    yb_buf_init(&c.warn, WARN_MAX);
    format_times(&c, received);
    c.output = ybsim_new_node(&c, YB_NODE_OBJECT);

    int rc;
    if (!request)
        rc = ybsim_fail(&c, "报文格式错误: the body is not a JSON object: %s", why ? why : "empty");
    else if (!c.output)
        rc = ybsim_fail(&c, "系统内部错误: out of memory");
    else
        rc = process(&c, path_infno);

    struct yb_node *env = yb_node_new(pool, YB_NODE_OBJECT);
    struct yb_node *output = rc ? yb_node_new(pool, YB_NODE_OBJECT) : c.output;
    if (!env || !output) {
        yb_buf_free(&c.warn);
        return NULL;
    }
    c.oom = 0;
    char ref[48], t_recv[32], t_resp[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(ref, sizeof(ref), "%s%s%010llu", p->region, c.stamp, ++sim->serial % 10000000000ULL);
    time17(received, t_recv, sizeof(t_recv));
    time17(&now, t_resp, sizeof(t_resp));
    ybsim_put_number(&c, env, "infcode", rc ? "-1" : "0");
    ybsim_put_str(&c, env, "inf_refmsgid", ref);
    ybsim_put_str(&c, env, "refmsg_time", t_recv);
    ybsim_put_str(&c, env, "respond_time", t_resp);
    ybsim_put_str(&c, env, "err_msg", rc ? c.err : "");
    ybsim_put_str(&c, env, "warn_msg", c.warn.data && !rc ? c.warn.data : "");
    ybsim_put_str(&c, env, "cainfo", "");
    ybsim_put_str(&c, env, "signtype", "");
    ybsim_put(&c, env, "output", output);
    yb_buf_free(&c.warn);
    if (c.oom)
        return NULL;
    result->infcode = rc ? -1 : 0;
    result->infno = c.infno;
    result->msgid = c.msgid;
    result->err_msg = rc ? yb_pool_strdup(pool, c.err) : "";
    return env;
}
