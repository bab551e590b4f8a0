/*
 * schema_test.c - the schema engine (gateway/schema.c) and the shipped
 * schema data (conf/schemas/).
 *
 * Small schemas are written to temporary files so each rule is tested in
 * isolation; the real directory is loaded to prove the shipped data is
 * valid and that a realistic 2204 message passes it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec_json.h"
#include "diag.h"
#include "pool.h"
#include "schema.h"
#include "testutil.h"

static struct yb_pool *pool;
static struct yb_diag diag;

static void setup(void)
{
    yb_pool_destroy(pool);
    pool = yb_pool_create(0);
    yb_diag_init(&diag, pool, 64);
}

/* Write text to a fresh temporary file and load it. */
static struct yb_schema_set *load_text(const char *text, char *err, size_t errlen, char *path,
                                       size_t pathlen)
{
    char tmpl[] = "/tmp/ybgw-schema-test-XXXXXX";
    int fd = mkstemp(tmpl);
    CU_ASSERT_FATAL(fd >= 0);
    size_t len = strlen(text);
    CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
    close(fd);
    if (path)
        snprintf(path, pathlen, "%s", tmpl);
    struct yb_schema_set *set = yb_schema_load(tmpl, err, errlen);
    unlink(tmpl);
    return set;
}

static struct yb_schema_set *load_ok(const char *text)
{
    char err[512];
    struct yb_schema_set *set = load_text(text, err, sizeof(err), NULL, 0);
    if (!set)
        fprintf(stderr, "load failed: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    return set;
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

/* The error findings rendered as a HIS would read them (pool memory). */
static const char *rendered(int severity)
{
    struct yb_buf b;
    yb_buf_init(&b, 0);
    yb_diag_render(&diag, severity, 0, &b);
    const char *s = yb_pool_strdup(pool, b.data ? b.data : "");
    yb_buf_free(&b);
    return s;
}

/* 1 if a finding with this path and rule has a message containing text. */
static int has(const char *path, const char *rule, const char *text)
{
    for (const struct yb_diag_entry *e = diag.head; e; e = e->next)
        if (strcmp(e->path, path) == 0 && strcmp(e->rule, rule) == 0 &&
            strstr(e->message, text) && strcmp(e->source, "schema") == 0)
            return 1;
    fprintf(stderr, "\n  wanted %s %s \"%s\"; have: %s\n", path, rule, text,
            rendered(YB_DIAG_ERROR));
    return 0;
}

/* Check one value of field f in {"d": {"f": VALUE}}; returns the errors. */
static int check_value(struct yb_schema_set *set, const char *value_json)
{
    setup();
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"d\": {\"f\": %s}}", value_json);
    return yb_schema_check_input(set, "T", json(buf), &diag, NULL, NULL);
}

static struct yb_schema_set *one_field(const char *rule)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "dict insutype { 310 \"职工基本医疗保险\"; 390 \"城乡居民基本医疗保险\";"
             " 320 \"公务员医疗补助\"; 330 \"大额医疗费用补助\"; 340 \"离休人员医疗保障\"; }\n"
             "transaction T \"test\" {\n input {\n  object d required {\n"
             "   field f %s;\n  }\n }\n}\n",
             rule);
    return load_ok(text);
}

/* ---- kind callback recorder ---- */
struct kind_call {
    char kinds[64];
    char path[128];
    char value[64];
};
static struct kind_call calls[16];
static int ncalls;

static void record_kind(void *ctx, const char *kinds, const char *path, const struct yb_node *v)
{
    CU_ASSERT_PTR_EQUAL(ctx, calls);
    if (ncalls < 16) {
        snprintf(calls[ncalls].kinds, sizeof(calls[0].kinds), "%s", kinds);
        snprintf(calls[ncalls].path, sizeof(calls[0].path), "%s", path);
        snprintf(calls[ncalls].value, sizeof(calls[0].value), "%s", v->text);
    }
    ncalls++;
}

/* ---- the shipped schemas ---- */

static void test_real_schemas_load(void)
{
    char err[512] = "";
    struct yb_schema_set *set = yb_schema_load(yb_test_srcpath("conf/schemas"), err, sizeof(err));
    if (!set)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    static const char *const want[] = {"9001", "9002", "1101", "2201", "2202", "2203", "2203A",
                                       "2204", "2205", "2206", "2207", "2208", "2301", "2302",
                                       "2303", "2304", "2305", "2401", "2402", "2403", "2404",
                                       "2405", "3301", "3302", "1312", "4101", "4101A", "2601",
                                       "2001", "2501", "2502", NULL};
    for (int i = 0; want[i]; i++) {
        if (!yb_schema_known(set, want[i]))
            fprintf(stderr, "missing %s\n", want[i]);
        CU_ASSERT(yb_schema_known(set, want[i]));
    }
    CU_ASSERT(!yb_schema_known(set, "9999"));
    CU_ASSERT(!yb_schema_known(set, "220"));
    CU_ASSERT_STRING_EQUAL(yb_schema_title(set, "2204"), "门诊费用明细信息上传");
    CU_ASSERT_PTR_NULL(yb_schema_title(set, "9999"));
    CU_ASSERT(yb_schema_count(set) >= 31);
    for (size_t i = 1; i < yb_schema_count(set); i++)
        CU_ASSERT(strcmp(yb_schema_infno_at(set, i - 1), yb_schema_infno_at(set, i)) < 0);
    CU_ASSERT_PTR_NULL(yb_schema_infno_at(set, yb_schema_count(set)));
    CU_ASSERT(yb_schema_insuplc_optional(set, "1101"));
    CU_ASSERT(yb_schema_insuplc_optional(set, "9001"));
    CU_ASSERT(yb_schema_insuplc_optional(set, "9002"));
    CU_ASSERT(!yb_schema_insuplc_optional(set, "2204"));
    /* 2203A is `like 2203`: the same rules apply */
    setup();
    CU_ASSERT(yb_schema_check_input(set, "2203A", json("{}"), &diag, NULL, NULL) == 1);
    CU_ASSERT(has("mdtrtinfo", "required", "is required"));
    yb_schema_free(set);
}

