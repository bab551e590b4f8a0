/*
 * ctl_catalog_import.c - `ybgwctl catalog import` and `diff` (see
 * ctl_catalog.h).
 *
 * Both read the file with yb_cat_import; diff is the same reading with
 * dry_run, so what it lists is exactly what an import would do, rejected
 * rows included. Unless --no-check-codes, each row's national code is
 * judged by the coding-standard plugin of the kind its list_type has in the
 * catalog section (list_kind LIST_TYPE KIND|-), so a mapping the gateway
 * would refuse on a fee line never enters the store. The plugins are loaded
 * with the gateway's own loader and configuration, except the catalog
 * plugin itself (it would open the store and load every mapping for
 * nothing).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_catalog.h"
#include "ctl_journal.h"
#include "ctl_send.h"
#include "plugin_host.h"
#include "settings.h"

/* ---- checking national codes with the coding-standard plugins ---- */

/* list_type -> kind when the catalog section names none (plugin_conf). */
static const char *const default_kinds[][2] = {
    {"101", "drug"}, {"102", "drug"},    {"103", "-"},
    {"104", "drug"}, {"201", "service"}, {"301", "consumable"},
};
#define N_DEFAULT_KINDS (sizeof(default_kinds) / sizeof(default_kinds[0]))
#define MAX_LIST_TYPES 32

struct code_check {
    const char *types[MAX_LIST_TYPES + 1]; /* NULL-terminated, for yb_cat_row_check */
    const char *kind_names[MAX_LIST_TYPES];
    const struct yb_code_kind *kinds[MAX_LIST_TYPES]; /* NULL: not checked */
    size_t n;
};

/* What the callbacks of one import share (opts->arg). */
struct import_ui {
    int tty;
    int shown;
    double t0;
    int json;
    json_t *changes;             /* diff --json: the changes */
    const struct code_check *cc; /* check_code */
};

/* The list_types and their kinds: the catalog section's list_kind
 * directives, or the defaults when it has none. */
static int list_kinds(struct code_check *cc, const struct ctl_cat_conf *c, const char *cmd)
{
    memset(cc, 0, sizeof(*cc));
    for (const struct yb_conf *d = c && c->section ? c->section->children : NULL; d; d = d->next) {
        if (strcmp(d->name, "list_kind") != 0)
            continue;
        if (d->argc != 2 || cc->n == MAX_LIST_TYPES) {
            fprintf(stderr, "ybgwctl catalog %s: %s:%d: list_kind takes LIST_TYPE KIND%s\n", cmd,
                    d->file, d->line, d->argc == 2 ? " (too many of them)" : "");
            return -1;
        }
        cc->types[cc->n] = d->argv[0];
        cc->kind_names[cc->n++] = d->argv[1];
    }
    for (size_t i = 0; cc->n == 0 && i < N_DEFAULT_KINDS; i++) {
        cc->types[i] = default_kinds[i][0];
        cc->kind_names[i] = default_kinds[i][1];
    }
    if (cc->n == 0)
        cc->n = N_DEFAULT_KINDS;
    cc->types[cc->n] = NULL;
    return 0;
}

/* Load the configuration's plugins but the catalog one, the way ybgw
 * does, and find each list_type's kind. Non-zero: codes cannot be checked
 * (why in err). */
static int load_kinds(struct code_check *cc, struct ctl_cat_conf *c, char *err, size_t errcap)
{
    if (ctl_conf_plugins(&c->base, "catalog", err, errcap))
        return -1;
    for (size_t i = 0; i < cc->n; i++) {
        if (strcmp(cc->kind_names[i], "-") == 0)
            continue;
        cc->kinds[i] = yb_plugins_kind(c->base.plugins, cc->kind_names[i]);
        if (!cc->kinds[i])
            fprintf(stderr,
                    "ybgwctl catalog: note: no plugin of %s owns kind %s: the national codes of "
                    "list_type %s are not checked\n",
                    c->base.path, cc->kind_names[i], cc->types[i]);
    }
    return 0;
}

/* opts->check_row: the kind of the row's list_type judges med_list_codg; a
 * warning passes, as it does in the gateway. */
