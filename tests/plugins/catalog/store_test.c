/*
 * store_test.c - the mapping store (cat_store.c) and the row check
 * (cat_row.c): creating and opening a store, put (added, same, changed with
 * the closed history row), revoke, sync states, the iterators and counts,
 * a newer schema refused, a read-only store refusing writes, and every rule
 * of yb_cat_row_check with the field its message names. Codes are
 * synthetic.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "testutil.h"

static char dir[] = "/tmp/ybgw-cat-store-test-XXXXXX";
static char err[1024];
static int serial;

#define PLACE "H45019900055"
#define OTHER "H45019900066"

/* A fresh store path in the test directory. */
static const char *new_path(void)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/store%d.db", dir, ++serial);
    return path;
}

static struct yb_cat_store *new_store(void)
{
    struct yb_cat_store *st = NULL;
    int rc = yb_cat_store_open(new_path(), YB_CAT_CREATE, &st, err, sizeof(err));
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "open: %s\n", err);
    return st;
}

static struct yb_cat_row make_row(const char *place, const char *local, const char *national,
                                  const char *name)
{
    struct yb_cat_row r;
    memset(&r, 0, sizeof(r));
    r.f[YB_CAT_FIXMEDINS_CODE] = place;
    r.f[YB_CAT_HILIST_ID] = local;
    r.f[YB_CAT_HILIST_NAME] = name;
    r.f[YB_CAT_LIST_TYPE] = "201";
    r.f[YB_CAT_MED_LIST_CODG] = national;
    r.f[YB_CAT_BEGNDATE] = "2024-01-01";
    r.f[YB_CAT_ENDDATE] = "2099-12-31";
    return r;
}

static const struct yb_cat_who who1 = {"import by alice", "import a.csv", NULL,
                                       "2024-05-01 10:00:00"};
static const struct yb_cat_who who2 = {"张三", "3301", "H45019900055202405021200000001",
                                       "2024-05-02 12:00:00"};

/* ---- collecting what an iterator hands out -------------------------------- */

#define MAX_SEEN 16
struct seen {
    int n;
    int64_t id[MAX_SEEN];
    char local[MAX_SEEN][32], national[MAX_SEEN][64], name[MAX_SEEN][64];
    char closed_reason[MAX_SEEN][16], closed_by[MAX_SEEN][32], closed_at[MAX_SEEN][20];
    char closed_msgid[MAX_SEEN][40], changed_by[MAX_SEEN][32], changed_at[MAX_SEEN][20];
    char begndate[MAX_SEEN][12], sync_msgid[MAX_SEEN][40], sync_detail[MAX_SEEN][64];
    int current[MAX_SEEN], sync[MAX_SEEN];
};

static int collect(const struct yb_cat_record *rec, void *arg)
{
    struct seen *s = arg;
    if (s->n == MAX_SEEN)
        return 1;
    int i = s->n++;
    s->id[i] = rec->id;
    snprintf(s->local[i], sizeof(s->local[i]), "%s", rec->row.f[YB_CAT_HILIST_ID]);
    snprintf(s->national[i], sizeof(s->national[i]), "%s", rec->row.f[YB_CAT_MED_LIST_CODG]);
    snprintf(s->name[i], sizeof(s->name[i]), "%s", rec->row.f[YB_CAT_HILIST_NAME]);
    snprintf(s->begndate[i], sizeof(s->begndate[i]), "%s", rec->row.f[YB_CAT_BEGNDATE]);
    snprintf(s->closed_reason[i], sizeof(s->closed_reason[i]), "%s", rec->closed_reason);
    snprintf(s->closed_by[i], sizeof(s->closed_by[i]), "%s", rec->closed_by);
    snprintf(s->closed_at[i], sizeof(s->closed_at[i]), "%s", rec->closed_at);
    snprintf(s->closed_msgid[i], sizeof(s->closed_msgid[i]), "%s", rec->closed_msgid);
    snprintf(s->changed_by[i], sizeof(s->changed_by[i]), "%s", rec->changed_by);
    snprintf(s->changed_at[i], sizeof(s->changed_at[i]), "%s", rec->changed_at);
    snprintf(s->sync_msgid[i], sizeof(s->sync_msgid[i]), "%s", rec->sync_msgid);
    snprintf(s->sync_detail[i], sizeof(s->sync_detail[i]), "%s", rec->sync_detail);
    s->current[i] = rec->current;
    s->sync[i] = rec->sync;
    return 0;
}

