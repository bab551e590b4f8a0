/*
 * chronic.c - the outpatient chronic and special diseases plugin
 * (医保门诊慢特病病种), owner of code kind "chronic".
 *
 * The whole standard is data (codesets/chronic/rules.conf): M, a 3-digit
 * disease group and a 2-digit subtype, 00 being the group itself. This
 * form is verified by the published codes M03900 高血压病, M01600 糖尿病,
 * M00300 艾滋病, M04600 冠心病 and M05300 慢性阻塞性肺疾病. Membership
 * and effective dates come from the imported list. Nothing here needs C
 * beyond the engine's generic plugin.
 */
#include "codeset.h"

static const struct yb_cs_desc chronic_desc = {.standard = "chronic"};

YB_CS_PLUGIN(chronic, chronic_desc, "1.0.0")
