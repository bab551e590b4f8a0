/*
 * ctl_send.h - one exchange with the gateway, shared by `ybgwctl send` and
 * `ybgwctl visit`.
 *
 * A CLI may block, so this is libcurl's easy interface with connect and total
 * timeouts. One handle is reused across the steps of a visit, which keeps the
 * connection alive the way a HIS does. Answers are decoded with the
 * gateway's own codecs (not jansson) so that amounts keep their exact
 * literal text, and XML answers come back as the same tree as JSON ones.
 */
#ifndef YB_CTL_SEND_H
#define YB_CTL_SEND_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "pool.h"
#include "tree.h"

#define CTL_DEFAULT_URL "http://127.0.0.1:9800/fsi/api/rsfComIfsService/callService"
#define CTL_MAX_ANSWER (16u << 20) /* bytes of one answer we are willing to hold */
#define CTL_MAX_FILE (16u << 20)   /* bytes of one message or script file */

/* Exit codes shared by send and visit. */
enum ctl_exit {
    CTL_EXIT_OK = 0,        /* infcode 0 / every step met its expectation */
    CTL_EXIT_REJECTED = 1,  /* infcode -1 / a step missed its expectation */
    CTL_EXIT_TRANSPORT = 2, /* no usable answer, or bad usage / unreadable input */
};

/* A caller's credentials, for a gateway with caller_auth on, so a HIS
 * integrator can test theirs before the HIS goes live:
 *   --caller NAME --secret-file F  sign every request as caller NAME (the
 *                                  X-Ybgw-* headers, made by the gateway's own
 *                                  sign.c, so both sides sign the same text)
 *   --cert F --key F               present a TLS client certificate (mutual TLS)
 *   --cacert F                     verify the gateway's certificate against F
 * Both credentials may be given together; the gateway then requires that
 * they name the same caller. */
struct ctl_credentials {
    const char *caller;
    char *secret; /* read from --secret-file (mode 0600 or stricter); wiped on free */
    const char *cert, *key, *cacert;
};

enum ctl_credential_option {
    CTL_OPT_CALLER = 0x100, /* past every short option */
    CTL_OPT_SECRET_FILE,
    CTL_OPT_CERT,
    CTL_OPT_KEY,
    CTL_OPT_CACERT,
};

/* The getopt_long rows of the credential options, for a subcommand's table. */
#define CTL_CREDENTIAL_OPTIONS                                                                     \
    {"caller", required_argument, NULL, CTL_OPT_CALLER},                                           \
        {"secret-file", required_argument, NULL, CTL_OPT_SECRET_FILE},                             \
        {"cert", required_argument, NULL, CTL_OPT_CERT},                                           \
        {"key", required_argument, NULL, CTL_OPT_KEY},                                             \
        {"cacert", required_argument, NULL, CTL_OPT_CACERT}

/* The help lines of the credential options. */
#define CTL_CREDENTIAL_USAGE                                                                       \
    "  --caller NAME    sign each request as configured caller NAME (HMAC-SHA256, X-Ybgw-*)\n"     \
    "  --secret-file F  the secret shared with the gateway for --caller (mode 0600)\n"            \
    "  --cert F --key F present this TLS client certificate and key (mutual TLS, https://)\n"     \
    "  --cacert F       verify the gateway's TLS certificate against this CA file\n"

/* Take opt (from getopt_long) into c when it is a credential option: 1
 * taken, 0 not a credential option, -1 bad value (a line on stderr after
 * prog). */
int ctl_credentials_option(struct ctl_credentials *c, int opt, const char *arg, const char *prog);
/* After the options: --caller and --secret-file go together, and so do
 * --cert and --key. 0, or -1 with a line on stderr. */
int ctl_credentials_check(const struct ctl_credentials *c, const char *prog);
void ctl_credentials_free(struct ctl_credentials *c);
/* Append the ybgw signing headers of one request (body exactly as sent,
 * stamped now) to the struct curl_slist * at *slist. 0, or a negative YB_E*
 * with err. */
int ctl_credentials_sign(const struct ctl_credentials *c, const char *body, size_t len,
                         void **slist, char *err, size_t errlen);

struct ctl_http {
    void *curl;              /* CURL *, kept opaque so callers need no curl headers */
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* whole exchange; default 60000 */
    const struct ctl_credentials *cred; /* NULL: none; set after ctl_http_open */
};

/* What came back. Strings are NUL-terminated; empty when the header was absent. */
struct ctl_answer {
    long status; /* HTTP status, 0 if none */
    struct yb_buf body;
    char route[128];   /* X-Ybgw-Route */
    char hops[256];    /* X-Ybgw-Hops */
    char outcome[32];  /* X-Ybgw-Outcome: ok, platform_error, rejected, upstream_error,
                        * gateway_error (gateway/txn.c); "" from the simulator directly */
    char platform[64]; /* X-Sim-Platform (when talking to the simulator directly) */
    char content_type[128];
    double total_ms;
    char error[256]; /* transport error in curl's words, "" on success */
};

/* Returns 0 or a negative YB_E*. Close with ctl_http_close. */
int ctl_http_open(struct ctl_http *h, long connect_timeout_ms, long timeout_ms);
void ctl_http_close(struct ctl_http *h);

/* POST body to url (signed and with the client certificate of h->cred when
 * set). ans is reset first; the caller frees it with
 * ctl_answer_free. Returns 0 when an HTTP answer arrived (any status), or
 * YB_EIO with ans->error set when none did. */
int ctl_http_post(struct ctl_http *h, const char *url, const char *content_type, const char *body,
                  size_t len, struct ctl_answer *ans);
void ctl_answer_free(struct ctl_answer *ans);

/* Decode a message (JSON, or XML when it sniffs as XML) into a tree in
 * pool. *is_xml and encoding (at least 32 bytes, may be NULL) tell what it
 * was. Returns 0 or a negative YB_E* with a sentence in err. */
int ctl_decode(struct yb_pool *pool, const char *text, size_t len, struct yb_node **out,
               int *is_xml, char *encoding, char *err, size_t errlen);

/* Encode a request tree for the wire: JSON (xml == 0) or XML with root
 * <request> in encoding (NULL: UTF-8). content_type (ctcap bytes) receives
 * the matching Content-Type. Returns 0 or a negative YB_E* with err. */
int ctl_encode_request(const struct yb_node *msg, int xml, const char *encoding, struct yb_buf *out,
                       char *content_type, size_t ctcap, char *err, size_t errlen);

/* Walk "a.b[1].c" from root. Unlike yb_node_path, "[0]" on an object is
 * the object itself, because an XML answer's one-item list arrives as a
 * single element. NULL when a step is missing. */
const struct yb_node *ctl_path(const struct yb_node *root, const char *path);

/* Text of a scalar node ("" for null), or NULL for objects and arrays. */
const char *ctl_text(const struct yb_node *node);

/* Read a whole file ("-" is stdin) into a malloc'ed, NUL-terminated buffer
 * of at most CTL_MAX_FILE bytes. The caller frees *out. */
int ctl_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen);

/* Terminal colours, only when the stream is a tty and NO_COLOR is unset. */
int ctl_use_color(FILE *stream);

/* `ybgwctl send` */
int ctl_send_main(int argc, char **argv);

#endif
