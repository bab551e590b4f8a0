/*
 * ctl_catalog_sync.c - `ybgwctl catalog sync`: upload the mappings the
 * platform does not have yet (sync state UNSYNCED) with 3301, through the
 * gateway, and record the platform's verdict on each row in the store.
 *
 * Per institution: one 9001 sign-in (the platform wants its sign_no on
 * every later message), then 3301 messages of up to --batch rows, cut
 * earlier when the input would pass 40000 characters. An accepted message
 * marks its rows SYNCED with its msgid (the gateway's catalog plugin records
 * the same; both writes are idempotent). A refused message says little
 * about which row was bad, so its rows are sent again one at a time: a
 * refused row is marked REJECTED with the platform's err_msg and the others
 * go on. A message that gets no verdict (gateway down, platform
 * unreachable) stops the run: the rows not yet accepted stay UNSYNCED and a
 * later sync sends them again.
 *
 * The gateway says which it was in its X-Ybgw-Outcome header: "ok" is
 * accepted, "rejected" (its own checks) and "platform_error" (the platform's
 * infcode -1) are a refusal of the data, "upstream_error" and
 * "gateway_error" are no verdict. Without the header (the simulator
 * directly, an older gateway) the err_msg tells: the gateway's own error
 * answers carry an empty inf_refmsgid, and those whose finding comes from
 * the upstream or the gateway itself ("... [upstream]", "... [gateway]",
 * gateway/txn.c) are no verdict, unlike its check findings ("[schema]",
 * "[codeset.drug]", ...), which are a refusal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_catalog.h"
#include "ctl_journal.h"
#include "ctl_send.h"

#define SYNC_MAX_INPUT 40000 /* characters of one message's input (spec/interface.md) */
#define SYNC_MAX_BATCH 1000
#define SYNC_SHOWN 20 /* rejected rows listed in the summary */

struct sync_row {
    int64_t id;
    char *f[YB_CAT_NFIELDS];
};

struct sync_args {
    struct ctl_cat_opts o;
    const char *url, *admdvs, *opter, *opter_name, *fixmedins_name;
    unsigned batch;
    int dry_run;
};

struct sync_run {
    const struct sync_args *a;
    struct yb_cat_store *st;
    struct ctl_http http;
    struct sync_row *rows;
    size_t n, cap;
    unsigned serial;
    char sign_no[64];
    char admdvs[8];
    uint64_t done, synced, rejected, gone, messages;
    json_t *rejects;  /* [{fixmedins_code, fixmedins_hilist_id, reason}] */
    char error[2048]; /* why the run stopped */
    int tty, progress_shown;
};

enum { SENT_OK = 0, SENT_REFUSED = 1, SENT_NO_VERDICT = 2 };

/* ---- the rows to send ---- */

static int collect_row(const struct yb_cat_record *r, void *arg)
{
    struct sync_run *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct sync_row *rows = realloc(s->rows, cap * sizeof(*rows));
        if (!rows)
            return YB_ENOMEM;
        s->rows = rows;
        s->cap = cap;
    }
    struct sync_row *row = &s->rows[s->n];
    memset(row, 0, sizeof(*row));
    row->id = r->id;
    s->n++;
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        if (!(row->f[i] = strdup(r->row.f[i] ? r->row.f[i] : "")))
            return YB_ENOMEM;
    return 0;
}

