/*
 * store.h - the simulator's state in SQLite.
 *
 * What the platform remembers between two transactions lives here: insured
 * persons and their account balances, sign-ins, received message ids,
 * visits, fee lines, settlements, catalogue mappings, settlement lists and
 * filings (备案).
 * Each kind of row is a C struct described by a column table, so the SQL
 * (CREATE, INSERT, SELECT, UPDATE) is generated from the same table the
 * code reads and writes, and every statement is prepared once.
 *
 * Money is kept as integer fen (columns ending in _fen), counts and prices
 * as integer micro-units (_micro): exact, and summable in SQL.
 *
 * The simulator runs one request at a time on its event loop; each request
 * is one SQLite transaction (ybsim_store_begin .. commit or rollback), so a
 * rejected request leaves no trace.
 */
#ifndef YBSIM_STORE_H
#define YBSIM_STORE_H

#include <stddef.h>

#include "decimal.h"
#include "fund.h"

struct ybsim_store;

/* ---- rows ---- */

struct ybsim_person {
    char psn_no[32];
    char psn_cert_type[8];
    char certno[40];
    char psn_name[64];
    char gend[4];
    char naty[8];
    char brdy[16]; /* yyyy-MM-dd */
    char insutype[8];
    char psn_type[16];
    char psn_insu_stas[4]; /* 1 normal, 2 paused, 4 ended */
    char psn_insu_date[16];
    char paus_insu_date[16];
    char cvlserv_flag[4];
    char insuplc_admdvs[8];
    char emp_name[128];
    char ecard_token[64]; /* 电子凭证: mdtrt_cert_type 01 */
    char card_no[40];     /* 社保卡: mdtrt_cert_type 03 */
    char maf_flag[4];     /* 1: a medical-aid target */
    ybsim_dec balc;       /* personal account balance */
};

/* visit status values */
#define YBSIM_VISIT_OPEN "open"             /* registered or admitted */
#define YBSIM_VISIT_DISCHARGED "discharged" /* inpatient after 2402 */
#define YBSIM_VISIT_SETTLED "settled"
#define YBSIM_VISIT_REVOKED "revoked"

struct ybsim_visit {
    char mdtrt_id[40];
    char region[8]; /* the platform that opened it */
    char fixmedins_code[16];
    char psn_no[32];
    char insutype[8];
    char kind[4]; /* otp | ipt */
    char med_type[8];
    char ipt_otp_no[64];
    char begntime[24];
    char endtime[24];
    char dise_codg[64];
    char dise_name[256];
    char insuplc_admdvs[8];
    char mdtrt_cert_type[8];
    char mdtrt_cert_no[64];
    char dept_code[64];
    char dept_name[128];
    char dscg_way[8];
    char status[12];
    char setl_id[40]; /* the settlement while status is settled */
    char msgid[40];
    char created[24];
    int info_uploaded;         /* 2203 / 2401 info received */
    const char *info_json;     /* last mdtrtinfo/adminfo/dscginfo as sent; write-only */
    const char *diseinfo_json; /* last diseinfo as sent; write-only */
};

struct ybsim_fee {
    char mdtrt_id[40];
    char feedetl_sn[64];
    char chrg_bchno[64];
    char psn_no[32];
    char med_list_codg[64];
    char medins_list_codg[64];
    char fee_ocur_time[24];
    ybsim_dec cnt;
    ybsim_dec pric;
    ybsim_dec det_item_fee_sumamt;
    ybsim_dec pric_uplmt_amt;
    ybsim_dec selfpay_prop;
    ybsim_dec fulamt_ownpay_amt;
    ybsim_dec overlmt_amt;
    ybsim_dec preselfpay_amt;
    ybsim_dec inscp_scp_amt;
    char chrgitm_lv[4];
    char med_chrgitm_type[8];
    char setl_id[40]; /* "" while unsettled */
    int revoked;
    char msgid[40];
    const char *detail_json; /* the line as sent; write-only */
};

struct ybsim_setl {
    char setl_id[40];
    char mdtrt_id[40];
    char psn_no[32];
    char fixmedins_code[16];
    char region[8];
    char msgid[40];
    char infno[8];
    char insutype[8];
    char kind[4];
    char accum_scope[4]; /* "" = counts for every visit kind; else otp|ipt */
    char year[8];
    char med_type[8];
    char setl_time[24];
    char clr_optins[8];
    char clr_way[8];
    char clr_type[8];
    char acct_used_flag[4];
    char psn_setlway[8];
    struct ybsim_split split;
    int revoked;
    char revoke_id[40];
    char revoke_time[24];
    char revoke_msgid[40];
};

struct ybsim_mapping {
    char fixmedins_code[16];
    char fixmedins_hilist_id[64];
    char fixmedins_hilist_name[256];
    char list_type[8];
    char med_list_codg[64];
    char begndate[24]; /* yyyy-MM-dd */
    char enddate[24];  /* yyyy-MM-dd */
    char upload_time[24];
    char msgid[40];
};

