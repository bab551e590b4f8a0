/*
 * pharmacy_test.c - 定点零售药店 codes (kind pharmacy) through the real
 * plugin host, with the admdvs plugin checking the region inside the code.
 * The shared table and sample tests are in people_test.h.
 */
#include "../common/people_test.h"

static const struct cstest_case cases[] = {
    /* the real code from the spec page: P · 450103 (南宁市青秀区) · 01036 */
    {"P45010301036", YB_CODE_VALID, NULL, {NULL}},
    {"P4501030103", YB_CODE_INVALID, "length", {"must be 12 characters, got 11"}},
    {"P450103010366", YB_CODE_INVALID, "length", {"must be 12 characters, got 13"}},
    {"H45019900055", YB_CODE_INVALID, "prefix", {"must start with \"P\"", "got \"H45\""}},
    {"p45010301036", YB_CODE_INVALID, "prefix", {"must start with \"P\""}},
    {"P450103010X6", YB_CODE_INVALID, "serial", {"5 digits", "got \"010X6\""}},
    /* region 990103: no province 99 */
    {"P99010301036", YB_CODE_INVALID, "region", {"990103", "province 99"}},
    /* region 459801: Guangxi, but no prefecture 98 in the region table */
    {"P45980101036", YB_CODE_INVALID, "region", {"459801", "not in the loaded region table"}},
    {NULL, 0, NULL, {NULL}},
};

static const struct pt_explain explains[] = {
    {"P45010301036",
     {"form: 定点零售药店", "verified", "prefix: P = 定点零售药店", "region: 450103 = 医保区划",
      "serial: 01036", "membership not checked"}},
    {NULL, {NULL}},
};

/* Synthetic codes (not real pharmacies) in region 450199 南宁市本级. */
static const struct pt_standard pharmacy = {
    .name = "pharmacy",
    .kind = "pharmacy",
    .cases = cases,
    .explains = explains,
    .current = "P45019999901",
    .expired = "P45019999902",
    .future = "P45019999903",
    .absent = "P45019999904",
    .refused = "P450199999041",
};

int main(void)
{
    return pt_main(&pharmacy, NULL);
}
