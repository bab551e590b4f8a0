/*
 * import_test.c - importing code tables (cs_import.c) and reading them back
 * (cs_db.c): CSV and TSV layouts, header aliases and flag columns, rejected
 * rows with their physical line numbers and reasons, versions that are
 * refused, rolled back, activated and loaded. The rules are a small
 * standard written by the test; every code and row here is synthetic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codeset.h"
#include "cs_internal.h"
#include "testutil.h"

static char dir[] = "/tmp/ybgw-import-test-XXXXXX";
static char rules_path[256], columns_path[256];
static struct yb_cs_rules *rules;
static char err[1024];

static const char rules_text[] = "standard \"测试标准\"\n"
                                 "kind t \"测试\"\n"
                                 "form plain \"测试码\" verified\n"
                                 "seg prefix T \"test\"\n"
                                 "seg num \\d{4} \"number\"\n"
                                 "seg mark? \\+\\d \"mark\" key=no\n"
                                 "kind u \"其他\"\n"
                                 "form other \"其他码\" verified\n"
                                 "seg prefix U \"other\"\n"
                                 "seg num \\d{2} \"number\"\n";

static const char columns_text[] = "field\theaders\n"
                                   "# the test layout\n"
                                   "code\t编码|代码|code\n"
                                   "name\t名称|name\n"
                                   "begin_date\t开始日期|begin_date\n"
                                   "end_date\t结束日期|end_date\n"
                                   "flags\tflags|flag:gray=是否灰码\n"
                                   "refs\t关联|refs|手术关联\n"
                                   "flag:review\t需复核\n";

static void path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* A fresh database path in the test directory. */
static const char *fresh_db(void)
{
    static char db[256];
    static int n;
    snprintf(db, sizeof(db), "%s/codes-%d.db", dir, ++n);
    return db;
}

/* An import of TEXT (written to NAME in the test directory) into DB. */
static struct yb_cs_import make_import(const char *db, const char *name, const char *text,
                                       const char *version)
{
    static char file[256];
    path_in(file, sizeof(file), name);
    yb_test_write_file(file, text);
    struct yb_cs_import imp = {.db_path = db,
                               .standard = "test",
                               .rules = rules,
                               .columns_path = columns_path,
                               .file = file,
                               .version = version,
                               .activate = 1};
    return imp;
}

static int run(const struct yb_cs_import *imp, struct yb_cs_import_result *res)
{
    err[0] = '\0';
    memset(res, 0, sizeof(*res));
    return yb_cs_import_file(imp, res, err, sizeof(err));
}

/* An import that should succeed; says why when it does not. */
static int run_ok(const struct yb_cs_import *imp, struct yb_cs_import_result *res)
{
    int rc = run(imp, res);
    if (rc)
        fprintf(stderr, "  (import: %s)\n", err);
    return rc;
}

static struct yb_cs_table *load(const char *db, const char *version, struct yb_cs_version *info)
{
    struct yb_cs_table *t = NULL;
    err[0] = '\0';
    int rc = yb_cs_db_load(db, "test", version, &t, info, err, sizeof(err));
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "  (load: %s)\n", err);
    return t;
}

