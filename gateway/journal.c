/*
 * journal.c - the transaction journal as the workers see it (journal.h):
 * open and close, the queue the workers fill, and the callbacks they get
 * back on their own event loop. The writer thread that empties the queue
 * into SQLite lives in journal_writer.c; the `journal { }` block in
 * journal_conf.c.
 *
 * Why it looks like this:
 *   - the event loop never waits for the disk: every call here copies what
 *     it is given into one queued record, takes the queue's mutex for a few
 *     pointer moves and signals the writer;
 *   - a begin is the only call that can be refused, and it is refused at
 *     once (never queued and then dropped): while the journal is failing, or
 *     when `backlog` begins are already waiting, since a transaction the
 *     gateway cannot journal must not be forwarded;
 *   - results come back through an event made with event_new(base, -1, 0)
 *     and event_active from the writer thread, which libevent allows once
 *     main has called evthread_use_pthreads. A pending callback (struct
 *     yb_jwait) sits in a list under wait_lock; the writer posts it with that
 *     lock held and a cancel takes the same lock, so a cancel either stops
 *     the post or removes the posted event before it runs.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "journal_internal.h"
#include "log.h"
#include "pii.h"
#include "pool.h"
#include "ybgw/ybgw.h"

#define CLOSE_GRACE_MS 3000 /* how long close keeps retrying a failing write */

int64_t yb_journal_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t yb_journal_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- records ---- */

void yb_journal_rec_free(struct jrec *r)
{
    if (!r)
        return;
    char *strings[] = {r->msgid, r->infno,     r->fixmedins_code, r->psn_no,   r->caller,
                       r->route, r->route_why, r->hops,           r->req_hash, r->error,
                       r->what,  r->who,       r->detail,         r->note};
    for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
        free(strings[i]);
    /* the texts may hold personal data in full */
    if (r->text) {
        OPENSSL_cleanse(r->text, r->text_len);
        free(r->text);
    }
    free(r->masked);
    free(r->stored);
    free(r->sealed);
    free(r);
}

/* A copy of s (NULL is ""); 0 or YB_ENOMEM. */
static int copy(char **dst, const char *s)
{
    *dst = strdup(s ? s : "");
    return *dst ? 0 : YB_ENOMEM;
}

/* A NUL-terminated copy of bytes[0..len) into *dst and *dstlen; 0 or
 * YB_ENOMEM. */
static int copy_bytes(char **dst, size_t *dstlen, const char *bytes, size_t len)
{
    if (!(*dst = malloc(len + 1)))
        return YB_ENOMEM;
    if (len)
        memcpy(*dst, bytes, len);
    (*dst)[len] = '\0';
    *dstlen = len;
    return 0;
}

static int copy_text(struct jrec *r, const char *text, size_t len)
{
    return copy_bytes(&r->text, &r->text_len, text, len);
}

/* Append r (the caller holds the lock). The writer is woken for an urgent
 * record, or for a lazy one that finds the queue empty (it then waits
 * update_delay); a lazy record behind others needs no wake-up. */
static void append(struct yb_journal *j, struct jrec *r)
{
    int wake = r->urgent || !j->head;
    if (!j->head)
        j->lazy_since = yb_journal_mono_ms();
    if (j->tail)
        j->tail->next = r;
    else
        j->head = r;
    j->tail = r;
    j->queued++;
    if (r->type == JR_BEGIN)
        j->begins++;
    if (r->urgent)
        j->urgent = 1;
    if (wake)
        pthread_cond_signal(&j->cond);
}

/* The caller's masked text, when it gave one; 0 or YB_ENOMEM. */
static int copy_masked(struct jrec *r, const char *masked, size_t len)
{
    return masked ? copy_bytes(&r->masked, &r->masked_len, masked, len) : 0;
}

/* Queue r (the caller holds no lock). */
static void enqueue(struct yb_journal *j, struct jrec *r)
{
    pthread_mutex_lock(&j->lock);
    append(j, r);
    pthread_mutex_unlock(&j->lock);
}

/* ---- callbacks on the worker's loop ---- */

