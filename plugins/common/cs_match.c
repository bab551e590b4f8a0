/*
 * cs_match.c - the structural check of a code against its standard's forms,
 * and the reasons a clerk reads when it fails.
 *
 * This is on the request path: every coded field of every message comes
 * through yb_cs_match. It allocates nothing. Forms are a handful of short
 * segments, so a backtracking match over them costs tens of nanoseconds;
 * only a failure pays for composing a reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules-internal.h"

void yb_cs_verdict(struct yb_code_verdict *v, int status, const char *segment, const char *fmt, ...)
{
    v->status = status;
    snprintf(v->segment, sizeof(v->segment), "%s", segment);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

/* The furthest point a failed match reached: the segment that could not be
 * matched there, and where that segment began. */
struct furthest {
    size_t pos;
    int seg;
    size_t seg_offset;
};

struct attempt {
    const struct cs_form *form;
    size_t n_segs; /* match this many of the form's segments (1: the lead only) */
    const char *code;
    size_t len;
    struct yb_cs_span *spans;
    struct furthest far;
};

static int match_segment(struct attempt *at, size_t si, size_t pos);

static void note_failure(struct attempt *at, size_t si, size_t pos)
{
    if (at->far.seg < 0 || pos > at->far.pos) {
        at->far.pos = pos;
        at->far.seg = (int)si;
        at->far.seg_offset = at->spans[si].offset;
    }
}

static int match_atom(struct attempt *at, size_t si, size_t ai, size_t pos)
{
    const struct cs_segment *seg = &at->form->segs[si];
    if (ai == seg->n_atoms) {
        at->spans[si].len = (uint8_t)(pos - at->spans[si].offset);
        return match_segment(at, si + 1, pos);
    }
    const struct cs_atom *a = &seg->atoms[ai];
    size_t k = 0;
    while (k < a->max && pos + k < at->len && cs_atom_accepts(a, (unsigned char)at->code[pos + k]))
        k++;
    if (k < a->min) {
        note_failure(at, si, pos + k);
        return 0;
    }
    for (size_t n = k;; n--) {
        if (match_atom(at, si, ai + 1, pos + n))
            return 1;
        if (n == a->min)
            return 0;
    }
}

static int match_segment(struct attempt *at, size_t si, size_t pos)
{
    if (si == at->n_segs) {
        if (pos == at->len)
            return 1;
        /* characters left over: blame the last segment */
        if (at->far.seg < 0 || pos > at->far.pos) {
            at->far.pos = pos;
            at->far.seg = (int)si - 1;
            at->far.seg_offset = at->spans[si - 1].offset;
        }
        return 0;
    }
    at->spans[si].offset = (uint8_t)pos;
    at->spans[si].present = 1;
    if (match_atom(at, si, 0, pos))
        return 1;
    if (!at->form->segs[si].optional)
        return 0;
    at->spans[si].offset = (uint8_t)pos;
    at->spans[si].len = 0;
    at->spans[si].present = 0;
    return match_segment(at, si + 1, pos);
}

/* Does the form's first segment match the start of the code? */
int cs_form_lead_matches(const struct cs_form *f, const char *code, size_t len)
{
    struct yb_cs_span spans[YB_CS_MAX_SEGMENTS];
    struct attempt at = {
        .form = f, .n_segs = 1, .code = code, .len = len, .spans = spans, .far.seg = -1};
    /* the first segment alone, on a prefix of each length it allows */
    const struct cs_segment *s = &f->segs[0];
    for (size_t n = s->min_len; n <= s->max_len && n <= len; n++) {
        at.len = n;
        if (match_segment(&at, 0, 0))
            return 1;
    }
    return 0;
}

int yb_cs_match_lead(const struct yb_cs_rules *r, const char *kind, const char *code, size_t len)
{
    int k = kind ? cs_rules_kind_index(r, kind) : -1;
    if (kind && k < 0)
        return 0;
    for (size_t i = 0; i < r->n_forms; i++)
        if ((k < 0 || r->forms[i].kind == (size_t)k) &&
            cs_form_lead_matches(&r->forms[i], code, len))
            return 1;
    return 0;
}

