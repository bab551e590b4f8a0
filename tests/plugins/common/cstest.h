/*
 * cstest.h - what the codeset plugin tests share: a code-table database built
 * through the real importer from rows written in the test (synthetic rows
 * are marked as such by the tests), and plugins loaded through the real
 * plugin host from a small configuration, as the gateway loads them.
 */
#ifndef YB_CSTEST_H
#define YB_CSTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codeset.h"
#include "plugin_host.h"
#include "settings.h"
#include "testutil.h"

/* Import CSV (header line included) as STANDARD into the database DB (a path
 * the test chose, e.g. from cstest_tmpname), with the shipped rules and
 * columns of the standard. Returns the number of rejected rows, or -1. */
static inline long cstest_import(const char *db, const char *standard, const char *csv, int sample)
{
    char file[] = "/tmp/ybgw-cstest-XXXXXX";
    int fd = mkstemp(file);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    fputs(csv, f);
    fclose(f);
    char rules_path[4096], columns[4096], err[1024];
    snprintf(rules_path, sizeof(rules_path), "%s/codesets/%s/rules.conf",
             getenv("top_srcdir") ? getenv("top_srcdir") : ".", standard);
    snprintf(columns, sizeof(columns), "%s/codesets/%s/columns.tsv",
             getenv("top_srcdir") ? getenv("top_srcdir") : ".", standard);
    struct yb_cs_rules *rules =
        yb_cs_rules_load(rules_path, yb_test_srcpath("codesets"), err, sizeof(err));
    if (!rules) {
        fprintf(stderr, "%s\n", err);
        unlink(file);
        return -1;
    }
    char rejects[4200];
    snprintf(rejects, sizeof(rejects), "%s.rejects", file);
    struct yb_cs_import imp = {.db_path = db,
                               .standard = standard,
                               .rules = rules,
                               .columns_path = columns,
                               .file = file,
                               .version = NULL,
                               .rejects_path = rejects,
                               .sample = sample,
                               .activate = 1};
    struct yb_cs_import_result res;
    int rc = yb_cs_import_file(&imp, &res, err, sizeof(err));
    yb_cs_rules_free(rules);
    unlink(file);
    unlink(rejects);
    if (rc) {
        fprintf(stderr, "import: %s\n", err);
        return -1;
    }
    return (long)res.rejected;
}

/* A fresh temporary file name (the file is created empty, then removed, so
 * SQLite creates it). The caller unlinks it at the end. */
static inline void cstest_tmpname(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/ybgw-cstest-db-XXXXXX");
    int fd = mkstemp(buf);
    if (fd >= 0) {
        close(fd);
        unlink(buf);
    }
}

/* Plugins may keep pointers into their settings (a kind's name, a section),
 * so settings live as long as the test program; freed at exit, before the
 * leak check. */
static struct yb_settings *cstest_settings[64];
static size_t cstest_n_settings;

static inline void cstest_free_settings(void)
{
    for (size_t i = 0; i < cstest_n_settings; i++)
        yb_settings_free(cstest_settings[i]);
    cstest_n_settings = 0;
}

static inline void cstest_keep_settings(struct yb_settings *s)
{
    if (cstest_n_settings == 0)
        atexit(cstest_free_settings);
    if (cstest_n_settings == sizeof(cstest_settings) / sizeof(cstest_settings[0])) {
        yb_settings_free(s); /* a test loading this often keeps its sets short-lived */
        return;
    }
    cstest_settings[cstest_n_settings++] = s;
}

/* Load the plugins of SECTIONS (e.g. "plugin admdvs { table admdvs/admdvs.tsv; }
 * plugin drug { }"), with CODE_TABLES as the code-table database (NULL:
 * none), from the build tree. NULL on failure (printed). */
static inline struct yb_plugin_set *cstest_load(const char *sections, const char *code_tables)
{
    char path[] = "/tmp/ybgw-cstest-conf-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    fprintf(f, "upstream u { endpoint http://127.0.0.1:1/; }\ndata_dir %s;\nplugin_dir %s;\n",
            yb_test_srcpath("codesets"), yb_test_buildpath("plugins/.libs"));
    if (code_tables)
        fprintf(f, "code_tables %s;\n", code_tables);
    fprintf(f, "%s\n", sections);
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
    cstest_keep_settings(s);
    return p;
}

