/*
 * map_test.c - the in-memory mapping map (cat_map.c): exact-byte lookups,
 * replacing and revoking with the national index's counts kept right,
 * ambiguous national codes, institutions kept apart, size caps, growth to
 * 100,000 keys with earlier entry pointers still valid, and a load from a
 * store written with yb_cat_store_put/revoke. Every code here is synthetic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "testutil.h"

static char dir[] = "/tmp/ybgw-map-test-XXXXXX";

static struct yb_cat_row mkrow(const char *fix, const char *local, const char *national,
                               const char *name)
{
    struct yb_cat_row r = {{NULL}};
    r.f[YB_CAT_FIXMEDINS_CODE] = fix;
    r.f[YB_CAT_HILIST_ID] = local;
    r.f[YB_CAT_HILIST_NAME] = name;
    r.f[YB_CAT_LIST_TYPE] = "101";
    r.f[YB_CAT_MED_LIST_CODG] = national;
    r.f[YB_CAT_BEGNDATE] = "2020-01-01";
    r.f[YB_CAT_ENDDATE] = "2099-12-31";
    return r;
}

static int set(struct yb_cat_map *m, const char *fix, const char *local, const char *national)
{
    struct yb_cat_row r = mkrow(fix, local, national, "合成测试药品");
    return yb_cat_map_set(m, &r, YB_CAT_UNSYNCED, "2024-05-01 10:00:00", "");
}

static const struct yb_cat_entry *find(struct yb_cat_map *m, const char *fix, const char *local)
{
    return yb_cat_map_find(m, fix, local, strlen(local));
}

static size_t national_count(struct yb_cat_map *m, const char *fix, const char *national)
{
    size_t n = 99;
    yb_cat_map_find_national(m, fix, national, strlen(national), &n);
    return n;
}

static void test_set_and_find_exact_bytes(void)
{
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_PTR_NULL(yb_cat_map_find(m, "H1", "L001", 4)); /* empty map */
    struct yb_cat_row r = mkrow("H31010500018", "L001", "XA01ABA001A001010100001", "阿莫西林胶囊");
    r.f[YB_CAT_BEGNDATE] = "20200102";
    r.f[YB_CAT_ENDDATE] = "2030/06/30 23:59:59";
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_set(m, &r, YB_CAT_SYNCED, "2024-05-01 10:00:00", "M1"), 0);
    const char buf[] = "L001xyz"; /* the key is the first 4 bytes, not NUL-terminated */
    const struct yb_cat_entry *e = yb_cat_map_find(m, "H31010500018", buf, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->fixmedins, "H31010500018");
    CU_ASSERT_STRING_EQUAL(e->local, "L001");
    CU_ASSERT_STRING_EQUAL(e->national, "XA01ABA001A001010100001");
    CU_ASSERT_STRING_EQUAL(e->name, "阿莫西林胶囊");
    CU_ASSERT_STRING_EQUAL(e->list_type, "101");
    CU_ASSERT_EQUAL(e->begndate, 20200102u);
    CU_ASSERT_EQUAL(e->enddate, 20300630u);
    CU_ASSERT_EQUAL(e->state, YB_CAT_ACTIVE);
    CU_ASSERT_EQUAL(e->sync, YB_CAT_SYNCED);
    CU_ASSERT_STRING_EQUAL(e->changed_at, "2024-05-01 10:00:00");
    CU_ASSERT_STRING_EQUAL(e->msgid, "M1");
    CU_ASSERT_PTR_NULL(yb_cat_map_find(m, "H31010500018", buf, 3));
    CU_ASSERT_PTR_NULL(yb_cat_map_find(m, "H31010500018", buf, 5));
    CU_ASSERT_PTR_NULL(yb_cat_map_find(m, "H31010500019", buf, 4));
    CU_ASSERT_PTR_NULL(yb_cat_map_find(m, "H31010500018",
                                       "L0\0"
                                       "1",
                                       4));
    size_t n = 0;
    const char nat[] = "XA01ABA001A001010100001+tail";
    CU_ASSERT_PTR_EQUAL(yb_cat_map_find_national(m, "H31010500018", nat, 23, &n), e);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_PTR_NULL(yb_cat_map_find_national(m, "H31010500018", nat, 22, &n));
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 1);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 1);
    /* Setting the same again adds nothing: the very same entry stays. */
    size_t bytes = yb_cat_map_bytes(m);
    CU_ASSERT_EQUAL(yb_cat_map_set(m, &r, YB_CAT_SYNCED, "2024-05-01 10:00:00", "M1"), 0);
    CU_ASSERT_PTR_EQUAL(yb_cat_map_find(m, "H31010500018", "L001", 4), e);
    CU_ASSERT_EQUAL(yb_cat_map_bytes(m), bytes);
    yb_cat_map_free(m);
}

