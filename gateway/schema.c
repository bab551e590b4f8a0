/*
 * schema.c - the table-driven field checker: loads conf/schemas/ and walks a
 * message against it.
 *
 * This file owns step 3 of a message's path (and the field rules of step 2,
 * the envelope). It knows nothing about any particular transaction: every
 * field rule is data, read at load time and compiled into a tree of rules
 * (regexes compiled, dictionaries sorted, decimal bounds parsed) so the
 * per-request walk does no parsing of the rules and no allocation except
 * for the findings it reports.
 *
 * ---- The schema language ---------------------------------------------------
 * Schema files use the configuration syntax (conf.h): `name args;` and
 * `name args { ... }`, # comments, quoted strings. A directory is loaded as
 * every *.schema file in it, in name order; dictionaries may be used before
 * the file that defines them. Top-level directives:
 *
 *   transaction INFNO ["TITLE"] { ... }   one transaction (2204, 4101A, ...)
 *   dict NAME ["TITLE"] { CODE "LABEL"; ... }
 *                                         a named code list for `enum NAME`;
 *                                         a second `dict NAME` block (say in a
 *                                         regional file) adds entries
 *   envelope { ... }                      the envelope fields (once)
 *
 * Inside a transaction:
 *   input { FIELDS }         rules for `input` (paths are relative to it)
 *   output { FIELDS }        shapes of `output` (used by yb_schema_shape only)
 *   like INFNO;              same input/output rules as another transaction
 *                            (its own insuplc_optional is not copied)
 *   insuplc_optional;        insuplc_admdvs may be empty even if the input
 *                            names a person (psn_no); see envelope.c
 *
 * FIELDS are:
 *   field NAME TYPE [TYPE ARGS] [FLAGS];
 *   object NAME [required] [{ FIELDS }]     no block: any object
 *   list NAME [required] [min=N] [max=N] { FIELDS }   a list of objects
 *   list NAME of TYPE [TYPE ARGS] [required] [min=N] [max=N] [FLAGS];
 *                                           a list of scalars
 *
 * TYPE is one of:
 *   string N       at most N characters (Unicode code points, not bytes)
 *   decimal P,S    -?digits(.digits)?, at most S places after the point and
 *                  P-S digits before it; a JSON number or a string. Leading
 *                  zeros and trailing zeros after the point do not count.
 *                  Never converted to a binary float.
 *   int N          -?digits, at most N digits
 *   date           yyyy-MM-dd, a real calendar date
 *   datetime       yyyy-MM-dd HH:mm:ss, a real time
 *   enum DICT      the value must be a code of dictionary DICT
 *
 * FLAGS are:
 *   required       absent or null is an error ("is required"), and so is ""
 *   empty          with required: the field must be present but may be ""
 *   pattern "RE"   POSIX extended regex the value must match (anchor it with
 *                  ^ and $); `pattern=RE` works when RE needs no quoting
 *   kind=a|b       the code kinds of the value (DESIGN.md); checked by the
 *                  codeset plugins through the kind callback
 *   min=X max=X    bounds of a decimal or int value, compared exactly; for a
 *                  list, bounds on its number of items
 *
 * Semantics, chosen to match what live HIS send:
 *   - Fields the schema does not name are allowed and not reported.
 *   - An optional field may be absent, null or "": then nothing is checked.
 *   - A JSON number is accepted where a string is expected (and the reverse
 *     for decimals and ints); a bool, object or list where a scalar is
 *     expected is a type error; a scalar where an object or list is
 *     expected is a type error, except "" which counts as absent.
 *   - A field gets at most one finding: the first rule it breaks.
 *   - kind_fn is called only for a present, non-empty value that passed its
 *     own rules.
 * Every finding goes to the diagnostics with source "schema" and a rule
 * word: required, type, maxlen, decimal, range, enum, pattern, date,
 * datetime, list_min, list_max.
 */
#include "schema.h"

#include <dirent.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec_json.h"
#include "conf.h"
#include "envelope.h"

#define SOURCE "schema"
#define PATH_MAX_LEN 512
#define ENUM_SHOWN 4      /* codes quoted in an enum error */
#define MAX_STRING_LEN 1000000u
#define MAX_DECIMAL_PRECISION 38u
#define MAX_INT_DIGITS 18u

enum rule_type {
    R_STRING,
    R_DECIMAL,
    R_INT,
    R_DATE,
    R_DATETIME,
    R_ENUM,
    R_OBJECT, /* fields[] are its members; nfields 0 and open: any object */
    R_LIST,   /* item is the rule of each item (an R_OBJECT or a scalar) */
};

static const char *const type_names[] = {"string", "decimal", "int",    "date",
                                         "datetime", "enum",  "object", "list"};

enum rule_flag {
    F_REQUIRED = 1u << 0,
    F_EMPTY = 1u << 1,
    F_MIN = 1u << 2,
    F_MAX = 1u << 3,
};

/* An exact decimal: digits of the integer part without leading zeros and
 * of the fraction without trailing zeros, both pointing into some text. */
struct dec {
    int neg;
    const char *ip;
    size_t ilen;
    const char *fp;
    size_t flen;
};

struct dict_entry {
    const char *code;
    const char *label;
    const struct yb_conf *src; /* load time only: where it was defined */
};

struct dict {
    const char *name;
    struct dict_entry *entries; /* sorted by code */
    size_t count;
    const char *shown; /* "310 职工基本医疗保险, 390 ..." for error messages */
};

struct rule {
    const char *name;
    size_t name_len;
    enum rule_type type;
    unsigned flags;
    unsigned long maxlen;        /* string N, int N (digits) */
    unsigned precision, scale;   /* decimal P,S */
    const struct dict *dict;     /* enum */
    regex_t *re;                 /* compiled pattern, or NULL */
    const char *pattern;         /* its text, for messages */
    const char *kinds;           /* "drug|service|consumable", or NULL */
    struct dec min, max;         /* decimal and int bounds */
    const char *min_text, *max_text;
    unsigned long list_min, list_max;
    struct rule *fields;         /* R_OBJECT members */
    size_t nfields;
    struct rule *item;           /* R_LIST item rule */
};