static const char *fee_line(int i, const char *pric)
{
    return yb_pool_printf(
        pool,
        "{\"feedetl_sn\": \"FD2024061200%d\", \"init_feedetl_sn\": \"\", \"mdtrt_id\": \"MD001\","
        " \"drord_no\": \"\", \"psn_no\": \"43000011223344\", \"chrg_bchno\": \"CB001\","
        " \"dise_codg\": \"\", \"rxno\": \"RX%d\", \"rx_circ_flag\": \"0\","
        " \"fee_ocur_time\": \"2024-06-12 09:2%d:00\","
        " \"med_list_codg\": \"XA01ABD075A002010100483\", \"medins_list_codg\": \"YP00%d\","
        " \"det_item_fee_sumamt\": 25.20, \"cnt\": \"2.0000\", \"pric\": %s,"
        " \"sin_dos_dscr\": \"1片\", \"used_frqu_dscr\": \"一日三次\", \"prd_days\": 7,"
        " \"medc_way_dscr\": \"口服\", \"bilg_dept_codg\": \"A03\", \"bilg_dept_name\": \"内科\","
        " \"bilg_dr_codg\": \"D430111000001\", \"bilg_dr_name\": \"张医生\","
        " \"acord_dept_codg\": \"\", \"hosp_appr_flag\": \"1\", \"memo\": \"\", \"extra\": 1}",
        i, i, i, i, pric);
}

static void test_realistic_2204(void)
{
    char err[512];
    struct yb_schema_set *set = yb_schema_load(yb_test_srcpath("conf/schemas"), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    setup();
    const char *msg = yb_pool_printf(pool, "{\"feedetail\": [%s, %s, %s]}", fee_line(1, "12.6"),
                                     fee_line(2, "\"12.600000\""), fee_line(3, "12.6"));
    ncalls = 0;
    int errors = yb_schema_check_input(set, "2204", json(msg), &diag, record_kind, calls);
    if (errors)
        fprintf(stderr, "%s\n", rendered(YB_DIAG_ERROR));
    CU_ASSERT_EQUAL(errors, 0);
    CU_ASSERT_EQUAL(diag.errors, 0);
    /* med_list_codg and bilg_dr_codg of each line; empty dise_codg is skipped */
    CU_ASSERT_EQUAL(ncalls, 6);
    CU_ASSERT_STRING_EQUAL(calls[0].path, "feedetail[0].med_list_codg");
    CU_ASSERT_STRING_EQUAL(calls[0].kinds, "drug|service|consumable");
    CU_ASSERT_STRING_EQUAL(calls[1].path, "feedetail[0].bilg_dr_codg");
    CU_ASSERT_STRING_EQUAL(calls[1].kinds, "doctor");
    CU_ASSERT_STRING_EQUAL(calls[5].path, "feedetail[2].bilg_dr_codg");

    /* the same message with a price of too many places on the second line */
    setup();
    msg = yb_pool_printf(pool, "{\"feedetail\": [%s, %s, %s]}", fee_line(1, "12.6"),
                         fee_line(2, "12.1234567"), fee_line(3, "12.6"));
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "2204", json(msg), &diag, NULL, NULL), 1);
    CU_ASSERT(has("feedetail[1].pric", "decimal", "at most 6 places (16,6)"));
    CU_ASSERT_STRING_EQUAL(rendered(YB_DIAG_ERROR),
                           "feedetail[1].pric: \"12.1234567\" must be a decimal with at most 6 "
                           "places (16,6) [schema]");
    /* the list is required and must have a line */
    setup();
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "2204", json("{\"feedetail\": []}"), &diag, NULL,
                                          NULL),
                    1);
    CU_ASSERT(has("feedetail", "list_min", "has 0 items, at least 1 required"));
    yb_schema_free(set);
}

