/*
 * fault.c - injected faults (fault.h): choosing the fault a request meets,
 * and the ways an answer can go wrong on the wire. The control endpoint
 * that arms them is fault_control.c.
 *
 * Owns the table of armed faults and the answers a slow fault holds back
 * (each with its libevent timer). A connection is never closed behind
 * libevent's back: drop, cut and reset act on the socket (shutdown, or an
 * abortive disconnect), then give the request back to libevent, whose write
 * then fails and which frees the connection and the request on its usual
 * error path. So no request is freed twice or leaked, whatever the client
 * does meanwhile.
 */
#include "fault.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "buf.h"
#include "fault_internal.h"
#include "ybgw/ybgw.h"

/* An answer a slow fault holds back. */
struct ybsim_held {
    struct ybsim_faults *owner;
    struct event *timer;
    struct evhttp_request *req;
    struct evbuffer *answer;
    struct ybsim_held *prev, *next;
};

const char *const ybsim_fault_modes[] = {"none",    "slow",    "drop",  "cut",
                                         "garbage", "http500", "reset", NULL};

const char *ybsim_fault_name(enum ybsim_fault_mode mode)
{
    return mode >= YBSIM_FAULT_NONE && mode <= YBSIM_FAULT_RESET ? ybsim_fault_modes[mode] : "none";
}

struct ybsim_faults *ybsim_faults_new(struct event_base *base, int enabled)
{
    struct ybsim_faults *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->base = base;
    f->enabled = enabled;
    f->next_id = 1;
    return f;
}

/* ---- slow: held answers ---- */

static void held_unlink(struct ybsim_held *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        h->owner->held = h->next;
    if (h->next)
        h->next->prev = h->prev;
}

/* Send the held answer now and free the hold. If the client left meanwhile,
 * libevent frees the request instead of writing. */
static void held_release(struct ybsim_held *h)
{
    held_unlink(h);
    evhttp_send_reply(h->req, 200, "OK", h->answer);
    evbuffer_free(h->answer);
    event_free(h->timer);
    free(h);
}

static void on_slow_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    held_release(arg);
}

void ybsim_faults_free(struct ybsim_faults *f)
{
    if (!f)
        return;
    while (f->held)
        held_release(f->held);
    free(f);
}

/* ---- the wire ---- */

static evutil_socket_t socket_of(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    return bev ? bufferevent_getfd(bev) : -1;
}

/* Abort the connection with a RST but keep the descriptor, which libevent
 * still owns: on Linux connect(AF_UNSPEC) disconnects a TCP socket that way;
 * elsewhere the zero linger makes libevent's own close() reset it. */
static void abort_socket(evutil_socket_t fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    struct sockaddr unspec;
    memset(&unspec, 0, sizeof(unspec));
    unspec.sa_family = AF_UNSPEC;
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    if (connect(fd, &unspec, sizeof(unspec)) != 0)
        shutdown(fd, SHUT_RDWR);
}

/* Write what the non-blocking socket takes at once; a short write only
 * makes the cut earlier. */
static void write_some(evutil_socket_t fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Status line, req's output headers with the full Content-Length, and the
 * first half of answer; nothing more is ever sent. */
static void send_cut(evutil_socket_t fd, struct evhttp_request *req, struct evbuffer *answer)
{
    size_t len = evbuffer_get_length(answer);
    struct yb_buf head;
    yb_buf_init(&head, 64u << 10);
    int rc = yb_buf_puts(&head, "HTTP/1.1 200 OK\r\n");
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    for (struct evkeyval *h = headers->tqh_first; h && rc == 0; h = h->next.tqe_next)
        if (strcasecmp(h->key, "Content-Length") != 0 && strcasecmp(h->key, "Connection") != 0)
            rc = yb_buf_printf(&head, "%s: %s\r\n", h->key, h->value);
    if (rc == 0)
        rc = yb_buf_printf(&head, "Content-Length: %zu\r\n\r\n", len);
    if (rc == 0) {
        write_some(fd, head.data, head.len);
        if (len / 2 > 0)
            write_some(fd, (const char *)evbuffer_pullup(answer, (ev_ssize_t)(len / 2)), len / 2);
    }
    yb_buf_free(&head);
}

static void reply_page(struct evhttp_request *req, int code, const char *reason, const char *page)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    struct evbuffer *body = evbuffer_new();
    evhttp_remove_header(headers, "Content-Type");
    evhttp_add_header(headers, "Content-Type", "text/html; charset=UTF-8");
    if (body)
        evbuffer_add(body, page, strlen(page));
    evhttp_send_reply(req, code, reason, body);
    if (body)
        evbuffer_free(body);
}

