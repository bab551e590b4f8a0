/*
 * fault.h - injected faults: the simulator misbehaving on purpose, so that a
 * HIS or a gateway can be tested against a slow, silent or broken platform.
 *
 * A test (or an integrator with curl) arms a fault through the control
 * endpoint on any platform port (POST /sim/fault, see sim/README.md); the
 * next matching envelope requests (POST to the service path) then meet it.
 * Control requests, /healthz and requests answered 404/405 never do.
 *
 * Whether the simulator processes the message before the fault is part of
 * each fault and is honoured exactly: a processed message is committed (its
 * msgid is taken, a settlement is kept, so a later 2601 finds it) before the
 * connection misbehaves; an unprocessed one leaves no trace at all.
 *
 * | mode        | what the client sees                                | processed      |
 * |-------------|-----------------------------------------------------|----------------|
 * | slow MS     | the answer, MS milliseconds late (a libevent timer: | yes            |
 * |             | other connections are served meanwhile)             |                |
 * | drop        | the request is read, the connection closed (FIN),   | yes (default)  |
 * |             | no answer                                           | or no          |
 * | drop-before | drop, not processed                                 | no             |
 * | cut         | status line, headers with the full Content-Length,  | yes            |
 * |             | half the body, then the connection is closed        |                |
 * | garbage     | HTTP 200 with an HTML page instead of JSON          | yes (default)  |
 * |             |                                                     | or no          |
 * | http500     | HTTP 500 with a short HTML body                     | no (default)   |
 * |             |                                                     | or yes         |
 * | reset       | the connection is aborted with a TCP RST, no answer | no             |
 *
 * Everything runs on the simulator's single event loop.
 */
#ifndef YBSIM_FAULT_H
#define YBSIM_FAULT_H

#include "simconf.h"
#include "store.h"

struct event_base;
struct evbuffer;
struct evhttp_request;
struct ybsim_faults;

enum ybsim_fault_mode {
    YBSIM_FAULT_NONE = 0,
    YBSIM_FAULT_SLOW,
    YBSIM_FAULT_DROP,
    YBSIM_FAULT_CUT,
    YBSIM_FAULT_GARBAGE,
    YBSIM_FAULT_HTTP500,
    YBSIM_FAULT_RESET,
};

/* The fault one request meets. */
struct ybsim_fault_hit {
    enum ybsim_fault_mode mode; /* YBSIM_FAULT_NONE: answer normally */
    int process; /* 1: answer (and commit) first, then the fault; 0: never processed */
    unsigned ms; /* slow: the delay */
    unsigned id; /* the armed fault's number, for the access log */
};

/* The fault table of one simulator. With enabled 0 (the configuration's
 * `faults off;`) /sim/fault refuses to arm anything. NULL when memory ran
 * out. */
struct ybsim_faults *ybsim_faults_new(struct event_base *base, int enabled);

/* Hand every request a slow fault still holds back to libevent (so none
 * leaks; its connection then closes unanswered when the HTTP servers are
 * freed), and free the table. Call before the servers are freed. NULL is
 * ignored. */
void ybsim_faults_free(struct ybsim_faults *f);

/* Answer a control request: GET|POST|DELETE /sim/fault and GET
 * /sim/processed?msgid=...; anything else under /sim/ gets 404. */
void ybsim_faults_control(struct ybsim_faults *f, struct ybsim_store *st,
                          struct evhttp_request *req, const char *path);

/* The fault for an envelope request of infno (NULL when unknown) answered
 * by platform p: the first armed fault that matches, with one use taken
 * from it. hit->mode is YBSIM_FAULT_NONE when none applies. */
void ybsim_faults_take(struct ybsim_faults *f, const char *infno, const struct ybsim_platform *p,
                       struct ybsim_fault_hit *hit);

/* Deliver the answer of req the way hit says. answer is the envelope the
 * simulator made (its Content-Type and X-Sim-Platform already set on req),
 * or NULL when hit->process is 0. Takes ownership of answer; req is handed
 * back to libevent (now or, for slow, when the timer fires). */
void ybsim_faults_deliver(struct ybsim_faults *f, struct evhttp_request *req,
                          const struct ybsim_fault_hit *hit, struct evbuffer *answer);

/* "slow", "drop", ... ("none" for YBSIM_FAULT_NONE) */
const char *ybsim_fault_name(enum ybsim_fault_mode mode);

#endif
