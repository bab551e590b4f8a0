/*
 * ybgwctl.c - the admin command line: the table of subcommands and main.
 *
 * Each subcommand is a row (name, function, one line of help), in the manner
 * of the configuration's directive tables: adding `code`, `catalog` or
 * `journal` is adding a row and a file. A subcommand gets argv starting at
 * its own name, parses its own options, and returns the process's exit
 * status; nothing below main calls exit().
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "ctl_catalog.h"
#include "ctl_code.h"
#include "ctl_journal.h"
#include "ctl_subcommand.h"
#include "ctl_send.h"
#include "ctl_visit.h"
#include "settings.h"

static int check_config_main(int argc, char **argv);
static int help_main(int argc, char **argv);

static const struct ctl_subcommand commands[] = {
    {"check-config", check_config_main, "FILE", "check a ybgw.conf and print FILE: ok or why not"},
    {"send", ctl_send_main, "[--url URL] [--xml] [--encoding ENC] FILE|-",
     "post one message and print the answer with its route"},
    {"visit", ctl_visit_main, "[--url URL] [--xml] [--encoding ENC] [--quiet] [--json] SCRIPT",
     "run a scripted visit, one transaction per line"},
    {"code", ctl_code_main, "validate|explain|import|stats|versions|activate ...",
     "check codes as the gateway does; import and switch code tables"},
    {"catalog", ctl_catalog_main, "import|export|lookup|diff|sync ...",
     "the catalogue mappings (目录对照): import, inspect, upload to the platform"},
    {"journal", ctl_journal_main, "list|show|export|resolve|verify|audit ...",
     "the transaction journal: inspect, export, resolve unknown outcomes, verify the chain"},
    {"help", help_main, "[COMMAND]", "show this list, or one command's options"},
    {NULL, NULL, NULL, NULL},
};

static const struct ctl_subcommand *find_command(const char *name)
{
    for (const struct ctl_subcommand *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void list_commands(FILE *f)
{
    fprintf(f, "usage: ybgwctl COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (const struct ctl_subcommand *c = commands; c->name; c++)
        fprintf(f, "  %-13s %s\n  %-13s   %s %s\n", c->name, c->help, "", c->name, c->args);
    fprintf(f, "\nThe gateway's address comes from --url or YBGW_URL (default %s).\n",
            CTL_DEFAULT_URL);
}

static int help_main(int argc, char **argv)
{
    if (argc > 1) {
        const struct ctl_subcommand *c = find_command(argv[1]);
        if (!c) {
            fprintf(stderr, "ybgwctl: no command \"%s\"\n", argv[1]);
            list_commands(stderr);
            return CTL_EXIT_TRANSPORT;
        }
        if (c->run != help_main) {
            char help_flag[] = "--help";
            char *sub_argv[] = {argv[1], help_flag, NULL};
            return c->run(2, sub_argv);
        }
    }
    list_commands(stdout);
    return CTL_EXIT_OK;
}

/* ybgwctl check-config FILE: the same reading ybgw -t does for the file's
 * directives, without starting anything. */
static int check_config_main(int argc, char **argv)
{
    char err[1024] = "";
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: ybgwctl check-config FILE\n"
               "  Reads FILE as ybgw.conf; prints \"FILE: ok\" (exit 0) or file:line: reason "
               "(exit 1).\n");
        return CTL_EXIT_OK;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: ybgwctl check-config FILE\n");
        return CTL_EXIT_TRANSPORT;
    }
    struct yb_settings *s = yb_settings_load(argv[1], err, sizeof(err));
    if (!s) {
        fprintf(stderr, "%s\n", err[0] ? err : "cannot read the configuration");
        return CTL_EXIT_REJECTED;
    }
    yb_settings_free(s);
    printf("%s: ok\n", argv[1]);
    return CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        list_commands(argc < 2 ? stderr : stdout);
        return argc < 2 ? CTL_EXIT_TRANSPORT : CTL_EXIT_OK;
    }
    const struct ctl_subcommand *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "ybgwctl: no command \"%s\"\n", argv[1]);
        list_commands(stderr);
        return CTL_EXIT_TRANSPORT;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "ybgwctl: cannot initialise libcurl\n");
        return CTL_EXIT_TRANSPORT;
    }
    int rc = c->run(argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
