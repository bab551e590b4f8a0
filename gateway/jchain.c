/*
 * jchain.c - the journal's tables and its SHA-256 hash chain (jchain.h has
 * the schema and the hashed text).
 *
 * Two programs write the journal database: the gateway's journal writer
 * (journal_writer.c) and ybgwctl (resolutions, audit records). Both append
 * through yb_jchain_append inside their own BEGIN IMMEDIATE transaction, and
 * the tail of the chain is read there, so two appenders are serialised by
 * SQLite's write lock and the chain cannot fork.
 *
 * Verification (yb_jchain_verify) reads one snapshot: it walks the events in
 * seq order checking each link and hash, starting at seq 1 or at the anchor
 * the latest 'prune' event names, then checks every journal row against the
 * digest its last 'txn' event recorded. The first problem of each kind is
 * reported with its seq or row, in words an operator can act on.
 *
 * yb_jchain_append prepares its statements per call, which suits ybgwctl;
 * the gateway's writer appends thousands of events a second and keeps them
 * prepared in a struct yb_jchain_appender (preparing the 29-column row
 * query was half of the writer's time).
 */
#include "jchain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sign.h"
#include "ybgw/ybgw.h"

#define BUSY_MS 5000
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS journal(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  msgid TEXT NOT NULL, infno TEXT NOT NULL,\n"
    "  fixmedins_code TEXT NOT NULL DEFAULT '', psn_no TEXT NOT NULL DEFAULT '',\n"
    "  caller TEXT NOT NULL DEFAULT '', node TEXT NOT NULL DEFAULT '',\n"
    "  route TEXT NOT NULL DEFAULT '', route_why TEXT NOT NULL DEFAULT '',\n"
    "  hops TEXT NOT NULL DEFAULT '',\n"
    "  received_at INTEGER NOT NULL,\n"
    "  forwarded_at INTEGER, answered_at INTEGER,\n"
    "  status TEXT NOT NULL,\n"
    "  infcode INTEGER, http_status INTEGER, attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  upstream_ms REAL, total_ms REAL,\n"
    "  error TEXT NOT NULL DEFAULT '',\n"
    "  req_hash TEXT NOT NULL,\n"
    "  request TEXT NOT NULL DEFAULT '',\n"
    "  response TEXT NOT NULL DEFAULT '',\n"
    "  sealed_request BLOB, sealed_response BLOB,\n"
    "  resolution TEXT NOT NULL DEFAULT '',\n"
    "  resolved_by TEXT NOT NULL DEFAULT '', resolved_at INTEGER,\n"
    "  resolution_note TEXT NOT NULL DEFAULT '');\n"
    "CREATE INDEX IF NOT EXISTS journal_msgid ON journal(msgid);\n"
    "CREATE INDEX IF NOT EXISTS journal_received ON journal(received_at);\n"
    "CREATE INDEX IF NOT EXISTS journal_open ON journal(status) WHERE status IN\n"
    "  ('received','forwarded','unknown');\n"
    "CREATE TABLE IF NOT EXISTS journal_event(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  at INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  txn_id INTEGER,\n"
    "  what TEXT NOT NULL,\n"
    "  who TEXT NOT NULL DEFAULT '',\n"
    "  detail TEXT NOT NULL DEFAULT '',\n"
    "  digest TEXT NOT NULL DEFAULT '',\n"
    "  prev TEXT NOT NULL,\n"
    "  hash TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS journal_event_txn ON journal_event(txn_id);\n";

/* The digested columns, in the schema's order (jchain.h). */
static const char row_sql[] =
    "SELECT id, msgid, infno, fixmedins_code, psn_no, caller, node, route, route_why, hops,"
    " received_at, forwarded_at, answered_at, status, infcode, http_status, attempts,"
    " upstream_ms, total_ms, error, req_hash, request, response, sealed_request,"
    " sealed_response, resolution, resolved_by, resolved_at, resolution_note"
    " FROM journal WHERE id = ?1";

/* Finish ctx into hex (64 digits). 0 or YB_EIO. */
static int finish_hex(EVP_MD_CTX *ctx, char hex[YB_JCHAIN_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
        return YB_EIO;
    yb_hex_encode(md, n, hex, 0);
    return 0;
}

static int update(EVP_MD_CTX *ctx, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    return EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : YB_EIO;
}

static int update_str(EVP_MD_CTX *ctx, const char *s)
{
    return update(ctx, s ? s : "", s ? strlen(s) : 0);
}

/* The event's hash: prev \n seq \n at \n kind \n txn_id \n what \n who \n
 * detail \n digest. txn_id 0 is NULL (empty). */
static int event_hash(const char *prev, int64_t seq, int64_t at, const char *kind, int64_t txn_id,
                      const char *what, const char *who, const char *detail, const char *digest,
                      char hex[YB_JCHAIN_HEX])
{
    char num[3][24];
    snprintf(num[0], sizeof(num[0]), "%" PRId64, seq);
    snprintf(num[1], sizeof(num[1]), "%" PRId64, at);
    if (txn_id)
        snprintf(num[2], sizeof(num[2]), "%" PRId64, txn_id);
    else
        num[2][0] = '\0';
    const char *parts[9] = {prev, num[0], num[1], kind, num[2], what, who, detail, digest};
    int rc = YB_EIO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto fail;
    for (int i = 0; i < 9; i++)
        if (update_str(ctx, parts[i]) || (i < 8 && update(ctx, "\n", 1)))
            goto fail;
    rc = finish_hex(ctx, hex);
fail:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int yb_jchain_schema(sqlite3 *db, char *err, size_t errlen)
{
    char *msg = NULL;
    if (!db)
        return YB_EINVAL;
    sqlite3_busy_timeout(db, BUSY_MS);
    if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    if (sqlite3_exec(db, schema_sql, NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "journal database %s: cannot create the journal tables: %s",
             sqlite3_db_filename(db, "main") ? sqlite3_db_filename(db, "main") : "",
             msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return YB_EIO;
}

/* ---- appending ---- */

/* The three statements an append runs, prepared once per appender. */
struct yb_jchain_appender {
    sqlite3 *db;
    sqlite3_stmt *row;  /* row_sql */
    sqlite3_stmt *tail; /* the last event */
    sqlite3_stmt *insert;
    /* the tail as this appender left it, valid inside one write
     * transaction (no other connection can append meanwhile) */
    int have_tail;
    int64_t tail_seq;
    char tail_hash[YB_JCHAIN_HEX];
};

static const char tail_sql[] = "SELECT seq, hash FROM journal_event ORDER BY seq DESC LIMIT 1";
static const char insert_sql[] =
    "INSERT INTO journal_event(seq, at, kind, txn_id, what, who, detail, digest, prev, hash)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/* The digest of the row st (row_sql) finds for id. Resets st. */
static int digest_row(sqlite3_stmt *st, int64_t id, char hex[YB_JCHAIN_HEX])
{
    EVP_MD_CTX *ctx = NULL;
    int rc = YB_EIO;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = YB_ENOENT;
        goto fail;
    }
    if (step != SQLITE_ROW)
        goto fail;
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto fail;
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (update_str(ctx, name) || update(ctx, "=", 1))
            goto fail;
        int type = sqlite3_column_type(st, i);
        if (type == SQLITE_BLOB) {
            const unsigned char *b = sqlite3_column_blob(st, i);
            size_t len = (size_t)sqlite3_column_bytes(st, i);
            char chunk[129];
            for (size_t off = 0; b && off < len; off += 64) {
                size_t k = len - off < 64 ? len - off : 64;
                yb_hex_encode(b + off, k, chunk, 0);
                if (update(ctx, chunk, 2 * k))
                    goto fail;
            }
        } else if (type != SQLITE_NULL) {
            const unsigned char *t = sqlite3_column_text(st, i);
            if (update(ctx, t, (size_t)sqlite3_column_bytes(st, i)))
                goto fail;
        }
        if (update(ctx, "\n", 1))
            goto fail;
    }
    rc = finish_hex(ctx, hex);
fail:
    EVP_MD_CTX_free(ctx);
    sqlite3_reset(st);
    return rc;
}

int yb_jchain_row_digest(sqlite3 *db, int64_t id, char hex[YB_JCHAIN_HEX])
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, row_sql, -1, &st, NULL) != SQLITE_OK)
        return YB_EIO;
    int rc = digest_row(st, id, hex);
    sqlite3_finalize(st);
    return rc;
}

