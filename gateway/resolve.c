/*
 * resolve.c - the resolver: settlements whose outcome is unknown are ended
 * by the platform's own means, never by sending them again.
 *
 * A row is `unknown` when a call may have reached the platform and no answer
 * was read (a timeout, a cut connection, a crash of the gateway). For an
 * infno whose journal rule is `unknown ... reverse`, once the row is older
 * than resolve_after, the resolver sends a reversal (冲正, 2601) naming the
 * original msgid and infno, built from the row's own envelope (the region
 * codes and institution route it exactly as the original went). The 2601 is
 * an internal transaction: checked, journaled and routed like one from a
 * HIS. When the platform accepts it, the row is resolved `reversed` with the
 * 2601's msgid and the platform's warnings in the note; when it refuses, the
 * row stays unknown, the refusal is logged, and the next attempt waits
 * twice as long (up to an hour). Rows whose rule is `operator` wait for
 * `ybgwctl journal resolve`; they are counted in the metrics and logged.
 *
 * A 2601 is never itself reversed. The timer and the journal's answers run
 * on the main loop; each 2601 runs on worker 0's loop, and its answer comes
 * back there.
 */
#include "resolve.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec_json.h"
#include "journal.h"
#include "log.h"
#include "pii.h"
#include "pool.h"
#include "server.h"
#include "settings.h"
#include "tree.h"
#include "txn.h"

#define BATCH 8
#define TRACKED 256
#define BACKOFF_MAX_MS 3600000L

/* A row being reversed, or waiting before its next try. */
struct track {
    int64_t id;
    int64_t next_try; /* monotonic ms */
    long backoff_ms;
    int busy; /* a 2601 is out */
};

struct yb_resolver {
    struct yb_server *server;
    struct event *timer;
    long interval_ms;
    int listing; /* a yb_journal_unknowns is out */
    pthread_mutex_t lock;
    struct track tracks[TRACKED];
    unsigned serial;
    uint64_t reversed, refused;
};