struct txn {
    const char *infno;
    const char *title;
    struct rule *input, *output; /* R_OBJECT rules, or NULL */
    int insuplc_optional;
    const char *like;            /* load time only: the transaction copied */
    const struct yb_conf *src;   /* load time only */
};

struct yb_schema_set {
    struct yb_pool *pool; /* everything below lives here */
    struct txn *txns;     /* sorted by infno */
    size_t ntxns;
    struct dict *dicts;   /* sorted by name */
    size_t ndicts;
    struct rule *envelope; /* R_OBJECT, or NULL */
};

/* ---- exact decimals ------------------------------------------------------ */

/* Parse -?digits(.digits)? strictly; 0 on success. */
static int dec_parse(const char *s, size_t len, struct dec *d)
{
    const char *p = s, *end = s + len;
    memset(d, 0, sizeof(*d));
    if (p < end && *p == '-') {
        d->neg = 1;
        p++;
    }
    const char *istart = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    if (p == istart)
        return -1;
    const char *iend = p;
    const char *fstart = p, *fend = p;
    if (p < end && *p == '.') {
        fstart = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == fstart)
            return -1;
        fend = p;
    }
    if (p != end)
        return -1;
    while (istart < iend && *istart == '0')
        istart++;
    while (fend > fstart && fend[-1] == '0')
        fend--;
    d->ip = istart;
    d->ilen = (size_t)(iend - istart);
    d->fp = fstart;
    d->flen = (size_t)(fend - fstart);
    if (d->ilen == 0 && d->flen == 0)
        d->neg = 0; /* -0 is 0 */
    return 0;
}

static int dec_cmp_abs(const struct dec *a, const struct dec *b)
{
    if (a->ilen != b->ilen)
        return a->ilen < b->ilen ? -1 : 1;
    int c = memcmp(a->ip, b->ip, a->ilen);
    if (c)
        return c < 0 ? -1 : 1;
    size_t common = a->flen < b->flen ? a->flen : b->flen;
    c = memcmp(a->fp, b->fp, common);
    if (c)
        return c < 0 ? -1 : 1;
    /* trailing zeros are stripped, so the longer fraction is the larger */
    if (a->flen != b->flen)
        return a->flen < b->flen ? -1 : 1;
    return 0;
}

static int dec_cmp(const struct dec *a, const struct dec *b)
{
    if (a->neg != b->neg)
        return a->neg ? -1 : 1;
    int c = dec_cmp_abs(a, b);
    return a->neg ? -c : c;
}

/* ---- loading ------------------------------------------------------------- */

struct loader {
    struct yb_schema_set *set;
    char *err;
    size_t errlen;
};

static void regex_cleanup(void *arg)
{
    regfree(arg);
}

