/*
 * fuzz.h - what the fuzz targets in fuzz/ share: the gateway's production
 * limits, the source tree's shipped data, a private scratch directory for
 * the parsers that read files only, and an assertion that stays on in every
 * build.
 *
 * Each target defines LLVMFuzzerInitialize (called once, before the first
 * input) and LLVMFuzzerTestOneInput. The same target source is linked two
 * ways: with libFuzzer (configure --enable-fuzz, clang) for fuzzing, and
 * with fuzz/replay.c (any compiler) so make check replays the seed corpus
 * and every kept crash reproducer.
 */
#ifndef YB_FUZZ_H
#define YB_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The limits a gateway runs with unless its configuration lowers them
 * (the defaults of gateway/settings.c and the literals of txn.c). A target
 * that used laxer ones would fuzz a gateway nobody runs. */
#define FUZZ_MAX_BODY ((size_t)1 << 20)    /* max_body */
#define FUZZ_JSON_DEPTH 32u                /* json_depth */
#define FUZZ_JSON_ITEMS 100000u            /* txn.c: members or items per container */
#define FUZZ_XML_NODES 200000u             /* txn.c: elements per document */
#define FUZZ_TXN_MEMORY ((size_t)16 << 20) /* txn_memory: one transaction's pool */
#define FUZZ_OUTPUT_MAX ((size_t)64 << 20) /* cap of an encoder's buffer */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the code under test does not hold: report and abort, so
 * libFuzzer keeps the input and the replay test fails. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The top of the source tree: $top_srcdir (make check sets it), else the
 * tree the target was built from. */
static inline const char *fuzz_srcdir(void)
{
    const char *top = getenv("top_srcdir");
#ifdef YB_FUZZ_SRCDIR
    if (!top || !*top)
        top = YB_FUZZ_SRCDIR;
#endif
    return top && *top ? top : ".";
}

/* srcdir/rel into buf; aborts if it does not fit (a setup error). */
static inline const char *fuzz_srcpath(char *buf, size_t cap, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", fuzz_srcdir(), rel);
    FUZZ_CHECK(n > 0 && (size_t)n < cap);
    return buf;
}

/* The scratch directory of this process: made once under $TMPDIR (use a
 * tmpfs such as /dev/shm for speed when fuzzing), emptied and removed at
 * exit. */
static char fuzz_scratch[4096];

static inline void fuzz_scratch_remove(void)
{
    if (!fuzz_scratch[0])
        return;
    DIR *d = opendir(fuzz_scratch);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[sizeof(fuzz_scratch) + 256];
        snprintf(path, sizeof(path), "%s/%s", fuzz_scratch, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(fuzz_scratch);
    fuzz_scratch[0] = '\0';
}

static inline const char *fuzz_scratch_dir(void)
{
    if (fuzz_scratch[0])
        return fuzz_scratch;
    const char *t = getenv("TMPDIR");
    int n =
        snprintf(fuzz_scratch, sizeof(fuzz_scratch), "%s/ybgw-fuzz.XXXXXX", t && *t ? t : "/tmp");
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof(fuzz_scratch) - 64);
    FUZZ_CHECK(mkdtemp(fuzz_scratch) != NULL);
    atexit(fuzz_scratch_remove);
    return fuzz_scratch;
}

/* scratch/name into buf. */
static inline const char *fuzz_scratch_path(char *buf, size_t cap, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", fuzz_scratch_dir(), name);
    FUZZ_CHECK(n > 0 && (size_t)n < cap);
    return buf;
}

/* Write data[0..size) to path (replacing it). Aborts on failure: a full
 * scratch disk is a setup error, not a finding. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);
}

/* 1 if the size bytes at data contain the NUL-terminated needle. */
static inline int fuzz_contains(const uint8_t *data, size_t size, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n && i + n <= size; i++)
        if (memcmp(data + i, needle, n) == 0)
            return 1;
    return 0;
}

#endif
