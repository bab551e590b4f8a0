/*
 * ctl_visit.c - run a visit script against the gateway (or the simulator).
 *
 * For each step: build the envelope (script defaults, the step's overrides,
 * a fresh msgid, the sign_no saved from 9001, inf_time), substitute
 * ${variables} in every string, send it as JSON or XML, decode the answer,
 * judge it against the step's expectation and checks, save the values the
 * step names, and print one line. Later steps depend on earlier ones
 * (mdtrt_id, setl_id), so the visit stops at the first unmet expectation
 * unless --keep-going is given.
 *
 * Memory: the script, the variables and their values live in one pool for
 * the whole run (a visit has tens of steps, so nothing is worth freeing
 * early); each step's request and answer trees live in a pool of their own.
 */
#include "ctl_visit.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "codec_json.h"
#include "ctl_send.h"
#include "schema.h"

#define VISIT_MAX_VARS 256
#define VISIT_MAX_NAME 64
#define TITLE_COLUMNS 28

/* Transaction names for the listing when no schema set is at hand. */
static const struct {
    const char *infno;
    const char *title;
} builtin_titles[] = {
    {"1101", "人员信息获取"},
    {"2001", "人员待遇享受检查"},
    {"2201", "门诊挂号"},
    {"2202", "门诊挂号撤销"},
    {"2203", "门诊就诊信息上传"},
    {"2203A", "门诊就诊信息上传"},
    {"2204", "门诊费用明细上传"},
    {"2205", "门诊费用明细撤销"},
    {"2206", "门诊预结算"},
    {"2207", "门诊结算"},
    {"2208", "门诊结算撤销"},
    {"2301", "住院费用明细上传"},
    {"2302", "住院费用明细撤销"},
    {"2303", "住院预结算"},
    {"2304", "住院结算"},
    {"2305", "住院结算撤销"},
    {"2401", "入院办理"},
    {"2402", "出院办理"},
    {"2403", "住院信息变更"},
    {"2404", "入院撤销"},
    {"2405", "出院撤销"},
    {"2601", "冲正交易"},
    {"3201", "对总账"},
    {"3202", "对明细账"},
    {"3301", "目录对照上传"},
    {"3302", "目录对照撤销"},
    {"4101", "结算清单上传"},
    {"4101A", "结算清单上传"},
    {"9001", "签到"},
    {"9002", "签退"},
};

/* The settlement amounts a cashier looks at first. */
static const char *const settlement_amounts[] = {"medfee_sumamt", "fund_pay_sumamt", "acct_pay",
                                                 "psn_cash_pay"};

struct visit_var {
    const char *name;
    const char *value;
};

struct visit {
    struct yb_pool *pool;
    const char *script_path;
    const struct yb_node *envelope; /* defaults, may be NULL */
    const struct yb_node *steps;
    struct visit_var vars[VISIT_MAX_VARS];
    int n_vars;
    unsigned serial;       /* of the last generated msgid */
    char serial_stamp[15]; /* and the second it belonged to */
    unsigned tick;         /* the clock's tenth of a millisecond, at update_clock */
    char now[20];          /* yyyy-MM-dd HH:mm:ss */
    char today[11];        /* yyyy-MM-dd */
    char stamp[15];        /* yyyyMMddHHmmss */
    const char *step_msgid;

    const char *url;
    const char *encoding;
    int xml, quiet, json, keep_going, color;
    struct yb_schema_set *schemas;
    struct ctl_http http;

    int met, unmet;
    double total_ms;
};

/* ---- variables and substitution ---- */

static const char *var_get(const struct visit *v, const char *name)
{
    for (int i = 0; i < v->n_vars; i++)
        if (strcmp(v->vars[i].name, name) == 0)
            return v->vars[i].value;
    return NULL;
}

static int var_set(struct visit *v, const char *name, const char *value)
{
    char *copy = yb_pool_strdup(v->pool, value);
    if (!copy)
        return YB_ENOMEM;
    for (int i = 0; i < v->n_vars; i++) {
        if (strcmp(v->vars[i].name, name) == 0) {
            v->vars[i].value = copy;
            return 0;
        }
    }
    if (v->n_vars == VISIT_MAX_VARS)
        return YB_ELIMIT;
    if (!(v->vars[v->n_vars].name = yb_pool_strdup(v->pool, name)))
        return YB_ENOMEM;
    v->vars[v->n_vars++].value = copy;
    return 0;
}

