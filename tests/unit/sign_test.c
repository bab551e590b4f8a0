/*
 * sign_test.c - the gateway authentication headers (sign.c).
 *
 * The expected signatures were computed once, independently, with the
 * openssl command line:
 *   printf '%s' '_api_access_key=AK123&_api_name=1101&'\
 *               '_api_timestamp=1700000000123&_api_version=1.0.0' \
 *     | openssl dgst -sha1 -hmac 's3cr3t-K3y' -binary | openssl base64 -A
 *   printf '%s' '1700000000tif-token-XYZ0123456789abcdef0123456789abcdef1700000000' \
 *     | openssl dgst -sha256 -r | tr a-f A-F
 *   B=$(printf '%s' "$BODY" | openssl dgst -sha256 -r | cut -d' ' -f1)
 *   printf 'ybgw-v1\nhosp-nanning\n1700000000123\n%s\n%s' "$NONCE" "$B" \
 *     | openssl dgst -sha256 -hmac 'relay-Secret-77' -r
 * (BODY and NONCE as in test_ybgw_known_answer; an empty BODY for the
 * second value there)
 * so a wrong field order, separator, unit or case in sign.c fails here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

static const char *find(const struct yb_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

static void test_api_known_answer(void)
{
    char secret[] = "s3cr3t-K3y";
    struct yb_sign_conf conf = {YB_SIGN_API, "AK123", "1.0.0", secret};
    struct yb_header h[YB_SIGN_MAX_HEADERS];
    size_t n = 99;
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", NULL, 0, 1700000000123LL, NULL, h, 6, &n), 0);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_STRING_EQUAL(find(h, n, "_api_name"), "1101");
    CU_ASSERT_STRING_EQUAL(find(h, n, "_api_version"), "1.0.0");
    CU_ASSERT_STRING_EQUAL(find(h, n, "_api_timestamp"), "1700000000123");
    CU_ASSERT_STRING_EQUAL(find(h, n, "_api_access_key"), "AK123");
    CU_ASSERT_STRING_EQUAL(find(h, n, "_api_signature"), "wyfY+XNDtgXAtBSIRViG4Fqm6b8=");
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_PTR_NULL(strstr(h[i].value, secret));
}

static void test_api_other_values(void)
{
    char secret[] = "s3cr3t-K3y";
    struct yb_sign_conf conf = {YB_SIGN_API, "AK123", "2.0", secret};
    struct yb_header h[YB_SIGN_MAX_HEADERS];
    size_t n = 0;
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "2207A", NULL, 0, 1700000000123LL, NULL, h, 6, &n), 0);
    CU_ASSERT_STRING_EQUAL(find(h, n, "_api_signature"), "gDINQhWTtrfISV8Bh0MuE9LpgrY=");
    /* another secret must give another signature */
    char other[] = "s3cr3t-K3z";
    conf.secret = other;
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "2207A", NULL, 0, 1700000000123LL, NULL, h, 6, &n), 0);
    CU_ASSERT_STRING_NOT_EQUAL(find(h, n, "_api_signature"), "gDINQhWTtrfISV8Bh0MuE9LpgrY=");
}

static void test_tif_known_answer(void)
{
    char secret[] = "tif-token-XYZ";
    struct yb_sign_conf conf = {YB_SIGN_TIF, "paas-001", NULL, secret};
    struct yb_header h[YB_SIGN_MAX_HEADERS];
    size_t n = 0;
    const char *nonce = "0123456789abcdef0123456789abcdef";
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", NULL, 0, 1700000000999LL, nonce, h, 6, &n), 0);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_STRING_EQUAL(find(h, n, "x-tif-paasid"), "paas-001");
    CU_ASSERT_STRING_EQUAL(find(h, n, "x-tif-timestamp"), "1700000000"); /* seconds */
    CU_ASSERT_STRING_EQUAL(find(h, n, "x-tif-nonce"), nonce);
    CU_ASSERT_STRING_EQUAL(find(h, n, "x-tif-signature"),
                           "F9B6276BC865C004222EF2B1D874EB2D4EEB6070911FDA85866E8039EB0D7CC2");
}

