/*
 * catalog.c - catalogue mappings (目录对照): 3301 3302 1312, the check of a
 * fee line against them, and the mappings file loaded at start.
 *
 * An institution maps its local item codes (fixmedins_hilist_id, which fee
 * lines carry as medins_list_codg) to national ones (med_list_codg); the
 * simulator keeps one mapping per (institution, local code), lists them
 * with its own item table in 1312, and with `check_mapping on` refuses a
 * 2204/2301 line whose local code has no mapping, is mapped to another
 * national code, or is mapped only for other dates - as the platform does.
 * A 3301 is all or nothing: every row is checked before any is stored.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_json.h"
#include "handlers.h"
#include "handlers_internal.h"
#include "ybgw/ybgw.h"

/* ---- one mapping row ---- */

/* Check m (from a 3301 row or a line of the mappings file) and normalise
 * its dates to yyyy-MM-dd. where ("input.catalogcompin[1]", or "" for the
 * file) prefixes the field names. 0, or YB_EINVAL with the platform-style
 * message in why. */
static int mapping_check(struct ybsim_mapping *m, const char *where, char *why, size_t cap)
{
    const char *dot = where[0] ? "." : "";
    size_t lt = strlen(m->list_type);
    if (lt != 3 || strspn(m->list_type, "0123456789") != lt) {
        snprintf(why, cap, "目录类别错误: %s%slist_type \"%s\" is not a 3-digit list type", where,
                 dot, m->list_type);
        return YB_EINVAL;
    }
    char d[11];
    if (ybsim_date_norm(m->begndate, d)) {
        snprintf(why, cap, "日期格式错误: %s%sbegndate \"%s\" is not a date (yyyy-MM-dd)", where,
                 dot, m->begndate);
        return YB_EINVAL;
    }
    memcpy(m->begndate, d, sizeof(d));
    if (ybsim_date_norm(m->enddate, d)) {
        snprintf(why, cap, "日期格式错误: %s%senddate \"%s\" is not a date (yyyy-MM-dd)", where,
                 dot, m->enddate);
        return YB_EINVAL;
    }
    memcpy(m->enddate, d, sizeof(d));
    if (strcmp(m->enddate, m->begndate) < 0) {
        snprintf(why, cap, "日期错误: %s%senddate %s is before begndate %s", where, dot, m->enddate,
                 m->begndate);
        return YB_EINVAL;
    }
    return 0;
}

/* Read and check input.catalogcompin[i] into *m. */
static int read_mapping(struct ybsim_ctx *c, const struct yb_node *item, size_t i,
                        struct ybsim_mapping *m)
{
    char where[48];
    snprintf(where, sizeof(where), "input.catalogcompin[%zu]", i);
    if (!item || item->type != YB_NODE_OBJECT)
        return ybsim_fail(c, "输入格式错误: %s must be an object", where);
    memset(m, 0, sizeof(*m));
    int rc;
    if ((rc = ybsim_get(c, item, where, "fixmedins_hilist_id", m->fixmedins_hilist_id,
                        sizeof(m->fixmedins_hilist_id), 1)) ||
        (rc = ybsim_get(c, item, where, "fixmedins_hilist_name", m->fixmedins_hilist_name,
                        sizeof(m->fixmedins_hilist_name), 1)) ||
        (rc = ybsim_get(c, item, where, "list_type", m->list_type, sizeof(m->list_type), 1)) ||
        (rc = ybsim_get(c, item, where, "med_list_codg", m->med_list_codg, sizeof(m->med_list_codg),
                        1)) ||
        (rc = ybsim_get(c, item, where, "begndate", m->begndate, sizeof(m->begndate), 1)) ||
        (rc = ybsim_get(c, item, where, "enddate", m->enddate, sizeof(m->enddate), 1)))
        return rc;
    char why[YBSIM_ERR_MAX];
    if (mapping_check(m, where, why, sizeof(why)))
        return ybsim_fail(c, "%s", why);
    snprintf(m->fixmedins_code, sizeof(m->fixmedins_code), "%s", c->fixmedins_code);
    memcpy(m->upload_time, c->now, sizeof(c->now));
    snprintf(m->msgid, sizeof(m->msgid), "%s", c->msgid);
    return 0;
}

/* ---- catalogue: 3301 3302 1312 ---- */

