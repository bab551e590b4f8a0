/*
 * admdvs_test.c - the region-code plugin, loaded through the real plugin
 * host with the shipped full region table (codesets/admdvs/admdvs.tsv):
 * real GB/T 2260 codes and the derived pool codes pass, each rule has a
 * negative, and every row of the table is accepted by the plugin.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cstest.h"

static struct yb_plugin_set *set;
static const struct yb_code_kind *kind;

static void test_real_codes_pass(void)
{
    struct yb_code_verdict v;
    /* pool codes from platform samples (derived rows), the national level */
    CU_ASSERT_EQUAL(cstest_check(kind, "450199", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(kind, "431199", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(kind, "459900", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(cstest_check(kind, "100000", &v), YB_CODE_VALID);
    /* GB/T 2260 counties, prefectures and provinces of the MCA list */
    static const char *const real[] = {
        "110101", /* 北京市东城区 */
        "310115", /* 上海市浦东新区 */
        "450102", /* 南宁市兴宁区 */
        "430102", /* 长沙市芙蓉区 */
        "330106", /* 杭州市西湖区 */
        "440305", /* 深圳市南山区 */
        "350302", /* 莆田市城厢区 */
        "429004", /* 仙桃市, a county-level city under the province */
        "659012", /* 白杨市, new in 2023 */
        "653229", /* 和安县, new in 2024 */
        "500157", /* 两江新区, new in 2025 */
        "450100", /* 南宁市 */
        "450000", /* 广西壮族自治区 */
        "710000", /* 台湾省 */
        "810000", /* 香港特别行政区 */
        "820000", /* 澳门特别行政区 */
    };
    for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
        if (cstest_check(kind, real[i], &v) != YB_CODE_VALID)
            fprintf(stderr, "%s: %s\n", real[i], v.reason);
        CU_ASSERT_EQUAL(v.status, YB_CODE_VALID);
    }
}

static void test_wrong_length(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(kind, "4301", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "6 digits, got 4"));
    CU_ASSERT_EQUAL(cstest_check(kind, "4501990", &v), YB_CODE_INVALID);
}

static void test_non_digits(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(kind, "45019X", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "digits");
}

static void test_unknown_province(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(cstest_check(kind, "990100", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "province");
    CU_ASSERT_EQUAL(cstest_check(kind, "000000", &v), YB_CODE_INVALID);
}

static void test_not_in_table_rejected(void)
{
    struct yb_code_verdict v;
    /* structurally fine, province known, not in the loaded table */
    CU_ASSERT_EQUAL(cstest_check(kind, "459999", &v), YB_CODE_INVALID); /* no prefecture 4599 */
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "city pool"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "广西壮族自治区"));
    CU_ASSERT_EQUAL(cstest_check(kind, "450198", &v), YB_CODE_INVALID); /* no such county */
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "county"));
    /* municipalities have no prefecture rows, so no derived city pool */
    CU_ASSERT_EQUAL(cstest_check(kind, "110199", &v), YB_CODE_INVALID);
    /* retired in 2025 (merged into 两江新区 500157) */
    CU_ASSERT_EQUAL(cstest_check(kind, "500105", &v), YB_CODE_INVALID);
    /* no provincial pool for Hong Kong, Macao, Taiwan */
    CU_ASSERT_EQUAL(cstest_check(kind, "819900", &v), YB_CODE_INVALID);
}

/* Other plugins hand the region inside their codes over as (pointer, 6):
 * the digits after the segment must not be read. */
static void test_segment_of_a_longer_code(void)
{
    struct yb_code_verdict v;
    const char *fixmedins = "45019900055"; /* H45019900055 without the H */
    memset(&v, 0, sizeof(v));
    CU_ASSERT_EQUAL(kind->validate(kind->state, fixmedins, 6, &v), 0);
    CU_ASSERT_EQUAL(v.status, YB_CODE_VALID);
    memset(&v, 0, sizeof(v));
    CU_ASSERT_EQUAL(kind->validate(kind->state, "459801000001", 6, &v), 0);
    CU_ASSERT_EQUAL(v.status, YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    char buf[512];
    kind->explain(kind->state, "450103999904", 6, buf, sizeof(buf));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "name: 青秀区"));
}

/* Every row of the shipped table is accepted, and the plugin's name for it
 * is the table's: the whole file was loaded, not a prefix of it. */
