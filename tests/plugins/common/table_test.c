/*
 * table_test.c - the in-memory code table of libybcodeset (cs_table.c):
 * entries are copied and found by code, duplicates refused, pointers stay
 * valid while the table grows, memory stays near the size of the data, and
 * dates parse only when they exist. All codes here are synthetic.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codeset.h"
#include "testutil.h"

static void test_add_copies_and_find_by_length(void)
{
    struct yb_cs_table *t = yb_cs_table_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    char code[] = "T0001", name[] = "first", kind[] = "t", flags[] = "gray";
    struct yb_cs_entry e = {.kind = kind,
                            .code = code,
                            .name = name,
                            .begin_date = 20240101,
                            .end_date = 20241231,
                            .flags = flags,
                            .refs = "A00.000 B01.100"};
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &e), 0);
    /* the table holds copies */
    code[1] = 'X';
    name[0] = 'X';
    kind[0] = 'X';
    flags[0] = 'X';
    const char *query = "T0001T0002";
    const struct yb_cs_entry *f = yb_cs_table_find(t, query, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_STRING_EQUAL(f->code, "T0001");
    CU_ASSERT_STRING_EQUAL(f->name, "first");
    CU_ASSERT_STRING_EQUAL(f->kind, "t");
    CU_ASSERT_STRING_EQUAL(f->flags, "gray");
    CU_ASSERT_STRING_EQUAL(f->refs, "A00.000 B01.100");
    CU_ASSERT_EQUAL(f->begin_date, 20240101);
    CU_ASSERT_EQUAL(f->end_date, 20241231);
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, query, 4)); /* a prefix is not the code */
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, query, 6)); /* nor a longer one */
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, query, 10));
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, "T0001\0x", 7));
    CU_ASSERT_PTR_NULL(yb_cs_table_find(t, "", 0));

    /* NULL strings become ""; kinds are stored once */
    struct yb_cs_entry g = {.kind = "t", .code = "T0002"};
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &g), 0);
    const struct yb_cs_entry *h = yb_cs_table_find(t, "T0002", 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_STRING_EQUAL(h->name, "");
    CU_ASSERT_STRING_EQUAL(h->flags, "");
    CU_ASSERT_STRING_EQUAL(h->refs, "");
    CU_ASSERT_PTR_EQUAL(h->kind, f->kind);
    CU_ASSERT_EQUAL(yb_cs_table_count(t), 2);
    yb_cs_table_free(t);
}

static void test_duplicates_and_bad_entries(void)
{
    struct yb_cs_table *t = yb_cs_table_new(4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    struct yb_cs_entry e = {.kind = "t", .code = "T0001", .name = "one"};
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &e), 0);
    e.name = "two";
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &e), YB_EEXIST);
    CU_ASSERT_STRING_EQUAL(yb_cs_table_find(t, "T0001", 5)->name, "one");
    CU_ASSERT_EQUAL(yb_cs_table_count(t), 1);
    e.code = "";
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &e), YB_EINVAL);
    e.code = NULL;
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &e), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_cs_table_add(t, NULL), YB_EINVAL);
    CU_ASSERT_PTR_NULL(yb_cs_table_find(NULL, "T0001", 5));
    CU_ASSERT_EQUAL(yb_cs_table_count(NULL), 0);
    yb_cs_table_free(NULL);
    yb_cs_table_free(t);
}

#define MANY 100000

static void synthetic_code(char *buf, size_t cap, unsigned i)
{
    /* synthetic, consumable-shaped: C + 26 digits */
    snprintf(buf, cap, "C%02u%02u%02u%03u%017u", i % 97, i % 89, i % 83, i % 997, i);
}

