/*
 * service.c - 医疗服务项目分类与代码 (medical service items), code kind "service".
 *
 * Verified: a service item code is 15 digits (real codes 001216000010100
 * 导尿/留置导尿 and 004400000010100 灸法/艾条灸). Unverified: its split, probably
 * 00 + the 9-digit national service price item code + a 2-digit variant + 00;
 * the rules (codesets/service/rules.conf) give those segments for explanation
 * only, each accepting any digits, so the check is exactly ^\d{15}$.
 *
 * Everything is data: the engine (plugins/common/codeset.h) matches the form
 * and checks membership and dates once a table is imported
 * (ybgwctl code import service FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc service_desc = {.standard = "service"};

YB_CS_PLUGIN(service, service_desc, "1.0.0")