static void test_real_envelope_input_shapes(void)
{
    char err[512];
    struct yb_schema_set *set = yb_schema_load(yb_test_srcpath("conf/schemas"), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    setup();
    /* 2201 with a wrong insutype: the enum error quotes a few codes */
    struct yb_node *in = json(
        "{\"data\": {\"psn_no\": \"P1\", \"insutype\": \"311\", \"begntime\": \"2024-06-12 "
        "09:00:00\", \"mdtrt_cert_type\": \"02\", \"mdtrt_cert_no\": \"430\", \"ipt_otp_no\": "
        "\"MZ1\", \"atddr_no\": \"D430111000001\", \"dr_name\": \"张\", \"dept_code\": \"A03\", "
        "\"dept_name\": \"内科\", \"caty\": \"A03\"}}");
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "2201", in, &diag, NULL, NULL), 1);
    CU_ASSERT(has("data.insutype", "enum",
                  "is not one of insutype (310 职工基本医疗保险, 320 公务员医疗补助, 330 "
                  "大额医疗费用补助, 340 离休人员医疗保障, ...)"));
    yb_schema_free(set);
}

/* ---- types ---- */

static void test_string(void)
{
    struct yb_schema_set *set = one_field("string 5 required");
    CU_ASSERT_EQUAL(check_value(set, "\"abcde\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"医疗保障局\""), 0); /* 5 characters, 15 bytes */
    CU_ASSERT_EQUAL(check_value(set, "12345"), 0);          /* numbers are accepted */
    CU_ASSERT_EQUAL(check_value(set, "\"abcdef\""), 1);
    CU_ASSERT(has("d.f", "maxlen", "exceeds maximum length 5 (got 6 characters)"));
    CU_ASSERT_EQUAL(check_value(set, "\"医疗保障局长\""), 1);
    CU_ASSERT(has("d.f", "maxlen", "(got 6 characters)"));
    CU_ASSERT_EQUAL(check_value(set, "true"), 1);
    CU_ASSERT(has("d.f", "type", "must be a string, got a boolean"));
    CU_ASSERT_EQUAL(check_value(set, "{\"a\": 1}"), 1);
    CU_ASSERT(has("d.f", "type", "must be a string, got an object"));
    CU_ASSERT_EQUAL(check_value(set, "[\"a\"]"), 1);
    CU_ASSERT(has("d.f", "type", "got a list"));
    yb_schema_free(set);
}

static void test_required_and_empty(void)
{
    struct yb_schema_set *set = one_field("string 5 required");
    CU_ASSERT_EQUAL(check_value(set, "null"), 1);
    CU_ASSERT(has("d.f", "required", "is required"));
    CU_ASSERT_EQUAL(check_value(set, "\"\""), 1);
    CU_ASSERT(has("d.f", "required", "is required and may not be empty"));
    setup();
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "T", json("{\"d\": {}}"), &diag, NULL, NULL), 1);
    CU_ASSERT(has("d.f", "required", "is required"));
    setup();
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "T", json("{}"), &diag, NULL, NULL), 1);
    CU_ASSERT(has("d", "required", "is required"));
    yb_schema_free(set);

    set = one_field("string 5 required empty");
    CU_ASSERT_EQUAL(check_value(set, "\"\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "null"), 1);
    setup();
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "T", json("{\"d\": {}}"), &diag, NULL, NULL), 1);
    yb_schema_free(set);

    set = one_field("string 5");
    CU_ASSERT_EQUAL(check_value(set, "\"\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "null"), 0);
    setup();
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "T", json("{\"d\": {\"x\": 1}}"), &diag, NULL,
                                          NULL),
                    0); /* absent, and an unknown field is not reported */
    CU_ASSERT_EQUAL(check_value(set, "\"toolong\""), 1); /* but a value is checked */
    yb_schema_free(set);
}

static void test_decimal(void)
{
    struct yb_schema_set *set = one_field("decimal 16,2 required");
    static const char *const good[] = {"12.34",   "\"12.34\"", "12",    "\"-1\"",
                                       "\"0.5\"", "\"12.340\"", "0",    "\"00000000000000012.5\"",
                                       "\"99999999999999.99\"", NULL};
    for (int i = 0; good[i]; i++) {
        int e = check_value(set, good[i]);
        if (e)
            fprintf(stderr, "\n  %s: %s\n", good[i], rendered(YB_DIAG_ERROR));
        CU_ASSERT_EQUAL(e, 0);
    }
    CU_ASSERT_EQUAL(check_value(set, "\"12.345\""), 1);
    CU_ASSERT(has("d.f", "decimal", "must be a decimal with at most 2 places (16,2)"));
    CU_ASSERT_EQUAL(check_value(set, "12.345"), 1); /* the JSON number keeps its literal */
    CU_ASSERT(has("d.f", "decimal", "at most 2 places"));
    CU_ASSERT_EQUAL(check_value(set, "\"100000000000000\""), 1);
    CU_ASSERT(has("d.f", "decimal", "at most 14 digits before the point (16,2)"));
    static const char *const bad[] = {"\".5\"", "\"5.\"",  "\"+5\"", "\" 5\"", "\"1,5\"",
                                      "1e5",    "\"abc\"", "\"-\"",  "\"1.2.3\"", NULL};
    for (int i = 0; bad[i]; i++) {
        CU_ASSERT_EQUAL(check_value(set, bad[i]), 1);
        CU_ASSERT(has("d.f", "decimal", "is not a decimal number (16,2)"));
    }
    CU_ASSERT_EQUAL(check_value(set, "false"), 1);
    CU_ASSERT(has("d.f", "type", "must be a number or a string, got a boolean"));
    yb_schema_free(set);

    set = one_field("decimal 4,0");
    CU_ASSERT_EQUAL(check_value(set, "\"0.1\""), 1);
    CU_ASSERT(has("d.f", "decimal", "at most 0 places (4,0)"));
    CU_ASSERT_EQUAL(check_value(set, "\"9999.000\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"10000\""), 1);
    yb_schema_free(set);
}

