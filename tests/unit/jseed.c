/*
 * jseed.c - a journal database without a gateway, for the tests of
 * `ybgwctl journal` (tests/e2e/journal_cli.sh).
 *
 * It writes only through the contract the gateway's writer uses
 * (gateway/jchain.h): yb_jchain_schema makes the tables, each row insert or
 * change is followed by yb_jchain_append in the same BEGIN IMMEDIATE
 * transaction, and sealed texts are made with seal.h. So a database seeded
 * here is one the gateway could have written, and `ybgwctl journal verify`
 * must find it intact until a test alters it behind the chain's back (with
 * the sqlite3 shell).
 *
 *   jseed DB init
 *   jseed DB row [--key FILE] COLUMN=VALUE ...   prints the new row's id
 *   jseed DB set ID COLUMN=VALUE ...             a txn event for the change
 *   jseed DB audit WHAT WHO DETAIL
 *
 * Values are bound as text; the columns' affinity stores numbers as
 * numbers. With --key, sealed_request=TEXT and sealed_response=TEXT are
 * sealed under the key first. A row gets msgid, infno, received_at (now),
 * status (received) and req_hash (64 zeros) when they are not given.
 * Exit 0, or 1 with the reason on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "jchain.h"
#include "seal.h"
#include "ybgw/ybgw.h"

#define MAX_COLUMNS 40

struct assign {
    const char *name;
    const char *value;
    unsigned char *sealed; /* malloc'd, when the value was sealed */
    size_t sealed_len;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* NAME=VALUE arguments into A (at most MAX_COLUMNS); sealed_* sealed with
 * KEY when given. Returns the count, or -1. */
static int parse_assigns(int argc, char **argv, const unsigned char *key, struct assign *a)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || n == MAX_COLUMNS ||
            strspn(argv[i], "abcdefghijklmnopqrstuvwxyz_") != (size_t)(eq - argv[i])) {
            fprintf(stderr, "jseed: \"%s\" is not COLUMN=VALUE\n", argv[i]);
            return -1;
        }
        *eq = '\0';
        a[n].name = argv[i];
        a[n].value = eq + 1;
        a[n].sealed = NULL;
        if (strncmp(a[n].name, "sealed_", 7) == 0) {
            if (!key) {
                fprintf(stderr, "jseed: %s needs --key FILE\n", a[n].name);
                return -1;
            }
            if (yb_seal(key, a[n].value, strlen(a[n].value), &a[n].sealed, &a[n].sealed_len)) {
                fprintf(stderr, "jseed: cannot seal %s\n", a[n].name);
                return -1;
            }
        }
        n++;
    }
    return n;
}

static void bind_assign(sqlite3_stmt *st, int at, const struct assign *a)
{
    if (a->sealed)
        sqlite3_bind_blob(st, at, a->sealed, (int)a->sealed_len, SQLITE_STATIC);
    else
        sqlite3_bind_text(st, at, a->value, -1, SQLITE_STATIC);
}

static const char *find(const struct assign *a, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return a[i].value;
    return NULL;
}

/* Run SQL (one statement, built by the caller) with A bound in order, then
 * append a txn event for row ID (0: the last insert) saying WHAT. */
static int write_row(sqlite3 *db, const char *sql, const struct assign *a, int n, int64_t id,
                     const char *what, int64_t *out_id)
{
    sqlite3_stmt *st = NULL;
    char err[512] = "";
    int rc = -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, sizeof(err), "%s", sqlite3_errmsg(db));
        goto fail;
    }
    for (int i = 0; i < n; i++)
        bind_assign(st, i + 1, &a[i]);
    if (id)
        sqlite3_bind_int64(st, n + 1, id);
    if (sqlite3_step(st) != SQLITE_DONE || (id && sqlite3_changes(db) != 1)) {
        snprintf(err, sizeof(err), "%s",
                 id && sqlite3_changes(db) != 1 ? "no such row" : sqlite3_errmsg(db));
        goto fail;
    }
    *out_id = id ? id : sqlite3_last_insert_rowid(db);
    struct yb_jevent ev = {now_ms(), "txn", *out_id, what, "jseed", NULL};
    if (yb_jchain_append(db, &ev, err, sizeof(err)) ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "jseed: %s\n", err[0] ? err : sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_finalize(st);
    return rc;
}