/* "23", "7 or 11", "1 to 30", "12, 18 or 23" from a length bitset. */
static void lengths_text(uint64_t lengths, char *buf, size_t cap)
{
    unsigned list[64], n = 0;
    for (unsigned i = 0; i < 64; i++)
        if (lengths >> i & 1)
            list[n++] = i;
    if (n == 0) {
        snprintf(buf, cap, "(no length)");
        return;
    }
    if (n > 3 && list[n - 1] - list[0] == n - 1) {
        snprintf(buf, cap, "%u to %u", list[0], list[n - 1]);
        return;
    }
    size_t used = 0;
    for (unsigned i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%u",
                         i == 0       ? ""
                         : i == n - 1 ? " or "
                                      : ", ",
                         list[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* The code's text for a reason: printable ASCII as is, anything else as ?.
 * A reason must never carry raw bytes a log or an XML answer chokes on. */
static void safe_text(const char *s, size_t len, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    buf[n] = '\0';
}

/* No form of the kind starts like the code. */
static void prefix_reason(const struct yb_cs_rules *r, size_t k, const char *code, size_t len,
                          struct yb_code_verdict *v)
{
    char list[200] = "";
    size_t used = 0;
    for (size_t i = 0; i < r->n_forms; i++) {
        const struct cs_form *f = &r->forms[i];
        if (f->kind != k)
            continue;
        int seen = 0; /* a lead already listed (西药 and its catalogue code both start with X) */
        for (size_t j = 0; j < i && !seen; j++)
            seen = r->forms[j].kind == k &&
                   strcmp(r->forms[j].segs[0].describe, f->segs[0].describe) == 0;
        if (seen)
            continue;
        int w = snprintf(list + used, sizeof(list) - used, "%s%s (%s)", used ? ", " : "",
                         f->segs[0].describe, f->label);
        if (w < 0 || (size_t)w >= sizeof(list) - used)
            break;
        used += (size_t)w;
    }
    char got[16];
    safe_text(code, len < 3 ? len : 3, got, sizeof(got));
    yb_cs_verdict(v, YB_CODE_INVALID, "prefix", "%s code must start with %s, got \"%s\"",
                  r->kinds[k].label, list, got);
}

/* Candidates exist but none allows this length. */
static void length_reason(const struct yb_cs_rules *r, const int *cand, size_t n, size_t len,
                          struct yb_code_verdict *v)
{
    /* the main candidate: the one with the closest allowed length */
    size_t best = 0;
    unsigned best_gap = ~0u;
    for (size_t i = 0; i < n; i++) {
        uint64_t l = r->forms[cand[i]].lengths;
        for (unsigned x = 0; x < 64; x++) {
            if (!(l >> x & 1))
                continue;
            unsigned gap = x > len ? x - (unsigned)len : (unsigned)len - x;
            if (gap < best_gap) {
                best_gap = gap;
                best = i;
            }
        }
    }
    const struct cs_form *f = &r->forms[cand[best]];
    char want[64], others[128] = "";
    lengths_text(f->lengths, want, sizeof(want));
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cs_form *o = &r->forms[cand[i]];
        if (i == best || strcmp(o->label, f->label) == 0)
            continue;
        char l[64];
        lengths_text(o->lengths, l, sizeof(l));
        int w = snprintf(others + used, sizeof(others) - used, "%s%s code has %s",
                         used ? "; " : " (a ", o->label, l);
        if (w < 0 || (size_t)w >= sizeof(others) - used)
            break;
        used += (size_t)w;
    }
    if (used && used + 1 < sizeof(others))
        others[used++] = ')', others[used] = '\0';
    yb_cs_verdict(v, YB_CODE_INVALID, "length", "%s code must be %s characters, got %zu%s",
                  f->label, want, len, others);
}

int yb_cs_match(const struct yb_cs_rules *r, const char *kind, const char *code, size_t len,
                struct yb_cs_shape *shape, struct yb_code_verdict *v)
{
    int k = cs_rules_kind_index(r, kind);
    if (k < 0) {
        yb_cs_verdict(v, YB_CODE_INVALID, "kind", "%s does not define code kind %s", r->standard,
                      kind);
        return 0;
    }
    if (len == 0 || len >= 64) {
        yb_cs_verdict(v, YB_CODE_INVALID, "length", "%s code of %zu characters is out of range",
                      r->kinds[k].label, len);
        return 0;
    }
    int cand[64];
    size_t n = 0;
    for (size_t i = 0; i < r->n_forms && n < 64; i++)
        if (r->forms[i].kind == (size_t)k && cs_form_lead_matches(&r->forms[i], code, len))
            cand[n++] = (int)i;
    if (n == 0) {
        prefix_reason(r, (size_t)k, code, len, v);
        return 0;
    }
    /* the failure to report: from the candidate that got furthest */
    struct furthest worst = {.seg = -1};
    int worst_form = -1, fitting = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cs_form *f = &r->forms[cand[i]];
        if (!(f->lengths >> len & 1))
            continue;
        fitting++;
        struct attempt at = {.form = f,
                             .n_segs = f->n_segs,
                             .code = code,
                             .len = len,
                             .spans = shape->spans,
                             .far.seg = -1};
        if (match_segment(&at, 0, 0)) {
            shape->form = cand[i];
            return 1;
        }
        if (worst_form < 0 || at.far.pos > worst.pos) {
            worst = at.far;
            worst_form = cand[i];
        }
    }
    shape->form = -1;
    if (!fitting || worst.seg < 0) {
        length_reason(r, cand, n, len, v);
        return 0;
    }
    const struct cs_form *f = &r->forms[worst_form];
    const struct cs_segment *s = &f->segs[worst.seg];
    size_t take = s->max_len;
    if (worst.seg_offset + take > len)
        take = len - worst.seg_offset;
    char got[80];
    safe_text(code + worst.seg_offset, take, got, sizeof(got));
    yb_cs_verdict(v, YB_CODE_INVALID, s->name,
                  "%s code: %s (%s) at position %zu must be %s, got \"%s\"", f->label, s->name,
                  s->meaning, worst.seg_offset + 1, s->describe, got);
    return 0;
}

size_t yb_cs_key(const struct yb_cs_rules *r, const struct yb_cs_shape *shape, const char *code,
                 size_t len, char *buf, size_t cap)
{
    size_t n = 0;
    if (shape->form < 0 || cap == 0)
        return 0;
    const struct cs_form *f = &r->forms[shape->form];
    for (size_t i = 0; i < f->n_segs; i++) {
        const struct yb_cs_span *sp = &shape->spans[i];
        if (!sp->present || !f->segs[i].in_key || (size_t)sp->offset + sp->len > len)
            continue;
        if (n + sp->len + 1 > cap)
            break;
        memcpy(buf + n, code + sp->offset, sp->len);
        n += sp->len;
    }
    buf[n] = '\0';
    return n;
}

const char *yb_cs_classify(const struct yb_cs_rules *r, const char *code, size_t len,
                           struct yb_code_verdict *v)
{
    struct yb_code_verdict first = {.status = -1};
    for (size_t k = 0; k < r->n_kinds; k++) {
        struct yb_cs_shape shape;
        struct yb_code_verdict one;
        if (yb_cs_match(r, r->kinds[k].name, code, len, &shape, &one))
            return r->kinds[k].name;
        if (first.status < 0 && yb_cs_match_lead(r, r->kinds[k].name, code, len))
            first = one;
    }
    if (first.status >= 0) {
        *v = first;
    } else {
        char got[16];
        safe_text(code, len < 3 ? len : 3, got, sizeof(got));
        yb_cs_verdict(v, YB_CODE_INVALID, "prefix", "no form of %s starts like \"%s\"", r->standard,
                      got);
    }
    return NULL;
}
