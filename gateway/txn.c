/*
 * txn.c - the path of one message, stage by stage (DESIGN.md):
 *
 *   decode -> envelope -> schema -> plugins -> upstream -> response hooks
 *   -> encode in the caller's format
 *
 * Each stage either passes the transaction on or ends it with a
 * platform-style envelope (infcode -1) whose err_msg names the field, the
 * rule, the value and the stage that decided. A rejected message never
 * reaches the upstream. Everything here runs on the worker's event loop and
 * never blocks: the only wait, for the platform, is a callback.
 *
 * HTTP status: envelope answers are 200, as the platform's own are, so a HIS
 * reads err_msg the way it already does. Only failures of HTTP itself get
 * other statuses (404 unknown path, 405 method, 413 body too large, 503
 * shutting down). X-Ybgw-Outcome tells tools which kind of answer it is.
 */
#include "txn.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "access.h"
#include "breaker.h"
#include "codec_json.h"
#include "codec_xml.h"
#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "plugin_host.h"
#include "schema.h"
#include "server.h"
#include "settings.h"
#include "sign.h"
#include "upstream.h"

#define ERR_MSG_MAX 4000 /* err_msg and warn_msg are capped; the count of the rest is kept */

static const char *const outcome_words[] = {"ok", "platform_error", "rejected", "upstream_error",
                                            "gateway_error"};

double yb_elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 +
           (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

/* yyyyMMddHHmmssSSS, the platform's refmsg_time/respond_time layout */
static void stamp17(char out[18])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    strftime(out, 15, "%Y%m%d%H%M%S", &tm);
    unsigned ms = (unsigned)(tv.tv_usec / 1000) % 1000;
    out[14] = (char)('0' + ms / 100);
    out[15] = (char)('0' + ms / 10 % 10);
    out[16] = (char)('0' + ms % 10);
    out[17] = '\0';
}

/* ---- the worker's in-flight list ---- */

static void link_txn(struct yb_txn *txn)
{
    struct yb_worker *w = txn->worker;
    txn->next = w->txns;
    if (w->txns)
        w->txns->prev = txn;
    w->txns = txn;
    w->inflight++;
    yb_metrics_inflight(w->server->metrics, 1);
}

static void unlink_txn(struct yb_txn *txn)
{
    struct yb_worker *w = txn->worker;
    if (txn->prev)
        txn->prev->next = txn->next;
    else
        w->txns = txn->next;
    if (txn->next)
        txn->next->prev = txn->prev;
    w->inflight--;
    yb_metrics_inflight(w->server->metrics, -1);
}

/* ---- ending a transaction ---- */

static const char *metric_infno(const struct yb_txn *txn)
{
    if (!txn->infno || !*txn->infno || !txn->snap || !yb_schema_known(txn->snap->schemas, txn->infno))
        return "other";
    return txn->infno;
}

