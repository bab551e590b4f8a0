/*
 * import_test.c - importing a hospital's mapping file (cat_import.c): CSV
 * and TSV with a BOM and RFC 4180 quoting, header errors, refused rows in
 * the reject file with their physical line numbers and nothing committed,
 * partial imports, duplicate local codes, dry runs, re-imports (SAME, and a
 * change that closes the old row), the institution default, a file cut off
 * inside a quote, progress and the caller's row check. Codes are synthetic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cat_internal.h"
#include "catalog.h"
#include "testutil.h"

static char dir[] = "/tmp/ybgw-cat-import-test-XXXXXX";
static char err[1024];
static int serial;

#define PLACE "H45019900055"
#define HEADER                                                                                     \
    "fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,"   \
    "enddate\n"

static const char *const list_types[] = {"101", "102", "103", "104", "201", "301", NULL};
static const struct yb_cat_who who = {"import by test", "import test.csv", NULL,
                                      "2024-06-01 09:00:00"};

/* A new file name in the test directory: DIR/STEM<n>.EXT. */
static const char *path_in(const char *stem, const char *ext)
{
    static char path[2][256];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof(path[which]), "%s/%s%d.%s", dir, stem, ++serial, ext);
    return path[which];
}

static struct yb_cat_store *new_store(void)
{
    struct yb_cat_store *st = NULL;
    CU_ASSERT_EQUAL(yb_cat_store_open(path_in("store", "db"), YB_CAT_CREATE, &st, err, sizeof(err)),
                    0);
    return st;
}

/* Import TEXT (written to a new file) into ST with OPTS (path filled in). */
static int import_text(struct yb_cat_store *st, const char *text, struct yb_cat_import_opts *o,
                       struct yb_cat_import_result *res)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s", path_in("file", "csv"));
    yb_test_write_file(path, text);
    o->path = path;
    if (!o->who)
        o->who = &who;
    err[0] = '\0';
    int rc = yb_cat_import(st, o, res, err, sizeof(err));
    if (rc)
        fprintf(stderr, "(import: %s)\n", err);
    return rc;
}

static uint64_t current_count(struct yb_cat_store *st)
{
    struct yb_cat_counts c;
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, NULL, &c), 0);
    return c.current;
}

/* The current row of LOCAL in PLACE, copied field by field. */
struct got {
    int found;
    char f[YB_CAT_NFIELDS][256];
    char changed_by[64], source[64];
    int sync;
};

static int get_one(const struct yb_cat_record *rec, void *arg)
{
    struct got *g = arg;
    if (!rec->current)
        return 0;
    g->found = 1;
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        snprintf(g->f[i], sizeof(g->f[i]), "%s", rec->row.f[i]);
    snprintf(g->changed_by, sizeof(g->changed_by), "%s", rec->changed_by);
    snprintf(g->source, sizeof(g->source), "%s", rec->source);
    g->sync = rec->sync;
    return 0;
}

static struct got get(struct yb_cat_store *st, const char *place, const char *local)
{
    struct got g;
    memset(&g, 0, sizeof(g));
    CU_ASSERT_EQUAL(yb_cat_store_history(st, place, local, get_one, &g), 0);
    return g;
}

/* ---- good files ------------------------------------------------------------- */

