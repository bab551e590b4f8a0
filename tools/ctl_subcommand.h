/*
 * ctl_subcommand.h - the subcommand tables of ybgwctl: `ybgwctl GROUP NAME
 * ...` for the groups code, catalog and journal, and ybgwctl's own table.
 *
 * A group is a table of rows (name, function, arguments, one line of help)
 * ending with a NULL name; finding a row, printing one row's usage and
 * running argv[1] are the same for every group, so they live here once.
 */
#ifndef YB_CTL_SUBCOMMAND_H
#define YB_CTL_SUBCOMMAND_H

#include <stdio.h>

struct ctl_subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv starts at its own name */
    const char *args;
    const char *help;
};

/* The row called name, or NULL. */
const struct ctl_subcommand *ctl_subcommand_find(const struct ctl_subcommand *table,
                                                 const char *name);

/* "usage: ybgwctl GROUP NAME ARGS\n  HELP\n" for row name (nothing when
 * there is none). */
void ctl_subcommand_usage(FILE *f, const char *group, const struct ctl_subcommand *table,
                          const char *name);

/* The head of a group's usage: "usage: ybgwctl GROUP SUBCOMMAND ...", then
 * a row per subcommand, its name padded to width, then its help; with_args:
 * a second line with the name and its arguments. */
void ctl_subcommand_list(FILE *f, const char *group, const struct ctl_subcommand *table,
                         int width, int with_args);

/* Run the row argv[1] names with argv from there. --help, -h or help: the
 * group's usage on stdout, exit status 0; no name or an unknown one: a
 * message and the usage on stderr, exit status 2. */
int ctl_subcommand_main(const char *group, const struct ctl_subcommand *table,
                        void (*usage)(FILE *f), int argc, char **argv);

#endif
