/*
 * cs_rules.c - reading a standard's rules file (codesets/<standard>/rules.conf)
 * into the forms and segments that cs_match.c checks codes against.
 *
 * The format is described in codeset.h. Everything here runs once per load
 * (gateway start, reload, import), never per request, so it favours clear
 * errors over speed: every refusal names file:line and what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules-internal.h"

#define MAX_LINE 4096
#define MAX_TOKENS 16
#define MAX_KINDS 16
#define MAX_FORMS 64
#define MAX_VALUES 100000

struct parser {
    const char *path;
    const char *data_dir;
    int line;
    char *err;
    size_t errcap;
};

static int fail(struct parser *ps, const char *fmt, ...) YB_PRINTF(2, 3);
static int fail(struct parser *ps, const char *fmt, ...)
{
    int n = snprintf(ps->err, ps->errcap, "%s:%d: ", ps->path, ps->line);
    if (n < 0 || (size_t)n >= ps->errcap)
        return YB_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return YB_EINVAL;
}

int yb_cs_tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p || *p == '#')
            return n;
        if (n == max)
            return -2;
        if (*p == '"') {
            char *out = ++p;
            tok[n++] = out;
            while (*p && *p != '"') {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                *out++ = *p++;
            }
            if (*p != '"')
                return -1;
            p++;
            *out = '\0';
            if (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                return -1; /* "text"more: a quote must end a token */
            if (*p)
                p++;
        } else {
            tok[n++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
}

static void set_add(struct cs_atom *a, unsigned char c)
{
    a->set[c >> 5] |= 1u << (c & 31);
}

static void set_range(struct cs_atom *a, unsigned char lo, unsigned char hi)
{
    for (unsigned c = lo; c <= hi; c++)
        set_add(a, (unsigned char)c);
}

static int set_is(const struct cs_atom *a, const char *members)
{
    struct cs_atom b = {.type = CS_ATOM_SET};
    for (const char *m = members; *m; m += 2)
        set_range(&b, (unsigned char)m[0], (unsigned char)m[1]);
    return memcmp(a->set, b.set, sizeof(b.set)) == 0;
}

/* Parse a quantifier at *pp into min/max (default 1,1). */
static int quantifier(struct parser *ps, const char **pp, struct cs_atom *a)
{
    const char *p = *pp;
    a->min = a->max = 1;
    if (*p == '?') {
        a->min = 0;
        *pp = p + 1;
        return 0;
    }
    if (*p != '{')
        return 0;
    char *end;
    errno = 0;
    unsigned long lo = strtoul(p + 1, &end, 10), hi = lo;
    if (end == p + 1)
        return fail(ps, "a {n} or {n,m} quantifier needs a number");
    if (*end == ',') {
        const char *q = end + 1;
        hi = strtoul(q, &end, 10);
        if (end == q)
            return fail(ps, "{n,m}: m is missing");
    }
    if (*end != '}')
        return fail(ps, "a quantifier ends with }");
    if (lo > hi || hi == 0 || hi > YB_CS_MAX_CODE)
        return fail(ps, "quantifier {%lu,%lu} must have 0 <= n <= m, 1 <= m <= %d", lo, hi,
                    YB_CS_MAX_CODE);
    a->min = (uint8_t)lo;
    a->max = (uint8_t)hi;
    *pp = end + 1;
    return 0;
}

static int printable(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* Compile PATTERN into atoms (see codeset.h for the subset). */
static int compile(struct parser *ps, struct cs_segment *seg)
{
    size_t cap = strlen(seg->pattern) + 1;
    seg->atoms = calloc(cap, sizeof(*seg->atoms));
    if (!seg->atoms)
        return YB_ENOMEM;
    const char *p = seg->pattern;
    while (*p) {
        struct cs_atom *a = &seg->atoms[seg->n_atoms];
        if (*p == '\\') {
            p++;
            if (*p == 'd') {
                a->type = CS_ATOM_SET;
                set_range(a, '0', '9');
            } else if (printable((unsigned char)*p)) {
                a->type = CS_ATOM_LITERAL;
                a->literal = (unsigned char)*p;
            } else {
                return fail(ps, "pattern %s: \\ must be followed by d or a printable character",
                            seg->pattern);
            }
            p++;
        } else if (*p == '[') {
            a->type = CS_ATOM_SET;
            p++;
            if (*p == '^')
                return fail(ps, "pattern %s: negated sets are not supported", seg->pattern);
            while (*p && *p != ']') {
                unsigned char lo = (unsigned char)*p;
                if (lo == '\\' && p[1] == 'd') {
                    set_range(a, '0', '9');
                    p += 2;
                    continue;
                }
                if (lo == '\\' && p[1])
                    lo = (unsigned char)*++p;
                if (!printable(lo))
                    return fail(ps, "pattern %s: sets hold printable ASCII only", seg->pattern);
                if (p[1] == '-' && p[2] && p[2] != ']') {
                    unsigned char hi = (unsigned char)p[2];
                    if (hi < lo)
                        return fail(ps, "pattern %s: range %c-%c is backwards", seg->pattern, lo,
                                    hi);
                    set_range(a, lo, hi);
                    p += 3;
                } else {
                    set_add(a, lo);
                    p++;
                }
            }
            if (*p != ']')
                return fail(ps, "pattern %s: [ without ]", seg->pattern);
            p++;
        } else if (*p == '.') {
            a->type = CS_ATOM_SET;
            set_range(a, 0x21, 0x7e);
            p++;
        } else if (strchr("{}?*+()|^$]", *p)) {
            return fail(ps, "pattern %s: '%c' is not supported here (escape a literal with \\)",
                        seg->pattern, *p);
        } else if (printable((unsigned char)*p)) {
            a->type = CS_ATOM_LITERAL;
            a->literal = (unsigned char)*p++;
        } else {
            return fail(ps, "pattern %s: codes are printable ASCII", seg->pattern);
        }
        int rc = quantifier(ps, &p, a);
        if (rc)
            return rc;
        seg->min_len += a->min;
        seg->max_len += a->max;
        seg->n_atoms++;
    }
    if (seg->n_atoms == 0 || seg->max_len == 0)
        return fail(ps, "segment %s has an empty pattern", seg->name);
    if (seg->max_len > YB_CS_MAX_CODE)
        return fail(ps, "segment %s may be longer than %d characters", seg->name, YB_CS_MAX_CODE);
    return 0;
}

/* Human words for one atom: "X", "2 digits", "a letter or digit". */
static void describe_atom(const struct cs_atom *a, char *buf, size_t cap)
{
    char count[32];
    int plural = a->max > 1;
    if (a->min == a->max)
        snprintf(count, sizeof(count), a->min == 1 ? "" : "%u ", a->min);
    else if (a->min == 0 && a->max == 1)
        snprintf(count, sizeof(count), "an optional ");
    else
        snprintf(count, sizeof(count), "%u to %u ", a->min, a->max);
    const char *art = count[0] ? "" : "a ";
    if (a->type == CS_ATOM_LITERAL) {
        if (a->min == 1 && a->max == 1)
            snprintf(buf, cap, "\"%c\"", a->literal);
        else
            snprintf(buf, cap, "%s\"%c\"", count, a->literal);
        return;
    }
    const char *what = NULL;
    if (set_is(a, "09"))
        what = plural ? "digits" : "digit";
    else if (set_is(a, "AZ"))
        what = plural ? "capital letters" : "capital letter";
    else if (set_is(a, "AZ09"))
        what = plural ? "capital letters or digits" : "capital letter or digit";
    else if (set_is(a, "azAZ09"))
        what = plural ? "letters or digits" : "letter or digit";
    else if (set_is(a, "!~"))
        what = plural ? "characters" : "character";
    if (what) {
        snprintf(buf, cap, "%s%s%s", art, count, what);
        return;
    }
    /* list the members, collapsing runs */
    char members[128];
    size_t n = 0;
    for (unsigned c = 0x21; c < 0x7f && n + 4 < sizeof(members);) {
        if (!cs_atom_accepts(a, (unsigned char)c)) {
            c++;
            continue;
        }
        unsigned end = c;
        while (end + 1 < 0x7f && cs_atom_accepts(a, (unsigned char)(end + 1)))
            end++;
        if (end >= c + 2) {
            members[n++] = (char)c;
            members[n++] = '-';
            members[n++] = (char)end;
        } else {
            for (unsigned k = c; k <= end; k++)
                members[n++] = (char)k;
        }
        c = end + 1;
    }
    members[n] = '\0';
    snprintf(buf, cap, "%sone of [%s]", count[0] ? count : "", members);
}

static int describe_segment(struct cs_segment *seg)
{
    char buf[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < seg->n_atoms; i++) {
        char one[256];
        const struct cs_atom *a = &seg->atoms[i];
        if (a->type == CS_ATOM_LITERAL && a->min == 1 && a->max == 1) {
            /* a run of single literals reads as one word: "HY", not "H", "Y" */
            size_t n = 0;
            one[n++] = '"';
            while (i < seg->n_atoms && seg->atoms[i].type == CS_ATOM_LITERAL &&
                   seg->atoms[i].min == 1 && seg->atoms[i].max == 1 && n + 2 < sizeof(one))
                one[n++] = (char)seg->atoms[i++].literal;
            i--;
            one[n++] = '"';
            one[n] = '\0';
        } else {
            describe_atom(a, one, sizeof(one));
        }
        int n = snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : "", one);
        if (n < 0 || (size_t)n >= sizeof(buf) - used)
            break;
        used += (size_t)n;
    }
    seg->describe = strdup(buf);
    return seg->describe ? 0 : YB_ENOMEM;
}

static int value_cmp(const void *a, const void *b)
{
    return strcmp(((const struct cs_value *)a)->value, ((const struct cs_value *)b)->value);
}

/* A values file: header "value<TAB>meaning", then one value per line. */
static int load_values(struct parser *ps, struct cs_segment *seg)
{
    char path[4096];
    int n = seg->values_path[0] == '/' || !ps->data_dir
                ? snprintf(path, sizeof(path), "%s", seg->values_path)
                : snprintf(path, sizeof(path), "%s/%s", ps->data_dir, seg->values_path);
    if (n < 0 || (size_t)n >= sizeof(path))
        return fail(ps, "segment %s: the values path is too long", seg->name);
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(ps, "segment %s: cannot open values file %s", seg->name, path);
    char line[MAX_LINE];
    int lineno = 0, header = 0, rc = 0;
    size_t cap = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (tab)
            *tab = '\0';
        if (!header) {
            header = 1;
            if (strcmp(line, "value") != 0) {
                rc = fail(ps, "%s:%d: the header must start with \"value\"", path, lineno);
                break;
            }
            continue;
        }
        if (seg->n_values >= MAX_VALUES) {
            rc = fail(ps, "%s: more than %d values", path, MAX_VALUES);
            break;
        }
        if (seg->n_values == cap) {
            cap = cap ? cap * 2 : 64;
            struct cs_value *v = realloc(seg->values, cap * sizeof(*v));
            if (!v) {
                rc = YB_ENOMEM;
                break;
            }
            seg->values = v;
        }
        struct cs_value *v = &seg->values[seg->n_values];
        v->value = strdup(line);
        v->meaning = strdup(tab ? tab + 1 : "");
        if (!v->value || !v->meaning) {
            free(v->value);
            free(v->meaning);
            rc = YB_ENOMEM;
            break;
        }
        seg->n_values++;
    }
    fclose(f);
    if (!rc && !header)
        rc = fail(ps, "%s: no header line", path);
    if (!rc && seg->n_values)
        qsort(seg->values, seg->n_values, sizeof(*seg->values), value_cmp);
    return rc;
}

