/*
 * fuzz_csv_catalog.c - fuzz target of the catalogue mapping import (目录对照,
 * plugins/catalog/cat_import.c: yb_cat_import, the reader of one file
 * behind `ybgwctl catalog import` and `diff`).
 *
 * The input is the mapping file. It is imported as the CLI imports it
 * (the default list_types, rows without fixmedins_code belonging to the
 * demo hospital, --partial so the good rows are kept) into a fresh store
 * in the scratch directory. Then the properties:
 *   - a fresh store has nothing to change or keep: every written row is
 *     an addition, and the store holds exactly that many current rows;
 *   - importing is idempotent: a dry run (diff) of the same file against
 *     the store it made finds every good row the same, none added or
 *     changed, and rejects the same rows;
 *   - the mappings load into the in-memory map the gateway uses.
 */
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "fuzz.h"
#include "ybgw/ybgw.h"

/* the list_types `ybgwctl catalog import` allows without a configuration */
static const char *const list_types[] = {"101", "102", "103", "104", "201", "301", NULL};

static char file_path[4200], rejects_path[4200], store_path[4200], store_wal[4300], store_shm[4300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_path(file_path, sizeof(file_path), "mappings.csv");
    fuzz_scratch_path(rejects_path, sizeof(rejects_path), "mappings.csv.rejects");
    fuzz_scratch_path(store_path, sizeof(store_path), "catalog.db");
    snprintf(store_wal, sizeof(store_wal), "%s-wal", store_path);
    snprintf(store_shm, sizeof(store_shm), "%s-shm", store_path);
    return 0;
}

static void remove_files(void)
{
    unlink(file_path);
    unlink(rejects_path);
    unlink(store_path);
    unlink(store_wal);
    unlink(store_shm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    remove_files();
    fuzz_write_file(file_path, data, size);
    struct yb_cat_store *st = NULL;
    struct yb_cat_map *map = NULL;
    char err[2048] = "";
    FUZZ_CHECK(yb_cat_store_open(store_path, YB_CAT_CREATE, &st, err, sizeof(err)) == 0);
    struct yb_cat_who who = {"fuzz", "import mappings.csv", NULL, "2025-01-02 03:04:05"};
    struct yb_cat_import_opts opts = {
        .path = file_path,
        .fixmedins = "H45019900055",
        .reject_path = rejects_path,
        .who = &who,
        .list_types = list_types,
        .sync = YB_CAT_UNSYNCED,
        .partial = 1,
    };
    struct yb_cat_import_result first, again;
    int rc = yb_cat_import(st, &opts, &first, err, sizeof(err));
    if (rc) {
        FUZZ_CHECK(rc < 0 && err[0] && !first.committed);
        goto out;
    }
    FUZZ_CHECK(first.changed == 0 && first.same == 0);
    FUZZ_CHECK(first.added + first.rejected <= first.rows);
    struct yb_cat_counts counts;
    FUZZ_CHECK(yb_cat_store_counts(st, NULL, &counts) == 0);
    FUZZ_CHECK(counts.current == (first.committed ? first.added : 0));

    opts.dry_run = 1;
    rc = yb_cat_import(st, &opts, &again, err, sizeof(err));
    if (rc)
        fprintf(stderr, "the diff of an imported file fails: %s\n", err);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(!again.committed);
    FUZZ_CHECK(again.rows == first.rows && again.rejected == first.rejected);
    FUZZ_CHECK(again.added == 0 && again.changed == 0 && again.same == first.added);

    FUZZ_CHECK(yb_cat_map_new(&map) == 0);
    rc = yb_cat_map_load(map, st, NULL, err, sizeof(err));
    if (rc)
        fprintf(stderr, "the imported mappings do not load: %s\n", err);
    FUZZ_CHECK(rc == 0);
out:
    yb_cat_map_free(map);
    yb_cat_store_close(st);
    remove_files();
    return 0;
}
