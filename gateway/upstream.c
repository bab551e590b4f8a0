/*
 * upstream.c - the HTTP client toward the platform (step 6 of a message's
 * path, see DESIGN.md), and the `upstream NAME { ... }` configuration block.
 *
 * One client per worker: a CURLM whose sockets and timer are handed to the
 * worker's libevent loop (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION),
 * and curl_multi_socket_action is called only from those events. So nothing
 * here blocks (curl resolves names on its own threads), and a call's callback
 * runs only from the loop, never from inside yb_upstream_send: adding a
 * handle merely arms the timer.
 *
 * curl keeps the keep-alive pool inside the multi handle; its size per host
 * is the largest pool_size of the upstreams this client has served, and the
 * whole cache holds the sum of their pool sizes. Finished calls keep their
 * easy handle on a free list, so a busy worker does not set one up per call.
 *
 * What this file owns: the CURLM, the per-socket events, the easy handles,
 * the header lists and the answer buffers. It does not own the request body
 * (the caller's, valid until the callback) nor the struct yb_upstream (read
 * only while yb_upstream_send runs).
 */
#include "upstream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "ybgw/ybgw.h"

/* ---- configuration ---- */

#define POOL_SIZE_MAX 4096
#define FREE_LIST_MAX 64   /* idle easy handles kept per client */
#define KNOWN_UPSTREAMS 64 /* distinct upstream names summed into MAXCONNECTS */

static const char *const sign_names[] = {"none", "api", "tif", "ybgw", NULL};

static int set_endpoint(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                        char *err, size_t errlen)
{
    struct yb_upstream *u = target;
    const char *url = d->argv[0];
    (void)cmd;
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return yb_conf_error(d, err, errlen, "endpoint \"%s\" must start with http:// or https://",
                             url);
    /* Let curl's own parser judge the rest, so what passes here is what curl
     * will accept at call time. */
    CURLU *h = curl_url();
    char *host = NULL;
    int bad = !h || curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
              curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host;
    curl_free(host);
    curl_url_cleanup(h);
    if (bad)
        return yb_conf_error(d, err, errlen, "endpoint \"%s\" is not a valid URL", url);
    if (u->n_endpoints >= 64)
        return yb_conf_error(d, err, errlen, "more than 64 endpoints");
    char **list = realloc(u->endpoints, (size_t)(u->n_endpoints + 1) * sizeof(char *));
    if (!list)
        return yb_conf_error(d, err, errlen, "out of memory");
    u->endpoints = list;
    if (!(list[u->n_endpoints] = strdup(url)))
        return yb_conf_error(d, err, errlen, "out of memory");
    u->n_endpoints++;
    return 0;
}

static int set_ca_file(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    struct yb_upstream *u = target;
    (void)cmd;
    char *path = yb_conf_relative_path(d, d->argv[0]);
    if (!path)
        return yb_conf_error(d, err, errlen, "out of memory");
    free(u->ca_file);
    u->ca_file = path;
    return 0;
}

static void wipe_secret(char **secret)
{
    if (*secret) {
        OPENSSL_cleanse(*secret, strlen(*secret));
        free(*secret);
        *secret = NULL;
    }
}

static int set_secret_file(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                           char *err, size_t errlen)
{
    struct yb_upstream *u = target;
    char why[512];
    char *secret = NULL;
    (void)cmd;
    char *path = yb_conf_relative_path(d, d->argv[0]);
    if (!path)
        return yb_conf_error(d, err, errlen, "out of memory");
    int rc = yb_sign_load_secret(path, &secret, why, sizeof(why));
    free(path);
    if (rc)
        return yb_conf_error(d, err, errlen, "%s", why);
    wipe_secret(&u->sign.secret);
    u->sign.secret = secret;
    return 0;
}

