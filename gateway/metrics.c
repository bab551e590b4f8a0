/*
 * metrics.c - the gateway's counters and histograms, rendered in the
 * Prometheus text format for the admin port's /metrics.
 *
 * Every worker thread updates the same struct yb_metrics, so one mutex
 * guards it; an update is a hash lookup and a few additions, far cheaper
 * than the transaction it counts. Label values come partly from outside
 * (the infno a HIS sends), so every family has a bound on its series:
 * infno values must look like one (1 to 8 letters or digits) and at most
 * YB_METRICS_MAX_INFNO distinct ones are kept; the rest count as "other".
 * Other families fold into an all-"other" series once full. Values are
 * stored cleaned (valid UTF-8, at most LABEL_MAX bytes) and escaped when
 * rendered.
 */
#include "metrics.h"

#include "breaker.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ybgw/ybgw.h"

#define YB_METRICS_MAX_INFNO 256
#define FAMILY_MAX_SERIES 1024 /* any family other than the infno ones */
#define LABEL_MAX 64           /* bytes of one stored label value */
#define MAX_LABELS 2

/* Upper bounds in seconds, from half a millisecond (a rejected message) to
 * ten seconds (a slow platform). The text form is kept so `le` renders
 * exactly as written here. */
static const double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const char *const bucket_labels[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                            "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                            "1",      "2.5",   "5",      "10",    "+Inf"};
#define N_BOUNDS (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]))
#define N_BUCKETS (N_BOUNDS + 1)

struct series {
    char *labels[MAX_LABELS];
    uint64_t count;              /* counter value, or the histogram's _count */
    double sum;                  /* histograms only */
    uint64_t buckets[N_BUCKETS]; /* histograms only; per bucket, not cumulative */
};

struct family {
    const char *name;
    const char *help;
    int histogram;
    int n_labels;
    const char *label_names[MAX_LABELS];
    size_t max_series;
    struct series *items;
    size_t n, cap;
    size_t *slots; /* open-addressing index into items; SIZE_MAX is empty */
    size_t n_slots;
};

enum {
    F_REQUESTS,
    F_REQUEST_DURATION,
    F_UPSTREAM_DURATION,
    F_UPSTREAM_ERRORS,
    F_FINDINGS,
    F_CALLER_LIMITED,
    N_FAMILIES
};

struct yb_metrics {
    pthread_mutex_t lock;
    struct family families[N_FAMILIES];
    struct family infnos; /* the distinct infno values admitted so far (labels[0] only) */
    long inflight;
    uint64_t reloads_ok, reloads_failed;
};

static const struct family family_templates[N_FAMILIES] = {
    [F_REQUESTS] = {.name = "ybgw_requests_total",
                    .help = "Transactions finished, by infno and outcome.",
                    .n_labels = 2,
                    .label_names = {"infno", "outcome"},
                    .max_series = (size_t)YB_METRICS_MAX_INFNO * 8},
    [F_REQUEST_DURATION] = {.name = "ybgw_request_duration_seconds",
                            .help = "Time a transaction spent in the gateway, by infno.",
                            .histogram = 1,
                            .n_labels = 1,
                            .label_names = {"infno"},
                            .max_series = YB_METRICS_MAX_INFNO + 1},
    [F_UPSTREAM_DURATION] = {.name = "ybgw_upstream_duration_seconds",
                             .help = "Time spent waiting for an upstream's answer, by upstream.",
                             .histogram = 1,
                             .n_labels = 1,
                             .label_names = {"upstream"},
                             .max_series = FAMILY_MAX_SERIES},
    [F_UPSTREAM_ERRORS] = {.name = "ybgw_upstream_errors_total",
                           .help = "Upstream failures, by upstream and kind.",
                           .n_labels = 2,
                           .label_names = {"upstream", "kind"},
                           .max_series = FAMILY_MAX_SERIES},
    [F_FINDINGS] = {.name = "ybgw_findings_total",
                    .help = "Diagnostic findings, by rule source and severity.",
                    .n_labels = 2,
                    .label_names = {"source", "severity"},
                    .max_series = FAMILY_MAX_SERIES},
    [F_CALLER_LIMITED] = {.name = "ybgw_caller_limited_total",
                          .help = "Requests refused (HTTP 429) by a caller's rate limit.",
                          .n_labels = 1,
                          .label_names = {"caller"},
                          .max_series = FAMILY_MAX_SERIES},
};

/* ---- label values ---- */

/* Copy s into out (LABEL_MAX + 1 bytes) as valid UTF-8 of at most LABEL_MAX
 * bytes: a byte that does not start a well-formed sequence becomes '?', and a
 * sequence that would cross the cap is dropped whole. NULL becomes "". */
static void clean_label(const char *s, char *out)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t seq = 1;
        if (*p >= 0x80) {
            seq = (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
            for (size_t i = 1; i < seq; i++)
                if ((p[i] & 0xC0) != 0x80)
                    seq = 0;
            if (*p == 0xC0 || *p == 0xC1 || *p > 0xF4)
                seq = 0;
        }
        if (seq == 0) {
            if (o + 1 > LABEL_MAX)
                break;
            out[o++] = '?';
            p++;
            continue;
        }
        if (o + seq > LABEL_MAX)
            break;
        memcpy(out + o, p, seq);
        o += seq;
        p += seq;
    }
    out[o] = '\0';
}

