/*
 * sysunit.c - 医保系统单位 (units of the medical-insurance system), code kind "sysunit".
 *
 * UNVERIFIED: no code rule is published. The one form is deliberately
 * permissive (1 to 30 letters or digits); a loaded official table is what
 * checks a code.
 *
 * Everything about the code is data (codesets/sysunit/rules.conf, columns.tsv):
 * the engine (plugins/common/codeset.h) matches the forms, runs the built-in
 * region check, and checks membership and dates once a table is imported
 * (ybgwctl code import sysunit FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc sysunit_desc = {.standard = "sysunit"};

YB_CS_PLUGIN(sysunit, sysunit_desc, "1.0.0")
