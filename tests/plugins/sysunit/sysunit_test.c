/*
 * sysunit_test.c - 医保系统单位 codes (kind sysunit) through the real plugin host.
 * No code rule is published, so the one form is a permissive UNVERIFIED
 * one (1 to 30 letters or digits) and a loaded table does the real
 * checking. Every code here is synthetic. The shared table and sample
 * tests are in people_test.h.
 */
#include "../common/people_test.h"

static const struct cstest_case cases[] = {
    /* synthetic codes */
    {"A1", YB_CODE_VALID, NULL, {NULL}},
    {"450103000001", YB_CODE_VALID, NULL, {NULL}},
    {"abcdefghijABCDEFGHIJ0123456789", YB_CODE_VALID, NULL, {NULL}},
    {"abcdefghijABCDEFGHIJ01234567890", YB_CODE_INVALID, "length", {"1 to 30 characters, got 31"}},
    {"-4501", YB_CODE_INVALID, "prefix", {"must start with"}},
    {"4501-03", YB_CODE_INVALID, "code", {"letters or digits", "got \"4501-03\""}},
    {"4501 03", YB_CODE_INVALID, "code", {"letters or digits"}},
    {"", YB_CODE_INVALID, "length", {NULL}},
    {NULL, 0, NULL, {NULL}},
};

static const struct pt_explain explains[] = {
    {"450103000001",
     {"form: 医保系统单位 (any, unverified", "note: no code rule is known", "code: 450103000001",
      "membership not checked"}},
    {NULL, {NULL}},
};

/* Synthetic codes. */
static const struct pt_standard sysunit = {
    .name = "sysunit",
    .kind = "sysunit",
    .cases = cases,
    .explains = explains,
    .current = "SYN0001",
    .expired = "SYN0002",
    .future = "SYN0003",
    .absent = "SYN0004",
    .refused = "SYN-0005",
};

int main(void)
{
    return pt_main(&sysunit, NULL);
}
