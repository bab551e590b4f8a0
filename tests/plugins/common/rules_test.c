/*
 * rules_test.c - the rules-file reader and the structural matcher of
 * libybcodeset: forms, optional segments, keys, the reasons a clerk reads,
 * and the refusals of malformed rules files (with file:line).
 *
 * The rules here are written by the test (their codes follow the shapes of
 * the spec page; the X code is the real 西药 example from it).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "codeset.h"
#include "testutil.h"

static char dir[] = "/tmp/ybgw-rules-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static const char rules_text[] =
    "# a test standard\n"
    "standard \"测试标准\"\n"
    "kind drug \"药品\"\n"
    "form western \"西药\" verified\n"
    "seg prefix X \"西药 product code\"\n"
    "seg atc4 [A-Z]\\d{2}[A-Z]{2} \"ATC level-4 class\" values=atc.tsv\n"
    "seg name [A-Z]\\d{3} \"generic name\"\n"
    "seg dosage [A-Z0-9]{4} \"dosage form\"\n"
    "seg spec \\d{4} \"specification\"\n"
    "seg firm \\d{5} \"enterprise\"\n"
    "form western_list \"西药目录\" verified\n"
    "seg prefix X \"西药 catalogue code\"\n"
    "seg atc4 [A-Z]\\d{2}[A-Z]{2} \"ATC level-4 class\"\n"
    "seg name [A-Z]\\d{3} \"generic name\"\n"
    "seg form [A-Z0-9]{2} \"catalogue dosage form\"\n"
    "kind icd9 \"手术操作\"\n"
    "form icd9 \"ICD-9-CM-3 医保版\" verified\n"
    "seg category \\d{2} \"category\"\n"
    "seg dot \\. \"separator\"\n"
    "seg detail \\d[\\dx]\\d{2} \"subcategory and detail\"\n"
    "seg ext? x\\d{3} \"extension\" key=no\n"
    "kind legacy \"耗材\"\n"
    "form old \"耗材(2019)\" unverified warn\n"
    "note \"use the 27-character code\"\n"
    "seg prefix C \"consumable\"\n"
    "seg rest \\d{1,19} \"the rest\"\n";

static struct yb_cs_rules *rules;

static int setup(void)
{
    if (!mkdtemp(dir))
        return -1;
    write_file("atc.tsv", "value\tmeaning\nA01AB\t抗感染药和口腔局部治疗用的防腐剂\n");
    char err[512];
    rules = yb_cs_rules_load(write_file("rules.conf", rules_text), NULL, err, sizeof(err));
    if (!rules)
        fprintf(stderr, "%s\n", err);
    return rules ? 0 : -1;
}

static int match(const char *kind, const char *code, struct yb_code_verdict *v,
                 struct yb_cs_shape *shape)
{
    memset(v, 0, sizeof(*v));
    return yb_cs_match(rules, kind, code, strlen(code), shape, v);
}

static void test_loads_kinds_and_forms(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(rules);
    CU_ASSERT_STRING_EQUAL(yb_cs_rules_standard(rules), "测试标准");
    CU_ASSERT_EQUAL(yb_cs_rules_kind_count(rules), 3);
    CU_ASSERT_STRING_EQUAL(yb_cs_rules_kind(rules, 1), "icd9");
    CU_ASSERT_EQUAL(yb_cs_rules_form_count(rules), 4);
    struct yb_cs_form_info f;
    yb_cs_rules_form(rules, 3, &f);
    CU_ASSERT_STRING_EQUAL(f.kind, "legacy");
    CU_ASSERT_TRUE(f.warn);
    CU_ASSERT_FALSE(f.verified);
    CU_ASSERT_STRING_EQUAL(f.note, "use the 27-character code");
    struct yb_cs_segment_info s;
    yb_cs_rules_segment(rules, 2, 3, &s);
    CU_ASSERT_STRING_EQUAL(s.name, "ext");
    CU_ASSERT_TRUE(s.optional);
    CU_ASSERT_FALSE(s.in_key);
}

static void test_real_code_matches_segments(void)
{
    struct yb_code_verdict v;
    struct yb_cs_shape shape;
    CU_ASSERT_TRUE(match("drug", "XA01ABD075A002010100483", &v, &shape));
    CU_ASSERT_EQUAL(shape.form, 0);
    CU_ASSERT_EQUAL(shape.spans[1].offset, 1);
    CU_ASSERT_EQUAL(shape.spans[1].len, 5);
    CU_ASSERT_EQUAL(shape.spans[5].offset, 18);
    CU_ASSERT_STRING_EQUAL(yb_cs_rules_value_meaning(rules, 0, 1, "A01AB", 5),
                           "抗感染药和口腔局部治疗用的防腐剂");
    CU_ASSERT_PTR_NULL(yb_cs_rules_value_meaning(rules, 0, 1, "A01AC", 5));
    /* the catalogue-level code is the other X form */
    CU_ASSERT_TRUE(match("drug", "XB06ACL388B0", &v, &shape));
    CU_ASSERT_EQUAL(shape.form, 1);
}

