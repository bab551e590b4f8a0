/*
 * cs_import.c - importing an official code table (CSV or TSV) into the
 * code-table database as a new version of a standard: yb_cs_import_file.
 *
 * The path of a file through the importer:
 *   1. columns.tsv of the standard says which header names mean which field
 *      (code, name, begin_date, end_date, flags, refs, flag:WORD columns);
 *   2. a streaming reader (cs_csv.c) splits the file into records: CSV per RFC 4180
 *      (quoted fields, doubled quotes, newlines inside quotes), or TSV
 *      (IANA: no quoting) when the first line with a delimiter has a tab.
 *      A record is capped at 64 KiB and 64 fields, so a quote left open
 *      costs one rejected row, not the memory of the machine;
 *   3. the header is the first record that has a code column (up to
 *      HEADER_SCAN records, so a title line above the header, as
 *      spreadsheet exports have, is skipped);
 *   4. each row is trimmed and judged: UTF-8, the code against the rules
 *      (yb_cs_classify gives the kind, yb_cs_match + yb_cs_key the table
 *      key), dates, begin <= end, duplicates, the caller's row_check. A
 *      refused row goes to the reject file with its physical line number
 *      and reason; it does not stop the import;
 *   5. accepted rows collect in a batch (half a million rows), which is
 *      sorted by key and inserted in that order: random inserts cost SQLite
 *      twice as much, and official tables need not be sorted;
 *   6. everything is written in ONE SQLite transaction with one prepared
 *      insert, the code_version row and the activation included: a version
 *      is in the database whole or not at all.
 *
 * Duplicates are found without holding every row in memory: a hash of each
 * key with its line number (12 bytes a slot) says "maybe seen at line N",
 * and the batch or the database confirms.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cs_internal.h"

#define HEADER_SCAN 5 /* records looked at for the header line */

/* ---- Keys already imported -------------------------------------------------- */

/* hash of a key -> line of its row; 0 marks an empty slot. */
struct seen {
    uint64_t *hash;
    uint32_t *line;
    size_t mask, count;
};

static int seen_init(struct seen *s, size_t n)
{
    s->hash = calloc(n, sizeof(uint64_t));
    s->line = calloc(n, sizeof(uint32_t));
    s->mask = n - 1;
    s->count = 0;
    return s->hash && s->line ? 0 : YB_ENOMEM;
}

static void seen_free(struct seen *s)
{
    free(s->hash);
    free(s->line);
}

static uint32_t seen_find(const struct seen *s, uint64_t h)
{
    for (size_t i = h & s->mask; s->hash[i]; i = (i + 1) & s->mask)
        if (s->hash[i] == h)
            return s->line[i];
    return 0;
}

static int seen_add(struct seen *s, uint64_t h, uint64_t line)
{
    if ((s->count + 1) * 10 > (s->mask + 1) * 7) {
        struct seen bigger;
        if (seen_init(&bigger, (s->mask + 1) * 2)) {
            seen_free(&bigger);
            return YB_ENOMEM;
        }
        for (size_t i = 0; i <= s->mask; i++) {
            if (!s->hash[i])
                continue;
            size_t j = s->hash[i] & bigger.mask;
            while (bigger.hash[j])
                j = (j + 1) & bigger.mask;
            bigger.hash[j] = s->hash[i];
            bigger.line[j] = s->line[i];
        }
        bigger.count = s->count;
        seen_free(s);
        *s = bigger;
    }
    size_t i = h & s->mask;
    while (s->hash[i] && s->hash[i] != h)
        i = (i + 1) & s->mask;
    if (!s->hash[i])
        s->count++;
    s->hash[i] = h;
    s->line[i] = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
    return 0;
}

/* ---- The import ------------------------------------------------------------- */

