/*
 * store.c - the simulator's SQLite state.
 *
 * Owns the database handle, the schema and every SQL statement. Row kinds
 * (person, visit, fee, settlement, mapping, filing) are described by column tables;
 * from each table the CREATE, INSERT, SELECT and UPDATE texts are generated
 * once at open, and statements are prepared on first use and kept in a small
 * cache for the life of the process, so no request parses SQL twice.
 *
 * The simulator is a test tool on a single event loop, so it calls SQLite
 * synchronously; with ":memory:" or WAL and synchronous=NORMAL a request
 * costs well under a millisecond.
 */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ybgw/ybgw.h"

/* ---- column tables ---- */

enum col_type {
    COL_TEXT,  /* char[size] */
    COL_FEN,   /* ybsim_dec, stored as integer fen in NAME_fen */
    COL_MICRO, /* ybsim_dec, stored as integer micro-units in NAME_micro */
    COL_INT,   /* int */
    COL_JSON,  /* const char *, written only; NULL on update keeps the old text */
};

struct column {
    const char *name;
    enum col_type type;
    size_t offset;
    size_t size;
};

struct table {
    const char *name;
    const char *verb;        /* INSERT, INSERT OR IGNORE, INSERT OR REPLACE */
    const char *constraints; /* appended inside CREATE TABLE */
    const char *key;         /* column updated rows are found by, or NULL */
    struct column *cols;
    size_t ncols;
    size_t rec_size;
    /* generated at open */
    char *create_sql, *insert_sql, *update_sql, *select_list;
};

#define TEXT(s, f)                                                                                 \
    {                                                                                              \
#f, COL_TEXT, offsetof(s, f), sizeof(((s *)0)->f)                                          \
    }
#define FEN(s, f)                                                                                  \
    {                                                                                              \
#f, COL_FEN, offsetof(s, f), sizeof(ybsim_dec)                                             \
    }
#define MICRO(s, f)                                                                                \
    {                                                                                              \
#f, COL_MICRO, offsetof(s, f), sizeof(ybsim_dec)                                           \
    }
#define INT(s, f)                                                                                  \
    {                                                                                              \
#f, COL_INT, offsetof(s, f), sizeof(int)                                                   \
    }
#define JSON(s, f)                                                                                 \
    {                                                                                              \
#f, COL_JSON, offsetof(s, f), sizeof(const char *)                                         \
    }

static struct column person_cols[] = {
    TEXT(struct ybsim_person, psn_no),        TEXT(struct ybsim_person, psn_cert_type),
    TEXT(struct ybsim_person, certno),        TEXT(struct ybsim_person, psn_name),
    TEXT(struct ybsim_person, gend),          TEXT(struct ybsim_person, naty),
    TEXT(struct ybsim_person, brdy),          TEXT(struct ybsim_person, insutype),
    TEXT(struct ybsim_person, psn_type),      TEXT(struct ybsim_person, psn_insu_stas),
    TEXT(struct ybsim_person, psn_insu_date), TEXT(struct ybsim_person, paus_insu_date),
    TEXT(struct ybsim_person, cvlserv_flag),  TEXT(struct ybsim_person, insuplc_admdvs),
    TEXT(struct ybsim_person, emp_name),      TEXT(struct ybsim_person, ecard_token),
    TEXT(struct ybsim_person, card_no),       TEXT(struct ybsim_person, maf_flag),
    FEN(struct ybsim_person, balc),
};

static struct column visit_cols[] = {
    TEXT(struct ybsim_visit, mdtrt_id),       TEXT(struct ybsim_visit, region),
    TEXT(struct ybsim_visit, fixmedins_code), TEXT(struct ybsim_visit, psn_no),
    TEXT(struct ybsim_visit, insutype),       TEXT(struct ybsim_visit, kind),
    TEXT(struct ybsim_visit, med_type),       TEXT(struct ybsim_visit, ipt_otp_no),
    TEXT(struct ybsim_visit, begntime),       TEXT(struct ybsim_visit, endtime),
    TEXT(struct ybsim_visit, dise_codg),      TEXT(struct ybsim_visit, dise_name),
    TEXT(struct ybsim_visit, insuplc_admdvs), TEXT(struct ybsim_visit, mdtrt_cert_type),
    TEXT(struct ybsim_visit, mdtrt_cert_no),  TEXT(struct ybsim_visit, dept_code),
    TEXT(struct ybsim_visit, dept_name),      TEXT(struct ybsim_visit, dscg_way),
    TEXT(struct ybsim_visit, status),         TEXT(struct ybsim_visit, setl_id),
    TEXT(struct ybsim_visit, msgid),          TEXT(struct ybsim_visit, created),
    INT(struct ybsim_visit, info_uploaded),   JSON(struct ybsim_visit, info_json),
    JSON(struct ybsim_visit, diseinfo_json),
};

static struct column fee_cols[] = {
    TEXT(struct ybsim_fee, mdtrt_id),
    TEXT(struct ybsim_fee, feedetl_sn),
    TEXT(struct ybsim_fee, chrg_bchno),
    TEXT(struct ybsim_fee, psn_no),
    TEXT(struct ybsim_fee, med_list_codg),
    TEXT(struct ybsim_fee, medins_list_codg),
    TEXT(struct ybsim_fee, fee_ocur_time),
    MICRO(struct ybsim_fee, cnt),
    MICRO(struct ybsim_fee, pric),
    FEN(struct ybsim_fee, det_item_fee_sumamt),
    MICRO(struct ybsim_fee, pric_uplmt_amt),
    MICRO(struct ybsim_fee, selfpay_prop),
    FEN(struct ybsim_fee, fulamt_ownpay_amt),
    FEN(struct ybsim_fee, overlmt_amt),
    FEN(struct ybsim_fee, preselfpay_amt),
    FEN(struct ybsim_fee, inscp_scp_amt),
    TEXT(struct ybsim_fee, chrgitm_lv),
    TEXT(struct ybsim_fee, med_chrgitm_type),
    TEXT(struct ybsim_fee, setl_id),
    INT(struct ybsim_fee, revoked),
    TEXT(struct ybsim_fee, msgid),
    JSON(struct ybsim_fee, detail_json),
};

