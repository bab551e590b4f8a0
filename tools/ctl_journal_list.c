/*
 * ctl_journal_list.c - `ybgwctl journal list` and `audit`, and the output
 * helpers every view shares (ctl_journal.h).
 *
 * Texts in the journal come from hospitals and the platform: in text mode
 * every control character is printed as '?', so a value cannot drive the
 * terminal. JSON output goes through jansson, with invalid UTF-8 bytes
 * replaced, so it is always valid JSON. Only the masked texts are ever
 * printed here; the sealed ones stay sealed (show --reveal opens them).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "codec_json.h"
#include "ctl_journal.h"
#include "ctl_send.h"
#include "journal.h"

#define LIST_DEFAULT_LIMIT 100

/* The journal's columns but the sealed ones, in the table's order
 * (jchain.h): what show prints and export writes (ctl_journal.h). */
const char *const ctl_jr_columns[CTL_JR_N_COLUMNS] = {
    "id",
    "msgid",
    "infno",
    "fixmedins_code",
    "psn_no",
    "caller",
    "node",
    "route",
    "route_why",
    "hops",
    "received_at",
    "forwarded_at",
    "answered_at",
    "status",
    "infcode",
    "http_status",
    "attempts",
    "upstream_ms",
    "total_ms",
    "error",
    "req_hash",
    "request",
    "response",
    "resolution",
    "resolved_by",
    "resolved_at",
    "resolution_note",
};

/* ---- output helpers ---- */

/* S[0..len) with each control character as '?'. */
void ctl_jr_put_clean(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
    }
}

void ctl_jr_puts_clean(FILE *f, const char *s)
{
    ctl_jr_put_clean(f, s ? s : "", s ? strlen(s) : 0);
}

/* A JSON string of s[0..len), invalid UTF-8 bytes as '?'. */
static json_t *json_text(const char *s, size_t len)
{
    json_t *j = json_stringn(s ? s : "", s ? len : 0);
    if (j || !s)
        return j;
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    for (size_t at = 0, bad; at < len && (bad = yb_utf8_check(copy + at, len - at)) != 0;) {
        copy[at + bad - 1] = '?';
        at += bad;
    }
    j = json_stringn(copy, len);
    free(copy);
    return j;
}

/* Column I of ST as JSON: null, integer, real or string. */
json_t *ctl_jr_column_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        return json_null();
    case SQLITE_INTEGER:
        return json_integer((json_int_t)sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, i));
    default:
        return json_text((const char *)sqlite3_column_text(st, i),
                         (size_t)sqlite3_column_bytes(st, i));
    }
}

/* Column I of ST as text into buf: "" for NULL, numbers in decimal. */
const char *ctl_jr_column_text(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        return "";
    case SQLITE_INTEGER:
        snprintf(buf, cap, "%" PRId64, (int64_t)sqlite3_column_int64(st, i));
        return buf;
    case SQLITE_FLOAT:
        snprintf(buf, cap, "%.3f", sqlite3_column_double(st, i));
        return buf;
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        return t ? t : "";
    }
    }
}

/* Print one JSON value on its own line and release it; -1 when out of memory. */
int ctl_jr_print_json(FILE *f, json_t *v, int flags)
{
    char *text = v ? json_dumps(v, flags) : NULL;
    json_decref(v);
    if (!text)
        return -1;
    fprintf(f, "%s\n", text);
    free(text);
    return 0;
}

/* A time option's value into *ms, or the usage error. */
int ctl_jr_time_option(const char *cmd, const char *name, const char *value, int end_of_day,
                       int64_t *ms)
{
    if (ctl_jr_time(value, end_of_day, ms) == 0)
        return 0;
    fprintf(stderr,
            "ybgwctl journal %s: --%s \"%s\" is not a time: write 2026-11-23, "
            "2026-11-23T10:00:00 (local time) or Unix ms\n",
            cmd, name, value);
    return -1;
}

/* ---- list ---- */

struct list_args {
    struct ctl_jr_opts o;
    const char *status, *infno, *msgid;
    int64_t since, until;
    int has_since, has_until, unresolved, json;
    long limit;
};