/* Bounds compare exactly: a binary double would round both values below to
 * the bounds themselves and let them through. */
static void test_decimal_exact_bounds(void)
{
    struct yb_schema_set *set = one_field("decimal 38,20 min=0.1 max=0.3");
    CU_ASSERT_EQUAL(check_value(set, "\"0.1\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"0.30\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "0.2"), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"0.09999999999999999999\""), 1);
    CU_ASSERT(has("d.f", "range", "is below the minimum 0.1"));
    CU_ASSERT_EQUAL(check_value(set, "0.30000000000000001"), 1);
    CU_ASSERT(has("d.f", "range", "is above the maximum 0.3"));
    CU_ASSERT_EQUAL(check_value(set, "\"-0.2\""), 1);
    CU_ASSERT(has("d.f", "range", "below the minimum"));
    yb_schema_free(set);

    set = one_field("decimal 16,2 min=0");
    CU_ASSERT_EQUAL(check_value(set, "\"-0.00\""), 0); /* minus zero is zero */
    CU_ASSERT_EQUAL(check_value(set, "\"0\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"-0.01\""), 1);
    CU_ASSERT(has("d.f", "range", "is below the minimum 0"));
    CU_ASSERT_EQUAL(check_value(set, "\"123456.78\""), 0);
    yb_schema_free(set);

    set = one_field("decimal 16,2 min=-10.5 max=100");
    CU_ASSERT_EQUAL(check_value(set, "\"-10.5\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"-10.51\""), 1);
    CU_ASSERT_EQUAL(check_value(set, "\"100.00\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"100.01\""), 1);
    CU_ASSERT_EQUAL(check_value(set, "\"99.99\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"1000\""), 1);
    yb_schema_free(set);
}