const char *yb_txn_text_safe(const char *v, char *out, size_t cap, int spaces)
{
    if (!v || !*v)
        return "-";
    size_t i = 0;
    for (; v[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)v[i];
        out[i] = (c == ' ' && spaces) || (c > 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    out[i] = '\0';
    return out;
}

static void finish(struct yb_txn *txn)
{
    double ms = yb_elapsed_ms(&txn->t_start);
    struct yb_server *server = txn->worker->server;
    yb_metrics_request(server->metrics, metric_infno(txn), outcome_words[txn->outcome], ms / 1e3);
    for (const struct yb_diag_entry *e = txn->diag.head; e; e = e->next)
        yb_metrics_finding(server->metrics, e->source,
                           e->severity == YB_DIAG_ERROR ? "error"
                           : e->severity == YB_DIAG_WARN ? "warn"
                                                         : "note");
    /* the platform's infcode only when the platform answered (not our own -1) */
    int answered = txn->outcome == YB_OUTCOME_OK || txn->outcome == YB_OUTCOME_PLATFORM_ERROR;
    struct yb_access line = {
        .infno = txn->infno,
        .msgid = txn->msgid,
        .fixmedins_code = txn->request ? yb_node_get_text(txn->request, "fixmedins_code") : NULL,
        .route = txn->route,
        .outcome = outcome_words[txn->outcome],
        .http = txn->http_status,
        .ms = ms,
        .up_ms = txn->upstream_ms,
        .calls = txn->attempts,
        .caller = txn->caller,
        .why = txn->route_why,
        .hops = txn->hops,
        .journal = txn->journal_id,
        .infcode = answered && txn->response ? yb_node_get_text(txn->response, "infcode") : NULL,
    };
    yb_access_write(txn->snap ? txn->snap->settings->access_log : NULL, &line);
    unlink_txn(txn);
    if (txn->snap)
        yb_snapshot_release(txn->snap);
    yb_buf_free(&txn->upstream_body);
    yb_pool_destroy(txn->answer);
    yb_pool_destroy(txn->pool);
}

static struct yb_node *text_node(struct yb_pool *pool, const char *s)
{
    return yb_node_new_text(pool, YB_NODE_STRING, s, strlen(s));
}

/* A platform-style answer made by the gateway itself. */
static struct yb_node *gateway_envelope(struct yb_txn *txn, const char *err_msg,
                                        const char *warn_msg)
{
    struct yb_pool *pool = txn->answer;
    struct yb_node *env = yb_node_new(pool, YB_NODE_OBJECT);
    char now[18];
    stamp17(now);
    struct yb_node *infcode = yb_node_new_text(pool, YB_NODE_NUMBER, "-1", 2);
    struct yb_node *output = yb_node_new(pool, YB_NODE_OBJECT);
    if (!env || !infcode || !output)
        return NULL;
    if (yb_node_put(pool, env, "infcode", infcode) ||
        yb_node_put(pool, env, "inf_refmsgid", text_node(pool, "")) ||
        yb_node_put(pool, env, "refmsg_time", text_node(pool, now)) ||
        yb_node_put(pool, env, "respond_time", text_node(pool, now)) ||
        yb_node_put(pool, env, "err_msg", text_node(pool, err_msg)) ||
        yb_node_put(pool, env, "warn_msg", text_node(pool, warn_msg ? warn_msg : "")) ||
        yb_node_put(pool, env, "cainfo", text_node(pool, "")) ||
        yb_node_put(pool, env, "signtype", text_node(pool, "")) ||
        yb_node_put(pool, env, "output", output))
        return NULL;
    return env;
}

static void release_body(const void *data, size_t len, void *arg)
{
    free((void *)data);
}

static void answer_written(struct evhttp_request *req, void *arg)
{
    struct yb_worker *w = arg;
    w->unflushed--;
}

/* An internal transaction's answer: JSON to its callback. Frees the txn. */
static void reply_internal(struct yb_txn *txn, int status, struct yb_node *env)
{
    txn->http_status = status;
    struct yb_buf body;
    yb_buf_init(&body, 0);
    if (!env || yb_json_encode(env, &body)) {
        yb_buf_reset(&body);
        txn->outcome = YB_OUTCOME_GATEWAY_ERROR;
        yb_txn_journal_end(txn, env, NULL, 0);
    } else {
        yb_txn_journal_end(txn, env, body.data, body.len);
    }
    txn->http_status = status;
    txn->internal_done(txn->internal_arg, txn->outcome, body.data ? body.data : "", body.len);
    yb_buf_free(&body);
    finish(txn);
}

/* Encode env in the caller's format and send it. Frees the txn. */
static void reply(struct yb_txn *txn, int status, struct yb_node *env)
{
    if (!txn->req) {
        reply_internal(txn, status, env);
        return;
    }
    struct evhttp_request *req = txn->req;
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    txn->http_status = status; /* for the journal, before the body goes */
    struct yb_buf body;
    yb_buf_init(&body, 0);
    int rc = YB_ENOMEM;
    char err[256] = "";
    if (env) {
        if (txn->format == YB_FORMAT_XML) {
            rc = yb_xml_encode(env, "response", txn->encoding, &body, err, sizeof(err));
            if (rc) {
                /* the caller's encoding cannot be written: answer in UTF-8 */
                yb_buf_reset(&body);
                snprintf(txn->encoding, sizeof(txn->encoding), "UTF-8");
                rc = yb_xml_encode(env, "response", "UTF-8", &body, err, sizeof(err));
            }
        } else {
            rc = yb_json_encode(env, &body);
        }
    }
    if (rc) {
        yb_log(YB_LOG_ERROR, "txn", "cannot encode the answer: %s", *err ? err : "out of memory");
        yb_buf_reset(&body);
        yb_buf_puts(&body, "{\"infcode\":-1,\"err_msg\":\"gateway could not encode its answer "
                           "[gateway]\",\"output\":{}}");
        txn->format = YB_FORMAT_JSON;
        txn->outcome = YB_OUTCOME_GATEWAY_ERROR;
        status = 500;
    }
    if (txn->format == YB_FORMAT_JSON && !rc)
        yb_txn_journal_end(txn, env, body.data, body.len);
    else
        yb_txn_journal_end(txn, env, NULL, 0);
    if (txn->format == YB_FORMAT_XML) {
        char ct[80];
        snprintf(ct, sizeof(ct), "text/xml;charset=%s", txn->encoding);
        evhttp_add_header(out, "Content-Type", ct);
    } else {
        evhttp_add_header(out, "Content-Type", "application/json;charset=UTF-8");
    }
    if (txn->route)
        evhttp_add_header(out, "X-Ybgw-Route", txn->route);
    if (txn->route && txn->route_why && *txn->route_why) {
        char why[256];
        evhttp_add_header(out, "X-Ybgw-Route-Reason",
                          yb_txn_text_safe(txn->route_why, why, sizeof(why), 1));
    }
    if (txn->hops)
        evhttp_add_header(out, "X-Ybgw-Hops", txn->hops);
    if (txn->replay) {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)txn->journal_id);
        evhttp_add_header(out, "X-Ybgw-Replay", id);
    }
    evhttp_add_header(out, "X-Ybgw-Outcome", outcome_words[txn->outcome]);
    if (txn->worker->draining)
        evhttp_add_header(out, "Connection", "close");
    struct evbuffer *eb = evbuffer_new();
    if (eb) {
        size_t len;
        char *data = yb_buf_steal(&body, &len);
        if (evbuffer_add_reference(eb, data, len, release_body, NULL) != 0) {
            free(data);
            evbuffer_add(eb, "", 0);
        }
    }
    yb_buf_free(&body);
    txn->http_status = status;
    if (evhttp_request_get_connection(req)) {
        /* the worker drains until every answer is written, not just queued */
        txn->worker->unflushed++;
        evhttp_request_set_on_complete_cb(req, answer_written, txn->worker);
    }
    evhttp_send_reply(req, status, status == 200 ? "OK" : NULL, eb);
    if (eb)
        evbuffer_free(eb);
    finish(txn);
}

void yb_txn_reply(struct yb_txn *txn, int status, struct yb_node *env)
{
    reply(txn, status, env);
}

