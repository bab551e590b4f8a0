/*
 * server.c - snapshots, worker threads, signals, reload and drain.
 *
 * Start-up: the first snapshot is loaded by main(); each worker gets its
 * event loop, listener and upstream client on the main thread (so a bind
 * error stops start-up with a clear message), then runs in its own thread.
 *
 * SIGHUP: a new snapshot is built beside the current one (settings, schemas,
 * plugins). Only if all of it loads is it swapped in; a failure keeps the old
 * set and logs why. The address, admin address and worker count are bound at
 * start and need a restart to change (logged).
 *
 * SIGTERM/SIGINT: /readyz turns 503, every worker stops accepting, lets its
 * in-flight transactions finish (up to drain_timeout, after which they are
 * answered with an explicit "outcome unknown" error), and ends its loop; the
 * main loop ends when all workers have.
 */
#include "server.h"

#include "config.h"

#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "health.h"
#include "idem.h"
#include "journal.h"
#include "listen.h"
#include "log.h"
#include "resolve.h"
#include "txn.h"
#include "upstream.h"

static atomic_int workers_done;

struct yb_snapshot *yb_snapshot_load(const char *path, char *err, size_t errlen)
{
    struct yb_snapshot *snap = calloc(1, sizeof(*snap));
    if (!snap) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&snap->refs, 1);
    snap->settings = yb_settings_load(path, err, errlen);
    if (!snap->settings)
        goto fail;
    snap->schemas = yb_schema_load(snap->settings->schemas, err, errlen);
    if (!snap->schemas)
        goto fail;
    snap->plugins = yb_plugins_load(snap->settings, err, errlen);
    if (!snap->plugins)
        goto fail;
    return snap;
fail:
    yb_schema_free(snap->schemas);
    yb_settings_free(snap->settings);
    free(snap);
    return NULL;
}

static void snapshot_free(struct yb_snapshot *snap)
{
    /* plugins first: their configuration lives in the settings' tree */
    yb_plugins_free(snap->plugins);
    yb_schema_free(snap->schemas);
    yb_settings_free(snap->settings);
    free(snap);
}

void yb_snapshot_release(struct yb_snapshot *snap)
{
    if (snap && atomic_fetch_sub(&snap->refs, 1) == 1)
        snapshot_free(snap);
}

struct yb_snapshot *yb_server_acquire(struct yb_server *server)
{
    pthread_mutex_lock(&server->snap_lock);
    struct yb_snapshot *snap = server->current;
    atomic_fetch_add(&snap->refs, 1);
    pthread_mutex_unlock(&server->snap_lock);
    return snap;
}

int yb_server_reload(struct yb_server *server)
{
    char err[1024];
    yb_log(YB_LOG_INFO, "server", "reloading %s", server->conf_path);
    struct yb_snapshot *next = yb_snapshot_load(server->conf_path, err, sizeof(err));
    if (!next) {
        yb_log(YB_LOG_ERROR, "server", "reload failed, keeping the running configuration: %s",
               err);
        yb_journal_audit(server->journal, "reload_failed", "SIGHUP", err);
        yb_metrics_reload(server->metrics, 0);
        return -1;
    }
    pthread_mutex_lock(&server->snap_lock);
    struct yb_snapshot *old = server->current;
    next->generation = ++server->generation;
    server->current = next;
    pthread_mutex_unlock(&server->snap_lock);

    const struct yb_settings *a = old->settings, *b = next->settings;
    if (strcmp(a->listen, b->listen) != 0 || strcmp(a->admin_listen, b->admin_listen) != 0 ||
        a->workers != b->workers || a->max_headers != b->max_headers ||
        a->read_timeout_ms != b->read_timeout_ms || b->max_body > a->max_body)
        yb_log(YB_LOG_WARN, "server",
               "listen, admin_listen, workers, max_headers, read_timeout and a larger max_body "
               "changed in the file but take full effect only after a restart");
    if (!yb_tls_conf_same(&a->auth.tls, &b->auth.tls))
        yb_log(YB_LOG_WARN, "server",
               "the tls block changed in the file but the HIS listener keeps the TLS settings it "
               "started with until a restart (callers' certificates apply now)");
    if (strcmp(a->journal.path, b->journal.path) != 0 ||
        a->journal.personal != b->journal.personal || a->journal.sync_full != b->journal.sync_full)
        yb_log(YB_LOG_WARN, "server",
               "journal path, personal and sync changed in the file but take effect only "
               "after a restart");
    yb_log_set_level(b->log_level);
    yb_log(YB_LOG_INFO, "server", "configuration generation %u in use (%zu plugins)",
           next->generation, yb_plugins_count(next->plugins));
    char detail[1200];
    snprintf(detail, sizeof(detail), "generation %u from %s", next->generation, server->conf_path);
    yb_journal_audit(server->journal, "reload", "SIGHUP", detail);
    yb_metrics_reload(server->metrics, 1);
    yb_nonce_cache_set_max(server->nonces, b->auth.max_nonces);
    if (!atomic_load(&server->draining)) {
        yb_health_stop(server->health);
        server->health = yb_health_start(server->base, next);
    }
    yb_snapshot_release(old); /* freed when its last transaction ends */
    return 0;
}