/* The settlement's own columns; the amounts are appended at open from
 * ybsim_split_fields, so fund.c stays the one list of them. */
static const struct column setl_base_cols[] = {
    TEXT(struct ybsim_setl, setl_id),
    TEXT(struct ybsim_setl, mdtrt_id),
    TEXT(struct ybsim_setl, psn_no),
    TEXT(struct ybsim_setl, fixmedins_code),
    TEXT(struct ybsim_setl, region),
    TEXT(struct ybsim_setl, msgid),
    TEXT(struct ybsim_setl, infno),
    TEXT(struct ybsim_setl, insutype),
    TEXT(struct ybsim_setl, kind),
    TEXT(struct ybsim_setl, accum_scope),
    TEXT(struct ybsim_setl, year),
    TEXT(struct ybsim_setl, med_type),
    TEXT(struct ybsim_setl, setl_time),
    TEXT(struct ybsim_setl, clr_optins),
    TEXT(struct ybsim_setl, clr_way),
    TEXT(struct ybsim_setl, clr_type),
    TEXT(struct ybsim_setl, acct_used_flag),
    TEXT(struct ybsim_setl, psn_setlway),
    INT(struct ybsim_setl, revoked),
    TEXT(struct ybsim_setl, revoke_id),
    TEXT(struct ybsim_setl, revoke_time),
    TEXT(struct ybsim_setl, revoke_msgid),
    {"over_cap", COL_FEN, offsetof(struct ybsim_setl, split.over_cap), sizeof(ybsim_dec)},
    {"cap_left", COL_FEN, offsetof(struct ybsim_setl, split.cap_left), sizeof(ybsim_dec)},
    {"dedc_left", COL_FEN, offsetof(struct ybsim_setl, split.dedc_left), sizeof(ybsim_dec)},
};

static struct column mapping_cols[] = {
    TEXT(struct ybsim_mapping, fixmedins_code),
    TEXT(struct ybsim_mapping, fixmedins_hilist_id),
    TEXT(struct ybsim_mapping, fixmedins_hilist_name),
    TEXT(struct ybsim_mapping, list_type),
    TEXT(struct ybsim_mapping, med_list_codg),
    TEXT(struct ybsim_mapping, begndate),
    TEXT(struct ybsim_mapping, enddate),
    TEXT(struct ybsim_mapping, upload_time),
    TEXT(struct ybsim_mapping, msgid),
};