static void test_csv_with_bom_case_and_quotes(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const char *text =
        "\xef\xbb\xbf"
        "FIXMEDINS_CODE,Fixmedins_Hilist_Id,fixmedins_hilist_name,List_Type,med_list_codg,"
        "begndate,enddate,spec,memo\r\n" /* line 1 */
        PLACE ",F0001,\"导尿(留置导尿), 含材料\",201,001216000010100,2024-01-01,2099-12-31,,"
        "\"说\"\"明\"\"\"\r\n" /* line 2 */
        "\r\n"                 /* line 3: empty */
        PLACE ",Y0001,示例西药,101,XA01ABD075A002010100483,20240101,2099/12/31,\"10mg*24片\","
        "\"第一行\n第二行\"\r\n" /* lines 4-5 */
        PLACE ",H0001,示例耗材,301,C01020100100000000000000001,2024/1/1,2099-12-31 00:00:00,,\n";
    struct yb_cat_import_opts o = {.list_types = list_types, .sync = YB_CAT_SYNCED};
    struct yb_cat_import_result res;
    CU_ASSERT_EQUAL_FATAL(import_text(st, text, &o, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 3);
    CU_ASSERT_EQUAL(res.added, 3);
    CU_ASSERT_EQUAL(res.rejected, 0);
    CU_ASSERT_EQUAL(res.committed, 1);
    CU_ASSERT_STRING_EQUAL(res.reject_path, "");
    CU_ASSERT_TRUE(res.seconds >= 0);
    char rejects[300];
    snprintf(rejects, sizeof(rejects), "%s.rejects", o.path);
    CU_ASSERT_EQUAL(access(rejects, F_OK), -1);

    struct got g = get(st, PLACE, "F0001");
    CU_ASSERT_TRUE_FATAL(g.found);
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_HILIST_NAME], "导尿(留置导尿), 含材料");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_MEMO], "说\"明\"");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_SPEC], "");
    CU_ASSERT_STRING_EQUAL(g.changed_by, "import by test");
    CU_ASSERT_STRING_EQUAL(g.source, "import test.csv");
    CU_ASSERT_EQUAL(g.sync, YB_CAT_SYNCED);
    g = get(st, PLACE, "Y0001");
    CU_ASSERT_TRUE_FATAL(g.found);
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_BEGNDATE], "2024-01-01");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_ENDDATE], "2099-12-31");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_MEMO], "第一行\n第二行");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_SPEC], "10mg*24片");
    g = get(st, PLACE, "H0001");
    CU_ASSERT_TRUE_FATAL(g.found);
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_BEGNDATE], "2024-01-01");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_ENDDATE], "2099-12-31");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_LIST_TYPE], "301");
    yb_cat_store_close(st);
}