/* A filing (备案, 2501 转院备案) taken by one platform: the person may be
 * treated in mdtrtarea_admdvs from begndate to enddate. */
struct ybsim_filing {
    char trt_dcla_detl_sn[40];
    char region[8]; /* the platform that took it (the insured place's) */
    char fixmedins_code[16];
    char psn_no[32];
    char insutype[8];
    char insuplc_admdvs[8];   /* the person's insured place */
    char mdtrtarea_admdvs[8]; /* where the treatment is filed for */
    char reflin_medins_no[32];
    char begndate[16]; /* yyyy-MM-dd */
    char enddate[16];  /* yyyy-MM-dd; "" = open-ended */
    char msgid[64];
    char created[24];
    int revoked;
    char revoke_time[24];
    char revoke_msgid[64];
    const char *refmedin_json; /* the 2501 input as sent; write-only */
    const char *revoke_memo;   /* 2502's memo; write-only */
};

/* ---- life cycle ---- */

/* Open (or create) the database at path (":memory:" allowed) and its
 * tables. NULL with a reason in err on failure. */
struct ybsim_store *ybsim_store_open(const char *path, char *err, size_t errlen);
void ybsim_store_close(struct ybsim_store *st);
/* The last SQLite error, for a log line. */
const char *ybsim_store_errmsg(struct ybsim_store *st);

int ybsim_store_begin(struct ybsim_store *st);
int ybsim_store_commit(struct ybsim_store *st);
void ybsim_store_rollback(struct ybsim_store *st);

/* Next value of a named counter (1, 2, ...), kept in the database so that
 * ids stay unique across restarts of a file database. */
int ybsim_store_next(struct ybsim_store *st, const char *name, long long *out);

/* ---- persons ---- */

/* Load a TSV file of persons (see conf/sim/persons.tsv for the columns).
 * Persons already in the database are kept as they are, so a file database
 * keeps its balances across restarts. "file:line: reason" on error. */
int ybsim_store_load_persons(struct ybsim_store *st, const char *path, char *err, size_t errlen);

enum ybsim_person_key { YBSIM_BY_PSN_NO, YBSIM_BY_CERTNO, YBSIM_BY_ECARD, YBSIM_BY_CARD };
/* 0 and *out, YB_ENOENT, or another negative YB_E* */
int ybsim_store_person(struct ybsim_store *st, enum ybsim_person_key by, const char *key,
                       struct ybsim_person *out);
int ybsim_store_person_set_balc(struct ybsim_store *st, const char *psn_no, ybsim_dec balc);

/* ---- message ids ---- */

/* Record a received msgid; YB_EEXIST if it was seen before. */
int ybsim_store_msgid_add(struct ybsim_store *st, const char *msgid, const char *infno,
                          const char *fixmedins_code, const char *region, const char *time);

/* A message the simulator accepted and committed (a refused one leaves no
 * row). Longer values are cut to fit. */
struct ybsim_msg {
    char msgid[64];
    char infno[16];
    char fixmedins_code[16];
    char region[8];     /* the platform that answered it */
    char recv_time[24]; /* yyyy-MM-dd HH:mm:ss */
};
/* 0 and *out, YB_ENOENT when msgid was never accepted, or YB_EIO. */
int ybsim_store_msgid_get(struct ybsim_store *st, const char *msgid, struct ybsim_msg *out);

/* ---- sign-in ---- */

int ybsim_store_sign_add(struct ybsim_store *st, const char *sign_no, const char *fixmedins_code,
                         const char *opter_no, const char *mac, const char *ip, const char *region,
                         const char *time);
/* 0 if sign_no is an active sign-in of fixmedins_code, else YB_ENOENT. */
int ybsim_store_sign_active(struct ybsim_store *st, const char *sign_no,
                            const char *fixmedins_code);
/* End an active sign-in; YB_ENOENT if there is none. */
int ybsim_store_sign_close(struct ybsim_store *st, const char *sign_no, const char *fixmedins_code,
                           const char *time);

/* ---- visits ---- */

int ybsim_store_visit_add(struct ybsim_store *st, const struct ybsim_visit *v);
int ybsim_store_visit(struct ybsim_store *st, const char *mdtrt_id, struct ybsim_visit *out);
int ybsim_store_visit_update(struct ybsim_store *st, const struct ybsim_visit *v);
/* An inpatient visit of the person that is open or discharged but not
 * settled; 0 and *out, or YB_ENOENT. */
int ybsim_store_visit_inpatient(struct ybsim_store *st, const char *psn_no,
                                struct ybsim_visit *out);

/* ---- fee lines ---- */

