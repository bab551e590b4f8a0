/*
 * checks.c - reading codesets/setl_list/checks.conf into the rules that
 * setl_list.c runs (checks.h). The file is read whole; tokens are cut in
 * place, so every string of the rules points into that one buffer. A
 * mistake stops the plugin's init with "file:line: reason" in the log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "codeset.h"

#define CHECKS_MAX_BYTES (1 << 20)
#define MAX_TOKENS 48

/* ---- amounts ---- */

int setl_amount_parse(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int negative = 0;
    if (i < len && s[i] == '-') {
        negative = 1;
        i++;
    }
    size_t start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start)
        return SETL_AMOUNT_SYNTAX;
    size_t first = start;
    while (first + 1 < i && s[first] == '0')
        first++;
    if (i - first > SETL_AMOUNT_MAX_DIGITS)
        return SETL_AMOUNT_TOO_LARGE;
    int64_t value = 0;
    for (size_t k = first; k < i; k++)
        value = value * 10 + (s[k] - '0');
    int places = 0, scale_exceeded = 0;
    if (i < len && s[i] == '.') {
        size_t frac = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (places < SETL_AMOUNT_SCALE) {
                value = value * 10 + (s[i] - '0');
                places++;
            } else if (s[i] != '0') {
                scale_exceeded = 1;
            }
            i++;
        }
        if (i == frac)
            return SETL_AMOUNT_SYNTAX;
    }
    if (i != len)
        return SETL_AMOUNT_SYNTAX;
    if (scale_exceeded)
        return SETL_AMOUNT_SCALE_EXCEEDED;
    for (; places < SETL_AMOUNT_SCALE; places++)
        value *= 10;
    *out = negative ? -value : value;
    return SETL_AMOUNT_OK;
}

/* ---- the file ---- */

struct loader {
    const struct yb_host *host;
    const char *path;
    int line;
    struct setl_checks *checks;
};

static int load_error(struct loader *ld, const char *fmt, ...) YB_PRINTF(2, 3);
static int load_error(struct loader *ld, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ld->host->log(ld->host, YB_LOG_ERROR, "%s:%d: %s", ld->path, ld->line, msg);
    return YB_EINVAL;
}

