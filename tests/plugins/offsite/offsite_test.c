/*
 * offsite_test.c - the offsite plugin's hooks, loaded through the real
 * plugin host beside the real admdvs plugin (the shipped region table from
 * codesets/admdvs/), on transactions built as the gateway builds them.
 *
 * The demo topology: a hospital gateway in Nanning (pool 450199, which takes
 * every 4501xx code), Guangxi's platform behind gx (gx_nn and gx_county for
 * the longer patterns), Hunan and Zhejiang through a relay, the rest to the
 * national platform. Persons are the SYNTHETIC ones of conf/sim/persons.tsv.
 * A configuration error is asserted on the log line it writes (stderr is
 * captured around the load).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hosttest.h"
#include "diagtest.h"

#define HUNAN_PSN "4311990000000003"
#define INF_TIME "2026-11-23 09:00:00"

static char dir[64];
static struct yb_test_host host;

static const char *const POOL = "pool 450199 4501;\n";
static const char *const ROUTES = "route 45 gx;\n"
                                  "route 4501 gx_nn;\n"
                                  "route 450102 gx_county timeout 500ms;\n"
                                  "route 43 relay timeout 30s;\n"
                                  "route 33 relay timeout 2m;\n";
static const char *const DEFAULT = "route default national;\n";
static const char *const RULES =
    "home 450199 450299;\n"
    "local_only 9001 9002;\n"
    "deny cross-province 2208 34*;\n"
    "require off-site 2203 mdtrtinfo.dise_codg diseinfo[].diag_code;\n"
    "filing cross-province 2201 data.psn_no;\n"
    "filing_policy reject;\n"
    "filing_record 2501 refmedin.psn_no refmedin.begndate refmedin.enddate "
    "result.trt_dcla_detl_sn;\n"
    "filing_revoke 2502 data.psn_no data.trt_dcla_detl_sn;\n";

/* ---- the configuration and the plugins ---- */

enum { WITH_ADMDVS = 1, WITH_STORE = 2, STANDARD = WITH_ADMDVS | WITH_STORE };

/* Load offsite with BODY (its section), with "filings DIR/filings.db;" first
 * under WITH_STORE (so that BODY starts on line 11), and admdvs after it
 * under WITH_ADMDVS. NULL when the load fails. */
static struct yb_plugin_set *load_with(const char *body, int flags)
{
    char path[96];
    snprintf(path, sizeof(path), "%s/ybgw.conf", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "upstream gx { endpoint http://127.0.0.1:1/; }\n"
               "upstream gx_nn { endpoint http://127.0.0.1:2/; }\n"
               "upstream gx_county { endpoint http://127.0.0.1:3/; }\n"
               "upstream relay { endpoint http://127.0.0.1:4/; }\n"
               "upstream national { endpoint http://127.0.0.1:5/; }\n"
               "default_upstream gx;\n");
    fprintf(f, "data_dir %s;\n", yb_test_srcpath("codesets"));
    fprintf(f, "plugin_dir %s;\n", yb_test_buildpath("plugins/.libs"));
    /* offsite first: the admdvs kind exists only once every plugin loaded */
    if (flags & WITH_STORE)
        fprintf(f, "plugin offsite {\nfilings %s/filings.db;\n%s}\n", dir, body);
    else
        fprintf(f, "plugin offsite {\n\n%s}\n", body);
    if (flags & WITH_ADMDVS)
        fprintf(f, "plugin admdvs { provinces admdvs/provinces.tsv; table admdvs/admdvs.tsv; "
                   "membership warn; }\n");
    fclose(f);
    return yb_test_host_load(&host, path);
}

/* POOL, ROUTES, DEFAULT and RULES, then EXTRA (a later directive wins
 * nothing: EXTRA only adds lines). */
static struct yb_plugin_set *load(const char *extra)
{
    static char body[4096];
    snprintf(body, sizeof(body), "%s%s%s%s%s", POOL, ROUTES, DEFAULT, RULES, extra);
    return load_with(body, STANDARD);
}

/* The load of BODY must fail, and the log must hold every one of WORDS. */
static void expect_refused_with(const char *body, int flags, const char *const *words)
{
    char log_path[96];
    snprintf(log_path, sizeof(log_path), "%s/load.log", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    struct yb_plugin_set *loaded = load_with(body, flags);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *log = yb_test_read_file(log_path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    if (loaded)
        fprintf(stderr, "loaded, but should be refused:\n%s", body);
    CU_ASSERT_PTR_NULL(loaded);
    for (; words && *words; words++) {
        if (!strstr(log, *words))
            fprintf(stderr, "log lacks \"%s\":\n%s", *words, log);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, *words));
    }
    free(log);
}

