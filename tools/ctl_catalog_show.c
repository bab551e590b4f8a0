/*
 * ctl_catalog_show.c - `ybgwctl catalog export` and `lookup`, the read-only
 * views of the store (see ctl_catalog.h).
 *
 * export writes the current mappings with the 3301 header that import
 * reads, so export then diff says "no change"; --history adds every closed
 * row and the bookkeeping columns, for people and audits, not for import.
 * lookup prints the history of one local code, or the local codes of one
 * national code. Both open the store read-only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_catalog.h"
#include "ctl_send.h"

/* ---- export ---- */

enum { FORMAT_CSV, FORMAT_TSV, FORMAT_JSON };

/* The --history columns after the fifteen fields. */
static const char *const history_columns[] = {
    "id",           "current",    "changed_at", "changed_by",    "source",
    "source_msgid", "closed_at",  "closed_by",  "closed_reason", "closed_msgid",
    "sync",         "sync_msgid", "sync_time",  "sync_detail",   NULL,
};

struct export_out {
    FILE *f;
    int format, history;
    uint64_t rows;
    int failed;
};

/* A CSV field, quoted when it holds a separator, a quote, a line break or
 * blanks at its ends (RFC 4180). */
static void put_csv(FILE *f, const char *v)
{
    size_t n = strlen(v);
    if (!strpbrk(v, ",\"\r\n") && (n == 0 || (v[0] != ' ' && v[n - 1] != ' '))) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static void history_values(const struct yb_cat_record *r, const char *v[14], char id[24])
{
    snprintf(id, 24, "%" PRId64, r->id);
    const char *values[14] = {id,
                              r->current ? "1" : "0",
                              r->changed_at,
                              r->changed_by,
                              r->source,
                              r->source_msgid,
                              r->closed_at,
                              r->closed_by,
                              r->closed_reason,
                              r->closed_msgid,
                              r->sync >= 0 && r->sync <= 2 ? yb_cat_sync_names[r->sync] : "?",
                              r->sync_msgid,
                              r->sync_time,
                              r->sync_detail};
    memcpy(v, values, sizeof(values));
}

static void export_header(struct export_out *x)
{
    if (x->format == FORMAT_JSON) {
        fputs("[", x->f);
        return;
    }
    char sep = x->format == FORMAT_TSV ? '\t' : ',';
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        fprintf(x->f, "%s%s", i ? (sep == ',' ? "," : "\t") : "", yb_cat_field_names[i]);
    for (int i = 0; x->history && history_columns[i]; i++)
        fprintf(x->f, "%c%s", sep, history_columns[i]);
    fputc('\n', x->f);
}

static int export_row(const struct yb_cat_record *r, void *arg)
{
    struct export_out *x = arg;
    const char *hv[14];
    char id[24];
    int nh = x->history ? 14 : 0;
    if (x->history)
        history_values(r, hv, id);
    if (x->format == FORMAT_JSON) {
        json_t *o = json_object();
        for (int i = 0; i < YB_CAT_NFIELDS; i++)
            json_object_set_new(o, yb_cat_field_names[i],
                                json_string(r->row.f[i] ? r->row.f[i] : ""));
        for (int i = 0; i < nh; i++)
            json_object_set_new(o, history_columns[i], json_string(hv[i] ? hv[i] : ""));
        char *line = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!line)
            return YB_ENOMEM;
        fprintf(x->f, "%s\n%s", x->rows ? "," : "", line);
        free(line);
    } else {
        for (int i = 0; i < YB_CAT_NFIELDS + nh; i++) {
            const char *v = i < YB_CAT_NFIELDS ? r->row.f[i] : hv[i - YB_CAT_NFIELDS];
            if (i)
                fputc(x->format == FORMAT_TSV ? '\t' : ',', x->f);
            if (x->format == FORMAT_TSV)
                fputs(v ? v : "", x->f);
            else
                put_csv(x->f, v ? v : "");
        }
        fputc('\n', x->f);
    }
    x->rows++;
    return ferror(x->f) ? YB_EIO : 0;
}

