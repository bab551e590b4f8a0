/*
 * auth.h - who is calling: caller authentication for the HIS systems and
 * the other ybgws (a relay, 异地就医 across provinces) that call this gateway.
 *
 * A caller is a name, a credential, the institutions (fixmedins_code) it may
 * speak for, and optionally a rate limit. The credential is a secret shared
 * with this gateway (the caller signs every request: sign.c, scheme `ybgw`),
 * or a client certificate (mutual TLS on the HIS listener, tls.h), or both.
 * Either is checked before the message is decoded, so an unsigned or forged
 * request costs a header check and one HMAC (or nothing beyond the TLS
 * handshake), never a parse.
 *
 * Wire format, four request headers:
 *   X-Ybgw-Caller: NAME        1-64 of [A-Za-z0-9._-], a `caller NAME { }` here
 *   X-Ybgw-Timestamp: MS       Unix time in milliseconds, decimal (1-15 digits)
 *   X-Ybgw-Nonce: N            16-64 of [A-Za-z0-9_-], random per request
 *   X-Ybgw-Signature: HEX      lowercase hex HMAC-SHA256(secret,
 *        "ybgw-v1\n" NAME "\n" MS "\n" N "\n" lowercase-hex(SHA-256(body)))
 * The body is hashed exactly as received (bytes, before any decoding), and
 * MS as the header's text, never as a re-formatted number.
 *
 * A request is accepted when the caller is known, |now - MS| <= auth_window,
 * the signature matches (compared in constant time) and the nonce was not
 * seen from that caller while its timestamp could still pass. The replay
 * cache (struct yb_nonce_cache) is process-wide: one for all workers, kept
 * across reloads, bounded; when full of live nonces it refuses new requests
 * (auth_busy) rather than forget one.
 *
 * Configuration (the settings module calls yb_auth_caller_conf per block):
 *   caller_auth on;              # requests from no configured caller are refused
 *   auth_window 5m;              # default 300000 ms
 *   auth_nonces 1000000;         # replay cache capacity
 *   caller hosp-nanning {
 *       secret_file secrets/hosp-nanning.key;  # HMAC signing (mode 0600), and/or
 *       certificate 5F:3A:...:9C;              # SHA-256 of its client certificate (tls.h);
 *                                              # repeatable (a renewal is one more line)
 *       institutions H45*;                     # whom it may speak for
 *       rate 50/s burst 100;                   # optional: N/s or N/m (ratelimit.h)
 *   }
 *   tls { ... }                  # the HIS listener's TLS (tls.h), kept in struct
 *                                # yb_auth_conf because its client certificates
 *                                # are callers' credentials
 * A caller needs a secret_file or a certificate (or both). A fingerprint
 * belongs to one caller only. A certificate caller needs a tls block that
 * asks for client certificates (verify_client on or optional), checked by
 * yb_auth_conf_check once the whole file is read.
 *
 * Which credential decides (txn.c): a request over TLS whose client
 * certificate verified and is a caller's is that caller's; if it also
 * carries X-Ybgw-Caller, the header must name the same caller and the
 * signature must check out. Without such a certificate the signing headers
 * decide, as before. With neither, the request is anonymous: refused when
 * caller_auth is on. The caller's institutions and rate limit then apply,
 * however it was identified.
 *
 * Secrets never appear in any message or log line, and are wiped on free.
 */
#ifndef YB_AUTH_H
#define YB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "ratelimit.h"
#include "tls.h"

struct yb_conf;

#define YB_AUTH_WINDOW_DEFAULT 300000L /* ms */
#define YB_AUTH_NONCES_DEFAULT 1000000u
#define YB_AUTH_NONCES_MAX (1u << 26) /* ~2 GiB of cache; a larger value is a typo */
#define YB_AUTH_CALLERS_MAX 4096
#define YB_AUTH_PATTERNS_MAX 256   /* institution patterns per caller */
#define YB_AUTH_PATTERN_LEN_MAX 32 /* characters in one pattern */
#define YB_AUTH_CERTIFICATES_MAX 16 /* fingerprints per caller */

struct yb_caller {
    char *name;
    char *secret;        /* from secret_file, or NULL (certificate only); wiped on
                            free; never logged */
    char **institutions; /* patterns: an exact fixmedins_code, a prefix ending
                            in '*' (H45*), or "*" alone = any */
    int n_institutions;
    unsigned char (*certificates)[YB_TLS_FINGERPRINT_LEN]; /* SHA-256 fingerprints */
    int n_certificates;
    struct yb_rate rate; /* rate N/s [burst M]; per 0: no limit */
};

struct yb_auth_conf {
    int required;      /* caller_auth on: unsigned requests are refused */
    long window_ms;    /* auth_window: |now - timestamp| allowed; 0 = the default */
    size_t max_nonces; /* auth_nonces: replay cache capacity; 0 = the default */
    struct yb_caller *callers;
    int n_callers;
    struct yb_tls_conf tls; /* tls { }: the HIS listener's TLS (tls.h) */
};

/* Set the defaults (window, capacity) in a zeroed or fresh struct. */
void yb_auth_conf_init(struct yb_auth_conf *a);

