/*
 * cat_import.c - a hospital's mapping file into the store, or compared
 * with it (yb_cat_import; catalog.h gives the contract).
 *
 * The path of a file through the import:
 *   1. the CSV/TSV record reader of libybcodeset (cs_csv.c) streams it:
 *      RFC 4180 quoting or TSV, a BOM skipped, a record capped at 64 KiB
 *      and 64 fields, so an unclosed quote costs one row, not the machine;
 *   2. the first non-empty record is the header: 3301 field names in any
 *      order, ASCII case ignored. An unknown or repeated name, or a missing
 *      required one, stops the import before anything is read, so a
 *      misspelt optional column is never silently dropped;
 *   3. each record is judged: the shape of the record, yb_cat_row_check,
 *      the caller's check_row, then "seen before in this file?". A refused
 *      row goes to the reject file (LINE<TAB>reason<TAB>record, as the
 *      code-table importer writes it) and the import goes on;
 *   4. an accepted row goes to the store at once (yb_cat_store_apply: put,
 *      or only the comparison for a dry run), inside ONE transaction that
 *      is committed only when no row was refused (or the caller allows a
 *      partial import). A dry run reads in one read transaction, so its
 *      counts are exactly what the import would do. Rows wait in a batch
 *      and are applied in key order (cat_batch.c); before the first batch
 *      of a big import into a small store the store drops its national
 *      index, and builds it again before the COMMIT
 *      (yb_cat_store_bulk_indexes; a dry run never drops anything).
 *
 * Duplicates are found without keeping the rows (cat_batch.c: a hash of
 * each key, a second check and its line).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cat_internal.h"
#include "catalog.h"
#include "cs_internal.h"

#define PROGRESS_ROWS 4096

/* ---- the import ------------------------------------------------------------- */

struct importer {
    struct yb_cat_store *st;
    const struct yb_cat_import_opts *o;
    struct yb_cat_import_result *res;
    char *err;
    size_t errcap;
    struct reader rd;
    int col[YB_CAT_NFIELDS];      /* the column of each field, or -1 */
    int named[YB_CS_MAX_COLUMNS]; /* header column j has a name */
    size_t n_header;
    struct yb_cat_seen seen;
    struct yb_cat_batch batch;
    FILE *rejects;
    char rejects_path[sizeof(((struct yb_cat_import_result *)0)->reject_path)];
    struct yb_cat_who who;
    char source[300];
    uint64_t total;
    int decided;     /* the store was measured (flush) */
    int apply_flags; /* YB_CAT_APPLY_* for each row */
    int had_rejects; /* a reject file was created */
};

static void err_set(struct importer *im, const char *fmt, ...) YB_PRINTF(2, 3);
static void err_set(struct importer *im, const char *fmt, ...)
{
    if (!im->err || !im->errcap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->err, im->errcap, fmt, ap);
    va_end(ap);
}

/* Write one refused row: LINE<TAB>reason<TAB>record as in the file (a
 * newline inside it written as \n). The file is created by the first. */
