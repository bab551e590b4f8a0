/*
 * setl_list.c - the settlement list (医疗保障基金结算清单, transactions
 * 4101/4101A), a form rather than a code.
 *
 * The settlement list is the form behind DRG/DIP payment: settlement data
 * (setlinfo), fund payments (payinfo), diagnoses (diseinfo, opspdiseinfo),
 * charges by category (iteminfo), procedures and intensive care. The schema
 * (conf/schemas/4101.schema) checks each field on its own; this plugin is a
 * request hook for what one field cannot say: exactly one principal
 * diagnosis, a diagnosis code whose kind depends on its diag_type, amounts
 * that are not negative and add up, and dates in order.
 *
 * The rules are data, codesets/setl_list/checks.conf (format at its top):
 * which transactions, which fields are amounts, which sums must hold and how
 * strictly, which codes to ask another plugin about. checks.c reads that
 * file; this file only knows how to run a rule of each type. Amounts are
 * parsed from their decimal text into integer fen (cents) and compared
 * exactly; no binary float is used.
 *
 * Verified (codesets.md, "Settlement list"): the nodes and field names, and
 * that the list needs exactly one principal diagnosis, valid 医保版 codes,
 * and amounts that are non-negative and consistent. The exact sums are not
 * published; checks.conf and README.md say which ones are enforced, which
 * only warn, and why.
 *
 * The same file also gives the diseinfo lists of 2203, 2401, 2402 and 2403
 * their diag_type-dependent ICD-10 check, which their schemas cannot say.
 *
 * The rules file of the standard (rules.conf) declares no kind: no verified
 * structure of the list's own identifiers is known.
 *
 * Configuration:
 *   plugin setl_list {
 *       checks setl_list/checks.conf;  # default; relative to data_dir
 *   }
 * Code checks ask other plugins' kinds (icd10yb from the diag plugin); a
 * kind that no loaded plugin owns is not checked, as with the gateway's
 * default `unknown_kind off`.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "codeset.h"

#define CHECKS_DEFAULT "setl_list/checks.conf"
#define MAX_SHOWN 4 /* flagged items named in a principal message */
/* Items of one list the rules look at. The host reaches the i-th item in i
 * steps, so a rule costs the square of a list's length; a real settlement
 * list has a few dozen items (iteminfo has one per charge category). */
#define MAX_ITEMS 1000
#define MAX_OVERSIZED 8
#define SOURCE "codeset.setl_list"

/* ---- dates and amounts ------------------------------------------------------ */

