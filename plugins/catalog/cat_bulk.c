/*
 * cat_bulk.c - what a bulk import asks of the mapping store besides put:
 * a big page cache while it runs, the store's size, and dropping the index
 * it would fill at random places, to be built again in one sort before the
 * COMMIT (yb_cat_store_bulk*, yb_cat_store_rows; cat_internal.h).
 *
 * Why: a million-row import into an empty store spent about 3 s on random
 * inserts into the national-code index (med_list_codg order has nothing to
 * do with the key order the batch is applied in); building it afterwards
 * takes under a second. Everything happens inside the import's one
 * transaction: a failure or a rollback brings the index back, a dry run
 * never gets here, and yb_cat_store_commit rebuilds before it commits.
 * The unique current-row index is never dropped: it enforces the
 * one-current-row rule while the rows go in.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cat_internal.h"

uint64_t yb_cat_bulk_min_rows = 50000;

static int exec_sql(struct yb_cat_store *st, const char *sql, const char *what)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0
                                                                    : yb_cat_store_fail(st, what);
}

/* A bulk import touches many pages: give it a bigger page cache while it
 * runs (the default 2 MiB would spill to the WAL on every few thousand
 * rows), and the usual one afterwards. */
void yb_cat_store_bulk(struct yb_cat_store *st, int on)
{
    sqlite3_exec(st->db, on ? "PRAGMA cache_size = -262144" : "PRAGMA cache_size = -2000", NULL,
                 NULL, NULL);
}

/* A bulk import drops the national-code index (the one it would fill at
 * random places; the others take its rows in order or not at all, and the
 * unique current-row index keeps the one-current-row rule) when
 *   - it expects at least yb_cat_bulk_min_rows rows: below that the rebuild's
 *     table scan is not worth it, and
 *   - the store holds at most as many rows (HAVE: yb_cat_store_rows) as it
 *     expects: rebuilding sorts every row of the table, about a third
 *     of the cost of a random insert per row here, so with at most half of
 *     the table new it still wins even when most rows turn out the same.
 * The indexes created after it in the schema are dropped and built again
 * too, in their order: SQLite breaks ties between equally good partial
 * indexes by their place in the schema, and a national index moved to the
 * end made each_latest (the map's load) walk the current rows in national
 * order, twice as slow as before. They are cheap to build (the sync index
 * is in row order, the revoked one small). */
#define BULK_FIRST "catalog_mapping_national"
#define BULK_KEEP "catalog_mapping_current"
#define BULK_MAX 16 /* indexes dropped at most */

int yb_cat_store_rows(struct yb_cat_store *st, uint64_t *n)
{
    sqlite3_stmt *s = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(id), 0) FROM catalog_mapping", -1, &s,
                           NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return yb_cat_store_fail(st, "counting the mappings");
    }
    *n = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return 0;
}

int yb_cat_store_bulk_indexes(struct yb_cat_store *st, uint64_t expected, uint64_t have,
                              int *dropped)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;
    *dropped = 0;
    if (!st->writable || st->rebuild || expected < yb_cat_bulk_min_rows || have > expected)
        return 0;
    /* the definitions as the store has them, in schema order, so the
     * rebuild is exact */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                           "tbl_name = 'catalog_mapping' AND sql IS NOT NULL ORDER BY rowid",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = yb_cat_store_fail(st, "reading the index definitions");
        goto done;
    }
    char names[BULK_MAX][64];
    size_t n = 0, used = 0;
    int step, from = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        const char *sql = (const char *)sqlite3_column_text(s, 1);
        from = from || strcmp(name, BULK_FIRST) == 0;
        if (!from)
            continue;
        if (strcmp(name, BULK_KEEP) == 0 || n == BULK_MAX || strlen(name) >= sizeof(names[0])) {
            n = 0; /* not a schema this code knows: drop nothing */
            step = SQLITE_DONE;
            break;
        }
        size_t len = strlen(sql);
        char *more = realloc(st->rebuild, used + len + 2);
        if (!more) {
            snprintf(st->msg, sizeof(st->msg), "catalog store %s: out of memory", st->path);
            rc = YB_ENOMEM;
            goto done;
        }
        memcpy(more + used, sql, len);
        memcpy(more + used + len, ";", 2);
        used += len + 1;
        st->rebuild = more;
        snprintf(names[n++], sizeof(names[0]), "%s", name);
    }
    if (step != SQLITE_DONE) {
        rc = yb_cat_store_fail(st, "reading the index definitions");
        goto done;
    }
    sqlite3_finalize(s);
    s = NULL;
    for (size_t i = 0; i < n; i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP INDEX \"%s\"", names[i]);
        rc = exec_sql(st, sql, "dropping an index for the import");
        if (rc)
            goto done;
        *dropped = 1;
    }
done:
    sqlite3_finalize(s);
    if (rc || !*dropped) {
        free(st->rebuild);
        st->rebuild = NULL;
    }
    return rc;
}

int yb_cat_store_bulk_restore(struct yb_cat_store *st)
{
    if (!st->rebuild)
        return 0;
    int rc = exec_sql(st, st->rebuild, "building an index again after the import");
    free(st->rebuild);
    st->rebuild = NULL;
    return rc;
}
