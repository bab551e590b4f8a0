/*
 * hosttest.h - a harness for the tests that run plugins through the real
 * plugin host: a configuration file loaded into settings and a plugin set,
 * the snapshot a transaction holds, and one transaction at a time whose
 * request is decoded from JSON as the gateway decodes it.
 */
#ifndef YB_HOSTTEST_H
#define YB_HOSTTEST_H

#include <stdio.h>
#include <string.h>

#include "codec_json.h"
#include "plugin_host.h"
#include "server.h"
#include "settings.h"
#include "testutil.h"
#include "txn.h"

struct yb_test_host {
    struct yb_settings *settings;
    struct yb_plugin_set *set;
    struct yb_snapshot snap;
    struct yb_txn txn;
};

/* Load the configuration at PATH (its plugins too), replacing what h held.
 * NULL when it does not load, with the reason on stderr. */
static inline struct yb_plugin_set *yb_test_host_load(struct yb_test_host *h, const char *path)
{
    char err[1024];
    yb_plugins_free(h->set);
    h->set = NULL;
    yb_settings_free(h->settings);
    h->settings = yb_settings_load(path, err, sizeof(err));
    if (!h->settings) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    h->set = yb_plugins_load(h->settings, err, sizeof(err));
    if (!h->set)
        fprintf(stderr, "%s\n", err);
    h->snap.settings = h->settings;
    h->snap.plugins = h->set;
    return h->set;
}

/* Free the plugins, the settings and the transaction's memory. */
static inline void yb_test_host_free(struct yb_test_host *h)
{
    yb_plugins_free(h->set);
    h->set = NULL;
    yb_settings_free(h->settings);
    h->settings = NULL;
    yb_pool_destroy(h->txn.pool);
    h->txn.pool = NULL;
}

/* JSON decoded into the transaction's pool; the test stops if it does not parse. */
static inline struct yb_node *yb_test_host_decode(struct yb_test_host *h, const char *json)
{
    struct yb_json_limits limits = {0, 0, 0};
    char err[256];
    struct yb_node *out = NULL;
    int rc = yb_json_decode(h->txn.pool, json, strlen(json), &limits, &out, err, sizeof(err));
    if (rc)
        fprintf(stderr, "test message does not parse: %s\n%s\n", err, json);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return out;
}

/* A fresh transaction INFNO (a string that outlives it) on h's snapshot,
 * whose request is the envelope JSON. */
static inline void yb_test_host_begin(struct yb_test_host *h, const char *infno, const char *json)
{
    yb_pool_destroy(h->txn.pool);
    memset(&h->txn, 0, sizeof(h->txn));
    h->txn.pool = yb_pool_create(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h->txn.pool);
    yb_diag_init(&h->txn.diag, h->txn.pool, 64);
    h->txn.request = yb_test_host_decode(h, json);
    h->txn.infno = infno;
    h->txn.snap = &h->snap;
}

#endif