static void test_tsv_and_institution_default(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    /* no fixmedins_code column: the default for every row */
    const char *tsv = "fixmedins_hilist_id\tfixmedins_hilist_name\tlist_type\tmed_list_codg\t"
                      "begndate\tenddate\tprcunt\n"
                      "F0001\t导尿, 一次\t201\t001216000010100\t2024-01-01\t2099-12-31\t次\n"
                      "F0002\t\"引号\"\t201\t001216000010200\t2024-01-01\t2099-12-31\t\n";
    struct yb_cat_import_opts o = {.fixmedins = PLACE};
    struct yb_cat_import_result res;
    CU_ASSERT_EQUAL_FATAL(import_text(st, tsv, &o, &res), 0);
    CU_ASSERT_EQUAL(res.added, 2);
    struct got g = get(st, PLACE, "F0001");
    CU_ASSERT_TRUE(g.found);
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_HILIST_NAME], "导尿, 一次"); /* a comma is data in TSV */
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_PRCUNT], "次");
    g = get(st, PLACE, "F0002");
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_HILIST_NAME], "\"引号\""); /* and so is a quote */

    /* a column: its value wins, an empty cell takes the default */
    const char *csv = HEADER "H45019900066,F0001,导尿,201,001216000010100,2024-01-01,2099-12-31\n"
                             ",F0003,导尿,201,001216000010300,2024-01-01,2099-12-31\n";
    CU_ASSERT_EQUAL_FATAL(import_text(st, csv, &o, &res), 0);
    CU_ASSERT_EQUAL(res.added, 2);
    CU_ASSERT_TRUE(get(st, "H45019900066", "F0001").found);
    CU_ASSERT_TRUE(get(st, PLACE, "F0003").found);

    /* no column and no default: a header error naming it */
    struct yb_cat_import_opts none = {0};
    CU_ASSERT_EQUAL(import_text(st, tsv, &none, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "fixmedins_code"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing"));
    /* and without a default, an empty cell is a missing value */
    CU_ASSERT_EQUAL_FATAL(import_text(st, csv, &none, &res), 0);
    CU_ASSERT_EQUAL(res.rejected, 1);
    CU_ASSERT_STRING_EQUAL(res.first_reject, "line 3: fixmedins_code: missing (required by 3301)");
    yb_cat_store_close(st);
}

/* ---- the header ------------------------------------------------------------- */

static void test_header_errors(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_import_opts o = {0};
    struct yb_cat_import_result res;
    const char *row = PLACE ",F0001,导尿,201,001216000010100,2024-01-01,2099-12-31";
    char text[1024];

    snprintf(text, sizeof(text),
             "fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,"
             "begndate,enddate,memmo\n%s,x\n",
             row);
    CU_ASSERT_EQUAL(import_text(st, text, &o, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown column \"memmo\" (column 8)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1:"));

    snprintf(text, sizeof(text), "fixmedins_code,fixmedins_hilist_id,list_type,enddate\n%s\n", row);
    CU_ASSERT_EQUAL(import_text(st, text, &o, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(err, "required columns missing: fixmedins_hilist_name, med_list_codg, begndate"));

    snprintf(text, sizeof(text),
             "fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,"
             "begndate,enddate,Begndate\n%s,2024-01-01\n",
             row);
    CU_ASSERT_EQUAL(import_text(st, text, &o, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "column begndate appears twice (columns 6 and 8)"));

    CU_ASSERT_EQUAL(import_text(st, "\n\n", &o, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));

    o.path = path_in("missing", "csv");
    CU_ASSERT_EQUAL(yb_cat_import(st, &o, &res, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_EQUAL(current_count(st), 0);
    yb_cat_store_close(st);
}

/* ---- refused rows ------------------------------------------------------------ */

static const char bad_file[] = HEADER                                         /* 1 */
    PLACE ",F0001,导尿,201,001216000010100,2024-01-01,2099-12-31\n"           /* 2 good */
    PLACE ",F0002,留置针,201,001216000010200,2024-02-30,2099-12-31\n"         /* 3 bad date */
    PLACE ",F0003,\"两行\n名称\",201,001216000010300,2024-01-01,2099-12-31\n" /* 4-5 */
    PLACE ",F0004,项目,999,001216000010400,2024-01-01,2099-12-31\n"           /* 6 list_type */
    PLACE ",F0001,导尿again,201,001216000010100,2024-01-01,2099-12-31\n"      /* 7 dup of 2 */
    PLACE ",F0005,项目,201,001216000010500,2024-01-01,2023-12-31\n"           /* 8 end < begin */
    PLACE ",F0006,项目,201,001216000010600,2024-01-01,2099-12-31,extra\n"     /* 9 */
    PLACE ",F0007,项目,201,001216000010700,2024-01-01,2099-12-31\n";          /* 10 good */

static void check_bad_file_rejects(const struct yb_cat_import_result *res)
{
    CU_ASSERT_EQUAL(res->rows, 8);
    CU_ASSERT_EQUAL(res->rejected, 6);
    CU_ASSERT_STRING_EQUAL(res->first_reject,
                           "line 3: begndate: \"2024-02-30\" is not a real date (write yyyy-MM-dd, "
                           "yyyyMMdd or yyyy/MM/dd)");
    char *rejects = yb_test_read_file(res->reject_path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rejects);
    CU_ASSERT_EQUAL(rejects[0], '#');
    const char *l = yb_test_reject_line(rejects, 3);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "\tbegndate: \"2024-02-30\" is not a real date"));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "\t" PLACE ",F0002,留置针,201,"));
    l = yb_test_reject_line(rejects, 4);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "fixmedins_hilist_name: a control character"));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "\"两行\\n名称\"")); /* the newline written as \n */
    CU_ASSERT_PTR_NULL(yb_test_reject_line(rejects, 5));
    l = yb_test_reject_line(rejects, 6);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "list_type: \"999\" is not one of 101"));
    l = yb_test_reject_line(rejects, 7);
    CU_ASSERT_PTR_NOT_NULL(
        l && strstr(l, "fixmedins_hilist_id F0001 already appears on line 2 for " PLACE));
    l = yb_test_reject_line(rejects, 8);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "enddate: 2023-12-31 is before begndate 2024-01-01"));
    l = yb_test_reject_line(rejects, 9);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "column 8 has a value but no name"));
    CU_ASSERT_PTR_NULL(yb_test_reject_line(rejects, 2));
    CU_ASSERT_PTR_NULL(yb_test_reject_line(rejects, 10));
    free(rejects);
}