struct yb_jchain_appender *yb_jchain_appender_new(sqlite3 *db)
{
    struct yb_jchain_appender *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->db = db;
    if (sqlite3_prepare_v3(db, row_sql, -1, SQLITE_PREPARE_PERSISTENT, &a->row, NULL) ||
        sqlite3_prepare_v3(db, tail_sql, -1, SQLITE_PREPARE_PERSISTENT, &a->tail, NULL) ||
        sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &a->insert, NULL)) {
        yb_jchain_appender_free(a);
        return NULL;
    }
    return a;
}

void yb_jchain_appender_free(struct yb_jchain_appender *a)
{
    if (!a)
        return;
    sqlite3_finalize(a->row);
    sqlite3_finalize(a->tail);
    sqlite3_finalize(a->insert);
    free(a);
}

/* The last event's seq and hash (seq 0 and 64 zeros when there is none). */
static int read_tail(sqlite3_stmt *st, int64_t *seq, char hash[YB_JCHAIN_HEX])
{
    int rc = 0, step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 1);
        *seq = sqlite3_column_int64(st, 0);
        snprintf(hash, YB_JCHAIN_HEX, "%s", h ? h : "");
    } else if (step == SQLITE_DONE) {
        *seq = 0;
        memcpy(hash, ZERO_HASH, YB_JCHAIN_HEX);
    } else {
        rc = YB_EIO;
    }
    sqlite3_reset(st);
    return rc;
}