static const struct dict *find_dict(const struct yb_schema_set *set, const char *name)
{
    size_t lo = 0, hi = set->ndicts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, set->dicts[mid].name);
        if (c == 0)
            return &set->dicts[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int type_from_name(const char *s)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(s, type_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Read the type and its arguments from argv[*i]; advance *i. */
static int parse_type(struct loader *ld, const struct yb_conf *d, int *i, struct rule *r)
{
    if (*i >= d->argc)
        return yb_conf_error(d, ld->err, ld->errlen, "\"%s %s\" needs a type", d->name,
                             r->name);
    const char *tname = d->argv[(*i)++];
    int t = type_from_name(tname);
    if (t < 0 || t == R_OBJECT || t == R_LIST)
        return yb_conf_error(d, ld->err, ld->errlen,
                             "unknown type \"%s\" (expected string, decimal, int, date, "
                             "datetime or enum)",
                             tname);
    r->type = (enum rule_type)t;
    if (r->type == R_DATE || r->type == R_DATETIME)
        return 0;
    if (*i >= d->argc)
        return yb_conf_error(d, ld->err, ld->errlen, "type %s of \"%s\" needs %s", tname,
                             r->name,
                             r->type == R_DECIMAL ? "precision,scale (like 16,2)"
                             : r->type == R_ENUM  ? "a dictionary name"
                                                  : "a maximum length");
    const char *arg = d->argv[(*i)++];
    unsigned long a, b;
    switch (r->type) {
    case R_STRING:
    case R_INT: {
        unsigned long cap = r->type == R_STRING ? MAX_STRING_LEN : MAX_INT_DIGITS;
        if (yb_parse_uint(arg, cap, &a) || a == 0 || a > cap)
            return yb_conf_error(d, ld->err, ld->errlen,
                                 "%s length of \"%s\" must be 1 to %lu, got \"%s\"", tname,
                                 r->name, cap, arg);
        r->maxlen = a;
        return 0;
    }
    case R_DECIMAL: {
        char p[16];
        const char *comma = strchr(arg, ',');
        size_t plen = comma ? (size_t)(comma - arg) : 0;
        if (!comma || plen == 0 || plen >= sizeof(p))
            goto bad_decimal;
        memcpy(p, arg, plen);
        p[plen] = '\0';
        /* the bounds are checked here too: yb_parse_uint lets a single digit
         * above its max through */
        if (yb_parse_uint(p, MAX_DECIMAL_PRECISION, &a) || yb_parse_uint(comma + 1, a, &b) ||
            a == 0 || a > MAX_DECIMAL_PRECISION || b > a)
            goto bad_decimal;
        r->precision = (unsigned)a;
        r->scale = (unsigned)b;
        return 0;
    bad_decimal:
        return yb_conf_error(d, ld->err, ld->errlen,
                             "decimal \"%s\" needs precision,scale like 16,2 (precision 1 to "
                             "%u, scale at most the precision), got \"%s\"",
                             r->name, MAX_DECIMAL_PRECISION, arg);
    }
    case R_ENUM:
        r->dict = find_dict(ld->set, arg);
        if (!r->dict)
            return yb_conf_error(d, ld->err, ld->errlen, "enum \"%s\": unknown dict \"%s\"",
                                 r->name, arg);
        return 0;
    default:
        return 0;
    }
}

static int set_bound(struct loader *ld, const struct yb_conf *d, struct rule *r, int is_min,
                     const char *value)
{
    if (r->type == R_LIST) {
        unsigned long v;
        if (yb_parse_uint(value, 100000000ul, &v))
            return yb_conf_error(d, ld->err, ld->errlen,
                                 "list \"%s\": %s= must be a whole number, got \"%s\"", r->name,
                                 is_min ? "min" : "max", value);
        if (is_min)
            r->list_min = v;
        else
            r->list_max = v;
    } else {
        if (r->type != R_DECIMAL && r->type != R_INT)
            return yb_conf_error(d, ld->err, ld->errlen,
                                 "\"%s\": min= and max= apply to decimal, int and list fields",
                                 r->name);
        char *copy = yb_pool_strdup(ld->set->pool, value);
        if (!copy)
            return yb_conf_error(d, ld->err, ld->errlen, "out of memory");
        struct dec *bound = is_min ? &r->min : &r->max;
        if (dec_parse(copy, strlen(copy), bound))
            return yb_conf_error(d, ld->err, ld->errlen,
                                 "\"%s\": %s= must be a decimal number, got \"%s\"", r->name,
                                 is_min ? "min" : "max", value);
        if (is_min)
            r->min_text = copy;
        else
            r->max_text = copy;
    }
    r->flags |= is_min ? F_MIN : F_MAX;
    return 0;
}

static int set_pattern(struct loader *ld, const struct yb_conf *d, struct rule *r,
                       const char *value)
{
    if (r->re)
        return yb_conf_error(d, ld->err, ld->errlen, "\"%s\" has two patterns", r->name);
    regex_t *re = yb_pool_alloc(ld->set->pool, sizeof(*re));
    if (!re)
        return yb_conf_error(d, ld->err, ld->errlen, "out of memory");
    int rc = regcomp(re, value, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[128];
        regerror(rc, re, why, sizeof(why));
        regfree(re);
        return yb_conf_error(d, ld->err, ld->errlen, "pattern of \"%s\" is not a valid regex: %s",
                             r->name, why);
    }
    if (yb_pool_cleanup_add(ld->set->pool, regex_cleanup, re)) {
        regfree(re);
        return yb_conf_error(d, ld->err, ld->errlen, "out of memory");
    }
    r->re = re;
    r->pattern = yb_pool_strdup(ld->set->pool, value);
    return r->pattern ? 0 : yb_conf_error(d, ld->err, ld->errlen, "out of memory");
}

/* The flags after the type: required, empty, key=value, or `key value` for
 * the keys pattern, kind, min and max (so a pattern can be quoted). */
static int parse_flags(struct loader *ld, const struct yb_conf *d, int i, struct rule *r,
                       struct rule *item)
{
    struct rule *scalar = item ? item : r; /* where value rules go */
    for (; i < d->argc; i++) {
        const char *a = d->argv[i];
        const char *eq = strchr(a, '=');
        char key[16];
        const char *value;
        size_t klen = eq ? (size_t)(eq - a) : strlen(a);
        if (klen >= sizeof(key))
            goto unknown;
        memcpy(key, a, klen);
        key[klen] = '\0';
        if (!eq && (strcmp(a, "required") == 0 || strcmp(a, "empty") == 0)) {
            r->flags |= a[0] == 'r' ? F_REQUIRED : F_EMPTY;
            continue;
        }
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < d->argc) {
            value = d->argv[++i];
        } else {
            goto unknown;
        }
        int rc;
        if (strcmp(key, "pattern") == 0) {
            if (scalar->type != R_STRING && scalar->type != R_INT && scalar->type != R_DECIMAL)
                return yb_conf_error(d, ld->err, ld->errlen,
                                     "pattern applies to string, int and decimal fields");
            rc = set_pattern(ld, d, scalar, value);
        } else if (strcmp(key, "kind") == 0) {
            if (scalar->type == R_OBJECT || scalar->type == R_LIST)
                return yb_conf_error(d, ld->err, ld->errlen, "kind= applies to scalar fields");
            if (!*value || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_.|") !=
                               strlen(value))
                return yb_conf_error(d, ld->err, ld->errlen,
                                     "kind=\"%s\": kinds are lowercase names joined by |", value);
            scalar->kinds = yb_pool_strdup(ld->set->pool, value);
            rc = scalar->kinds ? 0 : yb_conf_error(d, ld->err, ld->errlen, "out of memory");
        } else if (strcmp(key, "min") == 0 || strcmp(key, "max") == 0) {
            rc = set_bound(ld, d, r, key[1] == 'i', value);
        } else {
            goto unknown;
        }
        if (rc)
            return rc;
        continue;
    unknown:
        return yb_conf_error(d, ld->err, ld->errlen,
                             "\"%s\": unknown flag \"%s\" (expected required, empty, "
                             "pattern \"RE\", kind=K, min=X, max=X)",
                             r->name, a);
    }
    if ((r->flags & F_MIN) && (r->flags & F_MAX)) {
        int bad = r->type == R_LIST ? r->list_min > r->list_max : dec_cmp(&r->min, &r->max) > 0;
        if (bad)
            return yb_conf_error(d, ld->err, ld->errlen, "\"%s\": min= is above max=", r->name);
    }
    return 0;
}

static int build_object(struct loader *ld, const struct yb_conf *block, struct rule *obj);

/* One `field`, `object` or `list` directive into r. */
static int build_member(struct loader *ld, const struct yb_conf *d, struct rule *r)
{
    struct yb_pool *pool = ld->set->pool;
    if (d->argc < 1)
        return yb_conf_error(d, ld->err, ld->errlen, "\"%s\" needs a name", d->name);
    r->name = yb_pool_strdup(pool, d->argv[0]);
    if (!r->name)
        return yb_conf_error(d, ld->err, ld->errlen, "out of memory");
    r->name_len = strlen(r->name);
    int i = 1;
    if (strcmp(d->name, "field") == 0) {
        if (d->has_block)
            return yb_conf_error(d, ld->err, ld->errlen, "field \"%s\" takes no block", r->name);
        int rc = parse_type(ld, d, &i, r);
        return rc ? rc : parse_flags(ld, d, i, r, NULL);
    }
    if (strcmp(d->name, "object") == 0) {
        r->type = R_OBJECT;
        int rc = parse_flags(ld, d, i, r, NULL);
        if (rc)
            return rc;
        return d->has_block ? build_object(ld, d, r) : 0;
    }
    /* list */
    r->type = R_LIST;
    r->item = yb_pool_alloc(pool, sizeof(*r->item));
    if (!r->item)
        return yb_conf_error(d, ld->err, ld->errlen, "out of memory");
    r->item->name = r->name;
    r->item->name_len = r->name_len;
    if (i < d->argc && strcmp(d->argv[i], "of") == 0) {
        if (d->has_block)
            return yb_conf_error(d, ld->err, ld->errlen,
                                 "list \"%s\" of scalars takes no block", r->name);
        i++;
        int rc = parse_type(ld, d, &i, r->item);
        return rc ? rc : parse_flags(ld, d, i, r, r->item);
    }
    if (!d->has_block)
        return yb_conf_error(d, ld->err, ld->errlen,
                             "list \"%s\" needs a { ... } block of fields, or `of TYPE`",
                             r->name);
    r->item->type = R_OBJECT;
    int rc = parse_flags(ld, d, i, r, NULL);
    return rc ? rc : build_object(ld, d, r->item);
}

static int build_object(struct loader *ld, const struct yb_conf *block, struct rule *obj)
{
    size_t n = 0;
    for (const struct yb_conf *d = block->children; d; d = d->next) {
        if (strcmp(d->name, "field") && strcmp(d->name, "object") && strcmp(d->name, "list"))
            return yb_conf_error(d, ld->err, ld->errlen,
                                 "unknown directive \"%s\" (expected field, object or list)",
                                 d->name);
        n++;
    }
    obj->type = R_OBJECT;
    obj->nfields = n;
    if (!n)
        return 0;
    obj->fields = yb_pool_alloc(ld->set->pool, n * sizeof(*obj->fields));
    if (!obj->fields)
        return yb_conf_error(block, ld->err, ld->errlen, "out of memory");
    size_t k = 0;
    for (const struct yb_conf *d = block->children; d; d = d->next, k++) {
        int rc = build_member(ld, d, &obj->fields[k]);
        if (rc)
            return rc;
        for (size_t j = 0; j < k; j++)
            if (strcmp(obj->fields[j].name, obj->fields[k].name) == 0)
                return yb_conf_error(d, ld->err, ld->errlen, "\"%s\" is named twice",
                                     obj->fields[k].name);
    }
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct dict_entry *)a)->code, ((const struct dict_entry *)b)->code);
}

