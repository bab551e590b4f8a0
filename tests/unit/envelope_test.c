/*
 * envelope_test.c - the envelope checks (gateway/envelope.c) with the
 * shipped conf/schemas/envelope.schema, and the calendar validators.
 */
#include <string.h>
#include <unistd.h>

#include "codec_json.h"
#include "diag.h"
#include "envelope.h"
#include "pool.h"
#include "schema.h"
#include "testutil.h"

static struct yb_pool *pool;
static struct yb_diag diag;
static struct yb_schema_set *schemas;

static const char *good_2201 =
    "{\"infno\": \"2201\", \"msgid\": \"H43111100255202406120922374767\","
    " \"mdtrtarea_admvs\": \"431199\", \"insuplc_admdvs\": \"431199\","
    " \"recer_sys_code\": \"YBXT\", \"dev_no\": \"\", \"dev_safe_info\": \"\", \"cainfo\": \"\","
    " \"signtype\": \"\", \"infver\": \"V1.0\", \"opter_type\": \"1\", \"opter\": \"001\","
    " \"opter_name\": \"张三\", \"inf_time\": \"2024-06-12 09:22:37\","
    " \"fixmedins_code\": \"H43111100255\", \"fixmedins_name\": \"某某县人民医院\","
    " \"sign_no\": \"SN20240612000001\","
    " \"input\": {\"data\": {\"psn_no\": \"43000011223344\", \"insutype\": \"310\","
    " \"begntime\": \"2024-06-12 09:20:00\", \"mdtrt_cert_type\": \"02\","
    " \"mdtrt_cert_no\": \"430111199001011234\", \"ipt_otp_no\": \"MZ20240612001\","
    " \"atddr_no\": \"D430111000001\", \"dr_name\": \"李医生\", \"dept_code\": \"A03\","
    " \"dept_name\": \"内科\", \"caty\": \"A03\"}}}";

