/*
 * plugin_host.c - dlopen'ed plugins, their ABI checks, and the host table.
 *
 * A module is looked up as NAME.so (or the `module` directive's file) in each
 * plugin_dir in turn, opened with RTLD_NOW | RTLD_LOCAL, and asked for its
 * struct yb_plugin through yb_plugin_entry(). It is refused, with one line
 * per reason, for another ABI major version, a struct smaller than the first
 * published one, reserved slots that are not zero, a missing name or init,
 * or a name already loaded. A hook that lies past the plugin's struct_size
 * counts as absent, so a plugin built against an older minor version works.
 *
 * Each plugin gets its own copy of the host table whose host_state points at
 * its record, so the host knows who logs and who registers a kind.
 */
#include "plugin_host.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "tree.h"
#include "txn.h"

/* sizeof(struct yb_plugin) in ABI 1.0: the smallest struct the host accepts */
#define PLUGIN_MIN_SIZE (offsetof(struct yb_plugin, reserved) + 4 * sizeof(uintptr_t))
#define MAX_KINDS 128

struct loaded_plugin {
    char *name;
    char *file;
    void *dl;
    const struct yb_plugin *plugin;
    void *state;
    int initialised;
    struct yb_host host;
    struct yb_plugin_set *set;
};

struct registered_kind {
    struct yb_code_kind kind;
    struct loaded_plugin *owner;
};

struct yb_plugin_set {
    struct loaded_plugin *plugins;
    size_t n_plugins;
    struct registered_kind kinds[MAX_KINDS];
    size_t n_kinds;
};

#define HAS_HOOK(p, field)                                                                         \
    ((p)->struct_size >= offsetof(struct yb_plugin, field) + sizeof((p)->field) && (p)->field)

/* ---- the host table ---- */

static void host_log(const struct yb_host *host, int level, const char *fmt, ...)
{
    const struct loaded_plugin *lp = host->host_state;
    char who[80];
    snprintf(who, sizeof(who), "plugin %s", lp ? lp->name : "?");
    va_list ap;
    va_start(ap, fmt);
    yb_vlog(level, who, fmt, ap);
    va_end(ap);
}

static const char *host_conf_get(const struct yb_conf *conf, const char *name)
{
    return yb_conf_value(conf, name);
}

static int host_conf_argv(const struct yb_conf *conf, const char *name, const char *const **argv)
{
    const struct yb_conf *d = yb_conf_find(conf, name);
    if (!d) {
        *argv = NULL;
        return 0;
    }
    *argv = (const char *const *)d->argv;
    return d->argc;
}

static const struct yb_conf *conf_root(const struct yb_conf *conf)
{
    while (conf->parent)
        conf = conf->parent;
    return conf;
}

/* Relative plugin paths are taken from the top-level data_dir. */
static int host_data_path(const struct yb_conf *conf, const char *relative, char *buf, size_t cap)
{
    int n;
    if (relative[0] == '/') {
        n = snprintf(buf, cap, "%s", relative);
    } else {
        const char *data_dir = yb_conf_value(conf_root(conf), "data_dir");
        n = snprintf(buf, cap, "%s/%s", data_dir ? data_dir : "codesets", relative);
    }
    return n < 0 || (size_t)n >= cap ? YB_ELIMIT : 0;
}

static int host_conf_path(const struct yb_conf *conf, const char *name, char *buf, size_t cap)
{
    const char *value = yb_conf_value(conf, name);
    return value ? host_data_path(conf, value, buf, cap) : YB_ENOENT;
}

/* code_tables is a top-level path, taken from where ybgw runs like schemas. */
static int host_code_tables(const struct yb_conf *conf, char *buf, size_t cap)
{
    const char *value = yb_conf_value(conf_root(conf), "code_tables");
    if (!value)
        return YB_ENOENT;
    int n = snprintf(buf, cap, "%s", value);
    return n < 0 || (size_t)n >= cap ? YB_ELIMIT : 0;
}

static int host_conf_each(const struct yb_conf *conf, const char *name,
                          int (*fn)(void *arg, int argc, const char *const *argv,
                                    const char *where),
                          void *arg)
{
    for (const struct yb_conf *d = conf ? conf->children : NULL; d; d = d->next) {
        if (strcmp(d->name, name) != 0)
            continue;
        char where[320];
        snprintf(where, sizeof(where), "%s:%d", d->file ? d->file : "?", d->line);
        int rc = fn(arg, d->argc, (const char *const *)d->argv, where);
        if (rc)
            return rc;
    }
    return 0;
}