/* breaker FAILURES COOLDOWN; | breaker off; */
static int set_breaker(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    struct yb_upstream *u = target;
    (void)cmd;
    if (d->argc == 1 && strcmp(d->argv[0], "off") == 0) {
        u->breaker.failures = 0;
        return 0;
    }
    char *end = NULL;
    unsigned long n = d->argc == 2 ? strtoul(d->argv[0], &end, 10) : 0;
    if (d->argc != 2 || !end || *end || n < 1 || n > 1000)
        return yb_conf_error(d, err, errlen,
                             "breaker takes a failure count (1-1000) and a cooldown "
                             "(breaker 5 30s;), or off");
    struct yb_conf one = *d;
    one.argc = 1;
    one.argv = d->argv + 1;
    struct yb_conf_command msec = {"breaker", 1, 1, 0, yb_conf_set_msec,
                                   offsetof(struct yb_upstream, breaker.cooldown_ms), 0};
    int rc = yb_conf_set_msec(&one, &msec, u, err, errlen);
    if (rc)
        return rc;
    if (u->breaker.cooldown_ms < 100 || u->breaker.cooldown_ms > 3600000)
        return yb_conf_error(d, err, errlen, "breaker cooldown must be 100ms to 1h");
    u->breaker.failures = (unsigned)n;
    return 0;
}

/* health_check INTERVAL; | health_check off; */
static int set_health_check(const struct yb_conf *d, const struct yb_conf_command *cmd,
                            void *target, char *err, size_t errlen)
{
    struct yb_upstream *u = target;
    if (strcmp(d->argv[0], "off") == 0) {
        u->health_interval_ms = 0;
        return 0;
    }
    int rc = yb_conf_set_msec(d, cmd, target, err, errlen);
    if (!rc && (u->health_interval_ms < 100 || u->health_interval_ms > 3600000))
        return yb_conf_error(d, err, errlen, "health_check interval must be 100ms to 1h, or off");
    return rc;
}

static int set_health_path(const struct yb_conf *d, const struct yb_conf_command *cmd,
                           void *target, char *err, size_t errlen)
{
    const char *v = d->argv[0];
    if (v[0] != '/' || strlen(v) > 200 || strpbrk(v, " \t\r\n"))
        return yb_conf_error(d, err, errlen, "health_path must be a path starting with / (got \"%s\")",
                             v);
    return yb_conf_set_string(d, cmd, target, err, errlen);
}

