/*
 * platform.h - the simulator's HTTP side: listeners, and which simulated
 * platform answers a request.
 *
 * Platforms that share a listen address share one libevent HTTP server. A
 * request goes to the platform on that address serving the longest prefix
 * of its insuplc_admdvs (or of mdtrtarea_admvs when insuplc_admdvs is
 * empty); if none serves it, to the address's `default on` platform, else
 * to the first platform defined on that address.
 */
#ifndef YBSIM_PLATFORM_H
#define YBSIM_PLATFORM_H

#include <stddef.h>

#include "handlers.h"
#include "simconf.h"

struct event_base;
struct ybsim_server;

/* The service path HIS clients post to; /<infno> may follow it. */
#define YBSIM_SERVICE_PATH "/fsi/api/rsfComIfsService/callService"

/* Bind every listen address of sim->conf on base. NULL with a reason in
 * err when an address cannot be bound. Free with ybsim_server_free. */
struct ybsim_server *ybsim_server_start(struct event_base *base, struct ybsim_sim *sim, char *err,
                                        size_t errlen);
void ybsim_server_free(struct ybsim_server *srv);

#endif
