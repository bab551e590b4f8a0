/*
 * journal_test.c - the transaction journal (journal.c, journal_db.c,
 * journal_writer.c, journal_conf.c) on a real event loop and a real SQLite
 * file: a begin is on disk (status received) when its callback runs; the
 * outcome is stored masked, and in full only sealed; rows left in flight are
 * recovered as unknown at the next open and can be resolved; begins are
 * refused past the backlog and while the disk (max_size) is full, with a
 * sentence naming the cause, and writing resumes once there is room;
 * scan, unknowns, fetch and cancel keep their contracts; pruning keeps the
 * chain verifiable; four threads of begins lose nothing.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "conf.h"
#include "jchain.h"
#include "journal.h"
#include "pii.h"
#include "seal.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

#define CERTNO "450103199001011234"
#define REQUEST                                                                                    \
    "{\"infno\":\"2207\",\"input\":{\"data\":{\"psn_no\":\"P1\",\"certno\":\"" CERTNO "\"}}}"
#define RESPONSE                                                                                   \
    "{\"infcode\":0,\"output\":{\"baseinfo\":{\"certno\":\"" CERTNO "\",\"psn_name\":\"张三\"}}}"

static char dir[] = "/tmp/journal_testXXXXXX";
static char err[1024];
static struct yb_pii *pii;
static struct event_base *base;
static struct event *tick;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *db_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* A configuration for file NAME (removed first): encrypt with a fixed key,
 * no pruning. */
static void conf_for(struct yb_journal_conf *c, const char *name)
{
    char path[300];
    memset(c, 0, sizeof(*c));
    CU_ASSERT_EQUAL_FATAL(yb_journal_conf_init(c), 0);
    free(c->path);
    c->path = strdup(db_path(name));
    for (int i = 0; i < 32; i++)
        c->key[i] = (unsigned char)(0xA0 + i);
    c->has_key = 1;
    c->personal = YB_JP_ENCRYPT;
    c->retention_ms = 0;
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", c->path, suffix[i]);
        remove(path);
    }
}