static const struct yb_conf_command upstream_commands[] = {
    {"endpoint", 1, 1, 0, set_endpoint, 0, 0},
    {"connect_timeout", 1, 1, 0, yb_conf_set_msec, offsetof(struct yb_upstream, connect_timeout_ms),
     0},
    {"timeout", 1, 1, 0, yb_conf_set_msec, offsetof(struct yb_upstream, timeout_ms), 0},
    {"idle_timeout", 1, 1, 0, yb_conf_set_msec, offsetof(struct yb_upstream, idle_timeout_ms), 0},
    {"pool_size", 1, 1, 0, yb_conf_set_uint, offsetof(struct yb_upstream, pool_size), 0},
    {"tls_verify", 1, 1, 0, yb_conf_set_flag, offsetof(struct yb_upstream, tls_verify), 0},
    {"ca_file", 1, 1, 0, set_ca_file, 0, 0},
    {"max_response", 1, 1, 0, yb_conf_set_size, offsetof(struct yb_upstream, max_response), 0},
    {"sign", 1, 1, 0, yb_conf_set_enum, offsetof(struct yb_upstream, sign.scheme),
     (uintptr_t)sign_names},
    {"access_key", 1, 1, 0, yb_conf_set_string, offsetof(struct yb_upstream, sign.access_key), 0},
    {"api_version", 1, 1, 0, yb_conf_set_string, offsetof(struct yb_upstream, sign.version), 0},
    {"secret_file", 1, 1, 0, set_secret_file, 0, 0},
    {"breaker", 1, 2, 0, set_breaker, 0, 0},
    {"health_check", 1, 1, 0, set_health_check, offsetof(struct yb_upstream, health_interval_ms),
     0},
    {"health_timeout", 1, 1, 0, yb_conf_set_msec, offsetof(struct yb_upstream, health_timeout_ms),
     0},
    {"health_path", 1, 1, 0, set_health_path, offsetof(struct yb_upstream, health_path), 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

int yb_upstream_conf(const struct yb_conf *d, struct yb_upstream *out, char *err, size_t errlen)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if (d->argc != 1 || !d->has_block)
        return yb_conf_error(d, err, errlen, "upstream takes a name and a { ... } block");
    out->connect_timeout_ms = 3000;
    out->timeout_ms = 30000;
    out->idle_timeout_ms = 60000;
    out->pool_size = 32;
    out->tls_verify = 1;
    out->max_response = 8u << 20;
    out->sign.scheme = YB_SIGN_NONE;
    out->breaker.failures = 5;
    out->breaker.cooldown_ms = 30000;
    out->health_timeout_ms = 2000;
    if (!(out->name = strdup(d->argv[0]))) {
        rc = yb_conf_error(d, err, errlen, "out of memory");
        goto fail;
    }
    if ((rc = yb_conf_apply(d, upstream_commands, out, err, errlen)))
        goto fail;

    const char *name = out->name;
    rc = YB_EINVAL;
    if (out->n_endpoints == 0) {
        yb_conf_error(d, err, errlen, "upstream \"%s\" has no endpoint", name);
        goto fail;
    }
    if (out->connect_timeout_ms <= 0 || out->timeout_ms <= 0 || out->idle_timeout_ms <= 0) {
        yb_conf_error(d, err, errlen, "upstream \"%s\": timeouts must be greater than zero", name);
        goto fail;
    }
    if (out->pool_size == 0 || out->pool_size > POOL_SIZE_MAX) {
        yb_conf_error(d, err, errlen, "upstream \"%s\": pool_size must be 1 to %d", name,
                      POOL_SIZE_MAX);
        goto fail;
    }
    if (out->health_timeout_ms <= 0 || out->health_timeout_ms > 60000) {
        yb_conf_error(d, err, errlen, "upstream \"%s\": health_timeout must be 1ms to 60s", name);
        goto fail;
    }
    /* the breakers outlive this configuration: a reload finds them again */
    out->breakers = calloc((size_t)out->n_endpoints, sizeof(*out->breakers));
    if (!out->breakers) {
        yb_conf_error(d, err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < out->n_endpoints; i++) {
        if (!(out->breakers[i] = yb_breaker_get(name, out->endpoints[i]))) {
            yb_conf_error(d, err, errlen, "out of memory");
            goto fail;
        }
    }
    if (out->max_response == 0) {
        yb_conf_error(d, err, errlen, "upstream \"%s\": max_response must be greater than zero",
                      name);
        goto fail;
    }
    if (out->sign.scheme != YB_SIGN_NONE) {
        const char *scheme = sign_names[out->sign.scheme];
        if (!out->sign.access_key || !*out->sign.access_key) {
            yb_conf_error(d, err, errlen, "upstream \"%s\": sign %s needs access_key", name,
                          scheme);
            goto fail;
        }
        if (!out->sign.secret) {
            yb_conf_error(d, err, errlen, "upstream \"%s\": sign %s needs secret_file", name,
                          scheme);
            goto fail;
        }
        /* Hunan and Jiangxi document 1.0.0; an explicit api_version wins. */
        if (out->sign.scheme == YB_SIGN_API && !out->sign.version &&
            !(out->sign.version = strdup("1.0.0"))) {
            yb_conf_error(d, err, errlen, "out of memory");
            goto fail;
        }
    }
    return 0;
fail:
    yb_upstream_conf_free(out);
    return rc;
}

void yb_upstream_conf_free(struct yb_upstream *u)
{
    if (!u)
        return;
    free(u->name);
    for (int i = 0; i < u->n_endpoints; i++)
        free(u->endpoints[i]);
    free(u->endpoints);
    free(u->breakers);
    free(u->health_path);
    free(u->ca_file);
    free(u->sign.access_key);
    free(u->sign.version);
    wipe_secret(&u->sign.secret);
    memset(u, 0, sizeof(*u));
}

/* ---- the client ---- */

struct yb_upstream_call {
    struct yb_upstream_client *client;
    CURL *easy;
    struct curl_slist *headers;
    struct yb_buf answer;
    int too_large;   /* the write callback refused more than max_response */
    int no_memory;   /* the write callback could not grow the buffer */
    int in_callback; /* cancel from inside its own callback is a no-op */
    int probe;       /* a health check: GET, any answer below 500 is good */
    const char *body; /* the request body (the caller keeps it until the callback) */
    size_t len, sent; /* its length, and how much of it curl has taken */
    char hops[512];  /* the answer's X-Ybgw-Hops */
    yb_upstream_cb cb;
    void *arg;
    char detail[CURL_ERROR_SIZE];
    struct yb_upstream_call *prev, *next; /* active list, or free list (next only) */
};

/* What the loop watches for one of curl's sockets. */
struct sock_watch {
    struct yb_upstream_client *client;
    struct event *ev;
    curl_socket_t fd;
    struct sock_watch *prev, *next;
};

struct known_upstream {
    char name[64];
    unsigned pool_size;
};

struct yb_upstream_client {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    struct yb_upstream_call *active; /* doubly linked */
    struct yb_upstream_call *idle;   /* free list of finished calls with their easy handles */
    unsigned n_active, n_idle;
    struct sock_watch *watches;
    long max_host_connections;
    struct known_upstream known[KNOWN_UPSTREAMS];
    unsigned n_known;
    long max_connects;
};

static void check_done(struct yb_upstream_client *c);

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    /* curl may drop this socket (and free this watch) inside socket_action,
     * so only the client pointer is used afterwards. */
    struct yb_upstream_client *c = ((struct sock_watch *)arg)->client;
    int action = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(c->multi, fd, action, &running);
    check_done(c);
}

static void on_timer_event(evutil_socket_t fd, short what, void *arg)
{
    struct yb_upstream_client *c = arg;
    int running = 0;
    (void)fd;
    (void)what;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static void watch_free(struct yb_upstream_client *c, struct sock_watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        c->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    event_free(w->ev);
    free(w);
}

/* CURLMOPT_SOCKETFUNCTION: curl says which events it wants on a socket. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct yb_upstream_client *c = userp;
    struct sock_watch *w = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            curl_multi_assign(c->multi, fd, NULL);
            watch_free(c, w);
        }
        return 0;
    }
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w)
            return -1;
        w->client = c;
        w->fd = fd;
        w->ev = event_new(c->base, fd, 0, on_socket_event, w);
        if (!w->ev) {
            free(w);
            return -1;
        }
        w->next = c->watches;
        if (c->watches)
            c->watches->prev = w;
        c->watches = w;
        curl_multi_assign(c->multi, fd, w);
    }
    short flags =
        EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
    event_del(w->ev);
    if (event_assign(w->ev, c->base, fd, flags, on_socket_event, w) != 0 ||
        event_add(w->ev, NULL) != 0)
        return -1;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants socket_action(TIMEOUT) after timeout_ms
 * (-1: no timer). Never call curl from here; the event does it from the
 * loop, which is also what keeps callbacks out of yb_upstream_send. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct yb_upstream_client *c = userp;
    (void)multi;
    if (timeout_ms < 0)
        return evtimer_del(c->timer) == 0 ? 0 : -1;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    return evtimer_add(c->timer, &tv) == 0 ? 0 : -1;
}

struct yb_upstream_client *yb_upstream_client_new(struct event_base *base)
{
    if (!base)
        return NULL;
    struct yb_upstream_client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->base = base;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, on_timer_event, c);
    if (!c->multi || !c->timer)
        goto fail;
    if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK)
        goto fail;
    return c;
fail:
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->timer)
        event_free(c->timer);
    free(c);
    return NULL;
}

static void unlink_active(struct yb_upstream_client *c, struct yb_upstream_call *call)
{
    if (call->prev)
        call->prev->next = call->next;
    else
        c->active = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
    c->n_active--;
}

/* A finished or cancelled call goes back to the free list with its easy
 * handle (options reset, connections stay in the multi's pool). */
static void release(struct yb_upstream_client *c, struct yb_upstream_call *call)
{
    curl_slist_free_all(call->headers);
    call->headers = NULL;
    yb_buf_free(&call->answer);
    if (c->n_idle >= FREE_LIST_MAX) {
        curl_easy_cleanup(call->easy);
        free(call);
        return;
    }
    curl_easy_reset(call->easy);
    call->next = c->idle;
    c->idle = call;
    c->n_idle++;
}

/* Must not be called from inside a call's callback: check_done is still
 * walking curl's message queue then. */
void yb_upstream_client_free(struct yb_upstream_client *c)
{
    if (!c)
        return;
    /* Calls in flight end here without their callbacks (not through
     * yb_upstream_cancel, which is a no-op for a call inside its callback). */
    struct yb_upstream_call *call = c->active, *next;
    c->active = NULL;
    c->n_active = 0;
    for (; call; call = next) {
        next = call->next;
        curl_multi_remove_handle(c->multi, call->easy);
        curl_slist_free_all(call->headers);
        yb_buf_free(&call->answer);
        curl_easy_cleanup(call->easy);
        free(call);
    }
    for (call = c->idle; call; call = next) {
        next = call->next;
        curl_easy_cleanup(call->easy);
        free(call);
    }
    c->idle = NULL;
    /* curl closes the pooled connections here and may report their sockets
     * as removed; whatever it does not report is freed after. */
    curl_multi_cleanup(c->multi);
    for (struct sock_watch *w = c->watches, *wnext; w; w = wnext) {
        wnext = w->next;
        event_free(w->ev);
        free(w);
    }
    event_free(c->timer);
    free(c);
}

unsigned yb_upstream_client_active(const struct yb_upstream_client *c)
{
    return c ? c->n_active : 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct yb_upstream_call *call = userp;
    size_t n = size * nmemb;
    int rc = yb_buf_append(&call->answer, data, n);
    if (rc == YB_ELIMIT) {
        call->too_large = 1;
        return 0; /* ends the transfer with CURLE_WRITE_ERROR */
    }
    if (rc) {
        call->no_memory = 1;
        return 0;
    }
    return n;
}

/* CURLOPT_HEADERFUNCTION: keep the answer's X-Ybgw-Hops (a relay's chain);
 * the rest of the headers are not needed. */
static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
    struct yb_upstream_call *call = userp;
    size_t n = size * nitems;
    static const char name[] = "X-Ybgw-Hops:";
    if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t len = n - (sizeof(name) - 1);
        while (len && (*v == ' ' || *v == '\t'))
            v++, len--;
        while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
            len--;
        if (len < sizeof(call->hops)) {
            memcpy(call->hops, v, len);
            call->hops[len] = '\0';
        }
    }
    return n;
}

