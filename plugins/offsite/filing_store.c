/*
 * filing_store.c - where the off-site filing registry (filing.c) keeps its
 * filings on disk: one SQLite table, offsite_filing, and the writer thread
 * that is the only thing writing it (the contract is in filing.h).
 *
 * Why it looks like this:
 *   - one row per filing, keyed by (psn_no, sn), never deleted: a 2502 sets
 *     revoked_at and revoked_by, so an operator can always tell when and by
 *     which message a filing ended. The same sn added again (the platform
 *     answered twice) replaces the row's dates and makes it active again,
 *     which is what the registry in memory does too;
 *   - hooks never wait for the disk: they queue a copy of the change (one
 *     heap block) and the thread applies whatever is queued in one
 *     transaction. `queued` and `done` count changes, so flush waits for a
 *     point in the stream without draining it;
 *   - a failed transaction is retried with a growing pause (a busy or
 *     briefly full disk) on a fresh connection; then change by change, and
 *     what still fails is logged with every field (an operator can replay
 *     it) and counted;
 *   - the table may live in a database other parts of ybgw use, so the store
 *     claims no PRAGMA user_version; it creates its table if missing and
 *     checks the columns by preparing its statements;
 *   - WAL mode with a busy timeout, so ybgwctl or a backup can read while the
 *     gateway writes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "filing.h"

#define BUSY_MS 5000

static const char schema_sql[] = "CREATE TABLE IF NOT EXISTS offsite_filing(\n"
                                 "  psn_no TEXT NOT NULL,\n"
                                 "  insuplc TEXT NOT NULL,\n"
                                 "  sn TEXT NOT NULL,\n"
                                 "  begndate TEXT NOT NULL DEFAULT '',\n"
                                 "  enddate TEXT NOT NULL DEFAULT '',\n"
                                 "  infno TEXT NOT NULL DEFAULT '',\n"
                                 "  msgid TEXT NOT NULL DEFAULT '',\n"
                                 "  recorded_at TEXT NOT NULL,\n"
                                 "  revoked_at TEXT,\n"
                                 "  revoked_by TEXT,\n"
                                 "  PRIMARY KEY (psn_no, sn));\n";

static const char put_sql[] =
    "INSERT INTO offsite_filing(psn_no, insuplc, sn, begndate, enddate, infno, msgid,\n"
    "  recorded_at, revoked_at, revoked_by) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL)\n"
    "ON CONFLICT(psn_no, sn) DO UPDATE SET insuplc = excluded.insuplc,\n"
    "  begndate = excluded.begndate, enddate = excluded.enddate, infno = excluded.infno,\n"
    "  msgid = excluded.msgid, recorded_at = excluded.recorded_at, revoked_at = NULL,\n"
    "  revoked_by = NULL";

static const char revoke_sql[] = "UPDATE offsite_filing SET revoked_at = ?3, revoked_by = ?4\n"
                                 "WHERE psn_no = ?1 AND sn = ?2 AND revoked_at IS NULL";

static const char load_sql[] = "SELECT psn_no, insuplc, sn, begndate, enddate, infno, msgid\n"
                               "FROM offsite_filing WHERE revoked_at IS NULL ORDER BY psn_no, sn";

/* One queued change. A revoke uses rec.psn_no, rec.sn and rec.msgid. */
struct change {
    struct change *next;
    int revoke;
    struct yb_filing rec;
    char at[20]; /* when the hook made it: recorded_at or revoked_at */
};

struct yb_filing_store {
    char *path;
    yb_filing_log_fn log;
    void *log_arg;
    sqlite3 *db; /* the opener's until the thread starts, then the thread's */
    sqlite3_stmt *put, *revoke;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* a change was queued, or stop */
    pthread_cond_t moved; /* `done` moved on */
    struct change *head, *tail;
    uint64_t queued, done, lost;
    int stopping;
};

static void say(struct yb_filing_store *st, int level, const char *fmt, ...) YB_PRINTF(3, 4);