static void test_int(void)
{
    struct yb_schema_set *set = one_field("int 4 min=1");
    CU_ASSERT_EQUAL(check_value(set, "\"12\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "9999"), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"12345\""), 1);
    CU_ASSERT(has("d.f", "type", "must be a whole number of at most 4 digits"));
    CU_ASSERT_EQUAL(check_value(set, "\"1.0\""), 1);
    CU_ASSERT(has("d.f", "type", "whole number"));
    CU_ASSERT_EQUAL(check_value(set, "\"x1\""), 1);
    CU_ASSERT_EQUAL(check_value(set, "\"0\""), 1);
    CU_ASSERT(has("d.f", "range", "is below the minimum 1"));
    yb_schema_free(set);
    set = one_field("int 3");
    CU_ASSERT_EQUAL(check_value(set, "\"-5\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "-123"), 0);
    yb_schema_free(set);
}

static void test_date_datetime(void)
{
    struct yb_schema_set *set = one_field("date required");
    CU_ASSERT_EQUAL(check_value(set, "\"2024-02-29\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"2000-02-29\""), 0);
    static const char *const bad_dates[] = {"\"2023-02-29\"", "\"1900-02-29\"", "\"2024-13-01\"",
                                            "\"2024-04-31\"", "\"2024-1-01\"",  "\"2024/01/01\"",
                                            "\"2024-01-00\"", "\"2024-01-01 00:00:00\"", NULL};
    for (int i = 0; bad_dates[i]; i++) {
        CU_ASSERT_EQUAL(check_value(set, bad_dates[i]), 1);
        CU_ASSERT(has("d.f", "date", "is not a real date (yyyy-MM-dd)"));
    }
    yb_schema_free(set);

    set = one_field("datetime required");
    CU_ASSERT_EQUAL(check_value(set, "\"2024-06-12 23:59:59\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"2024-06-12 00:00:00\""), 0);
    static const char *const bad_times[] = {
        "\"2024-06-12 24:00:00\"", "\"2024-06-12 10:60:00\"", "\"2024-06-12 10:00:60\"",
        "\"2024-06-12T10:00:00\"", "\"2024-06-31 10:00:00\"", "\"2024-06-12\"",
        "\"2024-06-12 10:00\"", NULL};
    for (int i = 0; bad_times[i]; i++) {
        CU_ASSERT_EQUAL(check_value(set, bad_times[i]), 1);
        CU_ASSERT(has("d.f", "datetime", "is not a real date and time (yyyy-MM-dd HH:mm:ss)"));
    }
    yb_schema_free(set);
}

static void test_enum(void)
{
    struct yb_schema_set *set = one_field("enum insutype required");
    CU_ASSERT_EQUAL(check_value(set, "\"310\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "390"), 0); /* a number is the same code */
    CU_ASSERT_EQUAL(check_value(set, "\"31\""), 1);
    CU_ASSERT(has("d.f", "enum", "is not one of insutype (310 职工基本医疗保险, 320 "));
    CU_ASSERT(has("d.f", "enum", ", ...)"));
    CU_ASSERT_EQUAL(check_value(set, "\"3100\""), 1);
    CU_ASSERT_EQUAL(check_value(set, "\"310 \""), 1);
    yb_schema_free(set);

    /* a small dict is listed whole */
    set = load_ok("dict flag { 0 \"否\"; 1 \"是\"; }\n"
                  "transaction T { input { object d { field f enum flag; } } }\n");
    CU_ASSERT_EQUAL(check_value(set, "\"2\""), 1);
    CU_ASSERT(has("d.f", "enum", "is not one of flag (0 否, 1 是)"));
    yb_schema_free(set);
}

static void test_pattern(void)
{
    struct yb_schema_set *set = one_field("string 6 pattern \"^[0-9]{6}$\"");
    CU_ASSERT_EQUAL(check_value(set, "\"450100\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "450100"), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"\""), 0); /* optional and empty: not matched */
    CU_ASSERT_EQUAL(check_value(set, "\"4301\""), 1);
    CU_ASSERT(has("d.f", "pattern", "does not match the pattern ^[0-9]{6}$"));
    CU_ASSERT_EQUAL(check_value(set, "\"45010a\""), 1);
    yb_schema_free(set);

    /* regexec stops at a NUL, but the whole value goes on to the platform
     * (fuzz/regress/schema/infno-with-nul.json) */
    set = one_field("string 8 pattern \"^[0-9]{6}$\"");
    CU_ASSERT_EQUAL(check_value(set, "\"450100\\u0000x\""), 1);
    CU_ASSERT(has("d.f", "pattern", "does not match the pattern ^[0-9]{6}$"));
    CU_ASSERT_EQUAL(check_value(set, "\"450100\\u0000\""), 1);
    yb_schema_free(set);

    set = one_field("string 12 pattern=^[HP][0-9]+$");
    CU_ASSERT_EQUAL(check_value(set, "\"H43111100255\""), 0);
    CU_ASSERT_EQUAL(check_value(set, "\"TEST00000001\""), 1);
    CU_ASSERT(has("d.f", "pattern", "^[HP][0-9]+$"));
    yb_schema_free(set);
}

/* ---- objects and lists ---- */

static const char *list_schema =
    "transaction L {\n"
    "  input {\n"
    "    list feedetail required min=1 max=3 {\n"
    "      field feedetl_sn string 30 required;\n"
    "      field cnt decimal 16,4 required;\n"
    "      field med_list_codg string 50 required kind=drug|service|consumable;\n"
    "      field dise_codg string 30 kind=chronic;\n"
    "      object extra { field note string 2; }\n"
    "    }\n"
    "    list codes of string 3 max=3 kind=drug;\n"
    "    list opt { field a string 1 required; }\n"
    "  }\n"
    "}\n";

static int check_list(struct yb_schema_set *set, const char *msg)
{
    setup();
    ncalls = 0;
    return yb_schema_check_input(set, "L", json(msg), &diag, record_kind, calls);
}

static void test_lists(void)
{
    struct yb_schema_set *set = load_ok(list_schema);
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": [{\"feedetl_sn\": \"1\", \"cnt\": 1, "
                                    "\"med_list_codg\": \"C1\"}]}"),
                    0);
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": []}"), 1);
    CU_ASSERT(has("feedetail", "list_min", "has 0 items, at least 1 required"));
    CU_ASSERT_EQUAL(check_list(set, "{}"), 1);
    CU_ASSERT(has("feedetail", "required", "is required"));
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": [{}, {}, {}, {}]}"), 1);
    CU_ASSERT(has("feedetail", "list_max", "has 4 items, at most 3 allowed"));
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": \"x\"}"), 1);
    CU_ASSERT(has("feedetail", "type", "must be a list, got a string"));
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": {\"feedetl_sn\": \"1\"}}"), 1);
    CU_ASSERT(has("feedetail", "type", "must be a list, got an object"));

    /* nested paths are 0-based */
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": ["
                                    "{\"feedetl_sn\": \"1\", \"cnt\": 1, \"med_list_codg\": \"A\"},"
                                    "{\"feedetl_sn\": \"2\", \"cnt\": \"1.23456\", "
                                    "\"med_list_codg\": \"B\", \"extra\": {\"note\": \"abc\"}},"
                                    "7]}"),
                    3);
    CU_ASSERT(has("feedetail[1].cnt", "decimal", "at most 4 places (16,4)"));
    CU_ASSERT(has("feedetail[1].extra.note", "maxlen", "exceeds maximum length 2 (got 3"));
    CU_ASSERT(has("feedetail[2]", "type", "must be an object, got a number"));

    /* a list of scalars, and "" for an optional list */
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": [{\"feedetl_sn\": \"1\", \"cnt\": 1, "
                                    "\"med_list_codg\": \"A\"}], \"codes\": [\"X1\", \"X234\", "
                                    "\"\"], \"opt\": \"\"}"),
                    1);
    CU_ASSERT(has("codes[1]", "maxlen", "exceeds maximum length 3 (got 4 characters)"));
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": [{\"feedetl_sn\": \"1\", \"cnt\": 1, "
                                    "\"med_list_codg\": \"A\"}], \"codes\": [1, 2, 3, 4]}"),
                    1);
    CU_ASSERT(has("codes", "list_max", "at most 3"));
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": [{\"feedetl_sn\": \"1\", \"cnt\": 1, "
                                    "\"med_list_codg\": \"A\"}], \"opt\": [{\"a\": \"\"}]}"),
                    1);
    CU_ASSERT(has("opt[0].a", "required", "may not be empty"));
    yb_schema_free(set);
}