static int status_of(const struct yb_upstream_call *call, CURLcode code, long http_code)
{
    switch (code) {
    case CURLE_OK:
        if (call->probe)
            return http_code > 0 && http_code < 500 ? YB_UP_OK : YB_UP_HTTP;
        return http_code == 200 ? YB_UP_OK : YB_UP_HTTP;
    case CURLE_WRITE_ERROR:
        return call->too_large ? YB_UP_TOO_LARGE : YB_UP_INTERNAL;
    case CURLE_FILESIZE_EXCEEDED: /* Content-Length above CURLOPT_MAXFILESIZE */
        return YB_UP_TOO_LARGE;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR: /* the handshake failed: nothing was sent */
        return YB_UP_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return YB_UP_TIMEOUT;
    /* The request may have reached the platform: a retry is not safe. */
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SEND_FAIL_REWIND: /* a reused connection died after the body left */
        return YB_UP_TRUNCATED;
    case CURLE_PEER_FAILED_VERIFICATION: /* also CURLE_SSL_CACERT since 7.62 */
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        return YB_UP_TLS;
    default:
        return YB_UP_INTERNAL;
    }
}

static void finish(struct yb_upstream_client *c, struct yb_upstream_call *call, CURLcode code)
{
    long http_code = 0;
    curl_off_t total_us = 0;
    char *url = NULL;
    char http_detail[32];
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &http_code);
    curl_easy_getinfo(call->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    curl_easy_getinfo(call->easy, CURLINFO_EFFECTIVE_URL, &url);

    struct yb_upstream_result res = {0};
    res.status = status_of(call, code, http_code);
    res.http_code = http_code;
    res.body = call->answer.data ? call->answer.data : "";
    res.len = call->answer.len;
    res.total_ms = (double)total_us / 1000.0;
    res.endpoint = url ? url : "";
    res.hops = call->hops[0] ? call->hops : NULL;
    if (res.status == YB_UP_HTTP) {
        snprintf(http_detail, sizeof(http_detail), "HTTP %ld", http_code);
        res.detail = http_detail;
    } else if (res.status == YB_UP_TOO_LARGE) {
        res.detail = "answer larger than max_response";
    } else if (call->no_memory) {
        res.detail = "out of memory for the answer";
    } else if (code != CURLE_OK) {
        res.detail = call->detail[0] ? call->detail : curl_easy_strerror(code);
    } else {
        res.detail = "";
    }

    unlink_active(c, call);
    call->in_callback = 1;
    call->cb(call->arg, &res);
    call->in_callback = 0;
    release(c, call);
}