static void say(struct yb_filing_store *st, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    st->log(st->log_arg, level, msg);
}

/* Log what SQLite said about WHAT; returns YB_EIO. */
static int db_fail(struct yb_filing_store *st, const char *what)
{
    say(st, YB_LOG_ERROR, "filing store %s: %s: %s", st->path, what,
        st->db ? sqlite3_errmsg(st->db) : "no connection");
    return YB_EIO;
}

static void db_close(struct yb_filing_store *st)
{
    sqlite3_finalize(st->put);
    sqlite3_finalize(st->revoke);
    sqlite3_close(st->db);
    st->put = st->revoke = NULL;
    st->db = NULL;
}

/* Open the connection: WAL, the table, the statements. */
static int db_open(struct yb_filing_store *st)
{
    struct stat sb;
    if (stat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        say(st, YB_LOG_ERROR, "filing store %s is not a regular file: name a file (filings PATH)",
            st->path);
        return YB_EINVAL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK) {
        db_fail(st, "cannot open it (does its folder exist, and may the gateway write there?)");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, BUSY_MS);
    sqlite3_stmt *s = NULL;
    const unsigned char *mode = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        mode = sqlite3_column_text(s, 0);
    int wal = mode && strcmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(s);
    if (!wal) {
        db_fail(st, "cannot switch it to WAL mode");
        goto fail;
    }
    if (sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        db_fail(st, "cannot create the table offsite_filing");
        goto fail;
    }
    if (sqlite3_prepare_v3(st->db, put_sql, -1, SQLITE_PREPARE_PERSISTENT, &st->put, NULL) ||
        sqlite3_prepare_v3(st->db, revoke_sql, -1, SQLITE_PREPARE_PERSISTENT, &st->revoke, NULL)) {
        db_fail(st, "its table offsite_filing lacks columns this ybgw needs (another program's "
                    "table of that name?)");
        goto fail;
    }
    return 0;
fail:
    db_close(st);
    return YB_EIO;
}

static const char *text_or_empty(sqlite3_stmt *s, int i)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    return v ? v : "";
}

/* Copy column I of S into DST[CAP]: 0, or YB_EINVAL when it does not fit. */
static int column(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
    const char *v = text_or_empty(s, i);
    return yb_filing_set(dst, cap, v, (size_t)sqlite3_column_bytes(s, i));
}