static int list_options(int argc, char **argv, struct list_args *a)
{
    static const struct option options[] = {
        CTL_JR_OPTIONS,
        {"status", required_argument, NULL, 's'},
        {"infno", required_argument, NULL, 'i'},
        {"msgid", required_argument, NULL, 'm'},
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"unresolved", no_argument, NULL, 'u'},
        {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    char *end;
    while ((opt = ctl_jr_getopt(argc, argv, "c:jh", options, &a->o)) != -1) {
        switch (opt) {
        case 's':
            if (yb_jstatus_parse(optarg) < 0) {
                fprintf(stderr,
                        "ybgwctl journal list: --status \"%s\" is not a status: say received, "
                        "forwarded, answered, failed or unknown\n",
                        optarg);
                return -1;
            }
            a->status = optarg;
            break;
        case 'i':
            if (!*optarg || strlen(optarg) > 16) {
                fprintf(stderr, "ybgwctl journal list: --infno takes 1 to 16 characters\n");
                return -1;
            }
            a->infno = optarg;
            break;
        case 'm':
            if (!*optarg || strlen(optarg) > 64) {
                fprintf(stderr, "ybgwctl journal list: --msgid takes 1 to 64 characters\n");
                return -1;
            }
            a->msgid = optarg;
            break;
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
        case 'u':
            a->unresolved = 1;
            break;
        case 'l':
            errno = 0;
            a->limit = strtol(optarg, &end, 10);
            if (*end || !*optarg || errno || a->limit < 0 || a->limit > 10000000) {
                fprintf(stderr, "ybgwctl journal list: --limit takes 0 (all) to 10000000 rows\n");
                return -1;
            }
            break;
        case 'j':
            a->json = 1;
            break;
        case 'h':
            ctl_jr_usage(stdout, a->o.cmd);
            printf("  One line per row, newest first: id, received, infno, msgid, institution,\n"
                   "  route, status, infcode, total ms, resolution.\n"
                   "  --status S       received, forwarded, answered, failed or unknown\n"
                   "  --since T        received at or after T; --until T: before T (a date\n"
                   "                   alone includes its whole day)\n"
                   "  --unresolved     unknown rows that nobody has resolved yet\n"
                   "  --limit N        at most N rows (default %d; 0: all)\n"
                   "  --json           a JSON array of objects instead\n",
                   LIST_DEFAULT_LIMIT);
            return 1;
        default:
            return -1;
        }
    }
    if (ctl_jr_operands(&a->o, argc, argv, 0))
        return -1;
    if (a->has_since && a->has_until && a->until <= a->since) {
        fprintf(stderr, "ybgwctl journal list: --until must be later than --since\n");
        return -1;
    }
    return 0;
}

int ctl_jr_list_main(int argc, char **argv)
{
    struct list_args a = {.o.cmd = argv[0], .limit = LIST_DEFAULT_LIMIT};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    json_t *all = NULL;
    char path[4096], sql[1024], when[40], num[32];
    int rc = CTL_EXIT_TRANSPORT, n_bind = 0, step;
    int o = list_options(argc, argv, &a);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    if (ctl_jr_open(&a.o, CTL_JR_READ, &db, path, sizeof(path)))
        goto out;
    snprintf(sql, sizeof(sql),
             "SELECT id, received_at, infno, msgid, fixmedins_code, route, status, infcode, "
             "total_ms, resolution FROM journal WHERE 1%s%s%s%s%s%s ORDER BY received_at DESC, "
             "id DESC%s",
             a.status ? " AND status = ?" : "", a.infno ? " AND infno = ?" : "",
             a.msgid ? " AND msgid = ?" : "", a.has_since ? " AND received_at >= ?" : "",
             a.has_until ? " AND received_at < ?" : "",
             a.unresolved ? " AND status = 'unknown' AND resolution = ''" : "",
             a.limit ? " LIMIT ?" : "");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    if (a.status)
        sqlite3_bind_text(st, ++n_bind, a.status, -1, SQLITE_STATIC);
    if (a.infno)
        sqlite3_bind_text(st, ++n_bind, a.infno, -1, SQLITE_STATIC);
    if (a.msgid)
        sqlite3_bind_text(st, ++n_bind, a.msgid, -1, SQLITE_STATIC);
    if (a.has_since)
        sqlite3_bind_int64(st, ++n_bind, a.since);
    if (a.has_until)
        sqlite3_bind_int64(st, ++n_bind, a.until);
    if (a.limit)
        sqlite3_bind_int64(st, ++n_bind, a.limit + 1); /* one more: is there more? */
    if (a.json && !(all = json_array()))
        goto out;
    long shown = 0;
    int more = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (a.limit && shown == a.limit) {
            more = 1;
            break;
        }
        shown++;
        if (a.json) {
            json_t *r = json_object();
            for (int i = 0; i < sqlite3_column_count(st); i++)
                json_object_set_new(r, sqlite3_column_name(st, i), ctl_jr_column_json(st, i));
            json_array_append_new(all, r);
            continue;
        }
        if (shown == 1)
            printf("%-8s %-23s %-6s %-30s %-12s %-10s %-9s %-7s %9s %s\n", "ID", "RECEIVED",
                   "INFNO", "MSGID", "INSTITUTION", "ROUTE", "STATUS", "INFCODE", "MS",
                   "RESOLUTION");
        printf("%-8" PRId64 " %-23s ", (int64_t)sqlite3_column_int64(st, 0),
               ctl_jr_fmt_time(sqlite3_column_int64(st, 1), when, sizeof(when)));
        const int widths[] = {6, 30, 12, 10, 9};
        for (int i = 2; i <= 6; i++) {
            const char *t = ctl_jr_column_text(st, i, num, sizeof(num));
            ctl_jr_puts_clean(stdout, t);
            printf("%*s ", widths[i - 2] > (int)strlen(t) ? widths[i - 2] - (int)strlen(t) : 0, "");
        }
        printf("%-7s ", sqlite3_column_type(st, 7) == SQLITE_NULL
                            ? "-"
                            : ctl_jr_column_text(st, 7, num, sizeof(num)));
        if (sqlite3_column_type(st, 8) == SQLITE_NULL)
            printf("%9s", "-");
        else
            printf("%9.1f", sqlite3_column_double(st, 8));
        const char *resolution = ctl_jr_column_text(st, 9, num, sizeof(num));
        if (*resolution) {
            fputc(' ', stdout);
            ctl_jr_puts_clean(stdout, resolution);
        }
        printf("\n");
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        goto sql_error;
    if (a.json) {
        if (ctl_jr_print_json(stdout, all, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
            goto out;
        all = NULL;
    } else if (shown == 0) {
        printf("(no journal rows match)\n");
    }
    fflush(stdout); /* the note below comes after the rows */
    if (more)
        fprintf(stderr, "ybgwctl journal list: more rows match than the %ld shown (--limit N)\n",
                a.limit);
    rc = CTL_EXIT_OK;
    goto out;
sql_error:
    fprintf(stderr, "ybgwctl journal list: %s: %s\n", path, sqlite3_errmsg(db));
out:
    json_decref(all);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ---- audit ---- */

int ctl_jr_audit_main(int argc, char **argv)
{
    static const struct option options[] = {
        CTL_JR_OPTIONS,
        {"since", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    struct ctl_jr_opts o = {.cmd = argv[0]};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    json_t *all = NULL;
    char path[4096], when[40];
    int64_t since = 0;
    int opt, json = 0, rc = CTL_EXIT_TRANSPORT, step, n = 0;
    while ((opt = ctl_jr_getopt(argc, argv, "c:jh", options, &o)) != -1) {
        switch (opt) {
        case 'S':
            if (ctl_jr_time_option(o.cmd, "since", optarg, 0, &since))
                return CTL_EXIT_TRANSPORT;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            ctl_jr_usage(stdout, o.cmd);
            printf("  The audit events in order: seq, time, what (start, reload, recover,\n"
                   "  mapping, resolve, reveal, prune ...), who, detail.\n"
                   "  --since T        only events at or after T\n"
                   "  --json           a JSON array of objects instead\n");
            return CTL_EXIT_OK;
        default:
            return CTL_EXIT_TRANSPORT;
        }
    }
    if (ctl_jr_operands(&o, argc, argv, 0))
        return CTL_EXIT_TRANSPORT;
    if (ctl_jr_open(&o, CTL_JR_READ, &db, path, sizeof(path)))
        goto out;
    if (sqlite3_prepare_v2(db,
                           "SELECT seq, at, what, who, detail FROM journal_event WHERE kind = "
                           "'audit' AND at >= ? ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_int64(st, 1, since);
    if (json && !(all = json_array()))
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (json) {
            json_t *r = json_object();
            for (int i = 0; i < sqlite3_column_count(st); i++)
                json_object_set_new(r, sqlite3_column_name(st, i), ctl_jr_column_json(st, i));
            json_array_append_new(all, r);
            continue;
        }
        if (n == 1)
            printf("%-8s %-23s %-10s %-28s %s\n", "SEQ", "AT", "WHAT", "WHO", "DETAIL");
        printf("%-8" PRId64 " %-23s ", (int64_t)sqlite3_column_int64(st, 0),
               ctl_jr_fmt_time(sqlite3_column_int64(st, 1), when, sizeof(when)));
        for (int i = 2; i <= 4; i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            int width = i == 2 ? 10 : i == 3 ? 28 : 0, len = t ? (int)strlen(t) : 0;
            ctl_jr_puts_clean(stdout, t);
            if (i < 4)
                printf("%*s ", width > len ? width - len : 0, "");
        }
        printf("\n");
    }
    if (step != SQLITE_DONE)
        goto sql_error;
    if (json) {
        if (ctl_jr_print_json(stdout, all, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
            goto out;
        all = NULL;
    } else if (n == 0) {
        printf("(no audit events)\n");
    }
    rc = CTL_EXIT_OK;
    goto out;
sql_error:
    fprintf(stderr, "ybgwctl journal audit: %s: %s\n", path, sqlite3_errmsg(db));
out:
    json_decref(all);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
