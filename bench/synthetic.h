/*
 * synthetic.h - the SYNTHETIC drug and consumable codes the benchmarks
 * generate (header-only, like benchutil.h: the programs are built on
 * demand, one source each).
 *
 * Code number P of a standard is always the same code, so one program can
 * write a table and another can name a code that is in it (number < rows)
 * or one of the right shape that is not (number >= rows). The codes pass
 * the shipped rules (codesets/drug and codesets/consumable) but none is a
 * real product.
 */
#ifndef YB_BENCH_SYNTHETIC_H
#define YB_BENCH_SYNTHETIC_H

#include <stdio.h>

#include "benchutil.h"

/* Real ATC level-4 classes (codesets/drug/atc.tsv): the drug rules check
 * that the class exists. */
static const char *const bench_atc_classes[] = {"A01AB", "A02BC", "B01AC", "C07AB", "C09AA",
                                                "J01CA", "J01DD", "N02BE", "R05CB", "A10BA"};

/* The SYNTHETIC 西药 code number P: X + ATC4 + name, dosage form,
 * specification and enterprise parts, 23 characters (distinct for P below
 * 10^9). */
static inline void bench_drug_code(char *buf, size_t cap, unsigned long p)
{
    snprintf(buf, cap, "X%s%c%03luT%03lu%04lu%05lu", bench_atc_classes[p % 10],
             (char)('A' + (p / 10) % 26), (p / 260) % 1000, p % 997, (p / 100000) % 10000,
             p % 100000);
}

/* The SYNTHETIC consumable code number P: C + 26 digits (distinct for P
 * below 10^17). */
static inline void bench_consumable_code(char *buf, size_t cap, unsigned long p)
{
    snprintf(buf, cap, "C%02lu%02lu%02lu%03lu%017lu", 1 + p % 20, 1 + (p / 20) % 15,
             1 + (p / 300) % 10, (p / 7) % 1000, p);
}

typedef void (*bench_code_fn)(char *buf, size_t cap, unsigned long p);

/* A code table of N SYNTHETIC rows as the importer takes it (header, then
 * code,name,begin,end), in scrambled order: row i is code number
 * (i * k) mod n, since official tables need not be sorted. 0 or -1. */
static inline int bench_write_code_csv(const char *path, const char *header, const char *label,
                                       bench_code_fn code, unsigned long n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    unsigned long k = bench_scramble_step(n);
    char buf[64];
    fprintf(f, "%s\n", header);
    for (unsigned long i = 0; i < n; i++) {
        unsigned long p = (unsigned long)(((unsigned long long)i * k) % n);
        code(buf, sizeof(buf), p);
        fprintf(f, "%s,synthetic %s %07lu,2020-01-01,\n", buf, label, p);
    }
    return fclose(f) == 0 ? 0 : -1;
}

#endif
