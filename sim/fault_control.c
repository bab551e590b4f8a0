/*
 * fault_control.c - the simulator's control endpoint under /sim/: arming,
 * listing and clearing injected faults (GET, POST, DELETE /sim/fault), and
 * GET /sim/processed?msgid=, which says whether the simulator processed a
 * message and which settlement it made. See fault.h and sim/README.md.
 *
 * Owns the parsing and checking of the control parameters (each bad one is
 * refused with HTTP 400 naming it) and the JSON the endpoint answers; the
 * table it arms lives in struct ybsim_faults (fault_internal.h).
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "buf.h"
#include "codec_json.h"
#include "conf.h"
#include "fault_internal.h"
#include "pool.h"
#include "tree.h"
#include "ybgw/ybgw.h"

#define MAX_SLOW_MS 600000u    /* 10 minutes: far past any client's timeout */
#define MAX_COUNT 1000000ul    /* uses of one fault; 0 = until cleared */
#define MAX_CONTROL_BODY 4096u /* the query, and a form body */
#define CONTROL_MEMORY (1u << 20)

/* ---- answers of the control endpoint ---- */

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

static void reply_json(struct evhttp_request *req, const struct yb_node *root)
{
    struct yb_buf out;
    yb_buf_init(&out, 1u << 20);
    struct evbuffer *body = NULL;
    if (!root || yb_json_encode(root, &out) != 0 || yb_buf_puts(&out, "\n") != 0 ||
        !(body = evbuffer_new()) || evbuffer_add(body, out.data, out.len) != 0) {
        reply_text(req, 500, "Internal Server Error", "out of memory\n");
    } else {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/json;charset=UTF-8");
        evhttp_send_reply(req, 200, "OK", body);
    }
    if (body)
        evbuffer_free(body);
    yb_buf_free(&out);
}

/* JSON building that never fails midway: a failed node makes the whole
 * answer NULL (reply_json then says out of memory). */
struct json {
    struct yb_pool *pool;
    int failed;
};

static struct yb_node *j_new(struct json *j, enum yb_node_type type)
{
    struct yb_node *n = j->pool ? yb_node_new(j->pool, type) : NULL;
    if (!n)
        j->failed = 1;
    return n;
}

static void j_put(struct json *j, struct yb_node *obj, const char *key, struct yb_node *n)
{
    if (!obj || !n || yb_node_put(j->pool, obj, key, n))
        j->failed = 1;
}

static void j_str(struct json *j, struct yb_node *obj, const char *key, const char *value)
{
    j_put(j, obj, key,
          j->pool ? yb_node_new_text(j->pool, YB_NODE_STRING, value, strlen(value)) : NULL);
}

static void j_num(struct json *j, struct yb_node *obj, const char *key, unsigned long v)
{
    char text[24];
    int n = snprintf(text, sizeof(text), "%lu", v);
    j_put(j, obj, key, j->pool ? yb_node_new_text(j->pool, YB_NODE_NUMBER, text, (size_t)n) : NULL);
}

static void j_bool(struct json *j, struct yb_node *obj, const char *key, int v)
{
    j_put(j, obj, key,
          j->pool ? yb_node_new_text(j->pool, YB_NODE_BOOL, v ? "true" : "false", v ? 4 : 5)
                  : NULL);
}

/* What an armed fault does, in words, for the listing. */
static void describe(const struct ybsim_armed *a, char *out, size_t cap)
{
    char who[128], uses[48];
    snprintf(who, sizeof(who), "%s%s%s%s", a->infno[0] ? "infno " : "any infno", a->infno,
             a->platform[0] ? " at " : "", a->platform);
    if (a->left)
        snprintf(uses, sizeof(uses), "the next %lu request(s)", a->left);
    else
        snprintf(uses, sizeof(uses), "all requests (until cleared)");
    static const char *const what[] = {
        "",
        "are answered late",
        "get no answer: the connection is closed",
        "get half an answer: the connection is closed mid-body",
        "get HTTP 200 with a body that is not JSON",
        "get HTTP 500",
        "get no answer: the connection is reset (RST)",
    };
    char late[32] = "";
    if (a->mode == YBSIM_FAULT_SLOW)
        snprintf(late, sizeof(late), " by %u ms", a->ms);
    snprintf(out, cap, "%s of %s %s%s; the simulator %s", uses, who, what[a->mode], late,
             a->process ? "processes the message first (its msgid and any settlement are kept)"
                        : "does not process the message (it leaves no trace)");
}

