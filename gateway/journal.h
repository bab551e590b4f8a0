/*
 * journal.h - the transaction journal: every transaction that passed
 * validation is written to SQLite (tables in jchain.h) before it is
 * forwarded, and its outcome after.
 *
 * One journal per process, shared by the workers and kept across reloads
 * (like the replay cache): its path and the rest of `journal { }` are read
 * once, at start; a reload that changes them is logged and ignored.
 *
 * Threads: one writer thread owns the database. The workers never touch
 * SQLite: they queue records and get called back on their own event loop.
 * The writer takes everything queued and writes it in one transaction
 * (group commit), so a busy gateway pays one commit for many records.
 *
 *   begin    the row (status received) must be committed before the
 *            message is forwarded: yb_journal_begin queues it and calls back
 *            on the worker's loop once it is on disk, or with the reason it
 *            cannot be (disk full, the writer is behind, the database is
 *            broken). A transaction is never forwarded unjournaled.
 *   update   forwarded, then answered / failed / unknown: queued and never
 *            refused or dropped (their number is bounded by the begins).
 *
 * Personal data: the writer masks the request and the response (pii.h)
 * before it stores them in the request/response columns; with `personal
 * encrypt` it also stores the full texts sealed with AES-256-GCM under the
 * key in key_file (sealed_* columns), so an idempotent repeat can be
 * answered with the real answer. `personal mask` keeps only the masked
 * texts; `personal plain` stores the texts as they are (for test systems).
 *
 * Crash recovery: yb_journal_open marks every row left `received` or
 * `forwarded` by an earlier process as `unknown` (an audit event 'recover'
 * counts them): the gateway cannot know whether the platform processed
 * them.
 *
 * Failure: when a write fails (SQLITE_FULL, an I/O error, max_size), every
 * begin waiting in that batch gets an error, and so do new begins until a
 * write succeeds again; the writer retries queued updates with a growing
 * pause (never dropping them) and logs each failure once per state change.
 *
 * Configuration (ybgw.conf):
 *   journal {
 *       path journal.db;             # relative to the working directory
 *       sync normal;                 # normal | full (fsync every commit)
 *       retention 180d;              # older rows are pruned hourly; 0: keep
 *       personal encrypt;            # encrypt | mask | plain
 *       key_file ../journal.key;     # 32 random bytes (64 hex); 0600; relative to the conf
 *       backlog 10000;               # queued begins before new ones are refused
 *       max_size 0;                  # bytes the database may reach; 0: no cap
 *       idempotent 2207 2208 2304 2305 2601;   # infno patterns ("22*" too)
 *       unknown 2207 2208 2304 2305 reverse;   # reverse | operator, per infno
 *       resolve_after 60s;           # an unknown settlement waits this long first
 *       update_delay 10ms;           # lazy updates wait this long to share a commit
 *   }
 *
 * Commits: a begin, a read, an audit record, a resolution and an urgent
 * outcome are committed at once, together with whatever else is queued.
 * The forwarded marks and the outcomes of non-idempotent transactions are
 * lazy: nothing waits for them, so they ride along with the next commit or
 * are committed after update_delay. That halves the commits a transaction
 * costs; a crash within that window leaves such a row unknown, which is
 * what recovery assumes of a row it cannot vouch for anyway.
 * Without a journal block the defaults above apply, except `personal`,
 * which is `mask` unless named: `personal encrypt` needs key_file, and
 * without one the configuration is refused.
 */
#ifndef YB_JOURNAL_H
#define YB_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct yb_conf;
struct yb_pii;
struct event_base;

enum yb_jstatus {
    YB_J_RECEIVED = 0,
    YB_J_FORWARDED,
    YB_J_ANSWERED,
    YB_J_FAILED, /* known not processed: not delivered, or refused before sending */
    YB_J_UNKNOWN, /* the platform may or may not have processed it */
};
/* "received", "forwarded", ...; NULL for a bad value */
const char *yb_jstatus_word(int status);
int yb_jstatus_parse(const char *word); /* -1 when unknown */

