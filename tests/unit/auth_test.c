/*
 * auth_test.c - caller authentication for relays (auth.c): a request signed
 * by sign.c (scheme ybgw) passes yb_auth_verify, and every way of getting it
 * wrong is refused with its stable rule word; the replay cache remembers,
 * refuses when full, forgets only what expired and takes concurrent adds;
 * caller blocks (secret, certificate fingerprints, rate) and the tls block
 * parse, or fail with file:line; a readable key or secret is refused.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth.h"
#include "conf.h"
#include "sign.h"
#include "testutil.h"
#include "tls.h"
#include "ybgw/ybgw.h"

#define NOW 1700000000000LL
#define WINDOW 300000L
#define BODY "{\"infno\":\"2207\",\"fixmedins_code\":\"H45019900055\",\"input\":{}}"
#define SECRET "relay-Secret-77"

static char err[1024];

/* Allocation in the fixtures: a test has no way on without it. */
static void *must(void *p)
{
    if (!p)
        abort();
    return p;
}

static void add_caller(struct yb_auth_conf *a, const char *name, const char *secret,
                       const char *pattern1, const char *pattern2)
{
    a->callers = must(realloc(a->callers, (size_t)(a->n_callers + 1) * sizeof(*a->callers)));
    struct yb_caller *c = &a->callers[a->n_callers++];
    memset(c, 0, sizeof(*c));
    c->name = must(strdup(name));
    c->secret = must(strdup(secret));
    c->institutions = must(calloc(2, sizeof(char *)));
    c->institutions[0] = must(strdup(pattern1));
    c->n_institutions = 1;
    if (pattern2) {
        c->institutions[1] = must(strdup(pattern2));
        c->n_institutions = 2;
    }
}

/* An auth configuration with callers hosp-nanning (H45*) and relay-hunan
 * (an exact code and P43*), built without files. */
static void make_conf(struct yb_auth_conf *a)
{
    memset(a, 0, sizeof(*a));
    yb_auth_conf_init(a);
    add_caller(a, "hosp-nanning", SECRET, "H45*", NULL);
    add_caller(a, "relay-hunan", "another-secret", "H43019900001", "P43*");
}

/* Headers of one request signed by sign.c; the request points into them. */
struct signed_req {
    struct yb_header h[YB_SIGN_MAX_HEADERS];
    size_t n;
    struct yb_auth_request r;
};

static const char *header(const struct signed_req *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->h[i].name, name) == 0)
            return s->h[i].value;
    return NULL;
}

static void sign_req(struct signed_req *s, const char *caller, const char *secret, const char *body,
                     int64_t stamp, const char *nonce)
{
    char name[80], key[80];
    snprintf(name, sizeof(name), "%s", caller);
    snprintf(key, sizeof(key), "%s", secret);
    struct yb_sign_conf conf = {YB_SIGN_YBGW, name, NULL, key};
    memset(s, 0, sizeof(*s));
    CU_ASSERT_EQUAL_FATAL(yb_sign_compute(&conf, "2207", body, strlen(body), stamp, nonce, s->h,
                                          YB_SIGN_MAX_HEADERS, &s->n),
                          0);
    CU_ASSERT_EQUAL_FATAL(s->n, 4);
    s->r.caller = header(s, "X-Ybgw-Caller");
    s->r.timestamp = header(s, "X-Ybgw-Timestamp");
    s->r.nonce = header(s, "X-Ybgw-Nonce");
    s->r.signature = header(s, "X-Ybgw-Signature");
    s->r.body = body;
    s->r.len = strlen(body);
}

/* Verify, returning the rc. rule gets the rule word, or "(none)" when
 * verify set it to NULL (success), so asserts on it never see NULL; err is
 * kept for the asserts. */
static const char *rule;
static int verify(const struct yb_auth_conf *a, struct yb_nonce_cache *nc,
                  const struct yb_auth_request *r, int64_t now, const struct yb_caller **out)
{
    const struct yb_caller *dummy;
    const char *word = "unset";
    err[0] = '\0';
    int rc = yb_auth_verify(a, nc, r, now, out ? out : &dummy, &word, err, sizeof(err));
    rule = word ? word : "(none)";
    return rc;
}

static void test_signed_request_passes(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    struct signed_req s;
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, NULL);
    const struct yb_caller *c = NULL;
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 1500, &c), 0);
    CU_ASSERT_PTR_EQUAL(c, &a.callers[0]);
    CU_ASSERT_STRING_EQUAL(rule, "(none)");
    CU_ASSERT_TRUE(yb_auth_institution_ok(c, "H45019900055"));
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 1);

    /* the second caller, with its own secret; the window's edges pass */
    sign_req(&s, "relay-hunan", "another-secret", "", NOW, "edge-nonce-0000001");
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + WINDOW, &c), 0);
    CU_ASSERT_PTR_EQUAL(c, &a.callers[1]);
    sign_req(&s, "relay-hunan", "another-secret", "", NOW, "edge-nonce-0000002");
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW - WINDOW, &c), 0);
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
    CU_ASSERT_EQUAL(a.n_callers, 0);
    CU_ASSERT_PTR_NULL(a.callers);
}

