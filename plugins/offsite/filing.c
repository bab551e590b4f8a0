/*
 * filing.c - the off-site filing registry (备案) in memory: what the offsite
 * plugin's hooks ask (is this person filed for a cross-province visit on
 * this day?) and what they record from the platform's 2501/2502 answers.
 * The contract is in filing.h; the disk side is filing_store.c.
 *
 * Why it looks like this:
 *   - a hash by psn_no, each person with a small array of filings (one per
 *     sn), under one rwlock: hooks on every worker read it at once, and the
 *     rare 2501/2502 answer takes the write side for a moment. Revoked
 *     filings leave memory (the store keeps them);
 *   - an add or revoke is queued to the store while the write lock is held,
 *     so the disk sees changes of one key in the order memory saw them;
 *   - registries are shared by file: a static list under a mutex, each with
 *     its open handles. A reload opens the new instance before it closes the
 *     old one, so the registry, its writer thread and what it has queued live
 *     on. Each handle keeps its own host (a host table lives as long as its
 *     plugin instance); the store logs through the newest open handle, and
 *     the last close stops the writer while its handle can still log.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filing.h"

#define FIRST_BUCKETS 64

struct person {
    struct person *next;
    char psn_no[31];
    unsigned n, cap;
    struct yb_filing *items;
};

struct registry {
    struct registry *next;
    char *path;
    dev_t dev;
    ino_t ino;
    pthread_rwlock_t lock; /* the hash below */
    struct person **buckets;
    size_t nbuckets, npersons, nfilings;
    pthread_mutex_t users_lock; /* users and nusers */
    struct yb_filings *users;   /* newest first */
    unsigned nusers;
    struct yb_filing_store *store;
};

struct yb_filings {
    struct yb_filings *next;
    struct registry *reg;
    const struct yb_host *host;
};

static pthread_mutex_t registries_lock = PTHREAD_MUTEX_INITIALIZER;
static struct registry *registries;

/* ---- checking ---- */

int yb_filing_set(char *dst, size_t cap, const char *src, size_t len)
{
    if (!dst || !cap || len >= cap || (len && (!src || memchr(src, '\0', len))))
        return YB_EINVAL;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static unsigned number(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

int yb_filing_date_ok(const char *d)
{
    static const unsigned days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!d || strnlen(d, 11) != 10 || d[4] != '-' || d[7] != '-' || !digits(d, 4) ||
        !digits(d + 5, 2) || !digits(d + 8, 2))
        return 0;
    unsigned y = number(d, 4), m = number(d + 5, 2), day = number(d + 8, 2);
    if (y == 0 || m < 1 || m > 12 || day < 1 || day > days[m - 1])
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && day == 29 && !leap);
}

/* 1 if the N bytes of S are printable ASCII without spaces */
static int printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

/* The length of FIELD[CAP], or CAP when it is not terminated. */
static size_t field_len(const char *field, size_t cap)
{
    return strnlen(field, cap);
}

#define WHY(...) (why ? snprintf(why, cap, __VA_ARGS__) : 0, YB_EINVAL)

/* The rules of an identifier: psn_no, sn (required) and msgid (optional). */
static int check_text(const char *name, const char *v, size_t size, int required, char *why,
                      size_t cap)
{
    size_t n = field_len(v, size);
    if (n == size)
        return WHY("filing %s is longer than %zu characters; it was refused, not cut", name,
                   size - 1);
    if (required && n == 0)
        return WHY("filing %s is empty; a filing needs one", name);
    if (!printable(v, n))
        return WHY("filing %s has a space, a control character or a non-ASCII byte", name);
    return 0;
}

static int check_date(const char *name, const char *v, char *why, size_t cap)
{
    size_t n = field_len(v, 11);
    if (n == 0)
        return 0;
    if (n == 11 || !yb_filing_date_ok(v))
        return WHY("filing %s \"%.11s\" is not a date of the form yyyy-MM-dd (e.g. 2024-05-01) "
                   "nor empty",
                   name, v);
    return 0;
}

