/*
 * off_conf.c - the offsite plugin's configuration: its directives, as a
 * table (name, arity, once or repeatable, reader), read with the host's
 * conf_each so that every error names the file and line it came from.
 *
 * What it checks at load, so that nothing is found wrong on a live
 * transaction: region patterns are digits of the right length, every route
 * names an upstream the configuration defines, no pattern or pool prefix is
 * given twice, durations are positive and at most 10 minutes, class words
 * and policies are known words, paths are well formed, and filing rules have
 * a store to look in. The result is the read-only part of struct offsite.
 *
 * Not checked: directives this table does not know. The host table (ABI
 * 1.3) can look a section's directives up by name but cannot list them, so
 * a misspelt directive is silently ignored until the host offers a way to
 * list them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "off_internal.h"

static int bad(struct offsite *o, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct offsite *o, const char *where, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    o->h->log(o->h, YB_LOG_ERROR, "%s: %s", where, msg);
    return YB_EINVAL;
}

static void keep_where(off_where out, const char *where)
{
    snprintf(out, sizeof(off_where), "%s", where);
}

static int is_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* ARRAY (N items of SIZE bytes) reallocated with room for one more, zeroed;
 * the caller stores the result back. NULL at CAP items or out of memory
 * (ARRAY is then unchanged). */
static void *grow(void *array, size_t n, size_t size, size_t cap)
{
    if (n >= cap)
        return NULL;
    char *bigger = realloc(array, size * (n + 1));
    if (bigger)
        memset(bigger + size * n, 0, size);
    return bigger;
}

static int take_policy(struct offsite *o, const char *word, const char *name, const char *where,
                       int *out)
{
    if (strcmp(word, "reject") == 0)
        *out = YB_POLICY_REJECT;
    else if (strcmp(word, "warn") == 0)
        *out = YB_POLICY_WARN;
    else if (strcmp(word, "off") == 0)
        *out = YB_POLICY_OFF;
    else
        return bad(o, where, "%s must be reject, warn or off, not \"%s\"", name, word);
    return 0;
}

static int take_class(struct offsite *o, const char *word, const char *where, struct off_rule *r)
{
    if (strcmp(word, "in-province") == 0)
        r->classes = OFF_MASK(OFF_IN_PROVINCE);
    else if (strcmp(word, "cross-province") == 0)
        r->classes = OFF_MASK(OFF_CROSS_PROVINCE);
    else if (strcmp(word, "off-site") == 0)
        r->classes = OFF_MASK_OFFSITE;
    else
        return bad(o, where,
                   "the class must be in-province, cross-province or off-site (either), not \"%s\"",
                   word);
    return 0;
}

/* An infno pattern: 1-15 letters or digits, optionally ending in '*'. */
static int take_infno(struct offsite *o, const char *word, const char *where, struct off_infnos *l)
{
    size_t len = strlen(word);
    int prefix = len > 0 && word[len - 1] == '*';
    size_t stem = prefix ? len - 1 : len;
    int ok = stem >= 1 && stem < sizeof(l->item[0].text);
    for (size_t i = 0; ok && i < stem; i++)
        ok = is_word_char(word[i]) && word[i] != '_';
    if (!ok)
        return bad(o, where,
                   "\"%s\" is not a transaction pattern: write an infno such as 2207, or a "
                   "prefix such as 25*",
                   word);
    if (l->n == OFF_MAX_WORDS)
        return bad(o, where, "more than %d transaction patterns", OFF_MAX_WORDS);
    struct off_infno *p = &l->item[l->n++];
    memcpy(p->text, word, stem);
    p->text[stem] = '\0';
    p->len = stem;
    p->prefix = prefix;
    return 0;
}

