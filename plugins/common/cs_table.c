/*
 * cs_table.c - a standard's code table in memory (struct yb_cs_table), and
 * yb_cs_parse_date (yb_cs_today, cached for the request path, lives in
 * cs_plugin.c).
 *
 * A table is built once (by yb_cs_db_load or the importer) and then only
 * read, by several workers at once, on the request path. It is sized for
 * the largest national tables (the consumable table has about 15 million
 * rows), so the layout is about bytes per row and cache misses per lookup:
 *
 *   - Each row is one record in an arena of chunks: its code, then the
 *     public struct yb_cs_entry, then its name (and refs, if any), strings
 *     NUL-terminated, padded to 8 bytes. The code comes first because a
 *     lookup compares it before anything else is read. Chunks never move, so the
 *     entry's pointers and the pointers handed out by find stay valid until
 *     yb_cs_table_free. A record for a 25-character code and a 20-character
 *     name takes 96 bytes; with the hash, a row costs about 110.
 *   - Kinds and flags have few distinct values; they are interned (stored
 *     once per table) instead of copied per row, up to MAX_INTERNED values.
 *   - The hash is open addressing with linear probing over a power-of-two
 *     array of 64-bit slots, kept at a load of at most 0.7 (11 to 23 bytes
 *     per row): each slot holds a 32-bit record reference (chunk number and
 *     offset in 8-byte units) and 32 more bits of the code's hash, so a
 *     probe that meets another code almost never reads its record. A lookup
 *     costs the hash, one slot line and, for a hit, the line of the code:
 *     one or two cache misses on a large table.
 *   - Chunks and large slot arrays are 2 MiB-aligned and asked to be backed
 *     by huge pages, which saves a TLB miss per lookup on a large table.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cs_internal.h"

#define CHUNK_BITS 21 /* largest regular chunk: 2 MiB */
#define CHUNK_MAX ((size_t)1 << CHUNK_BITS)
#define CHUNK_MIN ((size_t)16 << 10) /* first chunk of a small table */
#define OFFSET_BITS (CHUNK_BITS - 3) /* offsets are in 8-byte units */
#define MAX_CHUNKS ((size_t)1 << (32 - OFFSET_BITS))
#define HUGE_PAGE ((size_t)2 << 20)
/* An empty slot. A real one never has this reference: records are >= 56
 * bytes, so none starts 8 bytes before the end of a regular chunk. */
#define EMPTY_SLOT UINT64_MAX
#define MAX_INTERNED 64
#define MAX_INTERNED_LEN 64

struct yb_cs_table {
    uint64_t *slots; /* (hash >> 32) << 32 | record reference */
    size_t mask;     /* slots - 1 */
    size_t count;
    char **chunks;
    size_t n_chunks, chunks_cap;
    size_t used;        /* bytes used in the last chunk */
    size_t last_size;   /* size of the last chunk */
    size_t chunk_bytes; /* all chunks together */
    const char *interned[MAX_INTERNED];
    size_t n_interned;
};

static const char empty_string[] = "";

/* The record a slot points to starts with its code. */
static inline const char *code_at(const struct yb_cs_table *t, uint64_t slot)
{
    uint32_t ref = (uint32_t)slot;
    const char *chunk = t->chunks[ref >> OFFSET_BITS];
    return chunk + ((size_t)(ref & ((1u << OFFSET_BITS) - 1)) << 3);
}

/* The entry that follows a code of LEN bytes in its record. */
static inline size_t code_room(size_t len)
{
    return (len + 8) & ~(size_t)7; /* the code, its NUL, padding to 8 */
}

static inline uint64_t slot_of(uint64_t hash, uint32_t ref)
{
    return (hash & 0xffffffff00000000ULL) | ref;
}

/* SIZE bytes; 2 MiB-aligned and backed by huge pages where the kernel
 * offers them when SIZE is a multiple of 2 MiB. Freed with free(). */
static void *alloc_big(size_t size)
{
    if (size < HUGE_PAGE || size % HUGE_PAGE)
        return malloc(size);
    void *p = aligned_alloc(HUGE_PAGE, size);
#ifdef MADV_HUGEPAGE
    if (p)
        madvise(p, size, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#endif
    return p;
}

static uint64_t *new_slots(size_t n)
{
    uint64_t *slots = alloc_big(n * sizeof(uint64_t));
    if (slots)
        memset(slots, 0xff, n * sizeof(uint64_t));
    return slots;
}

/* The slots for ROWS at a load of at most 0.7 (ROWS is a hint: capped). */
static size_t slots_for(size_t rows)
{
    size_t n = 16;
    if (rows > (size_t)1 << 28)
        rows = (size_t)1 << 28;
    while (rows * 10 > n * 7)
        n <<= 1;
    return n;
}

struct yb_cs_table *yb_cs_table_new(size_t expected_rows)
{
    struct yb_cs_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    size_t n = slots_for(expected_rows);
    t->slots = new_slots(n);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    /* The first chunk holds the expected rows when they are few, so a
     * small table does not hold megabytes. */
    size_t first = expected_rows * 120 + 1024;
    t->last_size = first < CHUNK_MIN   ? CHUNK_MIN / 2
                   : first > CHUNK_MAX ? CHUNK_MAX / 2
                                       : first / 2;
    return t;
}

void yb_cs_table_free(struct yb_cs_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_chunks; i++)
        free(t->chunks[i]);
    free(t->chunks);
    free(t->slots);
    free(t);
}

