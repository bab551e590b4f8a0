/*
 * diag.c - the diagnosis and procedure codes plugin (医保疾病诊断分类与代码,
 * 手术操作分类与代码), owner of code kinds "icd10yb" (ICD-10 医保版 2.0) and
 * "icd9yb" (ICD-9-CM-3 医保版 2.0).
 *
 * The structure of both families is data (codesets/diag/rules.conf):
 *   verified   A00.000, A00.000x001, A17.000+G01* (dagger/asterisk pair),
 *              00.0100, 03.1x01, 00.0200x001 — the spec's published forms;
 *   unverified I10.x00 (x in place of the subcategory digit), kept so that
 *              such codes are not refused before a table is loaded.
 * Membership and effective dates come from the imported table.
 *
 * What the data cannot say, this file does: the published list marks some
 * diagnoses as gray codes (灰码), which may not be the principal diagnosis.
 * The table carries that as the flag "gray"; the request hook looks at the
 * principal diagnosis of each transaction and refuses a gray one. Which
 * transactions carry a principal diagnosis, in which list and fields, is
 * data too (codesets/diag/principal.tsv), read once at setup.
 *
 * Configuration:
 *   plugin diag {
 *       principal diag/principal.tsv;   # default; relative to data_dir
 *       gray_principal reject;          # reject | warn | off
 *   }
 * plus the generic directives of every codeset plugin (codeset.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeset.h"

#define MAX_LINE 1024
#define MAX_PRINCIPAL_ROWS 256
#define MAX_PATH_DEPTH 4

enum { GRAY_REJECT = 0, GRAY_WARN = 1, GRAY_OFF = 2 };

/* One row of principal.tsv: where a principal diagnosis sits in a message. */
struct principal_rule {
    char infno[16];
    char list[64];       /* node inside input, dotted for nesting ("diseinfo") */
    char code_field[32]; /* "diag_code" */
    char flag_field[32]; /* "maindiag_flag", or "" when every row is principal */
    char principal[16];  /* "1" */
};

struct diag_state {
    struct principal_rule *rules;
    size_t n_rules;
    int gray; /* GRAY_* */
};