static const char *lookup(const struct visit *v, const char *name)
{
    if (strcmp(name, "now") == 0)
        return v->now;
    if (strcmp(name, "today") == 0)
        return v->today;
    if (strcmp(name, "timestamp") == 0)
        return v->stamp;
    if (strcmp(name, "msgid") == 0 && v->step_msgid)
        return v->step_msgid;
    return var_get(v, name);
}

/* Replace every ${name} in text[0..len) into a new pool string. */
static int substitute(const struct visit *v, struct yb_pool *pool, const char *text, size_t len,
                      const char **out, size_t *out_len, char *err, size_t errlen)
{
    struct yb_buf b;
    int rc = 0;
    yb_buf_init(&b, CTL_MAX_FILE);
    size_t i = 0;
    while (i < len) {
        const char *open = memchr(text + i, '$', len - i);
        size_t upto = open ? (size_t)(open - text) : len;
        if ((rc = yb_buf_append(&b, text + i, upto - i)))
            goto out;
        i = upto;
        if (!open)
            break;
        if (i + 1 >= len || text[i + 1] != '{') {
            if ((rc = yb_buf_putc(&b, '$')))
                goto out;
            i++;
            continue;
        }
        const char *close = memchr(text + i + 2, '}', len - i - 2);
        size_t name_len = close ? (size_t)(close - (text + i + 2)) : 0;
        if (!close || name_len == 0 || name_len >= VISIT_MAX_NAME) {
            snprintf(err, errlen, "malformed ${...} in \"%.*s\"", (int)(len > 80 ? 80 : len), text);
            rc = YB_EINVAL;
            goto out;
        }
        char name[VISIT_MAX_NAME];
        memcpy(name, text + i + 2, name_len);
        name[name_len] = '\0';
        const char *value = lookup(v, name);
        if (!value) {
            snprintf(err, errlen, "${%s} is not set (no earlier step saved it)", name);
            rc = YB_ENOENT;
            goto out;
        }
        if ((rc = yb_buf_puts(&b, value)))
            goto out;
        i += 2 + name_len + 1;
    }
    if (!(*out = yb_pool_strndup(pool, b.data ? b.data : "", b.len))) {
        rc = YB_ENOMEM;
        goto out;
    }
    *out_len = b.len;
out:
    if (rc == YB_ENOMEM || rc == YB_ELIMIT)
        snprintf(err, errlen, "out of memory while substituting");
    yb_buf_free(&b);
    return rc;
}

/* A copy of node in pool with ${...} replaced in every string. */
static struct yb_node *subst_tree(const struct visit *v, struct yb_pool *pool,
                                  const struct yb_node *node, char *err, size_t errlen)
{
    struct yb_node *copy = yb_node_new(pool, node->type);
    if (!copy)
        goto nomem;
    if (node->type == YB_NODE_STRING) {
        const char *text;
        size_t len;
        if (substitute(v, pool, node->text ? node->text : "", node->len, &text, &len, err, errlen))
            return NULL;
        copy->text = text;
        copy->len = len;
        return copy;
    }
    if (node->text) {
        if (!(copy->text = yb_pool_strndup(pool, node->text, node->len)))
            goto nomem;
        copy->len = node->len;
    }
    for (const struct yb_node *c = node->child; c; c = c->next) {
        struct yb_node *cc = subst_tree(v, pool, c, err, errlen);
        if (!cc)
            return NULL;
        if (node->type == YB_NODE_OBJECT) {
            if (yb_node_append_member(pool, copy, c->key, c->key_len, cc))
                goto nomem;
        } else {
            yb_node_append(copy, cc);
        }
    }
    return copy;
nomem:
    snprintf(err, errlen, "out of memory");
    return NULL;
}

/* ---- small helpers ---- */

static void update_clock(struct visit *v)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    v->tick = (unsigned)(ts.tv_nsec / 100000); /* 0..9999 within the second */
    localtime_r(&ts.tv_sec, &tm);
    strftime(v->now, sizeof(v->now), "%Y-%m-%d %H:%M:%S", &tm);
    strftime(v->today, sizeof(v->today), "%Y-%m-%d", &tm);
    strftime(v->stamp, sizeof(v->stamp), "%Y%m%d%H%M%S", &tm);
}

