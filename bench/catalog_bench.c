/*
 * catalog_bench.c - how the catalog mapping (目录对照) scales: import rate
 * into the store, load time and memory of the in-memory map, and the cost
 * of a lookup on the request path, for a large hospital catalogue.
 *
 * Generates N SYNTHETIC mappings as a 3301-shaped CSV (a 12-character
 * institution code, a 10-character local code, a name of about 20 Chinese
 * characters that starts with 合成数据 ("synthetic data"), list type 101,
 * 201 or 301, a national code of 23, 15 or 27 characters, two dates), in
 * scrambled order, and one local code in fifty shares its national code
 * with another so that the reverse index holds ambiguous groups as real
 * catalogues do. None of the codes or names is a real product. It imports
 * the file with yb_cat_import into a temporary store, loads that with
 * yb_cat_map_load (map bytes, and VmRSS before and after), then times
 * yb_cat_map_find over hits and misses and yb_cat_map_find_national over
 * hits, each in a random key order so that caches do not flatter it. The
 * raw CSV size is printed next to the map's so the memory ratio is plain.
 *
 *   make bench/catalog_bench && bench/catalog_bench [--rows N] [--keep DIR]
 *
 * Not part of make check: a million rows take some seconds and a few
 * hundred megabytes.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "catalog.h"

#define INSTITUTION "H31010500018"
#define LOCAL_WIDTH 16
#define NATIONAL_WIDTH 32
#define LOOKUPS 4000000u
#define KEY_SAMPLE 1000000u
#define SHARE_EVERY 50 /* item p, p % 50 == 0, takes the national code of item p - 3 */

static const char *const atc_classes[] = {"A01AB", "A02BC", "B01AC", "C07AB", "C09AA",
                                          "J01CA", "J01DD", "N02BE", "R05CB", "A10BA"};
static const char *const drug_words[] = {"阿莫西林", "头孢克肟", "布洛芬缓", "二甲双胍",
                                         "阿托伐他", "氯雷他定", "奥美拉唑", "硝苯地平"};
static const char *const form_words[] = {"胶囊", "片剂", "颗粒", "针剂", "口服", "贴剂"};
static const char *const list_types[] = {"101", "201", "301"};

/* The SYNTHETIC local code of item P (10 characters). */
static void local_code(char *buf, size_t cap, unsigned long p)
{
    static const char *const prefix[] = {"YP", "ZL", "HC"};
    snprintf(buf, cap, "%s%08lu", prefix[p % 3], p);
}

/* The SYNTHETIC national code of item P: a drug-, service- or
 * consumable-shaped code by list type (23, 15 or 27 characters). */
static void national_code(char *buf, size_t cap, unsigned long p)
{
    if (p % SHARE_EVERY == 0 && p >= 3)
        p -= 3;
    if (p % 3 == 0)
        snprintf(buf, cap, "X%sA%016lu", atc_classes[(p / 3) % 10], p);
    else if (p % 3 == 1)
        snprintf(buf, cap, "00%013lu", p);
    else
        snprintf(buf, cap, "C%02lu%02lu%02lu%03lu%017lu", 1 + p % 20, 1 + (p / 20) % 15,
                 1 + (p / 300) % 10, (p / 7) % 1000, p);
}

/* Write N rows in scrambled order (row i is item (i * k) mod n); the size
 * of the data rows (header excluded) goes to *bytes. */
static int write_csv(const char *path, unsigned long n, long long *bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    unsigned long k = bench_scramble_step(n);
    int header = fprintf(f, "fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,"
                            "med_list_codg,begndate,enddate\n");
    char local[LOCAL_WIDTH], national[NATIONAL_WIDTH];
    for (unsigned long i = 0; i < n; i++) {
        unsigned long p = (unsigned long)(((unsigned long long)i * k) % n);
        local_code(local, sizeof(local), p);
        national_code(national, sizeof(national), p);
        fprintf(f, "%s,%s,合成数据%s%s（样例规格%06lu号）,%s,%s,2021-%02lu-01,2099-12-31\n",
                INSTITUTION, local, drug_words[p % 8], form_words[(p / 8) % 6], p % 1000000,
                list_types[p % 3], national, 1 + p % 12);
    }
    long long total = ftell(f);
    *bytes = total - header;
    return fclose(f) == 0 && total > 0 ? 0 : -1;
}

struct result {
    unsigned long rows;
    long long csv_bytes, db_bytes;
    double import_s, import_cpu, load_s, load_cpu;
    size_t map_bytes, count;
    long rss_before, rss_after;
    double hit_ns, miss_ns, national_ns;
};

