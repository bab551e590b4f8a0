/*
 * ratelimit_test.c - the per-caller token buckets (ratelimit.c), driven by
 * an injected clock: `rate N/s|N/m [burst M]` parses or is refused, a bucket
 * gives exactly burst requests at once and then one per 1/N period, says
 * how long to wait, keeps callers apart, follows a reload's new rate, never
 * refills on a clock that steps back, hands out exactly the tokens it has
 * to concurrent takers, and drops only refilled buckets when full.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

static struct yb_rate rate_of(const char *text, const char *burst)
{
    struct yb_rate r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL_FATAL(yb_rate_parse(text, burst, &r), 0);
    return r;
}

static void test_parse(void)
{
    struct yb_rate r = rate_of("10/s", NULL);
    CU_ASSERT_EQUAL(r.per, 10);
    CU_ASSERT_EQUAL(r.period_ms, 1000);
    CU_ASSERT_EQUAL(r.burst, 10); /* one period's allowance */
    r = rate_of("600/m", "50");
    CU_ASSERT_EQUAL(r.per, 600);
    CU_ASSERT_EQUAL(r.period_ms, 60000);
    CU_ASSERT_EQUAL(r.burst, 50);
    r = rate_of("1000000/s", "1000000");
    CU_ASSERT_EQUAL(r.per, YB_RATE_MAX);

    static const char *const bad[] = {"0/s",   "10",    "10/h",      "/s",    "10/",
                                      "10/s/", "-1/s",  "1000001/s", "abc/s", "1.5/s",
                                      "10/S",  " 10/s", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct yb_rate keep = {7, 1000, 7};
        CU_ASSERT_EQUAL(yb_rate_parse(bad[i], NULL, &keep), YB_EINVAL);
        CU_ASSERT_EQUAL(keep.per, 7); /* untouched on failure */
    }
    static const char *const bad_burst[] = {"0", "x", "1000001", "-3", ""};
    for (size_t i = 0; i < sizeof(bad_burst) / sizeof(bad_burst[0]); i++)
        CU_ASSERT_EQUAL(yb_rate_parse("10/s", bad_burst[i], &r), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_rate_parse(NULL, NULL, &r), YB_EINVAL);
}

static void test_burst_then_steady(void)
{
    struct yb_ratelimit *rl = yb_ratelimit_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
    struct yb_rate r = rate_of("2/s", NULL);
    long retry = -1;
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 1000, &retry), 0);
    CU_ASSERT_EQUAL(retry, 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 1000, &retry), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 1000, &retry), YB_ELIMIT);
    CU_ASSERT_EQUAL(retry, 500); /* one token every 500 ms */
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 1499, &retry), YB_ELIMIT);
    CU_ASSERT_EQUAL(retry, 1);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 1500, &retry), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 1500, &retry), YB_ELIMIT);
    CU_ASSERT_EQUAL(retry, 500);
    /* a long pause refills to the burst, not beyond */
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 900000, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 900000, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, 900000, NULL), YB_ELIMIT);
    /* a huge gap cannot overflow the refill */
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, INT64_MAX / 2, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, INT64_MAX / 2, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "his-a", &r, INT64_MAX / 2, NULL), YB_ELIMIT);
    yb_ratelimit_free(rl);
}

static void test_per_minute(void)
{
    struct yb_ratelimit *rl = yb_ratelimit_new();
    struct yb_rate r = rate_of("60/m", "1");
    long retry = 0;
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "relay", &r, 0, &retry), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "relay", &r, 0, &retry), YB_ELIMIT);
    CU_ASSERT_EQUAL(retry, 1000);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "relay", &r, 999, &retry), YB_ELIMIT);
    CU_ASSERT_EQUAL(retry, 1);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "relay", &r, 1000, &retry), 0);
    /* 7/m: a token every 8571.4 ms, so the wait rounds up */
    struct yb_rate odd = rate_of("7/m", "1");
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "odd", &odd, 0, &retry), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "odd", &odd, 0, &retry), YB_ELIMIT);
    CU_ASSERT_EQUAL(retry, 8572);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "odd", &odd, 8571, &retry), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "odd", &odd, 8572, &retry), 0);
    yb_ratelimit_free(rl);
}

