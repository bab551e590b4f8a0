/*
 * idem_test.c - the idempotency index (idem.c): claims, conflicts, the
 * states a repeat meets, a failed first try that frees the msgid, loading
 * from the journal, expiry that never drops one in flight, growth, and
 * claims racing from several threads (exactly one wins).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "idem.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

#define H_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MSGID "H45019900055202611231000000001"

static void test_claim_then_repeat(void)
{
    struct yb_idem *ix = yb_idem_new(0);
    struct yb_idem_hit hit;
    CU_ASSERT_EQUAL(yb_idem_claim(ix, MSGID, "2207", H_A, 1000, &hit), YB_IDEM_NEW);
    /* a repeat while the first is in flight waits for it */
    CU_ASSERT_EQUAL(yb_idem_claim(ix, MSGID, "2207", H_A, 1001, &hit), YB_IDEM_INFLIGHT);
    CU_ASSERT_EQUAL(hit.since_ms, 1000);
    CU_ASSERT_STRING_EQUAL(hit.infno, "2207");
    yb_idem_set(ix, MSGID, YB_IDEM_INFLIGHT, 42);
    yb_idem_set(ix, MSGID, YB_IDEM_ANSWERED, 0);
    CU_ASSERT_EQUAL(yb_idem_claim(ix, MSGID, "2207", H_A, 1002, &hit), YB_IDEM_ANSWERED);
    CU_ASSERT_EQUAL(hit.journal_id, 42);
    /* the same msgid with another body is refused, whatever its state */
    CU_ASSERT_EQUAL(yb_idem_claim(ix, MSGID, "2207", H_B, 1003, &hit), YB_IDEM_CONFLICT);
    CU_ASSERT_EQUAL(hit.journal_id, 42);
    CU_ASSERT_EQUAL(yb_idem_count(ix), 1);
    yb_idem_free(ix);
}

static void test_failed_frees_unknown_holds(void)
{
    struct yb_idem *ix = yb_idem_new(0);
    struct yb_idem_hit hit;
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "M1", "2207", H_A, 10, &hit), YB_IDEM_NEW);
    yb_idem_set(ix, "M1", YB_IDEM_FAILED, 7);
    /* never reached the platform: the repeat becomes the transaction */
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "M1", "2207", H_A, 20, &hit), YB_IDEM_NEW);
    CU_ASSERT_EQUAL(hit.journal_id, 0);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "M1", &hit), YB_IDEM_INFLIGHT);
    /* but not with another body */
    yb_idem_set(ix, "M1", YB_IDEM_FAILED, 8);
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "M1", "2207", H_B, 30, &hit), YB_IDEM_CONFLICT);
    yb_idem_set(ix, "M1", YB_IDEM_UNKNOWN, 0);
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "M1", "2207", H_A, 40, &hit), YB_IDEM_UNKNOWN);
    CU_ASSERT_EQUAL(hit.journal_id, 8);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "nope", &hit), YB_ENOENT);
    yb_idem_free(ix);
}

static void test_bad_keys(void)
{
    struct yb_idem *ix = yb_idem_new(0);
    char longid[80];
    memset(longid, 'H', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "", "2207", H_A, 0, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_idem_claim(ix, longid, "2207", H_A, 0, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "M", "2207", "abc", 0, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "M", "2207", H_A "0", 0, NULL), YB_EINVAL);
    /* upper-case hex is not what the gateway writes */
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "M", "2207",
                                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                  0, NULL),
                    YB_EINVAL);
    CU_ASSERT_EQUAL(yb_idem_put(ix, "M", "2207", H_A, YB_IDEM_NEW, 1, 0), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_idem_count(ix), 0);
    yb_idem_free(ix);
}