static void test_replace_moves_the_national_count(void)
{
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H1", "L1", "N-OLD"), 0);
    const struct yb_cat_entry *old = find(m, "H1", "L1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    CU_ASSERT_EQUAL(national_count(m, "H1", "N-OLD"), 1);
    struct yb_cat_row r = mkrow("H1", "L1", "N-NEW", "新名称");
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_set(m, &r, YB_CAT_UNSYNCED, "2024-06-01 08:00:00", "M2"), 0);
    const struct yb_cat_entry *e = find(m, "H1", "L1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_PTR_NOT_EQUAL(e, old);
    CU_ASSERT_STRING_EQUAL(e->national, "N-NEW");
    CU_ASSERT_STRING_EQUAL(e->name, "新名称");
    CU_ASSERT_STRING_EQUAL(e->changed_at, "2024-06-01 08:00:00");
    CU_ASSERT_STRING_EQUAL(old->national, "N-OLD"); /* a handed-out entry never changes */
    CU_ASSERT_STRING_EQUAL(old->name, "合成测试药品");
    CU_ASSERT_EQUAL(national_count(m, "H1", "N-OLD"), 0);
    CU_ASSERT_PTR_NULL(yb_cat_map_find_national(m, "H1", "N-OLD", 5, NULL));
    CU_ASSERT_EQUAL(national_count(m, "H1", "N-NEW"), 1);
    CU_ASSERT_PTR_EQUAL(yb_cat_map_find_national(m, "H1", "N-NEW", 5, NULL), e);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 1);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 1);
    /* Back to the old national: its emptied group is found again. */
    CU_ASSERT_EQUAL(set(m, "H1", "L1", "N-OLD"), 0);
    CU_ASSERT_EQUAL(national_count(m, "H1", "N-OLD"), 1);
    CU_ASSERT_EQUAL(national_count(m, "H1", "N-NEW"), 0);
    CU_ASSERT_STRING_EQUAL(find(m, "H1", "L1")->national, "N-OLD");
    yb_cat_map_free(m);
}

static void test_revoke(void)
{
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H1", "L1", "N1"), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H1", "L2", "N2"), 0);
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H1", "L1", "2024-07-01 09:30:00", "M3302"), 0);
    const struct yb_cat_entry *e = find(m, "H1", "L1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->state, YB_CAT_REVOKED);
    CU_ASSERT_STRING_EQUAL(e->national, "N1");
    CU_ASSERT_STRING_EQUAL(e->changed_at, "2024-07-01 09:30:00");
    CU_ASSERT_STRING_EQUAL(e->msgid, "M3302");
    CU_ASSERT_EQUAL(e->begndate, 20200101u);
    CU_ASSERT_EQUAL(e->enddate, 20991231u);
    CU_ASSERT_EQUAL(national_count(m, "H1", "N1"), 0);
    CU_ASSERT_EQUAL(national_count(m, "H1", "N2"), 1);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 2);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 1);
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H1", "L1", NULL, NULL), YB_ENOENT); /* twice */
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H1", "L9", NULL, NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H2", "L2", NULL, NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 1);
    /* Set again after the revoke: active once more. */
    CU_ASSERT_EQUAL(set(m, "H1", "L1", "N1"), 0);
    CU_ASSERT_EQUAL(find(m, "H1", "L1")->state, YB_CAT_ACTIVE);
    CU_ASSERT_EQUAL(e->state, YB_CAT_REVOKED); /* the old entry as it was */
    CU_ASSERT_EQUAL(national_count(m, "H1", "N1"), 1);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 2);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 2);
    yb_cat_map_free(m);
}

