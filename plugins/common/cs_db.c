/*
 * cs_db.c - the code-table database (SQLite): its schema, loading a
 * standard's version into a struct yb_cs_table, listing versions and
 * switching the active one. The importer (cs_import.c) writes into the
 * same schema through the helpers declared in cs_internal.h.
 *
 * Schema:
 *   code_version  one row per imported version of a standard; primary key
 *                 (standard, version); at most one row per standard has
 *                 active = 1 (a partial unique index says so).
 *   code_entry    the rows of every version, primary key
 *                 (standard, version, code), WITHOUT ROWID so that a
 *                 version's rows lie together and load as one range scan.
 *                 Dates are TEXT yyyy-mm-dd, or NULL when open.
 *
 * Readers (the plugins, at init) open the file with SQLITE_OPEN_READONLY
 * and read one version in one read transaction, so an import or an
 * activation running at the same time is either wholly seen or not at all.
 * Nothing here runs on the request path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cs_internal.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS code_version(\n"
    "  standard TEXT NOT NULL,\n"
    "  version TEXT NOT NULL,\n"
    "  source TEXT NOT NULL DEFAULT '',\n"
    "  imported_at TEXT NOT NULL,\n"
    "  \"rows\" INTEGER NOT NULL DEFAULT 0,\n"
    "  rejected INTEGER NOT NULL DEFAULT 0,\n"
    "  sample INTEGER NOT NULL DEFAULT 0,\n"
    "  active INTEGER NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (standard, version));\n"
    "CREATE UNIQUE INDEX IF NOT EXISTS code_version_active ON code_version(standard)\n"
    "  WHERE active = 1;\n"
    "CREATE TABLE IF NOT EXISTS code_entry(\n"
    "  standard TEXT NOT NULL,\n"
    "  version TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  code TEXT NOT NULL,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  begin_date TEXT,\n"
    "  end_date TEXT,\n"
    "  flags TEXT NOT NULL DEFAULT '',\n"
    "  refs TEXT NOT NULL DEFAULT '',\n"
    "  PRIMARY KEY (standard, version, code)) WITHOUT ROWID;\n";

#define VERSION_COLUMNS "version, imported_at, source, \"rows\", rejected, sample, active"

void yb_cs_err(char *err, size_t errcap, const char *fmt, ...)
{
    if (!err || errcap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

void yb_cs_date_text(uint32_t d, char buf[11])
{
    /* by hand: the importer writes two dates a row */
    uint32_t y = (d / 10000) % 10000, m = (d / 100) % 100, day = d % 100;
    buf[0] = (char)('0' + y / 1000);
    buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10);
    buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + day / 10);
    buf[9] = (char)('0' + day % 10);
    buf[10] = '\0';
}

int yb_cs_db_exec(sqlite3 *db, const char *sql, const char *path, char *err, size_t errcap)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    yb_cs_err(err, errcap, "code-table database %s: %s", path, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return YB_EIO;
}

int yb_cs_db_open(const char *path, int readonly, int create, sqlite3 **db, char *err,
                  size_t errcap)
{
    *db = NULL;
    if (!path || !*path) {
        yb_cs_err(err, errcap, "no code-table database configured");
        return YB_EINVAL;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT || !create || readonly) {
            yb_cs_err(err, errcap, "code-table database %s: %s", path,
                      errno == ENOENT ? "no such file (import a table first)" : strerror(errno));
            return errno == ENOENT ? YB_ENOENT : YB_EIO;
        }
    } else if (!S_ISREG(st.st_mode)) {
        yb_cs_err(err, errcap, "code-table database %s is not a regular file", path);
        return YB_EINVAL;
    }
    int flags =
        readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(path, &h, flags, NULL);
    if (rc != SQLITE_OK) {
        yb_cs_err(err, errcap, "code-table database %s: cannot open: %s", path,
                  h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return YB_EIO;
    }
    sqlite3_busy_timeout(h, YB_CS_DB_BUSY_MS);
    sqlite3_extended_result_codes(h, 1);
    *db = h;
    return 0;
}

int yb_cs_db_schema(sqlite3 *db, const char *path, char *err, size_t errcap)
{
    return yb_cs_db_exec(db, schema_sql, path, err, errcap);
}

