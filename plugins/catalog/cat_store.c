/*
 * cat_store.c - the mapping store: one SQLite file per installation
 * (catalog.db) holding every version of every mapping of every institution
 * it serves (yb_cat_store_*; the table is described in catalog.h).
 *
 * Why it looks like this:
 *   - history, never overwrite: a change closes the current row (closed_at,
 *     closed_by, closed_reason "changed") and inserts the new one; a 3302
 *     closes it as "revoked". A partial unique index on (fixmedins_code,
 *     hilist_id) WHERE closed_at IS NULL lets at most one row per key be
 *     current, so a bug cannot leave two;
 *   - an import calls put a million times, so the statements put needs are
 *     prepared once and kept in the handle, and "now" is formatted once a
 *     second;
 *   - the map (cat_map.c) loads each_latest at start: one query, a full scan
 *     of the current rows plus the few revoked keys through a small partial
 *     index, never a subquery per current row;
 *   - a big import into a fresh or nearly empty store drops the national
 *     index (and those after it in the schema) inside its transaction
 *     (cat_bulk.c) and commit builds them again before the COMMIT: one
 *     sort instead of a million random B-tree inserts;
 *   - readers and the writer meet in WAL mode, with a busy timeout, so the
 *     gateway can record a 3301 while an operator exports.
 *
 * The schema version is PRAGMA user_version (1). A store written by a newer
 * ybgw is refused rather than misread. Nothing here runs on the request path.
 * The queries (the iterators and the counts) live in cat_query.c, the
 * bulk-import helpers in cat_bulk.c; the handle (struct yb_cat_store) is in
 * cat_internal.h for them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "cat_internal.h"
#include "catalog.h"

#define SCHEMA_VERSION 1
#define BUSY_MS 5000

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS catalog_mapping(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  fixmedins_code TEXT NOT NULL,\n"
    "  hilist_id TEXT NOT NULL,\n"
    "  hilist_name TEXT NOT NULL DEFAULT '',\n"
    "  list_type TEXT NOT NULL DEFAULT '',\n"
    "  med_list_codg TEXT NOT NULL DEFAULT '',\n"
    "  begndate TEXT NOT NULL DEFAULT '',\n"
    "  enddate TEXT NOT NULL DEFAULT '',\n"
    "  aprvno TEXT NOT NULL DEFAULT '',\n"
    "  dosform TEXT NOT NULL DEFAULT '',\n"
    "  exct_cont TEXT NOT NULL DEFAULT '',\n"
    "  item_cont TEXT NOT NULL DEFAULT '',\n"
    "  prcunt TEXT NOT NULL DEFAULT '',\n"
    "  spec TEXT NOT NULL DEFAULT '',\n"
    "  pacspec TEXT NOT NULL DEFAULT '',\n"
    "  memo TEXT NOT NULL DEFAULT '',\n"
    "  sync INTEGER NOT NULL DEFAULT 0,\n"
    "  sync_msgid TEXT, sync_time TEXT, sync_detail TEXT,\n"
    "  changed_by TEXT NOT NULL DEFAULT '',\n"
    "  changed_at TEXT NOT NULL,\n"
    "  source TEXT NOT NULL DEFAULT '',\n"
    "  source_msgid TEXT,\n"
    "  closed_at TEXT, closed_by TEXT, closed_reason TEXT, closed_msgid TEXT);\n"
    /* the current row of a key: put, revoke, set_sync, each_current */
    "CREATE UNIQUE INDEX IF NOT EXISTS catalog_mapping_current\n"
    "  ON catalog_mapping(fixmedins_code, hilist_id) WHERE closed_at IS NULL;\n"
    /* the closed rows of a key (history; 'is there a later row'). Not an
     * index of all rows: a first import then maintains three indexes, not
     * four, and random B-tree inserts are what a bulk import pays for */
    "CREATE INDEX IF NOT EXISTS catalog_mapping_closed\n"
    "  ON catalog_mapping(fixmedins_code, hilist_id) WHERE closed_at IS NOT NULL;\n"
    /* national lookups (which local codes map to X) */
    "CREATE INDEX IF NOT EXISTS catalog_mapping_national\n"
    "  ON catalog_mapping(med_list_codg, fixmedins_code) WHERE closed_at IS NULL;\n"
    /* what sync still has to send */
    "CREATE INDEX IF NOT EXISTS catalog_mapping_sync\n"
    "  ON catalog_mapping(sync, fixmedins_code) WHERE closed_at IS NULL;\n"
    /* revoked rows (few): each_latest and the counts */
    "CREATE INDEX IF NOT EXISTS catalog_mapping_revoked\n"
    "  ON catalog_mapping(fixmedins_code, hilist_id) WHERE closed_reason = 'revoked';\n";

