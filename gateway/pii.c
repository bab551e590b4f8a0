/*
 * pii.c - which message fields hold personal data, and their masks (pii.h).
 *
 * Owns the table of personal field names: the built-in list (the platform's
 * identity numbers, names, phones and addresses as conf/schemas/ spell them)
 * plus the configuration's `personal_field NAME KIND;` rows. Every log line,
 * journal row and export that writes a message value down asks this table
 * first, so the lookup is an open-addressing hash with no allocation: a
 * message of a few thousand fields is walked in microseconds.
 *
 * Names match without regard to ASCII case: a HIS that sends "CERTNO" or
 * "CertNo" must not slip its patients' numbers past the masks.
 *
 * A mask works on characters, not bytes: a Chinese name is masked by
 * character ("张**"), and a byte that does not start a valid UTF-8 sequence
 * counts as one character. The output is always valid UTF-8 with no control
 * characters (a kept character that is a control or an invalid byte becomes
 * '?'), and never has more bytes or characters than the input, so a masked
 * value can go straight into a log line or back into the tree in place.
 * (Free text, kind text, is the exception: only the personal values found
 * in it are masked; its other bytes are copied as they are.)
 *
 * Free text (err_msg, a platform's message) cannot be masked by its field
 * name alone: the gateway's own findings quote the value they refuse
 * (`data.certno: "4501..." is longer than 50`) and platforms quote the
 * person they did not find. yb_pii_mask_text masks a value that follows a
 * personal field name, and bare identity and mobile numbers.
 *
 * psn_no (the platform's own person number) is deliberately not built in:
 * it is a pseudonym the platform issued, the journal keeps it for lookups,
 * and operators reconcile by it. `personal_field psn_no id;` masks it too.
 */
#include "pii.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec_json.h"
#include "conf.h"
#include "pool.h"
#include "tree.h"
#include "ybgw/ybgw.h"

#define PII_NAME_MAX 64     /* bytes in a field name */
#define PII_FIELDS_MAX 1024 /* names in one table (built-in and configured) */
#define PII_FIRST_CAP 64    /* slots; a power of two, kept at most half full */

struct pii_slot {
    char name[PII_NAME_MAX + 1]; /* lower case; "" marks a free slot */
    unsigned char len;
    unsigned char kind; /* YB_PII_NONE for a built-in one removed by `none` */
};

struct yb_pii {
    struct pii_slot *slots;
    size_t cap; /* a power of two */
    size_t used;
};

/* The platform's personal fields, as conf/schemas/ spell them. */
static const struct {
    const char *name;
    int kind;
} builtin[] = {
    /* identity numbers and cards: 1101, 2201, 2206/2207, 2303/2304, 2401, 4101 */
    {"certno", YB_PII_ID},
    {"mdtrt_cert_no", YB_PII_ID},
    {"card_sn", YB_PII_ID},
    {"hi_no", YB_PII_ID},
    /* the insured person and their contact (4101 setlinfo) */
    {"psn_name", YB_PII_NAME},
    {"coner_name", YB_PII_NAME},
    /* phones: 2401/2403/2501 tel, 4101 coner_tel and emp_tel */
    {"tel", YB_PII_PHONE},
    {"coner_tel", YB_PII_PHONE},
    {"emp_tel", YB_PII_PHONE},
    /* addresses: 2501 addr, 4101 curr_addr, coner_addr, emp_addr */
    {"addr", YB_PII_ADDRESS},
    {"curr_addr", YB_PII_ADDRESS},
    {"coner_addr", YB_PII_ADDRESS},
    {"emp_addr", YB_PII_ADDRESS},
    /* the answer's free text: the gateway's findings quote the values they
     * refuse, and platforms quote the person they did not find */
    {"err_msg", YB_PII_TEXT},
    {"warn_msg", YB_PII_TEXT},
};

static const char *const kind_words[] = {"none",    "id",     "name", "phone",
                                         "address", "secret", "text", NULL};

/* ---- the name table ---- */

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* FNV-1a over the lower-cased name */
static size_t hash_name(const char *name, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= lower((unsigned char)name[i]);
        h *= 16777619u;
    }
    return h;
}

/* The slot holding name, or the free slot where it would go. */
static struct pii_slot *find_slot(const struct yb_pii *p, const char *name, size_t len)
{
    size_t mask = p->cap - 1;
    for (size_t i = hash_name(name, len) & mask;; i = (i + 1) & mask) {
        struct pii_slot *s = &p->slots[i];
        if (s->len == 0)
            return s;
        if (s->len != len)
            continue;
        size_t k = 0;
        while (k < len && s->name[k] == (char)lower((unsigned char)name[k]))
            k++;
        if (k == len)
            return s;
    }
}