static struct yb_journal *open_journal(const struct yb_journal_conf *c, unsigned *recovered)
{
    unsigned n = 0;
    struct yb_journal *j = yb_journal_open(c, pii, "node-a", &n, err, sizeof(err));
    if (!j)
        fprintf(stderr, "open: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    if (recovered)
        *recovered = n;
    return j;
}

/* ---- the loop ---- */

struct outcome {
    int calls, rc;
    char why[512];
};

static void on_begin(void *arg, int rc, const char *why)
{
    struct outcome *o = arg;
    o->calls++;
    o->rc = rc;
    snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
}

/* Run the loop until *counter reaches want (or 10 s pass). */
static void run_until(const int *counter, int want)
{
    int64_t deadline = now_ms() + 10000;
    while (*counter < want && now_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
}

static void run_for(int ms)
{
    int64_t deadline = now_ms() + ms;
    while (now_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
}

static struct yb_jwait *begin(struct yb_journal *j, struct outcome *o, const char *infno,
                              const char *request, int64_t received, int64_t *id, char *why,
                              size_t whylen)
{
    struct yb_jbegin b = {0};
    char msgid[40];
    static int n;
    snprintf(msgid, sizeof(msgid), "H4501990005520240101%06d", ++n);
    b.msgid = msgid;
    b.infno = infno;
    b.fixmedins_code = "H45019900055";
    b.psn_no = "P1";
    b.caller = "his";
    b.route = "national";
    b.request = request;
    b.request_len = request ? strlen(request) : 0;
    b.req_hash = "00ff";
    b.received_ms = received ? received : now_ms();
    return yb_journal_begin(j, &b, base, on_begin, o, id, why, whylen);
}

/* Begin and wait for the row to be on disk; the row's id. */
static int64_t begin_written(struct yb_journal *j, const char *infno, const char *request,
                             int64_t received)
{
    struct outcome o = {0};
    int64_t id = 0;
    char why[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(begin(j, &o, infno, request, received, &id, why, sizeof(why)));
    run_until(&o.calls, 1);
    CU_ASSERT_EQUAL(o.calls, 1);
    CU_ASSERT_EQUAL(o.rc, 0);
    CU_ASSERT(id > 0);
    return id;
}

static void finish(struct yb_journal *j, int64_t id, int status, const char *response)
{
    struct yb_jfinish f = {0};
    f.status = status;
    f.infcode = 0;
    f.http_status = 200;
    f.attempts = 1;
    f.upstream_ms = 12.5;
    f.total_ms = 14.0;
    f.response = response;
    f.response_len = response ? strlen(response) : 0;
    f.at_ms = now_ms();
    yb_journal_finish(j, id, &f);
}

/* ---- reading the file behind the journal's back ---- */

static sqlite3 *peek(const struct yb_journal_conf *c)
{
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL(sqlite3_open(c->path, &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* The first column of the first row of sql (arg bound to ?1) as text
 * (malloc'd), or NULL. */
static char *peek_text(const struct yb_journal_conf *c, const char *sql, int64_t arg)
{
    char *out = NULL;
    sqlite3 *db = peek(c);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_bind_parameter_count(st) > 0)
            sqlite3_bind_int64(st, 1, arg);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            out = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static int64_t peek_int(const struct yb_journal_conf *c, const char *fmt, int64_t arg)
{
    char *t = peek_text(c, fmt, arg);
    int64_t v = t ? strtoll(t, NULL, 10) : -1;
    free(t);
    return v;
}

static void check_status(const struct yb_journal_conf *c, int64_t id, const char *want)
{
    char *s = peek_text(c, "SELECT status FROM journal WHERE id = ?1", id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, want);
    free(s);
}

static void check_verifies(const struct yb_journal_conf *c, struct yb_jverify *v)
{
    sqlite3 *db = peek(c);
    int rc = yb_jchain_verify(db, v, err, sizeof(err));
    if (rc)
        fprintf(stderr, "verify: %s %s\n", v->what, err);
    CU_ASSERT_EQUAL(rc, 0);
    sqlite3_close(db);
}

/* ---- fetch ---- */

struct fetched {
    int calls, rows, ended;
    int64_t id[8];
    int status[8], infcode, masked;
    char response[1024], request[1024], resolution[32], resolved_by[32], error[512], why[256];
};

static void on_row(void *arg, const struct yb_jrow *row, const char *why)
{
    struct fetched *f = arg;
    f->calls++;
    if (!row) {
        f->ended = 1;
        snprintf(f->why, sizeof(f->why), "%s", why ? why : "");
        return;
    }
    if (f->rows < 8) {
        f->id[f->rows] = row->id;
        f->status[f->rows] = row->status;
    }
    f->rows++;
    f->infcode = row->infcode;
    f->masked = row->response_masked;
    snprintf(f->response, sizeof(f->response), "%.*s", (int)row->response_len, row->response);
    snprintf(f->request, sizeof(f->request), "%.*s", (int)row->request_len, row->request);
    snprintf(f->resolution, sizeof(f->resolution), "%s", row->resolution);
    snprintf(f->resolved_by, sizeof(f->resolved_by), "%s", row->resolved_by);
    snprintf(f->error, sizeof(f->error), "%s", row->error);
}

static void fetch(struct yb_journal *j, int64_t id, struct fetched *f)
{
    memset(f, 0, sizeof(*f));
    CU_ASSERT_PTR_NOT_NULL_FATAL(yb_journal_fetch(j, id, base, on_row, f));
    run_until(&f->calls, 1);
    CU_ASSERT_EQUAL(f->calls, 1);
}

/* ---- tests ---- */

static void test_begin_on_disk(void)
{
    struct yb_journal_conf c;
    struct yb_jverify v;
    conf_for(&c, "begin.db");
    struct yb_journal *j = open_journal(&c, NULL);
    int64_t id = begin_written(j, "2207", REQUEST, 0);
    /* on disk when the callback ran, before any close */
    check_status(&c, id, "received");
    char *req = peek_text(&c, "SELECT request FROM journal WHERE id = ?1", id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(req);
    CU_ASSERT_PTR_NULL(strstr(req, CERTNO));
    CU_ASSERT_PTR_NOT_NULL(strstr(req, "\"psn_no\":\"P1\""));
    free(req);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT length(sealed_request) FROM journal WHERE id = ?1", id),
                    (int64_t)(strlen(REQUEST) + YB_SEAL_OVERHEAD));
    char *node = peek_text(&c, "SELECT node FROM journal WHERE id = ?1", id);
    CU_ASSERT_STRING_EQUAL(node ? node : "", "node-a");
    free(node);
    struct yb_journal_stats s;
    yb_journal_stats(j, &s);
    CU_ASSERT(s.written >= 1);
    CU_ASSERT_EQUAL(s.failing, 0);
    yb_journal_close(j);
    check_verifies(&c, &v);
    CU_ASSERT_EQUAL(v.rows, 1);
    yb_journal_conf_free(&c);
}

static void test_finish_masked_and_sealed(void)
{
    struct yb_journal_conf c;
    struct fetched f;
    struct yb_jverify v;
    conf_for(&c, "finish.db");
    c.update_delay_ms = 60000; /* the forwarded mark surely waits for the outcome */
    struct yb_journal *j = open_journal(&c, NULL);
    int64_t id = begin_written(j, "2207", REQUEST, 0);
    yb_journal_forwarded(j, id, 1, now_ms());
    finish(j, id, YB_J_ANSWERED, RESPONSE);
    fetch(j, id, &f);
    CU_ASSERT_EQUAL(f.rows, 1);
    CU_ASSERT_EQUAL(f.status[0], YB_J_ANSWERED);
    CU_ASSERT_EQUAL(f.infcode, 0);
    CU_ASSERT_EQUAL(f.masked, 0);
    CU_ASSERT_STRING_EQUAL(f.response, RESPONSE);
    CU_ASSERT_STRING_EQUAL(f.request, REQUEST);

    /* the column holds the masked text; the full one only sealed */
    char *resp = peek_text(&c, "SELECT response FROM journal WHERE id = ?1", id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
    CU_ASSERT_PTR_NULL(strstr(resp, CERTNO));
    CU_ASSERT_PTR_NULL(strstr(resp, "张三"));
    CU_ASSERT_PTR_NOT_NULL(strstr(resp, "450103"));
    CU_ASSERT_PTR_NOT_NULL(strstr(resp, "*"));
    CU_ASSERT_PTR_NOT_NULL(strstr(resp, "\"infcode\":0"));
    free(resp);
    sqlite3 *db = peek(&c);
    sqlite3_stmt *st = NULL;
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db,
                                       "SELECT sealed_response, infcode, http_status, status"
                                       " FROM journal WHERE id = ?1",
                                       -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_ROW);
    char *plain = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(yb_unseal(c.key, sqlite3_column_blob(st, 0),
                              (size_t)sqlite3_column_bytes(st, 0), &plain, &len),
                    0);
    CU_ASSERT_STRING_EQUAL(plain ? plain : "", RESPONSE);
    free(plain);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 1), 0);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 2), 200);
    CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 3), "answered");
    sqlite3_finalize(st);
    sqlite3_close(db);
    yb_journal_close(j);
    check_verifies(&c, &v);
    /* received, answered: the forwarded mark was still waiting (update_delay)
     * when the outcome came, so both are one change */
    CU_ASSERT_EQUAL(v.events, 2);
    CU_ASSERT(peek_int(&c, "SELECT forwarded_at FROM journal WHERE id = ?1", id) > 0);
    yb_journal_conf_free(&c);
}

/* Poll the row's status from another connection until it is want, for at
 * most ms; 1 when it got there. */
static int status_becomes(const struct yb_journal_conf *c, int64_t id, const char *want, int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        char *st = peek_text(c, "SELECT status FROM journal WHERE id = ?1", id);
        int ok = st && strcmp(st, want) == 0;
        free(st);
        if (ok)
            return 1;
        if (now_ms() >= deadline)
            return 0;
        run_for(10);
    }
}

static void test_lazy_and_urgent_updates(void)
{
    struct yb_journal_conf c;
    struct yb_jverify v;
    conf_for(&c, "lazy.db");
    /* far beyond the parser's cap, so the test cannot pass by timing */
    c.update_delay_ms = 60000;
    struct yb_journal *j = open_journal(&c, NULL);
    int64_t a = begin_written(j, "1101", REQUEST, 0);
    yb_journal_forwarded(j, a, 1, now_ms());
    /* a lazy mark waits for a commit that something else causes */
    CU_ASSERT_FALSE(status_becomes(&c, a, "forwarded", 300));
    /* a begin commits at once and takes the mark along */
    int64_t b = begin_written(j, "1101", REQUEST, 0);
    CU_ASSERT_TRUE(status_becomes(&c, a, "forwarded", 5000));
    /* an urgent outcome does not wait */
    yb_journal_forwarded(j, b, 1, now_ms());
    struct yb_jfinish f = {.status = YB_J_ANSWERED, .http_status = 200, .attempts = 1,
                           .response = RESPONSE, .response_len = strlen(RESPONSE),
                           .at_ms = now_ms(), .urgent = 1};
    yb_journal_finish(j, b, &f);
    CU_ASSERT_TRUE(status_becomes(&c, b, "answered", 5000));
    CU_ASSERT(peek_int(&c, "SELECT forwarded_at FROM journal WHERE id = ?1", b) > 0);
    /* a lazy outcome is still written at close */
    finish(j, a, YB_J_ANSWERED, RESPONSE);
    yb_journal_close(j);
    CU_ASSERT_TRUE(status_becomes(&c, a, "answered", 100));
    check_verifies(&c, &v);
    CU_ASSERT_EQUAL(v.rows, 2);
    /* a: received, forwarded, answered; b: received, answered (merged) */
    CU_ASSERT_EQUAL(v.events, 5);
    yb_journal_conf_free(&c);
}

static void test_personal_mask_and_bad_json(void)
{
    struct yb_journal_conf c;
    struct fetched f;
    conf_for(&c, "mask.db");
    c.personal = YB_JP_MASK;
    c.has_key = 0;
    struct yb_journal *j = open_journal(&c, NULL);
    int64_t id = begin_written(j, "2207", REQUEST, 0);
    finish(j, id, YB_J_ANSWERED, RESPONSE);
    fetch(j, id, &f);
    CU_ASSERT_EQUAL(f.masked, 1);
    CU_ASSERT_PTR_NULL(strstr(f.response, CERTNO));
    CU_ASSERT_PTR_NOT_NULL(strstr(f.response, "baseinfo"));
    CU_ASSERT_EQUAL(peek_int(&c,
                             "SELECT count(*) FROM journal WHERE sealed_response IS NOT NULL"
                             " OR sealed_request IS NOT NULL",
                             1),
                    0);

    /* text that is not JSON: stored as "", with a note, never raw */
    int64_t bad = begin_written(j, "2207", "certno=" CERTNO " {oops", 0);
    char *req = peek_text(&c, "SELECT request FROM journal WHERE id = ?1", bad);
    CU_ASSERT_STRING_EQUAL(req ? req : "?", "");
    free(req);
    char *error = peek_text(&c, "SELECT error FROM journal WHERE id = ?1", bad);
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error, "request not stored"));
    CU_ASSERT_PTR_NULL(strstr(error, CERTNO));
    free(error);
    yb_journal_close(j);
    yb_journal_conf_free(&c);
}