/* (yb_cat_store_fail) */
static int db_fail(struct yb_cat_store *st, const char *what)
{
    snprintf(st->msg, sizeof(st->msg), "catalog store %s: %s: %s", st->path, what,
             sqlite3_errmsg(st->db));
    return YB_EIO;
}

static int exec(struct yb_cat_store *st, const char *sql, const char *what)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_fail(st, what);
}

static int prepared(struct yb_cat_store *st, sqlite3_stmt **slot, const char *sql)
{
    if (*slot)
        return 0;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK)
        return db_fail(st, "preparing a statement");
    return 0;
}

static const char *now_text(struct yb_cat_store *st)
{
    time_t t = time(NULL);
    if (t != st->now_t || !st->now[0]) {
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(st->now, sizeof(st->now), "%Y-%m-%d %H:%M:%S", &tm);
        st->now_t = t;
    }
    return st->now;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, nz(v), -1, SQLITE_STATIC);
}

/* NULL for an absent value. */
static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static int step_done(struct yb_cat_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : db_fail(st, what);
}

static const char *col(sqlite3_stmt *s, int i)
{
    const unsigned char *v = sqlite3_column_text(s, i);
    return v ? (const char *)v : "";
}

void yb_cat_record_load(struct sqlite3_stmt *s, struct yb_cat_record *rec)
{
    rec->id = sqlite3_column_int64(s, 0);
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        rec->row.f[i] = col(s, 1 + i);
    rec->sync = sqlite3_column_int(s, 16);
    rec->sync_msgid = col(s, 17);
    rec->sync_time = col(s, 18);
    rec->sync_detail = col(s, 19);
    rec->changed_by = col(s, 20);
    rec->changed_at = col(s, 21);
    rec->source = col(s, 22);
    rec->source_msgid = col(s, 23);
    rec->current = sqlite3_column_type(s, 24) == SQLITE_NULL;
    rec->closed_at = col(s, 24);
    rec->closed_by = col(s, 25);
    rec->closed_reason = col(s, 26);
    rec->closed_msgid = col(s, 27);
}

/* Find the current row of (FIXMEDINS, HILIST_ID) and copy it to st->old.
 * 1 found, 0 not, or a negative YB_E*. */
static int find_current(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id)
{
    int rc = prepared(st, &st->find,
                      "SELECT " RECORD_COLUMNS " FROM catalog_mapping WHERE fixmedins_code = ?1 "
                      "AND hilist_id = ?2 AND closed_at IS NULL");
    if (rc)
        return rc;
    sqlite3_bind_text(st->find, 1, fixmedins, -1, SQLITE_STATIC);
    sqlite3_bind_text(st->find, 2, hilist_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st->find);
    if (step == SQLITE_DONE) {
        sqlite3_reset(st->find);
        return 0;
    }
    if (step != SQLITE_ROW) {
        sqlite3_reset(st->find);
        return db_fail(st, "looking up the current mapping");
    }
    struct yb_cat_record rec;
    yb_cat_record_load(st->find, &rec);
    const char **str[YB_CAT_NFIELDS + 11];
    size_t n = 0;
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        str[n++] = &rec.row.f[i];
    const char **more[] = {&rec.sync_msgid, &rec.sync_time,     &rec.sync_detail,  &rec.changed_by,
                           &rec.changed_at, &rec.source,        &rec.source_msgid, &rec.closed_at,
                           &rec.closed_by,  &rec.closed_reason, &rec.closed_msgid};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
        str[n++] = more[i];
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        need += strlen(*str[i]) + 1;
    if (need > st->old_cap) {
        char *buf = realloc(st->old_buf, need);
        if (!buf) {
            sqlite3_reset(st->find);
            snprintf(st->msg, sizeof(st->msg), "catalog store %s: out of memory", st->path);
            return YB_ENOMEM;
        }
        st->old_buf = buf;
        st->old_cap = need;
    }
    char *p = st->old_buf;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(*str[i]);
        memcpy(p, *str[i], len + 1);
        *str[i] = p;
        p += len + 1;
    }
    sqlite3_reset(st->find);
    st->old = rec;
    return 1;
}

/* ---- opening ------------------------------------------------------------- */

static int user_version(struct yb_cat_store *st, int *v)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return db_fail(st, "reading the schema version");
    int step = sqlite3_step(s);
    *v = step == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    return step == SQLITE_ROW ? 0 : db_fail(st, "reading the schema version");
}