static struct seen history(struct yb_cat_store *st, const char *place, const char *local)
{
    struct seen s;
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_history(st, place, local, collect, &s), 0);
    return s;
}

/* ---- the store ------------------------------------------------------------- */

static void test_open_creates_a_wal_store(void)
{
    struct yb_cat_store *st = NULL;
    const char *path = new_path();
    CU_ASSERT_EQUAL(yb_cat_store_open(path, YB_CAT_RDWR, &st, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_PTR_NULL(st);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no such file"));
    CU_ASSERT_EQUAL(yb_cat_store_open(path, YB_CAT_RDONLY, &st, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    yb_cat_store_close(st);

    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
    CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(s, 0), 1);
    sqlite3_finalize(s);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
    CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_ROW);
    CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_prepare_v2(db,
                       "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                       "name = 'catalog_mapping_current' AND sql LIKE '%UNIQUE%closed_at IS NULL%'",
                       -1, &s, NULL);
    CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(s, 0), 1);
    sqlite3_finalize(s);
    sqlite3_close(db);

    /* opened again, read-only and read-write */
    CU_ASSERT_EQUAL(yb_cat_store_open(path, YB_CAT_RDONLY, &st, err, sizeof(err)), 0);
    yb_cat_store_close(st);
    CU_ASSERT_EQUAL(yb_cat_store_open(path, YB_CAT_RDWR, &st, err, sizeof(err)), 0);
    yb_cat_store_close(st);
}

static void test_newer_schema_is_refused(void)
{
    const char *path = new_path();
    struct yb_cat_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    yb_cat_store_close(st);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    st = NULL;
    CU_ASSERT_EQUAL(yb_cat_store_open(path, YB_CAT_RDWR, &st, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NULL(st);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema version 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "newer"));
    CU_ASSERT_EQUAL(yb_cat_store_open(path, YB_CAT_RDONLY, &st, err, sizeof(err)), YB_EINVAL);

    /* not a database at all */
    const char *junk = new_path();
    FILE *f = fopen(junk, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("this is not an SQLite file, it is long enough to have a header............\n", f);
    fclose(f);
    CU_ASSERT_NOT_EQUAL(yb_cat_store_open(junk, YB_CAT_RDWR, &st, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NULL(st);
}

static void test_put_added_same_changed(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_row r = make_row(PLACE, "F0001", "001216000010100", "导尿");
    r.f[YB_CAT_BEGNDATE] = "20240101"; /* stored as 2024-01-01 */
    int outcome = -1;
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who1, &outcome), 0);
    CU_ASSERT_EQUAL(outcome, YB_CAT_ADDED);

    r.f[YB_CAT_BEGNDATE] = "2024-01-01";
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who2, &outcome), 0);
    CU_ASSERT_EQUAL(outcome, YB_CAT_SAME);
    struct seen h = history(st, PLACE, "F0001");
    CU_ASSERT_EQUAL_FATAL(h.n, 1);
    CU_ASSERT_STRING_EQUAL(h.begndate[0], "2024-01-01");
    CU_ASSERT_STRING_EQUAL(h.changed_by[0], "import by alice"); /* SAME wrote nothing */
    CU_ASSERT_STRING_EQUAL(h.changed_at[0], "2024-05-01 10:00:00");
    CU_ASSERT_TRUE(h.current[0]);

    r.f[YB_CAT_HILIST_NAME] = "导尿(留置导尿)";
    r.f[YB_CAT_MEMO] = "名称改了";
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who2, &outcome), 0);
    CU_ASSERT_EQUAL(outcome, YB_CAT_CHANGED);
    h = history(st, PLACE, "F0001");
    CU_ASSERT_EQUAL_FATAL(h.n, 2);
    CU_ASSERT_TRUE(h.id[0] > h.id[1]); /* newest first */
    CU_ASSERT_TRUE(h.current[0]);
    CU_ASSERT_STRING_EQUAL(h.name[0], "导尿(留置导尿)");
    CU_ASSERT_STRING_EQUAL(h.changed_by[0], "张三");
    CU_ASSERT_STRING_EQUAL(h.changed_at[0], "2024-05-02 12:00:00");
    CU_ASSERT_STRING_EQUAL(h.closed_reason[0], "");
    CU_ASSERT_FALSE(h.current[1]);
    CU_ASSERT_STRING_EQUAL(h.name[1], "导尿");
    CU_ASSERT_STRING_EQUAL(h.closed_reason[1], "changed");
    CU_ASSERT_STRING_EQUAL(h.closed_by[1], "张三");
    CU_ASSERT_STRING_EQUAL(h.closed_at[1], "2024-05-02 12:00:00");
    CU_ASSERT_STRING_EQUAL(h.closed_msgid[1], "H45019900055202405021200000001");

    /* an optional field going away is a change too; at = NULL means now */
    r.f[YB_CAT_MEMO] = NULL;
    struct yb_cat_who now_who = {"ybgwctl", "import b.csv", NULL, NULL};
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &now_who, &outcome), 0);
    CU_ASSERT_EQUAL(outcome, YB_CAT_CHANGED);
    h = history(st, PLACE, "F0001");
    CU_ASSERT_EQUAL_FATAL(h.n, 3);
    CU_ASSERT_EQUAL(strlen(h.changed_at[0]), 19);
    CU_ASSERT_EQUAL(h.changed_at[0][4], '-');
    CU_ASSERT_EQUAL(h.changed_at[0][13], ':');
    CU_ASSERT_STRING_EQUAL(h.closed_at[1], h.changed_at[0]);

    /* another institution's same local code is another key */
    struct yb_cat_row o = make_row(OTHER, "F0001", "001216000010100", "导尿");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &o, YB_CAT_UNSYNCED, &who1, &outcome), 0);
    CU_ASSERT_EQUAL(outcome, YB_CAT_ADDED);
    /* no key: refused */
    o.f[YB_CAT_HILIST_ID] = "";
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &o, YB_CAT_UNSYNCED, &who1, &outcome), YB_EINVAL);
    yb_cat_store_close(st);
}

