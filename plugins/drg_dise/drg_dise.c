/*
 * drg_dise.c - the disease-based settlement list plugin (按病种结算病种),
 * owner of code kind "drg_dise".
 *
 * No code rules of this list could be confirmed, so its only form
 * (codesets/drg_dise/rules.conf) is UNVERIFIED and permissive: letters,
 * digits and . - + * up to 30 characters. What decides is the imported
 * list: membership and effective dates, as for every standard.
 *
 * Each list entry pairs its code with the ICD-10 医保版 diagnoses and
 * ICD-9-CM-3 医保版 procedures it covers (the table's refs). The named check
 * "refs" makes a code INVALID when its entry refers to a code the diag
 * plugin refuses, naming the bad reference (icd_refs.h).
 */
#include "codeset.h"
#include "icd_refs.h"

ICD_LIST_PLUGIN(drg_dise, "按病种结算病种")