enum yb_jpersonal { YB_JP_ENCRYPT = 0, YB_JP_MASK, YB_JP_PLAIN };
enum yb_junknown { YB_JU_OPERATOR = 0, YB_JU_REVERSE };

struct yb_junknown_rule {
    char *pattern; /* infno or prefix* */
    int action;    /* enum yb_junknown */
};

struct yb_journal_conf {
    char *path;
    int sync_full;
    long retention_ms; /* 0: keep */
    int personal;      /* enum yb_jpersonal */
    char *key_file;    /* resolved against the configuration file's directory */
    unsigned char key[32];
    int has_key;
    unsigned backlog;
    int64_t max_size; /* bytes, 0: none */
    char **idempotent;
    int n_idempotent;
    struct yb_junknown_rule *unknown;
    int n_unknown;
    long resolve_after_ms;
    long resolve_interval_ms;  /* how often the resolver looks; default 10 s */
    long idempotent_window_ms; /* how long a msgid is remembered; default 7 d; 0: retention */
    long update_delay_ms;      /* how long a lazy update may wait for a commit; default 10 ms */
};

/* Defaults (see above) into a zeroed struct. */
int yb_journal_conf_init(struct yb_journal_conf *c);
/* Parse a `journal { }` block over the defaults: file:line errors. Reads
 * key_file (refusing one readable by group or others). */
int yb_journal_conf_parse(const struct yb_conf *d, struct yb_journal_conf *c, char *err,
                          size_t errlen);
/* Checks that span directives (a key for encrypt). */
int yb_journal_conf_check(const struct yb_journal_conf *c, char *err, size_t errlen);
void yb_journal_conf_free(struct yb_journal_conf *c); /* wipes the key */

int yb_journal_idempotent(const struct yb_journal_conf *c, const char *infno);
int yb_journal_unknown_action(const struct yb_journal_conf *c, const char *infno);

struct yb_journal;

/* Open (creating) the database, recover rows left in flight, start the
 * writer thread. conf and pii are copied. *recovered: rows marked unknown.
 * NULL with the reason in err. */
struct yb_journal *yb_journal_open(const struct yb_journal_conf *conf, const struct yb_pii *pii,
                                   const char *node, unsigned *recovered, char *err,
                                   size_t errlen);
/* Write everything queued, stop the thread, close. While writes are
 * failing it keeps retrying for up to 3 s, then logs what was lost. Call it
 * once the loops given to begin/fetch/unknowns no longer dispatch, before
 * their bases are freed: callbacks not yet delivered are dropped then. */
void yb_journal_close(struct yb_journal *j);

/* What begin records. Strings are copied; NULL is "". */
struct yb_jbegin {
    const char *msgid, *infno, *fixmedins_code, *psn_no, *caller, *route, *route_why, *hops;
    const char *request; /* JSON as forwarded */
    size_t request_len;
    /* the request with personal values masked (yb_pii_encode), when the
     * caller made it; NULL: the writer masks request itself */
    const char *masked;
    size_t masked_len;
    const char *req_hash; /* 64 hex: the identity hash, or of the message as forwarded */
    int64_t received_ms;  /* Unix ms */
};

/* Called on the loop of the base given to begin (the worker's thread):
 * rc 0 when the row is on disk, else a negative YB_E* and a sentence (for
 * the HIS's err_msg) saying why it could not be written. */
typedef void (*yb_journal_cb)(void *arg, int rc, const char *why);

struct yb_jwait; /* a pending callback */

/* Queue a new row and return its id in *id (ids are unique in the process
 * and increase across restarts). The callback runs exactly once, unless
 * cancelled first. Returns NULL, with *id 0 and the reason in why, when the
 * row is refused at once (the writer is behind by `backlog` records, or the
 * journal is failing); the callback then never runs. */
