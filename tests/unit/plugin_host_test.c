/*
 * plugin_host_test.c - the plugin host loads a good module, and refuses each
 * bad one with a reason: missing file, another ABI major, a too-small struct,
 * no entry point, a failing init, a duplicate plugin, a duplicate kind.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plugin_host.h"
#include "settings.h"
#include "testutil.h"

static char err[1024];

/* Write a configuration naming plugin module FILE (from the test build dir)
 * under plugin NAME, twice if twice is set, and load its settings. */
static struct yb_settings *settings_with(const char *body)
{
    char path[] = "/tmp/ybgw-ph-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "upstream u { endpoint http://127.0.0.1:1/; }\n"
            "plugin_dir %s;\n%s\n",
            yb_test_buildpath("tests/plugins/host/.libs"), body);
    fclose(f);
    struct yb_settings *s = yb_settings_load(path, err, sizeof(err));
    unlink(path);
    if (!s)
        fprintf(stderr, "settings: %s\n", err);
    return s;
}

/* The settings of the last load; a plugin set may point into them (kind
 * names, its sections), so they live until the set is freed. */
static struct yb_settings *loaded_settings;

static struct yb_plugin_set *load(const char *body)
{
    yb_settings_free(loaded_settings);
    loaded_settings = settings_with(body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(loaded_settings);
    err[0] = '\0';
    struct yb_plugin_set *set = yb_plugins_load(loaded_settings, err, sizeof(err));
    if (!set)
        fprintf(stderr, "refused: %s\n", err);
    return set;
}

static void test_good_plugin_loads_and_registers_kind(void)
{
    struct yb_plugin_set *set = load("plugin good { kind alpha; }");
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    CU_ASSERT_EQUAL(yb_plugins_count(set), 1);
    CU_ASSERT_STRING_EQUAL(yb_plugins_name(set, 0), "testplugin");
    const struct yb_code_kind *k = yb_plugins_kind(set, "alpha");
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    struct yb_code_verdict v;
    memset(&v, 0, sizeof(v));
    k->validate(k->state, "BAD", 3, &v);
    CU_ASSERT_EQUAL(v.status, YB_CODE_INVALID);
    k->validate(k->state, "OK", 2, &v);
    CU_ASSERT_EQUAL(v.status, YB_CODE_VALID);
    CU_ASSERT_PTR_NULL(yb_plugins_kind(set, "beta"));
    CU_ASSERT_EQUAL(yb_plugins_on_request(set, NULL), YB_PASS);
    yb_plugins_free(set);
}

static void test_missing_module_refused(void)
{
    CU_ASSERT_PTR_NULL(load("plugin nosuch;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "module nosuch.so not found"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":3:")); /* file:line of the directive */
}

static void test_other_major_refused(void)
{
    CU_ASSERT_PTR_NULL(load("plugin badabi;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "plugin ABI 2.0"));
}

static void test_small_struct_refused(void)
{
    CU_ASSERT_PTR_NULL(load("plugin small;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "struct yb_plugin is 16 bytes"));
}

static void test_no_entry_refused(void)
{
    CU_ASSERT_PTR_NULL(load("plugin noentry;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no yb_plugin_entry symbol"));
}

static void test_failing_init_refused(void)
{
    CU_ASSERT_PTR_NULL(load("plugin good { kind a; }\nplugin failinit;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "plugin failinit: init failed"));
}

static void test_duplicate_plugin_refused(void)
{
    /* two configured names, one module: the plugin's own name repeats */
    CU_ASSERT_PTR_NULL(load("plugin good { kind a; }\nplugin other { module good.so; kind b; }"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "already loaded"));
}

static void test_same_name_configured_twice_refused(void)
{
    struct yb_settings *s = settings_with("plugin good;\nplugin good;");
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "configured twice"));
}

static void test_admdvs_plugin_loads_from_build_tree(void)
{
    char body[2048];
    snprintf(body, sizeof(body),
             "data_dir %s;\nplugin_dir %s;\nplugin admdvs { table admdvs/admdvs.tsv; }",
             yb_test_srcpath("codesets"), yb_test_buildpath("plugins/.libs"));
    struct yb_plugin_set *set = load(body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    CU_ASSERT_PTR_NOT_NULL(yb_plugins_kind(set, "admdvs"));
    yb_plugins_free(set);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_good_plugin_loads_and_registers_kind),
        YB_TEST(test_missing_module_refused),
        YB_TEST(test_other_major_refused),
        YB_TEST(test_small_struct_refused),
        YB_TEST(test_no_entry_refused),
        YB_TEST(test_failing_init_refused),
        YB_TEST(test_duplicate_plugin_refused),
        YB_TEST(test_same_name_configured_twice_refused),
        YB_TEST(test_admdvs_plugin_loads_from_build_tree),
        YB_TEST_END,
    };
    int rc = yb_test_main("plugin_host", tests);
    yb_settings_free(loaded_settings);
    return rc;
}