static int grow(struct yb_pii *p)
{
    size_t cap = p->cap ? p->cap * 2 : PII_FIRST_CAP;
    struct pii_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return YB_ENOMEM;
    struct yb_pii bigger = {slots, cap, p->used};
    for (size_t i = 0; i < p->cap; i++)
        if (p->slots[i].len)
            *find_slot(&bigger, p->slots[i].name, p->slots[i].len) = p->slots[i];
    free(p->slots);
    *p = bigger;
    return 0;
}

/* Set name (1..PII_NAME_MAX bytes) to kind, adding it if new. */
static int put(struct yb_pii *p, const char *name, size_t len, int kind)
{
    struct pii_slot *s = find_slot(p, name, len);
    if (s->len == 0) {
        if (p->used >= PII_FIELDS_MAX)
            return YB_ELIMIT;
        if ((p->used + 1) * 2 > p->cap) {
            if (grow(p))
                return YB_ENOMEM;
            s = find_slot(p, name, len);
        }
        for (size_t i = 0; i < len; i++)
            s->name[i] = (char)lower((unsigned char)name[i]);
        s->name[len] = '\0';
        s->len = (unsigned char)len;
        p->used++;
    }
    s->kind = (unsigned char)kind;
    return 0;
}

static int kind_of(const struct yb_pii *p, const char *name, size_t len)
{
    if (!p || !name || len == 0 || len > PII_NAME_MAX || p->cap == 0)
        return YB_PII_NONE;
    return find_slot(p, name, len)->kind;
}

struct yb_pii *yb_pii_new(void)
{
    struct yb_pii *p = calloc(1, sizeof(*p));
    if (!p || grow(p))
        goto fail;
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
        if (put(p, builtin[i].name, strlen(builtin[i].name), builtin[i].kind))
            goto fail;
    return p;
fail:
    yb_pii_free(p);
    return NULL;
}

struct yb_pii *yb_pii_dup(const struct yb_pii *p)
{
    if (!p)
        return NULL;
    struct yb_pii *copy = calloc(1, sizeof(*copy));
    if (!copy)
        return NULL;
    copy->slots = calloc(p->cap, sizeof(*copy->slots));
    if (!copy->slots) {
        free(copy);
        return NULL;
    }
    memcpy(copy->slots, p->slots, p->cap * sizeof(*p->slots));
    copy->cap = p->cap;
    copy->used = p->used;
    return copy;
}

void yb_pii_free(struct yb_pii *p)
{
    if (!p)
        return;
    free(p->slots);
    free(p);
}

int yb_pii_conf(struct yb_pii *p, const struct yb_conf *d, char *err, size_t errlen)
{
    if (d->argc != 2 || d->has_block)
        return yb_conf_error(d, err, errlen,
                             "personal_field takes a field name and one of id, name, phone, "
                             "address, secret, text, none (e.g. personal_field psn_no id;)");
    const char *name = d->argv[0];
    size_t len = strlen(name);
    if (len == 0 || len > PII_NAME_MAX ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len)
        return yb_conf_error(d, err, errlen,
                             "personal_field: \"%s\" is not a field name (1-%d of a-z, A-Z, 0-9, "
                             "'_', as the platform spells fields, e.g. psn_name)",
                             name, PII_NAME_MAX);
    int kind = -1;
    for (int i = 0; kind_words[i]; i++)
        if (strcmp(kind_words[i], d->argv[1]) == 0)
            kind = i;
    if (kind < 0)
        return yb_conf_error(d, err, errlen,
                             "personal_field %s: the kind must be id, name, phone, address, "
                             "secret, text or none, got \"%s\"",
                             name, d->argv[1]);
    int rc = put(p, name, len, kind);
    if (rc == YB_ELIMIT)
        return yb_conf_error(d, err, errlen, "personal_field: more than %d personal fields",
                             PII_FIELDS_MAX);
    if (rc)
        return yb_conf_error(d, err, errlen, "personal_field %s: out of memory", name);
    return 0;
}

int yb_pii_kind(const struct yb_pii *p, const char *field)
{
    return field ? kind_of(p, field, strlen(field)) : YB_PII_NONE;
}

/* ---- masks ---- */

/* Bytes of the character at s as a mask counts it: 1 for an invalid byte. */
static size_t char_len(const unsigned char *s, size_t left)
{
    size_t n = yb_utf8_seq(s, left);
    return n ? n : 1;
}

