/*
 * idem.h - the idempotency index: for every settlement-class transaction
 * (journal `idempotent` infnos), which msgid was seen, with which body, and
 * how far it got. One index per process, shared by the workers and kept
 * across reloads; at start it is filled from the journal (yb_journal_scan),
 * so a repeat after a restart is still recognised.
 *
 * The journal row is the truth; the index only lets a worker decide without
 * touching the disk:
 *   new msgid                  claimed (in flight): go on and forward it
 *   same msgid, other body     refused
 *   in flight                  the repeat waits for the first one's end
 *   answered                   the stored answer (read from the journal)
 *   failed                     known not to have reached the platform: the
 *                              repeat is claimed and forwarded afresh
 *   unknown                    refused: resolved by reversal or an operator,
 *                              never by sending it again
 *
 * Memory: about 120 bytes an entry. Entries older than the window are
 * dropped as new ones come (and never one in flight).
 */
#ifndef YB_IDEM_H
#define YB_IDEM_H

#include <stddef.h>
#include <stdint.h>

#define YB_IDEM_MSGID_MAX 64 /* longer msgids are not indexed (and refused by the envelope) */

enum yb_idem_state {
    YB_IDEM_NEW = 0, /* claim: the msgid was free (or free again) and is now in flight */
    YB_IDEM_INFLIGHT,
    YB_IDEM_ANSWERED,
    YB_IDEM_FAILED,
    YB_IDEM_UNKNOWN,
    YB_IDEM_CONFLICT, /* claim: the msgid is taken by a different body */
};

struct yb_idem_hit {
    int state;          /* enum yb_idem_state */
    int64_t journal_id; /* the first transaction's row, 0 before it has one */
    int64_t since_ms;   /* when the first transaction was received */
    char infno[8];
};

struct yb_idem;

/* An index that forgets entries older than window_ms (0: never). NULL when
 * memory runs out. Thread-safe. */
struct yb_idem *yb_idem_new(long window_ms);
void yb_idem_free(struct yb_idem *ix);

/* Claim msgid for a transaction whose decoded body hashes to hash (64 hex).
 * Returns the state found: YB_IDEM_NEW when claimed (also when the msgid was
 * FAILED with the same body), YB_IDEM_CONFLICT for another body, else the
 * entry's state; hit says more. YB_ENOMEM, YB_EINVAL (msgid too long or
 * empty, hash malformed). */
int yb_idem_claim(struct yb_idem *ix, const char *msgid, const char *infno, const char *hash,
                  int64_t now_ms, struct yb_idem_hit *hit);

/* The entry's state now (for a waiting repeat). YB_ENOENT when absent. */
int yb_idem_peek(struct yb_idem *ix, const char *msgid, struct yb_idem_hit *hit);

/* The claimed transaction moved on: its journal row, and a state among
 * INFLIGHT (row written), ANSWERED, FAILED, UNKNOWN. */
void yb_idem_set(struct yb_idem *ix, const char *msgid, int state, int64_t journal_id);

/* At start-up: an entry from the journal (state from the row's status). */
int yb_idem_put(struct yb_idem *ix, const char *msgid, const char *infno, const char *hash,
                int state, int64_t journal_id, int64_t since_ms);

size_t yb_idem_count(struct yb_idem *ix);

#endif
