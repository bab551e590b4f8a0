/*
 * tls.c - the HIS listener's TLS: the `tls { }` block, the OpenSSL server
 * context, the bufferevent evhttp runs each connection on, and what a
 * connection's client certificate says about the caller (tls.h has the
 * rules).
 *
 * Where it sits on a message's path: the handshake happens before evhttp
 * reads a byte of the request, so a client whose certificate does not
 * verify never gets that far. What a verified certificate means (which
 * caller, which institutions) is decided per request by txn.c with the
 * callers of the request's own configuration snapshot, so a reload that
 * adds or removes a caller's certificate applies at once, while the
 * context (certificate, key, client_ca) stays the one the server started
 * with.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conf.h"
#include "sign.h"
#include "ybgw/ybgw.h"

/* TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's are all fine. */
#define CIPHERS_TLS12 "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"
#define SESSION_CONTEXT "ybgw-his"

static const char *const verify_names[] = {"off", "optional", "on", NULL};

static int set_path(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                    char *err, size_t errlen)
{
    char **slot = (char **)((char *)target + cmd->offset);
    if (*slot)
        return yb_conf_error(d, err, errlen, "tls: %s is given twice", d->name);
    if (!(*slot = yb_conf_relative_path(d, d->argv[0])))
        return yb_conf_error(d, err, errlen, "out of memory");
    return 0;
}

static const struct yb_conf_command tls_commands[] = {
    {"certificate", 1, 1, 0, set_path, offsetof(struct yb_tls_conf, certificate), 0},
    {"key", 1, 1, 0, set_path, offsetof(struct yb_tls_conf, key), 0},
    {"client_ca", 1, 1, 0, set_path, offsetof(struct yb_tls_conf, client_ca), 0},
    {"verify_client", 1, 1, 0, yb_conf_set_enum, offsetof(struct yb_tls_conf, verify_client),
     (uintptr_t)verify_names},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

/* OpenSSL's reason for the last failure, or fallback; clears the queue. */
static const char *ssl_reason(char *buf, size_t cap, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    if (e) {
        const char *reason = ERR_reason_error_string(e);
        snprintf(buf, cap, "%s", reason ? reason : fallback);
    } else {
        snprintf(buf, cap, "%s", fallback);
    }
    ERR_clear_error();
    return buf;
}

int yb_tls_check_private_file(const char *path, const char *what, char *err, size_t errlen)
{
    int fd;
    if (yb_private_file_open(path, what, &fd, err, errlen))
        return YB_EINVAL;
    close(fd);
    return 0;
}

/* The private key, read from the descriptor whose mode was checked, so the
 * file cannot be swapped between the check and the read. */
static EVP_PKEY *load_key(const char *path, char *why, size_t cap)
{
    int fd;
    if (yb_private_file_open(path, "key", &fd, why, cap))
        return NULL;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        snprintf(why, cap, "key %s: out of memory", path);
        return NULL;
    }
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!pkey) {
        char reason[160];
        snprintf(why, cap, "key %s is not a PEM private key without a passphrase (%s)", path,
                 ssl_reason(reason, sizeof(reason), "unreadable"));
    }
    return pkey;
}

static SSL_CTX *build_ctx(const struct yb_tls_conf *t, char *why, size_t cap)
{
    char reason[160];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    EVP_PKEY *pkey = NULL;
    if (!ctx) {
        snprintf(why, cap, "cannot create a TLS context (%s)",
                 ssl_reason(reason, sizeof(reason), "out of memory"));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_set_cipher_list(ctx, CIPHERS_TLS12) != 1) {
        snprintf(why, cap, "the TLS 1.2 cipher list is refused by this OpenSSL (%s)",
                 ssl_reason(reason, sizeof(reason), "no cipher"));
        goto fail;
    }
    /* session resumption with client certificates needs a context id */
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_CONTEXT,
                                   sizeof(SESSION_CONTEXT) - 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, t->certificate) != 1) {
        snprintf(why, cap, "certificate %s cannot be loaded as PEM (%s)", t->certificate,
                 ssl_reason(reason, sizeof(reason), "unreadable"));
        goto fail;
    }
    why[0] = '\0';
    if (!(pkey = load_key(t->key, why, cap)))
        goto fail;
    if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(why, cap, "key %s does not belong to certificate %s (%s)", t->key, t->certificate,
                 ssl_reason(reason, sizeof(reason), "mismatch"));
        goto fail;
    }
    EVP_PKEY_free(pkey);
    pkey = NULL;
    if (t->verify_client != YB_TLS_VERIFY_OFF) {
        if (SSL_CTX_load_verify_locations(ctx, t->client_ca, NULL) != 1) {
            snprintf(why, cap, "client_ca %s cannot be loaded as PEM certificates (%s)",
                     t->client_ca, ssl_reason(reason, sizeof(reason), "unreadable"));
            goto fail;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->client_ca);
        if (!names) {
            snprintf(why, cap, "client_ca %s holds no CA certificate", t->client_ca);
            ERR_clear_error();
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        int mode = SSL_VERIFY_PEER;
        if (t->verify_client == YB_TLS_VERIFY_ON)
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(ctx, mode, NULL);
        SSL_CTX_set_verify_depth(ctx, 4);
    }
    return ctx;
fail:
    EVP_PKEY_free(pkey);
    SSL_CTX_free(ctx);
    return NULL;
}