static void expect_refused(const char *body, const char *const *words)
{
    expect_refused_with(body, STANDARD, words);
}

/* ---- transactions ---- */

/* A fresh transaction INFNO treated in MDTRTAREA for a person insured in
 * INSUPLC ("" for none), sent at WHEN, with INPUT (a JSON object). */
static void begin_at(const char *infno, const char *mdtrtarea, const char *insuplc,
                     const char *when, const char *input)
{
    static char json[16384];
    snprintf(json, sizeof(json),
             "{\"infno\":\"%s\",\"msgid\":\"H45019900055202611230900000001\","
             "\"mdtrtarea_admvs\":\"%s\",\"insuplc_admdvs\":\"%s\",\"inf_time\":\"%s\","
             "\"fixmedins_code\":\"H45019900055\",\"opter\":\"0001\",\"input\":%s}",
             infno, mdtrtarea, insuplc, when, input);
    yb_test_host_begin(&host, infno, json);
}

static void begin(const char *infno, const char *mdtrtarea, const char *insuplc, const char *input)
{
    begin_at(infno, mdtrtarea, insuplc, INF_TIME, input);
}

static int request(void)
{
    int rc = yb_plugins_on_request(host.set, &host.txn);
    if (rc == YB_PASS && yb_test_findings(&host.txn.diag))
        yb_test_dump_findings(&host.txn.diag);
    return rc;
}

static int respond(const char *answer)
{
    host.txn.response = yb_test_host_decode(&host, answer);
    return yb_plugins_on_response(host.set, &host.txn);
}

/* The transaction passes with no finding, routed to UPSTREAM with WHY and
 * TIMEOUT_MS. */
