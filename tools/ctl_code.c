/*
 * ctl_code.c - `ybgwctl code`: validate, explain, import, stats, versions,
 * activate (see ctl_code.h).
 *
 * validate and explain do not re-implement any check: they read the
 * configuration and load its plugins with the gateway's own code
 * (yb_settings_load, yb_plugins_load), so a verdict here is the gateway's
 * verdict, on the same tables and under the same codes { } policy. Without
 * --kind the kind is inferred the way a field of several kinds is judged:
 * by the kinds whose match() recognises the code's shape; among those that
 * accept it, a form whose structure is verified outranks the permissive,
 * unverified shapes of standards that publish none (see tier_of).
 *
 * import, stats, versions and activate work on the code-table database
 * through libybcodeset (plugins/common/codeset.h). import needs no plugins,
 * so the build can make the sample database before any configuration
 * exists; when a configuration is at hand and the standard's entries refer
 * to ICD codes (a refs column), each reference is also judged by the loaded
 * icd10yb / icd9yb kinds.
 */
#include "ctl_code.h"

#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codeset.h"
#include "ctl_conf.h"
#include "ctl_subcommand.h"
#include "ctl_send.h"
#include "plugin_host.h"
#include "settings.h"

#define CODE_EXPLAIN_MAX 16384

static int validate_main(int argc, char **argv);
static int explain_main(int argc, char **argv);
static int import_main(int argc, char **argv);
static int stats_main(int argc, char **argv);
static int versions_main(int argc, char **argv);
static int activate_main(int argc, char **argv);

static const struct ctl_subcommand code_commands[] = {
    {"validate", validate_main, "CODE [--kind KIND] [-c CONF] [--json]",
     "judge CODE as the gateway would: its configuration, plugins, tables and policy"},
    {"explain", explain_main, "CODE [--kind KIND] [-c CONF] [--json]",
     "only the segment-by-segment explanation of CODE"},
    {"import", import_main,
     "STANDARD FILE [--db PATH] [--version V] [--sample] [--no-activate] [--rejects PATH] "
     "[-c CONF] [--data-dir DIR] [--json]",
     "import a code table (CSV or TSV) as a new version of STANDARD"},
    {"stats", stats_main, "[--db PATH] [-c CONF] [--json]",
     "versions per standard, the memory of the active tables, the loaded kinds"},
    {"versions", versions_main, "[STANDARD] [--db PATH] [-c CONF] [--json]",
     "the imported versions of one standard or all"},
    {"activate", activate_main, "STANDARD VERSION [--db PATH] [-c CONF] [--json]",
     "make VERSION the active one (the gateway loads it on SIGHUP)"},
    {NULL, NULL, NULL, NULL},
};

/* ---- small helpers ---- */

static void sub_usage(FILE *f, const char *name)
{
    ctl_subcommand_usage(f, "code", code_commands, name);
}

/* 1234567 -> "1,234,567" */
static const char *thousands(uint64_t n, char *buf, size_t cap)
{
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *status_word(int status)
{
    return status == YB_CODE_VALID ? "valid" : status == YB_CODE_WARN ? "warn" : "invalid";
}

static const char *policy_word(int policy)
{
    return policy == YB_POLICY_WARN ? "warn" : policy == YB_POLICY_OFF ? "off" : "reject";
}

/* What the gateway does with a field carrying the code, under its policy
 * (the rule of yb_txn_check_kinds). */
static const char *gateway_effect(int status, int policy)
{
    if (policy == YB_POLICY_OFF)
        return "unchecked";
    if (status == YB_CODE_VALID)
        return "accepted";
    if (status == YB_CODE_WARN || policy == YB_POLICY_WARN)
        return "warned";
    return "rejected";
}

static const char *effect_sentence(const char *effect)
{
    if (strcmp(effect, "unchecked") == 0)
        return "the gateway does not check codes of this kind";
    if (strcmp(effect, "accepted") == 0)
        return "the gateway accepts this code";
    if (strcmp(effect, "warned") == 0)
        return "the gateway forwards the message and returns this finding in warn_msg";
    return "the gateway rejects a message carrying this code";
}

/* Print one JSON value on one line and free it. */
static void print_json(json_t *o)
{
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line) {
        printf("%s\n", line);
        free(line);
    } else {
        fprintf(stderr, "ybgwctl code: out of memory\n");
    }
    json_decref(o);
}

/* A standard is also a folder name: keep it to one plain path component. */
static int standard_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* ---- the configuration and its plugins, loaded as ybgw loads them ---- */

/* Read the configuration GIVEN (NULL: the default). Prints why not and
 * returns non-zero on failure. */
static int conf_open(struct ctl_conf *c, const char *given, const char *cmd)
{
    char err[2048];
    if (ctl_conf_read(c, given, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "ybgwctl code %s: %s%s\n", cmd, err, given ? "" : " (name one with -c FILE)");
    return -1;
}

/* Load the configuration's plugins (ctl_conf_plugins: only warnings and
 * errors are logged, the gateway's start-up notes would bury the answer).
 * Prints why not and returns non-zero on failure. */
static int conf_plugins(struct ctl_conf *c, const char *cmd)
{
    char err[4096];
    if (ctl_conf_plugins(c, NULL, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "ybgwctl code %s: the plugins of %s do not load: %s\n", cmd, c->path, err);
    return -1;
}

/* "admdvs, drug, ..." */
static void kind_list(const struct yb_plugin_set *set, char *buf, size_t cap)
{
    size_t n = yb_plugins_kind_count(set), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                         yb_plugins_kind_at(set, i)->name);
        if (w < 0)
            break;
        used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
    }
    if (n == 0)
        snprintf(buf, cap, "none");
}