static void test_ambiguous_national(void)
{
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H1", "L1", "N"), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H1", "L2", "N"), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H1", "L3", "N"), 0);
    size_t n = 0;
    CU_ASSERT_PTR_NULL(yb_cat_map_find_national(m, "H1", "N", 1, &n));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H1", "L2", NULL, NULL), 0); /* middle of the list */
    CU_ASSERT_PTR_NULL(yb_cat_map_find_national(m, "H1", "N", 1, &n));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(set(m, "H1", "L3", "N-OTHER"), 0); /* the head of the list */
    const struct yb_cat_entry *e = yb_cat_map_find_national(m, "H1", "N", 1, &n);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->local, "L1");
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H1", "L1", NULL, NULL), 0);
    CU_ASSERT_PTR_NULL(yb_cat_map_find_national(m, "H1", "N", 1, &n));
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(set(m, "H1", "L2", "N"), 0); /* an emptied group filled again */
    CU_ASSERT_EQUAL(set(m, "H1", "L4", "N"), 0);
    CU_ASSERT_PTR_NULL(yb_cat_map_find_national(m, "H1", "N", 1, &n));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H1", "L4", NULL, NULL), 0);
    e = yb_cat_map_find_national(m, "H1", "N", 1, &n);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->local, "L2");
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 2);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 4);
    yb_cat_map_free(m);
}

static void test_institutions_kept_apart(void)
{
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H31010500018", "L1", "N-A"), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H31010500019", "L1", "N-B"), 0);
    CU_ASSERT_EQUAL_FATAL(set(m, "H31010500019", "L2", "N-A"), 0);
    CU_ASSERT_STRING_EQUAL(find(m, "H31010500018", "L1")->national, "N-A");
    CU_ASSERT_STRING_EQUAL(find(m, "H31010500019", "L1")->national, "N-B");
    CU_ASSERT_PTR_NULL(find(m, "H31010500018", "L2"));
    CU_ASSERT_EQUAL(national_count(m, "H31010500018", "N-A"), 1);
    CU_ASSERT_EQUAL(national_count(m, "H31010500019", "N-A"), 1);
    CU_ASSERT_EQUAL(national_count(m, "H31010500018", "N-B"), 0);
    CU_ASSERT_STRING_EQUAL(yb_cat_map_find_national(m, "H31010500019", "N-A", 3, NULL)->local,
                           "L2");
    /* One institution's code interned once. */
    CU_ASSERT_PTR_EQUAL(find(m, "H31010500019", "L1")->fixmedins,
                        find(m, "H31010500019", "L2")->fixmedins);
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H31010500019", "L1", NULL, NULL), 0);
    CU_ASSERT_EQUAL(find(m, "H31010500018", "L1")->state, YB_CAT_ACTIVE);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 3);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 2);
    yb_cat_map_free(m);
}

static void test_size_caps_refuse(void)
{
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    /* Codes up to 200 bytes (50 characters of 4-byte UTF-8), names up to
     * 1000: longer is refused, never cut. */
    char k200[201], k201[202];
    memset(k200, 'K', 200);
    k200[200] = '\0';
    memset(k201, 'K', 201);
    k201[201] = '\0';
    static char name1000[1001], name1001[1002];
    memset(name1000, 'n', 1000);
    memset(name1001, 'n', 1001);
    CU_ASSERT_EQUAL(set(m, "H1", k200, "N"), 0);
    CU_ASSERT_EQUAL(set(m, "H1", k201, "N"), YB_EINVAL);
    CU_ASSERT_EQUAL(set(m, k201, "L", "N"), YB_EINVAL);
    CU_ASSERT_EQUAL(set(m, "H1", "L", k201), YB_EINVAL);
    CU_ASSERT_EQUAL(set(m, "H1", "L", k200), 0);
    CU_ASSERT_EQUAL(set(m, "H1", "", "N"), YB_EINVAL);
    CU_ASSERT_EQUAL(set(m, "H1", "L", NULL), YB_EINVAL);
    struct yb_cat_row r = mkrow("H1", "LN", "N", name1000);
    CU_ASSERT_EQUAL(yb_cat_map_set(m, &r, YB_CAT_UNSYNCED, NULL, NULL), 0);
    CU_ASSERT_EQUAL(strlen(find(m, "H1", "LN")->name), 1000);
    CU_ASSERT_STRING_EQUAL(find(m, "H1", "LN")->changed_at, "");
    r = mkrow("H1", "LM", "N", name1001);
    CU_ASSERT_EQUAL(yb_cat_map_set(m, &r, YB_CAT_UNSYNCED, NULL, NULL), YB_EINVAL);
    r = mkrow("H1", "LD", "N", "x");
    r.f[YB_CAT_BEGNDATE] = "2023-02-29";
    CU_ASSERT_EQUAL(yb_cat_map_set(m, &r, YB_CAT_UNSYNCED, NULL, NULL), YB_EINVAL);
    r.f[YB_CAT_BEGNDATE] = "2024-02-29";
    r.f[YB_CAT_LIST_TYPE] = "12345678";
    CU_ASSERT_EQUAL(yb_cat_map_set(m, &r, YB_CAT_UNSYNCED, NULL, NULL), YB_EINVAL);
    r.f[YB_CAT_LIST_TYPE] = "301";
    CU_ASSERT_EQUAL(yb_cat_map_set(m, &r, 3, NULL, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_cat_map_set(m, &r, YB_CAT_REJECTED, NULL, NULL), 0);
    CU_ASSERT_EQUAL(find(m, "H1", "LD")->begndate, 20240229u);
    CU_ASSERT_PTR_NULL(yb_cat_map_find(m, "H1", k201, 201));
    CU_ASSERT_PTR_NOT_NULL(yb_cat_map_find(m, "H1", k200, 200));
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 4); /* k200, L, LN, LD: nothing else */
    CU_ASSERT_EQUAL(national_count(m, "H1", "N"), 3);
    yb_cat_map_free(m);
}

