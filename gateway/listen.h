/*
 * listen.h - the HIS-facing HTTP listener of one worker.
 *
 * It owns what HTTP decides before a message exists: the path (the
 * platform's service path, that path plus /INFNO, or /), the method (POST),
 * the body size and whether the gateway is draining. Everything after that is
 * the transaction's (txn.c).
 */
#ifndef YB_LISTEN_H
#define YB_LISTEN_H

#include <stddef.h>

struct yb_worker;
struct yb_settings;

/* Create the worker's evhttp on its base and bind it to settings->listen.
 * share_port: bind with SO_REUSEPORT so several workers share the address. */
int yb_listen_start(struct yb_worker *w, const struct yb_settings *s, int share_port, char *err,
                    size_t errlen);
/* Stop accepting new connections (drain); open ones are answered 503. */
void yb_listen_stop_accepting(struct yb_worker *w);

#endif