static void test_sync_state_only_improves_on_same(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_row r = make_row(PLACE, "Y0001", "XA01ABD075A002010100483", "示例西药");
    int outcome;
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who1, &outcome), 0);
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_SYNCED, &who2, &outcome), 0);
    CU_ASSERT_EQUAL(outcome, YB_CAT_SAME);
    struct seen h = history(st, PLACE, "Y0001");
    CU_ASSERT_EQUAL_FATAL(h.n, 1);
    CU_ASSERT_EQUAL(h.sync[0], YB_CAT_SYNCED);
    CU_ASSERT_STRING_EQUAL(h.sync_msgid[0], who2.msgid);
    CU_ASSERT_STRING_EQUAL(h.changed_by[0], "import by alice");
    /* a worse state does not overwrite it */
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who1, &outcome), 0);
    h = history(st, PLACE, "Y0001");
    CU_ASSERT_EQUAL(h.n, 1);
    CU_ASSERT_EQUAL(h.sync[0], YB_CAT_SYNCED);
    yb_cat_store_close(st);
}

static void test_revoke(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_row r = make_row(PLACE, "H0001", "C01020100100000000000000001", "示例耗材");
    r.f[YB_CAT_LIST_TYPE] = "301";
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_SYNCED, &who1, NULL), 0);
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "H0002", NULL, NULL, &who2), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "H0001", "201", NULL, &who2), YB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(yb_cat_store_error(st), "list_type 301"));
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "H0001", "301", "C0102", &who2), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, OTHER, "H0001", NULL, NULL, &who2), YB_ENOENT);
    CU_ASSERT_EQUAL(
        yb_cat_store_revoke(st, PLACE, "H0001", "301", "C01020100100000000000000001", &who2), 0);
    struct seen h = history(st, PLACE, "H0001");
    CU_ASSERT_EQUAL_FATAL(h.n, 1);
    CU_ASSERT_FALSE(h.current[0]);
    CU_ASSERT_STRING_EQUAL(h.closed_reason[0], "revoked");
    CU_ASSERT_STRING_EQUAL(h.closed_by[0], "张三");
    CU_ASSERT_STRING_EQUAL(h.closed_at[0], "2024-05-02 12:00:00");
    CU_ASSERT_STRING_EQUAL(h.closed_msgid[0], who2.msgid);
    /* twice: nothing current any more */
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "H0001", "", "", &who2), YB_ENOENT);
    /* and mapped again afterwards */
    int outcome;
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who1, &outcome), 0);
    CU_ASSERT_EQUAL(outcome, YB_CAT_ADDED);
    h = history(st, PLACE, "H0001");
    CU_ASSERT_EQUAL(h.n, 2);
    CU_ASSERT_TRUE(h.current[0]);
    yb_cat_store_close(st);
}