/* Room for SIZE bytes (a multiple of 8) in the arena; its reference is
 * written into *ref. NULL when out of memory or out of references. */
static char *arena_alloc(struct yb_cs_table *t, size_t size, uint32_t *ref)
{
    if (t->n_chunks == 0 || t->used + size > t->last_size) {
        if (t->n_chunks == MAX_CHUNKS)
            return NULL;
        if (t->n_chunks == t->chunks_cap) {
            size_t cap = t->chunks_cap ? t->chunks_cap * 2 : 16;
            char **c = realloc(t->chunks, cap * sizeof(*c));
            if (!c)
                return NULL;
            t->chunks = c;
            t->chunks_cap = cap;
        }
        size_t csize = t->last_size * 2;
        if (csize > CHUNK_MAX)
            csize = CHUNK_MAX;
        if (csize < size)
            csize = size; /* a record larger than a chunk gets its own */
        char *c = alloc_big(csize);
        if (!c)
            return NULL;
        t->chunks[t->n_chunks++] = c;
        t->used = 0;
        t->last_size = csize;
        t->chunk_bytes += csize;
    }
    /* used < CHUNK_MAX here: a record starts inside the first 2 MiB */
    *ref = (uint32_t)(((t->n_chunks - 1) << OFFSET_BITS) | (t->used >> 3));
    char *p = t->chunks[t->n_chunks - 1] + t->used;
    t->used += size;
    return p;
}

/* The table's copy of S when S is one of few distinct values (kinds,
 * flags), or NULL when it is not interned (then the caller copies it). */
static const char *intern(struct yb_cs_table *t, const char *s)
{
    if (!*s)
        return empty_string;
    for (size_t i = 0; i < t->n_interned; i++)
        if (t->interned[i] == s || strcmp(t->interned[i], s) == 0)
            return t->interned[i];
    size_t len = strlen(s);
    if (t->n_interned == MAX_INTERNED || len > MAX_INTERNED_LEN)
        return NULL;
    uint32_t ref;
    char *copy = arena_alloc(t, (len + 8) & ~(size_t)7, &ref);
    if (!copy)
        return NULL;
    memcpy(copy, s, len + 1);
    t->interned[t->n_interned++] = copy;
    return copy;
}

static int grow(struct yb_cs_table *t)
{
    size_t n = (t->mask + 1) * 2;
    if (n > SIZE_MAX / sizeof(uint64_t))
        return YB_ENOMEM;
    uint64_t *slots = new_slots(n);
    if (!slots)
        return YB_ENOMEM;
    size_t mask = n - 1;
    for (size_t i = 0; i <= t->mask; i++) {
        uint64_t slot = t->slots[i];
        if (slot == EMPTY_SLOT)
            continue;
        const char *code = code_at(t, slot);
        size_t j = yb_cs_hash(code, strlen(code)) & mask;
        while (slots[j] != EMPTY_SLOT)
            j = (j + 1) & mask;
        slots[j] = slot;
    }
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return 0;
}

/* The slot holding CODE (hash H), or the empty slot where it would go. */
static size_t probe(const struct yb_cs_table *t, const char *code, size_t len, uint64_t h)
{
    uint64_t tag = h & 0xffffffff00000000ULL;
    size_t i = h & t->mask;
    for (;;) {
        uint64_t slot = t->slots[i];
        if (slot == EMPTY_SLOT)
            return i;
        if ((slot & 0xffffffff00000000ULL) == tag) {
            /* strncmp stops at the entry's NUL, and CODE has none (callers
             * check), so a match of LEN bytes leaves c[len] readable. */
            const char *c = code_at(t, slot);
            if (strncmp(c, code, len) == 0 && c[len] == '\0')
                return i;
        }
        i = (i + 1) & t->mask;
    }
}

