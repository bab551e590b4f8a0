/*
 * seal.h - sealing personal data at rest: AES-256-GCM under a 32-byte key
 * (journal.h `key_file`), used by the journal writer to store the full
 * request and response texts and by `ybgwctl journal show --reveal`.
 *
 * A sealed value is: "YBS1" (4 bytes) || a random 12-byte nonce ||
 * ciphertext (as long as the plain text) || the 16-byte GCM tag. The magic
 * and version are the additional authenticated data, so a sealed value from
 * another scheme or a cut value never opens.
 */
#ifndef YB_SEAL_H
#define YB_SEAL_H

#include <stddef.h>

#define YB_SEAL_KEY 32
#define YB_SEAL_OVERHEAD (4 + 12 + 16)

/* Seal in[0..len) into a new malloc'd buffer (*out, *outlen = len +
 * YB_SEAL_OVERHEAD); the caller frees it. 0, YB_ENOMEM or YB_EIO. */
int yb_seal(const unsigned char key[YB_SEAL_KEY], const void *in, size_t len, unsigned char **out,
            size_t *outlen);

/* Open a sealed value into a new malloc'd, NUL-terminated buffer (*out,
 * *outlen without the NUL). YB_EINVAL when it is not a sealed value, was
 * altered, or the key is not the one it was sealed with. */
int yb_unseal(const unsigned char key[YB_SEAL_KEY], const void *in, size_t len, char **out,
              size_t *outlen);

/* Read a key file: 64 hex digits (whitespace around ignored) or exactly 32
 * raw bytes; refused when group- or world-readable. 0, or YB_E* with the
 * reason (naming the file, never the key) in err. */
int yb_seal_load_key(const char *path, unsigned char key[YB_SEAL_KEY], char *err, size_t errlen);

#endif