/* All or nothing: every row is read and checked first, then all are
 * stored (and the request's transaction covers the writes too). A row for
 * a local code already mapped replaces its mapping; within one 3301 the
 * later row for a code wins. */
static int do_catalog_map(struct ybsim_ctx *c)
{
    int rc;
    size_t count = 0;
    const struct yb_node *list = ybsim_input_list(c, "catalogcompin", &count, &rc);
    struct ybsim_mapping m;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = read_mapping(c, ybsim_list_item(list, i), i, &m);
    for (size_t i = 0; i < count && rc == 0; i++) {
        if ((rc = read_mapping(c, ybsim_list_item(list, i), i, &m)))
            break;
        if ((rc = ybsim_store_mapping_put(c->st, &m)))
            return ybsim_db_fail(c, rc);
        struct ybsim_charge charge;
        const struct ybsim_item *known;
        ybsim_catalog_charge(c->conf, m.med_list_codg, &charge, &known);
        if (!known)
            ybsim_warn(c,
                       "input.catalogcompin[%zu].med_list_codg %s is not in the simulator's item "
                       "table; its charge level comes from its shape (%s)",
                       i, m.med_list_codg, ybsim_level_code(charge.level));
    }
    return rc;
}

static int do_catalog_unmap(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    const char *w = "input.data";
    char code[16], hilist_id[64], list_type[8], med_list_codg[64];
    if (rc || (rc = ybsim_get(c, in, w, "fixmedins_code", code, sizeof(code), 0)) ||
        (rc = ybsim_get(c, in, w, "fixmedins_hilist_id", hilist_id, sizeof(hilist_id), 1)) ||
        (rc = ybsim_get(c, in, w, "list_type", list_type, sizeof(list_type), 0)) ||
        (rc = ybsim_get(c, in, w, "med_list_codg", med_list_codg, sizeof(med_list_codg), 0)))
        return rc;
    if (code[0] && strcmp(code, c->fixmedins_code) != 0)
        return ybsim_fail(c, "机构编码不符: input.data.fixmedins_code %s is not the sender %s",
                          code, c->fixmedins_code);
    rc = ybsim_store_mapping_delete(c->st, c->fixmedins_code, hilist_id, list_type, med_list_codg);
    if (rc == YB_ENOENT)
        return ybsim_fail(
            c, "目录对照信息不存在: %s has no mapping of fixmedins_hilist_id \"%s\"%s%s",
            c->fixmedins_code, hilist_id, med_list_codg[0] ? " to " : "", med_list_codg);
    return rc ? ybsim_db_fail(c, rc) : 0;
}

struct query_page {
    struct ybsim_ctx *c;
    struct yb_node *list;
    const struct ybsim_item *item; /* the item being listed, to find its mapping */
};

static int add_mapping_id(const struct ybsim_mapping *m, void *arg)
{
    struct query_page *q = arg;
    struct yb_node *last = q->list ? q->list->last : NULL;
    if (last && !yb_node_get(last, "fixmedins_hilist_id"))
        ybsim_put_str(q->c, last, "fixmedins_hilist_id", m->fixmedins_hilist_id);
    return 0;
}

