/*
 * txn_journal.c - the journal and idempotency stage of a transaction
 * (DESIGN.md step 5), between routing and the upstream call.
 *
 *   forward:  a settlement-class message (journal `idempotent`) claims its
 *             msgid in the idempotency index (idem.h); then the journal row
 *             is written, and only when the writer says it is on disk does
 *             the message leave (yb_txn_send). A row that cannot be written
 *             stops the message: it is never forwarded unjournaled.
 *   repeat:   the same msgid and body again gets the stored answer (no
 *             second upstream call), waits while the first is in flight,
 *             is refused with the reason when the first's outcome is
 *             unknown (resolved by reversal or by an operator, never by
 *             sending it again), and is forwarded afresh only when the first
 *             provably never reached the platform. The same msgid with
 *             another body is refused.
 *   end:      the outcome: answered (with the platform's infcode), failed
 *             (nothing left the gateway, or the connection was refused) or
 *             unknown (a call may have arrived and no answer was read).
 *
 * Everything here runs on the worker's loop; the journal's writer thread
 * calls back on it. A txn waiting on the journal or on another txn holds a
 * handle (txn->jwait, txn->idem_timer) that yb_txn_journal_end drops, so a
 * transaction aborted at shutdown leaves nothing behind.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "breaker.h"
#include "codec_json.h"
#include "idem.h"
#include "journal.h"
#include "pii.h"
#include "server.h"
#include "settings.h"
#include "sign.h"
#include "txn.h"

#define IDEM_POLL_MS 20
#define IDEM_WAIT_EXTRA_MS 5000 /* beyond the first one's own call timeouts */

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void when_text(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The envelope fields that say what a message is and for whom; the others
 * (inf_time, sign_no, cainfo, signtype, dev_safe_info, operator names) are
 * how and when it was sent, and a HIS resending a settlement may renew them. */
static const char *const identity_fields[] = {"infno", "msgid", "fixmedins_code",
                                              "insuplc_admdvs", "mdtrtarea_admvs", "input"};


int yb_txn_hash(struct yb_txn *txn)
{
    struct yb_buf json;
    yb_buf_init(&json, 0);
    int rc = 0;
    /* name=JSON lines, in a fixed order: a field's absence differs from null */
    for (size_t i = 0; !rc && i < sizeof(identity_fields) / sizeof(*identity_fields); i++) {
        const struct yb_node *v = yb_node_get(txn->request, identity_fields[i]);
        if (!v)
            continue;
        rc = yb_buf_printf(&json, "%s=", identity_fields[i]);
        if (!rc)
            rc = yb_json_encode(v, &json);
        if (!rc)
            rc = yb_buf_puts(&json, "\n");
    }
    if (!rc)
        rc = yb_sha256_hex(json.data ? json.data : "", json.len, txn->req_hash);
    yb_buf_free(&json);
    return rc;
}

/* psn_no from input.data or the first object under input that has one */
static const char *psn_no(const struct yb_node *request)
{
    const struct yb_node *input = yb_node_get(request, "input");
    if (!input)
        return "";
    const char *v = yb_node_get_text(yb_node_get(input, "data"), "psn_no");
    for (const struct yb_node *c = input->child; !v && c; c = c->next)
        if (c->type == YB_NODE_OBJECT)
            v = yb_node_get_text(c, "psn_no");
    return v ? v : "";
}

static struct yb_server *server_of(struct yb_txn *txn)
{
    return txn->worker->server;
}

/* ---- the first transaction of a msgid ---- */

static void idem_state(struct yb_txn *txn, int state)
{
    if (txn->idempotent && txn->msgid)
        yb_idem_set(server_of(txn)->idem, txn->msgid, state, txn->journal_id);
}

static void journal_written(void *arg, int rc, const char *why)
{
    struct yb_txn *txn = arg;
    txn->jwait = NULL;
    if (rc) {
        txn->journal_id = 0; /* no row: nothing to finish */
        idem_state(txn, YB_IDEM_FAILED);
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "journal", "journal",
                    "%s; the message was not sent and may be sent again", why);
        return;
    }
    idem_state(txn, YB_IDEM_INFLIGHT);
    yb_journal_forwarded(server_of(txn)->journal, txn->journal_id, 1, unix_ms());
    yb_txn_send(txn);
}

