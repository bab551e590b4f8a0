/*
 * catalog.h - the catalog mapping (目录对照) library: libybcatalog.
 *
 * A hospital bills with its own item codes (fixmedins_hilist_id in 3301,
 * medins_list_codg in a fee line) and must tell the platform which national
 * catalogue code (med_list_codg) each one stands for. This library owns that
 * mapping:
 *
 *   - the store (cat_store.c): SQLite, one row per version of a mapping,
 *     keyed by institution and local code. A change never overwrites: it
 *     closes the current row (closed_at, closed_by, closed_reason) and adds
 *     a new one, so the whole history stays. A revoke (3302) closes the row
 *     with reason "revoked". Each row says who changed it, when, from where
 *     (an import file, a 3301 message) and whether the platform has it yet
 *     (sync state);
 *   - the import (cat_import.c): a CSV or TSV file whose header uses the
 *     3301 field names, streamed, checked row by row, bad rows written to a
 *     reject file with their line numbers, and all of it in one SQLite
 *     transaction (all or nothing unless the caller allows a partial
 *     import). A dry run reports what an import would change (diff);
 *   - the map (cat_map.c): the current mappings in memory, for the gateway's
 *     request path. A lookup is a hash probe, never an SQLite query.
 *
 * Users: the catalog plugin (plugins/catalog/catalog.c), ybgwctl catalog
 * (tools/ctl_catalog.c), the tests and bench/catalog_bench. The library
 * includes only ybgw.h of the public API and never gateway internals.
 * Prefix: yb_cat_.
 *
 * Strings are UTF-8. Lengths the specification gives are in characters
 * (a Chinese character counts one). Dates are stored as "yyyy-MM-dd"; times
 * as "yyyy-MM-dd HH:mm:ss" local time.
 *
 * Threads: a store handle belongs to one thread at a time. A map is not
 * locked: readers may share it while nobody writes; the plugin guards
 * writes (yb_cat_map_set, yb_cat_map_revoke) with a read-write lock.
 */
#ifndef YBGW_CATALOG_H
#define YBGW_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "ybgw/ybgw.h"

/* ---- a mapping, as 3301 carries it ------------------------------------- */

enum yb_cat_field {
    YB_CAT_FIXMEDINS_CODE = 0, /* the institution (not in catalogcompin: the envelope's) */
    YB_CAT_HILIST_ID,          /* fixmedins_hilist_id: the local code */
    YB_CAT_HILIST_NAME,        /* fixmedins_hilist_name */
    YB_CAT_LIST_TYPE,          /* list_type: 101 西药中成药 ... 301 医用耗材 */
    YB_CAT_MED_LIST_CODG,      /* the national code */
    YB_CAT_BEGNDATE,
    YB_CAT_ENDDATE,
    YB_CAT_APRVNO, /* the optional ones, in 3301 order */
    YB_CAT_DOSFORM,
    YB_CAT_EXCT_CONT,
    YB_CAT_ITEM_CONT,
    YB_CAT_PRCUNT,
    YB_CAT_SPEC,
    YB_CAT_PACSPEC,
    YB_CAT_MEMO,
    YB_CAT_NFIELDS
};

/* The 3301 field names ("fixmedins_code", "fixmedins_hilist_id", ...), and
 * the longest value of each in characters, per the specification. */
extern const char *const yb_cat_field_names[YB_CAT_NFIELDS];
extern const size_t yb_cat_field_max[YB_CAT_NFIELDS];

/* One mapping. A NULL or "" field is absent. Nothing is owned. */
struct yb_cat_row {
    const char *f[YB_CAT_NFIELDS];
};

/* Check ROW the way the platform's 3301 would: fixmedins_code, the local
 * code, its name, list_type, med_list_codg, begndate and enddate present;
 * every value valid UTF-8, without control characters and within its
 * length; list_type one of LIST_TYPES (a NULL-terminated array; NULL: any
 * 3 digits); dates real dates (yyyy-MM-dd, yyyyMMdd or yyyy/MM/dd, a time
 * part allowed and dropped) and enddate not before begndate. Returns 0, or
 * YB_EINVAL with "FIELD: what is wrong" in err. */
