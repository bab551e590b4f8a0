/*
 * seal_test.c - sealing personal data at rest (seal.c): a value sealed
 * opens to the same bytes with the same key and never with another; any
 * flipped or missing byte is refused; the format is the one seal.h
 * documents; key files in hex or raw form load, and a readable-by-others,
 * short or missing one is refused without showing the key.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "testutil.h"
#include "ybgw/ybgw.h"

#define TEXT "{\"certno\":\"450103199001011234\",\"psn_name\":\"张三\"}"

static unsigned char key[YB_SEAL_KEY], other[YB_SEAL_KEY];
static char dir[] = "/tmp/seal_testXXXXXX";

static void make_keys(void)
{
    for (int i = 0; i < YB_SEAL_KEY; i++) {
        key[i] = (unsigned char)(i * 7 + 1);
        other[i] = (unsigned char)(i * 7 + 2);
    }
}

static void test_round_trip(void)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0, len = 0;
    char *plain = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_seal(key, TEXT, strlen(TEXT), &sealed, &sealed_len), 0);
    CU_ASSERT_EQUAL(sealed_len, strlen(TEXT) + YB_SEAL_OVERHEAD);
    CU_ASSERT_EQUAL(memcmp(sealed, "YBS1", 4), 0);
    /* the plain text is nowhere in the sealed value */
    CU_ASSERT_PTR_NULL(memmem(sealed, sealed_len, "450103199001011234", 18));
    CU_ASSERT_EQUAL_FATAL(yb_unseal(key, sealed, sealed_len, &plain, &len), 0);
    CU_ASSERT_EQUAL(len, strlen(TEXT));
    CU_ASSERT_STRING_EQUAL(plain, TEXT);
    free(plain);

    /* a fresh nonce each time: the same text seals differently */
    unsigned char *again = NULL;
    size_t again_len = 0;
    CU_ASSERT_EQUAL_FATAL(yb_seal(key, TEXT, strlen(TEXT), &again, &again_len), 0);
    CU_ASSERT_EQUAL(again_len, sealed_len);
    CU_ASSERT_NOT_EQUAL(memcmp(again + 4, sealed + 4, 12), 0);
    free(again);
    free(sealed);
}

static void test_empty(void)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0, len = 99;
    char *plain = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_seal(key, "", 0, &sealed, &sealed_len), 0);
    CU_ASSERT_EQUAL(sealed_len, (size_t)YB_SEAL_OVERHEAD);
    CU_ASSERT_EQUAL_FATAL(yb_unseal(key, sealed, sealed_len, &plain, &len), 0);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_STRING_EQUAL(plain, "");
    free(plain);
    free(sealed);
}

static void test_tampered(void)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0, len = 0;
    char *plain = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_seal(key, TEXT, strlen(TEXT), &sealed, &sealed_len), 0);
    /* every single flipped byte (magic, nonce, body, tag) is refused */
    for (size_t i = 0; i < sealed_len; i++) {
        sealed[i] ^= 0x01;
        plain = (char *)1;
        CU_ASSERT_EQUAL(yb_unseal(key, sealed, sealed_len, &plain, &len), YB_EINVAL);
        CU_ASSERT_PTR_NULL(plain);
        sealed[i] ^= 0x01;
    }
    /* cut short, or too short to be a sealed value */
    CU_ASSERT_EQUAL(yb_unseal(key, sealed, sealed_len - 1, &plain, &len), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_unseal(key, sealed, 10, &plain, &len), YB_EINVAL);
    CU_ASSERT_EQUAL(yb_unseal(key, "plain text, not sealed at all!!!!!!", 35, &plain, &len),
                    YB_EINVAL);
    /* intact, it still opens */
    CU_ASSERT_EQUAL(yb_unseal(key, sealed, sealed_len, &plain, &len), 0);
    free(plain);
    free(sealed);
}

static void test_wrong_key(void)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0, len = 0;
    char *plain = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_seal(key, TEXT, strlen(TEXT), &sealed, &sealed_len), 0);
    CU_ASSERT_EQUAL(yb_unseal(other, sealed, sealed_len, &plain, &len), YB_EINVAL);
    CU_ASSERT_PTR_NULL(plain);
    free(sealed);
}

static const char *write_key_file(const char *name, const void *data, size_t len, mode_t mode)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
    close(fd);
    chmod(path, mode);
    return path;
}

static void test_load_key(void)
{
    unsigned char got[YB_SEAL_KEY];
    char err[512], hex[80];
    for (int i = 0; i < YB_SEAL_KEY; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);

    /* hex with whitespace around it */
    char text[100];
    snprintf(text, sizeof(text), "  %s\n", hex);
    const char *path = write_key_file("hex.key", text, strlen(text), 0600);
    memset(got, 0, sizeof(got));
    CU_ASSERT_EQUAL(yb_seal_load_key(path, got, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(memcmp(got, key, YB_SEAL_KEY), 0);

    /* 32 raw bytes, a newline and a NUL among them */
    unsigned char raw[YB_SEAL_KEY];
    memcpy(raw, other, sizeof(raw));
    raw[5] = '\n';
    raw[31] = '\0';
    path = write_key_file("raw.key", raw, sizeof(raw), 0400);
    CU_ASSERT_EQUAL(yb_seal_load_key(path, got, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(memcmp(got, raw, YB_SEAL_KEY), 0);

    /* readable by the group: refused, and the message names the file, not the key */
    path = write_key_file("open.key", text, strlen(text), 0640);
    err[0] = '\0';
    CU_ASSERT_EQUAL(yb_seal_load_key(path, got, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "open.key"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_PTR_NULL(strstr(err, hex));

    /* 63 hex digits, and a non-hex character */
    path = write_key_file("short.key", hex, 63, 0600);
    CU_ASSERT_EQUAL(yb_seal_load_key(path, got, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "64 hex digits"));
    CU_ASSERT_PTR_NULL(strstr(err, "0108"));
    char bad[65];
    memcpy(bad, hex, 64);
    bad[10] = 'g';
    path = write_key_file("bad.key", bad, 64, 0600);
    CU_ASSERT_EQUAL(yb_seal_load_key(path, got, err, sizeof(err)), YB_EINVAL);

    /* missing */
    snprintf(text, sizeof(text), "%s/none.key", dir);
    CU_ASSERT_EQUAL(yb_seal_load_key(text, got, err, sizeof(err)), YB_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "none.key"));
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_round_trip), YB_TEST(test_empty),    YB_TEST(test_tampered),
        YB_TEST(test_wrong_key),  YB_TEST(test_load_key), YB_TEST_END,
    };
    make_keys();
    if (!mkdtemp(dir))
        return 2;
    int rc = yb_test_main("seal", tests);
    yb_test_remove_tree(dir);
    return rc;
}