static int do_catalog_query(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    const char *w = "input.data";
    char code[64], page_num[12], page_size[12];
    if (rc || (rc = ybsim_get(c, in, w, "med_list_codg", code, sizeof(code), 0)) ||
        (rc = ybsim_get(c, in, w, "page_num", page_num, sizeof(page_num), 0)) ||
        (rc = ybsim_get(c, in, w, "page_size", page_size, sizeof(page_size), 0)))
        return rc;
    unsigned long num = 1, size = 100;
    if ((page_num[0] && (yb_parse_uint(page_num, 1000000, &num) || num == 0)) ||
        (page_size[0] && (yb_parse_uint(page_size, 1000, &size) || size == 0)))
        return ybsim_fail(c, "分页参数错误: page_num and page_size must be positive whole numbers "
                             "(page_size at most 1000)");
    struct query_page q = {c, ybsim_new_node(c, YB_NODE_ARRAY), NULL};
    unsigned long total = 0;
    for (const struct ybsim_item *it = c->conf->items; it; it = it->next) {
        if (code[0] && strcmp(code, it->code) != 0)
            continue;
        total++;
        if (total <= (num - 1) * size || total > num * size)
            continue;
        struct yb_node *r = ybsim_new_node(c, YB_NODE_OBJECT);
        ybsim_put_str(c, r, "hilist_code", it->code);
        ybsim_put_str(c, r, "hilist_name", it->name);
        ybsim_put_str(c, r, "insu_admdvs", c->platform->region);
        ybsim_put_str(c, r, "begndate", "2020-01-01 00:00:00");
        ybsim_put_str(c, r, "enddate", "2099-12-31 23:59:59");
        ybsim_put_str(c, r, "med_chrg_itmtype", it->chrgitm_type);
        ybsim_put_str(c, r, "chrgitm_lv", ybsim_level_code(it->level));
        ybsim_put_fine(c, r, "hilist_pric_uplmt_amt", it->pric_uplmt);
        ybsim_put_str(c, r, "vali_flag", "1");
        if (q.list && r)
            yb_node_append(q.list, r);
        q.item = it;
        if ((rc = ybsim_store_mapping_each(c->st, c->fixmedins_code, it->code, add_mapping_id, &q)))
            return ybsim_db_fail(c, rc);
    }
    if (code[0] && total == 0)
        return ybsim_fail(
            c, "目录信息不存在: med_list_codg \"%s\" is not in the simulator's catalogue", code);
    ybsim_put(c, c->output, "data", q.list);
    ybsim_put_int(c, c->output, "recordCounts", (long long)total);
    ybsim_put_int(c, c->output, "pageNum", (long long)num);
    ybsim_put_int(c, c->output, "pageSize", (long long)size);
    ybsim_put_int(c, c->output, "pages", (long long)((total + size - 1) / size));
    return 0;
}

/* ---- the check of a fee line (2204, 2301) ---- */

int ybsim_check_fee_mapping(struct ybsim_ctx *c, const char *where, const struct ybsim_fee *f)
{
    if (!c->conf->check_mapping)
        return 0;
    struct ybsim_mapping m;
    int rc = ybsim_store_mapping_get(c->st, c->fixmedins_code, f->medins_list_codg, &m);
    if (rc == YB_ENOENT)
        return ybsim_fail(c,
                          "目录对照信息不存在: %s.medins_list_codg \"%s\" of %s has no mapping "
                          "(upload it with 3301)",
                          where, f->medins_list_codg, c->fixmedins_code);
    if (rc)
        return ybsim_db_fail(c, rc);
    if (strcmp(m.med_list_codg, f->med_list_codg) != 0)
        return ybsim_fail(c,
                          "目录对照不符: %s.medins_list_codg \"%s\" is mapped to %s, the line "
                          "says %s (med_list_codg)",
                          where, f->medins_list_codg, m.med_list_codg, f->med_list_codg);
    char day[11], beg[11], end[11];
    if (ybsim_date_norm(f->fee_ocur_time, day))
        return ybsim_fail(c,
                          "日期格式错误: %s.fee_ocur_time \"%s\" is not a date and time "
                          "(yyyy-MM-dd HH:mm:ss)",
                          where, f->fee_ocur_time);
    if (ybsim_date_norm(m.begndate, beg) || ybsim_date_norm(m.enddate, end))
        return ybsim_fail(c,
                          "目录对照不在有效期: the mapping of %s.medins_list_codg \"%s\" has "
                          "unreadable dates (%s to %s); upload it again with 3301",
                          where, f->medins_list_codg, m.begndate, m.enddate);
    if (strcmp(day, beg) < 0 || strcmp(day, end) > 0)
        return ybsim_fail(c,
                          "目录对照不在有效期: %s.fee_ocur_time %s is outside the mapping of "
                          "medins_list_codg \"%s\" to %s (%s to %s)",
                          where, f->fee_ocur_time, f->medins_list_codg, m.med_list_codg, beg, end);
    return 0;
}

/* ---- the mappings file (conf/sim/mappings.tsv) ---- */

#define TSV_LINE_MAX 4096       /* bytes in one line */
#define TSV_MAPPINGS_MAX 100000 /* mappings in one file */

enum { NCOL = 7 }; /* the columns of the file */

#define MAPPING_SIZE(f) sizeof(((struct ybsim_mapping *)0)->f)