/* ---- validate and explain ---- */

/* How strongly a kind takes a code. Standards whose structure is not
 * published (sysunit, drg_dise, ...) accept nearly any short code with an
 * unverified form; such an acceptance must not make every real drug code
 * ambiguous, so a verified form outranks it. */
enum { TIER_REJECTED = 0, TIER_UNVERIFIED = 1, TIER_NEAR_MISS = 2, TIER_VERIFIED = 3 };

struct candidate {
    const struct yb_code_kind *kind;
    struct yb_code_verdict v;
    int tier;
};

/* The kind's verdict; an internal failure of the check is reported as one. */
static void judge(const struct yb_code_kind *k, const char *code, size_t len,
                  struct yb_code_verdict *v)
{
    memset(v, 0, sizeof(*v));
    if (k->validate(k->state, code, len, v) < 0) {
        v->status = YB_CODE_INVALID;
        snprintf(v->segment, sizeof(v->segment), "kind");
        snprintf(v->reason, sizeof(v->reason), "the %s check failed inside the gateway", k->name);
    }
}

static const char *standard_of(const struct yb_code_kind *k)
{
    return k->standard ? k->standard : k->name;
}

/* The tier of a verdict. The codeset engine names the form a code matched
 * in the first line of its explanation, "form: LABEL (NAME, verified)" or
 * "form: LABEL (NAME, unverified: ...)" (kind_explain in
 * plugins/common/cs_plugin.c); a kind that explains otherwise, like the
 * hand-written admdvs, counts as verified. A code a kind refuses but that
 * "looks like" one of its verified forms (a 22-character X code) is a near
 * miss of that kind: it outranks the permissive shapes too, so the clerk
 * hears why it is not a valid drug code rather than that it is ambiguous. */
static int tier_of(const struct yb_code_kind *k, const char *code, size_t len,
                   const struct yb_code_verdict *v)
{
    char buf[1024] = "";
    if (v->status == YB_CODE_INVALID) {
        if (k->explain && k->explain(k->state, code, len, buf, sizeof(buf)) > 0) {
            for (const char *l = strstr(buf, "\nlooks like: "); l;
                 l = strstr(l + 1, "\nlooks like: ")) {
                size_t n = strcspn(l + 1, "\n");
                if (n > 12 && memcmp(l + 1 + n - 11, ", verified)", 11) == 0)
                    return TIER_NEAR_MISS;
            }
        }
        return TIER_REJECTED;
    }
    if (!k->explain || k->explain(k->state, code, len, buf, sizeof(buf)) < 0)
        return TIER_VERIFIED;
    buf[strcspn(buf, "\n")] = '\0';
    return strncmp(buf, "form: ", 6) == 0 && strstr(buf, ", unverified") ? TIER_UNVERIFIED
                                                                         : TIER_VERIFIED;
}

static json_t *candidates_json(const struct candidate *c, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "kind", json_string(c[i].kind->name));
        json_object_set_new(o, "standard", json_string(standard_of(c[i].kind)));
        json_object_set_new(o, "status", json_string(status_word(c[i].v.status)));
        json_object_set_new(o, "segment", json_string(c[i].v.segment));
        json_object_set_new(o, "reason", json_string(c[i].v.reason));
        json_object_set_new(o, "verified_shape",
                            c[i].tier == TIER_REJECTED ? json_null()
                                                       : json_boolean(c[i].tier == TIER_VERIFIED));
        json_array_append_new(a, o);
    }
    return a;
}

/* "drug (药品分类与代码), service (...) or consumable (...)": the
 * candidates of one tier. */
static void candidate_names(const struct candidate *c, size_t n, int tier, char *buf, size_t cap)
{
    size_t shown = 0, total = 0, used = 0;
    for (size_t i = 0; i < n; i++)
        total += c[i].tier == tier;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        if (c[i].tier != tier)
            continue;
        const char *sep = shown == 0 ? "" : shown == total - 1 ? " or " : ", ";
        int w = snprintf(buf + used, cap - used, "%s%s (%s)", sep, c[i].kind->name,
                         standard_of(c[i].kind));
        if (w < 0)
            break;
        used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
        shown++;
    }
}

/* The lines of an explanation, as a JSON array. */
static json_t *lines_json(const char *text)
{
    json_t *a = json_array();
    const char *p = text;
    while (a && p && *p) {
        size_t n = strcspn(p, "\n");
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n;
        if (*p == '\n')
            p++;
    }
    return a;
}

static void print_indented(const char *text)
{
    const char *p = text;
    while (p && *p) {
        size_t n = strcspn(p, "\n");
        if (n)
            printf("  %.*s\n", (int)n, p);
        p += n;
        if (*p == '\n')
            p++;
    }
}

struct judged {
    const char *code;
    const struct yb_code_kind *kind; /* NULL: no single kind (ambiguous, unknown, ...) */
    struct yb_code_verdict v;
    const char *status;      /* valid warn invalid ambiguous unknown */
    const char *how;         /* "--kind", "inferred from the code's shape" */
    struct candidate *cands; /* the kinds that recognise the shape (inference) */
    size_t n_cands;
    char explanation[CODE_EXPLAIN_MAX];
};

