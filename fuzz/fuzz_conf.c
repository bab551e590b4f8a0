/*
 * fuzz_conf.c - fuzz target of the configuration language (gateway/conf.c)
 * through its real readers: yb_settings_load, with every directive table of
 * ybgw.conf (settings.c, and the upstream and caller blocks it hands on),
 * and yb_schema_load, the other language written in the same syntax
 * (conf/schemas/). Both read files only, so the input is written to a file
 * in the process's scratch directory first.
 *
 * A loaded configuration must be whole: the checks yb_settings_load
 * promises hold (an upstream exists and the default one is among them,
 * limits in their ranges). Errors must say "file:line: reason" or
 * "file: reason", naming the file.
 *
 * `include` reads other files: an input that includes a path with a '/'
 * is skipped, so the fuzzer stays in the scratch directory (where a
 * pattern such as `*` finds the input itself) instead of reading devices
 * and FIFOs of the machine, which is not a question about the parser.
 */
#include <string.h>

#include "fuzz.h"
#include "schema.h"
#include "settings.h"
#include "ybgw/ybgw.h"

static char conf_path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_path(conf_path, sizeof(conf_path), "ybgw.conf");
    return 0;
}

static void check_settings(const struct yb_settings *s)
{
    FUZZ_CHECK(s->tree && s->path && strcmp(s->path, conf_path) == 0);
    FUZZ_CHECK(s->n_upstreams >= 1 && s->upstreams);
    FUZZ_CHECK(s->default_upstream && yb_settings_upstream(s, s->default_upstream));
    FUZZ_CHECK(s->max_body >= 256 && s->max_body <= ((size_t)64 << 20));
    FUZZ_CHECK(s->txn_memory >= 4 * s->max_body);
    FUZZ_CHECK(s->json_depth >= 4 && s->json_depth <= 256);
    FUZZ_CHECK(s->workers >= 1 && s->workers <= YB_MAX_WORKERS);
    FUZZ_CHECK(s->max_hops >= 1 && s->max_hops <= 32);
    FUZZ_CHECK(s->n_plugin_dirs >= 1 && s->plugin_dirs[0]);
    FUZZ_CHECK(s->listen && s->admin_listen && s->service_path && s->service_path[0] == '/');
    for (int i = 0; i < s->n_plugins; i++)
        FUZZ_CHECK(s->plugins[i].name && s->plugins[i].block);
    /* the lookups the gateway makes on a loaded configuration */
    yb_settings_kind_policy(s, "drug");
    yb_settings_retry_safe(s, "1101");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_contains(data, size, "include") && memchr(data, '/', size))
        return 0;
    fuzz_write_file(conf_path, data, size);
    char err[1024];

    err[0] = '\0';
    struct yb_settings *s = yb_settings_load(conf_path, err, sizeof(err));
    if (s)
        check_settings(s);
    else
        FUZZ_CHECK(strncmp(err, conf_path, strlen(conf_path)) == 0 || strstr(err, "ybgw.conf"));
    yb_settings_free(s);

    err[0] = '\0';
    struct yb_schema_set *set = yb_schema_load(conf_path, err, sizeof(err));
    if (set) {
        for (size_t i = 0; i < yb_schema_count(set); i++) {
            const char *infno = yb_schema_infno_at(set, i);
            FUZZ_CHECK(infno && yb_schema_known(set, infno));
            yb_schema_title(set, infno);
        }
    } else {
        FUZZ_CHECK(err[0]);
    }
    yb_schema_free(set);
    unlink(conf_path);
    return 0;
}
