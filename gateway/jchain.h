/*
 * jchain.h - the journal's tables and its hash chain, shared by the
 * gateway's journal writer (journal.c) and by ybgwctl (journal list, show,
 * export, resolve, verify; the audit records of catalogue changes).
 *
 * The journal database (SQLite, WAL) holds two tables:
 *
 *   journal        one row per transaction that passed validation; its
 *                  status changes as the transaction goes on.
 *   journal_event  append-only: every change of a journal row, and every
 *                  audit record (configuration reload, mapping change,
 *                  operator resolution, pruning), in order, each chained to
 *                  the one before by SHA-256.
 *
 *   CREATE TABLE journal(
 *     id INTEGER PRIMARY KEY,            -- assigned by the gateway, increasing
 *     msgid TEXT NOT NULL, infno TEXT NOT NULL,
 *     fixmedins_code TEXT NOT NULL DEFAULT '', psn_no TEXT NOT NULL DEFAULT '',
 *     caller TEXT NOT NULL DEFAULT '', node TEXT NOT NULL DEFAULT '',
 *     route TEXT NOT NULL DEFAULT '', route_why TEXT NOT NULL DEFAULT '',
 *     hops TEXT NOT NULL DEFAULT '',
 *     received_at INTEGER NOT NULL,      -- Unix ms
 *     forwarded_at INTEGER, answered_at INTEGER,
 *     status TEXT NOT NULL,              -- received forwarded answered failed unknown
 *     infcode INTEGER, http_status INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
 *     upstream_ms REAL, total_ms REAL,
 *     error TEXT NOT NULL DEFAULT '',    -- the gateway's err_msg when it failed
 *     req_hash TEXT NOT NULL,            -- idempotent infno: hex SHA-256 of the message's
 *                                        -- identity (the idempotency key); other: of the
 *                                        -- message as forwarded
 *     request TEXT NOT NULL DEFAULT '',  -- JSON as forwarded, personal fields masked
 *     response TEXT NOT NULL DEFAULT '', -- JSON answer, personal fields masked
 *     sealed_request BLOB, sealed_response BLOB, -- AES-256-GCM of the full texts
 *     resolution TEXT NOT NULL DEFAULT '',   -- '' reversed settled not_settled
 *     resolved_by TEXT NOT NULL DEFAULT '', resolved_at INTEGER,
 *     resolution_note TEXT NOT NULL DEFAULT '');
 *   CREATE INDEX journal_msgid ON journal(msgid);
 *   CREATE INDEX journal_received ON journal(received_at);
 *   CREATE INDEX journal_open ON journal(status) WHERE status IN
 *     ('received','forwarded','unknown');
 *
 *   CREATE TABLE journal_event(
 *     seq INTEGER PRIMARY KEY,           -- 1, 2, 3 ... without gaps
 *     at INTEGER NOT NULL,               -- Unix ms
 *     kind TEXT NOT NULL,                -- 'txn' or 'audit'
 *     txn_id INTEGER,                    -- the journal row (kind 'txn')
 *     what TEXT NOT NULL,                -- txn: the new status or 'resolved';
 *                                        -- audit: reload, mapping, resolve,
 *                                        -- prune, recover, start ...
 *     who TEXT NOT NULL DEFAULT '',      -- gateway node name, or the operator
 *     detail TEXT NOT NULL DEFAULT '',
 *     digest TEXT NOT NULL DEFAULT '',   -- txn: yb_jchain_row_digest after the change
 *     prev TEXT NOT NULL,                -- hash of seq-1 (64 '0' for the first)
 *     hash TEXT NOT NULL);
 *   CREATE INDEX journal_event_txn ON journal_event(txn_id);  -- a row's events
 *
 * hash = hex SHA-256 of prev "\n" seq "\n" at "\n" kind "\n" txn_id "\n"
 * what "\n" who "\n" detail "\n" digest (txn_id "" when NULL; numbers in
 * decimal). A row digest is hex SHA-256 over the journal row's columns in
 * the order above, each as "name=value\n" (NULL as "name=\n", blobs as
 * their hex), so any edit of a row or an event breaks the chain or a
 * digest, and `ybgwctl journal verify` says where.
 *
 * Pruning (retention) deletes old journal rows and the events before the
 * oldest kept row's first event; it appends an audit 'prune' event whose
 * detail names the first kept seq and its prev hash, so verify starts there:
 * "first_seq=N prev=HEX below_id=ID rows=K before=MS" (rows with an id under
 * ID were pruned; events may still name them). Rows are pruned oldest first
 * and only while closed (not received, forwarded or unresolved unknown).
 *
 * Several writers (the gateway's thread, ybgwctl) may append: each appends
 * inside its own BEGIN IMMEDIATE transaction, reading the tail there, so the
 * chain never forks.
 */
#ifndef YB_JCHAIN_H
#define YB_JCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define YB_JCHAIN_HEX 65 /* 64 hex digits and a NUL */

/* Create the tables and indexes when missing, set WAL and a busy timeout.
 * 0, or YB_EIO with the reason in err. */
int yb_jchain_schema(sqlite3 *db, char *err, size_t errlen);

struct yb_jevent {
    int64_t at;      /* Unix ms */
    const char *kind; /* "txn" or "audit" */
    int64_t txn_id;  /* 0: NULL */
    const char *what;
    const char *who;    /* NULL: "" */
    const char *detail; /* NULL: "" */
};

/* Append one event. Must run inside a write transaction the caller opened
 * (BEGIN IMMEDIATE); for a txn event the row is digested as it is now.
 * 0, or YB_EIO with the reason. */
int yb_jchain_append(sqlite3 *db, const struct yb_jevent *ev, char *err, size_t errlen);

/* The same with its statements prepared once, for a connection that
 * appends often (the gateway's journal writer). Free the appender before
 * closing db. NULL when the statements cannot be prepared. */
struct yb_jchain_appender;
struct yb_jchain_appender *yb_jchain_appender_new(sqlite3 *db);
int yb_jchain_appender_append(struct yb_jchain_appender *a, const struct yb_jevent *ev, char *err,
                              size_t errlen);
/* Call after each BEGIN IMMEDIATE: the appender reads the chain's tail
 * once per write transaction and keeps it for the appends that follow. */
void yb_jchain_appender_begin(struct yb_jchain_appender *a);
void yb_jchain_appender_free(struct yb_jchain_appender *a);

/* The digest of journal row id as it is now. 0, YB_ENOENT, or YB_EIO. */
int yb_jchain_row_digest(sqlite3 *db, int64_t id, char hex[YB_JCHAIN_HEX]);

struct yb_jverify {
    int64_t events;      /* events checked */
    int64_t rows;        /* journal rows checked against their last event */
    int64_t first_seq;   /* where the check started (after pruning) */
    int64_t bad_seq;     /* first event whose hash or link is wrong, or 0 */
    int64_t bad_row;     /* first journal row whose digest differs, or 0 */
    char what[256];      /* what was wrong, for the operator */
};

/* Check the whole chain and every row. 0 when intact; YB_EINVAL when
 * something was altered (out says what and where); YB_EIO on a read error. */
int yb_jchain_verify(sqlite3 *db, struct yb_jverify *out, char *err, size_t errlen);

#endif
