/*
 * simconf.h - the simulator's configuration (conf/sim.conf).
 *
 * The same language as the gateway's (conf.h): top-level switches, one
 * `platform NAME { ... }` block per simulated platform, `policy` blocks for
 * the benefit policy (fund.h), and a `catalog { ... }` block that decides
 * the charge level of a national code. Everything is read once at start;
 * a bad file gives "file:line: reason".
 */
#ifndef YBSIM_SIMCONF_H
#define YBSIM_SIMCONF_H

#include <stddef.h>

#include "decimal.h"
#include "fund.h"

#define YBSIM_MAX_SERVES 32

/* One simulated platform: the national one (100000) or a provincial one. */
struct ybsim_platform {
    char *name;
    char region[8];                 /* 6 digits; starts every id it issues */
    char *serves[YBSIM_MAX_SERVES]; /* admdvs prefixes it answers for */
    int nserves;
    int is_default;   /* answers what no other platform serves */
    char *listen;     /* "127.0.0.1:9900" */
    const char *file; /* where it was defined (not owned) */
    int line;
    struct ybsim_platform *next;
};

/* How a national code gets its charge level when no item row names it:
 * the first shape whose prefix matches wins ("digits" matches an all-digit
 * code, "other" matches anything). */
struct ybsim_shape {
    char prefix[16];
    int level;            /* enum ybsim_level */
    char chrgitm_type[8]; /* 医疗收费项目类别 med_chrgitm_type */
};

struct ybsim_item {
    char code[64];
    int level;
    char chrgitm_type[8];
    ybsim_dec pric_uplmt; /* 0 = no cap */
    char name[128];
    struct ybsim_item *next;
};

#define YBSIM_MAX_SHAPES 16

/* require_filing: which registrations (2201, 2401) need an active filing
 * (2501) at the answering platform. The order is the one of the
 * directive's words. */
enum ybsim_filing_rule {
    YBSIM_FILING_OFF,            /* none */
    YBSIM_FILING_CROSS_PROVINCE, /* treatment and insured place in two provinces */
    YBSIM_FILING_OFF_SITE,       /* treatment and insured place in two pools */
};

struct ybsim_config {
    char *path;     /* the file itself */
    char *database; /* default ":memory:" */
    char *persons;
    char *mappings;             /* optional: mappings filed before (a TSV), loaded when missing */
    int check_mapping;          /* default off: 2204/2301 lines need a valid 3301 mapping */
    int require_filing;         /* enum ybsim_filing_rule, default off */
    int require_sign_in;        /* default on */
    int reject_duplicate_msgid; /* default on */
    int strict_msgid;           /* default off: msgid must be 30 chars and start with
                                   fixmedins_code */
    int access_log;             /* default on: one line per request on stderr */
    int faults;                 /* default off: /sim/fault may arm injected faults (fault.h) */
    size_t max_body;            /* default 4m */
    struct ybsim_platform *platforms;
    struct ybsim_policy *policies;
    struct ybsim_item *items;
    struct ybsim_shape shapes[YBSIM_MAX_SHAPES];
    int nshapes;
    struct yb_conf *root; /* kept so that file names in messages stay valid */
};

/* Read and check a configuration. 0, or a negative YB_E* with
 * "file:line: reason" in err. Free with ybsim_config_free (also after a
 * failure). */
int ybsim_config_load(const char *path, struct ybsim_config *conf, char *err, size_t errlen);
void ybsim_config_free(struct ybsim_config *conf);

/* What the catalogue says about a national code (never fails: an unknown
 * code falls to the shapes, and at worst to 丙 / "14"). *item is the item
 * row when one matched, else NULL. */
struct ybsim_charge {
    int level;
    const char *chrgitm_type;
    ybsim_dec pric_uplmt;
    const char *name;
};
void ybsim_catalog_charge(const struct ybsim_config *conf, const char *med_list_codg,
                          struct ybsim_charge *out, const struct ybsim_item **item);

#endif