static void test_rejected_rows_commit_nothing(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_import_opts o = {.list_types = list_types};
    struct yb_cat_import_result res;
    CU_ASSERT_EQUAL_FATAL(import_text(st, bad_file, &o, &res), 0);
    check_bad_file_rejects(&res);
    CU_ASSERT_EQUAL(res.added, 2); /* what the import would have added */
    CU_ASSERT_EQUAL(res.committed, 0);
    CU_ASSERT_EQUAL(current_count(st), 0);
    char expect[300];
    snprintf(expect, sizeof(expect), "%s.rejects", o.path);
    CU_ASSERT_STRING_EQUAL(res.reject_path, expect);

    /* fixed, imported again into the same reject path: the old reject file
     * goes away */
    o.reject_path = res.reject_path;
    char reject_path[512];
    snprintf(reject_path, sizeof(reject_path), "%s", res.reject_path);
    o.reject_path = reject_path;
    CU_ASSERT_EQUAL_FATAL(
        import_text(st, HEADER PLACE ",F0001,导尿,201,001216000010100,2024-01-01,2099-12-31\n", &o,
                    &res),
        0);
    CU_ASSERT_EQUAL(res.committed, 1);
    CU_ASSERT_EQUAL(res.rejected, 0);
    CU_ASSERT_STRING_EQUAL(res.reject_path, "");
    CU_ASSERT_EQUAL(access(reject_path, F_OK), -1);
    CU_ASSERT_EQUAL(current_count(st), 1);
    yb_cat_store_close(st);
}

static void test_partial_commits_the_good_rows(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_import_opts o = {.list_types = list_types, .partial = 1};
    struct yb_cat_import_result res;
    CU_ASSERT_EQUAL_FATAL(import_text(st, bad_file, &o, &res), 0);
    check_bad_file_rejects(&res);
    CU_ASSERT_EQUAL(res.committed, 1);
    CU_ASSERT_EQUAL(res.added, 2);
    CU_ASSERT_EQUAL(current_count(st), 2);
    CU_ASSERT_STRING_EQUAL(get(st, PLACE, "F0001").f[YB_CAT_HILIST_NAME], "导尿"); /* line 2 */
    CU_ASSERT_TRUE(get(st, PLACE, "F0007").found);
    CU_ASSERT_FALSE(get(st, PLACE, "F0002").found);
    yb_cat_store_close(st);
}

static void test_unclosed_quote_at_end(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const char *text =
        HEADER PLACE ",F0001,导尿,201,001216000010100,2024-01-01,2099-12-31\n" PLACE
                     ",F0002,\"cut off,201,001216000010200,2024-01-01,2099-12-31\n" PLACE
                     ",F0003,项目,201,001216000010300,2024-01-01,2099-12-31\n";
    struct yb_cat_import_opts o = {0};
    struct yb_cat_import_result res;
    CU_ASSERT_EQUAL_FATAL(import_text(st, text, &o, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 2);
    CU_ASSERT_EQUAL(res.rejected, 1);
    CU_ASSERT_EQUAL(res.committed, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.first_reject, "line 3: a quoted field opened on line 3"));
    char *rejects = yb_test_read_file(res.reject_path);
    const char *l = yb_test_reject_line(rejects, 3);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "F0003")); /* the rest of the file is that record */
    free(rejects);
    CU_ASSERT_EQUAL(current_count(st), 0);
    yb_cat_store_close(st);
}

/* ---- dry runs and re-imports ---------------------------------------------------- */

struct changes {
    int n;
    int outcome[8];
    uint64_t line[8];
    char local[8][32], old_name[8][64], new_name[8][64];
};