static void emit_json(const struct judged *j, const struct ctl_conf *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(j->code));
    json_object_set_new(o, "kind", j->kind ? json_string(j->kind->name) : json_null());
    json_object_set_new(o, "standard", j->kind ? json_string(standard_of(j->kind)) : json_null());
    json_object_set_new(o, "status", json_string(j->status));
    json_object_set_new(o, "segment", json_string(j->kind ? j->v.segment : ""));
    json_object_set_new(o, "reason", json_string(j->v.reason));
    if (j->kind) {
        int policy = yb_settings_kind_policy(c->settings, j->kind->name);
        json_object_set_new(o, "policy", json_string(policy_word(policy)));
        json_object_set_new(o, "gateway", json_string(gateway_effect(j->v.status, policy)));
    } else {
        json_object_set_new(o, "policy", json_null());
        json_object_set_new(o, "gateway", json_null());
    }
    json_object_set_new(o, "explanation", lines_json(j->kind ? j->explanation : ""));
    json_object_set_new(o, "candidates", candidates_json(j->cands, j->n_cands));
    json_object_set_new(o, "config", json_string(c->path));
    print_json(o);
}

/* "also:" lines: what the other kinds that recognise the shape say, for
 * those of a tier below BELOW (TIER_VERIFIED + 1: all of them). */
static void print_others(const struct judged *j, int below)
{
    for (size_t i = 0; i < j->n_cands; i++) {
        const struct candidate *o = &j->cands[i];
        if (o->kind == j->kind || o->tier >= below)
            continue;
        if (o->tier == TIER_REJECTED)
            printf("also:      %s (%s) rejects it: %s\n", o->kind->name, standard_of(o->kind),
                   o->v.reason);
        else
            printf("also:      %s (%s) accepts it, by a shape that is not verified\n",
                   o->kind->name, standard_of(o->kind));
    }
}

static void emit_text(const struct judged *j, const struct ctl_conf *c, int explain_only)
{
    if (explain_only) {
        fputs(j->explanation, stdout);
        return;
    }
    int policy = yb_settings_kind_policy(c->settings, j->kind->name);
    printf("code:      %s\n", j->code);
    printf("kind:      %s (%s)\n", j->kind->name, j->how);
    printf("standard:  %s\n", standard_of(j->kind));
    printf("verdict:   %s\n", status_word(j->v.status));
    if (j->v.status != YB_CODE_VALID) {
        printf("segment:   %s\n", j->v.segment[0] ? j->v.segment : "-");
        printf("%s %s\n", j->v.status == YB_CODE_WARN ? "warning:  " : "reason:   ", j->v.reason);
    }
    printf("policy:    %s (codes { } of %s): %s\n", policy_word(policy), c->path,
           effect_sentence(gateway_effect(j->v.status, policy)));
    print_others(j, TIER_VERIFIED + 1);
    printf("explanation:\n");
    print_indented(j->explanation[0] ? j->explanation : "(this kind gives no explanation)\n");
}