static void test_set_sync(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct yb_cat_row r = make_row(PLACE, "F0002", "001216000010200", "留置针");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who1, NULL), 0);
    CU_ASSERT_EQUAL(yb_cat_store_set_sync(st, PLACE, "F0002", "001216000010200", YB_CAT_REJECTED,
                                          "MSG1", "目录编码不存在"),
                    0);
    struct seen h = history(st, PLACE, "F0002");
    CU_ASSERT_EQUAL(h.sync[0], YB_CAT_REJECTED);
    CU_ASSERT_STRING_EQUAL(h.sync_msgid[0], "MSG1");
    CU_ASSERT_STRING_EQUAL(h.sync_detail[0], "目录编码不存在");
    CU_ASSERT_EQUAL(
        yb_cat_store_set_sync(st, PLACE, "F0002", "001216000010200", YB_CAT_SYNCED, "MSG2", NULL),
        0);
    h = history(st, PLACE, "F0002");
    CU_ASSERT_EQUAL(h.sync[0], YB_CAT_SYNCED);
    CU_ASSERT_STRING_EQUAL(h.sync_detail[0], "");

    /* the national code changed after the 3301 was sent: left alone */
    r.f[YB_CAT_MED_LIST_CODG] = "001216000010300";
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who1, NULL), 0);
    CU_ASSERT_EQUAL(
        yb_cat_store_set_sync(st, PLACE, "F0002", "001216000010200", YB_CAT_SYNCED, "MSG3", NULL),
        YB_ENOENT);
    h = history(st, PLACE, "F0002");
    CU_ASSERT_EQUAL(h.sync[0], YB_CAT_UNSYNCED);
    CU_ASSERT_EQUAL(
        yb_cat_store_set_sync(st, PLACE, "F9999", "001216000010200", YB_CAT_SYNCED, "MSG3", NULL),
        YB_ENOENT);
    CU_ASSERT_EQUAL(yb_cat_store_set_sync(st, PLACE, "F0002", "001216000010300", 7, "M", NULL),
                    YB_EINVAL);
    yb_cat_store_close(st);
}

static void put_ok(struct yb_cat_store *st, const char *place, const char *local,
                   const char *national, int sync)
{
    struct yb_cat_row r = make_row(place, local, national, "项目");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, sync, &who1, NULL), 0);
}

static int stop_at_first(const struct yb_cat_record *rec, void *arg)
{
    (*(int *)arg)++;
    return 42;
}