/* Possible lengths of a form: a bitset, extended segment by segment. */
static uint64_t form_lengths(const struct cs_form *f)
{
    uint64_t reach = 1; /* length 0 */
    for (size_t i = 0; i < f->n_segs; i++) {
        const struct cs_segment *s = &f->segs[i];
        uint64_t next = s->optional ? reach : 0;
        for (unsigned n = s->min_len; n <= s->max_len && n < 64; n++)
            next |= reach << n;
        reach = next;
    }
    return reach;
}

static char *dup_token(const char *s)
{
    return strdup(s);
}

static int parse_seg(struct parser *ps, struct yb_cs_rules *r, char **tok, int n)
{
    if (r->n_forms == 0)
        return fail(ps, "seg before any form");
    struct cs_form *f = &r->forms[r->n_forms - 1];
    if (n < 4)
        return fail(ps, "seg takes NAME PATTERN MEANING [check=NAME] [values=PATH] [key=no]");
    if (f->n_segs == YB_CS_MAX_SEGMENTS)
        return fail(ps, "form %s has more than %d segments", f->name, YB_CS_MAX_SEGMENTS);
    struct cs_segment *seg = &f->segs[f->n_segs++];
    size_t nlen = strlen(tok[1]);
    seg->optional = nlen > 1 && tok[1][nlen - 1] == '?';
    if (seg->optional && f->n_segs == 1)
        return fail(ps, "the first segment of a form cannot be optional (it tells forms apart)");
    seg->name = strndup(tok[1], seg->optional ? nlen - 1 : nlen);
    seg->pattern = dup_token(tok[2]);
    seg->meaning = dup_token(tok[3]);
    seg->in_key = 1;
    if (!seg->name || !seg->pattern || !seg->meaning)
        return YB_ENOMEM;
    for (int i = 4; i < n; i++) {
        if (strncmp(tok[i], "check=", 6) == 0 && tok[i][6]) {
            if (!(seg->check = dup_token(tok[i] + 6)))
                return YB_ENOMEM;
        } else if (strncmp(tok[i], "values=", 7) == 0 && tok[i][7]) {
            if (!(seg->values_path = dup_token(tok[i] + 7)))
                return YB_ENOMEM;
        } else if (strcmp(tok[i], "key=no") == 0) {
            seg->in_key = 0;
        } else {
            return fail(ps, "seg %s: unknown option \"%s\" (check=NAME, values=PATH, key=no)",
                        seg->name, tok[i]);
        }
    }
    int rc = compile(ps, seg);
    if (!rc)
        rc = describe_segment(seg);
    if (!rc && seg->values_path)
        rc = load_values(ps, seg);
    if (!rc && seg->check && strcmp(seg->check, "values") == 0 && !seg->values_path)
        rc = fail(ps, "seg %s: check=values needs a values= file", seg->name);
    return rc;
}

