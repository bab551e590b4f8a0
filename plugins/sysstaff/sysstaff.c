/*
 * sysstaff.c - 医保系统工作人员 (staff of the medical-insurance system), code kind "sysstaff".
 *
 * UNVERIFIED: no code rule is published. The one form is deliberately
 * permissive (1 to 30 letters or digits); a loaded official table is what
 * checks a code. The default configuration gives this kind warn.
 *
 * Everything about the code is data (codesets/sysstaff/rules.conf, columns.tsv):
 * the engine (plugins/common/codeset.h) matches the forms, runs the built-in
 * region check, and checks membership and dates once a table is imported
 * (ybgwctl code import sysstaff FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc sysstaff_desc = {.standard = "sysstaff"};

YB_CS_PLUGIN(sysstaff, sysstaff_desc, "1.0.0")
