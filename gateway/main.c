/*
 * main.c - the ybgw command line: run the gateway, or check a configuration.
 *
 *   ybgw -c FILE        run with FILE
 *   ybgw -t -c FILE     load FILE fully (settings, schemas, plugins) and exit
 */
#include <curl/curl.h>
#include <event2/thread.h>
#include <libxml/parser.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "breaker.h"
#include "log.h"
#include "server.h"

static void usage(FILE *to)
{
    fprintf(to, "usage: ybgw [-t] [-c FILE]\n"
                "  -c FILE  configuration (default: conf/ybgw.conf if present, else %s/ybgw.conf)\n"
                "  -t       check the configuration, load its schemas and plugins, and exit\n"
                "  -v       print the version\n"
                "  -h       this help\n",
            YB_SYSCONFDIR);
}

int main(int argc, char **argv)
{
    const char *conf = NULL;
    int test_only = 0;
    int opt;
    while ((opt = getopt(argc, argv, "c:thv")) != -1) {
        switch (opt) {
        case 'c':
            conf = optarg;
            break;
        case 't':
            test_only = 1;
            break;
        case 'v':
            printf("ybgw %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, YB_PLUGIN_ABI_MAJOR,
                   YB_PLUGIN_ABI_MINOR);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    /* Each upstream call makes libcurl allocate and free its transfer
     * buffers (tens of KiB). With glibc's default trim threshold a worker's
     * arena gave that memory back after every call and faulted it in again
     * on the next (madvise, then page faults: a tenth of a worker's time
     * under load). Keep up to 32 MiB of free heap per arena instead. */
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    if (!conf)
        conf = access("conf/ybgw.conf", R_OK) == 0 ? "conf/ybgw.conf" : YB_SYSCONFDIR "/ybgw.conf";

    /* process-wide library set-up, once, before any thread */
    signal(SIGPIPE, SIG_IGN);
    xmlInitParser();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || evthread_use_pthreads() != 0) {
        fprintf(stderr, "ybgw: cannot initialise libcurl or libevent threads\n");
        return 1;
    }

    char err[1024];
    struct yb_snapshot *snap = yb_snapshot_load(conf, err, sizeof(err));
    int rc;
    if (!snap) {
        fprintf(stderr, "ybgw: %s\n", err);
        rc = 1;
    } else if (test_only) {
        printf("ybgw: %s is ok (%zu transactions, %zu plugins, %zu code kinds)\n", conf,
               yb_schema_count(snap->schemas), yb_plugins_count(snap->plugins),
               yb_plugins_kind_count(snap->plugins));
        yb_snapshot_release(snap);
        rc = 0;
    } else {
        rc = yb_server_run(conf, snap);
    }
    yb_breakers_free();
    curl_global_cleanup();
    xmlCleanupParser();
    return rc;
}