static int infno_shaped(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return 0;
        if (n >= 8)
            return 0;
    }
    return n >= 1;
}

/* ---- series lookup ---- */

static uint64_t hash_labels(const char *const *labels, int n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int i = 0; i < n && i < MAX_LABELS; i++) {
        for (const unsigned char *p = (const unsigned char *)labels[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xFF) * 1099511628211ull; /* separator: ("ab","c") != ("a","bc") */
    }
    return h;
}

static int labels_equal(const struct series *s, const char *const *labels, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s->labels[i], labels[i]) != 0)
            return 0;
    return 1;
}

static size_t *find_slot(struct family *f, const char *const *labels)
{
    size_t mask = f->n_slots - 1;
    size_t i = (size_t)hash_labels(labels, f->n_labels) & mask;
    for (;;) {
        size_t *slot = &f->slots[i];
        if (*slot == SIZE_MAX || labels_equal(&f->items[*slot], labels, f->n_labels))
            return slot;
        i = (i + 1) & mask;
    }
}

static int rehash(struct family *f, size_t n_slots)
{
    size_t *slots = malloc(n_slots * sizeof(*slots));
    if (!slots)
        return YB_ENOMEM;
    for (size_t i = 0; i < n_slots; i++)
        slots[i] = SIZE_MAX;
    free(f->slots);
    f->slots = slots;
    f->n_slots = n_slots;
    for (size_t k = 0; k < f->n; k++)
        *find_slot(f, (const char *const *)f->items[k].labels) = k;
    return 0;
}

/* The series for labels, created if absent while the family holds fewer
 * than limit series. NULL when it is full or memory is short. */
static struct series *lookup(struct family *f, const char *const *labels, size_t limit)
{
    if (f->n_slots) {
        size_t *slot = find_slot(f, labels);
        if (*slot != SIZE_MAX)
            return &f->items[*slot];
    }
    if (f->n >= limit)
        return NULL;
    if ((f->n + 1) * 2 > f->n_slots && rehash(f, f->n_slots ? f->n_slots * 2 : 16))
        return NULL;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct series *items = realloc(f->items, cap * sizeof(*items));
        if (!items)
            return NULL;
        f->items = items;
        f->cap = cap;
    }
    struct series *s = &f->items[f->n];
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < f->n_labels; i++) {
        if (!(s->labels[i] = strdup(labels[i]))) {
            for (int k = 0; k < i; k++)
                free(s->labels[k]);
            return NULL;
        }
    }
    *find_slot(f, labels) = f->n;
    f->n++;
    return s;
}

