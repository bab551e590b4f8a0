/*
 * testutil.h - the shape every CUnit test program shares: a table of tests
 * per suite, run by yb_test_main(), which exits non-zero on any failure.
 */
#ifndef YB_TESTUTIL_H
#define YB_TESTUTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <ftw.h>
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

/* ---- files a test writes and reads ---- */

static inline void yb_test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* The text of PATH (up to 1 MiB), to free; NULL if it cannot be read. */
static inline char *yb_test_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* The line of a reject file's TEXT ("LINE<TAB>reason<TAB>record") for
 * source line LINE, without its line end, or NULL. */
static inline const char *yb_test_reject_line(const char *text, unsigned line)
{
    static char out[4096];
    char prefix[32];
    int n = snprintf(prefix, sizeof(prefix), "%u\t", line);
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (strncmp(p, prefix, (size_t)n) == 0) {
            snprintf(out, sizeof(out), "%.*s", (int)len, p);
            return out;
        }
        p = e ? e + 1 : NULL;
    }
    return NULL;
}

static inline int yb_test_remove_entry(const char *path, const struct stat *st, int flag,
                                       struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Remove the test's temporary folder DIR and all in it. */
static inline void yb_test_remove_tree(const char *dir)
{
    nftw(dir, yb_test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