int yb_filing_check(const struct yb_filing *r, char *why, size_t cap)
{
    int rc;
    if (!r)
        return WHY("no filing given");
    if ((rc = check_text("psn_no", r->psn_no, sizeof(r->psn_no), 1, why, cap)) ||
        (rc = check_text("trt_dcla_detl_sn", r->sn, sizeof(r->sn), 1, why, cap)) ||
        (rc = check_text("msgid", r->msgid, sizeof(r->msgid), 0, why, cap)))
        return rc;
    size_t n = field_len(r->insuplc, sizeof(r->insuplc));
    if (n != 6 || !digits(r->insuplc, 6))
        return WHY("filing insuplc_admdvs \"%.7s\" is not a region code of 6 digits", r->insuplc);
    n = field_len(r->infno, sizeof(r->infno));
    if (n == sizeof(r->infno) || !digits(r->infno, n))
        return WHY("filing infno \"%.8s\" is not a transaction number of at most 7 digits",
                   r->infno);
    if ((rc = check_date("begndate", r->begndate, why, cap)) ||
        (rc = check_date("enddate", r->enddate, why, cap)))
        return rc;
    if (r->begndate[0] && r->enddate[0] && strcmp(r->begndate, r->enddate) > 0)
        return WHY("filing begndate %s is after its enddate %s", r->begndate, r->enddate);
    return 0;
}

/* ---- the hash (callers hold reg->lock) ---- */

static size_t hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct person *find_person(struct registry *r, const char *psn_no, struct person ***slot)
{
    struct person **p = &r->buckets[hash(psn_no) & (r->nbuckets - 1)];
    for (; *p; p = &(*p)->next)
        if (strcmp((*p)->psn_no, psn_no) == 0)
            break;
    if (slot)
        *slot = p;
    return *p;
}

/* Double the buckets when there are as many persons; a failed allocation
 * leaves the table as it was (longer chains, still right). */
static void maybe_grow(struct registry *r)
{
    if (r->npersons < r->nbuckets)
        return;
    size_t n = r->nbuckets * 2;
    struct person **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < r->nbuckets; i++)
        for (struct person *p = r->buckets[i], *next; p; p = next) {
            next = p->next;
            size_t k = hash(p->psn_no) & (n - 1);
            p->next = b[k];
            b[k] = p;
        }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = n;
}

static void unlink_person(struct registry *r, struct person **slot)
{
    struct person *p = *slot;
    *slot = p->next;
    free(p->items);
    free(p);
    r->npersons--;
}

/* Put REC into memory, and into the store's queue when QUEUE. Nothing
 * changes unless all of it can. */
static int insert(struct registry *r, const struct yb_filing *rec, int queue)
{
    struct person **slot, *p = find_person(r, rec->psn_no, &slot);
    int fresh = !p;
    if (fresh) {
        if (!(p = calloc(1, sizeof(*p))))
            return YB_ENOMEM;
        memcpy(p->psn_no, rec->psn_no, sizeof(p->psn_no));
        *slot = p;
        r->npersons++;
    }
    unsigned i = 0;
    while (i < p->n && strcmp(p->items[i].sn, rec->sn) != 0)
        i++;
    int rc = 0;
    if (i == p->n && p->n == YB_FILINGS_PER_PERSON)
        rc = YB_ELIMIT;
    else if (i == p->n && p->n == p->cap) {
        unsigned cap = p->cap ? p->cap * 2 : 2;
        struct yb_filing *items = realloc(p->items, cap * sizeof(*items));
        if (items)
            p->items = items, p->cap = cap;
        else
            rc = YB_ENOMEM;
    }
    if (rc == 0 && queue)
        rc = yb_filing_store_put(r->store, rec);
    if (rc) {
        if (fresh)
            unlink_person(r, slot);
        return rc;
    }
    p->items[i] = *rec;
    if (i == p->n) {
        p->n++;
        r->nfilings++;
    }
    if (fresh)
        maybe_grow(r);
    return 0;
}

static void free_hash(struct registry *r)
{
    for (size_t i = 0; r->buckets && i < r->nbuckets; i++)
        while (r->buckets[i])
            unlink_person(r, &r->buckets[i]);
    free(r->buckets);
    r->buckets = NULL;
}