/* Answer with the findings gathered so far (errors in err_msg). */
static void reply_findings(struct yb_txn *txn, int status, int outcome)
{
    struct yb_buf err, warn;
    yb_buf_init(&err, 0);
    yb_buf_init(&warn, 0);
    yb_diag_render(&txn->diag, YB_DIAG_ERROR, ERR_MSG_MAX, &err);
    yb_diag_render(&txn->diag, YB_DIAG_WARN, ERR_MSG_MAX, &warn);
    txn->outcome = outcome;
    struct yb_node *env =
        gateway_envelope(txn, err.data ? err.data : "rejected", warn.data ? warn.data : "");
    yb_buf_free(&err);
    yb_buf_free(&warn);
    reply(txn, status, env);
}

void yb_txn_fail(struct yb_txn *txn, int http_status, int outcome, const char *path,
                 const char *rule, const char *source, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yb_diag_vadd(&txn->diag, YB_DIAG_ERROR, path, rule, NULL, source, fmt, ap);
    va_end(ap);
    reply_findings(txn, http_status, outcome);
}

void yb_txn_abort(struct yb_txn *txn)
{
    if (txn->call) {
        yb_upstream_cancel(txn->call);
        txn->call = NULL;
        txn->maybe_processed = 1; /* it may have left */
    }
    yb_txn_fail(txn, 200, YB_OUTCOME_UPSTREAM_ERROR, "", "shutdown", "gateway",
                "gateway shut down before the platform answered; the outcome of this %s at the "
                "platform is unknown, query it before repeating",
                txn->infno && *txn->infno ? txn->infno : "transaction");
}

/* ---- code kinds (the schema's callback) ---- */

int yb_txn_kind_policy(const struct yb_txn *txn, const char *kind)
{
    return yb_settings_kind_policy(txn->snap->settings, kind);
}

void yb_txn_check_kinds(void *arg, const char *kinds, const char *path,
                        const struct yb_node *value)
{
    struct yb_txn *txn = arg;
    if (!yb_node_is_scalar(value) || value->len == 0)
        return;
    const struct yb_plugin_set *plugins = txn->snap->plugins;
    const struct yb_code_kind *candidates[8];
    int n = 0, named = 0;
    const char *p = kinds;
    while (*p && named < 8) {
        size_t len = strcspn(p, "|");
        char name[64];
        if (len > 0 && len < sizeof(name)) {
            memcpy(name, p, len);
            name[len] = '\0';
            named++;
            const struct yb_code_kind *k = yb_plugins_kind(plugins, name);
            if (k)
                candidates[n++] = k;
        }
        p += len;
        if (*p == '|')
            p++;
    }
    if (n == 0) {
        int policy = txn->snap->settings->unknown_kind_policy;
        if (policy != YB_POLICY_OFF)
            yb_diag_add(&txn->diag, policy == YB_POLICY_REJECT ? YB_DIAG_ERROR : YB_DIAG_WARN,
                        path, "kind", value->text, "gateway",
                        "no loaded plugin checks code kind %s", kinds);
        return;
    }
    const struct yb_code_kind *chosen = NULL;
    if (n == 1) {
        chosen = candidates[0];
    } else {
        for (int i = 0; i < n && !chosen; i++)
            if (!candidates[i]->match ||
                candidates[i]->match(candidates[i]->state, value->text, value->len))
                chosen = candidates[i];
    }
    if (!chosen) {
        /* several kinds allowed and none recognises the shape: the strictest policy decides */
        int policy = YB_POLICY_OFF;
        char names[256] = "";
        for (int i = 0; i < n; i++) {
            int kp = yb_txn_kind_policy(txn, candidates[i]->name);
            if (kp < policy)
                policy = kp;
            strncat(names, i ? (i == n - 1 ? " or " : ", ") : "", sizeof(names) - strlen(names) - 1);
            strncat(names, candidates[i]->standard ? candidates[i]->standard : candidates[i]->name,
                    sizeof(names) - strlen(names) - 1);
        }
        if (policy != YB_POLICY_OFF)
            yb_diag_add(&txn->diag, policy == YB_POLICY_REJECT ? YB_DIAG_ERROR : YB_DIAG_WARN,
                        path, "kind", value->text, "codeset", "is not a %s code", names);
        return;
    }
    int policy = yb_txn_kind_policy(txn, chosen->name);
    if (policy == YB_POLICY_OFF)
        return;
    struct yb_code_verdict verdict;
    memset(&verdict, 0, sizeof(verdict));
    char source[80];
    snprintf(source, sizeof(source), "codeset.%s", chosen->name);
    if (chosen->validate(chosen->state, value->text, value->len, &verdict) < 0) {
        yb_diag_add(&txn->diag, YB_DIAG_ERROR, path, "kind", value->text, source,
                    "the %s check failed inside the gateway", chosen->name);
        return;
    }
    if (verdict.status == YB_CODE_VALID)
        return;
    int severity = verdict.status == YB_CODE_WARN || policy == YB_POLICY_WARN ? YB_DIAG_WARN
                                                                               : YB_DIAG_ERROR;
    yb_diag_add(&txn->diag, severity, path, verdict.segment[0] ? verdict.segment : "kind",
                value->text, source, "%s", verdict.reason[0] ? verdict.reason : "is not valid");
}

/* ---- the upstream answer ---- */

static void send_upstream(struct yb_txn *txn);

/* What a HIS should do about a call that failed this way: a message that
 * never left can be sent again; one that may have arrived must be looked
 * up first (a blind repeat could settle twice). */
static const char *after_failure(const struct yb_txn *txn, int status)
{
    if (status != YB_UP_CONNECT && status != YB_UP_TLS &&
        yb_settings_retry_safe(txn->snap->settings, txn->infno))
        return "it is a query (safe_to_retry) and may be sent again";
    switch (status) {
    case YB_UP_CONNECT:
    case YB_UP_TLS: /* the handshake failed: nothing was sent */
        return "the message was not delivered and may be sent again";
    case YB_UP_TOO_LARGE:
        return "the platform answered, too long to read: query its outcome before sending it "
               "again";
    default:
        return "the platform may have processed the message: query its outcome (or reverse it "
               "with 2601) before sending it again";
    }
}