static void test_tif_own_nonce(void)
{
    char secret[] = "tif-token-XYZ";
    struct yb_sign_conf conf = {YB_SIGN_TIF, "paas-001", NULL, secret};
    struct yb_header a[YB_SIGN_MAX_HEADERS], b[YB_SIGN_MAX_HEADERS];
    size_t na = 0, nb = 0;
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", NULL, 0, 1700000000999LL, NULL, a, 6, &na), 0);
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", NULL, 0, 1700000000999LL, NULL, b, 6, &nb), 0);
    CU_ASSERT_EQUAL(strlen(find(a, na, "x-tif-nonce")), 32);
    CU_ASSERT_STRING_NOT_EQUAL(find(a, na, "x-tif-nonce"), find(b, nb, "x-tif-nonce"));
    CU_ASSERT_STRING_NOT_EQUAL(find(a, na, "x-tif-signature"), find(b, nb, "x-tif-signature"));
    const char *sig = find(a, na, "x-tif-signature");
    CU_ASSERT_EQUAL(strlen(sig), 64);
    for (const char *p = sig; *p; p++)
        CU_ASSERT(isdigit((unsigned char)*p) || (*p >= 'A' && *p <= 'F'));
}

static void test_none_and_refusals(void)
{
    char secret[] = "k";
    struct yb_header h[YB_SIGN_MAX_HEADERS];
    size_t n = 7;
    struct yb_sign_conf none = {YB_SIGN_NONE, NULL, NULL, NULL};
    CU_ASSERT_EQUAL(yb_sign_compute(&none, "1101", NULL, 0, 1, NULL, h, 6, &n), 0);
    CU_ASSERT_EQUAL(n, 0);

    struct yb_sign_conf api = {YB_SIGN_API, "AK", "1.0.0", secret};
    /* header injection through the infno */
    CU_ASSERT_EQUAL(yb_sign_compute(&api, "1101\r\nX-Evil: 1", NULL, 0, 1, NULL, h, 6, &n),
                    YB_EINVAL);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(yb_sign_compute(&api, NULL, NULL, 0, 1, NULL, h, 6, &n), YB_EINVAL);
    /* not enough room: no half set */
    CU_ASSERT_EQUAL(yb_sign_compute(&api, "1101", NULL, 0, 1, NULL, h, 3, &n), YB_ELIMIT);
    CU_ASSERT_EQUAL(n, 0);
    api.secret = NULL;
    CU_ASSERT_EQUAL(yb_sign_compute(&api, "1101", NULL, 0, 1, NULL, h, 6, &n), YB_EINVAL);

    struct yb_sign_conf tif = {YB_SIGN_TIF, "P", NULL, secret};
    CU_ASSERT_EQUAL(yb_sign_compute(&tif, "1101", NULL, 0, 1, "short", h, 6, &n), YB_EINVAL);
    struct yb_sign_conf bad = {7, "P", NULL, secret};
    CU_ASSERT_EQUAL(yb_sign_compute(&bad, "1101", NULL, 0, 1, NULL, h, 6, &n), YB_EINVAL);
}

static void test_nonce(void)
{
    char a[33], b[33], small[32];
    CU_ASSERT_EQUAL(yb_sign_nonce(a, sizeof(a)), 0);
    CU_ASSERT_EQUAL(yb_sign_nonce(b, sizeof(b)), 0);
    CU_ASSERT_EQUAL(strlen(a), 32);
    for (const char *p = a; *p; p++)
        CU_ASSERT(isdigit((unsigned char)*p) || (*p >= 'a' && *p <= 'f'));
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    CU_ASSERT_EQUAL(yb_sign_nonce(small, sizeof(small)), YB_EINVAL);
}

#define YBGW_NONCE "0123456789abcdef0123456789abcdef"
#define YBGW_BODY "{\"infno\":\"1101\",\"input\":{\"data\":{\"psn_no\":\"4501990000000001\"}}}"

