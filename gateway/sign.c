/*
 * sign.c - the authentication headers of the regional gateways in front of
 * the platform (see sign.h and spec/interface.md, "Gateway authentication
 * headers").
 *
 * This file owns the secrets' handling from the moment they leave their file
 * to the moment a signature is made: it reads the secret file (refusing one
 * that other users can read), computes the _api_*, x-tif-* and X-Ybgw-*
 * headers with OpenSSL, and wipes every temporary copy of key material with
 * OPENSSL_cleanse. The upstream client (upstream.c) calls yb_sign_compute
 * once per call; a relay's caller check (auth.c) calls yb_sign_ybgw to
 * recompute what a calling ybgw signed. Nothing here touches a socket or
 * blocks.
 *
 * No error text produced here ever contains a secret: messages name the file
 * and what is wrong with it, never its content.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ybgw/ybgw.h"

/* A secret is a short token or key; anything bigger is a wrong path. */
#define SECRET_MAX 4096

/* Header values go to the wire as they are; a CR or LF would let a
 * configuration value (or an infno from a HIS) inject headers, so every
 * value must be printable ASCII and fit the fixed-size slot. */
static int value_ok(const char *s, size_t cap)
{
    if (!s || !*s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c >= 0x7f)
            return 0;
    }
    return n < cap;
}

static int put_header(struct yb_header *out, size_t max, size_t *n, const char *name,
                      const char *value)
{
    if (*n >= max)
        return YB_ELIMIT;
    struct yb_header *h = &out[*n];
    size_t nl = strlen(name), vl = strlen(value);
    if (nl >= sizeof(h->name) || vl >= sizeof(h->value))
        return YB_ELIMIT;
    memcpy(h->name, name, nl + 1);
    memcpy(h->value, value, vl + 1);
    (*n)++;
    return 0;
}

void yb_hex_encode(const unsigned char *in, size_t len, char *out, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* _api_* scheme: Base64(HMAC-SHA1(secret, the four fields in name order)). */
static int sign_api(const struct yb_sign_conf *conf, const char *infno, int64_t now_ms,
                    struct yb_header *out, size_t max, size_t *n)
{
    const char *version = conf->version ? conf->version : "1.0.0";
    char stamp[24];
    snprintf(stamp, sizeof(stamp), "%" PRId64, now_ms);
    if (!value_ok(conf->access_key, sizeof(out->value)) || !value_ok(version, sizeof(out->value)) ||
        !value_ok(infno, sizeof(out->value)))
        return YB_EINVAL;

    char text[4 * sizeof(out->value) + 64];
    int tl = snprintf(text, sizeof(text),
                      "_api_access_key=%s&_api_name=%s&_api_timestamp=%s&_api_version=%s",
                      conf->access_key, infno, stamp, version);
    if (tl < 0 || (size_t)tl >= sizeof(text))
        return YB_ELIMIT;

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), conf->secret, (int)strlen(conf->secret), (const unsigned char *)text,
              (size_t)tl, mac, &mac_len))
        return YB_EIO;
    char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    EVP_EncodeBlock((unsigned char *)b64, mac, (int)mac_len);
    OPENSSL_cleanse(mac, sizeof(mac));

    int rc = 0;
    if ((rc = put_header(out, max, n, "_api_name", infno)) ||
        (rc = put_header(out, max, n, "_api_version", version)) ||
        (rc = put_header(out, max, n, "_api_timestamp", stamp)) ||
        (rc = put_header(out, max, n, "_api_access_key", conf->access_key)) ||
        (rc = put_header(out, max, n, "_api_signature", b64)))
        return rc;
    return 0;
}

/* x-tif-* scheme: upper hex SHA-256(timestamp + token + nonce + timestamp).
 * The pieces are fed to the digest one by one so the token is never copied
 * into a buffer that would need wiping. */