int yb_tls_conf(const struct yb_conf *d, struct yb_tls_conf *out, char *err, size_t errlen)
{
    struct yb_tls_conf t = {0};
    char why[640];
    int rc = YB_EINVAL;
    if (!d || !out)
        return YB_EINVAL;
    if (out->enabled)
        return yb_conf_error(d, err, errlen, "tls is given twice: use one tls { } block");
    if (d->argc != 0 || !d->has_block)
        return yb_conf_error(d, err, errlen,
                             "tls takes a block: tls { certificate FILE; key FILE; client_ca "
                             "FILE; verify_client on|optional|off; }");
    t.verify_client = YB_TLS_VERIFY_OPTIONAL;
    if ((rc = yb_conf_apply(d, tls_commands, &t, err, errlen)))
        goto fail;
    rc = YB_EINVAL;
    if (!t.certificate || !t.key) {
        yb_conf_error(d, err, errlen,
                      "tls needs certificate FILE; and key FILE; (this gateway's PEM "
                      "certificate and its private key)");
        goto fail;
    }
    if (t.verify_client != YB_TLS_VERIFY_OFF && !t.client_ca) {
        yb_conf_error(d, err, errlen,
                      "tls: verify_client %s needs client_ca FILE; (the CA that issues the "
                      "callers' certificates), or verify_client off;",
                      verify_names[t.verify_client]);
        goto fail;
    }
    /* the key's mode first: a readable key is refused whatever else is wrong */
    if (yb_tls_check_private_file(t.key, "key", why, sizeof(why))) {
        yb_conf_error(yb_conf_find(d, "key"), err, errlen, "tls: %s", why);
        goto fail;
    }
    if (!(t.ctx = build_ctx(&t, why, sizeof(why)))) {
        yb_conf_error(d, err, errlen, "tls: %s", why);
        goto fail;
    }
    t.enabled = 1;
    *out = t;
    return 0;
fail:
    yb_tls_conf_free(&t);
    return rc;
}

void yb_tls_conf_free(struct yb_tls_conf *t)
{
    if (!t)
        return;
    free(t->certificate);
    free(t->key);
    free(t->client_ca);
    SSL_CTX_free(t->ctx);
    memset(t, 0, sizeof(*t));
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int yb_tls_conf_same(const struct yb_tls_conf *a, const struct yb_tls_conf *b)
{
    if (!a || !b)
        return a == b;
    if (!a->enabled || !b->enabled)
        return a->enabled == b->enabled;
    return same_text(a->certificate, b->certificate) && same_text(a->key, b->key) &&
           same_text(a->client_ca, b->client_ca) && a->verify_client == b->verify_client;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int yb_tls_fingerprint_parse(const char *text, unsigned char out[YB_TLS_FINGERPRINT_LEN])
{
    if (!text || !out)
        return YB_EINVAL;
    size_t len = strnlen(text, YB_TLS_FINGERPRINT_TEXT + 1);
    int colons;
    if (len == YB_TLS_FINGERPRINT_LEN * 2)
        colons = 0;
    else if (len == YB_TLS_FINGERPRINT_TEXT - 1)
        colons = 1;
    else
        return YB_EINVAL;
    unsigned char fp[YB_TLS_FINGERPRINT_LEN];
    const char *p = text;
    for (size_t i = 0; i < YB_TLS_FINGERPRINT_LEN; i++) {
        if (colons && i > 0 && *p++ != ':')
            return YB_EINVAL;
        int hi = hex_value(p[0]), lo = hex_value(p[1]);
        if (hi < 0 || lo < 0)
            return YB_EINVAL;
        fp[i] = (unsigned char)(hi << 4 | lo);
        p += 2;
    }
    memcpy(out, fp, sizeof(fp));
    return 0;
}

void yb_tls_fingerprint_format(const unsigned char fp[YB_TLS_FINGERPRINT_LEN], char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    char *p = out;
    for (size_t i = 0; i < YB_TLS_FINGERPRINT_LEN; i++) {
        if (i)
            *p++ = ':';
        *p++ = digits[fp[i] >> 4];
        *p++ = digits[fp[i] & 15];
    }
    *p = '\0';
}

void yb_tls_peer_of(struct evhttp_request *req, struct yb_tls_peer *out)
{
    memset(out, 0, sizeof(*out));
    struct evhttp_connection *conn = req ? evhttp_request_get_connection(req) : NULL;
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
    if (!ssl)
        return;
    out->tls = 1;
    X509 *cert = SSL_get0_peer_certificate(ssl);
    unsigned int n = 0;
    if (cert && SSL_get_verify_result(ssl) == X509_V_OK &&
        X509_digest(cert, EVP_sha256(), out->fingerprint, &n) == 1 && n == YB_TLS_FINGERPRINT_LEN)
        out->certificate = 1;
    else
        memset(out->fingerprint, 0, sizeof(out->fingerprint));
}

struct ssl_ctx_st *yb_tls_hold(const struct yb_tls_conf *t)
{
    if (!t || !t->enabled || !t->ctx || SSL_CTX_up_ref(t->ctx) != 1)
        return NULL;
    return t->ctx;
}

void yb_tls_release(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

struct bufferevent *yb_tls_bufferevent(struct event_base *base, struct ssl_ctx_st *ctx)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    /* With BEV_OPT_CLOSE_ON_FREE the bufferevent owns the SSL, and on a
     * failure (out of memory only) libevent may already have freed it:
     * freeing it here could free it twice, so a failure leaks it at worst. */
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    /* HIS clients often close without a TLS close_notify; that is not an
     * attack on a request/response exchange that is already complete */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}
