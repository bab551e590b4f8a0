/*
 * metrics.h - counters and histograms for the admin port, in Prometheus
 * text format. Safe to update from any worker thread. Label values are
 * bounded: infno values that are not known transactions count as "other".
 */
#ifndef YB_METRICS_H
#define YB_METRICS_H

#include "buf.h"

struct yb_metrics;

struct yb_metrics *yb_metrics_new(void);
void yb_metrics_free(struct yb_metrics *m);

/* One finished transaction. outcome: "ok", "platform_error", "rejected",
 * "upstream_error", "gateway_error". seconds: total time in the gateway. */
void yb_metrics_request(struct yb_metrics *m, const char *infno, const char *outcome,
                        double seconds);
/* Time spent waiting for the upstream, by upstream name. */
void yb_metrics_upstream_latency(struct yb_metrics *m, const char *upstream, double seconds);
/* An upstream failure: kind is a stable word ("timeout", "connect", "http", "bad_answer"). */
void yb_metrics_upstream_error(struct yb_metrics *m, const char *upstream, const char *kind);
/* A finding by rule source ("schema", "envelope", "codeset.drug", ...) and severity word. */
void yb_metrics_finding(struct yb_metrics *m, const char *source, const char *severity);
/* A request refused by its caller's rate limit (caller: a configured name). */
void yb_metrics_caller_limited(struct yb_metrics *m, const char *caller);
void yb_metrics_inflight(struct yb_metrics *m, int delta);
void yb_metrics_reload(struct yb_metrics *m, int ok);

/* Render everything. Returns 0 or a negative YB_E*. */
int yb_metrics_render(struct yb_metrics *m, struct yb_buf *out);

#endif
