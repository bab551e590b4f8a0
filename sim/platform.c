/*
 * platform.c - HTTP listeners and routing to a simulated platform.
 *
 * Owns the evhttp servers, the request path rules (the service path, the
 * service path + /<infno>, "/", and GET /healthz), decoding the JSON body
 * into a message tree with bounded limits, choosing the platform, and
 * writing the answer with its X-Sim-Platform header. Like the real
 * platform, it answers HTTP 200 with an infcode -1 envelope for a body it
 * cannot read; only a wrong path or method gets an HTTP error. The /sim/
 * control paths (fault_control.c) and the delivery of an armed fault
 * (fault.c) are not here.
 */
#include "platform.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "codec_json.h"
#include "conf.h"
#include "fault.h"
#include "pii.h"
#include "pool.h"
#include "ybgw/ybgw.h"

#define MAX_ON_LISTENER 64
#define REQUEST_MEMORY (64u << 20) /* one request's tree and answer */
#define ANSWER_MAX (32u << 20)

struct listener {
    const char *addr; /* a platform's listen string (not owned) */
    struct evhttp *http;
    const struct ybsim_platform *platforms[MAX_ON_LISTENER];
    int n;
    const struct ybsim_platform *fallback;
    struct ybsim_server *srv;
};

struct ybsim_server {
    struct ybsim_sim *sim;
    struct ybsim_faults *faults;
    struct listener *listeners;
    int n;
};

/* The platform among platforms[0..n) that answers for admdvs: the longest
 * served prefix wins; fallback when none serves it. */
static const struct ybsim_platform *route(const struct ybsim_platform *const *platforms, int n,
                                          const struct ybsim_platform *fallback, const char *admdvs)
{
    const struct ybsim_platform *best = NULL;
    size_t best_len = 0;
    if (admdvs && *admdvs) {
        for (int i = 0; i < n; i++) {
            const struct ybsim_platform *p = platforms[i];
            for (int k = 0; k < p->nserves; k++) {
                size_t len = strlen(p->serves[k]);
                if (len > best_len && strncmp(p->serves[k], admdvs, len) == 0) {
                    best = p;
                    best_len = len;
                }
            }
        }
    }
    return best ? best : fallback;
}

static const char *scalar(const struct yb_node *obj, const char *key)
{
    const char *v = obj ? yb_node_get_text(obj, key) : NULL;
    return v && *v ? v : NULL;
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    struct evbuffer *out = evbuffer_new();
    if (out)
        evbuffer_add(out, text, strlen(text));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=UTF-8");
    evhttp_send_reply(req, code, reason, out);
    if (out)
        evbuffer_free(out);
}

/* "/fsi/.../callService/2207" -> "2207"; NULL when path is not a service
 * path at all, "" when it names no infno. */
static const char *service_infno(const char *path)
{
    static const char service[] = YBSIM_SERVICE_PATH;
    if (strcmp(path, "/") == 0)
        return "";
    size_t n = sizeof(service) - 1;
    if (strncmp(path, service, n) != 0)
        return NULL;
    const char *rest = path + n;
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        return "";
    if (*rest != '/')
        return NULL;
    rest++;
    size_t len = strlen(rest);
    if (len > 8)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char ch = rest[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
            return NULL;
    }
    return rest;
}

/* One line per envelope request; a fault says which, and a message it kept
 * from processing has no infcode. */