static int validate_run(int argc, char **argv, int explain_only)
{
    static const struct option options[] = {
        {"kind", required_argument, NULL, 'k'},
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = argv[0], *kind_name = NULL, *conf_path = NULL;
    int json = 0, opt, rc = CTL_EXIT_TRANSPORT;
    struct ctl_conf c = {0};
    struct judged *j = NULL;
    char names[1024];

    while ((opt = getopt_long(argc, argv, "k:c:jh", options, NULL)) != -1) {
        switch (opt) {
        case 'k':
            kind_name = optarg;
            break;
        case 'c':
            conf_path = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            sub_usage(stdout, cmd);
            printf(
                "  Without --kind, the kind is inferred from the code's shape: the loaded kinds\n"
                "  whose shape test recognises it are asked, and it must be valid for exactly\n"
                "  one (a form whose structure is verified outranks the permissive shapes of\n"
                "  standards that publish none). Exit 0 valid (a warning included), 1 invalid,\n"
                "  2 ambiguous, unknown shape or bad usage.\n");
            return CTL_EXIT_OK;
        default:
            sub_usage(stderr, cmd);
            return CTL_EXIT_TRANSPORT;
        }
    }
    if (optind != argc - 1 || argv[optind][0] == '\0') {
        sub_usage(stderr, cmd);
        return CTL_EXIT_TRANSPORT;
    }
    if (!(j = calloc(1, sizeof(*j)))) {
        fprintf(stderr, "ybgwctl code %s: out of memory\n", cmd);
        return CTL_EXIT_TRANSPORT;
    }
    j->code = argv[optind];
    size_t len = strlen(j->code);
    if (conf_open(&c, conf_path, cmd) || conf_plugins(&c, cmd))
        goto out;

    size_t n_kinds = yb_plugins_kind_count(c.plugins);
    if (!(j->cands = calloc(n_kinds ? n_kinds : 1, sizeof(*j->cands)))) {
        fprintf(stderr, "ybgwctl code %s: out of memory\n", cmd);
        goto out;
    }
    if (kind_name) {
        j->kind = yb_plugins_kind(c.plugins, kind_name);
        if (!j->kind) {
            kind_list(c.plugins, names, sizeof(names));
            fprintf(stderr,
                    "ybgwctl code %s: no plugin loaded by %s owns kind \"%s\" (loaded kinds: %s)\n",
                    cmd, c.path, kind_name, names);
            goto out;
        }
        judge(j->kind, j->code, len, &j->v);
        j->how = "named with --kind";
    } else {
        int best = TIER_REJECTED;
        size_t n_best = 0, first_best = 0;
        for (size_t i = 0; i < n_kinds; i++) {
            const struct yb_code_kind *k = yb_plugins_kind_at(c.plugins, i);
            if (!k->match || !k->match(k->state, j->code, len))
                continue; /* a kind without a shape test cannot be inferred */
            struct candidate *cand = &j->cands[j->n_cands++];
            cand->kind = k;
            judge(k, j->code, len, &cand->v);
            cand->tier = tier_of(k, j->code, len, &cand->v);
            if (cand->tier > best) {
                best = cand->tier;
                n_best = 1;
                first_best = j->n_cands - 1;
            } else if (cand->tier == best && best != TIER_REJECTED) {
                n_best++;
            }
        }
        j->how = "inferred from the code's shape";
        if (j->n_cands == 0) {
            kind_list(c.plugins, names, sizeof(names));
            j->status = "unknown";
            snprintf(j->v.reason, sizeof(j->v.reason),
                     "no loaded kind recognises this shape (loaded kinds: %s)", names);
            if (json)
                emit_json(j, &c);
            else
                printf("%s: unknown shape: %s; name a kind with --kind KIND to see why it fails\n",
                       j->code, j->v.reason);
            goto out;
        }
        if (n_best > 1 && best != TIER_NEAR_MISS) {
            j->status = "ambiguous";
            candidate_names(j->cands, j->n_cands, best, names, sizeof(names));
            snprintf(j->v.reason, sizeof(j->v.reason), "could be %s%s", names,
                     best == TIER_UNVERIFIED ? " (by shapes that are not verified)" : "");
            if (json) {
                emit_json(j, &c);
            } else {
                printf("%s: ambiguous: %s; name one with --kind KIND\n", j->code, j->v.reason);
                print_others(j, best);
            }
            goto out;
        }
        if ((best == TIER_REJECTED && j->n_cands > 1) || (best == TIER_NEAR_MISS && n_best > 1)) {
            j->status = "invalid";
            snprintf(j->v.reason, sizeof(j->v.reason),
                     "not valid as any kind that recognises its shape");
            if (json) {
                emit_json(j, &c);
            } else {
                printf(
                    "code:      %s\nverdict:   invalid as every kind that recognises its shape:\n",
                    j->code);
                for (size_t i = 0; i < j->n_cands; i++)
                    printf("  %s (%s): [%s] %s\n", j->cands[i].kind->name,
                           standard_of(j->cands[i].kind), j->cands[i].v.segment,
                           j->cands[i].v.reason);
            }
            rc = CTL_EXIT_REJECTED;
            goto out;
        }
        const struct candidate *chosen = &j->cands[first_best];
        j->kind = chosen->kind;
        j->v = chosen->v;
    }
    j->status = status_word(j->v.status);
    if (j->kind->explain) {
        int n =
            j->kind->explain(j->kind->state, j->code, len, j->explanation, sizeof(j->explanation));
        if (n < 0)
            snprintf(j->explanation, sizeof(j->explanation), "(the explanation failed)\n");
    }
    if (json)
        emit_json(j, &c);
    else
        emit_text(j, &c, explain_only);
    rc = j->v.status == YB_CODE_INVALID ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
out:
    if (j)
        free(j->cands);
    free(j);
    ctl_conf_close(&c);
    return rc;
}

static int validate_main(int argc, char **argv)
{
    return validate_run(argc, argv, 0);
}

static int explain_main(int argc, char **argv)
{
    return validate_run(argc, argv, 1);
}

/* ---- import ---- */

/* Does the standard's columns.tsv map a refs column (entries that refer to
 * other codes)? */
static int has_refs_column(const char *columns_path)
{
    FILE *f = fopen(columns_path, "r");
    char line[1024];
    int found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f))
        found = strncmp(line, "refs\t", 5) == 0;
    fclose(f);
    return found;
}

struct refs_check {
    const struct yb_code_kind *icd10; /* NULL when not loaded */
    const struct yb_code_kind *icd9;
};

static int ref_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
           c == '+' || c == '*';
}

/* The importer's row check: every reference of an entry (blank-separated;
 * any byte that cannot be part of a code also separates) must be valid for
 * the kind its first character names: a letter an ICD-10 医保版 diagnosis,
 * a digit an ICD-9-CM-3 医保版 procedure. A kind that is not loaded cannot
 * judge, and its references pass. */
static int check_refs(void *arg, const struct yb_cs_entry *e, char *reason, size_t cap)
{
    const struct refs_check *rc = arg;
    const char *p = e->refs;
    while (p && *p) {
        while (*p && !ref_byte((unsigned char)*p))
            p++;
        size_t n = 0;
        while (p[n] && ref_byte((unsigned char)p[n]))
            n++;
        if (n == 0)
            break;
        char c = p[0];
        const struct yb_code_kind *k = NULL;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
            k = rc->icd10;
        else if (c >= '0' && c <= '9')
            k = rc->icd9;
        else {
            snprintf(reason, cap,
                     "refers to \"%.*s\", which is neither an ICD-10 医保版 diagnosis (a letter "
                     "first) nor an ICD-9-CM-3 医保版 procedure (a digit first)",
                     (int)n, p);
            return 1;
        }
        if (k) {
            struct yb_code_verdict v;
            judge(k, p, n, &v);
            if (v.status == YB_CODE_INVALID) {
                snprintf(reason, cap, "refers to %s code %.*s, which is not valid: %s", k->name,
                         (int)n, p, v.reason);
                return 1;
            }
        }
        p += n;
    }
    return 0;
}

struct progress {
    int tty;
    int shown;
};

/* "\r1,234,567 rows, 12 rejected, 345,678 rows/s" on a terminal only. */
static void on_progress(void *arg, uint64_t rows, uint64_t rejected, double seconds)
{
    struct progress *p = arg;
    char a[32], b[32], r[32];
    if (!p->tty)
        return;
    uint64_t rate = seconds > 0 ? (uint64_t)((double)rows / seconds) : 0;
    fprintf(stderr, "\r%s rows, %s rejected, %s rows/s\033[K", thousands(rows, a, sizeof(a)),
            thousands(rejected, b, sizeof(b)), thousands(rate, r, sizeof(r)));
    fflush(stderr);
    p->shown = 1;
}