static struct yb_node *armed_node(struct json *j, const struct ybsim_armed *a)
{
    struct yb_node *o = j_new(j, YB_NODE_OBJECT);
    char words[400];
    describe(a, words, sizeof(words));
    j_num(j, o, "id", a->id);
    j_str(j, o, "mode", ybsim_fault_modes[a->mode]);
    j_num(j, o, "ms", a->ms);
    j_num(j, o, "left", a->left);
    j_str(j, o, "infno", a->infno);
    j_str(j, o, "platform", a->platform);
    j_bool(j, o, "processed", a->process);
    j_num(j, o, "fired", a->fired);
    j_str(j, o, "does", words);
    return o;
}

static void list_faults(struct ybsim_faults *f, struct evhttp_request *req)
{
    struct json j = {.pool = yb_pool_create(CONTROL_MEMORY)};
    struct yb_node *root = j_new(&j, YB_NODE_OBJECT);
    struct yb_node *armed = j_new(&j, YB_NODE_ARRAY);
    struct yb_node *fired = j_new(&j, YB_NODE_OBJECT);
    for (int i = 0; i < f->narmed; i++) {
        struct yb_node *n = armed_node(&j, &f->armed[i]);
        if (armed && n)
            yb_node_append(armed, n);
    }
    for (int m = YBSIM_FAULT_SLOW; m <= YBSIM_FAULT_RESET; m++)
        j_num(&j, fired, ybsim_fault_modes[m], f->fired[m]);
    j_put(&j, root, "armed", armed);
    j_put(&j, root, "fired", fired);
    reply_json(req, j.failed ? NULL : root);
    yb_pool_destroy(j.pool);
}

/* ---- arming ---- */

/* The parameters of a control request: its query string and a form body,
 * read as one (params must be initialised; free with evhttp_clear_headers). */
static int read_params(struct evhttp_request *req, struct evkeyvalq *params, char *err,
                       size_t errlen)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    size_t qlen = query ? strlen(query) : 0, blen = body ? evbuffer_get_length(body) : 0;
    if (qlen > MAX_CONTROL_BODY || blen > MAX_CONTROL_BODY) {
        snprintf(err, errlen, "the query or the body is longer than %u bytes\n", MAX_CONTROL_BODY);
        return YB_ELIMIT;
    }
    char text[2 * MAX_CONTROL_BODY + 2];
    size_t len = 0;
    if (qlen) {
        memcpy(text, query, qlen);
        len = qlen;
    }
    if (blen) {
        if (len)
            text[len++] = '&';
        evbuffer_copyout(body, text + len, blen);
        len += blen;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    text[len] = '\0';
    if (len && evhttp_parse_query_str(text, params) != 0) {
        snprintf(err, errlen, "the parameters are not NAME=VALUE&... (a query or a form body)\n");
        return YB_EINVAL;
    }
    return 0;
}

