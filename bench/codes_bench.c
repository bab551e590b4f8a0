/*
 * codes_bench.c - how the code tables scale: import rate, load time, memory
 * and lookup cost for large drug and consumable tables.
 *
 * Generates N SYNTHETIC drug-shaped codes (X + a real ATC level-4 class +
 * name, dosage form, specification and enterprise parts, 23 characters)
 * and N SYNTHETIC consumable-shaped codes (C + 26 digits) as CSV files in
 * rows in scrambled order (official tables need not be sorted), imports
 * them with yb_cs_import_file into a temporary database, loads each back
 * with yb_cs_db_load and times yb_cs_table_find over random hits and
 * misses. None of the generated codes is a real product: every name says
 * "synthetic".
 *
 * The rules and columns are codesets/drug and codesets/consumable (under
 * $top_srcdir, else the current directory) when they exist; otherwise the
 * bench writes equivalent ones of its own.
 *
 *   make bench/codes_bench && bench/codes_bench [--rows N] [--keep DIR]
 *
 * Not part of make check: a million rows take a few seconds and some
 * hundred megabytes.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "codeset.h"
#include "synthetic.h"

#define KEY_WIDTH 32
#define LOOKUPS 10000000u
#define KEY_SAMPLE 1000000u

static const char fallback_drug_rules[] = "standard \"药品分类与代码 (bench)\"\n"
                                          "kind drug \"药品\"\n"
                                          "form western \"西药\" verified\n"
                                          "seg prefix X \"西药\"\n"
                                          "seg atc4 [A-Z]\\d{2}[A-Z]{2} \"ATC level-4 class\"\n"
                                          "seg name [A-Z]\\d{3} \"name\"\n"
                                          "seg dosage [A-Z0-9]{4} \"dosage form\"\n"
                                          "seg spec \\d{4} \"specification\"\n"
                                          "seg firm \\d{5} \"enterprise\"\n";
static const char fallback_consumable_rules[] = "standard \"医用耗材分类与代码 (bench)\"\n"
                                                "kind consumable \"医用耗材\"\n"
                                                "form current \"医用耗材\" verified\n"
                                                "seg prefix C \"医用耗材\"\n"
                                                "seg rest \\d{26} \"26 digits\"\n";
static const char fallback_columns[] = "field\theaders\n"
                                       "code\t药品代码|耗材代码|code\n"
                                       "name\t注册名称|医保通用名|name\n"
                                       "begin_date\t开始日期|begin_date\n"
                                       "end_date\t结束日期|end_date\n";

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

struct result {
    const char *standard;
    unsigned long rows;
    double import_s, import_cpu, load_s, load_cpu;
    size_t table_bytes;
    long rss_before, rss_after;
    double hit_ns, miss_ns;
    long long db_bytes;
};

static int bench_standard(const char *dir, const char *src, const char *standard,
                          const char *header, const char *label, const char *fallback_rules,
                          bench_code_fn code, unsigned long n, struct result *out)
{
    char csv[4096], db[4096], rules_path[4096], columns[4096], data_dir[4096], err[1024];
    snprintf(csv, sizeof(csv), "%s/%s.csv", dir, standard);
    snprintf(db, sizeof(db), "%s/codes.db", dir);
    snprintf(data_dir, sizeof(data_dir), "%s/codesets", src);
    snprintf(rules_path, sizeof(rules_path), "%s/codesets/%s/rules.conf", src, standard);
    snprintf(columns, sizeof(columns), "%s/codesets/%s/columns.tsv", src, standard);
    if (access(rules_path, R_OK) != 0 || access(columns, R_OK) != 0) {
        snprintf(rules_path, sizeof(rules_path), "%s/%s.rules", dir, standard);
        snprintf(columns, sizeof(columns), "%s/%s.columns.tsv", dir, standard);
        snprintf(data_dir, sizeof(data_dir), "%s", dir);
        if (write_text(rules_path, fallback_rules) || write_text(columns, fallback_columns))
            return -1;
    }
    printf("%s: rules %s\n", standard, rules_path);
    if (bench_write_code_csv(csv, header, label, code, n)) {
        fprintf(stderr, "cannot write %s: %s\n", csv, strerror(errno));
        return -1;
    }
    struct yb_cs_rules *rules = yb_cs_rules_load(rules_path, data_dir, err, sizeof(err));
    if (!rules) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    char version[32];
    snprintf(version, sizeof(version), "bench-%ld", (long)time(NULL));
    struct yb_cs_import imp = {.db_path = db,
                               .standard = standard,
                               .rules = rules,
                               .columns_path = columns,
                               .file = csv,
                               .version = version,
                               .activate = 1};
    struct yb_cs_import_result res;
    double t0 = bench_now(), c0 = bench_cpu();
    int rc = yb_cs_import_file(&imp, &res, err, sizeof(err));
    out->import_s = bench_now() - t0;
    out->import_cpu = bench_cpu() - c0;
    yb_cs_rules_free(rules);
    if (rc) {
        fprintf(stderr, "import %s: %s\n", standard, err);
        return -1;
    }
    if (res.rejected)
        fprintf(stderr, "%s: %llu rows rejected, see %s\n", standard,
                (unsigned long long)res.rejected, res.rejects_path);
    struct stat st;
    out->db_bytes = stat(db, &st) == 0 ? (long long)st.st_size : -1;

    struct yb_cs_table *t = NULL;
    struct yb_cs_version info;
    malloc_trim(0);
    out->rss_before = bench_rss_kib();
    t0 = bench_now();
    c0 = bench_cpu();
    rc = yb_cs_db_load(db, standard, NULL, &t, &info, err, sizeof(err));
    out->load_s = bench_now() - t0;
    out->load_cpu = bench_cpu() - c0;
    out->rss_after = bench_rss_kib();
    if (rc) {
        fprintf(stderr, "load %s: %s\n", standard, err);
        return -1;
    }
    out->standard = standard;
    out->rows = yb_cs_table_count(t);
    out->table_bytes = yb_cs_table_memory(t);

    /* Keys in random order, laid out flat so that reading them is cheap
     * and the time is the table's. */
    size_t sample = n < KEY_SAMPLE ? n : KEY_SAMPLE;
    char *hits = malloc(sample * KEY_WIDTH), *misses = malloc(sample * KEY_WIDTH);
    unsigned char *lens = malloc(sample * 2);
    if (!hits || !misses || !lens) {
        yb_cs_table_free(t);
        free(hits);
        free(misses);
        free(lens);
        return -1;
    }
    unsigned long long x = 88172645463325252ULL;
    for (size_t i = 0; i < sample; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        code(hits + i * KEY_WIDTH, KEY_WIDTH, (unsigned long)(x % n));
        code(misses + i * KEY_WIDTH, KEY_WIDTH, n + (unsigned long)(x % n));
        lens[2 * i] = (unsigned char)strlen(hits + i * KEY_WIDTH);
        lens[2 * i + 1] = (unsigned char)strlen(misses + i * KEY_WIDTH);
    }
    size_t found = 0;
    unsigned half = LOOKUPS / 2;
    t0 = bench_now();
    for (unsigned i = 0; i < half; i++) {
        size_t k = i % sample;
        found += yb_cs_table_find(t, hits + k * KEY_WIDTH, lens[2 * k]) != NULL;
    }
    out->hit_ns = (bench_now() - t0) * 1e9 / half;
    t0 = bench_now();
    for (unsigned i = 0; i < half; i++) {
        size_t k = i % sample;
        found += yb_cs_table_find(t, misses + k * KEY_WIDTH, lens[2 * k + 1]) != NULL;
    }
    out->miss_ns = (bench_now() - t0) * 1e9 / half;
    if (found != half)
        fprintf(stderr, "%s: %zu of %u lookups found, expected %u\n", standard, found, LOOKUPS,
                half);
    free(hits);
    free(misses);
    free(lens);
    yb_cs_table_free(t);
    return found == half ? 0 : -1;
}