/* The series for labels, or for all-"other" labels when the family is full:
 * the overflow series is the one allowed past max_series. */
static struct series *series_for(struct family *f, const char *const *labels)
{
    static const char *const other[MAX_LABELS] = {"other", "other"};
    struct series *s = lookup(f, labels, f->max_series);
    return s ? s : lookup(f, other, f->max_series + 1);
}

/* The infno label for a value a HIS sent: itself while it is infno-shaped
 * and there is room, "other" after. */
static const char *infno_label(struct yb_metrics *m, const char *clean)
{
    if (!infno_shaped(clean))
        return "other";
    const char *labels[MAX_LABELS] = {clean, NULL};
    return lookup(&m->infnos, labels, m->infnos.max_series) ? clean : "other";
}

static void observe(struct series *s, double seconds)
{
    if (!isfinite(seconds) || seconds < 0)
        seconds = 0;
    size_t b = 0;
    while (b < N_BOUNDS && seconds > bucket_bounds[b])
        b++;
    s->buckets[b]++;
    s->count++;
    s->sum += seconds;
}

/* ---- public ---- */

struct yb_metrics *yb_metrics_new(void)
{
    struct yb_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    for (int i = 0; i < N_FAMILIES; i++)
        m->families[i] = family_templates[i];
    m->infnos.n_labels = 1;
    m->infnos.max_series = YB_METRICS_MAX_INFNO;
    return m;
}

static void family_free(struct family *f)
{
    for (size_t i = 0; i < f->n; i++)
        for (int k = 0; k < f->n_labels; k++)
            free(f->items[i].labels[k]);
    free(f->items);
    free(f->slots);
}

void yb_metrics_free(struct yb_metrics *m)
{
    if (!m)
        return;
    for (int i = 0; i < N_FAMILIES; i++)
        family_free(&m->families[i]);
    family_free(&m->infnos);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void yb_metrics_request(struct yb_metrics *m, const char *infno, const char *outcome,
                        double seconds)
{
    char clean_infno[LABEL_MAX + 1], clean_outcome[LABEL_MAX + 1];
    if (!m)
        return;
    clean_label(infno, clean_infno);
    clean_label(outcome, clean_outcome);
    pthread_mutex_lock(&m->lock);
    const char *label = infno_label(m, clean_infno);
    const char *labels[MAX_LABELS] = {label, clean_outcome};
    struct series *s = series_for(&m->families[F_REQUESTS], labels);
    if (s)
        s->count++;
    s = series_for(&m->families[F_REQUEST_DURATION], labels);
    if (s)
        observe(s, seconds);
    pthread_mutex_unlock(&m->lock);
}

void yb_metrics_upstream_latency(struct yb_metrics *m, const char *upstream, double seconds)
{
    char clean[LABEL_MAX + 1];
    if (!m)
        return;
    clean_label(upstream, clean);
    const char *labels[MAX_LABELS] = {clean, NULL};
    pthread_mutex_lock(&m->lock);
    struct series *s = series_for(&m->families[F_UPSTREAM_DURATION], labels);
    if (s)
        observe(s, seconds);
    pthread_mutex_unlock(&m->lock);
}

static void count2(struct yb_metrics *m, int family, const char *a, const char *b)
{
    char ca[LABEL_MAX + 1], cb[LABEL_MAX + 1];
    if (!m)
        return;
    clean_label(a, ca);
    clean_label(b, cb);
    const char *labels[MAX_LABELS] = {ca, cb};
    pthread_mutex_lock(&m->lock);
    struct series *s = series_for(&m->families[family], labels);
    if (s)
        s->count++;
    pthread_mutex_unlock(&m->lock);
}

void yb_metrics_upstream_error(struct yb_metrics *m, const char *upstream, const char *kind)
{
    count2(m, F_UPSTREAM_ERRORS, upstream, kind);
}

void yb_metrics_finding(struct yb_metrics *m, const char *source, const char *severity)
{
    count2(m, F_FINDINGS, source, severity);
}

void yb_metrics_caller_limited(struct yb_metrics *m, const char *caller)
{
    char clean[LABEL_MAX + 1];
    if (!m)
        return;
    clean_label(caller, clean);
    const char *labels[MAX_LABELS] = {clean, NULL};
    pthread_mutex_lock(&m->lock);
    struct series *s = series_for(&m->families[F_CALLER_LIMITED], labels);
    if (s)
        s->count++;
    pthread_mutex_unlock(&m->lock);
}

void yb_metrics_inflight(struct yb_metrics *m, int delta)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->inflight += delta;
    pthread_mutex_unlock(&m->lock);
}

