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

struct yb_cat_writer;

/* Start a writer for the store at PATH (created if missing). Log through
 * HOST. */
int yb_cat_writer_start(const char *path, const struct yb_host *host,
                        struct yb_cat_writer **out);
/* Queue yb_cat_store_put(ROW, SYNC, WHO); everything is copied. */
int yb_cat_writer_put(struct yb_cat_writer *w, const struct yb_cat_row *row, int sync,
                      const struct yb_cat_who *who);
/* Queue yb_cat_store_revoke(FIXMEDINS, HILIST_ID, LIST_TYPE, MED_LIST_CODG,
 * WHO). */
int yb_cat_writer_revoke(struct yb_cat_writer *w, const char *fixmedins, const char *hilist_id,
                         const char *list_type, const char *med_list_codg,
                         const struct yb_cat_who *who);
/* Wait until everything queued so far is written (or given up). Not for
 * hooks: for init and tests. */
void yb_cat_writer_flush(struct yb_cat_writer *w);
/* Changes given up after the retries, since start. */
uint64_t yb_cat_writer_lost(const struct yb_cat_writer *w);
/* Write what is queued, stop the thread and free the writer. */
void yb_cat_writer_stop(struct yb_cat_writer *w);

#endif
