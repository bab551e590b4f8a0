/*
 * pharmacist.c - 医保药师 (medical-insurance pharmacists, and hospital pharmacy
 * and technical staff), code kind "pharmacist".
 *
 * Verified (2022 rule): HY (hospital pharmacy staff) and HJ (technical
 * staff) + 6-digit region + 6-digit serial, 14 characters. UNVERIFIED: the
 * retail-pharmacy 医保药师 code Y + 6 + 6 (13 characters), inferred from the
 * 医保医师 code. The region must be known (check=admdvs). The default
 * configuration gives this kind warn (gateway policy).
 *
 * Everything about the code is data (codesets/pharmacist/rules.conf, columns.tsv):
 * the engine (plugins/common/codeset.h) matches the forms, runs the built-in
 * region check, and checks membership and dates once a table is imported
 * (ybgwctl code import pharmacist FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc pharmacist_desc = {.standard = "pharmacist"};

YB_CS_PLUGIN(pharmacist, pharmacist_desc, "1.0.0")
