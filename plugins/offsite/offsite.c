/*
 * offsite.c - the offsite plugin (异地就医): where a transaction goes, by its
 * two region codes, and the rules for patients insured in another pool.
 *
 * Where it acts on the path of a message (DESIGN.md):
 *   request  (after the schema)  reads mdtrtarea_admvs (treatment place) and
 *            insuplc_admdvs (insured place) from the envelope, classifies the
 *            patient (local, in-province off-site, cross-province), refuses a
 *            treatment place outside this gateway's `home` pools and an
 *            insured place the admdvs code kind does not call valid, picks
 *            the route (longest prefix of the route key, or `default`) and
 *            its timeout, and applies the off-site rules of the
 *            configuration: deny, require and filing (备案). A transaction
 *            with no route is refused, never sent to some default by chance.
 *   response a filing transaction (filing_record, e.g. 2501) the platform
 *            answered with infcode 0 adds the person's filing to the filing
 *            store; an accepted revoke (filing_revoke, e.g. 2502) removes
 *            it. A refused one changes nothing. This hook never refuses:
 *            the platform has already acted.
 *
 * Files: off_conf.c reads the configuration (the directive table),
 * off_rules.c holds the lookups and the rules, filing.c the filing store.
 * The state is read-only after init, except the admdvs kind (looked up once,
 * atomically, at the first request) and the filing store (which guards
 * itself and writes through its own thread), so the hooks run on any worker
 * at once and never block. README.md documents every directive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "off_internal.h"

#define SOURCE "offsite"

static int is_region(const char *s)
{
    if (strlen(s) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static const char *text_of(const struct yb_host *h, const struct yb_node *obj, const char *key)
{
    const char *t = h->node_text(h->node_get(obj, key), NULL);
    return t ? t : "";
}

/* Non-zero if TEXT starts with a date of the form yyyy-MM-dd. */
static int is_date(const char *text)
{
    if (strlen(text) < 10)
        return 0;
    for (int i = 0; i < 10; i++)
        if (!((i == 4 || i == 7) ? text[i] == '-' : (text[i] >= '0' && text[i] <= '9')))
            return 0;
    return 1;
}

/* The day a filing must be active on: the date of inf_time when it has the
 * envelope's form (yyyy-MM-dd HH:mm:ss), else today. */
static void case_date(const char *inf_time, char out[11])
{
    if (is_date(inf_time)) {
        memcpy(out, inf_time, 10);
        out[10] = '\0';
        if (yb_filing_date_ok(out))
            return;
    }
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
        snprintf(out, 11, "1970-01-01");
}

/* A region code field that is not 6 digits: nothing can be routed on it. */
static void bad_region(const struct offsite *o, struct off_case *c, const char *field,
                       const char *value, const char *what)
{
    if (!*value)
        o->h->diag(c->txn, YB_DIAG_ERROR, field, "route", NULL, SOURCE,
                   "%s (%s) is missing; the gateway routes every transaction by it", field, what);
    else
        o->h->diag(c->txn, YB_DIAG_ERROR, field, "route", value, SOURCE,
                   "%s \"%s\" is not a 6-digit region code (%s), so the transaction cannot be "
                   "routed",
                   field, value, what);
    c->errors++;
}

/* The admdvs code kind, looked up at the first request. */
static const struct yb_code_kind *admdvs_kind(struct offsite *o)
{
    int looked = atomic_load_explicit(&o->kind_state, memory_order_acquire);
    if (looked)
        return looked == 1 ? atomic_load_explicit(&o->kind, memory_order_relaxed) : NULL;
    const struct yb_code_kind *k = o->h->find_kind(o->h, "admdvs");
    atomic_store_explicit(&o->kind, k, memory_order_relaxed);
    atomic_store_explicit(&o->kind_state, k ? 1 : 2, memory_order_release);
    return k;
}

/* unknown_region: the insured place must be a region the admdvs kind calls
 * valid. Returns YB_ERROR when it cannot be checked at all. */
