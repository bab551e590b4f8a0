/*
 * daysurg.c - the day-surgery list plugin (日间手术病种), owner of code kind
 * "daysurg".
 *
 * No code rules of this list could be confirmed, so its only form
 * (codesets/daysurg/rules.conf) is UNVERIFIED and permissive: letters,
 * digits and . - + * up to 30 characters. What decides is the imported
 * list: membership and effective dates, as for every standard.
 *
 * Each list entry pairs its code with the ICD-10 医保版 diagnoses and
 * ICD-9-CM-3 医保版 procedures it covers (the table's refs). The named check
 * "refs" makes a code INVALID when its entry refers to a code the diag
 * plugin refuses, naming the bad reference (plugins/drg_dise/icd_refs.h,
 * shared with drg_dise).
 */
#include "codeset.h"
#include "icd_refs.h"

static int check_refs(const struct yb_cs_plugin *p, const char *segment, size_t len,
                      const char *code, size_t code_len, struct yb_code_verdict *v)
{
    (void)segment;
    (void)len;
    return icd_refs_check(p, "daysurg", "日间手术病种", code, code_len, v);
}

static int explain_refs(const struct yb_cs_plugin *p, const char *kind, const char *code,
                        size_t len, const struct yb_cs_entry *entry, char *buf, size_t cap)
{
    (void)kind;
    (void)code;
    (void)len;
    return icd_refs_explain(p, entry, buf, cap);
}

static const struct yb_cs_check daysurg_checks[] = {{"refs", check_refs}, {NULL, NULL}};

static const struct yb_cs_desc daysurg_desc = {
    .standard = "daysurg",
    .checks = daysurg_checks,
    .explain_more = explain_refs,
};

YB_CS_PLUGIN(daysurg, daysurg_desc, "1.0.0")
