/*
 * filing_test.c - the off-site filing registry (plugins/offsite/filing.c
 * and filing_store.c): add then active, the date edges, revoke (and of an
 * unknown filing), two opens of one store sharing state and a refcount,
 * close and reopen loading from disk (revoked rows stay inactive), adds from
 * four threads all persisted, the input rules with the field each message
 * names, a row broken on disk skipped at load, and the writer waiting out a
 * locked database. Persons and serial numbers are synthetic.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filing.h"
#include "testutil.h"

static char dir[] = "/tmp/ybgw-filing-test-XXXXXX";
static int serial;

/* ---- a host that only logs (counting errors and warnings) ---- */

static int n_errors, n_warnings;
static char last_log[1024];

static void test_log(const struct yb_host *host, int level, const char *fmt, ...)
{
    (void)host;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_log, sizeof(last_log), fmt, ap);
    va_end(ap);
    if (level == YB_LOG_ERROR)
        n_errors++;
    if (level == YB_LOG_WARN)
        n_warnings++;
    if (getenv("FILING_TEST_VERBOSE"))
        fprintf(stderr, "log %d: %s\n", level, last_log);
}

static const struct yb_host host = {
    .abi = YB_HOST_ABI,
    .struct_size = sizeof(struct yb_host),
    .log = test_log,
};
static const struct yb_host host2 = {
    .abi = YB_HOST_ABI,
    .struct_size = sizeof(struct yb_host),
    .log = test_log,
};

static const char *new_path(void)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/filings%d.db", dir, ++serial);
    return path;
}

static struct yb_filings *open_at(const char *path)
{
    struct yb_filings *f = NULL;
    CU_ASSERT_EQUAL(yb_filings_open(path, &host, &f), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    return f;
}

static struct yb_filing make(const char *psn_no, const char *sn, const char *begn, const char *end)
{
    struct yb_filing r;
    memset(&r, 0, sizeof(r));
    snprintf(r.psn_no, sizeof(r.psn_no), "%s", psn_no);
    snprintf(r.insuplc, sizeof(r.insuplc), "%s", "431199");
    snprintf(r.sn, sizeof(r.sn), "%s", sn);
    snprintf(r.begndate, sizeof(r.begndate), "%s", begn);
    snprintf(r.enddate, sizeof(r.enddate), "%s", end);
    snprintf(r.infno, sizeof(r.infno), "%s", "2501");
    snprintf(r.msgid, sizeof(r.msgid), "H45019900055202405011200%06d", serial);
    return r;
}

#define HUNAN "4311990000000003"
#define ZHEJIANG "3301990000000004"

/* The number of rows of the store at PATH matching WHERE (-1 on error). */
static int count_rows(const char *path, const char *where)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char sql[512];
    int n = -1;
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM offsite_filing WHERE %s", where);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- tests ---- */

static void test_add_then_active(void)
{
    const char *path = new_path();
    struct yb_filings *f = open_at(path);
    struct yb_filing rec = make(HUNAN, "SN0001", "2024-05-01", "2024-07-31"), out;
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-01", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_add(f, &rec), 0);
    memset(&out, 0, sizeof(out));
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-01", &out), 1);
    CU_ASSERT_STRING_EQUAL(out.sn, "SN0001");
    CU_ASSERT_STRING_EQUAL(out.insuplc, "431199");
    CU_ASSERT_STRING_EQUAL(out.infno, "2501");
    CU_ASSERT_STRING_EQUAL(out.msgid, rec.msgid);
    CU_ASSERT_EQUAL(yb_filings_active(f, ZHEJIANG, "2024-06-01", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_count(f), 1);

    /* the platform answered twice: the same sn replaces the dates */
    struct yb_filing again = make(HUNAN, "SN0001", "2024-08-01", "2024-08-31");
    CU_ASSERT_EQUAL(yb_filings_add(f, &again), 0);
    CU_ASSERT_EQUAL(yb_filings_count(f), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-01", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-08-15", NULL), 1);

    /* several active: the one that began last */
    struct yb_filing open_begin = make(HUNAN, "SN0002", "", "");
    CU_ASSERT_EQUAL(yb_filings_add(f, &open_begin), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-08-15", &out), 1);
    CU_ASSERT_STRING_EQUAL(out.sn, "SN0001");
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2030-01-01", &out), 1);
    CU_ASSERT_STRING_EQUAL(out.sn, "SN0002");

    yb_filings_flush(f);
    CU_ASSERT_EQUAL(count_rows(path, "sn = 'SN0001' AND begndate = '2024-08-01' AND "
                                     "enddate = '2024-08-31' AND revoked_at IS NULL"),
                    1);
    CU_ASSERT_EQUAL(count_rows(path, "1"), 2);
    CU_ASSERT_EQUAL(yb_filings_lost(f), 0);
    yb_filings_close(f);
}

static void test_date_edges(void)
{
    struct yb_filings *f = open_at(new_path());
    struct yb_filing rec = make(HUNAN, "SN0001", "2024-02-28", "2024-03-01");
    CU_ASSERT_EQUAL(yb_filings_add(f, &rec), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-02-27", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-02-28", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-02-29", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-03-01", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-03-02", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2023-12-31", NULL), 0);

    /* open ends */
    struct yb_filing from = make(ZHEJIANG, "SN0010", "2024-05-01", "");
    CU_ASSERT_EQUAL(yb_filings_add(f, &from), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, ZHEJIANG, "2024-04-30", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, ZHEJIANG, "2024-05-01", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, ZHEJIANG, "9999-12-31", NULL), 1);
    struct yb_filing until = make("4501990000000001", "SN0011", "", "2024-05-01");
    CU_ASSERT_EQUAL(yb_filings_add(f, &until), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, "4501990000000001", "0001-01-01", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, "4501990000000001", "2024-05-01", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, "4501990000000001", "2024-05-02", NULL), 0);

    /* a one-day filing */
    struct yb_filing day = make("4501990000000002", "SN0012", "2024-12-31", "2024-12-31");
    CU_ASSERT_EQUAL(yb_filings_add(f, &day), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, "4501990000000002", "2024-12-31", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_active(f, "4501990000000002", "2025-01-01", NULL), 0);

    /* a malformed question is an error, never "active" */
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-2-29", NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2023-02-29", NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "", NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, NULL, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_filings_active(f, "", "2024-02-29", NULL), YB_EINVAL);
    yb_filings_close(f);
}