static const char *title_of(const struct visit *v, const char *infno)
{
    const char *t = v->schemas ? yb_schema_title(v->schemas, infno) : NULL;
    if (t)
        return t;
    for (size_t i = 0; i < sizeof(builtin_titles) / sizeof(builtin_titles[0]); i++)
        if (strcmp(builtin_titles[i].infno, infno) == 0)
            return builtin_titles[i].title;
    return "";
}

/* Terminal columns of UTF-8 text: CJK characters take two. */
static int display_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        w += *p >= 0xE3 && *p < 0xF0 ? 2 : 1; /* U+3000 and up in three bytes */
    }
    return w;
}

/* Copy a plain decimal into out without trailing fractional zeros ("12.50"
 * becomes "12.5", "3.00" becomes "3"). Returns -1 when s is not one. */
static int normalize_decimal(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0 || n >= cap || strspn(s, "-0123456789.") != n)
        return -1;
    memcpy(out, s, n + 1);
    if (strchr(out, '.')) {
        while (n > 0 && out[n - 1] == '0')
            out[--n] = '\0';
        if (n > 0 && out[n - 1] == '.')
            out[--n] = '\0';
    }
    return 0;
}

/* "12.50" and "12.5" are the same amount; anything that is not a plain
 * decimal compares as text. */
static int same_value(const char *got, const char *want)
{
    char a[64] = "", b[64] = "";
    if (strcmp(got, want) == 0)
        return 1;
    if (normalize_decimal(got, a, sizeof(a)) || normalize_decimal(want, b, sizeof(b)))
        return 0;
    return strcmp(a, b) == 0;
}

static const char *member_text(const struct yb_node *object, const char *key)
{
    return object && object->type == YB_NODE_OBJECT ? ctl_text(yb_node_get(object, key)) : NULL;
}

/* ---- one step ---- */

struct step_result {
    const char *infno;
    const char *label;
    const char *msgid;
    long http;
    const char *infcode;
    const char *err_msg;
    const char *warn_msg;
    int met;
    int transport;       /* no usable answer */
    char why[1024];      /* reason when not met */
    struct yb_buf notes; /* saved values or settlement amounts, for the listing */
    json_t *amounts;     /* for --json */
    json_t *saved;
    struct ctl_answer ans;
};

static int build_request(struct visit *v, struct yb_pool *pool, const struct yb_node *step,
                         const char *infno, struct yb_node **out, const char **msgid_out, char *err,
                         size_t errlen)
{
    struct yb_node *msg = yb_node_new(pool, YB_NODE_OBJECT);
    const struct yb_node *overrides = yb_node_get(step, "envelope");
    const struct yb_node *input = yb_node_get(step, "input");
    struct yb_node *n;

    if (overrides && overrides->type != YB_NODE_OBJECT) {
        snprintf(err, errlen, "\"envelope\" must be an object");
        return YB_EINVAL;
    }
    if (input && input->type != YB_NODE_OBJECT) {
        snprintf(err, errlen, "\"input\" must be an object");
        return YB_EINVAL;
    }
    if (!msg || yb_node_put_string(pool, msg, "infno", infno, strlen(infno)) ||
        yb_node_put_string(pool, msg, "msgid", "", 0))
        goto nomem;
    if (v->envelope) {
        for (const struct yb_node *c = v->envelope->child; c; c = c->next) {
            if (!(n = subst_tree(v, pool, c, err, errlen)))
                return YB_EINVAL;
            char *key = yb_pool_strndup(pool, c->key, c->key_len);
            if (!key || yb_node_put(pool, msg, key, n))
                goto nomem;
        }
    }
    /* the sign_no saved from 9001 rides along unless the step says otherwise */
    const char *sign_no = var_get(v, "sign_no");
    if (sign_no && !(overrides && yb_node_get(overrides, "sign_no")) &&
        yb_node_put_string(pool, msg, "sign_no", sign_no, strlen(sign_no)))
        goto nomem;
    if (overrides) {
        for (const struct yb_node *c = overrides->child; c; c = c->next) {
            char *key = yb_pool_strndup(pool, c->key, c->key_len);
            if (!key)
                goto nomem;
            if (c->type == YB_NODE_NULL) { /* null removes the field: negative tests */
                yb_node_remove(msg, key);
                continue;
            }
            if (!(n = subst_tree(v, pool, c, err, errlen)))
                return YB_EINVAL;
            if (yb_node_put(pool, msg, key, n))
                goto nomem;
        }
    }
    if (!yb_node_get(msg, "inf_time") && !(overrides && yb_node_get(overrides, "inf_time")) &&
        yb_node_put_string(pool, msg, "inf_time", v->now, strlen(v->now)))
        goto nomem;

    /* msgid = fixmedins_code + yyyyMMddHHmmss + 4-digit serial, unless the
     * step wrote its own (or removed it) */
    const char *msgid = NULL;
    if (!(overrides && yb_node_get(overrides, "msgid"))) {
        const char *code = member_text(msg, "fixmedins_code");
        /* The serial is the tenth of a millisecond within the stamp's second,
         * pushed forward past the previous step's: msgids are unique within
         * the run, and across runs one after another, because no exchange
         * takes less than 0.1 ms. */
        unsigned serial = v->tick;
        if (strcmp(v->stamp, v->serial_stamp) == 0 && serial <= v->serial)
            serial = v->serial + 1;
        v->serial = serial % 10000;
        memcpy(v->serial_stamp, v->stamp, sizeof(v->serial_stamp));
        msgid = yb_pool_printf(pool, "%s%s%04u", code ? code : "", v->stamp, v->serial);
        if (!msgid || yb_node_put_string(pool, msg, "msgid", msgid, strlen(msgid)))
            goto nomem;
    } else {
        msgid = member_text(msg, "msgid");
    }
    *msgid_out = msgid ? msgid : "";

    if (input) {
        v->step_msgid = *msgid_out; /* ${msgid} inside the input: this step's own */
        n = subst_tree(v, pool, input, err, errlen);
        v->step_msgid = NULL;
        if (!n)
            return YB_EINVAL;
    } else if (!(n = yb_node_new(pool, YB_NODE_OBJECT))) {
        goto nomem;
    }
    yb_node_remove(msg, "input");
    if (yb_node_put(pool, msg, "input", n))
        goto nomem;
    *out = msg;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return YB_ENOMEM;
}

