/*
 * pharmacy.c - 定点零售药店 (designated retail pharmacies), code kind "pharmacy".
 *
 * Verified: P + 6-digit region (医保区划, may be a pool code ending in 99) +
 * 5-digit serial, 12 characters (example P45010301036). The region must be
 * a region the admdvs kind knows (check=admdvs).
 *
 * Everything about the code is data (codesets/pharmacy/rules.conf, columns.tsv):
 * the engine (plugins/common/codeset.h) matches the forms, runs the built-in
 * region check, and checks membership and dates once a table is imported
 * (ybgwctl code import pharmacy FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc pharmacy_desc = {.standard = "pharmacy"};

YB_CS_PLUGIN(pharmacy, pharmacy_desc, "1.0.0")
