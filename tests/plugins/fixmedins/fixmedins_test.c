/*
 * fixmedins_test.c - 定点医疗机构 codes (kind fixmedins) through the real
 * plugin host, with the admdvs plugin checking the region inside the code.
 * The shared table and sample tests are in people_test.h.
 */
#include "../common/people_test.h"

static const struct cstest_case cases[] = {
    /* the real code from the spec page: H · 450199 (a city pool) · 00055 */
    {"H45019900055", YB_CODE_VALID, NULL, {NULL}},
    {"H4501990005", YB_CODE_INVALID, "length", {"must be 12 characters, got 11"}},
    {"H450199000551", YB_CODE_INVALID, "length", {"must be 12 characters, got 13"}},
    {"P45010301036", YB_CODE_INVALID, "prefix", {"must start with \"H\"", "got \"P45\""}},
    {"h45019900055", YB_CODE_INVALID, "prefix", {"must start with \"H\""}},
    {"H4501990005A", YB_CODE_INVALID, "serial", {"5 digits", "got \"0005A\""}},
    {"H45O19900055", YB_CODE_INVALID, "region", {"6 digits", "got \"45O199\""}},
    /* region 990199: no province 99 */
    {"H99019900055", YB_CODE_INVALID, "region", {"990199", "province 99"}},
    /* region 459801: Guangxi, but no prefecture 98 in the region table */
    {"H45980100055", YB_CODE_INVALID, "region", {"459801", "not in the loaded region table"}},
    {NULL, 0, NULL, {NULL}},
};

static const struct pt_explain explains[] = {
    {"H45019900055",
     {"form: 定点医疗机构", "verified", "prefix: H = 定点医疗机构", "region: 450199 = 医保区划",
      "serial: 00055", "membership not checked"}},
    {"H4501990005", {"not a 定点医疗机构 code", "12 characters"}},
    {NULL, {NULL}},
};

/* Synthetic codes (not real institutions) in region 450103 南宁市青秀区. */
static const struct pt_standard fixmedins = {
    .name = "fixmedins",
    .kind = "fixmedins",
    .cases = cases,
    .explains = explains,
    .current = "H45010399901",
    .expired = "H45010399902",
    .future = "H45010399903",
    .absent = "H45010399904",
    .refused = "H4501039990",
};

int main(void)
{
    return pt_main(&fixmedins, NULL);
}
