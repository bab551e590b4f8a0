/*
 * ratelimit.h - how often one caller may call: a token bucket per caller
 * name, shared by every worker and kept across reloads.
 *
 * A caller block says `rate N/s;` or `rate N/m;` with an optional
 * `burst M`: the bucket holds at most M tokens (default N: one period's
 * allowance), refills at N per second (or minute), and every request takes
 * one token. A request that finds the bucket empty is refused (HTTP 429,
 * txn.c) with the time until the next token, for Retry-After.
 *
 * The buckets live in one process-wide table (struct yb_ratelimit, owned by
 * the server) keyed by the caller's name, so a reload keeps what each caller
 * has used; a new rate applies from the next request (the tokens held are
 * cut to the new burst). The clock is an argument, so tests drive it.
 */
#ifndef YB_RATELIMIT_H
#define YB_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define YB_RATE_MAX 1000000u /* requests per period, and burst */

/* `rate N/s [burst M];` parsed. per == 0: no limit. */
struct yb_rate {
    unsigned per;   /* N */
    long period_ms; /* 1000 (/s) or 60000 (/m) */
    unsigned burst; /* M; N when not given */
};

/* Parse "N/s" or "N/m" and, when burst is not NULL, M from its text.
 * N and M are 1 to YB_RATE_MAX. Returns 0 or YB_EINVAL. */
int yb_rate_parse(const char *rate, const char *burst, struct yb_rate *out);

struct yb_ratelimit;

/* An empty table. NULL when out of memory. Thread-safe; free once, after
 * the last user. */
struct yb_ratelimit *yb_ratelimit_new(void);
void yb_ratelimit_free(struct yb_ratelimit *rl);

/* Take one token from name's bucket at now_ms (a monotonic or wall clock in
 * milliseconds; it only has to move forward, and a step back is treated as
 * no time passing). 0: taken. YB_ELIMIT: the bucket is empty, and
 * *retry_after_ms (when not NULL) gets the milliseconds until a token is
 * back (at least 1). A first sighting of name starts with a full bucket.
 * YB_EINVAL for a bad argument; a rate with per == 0 always passes. When the
 * table is full of callers that are all still refilling (more than
 * YB_RATELIMIT_NAMES_MAX names in use at once), the request passes: a limit
 * that cannot be tracked is not enforced rather than refusing everyone. */
int yb_ratelimit_take(struct yb_ratelimit *rl, const char *name, const struct yb_rate *rate,
                      int64_t now_ms, long *retry_after_ms);

#define YB_RATELIMIT_NAMES_MAX 16384

/* Callers tracked now, for tests. */
size_t yb_ratelimit_count(struct yb_ratelimit *rl);

#endif
