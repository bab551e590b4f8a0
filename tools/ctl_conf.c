/*
 * ctl_conf.c - the configuration of the ybgwctl commands (ctl_conf.h):
 * the default file and reading it with the gateway's own reader.
 */
#include "ctl_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "plugin_host.h"
#include "settings.h"

const char *ctl_conf_default(void)
{
    return access("conf/ybgw.conf", R_OK) == 0 ? "conf/ybgw.conf" : YB_SYSCONFDIR "/ybgw.conf";
}

int ctl_conf_read(struct ctl_conf *c, const char *given, char *err, size_t errcap)
{
    memset(c, 0, sizeof(*c));
    c->path = given ? given : ctl_conf_default();
    err[0] = '\0';
    c->settings = yb_settings_load(c->path, err, errcap);
    if (c->settings)
        return 0;
    if (!err[0])
        snprintf(err, errcap, "%s: cannot read the configuration", c->path);
    return -1;
}

int ctl_conf_plugins(struct ctl_conf *c, const char *skip, char *err, size_t errcap)
{
    struct yb_settings *s = c->settings;
    struct yb_plugin_conf *all = s->plugins,
                          *some = calloc((size_t)s->n_plugins + 1, sizeof(*some));
    int n_all = s->n_plugins, n = 0;
    err[0] = '\0';
    if (!some) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (int i = 0; i < n_all; i++)
        if (!skip || strcmp(all[i].name, skip) != 0)
            some[n++] = all[i];
    yb_log_set_level(s->log_level < YB_LOG_WARN ? s->log_level : YB_LOG_WARN);
    /* the loader reads the list from the settings: lend it the shorter one */
    s->plugins = some;
    s->n_plugins = n;
    c->plugins = yb_plugins_load(s, err, errcap);
    s->plugins = all;
    s->n_plugins = n_all;
    free(some);
    if (c->plugins)
        return 0;
    if (!err[0])
        snprintf(err, errcap, "unknown error");
    return -1;
}

void ctl_conf_close(struct ctl_conf *c)
{
    if (c->plugins)
        yb_plugins_free(c->plugins);
    if (c->settings)
        yb_settings_free(c->settings);
    memset(c, 0, sizeof(*c));
}
