/*
 * ctl_journal.c - `ybgwctl journal`: the sub-command table, and what the
 * sub-commands share (ctl_journal.h): options, finding and opening the
 * database, the key, times, the operator's name, appending an audit event,
 * and the audit records of catalogue changes.
 *
 * The journal belongs to the gateway; ybgwctl reads it with SQLite directly
 * and writes only what an operator decides: the resolution of a row whose
 * outcome is unknown, and audit events (who revealed what, who resolved
 * what, who changed the mappings). Each write is one BEGIN IMMEDIATE
 * transaction that reads the chain's tail there (yb_jchain_append), so a
 * running gateway and ybgwctl never fork the chain; SQLite's busy timeout
 * (set by yb_jchain_schema) makes each wait for the other.
 */
#include "ctl_journal.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_conf.h"
#include "ctl_send.h"
#include "ctl_subcommand.h"
#include "jchain.h"
#include "journal.h"
#include "seal.h"
#include "settings.h"

static const struct ctl_subcommand jr_commands[] = {
    {"list", ctl_jr_list_main,
     "[--status S] [--infno N] [--msgid M] [--since T] [--until T] [--unresolved] [--limit N] "
     "[--json] [--db FILE | -c CONF]",
     "the journal's rows, newest first"},
    {"show", ctl_jr_show_main,
     "ID|MSGID [--reveal] [--key FILE] [--operator NAME] [--db FILE | -c CONF]",
     "every column of a row, its request and response"},
    {"export", ctl_jr_export_main,
     "--since T --until T [--format csv|json] [--out FILE] [--db FILE | -c CONF]",
     "the rows received in a period, as CSV or JSON (masked texts only)"},
    {"resolve", ctl_jr_resolve_main,
     "ID --as reversed|settled|not_settled --note TEXT [--operator NAME] [--db FILE | -c CONF]",
     "record what became of a row whose outcome is unknown"},
    {"verify", ctl_jr_verify_main, "[--db FILE | -c CONF]",
     "check the hash chain and every row against it"},
    {"audit", ctl_jr_audit_main, "[--since T] [--json] [--db FILE | -c CONF]",
     "the audit events: reloads, mapping changes, resolutions, reveals"},
    {NULL, NULL, NULL, NULL},
};

/* ---- shared helpers ---- */

void ctl_jr_usage(FILE *f, const char *name)
{
    ctl_subcommand_usage(f, "journal", jr_commands, name);
}

int ctl_jr_getopt(int argc, char **argv, const char *shortopts, const struct option *options,
                  struct ctl_jr_opts *o)
{
    for (;;) {
        int opt = getopt_long(argc, argv, shortopts, options, NULL);
        switch (opt) {
        case 'D':
            o->db = optarg;
            break;
        case 'c':
            o->conf = optarg;
            break;
        case '?':
        case ':':
            ctl_jr_usage(stderr, o->cmd);
            return '?';
        default:
            return opt;
        }
    }
}

int ctl_jr_operands(const struct ctl_jr_opts *o, int argc, char **argv, int n)
{
    int ok = argc - optind == n;
    for (int i = optind; ok && i < argc; i++)
        ok = argv[i][0] != '\0';
    if (!ok) {
        if (argc - optind > n)
            fprintf(stderr, "ybgwctl journal %s: unexpected argument \"%s\"\n", o->cmd,
                    argv[optind + n]);
        ctl_jr_usage(stderr, o->cmd);
    }
    return ok ? 0 : -1;
}

int64_t ctl_jr_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *ctl_jr_fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char day[32];
    if (!localtime_r(&secs, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, cap, "%" PRId64, ms);
    else
        snprintf(buf, cap, "%s.%03d", day, (int)(ms % 1000));
    return buf;
}