static void test_iterators_and_counts(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const char *n1 = "001216000010100", *n2 = "001216000010200";
    put_ok(st, OTHER, "B1", n1, YB_CAT_UNSYNCED);
    put_ok(st, PLACE, "A6", n2, YB_CAT_UNSYNCED);
    put_ok(st, PLACE, "A1", n1, YB_CAT_UNSYNCED);
    put_ok(st, PLACE, "A2", n1, YB_CAT_SYNCED);
    put_ok(st, PLACE, "A3", n2, YB_CAT_UNSYNCED);
    put_ok(st, PLACE, "A4", n2, YB_CAT_UNSYNCED);
    put_ok(st, PLACE, "A5", n2, YB_CAT_UNSYNCED);
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "A3", NULL, NULL, &who2), 0);
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "A4", NULL, NULL, &who2), 0);
    put_ok(st, PLACE, "A4", n2, YB_CAT_UNSYNCED); /* mapped again */
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "A5", NULL, NULL, &who2), 0);
    put_ok(st, PLACE, "A5", n1, YB_CAT_UNSYNCED);
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, PLACE, "A5", NULL, NULL, &who2), 0);
    put_ok(st, PLACE, "A6", n1, YB_CAT_UNSYNCED); /* changed: two rows */

    struct seen s;
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_current(st, NULL, collect, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    const char *order[] = {"A1", "A2", "A4", "A6", "B1"}; /* by institution, then local */
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_STRING_EQUAL(s.local[i], order[i]);
        CU_ASSERT_TRUE(s.current[i]);
    }
    CU_ASSERT_STRING_EQUAL(s.national[3], n1); /* A6's new row */
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_current(st, PLACE, collect, &s), 0);
    CU_ASSERT_EQUAL(s.n, 4);

    /* latest: the current rows, and the last row of each revoked key, once */
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_latest(st, NULL, collect, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 7);
    int a3 = 0, a5 = 0, a4 = 0;
    for (int i = 0; i < s.n; i++) {
        if (strcmp(s.local[i], "A3") == 0) {
            a3++;
            CU_ASSERT_FALSE(s.current[i]);
            CU_ASSERT_STRING_EQUAL(s.closed_reason[i], "revoked");
        } else if (strcmp(s.local[i], "A5") == 0) {
            a5++;
            CU_ASSERT_FALSE(s.current[i]);
            CU_ASSERT_STRING_EQUAL(s.national[i], n1); /* the second revoked row */
        } else if (strcmp(s.local[i], "A4") == 0) {
            a4++;
            CU_ASSERT_TRUE(s.current[i]);
        } else {
            CU_ASSERT_TRUE(s.current[i]);
        }
    }
    CU_ASSERT_EQUAL(a3, 1);
    CU_ASSERT_EQUAL(a4, 1);
    CU_ASSERT_EQUAL(a5, 1);
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_latest(st, OTHER, collect, &s), 0);
    CU_ASSERT_EQUAL(s.n, 1);

    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_national(st, NULL, n1, collect, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4); /* A1 A2 A6 and B1 */
    CU_ASSERT_STRING_EQUAL(s.local[0], "A1");
    CU_ASSERT_STRING_EQUAL(s.local[3], "B1");
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_national(st, PLACE, n2, collect, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_STRING_EQUAL(s.local[0], "A4");

    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_sync(st, PLACE, YB_CAT_UNSYNCED, collect, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3); /* A1, A4 (again), A6 (new), oldest first */
    CU_ASSERT_STRING_EQUAL(s.local[0], "A1");
    CU_ASSERT_STRING_EQUAL(s.local[1], "A4");
    CU_ASSERT_STRING_EQUAL(s.local[2], "A6");
    CU_ASSERT_TRUE(s.id[0] < s.id[1] && s.id[1] < s.id[2]);
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_cat_store_each_sync(st, NULL, YB_CAT_SYNCED, collect, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_STRING_EQUAL(s.local[0], "A2");

    struct yb_cat_counts c;
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, NULL, &c), 0);
    CU_ASSERT_EQUAL(c.current, 5);
    CU_ASSERT_EQUAL(c.revoked, 2);
    CU_ASSERT_EQUAL(c.closed, 5); /* A3, A4, A5 twice, A6's first row */
    CU_ASSERT_EQUAL(c.unsynced, 4);
    CU_ASSERT_EQUAL(c.synced, 1);
    CU_ASSERT_EQUAL(c.rejected, 0);
    CU_ASSERT_EQUAL(c.institutions, 2);
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, PLACE, &c), 0);
    CU_ASSERT_EQUAL(c.current, 4);
    CU_ASSERT_EQUAL(c.revoked, 2);
    CU_ASSERT_EQUAL(c.unsynced, 3);
    CU_ASSERT_EQUAL(c.institutions, 1);
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, "H00000000000", &c), 0);
    CU_ASSERT_EQUAL(c.current + c.closed + c.institutions, 0);

    /* a callback's non-zero answer stops the walk and is returned */
    int calls = 0;
    CU_ASSERT_EQUAL(yb_cat_store_each_current(st, NULL, stop_at_first, &calls), 42);
    CU_ASSERT_EQUAL(calls, 1);
    yb_cat_store_close(st);
}

static void test_read_only_store_refuses_writes(void)
{
    const char *path = new_path();
    struct yb_cat_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    put_ok(st, PLACE, "F0001", "001216000010100", YB_CAT_UNSYNCED);
    yb_cat_store_close(st);
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_RDONLY, &st, err, sizeof(err)), 0);
    struct yb_cat_row r = make_row(PLACE, "F0002", "001216000010200", "项目");
    CU_ASSERT_NOT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who1, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(yb_cat_store_error(st), "read-only"));
    CU_ASSERT_NOT_EQUAL(yb_cat_store_begin(st), 0);
    CU_ASSERT_NOT_EQUAL(yb_cat_store_revoke(st, PLACE, "F0001", NULL, NULL, &who1), 0);
    CU_ASSERT_NOT_EQUAL(
        yb_cat_store_set_sync(st, PLACE, "F0001", "001216000010100", YB_CAT_SYNCED, "M", NULL), 0);
    struct yb_cat_counts c;
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, NULL, &c), 0);
    CU_ASSERT_EQUAL(c.current, 1);
    yb_cat_store_close(st);
}