struct importer {
    const struct yb_cs_import *imp;
    char *err;
    size_t errcap;
    struct columns cols;
    struct reader rd;
    int col[F_COUNT]; /* column of each field, or -1 */
    /* every column that maps to refs: a disease list gives its diagnosis
     * and its procedure codes in two columns, and both are references */
    int refs_col[YB_CS_MAX_COLUMNS];
    size_t n_refs_cols;
    int flag_col[YB_CS_MAX_COLUMNS];
    const char *flag_word[YB_CS_MAX_COLUMNS];
    size_t n_flag_cols;
    size_t n_header;
    sqlite3 *db;
    sqlite3_stmt *insert, *exists;
    int in_txn;
    struct seen seen;
    struct yb_cs_table *batch;
    struct sort_item *items;
    size_t n_items, items_cap;
    FILE *rejects;
    char rejects_path[4096];
    char version[64];
    struct timespec t0;
    double last_progress;
    uint64_t rows, rejected;
    char *flags_buf, *refs_buf;
};

static double elapsed(const struct importer *im)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - im->t0.tv_sec) + (double)(now.tv_nsec - im->t0.tv_nsec) / 1e9;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Write one rejected row: LINE<TAB>reason<TAB>raw record. */
static int reject(struct importer *im, const char *fmt, ...) YB_PRINTF(2, 3);
static int reject(struct importer *im, const char *fmt, ...)
{
    if (!im->rejects) {
        im->rejects = fopen(im->rejects_path, "w");
        if (!im->rejects) {
            yb_cs_err(im->err, im->errcap, "cannot write the reject file %s: %s", im->rejects_path,
                      strerror(errno));
            return YB_EIO;
        }
        fprintf(im->rejects,
                "# rows of %s not imported into %s version %s; each line: "
                "LINE<TAB>reason<TAB>row as in the file (a newline inside it written as \\n)\n",
                im->imp->file, im->imp->standard, im->version);
    }
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    im->rejected++;
    if (yb_cs_reject_line(im->rejects, &im->rd, reason)) {
        yb_cs_err(im->err, im->errcap, "cannot write the reject file %s: %s", im->rejects_path,
                  strerror(errno));
        return YB_EIO;
    }
    return 0;
}

/* Append to OUT (cap YB_CS_RECORD_MAX) the words of S split at separators
 * (blanks , ; | and the full-width comma and ideographic comma), joined by
 * SEP. With unique, a word already in OUT is not repeated. */
static size_t add_words(char *out, size_t len, const char *s, char sep, int unique)
{
    const char *p = s;
    while (*p) {
        size_t skip = 0;
        if (*p == ',' || *p == ';' || *p == '|' || yb_cs_is_blank((unsigned char)*p))
            skip = 1;
        else if (strncmp(p, "\xef\xbc\x8c", 3) == 0 || strncmp(p, "\xe3\x80\x81", 3) == 0 ||
                 strncmp(p, "\xef\xbc\x9b", 3) == 0)
            skip = 3;
        if (skip) {
            p += skip;
            continue;
        }
        const char *w = p;
        while (*p && *p != ',' && *p != ';' && *p != '|' && !yb_cs_is_blank((unsigned char)*p) &&
               strncmp(p, "\xef\xbc\x8c", 3) != 0 && strncmp(p, "\xe3\x80\x81", 3) != 0 &&
               strncmp(p, "\xef\xbc\x9b", 3) != 0)
            p++;
        size_t wlen = (size_t)(p - w);
        if (unique) {
            int dup = 0;
            for (const char *q = out; q < out + len;) {
                const char *e = memchr(q, sep, (size_t)(out + len - q));
                size_t qlen = e ? (size_t)(e - q) : (size_t)(out + len - q);
                if (qlen == wlen && memcmp(q, w, wlen) == 0)
                    dup = 1;
                q += qlen + 1;
            }
            if (dup)
                continue;
        }
        if (len + wlen + 2 > YB_CS_RECORD_MAX)
            break;
        if (len)
            out[len++] = sep;
        memcpy(out + len, w, wlen);
        len += wlen;
        out[len] = '\0';
    }
    return len;
}