void yb_metrics_reload(struct yb_metrics *m, int ok)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    if (ok)
        m->reloads_ok++;
    else
        m->reloads_failed++;
    pthread_mutex_unlock(&m->lock);
}

/* ---- rendering ---- */

/* A label value in the text format: backslash, double quote and newline
 * are the three characters that must be escaped. */
static int put_escaped(struct yb_buf *out, const char *s)
{
    int rc = 0;
    for (const char *p = s; *p && rc == 0; p++) {
        if (*p == '\\')
            rc = yb_buf_puts(out, "\\\\");
        else if (*p == '"')
            rc = yb_buf_puts(out, "\\\"");
        else if (*p == '\n')
            rc = yb_buf_puts(out, "\\n");
        else
            rc = yb_buf_putc(out, *p);
    }
    return rc;
}

/* name{l1="v1",l2="v2"[,le="x"]} followed by a space; le may be NULL. */
static int put_series_name(struct yb_buf *out, const struct family *f, const char *suffix,
                           const struct series *s, const char *le)
{
    int rc = yb_buf_printf(out, "%s%s{", f->name, suffix);
    for (int i = 0; i < f->n_labels && rc == 0; i++) {
        rc = yb_buf_printf(out, "%s%s=\"", i ? "," : "", f->label_names[i]);
        if (!rc)
            rc = put_escaped(out, s->labels[i]);
        if (!rc)
            rc = yb_buf_putc(out, '"');
    }
    if (!rc && le)
        rc = yb_buf_printf(out, ",le=\"%s\"", le);
    if (!rc)
        rc = yb_buf_puts(out, "} ");
    return rc;
}

/* Series of one family carry the same number of labels; the unused
 * slots are NULL in both. */
static int compare_series(const void *a, const void *b)
{
    const struct series *x = *(const struct series *const *)a;
    const struct series *y = *(const struct series *const *)b;
    for (int i = 0; i < MAX_LABELS && x->labels[i] && y->labels[i]; i++) {
        int c = strcmp(x->labels[i], y->labels[i]);
        if (c)
            return c;
    }
    return 0;
}

/* Series are rendered sorted by label values, so two scrapes of the same
 * state give the same text and tests can compare lines. */
static int render_family(struct yb_buf *out, const struct family *f)
{
    int rc = yb_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                           f->histogram ? "histogram" : "counter");
    if (rc || f->n == 0)
        return rc;
    const struct series **order = malloc(f->n * sizeof(*order));
    if (!order)
        return YB_ENOMEM;
    for (size_t i = 0; i < f->n; i++)
        order[i] = &f->items[i];
    qsort(order, f->n, sizeof(*order), compare_series);

    for (size_t k = 0; k < f->n && rc == 0; k++) {
        const struct series *s = order[k];
        if (!f->histogram) {
            rc = put_series_name(out, f, "", s, NULL);
            if (!rc)
                rc = yb_buf_printf(out, "%" PRIu64 "\n", s->count);
            continue;
        }
        uint64_t cumulative = 0;
        for (size_t b = 0; b < N_BUCKETS && rc == 0; b++) {
            cumulative += s->buckets[b];
            rc = put_series_name(out, f, "_bucket", s, bucket_labels[b]);
            if (!rc)
                rc = yb_buf_printf(out, "%" PRIu64 "\n", cumulative);
        }
        if (!rc)
            rc = put_series_name(out, f, "_sum", s, NULL);
        if (!rc)
            rc = yb_buf_printf(out, "%.9g\n", s->sum);
        if (!rc)
            rc = put_series_name(out, f, "_count", s, NULL);
        if (!rc)
            rc = yb_buf_printf(out, "%" PRIu64 "\n", s->count);
    }
    free((void *)order);
    return rc;
}