int yb_jchain_appender_append(struct yb_jchain_appender *a, const struct yb_jevent *ev, char *err,
                              size_t errlen)
{
    char prev[YB_JCHAIN_HEX], digest[YB_JCHAIN_HEX] = "", hash[YB_JCHAIN_HEX];
    int64_t seq = 0;
    if (!a || !ev || !ev->kind || !ev->what) {
        snprintf(err, errlen, "journal event: kind and what are required");
        return YB_EINVAL;
    }
    sqlite3 *db = a->db;
    if (sqlite3_get_autocommit(db)) {
        snprintf(err, errlen, "journal event: append outside a write transaction");
        return YB_EINVAL;
    }
    if (a->have_tail) {
        seq = a->tail_seq;
        memcpy(prev, a->tail_hash, YB_JCHAIN_HEX);
    } else if (read_tail(a->tail, &seq, prev)) {
        snprintf(err, errlen, "journal event: cannot read the chain's tail: %s",
                 sqlite3_errmsg(db));
        return YB_EIO;
    }
    if (strcmp(ev->kind, "txn") == 0) {
        int d = digest_row(a->row, ev->txn_id, digest);
        if (d) {
            snprintf(err, errlen, "journal event: cannot digest journal row %" PRId64 ": %s",
                     ev->txn_id, d == YB_ENOENT ? "no such row" : sqlite3_errmsg(db));
            return d == YB_ENOENT ? YB_ENOENT : YB_EIO;
        }
    }
    const char *who = ev->who ? ev->who : "", *detail = ev->detail ? ev->detail : "";
    if (event_hash(prev, seq + 1, ev->at, ev->kind, ev->txn_id, ev->what, who, detail, digest,
                   hash)) {
        snprintf(err, errlen, "journal event: SHA-256 failed");
        return YB_EIO;
    }
    sqlite3_stmt *st = a->insert;
    sqlite3_bind_int64(st, 1, seq + 1);
    sqlite3_bind_int64(st, 2, ev->at);
    sqlite3_bind_text(st, 3, ev->kind, -1, SQLITE_STATIC);
    if (ev->txn_id)
        sqlite3_bind_int64(st, 4, ev->txn_id);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, ev->what, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, who, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, prev, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, hash, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step != SQLITE_DONE)
        snprintf(err, errlen, "journal event: cannot write: %s", sqlite3_errmsg(db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    a->have_tail = step == SQLITE_DONE;
    if (a->have_tail) {
        a->tail_seq = seq + 1;
        memcpy(a->tail_hash, hash, YB_JCHAIN_HEX);
    }
    return step == SQLITE_DONE ? 0 : YB_EIO;
}

void yb_jchain_appender_begin(struct yb_jchain_appender *a)
{
    if (a)
        a->have_tail = 0;
}

int yb_jchain_append(sqlite3 *db, const struct yb_jevent *ev, char *err, size_t errlen)
{
    if (!db) {
        snprintf(err, errlen, "journal event: no database");
        return YB_EINVAL;
    }
    struct yb_jchain_appender *a = yb_jchain_appender_new(db);
    if (!a) {
        snprintf(err, errlen, "journal event: cannot prepare: %s", sqlite3_errmsg(db));
        return YB_EIO;
    }
    int rc = yb_jchain_appender_append(a, ev, err, errlen);
    yb_jchain_appender_free(a);
    return rc;
}

/* ---- verification ---- */

struct anchor {
    int64_t first_seq; /* 0: no prune event */
    int64_t below_id;  /* rows under this id were pruned */
    char prev[YB_JCHAIN_HEX];
};

/* The value of "name=" in a prune detail ("first_seq=12 prev=ab.. below_id=7 ..."). */
static const char *detail_field(const char *detail, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = detail; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            p += n + 1;
            size_t len = strcspn(p, " ");
            if (len >= cap)
                return NULL;
            memcpy(out, p, len);
            out[len] = '\0';
            return out;
        }
        p = strchr(p, ' ');
    }
    return NULL;
}