/* The masked text of tree for the journal, made here while the tree is at
 * hand (the journal's writer would decode the text again), or NULL when the
 * journal keeps texts as they are or the encoding fails (the writer then
 * masks the text itself). */
static const char *masked_text(struct yb_txn *txn, const struct yb_node *tree,
                               struct yb_buf *out)
{
    const struct yb_settings *s = txn->snap->settings;
    if (!tree || s->journal.personal == YB_JP_PLAIN || yb_pii_encode(s->pii, tree, out) ||
        !out->data)
        return NULL;
    return out->data;
}

static void begin(struct yb_txn *txn)
{
    const char *code = yb_node_get_text(txn->request, "fixmedins_code");
    struct yb_buf masked;
    yb_buf_init(&masked, 0);
    const char *masked_request = masked_text(txn, txn->request, &masked);
    /* not a settlement: no identity hash was taken; record what was sent */
    if (!txn->req_hash[0] && txn->upstream_body.data)
        yb_sha256_hex(txn->upstream_body.data, txn->upstream_body.len, txn->req_hash);
    struct yb_jbegin b = {
        .msgid = txn->msgid,
        .infno = txn->infno,
        .fixmedins_code = code,
        .psn_no = psn_no(txn->request),
        .caller = txn->caller,
        .route = txn->route,
        .route_why = txn->route_why,
        .hops = txn->hops,
        .request = txn->upstream_body.data,
        .request_len = txn->upstream_body.len,
        .masked = masked_request,
        .masked_len = masked.len,
        .req_hash = txn->req_hash,
        .received_ms = txn->received_ms,
    };
    char why[320];
    txn->jwait = yb_journal_begin(server_of(txn)->journal, &b, txn->worker->base,
                                  journal_written, txn, &txn->journal_id, why, sizeof(why));
    yb_buf_free(&masked);
    if (!txn->jwait) {
        txn->journal_id = 0;
        idem_state(txn, YB_IDEM_FAILED);
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "journal", "journal",
                    "%s; the message was not sent and may be sent again", why);
    }
}

/* ---- a repeat ---- */

static void claim(struct yb_txn *txn);

/* The first transaction's outcome is unknown: say so, and how it ends. */
static void explain_unknown(struct yb_txn *txn, const struct yb_jrow *row)
{
    char when[32];
    when_text(row->received_at, when, sizeof(when));
    long long id = (long long)row->id;
    const char *res = row->resolution ? row->resolution : "";
    if (strcmp(res, "reversed") == 0)
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "reversed", "journal",
                    "msgid %s (%s, received %s, journal #%lld) was reversed with 2601 (%s): "
                    "nothing of it stands at the platform; settle again with a new msgid",
                    txn->msgid, row->infno, when, id, row->resolved_by);
    else if (strcmp(res, "not_settled") == 0)
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "not_settled", "journal",
                    "msgid %s (%s, received %s, journal #%lld) was found not settled at the "
                    "platform (%s); send it again with a new msgid",
                    txn->msgid, row->infno, when, id, row->resolved_by);
    else if (strcmp(res, "settled") == 0)
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "settled", "journal",
                    "msgid %s (%s, received %s, journal #%lld) was settled at the platform "
                    "(confirmed by %s) but its answer was never read: query the settlement "
                    "instead of repeating it",
                    txn->msgid, row->infno, when, id, row->resolved_by);
    else if (yb_journal_unknown_action(&txn->snap->settings->journal, row->infno) ==
             YB_JU_REVERSE)
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "unknown_outcome", "journal",
                    "msgid %s (%s, received %s, journal #%lld) reached the platform but its "
                    "outcome is unknown; it is not sent again: the gateway reverses it with "
                    "2601, ask again later for the result",
                    txn->msgid, row->infno, when, id);
    else
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "unknown_outcome", "journal",
                    "msgid %s (%s, received %s, journal #%lld) reached the platform but its "
                    "outcome is unknown; it is not sent again: an operator resolves it "
                    "(ybgwctl journal resolve %lld)",
                    txn->msgid, row->infno, when, id, id);
}