static void setup(void)
{
    yb_pool_destroy(pool);
    pool = yb_pool_create(0);
    yb_diag_init(&diag, pool, 64);
    if (!schemas) {
        char err[512];
        schemas = yb_schema_load(yb_test_srcpath("conf/schemas"), err, sizeof(err));
        if (!schemas)
            fprintf(stderr, "%s\n", err);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(schemas);
}

static struct yb_node *json(const char *text)
{
    struct yb_node *n = NULL;
    char err[256];
    int rc = yb_json_decode(pool, text, strlen(text), NULL, &n, err, sizeof(err));
    if (rc)
        fprintf(stderr, "bad test JSON: %s\n", err);
    CU_ASSERT_FATAL(rc == 0);
    return n;
}

/* The good envelope with one field changed (value NULL removes it). */
static struct yb_node *env_with(const char *key, const char *value)
{
    struct yb_node *env = json(good_2201);
    if (key && value)
        yb_node_put_string(pool, env, key, value, strlen(value));
    else if (key)
        yb_node_remove(env, key);
    return env;
}

static const char *rendered(int severity)
{
    struct yb_buf b;
    yb_buf_init(&b, 0);
    yb_diag_render(&diag, severity, 0, &b);
    const char *s = yb_pool_strdup(pool, b.data ? b.data : "");
    yb_buf_free(&b);
    return s;
}

static int check(const struct yb_node *env, int msgid_policy, int insuplc_policy)
{
    struct yb_envelope_policy policy = {msgid_policy, insuplc_policy};
    return yb_envelope_check(schemas, env, &policy, &diag, NULL, NULL);
}

/* Number of findings on path, and whether one has this source, rule and text. */
static int findings_on(const char *path)
{
    int n = 0;
    for (const struct yb_diag_entry *e = diag.head; e; e = e->next)
        n += strcmp(e->path, path) == 0;
    return n;
}

static int has(int severity, const char *path, const char *rule, const char *source,
               const char *text)
{
    for (const struct yb_diag_entry *e = diag.head; e; e = e->next)
        if (e->severity == severity && strcmp(e->path, path) == 0 && strcmp(e->rule, rule) == 0 &&
            strcmp(e->source, source) == 0 && strstr(e->message, text))
            return 1;
    fprintf(stderr, "\n  wanted %s %s [%s] \"%s\"; have: %s | %s\n", path, rule, source, text,
            rendered(YB_DIAG_ERROR), rendered(YB_DIAG_WARN));
    return 0;
}

/* ---- kind callback recorder ---- */
static char kind_log[512];

static void record_kind(void *ctx, const char *kinds, const char *path, const struct yb_node *v)
{
    (void)ctx;
    size_t n = strlen(kind_log);
    snprintf(kind_log + n, sizeof(kind_log) - n, "%s=%s(%s);", path, v->text, kinds);
}

static void test_good_envelope(void)
{
    setup();
    kind_log[0] = '\0';
    struct yb_envelope_policy policy = {YB_POLICY_REJECT, YB_POLICY_REJECT};
    int errors = yb_envelope_check(schemas, json(good_2201), &policy, &diag, record_kind, NULL);
    if (errors)
        fprintf(stderr, "%s\n", rendered(YB_DIAG_ERROR));
    CU_ASSERT_EQUAL(errors, 0);
    CU_ASSERT_EQUAL(diag.errors, 0);
    CU_ASSERT_EQUAL(diag.warnings, 0);
    CU_ASSERT_STRING_EQUAL(kind_log, "mdtrtarea_admvs=431199(admdvs);"
                                     "insuplc_admdvs=431199(admdvs);"
                                     "fixmedins_code=H43111100255(fixmedins|pharmacy);");
    /* and its input passes 2201's own rules */
    CU_ASSERT_EQUAL(yb_schema_check_input(schemas, "2201", yb_node_get(json(good_2201), "input"),
                                          &diag, NULL, NULL),
                    0);
    /* a NULL policy means reject, and still passes a good message */
    CU_ASSERT_EQUAL(yb_envelope_check(schemas, json(good_2201), NULL, &diag, NULL, NULL), 0);
    /* an empty insuplc_admdvs is not sent to the admdvs checker */
    setup();
    kind_log[0] = '\0';
    struct yb_node *env = json("{\"infno\": \"9001\", \"msgid\": "
                               "\"H43111100255202406120922374767\", \"mdtrtarea_admvs\": "
                               "\"431199\", \"insuplc_admdvs\": \"\", \"infver\": \"V1.0\", "
                               "\"opter_type\": 2, \"opter\": \"001\", \"opter_name\": \"自助机\", "
                               "\"inf_time\": \"2024-06-12 09:22:37\", \"fixmedins_code\": "
                               "\"H43111100255\", \"fixmedins_name\": \"医院\", \"input\": "
                               "{\"signIn\": {\"opter_no\": \"001\", \"mac\": "
                               "\"00-16-EA-AE-3C-40\", \"ip\": \"10.1.1.5\"}}}");
    CU_ASSERT_EQUAL(yb_envelope_check(schemas, env, &policy, &diag, record_kind, NULL), 0);
    CU_ASSERT_PTR_NULL(strstr(kind_log, "insuplc_admdvs"));
}

static void test_msgid_length(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "H4311110025520240612092237476"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "msgid", "envelope", "must be 30 characters"));
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "msgid", "envelope", "got 29"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "20240612092237"), 0, 0), 1);
    CU_ASSERT_STRING_EQUAL(rendered(YB_DIAG_ERROR),
                           "msgid: \"20240612092237\" must be 30 characters: fixmedins_code (12) "
                           "+ yyyyMMddHHmmss (14) + 4-digit serial, got 14 [envelope]");
}

static void test_msgid_prefix(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "H43111100256202406120922374767"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "msgid", "envelope",
                  "must start with fixmedins_code \"H43111100255\""));
}

