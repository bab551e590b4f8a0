/*
 * cs_plugin.c - what every coding-standard plugin does the same way: read its
 * section, load its rules and its code table, register its kinds, and judge
 * codes (structure, segment checks, table membership, effective dates).
 *
 * A plugin supplies only a struct yb_cs_desc: its standard's name and the C
 * its standard needs beyond the data (named checks, hooks). See codeset.h.
 *
 * The state built by init is read-only afterwards; the request path (validate,
 * match, explain) reads it from any worker thread and allocates nothing.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules-internal.h"

enum { POLICY_REJECT = 0, POLICY_WARN = 1, POLICY_OFF = 2 };

struct kind_state {
    struct yb_cs_plugin *plugin;
    const char *name;  /* the rules' kind name */
    const char *label; /* "药品" */
    int verified_form; /* some form of the kind is verified */
};

struct yb_cs_plugin {
    const struct yb_cs_desc *desc;
    const struct yb_host *host;
    struct yb_cs_rules *rules;
    struct yb_cs_table *table; /* NULL: structure only */
    struct yb_cs_version version;
    int membership; /* POLICY_* for a code missing from an official table */
    int expired;    /* POLICY_REJECT or POLICY_WARN */
    struct kind_state *kinds;
    /* resolved segment checks, [form * YB_CS_MAX_SEGMENTS + segment] */
    yb_cs_check_fn *checks;
    char source[80]; /* "codeset.drug" for log lines */
    char data_dir[4096];
    void *user;
};

/* ---- today's date, cached: the request path must not call localtime ---- */

static _Atomic uint64_t today_cache; /* (minute since the epoch << 32) | yyyymmdd */

