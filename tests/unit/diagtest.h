/*
 * diagtest.h - asserting on the findings a hook left in a transaction's
 * diagnostics (struct yb_diag), for the tests that run plugin hooks on
 * transactions built as the gateway builds them.
 */
#ifndef YB_DIAGTEST_H
#define YB_DIAGTEST_H

#include "diag.h"
#include "testutil.h"

static inline unsigned yb_test_findings(const struct yb_diag *d)
{
    unsigned n = 0;
    for (const struct yb_diag_entry *e = d->head; e; e = e->next)
        n++;
    return n;
}

/* Every finding on stderr, for a failing test's log. */
static inline void yb_test_dump_findings(const struct yb_diag *d)
{
    for (const struct yb_diag_entry *e = d->head; e; e = e->next)
        fprintf(stderr, "  [%s] %s (%s) \"%s\" %s [%s]\n",
                e->severity == YB_DIAG_ERROR ? "error" : "warn", e->path, e->rule,
                e->value ? e->value : "", e->message, e->source);
}

/* The finding at PATH with RULE, or NULL. */
static inline const struct yb_diag_entry *yb_test_find_finding(const struct yb_diag *d,
                                                               const char *path, const char *rule)
{
    for (const struct yb_diag_entry *e = d->head; e; e = e->next)
        if (strcmp(e->path, path) == 0 && strcmp(e->rule, rule) == 0)
            return e;
    return NULL;
}

/* Exactly one finding: at PATH with RULE, SEVERITY, SOURCE and VALUE, and
 * every one of the NULL-terminated WORDS in its message. */
static inline void yb_test_expect_only(const struct yb_diag *d, const char *source,
                                       const char *path, const char *rule, int severity,
                                       const char *value, const char *const *words)
{
    const struct yb_diag_entry *e = yb_test_find_finding(d, path, rule);
    if (!e || yb_test_findings(d) != 1) {
        fprintf(stderr, "expected only %s (%s); got:\n", path, rule);
        yb_test_dump_findings(d);
    }
    CU_ASSERT_EQUAL(yb_test_findings(d), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->severity, severity);
    CU_ASSERT_STRING_EQUAL(e->source, source);
    CU_ASSERT_STRING_EQUAL(e->value ? e->value : "", value);
    for (; words && *words; words++) {
        if (!strstr(e->message, *words))
            fprintf(stderr, "message lacks \"%s\": %s\n", *words, e->message);
        CU_ASSERT_PTR_NOT_NULL(strstr(e->message, *words));
    }
}

#endif
