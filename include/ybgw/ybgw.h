/*
 * ybgw.h - the public plugin interface of ybgw, the medical-insurance gateway.
 *
 * This is the only header a plugin includes. A plugin is a shared module that
 * exports one symbol, yb_plugin_entry(), returning a static struct yb_plugin.
 * The gateway reaches the plugin only through that struct, and the plugin
 * reaches the gateway only through the struct yb_host table handed to init():
 * plugins never link against the daemon and never see its internals.
 *
 * Versioning: both structs carry an ABI number (major << 16 | minor) and their
 * size at build time. Structs only grow at the end. The host refuses a plugin
 * of another major version or with a struct smaller than the first published
 * one; a hook that lies past the plugin's struct_size counts as absent. A
 * plugin must likewise check host->struct_size before calling a function that
 * was added in a later minor version.
 *
 * Threads: the gateway may run several workers, each with its own event loop.
 * on_request and on_response can be called concurrently from several threads,
 * so a plugin's state must be read-only after init (or guarded by the plugin).
 * Hooks must never block: no sockets, no sleeping, no synchronous disk writes.
 *
 * Memory: everything reachable from a struct yb_txn (its nodes, strings from
 * yb_host.alloc) belongs to the transaction and is freed when it ends. Plugins
 * free nothing they got from the host.
 */
#ifndef YBGW_YBGW_H
#define YBGW_YBGW_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define YB_PLUGIN_ABI_MAJOR 1
#define YB_PLUGIN_ABI_MINOR 3
#define YB_PLUGIN_ABI ((YB_PLUGIN_ABI_MAJOR << 16) | YB_PLUGIN_ABI_MINOR)
#define YB_ABI_MAJOR(abi) ((uint32_t)(abi) >> 16)

#if defined(__GNUC__)
#define YB_EXPORT __attribute__((visibility("default")))
#define YB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define YB_EXPORT
#define YB_PRINTF(f, a)
#endif

/* Error values. Functions return 0 or one of these (always negative). */
enum yb_err {
    YB_OK = 0,
    YB_EINVAL = -1,  /* bad argument or malformed input */
    YB_ENOMEM = -2,  /* allocation failed or a size cap was reached */
    YB_ENOENT = -3,  /* no such thing (file, key, kind) */
    YB_EIO = -4,     /* reading or writing failed */
    YB_ELIMIT = -5,  /* an input limit (size, depth, count) was exceeded */
    YB_EABI = -6,    /* plugin ABI mismatch */
    YB_EEXIST = -7,  /* already present (duplicate plugin or kind) */
    YB_EUPSTREAM = -8,
};

/* What a hook returns: chain control, never field findings (those go to the
 * diagnostics with yb_host.diag). */
enum yb_hook_result {
    YB_PASS = 0,   /* carry on with the next hook */
    YB_DONE = 1,   /* the plugin answered the transaction itself; skip the rest */
    YB_REJECT = 2, /* the message is refused; diagnostics say why */
    YB_ERROR = 3,  /* the plugin failed internally; the HIS gets a gateway error */
};

enum yb_log_level { YB_LOG_ERROR = 0, YB_LOG_WARN = 1, YB_LOG_INFO = 2, YB_LOG_DEBUG = 3 };

/* What the configuration says a failed check does (codes { KIND policy; }). */
enum yb_policy { YB_POLICY_REJECT = 0, YB_POLICY_WARN = 1, YB_POLICY_OFF = 2 };

/* Severity of a diagnostic. Any YB_DIAG_ERROR rejects the message; warnings
 * travel back to the HIS in warn_msg. */
enum yb_diag_severity { YB_DIAG_ERROR = 0, YB_DIAG_WARN = 1, YB_DIAG_NOTE = 2 };

/* ---- The message tree ----------------------------------------------------
 * One tree carries a message whatever its wire format. Numbers keep the text
 * the sender wrote, so an amount is never turned into a binary float. Leaf
 * values from XML are strings. Node text is UTF-8 and NUL-terminated. */
enum yb_node_type {
    YB_NODE_NULL = 0,
    YB_NODE_BOOL,
    YB_NODE_NUMBER, /* text holds the literal, e.g. "12.50" */
    YB_NODE_STRING,
    YB_NODE_OBJECT,
    YB_NODE_ARRAY,
};