void ybsim_faults_deliver(struct ybsim_faults *f, struct evhttp_request *req,
                          const struct ybsim_fault_hit *hit, struct evbuffer *answer)
{
    evutil_socket_t fd = socket_of(req);
    switch (hit->mode) {
    case YBSIM_FAULT_SLOW: {
        struct ybsim_held *h = answer ? calloc(1, sizeof(*h)) : NULL;
        struct timeval tv = {.tv_sec = hit->ms / 1000, .tv_usec = (hit->ms % 1000) * 1000};
        if (h && (h->timer = evtimer_new(f->base, on_slow_timer, h)) &&
            evtimer_add(h->timer, &tv) == 0) {
            h->owner = f;
            h->req = req;
            h->answer = answer;
            h->next = f->held;
            if (f->held)
                f->held->prev = h;
            f->held = h;
            return;
        }
        /* out of memory: answer at once rather than lose the request */
        if (h && h->timer)
            event_free(h->timer);
        free(h);
        evhttp_send_reply(req, 200, "OK", answer);
        break;
    }
    case YBSIM_FAULT_DROP:
        if (fd >= 0)
            shutdown(fd, SHUT_RDWR);
        evhttp_send_reply(req, 200, "OK", NULL);
        break;
    case YBSIM_FAULT_RESET:
        if (fd >= 0)
            abort_socket(fd);
        evhttp_send_reply(req, 200, "OK", NULL);
        break;
    case YBSIM_FAULT_CUT:
        if (fd >= 0 && answer) {
            send_cut(fd, req, answer);
            shutdown(fd, SHUT_RDWR);
        }
        evhttp_send_reply(req, 200, "OK", NULL);
        break;
    case YBSIM_FAULT_GARBAGE:
        reply_page(req, 200, "OK",
                   "<html><head><title>Service Unavailable</title></head>\n"
                   "<body><h1>Service Unavailable</h1><p>ybgw-sim fault: garbage</p></body>"
                   "</html>\n");
        break;
    case YBSIM_FAULT_HTTP500:
        reply_page(req, 500, "Internal Server Error",
                   "<html><head><title>500 Internal Server Error</title></head>\n"
                   "<body><h1>500 Internal Server Error</h1><p>ybgw-sim fault: http500</p>"
                   "</body></html>\n");
        break;
    default:
        evhttp_send_reply(req, 200, "OK", answer);
        break;
    }
    if (answer)
        evbuffer_free(answer);
}

/* ---- choosing the fault ---- */

static int platform_matches(const struct ybsim_armed *a, const struct ybsim_platform *p)
{
    return !a->platform[0] ||
           (p && (strcmp(a->platform, p->name) == 0 || strcmp(a->platform, p->region) == 0));
}

void ybsim_faults_remove(struct ybsim_faults *f, int i)
{
    if (i + 1 < f->narmed)
        memmove(&f->armed[i], &f->armed[i + 1], (size_t)(f->narmed - i - 1) * sizeof(f->armed[0]));
    f->narmed--;
}

void ybsim_faults_take(struct ybsim_faults *f, const char *infno, const struct ybsim_platform *p,
                       struct ybsim_fault_hit *hit)
{
    memset(hit, 0, sizeof(*hit));
    if (!f)
        return;
    for (int i = 0; i < f->narmed; i++) {
        struct ybsim_armed *a = &f->armed[i];
        if (a->infno[0] && (!infno || strcmp(a->infno, infno) != 0))
            continue;
        if (!platform_matches(a, p))
            continue;
        hit->mode = a->mode;
        hit->process = a->process;
        hit->ms = a->ms;
        hit->id = a->id;
        a->fired++;
        f->fired[a->mode]++;
        if (a->left > 0 && --a->left == 0)
            ybsim_faults_remove(f, i);
        return;
    }
}
