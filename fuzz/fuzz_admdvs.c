/*
 * fuzz_admdvs.c - fuzz target of the region-code plugin's table loader
 * (plugins/admdvs/admdvs.c: read_tsv, its own TSV reader, separate from
 * the code-table importer).
 *
 * The plugin is linked in and started through its entry point, the way the
 * plugin host starts it, with a minimal host that answers its three
 * directives. The first byte of the input says which file the rest is:
 * even, the region table (with the shipped province prefixes); odd, the
 * province prefix file (without a table). Then every 6-character run of the
 * input is validated and explained, as a message's region fields would be,
 * and one property holds: a code the plugin says is valid, with a table
 * loaded, is the first field of one of the file's lines (not, say, text in
 * the tail of a line too long to read).
 */
#include <stdarg.h>
#include <string.h>

#include "fuzz.h"
#include "ybgw/ybgw.h"

const struct yb_plugin *yb_plugin_entry(void);

static char file_path[4200], provinces_path[4200];
static const char *conf_provinces, *conf_table; /* this input's directives */
static struct yb_code_kind kind;
static int have_kind;

static void host_log(const struct yb_host *host, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void host_log(const struct yb_host *host, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    (void)host;
    (void)level;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap); /* formatted, as the host would */
    va_end(ap);
}

static const char *host_conf_get(const struct yb_conf *conf, const char *name)
{
    (void)conf;
    if (strcmp(name, "provinces") == 0)
        return conf_provinces;
    if (strcmp(name, "table") == 0)
        return conf_table;
    return NULL; /* membership: the default, reject */
}

static int host_conf_path(const struct yb_conf *conf, const char *name, char *buf, size_t cap)
{
    const char *v = host_conf_get(conf, name);
    if (!v)
        return YB_ENOENT;
    int n = snprintf(buf, cap, "%s", v);
    return n < 0 || (size_t)n >= cap ? YB_ELIMIT : 0;
}

static int host_register_kind(const struct yb_host *host, const struct yb_code_kind *k)
{
    (void)host;
    FUZZ_CHECK(!have_kind && strcmp(k->name, "admdvs") == 0 && k->validate);
    kind = *k;
    have_kind = 1;
    return 0;
}

static const struct yb_host host = {
    .abi = YB_HOST_ABI,
    .struct_size = sizeof(struct yb_host),
    .log = host_log,
    .conf_get = host_conf_get,
    .conf_path = host_conf_path,
    .register_kind = host_register_kind,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_path(file_path, sizeof(file_path), "admdvs.tsv");
    fuzz_srcpath(provinces_path, sizeof(provinces_path), "codesets/admdvs/provinces.tsv");
    return 0;
}

/* 1 if code starts a physical line of the file (data[1..size)) as a whole
 * first field: the only place a table row's code can come from. */
static int starts_a_line(const uint8_t *data, size_t size, const char *code)
{
    for (size_t i = 1; i + 6 <= size; i++) {
        if (i > 1 && data[i - 1] != '\n')
            continue;
        if (memcmp(data + i, code, 6) == 0 &&
            (i + 6 == size || data[i + 6] == '\t' || data[i + 6] == '\r' || data[i + 6] == '\n'))
            return 1;
    }
    return 0;
}

static void check_code(const uint8_t *data, size_t size, const char *code, int is_table)
{
    struct yb_code_verdict v;
    memset(&v, 0, sizeof(v));
    FUZZ_CHECK(kind.validate(kind.state, code, 6, &v) == 0);
    FUZZ_CHECK(v.status == YB_CODE_VALID || v.status == YB_CODE_INVALID);
    FUZZ_CHECK(memchr(v.reason, '\0', sizeof(v.reason)) && memchr(v.segment, '\0', 48));
    char buf[512];
    FUZZ_CHECK(kind.explain(kind.state, code, 6, buf, sizeof(buf)) > 0);
    /* (explain's text is not compared: the names in it come from the file) */
    if (v.status == YB_CODE_VALID && is_table)
        FUZZ_CHECK(starts_a_line(data, size, code));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int is_table = (data[0] & 1) == 0;
    fuzz_write_file(file_path, data + 1, size - 1);
    conf_provinces = is_table ? provinces_path : file_path;
    conf_table = is_table ? file_path : NULL;
    have_kind = 0;
    const struct yb_plugin *p = yb_plugin_entry();
    void *state = NULL;
    if (p->init(&host, NULL, &state) == 0) {
        FUZZ_CHECK(have_kind && state);
        for (size_t i = 1; i + 6 <= size; i++) {
            char code[7];
            memcpy(code, data + i, 6);
            code[6] = '\0';
            if (strspn(code, "0123456789") == 6)
                check_code(data, size, code, is_table);
        }
        p->fini(state);
    } else {
        FUZZ_CHECK(!have_kind);
    }
    unlink(file_path);
    return 0;
}
