/*
 * consumable.c - 医用耗材分类与代码 (medical consumables), code kind "consumable".
 *
 * Verified: the current code is C + 26 digits, 27 characters: three 2-digit
 * classes, the 3-digit 医保通用名编号, then 17 digits for material,
 * specification and enterprise (how those divide is not verified, so they
 * are one digits-only segment). The legacy 2019 code of 20 characters
 * (C · class 6 · generic name 3 · product feature 5 · enterprise 5) is
 * accepted with a warning asking for the 27-character code.
 *
 * Everything is data (codesets/consumable/rules.conf): the engine
 * (plugins/common/codeset.h) matches the forms, gives the legacy warning and
 * checks membership and dates once a table is imported
 * (ybgwctl code import consumable FILE). This file only names the standard.
 */
#include "codeset.h"

static const struct yb_cs_desc consumable_desc = {.standard = "consumable"};

YB_CS_PLUGIN(consumable, consumable_desc, "1.0.0")
