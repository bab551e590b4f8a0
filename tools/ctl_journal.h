/*
 * ctl_journal.h - ybgwctl journal: the transaction journal (gateway/jchain.h)
 * from the command line, and the audit records other ybgwctl commands leave
 * in it.
 *
 * ctl_journal.c          the sub-command table, the options they share,
 *                        finding and opening the database, the key, times,
 *                        the operator's name, appending an audit event, the
 *                        audit records of catalogue changes;
 * ctl_journal_list.c     list and audit, and the output helpers below;
 * ctl_journal_show.c     show (and --reveal);
 * ctl_journal_export.c   export (CSV or JSON, streamed);
 * ctl_journal_resolve.c  resolve and verify.
 *
 * The database is --db FILE, else the `journal { path ...; }` of the
 * configuration (-c FILE, default as ybgw finds it), taken relative to the
 * current directory as the gateway takes it. Every write (resolve, the audit
 * events of reveal and of catalogue changes) goes through yb_jchain_append
 * inside its own BEGIN IMMEDIATE, like the gateway's writer, so the chain
 * never forks. Exit status of every sub-command: 0 done, 1 not found,
 * refused or the chain is broken, 2 bad usage, configuration or I/O.
 */
#ifndef YBGW_CTL_JOURNAL_H
#define YBGW_CTL_JOURNAL_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

/* `ybgwctl journal` */
int ctl_journal_main(int argc, char **argv);

/* The operator who runs the command, as recorded in the journal:
 * "NAME (uid N)", NAME being GIVEN when not NULL, else $SUDO_USER (with
 * $SUDO_UID), else the login name of the real uid. Returns buf. */
const char *ctl_journal_operator(const char *given, char *buf, size_t cap);

/* For the commands that change the mapping store: append an audit event
 * 'mapping' (WHO, DETAIL) to the journal of the configuration CONF_PATH
 * (NULL: the default one), when it names a journal that exists. A journal
 * that cannot be opened or written is a warning on stderr, never a
 * failure: returns 0 appended, 1 not appended (CMD names the command in the
 * warning, e.g. "catalog import"). */
int ctl_journal_mapping_event(const char *cmd, const char *conf_path, const char *who,
                              const char *detail);

/* Hex SHA-256 of the file at PATH (a version stamp for audit records).
 * 0, or -1 when it cannot be read. */
int ctl_journal_file_sha256(const char *path, char hex[65], uint64_t *size);

/* ---- shared by the ctl_journal*.c files; nothing else uses them ---- */

/* The sub-commands; argv[0] is the sub-command's name. Each returns the
 * process's exit status (enum ctl_exit). */
int ctl_jr_list_main(int argc, char **argv);    /* ctl_journal_list.c */
int ctl_jr_audit_main(int argc, char **argv);   /* ctl_journal_list.c */
int ctl_jr_show_main(int argc, char **argv);    /* ctl_journal_show.c */
int ctl_jr_export_main(int argc, char **argv);  /* ctl_journal_export.c */
int ctl_jr_resolve_main(int argc, char **argv); /* ctl_journal_resolve.c */
int ctl_jr_verify_main(int argc, char **argv);  /* ctl_journal_resolve.c */

/* First in each sub-command's getopt_long table: --db FILE, -c/--config
 * FILE, --help. */
/* clang-format off */
#define CTL_JR_OPTIONS                                                                            \
    {"db", required_argument, NULL, 'D'}, {"config", required_argument, NULL, 'c'},               \
        {"help", no_argument, NULL, 'h'}
/* clang-format on */

struct ctl_jr_opts {
    const char *cmd; /* the sub-command's name (argv[0]) */
    const char *db, *conf;
};

/* getopt_long over ARGV that takes 'D' and 'c' into O itself. Returns the
 * next other option, -1 at the end, or '?' after printing the usage. */
int ctl_jr_getopt(int argc, char **argv, const char *shortopts, const struct option *options,
                  struct ctl_jr_opts *o);