static void test_csv_with_bom_quotes_dates_and_flags(void)
{
    const char *db = fresh_db();
    struct yb_cs_import imp = make_import(
        db, "basic.csv",
        "\xef\xbb\xbf"
        "CODE, 名称 ,开始日期,结束日期,是否灰码,关联,其他\r\n"
        "T0001,\"name, with \"\"quotes\"\"\",2024-01-01,2024/12/31,是,\"A00.000, B01.100\",x\r\n"
        "  T0002  ,\"  padded  \",20240101,,否,,\r\n"
        "U01,short other,2024/1/5 00:00:00,,Y,,\r\n"
        ",,,,,,\r\n",
        "v1");
    imp.sample = 1;
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 3);
    CU_ASSERT_EQUAL(res.rejected, 0);
    CU_ASSERT_STRING_EQUAL(res.version, "v1");
    char rejects[300];
    snprintf(rejects, sizeof(rejects), "%s.rejects", imp.file);
    CU_ASSERT_STRING_EQUAL(res.rejects_path, rejects);
    CU_ASSERT_EQUAL(access(rejects, F_OK), -1); /* no rejects, no file */

    struct yb_cs_version info;
    struct yb_cs_table *t = load(db, NULL, &info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(yb_cs_table_count(t), 3);
    const struct yb_cs_entry *e = yb_cs_table_find(t, "T0001", 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->kind, "t");
    CU_ASSERT_STRING_EQUAL(e->name, "name, with \"quotes\"");
    CU_ASSERT_EQUAL(e->begin_date, 20240101);
    CU_ASSERT_EQUAL(e->end_date, 20241231);
    CU_ASSERT_STRING_EQUAL(e->flags, "gray");
    CU_ASSERT_STRING_EQUAL(e->refs, "A00.000 B01.100");
    e = yb_cs_table_find(t, "T0002", 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->name, "padded");
    CU_ASSERT_EQUAL(e->end_date, 0);
    CU_ASSERT_STRING_EQUAL(e->flags, "");
    e = yb_cs_table_find(t, "U01", 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->kind, "u");
    CU_ASSERT_EQUAL(e->begin_date, 20240105);
    CU_ASSERT_STRING_EQUAL(e->flags, "gray");
    CU_ASSERT_STRING_EQUAL(info.version, "v1");
    CU_ASSERT_STRING_EQUAL(info.source, "basic.csv");
    CU_ASSERT_EQUAL(info.rows, 3);
    CU_ASSERT_EQUAL(info.rejected, 0);
    CU_ASSERT_EQUAL(info.sample, 1);
    CU_ASSERT_EQUAL(info.active, 1);
    CU_ASSERT_EQUAL(strlen(info.imported_at), 20); /* 2024-05-01T12:00:00Z */
    CU_ASSERT_EQUAL(info.imported_at[10], 'T');
    CU_ASSERT_EQUAL(info.imported_at[19], 'Z');
    yb_cs_table_free(t);
}

static void test_tsv_with_crlf_and_flag_words(void)
{
    const char *db = fresh_db();
    struct yb_cs_import imp =
        make_import(db, "layout.tsv",
                    "\xef\xbb\xbf"
                    "Code\t Name \tFLAGS\t是否灰码\trefs\t需复核\r\n"
                    "T0101\t\"quoted\" name, with comma\tx, y；z\t是\tA00.000,B01.000\ttrue\r\n"
                    "T0102\tplain\t\t否\t\r\n"
                    "T0103\tgray only\tgray\t1\t\r\n",
                    NULL);
    imp.activate = 1;
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 3);
    CU_ASSERT_EQUAL(strlen(res.version), 14); /* yyyymmddHHMMSS */
    struct yb_cs_version info;
    struct yb_cs_table *t = load(db, NULL, &info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(info.version, res.version);
    const struct yb_cs_entry *e = yb_cs_table_find(t, "T0101", 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->name, "\"quoted\" name, with comma"); /* TSV has no quoting */
    CU_ASSERT_STRING_EQUAL(e->flags, "x,y,z,gray,review");
    CU_ASSERT_STRING_EQUAL(e->refs, "A00.000 B01.000");
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0102", 5)->flags, "");
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0103", 5)->flags, "gray");
    yb_cs_table_free(t);
}

/* A disease list gives its diagnosis and its procedure codes in two columns;
 * both are references of the entry. */
