/*
 * nurse_test.c - 医保护士 codes (kind nurse) through the real plugin host.
 * The form (N + region + serial) is UNVERIFIED data; these tests pin what
 * the rules file says and that explain says it is unverified. No real nurse
 * code is known, so every code here is synthetic. The shared table and
 * sample tests are in people_test.h.
 */
#include "../common/people_test.h"

static const struct cstest_case cases[] = {
    /* synthetic codes */
    {"N450103000001", YB_CODE_VALID, NULL, {NULL}},
    {"N45010300000", YB_CODE_INVALID, "length", {"must be 13 characters, got 12"}},
    {"D450103000001", YB_CODE_INVALID, "prefix", {"must start with \"N\"", "got \"D45\""}},
    {"n450103000001", YB_CODE_INVALID, "prefix", {"must start with \"N\""}},
    {"N45010300000I", YB_CODE_INVALID, "serial", {"6 digits"}},
    {"N990103000001", YB_CODE_INVALID, "region", {"990103", "province 99"}},
    {"N459801000001", YB_CODE_INVALID, "region", {"459801", "not in the loaded region table"}},
    {NULL, 0, NULL, {NULL}},
};

static const struct pt_explain explains[] = {
    {"N450103000001",
     {"form: 医保护士", "unverified", "note: inferred, not verified", "prefix: N = 医保护士",
      "region: 450103 = 医保区划", "serial: 000001"}},
    {NULL, {NULL}},
};

/* Synthetic codes. */
static const struct pt_standard nurse = {
    .name = "nurse",
    .kind = "nurse",
    .cases = cases,
    .explains = explains,
    .current = "N450103999901",
    .expired = "N450103999902",
    .future = "N450103999903",
    .absent = "N450103999904",
    .refused = "N4501039999",
};

int main(void)
{
    return pt_main(&nurse, NULL);
}
