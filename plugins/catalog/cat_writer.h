/*
 * cat_writer.h - the catalog plugin's store writer: one thread that applies
 * mapping changes (from accepted 3301 and 3302 messages) to the SQLite
 * store, so that no hook ever waits for the disk.
 *
 * Hooks hand a change over with yb_cat_writer_put or _revoke, which copy
 * it and return at once. The thread takes whatever is queued, applies it in
 * one transaction, and retries a failed transaction with a growing pause;
 * a change it still cannot write is logged in full (the operator can
 * re-import it) and counted. The queue has no cap: the platform has already
 * accepted what is in it, so dropping any of it would be losing data.
 */
#ifndef YBGW_CAT_WRITER_H
#define YBGW_CAT_WRITER_H

#include "catalog.h"

/* One mapping change as 3301 or 3302 made it: a put or a revoke of a row,
 * with who made it. One heap block holds it and its strings. The writer
 * queues these, and so does a plugin instance that is still loading. */
struct yb_cat_change {
    struct yb_cat_change *next;
    int revoke; /* 0: yb_cat_store_put; 1: yb_cat_store_revoke */
    int sync;   /* enum yb_cat_sync of a put */
    struct yb_cat_row row; /* a revoke uses fixmedins_code, hilist_id, list_type, med_list_codg */
    struct yb_cat_who who;
};

/* A copy of the change (everything copied), or NULL when out of memory. */
struct yb_cat_change *yb_cat_change_new(int revoke, int sync, const struct yb_cat_row *row,
                                        const struct yb_cat_who *who);
/* Free a list of changes linked by next. */
void yb_cat_changes_free(struct yb_cat_change *list);

struct yb_cat_writer;

/* Start a writer for the store at PATH (created if missing). Log through
 * HOST. */
int yb_cat_writer_start(const char *path, const struct yb_host *host,
                        struct yb_cat_writer **out);
/* Queue a copy of the change; YB_ENOMEM if it cannot be copied. */
int yb_cat_writer_queue(struct yb_cat_writer *w, int revoke, int sync,
                        const struct yb_cat_row *row, const struct yb_cat_who *who);
/* Wait until everything queued so far is written (or given up). Not for
 * hooks: for init and tests. */
void yb_cat_writer_flush(struct yb_cat_writer *w);
/* Changes given up after the retries, since start. */
uint64_t yb_cat_writer_lost(const struct yb_cat_writer *w);
/* Write what is queued, stop the thread and free the writer. */
void yb_cat_writer_stop(struct yb_cat_writer *w);

#endif
