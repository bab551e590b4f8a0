/*
 * cs_internal.h - what the parts of libybcodeset share and nobody else
 * sees. Each section belongs to the file that implements it.
 */
#ifndef YBGW_CS_INTERNAL_H
#define YBGW_CS_INTERNAL_H

#include <stddef.h>
#include <stdio.h>
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

/* ---- cs_csv.c: the official table files, for cs_import.c ---------------- */

#define YB_CS_RECORD_MAX (64 * 1024) /* bytes in one record */
#define YB_CS_MAX_COLUMNS 64

/* The fields a table's columns map to (columns.tsv names them so). */
enum yb_cs_field { F_CODE, F_NAME, F_BEGIN, F_END, F_FLAGS, F_REFS, F_COUNT };
extern const char *const yb_cs_field_names[F_COUNT];

struct alias {
    int field;  /* enum field, or -1 for a flag column */
    char *word; /* the flag word of a flag column */
    char *header;
};

struct columns {
    struct alias *v;
    size_t n, cap;
};

/* Load PATH (columns.tsv: "field<TAB>headers", aliases separated by |;
 * flag:WORD=HEADER or a flag:WORD line for flag columns). NULL PATH: the
 * plain field names only. */
int yb_cs_columns_load(struct columns *c, const char *path, char *err, size_t errcap);
void yb_cs_columns_free(struct columns *c);

/* A header name matches an alias: ASCII letters without case, other bytes
 * exactly. */
int yb_cs_same_name(const char *a, size_t alen, const char *b, size_t blen);
int yb_cs_is_blank(unsigned char c);

struct reader {
    FILE *f;
    unsigned char *buf;
    size_t pos, len;
    int eof, error;
    int tsv;
    uint64_t line;   /* physical line of the next byte, from 1 */
    uint64_t offset; /* file offset of the next byte */
    /* the record just read */
    uint64_t rec_line, rec_offset;
    char *raw; /* its bytes as in the file, without the line end */
    size_t raw_len;
    char *text; /* the field values, each NUL-terminated */
    size_t text_len;
    size_t start[YB_CS_MAX_COLUMNS], end[YB_CS_MAX_COLUMNS];
    size_t n_fields;
    int too_long, too_many, open_quote;
};

/* Open PATH for reading records (skips a UTF-8 BOM, decides CSV or TSV). */
int yb_cs_reader_open(struct reader *r, const char *path, char *err, size_t errcap);
void yb_cs_reader_close(struct reader *r);
/* Read the next record: 1 (a record), 0 (end of file) or YB_EIO. */
int yb_cs_reader_next(struct reader *r);
/* Field I of the record (trimmed, NUL-terminated), "" if absent. */
const char *yb_cs_field(const struct reader *r, int i, size_t *len);
/* Write the record just read to a reject file F as one line,
 * "LINE<TAB>REASON<TAB>record", with tabs and line ends in REASON turned to
 * blanks (REASON is modified) and a line end inside the record written as
 * \n or \r. Returns 0, or YB_EIO when F reports an error. */
int yb_cs_reject_line(FILE *f, const struct reader *r, char *reason);
/* The offset of the first byte that is not valid UTF-8, or LEN. */
size_t yb_cs_utf8_invalid_at(const unsigned char *s, size_t len);

/* ---- cs_import.c ----------------------------------------------------------- */

/* Rows sorted and inserted together (tests lower it to cover several
 * batches in a small file). */
extern size_t yb_cs_import_batch_rows;

#endif