static void test_refs_from_several_columns(void)
{
    const char *db = fresh_db();
    struct yb_cs_import imp = make_import(db, "two_refs.csv",
                                          "code,name,关联,手术关联\n"
                                          "T0201,both,A00.000,03.1x01 00.0100\n"
                                          "T0202,diagnosis only,B01.000,\n"
                                          "T0203,procedure only,,00.0200x001\n",
                                          NULL);
    imp.activate = 1;
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    struct yb_cs_version info;
    struct yb_cs_table *t = load(db, NULL, &info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0201", 5)->refs, "A00.000 03.1x01 00.0100");
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0202", 5)->refs, "B01.000");
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0203", 5)->refs, "00.0200x001");
    yb_cs_table_free(t);
}

static void test_title_line_and_alias_order(void)
{
    const char *db = fresh_db();
    /* a title above the header, as spreadsheet exports have; both 代码 and
     * 编码 are code aliases, and 编码 comes first in columns.tsv */
    struct yb_cs_import imp = make_import(db, "titled.csv",
                                          "测试代码表（合成数据）\n"
                                          "代码,编码,名称\n"
                                          "ignored,T0201,titled\n"
                                          "ignored,T02,bad\n",
                                          "v1");
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 1);
    CU_ASSERT_EQUAL(res.rejected, 1);
    char *rejects = yb_test_read_file(res.rejects_path);
    CU_ASSERT_PTR_NOT_NULL(yb_test_reject_line(rejects, 4));
    free(rejects);
    struct yb_cs_table *t = load(db, "v1", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL(yb_cs_table_find(t, "T0201", 5));
    yb_cs_table_free(t);
}

static void test_rejects_name_the_line_and_reason(void)
{
    const char *db = fresh_db();
    static const char csv[] = "编码,名称,开始日期,结束日期\n"          /* 1 */
                              "T0001,first,2024-01-01,\n"              /* 2 */
                              "T0002,\"multi\n"                        /* 3 */
                              "line name\",,\n"                        /* 4 */
                              "X0003,bad code,,\n"                     /* 5 */
                              "\n"                                     /* 6 */
                              "T0004,bad date,2024-02-30,\n"           /* 7 */
                              "T0005,reversed,2024-05-01,2024-01-01\n" /* 8 */
                              "T0001,duplicate,,\n"                    /* 9 */
                              "T0006,bad \xff utf8,,\n"                /* 10 */
                              "T0001+1,same key as line 2,,\n"         /* 11 */
                              "T0007+2,\"bad\n"                        /* 12 */
                              "multi\",2023-13-01,\n"                  /* 13 */
                              "T12,short,,\n"                          /* 14 */
                              "U01,other kind,,\n"                     /* 15 */
                              "T0008+3,\"x,y\",2024/1/5,20251231\n"    /* 16 */
                              "T0009,too,many,fields,here\n"           /* 17 */
                              "T0010,trailing empty fields,,,,\n";     /* 18 */
    struct yb_cs_import imp = make_import(db, "bad.csv", csv, "v1");
    char rejects_path[256];
    path_in(rejects_path, sizeof(rejects_path), "bad-rejects.txt");
    imp.rejects_path = rejects_path;
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 5);
    CU_ASSERT_EQUAL(res.rejected, 9);
    CU_ASSERT_STRING_EQUAL(res.rejects_path, rejects_path);
    char *rejects = yb_test_read_file(rejects_path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rejects);
    CU_ASSERT_EQUAL(rejects[0], '#');
    CU_ASSERT_PTR_NOT_NULL(strstr(rejects, "LINE<TAB>reason<TAB>"));
    CU_ASSERT_EQUAL(count_lines(rejects), 1 + 9);
    const char *l;
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 5)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "X0003"));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "\tX0003,bad code,,"));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 7)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "begin_date \"2024-02-30\" is not a date"));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 8)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "begin_date 2024-05-01 is after end_date 2024-01-01"));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 9)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "duplicate of line 2"));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 10)));
    char where[96];
    snprintf(where, sizeof(where), "invalid UTF-8 at byte 11 of the row (file offset %zu)",
             (size_t)(strchr(csv, '\xff') - csv));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, where));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 11)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "duplicate of line 2: code T0001"));
    /* the multi-line record is one reject, numbered by its first line,
     * its newline escaped */
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 12)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "begin_date \"2023-13-01\""));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "\tT0007+2,\"bad\\nmulti\",2023-13-01,"));
    CU_ASSERT_PTR_NULL(yb_test_reject_line(rejects, 13));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 14)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "code T12: "));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 17)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "has 5 fields but the header has 4"));
    free(rejects);

    struct yb_cs_version info;
    struct yb_cs_table *t = load(db, NULL, &info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(info.rows, 5);
    CU_ASSERT_EQUAL(info.rejected, 9);
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0001", 5)->name, "first");
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0002", 5)->name, "multi\nline name");
    /* key=no: T0008+3 is stored under its base */
    const struct yb_cs_entry *e = yb_cs_table_find(t, "T0008", 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->name, "x,y");
    CU_ASSERT_EQUAL(e->begin_date, 20240105);
    CU_ASSERT_EQUAL(e->end_date, 20251231);
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, "T0008+3", 7));
    CU_ASSERT_PTR_NOT_NULL(yb_cs_table_find(t, "U01", 3));
    CU_ASSERT_PTR_NOT_NULL(yb_cs_table_find(t, "T0010", 5));
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, "T0004", 5));
    yb_cs_table_free(t);
}

