/*
 * jchain_test.c - the journal's hash chain (jchain.c): events appended in a
 * write transaction link up and verify; the hash is the text jchain.h
 * documents; and every kind of tampering is found where it happened: a
 * row's status edited, an event's detail edited, an event deleted from the
 * middle or the start, a row deleted or inserted. A prune anchor lets a
 * chain with its start cut off verify, and nothing else does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "jchain.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

static char dir[] = "/tmp/jchain_testXXXXXX";
static char err[512];

static sqlite3 *fresh_db(const char *name)
{
    char path[256];
    sqlite3 *db = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    remove(path);
    CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(yb_jchain_schema(db, err, sizeof(err)), 0);
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, msg);
    sqlite3_free(msg);
    CU_ASSERT_EQUAL_FATAL(rc, SQLITE_OK);
}

static void txn_event(sqlite3 *db, int64_t id, const char *what)
{
    struct yb_jevent ev = {1700000000000LL + id, "txn", id, what, "node-a", ""};
    CU_ASSERT_EQUAL_FATAL(yb_jchain_append(db, &ev, err, sizeof(err)), 0);
}

/* Rows 1..n, each received then answered: 2n events, plus one audit
 * event after the first row. */
static sqlite3 *chain_of(const char *name, int n)
{
    sqlite3 *db = fresh_db(name);
    char sql[512];
    for (int id = 1; id <= n; id++) {
        exec(db, "BEGIN IMMEDIATE");
        snprintf(sql, sizeof(sql),
                 "INSERT INTO journal(id, msgid, infno, received_at, status, req_hash, request)"
                 " VALUES(%d, 'H4501990005520240101%04d', '2207', %d, 'received', 'ab', '{}')",
                 id, id, 1000 + id);
        exec(db, sql);
        txn_event(db, id, "received");
        snprintf(sql, sizeof(sql),
                 "UPDATE journal SET status = 'answered', infcode = 0, upstream_ms = 12.5,"
                 " sealed_response = x'0001ff' WHERE id = %d",
                 id);
        exec(db, sql);
        txn_event(db, id, "answered");
        if (id == 1) {
            struct yb_jevent ev = {1700000000000LL, "audit", 0, "reload", "ops", "conf v2"};
            CU_ASSERT_EQUAL_FATAL(yb_jchain_append(db, &ev, err, sizeof(err)), 0);
        }
        exec(db, "COMMIT");
    }
    return db;
}

static int verify(sqlite3 *db, struct yb_jverify *v)
{
    return yb_jchain_verify(db, v, err, sizeof(err));
}

static void test_intact(void)
{
    struct yb_jverify v;
    sqlite3 *db = chain_of("intact.db", 5);
    CU_ASSERT_EQUAL(verify(db, &v), 0);
    CU_ASSERT_EQUAL(v.events, 11);
    CU_ASSERT_EQUAL(v.rows, 5);
    CU_ASSERT_EQUAL(v.first_seq, 1);
    CU_ASSERT_EQUAL(v.bad_seq, 0);
    CU_ASSERT_EQUAL(v.bad_row, 0);
    sqlite3_close(db);
}

static void hex_sha256(const char *text, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The stored hash and digest are the documented texts, so another tool can
 * check the chain without this code. */
static void test_documented_hash(void)
{
    sqlite3 *db = chain_of("format.db", 1);
    sqlite3_stmt *st = NULL;
    char text[4096], want[65], digest[YB_JCHAIN_HEX];

    CU_ASSERT_EQUAL(yb_jchain_row_digest(db, 1, digest), 0);
    snprintf(text, sizeof(text),
             "id=1\nmsgid=H45019900055202401010001\ninfno=2207\nfixmedins_code=\npsn_no=\n"
             "caller=\nnode=\nroute=\nroute_why=\nhops=\nreceived_at=1001\nforwarded_at=\n"
             "answered_at=\nstatus=answered\ninfcode=0\nhttp_status=\nattempts=0\n"
             "upstream_ms=12.5\ntotal_ms=\nerror=\nreq_hash=ab\nrequest={}\nresponse=\n"
             "sealed_request=\nsealed_response=0001ff\nresolution=\nresolved_by=\n"
             "resolved_at=\nresolution_note=\n");
    hex_sha256(text, want);
    CU_ASSERT_STRING_EQUAL(digest, want);
    CU_ASSERT_EQUAL(yb_jchain_row_digest(db, 99, digest), YB_ENOENT);

    CU_ASSERT_FATAL(sqlite3_prepare_v2(db,
                                       "SELECT prev, hash, digest FROM journal_event WHERE seq = 2",
                                       -1, &st, NULL) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_ROW);
    const char *prev = (const char *)sqlite3_column_text(st, 0);
    snprintf(text, sizeof(text), "%s\n2\n1700000000001\ntxn\n1\nanswered\nnode-a\n\n%s", prev,
             (const char *)sqlite3_column_text(st, 2));
    hex_sha256(text, want);
    CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 1), want);
    CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 2), digest);
    sqlite3_finalize(st);

    /* the first event links to 64 zeros */
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "SELECT prev FROM journal_event WHERE seq = 1", -1, &st,
                                       NULL) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_ROW);
    CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 0),
                           "0000000000000000000000000000000000000000000000000000000000000000");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_append_needs_transaction(void)
{
    sqlite3 *db = fresh_db("notxn.db");
    struct yb_jevent ev = {1, "audit", 0, "reload", NULL, NULL};
    CU_ASSERT_EQUAL(yb_jchain_append(db, &ev, err, sizeof(err)), YB_EINVAL);
    /* a txn event for a row that does not exist */
    exec(db, "BEGIN IMMEDIATE");
    struct yb_jevent txn = {1, "txn", 42, "received", NULL, NULL};
    CU_ASSERT_EQUAL(yb_jchain_append(db, &txn, err, sizeof(err)), YB_ENOENT);
    exec(db, "ROLLBACK");
    sqlite3_close(db);
}