static struct column filing_cols[] = {
    TEXT(struct ybsim_filing, trt_dcla_detl_sn),
    TEXT(struct ybsim_filing, region),
    TEXT(struct ybsim_filing, fixmedins_code),
    TEXT(struct ybsim_filing, psn_no),
    TEXT(struct ybsim_filing, insutype),
    TEXT(struct ybsim_filing, insuplc_admdvs),
    TEXT(struct ybsim_filing, mdtrtarea_admdvs),
    TEXT(struct ybsim_filing, reflin_medins_no),
    TEXT(struct ybsim_filing, begndate),
    TEXT(struct ybsim_filing, enddate),
    TEXT(struct ybsim_filing, msgid),
    TEXT(struct ybsim_filing, created),
    INT(struct ybsim_filing, revoked),
    TEXT(struct ybsim_filing, revoke_time),
    TEXT(struct ybsim_filing, revoke_msgid),
    JSON(struct ybsim_filing, refmedin_json),
    JSON(struct ybsim_filing, revoke_memo),
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

enum { T_PERSON, T_VISIT, T_FEE, T_SETL, T_MAPPING, T_FILING, T_COUNT };

/* Tables that are not rows of a C struct. */
static const char *const plain_ddl[] = {
    "CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS msg (msgid TEXT PRIMARY KEY, infno TEXT NOT NULL, "
    "fixmedins_code TEXT NOT NULL, region TEXT NOT NULL, recv_time TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sign (sign_no TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, "
    "opter_no TEXT NOT NULL, mac TEXT NOT NULL, ip TEXT NOT NULL, region TEXT NOT NULL, "
    "sign_time TEXT NOT NULL, signout_time TEXT)",
    "CREATE TABLE IF NOT EXISTS setl_list (setl_id TEXT PRIMARY KEY, fixmedins_code TEXT NOT "
    "NULL, infno TEXT NOT NULL, upload_time TEXT NOT NULL, msgid TEXT NOT NULL, "
    "uploads INTEGER NOT NULL DEFAULT 1, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS person_certno ON person (certno)",
    "CREATE INDEX IF NOT EXISTS person_ecard ON person (ecard_token)",
    "CREATE INDEX IF NOT EXISTS person_card ON person (card_no)",
    "CREATE INDEX IF NOT EXISTS visit_psn ON visit (psn_no, kind, status)",
    /* a feedetl_sn is unique among a visit's live lines; a revoked line's
     * number may be uploaded again, as on the platform */
    "CREATE UNIQUE INDEX IF NOT EXISTS fee_live_sn ON fee (mdtrt_id, feedetl_sn) "
    "WHERE revoked = 0",
    "CREATE INDEX IF NOT EXISTS setl_msgid ON setl (msgid)",
    "CREATE INDEX IF NOT EXISTS setl_year ON setl (psn_no, year)",
    "CREATE INDEX IF NOT EXISTS filing_psn ON filing (psn_no, region, revoked)",
};

#define STMT_CACHE 64

struct ybsim_store {
    sqlite3 *db;
    struct table tables[T_COUNT];
    struct {
        char *sql;
        sqlite3_stmt *stmt;
    } cache[STMT_CACHE];
    int ncache;
    char errmsg[256];
};

/* ---- SQL text generation ---- */

static const char *col_suffix(enum col_type t)
{
    return t == COL_FEN ? "_fen" : t == COL_MICRO ? "_micro" : "";
}

/* Build the CREATE, INSERT, UPDATE texts and the SELECT column list. */
static int table_build(struct table *t)
{
    struct yb_buf create, insert, update, select;
    yb_buf_init(&create, 0);
    yb_buf_init(&insert, 0);
    yb_buf_init(&update, 0);
    yb_buf_init(&select, 0);
    int rc = yb_buf_printf(&create, "CREATE TABLE IF NOT EXISTS %s (", t->name);
    rc |= yb_buf_printf(&insert, "%s INTO %s (", t->verb, t->name);
    rc |= yb_buf_printf(&update, "UPDATE %s SET ", t->name);
    int key_index = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const struct column *c = &t->cols[i];
        const char *sep = i ? ", " : "";
        const char *sfx = col_suffix(c->type);
        const char *decl = c->type == COL_TEXT   ? "TEXT NOT NULL DEFAULT ''"
                           : c->type == COL_JSON ? "TEXT"
                                                 : "INTEGER NOT NULL DEFAULT 0";
        rc |= yb_buf_printf(&create, "%s%s%s %s", sep, c->name, sfx, decl);
        rc |= yb_buf_printf(&insert, "%s%s%s", sep, c->name, sfx);
        rc |= yb_buf_printf(&select, "%s%s%s", sep, c->name, sfx);
        if (c->type == COL_JSON)
            rc |= yb_buf_printf(&update, "%s%s = COALESCE(?%zu, %s)", sep, c->name, i + 1, c->name);
        else
            rc |= yb_buf_printf(&update, "%s%s%s = ?%zu", sep, c->name, sfx, i + 1);
        if (t->key && strcmp(c->name, t->key) == 0)
            key_index = (int)i + 1;
    }
    if (t->constraints)
        rc |= yb_buf_printf(&create, ", %s", t->constraints);
    rc |= yb_buf_puts(&create, ")");
    rc |= yb_buf_puts(&insert, ") VALUES (");
    for (size_t i = 0; i < t->ncols; i++)
        rc |= yb_buf_printf(&insert, "%s?%zu", i ? ", " : "", i + 1);
    rc |= yb_buf_puts(&insert, ")");
    rc |= yb_buf_printf(&update, " WHERE %s = ?%d", t->key ? t->key : "rowid", key_index);
    if (rc)
        goto fail;
    t->create_sql = yb_buf_steal(&create, NULL);
    t->insert_sql = yb_buf_steal(&insert, NULL);
    t->update_sql = yb_buf_steal(&update, NULL);
    t->select_list = yb_buf_steal(&select, NULL);
    return 0;
fail:
    yb_buf_free(&create);
    yb_buf_free(&insert);
    yb_buf_free(&update);
    yb_buf_free(&select);
    return YB_ENOMEM;
}

static void table_free(struct table *t)
{
    free(t->create_sql);
    free(t->insert_sql);
    free(t->update_sql);
    free(t->select_list);
}

/* ---- statements ---- */

static int sql_fail(struct ybsim_store *st, const char *what)
{
    snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what, sqlite3_errmsg(st->db));
    return YB_EIO;
}

/* The prepared statement for sql, prepared on first use; reset and ready
 * for binding. NULL on error (reason in errmsg). */
static sqlite3_stmt *stmt(struct ybsim_store *st, const char *sql)
{
    for (int i = 0; i < st->ncache; i++) {
        if (strcmp(st->cache[i].sql, sql) == 0) {
            sqlite3_reset(st->cache[i].stmt);
            sqlite3_clear_bindings(st->cache[i].stmt);
            return st->cache[i].stmt;
        }
    }
    if (st->ncache == STMT_CACHE) {
        snprintf(st->errmsg, sizeof(st->errmsg), "statement cache full");
        return NULL;
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        sql_fail(st, sql);
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) {
        sqlite3_finalize(s);
        return NULL;
    }
    st->cache[st->ncache].sql = copy;
    st->cache[st->ncache].stmt = s;
    st->ncache++;
    return s;
}

static int bind_texts(sqlite3_stmt *s, const char *const *args, int nargs)
{
    for (int i = 0; i < nargs; i++)
        if (sqlite3_bind_text(s, i + 1, args[i] ? args[i] : "", -1, SQLITE_STATIC) != SQLITE_OK)
            return YB_EIO;
    return 0;
}

/* Run a statement that returns no rows; *changes (optional) gets the
 * number of rows it changed. A unique-constraint failure is YB_EEXIST. */
static int exec(struct ybsim_store *st, const char *sql, const char *const *args, int nargs,
                int *changes)
{
    sqlite3_stmt *s = stmt(st, sql);
    if (!s || bind_texts(s, args, nargs))
        return YB_EIO;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_CONSTRAINT)
        return YB_EEXIST;
    if (rc != SQLITE_DONE)
        return sql_fail(st, sql);
    if (changes)
        *changes = sqlite3_changes(st->db);
    return 0;
}

