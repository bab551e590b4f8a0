/*
 * journal_writer.c - the journal's writer thread: it takes everything the
 * workers queued (journal.c) and writes it in one SQLite transaction, each
 * change with its chained event (jchain.h), then tells the waiting workers.
 *
 * Why it looks like this:
 *   - group commit: one BEGIN IMMEDIATE ... COMMIT per batch, however many
 *     records it holds, so the cost of a commit (an fsync with sync full) is
 *     shared by every transaction that arrived meanwhile;
 *   - personal data: the worker usually hands over the masked text, made
 *     with yb_pii_encode from the tree it already has (the workers run in
 *     parallel; this thread is the journal's only one). Otherwise the text is
 *     decoded here into a pool, masked with yb_pii_mask_tree and encoded
 *     again. Under `personal encrypt` the full text is also sealed here
 *     (seal.h). A text that does not decode is stored as "" with a note in
 *     `error`, never raw;
 *   - a failed commit fails the begins of that batch at once (their
 *     transactions are not sent) and keeps every other record queued, in
 *     order, for a retry after a growing pause. While failing, new begins
 *     are refused (journal.c). Entering the failing state queues an 'outage'
 *     audit record, so the retries always have something to write and the
 *     chain shows the outage once it ends. A record SQLite refuses on its own
 *     merits (a constraint, too big) is taken out alone so it cannot block
 *     the queue: a begin gets an error, an update is logged in full;
 *   - each change of state (failing, writing again) is logged once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "codec_json.h"
#include "jchain.h"
#include "journal_internal.h"
#include "log.h"
#include "pii.h"
#include "pool.h"
#include "seal.h"
#include "ybgw/ybgw.h"

#define PAUSE_FIRST_MS 100
#define PAUSE_MAX_MS 5000
#define HEADROOM_PERCENT 5
#define HEADROOM_MIN_PAGES 8

/* ---- masking and sealing ---- */

/* The masked form of a JSON text into *out (malloc'd). 0, or a negative
 * YB_E* with the reason in why (never the text). */
static int mask_json(const struct yb_journal *j, const char *text, size_t len, char **out,
                     size_t *outlen, char *why, size_t whylen)
{
    struct yb_node *root = NULL;
    struct yb_buf b;
    char err[200] = "";
    int rc;
    struct yb_pool *pool = yb_pool_create(0);
    yb_buf_init(&b, 2 * len + 4096);
    if (!pool) {
        rc = YB_ENOMEM;
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    if ((rc = yb_json_decode(pool, text, len, NULL, &root, err, sizeof(err)))) {
        snprintf(why, whylen, "it is not valid JSON (%s)", err);
        goto fail;
    }
    if ((rc = yb_pii_mask_tree(j->pii, pool, root)) < 0) {
        snprintf(why, whylen, "masking its personal fields failed");
        goto fail;
    }
    if ((rc = yb_json_encode(root, &b)) != 0 || !b.data) {
        rc = rc ? rc : YB_ENOMEM;
        snprintf(why, whylen, "encoding it again failed");
        goto fail;
    }
    *out = yb_buf_steal(&b, outlen);
    rc = 0;
fail:
    yb_buf_free(&b);
    yb_pool_destroy(pool);
    return rc;
}

/* What the request (begin) or response (finish) columns get: the masked
 * text, the sealed full text, and a note when the text cannot be stored. */
static void prepare(struct yb_journal *j, struct jrec *r)
{
    char why[256];
    const char *what = r->type == JR_BEGIN ? "request" : "response";
    if (r->prepared || (r->type != JR_BEGIN && r->type != JR_FINISH))
        return;
    r->prepared = 1;
    if (r->text_len == 0 || j->conf.personal == YB_JP_PLAIN) {
        r->stored = r->text;
        r->stored_len = r->text_len;
        r->text = NULL; /* the stored copy is the text itself */
        r->text_len = 0;
        return;
    }
    if (r->masked) { /* the worker masked it while it had the tree */
        r->stored = r->masked;
        r->stored_len = r->masked_len;
        r->masked = NULL;
    } else if (mask_json(j, r->text, r->text_len, &r->stored, &r->stored_len, why,
                         sizeof(why))) {
        r->stored = NULL;
        r->stored_len = 0;
        size_t n = strlen(r->error ? r->error : "") + strlen(why) + 64;
        char *note = malloc(n);
        if (note)
            snprintf(note, n, "%s%s%s not stored: %s", r->error && *r->error ? r->error : "",
                     r->error && *r->error ? "; " : "", what, why);
        r->note = note;
    }
    if (j->conf.personal == YB_JP_ENCRYPT &&
        yb_seal(j->conf.key, r->text, r->text_len, &r->sealed, &r->sealed_len) != 0) {
        r->sealed = NULL;
        yb_log(YB_LOG_ERROR, "journal", "journal row %" PRId64 ": the %s could not be sealed",
               r->id, what);
    }
}

/* ---- writing one record inside the batch's transaction ---- */

static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t len)
{
    sqlite3_bind_text(st, i, s ? s : "", s ? (int)len : 0, SQLITE_STATIC);
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    bind_text(st, i, s, s ? strlen(s) : 0);
}