/* The stored answer of the first transaction, as the HIS would have got it. */
static void replay(struct yb_txn *txn, const struct yb_jrow *row)
{
    char err[256];
    struct yb_json_limits limits = {.max_depth = txn->snap->settings->json_depth,
                                    .max_string = row->response_len + 1,
                                    .max_items = 0};
    struct yb_node *env = NULL;
    if (!row->response || row->response_len == 0 ||
        yb_json_decode(txn->answer, row->response, row->response_len, &limits, &env, err,
                       sizeof(err)) ||
        env->type != YB_NODE_OBJECT) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "msgid", "replay", "journal",
                    "msgid %s was answered before (journal #%lld) but the stored answer cannot "
                    "be read; it was not sent again: see ybgwctl journal show %lld",
                    txn->msgid, (long long)row->id, (long long)row->id);
        return;
    }
    if (row->response_masked) {
        const char *w = yb_node_get_text(env, "warn_msg");
        char note[200];
        snprintf(note, sizeof(note),
                 "%s%sthe stored answer of journal #%lld, personal fields masked", w ? w : "",
                 w && *w ? "; " : "", (long long)row->id);
        yb_node_put_string(txn->answer, env, "warn_msg", note, strlen(note));
    }
    const char *infcode = yb_node_get_text(env, "infcode");
    txn->outcome = infcode && strcmp(infcode, "0") == 0 ? YB_OUTCOME_OK
                                                         : YB_OUTCOME_PLATFORM_ERROR;
    txn->response = env;
    yb_txn_reply(txn, 200, env);
}

static void fetched(void *arg, const struct yb_jrow *row, const char *why)
{
    struct yb_txn *txn = arg;
    txn->jwait = NULL;
    if (!row) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "msgid", "journal", "journal",
                    "msgid %s was seen before but its journal row cannot be read (%s); it was "
                    "not sent again",
                    txn->msgid, why ? why : "no such row");
        return;
    }
    txn->journal_id = row->id;
    txn->journal_done = 1; /* the row is the first transaction's */
    switch (row->status) {
    case YB_J_ANSWERED:
        txn->replay = 1;
        replay(txn, row);
        return;
    case YB_J_FAILED:
        /* the first never reached the platform after all: this one goes */
        txn->journal_id = 0;
        txn->journal_done = 0;
        claim(txn);
        return;
    default:
        explain_unknown(txn, row);
    }
}

static void fetch(struct yb_txn *txn, int64_t id)
{
    txn->jwait = yb_journal_fetch(server_of(txn)->journal, id, txn->worker->base, fetched, txn);
    if (!txn->jwait)
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "msgid", "journal", "journal",
                    "msgid %s was seen before (journal #%lld) and the journal cannot be read "
                    "now; it was not sent again",
                    txn->msgid, (long long)id);
}

static void wait_tick(evutil_socket_t fd, short what, void *arg)
{
    struct yb_txn *txn = arg;
    struct yb_idem_hit hit;
    int state = yb_idem_peek(server_of(txn)->idem, txn->msgid, &hit);
    if (state == YB_IDEM_INFLIGHT && yb_monotonic_ms() < txn->idem_deadline) {
        struct timeval tv = {0, IDEM_POLL_MS * 1000};
        evtimer_add(txn->idem_timer, &tv);
        return;
    }
    event_free(txn->idem_timer);
    txn->idem_timer = NULL;
    if (state == YB_IDEM_INFLIGHT)
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "in_flight", "journal",
                    "msgid %s is still in flight at the platform (journal #%lld); this repeat "
                    "was not sent: ask again later",
                    txn->msgid, (long long)hit.journal_id);
    else
        claim(txn); /* whatever it became, decide again */
}

static void wait_first(struct yb_txn *txn)
{
    const struct yb_upstream *ups = txn->ups;
    long per_call = txn->timeout_ms > 0 ? txn->timeout_ms : ups->timeout_ms;
    txn->idem_deadline = yb_monotonic_ms() + per_call * ups->n_endpoints + IDEM_WAIT_EXTRA_MS;
    txn->idem_timer = evtimer_new(txn->worker->base, wait_tick, txn);
    struct timeval tv = {0, IDEM_POLL_MS * 1000};
    if (!txn->idem_timer || evtimer_add(txn->idem_timer, &tv)) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "memory", "gateway",
                    "out of memory while waiting for msgid %s", txn->msgid);
        return;
    }
}