/* 1 if the schema exists, 0 if not, YB_EIO on error. */
static int has_schema(sqlite3 *db, const char *path, char *err, size_t errcap)
{
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                           "('code_version', 'code_entry')",
                           -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        yb_cs_err(err, errcap, "code-table database %s: %s", path, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return YB_EIO;
    }
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n == 2;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

/* Fill *v from the VERSION_COLUMNS of ST starting at column COL. */
static void read_version(sqlite3_stmt *st, int col, struct yb_cs_version *v)
{
    memset(v, 0, sizeof(*v));
    copy_text(v->version, sizeof(v->version), st, col);
    copy_text(v->imported_at, sizeof(v->imported_at), st, col + 1);
    copy_text(v->source, sizeof(v->source), st, col + 2);
    sqlite3_int64 rows = sqlite3_column_int64(st, col + 3);
    sqlite3_int64 rejected = sqlite3_column_int64(st, col + 4);
    v->rows = rows > 0 ? (uint64_t)rows : 0;
    v->rejected = rejected > 0 ? (uint64_t)rejected : 0;
    v->sample = sqlite3_column_int(st, col + 5) != 0;
    v->active = sqlite3_column_int(st, col + 6) != 0;
}

static int column_date(sqlite3_stmt *st, int col, uint32_t *out)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return yb_cs_parse_date(s ? (const char *)s : "", out);
}

static const char *column_string(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return s ? (const char *)s : "";
}