#define GROWTH 100000

static void growth_key(char *local, char *national, unsigned i)
{
    snprintf(local, 32, "YP%08u", i * 7919u % 100000000u);
    snprintf(national, 40, "XA01ABA%03uA%012u", i % 1000, i);
}

static void test_growth_keeps_entries_valid(void)
{
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    static const struct yb_cat_entry *early[1000];
    size_t bytes0 = yb_cat_map_bytes(m);
    char local[32], national[40];
    for (unsigned i = 0; i < GROWTH; i++) {
        growth_key(local, national, i);
        if (set(m, "H31010500018", local, national) != 0) {
            CU_FAIL("set failed");
            break;
        }
        if (i < 1000)
            early[i] = find(m, "H31010500018", local);
    }
    CU_ASSERT_EQUAL(yb_cat_map_count(m), GROWTH);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), GROWTH);
    unsigned found = 0, right = 0, same = 0;
    for (unsigned i = 0; i < GROWTH; i++) {
        growth_key(local, national, i);
        const struct yb_cat_entry *e = find(m, "H31010500018", local);
        found += e != NULL;
        right += e && strcmp(e->national, national) == 0 && strcmp(e->local, local) == 0;
        size_t n = 0;
        same += yb_cat_map_find_national(m, "H31010500018", national, strlen(national), &n) == e &&
                n == 1;
        if (i < 1000)
            same += early[i] == e && strcmp(early[i]->national, national) == 0;
    }
    CU_ASSERT_EQUAL(found, GROWTH);
    CU_ASSERT_EQUAL(right, GROWTH);
    CU_ASSERT_EQUAL(same, GROWTH + 1000);
    growth_key(local, national, GROWTH);
    CU_ASSERT_PTR_NULL(find(m, "H31010500018", local));
    size_t bytes = yb_cat_map_bytes(m);
    printf("\n  %d keys: %zu bytes (%.1f per key)\n", GROWTH, bytes, (double)bytes / GROWTH);
    CU_ASSERT(bytes > bytes0);
    CU_ASSERT(bytes > (size_t)GROWTH * sizeof(struct yb_cat_entry));
    CU_ASSERT(bytes < (size_t)GROWTH * 256);
    yb_cat_map_free(m);
}

