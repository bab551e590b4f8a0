/*
 * testutil.h - the shape every CUnit test program shares: a table of tests
 * per suite, run by yb_test_main(), which exits non-zero on any failure.
 */
#ifndef YB_TESTUTIL_H
#define YB_TESTUTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct yb_test {
    const char *name;
    void (*fn)(void);
};

#define YB_TEST(f) {#f, f}
#define YB_TEST_END {NULL, NULL}

/* Path of a file in the source tree (tests run from the build tree). */
static inline const char *yb_test_srcpath(const char *rel)
{
    static char buf[4096];
    const char *top = getenv("top_srcdir");
    snprintf(buf, sizeof(buf), "%s/%s", top ? top : ".", rel);
    return buf;
}

static inline const char *yb_test_buildpath(const char *rel)
{
    static char buf[4096];
    const char *top = getenv("top_builddir");
    snprintf(buf, sizeof(buf), "%s/%s", top ? top : ".", rel);
    return buf;
}

static inline int yb_test_main(const char *suite, const struct yb_test *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    for (const struct yb_test *t = tests; t->name; t++)
        CU_add_test(s, t->name, t->fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return failed ? 1 : run ? 0 : 1;
}

#endif
