/*
 * listen.c - accepting HIS requests on one worker's event loop.
 *
 * Limits are enforced here, before any decoding: evhttp refuses headers over
 * max_headers and bodies over twice max_body itself (with its own short
 * answer, as the connection cannot be trusted past that), and a body between
 * max_body and that hard cap gets a platform-style envelope with HTTP 413,
 * so the usual oversized message is answered in a form the HIS can read.
 *
 * With a tls block (tls.h) every connection is built on a TLS bufferevent
 * (evhttp_set_bevcb) with the server's context, so the handshake, and the
 * client certificate check it includes, is over before evhttp parses a
 * byte; plain HTTP to that port gets no answer.
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "server.h"
#include "settings.h"
#include "tls.h"
#include "txn.h"

/* If path is the service path followed by "/INFNO", copy INFNO into out. */
static int route_path(const struct yb_settings *s, const char *path, char *infno, size_t cap)
{
    infno[0] = '\0';
    if (!path || strcmp(path, "/") == 0 || strcmp(path, "") == 0)
        return 0;
    size_t sp = strlen(s->service_path);
    if (strncmp(path, s->service_path, sp) != 0)
        return -1;
    const char *rest = path + sp;
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        return 0;
    if (*rest != '/')
        return -1;
    rest++;
    size_t n = strlen(rest);
    if (n == 0 || n >= cap || strspn(rest, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
        return -1;
    memcpy(infno, rest, n + 1);
    return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct yb_worker *w = arg;
    struct yb_snapshot *snap = yb_server_acquire(w->server);
    const struct yb_settings *s = snap->settings;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    char infno[16];
    int status = 0;
    const char *rule = NULL, *why = NULL;
    char message[160];

    if (route_path(s, path, infno, sizeof(infno)) != 0) {
        status = 404;
        rule = "path";
        snprintf(message, sizeof(message), "no service at this path; POST to %s or /",
                 s->service_path);
        why = message;
    } else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        status = 405;
        rule = "method";
        why = "only POST is served here";
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
    } else if (w->draining) {
        status = 503;
        rule = "draining";
        why = "the gateway is shutting down; send this again to another gateway or later";
    } else if (len > s->max_body) {
        status = 413;
        rule = "max_body";
        snprintf(message, sizeof(message), "request body larger than %zu bytes (got %zu)",
                 s->max_body, len);
        why = message;
    }
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    if (!body) {
        yb_snapshot_release(snap);
        evhttp_send_error(req, 503, "out of memory");
        return;
    }
    /* the snapshot reference passes to the transaction */
    if (status) {
        yb_txn_refuse(w, snap, req, body, len, status, rule, why);
        return;
    }
    yb_txn_start(w, snap, req, body, len, infno[0] ? infno : NULL);
}

/* evhttp's factory for a new connection's bufferevent: TLS on this worker's
 * loop. On NULL evhttp would fall back to plain HTTP; txn.c refuses a plain
 * request when the server speaks TLS, so that cannot open a way around it. */
static struct bufferevent *tls_bufferevent(struct event_base *base, void *arg)
{
    struct yb_worker *w = arg;
    return yb_tls_bufferevent(base, w->server->tls);
}

int yb_listen_start(struct yb_worker *w, const struct yb_settings *s, int share_port, char *err,
                    size_t errlen)
{
    char host[256];
    unsigned short port;
    if (yb_split_hostport(s->listen, host, sizeof(host), &port)) {
        snprintf(err, errlen, "listen: bad address %s", s->listen);
        return -1;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sslen;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        sslen = sizeof(*sin);
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        sslen = sizeof(*sin6);
    } else {
        snprintf(err, errlen, "listen: %s is not a numeric IP address", host);
        return -1;
    }
    w->http = evhttp_new(w->base);
    if (!w->http) {
        snprintf(err, errlen, "listen: out of memory");
        return -1;
    }
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_POST | EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(w->http, (ev_ssize_t)s->max_headers);
    evhttp_set_max_body_size(w->http, (ev_ssize_t)(s->max_body * 2));
    evhttp_set_timeout(w->http, (int)((s->read_timeout_ms + 999) / 1000));
    evhttp_set_default_content_type(w->http, "application/json;charset=UTF-8");
    evhttp_set_gencb(w->http, on_request, w);
    if (w->server->tls)
        evhttp_set_bevcb(w->http, tls_bufferevent, w);
    unsigned flags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
    if (share_port)
        flags |= LEV_OPT_REUSEABLE_PORT;
    struct evconnlistener *l = evconnlistener_new_bind(w->base, NULL, NULL, flags, 1024,
                                                       (struct sockaddr *)&ss, (int)sslen);
    if (!l) {
        snprintf(err, errlen, "listen: cannot bind %s: %s", s->listen, strerror(errno));
        return -1;
    }
    /* Answers leave at once: without TCP_NODELAY the tail of a large answer
     * waited for the client's delayed ACK (40 ms on Linux). Accepted
     * sockets inherit it from the listener. */
    int one = 1;
    setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    w->bound = evhttp_bind_listener(w->http, l);
    if (!w->bound) {
        evconnlistener_free(l);
        snprintf(err, errlen, "listen: cannot serve %s", s->listen);
        return -1;
    }
    return 0;
}

void yb_listen_stop_accepting(struct yb_worker *w)
{
    if (w->bound) {
        evhttp_del_accept_socket(w->http, w->bound);
        w->bound = NULL;
    }
}