/* Standards present under DATA_DIR (folders with a rules.conf), for the
 * message about an unknown one. */
static void list_standards(const char *data_dir, char *buf, size_t cap)
{
    DIR *d = opendir(data_dir);
    struct dirent *de;
    size_t used = 0;
    buf[0] = '\0';
    while (d && (de = readdir(d)) && used + 1 < cap) {
        char path[4096];
        if (de->d_name[0] == '.' || !standard_name_ok(de->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s/rules.conf", data_dir, de->d_name);
        if (access(path, R_OK) != 0)
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? " " : "", de->d_name);
        if (w < 0)
            break;
        used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
    }
    if (d)
        closedir(d);
    if (!buf[0])
        snprintf(buf, cap, "none");
}

static int import_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'D'},       {"version", required_argument, NULL, 'V'},
        {"sample", no_argument, NULL, 's'},         {"no-activate", no_argument, NULL, 'n'},
        {"rejects", required_argument, NULL, 'r'},  {"config", required_argument, NULL, 'c'},
        {"data-dir", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *cmd = argv[0], *db = NULL, *version = NULL, *rejects = NULL, *conf_path = NULL;
    const char *data_dir = NULL;
    int sample = 0, activate = 1, json = 0, opt, rc = CTL_EXIT_TRANSPORT;
    struct ctl_conf c = {0};
    struct yb_cs_rules *rules = NULL;
    char rules_path[4096], columns_path[4096], err[2048] = "";

    while ((opt = getopt_long(argc, argv, "c:jh", options, NULL)) != -1) {
        switch (opt) {
        case 'D':
            db = optarg;
            break;
        case 'V':
            version = optarg;
            break;
        case 's':
            sample = 1;
            break;
        case 'n':
            activate = 0;
            break;
        case 'r':
            rejects = optarg;
            break;
        case 'c':
            conf_path = optarg;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            sub_usage(stdout, cmd);
            printf("  --db PATH        the code-table database (default: code_tables of the "
                   "configuration)\n"
                   "  --version V      the version's name (default: the import time, "
                   "yyyymmddHHMMSS)\n"
                   "  --sample         mark it as a sample, not an official table\n"
                   "  --no-activate    import without making it the active version\n"
                   "  --rejects PATH   where bad rows go (default: FILE.rejects), as "
                   "LINE<TAB>reason<TAB>row\n"
                   "  --data-dir DIR   where STANDARD/rules.conf and STANDARD/columns.tsv are "
                   "(default: data_dir of the configuration)\n"
                   "  Exit 0 when the version was imported (even with rejected rows), 1 when "
                   "nothing could be.\n");
            return CTL_EXIT_OK;
        default:
            sub_usage(stderr, cmd);
            return CTL_EXIT_TRANSPORT;
        }
    }
    if (optind != argc - 2) {
        sub_usage(stderr, cmd);
        return CTL_EXIT_TRANSPORT;
    }
    const char *standard = argv[optind], *file = argv[optind + 1];
    if (!standard_name_ok(standard)) {
        fprintf(stderr,
                "ybgwctl code %s: \"%s\" is not a standard's name (lowercase letters, "
                "digits and _, e.g. drug)\n",
                cmd, standard);
        return CTL_EXIT_TRANSPORT;
    }
    /* the configuration is read when it is named, or needed for a default */
    if (conf_path || !db || !data_dir) {
        if (conf_open(&c, conf_path, cmd))
            goto out;
        if (!db && !(db = c.settings->code_tables)) {
            fprintf(stderr, "ybgwctl code %s: %s sets no code_tables; give --db PATH\n", cmd,
                    c.path);
            goto out;
        }
        if (!data_dir)
            data_dir = c.settings->data_dir ? c.settings->data_dir : "codesets";
    }
    snprintf(rules_path, sizeof(rules_path), "%s/%s/rules.conf", data_dir, standard);
    snprintf(columns_path, sizeof(columns_path), "%s/%s/columns.tsv", data_dir, standard);
    if (access(rules_path, R_OK) != 0 || access(columns_path, R_OK) != 0) {
        char known[1024];
        list_standards(data_dir, known, sizeof(known));
        fprintf(stderr,
                "ybgwctl code %s: no standard \"%s\" in %s (%s is missing); standards "
                "there: %s\n",
                cmd, standard, data_dir, access(rules_path, R_OK) != 0 ? rules_path : columns_path,
                known);
        goto out;
    }
    rc = CTL_EXIT_REJECTED; /* from here on, a failure means nothing was imported */
    if (!(rules = yb_cs_rules_load(rules_path, data_dir, err, sizeof(err)))) {
        fprintf(stderr, "ybgwctl code %s: %s\n", cmd, err);
        goto out;
    }

    struct refs_check refs = {NULL, NULL};
    int refs_checked = 0;
    if (c.settings && has_refs_column(columns_path)) {
        if (conf_plugins(&c, cmd) == 0) {
            refs.icd10 = yb_plugins_kind(c.plugins, "icd10yb");
            refs.icd9 = yb_plugins_kind(c.plugins, "icd9yb");
            refs_checked = refs.icd10 || refs.icd9;
        }
        if (!refs_checked && !json)
            fprintf(stderr,
                    "ybgwctl code %s: note: the ICD codes %s entries refer to are not "
                    "checked (%s loads no icd10yb or icd9yb kind)\n",
                    cmd, standard, c.path);
    }

    struct progress progress = {isatty(STDERR_FILENO) && !json, 0};
    struct yb_cs_import imp = {
        .db_path = db,
        .standard = standard,
        .rules = rules,
        .columns_path = columns_path,
        .file = file,
        .version = version,
        .rejects_path = rejects,
        .sample = sample,
        .activate = activate,
        .progress = on_progress,
        .progress_arg = &progress,
        .row_check = refs_checked ? check_refs : NULL,
        .row_check_arg = &refs,
    };
    struct yb_cs_import_result res;
    memset(&res, 0, sizeof(res));
    int irc = yb_cs_import_file(&imp, &res, err, sizeof(err));
    if (progress.shown)
        fputc('\n', stderr);
    if (irc) {
        fprintf(stderr, "ybgwctl code %s: %s%s\n", cmd, err,
                strstr(err, "nothing imported") ? "" : "; nothing was imported");
        goto out;
    }
    double rate = res.seconds > 0 ? (double)res.rows / res.seconds : (double)res.rows;
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "standard", json_string(standard));
        json_object_set_new(o, "file", json_string(file));
        json_object_set_new(o, "db", json_string(db));
        json_object_set_new(o, "version", json_string(res.version));
        json_object_set_new(o, "sample", json_boolean(sample));
        json_object_set_new(o, "active", json_boolean(activate));
        json_object_set_new(o, "rows", json_integer((json_int_t)res.rows));
        json_object_set_new(o, "rejected", json_integer((json_int_t)res.rejected));
        json_object_set_new(o, "rejects_path", json_string(res.rejects_path));
        json_object_set_new(o, "seconds", json_real(res.seconds));
        json_object_set_new(o, "rows_per_second", json_integer((json_int_t)rate));
        json_object_set_new(o, "refs_checked", json_boolean(refs_checked));
        print_json(o);
    } else {
        char rows[32], rej[32], rps[32], rejected_text[4200];
        thousands(res.rejected, rej, sizeof(rej));
        if (res.rejected)
            snprintf(rejected_text, sizeof(rejected_text), "%s rejected (see %s)", rej,
                     res.rejects_path);
        else
            snprintf(rejected_text, sizeof(rejected_text), "0 rejected");
        printf("%s %s: %s rows, %s, %.2f s, %s rows/s, version %s, %s, %s\n", standard, file,
               thousands(res.rows, rows, sizeof(rows)), rejected_text, res.seconds,
               thousands((uint64_t)rate, rps, sizeof(rps)), res.version,
               sample ? "sample" : "official", activate ? "active" : "not active");
        if (activate && !sample)
            printf("the gateway loads it on its next reload (kill -HUP the ybgw process)\n");
        else if (!activate)
            printf("make it the active version with: ybgwctl code activate %s %s --db %s\n",
                   standard, res.version, db);
    }
    rc = CTL_EXIT_OK;
