/*
 * ctl_conf.h - the configuration as ybgw itself reads it, for the ybgwctl
 * commands that judge or find things by it (`code`, `catalog`).
 *
 * One place decides which file ybgw reads without -c and how it is loaded
 * (yb_settings_load, the gateway's own reader), so a command never works
 * on another file than the gateway would. Each command prints its own
 * messages; these functions only say why in err.
 */
#ifndef YB_CTL_CONF_H
#define YB_CTL_CONF_H

#include <stddef.h>

struct yb_settings;
struct yb_plugin_set;

struct ctl_conf {
    const char *path;              /* the file read */
    struct yb_settings *settings;  /* as ybgw reads it */
    struct yb_plugin_set *plugins; /* loaded by the caller, freed by ctl_conf_close */
};

/* The file ybgw reads without -c (gateway/main.c): conf/ybgw.conf when it
 * is readable, else the installed one. */
const char *ctl_conf_default(void);

/* Read GIVEN (NULL: ctl_conf_default()) into C, which is zeroed first.
 * 0, or non-zero with the reason ("file:line: rule") in err, never empty;
 * C then holds only the path, and ctl_conf_close on it frees nothing. */
int ctl_conf_read(struct ctl_conf *c, const char *given, char *err, size_t errcap);

/* Load the plugins of C's configuration into c->plugins with the gateway's
 * own loader, all but the one named SKIP (NULL: all; a plugin a command
 * does not need, such as one that opens a store). Start-up notes would
 * bury the command's answer, so only warnings and errors are logged from
 * here on. 0, or non-zero with the reason in err, never empty. */
int ctl_conf_plugins(struct ctl_conf *c, const char *skip, char *err, size_t errcap);

/* Free what C holds (its plugins too) and zero it; C may be zeroed. */
void ctl_conf_close(struct ctl_conf *c);

#endif
