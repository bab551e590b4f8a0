/*
 * admdvs.c - the region-code plugin (医保区划), owner of code kind "admdvs".
 *
 * A region code is 6 digits (GB/T 2260): province (2), prefecture (2),
 * county (2). Medical insurance adds pool codes that GB/T 2260 lacks:
 * pp9900 is a provincial pool and ppcc99 a city pool. Validation is
 * structural first (length, digits, a known province prefix), then
 * membership in the loaded region table. Both the provinces and the table
 * are data files (codesets/admdvs/), so a new region is a data change.
 *
 * This is also the smallest complete plugin: it shows the ABI's shape
 * (entry point, init reading its section, a registered kind with validate,
 * match and explain, fini) and is built and tested with `make check`.
 *
 * Configuration:
 *   plugin admdvs {
 *       provinces admdvs/provinces.tsv;  # default; relative to data_dir
 *       table admdvs/admdvs.tsv;         # optional region table
 *       membership reject;               # reject | warn | off, for codes not in the table
 *   }
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ybgw/ybgw.h"

#define MAX_LINE 1024
#define MAX_ROWS 200000 /* the national table has a few thousand rows */

struct region {
    unsigned code;
    char *name;
};

struct admdvs_state {
    const struct yb_host *host;
    char province_names[100][48]; /* by prefix 00..99; "" = unknown */
    struct region *regions;       /* sorted by code */
    size_t n_regions;
    int have_table;
    int membership; /* 0 reject, 1 warn, 2 off */
};

static int all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The value of the 6 digits at S. S need not be NUL-terminated: codes reach
 * validate() and explain() as (pointer, length), often as a segment inside
 * a longer code such as H45019900055, so strtoul() would read too far. */
