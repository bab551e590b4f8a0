/*
 * nonce_cache.c - the replay cache of signed calls (auth.h declares it):
 * one per process, shared by the workers and kept across reloads.
 *
 * The replay cache holds a 128-bit digest of (caller, nonce) and an expiry
 * per entry: the entries live in slots found through a chained hash table,
 * and a min-heap on the expiry says which one expires next. Every add first
 * drops what has expired (from the heap's top, O(log n) each), so the cache
 * refuses a nonce only when it is full of live ones, and never forgets a
 * live one. One mutex guards it: a relay does one add per accepted request,
 * and the critical section is a hash lookup and a heap step or two.
 */
#include "auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ybgw/ybgw.h"

#define KEY_BYTES 16
#define SLOTS_FIRST 1024 /* entries allocated on first use */

struct nonce_entry {
    unsigned char key[KEY_BYTES]; /* SHA-256(caller NUL nonce), first 16 bytes */
    int64_t expires;              /* last millisecond the nonce is live */
    uint32_t next;                /* in use: next slot in the bucket's chain; free: next free slot
                                     (slot + 1 either way, 0 = end) */
};

struct yb_nonce_cache {
    pthread_mutex_t lock;
    size_t max;
    struct nonce_entry *slots; /* an entry keeps its slot for its life */
    size_t cap, used;          /* slots allocated; slots ever handed out */
    uint32_t free_slots;       /* first free slot + 1, 0 = none */
    uint32_t *heap;            /* count slots, a min-heap on expires */
    size_t count;
    uint32_t *buckets; /* chain heads: slot + 1, 0 = empty */
    size_t n_buckets;  /* a power of two, >= cap */
};

struct yb_nonce_cache *yb_nonce_cache_new(size_t max)
{
    if (max == 0)
        max = YB_AUTH_NONCES_DEFAULT;
    if (max > YB_AUTH_NONCES_MAX)
        return NULL;
    struct yb_nonce_cache *nc = calloc(1, sizeof(*nc));
    if (!nc)
        return NULL;
    if (pthread_mutex_init(&nc->lock, NULL) != 0) {
        free(nc);
        return NULL;
    }
    nc->max = max;
    return nc;
}

void yb_nonce_cache_free(struct yb_nonce_cache *nc)
{
    if (!nc)
        return;
    pthread_mutex_destroy(&nc->lock);
    free(nc->slots);
    free(nc->heap);
    free(nc->buckets);
    free(nc);
}

static size_t bucket_of(const struct yb_nonce_cache *nc, const unsigned char *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof(h)); /* a digest: any 8 bytes are uniform */
    return (size_t)(h & (nc->n_buckets - 1));
}

static void link_slot(struct yb_nonce_cache *nc, uint32_t slot)
{
    size_t b = bucket_of(nc, nc->slots[slot].key);
    nc->slots[slot].next = nc->buckets[b];
    nc->buckets[b] = slot + 1;
}

static void unlink_slot(struct yb_nonce_cache *nc, uint32_t slot)
{
    uint32_t *p = &nc->buckets[bucket_of(nc, nc->slots[slot].key)];
    while (*p && *p != slot + 1)
        p = &nc->slots[*p - 1].next;
    if (*p)
        *p = nc->slots[slot].next;
}

static int64_t expiry_at(const struct yb_nonce_cache *nc, size_t i)
{
    return nc->slots[nc->heap[i]].expires;
}

static void swap_heap(struct yb_nonce_cache *nc, size_t i, size_t j)
{
    uint32_t t = nc->heap[i];
    nc->heap[i] = nc->heap[j];
    nc->heap[j] = t;
}