/* Time lookups over SAMPLE random keys (hits, misses, national codes). */
static int time_lookups(const struct yb_cat_map *map, unsigned long n, struct result *out)
{
    size_t sample = n < KEY_SAMPLE ? n : KEY_SAMPLE;
    char *hits = malloc(sample * LOCAL_WIDTH), *misses = malloc(sample * LOCAL_WIDTH);
    char *nats = malloc(sample * NATIONAL_WIDTH);
    unsigned char *lens = malloc(sample * 3);
    int rc = -1;
    if (!hits || !misses || !nats || !lens)
        goto fail;
    unsigned long long x = 88172645463325252ULL;
    for (size_t i = 0; i < sample; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned long p = (unsigned long)(x % n);
        local_code(hits + i * LOCAL_WIDTH, LOCAL_WIDTH, p);
        local_code(misses + i * LOCAL_WIDTH, LOCAL_WIDTH, n + p);
        national_code(nats + i * NATIONAL_WIDTH, NATIONAL_WIDTH, p);
        lens[3 * i] = (unsigned char)strlen(hits + i * LOCAL_WIDTH);
        lens[3 * i + 1] = (unsigned char)strlen(misses + i * LOCAL_WIDTH);
        lens[3 * i + 2] = (unsigned char)strlen(nats + i * NATIONAL_WIDTH);
    }
    size_t found = 0, missed = 0, grouped = 0;
    double t0 = bench_now();
    for (unsigned i = 0; i < LOOKUPS; i++) {
        size_t k = i % sample;
        found += yb_cat_map_find(map, INSTITUTION, hits + k * LOCAL_WIDTH, lens[3 * k]) != NULL;
    }
    out->hit_ns = (bench_now() - t0) * 1e9 / LOOKUPS;
    t0 = bench_now();
    for (unsigned i = 0; i < LOOKUPS; i++) {
        size_t k = i % sample;
        missed +=
            yb_cat_map_find(map, INSTITUTION, misses + k * LOCAL_WIDTH, lens[3 * k + 1]) == NULL;
    }
    out->miss_ns = (bench_now() - t0) * 1e9 / LOOKUPS;
    t0 = bench_now();
    for (unsigned i = 0; i < LOOKUPS; i++) {
        size_t k = i % sample, count = 0;
        yb_cat_map_find_national(map, INSTITUTION, nats + k * NATIONAL_WIDTH, lens[3 * k + 2],
                                 &count);
        grouped += count >= 1;
    }
    out->national_ns = (bench_now() - t0) * 1e9 / LOOKUPS;
    if (found != LOOKUPS || missed != LOOKUPS || grouped != LOOKUPS)
        fprintf(stderr, "lookups: %zu hits, %zu misses, %zu national codes of %u each\n", found,
                missed, grouped, LOOKUPS);
    else
        rc = 0;
fail:
    free(hits);
    free(misses);
    free(nats);
    free(lens);
    return rc;
}