/* fen -> "-12.30" */
static const char *format_amount(int64_t fen, char *buf, size_t cap)
{
    uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(buf, cap, "%s%llu.%02llu", fen < 0 ? "-" : "", (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
    return buf;
}

static int digits(const char *s, size_t n, int *out)
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

/* "yyyy-MM-dd" or "yyyy-MM-dd HH:mm:ss" -> yyyymmdd and HHmmss (-1: no
 * time). Returns -1 for anything else: the schema owns the format. */
static int parse_when(const char *s, size_t len, long *date, long *time)
{
    int y, mo, d, h, mi, se;
    if ((len != 10 && len != 19) || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) ||
        digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    *date = (long)y * 10000 + mo * 100 + d;
    *time = -1;
    if (len == 19) {
        if (s[10] != ' ' || s[13] != ':' || s[16] != ':' || digits(s + 11, 2, &h) ||
            digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
            return -1;
        *time = (long)h * 10000 + mi * 100 + se;
    }
    return 0;
}

/* ---- running the rules ------------------------------------------------------------ */

struct run {
    const struct yb_host *h;
    struct yb_txn *txn;
    const struct setl_checks *c;
    const struct yb_node *input;
    int errors;                           /* findings of severity error added by this plugin */
    const char *oversized[MAX_OVERSIZED]; /* lists already reported as too long */
    size_t n_oversized;
};

static void finding(struct run *x, int severity, const char *path, const char *rule,
                    const char *value, const char *source, const char *fmt, ...) YB_PRINTF(7, 8);
static void finding(struct run *x, int severity, const char *path, const char *rule,
                    const char *value, const char *source, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->h->diag(x->txn, severity, path, rule, value, source, "%s", msg);
    if (severity == YB_DIAG_ERROR)
        x->errors++;
}

static const char *label_of(const struct setl_checks *c, const struct setl_ref *ref)
{
    for (size_t i = 0; i < c->n_labels; i++)
        if (setl_same_ref(&c->labels[i].ref, ref))
            return c->labels[i].text;
    return ref->field;
}

/* The node NAME of the input and how many items it has: a list's items, or
 * 1 for an object (its own single item). NULL when absent, empty or neither,
 * and for a list longer than MAX_ITEMS, which is refused once. */
static const struct yb_node *node_of(struct run *x, const char *name, size_t *count, int *is_list)
{
    const struct yb_node *n = x->h->node_get(x->input, name);
    int type = x->h->node_type(n);
    *is_list = type == YB_NODE_ARRAY;
    *count = type == YB_NODE_ARRAY ? x->h->node_count(n) : type == YB_NODE_OBJECT ? 1 : 0;
    if (*count <= MAX_ITEMS)
        return *count ? n : NULL;
    for (size_t i = 0; i < x->n_oversized; i++)
        if (strcmp(x->oversized[i], name) == 0)
            return NULL;
    if (x->n_oversized < MAX_OVERSIZED)
        x->oversized[x->n_oversized++] = name;
    char value[24];
    snprintf(value, sizeof(value), "%zu", *count);
    finding(x, YB_DIAG_ERROR, name, "items", value, SOURCE,
            "items are too many to check: a list has at most %d (one per diagnosis, payment "
            "or charge category); send the list in its summary form",
            MAX_ITEMS);
    return NULL;
}

static const struct yb_node *item_of(const struct run *x, const struct yb_node *node, int is_list,
                                     size_t i)
{
    return is_list ? x->h->node_at(node, i) : node;
}

/* The text of FIELD in ITEM, or NULL when absent, null or "". */
static const char *text_of(const struct run *x, const struct yb_node *item, const char *field,
                           size_t *len)
{
    if (x->h->node_type(item) != YB_NODE_OBJECT)
        return NULL;
    size_t l = 0;
    const char *t = x->h->node_text(x->h->node_get(item, field), &l);
    if (!t || l == 0)
        return NULL;
    if (len)
        *len = l;
    return t;
}

static void item_path(char *buf, size_t cap, const char *node, int is_list, size_t i,
                      const char *field)
{
    if (is_list)
        snprintf(buf, cap, "%s[%zu]%s%s", node, i, field ? "." : "", field ? field : "");
    else
        snprintf(buf, cap, "%s%s%s", node, field ? "." : "", field ? field : "");
}

/* Is VALUE (len bytes) one of the comma-separated LIST? */
static int in_list(const char *list, const char *value, size_t len)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, value, len) == 0)
            return 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int field_is(const struct run *x, const struct yb_node *item, const char *field,
                    const char *values)
{
    size_t len;
    const char *t = text_of(x, item, field, &len);
    return t && in_list(values, t, len);
}

static void run_amount(struct run *x, const struct setl_rule *r)
{
    const struct setl_ref *f = &r->terms[0];
    size_t count;
    int is_list;
    const struct yb_node *node = node_of(x, f->node, &count, &is_list);
    for (size_t i = 0; node && i < count; i++) {
        size_t len;
        const char *t = text_of(x, item_of(x, node, is_list, i), f->field, &len);
        if (!t)
            continue;
        char path[160];
        item_path(path, sizeof(path), f->node, is_list, i, f->field);
        const char *label = label_of(x->c, f);
        int64_t fen;
        switch (setl_amount_parse(t, len, &fen)) {
        case SETL_AMOUNT_OK:
            if (fen < 0)
                finding(x, YB_DIAG_ERROR, path, "negative", t, SOURCE,
                        "%s must not be negative: a settlement list reports what was charged "
                        "and paid (a refund is a revocation of the settlement, not a negative "
                        "amount)",
                        label);
            break;
        case SETL_AMOUNT_SYNTAX:
            finding(x, YB_DIAG_ERROR, path, "decimal", t, SOURCE,
                    "%s must be an amount such as 12.50", label);
            break;
        case SETL_AMOUNT_SCALE_EXCEEDED:
            finding(x, YB_DIAG_ERROR, path, "decimal", t, SOURCE,
                    "%s must have at most %d places after the point (fen)", label,
                    SETL_AMOUNT_SCALE);
            break;
        default:
            finding(x, YB_DIAG_ERROR, path, "decimal", t, SOURCE,
                    "%s has more than %d digits before the point", label, SETL_AMOUNT_MAX_DIGITS);
            break;
        }
    }
}

static void run_order(struct run *x, const struct setl_rule *r)
{
    const struct setl_ref *a = &r->terms[0], *b = &r->terms[1];
    size_t count;
    int is_list;
    const struct yb_node *node = node_of(x, a->node, &count, &is_list);
    for (size_t i = 0; node && i < count; i++) {
        const struct yb_node *item = item_of(x, node, is_list, i);
        size_t la, lb;
        const char *ta = text_of(x, item, a->field, &la), *tb = text_of(x, item, b->field, &lb);
        long da, ta_time, db, tb_time;
        if (!ta || !tb || parse_when(ta, la, &da, &ta_time) || parse_when(tb, lb, &db, &tb_time))
            continue; /* missing or malformed: the schema's business */
        int after = da > db || (da == db && ta_time >= 0 && tb_time >= 0 && ta_time > tb_time);
        if (!after)
            continue;
        char path[160];
        item_path(path, sizeof(path), a->node, is_list, i, a->field);
        finding(x, YB_DIAG_ERROR, path, "order", ta, SOURCE,
                "%s is after %s %s: %s must be on or before %s; correct one of the two",
                label_of(x->c, a), label_of(x->c, b), tb, label_of(x->c, a), label_of(x->c, b));
    }
}

static void run_principal(struct run *x, const struct setl_rule *r)
{
    const char *list = r->terms[0].node;
    size_t count;
    int is_list;
    const struct yb_node *node = node_of(x, list, &count, &is_list);
    if (!node)
        return; /* no diagnoses sent (an outpatient list): nothing to count */
    size_t group = 0, flagged = 0, shown_idx[MAX_SHOWN];
    for (size_t i = 0; i < count; i++) {
        const struct yb_node *item = item_of(x, node, is_list, i);
        if (r->cond_field && !field_is(x, item, r->cond_field, r->cond_values))
            continue;
        group++;
        if (field_is(x, item, r->flag, r->flag_value)) {
            if (flagged < MAX_SHOWN)
                shown_idx[flagged] = i;
            flagged++;
        }
    }
    if (flagged == 1)
        return;
    char value[24], among[96] = "";
    snprintf(value, sizeof(value), "%zu", flagged);
    if (r->cond_field)
        snprintf(among, sizeof(among), " with %s %s", r->cond_field, r->cond_values);
    if (group == 0) {
        finding(x, YB_DIAG_ERROR, list, r->name, value, SOURCE,
                "items%s, so there is no %s: a settlement list needs exactly one item%s "
                "marked %s %s",
                among, r->text, among, r->flag, r->flag_value);
    } else if (flagged == 0) {
        finding(x, YB_DIAG_ERROR, list, r->name, value, SOURCE,
                "items%s are marked as the %s: set %s %s on exactly one of them", among, r->text,
                r->flag, r->flag_value);
    } else {
        char where[160] = "";
        size_t used = 0;
        for (size_t k = 0; k < flagged && k < MAX_SHOWN && used < sizeof(where); k++) {
            int w = snprintf(where + used, sizeof(where) - used, "%s%s[%zu]", k ? ", " : "", list,
                             is_list ? shown_idx[k] : 0);
            used += w > 0 ? (size_t)w : 0;
        }
        finding(x, YB_DIAG_ERROR, list, r->name, value, SOURCE,
                "items%s are marked as the %s (%s%s) but exactly one may be: keep %s %s on the "
                "%s and set %s 0 on the others",
                among, r->text, where, flagged > MAX_SHOWN ? ", ..." : "", r->flag, r->flag_value,
                r->text, r->flag);
    }
}

static void run_code(struct run *x, const struct setl_rule *r)
{
    const struct setl_ref *f = &r->terms[0];
    size_t count;
    int is_list;
    const struct yb_node *node = node_of(x, f->node, &count, &is_list);
    if (!node)
        return;
    const struct yb_code_kind *kind = x->h->find_kind(x->h, r->kind);
    if (!kind)
        return; /* no loaded plugin owns the kind: unchecked, like unknown_kind off */
    /* the codes { } policy of the kind applies here as on a schema field */
    int policy = x->h->kind_policy(x->txn, r->kind);
    if (policy == YB_POLICY_OFF)
        return;
    char source[80];
    snprintf(source, sizeof(source), "codeset.%s", r->kind);
    for (size_t i = 0; i < count; i++) {
        const struct yb_node *item = item_of(x, node, is_list, i);
        if (r->cond_field && !field_is(x, item, r->cond_field, r->cond_values))
            continue;
        size_t len;
        const char *code = text_of(x, item, f->field, &len);
        if (!code)
            continue;
        char path[160];
        item_path(path, sizeof(path), f->node, is_list, i, f->field);
        struct yb_code_verdict v;
        memset(&v, 0, sizeof(v));
        if (kind->validate(kind->state, code, len, &v) < 0) {
            finding(x, YB_DIAG_ERROR, path, "kind", code, source,
                    "the %s check failed inside the gateway", r->kind);
            continue;
        }
        if (v.status == YB_CODE_VALID)
            continue;
        int severity =
            v.status == YB_CODE_WARN || policy == YB_POLICY_WARN ? YB_DIAG_WARN : r->severity;
        finding(x, severity, path, v.segment[0] ? v.segment : "kind", code, source, "%s",
                v.reason[0] ? v.reason : "is not valid");
    }
}

/* The value of term T: the field in ITEM (each), or over the message (sum:
 * a list's total). Returns 0, or -1 when an amount is missing or invalid
 * (the amount rule reports the invalid ones) or the total overflows. */
static int term_value(struct run *x, const struct setl_ref *t, const struct yb_node *item,
                      int64_t *out)
{
    if (item) {
        size_t len;
        const char *s = text_of(x, item, t->field, &len);
        return s && setl_amount_parse(s, len, out) == SETL_AMOUNT_OK ? 0 : -1;
    }
    size_t count;
    int is_list;
    const struct yb_node *node = node_of(x, t->node, &count, &is_list);
    if (!node)
        return -1;
    int64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t v;
        if (term_value(x, t, item_of(x, node, is_list, i), &v) ||
            __builtin_add_overflow(total, v, &total))
            return -1;
    }
    *out = total;
    return 0;
}