int yb_cat_row_check(const struct yb_cat_row *row, const char *const *list_types, char *err,
                     size_t errcap);

/* Write date S in any of the forms above as "yyyy-MM-dd" into out (0), or
 * return YB_EINVAL. */
int yb_cat_date_norm(const char *s, char out[11]);

/* ---- the store ----------------------------------------------------------
 * Tables (created on first open for writing; schema version in
 * PRAGMA user_version):
 *
 *   catalog_mapping(id INTEGER PRIMARY KEY, fixmedins_code, hilist_id,
 *       hilist_name, list_type, med_list_codg, begndate, enddate, aprvno,
 *       dosform, exct_cont, item_cont, prcunt, spec, pacspec, memo,
 *       sync, sync_msgid, sync_time, sync_detail,
 *       changed_by, changed_at, source, source_msgid,
 *       closed_at, closed_by, closed_reason, closed_msgid)
 *
 * At most one row per (fixmedins_code, hilist_id) has closed_at NULL: the
 * current mapping (a partial unique index enforces it). */

struct yb_cat_store;

enum yb_cat_open_flags {
    YB_CAT_RDONLY = 0,
    YB_CAT_RDWR = 1,   /* write; create the tables if missing */
    YB_CAT_CREATE = 3, /* RDWR, and create the file if missing */
};

/* Open the store at PATH (WAL journal, busy timeout of a few seconds).
 * *out is freed with yb_cat_store_close. */
int yb_cat_store_open(const char *path, int flags, struct yb_cat_store **out, char *err,
                      size_t errcap);
void yb_cat_store_close(struct yb_cat_store *st);
/* The last SQLite error text of ST (for messages). */
const char *yb_cat_store_error(const struct yb_cat_store *st);

/* Group writes in one transaction (BEGIN IMMEDIATE / COMMIT / ROLLBACK). */
int yb_cat_store_begin(struct yb_cat_store *st);
int yb_cat_store_commit(struct yb_cat_store *st);
int yb_cat_store_rollback(struct yb_cat_store *st);

/* Who made a change. by: an operator ("import by root"), the opter of a
 * 3301, "ybgwctl"; source: "import FILE", "3301", "3302", "sync"; msgid: the
 * message that carried it, or NULL; at: "yyyy-MM-dd HH:mm:ss" or NULL for
 * now. */
struct yb_cat_who {
    const char *by;
    const char *source;
    const char *msgid;
    const char *at;
};

/* Sync state of a row: has the platform accepted it? */
enum yb_cat_sync {
    YB_CAT_UNSYNCED = 0, /* imported here, not yet sent with 3301 */
    YB_CAT_SYNCED = 1,   /* the platform accepted a 3301 with it */
    YB_CAT_REJECTED = 2, /* the platform refused it (sync_detail says why) */
};
extern const char *const yb_cat_sync_names[3]; /* "unsynced" "synced" "rejected" */

enum yb_cat_outcome {
    YB_CAT_SAME = 0,    /* the current row already says this: nothing written */
    YB_CAT_ADDED = 1,   /* no current row: one added */
    YB_CAT_CHANGED = 2, /* the current row was closed ("changed") and a new one added */
};

/* Make ROW (checked by the caller) the current mapping of its
 * (fixmedins_code, hilist_id). The fifteen fields are compared with the
 * current row's; equal means YB_CAT_SAME, and then only a better sync state
 * is written (SYNCED over UNSYNCED or REJECTED). SYNC is the new row's
 * state. *outcome (optional) gets the enum yb_cat_outcome. */
int yb_cat_store_put(struct yb_cat_store *st, const struct yb_cat_row *row, int sync,
                     const struct yb_cat_who *who, int *outcome);

/* Close the current mapping of (FIXMEDINS, HILIST_ID) as "revoked".
 * LIST_TYPE and MED_LIST_CODG, when not NULL or "", must equal the current
 * row's. YB_ENOENT when there is no such current mapping. */