static int run(const char *dir, unsigned long n, struct result *out)
{
    char csv[4200], db[4200], err[1024];
    struct yb_cat_store *st = NULL;
    struct yb_cat_map *map = NULL;
    int rc = -1;
    snprintf(csv, sizeof(csv), "%s/synthetic_mappings.csv", dir);
    snprintf(db, sizeof(db), "%s/catalog.db", dir);
    remove(db); /* a fresh store each run */
    printf("writing %lu SYNTHETIC mappings to %s\n", n, csv);
    if (write_csv(csv, n, &out->csv_bytes)) {
        fprintf(stderr, "cannot write %s: %s\n", csv, strerror(errno));
        return -1;
    }
    if (yb_cat_store_open(db, YB_CAT_CREATE, &st, err, sizeof(err))) {
        fprintf(stderr, "store %s: %s\n", db, err);
        return -1;
    }
    struct yb_cat_who who = {.by = "catalog_bench", .source = "import synthetic_mappings.csv"};
    struct yb_cat_import_opts opts = {.path = csv, .who = &who, .sync = YB_CAT_UNSYNCED};
    struct yb_cat_import_result res;
    memset(&res, 0, sizeof(res));
    double t0 = bench_now(), c0 = bench_cpu();
    int irc = yb_cat_import(st, &opts, &res, err, sizeof(err));
    out->import_s = bench_now() - t0;
    out->import_cpu = bench_cpu() - c0;
    yb_cat_store_close(st);
    st = NULL;
    if (irc || !res.committed || res.added != n) {
        fprintf(stderr, "import: %s (rows %llu, added %llu, rejected %llu; first: %s)\n",
                irc ? err : "not all rows added", (unsigned long long)res.rows,
                (unsigned long long)res.added, (unsigned long long)res.rejected, res.first_reject);
        return -1;
    }
    struct stat sb;
    out->db_bytes = stat(db, &sb) == 0 ? (long long)sb.st_size : -1;

    /* As the gateway does: a read-only handle, a fresh map. */
    if (yb_cat_store_open(db, YB_CAT_RDONLY, &st, err, sizeof(err))) {
        fprintf(stderr, "store %s: %s\n", db, err);
        return -1;
    }
    malloc_trim(0);
    out->rss_before = bench_rss_kib();
    t0 = bench_now();
    c0 = bench_cpu();
    if (yb_cat_map_new(&map) || yb_cat_map_load(map, st, NULL, err, sizeof(err))) {
        fprintf(stderr, "load: %s\n", map ? err : "out of memory");
        goto fail;
    }
    out->load_s = bench_now() - t0;
    out->load_cpu = bench_cpu() - c0;
    yb_cat_store_close(st); /* its page cache is not the map's memory */
    st = NULL;
    malloc_trim(0);
    out->rss_after = bench_rss_kib();
    out->rows = n;
    out->map_bytes = yb_cat_map_bytes(map);
    out->count = yb_cat_map_count(map);
    if (out->count != n || yb_cat_map_active(map) != n) {
        fprintf(stderr, "load: %zu keys, %zu active; expected %lu\n", out->count,
                yb_cat_map_active(map), n);
        goto fail;
    }
    rc = time_lookups(map, n, out);
fail:
    yb_cat_map_free(map);
    yb_cat_store_close(st);
    return rc;
}

static void report(const struct result *r)
{
    double mib = 1048576.0, rss = (double)(r->rss_after - r->rss_before) * 1024.0;
    printf("\nSYNTHETIC catalogue, %lu mappings of one institution\n", r->rows);
    printf("  raw CSV (data rows)   %8.1f MiB  %6.1f B/row\n", (double)r->csv_bytes / mib,
           (double)r->csv_bytes / (double)r->rows);
    printf("  import                %8.2f s (cpu %.2f)  %.0f rows/s  store %.1f MiB\n", r->import_s,
           r->import_cpu, (double)r->rows / r->import_s, (double)r->db_bytes / mib);
    printf("  load                  %8.2f s (cpu %.2f)  %.0f rows/s\n", r->load_s, r->load_cpu,
           (double)r->rows / r->load_s);
    printf("  map bytes             %8.1f MiB  %6.1f B/row  %.2f x the CSV\n",
           (double)r->map_bytes / mib, (double)r->map_bytes / (double)r->rows,
           (double)r->map_bytes / (double)r->csv_bytes);
    printf("  RSS before/after load %8.1f / %.1f MiB: +%.1f MiB, %.2f x the CSV\n",
           (double)r->rss_before / 1024.0, (double)r->rss_after / 1024.0, rss / mib,
           rss / (double)r->csv_bytes);
    printf("  find (local), hit     %8.0f ns\n", r->hit_ns);
    printf("  find (local), miss    %8.0f ns\n", r->miss_ns);
    printf("  find_national, hit    %8.0f ns\n", r->national_ns);
    printf("  (%u lookups each over a random sample of %lu keys; one random memory access\n"
           "  on this machine, for scale: %.0f ns)\n",
           LOOKUPS, r->rows < KEY_SAMPLE ? r->rows : (unsigned long)KEY_SAMPLE, bench_memory_access_ns(64));
}

int main(int argc, char **argv)
{
    unsigned long rows = 1000000;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            char *end;
            rows = strtoul(argv[++i], &end, 10);
            if (*end || rows < 100 || rows > 20000000) {
                fprintf(stderr, "--rows takes 100 to 20000000\n");
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
    if (bench_workdir(keep, "ybgw-catalog-bench", dir, sizeof(dir)))
        return 1;
    /* Large blocks from mmap and back to the system when freed, so the
     * resident size around the load is the map's, not what the import left
     * in the heap. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    struct result r;
    memset(&r, 0, sizeof(r));
    int rc = run(dir, rows, &r);
    if (rc == 0)
        report(&r);
    if (keep)
        printf("kept %s\n", dir);
    else
        bench_remove_tree(dir);
    return rc == 0 ? 0 : 1;
}