/* ---- workers ---- */

#define FLUSH_GRACE_MS 2000

/* Ends the worker's loop once nothing is in flight and every answer has
 * been written. At the deadline, what is still waiting for the platform is
 * answered with an explicit "outcome unknown" error, and those answers get
 * a short grace period to be written. */
static void drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct yb_worker *w = arg;
    if (w->inflight == 0 && w->unflushed == 0) {
        event_base_loopexit(w->base, NULL);
        return;
    }
    /* evhttp never reports an answer whose client closed the connection
     * before it was written (no on_complete call), so unflushed can stay
     * above 0 for good: once nothing is in flight, live clients get
     * FLUSH_GRACE_MS to take their answers, not the whole drain_timeout */
    if (w->inflight == 0) {
        double now = yb_elapsed_ms(&w->drain_started);
        if (w->flush_wait_from < 0)
            w->flush_wait_from = now;
        if (now - w->flush_wait_from >= FLUSH_GRACE_MS) {
            yb_log(YB_LOG_DEBUG, "server",
                   "worker %d: %u answers not confirmed written (their clients may have gone)",
                   w->id, w->unflushed);
            event_base_loopexit(w->base, NULL);
            return;
        }
    }
    struct yb_snapshot *snap = yb_server_acquire(w->server);
    long limit = snap->settings->drain_timeout_ms;
    yb_snapshot_release(snap);
    if (yb_elapsed_ms(&w->drain_started) >= (double)limit) {
        yb_log(YB_LOG_WARN, "server", "worker %d: drain timeout with %u transactions in flight",
               w->id, w->inflight);
        while (w->txns)
            yb_txn_abort(w->txns);
        struct timeval grace = {0, 500000};
        event_del(w->drain_timer);
        event_base_loopexit(w->base, &grace);
    }
}

static void drain_start(evutil_socket_t fd, short what, void *arg)
{
    struct yb_worker *w = arg;
    if (w->draining)
        return;
    w->draining = 1;
    w->flush_wait_from = -1;
    clock_gettime(CLOCK_MONOTONIC, &w->drain_started);
    yb_listen_stop_accepting(w);
    struct timeval tick = {0, 20000};
    event_add(w->drain_timer, &tick);
}

static void *worker_main(void *arg)
{
    struct yb_worker *w = arg;
    event_base_dispatch(w->base);
    atomic_fetch_add(&workers_done, 1);
    return NULL;
}

static void worker_free(struct yb_worker *w)
{
    if (w->upstream)
        yb_upstream_client_free(w->upstream);
    if (w->http)
        evhttp_free(w->http);
    if (w->drain_event)
        event_free(w->drain_event);
    if (w->drain_timer)
        event_free(w->drain_timer);
    if (w->base)
        event_base_free(w->base);
}

static int worker_init(struct yb_server *server, struct yb_worker *w, int id,
                       const struct yb_settings *s, char *err, size_t errlen)
{
    w->server = server;
    w->id = id;
    /* The epoll changelist folds the event_del + event_add that libcurl's
     * socket callbacks make on every call into one epoll_ctl (or none) per
     * loop turn. Its known trap, descriptors made with dup(), does not
     * arise here: every socket is the listener's, evhttp's or libcurl's. */
    struct event_config *cfg = event_config_new();
    if (cfg)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->base = cfg ? event_base_new_with_config(cfg) : NULL;
    if (cfg)
        event_config_free(cfg);
    if (!w->base) {
        snprintf(err, errlen, "worker %d: cannot create an event loop", id);
        return -1;
    }
    w->upstream = yb_upstream_client_new(w->base);
    w->drain_event = event_new(w->base, -1, 0, drain_start, w);
    w->drain_timer = event_new(w->base, -1, EV_PERSIST, drain_tick, w);
    if (!w->upstream || !w->drain_event || !w->drain_timer) {
        snprintf(err, errlen, "worker %d: out of memory", id);
        return -1;
    }
    return yb_listen_start(w, s, s->workers > 1, err, errlen);
}

