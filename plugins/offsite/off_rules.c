/*
 * off_rules.c - the offsite plugin's lookups and off-site rules: which pool
 * a region code belongs to, which route a code takes (longest prefix), and
 * the rules that apply to an off-site patient's transaction: deny, require
 * and filing (备案).
 *
 * Everything here reads the configuration (read-only after init) and the
 * transaction's own tree; findings go to the transaction through the host.
 * The filing store (filing.c) answers "has this person an active filing"
 * from memory, so no rule blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "off_internal.h"

#define SOURCE "offsite"

/* ---- lookups ---- */

static int route_key_cmp(const void *key, const void *item)
{
    return strcmp(key, ((const struct off_route *)item)->pattern);
}

static int pool_key_cmp(const void *key, const void *item)
{
    return strcmp(key, ((const struct off_pool_prefix *)item)->prefix);
}

void yb_off_pool_of(const struct offsite *o, const char *code, char out[8])
{
    snprintf(out, 8, "%.6s", code);
    if (!o->n_pools)
        return;
    for (size_t len = 6; len >= 2; len--) {
        char prefix[8];
        snprintf(prefix, sizeof(prefix), "%.*s", (int)len, code);
        const struct off_pool_prefix *p =
            bsearch(prefix, o->pools, o->n_pools, sizeof(*o->pools), pool_key_cmp);
        if (p) {
            memcpy(out, p->pool, 7);
            return;
        }
    }
}

const struct off_route *yb_off_route_for(const struct offsite *o, const char *key)
{
    for (size_t len = 6; o->n_routes && len >= 2; len--) {
        char prefix[8];
        snprintf(prefix, sizeof(prefix), "%.*s", (int)len, key);
        const struct off_route *r =
            bsearch(prefix, o->routes, o->n_routes, sizeof(*o->routes), route_key_cmp);
        if (r)
            return r;
    }
    return o->has_default ? &o->fallback : NULL;
}

int yb_off_infno_matches(const struct off_infnos *list, const char *infno)
{
    for (size_t i = 0; i < list->n; i++) {
        const struct off_infno *p = &list->item[i];
        if (p->prefix ? strncmp(infno, p->text, p->len) == 0 : strcmp(infno, p->text) == 0)
            return 1;
    }
    return 0;
}

const char *yb_off_a_patient(int class)
{
    return class == OFF_CROSS_PROVINCE ? "a cross-province patient"
           : class == OFF_IN_PROVINCE  ? "an in-province off-site patient"
                                       : "a local patient";
}

const char *yb_off_class_word(int class)
{
    return class == OFF_CROSS_PROVINCE ? "cross-province"
           : class == OFF_IN_PROVINCE  ? "in-province"
                                       : "local";
}

const char *yb_off_text_at(const struct offsite *o, const struct yb_node *root,
                           const struct off_path *path)
{
    const struct yb_node *n = root;
    for (size_t i = 0; n && i < path->n; i++)
        n = o->h->node_get(n, path->seg[i].name);
    return n ? o->h->node_text(n, NULL) : NULL;
}

/* ---- require ---- */

/* The rest of PATH from segment I on, as configured ("diseinfo[].diag_code"). */
static void append_rest(const struct off_path *path, size_t i, char *shown, size_t cap)
{
    for (; i < path->n; i++) {
        size_t used = strlen(shown);
        snprintf(shown + used, cap - used, "%s%s%s", used ? "." : "", path->seg[i].name,
                 path->seg[i].list ? "[]" : "");
    }
}

/* A require rule's PATH fails at SUBJECT (the path walked so far, list
 * indexes filled in) for the reason PROBLEM ("is missing"). The finding's
 * path is SUBJECT, with "[]" when SUBJECT is a list of PATH (segment I), and
 * the rest of PATH after segment I. */
static void require_failed(struct offsite *o, struct off_case *c, const struct off_path *path,
                           size_t i, const char *subject, int at_list, const char *problem)
{
    char shown[512];
    snprintf(shown, sizeof(shown), "%s%s", subject, at_list ? "[]" : "");
    append_rest(path, i + 1, shown, sizeof(shown));
    o->h->diag(c->txn, YB_DIAG_ERROR, shown, "offsite_required", NULL, SOURCE,
               "%s is required in %s for %s (treated in %s, insured in %s) by this "
               "gateway's off-site rules, but %s %s",
               shown, c->infno, yb_off_a_patient(c->class), c->mdtrtarea, c->insuplc, subject,
               problem);
    c->errors++;
}

/* Check PATH from segment I under NODE (an object); SHOWN is the path so
 * far with list indexes filled in ("diseinfo[2]"). */