static void expect_route(const char *upstream, const char *why, long timeout_ms)
{
    CU_ASSERT_EQUAL(request(), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(host.txn.route);
    if (strcmp(host.txn.route, upstream) != 0 || strcmp(host.txn.route_why, why) != 0)
        fprintf(stderr, "route %s (%s), expected %s (%s)\n", host.txn.route, host.txn.route_why, upstream,
                why);
    CU_ASSERT_STRING_EQUAL(host.txn.route, upstream);
    CU_ASSERT_STRING_EQUAL(host.txn.route_why, why);
    CU_ASSERT_EQUAL(host.txn.timeout_ms, timeout_ms);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DATA_2201 "{\"data\":{\"psn_no\":\"" HUNAN_PSN "\"}}"

/* ---- set-up ---- */

static void test_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ybgw-offsite-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

/* ---- routes and classes ---- */

static void test_longest_match(void)
{
    begin("1101", "450199", "450102", "{}"); /* exact code */
    expect_route("gx_county", "local: insuplc_admdvs 450102 matched route 450102", 500);
    begin("1101", "450199", "450103", "{}"); /* the city prefix */
    expect_route("gx_nn", "local: insuplc_admdvs 450103 matched route 4501", 0);
    begin("1101", "450199", "450299", "{}"); /* the province */
    expect_route("gx", "in-province: insuplc_admdvs 450299 matched route 45", 0);
    begin("1101", "450199", "110101", "{}"); /* nothing but default */
    expect_route("national", "cross-province: insuplc_admdvs 110101 matched route default", 0);
}

static void test_classes(void)
{
    begin("2001", "450199", "450199", "{}");
    expect_route("gx_nn", "local: insuplc_admdvs 450199 matched route 4501", 0);
    begin("2001", "450199", "", "{}"); /* no insured place: local, routed by treatment place */
    expect_route("gx_nn", "local: mdtrtarea_admvs 450199 matched route 4501", 0);
    begin("2001", "450199", "450299", "{}");
    expect_route("gx", "in-province: insuplc_admdvs 450299 matched route 45", 0);
    begin("2001", "450199", "431199", "{}");
    expect_route("relay", "cross-province: insuplc_admdvs 431199 matched route 43", 30000);
    begin("2001", "450199", "330199", "{}");
    expect_route("relay", "cross-province: insuplc_admdvs 330199 matched route 33", 120000);
    /* without the pool line, 450102 is a pool of its own: in-province */
    static char body[2048];
    snprintf(body, sizeof(body), "%s%s", ROUTES, DEFAULT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load_with(body, STANDARD));
    begin("2001", "450199", "450102", "{}");
    expect_route("gx_county", "in-province: insuplc_admdvs 450102 matched route 450102", 500);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_route_by_mdtrtarea(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(load("route_by mdtrtarea;\n"));
    begin("2001", "450199", "431199", "{}");
    expect_route("gx_nn", "cross-province: mdtrtarea_admvs 450199 matched route 4501", 0);
    begin("2001", "450299", "450102", "{}");
    expect_route("gx", "in-province: mdtrtarea_admvs 450299 matched route 45", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_local_only(void)
{
    begin("9001", "450199", "431199", "{\"signIn\":{}}");
    expect_route("gx_nn",
                 "cross-province: mdtrtarea_admvs 450199 matched route 4501 (local_only 9001)", 0);
    begin("9002", "450199", "330199", "{}");
    expect_route("gx_nn",
                 "cross-province: mdtrtarea_admvs 450199 matched route 4501 (local_only 9002)", 0);
    /* not listed: by the insured place */
    begin("9003", "450199", "431199", "{}");
    expect_route("relay", "cross-province: insuplc_admdvs 431199 matched route 43", 30000);
}

static void test_no_route_refused(void)
{
    static char body[2048];
    snprintf(body, sizeof(body), "%s%s", POOL, ROUTES); /* no default */
    CU_ASSERT_PTR_NOT_NULL_FATAL(load_with(body, STANDARD));
    begin("2001", "450199", "110101", "{}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "insuplc_admdvs", "route", YB_DIAG_ERROR, "110101",
                        WORDS("110101", "cross-province", "no route default", "was not sent"));
    CU_ASSERT_PTR_NULL(host.txn.route);
    /* by treatment place, the same */
    begin("9001", "110101", "", "{}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "mdtrtarea_admvs", "route", YB_DIAG_ERROR, "110101",
                        WORDS("mdtrtarea_admvs 110101", "no route default"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_malformed_region_codes(void)
{
    begin("2001", "4501", "450199", "{}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "mdtrtarea_admvs", "route", YB_DIAG_ERROR, "4501",
                        WORDS("not a 6-digit region code"));
    begin("2001", "450199", "43119X", "{}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "insuplc_admdvs", "route", YB_DIAG_ERROR, "43119X",
                        WORDS("the insured place"));
    begin("2001", "", "450199", "{}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "mdtrtarea_admvs", "route", YB_DIAG_ERROR, "",
                        WORDS("is missing"));
}

static void test_home(void)
{
    begin("2001", "450102", "450199", "{}"); /* in the home pool 450199 through 4501 */
    expect_route("gx_nn", "local: insuplc_admdvs 450199 matched route 4501", 0);
    begin("2001", "450299", "450299", "{}"); /* the second home pool */
    expect_route("gx", "local: insuplc_admdvs 450299 matched route 45", 0);
    begin("2001", "430100", "431199", "{}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "mdtrtarea_admvs", "home", YB_DIAG_ERROR, "430100",
                        WORDS("430100", "450199, 450299"));
    CU_ASSERT_PTR_NULL(host.txn.route);
}

/* ---- the insured place and the admdvs kind ---- */

static void test_unknown_region(void)
{
    begin("2001", "450199", "459999", "{}"); /* Guangxi, but no such region */
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "insuplc_admdvs", "unknown_region", YB_DIAG_ERROR,
                        "459999", WORDS("459999", "not in the loaded region table"));
    begin("2001", "450199", "009999", "{}"); /* no such province */
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "insuplc_admdvs", "unknown_region", YB_DIAG_ERROR,
                        "009999", WORDS("province 00"));
    /* warn: a warning, and the route */
    CU_ASSERT_PTR_NOT_NULL_FATAL(load("unknown_region warn;\n"));
    begin("2001", "450199", "459999", "{}");
    CU_ASSERT_EQUAL(yb_plugins_on_request(host.set, &host.txn), YB_PASS);
    yb_test_expect_only(&host.txn.diag, "offsite", "insuplc_admdvs", "unknown_region", YB_DIAG_WARN,
                        "459999", NULL);
    CU_ASSERT_STRING_EQUAL(host.txn.route, "gx");
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_kind_not_loaded(void)
{
    static char body[4096];
    snprintf(body, sizeof(body), "%s%s%s", POOL, ROUTES, DEFAULT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load_with(body, WITH_STORE));
    for (int i = 0; i < 2; i++) { /* every request, not only the first */
        begin("2001", "450199", i ? "" : "431199", "{}");
        CU_ASSERT_EQUAL(yb_plugins_on_request(host.set, &host.txn), YB_ERROR);
        yb_test_expect_only(&host.txn.diag, "offsite", "insuplc_admdvs", "unknown_region", YB_DIAG_ERROR,
                            i ? "" : "431199",
                            WORDS("gateway error", "is not loaded", "unknown_region off"));
        CU_ASSERT_PTR_NULL(host.txn.route);
    }
    /* off: no check, no need of the kind */
    snprintf(body, sizeof(body), "%s%s%sunknown_region off;\n", POOL, ROUTES, DEFAULT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load_with(body, WITH_STORE));
    begin("2001", "450199", "459999", "{}");
    expect_route("gx", "in-province: insuplc_admdvs 459999 matched route 45", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

/* ---- deny and require ---- */

static void test_deny(void)
{
    begin("2208", "450199", "431199", "{\"data\":{}}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "infno", "offsite_denied", YB_DIAG_ERROR, "2208",
                        WORDS("2208", "cross-province", "450199", "431199"));
    begin("3401", "450199", "330199", "{}"); /* the prefix 34* */
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "infno", "offsite_denied", YB_DIAG_ERROR, "3401",
                        NULL);
    /* another class, or another transaction: allowed */
    begin("2208", "450199", "450299", "{\"data\":{}}");
    expect_route("gx", "in-province: insuplc_admdvs 450299 matched route 45", 0);
    begin("2207", "450199", "431199", "{\"data\":{}}");
    expect_route("relay", "cross-province: insuplc_admdvs 431199 matched route 43", 30000);
}

static void test_require(void)
{
    const char *input = "{\"mdtrtinfo\":{\"mdtrt_id\":\"M1\",\"dise_codg\":\"\"},"
                        "\"diseinfo\":[{\"diag_code\":\"A01.000\"},{\"diag_name\":\"x\"},"
                        "{\"diag_code\":null}]}";
    begin("2203", "450199", "450299", input);
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 3);
    const struct yb_diag_entry *e =
        yb_test_find_finding(&host.txn.diag, "mdtrtinfo.dise_codg", "offsite_required");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "in-province"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "is empty"));
    CU_ASSERT_STRING_EQUAL(e->source, "offsite");
    e = yb_test_find_finding(&host.txn.diag, "diseinfo[1].diag_code", "offsite_required");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "is missing"));
    e = yb_test_find_finding(&host.txn.diag, "diseinfo[2].diag_code", "offsite_required");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "is null"));
    /* a missing list and a missing object */
    begin("2203", "450199", "431199", "{\"other\":{}}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 2);
    CU_ASSERT_PTR_NOT_NULL(
        yb_test_find_finding(&host.txn.diag, "mdtrtinfo.dise_codg", "offsite_required"));
    CU_ASSERT_PTR_NOT_NULL(
        yb_test_find_finding(&host.txn.diag, "diseinfo[].diag_code", "offsite_required"));
    /* an empty list, and an item that is not an object */
    begin("2203", "450199", "431199",
          "{\"mdtrtinfo\":{\"dise_codg\":\"A01.000\"},\"diseinfo\":[]}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "diseinfo[].diag_code", "offsite_required",
                        YB_DIAG_ERROR, "", WORDS("diseinfo is an empty list"));
    begin("2203", "450199", "431199",
          "{\"mdtrtinfo\":{\"dise_codg\":\"A01.000\"},\"diseinfo\":[\"A01\"]}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "diseinfo[0].diag_code", "offsite_required",
                        YB_DIAG_ERROR, "", WORDS("diseinfo[0] is not an object"));
    /* complete: passes; a local patient is not asked */
    begin("2203", "450199", "431199",
          "{\"mdtrtinfo\":{\"dise_codg\":\"A01.000\"},\"diseinfo\":[{\"diag_code\":\"A01.000\"}]}");
    expect_route("relay", "cross-province: insuplc_admdvs 431199 matched route 43", 30000);
    begin("2203", "450199", "450103", "{}");
    expect_route("gx_nn", "local: insuplc_admdvs 450103 matched route 4501", 0);
}

/* ---- filings ---- */

#define REFERRAL(psn)                                                                              \
    "{\"refmedin\":{\"psn_no\":\"" psn "\",\"insutype\":\"310\",\"begndate\":\"2026-11-01\","      \
    "\"enddate\":\"2026-12-31\"}}"

static void expect_no_filing(int severity)
{
    yb_test_expect_only(&host.txn.diag, "offsite", "data.psn_no", "filing", severity, HUNAN_PSN,
                        WORDS(HUNAN_PSN, "cross-province", "no active filing", "2501", "2201"));
}

static void test_filing_missing(void)
{
    begin("2201", "450199", "431199", DATA_2201);
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    expect_no_filing(YB_DIAG_ERROR);
    CU_ASSERT_PTR_NULL(host.txn.route);
    /* another class is not asked */
    begin("2201", "450199", "450299", "{\"data\":{\"psn_no\":\"4502990000000009\"}}");
    expect_route("gx", "in-province: insuplc_admdvs 450299 matched route 45", 0);
    /* warn: a warning, and it goes */
    static char body[4096];
    snprintf(body, sizeof(body), "%s%s%s%s", POOL, ROUTES, DEFAULT,
             "filing cross-province 2201 data.psn_no;\nfiling_policy warn;\n"
             "filing_record 2501 refmedin.psn_no refmedin.begndate refmedin.enddate "
             "result.trt_dcla_detl_sn;\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(load_with(body, STANDARD));
    begin("2201", "450199", "431199", DATA_2201);
    CU_ASSERT_EQUAL(yb_plugins_on_request(host.set, &host.txn), YB_PASS);
    expect_no_filing(YB_DIAG_WARN);
    CU_ASSERT_STRING_EQUAL(host.txn.route, "relay");
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
}

static void test_refused_filing_records_nothing(void)
{
    begin("2501", "450199", "431199", REFERRAL(HUNAN_PSN));
    expect_route("relay", "cross-province: insuplc_admdvs 431199 matched route 43", 30000);
    CU_ASSERT_EQUAL(respond("{\"infcode\":-1,\"err_msg\":\"refused\","
                            "\"output\":{\"result\":{\"trt_dcla_detl_sn\":\"SN0001\"}}}"),
                    YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    begin("2201", "450199", "431199", DATA_2201);
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    expect_no_filing(YB_DIAG_ERROR);
}

static void test_accepted_filing_then_revoke(void)
{
    begin("2501", "450199", "431199", REFERRAL(HUNAN_PSN));
    CU_ASSERT_EQUAL(request(), YB_PASS);
    CU_ASSERT_EQUAL(respond("{\"infcode\":0,\"output\":{\"result\":"
                            "{\"trt_dcla_detl_sn\":\"SN0001\"}}}"),
                    YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    begin("2201", "450199", "431199", DATA_2201);
    expect_route("relay", "cross-province: insuplc_admdvs 431199 matched route 43", 30000);
    /* outside the filing's dates */
    begin_at("2201", "450199", "431199", "2027-01-05 10:00:00", DATA_2201);
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "data.psn_no", "filing", YB_DIAG_ERROR, HUNAN_PSN,
                        WORDS("2027-01-05"));
    /* a reload reads it back from the store */
    CU_ASSERT_PTR_NOT_NULL_FATAL(load(""));
    begin("2201", "450199", "431199", DATA_2201);
    expect_route("relay", "cross-province: insuplc_admdvs 431199 matched route 43", 30000);
    /* a refused 2502 revokes nothing, an accepted one does */
    const char *revoke =
        "{\"data\":{\"psn_no\":\"" HUNAN_PSN "\",\"trt_dcla_detl_sn\":\"SN0001\"}}";
    begin("2502", "450199", "431199", revoke);
    CU_ASSERT_EQUAL(request(), YB_PASS);
    CU_ASSERT_EQUAL(respond("{\"infcode\":\"-1\",\"err_msg\":\"no\"}"), YB_PASS);
    begin("2201", "450199", "431199", DATA_2201);
    CU_ASSERT_EQUAL(request(), YB_PASS);
    begin("2502", "450199", "431199", revoke);
    CU_ASSERT_EQUAL(request(), YB_PASS);
    CU_ASSERT_EQUAL(respond("{\"infcode\":\"0\"}"), YB_PASS);
    CU_ASSERT_EQUAL(yb_test_findings(&host.txn.diag), 0);
    begin("2201", "450199", "431199", DATA_2201);
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    expect_no_filing(YB_DIAG_ERROR);
}

static void test_filing_without_person(void)
{
    begin("2201", "450199", "431199", "{\"data\":{}}");
    CU_ASSERT_EQUAL(request(), YB_REJECT);
    yb_test_expect_only(&host.txn.diag, "offsite", "data.psn_no", "filing", YB_DIAG_ERROR, "",
                        WORDS("is missing", "cannot be checked"));
}

/* ---- configuration errors ---- */

static void test_bad_configuration(void)
{
    static char body[4096];
    snprintf(body, sizeof(body), "%sroute 43 hunan;\n", POOL);
    expect_refused(body, WORDS("ybgw.conf:12", "no upstream named \"hunan\""));
    snprintf(body, sizeof(body), "%sroute 4501 gx;\nroute 45 gx;\nroute 4501 relay;\n", POOL);
    expect_refused(body, WORDS("ybgw.conf:", "route 4501 is defined twice"));
    expect_refused(
        "route default gx;\nroute default relay;\n",
        WORDS("ybgw.conf:12", "route default is defined twice (also at", "ybgw.conf:11"));
    expect_refused("pool 450199 4501;\npool 450299 4501;\n",
                   WORDS("pool prefix 4501 is given twice"));
    expect_refused("route 45 gx timeout 11m;\n", WORDS("ybgw.conf:11", "at most 10m"));
    expect_refused("route 45 gx timeout 5h;\n", WORDS("500ms, 30s or 2m"));
    expect_refused("route 45 gx after 5s;\n", WORDS("PATTERN UPSTREAM [timeout DURATION]"));
    expect_refused("route 4 gx;\n", WORDS("2 to 6 digits"));
    expect_refused("route_by insuplc;\nroute_by mdtrtarea;\n",
                   WORDS("ybgw.conf:12", "route_by is set twice (first at", "ybgw.conf:11"));
    expect_refused("deny local 2207;\n", WORDS("in-province, cross-province or off-site"));
    expect_refused("deny off-site 22**;\n", WORDS("not a transaction pattern"));
    expect_refused("require off-site 2203 diseinfo[];\n", WORDS("the field every item needs"));
    expect_refused("filing cross-province 2201 data[].psn_no;\n", WORDS("cannot go through"));
    expect_refused("unknown_region maybe;\n", WORDS("reject, warn or off"));
    expect_refused("home 4501;\n", WORDS("6-digit region code"));
    expect_refused("filing_policy warn;\nfiling_policy reject;\n", WORDS("set twice"));
    /* filing rules need the store, unless the policy is off */
    expect_refused_with("route default gx;\nfiling cross-province 2201 data.psn_no;\n", WITH_ADMDVS,
                        WORDS("ybgw.conf:12", "filings FILE"));
    expect_refused_with("route default gx;\nfiling_revoke 2502 data.psn_no data.sn;\n", WITH_ADMDVS,
                        WORDS("ybgw.conf:12", "filings FILE"));
    CU_ASSERT_PTR_NOT_NULL(load_with(
        "route default gx;\nfiling cross-province 2201 data.psn_no;\nfiling_policy off;\n",
        WITH_ADMDVS));
    CU_ASSERT_PTR_NOT_NULL(load(""));
}

static void test_teardown(void)
{
    yb_test_host_free(&host);
    yb_test_remove_tree(dir);
}

int main(void)
{
    static const struct yb_test tests[] = {
        {"set-up: admdvs and offsite", test_setup},
        {"the longest route pattern wins: 450102, 4501, 45, default", test_longest_match},
        {"local, in-province and cross-province, with and without a pool", test_classes},
        {"route_by mdtrtarea", test_route_by_mdtrtarea},
        {"local_only transactions go by the treatment place", test_local_only},
        {"no route and no default: refused, never sent", test_no_route_refused},
        {"region codes that are not 6 digits are refused", test_malformed_region_codes},
        {"home: a treatment place outside the home pools is refused", test_home},
        {"unknown_region: reject and warn", test_unknown_region},
        {"the admdvs kind not loaded: a gateway error on every request", test_kind_not_loaded},
        {"deny: by class and infno pattern", test_deny},
        {"require: fields and every item of a list", test_require},
        {"filing missing: refused under reject, a warning under warn", test_filing_missing},
        {"a refused 2501 records nothing", test_refused_filing_records_nothing},
        {"an accepted 2501 files, a 2502 revokes", test_accepted_filing_then_revoke},
        {"a filing rule without the person number", test_filing_without_person},
        {"bad configuration is refused, naming file:line", test_bad_configuration},
        {"tear-down", test_teardown},
        {NULL, NULL},
    };
    return yb_test_main("offsite plugin", tests);
}
