/*
 * ctl_journal_export.c - `ybgwctl journal export`: the rows received in a
 * period as RFC 4180 CSV or a JSON array, for the auditor or a spreadsheet.
 *
 * Only the masked texts are exported, never the sealed ones. The rows
 * stream from SQLite to the output one at a time, so a year's journal costs
 * no more memory than one row. An --out file is made readable by its owner
 * only (masked data is still about patients) and removed again when the
 * export fails half way.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_journal.h"
#include "ctl_send.h"

/* ---- export ---- */

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF. */
static void put_csv(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

struct export_args {
    struct ctl_jr_opts o;
    const char *format, *out;
    int64_t since, until;
    int has_since, has_until;
};

static int export_options(int argc, char **argv, struct export_args *a)
{
    static const struct option options[] = {
        CTL_JR_OPTIONS,
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = ctl_jr_getopt(argc, argv, "c:o:h", options, &a->o)) != -1) {
        switch (opt) {
        case 'S':
            if (ctl_jr_time_option(a->o.cmd, "since", optarg, 0, &a->since))
                return -1;
            a->has_since = 1;
            break;
        case 'U':
            if (ctl_jr_time_option(a->o.cmd, "until", optarg, 1, &a->until))
                return -1;
            a->has_until = 1;
            break;
        case 'f':
            if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "json") != 0) {
                fprintf(stderr, "ybgwctl journal export: --format \"%s\": say csv or json\n",
                        optarg);
                return -1;
            }
            a->format = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'h':
            ctl_jr_usage(stdout, a->o.cmd);
            printf("  The rows received from --since (inclusive) to --until (exclusive; a date\n"
                   "  alone includes its day), oldest first, every column but the sealed texts\n"
                   "  (request and response are the masked ones), times in Unix ms, and\n"
                   "  received_local, the received time in local time.\n"
                   "  --format csv     RFC 4180, a header row, CRLF line ends (default)\n"
                   "  --format json    a JSON array of objects\n"
                   "  --out FILE       write FILE (mode 0600) instead of the standard output\n");
            return 1;
        default:
            return -1;
        }
    }
    if (ctl_jr_operands(&a->o, argc, argv, 0))
        return -1;
    if (!a->has_since || !a->has_until) {
        fprintf(stderr, "ybgwctl journal export: --since and --until are required (the period "
                        "to export)\n");
        return -1;
    }
    if (a->until <= a->since) {
        fprintf(stderr, "ybgwctl journal export: --until must be later than --since\n");
        return -1;
    }
    if (a->out && !*a->out) {
        fprintf(stderr, "ybgwctl journal export: --out takes a file name\n");
        return -1;
    }
    return 0;
}

/* Write one row of ST to F as CSV or as a JSON object. -1 on a write error. */
static int export_row(FILE *f, sqlite3_stmt *st, int json, int64_t n)
{
    char num[32], when[40];
    const char *local =
        ctl_jr_fmt_time(sqlite3_column_int64(st, CTL_JR_COL_RECEIVED_AT), when, sizeof(when));
    if (json) {
        json_t *r = json_object();
        for (int i = 0; r && i < (int)CTL_JR_N_COLUMNS; i++) {
            json_object_set_new(r, ctl_jr_columns[i], ctl_jr_column_json(st, i));
            if (i == CTL_JR_COL_RECEIVED_AT)
                json_object_set_new(r, "received_local", json_string(local));
        }
        char *text = r ? json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(r);
        if (!text)
            return -1;
        fprintf(f, "%s%s", n ? ",\n" : "", text);
        free(text);
    } else {
        for (int i = 0; i < (int)CTL_JR_N_COLUMNS; i++) {
            if (i)
                fputc(',', f);
            put_csv(f, ctl_jr_column_text(st, i, num, sizeof(num)));
            if (i == CTL_JR_COL_RECEIVED_AT) {
                fputc(',', f);
                put_csv(f, local);
            }
        }
        fputs("\r\n", f);
    }
    return ferror(f) ? -1 : 0;
}

int ctl_jr_export_main(int argc, char **argv)
{
    struct export_args a = {.o.cmd = argv[0], .format = "csv"};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    FILE *f = stdout;
    char path[4096];
    int rc = CTL_EXIT_TRANSPORT, step, json, created = 0;
    int64_t n = 0;
    int o = export_options(argc, argv, &a);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    json = strcmp(a.format, "json") == 0;
    if (ctl_jr_open(&a.o, CTL_JR_READ, &db, path, sizeof(path)))
        goto out;
    if (sqlite3_prepare_v2(db,
                           "SELECT " CTL_JR_COLUMN_LIST " FROM journal WHERE received_at >= ? AND "
                           "received_at < ? ORDER BY received_at, id",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "ybgwctl journal export: %s: %s\n", path, sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_int64(st, 1, a.since);
    sqlite3_bind_int64(st, 2, a.until);
    if (a.out) {
        int fd = open(a.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            fprintf(stderr, "ybgwctl journal export: --out %s: %s\n", a.out, strerror(errno));
            if (fd >= 0)
                close(fd);
            f = NULL;
            goto out;
        }
        created = 1;
    }
    if (json) {
        fputs("[\n", f);
    } else {
        for (int i = 0; i < (int)CTL_JR_N_COLUMNS; i++)
            fprintf(f, "%s%s%s", i ? "," : "", ctl_jr_columns[i],
                    i == CTL_JR_COL_RECEIVED_AT ? ",received_local" : "");
        fputs("\r\n", f);
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (export_row(f, st, json, n)) {
            fprintf(stderr, "ybgwctl journal export: %s: cannot write row %" PRId64 "\n",
                    a.out ? a.out : "standard output", (int64_t)sqlite3_column_int64(st, 0));
            goto out;
        }
        n++;
    }
    if (step != SQLITE_DONE) {
        fprintf(stderr, "ybgwctl journal export: %s: %s\n", path, sqlite3_errmsg(db));
        goto out;
    }
    if (json)
        fputs(n ? "\n]\n" : "]\n", f);
    if (fflush(f) != 0 || ferror(f)) {
        fprintf(stderr, "ybgwctl journal export: %s: %s\n", a.out ? a.out : "standard output",
                strerror(errno));
        goto out;
    }
    if (a.out)
        fprintf(stderr, "%" PRId64 " rows written to %s\n", n, a.out);
    rc = CTL_EXIT_OK;
out:
    if (f && f != stdout && fclose(f) != 0 && rc == CTL_EXIT_OK) {
        fprintf(stderr, "ybgwctl journal export: %s: %s\n", a.out, strerror(errno));
        rc = CTL_EXIT_TRANSPORT;
    }
    if (rc != CTL_EXIT_OK && created)
        unlink(a.out); /* no half export left behind */
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