static void test_oversized_and_unclosed_records(void)
{
    const char *db = fresh_db();
    size_t big = 70 * 1024;
    char *csv = malloc(big + 4096);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    size_t n = (size_t)snprintf(csv, 4096, "编码,名称\nT0001,ok\nT0002,");
    memset(csv + n, 'n', big);
    n += big;
    n += (size_t)snprintf(csv + n, 4096, "\nT0003,after the long one\n");
    /* 65 fields */
    n += (size_t)snprintf(csv + n, 4096, "T0004");
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(csv + n, 4096, ",");
    n += (size_t)snprintf(csv + n, 4096, "\nT0005,\"open quote\nT0006,swallowed\n");
    struct yb_cs_import imp = make_import(db, "long.csv", csv, "v1");
    free(csv);
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 2);
    CU_ASSERT_EQUAL(res.rejected, 3);
    char *rejects = yb_test_read_file(res.rejects_path);
    const char *l;
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 3)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "longer than 64 KiB"));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 5)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "more than 64 fields"));
    CU_ASSERT_PTR_NOT_NULL((l = yb_test_reject_line(rejects, 6)));
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "quoted field opened on line 6 is not closed"));
    free(rejects);
    struct yb_cs_table *t = load(db, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL(yb_cs_table_find(t, "T0003", 5));
    yb_cs_table_free(t);
}

