/*
 * journal_internal.h - what journal.c (the API the workers call, the queue,
 * the callbacks) and journal_writer.c (the writer thread: SQL, masking,
 * sealing, recovery, pruning, reads) share. Nothing outside those two files
 * includes it.
 *
 * Locks: `lock` guards the queue, the counters and the failing state;
 * `wait_lock` guards the list of pending callbacks and their posted /
 * cancelled flags, and is held across event_active so a cancel on the
 * worker's thread and a post from the writer cannot cross. Never take
 * `lock` while holding `wait_lock`.
 */
#ifndef YB_JOURNAL_INTERNAL_H
#define YB_JOURNAL_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "journal.h"

struct event;
struct yb_jchain_appender;
struct yb_pool;

enum jrec_type {
    JR_BEGIN = 0,
    JR_FORWARDED,
    JR_FINISH,
    JR_AUDIT,
    JR_RESOLVE,
    JR_FETCH,    /* a read: answered after the writes queued before it */
    JR_UNKNOWNS, /* a read */
};

/* One queued record: a copy of what the caller gave, owned by the queue. */
struct jrec {
    struct jrec *next;
    int type;
    int probe;             /* the writer's own audit record written to leave the failing state */
    int urgent;            /* commit at once (see journal.h); else it may wait update_delay */
    int64_t id;            /* journal row (begin, forwarded, finish, resolve, fetch) */
    int64_t at;            /* Unix ms of the change */
    struct yb_jwait *wait; /* begin, fetch, unknowns */
    /* begin */
    char *msgid, *infno, *fixmedins_code, *psn_no, *caller, *route, *route_why, *hops, *req_hash;
    /* the request (begin) or the response (finish) as given */
    char *text;
    size_t text_len;
    /* finish */
    int status, infcode, http_status, attempts;
    int64_t forwarded_at; /* a forwarded mark merged into this finish, or 0 */
    int merged;           /* a forwarded mark its finish took over: not written */
    double upstream_ms, total_ms;
    char *error;
    /* audit: what, who, detail; resolve: what = resolution, who, detail = note */
    char *what, *who, *detail;
    /* unknowns */
    int64_t before_ms;
    int max;
    /* the masked text when the caller gave one (it becomes stored) */
    char *masked;
    size_t masked_len;
    /* made by the writer once, kept across retries */
    int prepared;
    char *stored; /* the text for the request/response column */
    size_t stored_len;
    unsigned char *sealed; /* the sealed full text, or NULL */
    size_t sealed_len;
    char *note; /* error column text when the text could not be stored */
};

struct yb_jwait {
    struct yb_journal *j;
    struct yb_jwait *prev, *next; /* j->waits */
    struct event *ev;
    yb_journal_cb cb;
    yb_journal_row_cb row_cb;
    void *arg;
    int posted, cancelled; /* under j->wait_lock */
    int end_with_null;     /* unknowns: a last call with NULL */
    int rc;
    char why[256];
    struct yb_pool *pool; /* rows and their strings */
    struct yb_jrow *rows;
    int n_rows;
};

struct yb_journal {
    struct yb_journal_conf conf; /* a deep copy */
    struct yb_pii *pii;
    char *node;
    sqlite3 *db; /* the writer's (the opener's until the thread starts) */
    sqlite3_stmt *insert, *forwarded, *finish, *resolve;
    struct yb_jchain_appender *appender;
    pthread_t thread;
    int started;
    int lock_fd; /* PATH.lock, held (flock) while this process uses the journal */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct jrec *head, *tail;
    int urgent;          /* an urgent record is queued: commit without waiting */
    int64_t lazy_since;  /* monotonic ms the oldest queued record came (0: now) */
    unsigned queued; /* records queued or being written */
    unsigned begins; /* begins queued or being written */
    int stopping;
    int64_t stop_deadline; /* monotonic ms: close gives up on a failing write then */
    int failing;
    int failing_code;      /* the SQLite code that started it */
    int64_t failing_since; /* Unix ms */
    int64_t retry_at;      /* monotonic ms */
    long pause_ms;
    char failure[256]; /* the sentence begins get while failing */
    uint64_t written, failures, commits;
    int64_t next_id;
    int64_t next_prune; /* monotonic ms; 0: never */

    pthread_mutex_t wait_lock;
    struct yb_jwait *waits;

    /* the checkpoint thread (journal_ckpt.c) and its own connection */
    sqlite3 *ckpt_db;
    pthread_t ckpt_thread;
    int ckpt_started, ckpt_sync;
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    int ckpt_wanted, ckpt_stop; /* under ckpt_lock */
};

/* ---- journal.c ---- */
int64_t yb_journal_now_ms(void);  /* Unix ms */
int64_t yb_journal_mono_ms(void); /* monotonic ms */
void yb_journal_rec_free(struct jrec *r);
/* Hand w's result to its base's loop (or free it when it was cancelled). */
void yb_journal_post(struct yb_journal *j, struct yb_jwait *w);

/* ---- journal_db.c: the writer's connection (the opener's until the
 * thread starts) ---- */
/* Pragmas, statements, recovery, the first prune, the next id. 0 or YB_E*
 * with the reason. */
int yb_journal_db_open(struct yb_journal *j, unsigned *recovered, char *err, size_t errlen);
void yb_journal_db_close(struct yb_journal *j);
/* BEGIN IMMEDIATE on the writer's connection, telling the chain appender a
 * new write transaction started. An SQLite result code. */
int yb_journal_db_begin(struct yb_journal *j);
/* Prune rows older than retention (see jchain.h); 0 or YB_EIO. */
int yb_journal_prune(struct yb_journal *j, int64_t now_ms);
/* Answer a read record (fetch, unknowns) into its wait; posts nothing. */
void yb_journal_read(struct yb_journal *j, struct jrec *r);
/* Fill row from a SELECT of yb_journal_row_columns; strings copied into
 * pool; texts (request/response) only when with_texts. */
extern const char yb_journal_row_columns[];
int yb_journal_row_fill(struct yb_journal *j, sqlite3_stmt *st, struct yb_pool *pool,
                        struct yb_jrow *row, int with_texts);

/* ---- journal_ckpt.c ---- */
/* Open the checkpoint connection, turn the writer's automatic checkpoints
 * off and start the thread. Call once the database is open, before the
 * writer thread starts. 0 or YB_EIO with the reason. */
int yb_journal_ckpt_start(struct yb_journal *j, char *err, size_t errlen);
/* Stop the thread (after the writer's) and close its connection; safe after
 * a failed or no start. */
void yb_journal_ckpt_stop(struct yb_journal *j);

/* ---- journal_writer.c ---- */
void *yb_journal_writer_main(void *arg);

#endif
