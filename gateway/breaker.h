/*
 * breaker.h - one circuit breaker per upstream endpoint.
 *
 * An endpoint that keeps failing is taken out of use for a while, so that
 * transactions go to the next endpoint of the cluster (or fail at once with
 * a clear error) instead of each waiting for its own timeout:
 *
 *   closed     calls go through; `failures` consecutive failures open it
 *   open       calls skip the endpoint until `cooldown` has passed
 *   half-open  one call (the trial) goes through; its success closes the
 *              breaker, its failure opens it for another cooldown
 *
 * A health check is a probe with no transaction in it: a failed probe counts
 * like a failed call, and a good probe of an open breaker whose cooldown has
 * passed makes it half-open at once.
 *
 * The state belongs to the process, not to a configuration: it is shared by
 * all workers and kept across reloads, keyed by upstream name and endpoint
 * URL. Each breaker has its own mutex; the calls are short and rare next to
 * a network round trip.
 */
#ifndef YB_BREAKER_H
#define YB_BREAKER_H

#include <stdint.h>

struct yb_breaker_conf {
    unsigned failures; /* consecutive failures that open it; 0 = never opens */
    long cooldown_ms;  /* how long it stays open */
};

enum yb_breaker_state { YB_BREAKER_CLOSED = 0, YB_BREAKER_OPEN = 1, YB_BREAKER_HALF_OPEN = 2 };

struct yb_breaker;

/* The breaker of ENDPOINT in UPSTREAM, made on first use. NULL only when
 * out of memory. The pointer stays valid until yb_breakers_free. */
struct yb_breaker *yb_breaker_get(const char *upstream, const char *endpoint);
/* Free every breaker (at exit, after the workers have stopped). */
void yb_breakers_free(void);

/* May a call go to the endpoint now? 1: yes (in half-open, this call is the
 * trial and others are refused until it reports, or until a cooldown has
 * passed, in case it never reports); 0: skip it. */
int yb_breaker_allow(struct yb_breaker *b, const struct yb_breaker_conf *c, int64_t now_ms);
/* The outcome of a call that yb_breaker_allow let through. */
void yb_breaker_record(struct yb_breaker *b, const struct yb_breaker_conf *c, int ok,
                       int64_t now_ms);
/* The outcome of a health check. */
void yb_breaker_probe(struct yb_breaker *b, const struct yb_breaker_conf *c, int ok,
                      int64_t now_ms);
/* The state as a caller would meet it now (open past its cooldown reads
 * half-open). */
int yb_breaker_state(struct yb_breaker *b, const struct yb_breaker_conf *c, int64_t now_ms);
const char *yb_breaker_state_word(int state);

/* Call FN for each breaker: its names, state (as of now, with the
 * configuration it was last used with), and how many times it opened. */
void yb_breakers_each(void (*fn)(void *arg, const char *upstream, const char *endpoint, int state,
                                 uint64_t opened),
                      void *arg, int64_t now_ms);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t yb_monotonic_ms(void);

#endif
