/*
 * auth.c - caller authentication: the `caller` blocks of the configuration
 * (secret, certificate fingerprints, institutions, rate) and the check of
 * one signed request (auth.h has the wire format). The process-wide replay
 * cache the check records nonces in is nonce_cache.c.
 *
 * Where it sits on a message's path: the transaction hands the four X-Ybgw-*
 * headers and the raw body to yb_auth_verify before anything is decoded, so
 * a request from nobody costs a few comparisons and one HMAC. The signed
 * text itself is built by sign.c (yb_sign_ybgw), the same code the calling
 * ybgw signs with, so the two sides cannot drift apart. A caller known by
 * its client certificate is looked up with yb_auth_find_certificate; the
 * TLS side of that is tls.c.
 */
#include "auth.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "sign.h"
#include "ybgw/ybgw.h"

/* ---- configuration ---- */

void yb_auth_conf_init(struct yb_auth_conf *a)
{
    if (!a)
        return;
    a->window_ms = YB_AUTH_WINDOW_DEFAULT;
    a->max_nonces = YB_AUTH_NONCES_DEFAULT;
}

static void wipe_free(char *secret)
{
    if (secret) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
    }
}

static void caller_free(struct yb_caller *c)
{
    free(c->name);
    wipe_free(c->secret);
    for (int i = 0; i < c->n_institutions; i++)
        free(c->institutions[i]);
    free(c->institutions);
    free(c->certificates);
    memset(c, 0, sizeof(*c));
}

