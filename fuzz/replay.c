/*
 * replay.c - run a fuzz target over files, without libFuzzer.
 *
 * Linked with one target (fuzz_NAME.c, built with -DYB_FUZZ_NAME="NAME"),
 * this is the make check test of that target: with no arguments it feeds
 * every file of fuzz/corpus/NAME/ (the seeds, which must exist) and of
 * fuzz/regress/NAME/ (the crash reproducers kept after a fix, if any) to
 * LLVMFuzzerTestOneInput, in name order. Arguments name other files or
 * folders instead (to try a crash file from a fuzzing run with gcc).
 *
 * A finding aborts (ASan, UBSan or the target's own FUZZ_CHECK), which
 * fails the test; so does an empty corpus, so a test that ran nothing
 * cannot pass. CI builds it with gcc, and again with the sanitizers.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef YB_FUZZ_NAME
#error "build with -DYB_FUZZ_NAME=\"target\""
#endif

#define REPLAY_MAX_FILE ((size_t)16 << 20) /* larger than any seed needs to be */

/* Read path whole; NULL (with a message) if it cannot be read. */
static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = malloc(REPLAY_MAX_FILE);
    size_t n = buf ? fread(buf, 1, REPLAY_MAX_FILE, f) : 0;
    int bad = !buf || ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: %s: cannot read it whole (at most %zu bytes)\n", path,
                REPLAY_MAX_FILE);
        free(buf);
        return NULL;
    }
    *size = n;
    return buf;
}

/* Feed one file. Returns 0, or -1 if it could not be read. */
static int run_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = read_all(path, &size);
    if (!data)
        return -1;
    /* a copy of exactly size bytes, so ASan sees a read past the end */
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact) {
        free(data);
        return -1;
    }
    if (size)
        memcpy(exact, data, size);
    free(data);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feed every regular file of dir, in name order; *count gets how many.
 * Returns 0, 1 if dir does not exist, -1 on an error. */
static int run_dir(const char *dir, unsigned long *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 1 : -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue; /* ., .. and hidden files such as .gitignore */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof(*names));
            if (!grown) {
                rc = -1;
                break;
            }
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[8192];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (run_file(path))
            rc = -1;
        else
            (*count)++;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    unsigned long count = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            struct stat st;
            int rc = -1;
            if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
                rc = run_dir(argv[i], &count);
            else if (run_file(argv[i]) == 0)
                rc = 0, count++;
            if (rc) {
                fprintf(stderr, "replay %s: cannot read %s\n", YB_FUZZ_NAME, argv[i]);
                return 1;
            }
        }
        printf("replay %s: %lu inputs, no finding\n", YB_FUZZ_NAME, count);
        return 0;
    }
    char corpus[4096], regress[4096];
    fuzz_srcpath(corpus, sizeof(corpus), "fuzz/corpus/" YB_FUZZ_NAME);
    fuzz_srcpath(regress, sizeof(regress), "fuzz/regress/" YB_FUZZ_NAME);
    unsigned long seeds = 0, crashes = 0;
    if (run_dir(corpus, &seeds) != 0 || seeds == 0) {
        fprintf(stderr, "replay %s: no seed corpus in %s\n", YB_FUZZ_NAME, corpus);
        return 1;
    }
    if (run_dir(regress, &crashes) < 0) {
        fprintf(stderr, "replay %s: cannot read %s\n", YB_FUZZ_NAME, regress);
        return 1;
    }
    printf("replay %s: %lu seeds and %lu reproducers, no finding\n", YB_FUZZ_NAME, seeds, crashes);
    return 0;
}
