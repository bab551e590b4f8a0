/*
 * ctl_subcommand.c - finding and running a row of a ybgwctl subcommand
 * table (ctl_subcommand.h).
 */
#include "ctl_subcommand.h"

#include <string.h>

#include "ctl_send.h"

const struct ctl_subcommand *ctl_subcommand_find(const struct ctl_subcommand *table,
                                                 const char *name)
{
    for (const struct ctl_subcommand *c = table; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void ctl_subcommand_usage(FILE *f, const char *group, const struct ctl_subcommand *table,
                          const char *name)
{
    const struct ctl_subcommand *c = ctl_subcommand_find(table, name);
    if (c)
        fprintf(f, "usage: ybgwctl %s %s %s\n  %s\n", group, c->name, c->args, c->help);
}

void ctl_subcommand_list(FILE *f, const char *group, const struct ctl_subcommand *table,
                         int width, int with_args)
{
    fprintf(f, "usage: ybgwctl %s SUBCOMMAND [OPTIONS] [ARGS]\n\n", group);
    for (const struct ctl_subcommand *c = table; c->name; c++) {
        fprintf(f, "  %-*s %s\n", width, c->name, c->help);
        if (with_args)
            fprintf(f, "  %-*s   %s %s\n", width, "", c->name, c->args);
    }
}

int ctl_subcommand_main(const char *group, const struct ctl_subcommand *table,
                        void (*usage)(FILE *f), int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CTL_EXIT_TRANSPORT;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CTL_EXIT_OK;
    }
    const struct ctl_subcommand *c = ctl_subcommand_find(table, argv[1]);
    if (!c) {
        fprintf(stderr, "ybgwctl %s: no subcommand \"%s\"\n", group, argv[1]);
        usage(stderr);
        return CTL_EXIT_TRANSPORT;
    }
    return c->run(argc - 1, argv + 1);
}