out:
    yb_cs_rules_free(rules);
    ctl_conf_close(&c);
    return rc;
}

/* ---- stats, versions, activate ---- */

struct version_row {
    char standard[64];
    struct yb_cs_version v;
};

struct version_list {
    struct version_row *rows;
    size_t n, cap;
    int oom;
};

static void collect_version(void *arg, const char *standard, const struct yb_cs_version *v)
{
    struct version_list *l = arg;
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct version_row *rows = realloc(l->rows, cap * sizeof(*rows));
        if (!rows) {
            l->oom = 1;
            return;
        }
        l->rows = rows;
        l->cap = cap;
    }
    snprintf(l->rows[l->n].standard, sizeof(l->rows[l->n].standard), "%s", standard);
    l->rows[l->n].v = *v;
    l->n++;
}

/* The versions of STANDARD (NULL: all), grouped by standard with the
 * active version first, then newest first. Prints why not on failure. */
static int read_versions(const char *db, const char *standard, struct version_list *l,
                         const char *cmd)
{
    char err[2048] = "";
    memset(l, 0, sizeof(*l));
    int rc = yb_cs_db_versions(db, standard, collect_version, l, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "ybgwctl code %s: %s\n", cmd,
                rc == YB_ENOENT && !err[0] ? "no code-table database" : err);
        return rc;
    }
    if (l->oom) {
        fprintf(stderr, "ybgwctl code %s: out of memory\n", cmd);
        return YB_ENOMEM;
    }
    /* the database lists by standard, newest first: move each active one up */
    for (size_t i = 0; i < l->n; i++) {
        if (!l->rows[i].v.active)
            continue;
        size_t first = i;
        while (first > 0 && strcmp(l->rows[first - 1].standard, l->rows[i].standard) == 0)
            first--;
        struct version_row active = l->rows[i];
        memmove(&l->rows[first + 1], &l->rows[first], (i - first) * sizeof(l->rows[0]));
        l->rows[first] = active;
    }
    return 0;
}

static json_t *version_json(const struct version_row *r, int with_standard)
{
    json_t *o = json_object();
    if (with_standard)
        json_object_set_new(o, "standard", json_string(r->standard));
    json_object_set_new(o, "version", json_string(r->v.version));
    json_object_set_new(o, "active", json_boolean(r->v.active));
    json_object_set_new(o, "sample", json_boolean(r->v.sample));
    json_object_set_new(o, "rows", json_integer((json_int_t)r->v.rows));
    json_object_set_new(o, "rejected", json_integer((json_int_t)r->v.rejected));
    json_object_set_new(o, "imported_at", json_string(r->v.imported_at));
    json_object_set_new(o, "source", json_string(r->v.source));
    return o;
}