static void test_load_and_expiry(void)
{
    struct yb_idem *ix = yb_idem_new(1000);
    struct yb_idem_hit hit;
    /* rows come oldest first; a later row of the same msgid wins */
    CU_ASSERT_EQUAL(yb_idem_put(ix, "OLD", "2207", H_A, YB_IDEM_ANSWERED, 1, 100), 0);
    CU_ASSERT_EQUAL(yb_idem_put(ix, "STUCK", "2207", H_A, YB_IDEM_INFLIGHT, 2, 200), 0);
    CU_ASSERT_EQUAL(yb_idem_put(ix, "M", "2304", H_A, YB_IDEM_FAILED, 3, 300), 0);
    CU_ASSERT_EQUAL(yb_idem_put(ix, "M", "2304", H_A, YB_IDEM_UNKNOWN, 4, 400), 0);
    CU_ASSERT_EQUAL(yb_idem_put(ix, "M", "2304", H_A, YB_IDEM_FAILED, 3, 300), 0); /* stale */
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "M", &hit), YB_IDEM_UNKNOWN);
    CU_ASSERT_EQUAL(hit.journal_id, 4);
    CU_ASSERT_EQUAL(yb_idem_count(ix), 3);
    /* at 1150 OLD (100) is past the window; STUCK (200) is still young */
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "N1", "2207", H_B, 1150, NULL), YB_IDEM_NEW);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "OLD", NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "STUCK", NULL), YB_IDEM_INFLIGHT);
    /* much later: STUCK is in flight, so it stays, and so does what is behind it */
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "N2", "2207", H_B, 9000, NULL), YB_IDEM_NEW);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "STUCK", NULL), YB_IDEM_INFLIGHT);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "M", NULL), YB_IDEM_UNKNOWN);
    yb_idem_set(ix, "STUCK", YB_IDEM_UNKNOWN, 0);
    CU_ASSERT_EQUAL(yb_idem_claim(ix, "N3", "2207", H_B, 9001, NULL), YB_IDEM_NEW);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "STUCK", NULL), YB_ENOENT);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "M", NULL), YB_ENOENT);
    /* N1 (1150) is past the window too, but in flight: kept */
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "N1", NULL), YB_IDEM_INFLIGHT);
    CU_ASSERT_EQUAL(yb_idem_peek(ix, "N3", NULL), YB_IDEM_INFLIGHT);
    yb_idem_free(ix);
}

static void test_growth(void)
{
    struct yb_idem *ix = yb_idem_new(0);
    char id[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "H450199000552026%08d", i);
        CU_ASSERT_EQUAL_FATAL(yb_idem_claim(ix, id, "2207", H_A, i, NULL), YB_IDEM_NEW);
    }
    CU_ASSERT_EQUAL(yb_idem_count(ix), 20000);
    int found = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "H450199000552026%08d", i);
        found += yb_idem_peek(ix, id, NULL) == YB_IDEM_INFLIGHT;
    }
    CU_ASSERT_EQUAL(found, 20000);
    yb_idem_free(ix);
}

static struct yb_idem *shared;
static int wins[8];

static void *race(void *arg)
{
    int me = (int)(intptr_t)arg;
    char id[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof(id), "RACE%d", i);
        if (yb_idem_claim(shared, id, "2207", H_A, i, NULL) == YB_IDEM_NEW)
            wins[me]++;
    }
    return NULL;
}

static void test_threads(void)
{
    shared = yb_idem_new(0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, race, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* each msgid was claimed by exactly one thread */
    CU_ASSERT_EQUAL(wins[0] + wins[1] + wins[2] + wins[3], 2000);
    CU_ASSERT_EQUAL(yb_idem_count(shared), 2000);
    yb_idem_free(shared);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_claim_then_repeat),
        YB_TEST(test_failed_frees_unknown_holds),
        YB_TEST(test_bad_keys),
        YB_TEST(test_load_and_expiry),
        YB_TEST(test_growth),
        YB_TEST(test_threads),
        YB_TEST_END,
    };
    return yb_test_main("idem", tests);
}
