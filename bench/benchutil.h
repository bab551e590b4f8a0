/*
 * benchutil.h - the clocks and the memory reading the benchmark programs
 * share (header-only: the programs are built on demand, one source each).
 */
#ifndef YB_BENCHUTIL_H
#define YB_BENCHUTIL_H

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Wall-clock seconds (monotonic). */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process. */
static inline double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident memory of this process in KiB (VmRSS), or -1. */
static inline long bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* A step K (odd, near a million) with gcd(K, N) == 1, so that row i taking
 * item (i * K) mod N visits every item once, in scrambled order. */
static inline unsigned long bench_scramble_step(unsigned long n)
{
    unsigned long k = 1000003;
    for (;;) {
        unsigned long a = k, b = n;
        while (b) {
            unsigned long t = a % b;
            a = b;
            b = t;
        }
        if (a == 1)
            return k;
        k += 2;
    }
}

/* This machine's cost of one random memory access, for scale: a walk of
 * one random cycle (Sattolo's shuffle) through MIB MiB. A lookup in a large
 * table costs about one or two of these. -1 if out of memory. */
static inline double bench_memory_access_ns(size_t mib)
{
    size_t n = (mib << 20) / sizeof(uint32_t), steps = 2000000;
    uint32_t *next = malloc(n * sizeof(*next));
    if (!next)
        return -1;
    for (size_t i = 0; i < n; i++)
        next[i] = (uint32_t)i;
    unsigned long long x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = (size_t)(x % i);
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    uint32_t p = 0;
    double t0 = bench_now();
    for (size_t i = 0; i < steps; i++)
        p = next[p];
    double ns = (bench_now() - t0) * 1e9 / (double)steps;
    free(next);
    return p < n ? ns : -1; /* p is used: the walk is not optimised away */
}

/* The benchmark's working folder into dir: KEEP (created if missing) when
 * given, else a fresh /tmp/PREFIX-XXXXXX. 0, or -1 with the reason printed. */
static inline int bench_workdir(const char *keep, const char *prefix, char *dir, size_t cap)
{
    if (keep) {
        if (mkdir(keep, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "cannot create %s: %s\n", keep, strerror(errno));
            return -1;
        }
        snprintf(dir, cap, "%s", keep);
        return 0;
    }
    snprintf(dir, cap, "/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cannot create a temporary directory: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static inline int bench_remove_entry(const char *path, const struct stat *st, int flag,
                                     struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Remove DIR and everything in it. */
static inline void bench_remove_tree(const char *dir)
{
    nftw(dir, bench_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