static void test_kind_callback(void)
{
    struct yb_schema_set *set = load_ok(list_schema);
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": ["
                                    "{\"feedetl_sn\": \"1\", \"cnt\": 1, \"med_list_codg\": "
                                    "\"XA01\", \"dise_codg\": \"\"},"
                                    "{\"feedetl_sn\": \"2\", \"cnt\": 1, \"med_list_codg\": "
                                    "\"C01\", \"dise_codg\": \"M03900\"}],"
                                    "\"codes\": [\"Z1\", \"\"]}"),
                    0);
    CU_ASSERT_EQUAL_FATAL(ncalls, 4);
    CU_ASSERT_STRING_EQUAL(calls[0].path, "feedetail[0].med_list_codg");
    CU_ASSERT_STRING_EQUAL(calls[0].kinds, "drug|service|consumable");
    CU_ASSERT_STRING_EQUAL(calls[0].value, "XA01");
    /* feedetail[0].dise_codg is "" and optional: no call */
    CU_ASSERT_STRING_EQUAL(calls[1].path, "feedetail[1].med_list_codg");
    CU_ASSERT_STRING_EQUAL(calls[2].path, "feedetail[1].dise_codg");
    CU_ASSERT_STRING_EQUAL(calls[2].kinds, "chronic");
    CU_ASSERT_STRING_EQUAL(calls[2].value, "M03900");
    CU_ASSERT_STRING_EQUAL(calls[3].path, "codes[0]");
    CU_ASSERT_STRING_EQUAL(calls[3].kinds, "drug");

    /* a value that breaks its own rule is not sent to the codeset */
    CU_ASSERT_EQUAL(check_list(set, "{\"feedetail\": [{\"feedetl_sn\": \"1\", \"cnt\": 1, "
                                    "\"med_list_codg\": \"" /* 51 characters */
                                    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\"}]}"),
                    1);
    CU_ASSERT_EQUAL(ncalls, 0);
    yb_schema_free(set);
}

static void test_finding_cap(void)
{
    struct yb_schema_set *set = load_ok("transaction C { input { list l max=100000 { "
                                        "field a string 1 required; } } }");
    setup();
    struct yb_buf b;
    yb_buf_init(&b, 0);
    yb_buf_puts(&b, "{\"l\": [");
    for (int i = 0; i < 500; i++)
        yb_buf_puts(&b, i ? ",{}" : "{}");
    yb_buf_puts(&b, "]}");
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "C", json(b.data), &diag, NULL, NULL), 500);
    yb_buf_free(&b);
    unsigned kept = 0;
    for (const struct yb_diag_entry *e = diag.head; e; e = e->next)
        kept++;
    CU_ASSERT_EQUAL(kept, 64);
    CU_ASSERT_EQUAL(diag.dropped, 436);
    CU_ASSERT(strstr(rendered(YB_DIAG_ERROR), "(+436 more)") != NULL);
    yb_schema_free(set);
}

static void test_check_input_edges(void)
{
    struct yb_schema_set *set = one_field("string 5");
    setup();
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "NOPE", json("{}"), &diag, NULL, NULL),
                    YB_ENOENT);
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "T", json("[1]"), &diag, NULL, NULL), 1);
    CU_ASSERT(has("input", "type", "must be an object, got a list"));
    yb_schema_free(set);

    /* a path longer than the walk's buffer is cut short, not overrun */
    char name[301];
    memset(name, 'n', 300);
    name[300] = '\0';
    char *text = yb_pool_printf(pool, "transaction T { input { object %s { object %s { field %s "
                                      "string 1 required; } } } }",
                                name, name, name);
    set = load_ok(text);
    char *msg = yb_pool_printf(pool, "{\"%s\": {\"%s\": {}}}", name, name);
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "T", json(msg), &diag, NULL, NULL), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(diag.head);
    CU_ASSERT_EQUAL(strlen(diag.tail->path), 511);
    CU_ASSERT_STRING_EQUAL(diag.tail->rule, "required");
    yb_schema_free(set);
}

/* ---- load errors ---- */

/* Load text that must fail; the error must be "PATH:LINE: ..." and hold want. */
static void load_fails(const char *text, int line, const char *want)
{
    char err[512] = "", path[64], prefix[96];
    struct yb_schema_set *set = load_text(text, err, sizeof(err), path, sizeof(path));
    CU_ASSERT_PTR_NULL(set);
    yb_schema_free(set);
    snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, want))
        fprintf(stderr, "\n  wanted %s...%s\n  got    %s\n", prefix, want, err);
    CU_ASSERT_NSTRING_EQUAL(err, prefix, strlen(prefix));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
}