/* Judge the answer: expectation, checks, then the values to save. */
static int judge(struct visit *v, struct yb_pool *pool, const struct yb_node *step,
                 const struct yb_node *answer, struct step_result *r, char *err, size_t errlen)
{
    const struct yb_node *expect_node = yb_node_get(step, "expect");
    const char *expect = expect_node ? ctl_text(expect_node) : "ok";
    const struct yb_node *output = yb_node_get(answer, "output");
    int ok = r->infcode && strcmp(r->infcode, "0") == 0;

    if (!expect) {
        snprintf(err, errlen, "\"expect\" must be \"ok\" or an error substring");
        return YB_EINVAL;
    }
    if (strcmp(expect, "ok") == 0) {
        if (!ok) {
            snprintf(r->why, sizeof(r->why), "expected ok, got infcode %s: %s",
                     r->infcode ? r->infcode : "(none)", r->err_msg ? r->err_msg : "");
            return 0;
        }
    } else {
        const char *wanted;
        size_t wanted_len;
        if (substitute(v, pool, expect, strlen(expect), &wanted, &wanted_len, err, errlen))
            return YB_EINVAL;
        if (ok) {
            snprintf(r->why, sizeof(r->why), "expected an error containing \"%s\", got ok", wanted);
            return 0;
        }
        if (!r->err_msg || !strstr(r->err_msg, wanted)) {
            snprintf(r->why, sizeof(r->why), "expected an error containing \"%s\", got: %s", wanted,
                     r->err_msg ? r->err_msg : "(no err_msg)");
            return 0;
        }
        r->met = 1; /* a failing step saves nothing and checks nothing */
        return 0;
    }

    const struct yb_node *checks = yb_node_get(step, "check");
    for (const struct yb_node *c = checks ? checks->child : NULL; c; c = c->next) {
        char *path = yb_pool_strndup(pool, c->key, c->key_len);
        const char *want_raw = ctl_text(c), *want, *got;
        size_t want_len;
        if (!path || !want_raw) {
            snprintf(err, errlen, "\"check\" values must be strings or numbers");
            return YB_EINVAL;
        }
        if (substitute(v, pool, want_raw, strlen(want_raw), &want, &want_len, err, errlen))
            return YB_EINVAL;
        got = ctl_text(path[0] == '@' ? ctl_path(answer, path + 1) : ctl_path(output, path));
        if (!got || !same_value(got, want)) {
            snprintf(r->why, sizeof(r->why), "check %s: got %s%s%s, expected \"%s\"", path,
                     got ? "\"" : "", got ? got : "nothing", got ? "\"" : "", want);
            return 0;
        }
    }

    const struct yb_node *save = yb_node_get(step, "save");
    for (const struct yb_node *c = save ? save->child : NULL; c; c = c->next) {
        char *name = yb_pool_strndup(pool, c->key, c->key_len);
        const char *path = ctl_text(c);
        if (!name || !path || c->type != YB_NODE_STRING) {
            snprintf(err, errlen, "\"save\" maps a variable name to a path string");
            return YB_EINVAL;
        }
        const char *value =
            ctl_text(path[0] == '@' ? ctl_path(answer, path + 1) : ctl_path(output, path));
        if (!value) {
            snprintf(r->why, sizeof(r->why), "save %s: the answer has no %s%s", name,
                     path[0] == '@' ? "" : "output.", path[0] == '@' ? path + 1 : path);
            return 0;
        }
        if (var_set(v, name, value)) {
            snprintf(err, errlen, "too many variables");
            return YB_ELIMIT;
        }
        json_object_set_new(r->saved, name, json_string(value));
        yb_buf_printf(&r->notes, "%s%s=%s", r->notes.len ? "  " : "", name, value);
    }

    const struct yb_node *setlinfo = output ? ctl_path(output, "setlinfo") : NULL;
    if (setlinfo && setlinfo->type == YB_NODE_OBJECT) {
        yb_buf_reset(&r->notes);
        for (size_t i = 0; i < sizeof(settlement_amounts) / sizeof(settlement_amounts[0]); i++) {
            const char *amount = member_text(setlinfo, settlement_amounts[i]);
            if (!amount)
                continue;
            yb_buf_printf(&r->notes, "%s%s %s", r->notes.len ? "  " : "", settlement_amounts[i],
                          amount);
            json_object_set_new(r->amounts, settlement_amounts[i], json_string(amount));
        }
    }
    r->met = 1;
    return 0;
}