/* Non-zero if the comma-separated FLAGS contain WORD. */
static int has_flag(const char *flags, const char *word)
{
    size_t wlen = strlen(word);
    for (const char *p = flags; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n == wlen && strncmp(p, word, n) == 0)
            return 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* Copy a TSV field into a fixed buffer; non-zero if it does not fit or is empty. */
static int take(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* Parse one data line of principal.tsv into *r. Returns 0 or a reason. */
static const char *parse_rule(char *line, struct principal_rule *r)
{
    char *f[5];
    int n = 0;
    for (char *p = line; n < 5;) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    if (n != 5)
        return "needs 5 tab-separated columns: infno list code_field flag_field principal_value";
    if (take(r->infno, sizeof(r->infno), f[0]) || take(r->list, sizeof(r->list), f[1]) ||
        take(r->code_field, sizeof(r->code_field), f[2]) ||
        take(r->flag_field, sizeof(r->flag_field), f[3]) ||
        take(r->principal, sizeof(r->principal), f[4]))
        return "a column is empty or too long (write - for no flag field)";
    if (strcmp(r->flag_field, "-") == 0) {
        r->flag_field[0] = '\0';
        r->principal[0] = '\0';
    } else if (strcmp(r->principal, "-") == 0) {
        return "a flag field needs the value that marks the principal diagnosis";
    }
    return NULL;
}

static int read_principal(struct yb_cs_plugin *p, const char *path, struct diag_state *st)
{
    const struct yb_host *h = yb_cs_plugin_host(p);
    FILE *f = fopen(path, "r");
    if (!f) {
        h->log(h, YB_LOG_ERROR, "cannot open %s (the transactions with a principal diagnosis)",
               path);
        return YB_EIO;
    }
    char line[MAX_LINE];
    int lineno = 0, header = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (!header) {
            if (strncmp(line, "infno\t", 6) != 0) {
                h->log(h, YB_LOG_ERROR, "%s:%d: the header must start with \"infno\"", path,
                       lineno);
                rc = YB_EINVAL;
                break;
            }
            header = 1;
            continue;
        }
        if (st->n_rules == MAX_PRINCIPAL_ROWS) {
            h->log(h, YB_LOG_ERROR, "%s:%d: more than %d rows", path, lineno, MAX_PRINCIPAL_ROWS);
            rc = YB_ELIMIT;
            break;
        }
        const char *why = parse_rule(line, &st->rules[st->n_rules]);
        if (why) {
            h->log(h, YB_LOG_ERROR, "%s:%d: %s", path, lineno, why);
            rc = YB_EINVAL;
            break;
        }
        st->n_rules++;
    }
    fclose(f);
    if (!rc && !header) {
        h->log(h, YB_LOG_ERROR, "%s: no header line", path);
        rc = YB_EINVAL;
    }
    return rc;
}

static void diag_teardown(struct yb_cs_plugin *p)
{
    struct diag_state *st = yb_cs_plugin_user(p);
    if (!st)
        return;
    free(st->rules);
    free(st);
    yb_cs_plugin_set_user(p, NULL);
}

static int diag_setup(struct yb_cs_plugin *p, const struct yb_conf *conf)
{
    const struct yb_host *h = yb_cs_plugin_host(p);
    struct diag_state *st = calloc(1, sizeof(*st));
    if (!st)
        return YB_ENOMEM;
    yb_cs_plugin_set_user(p, st);
    if (!(st->rules = calloc(MAX_PRINCIPAL_ROWS, sizeof(*st->rules))))
        return YB_ENOMEM;
    const char *gray = h->conf_get(conf, "gray_principal");
    if (!gray || strcmp(gray, "reject") == 0) {
        st->gray = GRAY_REJECT;
    } else if (strcmp(gray, "warn") == 0) {
        st->gray = GRAY_WARN;
    } else if (strcmp(gray, "off") == 0) {
        st->gray = GRAY_OFF;
    } else {
        h->log(h, YB_LOG_ERROR, "gray_principal takes reject, warn or off, got \"%s\"", gray);
        return YB_EINVAL;
    }
    char path[4096];
    int rc = h->conf_get(conf, "principal")
                 ? h->conf_path(conf, "principal", path, sizeof(path))
                 : yb_cs_plugin_path(p, "diag/principal.tsv", path, sizeof(path));
    if (rc) {
        h->log(h, YB_LOG_ERROR, "the principal path is too long");
        return YB_ELIMIT;
    }
    if ((rc = read_principal(p, path, st)))
        return rc;
    if (!yb_cs_plugin_table(p) && st->gray != GRAY_OFF)
        h->log(h, YB_LOG_INFO,
               "no diagnosis table: gray codes (灰码) are not known, so the "
               "principal-diagnosis rule checks nothing until one is imported");
    return 0;
}

/* Walk the dotted PATH from NODE through objects. NULL if a step is missing. */
static struct yb_node *walk(const struct yb_host *h, struct yb_node *node, const char *path)
{
    char step[64];
    for (const char *p = path; node && *p;) {
        size_t n = strcspn(p, ".");
        if (n == 0 || n >= sizeof(step))
            return NULL;
        memcpy(step, p, n);
        step[n] = '\0';
        if (h->node_type(node) != YB_NODE_OBJECT)
            return NULL;
        node = h->node_get(node, step);
        p += n;
        if (*p == '.')
            p++;
    }
    return node;
}

/* The text of OBJECT.key, or NULL if it is absent or not a value. */
static const char *field_text(const struct yb_host *h, const struct yb_node *object,
                              const char *key, size_t *len)
{
    struct yb_node *n = h->node_get(object, key);
    return n ? h->node_text(n, len) : NULL;
}

/* Check one diagnosis row; PATH names it ("diseinfo[2]" or "mdtrtinfo").
 * Returns 1 if it is a gray code in the principal position. */
static int check_row(const struct yb_cs_plugin *p, const struct diag_state *st,
                     const struct principal_rule *r, struct yb_txn *txn, const struct yb_node *row,
                     const char *path)
{
    const struct yb_host *h = yb_cs_plugin_host(p);
    if (h->node_type(row) != YB_NODE_OBJECT)
        return 0;
    if (r->flag_field[0]) {
        const char *flag = field_text(h, row, r->flag_field, NULL);
        if (!flag || strcmp(flag, r->principal) != 0)
            return 0;
    }
    /* 中医主病 / 中医主证 (diag_type 2, 3) carry TCM codes, not ICD-10 医保版 */
    const char *type = field_text(h, row, "diag_type", NULL);
    if (type && (strcmp(type, "2") == 0 || strcmp(type, "3") == 0))
        return 0;
    size_t len = 0;
    const char *code = field_text(h, row, r->code_field, &len);
    if (!code || len == 0)
        return 0;
    const struct yb_cs_entry *e = yb_cs_plugin_lookup(p, "icd10yb", code, len);
    if (!e || !has_flag(e->flags, "gray"))
        return 0;
    char where[160], why[80];
    snprintf(where, sizeof(where), "%s.%s", path, r->code_field);
    if (r->flag_field[0])
        snprintf(why, sizeof(why), "%s=%s", r->flag_field, r->principal);
    else
        snprintf(why, sizeof(why), "%s", r->code_field);
    /* the host renders this as: PATH: "CODE" MESSAGE [codeset.icd10yb] */
    h->diag(txn, st->gray == GRAY_REJECT ? YB_DIAG_ERROR : YB_DIAG_WARN, where, "gray", code,
            "codeset.icd10yb",
            "%s%s%sis a gray code (灰码) of ICD-10 医保版 and may not be the principal diagnosis "
            "(%s); code the principal diagnosis more specifically, or send this one as a "
            "secondary diagnosis",
            e->name[0] ? "(" : "", e->name, e->name[0] ? ") " : "", why);
    return 1;
}

static int diag_on_request(struct yb_cs_plugin *p, struct yb_txn *txn)
{
    const struct diag_state *st = yb_cs_plugin_user(p);
    const struct yb_host *h = yb_cs_plugin_host(p);
    if (!st || st->gray == GRAY_OFF || !yb_cs_plugin_table(p))
        return YB_PASS;
    const char *infno = h->txn_infno(txn);
    if (!infno)
        return YB_PASS;
    struct yb_node *input = NULL;
    int found = 0;
    for (size_t i = 0; i < st->n_rules; i++) {
        const struct principal_rule *r = &st->rules[i];
        if (strcmp(r->infno, infno) != 0)
            continue;
        if (!input && !(input = h->node_get(h->txn_request(txn), "input")))
            return YB_PASS;
        struct yb_node *node = walk(h, input, r->list);
        if (!node)
            continue;
        if (h->node_type(node) == YB_NODE_ARRAY) {
            size_t n = h->node_count(node);
            for (size_t k = 0; k < n; k++) {
                char path[96];
                snprintf(path, sizeof(path), "%s[%zu]", r->list, k);
                found += check_row(p, st, r, txn, h->node_at(node, k), path);
            }
        } else {
            found += check_row(p, st, r, txn, node, r->list);
        }
    }
    return found && st->gray == GRAY_REJECT ? YB_REJECT : YB_PASS;
}

/* explain: say when a diagnosis is a gray code. */
static int diag_explain_more(const struct yb_cs_plugin *p, const char *kind, const char *code,
                             size_t len, const struct yb_cs_entry *entry, char *buf, size_t cap)
{
    (void)p;
    (void)code;
    (void)len;
    if (!entry || strcmp(kind, "icd10yb") != 0 || !has_flag(entry->flags, "gray"))
        return 0;
    int n = snprintf(buf, cap, "gray: a gray code (灰码): may not be the principal diagnosis\n");
    return n < 0 ? 0 : n;
}

static const struct yb_cs_desc diag_desc = {
    .standard = "diag",
    .checks = NULL,
    .setup = diag_setup,
    .teardown = diag_teardown,
    .on_request = diag_on_request,
    .explain_more = diag_explain_more,
};

YB_CS_PLUGIN(diag, diag_desc, "1.0.0")
