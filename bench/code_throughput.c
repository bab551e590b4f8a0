/*
 * code_throughput.c - how many codes per second one core validates, through
 * the same path the gateway takes: the configuration's plugins loaded by the
 * real plugin host, each code judged by its kind's validate().
 *
 *   bench/code_throughput [-c CONF] [--seconds S] [KIND=CODE ...]
 *
 * Without codes it uses the real example codes of the spec page, one per
 * kind that the configuration loads. It prints codes/s per kind and for the
 * mix, and the resident memory after loading (the loaded tables included).
 * Not part of make check: timing belongs in benchmarks, not in tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "plugin_host.h"
#include "settings.h"

struct sample {
    const char *kind, *code;
};

/* real codes from the spec page (and a region code of the demo pool) */
static const struct sample defaults[] = {
    {"drug", "XA01ABD075A002010100483"},
    {"drug", "XB06ACL388B0"},
    {"service", "001216000010100"},
    {"icd10yb", "A00.000"},
    {"icd10yb", "A00.000x001"},
    {"icd9yb", "03.1x01"},
    {"chronic", "M03900"},
    {"fixmedins", "H45019900055"},
    {"pharmacy", "P45010301036"},
    {"doctor", "D421003007628"},
    {"admdvs", "450199"},
};

/* Validate CODE with KIND for about SECONDS; returns codes per second. */
static double run(const struct yb_code_kind *k, const char *code, double seconds, int *status)
{
    size_t len = strlen(code);
    struct yb_code_verdict v;
    unsigned long n = 0;
    double start = bench_now(), end = start + seconds, t;
    do {
        for (int i = 0; i < 10000; i++) {
            k->validate(k->state, code, len, &v);
            n++;
        }
        t = bench_now();
    } while (t < end);
    *status = v.status;
    return (double)n / (t - start);
}

int main(int argc, char **argv)
{
    const char *conf = "conf/ybgw.conf";
    double seconds = 1.0;
    struct sample given[64];
    size_t n_given = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf = argv[++i];
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (strchr(argv[i], '=') && n_given < 64) {
            char *eq = strchr(argv[i], '=');
            *eq = '\0';
            given[n_given++] = (struct sample){argv[i], eq + 1};
        } else {
            fprintf(stderr, "usage: %s [-c CONF] [--seconds S] [KIND=CODE ...]\n", argv[0]);
            return 2;
        }
    }
    long rss_before = bench_rss_kib();
    char err[1024];
    struct yb_settings *s = yb_settings_load(conf, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t0 = bench_now();
    struct yb_plugin_set *set = yb_plugins_load(s, err, sizeof(err));
    if (!set) {
        fprintf(stderr, "%s\n", err);
        yb_settings_free(s);
        return 1;
    }
    double load_s = bench_now() - t0;
    printf("configuration %s: %zu kinds loaded in %.3f s, resident memory %+ld KiB\n", conf,
           yb_plugins_kind_count(set), load_s, bench_rss_kib() - rss_before);
    const struct sample *list = n_given ? given : defaults;
    size_t n = n_given ? n_given : sizeof(defaults) / sizeof(defaults[0]);
    printf("%-10s %-26s %-8s %14s %10s\n", "kind", "code", "verdict", "codes/s", "ns/code");
    double total_time = 0;
    size_t measured = 0;
    for (size_t i = 0; i < n; i++) {
        const struct yb_code_kind *k = yb_plugins_kind(set, list[i].kind);
        if (!k) {
            printf("%-10s %-26s (kind not loaded)\n", list[i].kind, list[i].code);
            continue;
        }
        int status;
        double rate = run(k, list[i].code, seconds, &status);
        static const char *const names[] = {"valid", "warn", "invalid"};
        printf("%-10s %-26s %-8s %14.0f %10.1f\n", list[i].kind, list[i].code,
               status >= 0 && status <= 2 ? names[status] : "?", rate, 1e9 / rate);
        total_time += 1.0 / rate;
        measured++;
    }
    if (measured)
        printf("mix: %.0f codes/s on one core (%.1f ns per code)\n", (double)measured / total_time,
               1e9 * total_time / (double)measured);
    yb_plugins_free(set);
    yb_settings_free(s);
    return 0;
}