static int word_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* Fill a from params: 0, or YB_EINVAL with the reason (a line) in err. */
static int parse_fault(const struct evkeyvalq *params, struct ybsim_armed *a, char *err,
                       size_t errlen)
{
    const char *mode = evhttp_find_header(params, "mode");
    const char *ms = evhttp_find_header(params, "ms");
    const char *count = evhttp_find_header(params, "count");
    const char *infno = evhttp_find_header(params, "infno");
    const char *platform = evhttp_find_header(params, "platform");
    const char *process = evhttp_find_header(params, "process");
    unsigned long v;
    memset(a, 0, sizeof(*a));
    a->left = 1;
    if (!mode) {
        snprintf(err, errlen,
                 "mode is required: slow, drop, drop-before, cut, garbage, http500 "
                 "or reset\n");
        return YB_EINVAL;
    }
    int process_default = 1, may_process = 1, may_skip = 1;
    if (strcmp(mode, "drop-before") == 0) {
        a->mode = YBSIM_FAULT_DROP;
        process_default = may_process = 0;
    } else {
        for (int m = YBSIM_FAULT_SLOW; m <= YBSIM_FAULT_RESET; m++)
            if (strcmp(mode, ybsim_fault_modes[m]) == 0)
                a->mode = (enum ybsim_fault_mode)m;
    }
    switch (a->mode) {
    case YBSIM_FAULT_SLOW:
    case YBSIM_FAULT_CUT:
        may_skip = 0; /* both need the answer the simulator makes */
        break;
    case YBSIM_FAULT_HTTP500:
        process_default = 0;
        break;
    case YBSIM_FAULT_RESET:
        process_default = may_process = 0;
        break;
    case YBSIM_FAULT_NONE:
        snprintf(err, errlen,
                 "mode \"%.32s\" is not one of slow, drop, drop-before, cut, garbage, "
                 "http500, reset\n",
                 mode);
        return YB_EINVAL;
    default:
        break;
    }
    a->process = process_default;
    if (process) {
        int yes = strcmp(process, "yes") == 0, no = strcmp(process, "no") == 0;
        if ((!yes && !no) || (yes && !may_process) || (no && !may_skip)) {
            snprintf(err, errlen, "process must be %s for mode %s\n",
                     !may_process ? "no"
                     : !may_skip  ? "yes"
                                  : "yes or no",
                     mode);
            return YB_EINVAL;
        }
        a->process = yes;
    }
    if (a->mode == YBSIM_FAULT_SLOW) {
        if (!ms || yb_parse_uint(ms, MAX_SLOW_MS, &v) || v == 0) {
            snprintf(err, errlen, "mode slow needs ms, the delay in milliseconds (1 to %u)\n",
                     MAX_SLOW_MS);
            return YB_EINVAL;
        }
        a->ms = (unsigned)v;
    } else if (ms) {
        snprintf(err, errlen, "ms is only for mode slow\n");
        return YB_EINVAL;
    }
    if (count) {
        if (yb_parse_uint(count, MAX_COUNT, &v)) {
            snprintf(err, errlen,
                     "count must be a number of requests, 1 to %lu, or 0 for every "
                     "request until cleared\n",
                     MAX_COUNT);
            return YB_EINVAL;
        }
        a->left = v;
    }
    if (infno && *infno) {
        if (!word_ok(infno, 8) || strchr(infno, '.') || strchr(infno, '-')) {
            snprintf(err, errlen,
                     "infno must be a transaction code of 1 to 8 letters and digits\n");
            return YB_EINVAL;
        }
        snprintf(a->infno, sizeof(a->infno), "%s", infno);
    }
    if (platform && *platform) {
        if (!word_ok(platform, sizeof(a->platform) - 1)) {
            snprintf(err, errlen, "platform must be a platform's name or its 6-digit region\n");
            return YB_EINVAL;
        }
        snprintf(a->platform, sizeof(a->platform), "%s", platform);
    }
    return 0;
}

static void arm_fault(struct ybsim_faults *f, struct evhttp_request *req)
{
    char err[300] = "";
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    struct ybsim_armed a;
    if (read_params(req, &params, err, sizeof(err)) || parse_fault(&params, &a, err, sizeof(err))) {
        evhttp_clear_headers(&params);
        reply_text(req, 400, "Bad Request", err);
        return;
    }
    evhttp_clear_headers(&params);
    if (f->narmed == YBSIM_FAULT_MAX_ARMED) {
        snprintf(err, sizeof(err), "%d faults are armed already: DELETE /sim/fault first\n",
                 YBSIM_FAULT_MAX_ARMED);
        reply_text(req, 409, "Conflict", err);
        return;
    }
    a.id = f->next_id++;
    f->armed[f->narmed++] = a;
    char words[400];
    describe(&a, words, sizeof(words));
    fprintf(stderr, "ybgw-sim: fault %u armed (%s): %s\n", a.id, ybsim_fault_modes[a.mode], words);
    struct json j = {.pool = yb_pool_create(CONTROL_MEMORY)};
    struct yb_node *n = armed_node(&j, &a);
    reply_json(req, j.failed ? NULL : n);
    yb_pool_destroy(j.pool);
}

static void clear_faults(struct ybsim_faults *f, struct evhttp_request *req)
{
    char err[300] = "";
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    if (read_params(req, &params, err, sizeof(err))) {
        evhttp_clear_headers(&params);
        reply_text(req, 400, "Bad Request", err);
        return;
    }
    const char *id = evhttp_find_header(&params, "id");
    unsigned long v = 0;
    int bad = id && (yb_parse_uint(id, 0xffffffffu, &v) || v == 0);
    evhttp_clear_headers(&params);
    if (bad) {
        reply_text(req, 400, "Bad Request", "id must be the number of an armed fault\n");
        return;
    }
    int removed = 0;
    for (int i = f->narmed - 1; i >= 0; i--) {
        if (!id || f->armed[i].id == v) {
            ybsim_faults_remove(f, i);
            removed++;
        }
    }
    if (id && !removed) {
        reply_text(req, 404, "Not Found", "no armed fault has that id\n");
        return;
    }
    fprintf(stderr, "ybgw-sim: %d fault(s) cleared\n", removed);
    snprintf(err, sizeof(err), "%d fault(s) cleared\n", removed);
    reply_text(req, 200, "OK", err);
}