static void test_recovery_and_resolve(void)
{
    struct yb_journal_conf c;
    struct fetched f;
    struct yb_jverify v;
    unsigned recovered = 99;
    conf_for(&c, "recover.db");
    struct yb_journal *j = open_journal(&c, &recovered);
    CU_ASSERT_EQUAL(recovered, 0);
    int64_t lost = begin_written(j, "2207", REQUEST, 1000);
    int64_t done = begin_written(j, "2207", REQUEST, 2000);
    finish(j, done, YB_J_ANSWERED, RESPONSE);
    yb_journal_close(j); /* as if the process died: `lost` has no outcome */

    j = open_journal(&c, &recovered);
    CU_ASSERT_EQUAL(recovered, 1);
    check_status(&c, lost, "unknown");
    check_status(&c, done, "answered");
    CU_ASSERT_EQUAL(peek_int(&c,
                             "SELECT count(*) FROM journal_event WHERE what = 'recover' AND"
                             " detail = 'rows=1'",
                             1),
                    1);
    /* ids go on after the old ones */
    int64_t next = begin_written(j, "1101", "{}", 0);
    CU_ASSERT(next > done);

    memset(&f, 0, sizeof(f));
    CU_ASSERT_PTR_NOT_NULL(yb_journal_unknowns(j, now_ms(), 10, base, on_row, &f));
    run_until(&f.ended, 1);
    CU_ASSERT_EQUAL(f.rows, 1);
    CU_ASSERT_EQUAL(f.id[0], lost);
    CU_ASSERT_EQUAL(f.status[0], YB_J_UNKNOWN);
    CU_ASSERT_STRING_EQUAL(f.request, REQUEST); /* unsealed for the resolver */
    CU_ASSERT_PTR_NOT_NULL(strstr(f.error, "stopped"));
    /* received_at before the cut-off only */
    memset(&f, 0, sizeof(f));
    yb_journal_unknowns(j, 1000, 10, base, on_row, &f);
    run_until(&f.ended, 1);
    CU_ASSERT_EQUAL(f.rows, 0);

    yb_journal_resolve(j, lost, "reversed", "ops", "2601 answered 0");
    yb_journal_resolve(j, done, "reversed", "ops", "not unknown: ignored");
    fetch(j, lost, &f);
    CU_ASSERT_STRING_EQUAL(f.resolution, "reversed");
    CU_ASSERT_STRING_EQUAL(f.resolved_by, "ops");
    fetch(j, done, &f);
    CU_ASSERT_STRING_EQUAL(f.resolution, "");
    memset(&f, 0, sizeof(f));
    yb_journal_unknowns(j, now_ms(), 10, base, on_row, &f);
    run_until(&f.ended, 1);
    CU_ASSERT_EQUAL(f.rows, 0);

    /* a row that does not exist */
    fetch(j, 99999, &f);
    CU_ASSERT_EQUAL(f.rows, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.why, "99999"));

    yb_journal_audit(j, "reload", "ops", "conf v2");
    yb_journal_close(j);
    CU_ASSERT_EQUAL(peek_int(&c,
                             "SELECT count(*) FROM journal_event WHERE kind = 'audit' AND"
                             " what = 'reload' AND who = 'ops'",
                             1),
                    1);
    check_verifies(&c, &v);
    yb_journal_conf_free(&c);
}

