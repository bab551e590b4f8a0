/*
 * drg_dise_test.c - the disease-based settlement list plugin (kind
 * drg_dise), loaded through the real plugin host: its unverified shape, the
 * references of its entries to ICD 医保版 codes (judged by the diag plugin),
 * and the table rules. The tests are shared with daysurg (list_test.h);
 * every list row in them is SYNTHETIC.
 */
#define LIST_STD "drg_dise"
#define LIST_LABEL "按病种结算病种"
#include "list_test.h"

int main(void)
{
    return list_test_main();
}