static int sign_tif(const struct yb_sign_conf *conf, int64_t now_ms, const char *nonce,
                    struct yb_header *out, size_t max, size_t *n)
{
    char own_nonce[33];
    if (!nonce) {
        if (yb_sign_nonce(own_nonce, sizeof(own_nonce)))
            return YB_EIO;
        nonce = own_nonce;
    }
    if (strlen(nonce) < 16 || !value_ok(nonce, sizeof(out->value)) ||
        !value_ok(conf->access_key, sizeof(out->value)))
        return YB_EINVAL;
    char stamp[24];
    snprintf(stamp, sizeof(stamp), "%" PRId64, now_ms / 1000);

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(ctx, stamp, strlen(stamp)) &&
        EVP_DigestUpdate(ctx, conf->secret, strlen(conf->secret)) &&
        EVP_DigestUpdate(ctx, nonce, strlen(nonce)) &&
        EVP_DigestUpdate(ctx, stamp, strlen(stamp)) && EVP_DigestFinal_ex(ctx, md, &md_len))
        ok = 1;
    EVP_MD_CTX_free(ctx); /* also wipes the digest state */
    if (!ok)
        return YB_EIO;

    char sig[2 * EVP_MAX_MD_SIZE + 1];
    yb_hex_encode(md, md_len, sig, 1);

    int rc = 0;
    if ((rc = put_header(out, max, n, "x-tif-paasid", conf->access_key)) ||
        (rc = put_header(out, max, n, "x-tif-timestamp", stamp)) ||
        (rc = put_header(out, max, n, "x-tif-nonce", nonce)) ||
        (rc = put_header(out, max, n, "x-tif-signature", sig)))
        return rc;
    return 0;
}

/* 1 if s is min..max characters, each an ASCII letter or digit or in extra
 * (no locale: isalnum would let a locale widen the set). */
static int word_ok(const char *s, size_t min, size_t max, const char *extra)
{
    if (!s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (n >= max || !(alnum || strchr(extra, c)))
            return 0;
    }
    return n >= min;
}

int yb_sign_ybgw_caller_ok(const char *s)
{
    return word_ok(s, 1, YB_SIGN_YBGW_CALLER_MAX, "._-");
}

int yb_sign_ybgw_nonce_ok(const char *s)
{
    return word_ok(s, YB_SIGN_YBGW_NONCE_MIN, YB_SIGN_YBGW_NONCE_MAX, "_-");
}

/* A field of the signed text: present, short, and without the newline that
 * separates fields (else "a\nb" + "c" would sign like "a" + "b\nc"). */
static int field_ok(const char *s)
{
    return s && *s && strnlen(s, 128) < 128 && !strchr(s, '\n');
}

int yb_sign_ybgw(const char *secret, const char *caller, const char *ms, const char *nonce,
                 const char *body, size_t len, char *hex)
{
    if (!secret || !*secret || !field_ok(caller) || !field_ok(ms) || !field_ok(nonce) ||
        (!body && len) || !hex)
        return YB_EINVAL;
    char body_hex[YB_SIGN_YBGW_HEX];
    if (yb_sha256_hex(body, len, body_hex))
        return YB_EIO;

    /* fields are < 128 bytes each (field_ok), so this cannot truncate */
    char text[4 * 128 + 96];
    int tl = snprintf(text, sizeof(text), "ybgw-v1\n%s\n%s\n%s\n%s", caller, ms, nonce, body_hex);
    if (tl < 0 || (size_t)tl >= sizeof(text))
        return YB_ELIMIT;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text, (size_t)tl,
              mac, &mac_len) ||
        mac_len != 32)
        return YB_EIO;
    yb_hex_encode(mac, mac_len, hex, 0);
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