static void print_step(struct visit *v, int index, struct step_result *r)
{
    if (v->json) {
        json_t *o = json_object();
        json_object_set_new(o, "step", json_integer(index));
        json_object_set_new(o, "infno", json_string(r->infno));
        json_object_set_new(o, "title", json_string(r->label));
        json_object_set_new(o, "msgid", json_string(r->msgid ? r->msgid : ""));
        json_object_set_new(o, "route", json_string(r->ans.route));
        json_object_set_new(o, "hops", json_string(r->ans.hops));
        json_object_set_new(o, "ms", json_real(r->ans.total_ms));
        json_object_set_new(o, "http", json_integer(r->http));
        json_object_set_new(o, "infcode", json_string(r->infcode ? r->infcode : ""));
        json_object_set_new(o, "err_msg", json_string(r->err_msg ? r->err_msg : ""));
        json_object_set_new(o, "warn_msg", json_string(r->warn_msg ? r->warn_msg : ""));
        json_object_set_new(o, "met", json_boolean(r->met));
        json_object_set_new(o, "why", json_string(r->why));
        json_object_set_new(o, "saved", json_incref(r->saved));
        json_object_set_new(o, "amounts", json_incref(r->amounts));
        char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (line)
            printf("%s\n", line);
        free(line);
        json_decref(o);
        return;
    }
    if (v->quiet && r->met)
        return;
    const char *green = v->color ? "\033[32m" : "", *red = v->color ? "\033[31m" : "";
    const char *dim = v->color ? "\033[2m" : "", *reset = v->color ? "\033[0m" : "";
    char route[160];
    if (r->ans.route[0])
        snprintf(route, sizeof(route), "%s", r->ans.route);
    else if (r->ans.platform[0])
        snprintf(route, sizeof(route), "sim:%s", r->ans.platform);
    else
        snprintf(route, sizeof(route), "-");
    int pad = TITLE_COLUMNS - display_width(r->label);
    printf("%3d  %-5s %s%*s %-10s %6.0f ms  ", index, r->infno, r->label, pad > 0 ? pad : 0, "",
           route, r->ans.total_ms);
    if (!r->met)
        printf("%sFAILED%s %s\n", red, reset, r->why);
    else if (r->infcode && strcmp(r->infcode, "0") != 0)
        printf("%sok%s %s(failed as expected: %s)%s\n", green, reset, dim, r->err_msg, reset);
    else
        printf("%sok%s%s%s\n", green, reset, r->notes.len ? "  " : "",
               r->notes.data ? r->notes.data : "");
    if (r->met && r->warn_msg && *r->warn_msg)
        printf("%*s%swarn: %s%s\n", 5, "", dim, r->warn_msg, reset);
}