/* A character that may be shown as it is: valid, and not a C0 or C1 control. */
static int printable(const unsigned char *s, size_t n)
{
    if (n == 1)
        return s[0] >= 0x20 && s[0] != 0x7f;
    if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
        return 0;
    return n > 1;
}

static size_t count_chars(const unsigned char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i += char_len(s + i, len - i))
        n++;
    return n;
}

/* Characters kept at the head and the tail of an n-character value. */
static void keep_of(int kind, size_t n, size_t *head, size_t *tail)
{
    *head = *tail = 0;
    switch (kind) {
    case YB_PII_ID:
        if (n > 12) {
            *head = 6;
            *tail = 4;
        } else {
            *tail = 2;
        }
        break;
    case YB_PII_PHONE:
        if (n > 8) {
            *head = 3;
            *tail = 4;
        } else {
            *tail = 2;
        }
        break;
    case YB_PII_NAME:
        *head = 1;
        break;
    case YB_PII_ADDRESS:
        *head = 6;
        break;
    default:
        break;
    }
    /* a rule that would leave the value whole keeps half of it instead */
    if (*head + *tail >= n) {
        if (*tail)
            *tail = n / 2;
        else
            *head = n / 2;
    }
}

size_t yb_pii_mask(int kind, const char *in, size_t len, char *out, size_t cap)
{
    if (!out || cap == 0)
        return 0;
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    if (!in)
        len = 0;
    size_t w = 0;
    if (kind == YB_PII_TEXT)
        return yb_pii_mask_text(NULL, in, len, out, cap);
    if (kind == YB_PII_NONE) {
        /* a copy, cut at a character boundary */
        for (size_t i = 0; i < len;) {
            size_t n = char_len(s + i, len - i);
            if (w + n > cap - 1)
                break;
            memcpy(out + w, s + i, n);
            w += n;
            i += n;
        }
        out[w] = '\0';
        return w;
    }
    size_t chars = count_chars(s, len);
    if (kind < YB_PII_ID || kind > YB_PII_ADDRESS) {
        /* secret, or a kind this build does not know: nothing shows */
        size_t stars = chars < 3 ? chars : 3;
        while (w < stars && w + 1 < cap)
            out[w++] = '*';
        out[w] = '\0';
        return w;
    }
    size_t head, tail;
    keep_of(kind, chars, &head, &tail);
    size_t k = 0;
    for (size_t i = 0; i < len; k++) {
        size_t n = char_len(s + i, len - i);
        if (k < head || k >= chars - tail) {
            size_t valid = yb_utf8_seq(s + i, len - i);
            if (valid && printable(s + i, n)) {
                if (w + n > cap - 1)
                    break;
                memcpy(out + w, s + i, n);
                w += n;
            } else {
                if (w + 1 > cap - 1)
                    break;
                out[w++] = '?';
            }
        } else {
            if (w + 1 > cap - 1)
                break;
            out[w++] = '*';
        }
        i += n;
    }
    out[w] = '\0';
    return w;
}

/* ---- trees ---- */

/* The personal kind of a node's value: its member name, or for an item of
 * a list of plain values the name of the list. */
static int node_kind(const struct yb_pii *p, const struct yb_node *n)
{
    while (!n->key && n->parent && n->parent->type == YB_NODE_ARRAY)
        n = n->parent;
    return n->key ? kind_of(p, n->key, n->key_len) : YB_PII_NONE;
}

/* The masked form of scalar n of personal kind into out (n->len + 1
 * bytes); its length. */
static size_t mask_scalar(const struct yb_pii *p, int kind, const struct yb_node *n, char *out)
{
    return kind == YB_PII_TEXT ? yb_pii_mask_text(p, n->text, n->len, out, n->len + 1)
                               : yb_pii_mask(kind, n->text, n->len, out, n->len + 1);
}

int yb_pii_mask_tree(const struct yb_pii *p, struct yb_pool *pool, struct yb_node *root)
{
    int masked = 0;
    struct yb_node *n = root;
    while (n) {
        if (n->type == YB_NODE_STRING || n->type == YB_NODE_NUMBER) {
            int kind = node_kind(p, n);
            if (kind != YB_PII_NONE) {
                char *text = yb_pool_alloc(pool, n->len + 1);
                if (!text)
                    return YB_ENOMEM;
                size_t len = mask_scalar(p, kind, n, text);
                /* free text counts only when something in it was personal */
                if (kind != YB_PII_TEXT || len != n->len ||
                    (len && memcmp(text, n->text, len) != 0))
                    masked++;
                n->len = len;
                n->text = text;
                n->type = YB_NODE_STRING; /* "138****5678" is no longer a number */
            }
        }
        if (n->child && (n->type == YB_NODE_OBJECT || n->type == YB_NODE_ARRAY)) {
            n = n->child;
            continue;
        }
        while (n != root && !n->next)
            n = n->parent;
        if (n == root)
            break;
        n = n->next;
    }
    return masked;
}