int yb_sha256_hex(const void *data, size_t len, char out[YB_SIGN_YBGW_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!EVP_Digest(len ? data : "", len, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
        return YB_EIO;
    yb_hex_encode(md, md_len, out, 0);
    return 0;
}

/* ybgw scheme: the four X-Ybgw-* headers (auth.h has the wire format). */
static int sign_ybgw(const struct yb_sign_conf *conf, const char *body, size_t len, int64_t now_ms,
                     const char *nonce, struct yb_header *out, size_t max, size_t *n)
{
    char own_nonce[33];
    if (!nonce) {
        if (yb_sign_nonce(own_nonce, sizeof(own_nonce)))
            return YB_EIO;
        nonce = own_nonce;
    }
    if (!yb_sign_ybgw_caller_ok(conf->access_key) || !yb_sign_ybgw_nonce_ok(nonce))
        return YB_EINVAL;
    char stamp[24];
    snprintf(stamp, sizeof(stamp), "%" PRId64, now_ms);
    char sig[YB_SIGN_YBGW_HEX];
    int rc = yb_sign_ybgw(conf->secret, conf->access_key, stamp, nonce, body, len, sig);
    if (rc)
        return rc;
    if ((rc = put_header(out, max, n, "X-Ybgw-Caller", conf->access_key)) ||
        (rc = put_header(out, max, n, "X-Ybgw-Timestamp", stamp)) ||
        (rc = put_header(out, max, n, "X-Ybgw-Nonce", nonce)) ||
        (rc = put_header(out, max, n, "X-Ybgw-Signature", sig)))
        return rc;
    return 0;
}

int yb_sign_compute(const struct yb_sign_conf *conf, const char *infno, const char *body,
                    size_t len, int64_t now_ms, const char *nonce, struct yb_header *out,
                    size_t max, size_t *n)
{
    if (!conf || !n || (max && !out) || now_ms < 0 || (!body && len))
        return YB_EINVAL;
    *n = 0;
    if (conf->scheme == YB_SIGN_NONE)
        return 0;
    if (!conf->secret || !*conf->secret)
        return YB_EINVAL;
    int rc;
    if (conf->scheme == YB_SIGN_API)
        rc = sign_api(conf, infno, now_ms, out, max, n);
    else if (conf->scheme == YB_SIGN_TIF)
        rc = sign_tif(conf, now_ms, nonce, out, max, n);
    else if (conf->scheme == YB_SIGN_YBGW)
        rc = sign_ybgw(conf, body, len, now_ms, nonce, out, max, n);
    else
        rc = YB_EINVAL;
    if (rc)
        *n = 0; /* never hand out half a header set */
    return rc;
}

int yb_sign_nonce(char *buf, size_t cap)
{
    unsigned char raw[16];
    if (!buf || cap < 2 * sizeof(raw) + 1)
        return YB_EINVAL;
    if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
        return YB_EIO;
    yb_hex_encode(raw, sizeof(raw), buf, 0);
    return 0;
}

int yb_private_file_open(const char *path, const char *what, int *fd, char *err, size_t errlen)
{
    struct stat st;
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (*fd < 0) {
        snprintf(err, errlen, "%s %s: cannot open: %s", what, path, strerror(errno));
        return errno == ENOENT ? YB_ENOENT : YB_EIO;
    }
    int rc = YB_EINVAL;
    if (fstat(*fd, &st) != 0) {
        snprintf(err, errlen, "%s %s: cannot stat: %s", what, path, strerror(errno));
        rc = YB_EIO;
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file", what, path);
    } else if (st.st_mode & 077) {
        snprintf(err, errlen,
                 "%s %s must not be readable by group or others (mode 0%03o); chmod 600 it", what,
                 path, (unsigned)(st.st_mode & 0777));
    } else {
        return 0;
    }
    close(*fd);
    *fd = -1;
    return rc;
}

/*
 * The secret file is checked on the opened descriptor (fstat), so the file
 * that was checked is the file that is read. Group or other access of any
 * kind is refused: a secret readable by a group is readable by whoever is
 * put into that group later, and the fix is one chmod.
 */
int yb_sign_load_secret(const char *path, char **out, char *err, size_t errlen)
{
    int rc = YB_EIO;
    int fd = -1;
    char *buf = NULL;
    size_t len = 0;

    if (!path || !out)
        return YB_EINVAL;
    *out = NULL;
    if ((rc = yb_private_file_open(path, "secret file", &fd, err, errlen)))
        goto cleanup;
    rc = YB_EIO;
    /* One byte more than allowed, to tell "exactly at the cap" from "over". */
    buf = malloc(SECRET_MAX + 1);
    if (!buf) {
        rc = YB_ENOMEM;
        snprintf(err, errlen, "secret file %s: out of memory", path);
        goto cleanup;
    }
    while (len < SECRET_MAX + 1) {
        ssize_t got = read(fd, buf + len, SECRET_MAX + 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "secret file %s: read error: %s", path, strerror(errno));
            goto cleanup;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (len > SECRET_MAX) {
        rc = YB_ELIMIT;
        snprintf(err, errlen, "secret file %s is larger than %d bytes", path, SECRET_MAX);
        goto cleanup;
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len == 0) {
        rc = YB_EINVAL;
        snprintf(err, errlen, "secret file %s is empty", path);
        goto cleanup;
    }
    /* The secret is used as a C string (HMAC key, digest input): an inner NUL
     * would silently shorten it. */
    if (memchr(buf, '\0', len)) {
        rc = YB_EINVAL;
        snprintf(err, errlen, "secret file %s contains a NUL byte", path);
        goto cleanup;
    }
    char *secret = malloc(len + 1);
    if (!secret) {
        rc = YB_ENOMEM;
        snprintf(err, errlen, "secret file %s: out of memory", path);
        goto cleanup;
    }
    memcpy(secret, buf, len);
    secret[len] = '\0';
    *out = secret;
    rc = 0;
cleanup:
    if (buf) {
        OPENSSL_cleanse(buf, SECRET_MAX + 1);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}