/* Validate CODE with KIND; returns the status, *v holds the verdict. */
static inline int cstest_check(const struct yb_code_kind *kind, const char *code,
                               struct yb_code_verdict *v)
{
    memset(v, 0, sizeof(*v));
    if (!kind || kind->validate(kind->state, code, strlen(code), v) != 0)
        return -1;
    return v->status;
}

/* The explanation of CODE by KIND, in a static buffer. */
static inline const char *cstest_explain(const struct yb_code_kind *kind, const char *code)
{
    static char buf[4096];
    buf[0] = '\0';
    if (kind && kind->explain)
        kind->explain(kind->state, code, strlen(code), buf, sizeof(buf));
    return buf;
}

/* Does TEXT contain PART? Says what was missing where when not. */
static inline int cstest_has(const char *text, const char *part)
{
    if (!strstr(text, part)) {
        fprintf(stderr, "\n  expected \"%s\" in: %s\n", part, text);
        return 0;
    }
    return 1;
}

/* Assert that KIND judges CODE with STATUS, the verdict segment SEGMENT
 * (NULL: any) and each of WORDS (N_WORDS, NULL entries skipped) in its
 * reason; say which code failed and how. */
static inline void cstest_expect(const struct yb_code_kind *kind, const char *code, int status,
                                 const char *segment, const char *const *words, size_t n_words)
{
    struct yb_code_verdict v;
    int got = cstest_check(kind, code, &v);
    int ok = got == status && (!segment || strcmp(v.segment, segment) == 0);
    for (size_t i = 0; ok && i < n_words; i++)
        ok = !words[i] || strstr(v.reason, words[i]) != NULL;
    if (!ok)
        fprintf(stderr, "\n%s %s: expected status %d [%s], got %d [%s] %s\n",
                kind ? kind->name : "(no kind)", code, status, segment ? segment : "", got,
                v.segment, v.reason);
    CU_ASSERT(ok);
}

static inline void cstest_expect1(const struct yb_code_kind *kind, const char *code, int status,
                                  const char *segment, const char *word)
{
    cstest_expect(kind, code, status, segment, &word, 1);
}

/* One code and what the kind must say of it. */
struct cstest_case {
    const char *code;
    int status;           /* enum yb_code_status */
    const char *segment;  /* the verdict's segment; NULL for a valid code */
    const char *words[3]; /* in the reason */
};

/* cstest_expect for each of CASES (ended by a NULL code). */
static inline void cstest_expect_cases(const struct yb_code_kind *kind,
                                       const struct cstest_case *cases)
{
    for (const struct cstest_case *c = cases; c->code; c++)
        cstest_expect(kind, c->code, c->status, c->segment, c->words, 3);
}

/* The one kind of drug|service|consumable whose match() takes CODE, or
 * "none", "several", or "missing" when one of the three is not loaded. */
static inline const char *cstest_matching_kind(const struct yb_plugin_set *set, const char *code)
{
    static const char *const kinds[] = {"drug", "service", "consumable"};
    const char *found = "none";
    for (size_t i = 0; i < 3; i++) {
        const struct yb_code_kind *k = yb_plugins_kind(set, kinds[i]);
        if (!k || !k->match)
            return "missing";
        if (k->match(k->state, code, strlen(code)))
            found = strcmp(found, "none") == 0 ? kinds[i] : "several";
    }
    return found;
}

/* For each of N {code, kind} pairs, the code is matched by that kind alone
 * (cstest_matching_kind). */
static inline void cstest_expect_matches(const struct yb_plugin_set *set,
                                         const char *const (*cases)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = cstest_matching_kind(set, cases[i][0]);
        if (strcmp(got, cases[i][1]) != 0)
            fprintf(stderr, "\nmatch %s: expected %s, got %s\n", cases[i][0], cases[i][1], got);
        CU_ASSERT_STRING_EQUAL(got, cases[i][1]);
    }
}

/* Assert that every one of WORDS (NULL-terminated) is in the explanation of
 * CODE. */
static inline void cstest_expect_explain(const struct yb_code_kind *kind, const char *code,
                                         const char *const *words)
{
    const char *text = cstest_explain(kind, code);
    for (size_t i = 0; words[i]; i++) {
        int found = strstr(text, words[i]) != NULL;
        if (!found)
            fprintf(stderr, "\nexplain %s: no \"%s\" in:\n%s", code, words[i], text);
        CU_ASSERT(found);
    }
}

#endif
