/*
 * idem.c - the idempotency index (idem.h).
 *
 * A chained hash table of entries, each also on a list in the order they
 * were received, so expiry pops the oldest from the head. One mutex guards
 * it all: a claim is a hash, a short chain walk and at most a few frees, far
 * shorter than anything else a settlement does. The table doubles when it
 * holds more entries than buckets.
 */
#include "idem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ybgw/ybgw.h"

struct entry {
    struct entry *chain;        /* next in the bucket */
    struct entry *older, *newer; /* the age list */
    uint64_t key_hash;
    int state;
    int64_t journal_id;
    int64_t since_ms;
    char infno[8];
    char hash[65];
    char msgid[];
};

struct yb_idem {
    pthread_mutex_t lock;
    long window_ms;
    struct entry **buckets;
    size_t n_buckets; /* a power of two */
    size_t count;
    struct entry *oldest, *newest;
};

static uint64_t key_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct yb_idem *yb_idem_new(long window_ms)
{
    struct yb_idem *ix = calloc(1, sizeof(*ix));
    if (!ix)
        return NULL;
    ix->window_ms = window_ms;
    ix->n_buckets = 1024;
    ix->buckets = calloc(ix->n_buckets, sizeof(*ix->buckets));
    if (!ix->buckets || pthread_mutex_init(&ix->lock, NULL) != 0) {
        free(ix->buckets);
        free(ix);
        return NULL;
    }
    return ix;
}

void yb_idem_free(struct yb_idem *ix)
{
    if (!ix)
        return;
    struct entry *e = ix->oldest;
    while (e) {
        struct entry *next = e->newer;
        free(e);
        e = next;
    }
    free(ix->buckets);
    pthread_mutex_destroy(&ix->lock);
    free(ix);
}

static struct entry *find(struct yb_idem *ix, const char *msgid, uint64_t h)
{
    for (struct entry *e = ix->buckets[h & (ix->n_buckets - 1)]; e; e = e->chain)
        if (e->key_hash == h && strcmp(e->msgid, msgid) == 0)
            return e;
    return NULL;
}

static void unlink_entry(struct yb_idem *ix, struct entry *e)
{
    struct entry **p = &ix->buckets[e->key_hash & (ix->n_buckets - 1)];
    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    if (e->older)
        e->older->newer = e->newer;
    else
        ix->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        ix->newest = e->older;
    ix->count--;
}

/* Drop entries older than the window, oldest first; one still in flight
 * stops the sweep (it is never forgotten, and later ones are younger). */
static void expire(struct yb_idem *ix, int64_t now_ms)
{
    if (ix->window_ms <= 0)
        return;
    while (ix->oldest && ix->oldest->since_ms < now_ms - ix->window_ms &&
           ix->oldest->state != YB_IDEM_INFLIGHT) {
        struct entry *e = ix->oldest;
        unlink_entry(ix, e);
        free(e);
    }
}

static void grow(struct yb_idem *ix)
{
    size_t n = ix->n_buckets * 2;
    struct entry **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < ix->n_buckets; i++) {
        struct entry *e = ix->buckets[i];
        while (e) {
            struct entry *next = e->chain;
            e->chain = b[e->key_hash & (n - 1)];
            b[e->key_hash & (n - 1)] = e;
            e = next;
        }
    }
    free(ix->buckets);
    ix->buckets = b;
    ix->n_buckets = n;
}

/* Add an entry at the young end of the age list (or where since_ms puts it
 * when loading an older row). */
static struct entry *add(struct yb_idem *ix, const char *msgid, uint64_t h, const char *infno,
                         const char *hash, int state, int64_t journal_id, int64_t since_ms)
{
    size_t len = strlen(msgid);
    struct entry *e = calloc(1, sizeof(*e) + len + 1);
    if (!e)
        return NULL;
    memcpy(e->msgid, msgid, len + 1);
    e->key_hash = h;
    e->state = state;
    e->journal_id = journal_id;
    e->since_ms = since_ms;
    snprintf(e->infno, sizeof(e->infno), "%s", infno ? infno : "");
    memcpy(e->hash, hash, 64);
    e->hash[64] = '\0';
    if (ix->count >= ix->n_buckets)
        grow(ix);
    size_t b = h & (ix->n_buckets - 1);
    e->chain = ix->buckets[b];
    ix->buckets[b] = e;
    struct entry *after = ix->newest;
    while (after && after->since_ms > since_ms)
        after = after->older;
    e->older = after;
    e->newer = after ? after->newer : ix->oldest;
    if (e->newer)
        e->newer->older = e;
    else
        ix->newest = e;
    if (after)
        after->newer = e;
    else
        ix->oldest = e;
    ix->count++;
    return e;
}