uint32_t yb_cs_today(void)
{
    time_t now = time(NULL);
    uint64_t minute = (uint64_t)now / 60;
    uint64_t cached = atomic_load_explicit(&today_cache, memory_order_relaxed);
    if (cached >> 32 == (minute & 0xffffffffu) && cached)
        return (uint32_t)cached;
    struct tm tm;
    localtime_r(&now, &tm);
    uint32_t day = (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
    atomic_store_explicit(&today_cache, (minute & 0xffffffffu) << 32 | day, memory_order_relaxed);
    return day;
}

static void date_text(uint32_t d, char *buf, size_t cap)
{
    snprintf(buf, cap, "%04u-%02u-%02u", d / 10000, d / 100 % 100, d % 100);
}

/* ---- built-in checks ---- */

/* The 6-digit region inside an institution or practitioner code must be a
 * region the admdvs plugin knows. Without that plugin the check is skipped:
 * the structure still holds. */
static int check_admdvs(const struct yb_cs_plugin *p, const char *seg, size_t len, const char *code,
                        size_t code_len, struct yb_code_verdict *v)
{
    (void)code;
    (void)code_len;
    const struct yb_code_kind *k = p->host->find_kind(p->host, "admdvs");
    if (!k)
        return 0;
    struct yb_code_verdict rv = {0};
    if (k->validate(k->state, seg, len, &rv) < 0 || rv.status == YB_CODE_VALID)
        return 0;
    yb_cs_verdict(v, rv.status, "region", "region %.*s inside the code: %s", (int)len, seg,
                  rv.reason);
    return 1;
}

static const struct yb_cs_check builtin_checks[] = {
    {"admdvs", check_admdvs},
    {"values", NULL}, /* handled inline: it needs the segment's values file */
    {NULL, NULL},
};

/* ---- judging a code ---- */

/* The table entry of CODE, which matched SHAPE as KIND; NULL when no table
 * is loaded or the code is not in it (as this kind). */
static const struct yb_cs_entry *entry_of(const struct yb_cs_plugin *p, const char *kind,
                                          const struct yb_cs_shape *shape, const char *code,
                                          size_t len)
{
    if (!p->table)
        return NULL;
    char key[YB_CS_MAX_CODE + 1];
    size_t klen = yb_cs_key(p->rules, shape, code, len, key, sizeof(key));
    const struct yb_cs_entry *e = yb_cs_table_find(p->table, key, klen);
    return e && strcmp(e->kind, kind) == 0 ? e : NULL;
}

static int judge(const struct yb_cs_plugin *p, const char *kind, const char *code, size_t len,
                 struct yb_code_verdict *v)
{
    const struct yb_cs_rules *r = p->rules;
    struct yb_cs_shape shape;
    memset(v, 0, sizeof(*v));
    if (!yb_cs_match(r, kind, code, len, &shape, v))
        return 0;
    const struct cs_form *f = &r->forms[shape.form];
    for (size_t i = 0; i < f->n_segs; i++) {
        const struct cs_segment *s = &f->segs[i];
        const struct yb_cs_span *sp = &shape.spans[i];
        if (!s->check || !sp->present)
            continue;
        const char *seg = code + sp->offset;
        if (strcmp(s->check, "values") == 0) {
            if (!yb_cs_rules_value_meaning(r, (size_t)shape.form, i, seg, sp->len)) {
                yb_cs_verdict(v, YB_CODE_INVALID, s->name, "%s code: %s \"%.*s\" is not a known %s",
                              f->label, s->name, (int)sp->len, seg, s->meaning);
                return 0;
            }
            continue;
        }
        yb_cs_check_fn fn = p->checks[(size_t)shape.form * YB_CS_MAX_SEGMENTS + i];
        if (fn && fn(p, seg, sp->len, code, len, v) && v->status == YB_CODE_INVALID)
            return 0;
    }
    int warned = v->status == YB_CODE_WARN; /* a check may warn without refusing */
    if (p->table) {
        const struct yb_cs_entry *e = entry_of(p, kind, &shape, code, len);
        if (!e) {
            if (p->version.sample) {
                yb_cs_verdict(v, YB_CODE_WARN, "table",
                              "%s code is not in the SAMPLE %s table (version %s); membership "
                              "is checked once the official table is imported",
                              f->label, r->standard, p->version.version);
                return 0;
            }
            if (p->membership != POLICY_OFF) {
                yb_cs_verdict(v, p->membership == POLICY_REJECT ? YB_CODE_INVALID : YB_CODE_WARN,
                              "table", "%s code is not in the %s table (version %s)", f->label,
                              r->standard, p->version.version);
                return 0;
            }
        } else {
            uint32_t today = yb_cs_today();
            char d[16];
            int status = p->expired == POLICY_REJECT ? YB_CODE_INVALID : YB_CODE_WARN;
            if (e->begin_date && today < e->begin_date) {
                date_text(e->begin_date, d, sizeof(d));
                yb_cs_verdict(v, status, "effective",
                              "%s code is not in effect until %s (table version %s)", f->label, d,
                              p->version.version);
                return 0;
            }
            if (e->end_date && today > e->end_date) {
                date_text(e->end_date, d, sizeof(d));
                yb_cs_verdict(v, status, "expired",
                              "%s code expired on %s (table version %s); use its successor",
                              f->label, d, p->version.version);
                return 0;
            }
        }
    }
    if (!warned && f->warn)
        yb_cs_verdict(v, YB_CODE_WARN, "form", "%s: %s", f->label, f->note);
    else if (!warned)
        v->status = YB_CODE_VALID;
    return 0;
}

static int kind_validate(void *state, const char *code, size_t len, struct yb_code_verdict *v)
{
    const struct kind_state *ks = state;
    return judge(ks->plugin, ks->name, code, len, v);
}

/* Which of several kinds a field names does a code belong to? By the shape of
 * its start; but a kind known only by a permissive, unverified shape (the
 * disease lists) would claim every code, so once its table is loaded it
 * claims only the codes in it. */
static int kind_match(void *state, const char *code, size_t len)
{
    const struct kind_state *ks = state;
    const struct yb_cs_plugin *p = ks->plugin;
    if (!yb_cs_match_lead(p->rules, ks->name, code, len))
        return 0;
    if (!p->table || ks->verified_form)
        return 1;
    return yb_cs_plugin_lookup(p, ks->name, code, len) != NULL;
}

/* Append printf-style text to buf at *used, never past cap. */
static void put(char *buf, size_t cap, size_t *used, const char *fmt, ...) YB_PRINTF(4, 5);
static void put(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
    if (*used >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = (size_t)n >= cap - *used ? cap - 1 : *used + (size_t)n;
}

/* The region's name from the admdvs kind's explanation ("name: ..." line),
 * for a code that carries a region; NULL when unknown. */
static const char *region_name(const struct yb_cs_plugin *p, const char *seg, size_t len, char *out,
                               size_t cap)
{
    const struct yb_code_kind *k = p->host->find_kind(p->host, "admdvs");
    char text[1024];
    if (!k || !k->explain || k->explain(k->state, seg, len, text, sizeof(text)) <= 0)
        return NULL;
    const char *line = strstr(text, "name: ");
    if (!line || line[6] == '(' || line[6] == '\n')
        return NULL;
    line += 6;
    size_t n = strcspn(line, "\n");
    snprintf(out, cap, "%.*s", (int)n, line);
    return out;
}

static int kind_explain(void *state, const char *code, size_t len, char *buf, size_t cap)
{
    const struct kind_state *ks = state;
    const struct yb_cs_plugin *p = ks->plugin;
    const struct yb_cs_rules *r = p->rules;
    size_t used = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    struct yb_cs_shape shape;
    struct yb_code_verdict v;
    if (!yb_cs_match(r, ks->name, code, len, &shape, &v)) {
        put(buf, cap, &used, "not a %s code: %s\n", ks->label, v.reason);
        /* what it starts like, so a reader (and ybgwctl's inference) can
         * tell a near miss of a verified shape from a stranger */
        int k = cs_rules_kind_index(r, ks->name);
        for (size_t i = 0; i < r->n_forms; i++)
            if (r->forms[i].kind == (size_t)k && cs_form_lead_matches(&r->forms[i], code, len))
                put(buf, cap, &used, "looks like: %s (%s, %s)\n", r->forms[i].label,
                    r->forms[i].name, r->forms[i].verified ? "verified" : "unverified");
        return (int)used;
    }
    const struct cs_form *f = &r->forms[shape.form];
    put(buf, cap, &used, "form: %s (%s, %s)\n", f->label, f->name,
        f->verified ? "verified" : "unverified: segments as data");
    if (f->note)
        put(buf, cap, &used, "note: %s\n", f->note);
    for (size_t i = 0; i < f->n_segs; i++) {
        const struct cs_segment *s = &f->segs[i];
        const struct yb_cs_span *sp = &shape.spans[i];
        if (!sp->present)
            continue;
        const char *meaning =
            yb_cs_rules_value_meaning(r, (size_t)shape.form, i, code + sp->offset, sp->len);
        char region[128] = "";
        if (!meaning && s->check && strcmp(s->check, "admdvs") == 0)
            meaning = region_name(p, code + sp->offset, sp->len, region, sizeof(region));
        put(buf, cap, &used, "%s: %.*s = %s%s%s\n", s->name, (int)sp->len, code + sp->offset,
            s->meaning, meaning ? ": " : "", meaning ? meaning : "");
    }
    /* the verdict, and the entry looked up apart from it: a failed segment
     * check stops judge() before the table, but the entry still explains */
    judge(p, ks->name, code, len, &v);
    const struct yb_cs_entry *e = entry_of(p, ks->name, &shape, code, len);
    if (!p->table) {
        put(buf, cap, &used, "table: none loaded for %s; membership not checked\n", r->standard);
    } else if (!e) {
        put(buf, cap, &used, "table: not in %s version %s%s\n", r->standard, p->version.version,
            p->version.sample ? " (a SAMPLE table)" : "");
    } else {
        char b[16] = "open", d[16] = "open";
        if (e->begin_date)
            date_text(e->begin_date, b, sizeof(b));
        if (e->end_date)
            date_text(e->end_date, d, sizeof(d));
        put(buf, cap, &used, "table: %s version %s%s: %s, in effect %s to %s%s%s\n", r->standard,
            p->version.version, p->version.sample ? " (SAMPLE)" : "", e->name[0] ? e->name : "-", b,
            d, e->flags[0] ? ", flags " : "", e->flags);
    }
    if (v.status != YB_CODE_VALID)
        put(buf, cap, &used, "verdict: %s [%s] %s\n", v.status == YB_CODE_WARN ? "warn" : "invalid",
            v.segment, v.reason);
    if (p->desc->explain_more && used + 1 < cap) {
        int n = p->desc->explain_more(p, ks->name, code, len, e, buf + used, cap - used);
        if (n > 0)
            used = (size_t)n >= cap - used ? cap - 1 : used + (size_t)n;
    }
    return (int)used;
}

/* ---- the plugin's life ---- */

static int policy_of(const struct yb_host *host, const struct yb_conf *conf, const char *name,
                     int fallback, int allow_off, int *out)
{
    const char *value = host->conf_get(conf, name);
    *out = fallback;
    if (!value)
        return 0;
    if (strcmp(value, "reject") == 0)
        *out = POLICY_REJECT;
    else if (strcmp(value, "warn") == 0)
        *out = POLICY_WARN;
    else if (allow_off && strcmp(value, "off") == 0)
        *out = POLICY_OFF;
    else {
        host->log(host, YB_LOG_ERROR, "%s takes reject, warn%s, got \"%s\"", name,
                  allow_off ? " or off" : "", value);
        return YB_EINVAL;
    }
    return 0;
}

static yb_cs_check_fn find_check(const struct yb_cs_desc *d, const char *name, int *found)
{
    for (const struct yb_cs_check *c = d->checks; c && c->name; c++)
        if (strcmp(c->name, name) == 0)
            return *found = 1, c->fn;
    for (const struct yb_cs_check *c = builtin_checks; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return *found = 1, c->fn;
    *found = 0;
    return NULL;
}

static int resolve_checks(struct yb_cs_plugin *p)
{
    const struct yb_cs_rules *r = p->rules;
    p->checks = calloc(r->n_forms * YB_CS_MAX_SEGMENTS, sizeof(*p->checks));
    if (!p->checks)
        return YB_ENOMEM;
    for (size_t f = 0; f < r->n_forms; f++) {
        for (size_t s = 0; s < r->forms[f].n_segs; s++) {
            const char *name = r->forms[f].segs[s].check;
            int found;
            if (!name)
                continue;
            p->checks[f * YB_CS_MAX_SEGMENTS + s] = find_check(p->desc, name, &found);
            if (!found) {
                p->host->log(p->host, YB_LOG_ERROR,
                             "rules: form %s, segment %s asks for check \"%s\", which this "
                             "plugin does not have",
                             r->forms[f].name, r->forms[f].segs[s].name, name);
                return YB_EINVAL;
            }
        }
    }
    return 0;
}

static int load_rules(struct yb_cs_plugin *p, const struct yb_conf *conf)
{
    const struct yb_host *h = p->host;
    char path[4096], err[1024], def[256];
    char *data_dir = p->data_dir;
    snprintf(def, sizeof(def), "%s/rules.conf", p->desc->standard);
    int rc = h->conf_get(conf, "rules") ? h->conf_path(conf, "rules", path, sizeof(path))
                                        : h->data_path(conf, def, path, sizeof(path));
    if (rc || h->data_path(conf, ".", data_dir, sizeof(p->data_dir))) {
        h->log(h, YB_LOG_ERROR, "the rules path is too long");
        return YB_ELIMIT;
    }
    p->rules = yb_cs_rules_load(path, data_dir, err, sizeof(err));
    if (!p->rules) {
        h->log(h, YB_LOG_ERROR, "%s", err);
        return YB_EINVAL;
    }
    return 0;
}

static int load_table(struct yb_cs_plugin *p, const struct yb_conf *conf)
{
    const struct yb_host *h = p->host;
    char db[4096], err[1024];
    const char *pinned = h->conf_get(conf, "table_version");
    if (p->rules->n_kinds == 0)
        return 0; /* a structure standard (setl_list): no codes, no table */
    if (h->code_tables(conf, db, sizeof(db)) != 0) {
        if (pinned) {
            h->log(h, YB_LOG_ERROR, "table_version %s is set but no code_tables is configured",
                   pinned);
            return YB_EINVAL;
        }
        h->log(h, YB_LOG_INFO, "no code_tables configured: %s codes are checked by structure only",
               p->rules->standard);
        return 0;
    }
    int rc = yb_cs_db_load(db, p->desc->standard, pinned, &p->table, &p->version, err, sizeof(err));
    if (rc == YB_ENOENT && !pinned) {
        h->log(h, YB_LOG_INFO,
               "%s has no %s table: codes are checked by structure only (import "
               "one with ybgwctl code import %s FILE)",
               db, p->desc->standard, p->desc->standard);
        return 0;
    }
    if (rc) {
        h->log(h, YB_LOG_ERROR, "code table %s from %s: %s", p->desc->standard, db, err);
        return rc;
    }
    if (yb_cs_table_count(p->table) == 0) {
        /* a header-only sample says nothing about membership */
        h->log(h, YB_LOG_INFO, "%s table version %s is empty: codes are checked by structure only",
               p->desc->standard, p->version.version);
        yb_cs_table_free(p->table);
        p->table = NULL;
        return 0;
    }
    h->log(h, YB_LOG_INFO, "%s table version %s%s: %zu codes, %.1f MiB", p->desc->standard,
           p->version.version, p->version.sample ? " (SAMPLE)" : "", yb_cs_table_count(p->table),
           (double)yb_cs_table_memory(p->table) / 1048576.0);
    return 0;
}

static int register_kinds(struct yb_cs_plugin *p)
{
    const struct yb_cs_rules *r = p->rules;
    p->kinds = calloc(r->n_kinds ? r->n_kinds : 1, sizeof(*p->kinds));
    if (!p->kinds)
        return YB_ENOMEM;
    for (size_t i = 0; i < r->n_kinds; i++) {
        p->kinds[i] = (struct kind_state){p, r->kinds[i].name, r->kinds[i].label, 0};
        for (size_t f = 0; f < r->n_forms; f++)
            if (r->forms[f].kind == i && r->forms[f].verified)
                p->kinds[i].verified_form = 1;
        struct yb_code_kind k = {.name = r->kinds[i].name,
                                 .standard = r->standard,
                                 .match = kind_match,
                                 .validate = kind_validate,
                                 .explain = kind_explain,
                                 .state = &p->kinds[i]};
        int rc = p->host->register_kind(p->host, &k);
        if (rc)
            return rc;
    }
    return 0;
}

int yb_cs_plugin_init(const struct yb_cs_desc *desc, const struct yb_host *host,
                      const struct yb_conf *conf, void **state)
{
    if (YB_ABI_MAJOR(host->abi) != YB_PLUGIN_ABI_MAJOR || !YB_HOST_HAS(host, kind_policy)) {
        host->log(host, YB_LOG_ERROR, "the gateway's host ABI is older than this plugin needs");
        return YB_EABI;
    }
    struct yb_cs_plugin *p = calloc(1, sizeof(*p));
    if (!p)
        return YB_ENOMEM;
    p->desc = desc;
    p->host = host;
    snprintf(p->source, sizeof(p->source), "codeset.%s", desc->standard);
    int rc;
    if ((rc = policy_of(host, conf, "membership", POLICY_REJECT, 1, &p->membership)) ||
        (rc = policy_of(host, conf, "expired", POLICY_REJECT, 0, &p->expired)) ||
        (rc = load_rules(p, conf)) || (rc = resolve_checks(p)) || (rc = load_table(p, conf)) ||
        (desc->setup && (rc = desc->setup(p, conf))) || (rc = register_kinds(p))) {
        yb_cs_plugin_fini(p);
        return rc;
    }
    *state = p;
    return 0;
}

void yb_cs_plugin_fini(void *state)
{
    struct yb_cs_plugin *p = state;
    if (!p)
        return;
    if (p->desc->teardown)
        p->desc->teardown(p);
    yb_cs_table_free(p->table);
    yb_cs_rules_free(p->rules);
    free(p->checks);
    free(p->kinds);
    free(p);
}

int yb_cs_plugin_on_request(void *state, struct yb_txn *txn)
{
    struct yb_cs_plugin *p = state;
    return p->desc->on_request ? p->desc->on_request(p, txn) : YB_PASS;
}

int yb_cs_plugin_on_response(void *state, struct yb_txn *txn)
{
    struct yb_cs_plugin *p = state;
    return p->desc->on_response ? p->desc->on_response(p, txn) : YB_PASS;
}

/* ---- accessors for plugins ---- */

const struct yb_host *yb_cs_plugin_host(const struct yb_cs_plugin *p)
{
    return p->host;
}

const struct yb_cs_rules *yb_cs_plugin_rules(const struct yb_cs_plugin *p)
{
    return p->rules;
}

const struct yb_cs_table *yb_cs_plugin_table(const struct yb_cs_plugin *p)
{
    return p->table;
}

const struct yb_cs_version *yb_cs_plugin_version(const struct yb_cs_plugin *p)
{
    return p->table ? &p->version : NULL;
}

void *yb_cs_plugin_user(const struct yb_cs_plugin *p)
{
    return p->user;
}

void yb_cs_plugin_set_user(struct yb_cs_plugin *p, void *user)
{
    p->user = user;
}

int yb_cs_plugin_path(const struct yb_cs_plugin *p, const char *relative, char *buf, size_t cap)
{
    int n = relative[0] == '/' ? snprintf(buf, cap, "%s", relative)
                               : snprintf(buf, cap, "%s/%s", p->data_dir, relative);
    return n < 0 || (size_t)n >= cap ? YB_ELIMIT : 0;
}

int yb_cs_plugin_validate(const struct yb_cs_plugin *p, const char *kind, const char *code,
                          size_t len, struct yb_code_verdict *v)
{
    return judge(p, kind, code, len, v);
}

const struct yb_cs_entry *yb_cs_plugin_lookup(const struct yb_cs_plugin *p, const char *kind,
                                              const char *code, size_t len)
{
    struct yb_cs_shape shape;
    struct yb_code_verdict v;
    if (!p->table || !yb_cs_match(p->rules, kind, code, len, &shape, &v))
        return NULL;
    return entry_of(p, kind, &shape, code, len);
}
