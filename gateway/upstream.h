/*
 * upstream.h - the HTTP client toward the platform.
 *
 * libcurl's multi interface driven by the worker's libevent loop: sockets
 * and timers are handed to the loop, so no call here ever blocks it. curl
 * keeps a keep-alive pool per host; its size and the connect, total and idle
 * timeouts come from the upstream's configuration. Each call ends in exactly
 * one callback with a result whose status is a stable value, so a HIS can
 * tell an upstream fault from a gateway rejection or a platform answer.
 */
#ifndef YB_UPSTREAM_H
#define YB_UPSTREAM_H

#include <stddef.h>

#include "breaker.h"
#include "conf.h"
#include "sign.h"

struct event_base;

/* One upstream, from `upstream NAME { ... }`: a cluster of endpoints. The
 * first endpoint whose breaker allows a call gets it; a transaction that is
 * safe to repeat fails over to the next one (txn.c decides). */
struct yb_upstream {
    char *name;
    char **endpoints; /* URLs, in order of preference */
    struct yb_breaker **breakers; /* one per endpoint (process-wide state) */
    int n_endpoints;
    struct yb_breaker_conf breaker; /* default 5 failures, 30 s open */
    long health_interval_ms;        /* health checks every so often; 0: none (default) */
    long health_timeout_ms;         /* default 2000 */
    char *health_path;              /* GET this path on each endpoint's host; NULL: the endpoint URL */
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* whole call; default 30000 */
    long idle_timeout_ms;    /* idle keep-alive connections are closed after; default 60000 */
    unsigned pool_size;      /* connections per worker to one host; default 32 */
    int tls_verify;          /* default on */
    char *ca_file;           /* optional CA bundle */
    size_t max_response;     /* bytes; default 8 MiB */
    struct yb_sign_conf sign;
};

/* Parse an upstream block (d is the `upstream NAME { }` directive). Secrets
 * are read from their files here. Returns 0 or YB_EINVAL with file:line. */
int yb_upstream_conf(const struct yb_conf *d, struct yb_upstream *out, char *err, size_t errlen);
void yb_upstream_conf_free(struct yb_upstream *u);

enum yb_upstream_status {
    YB_UP_OK = 0,      /* HTTP 200 with a body */
    YB_UP_CONNECT,     /* could not connect (refused, DNS, TLS handshake) */
    YB_UP_TIMEOUT,     /* connect or total timeout */
    YB_UP_HTTP,        /* HTTP status other than 200 */
    YB_UP_TRUNCATED,   /* the connection closed mid-answer */
    YB_UP_TOO_LARGE,   /* answer larger than max_response */
    YB_UP_TLS,         /* certificate verification failed */
    YB_UP_CANCELLED,
    YB_UP_INTERNAL,
};

struct yb_upstream_result {
    int status;       /* enum yb_upstream_status */
    long http_code;
    const char *body; /* valid only during the callback */
    size_t len;
    double total_ms;
    const char *endpoint;
    const char *detail; /* curl's words, never a secret */
    const char *hops;   /* the answer's X-Ybgw-Hops (a relay's chain), or NULL */
};

typedef void (*yb_upstream_cb)(void *arg, const struct yb_upstream_result *res);

struct yb_upstream_client;
struct yb_upstream_call;

/* One client per event loop. Returns NULL on failure. */
struct yb_upstream_client *yb_upstream_client_new(struct event_base *base);
/* Cancels (without callbacks) whatever is still in flight. */
void yb_upstream_client_free(struct yb_upstream_client *c);
/* Calls in flight. */
unsigned yb_upstream_client_active(const struct yb_upstream_client *c);

/* POST body (JSON, UTF-8) to u's endpoint index ep, with the signing
 * headers for infno and any extra headers ("Name: value", NULL-terminated).
 * timeout_ms > 0 replaces the upstream's timeout (a route's own). body must
 * stay valid until the callback. The callback runs exactly once, later,
 * from the loop, unless the call is cancelled first. Returns NULL if the
 * call could not be started (then no callback). */
struct yb_upstream_call *yb_upstream_send(struct yb_upstream_client *c,
                                          const struct yb_upstream *u, int ep, const char *infno,
                                          const char *body, size_t len, long timeout_ms,
                                          const char *const *extra_headers, yb_upstream_cb cb,
                                          void *arg);
/* A health check of u's endpoint ep: GET health_path (or the endpoint URL)
 * within health_timeout. The result is YB_UP_OK for any HTTP answer below
 * 500: the endpoint is up, whatever it thinks of a GET. */
struct yb_upstream_call *yb_upstream_probe(struct yb_upstream_client *c,
                                           const struct yb_upstream *u, int ep, yb_upstream_cb cb,
                                           void *arg);
/* Did a call end in a way that counts against its endpoint's breaker?
 * (connect, timeout, truncated, TLS, HTTP 5xx; not a platform's refusal) */
int yb_upstream_endpoint_failed(const struct yb_upstream_result *res);
void yb_upstream_cancel(struct yb_upstream_call *call);

/* Stable words for a status, for err_msg and metrics: "connect", "timeout", ... */
const char *yb_upstream_status_word(int status);

#endif