static int cmp_dict(const void *a, const void *b)
{
    return strcmp(((const struct dict *)a)->name, ((const struct dict *)b)->name);
}

static int cmp_txn(const void *a, const void *b)
{
    return strcmp(((const struct txn *)a)->infno, ((const struct txn *)b)->infno);
}

/* Gather every `dict` block of every file; blocks of one name merge. */
static int load_dicts(struct loader *ld, struct yb_conf **roots, size_t nroots)
{
    struct yb_schema_set *set = ld->set;
    size_t cap = 0;
    for (size_t f = 0; f < nroots; f++)
        for (const struct yb_conf *d = roots[f]->children; d; d = d->next)
            cap += strcmp(d->name, "dict") == 0;
    if (!cap)
        return 0;
    set->dicts = yb_pool_alloc(set->pool, cap * sizeof(*set->dicts));
    if (!set->dicts)
        return YB_ENOMEM;
    /* first pass: names and entry counts */
    for (size_t f = 0; f < nroots; f++) {
        for (const struct yb_conf *d = roots[f]->children; d; d = d->next) {
            if (strcmp(d->name, "dict") != 0)
                continue;
            if (d->argc < 1 || d->argc > 2 || !d->has_block)
                return yb_conf_error(d, ld->err, ld->errlen,
                                     "dict takes a name, an optional title and a block");
            struct dict *dict = NULL;
            for (size_t k = 0; k < set->ndicts; k++)
                if (strcmp(set->dicts[k].name, d->argv[0]) == 0)
                    dict = &set->dicts[k];
            if (!dict) {
                dict = &set->dicts[set->ndicts++];
                dict->name = yb_pool_strdup(set->pool, d->argv[0]);
                if (!dict->name)
                    return YB_ENOMEM;
            }
            for (const struct yb_conf *e = d->children; e; e = e->next) {
                if (e->argc > 1 || e->has_block)
                    return yb_conf_error(e, ld->err, ld->errlen,
                                         "a dict entry is CODE \"LABEL\";");
                dict->count++; /* reused below as the fill index */
            }
        }
    }
    for (size_t k = 0; k < set->ndicts; k++) {
        size_t n = set->dicts[k].count;
        set->dicts[k].entries = yb_pool_alloc(set->pool, (n ? n : 1) * sizeof(struct dict_entry));
        if (!set->dicts[k].entries)
            return YB_ENOMEM;
        set->dicts[k].count = 0;
    }
    /* second pass: entries */
    for (size_t f = 0; f < nroots; f++) {
        for (const struct yb_conf *d = roots[f]->children; d; d = d->next) {
            if (strcmp(d->name, "dict") != 0)
                continue;
            struct dict *dict = NULL;
            for (size_t k = 0; k < set->ndicts && !dict; k++)
                if (strcmp(set->dicts[k].name, d->argv[0]) == 0)
                    dict = &set->dicts[k];
            for (const struct yb_conf *e = d->children; e; e = e->next) {
                struct dict_entry *en = &dict->entries[dict->count++];
                en->code = yb_pool_strdup(set->pool, e->name);
                en->label = yb_pool_strdup(set->pool, e->argc ? e->argv[0] : "");
                en->src = e;
                if (!en->code || !en->label)
                    return YB_ENOMEM;
            }
        }
    }
    qsort(set->dicts, set->ndicts, sizeof(*set->dicts), cmp_dict);
    for (size_t k = 0; k < set->ndicts; k++) {
        struct dict *dict = &set->dicts[k];
        qsort(dict->entries, dict->count, sizeof(*dict->entries), cmp_entry);
        for (size_t j = 1; j < dict->count; j++)
            if (strcmp(dict->entries[j - 1].code, dict->entries[j].code) == 0) {
                const struct yb_conf *first = dict->entries[j - 1].src;
                const struct yb_conf *second = dict->entries[j].src;
                if (first->line > second->line && strcmp(first->file, second->file) == 0) {
                    const struct yb_conf *t = first;
                    first = second;
                    second = t;
                }
                return yb_conf_error(second, ld->err, ld->errlen,
                                     "dict %s: code \"%s\" is already defined at %s:%d",
                                     dict->name, second->name, first->file, first->line);
            }
        /* the few codes an enum error quotes back to the HIS */
        struct yb_buf b;
        yb_buf_init(&b, 0);
        int rc = 0;
        for (size_t j = 0; j < dict->count && j < ENUM_SHOWN && !rc; j++)
            rc = yb_buf_printf(&b, "%s%s%s%s", j ? ", " : "", dict->entries[j].code,
                               *dict->entries[j].label ? " " : "", dict->entries[j].label);
        if (!rc && dict->count > ENUM_SHOWN)
            rc = yb_buf_puts(&b, ", ...");
        dict->shown = rc ? NULL : yb_pool_strdup(set->pool, b.data ? b.data : "");
        yb_buf_free(&b);
        if (!dict->shown)
            return YB_ENOMEM;
    }
    return 0;
}