/* Parse one `caller NAME { secret_file FILE; certificate FP; institutions
 * PATTERN...; rate N/s [burst M]; }` block (d is the `caller` directive) and
 * append it to a. FILE is relative to the file that names it; a group- or
 * world-readable secret file is refused (yb_sign_load_secret).
 * `institutions` and `certificate` may repeat and add up. A duplicate name,
 * a bad name, neither secret_file nor certificate, no institutions, an
 * unknown directive in the block, a bad pattern, fingerprint or rate, or a
 * fingerprint another caller already has: YB_EINVAL with "file:line: reason"
 * in err, and a is left as it was. Pointers from yb_auth_find are
 * invalidated by a later append. */
int yb_auth_caller_conf(const struct yb_conf *d, struct yb_auth_conf *a, char *err, size_t errlen);

/* Checks that span directives, once the whole file is read (root is its
 * tree, for file:line): a caller with a certificate needs a tls block with
 * verify_client on or optional. 0 or YB_EINVAL with err. */
int yb_auth_conf_check(const struct yb_auth_conf *a, const struct yb_conf *root, char *err,
                       size_t errlen);

/* Free the callers (wiping their secrets) and the tls block, and leave a
 * empty (n_callers 0); required, window_ms and max_nonces are kept. */
void yb_auth_conf_free(struct yb_auth_conf *a);

/* The caller called name, or NULL. */
const struct yb_caller *yb_auth_find(const struct yb_auth_conf *a, const char *name);

/* The caller whose `certificate` is fp (a SHA-256 fingerprint), or NULL. */
const struct yb_caller *yb_auth_find_certificate(const struct yb_auth_conf *a,
                                                 const unsigned char fp[YB_TLS_FINGERPRINT_LEN]);

/* ---- the replay cache ---- */
struct yb_nonce_cache;

/* A cache that holds at most max nonces (0: YB_AUTH_NONCES_DEFAULT). Memory
 * grows with use, up to about 40 bytes a nonce. NULL when max is above
 * YB_AUTH_NONCES_MAX or memory runs out. Thread-safe; free once, after the
 * last user. */
struct yb_nonce_cache *yb_nonce_cache_new(size_t max);
void yb_nonce_cache_free(struct yb_nonce_cache *nc);

/* Record (caller, nonce). 0: first sighting, remembered until
 * now_ms + window_ms (inclusive); YB_EEXIST: seen and still remembered (a
 * replay); YB_ELIMIT: full even after dropping expired ones (a live nonce is
 * never forgotten early: the add is refused instead); YB_EINVAL: bad
 * argument. Each add first drops every expired entry. */
int yb_nonce_cache_add(struct yb_nonce_cache *nc, const char *caller, const char *nonce,
                       int64_t now_ms, long window_ms);

/* A reload with another auth_nonces: the new capacity applies to the next
 * adds (a smaller one refuses adds until enough entries expire; nothing is
 * forgotten early). 0 = the default. YB_EINVAL above YB_AUTH_NONCES_MAX. */
int yb_nonce_cache_set_max(struct yb_nonce_cache *nc, size_t max);

/* Nonces held now (live or not yet dropped), for metrics and tests. */
size_t yb_nonce_cache_count(struct yb_nonce_cache *nc);

/* ---- checking one request ---- */
struct yb_auth_request {
    const char *caller, *timestamp, *nonce, *signature; /* header values or NULL */
    const char *body;
    size_t len;
};

/* Verify one request against a's callers. On success 0 and *out (the caller,
 * owned by a). Otherwise a negative YB_E*, *rule set to a stable word and
 * err to a sentence for the caller's IT staff that names the header and
 * what is wrong (never the secret, never the expected signature):
 *   auth_missing    a header is absent or empty            YB_EINVAL
 *   auth_caller     bad or unknown caller name             YB_EINVAL / YB_ENOENT
 *   auth_time       bad timestamp, or outside the window   YB_EINVAL
 *   auth_nonce      nonce of the wrong length or charset   YB_EINVAL
 *   auth_signature  malformed, or not this body's, or the   YB_EINVAL
 *                   caller has no secret_file here (it
 *                   authenticates by certificate only)
 *   auth_replay     nonce already used                     YB_EEXIST
 *   auth_busy       replay cache full                      YB_ELIMIT
 * The nonce is recorded only once the signature checks out, so a forger
 * cannot fill the cache. A timestamp ahead of now is remembered until it
 * leaves the window (window + the lead), so a replay cannot outlive its
 * nonce. Whether an unsigned request may pass (a->required off and no
 * X-Ybgw-Caller) is the caller's decision: this function always checks. */
int yb_auth_verify(const struct yb_auth_conf *a, struct yb_nonce_cache *nc,
                   const struct yb_auth_request *r, int64_t now_ms, const struct yb_caller **out,
                   const char **rule, char *err, size_t errlen);

/* 1 if the caller may speak for fixmedins_code, else 0 (also for NULL or ""). */
int yb_auth_institution_ok(const struct yb_caller *c, const char *fixmedins_code);

#endif
