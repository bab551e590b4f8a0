/*
 * catalog.c - the catalog plugin (目录对照): fee lines that carry only the
 * hospital's local item code get their national code, on the fly.
 *
 * Where it acts on the path of a message (DESIGN.md):
 *   prepare  (before the schema)  a line with a local code and no national
 *            code gets the mapped national code, so that the schema and the
 *            coding-standard plugins then check the message the platform
 *            will get. A local code with no current mapping cannot be filled
 *            and is refused here, naming the line, the code and, for a
 *            revoked mapping, when and by which message it was revoked. A
 *            filled code that its standard refuses (expired, unknown) is
 *            refused with the mapping named.
 *   request  (after the schema)   lines that came with both codes: the pair
 *            must agree with the mapping (`mismatch`), the local code must
 *            be mapped (`unmapped`), and every mapped line's fee date must lie
 *            within the mapping's dates (`outside_dates`). A 3301 row's
 *            national code must belong to the standard of its list_type.
 *   response a 3301 the platform accepted puts its rows into the map and the
 *            store (as synced); an accepted 3302 revokes. A refused one
 *            changes nothing. `reverse` rules give the HIS its own codes
 *            back in answers.
 *
 * The mappings live in a yb_cat_map (a hash; no SQLite on the request path)
 * under a read-write lock: hooks read, accepted 3301/3302 write. Store writes
 * go to a writer thread (cat_writer.c).
 *
 * Reload: the new instance is registered before it reads the store, every
 * live instance's writer is flushed, and a change accepted while it loads is
 * queued for it and applied once it has loaded; changes are idempotent, so
 * one that also reached the store before the load is harmless. The live
 * instances of the process are kept in `live` (module-wide).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cat_plugin.h"
#include "codeset.h"

/* ---- small helpers ---- */

const char *yb_cat_text_of(const struct catalog *c, const struct yb_node *obj, const char *key)
{
    const char *t = obj ? c->h->node_text(c->h->node_get(obj, key), NULL) : NULL;
    return t ? t : "";
}

static void date_text(uint32_t d, char out[11])
{
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(d / 10000) % 10000, (unsigned)(d / 100 % 100),
             (unsigned)(d % 100));
}

const struct yb_node *yb_cat_list_of(const struct catalog *c, struct yb_node *tree,
                                     const char *part, const char *name, size_t *count)
{
    const struct yb_node *list = c->h->node_get(c->h->node_get(tree, part), name);
    int type = c->h->node_type(list);
    *count = type == YB_NODE_ARRAY ? c->h->node_count(list) : type == YB_NODE_OBJECT ? 1 : 0;
    return list;
}

struct yb_node *yb_cat_item_of(const struct catalog *c, const struct yb_node *list, size_t i)
{
    struct yb_node *item = c->h->node_type(list) == YB_NODE_ARRAY
                               ? c->h->node_at(list, i)
                               : (struct yb_node *)(uintptr_t)list;
    return c->h->node_type(item) == YB_NODE_OBJECT ? item : NULL;
}

/* The list_kind entry of LIST_TYPE, or NULL. */
static struct list_kind *list_kind_of(struct catalog *c, const char *list_type)
{
    for (size_t i = 0; i < c->n_lk; i++)
        if (strcmp(c->lk[i].list_type, list_type) == 0)
            return &c->lk[i];
    return NULL;
}

/* The code kind national codes of LK belong to, or NULL (none, or no
 * plugin owns it). */
static const struct yb_code_kind *kind_of(struct catalog *c, struct list_kind *lk)
{
    if (!lk || !lk->kind[0])
        return NULL;
    if (atomic_load_explicit(&lk->looked, memory_order_acquire))
        return atomic_load_explicit(&lk->found, memory_order_relaxed);
    const struct yb_code_kind *k = c->h->find_kind(c->h, lk->kind);
    atomic_store_explicit(&lk->found, k, memory_order_relaxed);
    atomic_store_explicit(&lk->looked, 1, memory_order_release);
    return k;
}

/* ---- finding: a diagnostic under POLICY (enum yb_policy) ---- */

/* Where a finding is: LIST[I].FIELD. Formatted only when there is one. */
struct where {
    const char *list;
    size_t i;
    const char *field;
};

static void finding(const struct catalog *c, struct yb_txn *txn, int policy,
                    const struct where *at, const char *rule, const char *value, const char *fmt,
                    ...) YB_PRINTF(7, 8);