/* "金额 100.00" or, for a list's total, "基金支付金额 (all payinfo) 500.00" */
static int describe_term(const struct run *x, const struct setl_ref *t, int total_of_list,
                         int64_t v, char *buf, size_t cap)
{
    char amount[32];
    return snprintf(buf, cap, "%s%s%s%s %s", label_of(x->c, t), total_of_list ? " (all " : "",
                    total_of_list ? t->node : "", total_of_list ? ")" : "",
                    format_amount(v, amount, sizeof(amount)));
}

static void check_sum(struct run *x, const struct setl_rule *r, const struct yb_node *item,
                      const char *path)
{
    int64_t side[2] = {0, 0}, v[SETL_MAX_TERMS];
    for (size_t i = 0; i < r->n_terms; i++) {
        if (term_value(x, &r->terms[i], item, &v[i]) ||
            __builtin_add_overflow(side[i >= r->n_left], v[i], &side[i >= r->n_left]))
            return; /* not judged: an amount was not sent, or is reported as invalid */
    }
    int64_t diff;
    if (__builtin_sub_overflow(side[0], side[1], &diff))
        return;
    if (diff <= x->c->tolerance && -diff <= x->c->tolerance)
        return;

    char text[2][320], amount[32], off[32], value[32];
    for (int s = 0; s < 2; s++) {
        size_t from = s ? r->n_left : 0, to = s ? r->n_terms : r->n_left, used = 0;
        text[s][0] = '\0';
        for (size_t i = from; i < to && used < sizeof(text[s]); i++) {
            char term[120];
            int total_of_list =
                !item &&
                x->h->node_type(x->h->node_get(x->input, r->terms[i].node)) == YB_NODE_ARRAY;
            describe_term(x, &r->terms[i], total_of_list, v[i], term, sizeof(term));
            int w = snprintf(text[s] + used, sizeof(text[s]) - used, "%s%s", i > from ? " + " : "",
                             term);
            used += w > 0 ? (size_t)w : 0;
        }
        if (to - from > 1 && used < sizeof(text[s]))
            snprintf(text[s] + used, sizeof(text[s]) - used, " = %s",
                     format_amount(side[s], amount, sizeof(amount)));
    }
    finding(x, r->severity, path, r->name, format_amount(side[0], value, sizeof(value)), SOURCE,
            "%s does not match %s (off by %s)%s%s", text[0], text[1],
            format_amount(diff < 0 ? -diff : diff, off, sizeof(off)), r->text ? ": " : "",
            r->text ? r->text : "");
}

