/*
 * auth.c - caller authentication for a relay: the `caller` blocks of the
 * configuration, the process-wide replay cache, and the check of one signed
 * request (auth.h has the wire format).
 *
 * Where it sits on a message's path: the listener hands the four X-Ybgw-*
 * headers and the raw body to yb_auth_verify before anything is decoded, so
 * a request from nobody costs a few comparisons and one HMAC. The signed
 * text itself is built by sign.c (yb_sign_ybgw), the same code the calling
 * ybgw signs with, so the two sides cannot drift apart.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conf.h"
#include "sign.h"
#include "ybgw/ybgw.h"

/* ---- configuration ---- */

void yb_auth_conf_init(struct yb_auth_conf *a)
{
    if (!a)
        return;
    a->window_ms = YB_AUTH_WINDOW_DEFAULT;
    a->max_nonces = YB_AUTH_NONCES_DEFAULT;
}

static void wipe_free(char *secret)
{
    if (secret) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
    }
}

static void caller_free(struct yb_caller *c)
{
    free(c->name);
    wipe_free(c->secret);
    for (int i = 0; i < c->n_institutions; i++)
        free(c->institutions[i]);
    free(c->institutions);
    memset(c, 0, sizeof(*c));
}

/* "*", or 1-32 letters and digits with an optional '*' at the end. */
static int pattern_ok(const char *p)
{
    if (strcmp(p, "*") == 0)
        return 1;
    size_t n = strnlen(p, YB_AUTH_PATTERN_LEN_MAX + 2);
    size_t stem = n && p[n - 1] == '*' ? n - 1 : n;
    if (stem == 0 || stem > YB_AUTH_PATTERN_LEN_MAX)
        return 0;
    for (size_t i = 0; i < stem; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* A relative path is relative to the directory of the file that names it,
 * as for include and upstream secret files. The caller frees the result. */
static char *resolve_path(const struct yb_conf *d, const char *arg)
{
    const char *slash = d->file ? strrchr(d->file, '/') : NULL;
    size_t dir = arg[0] == '/' || !slash ? 0 : (size_t)(slash - d->file + 1);
    size_t len = dir + strlen(arg) + 1;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%.*s%s", (int)dir, d->file, arg);
    return path;
}

static int set_secret_file(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                           char *err, size_t errlen)
{
    struct yb_caller *c = target;
    char why[512];
    (void)cmd;
    if (c->secret)
        return yb_conf_error(d, err, errlen, "caller \"%s\": secret_file is given twice", c->name);
    char *path = resolve_path(d, d->argv[0]);
    if (!path)
        return yb_conf_error(d, err, errlen, "out of memory");
    why[0] = '\0';
    int rc = yb_sign_load_secret(path, &c->secret, why, sizeof(why));
    free(path);
    if (rc)
        return yb_conf_error(d, err, errlen, "caller \"%s\": %s", c->name, why);
    return 0;
}

static int set_institutions(const struct yb_conf *d, const struct yb_conf_command *cmd,
                            void *target, char *err, size_t errlen)
{
    struct yb_caller *c = target;
    (void)cmd;
    if (c->n_institutions + d->argc > YB_AUTH_PATTERNS_MAX)
        return yb_conf_error(d, err, errlen, "caller \"%s\": more than %d institution patterns",
                             c->name, YB_AUTH_PATTERNS_MAX);
    for (int i = 0; i < d->argc; i++)
        if (!pattern_ok(d->argv[i]))
            return yb_conf_error(d, err, errlen,
                                 "caller \"%s\": institution pattern \"%.40s\" is not valid: "
                                 "use a fixmedins_code (H45019900055), a prefix ending in * "
                                 "(H45*), or * alone for any",
                                 c->name, d->argv[i]);
    char **list =
        realloc(c->institutions, (size_t)(c->n_institutions + d->argc) * sizeof(*c->institutions));
    if (!list)
        return yb_conf_error(d, err, errlen, "out of memory");
    c->institutions = list;
    for (int i = 0; i < d->argc; i++) {
        if (!(list[c->n_institutions] = strdup(d->argv[i])))
            return yb_conf_error(d, err, errlen, "out of memory");
        c->n_institutions++;
    }
    return 0;
}

static const struct yb_conf_command caller_commands[] = {
    {"secret_file", 1, 1, 0, set_secret_file, 0, 0},
    {"institutions", 1, -1, 0, set_institutions, 0, 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

int yb_auth_caller_conf(const struct yb_conf *d, struct yb_auth_conf *a, char *err, size_t errlen)
{
    struct yb_caller c = {0};
    int rc = YB_EINVAL;
    if (!d || !a)
        return YB_EINVAL;
    if (d->argc != 1 || !d->has_block) {
        yb_conf_error(d, err, errlen,
                      "caller takes one name and a block: caller NAME { secret_file FILE; "
                      "institutions PATTERN ...; }");
        goto fail;
    }
    const char *name = d->argv[0];
    if (!yb_sign_ybgw_caller_ok(name)) {
        yb_conf_error(d, err, errlen,
                      "caller name \"%.80s\" is not valid: use 1-64 letters, digits, '.', '_' "
                      "or '-'",
                      name);
        goto fail;
    }
    if (yb_auth_find(a, name)) {
        yb_conf_error(d, err, errlen, "caller \"%s\" is defined twice", name);
        goto fail;
    }
    if (a->n_callers >= YB_AUTH_CALLERS_MAX) {
        yb_conf_error(d, err, errlen, "more than %d callers", YB_AUTH_CALLERS_MAX);
        goto fail;
    }
    if (!(c.name = strdup(name))) {
        rc = YB_ENOMEM;
        yb_conf_error(d, err, errlen, "out of memory");
        goto fail;
    }
    if ((rc = yb_conf_apply(d, caller_commands, &c, err, errlen)))
        goto fail;
    rc = YB_EINVAL;
    if (!c.secret) {
        yb_conf_error(d, err, errlen,
                      "caller \"%s\" has no secret_file: add secret_file FILE; (a file of mode "
                      "0600 holding the secret shared with that gateway)",
                      name);
        goto fail;
    }
    if (c.n_institutions == 0) {
        yb_conf_error(d, err, errlen,
                      "caller \"%s\" has no institutions: add institutions PATTERN ...; "
                      "(H45019900055, H45*, or * for any)",
                      name);
        goto fail;
    }
    struct yb_caller *list = realloc(a->callers, (size_t)(a->n_callers + 1) * sizeof(*list));
    if (!list) {
        rc = YB_ENOMEM;
        yb_conf_error(d, err, errlen, "out of memory");
        goto fail;
    }
    a->callers = list;
    list[a->n_callers++] = c;
    return 0;
fail:
    caller_free(&c);
    return rc;
}

void yb_auth_conf_free(struct yb_auth_conf *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n_callers; i++)
        caller_free(&a->callers[i]);
    free(a->callers);
    a->callers = NULL;
    a->n_callers = 0;
}

const struct yb_caller *yb_auth_find(const struct yb_auth_conf *a, const char *name)
{
    if (!a || !name)
        return NULL;
    for (int i = 0; i < a->n_callers; i++)
        if (strcmp(a->callers[i].name, name) == 0)
            return &a->callers[i];
    return NULL;
}

int yb_auth_institution_ok(const struct yb_caller *c, const char *fixmedins_code)
{
    if (!c || !fixmedins_code || !*fixmedins_code)
        return 0;
    for (int i = 0; i < c->n_institutions; i++) {
        const char *p = c->institutions[i];
        size_t n = strlen(p);
        if (n && p[n - 1] == '*') {
            if (strncmp(p, fixmedins_code, n - 1) == 0)
                return 1;
        } else if (strcmp(p, fixmedins_code) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- the replay cache ---- */

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

/* ---- checking one request ---- */

static int refuse(const char **rule, const char *word, int rc, char *err, size_t errlen,
                  const char *fmt, ...) YB_PRINTF(6, 7);
static int refuse(const char **rule, const char *word, int rc, char *err, size_t errlen,
                  const char *fmt, ...)
{
    if (rule)
        *rule = word;
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Unix milliseconds: 1-15 decimal digits (no sign, no spaces). */
static int parse_ms(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (n >= 15 || s[n] < '0' || s[n] > '9')
            return YB_EINVAL;
        v = v * 10 + (s[n] - '0');
    }
    *out = v;
    return n ? 0 : YB_EINVAL;
}

static int lower_hex64(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= 64 || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 64;
}

int yb_auth_verify(const struct yb_auth_conf *a, struct yb_nonce_cache *nc,
                   const struct yb_auth_request *r, int64_t now_ms, const struct yb_caller **out,
                   const char **rule, char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (!a || !nc || !r || !out || now_ms < 0 || (!r->body && r->len))
        return refuse(rule, "auth_missing", YB_EINVAL, err, errlen,
                      "the gateway could not check the caller (internal argument error)");
    static const char *const names[] = {"X-Ybgw-Caller", "X-Ybgw-Timestamp", "X-Ybgw-Nonce",
                                        "X-Ybgw-Signature"};
    const char *values[] = {r->caller, r->timestamp, r->nonce, r->signature};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        if (!values[i] || !*values[i])
            return refuse(rule, "auth_missing", YB_EINVAL, err, errlen,
                          "header %s is missing: calls to this gateway must be signed by a "
                          "configured caller (sign ybgw; with access_key and secret_file in the "
                          "calling gateway's upstream block)",
                          names[i]);

    if (!yb_sign_ybgw_caller_ok(r->caller))
        return refuse(rule, "auth_caller", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Caller is not a valid caller name: use 1-64 letters, "
                      "digits, '.', '_' or '-'");
    const struct yb_caller *c = yb_auth_find(a, r->caller);
    if (!c)
        return refuse(rule, "auth_caller", YB_ENOENT, err, errlen,
                      "header X-Ybgw-Caller \"%s\" is not a caller configured on this gateway: "
                      "check access_key on the calling gateway, or add caller %s { } here",
                      r->caller, r->caller);

    int64_t stamp = 0;
    if (parse_ms(r->timestamp, &stamp))
        return refuse(rule, "auth_time", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Timestamp must be Unix time in milliseconds (1-15 digits)");
    long window = a->window_ms > 0 ? a->window_ms : YB_AUTH_WINDOW_DEFAULT;
    int64_t diff = now_ms - stamp; /* both >= 0: cannot overflow */
    if (diff > window || -diff > window)
        return refuse(rule, "auth_time", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Timestamp is %lld s %s this gateway's clock, more than the "
                      "%ld s allowed: check the clock (NTP) of the calling gateway \"%s\"",
                      (long long)((diff > 0 ? diff : -diff) + 999) / 1000,
                      diff > 0 ? "behind" : "ahead of", (window + 999) / 1000, c->name);

    if (!yb_sign_ybgw_nonce_ok(r->nonce))
        return refuse(rule, "auth_nonce", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Nonce must be %d-%d letters, digits, '_' or '-', random "
                      "for each request",
                      YB_SIGN_YBGW_NONCE_MIN, YB_SIGN_YBGW_NONCE_MAX);

    if (!lower_hex64(r->signature))
        return refuse(rule, "auth_signature", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Signature must be 64 lowercase hex characters "
                      "(HMAC-SHA256)");
    char expected[YB_SIGN_YBGW_HEX];
    int rc = yb_sign_ybgw(c->secret, c->name, r->timestamp, r->nonce, r->body, r->len, expected);
    if (rc) {
        OPENSSL_cleanse(expected, sizeof(expected));
        return refuse(rule, "auth_signature", rc, err, errlen,
                      "the gateway could not compute the signature for caller \"%s\"", c->name);
    }
    int same = CRYPTO_memcmp(expected, r->signature, 64) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    if (!same)
        return refuse(rule, "auth_signature", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Signature does not match this request from caller \"%s\": "
                      "the body or a header was changed on the way, or the calling gateway's "
                      "secret_file differs from the one configured here",
                      c->name);

    /* Remember the nonce until the timestamp leaves the window: a stamp
     * ahead of our clock stays acceptable for window + lead. */
    long keep = window + (stamp > now_ms ? (long)(stamp - now_ms) : 0);
    rc = yb_nonce_cache_add(nc, c->name, r->nonce, now_ms, keep);
    if (rc == YB_EEXIST)
        return refuse(rule, "auth_replay", YB_EEXIST, err, errlen,
                      "header X-Ybgw-Nonce was already used by caller \"%s\": each request "
                      "needs a fresh nonce (a retry must be signed again)",
                      c->name);
    if (rc == YB_ELIMIT)
        return refuse(rule, "auth_busy", YB_ELIMIT, err, errlen,
                      "this gateway is receiving more signed requests than its replay cache "
                      "holds (auth_nonces): try again in a few seconds");
    if (rc)
        return refuse(rule, "auth_busy", rc, err, errlen,
                      "this gateway could not record the request's X-Ybgw-Nonce (out of "
                      "memory): try again in a few seconds");
    *out = c;
    if (rule)
        *rule = NULL;
    return 0;
}