static void finding(const struct catalog *c, struct yb_txn *txn, int policy,
                    const struct where *at, const char *rule, const char *value, const char *fmt,
                    ...)
{
    if (policy == YB_POLICY_OFF)
        return;
    char msg[768], path[160];
    snprintf(path, sizeof(path), "%s[%zu].%s", at->list, at->i, at->field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->h->diag(txn, policy == YB_POLICY_WARN ? YB_DIAG_WARN : YB_DIAG_ERROR, path, rule, value,
               "catalog", "%s", msg);
}

/* What a missing or revoked mapping says. */
static void no_mapping(const struct catalog *c, struct yb_txn *txn, int policy,
                       const struct where *path,
                       const char *local, const char *fixmedins, const struct yb_cat_entry *e)
{
    if (e)
        finding(c, txn, policy, path, "revoked", local,
                "the mapping (目录对照) of this local code at %s to %s was revoked on %s%s%s; "
                "map it again with 3301",
                fixmedins, e->national, e->changed_at, e->msgid[0] ? " by " : "", e->msgid);
    else
        finding(c, txn, policy, path, "unmapped", local,
                "this local code has no mapping (目录对照) to a national code at %s; map it with "
                "3301 or `ybgwctl catalog import`",
                fixmedins);
}

/* ---- prepare: fill the national codes ---- */

/* The national code E->national filled into a line: is it one its standard
 * accepts? Only a refusal under a reject policy is reported here (it ends
 * the message before the schema); anything milder is left to the schema's
 * own check of the field, so it is not said twice. */
/* The standard LK's national codes belong to refuses CODE: its kind, with
 * the verdict in *v; NULL when it accepts it or there is no such standard. */
static const struct yb_code_kind *refused_by_standard(struct catalog *c, struct list_kind *lk,
                                                      const char *code,
                                                      struct yb_code_verdict *v)
{
    const struct yb_code_kind *kind = kind_of(c, lk);
    if (!kind || !*code)
        return NULL;
    v->status = YB_CODE_VALID;
    if (kind->validate(kind->state, code, strlen(code), v) != 0 || v->status != YB_CODE_INVALID)
        return NULL;
    return kind;
}

static void check_filled(struct catalog *c, struct yb_txn *txn, const struct where *path,
                         const char *local, const struct yb_cat_entry *e, int *policies)
{
    struct list_kind *lk = list_kind_of(c, e->list_type);
    if (!kind_of(c, lk))
        return;
    int *policy = &policies[lk - c->lk]; /* asked once per message */
    if (*policy < 0)
        *policy = c->h->kind_policy(txn, lk->kind);
    if (*policy != YB_POLICY_REJECT)
        return;
    struct yb_code_verdict v;
    const struct yb_code_kind *kind = refused_by_standard(c, lk, e->national, &v);
    if (kind)
        finding(c, txn, YB_POLICY_REJECT, path, v.segment[0] ? v.segment : "national_code",
                local, "is mapped (目录对照) to %s, which the %s standard refuses: %s",
                e->national, kind->standard ? kind->standard : lk->kind, v.reason);
}

static void prepare_list(struct catalog *c, struct yb_txn *txn, const struct translate *t,
                         const char *fixmedins)
{
    size_t n;
    const struct yb_node *list = yb_cat_list_of(c, c->h->txn_request(txn), "input", t->list, &n);
    int policies[sizeof(c->lk) / sizeof(c->lk[0])];
    for (size_t k = 0; k < sizeof(policies) / sizeof(policies[0]); k++)
        policies[k] = -1;
    for (size_t i = 0; i < n; i++) {
        struct yb_node *line = yb_cat_item_of(c, list, i);
        size_t local_len = 0;
        const char *local =
            line ? c->h->node_text(c->h->node_get(line, t->local), &local_len) : NULL;
        if (!local || !local_len || *yb_cat_text_of(c, line, t->national))
            continue; /* nothing to fill: the schema and on_request judge it */
        struct where at = {t->list, i, t->local}, *path = &at;
        const struct yb_cat_entry *e = yb_cat_map_find(c->map, fixmedins, local, local_len);
        if (!e || e->state != YB_CAT_ACTIVE) {
            /* without a national code the platform cannot take the line */
            no_mapping(c, txn, YB_POLICY_REJECT, path, local, fixmedins, e);
            continue;
        }
        if (c->h->node_set_string(txn, line, t->national, e->national, strlen(e->national))) {
            finding(c, txn, YB_POLICY_REJECT, path, "memory", local,
                    "the national code could not be filled in (transaction memory)");
            continue;
        }
        if (e->sync != YB_CAT_SYNCED)
            finding(c, txn, c->unsynced, path, "unsynced", local,
                    "its mapping (目录对照) to %s is %s: the platform may not know it yet "
                    "(`ybgwctl catalog sync` files it with 3301)",
                    e->national,
                    e->sync == YB_CAT_REJECTED ? "one the platform refused" : "not filed yet");
        check_filled(c, txn, path, local, e, policies);
    }
}

static int on_prepare(void *state, struct yb_txn *txn)
{
    struct catalog *c = state;
    const char *infno = c->h->txn_infno(txn);
    const char *fixmedins = yb_cat_text_of(c, c->h->txn_request(txn), "fixmedins_code");
    for (size_t r = 0; r < c->n_tr; r++) {
        if (strcmp(c->tr[r].infno, infno) != 0)
            continue;
        pthread_rwlock_rdlock(&c->lock);
        prepare_list(c, txn, &c->tr[r], fixmedins);
        pthread_rwlock_unlock(&c->lock);
    }
    return YB_PASS;
}

/* ---- request: agreement and dates ---- */

static void check_line(const struct catalog *c, struct yb_txn *txn, const struct translate *t,
                       const char *fixmedins, const struct yb_node *line, size_t i)
{
    size_t local_len = 0;
    const char *local = c->h->node_text(c->h->node_get(line, t->local), &local_len);
    const char *national = yb_cat_text_of(c, line, t->national);
    if (!local || !local_len || !*national)
        return;
    struct where at = {t->list, i, t->local}, *path = &at;
    const struct yb_cat_entry *e = yb_cat_map_find(c->map, fixmedins, local, local_len);
    if (!e || e->state != YB_CAT_ACTIVE) {
        no_mapping(c, txn, c->unmapped, path, local, fixmedins, e);
        return;
    }
    if (strcmp(national, e->national) != 0) {
        at.field = t->national;
        finding(c, txn, c->mismatch, path, "mismatch", national,
                "disagrees with the mapping (目录对照) of %s \"%s\", which is %s", t->local, local,
                e->national);
        return;
    }
    uint32_t day = 0;
    const char *when = t->time[0] ? yb_cat_text_of(c, line, t->time) : "";
    if (!*when || yb_cs_parse_date(when, &day) != 0 || !day)
        return; /* no fee date, or one the schema refuses */
    if ((e->begndate && day < e->begndate) || (e->enddate && day > e->enddate)) {
        char b[11], d[11];
        date_text(e->begndate, b);
        date_text(e->enddate, d);
        finding(c, txn, c->outside_dates, path, "outside_dates", local,
                "its mapping (目录对照) to %s is valid from %s to %s, but %s is %s", e->national,
                b, d, t->time, when);
    }
}

/* A 3301 row's national code must belong to the standard of its list_type
 * (a drug code filed as a service item is refused by the platform later,
 * and less clearly). */
static void check_upload(struct catalog *c, struct yb_txn *txn)
{
    size_t n;
    const struct yb_node *list = yb_cat_list_of(c, c->h->txn_request(txn), "input", "catalogcompin", &n);
    for (size_t i = 0; i < n; i++) {
        const struct yb_node *row = yb_cat_item_of(c, list, i);
        const char *list_type = yb_cat_text_of(c, row, "list_type");
        const char *national = yb_cat_text_of(c, row, "med_list_codg");
        struct list_kind *lk = list_kind_of(c, list_type);
        struct yb_code_verdict v;
        const struct yb_code_kind *kind = refused_by_standard(c, lk, national, &v);
        if (!kind)
            continue;
        struct where path[1] = {{"catalogcompin", i, "med_list_codg"}};
        finding(c, txn, c->h->kind_policy(txn, lk->kind), path, "list_type", national,
                "is not a %s code, as list_type %s requires: %s",
                kind->standard ? kind->standard : lk->kind, list_type, v.reason);
    }
}

static int on_request(void *state, struct yb_txn *txn)
{
    struct catalog *c = state;
    const char *infno = c->h->txn_infno(txn);
    if (strcmp(infno, c->upload) == 0)
        check_upload(c, txn);
    const char *fixmedins = yb_cat_text_of(c, c->h->txn_request(txn), "fixmedins_code");
    for (size_t r = 0; r < c->n_tr; r++) {
        const struct translate *t = &c->tr[r];
        if (strcmp(t->infno, infno) != 0)
            continue;
        size_t n;
        const struct yb_node *list = yb_cat_list_of(c, c->h->txn_request(txn), "input", t->list, &n);
        pthread_rwlock_rdlock(&c->lock);
        for (size_t i = 0; i < n; i++) {
            const struct yb_node *line = yb_cat_item_of(c, list, i);
            if (line)
                check_line(c, txn, t, fixmedins, line, i);
        }
        pthread_rwlock_unlock(&c->lock);
    }
    return YB_PASS;
}

/* ---- configuration ---- */

static int copy_word(char *dst, size_t cap, const char *src, const struct catalog *c,
                     const char *where, const char *what)
{
    size_t n = strlen(src);
    if (n == 0 || n >= cap) {
        c->h->log(c->h, YB_LOG_ERROR, "%s: %s \"%s\" is empty or longer than %zu bytes", where,
                  what, src, cap - 1);
        return YB_EINVAL;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

static int take_translate(void *arg, int argc, const char *const *argv, const char *where)
{
    struct catalog *c = arg;
    if (argc < 4 || argc > 5 || c->n_tr == MAX_RULES) {
        c->h->log(c->h, YB_LOG_ERROR,
                  "%s: translate takes INFNO LIST LOCAL_FIELD NATIONAL_FIELD [DATE_FIELD] (at "
                  "most %d rules)",
                  where, MAX_RULES);
        return YB_EINVAL;
    }
    struct translate *t = &c->tr[c->n_tr];
    memset(t, 0, sizeof(*t));
    if (copy_word(t->infno, sizeof(t->infno), argv[0], c, where, "infno") ||
        copy_word(t->list, sizeof(t->list), argv[1], c, where, "list") ||
        copy_word(t->local, sizeof(t->local), argv[2], c, where, "local field") ||
        copy_word(t->national, sizeof(t->national), argv[3], c, where, "national field") ||
        (argc == 5 && copy_word(t->time, sizeof(t->time), argv[4], c, where, "date field")))
        return YB_EINVAL;
    c->n_tr++;
    return 0;
}

static int take_reverse(void *arg, int argc, const char *const *argv, const char *where)
{
    struct catalog *c = arg;
    if (argc != 4 || c->n_rv == MAX_RULES) {
        c->h->log(c->h, YB_LOG_ERROR,
                  "%s: reverse takes INFNO LIST join KEY_FIELD, or INFNO LIST NATIONAL_FIELD "
                  "LOCAL_FIELD (at most %d rules)",
                  where, MAX_RULES);
        return YB_EINVAL;
    }
    struct reverse *r = &c->rv[c->n_rv];
    memset(r, 0, sizeof(*r));
    r->join = strcmp(argv[2], "join") == 0;
    if (copy_word(r->infno, sizeof(r->infno), argv[0], c, where, "infno") ||
        copy_word(r->list, sizeof(r->list), argv[1], c, where, "list") ||
        copy_word(r->a, sizeof(r->a), argv[r->join ? 3 : 2], c, where, "field") ||
        (!r->join && copy_word(r->b, sizeof(r->b), argv[3], c, where, "field")))
        return YB_EINVAL;
    if (r->join) {
        /* a join needs the translate rule of the same message for the fields */
        size_t t = 0;
        while (t < c->n_tr && strcmp(c->tr[t].infno, r->infno) != 0)
            t++;
        if (t == c->n_tr) {
            c->h->log(c->h, YB_LOG_ERROR,
                      "%s: reverse %s ... join needs a translate rule for %s above it", where,
                      r->infno, r->infno);
            return YB_EINVAL;
        }
    }
    c->n_rv++;
    return 0;
}

static int take_list_kind(void *arg, int argc, const char *const *argv, const char *where)
{
    struct catalog *c = arg;
    if (argc != 2 || c->n_lk == sizeof(c->lk) / sizeof(c->lk[0])) {
        c->h->log(c->h, YB_LOG_ERROR, "%s: list_kind takes LIST_TYPE KIND (or - for none)",
                  where);
        return YB_EINVAL;
    }
    struct list_kind *k = &c->lk[c->n_lk];
    if (copy_word(k->list_type, sizeof(k->list_type), argv[0], c, where, "list_type") ||
        copy_word(k->kind, sizeof(k->kind), argv[1], c, where, "kind"))
        return YB_EINVAL;
    if (strcmp(k->kind, "-") == 0)
        k->kind[0] = '\0';
    c->n_lk++;
    return 0;
}

static int take_policy(struct catalog *c, const struct yb_conf *conf, const char *name, int *out,
                       int allow_off)
{
    const char *v = c->h->conf_get(conf, name);
    if (!v)
        return 0;
    if (strcmp(v, "reject") == 0)
        *out = YB_POLICY_REJECT;
    else if (strcmp(v, "warn") == 0)
        *out = YB_POLICY_WARN;
    else if (allow_off && strcmp(v, "off") == 0)
        *out = YB_POLICY_OFF;
    else {
        c->h->log(c->h, YB_LOG_ERROR, "%s must be reject or warn%s, not \"%s\"", name,
                  allow_off ? " or off" : "", v);
        return YB_EINVAL;
    }
    return 0;
}

static int configure(struct catalog *c, const struct yb_conf *conf)
{
    const struct yb_host *h = c->h;
    const char *store = h->conf_get(conf, "store");
    const char *only = h->conf_get(conf, "fixmedins");
    const char *upload = h->conf_get(conf, "upload");
    const char *revoke = h->conf_get(conf, "revoke");
    if (!store || !*store || strlen(store) >= sizeof(c->store)) {
        h->log(h, YB_LOG_ERROR, "store PATH (the mapping store, SQLite) is required");
        return YB_EINVAL;
    }
    memcpy(c->store, store, strlen(store) + 1);
    snprintf(c->upload, sizeof(c->upload), "%s", upload ? upload : "3301");
    snprintf(c->revoke, sizeof(c->revoke), "%s", revoke ? revoke : "3302");
    if (only && copy_word(c->only, sizeof(c->only), only, c, "fixmedins", "institution code"))
        return YB_EINVAL;
    c->unmapped = c->mismatch = c->outside_dates = YB_POLICY_REJECT;
    c->unsynced = YB_POLICY_WARN;
    int rc;
    if ((rc = take_policy(c, conf, "unmapped", &c->unmapped, 1)) ||
        (rc = take_policy(c, conf, "mismatch", &c->mismatch, 1)) ||
        (rc = take_policy(c, conf, "outside_dates", &c->outside_dates, 1)) ||
        (rc = take_policy(c, conf, "unsynced", &c->unsynced, 1)) ||
        (rc = h->conf_each(conf, "list_kind", take_list_kind, c)) ||
        (rc = h->conf_each(conf, "translate", take_translate, c)) ||
        (rc = h->conf_each(conf, "reverse", take_reverse, c)))
        return rc < 0 ? rc : YB_EINVAL;
    return 0;
}

/* ---- life cycle ---- */

static void fini(void *state)
{
    struct catalog *c = state;
    if (!c)
        return;
    yb_cat_live_leave(c);
    yb_cat_writer_stop(c->writer);
    yb_cat_map_free(c->map);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

static int init(const struct yb_host *h, const struct yb_conf *conf, void **state)
{
    if (!YB_HOST_HAS(h, conf_each)) {
        h->log(h, YB_LOG_ERROR, "the gateway is older than this plugin (needs host ABI 1.2)");
        return YB_EABI;
    }
    struct catalog *c = calloc(1, sizeof(*c));
    if (!c)
        return YB_ENOMEM;
    c->h = h;
    pthread_rwlock_init(&c->lock, NULL);
    char err[512] = "";
    int rc = configure(c, conf);
    if (rc == 0 && (rc = yb_cat_map_new(&c->map)) == 0 &&
        (rc = yb_cat_writer_start(c->store, h, &c->writer)) == 0)
        rc = yb_cat_live_join(c, err, sizeof(err));
    if (rc) {
        if (err[0])
            h->log(h, YB_LOG_ERROR, "mapping store %s: %s", c->store, err);
        fini(c);
        return rc;
    }
    *state = c;
    return 0;
}

static const struct yb_plugin catalog_plugin = {
    .abi = YB_PLUGIN_ABI,
    .struct_size = sizeof(struct yb_plugin),
    .name = "catalog",
    .version = "1.0.0",
    .init = init,
    .on_request = on_request,
    .on_response = yb_cat_on_response,
    .fini = fini,
    .on_prepare = on_prepare,
};

YB_EXPORT const struct yb_plugin *yb_plugin_entry(void)
{
    return &catalog_plugin;
}