static void test_missing_headers(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    static const char *const names[] = {"X-Ybgw-Caller", "X-Ybgw-Timestamp", "X-Ybgw-Nonce",
                                        "X-Ybgw-Signature"};
    for (int i = 0; i < 4; i++) {
        for (int empty = 0; empty < 2; empty++) {
            struct signed_req s;
            sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, NULL);
            const char **field[] = {&s.r.caller, &s.r.timestamp, &s.r.nonce, &s.r.signature};
            *field[i] = empty ? "" : NULL;
            const struct yb_caller *c = &a.callers[0];
            CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, &c), YB_EINVAL);
            CU_ASSERT_PTR_NULL(c);
            CU_ASSERT_STRING_EQUAL(rule, "auth_missing");
            CU_ASSERT_PTR_NOT_NULL(strstr(err, names[i]));
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing"));
        }
    }
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 0);
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
}

static void test_caller_refused(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    struct signed_req s;
    /* well signed, but nobody here knows the name */
    sign_req(&s, "hosp-unknown", SECRET, BODY, NOW, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_ENOENT);
    CU_ASSERT_STRING_EQUAL(rule, "auth_caller");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "X-Ybgw-Caller \"hosp-unknown\""));
    /* not a name at all: refused, and not echoed */
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, NULL);
    s.r.caller = "hosp nanning\r\nX-Evil: 1";
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_caller");
    CU_ASSERT_PTR_NULL(strstr(err, "Evil"));
    /* a known name with the other caller's secret: the signature is wrong */
    sign_req(&s, "hosp-nanning", "another-secret", BODY, NOW, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_signature");
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 0);
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
}

static void test_timestamp_window(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    struct signed_req s;
    /* signed 300.001 s ago: behind */
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW - WINDOW - 1, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_time");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "X-Ybgw-Timestamp"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "behind"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "NTP"));
    /* 300.001 s in the future: ahead */
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW + WINDOW + 1, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_time");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "ahead"));
    /* a narrower configured window */
    a.window_ms = 1000;
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW - 1001, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_time");
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW - 1000, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), 0);
    /* not a number of milliseconds */
    static const char *const bad[] = {"abc", "-1700000000000", "1700000000000.5",
                                      "1700000000000000", " 1700000000000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, NULL);
        s.r.timestamp = bad[i];
        CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
        CU_ASSERT_STRING_EQUAL(rule, "auth_time");
    }
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
}

static void test_bad_nonce(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    static const char *const bad[] = {
        "0123456789abcde", /* 15 */
        "0123456789abcdef.",
        "0123456789abcdef/",
        "0123456789 abcdef",
        "0123456789abcdéf",
        "00000000000000000000000000000000000000000000000000000000000000000" /* 65 */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct signed_req s;
        sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, NULL);
        s.r.nonce = bad[i];
        CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
        CU_ASSERT_STRING_EQUAL(rule, "auth_nonce");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "X-Ybgw-Nonce"));
    }
    /* 16 and 64 characters of the whole set pass */
    struct signed_req s;
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, "Az09_-Az09_-Az09");
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), 0);
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW,
             "0000000000000000000000000000000000000000000000000000000000000000");
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), 0);
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
}

static void test_signature_of_another_body(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    struct signed_req s;
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, "nonce-forged-0000001");
    char expected[YB_SIGN_YBGW_HEX];
    snprintf(expected, sizeof(expected), "%s", s.r.signature);
    /* one changed byte of body */
    char other[] = BODY;
    other[sizeof(other) - 3] = '1';
    s.r.body = other;
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_signature");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "X-Ybgw-Signature"));
    CU_ASSERT_PTR_NULL(strstr(err, SECRET));
    CU_ASSERT_PTR_NULL(strstr(err, expected));
    /* the same body cut short */
    s.r.body = BODY;
    s.r.len = strlen(BODY) - 1;
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_signature");
    /* the right signature in upper case, or short: malformed */
    s.r.len = strlen(BODY);
    char upper[YB_SIGN_YBGW_HEX];
    for (size_t i = 0; i < sizeof(upper); i++)
        upper[i] =
            (char)(expected[i] >= 'a' && expected[i] <= 'f' ? expected[i] - 32 : expected[i]);
    CU_ASSERT_STRING_NOT_EQUAL(upper, expected);
    s.r.signature = upper;
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_signature");
    char shorter[YB_SIGN_YBGW_HEX];
    memcpy(shorter, expected, 63); /* 63 of the 64 characters */
    shorter[63] = '\0';
    s.r.signature = shorter;
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_signature");
    /* none of the forgeries took the nonce: the genuine request still passes */
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 0);
    s.r.signature = expected;
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), 0);
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
}