static void print_version_table(const struct version_list *l)
{
    char rows[32], rej[32];
    printf("%-12s %-22s %-8s %-8s %12s %9s  %-20s  %s\n", "standard", "version", "state", "type",
           "rows", "rejected", "imported_at", "source");
    for (size_t i = 0; i < l->n; i++) {
        const struct version_row *r = &l->rows[i];
        printf("%-12s %-22s %-8s %-8s %12s %9s  %-20s  %s\n", r->standard, r->v.version,
               r->v.active ? "active" : "-", r->v.sample ? "sample" : "official",
               thousands(r->v.rows, rows, sizeof(rows)), thousands(r->v.rejected, rej, sizeof(rej)),
               r->v.imported_at, r->v.source);
    }
}

/* The database to use: --db, else the configuration's code_tables. The
 * configuration is read when named (-c) or when no --db was given; with
 * OPTIONAL_CONF, also when ybgw's default file is there (for the view of
 * the loaded kinds), without failing when it does not load. */
static int resolve_db(struct ctl_conf *c, const char *conf_path, const char **db, int optional_conf,
                      const char *cmd)
{
    if (!conf_path && *db) {
        if (optional_conf && access(ctl_conf_default(), R_OK) == 0)
            conf_open(c, NULL, cmd);
        return 0;
    }
    if (conf_open(c, conf_path, cmd))
        return -1;
    if (!*db && !(*db = c->settings->code_tables)) {
        fprintf(stderr, "ybgwctl code %s: %s sets no code_tables; give --db PATH\n", cmd, c->path);
        return -1;
    }
    return 0;
}

static int db_options(int argc, char **argv, const char **db, const char **conf_path, int *json)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'D'},
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "c:jh", options, NULL)) != -1) {
        switch (opt) {
        case 'D':
            *db = optarg;
            break;
        case 'c':
            *conf_path = optarg;
            break;
        case 'j':
            *json = 1;
            break;
        case 'h':
            sub_usage(stdout, argv[0]);
            printf("  --db PATH   the code-table database (default: code_tables of the "
                   "configuration)\n"
                   "  -c CONF     the configuration (default: conf/ybgw.conf if present, else "
                   "%s/ybgw.conf)\n",
                   YB_SYSCONFDIR);
            return 1;
        default:
            sub_usage(stderr, argv[0]);
            return -1;
        }
    }
    return 0;
}

static int stats_main(int argc, char **argv)
{
    const char *cmd = argv[0], *db = NULL, *conf_path = NULL;
    int json = 0, rc = CTL_EXIT_TRANSPORT;
    struct ctl_conf c = {0};
    struct version_list l = {0};
    json_t *out = NULL;

    int o = db_options(argc, argv, &db, &conf_path, &json);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    if (optind != argc) {
        sub_usage(stderr, cmd);
        return CTL_EXIT_TRANSPORT;
    }
    if (resolve_db(&c, conf_path, &db, 1, cmd))
        goto out;
    rc = CTL_EXIT_REJECTED;
    if (read_versions(db, NULL, &l, cmd))
        goto out;

    if (json) {
        out = json_object();
        json_object_set_new(out, "db", json_string(db));
        json_object_set_new(out, "config", c.settings ? json_string(c.path) : json_null());
    } else {
        printf("code tables in %s\n", db);
        if (l.n == 0)
            printf("(no standard imported yet: ybgwctl code import STANDARD FILE)\n");
        else
            print_version_table(&l);
    }

    /* the memory of the active tables, loaded the way a plugin loads them */
    json_t *standards = json ? json_array() : NULL;
    int loaded_header = 0, failed = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct version_row *r = &l.rows[i];
        if (i > 0 && strcmp(l.rows[i - 1].standard, r->standard) == 0)
            continue; /* one entry per standard; its first row is the active one if any */
        json_t *s = NULL;
        if (json) {
            s = json_object();
            json_t *versions = json_array();
            for (size_t k = i; k < l.n && strcmp(l.rows[k].standard, r->standard) == 0; k++)
                json_array_append_new(versions, version_json(&l.rows[k], 0));
            json_object_set_new(s, "standard", json_string(r->standard));
            json_object_set_new(s, "active", r->v.active ? json_string(r->v.version) : json_null());
            json_object_set_new(s, "sample", json_boolean(r->v.active && r->v.sample));
            json_object_set_new(s, "versions", versions);
            json_array_append_new(standards, s);
        }
        if (!r->v.active)
            continue;
        struct yb_cs_table *t = NULL;
        struct yb_cs_version info;
        char err[2048] = "";
        double t0 = now_seconds();
        int lrc = yb_cs_db_load(db, r->standard, NULL, &t, &info, err, sizeof(err));
        double ms = (now_seconds() - t0) * 1e3;
        if (lrc) {
            fprintf(stderr, "ybgwctl code %s: %s\n", cmd, err);
            failed = 1;
            continue;
        }
        size_t count = yb_cs_table_count(t), bytes = yb_cs_table_memory(t);
        if (json) {
            json_t *m = json_object();
            json_object_set_new(m, "version", json_string(info.version));
            json_object_set_new(m, "rows", json_integer((json_int_t)count));
            json_object_set_new(m, "memory_bytes", json_integer((json_int_t)bytes));
            json_object_set_new(m, "load_ms", json_real(ms));
            json_object_set_new(s, "loaded", m);
        } else {
            char rows[32];
            if (!loaded_header) {
                printf("\nactive tables in memory (loaded as a plugin loads them):\n%-12s "
                       "%-22s %-8s %12s %10s %9s\n",
                       "standard", "version", "type", "rows", "MiB", "load_ms");
                loaded_header = 1;
            }
            printf("%-12s %-22s %-8s %12s %10.2f %9.1f\n", r->standard, info.version,
                   info.sample ? "sample" : "official", thousands(count, rows, sizeof(rows)),
                   (double)bytes / 1048576.0, ms);
        }
        yb_cs_table_free(t);
    }
    if (json)
        json_object_set_new(out, "standards", standards);

    /* the kinds the configuration's plugins register, and their policy */
    if (c.settings && conf_plugins(&c, cmd) == 0) {
        size_t n = yb_plugins_kind_count(c.plugins);
        json_t *kinds = json ? json_array() : NULL;
        if (!json)
            printf("\nkinds loaded by %s:\n%-12s %-8s %s\n", c.path, "kind", "policy", "standard");
        for (size_t i = 0; i < n; i++) {
            const struct yb_code_kind *k = yb_plugins_kind_at(c.plugins, i);
            const char *policy = policy_word(yb_settings_kind_policy(c.settings, k->name));
            if (json) {
                json_t *ko = json_object();
                json_object_set_new(ko, "kind", json_string(k->name));
                json_object_set_new(ko, "standard", json_string(standard_of(k)));
                json_object_set_new(ko, "policy", json_string(policy));
                json_array_append_new(kinds, ko);
            } else {
                printf("%-12s %-8s %s\n", k->name, policy, standard_of(k));
            }
        }
        if (!json && n == 0)
            printf("(none: no codeset plugin in the configuration)\n");
        if (json)
            json_object_set_new(out, "kinds", kinds);
    } else if (c.settings) {
        failed = 1;
    }
    if (json) {
        print_json(out);
        out = NULL;
    }
    rc = failed ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
