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
 */
#ifndef YB_SIGN_H
#define YB_SIGN_H

#include <stddef.h>
#include <stdint.h>

enum yb_sign_scheme { YB_SIGN_NONE = 0, YB_SIGN_API = 1, YB_SIGN_TIF = 2 };

struct yb_sign_conf {
    int scheme;       /* enum yb_sign_scheme */
    char *access_key; /* _api_access_key, or x-tif-paasid */
    char *version;    /* _api_version (api only) */
    char *secret;     /* loaded from the secret file; never logged */
};

struct yb_header {
    char name[32];
    char value[192];
};

#define YB_SIGN_MAX_HEADERS 6

/* Fill out[] with the scheme's headers; *n gets the count. nonce is used
 * by tif (16+ random characters; made with yb_sign_nonce). Returns 0 or a
 * negative YB_E*. */
int yb_sign_compute(const struct yb_sign_conf *conf, const char *infno, int64_t now_ms,
                    const char *nonce, struct yb_header *out, size_t max, size_t *n);

/* 32 random hex characters into buf (at least 33 bytes). */
int yb_sign_nonce(char *buf, size_t cap);

/* Read a secret from path, refusing a file that group or others can read (mode & 077)
 * or that is empty. Trailing newlines are stripped. The caller frees *out
 * (after wiping it). err never contains the secret. */
int yb_sign_load_secret(const char *path, char **out, char *err, size_t errlen);

#endif
