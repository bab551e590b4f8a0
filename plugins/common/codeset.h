/*
 * codeset.h - the engine shared by the coding-standard plugins (libybcodeset).
 *
 * Each of the 15 national coding standards is its own plugin, but they all
 * check codes the same way, so the way lives here once and the standards
 * live in data:
 *
 *   1. structure: codesets/<standard>/rules.conf names the kinds a standard
 *      owns, the forms of each kind and the segments of each form, each
 *      segment a small pattern with a meaning (see "Rules files" below);
 *   2. cross-checks that data cannot express (the region inside an H, P or
 *      D code is a known region; an ATC class exists) are named checks that
 *      a segment asks for with check=NAME and a plugin supplies in C;
 *   3. membership and effective dates: the standard's code table, imported
 *      into SQLite with `ybgwctl code import` (versioned, one version
 *      active) and held in memory by the plugin (a hash, no SQLite on the
 *      request path).
 *
 * The library is linked into every codeset plugin (as PIC), into ybgwctl
 * (import, stats) and into the tests. It includes only ybgw.h of the public
 * API and never gateway internals. Prefix: yb_cs_.
 *
 * Threads: everything built by init is read-only afterwards, so validate,
 * match, explain and lookups may run on several workers at once.
 *
 * ---- Rules files ---------------------------------------------------------
 * Line oriented; `#` starts a comment; tokens are separated by blanks; a
 * token with blanks is written in double quotes ("..", with \" and \\).
 *
 *   standard "药品分类与代码"                  display name of the standard
 *   kind drug "药品"                          a kind this standard owns
 *   form western "西药" verified              NAME LABEL verified|unverified [warn]
 *   note "why this form is accepted only with a warning, or where it comes from"
 *   seg prefix X "西药 product code"          NAME PATTERN MEANING [options]
 *   seg atc4 [A-Z]\d{2}[A-Z]{2} "ATC level-4 class" check=atc values=drug/atc.tsv
 *   seg ext? x\d{3} "extension code"          a NAME ending in ? is optional
 *
 * Forms belong to the last kind line, segments to the last form line. A form
 * marked `warn` is accepted with a warning whose text is its note (the legacy
 * 20-character consumable code). Segment options:
 *   check=NAME    run the named check on the segment (plugin-supplied, or the
 *                 built-ins: "admdvs" asks the admdvs kind about a 6-digit
 *                 region; "values" requires the segment to be in its values
 *                 file)
 *   values=PATH   a TSV file (value<TAB>meaning, header line "value	meaning")
 *                 under data_dir, used by explain and by check=values
 *   key=no        the segment is not part of the table key (an ICD-10
 *                 dagger/asterisk suffix: the table lists the base code)
 *
 * Patterns are a small, fixed subset of regular expressions, enough for code
 * segments and fast to match: literal characters, \d (a digit), . (any
 * printable ASCII character), [..] sets with ranges (no negation), and each
 * atom may be followed by {n}, {n,m} or ?. \ escapes a literal (\. \+ \*).
 * No alternation and no groups: alternatives are separate forms, optional
 * parts are optional segments.
 *
 * How a code is judged, for one kind:
 *   - the candidate forms are those whose first segment matches the start of
 *     the code; none: "must start with X (西药), Z (中成药) ..." [prefix];
 *   - the first candidate that matches whole is the form; if none does, the
 *     reason is a length ("西药 code must be 23 characters, got 22") when no
 *     candidate allows that length, else the segment that failed ("西药 code:
 *     atc4 (ATC level-4 class) must be a letter, 2 digits, 2 letters, got
 *     "A0XAB"");
 *   - then the segment checks, then the table (when loaded): membership,
 *     then effective dates on today's date.
 */
#ifndef YBGW_CODESET_H
#define YBGW_CODESET_H

#include <stddef.h>
#include <stdint.h>

#include "ybgw/ybgw.h"

