/*
 * settings.c - ybgw.conf: the directive tables of the gateway and the checks
 * that span directives (a default upstream that exists, a listen address
 * that parses). Each directive is one row; its setter writes into struct
 * yb_settings at the row's offset.
 */
#include "settings.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "log.h"
#include "pii.h"
#include "sign.h"

static const char *const policy_names[] = {"reject", "warn", "off", NULL};

static int set_log_level(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                         char *err, size_t errlen)
{
    int level = yb_log_level_parse(d->argv[0]);
    if (level < 0)
        return yb_conf_error(d, err, errlen,
                             "log_level takes error, warn, info or debug, got \"%s\"", d->argv[0]);
    *(int *)((char *)target + cmd->offset) = level;
    return 0;
}

static int set_workers(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    int rc = yb_conf_set_uint(d, cmd, target, err, errlen);
    unsigned v = *(unsigned *)((char *)target + cmd->offset);
    if (!rc && (v < 1 || v > YB_MAX_WORKERS))
        return yb_conf_error(d, err, errlen, "workers must be 1 to %d, got %u", YB_MAX_WORKERS, v);
    return rc;
}

static int set_listen(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                      char *err, size_t errlen)
{
    char host[256];
    unsigned short port;
    if (yb_split_hostport(d->argv[0], host, sizeof(host), &port))
        return yb_conf_error(d, err, errlen, "\"%s\": \"%s\" is not an address like 127.0.0.1:9800",
                             d->name, d->argv[0]);
    return yb_conf_set_string(d, cmd, target, err, errlen);
}

static int set_service_path(const struct yb_conf *d, const struct yb_conf_command *cmd,
                            void *target, char *err, size_t errlen)
{
    if (d->argv[0][0] != '/' || strlen(d->argv[0]) > 200)
        return yb_conf_error(d, err, errlen, "service_path must start with / (got \"%s\")",
                             d->argv[0]);
    return yb_conf_set_string(d, cmd, target, err, errlen);
}

static int set_plugin_dir(const struct yb_conf *d, const struct yb_conf_command *cmd,
                          void *target, char *err, size_t errlen)
{
    struct yb_settings *s = target;
    char **dirs = realloc(s->plugin_dirs, sizeof(char *) * (size_t)(s->n_plugin_dirs + 1));
    if (!dirs)
        return yb_conf_error(d, err, errlen, "out of memory");
    s->plugin_dirs = dirs;
    if (!(dirs[s->n_plugin_dirs] = strdup(d->argv[0])))
        return yb_conf_error(d, err, errlen, "out of memory");
    s->n_plugin_dirs++;
    return 0;
}