static int bind_row(struct ybsim_store *st, sqlite3_stmt *s, const struct table *t, const void *rec)
{
    const char *base = rec;
    for (size_t i = 0; i < t->ncols; i++) {
        const struct column *c = &t->cols[i];
        int idx = (int)i + 1, rc = SQLITE_OK;
        switch (c->type) {
        case COL_TEXT:
            rc = sqlite3_bind_text(s, idx, base + c->offset, -1, SQLITE_STATIC);
            break;
        case COL_FEN: {
            ybsim_dec v = *(const ybsim_dec *)(base + c->offset);
            if (v % YBSIM_DEC_FEN != 0) {
                snprintf(st->errmsg, sizeof(st->errmsg), "%s.%s is not whole fen", t->name,
                         c->name);
                return YB_EINVAL;
            }
            rc = sqlite3_bind_int64(s, idx, v / YBSIM_DEC_FEN);
            break;
        }
        case COL_MICRO:
            rc = sqlite3_bind_int64(s, idx, *(const ybsim_dec *)(base + c->offset));
            break;
        case COL_INT:
            rc = sqlite3_bind_int(s, idx, *(const int *)(base + c->offset));
            break;
        case COL_JSON: {
            const char *text = *(const char *const *)(base + c->offset);
            rc = text ? sqlite3_bind_text(s, idx, text, -1, SQLITE_STATIC)
                      : sqlite3_bind_null(s, idx);
            break;
        }
        }
        if (rc != SQLITE_OK)
            return sql_fail(st, "bind");
    }
    return 0;
}

static void read_row(sqlite3_stmt *s, const struct table *t, void *rec)
{
    char *base = rec;
    memset(rec, 0, t->rec_size);
    for (size_t i = 0; i < t->ncols; i++) {
        const struct column *c = &t->cols[i];
        int idx = (int)i;
        switch (c->type) {
        case COL_TEXT: {
            const unsigned char *text = sqlite3_column_text(s, idx);
            size_t len = text ? strlen((const char *)text) : 0;
            if (len >= c->size)
                len = c->size - 1; /* lengths are checked on the way in */
            if (len)
                memcpy(base + c->offset, text, len);
            break;
        }
        case COL_FEN:
            *(ybsim_dec *)(base + c->offset) = sqlite3_column_int64(s, idx) * YBSIM_DEC_FEN;
            break;
        case COL_MICRO:
            *(ybsim_dec *)(base + c->offset) = sqlite3_column_int64(s, idx);
            break;
        case COL_INT:
            *(int *)(base + c->offset) = sqlite3_column_int(s, idx);
            break;
        case COL_JSON:
            break; /* write-only: left NULL */
        }
    }
}

static int row_write(struct ybsim_store *st, int which, const char *sql, const void *rec)
{
    const struct table *t = &st->tables[which];
    sqlite3_stmt *s = stmt(st, sql);
    if (!s)
        return YB_EIO;
    int rc = bind_row(st, s, t, rec);
    if (rc)
        return rc;
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_CONSTRAINT)
        return YB_EEXIST;
    if (rc != SQLITE_DONE)
        return sql_fail(st, t->name);
    return 0;
}

static int row_insert(struct ybsim_store *st, int which, const void *rec)
{
    return row_write(st, which, st->tables[which].insert_sql, rec);
}

static int row_update(struct ybsim_store *st, int which, const void *rec)
{
    return row_write(st, which, st->tables[which].update_sql, rec);
}

/*
 * Rows of a table matching `where` (an SQL condition with ?1.. bound to
 * args as text), in insertion order. With fn, each row is read into a
 * scratch record and handed to fn; without fn, the first row is read into
 * out and the rest ignored. Returns 0, YB_ENOENT when no row matched and
 * fn is NULL, fn's negative value, or YB_EIO.
 */
static int row_select(struct ybsim_store *st, int which, const char *where, const char *const *args,
                      int nargs, void *out, int (*fn)(const void *rec, void *arg), void *arg)
{
    const struct table *t = &st->tables[which];
    char sql[2048];
    int n = snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE %s ORDER BY rowid", t->select_list,
                     t->name, where);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return YB_ENOMEM;
    sqlite3_stmt *s = stmt(st, sql);
    if (!s || bind_texts(s, args, nargs))
        return YB_EIO;
    void *scratch = NULL;
    if (fn && !(scratch = malloc(t->rec_size)))
        return YB_ENOMEM;
    int rc, found = 0, result = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        found = 1;
        if (!fn) {
            read_row(s, t, out);
            break;
        }
        read_row(s, t, scratch);
        if ((result = fn(scratch, arg)) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        result = sql_fail(st, t->name);
    sqlite3_reset(s);
    free(scratch);
    if (result)
        return result;
    return found || fn ? 0 : YB_ENOENT;
}

/* ---- life cycle ---- */

static int setl_table_columns(struct table *t)
{
    size_t nsplit = 0;
    while (ybsim_split_fields[nsplit].name)
        nsplit++;
    size_t n = NCOLS(setl_base_cols) + nsplit;
    struct column *cols = calloc(n, sizeof(*cols));
    if (!cols)
        return YB_ENOMEM;
    memcpy(cols, setl_base_cols, sizeof(setl_base_cols));
    for (size_t i = 0; i < nsplit; i++) {
        struct column *c = &cols[NCOLS(setl_base_cols) + i];
        c->name = ybsim_split_fields[i].name;
        c->type = COL_FEN;
        c->offset = offsetof(struct ybsim_setl, split) + ybsim_split_fields[i].offset;
        c->size = sizeof(ybsim_dec);
    }
    t->cols = cols;
    t->ncols = n;
    return 0;
}