static unsigned code_value(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 6; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

static int region_cmp(const void *a, const void *b)
{
    unsigned x = ((const struct region *)a)->code, y = ((const struct region *)b)->code;
    return x < y ? -1 : x > y;
}

static const struct region *find_region(const struct admdvs_state *st, unsigned code)
{
    struct region key = {code, NULL};
    return st->n_regions ? bsearch(&key, st->regions, st->n_regions, sizeof(key), region_cmp)
                         : NULL;
}

/* Split a TSV line in place into at most 2 fields. Returns the field count. */
static int split2(char *line, char **a, char **b)
{
    line[strcspn(line, "\r\n")] = '\0';
    *a = line;
    char *tab = strchr(line, '\t');
    if (!tab) {
        *b = NULL;
        return 1;
    }
    *tab = '\0';
    *b = tab + 1;
    (*b)[strcspn(*b, "\t")] = '\0';
    return 2;
}

/* Read a TSV file whose first non-comment line is a header naming the
 * columns (first = code, second = name). Bad rows are logged with their line
 * number and skipped; the load fails only if the file cannot be read. */
static int read_tsv(struct admdvs_state *st, const char *path, const char *code_column,
                    int (*row)(struct admdvs_state *, const char *, const char *, const char *,
                               int))
{
    FILE *f = fopen(path, "r");
    if (!f) {
        st->host->log(st->host, YB_LOG_ERROR, "cannot open %s", path);
        return YB_EIO;
    }
    char line[MAX_LINE];
    int lineno = 0, header = 0, rc = 0, bad = 0;
    for (;;) {
        /* fgets leaves the rest of a buffer filled with 'x' alone, so its
         * last NUL ends what was read. A line that fills the buffer (too
         * long) or holds a NUL byte is a bad row, read to its end: never
         * split into rows, never cut at the NUL (found by fuzz/fuzz_admdvs) */
        memset(line, 'x', sizeof(line));
        if (!fgets(line, sizeof(line), f))
            break;
        lineno++;
        size_t len = (size_t)((const char *)memrchr(line, '\0', sizeof(line)) - line);
        int too_long = len == sizeof(line) - 1 && line[len - 1] != '\n';
        if (too_long || strlen(line) != len) {
            int c;
            while (too_long && (c = getc(f)) != EOF && c != '\n')
                ;
            if (too_long)
                st->host->log(st->host, YB_LOG_WARN, "%s:%d: line longer than %d bytes", path,
                              lineno, MAX_LINE - 2);
            else
                st->host->log(st->host, YB_LOG_WARN, "%s:%d: a NUL byte in the line", path, lineno);
            bad++;
            continue;
        }
        if (line[0] == '#' || line[0] == '\n' || line[0] == '\r')
            continue;
        char *a, *b;
        split2(line, &a, &b);
        if (!header) {
            if (strcmp(a, code_column) != 0) {
                st->host->log(st->host, YB_LOG_ERROR, "%s:%d: header must start with \"%s\"", path,
                              lineno, code_column);
                rc = YB_EINVAL;
                break;
            }
            header = 1;
            continue;
        }
        if (row(st, path, a, b ? b : "", lineno))
            bad++;
    }
    fclose(f);
    if (!rc && !header) {
        st->host->log(st->host, YB_LOG_ERROR, "%s: no header line", path);
        rc = YB_EINVAL;
    }
    if (bad)
        st->host->log(st->host, YB_LOG_WARN, "%s: %d bad rows skipped", path, bad);
    return rc;
}

static int province_row(struct admdvs_state *st, const char *path, const char *code,
                        const char *name, int lineno)
{
    if (strlen(code) != 2 || !all_digits(code, 2)) {
        st->host->log(st->host, YB_LOG_WARN, "%s:%d: \"%s\" is not a 2-digit prefix", path, lineno,
                      code);
        return -1;
    }
    int p = (code[0] - '0') * 10 + (code[1] - '0');
    snprintf(st->province_names[p], sizeof(st->province_names[p]), "%s", *name ? name : code);
    return 0;
}

static int region_row(struct admdvs_state *st, const char *path, const char *code, const char *name,
                      int lineno)
{
    if (strlen(code) != 6 || !all_digits(code, 6)) {
        st->host->log(st->host, YB_LOG_WARN, "%s:%d: \"%s\" is not a 6-digit region code", path,
                      lineno, code);
        return -1;
    }
    if (st->n_regions >= MAX_ROWS) {
        st->host->log(st->host, YB_LOG_WARN, "%s:%d: more than %d rows", path, lineno, MAX_ROWS);
        return -1;
    }
    if ((st->n_regions & (st->n_regions - 1)) == 0) { /* grow at powers of two */
        size_t cap = st->n_regions ? st->n_regions * 2 : 64;
        struct region *r = realloc(st->regions, cap * sizeof(*r));
        if (!r)
            return -1;
        st->regions = r;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    st->regions[st->n_regions].code = code_value(code);
    st->regions[st->n_regions].name = copy;
    st->n_regions++;
    return 0;
}

/* What the shape of a valid code says it is. */
static const char *level_of(const char *c)
{
    if (strncmp(c, "100000", 6) == 0)
        return "national level";
    if (strncmp(c + 2, "0000", 4) == 0)
        return "province";
    if (strncmp(c + 2, "9900", 4) == 0)
        return "provincial pool (省本级)";
    if (strncmp(c + 4, "00", 2) == 0)
        return "prefecture";
    if (strncmp(c + 4, "99", 2) == 0)
        return "city pool (市本级)";
    return "county";
}

static void set_verdict(struct yb_code_verdict *v, int status, const char *segment, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));
static void set_verdict(struct yb_code_verdict *v, int status, const char *segment, const char *fmt,
                        ...)
{
    v->status = status;
    snprintf(v->segment, sizeof(v->segment), "%s", segment);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

static int validate(void *state, const char *code, size_t len, struct yb_code_verdict *v)
{
    const struct admdvs_state *st = state;
    if (len != 6) {
        set_verdict(v, YB_CODE_INVALID, "length",
                    "region code must be 6 digits, got %zu characters", len);
        return 0;
    }
    if (!all_digits(code, 6)) {
        set_verdict(v, YB_CODE_INVALID, "digits", "region code must be 6 digits");
        return 0;
    }
    int p = (code[0] - '0') * 10 + (code[1] - '0');
    if (!st->province_names[p][0]) {
        set_verdict(v, YB_CODE_INVALID, "province",
                    "province %.2s is not a province-level code of GB/T 2260", code);
        return 0;
    }
    if (st->have_table && st->membership != 2) {
        unsigned c = code_value(code); /* 6 digits checked above */
        if (!find_region(st, c)) {
            set_verdict(v, st->membership == 0 ? YB_CODE_INVALID : YB_CODE_WARN, "table",
                        "region code is not in the loaded region table (%s, %s)",
                        st->province_names[p], level_of(code));
            return 0;
        }
    }
    v->status = YB_CODE_VALID;
    return 0;
}

static int match(void *state, const char *code, size_t len)
{
    return len == 6 && all_digits(code, 6);
}

static int explain(void *state, const char *code, size_t len, char *buf, size_t cap)
{
    const struct admdvs_state *st = state;
    if (len != 6 || !all_digits(code, 6))
        return snprintf(buf, cap, "not a 6-digit region code\n");
    int p = (code[0] - '0') * 10 + (code[1] - '0');
    const struct region *r = st->have_table ? find_region(st, code_value(code)) : NULL;
    return snprintf(buf, cap,
                    "%.2s: province %s\n%.2s: prefecture\n%.2s: county\nlevel: %s\nname: %s\n",
                    code, st->province_names[p][0] ? st->province_names[p] : "(unknown)", code + 2,
                    code + 4, level_of(code),
                    r                ? r->name
                    : st->have_table ? "(not in the region table)"
                                     : "(no region table loaded)");
}

static void fini(void *state)
{
    struct admdvs_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n_regions; i++)
        free(st->regions[i].name);
    free(st->regions);
    free(st);
}

static int init(const struct yb_host *host, const struct yb_conf *conf, void **out)
{
    if (host->struct_size < sizeof(struct yb_host) ||
        YB_ABI_MAJOR(host->abi) != YB_PLUGIN_ABI_MAJOR)
        return YB_EABI;
    struct admdvs_state *st = calloc(1, sizeof(*st));
    if (!st)
        return YB_ENOMEM;
    st->host = host;
    char path[4096];
    int rc;
    const char *membership = host->conf_get(conf, "membership");
    if (!membership || strcmp(membership, "reject") == 0) {
        st->membership = 0;
    } else if (strcmp(membership, "warn") == 0) {
        st->membership = 1;
    } else if (strcmp(membership, "off") == 0) {
        st->membership = 2;
    } else {
        host->log(host, YB_LOG_ERROR, "membership takes reject, warn or off, got \"%s\"",
                  membership);
        rc = YB_EINVAL;
        goto fail;
    }
    if (host->conf_path(conf, "provinces", path, sizeof(path)) != 0)
        snprintf(path, sizeof(path), "%s", "");
    if (!path[0]) {
        /* default: next to the region table, or in data_dir */
        const char *table = host->conf_get(conf, "table");
        if (table && host->conf_path(conf, "table", path, sizeof(path)) == 0) {
            char *slash = strrchr(path, '/');
            size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
            snprintf(path + dir, sizeof(path) - dir, "provinces.tsv");
        } else {
            host->log(host, YB_LOG_ERROR, "set provinces (the province prefix file)");
            rc = YB_EINVAL;
            goto fail;
        }
    }
    if ((rc = read_tsv(st, path, "prefix", province_row)))
        goto fail;
    if (host->conf_get(conf, "table")) {
        if (host->conf_path(conf, "table", path, sizeof(path)) ||
            (rc = read_tsv(st, path, "admdvs", region_row))) {
            rc = rc ? rc : YB_EINVAL;
            goto fail;
        }
        if (st->n_regions)
            qsort(st->regions, st->n_regions, sizeof(*st->regions), region_cmp);
        st->have_table = 1;
        host->log(host, YB_LOG_INFO, "%zu region codes from %s", st->n_regions, path);
    }
    struct yb_code_kind kind = {
        .name = "admdvs",
        .standard = "医保区划",
        .match = match,
        .validate = validate,
        .explain = explain,
        .state = st,
    };
    if ((rc = host->register_kind(host, &kind)))
        goto fail;
    *out = st;
    return 0;
fail:
    fini(st);
    return rc;
}

static const struct yb_plugin admdvs_plugin = {
    .abi = YB_PLUGIN_ABI,
    .struct_size = sizeof(struct yb_plugin),
    .name = "admdvs",
    .version = "1.0.0",
    .init = init,
    .on_request = NULL,
    .on_response = NULL,
    .fini = fini,
};

YB_EXPORT const struct yb_plugin *yb_plugin_entry(void)
{
    return &admdvs_plugin;
}