static int host_register_kind(const struct yb_host *host, const struct yb_code_kind *kind)
{
    struct loaded_plugin *lp = host->host_state;
    struct yb_plugin_set *set = lp->set;
    if (!kind || !kind->name || !kind->validate) {
        yb_log(YB_LOG_ERROR, "plugins", "plugin %s registers a kind without a name or validator",
               lp->name);
        return YB_EINVAL;
    }
    for (size_t i = 0; i < set->n_kinds; i++) {
        if (strcmp(set->kinds[i].kind.name, kind->name) == 0) {
            yb_log(YB_LOG_ERROR, "plugins", "code kind \"%s\" of plugin %s is already owned by %s",
                   kind->name, lp->name, set->kinds[i].owner->name);
            return YB_EEXIST;
        }
    }
    if (set->n_kinds == MAX_KINDS)
        return YB_ELIMIT;
    set->kinds[set->n_kinds].kind = *kind;
    set->kinds[set->n_kinds].owner = lp;
    set->n_kinds++;
    return 0;
}

static const struct yb_code_kind *host_find_kind(const struct yb_host *host, const char *name)
{
    const struct loaded_plugin *lp = host->host_state;
    return yb_plugins_kind(lp->set, name);
}

static int host_kind_policy(const struct yb_txn *txn, const char *kind)
{
    return yb_txn_kind_policy(txn, kind);
}

static const char *host_txn_infno(const struct yb_txn *txn)
{
    return txn->infno;
}

static struct yb_node *host_txn_request(struct yb_txn *txn)
{
    return txn->request;
}

static struct yb_node *host_txn_response(struct yb_txn *txn)
{
    return txn->response;
}

static void *host_txn_alloc(struct yb_txn *txn, size_t size)
{
    return yb_pool_alloc(txn->pool, size);
}

static int host_txn_set_route(struct yb_txn *txn, const char *upstream, const char *why)
{
    const char *r = yb_pool_strdup(txn->pool, upstream);
    const char *w = yb_pool_strdup(txn->pool, why ? why : "");
    if (!r || !w)
        return YB_ENOMEM;
    txn->route = r;
    txn->route_why = w;
    return 0;
}

static const char *host_txn_route(const struct yb_txn *txn)
{
    return txn->route;
}

static int host_upstream_exists(const struct yb_conf *conf, const char *name)
{
    if (!conf || !name)
        return 0;
    for (const struct yb_conf *d = conf_root(conf)->children; d; d = d->next)
        if (strcmp(d->name, "upstream") == 0 && d->argc >= 1 && strcmp(d->argv[0], name) == 0)
            return 1;
    return 0;
}

static int host_txn_set_timeout(struct yb_txn *txn, long timeout_ms)
{
    if (timeout_ms < 0)
        return YB_EINVAL;
    txn->timeout_ms = timeout_ms;
    return 0;
}

static const char *host_txn_caller(const struct yb_txn *txn)
{
    return txn->caller;
}

static void host_diag(struct yb_txn *txn, int severity, const char *path, const char *rule,
                      const char *value, const char *source, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yb_diag_vadd(&txn->diag, severity, path, rule, value, source, fmt, ap);
    va_end(ap);
}

static int host_node_type(const struct yb_node *node)
{
    return node ? (int)node->type : -1;
}

static struct yb_node *host_node_get(const struct yb_node *object, const char *key)
{
    return yb_node_get(object, key);
}

static size_t host_node_count(const struct yb_node *node)
{
    return node ? node->count : 0;
}

static struct yb_node *host_node_at(const struct yb_node *node, size_t index)
{
    return yb_node_at(node, index);
}

static const char *host_node_key(const struct yb_node *member)
{
    return member ? member->key : NULL;
}

static const char *host_node_text(const struct yb_node *node, size_t *len)
{
    if (!yb_node_is_scalar(node))
        return NULL;
    if (len)
        *len = node->len;
    return node->text;
}

static int host_node_set_string(struct yb_txn *txn, struct yb_node *object, const char *key,
                                const char *value, size_t len)
{
    return yb_node_put_string(txn->pool, object, key, value, len);
}

const struct yb_host yb_host_template = {
    .abi = YB_HOST_ABI,
    .struct_size = sizeof(struct yb_host),
    .log = host_log,
    .conf_get = host_conf_get,
    .conf_argv = host_conf_argv,
    .conf_path = host_conf_path,
    .register_kind = host_register_kind,
    .find_kind = host_find_kind,
    .txn_infno = host_txn_infno,
    .txn_request = host_txn_request,
    .txn_response = host_txn_response,
    .txn_alloc = host_txn_alloc,
    .txn_set_route = host_txn_set_route,
    .txn_route = host_txn_route,
    .diag = host_diag,
    .node_type = host_node_type,
    .node_get = host_node_get,
    .node_count = host_node_count,
    .node_at = host_node_at,
    .node_key = host_node_key,
    .node_text = host_node_text,
    .node_set_string = host_node_set_string,
    .host_state = NULL,
    .data_path = host_data_path,
    .code_tables = host_code_tables,
    .kind_policy = host_kind_policy,
    .conf_each = host_conf_each,
    .upstream_exists = host_upstream_exists,
    .txn_set_timeout = host_txn_set_timeout,
    .txn_caller = host_txn_caller,
};