static int check_code(const struct yb_cat_row *row, char *err, size_t errcap, void *arg)
{
    const struct code_check *cc = ((const struct import_ui *)arg)->cc;
    const char *type = row->f[YB_CAT_LIST_TYPE], *code = row->f[YB_CAT_MED_LIST_CODG];
    for (size_t i = 0; type && code && i < cc->n; i++) {
        const struct yb_code_kind *k = cc->kinds[i];
        if (strcmp(cc->types[i], type) != 0 || !k)
            continue;
        struct yb_code_verdict v;
        memset(&v, 0, sizeof(v));
        if (k->validate(k->state, code, strlen(code), &v) < 0) {
            snprintf(err, errcap, "med_list_codg: the %s check failed", k->name);
            return 1;
        }
        if (v.status != YB_CODE_INVALID)
            return 0;
        snprintf(err, errcap,
                 "med_list_codg: \"%s\" is not a valid %s code for list_type %s: %s%s%s%s", code,
                 k->name, type, v.reason, v.segment[0] ? " (segment " : "", v.segment,
                 v.segment[0] ? ")" : "");
        return 1;
    }
    return 0;
}

/* ---- import and diff ---- */

static void on_progress(uint64_t bytes, uint64_t total, uint64_t rows, void *arg)
{
    struct import_ui *ui = arg;
    char r[32], s[32];
    if (!ui->tty)
        return;
    double secs = ctl_cat_now() - ui->t0;
    unsigned pct = total ? (unsigned)(bytes * 100 / total) : 100;
    fprintf(stderr, "\r%3u%%  %s rows  %s rows/s\033[K", pct, ctl_cat_thousands(rows, r, sizeof(r)),
            ctl_cat_thousands(secs > 0 ? (uint64_t)((double)rows / secs) : 0, s, sizeof(s)));
    fflush(stderr);
    ui->shown = 1;
}

static int is_date_field(int f)
{
    return f == YB_CAT_BEGNDATE || f == YB_CAT_ENDDATE;
}

/* The file's value of field F as the store would keep it. */
static const char *new_value(const struct yb_cat_row *row, int f, char date[11])
{
    const char *v = row->f[f] ? row->f[f] : "";
    if (is_date_field(f) && *v && yb_cat_date_norm(v, date) == 0)
        return date;
    return v;
}

/* diff's on_change: one line (or JSON object) per added or changed row. */
static int on_change(const struct yb_cat_record *old, const struct yb_cat_row *nr, int outcome,
                     uint64_t line, void *arg)
{
    struct import_ui *ui = arg;
    const char *local = nr->f[YB_CAT_HILIST_ID], *national = nr->f[YB_CAT_MED_LIST_CODG];
    const char *fixmedins = nr->f[YB_CAT_FIXMEDINS_CODE] ? nr->f[YB_CAT_FIXMEDINS_CODE] : "";
    json_t *o = NULL, *fields = NULL;
    if (ui->json) {
        o = json_object();
        json_object_set_new(o, "change", json_string(old ? "changed" : "added"));
        json_object_set_new(o, "line", json_integer((json_int_t)line));
        json_object_set_new(o, "fixmedins_code", json_string(fixmedins));
        json_object_set_new(o, "fixmedins_hilist_id", json_string(local ? local : ""));
        json_object_set_new(o, "med_list_codg", json_string(national ? national : ""));
        json_object_set_new(
            o, "fixmedins_hilist_name",
            json_string(nr->f[YB_CAT_HILIST_NAME] ? nr->f[YB_CAT_HILIST_NAME] : ""));
        if (old)
            json_object_set_new(o, "fields", fields = json_array());
        json_array_append_new(ui->changes, o);
    } else if (!old || outcome == YB_CAT_ADDED) {
        printf("+ %s -> %s (%s)\n", local, national,
               nr->f[YB_CAT_HILIST_NAME] ? nr->f[YB_CAT_HILIST_NAME] : "");
    }
    for (int f = YB_CAT_HILIST_ID; old && f < YB_CAT_NFIELDS; f++) {
        char date[11];
        const char *was = old->row.f[f] ? old->row.f[f] : "", *now = new_value(nr, f, date);
        if (strcmp(was, now) == 0)
            continue;
        if (fields) {
            json_t *c = json_object();
            json_object_set_new(c, "field", json_string(yb_cat_field_names[f]));
            json_object_set_new(c, "old", json_string(was));
            json_object_set_new(c, "new", json_string(now));
            json_array_append_new(fields, c);
        } else if (!ui->json) {
            printf("~ %s: %s %s -> %s\n", local, yb_cat_field_names[f], *was ? was : "(none)",
                   *now ? now : "(none)");
        }
    }
    return 0;
}

/* The rows of a reject file ("LINE<TAB>reason<TAB>record"): printed as
 * "! line N: reason", or appended to ARRAY; at most MAX (0: all). */
