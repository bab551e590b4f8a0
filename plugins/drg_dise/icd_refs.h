/*
 * icd_refs.h - checking the ICD references of a list entry, shared by the
 * two list plugins whose entries pair a list code with ICD codes:
 * drg_dise (按病种结算病种) and daysurg (日间手术病种).
 *
 * A table entry's refs are the 医保版 codes it covers, blank-separated (any
 * byte that cannot be part of a code, such as , ; | or a Chinese 、, also
 * separates). A reference is judged by the diag plugin's kinds: one starting
 * with a letter is an ICD-10 医保版 diagnosis (icd10yb), one starting with a
 * digit an ICD-9-CM-3 医保版 procedure (icd9yb).
 *
 * Why at validate time and not at setup: plugins are initialised in the
 * configured order, so at setup the diag plugin's kinds may not exist yet.
 * Nothing is cached (the state stays read-only for the workers); a list has
 * few entries and an entry few references, so judging them per code is cheap.
 * When the diag plugin is not loaded the references cannot be judged and are
 * let through; the list code itself is still checked against its table.
 */
#ifndef YBGW_ICD_REFS_H
#define YBGW_ICD_REFS_H

#include <stdio.h>
#include <string.h>

#include "codeset.h"

/* Can byte C be part of an ICD 医保版 code? */
static inline int icd_refs_code_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
           c == '+' || c == '*';
}

/* The kind a reference belongs to, from its first character. */
static inline const char *icd_refs_kind(const char *ref)
{
    if (ref[0] >= 'A' && ref[0] <= 'Z')
        return "icd10yb";
    if (ref[0] >= '0' && ref[0] <= '9')
        return "icd9yb";
    return NULL;
}

/* Call FN for each reference in REFS; stops early when FN returns non-zero
 * and returns that value. */
static inline int icd_refs_each(const char *refs, int (*fn)(void *arg, const char *ref, size_t len),
                                void *arg)
{
    const char *p = refs;
    while (p && *p) {
        while (*p && !icd_refs_code_byte((unsigned char)*p))
            p++;
        size_t n = 0;
        while (p[n] && icd_refs_code_byte((unsigned char)p[n]))
            n++;
        if (n) {
            int rc = fn(arg, p, n);
            if (rc)
                return rc;
        }
        p += n;
    }
    return 0;
}

struct icd_refs_ctx {
    const struct yb_host *host;
    const char *label; /* "按病种结算病种" */
    const char *code;
    size_t code_len;
    struct yb_code_verdict *v;
    /* explain */
    char *buf;
    size_t cap, used;
};

/* Judge one reference: 0 if it is valid or cannot be judged (the diag
 * plugin is not loaded), else a verdict in ctx->v and 1. */
static inline int icd_refs_judge_one(void *arg, const char *ref, size_t len)
{
    struct icd_refs_ctx *c = arg;
    char r[YB_CS_MAX_CODE + 1];
    if (len > YB_CS_MAX_CODE)
        len = YB_CS_MAX_CODE;
    memcpy(r, ref, len);
    r[len] = '\0';
    const char *kind = icd_refs_kind(r);
    if (!kind) {
        yb_cs_verdict(c->v, YB_CODE_INVALID, "refs",
                      "%s %.*s refers to \"%s\", which is neither an ICD-10 医保版 diagnosis nor "
                      "an ICD-9-CM-3 医保版 procedure code; correct the list and import it again",
                      c->label, (int)c->code_len, c->code, r);
        return 1;
    }
    const struct yb_code_kind *k = c->host->find_kind(c->host, kind);
    if (!k)
        return 0;
    struct yb_code_verdict rv;
    memset(&rv, 0, sizeof(rv));
    if (k->validate(k->state, r, len, &rv) < 0 || rv.status != YB_CODE_INVALID)
        return 0;
    /* the nested reason last: a long one is cut at its tail, not ours */
    yb_cs_verdict(c->v, YB_CODE_INVALID, "refs",
                  "%s %.*s refers to %s %s, which is not valid; correct the list and import it "
                  "again (%s)",
                  c->label, (int)c->code_len, c->code,
                  strcmp(kind, "icd10yb") == 0 ? "diagnosis" : "procedure", r, rv.reason);
    return 1;
}