/* Run step index (1-based). Returns 0 when it ran (met or not), or a
 * negative YB_E* for a script error (printed). */
static int run_step(struct visit *v, int index, const struct yb_node *step)
{
    struct yb_pool *pool = yb_pool_create(0);
    struct step_result r;
    struct yb_buf wire;
    char err[512] = "", content_type[160];
    struct yb_node *msg = NULL, *answer = NULL;
    int rc = 0, is_xml = 0;

    memset(&r, 0, sizeof(r));
    yb_buf_init(&r.notes, 4096);
    yb_buf_init(&wire, CTL_MAX_FILE * 2);
    r.saved = json_object();
    r.amounts = json_object();
    if (!pool || !r.saved || !r.amounts) {
        snprintf(err, sizeof(err), "out of memory");
        rc = YB_ENOMEM;
        goto fail;
    }
    if (step->type != YB_NODE_OBJECT || !(r.infno = member_text(step, "infno")) || !*r.infno) {
        snprintf(err, sizeof(err), "each step needs an \"infno\" string");
        rc = YB_EINVAL;
        goto fail;
    }
    r.label = member_text(step, "name");
    if (!r.label || !*r.label)
        r.label = title_of(v, r.infno);

    update_clock(v);
    if ((rc = build_request(v, pool, step, r.infno, &msg, &r.msgid, err, sizeof(err))))
        goto fail;
    if ((rc = ctl_encode_request(msg, v->xml, v->encoding, &wire, content_type,
                                 sizeof(content_type), err, sizeof(err))))
        goto fail;

    if (ctl_http_post(&v->http, v->url, content_type, wire.data ? wire.data : "", wire.len,
                      &r.ans)) {
        r.transport = 1;
        snprintf(r.why, sizeof(r.why), "no answer from %s: %s", v->url, r.ans.error);
    } else if (!r.ans.body.len || ctl_decode(pool, r.ans.body.data, r.ans.body.len, &answer,
                                             &is_xml, NULL, err, sizeof(err))) {
        r.transport = 1;
        snprintf(r.why, sizeof(r.why), "HTTP %ld, the answer is not a message%s%s", r.ans.status,
                 r.ans.body.len ? ": " : " (empty body)", r.ans.body.len ? err : "");
        err[0] = '\0';
    }
    r.http = r.ans.status;
    v->total_ms += r.ans.total_ms;
    if (!r.transport) {
        r.infcode = member_text(answer, "infcode");
        r.err_msg = member_text(answer, "err_msg");
        r.warn_msg = member_text(answer, "warn_msg");
        if ((rc = judge(v, pool, step, answer, &r, err, sizeof(err))))
            goto fail;
        if (r.met) {
            var_set(v, "last_msgid", r.msgid);
            char name[VISIT_MAX_NAME];
            snprintf(name, sizeof(name), "msgid_%s", r.infno);
            var_set(v, name, r.msgid); /* ${msgid_2207} for a reversal's omsgid */
        }
    }
    if (r.met)
        v->met++;
    else
        v->unmet++;
    print_step(v, index, &r);
    goto out;
fail:
    fprintf(stderr, "ybgwctl visit: %s: step %d%s%s: %s\n", v->script_path, index,
            r.infno ? " " : "", r.infno ? r.infno : "", err);
out:
    json_decref(r.saved);
    json_decref(r.amounts);
    ctl_answer_free(&r.ans);
    yb_buf_free(&r.notes);
    yb_buf_free(&wire);
    yb_pool_destroy(pool);
    return rc ? rc : (r.met ? 0 : (r.transport ? 2 : 1));
}