static void test_transaction_rollback(void)
{
    struct yb_cat_store *st = new_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_begin(st), 0);
    put_ok(st, PLACE, "F0001", "001216000010100", YB_CAT_UNSYNCED);
    CU_ASSERT_EQUAL(yb_cat_store_rollback(st), 0);
    struct yb_cat_counts c;
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, NULL, &c), 0);
    CU_ASSERT_EQUAL(c.current, 0);
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_begin(st), 0);
    put_ok(st, PLACE, "F0001", "001216000010100", YB_CAT_UNSYNCED);
    CU_ASSERT_EQUAL(yb_cat_store_commit(st), 0);
    CU_ASSERT_EQUAL(yb_cat_store_counts(st, NULL, &c), 0);
    CU_ASSERT_EQUAL(c.current, 1);
    yb_cat_store_close(st);
}

/* ---- the row check ----------------------------------------------------------- */

static int check(const struct yb_cat_row *r, const char *const *types)
{
    err[0] = '\0';
    return yb_cat_row_check(r, types, err, sizeof(err));
}

/* ERR starts with "FIELD: " */
static int names_field(const char *field)
{
    size_t n = strlen(field);
    return strncmp(err, field, n) == 0 && err[n] == ':';
}

static void test_row_check_required_fields(void)
{
    struct yb_cat_row r = make_row(PLACE, "F0001", "001216000010100", "导尿");
    CU_ASSERT_EQUAL(check(&r, NULL), 0);
    for (int i = 0; i <= YB_CAT_ENDDATE; i++) {
        struct yb_cat_row m = r;
        m.f[i] = i % 2 ? NULL : "";
        CU_ASSERT_EQUAL(check(&m, NULL), YB_EINVAL);
        CU_ASSERT_TRUE(names_field(yb_cat_field_names[i]));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing"));
    }
    CU_ASSERT_STRING_EQUAL(yb_cat_field_names[YB_CAT_HILIST_ID], "fixmedins_hilist_id");
    CU_ASSERT_STRING_EQUAL(yb_cat_field_names[YB_CAT_MEMO], "memo");
    CU_ASSERT_EQUAL(yb_cat_field_max[YB_CAT_HILIST_NAME], 200);
    CU_ASSERT_EQUAL(yb_cat_field_max[YB_CAT_EXCT_CONT], 2000);
    CU_ASSERT_STRING_EQUAL(yb_cat_sync_names[YB_CAT_REJECTED], "rejected");
}

static void test_row_check_dates(void)
{
    static const char *const good[][2] = {
        {"2024-01-31", "2024-01-31"},          {"20240131", "2024-01-31"},
        {"2024/01/31", "2024-01-31"},          {"2024/1/5", "2024-01-05"},
        {"2024-01-31 12:30:00", "2024-01-31"}, {"2024-01-31T08:00", "2024-01-31"},
        {"20240131123000", "2024-01-31"},      {"2024-02-29", "2024-02-29"},
        {"2000-02-29", "2000-02-29"},          {"2024-01-31 12:30:00.123", "2024-01-31"},
    };
    static const char *const bad[] = {
        "2024-02-30", "2023-02-29",          "1900-02-29",
        "2024-13-01", "2024-00-10",          "2024-01-00",
        "abc",        "2024-01-31x",         "2024-01/31",
        "202401311",  "2024-01-31 25:00:00", "24-01-31",
        "",           "2024-01-31 12",       "1899-12-31",
    };
    char out[11];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        memset(out, 0, sizeof(out));
        CU_ASSERT_EQUAL(yb_cat_date_norm(good[i][0], out), 0);
        CU_ASSERT_STRING_EQUAL(out, good[i][1]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = yb_cat_date_norm(bad[i], out);
        CU_ASSERT_EQUAL(rc, YB_EINVAL);
        if (rc != YB_EINVAL)
            fprintf(stderr, "accepted bad date \"%s\"\n", bad[i]);
    }
    struct yb_cat_row r = make_row(PLACE, "F0001", "001216000010100", "导尿");
    r.f[YB_CAT_BEGNDATE] = "2024-02-30";
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("begndate"));
    r.f[YB_CAT_BEGNDATE] = "2024/06/01";
    r.f[YB_CAT_ENDDATE] = "20240531";
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("enddate"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "2024-05-31 is before begndate 2024-06-01"));
    r.f[YB_CAT_ENDDATE] = "2024-06-01 00:00:00"; /* the same day: fine */
    CU_ASSERT_EQUAL(check(&r, NULL), 0);
}