static void require_at(struct offsite *o, struct off_case *c, const struct off_path *path, size_t i,
                       const struct yb_node *node, const char *shown)
{
    const struct yb_host *h = o->h;
    int list = path->seg[i].list;
    char here[400];
    snprintf(here, sizeof(here), "%s%s%s", shown, shown[0] ? "." : "", path->seg[i].name);
    const struct yb_node *v = h->node_get(node, path->seg[i].name);
    int type = v ? h->node_type(v) : -1;
    if (!v || type == YB_NODE_NULL) {
        require_failed(o, c, path, i, here, list, v ? "is null" : "is missing");
        return;
    }
    if (list) {
        /* a one-item list may arrive as the item itself (XML without a schema) */
        size_t n = type == YB_NODE_ARRAY ? h->node_count(v) : type == YB_NODE_OBJECT ? 1 : 0;
        if (type != YB_NODE_ARRAY && type != YB_NODE_OBJECT)
            require_failed(o, c, path, i, here, 1, "is not a list");
        else if (n == 0)
            require_failed(o, c, path, i, here, 1, "is an empty list");
        for (size_t k = 0; k < n; k++) {
            const struct yb_node *item = type == YB_NODE_ARRAY ? h->node_at(v, k) : v;
            char indexed[432];
            snprintf(indexed, sizeof(indexed), "%s[%zu]", here, k);
            if (h->node_type(item) != YB_NODE_OBJECT)
                require_failed(o, c, path, i, indexed, 0, "is not an object");
            else
                require_at(o, c, path, i + 1, item, indexed);
        }
        return;
    }
    if (i + 1 < path->n) {
        if (type != YB_NODE_OBJECT)
            require_failed(o, c, path, i, here, 0, "is not an object");
        else
            require_at(o, c, path, i + 1, v, here);
        return;
    }
    size_t len = 0;
    if (type == YB_NODE_ARRAY || type == YB_NODE_OBJECT)
        len = h->node_count(v);
    else
        h->node_text(v, &len);
    if (len == 0)
        require_failed(o, c, path, i, here, 0, "is empty");
}

/* ---- filing ---- */

/* "2501", "2501 or 2503": the transactions that file a person. */
static void filing_transactions(const struct offsite *o, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < o->n_record; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", i ? " or " : "", o->record[i].infno);
    }
}

static void check_filing(struct offsite *o, struct off_case *c, const struct off_rule *r)
{
    const struct yb_host *h = o->h;
    int severity = o->filing_policy == YB_POLICY_REJECT ? YB_DIAG_ERROR : YB_DIAG_WARN;
    const struct off_path *psn_path = &r->paths[0];
    const char *psn = yb_off_text_at(o, c->input, psn_path);
    const char *cls = yb_off_a_patient(c->class);
    char send[96];
    filing_transactions(o, send, sizeof(send));
    if (!psn || !*psn) {
        h->diag(c->txn, severity, psn_path->text, "filing", NULL, SOURCE,
                "%s is missing, so the filing (备案) that %s's %s needs cannot be "
                "checked",
                psn_path->text, cls, c->infno);
    } else if (!o->filings || yb_filings_active(o->filings, psn, c->date, NULL) != 1) {
        h->diag(c->txn, severity, psn_path->text, "filing", psn, SOURCE,
                "person %s is %s (treated in %s, insured in %s) with no active filing "
                "(备案) on %s, which %s needs: %s%s first%s",
                psn, cls, c->mdtrtarea, c->insuplc, c->date, c->infno,
                send[0] ? "send the filing transaction " : "file the person's 备案",
                send[0] ? send : "",
                severity == YB_DIAG_WARN ? " (a filing made elsewhere, e.g. on the national "
                                           "app, is not seen by this gateway)"
                                         : "");
    } else {
        return;
    }
    if (severity == YB_DIAG_ERROR)
        c->errors++;
}

/* ---- all rules ---- */

static int applies(const struct off_rule *r, const struct off_case *c)
{
    return (r->classes & OFF_MASK(c->class)) && yb_off_infno_matches(&r->infnos, c->infno);
}

void yb_off_check_rules(struct offsite *o, struct off_case *c)
{
    if (c->class == OFF_LOCAL)
        return;
    /* the first deny line that applies says it; more would repeat it */
    for (size_t i = 0; i < o->n_deny; i++) {
        if (!applies(&o->deny[i], c))
            continue;
        o->h->diag(c->txn, YB_DIAG_ERROR, "infno", "offsite_denied", c->infno, SOURCE,
                   "transaction %s may not be sent for %s (treated in %s, insured in "
                   "%s): this gateway's off-site rules deny it",
                   c->infno, yb_off_a_patient(c->class), c->mdtrtarea, c->insuplc);
        c->errors++;
        break;
    }
    for (size_t i = 0; i < o->n_require; i++) {
        const struct off_rule *r = &o->require[i];
        if (!applies(r, c))
            continue;
        for (size_t p = 0; p < r->n_paths; p++)
            require_at(o, c, &r->paths[p], 0, c->input, "");
    }
    if (o->filing_policy == YB_POLICY_OFF)
        return;
    /* the first filing line that applies decides */
    for (size_t i = 0; i < o->n_filing; i++) {
        if (applies(&o->filing[i], c)) {
            check_filing(o, c, &o->filing[i]);
            break;
        }
    }
}