struct encode_arg {
    const struct yb_pii *p;
    char small[512];
};

/* yb_json_leaf_fn: a personal value is written masked, as a string. */
static int encode_leaf(void *arg, const struct yb_node *n, struct yb_buf *out)
{
    struct encode_arg *a = arg;
    int kind = node_kind(a->p, n);
    if (kind == YB_PII_NONE)
        return 0;
    char *text = n->len < sizeof(a->small) ? a->small : malloc(n->len + 1);
    if (!text)
        return YB_ENOMEM;
    size_t len = mask_scalar(a->p, kind, n, text);
    int rc = yb_json_encode_string(text, len, out);
    if (text != a->small)
        free(text);
    return rc ? rc : 1;
}

int yb_pii_encode(const struct yb_pii *p, const struct yb_node *root, struct yb_buf *out)
{
    struct encode_arg a = {p, ""};
    return yb_json_encode_leaves(root, out, encode_leaf, &a);
}

/* ---- free text ---- */

static int word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int all_digits(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The kind of a word that is a bare identity or mobile number, or NONE. */
static int bare_number_kind(const unsigned char *s, size_t n)
{
    if (n == 0 || s[0] < '1' || s[0] > '9')
        return YB_PII_NONE;
    if (n == 18 && all_digits(s, 17) && (all_digits(s + 17, 1) || s[17] == 'X' || s[17] == 'x'))
        return YB_PII_ID;
    if (n == 15 && all_digits(s, 15))
        return YB_PII_ID;
    if (n == 11 && s[0] == '1' && s[1] >= '3' && all_digits(s, 11))
        return YB_PII_PHONE;
    return YB_PII_NONE;
}

/* Where the value after a field name ending at s[k] lies: *start, *end.
 * 0 when no value follows. */
static int value_after(const unsigned char *s, size_t k, size_t len, size_t *start, size_t *end)
{
    int assigned = 0;
    if (k + 1 < len && s[k] == '"' && s[k + 1] == ':') /* "certno":"..." */
        k++;
    for (int n = 0; k < len && n < 4 && (s[k] == ' ' || s[k] == ':' || s[k] == '='); n++, k++)
        assigned |= s[k] != ' ';
    if (k < len && s[k] == '"') {
        size_t e = k + 1;
        while (e < len && s[e] != '"')
            e++;
        *start = k + 1;
        *end = e;
        return e > k + 1;
    }
    if (!assigned)
        return 0;
    size_t e = k;
    while (e < len && s[e] > ' ' && s[e] != '"' && s[e] != ',' && s[e] != ';' && s[e] != ')')
        e++;
    *start = k;
    *end = e;
    return e > k;
}

/* Copy in[0..n) whole characters into out at *w while they fit. 0 when
 * the output is full. */
static int copy_chars(const unsigned char *in, size_t n, char *out, size_t cap, size_t *w)
{
    for (size_t i = 0; i < n;) {
        size_t c = char_len(in + i, n - i);
        if (*w + c > cap - 1)
            return 0;
        memcpy(out + *w, in + i, c);
        *w += c;
        i += c;
    }
    return 1;
}

size_t yb_pii_mask_text(const struct yb_pii *p, const char *in, size_t len, char *out, size_t cap)
{
    if (!out || cap == 0)
        return 0;
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    if (!in)
        len = 0;
    size_t w = 0, i = 0;
    int room = 1;
    while (i < len && room) {
        if (!word_byte(s[i])) {
            size_t c = char_len(s + i, len - i);
            room = copy_chars(s + i, c, out, cap, &w);
            i += c;
            continue;
        }
        size_t j = i;
        while (j < len && word_byte(s[j]))
            j++;
        size_t start, end;
        int kind = kind_of(p, (const char *)s + i, j - i);
        if (kind != YB_PII_NONE && value_after(s, j, len, &start, &end)) {
            room = copy_chars(s + i, start - i, out, cap, &w);
            if (room)
                w += yb_pii_mask(kind, (const char *)s + start, end - start, out + w, cap - w);
            i = end;
        } else if ((kind = bare_number_kind(s + i, j - i)) != YB_PII_NONE) {
            w += yb_pii_mask(kind, (const char *)s + i, j - i, out + w, cap - w);
            i = j;
        } else {
            room = copy_chars(s + i, j - i, out, cap, &w);
            i = j;
        }
    }
    out[w] = '\0';
    return w;
}