/* Deliver every finished transfer. Called only from loop events. */
static void check_done(struct yb_upstream_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        char *private = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private);
        struct yb_upstream_call *call = (struct yb_upstream_call *)(void *)private;
        /* msg is invalid once the handle is removed. */
        curl_multi_remove_handle(c->multi, easy);
        if (call)
            finish(c, call, code);
    }
}

/* Grow the multi's limits to cover u: per host, the largest pool_size seen;
 * in all, the sum over distinct upstream names (a reload keeps the names,
 * so the sum does not creep). */
static void fit_pool(struct yb_upstream_client *c, const struct yb_upstream *u)
{
    long pool = (long)u->pool_size;
    if (pool > c->max_host_connections) {
        c->max_host_connections = pool;
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, pool);
    }
    const char *name = u->name ? u->name : "";
    unsigned i = 0;
    while (i < c->n_known && strcmp(c->known[i].name, name) != 0)
        i++;
    if (i == c->n_known) {
        if (c->n_known == KNOWN_UPSTREAMS)
            return;
        snprintf(c->known[i].name, sizeof(c->known[i].name), "%s", name);
        c->n_known++;
    }
    if (c->known[i].pool_size >= u->pool_size)
        return;
    c->known[i].pool_size = u->pool_size;
    long total = 0;
    for (unsigned k = 0; k < c->n_known; k++)
        total += c->known[k].pool_size;
    if (total > POOL_SIZE_MAX)
        total = POOL_SIZE_MAX;
    if (total > c->max_connects) {
        c->max_connects = total;
        curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, total);
    }
}