/* Is a flag column's value a yes? */
static int is_yes(const char *s, size_t len)
{
    static const char *const yes[] = {"是", "y", "yes", "1", "true", "√"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (yb_cs_same_name(s, len, yes[i], strlen(yes[i])))
            return 1;
    return 0;
}

static int parse_date_field(struct importer *im, int f, uint32_t *out, int *rejected)
{
    size_t len;
    const char *s = yb_cs_field(&im->rd, im->col[f], &len);
    if (yb_cs_parse_date(s, out) == 0)
        return 0;
    *rejected = 1;
    return reject(im,
                  "%s \"%.40s\" is not a date; write yyyy-mm-dd (2024-01-31), yyyymmdd "
                  "or leave it empty",
                  yb_cs_field_names[f], s);
}

static void progress(struct importer *im, int last);

static int db_error(struct importer *im, const char *what)
{
    yb_cs_err(im->err, im->errcap, "code-table database %s: %s: %s", im->imp->db_path, what,
              sqlite3_errmsg(im->db));
    return YB_EIO;
}

/* ---- The batch: rows inserted in key order ----------------------------------
 * Rows go into the B-tree of code_entry in key order, a batch at a time:
 * an official table need not be sorted, and random inserts cost SQLite
 * about twice as much as ordered ones. The batch is a yb_cs_table (which
 * also answers "is this key already in the batch?") and an array sorted
 * by the first 32 bytes of the key, as big-endian words. */

size_t yb_cs_import_batch_rows = 512 * 1024;

struct sort_item {
    uint64_t word[4];
    const struct yb_cs_entry *e;
};

static int sort_item_cmp(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    for (int i = 0; i < 4; i++)
        if (a->word[i] != b->word[i])
            return a->word[i] < b->word[i] ? -1 : 1;
    size_t la = strlen(a->e->code), lb = strlen(b->e->code);
    if (la <= 32 || lb <= 32)
        return la < lb ? -1 : la > lb;
    return strcmp(a->e->code + 32, b->e->code + 32);
}

static int batch_add(struct importer *im, const struct yb_cs_entry *e, size_t key_len)
{
    int rc = yb_cs_table_add(im->batch, e);
    if (rc)
        return rc;
    if (im->n_items == im->items_cap) {
        size_t cap = im->items_cap ? im->items_cap * 2 : 4096;
        struct sort_item *items = realloc(im->items, cap * sizeof(*items));
        if (!items)
            return YB_ENOMEM;
        im->items = items;
        im->items_cap = cap;
    }
    struct sort_item *it = &im->items[im->n_items++];
    const unsigned char *k = (const unsigned char *)e->code;
    for (size_t w = 0; w < 4; w++) {
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++) {
            size_t at = w * 8 + i;
            v = (v << 8) | (at < key_len ? k[at] : 0);
        }
        it->word[w] = v;
    }
    it->e = yb_cs_table_find(im->batch, e->code, key_len); /* the table's copy */
    return it->e ? 0 : YB_ENOMEM;
}

/* Insert the batch in key order and, unless it is the last, start a new
 * one. */
static int batch_flush(struct importer *im, int last)
{
    if (im->n_items > 1)
        qsort(im->items, im->n_items, sizeof(*im->items), sort_item_cmp);
    sqlite3_stmt *st = im->insert;
    for (size_t i = 0; i < im->n_items; i++) {
        const struct yb_cs_entry *e = im->items[i].e;
        char begin[11], end[11];
        sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, e->code, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, e->name, -1, SQLITE_STATIC);
        if (e->begin_date) {
            yb_cs_date_text(e->begin_date, begin);
            sqlite3_bind_text(st, 6, begin, 10, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 6);
        }
        if (e->end_date) {
            yb_cs_date_text(e->end_date, end);
            sqlite3_bind_text(st, 7, end, 10, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 7);
        }
        sqlite3_bind_text(st, 8, e->flags, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, e->refs, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step != SQLITE_DONE)
            return db_error(im, "inserting a row");
        if ((i & 4095) == 4095)
            progress(im, 0);
    }
    im->n_items = 0;
    yb_cs_table_free(im->batch);
    im->batch = NULL;
    if (last)
        return 0;
    im->batch = yb_cs_table_new(yb_cs_import_batch_rows);
    if (!im->batch) {
        yb_cs_err(im->err, im->errcap, "out of memory after %llu rows",
                  (unsigned long long)im->rows);
        return YB_ENOMEM;
    }
    return 0;
}