static void unlink_wait(struct yb_journal *j, struct yb_jwait *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (j->waits == w)
        j->waits = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

static void free_wait(struct yb_jwait *w)
{
    if (w->ev)
        event_free(w->ev);
    yb_pool_destroy(w->pool);
    free(w);
}

static void deliver(evutil_socket_t fd, short what, void *arg)
{
    struct yb_jwait *w = arg;
    struct yb_journal *j = w->j;
    (void)fd, (void)what;
    pthread_mutex_lock(&j->wait_lock);
    unlink_wait(j, w);
    pthread_mutex_unlock(&j->wait_lock);
    if (w->cb) {
        w->cb(w->arg, w->rc, w->rc ? w->why : NULL);
    } else if (w->row_cb) {
        if (w->n_rows == 0 && !w->end_with_null)
            w->row_cb(w->arg, NULL, w->why[0] ? w->why : "no such journal row");
        for (int i = 0; i < w->n_rows; i++)
            w->row_cb(w->arg, &w->rows[i], NULL);
        if (w->end_with_null)
            w->row_cb(w->arg, NULL, w->rc ? w->why : NULL);
    }
    free_wait(w);
}

static struct yb_jwait *new_wait(struct yb_journal *j, struct event_base *base)
{
    struct yb_jwait *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->j = j;
    if (!(w->ev = event_new(base, -1, 0, deliver, w))) {
        free(w);
        return NULL;
    }
    pthread_mutex_lock(&j->wait_lock);
    w->next = j->waits;
    if (j->waits)
        j->waits->prev = w;
    j->waits = w;
    pthread_mutex_unlock(&j->wait_lock);
    return w;
}

void yb_journal_post(struct yb_journal *j, struct yb_jwait *w)
{
    pthread_mutex_lock(&j->wait_lock);
    if (w->cancelled) {
        unlink_wait(j, w);
        pthread_mutex_unlock(&j->wait_lock);
        free_wait(w);
        return;
    }
    w->posted = 1;
    event_active(w->ev, EV_TIMEOUT, 1);
    pthread_mutex_unlock(&j->wait_lock);
}

void yb_journal_cancel(struct yb_jwait *w)
{
    if (!w)
        return;
    struct yb_journal *j = w->j;
    pthread_mutex_lock(&j->wait_lock);
    if (!w->posted) {
        /* the writer frees it when it would have posted it */
        w->cancelled = 1;
        pthread_mutex_unlock(&j->wait_lock);
        return;
    }
    unlink_wait(j, w);
    pthread_mutex_unlock(&j->wait_lock);
    free_wait(w); /* event_free takes it off the loop's active list */
}

/* ---- open and close ---- */

static int copy_conf(struct yb_journal_conf *dst, const struct yb_journal_conf *src)
{
    *dst = *src;
    dst->path = dst->key_file = NULL;
    dst->idempotent = NULL;
    dst->unknown = NULL;
    dst->n_idempotent = dst->n_unknown = 0;
    if (copy(&dst->path, src->path) || (src->key_file && copy(&dst->key_file, src->key_file)))
        return YB_ENOMEM;
    if (src->n_idempotent) {
        dst->idempotent = calloc((size_t)src->n_idempotent, sizeof(char *));
        if (!dst->idempotent)
            return YB_ENOMEM;
        for (; dst->n_idempotent < src->n_idempotent; dst->n_idempotent++)
            if (copy(&dst->idempotent[dst->n_idempotent], src->idempotent[dst->n_idempotent]))
                return YB_ENOMEM;
    }
    if (src->n_unknown) {
        dst->unknown = calloc((size_t)src->n_unknown, sizeof(*dst->unknown));
        if (!dst->unknown)
            return YB_ENOMEM;
        for (; dst->n_unknown < src->n_unknown; dst->n_unknown++) {
            struct yb_junknown_rule *r = &dst->unknown[dst->n_unknown];
            r->action = src->unknown[dst->n_unknown].action;
            if (copy(&r->pattern, src->unknown[dst->n_unknown].pattern))
                return YB_ENOMEM;
        }
    }
    return 0;
}

static void journal_free(struct yb_journal *j)
{
    struct jrec *r, *next;
    for (r = j->head; r; r = next) {
        next = r->next;
        yb_journal_rec_free(r);
    }
    /* callbacks not delivered by now never will be: their loops have stopped */
    struct yb_jwait *w, *wn;
    for (w = j->waits; w; w = wn) {
        wn = w->next;
        free_wait(w);
    }
    yb_journal_ckpt_stop(j); /* before its database: the writer has stopped */
    yb_journal_db_close(j);
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* releases the flock */
    yb_journal_conf_free(&j->conf);
    yb_pii_free(j->pii);
    free(j->node);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->wait_lock);
    free(j);
}

