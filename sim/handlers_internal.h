/*
 * handlers_internal.h - what the transaction handlers share; not for main.c
 * or platform.c, which use handlers.h.
 *
 * A handler gets a struct ybsim_ctx: the request (envelope and input), the
 * output object to fill, the store and the configuration. It reads fields
 * with ybsim_get/ybsim_get_dec (which reject a missing or malformed field by
 * name), writes the answer with ybsim_put_*, and rejects a request by
 * returning ybsim_fail(...), which records the err_msg; handlers.c then
 * rolls the database back. Output helpers never fail: a node that cannot be
 * made sets ctx->oom, and the request is refused at the end.
 *
 * Each group of transactions lives in its own file (visits.c, fees.c,
 * settlements.c, catalog.c, filings.c) with its own table of handlers; handlers.c
 * looks an infno up in all of them.
 */
#ifndef YBSIM_HANDLERS_INTERNAL_H
#define YBSIM_HANDLERS_INTERNAL_H

#include <stddef.h>

#include "buf.h"
#include "decimal.h"
#include "fund.h"
#include "handlers.h"
#include "simconf.h"
#include "store.h"
#include "tree.h"

#define YBSIM_ERR_MAX 1024

struct ybsim_ctx {
    struct ybsim_sim *sim;
    const struct ybsim_config *conf;
    struct ybsim_store *st;
    const struct ybsim_platform *platform; /* the platform answering */
    struct yb_pool *pool;                  /* the request's; freed after the answer */
    const struct yb_node *req;             /* the envelope */
    const struct yb_node *input;           /* its input object (an empty one if absent) */
    struct yb_node *output;                /* the answer's output object */
    const char *infno, *msgid, *fixmedins_code, *sign_no;
    char now[20];   /* yyyy-MM-dd HH:mm:ss */
    char stamp[15]; /* yyyyMMddHHmmss */
    char year[5];
    char err[YBSIM_ERR_MAX];
    struct yb_buf warn;
    int oom; /* an output node could not be made */
};

struct ybsim_handler {
    const char *infno; /* NULL ends a table */
    const char *name;  /* the platform's name for it */
    int (*fn)(struct ybsim_ctx *c);
    int needs_sign_in;
};

/* The tables, each ended by a NULL infno. */
extern const struct ybsim_handler ybsim_visit_handlers[];
extern const struct ybsim_handler ybsim_fee_handlers[];
extern const struct ybsim_handler ybsim_settlement_handlers[];
extern const struct ybsim_handler ybsim_catalog_handlers[];
extern const struct ybsim_handler ybsim_filing_handlers[];

/* ---- rejecting and warning ---- */

/* Record err_msg (Chinese rule first, then English detail); returns
 * YB_EINVAL for the handler to return. */