/* ---- loading ---- */

static int find_module(const struct yb_settings *s, const char *file, char *out, size_t cap)
{
    if (strchr(file, '/')) {
        snprintf(out, cap, "%s", file);
        struct stat st;
        return stat(out, &st) == 0 ? 0 : YB_ENOENT;
    }
    for (int i = 0; i < s->n_plugin_dirs; i++) {
        int n = snprintf(out, cap, "%s/%s", s->plugin_dirs[i], file);
        if (n < 0 || (size_t)n >= cap)
            continue;
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
    }
    return YB_ENOENT;
}

static int refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return YB_EABI;
}

/* Check what a module's entry point returned. */
static int check_abi(const char *name, const char *file, const struct yb_plugin *p, char *err,
                     size_t errlen)
{
    if (!p)
        return refuse(err, errlen, "plugin %s (%s): yb_plugin_entry() returned NULL", name, file);
    if (YB_ABI_MAJOR(p->abi) != YB_PLUGIN_ABI_MAJOR)
        return refuse(err, errlen,
                      "plugin %s (%s): built for plugin ABI %u.%u, this ybgw speaks %u.x; "
                      "rebuild it against this ybgw's ybgw.h",
                      name, file, YB_ABI_MAJOR(p->abi), p->abi & 0xFFFF, YB_PLUGIN_ABI_MAJOR);
    if (p->struct_size < PLUGIN_MIN_SIZE)
        return refuse(err, errlen,
                      "plugin %s (%s): struct yb_plugin is %u bytes, at least %zu "
                      "expected",
                      name, file, p->struct_size, (size_t)PLUGIN_MIN_SIZE);
    for (int i = 0; i < 4; i++)
        if (p->reserved[i])
            return refuse(err, errlen, "plugin %s (%s): reserved slot %d is not zero", name, file,
                          i);
    if (!p->name || !p->init)
        return refuse(err, errlen, "plugin %s (%s): no name or no init function", name, file);
    return 0;
}

static void unload(struct loaded_plugin *lp)
{
    if (lp->initialised && HAS_HOOK(lp->plugin, fini))
        lp->plugin->fini(lp->state);
        /* Sanitizer builds keep modules mapped so leak reports can name them. */
#ifndef YB_KEEP_MODULES
    if (lp->dl)
        dlclose(lp->dl);
#endif
    free(lp->name);
    free(lp->file);
}

void yb_plugins_free(struct yb_plugin_set *set)
{
    if (!set)
        return;
    /* fini in reverse order of init, so a plugin outlives those after it */
    for (size_t i = set->n_plugins; i-- > 0;)
        unload(&set->plugins[i]);
    free(set->plugins);
    free(set);
}

static int load_one(struct yb_plugin_set *set, const struct yb_settings *s,
                    const struct yb_plugin_conf *pc, char *err, size_t errlen)
{
    struct loaded_plugin *lp = &set->plugins[set->n_plugins];
    memset(lp, 0, sizeof(*lp));
    lp->set = set;
    char file[PATH_MAX];
    const char *module = yb_conf_value(pc->block, "module");
    char wanted[160];
    snprintf(wanted, sizeof(wanted), "%s.so", pc->name);
    if (find_module(s, module ? module : wanted, file, sizeof(file))) {
        char dirs[512] = "";
        for (int i = 0; i < s->n_plugin_dirs; i++) {
            strncat(dirs, i ? ", " : "", sizeof(dirs) - strlen(dirs) - 1);
            strncat(dirs, s->plugin_dirs[i], sizeof(dirs) - strlen(dirs) - 1);
        }
        snprintf(err, errlen, "%s:%d: plugin %s: module %s not found in plugin_dir (%s)",
                 pc->block->file, pc->block->line, pc->name, module ? module : wanted, dirs);
        return YB_ENOENT;
    }
    lp->name = strdup(pc->name);
    lp->file = strdup(file);
    if (!lp->name || !lp->file) {
        free(lp->name);
        free(lp->file);
        return YB_ENOMEM;
    }
    set->n_plugins++; /* from here on, yb_plugins_free cleans it up */
    lp->dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!lp->dl) {
        snprintf(err, errlen, "plugin %s: cannot load %s: %s", pc->name, file, dlerror());
        return YB_EIO;
    }
    yb_plugin_entry_fn entry;
    *(void **)&entry = dlsym(lp->dl, YB_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        snprintf(err, errlen, "plugin %s (%s): no %s symbol; is it a ybgw plugin?", pc->name, file,
                 YB_PLUGIN_ENTRY_SYMBOL);
        return YB_EABI;
    }
    const struct yb_plugin *p = entry();
    int rc = check_abi(pc->name, file, p, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i + 1 < set->n_plugins; i++) {
        if (strcmp(set->plugins[i].plugin->name, p->name) == 0) {
            snprintf(err, errlen, "plugin %s (%s): a plugin named \"%s\" is already loaded (%s)",
                     pc->name, file, p->name, set->plugins[i].file);
            return YB_EEXIST;
        }
    }
    lp->plugin = p;
    lp->host = yb_host_template;
    lp->host.host_state = lp;
    rc = p->init(&lp->host, pc->block, &lp->state);
    if (rc) {
        snprintf(err, errlen, "%s:%d: plugin %s: init failed (%d); see the log above",
                 pc->block->file, pc->block->line, pc->name, rc);
        return rc;
    }
    lp->initialised = 1;
    yb_log(YB_LOG_DEBUG, "plugins", "loaded %s %s from %s", p->name, p->version ? p->version : "",
           file);
    return 0;
}

