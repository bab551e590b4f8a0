/*
 * people_test.h - the tests the institution and people standards share:
 * fixmedins, pharmacy, doctor, nurse, pharmacist, sysunit and sysstaff.
 *
 * The seven standards differ only in their data, so each test file is a
 * table (struct pt_standard): structural cases with the verdict expected
 * (status, segment, words of the reason), explanations with the words
 * expected, and the codes the table tests use. What is done with the table
 * is the same for all seven, and lives here:
 *   - structure and region, with the admdvs plugin loaded (its region table,
 *     membership reject) so that the region inside a code is really checked;
 *   - a synthetic official table imported through the real importer:
 *     membership, expiry, not yet in effect, the warn policies, and a row
 *     the rules refuse going to the rejects;
 *   - the shipped sample.csv imported as a sample: it must import cleanly,
 *     its codes pass, and any other code only gets a warning.
 */
#ifndef YB_PEOPLE_TEST_H
#define YB_PEOPLE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstest.h"

#define PT_ADMDVS "plugin admdvs { table admdvs/admdvs.tsv; membership reject; }\n"

struct pt_explain {
    const char *code;
    const char *words[10]; /* each on some line of the explanation */
};

struct pt_standard {
    const char *name; /* standard = plugin = data folder */
    const char *kind;
    const struct cstest_case *cases;       /* ends with a NULL code */
    const struct pt_explain *explains; /* ends with a NULL code */
    /* Codes for the synthetic official table: valid by structure, in regions
     * of the region table, and not real codes (the test files say so). */
    const char *current, *expired, *future, *absent;
    const char *refused; /* a code the rules refuse: the import rejects its row */
};

static const struct pt_standard *pt;

/* The kind of PT loaded with the admdvs plugin and SECTION's directives. */
static struct yb_plugin_set *pt_load(const char *directives, const char *db,
                                     const struct yb_code_kind **kind)
{
    char sections[1024];
    snprintf(sections, sizeof(sections), PT_ADMDVS "plugin %s { %s }", pt->name, directives);
    struct yb_plugin_set *set = cstest_load(sections, db);
    *kind = set ? yb_plugins_kind(set, pt->kind) : NULL;
    return set;
}

static void pt_test_structure(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = pt_load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect_cases(kind, pt->cases);
    yb_plugins_free(set);
}

static void pt_test_explain(void)
{
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = pt_load("", NULL, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    for (const struct pt_explain *e = pt->explains; e->code; e++) {
        const char *text = cstest_explain(kind, e->code);
        for (size_t i = 0; i < 10 && e->words[i]; i++) {
            int found = strstr(text, e->words[i]) != NULL;
            if (!found)
                fprintf(stderr, "\nexplain %s: no \"%s\" in:\n%s", e->code, e->words[i], text);
            CU_ASSERT(found);
        }
    }
    yb_plugins_free(set);
}

/* The synthetic official table (not a sample) in a fresh database. */
static int pt_official(char *db, size_t cap)
{
    char csv[1024];
    cstest_tmpname(db, cap);
    /* English headers: columns.tsv maps them as well as the Chinese ones */
    snprintf(csv, sizeof(csv),
             "code,name,begin_date,end_date\n"
             "%s,synthetic current,2020-01-01,\n"
             "%s,synthetic expired,2015-01-01,2020-12-31\n"
             "%s,synthetic future,2099-01-01,\n"
             "%s,synthetic refused,,\n",
             pt->current, pt->expired, pt->future, pt->refused);
    return (int)cstest_import(db, pt->name, csv, 0);
}

static void pt_test_official_table(void)
{
    char db[64];
    CU_ASSERT_EQUAL_FATAL(pt_official(db, sizeof(db)), 1); /* only the refused row */
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = pt_load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, pt->current, YB_CODE_VALID, NULL, NULL);
    cstest_expect1(kind, pt->absent, YB_CODE_INVALID, "table", "is not in the");
    cstest_expect1(kind, pt->refused, YB_CODE_INVALID, NULL, NULL);
    cstest_expect1(kind, pt->expired, YB_CODE_INVALID, "expired", "expired on 2020-12-31");
    cstest_expect1(kind, pt->future, YB_CODE_INVALID, "effective",
                   "not in effect until 2099-01-01");
    const char *text = cstest_explain(kind, pt->current);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "synthetic current"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "2020-01-01 to open"));
    yb_plugins_free(set);

    /* the policies soften what the table finds, never the structure */
    set = pt_load("membership warn; expired warn;", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, pt->absent, YB_CODE_WARN, "table", "is not in the");
    cstest_expect1(kind, pt->expired, YB_CODE_WARN, "expired", NULL);
    cstest_expect1(kind, pt->refused, YB_CODE_INVALID, NULL, NULL);
    yb_plugins_free(set);

    set = pt_load("membership off;", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    cstest_expect1(kind, pt->absent, YB_CODE_VALID, NULL, NULL);
    yb_plugins_free(set);
    unlink(db);
}

/* The shipped sample.csv, read whole (NULL on failure). The caller frees. */
static char *pt_read_sample(void)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "codesets/%s/sample.csv", pt->name);
    FILE *f = fopen(yb_test_srcpath(rel), "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = buf ? fread(buf, 1, 65535, f) : 0;
    fclose(f);
    if (buf && n == 65535) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void pt_test_sample(void)
{
    char db[64];
    char *csv = pt_read_sample();
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    cstest_tmpname(db, sizeof(db));
    CU_ASSERT_EQUAL_FATAL(cstest_import(db, pt->name, csv, 1), 0); /* every row is accepted */
    const struct yb_code_kind *kind;
    struct yb_plugin_set *set = pt_load("", db, &kind);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
    /* each code of the sample passes (the first column after the header) */
    int rows = 0;
    char *line = strchr(csv, '\n');
    while (line && line[1]) {
        char *code = line + 1;
        line = strchr(code, '\n');
        code[strcspn(code, ",\n")] = '\0';
        cstest_expect1(kind, code, YB_CODE_VALID, NULL, NULL);
        rows++;
    }
    if (rows) {
        /* any other well-formed code only gets a warning, even under reject */
        cstest_expect1(kind, pt->absent, YB_CODE_WARN, "table", "SAMPLE");
    } else {
        /* a header-only sample says nothing about membership: structure only */
        cstest_expect1(kind, pt->absent, YB_CODE_VALID, NULL, NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(cstest_explain(kind, pt->absent), "membership not checked"));
    }
    /* and the structure is still enforced */
    cstest_expect1(kind, pt->refused, YB_CODE_INVALID, NULL, NULL);
    yb_plugins_free(set);
    free(csv);
    unlink(db);
}

/* Run the shared tests, then EXTRA (may be NULL), for STANDARD. */
static int pt_main(const struct pt_standard *standard, const struct yb_test *extra)
{
    pt = standard;
    struct yb_test tests[16] = {
        YB_TEST(pt_test_structure),
        YB_TEST(pt_test_explain),
        YB_TEST(pt_test_official_table),
        YB_TEST(pt_test_sample),
    };
    size_t n = 4;
    for (; extra && extra->name && n + 1 < sizeof(tests) / sizeof(tests[0]); extra++)
        tests[n++] = *extra;
    tests[n] = (struct yb_test)YB_TEST_END;
    return yb_test_main(standard->name, tests);
}

#endif
