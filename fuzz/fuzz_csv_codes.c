/*
 * fuzz_csv_codes.c - fuzz target of the official code-table importer
 * (plugins/common/cs_import.c and its CSV/TSV reader cs_csv.c), the path
 * of `ybgwctl code import STANDARD FILE`.
 *
 * The first byte of the input picks the standard (its shipped rules.conf
 * and columns.tsv, so the codes of the file meet the real rules); the rest
 * is the table file. The import runs as the CLI runs it, into an SQLite
 * database in memory, with a reject file in the scratch directory. The
 * importer's promises are checked: the counts add up, and the reject file
 * holds one line per rejected row (a newline inside a record must not make
 * two), each LINE<TAB>reason<TAB>record.
 */
#include <string.h>
#include <unistd.h>

#include "codeset.h"
#include "fuzz.h"
#include "ybgw/ybgw.h"

/* The standards with a code table (Makefile.am: codeset_standards). */
static const char *const standards[] = {
    "diag",      "service",  "drug",    "consumable", "chronic", "drg_dise",   "daysurg",
    "fixmedins", "pharmacy", "sysunit", "doctor",     "nurse",   "pharmacist", "sysstaff"};
#define N_STANDARDS (sizeof(standards) / sizeof(standards[0]))

static struct yb_cs_rules *rules[N_STANDARDS];
static char columns[N_STANDARDS][4200];
static char table_path[4200], rejects_path[4200];

static void free_rules(void)
{
    for (size_t i = 0; i < N_STANDARDS; i++)
        yb_cs_rules_free(rules[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char data_dir[4200], path[4200], rel[256], err[1024];
    fuzz_srcpath(data_dir, sizeof(data_dir), "codesets");
    for (size_t i = 0; i < N_STANDARDS; i++) {
        snprintf(rel, sizeof(rel), "codesets/%s/rules.conf", standards[i]);
        rules[i] =
            yb_cs_rules_load(fuzz_srcpath(path, sizeof(path), rel), data_dir, err, sizeof(err));
        if (!rules[i])
            fprintf(stderr, "fuzz_csv_codes: %s\n", err);
        FUZZ_CHECK(rules[i] != NULL);
        snprintf(rel, sizeof(rel), "codesets/%s/columns.tsv", standards[i]);
        fuzz_srcpath(columns[i], sizeof(columns[i]), rel);
    }
    atexit(free_rules);
    fuzz_scratch_path(table_path, sizeof(table_path), "table.csv");
    fuzz_scratch_path(rejects_path, sizeof(rejects_path), "table.csv.rejects");
    return 0;
}

/* Lines of the reject file that are not its "#" heading. */
static unsigned long reject_lines(void)
{
    FILE *f = fopen(rejects_path, "rb");
    if (!f)
        return 0;
    unsigned long lines = 0;
    int c, at_start = 1, comment = 0, tabs = 0;
    while ((c = getc(f)) != EOF) {
        if (at_start) {
            comment = c == '#';
            tabs = 0;
        }
        at_start = c == '\n';
        if (c == '\t')
            tabs++;
        if (c == '\n' && !comment) {
            FUZZ_CHECK(tabs >= 2); /* LINE<TAB>reason<TAB>record */
            lines++;
        }
    }
    FUZZ_CHECK(at_start); /* the file ends with a line end */
    fclose(f);
    return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t k = data[0] % N_STANDARDS;
    fuzz_write_file(table_path, data + 1, size - 1);
    unlink(rejects_path);
    struct yb_cs_import imp = {.db_path = ":memory:",
                               .standard = standards[k],
                               .rules = rules[k],
                               .columns_path = columns[k],
                               .file = table_path,
                               .version = "fuzz",
                               .rejects_path = rejects_path,
                               .activate = 1};
    struct yb_cs_import_result res;
    char err[2048] = "";
    int rc = yb_cs_import_file(&imp, &res, err, sizeof(err));
    if (rc == 0) {
        FUZZ_CHECK(strcmp(res.version, "fuzz") == 0);
        FUZZ_CHECK(reject_lines() == res.rejected);
        FUZZ_CHECK(res.rejected > 0 || access(rejects_path, F_OK) != 0);
    } else {
        FUZZ_CHECK(rc < 0 && err[0]);
        /* kept only when every row was refused, and then it says why */
        if (access(rejects_path, F_OK) == 0)
            FUZZ_CHECK(reject_lines() > 0);
    }
    unlink(rejects_path);
    unlink(table_path);
    return 0;
}