static int reject(struct importer *im, const char *fmt, ...) YB_PRINTF(2, 3);
static int reject(struct importer *im, const char *fmt, ...)
{
    char reason[288];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    for (char *p = reason; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    struct yb_cat_import_result *res = im->res;
    if (res->rejected++ == 0)
        snprintf(res->first_reject, sizeof(res->first_reject), "line %llu: %s",
                 (unsigned long long)im->rd.rec_line, reason);
    if (!im->rejects) {
        im->rejects = fopen(im->rejects_path, "w");
        if (!im->rejects) {
            err_set(im, "cannot write the reject file %s: %s", im->rejects_path, strerror(errno));
            return YB_EIO;
        }
        im->had_rejects = 1;
        fprintf(im->rejects,
                "# rows of %s %s; each line: LINE<TAB>reason<TAB>row as in the file (a newline "
                "inside it written as \\n)\n",
                im->o->path, im->o->dry_run ? "an import would refuse" : "not imported");
    }
    if (yb_cs_reject_line(im->rejects, &im->rd, reason)) {
        err_set(im, "cannot write the reject file %s: %s", im->rejects_path, strerror(errno));
        return YB_EIO;
    }
    return 0;
}

/* ---- the header ----------------------------------------------------------- */

static void field_list(char *buf, size_t cap, const int *which)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < YB_CAT_NFIELDS && n < cap; i++) {
        if (which && !which[i])
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", yb_cat_field_names[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/* Map the header record (the record just read) to the fields. */
static int map_header(struct importer *im)
{
    struct reader *r = &im->rd;
    const char *path = im->o->path;
    unsigned long long line = (unsigned long long)r->rec_line;
    char names[400];
    if (r->too_long || r->too_many) {
        err_set(im, "%s:%llu: the header is longer than %d KiB or has more than %d columns", path,
                line, YB_CS_RECORD_MAX / 1024, YB_CS_MAX_COLUMNS);
        return YB_ELIMIT;
    }
    size_t bad = yb_cs_utf8_invalid_at((const unsigned char *)r->raw, r->raw_len);
    if (bad < r->raw_len) {
        err_set(im, "%s:%llu: the header is not UTF-8 (byte %zu); save the file as UTF-8", path,
                line, bad + 1);
        return YB_EINVAL;
    }
    for (int f = 0; f < YB_CAT_NFIELDS; f++)
        im->col[f] = -1;
    for (size_t j = 0; j < r->n_fields; j++) {
        size_t len;
        const char *h = yb_cs_field(r, (int)j, &len);
        im->named[j] = len > 0;
        if (len == 0)
            continue; /* a nameless column (a trailing comma): must stay empty */
        int f = 0;
        while (f < YB_CAT_NFIELDS &&
               !yb_cs_same_name(h, len, yb_cat_field_names[f], strlen(yb_cat_field_names[f])))
            f++;
        if (f == YB_CAT_NFIELDS) {
            field_list(names, sizeof(names), NULL);
            err_set(im,
                    "%s:%llu: unknown column \"%.60s\" (column %zu); the columns are the 3301 "
                    "field names: %s",
                    path, line, h, j + 1, names);
            return YB_EINVAL;
        }
        if (im->col[f] >= 0) {
            err_set(im, "%s:%llu: column %s appears twice (columns %d and %zu)", path, line,
                    yb_cat_field_names[f], im->col[f] + 1, j + 1);
            return YB_EINVAL;
        }
        im->col[f] = (int)j;
    }
    im->n_header = r->n_fields;
    int missing[YB_CAT_NFIELDS] = {0}, n_missing = 0;
    for (int f = 0; f <= YB_CAT_ENDDATE; f++) {
        if (im->col[f] >= 0 ||
            (f == YB_CAT_FIXMEDINS_CODE && im->o->fixmedins && *im->o->fixmedins))
            continue;
        missing[f] = 1;
        n_missing++;
    }
    if (n_missing) {
        field_list(names, sizeof(names), missing);
        err_set(im, "%s:%llu: required column%s missing: %s%s", path, line,
                n_missing > 1 ? "s" : "", names,
                missing[YB_CAT_FIXMEDINS_CODE] ? " (fixmedins_code may instead be given as the "
                                                 "institution of the whole file, --fixmedins)"
                                               : "");
        return YB_EINVAL;
    }
    return 0;
}

static int read_header(struct importer *im)
{
    struct reader *r = &im->rd;
    for (;;) {
        int rc = yb_cs_reader_next(r);
        if (rc < 0) {
            err_set(im, "cannot read %s: %s", im->o->path, strerror(r->error));
            return YB_EIO;
        }
        if (rc == 0) {
            err_set(im, "%s is empty: a header line with the 3301 field names is expected",
                    im->o->path);
            return YB_EINVAL;
        }
        for (size_t j = 0; j < r->n_fields; j++) {
            size_t len;
            yb_cs_field(r, (int)j, &len);
            if (len)
                return map_header(im);
        }
    }
}

/* ---- one row ------------------------------------------------------------- */

/* Stop on a non-zero answer of the caller's on_change. */
static int changed(struct importer *im, const struct yb_cat_record *old,
                   const struct yb_cat_row *row, int outcome, uint64_t line)
{
    const struct yb_cat_import_opts *o = im->o;
    if (!o->on_change)
        return 0;
    int rc = o->on_change(old, row, outcome, line, o->arg);
    if (rc == 0)
        return 0;
    err_set(im, "%s:%llu: the import was stopped by its caller", o->path, (unsigned long long)line);
    return rc < 0 ? rc : YB_EINVAL;
}

/* Judge the record just read and queue it: 0 (queued, refused or an empty
 * line) or a negative YB_E* that stops the import. */
static int import_row(struct importer *im)
{
    const struct yb_cat_import_opts *o = im->o;
    struct reader *r = &im->rd;
    struct yb_cat_import_result *res = im->res;
    size_t len;
    int empty = !r->too_long && !r->too_many;
    for (size_t i = 0; i < r->n_fields && empty; i++)
        empty = yb_cs_field(r, (int)i, &len)[0] == '\0';
    if (empty)
        return 0; /* an empty line, or only delimiters */
    res->rows++;
    if (r->too_long)
        return reject(im, "the row is longer than %d KiB (is a quote left open?)",
                      YB_CS_RECORD_MAX / 1024);
    if (r->too_many)
        return reject(im, "the row has more than %d fields", YB_CS_MAX_COLUMNS);
    if (r->open_quote)
        return reject(im, "a quoted field opened on line %llu is not closed at the end of the file",
                      (unsigned long long)r->rec_line);
    /* (yb_cat_row_check checks the UTF-8 of every value used; the others
     * must be empty) */
    for (size_t j = 0; j < r->n_fields; j++) {
        yb_cs_field(r, (int)j, &len);
        if (len && (j >= im->n_header || !im->named[j]))
            return reject(im, "column %zu has a value but no name in the header", j + 1);
    }
    struct yb_cat_row row;
    for (int f = 0; f < YB_CAT_NFIELDS; f++)
        row.f[f] = im->col[f] >= 0 ? yb_cs_field(r, im->col[f], &len) : NULL;
    if ((!row.f[YB_CAT_FIXMEDINS_CODE] || !*row.f[YB_CAT_FIXMEDINS_CODE]) && o->fixmedins)
        row.f[YB_CAT_FIXMEDINS_CODE] = o->fixmedins;
    char why[256];
    if (yb_cat_row_check(&row, o->list_types, why, sizeof(why)))
        return reject(im, "%s", why);
    char begin[11], end[11];
    if (yb_cat_date_norm(row.f[YB_CAT_BEGNDATE], begin) ||
        yb_cat_date_norm(row.f[YB_CAT_ENDDATE], end))
        return reject(im, "begndate: not a date"); /* row_check said otherwise: cannot happen */
    row.f[YB_CAT_BEGNDATE] = begin;
    row.f[YB_CAT_ENDDATE] = end;
    if (o->check_row) {
        why[0] = '\0';
        if (o->check_row(&row, why, sizeof(why), o->arg))
            return reject(im, "%s", why[0] ? why : "refused by the row check");
    }
    /* the key: institution, NUL, local code (each at most 30 characters) */
    char key[2 * 4 * 30 + 2];
    const char *place = row.f[YB_CAT_FIXMEDINS_CODE], *local = row.f[YB_CAT_HILIST_ID];
    size_t plen = strlen(place), llen = strlen(local);
    if (plen + llen + 2 > sizeof(key))
        return reject(im, "fixmedins_hilist_id: too long");
    memcpy(key, place, plen + 1);
    memcpy(key + plen + 1, local, llen + 1);
    uint64_t hash = yb_cs_hash(key, plen + 1 + llen);
    uint32_t check = (uint32_t)(yb_cs_hash(key, plen + llen + 2) >> 32);
    hash = hash ? hash : 1;
    int error = 0;
    uint32_t first = yb_cat_seen_check(&im->seen, hash, check, r->rec_line, &error);
    if (first)
        return reject(im, "fixmedins_hilist_id %s already appears on line %u%s%s", local, first,
                      im->col[YB_CAT_FIXMEDINS_CODE] >= 0 ? " for " : "",
                      im->col[YB_CAT_FIXMEDINS_CODE] >= 0 ? place : "");
    if (error || yb_cat_batch_add(&im->batch, &row, r->rec_line)) {
        err_set(im, "out of memory after %llu rows", (unsigned long long)res->rows);
        return YB_ENOMEM;
    }
    return 0;
}

/* Apply the batch to the store (or compare it, for a dry run) in key
 * order, and empty it. */
static int flush(struct importer *im)
{
    const struct yb_cat_import_opts *o = im->o;
    struct yb_cat_import_result *res = im->res;
    struct yb_cat_batch *b = &im->batch;
    if (!im->decided) {
        /* once, before the first row is applied: the store's size now */
        uint64_t have = 0, expected = res->rows;
        if (im->rd.offset > 0 &&
            im->total > im->rd.offset) /* the whole file, from the bytes read */
            expected = (uint64_t)((double)res->rows * (double)im->total / (double)im->rd.offset);
        int dropped = 0, rc = yb_cat_store_rows(im->st, &have);
        if (rc == 0 && !o->dry_run)
            rc = yb_cat_store_bulk_indexes(im->st, expected, have, &dropped);
        if (rc) {
            err_set(im, "%s", yb_cat_store_error(im->st));
            return rc;
        }
        im->decided = 1;
        /* an empty store has no current row for any key, and the file has
         * each key once (im->seen) */
        im->apply_flags = (o->dry_run ? YB_CAT_APPLY_DRY : 0) | (have == 0 ? YB_CAT_APPLY_NEW : 0);
    }
    yb_cat_batch_sort(b);
    for (size_t k = 0; k < b->n; k++) {
        const struct yb_cat_pending *p = &b->rows[b->order[k].row];
        struct yb_cat_row row;
        for (int i = 0; i < YB_CAT_NFIELDS; i++)
            row.f[i] = p->off[i] == YB_CAT_ABSENT ? NULL : b->arena + p->off[i];
        int outcome = 0;
        const struct yb_cat_record *old = NULL;
        int rc =
            yb_cat_store_apply(im->st, &row, o->sync, &im->who, im->apply_flags, &outcome, &old);
        if (rc) {
            err_set(im, "%s:%llu: %s", o->path, (unsigned long long)p->line,
                    yb_cat_store_error(im->st));
            return rc;
        }
        if (outcome == YB_CAT_SAME) {
            res->same++;
            continue;
        }
        if (outcome == YB_CAT_ADDED)
            res->added++;
        else
            res->changed++;
        rc = changed(im, old, &row, outcome, p->line);
        if (rc)
            return rc;
    }
    b->n = b->len = b->n_places = b->last_place = 0;
    return 0;
}

static void progress(struct importer *im)
{
    if (im->o->on_progress)
        im->o->on_progress(im->rd.offset, im->total, im->res->rows, im->o->arg);
}

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The rows, in the transaction begun by the caller. */
static int read_rows(struct importer *im)
{
    for (uint64_t records = 1;; records++) {
        int rc = yb_cs_reader_next(&im->rd);
        if (rc < 0) {
            err_set(im, "cannot read %s at line %llu: %s", im->o->path,
                    (unsigned long long)im->rd.line, strerror(im->rd.error));
            return YB_EIO;
        }
        if (rc == 0)
            return flush(im);
        rc = import_row(im);
        if (rc == 0 && yb_cat_batch_full(&im->batch))
            rc = flush(im);
        if (rc)
            return rc;
        if (records % PROGRESS_ROWS == 0)
            progress(im);
    }
}

int yb_cat_import(struct yb_cat_store *st, const struct yb_cat_import_opts *opts,
                  struct yb_cat_import_result *res, char *err, size_t errcap)
{
    struct importer im_storage, *im = &im_storage;
    struct yb_cat_import_result res_storage;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(im, 0, sizeof(*im));
    if (!res)
        res = &res_storage;
    memset(res, 0, sizeof(*res));
    if (err && errcap)
        err[0] = '\0';
    im->st = st;
    im->o = opts;
    im->res = res;
    im->err = err;
    im->errcap = errcap;
    int rc = YB_EINVAL, in_txn = 0, bulk = 0;
    if (!st || !opts || !opts->path || !*opts->path) {
        err_set(im, "import: a store and a file are required");
        return YB_EINVAL;
    }
    int n = opts->reject_path && *opts->reject_path
                ? snprintf(im->rejects_path, sizeof(im->rejects_path), "%s", opts->reject_path)
                : snprintf(im->rejects_path, sizeof(im->rejects_path), "%s.rejects", opts->path);
    if (n < 0 || (size_t)n >= sizeof(im->rejects_path) ||
        strcmp(im->rejects_path, opts->path) == 0) {
        err_set(im, "bad reject file path for %s (too long, or the file itself)", opts->path);
        return YB_EINVAL;
    }
    if (opts->who) {
        im->who = *opts->who;
    } else {
        snprintf(im->source, sizeof(im->source), "import %s", opts->path);
        im->who.by = "import";
        im->who.source = im->source;
    }
    rc = yb_cs_reader_open(&im->rd, opts->path, err, errcap);
    if (rc)
        goto fail;
    struct stat sb;
    im->total = stat(opts->path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    /* about 100 bytes a row: a table that rarely grows */
    if (yb_cat_seen_init(&im->seen, (size_t)(im->total / 100 * 10 / 7) + 1024)) {
        err_set(im, "out of memory");
        rc = YB_ENOMEM;
        goto fail;
    }
    rc = read_header(im);
    if (rc)
        goto fail;
    rc = opts->dry_run ? yb_cat_store_begin_read(st) : yb_cat_store_begin(st);
    if (rc) {
        err_set(im, "%s", yb_cat_store_error(st));
        goto fail;
    }
    in_txn = 1;
    yb_cat_store_bulk(st, 1);
    bulk = 1;
    rc = read_rows(im);
    if (rc)
        goto fail;
    if (im->rejects) {
        /* closed before the commit, so a full disk still leaves nothing */
        int closed = fclose(im->rejects);
        im->rejects = NULL;
        if (closed != 0) {
            err_set(im, "cannot write the reject file %s: %s", im->rejects_path, strerror(errno));
            rc = YB_EIO;
            goto fail;
        }
        memcpy(res->reject_path, im->rejects_path, sizeof(res->reject_path));
    } else {
        remove(im->rejects_path); /* the reject file of an earlier import */
    }
    int commit = !opts->dry_run && (res->rejected == 0 || opts->partial);
    rc = commit ? yb_cat_store_commit(st) : yb_cat_store_rollback(st);
    if (rc) {
        err_set(im, "%s", yb_cat_store_error(st));
        goto fail;
    }
    in_txn = 0;
    res->committed = commit;
    yb_cat_store_bulk(st, 0);
    progress(im);
    yb_cs_reader_close(&im->rd);
    free(im->seen.v);
    yb_cat_batch_free(&im->batch);
    res->seconds = since(&t0);
    return 0;
fail:
    if (in_txn)
        yb_cat_store_rollback(st);
    if (bulk)
        yb_cat_store_bulk(st, 0);
    if (im->rejects)
        fclose(im->rejects);
    if (im->had_rejects)
        remove(im->rejects_path); /* incomplete: the import failed */
    res->reject_path[0] = '\0';
    res->committed = 0;
    yb_cs_reader_close(&im->rd);
    free(im->seen.v);
    yb_cat_batch_free(&im->batch);
    res->seconds = since(&t0);
    return rc;
}
