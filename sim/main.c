/*
 * main.c - ybgw-sim, the platform simulator: command line, start-up and
 * shutdown.
 *
 * Reads the configuration, opens the state database and loads the sample
 * persons and the mappings filed before, binds the listeners and runs the
 * event loop until SIGTERM or SIGINT, then frees everything (tests run it
 * under AddressSanitizer with leak detection, so a clean exit is a tested
 * property).
 */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handlers.h"
#include "platform.h"
#include "simconf.h"
#include "store.h"
#include "ybgw/ybgw.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ybgw-sim -c FILE       run the simulator with configuration FILE\n"
            "       ybgw-sim -t -c FILE    check FILE (and its persons and mappings files), exit\n"
            "       ybgw-sim -h            this help\n"
            "       ybgw-sim -V            version\n"
            "\n"
            "A simulator of the national and provincial medical-insurance platforms,\n"
            "for testing a HIS or ybgw before going live. It keeps its state in SQLite\n"
            "and answers POST %s (also .../<infno> and /)\n"
            "with the platform's JSON envelope; GET /healthz answers \"ok\".\n"
            "GET /sim/processed?msgid=M says whether it processed a message; with\n"
            "\"faults on;\" POST /sim/fault arms an injected fault (slow, drop, cut, ...).\n"
            "Relative paths in FILE are taken from the current directory.\n"
            "SIGTERM or SIGINT stops it. See sim/README.md.\n",
            YBSIM_SERVICE_PATH);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    fprintf(stderr, "ybgw-sim: %s, stopping\n", fd == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopexit(arg, NULL);
}

static void announce(const struct ybsim_config *conf)
{
    for (const struct ybsim_platform *p = conf->platforms; p; p = p->next) {
        fprintf(stderr, "ybgw-sim: platform %s (region %s) on %s serves", p->name, p->region,
                p->listen);
        for (int i = 0; i < p->nserves; i++)
            fprintf(stderr, " %s", p->serves[i]);
        fprintf(stderr, "%s\n", p->is_default ? " and is the default" : "");
    }
    fprintf(stderr, "ybgw-sim: database %s; sign-in %s; duplicate msgid %s; fee lines %s\n",
            conf->database, conf->require_sign_in ? "required" : "not required",
            conf->reject_duplicate_msgid ? "rejected" : "accepted",
            conf->check_mapping ? "need a 3301 mapping" : "not checked against 3301 mappings");
    if (conf->faults)
        fprintf(stderr, "ybgw-sim: fault injection on: POST /sim/fault on any platform port arms "
                        "one (sim/README.md)\n");
}

/* Load the mappings file; with say, tell stderr how many were new. */
static int load_mappings(struct ybsim_store *store, const char *path, int say, char *err,
                         size_t errlen)
{
    char now[20];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S", &tm);
    int added = 0, kept = 0;
    int rc = ybsim_catalog_load_mappings(store, path, now, &added, &kept, err, errlen);
    if (rc == 0 && say)
        fprintf(stderr, "ybgw-sim: mappings %s: %d loaded, %d already in the database\n", path,
                added, kept);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int test_only = 0, opt;
    while ((opt = getopt(argc, argv, "c:thV")) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 't':
            test_only = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("ybgw-sim %s\n", PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return 2;
    }

    int status = 1;
    char err[1024] = "";
    struct ybsim_config conf;
    struct ybsim_store *store = NULL;
    struct event_base *base = NULL;
    struct event *sigterm = NULL, *sigint = NULL;
    struct ybsim_server *srv = NULL;

    if (ybsim_config_load(path, &conf, err, sizeof(err))) {
        fprintf(stderr, "ybgw-sim: %s\n", err);
        goto out;
    }
    /* -t checks the persons and mappings files against a throw-away database */
    store = ybsim_store_open(test_only ? ":memory:" : conf.database, err, sizeof(err));
    if (!store) {
        fprintf(stderr, "ybgw-sim: %s\n", err);
        goto out;
    }
    if (ybsim_store_load_persons(store, conf.persons, err, sizeof(err))) {
        fprintf(stderr, "ybgw-sim: %s\n", err);
        goto out;
    }
    if (conf.mappings && load_mappings(store, conf.mappings, !test_only, err, sizeof(err))) {
        fprintf(stderr, "ybgw-sim: %s\n", err);
        goto out;
    }
    if (test_only) {
        printf("ybgw-sim: the configuration %s is ok\n", path);
        status = 0;
        goto out;
    }

    signal(SIGPIPE, SIG_IGN);
    struct ybsim_sim sim = {.conf = &conf, .store = store, .serial = 0};
    if (!(base = event_base_new())) {
        fprintf(stderr, "ybgw-sim: cannot create the event loop\n");
        goto out;
    }
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    if (!sigterm || !sigint || event_add(sigterm, NULL) || event_add(sigint, NULL)) {
        fprintf(stderr, "ybgw-sim: cannot watch signals\n");
        goto out;
    }
    if (!(srv = ybsim_server_start(base, &sim, err, sizeof(err)))) {
        fprintf(stderr, "ybgw-sim: %s\n", err);
        goto out;
    }
    announce(&conf);
    if (event_base_dispatch(base) < 0) {
        fprintf(stderr, "ybgw-sim: the event loop failed\n");
        goto out;
    }
    status = 0;
out:
    ybsim_server_free(srv);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (base)
        event_base_free(base);
    ybsim_store_close(store);
    ybsim_config_free(&conf);
    libevent_global_shutdown();
    return status;
}
