/*
 * cat_writer.c - the store writer thread of the catalog plugin (see
 * cat_writer.h for the contract).
 *
 * A change is one heap block: the change, then its strings. The queue is a
 * singly linked FIFO under one mutex; `queued` and `done` count changes so
 * that flush can wait for a point in the stream without draining it.
 */
#include "cat_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct yb_cat_writer {
    const struct yb_host *host;
    char *path;
    struct yb_cat_store *store; /* opened by the thread */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* a change was queued, or stop */
    pthread_cond_t moved; /* `done` moved on */
    struct yb_cat_change *head, *tail;
    uint64_t queued, done, lost;
    int stopping;
};

/* ---- changes ---- */

struct yb_cat_change *yb_cat_change_new(int revoke, int sync, const struct yb_cat_row *row,
                                        const struct yb_cat_who *who)
{
    const char *who_src[4] = {who ? who->by : NULL, who ? who->source : NULL,
                              who ? who->msgid : NULL, who ? who->at : NULL};
    size_t need = sizeof(struct yb_cat_change);
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        need += (row->f[i] ? strlen(row->f[i]) : 0) + 1;
    for (int i = 0; i < 4; i++)
        need += (who_src[i] ? strlen(who_src[i]) : 0) + 1;
    struct yb_cat_change *c = malloc(need);
    if (!c)
        return NULL;
    c->next = NULL;
    c->revoke = revoke;
    c->sync = sync;
    char *p = (char *)(c + 1);
    const char **dst[YB_CAT_NFIELDS + 4];
    const char *src[YB_CAT_NFIELDS + 4];
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        dst[i] = &c->row.f[i], src[i] = row->f[i];
    const char **who_dst[4] = {&c->who.by, &c->who.source, &c->who.msgid, &c->who.at};
    for (int i = 0; i < 4; i++)
        dst[YB_CAT_NFIELDS + i] = who_dst[i], src[YB_CAT_NFIELDS + i] = who_src[i];
    for (int i = 0; i < YB_CAT_NFIELDS + 4; i++) {
        size_t n = src[i] ? strlen(src[i]) : 0;
        if (n)
            memcpy(p, src[i], n);
        p[n] = '\0';
        *dst[i] = p;
        p += n + 1;
    }
    if (!c->who.at[0])
        c->who.at = NULL; /* the store's "now" */
    return c;
}

void yb_cat_changes_free(struct yb_cat_change *list)
{
    while (list) {
        struct yb_cat_change *next = list->next;
        free(list);
        list = next;
    }
}