/* Stream the rows of STANDARD's VERSION into a new table. */
static int load_rows(sqlite3 *db, const char *path, const char *standard, const char *version,
                     uint64_t expected, struct yb_cs_table **out, char *err, size_t errcap)
{
    int rc = YB_EIO;
    sqlite3_stmt *st = NULL;
    /* ROWS only sizes the hash; a corrupt value must not ask for the moon. */
    struct yb_cs_table *t = yb_cs_table_new(expected < (1u << 26) ? (size_t)expected : 1u << 26);
    if (!t) {
        yb_cs_err(err, errcap, "out of memory loading %s version %s", standard, version);
        return YB_ENOMEM;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT kind, code, name, begin_date, end_date, flags, refs "
                           "FROM code_entry WHERE standard = ?1 AND version = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        goto db_error;
    sqlite3_bind_text(st, 1, standard, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct yb_cs_entry e = {
            .kind = column_string(st, 0),
            .code = column_string(st, 1),
            .name = column_string(st, 2),
            .flags = column_string(st, 5),
            .refs = column_string(st, 6),
        };
        if (column_date(st, 3, &e.begin_date) || column_date(st, 4, &e.end_date)) {
            yb_cs_err(err, errcap,
                      "code-table database %s: %s version %s, code %s: a date is not "
                      "yyyy-mm-dd (%s, %s); re-import the table",
                      path, standard, version, e.code, column_string(st, 3), column_string(st, 4));
            goto out;
        }
        int add = yb_cs_table_add(t, &e);
        if (add == YB_ENOMEM) {
            yb_cs_err(err, errcap, "out of memory loading %s version %s after %zu rows", standard,
                      version, yb_cs_table_count(t));
            rc = YB_ENOMEM;
            goto out;
        }
        if (add) {
            yb_cs_err(err, errcap, "code-table database %s: %s version %s: bad row for code %s",
                      path, standard, version, e.code);
            goto out;
        }
    }
    if (step != SQLITE_DONE)
        goto db_error;
    *out = t;
    t = NULL;
    rc = 0;
    goto out;
db_error:
    yb_cs_err(err, errcap, "code-table database %s: %s", path, sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    yb_cs_table_free(t);
    return rc;
}

/* Open DB_PATH and, with BEGIN (NULL: none), start a transaction (*in_txn
 * set); then say whether the code tables exist: 1, 0 (a database without
 * them), or a negative YB_E* with err set (*db NULL when the open failed). */
static int open_tables(const char *db_path, int readonly, const char *begin, sqlite3 **db,
                       int *in_txn, char *err, size_t errcap)
{
    int rc = yb_cs_db_open(db_path, readonly, 0, db, err, errcap);
    if (rc)
        return rc;
    if (begin) {
        if ((rc = yb_cs_db_exec(*db, begin, db_path, err, errcap)))
            return rc;
        *in_txn = 1;
    }
    return has_schema(*db, db_path, err, errcap);
}

int yb_cs_db_load(const char *db_path, const char *standard, const char *version,
                  struct yb_cs_table **out, struct yb_cs_version *info, char *err, size_t errcap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int in_txn = 0;
    if (!out || !standard) {
        yb_cs_err(err, errcap, "yb_cs_db_load: no standard");
        return YB_EINVAL;
    }
    *out = NULL;
    /* One read transaction: the version row and its entries agree even if
     * an activation or import commits meanwhile. */
    int rc = open_tables(db_path, 1, "BEGIN", &db, &in_txn, err, errcap);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        yb_cs_err(err, errcap, "code-table database %s holds no tables yet", db_path);
        rc = YB_ENOENT;
        goto out;
    }
    rc = YB_EIO;
    if (sqlite3_prepare_v2(db,
                           version ? "SELECT " VERSION_COLUMNS " FROM code_version "
                                     "WHERE standard = ?1 AND version = ?2"
                                   : "SELECT " VERSION_COLUMNS " FROM code_version "
                                     "WHERE standard = ?1 AND active = 1",
                           -1, &st, NULL) != SQLITE_OK) {
        yb_cs_err(err, errcap, "code-table database %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_text(st, 1, standard, -1, SQLITE_STATIC);
    if (version)
        sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        if (version)
            yb_cs_err(err, errcap, "code-table database %s has no version %s of %s", db_path,
                      version, standard);
        else
            yb_cs_err(err, errcap, "code-table database %s has no active version of %s", db_path,
                      standard);
        rc = YB_ENOENT;
        goto out;
    }
    if (step != SQLITE_ROW) {
        yb_cs_err(err, errcap, "code-table database %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    struct yb_cs_version v;
    read_version(st, 0, &v);
    sqlite3_finalize(st);
    st = NULL;
    rc = load_rows(db, db_path, standard, v.version, v.rows, out, err, errcap);
    if (rc)
        goto out;
    if (info)
        *info = v;
out:
    sqlite3_finalize(st);
    if (in_txn)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

int yb_cs_db_versions(const char *db_path, const char *standard,
                      void (*fn)(void *arg, const char *standard, const struct yb_cs_version *v),
                      void *arg, char *err, size_t errcap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int in_txn = 0;
    int rc = open_tables(db_path, 1, NULL, &db, &in_txn, err, errcap);
    if (rc < 0 && !db)
        return rc == YB_ENOENT ? YB_ENOENT : YB_EIO;
    if (rc <= 0)
        goto out; /* no tables: no versions */
    rc = YB_EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT standard, " VERSION_COLUMNS " FROM code_version "
                           "WHERE ?1 IS NULL OR standard = ?1 "
                           "ORDER BY standard, imported_at DESC, rowid DESC",
                           -1, &st, NULL) != SQLITE_OK)
        goto db_error;
    if (standard)
        sqlite3_bind_text(st, 1, standard, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct yb_cs_version v;
        read_version(st, 1, &v);
        if (fn)
            fn(arg, column_string(st, 0), &v);
    }
    if (step != SQLITE_DONE)
        goto db_error;
    rc = 0;
    goto out;
db_error:
    yb_cs_err(err, errcap, "code-table database %s: %s", db_path, sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

int yb_cs_db_set_active(sqlite3 *db, const char *path, const char *standard, const char *version,
                        char *err, size_t errcap)
{
    /* Clear first: the partial unique index allows one active row. */
    static const char *const sql[2] = {
        "UPDATE code_version SET active = 0 WHERE standard = ?1 AND active <> 0",
        "UPDATE code_version SET active = 1 WHERE standard = ?1 AND version = ?2",
    };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, standard, -1, SQLITE_STATIC);
            if (i == 1)
                sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            yb_cs_err(err, errcap, "code-table database %s: activating %s version %s: %s", path,
                      standard, version, sqlite3_errmsg(db));
            return YB_EIO;
        }
    }
    return 0;
}

int yb_cs_db_activate(const char *db_path, const char *standard, const char *version, char *err,
                      size_t errcap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int in_txn = 0;
    if (!standard || !version) {
        yb_cs_err(err, errcap, "yb_cs_db_activate: no standard or version");
        return YB_EINVAL;
    }
    int rc = open_tables(db_path, 0, "BEGIN IMMEDIATE", &db, &in_txn, err, errcap);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        yb_cs_err(err, errcap, "code-table database %s has no version %s of %s", db_path, version,
                  standard);
        rc = YB_ENOENT;
        goto out;
    }
    rc = YB_EIO;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM code_version WHERE standard = ?1 AND version = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        goto db_error;
    sqlite3_bind_text(st, 1, standard, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        yb_cs_err(err, errcap, "code-table database %s has no version %s of %s", db_path, version,
                  standard);
        rc = YB_ENOENT;
        goto out;
    }
    if (step != SQLITE_ROW)
        goto db_error;
    sqlite3_finalize(st);
    st = NULL;
    rc = yb_cs_db_set_active(db, db_path, standard, version, err, errcap);
    if (rc)
        goto out;
    rc = yb_cs_db_exec(db, "COMMIT", db_path, err, errcap);
    if (rc == 0)
        in_txn = 0;
    goto out;
db_error:
    yb_cs_err(err, errcap, "code-table database %s: %s", db_path, sqlite3_errmsg(db));
    rc = YB_EIO;
out:
    sqlite3_finalize(st);
    if (in_txn)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}