/* Judge and import the record just read. Returns 0 (imported, rejected or
 * skipped) or a negative YB_E* that stops the import. */
static int import_row(struct importer *im)
{
    const struct yb_cs_import *imp = im->imp;
    struct reader *r = &im->rd;
    if (r->too_long)
        return reject(im, "the row is longer than %d KiB (is a quote left open?)",
                      YB_CS_RECORD_MAX / 1024);
    if (r->too_many)
        return reject(im, "the row has more than %d fields", YB_CS_MAX_COLUMNS);
    size_t bad = yb_cs_utf8_invalid_at((const unsigned char *)r->raw, r->raw_len);
    if (bad < r->raw_len)
        return reject(im,
                      "invalid UTF-8 at byte %zu of the row (file offset %llu); save the "
                      "table as UTF-8 (it may be GBK)",
                      bad + 1, (unsigned long long)(r->rec_offset + bad));
    int empty = 1;
    for (size_t i = 0; i < r->n_fields && empty; i++) {
        size_t len;
        yb_cs_field(r, (int)i, &len);
        if (len)
            empty = 0;
    }
    if (empty)
        return 0; /* an empty line, or only delimiters */
    if (r->open_quote)
        return reject(im, "a quoted field opened on line %llu is not closed",
                      (unsigned long long)r->rec_line);
    for (size_t i = im->n_header; i < r->n_fields; i++) {
        size_t len;
        yb_cs_field(r, (int)i, &len);
        if (len)
            return reject(im, "the row has %zu fields but the header has %zu (%s)", r->n_fields,
                          im->n_header,
                          r->tsv ? "a tab inside a value?" : "a value with a comma must be quoted");
    }

    size_t code_len;
    const char *code = yb_cs_field(r, im->col[F_CODE], &code_len);
    if (code_len == 0)
        return reject(im, "the code is empty");
    if (code_len > YB_CS_MAX_CODE)
        return reject(im, "the code is %zu bytes long; no code is longer than %d", code_len,
                      YB_CS_MAX_CODE);
    struct yb_code_verdict v;
    memset(&v, 0, sizeof(v));
    const char *kind = yb_cs_classify(imp->rules, code, code_len, &v);
    if (!kind)
        return reject(im, "code %s: %s", code,
                      v.reason[0] ? v.reason : "not a code of this standard");
    struct yb_cs_shape shape;
    if (!yb_cs_match(imp->rules, kind, code, code_len, &shape, &v))
        return reject(im, "code %s: %s", code, v.reason);
    char key[YB_CS_MAX_CODE + 1];
    size_t key_len = yb_cs_key(imp->rules, &shape, code, code_len, key, sizeof(key));
    if (key_len == 0)
        return reject(im, "code %s has an empty table key", code);

    struct yb_cs_entry e = {.kind = kind, .code = key};
    size_t len;
    e.name = yb_cs_field(r, im->col[F_NAME], &len);
    int rejected = 0, rc = parse_date_field(im, F_BEGIN, &e.begin_date, &rejected);
    if (rc || rejected)
        return rc;
    rc = parse_date_field(im, F_END, &e.end_date, &rejected);
    if (rc || rejected)
        return rc;
    if (e.begin_date && e.end_date && e.begin_date > e.end_date) {
        char b[11], x[11];
        yb_cs_date_text(e.begin_date, b);
        yb_cs_date_text(e.end_date, x);
        return reject(im, "begin_date %s is after end_date %s", b, x);
    }
    size_t flags_len = add_words(im->flags_buf, 0, yb_cs_field(r, im->col[F_FLAGS], &len), ',', 1);
    im->flags_buf[flags_len] = '\0';
    for (size_t i = 0; i < im->n_flag_cols; i++) {
        const char *s = yb_cs_field(r, im->flag_col[i], &len);
        if (is_yes(s, len))
            flags_len = add_words(im->flags_buf, flags_len, im->flag_word[i], ',', 1);
    }
    e.flags = im->flags_buf;
    size_t refs_len = 0;
    for (size_t i = 0; i < im->n_refs_cols; i++)
        refs_len = add_words(im->refs_buf, refs_len, yb_cs_field(r, im->refs_col[i], &len), ' ', 0);
    im->refs_buf[refs_len] = '\0';
    e.refs = im->refs_buf;

    uint64_t h = yb_cs_hash(key, key_len);
    h = h ? h : 1;
    uint32_t first = seen_find(&im->seen, h);
    if (first) {
        /* Maybe seen (the hash says so): in the batch, or in the database. */
        int dup = yb_cs_table_find(im->batch, key, key_len) != NULL;
        if (!dup) {
            sqlite3_bind_text(im->exists, 3, key, (int)key_len, SQLITE_STATIC);
            int step = sqlite3_step(im->exists);
            sqlite3_reset(im->exists);
            if (step != SQLITE_ROW && step != SQLITE_DONE)
                return db_error(im, "looking up a duplicate");
            dup = step == SQLITE_ROW;
        }
        if (dup)
            return reject(im, "duplicate of line %u: code %s is already in this table", first, key);
    }
    if (imp->row_check) {
        char reason[256] = "";
        if (imp->row_check(imp->row_check_arg, &e, reason, sizeof(reason)))
            return reject(im, "%s", reason[0] ? reason : "refused by the row check");
    }
    rc = batch_add(im, &e, key_len);
    if (rc == 0)
        rc = seen_add(&im->seen, h, r->rec_line);
    if (rc) {
        yb_cs_err(im->err, im->errcap, "out of memory after %llu rows",
                  (unsigned long long)im->rows);
        return YB_ENOMEM;
    }
    im->rows++;
    if (yb_cs_table_count(im->batch) >= yb_cs_import_batch_rows)
        return batch_flush(im, 0);
    return 0;
}