#ifdef __cplusplus
extern "C" {
#endif

#define YB_CS_MAX_CODE 64     /* longest code any standard accepts */
#define YB_CS_MAX_SEGMENTS 16 /* per form */

/* ---- Rules ---------------------------------------------------------------- */

struct yb_cs_rules; /* one standard's rules file, parsed; read-only once loaded */

struct yb_cs_segment_info {
    const char *name;    /* "atc4" (without the optional mark) */
    const char *pattern; /* as written */
    const char *meaning;
    const char *check; /* NULL if none */
    int optional;
    int in_key;
};

struct yb_cs_form_info {
    const char *kind;  /* the kind it belongs to */
    const char *name;  /* "western" */
    const char *label; /* "西药" */
    const char *note;  /* may be NULL */
    int verified;
    int warn; /* accepted with a warning */
    size_t n_segments;
};

/* A segment of a code that matched a form: where it lies in the code. */
struct yb_cs_span {
    uint8_t offset, len;
    uint8_t present; /* 0 for an optional segment that is absent */
};

/* The outcome of the structural check. */
struct yb_cs_shape {
    int form;                                    /* index into the rules' forms, or -1 */
    struct yb_cs_span spans[YB_CS_MAX_SEGMENTS]; /* valid when form >= 0 */
};

/* Load PATH. data_dir resolves the values= files (NULL: relative to the
 * directory of PATH). On failure returns NULL and writes "file:line: reason"
 * into err. The caller frees the result with yb_cs_rules_free. */
struct yb_cs_rules *yb_cs_rules_load(const char *path, const char *data_dir, char *err,
                                     size_t errcap);
void yb_cs_rules_free(struct yb_cs_rules *rules);

const char *yb_cs_rules_standard(const struct yb_cs_rules *rules); /* display name */
size_t yb_cs_rules_kind_count(const struct yb_cs_rules *rules);
const char *yb_cs_rules_kind(const struct yb_cs_rules *rules, size_t i);       /* "drug" */
const char *yb_cs_rules_kind_label(const struct yb_cs_rules *rules, size_t i); /* "药品" */
size_t yb_cs_rules_form_count(const struct yb_cs_rules *rules);
void yb_cs_rules_form(const struct yb_cs_rules *rules, size_t form, struct yb_cs_form_info *out);
void yb_cs_rules_segment(const struct yb_cs_rules *rules, size_t form, size_t seg,
                         struct yb_cs_segment_info *out);
/* The meaning of VALUE in a segment's values file, or NULL. */
const char *yb_cs_rules_value_meaning(const struct yb_cs_rules *rules, size_t form, size_t seg,
                                      const char *value, size_t len);

/* Non-zero if CODE starts like one of KIND's forms (its first segment
 * matches). KIND NULL: any kind of the standard. */
int yb_cs_match_lead(const struct yb_cs_rules *rules, const char *kind, const char *code,
                     size_t len);

/* The structural check of CODE as KIND. Returns 1 and fills *shape when a
 * form matches whole; returns 0 and fills *v (status INVALID, segment and
 * reason as described above) when none does. */
int yb_cs_match(const struct yb_cs_rules *rules, const char *kind, const char *code, size_t len,
                struct yb_cs_shape *shape, struct yb_code_verdict *v);

/* The table key of a matched code: the code without its key=no segments.
 * Writes a NUL-terminated key into buf (cap >= YB_CS_MAX_CODE + 1) and
 * returns its length. */
size_t yb_cs_key(const struct yb_cs_rules *rules, const struct yb_cs_shape *shape, const char *code,
                 size_t len, char *buf, size_t cap);

/* The kind whose form matches CODE whole, for the importer: returns the kind
 * name, or NULL and the verdict of the first kind whose lead matches (or a
 * "no form of <standard> starts like this" verdict). */
const char *yb_cs_classify(const struct yb_cs_rules *rules, const char *code, size_t len,
                           struct yb_code_verdict *v);

/* Split LINE in place into blank-separated tokens, the way rules files are
 * read (and other line-oriented data files of the plugins): "..." groups
 * blanks and takes \" and \\ escapes, # outside quotes starts a comment.
 * Returns the count, -1 for a quote not closed (or a word glued to its end),
 * -2 for more than MAX tokens. */
int yb_cs_tokenize(char *line, char **tok, int max);

/* ---- Tables -------------------------------------------------------------- */

/* Dates are yyyymmdd as integers; 0 = open (no begin or no end). */
struct yb_cs_entry {
    const char *kind;
    const char *code; /* the table key */
    const char *name;
    uint32_t begin_date;
    uint32_t end_date;
    const char *flags; /* comma-separated words, e.g. "gray"; "" if none */
    const char *refs;  /* blank-separated codes this entry refers to; "" if none */
};

struct yb_cs_table; /* in memory: an arena of strings and an open-addressing hash */

/* expected_rows sizes the hash (0 is fine). NULL on out of memory. */
struct yb_cs_table *yb_cs_table_new(size_t expected_rows);
void yb_cs_table_free(struct yb_cs_table *t);
/* Copy E into the table. YB_EEXIST if the code is already there. */
int yb_cs_table_add(struct yb_cs_table *t, const struct yb_cs_entry *e);
/* The entry for CODE (LEN bytes, not NUL-terminated), or NULL. */
const struct yb_cs_entry *yb_cs_table_find(const struct yb_cs_table *t, const char *code,
                                           size_t len);
size_t yb_cs_table_count(const struct yb_cs_table *t);
size_t yb_cs_table_memory(const struct yb_cs_table *t); /* bytes held */

/* Parse a date as tables write it: "2024-01-31", "20240131", "2024/01/31",
 * "2024/1/5" (spreadsheets), with an optional time after a blank or T that
 * is ignored; "" gives 0. The year has 4 digits and the date must exist.
 * Returns 0 or YB_EINVAL. */
int yb_cs_parse_date(const char *s, uint32_t *out);
uint32_t yb_cs_today(void); /* local date as yyyymmdd */

/* ---- The code-table database (SQLite) -----------------------------------
 * Schema (created on first import):
 *   code_version(standard, version, source, imported_at, rows, rejected,
 *                sample, active)      one row per imported version
 *   code_entry(standard, version, kind, code, name, begin_date, end_date,
 *              flags, refs)           the rows of every version
 * Exactly one version per standard is active. */

struct yb_cs_version {
    char version[64];
    char imported_at[32]; /* ISO 8601, UTC */
    char source[256];
    uint64_t rows, rejected;
    int sample; /* the version is a shipped sample, not an official table */
    int active;
};

/* Load STANDARD's active version (or VERSION if not NULL) into *out.
 * YB_ENOENT if the database or the standard has no such version (not an
 * error for a plugin: it then checks structure only). */
int yb_cs_db_load(const char *db_path, const char *standard, const char *version,
                  struct yb_cs_table **out, struct yb_cs_version *info, char *err, size_t errcap);

/* The versions of STANDARD (NULL: all standards), newest first; calls fn for
 * each. Returns 0, YB_ENOENT (no database) or YB_EIO. */
int yb_cs_db_versions(const char *db_path, const char *standard,
                      void (*fn)(void *arg, const char *standard, const struct yb_cs_version *v),
                      void *arg, char *err, size_t errcap);

/* Make VERSION the active one of STANDARD. */
int yb_cs_db_activate(const char *db_path, const char *standard, const char *version, char *err,
                      size_t errcap);

/* ---- Import ----------------------------------------------------------------
 * Official table layouts are CSV or TSV (chosen by the first line: a tab
 * means TSV) with a header line. codesets/<standard>/columns.tsv maps the
 * columns, so a new layout is a data change:
 *
 *   field	headers
 *   code	医保药品代码|药品代码|code
 *   name	注册名称|药品名称|name
 *   begin_date	开始日期|begin_date
 *   end_date	结束日期|end_date
 *   flags	flags
 *   refs	refs
 *
 * Only "code" is required. A "flags" header may also be given as
 * flag:WORD=HEADER (for example "flag:gray=是否灰码"), meaning: add WORD to
 * the flags when that column is 是, Y, yes, 1, true or √. Every column mapped
 * to refs contributes its codes. The import is one SQLite transaction: a
 * version is all there or absent. Bad rows (a code the rules refuse, a bad
 * date, a duplicate, a row too long, invalid UTF-8) go to the reject file,
 * which starts with a "#" line saying what it is, then one
 * "LINE<TAB>reason<TAB>raw record" per row (newlines in a record written as
 * \n); they do not stop the import. A file with a header and no rows imports
 * as an empty version (plugins then check structure only). */

struct yb_cs_import {
    const char *db_path;
    const char *standard; /* "drug" */
    const struct yb_cs_rules *rules;
    const char *columns_path; /* the columns.tsv of the standard */
    const char *file;         /* the table to import */
    const char *version;      /* NULL: the import time, yyyymmddHHMMSS */
    const char *rejects_path; /* NULL: FILE.rejects */
    int sample;               /* mark the version as a sample */
    int activate;             /* make it the active version */
    /* Optional: called about once a second and at the end. */
    void (*progress)(void *arg, uint64_t rows, uint64_t rejected, double seconds);
    void *progress_arg;
    /* Optional: a further check of each row (the CLI asks the loaded
     * plugins, e.g. that the ICD codes a day-surgery entry refers to are
     * valid). Return 0 to accept, or write a reason and return non-zero. */
    int (*row_check)(void *arg, const struct yb_cs_entry *e, char *reason, size_t cap);
    void *row_check_arg;
};

struct yb_cs_import_result {
    uint64_t rows;     /* imported */
    uint64_t rejected; /* written to the reject file */
    double seconds;
    char version[64];
    char rejects_path[4096];
};

/* Returns 0 (even with rejected rows), or a negative YB_E* with err set when
 * the file, the header or the database is unusable, or when every row was
 * rejected (nothing is imported; the reject file is kept in that last case). */
int yb_cs_import_file(const struct yb_cs_import *imp, struct yb_cs_import_result *res, char *err,
                      size_t errcap);

/* ---- Plugin glue ------------------------------------------------------------
 * A codeset plugin is a struct yb_cs_desc and the C its standard needs:
 *
 *   static const struct yb_cs_check drug_checks[] = {{"atc", check_atc}, {NULL, NULL}};
 *   static const struct yb_cs_desc drug_desc = {.standard = "drug", .checks = drug_checks};
 *   YB_CS_PLUGIN(drug, drug_desc, "1.0.0")   plugin name "codeset.drug"
 *
 * The generic init reads the plugin's section:
 *   rules PATH;             default <standard>/rules.conf (relative to data_dir)
 *   table_version V;        pin a version; default: the active one
 *   membership reject|warn|off;  what a code missing from a loaded official
 *                           table gets (default reject). A code missing from
 *                           a SAMPLE table only ever gets a warning.
 *   expired reject|warn;    a code outside its table dates (default reject)
 * loads the rules, loads the table from the host's code_tables database,
 * runs desc->setup, and registers every kind of the rules file with a
 * generic match/validate/explain. */

struct yb_cs_plugin; /* a loaded plugin's state */

/* A named check on one segment. Return 0 if it passes; otherwise fill *v
 * (status INVALID or WARN, segment, reason) and return 1. */
typedef int (*yb_cs_check_fn)(const struct yb_cs_plugin *p, const char *segment, size_t len,
                              const char *code, size_t code_len, struct yb_code_verdict *v);
struct yb_cs_check {
    const char *name;
    yb_cs_check_fn fn;
};

struct yb_cs_desc {
    const char *standard;             /* also the data folder and the table name */
    const struct yb_cs_check *checks; /* ends with {NULL, NULL}; may be NULL */
    /* Optional extra init (own data, own directives). Return 0 or YB_E*. */
    int (*setup)(struct yb_cs_plugin *p, const struct yb_conf *conf);
    void (*teardown)(struct yb_cs_plugin *p);
    /* Optional hooks (the gateway's on_request / on_response). */
    int (*on_request)(struct yb_cs_plugin *p, struct yb_txn *txn);
    int (*on_response)(struct yb_cs_plugin *p, struct yb_txn *txn);
    /* Optional: more lines for explain, after the segments and the table
     * entry (e.g. the gray flag of a diagnosis, the ATC class by level).
     * ENTRY is NULL when the code is not in the table. Returns bytes
     * written. */
    int (*explain_more)(const struct yb_cs_plugin *p, const char *kind, const char *code,
                        size_t len, const struct yb_cs_entry *entry, char *buf, size_t cap);
};

int yb_cs_plugin_init(const struct yb_cs_desc *desc, const struct yb_host *host,
                      const struct yb_conf *conf, void **state);
void yb_cs_plugin_fini(void *state);
int yb_cs_plugin_on_request(void *state, struct yb_txn *txn);
int yb_cs_plugin_on_response(void *state, struct yb_txn *txn);

const struct yb_host *yb_cs_plugin_host(const struct yb_cs_plugin *p);
const struct yb_cs_rules *yb_cs_plugin_rules(const struct yb_cs_plugin *p);
const struct yb_cs_table *yb_cs_plugin_table(const struct yb_cs_plugin *p); /* NULL: none */
const struct yb_cs_version *yb_cs_plugin_version(const struct yb_cs_plugin *p);
void *yb_cs_plugin_user(const struct yb_cs_plugin *p);
void yb_cs_plugin_set_user(struct yb_cs_plugin *p, void *user);
/* Resolve a path the way the plugin's own directives are (data_dir). */
int yb_cs_plugin_path(const struct yb_cs_plugin *p, const char *relative, char *buf, size_t cap);
/* Validate CODE as KIND exactly as the gateway would (for hooks). */
int yb_cs_plugin_validate(const struct yb_cs_plugin *p, const char *kind, const char *code,
                          size_t len, struct yb_code_verdict *v);
/* The table entry of CODE as KIND after the structural check (NULL if no
 * table, no match or no entry). */
const struct yb_cs_entry *yb_cs_plugin_lookup(const struct yb_cs_plugin *p, const char *kind,
                                              const char *code, size_t len);

/* Fill a verdict (printf-style reason). */
void yb_cs_verdict(struct yb_code_verdict *v, int status, const char *segment, const char *fmt, ...)
    YB_PRINTF(4, 5);

#define YB_CS_PLUGIN(standard, desc, version_string)                                               \
    static int yb_cs_entry_init(const struct yb_host *host, const struct yb_conf *conf,            \
                                void **state)                                                      \
    {                                                                                              \
        return yb_cs_plugin_init(&(desc), host, conf, state);                                      \
    }                                                                                              \
    static const struct yb_plugin yb_cs_entry_plugin = {                                           \
        .abi = YB_PLUGIN_ABI,                                                                      \
        .struct_size = sizeof(struct yb_plugin),                                                   \
        .name = "codeset." #standard,                                                              \
        .version = (version_string),                                                               \
        .init = yb_cs_entry_init,                                                                  \
        .on_request = yb_cs_plugin_on_request,                                                     \
        .on_response = yb_cs_plugin_on_response,                                                   \
        .fini = yb_cs_plugin_fini,                                                                 \
    };                                                                                             \
    YB_EXPORT const struct yb_plugin *yb_plugin_entry(void)                                        \
    {                                                                                              \
        return &yb_cs_entry_plugin;                                                                \
    }

#ifdef __cplusplus
}
#endif
#endif /* YBGW_CODESET_H */