/* ---- signals ---- */

static void all_done_check(evutil_socket_t fd, short what, void *arg)
{
    struct yb_server *server = arg;
    if ((unsigned)atomic_load(&workers_done) == server->started)
        event_base_loopexit(server->base, NULL);
}

static void on_terminate(evutil_socket_t sig, short what, void *arg)
{
    struct yb_server *server = arg;
    if (atomic_exchange(&server->draining, 1))
        return;
    yb_log(YB_LOG_INFO, "server", "signal %d: draining in-flight transactions, then exiting",
           (int)sig);
    yb_health_stop(server->health);
    server->health = NULL;
    for (unsigned i = 0; i < server->n_workers; i++)
        event_active(server->workers[i].drain_event, EV_READ, 0);
    struct timeval tick = {0, 20000};
    event_add(server->drain_check, &tick);
}

static void on_hangup(evutil_socket_t sig, short what, void *arg)
{
    yb_server_reload(arg);
}

/* One index entry per journal row of an idempotent transaction. */
static int load_entry(void *arg, const struct yb_jrow *row)
{
    int state = row->status == YB_J_ANSWERED ? YB_IDEM_ANSWERED
                : row->status == YB_J_FAILED ? YB_IDEM_FAILED
                                             : YB_IDEM_UNKNOWN;
    int rc = yb_idem_put(arg, row->msgid, row->infno, row->req_hash, state, row->id,
                         row->received_at);
    return rc == YB_ENOMEM ? rc : 0; /* a row the index cannot key is skipped */
}

/* The journal, the idempotency index filled from it, and the resolver. */
static int open_journal(struct yb_server *server, const struct yb_settings *s, char *err,
                        size_t errlen)
{
    unsigned recovered = 0;
    server->journal = yb_journal_open(&s->journal, s->pii, s->node_name, &recovered, err, errlen);
    if (!server->journal)
        return -1;
    if (recovered)
        yb_log(YB_LOG_WARN, "server",
               "journal: %u transaction%s left in flight by the last run %s now unknown; they "
               "are resolved by reversal or by an operator (ybgwctl journal list --status "
               "unknown)",
               recovered, recovered == 1 ? "" : "s", recovered == 1 ? "is" : "are");
    long window = s->journal.idempotent_window_ms;
    server->idem = yb_idem_new(window);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t now = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    if (!server->idem ||
        yb_journal_scan(server->journal, window > 0 ? now - window : 0, load_entry, server->idem)) {
        snprintf(err, errlen, "journal: cannot load the idempotency index (out of memory)");
        return -1;
    }
    char detail[200];
    snprintf(detail, sizeof(detail), "ybgw %s started; %u recovered as unknown; %zu msgids indexed",
             PACKAGE_VERSION, recovered, yb_idem_count(server->idem));
    yb_journal_audit(server->journal, "start", s->node_name, detail);
    yb_log(YB_LOG_INFO, "server", "journal %s: %zu settlement msgids indexed", s->journal.path,
           yb_idem_count(server->idem));
    return 0;
}

