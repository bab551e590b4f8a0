/*
 * admin.c - liveness, readiness and metrics for orchestrators and Prometheus.
 *
 * /livez answers 200 while the process runs its loop. /readyz answers 200
 * only while every worker accepts traffic: 503 during start-up and drain, so
 * a load balancer stops sending before the gateway stops listening.
 */
#include "admin.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "idem.h"
#include "journal.h"
#include "metrics.h"
#include "resolve.h"
#include "server.h"
#include "settings.h"

static void send_text(struct evhttp_request *req, int status, const char *ctype, const char *text,
                      size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add(b, text, len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evhttp_send_reply(req, status, status == 200 ? "OK" : "Service Unavailable", b);
    evbuffer_free(b);
}

/* The journal's gauges and counters, read at scrape time. */
static int render_journal(struct yb_server *server, struct yb_buf *out)
{
    if (!server->journal)
        return 0;
    struct yb_journal_stats st;
    yb_journal_stats(server->journal, &st);
    uint64_t reversed = 0, refused = 0;
    if (server->resolver)
        yb_resolver_counts(server->resolver, &reversed, &refused);
    return yb_buf_printf(
        out,
        "# HELP ybgw_journal_backlog Journal records waiting for the disk.\n"
        "# TYPE ybgw_journal_backlog gauge\nybgw_journal_backlog %u\n"
        "# HELP ybgw_journal_written_total Journal records written.\n"
        "# TYPE ybgw_journal_written_total counter\nybgw_journal_written_total %" PRIu64 "\n"
        "# HELP ybgw_journal_commits_total Journal commits (group commit: records per commit "
        "is written_total / commits_total).\n"
        "# TYPE ybgw_journal_commits_total counter\nybgw_journal_commits_total %" PRIu64 "\n"
        "# HELP ybgw_journal_failures_total Journal writes that failed (disk full, I/O).\n"
        "# TYPE ybgw_journal_failures_total counter\nybgw_journal_failures_total %" PRIu64 "\n"
        "# HELP ybgw_journal_failing 1 while the journal cannot be written (new transactions "
        "are refused).\n# TYPE ybgw_journal_failing gauge\nybgw_journal_failing %d\n"
        "# HELP ybgw_idempotency_msgids Settlement msgids remembered for idempotency.\n"
        "# TYPE ybgw_idempotency_msgids gauge\nybgw_idempotency_msgids %zu\n"
        "# HELP ybgw_reversals_total Reversals (2601) of unknown settlements, by result.\n"
        "# TYPE ybgw_reversals_total counter\n"
        "ybgw_reversals_total{result=\"accepted\"} %" PRIu64 "\n"
        "ybgw_reversals_total{result=\"refused\"} %" PRIu64 "\n",
        st.backlog, st.written, st.commits, st.failures, st.failing,
        server->idem ? yb_idem_count(server->idem) : (size_t)0, reversed, refused);
}

static void on_admin(struct evhttp_request *req, void *arg)
{
    struct yb_server *server = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_send_error(req, 405, NULL);
        return;
    }
    if (!path)
        path = "/";
    if (strcmp(path, "/livez") == 0 || strcmp(path, "/healthz") == 0) {
        send_text(req, 200, "text/plain", "ok\n", 3);
    } else if (strcmp(path, "/readyz") == 0) {
        if (atomic_load(&server->ready) && !atomic_load(&server->draining))
            send_text(req, 200, "text/plain", "ready\n", 6);
        else if (atomic_load(&server->draining))
            send_text(req, 503, "text/plain", "draining\n", 9);
        else
            send_text(req, 503, "text/plain", "starting\n", 9);
    } else if (strcmp(path, "/metrics") == 0) {
        struct yb_buf out;
        yb_buf_init(&out, 0);
        if (yb_metrics_render(server->metrics, &out) == 0 && render_journal(server, &out) == 0)
            send_text(req, 200, "text/plain; version=0.0.4", out.data ? out.data : "", out.len);
        else
            evhttp_send_error(req, 500, NULL);
        yb_buf_free(&out);
    } else {
        evhttp_send_error(req, 404, NULL);
    }
}

int yb_admin_start(struct yb_server *server, const char *address, char *err, size_t errlen)
{
    char host[256];
    unsigned short port;
    if (yb_split_hostport(address, host, sizeof(host), &port)) {
        snprintf(err, errlen, "admin_listen: bad address %s", address);
        return -1;
    }
    server->admin = evhttp_new(server->base);
    if (!server->admin) {
        snprintf(err, errlen, "admin: out of memory");
        return -1;
    }
    evhttp_set_allowed_methods(server->admin, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(server->admin, 4096);
    evhttp_set_timeout(server->admin, 10);
    evhttp_set_gencb(server->admin, on_admin, server);
    if (!evhttp_bind_socket_with_handle(server->admin, host, port)) {
        snprintf(err, errlen, "admin_listen: cannot bind %s", address);
        return -1;
    }
    return 0;
}

void yb_admin_stop(struct yb_server *server)
{
    if (server->admin) {
        evhttp_free(server->admin);
        server->admin = NULL;
    }
}