static void test_full_table_loaded(void)
{
    FILE *f = fopen(yb_test_srcpath("codesets/admdvs/admdvs.tsv"), "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[1024], prev[1024] = "", buf[512];
    int rows = 0, counties = 0, pools = 0, header = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *name = strchr(line, '\t');
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        *name++ = '\0';
        char *level = strchr(name, '\t');
        CU_ASSERT_PTR_NOT_NULL_FATAL(level);
        *level++ = '\0';
        if (!header) {
            CU_ASSERT_STRING_EQUAL(line, "admdvs");
            CU_ASSERT_STRING_EQUAL(name, "name");
            header = 1;
            continue;
        }
        rows++;
        counties += strncmp(level, "county\t", 7) == 0;
        pools += strstr(level, "_pool\t") != NULL;
        CU_ASSERT(strcmp(prev, line) < 0); /* sorted, no duplicates */
        snprintf(prev, sizeof(prev), "%s", line);
        struct yb_code_verdict v;
        if (cstest_check(kind, line, &v) != YB_CODE_VALID) {
            fprintf(stderr, "%s %s: %s\n", line, name, v.reason);
            CU_FAIL("a row of the table is not accepted");
        }
        kind->explain(kind->state, line, strlen(line), buf, sizeof(buf));
        if (!strstr(buf, name))
            CU_FAIL("explain does not name the row");
    }
    fclose(f);
    CU_ASSERT(rows > 3000);
    CU_ASSERT(counties > 2800);
    CU_ASSERT(pools > 300);
}

static void test_membership_warn_and_off(void)
{
    struct yb_plugin_set *p =
        cstest_load("plugin admdvs { table admdvs/admdvs.tsv; membership warn; }", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const struct yb_code_kind *k = yb_plugins_kind(p, "admdvs");
    struct yb_code_verdict v;
    memset(&v, 0, sizeof(v));
    k->validate(k->state, "459999", 6, &v);
    CU_ASSERT_EQUAL(v.status, YB_CODE_WARN);
    yb_plugins_free(p);

    p = cstest_load("plugin admdvs { provinces admdvs/provinces.tsv; }", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    k = yb_plugins_kind(p, "admdvs");
    memset(&v, 0, sizeof(v));
    k->validate(k->state, "459999", 6, &v);
    CU_ASSERT_EQUAL(v.status, YB_CODE_VALID); /* no table: structure only */
    yb_plugins_free(p);
}

static void test_bad_membership_value_stops_load(void)
{
    CU_ASSERT_PTR_NULL(
        cstest_load("plugin admdvs { table admdvs/admdvs.tsv; membership maybe; }", NULL));
    CU_ASSERT_PTR_NULL(cstest_load("plugin admdvs { table admdvs/nosuch.tsv; }", NULL));
}

static void test_explain(void)
{
    char buf[512];
    int n = kind->explain(kind->state, "450199", 6, buf, sizeof(buf));
    CU_ASSERT(n > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "广西壮族自治区"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "city pool"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "南宁市本级"));
    kind->explain(kind->state, "459900", 6, buf, sizeof(buf));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "provincial pool"));
    kind->explain(kind->state, "330106", 6, buf, sizeof(buf));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "浙江省"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "level: county"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "name: 西湖区"));
    kind->explain(kind->state, "450198", 6, buf, sizeof(buf));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "(not in the region table)"));
    CU_ASSERT(kind->match(kind->state, "450199", 6));
    CU_ASSERT(!kind->match(kind->state, "H45019900055", 12));
}

int main(void)
{
    set = cstest_load("plugin admdvs { table admdvs/admdvs.tsv; }", NULL);
    if (!set || !(kind = yb_plugins_kind(set, "admdvs"))) {
        fprintf(stderr, "admdvs plugin did not load\n");
        return 1;
    }
    static const struct yb_test tests[] = {
        YB_TEST(test_real_codes_pass),
        YB_TEST(test_wrong_length),
        YB_TEST(test_non_digits),
        YB_TEST(test_unknown_province),
        YB_TEST(test_not_in_table_rejected),
        YB_TEST(test_segment_of_a_longer_code),
        YB_TEST(test_full_table_loaded),
        YB_TEST(test_membership_warn_and_off),
        YB_TEST(test_bad_membership_value_stops_load),
        YB_TEST(test_explain),
        YB_TEST_END,
    };
    int rc = yb_test_main("admdvs", tests);
    yb_plugins_free(set);
    return rc;
}
