/*
 * ctl_credentials.c - a caller's credentials for `ybgwctl send` and `ybgwctl
 * visit` (ctl_send.h): the options, the secret file (read by the gateway's
 * own yb_sign_load_secret, so a readable file is refused here as there), and
 * the ybgw signing headers of one request, built by the gateway's sign.c so
 * that the client and the gateway cannot disagree on the signed text.
 */
#include "ctl_send.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "sign.h"
#include "ybgw/ybgw.h"

int ctl_credentials_option(struct ctl_credentials *c, int opt, const char *arg, const char *prog)
{
    char err[512];
    switch (opt) {
    case CTL_OPT_CALLER:
        if (!yb_sign_ybgw_caller_ok(arg)) {
            fprintf(stderr,
                    "%s: --caller takes a caller name: 1-64 letters, digits, '.', '_' or '-'\n",
                    prog);
            return -1;
        }
        c->caller = arg;
        return 1;
    case CTL_OPT_SECRET_FILE:
        if (c->secret) {
            fprintf(stderr, "%s: --secret-file is given twice\n", prog);
            return -1;
        }
        err[0] = '\0';
        if (yb_sign_load_secret(arg, &c->secret, err, sizeof(err))) {
            fprintf(stderr, "%s: --secret-file: %s\n", prog, err);
            return -1;
        }
        return 1;
    case CTL_OPT_CERT:
        c->cert = arg;
        return 1;
    case CTL_OPT_KEY:
        c->key = arg;
        return 1;
    case CTL_OPT_CACERT:
        c->cacert = arg;
        return 1;
    default:
        return 0;
    }
}

int ctl_credentials_check(const struct ctl_credentials *c, const char *prog)
{
    if (!c->caller != !c->secret) {
        fprintf(stderr,
                "%s: --caller and --secret-file go together (the caller's name and the "
                "secret it shares with the gateway)\n",
                prog);
        return -1;
    }
    if (!c->cert != !c->key) {
        fprintf(stderr, "%s: --cert and --key go together (the client certificate and its key)\n",
                prog);
        return -1;
    }
    return 0;
}

void ctl_credentials_free(struct ctl_credentials *c)
{
    if (c->secret) {
        OPENSSL_cleanse(c->secret, strlen(c->secret));
        free(c->secret);
    }
    memset(c, 0, sizeof(*c));
}

int ctl_credentials_sign(const struct ctl_credentials *c, const char *body, size_t len,
                         void **slist, char *err, size_t errlen)
{
    struct curl_slist **headers = (struct curl_slist **)slist;
    char name[YB_SIGN_YBGW_CALLER_MAX + 1];
    snprintf(name, sizeof(name), "%s", c->caller);
    struct yb_sign_conf conf = {YB_SIGN_YBGW, name, NULL, c->secret};
    struct yb_header out[YB_SIGN_MAX_HEADERS];
    size_t n = 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int rc =
        yb_sign_compute(&conf, "", body, len, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000,
                        NULL, out, YB_SIGN_MAX_HEADERS, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        char line[sizeof(out[i].name) + sizeof(out[i].value) + 4];
        snprintf(line, sizeof(line), "%.*s: %.*s", (int)sizeof(out[i].name) - 1, out[i].name,
                 (int)sizeof(out[i].value) - 1, out[i].value);
        struct curl_slist *more = curl_slist_append(*headers, line);
        if (!more)
            rc = YB_ENOMEM;
        else
            *headers = more;
    }
    OPENSSL_cleanse(out, sizeof(out));
    if (rc)
        snprintf(err, errlen, "cannot sign the request as caller %s", c->caller);
    return rc;
}