out:
    json_decref(out);
    free(l.rows);
    ctl_conf_close(&c);
    return rc;
}

static int versions_main(int argc, char **argv)
{
    const char *cmd = argv[0], *db = NULL, *conf_path = NULL, *standard = NULL;
    int json = 0, rc = CTL_EXIT_TRANSPORT;
    struct ctl_conf c = {0};
    struct version_list l = {0};

    int o = db_options(argc, argv, &db, &conf_path, &json);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    if (optind < argc - 1) {
        sub_usage(stderr, cmd);
        return CTL_EXIT_TRANSPORT;
    }
    if (optind == argc - 1)
        standard = argv[optind];
    if (resolve_db(&c, conf_path, &db, 0, cmd))
        goto out;
    rc = CTL_EXIT_REJECTED;
    if (read_versions(db, standard, &l, cmd))
        goto out;
    if (json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, version_json(&l.rows[i], 1));
        json_t *obj = json_object();
        json_object_set_new(obj, "db", json_string(db));
        json_object_set_new(obj, "versions", a);
        print_json(obj);
    } else if (l.n == 0) {
        printf("%s: no version of %s imported\n", db, standard ? standard : "any standard");
    } else {
        print_version_table(&l);
    }
    rc = standard && l.n == 0 ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
out:
    free(l.rows);
    ctl_conf_close(&c);
    return rc;
}

static int activate_main(int argc, char **argv)
{
    const char *cmd = argv[0], *db = NULL, *conf_path = NULL;
    int json = 0, rc = CTL_EXIT_TRANSPORT;
    struct ctl_conf c = {0};
    struct version_list l = {0};
    char err[2048] = "", was[64] = "";

    int o = db_options(argc, argv, &db, &conf_path, &json);
    if (o)
        return o > 0 ? CTL_EXIT_OK : CTL_EXIT_TRANSPORT;
    if (optind != argc - 2) {
        sub_usage(stderr, cmd);
        return CTL_EXIT_TRANSPORT;
    }
    const char *standard = argv[optind], *version = argv[optind + 1];
    if (resolve_db(&c, conf_path, &db, 0, cmd))
        goto out;
    rc = CTL_EXIT_REJECTED;
    if (read_versions(db, standard, &l, cmd))
        goto out;
    for (size_t i = 0; i < l.n; i++)
        if (l.rows[i].v.active)
            snprintf(was, sizeof(was), "%s", l.rows[i].v.version);
    if (yb_cs_db_activate(db, standard, version, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl code %s: %s\n", cmd, err);
        goto out;
    }
    if (json) {
        json_t *obj = json_object();
        json_object_set_new(obj, "standard", json_string(standard));
        json_object_set_new(obj, "active", json_string(version));
        json_object_set_new(obj, "was", was[0] ? json_string(was) : json_null());
        json_object_set_new(obj, "db", json_string(db));
        print_json(obj);
    } else if (strcmp(was, version) == 0) {
        printf("%s: version %s was already the active one\n", standard, version);
    } else {
        printf("%s: version %s is now active (was %s); the gateway loads it on its next reload "
               "(kill -HUP the ybgw process)\n",
               standard, version, was[0] ? was : "none");
    }
    rc = CTL_EXIT_OK;
out:
    free(l.rows);
    ctl_conf_close(&c);
    return rc;
}

/* ---- ybgwctl code ---- */

static void code_usage(FILE *f)
{
    ctl_subcommand_list(f, "code", code_commands, 9, 1);
    fprintf(f,
            "\nThe configuration (-c) defaults to conf/ybgw.conf when present, else "
            "%s/ybgw.conf;\nthe database (--db) to its code_tables. Exit status: 0 valid or "
            "done, 1 invalid or\nnot done, 2 bad usage, an ambiguous or unknown code shape.\n",
            YB_SYSCONFDIR);
}

int ctl_code_main(int argc, char **argv)
{
    return ctl_subcommand_main("code", code_commands, code_usage, argc, argv);
}