/* ---- logging: through the newest handle ---- */

static void reg_log(void *arg, int level, const char *msg)
{
    struct registry *r = arg;
    pthread_mutex_lock(&r->users_lock);
    if (r->users)
        r->users->host->log(r->users->host, level, "%s", msg);
    pthread_mutex_unlock(&r->users_lock);
}

static int load_one(void *arg, const struct yb_filing *rec)
{
    struct registry *r = arg;
    int rc = insert(r, rec, 0);
    if (rc == YB_ELIMIT) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "filing store %s: psn_no %s has more than %d active filings; sn %s not loaded",
                 r->path, rec->psn_no, YB_FILINGS_PER_PERSON, rec->sn);
        reg_log(r, YB_LOG_WARN, msg);
        return 0;
    }
    return rc;
}

/* ---- opening and closing ---- */

static void attach(struct registry *r, struct yb_filings *f)
{
    pthread_mutex_lock(&r->users_lock);
    f->reg = r;
    f->next = r->users;
    r->users = f;
    r->nusers++;
    pthread_mutex_unlock(&r->users_lock);
}

static void registry_free(struct registry *r)
{
    free_hash(r);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->users_lock);
    free(r->path);
    free(r);
}

/* A new registry for PATH with F as its first handle (registries_lock
 * held): the store opened and loaded. */
static int registry_new(const char *path, struct yb_filings *f, struct registry **out)
{
    struct registry *r = calloc(1, sizeof(*r));
    if (!r)
        return YB_ENOMEM;
    pthread_rwlock_init(&r->lock, NULL);
    pthread_mutex_init(&r->users_lock, NULL);
    attach(r, f);
    int rc = YB_ENOMEM;
    r->nbuckets = FIRST_BUCKETS;
    if (!(r->path = strdup(path)) || !(r->buckets = calloc(r->nbuckets, sizeof(*r->buckets))))
        goto fail;
    rc = yb_filing_store_open(path, reg_log, r, load_one, &r->store);
    if (rc)
        goto fail;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        f->host->log(f->host, YB_LOG_ERROR,
                     "filing store %s: cannot find the file after opening it; name a file on "
                     "disk (filings PATH)",
                     path);
        rc = YB_EIO;
        goto fail;
    }
    r->dev = sb.st_dev;
    r->ino = sb.st_ino;
    *out = r;
    return 0;
fail:
    yb_filing_store_close(r->store);
    registry_free(r);
    return rc;
}