/* ---- GET /sim/processed?msgid= ---- */

static void processed(struct ybsim_store *st, struct evhttp_request *req)
{
    char err[300] = "";
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    if (read_params(req, &params, err, sizeof(err))) {
        evhttp_clear_headers(&params);
        reply_text(req, 400, "Bad Request", err);
        return;
    }
    char msgid[64] = "";
    const char *m = evhttp_find_header(&params, "msgid");
    int bad = !m || !*m || strlen(m) >= sizeof(msgid);
    if (!bad)
        snprintf(msgid, sizeof(msgid), "%s", m);
    evhttp_clear_headers(&params);
    if (bad) {
        reply_text(req, 400, "Bad Request", "msgid is required (at most 63 characters)\n");
        return;
    }
    struct ybsim_msg msg;
    struct ybsim_setl setl;
    int rc = ybsim_store_msgid_get(st, msgid, &msg);
    int has_setl = 0;
    if (rc == 0) {
        int s = ybsim_store_setl_by_msgid(st, msgid, msg.fixmedins_code, &setl);
        if (s == 0)
            has_setl = 1;
        else if (s != YB_ENOENT)
            rc = s;
    }
    if (rc != 0 && rc != YB_ENOENT) {
        reply_text(req, 500, "Internal Server Error", "the simulator's database failed\n");
        return;
    }
    struct json j = {.pool = yb_pool_create(CONTROL_MEMORY)};
    struct yb_node *root = j_new(&j, YB_NODE_OBJECT);
    j_str(&j, root, "msgid", msgid);
    j_bool(&j, root, "processed", rc == 0);
    if (rc == 0) {
        j_str(&j, root, "infno", msg.infno);
        j_str(&j, root, "fixmedins_code", msg.fixmedins_code);
        j_str(&j, root, "platform", msg.region);
        j_str(&j, root, "recv_time", msg.recv_time);
    }
    if (has_setl) {
        struct yb_node *s = j_new(&j, YB_NODE_OBJECT);
        j_str(&j, s, "setl_id", setl.setl_id);
        j_str(&j, s, "mdtrt_id", setl.mdtrt_id);
        j_str(&j, s, "psn_no", setl.psn_no);
        j_bool(&j, s, "revoked", setl.revoked);
        j_str(&j, s, "revoke_id", setl.revoke_id);
        j_str(&j, s, "revoke_msgid", setl.revoke_msgid);
        j_put(&j, root, "settlement", s);
    }
    reply_json(req, j.failed ? NULL : root);
    yb_pool_destroy(j.pool);
}

void ybsim_faults_control(struct ybsim_faults *f, struct ybsim_store *st,
                          struct evhttp_request *req, const char *path)
{
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (strcmp(path, "/sim/processed") == 0) {
        if (cmd == EVHTTP_REQ_GET)
            processed(st, req);
        else
            reply_text(req, 405, "Method Not Allowed", "GET /sim/processed?msgid=MSGID\n");
        return;
    }
    if (strcmp(path, "/sim/fault") != 0) {
        reply_text(req, 404, "Not Found",
                   "not found: /sim/fault (GET, POST, DELETE) or GET /sim/processed?msgid=\n");
        return;
    }
    if (!f || !f->enabled) {
        reply_text(req, 403, "Forbidden",
                   "fault injection is off in this simulator: add \"faults on;\" to its "
                   "configuration (see sim/README.md)\n");
        return;
    }
    if (cmd == EVHTTP_REQ_GET)
        list_faults(f, req);
    else if (cmd == EVHTTP_REQ_POST)
        arm_fault(f, req);
    else if (cmd == EVHTTP_REQ_DELETE)
        clear_faults(f, req);
    else
        reply_text(req, 405, "Method Not Allowed", "GET, POST or DELETE /sim/fault\n");
}