static void run_each(struct run *x, const struct setl_rule *r)
{
    const char *list = r->terms[0].node;
    size_t count;
    int is_list;
    const struct yb_node *node = node_of(x, list, &count, &is_list);
    for (size_t i = 0; node && i < count; i++) {
        char path[160];
        item_path(path, sizeof(path), list, is_list, i, r->n_left == 1 ? r->terms[0].field : NULL);
        check_sum(x, r, item_of(x, node, is_list, i), path);
    }
}

static void run_sum(struct run *x, const struct setl_rule *r)
{
    /* the path names what the left side is: a field, or a list's total */
    const struct setl_ref *first = &r->terms[0];
    char path[160];
    int list = x->h->node_type(x->h->node_get(x->input, first->node)) == YB_NODE_ARRAY;
    if (r->n_left == 1 && !list)
        snprintf(path, sizeof(path), "%s.%s", first->node, first->field);
    else
        snprintf(path, sizeof(path), "%s", first->node);
    check_sum(x, r, NULL, path);
}

static int applies(const struct setl_rule_set *set, const char *infno)
{
    for (size_t i = 0; i < set->n_infnos; i++)
        if (strcmp(set->infnos[i], infno) == 0)
            return 1;
    return 0;
}

static int setl_list_request(struct yb_cs_plugin *p, struct yb_txn *txn)
{
    const struct setl_checks *c = yb_cs_plugin_user(p);
    const struct yb_host *h = yb_cs_plugin_host(p);
    const char *infno = h->txn_infno(txn);
    struct run x = {.h = h, .txn = txn, .c = c};
    if (!c || !infno)
        return YB_PASS;
    x.input = h->node_get(h->txn_request(txn), "input");
    if (h->node_type(x.input) != YB_NODE_OBJECT)
        return YB_PASS;
    for (size_t s = 0; s < c->n_sets; s++) {
        if (!applies(&c->sets[s], infno))
            continue;
        for (size_t i = 0; i < c->sets[s].n_rules; i++) {
            const struct setl_rule *r = &c->sets[s].rules[i];
            switch (r->type) {
            case SETL_RULE_AMOUNT:
                run_amount(&x, r);
                break;
            case SETL_RULE_ORDER:
                run_order(&x, r);
                break;
            case SETL_RULE_PRINCIPAL:
                run_principal(&x, r);
                break;
            case SETL_RULE_CODE:
                run_code(&x, r);
                break;
            case SETL_RULE_EACH:
                run_each(&x, r);
                break;
            case SETL_RULE_SUM:
                run_sum(&x, r);
                break;
            }
        }
    }
    return x.errors ? YB_REJECT : YB_PASS;
}