/* Create the tables of a new store, or check the version of an old one. */
static int schema(struct yb_cat_store *st)
{
    int v, rc = user_version(st, &v);
    if (rc == 0 && v == 0 && st->writable) {
        rc = exec(st, "BEGIN IMMEDIATE", "creating the tables");
        if (rc)
            return rc;
        rc = user_version(st, &v); /* another process may have been first */
        if (rc == 0 && v == 0) {
            char sql[sizeof(schema_sql) + 64];
            snprintf(sql, sizeof(sql), "%sPRAGMA user_version = %d;\n", schema_sql, SCHEMA_VERSION);
            rc = exec(st, sql, "creating the tables");
            v = SCHEMA_VERSION;
        }
        if (rc == 0)
            rc = exec(st, "COMMIT", "creating the tables");
        if (rc) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    if (rc)
        return rc;
    if (v == 0) {
        snprintf(st->msg, sizeof(st->msg),
                 "catalog store %s has no mapping tables (import a catalogue first)", st->path);
        return YB_ENOENT;
    }
    if (v != SCHEMA_VERSION) {
        snprintf(st->msg, sizeof(st->msg),
                 "catalog store %s has schema version %d, this ybgw knows version %d: it was "
                 "written by a newer ybgw; use that one (or an export of it)",
                 st->path, v, SCHEMA_VERSION);
        return YB_EINVAL;
    }
    return 0;
}

int yb_cat_store_open(const char *path, int flags, struct yb_cat_store **out, char *err,
                      size_t errcap)
{
    struct yb_cat_store *st = NULL;
    int rc = YB_EINVAL;
    *out = NULL;
    if (!path || !*path) {
        snprintf(err, errcap, "no catalog store configured (store PATH; or --db PATH)");
        return YB_EINVAL;
    }
    int writable = (flags & YB_CAT_RDWR) != 0, create = (flags & YB_CAT_CREATE) == YB_CAT_CREATE;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT || !create) {
            snprintf(err, errcap, "catalog store %s: %s", path,
                     errno == ENOENT ? "no such file (import a catalogue first)" : strerror(errno));
            return errno == ENOENT ? YB_ENOENT : YB_EIO;
        }
    } else if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errcap, "catalog store %s is not a regular file", path);
        return YB_EINVAL;
    }
    st = calloc(1, sizeof(*st));
    if (!st || !(st->path = strdup(path))) {
        snprintf(err, errcap, "out of memory");
        rc = YB_ENOMEM;
        goto fail;
    }
    st->writable = writable;
    int oflags =
        writable ? SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = db_fail(st, "cannot open");
        goto fail_msg;
    }
    sqlite3_busy_timeout(st->db, BUSY_MS);
    if (writable) {
        /* a new store: 16 KiB pages (a million-row import writes about a
         * tenth less and runs a tenth faster than with 4 KiB); no effect on
         * an existing file */
        sqlite3_exec(st->db, "PRAGMA page_size = 16384", NULL, NULL, NULL);
        sqlite3_stmt *s = NULL;
        const unsigned char *mode = NULL;
        if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            mode = sqlite3_column_text(s, 0);
        int wal = mode && strcmp((const char *)mode, "wal") == 0;
        sqlite3_finalize(s);
        if (!wal) {
            rc = db_fail(st, "cannot switch to WAL mode");
            goto fail_msg;
        }
    }
    rc = schema(st);
    if (rc)
        goto fail_msg;
    *out = st;
    return 0;
fail_msg:
    snprintf(err, errcap, "%s", st->msg);
fail:
    yb_cat_store_close(st);
    return rc;
}

void yb_cat_store_close(struct yb_cat_store *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->find);
    sqlite3_finalize(st->insert);
    sqlite3_finalize(st->close);
    sqlite3_finalize(st->sync);
    sqlite3_close(st->db);
    free(st->old_buf);
    free(st->rebuild);
    free(st->path);
    free(st);
}

const char *yb_cat_store_error(const struct yb_cat_store *st)
{
    return st ? st->msg : "no catalog store";
}

static int read_only(struct yb_cat_store *st)
{
    snprintf(st->msg, sizeof(st->msg), "catalog store %s is open read-only", st->path);
    return YB_EINVAL;
}

int yb_cat_store_begin(struct yb_cat_store *st)
{
    return st->writable ? exec(st, "BEGIN IMMEDIATE", "starting a transaction") : read_only(st);
}

/* (the indexes a bulk import dropped are built again first, in the same
 * transaction; a failure there leaves it open for the rollback) */
