/*
 * journal_db.c - the journal's SQLite connection outside the write path:
 * opening it (pragmas, statements), crash recovery, retention pruning, and
 * the reads the resolver and the idempotency check make (fetch, unknowns).
 *
 * The connection belongs to the opener until the writer thread starts, then
 * to the writer alone; everything here runs on one of those two, never on a
 * worker's event loop. Why things are done this way:
 *   - recovery runs before the thread starts and before any begin can be
 *     queued, so a row left `received` or `forwarded` by a dead process is
 *     marked `unknown` (one chained 'txn' event each) before the new process
 *     writes anything; ids continue after the largest ever used, pruned ones
 *     included, so an id is never reused;
 *   - max_size is PRAGMA max_page_count: SQLite refuses to grow the file
 *     past it with SQLITE_FULL, exactly what a full disk gives, so both
 *     take the same path in the writer;
 *   - pruning keeps every open row (received, forwarded, unresolved
 *     unknown) and everything after it, and deletes a prefix of rows and
 *     events, leaving an anchor in a 'prune' event (jchain.h) so the chain
 *     still verifies.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jchain.h"
#include "journal_internal.h"
#include "log.h"
#include "pool.h"
#include "seal.h"
#include "ybgw/ybgw.h"

#define PRUNE_EVERY_MS 3600000
#define UNKNOWNS_MAX 10000

const char yb_journal_row_columns[] =
    "id, msgid, infno, fixmedins_code, psn_no, route, req_hash, status, infcode, received_at,"
    " error, resolution, resolved_by, request, response, sealed_request, sealed_response";

static const char insert_sql[] =
    "INSERT INTO journal(id, msgid, infno, fixmedins_code, psn_no, caller, node, route,"
    " route_why, hops, received_at, status, error, req_hash, request, sealed_request)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'received', ?12, ?13, ?14, ?15)";
static const char forwarded_sql[] =
    "UPDATE journal SET status = 'forwarded', forwarded_at = ?2, attempts = ?3 WHERE id = ?1";
static const char finish_sql[] =
    "UPDATE journal SET status = ?2, infcode = ?3, http_status = ?4, attempts = ?5,"
    " upstream_ms = ?6, total_ms = ?7, error = ?8, response = ?9, sealed_response = ?10,"
    " answered_at = ?11, forwarded_at = COALESCE(?12, forwarded_at) WHERE id = ?1";
static const char resolve_sql[] =
    "UPDATE journal SET resolution = ?2, resolved_by = ?3, resolved_at = ?4,"
    " resolution_note = ?5 WHERE id = ?1 AND status = 'unknown'";

/* Run one statement that returns at most a single integer (NULL: 0). */
static int query_int(sqlite3 *db, const char *sql, int64_t bind, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = YB_EIO;
    *out = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, bind);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE)
        goto fail;
    rc = 0;
fail:
    sqlite3_finalize(st);
    return rc;
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : YB_EIO;
}

int yb_journal_db_begin(struct yb_journal *j)
{
    int rc = sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        yb_jchain_appender_begin(j->appender);
    return rc;
}

/* ---- recovery ---- */

static int append(struct yb_journal *j, const char *kind, int64_t txn_id, const char *what,
                  const char *detail, char *err, size_t errlen)
{
    struct yb_jevent ev = {yb_journal_now_ms(), kind, txn_id, what, j->node, detail};
    return yb_jchain_appender_append(j->appender, &ev, err, errlen);
}

/* Rows left in flight by an earlier process become unknown. */
static int recover(struct yb_journal *j, unsigned *count, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL, *up = NULL;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    char detail[128];
    int rc = YB_EIO, step;
    if (yb_journal_db_begin(j) != SQLITE_OK)
        goto sqlfail;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT id FROM journal WHERE status IN ('received','forwarded')"
                           " ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(j->db,
                           "UPDATE journal SET status = 'unknown', error = CASE WHEN error = ''"
                           " THEN 'the gateway stopped before the outcome was known; the"
                           " platform may or may not have processed it' ELSE error END"
                           " WHERE id = ?1",
                           -1, &up, NULL) != SQLITE_OK)
        goto sqlfail;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            int64_t *grown = realloc(ids, ncap * sizeof(*ids));
            if (!grown) {
                rc = YB_ENOMEM;
                snprintf(err, errlen, "journal recovery: out of memory");
                goto fail;
            }
            ids = grown;
            cap = ncap;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE)
        goto sqlfail;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(up);
        sqlite3_bind_int64(up, 1, ids[i]);
        if (sqlite3_step(up) != SQLITE_DONE)
            goto sqlfail;
        if ((rc = append(j, "txn", ids[i], "unknown", "recovered at start", err, errlen)))
            goto fail;
    }
    snprintf(detail, sizeof(detail), "rows=%zu", n);
    if (n && (rc = append(j, "audit", 0, "recover", detail, err, errlen)))
        goto fail;
    if (exec(j->db, "COMMIT"))
        goto sqlfail;
    *count = (unsigned)n;
    rc = 0;
    goto done;