struct breaker_render {
    struct yb_buf *out;
    int rc;
    int opened; /* 0: the state family; 1: the opened_total family */
};

/* One line per breaker of the family being written: its state (0 closed,
 * 1 open, 2 half-open) or how often it opened. Endpoint URLs come from the
 * configuration; they are escaped like any label. */
static void render_breaker(void *arg, const char *upstream, const char *endpoint, int state,
                           uint64_t opened)
{
    struct breaker_render *r = arg;
    char u[LABEL_MAX + 1], e[129];
    clean_label(upstream, u);
    snprintf(e, sizeof(e), "%s", endpoint);
    if (r->rc == 0)
        r->rc = yb_buf_puts(r->out, r->opened ? "ybgw_upstream_breaker_opened_total{upstream=\""
                                              : "ybgw_upstream_breaker_state{upstream=\"");
    if (r->rc == 0)
        r->rc = put_escaped(r->out, u);
    if (r->rc == 0)
        r->rc = yb_buf_puts(r->out, "\",endpoint=\"");
    if (r->rc == 0)
        r->rc = put_escaped(r->out, e);
    if (r->rc == 0)
        r->rc = r->opened ? yb_buf_printf(r->out, "\"} %" PRIu64 "\n", opened)
                          : yb_buf_printf(r->out, "\"} %d\n", state);
}

int yb_metrics_render(struct yb_metrics *m, struct yb_buf *out)
{
    if (!m || !out)
        return YB_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < N_FAMILIES && rc == 0; i++)
        rc = render_family(out, &m->families[i]);
    if (!rc)
        rc = yb_buf_printf(out,
                           "# HELP ybgw_inflight Transactions in progress.\n"
                           "# TYPE ybgw_inflight gauge\n"
                           "ybgw_inflight %ld\n",
                           m->inflight);
    if (!rc)
        rc = yb_buf_printf(out,
                           "# HELP ybgw_reloads_total Configuration reloads, by result.\n"
                           "# TYPE ybgw_reloads_total counter\n"
                           "ybgw_reloads_total{result=\"ok\"} %" PRIu64 "\n"
                           "ybgw_reloads_total{result=\"failed\"} %" PRIu64 "\n",
                           m->reloads_ok, m->reloads_failed);
    pthread_mutex_unlock(&m->lock);
    static const char *const heads[] = {
        "# HELP ybgw_upstream_breaker_state Circuit breaker of an upstream endpoint: 0 closed, "
        "1 open, 2 half-open.\n# TYPE ybgw_upstream_breaker_state gauge\n",
        "# HELP ybgw_upstream_breaker_opened_total Times an endpoint's circuit breaker opened.\n"
        "# TYPE ybgw_upstream_breaker_opened_total counter\n"};
    struct breaker_render r = {out, rc, 0};
    int64_t now = yb_monotonic_ms();
    for (r.opened = 0; r.opened < 2 && r.rc == 0; r.opened++) {
        r.rc = yb_buf_puts(out, heads[r.opened]);
        if (r.rc == 0)
            yb_breakers_each(render_breaker, &r, now);
    }
    return r.rc;
}