int yb_server_run(const char *conf_path, struct yb_snapshot *first)
{
    struct yb_server server;
    memset(&server, 0, sizeof(server));
    char err[1024];
    int rc = 1;
    server.conf_path = (char *)conf_path;
    server.current = first;
    pthread_mutex_init(&server.snap_lock, NULL);
    server.metrics = yb_metrics_new();
    server.base = event_base_new();
    const struct yb_settings *s = first->settings;
    server.n_workers = s->workers;
    server.workers = calloc(s->workers, sizeof(*server.workers));
    server.nonces = yb_nonce_cache_new(s->auth.max_nonces);
    server.limits = yb_ratelimit_new();
    server.tls = yb_tls_hold(&s->auth.tls); /* the listener's, for the process's life */
    atomic_init(&workers_done, 0);
    if (!server.metrics || !server.base || !server.workers || !server.nonces || !server.limits ||
        (s->auth.tls.enabled && !server.tls)) {
        yb_log(YB_LOG_ERROR, "server", "out of memory");
        goto out;
    }
    yb_log_set_level(s->log_level);
    if (server.tls)
        yb_log(YB_LOG_INFO, "server", "the HIS listener speaks TLS only (verify_client %s)",
               s->auth.tls.verify_client == YB_TLS_VERIFY_ON         ? "on"
               : s->auth.tls.verify_client == YB_TLS_VERIFY_OPTIONAL ? "optional"
                                                                     : "off");
    if (open_journal(&server, s, err, sizeof(err))) {
        yb_log(YB_LOG_ERROR, "server", "%s", err);
        goto out;
    }
    unsigned started = 0;
    for (unsigned i = 0; i < server.n_workers; i++) {
        if (worker_init(&server, &server.workers[i], (int)i, s, err, sizeof(err))) {
            yb_log(YB_LOG_ERROR, "server", "%s", err);
            goto out;
        }
    }
    if (yb_admin_start(&server, s->admin_listen, err, sizeof(err))) {
        yb_log(YB_LOG_ERROR, "server", "%s", err);
        goto out;
    }
    server.sigterm = evsignal_new(server.base, SIGTERM, on_terminate, &server);
    server.sigint = evsignal_new(server.base, SIGINT, on_terminate, &server);
    server.sighup = evsignal_new(server.base, SIGHUP, on_hangup, &server);
    server.drain_check = event_new(server.base, -1, EV_PERSIST, all_done_check, &server);
    if (!server.sigterm || !server.sigint || !server.sighup || !server.drain_check) {
        yb_log(YB_LOG_ERROR, "server", "cannot install signal handlers");
        goto out;
    }
    event_add(server.sigterm, NULL);
    event_add(server.sigint, NULL);
    event_add(server.sighup, NULL);
    for (; started < server.n_workers; started++) {
        if (pthread_create(&server.workers[started].thread, NULL, worker_main,
                           &server.workers[started])) {
            yb_log(YB_LOG_ERROR, "server", "cannot start worker %u", started);
            on_terminate(SIGTERM, 0, &server);
            break;
        }
        char name[16]; /* for top -H and perf: ybgw-worker-N */
        snprintf(name, sizeof(name), "ybgw-worker-%u", started % 1000);
        pthread_setname_np(server.workers[started].thread, name);
    }
    server.started = started;
    atomic_store(&server.ready, started == server.n_workers);
    if (!atomic_load(&server.draining)) {
        server.health = yb_health_start(server.base, first);
        server.resolver = yb_resolver_start(&server, s->journal.resolve_interval_ms);
    }
    yb_log(YB_LOG_INFO, "server",
           "serving HIS on %s (%s and /), admin on %s, %u worker%s, %zu plugin%s, upstream %s",
           s->listen, s->service_path, s->admin_listen, server.n_workers,
           server.n_workers == 1 ? "" : "s", yb_plugins_count(first->plugins),
           yb_plugins_count(first->plugins) == 1 ? "" : "s",
           s->default_upstream ? s->default_upstream : "chosen by route");
    event_base_dispatch(server.base);
    for (unsigned i = 0; i < started; i++)
        pthread_join(server.workers[i].thread, NULL);
    rc = started == server.n_workers ? 0 : 1;
    yb_log(YB_LOG_INFO, "server", "stopped");
out:
    yb_health_stop(server.health);
    /* everything queued reaches the disk before the loops it calls back on go */
    yb_journal_close(server.journal);
    yb_resolver_stop(server.resolver);
    yb_idem_free(server.idem);
    if (server.workers)
        for (unsigned i = 0; i < server.n_workers; i++)
            worker_free(&server.workers[i]);
    free(server.workers);
    yb_admin_stop(&server);
    if (server.sigterm)
        event_free(server.sigterm);
    if (server.sigint)
        event_free(server.sigint);
    if (server.sighup)
        event_free(server.sighup);
    if (server.drain_check)
        event_free(server.drain_check);
    if (server.base)
        event_base_free(server.base);
    yb_snapshot_release(server.current);
    yb_metrics_free(server.metrics);
    yb_nonce_cache_free(server.nonces);
    yb_ratelimit_free(server.limits);
    yb_tls_release(server.tls);
    pthread_mutex_destroy(&server.snap_lock);
    return rc;
}