/* Map the header record to the fields. 1 if it has a code column, 0 if
 * not, negative on a bad header. */
static int map_header(struct importer *im)
{
    struct reader *r = &im->rd;
    int prio[F_COUNT];
    for (int f = 0; f < F_COUNT; f++) {
        im->col[f] = -1;
        prio[f] = -1;
    }
    im->n_flag_cols = 0;
    im->n_refs_cols = 0;
    for (size_t j = 0; j < r->n_fields; j++) {
        size_t len;
        const char *h = yb_cs_field(r, (int)j, &len);
        for (size_t a = 0; a < im->cols.n; a++) {
            const struct alias *al = &im->cols.v[a];
            if (!yb_cs_same_name(h, len, al->header, strlen(al->header)))
                continue;
            if (al->field < 0) {
                if (im->n_flag_cols < YB_CS_MAX_COLUMNS) {
                    im->flag_col[im->n_flag_cols] = (int)j;
                    im->flag_word[im->n_flag_cols++] = al->word;
                }
            } else if (al->field == F_REFS) {
                if (im->n_refs_cols < YB_CS_MAX_COLUMNS &&
                    (im->n_refs_cols == 0 || im->refs_col[im->n_refs_cols - 1] != (int)j))
                    im->refs_col[im->n_refs_cols++] = (int)j;
                im->col[F_REFS] = (int)j;
            } else if (prio[al->field] < 0 || (size_t)prio[al->field] > a) {
                /* an earlier alias in columns.tsv wins */
                prio[al->field] = (int)a;
                im->col[al->field] = (int)j;
            }
        }
    }
    im->n_header = r->n_fields;
    return im->col[F_CODE] >= 0;
}

