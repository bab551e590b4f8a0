/*
 * doctor.c - 医保医师 (medical-insurance doctors), code kind "doctor".
 *
 * Verified: D + 6-digit region (医保区划) + 6-digit serial, 13 characters
 * (example D421003007628); the region must be known (check=admdvs). The
 * default configuration gives this kind warn (local practitioner ids are
 * accepted until a region finishes standardising): that is gateway policy,
 * the plugin reports a non-conforming code as INVALID.
 *
 * Everything about the code is data (codesets/doctor/rules.conf, columns.tsv):
 * the engine (plugins/common/codeset.h) matches the forms, runs the built-in
 * region check, and checks membership and dates once a table is imported
 * (ybgwctl code import doctor FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc doctor_desc = {.standard = "doctor"};

YB_CS_PLUGIN(doctor, doctor_desc, "1.0.0")
