/*
 * filing.h - the off-site filing registry (备案) of the offsite plugin.
 *
 * A cross-province transaction needs a prior filing by the insured person
 * (2501 转院备案 and the others of 2501-2507; 2502 revokes one). The offsite
 * plugin learns filings from the platform's answers that pass through the
 * gateway and asks this registry, on the request path, whether a person has
 * a filing active on a date.
 *
 * The registry is in memory for the hooks (a hash by psn_no under a rwlock;
 * add, revoke and active never touch the disk) and persisted in SQLite
 * (WAL) by a writer thread (filing_store.c). Instances that open the same
 * store share one registry, refcounted, so a plugin reloaded on SIGHUP sees
 * what the old instance recorded, and nothing queued is lost in between.
 *
 * Every function may be called from several threads at once, except that a
 * handle must not be used after yb_filings_close.
 */
#ifndef YBGW_OFFSITE_FILING_H
#define YBGW_OFFSITE_FILING_H

#include <stddef.h>
#include <stdint.h>

#include "ybgw/ybgw.h"

/* clang-format off */
struct yb_filing {
    char psn_no[31];
    char insuplc[7];   /* insured place, 6 digits */
    char sn[31];       /* trt_dcla_detl_sn */
    char begndate[11]; /* yyyy-MM-dd, "" = open */
    char enddate[11];  /* yyyy-MM-dd, "" = open */
    char infno[8];     /* the transaction that filed it */
    char msgid[41];
};
struct yb_filings;
/* Open (create) the store at PATH, load what it holds, start its writer
 * thread. Instances that open the same PATH share one registry (refcounted),
 * so a reloaded plugin sees what the old one recorded. Logs through HOST. */
int yb_filings_open(const char *path, const struct yb_host *host, struct yb_filings **out);
void yb_filings_close(struct yb_filings *f); /* drops the reference; the last one flushes and stops */
int yb_filings_add(struct yb_filings *f, const struct yb_filing *rec); /* memory now, disk soon */
int yb_filings_revoke(struct yb_filings *f, const char *psn_no, const char *sn, const char *msgid); /* YB_ENOENT if unknown */
/* 1 if PSN_NO has a filing active on DATE (yyyy-MM-dd), copied to *out when out != NULL; 0 if not */
int yb_filings_active(struct yb_filings *f, const char *psn_no, const char *date, struct yb_filing *out);
void yb_filings_flush(struct yb_filings *f); /* wait until written; for tests and fini */
/* clang-format on */

/*
 * More of the contract, in detail:
 *
 * yb_filings_open: PATH names the same store as an open registry when it is
 * the same file (device and inode), however it is spelled. Each call returns
 * its own handle, which logs through its own HOST; the writer thread logs
 * through the newest open handle. The folder of PATH must exist. Returns 0,
 * YB_EINVAL (no path, or not a regular file, or a schema this ybgw does not
 * know), YB_EIO (SQLite cannot open or read it) or YB_ENOMEM; the reason is
 * logged through HOST.
 *
 * yb_filings_add: checks REC (yb_filing_check), then records it: a filing
 * with the same psn_no and sn (the platform answered twice) is replaced, a
 * revoked one becomes active again. Returns 0, YB_EINVAL (REC broke a rule;
 * logged with the field and the rule), YB_ELIMIT (the person already has
 * YB_FILINGS_PER_PERSON filings) or YB_ENOMEM.
 *
 * yb_filings_revoke: MSGID (the 2502's, may be NULL or "") is stored as
 * revoked_by. Returns 0, YB_ENOENT when the registry holds no active filing
 * PSN_NO/SN (nothing is written then), or YB_EINVAL for a malformed argument.
 *
 * yb_filings_active: when several filings are active on DATE, *out gets the
 * one that began last (an open begin counts as earliest). Returns 1, 0, or
 * YB_EINVAL (negative) when PSN_NO or DATE is malformed: test for == 1 (or
 * > 0), never for non-zero.
 *
 * yb_filings_flush: waits until everything added or revoked before the call
 * is written (or given up after the retries, which is logged and counted).
 */

/* A person with more active filings than this is refused (YB_ELIMIT): the
 * registry holds what a gateway learnt from the platform, never a list an
 * input could grow without bound. */
#define YB_FILINGS_PER_PERSON 64

/* Check REC against the rules add applies: every field NUL-terminated
 * within its array (too long is refused, never truncated); psn_no and sn
 * 1-30 printable ASCII characters without spaces; insuplc 6 digits; dates
 * yyyy-MM-dd (a real calendar day) or empty, begndate <= enddate when both
 * are set; infno digits (may be empty); msgid printable ASCII (may be
 * empty). Returns 0, or YB_EINVAL with a sentence naming the field and the
 * rule in WHY (when WHY != NULL). */
int yb_filing_check(const struct yb_filing *rec, char *why, size_t cap);

/* Copy LEN bytes of SRC into the field DST of CAP bytes and terminate it:
 * 0, or YB_EINVAL (DST untouched) when LEN does not fit. For callers that
 * fill a struct yb_filing from a message, so that a too long value is
 * refused rather than cut. */
int yb_filing_set(char *dst, size_t cap, const char *src, size_t len);

/* 1 if DATE is a yyyy-MM-dd calendar day, else 0. */
int yb_filing_date_ok(const char *date);

/* What the handle's registry holds and has lost, for metrics and tests:
 * the active filings in memory, the handles open on it, and the writes given
 * up after the retries since the registry was opened. */
size_t yb_filings_count(struct yb_filings *f);
unsigned yb_filings_users(struct yb_filings *f);
uint64_t yb_filings_lost(struct yb_filings *f);

/* ---- the store (filing_store.c), for filing.c only -----------------------
 * One SQLite file, table offsite_filing, one row per filing, never deleted:
 * a revoke sets revoked_at and revoked_by. The store owns its connection and
 * its writer thread; hooks hand changes over with put and revoke, which copy
 * them and return at once. The queue has no cap: the platform accepted every
 * change in it, so dropping one would be losing data. A failed write is
 * retried with a growing pause; what still fails is logged in full and
 * counted as lost. */
struct yb_filing_store;

/* How the store logs: a finished message at LEVEL (enum yb_log_level). */
typedef void (*yb_filing_log_fn)(void *arg, int level, const char *msg);

/* Open (create) the store at PATH, call EACH for every unrevoked row (a row
 * that breaks a rule of yb_filing_check is logged and skipped; a non-zero
 * return from EACH stops the open with that value), then start the writer.
 * Logs through LOG(ARG), from the opening thread and later from the writer
 * thread. */
int yb_filing_store_open(const char *path, yb_filing_log_fn log, void *arg,
                         int (*each)(void *arg, const struct yb_filing *rec),
                         struct yb_filing_store **out);
/* Queue a copy of an add, or of a revoke of PSN_NO/SN by MSGID (may be NULL).
 * Return 0, or YB_ENOMEM. */
int yb_filing_store_put(struct yb_filing_store *st, const struct yb_filing *rec);
int yb_filing_store_revoke(struct yb_filing_store *st, const char *psn_no, const char *sn,
                           const char *msgid);
/* Wait until everything queued before the call is written or given up. */
void yb_filing_store_flush(struct yb_filing_store *st);
/* Changes given up after the retries, since open. */
uint64_t yb_filing_store_lost(struct yb_filing_store *st);
/* Write what is queued, stop the thread, close and free. */
void yb_filing_store_close(struct yb_filing_store *st);

#endif
