/*
 * off_internal.h - what the offsite plugin's files share: its state (the
 * route table, the pools and the off-site rules, all read-only after init),
 * the configuration reader (off_conf.c), the rules engine (off_rules.c) and
 * the hooks (offsite.c).
 *
 * Region codes are kept as text: a pattern is 2 to 6 digits and matches the
 * codes that start with it; a code is always 6 digits by the time it is
 * matched. Every rule keeps the file:line it came from, for messages.
 */
#ifndef YB_OFF_INTERNAL_H
#define YB_OFF_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>

#include "filing.h"
#include "ybgw/ybgw.h"

/* Caps on what one configuration may hold (untrusted input). */
#define OFF_MAX_ROUTES 4096
#define OFF_MAX_POOL_PREFIXES 4096
#define OFF_MAX_RULES 1024
#define OFF_MAX_WORDS 64   /* infno patterns on one line, codes on one home line */
#define OFF_MAX_PATHS 16   /* paths on one require line */
#define OFF_MAX_SEGMENTS 8 /* dots in one path */
#define OFF_MAX_TIMEOUT_MS (10L * 60 * 1000)

/* A patient's class, and the class words of the rules as masks. */
enum off_class { OFF_LOCAL = 0, OFF_IN_PROVINCE = 1, OFF_CROSS_PROVINCE = 2 };
#define OFF_MASK(class) (1u << (class))
#define OFF_MASK_OFFSITE (OFF_MASK(OFF_IN_PROVINCE) | OFF_MASK(OFF_CROSS_PROVINCE))

/* "file:line" of a directive, shortened to fit */
typedef char off_where[128];

struct off_route {
    char pattern[8]; /* 2-6 digits, or "" for default */
    size_t len;      /* strlen(pattern); 0 = default */
    char upstream[72];
    long timeout_ms; /* 0: the upstream's own */
    off_where where;
};

struct off_pool_prefix {
    char prefix[8]; /* codes starting with it ... */
    size_t len;
    char pool[8]; /* ... belong to this pool */
    off_where where;
};

/* An infno pattern: exact "2207", or a prefix "25*". */
struct off_infno {
    char text[16];
    size_t len;
    int prefix;
};

struct off_infnos {
    struct off_infno item[OFF_MAX_WORDS];
    size_t n;
};

/* A dotted path into `input` (or `output`): "mdtrtinfo.dise_codg",
 * "diseinfo[].diag_code". A segment marked list stands for every item. */
struct off_path {
    char text[128];
    size_t n;
    struct {
        char name[48];
        int list;
    } seg[OFF_MAX_SEGMENTS];
};

/* deny, require and filing lines */
struct off_rule {
    unsigned classes; /* OFF_MASK bits */
    struct off_infnos infnos;
    struct off_path paths[OFF_MAX_PATHS]; /* require: fields; filing: psn_no */
    size_t n_paths;
    off_where where;
};

/* filing_record and filing_revoke lines */
struct off_learn {
    char infno[16];
    struct off_path psn;
    struct off_path begin; /* record only */
    struct off_path end;   /* record only */
    struct off_path sn;    /* record: in output; revoke: in input */
    off_where where;
};

struct offsite {
    const struct yb_host *h;

    struct off_route *routes; /* sorted by pattern; default kept apart */
    size_t n_routes;
    struct off_route fallback; /* the `default` route, if has_default */
    int has_default;

    struct off_pool_prefix *pools; /* sorted by prefix */
    size_t n_pools;

    int route_by_mdtrtarea; /* route_by mdtrtarea */
    struct off_infnos local_only;
    char home[OFF_MAX_WORDS][8]; /* pools of this gateway's hospitals */
    size_t n_home;
    int unknown_region; /* enum yb_policy */

    struct off_rule *deny, *require, *filing;
    size_t n_deny, n_require, n_filing;
    int filing_policy; /* enum yb_policy */
    char filings_path[4096];
    off_where filings_where;
    struct off_learn *record, *revoke;
    size_t n_record, n_revoke;
    struct yb_filings *filings; /* NULL when no store is configured */

    /* the admdvs kind, looked up at the first request (kinds exist only once
     * every plugin has loaded): 0 not yet, 1 found, 2 not loaded */
    atomic_int kind_state;
    _Atomic(const struct yb_code_kind *) kind;
};

/* off_conf.c: read the plugin's section into O (O->h set, the rest zero).
 * Logs every error with file:line and returns a negative YB_E*. */
int yb_off_configure(struct offsite *o, const struct yb_conf *conf);
/* Free what yb_off_configure allocated (not the filings store, not O). */
void yb_off_unconfigure(struct offsite *o);
/* Parse TEXT as a dotted path (LIST_OK: "name[]" segments allowed) into
 * *out; 0 or YB_EINVAL with the reason in why[0..cap). */
int yb_off_parse_path(const char *text, int list_ok, struct off_path *out, char *why, size_t cap);

/* off_rules.c: matching and the per-transaction rules. */
/* The pool a 6-digit CODE belongs to, into out[7]. */
void yb_off_pool_of(const struct offsite *o, const char *code, char out[8]);
/* The longest route matching the 6-digit KEY (or the default), or NULL. */
const struct off_route *yb_off_route_for(const struct offsite *o, const char *key);
int yb_off_infno_matches(const struct off_infnos *list, const char *infno);
const char *yb_off_class_word(int class);
/* "a cross-province patient", "an in-province off-site patient", ... */
const char *yb_off_a_patient(int class);
/* The scalar text at PATH under ROOT (no list segments), or NULL if missing
 * or not a scalar. */
const char *yb_off_text_at(const struct offsite *o, const struct yb_node *root,
                           const struct off_path *path);

/* What the hook knows of one transaction, for the rules. */
struct off_case {
    struct yb_txn *txn;
    const char *infno;
    const char *mdtrtarea; /* 6 digits */
    const char *insuplc;   /* 6 digits, or "" */
    const char *date;      /* the day the filing must be active on, yyyy-MM-dd */
    int class;             /* enum off_class */
    const struct yb_node *input;
    int errors; /* error findings this plugin added */
};

/* The deny, require and filing rules for C (an off-site case); findings go
 * to C->txn and error findings are counted in C->errors. */
void yb_off_check_rules(struct offsite *o, struct off_case *c);

#endif
