/*
 * testplugin.c - one source, several small plugins for the plugin host's
 * tests, chosen by a -DVARIANT_* flag: a good one (with a kind and hooks),
 * one of another ABI major version, one whose struct is too small, one with
 * no entry point, and one whose init fails. Never installed.
 */
#include <string.h>

#include "ybgw/ybgw.h"

#ifndef VARIANT_NOENTRY

static int calls_request;

static int validate(void *state, const char *code, size_t len, struct yb_code_verdict *v)
{
    if (len == 3 && memcmp(code, "BAD", 3) == 0) {
        v->status = YB_CODE_INVALID;
        strcpy(v->segment, "whole"); /* NOLINT: fixed test text */
        strcpy(v->reason, "test kind refuses BAD");
        return 0;
    }
    v->status = YB_CODE_VALID;
    return 0;
}

static int init(const struct yb_host *host, const struct yb_conf *conf, void **state)
{
#ifdef VARIANT_FAILINIT
    host->log(host, YB_LOG_ERROR, "this plugin always fails to initialise");
    return YB_EINVAL;
#else
    const char *kind = host->conf_get(conf, "kind");
    struct yb_code_kind k = {.name = kind ? kind : "testkind", .standard = "test",
                             .validate = validate};
    *state = &calls_request;
    return host->register_kind(host, &k);
#endif
}

static int on_request(void *state, struct yb_txn *txn)
{
    (*(int *)state)++;
    return YB_PASS;
}

static const struct yb_plugin plugin = {
#ifdef VARIANT_BADABI
    .abi = (2 << 16) | 0,
#else
    .abi = YB_PLUGIN_ABI,
#endif
#ifdef VARIANT_SMALL
    .struct_size = 16,
#else
    .struct_size = sizeof(struct yb_plugin),
#endif
#ifdef VARIANT_FAILINIT
    .name = "failinit",
#else
    .name = "testplugin",
#endif
    .version = "0.0.1",
    .init = init,
    .on_request = on_request,
};

YB_EXPORT const struct yb_plugin *yb_plugin_entry(void)
{
    return &plugin;
}

#else
YB_EXPORT int not_a_plugin(void)
{
    return 0;
}
#endif
