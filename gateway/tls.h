/*
 * tls.h - TLS on the HIS listener, and a client certificate as a caller's
 * credential (mutual TLS).
 *
 * Configuration, one block at the top level of ybgw.conf:
 *
 *   tls {
 *       certificate tls/gateway.crt;  # PEM: this gateway's certificate, then its chain
 *       key tls/gateway.key;          # PEM private key, mode 0600 (a key that group or
 *                                     # others can read is refused)
 *       client_ca tls/his-ca.crt;     # the CA(s) that issue the callers' certificates
 *       verify_client optional;       # on | optional | off (default optional)
 *   }
 *
 * Files are relative to the file that names them. With the block present the
 * HIS listener speaks only TLS (1.2 or 1.3; for 1.2 only ECDHE key exchange
 * with AES-GCM or ChaCha20-Poly1305): plain HTTP to it fails. verify_client:
 *   on        a client certificate that verifies against client_ca is
 *             required in the handshake; without one there is no connection
 *   optional  a certificate is asked for and, if sent, must verify (else the
 *             handshake fails); a client without one still connects, and
 *             then has to sign its calls (HMAC, auth.h) when caller_auth is on
 *   off       no certificate is asked for: TLS only for privacy
 * client_ca is required unless verify_client is off. Everything is loaded and
 * checked when the file is read (`ybgw -t` too), with file:line errors.
 *
 * The listener is bound at start with the context of the first
 * configuration: a reload that changes the tls block is logged and takes
 * effect only after a restart, as a changed listen address does.
 *
 * A caller's certificate is named in its block by fingerprint:
 *   caller his-a { certificate 5F:3A:...:9C; institutions H45019900055; }
 * the SHA-256 of the certificate's DER form, 64 hex digits, with or without
 * colons, any case: what `openssl x509 -noout -fingerprint -sha256 -in F`
 * prints. A fingerprint pins one certificate (not a name a CA could issue
 * twice); `certificate` may repeat, so a renewal is one more line, and the
 * old one is removed after the switch. A request whose connection presented
 * a certificate that verified against client_ca and whose fingerprint is a
 * caller's is that caller's: no X-Ybgw-* signing headers are needed.
 */
#ifndef YB_TLS_H
#define YB_TLS_H

#include <stddef.h>

struct yb_conf;
struct ssl_ctx_st; /* SSL_CTX */
struct evhttp_request;
struct event_base;
struct bufferevent;

enum yb_tls_verify { YB_TLS_VERIFY_OFF = 0, YB_TLS_VERIFY_OPTIONAL = 1, YB_TLS_VERIFY_ON = 2 };

struct yb_tls_conf {
    int enabled;       /* a tls { } block was given */
    char *certificate; /* resolved paths */
    char *key;
    char *client_ca;
    int verify_client;      /* enum yb_tls_verify */
    struct ssl_ctx_st *ctx; /* the server context, built from the above */
};

#define YB_TLS_FINGERPRINT_LEN 32                            /* SHA-256 */
#define YB_TLS_FINGERPRINT_TEXT (YB_TLS_FINGERPRINT_LEN * 3) /* "AB:CD:...:EF" and NUL */

/* Parse the `tls { }` block d into out (zeroed or fresh) and build the
 * server context. A second block, a missing certificate or key, a key file
 * group or others can read, files that do not load or do not match, an
 * unknown directive, verify_client on/optional without client_ca: YB_EINVAL
 * with "file:line: reason" in err, and out is left empty. */
int yb_tls_conf(const struct yb_conf *d, struct yb_tls_conf *out, char *err, size_t errlen);
void yb_tls_conf_free(struct yb_tls_conf *t);

/* 1 if a and b configure the listener the same way (the same files and
 * verify_client), else 0: a reload compares its new block with the running
 * one. The files' contents are not compared. */
int yb_tls_conf_same(const struct yb_tls_conf *a, const struct yb_tls_conf *b);

/* "AB:CD:..." or "abcd..." (64 hex digits, colons between every pair or
 * none) into 32 bytes. 0 or YB_EINVAL. */
int yb_tls_fingerprint_parse(const char *text, unsigned char out[YB_TLS_FINGERPRINT_LEN]);
/* The upper-case colon form, as openssl prints it, into out
 * (YB_TLS_FINGERPRINT_TEXT bytes). */
void yb_tls_fingerprint_format(const unsigned char fp[YB_TLS_FINGERPRINT_LEN], char *out);

/* Refuse a private key or secret file that group or others may read, or
 * that is not a regular file: YB_EINVAL with a sentence naming path and the
 * fix (chmod 600). 0 when the mode is fine. */
int yb_tls_check_private_file(const char *path, const char *what, char *err, size_t errlen);

/* What the connection of one request showed. */
struct yb_tls_peer {
    int tls;         /* the request came over TLS */
    int certificate; /* the client sent a certificate that verified against client_ca */
    unsigned char fingerprint[YB_TLS_FINGERPRINT_LEN]; /* set when certificate */
};

/* Fill out for req (a request on the HIS listener). Never fails: a plain
 * connection gives all zeroes. */
void yb_tls_peer_of(struct evhttp_request *req, struct yb_tls_peer *out);

/* The server's own reference to t's context (NULL when TLS is off), kept
 * for the process's life while snapshots come and go; release it with
 * yb_tls_release. */
struct ssl_ctx_st *yb_tls_hold(const struct yb_tls_conf *t);
void yb_tls_release(struct ssl_ctx_st *ctx);

/* The bufferevent evhttp builds a new connection on (evhttp_set_bevcb):
 * server-side TLS with ctx on base. NULL when out of memory. */
struct bufferevent *yb_tls_bufferevent(struct event_base *base, struct ssl_ctx_st *ctx);

#endif