static void test_many_rows_and_stable_pointers(void)
{
    struct yb_cs_table *t = yb_cs_table_new(0); /* no hint: the hash grows */
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    char code[64], name[64];
    const struct yb_cs_entry *first = NULL;
    for (unsigned i = 0; i < MANY; i++) {
        synthetic_code(code, sizeof(code), i);
        snprintf(name, sizeof(name), "synthetic consumable %u", i);
        struct yb_cs_entry e = {.kind = i % 2 ? "consumable" : "other",
                                .code = code,
                                .name = name,
                                .begin_date = 20200101 + i % 28};
        CU_ASSERT_EQUAL_FATAL(yb_cs_table_add(t, &e), 0);
        if (i == 0)
            first = yb_cs_table_find(t, code, strlen(code));
    }
    CU_ASSERT_EQUAL(yb_cs_table_count(t), MANY);
    synthetic_code(code, sizeof(code), 0);
    CU_ASSERT_PTR_EQUAL(yb_cs_table_find(t, code, strlen(code)), first);
    CU_ASSERT_STRING_EQUAL(first->name, "synthetic consumable 0");
    unsigned found = 0, right = 0;
    for (unsigned i = 0; i < MANY; i++) {
        synthetic_code(code, sizeof(code), i);
        const struct yb_cs_entry *e = yb_cs_table_find(t, code, strlen(code));
        if (!e)
            continue;
        found++;
        snprintf(name, sizeof(name), "synthetic consumable %u", i);
        right += strcmp(e->code, code) == 0 && strcmp(e->name, name) == 0 &&
                 strcmp(e->kind, i % 2 ? "consumable" : "other") == 0 &&
                 e->begin_date == 20200101 + i % 28;
    }
    CU_ASSERT_EQUAL(found, MANY);
    CU_ASSERT_EQUAL(right, MANY);
    unsigned misses = 0;
    for (unsigned i = MANY; i < 2 * MANY; i++) {
        synthetic_code(code, sizeof(code), i);
        misses += yb_cs_table_find(t, code, strlen(code)) == NULL;
    }
    CU_ASSERT_EQUAL(misses, MANY);
    yb_cs_table_free(t);
}

static void test_memory_stays_near_the_data(void)
{
    struct yb_cs_table *t = yb_cs_table_new(MANY);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t empty = yb_cs_table_memory(t);
    char code[64], name[64];
    size_t raw = 0;
    for (unsigned i = 0; i < MANY; i++) {
        snprintf(code, sizeof(code), "XA01ABD%03uA002%04u%05u", i % 1000, i % 10000, i % 99991);
        snprintf(name, sizeof(name), "synthetic drug %06u", i); /* 20 characters */
        struct yb_cs_entry e = {.kind = "drug", .code = code, .name = name};
        if (yb_cs_table_add(t, &e) == 0)
            raw += strlen(code) + strlen(name);
    }
    size_t n = yb_cs_table_count(t), mem = yb_cs_table_memory(t);
    CU_ASSERT(n > MANY * 9 / 10);
    CU_ASSERT(mem > empty);
    CU_ASSERT(mem >= raw);
    /* 48 bytes of entry + code + name, padded to 96, + 8 to 23 bytes of
     * hash slots (here 2^18 slots: 21 a row) */
    CU_ASSERT(mem / n <= 125);
    yb_cs_table_free(t);

    /* a small table does not hold megabytes */
    t = yb_cs_table_new(10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    struct yb_cs_entry e = {.kind = "t", .code = "T0001", .name = "one"};
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &e), 0);
    CU_ASSERT(yb_cs_table_memory(t) < 64 * 1024);
    yb_cs_table_free(t);
}