static void visit_usage(FILE *f)
{
    fprintf(
        f, "usage: ybgwctl visit [--url URL] [--xml] [--encoding ENC] [--quiet] [--json]\n"
           "                     [--keep-going] [--schemas DIR] [--set NAME=VALUE]...\n"
           "                     [--timeout SECONDS] [--caller NAME --secret-file F]\n"
           "                     [--cert F --key F] [--cacert F] SCRIPT\n"
           "  Runs a visit script (tests/e2e/visits/README.md) one transaction at a time.\n"
           "  --xml            send every step as XML (root <request>), in --encoding\n"
           "  --quiet          print only steps that missed their expectation, and the summary\n"
           "  --json           print one JSON object per step\n"
           "  --keep-going     run the remaining steps after a step missed its expectation\n"
           "  --schemas DIR    take transaction names from this schema set (default conf/schemas)\n"
           "  --set NAME=VALUE set a variable before the first step\n" CTL_CREDENTIAL_USAGE
           "  exit: 0 every step met its expectation, 1 a step did not, 2 bad script or no "
           "answer\n");
}

static int load_script(struct visit *v, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    struct yb_node *root = NULL;
    int rc;
    char inner[400];

    if ((rc = ctl_read_file(path, &text, &len, err, errlen)))
        return rc;
    rc = yb_json_decode(v->pool, text, len, NULL, &root, inner, sizeof(inner));
    free(text);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, inner);
        return rc;
    }
    if (root->type != YB_NODE_OBJECT) {
        snprintf(err, errlen, "%s: a visit script is a JSON object", path);
        return YB_EINVAL;
    }
    v->envelope = yb_node_get(root, "envelope");
    v->steps = yb_node_get(root, "steps");
    if (v->envelope && v->envelope->type != YB_NODE_OBJECT) {
        snprintf(err, errlen, "%s: \"envelope\" must be an object", path);
        return YB_EINVAL;
    }
    if (!v->steps || v->steps->type != YB_NODE_ARRAY || v->steps->count == 0) {
        snprintf(err, errlen, "%s: \"steps\" must be a non-empty list", path);
        return YB_EINVAL;
    }
    const struct yb_node *vars = yb_node_get(root, "vars");
    for (const struct yb_node *c = vars ? vars->child : NULL; c; c = c->next) {
        const char *value = ctl_text(c), *expanded;
        char *name = yb_pool_strndup(v->pool, c->key, c->key_len);
        size_t expanded_len;
        if (!value || !name || c->key_len >= VISIT_MAX_NAME) {
            snprintf(err, errlen, "%s: \"vars\" maps names to strings or numbers", path);
            return YB_EINVAL;
        }
        /* "CB${timestamp}" is fixed once for the whole visit */
        if (substitute(v, v->pool, value, strlen(value), &expanded, &expanded_len, inner,
                       sizeof(inner))) {
            snprintf(err, errlen, "%s: vars.%s: %s", path, name, inner);
            return YB_EINVAL;
        }
        if (var_set(v, name, expanded)) {
            snprintf(err, errlen, "%s: too many variables", path);
            return YB_ELIMIT;
        }
    }
    return 0;
}

/* Transaction names from the schema set when one is at hand; a visit runs
 * just as well without (the built-in table covers the usual steps). */
static void load_titles(struct visit *v, const char *dir, int must)
{
    struct stat st;
    char err[512];
    if (!dir) {
        dir = "conf/schemas";
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return;
    }
    v->schemas = yb_schema_load(dir, err, sizeof(err));
    if (!v->schemas && must)
        fprintf(stderr, "ybgwctl visit: %s (using built-in transaction names)\n", err);
}