static void test_replay(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    struct signed_req s;
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), 0);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 10, NULL), YB_EEXIST);
    CU_ASSERT_STRING_EQUAL(rule, "auth_replay");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "X-Ybgw-Nonce"));
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + WINDOW, NULL), YB_EEXIST);
    /* past the window the timestamp check refuses it */
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + WINDOW + 1, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_time");

    /* the same nonce from another caller is another nonce */
    struct signed_req t;
    sign_req(&t, "relay-hunan", "another-secret", BODY, NOW, s.r.nonce);
    CU_ASSERT_EQUAL(verify(&a, nc, &t.r, NOW, NULL), 0);

    /* a timestamp ahead of our clock is remembered until it leaves the
     * window, not just for a window from now */
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW + WINDOW, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), 0);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + WINDOW + 1, NULL), YB_EEXIST);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 2 * WINDOW, NULL), YB_EEXIST);
    CU_ASSERT_STRING_EQUAL(rule, "auth_replay");
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
}

static void test_cache_full_then_refills(void)
{
    struct yb_auth_conf a;
    make_conf(&a);
    a.window_ms = 1000;
    struct yb_nonce_cache *nc = yb_nonce_cache_new(3);
    struct signed_req s;
    char nonce[40];
    for (int i = 0; i < 3; i++) {
        snprintf(nonce, sizeof(nonce), "fill-nonce-%08d", i);
        sign_req(&s, "hosp-nanning", SECRET, BODY, NOW + i, nonce);
        CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + i, NULL), 0);
    }
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW + 3, "fill-nonce-extra-1");
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 3, NULL), YB_ELIMIT);
    CU_ASSERT_STRING_EQUAL(rule, "auth_busy");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "try again"));
    /* the first one is live until NOW + 1000 inclusive */
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 1000, NULL), YB_ELIMIT);
    /* then it is dropped and there is room for one */
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 1001, NULL), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 3);
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW + 1001, "fill-nonce-extra-2");
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 1001, NULL), YB_ELIMIT);
    /* all but the newest expire: two more fit */
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 1003, NULL), 0);
    sign_req(&s, "hosp-nanning", SECRET, BODY, NOW + 1003, "fill-nonce-extra-3");
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW + 1003, NULL), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 3);
    yb_nonce_cache_free(nc);
    yb_auth_conf_free(&a);
}

static void test_cache_grows_and_reuses_slots(void)
{
    struct yb_nonce_cache *nc = yb_nonce_cache_new(5000);
    char nonce[40];
    int bad = 0;
    /* 1000 at t=0 fill most of the first 1024 slots; at t=20 they are
     * dropped, the next ones reuse their slots, then the cache must grow */
    for (int i = 0; i < 1000; i++) {
        snprintf(nonce, sizeof(nonce), "old-nonce-%08d", i);
        bad += yb_nonce_cache_add(nc, "c", nonce, 0, 10) != 0;
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(nonce, sizeof(nonce), "new-nonce-%08d", i);
        bad += yb_nonce_cache_add(nc, "c", nonce, 20, 10) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 3000);
    for (int i = 0; i < 3000; i++) {
        snprintf(nonce, sizeof(nonce), "new-nonce-%08d", i);
        bad += yb_nonce_cache_add(nc, "c", nonce, 25, 10) != YB_EEXIST;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* an old one, expired, is a first sighting again */
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "old-nonce-00000007", 25, 10), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "old-nonce-00000007", 26, 10), YB_EEXIST);
    yb_nonce_cache_free(nc);

    /* entries expire in the order of their expiry, not of their adds: a
     * short-lived one behind a long-lived one is dropped on time */
    nc = yb_nonce_cache_new(10);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "long-lived-nonce-1", 0, 100), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "short-lived-nonce-1", 0, 10), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "short-lived-nonce-1", 10, 10), YB_EEXIST);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "short-lived-nonce-1", 50, 10), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 2);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "short-lived-nonce-1", 60, 10), YB_EEXIST);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "long-lived-nonce-1", 100, 10), YB_EEXIST);
    /* refusals */
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, NULL, "n", 1, 1), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "n", -1, 1), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", "n", 1, -1), YB_EINVAL);
    yb_nonce_cache_free(nc);
    CU_ASSERT_PTR_NULL(yb_nonce_cache_new((size_t)YB_AUTH_NONCES_MAX + 1));
}

/* Entries with expiries in random order are dropped exactly when they
 * expire: the count after each add matches a plain model. */