static void test_msgid_time_and_serial(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "H43111100255202413120922374767"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "msgid", "envelope",
                  "has no real time in characters 13-26 (\"20241312092237\")"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "H43111100255202302290922374767"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "msgid", "envelope", "no real time"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "H4311110025520240612092237476X"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "msgid", "envelope",
                  "must end with a 4-digit serial, got \"476X\""));
    /* 30 bytes, but not ASCII: no slice of it is quoted, so err_msg stays
     * UTF-8 (fuzz/regress/schema/msgid-cut-utf8.json) */
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "H431111002552024061209223\xe9\x99\xa2" "47"), 0, 0),
                    1);
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "msgid", "envelope",
                  "must be ASCII: fixmedins_code (12) + yyyyMMddHHmmss (14) + 4-digit serial, got "
                  "a non-ASCII character in position 26"));
    CU_ASSERT_EQUAL(yb_utf8_check(rendered(YB_DIAG_ERROR), strlen(rendered(YB_DIAG_ERROR))), 0);
}

static void test_msgid_policy(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "H43111100256202413120922374767"), YB_POLICY_WARN, 0),
                    0);
    CU_ASSERT_EQUAL(diag.errors, 0);
    CU_ASSERT_EQUAL(diag.warnings, 2);
    CU_ASSERT(has(YB_DIAG_WARN, "msgid", "msgid", "envelope", "must start with fixmedins_code"));
    CU_ASSERT(has(YB_DIAG_WARN, "msgid", "msgid", "envelope", "no real time"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "short"), YB_POLICY_WARN, 0), 0);
    CU_ASSERT_EQUAL(diag.warnings, 1);
    CU_ASSERT(has(YB_DIAG_WARN, "msgid", "msgid", "envelope", "got 5"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", "short"), YB_POLICY_OFF, 0), 0);
    CU_ASSERT_EQUAL(diag.warnings, 0);
    /* the policy does not excuse a missing msgid */
    setup();
    CU_ASSERT_EQUAL(check(env_with("msgid", NULL), YB_POLICY_WARN, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "msgid", "required", "schema", "is required"));
}

static void test_fixmedins_code_pattern(void)
{
    setup();
    struct yb_node *env = env_with("fixmedins_code", "TEST00000001");
    CU_ASSERT(check(env, YB_POLICY_WARN, 0) == 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "fixmedins_code", "pattern", "schema",
                  "does not match the pattern ^[HP][0-9]{11}$"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rendered(YB_DIAG_ERROR), "fixmedins_code: \"TEST00000001\""));
    setup();
    CU_ASSERT_EQUAL(check(env_with("fixmedins_code", "H4311110025"), YB_POLICY_WARN, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "fixmedins_code", "pattern", "schema", "does not match"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("fixmedins_code", "H431111002551"), YB_POLICY_WARN, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "fixmedins_code", "maxlen", "schema",
                  "exceeds maximum length 12 (got 13 characters)"));
}

static void test_region_codes(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("mdtrtarea_admvs", "4301"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "mdtrtarea_admvs", "pattern", "schema",
                  "does not match the pattern ^[0-9]{6}$"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("insuplc_admdvs", "4301"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "insuplc_admdvs", "pattern", "schema", "does not match"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("mdtrtarea_admvs", NULL), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "mdtrtarea_admvs", "required", "schema", "is required"));
}

static void test_unknown_infno(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("infno", "9999"), 0, 0), 1);
    CU_ASSERT_STRING_EQUAL(rendered(YB_DIAG_ERROR),
                           "infno: \"9999\" is not a known transaction [envelope]");
    setup();
    CU_ASSERT_EQUAL(check(env_with("infno", "22O1"), 0, 0), 2);
    CU_ASSERT(has(YB_DIAG_ERROR, "infno", "pattern", "schema", "does not match"));
    CU_ASSERT(has(YB_DIAG_ERROR, "infno", "infno", "envelope", "is not a known transaction"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("infno", NULL), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "infno", "required", "schema", "is required"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("infno", "4101A"), 0, 0), 0);
}

