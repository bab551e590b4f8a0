/*
 * resolve.h - the resolver of unknown settlements (resolve.c): reversal
 * (2601) by the journal's `unknown ... reverse` rules, on the main loop.
 */
#ifndef YB_RESOLVE_H
#define YB_RESOLVE_H

#include <stdint.h>

struct yb_server;
struct yb_resolver;

/* Look for unknown rows every interval_ms (0: 10 s) on the server's main
 * loop. NULL when memory runs out. Stop it after the workers have ended. */
struct yb_resolver *yb_resolver_start(struct yb_server *server, long interval_ms);
void yb_resolver_stop(struct yb_resolver *r);

/* Reversals accepted and refused so far (metrics). */
void yb_resolver_counts(struct yb_resolver *r, uint64_t *reversed, uint64_t *refused);

#endif