/* The named check "refs": the list entry of CODE (as KIND) must refer only
 * to valid ICD 医保版 codes. A code without an entry passes here; the
 * table's membership rule judges it afterwards. */
static inline int icd_refs_check(const struct yb_cs_plugin *p, const char *kind, const char *label,
                                 const char *code, size_t code_len, struct yb_code_verdict *v)
{
    const struct yb_cs_entry *e = yb_cs_plugin_lookup(p, kind, code, code_len);
    if (!e || !e->refs[0])
        return 0;
    struct icd_refs_ctx c = {
        .host = yb_cs_plugin_host(p), .label = label, .code = code, .code_len = code_len, .v = v};
    return icd_refs_each(e->refs, icd_refs_judge_one, &c);
}

static inline int icd_refs_explain_one(void *arg, const char *ref, size_t len)
{
    struct icd_refs_ctx *c = arg;
    char r[YB_CS_MAX_CODE + 1];
    if (len > YB_CS_MAX_CODE)
        len = YB_CS_MAX_CODE;
    memcpy(r, ref, len);
    r[len] = '\0';
    const char *kind = icd_refs_kind(r);
    const struct yb_code_kind *k = kind ? c->host->find_kind(c->host, kind) : NULL;
    struct yb_code_verdict rv;
    memset(&rv, 0, sizeof(rv));
    const char *what = !kind ? "not an ICD 医保版 code"
                       : !k  ? "not checked (no diag plugin loaded)"
                       : k->validate(k->state, r, len, &rv) < 0 ? "not checked (internal error)"
                       : rv.status == YB_CODE_VALID             ? "valid"
                       : rv.status == YB_CODE_WARN              ? "accepted with a warning"
                                                                : "INVALID";
    if (c->used < c->cap) {
        int n = snprintf(c->buf + c->used, c->cap - c->used, "ref: %s = %s, %s%s%s\n", r,
                         kind ? kind : "?", what, rv.reason[0] ? ": " : "", rv.reason);
        if (n > 0)
            c->used = (size_t)n >= c->cap - c->used ? c->cap - 1 : c->used + (size_t)n;
    }
    return 0;
}

/* explain_more: one line per reference of ENTRY with its verdict. */
static inline int icd_refs_explain(const struct yb_cs_plugin *p, const struct yb_cs_entry *entry,
                                   char *buf, size_t cap)
{
    if (!entry || cap == 0)
        return 0;
    if (!entry->refs[0])
        return snprintf(buf, cap, "refs: none in the table entry\n");
    struct icd_refs_ctx c = {.host = yb_cs_plugin_host(p), .buf = buf, .cap = cap};
    icd_refs_each(entry->refs, icd_refs_explain_one, &c);
    return (int)c.used;
}

/* The whole plugin of a disease list whose entries refer to ICD codes:
 * the "refs" check, the references in explain, and the entry point.
 * LIST_NAME is the plugin, folder and kind name; LABEL its Chinese name. */
#define ICD_LIST_PLUGIN(list_name, label)                                                          \
    static int check_refs(const struct yb_cs_plugin *p, const char *segment, size_t len,           \
                          const char *code, size_t code_len, struct yb_code_verdict *v)            \
    {                                                                                              \
        (void)segment;                                                                             \
        (void)len;                                                                                 \
        return icd_refs_check(p, #list_name, label, code, code_len, v);                            \
    }                                                                                              \
    static int explain_refs(const struct yb_cs_plugin *p, const char *kind, const char *code,      \
                            size_t len, const struct yb_cs_entry *entry, char *buf, size_t cap)    \
    {                                                                                              \
        (void)kind;                                                                                \
        (void)code;                                                                                \
        (void)len;                                                                                 \
        return icd_refs_explain(p, entry, buf, cap);                                               \
    }                                                                                              \
    static const struct yb_cs_check list_checks[] = {{"refs", check_refs}, {NULL, NULL}};          \
    static const struct yb_cs_desc list_desc = {                                                   \
        .standard = #list_name,                                                                    \
        .checks = list_checks,                                                                     \
        .explain_more = explain_refs,                                                              \
    };                                                                                             \
    YB_CS_PLUGIN(list_name, list_desc, "1.0.0")

#endif