static int on_change(const struct yb_cat_record *old, const struct yb_cat_row *new_row, int outcome,
                     uint64_t line, void *arg)
{
    struct changes *c = arg;
    if (c->n == 8)
        return -1;
    int i = c->n++;
    c->outcome[i] = outcome;
    c->line[i] = line;
    snprintf(c->local[i], sizeof(c->local[i]), "%s", new_row->f[YB_CAT_HILIST_ID]);
    snprintf(c->old_name[i], sizeof(c->old_name[i]), "%s",
             old ? old->row.f[YB_CAT_HILIST_NAME] : "(none)");
    snprintf(c->new_name[i], sizeof(c->new_name[i]), "%s", new_row->f[YB_CAT_HILIST_NAME]);
    return 0;
}

static int history_rows(const struct yb_cat_record *rec, void *arg)
{
    (*(int *)arg)++;
    return 0;
}

static int count_history(struct yb_cat_store *st, const char *local)
{
    int n = 0;
    CU_ASSERT_EQUAL(yb_cat_store_history(st, PLACE, local, history_rows, &n), 0);
    return n;
}

static void test_dry_run_then_import_then_reimport(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_import_opts o = {0};
    struct yb_cat_import_result res;
    const char *first = HEADER PLACE ",F0001,导尿,201,001216000010100,2024-01-01,2099-12-31\n" PLACE
                                     ",F0002,留置针,201,001216000010200,2024-01-01,2099-12-31\n";
    CU_ASSERT_EQUAL_FATAL(import_text(st, first, &o, &res), 0);
    CU_ASSERT_EQUAL(res.added, 2);

    /* lines: 2 same, 3 changed name, 4 new */
    const char *second =
        HEADER PLACE ",F0001,导尿,201,001216000010100,20240101,2099-12-31\n" PLACE
                     ",F0002,留置针(改),201,001216000010200,2024-01-01,2099-12-31\n" PLACE
                     ",F0003,新项目,201,001216000010300,2024-01-01,2099-12-31\n";
    struct changes c;
    memset(&c, 0, sizeof(c));
    struct yb_cat_import_opts dry = {.dry_run = 1, .on_change = on_change, .arg = &c};
    CU_ASSERT_EQUAL_FATAL(import_text(st, second, &dry, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 3);
    CU_ASSERT_EQUAL(res.same, 1);
    CU_ASSERT_EQUAL(res.changed, 1);
    CU_ASSERT_EQUAL(res.added, 1);
    CU_ASSERT_EQUAL(res.committed, 0);
    CU_ASSERT_EQUAL_FATAL(c.n, 2);
    CU_ASSERT_STRING_EQUAL(c.local[0], "F0002");
    CU_ASSERT_EQUAL(c.outcome[0], YB_CAT_CHANGED);
    CU_ASSERT_EQUAL(c.line[0], 3);
    CU_ASSERT_STRING_EQUAL(c.old_name[0], "留置针");
    CU_ASSERT_STRING_EQUAL(c.new_name[0], "留置针(改)");
    CU_ASSERT_STRING_EQUAL(c.local[1], "F0003");
    CU_ASSERT_EQUAL(c.outcome[1], YB_CAT_ADDED);
    CU_ASSERT_EQUAL(c.line[1], 4);
    CU_ASSERT_STRING_EQUAL(c.old_name[1], "(none)");
    /* nothing written */
    CU_ASSERT_EQUAL(count_history(st, "F0002"), 1);
    CU_ASSERT_FALSE(get(st, PLACE, "F0003").found);
    CU_ASSERT_EQUAL(current_count(st), 2);

    /* the real import does what the dry run said */
    memset(&c, 0, sizeof(c));
    struct yb_cat_import_opts real = {.on_change = on_change, .arg = &c};
    CU_ASSERT_EQUAL_FATAL(import_text(st, second, &real, &res), 0);
    CU_ASSERT_EQUAL(res.same, 1);
    CU_ASSERT_EQUAL(res.changed, 1);
    CU_ASSERT_EQUAL(res.added, 1);
    CU_ASSERT_EQUAL(res.committed, 1);
    CU_ASSERT_EQUAL(c.n, 2);
    CU_ASSERT_EQUAL(count_history(st, "F0002"), 2);
    CU_ASSERT_EQUAL(count_history(st, "F0001"), 1);
    CU_ASSERT_STRING_EQUAL(get(st, PLACE, "F0002").f[YB_CAT_HILIST_NAME], "留置针(改)");
    struct yb_cat_counts before, after;
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, NULL, &before), 0);
    CU_ASSERT_EQUAL(before.closed, 1);

    /* the same file again: all SAME, no history written */
    memset(&c, 0, sizeof(c));
    CU_ASSERT_EQUAL_FATAL(import_text(st, second, &real, &res), 0);
    CU_ASSERT_EQUAL(res.same, 3);
    CU_ASSERT_EQUAL(res.added + res.changed, 0);
    CU_ASSERT_EQUAL(c.n, 0);
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, NULL, &after), 0);
    CU_ASSERT_EQUAL(after.closed, before.closed);
    CU_ASSERT_EQUAL(after.current, 3);
    yb_cat_store_close(st);
}