static void upstream_failed(struct yb_txn *txn, const struct yb_upstream_result *res)
{
    struct yb_server *server = txn->worker->server;
    const char *word = yb_upstream_status_word(res->status);
    yb_metrics_upstream_error(server->metrics, txn->route, word);
    yb_log(YB_LOG_WARN, "upstream", "%s endpoint %s: %s (%s) after %.1f ms", txn->route,
           res->endpoint && *res->endpoint ? res->endpoint : "?", word,
           res->detail ? res->detail : "", res->total_ms);
    /* a query may go to the next endpoint; anything else is never repeated blindly */
    if (yb_settings_retry_safe(txn->snap->settings, txn->infno) &&
        yb_upstream_endpoint_failed(res)) {
        for (int i = 0; i < txn->ups->n_endpoints; i++) {
            if (!(txn->tried & (UINT64_C(1) << i))) {
                yb_metrics_upstream_error(server->metrics, txn->route, "failover");
                send_upstream(txn);
                return;
            }
        }
    }
    char tries[48] = "";
    if (txn->attempts > 1)
        snprintf(tries, sizeof(tries), " (after %d endpoints)", txn->attempts);
    if (res->status == YB_UP_HTTP)
        yb_txn_fail(txn, 200, YB_OUTCOME_UPSTREAM_ERROR, "", word, "upstream",
                    "upstream %s answered HTTP %ld%s; %s", txn->route, res->http_code, tries,
                    after_failure(txn, res->status));
    else
        yb_txn_fail(txn, 200, YB_OUTCOME_UPSTREAM_ERROR, "", word, "upstream",
                    "upstream %s: %s (%s)%s; %s", txn->route, word,
                    res->detail ? res->detail : "", tries, after_failure(txn, res->status));
}

/* The chain the answer came back through: a relay's, when it extends ours. */
static void adopt_hops(struct yb_txn *txn, const char *answer_hops)
{
    size_t ours = strlen(txn->hops);
    if (!answer_hops || strlen(answer_hops) <= ours || strncmp(answer_hops, txn->hops, ours) != 0 ||
        answer_hops[ours] != ',')
        return;
    const char *copy = yb_pool_strdup(txn->answer, answer_hops);
    if (copy)
        txn->hops = copy;
}

static void upstream_done(void *arg, const struct yb_upstream_result *res)
{
    struct yb_txn *txn = arg;
    struct yb_server *server = txn->worker->server;
    const struct yb_upstream *ups = txn->ups;
    txn->call = NULL;
    txn->upstream_ms += res->total_ms;
    yb_metrics_upstream_latency(server->metrics, txn->route, res->total_ms / 1e3);
    yb_breaker_record(ups->breakers[txn->endpoint], &ups->breaker,
                      !yb_upstream_endpoint_failed(res), yb_monotonic_ms());
    /* only a refused connection or a failed handshake proves nothing left */
    if (res->status != YB_UP_CONNECT && res->status != YB_UP_TLS)
        txn->maybe_processed = 1;
    if (res->status != YB_UP_OK) {
        upstream_failed(txn, res);
        return;
    }
    adopt_hops(txn, res->hops);
    const struct yb_settings *s = txn->snap->settings;
    struct yb_json_limits limits = {
        .max_depth = s->json_depth, .max_string = ups->max_response, .max_items = 0};
    struct yb_node *answer = NULL;
    char err[256];
    struct yb_pool *pool = txn->answer;
    if (yb_json_decode(pool, res->body, res->len, &limits, &answer, err, sizeof(err)) ||
        answer->type != YB_NODE_OBJECT) {
        yb_metrics_upstream_error(server->metrics, txn->route, "bad_answer");
        yb_log(YB_LOG_WARN, "upstream", "%s endpoint %s: HTTP %ld, %zu bytes that are not a "
               "JSON envelope (%s)", txn->route, res->endpoint ? res->endpoint : "?",
               res->http_code, res->len, answer ? "not an object" : err);
        yb_txn_fail(txn, 200, YB_OUTCOME_UPSTREAM_ERROR, "", "bad_answer", "upstream",
                    "upstream %s answered HTTP %ld with something that is not a platform answer "
                    "(%zu bytes, not a JSON envelope); %s",
                    txn->route, res->http_code, res->len, after_failure(txn, YB_UP_TRUNCATED));
        return;
    }
    const char *infcode = yb_node_get_text(answer, "infcode");
    if (!infcode) {
        yb_metrics_upstream_error(server->metrics, txn->route, "bad_answer");
        yb_log(YB_LOG_WARN, "upstream", "%s endpoint %s: an envelope without infcode",
               txn->route, res->endpoint ? res->endpoint : "?");
        yb_txn_fail(txn, 200, YB_OUTCOME_UPSTREAM_ERROR, "", "bad_answer", "upstream",
                    "upstream %s answered an envelope without infcode, so its outcome cannot be "
                    "read; %s",
                    txn->route, after_failure(txn, YB_UP_TRUNCATED));
        return;
    }
    txn->response = answer;
    txn->outcome = strcmp(infcode, "0") == 0 ? YB_OUTCOME_OK : YB_OUTCOME_PLATFORM_ERROR;
    txn->answered = 1;
    txn->infcode = (int)strtol(infcode, NULL, 10);
    int rc = yb_plugins_on_response(txn->snap->plugins, txn);
    if (rc != YB_PASS || txn->diag.errors) {
        /* The platform has acted: say so, with its reference, whatever the plugin thought. */
        const char *ref = yb_node_get_text(answer, "inf_refmsgid");
        txn->response = NULL;
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "plugin", "gateway",
                    "a response plugin %s the platform's answer (infcode %s, inf_refmsgid %s); "
                    "the platform has processed this message",
                    rc == YB_ERROR ? "failed on" : "refused", infcode, ref ? ref : "");
        return;
    }
    if (txn->diag.warnings) {
        /* the gateway's warnings travel with the platform's own */
        struct yb_buf warn;
        yb_buf_init(&warn, 0);
        const char *platform = yb_node_get_text(answer, "warn_msg");
        if (platform && *platform)
            yb_buf_printf(&warn, "%s; ", platform);
        yb_diag_render(&txn->diag, YB_DIAG_WARN, ERR_MSG_MAX, &warn);
        yb_node_put_string(pool, answer, "warn_msg", warn.data ? warn.data : "", warn.len);
        yb_buf_free(&warn);
    }
    reply(txn, 200, answer);
}

