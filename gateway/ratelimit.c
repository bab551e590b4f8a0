/*
 * ratelimit.c - the per-caller token buckets (ratelimit.h has the rules).
 *
 * Where it sits on a message's path: txn.c takes a token right after the
 * caller is authenticated and before the body is decoded, so a caller over
 * its limit costs a hash lookup, never a parse or an upstream call.
 *
 * Tokens are counted in integer units of 1/60000 token: a rate of N/s then
 * refills 60 N units a millisecond and N/m refills N units, both exact, so no
 * float ever decides whether a request passes. A bucket that has refilled to
 * its burst is the same as no bucket at all, which is what lets the table
 * drop entries when it fills up without changing any answer.
 *
 * One mutex guards the table: the critical section is a hash lookup and a
 * few multiplications.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ybgw/ybgw.h"

#define UNITS 60000   /* units in one token: the LCM of 1000 ms and 60000 ms */
#define N_CHAINS 1024 /* hash chains; a power of two */
#define NAME_MAX_LEN 128

struct bucket {
    struct bucket *next;
    int64_t units;   /* tokens held, in units */
    int64_t last_ms; /* when units was last brought up to date */
    int64_t full_ms; /* from then on the bucket is full again */
    char name[];
};

struct yb_ratelimit {
    pthread_mutex_t lock;
    struct bucket *chains[N_CHAINS];
    size_t count;
};

static int parse_count(const char *s, size_t len, unsigned *out)
{
    unsigned long v = 0;
    if (len == 0 || len > 7)
        return YB_EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return YB_EINVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < 1 || v > YB_RATE_MAX)
        return YB_EINVAL;
    *out = (unsigned)v;
    return 0;
}

int yb_rate_parse(const char *rate, const char *burst, struct yb_rate *out)
{
    struct yb_rate r = {0, 0, 0};
    if (!rate || !out)
        return YB_EINVAL;
    const char *slash = strchr(rate, '/');
    if (!slash || parse_count(rate, (size_t)(slash - rate), &r.per))
        return YB_EINVAL;
    if (strcmp(slash + 1, "s") == 0)
        r.period_ms = 1000;
    else if (strcmp(slash + 1, "m") == 0)
        r.period_ms = 60000;
    else
        return YB_EINVAL;
    r.burst = r.per;
    if (burst && parse_count(burst, strlen(burst), &r.burst))
        return YB_EINVAL;
    *out = r;
    return 0;
}

struct yb_ratelimit *yb_ratelimit_new(void)
{
    struct yb_ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    if (pthread_mutex_init(&rl->lock, NULL) != 0) {
        free(rl);
        return NULL;
    }
    return rl;
}

void yb_ratelimit_free(struct yb_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < N_CHAINS; i++) {
        struct bucket *b = rl->chains[i];
        while (b) {
            struct bucket *next = b->next;
            free(b);
            b = next;
        }
    }
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static size_t chain_of(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h & (N_CHAINS - 1);
}

/* Drop every bucket that has refilled by now: it answers exactly as a
 * fresh one would. Called with the lock held. */
static void drop_full(struct yb_ratelimit *rl, int64_t now_ms)
{
    for (size_t i = 0; i < N_CHAINS; i++) {
        struct bucket **p = &rl->chains[i];
        while (*p) {
            if ((*p)->full_ms <= now_ms) {
                struct bucket *gone = *p;
                *p = gone->next;
                free(gone);
                rl->count--;
            } else {
                p = &(*p)->next;
            }
        }
    }
}

int yb_ratelimit_take(struct yb_ratelimit *rl, const char *name, const struct yb_rate *rate,
                      int64_t now_ms, long *retry_after_ms)
{
    if (retry_after_ms)
        *retry_after_ms = 0;
    if (!rl || !name || !rate || now_ms < 0)
        return YB_EINVAL;
    if (rate->per == 0)
        return 0;
    size_t name_len = strnlen(name, NAME_MAX_LEN + 1);
    if (name_len == 0 || name_len > NAME_MAX_LEN || rate->per > YB_RATE_MAX || rate->burst < 1 ||
        rate->burst > YB_RATE_MAX || (rate->period_ms != 1000 && rate->period_ms != 60000))
        return YB_EINVAL;
    int64_t refill = (int64_t)rate->per * (UNITS / rate->period_ms); /* units a millisecond */
    int64_t cap = (int64_t)rate->burst * UNITS;
    int rc = 0;

    pthread_mutex_lock(&rl->lock);
    size_t chain = chain_of(name);
    struct bucket *b = rl->chains[chain];
    while (b && strcmp(b->name, name) != 0)
        b = b->next;
    if (!b) {
        if (rl->count >= YB_RATELIMIT_NAMES_MAX)
            drop_full(rl, now_ms);
        if (rl->count >= YB_RATELIMIT_NAMES_MAX || !(b = malloc(sizeof(*b) + name_len + 1)))
            goto out; /* cannot track: pass (ratelimit.h) */
        memcpy(b->name, name, name_len + 1);
        b->units = cap;
        b->last_ms = now_ms;
        b->next = rl->chains[chain];
        rl->chains[chain] = b;
        rl->count++;
    } else if (now_ms > b->last_ms) {
        /* elapsed is capped where the bucket is surely full, so the
         * product cannot overflow */
        int64_t elapsed = now_ms - b->last_ms;
        int64_t to_full = cap / refill + 1;
        b->units += (elapsed < to_full ? elapsed : to_full) * refill;
        b->last_ms = now_ms;
    }
    if (b->units > cap)
        b->units = cap; /* a full bucket, or a reload with a smaller burst */
    if (b->units >= UNITS) {
        b->units -= UNITS;
    } else {
        rc = YB_ELIMIT;
        if (retry_after_ms)
            *retry_after_ms = (long)((UNITS - b->units + refill - 1) / refill);
    }
    b->full_ms = b->last_ms + (cap - b->units + refill - 1) / refill;
out:
    pthread_mutex_unlock(&rl->lock);
    return rc;
}

size_t yb_ratelimit_count(struct yb_ratelimit *rl)
{
    if (!rl)
        return 0;
    pthread_mutex_lock(&rl->lock);
    size_t n = rl->count;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
