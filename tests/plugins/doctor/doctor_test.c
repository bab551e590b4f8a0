/*
 * doctor_test.c - 医保医师 codes (kind doctor) through the real plugin host,
 * with the admdvs plugin checking the region inside the code. The shared
 * table and sample tests are in people_test.h. (That the default
 * configuration warns rather than rejects is the gateway's codes{} policy;
 * the plugin itself must say INVALID, which is what is tested here.)
 */
#include "../common/people_test.h"

static const struct cstest_case cases[] = {
    /* the real code from the spec page: D · 421003 (荆州市荆州区) · 007628 */
    {"D421003007628", YB_CODE_VALID, NULL, {NULL}},
    {"D42100300762", YB_CODE_INVALID, "length", {"must be 13 characters, got 12"}},
    {"D4210030076280", YB_CODE_INVALID, "length", {"must be 13 characters, got 14"}},
    /* a local practitioner id: refused here, warned under the default policy */
    {"0012345", YB_CODE_INVALID, "prefix", {"must start with \"D\""}},
    {"d421003007628", YB_CODE_INVALID, "prefix", {"must start with \"D\""}},
    {"N421003007628", YB_CODE_INVALID, "prefix", {"got \"N42\""}},
    {"D42100300762B", YB_CODE_INVALID, "serial", {"6 digits", "got \"00762B\""}},
    /* region 991003: no province 99 */
    {"D991003007628", YB_CODE_INVALID, "region", {"991003", "province 99"}},
    /* region 459801: Guangxi, but no prefecture 98 in the region table */
    {"D459801007628", YB_CODE_INVALID, "region", {"459801", "not in the loaded region table"}},
    {NULL, 0, NULL, {NULL}},
};

static const struct pt_explain explains[] = {
    {"D421003007628",
     {"form: 医保医师", "verified", "prefix: D = 医保医师", "region: 421003 = 医保区划",
      "serial: 007628", "membership not checked"}},
    {NULL, {NULL}},
};

/* Synthetic codes (not real doctors) in region 421003 荆州市荆州区. */
static const struct pt_standard doctor = {
    .name = "doctor",
    .kind = "doctor",
    .cases = cases,
    .explains = explains,
    .current = "D421003999901",
    .expired = "D421003999902",
    .future = "D421003999903",
    .absent = "D421003999904",
    .refused = "DR421003999905",
};

int main(void)
{
    return pt_main(&doctor, NULL);
}