/* ---- the caller's hooks ---------------------------------------------------------- */

static int refuse_service(const struct yb_cat_row *row, char *why, size_t cap, void *arg)
{
    (*(int *)arg)++;
    if (strncmp(row->f[YB_CAT_MED_LIST_CODG], "0012", 4) != 0)
        return 0;
    snprintf(why, cap, "med_list_codg: %s is not in the service catalogue",
             row->f[YB_CAT_MED_LIST_CODG]);
    return 1;
}

struct progress {
    int calls;
    uint64_t bytes, total, rows;
};

static void on_progress(uint64_t bytes, uint64_t total, uint64_t rows, void *arg)
{
    struct progress *p = arg;
    p->calls++;
    p->bytes = bytes;
    p->total = total;
    p->rows = rows;
}

static void test_check_row_and_progress(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    /* 10000 rows: progress every 4096 and at the end */
    size_t cap = 10001 * 80, len = 0;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    len += (size_t)snprintf(text + len, cap - len, "%s", HEADER);
    for (int i = 0; i < 10000; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                PLACE ",L%05d,项目,201,%s%09d,2024-01-01,2099-12-31\n", i,
                                i == 5000 ? "0012" : "0099", i);
    /* the hooks share one arg: one run for each */
    int checks = 0;
    struct progress p = {0};
    struct yb_cat_import_opts o = {.check_row = refuse_service, .partial = 1, .arg = &checks};
    struct yb_cat_import_result res;
    CU_ASSERT_EQUAL_FATAL(import_text(st, text, &o, &res), 0);
    CU_ASSERT_EQUAL(checks, 10000);
    CU_ASSERT_EQUAL(res.rejected, 1);
    CU_ASSERT_STRING_EQUAL(res.first_reject,
                           "line 5002: med_list_codg: 0012000005000 is not in the service "
                           "catalogue");
    CU_ASSERT_EQUAL(res.added, 9999);

    struct yb_cat_import_opts q = {.on_progress = on_progress, .arg = &p, .dry_run = 1};
    CU_ASSERT_EQUAL_FATAL(import_text(st, text, &q, &res), 0);
    CU_ASSERT_EQUAL(p.calls, 3);
    CU_ASSERT_EQUAL(p.rows, 10000);
    CU_ASSERT_EQUAL(p.total, len);
    CU_ASSERT_EQUAL(p.bytes, len);
    CU_ASSERT_EQUAL(res.same, 9999);
    CU_ASSERT_EQUAL(res.added, 1);
    free(text);
    yb_cat_store_close(st);
}

static void test_read_only_store_can_diff(void)
{
    const char *path = path_in("ro", "db");
    struct yb_cat_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    struct yb_cat_import_opts o = {0};
    struct yb_cat_import_result res;
    const char *text = HEADER PLACE ",F0001,导尿,201,001216000010100,2024-01-01,2099-12-31\n";
    CU_ASSERT_EQUAL_FATAL(import_text(st, text, &o, &res), 0);
    yb_cat_store_close(st);
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_RDONLY, &st, err, sizeof(err)), 0);
    struct yb_cat_import_opts dry = {.dry_run = 1};
    CU_ASSERT_EQUAL(import_text(st, text, &dry, &res), 0);
    CU_ASSERT_EQUAL(res.same, 1);
    CU_ASSERT_NOT_EQUAL(import_text(st, text, &o, &res), 0); /* a real import: refused */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "read-only"));
    yb_cat_store_close(st);
}