static int parse_line(struct parser *ps, struct yb_cs_rules *r, char **tok, int n)
{
    const char *d = tok[0];
    if (strcmp(d, "standard") == 0) {
        if (n != 2)
            return fail(ps, "standard takes one name");
        free(r->standard);
        return (r->standard = dup_token(tok[1])) ? 0 : YB_ENOMEM;
    }
    if (strcmp(d, "kind") == 0) {
        if (n != 3)
            return fail(ps, "kind takes NAME LABEL");
        if (r->n_kinds == MAX_KINDS)
            return fail(ps, "more than %d kinds", MAX_KINDS);
        if (cs_rules_kind_index(r, tok[1]) >= 0)
            return fail(ps, "kind %s is declared twice", tok[1]);
        if (strspn(tok[1], "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(tok[1]))
            return fail(ps, "kind name %s must be lower-case letters, digits and _", tok[1]);
        struct cs_kind *k = &r->kinds[r->n_kinds++];
        k->name = dup_token(tok[1]);
        k->label = dup_token(tok[2]);
        return k->name && k->label ? 0 : YB_ENOMEM;
    }
    if (strcmp(d, "form") == 0) {
        if (r->n_kinds == 0)
            return fail(ps, "form before any kind");
        if (n < 4 || n > 5)
            return fail(ps, "form takes NAME LABEL verified|unverified [warn]");
        if (r->n_forms == MAX_FORMS)
            return fail(ps, "more than %d forms", MAX_FORMS);
        struct cs_form *f = &r->forms[r->n_forms++];
        f->kind = r->n_kinds - 1;
        if (strcmp(tok[3], "verified") == 0)
            f->verified = 1;
        else if (strcmp(tok[3], "unverified") != 0)
            return fail(ps, "form %s: say verified or unverified, not \"%s\"", tok[1], tok[3]);
        if (n == 5) {
            if (strcmp(tok[4], "warn") != 0)
                return fail(ps, "form %s: the last word may only be warn", tok[1]);
            f->warn = 1;
        }
        f->name = dup_token(tok[1]);
        f->label = dup_token(tok[2]);
        return f->name && f->label ? 0 : YB_ENOMEM;
    }
    if (strcmp(d, "note") == 0) {
        if (r->n_forms == 0 || n != 2)
            return fail(ps, "note takes one quoted text and follows a form");
        struct cs_form *f = &r->forms[r->n_forms - 1];
        free(f->note);
        return (f->note = dup_token(tok[1])) ? 0 : YB_ENOMEM;
    }
    if (strcmp(d, "seg") == 0)
        return parse_seg(ps, r, tok, n);
    return fail(ps, "unknown directive \"%s\" (standard, kind, form, note, seg)", d);
}

/* Every form needs segments, and a warn form a note to show. */
static int finish(struct parser *ps, struct yb_cs_rules *r)
{
    if (!r->standard)
        return fail(ps, "no standard line");
    for (size_t i = 0; i < r->n_forms; i++) {
        struct cs_form *f = &r->forms[i];
        if (f->n_segs == 0)
            return fail(ps, "form %s has no segments", f->name);
        if (f->warn && !f->note)
            return fail(ps, "form %s is accepted with a warning but has no note to show", f->name);
        f->lengths = form_lengths(f);
    }
    for (size_t k = 0; k < r->n_kinds; k++) {
        size_t forms = 0;
        for (size_t i = 0; i < r->n_forms; i++)
            forms += r->forms[i].kind == k;
        if (!forms)
            return fail(ps, "kind %s has no forms", r->kinds[k].name);
    }
    return 0;
}

struct yb_cs_rules *yb_cs_rules_load(const char *path, const char *data_dir, char *err,
                                     size_t errcap)
{
    char dir[4096];
    if (!data_dir) {
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        data_dir = dir;
    }
    struct parser ps = {.path = path, .data_dir = data_dir, .err = err, .errcap = errcap};
    struct yb_cs_rules *r = calloc(1, sizeof(*r));
    FILE *f = fopen(path, "r");
    int rc = 0;
    if (!r || !f) {
        snprintf(err, errcap, "%s: %s", path, r ? strerror(errno) : "out of memory");
        rc = YB_EIO;
        goto out;
    }
    r->kinds = calloc(MAX_KINDS, sizeof(*r->kinds));
    r->forms = calloc(MAX_FORMS, sizeof(*r->forms));
    if (!r->kinds || !r->forms) {
        rc = fail(&ps, "out of memory");
        goto out;
    }
    char line[MAX_LINE];
    while (fgets(line, sizeof(line), f)) {
        ps.line++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = fail(&ps, "line longer than %d bytes", MAX_LINE - 2);
            goto out;
        }
        char *tok[MAX_TOKENS];
        int n = yb_cs_tokenize(line, tok, MAX_TOKENS);
        if (n == -1) {
            rc = fail(&ps, "a quoted text is not closed, or a word follows it without a blank");
            goto out;
        }
        if (n < 0) {
            rc = fail(&ps, "more than %d words", MAX_TOKENS);
            goto out;
        }
        if (n > 0 && (rc = parse_line(&ps, r, tok, n)))
            goto out;
    }
    rc = finish(&ps, r);
out:
    if (f)
        fclose(f);
    if (rc) {
        if (rc == YB_ENOMEM && ps.line)
            fail(&ps, "out of memory");
        yb_cs_rules_free(r);
        return NULL;
    }
    return r;
}

static void free_segment(struct cs_segment *s)
{
    free(s->name);
    free(s->pattern);
    free(s->meaning);
    free(s->check);
    free(s->values_path);
    free(s->describe);
    free(s->atoms);
    for (size_t i = 0; i < s->n_values; i++) {
        free(s->values[i].value);
        free(s->values[i].meaning);
    }
    free(s->values);
}

void yb_cs_rules_free(struct yb_cs_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->forms && i < r->n_forms; i++) {
        struct cs_form *f = &r->forms[i];
        for (size_t s = 0; s < f->n_segs; s++)
            free_segment(&f->segs[s]);
        free(f->name);
        free(f->label);
        free(f->note);
    }
    for (size_t i = 0; r->kinds && i < r->n_kinds; i++) {
        free(r->kinds[i].name);
        free(r->kinds[i].label);
    }
    free(r->forms);
    free(r->kinds);
    free(r->standard);
    free(r);
}