static void test_missing_code_column_imports_nothing(void)
{
    const char *db = fresh_db();
    struct yb_cs_import imp =
        make_import(db, "nocode.csv", "名称,开始日期\nsomething,2024-01-01\n", "v1");
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL(run(&imp, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no code column"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"名称\", \"开始日期\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"编码\", \"代码\", \"code\""));
    CU_ASSERT_EQUAL(res.rows, 0);
    CU_ASSERT_EQUAL(access(db, F_OK), -1); /* not even created */
    struct yb_cs_table *t = NULL;
    CU_ASSERT_EQUAL(yb_cs_db_load(db, "test", NULL, &t, NULL, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_PTR_NULL(t);

    /* an empty file, a header without rows, a missing file */
    imp = make_import(db, "empty.csv", "", "v1");
    CU_ASSERT_EQUAL(run(&imp, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));
    imp.file = "/nonexistent/table.csv";
    CU_ASSERT_EQUAL(run(&imp, &res), YB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/table.csv"));
    /* a bad columns.tsv names its line */
    char bad_columns[256];
    path_in(bad_columns, sizeof(bad_columns), "bad-columns.tsv");
    yb_test_write_file(bad_columns, "field\theaders\ncode\t编码\ncdoe\tcode\n");
    imp = make_import(db, "ok.csv", "编码\nT0001\n", "v1");
    imp.columns_path = bad_columns;
    CU_ASSERT_EQUAL(run(&imp, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad-columns.tsv:3: unknown field \"cdoe\""));
    /* a GBK header */
    imp = make_import(db, "gbk.csv", "\xb1\xe0\xc2\xeb,name\nT0001,x\n", "v1");
    CU_ASSERT_EQUAL(run(&imp, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not UTF-8"));
    CU_ASSERT_EQUAL(access(db, F_OK), -1);

    /* a header without rows is an empty version (a header-only sample) */
    imp = make_import(db, "header.csv", "编码,名称\n\n", "v1");
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 0);
    struct yb_cs_version info;
    t = load(db, NULL, &info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(yb_cs_table_count(t), 0);
    CU_ASSERT_EQUAL(info.rows, 0);
    yb_cs_table_free(t);
}

static void test_all_rows_rejected_is_an_error(void)
{
    const char *db = fresh_db();
    struct yb_cs_import imp = make_import(db, "allbad.csv", "编码\nX1\nT1\n", "v1");
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL(run(&imp, &res), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no row of"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "2 rejected"));
    char rejects[300];
    snprintf(rejects, sizeof(rejects), "%s.rejects", imp.file);
    char *text = yb_test_read_file(rejects); /* kept: it says why */
    CU_ASSERT_PTR_NOT_NULL(text);
    CU_ASSERT_EQUAL(count_lines(text), 3);
    free(text);
    struct yb_cs_table *t = NULL;
    CU_ASSERT_EQUAL(yb_cs_db_load(db, "test", NULL, &t, NULL, err, sizeof(err)), YB_ENOENT);
}

static void test_failure_after_rows_rolls_back(void)
{
    const char *db = fresh_db();
    struct yb_cs_import imp = make_import(db, "rollback.csv", "编码\nT0001\nbad\nT0002\n", "v1");
    imp.rejects_path = "/nonexistent/dir/rejects.txt"; /* the reject cannot be written */
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL(run(&imp, &res), YB_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dir/rejects.txt"));
    struct yb_cs_table *t = NULL;
    CU_ASSERT_EQUAL(yb_cs_db_load(db, "test", "v1", &t, NULL, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_PTR_NULL(t);
    /* the same version imports fine afterwards: nothing was left behind */
    imp.rejects_path = NULL;
    CU_ASSERT_EQUAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(res.rows, 2);
}

struct listing {
    char versions[8][64];
    int active[8];
    int n;
};

static void list_version(void *arg, const char *standard, const struct yb_cs_version *v)
{
    struct listing *l = arg;
    if (l->n < 8 && strcmp(standard, "test") == 0) {
        snprintf(l->versions[l->n], sizeof(l->versions[0]), "%s", v->version);
        l->active[l->n++] = v->active;
    }
}

static void test_versions_and_activation(void)
{
    const char *db = fresh_db();
    struct yb_cs_import_result res;
    struct yb_cs_import imp = make_import(db, "v1.csv", "编码,名称\nT0001,one\n", "v1");
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    imp = make_import(db, "v2.csv", "编码,名称\nT0001,one again\nT0002,two\n", "v2");
    imp.activate = 0;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);

    /* a version name is used once */
    imp = make_import(db, "v1b.csv", "编码,名称\nT0009,nine\n", "v1");
    CU_ASSERT_EQUAL(run(&imp, &res), YB_EEXIST);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "version v1 of test exists; choose another --version"));

    struct yb_cs_version info;
    struct yb_cs_table *t = load(db, NULL, &info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(info.version, "v1");
    CU_ASSERT_EQUAL(yb_cs_table_count(t), 1);
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, "T0009", 5));
    yb_cs_table_free(t);

    CU_ASSERT_EQUAL(yb_cs_db_activate(db, "test", "v2", err, sizeof(err)), 0);
    t = load(db, NULL, &info);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(info.version, "v2");
    CU_ASSERT_EQUAL(info.active, 1);
    CU_ASSERT_EQUAL(yb_cs_table_count(t), 2);
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0001", 5)->name, "one again");
    yb_cs_table_free(t);

    t = load(db, "v1", &info); /* a pinned version */
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(info.active, 0);
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0001", 5)->name, "one");
    yb_cs_table_free(t);

    struct listing l = {.n = 0};
    CU_ASSERT_EQUAL(yb_cs_db_versions(db, "test", list_version, &l, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 2);
    CU_ASSERT_STRING_EQUAL(l.versions[0], "v2"); /* newest first */
    CU_ASSERT_EQUAL(l.active[0], 1);
    CU_ASSERT_STRING_EQUAL(l.versions[1], "v1");
    CU_ASSERT_EQUAL(l.active[1], 0);
    l.n = 0;
    CU_ASSERT_EQUAL(yb_cs_db_versions(db, NULL, list_version, &l, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(l.n, 2);
    l.n = 0;
    CU_ASSERT_EQUAL(yb_cs_db_versions(db, "other", list_version, &l, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(l.n, 0);

    CU_ASSERT_EQUAL(yb_cs_db_activate(db, "test", "v9", err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no version v9 of test"));
    CU_ASSERT_EQUAL(yb_cs_db_activate(db, "test", "v1", err, sizeof(err)), 0);
    t = load(db, NULL, &info);
    CU_ASSERT_STRING_EQUAL(info.version, "v1");
    yb_cs_table_free(t);

    /* nothing there */
    t = NULL;
    CU_ASSERT_EQUAL(yb_cs_db_load(db, "other", NULL, &t, NULL, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no active version of other"));
    CU_ASSERT_EQUAL(yb_cs_db_load(db, "test", "v9", &t, NULL, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_PTR_NULL(t);
    const char *missing = "/nonexistent/codes.db";
    CU_ASSERT_EQUAL(yb_cs_db_load(missing, "test", NULL, &t, NULL, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_cs_db_versions(missing, NULL, list_version, &l, err, sizeof(err)),
                    YB_ENOENT);
    CU_ASSERT_EQUAL(yb_cs_db_activate(missing, "test", "v1", err, sizeof(err)), YB_ENOENT);
}

struct check_log {
    int calls;
    char seen_key[16];
};

static int refuse_bad_names(void *arg, const struct yb_cs_entry *e, char *reason, size_t cap)
{
    struct check_log *log = arg;
    log->calls++;
    if (strcmp(e->name, "marked") == 0)
        snprintf(log->seen_key, sizeof(log->seen_key), "%s", e->code);
    if (strstr(e->name, "bad")) {
        snprintf(reason, cap, "the row check refuses %s", e->code);
        return 1;
    }
    return 0;
}

struct progress_log {
    int calls;
    uint64_t rows, rejected;
};

static void on_progress(void *arg, uint64_t rows, uint64_t rejected, double seconds)
{
    struct progress_log *p = arg;
    p->calls++;
    p->rows = rows;
    p->rejected = rejected;
}

static void test_row_check_and_progress(void)
{
    const char *db = fresh_db();
    struct check_log log = {0};
    struct progress_log prog = {0};
    struct yb_cs_import imp = make_import(
        db, "checked.csv", "编码,名称\nT0401+5,marked\nT0402,bad one\nT0403,fine\n", "v1");
    imp.row_check = refuse_bad_names;
    imp.row_check_arg = &log;
    imp.progress = on_progress;
    imp.progress_arg = &prog;
    struct yb_cs_import_result res;
    CU_ASSERT_EQUAL_FATAL(run_ok(&imp, &res), 0);
    CU_ASSERT_EQUAL(log.calls, 3);
    CU_ASSERT_STRING_EQUAL(log.seen_key, "T0401"); /* the key, not the code as written */
    CU_ASSERT_EQUAL(res.rows, 2);
    CU_ASSERT_EQUAL(res.rejected, 1);
    char *rejects = yb_test_read_file(res.rejects_path);
    const char *l = yb_test_reject_line(rejects, 3);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "the row check refuses T0402"));
    free(rejects);
    CU_ASSERT(prog.calls >= 1);
    CU_ASSERT_EQUAL(prog.rows, 2);
    CU_ASSERT_EQUAL(prog.rejected, 1);
}

static void test_batches_in_key_order_and_duplicates_across_them(void)
{
    const char *db = fresh_db();
    struct yb_cs_import imp = make_import(db, "batches.csv",
                                          "编码,名称\n"
                                          "T0005,five\n"
                                          "T0001,one\n"
                                          "T0004,four\n"
                                          "T0002,two\n"
                                          "T0003,three\n"
                                          "T0001+2,same key as line 3\n"
                                          "T0004,again\n",
                                          "v1");
    size_t saved = yb_cs_import_batch_rows;
    yb_cs_import_batch_rows = 2; /* the first rows are in the database by the end */
    struct yb_cs_import_result res;
    int rc = run_ok(&imp, &res);
    yb_cs_import_batch_rows = saved;
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(res.rows, 5);
    CU_ASSERT_EQUAL(res.rejected, 2);
    char *rejects = yb_test_read_file(res.rejects_path);
    const char *l = yb_test_reject_line(rejects, 7);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "duplicate of line 3"));
    l = yb_test_reject_line(rejects, 8);
    CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "duplicate of line 4"));
    free(rejects);
    struct yb_cs_table *t = load(db, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(yb_cs_table_count(t), 5);
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0001", 5)->name, "one");
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0004", 5)->name, "four");
    yb_cs_table_free(t);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_csv_with_bom_quotes_dates_and_flags),
        YB_TEST(test_tsv_with_crlf_and_flag_words),
        YB_TEST(test_refs_from_several_columns),
        YB_TEST(test_title_line_and_alias_order),
        YB_TEST(test_rejects_name_the_line_and_reason),
        YB_TEST(test_oversized_and_unclosed_records),
        YB_TEST(test_missing_code_column_imports_nothing),
        YB_TEST(test_all_rows_rejected_is_an_error),
        YB_TEST(test_failure_after_rows_rolls_back),
        YB_TEST(test_versions_and_activation),
        YB_TEST(test_row_check_and_progress),
        YB_TEST(test_batches_in_key_order_and_duplicates_across_them),
        YB_TEST_END,
    };
    if (!mkdtemp(dir))
        return 2;
    path_in(rules_path, sizeof(rules_path), "rules.conf");
    path_in(columns_path, sizeof(columns_path), "columns.tsv");
    FILE *f = fopen(rules_path, "w");
    FILE *g = fopen(columns_path, "w");
    if (!f || !g)
        return 2;
    fputs(rules_text, f);
    fputs(columns_text, g);
    fclose(f);
    fclose(g);
    rules = yb_cs_rules_load(rules_path, dir, err, sizeof(err));
    if (!rules) {
        fprintf(stderr, "rules: %s\n", err);
        return 2;
    }
    int rc = yb_test_main("cs_import", tests);
    yb_cs_rules_free(rules);
    yb_test_remove_tree(dir);
    return rc;
}