int ybsim_fail(struct ybsim_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add to warn_msg ("; " between warnings). */
void ybsim_warn(struct ybsim_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reject for a store error rc ("系统内部错误"). */
int ybsim_db_fail(struct ybsim_ctx *c, int rc);

/* ---- reading the request ---- */

/* Copy obj.key into buf[cap]. Missing/empty and required, not a scalar, or
 * too long: rejects, naming where.key. Missing and optional: buf is "". */
int ybsim_get(struct ybsim_ctx *c, const struct yb_node *obj, const char *where, const char *key,
              char *buf, size_t cap, int required);
/* obj.key as an exact decimal with at most `places` places (number or
 * string); missing and optional leaves *out 0. */
int ybsim_get_dec(struct ybsim_ctx *c, const struct yb_node *obj, const char *where,
                  const char *key, unsigned places, ybsim_dec *out, int required);
/* input.key, which must be an object; NULL with *rc set otherwise. */
const struct yb_node *ybsim_input_object(struct ybsim_ctx *c, const char *key, int *rc);
/* input.key as a non-empty list (a lone object counts as a list of one);
 * *count items, read them with ybsim_list_item. */
const struct yb_node *ybsim_input_list(struct ybsim_ctx *c, const char *key, size_t *count,
                                       int *rc);
const struct yb_node *ybsim_list_item(const struct yb_node *list, size_t i);
/* n as compact JSON in the request's pool; NULL if n is NULL. */
const char *ybsim_json_text(struct ybsim_ctx *c, const struct yb_node *n);

/* ---- writing the answer ---- */

struct yb_node *ybsim_new_node(struct ybsim_ctx *c, enum yb_node_type type);
/* Append obj.key = n (obj or n may be NULL after an allocation failure). */
void ybsim_put(struct ybsim_ctx *c, struct yb_node *obj, const char *key, struct yb_node *n);
void ybsim_put_str(struct ybsim_ctx *c, struct yb_node *obj, const char *key, const char *value);
void ybsim_put_number(struct ybsim_ctx *c, struct yb_node *obj, const char *key,
                      const char *literal);
/* An amount: a JSON number with exactly 2 places. */
void ybsim_put_amount(struct ybsim_ctx *c, struct yb_node *obj, const char *key, ybsim_dec v);
/* A count, price or ratio: 2 places, more where the value has them. */
void ybsim_put_fine(struct ybsim_ctx *c, struct yb_node *obj, const char *key, ybsim_dec v);
void ybsim_put_int(struct ybsim_ctx *c, struct yb_node *obj, const char *key, long long v);
/* Text for messages, in the request's pool. */
const char *ybsim_fmt_amount(struct ybsim_ctx *c, ybsim_dec v);
const char *ybsim_fmt_fine(struct ybsim_ctx *c, ybsim_dec v);
const char *ybsim_fmt_percent(struct ybsim_ctx *c, ybsim_dec ratio);

/* A new 30-character id: region + yyyyMMddHHmmss + 10-digit serial of the
 * named counter. */
int ybsim_new_id(struct ybsim_ctx *c, const char *counter, char *buf, size_t cap);

/* ---- shared checks (each rejects with a message on failure) ---- */

int ybsim_load_person(struct ybsim_ctx *c, const char *psn_no, struct ybsim_person *p);
/* insutype (if given) is the person's, and the insurance is not paused */
int ybsim_check_insured(struct ybsim_ctx *c, const struct ybsim_person *p, const char *insutype);
/* by 就诊凭证: 01 电子凭证, 02 身份证, 03 社保卡 */
int ybsim_person_by_cert(struct ybsim_ctx *c, const char *type, const char *no,
                         struct ybsim_person *p);
/* a given certificate belongs to p */
int ybsim_check_cert(struct ybsim_ctx *c, const struct ybsim_person *p, const char *type,
                     const char *no);
/* "门诊 outpatient" / "住院 inpatient" for "otp" / "ipt" */
const char *ybsim_kind_name(const char *kind);
/* a visit of this institution, of psn_no (unless ""), of this kind */
int ybsim_load_visit(struct ybsim_ctx *c, const char *mdtrt_id, const char *psn_no,
                     const char *kind, struct ybsim_visit *v);
/* in.mdtrt_id and in.psn_no, then ybsim_load_visit */
int ybsim_visit_from(struct ybsim_ctx *c, const struct yb_node *in, const char *where,
                     const char *kind, struct ybsim_visit *v);
/* not revoked and not settled */
int ybsim_check_visit_live(struct ybsim_ctx *c, const struct ybsim_visit *v);
/* the policy for p's insured place, insutype and the visit kind; NULL after
 * rejecting */
const struct ybsim_policy *ybsim_find_policy(struct ybsim_ctx *c, const struct ybsim_person *p,
                                             const char *insutype, const char *kind);
/* With check_mapping on: the fee line f (at where, "input.feedetail[2]")
 * names a local code (medins_list_codg) this institution mapped with 3301
 * (or the mappings file) to the line's med_list_codg, for the date of its
 * fee_ocur_time; else rejects (目录对照信息不存在, 目录对照不符,
 * 目录对照不在有效期). Off: always 0. */
int ybsim_check_fee_mapping(struct ybsim_ctx *c, const char *where, const struct ybsim_fee *f);
/* With require_filing cross-province (off-site): a registration (2201,
 * 2401; its input object at where) of person p whose envelope
 * mdtrtarea_admvs and insuplc_admdvs (the person's insured place when the
 * envelope leaves it empty) lie in two provinces (pools) needs a filing
 * (2501) taken by this platform, not revoked, for a region covering
 * mdtrtarea_admvs, whose dates cover the date of begntime; else rejects
 * (异地就医未备案). Off, or a visit that is not off-site: 0. */
int ybsim_check_filing(struct ybsim_ctx *c, const struct ybsim_person *p, const char *where,
                       const char *begntime);
/* whole years from brdy to now (both yyyy-MM-dd...) */
int ybsim_age_of(const char *brdy, const char *now);
/* Date s (yyyy-MM-dd, yyyyMMdd or yyyy/MM/dd: a real calendar date, year
 * 1900 to 2999, optionally followed by " " or "T" and a time of digits,
 * ':' and '.') written as "yyyy-MM-dd" into out; the time is dropped.
 * 0, or YB_EINVAL. */
int ybsim_date_norm(const char *s, char out[11]);

#endif
