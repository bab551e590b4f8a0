/*
 * fixmedins.c - 定点医疗机构 (designated medical institutions), code kind "fixmedins".
 *
 * Verified: H + 6-digit region (医保区划, may be a pool code ending in 99) +
 * 5-digit serial, 12 characters (example H45019900055). The region must be
 * a region the admdvs kind knows (check=admdvs).
 *
 * Everything about the code is data (codesets/fixmedins/rules.conf, columns.tsv):
 * the engine (plugins/common/codeset.h) matches the forms, runs the built-in
 * region check, and checks membership and dates once a table is imported
 * (ybgwctl code import fixmedins FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc fixmedins_desc = {.standard = "fixmedins"};

YB_CS_PLUGIN(fixmedins, fixmedins_desc, "1.0.0")