struct ybsim_store *ybsim_store_open(const char *path, char *err, size_t errlen)
{
    struct ybsim_store *st = calloc(1, sizeof(*st));
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->tables[T_PERSON] = (struct table){"person",
                                          "INSERT OR IGNORE",
                                          "PRIMARY KEY (psn_no)",
                                          "psn_no",
                                          person_cols,
                                          NCOLS(person_cols),
                                          sizeof(struct ybsim_person),
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL};
    st->tables[T_VISIT] = (struct table){"visit",
                                         "INSERT",
                                         "PRIMARY KEY (mdtrt_id)",
                                         "mdtrt_id",
                                         visit_cols,
                                         NCOLS(visit_cols),
                                         sizeof(struct ybsim_visit),
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL};
    st->tables[T_FEE] = (struct table){
        "fee", "INSERT", NULL, NULL, fee_cols, NCOLS(fee_cols), sizeof(struct ybsim_fee),
        NULL,  NULL,     NULL, NULL};
    st->tables[T_SETL] = (struct table){"setl",
                                        "INSERT",
                                        "PRIMARY KEY (setl_id)",
                                        "setl_id",
                                        NULL,
                                        0,
                                        sizeof(struct ybsim_setl),
                                        NULL,
                                        NULL,
                                        NULL,
                                        NULL};
    st->tables[T_MAPPING] = (struct table){"mapping",
                                           "INSERT OR REPLACE",
                                           "PRIMARY KEY (fixmedins_code, fixmedins_hilist_id)",
                                           NULL,
                                           mapping_cols,
                                           NCOLS(mapping_cols),
                                           sizeof(struct ybsim_mapping),
                                           NULL,
                                           NULL,
                                           NULL,
                                           NULL};
    st->tables[T_FILING] = (struct table){"filing",
                                          "INSERT",
                                          "PRIMARY KEY (trt_dcla_detl_sn)",
                                          "trt_dcla_detl_sn",
                                          filing_cols,
                                          NCOLS(filing_cols),
                                          sizeof(struct ybsim_filing),
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL};
    if (setl_table_columns(&st->tables[T_SETL]))
        goto nomem;
    for (int i = 0; i < T_COUNT; i++)
        if (table_build(&st->tables[i]))
            goto nomem;

    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "database %s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 2000);
    static const char *const pragmas[] = {
        "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"};
    for (size_t i = 0; i < NCOLS(pragmas); i++)
        sqlite3_exec(st->db, pragmas[i], NULL, NULL, NULL); /* ":memory:" ignores WAL */
    for (int i = 0; i < T_COUNT; i++) {
        char *msg = NULL;
        if (sqlite3_exec(st->db, st->tables[i].create_sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "database %s: creating %s: %s", path, st->tables[i].name,
                     msg ? msg : "?");
            sqlite3_free(msg);
            goto fail;
        }
    }
    for (size_t i = 0; i < NCOLS(plain_ddl); i++) {
        char *msg = NULL;
        if (sqlite3_exec(st->db, plain_ddl[i], NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "database %s: %s", path, msg ? msg : "?");
            sqlite3_free(msg);
            goto fail;
        }
    }
    return st;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    ybsim_store_close(st);
    return NULL;
}

void ybsim_store_close(struct ybsim_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->ncache; i++) {
        sqlite3_finalize(st->cache[i].stmt);
        free(st->cache[i].sql);
    }
    if (st->db)
        sqlite3_close(st->db);
    for (int i = 0; i < T_COUNT; i++)
        table_free(&st->tables[i]);
    free(st->tables[T_SETL].cols);
    free(st);
}

const char *ybsim_store_errmsg(struct ybsim_store *st)
{
    return st->errmsg;
}

int ybsim_store_begin(struct ybsim_store *st)
{
    return exec(st, "BEGIN IMMEDIATE", NULL, 0, NULL);
}

int ybsim_store_commit(struct ybsim_store *st)
{
    return exec(st, "COMMIT", NULL, 0, NULL);
}

void ybsim_store_rollback(struct ybsim_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        exec(st, "ROLLBACK", NULL, 0, NULL);
}

int ybsim_store_next(struct ybsim_store *st, const char *name, long long *out)
{
    /* two statements rather than UPSERT ... RETURNING, which needs SQLite 3.35 */
    int rc = exec(st,
                  "INSERT INTO counter (name, value) VALUES (?1, 1) "
                  "ON CONFLICT (name) DO UPDATE SET value = value + 1",
                  &name, 1, NULL);
    if (rc)
        return rc;
    sqlite3_stmt *s = stmt(st, "SELECT value FROM counter WHERE name = ?1");
    if (!s || bind_texts(s, &name, 1))
        return YB_EIO;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : sql_fail(st, "counter");
}

/* ---- persons ---- */

