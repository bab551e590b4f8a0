/*
 * settings.h - the gateway's configuration, read from ybgw.conf.
 *
 * Every directive is a row in a table in settings.c (name, arity, setter,
 * offset), in the nginx manner. A loaded configuration is immutable: a
 * reload builds a new one beside the old (see server.c).
 */
#ifndef YB_SETTINGS_H
#define YB_SETTINGS_H

#include <stddef.h>

#include "auth.h"
#include "conf.h"
#include "envelope.h"
#include "journal.h"
#include "upstream.h"

#define YB_MAX_WORKERS 64

/* Per-kind policy for code checks: `codes { drug reject; doctor warn; }`. */
struct yb_kind_policy {
    char *kind;
    int policy; /* enum yb_policy */
};

struct yb_pii;
struct yb_access_dest;

struct yb_plugin_conf {
    char *name;
    const struct yb_conf *block; /* the `plugin NAME { }` directive (owned by the tree) */
};

struct yb_settings {
    struct yb_conf *tree; /* the parsed file; owns every yb_conf pointer below */
    char *path;           /* the configuration file */

    unsigned workers;
    char *listen;       /* "127.0.0.1:9800" */
    char *admin_listen; /* "127.0.0.1:9801" */
    char *service_path; /* "/fsi/api/rsfComIfsService/callService" */
    size_t max_body;
    size_t max_headers;
    long read_timeout_ms;
    long drain_timeout_ms;
    unsigned json_depth;
    size_t txn_memory; /* cap of one transaction's pool */
    char *schemas;
    char **plugin_dirs;
    int n_plugin_dirs;
    char *data_dir;
    char *code_tables; /* SQLite file of imported code tables; NULL: none */
    int log_level;
    char *default_upstream;
    char *node_name; /* this gateway's name in X-Ybgw-Hops */

    struct yb_envelope_policy envelope;

    struct yb_kind_policy *kinds;
    int n_kinds;
    int default_kind_policy; /* for kinds not named; default reject */
    int unknown_kind_policy; /* a schema names a kind no plugin owns: default off (noted) */

    struct yb_upstream *upstreams;
    int n_upstreams;

    /* transactions that are safe to send again (queries): they fail over to
     * the next endpoint of a cluster; patterns "1101" or "13*" */
    char **retry_safe;
    int n_retry_safe;
    unsigned max_hops; /* a longer X-Ybgw-Hops chain is refused; default 8 */

    /* callers that sign their requests (relays, other gateways) */
    struct yb_auth_conf auth;

    /* personal fields and their masks: built in, plus `personal_field NAME KIND;` */
    struct yb_pii *pii;
    struct yb_access_dest *access_log; /* `access_log stderr|off|PATH;`; NULL: stderr */

    /* journal { }: the path and the rest are read once, at start (server.c);
     * the idempotent and unknown rules follow reloads */
    struct yb_journal_conf journal;

    struct yb_plugin_conf *plugins; /* in configured (= hook) order */
    int n_plugins;
};

/* Read and check path. On failure returns NULL with "file:line: reason". */
struct yb_settings *yb_settings_load(const char *path, char *err, size_t errlen);
void yb_settings_free(struct yb_settings *s);

const struct yb_upstream *yb_settings_upstream(const struct yb_settings *s, const char *name);
int yb_settings_kind_policy(const struct yb_settings *s, const char *kind);
/* 1 if infno may be sent again after a failed call (safe_to_retry). */
int yb_settings_retry_safe(const struct yb_settings *s, const char *infno);
/* 1 if infno matches PATTERN: the same text, or a prefix ending in '*'. */
int yb_infno_match(const char *pattern, const char *infno);

/* Resolve a path from the configuration: absolute stays, relative is taken
 * from the current directory. Writes into buf. */
int yb_settings_path(const char *value, char *buf, size_t cap);

/* Split "host:port". Returns 0 or YB_EINVAL. */
int yb_split_hostport(const char *s, char *host, size_t hostcap, unsigned short *port);

#endif