static void test_backlog_refusal(void)
{
    struct yb_journal_conf c;
    struct outcome o[3];
    int64_t id[3];
    char why[512];
    conf_for(&c, "backlog.db");
    c.backlog = 2;
    struct yb_journal *j = open_journal(&c, NULL);
    /* another program holds the write lock: the writer waits */
    sqlite3 *other = peek(&c);
    CU_ASSERT_FATAL(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    memset(o, 0, sizeof(o));
    CU_ASSERT_PTR_NOT_NULL(begin(j, &o[0], "2207", REQUEST, 0, &id[0], why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(begin(j, &o[1], "2207", REQUEST, 0, &id[1], why, sizeof(why)));
    why[0] = '\0';
    id[2] = 77;
    CU_ASSERT_PTR_NULL(begin(j, &o[2], "2207", REQUEST, 0, &id[2], why, sizeof(why)));
    CU_ASSERT_EQUAL(id[2], 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "backlog 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the journal is behind"));
    struct yb_journal_stats s;
    yb_journal_stats(j, &s);
    CU_ASSERT_EQUAL(s.backlog, 2);
    sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(other);
    run_until(&o[1].calls, 1);
    run_until(&o[0].calls, 1);
    CU_ASSERT_EQUAL(o[0].calls + o[1].calls, 2);
    CU_ASSERT_EQUAL(o[0].rc, 0);
    CU_ASSERT_EQUAL(o[1].rc, 0);
    CU_ASSERT_EQUAL(o[2].calls, 0);
    yb_journal_close(j);
    yb_journal_conf_free(&c);
}

static void test_max_size_full(void)
{
    struct yb_journal_conf c;
    struct outcome o;
    char why[512], big[3000];
    int64_t id;
    unsigned recovered = 0;
    conf_for(&c, "full.db");
    c.max_size = 65536;
    c.personal = YB_JP_PLAIN;
    snprintf(big, sizeof(big), "{\"note\":\"%2900d\"}", 7);
    struct yb_journal *j = open_journal(&c, NULL);
    int written = 0, failed = 0;
    for (int i = 0; i < 100 && !failed; i++) {
        memset(&o, 0, sizeof(o));
        CU_ASSERT_PTR_NOT_NULL_FATAL(begin(j, &o, "2207", big, 0, &id, why, sizeof(why)));
        run_until(&o.calls, 1);
        CU_ASSERT_EQUAL_FATAL(o.calls, 1);
        if (o.rc == 0)
            written++;
        else
            failed = 1;
    }
    CU_ASSERT(written > 0);
    CU_ASSERT_EQUAL_FATAL(failed, 1);
    CU_ASSERT(o.rc < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.why, "SQLITE_FULL"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.why, "max_size is full"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.why, "the journal cannot be written"));
    /* while failing, begins are refused at once with the same sentence */
    why[0] = '\0';
    CU_ASSERT_PTR_NULL(begin(j, &o, "2207", big, 0, &id, why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "SQLITE_FULL"));
    struct yb_journal_stats s;
    yb_journal_stats(j, &s);
    CU_ASSERT_EQUAL(s.failing, 1);
    CU_ASSERT(s.failures >= 1);
    /* a small record (the outage audit) still fits under the cap, but that
     * is no room for transactions: still failing after several retries */
    usleep(800000);
    yb_journal_stats(j, &s);
    CU_ASSERT_EQUAL(s.failing, 1);
    CU_ASSERT_EQUAL(s.backlog, 0);
    CU_ASSERT_PTR_NULL(begin(j, &o, "1101", "{}", 0, &id, why, sizeof(why)));
    yb_journal_close(j);

    /* room again: the journal opens, recovers what was written, and writes */
    c.max_size = 0;
    j = open_journal(&c, &recovered);
    CU_ASSERT_EQUAL(recovered, (unsigned)written);
    begin_written(j, "2207", big, 0);
    yb_journal_close(j);
    struct yb_jverify v;
    check_verifies(&c, &v);
    CU_ASSERT_EQUAL(v.rows, written + 1);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT count(*) FROM journal_event WHERE what = 'outage'", 0), 1);
    yb_journal_conf_free(&c);
}

struct scanned {
    int n;
    int64_t id[8];
    int null_texts;
};

static int on_scan(void *arg, const struct yb_jrow *row)
{
    struct scanned *s = arg;
    if (s->n < 8)
        s->id[s->n] = row->id;
    s->n++;
    s->null_texts += !row->request && !row->response;
    return 0;
}

static int stop_scan(void *arg, const struct yb_jrow *row)
{
    (void)arg, (void)row;
    return 42;
}

static void test_scan(void)
{
    struct yb_journal_conf c;
    struct scanned s = {0};
    conf_for(&c, "scan.db");
    free(c.idempotent[0]);
    c.idempotent[0] = strdup("22*"); /* a prefix pattern too */
    struct yb_journal *j = open_journal(&c, NULL);
    int64_t a = begin_written(j, "2207", REQUEST, 1000);
    begin_written(j, "1101", "{}", 2000);
    int64_t b = begin_written(j, "2208", "{}", 3000);
    int64_t d = begin_written(j, "2601", "{}", 4000);
    CU_ASSERT_EQUAL(yb_journal_scan(j, 0, on_scan, &s), 0);
    CU_ASSERT_EQUAL(s.n, 3);
    CU_ASSERT_EQUAL(s.id[0], a);
    CU_ASSERT_EQUAL(s.id[1], b);
    CU_ASSERT_EQUAL(s.id[2], d);
    CU_ASSERT_EQUAL(s.null_texts, 3);
    memset(&s, 0, sizeof(s));
    CU_ASSERT_EQUAL(yb_journal_scan(j, 2500, on_scan, &s), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(yb_journal_scan(j, 0, stop_scan, NULL), 42);
    yb_journal_close(j);
    yb_journal_conf_free(&c);
}

static void test_cancel(void)
{
    struct yb_journal_conf c;
    struct outcome o1 = {0}, o2 = {0};
    int64_t id1, id2;
    char why[256];
    conf_for(&c, "cancel.db");
    struct yb_journal *j = open_journal(&c, NULL);
    /* cancelled before the writer got to it */
    struct yb_jwait *w = begin(j, &o1, "2207", REQUEST, 0, &id1, why, sizeof(why));
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    yb_journal_cancel(w);
    /* cancelled after the writer posted it, before the loop ran it */
    w = begin(j, &o2, "2207", REQUEST, 0, &id2, why, sizeof(why));
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    usleep(300000);
    yb_journal_cancel(w);
    run_for(200);
    CU_ASSERT_EQUAL(o1.calls, 0);
    CU_ASSERT_EQUAL(o2.calls, 0);
    yb_journal_close(j);
    /* the rows are still written */
    check_status(&c, id1, "received");
    check_status(&c, id2, "received");
    yb_journal_conf_free(&c);
}

static void test_prune(void)
{
    struct yb_journal_conf c;
    struct yb_jverify v;
    int64_t day = 86400000LL, old = now_ms() - 10 * day;
    conf_for(&c, "prune.db");
    struct yb_journal *j = open_journal(&c, NULL);
    int64_t r1 = begin_written(j, "2207", REQUEST, old);
    int64_t r2 = begin_written(j, "2207", REQUEST, old + 1);
    int64_t r3 = begin_written(j, "2207", REQUEST, old + 2); /* left in flight */
    int64_t r4 = begin_written(j, "2207", REQUEST, old + 3);
    int64_t r5 = begin_written(j, "2207", REQUEST, 0); /* young */
    finish(j, r1, YB_J_ANSWERED, RESPONSE);
    finish(j, r2, YB_J_FAILED, NULL);
    finish(j, r4, YB_J_ANSWERED, RESPONSE);
    finish(j, r5, YB_J_ANSWERED, RESPONSE);
    yb_journal_close(j);

    /* reopen with a retention of 1 day: r3 becomes unknown and stays, so
     * do r4 and r5 after it; r1 and r2 go */
    c.retention_ms = day;
    unsigned recovered = 0;
    j = open_journal(&c, &recovered);
    CU_ASSERT_EQUAL(recovered, 1);
    yb_journal_close(j);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT count(*) FROM journal WHERE id < ?1", r3), 0);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT count(*) FROM journal WHERE id >= ?1", r3), 3);
    check_verifies(&c, &v);
    CU_ASSERT(v.first_seq > 1);
    CU_ASSERT_EQUAL(v.rows, 3);

    /* resolve r3: now everything old goes, the young row stays */
    c.retention_ms = 0;
    j = open_journal(&c, NULL);
    yb_journal_resolve(j, r3, "settled", "ops", "");
    yb_journal_close(j);
    c.retention_ms = day;
    j = open_journal(&c, NULL);
    yb_journal_close(j);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT count(*) FROM journal WHERE ?1", 1), 1);
    check_verifies(&c, &v);

    /* nothing young: every row goes, the chain still verifies, ids go on */
    c.retention_ms = 1;
    j = open_journal(&c, NULL);
    yb_journal_close(j);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT count(*) FROM journal WHERE ?1", 1), 0);
    check_verifies(&c, &v);
    CU_ASSERT_EQUAL(v.rows, 0);
    c.retention_ms = 0;
    j = open_journal(&c, NULL);
    CU_ASSERT(begin_written(j, "2207", REQUEST, 0) > r5);
    yb_journal_close(j);
    check_verifies(&c, &v);
    yb_journal_conf_free(&c);
}