static const struct column *find_column(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

int ybsim_tsv_error(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%d: ", path, line);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return YB_EINVAL;
}

#define TSV_MAX_COLS 32

int ybsim_store_load_persons(struct ybsim_store *st, const char *path, char *err, size_t errlen)
{
    const struct table *t = &st->tables[T_PERSON];
    const struct column *cols[TSV_MAX_COLS];
    int ncols = 0, lineno = 0, rc = 0, persons = 0;
    char *line = NULL;
    size_t cap = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return YB_EIO;
    }
    ssize_t got;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0 || line[0] == '#')
            continue;
        char *fields[TSV_MAX_COLS + 1];
        int nf = 0;
        for (char *p = line;; nf++) {
            if (nf > TSV_MAX_COLS) {
                rc = ybsim_tsv_error(err, errlen, path, lineno, "more than %d columns",
                                     TSV_MAX_COLS);
                goto out;
            }
            fields[nf] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                nf++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (ncols == 0) {
            /* the header names the columns, in any order */
            static const char *const required[] = {
                "psn_no", "certno", "psn_name", "insutype", "insuplc_admdvs", "balc", NULL};
            for (int i = 0; i < nf; i++) {
                if (!(cols[i] = find_column(t, fields[i]))) {
                    rc = ybsim_tsv_error(err, errlen, path, lineno, "unknown column \"%s\"",
                                         fields[i]);
                    goto out;
                }
            }
            ncols = nf;
            for (int r = 0; required[r]; r++) {
                int seen = 0;
                for (int i = 0; i < ncols; i++)
                    seen |= strcmp(cols[i]->name, required[r]) == 0;
                if (!seen) {
                    rc = ybsim_tsv_error(err, errlen, path, lineno, "column \"%s\" is missing",
                                         required[r]);
                    goto out;
                }
            }
            continue;
        }
        if (nf != ncols) {
            rc = ybsim_tsv_error(err, errlen, path, lineno, "%d columns, the header has %d", nf,
                                 ncols);
            goto out;
        }
        struct ybsim_person p;
        memset(&p, 0, sizeof(p));
        for (int i = 0; i < nf; i++) {
            const struct column *c = cols[i];
            if (c->type == COL_FEN) {
                ybsim_dec *v = (ybsim_dec *)((char *)&p + c->offset);
                if (ybsim_dec_parse(fields[i], strlen(fields[i]), 2, v) || *v < 0) {
                    rc =
                        ybsim_tsv_error(err, errlen, path, lineno,
                                        "\"%s\" is not an amount with at most 2 places", fields[i]);
                    goto out;
                }
                continue;
            }
            size_t len = strlen(fields[i]);
            if (len >= c->size) {
                rc = ybsim_tsv_error(err, errlen, path, lineno, "column \"%s\" is too long",
                                     c->name);
                goto out;
            }
            memcpy((char *)&p + c->offset, fields[i], len + 1);
        }
        if (!p.psn_no[0] || !p.certno[0]) {
            rc = ybsim_tsv_error(err, errlen, path, lineno, "%s", "psn_no and certno are required");
            goto out;
        }
        if ((rc = row_insert(st, T_PERSON, &p)) != 0) {
            ybsim_tsv_error(err, errlen, path, lineno, "%s", st->errmsg);
            goto out;
        }
        persons++;
    }
    if (ncols == 0)
        rc = ybsim_tsv_error(err, errlen, path, lineno, "%s", "no header line");
    else if (persons == 0)
        rc = ybsim_tsv_error(err, errlen, path, lineno, "%s", "no persons");
out:
    free(line);
    fclose(f);
    return rc;
}

int ybsim_store_person(struct ybsim_store *st, enum ybsim_person_key by, const char *key,
                       struct ybsim_person *out)
{
    static const char *const where[] = {
        [YBSIM_BY_PSN_NO] = "psn_no = ?1",
        [YBSIM_BY_CERTNO] = "certno = ?1",
        [YBSIM_BY_ECARD] = "ecard_token = ?1 AND ecard_token != ''",
        [YBSIM_BY_CARD] = "card_no = ?1 AND card_no != ''",
    };
    if (!key || !key[0])
        return YB_ENOENT;
    return row_select(st, T_PERSON, where[by], &key, 1, out, NULL, NULL);
}

int ybsim_store_person_set_balc(struct ybsim_store *st, const char *psn_no, ybsim_dec balc)
{
    char fen[32];
    snprintf(fen, sizeof(fen), "%lld", (long long)ybsim_dec_to_fen(balc));
    const char *args[] = {fen, psn_no};
    int changes = 0;
    int rc = exec(st, "UPDATE person SET balc_fen = CAST(?1 AS INTEGER) WHERE psn_no = ?2", args, 2,
                  &changes);
    return rc ? rc : changes ? 0 : YB_ENOENT;
}

/* ---- message ids ---- */

int ybsim_store_msgid_add(struct ybsim_store *st, const char *msgid, const char *infno,
                          const char *fixmedins_code, const char *region, const char *time)
{
    const char *args[] = {msgid, infno, fixmedins_code, region, time};
    return exec(st,
                "INSERT INTO msg (msgid, infno, fixmedins_code, region, recv_time) "
                "VALUES (?1, ?2, ?3, ?4, ?5)",
                args, 5, NULL);
}

static void copy_column(sqlite3_stmt *s, int col, char *out, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(s, col);
    snprintf(out, cap, "%s", v ? (const char *)v : "");
}

int ybsim_store_msgid_get(struct ybsim_store *st, const char *msgid, struct ybsim_msg *out)
{
    sqlite3_stmt *s = stmt(st, "SELECT msgid, infno, fixmedins_code, region, recv_time FROM msg "
                               "WHERE msgid = ?1");
    const char *args[] = {msgid};
    if (!s || bind_texts(s, args, 1))
        return YB_EIO;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        copy_column(s, 0, out->msgid, sizeof(out->msgid));
        copy_column(s, 1, out->infno, sizeof(out->infno));
        copy_column(s, 2, out->fixmedins_code, sizeof(out->fixmedins_code));
        copy_column(s, 3, out->region, sizeof(out->region));
        copy_column(s, 4, out->recv_time, sizeof(out->recv_time));
    }
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? YB_ENOENT : sql_fail(st, "msg");
}

/* ---- sign-in ---- */

