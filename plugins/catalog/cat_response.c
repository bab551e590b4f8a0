/*
 * cat_response.c - what the catalog plugin does with the platform's answers:
 * an accepted 3301 or 3302 changes the mappings (in every live instance's
 * map at once, in the store through the writer thread), and `reverse`
 * rules give the HIS its own codes back. Also the list of instances live in
 * the process, which is what lets a reload lose no change (catalog.c says
 * how).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cat_plugin.h"

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct catalog *live;

/* ---- changes to every live map ---- */

/* Apply change X to C's map, or keep a copy of it while C is loading (the
 * caller holds live_lock). */
static void apply_to(struct catalog *c, const struct yb_cat_change *x)
{
    const char *const *f = x->row.f;
    if (c->only[0] && strcmp(c->only, f[YB_CAT_FIXMEDINS_CODE]) != 0)
        return;
    if (c->loading) {
        struct yb_cat_change *p = yb_cat_change_new(x->revoke, x->sync, &x->row, &x->who);
        if (!p) {
            c->h->log(c->h, YB_LOG_ERROR, "out of memory keeping a mapping change for the "
                                          "configuration being loaded; reload again");
            return;
        }
        if (c->pending_tail)
            c->pending_tail->next = p;
        else
            c->pending = p;
        c->pending_tail = p;
        return;
    }
    const char *msgid = x->who.msgid ? x->who.msgid : "", *at = x->who.at ? x->who.at : "";
    pthread_rwlock_wrlock(&c->lock);
    int rc = x->revoke ? yb_cat_map_revoke(c->map, f[YB_CAT_FIXMEDINS_CODE], f[YB_CAT_HILIST_ID],
                                           at, msgid)
                       : yb_cat_map_set(c->map, &x->row, x->sync, at, msgid);
    pthread_rwlock_unlock(&c->lock);
    if (rc && rc != YB_ENOENT)
        c->h->log(c->h, YB_LOG_ERROR, "mapping %s %s: the map refused the change (%d)",
                  f[YB_CAT_FIXMEDINS_CODE], f[YB_CAT_HILIST_ID], rc);
}

/* One accepted change: every live instance on the same store sees it, and
 * SELF's writer writes it. */
static void change(struct catalog *self, int revoke, const struct yb_cat_row *row,
                   const struct yb_cat_who *who)
{
    struct yb_cat_change x = {NULL, revoke, YB_CAT_SYNCED, *row, *who};
    pthread_mutex_lock(&live_lock);
    for (struct catalog *c = live; c; c = c->next_live)
        if (strcmp(c->store, self->store) == 0)
            apply_to(c, &x);
    pthread_mutex_unlock(&live_lock);
    int rc = yb_cat_writer_queue(self->writer, revoke, YB_CAT_SYNCED, row, who);
    if (rc)
        self->h->log(self->h, YB_LOG_ERROR,
                     "mapping %s %s (msgid %s) could not be queued for the store (%d)",
                     row->f[YB_CAT_FIXMEDINS_CODE], row->f[YB_CAT_HILIST_ID], who->msgid, rc);
}

int yb_cat_live_join(struct catalog *c, char *err, size_t errcap)
{
    pthread_mutex_lock(&live_lock);
    c->loading = 1;
    c->next_live = live;
    live = c;
    pthread_mutex_unlock(&live_lock);
    /* What the running instances accepted must be in the store before it
     * is read. init runs off the request path, so waiting is fine; a worker
     * that meanwhile has an accepted 3301 to record waits for live_lock
     * (milliseconds, during a reload only). */
    pthread_mutex_lock(&live_lock);
    for (struct catalog *o = live; o; o = o->next_live)
        if (o != c && !o->loading && strcmp(o->store, c->store) == 0)
            yb_cat_writer_flush(o->writer);
    pthread_mutex_unlock(&live_lock);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct yb_cat_store *st = NULL;
    int rc = yb_cat_store_open(c->store, YB_CAT_CREATE, &st, err, errcap);
    if (rc == 0)
        rc = yb_cat_map_load(c->map, st, c->only[0] ? c->only : NULL, err, errcap);
    yb_cat_store_close(st);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    pthread_mutex_lock(&live_lock);
    c->loading = 0;
    struct yb_cat_change *p = c->pending;
    c->pending = c->pending_tail = NULL;
    for (const struct yb_cat_change *q = p; q && rc == 0; q = q->next)
        apply_to(c, q);
    pthread_mutex_unlock(&live_lock);
    yb_cat_changes_free(p);
    if (rc == 0)
        c->h->log(c->h, YB_LOG_INFO,
                  "%zu mappings (%zu active) loaded from %s in %.2f s, %.1f MiB%s%s",
                  yb_cat_map_count(c->map), yb_cat_map_active(c->map), c->store,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                  (double)yb_cat_map_bytes(c->map) / (1024.0 * 1024.0),
                  c->only[0] ? " for " : "", c->only);
    return rc;
}