static void access_log(const struct ybsim_platform *p, const struct ybsim_result *r,
                       const struct ybsim_fault_hit *hit)
{
    char when[32], fault[96] = "";
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    if (hit->mode == YBSIM_FAULT_SLOW)
        snprintf(fault, sizeof(fault), " fault=%u:slow:%ums", hit->id, hit->ms);
    else if (hit->mode != YBSIM_FAULT_NONE)
        snprintf(fault, sizeof(fault), " fault=%u:%s%s", hit->id, ybsim_fault_name(hit->mode),
                 hit->process ? "" : " (not processed)");
    if (hit->mode != YBSIM_FAULT_NONE && !hit->process) {
        fprintf(stderr, "%s %s %s %s msgid=%s%s\n", when, p->name, p->region,
                r->infno ? r->infno : "-", r->msgid ? r->msgid : "-", fault);
        return;
    }
    /* err_msg may quote the person (certno "...", psn_name "..."): masked
     * (pii.h) like the gateway's logs; the set lives as long as the process */
    static struct yb_pii *pii;
    char err[1024] = "";
    if (!pii)
        pii = yb_pii_new();
    if (r->err_msg && pii)
        yb_pii_mask_text(pii, r->err_msg, strlen(r->err_msg), err, sizeof(err));
    fprintf(stderr, "%s %s %s %s msgid=%s infcode=%d%s%s%s\n", when, p->name, p->region,
            r->infno ? r->infno : "-", r->msgid ? r->msgid : "-", r->infcode, fault,
            *err ? " " : "", err);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct listener *l = arg;
    struct ybsim_sim *sim = l->srv->sim;
    struct timespec received;
    clock_gettime(CLOCK_REALTIME, &received);

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path)
        path = "/";
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (strcmp(path, "/healthz") == 0) {
        if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
            reply_text(req, 200, "OK", "ok\n");
        else
            reply_text(req, 405, "Method Not Allowed", "GET /healthz\n");
        return;
    }
    if (strncmp(path, "/sim/", 5) == 0) {
        ybsim_faults_control(l->srv->faults, sim->store, req, path);
        return;
    }
    const char *path_infno = service_infno(path);
    if (!path_infno) {
        reply_text(req, 404, "Not Found",
                   "not found: POST to " YBSIM_SERVICE_PATH " (or /), GET /healthz\n");
        return;
    }
    if (cmd != EVHTTP_REQ_POST) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
        reply_text(req, 405, "Method Not Allowed", "POST the platform's JSON envelope\n");
        return;
    }

    struct yb_pool *pool = yb_pool_create(REQUEST_MEMORY);
    struct yb_buf out;
    yb_buf_init(&out, ANSWER_MAX);
    if (!pool) {
        reply_text(req, 500, "Internal Server Error", "out of memory\n");
        return;
    }
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(body);
    const char *text = len ? (const char *)evbuffer_pullup(body, -1) : NULL;
    struct yb_node *root = NULL;
    char why[256] = "empty body";
    if (text) {
        /* limits well above any real message, far below what would hurt */
        struct yb_json_limits limits = {
            .max_depth = 32, .max_string = 1u << 20, .max_items = 100000};
        if (yb_json_decode(pool, text, len, &limits, &root, why, sizeof(why)) != 0)
            root = NULL;
        else if (root->type != YB_NODE_OBJECT) {
            snprintf(why, sizeof(why), "the top level is not an object");
            root = NULL;
        }
    }
    const char *admdvs = scalar(root, "insuplc_admdvs");
    if (!admdvs)
        admdvs = scalar(root, "mdtrtarea_admvs");
    const struct ybsim_platform *p = route(l->platforms, l->n, l->fallback, admdvs);

    /* the body's infno wins over the URL's, as in ybsim_answer */
    const char *infno = scalar(root, "infno");
    struct ybsim_fault_hit hit;
    ybsim_faults_take(l->srv->faults, infno ? infno : (*path_infno ? path_infno : NULL), p, &hit);
    struct ybsim_result result = {0};
    struct evbuffer *reply = NULL;
    if (hit.mode != YBSIM_FAULT_NONE && !hit.process) {
        ybsim_faults_deliver(l->srv->faults, req, &hit, NULL);
        result.infno = infno ? infno : path_infno;
        result.msgid = scalar(root, "msgid");
        if (sim->conf->access_log)
            access_log(p, &result, &hit);
        goto out;
    }
    struct yb_node *env =
        ybsim_answer(sim, p, pool, root, why, *path_infno ? path_infno : NULL, &received, &result);
    if (!env || yb_json_encode(env, &out) != 0 || !(reply = evbuffer_new()) ||
        evbuffer_add(reply, out.data, out.len) != 0) {
        reply_text(req, 500, "Internal Server Error", "the simulator could not answer\n");
        goto out;
    }
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "application/json;charset=UTF-8");
    evhttp_add_header(headers, "X-Sim-Platform", p->region);
    if (hit.mode != YBSIM_FAULT_NONE) {
        ybsim_faults_deliver(l->srv->faults, req, &hit, reply); /* takes the reply */
        reply = NULL;
    } else {
        evhttp_send_reply(req, 200, "OK", reply);
    }
    if (sim->conf->access_log)
        access_log(p, &result, &hit);