static int cmd_row(sqlite3 *db, int argc, char **argv)
{
    unsigned char key[YB_SEAL_KEY];
    struct assign a[MAX_COLUMNS + 5];
    char err[512], sql[4096], received[32];
    size_t used;
    int n, rc = -1, have_key = 0;
    int64_t id;
    if (argc >= 2 && strcmp(argv[0], "--key") == 0) {
        if (yb_seal_load_key(argv[1], key, err, sizeof(err))) {
            fprintf(stderr, "jseed: %s\n", err);
            return -1;
        }
        have_key = 1;
        argc -= 2;
        argv += 2;
    }
    if ((n = parse_assigns(argc, argv, have_key ? key : NULL, a)) < 0)
        goto out;
    snprintf(received, sizeof(received), "%" PRId64, now_ms());
    const char *const defaults[][2] = {{"msgid", "H45019900055202611230000000001"},
                                       {"infno", "2207"},
                                       {"received_at", received},
                                       {"status", "received"},
                                       {"req_hash", "000000000000000000000000000000000000000000000"
                                                    "0000000000000000000"}};
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (!find(a, n, defaults[i][0]))
            a[n++] = (struct assign){defaults[i][0], defaults[i][1], NULL, 0};
    used = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO journal(");
    for (int i = 0; i < n && used < sizeof(sql); i++)
        used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s%s", i ? ", " : "", a[i].name);
    for (int i = 0; i < n && used < sizeof(sql); i++)
        used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s?", i ? ", " : ") VALUES(");
    if (used + 2 >= sizeof(sql))
        goto out;
    snprintf(sql + used, sizeof(sql) - used, ")");
    if (write_row(db, sql, a, n, 0, find(a, n, "status"), &id) == 0) {
        printf("%" PRId64 "\n", id);
        rc = 0;
    }
out:
    for (int i = 0; n > 0 && i < n; i++)
        free(a[i].sealed);
    memset(key, 0, sizeof(key));
    return rc;
}

static int cmd_set(sqlite3 *db, int argc, char **argv)
{
    struct assign a[MAX_COLUMNS];
    char sql[4096];
    size_t used;
    int64_t id, done;
    int n;
    if (argc < 2 || (id = strtoll(argv[0], NULL, 10)) <= 0) {
        fprintf(stderr, "jseed: set ID COLUMN=VALUE ...\n");
        return -1;
    }
    if ((n = parse_assigns(argc - 1, argv + 1, NULL, a)) <= 0)
        return -1;
    used = (size_t)snprintf(sql, sizeof(sql), "UPDATE journal SET ");
    for (int i = 0; i < n && used < sizeof(sql); i++)
        used +=
            (size_t)snprintf(sql + used, sizeof(sql) - used, "%s%s = ?", i ? ", " : "", a[i].name);
    if (used + 20 >= sizeof(sql))
        return -1;
    snprintf(sql + used, sizeof(sql) - used, " WHERE id = ?");
    const char *status = find(a, n, "status");
    return write_row(db, sql, a, n, id, status ? status : "changed", &done);
}

static int cmd_audit(sqlite3 *db, int argc, char **argv)
{
    char err[512] = "";
    if (argc != 3) {
        fprintf(stderr, "jseed: audit WHAT WHO DETAIL\n");
        return -1;
    }
    struct yb_jevent ev = {now_ms(), "audit", 0, argv[0], argv[1], argv[2]};
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        yb_jchain_append(db, &ev, err, sizeof(err)) ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "jseed: %s\n", err[0] ? err : sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    char err[512] = "";
    int rc = 1;
    if (argc < 3) {
        fprintf(stderr, "usage: jseed DB init|row|set|audit ...\n");
        return 1;
    }
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "jseed: %s: %s\n", argv[1], sqlite3_errmsg(db));
        goto out;
    }
    if (yb_jchain_schema(db, err, sizeof(err))) {
        fprintf(stderr, "jseed: %s: %s\n", argv[1], err);
        goto out;
    }
    const char *cmd = argv[2];
    int sub_argc = argc - 3;
    char **sub_argv = argv + 3;
    if (strcmp(cmd, "init") == 0) {
        rc = 0;
    } else if (strcmp(cmd, "row") == 0) {
        rc = cmd_row(db, sub_argc, sub_argv) ? 1 : 0;
    } else if (strcmp(cmd, "set") == 0) {
        rc = cmd_set(db, sub_argc, sub_argv) ? 1 : 0;
    } else if (strcmp(cmd, "audit") == 0) {
        rc = cmd_audit(db, sub_argc, sub_argv) ? 1 : 0;
    } else {
        fprintf(stderr, "jseed: unknown command \"%s\"\n", cmd);
    }
out:
    sqlite3_close(db);
    return rc;
}
