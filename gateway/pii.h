/*
 * pii.h - personal data (个人信息) in messages: which fields hold it and how
 * it is masked wherever ybgw writes a message or a value down (logs, the
 * journal, exports).
 *
 * A field is personal by its name, wherever it sits in the message
 * (input.data.certno, output.baseinfo.certno, feedetail[3].psn_name ...).
 * Each personal field has a kind, and the kind decides the mask:
 *
 *   id       identity numbers (certno, mdtrt_cert_no, card numbers): the
 *            first 6 and the last 4 characters stay when the value is longer
 *            than 12, the rest become '*' ("450103********1234"); a shorter
 *            value keeps its last 2 only.
 *   name     people's names: the first character (UTF-8 aware) stays, each
 *            further character becomes one '*' ("张**").
 *   phone    phone numbers: the first 3 and the last 4 stay when longer than
 *            8, else the last 2 ("138****5678").
 *   address  addresses: the first 6 characters (UTF-8) stay, the rest '*'.
 *   secret   anything else that must not be read at all: "***".
 *   text     free text that may quote personal values (err_msg, warn_msg:
 *            `data.certno: "4501..." is longer than 50`): those values are
 *            masked as yb_pii_mask_text says, the rest of the text stays.
 *
 * The built-in list (yb_pii_new) is the platform's personal fields as they
 * appear in conf/schemas/: identity numbers, names, phones and addresses,
 * and the envelope's err_msg and warn_msg as text.
 * The configuration adds or overrides fields, top level in ybgw.conf:
 *   personal_field NAME id|name|phone|address|secret|text|none;
 * ("none" removes a built-in one). A mask never lengthens the value in
 * characters and never reveals more than the rule says, whatever the input
 * (empty, one byte, invalid UTF-8: invalid bytes count as one character).
 * A value the rule would leave whole keeps only half of its characters
 * ("张" -> "*", "12" -> "*2"); a secret shorter than 3 characters gives one
 * '*' per character. Kept characters that are invalid bytes or control
 * characters come out as '?', so a mask is always printable UTF-8. Field
 * names match regardless of ASCII case ("CERTNO" is certno).
 */
#ifndef YB_PII_H
#define YB_PII_H

#include <stddef.h>

struct yb_buf;

struct yb_conf;
struct yb_node;
struct yb_pool;

enum yb_pii_kind {
    YB_PII_NONE = 0,
    YB_PII_ID,
    YB_PII_NAME,
    YB_PII_PHONE,
    YB_PII_ADDRESS,
    YB_PII_SECRET,
    YB_PII_TEXT,
};

struct yb_pii;

/* The built-in list. NULL when memory runs out. Read-only after set-up, so
 * it may be shared by threads. */
struct yb_pii *yb_pii_new(void);
/* A copy (for a component that outlives the configuration it came from). */
struct yb_pii *yb_pii_dup(const struct yb_pii *p);
void yb_pii_free(struct yb_pii *p);

/* Apply one `personal_field NAME KIND;` directive. YB_EINVAL with
 * "file:line: reason" for a bad kind or name. */
int yb_pii_conf(struct yb_pii *p, const struct yb_conf *d, char *err, size_t errlen);

/* The kind of field NAME (YB_PII_NONE when it is not personal). */
int yb_pii_kind(const struct yb_pii *p, const char *field);

/* Mask in[0..len) by KIND into out (NUL-terminated, cut to cap). Returns the
 * length written. KIND YB_PII_NONE copies; YB_PII_TEXT, without a field
 * list here, masks only bare identity and mobile numbers. */
size_t yb_pii_mask(int kind, const char *in, size_t len, char *out, size_t cap);

/* Mask personal values inside free text in[0..len) (an err_msg, a finding,
 * a platform's message) into out (NUL-terminated, cut to cap); returns the
 * length written, never more than len. A value is personal when it follows
 * a personal field name: quoted (`certno "4501..."`, `data.certno: "..."`,
 * `"certno":"..."`) or after ':' or '=' (`tel=138...`). A bare identity
 * number (15 digits, or 17 and a digit or X) or mobile number (11 digits
 * from 13-19) standing alone is masked too. Everything else is copied. */
size_t yb_pii_mask_text(const struct yb_pii *p, const char *in, size_t len, char *out, size_t cap);

/* Mask every personal scalar value anywhere under root, in place (new text
 * from pool). Returns the number of values masked, or YB_ENOMEM. */
int yb_pii_mask_tree(const struct yb_pii *p, struct yb_pool *pool, struct yb_node *root);

/* Encode root as JSON with every personal value masked, as
 * yb_pii_mask_tree and yb_json_encode would give, without changing the
 * tree. 0 or a negative YB_E*. */
int yb_pii_encode(const struct yb_pii *p, const struct yb_node *root, struct yb_buf *out);

#endif