static int check_region(struct offsite *o, struct off_case *c)
{
    const struct yb_host *h = o->h;
    if (o->unknown_region == YB_POLICY_OFF)
        return YB_PASS;
    const struct yb_code_kind *k = admdvs_kind(o);
    struct yb_code_verdict v = {0};
    if (k && !*c->insuplc)
        return YB_PASS; /* a local transaction without an insured place */
    if (!k || k->validate(k->state, c->insuplc, strlen(c->insuplc), &v) < 0) {
        h->diag(c->txn, YB_DIAG_ERROR, "insuplc_admdvs", "unknown_region", c->insuplc, SOURCE,
                "gateway error: the insured place cannot be checked because the admdvs code "
                "kind %s; the gateway's administrator must load plugin admdvs or set "
                "unknown_region off in plugin offsite",
                k ? "failed" : "is not loaded");
        c->errors++;
        return YB_ERROR;
    }
    if (v.status == YB_CODE_VALID)
        return YB_PASS;
    int error = o->unknown_region == YB_POLICY_REJECT;
    h->diag(c->txn, error ? YB_DIAG_ERROR : YB_DIAG_WARN, "insuplc_admdvs", "unknown_region",
            c->insuplc, SOURCE,
            "insuplc_admdvs %s is not a known insured place: %s; check the code the platform "
            "gave in 1101's insuinfo",
            c->insuplc, v.reason[0] ? v.reason : "refused by the region table");
    c->errors += error;
    return YB_PASS;
}

/* home: this gateway treats only in its own pools. */
static void check_home(const struct offsite *o, struct off_case *c)
{
    if (!o->n_home)
        return;
    char pool[8], home[8];
    yb_off_pool_of(o, c->mdtrtarea, pool);
    for (size_t i = 0; i < o->n_home; i++) {
        yb_off_pool_of(o, o->home[i], home);
        if (strcmp(pool, home) == 0)
            return;
    }
    char list[OFF_MAX_WORDS * 8] = "";
    for (size_t i = 0; i < o->n_home; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", o->home[i]);
    }
    o->h->diag(c->txn, YB_DIAG_ERROR, "mdtrtarea_admvs", "home", c->mdtrtarea, SOURCE,
               "mdtrtarea_admvs %s (pool %s) is not a pool this gateway's hospitals are in (%s); "
               "send the treatment place of the hospital itself",
               c->mdtrtarea, pool, list);
    c->errors++;
}

static int classify(const struct offsite *o, const char *mdtrtarea, const char *insuplc)
{
    if (!*insuplc)
        return OFF_LOCAL;
    char a[8], b[8];
    yb_off_pool_of(o, mdtrtarea, a);
    yb_off_pool_of(o, insuplc, b);
    if (strcmp(a, b) == 0)
        return OFF_LOCAL;
    return strncmp(mdtrtarea, insuplc, 2) == 0 ? OFF_IN_PROVINCE : OFF_CROSS_PROVINCE;
}

/* The route for C; NULL (with a finding) when none matches. */
static const struct off_route *pick_route(struct offsite *o, struct off_case *c, char *why,
                                          size_t cap)
{
    int local_only = yb_off_infno_matches(&o->local_only, c->infno);
    int by_mdtrtarea = o->route_by_mdtrtarea || local_only || !*c->insuplc;
    const char *field = by_mdtrtarea ? "mdtrtarea_admvs" : "insuplc_admdvs";
    const char *key = by_mdtrtarea ? c->mdtrtarea : c->insuplc;
    const char *cls = yb_off_class_word(c->class);
    const struct off_route *r = yb_off_route_for(o, key);
    if (!r) {
        o->h->diag(c->txn, YB_DIAG_ERROR, field, "route", key, SOURCE,
                   "no route for %s %s (%s): no route matches it and no route default "
                   "is configured, so the transaction was not sent",
                   field, key, yb_off_a_patient(c->class));
        c->errors++;
        return NULL;
    }
    snprintf(why, cap, "%s: %s %s matched route %s%s%s%s", cls, field, key,
             r->len ? r->pattern : "default", local_only ? " (local_only " : "",
             local_only ? c->infno : "", local_only ? ")" : "");
    return r;
}