struct key_list {
    char **keys; /* "FIXMEDINS\tLOCAL" */
    size_t n, cap;
};

static int collect_key(const struct yb_cat_record *r, void *arg)
{
    struct key_list *k = arg;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 1024;
        char **keys = realloc(k->keys, cap * sizeof(*keys));
        if (!keys)
            return YB_ENOMEM;
        k->keys = keys;
        k->cap = cap;
    }
    size_t a = strlen(r->row.f[YB_CAT_FIXMEDINS_CODE]), b = strlen(r->row.f[YB_CAT_HILIST_ID]);
    char *key = malloc(a + b + 2);
    if (!key)
        return YB_ENOMEM;
    memcpy(key, r->row.f[YB_CAT_FIXMEDINS_CODE], a);
    key[a] = '\t';
    memcpy(key + a + 1, r->row.f[YB_CAT_HILIST_ID], b + 1);
    k->keys[k->n++] = key;
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void key_list_free(struct key_list *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->keys[i]);
    free(k->keys);
    memset(k, 0, sizeof(*k));
}

/* Sort K, then walk the history of each of its keys with FN; with HEADER,
 * each key's history starts with "FIXMEDINS LOCAL, newest first:". */
static int keys_history(struct yb_cat_store *st, struct key_list *k, int header, yb_cat_each_fn fn,
                        void *arg)
{
    int rc = 0;
    if (k->n > 1)
        qsort(k->keys, k->n, sizeof(*k->keys), key_cmp);
    for (size_t i = 0; !rc && i < k->n; i++) {
        char *tab = strchr(k->keys[i], '\t');
        *tab = '\0';
        if (header)
            printf("%s %s, newest first:\n", k->keys[i], tab + 1);
        rc = yb_cat_store_history(st, k->keys[i], tab + 1, fn, arg);
    }
    return rc;
}

/* Every row: the keys each_latest knows (current or revoked), sorted, then
 * each key's history. */
static int export_history(struct yb_cat_store *st, const char *fixmedins, struct export_out *x)
{
    struct key_list k = {0};
    int rc = yb_cat_store_each_latest(st, fixmedins, collect_key, &k);
    if (!rc)
        rc = keys_history(st, &k, 0, export_row, x);
    key_list_free(&k);
    return rc;
}

