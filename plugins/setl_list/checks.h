/*
 * checks.h - the settlement-list plugin's rules, parsed from
 * codesets/setl_list/checks.conf (format at the top of that file). checks.c
 * reads the file; setl_list.c runs the rules on a request. Nothing outside
 * plugins/setl_list sees these.
 */
#ifndef YB_SETL_CHECKS_H
#define YB_SETL_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ybgw/ybgw.h"

#define SETL_MAX_TERMS 16
#define SETL_MAX_INFNOS 16
#define SETL_AMOUNT_SCALE 2       /* decimal 16,2: places after the point */
#define SETL_AMOUNT_MAX_DIGITS 14 /* decimal 16,2: digits before the point */

enum setl_rule_type {
    SETL_RULE_AMOUNT,
    SETL_RULE_ORDER,
    SETL_RULE_PRINCIPAL,
    SETL_RULE_CODE,
    SETL_RULE_EACH,
    SETL_RULE_SUM
};

/* NODE.FIELD of the input: NODE is an object (setlinfo) or a list. */
struct setl_ref {
    const char *node;
    const char *field;
};

static inline int setl_same_ref(const struct setl_ref *a, const struct setl_ref *b)
{
    return strcmp(a->node, b->node) == 0 && strcmp(a->field, b->field) == 0;
}

struct setl_rule {
    int type;         /* enum setl_rule_type */
    const char *name; /* sums: the rule's name; others: a fixed word */
    int severity;     /* YB_DIAG_ERROR or YB_DIAG_WARN */
    struct setl_ref terms[SETL_MAX_TERMS];
    size_t n_left; /* sums: terms[0..n_left) = terms[n_left..n_terms) */
    size_t n_terms;
    const char *flag, *flag_value;        /* principal: FLAG=VALUE */
    const char *cond_field, *cond_values; /* principal among, code when: "1" or "2,3" */
    const char *kind;                     /* code */
    const char *text;                     /* principal: what the item is; sums: advice */
};

struct setl_rule_set {
    const char *infnos[SETL_MAX_INFNOS];
    size_t n_infnos;
    struct setl_rule *rules;
    size_t n_rules, cap;
};

struct setl_label {
    struct setl_ref ref;
    const char *text;
};

/* checks.conf, parsed: read-only once setup returns. */
struct setl_checks {
    char *text; /* the file; every string below points into it */
    struct setl_rule_set *sets;
    size_t n_sets;
    struct setl_label *labels;
    size_t n_labels;
    int64_t tolerance; /* fen */
};

enum setl_amount_status {
    SETL_AMOUNT_OK = 0,
    SETL_AMOUNT_SYNTAX,
    SETL_AMOUNT_SCALE_EXCEEDED,
    SETL_AMOUNT_TOO_LARGE
};

/* Parse -?digits(.digits)? into fen. More than SETL_AMOUNT_SCALE places is
 * accepted only when the extra places are zeros (12.500), as the schema's
 * decimal type does. */
int setl_amount_parse(const char *s, size_t len, int64_t *out);

/* Read PATH into *out (freed with setl_checks_free). On failure, logs
 * "path:line: reason" through host and returns a negative YB_E*. */
int setl_checks_load(const struct yb_host *host, const char *path, struct setl_checks **out);
void setl_checks_free(struct setl_checks *c);

#endif