static int on_request(void *state, struct yb_txn *txn)
{
    struct offsite *o = state;
    const struct yb_host *h = o->h;
    const struct yb_node *req = h->txn_request(txn);
    char date[11];
    case_date(text_of(h, req, "inf_time"), date);
    struct off_case c = {
        .txn = txn,
        .infno = h->txn_infno(txn) ? h->txn_infno(txn) : "",
        .mdtrtarea = text_of(h, req, "mdtrtarea_admvs"),
        .insuplc = text_of(h, req, "insuplc_admdvs"),
        .date = date,
        .input = h->node_get(req, "input"),
    };
    if (!is_region(c.mdtrtarea))
        bad_region(o, &c, "mdtrtarea_admvs", c.mdtrtarea, "the treatment place");
    if (*c.insuplc && !is_region(c.insuplc))
        bad_region(o, &c, "insuplc_admdvs", c.insuplc, "the insured place");
    if (c.errors)
        return YB_REJECT;
    int rc = check_region(o, &c);
    if (c.errors)
        return rc == YB_ERROR ? YB_ERROR : YB_REJECT;
    check_home(o, &c);
    c.class = classify(o, c.mdtrtarea, c.insuplc);
    char why[256];
    const struct off_route *r = pick_route(o, &c, why, sizeof(why));
    yb_off_check_rules(o, &c);
    if (c.errors)
        return YB_REJECT;
    if (h->txn_set_route(txn, r->upstream, why) || h->txn_set_timeout(txn, r->timeout_ms)) {
        h->log(h, YB_LOG_ERROR, "cannot set route %s for %s: out of memory", r->upstream, c.infno);
        return YB_ERROR;
    }
    return YB_PASS;
}

/* ---- learning filings from the platform's answers ---- */

/* Copy TEXT into OUT[CAP]; 0, or -1 (logged) when it does not fit. */
static int fits(const struct offsite *o, char *out, size_t cap, const char *text, const char *what,
                const char *infno)
{
    size_t len = strlen(text);
    if (len >= cap) {
        o->h->log(o->h, YB_LOG_WARN,
                  "accepted %s: %s is longer than %zu characters; "
                  "the filing is not recorded",
                  infno, what, cap - 1);
        return -1;
    }
    memcpy(out, text, len + 1);
    return 0;
}

/* A date field of a filing: its yyyy-MM-dd part, or "" (open). */
static void filing_date(const struct offsite *o, const char *text, char out[11], const char *what,
                        const char *infno)
{
    out[0] = '\0';
    if (!text || !*text)
        return;
    char day[11];
    snprintf(day, sizeof(day), "%.10s", text);
    if (!is_date(text) || !yb_filing_date_ok(day)) {
        o->h->log(o->h, YB_LOG_WARN,
                  "accepted %s: %s \"%.40s\" is not a date (yyyy-MM-dd); recorded as open", infno,
                  what, text);
        return;
    }
    memcpy(out, day, 11);
}

static void learn_record(struct offsite *o, const struct off_learn *l, const struct yb_node *req,
                         const struct yb_node *output, const char *infno)
{
    const struct yb_host *h = o->h;
    const struct yb_node *input = h->node_get(req, "input");
    const char *psn = yb_off_text_at(o, input, &l->psn);
    const char *sn = yb_off_text_at(o, output, &l->sn);
    const char *insuplc = text_of(h, req, "insuplc_admdvs");
    struct yb_filing f;
    memset(&f, 0, sizeof(f));
    if (!psn || !*psn) {
        h->log(h, YB_LOG_WARN, "accepted %s has no %s; the filing is not recorded", infno,
               l->psn.text);
        return;
    }
    if (!sn || !*sn) {
        h->log(h, YB_LOG_WARN,
               "accepted %s (msgid %s): the answer has no %s (the filing's number); the filing "
               "is not recorded",
               infno, text_of(h, req, "msgid"), l->sn.text);
        return;
    }
    if (fits(o, f.psn_no, sizeof(f.psn_no), psn, l->psn.text, infno) ||
        fits(o, f.insuplc, sizeof(f.insuplc), insuplc, "insuplc_admdvs", infno) ||
        fits(o, f.sn, sizeof(f.sn), sn, l->sn.text, infno) ||
        fits(o, f.infno, sizeof(f.infno), infno, "infno", infno) ||
        fits(o, f.msgid, sizeof(f.msgid), text_of(h, req, "msgid"), "msgid", infno))
        return;
    filing_date(o, yb_off_text_at(o, input, &l->begin), f.begndate, l->begin.text, infno);
    filing_date(o, yb_off_text_at(o, input, &l->end), f.enddate, l->end.text, infno);
    int rc = yb_filings_add(o->filings, &f);
    if (rc)
        h->log(h, YB_LOG_ERROR, "accepted %s (msgid %s, sn %s): the filing store refused it (%d)",
               infno, f.msgid, f.sn, rc);
}

