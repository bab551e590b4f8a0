/*
 * ctl_journal_show.c - `ybgwctl journal show`: one row (or the rows of one
 * msgid) with every column, its request and response as stored (masked),
 * and with --reveal the sealed full texts opened with the journal key.
 *
 * A reveal is recorded before anything is opened: an audit event 'reveal'
 * names the operator and the rows (no record, no reveal), so the audit
 * trail says who read which patient's data. The request and response are
 * re-indented as text, not parsed, so amounts keep their exact literals.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_journal.h"
#include "ctl_send.h"
#include "seal.h"

#define SHOW_MAX_ROWS 20 /* rows of one msgid shown */

static int is_time_column(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, "_at") == 0;
}

/* Re-indent JSON text by two spaces per level, outside strings only; a
 * text that is not JSON comes out as it is, still cleaned. */
static void put_pretty(FILE *f, const char *s, size_t len)
{
    int depth = 0, in_string = 0, escaped = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            ctl_jr_put_clean(f, &c, 1);
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        switch (c) {
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            break;
        case '"':
            in_string = 1;
            fputc(c, f);
            break;
        case '{':
        case '[': {
            size_t j = i + 1;
            while (j < len && strchr(" \t\r\n", s[j]))
                j++;
            if (j < len && (s[j] == '}' || s[j] == ']')) { /* {} and [] stay together */
                fputc(c, f);
                fputc(s[j], f);
                i = j;
                break;
            }
            fprintf(f, "%c\n%*s", c, 2 * ++depth, "");
            break;
        }
        case '}':
        case ']':
            depth = depth > 0 ? depth - 1 : 0;
            fprintf(f, "\n%*s%c", 2 * depth, "", c);
            break;
        case ',':
            fprintf(f, ",\n%*s", 2 * depth, "");
            break;
        case ':':
            fputs(": ", f);
            break;
        default:
            ctl_jr_put_clean(f, &c, 1);
        }
    }
    fputc('\n', f);
}

/* ---- show ---- */

struct show_args {
    struct ctl_jr_opts o;
    const char *what, *key_file, *operator_name;
    int reveal;
};

static int show_options(int argc, char **argv, struct show_args *a)
{
    static const struct option options[] = {
        CTL_JR_OPTIONS,
        {"reveal", no_argument, NULL, 'r'},
        {"key", required_argument, NULL, 'k'},
        {"operator", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = ctl_jr_getopt(argc, argv, "c:h", options, &a->o)) != -1) {
        switch (opt) {
        case 'r':
            a->reveal = 1;
            break;
        case 'k':
            a->key_file = optarg;
            break;
        case 'o':
            a->operator_name = optarg;
            break;
        case 'h':
            ctl_jr_usage(stdout, a->o.cmd);
            printf("  Every column of the row with this id, or of the rows with this msgid\n"
                   "  (newest first), and its request and response as stored: masked.\n"
                   "  --reveal         also the full texts, opened with the journal key; who\n"
                   "                   revealed which rows is recorded first (audit 'reveal')\n"
                   "  --key FILE       the key (default: key_file of the configuration's journal)\n"
                   "  --operator NAME  who reveals (default $SUDO_USER, else the login name)\n"
                   "  Exit 0 shown, 1 no such row, 2 usage, the key or I/O.\n");
            return 1;
        default:
            return -1;
        }
    }
    if (ctl_jr_operands(&a->o, argc, argv, 1))
        return -1;
    a->what = argv[optind];
    if (strlen(a->what) > 64) {
        fprintf(stderr, "ybgwctl journal show: ID|MSGID: at most 64 characters\n");
        return -1;
    }
    if ((a->key_file || a->operator_name) && !a->reveal) {
        fprintf(stderr, "ybgwctl journal show: --key and --operator go with --reveal\n");
        return -1;
    }
    if (a->operator_name && (!*a->operator_name || strlen(a->operator_name) > 100 ||
                             strpbrk(a->operator_name, "\r\n\t"))) {
        fprintf(stderr, "ybgwctl journal show: --operator takes a name of 1 to 100 bytes\n");
        return -1;
    }
    return 0;
}