static void show_rejects(const char *path, json_t *array, uint64_t max)
{
    FILE *f = fopen(path, "r");
    char buf[8192];
    uint64_t n = 0;
    while (f && fgets(buf, sizeof(buf), f)) {
        size_t len = strlen(buf);
        int whole = len && buf[len - 1] == '\n';
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '#') /* the file's own explanation */
            continue;
        char *reason = strchr(buf, '\t');
        if (reason) {
            *reason++ = '\0';
            reason[strcspn(reason, "\t")] = '\0';
        }
        if (!max || n < max) {
            if (array) {
                json_t *o = json_object();
                json_object_set_new(o, "line", json_integer(strtoll(buf, NULL, 10)));
                json_object_set_new(o, "reason", json_string(reason ? reason : ""));
                json_array_append_new(array, o);
            } else {
                printf("! line %s: %s\n", buf, reason ? reason : "");
            }
        }
        n++;
        while (!whole && fgets(buf, sizeof(buf), f)) /* the rest of a long record */
            whole = buf[strlen(buf) - 1] == '\n';
    }
    if (f)
        fclose(f);
    if (max && n > max && !array)
        printf("! and %" PRIu64 " more (see %s)\n", n - max, path);
}

struct import_args {
    struct ctl_cat_opts o;
    const char *file, *rejects, *by;
    int partial, synced, check_codes, dry_run;
};

static int import_options(int argc, char **argv, struct import_args *a)
{
    static const struct option options[] = {
        CTL_CAT_OPTIONS,
        {"rejects", required_argument, NULL, 'r'},
        {"partial", no_argument, NULL, 'p'},
        {"synced", no_argument, NULL, 's'},
        {"by", required_argument, NULL, 'b'},
        {"no-check-codes", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = ctl_cat_getopt(argc, argv, "c:qjh", options, &a->o)) != -1) {
        if (a->dry_run && strchr("rpsb", opt)) { /* import only */
            ctl_cat_usage(stderr, a->o.cmd);
            return -1;
        }
        switch (opt) {
        case 'r':
            a->rejects = optarg;
            break;
        case 'p':
            a->partial = 1;
            break;
        case 's':
            a->synced = 1;
            break;
        case 'b':
            a->by = optarg;
            break;
        case 'n':
            a->check_codes = 0;
            break;
        case 'h':
            ctl_cat_usage(stdout, a->o.cmd);
            printf("  --fixmedins CODE  the institution of rows without a fixmedins_code column\n"
                   "  --db PATH         the store (default: `store` of plugin catalog in the "
                   "configuration)\n"
                   "  -c CONF           the configuration (default: conf/ybgw.conf if present, "
                   "else %s/ybgw.conf)\n"
                   "  --no-check-codes  do not ask the coding-standard plugins (by list_kind of "
                   "plugin catalog)\n                    whether med_list_codg is valid\n",
                   YB_SYSCONFDIR);
            if (a->dry_run) {
                printf(
                    "  Lists \"+ LOCAL -> NATIONAL (name)\" for each mapping the file adds,\n"
                    "  \"~ LOCAL: field old -> new\" for each field it changes, and the rows an\n"
                    "  import would reject. Exit 0 no change, 1 changes or rejected rows.\n");
                return 1;
            }
            printf("  --rejects PATH    where rejected rows go (default FILE.rejects), as "
                   "LINE<TAB>reason<TAB>record\n"
                   "  --partial         import the good rows even when some are rejected\n"
                   "  --synced          mark the rows as already filed with the platform\n"
                   "  --by NAME         who made the change (default: the login user)\n"
                   "  --quiet           print nothing unless something was rejected\n"
                   "  The file: CSV or TSV, UTF-8, the 3301 field names as header. All or "
                   "nothing\n  unless --partial. Exit 0 imported, 1 rows rejected, 2 "
                   "unreadable file or store.\n");
            return 1;
        default:
            return -1;
        }
    }
    if (a->dry_run && a->o.quiet) { /* --quiet: import only */
        ctl_cat_usage(stderr, a->o.cmd);
        return -1;
    }
    if (ctl_cat_operands(&a->o, argc, argv, 1))
        return -1;
    a->file = argv[optind];
    if (a->by && (!*a->by || strlen(a->by) > 100)) {
        fprintf(stderr, "ybgwctl catalog %s: --by takes a name of 1 to 100 bytes\n", a->o.cmd);
        return -1;
    }
    return 0;
}