int yb_cat_store_revoke(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id,
                        const char *list_type, const char *med_list_codg,
                        const struct yb_cat_who *who);

/* Set the sync state of the current mapping of (FIXMEDINS, HILIST_ID) if it
 * still maps to MED_LIST_CODG (a later change is left alone). MSGID is the
 * 3301 that carried it, DETAIL the platform's error for REJECTED. YB_ENOENT
 * when no such current row exists. */
int yb_cat_store_set_sync(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id,
                          const char *med_list_codg, int sync, const char *msgid,
                          const char *detail);

/* One row of the store, as the iterators hand it out. Strings are valid
 * only during the callback; absent ones are "". */
struct yb_cat_record {
    int64_t id;
    struct yb_cat_row row;
    int sync; /* enum yb_cat_sync */
    const char *sync_msgid, *sync_time, *sync_detail;
    const char *changed_by, *changed_at, *source, *source_msgid;
    int current; /* closed_at is NULL */
    const char *closed_at, *closed_by, *closed_reason, *closed_msgid;
};

/* Return 0 to go on; anything else stops the walk and is returned. */
typedef int (*yb_cat_each_fn)(const struct yb_cat_record *rec, void *arg);

/* The current mappings (of FIXMEDINS, or all when NULL), ordered by
 * fixmedins_code and hilist_id. */
int yb_cat_store_each_current(struct yb_cat_store *st, const char *fixmedins, yb_cat_each_fn fn,
                              void *arg);
/* What the map loads: every current mapping, and for each key whose last
 * row was revoked (no current row) that revoked row, so a fee line can be
 * told when and by what its code was revoked. Unordered. */
int yb_cat_store_each_latest(struct yb_cat_store *st, const char *fixmedins, yb_cat_each_fn fn,
                             void *arg);
/* Every row of (FIXMEDINS, HILIST_ID), newest first. */
int yb_cat_store_history(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id,
                         yb_cat_each_fn fn, void *arg);
/* The current mappings of FIXMEDINS (NULL: any) to MED_LIST_CODG. */
int yb_cat_store_each_national(struct yb_cat_store *st, const char *fixmedins,
                               const char *med_list_codg, yb_cat_each_fn fn, void *arg);
/* The current mappings whose sync state is SYNC, in id order (oldest
 * first). */
int yb_cat_store_each_sync(struct yb_cat_store *st, const char *fixmedins, int sync,
                           yb_cat_each_fn fn, void *arg);

struct yb_cat_counts {
    uint64_t current, revoked, closed, unsynced, synced, rejected, institutions;
};
int yb_cat_store_counts(struct yb_cat_store *st, const char *fixmedins,
                        struct yb_cat_counts *out);

/* ---- import and diff ------------------------------------------------------
 * The file is CSV (RFC 4180 quoting) or TSV, UTF-8 with or without a BOM.
 * The header names the columns by their 3301 names (any order, ASCII case
 * ignored; unknown columns are an error, so a misspelt optional column is
 * not silently dropped). fixmedins_code is optional and defaults to
 * opts->fixmedins. A row is rejected when yb_cat_row_check refuses it, when
 * a record is malformed (unclosed quote, too many fields, too long, not
 * UTF-8), or when the file maps the same local code twice. */

struct yb_cat_import_opts {
    const char *path;        /* the file */
    const char *fixmedins;   /* for rows without fixmedins_code, or NULL */
    const char *reject_path; /* NULL: PATH.rejects; written only if a row is rejected */
    const struct yb_cat_who *who;
    const char *const *list_types; /* as for yb_cat_row_check */
    int sync;     /* enum yb_cat_sync of the rows written (UNSYNCED, or SYNCED for a
                     catalogue already filed with the platform) */
    int dry_run;  /* write nothing to the store (diff) */
    int partial;  /* import the good rows even if some are rejected */
    /* Called for each row that would change the store (dry run or not):
     * OLD is the current row or NULL (added), NEW the file's row. */
    int (*on_change)(const struct yb_cat_record *old, const struct yb_cat_row *new_row,
                     int outcome, uint64_t line, void *arg);
    /* Optional: a further check of a row that passed yb_cat_row_check (the
     * CLI asks the coding-standard plugins about med_list_codg). Return 0,
     * or non-zero with "FIELD: reason" in err to reject the row. */
    int (*check_row)(const struct yb_cat_row *row, char *err, size_t errcap, void *arg);
    /* Called every few thousand rows and at the end: bytes read of total. */
    void (*on_progress)(uint64_t bytes, uint64_t total, uint64_t rows, void *arg);
    void *arg;
};