static void bind_blob(sqlite3_stmt *st, int i, const unsigned char *b, size_t len)
{
    if (b)
        sqlite3_bind_blob(st, i, b, (int)len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Step a cached statement once: SQLITE_DONE becomes SQLITE_OK. */
static int step_once(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int chain(struct yb_journal *j, const struct jrec *r, const char *kind, const char *what,
                 const char *who, const char *detail, char *why, size_t whylen)
{
    struct yb_jevent ev = {r->at, kind, strcmp(kind, "txn") == 0 ? r->id : 0, what, who, detail};
    if (yb_jchain_appender_append(j->appender, &ev, why, whylen) == 0)
        return SQLITE_OK;
    int code = sqlite3_extended_errcode(j->db);
    return code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE ? SQLITE_ERROR : code;
}

/* 0 (SQLITE_OK) or an SQLite result code, with why set. */
static int write_record(struct yb_journal *j, struct jrec *r, char *why, size_t whylen)
{
    sqlite3_stmt *st = NULL;
    int rc;
    switch (r->type) {
    case JR_BEGIN:
        st = j->insert;
        sqlite3_bind_int64(st, 1, r->id);
        bind_str(st, 2, r->msgid);
        bind_str(st, 3, r->infno);
        bind_str(st, 4, r->fixmedins_code);
        bind_str(st, 5, r->psn_no);
        bind_str(st, 6, r->caller);
        bind_str(st, 7, j->node);
        bind_str(st, 8, r->route);
        bind_str(st, 9, r->route_why);
        bind_str(st, 10, r->hops);
        sqlite3_bind_int64(st, 11, r->at);
        bind_str(st, 12, r->note);
        bind_str(st, 13, r->req_hash);
        bind_text(st, 14, r->stored, r->stored_len);
        bind_blob(st, 15, r->sealed, r->sealed_len);
        if ((rc = step_once(st)))
            goto sqlfail;
        return chain(j, r, "txn", "received", j->node, "", why, whylen);
    case JR_FORWARDED:
        if (r->merged)
            return SQLITE_OK; /* its finish writes it */
        st = j->forwarded;
        sqlite3_bind_int64(st, 1, r->id);
        sqlite3_bind_int64(st, 2, r->at);
        sqlite3_bind_int(st, 3, r->attempts);
        break;
    case JR_FINISH:
        st = j->finish;
        sqlite3_bind_int64(st, 1, r->id);
        bind_str(st, 2, yb_jstatus_word(r->status));
        if (r->status == YB_J_ANSWERED)
            sqlite3_bind_int(st, 3, r->infcode);
        if (r->http_status > 0)
            sqlite3_bind_int(st, 4, r->http_status);
        sqlite3_bind_int(st, 5, r->attempts);
        sqlite3_bind_double(st, 6, r->upstream_ms);
        sqlite3_bind_double(st, 7, r->total_ms);
        bind_str(st, 8, r->note ? r->note : r->error);
        bind_text(st, 9, r->stored, r->stored_len);
        bind_blob(st, 10, r->sealed, r->sealed_len);
        sqlite3_bind_int64(st, 11, r->at);
        if (r->forwarded_at)
            sqlite3_bind_int64(st, 12, r->forwarded_at);
        break;
    case JR_RESOLVE:
        st = j->resolve;
        sqlite3_bind_int64(st, 1, r->id);
        bind_str(st, 2, r->what);
        bind_str(st, 3, r->who);
        sqlite3_bind_int64(st, 4, r->at);
        bind_str(st, 5, r->detail);
        break;
    case JR_AUDIT:
        return chain(j, r, "audit", r->what, r->who && *r->who ? r->who : j->node, r->detail, why,
                     whylen);
    default:
        return SQLITE_OK; /* reads are answered after the commit */
    }
    if ((rc = step_once(st)))
        goto sqlfail;
    if (sqlite3_changes(j->db) == 0) {
        /* a row whose begin was refused, or a resolution of a row that is
         * not unknown: nothing changed, so nothing is chained */
        yb_log(r->type == JR_RESOLVE ? YB_LOG_WARN : YB_LOG_DEBUG, "journal",
               "journal row %" PRId64 ": %s ignored (%s)", r->id,
               r->type == JR_RESOLVE ? "resolution" : "update",
               r->type == JR_RESOLVE ? "the row is missing or not unknown" : "no such row");
        return SQLITE_OK;
    }
    if (r->type == JR_FORWARDED)
        return chain(j, r, "txn", "forwarded", j->node, "", why, whylen);
    if (r->type == JR_FINISH)
        return chain(j, r, "txn", yb_jstatus_word(r->status), j->node, "", why, whylen);
    char detail[600];
    snprintf(detail, sizeof(detail), "%s%s%.500s", r->what, r->detail && *r->detail ? ": " : "",
             r->detail ? r->detail : "");
    return chain(j, r, "txn", "resolved", r->who, detail, why, whylen);
sqlfail:
    snprintf(why, whylen, "%s", sqlite3_errmsg(j->db));
    return rc;
}

/* ---- a batch ---- */

static int is_write(const struct jrec *r)
{
    return r->type != JR_FETCH && r->type != JR_UNKNOWNS;
}

/* An error that belongs to one record, not to the database or the disk. */
static int record_error(int code)
{
    code &= 0xff;
    return code == SQLITE_CONSTRAINT || code == SQLITE_TOOBIG || code == SQLITE_MISMATCH ||
           code == SQLITE_RANGE;
}

/* What a failed write means, for a person, and SQLite's name for it. */
static void failure_cause(int code, const char **cause, const char **name)
{
    switch (code & 0xff) {
    case SQLITE_FULL:
        *cause = "the disk or its max_size is full", *name = "SQLITE_FULL";
        break;
    case SQLITE_IOERR:
        *cause = "the disk reported an I/O error", *name = "SQLITE_IOERR";
        break;
    case SQLITE_BUSY:
        *cause = "another program holds the journal database locked", *name = "SQLITE_BUSY";
        break;
    case SQLITE_LOCKED:
        *cause = "another program holds the journal database locked", *name = "SQLITE_LOCKED";
        break;
    case SQLITE_READONLY:
        *cause = "the journal database may not be written", *name = "SQLITE_READONLY";
        break;
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
        *cause = "the journal database may not be written (permissions)", *name = "SQLITE_PERM";
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        *cause = "the journal database is damaged", *name = "SQLITE_CORRUPT";
        break;
    case SQLITE_NOMEM:
        *cause = "the gateway is out of memory", *name = "SQLITE_NOMEM";
        break;
    default:
        *cause = "the database refused the write", *name = sqlite3_errstr(code);
        break;
    }
}

/* Put list back at the front of the queue, ahead of what came meanwhile
 * (the caller holds the lock). */
static void requeue(struct yb_journal *j, struct jrec *list)
{
    struct jrec *last = list;
    if (!list)
        return;
    while (last->next)
        last = last->next;
    last->next = j->head;
    if (!j->head)
        j->tail = last;
    j->head = list;
}

static void outage_record(struct yb_journal *j, int code)
{
    struct jrec *r = calloc(1, sizeof(*r));
    char detail[256];
    snprintf(detail, sizeof(detail),
             "writes failed from %" PRId64 " (%s); new transactions are refused until the "
             "journal can be written again",
             j->failing_since, sqlite3_errstr(code));
    if (!r || !(r->what = strdup("outage")) || !(r->detail = strdup(detail))) {
        yb_journal_rec_free(r);
        return;
    }
    r->type = JR_AUDIT;
    r->probe = 1;
    r->urgent = 1;
    r->at = yb_journal_now_ms();
    if (j->tail)
        j->tail->next = r;
    else
        j->head = r;
    j->tail = r;
    j->queued++;
}

/* Under max_size, a small record may still fit after a real one did not:
 * the journal counts as writable again only once HEADROOM_PERCENT of the
 * cap (at least HEADROOM_MIN_PAGES) is free, by pruning or a larger cap.
 * Without a cap, a successful write is the proof. Runs on the writer. */
static int has_room(struct yb_journal *j)
{
    int64_t max = 0, count = 0, freelist = 0;
    if (j->conf.max_size <= 0 || (j->failing_code & 0xff) != SQLITE_FULL)
        return 1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT * FROM pragma_max_page_count, pragma_page_count,"
                           " pragma_freelist_count",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        max = sqlite3_column_int64(st, 0);
        count = sqlite3_column_int64(st, 1);
        freelist = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    int64_t need = max * HEADROOM_PERCENT / 100;
    if (need < HEADROOM_MIN_PAGES)
        need = HEADROOM_MIN_PAGES;
    return max > 0 && max - count + freelist >= need;
}

/* Leave the failing state, or (room is still short) stay and wait longer.
 * The caller holds the lock; room was found without it. */
static void after_success(struct yb_journal *j, int room)
{
    if (!j->failing)
        return;
    if (!room) {
        j->pause_ms = j->pause_ms ? j->pause_ms * 2 : PAUSE_FIRST_MS;
        if (j->pause_ms > PAUSE_MAX_MS)
            j->pause_ms = PAUSE_MAX_MS;
        j->retry_at = yb_journal_mono_ms() + j->pause_ms;
        return;
    }
    j->failing = 0;
    j->pause_ms = 0;
    yb_log(YB_LOG_INFO, "journal", "the journal is written again; begins are accepted");
}

static void succeeded(struct yb_journal *j, struct jrec *batch)
{
    unsigned n = 0, begins = 0, writes = 0;
    struct jrec *r, *next;
    for (r = batch; r; r = next) {
        next = r->next;
        n++;
        begins += r->type == JR_BEGIN;
        writes += is_write(r);
    }
    /* the counts first, then the callbacks: a caller called back sees its
     * record counted as written (stats, metrics) */
    int room = j->failing && writes ? has_room(j) : 1; /* only this thread sets it */
    pthread_mutex_lock(&j->lock);
    j->queued -= n;
    j->begins -= begins;
    j->written += writes;
    j->commits += writes > 0;
    if (writes)
        after_success(j, room);
    pthread_mutex_unlock(&j->lock);
    for (r = batch; r; r = next) {
        next = r->next;
        if (!is_write(r))
            yb_journal_read(j, r);
        if (r->wait)
            yb_journal_post(j, r->wait);
        yb_journal_rec_free(r);
    }
}

/* Fail the begins of batch; keep the rest queued; enter or stay in the
 * failing state. The state is set before any begin hears of the failure,
 * so a worker that retries at once is refused at once. */
static void failed(struct yb_journal *j, struct jrec *batch, int code, const char *detail)
{
    const char *cause, *name;
    char sentence[256];
    struct jrec *keep = NULL, **tail = &keep, *begins = NULL, **btail = &begins, *r, *next;
    unsigned n_begins = 0;
    failure_cause(code, &cause, &name);
    snprintf(sentence, sizeof(sentence),
             "the journal cannot be written: %s (%s)", cause, name);
    for (r = batch; r; r = next) {
        next = r->next;
        r->next = NULL;
        if (r->type == JR_BEGIN) {
            n_begins++;
            *btail = r;
            btail = &r->next;
        } else {
            *tail = r;
            tail = &r->next;
        }
    }
    pthread_mutex_lock(&j->lock);
    j->queued -= n_begins;
    j->begins -= n_begins;
    j->failures++;
    requeue(j, keep);
    j->pause_ms = j->pause_ms ? j->pause_ms * 2 : PAUSE_FIRST_MS;
    if (j->pause_ms > PAUSE_MAX_MS)
        j->pause_ms = PAUSE_MAX_MS;
    j->retry_at = yb_journal_mono_ms() + j->pause_ms;
    snprintf(j->failure, sizeof(j->failure), "%s", sentence);
    if (!j->failing) {
        j->failing = 1;
        j->failing_code = code;
        j->failing_since = yb_journal_now_ms();
        outage_record(j, code);
        yb_log(YB_LOG_ERROR, "journal",
               "cannot write %s: %s (%s: %s); new transactions are refused and updates are "
               "kept until a write succeeds",
               j->conf.path, cause, name, detail);
    }
    pthread_mutex_unlock(&j->lock);
    for (r = begins; r; r = next) {
        next = r->next;
        r->wait->rc = YB_EIO;
        snprintf(r->wait->why, sizeof(r->wait->why), "%s", sentence);
        yb_journal_post(j, r->wait);
        yb_journal_rec_free(r);
    }
}

/* Take poison out of batch: a begin gets its own error, an update is
 * logged with what it said. The rest goes back to the queue. */
static void drop_one(struct yb_journal *j, struct jrec *batch, struct jrec *poison, int code,
                     const char *detail)
{
    struct jrec **p = &batch;
    while (*p != poison)
        p = &(*p)->next;
    *p = poison->next;
    poison->next = NULL;
    int begin = poison->type == JR_BEGIN;
    if (begin) {
        poison->wait->rc = YB_EINVAL;
        snprintf(poison->wait->why, sizeof(poison->wait->why),
                 "the journal refused this transaction's record (%s)",
                 sqlite3_errstr(code));
        yb_journal_post(j, poison->wait);
    } else {
        yb_log(YB_LOG_ERROR, "journal",
               "journal row %" PRId64 ": an update could not be written and is dropped: type %d "
               "status %d infcode %d: %s",
               poison->id, poison->type, poison->status, poison->infcode, detail);
    }
    yb_journal_rec_free(poison);
    pthread_mutex_lock(&j->lock);
    j->queued--;
    j->begins -= begin;
    j->failures++;
    requeue(j, batch);
    pthread_mutex_unlock(&j->lock);
}

/* A forwarded mark whose outcome is in the same batch becomes part of
 * the outcome's change: one UPDATE and one chain event instead of two. The
 * marks are found by id in a small open-addressing table; n_forwarded is
 * their number. */
static void merge_forwarded(struct jrec *batch, unsigned n_forwarded)
{
    unsigned cap = 16;
    while (cap < 2 * n_forwarded)
        cap *= 2;
    struct jrec **slot = calloc(cap, sizeof(*slot));
    if (!slot)
        return; /* written apart: correct, only slower */
    for (struct jrec *r = batch; r; r = r->next) {
        unsigned h = (unsigned)((uint64_t)r->id * 0x9E3779B97F4A7C15ull >> 40) & (cap - 1);
        while (slot[h] && slot[h]->id != r->id)
            h = (h + 1) & (cap - 1);
        if (r->type == JR_FORWARDED && !slot[h]) {
            slot[h] = r;
        } else if (r->type == JR_FINISH && slot[h] && !slot[h]->merged) {
            slot[h]->merged = 1;
            r->forwarded_at = slot[h]->at;
        }
    }
    free(slot);
}

static void run_batch(struct yb_journal *j, struct jrec *batch)
{
    char why[512] = "";
    struct jrec *r, *poison = NULL;
    int code = SQLITE_OK, writes = 0;
    unsigned n_forwarded = 0, n_finish = 0;
    for (r = batch; r; r = r->next) {
        prepare(j, r);
        writes += is_write(r);
        n_forwarded += r->type == JR_FORWARDED && !r->merged;
        n_finish += r->type == JR_FINISH && !r->forwarded_at;
    }
    if (n_forwarded && n_finish)
        merge_forwarded(batch, n_forwarded);
    if (writes) {
        if ((code = yb_journal_db_begin(j)) != SQLITE_OK)
            snprintf(why, sizeof(why), "%s", sqlite3_errmsg(j->db));
        for (r = batch; r && code == SQLITE_OK; r = r->next) {
            if (is_write(r) && (code = write_record(j, r, why, sizeof(why))) != SQLITE_OK &&
                record_error(code))
                poison = r;
        }
        if (code == SQLITE_OK && (code = sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL)))
            snprintf(why, sizeof(why), "%s", sqlite3_errmsg(j->db));
        if (code != SQLITE_OK && !sqlite3_get_autocommit(j->db))
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (code == SQLITE_OK)
        succeeded(j, batch);
    else if (poison)
        drop_one(j, batch, poison, code, why);
    else
        failed(j, batch, code, why);
}

/* Close while failing: give up on what is left (the caller holds the lock). */
static void give_up(struct yb_journal *j)
{
    struct jrec *r = j->head, *next;
    unsigned lost = 0;
    j->head = j->tail = NULL;
    for (; r; r = next) {
        next = r->next;
        lost += !r->probe;
        if (r->wait) {
            r->wait->rc = YB_EIO;
            snprintf(r->wait->why, sizeof(r->wait->why),
                     "the journal is closing and cannot be written");
            yb_journal_post(j, r->wait);
        }
        yb_journal_rec_free(r);
        j->queued--;
    }
    if (lost)
        yb_log(YB_LOG_ERROR, "journal",
               "closing with %u journal records not written: %s; the transactions they "
               "belong to must be checked by hand",
               lost, j->failure);
}

static int only_probes(const struct yb_journal *j)
{
    for (const struct jrec *r = j->head; r; r = r->next)
        if (!r->probe)
            return 0;
    return 1;
}

static void wait_until(struct yb_journal *j, int64_t mono_ms)
{
    if (!mono_ms) {
        pthread_cond_wait(&j->cond, &j->lock);
        return;
    }
    struct timespec ts = {(time_t)(mono_ms / 1000), (long)(mono_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&j->cond, &j->lock, &ts);
}

void *yb_journal_writer_main(void *arg)
{
    struct yb_journal *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        int64_t now = yb_journal_mono_ms();
        /* pruning also runs while failing: it is what frees a full cap */
        if (j->next_prune && now >= j->next_prune) {
            j->next_prune = now + 3600000;
            pthread_mutex_unlock(&j->lock);
            yb_journal_prune(j, yb_journal_now_ms());
            pthread_mutex_lock(&j->lock);
            continue;
        }
        if (j->failing && !j->head && now >= j->retry_at) {
            /* everything is written but room was short: look again */
            pthread_mutex_unlock(&j->lock);
            int room = has_room(j);
            pthread_mutex_lock(&j->lock);
            after_success(j, room);
            continue;
        }
        if (j->head && !j->urgent && !j->failing && !j->stopping && j->lazy_since &&
            now < j->lazy_since + j->conf.update_delay_ms) {
            /* only lazy updates: give them update_delay to share a commit */
            int64_t until = j->lazy_since + j->conf.update_delay_ms;
            if (j->next_prune && j->next_prune < until)
                until = j->next_prune;
            wait_until(j, until);
            continue;
        }
        if (!j->head) {
            if (j->stopping)
                break;
            int64_t until = j->next_prune;
            if (j->failing && (!until || j->retry_at < until))
                until = j->retry_at;
            wait_until(j, until);
            continue;
        }
        if (j->failing) {
            if (j->stopping && (now >= j->stop_deadline || only_probes(j))) {
                give_up(j);
                break;
            }
            if (now < j->retry_at) {
                int64_t until = j->retry_at;
                if (j->stopping && j->stop_deadline < until)
                    until = j->stop_deadline;
                wait_until(j, until);
                continue;
            }
        }
        struct jrec *batch = j->head;
        j->head = j->tail = NULL;
        j->urgent = 0;
        j->lazy_since = 0;
        pthread_mutex_unlock(&j->lock);
        run_batch(j, batch);
        pthread_mutex_lock(&j->lock);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}
