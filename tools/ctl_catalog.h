/*
 * ctl_catalog.h - ybgwctl catalog: the mapping store (目录对照) from the
 * command line (import, export, lookup, diff, sync).
 *
 * ctl_catalog.c         the sub-command table, the options they share,
 *                       finding the configuration and the store, small
 *                       shared helpers;
 * ctl_catalog_import.c  import and diff (a dry-run import), with the
 *                       coding-standard plugins judging national codes;
 * ctl_catalog_show.c    export and lookup, the read-only views;
 * ctl_catalog_sync.c    sync, the upload of unsynced mappings with 3301.
 *
 * The ctl_cat_ names below are what these files share; nothing else in
 * ybgwctl uses them except ctl_catalog_main.
 */
#ifndef YBGW_CTL_CATALOG_H
#define YBGW_CTL_CATALOG_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <jansson.h>

#include "catalog.h"
#include "ctl_conf.h"

/* `ybgwctl catalog` */
int ctl_catalog_main(int argc, char **argv);

/* The sub-commands; argv[0] is the sub-command's name. Each returns the
 * process's exit status (enum ctl_exit). */
int ctl_cat_import_main(int argc, char **argv); /* ctl_catalog_import.c */
int ctl_cat_diff_main(int argc, char **argv);   /* ctl_catalog_import.c */
int ctl_cat_export_main(int argc, char **argv); /* ctl_catalog_show.c */
int ctl_cat_lookup_main(int argc, char **argv); /* ctl_catalog_show.c */
int ctl_cat_sync_main(int argc, char **argv);   /* ctl_catalog_sync.c */

struct yb_conf;

/* The configuration as ybgw reads it, and its `plugin catalog { }`. */
struct ctl_cat_conf {
    struct ctl_conf base;          /* base.plugins: loaded by the caller, freed by close */
    const struct yb_conf *section; /* NULL when there is none */
};

/* Read GIVEN (NULL: conf/ybgw.conf when present, else the installed one).
 * Non-zero on failure, with the reason in err and, unless QUIET, printed. */
int ctl_cat_conf_read(struct ctl_cat_conf *c, const char *given, const char *cmd, int quiet,
                      char *err, size_t errcap);
void ctl_cat_conf_close(struct ctl_cat_conf *c);
/* The `store` of C's catalog section, relative to the current directory as
 * the gateway takes it. Prints why not and returns non-zero. */
int ctl_cat_conf_store(const struct ctl_cat_conf *c, const char *cmd, char *out, size_t cap);

/* Print the usage line of sub-command NAME to F. */
void ctl_cat_usage(FILE *f, const char *name);

/* ---- the options every sub-command shares ---- */

/* First in each sub-command's getopt_long table: --fixmedins CODE, --db
 * PATH, -c/--config CONF and --help. A sub-command that has --json or
 * --quiet lists them itself (with 'j', 'q'). */
/* clang-format off */
#define CTL_CAT_OPTIONS                                                                           \
    {"fixmedins", required_argument, NULL, 'f'}, {"db", required_argument, NULL, 'D'},            \
        {"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}
/* clang-format on */

/* What the shared options set; cmd is the sub-command's name (argv[0]). */
struct ctl_cat_opts {
    const char *cmd, *fixmedins, *db, *conf;
    int json, quiet;
};

/* getopt_long over ARGV that takes the shared options ('f', 'D', 'c', 'j',
 * 'q') into O itself. Returns the next other option, -1 at the end, or '?'
 * after printing the usage when an option is unknown or lacks its value. */
int ctl_cat_getopt(int argc, char **argv, const char *shortopts, const struct option *options,
                   struct ctl_cat_opts *o);

/* After the options: exactly N operands, none empty. Non-zero after
 * printing the usage when not. */
int ctl_cat_operands(const struct ctl_cat_opts *o, int argc, char **argv, int n);

/* The store's path: DB when given, else the `store` directive of the `plugin
 * catalog` section of CONF_PATH (NULL: the default configuration), taken
 * relative to the current directory as the gateway takes it. Prints why not
 * (as "ybgwctl catalog CMD: ...") and returns non-zero on failure. */
int ctl_cat_store_path(const char *cmd, const char *db, const char *conf_path, char *out,
                       size_t cap);

/* Open the store (ctl_cat_store_path, then yb_cat_store_open with FLAGS).
 * Prints why not and returns non-zero on failure. */
int ctl_cat_store_open(const char *cmd, const char *db, const char *conf_path, int flags,
                       struct yb_cat_store **st, char *path, size_t cap);

/* The name of the user running the command ("unknown" when there is none). */
const char *ctl_cat_login(void);

/* 1234567 -> "1,234,567" in buf. */
const char *ctl_cat_thousands(uint64_t n, char *buf, size_t cap);

/* Seconds on a monotonic clock. */
double ctl_cat_now(void);

/* Print O on one line and release it. */
void ctl_cat_print_json(json_t *o);

#endif