static void sift_up(struct yb_nonce_cache *nc, size_t i)
{
    while (i > 0 && expiry_at(nc, (i - 1) / 2) > expiry_at(nc, i)) {
        swap_heap(nc, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(struct yb_nonce_cache *nc, size_t i)
{
    for (;;) {
        size_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < nc->count && expiry_at(nc, l) < expiry_at(nc, least))
            least = l;
        if (r < nc->count && expiry_at(nc, r) < expiry_at(nc, least))
            least = r;
        if (least == i)
            return;
        swap_heap(nc, i, least);
        i = least;
    }
}

/* Drop every entry that expired before now: the heap's top is always the
 * next to expire, so what is left is exactly the live set. */
static void drop_expired(struct yb_nonce_cache *nc, int64_t now_ms)
{
    while (nc->count && expiry_at(nc, 0) < now_ms) {
        uint32_t slot = nc->heap[0];
        unlink_slot(nc, slot);
        nc->slots[slot].next = nc->free_slots;
        nc->free_slots = slot + 1;
        nc->heap[0] = nc->heap[--nc->count];
        sift_down(nc, 0);
    }
}

/* Make room for more entries: double the slots (up to max) and rebuild the
 * chains for the larger table. Called with the lock held when every slot is
 * in use and count < max. Slots keep their numbers, so the heap stays. */
static int grow(struct yb_nonce_cache *nc)
{
    size_t cap = nc->cap ? nc->cap * 2 : SLOTS_FIRST;
    if (cap > nc->max)
        cap = nc->max;
    if (cap <= nc->cap)
        return YB_ELIMIT; /* the caller checks count against max first */
    size_t n_buckets = 1;
    while (n_buckets < cap)
        n_buckets <<= 1;
    struct nonce_entry *slots = realloc(nc->slots, cap * sizeof(*slots));
    if (!slots)
        return YB_ENOMEM;
    nc->slots = slots;
    uint32_t *heap = realloc(nc->heap, cap * sizeof(*heap));
    if (!heap)
        return YB_ENOMEM;
    nc->heap = heap;
    uint32_t *buckets = calloc(n_buckets, sizeof(*buckets));
    if (!buckets)
        return YB_ENOMEM;
    free(nc->buckets);
    nc->buckets = buckets;
    nc->n_buckets = n_buckets;
    nc->cap = cap;
    for (size_t i = 0; i < nc->count; i++)
        link_slot(nc, nc->heap[i]);
    return 0;
}

static int make_key(const char *caller, const char *nonce, unsigned char *key)
{
    char text[2 * 129];
    size_t cl = strnlen(caller, 129), nl = strnlen(nonce, 129);
    if (cl == 0 || cl > 128 || nl == 0 || nl > 128)
        return YB_EINVAL;
    memcpy(text, caller, cl);
    text[cl] = '\0';
    memcpy(text + cl + 1, nonce, nl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!EVP_Digest(text, cl + 1 + nl, md, &md_len, EVP_sha256(), NULL) || md_len < KEY_BYTES)
        return YB_EIO;
    memcpy(key, md, KEY_BYTES);
    return 0;
}

int yb_nonce_cache_add(struct yb_nonce_cache *nc, const char *caller, const char *nonce,
                       int64_t now_ms, long window_ms)
{
    unsigned char key[KEY_BYTES];
    if (!nc || !caller || !nonce || now_ms < 0 || window_ms < 0 || now_ms > INT64_MAX - window_ms)
        return YB_EINVAL;
    int rc = make_key(caller, nonce, key);
    if (rc)
        return rc;

    pthread_mutex_lock(&nc->lock);
    drop_expired(nc, now_ms);
    if (nc->n_buckets) {
        for (uint32_t i = nc->buckets[bucket_of(nc, key)]; i; i = nc->slots[i - 1].next) {
            if (memcmp(nc->slots[i - 1].key, key, KEY_BYTES) == 0) {
                rc = YB_EEXIST; /* everything left is live */
                goto out;
            }
        }
    }
    if (nc->count >= nc->max) {
        rc = YB_ELIMIT;
        goto out;
    }
    uint32_t slot;
    if (nc->free_slots) {
        slot = nc->free_slots - 1;
        nc->free_slots = nc->slots[slot].next;
    } else {
        if (nc->used >= nc->cap && (rc = grow(nc)))
            goto out;
        slot = (uint32_t)nc->used++;
    }
    memcpy(nc->slots[slot].key, key, KEY_BYTES);
    nc->slots[slot].expires = now_ms + window_ms;
    link_slot(nc, slot);
    nc->heap[nc->count++] = slot;
    sift_up(nc, nc->count - 1);
out:
    pthread_mutex_unlock(&nc->lock);
    return rc;
}

int yb_nonce_cache_set_max(struct yb_nonce_cache *nc, size_t max)
{
    if (!nc || max > YB_AUTH_NONCES_MAX)
        return YB_EINVAL;
    pthread_mutex_lock(&nc->lock);
    nc->max = max ? max : YB_AUTH_NONCES_DEFAULT;
    pthread_mutex_unlock(&nc->lock);
    return 0;
}

size_t yb_nonce_cache_count(struct yb_nonce_cache *nc)
{
    if (!nc)
        return 0;
    pthread_mutex_lock(&nc->lock);
    size_t n = nc->count;
    pthread_mutex_unlock(&nc->lock);
    return n;
}
