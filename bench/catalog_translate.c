/*
 * catalog_translate.c - what catalog mapping (目录对照) adds to a fee upload,
 * per detail line, through the path the gateway takes: the catalog plugin
 * and the drug, service and consumable plugins loaded by the real plugin
 * host, the catalog's prepare hook (fill the national code, ask its
 * standard) and request hook (agreement, fee date) run on a decoded 2204.
 *
 *   bench/catalog_translate [--rows N] [--lines L] [--seconds S]
 *
 * It fills a temporary store with N SYNTHETIC mappings (local code L%07d to
 * the spec's real 西药 and 导尿 codes, alternately), loads it, then times
 * the two hooks on 2204 messages of L lines with local codes only, each
 * message decoded afresh outside the timing (the prepare hook writes into
 * it). Printed: the store's load time and memory, and ns per line. Not part
 * of make check: timing belongs in benchmarks, not in tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "catalog.h"
#include "codec_json.h"
#include "plugin_host.h"
#include "server.h"
#include "settings.h"
#include "txn.h"

#define HOSP "H45019900055"

static const char *const NATIONAL[2] = {"XA01ABD075A002010100483", "001216000010100"};
static const char *const LIST_TYPE[2] = {"101", "201"};

static int fill_store(const char *path, unsigned long rows)
{
    struct yb_cat_store *st;
    char err[256], local[24];
    if (yb_cat_store_open(path, YB_CAT_CREATE, &st, err, sizeof(err))) {
        fprintf(stderr, "store %s: %s\n", path, err);
        return -1;
    }
    struct yb_cat_who who = {"bench", "bench", NULL, "2026-01-01 00:00:00"};
    struct yb_cat_row row = {{NULL}};
    row.f[YB_CAT_FIXMEDINS_CODE] = HOSP;
    row.f[YB_CAT_HILIST_ID] = local;
    row.f[YB_CAT_HILIST_NAME] = "合成的本院项目名称(SYNTHETIC)";
    row.f[YB_CAT_BEGNDATE] = "2024-01-01";
    row.f[YB_CAT_ENDDATE] = "2099-12-31";
    int rc = yb_cat_store_begin(st);
    for (unsigned long i = 0; i < rows && rc == 0; i++) {
        snprintf(local, sizeof(local), "L%07lu", i);
        row.f[YB_CAT_LIST_TYPE] = LIST_TYPE[i % 2];
        row.f[YB_CAT_MED_LIST_CODG] = NATIONAL[i % 2];
        rc = yb_cat_store_put(st, &row, YB_CAT_SYNCED, &who, NULL);
    }
    if (rc == 0)
        rc = yb_cat_store_commit(st);
    if (rc)
        fprintf(stderr, "store %s: %s\n", path, yb_cat_store_error(st));
    yb_cat_store_close(st);
    return rc;
}

static struct yb_plugin_set *load(const char *dir, const char *store, struct yb_settings **out)
{
    char path[512], err[2048];
    snprintf(path, sizeof(path), "%s/ybgw.conf", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "upstream u { endpoint http://127.0.0.1:1/; }\ndata_dir codesets;\n"
            "plugin_dir plugins/.libs;\ncode_tables codesets/codes.db;\nlog_level warn;\n"
            "plugin drug { }\nplugin service { }\nplugin consumable { }\n"
            "plugin catalog { store %s; list_kind 101 drug; list_kind 201 service;\n"
            "  translate 2204 feedetail medins_list_codg med_list_codg fee_ocur_time; }\n",
            store);
    fclose(f);
    *out = yb_settings_load(path, err, sizeof(err));
    struct yb_plugin_set *set = *out ? yb_plugins_load(*out, err, sizeof(err)) : NULL;
    if (!set)
        fprintf(stderr, "%s\n", err);
    return set;
}

/* A 2204 of LINES lines with random mapped local codes. */
static char *message(unsigned long rows, unsigned lines)
{
    size_t cap = 256 + (size_t)lines * 160;
    char *json = malloc(cap);
    size_t used = (size_t)snprintf(json, cap,
                                   "{\"infno\":\"2204\",\"fixmedins_code\":\"" HOSP
                                   "\",\"input\":{\"feedetail\":[");
    for (unsigned i = 0; i < lines; i++)
        used += (size_t)snprintf(json + used, cap - used,
                                 "%s{\"feedetl_sn\":\"%u\",\"medins_list_codg\":\"L%07lu\","
                                 "\"fee_ocur_time\":\"2026-11-23 09:00:00\"}",
                                 i ? "," : "", i, (unsigned long)rand() % rows);
    snprintf(json + used, cap - used, "]}}");
    return json;
}

int main(int argc, char **argv)
{
    unsigned long rows = 1000000;
    unsigned lines = 50;
    double seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc)
            lines = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--rows N] [--lines L] [--seconds S] (run from the top "
                            "of the build tree)\n",
                    argv[0]);
            return 2;
        }
    }
    if (rows == 0 || lines == 0 || lines > 5000)
        return 2;
    char dir[] = "/tmp/ybgw-catalog-translate-XXXXXX", store[128];
    if (!mkdtemp(dir))
        return 1;
    snprintf(store, sizeof(store), "%s/catalog.db", dir);
    double t0 = bench_now();
    if (fill_store(store, rows))
        return 1;
    printf("store: %lu SYNTHETIC mappings written in %.2f s\n", rows, bench_now() - t0);

    long rss0 = bench_rss_kib();
    t0 = bench_now();
    struct yb_settings *settings = NULL;
    struct yb_plugin_set *set = load(dir, store, &settings);
    if (!set)
        return 1;
    printf("plugins with the store loaded in %.2f s, resident memory +%.1f MiB\n",
           bench_now() - t0, (double)(bench_rss_kib() - rss0) / 1024.0);

    struct yb_snapshot snap = {.settings = settings, .plugins = set};
    struct yb_json_limits limits = {0, 0, 0};
    char err[256];
    double busy = 0, end = bench_now() + seconds;
    unsigned long messages = 0, findings = 0;
    while (bench_now() < end) {
        char *json = message(rows, lines);
        struct yb_txn txn;
        memset(&txn, 0, sizeof(txn));
        txn.pool = yb_pool_create(0);
        yb_diag_init(&txn.diag, txn.pool, 64);
        txn.infno = "2204";
        txn.snap = &snap;
        if (yb_json_decode(txn.pool, json, strlen(json), &limits, &txn.request, err,
                           sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double t = bench_now();
        yb_plugins_on_prepare(set, &txn);
        yb_plugins_on_request(set, &txn);
        busy += bench_now() - t;
        findings += txn.diag.errors + txn.diag.warnings;
        messages++;
        yb_pool_destroy(txn.pool);
        free(json);
    }
    printf("2204 of %u local-only lines: %lu messages, %.1f us per message, %.0f ns per line "
           "(fill + standard check + agreement and date), %lu findings\n",
           lines, messages, busy / (double)messages * 1e6,
           busy / (double)(messages * lines) * 1e9, findings);
    yb_plugins_free(set);
    yb_settings_free(settings);
    bench_remove_tree(dir);
    return findings == 0 ? 0 : 1;
}
