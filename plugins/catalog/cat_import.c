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
 *      counts are exactly what the import would do.
 *
 * Duplicates are found without keeping the rows: a hash of each accepted
 * key (fixmedins_code, local code) with a second, independent 32-bit check
 * and its line (16 bytes a slot, about 24 MB for a million rows). Two
 * different keys would have to agree on 96 bits to be taken for one.
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

/* ---- keys seen in this file ------------------------------------------------- */

struct slot {
    uint64_t hash; /* 0: empty */
    uint32_t check;
    uint32_t line;
};

struct seen {
    struct slot *v;
    size_t mask, count;
};

static int seen_init(struct seen *s, size_t want)
{
    size_t n = 1024;
    while (n < want && n < ((size_t)1 << 30))
        n *= 2;
    s->v = calloc(n, sizeof(*s->v));
    s->mask = n - 1;
    s->count = 0;
    return s->v ? 0 : YB_ENOMEM;
}

/* The line of the key with HASH and CHECK if it was seen, else 0 after
 * adding it with LINE (or YB_ENOMEM as *error). One probe for both. */
static uint32_t seen_check(struct seen *s, uint64_t hash, uint32_t check, uint64_t line, int *error)
{
    if ((s->count + 1) * 10 > (s->mask + 1) * 7) {
        struct seen bigger;
        if (seen_init(&bigger, (s->mask + 1) * 2)) {
            *error = YB_ENOMEM;
            return 0;
        }
        for (size_t i = 0; i <= s->mask; i++) {
            if (!s->v[i].hash)
                continue;
            size_t j = s->v[i].hash & bigger.mask;
            while (bigger.v[j].hash)
                j = (j + 1) & bigger.mask;
            bigger.v[j] = s->v[i];
        }
        bigger.count = s->count;
        free(s->v);
        *s = bigger;
    }
    size_t i = hash & s->mask;
    for (; s->v[i].hash; i = (i + 1) & s->mask)
        if (s->v[i].hash == hash && s->v[i].check == check)
            return s->v[i].line;
    s->v[i].hash = hash;
    s->v[i].check = check;
    s->v[i].line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
    s->count++;
    return 0;
}

/* ---- the batch: rows applied in key order -------------------------------------
 * Accepted rows wait in a batch and go to the store sorted by (institution,
 * local code), the order of the store's key index: SQLite pays about four
 * times as much for an index insert at a random place as for one next to
 * the last, and a hospital's file need not be sorted. */

#define BATCH_ROWS (256 * 1024)
#define BATCH_BYTES ((size_t)48 << 20)
#define ABSENT UINT32_MAX

#define MAX_PLACES 4096 /* institutions in one batch */

struct pending {
    uint32_t off[YB_CAT_NFIELDS]; /* of each value in the arena, or ABSENT */
    uint32_t place;               /* index in batch.places */
    uint64_t line;
};

struct order {
    uint64_t word[2]; /* the first 16 bytes of the local code, big-endian */
    uint32_t place;   /* the rank of the institution */
    uint32_t row;
};

struct batch {
    char *arena;
    size_t len, cap;
    struct pending *rows;
    struct order *order;
    size_t n, rows_cap;
    /* the institutions of the batch (a file has one, or a few) */
    uint32_t place_off[MAX_PLACES], place_rank[MAX_PLACES];
    size_t n_places, last_place;
};

static void batch_free(struct batch *b)
{
    free(b->arena);
    free(b->rows);
    free(b->order);
}

/* The index of the institution PLACE in the batch, or -1 when the batch
 * has too many and must be applied first. */
static long place_index(struct batch *b, const char *place)
{
    if (b->n_places && strcmp(b->arena + b->place_off[b->last_place], place) == 0)
        return (long)b->last_place;
    for (size_t i = 0; i < b->n_places; i++)
        if (strcmp(b->arena + b->place_off[i], place) == 0)
            return (long)(b->last_place = i);
    return -1;
}

