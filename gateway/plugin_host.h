/*
 * plugin_host.h - loading plugins and running their hooks.
 *
 * A plugin set is one generation of loaded plugins: the modules named in the
 * configuration, in its order, each initialised with its own section, plus
 * the code kinds they registered. A reload builds a new set beside the old
 * one; the old set is freed when the last transaction that started on it
 * ends (the snapshot in server.c holds it).
 */
#ifndef YB_PLUGIN_HOST_H
#define YB_PLUGIN_HOST_H

#include <stddef.h>

#include "settings.h"
#include "ybgw/ybgw.h"

struct yb_txn;
struct yb_plugin_set;

/* Load and initialise every configured plugin. On any failure (module not
 * found, ABI refused, init failed) everything loaded so far is unloaded and
 * NULL is returned with one sentence per reason in err. The settings must
 * outlive the set: plugins keep pointers into their sections. */
struct yb_plugin_set *yb_plugins_load(const struct yb_settings *settings, char *err,
                                      size_t errlen);
void yb_plugins_free(struct yb_plugin_set *set);

/* Run the prepare hooks (before the schema check) and the request hooks in
 * configured order, the response hooks in reverse order. Returns the first
 * result that is not YB_PASS, or YB_PASS. */
int yb_plugins_on_prepare(struct yb_plugin_set *set, struct yb_txn *txn);
int yb_plugins_on_request(struct yb_plugin_set *set, struct yb_txn *txn);
int yb_plugins_on_response(struct yb_plugin_set *set, struct yb_txn *txn);

/* A registered code kind, or NULL. */
const struct yb_code_kind *yb_plugins_kind(const struct yb_plugin_set *set, const char *name);
size_t yb_plugins_kind_count(const struct yb_plugin_set *set);
const struct yb_code_kind *yb_plugins_kind_at(const struct yb_plugin_set *set, size_t i);

size_t yb_plugins_count(const struct yb_plugin_set *set);
/* name and version of plugin i, for logs and listings */
const char *yb_plugins_name(const struct yb_plugin_set *set, size_t i);
const char *yb_plugins_version(const struct yb_plugin_set *set, size_t i);

/* The host table's node and txn accessors, for the gateway's own use. */
extern const struct yb_host yb_host_template;

#endif