static int load_txn(struct loader *ld, const struct yb_conf *d, struct txn *t)
{
    struct yb_pool *pool = ld->set->pool;
    if (d->argc < 1 || d->argc > 2 || !d->has_block)
        return yb_conf_error(d, ld->err, ld->errlen,
                             "transaction takes an infno, an optional title and a block");
    if (strlen(d->argv[0]) > 16)
        return yb_conf_error(d, ld->err, ld->errlen, "infno \"%s\" is too long", d->argv[0]);
    t->infno = yb_pool_strdup(pool, d->argv[0]);
    t->title = yb_pool_strdup(pool, d->argc > 1 ? d->argv[1] : "");
    t->src = d;
    if (!t->infno || !t->title)
        return YB_ENOMEM;
    for (const struct yb_conf *c = d->children; c; c = c->next) {
        if (strcmp(c->name, "input") == 0 || strcmp(c->name, "output") == 0) {
            struct rule **slot = c->name[0] == 'i' ? &t->input : &t->output;
            if (*slot || c->argc || !c->has_block)
                return yb_conf_error(c, ld->err, ld->errlen,
                                     "%s takes a block, once per transaction", c->name);
            *slot = yb_pool_alloc(pool, sizeof(**slot));
            if (!*slot)
                return YB_ENOMEM;
            (*slot)->name = c->name[0] == 'i' ? "input" : "output";
            (*slot)->name_len = strlen((*slot)->name);
            int rc = build_object(ld, c, *slot);
            if (rc)
                return rc;
        } else if (strcmp(c->name, "insuplc_optional") == 0 && !c->argc && !c->has_block) {
            t->insuplc_optional = 1;
        } else if (strcmp(c->name, "like") == 0 && c->argc == 1 && !c->has_block) {
            t->like = yb_pool_strdup(pool, c->argv[0]);
            if (!t->like)
                return YB_ENOMEM;
        } else {
            return yb_conf_error(c, ld->err, ld->errlen,
                                 "unknown or malformed \"%s\" in a transaction (expected "
                                 "input { }, output { }, like INFNO; or insuplc_optional;)",
                                 c->name);
        }
    }
    if (t->like && (t->input || t->output))
        return yb_conf_error(d, ld->err, ld->errlen,
                             "transaction %s: `like` replaces input and output; use one", t->infno);
    return 0;
}

static const struct txn *find_txn(const struct yb_schema_set *set, const char *infno)
{
    if (!set || !infno)
        return NULL;
    struct txn key = {.infno = infno};
    return bsearch(&key, set->txns, set->ntxns, sizeof(*set->txns), cmp_txn);
}

static int load_all(struct loader *ld, struct yb_conf **roots, size_t nroots)
{
    struct yb_schema_set *set = ld->set;
    const struct yb_conf *envelope_src = NULL;
    size_t ntx = 0;
    for (size_t f = 0; f < nroots; f++) {
        for (const struct yb_conf *d = roots[f]->children; d; d = d->next) {
            if (strcmp(d->name, "transaction") == 0)
                ntx++;
            else if (strcmp(d->name, "envelope") == 0) {
                if (envelope_src)
                    return yb_conf_error(d, ld->err, ld->errlen,
                                         "envelope is already defined at %s:%d",
                                         envelope_src->file, envelope_src->line);
                envelope_src = d;
            } else if (strcmp(d->name, "dict") != 0)
                return yb_conf_error(d, ld->err, ld->errlen,
                                     "unknown directive \"%s\" (expected transaction, dict or "
                                     "envelope)",
                                     d->name);
        }
    }
    int rc = load_dicts(ld, roots, nroots);
    if (rc)
        return rc;
    if (envelope_src) {
        if (envelope_src->argc || !envelope_src->has_block)
            return yb_conf_error(envelope_src, ld->err, ld->errlen, "envelope takes a block");
        set->envelope = yb_pool_alloc(set->pool, sizeof(*set->envelope));
        if (!set->envelope)
            return YB_ENOMEM;
        set->envelope->name = "envelope";
        rc = build_object(ld, envelope_src, set->envelope);
        if (rc)
            return rc;
    }
    set->txns = yb_pool_alloc(set->pool, (ntx ? ntx : 1) * sizeof(*set->txns));
    if (!set->txns)
        return YB_ENOMEM;
    for (size_t f = 0; f < nroots; f++)
        for (const struct yb_conf *d = roots[f]->children; d; d = d->next)
            if (strcmp(d->name, "transaction") == 0) {
                rc = load_txn(ld, d, &set->txns[set->ntxns++]);
                if (rc)
                    return rc;
            }
    qsort(set->txns, set->ntxns, sizeof(*set->txns), cmp_txn);
    for (size_t k = 1; k < set->ntxns; k++)
        if (strcmp(set->txns[k - 1].infno, set->txns[k].infno) == 0) {
            const struct yb_conf *a = set->txns[k - 1].src, *b = set->txns[k].src;
            return yb_conf_error(b, ld->err, ld->errlen,
                                 "transaction %s is already defined at %s:%d",
                                 set->txns[k].infno, a->file, a->line);
        }
    /* `like` copies rules from a transaction that has its own */
    for (size_t k = 0; k < set->ntxns; k++) {
        struct txn *t = &set->txns[k];
        if (!t->like)
            continue;
        const struct txn *base = find_txn(set, t->like);
        if (!base || base->like)
            return yb_conf_error(t->src, ld->err, ld->errlen,
                                 "transaction %s: like %s: %s", t->infno, t->like,
                                 base ? "that one is itself a `like`" : "no such transaction");
        t->input = base->input;
        t->output = base->output;
    }
    for (size_t k = 0; k < set->ntxns; k++)
        set->txns[k].src = NULL; /* the conf trees are about to go */
    return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.schema files of a directory, sorted; or the path itself. Caller
 * frees each name and the array. */
static int list_files(const char *path, char ***out, size_t *count, char *err, size_t errlen)
{
    struct stat st;
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no such file or directory", path);
        return YB_ENOENT;
    }
    if (!S_ISDIR(st.st_mode)) {
        names = malloc(sizeof(*names));
        if (!names || !(names[0] = strdup(path))) {
            free(names);
            return YB_ENOMEM;
        }
        *out = names;
        *count = 1;
        return 0;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        snprintf(err, errlen, "%s: cannot open directory", path);
        return YB_EIO;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".schema"))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = realloc(names, ncap * sizeof(*nn));
            if (!nn) {
                rc = YB_ENOMEM;
                break;
            }
            names = nn;
            cap = ncap;
        }
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            rc = YB_ENOMEM;
            break;
        }
        snprintf(names[n], len, "%s/%s", path, de->d_name);
        n++;
    }
    closedir(dir);
    if (rc) {
        for (size_t k = 0; k < n; k++)
            free(names[k]);
        free(names);
        snprintf(err, errlen, "%s: out of memory", path);
        return rc;
    }
    if (n == 0) {
        free(names);
        snprintf(err, errlen, "%s: no *.schema files", path);
        return YB_ENOENT;
    }
    qsort(names, n, sizeof(*names), cmp_str);
    *out = names;
    *count = n;
    return 0;
}