/* envelope { msgid reject; insuplc_admdvs warn; } */
static const struct yb_conf_command envelope_commands[] = {
    {"msgid", 1, 1, 0, yb_conf_set_enum, offsetof(struct yb_envelope_policy, msgid),
     (uintptr_t)policy_names},
    {"insuplc_admdvs", 1, 1, 0, yb_conf_set_enum,
     offsetof(struct yb_envelope_policy, insuplc_needed), (uintptr_t)policy_names},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

static int set_envelope(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                        char *err, size_t errlen)
{
    struct yb_settings *s = target;
    return yb_conf_apply(d, envelope_commands, &s->envelope, err, errlen);
}

static int policy_of(const struct yb_conf *d, int *out, char *err, size_t errlen)
{
    if (d->argc != 1 || d->has_block)
        return yb_conf_error(d, err, errlen, "\"%s\" takes one of reject, warn, off", d->name);
    for (int i = 0; policy_names[i]; i++) {
        if (strcmp(policy_names[i], d->argv[0]) == 0) {
            *out = i;
            return 0;
        }
    }
    return yb_conf_error(d, err, errlen, "\"%s\" takes one of reject, warn, off, got \"%s\"",
                         d->name, d->argv[0]);
}

/* codes { default reject; unknown_kind off; KIND POLICY; ... } - the kinds
 * are open-ended (plugins add them), so this block is not a fixed table. */
static int set_codes(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    struct yb_settings *s = target;
    for (const struct yb_conf *k = d->children; k; k = k->next) {
        int policy = YB_POLICY_REJECT;
        int rc = policy_of(k, &policy, err, errlen);
        if (rc)
            return rc;
        if (strcmp(k->name, "default") == 0) {
            s->default_kind_policy = policy;
            continue;
        }
        if (strcmp(k->name, "unknown_kind") == 0) {
            s->unknown_kind_policy = policy;
            continue;
        }
        for (int i = 0; i < s->n_kinds; i++)
            if (strcmp(s->kinds[i].kind, k->name) == 0)
                return yb_conf_error(k, err, errlen, "code kind \"%s\" is set twice", k->name);
        struct yb_kind_policy *kinds =
            realloc(s->kinds, sizeof(*kinds) * (size_t)(s->n_kinds + 1));
        if (!kinds)
            return yb_conf_error(k, err, errlen, "out of memory");
        s->kinds = kinds;
        if (!(kinds[s->n_kinds].kind = strdup(k->name)))
            return yb_conf_error(k, err, errlen, "out of memory");
        kinds[s->n_kinds].policy = policy;
        s->n_kinds++;
    }
    return 0;
}

static int set_upstream(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                        char *err, size_t errlen)
{
    struct yb_settings *s = target;
    for (int i = 0; i < s->n_upstreams; i++)
        if (strcmp(s->upstreams[i].name, d->argv[0]) == 0)
            return yb_conf_error(d, err, errlen, "upstream \"%s\" is defined twice", d->argv[0]);
    struct yb_upstream *ups = realloc(s->upstreams, sizeof(*ups) * (size_t)(s->n_upstreams + 1));
    if (!ups)
        return yb_conf_error(d, err, errlen, "out of memory");
    s->upstreams = ups;
    memset(&ups[s->n_upstreams], 0, sizeof(ups[0]));
    int rc = yb_upstream_conf(d, &ups[s->n_upstreams], err, errlen);
    if (rc) {
        yb_upstream_conf_free(&ups[s->n_upstreams]);
        return rc;
    }
    s->n_upstreams++;
    return 0;
}

static int set_plugin(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                      char *err, size_t errlen)
{
    struct yb_settings *s = target;
    const char *name = d->argv[0];
    size_t len = strlen(name);
    if (len == 0 || len > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
        return yb_conf_error(d, err, errlen,
                             "plugin name \"%s\" must be 1-64 of a-z, 0-9, '_', '.', '-'", name);
    for (int i = 0; i < s->n_plugins; i++)
        if (strcmp(s->plugins[i].name, name) == 0)
            return yb_conf_error(d, err, errlen, "plugin \"%s\" is configured twice", name);
    struct yb_plugin_conf *p = realloc(s->plugins, sizeof(*p) * (size_t)(s->n_plugins + 1));
    if (!p)
        return yb_conf_error(d, err, errlen, "out of memory");
    s->plugins = p;
    if (!(p[s->n_plugins].name = strdup(name)))
        return yb_conf_error(d, err, errlen, "out of memory");
    p[s->n_plugins].block = d;
    s->n_plugins++;
    return 0;
}

/* safe_to_retry 1101 2001 13* 5*; (repeatable) */
static int set_retry_safe(const struct yb_conf *d, const struct yb_conf_command *cmd,
                          void *target, char *err, size_t errlen)
{
    struct yb_settings *s = target;
    (void)cmd;
    for (int i = 0; i < d->argc; i++) {
        const char *p = d->argv[i];
        size_t len = strlen(p);
        size_t stem = len && p[len - 1] == '*' ? len - 1 : len;
        if (len == 0 || len > 8 || strspn(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != stem)
            return yb_conf_error(d, err, errlen,
                                 "safe_to_retry takes transaction codes such as 1101 or 13*, got "
                                 "\"%s\"",
                                 p);
        char **list = realloc(s->retry_safe, sizeof(char *) * (size_t)(s->n_retry_safe + 1));
        if (!list)
            return yb_conf_error(d, err, errlen, "out of memory");
        s->retry_safe = list;
        if (!(list[s->n_retry_safe] = strdup(p)))
            return yb_conf_error(d, err, errlen, "out of memory");
        s->n_retry_safe++;
    }
    return 0;
}

int yb_infno_match(const char *pattern, const char *infno)
{
    size_t len = strlen(pattern);
    if (len && pattern[len - 1] == '*')
        return strncmp(pattern, infno, len - 1) == 0;
    return strcmp(pattern, infno) == 0;
}

int yb_settings_retry_safe(const struct yb_settings *s, const char *infno)
{
    if (!infno || !*infno)
        return 0;
    for (int i = 0; i < s->n_retry_safe; i++)
        if (yb_infno_match(s->retry_safe[i], infno))
            return 1;
    return 0;
}

static int set_caller(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                      char *err, size_t errlen)
{
    struct yb_settings *s = target;
    (void)cmd;
    return yb_auth_caller_conf(d, &s->auth, err, errlen);
}

static int set_tls(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                   char *err, size_t errlen)
{
    struct yb_settings *s = target;
    (void)cmd;
    return yb_tls_conf(d, &s->auth.tls, err, errlen);
}

static int set_auth_nonces(const struct yb_conf *d, const struct yb_conf_command *cmd,
                           void *target, char *err, size_t errlen)
{
    struct yb_settings *s = target;
    char *end = NULL;
    unsigned long long n = strtoull(d->argv[0], &end, 10);
    (void)cmd;
    if (!end || *end || d->argv[0][0] == '-' || n < 1000 || n > YB_AUTH_NONCES_MAX)
        return yb_conf_error(d, err, errlen, "auth_nonces must be a count from 1000 to %u, got \"%s\"",
                             (unsigned)YB_AUTH_NONCES_MAX, d->argv[0]);
    s->auth.max_nonces = (size_t)n;
    return 0;
}

static int set_personal_field(const struct yb_conf *d, const struct yb_conf_command *cmd,
                              void *target, char *err, size_t errlen)
{
    struct yb_settings *s = target;
    (void)cmd;
    return yb_pii_conf(s->pii, d, err, errlen);
}

static int set_journal(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    struct yb_settings *s = target;
    if (d->argc != 0 || !d->has_block)
        return yb_conf_error(d, err, errlen, "journal takes a { ... } block");
    return yb_journal_conf_parse(d, &s->journal, err, errlen);
}

#define OFF(field) offsetof(struct yb_settings, field)

static const struct yb_conf_command main_commands[] = {
    {"workers", 1, 1, 0, set_workers, OFF(workers), 0},
    {"listen", 1, 1, 0, set_listen, OFF(listen), 0},
    {"admin_listen", 1, 1, 0, set_listen, OFF(admin_listen), 0},
    {"service_path", 1, 1, 0, set_service_path, OFF(service_path), 0},
    {"max_body", 1, 1, 0, yb_conf_set_size, OFF(max_body), 0},
    {"max_headers", 1, 1, 0, yb_conf_set_size, OFF(max_headers), 0},
    {"read_timeout", 1, 1, 0, yb_conf_set_msec, OFF(read_timeout_ms), 0},
    {"drain_timeout", 1, 1, 0, yb_conf_set_msec, OFF(drain_timeout_ms), 0},
    {"json_depth", 1, 1, 0, yb_conf_set_uint, OFF(json_depth), 0},
    {"txn_memory", 1, 1, 0, yb_conf_set_size, OFF(txn_memory), 0},
    {"schemas", 1, 1, 0, yb_conf_set_string, OFF(schemas), 0},
    {"plugin_dir", 1, 1, 0, set_plugin_dir, 0, 0},
    {"data_dir", 1, 1, 0, yb_conf_set_string, OFF(data_dir), 0},
    {"code_tables", 1, 1, 0, yb_conf_set_string, OFF(code_tables), 0},
    {"log_level", 1, 1, 0, set_log_level, OFF(log_level), 0},
    {"default_upstream", 1, 1, 0, yb_conf_set_string, OFF(default_upstream), 0},
    {"node_name", 1, 1, 0, yb_conf_set_string, OFF(node_name), 0},
    {"safe_to_retry", 1, 64, 0, set_retry_safe, 0, 0},
    {"max_hops", 1, 1, 0, yb_conf_set_uint, OFF(max_hops), 0},
    {"caller_auth", 1, 1, 0, yb_conf_set_flag, OFF(auth.required), 0},
    {"auth_window", 1, 1, 0, yb_conf_set_msec, OFF(auth.window_ms), 0},
    {"auth_nonces", 1, 1, 0, set_auth_nonces, 0, 0},
    {"caller", 1, 1, 1, set_caller, 0, 0},
    {"tls", 0, 0, 1, set_tls, 0, 0},
    {"personal_field", 2, 2, 0, set_personal_field, 0, 0},
    {"journal", 0, 0, 1, set_journal, 0, 0},
    {"access_log", 1, 1, 0, yb_access_conf, OFF(access_log), 0},
    {"envelope", 0, 0, 1, set_envelope, 0, 0},
    {"codes", 0, 0, 1, set_codes, 0, 0},
    {"upstream", 1, 1, 1, set_upstream, 0, 0},
    {"plugin", 1, 1, 2, set_plugin, 0, 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

static int set_defaults(struct yb_settings *s)
{
    s->workers = 1;
    s->max_body = 1u << 20;
    s->max_headers = 16u << 10;
    s->read_timeout_ms = 30000;
    s->drain_timeout_ms = 30000;
    s->json_depth = 32;
    s->txn_memory = 16u << 20;
    s->log_level = YB_LOG_INFO;
    s->max_hops = 8;
    yb_auth_conf_init(&s->auth);
    s->default_kind_policy = YB_POLICY_REJECT;
    s->unknown_kind_policy = YB_POLICY_OFF;
    s->envelope.msgid = YB_POLICY_REJECT;
    s->envelope.insuplc_needed = YB_POLICY_REJECT;
    s->listen = strdup("127.0.0.1:9800");
    s->admin_listen = strdup("127.0.0.1:9801");
    s->service_path = strdup("/fsi/api/rsfComIfsService/callService");
    s->schemas = strdup("conf/schemas");
    s->data_dir = strdup("codesets");
    s->node_name = strdup("ybgw");
    s->pii = yb_pii_new();
    if (yb_journal_conf_init(&s->journal))
        return YB_ENOMEM;
    return s->listen && s->admin_listen && s->service_path && s->schemas && s->data_dir &&
                   s->node_name && s->pii
               ? 0
               : YB_ENOMEM;
}

struct yb_settings *yb_settings_load(const char *path, char *err, size_t errlen)
{
    struct yb_settings *s = calloc(1, sizeof(*s));
    if (!s || set_defaults(s)) {
        snprintf(err, errlen, "%s: out of memory", path);
        yb_settings_free(s);
        return NULL;
    }
    if (!(s->path = strdup(path)))
        goto nomem;
    s->tree = yb_conf_parse_file(path, err, errlen);
    if (!s->tree)
        goto fail;
    if (yb_conf_apply(s->tree, main_commands, s, err, errlen))
        goto fail;

    if (s->max_body < 256 || s->max_body > (64u << 20)) {
        yb_conf_error(yb_conf_find(s->tree, "max_body"), err, errlen,
                      "max_body must be between 256 and 64m");
        goto fail;
    }
    if (s->json_depth < 4 || s->json_depth > 256) {
        yb_conf_error(yb_conf_find(s->tree, "json_depth"), err, errlen,
                      "json_depth must be between 4 and 256");
        goto fail;
    }
    if (yb_journal_conf_check(&s->journal, err, errlen)) {
        const struct yb_conf *j = yb_conf_find(s->tree, "journal");
        if (j) {
            char why[512];
            snprintf(why, sizeof(why), "%s", err);
            yb_conf_error(j, err, errlen, "%s", why);
        }
        goto fail;
    }
    if (s->max_headers < 1024) {
        yb_conf_error(yb_conf_find(s->tree, "max_headers"), err, errlen,
                      "max_headers must be at least 1k");
        goto fail;
    }
    if (s->txn_memory < 4 * s->max_body) {
        snprintf(err, errlen, "%s: txn_memory (%zu) must be at least 4 x max_body (%zu): a "
                 "message's tree takes more room than its text", path, s->txn_memory, s->max_body);
        goto fail;
    }
    if (s->read_timeout_ms < 1000) {
        yb_conf_error(yb_conf_find(s->tree, "read_timeout"), err, errlen,
                      "read_timeout must be at least 1s");
        goto fail;
    }
    if (s->auth.window_ms < 1000 || s->auth.window_ms > 3600000) {
        yb_conf_error(yb_conf_find(s->tree, "auth_window"), err, errlen,
                      "auth_window must be between 1s and 1h");
        goto fail;
    }
    if (s->auth.required && s->auth.n_callers == 0) {
        yb_conf_error(yb_conf_find(s->tree, "caller_auth"), err, errlen,
                      "caller_auth is on but no caller NAME { } is configured: nobody could call");
        goto fail;
    }
    if (yb_auth_conf_check(&s->auth, s->tree, err, errlen))
        goto fail;
    if (s->max_hops < 1 || s->max_hops > 32) {
        yb_conf_error(yb_conf_find(s->tree, "max_hops"), err, errlen,
                      "max_hops must be between 1 and 32");
        goto fail;
    }
    /* the same word as a signing caller's name: one gateway, one name */
    if (!yb_sign_ybgw_caller_ok(s->node_name)) {
        yb_conf_error(yb_conf_find(s->tree, "node_name"), err, errlen,
                      "node_name must be 1-64 of A-Z, a-z, 0-9, '.', '_', '-' (it travels in "
                      "X-Ybgw-Hops, where a comma separates the hops)");
        goto fail;
    }
    if (s->n_upstreams == 0) {
        snprintf(err, errlen, "%s: no upstream is configured (add an upstream NAME { ... } block)",
                 path);
        goto fail;
    }
    /* With several upstreams and no default_upstream, a plugin (offsite)
     * routes every transaction, and one it leaves unrouted is refused. */
    if (!s->default_upstream) {
        if (s->n_upstreams == 1 && !(s->default_upstream = strdup(s->upstreams[0].name)))
            goto nomem;
    } else if (!yb_settings_upstream(s, s->default_upstream)) {
        yb_conf_error(yb_conf_find(s->tree, "default_upstream"), err, errlen,
                      "default_upstream \"%s\" is not a configured upstream",
                      s->default_upstream);
        goto fail;
    }
    if (s->n_plugin_dirs == 0) {
        s->plugin_dirs = calloc(1, sizeof(char *));
        if (!s->plugin_dirs || !(s->plugin_dirs[0] = strdup(YB_PLUGINDIR)))
            goto nomem;
        s->n_plugin_dirs = 1;
    }
    return s;
nomem:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    yb_settings_free(s);
    return NULL;
}

void yb_settings_free(struct yb_settings *s)
{
    if (!s)
        return;
    free(s->listen);
    free(s->admin_listen);
    free(s->service_path);
    free(s->schemas);
    for (int i = 0; i < s->n_plugin_dirs; i++)
        free(s->plugin_dirs[i]);
    free(s->plugin_dirs);
    free(s->data_dir);
    free(s->code_tables);
    free(s->default_upstream);
    free(s->node_name);
    for (int i = 0; i < s->n_kinds; i++)
        free(s->kinds[i].kind);
    free(s->kinds);
    for (int i = 0; i < s->n_upstreams; i++)
        yb_upstream_conf_free(&s->upstreams[i]);
    free(s->upstreams);
    yb_auth_conf_free(&s->auth);
    for (int i = 0; i < s->n_retry_safe; i++)
        free(s->retry_safe[i]);
    free(s->retry_safe);
    for (int i = 0; i < s->n_plugins; i++)
        free(s->plugins[i].name);
    free(s->plugins);
    yb_pii_free(s->pii);
    yb_journal_conf_free(&s->journal);
    yb_access_dest_free(s->access_log);
    yb_conf_free(s->tree);
    free(s->path);
    free(s);
}

const struct yb_upstream *yb_settings_upstream(const struct yb_settings *s, const char *name)
{
    for (int i = 0; i < s->n_upstreams; i++)
        if (strcmp(s->upstreams[i].name, name) == 0)
            return &s->upstreams[i];
    return NULL;
}

int yb_settings_kind_policy(const struct yb_settings *s, const char *kind)
{
    for (int i = 0; i < s->n_kinds; i++)
        if (strcmp(s->kinds[i].kind, kind) == 0)
            return s->kinds[i].policy;
    return s->default_kind_policy;
}

int yb_settings_path(const char *value, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s", value);
    return n < 0 || (size_t)n >= cap ? YB_ELIMIT : 0;
}

int yb_split_hostport(const char *s, char *host, size_t hostcap, unsigned short *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return YB_EINVAL;
    size_t hlen = (size_t)(colon - s);
    if (s[0] == '[' && hlen >= 2 && s[hlen - 1] == ']') { /* [::1]:9800 */
        s++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= hostcap)
        return YB_EINVAL;
    unsigned long p;
    if (yb_parse_uint(colon + 1, 65535, &p) || p == 0)
        return YB_EINVAL;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    *port = (unsigned short)p;
    return 0;
}
