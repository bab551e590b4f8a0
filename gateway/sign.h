/*
 * sign.h - the authentication headers regional gateways expect from a
 * hospital front end, computed by ybgw from configured secrets so that no
 * HIS ever holds them.
 *
 *   api: _api_name, _api_version, _api_timestamp (ms), _api_access_key,
 *        _api_signature = Base64(HMAC-SHA1(secret,
 *          "_api_access_key=K&_api_name=N&_api_timestamp=T&_api_version=V"))
 *   tif: x-tif-paasid, x-tif-timestamp (s), x-tif-nonce,
 *        x-tif-signature = upper hex SHA-256(timestamp + token + nonce + timestamp)
 *   ybgw: one ybgw calling another (a relay): X-Ybgw-Caller, X-Ybgw-Timestamp
 *        (ms), X-Ybgw-Nonce, X-Ybgw-Signature = lower hex HMAC-SHA256(secret,
 *        "ybgw-v1\n" caller "\n" ms "\n" nonce "\n" lower hex SHA-256(body)).
 *        auth.h documents the wire format; the relay verifies it with auth.c,
 *        which calls yb_sign_ybgw below, so the text that is signed is built
 *        in one place only.
 */
#ifndef YB_SIGN_H
#define YB_SIGN_H

#include <stddef.h>
#include <stdint.h>

enum yb_sign_scheme { YB_SIGN_NONE = 0, YB_SIGN_API = 1, YB_SIGN_TIF = 2, YB_SIGN_YBGW = 3 };

struct yb_sign_conf {
    int scheme;       /* enum yb_sign_scheme */
    char *access_key; /* _api_access_key, x-tif-paasid, or the ybgw caller name */
    char *version;    /* _api_version (api only) */
    char *secret;     /* loaded from the secret file; never logged */
};

struct yb_header {
    char name[32];
    char value[192];
};

#define YB_SIGN_MAX_HEADERS 6

/* Fill out[] with the scheme's headers; *n gets the count (0 on any
 * failure: never half a set). infno is used by api. body/len is the request
 * body exactly as it goes on the wire, used by ybgw (NULL with len 0 is an
 * empty body). nonce is used by tif and ybgw; NULL makes a fresh one with
 * yb_sign_nonce, which is what every real call should do. Returns 0,
 * YB_EINVAL (bad configuration value or argument), YB_ELIMIT (max too small)
 * or YB_EIO (crypto failure). */
int yb_sign_compute(const struct yb_sign_conf *conf, const char *infno, const char *body,
                    size_t len, int64_t now_ms, const char *nonce, struct yb_header *out,
                    size_t max, size_t *n);

/* ---- the ybgw scheme, shared by signing (here) and verifying (auth.c) ---- */
#define YB_SIGN_YBGW_CALLER_MAX 64 /* caller name: 1-64 of [A-Za-z0-9._-] */
#define YB_SIGN_YBGW_NONCE_MIN 16  /* nonce: 16-64 of [A-Za-z0-9_-] */
#define YB_SIGN_YBGW_NONCE_MAX 64
#define YB_SIGN_YBGW_HEX 65 /* 64 lowercase hex characters and the NUL */

/* 1 if s is a valid caller name / nonce of the ybgw scheme, else 0. */
int yb_sign_ybgw_caller_ok(const char *s);
int yb_sign_ybgw_nonce_ok(const char *s);

/* The ybgw signature of one request into hex (YB_SIGN_YBGW_HEX bytes):
 * lowercase hex HMAC-SHA256(secret, "ybgw-v1\n" caller "\n" ms "\n" nonce
 * "\n" lowercase hex SHA-256(body)). ms is the timestamp text exactly as it
 * travels in X-Ybgw-Timestamp. The fields are not checked here beyond
 * "present, no newline, short enough" (a newline would let one field pose as
 * two); callers check their syntax. Returns 0, YB_EINVAL or YB_EIO. */
int yb_sign_ybgw(const char *secret, const char *caller, const char *ms, const char *nonce,
                 const char *body, size_t len, char *hex);

/* Lowercase hex SHA-256 of data[0..len) into out (YB_SIGN_YBGW_HEX bytes).
 * 0 or YB_EIO. */
int yb_sha256_hex(const void *data, size_t len, char out[YB_SIGN_YBGW_HEX]);

/* Hex of len bytes into out (2 * len + 1 bytes), upper or lower case. */
void yb_hex_encode(const unsigned char *in, size_t len, char *out, int upper);

/* 32 random hex characters into buf (at least 33 bytes). */
int yb_sign_nonce(char *buf, size_t cap);

/* Open path to read a secret or a private key: *fd is the open descriptor,
 * checked (fstat, so the file checked is the file read) to be a regular
 * file that no group or other may access. WHAT names the file in err
 * ("secret file", "key file", "key"). 0, or YB_ENOENT, YB_EIO or YB_EINVAL
 * with the reason in err (*fd then -1). Used for every secret ybgw reads:
 * signing secrets, caller secrets, the TLS key and the journal key. */
int yb_private_file_open(const char *path, const char *what, int *fd, char *err, size_t errlen);

/* Read a secret from path, refusing a file that group or others can read (mode & 077)
 * or that is empty. Trailing newlines are stripped. The caller frees *out
 * (after wiping it). err never contains the secret. */
int yb_sign_load_secret(const char *path, char **out, char *err, size_t errlen);

#endif