/* ---- plugin glue ---------------------------------------------------------------- */

static int setl_list_setup(struct yb_cs_plugin *p, const struct yb_conf *conf)
{
    const struct yb_host *h = yb_cs_plugin_host(p);
    char path[4096];
    int rc = h->conf_get(conf, "checks") ? h->conf_path(conf, "checks", path, sizeof(path))
                                         : yb_cs_plugin_path(p, CHECKS_DEFAULT, path, sizeof(path));
    if (rc) {
        h->log(h, YB_LOG_ERROR, "the checks path is too long");
        return rc;
    }
    struct setl_checks *c;
    if ((rc = setl_checks_load(h, path, &c)))
        return rc;
    size_t rules = 0;
    for (size_t i = 0; i < c->n_sets; i++)
        rules += c->sets[i].n_rules;
    h->log(h, YB_LOG_INFO, "%s: %zu rules for %zu transaction groups", path, rules, c->n_sets);
    yb_cs_plugin_set_user(p, c);
    return 0;
}

static void setl_list_teardown(struct yb_cs_plugin *p)
{
    setl_checks_free(yb_cs_plugin_user(p));
    yb_cs_plugin_set_user(p, NULL);
}

static const struct yb_cs_desc setl_list_desc = {
    .standard = "setl_list",
    .checks = NULL,
    .setup = setl_list_setup,
    .teardown = setl_list_teardown,
    .on_request = setl_list_request,
};

YB_CS_PLUGIN(setl_list, setl_list_desc, "1.0.0")