static int valid_key(const char *msgid, const char *hash)
{
    if (!msgid || !*msgid || strlen(msgid) > YB_IDEM_MSGID_MAX || !hash || strlen(hash) != 64)
        return 0;
    return strspn(hash, "0123456789abcdef") == 64;
}

static void fill(struct yb_idem_hit *hit, const struct entry *e, int state)
{
    if (!hit)
        return;
    hit->state = state;
    hit->journal_id = e->journal_id;
    hit->since_ms = e->since_ms;
    snprintf(hit->infno, sizeof(hit->infno), "%s", e->infno);
}

int yb_idem_claim(struct yb_idem *ix, const char *msgid, const char *infno, const char *hash,
                  int64_t now_ms, struct yb_idem_hit *hit)
{
    if (!valid_key(msgid, hash))
        return YB_EINVAL;
    uint64_t h = key_hash(msgid);
    int rc;
    pthread_mutex_lock(&ix->lock);
    expire(ix, now_ms);
    struct entry *e = find(ix, msgid, h);
    if (!e) {
        e = add(ix, msgid, h, infno, hash, YB_IDEM_INFLIGHT, 0, now_ms);
        if (!e) {
            rc = YB_ENOMEM;
            goto out;
        }
        fill(hit, e, rc = YB_IDEM_NEW);
    } else if (memcmp(e->hash, hash, 64) != 0) {
        fill(hit, e, rc = YB_IDEM_CONFLICT);
    } else if (e->state == YB_IDEM_FAILED) {
        /* never reached the platform: this repeat is the transaction now */
        e->state = YB_IDEM_INFLIGHT;
        e->journal_id = 0;
        fill(hit, e, rc = YB_IDEM_NEW);
    } else {
        fill(hit, e, rc = e->state);
    }
out:
    pthread_mutex_unlock(&ix->lock);
    return rc;
}

int yb_idem_peek(struct yb_idem *ix, const char *msgid, struct yb_idem_hit *hit)
{
    if (!msgid)
        return YB_EINVAL;
    int rc = YB_ENOENT;
    pthread_mutex_lock(&ix->lock);
    struct entry *e = find(ix, msgid, key_hash(msgid));
    if (e)
        fill(hit, e, rc = e->state);
    pthread_mutex_unlock(&ix->lock);
    return rc;
}

void yb_idem_set(struct yb_idem *ix, const char *msgid, int state, int64_t journal_id)
{
    if (!msgid)
        return;
    pthread_mutex_lock(&ix->lock);
    struct entry *e = find(ix, msgid, key_hash(msgid));
    if (e) {
        e->state = state;
        if (journal_id)
            e->journal_id = journal_id;
    }
    pthread_mutex_unlock(&ix->lock);
}

int yb_idem_put(struct yb_idem *ix, const char *msgid, const char *infno, const char *hash,
                int state, int64_t journal_id, int64_t since_ms)
{
    if (!valid_key(msgid, hash) || state < YB_IDEM_INFLIGHT || state > YB_IDEM_UNKNOWN)
        return YB_EINVAL;
    uint64_t h = key_hash(msgid);
    int rc = 0;
    pthread_mutex_lock(&ix->lock);
    struct entry *e = find(ix, msgid, h);
    if (e) {
        /* the same msgid journaled twice (a failed first try, then the
         * repeat): the later row is the one that counts */
        if (journal_id >= e->journal_id) {
            e->state = state;
            e->journal_id = journal_id;
            memcpy(e->hash, hash, 64);
        }
    } else if (!add(ix, msgid, h, infno, hash, state, journal_id, since_ms)) {
        rc = YB_ENOMEM;
    }
    pthread_mutex_unlock(&ix->lock);
    return rc;
}

size_t yb_idem_count(struct yb_idem *ix)
{
    pthread_mutex_lock(&ix->lock);
    size_t n = ix->count;
    pthread_mutex_unlock(&ix->lock);
    return n;
}
