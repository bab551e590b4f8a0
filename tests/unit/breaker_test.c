/*
 * breaker_test.c - the circuit breakers of the upstream endpoints
 * (breaker.c): the closed, open and half-open states, the one trial at a
 * time, health probes, the registry shared across reloads, and the counts
 * the metrics show. Time is passed in, so nothing here sleeps.
 */
#include <pthread.h>
#include <string.h>

#include "breaker.h"
#include "testutil.h"

static const struct yb_breaker_conf conf = {.failures = 3, .cooldown_ms = 1000};

static void test_opens_after_consecutive_failures(void)
{
    struct yb_breaker *b = yb_breaker_get("t1", "http://a/");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 100), 1);
        yb_breaker_record(b, &conf, 0, 100);
    }
    /* a success in between starts the count again */
    yb_breaker_record(b, &conf, 1, 100);
    yb_breaker_record(b, &conf, 0, 100);
    yb_breaker_record(b, &conf, 0, 100);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 100), YB_BREAKER_CLOSED);
    yb_breaker_record(b, &conf, 0, 100);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 100), YB_BREAKER_OPEN);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 500), 0);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 1099), 0);
}

static void test_half_open_trial(void)
{
    struct yb_breaker *b = yb_breaker_get("t2", "http://a/");
    for (int i = 0; i < 3; i++)
        yb_breaker_record(b, &conf, 0, 0);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 999), YB_BREAKER_OPEN);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 1000), YB_BREAKER_HALF_OPEN);
    /* one trial; the others wait for it */
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 1000), 1);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 1001), 0);
    /* the trial fails: open again for a whole cooldown */
    yb_breaker_record(b, &conf, 0, 1200);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 1300), YB_BREAKER_OPEN);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 2199), 0);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 2200), 1);
    /* this trial succeeds: closed, everyone may call */
    yb_breaker_record(b, &conf, 1, 2300);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 2300), YB_BREAKER_CLOSED);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 2301), 1);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 2301), 1);
}

static void test_lost_trial_is_given_up(void)
{
    struct yb_breaker *b = yb_breaker_get("t3", "http://a/");
    for (int i = 0; i < 3; i++)
        yb_breaker_record(b, &conf, 0, 0);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 1000), 1); /* a trial that never reports */
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 1999), 0);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 2000), 1); /* a new trial after a cooldown */
}

static void test_probes(void)
{
    struct yb_breaker *b = yb_breaker_get("t4", "http://a/");
    /* failed probes open it like failed calls */
    for (int i = 0; i < 3; i++)
        yb_breaker_probe(b, &conf, 0, 10);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 10), YB_BREAKER_OPEN);
    /* a good probe inside the cooldown changes nothing */
    yb_breaker_probe(b, &conf, 1, 500);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 500), 0);
    /* a failed probe after the cooldown opens it again */
    yb_breaker_probe(b, &conf, 0, 1010);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 1500), 0);
    /* a good probe after the cooldown: half-open, the next call is the trial */
    yb_breaker_probe(b, &conf, 1, 2010);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 2010), YB_BREAKER_HALF_OPEN);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &conf, 2011), 1);
    yb_breaker_record(b, &conf, 1, 2020);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &conf, 2020), YB_BREAKER_CLOSED);
}

static void test_off_never_opens(void)
{
    const struct yb_breaker_conf off = {.failures = 0, .cooldown_ms = 1000};
    struct yb_breaker *b = yb_breaker_get("t5", "http://a/");
    for (int i = 0; i < 100; i++)
        yb_breaker_record(b, &off, 0, 0);
    CU_ASSERT_EQUAL(yb_breaker_allow(b, &off, 1), 1);
    CU_ASSERT_EQUAL(yb_breaker_state(b, &off, 1), YB_BREAKER_CLOSED);
}

struct seen {
    int found, state;
    uint64_t opened;
};

static void find_t6(void *arg, const char *upstream, const char *endpoint, int state,
                    uint64_t opened)
{
    struct seen *s = arg;
    if (strcmp(upstream, "t6") == 0 && strcmp(endpoint, "http://b/") == 0) {
        s->found++;
        s->state = state;
        s->opened = opened;
    }
}

static void test_registry_and_counts(void)
{
    /* a reload asks again for the same names and gets the same state */
    struct yb_breaker *b = yb_breaker_get("t6", "http://b/");
    CU_ASSERT_PTR_EQUAL(yb_breaker_get("t6", "http://b/"), b);
    CU_ASSERT_PTR_NOT_EQUAL(yb_breaker_get("t6", "http://c/"), b);
    CU_ASSERT_PTR_NOT_EQUAL(yb_breaker_get("t7", "http://b/"), b);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++)
            yb_breaker_record(b, &conf, 0, round * 5000);
        yb_breaker_allow(b, &conf, round * 5000 + 1000);
        yb_breaker_record(b, &conf, 1, round * 5000 + 1000);
    }
    for (int i = 0; i < 3; i++)
        yb_breaker_record(b, &conf, 0, 20000);
    struct seen s = {0, -1, 0};
    yb_breakers_each(find_t6, &s, 20001);
    CU_ASSERT_EQUAL(s.found, 1);
    CU_ASSERT_EQUAL(s.state, YB_BREAKER_OPEN);
    CU_ASSERT_EQUAL(s.opened, 3);
    CU_ASSERT_STRING_EQUAL(yb_breaker_state_word(YB_BREAKER_HALF_OPEN), "half-open");
}

static struct yb_breaker *shared;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        if (yb_breaker_allow(shared, &conf, 0))
            yb_breaker_record(shared, &conf, 1, 0);
    }
    return NULL;
}

static void test_threads(void)
{
    shared = yb_breaker_get("t8", "http://a/");
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_EQUAL(yb_breaker_state(shared, &conf, 0), YB_BREAKER_CLOSED);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_opens_after_consecutive_failures),
        YB_TEST(test_half_open_trial),
        YB_TEST(test_lost_trial_is_given_up),
        YB_TEST(test_probes),
        YB_TEST(test_off_never_opens),
        YB_TEST(test_registry_and_counts),
        YB_TEST(test_threads),
        YB_TEST_END,
    };
    int rc = yb_test_main("breaker", tests);
    yb_breakers_free();
    return rc;
}