/* The error for a file without a code column. */
static void no_code_column(struct importer *im, const char *first_cells)
{
    char expected[512] = "";
    size_t n = 0;
    for (size_t a = 0; a < im->cols.n && n < sizeof(expected) - 1; a++) {
        if (im->cols.v[a].field != F_CODE || im->cols.v[a].word)
            continue;
        int w = snprintf(expected + n, sizeof(expected) - n, "%s\"%s\"", n ? ", " : "",
                         im->cols.v[a].header);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (n >= sizeof(expected))
        n = sizeof(expected) - 1;
    yb_cs_err(im->err, im->errcap,
              "%s has no code column: its header is %s; the code column must be named one of "
              "%s (%s)",
              im->imp->file, first_cells, expected,
              im->imp->columns_path ? im->imp->columns_path : "the default column names");
}

static void header_cells(struct reader *r, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < r->n_fields && n < cap - 1; j++) {
        size_t len;
        const char *h = yb_cs_field(r, (int)j, &len);
        int w =
            snprintf(buf + n, cap - n, "%s\"%.*s\"", j ? ", " : "", (int)(len > 60 ? 60 : len), h);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (!buf[0])
        snprintf(buf, cap, "empty");
}

/* Find the header record; fills im->col. */
static int read_header(struct importer *im)
{
    struct reader *r = &im->rd;
    char first[512] = "";
    int records = 0;
    while (records < HEADER_SCAN) {
        int rc = yb_cs_reader_next(r);
        if (rc < 0) {
            yb_cs_err(im->err, im->errcap, "cannot read the table %s: %s", im->imp->file,
                      strerror(r->error));
            return YB_EIO;
        }
        if (rc == 0)
            break;
        if (r->too_long || r->too_many) {
            yb_cs_err(im->err, im->errcap,
                      "%s:%llu: the header line is longer than %d KiB or has more than %d "
                      "columns",
                      im->imp->file, (unsigned long long)r->rec_line, YB_CS_RECORD_MAX / 1024,
                      YB_CS_MAX_COLUMNS);
            return YB_ELIMIT;
        }
        size_t bad = yb_cs_utf8_invalid_at((const unsigned char *)r->raw, r->raw_len);
        if (bad < r->raw_len) {
            yb_cs_err(im->err, im->errcap,
                      "%s:%llu: the header is not UTF-8 (invalid byte at file offset %llu); "
                      "save the table as UTF-8, e.g. iconv -f GBK -t UTF-8",
                      im->imp->file, (unsigned long long)r->rec_line,
                      (unsigned long long)(r->rec_offset + bad));
            return YB_EINVAL;
        }
        size_t nonempty = 0, len;
        for (size_t j = 0; j < r->n_fields; j++) {
            yb_cs_field(r, (int)j, &len);
            nonempty += len != 0;
        }
        if (nonempty == 0)
            continue; /* empty line */
        records++;
        if (!first[0] || nonempty > 1)
            header_cells(r, first, sizeof(first));
        if (map_header(im) == 1)
            return 0;
        if (nonempty > 1)
            break; /* a real header without a code column, not a title */
    }
    if (records == 0) {
        yb_cs_err(im->err, im->errcap, "%s is empty: a header line is expected", im->imp->file);
        return YB_EINVAL;
    }
    no_code_column(im, first);
    return YB_EINVAL;
}

static int check_version_name(const char *v, char *err, size_t errcap)
{
    size_t len = strlen(v);
    if (len == 0 || len >= sizeof(((struct yb_cs_version *)0)->version)) {
        yb_cs_err(err, errcap, "the version name must be 1 to 63 characters");
        return YB_EINVAL;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p == 0x7f) {
            yb_cs_err(err, errcap, "the version name \"%s\" must not contain blanks", v);
            return YB_EINVAL;
        }
    return 0;
}

static int prepare(struct importer *im, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(im->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(im, "preparing a statement");
    sqlite3_bind_text(*st, 1, im->imp->standard, -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, 2, im->version, -1, SQLITE_STATIC);
    return 0;
}

/* Open the database, start the transaction, refuse an existing version. */
static int begin_db(struct importer *im)
{
    const char *path = im->imp->db_path;
    int rc = yb_cs_db_open(path, 0, 1, &im->db, im->err, im->errcap);
    if (rc)
        return rc;
    /* A large import touches many pages; the default cache is 2 MiB. */
    rc = yb_cs_db_exec(im->db, "PRAGMA cache_size = -131072", path, im->err, im->errcap);
    if (rc == 0)
        rc = yb_cs_db_exec(im->db, "BEGIN IMMEDIATE", path, im->err, im->errcap);
    if (rc)
        return rc;
    im->in_txn = 1;
    rc = yb_cs_db_schema(im->db, path, im->err, im->errcap);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prepare(im, &st, "SELECT 1 FROM code_version WHERE standard = ?1 AND version = ?2");
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step == SQLITE_ROW) {
        yb_cs_err(im->err, im->errcap, "version %s of %s exists; choose another --version",
                  im->version, im->imp->standard);
        return YB_EEXIST;
    }
    if (step != SQLITE_DONE)
        return db_error(im, "looking up the version");
    rc = prepare(im, &im->insert,
                 "INSERT INTO code_entry(standard, version, kind, code, name, begin_date, "
                 "end_date, flags, refs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (rc == 0)
        rc = prepare(im, &im->exists,
                     "SELECT 1 FROM code_entry WHERE standard = ?1 AND version = ?2 AND "
                     "code = ?3");
    return rc;
}

/* Record the version, activate it if asked, commit. */
static int finish_db(struct importer *im)
{
    const struct yb_cs_import *imp = im->imp;
    char at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_stmt *st = NULL;
    int rc = prepare(im, &st,
                     "INSERT INTO code_version(standard, version, source, imported_at, \"rows\", "
                     "rejected, sample, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)");
    if (rc)
        return rc;
    sqlite3_bind_text(st, 3, base_name(imp->file), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)im->rows);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)im->rejected);
    sqlite3_bind_int(st, 7, imp->sample ? 1 : 0);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return db_error(im, "recording the version");
    if (imp->activate) {
        rc = yb_cs_db_set_active(im->db, imp->db_path, imp->standard, im->version, im->err,
                                 im->errcap);
        if (rc)
            return rc;
    }
    sqlite3_finalize(im->insert);
    sqlite3_finalize(im->exists);
    im->insert = im->exists = NULL;
    rc = yb_cs_db_exec(im->db, "COMMIT", imp->db_path, im->err, im->errcap);
    if (rc == 0)
        im->in_txn = 0;
    return rc;
}