static void claim(struct yb_txn *txn)
{
    struct yb_server *server = server_of(txn);
    struct yb_idem_hit hit;
    int state = yb_idem_claim(server->idem, txn->msgid, txn->infno, txn->req_hash, unix_ms(),
                              &hit);
    char when[32];
    switch (state) {
    case YB_IDEM_NEW:
        txn->idempotent = 1;
        begin(txn);
        return;
    case YB_IDEM_CONFLICT:
        when_text(hit.since_ms, when, sizeof(when));
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "duplicate_msgid", "journal",
                    "msgid %s was already used on %s for a different %s message (journal "
                    "#%lld); a new message needs a new msgid",
                    txn->msgid, when, hit.infno, (long long)hit.journal_id);
        return;
    case YB_IDEM_INFLIGHT:
        wait_first(txn);
        return;
    case YB_IDEM_ANSWERED:
    case YB_IDEM_UNKNOWN:
        fetch(txn, hit.journal_id);
        return;
    default: {
        char shown[YB_IDEM_MSGID_MAX + 1];
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "msgid", "journal",
                    "msgid \"%s\" cannot be used as the idempotency key of a %s (1 to %d "
                    "characters)",
                    txn->msgid && *txn->msgid
                        ? yb_txn_text_safe(txn->msgid, shown, sizeof(shown), 0)
                        : "",
                    txn->infno, YB_IDEM_MSGID_MAX);
    }
    }
}

void yb_txn_journal_forward(struct yb_txn *txn)
{
    struct yb_server *server = server_of(txn);
    if (!server->journal) {
        yb_txn_send(txn); /* a gateway built without one (unit tests) */
        return;
    }
    if (yb_journal_idempotent(&txn->snap->settings->journal, txn->infno)) {
        if (!txn->msgid || !*txn->msgid) {
            yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "required", "journal",
                        "a %s needs a msgid: it is the key that stops a repeat from settling "
                        "twice",
                        txn->infno);
            return;
        }
        claim(txn);
        return;
    }
    begin(txn);
}

/* ---- the end ---- */

void yb_txn_journal_end(struct yb_txn *txn, struct yb_node *env, const char *json, size_t len)
{
    struct yb_server *server = server_of(txn);
    if (txn->jwait) {
        yb_journal_cancel(txn->jwait);
        txn->jwait = NULL;
    }
    if (txn->idem_timer) {
        event_free(txn->idem_timer);
        txn->idem_timer = NULL;
    }
    if (!txn->journal_id || txn->journal_done || !server->journal)
        return;
    txn->journal_done = 1;
    struct yb_buf own, masked_env;
    yb_buf_init(&own, 0);
    yb_buf_init(&masked_env, 0);
    if (!json && env && yb_json_encode(env, &own) == 0) {
        json = own.data;
        len = own.len;
    }
    /* the error column is text the tree mask does not reach: it may quote
     * the refused value (a certno) */
    const char *error = txn->answered ? NULL : yb_node_get_text(env, "err_msg");
    char *masked = NULL;
    if (error && *error) {
        size_t n = strlen(error);
        if ((masked = malloc(n + 1)))
            yb_pii_mask_text(txn->snap->settings->pii, error, n, masked, n + 1);
        error = masked ? masked : "(the error could not be masked, so it is not kept)";
    }
    const char *masked_response = json ? masked_text(txn, env, &masked_env) : NULL;
    struct yb_jfinish f = {
        .status = txn->answered          ? YB_J_ANSWERED
                  : txn->maybe_processed ? YB_J_UNKNOWN
                                         : YB_J_FAILED,
        .infcode = txn->answered ? txn->infcode : -1,
        .http_status = txn->http_status,
        .attempts = txn->attempts,
        .upstream_ms = txn->upstream_ms,
        .total_ms = yb_elapsed_ms(&txn->t_start),
        .error = error,
        .response = json,
        .response_len = json ? len : 0,
        .masked = masked_response,
        .masked_len = masked_env.len,
        .at_ms = unix_ms(),
        .urgent = txn->idempotent,
    };
    yb_journal_finish(server->journal, txn->journal_id, &f);
    free(masked);
    yb_buf_free(&own);
    yb_buf_free(&masked_env);
    idem_state(txn, f.status == YB_J_ANSWERED ? YB_IDEM_ANSWERED
                    : f.status == YB_J_UNKNOWN ? YB_IDEM_UNKNOWN
                                               : YB_IDEM_FAILED);
}