out:
    if (reply)
        evbuffer_free(reply);
    yb_buf_free(&out);
    yb_pool_destroy(pool);
}

/* "127.0.0.1:9900" or "[::1]:9900" -> host and port. */
static int split_address(const char *addr, char *host, size_t cap, unsigned short *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr)
        return YB_EINVAL;
    const char *h = addr;
    size_t hlen = (size_t)(colon - addr);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= cap)
        return YB_EINVAL;
    unsigned long v;
    if (yb_parse_uint(colon + 1, 65535, &v) || v == 0)
        return YB_EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (unsigned short)v;
    return 0;
}

static struct listener *listener_for(struct ybsim_server *srv, const char *addr)
{
    for (int i = 0; i < srv->n; i++)
        if (strcmp(srv->listeners[i].addr, addr) == 0)
            return &srv->listeners[i];
    return NULL;
}

struct ybsim_server *ybsim_server_start(struct event_base *base, struct ybsim_sim *sim, char *err,
                                        size_t errlen)
{
    const struct ybsim_config *conf = sim->conf;
    struct ybsim_server *srv = calloc(1, sizeof(*srv));
    int count = 0;
    for (const struct ybsim_platform *p = conf->platforms; p; p = p->next)
        count++;
    if (!srv || !(srv->listeners = calloc((size_t)count, sizeof(*srv->listeners)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    srv->sim = sim;
    if (!(srv->faults = ybsim_faults_new(base, conf->faults))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (const struct ybsim_platform *p = conf->platforms; p; p = p->next) {
        struct listener *l = listener_for(srv, p->listen);
        if (!l) {
            l = &srv->listeners[srv->n++];
            l->addr = p->listen;
            l->srv = srv;
        }
        if (l->n == MAX_ON_LISTENER) {
            snprintf(err, errlen, "%s:%d: more than %d platforms on %s", p->file, p->line,
                     MAX_ON_LISTENER, p->listen);
            goto fail;
        }
        l->platforms[l->n++] = p;
        if (p->is_default)
            l->fallback = p;
    }
    for (int i = 0; i < srv->n; i++) {
        struct listener *l = &srv->listeners[i];
        if (!l->fallback)
            l->fallback = l->platforms[0];
        char host[128];
        unsigned short port;
        if (split_address(l->addr, host, sizeof(host), &port)) {
            snprintf(err, errlen, "%s:%d: listen \"%s\" is not HOST:PORT", l->platforms[0]->file,
                     l->platforms[0]->line, l->addr);
            goto fail;
        }
        if (!(l->http = evhttp_new(base))) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        evhttp_set_max_body_size(l->http, (ev_ssize_t)conf->max_body);
        evhttp_set_timeout(l->http, 60);
        evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                                EVHTTP_REQ_OPTIONS);
        evhttp_set_gencb(l->http, on_request, l);
        if (!evhttp_bind_socket_with_handle(l->http, host, port)) {
            snprintf(err, errlen, "%s:%d: cannot listen on %s: %s", l->platforms[0]->file,
                     l->platforms[0]->line, l->addr, strerror(errno));
            goto fail;
        }
    }
    return srv;
fail:
    ybsim_server_free(srv);
    return NULL;
}

void ybsim_server_free(struct ybsim_server *srv)
{
    if (!srv)
        return;
    ybsim_faults_free(srv->faults); /* hands held requests back before their connections go */
    for (int i = 0; i < srv->n; i++)
        if (srv->listeners[i].http)
            evhttp_free(srv->listeners[i].http);
    free(srv->listeners);
    free(srv);
}