static void test_ybgw_known_answer(void)
{
    char secret[] = "relay-Secret-77";
    struct yb_sign_conf conf = {YB_SIGN_YBGW, "hosp-nanning", NULL, secret};
    struct yb_header h[YB_SIGN_MAX_HEADERS];
    size_t n = 0;
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", YBGW_BODY, strlen(YBGW_BODY), 1700000000123LL,
                                    YBGW_NONCE, h, YB_SIGN_MAX_HEADERS, &n),
                    0);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_STRING_EQUAL(find(h, n, "X-Ybgw-Caller"), "hosp-nanning");
    CU_ASSERT_STRING_EQUAL(find(h, n, "X-Ybgw-Timestamp"), "1700000000123"); /* ms */
    CU_ASSERT_STRING_EQUAL(find(h, n, "X-Ybgw-Nonce"), YBGW_NONCE);
    CU_ASSERT_STRING_EQUAL(find(h, n, "X-Ybgw-Signature"),
                           "3c27c9e7254628efa2dd74b723dda2e6f2dd816acadbfd7b0b2d8165a5c26efd");
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_PTR_NULL(strstr(h[i].value, secret));

    /* the empty body (NULL, 0) signs SHA-256 of nothing */
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, NULL, NULL, 0, 1700000000123LL, YBGW_NONCE, h,
                                    YB_SIGN_MAX_HEADERS, &n),
                    0);
    CU_ASSERT_STRING_EQUAL(find(h, n, "X-Ybgw-Signature"),
                           "2a0418c3b142470fd532b526cf3d5c98be31f727ea9ba591af556fd105463a05");

    /* the shared function gives the same value from the header texts */
    char hex[YB_SIGN_YBGW_HEX];
    CU_ASSERT_EQUAL(yb_sign_ybgw(secret, "hosp-nanning", "1700000000123", YBGW_NONCE, YBGW_BODY,
                                 strlen(YBGW_BODY), hex),
                    0);
    CU_ASSERT_STRING_EQUAL(hex, "3c27c9e7254628efa2dd74b723dda2e6f2dd816acadbfd7b0b2d8165a5c26efd");
    /* one byte less of body, another timestamp text: another signature */
    CU_ASSERT_EQUAL(yb_sign_ybgw(secret, "hosp-nanning", "1700000000123", YBGW_NONCE, YBGW_BODY,
                                 strlen(YBGW_BODY) - 1, hex),
                    0);
    CU_ASSERT_STRING_NOT_EQUAL(hex,
                               "3c27c9e7254628efa2dd74b723dda2e6f2dd816acadbfd7b0b2d8165a5c26efd");
    CU_ASSERT_EQUAL(yb_sign_ybgw(secret, "hosp-nanning", "01700000000123", YBGW_NONCE, YBGW_BODY,
                                 strlen(YBGW_BODY), hex),
                    0);
    CU_ASSERT_STRING_NOT_EQUAL(hex,
                               "3c27c9e7254628efa2dd74b723dda2e6f2dd816acadbfd7b0b2d8165a5c26efd");
}

static void test_ybgw_own_nonce_and_refusals(void)
{
    char secret[] = "relay-Secret-77";
    struct yb_sign_conf conf = {YB_SIGN_YBGW, "hosp-nanning", NULL, secret};
    struct yb_header a[YB_SIGN_MAX_HEADERS], b[YB_SIGN_MAX_HEADERS];
    size_t na = 0, nb = 0;
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, NULL, a, 4, &na), 0);
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, NULL, b, 4, &nb), 0);
    CU_ASSERT_EQUAL(na, 4);
    CU_ASSERT_TRUE(yb_sign_ybgw_nonce_ok(find(a, na, "X-Ybgw-Nonce")));
    CU_ASSERT_STRING_NOT_EQUAL(find(a, na, "X-Ybgw-Nonce"), find(b, nb, "X-Ybgw-Nonce"));
    CU_ASSERT_STRING_NOT_EQUAL(find(a, na, "X-Ybgw-Signature"), find(b, nb, "X-Ybgw-Signature"));

    /* room for 3 headers only: none at all */
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, NULL, a, 3, &na), YB_ELIMIT);
    CU_ASSERT_EQUAL(na, 0);
    /* a body pointer is needed when len > 0 */
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", NULL, 5, 1, NULL, a, 4, &na), YB_EINVAL);
    /* nonce: too short, bad character, too long */
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, "0123456789abcde", a, 4, &na),
                    YB_EINVAL);
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, "0123456789abcdef.", a, 4, &na),
                    YB_EINVAL);
    char long_nonce[66];
    memset(long_nonce, 'a', 65);
    long_nonce[65] = '\0';
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, long_nonce, a, 4, &na), YB_EINVAL);
    long_nonce[64] = '\0';
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, long_nonce, a, 4, &na), 0);
    /* caller name with a header injection, with a space, empty, too long */
    char bad1[] = "hosp\r\nX-Evil: 1", bad2[] = "hosp nanning", bad3[] = "";
    char bad4[66];
    memset(bad4, 'c', 65);
    bad4[65] = '\0';
    char *bads[] = {bad1, bad2, bad3, bad4, NULL};
    for (size_t i = 0; i < 5; i++) {
        conf.access_key = bads[i];
        CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, NULL, a, 4, &na), YB_EINVAL);
        CU_ASSERT_EQUAL(na, 0);
    }
    bad4[64] = '\0'; /* 64 characters: fine */
    conf.access_key = bad4;
    CU_ASSERT_EQUAL(yb_sign_compute(&conf, "1101", "{}", 2, 1, NULL, a, 4, &na), 0);

    CU_ASSERT_TRUE(yb_sign_ybgw_caller_ok("relay.gx-01_a"));
    CU_ASSERT_FALSE(yb_sign_ybgw_caller_ok("relay/gx"));
    CU_ASSERT_FALSE(yb_sign_ybgw_caller_ok(NULL));
    CU_ASSERT_FALSE(yb_sign_ybgw_nonce_ok("0123456789abcde.")); /* '.' only in names */
    /* a newline cannot make one field pose as two */
    char hex[YB_SIGN_YBGW_HEX];
    CU_ASSERT_EQUAL(yb_sign_ybgw(secret, "a\nb", "1", YBGW_NONCE, "", 0, hex), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_sign_ybgw("", "a", "1", YBGW_NONCE, "", 0, hex), YB_EINVAL);
}