static void test_load_errors(void)
{
    load_fails("transaction T {\n input {\n  field f strng 5;\n }\n}\n", 3,
               "unknown type \"strng\"");
    load_fails("transaction T {\n input {\n\n  field f string 5 pattern \"[0-9\";\n }\n}\n", 4,
               "pattern of \"f\" is not a valid regex");
    load_fails("transaction T {\n input {\n  field f enum nosuch;\n }\n}\n", 3,
               "unknown dict \"nosuch\"");
    load_fails("transaction T {\n input {\n  field f string;\n }\n}\n", 3,
               "needs a maximum length");
    load_fails("transaction T {\n input {\n  field f decimal 16.2;\n }\n}\n", 3,
               "precision,scale");
    load_fails("transaction T {\n input {\n  field f decimal 2,3;\n }\n}\n", 3,
               "precision,scale");
    load_fails("transaction T {\n input {\n  field f string 5 requird;\n }\n}\n", 3,
               "unknown flag \"requird\"");
    load_fails("transaction T {\n input {\n  field f string 5 min=1;\n }\n}\n", 3,
               "min= and max= apply to decimal, int and list");
    load_fails("transaction T {\n input {\n  field f decimal 5,2 min=x;\n }\n}\n", 3,
               "must be a decimal number");
    load_fails("transaction T {\n input {\n  field f decimal 5,2 min=5 max=1;\n }\n}\n", 3,
               "min= is above max=");
    load_fails("transaction T {\n input {\n  field f string 5;\n  field f int 2;\n }\n}\n", 4,
               "\"f\" is named twice");
    load_fails("transaction T {\n input {\n  list l;\n }\n}\n", 3, "needs a { ... } block");
    load_fails("transaction T {\n input {\n  fild f string 5;\n }\n}\n", 3,
               "unknown directive \"fild\"");
    load_fails("transaction T { }\n\ntransaction T { }\n", 3, "transaction T is already defined");
    load_fails("transaction T {\n like U;\n}\n", 1, "like U: no such transaction");
    load_fails("dict d {\n a \"x\";\n b \"y\";\n a \"z\";\n}\n", 4,
               "dict d: code \"a\" is already defined");
    load_fails("\n\nschema x;\n", 3, "unknown directive \"schema\"");
    load_fails("transaction T {\n input {\n  field f string 5 kind=Drug;\n }\n}\n", 3,
               "kinds are lowercase names");
    load_fails("transaction T {\n input {\n  object o kind=drug { }\n }\n}\n", 3,
               "kind= applies to scalar fields");
    load_fails("envelope { }\nenvelope { }\n", 2, "envelope is already defined");
    /* the conf parser's own errors carry file:line too */
    load_fails("transaction T {\n input {\n", 3, "unexpected end of file");

    char err[256];
    CU_ASSERT_PTR_NULL(yb_schema_load("/nonexistent/ybgw-schemas", err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ybgw-schemas"));
}

/* A directory: dictionaries merge across files and may be used by a file
 * that sorts before the one defining them. */
static void test_directory_and_dict_merge(void)
{
    char dir[] = "/tmp/ybgw-schema-dir-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char a[128], b[128], c[128], ignored[128];
    snprintf(a, sizeof(a), "%s/1000.schema", dir);
    snprintf(b, sizeof(b), "%s/dicts.schema", dir);
    snprintf(c, sizeof(c), "%s/local.schema", dir);
    snprintf(ignored, sizeof(ignored), "%s/notes.txt", dir);
    FILE *f = fopen(a, "w");
    fputs("transaction 1000 \"x\" { input { object d { field t enum med_type; } } }\n", f);
    fclose(f);
    f = fopen(b, "w");
    fputs("dict med_type { 11 \"普通门诊\"; }\n", f);
    fclose(f);
    f = fopen(c, "w");
    fputs("dict med_type { 9901 \"本地\"; }\n", f);
    fclose(f);
    f = fopen(ignored, "w");
    fputs("this is not a schema {", f);
    fclose(f);
    char err[512] = "";
    struct yb_schema_set *set = yb_schema_load(dir, err, sizeof(err));
    if (!set)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_PTR_NOT_NULL(set);
    if (set) {
        CU_ASSERT_EQUAL(yb_schema_count(set), 1);
        setup();
        CU_ASSERT_EQUAL(yb_schema_check_input(set, "1000", json("{\"d\": {\"t\": \"9901\"}}"),
                                              &diag, NULL, NULL),
                        0);
        CU_ASSERT_EQUAL(yb_schema_check_input(set, "1000", json("{\"d\": {\"t\": \"11\"}}"), &diag,
                                              NULL, NULL),
                        0);
        CU_ASSERT_EQUAL(yb_schema_check_input(set, "1000", json("{\"d\": {\"t\": \"12\"}}"), &diag,
                                              NULL, NULL),
                        1);
        yb_schema_free(set);
    }
    /* the same code in two files is an error naming the other place */
    f = fopen(c, "w");
    fputs("dict med_type {\n 11 \"again\";\n}\n", f);
    fclose(f);
    set = yb_schema_load(dir, err, sizeof(err));
    CU_ASSERT_PTR_NULL(set);
    yb_schema_free(set);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "code \"11\" is already defined at"));
    unlink(a);
    unlink(b);
    unlink(c);
    unlink(ignored);
    rmdir(dir);
}