static void test_load_from_store(void)
{
    char path[256], err[512];
    snprintf(path, sizeof(path), "%s/map.db", dir);
    struct yb_cat_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    struct yb_cat_who who = {"map_test", "import test.csv", "IMP1", "2024-05-01 10:00:00"};
    struct yb_cat_row r = mkrow("H1", "L1", "N1", "甲");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_SYNCED, &who, NULL), 0);
    r = mkrow("H1", "L2", "N1", "乙");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who, NULL), 0);
    r = mkrow("H1", "L3", "N3", "丙");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who, NULL), 0);
    r = mkrow("H2", "L1", "N9", "丁");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who, NULL), 0);
    struct yb_cat_who later = {"opter", "3301", "MSG2", "2024-06-01 11:00:00"};
    r = mkrow("H1", "L3", "N3B", "丙改");
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &r, YB_CAT_SYNCED, &later, NULL), 0); /* a change */
    struct yb_cat_who revoke = {"opter", "3302", "MSG3", "2024-07-01 12:00:00"};
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, "H1", "L2", NULL, NULL, &revoke), 0);

    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_EQUAL(yb_cat_map_load(m, st, "H1", err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 3);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 2);
    CU_ASSERT_PTR_NULL(find(m, "H2", "L1"));
    const struct yb_cat_entry *e = find(m, "H1", "L1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->state, YB_CAT_ACTIVE);
    CU_ASSERT_EQUAL(e->sync, YB_CAT_SYNCED);
    CU_ASSERT_STRING_EQUAL(e->national, "N1");
    CU_ASSERT_STRING_EQUAL(e->name, "甲");
    CU_ASSERT_STRING_EQUAL(e->changed_at, "2024-05-01 10:00:00");
    CU_ASSERT_STRING_EQUAL(e->msgid, "IMP1");
    CU_ASSERT_EQUAL(e->begndate, 20200101u);
    e = find(m, "H1", "L2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->state, YB_CAT_REVOKED);
    CU_ASSERT_STRING_EQUAL(e->changed_at, "2024-07-01 12:00:00");
    CU_ASSERT_STRING_EQUAL(e->msgid, "MSG3");
    e = find(m, "H1", "L3");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->national, "N3B");
    CU_ASSERT_STRING_EQUAL(e->name, "丙改");
    CU_ASSERT_STRING_EQUAL(e->msgid, "MSG2");
    CU_ASSERT_EQUAL(national_count(m, "H1", "N1"), 1); /* L2 revoked */
    CU_ASSERT_EQUAL(national_count(m, "H1", "N3"), 0);
    CU_ASSERT_EQUAL(national_count(m, "H1", "N3B"), 1);
    yb_cat_map_free(m);

    /* All institutions. */
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_EQUAL(yb_cat_map_load(m, st, NULL, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 4);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 3);
    CU_ASSERT_STRING_EQUAL(find(m, "H2", "L1")->national, "N9");
    yb_cat_map_free(m);
    yb_cat_store_close(st);
}

/* A row the map cannot hold stops the load with an error naming it. */
static void test_load_error_names_the_row(void)
{
    char path[256], err[512];
    snprintf(path, sizeof(path), "%s/bad.db", dir);
    struct yb_cat_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    static char name[1200];
    memset(name, 'n', sizeof(name) - 1);
    struct yb_cat_who who = {"map_test", "test", NULL, NULL};
    struct yb_cat_row r = mkrow("H1", "L-LONG-NAME", "N1", name);
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_put(st, &r, YB_CAT_UNSYNCED, &who, NULL), 0);
    struct yb_cat_map *m;
    CU_ASSERT_EQUAL_FATAL(yb_cat_map_new(&m), 0);
    CU_ASSERT_EQUAL(yb_cat_map_load(m, st, NULL, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "L-LONG-NAME"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "fixmedins_hilist_name: longer than 1000 bytes"));
    CU_ASSERT_EQUAL(yb_cat_map_count(m), 0);
    /* The revoke's own caps. */
    CU_ASSERT_EQUAL(set(m, "H1", "L1", "N1"), 0);
    CU_ASSERT_EQUAL(yb_cat_map_revoke(m, "H1", "L1", name, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_cat_map_active(m), 1);
    yb_cat_map_free(m);
    yb_cat_store_close(st);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_set_and_find_exact_bytes),
        YB_TEST(test_replace_moves_the_national_count),
        YB_TEST(test_revoke),
        YB_TEST(test_ambiguous_national),
        YB_TEST(test_institutions_kept_apart),
        YB_TEST(test_size_caps_refuse),
        YB_TEST(test_growth_keeps_entries_valid),
        YB_TEST(test_load_from_store),
        YB_TEST(test_load_error_names_the_row),
        YB_TEST_END,
    };
    if (!mkdtemp(dir))
        return 2;
    int rc = yb_test_main("cat_map", tests);
    yb_test_remove_tree(dir);
    return rc;
}