int yb_off_parse_path(const char *text, int list_ok, struct off_path *out, char *why, size_t cap)
{
    memset(out, 0, sizeof(*out));
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof(out->text)) {
        snprintf(why, cap, "a path must be 1 to %zu characters", sizeof(out->text) - 1);
        return YB_EINVAL;
    }
    memcpy(out->text, text, len + 1);
    for (const char *p = text;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        int list = n > 2 && p[n - 2] == '[' && p[n - 1] == ']';
        size_t name = list ? n - 2 : n;
        if (out->n == OFF_MAX_SEGMENTS) {
            snprintf(why, cap, "a path may have at most %d parts", OFF_MAX_SEGMENTS);
            return YB_EINVAL;
        }
        if (name == 0 || name >= sizeof(out->seg[0].name)) {
            snprintf(why, cap, "every part of a path is a field name of 1 to %zu characters",
                     sizeof(out->seg[0].name) - 1);
            return YB_EINVAL;
        }
        for (size_t i = 0; i < name; i++) {
            if (!is_word_char(p[i])) {
                snprintf(why, cap, "field names are letters, digits and '_'%s",
                         list_ok ? " ('name[]' for every item of a list)" : "");
                return YB_EINVAL;
            }
        }
        if (list && !list_ok) {
            snprintf(why, cap, "this path names one value, so it cannot go through a list[]");
            return YB_EINVAL;
        }
        if (list && !dot) {
            snprintf(why, cap, "'%.*s' must be followed by the field every item needs", (int)n, p);
            return YB_EINVAL;
        }
        memcpy(out->seg[out->n].name, p, name);
        out->seg[out->n].name[name] = '\0';
        out->seg[out->n].list = list;
        out->n++;
        if (!dot)
            return 0;
        p = dot + 1;
    }
}

static int take_path(struct offsite *o, const char *text, int list_ok, const char *what,
                     const char *where, struct off_path *out)
{
    char why[160];
    if (yb_off_parse_path(text, list_ok, out, why, sizeof(why)))
        return bad(o, where, "%s \"%s\": %s", what, text, why);
    return 0;
}

/* "500ms", "30s", "2m": a positive duration of at most 10 minutes. */
static int take_duration(struct offsite *o, const char *text, const char *where, long *ms)
{
    long value = 0;
    size_t i = 0;
    for (; text[i] >= '0' && text[i] <= '9'; i++) {
        if (value > OFF_MAX_TIMEOUT_MS)
            break;
        value = value * 10 + (text[i] - '0');
    }
    const char *unit = text + i;
    long scale = strcmp(unit, "ms") == 0 ? 1 : strcmp(unit, "s") == 0 ? 1000 : 0;
    if (strcmp(unit, "m") == 0)
        scale = 60000;
    if (i == 0 || scale == 0)
        return bad(o, where, "timeout \"%s\": write a number and a unit: 500ms, 30s or 2m", text);
    if (value == 0 || value > OFF_MAX_TIMEOUT_MS / scale)
        return bad(o, where, "timeout \"%s\" must be more than 0 and at most 10m", text);
    *ms = value * scale;
    return 0;
}

/* ---- the directives ---- */

static int take_route(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    struct off_route r = {0};
    if (strcmp(argv[0], "default") != 0) {
        if (!is_digits(argv[0], 2, 6))
            return bad(o, where,
                       "route pattern \"%s\" must be 2 to 6 digits (a region code or its "
                       "prefix) or default",
                       argv[0]);
        memcpy(r.pattern, argv[0], strlen(argv[0]) + 1);
        r.len = strlen(argv[0]);
    }
    if (strlen(argv[1]) >= sizeof(r.upstream))
        return bad(o, where, "route %s: the upstream name is too long", argv[0]);
    memcpy(r.upstream, argv[1], strlen(argv[1]) + 1);
    if (argc == 3 || (argc == 4 && strcmp(argv[2], "timeout") != 0))
        return bad(o, where, "route takes PATTERN UPSTREAM [timeout DURATION]");
    if (argc == 4 && take_duration(o, argv[3], where, &r.timeout_ms))
        return YB_EINVAL;
    keep_where(r.where, where);
    if (r.len == 0) {
        if (o->has_default)
            return bad(o, where, "route default is defined twice (also at %s)", o->fallback.where);
        o->fallback = r;
        o->has_default = 1;
        return 0;
    }
    struct off_route *routes = grow(o->routes, o->n_routes, sizeof(r), OFF_MAX_ROUTES);
    if (!routes)
        return bad(o, where, "more than %d routes, or out of memory", OFF_MAX_ROUTES);
    o->routes = routes;
    routes[o->n_routes++] = r;
    return 0;
}