int yb_cat_writer_queue(struct yb_cat_writer *w, int revoke, int sync,
                        const struct yb_cat_row *row, const struct yb_cat_who *who)
{
    struct yb_cat_change *c = yb_cat_change_new(revoke, sync, row, who);
    if (!c)
        return YB_ENOMEM;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = c;
    else
        w->head = c;
    w->tail = c;
    w->queued++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* ---- the thread ---- */

static int apply(struct yb_cat_writer *w, const struct yb_cat_change *c)
{
    if (!c->revoke)
        return yb_cat_store_put(w->store, &c->row, c->sync, &c->who, NULL);
    const char *const *f = c->row.f;
    int rc = yb_cat_store_revoke(w->store, f[YB_CAT_FIXMEDINS_CODE], f[YB_CAT_HILIST_ID],
                                 f[YB_CAT_LIST_TYPE], f[YB_CAT_MED_LIST_CODG], &c->who);
    if (rc == YB_ENOENT) {
        /* the platform revoked a mapping this store never had (made before
         * ybgw, or by another system): nothing to close here */
        w->host->log(w->host, YB_LOG_INFO,
                     "3302 %s revoked %s %s, which the mapping store does not hold",
                     c->who.msgid, f[YB_CAT_FIXMEDINS_CODE], f[YB_CAT_HILIST_ID]);
        return 0;
    }
    return rc;
}

/* Apply BATCH in one transaction: 0, or the first failure (rolled back). */
static int apply_batch(struct yb_cat_writer *w, const struct yb_cat_change *batch)
{
    char err[512];
    if (!w->store && yb_cat_store_open(w->path, YB_CAT_CREATE, &w->store, err, sizeof(err))) {
        w->host->log(w->host, YB_LOG_ERROR, "mapping store %s: %s", w->path, err);
        return YB_EIO;
    }
    int rc = yb_cat_store_begin(w->store);
    for (const struct yb_cat_change *c = batch; c && rc == 0; c = c->next)
        rc = apply(w, c);
    if (rc == 0)
        rc = yb_cat_store_commit(w->store);
    if (rc) {
        w->host->log(w->host, YB_LOG_ERROR, "mapping store %s: %s", w->path,
                     yb_cat_store_error(w->store));
        yb_cat_store_rollback(w->store);
        /* a fresh connection next time, in case this one is the problem */
        yb_cat_store_close(w->store);
        w->store = NULL;
    }
    return rc;
}

static void give_up(struct yb_cat_writer *w, const struct yb_cat_change *c)
{
    const char *const *f = c->row.f;
    w->host->log(w->host, YB_LOG_ERROR,
                 "mapping store %s: NOT WRITTEN after retries: %s %s %s -> %s (list_type %s, "
                 "msgid %s); the in-memory map has it until the next reload: import it again",
                 w->path, c->revoke ? "revoke" : "put", f[YB_CAT_FIXMEDINS_CODE],
                 f[YB_CAT_HILIST_ID], f[YB_CAT_MED_LIST_CODG], f[YB_CAT_LIST_TYPE], c->who.msgid);
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Write BATCH: retried with pauses of 0.1, 0.5, 2 and 5 s (a busy or
 * briefly full disk); after that, change by change, and what still fails is
 * given up (logged). Returns the number given up. */
static uint64_t write_batch(struct yb_cat_writer *w, struct yb_cat_change *batch)
{
    static const long pauses[] = {100, 500, 2000, 5000};
    for (size_t i = 0;; i++) {
        if (apply_batch(w, batch) == 0)
            return 0;
        if (i == sizeof(pauses) / sizeof(pauses[0]))
            break;
        pause_ms(pauses[i]);
    }
    uint64_t lost = 0;
    for (struct yb_cat_change *c = batch; c; c = c->next) {
        struct yb_cat_change *next = c->next;
        c->next = NULL;
        if (apply_batch(w, c) != 0) {
            give_up(w, c);
            lost++;
        }
        c->next = next;
    }
    return lost;
}

static void *writer_main(void *arg)
{
    struct yb_cat_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head)
            break; /* stopping with nothing left */
        struct yb_cat_change *batch = w->head;
        uint64_t n = 0;
        for (const struct yb_cat_change *c = batch; c; c = c->next)
            n++;
        w->head = w->tail = NULL;
        pthread_mutex_unlock(&w->lock);

        uint64_t lost = write_batch(w, batch);
        yb_cat_changes_free(batch);

        pthread_mutex_lock(&w->lock);
        w->done += n;
        w->lost += lost;
        pthread_cond_broadcast(&w->moved);
    }
    pthread_mutex_unlock(&w->lock);
    if (w->store)
        yb_cat_store_close(w->store);
    w->store = NULL;
    return NULL;
}

int yb_cat_writer_start(const char *path, const struct yb_host *host,
                        struct yb_cat_writer **out)
{
    struct yb_cat_writer *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return YB_ENOMEM;
    }
    w->host = host;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->moved, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->moved);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w->path);
        free(w);
        return YB_ENOMEM;
    }
    *out = w;
    return 0;
}

void yb_cat_writer_flush(struct yb_cat_writer *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t target = w->queued;
    while (w->done < target)
        pthread_cond_wait(&w->moved, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

uint64_t yb_cat_writer_lost(const struct yb_cat_writer *w)
{
    pthread_mutex_lock((pthread_mutex_t *)&w->lock);
    uint64_t lost = w->lost;
    pthread_mutex_unlock((pthread_mutex_t *)&w->lock);
    return lost;
}

void yb_cat_writer_stop(struct yb_cat_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->moved);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->path);
    free(w);
}