void yb_cat_live_leave(struct catalog *c)
{
    pthread_mutex_lock(&live_lock);
    for (struct catalog **pp = &live; *pp; pp = &(*pp)->next_live) {
        if (*pp == c) {
            *pp = c->next_live;
            break;
        }
    }
    pthread_mutex_unlock(&live_lock);
    yb_cat_changes_free(c->pending);
    c->pending = c->pending_tail = NULL;
}

/* ---- accepted 3301 and 3302 ---- */

static void now_text(char out[20])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static void take_upload(struct catalog *c, struct yb_txn *txn, const struct yb_cat_who *who)
{
    struct yb_node *req = c->h->txn_request(txn);
    size_t n;
    const struct yb_node *list = yb_cat_list_of(c, req, "input", "catalogcompin", &n);
    for (size_t i = 0; i < n; i++) {
        const struct yb_node *item = yb_cat_item_of(c, list, i);
        struct yb_cat_row row;
        char begn[11], end[11];
        for (int f = 0; f < YB_CAT_NFIELDS; f++)
            row.f[f] = yb_cat_text_of(c, item, yb_cat_field_names[f]);
        row.f[YB_CAT_FIXMEDINS_CODE] = yb_cat_text_of(c, req, "fixmedins_code");
        if (yb_cat_date_norm(row.f[YB_CAT_BEGNDATE], begn) == 0)
            row.f[YB_CAT_BEGNDATE] = begn;
        if (yb_cat_date_norm(row.f[YB_CAT_ENDDATE], end) == 0)
            row.f[YB_CAT_ENDDATE] = end;
        char err[256];
        if (!item || yb_cat_row_check(&row, NULL, err, sizeof(err)) != 0) {
            /* the platform took a row the store would refuse: keep what the
             * platform has, but say so (the store is then behind) */
            c->h->log(c->h, YB_LOG_WARN,
                      "3301 %s: catalogcompin[%zu] was accepted by the platform but is not "
                      "kept in the mapping store: %s",
                      who->msgid, i, item ? err : "not an object");
            continue;
        }
        change(c, 0, &row, who);
    }
}

static void take_revoke(struct catalog *c, struct yb_txn *txn, const struct yb_cat_who *who)
{
    struct yb_node *req = c->h->txn_request(txn);
    const struct yb_node *data = c->h->node_get(c->h->node_get(req, "input"), "data");
    struct yb_cat_row row;
    memset(&row, 0, sizeof(row));
    row.f[YB_CAT_FIXMEDINS_CODE] = yb_cat_text_of(c, data, "fixmedins_code");
    if (!*row.f[YB_CAT_FIXMEDINS_CODE])
        row.f[YB_CAT_FIXMEDINS_CODE] = yb_cat_text_of(c, req, "fixmedins_code");
    row.f[YB_CAT_HILIST_ID] = yb_cat_text_of(c, data, "fixmedins_hilist_id");
    row.f[YB_CAT_LIST_TYPE] = yb_cat_text_of(c, data, "list_type");
    row.f[YB_CAT_MED_LIST_CODG] = yb_cat_text_of(c, data, "med_list_codg");
    if (*row.f[YB_CAT_HILIST_ID])
        change(c, 1, &row, who);
}

/* ---- reverse: the HIS's own codes in the answer ---- */

/* Request lines sorted by their join key, for a binary search per answer
 * line (a fee upload has up to 5000 lines). */