static const struct {
    const char *name;
    size_t offset, size;
} tsv_cols[NCOL] = {
    {"fixmedins_code", offsetof(struct ybsim_mapping, fixmedins_code),
     MAPPING_SIZE(fixmedins_code)},
    {"fixmedins_hilist_id", offsetof(struct ybsim_mapping, fixmedins_hilist_id),
     MAPPING_SIZE(fixmedins_hilist_id)},
    {"fixmedins_hilist_name", offsetof(struct ybsim_mapping, fixmedins_hilist_name),
     MAPPING_SIZE(fixmedins_hilist_name)},
    {"list_type", offsetof(struct ybsim_mapping, list_type), MAPPING_SIZE(list_type)},
    {"med_list_codg", offsetof(struct ybsim_mapping, med_list_codg), MAPPING_SIZE(med_list_codg)},
    {"begndate", offsetof(struct ybsim_mapping, begndate), MAPPING_SIZE(begndate)},
    {"enddate", offsetof(struct ybsim_mapping, enddate), MAPPING_SIZE(enddate)},
};

/* one loaded key, to find a local code listed twice */
struct tsv_key {
    char code[16];
    char id[64];
    int line;
};

static int key_cmp(const void *a, const void *b)
{
    const struct tsv_key *x = a, *y = b;
    int d = strcmp(x->code, y->code);
    if (!d)
        d = strcmp(x->id, y->id);
    return d ? d : x->line - y->line;
}

/* Split line at tabs into at most NCOL + 1 fields; the count. */
static int split_tabs(char *line, char **fields)
{
    int nf = 0;
    for (char *p = line;;) {
        fields[nf++] = p;
        char *tab = strchr(p, '\t');
        if (!tab || nf > NCOL)
            return nf;
        *tab = '\0';
        p = tab + 1;
    }
}

/* The header: each of the seven columns once, in any order; pos[col] is
 * the field index of each. */
static int read_header(char **fields, int nf, int *pos, const char *path, int lineno, char *err,
                       size_t errlen)
{
    for (int k = 0; k < NCOL; k++)
        pos[k] = -1;
    if (nf != NCOL)
        return ybsim_tsv_error(err, errlen, path, lineno,
                        "the header must name the %d columns fixmedins_code, fixmedins_hilist_id, "
                        "fixmedins_hilist_name, list_type, med_list_codg, begndate, enddate "
                        "(tab-separated); it has %d",
                        NCOL, nf);
    for (int i = 0; i < nf; i++) {
        int k = 0;
        while (k < NCOL && strcmp(fields[i], tsv_cols[k].name) != 0)
            k++;
        if (k == NCOL)
            return ybsim_tsv_error(err, errlen, path, lineno, "unknown column \"%.64s\"", fields[i]);
        if (pos[k] >= 0)
            return ybsim_tsv_error(err, errlen, path, lineno, "column \"%s\" is named twice",
                            tsv_cols[k].name);
        pos[k] = i;
    }
    return 0;
}

/* One data line into *m, checked. */
static int read_line(char **fields, int nf, const int *pos, struct ybsim_mapping *m,
                     const char *path, int lineno, char *err, size_t errlen)
{
    if (nf != NCOL)
        return ybsim_tsv_error(err, errlen, path, lineno, "%d columns, the header has %d", nf, NCOL);
    memset(m, 0, sizeof(*m));
    for (int k = 0; k < NCOL; k++) {
        const char *v = fields[pos[k]];
        size_t len = strlen(v);
        if (len == 0)
            return ybsim_tsv_error(err, errlen, path, lineno, "%s is empty", tsv_cols[k].name);
        if (len >= tsv_cols[k].size)
            return ybsim_tsv_error(err, errlen, path, lineno, "%s is longer than %zu bytes",
                            tsv_cols[k].name, tsv_cols[k].size - 1);
        memcpy((char *)m + tsv_cols[k].offset, v, len + 1);
    }
    char why[512];
    if (mapping_check(m, "", why, sizeof(why)))
        return ybsim_tsv_error(err, errlen, path, lineno, "%s", why);
    return 0;
}

/* Store m unless its local code is already mapped; counted in *added or *kept. */
static int load_one(struct ybsim_store *st, struct ybsim_mapping *m, int *added, int *kept,
                    const char *path, int lineno, char *err, size_t errlen)
{
    struct ybsim_mapping old;
    int rc = ybsim_store_mapping_get(st, m->fixmedins_code, m->fixmedins_hilist_id, &old);
    if (rc == 0) {
        (*kept)++;
        return 0;
    }
    snprintf(m->msgid, sizeof(m->msgid), "file");
    if (rc != YB_ENOENT || (rc = ybsim_store_mapping_put(st, m)))
        return ybsim_tsv_error(err, errlen, path, lineno, "database: %s", ybsim_store_errmsg(st));
    (*added)++;
    return 0;
}