static int take_pool(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    if (!is_digits(argv[0], 6, 6))
        return bad(o, where, "pool \"%s\": the pool is a 6-digit region code", argv[0]);
    for (int i = 1; i < argc; i++) {
        if (!is_digits(argv[i], 2, 6))
            return bad(o, where,
                       "pool %s: prefix \"%s\" must be 2 to 6 digits (codes starting with it "
                       "belong to the pool)",
                       argv[0], argv[i]);
        struct off_pool_prefix *pools =
            grow(o->pools, o->n_pools, sizeof(*pools), OFF_MAX_POOL_PREFIXES);
        if (!pools)
            return bad(o, where, "more than %d pool prefixes, or out of memory",
                       OFF_MAX_POOL_PREFIXES);
        o->pools = pools;
        struct off_pool_prefix *p = &pools[o->n_pools++];
        memcpy(p->prefix, argv[i], strlen(argv[i]) + 1);
        p->len = strlen(argv[i]);
        memcpy(p->pool, argv[0], 7);
        keep_where(p->where, where);
    }
    return 0;
}

static int take_route_by(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    (void)argc;
    if (strcmp(argv[0], "insuplc") == 0)
        o->route_by_mdtrtarea = 0;
    else if (strcmp(argv[0], "mdtrtarea") == 0)
        o->route_by_mdtrtarea = 1;
    else
        return bad(o, where, "route_by must be insuplc or mdtrtarea, not \"%s\"", argv[0]);
    return 0;
}

static int take_local_only(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    for (int i = 0; i < argc; i++)
        if (take_infno(o, argv[i], where, &o->local_only))
            return YB_EINVAL;
    return 0;
}

static int take_home(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    for (int i = 0; i < argc; i++) {
        if (!is_digits(argv[i], 6, 6))
            return bad(o, where, "home \"%s\": a home pool is a 6-digit region code", argv[i]);
        if (o->n_home == OFF_MAX_WORDS)
            return bad(o, where, "more than %d home pools", OFF_MAX_WORDS);
        memcpy(o->home[o->n_home++], argv[i], 7);
    }
    return 0;
}

static int take_unknown_region(struct offsite *o, int argc, const char *const *argv,
                               const char *where)
{
    (void)argc;
    return take_policy(o, argv[0], "unknown_region", where, &o->unknown_region);
}

static int take_filing_policy(struct offsite *o, int argc, const char *const *argv,
                              const char *where)
{
    (void)argc;
    return take_policy(o, argv[0], "filing_policy", where, &o->filing_policy);
}

static struct off_rule *new_rule(struct offsite *o, struct off_rule **list, size_t *n,
                                 const char *where)
{
    struct off_rule *rules = grow(*list, *n, sizeof(**list), OFF_MAX_RULES);
    if (!rules) {
        bad(o, where, "more than %d rules of this kind, or out of memory", OFF_MAX_RULES);
        return NULL;
    }
    *list = rules;
    struct off_rule *r = &rules[(*n)++];
    keep_where(r->where, where);
    return r;
}

static int take_deny(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    struct off_rule *r = new_rule(o, &o->deny, &o->n_deny, where);
    if (!r || take_class(o, argv[0], where, r))
        return YB_EINVAL;
    for (int i = 1; i < argc; i++)
        if (take_infno(o, argv[i], where, &r->infnos))
            return YB_EINVAL;
    return 0;
}

static int take_require(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    struct off_rule *r = new_rule(o, &o->require, &o->n_require, where);
    if (!r || take_class(o, argv[0], where, r) || take_infno(o, argv[1], where, &r->infnos))
        return YB_EINVAL;
    for (int i = 2; i < argc; i++)
        if (take_path(o, argv[i], 1, "require path", where, &r->paths[r->n_paths++]))
            return YB_EINVAL;
    return 0;
}

static int take_filing(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    (void)argc;
    struct off_rule *r = new_rule(o, &o->filing, &o->n_filing, where);
    if (!r || take_class(o, argv[0], where, r) || take_infno(o, argv[1], where, &r->infnos) ||
        take_path(o, argv[2], 0, "filing PSN_PATH", where, &r->paths[r->n_paths++]))
        return YB_EINVAL;
    return 0;
}

static int take_filings(struct offsite *o, int argc, const char *const *argv, const char *where)
{
    (void)argc;
    if (!argv[0][0])
        return bad(o, where, "filings takes the path of the filing store");
    keep_where(o->filings_where, where); /* the path itself is read in finish */
    return 0;
}

