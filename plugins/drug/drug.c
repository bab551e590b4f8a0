/*
 * drug.c - 药品分类与代码 (medical-insurance drug codes), code kind "drug".
 *
 * The forms are data (codesets/drug/rules.conf); what is known about them:
 *   verified    西药 product code, 23 characters: X · ATC level-4 class (5) ·
 *               name (4) · dosage form (4) · specification/packaging (4) ·
 *               enterprise (5); example XA01ABD075A002010100483.
 *   verified    西药 catalogue-level code, 12 characters: X · ATC level-4 class ·
 *               name · 2-character catalogue dosage form; example XB06ACL388B0.
 *   verified    中成药 catalogue-level code, 11 characters: Z · class 5 · name 5.
 *   unverified  中成药 product code: 20 characters (verified), split into class 5 ·
 *               name 5 · spec 4 · enterprise 5 (not verified, so permissive).
 *   unverified  中药饮片: a leading T, the rest permissive.
 *   absent      医疗机构制剂: its shape is not known (codesets/drug/README.md).
 *
 * What the data cannot express lives here: the named check "atc", which asks
 * that the ATC class inside a 西药 code exists. Its level-1 group and level-2
 * class must be listed in the ATC file (default drug/atc.tsv, the same file
 * the rules use to explain the segment; directive `atc PATH;` overrides it).
 * Levels 3 and 4 are checked only where the file lists them: when it has any
 * level-3 (4-character) entry under a level-2 class, the code's level-3 class
 * must be listed, and likewise for level-4 (5-character) entries. So the file
 * may grow one level-2 class at a time, completely, without rejecting codes
 * under classes it does not detail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeset.h"

#define ATC_LINE 1024
#define ATC_MAX_DEEP 20000 /* WHO ATC has about 1,000 level-3/4 classes */

enum { ATC_LISTED = 1, ATC_HAS_LEVEL3 = 2, ATC_HAS_LEVEL4 = 4 };

/* The ATC classes, built by setup and read-only afterwards. */
struct atc_index {
    unsigned char group[26];       /* level 1, by letter: listed or not */
    unsigned char level2[26][100]; /* by letter and number: ATC_* bits */
    char (*deep)[6];               /* level-3 and level-4 classes, sorted */
    size_t n_deep;
};

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Is V (LEN bytes) the shape of an ATC class of level 1 to 4? */
static int atc_shape(const char *v, size_t len)
{
    switch (len) {
    case 5:
        if (!is_upper(v[4]))
            return 0;
        /* fall through */
    case 4:
        if (!is_upper(v[3]))
            return 0;
        /* fall through */
    case 3:
        if (!is_digit(v[1]) || !is_digit(v[2]))
            return 0;
        /* fall through */
    case 1:
        return is_upper(v[0]);
    default:
        return 0;
    }
}

static int level2_number(const char *v)
{
    return (v[1] - '0') * 10 + (v[2] - '0');
}

static int deep_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int deep_listed(const struct atc_index *ix, const char *v, size_t len)
{
    char key[6];
    memcpy(key, v, len);
    key[len] = '\0';
    return ix->n_deep && bsearch(key, ix->deep, ix->n_deep, sizeof(*ix->deep), deep_cmp) != NULL;
}

static void atc_free(struct atc_index *ix)
{
    if (!ix)
        return;
    free(ix->deep);
    free(ix);
}

/* Read PATH (header "value<TAB>meaning", # comments) into a new index.
 * A malformed row, or a class whose parent is not listed, stops the load:
 * a silently dropped class would reject real codes. NULL on failure (logged). */
static struct atc_index *atc_load(const struct yb_host *h, const char *path)
{
    struct atc_index *ix = calloc(1, sizeof(*ix));
    FILE *f = fopen(path, "r");
    char line[ATC_LINE];
    int lineno = 0, header = 0, ok = 0;
    size_t cap = 0;
    if (!ix || !f) {
        h->log(h, YB_LOG_ERROR, "cannot read the ATC classes from %s", path);
        goto out;
    }
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        size_t len = strcspn(line, "\t");
        if (!header) {
            if (len != 5 || strncmp(line, "value", 5) != 0) {
                h->log(h, YB_LOG_ERROR, "%s:%d: the header must be \"value<TAB>meaning\"", path,
                       lineno);
                goto out;
            }
            header = 1;
            continue;
        }
        if (!atc_shape(line, len)) {
            h->log(h, YB_LOG_ERROR,
                   "%s:%d: \"%.*s\" is not an ATC class (A, A01, A01A or A01AB expected)", path,
                   lineno, (int)len, line);
            goto out;
        }
        int g = line[0] - 'A';
        if (len == 1) {
            ix->group[g] = 1;
            continue;
        }
        unsigned char *l2 = &ix->level2[g][level2_number(line)];
        if (len == 3) {
            *l2 |= ATC_LISTED;
            continue;
        }
        *l2 |= len == 4 ? ATC_HAS_LEVEL3 : ATC_HAS_LEVEL4;
        if (ix->n_deep == ATC_MAX_DEEP) {
            h->log(h, YB_LOG_ERROR, "%s:%d: more than %d level-3/4 classes", path, lineno,
                   ATC_MAX_DEEP);
            goto out;
        }
        if (ix->n_deep == cap) {
            cap = cap ? cap * 2 : 64;
            char(*grown)[6] = realloc(ix->deep, cap * sizeof(*grown));
            if (!grown) {
                h->log(h, YB_LOG_ERROR, "%s: out of memory", path);
                goto out;
            }
            ix->deep = grown;
        }
        memcpy(ix->deep[ix->n_deep], line, len);
        ix->deep[ix->n_deep++][len] = '\0';
    }
    if (!header) {
        h->log(h, YB_LOG_ERROR, "%s: no header line", path);
        goto out;
    }
    if (ix->n_deep) /* qsort wants a real array, even of none */
        qsort(ix->deep, ix->n_deep, sizeof(*ix->deep), deep_cmp);
    /* every class needs its parent: a level-2 class its group, a level-3/4
     * class its level-2 class, a level-4 class its level-3 class */
    for (int g = 0; g < 26; g++) {
        for (int n = 0; n < 100; n++) {
            if (ix->level2[g][n] && !ix->group[g]) {
                h->log(h, YB_LOG_ERROR, "%s: class %c%02d is listed without its group %c", path,
                       'A' + g, n, 'A' + g);
                goto out;
            }
            if ((ix->level2[g][n] & ~ATC_LISTED) && !(ix->level2[g][n] & ATC_LISTED)) {
                h->log(h, YB_LOG_ERROR,
                       "%s: level-3/4 classes under %c%02d are listed without %c%02d", path,
                       'A' + g, n, 'A' + g, n);
                goto out;
            }
        }
    }
    for (size_t i = 0; i < ix->n_deep; i++) {
        if (strlen(ix->deep[i]) == 5 && !deep_listed(ix, ix->deep[i], 4)) {
            h->log(h, YB_LOG_ERROR, "%s: class %s is listed without its level-3 class %.4s", path,
                   ix->deep[i], ix->deep[i]);
            goto out;
        }
    }
    ok = 1;