/* The ids of the rows WHAT names (an id, else a msgid), newest first. */
static int find_rows(sqlite3 *db, const char *what, int64_t *ids, int cap, int *n)
{
    sqlite3_stmt *st = NULL;
    size_t len = strlen(what);
    int by_id = len > 0 && len <= 18 && strspn(what, "0123456789") == len, step = SQLITE_DONE;
    *n = 0;
    for (int pass = by_id ? 0 : 1; pass < 2 && *n == 0; pass++) {
        sqlite3_finalize(st);
        if (sqlite3_prepare_v2(db,
                               pass == 0 ? "SELECT id FROM journal WHERE id = ?"
                                         : "SELECT id FROM journal WHERE msgid = ? "
                                           "ORDER BY received_at DESC, id DESC",
                               -1, &st, NULL) != SQLITE_OK)
            return -1;
        if (pass == 0)
            sqlite3_bind_int64(st, 1, strtoll(what, NULL, 10));
        else
            sqlite3_bind_text(st, 1, what, -1, SQLITE_STATIC);
        while (*n < cap && (step = sqlite3_step(st)) == SQLITE_ROW)
            ids[(*n)++] = sqlite3_column_int64(st, 0);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

/* Open a sealed column and print it. 0, or -1 when it does not open. */
static int print_revealed(const char *label, const void *blob, int len,
                          const unsigned char key[YB_SEAL_KEY], const char *key_name, int64_t id)
{
    char *plain = NULL;
    size_t plain_len = 0;
    printf("\n%s (revealed):\n", label);
    if (!blob || len <= 0) {
        printf("(not sealed: this journal keeps only the masked text of this row)\n");
        return 0;
    }
    if (yb_unseal(key, blob, (size_t)len, &plain, &plain_len)) {
        fprintf(stderr,
                "ybgwctl journal show: row %" PRId64 ": the sealed %s does not open with the key "
                "in %s (another key sealed it, or the value was altered)\n",
                id, label, key_name);
        return -1;
    }
    put_pretty(stdout, plain, plain_len);
    free(plain);
    return 0;
}

/* Print row ID: every column, the masked texts, and with KEY the sealed
 * ones opened. 0, or -1 (printed why). */
static int show_row(sqlite3 *db, int64_t id, const unsigned char *key, const char *key_name)
{
    sqlite3_stmt *st = NULL;
    char when[40], num[32];
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT " CTL_JR_COLUMN_LIST
                           ", sealed_request, sealed_response FROM journal WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        fprintf(stderr, "ybgwctl journal show: row %" PRId64 ": %s\n", id, sqlite3_errmsg(db));
        goto out;
    }
    printf("row %" PRId64 "\n", id);
    for (int i = 1; i < (int)CTL_JR_N_COLUMNS; i++) {
        if (i == CTL_JR_COL_REQUEST || i == CTL_JR_COL_RESPONSE)
            continue;
        printf("  %-16s ", ctl_jr_columns[i]);
        if (is_time_column(ctl_jr_columns[i]) && sqlite3_column_type(st, i) == SQLITE_INTEGER)
            printf("%s (%s)", ctl_jr_fmt_time(sqlite3_column_int64(st, i), when, sizeof(when)),
                   ctl_jr_column_text(st, i, num, sizeof(num)));
        else
            ctl_jr_puts_clean(stdout, ctl_jr_column_text(st, i, num, sizeof(num)));
        printf("\n");
    }
    for (int s = 0; s < 2; s++) {
        int bytes = sqlite3_column_bytes(st, (int)CTL_JR_N_COLUMNS + s);
        printf("  %-16s ", s ? "sealed_response" : "sealed_request");
        if (sqlite3_column_type(st, (int)CTL_JR_N_COLUMNS + s) == SQLITE_NULL)
            printf("(none)\n");
        else
            printf("(sealed, %d bytes%s)\n", bytes, key ? "" : "; --reveal opens it");
    }
    for (int s = 0; s < 2; s++) {
        int i = s ? CTL_JR_COL_RESPONSE : CTL_JR_COL_REQUEST;
        const char *t = (const char *)sqlite3_column_text(st, i);
        printf("\n%s (masked):\n", ctl_jr_columns[i]);
        if (t && *t)
            put_pretty(stdout, t, (size_t)sqlite3_column_bytes(st, i));
        else
            printf("(none)\n");
    }
    for (int s = 0; key && s < 2; s++) {
        int i = (int)CTL_JR_N_COLUMNS + s;
        const void *blob = sqlite3_column_blob(st, i);
        if (print_revealed(s ? "response" : "request", blob, sqlite3_column_bytes(st, i), key,
                           key_name, id))
            goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* Before a reveal is recorded: every sealed text of rows IDS[0..n) opens
 * with KEY. 0, or -1 after saying which does not. */
static int sealed_texts_open(sqlite3 *db, const int64_t *ids, int n,
                             const unsigned char key[YB_SEAL_KEY], const char *key_name)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT sealed_request, sealed_response FROM journal WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "ybgwctl journal show: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_ROW) {
            fprintf(stderr, "ybgwctl journal show: row %" PRId64 ": %s\n", ids[i],
                    sqlite3_errmsg(db));
            goto out;
        }
        for (int c = 0; c < 2; c++) {
            const void *blob = sqlite3_column_blob(st, c);
            int len = sqlite3_column_bytes(st, c);
            char *plain = NULL;
            size_t plain_len = 0;
            if (!blob || len <= 0)
                continue;
            if (yb_unseal(key, blob, (size_t)len, &plain, &plain_len)) {
                fprintf(stderr,
                        "ybgwctl journal show: row %" PRId64 ": the sealed %s does not open with "
                        "the key in %s (another key sealed it, or the value was altered); nothing "
                        "revealed\n",
                        ids[i], c ? "response" : "request", key_name);
                goto out;
            }
            free(plain);
        }
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int ctl_jr_show_main(int argc, char **argv)
{
    struct show_args a = {.o.cmd = argv[0]};
    sqlite3 *db = NULL;
    unsigned char key[YB_SEAL_KEY];
    char path[4096], who[160], key_name[4096] = "", detail[1024], err[1024] = "";
    int64_t ids[SHOW_MAX_ROWS + 1];
    int n = 0, rc = CTL_EXIT_TRANSPORT;
    int o = show_options(argc, argv, &a);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    memset(key, 0, sizeof(key));
    if (a.reveal && ctl_jr_load_key(&a.o, a.key_file, key, key_name, sizeof(key_name)))
        goto out;
    if (ctl_jr_open(&a.o, a.reveal ? CTL_JR_WRITE : CTL_JR_READ, &db, path, sizeof(path)))
        goto out;
    if (find_rows(db, a.what, ids, SHOW_MAX_ROWS + 1, &n)) {
        fprintf(stderr, "ybgwctl journal show: %s: %s\n", path, sqlite3_errmsg(db));
        goto out;
    }
    if (n == 0) {
        fprintf(stderr, "ybgwctl journal show: no journal row with id or msgid \"%s\"\n", a.what);
        rc = CTL_EXIT_REJECTED;
        goto out;
    }
    int shown = n > SHOW_MAX_ROWS ? SHOW_MAX_ROWS : n;
    if (a.reveal && sealed_texts_open(db, ids, shown, key, key_name))
        goto out;
    if (a.reveal) { /* the record first: no record, no reveal */
        size_t used = (size_t)snprintf(detail, sizeof(detail), "row%s", shown > 1 ? "s" : "");
        for (int i = 0; i < shown && used < sizeof(detail); i++)
            used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s %" PRId64,
                                     i ? "," : "", ids[i]);
        if (used < sizeof(detail) && strspn(a.what, "0123456789") != strlen(a.what))
            snprintf(detail + used, sizeof(detail) - used, " (msgid %s)", a.what);
        ctl_journal_operator(a.operator_name, who, sizeof(who));
        if (ctl_jr_audit(db, "reveal", who, detail, err, sizeof(err))) {
            fprintf(stderr,
                    "ybgwctl journal show: %s: cannot record the reveal in the audit trail (%s); "
                    "nothing revealed\n",
                    path, err);
            goto out;
        }
    }
    rc = CTL_EXIT_OK;
    for (int i = 0; i < shown; i++) {
        if (i)
            printf("\n");
        if (show_row(db, ids[i], a.reveal ? key : NULL, key_name))
            rc = CTL_EXIT_TRANSPORT;
    }
    if (n > shown)
        printf("\n(more than %d rows have this msgid: list them with `ybgwctl journal list "
               "--msgid`)\n",
               SHOW_MAX_ROWS);
out:
    memset(key, 0, sizeof(key));
    sqlite3_close(db);
    return rc;
}
