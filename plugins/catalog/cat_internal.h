/*
 * cat_internal.h - what the files of libybcatalog offer each other beyond
 * the public contract of catalog.h: the store's extras for the import
 * (cat_store.c), its helpers for the queries (cat_query.c), and the
 * import's duplicate check and batch (cat_batch.c). Private to
 * libybcatalog.
 */
#ifndef YBGW_CAT_INTERNAL_H
#define YBGW_CAT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "catalog.h"

/* ---- the store (cat_store.c, cat_query.c, cat_bulk.c) --------------------- */

struct sqlite3;
struct sqlite3_stmt;

/* The handle (cat_store.c owns it; cat_bulk.c reads and sets REBUILD). */
struct yb_cat_store {
    struct sqlite3 *db;
    char *path;
    int writable;
    /* cached statements (prepared on first use) */
    struct sqlite3_stmt *find, *insert, *close, *sync;
    char msg[640];
    time_t now_t;
    char now[20];
    /* a copy of the current row the last find returned */
    struct yb_cat_record old;
    char *old_buf;
    size_t old_cap;
    /* the CREATE INDEX statements a bulk import dropped, to run again
     * before the COMMIT (cat_bulk.c); freed by a rollback */
    char *rebuild;
};

#define ROW_COLUMNS                                                                                \
    "fixmedins_code, hilist_id, hilist_name, list_type, med_list_codg, begndate, enddate, "        \
    "aprvno, dosform, exct_cont, item_cont, prcunt, spec, pacspec, memo"
/* column 0 id, 1..15 the fields in enum yb_cat_field order, then these
 * (what yb_cat_record_load reads) */
#define RECORD_COLUMNS                                                                             \
    "id, " ROW_COLUMNS ", sync, sync_msgid, sync_time, sync_detail, changed_by, changed_at, "      \
    "source, source_msgid, closed_at, closed_by, closed_reason, closed_msgid"

/* the FLAGS of yb_cat_store_apply */
enum {
    YB_CAT_APPLY_DRY = 1, /* only the comparison: write nothing */
    YB_CAT_APPLY_NEW = 2, /* the caller knows the key has no current row (an
                             import into an empty store, each key once): no lookup */
};
/* yb_cat_store_put, or with YB_CAT_APPLY_DRY only the comparison; *outcome
 * gets the enum yb_cat_outcome and *old (optional) the row that was
 * current, or NULL (valid until the next call). */
int yb_cat_store_apply(struct yb_cat_store *st, const struct yb_cat_row *row, int sync,
                       const struct yb_cat_who *who, int flags, int *outcome,
                       const struct yb_cat_record **old);
/* A read transaction: one snapshot for a dry run (ended with rollback). */
int yb_cat_store_begin_read(struct yb_cat_store *st);
/* ON: a big page cache for a bulk import; off: the usual one again. */
void yb_cat_store_bulk(struct yb_cat_store *st, int on);

/* *N gets the number of rows the store holds, closed ones included (an
 * upper bound: max(id)), all institutions. 0 or a negative YB_E*. */
int yb_cat_store_rows(struct yb_cat_store *st, uint64_t *n);
/* The fewest rows an import must expect before it drops indexes (tests
 * lower it to cover the path with a small file). */
extern uint64_t yb_cat_bulk_min_rows;
/* Inside a write transaction, before a bulk import that expects to add
 * about EXPECTED rows to a store of HAVE rows: drop the secondary index
 * the import would fill at random places when a rebuild is cheaper (the
 * rule is at BULK_MIN_ROWS in cat_store.c). *dropped gets 1 when it was;
 * yb_cat_store_commit builds it again before the COMMIT, in the same
 * transaction, and a rollback brings it back. 0 or a negative YB_E*. */
int yb_cat_store_bulk_indexes(struct yb_cat_store *st, uint64_t expected, uint64_t have,
                              int *dropped);
/* Create again what yb_cat_store_bulk_indexes dropped, in the same
 * transaction (yb_cat_store_commit does it first). 0 or a negative YB_E*
 * (the caller must then roll back). */
int yb_cat_store_bulk_restore(struct yb_cat_store *st);

/* Record "catalog store PATH: WHAT: <the SQLite error>" as the store's
 * error; returns YB_EIO. */
int yb_cat_store_fail(struct yb_cat_store *st, const char *what);

/* The SQLite handle of ST, for queries that live in other files of the
 * library. */
struct sqlite3 *yb_cat_store_db(struct yb_cat_store *st);
/* Point REC at the columns (RECORD_COLUMNS) of the row S is on; valid
 * until S steps again. */
void yb_cat_record_load(struct sqlite3_stmt *s, struct yb_cat_record *rec);

/* ---- keys seen in one import file (cat_batch.c) ----------------------------- */

struct yb_cat_slot {
    uint64_t hash; /* 0: empty */
    uint32_t check;
    uint32_t line;
};

struct yb_cat_seen {
    struct yb_cat_slot *v;
    size_t mask, count;
};

/* A table for about WANT keys: 0 or YB_ENOMEM. Freed with free(s->v). */
int yb_cat_seen_init(struct yb_cat_seen *s, size_t want);
/* The line of the key with HASH (not 0) and CHECK if it was seen, else 0
 * after adding it with LINE (or YB_ENOMEM as *error). One probe for both. */
uint32_t yb_cat_seen_check(struct yb_cat_seen *s, uint64_t hash, uint32_t check, uint64_t line,
                           int *error);

/* ---- the batch: accepted rows, applied in key order (cat_batch.c) ----------- */

#define YB_CAT_BATCH_ROWS (256 * 1024)
#define YB_CAT_BATCH_BYTES ((size_t)48 << 20)
#define YB_CAT_ABSENT UINT32_MAX
#define YB_CAT_MAX_PLACES 4096 /* institutions in one batch */

struct yb_cat_pending {
    uint32_t off[YB_CAT_NFIELDS]; /* of each value in the arena, or YB_CAT_ABSENT */
    uint32_t place;               /* index in batch.place_off */
    uint64_t line;
};

struct yb_cat_order {
    uint64_t word[2]; /* the first 16 bytes of the local code, big-endian */
    uint32_t place;   /* the rank of the institution */
    uint32_t row;
};

struct yb_cat_batch {
    char *arena;
    size_t len, cap;
    struct yb_cat_pending *rows;
    struct yb_cat_order *order;
    size_t n, rows_cap;
    /* the institutions of the batch (a file has one, or a few) */
    uint32_t place_off[YB_CAT_MAX_PLACES], place_rank[YB_CAT_MAX_PLACES];
    size_t n_places, last_place;
};

/* Copy ROW (read on LINE; fixmedins_code and hilist_id set) into the
 * batch: 0 or YB_ENOMEM. */
int yb_cat_batch_add(struct yb_cat_batch *b, const struct yb_cat_row *row, uint64_t line);
/* 1 when B must be applied before the next row is added. */
int yb_cat_batch_full(const struct yb_cat_batch *b);
/* Fill b->order[0..n) with the rows sorted by (institution, local code);
 * the rows themselves stay where they are. */
void yb_cat_batch_sort(struct yb_cat_batch *b);
/* Free what B holds (a zeroed batch is empty). */
void yb_cat_batch_free(struct yb_cat_batch *b);

#endif
