/*
 * ctl_journal_resolve.c - the two sub-commands of `ybgwctl journal` that
 * judge the journal: resolve (an operator records what became of a row
 * whose outcome is unknown) and verify (the hash chain, jchain.h).
 *
 * resolve changes a row and chains two events, a 'txn' event 'resolved'
 * (the row's digest after the change) and an audit event 'resolve', in one
 * BEGIN IMMEDIATE transaction: the check that the row is unknown and not
 * yet resolved runs inside it, so the gateway's own resolver and a second
 * operator cannot both resolve a row. A resolution is never changed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_journal.h"
#include "ctl_send.h"
#include "jchain.h"

#define JR_MAX_NOTE 1000
#define JR_MAX_OPERATOR 100

/* ---- resolve ---- */

static const char *const resolutions[] = {"reversed", "settled", "not_settled", NULL};

struct resolve_args {
    struct ctl_jr_opts o;
    const char *as, *note, *operator_name;
    int64_t id;
};

static int resolve_options(int argc, char **argv, struct resolve_args *a)
{
    static const struct option options[] = {
        CTL_JR_OPTIONS,
        {"as", required_argument, NULL, 'a'},
        {"note", required_argument, NULL, 'n'},
        {"operator", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int opt, known = 0;
    while ((opt = ctl_jr_getopt(argc, argv, "c:h", options, &a->o)) != -1) {
        switch (opt) {
        case 'a':
            a->as = optarg;
            break;
        case 'n':
            a->note = optarg;
            break;
        case 'o':
            a->operator_name = optarg;
            break;
        case 'h':
            ctl_jr_usage(stdout, a->o.cmd);
            printf("  Only a row whose status is unknown (the platform may or may not have\n"
                   "  processed it) and that is not resolved yet. Records the resolution, who\n"
                   "  (--operator, else $SUDO_USER, else the login name, with the uid) and when,\n"
                   "  and chains a 'resolved' event and an audit event 'resolve'.\n"
                   "  --as reversed      the transaction was reversed (冲正, 2601)\n"
                   "  --as settled       the platform did process it (confirmed with it)\n"
                   "  --as not_settled   the platform did not process it\n"
                   "  --note TEXT        why, for the auditor (1 to %d bytes)\n"
                   "  Exit 0 resolved, 1 no such row or it cannot be resolved, 2 usage or I/O.\n",
                   JR_MAX_NOTE);
            return 1;
        default:
            return -1;
        }
    }
    if (ctl_jr_operands(&a->o, argc, argv, 1))
        return -1;
    const char *id = argv[optind];
    char *end;
    errno = 0;
    long long v = strtoll(id, &end, 10);
    if (*end || errno || v <= 0 || strspn(id, "0123456789") != strlen(id)) {
        fprintf(stderr, "ybgwctl journal resolve: ID \"%s\" is not a row id (a number above 0)\n",
                id);
        return -1;
    }
    a->id = v;
    for (int i = 0; a->as && resolutions[i]; i++)
        known |= strcmp(a->as, resolutions[i]) == 0;
    if (!a->as || !known) {
        fprintf(stderr,
                "ybgwctl journal resolve: --as %s%s%s: say reversed, settled or not_settled\n",
                a->as ? "\"" : "is required", a->as ? a->as : "", a->as ? "\" is not known" : "");
        return -1;
    }
    if (!a->note || !*a->note || strlen(a->note) > JR_MAX_NOTE) {
        fprintf(stderr, "ybgwctl journal resolve: --note takes 1 to %d bytes saying why%s\n",
                JR_MAX_NOTE, a->note ? "" : " (it is required)");
        return -1;
    }
    if (a->operator_name && (!*a->operator_name || strlen(a->operator_name) > JR_MAX_OPERATOR ||
                             strpbrk(a->operator_name, "\r\n\t"))) {
        fprintf(stderr,
                "ybgwctl journal resolve: --operator takes a name of 1 to %d bytes on one line\n",
                JR_MAX_OPERATOR);
        return -1;
    }
    return 0;
}

/* In the write transaction: the row's state. 0 resolvable; else prints
 * the refusal and returns CTL_EXIT_REJECTED (or TRANSPORT on a read error). */
static int check_resolvable(sqlite3 *db, int64_t id, char *msgid, size_t cap)
{
    sqlite3_stmt *st = NULL;
    char when[40];
    int rc = CTL_EXIT_TRANSPORT;
    if (sqlite3_prepare_v2(db,
                           "SELECT status, resolution, resolved_by, resolved_at, msgid FROM "
                           "journal WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "ybgwctl journal resolve: %s\n", sqlite3_errmsg(db));
        return rc;
    }
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        fprintf(stderr, "ybgwctl journal resolve: no journal row %" PRId64 "\n", id);
        rc = CTL_EXIT_REJECTED;
        goto out;
    }
    if (step != SQLITE_ROW) {
        fprintf(stderr, "ybgwctl journal resolve: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    const char *status = (const char *)sqlite3_column_text(st, 0);
    const char *resolution = (const char *)sqlite3_column_text(st, 1);
    const char *by = (const char *)sqlite3_column_text(st, 2);
    snprintf(msgid, cap, "%s",
             sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "");
    rc = CTL_EXIT_REJECTED;
    if (!status || strcmp(status, "unknown") != 0) {
        fprintf(stderr,
                "ybgwctl journal resolve: row %" PRId64 " is %s, not unknown: only a row whose "
                "outcome is unknown can be resolved\n",
                id, status ? status : "(no status)");
    } else if (resolution && *resolution) {
        fprintf(stderr,
                "ybgwctl journal resolve: row %" PRId64 " was already resolved as %s by %s%s%s; "
                "a resolution is not changed\n",
                id, resolution, by && *by ? by : "(unknown)",
                sqlite3_column_type(st, 3) == SQLITE_NULL ? "" : " at ",
                sqlite3_column_type(st, 3) == SQLITE_NULL
                    ? ""
                    : ctl_jr_fmt_time(sqlite3_column_int64(st, 3), when, sizeof(when)));
    } else {
        rc = CTL_EXIT_OK;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

int ctl_jr_resolve_main(int argc, char **argv)
{
    struct resolve_args a = {.o.cmd = argv[0]};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char path[4096], who[160], msgid[128], detail[1400], err[1024] = "";
    int rc = CTL_EXIT_TRANSPORT, in_txn = 0;
    int o = resolve_options(argc, argv, &a);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    ctl_journal_operator(a.operator_name, who, sizeof(who));
    if (ctl_jr_open(&a.o, CTL_JR_WRITE, &db, path, sizeof(path)))
        goto out;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "ybgwctl journal resolve: %s: cannot start a write: %s\n", path,
                sqlite3_errmsg(db));
        goto out;
    }
    in_txn = 1;
    if ((rc = check_resolvable(db, a.id, msgid, sizeof(msgid))) != CTL_EXIT_OK)
        goto out;
    rc = CTL_EXIT_TRANSPORT;
    int64_t now = ctl_jr_now_ms();
    if (sqlite3_prepare_v2(db,
                           "UPDATE journal SET resolution = ?, resolved_by = ?, resolved_at = ?, "
                           "resolution_note = ? WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, sizeof(err), "%s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_bind_text(st, 1, a.as, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_text(st, 4, a.note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, a.id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, sizeof(err), "%s", sqlite3_errmsg(db));
        goto fail;
    }
    snprintf(detail, sizeof(detail), "as %s: %s", a.as, a.note);
    struct yb_jevent txn = {now, "txn", a.id, "resolved", who, detail};
    if (yb_jchain_append(db, &txn, err, sizeof(err)))
        goto fail;
    snprintf(detail, sizeof(detail), "row %" PRId64 " msgid %s as %s: %s", a.id, msgid, a.as,
             a.note);
    struct yb_jevent audit = {now, "audit", 0, "resolve", who, detail};
    if (yb_jchain_append(db, &audit, err, sizeof(err)))
        goto fail;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, sizeof(err), "cannot commit: %s", sqlite3_errmsg(db));
        goto fail;
    }
    in_txn = 0;
    printf("row %" PRId64 " (msgid %s) resolved as %s by %s\n", a.id, msgid, a.as, who);
    rc = CTL_EXIT_OK;
    goto out;
fail:
    fprintf(stderr, "ybgwctl journal resolve: %s: %s; nothing changed\n", path,
            err[0] ? err : "the write failed");
out:
    sqlite3_finalize(st);
    if (in_txn)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* ---- verify ---- */

int ctl_jr_verify_main(int argc, char **argv)
{
    static const struct option options[] = {CTL_JR_OPTIONS, {NULL, 0, NULL, 0}};
    struct ctl_jr_opts o = {.cmd = argv[0]};
    struct yb_jverify v;
    sqlite3 *db = NULL;
    char path[4096], err[1024] = "";
    int opt, rc = CTL_EXIT_TRANSPORT;
    while ((opt = ctl_jr_getopt(argc, argv, "c:h", options, &o)) != -1) {
        if (opt != 'h')
            return CTL_EXIT_TRANSPORT;
        ctl_jr_usage(stdout, o.cmd);
        printf("  Recomputes every event's hash from the one before it (from the first kept\n"
               "  event after pruning) and every row's digest against its last event.\n"
               "  Prints \"journal intact: N events, M rows\" (exit 0), or where the chain\n"
               "  breaks (exit 1): an event or a row altered, inserted or removed.\n");
        return CTL_EXIT_OK;
    }
    if (ctl_jr_operands(&o, argc, argv, 0))
        return CTL_EXIT_TRANSPORT;
    if (ctl_jr_open(&o, CTL_JR_READ, &db, path, sizeof(path)))
        goto out;
    memset(&v, 0, sizeof(v));
    int vrc = yb_jchain_verify(db, &v, err, sizeof(err));
    if (vrc == 0) {
        printf("journal intact: %" PRId64 " events, %" PRId64 " rows", v.events, v.rows);
        if (v.first_seq > 1)
            printf(" (from event %" PRId64 ", after pruning)", v.first_seq);
        printf("\n");
        rc = CTL_EXIT_OK;
    } else if (vrc == YB_EINVAL) {
        if (v.bad_seq)
            printf("journal altered at event seq %" PRId64 "\n", v.bad_seq);
        else
            printf("journal altered in journal row %" PRId64 "\n", v.bad_row);
        printf("  %s\n  checked before it: %" PRId64 " events, %" PRId64 " rows\n",
               v.what[0] ? v.what : "the chain does not hold", v.events, v.rows);
        rc = CTL_EXIT_REJECTED;
    } else {
        fprintf(stderr, "ybgwctl journal verify: %s: %s\n", path,
                err[0] ? err : "cannot read the journal");
    }
out:
    sqlite3_close(db);
    return rc;
}