int yb_cat_store_commit(struct yb_cat_store *st)
{
    int rc = yb_cat_store_bulk_restore(st);
    return rc ? rc : exec(st, "COMMIT", "committing");
}

int yb_cat_store_rollback(struct yb_cat_store *st)
{
    free(st->rebuild); /* the rollback brings the dropped indexes back */
    st->rebuild = NULL;
    return exec(st, "ROLLBACK", "rolling back");
}

/* A read transaction: one snapshot for a dry run (ended with rollback). */
int yb_cat_store_begin_read(struct yb_cat_store *st)
{
    int rc = exec(st, "BEGIN", "starting a read transaction");
    if (rc == 0 && sqlite3_exec(st->db, "SELECT 1 FROM catalog_mapping LIMIT 1", NULL, NULL,
                                NULL) != SQLITE_OK) {
        rc = db_fail(st, "starting a read transaction");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

/* ---- writing --------------------------------------------------------------- */

static int close_row(struct yb_cat_store *st, int64_t id, const char *reason,
                     const struct yb_cat_who *who, const char *at)
{
    int rc = prepared(st, &st->close,
                      "UPDATE catalog_mapping SET closed_at = ?2, closed_by = ?3, "
                      "closed_reason = ?4, closed_msgid = ?5 WHERE id = ?1 AND closed_at IS NULL");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->close, 1, id);
    bind_text(st->close, 2, at);
    bind_text(st->close, 3, who ? who->by : NULL);
    bind_text(st->close, 4, reason);
    bind_opt(st->close, 5, who ? who->msgid : NULL);
    return step_done(st, st->close, "closing the current mapping");
}

static int update_sync(struct yb_cat_store *st, int64_t id, int sync, const char *msgid,
                       const char *at, const char *detail)
{
    int rc = prepared(st, &st->sync,
                      "UPDATE catalog_mapping SET sync = ?2, sync_msgid = ?3, sync_time = ?4, "
                      "sync_detail = ?5 WHERE id = ?1");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->sync, 1, id);
    sqlite3_bind_int(st->sync, 2, sync);
    bind_opt(st->sync, 3, msgid);
    bind_text(st->sync, 4, at);
    bind_opt(st->sync, 5, detail);
    return step_done(st, st->sync, "setting the sync state");
}

static int insert_row(struct yb_cat_store *st, const struct yb_cat_row *row, int sync,
                      const struct yb_cat_who *who, const char *at)
{
    int rc = prepared(st, &st->insert,
                      "INSERT INTO catalog_mapping(" ROW_COLUMNS
                      ", sync, sync_msgid, sync_time, changed_by, changed_at, source, "
                      "source_msgid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                      "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)");
    if (rc)
        return rc;
    sqlite3_stmt *s = st->insert;
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        bind_text(s, 1 + i, row->f[i]);
    sqlite3_bind_int(s, 16, sync);
    if (sync == YB_CAT_SYNCED) {
        bind_opt(s, 17, who ? who->msgid : NULL);
        bind_text(s, 18, at);
    } else {
        sqlite3_bind_null(s, 17);
        sqlite3_bind_null(s, 18);
    }
    bind_text(s, 19, who ? who->by : NULL);
    bind_text(s, 20, at);
    bind_text(s, 21, who ? who->source : NULL);
    bind_opt(s, 22, who ? who->msgid : NULL);
    return step_done(st, s, "adding a mapping");
}

/* put, or with YB_CAT_APPLY_DRY only the comparison; *OLD (optional) gets
 * the row that was current before (valid until the next call on ST), or
 * NULL. With YB_CAT_APPLY_NEW the lookup is skipped (the unique
 * current-row index would still refuse a second current row). */