/* Write content to a fresh temporary file with the given mode. */
static void make_secret(char *path, size_t cap, const char *content, size_t len, mode_t mode)
{
    snprintf(path, cap, "/tmp/yb_sign_test_XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, content, len) == (ssize_t)len);
    CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
    close(fd);
}

static void test_secret_file(void)
{
    char path[64], err[512];
    char *secret = NULL;
    const char *value = "Very-Secret-Token-42";

    /* group/world readable: refused, and the message never shows the secret */
    make_secret(path, sizeof(path), value, strlen(value), 0644);
    err[0] = '\0';
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NULL(secret);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "0644"));
    CU_ASSERT_PTR_NULL(strstr(err, "Secret-Token"));
    chmod(path, 0640);
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NULL(strstr(err, "Secret-Token"));
    /* 0600: accepted */
    chmod(path, 0600);
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(secret);
    CU_ASSERT_STRING_EQUAL(secret, value);
    free(secret);
    secret = NULL;
    unlink(path);

    /* trailing CR/LF stripped, inner text kept */
    make_secret(path, sizeof(path), "abc def\r\n\n", 10, 0600);
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(secret);
    CU_ASSERT_STRING_EQUAL(secret, "abc def");
    free(secret);
    secret = NULL;
    unlink(path);

    /* empty, or only a newline: refused */
    make_secret(path, sizeof(path), "", 0, 0600);
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));
    unlink(path);
    make_secret(path, sizeof(path), "\n", 1, 0600);
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NULL(secret);
    unlink(path);

    /* larger than 4 KiB: refused */
    static char big[5000];
    memset(big, 'x', sizeof(big));
    make_secret(path, sizeof(path), big, sizeof(big), 0600);
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), YB_ELIMIT);
    CU_ASSERT_PTR_NULL(strstr(err, "xxxx"));
    unlink(path);
    make_secret(path, sizeof(path), big, 4096, 0600); /* exactly the cap: fine */
    CU_ASSERT_EQUAL(yb_sign_load_secret(path, &secret, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(secret ? strlen(secret) : 0, 4096);
    free(secret);
    secret = NULL;
    unlink(path);

    /* missing file; directory */
    CU_ASSERT_EQUAL(yb_sign_load_secret("/nonexistent/yb-secret", &secret, err, sizeof(err)),
                    YB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/yb-secret"));
    CU_ASSERT(yb_sign_load_secret("/", &secret, err, sizeof(err)) < 0);
    CU_ASSERT_PTR_NULL(secret);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_api_known_answer),
        YB_TEST(test_api_other_values),
        YB_TEST(test_tif_known_answer),
        YB_TEST(test_tif_own_nonce),
        YB_TEST(test_none_and_refusals),
        YB_TEST(test_nonce),
        YB_TEST(test_secret_file),
        YB_TEST(test_ybgw_known_answer),
        YB_TEST(test_ybgw_own_nonce_and_refusals),
        YB_TEST_END,
    };
    return yb_test_main("sign", tests);
}