static void progress(struct importer *im, int last)
{
    if (!im->imp->progress)
        return;
    double now = elapsed(im);
    if (!last && now - im->last_progress < 1.0)
        return;
    im->last_progress = now;
    im->imp->progress(im->imp->progress_arg, im->rows, im->rejected, now);
}

int yb_cs_import_file(const struct yb_cs_import *imp, struct yb_cs_import_result *res, char *err,
                      size_t errcap)
{
    struct importer im_storage, *im = &im_storage;
    struct yb_cs_import_result res_storage;
    memset(im, 0, sizeof(*im));
    if (!res)
        res = &res_storage;
    memset(res, 0, sizeof(*res));
    if (err && errcap)
        err[0] = '\0';
    if (!imp || !imp->db_path || !imp->standard || !imp->rules || !imp->file) {
        yb_cs_err(err, errcap, "import: the database, standard, rules and file are required");
        return YB_EINVAL;
    }
    im->imp = imp;
    im->err = err;
    im->errcap = errcap;
    clock_gettime(CLOCK_MONOTONIC, &im->t0);
    int rc = 0, keep_rejects = 0, have_rejects = 0;

    if (imp->version) {
        rc = check_version_name(imp->version, err, errcap);
        if (rc)
            goto out;
        snprintf(im->version, sizeof(im->version), "%s", imp->version);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(im->version, sizeof(im->version), "%Y%m%d%H%M%S", &tm);
    }
    int n = imp->rejects_path
                ? snprintf(im->rejects_path, sizeof(im->rejects_path), "%s", imp->rejects_path)
                : snprintf(im->rejects_path, sizeof(im->rejects_path), "%s.rejects", imp->file);
    if (n < 0 || (size_t)n >= sizeof(im->rejects_path) ||
        strcmp(im->rejects_path, imp->file) == 0) {
        yb_cs_err(err, errcap, "bad reject file path for %s", imp->file);
        rc = YB_EINVAL;
        goto out;
    }
    im->flags_buf = malloc(YB_CS_RECORD_MAX + 1);
    im->refs_buf = malloc(YB_CS_RECORD_MAX + 1);
    /* the first batch sized for the file (about 40 bytes a row at least) */
    struct stat st;
    size_t expect = stat(imp->file, &st) == 0 ? (size_t)st.st_size / 40 + 16 : 1024;
    im->batch =
        yb_cs_table_new(expect < yb_cs_import_batch_rows ? expect : yb_cs_import_batch_rows);
    if (!im->flags_buf || !im->refs_buf || !im->batch || seen_init(&im->seen, 1024)) {
        yb_cs_err(err, errcap, "out of memory");
        rc = YB_ENOMEM;
        goto out;
    }
    rc = yb_cs_columns_load(&im->cols, imp->columns_path, err, errcap);
    if (rc)
        goto out;
    rc = yb_cs_reader_open(&im->rd, imp->file, err, errcap);
    if (rc)
        goto out;
    rc = read_header(im);
    if (rc)
        goto out;
    rc = begin_db(im);
    if (rc)
        goto out;

    for (uint64_t records = 1;; records++) {
        rc = yb_cs_reader_next(&im->rd);
        if (rc < 0) {
            yb_cs_err(err, errcap, "cannot read the table %s at line %llu: %s", imp->file,
                      (unsigned long long)im->rd.line, strerror(im->rd.error));
            goto out;
        }
        if (rc == 0)
            break;
        rc = import_row(im);
        if (rc)
            goto out;
        if ((records & 1023) == 0)
            progress(im, 0);
    }
    if (im->rejects) {
        /* Closed before the commit, so a full disk is still an error that
         * leaves nothing imported. */
        int closed = fclose(im->rejects);
        im->rejects = NULL;
        have_rejects = 1;
        if (closed != 0) {
            yb_cs_err(err, errcap, "cannot write the reject file %s: %s", im->rejects_path,
                      strerror(errno));
            rc = YB_EIO;
            goto out;
        }
    }
    if (im->rows == 0 && im->rejected) {
        /* Every row refused: the wrong file or the wrong standard. (A file
         * with a header and no rows imports as an empty version, which the
         * plugins treat as "no table".) */
        yb_cs_err(err, errcap,
                  "no row of %s was accepted (%llu rejected, see %s); nothing imported", imp->file,
                  (unsigned long long)im->rejected, im->rejects_path);
        keep_rejects = 1;
        rc = YB_EINVAL;
        goto out;
    }
    rc = batch_flush(im, 1);
    if (rc)
        goto out;
    rc = finish_db(im);
    if (rc)
        goto out;
    progress(im, 1);
    res->rows = im->rows;
    res->rejected = im->rejected;
    res->seconds = elapsed(im);
    _Static_assert(sizeof(res->version) == sizeof(im->version), "version buffers");
    _Static_assert(sizeof(res->rejects_path) == sizeof(im->rejects_path), "path buffers");
    memcpy(res->version, im->version, sizeof(res->version));
    memcpy(res->rejects_path, im->rejects_path, sizeof(res->rejects_path));
    if (!have_rejects)
        remove(im->rejects_path); /* a reject file from an earlier import */
out:
    sqlite3_finalize(im->insert);
    sqlite3_finalize(im->exists);
    if (im->in_txn)
        sqlite3_exec(im->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(im->db);
    if (im->rejects) {
        fclose(im->rejects);
        have_rejects = 1;
    }
    if (rc && have_rejects && !keep_rejects)
        remove(im->rejects_path);
    yb_cs_reader_close(&im->rd);
    yb_cs_columns_free(&im->cols);
    seen_free(&im->seen);
    yb_cs_table_free(im->batch);
    free(im->items);
    free(im->flags_buf);
    free(im->refs_buf);
    return rc;
}