/* After the options: exactly N operands, none empty; else the usage and -1. */
int ctl_jr_operands(const struct ctl_jr_opts *o, int argc, char **argv, int n);
/* Print the usage line of sub-command NAME to F. */
void ctl_jr_usage(FILE *f, const char *name);

enum { CTL_JR_READ = 0, CTL_JR_WRITE = 1 };

/* Open the journal (--db, else the configuration's) for reading or
 * writing; it must exist and hold the journal tables. The path opened goes
 * to path. Prints why not ("ybgwctl journal CMD: ...") and returns -1. */
int ctl_jr_open(const struct ctl_jr_opts *o, int mode, sqlite3 **db, char *path, size_t cap);

/* The journal key for --reveal: KEY_FILE when given, else the key_file of
 * the configuration; the file's name goes to name (for later errors).
 * Prints why not, naming the file, and returns -1. */
int ctl_jr_load_key(const struct ctl_jr_opts *o, const char *key_file, unsigned char key[32],
                    char *name, size_t cap);

/* A time argument: Unix ms (digits), "YYYY-MM-DD" (local midnight; with
 * END_OF_DAY the next midnight, so an --until date includes its day) or
 * "YYYY-MM-DDTHH:MM:SS" (local; a space for the T too). 0 or -1. */
int ctl_jr_time(const char *text, int end_of_day, int64_t *ms);
/* Unix ms as local "YYYY-MM-DD HH:MM:SS.mmm" in buf (24 bytes or more). */
const char *ctl_jr_fmt_time(int64_t ms, char *buf, size_t cap);
/* The current time in Unix ms. */
int64_t ctl_jr_now_ms(void);

/* Append the audit event WHAT (WHO, DETAIL) in its own BEGIN IMMEDIATE.
 * 0, or -1 with the reason in err. */
int ctl_jr_audit(sqlite3 *db, const char *what, const char *who, const char *detail, char *err,
                 size_t errcap);

/* ---- output (ctl_journal_list.c) ---- */

/* The journal's columns but the sealed ones, in the table's order
 * (jchain.h), as names and as a SELECT list: what show prints and export
 * writes. */
#define CTL_JR_N_COLUMNS 27
extern const char *const ctl_jr_columns[CTL_JR_N_COLUMNS];
#define CTL_JR_COLUMN_LIST                                                                         \
    "id, msgid, infno, fixmedins_code, psn_no, caller, node, route, route_why, hops, "             \
    "received_at, forwarded_at, answered_at, status, infcode, http_status, attempts, "             \
    "upstream_ms, total_ms, error, req_hash, request, response, resolution, resolved_by, "         \
    "resolved_at, resolution_note"
enum { CTL_JR_COL_RECEIVED_AT = 10, CTL_JR_COL_REQUEST = 21, CTL_JR_COL_RESPONSE = 22 };

/* s[0..len) to F with each control character as '?' (text from outside
 * never drives the terminal); puts: a NUL-terminated S, NULL as "". */
void ctl_jr_put_clean(FILE *f, const char *s, size_t len);
void ctl_jr_puts_clean(FILE *f, const char *s);

/* Column I of ST as JSON (null, integer, real, or a string with invalid
 * UTF-8 bytes as '?'); NULL when memory runs out. */
struct json_t;
struct json_t *ctl_jr_column_json(sqlite3_stmt *st, int i);
/* Column I of ST as text: "" for NULL, numbers in decimal into buf. */
const char *ctl_jr_column_text(sqlite3_stmt *st, int i, char *buf, size_t cap);
/* Print V on its own line with json_dumps FLAGS and release it; -1 when
 * memory runs out. */
int ctl_jr_print_json(FILE *f, struct json_t *v, int flags);
/* The value of time option --NAME into *ms (ctl_jr_time), or -1 after
 * saying what a time looks like. */
int ctl_jr_time_option(const char *cmd, const char *name, const char *value, int end_of_day,
                       int64_t *ms);

#endif