int ybsim_store_sign_add(struct ybsim_store *st, const char *sign_no, const char *fixmedins_code,
                         const char *opter_no, const char *mac, const char *ip, const char *region,
                         const char *time)
{
    const char *args[] = {sign_no, fixmedins_code, opter_no, mac, ip, region, time};
    return exec(st,
                "INSERT INTO sign (sign_no, fixmedins_code, opter_no, mac, ip, region, "
                "sign_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args, 7, NULL);
}

int ybsim_store_sign_active(struct ybsim_store *st, const char *sign_no, const char *fixmedins_code)
{
    sqlite3_stmt *s = stmt(st, "SELECT 1 FROM sign WHERE sign_no = ?1 AND fixmedins_code = ?2 "
                               "AND signout_time IS NULL");
    const char *args[] = {sign_no, fixmedins_code};
    if (!s || bind_texts(s, args, 2))
        return YB_EIO;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? YB_ENOENT : sql_fail(st, "sign");
}

int ybsim_store_sign_close(struct ybsim_store *st, const char *sign_no, const char *fixmedins_code,
                           const char *time)
{
    const char *args[] = {sign_no, fixmedins_code, time};
    int changes = 0;
    int rc = exec(st,
                  "UPDATE sign SET signout_time = ?3 WHERE sign_no = ?1 AND fixmedins_code = ?2 "
                  "AND signout_time IS NULL",
                  args, 3, &changes);
    return rc ? rc : changes ? 0 : YB_ENOENT;
}

/* ---- visits ---- */

int ybsim_store_visit_add(struct ybsim_store *st, const struct ybsim_visit *v)
{
    return row_insert(st, T_VISIT, v);
}

int ybsim_store_visit(struct ybsim_store *st, const char *mdtrt_id, struct ybsim_visit *out)
{
    return row_select(st, T_VISIT, "mdtrt_id = ?1", &mdtrt_id, 1, out, NULL, NULL);
}

int ybsim_store_visit_update(struct ybsim_store *st, const struct ybsim_visit *v)
{
    return row_update(st, T_VISIT, v);
}

int ybsim_store_visit_inpatient(struct ybsim_store *st, const char *psn_no, struct ybsim_visit *out)
{
    return row_select(st, T_VISIT,
                      "psn_no = ?1 AND kind = 'ipt' AND status IN ('open', 'discharged')", &psn_no,
                      1, out, NULL, NULL);
}

/* ---- fee lines ---- */

int ybsim_store_fee_add(struct ybsim_store *st, const struct ybsim_fee *f)
{
    return row_insert(st, T_FEE, f);
}

struct fee_each {
    int (*fn)(const struct ybsim_fee *f, void *arg);
    void *arg;
};

static int fee_each_adapter(const void *rec, void *arg)
{
    struct fee_each *e = arg;
    return e->fn(rec, e->arg);
}

int ybsim_store_fee_each(struct ybsim_store *st, const char *mdtrt_id,
                         int (*fn)(const struct ybsim_fee *f, void *arg), void *arg)
{
    struct fee_each e = {fn, arg};
    return row_select(st, T_FEE, "mdtrt_id = ?1 AND revoked = 0 AND setl_id = ''", &mdtrt_id, 1,
                      NULL, fee_each_adapter, &e);
}

int ybsim_store_fee_count(struct ybsim_store *st, const char *mdtrt_id, int *live, int *settled)
{
    sqlite3_stmt *s = stmt(st, "SELECT COUNT(*), COUNT(NULLIF(setl_id, '')) FROM fee "
                               "WHERE mdtrt_id = ?1 AND revoked = 0");
    if (!s || bind_texts(s, &mdtrt_id, 1))
        return YB_EIO;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *live = sqlite3_column_int(s, 0);
        *settled = sqlite3_column_int(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : sql_fail(st, "fee");
}

int ybsim_store_fee_revoke(struct ybsim_store *st, const char *mdtrt_id, const char *chrg_bchno,
                           const char *feedetl_sn, int *count)
{
    const char *args[] = {mdtrt_id, chrg_bchno, feedetl_sn};
    return exec(st,
                "UPDATE fee SET revoked = 1 WHERE mdtrt_id = ?1 AND revoked = 0 AND setl_id = '' "
                "AND (?2 = '' OR chrg_bchno = ?2) AND (?3 = '' OR feedetl_sn = ?3)",
                args, 3, count);
}

int ybsim_store_fee_count_settled(struct ybsim_store *st, const char *mdtrt_id,
                                  const char *chrg_bchno, const char *feedetl_sn, int *count)
{
    sqlite3_stmt *s = stmt(st, "SELECT COUNT(*) FROM fee WHERE mdtrt_id = ?1 AND revoked = 0 "
                               "AND setl_id != '' AND (?2 = '' OR chrg_bchno = ?2) "
                               "AND (?3 = '' OR feedetl_sn = ?3)");
    const char *args[] = {mdtrt_id, chrg_bchno, feedetl_sn};
    if (!s || bind_texts(s, args, 3))
        return YB_EIO;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : sql_fail(st, "fee");
}

int ybsim_store_fee_settle(struct ybsim_store *st, const char *mdtrt_id, const char *setl_id,
                           const char *from)
{
    if (setl_id) {
        const char *args[] = {mdtrt_id, setl_id};
        return exec(st,
                    "UPDATE fee SET setl_id = ?2 WHERE mdtrt_id = ?1 AND revoked = 0 "
                    "AND setl_id = ''",
                    args, 2, NULL);
    }
    const char *args[] = {mdtrt_id, from};
    return exec(st, "UPDATE fee SET setl_id = '' WHERE mdtrt_id = ?1 AND setl_id = ?2", args, 2,
                NULL);
}

/* ---- settlements ---- */

int ybsim_store_setl_add(struct ybsim_store *st, const struct ybsim_setl *s)
{
    return row_insert(st, T_SETL, s);
}

int ybsim_store_setl(struct ybsim_store *st, const char *setl_id, struct ybsim_setl *out)
{
    return row_select(st, T_SETL, "setl_id = ?1", &setl_id, 1, out, NULL, NULL);
}

int ybsim_store_setl_update(struct ybsim_store *st, const struct ybsim_setl *s)
{
    return row_update(st, T_SETL, s);
}

int ybsim_store_setl_by_msgid(struct ybsim_store *st, const char *msgid, const char *fixmedins_code,
                              struct ybsim_setl *out)
{
    const char *args[] = {msgid, fixmedins_code};
    return row_select(st, T_SETL, "msgid = ?1 AND fixmedins_code = ?2", args, 2, out, NULL, NULL);
}

int ybsim_store_year_used(struct ybsim_store *st, const char *psn_no, const char *year,
                          const char *insutype, const char *scope, ybsim_dec *dedc_used,
                          ybsim_dec *pool_used)
{
    sqlite3_stmt *s = stmt(st, "SELECT COALESCE(SUM(act_pay_dedc_fen), 0), "
                               "COALESCE(SUM(hifp_pay_fen), 0) FROM setl "
                               "WHERE psn_no = ?1 AND year = ?2 AND insutype = ?3 "
                               "AND revoked = 0 AND (?4 = '' OR accum_scope = ?4)");
    const char *args[] = {psn_no, year, insutype, scope};
    if (!s || bind_texts(s, args, 4))
        return YB_EIO;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *dedc_used = sqlite3_column_int64(s, 0) * YBSIM_DEC_FEN;
        *pool_used = sqlite3_column_int64(s, 1) * YBSIM_DEC_FEN;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : sql_fail(st, "setl");
}

/* ---- catalogue mappings ---- */

int ybsim_store_mapping_put(struct ybsim_store *st, const struct ybsim_mapping *m)
{
    /* a database made before the key lost list_type may hold one row per
     * list_type: clear them all, so a local code has one mapping */
    const char *args[] = {m->fixmedins_code, m->fixmedins_hilist_id};
    int rc = exec(st, "DELETE FROM mapping WHERE fixmedins_code = ?1 AND fixmedins_hilist_id = ?2",
                  args, 2, NULL);
    return rc ? rc : row_insert(st, T_MAPPING, m);
}

int ybsim_store_mapping_get(struct ybsim_store *st, const char *fixmedins_code,
                            const char *fixmedins_hilist_id, struct ybsim_mapping *out)
{
    const char *args[] = {fixmedins_code, fixmedins_hilist_id};
    return row_select(st, T_MAPPING, "fixmedins_code = ?1 AND fixmedins_hilist_id = ?2", args, 2,
                      out, NULL, NULL);
}

int ybsim_store_mapping_delete(struct ybsim_store *st, const char *fixmedins_code,
                               const char *fixmedins_hilist_id, const char *list_type,
                               const char *med_list_codg)
{
    const char *args[] = {fixmedins_code, fixmedins_hilist_id, list_type, med_list_codg};
    int changes = 0;
    int rc = exec(st,
                  "DELETE FROM mapping WHERE fixmedins_code = ?1 AND fixmedins_hilist_id = ?2 "
                  "AND (?3 = '' OR list_type = ?3) AND (?4 = '' OR med_list_codg = ?4)",
                  args, 4, &changes);
    return rc ? rc : changes ? 0 : YB_ENOENT;
}

struct mapping_each {
    int (*fn)(const struct ybsim_mapping *m, void *arg);
    void *arg;
};

static int mapping_each_adapter(const void *rec, void *arg)
{
    struct mapping_each *e = arg;
    return e->fn(rec, e->arg);
}

int ybsim_store_mapping_each(struct ybsim_store *st, const char *fixmedins_code,
                             const char *med_list_codg,
                             int (*fn)(const struct ybsim_mapping *m, void *arg), void *arg)
{
    struct mapping_each e = {fn, arg};
    const char *args[] = {fixmedins_code, med_list_codg ? med_list_codg : ""};
    return row_select(st, T_MAPPING, "fixmedins_code = ?1 AND (?2 = '' OR med_list_codg = ?2)",
                      args, 2, NULL, mapping_each_adapter, &e);
}

/* ---- settlement lists ---- */

int ybsim_store_setl_list_put(struct ybsim_store *st, const char *setl_id,
                              const char *fixmedins_code, const char *infno, const char *time,
                              const char *msgid, const char *body, int *replaced)
{
    const char *args[] = {setl_id, fixmedins_code, infno, time, msgid, body};
    int changes = 0;
    int rc = exec(st,
                  "UPDATE setl_list SET infno = ?3, upload_time = ?4, msgid = ?5, body = ?6, "
                  "uploads = uploads + 1 WHERE setl_id = ?1 AND fixmedins_code = ?2",
                  args, 6, &changes);
    if (rc)
        return rc;
    *replaced = changes > 0;
    if (changes)
        return 0;
    return exec(st,
                "INSERT INTO setl_list (setl_id, fixmedins_code, infno, upload_time, msgid, body) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                args, 6, NULL);
}

/* ---- filings ---- */

int ybsim_store_filing_add(struct ybsim_store *st, const struct ybsim_filing *f)
{
    return row_insert(st, T_FILING, f);
}

int ybsim_store_filing(struct ybsim_store *st, const char *trt_dcla_detl_sn,
                       struct ybsim_filing *out)
{
    return row_select(st, T_FILING, "trt_dcla_detl_sn = ?1", &trt_dcla_detl_sn, 1, out, NULL, NULL);
}

int ybsim_store_filing_update(struct ybsim_store *st, const struct ybsim_filing *f)
{
    return row_update(st, T_FILING, f);
}

struct filing_each {
    int (*fn)(const struct ybsim_filing *f, void *arg);
    void *arg;
};

static int filing_each_adapter(const void *rec, void *arg)
{
    struct filing_each *e = arg;
    return e->fn(rec, e->arg);
}

int ybsim_store_filing_each(struct ybsim_store *st, const char *psn_no, const char *region,
                            const char *date, int (*fn)(const struct ybsim_filing *f, void *arg),
                            void *arg)
{
    struct filing_each e = {fn, arg};
    const char *args[] = {psn_no, region, date};
    return row_select(st, T_FILING,
                      "psn_no = ?1 AND region = ?2 AND revoked = 0 AND begndate <= ?3 "
                      "AND (enddate = '' OR enddate >= ?3)",
                      args, 3, NULL, filing_each_adapter, &e);
}
