/*
 * seal.c - personal data sealed at rest with AES-256-GCM (seal.h has the
 * format), and the journal key file.
 *
 * The journal writer seals the full request and response texts of a
 * transaction under `personal encrypt`; `ybgwctl journal show --reveal`
 * opens them. Every value gets a fresh random 96-bit nonce from RAND_bytes,
 * so one key can seal many values (GCM's limit, 2^32 random nonces per key,
 * is far above a journal's life between key changes).
 *
 * The key file is read here rather than with yb_sign_load_secret (sign.c):
 * a raw 32-byte key may hold NUL or newline bytes, which a text secret
 * loses. The permission rule is the same: a file group or others can read
 * is refused. No error names the key's content, and every copy of key
 * material is wiped with OPENSSL_cleanse.
 */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sign.h"
#include "ybgw/ybgw.h"

#define MAGIC "YBS1"
#define MAGIC_LEN 4
#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_FILE_MAX 4096

int yb_seal(const unsigned char key[YB_SEAL_KEY], const void *in, size_t len, unsigned char **out,
            size_t *outlen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *buf = NULL;
    int rc = YB_EIO, n = 0;
    if (!key || !out || !outlen || (!in && len) || len > INT_MAX - YB_SEAL_OVERHEAD)
        return YB_EINVAL;
    *out = NULL;
    *outlen = 0;
    buf = malloc(len + YB_SEAL_OVERHEAD);
    if (!buf)
        return YB_ENOMEM;
    memcpy(buf, MAGIC, MAGIC_LEN);
    unsigned char *nonce = buf + MAGIC_LEN, *body = nonce + NONCE_LEN, *tag = body + len;
    if (RAND_bytes(nonce, NONCE_LEN) != 1)
        goto fail;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)MAGIC, MAGIC_LEN) != 1)
        goto fail;
    if (len && EVP_EncryptUpdate(ctx, body, &n, in, (int)len) != 1)
        goto fail;
    if (EVP_EncryptFinal_ex(ctx, body + (len ? (size_t)n : 0), &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
        goto fail;
    *out = buf;
    *outlen = len + YB_SEAL_OVERHEAD;
    buf = NULL;
    rc = 0;
fail:
    EVP_CIPHER_CTX_free(ctx);
    free(buf);
    return rc;
}

int yb_unseal(const unsigned char key[YB_SEAL_KEY], const void *in, size_t len, char **out,
              size_t *outlen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    char *buf = NULL;
    int rc = YB_EINVAL, n = 0;
    if (!key || !out || !outlen)
        return YB_EINVAL;
    *out = NULL;
    *outlen = 0;
    const unsigned char *p = in;
    if (!p || len < YB_SEAL_OVERHEAD || len - YB_SEAL_OVERHEAD > INT_MAX ||
        memcmp(p, MAGIC, MAGIC_LEN) != 0)
        return YB_EINVAL;
    size_t plain = len - YB_SEAL_OVERHEAD;
    const unsigned char *nonce = p + MAGIC_LEN, *body = nonce + NONCE_LEN, *tag = body + plain;
    unsigned char tagcopy[TAG_LEN];
    memcpy(tagcopy, tag, TAG_LEN);
    buf = malloc(plain + 1);
    if (!buf)
        return YB_ENOMEM;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) {
        rc = YB_ENOMEM;
        goto fail;
    }
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)MAGIC, MAGIC_LEN) != 1)
        goto fail;
    if (plain && EVP_DecryptUpdate(ctx, (unsigned char *)buf, &n, body, (int)plain) != 1)
        goto fail;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tagcopy) != 1)
        goto fail;
    /* the tag check: an altered value or another key ends here */
    if (EVP_DecryptFinal_ex(ctx, (unsigned char *)buf + (plain ? (size_t)n : 0), &n) != 1)
        goto fail;
    buf[plain] = '\0';
    *out = buf;
    *outlen = plain;
    buf = NULL;
    rc = 0;
fail:
    EVP_CIPHER_CTX_free(ctx);
    if (buf) {
        OPENSSL_cleanse(buf, plain);
        free(buf);
    }
    return rc;
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

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The key from the file's bytes: exactly 32 raw bytes, or 64 hex digits
 * with whitespace around. */
static int parse_key(const char *path, const char *buf, size_t len, unsigned char *key, char *err,
                     size_t errlen)
{
    if (len == YB_SEAL_KEY) {
        memcpy(key, buf, YB_SEAL_KEY);
        return 0;
    }
    size_t start = 0, end = len;
    while (start < end && is_space(buf[start]))
        start++;
    while (end > start && is_space(buf[end - 1]))
        end--;
    if (end - start != 2 * YB_SEAL_KEY)
        goto bad;
    for (size_t i = 0; i < YB_SEAL_KEY; i++) {
        int hi = hex_value(buf[start + 2 * i]), lo = hex_value(buf[start + 2 * i + 1]);
        if (hi < 0 || lo < 0)
            goto bad;
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
bad:
    OPENSSL_cleanse(key, YB_SEAL_KEY);
    snprintf(err, errlen,
             "key file %s must hold 64 hex digits or exactly 32 bytes (it holds %zu bytes); "
             "make one with: head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE",
             path, len);
    return YB_EINVAL;
}

int yb_seal_load_key(const char *path, unsigned char key[YB_SEAL_KEY], char *err, size_t errlen)
{
    int rc = YB_EIO, fd = -1;
    char buf[KEY_FILE_MAX + 1];
    size_t len = 0;
    if (!path || !key)
        return YB_EINVAL;
    if ((rc = yb_private_file_open(path, "key file", &fd, err, errlen)))
        goto fail;
    rc = YB_EIO;
    while (len < sizeof(buf)) {
        ssize_t got = read(fd, buf + len, sizeof(buf) - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "key file %s: read error: %s", path, strerror(errno));
            goto fail;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (len > KEY_FILE_MAX) {
        rc = YB_ELIMIT;
        snprintf(err, errlen, "key file %s is larger than %d bytes: is it the right file?", path,
                 KEY_FILE_MAX);
        goto fail;
    }
    rc = parse_key(path, buf, len, key, err, errlen);
fail:
    OPENSSL_cleanse(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    return rc;
}