int ctl_cat_export_main(int argc, char **argv)
{
    static const struct option options[] = {
        CTL_CAT_OPTIONS,
        {"history", no_argument, NULL, 'H'},
        {"format", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    struct ctl_cat_opts o = {.cmd = argv[0]};
    const char *cmd = o.cmd, *out_path = NULL;
    struct export_out x = {stdout, FORMAT_CSV, 0, 0, 0};
    struct yb_cat_store *st = NULL;
    char path[4096], tmp[4200] = "";
    int opt, rc = CTL_EXIT_TRANSPORT;

    while ((opt = ctl_cat_getopt(argc, argv, "o:c:h", options, &o)) != -1) {
        switch (opt) {
        case 'H':
            x.history = 1;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "csv") == 0 || strcmp(optarg, "tsv") == 0 ||
                strcmp(optarg, "json") == 0) {
                x.format = optarg[0] == 'c'   ? FORMAT_CSV
                           : optarg[0] == 't' ? FORMAT_TSV
                                              : FORMAT_JSON;
                break;
            }
            fprintf(stderr, "ybgwctl catalog %s: --format takes csv, tsv or json\n", cmd);
            return CTL_EXIT_TRANSPORT;
        case 'h':
            ctl_cat_usage(stdout, cmd);
            printf("  The current mappings, ordered by institution and local code, with the "
                   "3301 header:\n  `ybgwctl catalog import` reads the file back unchanged "
                   "(csv or tsv).\n"
                   "  --history    every row, closed ones too, with who changed it when, why "
                   "it was\n               closed and its sync state (not importable: the "
                   "extra columns are refused)\n"
                   "  --format F   csv (default; RFC 4180 quoting), tsv, or json (an array)\n"
                   "  -o FILE      write FILE (replaced when complete) instead of stdout\n");
            return CTL_EXIT_OK;
        default:
            return CTL_EXIT_TRANSPORT;
        }
    }
    if (ctl_cat_operands(&o, argc, argv, 0))
        return CTL_EXIT_TRANSPORT;
    if (ctl_cat_store_open(cmd, o.db, o.conf, YB_CAT_RDONLY, &st, path, sizeof(path)))
        goto out;
    if (out_path) {
        snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out_path, (long)getpid());
        if (!(x.f = fopen(tmp, "w"))) {
            fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", cmd, tmp, strerror(errno));
            tmp[0] = '\0';
            goto out;
        }
    }
    export_header(&x);
    int erc = x.history ? export_history(st, o.fixmedins, &x)
                        : yb_cat_store_each_current(st, o.fixmedins, export_row, &x);
    if (x.format == FORMAT_JSON)
        fputs(x.rows ? "\n]\n" : "]\n", x.f);
    if (fflush(x.f) || ferror(x.f))
        erc = erc ? erc : YB_EIO;
    if (erc) {
        fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", cmd, erc == YB_EIO && tmp[0] ? tmp : path,
                erc == YB_EIO ? "write error" : yb_cat_store_error(st));
        goto out;
    }
    if (out_path) {
        int closed = fclose(x.f);
        x.f = stdout;
        if (closed || rename(tmp, out_path)) {
            fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", cmd, out_path, strerror(errno));
            goto out;
        }
        tmp[0] = '\0';
        fprintf(stderr, "%s: %" PRIu64 " rows\n", out_path, x.rows);
    }
    rc = CTL_EXIT_OK;
out:
    if (x.f != stdout)
        fclose(x.f);
    if (tmp[0])
        unlink(tmp);
    yb_cat_store_close(st);
    return rc;
}

/* ---- lookup ---- */

struct found {
    json_t *array; /* --json */
    uint64_t n;
    const char *code;
    struct key_list institutions; /* lookup without --fixmedins */
};

static json_t *record_json(const struct yb_cat_record *r)
{
    json_t *o = json_object();
    const char *hv[14];
    char id[24];
    history_values(r, hv, id);
    for (int i = 0; i < YB_CAT_NFIELDS; i++)
        json_object_set_new(o, yb_cat_field_names[i], json_string(r->row.f[i] ? r->row.f[i] : ""));
    json_object_set_new(o, "id", json_integer((json_int_t)r->id));
    json_object_set_new(o, "current", json_boolean(r->current));
    for (int i = 2; i < 14; i++)
        json_object_set_new(o, history_columns[i], json_string(hv[i] ? hv[i] : ""));
    return o;
}

static void print_record(const struct yb_cat_record *r)
{
    const char *const *f = r->row.f;
    const char *sync = r->sync >= 0 && r->sync <= 2 ? yb_cat_sync_names[r->sync] : "?";
    printf("  #%" PRId64 " %s  %s -> %s  %s  list_type %s  %s..%s\n", r->id,
           r->current                                 ? "current"
           : strcmp(r->closed_reason, "revoked") == 0 ? "revoked"
                                                      : "closed ",
           f[YB_CAT_HILIST_ID], f[YB_CAT_MED_LIST_CODG], f[YB_CAT_HILIST_NAME], f[YB_CAT_LIST_TYPE],
           f[YB_CAT_BEGNDATE], f[YB_CAT_ENDDATE]);
    printf("      set %s by %s, source %s%s%s\n", r->changed_at, r->changed_by, r->source,
           *r->source_msgid ? ", msgid " : "", r->source_msgid);
    printf("      sync: %s%s%s%s%s%s%s\n", sync, *r->sync_msgid ? ", msgid " : "", r->sync_msgid,
           *r->sync_time ? ", at " : "", r->sync_time, *r->sync_detail ? ": " : "", r->sync_detail);
    if (!r->current)
        printf("      closed %s by %s: %s%s%s\n", r->closed_at, r->closed_by, r->closed_reason,
               *r->closed_msgid ? ", msgid " : "", r->closed_msgid);
}