int ctl_visit_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"url", required_argument, NULL, 'u'},
        {"xml", no_argument, NULL, 'x'},
        {"encoding", required_argument, NULL, 'e'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {"keep-going", no_argument, NULL, 'k'},
        {"schemas", required_argument, NULL, 'S'},
        {"set", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        CTL_CREDENTIAL_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct visit v;
    struct ctl_credentials cred = {0};
    const char *schemas_dir = NULL;
    const char *sets[VISIT_MAX_VARS];
    int n_sets = 0, opt, rc = CTL_EXIT_TRANSPORT;
    long timeout_ms = 60000;
    char err[512];

    memset(&v, 0, sizeof(v));
    v.url = getenv("YBGW_URL");
    if (!v.url || !*v.url)
        v.url = CTL_DEFAULT_URL;
    while ((opt = getopt_long(argc, argv, "u:xe:qjkS:s:t:h", options, NULL)) != -1) {
        int taken = ctl_credentials_option(&cred, opt, optarg, "ybgwctl visit");
        if (taken < 0)
            goto out;
        if (taken)
            continue;
        switch (opt) {
        case 'u':
            v.url = optarg;
            break;
        case 'x':
            v.xml = 1;
            break;
        case 'e':
            v.encoding = optarg;
            break;
        case 'q':
            v.quiet = 1;
            break;
        case 'j':
            v.json = 1;
            break;
        case 'k':
            v.keep_going = 1;
            break;
        case 'S':
            schemas_dir = optarg;
            break;
        case 's':
            if (n_sets == VISIT_MAX_VARS || !strchr(optarg, '=')) {
                fprintf(stderr, "ybgwctl visit: --set takes NAME=VALUE\n");
                goto out;
            }
            sets[n_sets++] = optarg;
            break;
        case 't': {
            char *end;
            long s = strtol(optarg, &end, 10);
            if (*end || s <= 0 || s > 3600) {
                fprintf(stderr, "ybgwctl visit: --timeout takes 1 to 3600 seconds\n");
                goto out;
            }
            timeout_ms = s * 1000;
            break;
        }
        case 'h':
            visit_usage(stdout);
            rc = CTL_EXIT_OK;
            goto out;
        default:
            visit_usage(stderr);
            goto out;
        }
    }
    if (optind != argc - 1) {
        visit_usage(stderr);
        goto out;
    }
    if (ctl_credentials_check(&cred, "ybgwctl visit"))
        goto out;
    if (v.encoding && !v.xml) {
        fprintf(stderr, "ybgwctl visit: --encoding applies to --xml (JSON is always UTF-8)\n");
        goto out;
    }
    v.script_path = argv[optind];
    v.color = !v.json && ctl_use_color(stdout);
    if (!(v.pool = yb_pool_create(0))) {
        fprintf(stderr, "ybgwctl visit: out of memory\n");
        goto out;
    }
    update_clock(&v);
    if (load_script(&v, v.script_path, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl visit: %s\n", err);
        goto out;
    }
    for (int i = 0; i < n_sets; i++) {
        const char *eq = strchr(sets[i], '=');
        char *name = yb_pool_strndup(v.pool, sets[i], (size_t)(eq - sets[i]));
        if (!name || !*name || var_set(&v, name, eq + 1)) {
            fprintf(stderr, "ybgwctl visit: cannot set %s\n", sets[i]);
            goto out;
        }
    }
    load_titles(&v, schemas_dir, schemas_dir != NULL);

    if (ctl_http_open(&v.http, 3000, timeout_ms)) {
        fprintf(stderr, "ybgwctl visit: cannot start libcurl\n");
        goto out;
    }
    v.http.cred = &cred;
    if (!v.json && !v.quiet) {
        char mode[80] = "";
        if (v.xml)
            snprintf(mode, sizeof(mode), " (XML, %s)", v.encoding ? v.encoding : "UTF-8");
        printf("visit %s -> %s%s\n", v.script_path, v.url, mode);
    }

    int index = 0, stopped = 0, transport = 0;
    for (const struct yb_node *step = v.steps->child; step; step = step->next) {
        int src = run_step(&v, ++index, step);
        if (src < 0) {
            rc = CTL_EXIT_TRANSPORT;
            goto out;
        }
        if (src == 2)
            transport = 1;
        if (src && (!v.keep_going || src == 2)) {
            stopped = step->next != NULL;
            break;
        }
    }
    int total = (int)v.steps->count;
    if (v.json) {
        printf("{\"summary\":true,\"steps\":%d,\"met\":%d,\"unmet\":%d,\"not_run\":%d}\n", total,
               v.met, v.unmet, total - v.met - v.unmet);
    } else {
        const char *red = v.color ? "\033[31m" : "", *green = v.color ? "\033[32m" : "";
        const char *reset = v.color ? "\033[0m" : "";
        char missed[40] = "";
        if (v.unmet)
            snprintf(missed, sizeof(missed), ", %d did not", v.unmet);
        printf("%s%s: %d of %d steps met their expectation%s%s (%.0f ms)%s\n",
               v.unmet ? red : green, v.script_path, v.met, total, missed,
               stopped ? ", the rest were not run" : "", v.total_ms, reset);
    }
    rc = v.unmet ? (transport ? CTL_EXIT_TRANSPORT : CTL_EXIT_REJECTED) : CTL_EXIT_OK;
out:
    ctl_http_close(&v.http);
    ctl_credentials_free(&cred);
    if (v.schemas)
        yb_schema_free(v.schemas);
    yb_pool_destroy(v.pool);
    return rc;
}