/* YB_EEXIST if a live line with this feedetl_sn exists in the visit. */
int ybsim_store_fee_add(struct ybsim_store *st, const struct ybsim_fee *f);
/* Call fn for each live unsettled line of the visit, in upload order.
 * fn returns 0 to go on or a negative value to stop with it. */
int ybsim_store_fee_each(struct ybsim_store *st, const char *mdtrt_id,
                         int (*fn)(const struct ybsim_fee *f, void *arg), void *arg);
/* Live lines of the visit: all of them, and those already settled. */
int ybsim_store_fee_count(struct ybsim_store *st, const char *mdtrt_id, int *live, int *settled);
/* Revoke the live unsettled lines of the visit matching chrg_bchno and
 * feedetl_sn (NULL or "" matches any); *count says how many. */
int ybsim_store_fee_revoke(struct ybsim_store *st, const char *mdtrt_id, const char *chrg_bchno,
                           const char *feedetl_sn, int *count);
/* Number of live settled lines matching (so a revoke can say why it did
 * nothing). */
int ybsim_store_fee_count_settled(struct ybsim_store *st, const char *mdtrt_id,
                                  const char *chrg_bchno, const char *feedetl_sn, int *count);
/* Mark all live unsettled lines of the visit as settled by setl_id, or
 * (setl_id NULL) make the lines of settlement `from` unsettled again. */
int ybsim_store_fee_settle(struct ybsim_store *st, const char *mdtrt_id, const char *setl_id,
                           const char *from);

/* ---- settlements ---- */

int ybsim_store_setl_add(struct ybsim_store *st, const struct ybsim_setl *s);
int ybsim_store_setl(struct ybsim_store *st, const char *setl_id, struct ybsim_setl *out);
int ybsim_store_setl_update(struct ybsim_store *st, const struct ybsim_setl *s);
/* The settlement made by a message id at an institution; YB_ENOENT if none. */
int ybsim_store_setl_by_msgid(struct ybsim_store *st, const char *msgid, const char *fixmedins_code,
                              struct ybsim_setl *out);
/* What the person has used this year of the deductible and the pooled fund,
 * from settlements not revoked; scope "" counts every visit kind. */
int ybsim_store_year_used(struct ybsim_store *st, const char *psn_no, const char *year,
                          const char *insutype, const char *scope, ybsim_dec *dedc_used,
                          ybsim_dec *pool_used);

/* ---- catalogue mappings (3301/3302/1312, and the fee-line check) ---- */

/* Store m as the one mapping of (fixmedins_code, fixmedins_hilist_id),
 * replacing any earlier one (of any list_type). */
int ybsim_store_mapping_put(struct ybsim_store *st, const struct ybsim_mapping *m);
/* The mapping of a local code: 0 and *out, YB_ENOENT, or YB_EIO. */
int ybsim_store_mapping_get(struct ybsim_store *st, const char *fixmedins_code,
                            const char *fixmedins_hilist_id, struct ybsim_mapping *out);
/* YB_ENOENT if no such mapping */
int ybsim_store_mapping_delete(struct ybsim_store *st, const char *fixmedins_code,
                               const char *fixmedins_hilist_id, const char *list_type,
                               const char *med_list_codg);
/* Mappings of an institution, optionally only those to med_list_codg. */
int ybsim_store_mapping_each(struct ybsim_store *st, const char *fixmedins_code,
                             const char *med_list_codg,
                             int (*fn)(const struct ybsim_mapping *m, void *arg), void *arg);

/* ---- settlement lists (4101/4101A) ---- */

/* Store (or replace) the list of a settlement; body is the input as JSON. */
int ybsim_store_setl_list_put(struct ybsim_store *st, const char *setl_id,
                              const char *fixmedins_code, const char *infno, const char *time,
                              const char *msgid, const char *body, int *replaced);

/* ---- filings (2501/2502 and the off-site registration check) ---- */

int ybsim_store_filing_add(struct ybsim_store *st, const struct ybsim_filing *f);
/* The filing with this sn (of any platform): 0 and *out, YB_ENOENT, or YB_EIO. */
int ybsim_store_filing(struct ybsim_store *st, const char *trt_dcla_detl_sn,
                       struct ybsim_filing *out);
int ybsim_store_filing_update(struct ybsim_store *st, const struct ybsim_filing *f);
/* Call fn for each filing of psn_no taken by platform `region` that is not
 * revoked and covers date (yyyy-MM-dd: begndate <= date, and date <=
 * enddate unless enddate is ""), oldest first. fn returns 0 to go on or a
 * non-zero value to stop with it. */
int ybsim_store_filing_each(struct ybsim_store *st, const char *psn_no, const char *region,
                            const char *date, int (*fn)(const struct ybsim_filing *f, void *arg),
                            void *arg);

/* Write "PATH:LINE: " and the message into err (a bad line of a TSV file
 * the simulator loads); returns YB_EINVAL. */
int ybsim_tsv_error(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