/* ---- many threads ---- */

#define THREADS 4
#define PER_THREAD 2000

struct worker {
    struct yb_journal *j;
    int done, ok;
    struct event_base *base;
};

static void on_worker_begin(void *arg, int rc, const char *why)
{
    struct worker *w = arg;
    (void)why;
    w->done++;
    w->ok += rc == 0;
    if (w->done == PER_THREAD)
        event_base_loopbreak(w->base);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct yb_jbegin b = {0};
    char why[256], msgid[40];
    int64_t id;
    w->base = event_base_new();
    b.infno = "2207";
    b.request = REQUEST;
    b.request_len = strlen(REQUEST);
    b.req_hash = "00";
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(msgid, sizeof(msgid), "T%p-%d", (void *)w, i);
        b.msgid = msgid;
        b.received_ms = now_ms();
        if (!yb_journal_begin(w->j, &b, w->base, on_worker_begin, w, &id, why, sizeof(why))) {
            w->done++; /* refused: counted, and the assertion on ok fails */
            continue;
        }
        if (i % 100 == 99)
            event_base_loop(w->base, EVLOOP_NONBLOCK);
    }
    if (w->done < PER_THREAD)
        event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
    event_base_free(w->base);
    return NULL;
}

static void test_threads_lose_nothing(void)
{
    struct yb_journal_conf c;
    struct worker w[THREADS];
    pthread_t t[THREADS];
    struct yb_jverify v;
    conf_for(&c, "threads.db");
    struct yb_journal *j = open_journal(&c, NULL);
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].j = j;
        CU_ASSERT_FATAL(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(w[i].ok, PER_THREAD);
    }
    yb_journal_close(j);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT count(*) FROM journal WHERE ?1", 1), THREADS * PER_THREAD);
    CU_ASSERT_EQUAL(peek_int(&c, "SELECT count(DISTINCT msgid) FROM journal WHERE ?1", 1),
                    THREADS * PER_THREAD);
    check_verifies(&c, &v);
    CU_ASSERT_EQUAL(v.rows, THREADS * PER_THREAD);
    yb_journal_conf_free(&c);
}