static int is_name(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* "node.field" -> ref (in place). */
static int parse_ref(struct loader *ld, char *tok, struct setl_ref *out)
{
    char *dot = strchr(tok, '.');
    if (!dot || !is_name(tok, (size_t)(dot - tok)) || !is_name(dot + 1, strlen(dot + 1)))
        return load_error(ld, "\"%s\" is not NODE.FIELD (lower-case names, one dot)", tok);
    *dot = '\0';
    out->node = tok;
    out->field = dot + 1;
    return 0;
}

/* "name=value" -> the two halves (in place). */
static int parse_pair(struct loader *ld, char *tok, const char **name, const char **value)
{
    char *eq = strchr(tok, '=');
    if (!eq || !is_name(tok, (size_t)(eq - tok)) || !eq[1])
        return load_error(ld, "\"%s\" is not FIELD=VALUE", tok);
    *eq = '\0';
    *name = tok;
    *value = eq + 1;
    return 0;
}

static int parse_severity(struct loader *ld, const char *tok, int *out)
{
    if (strcmp(tok, "reject") == 0)
        *out = YB_DIAG_ERROR;
    else if (strcmp(tok, "warn") == 0)
        *out = YB_DIAG_WARN;
    else
        return load_error(ld, "severity must be reject or warn, got \"%s\"", tok);
    return 0;
}

/* Is REF declared an amount in SET (before this line)? */
static int is_amount(const struct setl_rule_set *set, const struct setl_ref *ref)
{
    for (size_t i = 0; i < set->n_rules; i++)
        if (set->rules[i].type == SETL_RULE_AMOUNT && setl_same_ref(&set->rules[i].terms[0], ref))
            return 1;
    return 0;
}

/* TERM (+|=) TERM ... [ADVICE]: exactly one "=". */
static int parse_sum_terms(struct loader *ld, const struct setl_rule_set *set, char **tok, int n,
                           struct setl_rule *r)
{
    int i = 0, equals = 0;
    while (i < n) {
        if (r->n_terms == SETL_MAX_TERMS)
            return load_error(ld, "a sum has at most %d terms", SETL_MAX_TERMS);
        int rc = parse_ref(ld, tok[i], &r->terms[r->n_terms]);
        if (rc)
            return rc;
        if (!is_amount(set, &r->terms[r->n_terms]))
            return load_error(ld, "%s.%s is not declared with `amount` above",
                              r->terms[r->n_terms].node, r->terms[r->n_terms].field);
        r->n_terms++;
        i++;
        if (i == n)
            break;
        if (strcmp(tok[i], "=") == 0) {
            if (equals++)
                return load_error(ld, "a sum has one \"=\"");
            r->n_left = r->n_terms;
        } else if (strcmp(tok[i], "+") != 0) {
            if (i != n - 1)
                return load_error(ld, "expected + or = after a term, got \"%s\"", tok[i]);
            r->text = tok[i]; /* the advice */
            break;
        }
        i++;
        if (i == n)
            return load_error(ld, "a sum cannot end with an operator");
    }
    if (!equals)
        return load_error(ld, "a sum needs LEFT = RIGHT");
    return 0;
}

static struct setl_rule *new_rule(struct loader *ld, struct setl_rule_set *set, int type,
                                  const char *name)
{
    if (set->n_rules == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct setl_rule *r = realloc(set->rules, cap * sizeof(*r));
        if (!r)
            return NULL;
        set->rules = r;
        set->cap = cap;
    }
    struct setl_rule *r = &set->rules[set->n_rules++];
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->name = name;
    r->severity = YB_DIAG_ERROR;
    return r;
}

static int directive(struct loader *ld, char **tok, int n)
{
    struct setl_checks *c = ld->checks;
    const char *d = tok[0];
    int rc;

    if (strcmp(d, "transactions") == 0) {
        if (n < 2 || n - 1 > SETL_MAX_INFNOS)
            return load_error(ld, "transactions takes 1 to %d infnos", SETL_MAX_INFNOS);
        struct setl_rule_set *sets = realloc(c->sets, (c->n_sets + 1) * sizeof(*sets));
        if (!sets)
            return YB_ENOMEM;
        c->sets = sets;
        struct setl_rule_set *set = &c->sets[c->n_sets++];
        memset(set, 0, sizeof(*set));
        for (int i = 1; i < n; i++)
            set->infnos[set->n_infnos++] = tok[i];
        return 0;
    }
    if (strcmp(d, "tolerance") == 0) {
        if (n != 2 || setl_amount_parse(tok[1], strlen(tok[1]), &c->tolerance) || c->tolerance < 0)
            return load_error(ld, "tolerance takes one amount such as 0.00");
        return 0;
    }
    if (strcmp(d, "label") == 0) {
        if (n != 3)
            return load_error(ld, "label takes NODE.FIELD TEXT");
        struct setl_label *labels = realloc(c->labels, (c->n_labels + 1) * sizeof(*labels));
        if (!labels)
            return YB_ENOMEM;
        c->labels = labels;
        struct setl_label *l = &c->labels[c->n_labels];
        if ((rc = parse_ref(ld, tok[1], &l->ref)))
            return rc;
        l->text = tok[2];
        c->n_labels++;
        return 0;
    }

    if (c->n_sets == 0)
        return load_error(ld, "%s before any transactions line", d);
    struct setl_rule_set *set = &c->sets[c->n_sets - 1];
    struct setl_rule *r;

    if (strcmp(d, "amount") == 0) {
        if (n != 2)
            return load_error(ld, "amount takes NODE.FIELD");
        if (!(r = new_rule(ld, set, SETL_RULE_AMOUNT, "amount")))
            return YB_ENOMEM;
        r->n_terms = 1;
        return parse_ref(ld, tok[1], &r->terms[0]);
    }
    if (strcmp(d, "order") == 0) {
        if (n != 3)
            return load_error(ld, "order takes NODE.EARLIER NODE.LATER");
        if (!(r = new_rule(ld, set, SETL_RULE_ORDER, "order")))
            return YB_ENOMEM;
        r->n_terms = 2;
        if ((rc = parse_ref(ld, tok[1], &r->terms[0])) ||
            (rc = parse_ref(ld, tok[2], &r->terms[1])))
            return rc;
        if (strcmp(r->terms[0].node, r->terms[1].node) != 0)
            return load_error(ld, "order compares two fields of the same node");
        return 0;
    }
    if (strcmp(d, "principal") == 0) {
        /* principal LIST FLAG=VALUE [among FIELD=VALUE] TEXT */
        if ((n != 4 && n != 6) || (n == 6 && strcmp(tok[3], "among") != 0))
            return load_error(ld, "principal takes LIST FLAG=VALUE [among FIELD=VALUE] TEXT");
        if (!is_name(tok[1], strlen(tok[1])))
            return load_error(ld, "\"%s\" is not a list name", tok[1]);
        if (!(r = new_rule(ld, set, SETL_RULE_PRINCIPAL, "principal")))
            return YB_ENOMEM;
        r->terms[0].node = tok[1];
        r->n_terms = 1;
        if ((rc = parse_pair(ld, tok[2], &r->flag, &r->flag_value)))
            return rc;
        if (n == 6 && (rc = parse_pair(ld, tok[4], &r->cond_field, &r->cond_values)))
            return rc;
        r->text = tok[n - 1];
        return 0;
    }
    if (strcmp(d, "code") == 0) {
        /* code LIST.FIELD KIND [when FIELD=V1,V2] [warn] */
        int warn = n > 3 && strcmp(tok[n - 1], "warn") == 0;
        int rest = n - warn;
        if ((rest != 3 && rest != 5) || (rest == 5 && strcmp(tok[3], "when") != 0))
            return load_error(ld, "code takes NODE.FIELD KIND [when FIELD=V1,V2] [warn]");
        if (!(r = new_rule(ld, set, SETL_RULE_CODE, "code")))
            return YB_ENOMEM;
        r->n_terms = 1;
        if ((rc = parse_ref(ld, tok[1], &r->terms[0])))
            return rc;
        if (!is_name(tok[2], strlen(tok[2])))
            return load_error(ld, "\"%s\" is not a kind name", tok[2]);
        r->kind = tok[2];
        if (rest == 5 && (rc = parse_pair(ld, tok[4], &r->cond_field, &r->cond_values)))
            return rc;
        r->severity = warn ? YB_DIAG_WARN : YB_DIAG_ERROR;
        return 0;
    }
    if (strcmp(d, "each") == 0 || strcmp(d, "sum") == 0) {
        int each = d[0] == 'e';
        if (n < 6)
            return load_error(ld, "%s takes NAME reject|warn TERM = TERM ...", d);
        if (!is_name(tok[1], strlen(tok[1])))
            return load_error(ld, "\"%s\" is not a rule name", tok[1]);
        if (!(r = new_rule(ld, set, each ? SETL_RULE_EACH : SETL_RULE_SUM, tok[1])))
            return YB_ENOMEM;
        if ((rc = parse_severity(ld, tok[2], &r->severity)) ||
            (rc = parse_sum_terms(ld, set, tok + 3, n - 3, r)))
            return rc;
        if (each)
            for (size_t i = 1; i < r->n_terms; i++)
                if (strcmp(r->terms[i].node, r->terms[0].node) != 0)
                    return load_error(ld, "each adds up fields of one list, not %s and %s",
                                      r->terms[0].node, r->terms[i].node);
        return 0;
    }
    return load_error(ld,
                      "unknown directive \"%s\" (transactions, tolerance, label, amount, order, "
                      "principal, code, each, sum)",
                      d);
}

void setl_checks_free(struct setl_checks *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sets; i++)
        free(c->sets[i].rules);
    free(c->sets);
    free(c->labels);
    free(c->text);
    free(c);
}