/* The same (fixmedins_code, fixmedins_hilist_id) on two lines is an error. */
static int find_twice(struct tsv_key *keys, size_t n, const char *path, char *err, size_t errlen)
{
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i].code, keys[i - 1].code) == 0 && strcmp(keys[i].id, keys[i - 1].id) == 0)
            return ybsim_tsv_error(err, errlen, path, keys[i].line,
                            "%s fixmedins_hilist_id \"%s\" is already mapped at line %d",
                            keys[i].code, keys[i].id, keys[i - 1].line);
    return 0;
}

int ybsim_catalog_load_mappings(struct ybsim_store *st, const char *path, const char *now,
                                int *added, int *kept, char *err, size_t errlen)
{
    *added = *kept = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return YB_EIO;
    }
    char *line = NULL, *fields[NCOL + 1];
    size_t cap = 0, nkeys = 0;
    struct tsv_key *keys = NULL;
    int pos[NCOL], header = 0, lineno = 0, rc;
    ssize_t got;
    if ((rc = ybsim_store_begin(st))) {
        snprintf(err, errlen, "%s: database: %s", path, ybsim_store_errmsg(st));
        goto fail;
    }
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (got > TSV_LINE_MAX) {
            rc = ybsim_tsv_error(err, errlen, path, lineno, "longer than %d bytes", TSV_LINE_MAX);
            goto fail;
        }
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0 || line[0] == '#')
            continue;
        size_t bad = yb_utf8_check(line, (size_t)got);
        if (bad || strlen(line) != (size_t)got) {
            rc = ybsim_tsv_error(err, errlen, path, lineno, "not UTF-8 text (byte %zu)", bad ? bad : 1);
            goto fail;
        }
        int nf = split_tabs(line, fields);
        if (!header) {
            if ((rc = read_header(fields, nf, pos, path, lineno, err, errlen)))
                goto fail;
            header = 1;
            continue;
        }
        if (nkeys == TSV_MAPPINGS_MAX) {
            rc = ybsim_tsv_error(err, errlen, path, lineno, "more than %d mappings", TSV_MAPPINGS_MAX);
            goto fail;
        }
        if (nkeys % 1024 == 0) {
            struct tsv_key *more = realloc(keys, (nkeys + 1024) * sizeof(*keys));
            if (!more) {
                rc = ybsim_tsv_error(err, errlen, path, lineno, "out of memory");
                goto fail;
            }
            keys = more;
        }
        struct ybsim_mapping m;
        if ((rc = read_line(fields, nf, pos, &m, path, lineno, err, errlen)))
            goto fail;
        snprintf(m.upload_time, sizeof(m.upload_time), "%s", now);
        if ((rc = load_one(st, &m, added, kept, path, lineno, err, errlen)))
            goto fail;
        struct tsv_key *k = &keys[nkeys++];
        memcpy(k->code, m.fixmedins_code, sizeof(k->code));
        memcpy(k->id, m.fixmedins_hilist_id, sizeof(k->id));
        k->line = lineno;
    }
    if (!header) {
        rc = ybsim_tsv_error(err, errlen, path, lineno, "no header line");
        goto fail;
    }
    if ((rc = find_twice(keys, nkeys, path, err, errlen)))
        goto fail;
    if ((rc = ybsim_store_commit(st))) {
        snprintf(err, errlen, "%s: database: %s", path, ybsim_store_errmsg(st));
        goto fail;
    }
    free(keys);
    free(line);
    fclose(f);
    return 0;
fail:
    ybsim_store_rollback(st);
    free(keys);
    free(line);
    fclose(f);
    return rc;
}

/* ---- the table ---- */

const struct ybsim_handler ybsim_catalog_handlers[] = {
    {"1312", "医保目录信息查询", do_catalog_query, 1},
    {"3301", "目录对照上传", do_catalog_map, 1},
    {"3302", "目录对照撤销", do_catalog_unmap, 1},
    {NULL, NULL, NULL, 0},
};
