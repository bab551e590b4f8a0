/*
 * cat_query.c - reading the mapping store: the iterators (each_current,
 * each_latest, history, each_national, each_sync) and the counts
 * (yb_cat_store_*; catalog.h gives the contract).
 *
 * Split from cat_store.c, which owns the handle, the schema and the
 * writes: everything here is a plain SELECT over the handle's connection
 * (yb_cat_store_db), each written so that it uses one of the partial
 * indexes the schema creates (the current rows, the closed rows of a key,
 * the national codes, the sync states, the few revoked rows). Nothing
 * here runs on the request path: the map (cat_map.c) loads each_latest
 * once at start.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "cat_internal.h"
#include "catalog.h"

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* Run SQL with its binds (?1 FIXMEDINS when not NULL, then ?2 TEXT when
 * not NULL, ?3 NUM when >= 0) and hand each row to FN. */
static int walk(struct yb_cat_store *st, const char *sql, const char *fixmedins, const char *text,
                int num, yb_cat_each_fn fn, void *arg)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(yb_cat_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
        return yb_cat_store_fail(st, "preparing a query");
    if (fixmedins)
        sqlite3_bind_text(s, 1, fixmedins, -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
    if (num >= 0)
        sqlite3_bind_int(s, 3, num);
    int rc = 0, step;
    struct yb_cat_record rec;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        yb_cat_record_load(s, &rec);
        rc = fn(&rec, arg);
        if (rc)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = yb_cat_store_fail(st, "reading the mappings");
    sqlite3_finalize(s);
    return rc;
}

#define SELECT_RECORDS "SELECT " RECORD_COLUMNS " FROM catalog_mapping AS m WHERE "
#define ONE_PLACE " AND m.fixmedins_code = ?1"
/* a revoked row with no later row of its key: the key's last word */
/* (a current row is always newer than a closed one of its key) */
#define LAST_REVOKED                                                                               \
    "m.closed_reason = 'revoked' AND NOT EXISTS (SELECT 1 FROM catalog_mapping AS n "              \
    "WHERE n.fixmedins_code = m.fixmedins_code AND n.hilist_id = m.hilist_id AND "                 \
    "n.closed_at IS NULL) AND NOT EXISTS (SELECT 1 FROM catalog_mapping AS n "                     \
    "WHERE n.fixmedins_code = m.fixmedins_code AND n.hilist_id = m.hilist_id AND "                 \
    "n.closed_at IS NOT NULL AND n.id > m.id)"

int yb_cat_store_each_current(struct yb_cat_store *st, const char *fixmedins, yb_cat_each_fn fn,
                              void *arg)
{
    return walk(st,
                fixmedins ? SELECT_RECORDS "m.closed_at IS NULL" ONE_PLACE
                                           " ORDER BY m.fixmedins_code, m.hilist_id"
                          : SELECT_RECORDS "m.closed_at IS NULL ORDER BY m.fixmedins_code, "
                                           "m.hilist_id",
                fixmedins, NULL, -1, fn, arg);
}

int yb_cat_store_each_latest(struct yb_cat_store *st, const char *fixmedins, yb_cat_each_fn fn,
                             void *arg)
{
    return walk(st,
                fixmedins ? SELECT_RECORDS "m.closed_at IS NULL" ONE_PLACE
                                           " UNION ALL " SELECT_RECORDS LAST_REVOKED ONE_PLACE
                          : SELECT_RECORDS
                    "m.closed_at IS NULL UNION ALL " SELECT_RECORDS LAST_REVOKED,
                fixmedins, NULL, -1, fn, arg);
}

int yb_cat_store_history(struct yb_cat_store *st, const char *fixmedins, const char *hilist_id,
                         yb_cat_each_fn fn, void *arg)
{
    /* two halves, so that each uses its partial index */
    return walk(st,
                SELECT_RECORDS "m.fixmedins_code = ?1 AND m.hilist_id = ?2 AND m.closed_at IS NULL "
                               "UNION ALL " SELECT_RECORDS
                               "m.fixmedins_code = ?1 AND m.hilist_id = ?2 AND "
                               "m.closed_at IS NOT NULL ORDER BY 1 DESC",
                nz(fixmedins), nz(hilist_id), -1, fn, arg);
}

int yb_cat_store_each_national(struct yb_cat_store *st, const char *fixmedins,
                               const char *med_list_codg, yb_cat_each_fn fn, void *arg)
{
    return walk(st,
                fixmedins ? SELECT_RECORDS "m.closed_at IS NULL AND m.med_list_codg = ?2" ONE_PLACE
                                           " ORDER BY m.fixmedins_code, m.hilist_id"
                          : SELECT_RECORDS "m.closed_at IS NULL AND m.med_list_codg = ?2 "
                                           "ORDER BY m.fixmedins_code, m.hilist_id",
                fixmedins, nz(med_list_codg), -1, fn, arg);
}

int yb_cat_store_each_sync(struct yb_cat_store *st, const char *fixmedins, int sync,
                           yb_cat_each_fn fn, void *arg)
{
    return walk(st,
                fixmedins ? SELECT_RECORDS "m.closed_at IS NULL AND m.sync = ?3" ONE_PLACE
                                           " ORDER BY m.id"
                          : SELECT_RECORDS "m.closed_at IS NULL AND m.sync = ?3 ORDER BY m.id",
                fixmedins, NULL, sync < 0 ? 0 : sync, fn, arg);
}

/* Run a query of one row of up to four counts into OUT. */
static int count_query(struct yb_cat_store *st, const char *sql, const char *fixmedins,
                       uint64_t *out[], int n)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(yb_cat_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
        return yb_cat_store_fail(st, "preparing a count");
    if (fixmedins)
        sqlite3_bind_text(s, 1, fixmedins, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    for (int i = 0; step == SQLITE_ROW && i < n; i++)
        *out[i] = (uint64_t)sqlite3_column_int64(s, i);
    sqlite3_finalize(s);
    return step == SQLITE_ROW ? 0 : yb_cat_store_fail(st, "counting the mappings");
}

int yb_cat_store_counts(struct yb_cat_store *st, const char *fixmedins, struct yb_cat_counts *out)
{
    memset(out, 0, sizeof(*out));
    uint64_t *current[] = {&out->current, &out->unsynced, &out->synced, &out->rejected};
    uint64_t *closed[] = {&out->closed}, *revoked[] = {&out->revoked};
    uint64_t *places[] = {&out->institutions};
    const char *place = fixmedins ? ONE_PLACE : "";
    char sql[4][512];
    snprintf(sql[0], sizeof(sql[0]),
             "SELECT count(*), sum(m.sync = 0), sum(m.sync = 1), sum(m.sync = 2) FROM "
             "catalog_mapping AS m WHERE m.closed_at IS NULL%s",
             place);
    snprintf(sql[1], sizeof(sql[1]),
             "SELECT count(*) FROM catalog_mapping AS m WHERE m.closed_at IS NOT NULL%s", place);
    snprintf(sql[2], sizeof(sql[2]), "SELECT count(*) FROM catalog_mapping AS m WHERE %s%s",
             LAST_REVOKED, place);
    snprintf(sql[3], sizeof(sql[3]),
             "SELECT count(DISTINCT m.fixmedins_code) FROM catalog_mapping AS m WHERE 1%s", place);
    int rc = count_query(st, sql[0], fixmedins, current, 4);
    if (rc == 0)
        rc = count_query(st, sql[1], fixmedins, closed, 1);
    if (rc == 0)
        rc = count_query(st, sql[2], fixmedins, revoked, 1);
    if (rc == 0)
        rc = count_query(st, sql[3], fixmedins, places, 1);
    return rc;
}