/* A header line must not smuggle in another one. */
static int header_ok(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return 0;
    for (const char *p = h; *p; p++)
        if (*p == '\r' || *p == '\n')
            return 0;
    return 1;
}

static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return YB_ENOMEM;
    *list = l;
    return 0;
}

static int build_headers(struct yb_upstream_call *call, const struct yb_upstream *u,
                         const char *infno, const char *body, size_t len, const char *const *extra)
{
    int rc = 0;
    if ((rc = add_header(&call->headers, "Content-Type: application/json;charset=UTF-8")) ||
        (rc = add_header(&call->headers, "Expect:"))) /* no 100-continue round trip */
        return rc;
    if (u->sign.scheme != YB_SIGN_NONE) {
        struct yb_header signs[YB_SIGN_MAX_HEADERS];
        size_t n = 0;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        if ((rc = yb_sign_compute(&u->sign, infno, body, len, now_ms, NULL, signs,
                                  YB_SIGN_MAX_HEADERS, &n)))
            return rc;
        for (size_t i = 0; i < n && rc == 0; i++) {
            char line[sizeof(signs[i].name) + sizeof(signs[i].value) + 4];
            snprintf(line, sizeof(line), "%.*s: %.*s", (int)sizeof(signs[i].name) - 1, signs[i].name,
                     (int)sizeof(signs[i].value) - 1, signs[i].value);
            rc = add_header(&call->headers, line);
        }
        OPENSSL_cleanse(signs, sizeof(signs));
        if (rc)
            return rc;
    }
    for (const char *const *h = extra; h && *h; h++) {
        if (!header_ok(*h))
            return YB_EINVAL;
        if ((rc = add_header(&call->headers, *h)))
            return rc;
    }
    return 0;
}