/* "*", or 1-32 letters and digits with an optional '*' at the end. */
static int pattern_ok(const char *p)
{
    if (strcmp(p, "*") == 0)
        return 1;
    size_t n = strnlen(p, YB_AUTH_PATTERN_LEN_MAX + 2);
    size_t stem = n && p[n - 1] == '*' ? n - 1 : n;
    if (stem == 0 || stem > YB_AUTH_PATTERN_LEN_MAX)
        return 0;
    for (size_t i = 0; i < stem; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static int set_secret_file(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                           char *err, size_t errlen)
{
    struct yb_caller *c = target;
    char why[512];
    (void)cmd;
    if (c->secret)
        return yb_conf_error(d, err, errlen, "caller \"%s\": secret_file is given twice", c->name);
    char *path = yb_conf_relative_path(d, d->argv[0]);
    if (!path)
        return yb_conf_error(d, err, errlen, "out of memory");
    why[0] = '\0';
    int rc = yb_sign_load_secret(path, &c->secret, why, sizeof(why));
    free(path);
    if (rc)
        return yb_conf_error(d, err, errlen, "caller \"%s\": %s", c->name, why);
    return 0;
}

static int set_institutions(const struct yb_conf *d, const struct yb_conf_command *cmd,
                            void *target, char *err, size_t errlen)
{
    struct yb_caller *c = target;
    (void)cmd;
    if (c->n_institutions + d->argc > YB_AUTH_PATTERNS_MAX)
        return yb_conf_error(d, err, errlen, "caller \"%s\": more than %d institution patterns",
                             c->name, YB_AUTH_PATTERNS_MAX);
    for (int i = 0; i < d->argc; i++)
        if (!pattern_ok(d->argv[i]))
            return yb_conf_error(d, err, errlen,
                                 "caller \"%s\": institution pattern \"%.40s\" is not valid: "
                                 "use a fixmedins_code (H45019900055), a prefix ending in * "
                                 "(H45*), or * alone for any",
                                 c->name, d->argv[i]);
    char **list =
        realloc(c->institutions, (size_t)(c->n_institutions + d->argc) * sizeof(*c->institutions));
    if (!list)
        return yb_conf_error(d, err, errlen, "out of memory");
    c->institutions = list;
    for (int i = 0; i < d->argc; i++) {
        if (!(list[c->n_institutions] = strdup(d->argv[i])))
            return yb_conf_error(d, err, errlen, "out of memory");
        c->n_institutions++;
    }
    return 0;
}

/* certificate SHA256-FINGERPRINT; (tls.h: hex, colons optional) */
static int set_certificate(const struct yb_conf *d, const struct yb_conf_command *cmd,
                           void *target, char *err, size_t errlen)
{
    struct yb_caller *c = target;
    unsigned char fp[YB_TLS_FINGERPRINT_LEN];
    (void)cmd;
    if (yb_tls_fingerprint_parse(d->argv[0], fp))
        return yb_conf_error(d, err, errlen,
                             "caller \"%s\": certificate \"%.100s\" is not a SHA-256 "
                             "fingerprint: give the 64 hex digits (colons optional) that "
                             "`openssl x509 -noout -fingerprint -sha256 -in CERT` prints",
                             c->name, d->argv[0]);
    for (int i = 0; i < c->n_certificates; i++)
        if (memcmp(c->certificates[i], fp, sizeof(fp)) == 0)
            return yb_conf_error(d, err, errlen, "caller \"%s\": certificate %.100s is given twice",
                                 c->name, d->argv[0]);
    if (c->n_certificates >= YB_AUTH_CERTIFICATES_MAX)
        return yb_conf_error(d, err, errlen, "caller \"%s\": more than %d certificates", c->name,
                             YB_AUTH_CERTIFICATES_MAX);
    unsigned char(*list)[YB_TLS_FINGERPRINT_LEN] =
        realloc(c->certificates, (size_t)(c->n_certificates + 1) * sizeof(*list));
    if (!list)
        return yb_conf_error(d, err, errlen, "out of memory");
    c->certificates = list;
    memcpy(list[c->n_certificates++], fp, sizeof(fp));
    return 0;
}

/* rate N/s; | rate N/m; | rate N/s burst M; */
static int set_rate(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                    char *err, size_t errlen)
{
    struct yb_caller *c = target;
    (void)cmd;
    if (c->rate.per)
        return yb_conf_error(d, err, errlen, "caller \"%s\": rate is given twice", c->name);
    if ((d->argc != 1 && d->argc != 3) || (d->argc == 3 && strcmp(d->argv[1], "burst") != 0) ||
        yb_rate_parse(d->argv[0], d->argc == 3 ? d->argv[2] : NULL, &c->rate))
        return yb_conf_error(d, err, errlen,
                             "caller \"%s\": rate takes N/s or N/m and an optional burst M "
                             "(rate 20/s burst 40;), N and M from 1 to %u",
                             c->name, YB_RATE_MAX);
    return 0;
}

static const struct yb_conf_command caller_commands[] = {
    {"secret_file", 1, 1, 0, set_secret_file, 0, 0},
    {"certificate", 1, 1, 0, set_certificate, 0, 0},
    {"institutions", 1, -1, 0, set_institutions, 0, 0},
    {"rate", 1, 3, 0, set_rate, 0, 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

/* The caller other than self that has a fingerprint of c, or NULL. */
static const struct yb_caller *certificate_taken(const struct yb_auth_conf *a,
                                                 const struct yb_caller *c, int *which)
{
    for (int i = 0; i < c->n_certificates; i++) {
        const struct yb_caller *owner = yb_auth_find_certificate(a, c->certificates[i]);
        if (owner) {
            *which = i;
            return owner;
        }
    }
    return NULL;
}

int yb_auth_caller_conf(const struct yb_conf *d, struct yb_auth_conf *a, char *err, size_t errlen)
{
    struct yb_caller c = {0};
    int rc = YB_EINVAL;
    if (!d || !a)
        return YB_EINVAL;
    if (d->argc != 1 || !d->has_block) {
        yb_conf_error(d, err, errlen,
                      "caller takes one name and a block: caller NAME { secret_file FILE; "
                      "(or certificate FINGERPRINT;) institutions PATTERN ...; }");
        goto fail;
    }
    const char *name = d->argv[0];
    if (!yb_sign_ybgw_caller_ok(name)) {
        yb_conf_error(d, err, errlen,
                      "caller name \"%.80s\" is not valid: use 1-64 letters, digits, '.', '_' "
                      "or '-'",
                      name);
        goto fail;
    }
    if (yb_auth_find(a, name)) {
        yb_conf_error(d, err, errlen, "caller \"%s\" is defined twice", name);
        goto fail;
    }
    if (a->n_callers >= YB_AUTH_CALLERS_MAX) {
        yb_conf_error(d, err, errlen, "more than %d callers", YB_AUTH_CALLERS_MAX);
        goto fail;
    }
    if (!(c.name = strdup(name))) {
        rc = YB_ENOMEM;
        yb_conf_error(d, err, errlen, "out of memory");
        goto fail;
    }
    if ((rc = yb_conf_apply(d, caller_commands, &c, err, errlen)))
        goto fail;
    rc = YB_EINVAL;
    if (!c.secret && c.n_certificates == 0) {
        yb_conf_error(d, err, errlen,
                      "caller \"%s\" has no secret_file and no certificate: add secret_file "
                      "FILE; (a file of mode 0600 holding the secret shared with the caller) or "
                      "certificate FINGERPRINT; (the SHA-256 of its TLS client certificate)",
                      name);
        goto fail;
    }
    int which = 0;
    const struct yb_caller *owner = certificate_taken(a, &c, &which);
    if (owner) {
        char text[YB_TLS_FINGERPRINT_TEXT];
        yb_tls_fingerprint_format(c.certificates[which], text);
        yb_conf_error(d, err, errlen,
                      "caller \"%s\": certificate %s is already caller \"%s\"'s: one "
                      "certificate identifies one caller",
                      name, text, owner->name);
        goto fail;
    }
    if (c.n_institutions == 0) {
        yb_conf_error(d, err, errlen,
                      "caller \"%s\" has no institutions: add institutions PATTERN ...; "
                      "(H45019900055, H45*, or * for any)",
                      name);
        goto fail;
    }
    struct yb_caller *list = realloc(a->callers, (size_t)(a->n_callers + 1) * sizeof(*list));
    if (!list) {
        rc = YB_ENOMEM;
        yb_conf_error(d, err, errlen, "out of memory");
        goto fail;
    }
    a->callers = list;
    list[a->n_callers++] = c;
    return 0;
fail:
    caller_free(&c);
    return rc;
}

int yb_auth_conf_check(const struct yb_auth_conf *a, const struct yb_conf *root, char *err,
                       size_t errlen)
{
    if (!a)
        return YB_EINVAL;
    int asks = a->tls.enabled && a->tls.verify_client != YB_TLS_VERIFY_OFF;
    for (int i = 0; i < a->n_callers && !asks; i++) {
        const struct yb_caller *c = &a->callers[i];
        if (c->n_certificates == 0)
            continue;
        /* point at the caller's block */
        const struct yb_conf *d = root ? root->children : NULL;
        while (d && !(strcmp(d->name, "caller") == 0 && d->argc == 1 &&
                      strcmp(d->argv[0], c->name) == 0))
            d = d->next;
        char why[400];
        snprintf(why, sizeof(why),
                 "caller \"%s\" has a certificate but the HIS listener does not ask for client "
                 "certificates: add tls { certificate FILE; key FILE; client_ca FILE; "
                 "verify_client optional; }",
                 c->name);
        if (!d && !root) {
            snprintf(err, errlen, "%s", why);
            return YB_EINVAL;
        }
        return yb_conf_error(d ? d : root, err, errlen, "%s", why);
    }
    return 0;
}

void yb_auth_conf_free(struct yb_auth_conf *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n_callers; i++)
        caller_free(&a->callers[i]);
    free(a->callers);
    a->callers = NULL;
    a->n_callers = 0;
    yb_tls_conf_free(&a->tls);
}

const struct yb_caller *yb_auth_find_certificate(const struct yb_auth_conf *a,
                                                 const unsigned char fp[YB_TLS_FINGERPRINT_LEN])
{
    if (!a || !fp)
        return NULL;
    for (int i = 0; i < a->n_callers; i++)
        for (int k = 0; k < a->callers[i].n_certificates; k++)
            if (memcmp(a->callers[i].certificates[k], fp, YB_TLS_FINGERPRINT_LEN) == 0)
                return &a->callers[i];
    return NULL;
}

const struct yb_caller *yb_auth_find(const struct yb_auth_conf *a, const char *name)
{
    if (!a || !name)
        return NULL;
    for (int i = 0; i < a->n_callers; i++)
        if (strcmp(a->callers[i].name, name) == 0)
            return &a->callers[i];
    return NULL;
}

int yb_auth_institution_ok(const struct yb_caller *c, const char *fixmedins_code)
{
    if (!c || !fixmedins_code || !*fixmedins_code)
        return 0;
    for (int i = 0; i < c->n_institutions; i++) {
        const char *p = c->institutions[i];
        size_t n = strlen(p);
        if (n && p[n - 1] == '*') {
            if (strncmp(p, fixmedins_code, n - 1) == 0)
                return 1;
        } else if (strcmp(p, fixmedins_code) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- checking one request ---- */

static int refuse(const char **rule, const char *word, int rc, char *err, size_t errlen,
                  const char *fmt, ...) YB_PRINTF(6, 7);
static int refuse(const char **rule, const char *word, int rc, char *err, size_t errlen,
                  const char *fmt, ...)
{
    if (rule)
        *rule = word;
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Unix milliseconds: 1-15 decimal digits (no sign, no spaces). */
static int parse_ms(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (n >= 15 || s[n] < '0' || s[n] > '9')
            return YB_EINVAL;
        v = v * 10 + (s[n] - '0');
    }
    *out = v;
    return n ? 0 : YB_EINVAL;
}

static int lower_hex64(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= 64 || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 64;
}

int yb_auth_verify(const struct yb_auth_conf *a, struct yb_nonce_cache *nc,
                   const struct yb_auth_request *r, int64_t now_ms, const struct yb_caller **out,
                   const char **rule, char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (!a || !nc || !r || !out || now_ms < 0 || (!r->body && r->len))
        return refuse(rule, "auth_missing", YB_EINVAL, err, errlen,
                      "the gateway could not check the caller (internal argument error)");
    static const char *const names[] = {"X-Ybgw-Caller", "X-Ybgw-Timestamp", "X-Ybgw-Nonce",
                                        "X-Ybgw-Signature"};
    const char *values[] = {r->caller, r->timestamp, r->nonce, r->signature};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        if (!values[i] || !*values[i])
            return refuse(rule, "auth_missing", YB_EINVAL, err, errlen,
                          "header %s is missing: calls to this gateway must be signed by a "
                          "configured caller (sign ybgw; with access_key and secret_file in the "
                          "calling gateway's upstream block)",
                          names[i]);

    if (!yb_sign_ybgw_caller_ok(r->caller))
        return refuse(rule, "auth_caller", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Caller is not a valid caller name: use 1-64 letters, "
                      "digits, '.', '_' or '-'");
    const struct yb_caller *c = yb_auth_find(a, r->caller);
    if (!c)
        return refuse(rule, "auth_caller", YB_ENOENT, err, errlen,
                      "header X-Ybgw-Caller \"%s\" is not a caller configured on this gateway: "
                      "check access_key on the calling gateway, or add caller %s { } here",
                      r->caller, r->caller);

    int64_t stamp = 0;
    if (parse_ms(r->timestamp, &stamp))
        return refuse(rule, "auth_time", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Timestamp must be Unix time in milliseconds (1-15 digits)");
    long window = a->window_ms > 0 ? a->window_ms : YB_AUTH_WINDOW_DEFAULT;
    int64_t diff = now_ms - stamp; /* both >= 0: cannot overflow */
    if (diff > window || -diff > window)
        return refuse(rule, "auth_time", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Timestamp is %lld s %s this gateway's clock, more than the "
                      "%ld s allowed: check the clock (NTP) of the calling gateway \"%s\"",
                      (long long)((diff > 0 ? diff : -diff) + 999) / 1000,
                      diff > 0 ? "behind" : "ahead of", (window + 999) / 1000, c->name);

    if (!yb_sign_ybgw_nonce_ok(r->nonce))
        return refuse(rule, "auth_nonce", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Nonce must be %d-%d letters, digits, '_' or '-', random "
                      "for each request",
                      YB_SIGN_YBGW_NONCE_MIN, YB_SIGN_YBGW_NONCE_MAX);

    if (!c->secret)
        return refuse(rule, "auth_signature", YB_EINVAL, err, errlen,
                      "caller \"%s\" has no secret_file on this gateway and cannot sign: it "
                      "authenticates by its TLS client certificate only (connect with that "
                      "certificate and leave out the X-Ybgw-* headers)",
                      c->name);
    if (!lower_hex64(r->signature))
        return refuse(rule, "auth_signature", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Signature must be 64 lowercase hex characters "
                      "(HMAC-SHA256)");
    char expected[YB_SIGN_YBGW_HEX];
    int rc = yb_sign_ybgw(c->secret, c->name, r->timestamp, r->nonce, r->body, r->len, expected);
    if (rc) {
        OPENSSL_cleanse(expected, sizeof(expected));
        return refuse(rule, "auth_signature", rc, err, errlen,
                      "the gateway could not compute the signature for caller \"%s\"", c->name);
    }
    int same = CRYPTO_memcmp(expected, r->signature, 64) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    if (!same)
        return refuse(rule, "auth_signature", YB_EINVAL, err, errlen,
                      "header X-Ybgw-Signature does not match this request from caller \"%s\": "
                      "the body or a header was changed on the way, or the calling gateway's "
                      "secret_file differs from the one configured here",
                      c->name);

    /* Remember the nonce until the timestamp leaves the window: a stamp
     * ahead of our clock stays acceptable for window + lead. */
    long keep = window + (stamp > now_ms ? (long)(stamp - now_ms) : 0);
    rc = yb_nonce_cache_add(nc, c->name, r->nonce, now_ms, keep);
    if (rc == YB_EEXIST)
        return refuse(rule, "auth_replay", YB_EEXIST, err, errlen,
                      "header X-Ybgw-Nonce was already used by caller \"%s\": each request "
                      "needs a fresh nonce (a retry must be signed again)",
                      c->name);
    if (rc == YB_ELIMIT)
        return refuse(rule, "auth_busy", YB_ELIMIT, err, errlen,
                      "this gateway is receiving more signed requests than its replay cache "
                      "holds (auth_nonces): try again in a few seconds");
    if (rc)
        return refuse(rule, "auth_busy", rc, err, errlen,
                      "this gateway could not record the request's X-Ybgw-Nonce (out of "
                      "memory): try again in a few seconds");
    *out = c;
    if (rule)
        *rule = NULL;
    return 0;
}