static void print_summary(const struct import_args *a, const struct yb_cat_import_result *r)
{
    char n[6][32];
    double rate = r->seconds > 0 ? (double)r->rows / r->seconds : (double)r->rows;
    const char *verb = a->dry_run ? "would be " : "";
    printf("%s rows: %s %sadded, %s %schanged, %s unchanged, %s rejected",
           ctl_cat_thousands(r->rows, n[0], sizeof(n[0])),
           ctl_cat_thousands(r->added, n[1], sizeof(n[1])), verb,
           ctl_cat_thousands(r->changed, n[2], sizeof(n[2])), verb,
           ctl_cat_thousands(r->same, n[3], sizeof(n[3])),
           ctl_cat_thousands(r->rejected, n[4], sizeof(n[4])));
    if (r->rejected && !a->dry_run)
        printf(" (reject file %s)", r->reject_path);
    if (a->dry_run)
        printf("; nothing written");
    else if (r->committed)
        printf("; committed");
    else if (r->rejected)
        printf("; nothing imported%s", a->partial ? "" : " (all or nothing: see --partial)");
    else
        printf("; nothing to change");
    printf(" (%.2f s, %s rows/s)\n", r->seconds,
           ctl_cat_thousands((uint64_t)rate, n[5], sizeof(n[5])));
    if (r->rejected && !a->dry_run)
        printf("first rejected: %s\n", r->first_reject);
}

static json_t *result_json(const struct import_args *a, const char *db,
                           const struct yb_cat_import_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(a->file));
    json_object_set_new(o, "db", json_string(db));
    json_object_set_new(o, "rows", json_integer((json_int_t)r->rows));
    json_object_set_new(o, "added", json_integer((json_int_t)r->added));
    json_object_set_new(o, "changed", json_integer((json_int_t)r->changed));
    json_object_set_new(o, "unchanged", json_integer((json_int_t)r->same));
    json_object_set_new(o, "rejected", json_integer((json_int_t)r->rejected));
    json_object_set_new(o, "committed", json_boolean(r->committed));
    json_object_set_new(o, "seconds", json_real(r->seconds));
    if (!a->dry_run) {
        json_object_set_new(o, "reject_file", json_string(r->reject_path));
        json_object_set_new(o, "first_rejected", json_string(r->first_reject));
    }
    return o;
}

/* The audit record of a committed import in the journal of the
 * configuration (ctl_journal.h): who, the file, its size and SHA-256 (the
 * version imported), the store and the counts. */
static void audit_import(const struct import_args *a, const char *db,
                         const struct yb_cat_import_result *r)
{
    char who[160], sha[65] = "unreadable", detail[6000];
    uint64_t size = 0;
    ctl_journal_file_sha256(a->file, sha, &size);
    snprintf(
        detail, sizeof(detail),
        "catalog import %s (%" PRIu64 " bytes, sha256 %s) into %s%s%s%s: %" PRIu64 " rows, %" PRIu64
        " added, %" PRIu64 " changed, %" PRIu64 " unchanged, %" PRIu64 " rejected",
        a->file, size, sha, db, a->o.fixmedins ? " for " : "", a->o.fixmedins ? a->o.fixmedins : "",
        a->synced ? " (marked synced)" : "", r->rows, r->added, r->changed, r->same, r->rejected);
    ctl_journal_mapping_event("catalog import", a->o.conf,
                              ctl_journal_operator(a->by, who, sizeof(who)), detail);
}

