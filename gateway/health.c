/*
 * health.c - active health checks (health.h).
 *
 * Owns one timer per probed endpoint, the main thread's upstream client that
 * carries the probes, and a reference to the snapshot whose upstreams it
 * reads. A probe still in flight when its timer fires again is left alone:
 * its own timeout ends it.
 */
#include "health.h"

#include <event2/event.h>
#include <stdlib.h>

#include "breaker.h"
#include "log.h"
#include "server.h"
#include "upstream.h"

struct probe {
    struct yb_health *health;
    const struct yb_upstream *ups;
    int ep;
    struct event *timer;
    struct yb_upstream_call *call;
    int last_ok; /* -1 unknown, for logging changes only */
};

struct yb_health {
    struct yb_snapshot *snap;
    struct yb_upstream_client *client;
    struct probe *probes;
    int n;
};

static void probe_done(void *arg, const struct yb_upstream_result *res)
{
    struct probe *p = arg;
    p->call = NULL;
    int ok = res->status == YB_UP_OK;
    yb_breaker_probe(p->ups->breakers[p->ep], &p->ups->breaker, ok, yb_monotonic_ms());
    if (ok != p->last_ok)
        yb_log(ok ? YB_LOG_INFO : YB_LOG_WARN, "health", "upstream %s endpoint %s is %s%s%s%s",
               p->ups->name, p->ups->endpoints[p->ep], ok ? "up" : "down", ok ? "" : " (",
               ok ? "" : yb_upstream_status_word(res->status), ok ? "" : ")");
    p->last_ok = ok;
}

static void probe_tick(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    (void)fd;
    (void)what;
    if (p->call)
        return;
    p->call = yb_upstream_probe(p->health->client, p->ups, p->ep, probe_done, p);
    if (!p->call)
        yb_log(YB_LOG_WARN, "health", "upstream %s endpoint %s: the probe could not be started",
               p->ups->name, p->ups->endpoints[p->ep]);
}

struct yb_health *yb_health_start(struct event_base *base, struct yb_snapshot *snap)
{
    const struct yb_settings *s = snap->settings;
    int n = 0;
    for (int i = 0; i < s->n_upstreams; i++)
        if (s->upstreams[i].health_interval_ms > 0)
            n += s->upstreams[i].n_endpoints;
    if (n == 0)
        return NULL;
    struct yb_health *h = calloc(1, sizeof(*h));
    if (!h || !(h->probes = calloc((size_t)n, sizeof(*h->probes))) ||
        !(h->client = yb_upstream_client_new(base)))
        goto fail;
    atomic_fetch_add(&snap->refs, 1);
    h->snap = snap;
    for (int i = 0; i < s->n_upstreams; i++) {
        const struct yb_upstream *u = &s->upstreams[i];
        if (u->health_interval_ms <= 0)
            continue;
        for (int ep = 0; ep < u->n_endpoints; ep++) {
            struct probe *p = &h->probes[h->n];
            p->health = h;
            p->ups = u;
            p->ep = ep;
            p->last_ok = -1;
            p->timer = event_new(base, -1, EV_PERSIST, probe_tick, p);
            struct timeval tv = {.tv_sec = u->health_interval_ms / 1000,
                                 .tv_usec = (u->health_interval_ms % 1000) * 1000};
            if (!p->timer || event_add(p->timer, &tv) != 0) {
                if (p->timer)
                    event_free(p->timer);
                goto fail;
            }
            h->n++;
            event_active(p->timer, EV_TIMEOUT, 0); /* the first probe now */
        }
    }
    return h;
fail:
    yb_log(YB_LOG_ERROR, "health", "cannot start the health checks: out of memory");
    yb_health_stop(h);
    return NULL;
}

void yb_health_stop(struct yb_health *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->n; i++) {
        if (h->probes[i].call)
            yb_upstream_cancel(h->probes[i].call);
        event_free(h->probes[i].timer);
    }
    yb_upstream_client_free(h->client);
    free(h->probes);
    if (h->snap)
        yb_snapshot_release(h->snap);
    free(h);
}
