/*
 * handlers.h - the platform's transactions, one handler per infno.
 *
 * ybsim_answer takes one decoded request envelope that platform.c has
 * routed to a simulated platform, runs the transaction's handler inside
 * one SQLite transaction, and builds the platform's response envelope
 * (infcode, inf_refmsgid, refmsg_time, respond_time, err_msg, warn_msg,
 * cainfo, signtype, output). A rejected request is answered with infcode
 * -1 and changes nothing.
 */
#ifndef YBSIM_HANDLERS_H
#define YBSIM_HANDLERS_H

#include <time.h>

#include "pool.h"
#include "simconf.h"
#include "store.h"
#include "tree.h"

/* What every handler may use; one per process. */
struct ybsim_sim {
    const struct ybsim_config *conf;
    struct ybsim_store *store;
    unsigned long long serial; /* the last inf_refmsgid serial */
};

/* For the access log. Strings live in the request's pool. */
struct ybsim_result {
    int infcode;
    const char *infno;
    const char *msgid;
    const char *err_msg;
};

/* Answer request (an object; NULL when the body was not JSON, with the
 * reason in why) for platform p. path_infno is the infno named by the URL
 * (or NULL). received is when the request arrived. Returns the response
 * envelope, in pool, or NULL when memory ran out. */
struct yb_node *ybsim_answer(struct ybsim_sim *sim, const struct ybsim_platform *p,
                             struct yb_pool *pool, const struct yb_node *request, const char *why,
                             const char *path_infno, const struct timespec *received,
                             struct ybsim_result *result);

/* Load the mappings file (a TSV: fixmedins_code, fixmedins_hilist_id,
 * fixmedins_hilist_name, list_type, med_list_codg, begndate, enddate; see
 * conf/sim/mappings.tsv) in one transaction. A local code already mapped in
 * the database keeps its mapping (*kept); the others are stored (*added),
 * with upload_time now. A bad line stores nothing: "file:line: reason" in
 * err and a negative YB_E*. */
int ybsim_catalog_load_mappings(struct ybsim_store *st, const char *path, const char *now,
                                int *added, int *kept, char *err, size_t errlen);

#endif