/* import and diff: the same reading of the file; diff writes nothing. */
static int import_run(int argc, char **argv, int dry_run)
{
    struct import_args a = {.o.cmd = argv[0], .check_codes = 1, .dry_run = dry_run};
    struct ctl_cat_conf c = {0};
    struct code_check cc;
    struct yb_cat_store *st = NULL;
    struct import_ui ui = {0};
    char db[4096], err[2048] = "", source[4200], tmp_dir[4096] = "", reject_tmp[4200] = "",
                   empty_db[4200] = "";
    int rc = CTL_EXIT_TRANSPORT, have_conf = 0, checked = 0;

    int o = import_options(argc, argv, &a);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    /* the configuration: for the store unless --db, and for the code check */
    if (a.o.conf || !a.o.db) {
        if (ctl_cat_conf_read(&c, a.o.conf, a.o.cmd, 0, err, sizeof(err)))
            goto out;
        have_conf = 1;
    } else if (a.check_codes) {
        have_conf = ctl_cat_conf_read(&c, NULL, a.o.cmd, 1, err, sizeof(err)) == 0;
    }
    if (list_kinds(&cc, have_conf ? &c : NULL, a.o.cmd))
        goto out;
    if (a.check_codes) {
        if (have_conf && load_kinds(&cc, &c, err, sizeof(err)) == 0)
            checked = 1;
        if (!checked && !a.o.json)
            fprintf(stderr, "ybgwctl catalog %s: note: national codes are not checked: %s\n",
                    a.o.cmd,
                    have_conf ? err
                    : err[0]  ? err
                              : "no configuration");
    }
    if (a.o.db)
        snprintf(db, sizeof(db), "%s", a.o.db);
    else if (ctl_cat_conf_store(&c, a.o.cmd, db, sizeof(db)))
        goto out;

    /* diff keeps nothing: its reject file, and an empty store to compare
     * with when there is none yet, live in a directory of its own */
    int exists = access(db, F_OK) == 0;
    if (dry_run) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof(tmp_dir), "%s/ybgwctl-diff.XXXXXX", t && *t ? t : "/tmp");
        if (strlen(tmp_dir) + 16 >= sizeof(tmp_dir) || !mkdtemp(tmp_dir)) {
            fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", a.o.cmd, tmp_dir, strerror(errno));
            tmp_dir[0] = '\0';
            goto out;
        }
        snprintf(reject_tmp, sizeof(reject_tmp), "%s/rejects", tmp_dir);
        snprintf(empty_db, sizeof(empty_db), "%s/empty.db", tmp_dir);
    }
    if (yb_cat_store_open(dry_run && !exists ? empty_db : db,
                          dry_run && exists ? YB_CAT_RDONLY : YB_CAT_CREATE, &st, err,
                          sizeof(err))) {
        fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", a.o.cmd, db, err);
        goto out;
    }
    if (dry_run && !exists && !a.o.json)
        printf("(%s does not exist yet: every good row would be added)\n", db);
    snprintf(source, sizeof(source), "import %s", a.file);
    struct yb_cat_who who = {a.by ? a.by : ctl_cat_login(), source, NULL, NULL};
    ui.tty = isatty(STDERR_FILENO) && !a.o.json && !a.o.quiet;
    ui.t0 = ctl_cat_now();
    ui.json = a.o.json;
    ui.changes = a.o.json && dry_run ? json_array() : NULL;
    ui.cc = &cc;
    struct yb_cat_import_opts opts = {
        .path = a.file,
        .fixmedins = a.o.fixmedins,
        .reject_path = dry_run ? reject_tmp : a.rejects,
        .who = &who,
        .list_types = cc.types,
        .sync = a.synced ? YB_CAT_SYNCED : YB_CAT_UNSYNCED,
        .dry_run = dry_run,
        .partial = a.partial,
        .on_change = dry_run ? on_change : NULL,
        .check_row = checked ? check_code : NULL,
        .on_progress = on_progress,
        .arg = &ui,
    };
    struct yb_cat_import_result res;
    memset(&res, 0, sizeof(res));
    err[0] = '\0';
    int irc = yb_cat_import(st, &opts, &res, err, sizeof(err));
    if (ui.shown)
        fputc('\n', stderr);
    if (irc) {
        fprintf(stderr, "ybgwctl catalog %s: %s; nothing %s\n", a.o.cmd,
                err[0] ? err : "the import failed", dry_run ? "compared" : "imported");
        rc = irc == YB_EINVAL || irc == YB_ELIMIT ? CTL_EXIT_REJECTED : CTL_EXIT_TRANSPORT;
        goto out;
    }
    if (a.o.json) {
        json_t *out = result_json(&a, db, &res);
        if (dry_run) {
            json_t *rejected = json_array();
            show_rejects(reject_tmp, rejected, 0);
            json_object_set_new(out, "changes", ui.changes);
            json_object_set_new(out, "rejected_rows", rejected);
            ui.changes = NULL;
        }
        ctl_cat_print_json(out);
    } else {
        if (dry_run && res.rejected)
            show_rejects(reject_tmp, NULL, 0);
        if (!a.o.quiet || res.rejected)
            print_summary(&a, &res);
    }
    if (dry_run)
        rc = res.added || res.changed || res.rejected ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
    else
        rc = res.rejected ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
    /* the configuration's store, or -c named: its journal records the change */
    if (!dry_run && res.committed && (a.o.conf || !a.o.db))
        audit_import(&a, db, &res);
out:
    json_decref(ui.changes);
    yb_cat_store_close(st);
    if (tmp_dir[0]) {
        const char *const leftovers[] = {"rejects", "empty.db", "empty.db-wal", "empty.db-shm"};
        for (size_t i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
            snprintf(reject_tmp, sizeof(reject_tmp), "%s/%s", tmp_dir, leftovers[i]);
            unlink(reject_tmp);
        }
        rmdir(tmp_dir);
    }
    ctl_cat_conf_close(&c);
    return rc;
}

int ctl_cat_import_main(int argc, char **argv)
{
    return import_run(argc, argv, 0);
}

int ctl_cat_diff_main(int argc, char **argv)
{
    return import_run(argc, argv, 1);
}