static struct off_learn *new_learn(struct offsite *o, struct off_learn **list, size_t *n,
                                   const char *infno, const char *where)
{
    if (!is_digits(infno, 4, 4)) { /* the filing store keeps digits only */
        bad(o, where, "\"%s\" must be one transaction's infno, 4 digits such as 2501", infno);
        return NULL;
    }
    struct off_learn *learn = grow(*list, *n, sizeof(**list), OFF_MAX_RULES);
    if (!learn) {
        bad(o, where, "more than %d rules of this kind, or out of memory", OFF_MAX_RULES);
        return NULL;
    }
    *list = learn;
    struct off_learn *l = &learn[(*n)++];
    snprintf(l->infno, sizeof(l->infno), "%s", infno);
    keep_where(l->where, where);
    return l;
}

static int take_filing_record(struct offsite *o, int argc, const char *const *argv,
                              const char *where)
{
    (void)argc;
    struct off_learn *l = new_learn(o, &o->record, &o->n_record, argv[0], where);
    if (!l || take_path(o, argv[1], 0, "filing_record PSN_PATH", where, &l->psn) ||
        take_path(o, argv[2], 0, "filing_record BEGIN_PATH", where, &l->begin) ||
        take_path(o, argv[3], 0, "filing_record END_PATH", where, &l->end) ||
        take_path(o, argv[4], 0, "filing_record SN_OUTPUT_PATH", where, &l->sn))
        return YB_EINVAL;
    return 0;
}

static int take_filing_revoke(struct offsite *o, int argc, const char *const *argv,
                              const char *where)
{
    (void)argc;
    struct off_learn *l = new_learn(o, &o->revoke, &o->n_revoke, argv[0], where);
    if (!l || take_path(o, argv[1], 0, "filing_revoke PSN_PATH", where, &l->psn) ||
        take_path(o, argv[2], 0, "filing_revoke SN_PATH", where, &l->sn))
        return YB_EINVAL;
    return 0;
}

struct directive {
    const char *name;
    int min_args, max_args;
    int once; /* may appear only once */
    int (*take)(struct offsite *o, int argc, const char *const *argv, const char *where);
    const char *usage;
};

/* Every directive of the section. `module` belongs to the host. */
static const struct directive directives[] = {
    {"route", 2, 4, 0, take_route, "PATTERN UPSTREAM [timeout DURATION]"},
    {"pool", 2, OFF_MAX_WORDS, 0, take_pool, "CODE PREFIX..."},
    {"route_by", 1, 1, 1, take_route_by, "insuplc|mdtrtarea"},
    {"local_only", 1, OFF_MAX_WORDS, 0, take_local_only, "INFNO..."},
    {"home", 1, OFF_MAX_WORDS, 0, take_home, "CODE..."},
    {"unknown_region", 1, 1, 1, take_unknown_region, "reject|warn|off"},
    {"deny", 2, OFF_MAX_WORDS + 1, 0, take_deny, "CLASS INFNO..."},
    {"require", 3, OFF_MAX_PATHS + 2, 0, take_require, "CLASS INFNO PATH..."},
    {"filing", 3, 3, 0, take_filing, "CLASS INFNO PSN_PATH"},
    {"filing_policy", 1, 1, 1, take_filing_policy, "reject|warn|off"},
    {"filings", 1, 1, 1, take_filings, "FILE"},
    {"filing_record", 5, 5, 0, take_filing_record,
     "INFNO PSN_PATH BEGIN_PATH END_PATH SN_OUTPUT_PATH"},
    {"filing_revoke", 3, 3, 0, take_filing_revoke, "INFNO PSN_PATH SN_PATH"},
};

struct reading {
    struct offsite *o;
    const struct directive *d;
    int seen;
    off_where first;
};

static int read_one(void *arg, int argc, const char *const *argv, const char *where)
{
    struct reading *r = arg;
    const struct directive *d = r->d;
    if (d->once && r->seen)
        return bad(r->o, where, "%s is set twice (first at %s); keep one", d->name, r->first);
    if (!r->seen++)
        keep_where(r->first, where);
    if (argc < d->min_args || argc > d->max_args)
        return bad(r->o, where, "%s takes %s", d->name, d->usage);
    for (int i = 0; i < argc; i++)
        if (strlen(argv[i]) > 1024)
            return bad(r->o, where, "%s: argument %d is longer than 1024 characters", d->name,
                       i + 1);
    return d->take(r->o, argc, argv, where);
}