/* N decimal digits at S into *out; 0 or -1. */
static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int ctl_jr_time(const char *text, int end_of_day, int64_t *ms)
{
    size_t len = strlen(text);
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (len > 0 && len <= 15 && strspn(text, "0123456789") == len) {
        int64_t v = 0;
        for (size_t i = 0; i < len; i++)
            v = v * 10 + (text[i] - '0');
        *ms = v;
        return 0;
    }
    if (len != 10 && len != 19)
        return -1;
    if (digits(text, 4, &y) || text[4] != '-' || digits(text + 5, 2, &mo) || text[7] != '-' ||
        digits(text + 8, 2, &d))
        return -1;
    if (len == 19 &&
        ((text[10] != 'T' && text[10] != ' ') || digits(text + 11, 2, &h) || text[13] != ':' ||
         digits(text + 14, 2, &mi) || text[16] != ':' || digits(text + 17, 2, &s)))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    /* mktime rolls 2026-02-30 over to March: refuse a day the month lacks */
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
        return -1;
    if (len == 10 && end_of_day) {
        tm.tm_mday++;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        if ((t = mktime(&tm)) == (time_t)-1)
            return -1;
    }
    *ms = (int64_t)t * 1000;
    return 0;
}

const char *ctl_journal_operator(const char *given, char *buf, size_t cap)
{
    const char *name = given && *given ? given : NULL;
    unsigned long uid = (unsigned long)getuid();
    if (!name) {
        const char *sudo_user = getenv("SUDO_USER"), *sudo_uid = getenv("SUDO_UID");
        if (sudo_user && *sudo_user) {
            char *end = NULL;
            unsigned long u = sudo_uid && *sudo_uid ? strtoul(sudo_uid, &end, 10) : 0;
            name = sudo_user;
            if (end && !*end)
                uid = u;
        }
    }
    if (!name) {
        const struct passwd *pw = getpwuid(getuid());
        name = pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "unknown";
    }
    snprintf(buf, cap, "%s (uid %lu)", name, uid);
    return buf;
}

int ctl_journal_file_sha256(const char *path, char hex[65], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = f ? EVP_MD_CTX_new() : NULL;
    unsigned char buf[65536], md[32];
    unsigned int mdlen = 0;
    int rc = -1;
    size_t n;
    *size = 0;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (EVP_DigestUpdate(ctx, buf, n) != 1)
            goto out;
        *size += n;
    }
    if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
        goto out;
    for (unsigned i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    if (f)
        fclose(f);
    return rc;
}

/* ---- finding and opening the journal ---- */

/* The journal's path: --db, else the configuration's journal path. Prints
 * why not and returns -1. */
static int journal_path(const struct ctl_jr_opts *o, char *out, size_t cap)
{
    struct ctl_conf c;
    char err[2048];
    if (o->db) {
        if ((size_t)snprintf(out, cap, "%s", o->db) >= cap) {
            fprintf(stderr, "ybgwctl journal %s: --db: the path is too long\n", o->cmd);
            return -1;
        }
        return 0;
    }
    if (ctl_conf_read(&c, o->conf, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl journal %s: %s%s\n", o->cmd, err,
                o->conf ? "" : " (name one with -c FILE, or give --db FILE)");
        return -1;
    }
    int rc = 0;
    const char *path = c.settings->journal.path;
    if (!path || !*path) {
        fprintf(stderr, "ybgwctl journal %s: %s has no `journal { path FILE; }`; give --db FILE\n",
                o->cmd, c.path);
        rc = -1;
    } else if (yb_settings_path(path, out, cap)) {
        fprintf(stderr, "ybgwctl journal %s: %s: the journal path is too long\n", o->cmd, c.path);
        rc = -1;
    }
    ctl_conf_close(&c);
    return rc;
}

/* Open PATH, which must exist and be a journal. err says why not. */
static int open_journal(const char *path, int mode, sqlite3 **db, char *err, size_t errcap)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    *db = NULL;
    if (access(path, F_OK) != 0) {
        snprintf(err, errcap, "%s: no such journal (the gateway creates it when it starts%s)", path,
                 errno == ENOENT ? "" : "; or it cannot be reached");
        return -1;
    }
    int flags = mode == CTL_JR_WRITE ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errcap, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(*db, 5000);
    if (sqlite3_prepare_v2(*db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                           "('journal', 'journal_event')",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errcap, "%s: %s", path, sqlite3_errmsg(*db));
        goto out;
    }
    if (sqlite3_column_int(st, 0) != 2) {
        snprintf(err, errcap, "%s is not a ybgw journal (no journal and journal_event tables)",
                 path);
        goto out;
    }
    /* the writer's settings (WAL, busy timeout); the tables exist already */
    if (mode == CTL_JR_WRITE && yb_jchain_schema(*db, err, errcap))
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    if (rc) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}