int main(int argc, char **argv)
{
    unsigned long rows = 1000000;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            char *end;
            rows = strtoul(argv[++i], &end, 10);
            if (*end || rows == 0 || rows > 50000000) {
                fprintf(stderr, "--rows takes 1 to 50000000\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc) {
            keep = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--rows N] [--keep DIR]\n", argv[0]);
            return 2;
        }
    }
    char dir[4096];
    if (bench_workdir(keep, "ybgw-codes-bench", dir, sizeof(dir)))
        return 1;
    if (keep) {
        char db[4200];
        snprintf(db, sizeof(db), "%s/codes.db", dir);
        remove(db); /* a fresh database each run */
    }
    /* Large blocks always from mmap and back to the system when freed, so
     * the resident size measured around a load is the table's, not memory
     * the import left in the heap. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
    struct result r[2];
    memset(r, 0, sizeof(r));
    int rc = bench_standard(dir, src, "drug", "药品代码,注册名称,开始日期,结束日期", "drug",
                            fallback_drug_rules, bench_drug_code, rows, &r[0]);
    if (rc == 0)
        rc = bench_standard(dir, src, "consumable", "耗材代码,医保通用名,开始日期,结束日期",
                            "consumable", fallback_consumable_rules, bench_consumable_code, rows,
                            &r[1]);
    if (rc == 0) {
        printf("\n%-10s %8s %14s %8s %12s %9s %6s %8s %6s %7s\n", "standard", "rows",
               "import s (cpu)", "rows/s", "load s (cpu)", "table MiB", "B/row", "RSS +MiB",
               "hit ns", "miss ns");
        for (int i = 0; i < 2; i++)
            printf("%-10s %8lu %6.2f (%5.2f) %8.0f %5.2f (%4.2f) %9.1f %6.1f %8.1f %6.0f %7.0f\n",
                   r[i].standard, r[i].rows, r[i].import_s, r[i].import_cpu,
                   (double)r[i].rows / r[i].import_s, r[i].load_s, r[i].load_cpu,
                   (double)r[i].table_bytes / 1048576.0,
                   (double)r[i].table_bytes / (double)r[i].rows,
                   (double)(r[i].rss_after - r[i].rss_before) / 1024.0, r[i].hit_ns, r[i].miss_ns);
        printf("one random memory access on this machine (for scale): %.0f ns\n",
               bench_memory_access_ns(128));
        printf("database %s/codes.db: %.1f MiB for both tables\n", dir,
               (double)r[1].db_bytes / 1048576.0);
    }
    if (!keep)
        bench_remove_tree(dir);
    return rc == 0 ? 0 : 1;
}
