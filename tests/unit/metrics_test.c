/*
 * metrics_test.c - the Prometheus counters and histograms (metrics.c):
 * counts, bucket placement, label escaping, the cardinality caps and the
 * shape of every rendered line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "metrics.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

/* Render m into a fresh NUL-terminated string (caller frees). */
static char *render(struct yb_metrics *m)
{
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL(yb_metrics_render(m, &b), 0);
    return yb_buf_steal(&b, NULL);
}

/* Does text contain line as a whole line? */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

static size_t count_substr(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_counts(void)
{
    struct yb_metrics *m = yb_metrics_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    yb_metrics_request(m, "2207", "ok", 0.01);
    yb_metrics_request(m, "2207", "ok", 0.02);
    yb_metrics_request(m, "2207", "rejected", 0.001);
    yb_metrics_request(m, "1101", "ok", 0.3);
    yb_metrics_upstream_error(m, "guangxi", "timeout");
    yb_metrics_upstream_error(m, "guangxi", "timeout");
    yb_metrics_upstream_error(m, "guangxi", "connect");
    yb_metrics_finding(m, "codeset.drug", "error");
    yb_metrics_inflight(m, 3);
    yb_metrics_inflight(m, -1);
    yb_metrics_reload(m, 1);
    yb_metrics_reload(m, 0);
    yb_metrics_reload(m, 1);
    char *t = render(m);
    CU_ASSERT(has_line(t, "ybgw_requests_total{infno=\"2207\",outcome=\"ok\"} 2"));
    CU_ASSERT(has_line(t, "ybgw_requests_total{infno=\"2207\",outcome=\"rejected\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_requests_total{infno=\"1101\",outcome=\"ok\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_request_duration_seconds_count{infno=\"2207\"} 3"));
    CU_ASSERT(has_line(t, "ybgw_request_duration_seconds_count{infno=\"1101\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_upstream_errors_total{upstream=\"guangxi\",kind=\"timeout\"} 2"));
    CU_ASSERT(has_line(t, "ybgw_upstream_errors_total{upstream=\"guangxi\",kind=\"connect\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_findings_total{source=\"codeset.drug\",severity=\"error\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_inflight 2"));
    CU_ASSERT(has_line(t, "ybgw_reloads_total{result=\"ok\"} 2"));
    CU_ASSERT(has_line(t, "ybgw_reloads_total{result=\"failed\"} 1"));
    /* sorted by label: 1101 before 2207 */
    CU_ASSERT(strstr(t, "infno=\"1101\",outcome") < strstr(t, "infno=\"2207\",outcome"));
    free(t);
    yb_metrics_free(m);
}

static void test_histogram_buckets(void)
{
    struct yb_metrics *m = yb_metrics_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    yb_metrics_upstream_latency(m, "up", 0.0005); /* on a bound: counts in that bucket */
    yb_metrics_upstream_latency(m, "up", 0.003);  /* between 0.0025 and 0.005 */
    yb_metrics_upstream_latency(m, "up", 1.0);
    yb_metrics_upstream_latency(m, "up", 20.0); /* only +Inf */
    yb_metrics_upstream_latency(m, "up", -1.0); /* clamped to 0 */
    char *t = render(m);
#define B(le, n) "ybgw_upstream_duration_seconds_bucket{upstream=\"up\",le=\"" le "\"} " #n
    CU_ASSERT(has_line(t, B("0.0005", 2)));
    CU_ASSERT(has_line(t, B("0.001", 2)));
    CU_ASSERT(has_line(t, B("0.0025", 2)));
    CU_ASSERT(has_line(t, B("0.005", 3)));
    CU_ASSERT(has_line(t, B("0.5", 3)));
    CU_ASSERT(has_line(t, B("1", 4)));
    CU_ASSERT(has_line(t, B("10", 4)));
    CU_ASSERT(has_line(t, B("+Inf", 5)));
#undef B
    CU_ASSERT(has_line(t, "ybgw_upstream_duration_seconds_count{upstream=\"up\"} 5"));
    CU_ASSERT(has_line(t, "ybgw_upstream_duration_seconds_sum{upstream=\"up\"} 21.0035"));
    /* 15 bucket lines, one sum, one count */
    CU_ASSERT_EQUAL(count_substr(t, "ybgw_upstream_duration_seconds_bucket{"), 15);
    free(t);
    yb_metrics_free(m);
}

static void test_label_escaping(void)
{
    struct yb_metrics *m = yb_metrics_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    yb_metrics_upstream_error(m, "a\"b\\c\nd", "x");
    yb_metrics_finding(m, "bad\xff utf8", "warn");
    yb_metrics_finding(m, "\xe5\x8c\xbb\xe4\xbf\x9d", "warn"); /* valid UTF-8 stays */
    yb_metrics_finding(m, NULL, "warn");
    char *t = render(m);
    CU_ASSERT(has_line(t, "ybgw_upstream_errors_total{upstream=\"a\\\"b\\\\c\\nd\",kind=\"x\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_findings_total{source=\"bad? utf8\",severity=\"warn\"} 1"));
    CU_ASSERT(has_line(
        t, "ybgw_findings_total{source=\"\xe5\x8c\xbb\xe4\xbf\x9d\",severity=\"warn\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_findings_total{source=\"\",severity=\"warn\"} 1"));
    free(t);

    /* a long value is cut to 64 bytes, never inside a UTF-8 sequence */
    char longv[91];
    for (int i = 0; i < 30; i++)
        memcpy(longv + 3 * i, "\xe5\x8c\xbb", 3); /* 90 bytes */
    longv[90] = '\0';
    yb_metrics_upstream_latency(m, longv, 0.1);
    t = render(m);
    char expect[160];
    snprintf(expect, sizeof(expect), "ybgw_upstream_duration_seconds_count{upstream=\"%.63s\"} 1",
             longv); /* 21 whole characters */
    CU_ASSERT(has_line(t, expect));
    free(t);
    yb_metrics_free(m);
}

static void test_infno_cardinality(void)
{
    struct yb_metrics *m = yb_metrics_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    char infno[16];
    for (int i = 0; i < 300; i++) {
        snprintf(infno, sizeof(infno), "%d", 10000 + i);
        yb_metrics_request(m, infno, "ok", 0.01);
    }
    /* not infno-shaped: counted as other, even while there is room */
    yb_metrics_request(m, "11-01", "ok", 0.01);
    yb_metrics_request(m, "123456789", "ok", 0.01);
    yb_metrics_request(m, "", "ok", 0.01);
    yb_metrics_request(m, NULL, "ok", 0.01);
    char *t = render(m);
    CU_ASSERT(has_line(t, "ybgw_requests_total{infno=\"10000\",outcome=\"ok\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_requests_total{infno=\"10255\",outcome=\"ok\"} 1"));
    CU_ASSERT(!has_line(t, "ybgw_requests_total{infno=\"10256\",outcome=\"ok\"} 1"));
    CU_ASSERT(has_line(t, "ybgw_requests_total{infno=\"other\",outcome=\"ok\"} 48"));
    CU_ASSERT(has_line(t, "ybgw_request_duration_seconds_count{infno=\"other\"} 48"));
    CU_ASSERT_EQUAL(count_substr(t, "ybgw_requests_total{"), 257);
    CU_ASSERT_EQUAL(count_substr(t, "ybgw_request_duration_seconds_count{"), 257);
    CU_ASSERT_PTR_NULL(strstr(t, "11-01"));
    /* a known infno keeps counting under its own name */
    free(t);
    yb_metrics_request(m, "10001", "ok", 0.01);
    t = render(m);
    CU_ASSERT(has_line(t, "ybgw_requests_total{infno=\"10001\",outcome=\"ok\"} 2"));
    free(t);
    yb_metrics_free(m);
}

static void test_other_family_cap(void)
{
    struct yb_metrics *m = yb_metrics_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    char source[32];
    for (int i = 0; i < 1100; i++) {
        snprintf(source, sizeof(source), "plugin%d", i);
        yb_metrics_finding(m, source, "error");
    }
    char *t = render(m);
    size_t series = count_substr(t, "ybgw_findings_total{");
    CU_ASSERT(series <= 1025);
    CU_ASSERT(series >= 1000);
    CU_ASSERT(has_line(t, "ybgw_findings_total{source=\"other\",severity=\"other\"} 76"));
    free(t);
    yb_metrics_free(m);
}

/* Every line is a comment of the two known kinds or `name{labels} value`. */
static void test_render_format(void)
{
    struct yb_metrics *m = yb_metrics_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    yb_metrics_request(m, "2207", "ok", 0.05);
    yb_metrics_upstream_latency(m, "national", 0.04);
    char *t = render(m);
    static const char *const families[][2] = {
        {"ybgw_requests_total", "counter"},
        {"ybgw_request_duration_seconds", "histogram"},
        {"ybgw_upstream_duration_seconds", "histogram"},
        {"ybgw_upstream_errors_total", "counter"},
        {"ybgw_findings_total", "counter"},
        {"ybgw_inflight", "gauge"},
        {"ybgw_reloads_total", "counter"},
    };
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "# TYPE %s %s", families[i][0], families[i][1]);
        CU_ASSERT(has_line(t, line));
        snprintf(line, sizeof(line), "# HELP %s ", families[i][0]);
        CU_ASSERT_PTR_NOT_NULL(strstr(t, line));
    }
    size_t lines = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        if (strncmp(line, "# HELP ybgw_", 12) == 0 || strncmp(line, "# TYPE ybgw_", 12) == 0)
            continue;
        CU_ASSERT_EQUAL(strncmp(line, "ybgw_", 5), 0);
        char *space = strrchr(line, ' ');
        CU_ASSERT_PTR_NOT_NULL_FATAL(space);
        char *end = NULL;
        strtod(space + 1, &end);
        CU_ASSERT(end && *end == '\0' && end != space + 1);
        char *brace = strchr(line, '{');
        if (brace && brace < space) {
            CU_ASSERT_EQUAL(space[-1], '}');
        }
    }
    CU_ASSERT(lines > 40);
    free(t);

    /* a capped output buffer gives an error, not a partial success */
    struct yb_buf small;
    yb_buf_init(&small, 100);
    CU_ASSERT_EQUAL(yb_metrics_render(m, &small), YB_ELIMIT);
    yb_buf_free(&small);
    yb_metrics_free(m);
}

#define THREADS 4
#define PER_THREAD 20000

static void *hammer(void *arg)
{
    struct yb_metrics *m = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        yb_metrics_request(m, "2207", "ok", 0.001);
        yb_metrics_inflight(m, 1);
        yb_metrics_inflight(m, -1);
    }
    return NULL;
}

static void test_threads(void)
{
    struct yb_metrics *m = yb_metrics_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, hammer, m), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    char *t = render(m);
    char line[128];
    snprintf(line, sizeof(line), "ybgw_requests_total{infno=\"2207\",outcome=\"ok\"} %d",
             THREADS * PER_THREAD);
    CU_ASSERT(has_line(t, line));
    CU_ASSERT(has_line(t, "ybgw_inflight 0"));
    free(t);
    yb_metrics_free(m);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_counts),           YB_TEST(test_histogram_buckets),
        YB_TEST(test_label_escaping),   YB_TEST(test_infno_cardinality),
        YB_TEST(test_other_family_cap), YB_TEST(test_render_format),
        YB_TEST(test_threads),          YB_TEST_END,
    };
    return yb_test_main("metrics", tests);
}