/* Call the first endpoint of the route's cluster that is not tried yet and
 * whose breaker lets a call through. */
static void send_upstream(struct yb_txn *txn)
{
    const struct yb_upstream *ups = txn->ups;
    int64_t now = yb_monotonic_ms();
    int ep = -1, skipped = 0;
    for (int i = 0; i < ups->n_endpoints && ep < 0; i++) {
        if (txn->tried & (UINT64_C(1) << i))
            continue;
        if (yb_breaker_allow(ups->breakers[i], &ups->breaker, now))
            ep = i;
        else
            skipped++;
    }
    if (ep < 0) {
        yb_metrics_upstream_error(txn->worker->server->metrics, ups->name, "circuit_open");
        if (txn->attempts == 0)
            yb_txn_fail(txn, 200, YB_OUTCOME_UPSTREAM_ERROR, "", "circuit_open", "upstream",
                        "upstream %s: every endpoint is out of use after repeated failures "
                        "(circuit open, %d of %d); the message was not sent and may be sent "
                        "again later",
                        ups->name, skipped, ups->n_endpoints);
        else
            yb_txn_fail(txn, 200, YB_OUTCOME_UPSTREAM_ERROR, "", "circuit_open", "upstream",
                        "upstream %s: no endpoint left to try after %d failed; the platform may "
                        "have processed the message: query its outcome before sending it again",
                        ups->name, txn->attempts);
        return;
    }
    txn->tried |= UINT64_C(1) << ep;
    txn->endpoint = ep;
    txn->attempts++;
    char hops_header[600];
    snprintf(hops_header, sizeof(hops_header), "X-Ybgw-Hops: %s", txn->hops);
    const char *extra[] = {hops_header, NULL};
    txn->call = yb_upstream_send(txn->worker->upstream, ups, ep, txn->infno,
                                 txn->upstream_body.data, txn->upstream_body.len, txn->timeout_ms,
                                 extra, upstream_done, txn);
    if (!txn->call) {
        /* nothing was sent: the breaker's trial, if this was one, is not judged */
        yb_breaker_record(ups->breakers[ep], &ups->breaker, 1, now);
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "upstream", "upstream",
                    "upstream %s: the call could not be started", ups->name);
    }
}

void yb_txn_send(struct yb_txn *txn)
{
    send_upstream(txn);
}

static void forward(struct yb_txn *txn)
{
    const struct yb_settings *s = txn->snap->settings;
    if (!txn->route) {
        txn->route = s->default_upstream;
        txn->route_why = "default_upstream";
    }
    if (!txn->route) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "route", "router",
                    "no route for this transaction: no plugin chose an upstream and there is no "
                    "default_upstream; the message was not sent");
        return;
    }
    const struct yb_upstream *ups = yb_settings_upstream(s, txn->route);
    if (!ups) {
        const char *route = txn->route;
        txn->route = NULL;
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "route", "router",
                    "no upstream named \"%s\" is configured", route);
        return;
    }
    txn->route = ups->name; /* lives as long as the snapshot the txn holds */
    txn->ups = ups;
    yb_buf_init(&txn->upstream_body, s->max_body * 4 + 65536);
    if (yb_json_encode(txn->request, &txn->upstream_body)) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "encode", "gateway",
                    "the message could not be encoded for the platform");
        return;
    }
    yb_txn_journal_forward(txn);
}

/* ---- the request ---- */

static int wants_xml(struct evhttp_request *req, const char *body, size_t len)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (ct && strcasestr(ct, "xml"))
        return 1;
    if (ct && strcasestr(ct, "json"))
        return 0;
    return yb_xml_sniff(body, len);
}

static int decode(struct yb_txn *txn, const char *body, size_t len)
{
    const struct yb_settings *s = txn->snap->settings;
    char err[320];
    if (len == 0) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "body", "codec", "request body is empty");
        return -1;
    }
    if (txn->format == YB_FORMAT_XML) {
        struct yb_xml_limits limits = {.max_depth = s->json_depth, .max_nodes = 200000};
        const char *root = NULL;
        if (yb_xml_decode(txn->pool, body, len, &limits, &txn->request, &root, txn->encoding, err,
                          sizeof(err))) {
            if (!txn->encoding[0])
                snprintf(txn->encoding, sizeof(txn->encoding), "UTF-8");
            yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "xml", "codec",
                        "request body is not a valid XML message: %s", err);
            return -1;
        }
        if (!root || strcmp(root, "request") != 0) {
            yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "xml", "codec",
                        "the XML root element must be <request>, got <%s>", root ? root : "?");
            return -1;
        }
        return 0;
    }
    struct yb_json_limits limits = {
        .max_depth = s->json_depth, .max_string = s->max_body, .max_items = 100000};
    if (yb_json_decode(txn->pool, body, len, &limits, &txn->request, err, sizeof(err))) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "json", "codec",
                    "request body is not valid JSON: %s", err);
        return -1;
    }
    if (txn->request->type != YB_NODE_OBJECT) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "json", "codec",
                    "request body must be a JSON object (the platform envelope)");
        return -1;
    }
    return 0;
}