/* ---- configuration ---- */

static int parse(const char *text, struct yb_journal_conf *c)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/ybgw.conf", dir);
    yb_test_write_file(path, text);
    struct yb_conf *root = yb_conf_parse_file(path, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    memset(c, 0, sizeof(*c));
    yb_journal_conf_init(c);
    int rc = yb_journal_conf_parse(yb_conf_find(root, "journal"), c, err, sizeof(err));
    yb_conf_free(root);
    return rc;
}

static void test_conf(void)
{
    struct yb_journal_conf c;
    char path[300];
    snprintf(path, sizeof(path), "%s/journal.key", dir);
    yb_test_write_file(path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    chmod(path, 0600);

    CU_ASSERT_EQUAL(parse("journal {\n path j.db;\n sync full;\n retention 30d;\n"
                          " personal encrypt;\n key_file journal.key;\n backlog 5;\n"
                          " max_size 1m;\n idempotent 22* 2601;\n unknown 2207 reverse;\n"
                          " unknown 9* operator;\n resolve_after 2m;\n update_delay 25ms;\n}\n",
                          &c),
                    0);
    CU_ASSERT_STRING_EQUAL(c.path, "j.db");
    CU_ASSERT_EQUAL(c.sync_full, 1);
    CU_ASSERT_EQUAL(c.retention_ms, 30L * 86400000L);
    CU_ASSERT_EQUAL(c.personal, YB_JP_ENCRYPT);
    CU_ASSERT_EQUAL(c.has_key, 1);
    CU_ASSERT_EQUAL(c.key[0], 0x00);
    CU_ASSERT_EQUAL(c.key[31], 0xff);
    CU_ASSERT_STRING_EQUAL(c.key_file, path);
    CU_ASSERT_EQUAL(c.backlog, 5);
    CU_ASSERT_EQUAL(c.max_size, 1 << 20);
    CU_ASSERT_EQUAL(c.resolve_after_ms, 120000);
    CU_ASSERT_EQUAL(c.update_delay_ms, 25);
    CU_ASSERT_EQUAL(yb_journal_idempotent(&c, "2207"), 1);
    CU_ASSERT_EQUAL(yb_journal_idempotent(&c, "2601"), 1);
    CU_ASSERT_EQUAL(yb_journal_idempotent(&c, "2304"), 0); /* the default list was replaced */
    CU_ASSERT_EQUAL(yb_journal_unknown_action(&c, "2207"), YB_JU_REVERSE);
    CU_ASSERT_EQUAL(yb_journal_unknown_action(&c, "9001"), YB_JU_OPERATOR);
    CU_ASSERT_EQUAL(yb_journal_unknown_action(&c, "2304"), YB_JU_OPERATOR);
    CU_ASSERT_EQUAL(yb_journal_conf_check(&c, err, sizeof(err)), 0);
    yb_journal_conf_free(&c);

    /* the defaults */
    memset(&c, 0, sizeof(c));
    yb_journal_conf_init(&c);
    CU_ASSERT_STRING_EQUAL(c.path, "journal.db");
    CU_ASSERT_EQUAL(c.backlog, 10000);
    CU_ASSERT_EQUAL(c.update_delay_ms, 10);
    CU_ASSERT_EQUAL(yb_journal_idempotent(&c, "2304"), 1);
    CU_ASSERT_EQUAL(yb_journal_unknown_action(&c, "2305"), YB_JU_REVERSE);
    CU_ASSERT_EQUAL(yb_journal_unknown_action(&c, "2601"), YB_JU_OPERATOR);
    CU_ASSERT_EQUAL(c.personal, YB_JP_MASK);
    CU_ASSERT_EQUAL(yb_journal_conf_check(&c, err, sizeof(err)), 0);
    c.personal = YB_JP_ENCRYPT; /* encrypt without a key */
    CU_ASSERT_EQUAL(yb_journal_conf_check(&c, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "key_file"));
    yb_journal_conf_free(&c);

    /* errors name the file, the line and the rule */
    CU_ASSERT_EQUAL(parse("journal {\n sync sometimes;\n}\n", &c), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "ybgw.conf:2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "normal or full"));
    yb_journal_conf_free(&c);
    CU_ASSERT_EQUAL(parse("journal {\n\n unknown 2207 later;\n}\n", &c), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":3:"));
    yb_journal_conf_free(&c);
    CU_ASSERT_EQUAL(parse("journal {\n retention forever;\n}\n", &c), YB_EINVAL);
    yb_journal_conf_free(&c);
    CU_ASSERT_EQUAL(parse("journal {\n idempotent 22-07;\n}\n", &c), YB_EINVAL);
    yb_journal_conf_free(&c);
    CU_ASSERT_EQUAL(parse("journal {\n update_delay 5s;\n}\n", &c), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "update_delay \"5s\" must be a duration from 0 to 1s"));
    yb_journal_conf_free(&c);
    chmod(path, 0644);
    CU_ASSERT_EQUAL(parse("journal {\n key_file journal.key;\n}\n", &c), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_PTR_NULL(strstr(err, "00112233"));
    yb_journal_conf_free(&c);

    CU_ASSERT_STRING_EQUAL(yb_jstatus_word(YB_J_UNKNOWN), "unknown");
    CU_ASSERT_PTR_NULL(yb_jstatus_word(17));
    CU_ASSERT_EQUAL(yb_jstatus_parse("forwarded"), YB_J_FORWARDED);
    CU_ASSERT_EQUAL(yb_jstatus_parse("lost"), -1);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_conf),
        YB_TEST(test_begin_on_disk),
        YB_TEST(test_finish_masked_and_sealed),
        YB_TEST(test_personal_mask_and_bad_json),
        YB_TEST(test_recovery_and_resolve),
        YB_TEST(test_backlog_refusal),
        YB_TEST(test_max_size_full),
        YB_TEST(test_scan),
        YB_TEST(test_cancel),
        YB_TEST(test_prune),
        YB_TEST(test_threads_lose_nothing),
        YB_TEST(test_lazy_and_urgent_updates),
        YB_TEST_END,
    };
    if (evthread_use_pthreads() != 0 || !mkdtemp(dir))
        return 2;
    pii = yb_pii_new();
    base = event_base_new();
    /* a persistent tick, so EVLOOP_ONCE returns now and then */
    tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, 20000};
    if (!pii || !base || !tick || event_add(tick, &tv) != 0)
        return 2;
    int rc = yb_test_main("journal", tests);
    event_free(tick);
    event_base_free(base);
    yb_pii_free(pii);
    libevent_global_shutdown();
    yb_test_remove_tree(dir);
    return rc;
}