/* ---- shaping XML ---- */

static void test_shape(void)
{
    struct yb_schema_set *set = load_ok(
        "transaction S {\n"
        "  input {\n"
        "    list feedetail { field a string 5; list sub { field b string 1; } }\n"
        "    object data { list inner of string 5; }\n"
        "    list empty_list { field a string 1; }\n"
        "    object empty_obj { field a string 1; }\n"
        "  }\n"
        "  output { list result { field x string 1; } }\n"
        "}\n");
    setup();
    /* what an XML decoder gives for one <feedetail> with one <sub>, an
     * <inner> with one value, and two empty elements */
    struct yb_node *env = json("{\"infno\": \"S\", \"input\": {"
                               "\"feedetail\": {\"a\": \"x\", \"sub\": {\"b\": \"1\"}},"
                               "\"data\": {\"inner\": \"v\"},"
                               "\"empty_list\": \"\", \"empty_obj\": \"\", \"other\": \"\"},"
                               "\"output\": {\"result\": {\"x\": \"1\"}}}");
    CU_ASSERT_EQUAL(yb_schema_shape(set, "S", "input", pool, env), 0);
    struct yb_node *fd = yb_node_path(env, "input.feedetail");
    CU_ASSERT_EQUAL_FATAL(fd->type, YB_NODE_ARRAY);
    CU_ASSERT_EQUAL(fd->count, 1);
    CU_ASSERT_PTR_NULL(fd->child->key);
    CU_ASSERT_STRING_EQUAL(yb_node_path(env, "input.feedetail[0].a")->text, "x");
    CU_ASSERT_EQUAL(yb_node_path(env, "input.feedetail[0].sub")->type, YB_NODE_ARRAY);
    CU_ASSERT_STRING_EQUAL(yb_node_path(env, "input.feedetail[0].sub[0].b")->text, "1");
    CU_ASSERT_EQUAL(yb_node_path(env, "input.data.inner")->type, YB_NODE_ARRAY);
    CU_ASSERT_STRING_EQUAL(yb_node_path(env, "input.data.inner[0]")->text, "v");
    CU_ASSERT_EQUAL(yb_node_path(env, "input.empty_list")->type, YB_NODE_ARRAY);
    CU_ASSERT_EQUAL(yb_node_path(env, "input.empty_list")->count, 0);
    CU_ASSERT_EQUAL(yb_node_path(env, "input.empty_obj")->type, YB_NODE_OBJECT);
    CU_ASSERT_EQUAL(yb_node_path(env, "input.other")->type, YB_NODE_STRING); /* not in schema */
    /* member order is kept */
    CU_ASSERT_STRING_EQUAL(yb_node_path(env, "input")->child->key, "feedetail");
    /* output is shaped only when asked */
    CU_ASSERT_EQUAL(yb_node_path(env, "output.result")->type, YB_NODE_OBJECT);
    CU_ASSERT_EQUAL(yb_schema_shape(set, "S", "output", pool, env), 0);
    CU_ASSERT_EQUAL(yb_node_path(env, "output.result")->type, YB_NODE_ARRAY);
    /* shaping twice changes nothing */
    CU_ASSERT_EQUAL(yb_schema_shape(set, "S", "input", pool, env), 0);
    CU_ASSERT_EQUAL(yb_node_path(env, "input.feedetail")->count, 1);
    CU_ASSERT_EQUAL(yb_node_path(env, "input.feedetail[0]")->type, YB_NODE_OBJECT);
    /* the shaped message passes the checks a JSON one would */
    CU_ASSERT_EQUAL(yb_schema_check_input(set, "S", yb_node_get(env, "input"), &diag, NULL, NULL),
                    0);

    /* an empty <input/> becomes an empty object */
    struct yb_node *env2 = json("{\"infno\": \"S\", \"input\": \"\"}");
    CU_ASSERT_EQUAL(yb_schema_shape(set, "S", "input", pool, env2), 0);
    CU_ASSERT_EQUAL(yb_node_get(env2, "input")->type, YB_NODE_OBJECT);
    yb_schema_free(set);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_real_schemas_load),
        YB_TEST(test_realistic_2204),
        YB_TEST(test_real_envelope_input_shapes),
        YB_TEST(test_string),
        YB_TEST(test_required_and_empty),
        YB_TEST(test_decimal),
        YB_TEST(test_decimal_exact_bounds),
        YB_TEST(test_int),
        YB_TEST(test_date_datetime),
        YB_TEST(test_enum),
        YB_TEST(test_pattern),
        YB_TEST(test_lists),
        YB_TEST(test_kind_callback),
        YB_TEST(test_finding_cap),
        YB_TEST(test_check_input_edges),
        YB_TEST(test_load_errors),
        YB_TEST(test_directory_and_dict_merge),
        YB_TEST(test_shape),
        YB_TEST_END,
    };
    int rc = yb_test_main("schema", tests);
    yb_pool_destroy(pool);
    return rc;
}