static struct yb_txn *txn_new(struct yb_worker *worker, struct yb_snapshot *snap,
                              struct evhttp_request *req)
{
    struct yb_pool *pool = yb_pool_create(snap->settings->txn_memory);
    struct yb_pool *answer = yb_pool_create(0);
    struct yb_txn *txn = pool && answer ? yb_pool_alloc(pool, sizeof(*txn)) : NULL;
    if (!txn) {
        yb_snapshot_release(snap);
        yb_pool_destroy(pool);
        yb_pool_destroy(answer);
        if (req)
            evhttp_send_error(req, 503, "out of memory");
        return NULL;
    }
    txn->pool = pool;
    txn->answer = answer;
    txn->worker = worker;
    txn->snap = snap;
    txn->req = req;
    txn->infno = "";
    clock_gettime(CLOCK_MONOTONIC, &txn->t_start);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    txn->received_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    /* findings live with the answer: a request that filled its pool still
     * gets told why (the diag caps its own entries) */
    yb_diag_init(&txn->diag, answer, 64);
    yb_buf_init(&txn->upstream_body, 0);
    link_txn(txn);
    txn->hops = snap->settings->node_name; /* check_hops adds what came in */
    return txn;
}

#define HOPS_MAX 480 /* characters of X-Ybgw-Hops accepted from a caller */

/* The relay chain: the X-Ybgw-Hops that came in, plus this gateway. A chain
 * that already holds this gateway is a loop, and a chain longer than
 * max_hops is refused; either way before anything is decoded. Returns 0 to
 * go on, -1 when the txn has been answered. */
static int check_hops(struct yb_txn *txn)
{
    const struct yb_settings *s = txn->snap->settings;
    const char *in = evhttp_find_header(evhttp_request_get_input_headers(txn->req), "X-Ybgw-Hops");
    if (!in || !*in)
        return 0;
    snprintf(txn->encoding, sizeof(txn->encoding), "UTF-8"); /* for an answer before decode */
    if (strlen(in) > HOPS_MAX) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "hops", "listener",
                    "X-Ybgw-Hops is longer than %d characters", HOPS_MAX);
        return -1;
    }
    unsigned count = 0;
    for (const char *p = in; *p;) {
        p += strspn(p, " ");
        size_t len = strcspn(p, ", ");
        const char *end = p + len + strspn(p + len, " ");
        char name[YB_SIGN_YBGW_CALLER_MAX + 1] = "";
        if (len < sizeof(name)) {
            memcpy(name, p, len);
            name[len] = '\0';
        }
        /* a hop is a gateway's name, by the rule of a signing caller's */
        if (!yb_sign_ybgw_caller_ok(name) || (*end && *end != ',')) {
            yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "hops", "listener",
                        "X-Ybgw-Hops must be node names separated by commas (1-64 of A-Z, a-z, "
                        "0-9, '.', '_', '-' each)");
            return -1;
        }
        count++;
        if (strcmp(name, s->node_name) == 0) {
            char chain[HOPS_MAX + 1];
            snprintf(chain, sizeof(chain), "%s", in);
            yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "relay_loop", "router",
                        "relay loop: this gateway (%s) is already in the chain \"%s\"; the "
                        "message was not sent",
                        s->node_name, chain);
            return -1;
        }
        p = *end ? end + 1 : end;
    }
    if (count >= s->max_hops) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "", "max_hops", "router",
                    "the message has already passed %u gateways (X-Ybgw-Hops) and this one "
                    "accepts at most %u (max_hops); the message was not sent",
                    count, s->max_hops);
        return -1;
    }
    const char *hops = yb_pool_printf(txn->pool, "%s, %s", in, s->node_name);
    if (!hops) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "memory", "gateway", "out of memory");
        return -1;
    }
    txn->hops = hops;
    return 0;
}

void yb_txn_refuse(struct yb_worker *worker, struct yb_snapshot *snap, struct evhttp_request *req,
                   const char *body, size_t len, int http_status, const char *rule,
                   const char *message)
{
    struct yb_txn *txn = txn_new(worker, snap, req);
    if (!txn)
        return;
    txn->format = wants_xml(req, body, len) ? YB_FORMAT_XML : YB_FORMAT_JSON;
    snprintf(txn->encoding, sizeof(txn->encoding), "UTF-8");
    yb_txn_fail(txn, http_status, YB_OUTCOME_REJECTED, "", rule, "listener", "%s", message);
}

/* After a hook stage that returned RC: end the transaction if a plugin
 * refused the message (YB_REJECT, or an error finding) or failed (YB_ERROR),
 * and return 1; return 0 when it may go on (YB_PASS, or YB_DONE for the
 * caller to handle). */
static int plugin_stopped(struct yb_txn *txn, int rc, const char *stage)
{
    if (rc == YB_REJECT || txn->diag.errors) {
        if (!txn->diag.errors)
            yb_diag_add(&txn->diag, YB_DIAG_ERROR, "", "plugin", NULL, "gateway",
                        "refused by a plugin");
        reply_findings(txn, 200, YB_OUTCOME_REJECTED);
        return 1;
    }
    if (rc == YB_ERROR) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "plugin", "gateway",
                    "a plugin failed while %s this message; it was not sent", stage);
        return 1;
    }
    return 0;
}

