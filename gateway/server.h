/*
 * server.h - the running gateway: configuration snapshots, workers, signals.
 *
 * A snapshot is one loaded generation of everything a transaction reads: the
 * settings, the schemas and the plugin set. Each transaction holds a
 * reference to the snapshot it started on, so a reload (SIGHUP) swaps in a
 * new snapshot while in-flight transactions finish on the old one, which is
 * freed when the last of them ends.
 *
 * Workers are threads, each with its own event loop, HIS listener (sockets
 * bound with SO_REUSEPORT, so the kernel spreads connections) and upstream
 * client. The main thread runs the admin port and handles signals.
 */
#ifndef YB_SERVER_H
#define YB_SERVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "metrics.h"
#include "plugin_host.h"
#include "schema.h"
#include "settings.h"

struct event_base;
struct evhttp;
struct event;
struct evhttp_bound_socket;
struct yb_upstream_client;
struct yb_txn;
struct yb_health;
struct yb_journal;
struct yb_idem;
struct yb_resolver;

struct yb_snapshot {
    atomic_int refs;
    unsigned generation;
    struct yb_settings *settings;
    struct yb_schema_set *schemas;
    struct yb_plugin_set *plugins;
};

struct yb_server;

struct yb_worker {
    struct yb_server *server;
    int id;
    pthread_t thread;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct yb_upstream_client *upstream;
    struct event *drain_event; /* activated by the main thread on SIGTERM */
    struct event *drain_timer; /* polls until idle, or the drain deadline */
    unsigned inflight;         /* touched only on this worker's thread */
    unsigned unflushed;        /* answers handed to evhttp but not yet written */
    double flush_wait_from;    /* drain: ms (of drain_started) inflight reached 0; -1 not yet */
    int draining;
    struct timespec drain_started;
    struct yb_txn *txns;       /* in-flight transactions, for aborting at the deadline */
};

struct yb_server {
    char *conf_path;
    struct event_base *base; /* main thread: admin and signals */
    struct evhttp *admin;
    struct yb_metrics *metrics;
    pthread_mutex_t snap_lock;
    struct yb_snapshot *current;
    unsigned generation;
    struct yb_worker *workers;
    unsigned n_workers;
    atomic_int ready;    /* all workers are serving */
    atomic_int draining; /* SIGTERM received */
    struct event *sigterm, *sigint, *sighup;
    struct event *drain_check;
    struct yb_health *health; /* probes of the current snapshot's upstreams */
    /* nonces of signed calls, shared by the workers and kept across reloads
     * (its capacity is the first configuration's auth_nonces) */
    struct yb_nonce_cache *nonces;
    /* callers' rate-limit buckets, shared by the workers and kept across
     * reloads (ratelimit.h) */
    struct yb_ratelimit *limits;
    /* the HIS listener's TLS context, from the first configuration (NULL:
     * plain HTTP); a reload does not change it (tls.h) */
    struct ssl_ctx_st *tls;
    unsigned started; /* worker threads running */
    /* the journal, the idempotency index and the resolver: process-wide,
     * opened from the first configuration, kept across reloads */
    struct yb_journal *journal;
    struct yb_idem *idem;
    struct yb_resolver *resolver;
};

/* Build a snapshot from a configuration file. NULL with a reason in err. */
struct yb_snapshot *yb_snapshot_load(const char *path, char *err, size_t errlen);
/* The current snapshot, with a reference taken; release it when done. */
struct yb_snapshot *yb_server_acquire(struct yb_server *server);
void yb_snapshot_release(struct yb_snapshot *snap);

/* Start workers and the admin port; run until SIGTERM has drained. Returns
 * the process exit code. */
int yb_server_run(const char *conf_path, struct yb_snapshot *first);

/* Reload now (what SIGHUP does). Returns 0 if the new snapshot is in use. */
int yb_server_reload(struct yb_server *server);

#endif