struct job {
    struct yb_resolver *r;
    int64_t id;
    char msgid[40];
    char *body;
    size_t len;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct track *track_find(struct yb_resolver *r, int64_t id, int add)
{
    struct track *free_slot = NULL;
    for (int i = 0; i < TRACKED; i++) {
        if (r->tracks[i].id == id)
            return &r->tracks[i];
        if (!free_slot && r->tracks[i].id == 0)
            free_slot = &r->tracks[i];
    }
    if (add && free_slot) {
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->id = id;
    }
    return add ? free_slot : NULL;
}

/* ---- the 2601 and its answer ---- */

static void job_free(struct job *job)
{
    free(job->body);
    free(job);
}

/* The platform's text with personal values masked (it may quote the person:
 * a certno, a name), by the current configuration's personal fields. */
static void mask_text(struct yb_resolver *r, const char *text, char *out, size_t cap)
{
    struct yb_snapshot *snap = yb_server_acquire(r->server);
    yb_pii_mask_text(snap->settings->pii, text, strlen(text), out, cap);
    yb_snapshot_release(snap);
}

static void reversal_done(void *arg, int outcome, const char *json, size_t len)
{
    struct job *job = arg;
    struct yb_resolver *r = job->r;
    struct yb_pool *pool = yb_pool_create(0);
    struct yb_node *env = NULL;
    char err[200] = "";
    struct yb_json_limits limits = {.max_depth = 32, .max_string = len + 1, .max_items = 0};
    const char *infcode = NULL, *err_msg = NULL, *warn = NULL;
    if (pool && len && yb_json_decode(pool, json, len, &limits, &env, err, sizeof(err)) == 0) {
        infcode = yb_node_get_text(env, "infcode");
        err_msg = yb_node_get_text(env, "err_msg");
        warn = yb_node_get_text(env, "warn_msg");
    }
    int ok = outcome == YB_OUTCOME_OK && infcode && strcmp(infcode, "0") == 0;
    pthread_mutex_lock(&r->lock);
    struct track *t = track_find(r, job->id, 0);
    if (ok) {
        r->reversed++;
        if (t)
            t->id = 0;
    } else {
        r->refused++;
        if (t) {
            t->busy = 0;
            t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : r->interval_ms * 2;
            if (t->backoff_ms > BACKOFF_MAX_MS)
                t->backoff_ms = BACKOFF_MAX_MS;
            t->next_try = mono_ms() + t->backoff_ms;
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (ok) {
        char who[80], note[600], masked[500] = "";
        snprintf(who, sizeof(who), "gateway (2601 msgid %s)", job->msgid);
        if (warn && *warn)
            mask_text(r, warn, masked, sizeof(masked));
        snprintf(note, sizeof(note), "reversed by 2601 msgid %s%s%s", job->msgid,
                 *masked ? "; platform: " : "", masked);
        yb_journal_resolve(r->server->journal, job->id, "reversed", who, note);
        yb_log(YB_LOG_INFO, "resolve", "journal #%lld: reversed by 2601 msgid %s",
               (long long)job->id, job->msgid);
    } else {
        char masked[320];
        mask_text(r, err_msg && *err_msg ? err_msg : *err ? err : "?", masked, sizeof(masked));
        yb_log(YB_LOG_WARN, "resolve",
               "journal #%lld: the reversal (2601 msgid %s) did not succeed (%s); it stays "
               "unknown and is tried again later",
               (long long)job->id, job->msgid, masked);
    }
    yb_pool_destroy(pool);
    job_free(job);
}

/* On worker 0's loop. */
static void run_job(evutil_socket_t fd, short what, void *arg)
{
    struct job *job = arg;
    struct yb_server *server = job->r->server;
    struct yb_worker *w = &server->workers[0];
    struct yb_snapshot *snap = yb_server_acquire(server);
    yb_txn_start_internal(w, snap, job->body, job->len, reversal_done, job);
}

/* The 2601 of row: the original envelope with infno 2601, a msgid of our
 * own, and input.data {psn_no, omsgid, oinfno}. NULL when the row's request
 * cannot be read. */
static char *build_reversal(struct yb_resolver *r, const struct yb_jrow *row, char *msgid,
                            size_t msgid_cap, size_t *len)
{
    struct yb_pool *pool = yb_pool_create(0);
    struct yb_node *env = NULL;
    char err[200];
    struct yb_json_limits limits = {
        .max_depth = 32, .max_string = row->request_len + 1, .max_items = 0};
    char *out = NULL;
    if (!pool || !row->request ||
        yb_json_decode(pool, row->request, row->request_len, &limits, &env, err, sizeof(err)) ||
        env->type != YB_NODE_OBJECT)
        goto out;
    const char *code = row->fixmedins_code && *row->fixmedins_code
                           ? row->fixmedins_code
                           : yb_node_get_text(env, "fixmedins_code");
    if (!code || strlen(code) != 12)
        goto out;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[16], inf_time[24];
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    strftime(inf_time, sizeof(inf_time), "%Y-%m-%d %H:%M:%S", &tm);
    /* serials 9000-9999: apart from the low numbers a HIS counts up from */
    unsigned serial = 9000 + __atomic_fetch_add(&r->serial, 1, __ATOMIC_RELAXED) % 1000;
    snprintf(msgid, msgid_cap, "%s%s%04u", code, stamp, serial);
    struct yb_node *input = yb_node_new(pool, YB_NODE_OBJECT);
    struct yb_node *data = yb_node_new(pool, YB_NODE_OBJECT);
    if (!input || !data || yb_node_put_string(pool, data, "psn_no", row->psn_no, strlen(row->psn_no)) ||
        yb_node_put_string(pool, data, "omsgid", row->msgid, strlen(row->msgid)) ||
        yb_node_put_string(pool, data, "oinfno", row->infno, strlen(row->infno)) ||
        yb_node_put(pool, input, "data", data) || yb_node_put(pool, env, "input", input) ||
        yb_node_put_string(pool, env, "infno", "2601", 4) ||
        yb_node_put_string(pool, env, "msgid", msgid, strlen(msgid)) ||
        yb_node_put_string(pool, env, "inf_time", inf_time, strlen(inf_time)))
        goto out;
    struct yb_buf buf;
    yb_buf_init(&buf, 0);
    if (yb_json_encode(env, &buf) == 0)
        out = yb_buf_steal(&buf, len);
    yb_buf_free(&buf);
out:
    yb_pool_destroy(pool);
    return out;
}

/* ---- the rows ---- */

static void on_row(void *arg, const struct yb_jrow *row, const char *why)
{
    struct yb_resolver *r = arg;
    struct yb_server *server = r->server;
    if (!row) {
        r->listing = 0;
        if (why)
            yb_log(YB_LOG_WARN, "resolve", "cannot list unknown transactions: %s", why);
        return;
    }
    if (atomic_load(&server->draining) || (row->resolution && *row->resolution))
        return;
    struct yb_snapshot *snap = yb_server_acquire(server);
    int action = yb_journal_unknown_action(&snap->settings->journal, row->infno);
    yb_snapshot_release(snap);
    /* a reversal is never reversed: its own unknown outcome is an operator's */
    if (action != YB_JU_REVERSE || strcmp(row->infno, "2601") == 0)
        return;
    pthread_mutex_lock(&r->lock);
    struct track *t = track_find(r, row->id, 1);
    int go = t && !t->busy && mono_ms() >= t->next_try;
    if (go)
        t->busy = 1;
    pthread_mutex_unlock(&r->lock);
    if (!go)
        return;
    struct job *job = calloc(1, sizeof(*job));
    if (job) {
        job->r = r;
        job->id = row->id;
        job->body = build_reversal(r, row, job->msgid, sizeof(job->msgid), &job->len);
    }
    struct timeval now = {0, 0};
    if (!job || !job->body ||
        event_base_once(server->workers[0].base, -1, EV_TIMEOUT, run_job, job, &now) != 0) {
        yb_log(YB_LOG_ERROR, "resolve",
               "journal #%lld (%s msgid %s): cannot build or start its reversal; an operator "
               "must resolve it (ybgwctl journal resolve %lld)",
               (long long)row->id, row->infno, row->msgid, (long long)row->id);
        pthread_mutex_lock(&r->lock);
        t->busy = 0;
        t->next_try = mono_ms() + BACKOFF_MAX_MS;
        pthread_mutex_unlock(&r->lock);
        if (job)
            job_free(job);
    }
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    struct yb_resolver *r = arg;
    struct yb_server *server = r->server;
    if (r->listing || atomic_load(&server->draining) || !atomic_load(&server->ready))
        return;
    struct yb_snapshot *snap = yb_server_acquire(server);
    long after = snap->settings->journal.resolve_after_ms;
    yb_snapshot_release(snap);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t before = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000 - after;
    r->listing = 1;
    if (!yb_journal_unknowns(server->journal, before, BATCH * 4, server->base, on_row, r))
        r->listing = 0;
}

struct yb_resolver *yb_resolver_start(struct yb_server *server, long interval_ms)
{
    struct yb_resolver *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->server = server;
    r->interval_ms = interval_ms > 0 ? interval_ms : 10000;
    pthread_mutex_init(&r->lock, NULL);
    r->timer = event_new(server->base, -1, EV_PERSIST, tick, r);
    struct timeval tv = {r->interval_ms / 1000, (r->interval_ms % 1000) * 1000};
    if (!r->timer || event_add(r->timer, &tv)) {
        yb_resolver_stop(r);
        return NULL;
    }
    return r;
}

void yb_resolver_stop(struct yb_resolver *r)
{
    if (!r)
        return;
    if (r->timer)
        event_free(r->timer);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void yb_resolver_counts(struct yb_resolver *r, uint64_t *reversed, uint64_t *refused)
{
    pthread_mutex_lock(&r->lock);
    *reversed = r->reversed;
    *refused = r->refused;
    pthread_mutex_unlock(&r->lock);
}
