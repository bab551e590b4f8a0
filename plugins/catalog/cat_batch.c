/*
 * cat_batch.c - the import's memory between reading a row and applying
 * it: the keys seen in this file (duplicates) and the batch of accepted
 * rows, sorted by key before they go to the store (yb_cat_seen_*,
 * yb_cat_batch_*; declared in cat_internal.h, used by cat_import.c).
 *
 * Duplicates are found without keeping the rows: a hash of each accepted
 * key (fixmedins_code, local code) with a second, independent 32-bit check
 * and its line (16 bytes a slot, about 24 MB for a million rows). Two
 * different keys would have to agree on 96 bits to be taken for one.
 *
 * Accepted rows wait in a batch (one arena for the values, an index per
 * row) and go to the store sorted by (institution, local code), the order
 * of the store's key index: SQLite pays about four times as much for an
 * index insert at a random place as for one next to the last, and a
 * hospital's file need not be sorted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cat_internal.h"

/* ---- keys seen in this file ------------------------------------------------- */

int yb_cat_seen_init(struct yb_cat_seen *s, size_t want)
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
uint32_t yb_cat_seen_check(struct yb_cat_seen *s, uint64_t hash, uint32_t check, uint64_t line,
                           int *error)
{
    if ((s->count + 1) * 10 > (s->mask + 1) * 7) {
        struct yb_cat_seen bigger;
        if (yb_cat_seen_init(&bigger, (s->mask + 1) * 2)) {
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

/* ---- the batch: rows applied in key order ------------------------------------- */

void yb_cat_batch_free(struct yb_cat_batch *b)
{
    free(b->arena);
    free(b->rows);
    free(b->order);
}

/* The index of the institution PLACE in the batch, or -1 when the batch
 * has too many and must be applied first. */
static long place_index(struct yb_cat_batch *b, const char *place)
{
    if (b->n_places && strcmp(b->arena + b->place_off[b->last_place], place) == 0)
        return (long)b->last_place;
    for (size_t i = 0; i < b->n_places; i++)
        if (strcmp(b->arena + b->place_off[i], place) == 0)
            return (long)(b->last_place = i);
    return -1;
}

/* Copy ROW (read on LINE) into the batch. */
int yb_cat_batch_add(struct yb_cat_batch *b, const struct yb_cat_row *row, uint64_t line)
{
    if (b->n == b->rows_cap) {
        size_t cap = b->rows_cap ? b->rows_cap * 2 : 4096;
        struct yb_cat_pending *rows = realloc(b->rows, cap * sizeof(*rows));
        if (!rows)
            return YB_ENOMEM;
        b->rows = rows;
        struct yb_cat_order *order = realloc(b->order, cap * sizeof(*order));
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
    struct yb_cat_pending *p = &b->rows[b->n++];
    long place = place_index(b, row->f[YB_CAT_FIXMEDINS_CODE]);
    if (place < 0) {
        b->last_place = b->n_places++;
        place = (long)b->last_place;
        b->place_off[place] = (uint32_t)b->len; /* the value copied below */
    }
    p->place = (uint32_t)place;
    for (int i = 0; i < YB_CAT_NFIELDS; i++) {
        if (!row->f[i]) {
            p->off[i] = YB_CAT_ABSENT;
            continue;
        }
        p->off[i] = (uint32_t)b->len;
        memcpy(b->arena + b->len, row->f[i], len[i] + 1);
        b->len += len[i] + 1;
    }
    p->line = line;
    return 0;
}

int yb_cat_batch_full(const struct yb_cat_batch *b)
{
    return b->n >= YB_CAT_BATCH_ROWS || b->len >= YB_CAT_BATCH_BYTES ||
           b->n_places == YB_CAT_MAX_PLACES;
}

static int order_cmp(const void *pa, const void *pb, void *arg)
{
    const struct yb_cat_order *a = pa, *b = pb;
    const struct yb_cat_batch *batch = arg;
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
    const struct yb_cat_batch *b = arg;
    return strcmp(b->arena + b->place_off[*(const uint32_t *)pa],
                  b->arena + b->place_off[*(const uint32_t *)pb]);
}

/* Sort the batch by key (the rows themselves stay where they are). */
void yb_cat_batch_sort(struct yb_cat_batch *b)
{
    uint32_t by_name[YB_CAT_MAX_PLACES];
    for (size_t i = 0; i < b->n_places; i++)
        by_name[i] = (uint32_t)i;
    if (b->n_places > 1)
        qsort_r(by_name, b->n_places, sizeof(by_name[0]), place_cmp, b);
    for (size_t i = 0; i < b->n_places; i++)
        b->place_rank[by_name[i]] = (uint32_t)i;
    for (size_t r = 0; r < b->n; r++) {
        struct yb_cat_order *o = &b->order[r];
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