static void test_length_reason_names_the_form(void)
{
    struct yb_code_verdict v;
    struct yb_cs_shape shape;
    CU_ASSERT_FALSE(match("drug", "XA01ABD075A00201010048", &v, &shape));
    CU_ASSERT_EQUAL(v.status, YB_CODE_INVALID);
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "西药 code must be 23 characters, got 22"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "西药目录 code has 12"));
}

static void test_segment_reason(void)
{
    struct yb_code_verdict v;
    struct yb_cs_shape shape;
    CU_ASSERT_FALSE(match("drug", "XA0XABD075A002010100483", &v, &shape));
    CU_ASSERT_STRING_EQUAL(v.segment, "atc4");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "ATC level-4 class"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "position 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "a capital letter, 2 digits, 2 capital letters"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "got \"A0XAB\""));
    /* a letter in the enterprise digits: the last segment is blamed */
    CU_ASSERT_FALSE(match("drug", "XA01ABD075A00201010048X", &v, &shape));
    CU_ASSERT_STRING_EQUAL(v.segment, "firm");
}

static void test_prefix_reason_lists_forms(void)
{
    struct yb_code_verdict v;
    struct yb_cs_shape shape;
    CU_ASSERT_FALSE(match("drug", "QA01ABD075A002010100483", &v, &shape));
    CU_ASSERT_STRING_EQUAL(v.segment, "prefix");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "药品 code must start with \"X\" (西药)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "got \"QA0\""));
    CU_ASSERT_FALSE(yb_cs_match_lead(rules, "drug", "Q1", 2));
    CU_ASSERT_TRUE(yb_cs_match_lead(rules, "drug", "X", 1));
    CU_ASSERT_TRUE(yb_cs_match_lead(rules, NULL, "03.1x01", 7));
    CU_ASSERT_FALSE(yb_cs_match_lead(rules, "nosuchkind", "X", 1));
}

static void test_optional_segment_and_key(void)
{
    struct yb_code_verdict v;
    struct yb_cs_shape shape;
    char key[YB_CS_MAX_CODE + 1];
    CU_ASSERT_TRUE(match("icd9", "03.1x01", &v, &shape));
    CU_ASSERT_FALSE(shape.spans[3].present);
    CU_ASSERT_EQUAL(yb_cs_key(rules, &shape, "03.1x01", 7, key, sizeof(key)), 7);
    CU_ASSERT_TRUE(match("icd9", "00.0200x001", &v, &shape));
    CU_ASSERT_TRUE(shape.spans[3].present);
    CU_ASSERT_EQUAL(yb_cs_key(rules, &shape, "00.0200x001", 11, key, sizeof(key)), 7);
    CU_ASSERT_STRING_EQUAL(key, "00.0200");
    /* 9 characters: neither 7 nor 11 */
    CU_ASSERT_FALSE(match("icd9", "00.0200x0", &v, &shape));
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "must be 7 or 11 characters, got 9"));
    CU_ASSERT_FALSE(match("icd9", "00-0200", &v, &shape));
    CU_ASSERT_STRING_EQUAL(v.segment, "dot");
}