int yb_cat_store_apply(struct yb_cat_store *st, const struct yb_cat_row *row, int sync,
                       const struct yb_cat_who *who, int flags, int *outcome,
                       const struct yb_cat_record **old)
{
    int dry_run = (flags & YB_CAT_APPLY_DRY) != 0;
    if (old)
        *old = NULL;
    if (!dry_run && !st->writable)
        return read_only(st);
    const char *fixmedins = row->f[YB_CAT_FIXMEDINS_CODE], *local = row->f[YB_CAT_HILIST_ID];
    if (!fixmedins || !*fixmedins || !local || !*local || sync < 0 || sync > YB_CAT_REJECTED) {
        snprintf(st->msg, sizeof(st->msg),
                 "a mapping needs fixmedins_code, fixmedins_hilist_id and a sync state");
        return YB_EINVAL;
    }
    /* dates are stored as yyyy-MM-dd whatever form the caller had */
    struct yb_cat_row r = *row;
    char dates[2][11];
    for (int i = 0; i < 2; i++) {
        const char *d = row->f[YB_CAT_BEGNDATE + i];
        int plain = d && strlen(d) == 10 && d[4] == '-' && d[7] == '-'; /* the usual case */
        if (!plain && yb_cat_date_norm(d, dates[i]) == 0)
            r.f[YB_CAT_BEGNDATE + i] = dates[i];
    }
    int found = flags & YB_CAT_APPLY_NEW ? 0 : find_current(st, fixmedins, local);
    if (found < 0)
        return found;
    const char *at = who && who->at && *who->at ? who->at : now_text(st);
    int same = found;
    for (int i = 0; same && i < YB_CAT_NFIELDS; i++)
        same = strcmp(nz(r.f[i]), st->old.row.f[i]) == 0;
    int rc = 0;
    if (outcome)
        *outcome = same ? YB_CAT_SAME : found ? YB_CAT_CHANGED : YB_CAT_ADDED;
    if (old && found)
        *old = &st->old;
    if (dry_run)
        return 0;
    if (same) {
        if (sync == YB_CAT_SYNCED && st->old.sync != YB_CAT_SYNCED)
            rc = update_sync(st, st->old.id, sync, who ? who->msgid : NULL, at, NULL);
        return rc;
    }
    if (found)
        rc = close_row(st, st->old.id, "changed", who, at);
    if (rc == 0)
        rc = insert_row(st, &r, sync, who, at);
    return rc;
}

int yb_cat_store_put(struct yb_cat_store *st, const struct yb_cat_row *row, int sync,
                     const struct yb_cat_who *who, int *outcome)
{
    return yb_cat_store_apply(st, row, sync, who, 0, outcome, NULL);
}

/* Find the current row of the key and check that it still says LIST_TYPE
 * and MED_LIST_CODG (when given). 0, or YB_ENOENT with the reason. */
static int find_matching(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id,
                         const char *list_type, const char *med_list_codg)
{
    if (!fixmedins || !*fixmedins || !hilist_id || !*hilist_id) {
        snprintf(st->msg, sizeof(st->msg), "fixmedins_code and fixmedins_hilist_id are required");
        return YB_EINVAL;
    }
    int found = find_current(st, fixmedins, hilist_id);
    if (found < 0)
        return found;
    if (!found) {
        snprintf(st->msg, sizeof(st->msg), "%s has no current mapping of %.64s", fixmedins,
                 hilist_id);
        return YB_ENOENT;
    }
    if (list_type && *list_type && strcmp(list_type, st->old.row.f[YB_CAT_LIST_TYPE]) != 0) {
        snprintf(st->msg, sizeof(st->msg),
                 "the current mapping of %s %.64s has list_type %s, not %.16s", fixmedins,
                 hilist_id, st->old.row.f[YB_CAT_LIST_TYPE], list_type);
        return YB_ENOENT;
    }
    if (med_list_codg && *med_list_codg &&
        strcmp(med_list_codg, st->old.row.f[YB_CAT_MED_LIST_CODG]) != 0) {
        snprintf(st->msg, sizeof(st->msg), "the current mapping of %s %.64s is to %s, not %.64s",
                 fixmedins, hilist_id, st->old.row.f[YB_CAT_MED_LIST_CODG], med_list_codg);
        return YB_ENOENT;
    }
    return 0;
}

int yb_cat_store_revoke(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id,
                        const char *list_type, const char *med_list_codg,
                        const struct yb_cat_who *who)
{
    if (!st->writable)
        return read_only(st);
    int rc = find_matching(st, fixmedins, hilist_id, list_type, med_list_codg);
    if (rc)
        return rc;
    const char *at = who && who->at && *who->at ? who->at : now_text(st);
    return close_row(st, st->old.id, "revoked", who, at);
}

int yb_cat_store_set_sync(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id,
                          const char *med_list_codg, int sync, const char *msgid,
                          const char *detail)
{
    if (!st->writable)
        return read_only(st);
    if (sync < 0 || sync > YB_CAT_REJECTED) {
        snprintf(st->msg, sizeof(st->msg), "sync state %d is not 0, 1 or 2", sync);
        return YB_EINVAL;
    }
    int rc = find_matching(st, fixmedins, hilist_id, NULL, med_list_codg);
    if (rc)
        return rc;
    return update_sync(st, st->old.id, sync, msgid, now_text(st), detail);
}

int yb_cat_store_fail(struct yb_cat_store *st, const char *what)
{
    return db_fail(st, what);
}

struct sqlite3 *yb_cat_store_db(struct yb_cat_store *st)
{
    return st->db;
}
