/*
 * breaker.c - the circuit breakers of the upstream endpoints (breaker.h).
 *
 * Owns the process-wide list of breakers. The list only grows (an endpoint
 * removed by a reload keeps its few bytes until exit), so a pointer handed
 * out stays valid and the hot path takes only the breaker's own mutex.
 */
#include "breaker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct yb_breaker {
    struct yb_breaker *next;
    pthread_mutex_t lock;
    char *upstream;
    char *endpoint;
    int state;             /* enum yb_breaker_state, as last stored */
    unsigned failures;     /* consecutive, while closed */
    int64_t opened_at;     /* when it last opened */
    int64_t trial_at;      /* when the half-open trial started; 0: none out */
    long cooldown_ms;      /* from the last configuration that used it */
    uint64_t opened;       /* times it opened */
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct yb_breaker *list;

int64_t yb_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct yb_breaker *yb_breaker_get(const char *upstream, const char *endpoint)
{
    struct yb_breaker *b;
    pthread_mutex_lock(&list_lock);
    for (b = list; b; b = b->next)
        if (strcmp(b->upstream, upstream) == 0 && strcmp(b->endpoint, endpoint) == 0)
            goto done;
    b = calloc(1, sizeof(*b));
    if (!b)
        goto done;
    b->upstream = strdup(upstream);
    b->endpoint = strdup(endpoint);
    if (!b->upstream || !b->endpoint || pthread_mutex_init(&b->lock, NULL) != 0) {
        free(b->upstream);
        free(b->endpoint);
        free(b);
        b = NULL;
        goto done;
    }
    b->next = list;
    list = b;
done:
    pthread_mutex_unlock(&list_lock);
    return b;
}

void yb_breakers_free(void)
{
    pthread_mutex_lock(&list_lock);
    struct yb_breaker *b = list, *next;
    list = NULL;
    pthread_mutex_unlock(&list_lock);
    for (; b; b = next) {
        next = b->next;
        pthread_mutex_destroy(&b->lock);
        free(b->upstream);
        free(b->endpoint);
        free(b);
    }
}

static void open_now(struct yb_breaker *b, int64_t now)
{
    if (b->state != YB_BREAKER_OPEN)
        b->opened++;
    b->state = YB_BREAKER_OPEN;
    b->opened_at = now;
    b->trial_at = 0;
    b->failures = 0;
}

/* The state with time applied: open past its cooldown is half-open. */
static int current(const struct yb_breaker *b, long cooldown_ms, int64_t now)
{
    if (b->state == YB_BREAKER_OPEN && now - b->opened_at >= cooldown_ms)
        return YB_BREAKER_HALF_OPEN;
    return b->state;
}

int yb_breaker_allow(struct yb_breaker *b, const struct yb_breaker_conf *c, int64_t now_ms)
{
    if (!b || c->failures == 0)
        return 1;
    int allow = 1;
    pthread_mutex_lock(&b->lock);
    b->cooldown_ms = c->cooldown_ms;
    int state = current(b, c->cooldown_ms, now_ms);
    if (state == YB_BREAKER_OPEN) {
        allow = 0;
    } else if (state == YB_BREAKER_HALF_OPEN) {
        /* one trial at a time; a trial that never reported is given up
         * after a cooldown */
        if (b->trial_at && now_ms - b->trial_at < c->cooldown_ms) {
            allow = 0;
        } else {
            b->state = YB_BREAKER_HALF_OPEN;
            b->trial_at = now_ms;
        }
    }
    pthread_mutex_unlock(&b->lock);
    return allow;
}

void yb_breaker_record(struct yb_breaker *b, const struct yb_breaker_conf *c, int ok,
                       int64_t now_ms)
{
    if (!b || c->failures == 0)
        return;
    pthread_mutex_lock(&b->lock);
    b->cooldown_ms = c->cooldown_ms;
    if (ok) {
        b->state = YB_BREAKER_CLOSED;
        b->failures = 0;
        b->trial_at = 0;
    } else if (b->state == YB_BREAKER_HALF_OPEN) {
        open_now(b, now_ms); /* the trial failed */
    } else if (b->state == YB_BREAKER_CLOSED && ++b->failures >= c->failures) {
        open_now(b, now_ms);
    }
    /* a failure reported while open (a call let through before it opened)
     * does not extend the cooldown */
    pthread_mutex_unlock(&b->lock);
}

void yb_breaker_probe(struct yb_breaker *b, const struct yb_breaker_conf *c, int ok,
                      int64_t now_ms)
{
    if (!b || c->failures == 0)
        return;
    pthread_mutex_lock(&b->lock);
    b->cooldown_ms = c->cooldown_ms;
    int state = current(b, c->cooldown_ms, now_ms);
    if (ok) {
        if (state == YB_BREAKER_CLOSED)
            b->failures = 0;
        else if (state == YB_BREAKER_HALF_OPEN && b->state == YB_BREAKER_OPEN)
            b->state = YB_BREAKER_HALF_OPEN; /* the next call is the trial */
    } else if (state == YB_BREAKER_HALF_OPEN) {
        open_now(b, now_ms);
    } else if (state == YB_BREAKER_CLOSED && ++b->failures >= c->failures) {
        open_now(b, now_ms);
    }
    pthread_mutex_unlock(&b->lock);
}

int yb_breaker_state(struct yb_breaker *b, const struct yb_breaker_conf *c, int64_t now_ms)
{
    if (!b)
        return YB_BREAKER_CLOSED;
    pthread_mutex_lock(&b->lock);
    int state = current(b, c->cooldown_ms, now_ms);
    pthread_mutex_unlock(&b->lock);
    return state;
}

const char *yb_breaker_state_word(int state)
{
    switch (state) {
    case YB_BREAKER_OPEN:
        return "open";
    case YB_BREAKER_HALF_OPEN:
        return "half-open";
    default:
        return "closed";
    }
}

void yb_breakers_each(void (*fn)(void *arg, const char *upstream, const char *endpoint, int state,
                                 uint64_t opened),
                      void *arg, int64_t now_ms)
{
    pthread_mutex_lock(&list_lock);
    for (struct yb_breaker *b = list; b; b = b->next) {
        pthread_mutex_lock(&b->lock);
        int state = current(b, b->cooldown_ms, now_ms);
        uint64_t opened = b->opened;
        pthread_mutex_unlock(&b->lock);
        fn(arg, b->upstream, b->endpoint, state, opened);
    }
    pthread_mutex_unlock(&list_lock);
}
