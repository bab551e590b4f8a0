/*
 * memory_gen.c - the SYNTHETIC full-size inputs of bench/memory: a drug
 * table, a consumable table and one hospital's catalogue mappings (目录对照),
 * as the CSV files an integrator imports with `ybgwctl code import` and
 * `ybgwctl catalog import`.
 *
 *   bench/memory_gen --rows N --out DIR     writes DIR/drug.csv,
 *                                           DIR/consumable.csv, DIR/mappings.csv
 *   bench/memory_gen --rows N --probe       prints the codes bench/memory sends
 *
 * drug.csv and consumable.csv hold N rows each in the official headers
 * (codesets/STANDARD/columns.tsv): code, name, begin and end date, the
 * columns the importer keeps; codes from synthetic.h, rows in the
 * scrambled order and the names ("synthetic drug 0000123") of
 * bench/codes_bench, so the figures compare. mappings.csv holds N mappings
 * in the 3301 field names (the institution is given on the command line):
 * item P maps local code YP%08lu (P even, list_type 101) to drug code P, or
 * HC%08lu (P odd, 301) to consumable code P; one item in fifty shares the
 * national code of the item two before it, as real catalogues have several
 * local codes on one national code. Every mapped national code is in the
 * generated tables. The names start with 合成数据 ("synthetic data"); none of
 * the codes or names is a real product.
 *
 * --probe prints NAME=VALUE lines: a mapped local code of each list type
 * with its national code, a local code that has no mapping, and a 西药 code
 * of the right shape that is not in the drug table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "synthetic.h"

#define SHARE_EVERY 50
#define PROBE_ITEM 123456ul /* even: a drug mapping; PROBE_ITEM + 1: a consumable one */

/* Name parts, [0] for drugs (even items), [1] for consumables. */
static const char *const name_words[2][4] = {{"阿莫西林", "头孢克肟", "布洛芬", "二甲双胍"},
                                             {"导尿包", "输液器", "留置针", "敷贴"}};
static const char *const pack_words[2][3] = {{"胶囊", "片", "注射液"}, {"套", "支", "片"}};

/* The national code of mapping item P (a drug code for even P, a
 * consumable code for odd P). */
static void national_of(char *buf, size_t cap, unsigned long p)
{
    if (p % SHARE_EVERY == 0 && p >= 2)
        p -= 2; /* same parity: same list type */
    if (p % 2 == 0)
        bench_drug_code(buf, cap, p);
    else
        bench_consumable_code(buf, cap, p);
}

static void local_of(char *buf, size_t cap, unsigned long p)
{
    snprintf(buf, cap, "%s%08lu", p % 2 == 0 ? "YP" : "HC", p);
}

static int write_mappings(const char *path, unsigned long n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    unsigned long k = bench_scramble_step(n);
    char local[32], national[64];
    fprintf(f, "fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,"
               "enddate\n");
    for (unsigned long i = 0; i < n; i++) {
        unsigned long p = (unsigned long)(((unsigned long long)i * k) % n);
        local_of(local, sizeof(local), p);
        national_of(national, sizeof(national), p);
        fprintf(f, "%s,合成数据%s%s（样例规格%06lu号）,%s,%s,2021-%02lu-01,2099-12-31\n", local,
                name_words[p % 2][(p / 2) % 4], pack_words[p % 2][(p / 8) % 3], p % 1000000,
                p % 2 == 0 ? "101" : "301", national, 1 + p % 12);
    }
    return fclose(f) == 0 ? 0 : -1;
}

static void probe(unsigned long n)
{
    char local[32], national[64];
    unsigned long drug = PROBE_ITEM % n, consumable;
    drug -= drug % 2;
    if (drug % SHARE_EVERY == 0)
        drug += 2; /* an item with its own national code */
    consumable = drug + 1 < n ? drug + 1 : drug - 1;
    local_of(local, sizeof(local), drug);
    national_of(national, sizeof(national), drug);
    printf("drug_local=%s\ndrug_national=%s\n", local, national);
    local_of(local, sizeof(local), consumable);
    national_of(national, sizeof(national), consumable);
    printf("consumable_local=%s\nconsumable_national=%s\n", local, national);
    local_of(local, sizeof(local), n + 2);
    printf("unmapped_local=%s\n", local);
    bench_drug_code(national, sizeof(national), n);
    printf("missing_drug=%s\n", national);
}

int main(int argc, char **argv)
{
    unsigned long rows = 1000000;
    const char *out = NULL;
    int want_probe = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            char *end;
            rows = strtoul(argv[++i], &end, 10);
            if (*end || rows < 100 || rows > 50000000) {
                fprintf(stderr, "--rows takes 100 to 50000000\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--probe") == 0) {
            want_probe = 1;
        } else {
            out = NULL;
            want_probe = 0;
            break;
        }
    }
    if (!out == !want_probe) {
        fprintf(stderr, "usage: %s [--rows N] --out DIR | --probe\n", argv[0]);
        return 2;
    }
    if (want_probe) {
        probe(rows);
        return 0;
    }
    char path[4096];
    struct {
        const char *file, *header, *label;
        bench_code_fn code;
    } tables[] = {
        {"drug.csv", "药品代码,注册名称,开始日期,结束日期", "drug", bench_drug_code},
        {"consumable.csv", "耗材代码,医保通用名,开始日期,结束日期", "consumable",
         bench_consumable_code},
    };
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        snprintf(path, sizeof(path), "%s/%s", out, tables[t].file);
        if (bench_write_code_csv(path, tables[t].header, tables[t].label, tables[t].code, rows))
            goto fail;
    }
    snprintf(path, sizeof(path), "%s/mappings.csv", out);
    if (write_mappings(path, rows))
        goto fail;
    return 0;
fail:
    fprintf(stderr, "memory_gen: cannot write %s: %s\n", path, strerror(errno));
    return 1;
}