/* The indexes of the store file, in schema order, joined by spaces. */
static const char *index_names(const char *db_path)
{
    static char out[512];
    sqlite3 *db;
    sqlite3_stmt *q;
    out[0] = '\0';
    CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_prepare_v2(db,
                                       "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                       "sql IS NOT NULL ORDER BY rowid",
                                       -1, &q, NULL),
                    SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        size_t used = strlen(out);
        snprintf(out + used, sizeof(out) - used, "%s%s", used ? " " : "",
                 (const char *)sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
}

/* A big import into an empty store drops the secondary indexes and builds
 * them again before its commit, in their order; a rolled-back one gets
 * them back; either way the store answers as before. The threshold is
 * lowered so that a small file takes the path. */
static void test_bulk_import_rebuilds_indexes(void)
{
    char db_path[256];
    snprintf(db_path, sizeof(db_path), "%s", path_in("bulk", "db"));
    struct yb_cat_store *st;
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(db_path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    char before[512];
    snprintf(before, sizeof(before), "%s", index_names(db_path));
    CU_ASSERT_PTR_NOT_NULL(strstr(before, "national"));
    uint64_t saved = yb_cat_bulk_min_rows;
    yb_cat_bulk_min_rows = 10;
    static char text[65536];
    size_t used = (size_t)snprintf(text, sizeof(text), "%s", HEADER);
    for (int i = 0; i < 200; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used,
                                 PLACE ",B%03d,项目%d,201,001216000010100,2024-01-01,2099-12-31\n",
                                 i, i);
    /* one bad row at the end: all or nothing rolls the drop back too */
    snprintf(text + used, sizeof(text) - used, PLACE ",B999,坏,201,X,2024-02-30,2099-12-31\n");
    struct yb_cat_import_opts o = {.list_types = list_types};
    struct yb_cat_import_result res;
    CU_ASSERT_EQUAL_FATAL(import_text(st, text, &o, &res), 0);
    CU_ASSERT_EQUAL(res.committed, 0);
    CU_ASSERT_EQUAL(current_count(st), 0);
    CU_ASSERT_STRING_EQUAL(index_names(db_path), before);
    /* without the bad row: committed, indexes rebuilt in their order */
    text[used] = '\0';
    CU_ASSERT_EQUAL_FATAL(import_text(st, text, &o, &res), 0);
    CU_ASSERT_EQUAL(res.committed, 1);
    CU_ASSERT_EQUAL(res.added, 200);
    CU_ASSERT_EQUAL(current_count(st), 200);
    CU_ASSERT_STRING_EQUAL(index_names(db_path), before);
    struct got g = get(st, PLACE, "B123");
    CU_ASSERT_EQUAL(g.found, 1);
    CU_ASSERT_STRING_EQUAL(g.f[YB_CAT_MED_LIST_CODG], "001216000010100");
    yb_cat_bulk_min_rows = saved;
    yb_cat_store_close(st);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_csv_with_bom_case_and_quotes),
        YB_TEST(test_tsv_and_institution_default),
        YB_TEST(test_header_errors),
        YB_TEST(test_rejected_rows_commit_nothing),
        YB_TEST(test_partial_commits_the_good_rows),
        YB_TEST(test_unclosed_quote_at_end),
        YB_TEST(test_dry_run_then_import_then_reimport),
        YB_TEST(test_check_row_and_progress),
        YB_TEST(test_read_only_store_can_diff),
        YB_TEST(test_bulk_import_rebuilds_indexes),
        YB_TEST_END,
    };
    if (!mkdtemp(dir))
        return 2;
    int rc = yb_test_main("cat_import", tests);
    yb_test_remove_tree(dir);
    return rc;
}