sqlfail:
    rc = YB_EIO;
    snprintf(err, errlen, "journal database %s: recovery failed: %s", j->conf.path,
             sqlite3_errmsg(j->db));
fail:
    if (!sqlite3_get_autocommit(j->db))
        exec(j->db, "ROLLBACK");
done:
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    free(ids);
    return rc;
}

/* The next id: after every id ever used, pruned ones included. */
static int next_id(struct yb_journal *j)
{
    int64_t a, b, below = 0;
    sqlite3_stmt *st = NULL;
    if (query_int(j->db, "SELECT max(id) FROM journal", 0, &a) ||
        query_int(j->db, "SELECT max(txn_id) FROM journal_event", 0, &b))
        return YB_EIO;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT detail FROM journal_event WHERE kind = 'audit' AND"
                           " what = 'prune' ORDER BY seq DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return YB_EIO;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 0);
        const char *p = d ? strstr(d, "below_id=") : NULL;
        if (p)
            below = strtoll(p + 9, NULL, 10);
    }
    sqlite3_finalize(st);
    int64_t max = a > b ? a : b;
    if (below - 1 > max)
        max = below - 1;
    j->next_id = max + 1;
    return 0;
}

int yb_journal_db_open(struct yb_journal *j, unsigned *recovered, char *err, size_t errlen)
{
    char sql[96];
    int64_t page = 0, pages = 0;
    /* NOMUTEX: one thread at a time uses the connection (the opener, then
     * the writer), so SQLite's per-call locking would be pure cost */
    if (sqlite3_open_v2(j->conf.path, &j->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "journal database %s: cannot open: %s", j->conf.path,
                 j->db ? sqlite3_errmsg(j->db) : "out of memory");
        return YB_EIO;
    }
    sqlite3_extended_result_codes(j->db, 1);
    if (yb_jchain_schema(j->db, err, errlen))
        return YB_EIO;
    if (exec(j->db,
             j->conf.sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"))
        goto sqlfail;
    if (j->conf.max_size > 0) {
        if (query_int(j->db, "PRAGMA page_size", 0, &page) || page <= 0)
            goto sqlfail;
        pages = j->conf.max_size / page;
        snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %" PRId64, pages > 1 ? pages : 1);
        if (query_int(j->db, sql, 0, &pages))
            goto sqlfail;
    }
    if (sqlite3_prepare_v3(j->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &j->insert, NULL) ||
        sqlite3_prepare_v3(j->db, forwarded_sql, -1, SQLITE_PREPARE_PERSISTENT, &j->forwarded,
                           NULL) ||
        sqlite3_prepare_v3(j->db, finish_sql, -1, SQLITE_PREPARE_PERSISTENT, &j->finish, NULL) ||
        sqlite3_prepare_v3(j->db, resolve_sql, -1, SQLITE_PREPARE_PERSISTENT, &j->resolve, NULL) ||
        !(j->appender = yb_jchain_appender_new(j->db)))
        goto sqlfail;
    int rc = recover(j, recovered, err, errlen);
    if (rc)
        return rc;
    if (next_id(j))
        goto sqlfail;
    if (j->conf.retention_ms > 0) {
        if (yb_journal_prune(j, yb_journal_now_ms()))
            yb_log(YB_LOG_WARN, "journal", "pruning at start failed; it is tried again hourly");
        j->next_prune = yb_journal_mono_ms() + PRUNE_EVERY_MS;
    }
    return 0;
sqlfail:
    snprintf(err, errlen, "journal database %s: %s", j->conf.path, sqlite3_errmsg(j->db));
    return YB_EIO;
}

void yb_journal_db_close(struct yb_journal *j)
{
    sqlite3_finalize(j->insert);
    sqlite3_finalize(j->forwarded);
    sqlite3_finalize(j->finish);
    sqlite3_finalize(j->resolve);
    j->insert = j->forwarded = j->finish = j->resolve = NULL;
    yb_jchain_appender_free(j->appender);
    j->appender = NULL;
    if (j->db)
        sqlite3_close(j->db);
    j->db = NULL;
}

/* ---- pruning ---- */

int yb_journal_prune(struct yb_journal *j, int64_t now_ms)
{
    char err[256], detail[256], prev[YB_JCHAIN_HEX] = "";
    int64_t cutoff = now_ms - j->conf.retention_ms, keep_open, keep_new, keep, below, rows;
    int64_t first_seq = 0, tail = 0;
    sqlite3_stmt *st = NULL;
    if (j->conf.retention_ms <= 0)
        return 0;
    if (yb_journal_db_begin(j) != SQLITE_OK)
        goto sqlfail;
    /* the oldest row that must stay: open, or young enough; ids grow with
     * time, so every row under it is old and closed */
    if (query_int(j->db,
                  "SELECT min(id) FROM journal WHERE status IN ('received','forwarded','unknown')"
                  " AND (status <> 'unknown' OR resolution = '')",
                  0, &keep_open) ||
        query_int(j->db,
                  "SELECT id FROM journal WHERE received_at >= ?1 ORDER BY received_at LIMIT 1",
                  cutoff, &keep_new))
        goto sqlfail;
    keep = keep_open && keep_new ? (keep_open < keep_new ? keep_open : keep_new)
                                 : (keep_open ? keep_open : keep_new);
    if (keep) {
        below = keep;
    } else {
        if (query_int(j->db, "SELECT max(id) FROM journal", 0, &below))
            goto sqlfail;
        below++;
    }
    if (query_int(j->db, "SELECT count(*) FROM journal WHERE id < ?1", below, &rows))
        goto sqlfail;
    if (rows == 0) {
        exec(j->db, "ROLLBACK");
        return 0;
    }
    /* the anchor: the kept row's first event, or (nothing kept) the prune
     * event itself, whose prev is the tail */
    if (keep &&
        query_int(j->db, "SELECT min(seq) FROM journal_event WHERE txn_id = ?1", keep, &first_seq))
        goto sqlfail;
    if (sqlite3_prepare_v2(j->db,
                           first_seq ? "SELECT seq, prev FROM journal_event WHERE seq = ?1"
                                     : "SELECT seq, hash FROM journal_event ORDER BY seq DESC "
                                       "LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlfail;
    if (first_seq)
        sqlite3_bind_int64(st, 1, first_seq);
    if (sqlite3_step(st) == SQLITE_ROW) {
        tail = sqlite3_column_int64(st, 0);
        snprintf(prev, sizeof(prev), "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!first_seq) {
        first_seq = tail + 1;
        if (!tail)
            memset(prev, '0', YB_JCHAIN_HEX - 1);
    }
    snprintf(detail, sizeof(detail),
             "first_seq=%" PRId64 " prev=%s below_id=%" PRId64 " rows=%" PRId64 " before=%" PRId64,
             first_seq, prev, below, rows, cutoff);
    if (append(j, "audit", 0, "prune", detail, err, sizeof(err)))
        goto fail;
    int64_t ignored;
    if (query_int(j->db, "DELETE FROM journal WHERE id < ?1", below, &ignored) ||
        query_int(j->db, "DELETE FROM journal_event WHERE seq < ?1", first_seq, &ignored) ||
        exec(j->db, "COMMIT"))
        goto sqlfail;
    yb_log(YB_LOG_INFO, "journal", "pruned %" PRId64 " rows older than the retention", rows);
    return 0;
sqlfail:
    snprintf(err, sizeof(err), "%s", sqlite3_errmsg(j->db));
fail:
    sqlite3_finalize(st);
    yb_log(YB_LOG_WARN, "journal", "pruning %s failed: %s", j->conf.path, err);
    if (!sqlite3_get_autocommit(j->db))
        exec(j->db, "ROLLBACK");
    return YB_EIO;
}

/* ---- reads ---- */

static const char *col_text(struct yb_pool *pool, sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return yb_pool_strndup(pool, t ? t : "", t ? (size_t)sqlite3_column_bytes(st, i) : 0);
}

/* The full text when sealed and the key opens it, else the stored one. */
static int fill_text(struct yb_journal *j, sqlite3_stmt *st, int text_col, int sealed_col,
                     struct yb_pool *pool, const char **out, size_t *outlen, int *masked)
{
    const void *sealed = sqlite3_column_blob(st, sealed_col);
    size_t sealed_len = (size_t)sqlite3_column_bytes(st, sealed_col);
    if (sealed && j->conf.has_key) {
        char *plain = NULL;
        size_t len = 0;
        if (yb_unseal(j->conf.key, sealed, sealed_len, &plain, &len) == 0) {
            *out = yb_pool_strndup(pool, plain, len);
            *outlen = len;
            *masked = 0;
            OPENSSL_cleanse(plain, len);
            free(plain);
            return *out ? 0 : YB_ENOMEM;
        }
        yb_log(YB_LOG_WARN, "journal",
               "journal row %lld: a sealed text does not open with the configured key_file "
               "(another key, or altered); the masked text is used",
               (long long)sqlite3_column_int64(st, 0));
    }
    *out = col_text(pool, st, text_col);
    *outlen = *out ? strlen(*out) : 0;
    *masked = j->conf.personal != YB_JP_PLAIN;
    return *out ? 0 : YB_ENOMEM;
}

int yb_journal_row_fill(struct yb_journal *j, sqlite3_stmt *st, struct yb_pool *pool,
                        struct yb_jrow *row, int with_texts)
{
    memset(row, 0, sizeof(*row));
    row->id = sqlite3_column_int64(st, 0);
    row->msgid = col_text(pool, st, 1);
    row->infno = col_text(pool, st, 2);
    row->fixmedins_code = col_text(pool, st, 3);
    row->psn_no = col_text(pool, st, 4);
    row->route = col_text(pool, st, 5);
    row->req_hash = col_text(pool, st, 6);
    row->status = yb_jstatus_parse((const char *)sqlite3_column_text(st, 7));
    row->infcode =
        sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : (int)sqlite3_column_int64(st, 8);
    row->received_at = sqlite3_column_int64(st, 9);
    row->error = col_text(pool, st, 10);
    row->resolution = col_text(pool, st, 11);
    row->resolved_by = col_text(pool, st, 12);
    if (!row->msgid || !row->infno || !row->fixmedins_code || !row->psn_no || !row->route ||
        !row->req_hash || !row->error || !row->resolution || !row->resolved_by)
        return YB_ENOMEM;
    if (!with_texts)
        return 0;
    int unused;
    if (fill_text(j, st, 13, 15, pool, &row->request, &row->request_len, &unused) ||
        fill_text(j, st, 14, 16, pool, &row->response, &row->response_len, &row->response_masked))
        return YB_ENOMEM;
    return 0;
}

void yb_journal_read(struct yb_journal *j, struct jrec *r)
{
    struct yb_jwait *w = r->wait;
    sqlite3_stmt *st = NULL;
    char sql[512];
    int step, max = r->type == JR_FETCH ? 1 : (r->max < UNKNOWNS_MAX ? r->max : UNKNOWNS_MAX);
    if (r->type == JR_FETCH)
        snprintf(sql, sizeof(sql), "SELECT %s FROM journal WHERE id = ?1", yb_journal_row_columns);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT %s FROM journal WHERE status = 'unknown' AND resolution = '' AND"
                 " received_at < ?1 ORDER BY id LIMIT ?2",
                 yb_journal_row_columns);
    if (!(w->rows = yb_pool_alloc(w->pool, (size_t)max * sizeof(*w->rows))))
        goto nomem;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_int64(st, 1, r->type == JR_FETCH ? r->id : r->before_ms);
    if (r->type != JR_FETCH)
        sqlite3_bind_int(st, 2, max);
    while (w->n_rows < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (yb_journal_row_fill(j, st, w->pool, &w->rows[w->n_rows], 1))
            goto nomem;
        w->n_rows++;
    }
    if (w->n_rows < max && step != SQLITE_DONE)
        goto sqlfail;
    if (r->type == JR_FETCH && w->n_rows == 0)
        snprintf(w->why, sizeof(w->why),
                 "journal row %" PRId64 " does not exist (never written, or pruned)", r->id);
    sqlite3_finalize(st);
    return;
nomem:
    w->n_rows = 0;
    w->rc = YB_ENOMEM;
    snprintf(w->why, sizeof(w->why), "the journal ran out of memory reading a row");
    sqlite3_finalize(st);
    return;
sqlfail:
    w->n_rows = 0;
    w->rc = YB_EIO;
    snprintf(w->why, sizeof(w->why), "the journal could not be read: %s", sqlite3_errmsg(j->db));
    sqlite3_finalize(st);
}
