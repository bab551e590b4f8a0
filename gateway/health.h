/*
 * health.h - active health checks of the upstream endpoints.
 *
 * For every upstream with `health_check INTERVAL`, each endpoint is probed
 * (yb_upstream_probe: a GET that any HTTP answer below 500 passes) every
 * INTERVAL from the main thread's loop, and the result goes to the
 * endpoint's breaker (breaker.h): probes open a dead endpoint's breaker
 * before a transaction meets it, and let a recovered one back in.
 *
 * A health set reads the upstreams of one snapshot and holds a reference to
 * it; a reload starts a new set and stops the old one.
 */
#ifndef YB_HEALTH_H
#define YB_HEALTH_H

struct event_base;
struct yb_snapshot;
struct yb_health;

/* Start probing snap's upstreams on base. NULL when no upstream asks for
 * health checks (or out of memory, logged). */
struct yb_health *yb_health_start(struct event_base *base, struct yb_snapshot *snap);
/* Cancel the probes in flight, stop the timers, release the snapshot. */
void yb_health_stop(struct yb_health *h);

#endif
