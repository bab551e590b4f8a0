/*
 * upstream_test.c - the upstream HTTP client (upstream.c) against a small
 * in-process server on 127.0.0.1, run on the same event_base as the client:
 *
 *   /ok       echoes the body with 200        /slow     answers after 2 s
 *   /500      a 500 with a JSON body          /big      2 KiB, with Content-Length
 *   /chunked  2 KiB, chunked (no length)      /headers  echoes the signing headers
 *   /peer     the caller's TCP port (tells a reused connection from a new one)
 *   and a raw listener that promises 1000 bytes, sends a few and closes.
 *
 * Every wait runs the loop under a guard timer, so a hang fails one test
 * after GUARD_SECONDS instead of hanging the suite.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "testutil.h"
#include "upstream.h"
#include "ybgw/ybgw.h"

#define GUARD_SECONDS 5
#define MAX_SLOW 8
#define MAX_RAW 8

/* ---- the test server ---- */

struct slow_reply {
    struct evhttp_request *req;
    struct event *timer;
};

struct fixture {
    struct event_base *base;
    struct evhttp *http;
    int port;
    struct evconnlistener *raw;
    int raw_port;
    struct bufferevent *raw_conns[MAX_RAW];
    struct slow_reply slow[MAX_SLOW];
    struct yb_upstream_client *client;
    struct event *guard;
    int guard_fired;
};

static struct fixture fx;

static void reply(struct evhttp_request *req, int code, const char *body, size_t len)
{
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, body, len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", out);
    evbuffer_free(out);
}

static void on_ok(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *body = malloc(len + 1);
    evbuffer_remove(in, body, len);
    reply(req, 200, body, len);
    free(body);
}

static void on_500(struct evhttp_request *req, void *arg)
{
    (void)arg;
    reply(req, 500, "{\"err\":\"boom\"}", 14);
}

static char big_body[2048];

static void on_big(struct evhttp_request *req, void *arg)
{
    (void)arg;
    reply(req, 200, big_body, sizeof(big_body));
}

static void on_chunked(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *chunk = evbuffer_new();
    evhttp_send_reply_start(req, 200, "OK");
    for (int i = 0; i < 4; i++) {
        evbuffer_add(chunk, big_body, sizeof(big_body) / 4);
        evhttp_send_reply_chunk(req, chunk);
    }
    evhttp_send_reply_end(req);
    evbuffer_free(chunk);
}

static void on_peer(struct evhttp_request *req, void *arg)
{
    (void)arg;
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr, &port);
    char body[16];
    int n = snprintf(body, sizeof(body), "%u", (unsigned)port);
    reply(req, 200, body, (size_t)n);
}

/* Every request header that matters to signing, one "name: value" a line. */
static void on_headers(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *out = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    for (struct evkeyval *kv = h->tqh_first; kv; kv = kv->next.tqe_next)
        evbuffer_add_printf(out, "%s: %s\n", kv->key, kv->value);
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

static void slow_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct slow_reply *s = arg;
    event_free(s->timer);
    s->timer = NULL;
    struct evhttp_request *req = s->req;
    s->req = NULL;
    reply(req, 200, "{\"slow\":1}", 10);
}

static void on_slow(struct evhttp_request *req, void *arg)
{
    (void)arg;
    for (int i = 0; i < MAX_SLOW; i++) {
        struct slow_reply *s = &fx.slow[i];
        if (s->req)
            continue;
        s->req = req;
        s->timer = evtimer_new(fx.base, slow_fire, s);
        struct timeval tv = {2, 0};
        evtimer_add(s->timer, &tv);
        return;
    }
    reply(req, 503, "", 0);
}

/* The raw server: read one request (headers and Content-Length body), then
 * promise 1000 bytes, send 11 and close. */
static void raw_written(struct bufferevent *bev, void *arg)
{
    (void)arg;
    for (int i = 0; i < MAX_RAW; i++)
        if (fx.raw_conns[i] == bev)
            fx.raw_conns[i] = NULL;
    bufferevent_free(bev);
}

static void raw_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end.pos < 0)
        return;
    size_t head = (size_t)end.pos + 4;
    char *text = (char *)evbuffer_pullup(in, (ev_ssize_t)head);
    size_t body = 0;
    const char *cl = strcasestr(text, "\r\ncontent-length:");
    if (cl && cl < text + head)
        body = strtoul(cl + 17, NULL, 10);
    if (evbuffer_get_length(in) < head + body)
        return;
    evbuffer_drain(in, head + body);
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 1000\r\n\r\n{\"partial\":";
    bufferevent_setcb(bev, NULL, raw_written, NULL, NULL);
    bufferevent_write(bev, answer, sizeof(answer) - 1);
}