static void test_variable_length_and_classify(void)
{
    struct yb_code_verdict v;
    struct yb_cs_shape shape;
    CU_ASSERT_TRUE(match("legacy", "C1", &v, &shape));
    CU_ASSERT_TRUE(match("legacy", "C1234567890123456789", &v, &shape));
    CU_ASSERT_FALSE(match("legacy", "C12345678901234567890", &v, &shape));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "must be 2 to 20 characters, got 21"));
    CU_ASSERT_STRING_EQUAL(yb_cs_classify(rules, "03.1x01", 7, &v), "icd9");
    CU_ASSERT_STRING_EQUAL(yb_cs_classify(rules, "XB06ACL388B0", 12, &v), "drug");
    CU_ASSERT_PTR_NULL(yb_cs_classify(rules, "XB06ACL388B", 11, &v));
    CU_ASSERT_STRING_EQUAL(v.segment, "length");
    CU_ASSERT_PTR_NULL(yb_cs_classify(rules, "Q", 1, &v));
    CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "no form of 测试标准"));
}

static void test_bytes_outside_ascii_never_echoed(void)
{
    struct yb_code_verdict v;
    struct yb_cs_shape shape;
    CU_ASSERT_FALSE(match("drug", "X\xe4\xb8\xad\"01ABD075A002010100483", &v, &shape));
    CU_ASSERT_PTR_NULL(strchr(v.reason, '\xe4'));
    CU_ASSERT_PTR_NULL(strstr(v.reason + strlen(v.reason) - 12, "\"\"\""));
}

/* Each malformed rules file is refused with its line and the reason. */
static void test_malformed_rules_refused(void)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"standard s\nform f F verified\n", ":2: form before any kind"},
        {"standard s\nkind k K\nform f F maybe\n", ":3: form f: say verified or unverified"},
        {"standard s\nkind k K\nform f F verified\nseg a [A-Z \"a\"\n",
         ":4: pattern [A-Z: [ without ]"},
        {"standard s\nkind k K\nform f F verified\nseg a (A|B) \"a\"\n", "is not supported"},
        {"standard s\nkind k K\nform f F verified\nseg a? A \"a\"\n", "first segment"},
        {"standard s\nkind k K\nform f F verified warn\nseg a A \"a\"\n", "has no note"},
        {"standard s\nkind k K\nform f F verified\n", "form f has no segments"},
        {"standard s\nkind k K\n", "kind k has no forms"},
        {"kind k K\nform f F verified\nseg a A \"a\"\n", "no standard line"},
        {"standard s\nkind k K\nform f F verified\nseg a A{3,2} \"a\"\n", ":4: quantifier"},
        {"standard s\nkind k K\nform f F verified\nseg a A \"a\" colour=red\n", "unknown option"},
        {"standard s\nkind k K\nform f F verified\nseg a A \"a\" values=none.tsv\n",
         "cannot open values file"},
        {"standard \"s\nkind k K\n", ":1: a quoted text is not closed"},
        {"standard s\nflavour x\n", ":2: unknown directive \"flavour\""},
        {"standard s\nkind K k\n", "must be lower-case"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        struct yb_cs_rules *r =
            yb_cs_rules_load(write_file("bad.conf", cases[i].text), NULL, err, sizeof(err));
        CU_ASSERT_PTR_NULL(r);
        if (!strstr(err, cases[i].expect))
            fprintf(stderr, "case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].expect);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].expect));
        yb_cs_rules_free(r);
    }
    char err[512];
    CU_ASSERT_PTR_NULL(yb_cs_rules_load("/nonexistent/rules.conf", NULL, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/rules.conf"));
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_loads_kinds_and_forms),        YB_TEST(test_real_code_matches_segments),
        YB_TEST(test_length_reason_names_the_form), YB_TEST(test_segment_reason),
        YB_TEST(test_prefix_reason_lists_forms),    YB_TEST(test_optional_segment_and_key),
        YB_TEST(test_variable_length_and_classify), YB_TEST(test_bytes_outside_ascii_never_echoed),
        YB_TEST(test_malformed_rules_refused),      YB_TEST_END,
    };
    int rc = setup() ? 1 : yb_test_main("rules", tests);
    yb_cs_rules_free(rules);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
