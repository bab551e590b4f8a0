/*
 * txn.h - one transaction on its way through the gateway.
 *
 * A txn is born when a HIS request has been read, owns a pool that holds
 * everything made for it (the decoded tree, findings, the encoded bodies),
 * and dies after the answer has been sent. txn.c runs the stages of
 * DESIGN.md in order: decode, envelope, schema, plugins, upstream, response.
 * Each stage passes the txn on or ends it with a platform-style error.
 */
#ifndef YB_TXN_H
#define YB_TXN_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "pool.h"
#include "tree.h"

struct yb_snapshot;
struct yb_worker;
struct evhttp_request;
struct yb_upstream_call;
struct yb_jwait;
struct event;

enum yb_format { YB_FORMAT_JSON = 0, YB_FORMAT_XML = 1 };

/* How the transaction ended, for metrics and logs. */
enum yb_outcome {
    YB_OUTCOME_OK = 0,        /* the platform answered infcode 0 */
    YB_OUTCOME_PLATFORM_ERROR, /* the platform answered, infcode != 0 */
    YB_OUTCOME_REJECTED,      /* refused by the gateway's checks */
    YB_OUTCOME_UPSTREAM_ERROR, /* no usable answer from the platform */
    YB_OUTCOME_GATEWAY_ERROR, /* the gateway failed internally */
};

struct yb_txn {
    struct yb_pool *pool;   /* the request: capped at txn_memory */
    struct yb_pool *answer; /* findings and the answer (platform's or our own) */
    struct yb_diag diag;
    struct yb_worker *worker;
    struct yb_snapshot *snap; /* the configuration this txn started on (held) */
    struct evhttp_request *req;

    int format; /* enum yb_format of the caller */
    char encoding[32]; /* XML encoding of the caller */
    const char *infno; /* "" until known */
    const char *msgid;
    struct yb_node *request;  /* the envelope, as decoded */
    struct yb_node *response; /* the answer's envelope, once there */

    const char *route;     /* upstream name */
    const char *route_why; /* why this route, for logs and the journal */
    long timeout_ms;       /* the route's call timeout; 0: the upstream's own */
    const char *caller;    /* the authenticated caller's name, or NULL */
    const char *hops;      /* X-Ybgw-Hops: the chain so far, this gateway last */
    int64_t journal_id;    /* the journal row, 0 until one is written */
    char req_hash[65];     /* idempotent: the identity hash (the idempotency key);
                            * others: hex SHA-256 of the message as forwarded */
    struct yb_jwait *jwait; /* a journal callback pending for this txn */
    struct event *idem_timer; /* a repeat waiting for the first transaction of its msgid */
    int64_t idem_deadline;    /* monotonic ms the wait gives up */
    int idempotent;        /* the msgid is claimed in the idempotency index */
    int journal_done;      /* the row's outcome is written (or a replay: nothing to write) */
    int replay;            /* the answer is a stored one (X-Ybgw-Replay) */
    int maybe_processed;   /* a call may have reached the platform */
    int answered;          /* the platform's answer was read (infcode below) */
    int infcode;
    int64_t received_ms;   /* Unix ms, for the journal */
    /* an internal transaction (the resolver's 2601) has no HTTP request: its
     * answer goes to this callback as JSON */
    void (*internal_done)(void *arg, int outcome, const char *json, size_t len);
    void *internal_arg;
    struct yb_buf upstream_body; /* the JSON sent upstream */
    struct yb_upstream_call *call;
    const struct yb_upstream *ups; /* the route's cluster (the snapshot's) */
    uint64_t tried;                /* endpoints of ups already called (bit per index) */
    int endpoint;                  /* the endpoint of the call in flight */
    int attempts;                  /* calls made */
    int http_status; /* status of the answer to the HIS */
    int outcome;     /* enum yb_outcome */

    struct timespec t_start;
    double upstream_ms;
    struct yb_txn *prev, *next; /* the worker's in-flight list */
};

/* Start the path for a request whose body is body[0..len). The worker has
 * already checked the method, path and size. snap is a reference the
 * listener took; the transaction owns it from here (also on failure). */
void yb_txn_start(struct yb_worker *worker, struct yb_snapshot *snap, struct evhttp_request *req,
                  const char *body, size_t len, const char *path_infno);

/* Refuse a request before its message is read (HTTP-level problems: path,
 * method, size, draining), with a platform-style envelope and that status. */
void yb_txn_refuse(struct yb_worker *worker, struct yb_snapshot *snap, struct evhttp_request *req,
                   const char *body, size_t len, int http_status, const char *rule,
                   const char *message);

/* Fail with a gateway message (source names the stage). Sends the answer and
 * frees the txn. */
void yb_txn_fail(struct yb_txn *txn, int http_status, int outcome, const char *path,
                 const char *rule, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* The schema callback that checks a field's code kinds via the plugins. */
/* The configured policy (enum yb_policy) of code kind KIND. */
int yb_txn_kind_policy(const struct yb_txn *txn, const char *kind);
void yb_txn_check_kinds(void *txn, const char *kinds, const char *path,
                        const struct yb_node *value);

/* Cancel an in-flight txn without answering (worker shutdown). */
void yb_txn_abort(struct yb_txn *txn);

double yb_elapsed_ms(const struct timespec *since);

/* Start a transaction that no HIS sent (the resolver's reversals): body is
 * a JSON envelope, checked, journaled and routed like any other, trusted as
 * caller "gateway" (no signature, no hops). done gets the answer as JSON on
 * the worker's thread. Must run on the worker's thread. */
void yb_txn_start_internal(struct yb_worker *worker, struct yb_snapshot *snap, const char *body,
                           size_t len, void (*done)(void *arg, int outcome, const char *json,
                                                    size_t len),
                           void *arg);

/* ---- between txn.c and txn_journal.c ---- */

/* A value for a log line, a header or an error text: printable ASCII only
 * (spaces too when SPACES), no double quote, cut to cap, so a message cannot
 * forge log lines or headers, nor put half a UTF-8 character in err_msg.
 * "-" for NULL or "". */
const char *yb_txn_text_safe(const char *v, char *out, size_t cap, int spaces);

/* Call the route's upstream (the journal row is written). */
void yb_txn_send(struct yb_txn *txn);
/* Encode env in the caller's format, send it, end the txn. */
void yb_txn_reply(struct yb_txn *txn, int status, struct yb_node *env);
/* The stage between routing and the upstream (txn_journal.c): idempotency
 * and the journal row, then yb_txn_send, or an answer. */
void yb_txn_journal_forward(struct yb_txn *txn);
/* Record the txn's outcome (env as it goes to the HIS; json its JSON text
 * when the caller speaks JSON, else NULL) and drop pending waits. */
void yb_txn_journal_end(struct yb_txn *txn, struct yb_node *env, const char *json, size_t len);
/* The idempotency key of the decoded message, into txn->req_hash. */
int yb_txn_hash(struct yb_txn *txn);

#endif