static void raw_event(struct bufferevent *bev, short what, void *arg)
{
    (void)what;
    raw_written(bev, arg);
}

static void raw_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                       void *arg)
{
    (void)l;
    (void)sa;
    (void)len;
    (void)arg;
    struct bufferevent *bev = bufferevent_socket_new(fx.base, fd, BEV_OPT_CLOSE_ON_FREE);
    for (int i = 0; i < MAX_RAW; i++) {
        if (!fx.raw_conns[i]) {
            fx.raw_conns[i] = bev;
            break;
        }
    }
    bufferevent_setcb(bev, raw_read, NULL, raw_event, NULL);
    bufferevent_enable(bev, EV_READ);
}

static int bound_port(evutil_socket_t fd)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    if (getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
        return -1;
    return ntohs(sin.sin_port);
}

static void guard_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    fx.guard_fired = 1;
}

static void setup(void)
{
    memset(&fx, 0, sizeof(fx));
    memset(big_body, 'x', sizeof(big_body));
    fx.base = event_base_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(fx.base);
    fx.http = evhttp_new(fx.base);
    evhttp_set_allowed_methods(fx.http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
    evhttp_set_cb(fx.http, "/ok", on_ok, NULL);
    evhttp_set_cb(fx.http, "/500", on_500, NULL);
    evhttp_set_cb(fx.http, "/big", on_big, NULL);
    evhttp_set_cb(fx.http, "/chunked", on_chunked, NULL);
    evhttp_set_cb(fx.http, "/peer", on_peer, NULL);
    evhttp_set_cb(fx.http, "/headers", on_headers, NULL);
    evhttp_set_cb(fx.http, "/slow", on_slow, NULL);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(fx.http, "127.0.0.1", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
    fx.port = bound_port(evhttp_bound_socket_get_fd(bs));
    CU_ASSERT_FATAL(fx.port > 0);

    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fx.raw = evconnlistener_new_bind(fx.base, raw_accept, NULL,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                     (struct sockaddr *)&sin, sizeof(sin));
    CU_ASSERT_PTR_NOT_NULL_FATAL(fx.raw);
    fx.raw_port = bound_port(evconnlistener_get_fd(fx.raw));

    fx.client = yb_upstream_client_new(fx.base);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fx.client);
    fx.guard = evtimer_new(fx.base, guard_fire, NULL);
}

static void teardown(void)
{
    yb_upstream_client_free(fx.client);
    fx.client = NULL;
    /* Answer the /slow requests still waiting, so evhttp frees them, and give
     * the loop a few turns to write and close. */
    for (int i = 0; i < MAX_SLOW; i++)
        if (fx.slow[i].req)
            slow_fire(-1, 0, &fx.slow[i]);
    for (int i = 0; i < 10; i++)
        event_base_loop(fx.base, EVLOOP_NONBLOCK);
    for (int i = 0; i < MAX_RAW; i++)
        if (fx.raw_conns[i])
            bufferevent_free(fx.raw_conns[i]);
    evconnlistener_free(fx.raw);
    evhttp_free(fx.http);
    event_free(fx.guard);
    event_base_free(fx.base);
}

/* Run the loop until *flag is set or the guard fires (a test failure). */
static void run_until(const int *flag, double seconds)
{
    struct timeval tv = {(time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6)};
    fx.guard_fired = 0;
    evtimer_add(fx.guard, &tv);
    while (!*flag && !fx.guard_fired)
        event_base_loop(fx.base, EVLOOP_ONCE);
    evtimer_del(fx.guard);
}

static void run_for(double seconds)
{
    static const int never = 0;
    run_until(&never, seconds);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a call's outcome ---- */

struct outcome {
    int calls;
    int status;
    long http_code;
    char *body;
    size_t len;
    char endpoint[256];
    char detail[256];
    double total_ms;
};

static int in_send; /* set around yb_upstream_send: a callback must never see it */

static void on_done(void *arg, const struct yb_upstream_result *res)
{
    struct outcome *o = arg;
    CU_ASSERT_FALSE(in_send);
    o->calls++;
    o->status = res->status;
    o->http_code = res->http_code;
    free(o->body);
    o->body = malloc(res->len + 1);
    memcpy(o->body, res->body, res->len);
    o->body[res->len] = '\0';
    o->len = res->len;
    o->total_ms = res->total_ms;
    snprintf(o->endpoint, sizeof(o->endpoint), "%s", res->endpoint);
    snprintf(o->detail, sizeof(o->detail), "%s", res->detail);
}

static struct yb_upstream_call *send_call(const struct yb_upstream *u, int ep, const char *body,
                                          const char *const *extra, struct outcome *o)
{
    in_send = 1;
    struct yb_upstream_call *call =
        yb_upstream_send(fx.client, u, ep, "1101", body, strlen(body), 0, extra, on_done, o);
    in_send = 0;
    return call;
}

/* Build an upstream from configuration text (the block's inside). */
static int make_upstream(struct yb_upstream *u, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int make_upstream(struct yb_upstream *u, char *err, size_t errlen, const char *fmt, ...)
{
    char inner[2048], text[2200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inner, sizeof(inner), fmt, ap);
    va_end(ap);
    int n = snprintf(text, sizeof(text), "upstream test {\n%s\n}\n", inner);
    struct yb_conf *root = yb_conf_parse_string("test.conf", text, (size_t)n, err, errlen);
    if (!root)
        return YB_EINVAL;
    int rc = yb_upstream_conf(root->children, u, err, errlen);
    yb_conf_free(root);
    return rc;
}

static void make_ok(struct yb_upstream *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void make_ok(struct yb_upstream *u, const char *fmt, ...)
{
    char inner[2048], err[512] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inner, sizeof(inner), fmt, ap);
    va_end(ap);
    int rc = make_upstream(u, err, sizeof(err), "%s", inner);
    if (rc)
        fprintf(stderr, "make_upstream: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* ---- tests ---- */

static void test_ok(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/ok;", fx.port);
    struct outcome o = {0};
    CU_ASSERT_PTR_NOT_NULL(send_call(&u, 0, "{\"infno\":\"1101\"}", NULL, &o));
    CU_ASSERT_EQUAL(yb_upstream_client_active(fx.client), 1);
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(o.calls, 1);
    CU_ASSERT_EQUAL(o.status, YB_UP_OK);
    CU_ASSERT_EQUAL(o.http_code, 200);
    CU_ASSERT_STRING_EQUAL(o.body ? o.body : "", "{\"infno\":\"1101\"}");
    CU_ASSERT_STRING_EQUAL(o.endpoint, u.endpoints[0]);
    CU_ASSERT(o.total_ms > 0);
    CU_ASSERT_EQUAL(yb_upstream_client_active(fx.client), 0);
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

/* Two calls one after the other travel on one connection. */
static void test_keepalive(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/peer;", fx.port);
    struct outcome a = {0}, b = {0};
    send_call(&u, 0, "{}", NULL, &a);
    run_until(&a.calls, GUARD_SECONDS);
    send_call(&u, 0, "{}", NULL, &b);
    run_until(&b.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(a.status, YB_UP_OK);
    CU_ASSERT_EQUAL(b.status, YB_UP_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a.body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b.body);
    CU_ASSERT(strtol(a.body, NULL, 10) > 0);
    CU_ASSERT_STRING_EQUAL(a.body, b.body);
    free(a.body);
    free(b.body);
    yb_upstream_conf_free(&u);
    teardown();
}

/* Many calls at once stay within pool_size connections to the host. */
static void test_pool_size(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/peer; pool_size 3;", fx.port);
    enum { N = 12 };
    struct outcome o[N];
    memset(o, 0, sizeof(o));
    for (int i = 0; i < N; i++)
        CU_ASSERT_PTR_NOT_NULL(send_call(&u, 0, "{}", NULL, &o[i]));
    CU_ASSERT_EQUAL(yb_upstream_client_active(fx.client), N);
    for (int i = 0; i < N; i++)
        run_until(&o[i].calls, GUARD_SECONDS);
    char ports[N][16];
    int distinct = 0;
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(o[i].status, YB_UP_OK);
        int seen = 0;
        for (int k = 0; k < distinct; k++)
            if (o[i].body && strcmp(ports[k], o[i].body) == 0)
                seen = 1;
        if (!seen && o[i].body)
            snprintf(ports[distinct++], sizeof(ports[0]), "%s", o[i].body);
        free(o[i].body);
    }
    CU_ASSERT(distinct >= 1 && distinct <= 3);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_timeout(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/slow; timeout 300ms;", fx.port);
    struct outcome o = {0};
    double start = now_s();
    send_call(&u, 0, "{}", NULL, &o);
    run_until(&o.calls, GUARD_SECONDS);
    double took = now_s() - start;
    CU_ASSERT_EQUAL(o.calls, 1);
    CU_ASSERT_EQUAL(o.status, YB_UP_TIMEOUT);
    CU_ASSERT(took >= 0.25 && took < 1.5);
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(o.status), "timeout");
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_refused(void)
{
    setup();
    /* a port nobody listens on: bind one, note it, close it */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_EQUAL_FATAL(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    int port = bound_port(s);
    close(s);
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/ok;", port);
    struct outcome o = {0};
    CU_ASSERT_PTR_NOT_NULL(send_call(&u, 0, "{}", NULL, &o));
    CU_ASSERT_EQUAL(o.calls, 0); /* later, from the loop, even for an instant failure */
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(o.calls, 1);
    CU_ASSERT_EQUAL(o.status, YB_UP_CONNECT);
    CU_ASSERT(o.detail[0] != '\0');
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_http_500(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/500;", fx.port);
    struct outcome o = {0};
    send_call(&u, 0, "{}", NULL, &o);
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(o.status, YB_UP_HTTP);
    CU_ASSERT_EQUAL(o.http_code, 500);
    CU_ASSERT_STRING_EQUAL(o.body ? o.body : "", "{\"err\":\"boom\"}");
    CU_ASSERT_PTR_NOT_NULL(strstr(o.detail, "500"));
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_too_large(void)
{
    setup();
    struct yb_upstream u;
    /* endpoint 0 announces its length; endpoint 1 is chunked, so only the
     * write callback's cap can stop it */
    make_ok(&u,
            "endpoint http://127.0.0.1:%d/big; endpoint http://127.0.0.1:%d/chunked;"
            " max_response 1k;",
            fx.port, fx.port);
    struct outcome a = {0}, b = {0};
    send_call(&u, 0, "{}", NULL, &a);
    send_call(&u, 1, "{}", NULL, &b);
    run_until(&a.calls, GUARD_SECONDS);
    run_until(&b.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(a.status, YB_UP_TOO_LARGE);
    CU_ASSERT_EQUAL(b.status, YB_UP_TOO_LARGE);
    CU_ASSERT(b.len <= 1024);
    free(a.body);
    free(b.body);
    yb_upstream_conf_free(&u);

    /* the same answers fit a larger cap */
    make_ok(&u, "endpoint http://127.0.0.1:%d/chunked; max_response 2k;", fx.port);
    struct outcome c = {0};
    send_call(&u, 0, "{}", NULL, &c);
    run_until(&c.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(c.status, YB_UP_OK);
    CU_ASSERT_EQUAL(c.len, sizeof(big_body));
    free(c.body);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_truncated(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/close;", fx.raw_port);
    struct outcome o = {0};
    send_call(&u, 0, "{\"a\":1}", NULL, &o);
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(o.calls, 1);
    CU_ASSERT_EQUAL(o.status, YB_UP_TRUNCATED);
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

/* https to a plain-HTTP port: the TLS handshake fails before anything is
 * sent, which counts as a connect failure. */
static void test_tls_handshake(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint https://127.0.0.1:%d/ok;", fx.port);
    struct outcome o = {0};
    send_call(&u, 0, "{}", NULL, &o);
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(o.status, YB_UP_CONNECT);
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

/* ---- a TLS server with a self-signed certificate for 127.0.0.1 ----
 * Plain OpenSSL on a non-blocking socket, stepped by a read event: enough
 * to finish a handshake, read one request and answer `{}`. */

struct tls_server {
    SSL_CTX *ctx;
    struct evconnlistener *listener;
    int port;
    char cert_path[64];
    SSL *ssl;
    struct event *ev;
    char request[4096];
    size_t got;
};

static struct tls_server tls;

static void tls_close(void)
{
    if (tls.ev) {
        event_free(tls.ev);
        tls.ev = NULL;
    }
    if (tls.ssl) {
        int fd = SSL_get_fd(tls.ssl);
        SSL_free(tls.ssl);
        tls.ssl = NULL;
        close(fd);
    }
}

static void tls_step(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (!SSL_is_init_finished(tls.ssl)) {
        int r = SSL_accept(tls.ssl);
        if (r != 1) {
            if (SSL_get_error(tls.ssl, r) != SSL_ERROR_WANT_READ)
                tls_close(); /* e.g. the client refused our certificate */
            return;
        }
    }
    for (;;) {
        if (tls.got >= sizeof(tls.request) - 1) {
            tls_close();
            return;
        }
        int r = SSL_read(tls.ssl, tls.request + tls.got, (int)(sizeof(tls.request) - 1 - tls.got));
        if (r <= 0)
            break;
        tls.got += (size_t)r;
    }
    tls.request[tls.got] = '\0';
    char *end = strstr(tls.request, "\r\n\r\n");
    if (!end)
        return;
    const char *cl = strcasestr(tls.request, "\r\ncontent-length:");
    size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
    if (tls.got < (size_t)(end + 4 - tls.request) + body)
        return;
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                 "Connection: close\r\n\r\n{}";
    SSL_write(tls.ssl, answer, (int)sizeof(answer) - 1);
    SSL_shutdown(tls.ssl);
    tls_close();
}

static void tls_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                       void *arg)
{
    (void)l;
    (void)sa;
    (void)len;
    (void)arg;
    if (tls.ssl) { /* one connection at a time is all the tests need */
        close(fd);
        return;
    }
    tls.got = 0;
    tls.ssl = SSL_new(tls.ctx);
    SSL_set_fd(tls.ssl, fd);
    tls.ev = event_new(fx.base, fd, EV_READ | EV_PERSIST, tls_step, NULL);
    event_add(tls.ev, NULL);
}

static void tls_setup(void)
{
    memset(&tls, 0, sizeof(tls));
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(san);
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
    CU_ASSERT_FATAL(X509_sign(x, key, EVP_sha256()) > 0);

    snprintf(tls.cert_path, sizeof(tls.cert_path), "/tmp/yb_upstream_ca_XXXXXX");
    int fd = mkstemp(tls.cert_path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    PEM_write_X509(f, x);
    fclose(f);

    tls.ctx = SSL_CTX_new(TLS_server_method());
    CU_ASSERT_FATAL(SSL_CTX_use_certificate(tls.ctx, x) == 1);
    CU_ASSERT_FATAL(SSL_CTX_use_PrivateKey(tls.ctx, key) == 1);
    X509_free(x);
    EVP_PKEY_free(key);

    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tls.listener = evconnlistener_new_bind(fx.base, tls_accept, NULL,
                                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                           (struct sockaddr *)&sin, sizeof(sin));
    CU_ASSERT_PTR_NOT_NULL_FATAL(tls.listener);
    tls.port = bound_port(evconnlistener_get_fd(tls.listener));
}

static void tls_teardown(void)
{
    tls_close();
    evconnlistener_free(tls.listener);
    SSL_CTX_free(tls.ctx);
    unlink(tls.cert_path);
}

static int tls_call(const char *settings)
{
    struct yb_upstream u;
    make_ok(&u, "endpoint https://127.0.0.1:%d/ok; %s", tls.port, settings);
    struct outcome o = {0};
    send_call(&u, 0, "{}", NULL, &o);
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(o.calls, 1);
    if (o.status == YB_UP_OK)
        CU_ASSERT_STRING_EQUAL(o.body ? o.body : "", "{}");
    free(o.body);
    yb_upstream_conf_free(&u);
    run_for(0.05); /* let the server side close */
    return o.status;
}

/* A certificate nobody vouches for is a TLS failure; the configured CA or
 * tls_verify off lets the same server through. */
static void test_tls_verify(void)
{
    setup();
    tls_setup();
    char with_ca[128], missing_ca[128];
    snprintf(with_ca, sizeof(with_ca), "ca_file %s;", tls.cert_path);
    snprintf(missing_ca, sizeof(missing_ca), "ca_file %s.missing;", tls.cert_path);
    CU_ASSERT_EQUAL(tls_call(""), YB_UP_TLS);
    CU_ASSERT_EQUAL(tls_call(with_ca), YB_UP_OK);
    CU_ASSERT_EQUAL(tls_call("tls_verify off;"), YB_UP_OK);
    CU_ASSERT_EQUAL(tls_call(missing_ca), YB_UP_TLS);
    tls_teardown();
    teardown();
}

static const char *header_value(const char *text, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 2;
            size_t len = strcspn(v, "\n");
            snprintf(buf, cap, "%.*s", (int)len, v);
            return buf;
        }
    }
    return NULL;
}

static void write_secret(char *path, size_t cap, const char *secret)
{
    snprintf(path, cap, "/tmp/yb_upstream_test_XXXXXX");
    int fd = mkstemp(path); /* mode 0600 */
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, secret, strlen(secret)) == (ssize_t)strlen(secret));
    CU_ASSERT_FATAL(write(fd, "\n", 1) == 1);
    close(fd);
}

static void test_sign_api_headers(void)
{
    setup();
    char path[64], v[256];
    write_secret(path, sizeof(path), "api-secret-1");
    struct yb_upstream u;
    make_ok(&u,
            "endpoint http://127.0.0.1:%d/headers; sign api; access_key AK9;"
            " api_version 1.0.0; secret_file %s;",
            fx.port, path);
    unlink(path);
    struct outcome o = {0};
    const char *extra[] = {"X-Extra: yes", NULL};
    time_t before = time(NULL);
    send_call(&u, 0, "{}", extra, &o);
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL_FATAL(o.status, YB_UP_OK);
    const char *t = o.body;
    CU_ASSERT_STRING_EQUAL(header_value(t, "_api_name", v, sizeof(v)), "1101");
    CU_ASSERT_STRING_EQUAL(header_value(t, "_api_version", v, sizeof(v)), "1.0.0");
    CU_ASSERT_STRING_EQUAL(header_value(t, "_api_access_key", v, sizeof(v)), "AK9");
    CU_ASSERT_STRING_EQUAL(header_value(t, "X-Extra", v, sizeof(v)), "yes");
    CU_ASSERT_STRING_EQUAL(header_value(t, "Content-Type", v, sizeof(v)),
                           "application/json;charset=UTF-8");
    CU_ASSERT_PTR_NULL(header_value(t, "Expect", v, sizeof(v)));
    CU_ASSERT_PTR_NULL(strstr(t, "api-secret-1"));

    char stamp[32];
    CU_ASSERT_PTR_NOT_NULL_FATAL(header_value(t, "_api_timestamp", stamp, sizeof(stamp)));
    long long ms = strtoll(stamp, NULL, 10);
    CU_ASSERT(ms / 1000 >= (long long)before - 1 && ms / 1000 <= (long long)time(NULL) + 1);
    /* recompute the signature here, from what arrived */
    char text[256];
    snprintf(text, sizeof(text),
             "_api_access_key=AK9&_api_name=1101&_api_timestamp=%s&_api_version=1.0.0", stamp);
    unsigned char mac[20];
    unsigned maclen = 0;
    HMAC(EVP_sha1(), "api-secret-1", 12, (unsigned char *)text, strlen(text), mac, &maclen);
    char b64[64];
    EVP_EncodeBlock((unsigned char *)b64, mac, (int)maclen);
    CU_ASSERT_STRING_EQUAL(header_value(t, "_api_signature", v, sizeof(v)), b64);
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_sign_tif_headers(void)
{
    setup();
    char path[64], v[256];
    write_secret(path, sizeof(path), "tif-token");
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/headers; sign tif; access_key paas7; secret_file %s;",
            fx.port, path);
    unlink(path);
    struct outcome o = {0};
    send_call(&u, 0, "{}", NULL, &o);
    run_until(&o.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL_FATAL(o.status, YB_UP_OK);
    const char *t = o.body;
    char stamp[32], nonce[64];
    CU_ASSERT_STRING_EQUAL(header_value(t, "x-tif-paasid", v, sizeof(v)), "paas7");
    CU_ASSERT_PTR_NOT_NULL_FATAL(header_value(t, "x-tif-timestamp", stamp, sizeof(stamp)));
    CU_ASSERT_PTR_NOT_NULL_FATAL(header_value(t, "x-tif-nonce", nonce, sizeof(nonce)));
    CU_ASSERT_EQUAL(strlen(stamp), 10); /* seconds, not milliseconds */
    CU_ASSERT_EQUAL(strlen(nonce), 32);
    char text[256];
    snprintf(text, sizeof(text), "%stif-token%s%s", stamp, nonce, stamp);
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", md[i]);
    CU_ASSERT_STRING_EQUAL(header_value(t, "x-tif-signature", v, sizeof(v)), hex);
    CU_ASSERT_PTR_NULL(header_value(t, "_api_name", v, sizeof(v)));
    free(o.body);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_cancel(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/slow;", fx.port);
    struct outcome a = {0}, b = {0}, c = {0};
    /* cancelled at once, and cancelled while waiting for the answer */
    struct yb_upstream_call *ca = send_call(&u, 0, "{}", NULL, &a);
    struct yb_upstream_call *cb = send_call(&u, 0, "{}", NULL, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
    yb_upstream_cancel(ca);
    CU_ASSERT_EQUAL(yb_upstream_client_active(fx.client), 1);
    run_for(0.3);
    yb_upstream_cancel(cb);
    CU_ASSERT_EQUAL(yb_upstream_client_active(fx.client), 0);
    run_for(0.3);
    CU_ASSERT_EQUAL(a.calls, 0);
    CU_ASSERT_EQUAL(b.calls, 0);
    /* the client still works after cancels (and reuses the freed handles) */
    yb_upstream_conf_free(&u);
    make_ok(&u, "endpoint http://127.0.0.1:%d/ok;", fx.port);
    send_call(&u, 0, "{\"after\":1}", NULL, &c);
    run_until(&c.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(c.status, YB_UP_OK);
    CU_ASSERT_STRING_EQUAL(c.body ? c.body : "", "{\"after\":1}");
    free(c.body);
    yb_upstream_conf_free(&u);
    teardown();
}

/* Freeing the client with calls in flight gives no callback (and, under
 * ASan, no leak). */
static void test_free_with_calls_in_flight(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/slow;", fx.port);
    struct outcome a = {0}, b = {0};
    send_call(&u, 0, "{}", NULL, &a);
    send_call(&u, 0, "{}", NULL, &b);
    run_for(0.2);
    yb_upstream_client_free(fx.client);
    fx.client = NULL;
    run_for(0.2);
    CU_ASSERT_EQUAL(a.calls, 0);
    CU_ASSERT_EQUAL(b.calls, 0);
    yb_upstream_conf_free(&u);
    teardown();
}

/* A callback may start the next call; it runs later, from the loop. */
struct chain {
    const struct yb_upstream *u;
    struct outcome first, second;
    int started;
};

static void on_first(void *arg, const struct yb_upstream_result *res)
{
    struct chain *ch = arg;
    on_done(&ch->first, res);
    in_send = 1;
    ch->started = yb_upstream_send(fx.client, ch->u, 0, "1101", "{\"n\":2}", 7, 0, NULL, on_done,
                                   &ch->second) != NULL;
    in_send = 0;
    CU_ASSERT_EQUAL(ch->second.calls, 0);
}

static void test_chained_from_callback(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/ok;", fx.port);
    struct chain ch = {.u = &u};
    in_send = 1;
    CU_ASSERT_PTR_NOT_NULL(
        yb_upstream_send(fx.client, &u, 0, "1101", "{\"n\":1}", 7, 0, NULL, on_first, &ch));
    in_send = 0;
    CU_ASSERT_EQUAL(ch.first.calls, 0);
    run_until(&ch.second.calls, GUARD_SECONDS);
    CU_ASSERT_EQUAL(ch.first.calls, 1);
    CU_ASSERT(ch.started);
    CU_ASSERT_EQUAL(ch.second.calls, 1);
    CU_ASSERT_STRING_EQUAL(ch.second.body ? ch.second.body : "", "{\"n\":2}");
    free(ch.first.body);
    free(ch.second.body);
    yb_upstream_conf_free(&u);
    teardown();
}

static void test_send_refusals(void)
{
    setup();
    struct yb_upstream u;
    make_ok(&u, "endpoint http://127.0.0.1:%d/ok;", fx.port);
    struct outcome o = {0};
    const char *smuggle[] = {"X-A: 1\r\nX-B: 2", NULL};
    const char *nameless[] = {"no colon here", NULL};
    CU_ASSERT_PTR_NULL(send_call(&u, 1, "{}", NULL, &o));
    CU_ASSERT_PTR_NULL(send_call(&u, -1, "{}", NULL, &o));
    CU_ASSERT_PTR_NULL(send_call(&u, 0, "{}", smuggle, &o));
    CU_ASSERT_PTR_NULL(send_call(&u, 0, "{}", nameless, &o));
    CU_ASSERT_PTR_NULL(yb_upstream_send(fx.client, &u, 0, "1101", "{}", 2, 0, NULL, NULL, NULL));
    CU_ASSERT_EQUAL(yb_upstream_client_active(fx.client), 0);
    run_for(0.1);
    CU_ASSERT_EQUAL(o.calls, 0);
    yb_upstream_conf_free(&u);
    teardown();
}

/* ---- configuration ---- */

static void test_conf_values(void)
{
    struct yb_upstream u;
    char err[512] = "";
    CU_ASSERT_EQUAL_FATAL(make_upstream(&u, err, sizeof(err), "endpoint http://a.example/x;"), 0);
    CU_ASSERT_STRING_EQUAL(u.name, "test");
    CU_ASSERT_EQUAL(u.n_endpoints, 1);
    CU_ASSERT_EQUAL(u.connect_timeout_ms, 3000);
    CU_ASSERT_EQUAL(u.timeout_ms, 30000);
    CU_ASSERT_EQUAL(u.idle_timeout_ms, 60000);
    CU_ASSERT_EQUAL(u.pool_size, 32);
    CU_ASSERT_EQUAL(u.tls_verify, 1);
    CU_ASSERT_EQUAL(u.max_response, 8u << 20);
    CU_ASSERT_EQUAL(u.sign.scheme, YB_SIGN_NONE);
    yb_upstream_conf_free(&u);

    char path[64];
    write_secret(path, sizeof(path), "s");
    CU_ASSERT_EQUAL_FATAL(make_upstream(&u, err, sizeof(err),
                                        "endpoint https://a.example/x; endpoint http://b:81/y;\n"
                                        "connect_timeout 250ms; timeout 5s; idle_timeout 2m;\n"
                                        "pool_size 8; tls_verify off; ca_file /etc/ca.pem;\n"
                                        "max_response 64k; sign api; access_key K;\n"
                                        "secret_file %s;",
                                        path),
                          0);
    CU_ASSERT_EQUAL(u.n_endpoints, 2);
    CU_ASSERT_STRING_EQUAL(u.endpoints[1], "http://b:81/y");
    CU_ASSERT_EQUAL(u.connect_timeout_ms, 250);
    CU_ASSERT_EQUAL(u.timeout_ms, 5000);
    CU_ASSERT_EQUAL(u.idle_timeout_ms, 120000);
    CU_ASSERT_EQUAL(u.pool_size, 8);
    CU_ASSERT_EQUAL(u.tls_verify, 0);
    CU_ASSERT_STRING_EQUAL(u.ca_file, "/etc/ca.pem");
    CU_ASSERT_EQUAL(u.max_response, 65536);
    CU_ASSERT_EQUAL(u.sign.scheme, YB_SIGN_API);
    CU_ASSERT_STRING_EQUAL(u.sign.access_key, "K");
    CU_ASSERT_STRING_EQUAL(u.sign.version, "1.0.0"); /* the default */
    CU_ASSERT_STRING_EQUAL(u.sign.secret, "s");
    yb_upstream_conf_free(&u);
    CU_ASSERT_PTR_NULL(u.sign.secret);
    unlink(path);
}

struct conf_case {
    const char *inner;
    const char *expect; /* substring of the error, after "test.conf:LINE: " */
    int line;
};

static void test_conf_errors(void)
{
    char path[64], open_path[64];
    write_secret(path, sizeof(path), "s");
    write_secret(open_path, sizeof(open_path), "topsecret");
    chmod(open_path, 0644);
    char with_secret[256], leaky[256];
    snprintf(with_secret, sizeof(with_secret), "endpoint http://a/x;\nsign tif;\nsecret_file %s;",
             path);
    snprintf(leaky, sizeof(leaky), "endpoint http://a/x;\nsign api; access_key K;\nsecret_file %s;",
             open_path);
    const struct conf_case cases[] = {
        {"timeout 3s;", "has no endpoint", 1},
        {"\nendpoint ftp://a/x;", "must start with http:// or https://", 3},
        {"endpoint http://;", "not a valid URL", 2},
        {"endpoint http://a/x;\nsign api;\naccess_key K;", "needs secret_file", 1},
        {with_secret, "needs access_key", 1},
        {"endpoint http://a/x;\nsign hmac;", "takes one of none, api, tif", 3},
        {"endpoint http://a/x;\ntimeout soon;", "is not a duration", 3},
        {"endpoint http://a/x;\npool_size 0;", "pool_size must be 1 to", 1},
        {"endpoint http://a/x;\ntimeout 0;", "greater than zero", 1},
        {"endpoint http://a/x;\ntls_verify maybe;", "on or off", 3},
        {"endpoint http://a/x;\nretries 3;", "unknown directive \"retries\"", 3},
        {"endpoint http://a/x;\nsecret_file /nonexistent/s;", "cannot open", 3},
        {leaky, "chmod 600", 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct yb_upstream u = {0};
        char err[512] = "", prefix[32];
        int rc = make_upstream(&u, err, sizeof(err), "%s", cases[i].inner);
        snprintf(prefix, sizeof(prefix), "test.conf:%d: ", cases[i].line);
        if (rc == 0 || strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, cases[i].expect))
            fprintf(stderr, "case %zu: rc %d, err \"%s\"\n", i, rc, err);
        CU_ASSERT_EQUAL(rc, YB_EINVAL);
        CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].expect));
        CU_ASSERT_PTR_NULL(strstr(err, "topsecret"));
        CU_ASSERT_PTR_NULL(u.name); /* nothing half-built is left */
    }
    unlink(path);
    unlink(open_path);
}

static void test_status_words(void)
{
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_OK), "ok");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_CONNECT), "connect");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_TIMEOUT), "timeout");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_HTTP), "http");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_TRUNCATED), "truncated");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_TOO_LARGE), "too_large");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_TLS), "tls");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_CANCELLED), "cancelled");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(YB_UP_INTERNAL), "internal");
    CU_ASSERT_STRING_EQUAL(yb_upstream_status_word(99), "internal");
}

int main(void)
{
    /* The gateway's main does both of these; a test program is its own main. */
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    static const struct yb_test tests[] = {
        YB_TEST(test_ok),
        YB_TEST(test_keepalive),
        YB_TEST(test_pool_size),
        YB_TEST(test_timeout),
        YB_TEST(test_refused),
        YB_TEST(test_http_500),
        YB_TEST(test_too_large),
        YB_TEST(test_truncated),
        YB_TEST(test_tls_handshake),
        YB_TEST(test_tls_verify),
        YB_TEST(test_sign_api_headers),
        YB_TEST(test_sign_tif_headers),
        YB_TEST(test_cancel),
        YB_TEST(test_free_with_calls_in_flight),
        YB_TEST(test_chained_from_callback),
        YB_TEST(test_send_refusals),
        YB_TEST(test_conf_values),
        YB_TEST(test_conf_errors),
        YB_TEST(test_status_words),
        YB_TEST_END,
    };
    int rc = yb_test_main("upstream", tests);
    curl_global_cleanup();
    return rc;
}