static void learn_revoke(struct offsite *o, const struct off_learn *l, const struct yb_node *req,
                         const char *infno)
{
    const struct yb_host *h = o->h;
    const struct yb_node *input = h->node_get(req, "input");
    const char *psn = yb_off_text_at(o, input, &l->psn);
    const char *sn = yb_off_text_at(o, input, &l->sn);
    if (!psn || !*psn || !sn || !*sn) {
        h->log(h, YB_LOG_WARN, "accepted %s lacks %s or %s; no filing revoked", infno, l->psn.text,
               l->sn.text);
        return;
    }
    int rc = yb_filings_revoke(o->filings, psn, sn, text_of(h, req, "msgid"));
    if (rc == YB_ENOENT)
        h->log(h, YB_LOG_INFO,
               "accepted %s (msgid %s) revokes filing %s, which this gateway never "
               "recorded (filed elsewhere)",
               infno, text_of(h, req, "msgid"), sn);
    else if (rc)
        h->log(h, YB_LOG_ERROR, "accepted %s (msgid %s, sn %s): the filing store failed (%d)",
               infno, text_of(h, req, "msgid"), sn, rc);
}

static int on_response(void *state, struct yb_txn *txn)
{
    struct offsite *o = state;
    const struct yb_host *h = o->h;
    if (!o->filings || (!o->n_record && !o->n_revoke))
        return YB_PASS;
    const char *infno = h->txn_infno(txn);
    const struct yb_node *answer = h->txn_response(txn);
    const char *infcode = h->node_text(h->node_get(answer, "infcode"), NULL);
    if (!infno || !infcode || strcmp(infcode, "0") != 0)
        return YB_PASS;
    const struct yb_node *req = h->txn_request(txn);
    for (size_t i = 0; i < o->n_record; i++)
        if (strcmp(o->record[i].infno, infno) == 0)
            learn_record(o, &o->record[i], req, h->node_get(answer, "output"), infno);
    for (size_t i = 0; i < o->n_revoke; i++)
        if (strcmp(o->revoke[i].infno, infno) == 0)
            learn_revoke(o, &o->revoke[i], req, infno);
    return YB_PASS;
}

/* ---- life cycle ---- */

static void fini(void *state)
{
    struct offsite *o = state;
    if (!o)
        return;
    if (o->filings)
        yb_filings_close(o->filings);
    yb_off_unconfigure(o);
    free(o);
}

static int init(const struct yb_host *h, const struct yb_conf *conf, void **state)
{
    if (!YB_HOST_HAS(h, txn_set_timeout)) {
        h->log(h, YB_LOG_ERROR, "the gateway is older than this plugin (needs host ABI 1.3)");
        return YB_EABI;
    }
    struct offsite *o = calloc(1, sizeof(*o));
    if (!o)
        return YB_ENOMEM;
    o->h = h;
    atomic_init(&o->kind_state, 0);
    atomic_init(&o->kind, NULL);
    int rc = yb_off_configure(o, conf);
    if (rc)
        goto fail;
    if (o->filings_path[0] && (rc = yb_filings_open(o->filings_path, h, &o->filings))) {
        h->log(h, YB_LOG_ERROR, "%s: the filing store %s cannot be opened (%d)", o->filings_where,
               o->filings_path, rc);
        goto fail;
    }
    h->log(h, YB_LOG_INFO,
           "%zu routes%s, %zu pool prefixes, route by %s; %zu deny, %zu require, %zu filing "
           "rules (filings %s)",
           o->n_routes, o->has_default ? " and default" : "", o->n_pools,
           o->route_by_mdtrtarea ? "mdtrtarea_admvs" : "insuplc_admdvs", o->n_deny, o->n_require,
           o->n_filing,
           o->filing_policy == YB_POLICY_REJECT ? "reject"
           : o->filing_policy == YB_POLICY_WARN ? "warn"
                                                : "off");
    *state = o;
    return 0;
fail:
    fini(o);
    return rc;
}

static const struct yb_plugin offsite_plugin = {
    .abi = YB_PLUGIN_ABI,
    .struct_size = sizeof(struct yb_plugin),
    .name = "offsite",
    .version = "1.0.0",
    .init = init,
    .on_request = on_request,
    .on_response = on_response,
    .fini = fini,
};

YB_EXPORT const struct yb_plugin *yb_plugin_entry(void)
{
    return &offsite_plugin;
}