int ctl_jr_open(const struct ctl_jr_opts *o, int mode, sqlite3 **db, char *path, size_t cap)
{
    char err[2048] = "";
    *db = NULL;
    if (journal_path(o, path, cap))
        return -1;
    if (open_journal(path, mode, db, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl journal %s: %s\n", o->cmd, err);
        return -1;
    }
    return 0;
}

int ctl_jr_load_key(const struct ctl_jr_opts *o, const char *key_file, unsigned char key[32],
                    char *name, size_t cap)
{
    struct ctl_conf c;
    char err[2048] = "";
    if (key_file) {
        snprintf(name, cap, "%s", key_file);
        if (yb_seal_load_key(key_file, key, err, sizeof(err))) {
            fprintf(stderr, "ybgwctl journal %s: --key: %s\n", o->cmd,
                    err[0] ? err : "cannot read the key");
            return -1;
        }
        return 0;
    }
    if (ctl_conf_read(&c, o->conf, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl journal %s: the key to reveal with: %s (give --key FILE)\n",
                o->cmd, err);
        return -1;
    }
    const struct yb_journal_conf *j = &c.settings->journal;
    int rc = 0;
    if (!j->has_key) {
        fprintf(stderr,
                "ybgwctl journal %s: %s has no journal key_file to open sealed texts with; give "
                "--key FILE\n",
                o->cmd, c.path);
        rc = -1;
    } else {
        memcpy(key, j->key, YB_SEAL_KEY);
        snprintf(name, cap, "%s", j->key_file ? j->key_file : "the configured key_file");
    }
    ctl_conf_close(&c); /* wipes the configuration's copy of the key */
    return rc;
}

int ctl_jr_audit(sqlite3 *db, const char *what, const char *who, const char *detail, char *err,
                 size_t errcap)
{
    struct yb_jevent ev = {ctl_jr_now_ms(), "audit", 0, what, who, detail};
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errcap, "cannot start a write: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (yb_jchain_append(db, &ev, err, errcap) ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        if (!err[0])
            snprintf(err, errcap, "cannot commit: %s", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int ctl_journal_mapping_event(const char *cmd, const char *conf_path, const char *who,
                              const char *detail)
{
    struct ctl_conf c;
    sqlite3 *db = NULL;
    char err[2048] = "", path[4096];
    int rc = 1;
    if (ctl_conf_read(&c, conf_path, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl %s: warning: the change is not in the journal's audit trail: %s\n",
                cmd, err);
        return 1;
    }
    const char *jpath = c.settings->journal.path;
    if (!jpath || !*jpath)
        goto out; /* no journal configured: nothing to record in */
    if (yb_settings_path(jpath, path, sizeof(path))) {
        snprintf(err, sizeof(err), "%s: the journal path is too long", c.path);
    } else if (open_journal(path, CTL_JR_WRITE, &db, err, sizeof(err)) == 0) {
        err[0] = '\0';
        if (ctl_jr_audit(db, "mapping", who, detail, err, sizeof(err)) == 0) {
            rc = 0;
        } else {
            fprintf(stderr,
                    "ybgwctl %s: warning: the change is not in the journal's audit trail: %s: "
                    "%s\n",
                    cmd, path, err);
            goto out;
        }
    }
    if (rc)
        fprintf(stderr, "ybgwctl %s: warning: the change is not in the journal's audit trail: %s\n",
                cmd, err);
out:
    sqlite3_close(db);
    ctl_conf_close(&c);
    return rc;
}

/* ---- ybgwctl journal ---- */

static void journal_usage(FILE *f)
{
    ctl_subcommand_list(f, "journal", jr_commands, 8, 0);
    fprintf(f,
            "\nybgwctl journal SUBCOMMAND --help shows its options. The journal is --db FILE,\n"
            "else the `journal { path FILE; }` of the configuration (-c CONF; default\n"
            "conf/ybgw.conf when present, else %s/ybgw.conf).\n"
            "Times T: \"2026-11-23\", \"2026-11-23T10:00:00\" (local time) or Unix ms.\n"
            "Exit status: 0 done, 1 not found, refused or the chain is broken, 2 bad usage,\n"
            "configuration or I/O.\n",
            YB_SYSCONFDIR);
}

int ctl_journal_main(int argc, char **argv)
{
    return ctl_subcommand_main("journal", jr_commands, journal_usage, argc, argv);
}