int cs_rules_kind_index(const struct yb_cs_rules *r, const char *kind)
{
    for (size_t i = 0; i < r->n_kinds; i++)
        if (strcmp(r->kinds[i].name, kind) == 0)
            return (int)i;
    return -1;
}

const char *yb_cs_rules_standard(const struct yb_cs_rules *r)
{
    return r->standard;
}

size_t yb_cs_rules_kind_count(const struct yb_cs_rules *r)
{
    return r->n_kinds;
}

const char *yb_cs_rules_kind(const struct yb_cs_rules *r, size_t i)
{
    return i < r->n_kinds ? r->kinds[i].name : NULL;
}

const char *yb_cs_rules_kind_label(const struct yb_cs_rules *r, size_t i)
{
    return i < r->n_kinds ? r->kinds[i].label : NULL;
}

size_t yb_cs_rules_form_count(const struct yb_cs_rules *r)
{
    return r->n_forms;
}

void yb_cs_rules_form(const struct yb_cs_rules *r, size_t form, struct yb_cs_form_info *out)
{
    const struct cs_form *f = &r->forms[form];
    *out = (struct yb_cs_form_info){.kind = r->kinds[f->kind].name,
                                    .name = f->name,
                                    .label = f->label,
                                    .note = f->note,
                                    .verified = f->verified,
                                    .warn = f->warn,
                                    .n_segments = f->n_segs};
}

void yb_cs_rules_segment(const struct yb_cs_rules *r, size_t form, size_t seg,
                         struct yb_cs_segment_info *out)
{
    const struct cs_segment *s = &r->forms[form].segs[seg];
    *out = (struct yb_cs_segment_info){.name = s->name,
                                       .pattern = s->pattern,
                                       .meaning = s->meaning,
                                       .check = s->check,
                                       .optional = s->optional,
                                       .in_key = s->in_key};
}

const char *yb_cs_rules_value_meaning(const struct yb_cs_rules *r, size_t form, size_t seg,
                                      const char *value, size_t len)
{
    const struct cs_segment *s = &r->forms[form].segs[seg];
    char key[YB_CS_MAX_CODE + 1];
    if (!s->n_values || len > YB_CS_MAX_CODE)
        return NULL;
    memcpy(key, value, len);
    key[len] = '\0';
    struct cs_value probe = {.value = key};
    const struct cs_value *v = bsearch(&probe, s->values, s->n_values, sizeof(probe), value_cmp);
    return v ? v->meaning : NULL;
}
