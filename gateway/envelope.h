/*
 * envelope.h - checks of the platform envelope that go beyond per-field rules.
 *
 * The per-field rules of the envelope (types, lengths, patterns, kinds) are
 * data in conf/schemas/envelope.schema. What is here needs logic: the msgid
 * layout (fixmedins_code + yyyyMMddHHmmss + 4-digit serial) and its
 * agreement with fixmedins_code, inf_time being a real time, the infno being
 * a known transaction, and insuplc_admdvs being present when the input
 * names a person (psn_no).
 */
#ifndef YB_ENVELOPE_H
#define YB_ENVELOPE_H

#include "diag.h"
#include "schema.h"
#include "tree.h"


struct yb_envelope_policy {
    int msgid;          /* enum yb_policy for the msgid layout; default reject */
    int insuplc_needed; /* enum yb_policy for insuplc_admdvs with psn_no; default reject */
};

/* Run the envelope field rules and the checks above. Findings go to diag
 * with source "envelope" (or "schema" for field rules). Returns the number
 * of errors found. env must be an object. */
int yb_envelope_check(const struct yb_schema_set *schemas, const struct yb_node *env,
                      const struct yb_envelope_policy *policy, struct yb_diag *diag,
                      yb_schema_kind_fn kind_fn, void *ctx);

/* Validate "yyyyMMddHHmmss" / "yyyy-MM-dd HH:mm:ss" / "yyyy-MM-dd" as real
 * calendar times. Return 1 if valid. */
int yb_valid_compact_time(const char *s, size_t len);
int yb_valid_datetime(const char *s, size_t len);
int yb_valid_date(const char *s, size_t len);

#endif