struct yb_plugin_set *yb_plugins_load(const struct yb_settings *s, char *err, size_t errlen)
{
    struct yb_plugin_set *set = calloc(1, sizeof(*set));
    if (!set)
        goto nomem;
    set->plugins = calloc((size_t)s->n_plugins + 1, sizeof(*set->plugins));
    if (!set->plugins)
        goto nomem;
    for (int i = 0; i < s->n_plugins; i++) {
        if (load_one(set, s, &s->plugins[i], err, errlen)) {
            yb_plugins_free(set);
            return NULL;
        }
    }
    return set;
nomem:
    snprintf(err, errlen, "plugins: out of memory");
    yb_plugins_free(set);
    return NULL;
}

/* One hook of every plugin that has it, in configured order. */
#define RUN_IN_ORDER(set, hook, txn)                                                               \
    do {                                                                                           \
        for (size_t i = 0; i < (set)->n_plugins; i++) {                                            \
            const struct yb_plugin *p = (set)->plugins[i].plugin;                                  \
            if (!HAS_HOOK(p, hook))                                                                \
                continue;                                                                          \
            int rc = p->hook((set)->plugins[i].state, (txn));                                      \
            if (rc != YB_PASS)                                                                     \
                return rc;                                                                         \
        }                                                                                          \
        return YB_PASS;                                                                            \
    } while (0)

int yb_plugins_on_prepare(struct yb_plugin_set *set, struct yb_txn *txn)
{
    RUN_IN_ORDER(set, on_prepare, txn);
}

int yb_plugins_on_request(struct yb_plugin_set *set, struct yb_txn *txn)
{
    RUN_IN_ORDER(set, on_request, txn);
}

int yb_plugins_on_response(struct yb_plugin_set *set, struct yb_txn *txn)
{
    for (size_t i = set->n_plugins; i-- > 0;) {
        const struct yb_plugin *p = set->plugins[i].plugin;
        if (!HAS_HOOK(p, on_response))
            continue;
        int rc = p->on_response(set->plugins[i].state, txn);
        if (rc != YB_PASS)
            return rc;
    }
    return YB_PASS;
}

const struct yb_code_kind *yb_plugins_kind(const struct yb_plugin_set *set, const char *name)
{
    for (size_t i = 0; i < set->n_kinds; i++)
        if (strcmp(set->kinds[i].kind.name, name) == 0)
            return &set->kinds[i].kind;
    return NULL;
}

size_t yb_plugins_kind_count(const struct yb_plugin_set *set)
{
    return set->n_kinds;
}

const struct yb_code_kind *yb_plugins_kind_at(const struct yb_plugin_set *set, size_t i)
{
    return i < set->n_kinds ? &set->kinds[i].kind : NULL;
}

size_t yb_plugins_count(const struct yb_plugin_set *set)
{
    return set->n_plugins;
}

const char *yb_plugins_name(const struct yb_plugin_set *set, size_t i)
{
    return i < set->n_plugins ? set->plugins[i].plugin->name : NULL;
}

const char *yb_plugins_version(const struct yb_plugin_set *set, size_t i)
{
    return i < set->n_plugins && set->plugins[i].plugin->version ? set->plugins[i].plugin->version
                                                                 : "";
}