static int found_record(const struct yb_cat_record *r, void *arg)
{
    struct found *fd = arg;
    if (fd->array)
        json_array_append_new(fd->array, record_json(r));
    else
        print_record(r);
    fd->n++;
    return 0;
}

/* each_latest filtered to one local code: the institutions that have it. */
static int find_institutions(const struct yb_cat_record *r, void *arg)
{
    struct found *fd = arg;
    if (strcmp(r->row.f[YB_CAT_HILIST_ID], fd->code) != 0)
        return 0;
    return collect_key(r, &fd->institutions);
}

int ctl_cat_lookup_main(int argc, char **argv)
{
    static const struct option options[] = {
        CTL_CAT_OPTIONS,
        {"national", no_argument, NULL, 'N'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    struct ctl_cat_opts o = {.cmd = argv[0]};
    const char *cmd = o.cmd;
    int national = 0, opt, rc = CTL_EXIT_TRANSPORT, src = 0;
    struct yb_cat_store *st = NULL;
    struct found fd = {0};
    char path[4096];

    while ((opt = ctl_cat_getopt(argc, argv, "c:jh", options, &o)) != -1) {
        switch (opt) {
        case 'N':
            national = 1;
            break;
        case 'h':
            ctl_cat_usage(stdout, cmd);
            printf("  Prints each row of the local code CODE, newest first: the mapping, who set "
                   "it when\n  and from where, its sync state, and why it was closed.\n"
                   "  --national   CODE is a national code: list the local codes mapped to it\n"
                   "  Exit 0 found, 1 nothing found.\n");
            return CTL_EXIT_OK;
        default:
            return CTL_EXIT_TRANSPORT;
        }
    }
    if (ctl_cat_operands(&o, argc, argv, 1))
        return CTL_EXIT_TRANSPORT;
    fd.code = argv[optind];
    if (ctl_cat_store_open(cmd, o.db, o.conf, YB_CAT_RDONLY, &st, path, sizeof(path)))
        goto out;
    fd.array = o.json ? json_array() : NULL;
    if (national) {
        if (!o.json)
            printf("local codes mapped to %s:\n", fd.code);
        src = yb_cat_store_each_national(st, o.fixmedins, fd.code, found_record, &fd);
    } else if (o.fixmedins) {
        if (!o.json)
            printf("%s %s, newest first:\n", o.fixmedins, fd.code);
        src = yb_cat_store_history(st, o.fixmedins, fd.code, found_record, &fd);
    } else {
        src = yb_cat_store_each_latest(st, NULL, find_institutions, &fd);
        if (!src)
            src = keys_history(st, &fd.institutions, !o.json, found_record, &fd);
    }
    if (src) {
        fprintf(stderr, "ybgwctl catalog %s: %s: %s\n", cmd, path, yb_cat_store_error(st));
        goto out;
    }
    if (o.json) {
        json_t *res = json_object();
        json_object_set_new(res, national ? "med_list_codg" : "fixmedins_hilist_id",
                            json_string(fd.code));
        json_object_set_new(res, "db", json_string(path));
        json_object_set_new(res, national ? "mappings" : "history", fd.array);
        fd.array = NULL;
        ctl_cat_print_json(res);
    } else if (fd.n == 0) {
        printf("%s: no %s code %s%s%s\n", path, national ? "mapping to national" : "local", fd.code,
               o.fixmedins ? " of " : "", o.fixmedins ? o.fixmedins : "");
    }
    rc = fd.n ? CTL_EXIT_OK : CTL_EXIT_REJECTED;
out:
    json_decref(fd.array);
    key_list_free(&fd.institutions);
    yb_cat_store_close(st);
    return rc;
}