static void test_values_larger_than_a_chunk_and_many_kinds(void)
{
    struct yb_cs_table *t = yb_cs_table_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t big = 3 << 20;
    char *name = malloc(big + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(name);
    memset(name, 'n', big);
    name[big] = '\0';
    struct yb_cs_entry e = {.kind = "t", .code = "T0001", .name = name};
    CU_ASSERT_EQUAL(yb_cs_table_add(t, &e), 0);
    free(name);
    /* more distinct kinds and flags than are interned */
    char code[16], kind[16], flags[16];
    for (int i = 0; i < 300; i++) {
        snprintf(code, sizeof(code), "K%04d", i);
        snprintf(kind, sizeof(kind), "kind%d", i);
        snprintf(flags, sizeof(flags), "f%d", i);
        struct yb_cs_entry k = {.kind = kind, .code = code, .flags = flags};
        CU_ASSERT_EQUAL(yb_cs_table_add(t, &k), 0);
    }
    const struct yb_cs_entry *f = yb_cs_table_find(t, "T0001", 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(strlen(f->name), big);
    CU_ASSERT(yb_cs_table_memory(t) > big);
    for (int i = 0; i < 300; i += 37) {
        snprintf(code, sizeof(code), "K%04d", i);
        snprintf(kind, sizeof(kind), "kind%d", i);
        snprintf(flags, sizeof(flags), "f%d", i);
        const struct yb_cs_entry *k = yb_cs_table_find(t, code, 5);
        CU_ASSERT_PTR_NOT_NULL_FATAL(k);
        CU_ASSERT_STRING_EQUAL(k->kind, kind);
        CU_ASSERT_STRING_EQUAL(k->flags, flags);
    }
    yb_cs_table_free(t);
}

static uint32_t date(const char *s)
{
    uint32_t d = 1;
    return yb_cs_parse_date(s, &d) == 0 ? d : 1;
}

static void test_dates(void)
{
    CU_ASSERT_EQUAL(date(""), 0);
    CU_ASSERT_EQUAL(date(NULL), 0);
    CU_ASSERT_EQUAL(date("2024-01-31"), 20240131);
    CU_ASSERT_EQUAL(date("20240131"), 20240131);
    CU_ASSERT_EQUAL(date("2024/01/31"), 20240131);
    CU_ASSERT_EQUAL(date("2024/1/5"), 20240105); /* as spreadsheets write it */
    CU_ASSERT_EQUAL(date("2024-01-31 00:00:00"), 20240131);
    CU_ASSERT_EQUAL(date("2024-01-31T23:59"), 20240131);
    CU_ASSERT_EQUAL(date("2024-02-29"), 20240229);
    CU_ASSERT_EQUAL(date("2000-02-29"), 20000229);
    CU_ASSERT_EQUAL(date("9999-12-31"), 99991231);
    static const char *const bad[] = {
        "2023-02-29", "1900-02-29", "2024-04-31",       "2024-13-01", "2024-00-10",  "2024-01-00",
        "20240132",   "2024-1",     "2024-01",          "abc",        "2024-01-31x", "2024-01/31",
        "202401311",  "24-01-31",   "2024-01-31 25:00", "0999-01-01", "2024-01-31 ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t d = 7;
        CU_ASSERT_EQUAL(yb_cs_parse_date(bad[i], &d), YB_EINVAL);
        CU_ASSERT_EQUAL(d, 0);
    }
    CU_ASSERT_EQUAL(yb_cs_parse_date("2024-01-31", NULL), YB_EINVAL);

    /* today, read before and after in case midnight passes meanwhile */
    uint32_t expect[2];
    uint32_t today = 0;
    for (int i = 0; i < 2; i++) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        expect[i] = (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
        if (i == 0)
            today = yb_cs_today();
    }
    CU_ASSERT(today == expect[0] || today == expect[1]);
    char text[16];
    snprintf(text, sizeof(text), "%u", today);
    CU_ASSERT_EQUAL(date(text), today); /* a real date */
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_add_copies_and_find_by_length),
        YB_TEST(test_duplicates_and_bad_entries),
        YB_TEST(test_many_rows_and_stable_pointers),
        YB_TEST(test_memory_stays_near_the_data),
        YB_TEST(test_values_larger_than_a_chunk_and_many_kinds),
        YB_TEST(test_dates),
        YB_TEST_END,
    };
    return yb_test_main("cs_table", tests);
}