static void test_callers_apart_and_reload(void)
{
    struct yb_ratelimit *rl = yb_ratelimit_new();
    struct yb_rate one = rate_of("1/s", NULL);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &one, 0, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &one, 0, NULL), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "b", &one, 0, NULL), 0); /* its own bucket */
    CU_ASSERT_EQUAL(yb_ratelimit_count(rl), 2);

    /* a reload with a smaller burst cuts what is held; a larger one does
     * not add tokens at once */
    struct yb_rate ten = rate_of("10/s", NULL);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "c", &ten, 0, NULL), 0); /* 7 left */
    struct yb_rate small = rate_of("10/s", "2");
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "c", &small, 0, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "c", &small, 0, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "c", &small, 0, NULL), YB_ELIMIT);
    struct yb_rate big = rate_of("10/s", "100");
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "c", &big, 0, NULL), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "c", &big, 100, NULL), 0);

    /* no limit configured: always passes, nothing tracked */
    struct yb_rate none = {0, 0, 0};
    size_t before = yb_ratelimit_count(rl);
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "free", &none, 0, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_count(rl), before);

    /* bad arguments */
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, NULL, &one, 0, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "", &one, 0, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", NULL, 0, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &one, -1, NULL), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_ratelimit_take(NULL, "a", &one, 0, NULL), YB_EINVAL);
    struct yb_rate hour = {1, 3600000, 1};
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &hour, 0, NULL), YB_EINVAL);
    yb_ratelimit_free(rl);
    yb_ratelimit_free(NULL);
}

static void test_clock_steps_back(void)
{
    struct yb_ratelimit *rl = yb_ratelimit_new();
    struct yb_rate r = rate_of("1/s", NULL);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &r, 5000, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &r, 1000, NULL), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &r, 5999, NULL), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "a", &r, 6000, NULL), 0);
    yb_ratelimit_free(rl);
}

struct racer {
    struct yb_ratelimit *rl;
    struct yb_rate rate;
    int taken;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < 1000; i++)
        if (yb_ratelimit_take(r->rl, "shared", &r->rate, 42, NULL) == 0)
            r->taken++;
    return NULL;
}

static void test_concurrent_takes(void)
{
    struct yb_ratelimit *rl = yb_ratelimit_new();
    struct racer racers[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        racers[i].rl = rl;
        racers[i].rate = rate_of("10/s", "1500");
        racers[i].taken = 0;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        total += racers[i].taken;
    }
    CU_ASSERT_EQUAL(total, 1500); /* the clock stood still: exactly the burst */
    yb_ratelimit_free(rl);
}

static void test_full_table(void)
{
    struct yb_ratelimit *rl = yb_ratelimit_new();
    struct yb_rate r = rate_of("1/s", NULL);
    char name[32];
    for (int i = 0; i < YB_RATELIMIT_NAMES_MAX; i++) {
        snprintf(name, sizeof(name), "caller-%d", i);
        CU_ASSERT_EQUAL(yb_ratelimit_take(rl, name, &r, 0, NULL), 0);
    }
    CU_ASSERT_EQUAL(yb_ratelimit_count(rl), YB_RATELIMIT_NAMES_MAX);
    /* every bucket is empty and refilling: a newcomer cannot be tracked and
     * passes, again and again, while the known ones stay limited */
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "newcomer", &r, 10, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "newcomer", &r, 10, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "caller-7", &r, 10, NULL), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_ratelimit_count(rl), YB_RATELIMIT_NAMES_MAX);
    /* a second later every bucket has refilled: they are dropped to make
     * room, which changes no answer */
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "newcomer", &r, 1000, NULL), 0);
    CU_ASSERT_EQUAL(yb_ratelimit_count(rl), 1);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "newcomer", &r, 1000, NULL), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_ratelimit_take(rl, "caller-7", &r, 1000, NULL), 0);
    yb_ratelimit_free(rl);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_parse),
        YB_TEST(test_burst_then_steady),
        YB_TEST(test_per_minute),
        YB_TEST(test_callers_apart_and_reload),
        YB_TEST(test_clock_steps_back),
        YB_TEST(test_concurrent_takes),
        YB_TEST(test_full_table),
        YB_TEST_END,
    };
    return yb_test_main("ratelimit", tests);
}