struct yb_node;  /* opaque to plugins */
struct yb_txn;   /* one transaction: request, response, route, diagnostics */
struct yb_conf;  /* a configuration block (a plugin's own section) */
struct yb_host;

/* ---- Code kinds -----------------------------------------------------------
 * A codeset plugin registers the code kinds it owns ("drug", "admdvs", ...).
 * Schemas name a kind per field; the host calls the kind's validator for each
 * such field and turns the verdict into a diagnostic, under the per-kind
 * policy (reject, warn, off) from the configuration. */
enum yb_code_status {
    YB_CODE_VALID = 0,   /* structurally valid, and a member where a table is loaded */
    YB_CODE_WARN = 1,    /* accepted with a warning (legacy form, table not loaded) */
    YB_CODE_INVALID = 2, /* refused */
};

struct yb_code_verdict {
    int status;          /* enum yb_code_status */
    char segment[48];    /* the segment that failed, e.g. "length", "province" */
    char reason[256];    /* a sentence a clerk can act on */
};

struct yb_code_kind {
    const char *name;     /* the contract name: "admdvs", "drug", ... */
    const char *standard; /* human name of the standard, e.g. "医保区划" */
    /* Optional: a cheap shape test, used when a field allows several kinds
     * (drug|service|consumable). Returns non-zero if the code looks like one
     * of this kind's. */
    int (*match)(void *state, const char *code, size_t len);
    /* Required: fill *out. Return 0, or a negative YB_E* on internal failure. */
    int (*validate)(void *state, const char *code, size_t len, struct yb_code_verdict *out);
    /* Optional: write a segment-by-segment explanation (one "segment: meaning"
     * per line) into buf; return the length written or a negative YB_E*. */
    int (*explain)(void *state, const char *code, size_t len, char *buf, size_t cap);
    void *state; /* handed back to the functions above */
};

/* ---- The host table ------------------------------------------------------
 * Everything a plugin may ask of the gateway. Filled in by the gateway. */
#define YB_HOST_ABI YB_PLUGIN_ABI

struct yb_host {
    uint32_t abi;
    uint32_t struct_size;

    /* logging, with the plugin's name prefixed by the host */
    void (*log)(const struct yb_host *host, int level, const char *fmt, ...) YB_PRINTF(3, 4);

    /* configuration: the value of directive NAME in the plugin's section.
     * conf_get returns the first argument (or NULL if absent); conf_argv
     * returns the argument count and stores the array in *argv. conf_path
     * resolves a path argument the way the gateway resolves its own paths
     * and copies it into buf. */
    const char *(*conf_get)(const struct yb_conf *conf, const char *name);
    int (*conf_argv)(const struct yb_conf *conf, const char *name, const char *const **argv);
    int (*conf_path)(const struct yb_conf *conf, const char *name, char *buf, size_t cap);

    /* code kinds: register during init; look up any kind (also another
     * plugin's, e.g. setl_list asking icd10yb) once all plugins are loaded */
    int (*register_kind)(const struct yb_host *host, const struct yb_code_kind *kind);
    const struct yb_code_kind *(*find_kind)(const struct yb_host *host, const char *name);

    /* transactions */
    const char *(*txn_infno)(const struct yb_txn *txn);
    struct yb_node *(*txn_request)(struct yb_txn *txn);  /* the whole envelope */
    struct yb_node *(*txn_response)(struct yb_txn *txn); /* NULL before the answer */
    void *(*txn_alloc)(struct yb_txn *txn, size_t size); /* freed with the txn */
    int (*txn_set_route)(struct yb_txn *txn, const char *upstream, const char *why);
    const char *(*txn_route)(const struct yb_txn *txn);
    /* add a finding; path like "feedetail[2].med_list_codg", rule like "length" */
    void (*diag)(struct yb_txn *txn, int severity, const char *path, const char *rule,
                 const char *value, const char *source, const char *fmt, ...) YB_PRINTF(7, 8);