static void test_row_status_edited(void)
{
    struct yb_jverify v;
    sqlite3 *db = chain_of("status.db", 4);
    exec(db, "UPDATE journal SET status = 'failed' WHERE id = 3");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_row, 3);
    CU_ASSERT_EQUAL(v.bad_seq, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "journal row 3"));
    sqlite3_close(db);
}

static void test_event_detail_edited(void)
{
    struct yb_jverify v;
    sqlite3 *db = chain_of("detail.db", 4);
    exec(db, "UPDATE journal_event SET detail = 'conf v3' WHERE seq = 3");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_seq, 3);
    CU_ASSERT_EQUAL(v.bad_row, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "event 3"));

    /* a forger who also recomputes that event's hash breaks the next link */
    sqlite3_close(db);
    db = chain_of("detail2.db", 4);
    exec(db, "UPDATE journal_event SET detail = 'x', hash = 'f00d' WHERE seq = 3");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_seq, 3);
    sqlite3_close(db);
}

static void test_event_deleted(void)
{
    struct yb_jverify v;
    sqlite3 *db = chain_of("gap.db", 4);
    exec(db, "DELETE FROM journal_event WHERE seq = 5");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_seq, 6);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "events 5 to 5"));
    sqlite3_close(db);

    /* the first events, without a prune record */
    db = chain_of("head.db", 4);
    exec(db, "DELETE FROM journal_event WHERE seq <= 2");
    exec(db, "DELETE FROM journal WHERE id = 1");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_seq, 3);
    sqlite3_close(db);
}

static void test_row_deleted_or_inserted(void)
{
    struct yb_jverify v;
    sqlite3 *db = chain_of("rowdel.db", 4);
    exec(db, "DELETE FROM journal WHERE id = 2");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_row, 2);
    CU_ASSERT_EQUAL(v.rows, 3);
    sqlite3_close(db);

    db = chain_of("rowins.db", 2);
    exec(db, "INSERT INTO journal(id, msgid, infno, received_at, status, req_hash)"
             " VALUES(7, 'm', '2207', 5, 'answered', 'ab')");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_row, 7);
    sqlite3_close(db);
}

/* Cut the chain before seq first (rows under below pruned) and anchor it. */
static void prune_by_hand(sqlite3 *db, int64_t first, int64_t below, int anchored)
{
    char sql[256], detail[256], prev[80] = "";
    sqlite3_stmt *st = NULL;
    exec(db, "BEGIN IMMEDIATE");
    snprintf(sql, sizeof(sql), "SELECT prev FROM journal_event WHERE seq = %" PRId64, first);
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_ROW);
    snprintf(prev, sizeof(prev), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    snprintf(detail, sizeof(detail), "first_seq=%" PRId64 " prev=%s below_id=%" PRId64 " rows=1",
             first, anchored ? prev : "0123", below);
    struct yb_jevent ev = {1700000009999LL, "audit", 0, "prune", "node-a", detail};
    CU_ASSERT_EQUAL_FATAL(yb_jchain_append(db, &ev, err, sizeof(err)), 0);
    snprintf(sql, sizeof(sql), "DELETE FROM journal WHERE id < %" PRId64, below);
    exec(db, sql);
    snprintf(sql, sizeof(sql), "DELETE FROM journal_event WHERE seq < %" PRId64, first);
    exec(db, sql);
    exec(db, "COMMIT");
}

static void test_prune_anchor(void)
{
    struct yb_jverify v;
    /* events: 1 r1, 2 a1, 3 audit, 4 r2, 5 a2, 6 r3, 7 a3 */
    sqlite3 *db = chain_of("prune.db", 3);
    prune_by_hand(db, 4, 2, 1);
    CU_ASSERT_EQUAL(verify(db, &v), 0);
    CU_ASSERT_EQUAL(v.first_seq, 4);
    CU_ASSERT_EQUAL(v.events, 5);
    CU_ASSERT_EQUAL(v.rows, 2);

    /* deleting past the anchor is found */
    exec(db, "DELETE FROM journal_event WHERE seq = 4");
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_seq, 5);
    sqlite3_close(db);

    /* an anchor with the wrong prev hash does not cover the cut */
    db = chain_of("prune2.db", 3);
    prune_by_hand(db, 4, 2, 0);
    CU_ASSERT_EQUAL(verify(db, &v), YB_EINVAL);
    CU_ASSERT_EQUAL(v.bad_seq, 4);
    sqlite3_close(db);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_intact),
        YB_TEST(test_documented_hash),
        YB_TEST(test_append_needs_transaction),
        YB_TEST(test_row_status_edited),
        YB_TEST(test_event_detail_edited),
        YB_TEST(test_event_deleted),
        YB_TEST(test_row_deleted_or_inserted),
        YB_TEST(test_prune_anchor),
        YB_TEST_END,
    };
    if (!mkdtemp(dir))
        return 2;
    int rc = yb_test_main("jchain", tests);
    yb_test_remove_tree(dir);
    return rc;
}
