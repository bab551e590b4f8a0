/*
 * journal_ckpt.c - the journal's checkpoint thread: it copies the WAL back
 * into the database file, so the writer thread never waits for it.
 *
 * Why: with SQLite's automatic checkpoints, the connection that commits
 * past 1000 WAL pages runs the checkpoint inside that commit, and a
 * checkpoint ends in fdatasync calls (5 to 20 ms each on the disks we
 * measured). The writer is the one thread every begin waits for, so each
 * checkpoint stalled every transaction in flight; with 2204 fee uploads
 * (large rows) that was every few dozen transactions. Here the writer's
 * connection has wal_autocheckpoint 0 and its WAL hook wakes this thread,
 * which runs a PASSIVE checkpoint on its own connection: it copies what no
 * reader still needs while the writer goes on appending, and SQLite's own
 * locks keep the two apart.
 *
 * Durability is unchanged: with `sync normal` a commit is in the WAL (safe
 * against a crash of ybgw), with `sync full` the writer syncs the WAL on
 * every commit; the checkpoint's own syncs (here) were never what made a
 * commit durable.
 */
#include <inttypes.h>
#include <stdio.h>

#include "journal_internal.h"
#include "log.h"
#include "ybgw/ybgw.h"

#define CKPT_PAGES 1000 /* as SQLite's default automatic checkpoint */

/* sqlite3_wal_hook: runs on the writer's thread after each commit. */
static int wal_grew(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct yb_journal *j = arg;
    (void)db, (void)name;
    if (pages < CKPT_PAGES)
        return SQLITE_OK;
    pthread_mutex_lock(&j->ckpt_lock);
    if (!j->ckpt_wanted) {
        j->ckpt_wanted = 1;
        pthread_cond_signal(&j->ckpt_cond);
    }
    pthread_mutex_unlock(&j->ckpt_lock);
    return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
    struct yb_journal *j = arg;
    int failing = 0;
    pthread_mutex_lock(&j->ckpt_lock);
    for (;;) {
        while (!j->ckpt_wanted && !j->ckpt_stop)
            pthread_cond_wait(&j->ckpt_cond, &j->ckpt_lock);
        if (j->ckpt_stop)
            break;
        j->ckpt_wanted = 0;
        pthread_mutex_unlock(&j->ckpt_lock);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(j->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                           &done);
        /* BUSY: ybgwctl or another checkpoint holds it; the next commit
         * past the mark asks again. Anything else is logged once. */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && !failing)
            yb_log(YB_LOG_WARN, "journal",
                   "checkpoint of %s failed: %s; the WAL grows until one succeeds",
                   j->conf.path, sqlite3_errmsg(j->ckpt_db));
        else if (rc == SQLITE_OK && failing)
            yb_log(YB_LOG_INFO, "journal", "checkpoints of %s succeed again", j->conf.path);
        failing = rc != SQLITE_OK && rc != SQLITE_BUSY;
        pthread_mutex_lock(&j->ckpt_lock);
    }
    pthread_mutex_unlock(&j->ckpt_lock);
    return NULL;
}

int yb_journal_ckpt_start(struct yb_journal *j, char *err, size_t errlen)
{
    if (sqlite3_open_v2(j->conf.path, &j->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(j->ckpt_db, 0) != SQLITE_OK ||
        sqlite3_exec(j->ckpt_db,
                     j->conf.sync_full ? "PRAGMA synchronous = FULL"
                                       : "PRAGMA synchronous = NORMAL",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(j->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "journal database %s: cannot open its checkpoint connection: %s",
                 j->conf.path, j->ckpt_db ? sqlite3_errmsg(j->ckpt_db) : "out of memory");
        goto fail;
    }
    if (pthread_mutex_init(&j->ckpt_lock, NULL) || pthread_cond_init(&j->ckpt_cond, NULL)) {
        snprintf(err, errlen, "journal: cannot create the checkpoint thread's lock");
        goto fail;
    }
    j->ckpt_sync = 1;
    if (pthread_create(&j->ckpt_thread, NULL, ckpt_main, j) != 0) {
        snprintf(err, errlen, "journal: cannot start the checkpoint thread");
        goto fail;
    }
    pthread_setname_np(j->ckpt_thread, "ybgw-checkpoint");
    j->ckpt_started = 1;
    sqlite3_wal_hook(j->db, wal_grew, j);
    return 0;
fail:
    yb_journal_ckpt_stop(j);
    return YB_EIO;
}

void yb_journal_ckpt_stop(struct yb_journal *j)
{
    if (j->ckpt_started) {
        sqlite3_wal_hook(j->db, NULL, NULL); /* the writer has stopped */
        pthread_mutex_lock(&j->ckpt_lock);
        j->ckpt_stop = 1;
        pthread_cond_signal(&j->ckpt_cond);
        pthread_mutex_unlock(&j->ckpt_lock);
        pthread_join(j->ckpt_thread, NULL);
        j->ckpt_started = 0;
    }
    if (j->ckpt_sync) {
        pthread_mutex_destroy(&j->ckpt_lock);
        pthread_cond_destroy(&j->ckpt_cond);
        j->ckpt_sync = 0;
    }
    if (j->ckpt_db)
        sqlite3_close(j->ckpt_db);
    j->ckpt_db = NULL;
}