struct yb_jwait *yb_journal_begin(struct yb_journal *j, const struct yb_jbegin *b,
                                  struct event_base *base, yb_journal_cb cb, void *arg,
                                  int64_t *id, char *why, size_t whylen);
/* Forget the callback (the transaction is going away). Must be called on
 * the base's thread, before the callback ran. The row is still written. */
void yb_journal_cancel(struct yb_jwait *w);

/* The message left for the platform (status forwarded). Never refused.
 * It may wait up to update_delay for a commit, and when the outcome comes
 * meanwhile the two are written as one change (one chain event). */
void yb_journal_forwarded(struct yb_journal *j, int64_t id, int attempts, int64_t at_ms);

struct yb_jfinish {
    int status; /* YB_J_ANSWERED, YB_J_FAILED or YB_J_UNKNOWN */
    int infcode; /* the platform's, when answered */
    int http_status;
    int attempts;
    double upstream_ms, total_ms;
    const char *error;    /* the gateway's err_msg, or NULL */
    const char *response; /* JSON answer as sent to the HIS, or NULL */
    size_t response_len;
    const char *masked; /* the response masked, or NULL (as yb_jbegin) */
    size_t masked_len;
    int64_t at_ms;
    /* 1: commit at once (a settlement-class outcome, which a crash must not
     * turn unknown); 0: it may wait up to update_delay to share the next
     * commit with other records */
    int urgent;
};
/* The outcome. Never refused, never dropped. */
void yb_journal_finish(struct yb_journal *j, int64_t id, const struct yb_jfinish *f);

/* An audit record (reload, operator action ...). Never refused. */
void yb_journal_audit(struct yb_journal *j, const char *what, const char *who,
                      const char *detail);

/* ---- reading (idempotency, the resolver) ---- */

struct yb_jrow {
    int64_t id;
    const char *msgid, *infno, *fixmedins_code, *psn_no, *route;
    const char *req_hash;
    int status;
    int infcode; /* -1 when none */
    int64_t received_at;
    const char *error;
    /* the answer as stored: the full text when sealed (decrypted), else the
     * masked one; response_masked says which */
    const char *response;
    size_t response_len;
    int response_masked;
    /* the request as forwarded: full when sealed, else masked */
    const char *request;
    size_t request_len;
    const char *resolution; /* "" until resolved */
    const char *resolved_by;
};

/* Read row id on the writer's thread (after everything queued before it
 * was written) and call cb on base's loop with the row, or NULL and why.
 * The row lives until cb returns. */
typedef void (*yb_journal_row_cb)(void *arg, const struct yb_jrow *row, const char *why);
struct yb_jwait *yb_journal_fetch(struct yb_journal *j, int64_t id, struct event_base *base,
                                  yb_journal_row_cb cb, void *arg);

/* At start-up, before the workers run (synchronous): each row received
 * since since_ms whose infno is idempotent, oldest first, with request and
 * response NULL. A non-zero return from each stops the scan and is
 * returned. */
int yb_journal_scan(struct yb_journal *j, int64_t since_ms,
                    int (*each)(void *arg, const struct yb_jrow *row), void *arg);

/* The unknown rows not yet resolved, received before before_ms, at most
 * max of them, oldest first: cb is called once per row and then once with
 * NULL (on base's loop). */
struct yb_jwait *yb_journal_unknowns(struct yb_journal *j, int64_t before_ms, int max,
                                     struct event_base *base, yb_journal_row_cb cb, void *arg);

/* Record a resolution of an unknown row (reversed, settled, not_settled),
 * by whom, with a note; an event 'resolved' is chained. Never refused. */
void yb_journal_resolve(struct yb_journal *j, int64_t id, const char *resolution,
                        const char *who, const char *note);

/* For metrics: records queued and not yet written; records written; write
 * failures so far; commits; 1 while failing. */
struct yb_journal_stats {
    unsigned backlog;
    uint64_t written, failures;
    uint64_t commits; /* write transactions committed */
    int failing;
};
void yb_journal_stats(struct yb_journal *j, struct yb_journal_stats *out);

#endif