/* curl takes the body through this callback, never from POSTFIELDS: with
 * no seek function curl cannot rewind it, so when a reused keep-alive
 * connection dies after the body left, curl fails the call
 * (CURLE_SEND_FAIL_REWIND) instead of quietly posting the message again on
 * a new connection. A settlement must never be sent twice behind the
 * caller's back; only a body of which nothing was taken may be retried. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    struct yb_upstream_call *call = arg;
    size_t room = size * nitems, left = call->len - call->sent;
    size_t n = left < room ? left : room;
    if (n) {
        memcpy(buf, call->body + call->sent, n);
        call->sent += n;
    }
    return n;
}

static int set_options(struct yb_upstream_call *call, const struct yb_upstream *u, int ep,
                       const char *url, const char *body, size_t len, long timeout_ms)
{
    CURL *e = call->easy;
    long idle_s = (u->idle_timeout_ms + 999) / 1000;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_PRIVATE, (void *)call);
    SET(CURLOPT_URL, url ? url : u->endpoints[ep]);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    /* The route to the platform is the configuration's, not the
     * environment's: ignore http_proxy and friends. */
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_NOSIGNAL, 1L);
    if (call->probe) {
        SET(CURLOPT_HTTPGET, 1L);
        SET(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    } else {
        call->body = body ? body : "";
        call->len = len;
        call->sent = 0;
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, (void *)call);
        SET(CURLOPT_CONNECTTIMEOUT_MS, u->connect_timeout_ms);
    }
    SET(CURLOPT_HTTPHEADER, call->headers);
    SET(CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : u->timeout_ms);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)call);
    SET(CURLOPT_MAXAGE_CONN, idle_s);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, u->tls_verify ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, u->tls_verify ? 2L : 0L);
    if (u->ca_file)
        SET(CURLOPT_CAINFO, u->ca_file);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)u->max_response);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, (void *)call);
    SET(CURLOPT_ERRORBUFFER, call->detail);
#undef SET
    return rc == CURLE_OK ? 0 : YB_EINVAL;
}

/* A call from the free list, or a new one; reset for use. */
static struct yb_upstream_call *take_call(struct yb_upstream_client *c, const struct yb_upstream *u,
                                          yb_upstream_cb cb, void *arg)
{
    struct yb_upstream_call *call = c->idle;
    if (call) {
        c->idle = call->next;
        c->n_idle--;
    } else {
        call = calloc(1, sizeof(*call));
        if (!call)
            return NULL;
        if (!(call->easy = curl_easy_init())) {
            free(call);
            return NULL;
        }
    }
    call->client = c;
    call->headers = NULL;
    yb_buf_init(&call->answer, u->max_response);
    call->too_large = call->no_memory = call->in_callback = 0;
    call->cb = cb;
    call->arg = arg;
    call->detail[0] = '\0';
    call->prev = call->next = NULL;
    call->probe = 0;
    call->hops[0] = '\0';
    return call;
}