static void test_insuplc_needed(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("insuplc_admdvs", NULL), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "insuplc_admdvs", "required", "envelope",
                  "is required when the input names a person (psn_no)"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("insuplc_admdvs", ""), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "insuplc_admdvs", "required", "envelope", "psn_no"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("insuplc_admdvs", ""), 0, YB_POLICY_WARN), 0);
    CU_ASSERT(has(YB_DIAG_WARN, "insuplc_admdvs", "required", "envelope", "psn_no"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("insuplc_admdvs", ""), 0, YB_POLICY_OFF), 0);
    CU_ASSERT_EQUAL(diag.warnings, 0);

    /* 1101 may go without (its schema says insuplc_optional) */
    setup();
    struct yb_node *env = env_with("insuplc_admdvs", "");
    yb_node_put_string(pool, env, "infno", "1101", 4);
    CU_ASSERT_EQUAL(check(env, 0, 0), 0);

    /* psn_no in the items of a list (2204 feedetail) counts too */
    setup();
    env = env_with("insuplc_admdvs", NULL);
    yb_node_put_string(pool, env, "infno", "2204", 4);
    yb_node_put(pool, env, "input",
                json("{\"feedetail\": [{\"feedetl_sn\": \"1\"}, {\"psn_no\": \"P1\"}]}"));
    CU_ASSERT_EQUAL(check(env, 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "insuplc_admdvs", "required", "envelope", "psn_no"));

    /* no person, no need */
    setup();
    env = env_with("insuplc_admdvs", NULL);
    yb_node_put_string(pool, env, "infno", "2204", 4);
    yb_node_put(pool, env, "input", json("{\"feedetail\": [{\"psn_no\": \"\"}], \"data\": {}}"));
    CU_ASSERT_EQUAL(check(env, 0, 0), 0);
}

static void test_inf_time(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("inf_time", "2024-02-30 10:00:00"), 0, 0), 1);
    CU_ASSERT_EQUAL(findings_on("inf_time"), 1); /* one finding, not two */
    CU_ASSERT(has(YB_DIAG_ERROR, "inf_time", "datetime", "schema",
                  "is not a real date and time (yyyy-MM-dd HH:mm:ss)"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("inf_time", "20240612102030"), 0, 0), 1);
    CU_ASSERT_EQUAL(findings_on("inf_time"), 1);
    setup();
    CU_ASSERT_EQUAL(check(env_with("inf_time", NULL), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "inf_time", "required", "schema", "is required"));
}

static void test_input_object(void)
{
    setup();
    CU_ASSERT_EQUAL(check(env_with("input", NULL), 0, 0), 1);
    CU_ASSERT_EQUAL(findings_on("input"), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "input", "required", "schema", "is required"));
    setup();
    CU_ASSERT_EQUAL(check(env_with("input", "{}"), 0, 0), 1);
    CU_ASSERT_EQUAL(findings_on("input"), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "input", "type", "schema", "must be an object, got a string"));
    setup();
    CU_ASSERT_EQUAL(check(json("[1, 2]"), 0, 0), 1);
    CU_ASSERT(has(YB_DIAG_ERROR, "", "type", "envelope", "must be a JSON object"));
}

/* With an envelope schema that has lost its inf_time and input rules, the
 * logic in envelope.c still holds. */