static int read_anchor(sqlite3 *db, struct anchor *a)
{
    sqlite3_stmt *st = NULL;
    int rc = YB_EIO;
    memset(a, 0, sizeof(*a));
    if (sqlite3_prepare_v2(db,
                           "SELECT detail FROM journal_event WHERE kind = 'audit' AND"
                           " what = 'prune' ORDER BY seq DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 0);
        char num[32];
        if (detail_field(detail, "first_seq", num, sizeof(num)))
            a->first_seq = strtoll(num, NULL, 10);
        if (detail_field(detail, "below_id", num, sizeof(num)))
            a->below_id = strtoll(num, NULL, 10);
        if (!detail_field(detail, "prev", a->prev, sizeof(a->prev)))
            a->prev[0] = '\0';
    } else if (step != SQLITE_DONE) {
        goto fail;
    }
    rc = 0;
fail:
    sqlite3_finalize(st);
    return rc;
}

static void found_event(struct yb_jverify *out, int64_t seq, const char *text)
{
    if (out->bad_seq)
        return;
    out->bad_seq = seq;
    snprintf(out->what, sizeof(out->what), "event %" PRId64 ": %s", seq, text);
}

/* Walk the events in seq order. */
static int verify_events(sqlite3 *db, const struct anchor *a, struct yb_jverify *out)
{
    sqlite3_stmt *st = NULL;
    int rc = YB_EIO;
    char last[YB_JCHAIN_HEX], hash[YB_JCHAIN_HEX], text[200];
    int64_t last_seq = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT seq, at, kind, txn_id, what, who, detail, digest, prev, hash"
                           " FROM journal_event ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const char *col[10];
        for (int i = 2; i < 10; i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            col[i] = t ? t : "";
        }
        if (out->events == 0) {
            out->first_seq = seq;
            if (seq == 1) {
                memcpy(last, ZERO_HASH, YB_JCHAIN_HEX);
            } else if (a->first_seq == seq) {
                snprintf(last, sizeof(last), "%s", a->prev);
            } else {
                if (a->first_seq)
                    snprintf(text, sizeof(text),
                             "the chain starts here, but the last prune record kept it from seq "
                             "%" PRId64 ": events were deleted",
                             a->first_seq);
                else
                    snprintf(text, sizeof(text),
                             "the chain starts here, but events 1 to %" PRId64
                             " are missing and no prune record accounts for them",
                             seq - 1);
                found_event(out, seq, text);
                break;
            }
        } else if (seq != last_seq + 1) {
            snprintf(text, sizeof(text),
                     "events %" PRId64 " to %" PRId64 " before it are missing (deleted?)",
                     last_seq + 1, seq - 1);
            found_event(out, seq, text);
            break;
        }
        out->events++;
        if (strcmp(col[8], last) != 0) {
            snprintf(text, sizeof(text),
                     "its link to event %" PRId64 " does not match (one of the two was altered)",
                     seq - 1);
            found_event(out, seq, text);
            break;
        }
        int64_t txn_id =
            sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
        if (event_hash(col[8], seq, sqlite3_column_int64(st, 1), col[2], txn_id, col[4], col[5],
                       col[6], col[7], hash))
            goto fail;
        if (strcmp(hash, col[9]) != 0) {
            found_event(out, seq, "its content does not match its hash (altered)");
            break;
        }
        memcpy(last, col[9], YB_JCHAIN_HEX);
        last[YB_JCHAIN_HEX - 1] = '\0';
        last_seq = seq;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        goto fail;
    rc = 0;
fail:
    sqlite3_finalize(st);
    return rc;
}

static void found_row(struct yb_jverify *out, int64_t id, const char *why)
{
    if (out->bad_row)
        return;
    out->bad_row = id;
    if (!out->bad_seq)
        snprintf(out->what, sizeof(out->what), "journal row %" PRId64 ": %s", id, why);
}

/* Each row against its last txn event; then rows that events name but that
 * are gone (above the prune line). */
static int verify_rows(sqlite3 *db, const struct anchor *a, struct yb_jverify *out)
{
    sqlite3_stmt *rows = NULL, *last = NULL, *gone = NULL;
    char digest[YB_JCHAIN_HEX];
    int rc = YB_EIO, step;
    if (sqlite3_prepare_v2(db, "SELECT id FROM journal ORDER BY id", -1, &rows, NULL) ||
        sqlite3_prepare_v2(db,
                           "SELECT digest FROM journal_event WHERE txn_id = ?1 AND kind = 'txn'"
                           " ORDER BY seq DESC LIMIT 1",
                           -1, &last, NULL) ||
        sqlite3_prepare_v2(db,
                           "SELECT DISTINCT txn_id FROM journal_event WHERE kind = 'txn' AND"
                           " txn_id >= ?1 AND txn_id NOT IN (SELECT id FROM journal)"
                           " ORDER BY txn_id LIMIT 1",
                           -1, &gone, NULL))
        goto fail;
    while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(rows, 0);
        out->rows++;
        if (out->bad_row)
            continue;
        if (yb_jchain_row_digest(db, id, digest))
            goto fail;
        sqlite3_reset(last);
        sqlite3_bind_int64(last, 1, id);
        int s = sqlite3_step(last);
        if (s == SQLITE_DONE) {
            found_row(out, id, "no event of the chain records it (inserted outside the gateway?)");
        } else if (s != SQLITE_ROW) {
            goto fail;
        } else if (strcmp((const char *)sqlite3_column_text(last, 0), digest) != 0) {
            found_row(out, id,
                      "its columns differ from what its last event recorded (altered after "
                      "it was written)");
        }
    }
    if (step != SQLITE_DONE)
        goto fail;
    sqlite3_bind_int64(gone, 1, a->below_id);
    step = sqlite3_step(gone);
    if (step == SQLITE_ROW)
        found_row(out, sqlite3_column_int64(gone, 0),
                  "the chain records it but the row is missing (deleted outside pruning)");
    else if (step != SQLITE_DONE)
        goto fail;
    rc = 0;
fail:
    sqlite3_finalize(rows);
    sqlite3_finalize(last);
    sqlite3_finalize(gone);
    return rc;
}

int yb_jchain_verify(sqlite3 *db, struct yb_jverify *out, char *err, size_t errlen)
{
    struct anchor a;
    int rc = YB_EIO;
    if (!db || !out)
        return YB_EINVAL;
    memset(out, 0, sizeof(*out));
    /* one snapshot for the whole walk, while the gateway may be appending */
    int own = sqlite3_get_autocommit(db);
    if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (read_anchor(db, &a) || verify_events(db, &a, out) || verify_rows(db, &a, out))
        goto fail;
    rc = out->bad_seq || out->bad_row ? YB_EINVAL : 0;
    if (rc == 0)
        snprintf(out->what, sizeof(out->what),
                 "intact: %" PRId64 " events from seq %" PRId64 ", %" PRId64 " rows", out->events,
                 out->first_seq, out->rows);
    if (own)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
fail:
    snprintf(err, errlen, "journal verify: cannot read the journal: %s", sqlite3_errmsg(db));
    if (own && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return YB_EIO;
}