/* One process per journal: row ids are handed out from memory, so a second
 * gateway on the same file would reuse them. PATH.lock is held with flock
 * for the life of the journal (the kernel drops it when the process dies,
 * so a crash leaves nothing to clean up) and names the holder's pid. */
static int lock_journal(struct yb_journal *j, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s.lock", j->conf.path) >= sizeof(path)) {
        snprintf(err, errlen, "journal: path too long");
        return YB_EINVAL;
    }
    j->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0) {
        snprintf(err, errlen, "journal: cannot open %s: %s", path, strerror(errno));
        return YB_EIO;
    }
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[32] = "";
        ssize_t n = pread(j->lock_fd, holder, sizeof(holder) - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        snprintf(err, errlen,
                 "journal %s is in use by another ybgw (pid %s): each gateway needs a journal "
                 "path of its own",
                 j->conf.path, *holder ? holder : "?");
        return YB_EEXIST;
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(j->lock_fd, 0) != 0 || pwrite(j->lock_fd, pid, (size_t)len, 0) != len)
        yb_log(YB_LOG_WARN, "journal", "cannot write the pid into %s", path);
    return 0;
}

struct yb_journal *yb_journal_open(const struct yb_journal_conf *conf, const struct yb_pii *pii,
                                   const char *node, unsigned *recovered, char *err, size_t errlen)
{
    struct yb_journal *j = NULL;
    unsigned n = 0;
    if (recovered)
        *recovered = 0;
    if (!conf || !conf->path) {
        snprintf(err, errlen, "journal: no configuration");
        return NULL;
    }
    if (conf->personal == YB_JP_ENCRYPT && !conf->has_key) {
        yb_journal_conf_check(conf, err, errlen);
        return NULL;
    }
    if (!(j = calloc(1, sizeof(*j))))
        goto nomem;
    j->lock_fd = -1;
    /* the writer's timed waits are on the monotonic clock */
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
        pthread_mutex_init(&j->lock, NULL) || pthread_cond_init(&j->cond, &attr) ||
        pthread_mutex_init(&j->wait_lock, NULL)) {
        free(j);
        snprintf(err, errlen, "journal: cannot create its locks");
        return NULL;
    }
    pthread_condattr_destroy(&attr);
    if (copy_conf(&j->conf, conf) || copy(&j->node, node))
        goto nomem;
    if (!(j->pii = pii ? yb_pii_dup(pii) : yb_pii_new()))
        goto nomem;
    if (lock_journal(j, err, errlen) || yb_journal_db_open(j, &n, err, errlen) ||
        yb_journal_ckpt_start(j, err, errlen))
        goto fail;
    int e = pthread_create(&j->thread, NULL, yb_journal_writer_main, j);
    if (e != 0) {
        snprintf(err, errlen, "journal: cannot start the writer thread: %s", strerror(e));
        goto fail;
    }
    j->started = 1;
    pthread_setname_np(j->thread, "ybgw-journal");
    if (recovered)
        *recovered = n;
    return j;
nomem:
    snprintf(err, errlen, "journal: out of memory");
fail:
    if (j)
        journal_free(j);
    return NULL;
}

void yb_journal_close(struct yb_journal *j)
{
    if (!j)
        return;
    if (j->started) {
        pthread_mutex_lock(&j->lock);
        j->stopping = 1;
        j->stop_deadline = yb_journal_mono_ms() + CLOSE_GRACE_MS;
        pthread_cond_signal(&j->cond);
        pthread_mutex_unlock(&j->lock);
        pthread_join(j->thread, NULL);
    }
    journal_free(j);
}

/* ---- the calls the workers make ---- */