static void test_checks_without_field_rules(void)
{
    char tmpl[] = "/tmp/ybgw-envelope-test-XXXXXX";
    int fd = mkstemp(tmpl);
    CU_ASSERT_FATAL(fd >= 0);
    const char *text = "envelope { field inf_time string 19; }\n"
                       "transaction 2201 { input { } }\n";
    CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char err[256];
    struct yb_schema_set *loose = yb_schema_load(tmpl, err, sizeof(err));
    unlink(tmpl);
    CU_ASSERT_PTR_NOT_NULL_FATAL(loose);
    setup();
    struct yb_node *env = env_with("inf_time", "2024-06-12 25:00:00");
    yb_node_remove(env, "input");
    CU_ASSERT_EQUAL(yb_envelope_check(loose, env, NULL, &diag, NULL, NULL), 2);
    CU_ASSERT(has(YB_DIAG_ERROR, "inf_time", "datetime", "envelope", "is not a real date"));
    CU_ASSERT(has(YB_DIAG_ERROR, "input", "required", "envelope", "is required"));
    yb_schema_free(loose);
}

static void test_calendar(void)
{
#define V(fn, s) fn(s, strlen(s))
    CU_ASSERT(V(yb_valid_date, "2024-02-29"));
    CU_ASSERT(V(yb_valid_date, "2000-02-29"));
    CU_ASSERT(!V(yb_valid_date, "1900-02-29"));
    CU_ASSERT(!V(yb_valid_date, "2023-02-29"));
    CU_ASSERT(V(yb_valid_date, "2023-12-31"));
    CU_ASSERT(!V(yb_valid_date, "2023-11-31"));
    CU_ASSERT(!V(yb_valid_date, "2023-00-10"));
    CU_ASSERT(!V(yb_valid_date, "2023-01-00"));
    CU_ASSERT(!V(yb_valid_date, "0000-01-01"));
    CU_ASSERT(!V(yb_valid_date, "2023-1-1"));
    CU_ASSERT(!V(yb_valid_date, "2023-01-1a"));
    CU_ASSERT(!V(yb_valid_date, "2023+01-10"));
    CU_ASSERT(!yb_valid_date(NULL, 0));
    CU_ASSERT(V(yb_valid_datetime, "2024-06-12 00:00:00"));
    CU_ASSERT(V(yb_valid_datetime, "2024-06-12 23:59:59"));
    CU_ASSERT(!V(yb_valid_datetime, "2024-06-12 24:00:00"));
    CU_ASSERT(!V(yb_valid_datetime, "2024-06-12 12:60:00"));
    CU_ASSERT(!V(yb_valid_datetime, "2024-06-12 12:00:60"));
    CU_ASSERT(!V(yb_valid_datetime, "2024-06-12T12:00:00"));
    CU_ASSERT(!V(yb_valid_datetime, "2024-06-12 12-00-00"));
    CU_ASSERT(!V(yb_valid_datetime, "2024-06-12 12:00:00.000"));
    CU_ASSERT(V(yb_valid_compact_time, "20240229235959"));
    CU_ASSERT(!V(yb_valid_compact_time, "20230229235959"));
    CU_ASSERT(!V(yb_valid_compact_time, "20241301000000"));
    CU_ASSERT(!V(yb_valid_compact_time, "20240101240000"));
    CU_ASSERT(!V(yb_valid_compact_time, "2024010100000"));
    CU_ASSERT(!V(yb_valid_compact_time, "2024-1-1000000"));
#undef V
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_good_envelope),
        YB_TEST(test_msgid_length),
        YB_TEST(test_msgid_prefix),
        YB_TEST(test_msgid_time_and_serial),
        YB_TEST(test_msgid_policy),
        YB_TEST(test_fixmedins_code_pattern),
        YB_TEST(test_region_codes),
        YB_TEST(test_unknown_infno),
        YB_TEST(test_insuplc_needed),
        YB_TEST(test_inf_time),
        YB_TEST(test_input_object),
        YB_TEST(test_checks_without_field_rules),
        YB_TEST(test_calendar),
        YB_TEST_END,
    };
    int rc = yb_test_main("envelope", tests);
    yb_schema_free(schemas);
    yb_pool_destroy(pool);
    return rc;
}