/* The caller's rate limit (ratelimit.h), after authentication and before
 * the body is decoded. Returns 0 to go on, -1 when answered (HTTP 429 with
 * Retry-After). */
static int check_rate(struct yb_txn *txn, const struct yb_caller *c)
{
    if (c->rate.per == 0)
        return 0;
    struct yb_server *server = txn->worker->server;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long retry_ms = 0;
    if (yb_ratelimit_take(server->limits, c->name, &c->rate,
                          (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000,
                          &retry_ms) != YB_ELIMIT)
        return 0; /* taken, or a table that cannot track it (passes, ratelimit.h) */
    long seconds = retry_ms > 0 ? (retry_ms + 999) / 1000 : 1;
    char retry[24];
    snprintf(retry, sizeof(retry), "%ld", seconds);
    evhttp_add_header(evhttp_request_get_output_headers(txn->req), "Retry-After", retry);
    yb_metrics_caller_limited(server->metrics, c->name);
    yb_txn_fail(txn, 429, YB_OUTCOME_REJECTED, "", "rate_limit", "auth",
                "caller %s is over its rate limit of %u requests per %s (burst %u): send again "
                "in %ld s (Retry-After); the message was not read",
                c->name, c->rate.per, c->rate.period_ms == 1000 ? "second" : "minute",
                c->rate.burst, seconds);
    return -1;
}

/* Who is calling, decided before the body is read (auth.h): a verified
 * client certificate that is a caller's (mutual TLS), or a signed call
 * (X-Ybgw-Caller and its companions); when both are present they must name
 * the same caller and the signature must check out. An anonymous call
 * passes only when caller_auth is off. A plain-HTTP request to a TLS
 * listener is refused whatever it carries. Then the caller's rate limit.
 * Returns 0 to go on (*out: the caller or NULL), -1 when answered. */
static int check_caller(struct yb_txn *txn, const char *body, size_t len,
                        const struct yb_caller **out)
{
    const struct yb_settings *s = txn->snap->settings;
    struct yb_server *server = txn->worker->server;
    struct evkeyvalq *h = evhttp_request_get_input_headers(txn->req);
    const char *caller = evhttp_find_header(h, "X-Ybgw-Caller");
    struct yb_tls_peer peer;
    *out = NULL;
    yb_tls_peer_of(txn->req, &peer);
    const struct yb_caller *by_cert =
        peer.certificate ? yb_auth_find_certificate(&s->auth, peer.fingerprint) : NULL;
    if (!caller && !by_cert && !s->auth.required && (peer.tls || !server->tls))
        return 0; /* an anonymous call where none is refused: nothing more to look up */
    if (!txn->encoding[0])
        snprintf(txn->encoding, sizeof(txn->encoding), "UTF-8");
    if (server->tls && !peer.tls) {
        /* only when evhttp fell back to a plain connection (listen.c) */
        yb_txn_fail(txn, 400, YB_OUTCOME_REJECTED, "", "tls_required", "auth",
                    "this gateway accepts only HTTPS (TLS) on this port; the message was not "
                    "read");
        return -1;
    }
    const struct yb_caller *c = by_cert;
    if (caller) {
        struct yb_auth_request r = {
            .caller = caller,
            .timestamp = evhttp_find_header(h, "X-Ybgw-Timestamp"),
            .nonce = evhttp_find_header(h, "X-Ybgw-Nonce"),
            .signature = evhttp_find_header(h, "X-Ybgw-Signature"),
            .body = body,
            .len = len,
        };
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        const char *rule = "auth";
        char err[320];
        const struct yb_caller *signer = NULL;
        if (yb_auth_verify(&s->auth, server->nonces, &r,
                           (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &signer, &rule,
                           err, sizeof(err))) {
            yb_txn_fail(txn, strcmp(rule, "auth_busy") == 0 ? 503 : 401, YB_OUTCOME_REJECTED, "",
                        rule, "auth", "%s; the message was not read", err);
            return -1;
        }
        if (by_cert && signer != by_cert) {
            yb_txn_fail(txn, 401, YB_OUTCOME_REJECTED, "", "auth_caller", "auth",
                        "the TLS client certificate is caller %s's but header X-Ybgw-Caller says "
                        "%s: one request speaks for one caller; the message was not read",
                        by_cert->name, signer->name);
            return -1;
        }
        c = signer;
    }
    if (!c) {
        char fp[YB_TLS_FINGERPRINT_TEXT];
        if (peer.certificate) {
            yb_tls_fingerprint_format(peer.fingerprint, fp);
            yb_txn_fail(txn, 401, YB_OUTCOME_REJECTED, "", "auth_certificate", "auth",
                        "the TLS client certificate (SHA-256 %s) is not configured for any "
                        "caller of this gateway: add certificate %s; to the caller's block, or "
                        "sign the call; the message was not read",
                        fp, fp);
        } else if (peer.tls) {
            yb_txn_fail(txn, 401, YB_OUTCOME_REJECTED, "", "auth_missing", "auth",
                        "this gateway accepts only calls from configured callers (caller_auth "
                        "on): the connection sent no client certificate and the request has no "
                        "X-Ybgw-Caller header; connect with the caller's certificate or sign the "
                        "call; the message was not read");
        } else {
            yb_txn_fail(txn, 401, YB_OUTCOME_REJECTED, "", "auth_missing", "auth",
                        "this gateway accepts only signed calls (caller_auth on): the request "
                        "has no X-Ybgw-Caller header; the message was not read");
        }
        return -1;
    }
    *out = c;
    txn->caller = c->name; /* lives with the snapshot the txn holds */
    return check_rate(txn, c);
}

/* A caller (signed or known by its certificate) speaks only for its own
 * institutions, and the msgid is that institution's. */
static int check_institution(struct yb_txn *txn, const struct yb_caller *caller)
{
    const char *code = yb_node_get_text(txn->request, "fixmedins_code");
    char shown[41]; /* printable ASCII, cut: never half a UTF-8 character in err_msg */
    if (!yb_auth_institution_ok(caller, code)) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "fixmedins_code", "auth_institution", "auth",
                    "caller %s may not send messages for institution \"%s\": check "
                    "fixmedins_code, or add it to the institutions of caller %s on this gateway",
                    caller->name,
                    code && *code ? yb_txn_text_safe(code, shown, sizeof(shown), 1) : "",
                    caller->name);
        return -1;
    }
    if (!txn->msgid || strncmp(txn->msgid, code, strlen(code)) != 0) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "msgid", "auth_institution", "auth",
                    "msgid \"%s\" does not start with the institution code %s of caller %s",
                    txn->msgid && *txn->msgid
                        ? yb_txn_text_safe(txn->msgid, shown, sizeof(shown), 1)
                        : "",
                    code, caller->name);
        return -1;
    }
    return 0;
}