struct yb_schema_set *yb_schema_load(const char *path, char *err, size_t errlen)
{
    struct yb_schema_set *set = NULL;
    char **files = NULL;
    size_t nfiles = 0;
    struct yb_conf **roots = NULL;
    size_t nroots = 0;
    if (errlen)
        err[0] = '\0';
    if (list_files(path, &files, &nfiles, err, errlen))
        goto fail;
    roots = calloc(nfiles, sizeof(*roots));
    set = calloc(1, sizeof(*set));
    if (!roots || !set || !(set->pool = yb_pool_create(0)))
        goto nomem;
    for (; nroots < nfiles; nroots++) {
        roots[nroots] = yb_conf_parse_file(files[nroots], err, errlen);
        if (!roots[nroots])
            goto fail;
    }
    struct loader ld = {.set = set, .err = err, .errlen = errlen};
    int rc = load_all(&ld, roots, nroots);
    if (rc == YB_ENOMEM)
        goto nomem;
    if (rc)
        goto fail;
    goto out;
nomem:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    yb_schema_free(set);
    set = NULL;
out:
    for (size_t k = 0; k < nroots; k++)
        yb_conf_free(roots[k]);
    free(roots);
    for (size_t k = 0; k < nfiles; k++)
        free(files[k]);
    free(files);
    return set;
}

void yb_schema_free(struct yb_schema_set *set)
{
    if (!set)
        return;
    yb_pool_destroy(set->pool);
    free(set);
}

/* ---- lookups ------------------------------------------------------------- */

int yb_schema_known(const struct yb_schema_set *set, const char *infno)
{
    return find_txn(set, infno) != NULL;
}

const char *yb_schema_title(const struct yb_schema_set *set, const char *infno)
{
    const struct txn *t = find_txn(set, infno);
    return t ? t->title : NULL;
}

int yb_schema_insuplc_optional(const struct yb_schema_set *set, const char *infno)
{
    const struct txn *t = find_txn(set, infno);
    return t ? t->insuplc_optional : 0;
}

size_t yb_schema_count(const struct yb_schema_set *set)
{
    return set ? set->ntxns : 0;
}

const char *yb_schema_infno_at(const struct yb_schema_set *set, size_t i)
{
    return set && i < set->ntxns ? set->txns[i].infno : NULL;
}

/* ---- checking ------------------------------------------------------------ */

struct walk {
    struct yb_diag *diag;
    yb_schema_kind_fn kind_fn;
    void *ctx;
    size_t len; /* of path */
    char path[PATH_MAX_LEN];
};

/* Append ".name" (or "name" at the root) or "[index]" to the path and
 * return the old length, which path_pop cuts back to. This runs for every
 * field of every line, so it copies bytes rather than formatting. A path
 * that would not fit is cut short (only a very deep message has one). */
static size_t path_push(struct walk *w, const struct rule *r, size_t index)
{
    size_t old = w->len, room = sizeof(w->path) - old - 1;
    char tmp[24];
    const char *add = tmp;
    size_t n;
    if (r) {
        if (old && room) {
            w->path[w->len++] = '.';
            room--;
        }
        add = r->name;
        n = r->name_len;
    } else {
        n = (size_t)snprintf(tmp, sizeof(tmp), "[%zu]", index);
    }
    if (n > room)
        n = room;
    memcpy(w->path + w->len, add, n);
    w->len += n;
    w->path[w->len] = '\0';
    return old;
}

static void path_pop(struct walk *w, size_t old)
{
    w->len = old;
    w->path[old] = '\0';
}