int yb_cs_table_add(struct yb_cs_table *t, const struct yb_cs_entry *e)
{
    if (!t || !e || !e->code)
        return YB_EINVAL;
    size_t code_len = strlen(e->code);
    if (code_len == 0)
        return YB_EINVAL;
    if ((t->count + 1) * 10 > (t->mask + 1) * 7) {
        int rc = grow(t);
        if (rc)
            return rc;
    }
    uint64_t h = yb_cs_hash(e->code, code_len);
    size_t slot = probe(t, e->code, code_len, h);
    if (t->slots[slot] != EMPTY_SLOT)
        return YB_EEXIST;

    const char *kind = intern(t, e->kind ? e->kind : "");
    const char *flags = intern(t, e->flags ? e->flags : "");
    const char *name = e->name ? e->name : "";
    const char *refs = e->refs ? e->refs : "";
    size_t name_len = strlen(name), refs_len = *refs ? strlen(refs) + 1 : 0;
    size_t kind_len = kind ? 0 : strlen(e->kind) + 1;
    size_t flags_len = flags ? 0 : strlen(e->flags) + 1;
    size_t size = code_room(code_len) + sizeof(struct yb_cs_entry) + name_len + 1 + refs_len +
                  kind_len + flags_len;
    size = (size + 7) & ~(size_t)7;
    uint32_t ref;
    char *rec = arena_alloc(t, size, &ref);
    if (!rec)
        return YB_ENOMEM;
    memcpy(rec, e->code, code_len + 1);
    struct yb_cs_entry *out = (struct yb_cs_entry *)(void *)(rec + code_room(code_len));
    char *p = (char *)(out + 1);
    out->code = rec;
    memcpy(p, name, name_len + 1);
    out->name = p;
    p += name_len + 1;
    out->refs = empty_string;
    if (refs_len) {
        memcpy(p, refs, refs_len);
        out->refs = p;
        p += refs_len;
    }
    if (!kind) {
        memcpy(p, e->kind, kind_len);
        kind = p;
        p += kind_len;
    }
    if (!flags) {
        memcpy(p, e->flags, flags_len);
        flags = p;
    }
    out->kind = kind;
    out->flags = flags;
    out->begin_date = e->begin_date;
    out->end_date = e->end_date;
    t->slots[slot] = slot_of(h, ref);
    t->count++;
    return 0;
}

const struct yb_cs_entry *yb_cs_table_find(const struct yb_cs_table *t, const char *code,
                                           size_t len)
{
    if (!t || !code || len == 0 || memchr(code, '\0', len))
        return NULL;
    uint64_t slot = t->slots[probe(t, code, len, yb_cs_hash(code, len))];
    if (slot == EMPTY_SLOT)
        return NULL;
    return (const struct yb_cs_entry *)(const void *)(code_at(t, slot) + code_room(len));
}

size_t yb_cs_table_count(const struct yb_cs_table *t)
{
    return t ? t->count : 0;
}

size_t yb_cs_table_memory(const struct yb_cs_table *t)
{
    if (!t)
        return 0;
    return sizeof(*t) + (t->mask + 1) * sizeof(uint64_t) + t->chunks_cap * sizeof(char *) +
           t->chunk_bytes;
}

/* ---- Dates ----------------------------------------------------------------- */

static int days_in_month(unsigned y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Up to MAX digits at *s (at least MIN); advances *s. -1 if none. */
static long digits(const char **s, int min, int max)
{
    long v = 0;
    int n = 0;
    while (n < max && **s >= '0' && **s <= '9') {
        v = v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n < min ? -1 : v;
}

/* A time of day after a date ("00:00:00", "23:59", "12:00:00.000"), as
 * database exports write it; it is checked and ignored. */
static int time_of_day(const char *s)
{
    long h = digits(&s, 1, 2);
    if (h < 0 || h > 23 || *s++ != ':')
        return -1;
    long m = digits(&s, 2, 2);
    if (m < 0 || m > 59)
        return -1;
    if (*s == ':') {
        s++;
        long sec = digits(&s, 2, 2);
        if (sec < 0 || sec > 60)
            return -1;
        if (*s == '.') {
            s++;
            if (digits(&s, 1, 9) < 0)
                return -1;
        }
    }
    return *s ? -1 : 0;
}

/* Accepted: "" (open), yyyymmdd, yyyy-mm-dd and yyyy/mm/dd (month and day
 * may have one digit with a separator, as spreadsheets write them), each
 * optionally followed by a time of day after a blank or "T". The date must
 * exist (2023-02-29 does not). */
int yb_cs_parse_date(const char *s, uint32_t *out)
{
    if (!out)
        return YB_EINVAL;
    *out = 0;
    if (!s || !*s)
        return 0;
    long y, m, d;
    const char *p = s;
    if (strspn(s, "0123456789") >= 8 && (s[8] == '\0' || s[8] == ' ' || s[8] == 'T')) {
        y = digits(&p, 4, 4);
        m = digits(&p, 2, 2);
        d = digits(&p, 2, 2);
    } else {
        y = digits(&p, 4, 4);
        char sep = *p;
        if (y < 0 || (sep != '-' && sep != '/'))
            return YB_EINVAL;
        p++;
        m = digits(&p, 1, 2);
        if (m < 0 || *p != sep)
            return YB_EINVAL;
        p++;
        d = digits(&p, 1, 2);
    }
    if (y < 1000 || m < 1 || m > 12 || d < 1 || d > days_in_month((unsigned)y, (unsigned)m))
        return YB_EINVAL;
    if (*p && ((*p != ' ' && *p != 'T') || time_of_day(p + 1) != 0))
        return YB_EINVAL;
    *out = (uint32_t)(y * 10000 + m * 100 + d);
    return 0;
}