static void test_cache_drops_exactly_the_expired(void)
{
    enum { N = 1500, PROBES = 20 }; /* probes at t = 25, 50, ..., 500 */
    static int64_t model[N + PROBES];
    struct yb_nonce_cache *nc = yb_nonce_cache_new(N + PROBES);
    char nonce[40];
    unsigned seed = 12345;
    int bad = 0;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        long window = (long)((seed >> 8) % 1000);
        snprintf(nonce, sizeof(nonce), "model-nonce-%08d", i);
        bad += yb_nonce_cache_add(nc, "c", nonce, 0, window) != 0;
        model[i] = window;
    }
    CU_ASSERT_EQUAL(bad, 0);
    size_t n_model = N;
    for (int p = 0; p < PROBES; p++) {
        int64_t t = 25 * (int64_t)(p + 1);
        snprintf(nonce, sizeof(nonce), "probe-nonce-%08d", p);
        CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "c", nonce, t, 0), 0);
        model[n_model++] = t;
        size_t live = 0;
        for (size_t i = 0; i < n_model; i++)
            live += model[i] >= t;
        CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), live);
    }
    /* at t=500: one still live is a replay, one expired is new again */
    for (int i = 0; i < N; i++) {
        snprintf(nonce, sizeof(nonce), "model-nonce-%08d", i);
        int rc = yb_nonce_cache_add(nc, "c", nonce, 500, 1000);
        bad += rc != (model[i] >= 500 ? YB_EEXIST : 0);
    }
    CU_ASSERT_EQUAL(bad, 0);
    yb_nonce_cache_free(nc);
}

#define THREADS 8
#define PER_THREAD 4000

struct worker {
    struct yb_nonce_cache *nc;
    int id;
    int failures;
};

static void *add_many(void *arg)
{
    struct worker *w = arg;
    char caller[16], nonce[40];
    snprintf(caller, sizeof(caller), "caller-%d", w->id % 2);
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(nonce, sizeof(nonce), "thread-%d-nonce-%08d", w->id, i);
        if (yb_nonce_cache_add(w->nc, caller, nonce, NOW + i, WINDOW) != 0)
            w->failures++;
    }
    return NULL;
}

static void test_cache_concurrent_adds(void)
{
    struct yb_nonce_cache *nc = yb_nonce_cache_new((size_t)THREADS * PER_THREAD);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){nc, i, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, add_many, &w[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += w[i].failures;
    }
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), (size_t)THREADS * PER_THREAD);
    /* every one is remembered, and the cache is exactly full */
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "caller-1", "thread-7-nonce-00003999", NOW, WINDOW),
                    YB_EEXIST);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "caller-0", "thread-0-nonce-00000000", NOW, WINDOW),
                    YB_EEXIST);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "caller-0", "one-more-nonce-0000", NOW, WINDOW),
                    YB_ELIMIT);
    /* a reload shrinks the capacity: nothing is forgotten, adds wait for
     * expiry; then it grows again */
    CU_ASSERT_EQUAL(yb_nonce_cache_set_max(nc, 100), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "caller-0", "thread-0-nonce-00000001", NOW, WINDOW),
                    YB_EEXIST);
    CU_ASSERT_EQUAL(yb_nonce_cache_add(nc, "caller-0", "one-more-nonce-0000", NOW, WINDOW),
                    YB_ELIMIT);
    /* by NOW + WINDOW + 3999 the entries of i < 3900 are gone: 8 * 100 remain */
    CU_ASSERT_EQUAL(
        yb_nonce_cache_add(nc, "caller-0", "one-more-nonce-0000", NOW + WINDOW + 3900, WINDOW),
        YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), (size_t)8 * 100);
    CU_ASSERT_EQUAL(yb_nonce_cache_set_max(nc, 0), 0); /* the default */
    CU_ASSERT_EQUAL(
        yb_nonce_cache_add(nc, "caller-0", "one-more-nonce-0000", NOW + WINDOW + 3900, WINDOW), 0);
    CU_ASSERT_EQUAL(yb_nonce_cache_set_max(nc, (size_t)YB_AUTH_NONCES_MAX + 1), YB_EINVAL);
    yb_nonce_cache_free(nc);
}

static void test_institution_patterns(void)
{
    char *pats[] = {"H45019900055", "H43*", "P33019900001"};
    struct yb_caller c = {.name = "c", .secret = "s", .institutions = pats, .n_institutions = 3};
    CU_ASSERT_TRUE(yb_auth_institution_ok(&c, "H45019900055"));
    CU_ASSERT_FALSE(yb_auth_institution_ok(&c, "H45019900056"));
    CU_ASSERT_FALSE(yb_auth_institution_ok(&c, "H4501990005")); /* a prefix of an exact one */
    CU_ASSERT_TRUE(yb_auth_institution_ok(&c, "H43019900001"));
    CU_ASSERT_TRUE(yb_auth_institution_ok(&c, "H43"));
    CU_ASSERT_FALSE(yb_auth_institution_ok(&c, "H4"));
    CU_ASSERT_FALSE(yb_auth_institution_ok(&c, "P43019900001"));
    CU_ASSERT_TRUE(yb_auth_institution_ok(&c, "P33019900001"));
    CU_ASSERT_FALSE(yb_auth_institution_ok(&c, ""));
    CU_ASSERT_FALSE(yb_auth_institution_ok(&c, NULL));
    char *any[] = {"*"};
    struct yb_caller all = {.name = "all", .secret = "s", .institutions = any, .n_institutions = 1};
    CU_ASSERT_TRUE(yb_auth_institution_ok(&all, "H33019900001"));
    CU_ASSERT_TRUE(yb_auth_institution_ok(&all, "P45019900002"));
    CU_ASSERT_FALSE(yb_auth_institution_ok(&all, ""));
    struct yb_caller none = {.name = "none", .secret = "s"};
    CU_ASSERT_FALSE(yb_auth_institution_ok(&none, "H45019900055"));
}