out:
    if (f)
        fclose(f);
    if (!ok) {
        atc_free(ix);
        return NULL;
    }
    return ix;
}

/* check=atc: the ATC level-4 class of a 西药 code (SEG, 5 characters, shaped
 * [A-Z]\d{2}[A-Z]{2} by the rules) must exist, level by level. */
static int check_atc(const struct yb_cs_plugin *p, const char *seg, size_t len, const char *code,
                     size_t code_len, struct yb_code_verdict *v)
{
    (void)code;
    (void)code_len;
    const struct atc_index *ix = yb_cs_plugin_user(p);
    if (!ix || len != 5 || !atc_shape(seg, len))
        return 0; /* the rules' pattern already judged the shape */
    const char *tail = "characters 2 to 6 of a 西药 code are its WHO ATC level-4 class";
    if (!ix->group[seg[0] - 'A']) {
        char groups[64];
        size_t n = 0;
        for (int g = 0; g < 26 && n + 2 < sizeof(groups); g++)
            if (ix->group[g]) {
                groups[n++] = (char)('A' + g);
                groups[n++] = ' ';
            }
        groups[n ? n - 1 : 0] = '\0';
        yb_cs_verdict(v, YB_CODE_INVALID, "atc4",
                      "ATC class %.5s does not exist: no level-1 group %c (the groups are %s); %s",
                      seg, seg[0], groups, tail);
        return 1;
    }
    unsigned char l2 = ix->level2[seg[0] - 'A'][level2_number(seg)];
    if (!(l2 & ATC_LISTED)) {
        yb_cs_verdict(v, YB_CODE_INVALID, "atc4",
                      "ATC class %.5s does not exist: no level-2 class %.3s; %s", seg, seg, tail);
        return 1;
    }
    if ((l2 & ATC_HAS_LEVEL3) && !deep_listed(ix, seg, 4)) {
        yb_cs_verdict(v, YB_CODE_INVALID, "atc4",
                      "ATC class %.5s does not exist: no level-3 class %.4s under %.3s; %s", seg,
                      seg, seg, tail);
        return 1;
    }
    if ((l2 & ATC_HAS_LEVEL4) && !deep_listed(ix, seg, 5)) {
        yb_cs_verdict(v, YB_CODE_INVALID, "atc4",
                      "ATC class %.5s does not exist: no level-4 class %.5s under %.4s; %s", seg,
                      seg, seg, tail);
        return 1;
    }
    return 0;
}

static int drug_setup(struct yb_cs_plugin *p, const struct yb_conf *conf)
{
    const struct yb_host *h = yb_cs_plugin_host(p);
    char path[4096];
    int rc = h->conf_get(conf, "atc") ? h->conf_path(conf, "atc", path, sizeof(path))
                                      : yb_cs_plugin_path(p, "drug/atc.tsv", path, sizeof(path));
    if (rc) {
        h->log(h, YB_LOG_ERROR, "the atc path is too long");
        return YB_ELIMIT;
    }
    struct atc_index *ix = atc_load(h, path);
    if (!ix)
        return YB_EINVAL;
    yb_cs_plugin_set_user(p, ix);
    return 0;
}

static void drug_teardown(struct yb_cs_plugin *p)
{
    atc_free(yb_cs_plugin_user(p));
    yb_cs_plugin_set_user(p, NULL);
}

static const struct yb_cs_check drug_checks[] = {{"atc", check_atc}, {NULL, NULL}};

static const struct yb_cs_desc drug_desc = {
    .standard = "drug",
    .checks = drug_checks,
    .setup = drug_setup,
    .teardown = drug_teardown,
};

YB_CS_PLUGIN(drug, drug_desc, "1.0.0")