/* Call EACH for every unrevoked row; a row that breaks a rule is skipped. */
static int load(struct yb_filing_store *st, int (*each)(void *, const struct yb_filing *),
                void *arg)
{
    sqlite3_stmt *s = NULL;
    int rc = 0, step;
    unsigned long skipped = 0;
    if (sqlite3_prepare_v2(st->db, load_sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(st, "cannot read the table offsite_filing");
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        struct yb_filing rec;
        char why[256] = "";
        memset(&rec, 0, sizeof(rec));
        int bad = column(s, 0, rec.psn_no, sizeof(rec.psn_no)) ||
                  column(s, 1, rec.insuplc, sizeof(rec.insuplc)) ||
                  column(s, 2, rec.sn, sizeof(rec.sn)) ||
                  column(s, 3, rec.begndate, sizeof(rec.begndate)) ||
                  column(s, 4, rec.enddate, sizeof(rec.enddate)) ||
                  column(s, 5, rec.infno, sizeof(rec.infno)) ||
                  column(s, 6, rec.msgid, sizeof(rec.msgid));
        if (bad)
            snprintf(why, sizeof(why), "a column is longer than the registry holds");
        else if (yb_filing_check(&rec, why, sizeof(why)) == 0)
            rc = each(arg, &rec);
        if (why[0]) {
            skipped++;
            say(st, YB_LOG_WARN, "filing store %s: row msgid %.40s sn %.40s skipped: %s", st->path,
                text_or_empty(s, 6), text_or_empty(s, 2), why);
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_fail(st, "cannot read the table offsite_filing");
    sqlite3_finalize(s);
    if (skipped)
        say(st, YB_LOG_WARN,
            "filing store %s: %lu filing(s) not loaded (see above); those persons count as "
            "having no filing until the platform answers a filing for them again",
            st->path, skipped);
    return rc;
}

/* ---- queueing (any thread) ---- */

static void now_text(char out[20])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static int queue(struct yb_filing_store *st, int revoke, const struct yb_filing *rec)
{
    struct change *c = calloc(1, sizeof(*c));
    if (!c)
        return YB_ENOMEM;
    c->revoke = revoke;
    c->rec = *rec;
    now_text(c->at);
    pthread_mutex_lock(&st->lock);
    if (st->tail)
        st->tail->next = c;
    else
        st->head = c;
    st->tail = c;
    st->queued++;
    pthread_cond_signal(&st->wake);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

int yb_filing_store_put(struct yb_filing_store *st, const struct yb_filing *rec)
{
    return queue(st, 0, rec);
}

int yb_filing_store_revoke(struct yb_filing_store *st, const char *psn_no, const char *sn,
                           const char *msgid)
{
    struct yb_filing rec;
    memset(&rec, 0, sizeof(rec));
    if (yb_filing_set(rec.psn_no, sizeof(rec.psn_no), psn_no, strlen(psn_no)) ||
        yb_filing_set(rec.sn, sizeof(rec.sn), sn, strlen(sn)) ||
        (msgid && yb_filing_set(rec.msgid, sizeof(rec.msgid), msgid, strlen(msgid))))
        return YB_EINVAL;
    return queue(st, 1, &rec);
}

/* ---- the thread ---- */

static int apply(struct yb_filing_store *st, const struct change *c)
{
    const struct yb_filing *r = &c->rec;
    sqlite3_stmt *s = c->revoke ? st->revoke : st->put;
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, r->psn_no, -1, SQLITE_STATIC);
    if (c->revoke) {
        sqlite3_bind_text(s, 2, r->sn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, c->at, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, r->msgid, -1, SQLITE_STATIC);
    } else {
        const char *v[] = {r->insuplc, r->sn, r->begndate, r->enddate, r->infno, r->msgid, c->at};
        for (int i = 0; i < 7; i++)
            sqlite3_bind_text(s, i + 2, v[i], -1, SQLITE_STATIC);
    }
    int step = sqlite3_step(s);
    sqlite3_reset(s);
    if (step != SQLITE_DONE)
        return db_fail(st, c->revoke ? "revoking a filing" : "recording a filing");
    if (c->revoke && sqlite3_changes(st->db) == 0)
        say(st, YB_LOG_INFO,
            "filing store %s: revoke of psn_no %s sn %s (msgid %s) found no active row (its "
            "filing was never written: see an earlier error)",
            st->path, r->psn_no, r->sn, r->msgid);
    return 0;
}

/* Apply BATCH in one transaction: 0, or the first failure (rolled back and
 * the connection closed, so that the next try starts afresh). */
static int apply_batch(struct yb_filing_store *st, const struct change *batch)
{
    if (!st->db && db_open(st) != 0)
        return YB_EIO;
    int rc = 0;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(st, "starting a transaction");
    for (const struct change *c = batch; c && rc == 0; c = c->next)
        rc = apply(st, c);
    if (rc == 0 && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(st, "committing");
    if (rc) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        db_close(st);
    }
    return rc;
}

static void give_up(struct yb_filing_store *st, const struct change *c)
{
    const struct yb_filing *r = &c->rec;
    if (c->revoke)
        say(st, YB_LOG_ERROR,
            "filing store %s: NOT WRITTEN after retries: revoke psn_no=%s sn=%s revoked_by=%s "
            "revoked_at=%s; the registry in memory has it until the gateway restarts: set "
            "revoked_at and revoked_by of that row by hand",
            st->path, r->psn_no, r->sn, r->msgid, c->at);
    else
        say(st, YB_LOG_ERROR,
            "filing store %s: NOT WRITTEN after retries: add psn_no=%s insuplc=%s sn=%s "
            "begndate=%s enddate=%s infno=%s msgid=%s recorded_at=%s; the registry in memory "
            "has it until the gateway restarts: insert that row by hand",
            st->path, r->psn_no, r->insuplc, r->sn, r->begndate, r->enddate, r->infno, r->msgid,
            c->at);
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Write BATCH: retried after pauses of 0.1, 0.5, 2 and 5 s; then change by
 * change, giving up (logged) what still fails. Returns the number given up. */
static uint64_t write_batch(struct yb_filing_store *st, struct change *batch)
{
    static const long pauses[] = {100, 500, 2000, 5000};
    for (size_t i = 0;; i++) {
        if (apply_batch(st, batch) == 0)
            return 0;
        if (i == sizeof(pauses) / sizeof(pauses[0]))
            break;
        pause_ms(pauses[i]);
    }
    uint64_t lost = 0;
    for (struct change *c = batch; c; c = c->next) {
        struct change *next = c->next;
        c->next = NULL;
        if (apply_batch(st, c) != 0) {
            give_up(st, c);
            lost++;
        }
        c->next = next;
    }
    return lost;
}

static void *writer_main(void *arg)
{
    struct yb_filing_store *st = arg;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        while (!st->head && !st->stopping)
            pthread_cond_wait(&st->wake, &st->lock);
        if (!st->head)
            break; /* stopping with nothing left */
        struct change *batch = st->head;
        uint64_t n = 0;
        for (const struct change *c = batch; c; c = c->next)
            n++;
        st->head = st->tail = NULL;
        pthread_mutex_unlock(&st->lock);

        uint64_t lost = write_batch(st, batch);
        while (batch) {
            struct change *next = batch->next;
            free(batch);
            batch = next;
        }

        pthread_mutex_lock(&st->lock);
        st->done += n;
        st->lost += lost;
        pthread_cond_broadcast(&st->moved);
    }
    pthread_mutex_unlock(&st->lock);
    db_close(st);
    return NULL;
}

/* ---- the handle ---- */

static void store_free(struct yb_filing_store *st)
{
    db_close(st);
    pthread_cond_destroy(&st->moved);
    pthread_cond_destroy(&st->wake);
    pthread_mutex_destroy(&st->lock);
    free(st->path);
    free(st);
}

int yb_filing_store_open(const char *path, yb_filing_log_fn log, void *arg,
                         int (*each)(void *arg, const struct yb_filing *rec),
                         struct yb_filing_store **out)
{
    *out = NULL;
    struct yb_filing_store *st = calloc(1, sizeof(*st));
    if (!st)
        return YB_ENOMEM;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->wake, NULL);
    pthread_cond_init(&st->moved, NULL);
    st->log = log;
    st->log_arg = arg;
    int rc = YB_ENOMEM;
    if (!(st->path = strdup(path)))
        goto fail;
    rc = db_open(st);
    if (rc == 0)
        rc = load(st, each, arg);
    if (rc)
        goto fail;
    if (pthread_create(&st->thread, NULL, writer_main, st) != 0) {
        say(st, YB_LOG_ERROR, "filing store %s: cannot start its writer thread", path);
        rc = YB_ENOMEM;
        goto fail;
    }
    *out = st;
    return 0;
fail:
    store_free(st);
    return rc;
}

void yb_filing_store_flush(struct yb_filing_store *st)
{
    pthread_mutex_lock(&st->lock);
    uint64_t target = st->queued;
    while (st->done < target)
        pthread_cond_wait(&st->moved, &st->lock);
    pthread_mutex_unlock(&st->lock);
}

uint64_t yb_filing_store_lost(struct yb_filing_store *st)
{
    pthread_mutex_lock(&st->lock);
    uint64_t lost = st->lost;
    pthread_mutex_unlock(&st->lock);
    return lost;
}

void yb_filing_store_close(struct yb_filing_store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->lock);
    st->stopping = 1;
    pthread_cond_signal(&st->wake);
    pthread_mutex_unlock(&st->lock);
    pthread_join(st->thread, NULL);
    store_free(st);
}