struct keyed {
    const char *key;
    const struct yb_node *line;
};

static int keyed_cmp(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static void reverse_join(struct catalog *c, struct yb_txn *txn, const struct reverse *r)
{
    const struct translate *t = c->tr;
    while (strcmp(t->infno, r->infno) != 0)
        t++; /* configure() made sure there is one */
    size_t n_req, n_ans;
    const struct yb_node *req =
        yb_cat_list_of(c, c->h->txn_request(txn), "input", t->list, &n_req);
    const struct yb_node *ans =
        yb_cat_list_of(c, c->h->txn_response(txn), "output", r->list, &n_ans);
    if (!n_req || !n_ans)
        return;
    struct keyed *index = c->h->txn_alloc(txn, n_req * sizeof(*index));
    if (!index)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n_req; i++) {
        const struct yb_node *line = yb_cat_item_of(c, req, i);
        const char *key = yb_cat_text_of(c, line, r->a);
        if (line && *key)
            index[k++] = (struct keyed){key, line};
    }
    if (k > 1)
        qsort(index, k, sizeof(*index), keyed_cmp);
    for (size_t i = 0; i < n_ans; i++) {
        struct yb_node *item = yb_cat_item_of(c, ans, i);
        struct keyed probe = {yb_cat_text_of(c, item, r->a), NULL};
        const struct keyed *hit =
            item && *probe.key ? bsearch(&probe, index, k, sizeof(*index), keyed_cmp) : NULL;
        if (!hit)
            continue;
        const char *fields[2] = {t->local, t->national};
        for (int f = 0; f < 2; f++) {
            const char *v = yb_cat_text_of(c, hit->line, fields[f]);
            if (*v && !*yb_cat_text_of(c, item, fields[f]))
                c->h->node_set_string(txn, item, fields[f], v, strlen(v));
        }
    }
}

static void reverse_national(struct catalog *c, struct yb_txn *txn, const struct reverse *r)
{
    const char *fixmedins = yb_cat_text_of(c, c->h->txn_request(txn), "fixmedins_code");
    size_t n;
    const struct yb_node *ans = yb_cat_list_of(c, c->h->txn_response(txn), "output", r->list, &n);
    pthread_rwlock_rdlock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        struct yb_node *item = yb_cat_item_of(c, ans, i);
        const char *national = yb_cat_text_of(c, item, r->a);
        if (!item || !*national || *yb_cat_text_of(c, item, r->b))
            continue;
        size_t count = 0;
        const struct yb_cat_entry *e =
            yb_cat_map_find_national(c->map, fixmedins, national, strlen(national), &count);
        /* several local codes for one national code: no guess */
        if (e && count == 1)
            c->h->node_set_string(txn, item, r->b, e->local, strlen(e->local));
    }
    pthread_rwlock_unlock(&c->lock);
}

int yb_cat_on_response(void *state, struct yb_txn *txn)
{
    struct catalog *c = state;
    const char *infno = c->h->txn_infno(txn);
    struct yb_node *answer = c->h->txn_response(txn);
    const char *infcode = yb_cat_text_of(c, answer, "infcode");
    if (strcmp(infcode, "0") != 0)
        return YB_PASS; /* the platform refused: nothing changes */
    int upload = strcmp(infno, c->upload) == 0, revoke = strcmp(infno, c->revoke) == 0;
    if (upload || revoke) {
        struct yb_node *req = c->h->txn_request(txn);
        char at[20];
        now_text(at);
        const char *by = yb_cat_text_of(c, req, "opter_name");
        if (!*by)
            by = yb_cat_text_of(c, req, "opter");
        struct yb_cat_who who = {*by ? by : "HIS", upload ? c->upload : c->revoke,
                                 yb_cat_text_of(c, req, "msgid"), at};
        if (upload)
            take_upload(c, txn, &who);
        else
            take_revoke(c, txn, &who);
    }
    for (size_t i = 0; i < c->n_rv; i++) {
        if (strcmp(c->rv[i].infno, infno) != 0)
            continue;
        if (c->rv[i].join)
            reverse_join(c, txn, &c->rv[i]);
        else
            reverse_national(c, txn, &c->rv[i]);
    }
    return YB_PASS;
}