/* By institution, then in id order (the order of each_sync). */
static int row_cmp(const void *pa, const void *pb)
{
    const struct sync_row *a = pa, *b = pb;
    int c = strcmp(a->f[YB_CAT_FIXMEDINS_CODE], b->f[YB_CAT_FIXMEDINS_CODE]);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

/* One catalogcompin item: the 3301 fields, the optional ones when set. */
static json_t *row_json(const struct sync_row *r)
{
    json_t *o = json_object();
    for (int i = YB_CAT_HILIST_ID; o && i < YB_CAT_NFIELDS; i++)
        if (i < YB_CAT_APRVNO || r->f[i][0])
            json_object_set_new(o, yb_cat_field_names[i], json_string(r->f[i]));
    return o;
}

/* ---- messages ---- */

static void new_msgid(struct sync_run *s, const char *fixmedins, char *out, size_t cap)
{
    char stamp[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    s->serial = (s->serial + 1) % 10000;
    snprintf(out, cap, "%s%s%04u", fixmedins, stamp, s->serial);
}

static json_t *envelope(struct sync_run *s, const char *infno, const char *fixmedins,
                        const char *msgid, json_t *input)
{
    const struct sync_args *a = s->a;
    char inf_time[24];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(inf_time, sizeof(inf_time), "%Y-%m-%d %H:%M:%S", &tm);
    json_t *e = json_object();
    json_object_set_new(e, "infno", json_string(infno));
    json_object_set_new(e, "msgid", json_string(msgid));
    json_object_set_new(e, "mdtrtarea_admvs", json_string(s->admdvs));
    json_object_set_new(e, "insuplc_admdvs", json_string(""));
    json_object_set_new(e, "recer_sys_code", json_string("YBGW"));
    json_object_set_new(e, "dev_no", json_string(""));
    json_object_set_new(e, "dev_safe_info", json_string(""));
    json_object_set_new(e, "cainfo", json_string(""));
    json_object_set_new(e, "signtype", json_string(""));
    json_object_set_new(e, "infver", json_string("V1.0"));
    json_object_set_new(e, "opter_type", json_string("1"));
    json_object_set_new(e, "opter", json_string(a->opter));
    json_object_set_new(e, "opter_name", json_string(a->opter_name));
    json_object_set_new(e, "inf_time", json_string(inf_time));
    json_object_set_new(e, "fixmedins_code", json_string(fixmedins));
    json_object_set_new(e, "fixmedins_name",
                        json_string(a->fixmedins_name ? a->fixmedins_name : fixmedins));
    json_object_set_new(e, "sign_no", json_string(s->sign_no));
    json_object_set_new(e, "input", input);
    return e;
}

/* What an answer with this X-Ybgw-Outcome (OUTCOME, "" when absent), infcode
 * 0 or not (ACCEPTED), inf_refmsgid (REF, may be NULL) and ERR_MSG means:
 * SENT_*. A header that disagrees with the infcode, or a word this ybgwctl
 * does not know, is no verdict: the rows stay unsynced rather than guessed. */
static int verdict(const char *outcome, int accepted, const char *ref, const char *err_msg)
{
    if (!*outcome) { /* no gateway on the way, or one that does not say */
        if (accepted)
            return SENT_OK;
        if ((!ref || !*ref) && (strstr(err_msg, "[upstream]") || strstr(err_msg, "[gateway]")))
            return SENT_NO_VERDICT;
        return SENT_REFUSED;
    }
    if (strcmp(outcome, "ok") == 0)
        return accepted ? SENT_OK : SENT_NO_VERDICT;
    if (strcmp(outcome, "rejected") == 0 || strcmp(outcome, "platform_error") == 0)
        return accepted ? SENT_NO_VERDICT : SENT_REFUSED;
    return SENT_NO_VERDICT; /* upstream_error, gateway_error, or unknown */
}

/* Post MSG (consumed). SENT_OK and *answer (the caller frees it) when the
 * platform accepted it; SENT_REFUSED with err_msg in why; SENT_NO_VERDICT
 * with the reason in s->error. */
static int post(struct sync_run *s, json_t *msg, json_t **answer, char *why, size_t whycap)
{
    char *body = json_dumps(msg, JSON_COMPACT);
    struct ctl_answer ans;
    json_error_t jerr;
    json_t *a = NULL;
    int rc = SENT_NO_VERDICT;
    json_decref(msg);
    memset(&ans, 0, sizeof(ans));
    *answer = NULL;
    if (!body) {
        snprintf(s->error, sizeof(s->error), "out of memory");
        return rc;
    }
    s->messages++;
    if (ctl_http_post(&s->http, s->a->url, "application/json; charset=UTF-8", body, strlen(body),
                      &ans)) {
        snprintf(s->error, sizeof(s->error), "%s: %s", s->a->url, ans.error);
        goto out;
    }
    if (ans.status != 200) {
        snprintf(s->error, sizeof(s->error), "%s answered HTTP %ld", s->a->url, ans.status);
        goto out;
    }
    a = ans.body.len ? json_loadb(ans.body.data, ans.body.len, 0, &jerr) : NULL;
    const json_t *infcode = json_object_get(a, "infcode");
    if (!json_is_object(a) || !infcode) {
        snprintf(s->error, sizeof(s->error), "%s: the answer is not an envelope with an infcode",
                 s->a->url);
        goto out;
    }
    int accepted = (json_is_integer(infcode) && json_integer_value(infcode) == 0) ||
                   (json_is_string(infcode) && strcmp(json_string_value(infcode), "0") == 0);
    const char *err_msg = json_string_value(json_object_get(a, "err_msg"));
    const char *ref = json_string_value(json_object_get(a, "inf_refmsgid"));
    err_msg = err_msg && *err_msg ? err_msg : accepted ? "" : "refused without an err_msg";
    rc = verdict(ans.outcome, accepted, ref, err_msg);
    if (rc == SENT_OK) {
        *answer = a;
        a = NULL;
    } else if (rc == SENT_REFUSED) {
        snprintf(why, whycap, "%s", err_msg);
    } else if (ans.outcome[0]) {
        int odd = strcmp(ans.outcome, "ok") == 0 ? !accepted : accepted;
        snprintf(s->error, sizeof(s->error),
                 "no verdict from the platform (X-Ybgw-Outcome: %s%s): %s", ans.outcome,
                 odd ? accepted ? ", yet infcode 0" : ", yet infcode not 0" : "",
                 *err_msg ? err_msg : "no err_msg");
    } else {
        snprintf(s->error, sizeof(s->error), "no verdict from the platform: %s", err_msg);
    }
out:
    json_decref(a);
    ctl_answer_free(&ans);
    free(body);
    return rc;
}

/* 9001 for FIXMEDINS: s->sign_no. Non-zero (s->error set) on failure. */
static int sign_in(struct sync_run *s, const char *fixmedins)
{
    char msgid[64], why[1024];
    json_t *answer = NULL;
    s->sign_no[0] = '\0';
    new_msgid(s, fixmedins, msgid, sizeof(msgid));
    json_t *input = json_pack("{s:{s:s,s:s,s:s}}", "signIn", "opter_no", s->a->opter, "mac",
                              "00-00-00-00-00-00", "ip", "127.0.0.1");
    int rc = post(s, envelope(s, "9001", fixmedins, msgid, input), &answer, why, sizeof(why));
    if (rc == SENT_REFUSED)
        snprintf(s->error, sizeof(s->error), "%s: the sign-in (9001) was refused: %s", fixmedins,
                 why);
    const char *sign_no = json_string_value(json_object_get(
        json_object_get(json_object_get(answer, "output"), "signinoutb"), "sign_no"));
    if (rc == SENT_OK && !sign_no)
        snprintf(s->error, sizeof(s->error), "%s: the sign-in (9001) answer has no sign_no",
                 fixmedins);
    else if (rc == SENT_OK)
        snprintf(s->sign_no, sizeof(s->sign_no), "%s", sign_no);
    json_decref(answer);
    return rc == SENT_OK && sign_no ? 0 : -1;
}

static void progress(struct sync_run *s)
{
    if (!s->tty)
        return;
    fprintf(stderr, "\rsync: %" PRIu64 "/%zu rows, %" PRIu64 " synced, %" PRIu64 " rejected\033[K",
            s->done, s->n, s->synced, s->rejected);
    fflush(stderr);
    s->progress_shown = 1;
}

/* Record the verdict on one row. Non-zero: the store failed (s->error). */
static int mark(struct sync_run *s, const struct sync_row *r, int sync, const char *msgid,
                const char *detail)
{
    int rc = yb_cat_store_set_sync(s->st, r->f[YB_CAT_FIXMEDINS_CODE], r->f[YB_CAT_HILIST_ID],
                                   r->f[YB_CAT_MED_LIST_CODG], sync, msgid, detail);
    if (rc == YB_ENOENT) { /* changed or revoked since: its new row is for a later sync */
        s->gone++;
    } else if (rc) {
        snprintf(s->error, sizeof(s->error), "the store: %s", yb_cat_store_error(s->st));
        return -1;
    } else if (sync == YB_CAT_SYNCED) {
        s->synced++;
    } else {
        s->rejected++;
        json_t *o = json_object();
        json_object_set_new(o, "fixmedins_code", json_string(r->f[YB_CAT_FIXMEDINS_CODE]));
        json_object_set_new(o, "fixmedins_hilist_id", json_string(r->f[YB_CAT_HILIST_ID]));
        json_object_set_new(o, "reason", json_string(detail));
        json_array_append_new(s->rejects, o);
    }
    return 0;
}

/* Send rows [from, from + n) as one 3301. SENT_* (SENT_NO_VERDICT also for a
 * store failure), *why the err_msg of a refusal. */
static int send_rows(struct sync_run *s, size_t from, size_t n, char *why, size_t whycap)
{
    const char *fixmedins = s->rows[from].f[YB_CAT_FIXMEDINS_CODE];
    char msgid[64];
    json_t *list = json_array(), *answer = NULL;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, row_json(&s->rows[from + i]));
    new_msgid(s, fixmedins, msgid, sizeof(msgid));
    json_t *msg = envelope(s, "3301", fixmedins, msgid, json_pack("{s:o}", "catalogcompin", list));
    if (s->a->dry_run) {
        char *text = json_dumps(msg, JSON_COMPACT);
        if (!s->a->o.quiet && !s->a->o.json && text)
            printf("%s\n", text);
        free(text);
        json_decref(msg);
        s->messages++;
        s->done += n;
        return SENT_OK;
    }
    int rc = post(s, msg, &answer, why, whycap);
    json_decref(answer);
    for (size_t i = 0; rc == SENT_OK && i < n; i++)
        if (mark(s, &s->rows[from + i], YB_CAT_SYNCED, msgid, NULL))
            rc = SENT_NO_VERDICT;
    if (rc == SENT_OK)
        s->done += n;
    return rc;
}

/* The rows of one institution, [from, to): sign in, then batches. */
static int sync_institution(struct sync_run *s, size_t from, size_t to)
{
    const char *fixmedins = s->rows[from].f[YB_CAT_FIXMEDINS_CODE];
    char why[2048];
    if (s->a->admdvs) {
        snprintf(s->admdvs, sizeof(s->admdvs), "%s", s->a->admdvs);
    } else if (strlen(fixmedins) >= 7) {
        snprintf(s->admdvs, sizeof(s->admdvs), "%.6s", fixmedins + 1);
    } else {
        snprintf(s->error, sizeof(s->error),
                 "%s: no region code in the institution code; give --admdvs CODE", fixmedins);
        return -1;
    }
    if (!s->a->dry_run && sign_in(s, fixmedins))
        return -1;
    size_t i = from;
    while (i < to) {
        /* a batch: up to --batch rows whose items stay under the input cap */
        size_t n = 0, chars = sizeof("{\"catalogcompin\":[]}") - 1;
        while (i + n < to && n < s->a->batch) {
            json_t *item = row_json(&s->rows[i + n]);
            char *text = item ? json_dumps(item, JSON_COMPACT) : NULL;
            size_t len = text ? strlen(text) + 1 : SYNC_MAX_INPUT;
            free(text);
            json_decref(item);
            if (n > 0 && chars + len >= SYNC_MAX_INPUT)
                break;
            chars += len;
            n++;
        }
        int rc = send_rows(s, i, n, why, sizeof(why));
        if (rc == SENT_NO_VERDICT)
            return -1;
        for (size_t k = 0; rc == SENT_REFUSED && k < n; k++) {
            /* which rows were bad: one at a time */
            int one = n == 1 ? SENT_REFUSED : send_rows(s, i + k, 1, why, sizeof(why));
            if (one == SENT_NO_VERDICT)
                return -1;
            if (one == SENT_REFUSED) {
                if (mark(s, &s->rows[i + k], YB_CAT_REJECTED, NULL, why))
                    return -1;
                s->done++;
            }
            progress(s);
        }
        i += n;
        progress(s);
    }
    return 0;
}

/* ---- the command ---- */

static int sync_options(int argc, char **argv, struct sync_args *a)
{
    static const struct option options[] = {
        CTL_CAT_OPTIONS,
        {"url", required_argument, NULL, 'u'},
        {"batch", required_argument, NULL, 'b'},
        {"admdvs", required_argument, NULL, 'a'},
        {"opter", required_argument, NULL, 'o'},
        {"opter-name", required_argument, NULL, 'O'},
        {"fixmedins-name", required_argument, NULL, 'F'},
        {"dry-run", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    char *end;
    unsigned long n;
    while ((opt = ctl_cat_getopt(argc, argv, "c:qjh", options, &a->o)) != -1) {
        switch (opt) {
        case 'u':
            a->url = optarg;
            break;
        case 'b':
            n = strtoul(optarg, &end, 10);
            if (*end || n == 0 || n > SYNC_MAX_BATCH) {
                fprintf(stderr, "ybgwctl catalog %s: --batch takes 1 to %d rows\n", a->o.cmd,
                        SYNC_MAX_BATCH);
                return -1;
            }
            a->batch = (unsigned)n;
            break;
        case 'a':
            if (strlen(optarg) != 6 || strspn(optarg, "0123456789") != 6) {
                fprintf(stderr, "ybgwctl catalog %s: --admdvs takes a 6-digit region code\n",
                        a->o.cmd);
                return -1;
            }
            a->admdvs = optarg;
            break;
        case 'o':
            a->opter = optarg;
            break;
        case 'O':
            a->opter_name = optarg;
            break;
        case 'F':
            a->fixmedins_name = optarg;
            break;
        case 'n':
            a->dry_run = 1;
            break;
        case 'h':
            ctl_cat_usage(stdout, a->o.cmd);
            printf(
                "  Signs in (9001) for each institution, then sends its UNSYNCED mappings as "
                "3301\n  messages of up to --batch rows (default 50; input under %d "
                "characters).\n  An accepted row becomes synced, with the msgid; the rows of "
                "a refused message\n  are resent one by one and a refused row becomes "
                "rejected, with the err_msg.\n"
                "  --url URL          the gateway (default $YBGW_URL, else %s)\n"
                "  --admdvs CODE      mdtrtarea_admvs (default: the 6 digits after the first "
                "letter\n                     of the institution code)\n"
                "  --opter ID, --opter-name NAME   the operator (default: the login user)\n"
                "  --fixmedins-name NAME           fixmedins_name (default: the institution code,\n"
                "                                  as the gateway wants one)\n"
                "  --dry-run          print the 3301 messages instead of sending them\n"
                "  Exit 0 all synced, 1 some rows rejected, 2 an error (the gateway or the "
                "platform\n  unreachable: the rows not sent stay unsynced).\n",
                SYNC_MAX_INPUT, CTL_DEFAULT_URL);
            return 1;
        default:
            return -1;
        }
    }
    if (ctl_cat_operands(&a->o, argc, argv, 0))
        return -1;
    if (strlen(a->opter) > 30 || strlen(a->opter_name) > 50 ||
        (a->fixmedins_name && strlen(a->fixmedins_name) > 200)) {
        fprintf(stderr,
                "ybgwctl catalog %s: --opter, --opter-name and --fixmedins-name take at "
                "most 30, 50 and 200 bytes\n",
                a->o.cmd);
        return -1;
    }
    return 0;
}

static void summary(const struct sync_run *s, double seconds, int stopped)
{
    char n[4][32];
    if (s->a->o.json) {
        json_t *o = json_object();
        json_object_set_new(o, "rows", json_integer((json_int_t)s->n));
        json_object_set_new(o, "sent", json_integer((json_int_t)s->done));
        json_object_set_new(o, "synced", json_integer((json_int_t)s->synced));
        json_object_set_new(o, "rejected", json_integer((json_int_t)s->rejected));
        json_object_set_new(o, "changed_meanwhile", json_integer((json_int_t)s->gone));
        json_object_set_new(o, "messages", json_integer((json_int_t)s->messages));
        json_object_set_new(o, "dry_run", json_boolean(s->a->dry_run));
        json_object_set_new(o, "seconds", json_real(seconds));
        json_object_set_new(o, "rejected_rows", json_incref(s->rejects));
        json_object_set_new(o, "error", stopped ? json_string(s->error) : json_null());
        ctl_cat_print_json(o);
        return;
    }
    if (stopped)
        fprintf(stderr, "ybgwctl catalog %s: %s; %zu rows left unsynced\n", s->a->o.cmd, s->error,
                s->n - (size_t)s->done);
    if (s->a->o.quiet && !stopped && !s->rejected)
        return;
    printf("%s rows %ssent in %s messages: %s synced, %s rejected",
           ctl_cat_thousands(s->done, n[0], sizeof(n[0])), s->a->dry_run ? "would be " : "",
           ctl_cat_thousands(s->messages, n[1], sizeof(n[1])),
           ctl_cat_thousands(s->synced, n[2], sizeof(n[2])),
           ctl_cat_thousands(s->rejected, n[3], sizeof(n[3])));
    if (s->gone)
        printf(", %" PRIu64 " changed meanwhile (left for the next sync)", s->gone);
    printf(" (%.2f s)\n", seconds);
    size_t shown = json_array_size(s->rejects);
    for (size_t i = 0; i < shown && i < SYNC_SHOWN; i++) {
        const json_t *r = json_array_get(s->rejects, i);
        printf("  rejected %s %s: %s\n", json_string_value(json_object_get(r, "fixmedins_code")),
               json_string_value(json_object_get(r, "fixmedins_hilist_id")),
               json_string_value(json_object_get(r, "reason")));
    }
    if (shown > SYNC_SHOWN)
        printf("  and %zu more (ybgwctl catalog export --history lists them)\n",
               shown - SYNC_SHOWN);
}

int ctl_cat_sync_main(int argc, char **argv)
{
    const char *url = getenv("YBGW_URL");
    struct sync_args a = {
        .o.cmd = argv[0],
        .url = url && *url ? url : CTL_DEFAULT_URL,
        .opter = ctl_cat_login(),
        .opter_name = ctl_cat_login(),
        .fixmedins_name = NULL, /* the institution code: the gateway wants one */
        .batch = 50,
    };
    struct sync_run s;
    char path[4096];
    int rc = CTL_EXIT_TRANSPORT, stopped = 0;

    memset(&s, 0, sizeof(s));
    int o = sync_options(argc, argv, &a);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    s.a = &a;
    s.serial = (unsigned)((getpid() * 31u + (unsigned)time(NULL)) % 10000u);
    s.tty = isatty(STDERR_FILENO) && !a.o.quiet && !a.o.json && !a.dry_run;
    if (!(s.rejects = json_array()))
        goto out;
    if (ctl_cat_store_open(a.o.cmd, a.o.db, a.o.conf, a.dry_run ? YB_CAT_RDONLY : YB_CAT_RDWR,
                           &s.st, path, sizeof(path)))
        goto out;
    if (yb_cat_store_each_sync(s.st, a.o.fixmedins, YB_CAT_UNSYNCED, collect_row, &s)) {
        fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", a.o.cmd, path, yb_cat_store_error(s.st));
        goto out;
    }
    if (s.n > 1)
        qsort(s.rows, s.n, sizeof(*s.rows), row_cmp);
    if (!a.dry_run && ctl_http_open(&s.http, 3000, 60000)) {
        fprintf(stderr, "ybgwctl catalog %s: cannot start libcurl\n", a.o.cmd);
        goto out;
    }
    double t0 = ctl_cat_now();
    for (size_t from = 0, to; from < s.n && !stopped; from = to) {
        for (to = from; to < s.n && strcmp(s.rows[to].f[YB_CAT_FIXMEDINS_CODE],
                                           s.rows[from].f[YB_CAT_FIXMEDINS_CODE]) == 0;)
            to++;
        stopped = sync_institution(&s, from, to) != 0;
    }
    if (s.progress_shown)
        fputc('\n', stderr);
    if (s.n == 0 && !a.o.json && !a.o.quiet)
        printf("%s: no unsynced mapping%s%s: nothing to send\n", path, a.o.fixmedins ? " of " : "",
               a.o.fixmedins ? a.o.fixmedins : "");
    else
        summary(&s, ctl_cat_now() - t0, stopped);
    rc = stopped ? CTL_EXIT_TRANSPORT : s.rejected ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
    if (!a.dry_run && (s.synced || s.rejected) && (a.o.conf || !a.o.db)) {
        /* the sync states changed: the journal's audit trail records it */
        char who[160], detail[7000];
        snprintf(detail, sizeof(detail),
                 "catalog sync of %s through %s: %" PRIu64 " synced, %" PRIu64 " rejected, %" PRIu64
                 " changed meanwhile, %" PRIu64 " messages%s%s",
                 path, a.url, s.synced, s.rejected, s.gone, s.messages,
                 stopped ? "; stopped: " : "", stopped ? s.error : "");
        ctl_journal_mapping_event("catalog sync", a.o.conf,
                                  ctl_journal_operator(NULL, who, sizeof(who)), detail);
    }
out:
    for (size_t i = 0; i < s.n; i++)
        for (int f = 0; f < YB_CAT_NFIELDS; f++)
            free(s.rows[i].f[f]);
    free(s.rows);
    json_decref(s.rejects);
    ctl_http_close(&s.http);
    yb_cat_store_close(s.st);
    return rc;
}