static void test_revoke(void)
{
    const char *path = new_path();
    struct yb_filings *f = open_at(path);
    struct yb_filing a = make(HUNAN, "SN0001", "2024-01-01", "2024-12-31");
    struct yb_filing b = make(HUNAN, "SN0002", "2024-06-01", "2024-06-30");
    CU_ASSERT_EQUAL(yb_filings_add(f, &a), 0);
    CU_ASSERT_EQUAL(yb_filings_add(f, &b), 0);
    CU_ASSERT_EQUAL(yb_filings_revoke(f, HUNAN, "SN0001", "H45019900055202406011200000099"), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-03-01", NULL), 0);
    struct yb_filing out;
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-15", &out), 1);
    CU_ASSERT_STRING_EQUAL(out.sn, "SN0002");
    /* twice, and an unknown one: nothing to revoke */
    CU_ASSERT_EQUAL(yb_filings_revoke(f, HUNAN, "SN0001", NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_filings_revoke(f, HUNAN, "SN9999", NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_filings_revoke(f, ZHEJIANG, "SN0001", NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_filings_revoke(f, HUNAN, "", NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(
        yb_filings_revoke(f, HUNAN, "SN0002", "0123456789012345678901234567890123456789X"),
        YB_EINVAL);
    CU_ASSERT_EQUAL(yb_filings_revoke(f, HUNAN, "SN0002", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_count(f), 0);
    yb_filings_flush(f);
    /* rows are never deleted: both stay, revoked, with who revoked them */
    CU_ASSERT_EQUAL(count_rows(path, "1"), 2);
    CU_ASSERT_EQUAL(count_rows(path, "sn = 'SN0001' AND revoked_at IS NOT NULL AND "
                                     "revoked_by = 'H45019900055202406011200000099'"),
                    1);
    CU_ASSERT_EQUAL(count_rows(path, "sn = 'SN0002' AND revoked_at IS NOT NULL"), 1);

    /* added again after the revoke: active again, in memory and on disk */
    CU_ASSERT_EQUAL(yb_filings_add(f, &b), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-15", NULL), 1);
    yb_filings_flush(f);
    CU_ASSERT_EQUAL(count_rows(path, "sn = 'SN0002' AND revoked_at IS NULL"), 1);
    yb_filings_close(f);
}

static void test_two_opens_share(void)
{
    char path[256];
    snprintf(path, sizeof(path), "%s", new_path());
    struct yb_filings *a = open_at(path), *b = NULL;
    /* the same file by another spelling */
    char other[300];
    snprintf(other, sizeof(other), "%s/./filings%d.db", dir, serial);
    CU_ASSERT_EQUAL(yb_filings_open(other, &host2, &b), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_EQUAL(a, b);
    CU_ASSERT_EQUAL(yb_filings_users(a), 2);
    CU_ASSERT_EQUAL(yb_filings_users(b), 2);

    struct yb_filing rec = make(HUNAN, "SN0001", "2024-01-01", "");
    CU_ASSERT_EQUAL(yb_filings_add(a, &rec), 0);
    CU_ASSERT_EQUAL(yb_filings_active(b, HUNAN, "2024-02-01", NULL), 1);

    /* the old instance goes (a reload): the new one keeps the registry */
    yb_filings_close(a);
    CU_ASSERT_EQUAL(yb_filings_users(b), 1);
    CU_ASSERT_EQUAL(yb_filings_active(b, HUNAN, "2024-02-01", NULL), 1);
    CU_ASSERT_EQUAL(yb_filings_revoke(b, HUNAN, "SN0001", NULL), 0);

    /* another file is another registry */
    struct yb_filings *c = open_at(new_path());
    CU_ASSERT_EQUAL(yb_filings_users(c), 1);
    CU_ASSERT_EQUAL(yb_filings_add(c, &rec), 0);
    CU_ASSERT_EQUAL(yb_filings_active(b, HUNAN, "2024-02-01", NULL), 0);
    CU_ASSERT_EQUAL(yb_filings_active(c, HUNAN, "2024-02-01", NULL), 1);
    yb_filings_close(c);
    yb_filings_close(b);
    /* the last close wrote everything */
    CU_ASSERT_EQUAL(count_rows(path, "sn = 'SN0001' AND revoked_at IS NOT NULL"), 1);
}

static void test_reopen_loads_from_disk(void)
{
    const char *path = new_path();
    struct yb_filings *f = open_at(path);
    struct yb_filing a = make(HUNAN, "SN0001", "2024-01-01", "2024-12-31");
    struct yb_filing b = make(HUNAN, "SN0002", "2025-01-01", "2025-12-31");
    struct yb_filing c = make(ZHEJIANG, "SN0003", "", "");
    CU_ASSERT_EQUAL(yb_filings_add(f, &a), 0);
    CU_ASSERT_EQUAL(yb_filings_add(f, &b), 0);
    CU_ASSERT_EQUAL(yb_filings_add(f, &c), 0);
    CU_ASSERT_EQUAL(yb_filings_revoke(f, HUNAN, "SN0002", "H45019900055202501011200000001"), 0);
    yb_filings_close(f); /* no flush: the last close writes */

    f = open_at(path);
    CU_ASSERT_EQUAL(yb_filings_users(f), 1);
    CU_ASSERT_EQUAL(yb_filings_count(f), 2);
    struct yb_filing out;
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-01", &out), 1);
    CU_ASSERT_STRING_EQUAL(out.sn, "SN0001");
    CU_ASSERT_STRING_EQUAL(out.begndate, "2024-01-01");
    CU_ASSERT_STRING_EQUAL(out.enddate, "2024-12-31");
    CU_ASSERT_STRING_EQUAL(out.insuplc, "431199");
    CU_ASSERT_STRING_EQUAL(out.infno, "2501");
    CU_ASSERT_STRING_EQUAL(out.msgid, a.msgid);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2025-06-01", NULL), 0); /* revoked */
    CU_ASSERT_EQUAL(yb_filings_revoke(f, HUNAN, "SN0002", NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_filings_active(f, ZHEJIANG, "2025-06-01", NULL), 1);
    yb_filings_close(f);
}

#define THREADS 4
#define PER_THREAD 250

struct adder {
    struct yb_filings *f;
    int id;
    int failures;
};

static void *add_many(void *arg)
{
    struct adder *a = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        struct yb_filing r;
        char psn[31], sn[31];
        snprintf(psn, sizeof(psn), "43119900%08d", a->id * PER_THREAD + i);
        snprintf(sn, sizeof(sn), "SN%d-%d", a->id, i);
        r = make(psn, sn, "2024-01-01", "2024-12-31");
        if (yb_filings_add(a->f, &r) != 0)
            a->failures++;
        /* readers on the same lock meanwhile */
        if (yb_filings_active(a->f, psn, "2024-06-01", NULL) != 1)
            a->failures++;
    }
    return NULL;
}

static void test_concurrent_adds_persist(void)
{
    const char *path = new_path();
    struct yb_filings *f = open_at(path);
    pthread_t t[THREADS];
    struct adder a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (struct adder){f, i, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, add_many, &a[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(a[i].failures, 0);
    }
    CU_ASSERT_EQUAL(yb_filings_count(f), (size_t)THREADS * PER_THREAD);
    yb_filings_flush(f);
    CU_ASSERT_EQUAL(count_rows(path, "revoked_at IS NULL"), THREADS * PER_THREAD);
    CU_ASSERT_EQUAL(yb_filings_lost(f), 0);
    yb_filings_close(f);

    f = open_at(path);
    CU_ASSERT_EQUAL(yb_filings_count(f), (size_t)THREADS * PER_THREAD);
    int missing = 0;
    for (int id = 0; id < THREADS; id++)
        for (int i = 0; i < PER_THREAD; i++) {
            char psn[31];
            struct yb_filing out;
            char sn[31];
            snprintf(psn, sizeof(psn), "43119900%08d", id * PER_THREAD + i);
            snprintf(sn, sizeof(sn), "SN%d-%d", id, i);
            if (yb_filings_active(f, psn, "2024-06-01", &out) != 1 || strcmp(out.sn, sn) != 0)
                missing++;
        }
    CU_ASSERT_EQUAL(missing, 0);
    yb_filings_close(f);
}

/* add refuses REC with a message naming FIELD */
static void refused(struct yb_filings *f, const struct yb_filing *rec, const char *field)
{
    char why[256] = "";
    int warnings = n_warnings;
    CU_ASSERT_EQUAL(yb_filing_check(rec, why, sizeof(why)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, field));
    CU_ASSERT_EQUAL(yb_filings_add(f, rec), YB_EINVAL);
    CU_ASSERT_EQUAL(n_warnings, warnings + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_log, field));
    if (!strstr(why, field))
        fprintf(stderr, "expected %s in: %s\n", field, why);
}

static void test_bad_input_refused(void)
{
    const char *path = new_path();
    struct yb_filings *f = open_at(path);
    struct yb_filing r;
    const char *bad_dates[] = {"2024-13-01", "2024-00-10", "2024-02-30",
                               "2023-02-29", "1900-02-29", "24-01-01",
                               "2024/01/01", "2024-1-1",   "2024-01-01 00:00:00"};
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
        r = make(HUNAN, "SN0001", "", "");
        /* too long for the field: make cut it, so write it unterminated */
        if (strlen(bad_dates[i]) >= sizeof(r.begndate))
            memcpy(r.begndate, bad_dates[i], sizeof(r.begndate));
        else
            snprintf(r.begndate, sizeof(r.begndate), "%s", bad_dates[i]);
        refused(f, &r, "begndate");
        r = make(HUNAN, "SN0001", "2024-01-01", "");
        snprintf(r.enddate, sizeof(r.enddate), "%.10s", bad_dates[i]);
        if (strlen(bad_dates[i]) <= 10)
            refused(f, &r, "enddate");
    }
    r = make(HUNAN, "SN0001", "2024-05-02", "2024-05-01");
    refused(f, &r, "begndate");
    r = make(HUNAN, "SN0001", "2000-02-29", "2000-02-29"); /* a leap day of a 400-year */
    CU_ASSERT_EQUAL(yb_filings_add(f, &r), 0);

    /* too long: never cut */
    r = make(HUNAN, "SN0001", "", "");
    memset(r.psn_no, '1', sizeof(r.psn_no));
    refused(f, &r, "psn_no");
    r = make(HUNAN, "SN0001", "", "");
    memset(r.sn, 'A', sizeof(r.sn));
    refused(f, &r, "trt_dcla_detl_sn");
    r = make(HUNAN, "SN0001", "", "");
    memset(r.msgid, '9', sizeof(r.msgid));
    refused(f, &r, "msgid");
    r = make(HUNAN, "SN0001", "", "");
    memset(r.infno, '2', sizeof(r.infno));
    refused(f, &r, "infno");
    char field[31];
    CU_ASSERT_EQUAL(yb_filing_set(field, sizeof(field), "123456789012345678901234567890", 30), 0);
    CU_ASSERT_STRING_EQUAL(field, "123456789012345678901234567890");
    CU_ASSERT_EQUAL(yb_filing_set(field, sizeof(field), "1234567890123456789012345678901", 31),
                    YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(field, "123456789012345678901234567890"); /* untouched */
    CU_ASSERT_EQUAL(yb_filing_set(field, sizeof(field), "a\0b", 3), YB_EINVAL);

    /* the other rules */
    r = make("", "SN0001", "", "");
    refused(f, &r, "psn_no");
    r = make(HUNAN, "", "", "");
    refused(f, &r, "trt_dcla_detl_sn");
    r = make(HUNAN, "SN 0001", "", "");
    refused(f, &r, "trt_dcla_detl_sn");
    r = make(HUNAN, "SN0001", "", "");
    r.psn_no[3] = '\n';
    refused(f, &r, "psn_no");
    r = make(HUNAN, "SN0001", "", "");
    snprintf(r.insuplc, sizeof(r.insuplc), "4311");
    refused(f, &r, "insuplc_admdvs");
    snprintf(r.insuplc, sizeof(r.insuplc), "43119X");
    refused(f, &r, "insuplc_admdvs");
    r = make(HUNAN, "SN0001", "", "");
    snprintf(r.infno, sizeof(r.infno), "25O1");
    refused(f, &r, "infno");

    CU_ASSERT_EQUAL(yb_filings_count(f), 1);
    yb_filings_flush(f);
    CU_ASSERT_EQUAL(count_rows(path, "1"), 1);
    yb_filings_close(f);
}

static void test_bad_rows_skipped_at_load(void)
{
    const char *path = new_path();
    struct yb_filings *f = open_at(path);
    struct yb_filing a = make(HUNAN, "SN0001", "2024-01-01", "");
    CU_ASSERT_EQUAL(yb_filings_add(f, &a), 0);
    yb_filings_close(f);
    /* a hand edit went wrong: a bad date and an over-long psn_no */
    exec_sql(path, "INSERT INTO offsite_filing(psn_no, insuplc, sn, begndate, enddate, "
                   "recorded_at) VALUES('" ZHEJIANG "', '330199', 'SN0002', '2024-31-01', "
                   "'', '2024-01-01 00:00:00'), ('" ZHEJIANG "0000000000000000', '330199', "
                   "'SN0003', '', '', '2024-01-01 00:00:00')");
    int warnings = n_warnings;
    f = open_at(path);
    CU_ASSERT_EQUAL(yb_filings_count(f), 1);
    CU_ASSERT_EQUAL(n_warnings, warnings + 3); /* two rows, then the summary */
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-01", NULL), 1);
    yb_filings_close(f);
}

static void test_not_a_file_refused(void)
{
    struct yb_filings *f = NULL;
    int errors = n_errors;
    CU_ASSERT_EQUAL(yb_filings_open(dir, &host, &f), YB_EINVAL);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_EQUAL(n_errors, errors + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "not a regular file"));
    char path[300];
    snprintf(path, sizeof(path), "%s/no-such-folder/filings.db", dir);
    CU_ASSERT_EQUAL(yb_filings_open(path, &host, &f), YB_EIO);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "folder"));
    CU_ASSERT_EQUAL(yb_filings_open("", &host, &f), YB_EINVAL);
}

/* Another program holds the write lock for a while: the hooks never wait,
 * and the writer writes once the lock is free. */
static void test_writer_waits_out_a_lock(void)
{
    const char *path = new_path();
    struct yb_filings *f = open_at(path);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct yb_filing a = make(HUNAN, "SN0001", "2024-01-01", "");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(yb_filings_add(f, &a), 0);
    CU_ASSERT_EQUAL(yb_filings_active(f, HUNAN, "2024-06-01", NULL), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CU_ASSERT((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 200);
    usleep(300 * 1000);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    yb_filings_flush(f);
    CU_ASSERT_EQUAL(count_rows(path, "sn = 'SN0001'"), 1);
    CU_ASSERT_EQUAL(yb_filings_lost(f), 0);
    yb_filings_close(f);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_add_then_active),
        YB_TEST(test_date_edges),
        YB_TEST(test_revoke),
        YB_TEST(test_two_opens_share),
        YB_TEST(test_reopen_loads_from_disk),
        YB_TEST(test_concurrent_adds_persist),
        YB_TEST(test_bad_input_refused),
        YB_TEST(test_bad_rows_skipped_at_load),
        YB_TEST(test_not_a_file_refused),
        YB_TEST(test_writer_waits_out_a_lock),
        YB_TEST_END,
    };
    if (!mkdtemp(dir))
        return 2;
    int rc = yb_test_main("offsite_filing", tests);
    yb_test_remove_tree(dir);
    return rc;
}