static int route_cmp(const void *a, const void *b)
{
    return strcmp(((const struct off_route *)a)->pattern, ((const struct off_route *)b)->pattern);
}

static int pool_cmp(const void *a, const void *b)
{
    return strcmp(((const struct off_pool_prefix *)a)->prefix,
                  ((const struct off_pool_prefix *)b)->prefix);
}

/* Sort the tables for lookup, refuse duplicates, check the upstreams. */
static int finish_tables(struct offsite *o, const struct yb_conf *conf)
{
    if (o->n_routes)
        qsort(o->routes, o->n_routes, sizeof(*o->routes), route_cmp);
    for (size_t i = 1; i < o->n_routes; i++)
        if (strcmp(o->routes[i - 1].pattern, o->routes[i].pattern) == 0)
            return bad(o, o->routes[i].where, "route %s is defined twice (also at %s); keep one",
                       o->routes[i].pattern, o->routes[i - 1].where);
    if (o->n_pools)
        qsort(o->pools, o->n_pools, sizeof(*o->pools), pool_cmp);
    for (size_t i = 1; i < o->n_pools; i++)
        if (strcmp(o->pools[i - 1].prefix, o->pools[i].prefix) == 0)
            return bad(o, o->pools[i].where,
                       "pool prefix %s is given twice (also at %s, for pool %s); a code belongs "
                       "to one pool",
                       o->pools[i].prefix, o->pools[i - 1].where, o->pools[i - 1].pool);
    for (size_t i = 0; i <= o->n_routes; i++) {
        const struct off_route *r = i < o->n_routes ? &o->routes[i] : &o->fallback;
        if (i == o->n_routes && !o->has_default)
            break;
        if (!o->h->upstream_exists(conf, r->upstream))
            return bad(o, r->where,
                       "route %s: no upstream named \"%s\" is configured (add upstream %s { ... })",
                       r->len ? r->pattern : "default", r->upstream, r->upstream);
    }
    return 0;
}

int yb_off_configure(struct offsite *o, const struct yb_conf *conf)
{
    const struct yb_host *h = o->h;
    o->unknown_region = YB_POLICY_REJECT;
    o->filing_policy = YB_POLICY_WARN;
    int rc;
    for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
        struct reading r = {o, &directives[i], 0, ""};
        if ((rc = h->conf_each(conf, directives[i].name, read_one, &r)))
            return rc < 0 ? rc : YB_EINVAL;
    }
    if ((rc = finish_tables(o, conf)))
        return rc;
    /* a store is state, like the catalog's: relative to where ybgw runs,
     * not to data_dir (which holds shipped data) */
    const char *filings = h->conf_get(conf, "filings");
    if (filings) {
        int n = snprintf(o->filings_path, sizeof(o->filings_path), "%s", filings);
        if (n < 0 || (size_t)n >= sizeof(o->filings_path))
            return bad(o, o->filings_where, "filings: the path is too long");
    }
    if (!o->filings_path[0] && o->n_filing && o->filing_policy != YB_POLICY_OFF)
        return bad(o, o->filing[0].where,
                   "filing rules need the filing store: add filings FILE; (or filing_policy off)");
    if (!o->filings_path[0] && (o->n_record || o->n_revoke))
        return bad(o, o->n_record ? o->record[0].where : o->revoke[0].where,
                   "filing_record and filing_revoke need the filing store: add filings FILE;");
    if (o->n_filing && o->filing_policy != YB_POLICY_OFF && !o->n_record)
        h->log(h, YB_LOG_WARN,
               "%s: no filing_record line says which transaction files (备案) a person, so "
               "only filings already in %s count",
               o->filing[0].where, o->filings_path);
    return 0;
}

void yb_off_unconfigure(struct offsite *o)
{
    free(o->routes);
    free(o->pools);
    free(o->deny);
    free(o->require);
    free(o->filing);
    free(o->record);
    free(o->revoke);
    o->routes = NULL;
    o->pools = NULL;
    o->deny = o->require = o->filing = NULL;
    o->record = o->revoke = NULL;
}
