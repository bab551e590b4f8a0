/*
 * daysurg_test.c - the day-surgery list plugin (kind daysurg), loaded
 * through the real plugin host: its unverified shape, the references of its
 * entries to ICD 医保版 codes (judged by the diag plugin), and the table
 * rules. The tests are shared with drg_dise (../drg_dise/list_test.h);
 * every list row in them is SYNTHETIC.
 */
#define LIST_STD "daysurg"
#define LIST_LABEL "日间手术病种"
#include "../drg_dise/list_test.h"

int main(void)
{
    return list_test_main();
}