/* ---- configuration ---- */

static char dir[] = "/tmp/yb_auth_test_XXXXXX";

static void write_secret(const char *name, const char *text, mode_t mode)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    yb_test_write_file(path, text);
    CU_ASSERT_EQUAL_FATAL(chmod(path, mode), 0);
}

/* Parse text as DIR/t.conf and apply every caller block to a; returns the
 * first failure. */
static int load(const char *text, struct yb_auth_conf *a)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/t.conf", dir);
    yb_test_write_file(path, text);
    err[0] = '\0';
    struct yb_conf *root = yb_conf_parse_file(path, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    if (!root)
        return YB_EINVAL;
    int rc = 0;
    for (const struct yb_conf *d = root->children; d && !rc; d = d->next)
        if (strcmp(d->name, "caller") == 0)
            rc = yb_auth_caller_conf(d, a, err, sizeof(err));
    yb_conf_free(root);
    return rc;
}

static void test_config(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    write_secret("good.key", "shared-secret-1\n", 0600);
    write_secret("open.key", "shared-secret-2\n", 0644);
    struct yb_auth_conf a;
    memset(&a, 0, sizeof(a));
    yb_auth_conf_init(&a);
    CU_ASSERT_EQUAL(a.window_ms, 300000);
    CU_ASSERT_EQUAL(a.max_nonces, 1000000);

    /* 0600, relative to the file: accepted; institutions add up */
    CU_ASSERT_EQUAL(load("# relays\n"
                         "caller hosp-nanning {\n"
                         "    secret_file good.key;\n"
                         "    institutions H45019900055 H45*;\n"
                         "    institutions P45*;\n"
                         "}\n",
                         &a),
                    0);
    CU_ASSERT_EQUAL(a.n_callers, 1);
    const struct yb_caller *c = yb_auth_find(&a, "hosp-nanning");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    if (!c)
        return;
    CU_ASSERT_STRING_EQUAL(c->secret, "shared-secret-1");
    CU_ASSERT_EQUAL(c->n_institutions, 3);
    CU_ASSERT_TRUE(yb_auth_institution_ok(c, "P45019900002"));
    CU_ASSERT_PTR_NULL(yb_auth_find(&a, "hosp"));

    /* 0644: refused, naming the file, the line and the fix, never the secret */
    CU_ASSERT_EQUAL(load("caller relay-gx {\n"
                         "  secret_file open.key;\n"
                         "  institutions *;\n"
                         "}\n",
                         &a),
                    YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "open.key"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_PTR_NULL(strstr(err, "shared-secret"));
    CU_ASSERT_EQUAL(a.n_callers, 1);

    /* the same name twice */
    CU_ASSERT_EQUAL(load("\ncaller hosp-nanning { secret_file good.key; institutions *; }\n", &a),
                    YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "defined twice"));
    CU_ASSERT_EQUAL(a.n_callers, 1);

    /* no institutions; no secret_file */
    CU_ASSERT_EQUAL(load("caller relay-gx {\n secret_file good.key;\n}\n", &a), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no institutions"));
    CU_ASSERT_EQUAL(load("caller relay-gx { institutions H45*; }\n", &a), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no secret_file"));

    /* bad patterns, names and directives */
    static const char *const bad[] = {
        "caller r1 { secret_file good.key;\n institutions H4*5; }\n",
        "caller r1 { secret_file good.key;\n institutions **; }\n",
        "caller r1 { secret_file good.key;\n institutions H45-01; }\n",
        "caller r1 { secret_file good.key;\n institutions H45*X*; }\n",
        "caller r1 { secret_file good.key;\n institutions H450199000551234567890123456789012; }\n",
        "caller r1 { secret_file good.key;\n institutions H45*; secret good; }\n",
        "caller r1 { secret_file good.key;\n secret_file good.key; institutions *; }\n",
        "caller r1 { secret_file missing.key;\n institutions *; }\n",
        "caller \"r 1\" { secret_file good.key;\n institutions *; }\n",
        "caller r1 r2 { secret_file good.key;\n institutions *; }\n",
        "caller r1;\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = load(bad[i], &a);
        CU_ASSERT_EQUAL(rc, YB_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:"));
        if (rc != YB_EINVAL || !strstr(err, "t.conf:"))
            fprintf(stderr, "case %zu: rc %d, %s\n", i, rc, err);
    }
    CU_ASSERT_EQUAL(load("caller r1 { secret_file good.key;\n institutions H45; }\n", &a), 0);
    CU_ASSERT_EQUAL(a.n_callers, 2);
    /* the pointer into a changed with the append: look up again */
    c = yb_auth_find(&a, "hosp-nanning");
    CU_ASSERT_PTR_NOT_NULL(c);

    yb_auth_conf_free(&a);
    CU_ASSERT_EQUAL(a.n_callers, 0);
    yb_test_remove_tree(dir);
}

/* ---- certificates, rates and the tls block ---- */

#define FP_A                                                                                       \
    "5F:3A:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:01:23:45:67:89:AB:CD:EF:10:20:30:40:"   \
    "50:9C"
#define FP_A_PLAIN "5f3a00112233445566778899aabbccddeeff0123456789abcdef10203040509c"
#define FP_B "0000000000000000000000000000000000000000000000000000000000000001"

/* A self-signed P-256 certificate and its key, as PEM files in dir. */
static void write_cert(const char *cert_name, const char *key_name, mode_t key_mode)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(pkey);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ybgw-test", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    CU_ASSERT_FATAL(X509_sign(x, pkey, EVP_sha256()) > 0);
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, cert_name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    PEM_write_X509(f, x);
    fclose(f);
    snprintf(path, sizeof(path), "%s/%s", dir, key_name);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(chmod(path, key_mode), 0);
    X509_free(x);
    EVP_PKEY_free(pkey);
}

/* Parse text as DIR/t.conf and apply its caller and tls blocks to a, then
 * the checks across them; returns the first failure. */
static int load_all(const char *text, struct yb_auth_conf *a)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/t.conf", dir);
    yb_test_write_file(path, text);
    err[0] = '\0';
    struct yb_conf *root = yb_conf_parse_file(path, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    if (!root)
        return YB_EINVAL;
    int rc = 0;
    for (const struct yb_conf *d = root->children; d && !rc; d = d->next) {
        if (strcmp(d->name, "caller") == 0)
            rc = yb_auth_caller_conf(d, a, err, sizeof(err));
        else if (strcmp(d->name, "tls") == 0)
            rc = yb_tls_conf(d, &a->tls, err, sizeof(err));
    }
    if (!rc)
        rc = yb_auth_conf_check(a, root, err, sizeof(err));
    yb_conf_free(root);
    return rc;
}

static void fresh(struct yb_auth_conf *a)
{
    yb_auth_conf_free(a);
    memset(a, 0, sizeof(*a));
    yb_auth_conf_init(a);
}

static void test_fingerprints(void)
{
    unsigned char a[YB_TLS_FINGERPRINT_LEN], b[YB_TLS_FINGERPRINT_LEN];
    char text[YB_TLS_FINGERPRINT_TEXT];
    CU_ASSERT_EQUAL(yb_tls_fingerprint_parse(FP_A, a), 0);
    CU_ASSERT_EQUAL(a[0], 0x5f);
    CU_ASSERT_EQUAL(a[31], 0x9c);
    yb_tls_fingerprint_format(a, text);
    CU_ASSERT_STRING_EQUAL(text, FP_A);
    /* no colons, lower case: the same bytes */
    CU_ASSERT_EQUAL(yb_tls_fingerprint_parse(FP_A_PLAIN, b), 0);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
    static const char *const bad[] = {
        "",
        "5F3A",
        FP_B "0",                                   /* 65 digits */
        "000000000000000000000000000000000000000000000000000000000000000g", /* not hex */
        "5F3A:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:01:23:45:67:89:AB:CD:EF:10:20:30:"
        "40:50:9C:",                                 /* colons in the wrong places */
        "5F-3A-00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF-01-23-45-67-89-AB-CD-EF-10-20-30-"
        "40-50-9C",
        "SHA256 Fingerprint=5F:3A",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(yb_tls_fingerprint_parse(bad[i], b), YB_EINVAL);
}

static void test_config_certificates_and_rate(void)
{
    snprintf(dir, sizeof(dir), "/tmp/yb_auth_test_XXXXXX"); /* test_config removed its own */
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    write_secret("good.key", "shared-secret-1\n", 0600);
    write_cert("gw.crt", "gw.key", 0600);
    struct yb_auth_conf a;
    memset(&a, 0, sizeof(a));
    yb_auth_conf_init(&a);

    /* a certificate-only caller and one with both; a tls block that asks
     * for client certificates */
    CU_ASSERT_EQUAL(load_all("tls { certificate gw.crt; key gw.key; client_ca gw.crt; }\n"
                             "caller his-a {\n"
                             "    certificate " FP_A ";\n"
                             "    institutions H45019900055;\n"
                             "    rate 10/s burst 20;\n"
                             "}\n"
                             "caller relay-b {\n"
                             "    secret_file good.key;\n"
                             "    certificate " FP_B ";\n"
                             "    certificate 0000000000000000000000000000000000000000000000000000"
                             "000000000002;\n"
                             "    institutions H43*;\n"
                             "    rate 600/m;\n"
                             "}\n",
                             &a),
                    0);
    if (*err)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL(a.n_callers, 2);
    CU_ASSERT_TRUE(a.tls.enabled);
    CU_ASSERT_PTR_NOT_NULL(a.tls.ctx);
    CU_ASSERT_EQUAL(a.tls.verify_client, YB_TLS_VERIFY_OPTIONAL);
    const struct yb_caller *his = yb_auth_find(&a, "his-a");
    const struct yb_caller *relay = yb_auth_find(&a, "relay-b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(his);
    CU_ASSERT_PTR_NOT_NULL_FATAL(relay);
    if (!his || !relay)
        return;
    CU_ASSERT_PTR_NULL(his->secret);
    CU_ASSERT_EQUAL(his->n_certificates, 1);
    CU_ASSERT_EQUAL(his->rate.per, 10);
    CU_ASSERT_EQUAL(his->rate.period_ms, 1000);
    CU_ASSERT_EQUAL(his->rate.burst, 20);
    CU_ASSERT_EQUAL(relay->n_certificates, 2);
    CU_ASSERT_EQUAL(relay->rate.per, 600);
    CU_ASSERT_EQUAL(relay->rate.period_ms, 60000);
    CU_ASSERT_EQUAL(relay->rate.burst, 600);
    unsigned char fp[YB_TLS_FINGERPRINT_LEN];
    CU_ASSERT_EQUAL(yb_tls_fingerprint_parse(FP_A, fp), 0);
    CU_ASSERT_PTR_EQUAL(yb_auth_find_certificate(&a, fp), his);
    fp[31] = 2;
    memset(fp, 0, 31);
    CU_ASSERT_PTR_EQUAL(yb_auth_find_certificate(&a, fp), relay);
    fp[31] = 3;
    CU_ASSERT_PTR_NULL(yb_auth_find_certificate(&a, fp));

    /* a certificate-only caller cannot sign: its X-Ybgw-* headers are refused */
    struct yb_nonce_cache *nc = yb_nonce_cache_new(100);
    struct signed_req s;
    sign_req(&s, "his-a", SECRET, BODY, NOW, NULL);
    CU_ASSERT_EQUAL(verify(&a, nc, &s.r, NOW, NULL), YB_EINVAL);
    CU_ASSERT_STRING_EQUAL(rule, "auth_signature");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no secret_file"));
    CU_ASSERT_EQUAL(yb_nonce_cache_count(nc), 0);
    yb_nonce_cache_free(nc);

    /* one certificate, one caller */
    CU_ASSERT_EQUAL(load("\n\ncaller his-c { certificate " FP_B "; institutions *; }\n", &a),
                    YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:3:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "already caller \"relay-b\"'s"));
    CU_ASSERT_EQUAL(a.n_callers, 2);

    /* bad fingerprints and rates, each refused at its line */
    static const char *const bad[] = {
        "caller r1 { institutions *;\n certificate 5F3A; }\n",
        "caller r1 { institutions *;\n certificate " FP_A ":00; }\n",
        "caller r1 { institutions *;\n certificate zz" FP_B "; }\n",
        "caller r1 { institutions *;\n certificate " FP_A "; certificate " FP_A "; }\n",
        "caller r1 { institutions *;\n certificate " FP_A " " FP_B "; }\n",
        "caller r1 { secret_file good.key; institutions *;\n rate 10; }\n",
        "caller r1 { secret_file good.key; institutions *;\n rate 0/s; }\n",
        "caller r1 { secret_file good.key; institutions *;\n rate 10/h; }\n",
        "caller r1 { secret_file good.key; institutions *;\n rate 10/s 20; }\n",
        "caller r1 { secret_file good.key; institutions *;\n rate 10/s burst; }\n",
        "caller r1 { secret_file good.key; institutions *;\n rate 10/s burst 0; }\n",
        "caller r1 { secret_file good.key; institutions *;\n rate 1/s; rate 2/s; }\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = load(bad[i], &a);
        CU_ASSERT_EQUAL(rc, YB_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
        if (rc != YB_EINVAL || !strstr(err, "t.conf:2:"))
            fprintf(stderr, "case %zu: rc %d, %s\n", i, rc, err);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "rate is given twice"));
    CU_ASSERT_EQUAL(load("caller r1 { institutions *;\n certificate 5F3A; }\n", &a), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "openssl x509 -noout -fingerprint -sha256"));
    CU_ASSERT_EQUAL(a.n_callers, 2);

    /* a certificate caller needs a listener that asks for certificates */
    fresh(&a);
    CU_ASSERT_EQUAL(load_all("# no tls\n"
                             "caller his-a { certificate " FP_A "; institutions *; }\n",
                             &a),
                    YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not ask for client certificates"));
    fresh(&a);
    CU_ASSERT_EQUAL(load_all("tls { certificate gw.crt; key gw.key; verify_client off; }\n"
                             "caller his-a { certificate " FP_A "; institutions *; }\n",
                             &a),
                    YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
    yb_auth_conf_free(&a);
    CU_ASSERT_FALSE(a.tls.enabled);
}

static void test_config_tls(void)
{
    write_cert("other.crt", "other.key", 0600);
    write_cert("open.crt", "open.key", 0644);
    struct yb_auth_conf a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));

    /* verify_client on, relative paths resolved against the file */
    CU_ASSERT_EQUAL(load_all("tls {\n certificate gw.crt;\n key gw.key;\n client_ca other.crt;\n"
                             " verify_client on;\n}\n",
                             &a),
                    0);
    CU_ASSERT_EQUAL(a.tls.verify_client, YB_TLS_VERIFY_ON);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.tls.key, dir));
    CU_ASSERT_EQUAL(load_all("tls {\n certificate gw.crt;\n key gw.key;\n client_ca other.crt;\n"
                             " verify_client on;\n}\n",
                             &b),
                    0);
    CU_ASSERT_TRUE(yb_tls_conf_same(&a.tls, &b.tls));
    fresh(&b);
    CU_ASSERT_FALSE(yb_tls_conf_same(&a.tls, &b.tls));
    CU_ASSERT_EQUAL(load_all("tls { certificate gw.crt; key gw.key; client_ca other.crt; }\n", &b),
                    0);
    CU_ASSERT_FALSE(yb_tls_conf_same(&a.tls, &b.tls)); /* on -> optional */
    /* a second block */
    CU_ASSERT_EQUAL(
        load_all("\ntls { certificate gw.crt; key gw.key; client_ca other.crt; }\n", &a),
        YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "given twice"));

    /* a key others can read: refused at the key's line, naming the fix */
    fresh(&a);
    CU_ASSERT_EQUAL(load_all("tls {\n certificate open.crt;\n key open.key;\n"
                             " verify_client off;\n}\n",
                             &a),
                    YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:3:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "open.key"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_FALSE(a.tls.enabled);

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"tls { key gw.key; verify_client off; }\n", "needs certificate"},
        {"tls { certificate gw.crt; verify_client off; }\n", "needs certificate"},
        {"tls { certificate gw.crt; key gw.key; }\n", "needs client_ca"},
        {"tls { certificate gw.crt; key gw.key; verify_client on; }\n", "needs client_ca"},
        {"tls { certificate gw.crt; key gw.key; client_ca gw.crt; verify_client maybe; }\n",
         "maybe"},
        {"tls { certificate gw.crt; key other.key; verify_client off; }\n", "does not belong"},
        {"tls { certificate missing.crt; key gw.key; verify_client off; }\n", "missing.crt"},
        {"tls { certificate gw.crt; key missing.key; verify_client off; }\n", "missing.key"},
        {"tls { certificate gw.crt; key gw.key; client_ca missing.crt; }\n", "missing.crt"},
        {"tls { certificate gw.crt; key gw.key; client_ca good.key; }\n", "client_ca"},
        {"tls { certificate good.key; key gw.key; verify_client off; }\n", "good.key"},
        {"tls { certificate gw.crt; certificate gw.crt; key gw.key; }\n", "given twice"},
        {"tls { certificate gw.crt; key gw.key; ciphers ALL; }\n", "ciphers"},
        {"tls;\n", "block"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fresh(&a);
        int rc = load_all(bad[i].text, &a);
        CU_ASSERT_EQUAL(rc, YB_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:1:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].why));
        CU_ASSERT_FALSE(a.tls.enabled);
        if (rc != YB_EINVAL || !strstr(err, bad[i].why))
            fprintf(stderr, "tls case %zu: rc %d, %s\n", i, rc, err);
    }
    yb_auth_conf_free(&a);
    yb_auth_conf_free(&b);
    yb_test_remove_tree(dir);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_signed_request_passes),
        YB_TEST(test_missing_headers),
        YB_TEST(test_caller_refused),
        YB_TEST(test_timestamp_window),
        YB_TEST(test_bad_nonce),
        YB_TEST(test_signature_of_another_body),
        YB_TEST(test_replay),
        YB_TEST(test_cache_full_then_refills),
        YB_TEST(test_cache_grows_and_reuses_slots),
        YB_TEST(test_cache_drops_exactly_the_expired),
        YB_TEST(test_cache_concurrent_adds),
        YB_TEST(test_institution_patterns),
        YB_TEST(test_config),
        YB_TEST(test_fingerprints),
        YB_TEST(test_config_certificates_and_rate),
        YB_TEST(test_config_tls),
        YB_TEST_END,
    };
    return yb_test_main("auth", tests);
}
