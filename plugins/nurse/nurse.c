/*
 * nurse.c - 医保护士 (medical-insurance nurses), code kind "nurse".
 *
 * UNVERIFIED: no published rule or real code. The one form, N + 6-digit
 * region + 6-digit serial (13 characters), is inferred from the 医保医师
 * code and marked unverified in the rules. The default configuration gives
 * this kind warn (gateway policy).
 *
 * Everything about the code is data (codesets/nurse/rules.conf, columns.tsv):
 * the engine (plugins/common/codeset.h) matches the forms, runs the built-in
 * region check, and checks membership and dates once a table is imported
 * (ybgwctl code import nurse FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc nurse_desc = {.standard = "nurse"};

YB_CS_PLUGIN(nurse, nurse_desc, "1.0.0")