/* Hand a prepared call to the multi handle. */
static struct yb_upstream_call *start_call(struct yb_upstream_client *c,
                                           const struct yb_upstream *u,
                                           struct yb_upstream_call *call)
{
    fit_pool(c, u);
    if (curl_multi_add_handle(c->multi, call->easy) != CURLM_OK) {
        release(c, call);
        return NULL;
    }
    call->next = c->active;
    if (c->active)
        c->active->prev = call;
    c->active = call;
    c->n_active++;
    return call;
}

struct yb_upstream_call *yb_upstream_send(struct yb_upstream_client *c, const struct yb_upstream *u,
                                          int ep, const char *infno, const char *body, size_t len,
                                          long timeout_ms, const char *const *extra_headers,
                                          yb_upstream_cb cb, void *arg)
{
    if (!c || !u || !cb || ep < 0 || ep >= u->n_endpoints || (len && !body))
        return NULL;
    struct yb_upstream_call *call = take_call(c, u, cb, arg);
    if (!call)
        return NULL;
    if (build_headers(call, u, infno, body, len, extra_headers) ||
        set_options(call, u, ep, NULL, body, len, timeout_ms)) {
        release(c, call);
        return NULL;
    }
    return start_call(c, u, call);
}

/* The health check URL of endpoint ep: its own, or its scheme and host
 * with health_path. */
static char *probe_url(const struct yb_upstream *u, int ep)
{
    if (!u->health_path)
        return strdup(u->endpoints[ep]);
    CURLU *h = curl_url();
    char *url = NULL, *out = NULL;
    if (h && curl_url_set(h, CURLUPART_URL, u->endpoints[ep], 0) == CURLUE_OK &&
        curl_url_set(h, CURLUPART_PATH, u->health_path, 0) == CURLUE_OK &&
        curl_url_set(h, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_URL, &url, 0) == CURLUE_OK)
        out = strdup(url);
    curl_free(url);
    curl_url_cleanup(h);
    return out;
}

struct yb_upstream_call *yb_upstream_probe(struct yb_upstream_client *c,
                                           const struct yb_upstream *u, int ep, yb_upstream_cb cb,
                                           void *arg)
{
    if (!c || !u || !cb || ep < 0 || ep >= u->n_endpoints)
        return NULL;
    char *url = probe_url(u, ep);
    if (!url)
        return NULL;
    struct yb_upstream_call *call = take_call(c, u, cb, arg);
    if (!call) {
        free(url);
        return NULL;
    }
    call->probe = 1;
    /* curl copies the URL string when it is set */
    int rc = set_options(call, u, ep, url, NULL, 0, u->health_timeout_ms);
    free(url);
    if (rc) {
        release(c, call);
        return NULL;
    }
    return start_call(c, u, call);
}

int yb_upstream_endpoint_failed(const struct yb_upstream_result *res)
{
    switch (res->status) {
    case YB_UP_CONNECT:
    case YB_UP_TIMEOUT:
    case YB_UP_TRUNCATED:
    case YB_UP_TLS:
        return 1;
    case YB_UP_HTTP:
        return res->http_code >= 500 || res->http_code == 0;
    default:
        return 0;
    }
}

void yb_upstream_cancel(struct yb_upstream_call *call)
{
    if (!call || call->in_callback)
        return;
    struct yb_upstream_client *c = call->client;
    curl_multi_remove_handle(c->multi, call->easy);
    unlink_active(c, call);
    release(c, call);
}

const char *yb_upstream_status_word(int status)
{
    switch (status) {
    case YB_UP_OK:
        return "ok";
    case YB_UP_CONNECT:
        return "connect";
    case YB_UP_TIMEOUT:
        return "timeout";
    case YB_UP_HTTP:
        return "http";
    case YB_UP_TRUNCATED:
        return "truncated";
    case YB_UP_TOO_LARGE:
        return "too_large";
    case YB_UP_TLS:
        return "tls";
    case YB_UP_CANCELLED:
        return "cancelled";
    default:
        return "internal";
    }
}