static void report(struct walk *w, const char *rule, const struct yb_node *value,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void report(struct walk *w, const char *rule, const struct yb_node *value,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *v = value && yb_node_is_scalar(value) ? value->text : NULL;
    yb_diag_vadd(w->diag, YB_DIAG_ERROR, w->path, rule, v, SOURCE, fmt, ap);
    va_end(ap);
}

static const char *type_word(const struct yb_node *n)
{
    switch (n->type) {
    case YB_NODE_NULL:
        return "null";
    case YB_NODE_BOOL:
        return "a boolean";
    case YB_NODE_NUMBER:
        return "a number";
    case YB_NODE_STRING:
        return "a string";
    case YB_NODE_OBJECT:
        return "an object";
    default:
        return "a list";
    }
}

static int enum_has(const struct dict *dict, const char *s, size_t len)
{
    size_t lo = 0, hi = dict->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *code = dict->entries[mid].code;
        size_t clen = strlen(code);
        int c = memcmp(s, code, len < clen ? len : clen);
        if (c == 0)
            c = len < clen ? -1 : len > clen ? 1 : 0;
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

static int check_bounds(struct walk *w, const struct rule *r, const struct yb_node *n,
                        const struct dec *v)
{
    if ((r->flags & F_MIN) && dec_cmp(v, &r->min) < 0) {
        report(w, "range", n, "is below the minimum %s", r->min_text);
        return 1;
    }
    if ((r->flags & F_MAX) && dec_cmp(v, &r->max) > 0) {
        report(w, "range", n, "is above the maximum %s", r->max_text);
        return 1;
    }
    return 0;
}

/* The rules of one present, non-empty scalar value. 1 if it broke one. */
static int check_value(struct walk *w, const struct rule *r, const struct yb_node *n)
{
    struct dec v;
    switch (r->type) {
    case R_STRING: {
        size_t chars = yb_utf8_length(n->text, n->len);
        if (chars > r->maxlen) {
            report(w, "maxlen", n, "exceeds maximum length %lu (got %zu characters)", r->maxlen,
                   chars);
            return 1;
        }
        break;
    }
    case R_DECIMAL:
        if (dec_parse(n->text, n->len, &v)) {
            report(w, "decimal", n, "is not a decimal number (%u,%u)", r->precision, r->scale);
            return 1;
        }
        if (v.flen > r->scale) {
            report(w, "decimal", n, "must be a decimal with at most %u places (%u,%u)", r->scale,
                   r->precision, r->scale);
            return 1;
        }
        if (v.ilen > r->precision - r->scale) {
            report(w, "decimal", n,
                   "must be a decimal with at most %u digits before the point (%u,%u)",
                   r->precision - r->scale, r->precision, r->scale);
            return 1;
        }
        if (check_bounds(w, r, n, &v))
            return 1;
        break;
    case R_INT: {
        size_t digits = n->len - (n->len && n->text[0] == '-');
        if (dec_parse(n->text, n->len, &v) || memchr(n->text, '.', n->len) ||
            digits > r->maxlen) {
            report(w, "type", n, "must be a whole number of at most %lu digits", r->maxlen);
            return 1;
        }
        if (check_bounds(w, r, n, &v))
            return 1;
        break;
    }
    case R_DATE:
        if (!yb_valid_date(n->text, n->len)) {
            report(w, "date", n, "is not a real date (yyyy-MM-dd)");
            return 1;
        }
        break;
    case R_DATETIME:
        if (!yb_valid_datetime(n->text, n->len)) {
            report(w, "datetime", n, "is not a real date and time (yyyy-MM-dd HH:mm:ss)");
            return 1;
        }
        break;
    case R_ENUM:
        if (!enum_has(r->dict, n->text, n->len)) {
            report(w, "enum", n, "is not one of %s (%s)", r->dict->name, r->dict->shown);
            return 1;
        }
        break;
    default:
        break;
    }
    /* regexec stops at a NUL: "1101\u0000x" would match ^[0-9]{4}$ while
     * the whole value goes on to the platform, so a NUL fails the pattern
     * (found by fuzz/fuzz_schema) */
    if (r->re && (memchr(n->text, '\0', n->len) || regexec(r->re, n->text, 0, NULL, 0) != 0)) {
        report(w, "pattern", n, "does not match the pattern %s", r->pattern);
        return 1;
    }
    return 0;
}

static void check_rule(struct walk *w, const struct rule *r, const struct yb_node *n);

/* A scalar field; n may be NULL (absent). */
static void check_scalar(struct walk *w, const struct rule *r, const struct yb_node *n)
{
    if (!n || n->type == YB_NODE_NULL) {
        if (r->flags & F_REQUIRED)
            report(w, "required", NULL, "is required");
        return;
    }
    if (n->type != YB_NODE_STRING && n->type != YB_NODE_NUMBER) {
        report(w, "type", n, "must be %s, got %s",
               r->type == R_DECIMAL || r->type == R_INT ? "a number or a string" : "a string",
               type_word(n));
        return;
    }
    if (n->len == 0) {
        if ((r->flags & F_REQUIRED) && !(r->flags & F_EMPTY))
            report(w, "required", n, "is required and may not be empty");
        return;
    }
    if (check_value(w, r, n))
        return;
    if (r->kinds && w->kind_fn)
        w->kind_fn(w->ctx, r->kinds, w->path, n);
}

/* Find key among object's members, starting after *cursor: HIS mostly send
 * fields in the order of the specification's tables, which is the order of
 * the schema, so the next member is usually the one wanted. */
static const struct yb_node *find_member(const struct yb_node *object, const struct rule *r,
                                         const struct yb_node **cursor)
{
    const struct yb_node *start = *cursor ? (*cursor)->next : NULL;
    for (const struct yb_node *c = start; c; c = c->next)
        if (c->key_len == r->name_len && memcmp(c->key, r->name, r->name_len) == 0)
            return *cursor = c;
    for (const struct yb_node *c = object->child; c && c != start; c = c->next)
        if (c->key_len == r->name_len && memcmp(c->key, r->name, r->name_len) == 0)
            return *cursor = c;
    return NULL;
}

static void check_fields(struct walk *w, const struct rule *obj, const struct yb_node *n)
{
    const struct yb_node *cursor = NULL;
    for (size_t k = 0; k < obj->nfields; k++) {
        const struct rule *f = &obj->fields[k];
        size_t mark = path_push(w, f, 0);
        check_rule(w, f, find_member(n, f, &cursor));
        path_pop(w, mark);
    }
}

static void check_list(struct walk *w, const struct rule *r, const struct yb_node *n)
{
    if ((r->flags & F_MIN) && n->count < r->list_min) {
        report(w, "list_min", NULL, "has %zu item%s, at least %lu required", n->count,
               n->count == 1 ? "" : "s", r->list_min);
    }
    if ((r->flags & F_MAX) && n->count > r->list_max) {
        report(w, "list_max", NULL, "has %zu items, at most %lu allowed", n->count, r->list_max);
        return; /* do not walk a list we refuse anyway */
    }
    size_t i = 0;
    for (const struct yb_node *item = n->child; item; item = item->next, i++) {
        size_t mark = path_push(w, NULL, i);
        if (r->item->type == R_OBJECT) {
            if (item->type != YB_NODE_OBJECT)
                report(w, "type", item, "must be an object, got %s", type_word(item));
            else
                check_fields(w, r->item, item);
        } else {
            check_scalar(w, r->item, item);
        }
        path_pop(w, mark);
    }
}

static void check_rule(struct walk *w, const struct rule *r, const struct yb_node *n)
{
    if (r->type != R_OBJECT && r->type != R_LIST) {
        check_scalar(w, r, n);
        return;
    }
    /* "" stands for "nothing" in many HIS where an object or list is empty */
    if (!n || n->type == YB_NODE_NULL || (n->type == YB_NODE_STRING && n->len == 0)) {
        if (r->flags & F_REQUIRED)
            report(w, "required", NULL, "is required");
        return;
    }
    int want = r->type == R_OBJECT ? YB_NODE_OBJECT : YB_NODE_ARRAY;
    if ((int)n->type != want) {
        report(w, "type", n, "must be %s, got %s", r->type == R_OBJECT ? "an object" : "a list",
               type_word(n));
        return;
    }
    if (r->type == R_OBJECT)
        check_fields(w, r, n);
    else
        check_list(w, r, n);
}

int yb_schema_check_envelope(const struct yb_schema_set *set, const struct yb_node *envelope,
                             struct yb_diag *diag, yb_schema_kind_fn kind_fn, void *ctx)
{
    if (!set || !set->envelope || !envelope || envelope->type != YB_NODE_OBJECT)
        return 0;
    unsigned before = diag->errors;
    struct walk w = {.diag = diag, .kind_fn = kind_fn, .ctx = ctx};
    check_fields(&w, set->envelope, envelope);
    return (int)(diag->errors - before);
}

int yb_schema_check_input(const struct yb_schema_set *set, const char *infno,
                          const struct yb_node *input, struct yb_diag *diag,
                          yb_schema_kind_fn kind_fn, void *ctx)
{
    const struct txn *t = find_txn(set, infno);
    if (!t)
        return YB_ENOENT;
    unsigned before = diag->errors;
    if (!input || input->type != YB_NODE_OBJECT) {
        yb_diag_add(diag, YB_DIAG_ERROR, "input", "type", NULL, SOURCE, "must be an object, got %s",
                    input ? type_word(input) : "nothing");
        return (int)(diag->errors - before);
    }
    if (t->input) {
        struct walk w = {.diag = diag, .kind_fn = kind_fn, .ctx = ctx};
        check_fields(&w, t->input, input);
    }
    return (int)(diag->errors - before);
}

/* ---- shaping XML --------------------------------------------------------- */

static int shape_object(struct yb_pool *pool, const struct rule *obj, struct yb_node *n);

/* Make n (member r->name of parent) agree with the rule's shape. */
static int shape_member(struct yb_pool *pool, const struct rule *r, struct yb_node *parent,
                        struct yb_node *n)
{
    if (r->type != R_OBJECT && r->type != R_LIST)
        return 0;
    int empty = n->type == YB_NODE_STRING && n->len == 0;
    if (r->type == R_OBJECT) {
        if (empty) {
            struct yb_node *obj = yb_node_new(pool, YB_NODE_OBJECT);
            return obj ? yb_node_put(pool, parent, r->name, obj) : YB_ENOMEM;
        }
        return n->type == YB_NODE_OBJECT ? shape_object(pool, r, n) : 0;
    }
    if (n->type != YB_NODE_ARRAY) {
        struct yb_node *arr = yb_node_new(pool, YB_NODE_ARRAY);
        if (!arr)
            return YB_ENOMEM;
        int rc = yb_node_put(pool, parent, r->name, arr);
        if (rc)
            return rc;
        if (!empty && n->type != YB_NODE_NULL) {
            n->key = NULL;
            n->key_len = 0;
            yb_node_append(arr, n);
        }
        n = arr;
    }
    if (r->item->type == R_OBJECT)
        for (struct yb_node *item = n->child; item; item = item->next)
            if (item->type == YB_NODE_OBJECT) {
                int rc = shape_object(pool, r->item, item);
                if (rc)
                    return rc;
            }
    return 0;
}

static int shape_object(struct yb_pool *pool, const struct rule *obj, struct yb_node *n)
{
    for (size_t k = 0; k < obj->nfields; k++) {
        const struct rule *f = &obj->fields[k];
        struct yb_node *m = yb_node_getn(n, f->name, f->name_len);
        if (m) {
            int rc = shape_member(pool, f, n, m);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int yb_schema_shape(const struct yb_schema_set *set, const char *infno, const char *which,
                    struct yb_pool *pool, struct yb_node *envelope)
{
    if (!envelope || envelope->type != YB_NODE_OBJECT || !which)
        return YB_EINVAL;
    const struct txn *t = find_txn(set, infno);
    const struct rule *rules = !t                             ? NULL
                               : strcmp(which, "input") == 0  ? t->input
                               : strcmp(which, "output") == 0 ? t->output
                                                              : NULL;
    struct yb_node *n = yb_node_get(envelope, which);
    if (!n)
        return 0;
    /* an empty <input/> is an empty object, whatever the transaction */
    if (n->type == YB_NODE_STRING && n->len == 0) {
        struct yb_node *obj = yb_node_new(pool, YB_NODE_OBJECT);
        if (!obj)
            return YB_ENOMEM;
        return yb_node_put(pool, envelope, which, obj);
    }
    if (!rules || n->type != YB_NODE_OBJECT)
        return 0;
    return shape_object(pool, rules, n);
}