static void test_row_check_text_rules(void)
{
    struct yb_cat_row r = make_row(PLACE, "F0001", "001216000010100", "导尿");
    /* a Chinese name of 200 characters (600 bytes) is fine, 201 is not */
    char name[3 * 201 + 1];
    for (int i = 0; i < 201; i++)
        memcpy(name + 3 * i, "药", 3);
    name[3 * 200] = '\0';
    r.f[YB_CAT_HILIST_NAME] = name;
    CU_ASSERT_EQUAL(check(&r, NULL), 0);
    name[3 * 200] = "药"[0];
    name[3 * 201] = '\0';
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("fixmedins_hilist_name"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "201 characters, at most 200"));
    r.f[YB_CAT_HILIST_NAME] = "导尿";

    r.f[YB_CAT_HILIST_ID] = "F00000000000000000000000000001"; /* 30 */
    CU_ASSERT_EQUAL(check(&r, NULL), 0);
    r.f[YB_CAT_HILIST_ID] = "F000000000000000000000000000001"; /* 31 */
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("fixmedins_hilist_id"));
    r.f[YB_CAT_HILIST_ID] = "F0001";

    r.f[YB_CAT_SPEC] = "10mg\xff\xfe";
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("spec"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "UTF-8"));
    r.f[YB_CAT_SPEC] = "\xe8\x8d"; /* a truncated character */
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("spec"));
    r.f[YB_CAT_SPEC] = NULL;

    /* control characters: never in codes and names; the long free text
     * (exct_cont, item_cont, memo) may have tabs and lines */
    r.f[YB_CAT_HILIST_NAME] = "two\nlines";
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("fixmedins_hilist_name"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "control character"));
    r.f[YB_CAT_HILIST_NAME] = "导尿";
    r.f[YB_CAT_PRCUNT] = "tab\there";
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("prcunt"));
    r.f[YB_CAT_PRCUNT] = NULL;
    r.f[YB_CAT_MEMO] = "bell\a";
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("memo"));
    r.f[YB_CAT_MEMO] = "第一行\n第二行\t续";
    CU_ASSERT_EQUAL(check(&r, NULL), 0);

    /* list_type: any three digits, or one of the caller's */
    static const char *const types[] = {"101", "102", "103", "104", "201", "301", NULL};
    r.f[YB_CAT_LIST_TYPE] = "999";
    CU_ASSERT_EQUAL(check(&r, NULL), 0);
    CU_ASSERT_EQUAL(check(&r, types), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("list_type"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "101, 102"));
    r.f[YB_CAT_LIST_TYPE] = "10a";
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("list_type"));
    r.f[YB_CAT_LIST_TYPE] = "301";
    CU_ASSERT_EQUAL(check(&r, types), 0);

    r.f[YB_CAT_MED_LIST_CODG] = "X12345678901234567890123456789012345678901234567890"; /* 51 */
    CU_ASSERT_EQUAL(check(&r, NULL), YB_EINVAL);
    CU_ASSERT_TRUE(names_field("med_list_codg"));
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_open_creates_a_wal_store),
        YB_TEST(test_newer_schema_is_refused),
        YB_TEST(test_put_added_same_changed),
        YB_TEST(test_sync_state_only_improves_on_same),
        YB_TEST(test_revoke),
        YB_TEST(test_set_sync),
        YB_TEST(test_iterators_and_counts),
        YB_TEST(test_read_only_store_refuses_writes),
        YB_TEST(test_transaction_rollback),
        YB_TEST(test_row_check_required_fields),
        YB_TEST(test_row_check_dates),
        YB_TEST(test_row_check_text_rules),
        YB_TEST_END,
    };
    if (!mkdtemp(dir))
        return 2;
    int rc = yb_test_main("cat_store", tests);
    yb_test_remove_tree(dir);
    return rc;
}