int yb_filings_open(const char *path, const struct yb_host *host, struct yb_filings **out)
{
    *out = NULL;
    if (!path || !*path) {
        if (host)
            host->log(host, YB_LOG_ERROR, "no filing store named (filings PATH)");
        return YB_EINVAL;
    }
    if (!host)
        return YB_EINVAL;
    struct yb_filings *f = calloc(1, sizeof(*f));
    if (!f)
        return YB_ENOMEM;
    f->host = host;
    int rc = 0;
    pthread_mutex_lock(&registries_lock);
    struct registry *r = NULL;
    struct stat sb;
    if (stat(path, &sb) == 0)
        for (r = registries; r; r = r->next)
            if (r->dev == sb.st_dev && r->ino == sb.st_ino)
                break;
    if (r) {
        attach(r, f);
    } else if ((rc = registry_new(path, f, &r)) == 0) {
        r->next = registries;
        registries = r;
    }
    pthread_mutex_unlock(&registries_lock);
    if (rc) {
        free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void yb_filings_close(struct yb_filings *f)
{
    if (!f)
        return;
    struct registry *r = f->reg;
    pthread_mutex_lock(&registries_lock);
    if (r->nusers == 1) {
        /* the last handle: write what is queued while it can still log */
        yb_filing_store_close(r->store);
        for (struct registry **p = &registries; *p; p = &(*p)->next)
            if (*p == r) {
                *p = r->next;
                break;
            }
        registry_free(r);
    } else {
        pthread_mutex_lock(&r->users_lock);
        for (struct yb_filings **p = &r->users; *p; p = &(*p)->next)
            if (*p == f) {
                *p = f->next;
                break;
            }
        r->nusers--;
        pthread_mutex_unlock(&r->users_lock);
    }
    pthread_mutex_unlock(&registries_lock);
    free(f);
}

/* ---- the hooks' side ---- */

int yb_filings_add(struct yb_filings *f, const struct yb_filing *rec)
{
    char why[256];
    if (yb_filing_check(rec, why, sizeof(why)) != 0) {
        f->host->log(f->host, YB_LOG_WARN, "filing not recorded: %s", why);
        return YB_EINVAL;
    }
    struct registry *r = f->reg;
    pthread_rwlock_wrlock(&r->lock);
    int rc = insert(r, rec, 1);
    pthread_rwlock_unlock(&r->lock);
    if (rc == YB_ELIMIT)
        f->host->log(f->host, YB_LOG_WARN,
                     "filing sn %s (msgid %s) not recorded: the person already has %d active "
                     "filings, the most the registry holds per person",
                     rec->sn, rec->msgid, YB_FILINGS_PER_PERSON);
    else if (rc)
        f->host->log(f->host, YB_LOG_ERROR, "filing sn %s (msgid %s) not recorded: out of memory",
                     rec->sn, rec->msgid);
    return rc;
}

/* 0 if S is a psn_no or sn the registry could hold (1-30 printable). */
static int key_ok(const char *s)
{
    size_t n = s ? strnlen(s, 31) : 0;
    return n > 0 && n < 31 && printable(s, n);
}

int yb_filings_revoke(struct yb_filings *f, const char *psn_no, const char *sn, const char *msgid)
{
    if (!key_ok(psn_no) || !key_ok(sn) || (msgid && strnlen(msgid, 41) > 40))
        return YB_EINVAL;
    struct registry *r = f->reg;
    int rc = YB_ENOENT;
    pthread_rwlock_wrlock(&r->lock);
    struct person **slot, *p = find_person(r, psn_no, &slot);
    unsigned i = 0;
    while (p && i < p->n && strcmp(p->items[i].sn, sn) != 0)
        i++;
    if (p && i < p->n && (rc = yb_filing_store_revoke(r->store, psn_no, sn, msgid)) == 0) {
        p->items[i] = p->items[p->n - 1];
        p->n--;
        r->nfilings--;
        if (p->n == 0)
            unlink_person(r, slot);
    }
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int yb_filings_active(struct yb_filings *f, const char *psn_no, const char *date,
                      struct yb_filing *out)
{
    if (!key_ok(psn_no) || !yb_filing_date_ok(date))
        return YB_EINVAL;
    struct registry *r = f->reg;
    const struct yb_filing *best = NULL;
    pthread_rwlock_rdlock(&r->lock);
    struct person *p = find_person(r, psn_no, NULL);
    for (unsigned i = 0; p && i < p->n; i++) {
        const struct yb_filing *it = &p->items[i];
        if ((it->begndate[0] && strcmp(it->begndate, date) > 0) ||
            (it->enddate[0] && strcmp(date, it->enddate) > 0))
            continue;
        if (!best || strcmp(it->begndate, best->begndate) > 0)
            best = it;
    }
    if (best && out)
        *out = *best;
    pthread_rwlock_unlock(&r->lock);
    return best != NULL;
}

void yb_filings_flush(struct yb_filings *f)
{
    yb_filing_store_flush(f->reg->store);
}

size_t yb_filings_count(struct yb_filings *f)
{
    pthread_rwlock_rdlock(&f->reg->lock);
    size_t n = f->reg->nfilings;
    pthread_rwlock_unlock(&f->reg->lock);
    return n;
}

unsigned yb_filings_users(struct yb_filings *f)
{
    pthread_mutex_lock(&f->reg->users_lock);
    unsigned n = f->reg->nusers;
    pthread_mutex_unlock(&f->reg->users_lock);
    return n;
}

uint64_t yb_filings_lost(struct yb_filings *f)
{
    return yb_filing_store_lost(f->reg->store);
}