struct yb_cat_import_result {
    uint64_t rows; /* data records read */
    uint64_t added, changed, same, rejected;
    int committed;      /* 1 when the store was changed */
    double seconds;
    char reject_path[512]; /* "" when nothing was rejected */
    char first_reject[320]; /* "line N: FIELD: reason" of the first bad row */
};

/* Import (or, with dry_run, compare) opts->path into ST. Returns 0 when the
 * file was read through, even if rows were rejected (then, unless
 * opts->partial, nothing is committed: see res->committed); a negative
 * YB_E* with err set when the file cannot be read, its header is wrong or
 * the store fails (nothing committed). */
int yb_cat_import(struct yb_cat_store *st, const struct yb_cat_import_opts *opts,
                  struct yb_cat_import_result *res, char *err, size_t errcap);

/* ---- the map -------------------------------------------------------------
 * The mappings in memory, keyed by (fixmedins_code, local code), with a
 * second index from (fixmedins_code, national code) to its local codes.
 * Entries live in an arena; a replaced or revoked entry stays allocated
 * until the map is freed (a reload builds a fresh map). */

enum yb_cat_state {
    YB_CAT_ACTIVE = 0,
    YB_CAT_REVOKED = 1, /* the last row of this local code was revoked */
};

struct yb_cat_entry {
    const char *fixmedins;
    const char *local;    /* hilist_id */
    const char *national; /* med_list_codg */
    const char *name;     /* hilist_name */
    char list_type[8];
    uint32_t begndate, enddate; /* yyyymmdd */
    uint8_t state;              /* enum yb_cat_state */
    uint8_t sync;               /* enum yb_cat_sync */
    const char *changed_at;     /* when it was set, or revoked */
    const char *msgid;          /* the message that set or revoked it, or "" */
};

struct yb_cat_map;

/* An empty map. */
int yb_cat_map_new(struct yb_cat_map **out);
void yb_cat_map_free(struct yb_cat_map *map);
/* Add what yb_cat_store_each_latest gives (of FIXMEDINS, or all). */
int yb_cat_map_load(struct yb_cat_map *map, struct yb_cat_store *st, const char *fixmedins,
                    char *err, size_t errcap);

/* The entry of (FIXMEDINS, LOCAL[0..len)), active or revoked, or NULL. */
const struct yb_cat_entry *yb_cat_map_find(const struct yb_cat_map *map, const char *fixmedins,
                                           const char *local, size_t len);
/* The active entry mapping (FIXMEDINS, NATIONAL[0..len)) when exactly one
 * local code does; *count gets how many do (0, 1, or more: ambiguous, and
 * then NULL is returned). */
const struct yb_cat_entry *yb_cat_map_find_national(const struct yb_cat_map *map,
                                                    const char *fixmedins, const char *national,
                                                    size_t len, size_t *count);

/* Make ROW the active entry of its key (AT, MSGID: when and by what; SYNC
 * its state). Copies everything. */
int yb_cat_map_set(struct yb_cat_map *map, const struct yb_cat_row *row, int sync,
                   const char *at, const char *msgid);
/* Mark the entry of (FIXMEDINS, LOCAL) revoked; YB_ENOENT if it has no
 * active entry. */
int yb_cat_map_revoke(struct yb_cat_map *map, const char *fixmedins, const char *local,
                      const char *at, const char *msgid);

size_t yb_cat_map_count(const struct yb_cat_map *map);  /* keys, active or revoked */
size_t yb_cat_map_active(const struct yb_cat_map *map); /* active keys */
size_t yb_cat_map_bytes(const struct yb_cat_map *map);  /* memory held */

#endif
