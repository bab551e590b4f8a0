/*
 * admin.h - the admin port: /livez (alias /healthz), /readyz, /metrics.
 * It runs on the main thread's loop, apart from HIS traffic.
 */
#ifndef YB_ADMIN_H
#define YB_ADMIN_H

#include <stddef.h>

struct yb_server;

int yb_admin_start(struct yb_server *server, const char *address, char *err, size_t errlen);
void yb_admin_stop(struct yb_server *server);

#endif
