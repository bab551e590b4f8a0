/*
 * pharmacist_test.c - 医保药师 codes (kind pharmacist) through the real
 * plugin host: the verified HY/HJ hospital staff forms and the UNVERIFIED
 * retail Y form. No real code of either is known, so every code here is
 * synthetic. The shared table and sample tests are in people_test.h.
 */
#include "../common/people_test.h"

static const struct cstest_case cases[] = {
    /* synthetic codes */
    {"HY450103000001", YB_CODE_VALID, NULL, {NULL}},
    {"HJ421003000001", YB_CODE_VALID, NULL, {NULL}},
    {"Y450103000001", YB_CODE_VALID, NULL, {NULL}},
    {"HY45010300000", YB_CODE_INVALID, "length", {"医疗机构药学人员", "14 characters, got 13"}},
    {"HJ4210030000011", YB_CODE_INVALID, "length", {"医疗机构技术人员", "14 characters, got 15"}},
    {"Y45010300000", YB_CODE_INVALID, "length", {"13 characters, got 12"}},
    {"HX450103000001", YB_CODE_INVALID, "prefix", {"医疗机构药学人员", "got \"HX4\""}},
    {"hy450103000001", YB_CODE_INVALID, "prefix", {NULL}},
    {"Hy450103000001", YB_CODE_INVALID, "prefix", {NULL}},
    {"y450103000001", YB_CODE_INVALID, "prefix", {NULL}},
    {"D421003007628", YB_CODE_INVALID, "prefix", {"got \"D42\""}},
    {"HY45010300000A", YB_CODE_INVALID, "serial", {"6 digits", "got \"00000A\""}},
    {"HY990103000001", YB_CODE_INVALID, "region", {"990103", "province 99"}},
    {"HJ459801000001", YB_CODE_INVALID, "region", {"459801", "not in the loaded region table"}},
    {"Y990103000001", YB_CODE_INVALID, "region", {"province 99"}},
    {NULL, 0, NULL, {NULL}},
};

static const struct pt_explain explains[] = {
    {"HY450103000001",
     {"form: 医疗机构药学人员 (hospital_pharmacy, verified)", "prefix: HY",
      "region: 450103 = 医保区划", "serial: 000001"}},
    {"HJ421003000001", {"form: 医疗机构技术人员 (hospital_technical, verified)", "prefix: HJ"}},
    {"Y450103000001",
     {"form: 定点零售药店医保药师 (retail, unverified", "note: inferred, not verified",
      "prefix: Y"}},
    {NULL, {NULL}},
};

/* Synthetic codes. */
static const struct pt_standard pharmacist = {
    .name = "pharmacist",
    .kind = "pharmacist",
    .cases = cases,
    .explains = explains,
    .current = "HY450103999901",
    .expired = "HJ450103999902",
    .future = "Y450103999903",
    .absent = "HY450103999904",
    .refused = "HX450103999905",
};

int main(void)
{
    return pt_main(&pharmacist, NULL);
}
