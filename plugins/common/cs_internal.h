/*
 * cs_internal.h - what the parts of libybcodeset share and nobody else
 * sees. Each section belongs to the file that implements it.
 */
#ifndef YBGW_CS_INTERNAL_H
#define YBGW_CS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "codeset.h"

/* ---- cs_table.c: the hash of a code, also used by cs_import.c ------------ */

/* A multiply-and-rotate hash over 8-byte words (in the spirit of wyhash and
 * murmur's finaliser): codes are short, and a byte-at-a-time hash such as
 * FNV-1a would cost as much as the rest of a lookup. */
static inline uint64_t yb_cs_hash(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    uint64_t w;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n) {
        w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* ---- cs_db.c: the code-table database, for cs_import.c ------------------ */

#define YB_CS_DB_BUSY_MS 10000 /* how long to wait for another writer */

/* Open the database at PATH. With create, a missing file is created;
 * without, it is YB_ENOENT. readonly opens with SQLITE_OPEN_READONLY.
 * Sets the busy timeout. On failure *db is NULL and err is set. */
int yb_cs_db_open(const char *path, int readonly, int create, sqlite3 **db, char *err,
                  size_t errcap);

/* Create code_version and code_entry if they do not exist. */
int yb_cs_db_schema(sqlite3 *db, const char *path, char *err, size_t errcap);

/* Run SQL (no results wanted); on failure err says what failed. */
int yb_cs_db_exec(sqlite3 *db, const char *sql, const char *path, char *err, size_t errcap);

/* Make VERSION (which exists) the only active version of STANDARD, inside
 * the caller's transaction. */
int yb_cs_db_set_active(sqlite3 *db, const char *path, const char *standard, const char *version,
                        char *err, size_t errcap);

/* Write date D (yyyymmdd, non-zero) as "yyyy-mm-dd" into buf. */
void yb_cs_date_text(uint32_t d, char buf[11]);

/* Set err to a formatted message (truncated to errcap). */
void yb_cs_err(char *err, size_t errcap, const char *fmt, ...) YB_PRINTF(3, 4);

/* ---- cs_import.c ----------------------------------------------------------- */

/* Rows sorted and inserted together (tests lower it to cover several
 * batches in a small file). */
extern size_t yb_cs_import_batch_rows;

#endif