static void run(struct yb_txn *txn, const char *body, size_t len, const char *path_infno,
                const struct yb_caller *caller);

void yb_txn_start(struct yb_worker *worker, struct yb_snapshot *snap, struct evhttp_request *req,
                  const char *body, size_t len, const char *path_infno)
{
    struct yb_txn *txn = txn_new(worker, snap, req);
    if (!txn)
        return;

    txn->format = wants_xml(req, body, len) ? YB_FORMAT_XML : YB_FORMAT_JSON;
    const struct yb_caller *caller = NULL;
    if (check_hops(txn) || check_caller(txn, body, len, &caller))
        return;
    run(txn, body, len, path_infno, caller);
}

void yb_txn_start_internal(struct yb_worker *worker, struct yb_snapshot *snap, const char *body,
                           size_t len, void (*done)(void *arg, int outcome, const char *json,
                                                    size_t len),
                           void *arg)
{
    struct yb_txn *txn = txn_new(worker, snap, NULL);
    if (!txn) {
        done(arg, YB_OUTCOME_GATEWAY_ERROR, "", 0);
        return;
    }
    txn->internal_done = done;
    txn->internal_arg = arg;
    txn->format = YB_FORMAT_JSON;
    txn->caller = "gateway";
    run(txn, body, len, NULL, NULL);
}

/* The stages from decoding on, for a HIS's request and an internal one. */
static void run(struct yb_txn *txn, const char *body, size_t len, const char *path_infno,
                const struct yb_caller *caller)
{
    struct yb_snapshot *snap = txn->snap;
    struct yb_pool *pool = txn->pool;
    const struct yb_settings *s = snap->settings;
    if (decode(txn, body, len))
        return;

    const char *infno = yb_node_get_text(txn->request, "infno");
    txn->infno = infno ? infno : "";
    txn->msgid = yb_node_get_text(txn->request, "msgid");
    if (caller && check_institution(txn, caller))
        return;
    if (path_infno && *txn->infno && strcmp(path_infno, txn->infno) != 0) {
        yb_txn_fail(txn, 200, YB_OUTCOME_REJECTED, "infno", "path", "listener",
                    "the service path names transaction %s but the envelope says %s", path_infno,
                    txn->infno);
        return;
    }
    if (txn->format == YB_FORMAT_XML && *txn->infno)
        yb_schema_shape(snap->schemas, txn->infno, "input", pool, txn->request);
    /* the identity hash encodes the whole input: only a settlement-class
     * message needs it before the prepare hooks change the message; the
     * others get the hash of the message as forwarded (txn_journal.c) */
    if (yb_journal_idempotent(&s->journal, txn->infno) && yb_txn_hash(txn)) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "memory", "gateway", "out of memory");
        return;
    }

    /* envelope, then the transaction's own fields */
    yb_envelope_check(snap->schemas, txn->request, &s->envelope, &txn->diag, yb_txn_check_kinds,
                      txn);
    if (txn->diag.errors) {
        reply_findings(txn, 200, YB_OUTCOME_REJECTED);
        return;
    }
    /* plugins that complete the message (local codes to national ones), so
     * that the schema checks what the platform will get */
    int rc = yb_plugins_on_prepare(snap->plugins, txn);
    if (plugin_stopped(txn, rc, "preparing"))
        return;
    if (rc != YB_PASS) {
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "plugin", "gateway",
                    "a prepare hook returned %d; the message was not sent", rc);
        return;
    }
    struct yb_node *input = yb_node_get(txn->request, "input");
    yb_schema_check_input(snap->schemas, txn->infno, input, &txn->diag, yb_txn_check_kinds, txn);
    if (txn->diag.errors) {
        reply_findings(txn, 200, YB_OUTCOME_REJECTED);
        return;
    }

    /* plugins: more checks, translation, routing */
    rc = yb_plugins_on_request(snap->plugins, txn);
    if (plugin_stopped(txn, rc, "checking"))
        return;
    if (rc == YB_DONE && txn->response) {
        txn->outcome = YB_OUTCOME_OK;
        reply(txn, 200, txn->response);
        return;
    }
    if (rc != YB_PASS) {
        /* YB_DONE without an answer, or a value outside the enum: never forward unchecked */
        yb_txn_fail(txn, 200, YB_OUTCOME_GATEWAY_ERROR, "", "plugin", "gateway",
                    "a plugin returned %d; the message was not sent", rc);
        return;
    }
    forward(txn);
}