    /* the message tree */
    int (*node_type)(const struct yb_node *node);
    struct yb_node *(*node_get)(const struct yb_node *object, const char *key);
    size_t (*node_count)(const struct yb_node *node); /* members or items */
    struct yb_node *(*node_at)(const struct yb_node *node, size_t index);
    const char *(*node_key)(const struct yb_node *member);
    /* text of a string, number or bool node; NULL for others; *len optional */
    const char *(*node_text)(const struct yb_node *node, size_t *len);
    /* set OBJECT.key to a string (copied into the txn), adding it if absent */
    int (*node_set_string)(struct yb_txn *txn, struct yb_node *object, const char *key,
                           const char *value, size_t len);

    void *host_state; /* the gateway's own; plugins do not touch it */

    /* ---- since ABI 1.1 (check struct_size before calling) ---- */
    /* Resolve RELATIVE against data_dir (an absolute path is kept) into buf. */
    int (*data_path)(const struct yb_conf *conf, const char *relative, char *buf, size_t cap);
    /* The code-table database (top-level directive code_tables) into buf;
     * YB_ENOENT when none is configured. */
    int (*code_tables)(const struct yb_conf *conf, char *buf, size_t cap);
    /* The policy (enum yb_policy) of code kind KIND for this transaction's
     * configuration, for plugins that check codes themselves (a diagnosis
     * whose kind depends on a sibling field). */
    int (*kind_policy)(const struct yb_txn *txn, const char *kind);

    /* ---- since ABI 1.2 ---- */
    /* Call FN for each directive NAME of the plugin's section, in file order
     * (a directive that may repeat: a table of rules). WHERE is "file:line"
     * for messages. Returns 0, or the first non-zero value FN returned. */
    int (*conf_each)(const struct yb_conf *conf, const char *name,
                     int (*fn)(void *arg, int argc, const char *const *argv, const char *where),
                     void *arg);

    /* ---- since ABI 1.3 ---- */
    /* 1 if the configuration that holds CONF defines `upstream NAME { }`,
     * else 0: a routing plugin checks its table at init. */
    int (*upstream_exists)(const struct yb_conf *conf, const char *name);
    /* The whole-call timeout of this transaction's upstream call, replacing
     * the upstream's own `timeout` (a route's timeout). 0 restores it. */
    int (*txn_set_timeout)(struct yb_txn *txn, long timeout_ms);
    /* The caller that signed this request (a `caller NAME { }` of the
     * configuration), or NULL when the request was not signed. */
    const char *(*txn_caller)(const struct yb_txn *txn);
};
/* Non-zero if HOST has the member FIELD (a later minor version's). */
#define YB_HOST_HAS(host, field)                                                                  \
    ((host)->struct_size >= offsetof(struct yb_host, field) + sizeof((host)->field))

/* ---- The plugin ---------------------------------------------------------- */
struct yb_plugin {
    uint32_t abi;         /* YB_PLUGIN_ABI at build time */
    uint32_t struct_size; /* sizeof(struct yb_plugin) at build time */
    const char *name;     /* "admdvs", "codeset.drug", "catalog", "offsite", ... */
    const char *version;
    /* Called once per configuration load, before traffic. Register kinds
     * here. Return 0, or a negative YB_E* to stop the load (log why). */
    int (*init)(const struct yb_host *host, const struct yb_conf *conf, void **state);
    /* Optional hooks; return enum yb_hook_result. */
    int (*on_request)(void *state, struct yb_txn *txn);
    int (*on_response)(void *state, struct yb_txn *txn);
    void (*fini)(void *state);
    uintptr_t reserved[4]; /* must be zero */

    /* ---- since ABI 1.2 (a hook past struct_size counts as absent) ---- */
    /* Optional: runs after the envelope check and before the schema check,
     * in configured order. A plugin that completes a message does it here
     * (the catalog fills national codes from the hospital's local ones), so
     * that the schema and the code kinds then check exactly the message the
     * platform will get. Returns enum yb_hook_result, as on_request. */
    int (*on_prepare)(void *state, struct yb_txn *txn);
};

/* Each module exports exactly this. */
typedef const struct yb_plugin *(*yb_plugin_entry_fn)(void);
#define YB_PLUGIN_ENTRY_SYMBOL "yb_plugin_entry"

#ifdef __cplusplus
}
#endif
#endif /* YBGW_YBGW_H */