/* Read the whole file into c->text, NUL-terminated. */
static int read_file(struct loader *ld, char **out)
{
    FILE *f = fopen(ld->path, "rb");
    if (!f) {
        ld->host->log(ld->host, YB_LOG_ERROR, "cannot open %s: %s", ld->path, strerror(errno));
        return YB_EIO;
    }
    char *buf = malloc(CHECKS_MAX_BYTES + 1);
    size_t len = buf ? fread(buf, 1, CHECKS_MAX_BYTES + 1, f) : 0;
    int bad = buf && (ferror(f) || len > CHECKS_MAX_BYTES);
    fclose(f);
    if (!buf)
        return YB_ENOMEM;
    if (bad) {
        free(buf);
        ld->host->log(ld->host, YB_LOG_ERROR, "%s: unreadable or larger than %d bytes", ld->path,
                      CHECKS_MAX_BYTES);
        return YB_EIO;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

int setl_checks_load(const struct yb_host *host, const char *path, struct setl_checks **out)
{
    struct setl_checks *c = calloc(1, sizeof(*c));
    if (!c)
        return YB_ENOMEM;
    struct loader ld = {.host = host, .path = path, .checks = c};
    int rc = read_file(&ld, &c->text);
    char *p = c->text;
    while (!rc && p && *p) {
        char *line = p;
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p = NULL;
        }
        ld.line++;
        char *tok[MAX_TOKENS];
        int n = yb_cs_tokenize(line, tok, MAX_TOKENS);
        if (n < 0)
            rc = load_error(&ld, "unterminated quote or more than %d tokens", MAX_TOKENS);
        else if (n > 0)
            rc = directive(&ld, tok, n);
    }
    if (!rc && c->n_sets == 0) {
        host->log(host, YB_LOG_ERROR, "%s: no transactions line, so no rule applies", path);
        rc = YB_EINVAL;
    }
    if (rc) {
        setl_checks_free(c);
        return rc;
    }
    *out = c;
    return 0;
}
