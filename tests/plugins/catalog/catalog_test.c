/*
 * catalog_test.c - the catalog plugin's hooks, loaded through the real plugin
 * host beside the real drug, service and consumable plugins (the shipped
 * code-table samples), on transactions built as the gateway builds them.
 *
 * The store is a temporary SQLite file filled through libybcatalog before
 * the plugin loads. The mappings are those of the demo hospital
 * (conf/catalog/demo.csv) plus SYNTHETIC ones made for a rule: a revoked
 * code, a mapping valid only in 2023, a mapping to a malformed drug code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "hosttest.h"
#include "diagtest.h"

#define HOSP "H45019900055"
#define SERVICE_CODE "001216000010100"
#define DRUG_CODE "XA01ABD075A002010100483"
#define CONSUMABLE_CODE "C01020100100000000000000001"

static char dir[64];
static char store_path[128];
static struct yb_test_host host;

/* ---- the store and the plugins ---- */

static void put(const char *local, const char *list_type, const char *national,
                const char *begndate, const char *enddate)
{
    struct yb_cat_store *st;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(store_path, YB_CAT_CREATE, &st, err, sizeof(err)), 0);
    struct yb_cat_row row = {{NULL}};
    row.f[YB_CAT_FIXMEDINS_CODE] = HOSP;
    row.f[YB_CAT_HILIST_ID] = local;
    row.f[YB_CAT_HILIST_NAME] = "测试项目";
    row.f[YB_CAT_LIST_TYPE] = list_type;
    row.f[YB_CAT_MED_LIST_CODG] = national;
    row.f[YB_CAT_BEGNDATE] = begndate;
    row.f[YB_CAT_ENDDATE] = enddate;
    struct yb_cat_who who = {"test", "test", NULL, NULL};
    CU_ASSERT_EQUAL(yb_cat_store_put(st, &row, YB_CAT_SYNCED, &who, NULL), 0);
    yb_cat_store_close(st);
}

static void revoke_in_store(const char *local)
{
    struct yb_cat_store *st;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(store_path, YB_CAT_RDWR, &st, err, sizeof(err)), 0);
    struct yb_cat_who who = {"test", "3302", "H45019900055202601010000009999", NULL};
    CU_ASSERT_EQUAL(yb_cat_store_revoke(st, HOSP, local, NULL, NULL, &who), 0);
    yb_cat_store_close(st);
}

static const char *const CATALOG_RULES =
    "list_kind 101 drug; list_kind 201 service; list_kind 301 consumable;"
    "translate 2204 feedetail medins_list_codg med_list_codg fee_ocur_time;"
    "reverse 2204 result join feedetl_sn;"
    "reverse 1312 data hilist_code fixmedins_hilist_id;";

/* Load drug, service, consumable and catalog (EXTRA in its section). */
static struct yb_plugin_set *load(const char *extra)
{
    char path[96];
    snprintf(path, sizeof(path), "%s/ybgw.conf", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "upstream u { endpoint http://127.0.0.1:1/; }\ndata_dir %s;\n",
            yb_test_srcpath("codesets"));
    fprintf(f, "plugin_dir %s;\n", yb_test_buildpath("plugins/.libs"));
    fprintf(f, "code_tables %s;\n", yb_test_buildpath("codesets/codes.db"));
    fprintf(f, "plugin drug { }\nplugin service { }\nplugin consumable { }\n");
    fprintf(f, "plugin catalog { store %s; %s %s }\n", store_path, CATALOG_RULES, extra);
    fclose(f);
    return yb_test_host_load(&host, path);
}

/* ---- transactions ---- */

/* A fresh transaction INFNO from HOSP with INPUT (a JSON object body). */
static void begin(const char *infno, const char *input)
{
    static char json[16384];
    snprintf(json, sizeof(json),
             "{\"infno\":\"%s\",\"msgid\":\"H45019900055202611230900000001\","
             "\"fixmedins_code\":\"" HOSP "\",\"opter\":\"0001\",\"opter_name\":\"收费员甲\","
             "\"input\":%s}",
             infno, input);
    yb_test_host_begin(&host, infno, json);
}