struct yb_jwait *yb_journal_begin(struct yb_journal *j, const struct yb_jbegin *b,
                                  struct event_base *base, yb_journal_cb cb, void *arg, int64_t *id,
                                  char *why, size_t whylen)
{
    struct jrec *r = NULL;
    struct yb_jwait *w = NULL;
    if (id)
        *id = 0;
    if (!j || !b || !base || !cb || !id) {
        snprintf(why, whylen, "the journal was called without a transaction");
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (!r || copy(&r->msgid, b->msgid) || copy(&r->infno, b->infno) ||
        copy(&r->fixmedins_code, b->fixmedins_code) || copy(&r->psn_no, b->psn_no) ||
        copy(&r->caller, b->caller) || copy(&r->route, b->route) ||
        copy(&r->route_why, b->route_why) || copy(&r->hops, b->hops) ||
        copy(&r->req_hash, b->req_hash) ||
        copy_text(r, b->request ? b->request : "", b->request ? b->request_len : 0) ||
        copy_masked(r, b->masked, b->masked_len))
        goto nomem;
    r->type = JR_BEGIN;
    r->urgent = 1;
    r->at = b->received_ms ? b->received_ms : yb_journal_now_ms();
    if (!(w = new_wait(j, base)))
        goto nomem;
    w->cb = cb;
    w->arg = arg;
    r->wait = w;

    /* the check and the queueing under one lock, so `backlog` is a hard cap */
    pthread_mutex_lock(&j->lock);
    if (j->failing || j->begins >= j->conf.backlog || j->stopping) {
        if (j->failing)
            snprintf(why, whylen, "%s", j->failure);
        else if (j->stopping)
            snprintf(why, whylen,
                     "the journal is closing (the gateway is stopping)");
        else
            snprintf(why, whylen,
                     "the journal is behind: %u transactions are waiting to be written (journal "
                     "backlog %u)",
                     j->begins, j->conf.backlog);
        pthread_mutex_unlock(&j->lock);
        goto refused;
    }
    r->id = j->next_id++;
    append(j, r);
    *id = r->id;
    pthread_mutex_unlock(&j->lock);
    return w;
nomem:
    snprintf(why, whylen, "the journal is out of memory");
refused:
    if (w) {
        pthread_mutex_lock(&j->wait_lock);
        unlink_wait(j, w);
        pthread_mutex_unlock(&j->wait_lock);
        free_wait(w);
    }
    yb_journal_rec_free(r);
    return NULL;
}

/* Updates are never refused: a record we cannot even allocate is logged
 * with what it would have said, so an operator can tell. */
static void update_lost(const char *what, int64_t id)
{
    yb_log(YB_LOG_ERROR, "journal", "out of memory: the %s of journal row %lld is not recorded",
           what, (long long)id);
}

void yb_journal_forwarded(struct yb_journal *j, int64_t id, int attempts, int64_t at_ms)
{
    if (!j)
        return;
    struct jrec *r = calloc(1, sizeof(*r));
    if (!r) {
        update_lost("forwarding", id);
        return;
    }
    r->type = JR_FORWARDED;
    r->id = id;
    r->attempts = attempts;
    r->at = at_ms ? at_ms : yb_journal_now_ms();
    enqueue(j, r);
}

void yb_journal_finish(struct yb_journal *j, int64_t id, const struct yb_jfinish *f)
{
    if (!j || !f)
        return;
    struct jrec *r = calloc(1, sizeof(*r));
    if (!r || copy(&r->error, f->error) ||
        copy_text(r, f->response ? f->response : "", f->response ? f->response_len : 0) ||
        copy_masked(r, f->masked, f->masked_len)) {
        yb_journal_rec_free(r);
        update_lost("outcome", id);
        return;
    }
    r->type = JR_FINISH;
    r->id = id;
    r->status = f->status;
    if (r->status != YB_J_ANSWERED && r->status != YB_J_FAILED && r->status != YB_J_UNKNOWN)
        r->status = YB_J_UNKNOWN; /* a caller's slip must not claim an outcome */
    r->infcode = f->infcode;
    r->http_status = f->http_status;
    r->attempts = f->attempts;
    r->upstream_ms = f->upstream_ms;
    r->total_ms = f->total_ms;
    r->urgent = f->urgent;
    r->at = f->at_ms ? f->at_ms : yb_journal_now_ms();
    enqueue(j, r);
}

static void queue_event(struct yb_journal *j, int type, int64_t id, const char *what,
                        const char *who, const char *detail)
{
    struct jrec *r = calloc(1, sizeof(*r));
    if (!r || copy(&r->what, what) || copy(&r->who, who) || copy(&r->detail, detail)) {
        yb_journal_rec_free(r);
        update_lost(type == JR_AUDIT ? "audit record" : "resolution", id);
        return;
    }
    r->type = type;
    r->urgent = 1;
    r->id = id;
    r->at = yb_journal_now_ms();
    enqueue(j, r);
}

void yb_journal_audit(struct yb_journal *j, const char *what, const char *who, const char *detail)
{
    if (j && what && *what)
        queue_event(j, JR_AUDIT, 0, what, who, detail);
}

void yb_journal_resolve(struct yb_journal *j, int64_t id, const char *resolution, const char *who,
                        const char *note)
{
    if (!j || !resolution)
        return;
    if (strcmp(resolution, "reversed") != 0 && strcmp(resolution, "settled") != 0 &&
        strcmp(resolution, "not_settled") != 0) {
        yb_log(YB_LOG_ERROR, "journal",
               "resolution \"%.40s\" of row %lld is not reversed, settled or not_settled; ignored",
               resolution, (long long)id);
        return;
    }
    queue_event(j, JR_RESOLVE, id, resolution, who, note);
}

/* ---- reads ---- */

static struct yb_jwait *queue_read(struct yb_journal *j, int type, int64_t id, int64_t before_ms,
                                   int max, struct event_base *base, yb_journal_row_cb cb,
                                   void *arg)
{
    if (!j || !base || !cb)
        return NULL;
    struct jrec *r = calloc(1, sizeof(*r));
    struct yb_jwait *w = r ? new_wait(j, base) : NULL;
    if (!w || !(w->pool = yb_pool_create(0))) {
        if (w) {
            pthread_mutex_lock(&j->wait_lock);
            unlink_wait(j, w);
            pthread_mutex_unlock(&j->wait_lock);
            free_wait(w);
        }
        free(r);
        return NULL;
    }
    w->row_cb = cb;
    w->arg = arg;
    w->end_with_null = type == JR_UNKNOWNS;
    r->type = type;
    r->urgent = 1;
    r->id = id;
    r->before_ms = before_ms;
    r->max = max;
    r->wait = w;
    enqueue(j, r);
    return w;
}

struct yb_jwait *yb_journal_fetch(struct yb_journal *j, int64_t id, struct event_base *base,
                                  yb_journal_row_cb cb, void *arg)
{
    return queue_read(j, JR_FETCH, id, 0, 1, base, cb, arg);
}

struct yb_jwait *yb_journal_unknowns(struct yb_journal *j, int64_t before_ms, int max,
                                     struct event_base *base, yb_journal_row_cb cb, void *arg)
{
    return queue_read(j, JR_UNKNOWNS, 0, before_ms, max > 0 ? max : 1, base, cb, arg);
}

int yb_journal_scan(struct yb_journal *j, int64_t since_ms,
                    int (*each)(void *arg, const struct yb_jrow *row), void *arg)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct yb_pool *pool = NULL;
    int rc = YB_EIO, step;
    char sql[512];
    if (!j || !each)
        return YB_EINVAL;
    /* a connection of its own: the writer's belongs to its thread */
    if (sqlite3_open_v2(j->conf.path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(db, 5000);
    snprintf(sql, sizeof(sql), "SELECT %s FROM journal WHERE received_at >= ?1 ORDER BY id",
             yb_journal_row_columns);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, since_ms);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *infno = (const char *)sqlite3_column_text(st, 2);
        if (!yb_journal_idempotent(&j->conf, infno))
            continue;
        struct yb_jrow row;
        yb_pool_destroy(pool);
        if (!(pool = yb_pool_create(0))) {
            rc = YB_ENOMEM;
            goto fail;
        }
        if ((rc = yb_journal_row_fill(j, st, pool, &row, 0)))
            goto fail;
        if ((rc = each(arg, &row)))
            goto done;
    }
    if (step == SQLITE_DONE) {
        rc = 0;
        goto done;
    }
fail:
    yb_log(YB_LOG_ERROR, "journal", "cannot scan %s: %s", j->conf.path,
           rc == YB_ENOMEM ? "out of memory"
           : db            ? sqlite3_errmsg(db)
                           : "out of memory");
done:
    yb_pool_destroy(pool);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

void yb_journal_stats(struct yb_journal *j, struct yb_journal_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    out->backlog = j->queued;
    out->written = j->written;
    out->failures = j->failures;
    out->commits = j->commits;
    out->failing = j->failing;
    pthread_mutex_unlock(&j->lock);
}