/* Copy ROW (read on LINE) into the batch. */
static int batch_add(struct batch *b, const struct yb_cat_row *row, uint64_t line)
{
    if (b->n == b->rows_cap) {
        size_t cap = b->rows_cap ? b->rows_cap * 2 : 4096;
        struct pending *rows = realloc(b->rows, cap * sizeof(*rows));
        if (!rows)
            return YB_ENOMEM;
        b->rows = rows;
        struct order *order = realloc(b->order, cap * sizeof(*order));
        if (!order)
            return YB_ENOMEM;
        b->order = order;
        b->rows_cap = cap;
    }
    size_t need = 0, len[YB_CAT_NFIELDS];
    for (int i = 0; i < YB_CAT_NFIELDS; i++) {
        len[i] = row->f[i] ? strlen(row->f[i]) : 0;
        need += row->f[i] ? len[i] + 1 : 0;
    }
    if (b->len + need > b->cap) {
        size_t cap = b->cap ? b->cap : (size_t)1 << 20;
        while (cap < b->len + need)
            cap *= 2;
        char *arena = realloc(b->arena, cap);
        if (!arena)
            return YB_ENOMEM;
        b->arena = arena;
        b->cap = cap;
    }
    struct pending *p = &b->rows[b->n++];
    long place = place_index(b, row->f[YB_CAT_FIXMEDINS_CODE]);
    if (place < 0) {
        b->last_place = b->n_places++;
        place = (long)b->last_place;
        b->place_off[place] = (uint32_t)b->len; /* the value copied below */
    }
    p->place = (uint32_t)place;
    for (int i = 0; i < YB_CAT_NFIELDS; i++) {
        if (!row->f[i]) {
            p->off[i] = ABSENT;
            continue;
        }
        p->off[i] = (uint32_t)b->len;
        memcpy(b->arena + b->len, row->f[i], len[i] + 1);
        b->len += len[i] + 1;
    }
    p->line = line;
    return 0;
}

static int batch_full(const struct batch *b)
{
    return b->n >= BATCH_ROWS || b->len >= BATCH_BYTES || b->n_places == MAX_PLACES;
}

static int order_cmp(const void *pa, const void *pb, void *arg)
{
    const struct order *a = pa, *b = pb;
    const struct batch *batch = arg;
    if (a->place != b->place)
        return a->place < b->place ? -1 : 1;
    for (int i = 0; i < 2; i++)
        if (a->word[i] != b->word[i])
            return a->word[i] < b->word[i] ? -1 : 1;
    return strcmp(batch->arena + batch->rows[a->row].off[YB_CAT_HILIST_ID],
                  batch->arena + batch->rows[b->row].off[YB_CAT_HILIST_ID]);
}

static int place_cmp(const void *pa, const void *pb, void *arg)
{
    const struct batch *b = arg;
    return strcmp(b->arena + b->place_off[*(const uint32_t *)pa],
                  b->arena + b->place_off[*(const uint32_t *)pb]);
}

/* Sort the batch by key (the rows themselves stay where they are). */
static void batch_sort(struct batch *b)
{
    uint32_t by_name[MAX_PLACES];
    for (size_t i = 0; i < b->n_places; i++)
        by_name[i] = (uint32_t)i;
    if (b->n_places > 1)
        qsort_r(by_name, b->n_places, sizeof(by_name[0]), place_cmp, b);
    for (size_t i = 0; i < b->n_places; i++)
        b->place_rank[by_name[i]] = (uint32_t)i;
    for (size_t r = 0; r < b->n; r++) {
        struct order *o = &b->order[r];
        o->place = b->place_rank[b->rows[r].place];
        o->row = (uint32_t)r;
        const unsigned char *k = (const unsigned char *)b->arena + b->rows[r].off[YB_CAT_HILIST_ID];
        size_t at = 0;
        for (int w = 0; w < 2; w++) {
            uint64_t v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | k[at];
                at += k[at] != 0; /* past the end: zeros */
            }
            o->word[w] = v;
        }
    }
    if (b->n > 1)
        qsort_r(b->order, b->n, sizeof(*b->order), order_cmp, b);
}

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
    struct seen seen;
    struct batch batch;
    FILE *rejects;
    char rejects_path[sizeof(((struct yb_cat_import_result *)0)->reject_path)];
    struct yb_cat_who who;
    char source[300];
    uint64_t total;
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
    uint32_t first = seen_check(&im->seen, hash, check, r->rec_line, &error);
    if (first)
        return reject(im, "fixmedins_hilist_id %s already appears on line %u%s%s", local, first,
                      im->col[YB_CAT_FIXMEDINS_CODE] >= 0 ? " for " : "",
                      im->col[YB_CAT_FIXMEDINS_CODE] >= 0 ? place : "");
    if (error || batch_add(&im->batch, &row, r->rec_line)) {
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
    struct batch *b = &im->batch;
    batch_sort(b);
    for (size_t k = 0; k < b->n; k++) {
        const struct pending *p = &b->rows[b->order[k].row];
        struct yb_cat_row row;
        for (int i = 0; i < YB_CAT_NFIELDS; i++)
            row.f[i] = p->off[i] == ABSENT ? NULL : b->arena + p->off[i];
        int outcome = 0;
        const struct yb_cat_record *old = NULL;
        int rc = yb_cat_store_apply(im->st, &row, o->sync, &im->who, o->dry_run, &outcome, &old);
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
        if (rc == 0 && batch_full(&im->batch))
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
    if (seen_init(&im->seen, (size_t)(im->total / 100 * 10 / 7) + 1024)) {
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
    batch_free(&im->batch);
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
    batch_free(&im->batch);
    res->seconds = since(&t0);
    return rc;
}
