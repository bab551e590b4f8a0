/*
 * admdvs_test.c - the region-code plugin, loaded through the real plugin
 * host: real codes from the spec pass, and each rule has a negative.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plugin_host.h"
#include "settings.h"
#include "testutil.h"

static struct yb_plugin_set *set;
static const struct yb_code_kind *kind;

static struct yb_plugin_set *load_with(const char *section)
{
    char path[] = "/tmp/ybgw-admdvs-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "upstream u { endpoint http://127.0.0.1:1/; }\ndata_dir %s;\nplugin_dir %s;\n%s\n",
            yb_test_srcpath("codesets"), yb_test_buildpath("plugins/.libs"), section);
    fclose(f);
    char err[1024];
    struct yb_settings *s = yb_settings_load(path, err, sizeof(err));
    unlink(path);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    struct yb_plugin_set *p = yb_plugins_load(s, err, sizeof(err));
    if (!p)
        fprintf(stderr, "%s\n", err);
    yb_settings_free(s);
    return p;
}

static int check(const char *code, struct yb_code_verdict *v)
{
    memset(v, 0, sizeof(*v));
    CU_ASSERT_EQUAL(kind->validate(kind->state, code, strlen(code), v), 0);
    return v->status;
}

static void test_real_codes_pass(void)
{
    struct yb_code_verdict v;
    /* pool codes from platform samples, the national level, a county */
    CU_ASSERT_EQUAL(check("450199", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(check("431199", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(check("100000", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(check("350302", &v), YB_CODE_VALID);
    CU_ASSERT_EQUAL(check("459900", &v), YB_CODE_VALID);
}

static void test_wrong_length(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(check("4301", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "6 digits, got 4"));
    CU_ASSERT_EQUAL(check("4501990", &v), YB_CODE_INVALID);
}

static void test_non_digits(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(check("45019X", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "digits");
}

static void test_unknown_province(void)
{
    struct yb_code_verdict v;
    CU_ASSERT_EQUAL(check("990100", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "province");
    CU_ASSERT_EQUAL(check("000000", &v), YB_CODE_INVALID);
}

static void test_not_in_table_rejected(void)
{
    struct yb_code_verdict v;
    /* structurally fine, province known, not in the loaded table */
    CU_ASSERT_EQUAL(check("450999", &v), YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "table");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "city pool"));
}

static void test_membership_warn_and_off(void)
{
    struct yb_plugin_set *p = load_with("plugin admdvs { table admdvs/admdvs.tsv; membership warn; }");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const struct yb_code_kind *k = yb_plugins_kind(p, "admdvs");
    struct yb_code_verdict v;
    memset(&v, 0, sizeof(v));
    k->validate(k->state, "450999", 6, &v);
    CU_ASSERT_EQUAL(v.status, YB_CODE_WARN);
    yb_plugins_free(p);

    p = load_with("plugin admdvs { provinces admdvs/provinces.tsv; }");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    k = yb_plugins_kind(p, "admdvs");
    memset(&v, 0, sizeof(v));
    k->validate(k->state, "450999", 6, &v);
    CU_ASSERT_EQUAL(v.status, YB_CODE_VALID); /* no table: structure only */
    yb_plugins_free(p);
}

static void test_bad_membership_value_stops_load(void)
{
    CU_ASSERT_PTR_NULL(load_with("plugin admdvs { table admdvs/admdvs.tsv; membership maybe; }"));
    CU_ASSERT_PTR_NULL(load_with("plugin admdvs { table admdvs/nosuch.tsv; }"));
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
    CU_ASSERT(kind->match(kind->state, "450199", 6));
    CU_ASSERT(!kind->match(kind->state, "H45019900055", 12));
}

int main(void)
{
    set = load_with("plugin admdvs { table admdvs/admdvs.tsv; }");
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
        YB_TEST(test_membership_warn_and_off),
        YB_TEST(test_bad_membership_value_stops_load),
        YB_TEST(test_explain),
        YB_TEST_END,
    };
    int rc = yb_test_main("admdvs", tests);
    yb_plugins_free(set);
    return rc;
}