/* A fee line: local code LOCAL, national NATIONAL (NULL: absent), fee date. */
static void line(char *buf, size_t cap, const char *sn, const char *local, const char *national,
                 const char *when)
{
    size_t used = strlen(buf);
    snprintf(buf + used, cap - used,
             "%s{\"feedetl_sn\":\"%s\",\"medins_list_codg\":\"%s\"%s%s%s,"
             "\"fee_ocur_time\":\"%s\"}",
             used > 14 ? "," : "", sn, local, national ? ",\"med_list_codg\":\"" : "",
             national ? national : "", national ? "\"" : "", when);
}

static const char *fee_lines(const char *const lines[][3])
{
    static char buf[8192];
    snprintf(buf, sizeof(buf), "{\"feedetail\":[");
    for (size_t i = 0; lines[i][0]; i++) {
        char sn[24];
        snprintf(sn, sizeof(sn), "%zu", i + 1);
        line(buf, sizeof(buf), sn, lines[i][0], lines[i][1],
             lines[i][2] ? lines[i][2] : "2026-11-23 09:00:00");
    }
    strncat(buf, "]}", sizeof(buf) - strlen(buf) - 1);
    return buf;
}

static const char *line_field(size_t i, const char *field)
{
    const struct yb_node *list = yb_node_get(yb_node_get(host.txn.request, "input"), "feedetail");
    return yb_node_get_text(yb_node_at(list, i), field);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define LINES(...) ((const char *const[][3]){__VA_ARGS__, {NULL, NULL, NULL}})

/* ---- set-up ---- */

static void test_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ybgw-catalog-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(store_path, sizeof(store_path), "%s/catalog.db", dir);
    put("F0001", "201", SERVICE_CODE, "2024-01-01", "2099-12-31");
    put("Y0001", "101", DRUG_CODE, "2024-01-01", "2099-12-31");
    put("H0001", "301", CONSUMABLE_CODE, "2024-01-01", "2099-12-31");
    put("OLD1", "201", SERVICE_CODE, "2023-01-01", "2023-12-31");
    put("BADDRUG", "101", "XA01ABD075A00201010048", "2024-01-01", "2099-12-31");
    put("GONE1", "101", DRUG_CODE, "2024-01-01", "2099-12-31");
    revoke_in_store("GONE1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

/* ---- prepare: filling national codes ---- */

static void test_fills_national_codes(void)
{
    begin("2204",
          fee_lines(LINES({"F0001", NULL, NULL}, {"Y0001", NULL, NULL}, {"H0001", "", NULL})));
    CU_ASSERT_EQUAL(yb_plugins_on_prepare(host.set, &host.txn), YB_PASS);
    CU_ASSERT_EQUAL(yb_plugins_on_request(host.set, &host.txn), YB_PASS);
    if (yb_test_findings(&host.txn.diag))
        yb_test_dump_findings(&host.txn.diag);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    CU_ASSERT_STRING_EQUAL(line_field(0, "med_list_codg"), SERVICE_CODE);
    CU_ASSERT_STRING_EQUAL(line_field(1, "med_list_codg"), DRUG_CODE);
    CU_ASSERT_STRING_EQUAL(line_field(2, "med_list_codg"), CONSUMABLE_CODE);
    /* the local codes stay as the HIS sent them */
    CU_ASSERT_STRING_EQUAL(line_field(0, "medins_list_codg"), "F0001");
}

static void test_other_transactions_untouched(void)
{
    begin("2301", fee_lines(LINES({"NOPE", NULL, NULL})));
    CU_ASSERT_EQUAL(yb_plugins_on_prepare(host.set, &host.txn), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    CU_ASSERT_PTR_NULL(line_field(0, "med_list_codg"));
}

static void test_unmapped_local_code(void)
{
    begin("2204", fee_lines(LINES({"F0001", NULL, NULL}, {"L9", NULL, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "feedetail[1].medins_list_codg", "unmapped",
                        YB_DIAG_ERROR, "L9", WORDS("no mapping", HOSP, "3301"));
    CU_ASSERT_PTR_NULL(line_field(1, "med_list_codg"));
}

static void test_revoked_local_code(void)
{
    begin("2204", fee_lines(LINES({"GONE1", NULL, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "feedetail[0].medins_list_codg", "revoked",
                        YB_DIAG_ERROR, "GONE1",
                        WORDS("was revoked on", DRUG_CODE, "H45019900055202601010000009999"));
}

static void test_filled_code_refused_by_its_standard(void)
{
    begin("2204", fee_lines(LINES({"BADDRUG", NULL, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    CU_ASSERT_EQUAL_FATAL(yb_test_findings(&host.txn.diag), 1);
    const struct yb_diag_entry *e = host.txn.diag.head;
    CU_ASSERT_STRING_EQUAL(e->path, "feedetail[0].medins_list_codg");
    CU_ASSERT_EQUAL(e->severity, YB_DIAG_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "is mapped (目录对照) to XA01ABD075A00201010048"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "23 characters"));
}

/* ---- request: agreement and dates ---- */

static void test_mismatch(void)
{
    begin("2204", fee_lines(LINES({"F0001", DRUG_CODE, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    yb_plugins_on_request(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "feedetail[0].med_list_codg", "mismatch",
                        YB_DIAG_ERROR, DRUG_CODE,
                        WORDS("medins_list_codg \"F0001\"", SERVICE_CODE));
    /* as a warning, by policy */
    CU_ASSERT_PTR_NOT_NULL_FATAL(load("mismatch warn;"));
    begin("2204", fee_lines(LINES({"F0001", DRUG_CODE, NULL})));
    yb_plugins_on_request(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "feedetail[0].med_list_codg", "mismatch",
                        YB_DIAG_WARN, DRUG_CODE, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load("mismatch off;"));
    begin("2204", fee_lines(LINES({"F0001", DRUG_CODE, NULL})));
    yb_plugins_on_request(host.set, &host.txn);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_unmapped_with_national_code(void)
{
    begin("2204", fee_lines(LINES({"L9", DRUG_CODE, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    yb_plugins_on_request(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "feedetail[0].medins_list_codg", "unmapped",
                        YB_DIAG_ERROR, "L9", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load("unmapped warn;"));
    begin("2204", fee_lines(LINES({"L9", DRUG_CODE, NULL})));
    yb_plugins_on_request(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "feedetail[0].medins_list_codg", "unmapped",
                        YB_DIAG_WARN, "L9", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_fee_date_outside_mapping(void)
{
    begin("2204", fee_lines(LINES({"OLD1", NULL, "2024-02-01 10:00:00"},
                                  {"OLD1", NULL, "2023-06-30 23:59:59"},
                                  {"F0001", NULL, "2023-12-31 08:00:00"})));
    yb_plugins_on_prepare(host.set, &host.txn);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    yb_plugins_on_request(host.set, &host.txn);
    CU_ASSERT_EQUAL_FATAL(yb_test_findings(&host.txn.diag), 2);
    const struct yb_diag_entry *e = host.txn.diag.head;
    CU_ASSERT_STRING_EQUAL(e->path, "feedetail[0].medins_list_codg");
    CU_ASSERT_STRING_EQUAL(e->rule, "outside_dates");
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "valid from 2023-01-01 to 2023-12-31"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "2024-02-01 10:00:00"));
    CU_ASSERT_STRING_EQUAL(e->next->path, "feedetail[2].medins_list_codg");
}

static void test_upload_list_type_must_fit_code(void)
{
    begin("3301", "{\"catalogcompin\":[{\"fixmedins_hilist_id\":\"N1\",\"fixmedins_hilist_name\":"
                  "\"新项目\",\"list_type\":\"201\",\"med_list_codg\":\"" DRUG_CODE
                  "\",\"begndate\":\"2024-01-01\",\"enddate\":\"2099-12-31\"}]}");
    yb_plugins_on_request(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "catalogcompin[0].med_list_codg", "list_type",
                        YB_DIAG_ERROR, DRUG_CODE, WORDS("list_type 201"));
}

/* ---- response: 3301, 3302 and reverse ---- */

static int respond(const char *answer)
{
    host.txn.response = yb_test_host_decode(&host, answer);
    return yb_plugins_on_response(host.set, &host.txn);
}

static const char *const UPLOAD_N2 =
    "{\"catalogcompin\":[{\"fixmedins_hilist_id\":\"N2\",\"fixmedins_hilist_name\":\"新耗材\","
    "\"list_type\":\"301\",\"med_list_codg\":\"" CONSUMABLE_CODE "\",\"begndate\":\"2024-01-01\","
    "\"enddate\":\"2099-12-31 23:59:59\"}]}";

static int stored_sync(const char *local, char *by, size_t cap);

static void test_refused_upload_changes_nothing(void)
{
    begin("3301", UPLOAD_N2);
    CU_ASSERT_EQUAL(respond("{\"infcode\":-1,\"err_msg\":\"no\"}"), YB_PASS);
    begin("2204", fee_lines(LINES({"N2", NULL, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 1);
    CU_ASSERT_EQUAL(stored_sync("N2", NULL, 0), -1);
}

static void test_accepted_upload_maps_at_once_and_is_stored(void)
{
    begin("3301", UPLOAD_N2);
    CU_ASSERT_EQUAL(respond("{\"infcode\":0,\"output\":{}}"), YB_PASS);
    begin("2204", fee_lines(LINES({"N2", NULL, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    CU_ASSERT_STRING_EQUAL(line_field(0, "med_list_codg"), CONSUMABLE_CODE);
    /* the writer thread stores it; a reload (fini flushes) proves it is there */
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
    char by[64];
    CU_ASSERT_EQUAL(stored_sync("N2", by, sizeof(by)), YB_CAT_SYNCED);
    CU_ASSERT_STRING_EQUAL(by, "收费员甲");
}

static void test_accepted_revoke(void)
{
    begin("3302", "{\"data\":{\"fixmedins_code\":\"" HOSP "\",\"fixmedins_hilist_id\":\"N2\","
                  "\"list_type\":\"301\",\"med_list_codg\":\"" CONSUMABLE_CODE "\"}}");
    CU_ASSERT_EQUAL(respond("{\"infcode\":0}"), YB_PASS);
    begin("2204", fee_lines(LINES({"N2", NULL, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    yb_test_expect_only(&host.txn.diag, "catalog", "feedetail[0].medins_list_codg", "revoked",
                        YB_DIAG_ERROR, "N2", WORDS("H45019900055202611230900000001"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
    CU_ASSERT_EQUAL(stored_sync("N2", NULL, 0), -1); /* no current row */
}

static void test_reverse_join(void)
{
    begin("2204", fee_lines(LINES({"F0001", NULL, NULL}, {"Y0001", NULL, NULL})));
    yb_plugins_on_prepare(host.set, &host.txn);
    respond("{\"infcode\":0,\"output\":{\"result\":[{\"feedetl_sn\":\"2\"},"
            "{\"feedetl_sn\":\"1\"},{\"feedetl_sn\":\"9\"}]}}");
    const struct yb_node *r = yb_node_get(yb_node_get(host.txn.response, "output"), "result");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(yb_node_at(r, 0), "medins_list_codg"), "Y0001");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(yb_node_at(r, 0), "med_list_codg"), DRUG_CODE);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(yb_node_at(r, 1), "medins_list_codg"), "F0001");
    CU_ASSERT_PTR_NULL(yb_node_get_text(yb_node_at(r, 2), "medins_list_codg"));
}

static void test_reverse_national(void)
{
    begin("1312", "{\"data\":{}}");
    /* SERVICE_CODE has two local codes (F0001, OLD1): no guess */
    respond("{\"infcode\":0,\"output\":{\"data\":[{\"hilist_code\":\"" DRUG_CODE "\"},"
            "{\"hilist_code\":\"" SERVICE_CODE "\"},{\"hilist_code\":\"X\"}]}}");
    const struct yb_node *d = yb_node_get(yb_node_get(host.txn.response, "output"), "data");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(yb_node_at(d, 0), "fixmedins_hilist_id"), "Y0001");
    CU_ASSERT_PTR_NULL(yb_node_get_text(yb_node_at(d, 1), "fixmedins_hilist_id"));
    CU_ASSERT_PTR_NULL(yb_node_get_text(yb_node_at(d, 2), "fixmedins_hilist_id"));
}

static void test_bad_configuration_refused(void)
{
    CU_ASSERT_PTR_NULL(load("unmapped maybe;"));
    CU_ASSERT_PTR_NULL(load("translate 2204 feedetail;"));
    CU_ASSERT_PTR_NULL(load("reverse 2301 result join feedetl_sn;")); /* no translate 2301 */
    CU_ASSERT_PTR_NOT_NULL(load(""));
}

static void test_teardown(void)
{
    yb_test_host_free(&host);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

/* The sync state of LOCAL's current row in the store (and who set it), or
 * -1 when it has none. */
struct found {
    int sync;
    char *by;
    size_t cap;
};

static int take_found(const struct yb_cat_record *rec, void *arg)
{
    struct found *f = arg;
    if (rec->current) {
        f->sync = rec->sync;
        if (f->by)
            snprintf(f->by, f->cap, "%s", rec->changed_by);
    }
    return 0;
}

static int stored_sync(const char *local, char *by, size_t cap)
{
    struct yb_cat_store *st;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(yb_cat_store_open(store_path, YB_CAT_RDONLY, &st, err, sizeof(err)), 0);
    struct found f = {-1, by, cap};
    CU_ASSERT_EQUAL(yb_cat_store_history(st, HOSP, local, take_found, &f), 0);
    yb_cat_store_close(st);
    return f.sync;
}

int main(void)
{
    static const struct yb_test tests[] = {
        {"set-up: store and plugins", test_setup},
        {"local-only lines get their national codes", test_fills_national_codes},
        {"a message without a translate rule is untouched", test_other_transactions_untouched},
        {"an unmapped local code is refused", test_unmapped_local_code},
        {"a revoked mapping is refused, naming the revoke", test_revoked_local_code},
        {"a filled code its standard refuses is refused", test_filled_code_refused_by_its_standard},
        {"a pair that disagrees with the mapping, by policy", test_mismatch},
        {"an unmapped local code beside a national code, by policy",
         test_unmapped_with_national_code},
        {"a fee date outside the mapping's dates", test_fee_date_outside_mapping},
        {"a 3301 row's code must fit its list_type", test_upload_list_type_must_fit_code},
        {"a refused 3301 changes nothing", test_refused_upload_changes_nothing},
        {"an accepted 3301 maps at once and is stored",
         test_accepted_upload_maps_at_once_and_is_stored},
        {"an accepted 3302 revokes in the map and the store", test_accepted_revoke},
        {"reverse join: answer lines get the request's codes", test_reverse_join},
        {"reverse national: the one local code of a national code", test_reverse_national},
        {"bad configuration is refused", test_bad_configuration_refused},
        {"tear-down", test_teardown},
        {NULL, NULL},
    };
    return yb_test_main("catalog plugin", tests);
}
