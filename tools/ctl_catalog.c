/*
 * ctl_catalog.c - `ybgwctl catalog`: the sub-command table, and what the
 * sub-commands share (ctl_catalog.h): the configuration, the store's path,
 * small helpers.
 *
 * Everything goes through libybcatalog (plugins/catalog/catalog.h); the
 * ybgwctl side parses options, finds the store and prints. The store is
 * --db, else the `store` of the configuration's `plugin catalog { }`
 * section, so a command works on the very file the gateway serves from.
 * Exit status of every sub-command: 0 done, 1 the data was refused, differs
 * or was not found, 2 bad usage, I/O, configuration, unreachable gateway.
 */
#include "ctl_catalog.h"

#include <inttypes.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_send.h"
#include "ctl_subcommand.h"
#include "plugin_host.h"
#include "settings.h"

static const struct ctl_subcommand cat_commands[] = {
    {"import", ctl_cat_import_main,
     "FILE [--fixmedins CODE] [--db PATH | -c CONF] [--rejects PATH] [--partial] [--synced] "
     "[--by NAME] [--no-check-codes] [--quiet] [--json]",
     "import a CSV or TSV file with the 3301 header into the store"},
    {"export", ctl_cat_export_main,
     "[--fixmedins CODE] [--history] [--format csv|tsv|json] [-o FILE] [--db PATH | -c CONF]",
     "write the current mappings (or, with --history, every row) as a file"},
    {"lookup", ctl_cat_lookup_main,
     "CODE [--fixmedins CODE] [--national] [--json] [--db PATH | -c CONF]",
     "the current mapping of a local code and its history"},
    {"diff", ctl_cat_diff_main,
     "FILE [--fixmedins CODE] [--no-check-codes] [--json] [--db PATH | -c CONF]",
     "what importing FILE would change, without changing anything"},
    {"sync", ctl_cat_sync_main,
     "[--fixmedins CODE] [--url URL] [--batch N] [--admdvs CODE] [--opter ID] "
     "[--opter-name NAME] [--fixmedins-name NAME] [--dry-run] [--quiet] [--json] "
     "[--db PATH | -c CONF]",
     "upload the unsynced mappings to the platform with 3301, through the gateway"},
    {NULL, NULL, NULL, NULL},
};

/* ---- shared helpers (ctl_catalog.h) ---- */

void ctl_cat_usage(FILE *f, const char *name)
{
    ctl_subcommand_usage(f, "catalog", cat_commands, name);
}

const char *ctl_cat_thousands(uint64_t n, char *buf, size_t cap)
{
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

double ctl_cat_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *ctl_cat_login(void)
{
    const struct passwd *pw = getpwuid(geteuid());
    const char *user = getenv("USER");
    if (pw && pw->pw_name && *pw->pw_name)
        return pw->pw_name;
    return user && *user ? user : "unknown";
}

void ctl_cat_print_json(json_t *o)
{
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line)
        printf("%s\n", line);
    else
        fprintf(stderr, "ybgwctl catalog: out of memory\n");
    free(line);
    json_decref(o);
}

/* ---- the options every sub-command shares ---- */

int ctl_cat_getopt(int argc, char **argv, const char *shortopts, const struct option *options,
                   struct ctl_cat_opts *o)
{
    for (;;) {
        int opt = getopt_long(argc, argv, shortopts, options, NULL);
        switch (opt) {
        case 'f':
            o->fixmedins = optarg;
            break;
        case 'D':
            o->db = optarg;
            break;
        case 'c':
            o->conf = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case '?':
        case ':':
            ctl_cat_usage(stderr, o->cmd);
            return '?';
        default:
            return opt;
        }
    }
}

int ctl_cat_operands(const struct ctl_cat_opts *o, int argc, char **argv, int n)
{
    int ok = argc - optind == n;
    for (int i = optind; ok && i < argc; i++)
        ok = argv[i][0] != '\0';
    if (!ok)
        ctl_cat_usage(stderr, o->cmd);
    return ok ? 0 : -1;
}

/* ---- the configuration ---- */

int ctl_cat_conf_read(struct ctl_cat_conf *c, const char *given, const char *cmd, int quiet,
                      char *err, size_t errcap)
{
    c->section = NULL;
    if (ctl_conf_read(&c->base, given, err, errcap)) {
        if (!quiet)
            fprintf(stderr, "ybgwctl catalog %s: %s%s\n", cmd, err,
                    given ? "" : " (name one with -c FILE, or give --db PATH)");
        return -1;
    }
    const struct yb_settings *s = c->base.settings;
    for (int i = 0; i < s->n_plugins; i++)
        if (strcmp(s->plugins[i].name, "catalog") == 0)
            c->section = s->plugins[i].block;
    return 0;
}

void ctl_cat_conf_close(struct ctl_cat_conf *c)
{
    ctl_conf_close(&c->base);
    c->section = NULL;
}

int ctl_cat_conf_store(const struct ctl_cat_conf *c, const char *cmd, char *out, size_t cap)
{
    const char *store = c->section ? yb_conf_value(c->section, "store") : NULL;
    if (!store) {
        fprintf(stderr,
                "ybgwctl catalog %s: %s has no `plugin catalog { store FILE; }`; give --db PATH\n",
                cmd, c->base.path);
        return -1;
    }
    if (yb_settings_path(store, out, cap)) {
        fprintf(stderr, "ybgwctl catalog %s: %s: the store path is too long\n", cmd, c->base.path);
        return -1;
    }
    return 0;
}

int ctl_cat_store_path(const char *cmd, const char *db, const char *conf_path, char *out,
                       size_t cap)
{
    struct ctl_cat_conf c;
    char err[2048];
    if (db) {
        if ((size_t)snprintf(out, cap, "%s", db) >= cap) {
            fprintf(stderr, "ybgwctl catalog %s: --db: the path is too long\n", cmd);
            return -1;
        }
        return 0;
    }
    if (ctl_cat_conf_read(&c, conf_path, cmd, 0, err, sizeof(err)))
        return -1;
    int rc = ctl_cat_conf_store(&c, cmd, out, cap);
    ctl_cat_conf_close(&c);
    return rc;
}

int ctl_cat_store_open(const char *cmd, const char *db, const char *conf_path, int flags,
                       struct yb_cat_store **st, char *path, size_t cap)
{
    char err[1024] = "";
    *st = NULL;
    if (ctl_cat_store_path(cmd, db, conf_path, path, cap))
        return -1;
    if (flags == YB_CAT_RDONLY && access(path, F_OK) != 0) {
        fprintf(stderr, "ybgwctl catalog %s: %s: no such store (import a file first)\n", cmd, path);
        return -1;
    }
    if (yb_cat_store_open(path, flags, st, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", cmd, path, err[0] ? err : "cannot open");
        return -1;
    }
    return 0;
}

/* ---- ybgwctl catalog ---- */

static void catalog_usage(FILE *f)
{
    ctl_subcommand_list(f, "catalog", cat_commands, 7, 0);
    fprintf(f,
            "\nybgwctl catalog SUBCOMMAND --help shows its options. The store is --db PATH, "
            "else the\n`store` of `plugin catalog { }` in the configuration (-c CONF; default "
            "conf/ybgw.conf\nwhen present, else %s/ybgw.conf). Exit status: 0 done, 1 the data "
            "was refused,\ndiffers or was not found, 2 bad usage, I/O or an unreachable "
            "gateway.\n",
            YB_SYSCONFDIR);
}

int ctl_catalog_main(int argc, char **argv)
{
    return ctl_subcommand_main("catalog", cat_commands, catalog_usage, argc, argv);
}
