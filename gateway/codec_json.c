/*
 * codec_json.c - the gateway's own JSON decoder and encoder.
 *
 * This is the first thing a HIS body meets, so it is written to be hostile-
 * input safe rather than general: the whole body is checked as UTF-8 before
 * parsing, nesting, string length and container size are bounded while
 * parsing (not after), every node comes from the transaction's capped pool,
 * and recursion never goes deeper than max_depth. Numbers are kept as the
 * literal the sender wrote, after a strict grammar check, so "12.50" reaches
 * the platform as "12.50" and money never passes through a binary float.
 *
 * Errors are full sentences carrying the byte offset (0-based, counted from
 * the first byte of the body, BOM included) and the line and column (1-based,
 * column counted in characters) so a HIS developer can find the spot.
 */
#include "codec_json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEFAULT_DEPTH 32
#define JSON_DEFAULT_STRING ((size_t)1024 * 1024)
#define JSON_DEFAULT_ITEMS 100000

/* Objects with more members than this use the parser-wide key set for the
 * duplicate check; smaller ones scan their members. Without the set, one
 * object with 100000 keys would cost billions of comparisons. */
#define JSON_LINEAR_KEYS 16

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Length of the well-formed sequence at s[0..avail), or 0 if it is not one.
 * The ranges are those of RFC 3629 / Unicode table 3-7: they exclude
 * overlongs, UTF-16 surrogates and anything past U+10FFFF. */
size_t yb_utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t yb_utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        uint64_t word;
        if (len - i >= 8 && (memcpy(&word, s + i, 8), (word & 0x8080808080808080ULL) == 0)) {
            i += 8; /* eight ASCII bytes at once */
            continue;
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = yb_utf8_seq(s + i, len - i);
        if (!n)
            return i + 1;
        i += n;
    }
    return 0;
}

size_t yb_utf8_length(const char *str, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)str[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* ---- The decoder ---------------------------------------------------------- */

/* A set of (object, key) pairs, for the duplicate check in big objects. It
 * holds member nodes; a slot is empty when NULL. */
struct keyset {
    const struct yb_node **slots;
    size_t size; /* power of two, or 0 before first use */
    size_t used;
};

struct parser {
    const unsigned char *text; /* the body as given, BOM included */
    const unsigned char *body; /* after the BOM */
    const unsigned char *p;
    const unsigned char *end;
    struct yb_pool *pool;
    unsigned max_depth;
    size_t max_string;
    unsigned max_items;
    struct yb_buf scratch; /* the string being decoded */
    struct keyset keys;
    char *err;
    size_t errlen;
};

/* Record "<what> at byte N (line L, column C)" for the position at, and
 * return rc. Line and column are worked out only here, on the error path. */
static int fail_at(struct parser *ps, const unsigned char *at, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(struct parser *ps, const unsigned char *at, int rc, const char *fmt, ...)
{
    if (!ps->err || !ps->errlen)
        return rc;
    unsigned long line = 1, column = 1;
    for (const unsigned char *q = ps->body; q < at; q++) {
        if (*q == '\n') {
            line++;
            column = 1;
        } else if ((*q & 0xC0) != 0x80) {
            column++;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ps->err, ps->errlen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < ps->errlen)
        snprintf(ps->err + n, ps->errlen - (size_t)n, " at byte %zu (line %lu, column %lu)",
                 (size_t)(at - ps->text), line, column);
    return rc;
}

static int fail_memory(struct parser *ps)
{
    return fail_at(ps, ps->p, YB_ELIMIT,
                   "message needs more memory than the transaction allows (pool cap reached)");
}

/* Eight key bytes per multiply (keys are short: one or two rounds). */
static size_t key_hash(const struct yb_node *object, const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)object ^ len;
    while (len > 0) {
        uint64_t chunk = 0;
        size_t n = len < 8 ? len : 8;
        memcpy(&chunk, key, n);
        h = (h ^ chunk) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 32;
        key += n;
        len -= n;
    }
    return (size_t)(h ^ (h >> 29));
}

static const struct yb_node **keyset_find(struct keyset *ks, const struct yb_node *object,
                                          const char *key, size_t len)
{
    size_t mask = ks->size - 1;
    size_t i = key_hash(object, key, len) & mask;
    for (;;) {
        const struct yb_node *m = ks->slots[i];
        if (!m || (m->parent == object && m->key_len == len && memcmp(m->key, key, len) == 0))
            return &ks->slots[i];
        i = (i + 1) & mask;
    }
}

static int keyset_add(struct keyset *ks, const struct yb_node *member)
{
    if ((ks->used + 1) * 2 > ks->size) {
        size_t size = ks->size ? ks->size * 2 : 256;
        const struct yb_node **slots = calloc(size, sizeof(*slots));
        if (!slots)
            return YB_ENOMEM;
        struct keyset grown = {slots, size, 0};
        for (size_t i = 0; i < ks->size; i++)
            if (ks->slots[i]) {
                *keyset_find(&grown, ks->slots[i]->parent, ks->slots[i]->key,
                             ks->slots[i]->key_len) = ks->slots[i];
                grown.used++;
            }
        free(ks->slots);
        *ks = grown;
    }
    *keyset_find(ks, member->parent, member->key, member->key_len) = member;
    ks->used++;
    return 0;
}

/* 1 if object already has a member named key[0..len). Small objects are
 * scanned; bigger ones were put into the key set by remember_member(). */
static int has_key(struct parser *ps, const struct yb_node *object, const char *key, size_t len)
{
    if (object->count <= JSON_LINEAR_KEYS)
        return yb_node_getn(object, key, len) != NULL;
    return *keyset_find(&ps->keys, object, key, len) != NULL;
}

/* Called after member was appended to its object: once the object outgrows
 * the linear scan, all its members go into the key set. */
static int remember_member(struct parser *ps, const struct yb_node *member)
{
    const struct yb_node *object = member->parent;
    if (object->count <= JSON_LINEAR_KEYS)
        return 0;
    if (object->count > JSON_LINEAR_KEYS + 1)
        return keyset_add(&ps->keys, member);
    for (const struct yb_node *m = object->child; m; m = m->next) {
        int rc = keyset_add(&ps->keys, m);
        if (rc)
            return rc;
    }
    return 0;
}

static void skip_space(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int put_code_point(struct yb_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return yb_buf_append(b, u, n);
}

/* Decode the \u escape at ps->p (pointing at the backslash), joining a
 * surrogate pair into one code point. */
static int unicode_escape(struct parser *ps)
{
    const unsigned char *at = ps->p;
    unsigned cp;
    if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp))
        return fail_at(ps, at, YB_EINVAL, "invalid \\u escape (four hex digits expected)");
    ps->p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail_at(ps, at, YB_EINVAL, "lone low surrogate \\u%04X in string", cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned low;
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &low) ||
            low < 0xDC00 || low > 0xDFFF)
            return fail_at(ps, at, YB_EINVAL,
                           "lone high surrogate \\u%04X in string (no low surrogate follows)", cp);
        ps->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return put_code_point(&ps->scratch, cp);
}

/* Decode the string at ps->p (the opening quote) into ps->scratch. */
static int parse_string(struct parser *ps)
{
    const unsigned char *open = ps->p++;
    yb_buf_reset(&ps->scratch);
    for (;;) {
        const unsigned char *run = ps->p;
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x20)
            ps->p++;
        if (ps->p > run && yb_buf_append(&ps->scratch, run, (size_t)(ps->p - run)))
            return fail_memory(ps);
        if (ps->scratch.len > ps->max_string)
            return fail_at(ps, open, YB_ELIMIT, "string longer than %zu bytes", ps->max_string);
        if (ps->p == ps->end)
            return fail_at(ps, open, YB_EINVAL, "unterminated string");
        unsigned char c = *ps->p;
        if (c == '"') {
            ps->p++;
            return 0;
        }
        if (c < 0x20)
            return fail_at(ps, ps->p, YB_EINVAL,
                           "raw control character U+%04X in string (escape it)", c);
        /* a backslash */
        if (ps->end - ps->p < 2)
            return fail_at(ps, open, YB_EINVAL, "unterminated string");
        char out;
        switch (ps->p[1]) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            int rc = unicode_escape(ps);
            if (rc)
                return rc == YB_EINVAL ? rc : fail_memory(ps);
            continue;
        }
        default:
            if (ps->p[1] >= 0x20 && ps->p[1] < 0x7F)
                return fail_at(ps, ps->p, YB_EINVAL, "invalid escape '\\%c' in string", ps->p[1]);
            return fail_at(ps, ps->p, YB_EINVAL, "invalid escape in string");
        }
        if (yb_buf_putc(&ps->scratch, out))
            return fail_memory(ps);
        ps->p += 2;
    }
}

static int is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* A number by the RFC 8259 grammar, kept as its literal:
 * -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)? */
static int parse_number(struct parser *ps, struct yb_node **out)
{
    const unsigned char *start = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (!is_digit(ps->p, ps->end))
        return fail_at(ps, start, YB_EINVAL, "invalid number (a digit must follow '-')");
    if (*ps->p == '0') {
        ps->p++;
        if (is_digit(ps->p, ps->end))
            return fail_at(ps, start, YB_EINVAL, "invalid number (leading zero)");
    } else {
        while (is_digit(ps->p, ps->end))
            ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (!is_digit(ps->p, ps->end))
            return fail_at(ps, start, YB_EINVAL,
                           "invalid number (a digit must follow the decimal point)");
        while (is_digit(ps->p, ps->end))
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!is_digit(ps->p, ps->end))
            return fail_at(ps, start, YB_EINVAL,
                           "invalid number (a digit must follow the exponent mark)");
        while (is_digit(ps->p, ps->end))
            ps->p++;
    }
    /* "1.2.3" or "12abc" would otherwise surface as a puzzling separator error */
    if (ps->p < ps->end && (*ps->p == '.' || *ps->p == '+' || *ps->p == '-' ||
                            (*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z')))
        return fail_at(ps, start, YB_EINVAL, "invalid number");
    size_t len = (size_t)(ps->p - start);
    if (len > ps->max_string)
        return fail_at(ps, start, YB_ELIMIT, "number literal longer than %zu bytes",
                       ps->max_string);
    *out = yb_node_new_text(ps->pool, YB_NODE_NUMBER, (const char *)start, len);
    return *out ? 0 : fail_memory(ps);
}

static int parse_literal(struct parser *ps, struct yb_node **out)
{
    static const struct {
        const char *word;
        size_t len;
        enum yb_node_type type;
    } words[] = {
        {"true", 4, YB_NODE_BOOL},
        {"false", 5, YB_NODE_BOOL},
        {"null", 4, YB_NODE_NULL},
    };
    const unsigned char *start = ps->p;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = words[i].len;
        if ((size_t)(ps->end - start) < n || memcmp(start, words[i].word, n) != 0)
            continue;
        const unsigned char *after = start + n;
        if (after < ps->end && ((*after >= 'a' && *after <= 'z') ||
                                (*after >= 'A' && *after <= 'Z') || is_digit(after, ps->end)))
            break;
        ps->p = after;
        if (words[i].type == YB_NODE_BOOL)
            *out = yb_node_new_text(ps->pool, YB_NODE_BOOL, words[i].word, n);
        else
            *out = yb_node_new(ps->pool, YB_NODE_NULL);
        return *out ? 0 : fail_memory(ps);
    }
    return fail_at(ps, start, YB_EINVAL, "invalid literal (expected true, false or null)");
}

static int parse_value(struct parser *ps, unsigned depth, struct yb_node **out);

static int parse_object(struct parser *ps, unsigned depth, struct yb_node **out)
{
    struct yb_node *object = yb_node_new(ps->pool, YB_NODE_OBJECT);
    if (!object)
        return fail_memory(ps);
    ps->p++; /* '{' */
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        *out = object;
        return 0;
    }
    for (;;) {
        skip_space(ps);
        if (ps->p == ps->end)
            return fail_at(ps, ps->p, YB_EINVAL, "unexpected end of input, expected an object key");
        if (*ps->p != '"')
            return fail_at(ps, ps->p, YB_EINVAL, "expected a string as object key");
        const unsigned char *key_at = ps->p;
        if (object->count >= ps->max_items)
            return fail_at(ps, key_at, YB_ELIMIT, "more than %u members in one object",
                           ps->max_items);
        int rc = parse_string(ps);
        if (rc)
            return rc;
        const char *key = ps->scratch.data ? ps->scratch.data : "";
        size_t key_len = ps->scratch.len;
        if (has_key(ps, object, key, key_len)) {
            /* the key is quoted back, clipped, so a huge key makes a short error */
            int shown = key_len > 64 ? 64 : (int)key_len;
            return fail_at(ps, key_at, YB_EINVAL, "duplicate key \"%.*s%s\" in object", shown, key,
                           key_len > 64 ? "..." : "");
        }
        char *key_copy = yb_pool_strndup(ps->pool, key, key_len);
        if (!key_copy)
            return fail_memory(ps);
        skip_space(ps);
        if (ps->p == ps->end || *ps->p != ':')
            return fail_at(ps, ps->p, YB_EINVAL, "expected ':' after object key");
        ps->p++;
        struct yb_node *member = NULL;
        rc = parse_value(ps, depth, &member);
        if (rc)
            return rc;
        member->key = key_copy;
        member->key_len = key_len;
        yb_node_append(object, member);
        if (remember_member(ps, member))
            return fail_memory(ps);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            *out = object;
            return 0;
        }
        return fail_at(ps, ps->p, YB_EINVAL, "expected ',' or '}' after object member");
    }
}

static int parse_array(struct parser *ps, unsigned depth, struct yb_node **out)
{
    struct yb_node *array = yb_node_new(ps->pool, YB_NODE_ARRAY);
    if (!array)
        return fail_memory(ps);
    ps->p++; /* '[' */
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        *out = array;
        return 0;
    }
    for (;;) {
        skip_space(ps);
        if (array->count >= ps->max_items)
            return fail_at(ps, ps->p, YB_ELIMIT, "more than %u items in one array", ps->max_items);
        struct yb_node *item = NULL;
        int rc = parse_value(ps, depth, &item);
        if (rc)
            return rc;
        yb_node_append(array, item);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            *out = array;
            return 0;
        }
        return fail_at(ps, ps->p, YB_EINVAL, "expected ',' or ']' after array item");
    }
}

/* depth is the nesting of the container holding this value (0 at the top);
 * the recursion goes one level per container, and never past max_depth. */
static int parse_value(struct parser *ps, unsigned depth, struct yb_node **out)
{
    skip_space(ps);
    if (ps->p == ps->end)
        return fail_at(ps, ps->p, YB_EINVAL, "unexpected end of input, expected a value");
    unsigned char c = *ps->p;
    if (c == '{' || c == '[') {
        if (depth >= ps->max_depth)
            return fail_at(ps, ps->p, YB_ELIMIT, "nesting deeper than %u", ps->max_depth);
        return c == '{' ? parse_object(ps, depth + 1, out) : parse_array(ps, depth + 1, out);
    }
    if (c == '"') {
        int rc = parse_string(ps);
        if (rc)
            return rc;
        *out = yb_node_new_text(ps->pool, YB_NODE_STRING, ps->scratch.data ? ps->scratch.data : "",
                                ps->scratch.len);
        return *out ? 0 : fail_memory(ps);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(ps, out);
    if (c == 't' || c == 'f' || c == 'n')
        return parse_literal(ps, out);
    if (c >= 0x21 && c < 0x7F)
        return fail_at(ps, ps->p, YB_EINVAL, "unexpected character '%c', expected a value", c);
    return fail_at(ps, ps->p, YB_EINVAL, "unexpected byte 0x%02X, expected a value", c);
}

int yb_json_decode(struct yb_pool *pool, const char *text, size_t len,
                   const struct yb_json_limits *limits, struct yb_node **out, char *err,
                   size_t errlen)
{
    struct parser ps = {0};
    ps.text = (const unsigned char *)(text ? text : "");
    ps.body = ps.text;
    ps.end = ps.text + (text ? len : 0);
    ps.pool = pool;
    ps.max_depth = limits && limits->max_depth ? limits->max_depth : JSON_DEFAULT_DEPTH;
    ps.max_string = limits && limits->max_string ? limits->max_string : JSON_DEFAULT_STRING;
    ps.max_items = limits && limits->max_items ? limits->max_items : JSON_DEFAULT_ITEMS;
    ps.err = err;
    ps.errlen = errlen;
    yb_buf_init(&ps.scratch, 0);
    if (err && errlen)
        err[0] = '\0';
    *out = NULL;

    int rc;
    if (ps.end - ps.body >= 3 && memcmp(ps.body, "\xEF\xBB\xBF", 3) == 0)
        ps.body += 3;
    ps.p = ps.body;

    /* UTF-8 first, over the whole body: then the parser can copy string
     * runs as they are, and nothing malformed can slip through a string */
    size_t bad = yb_utf8_check((const char *)ps.body, (size_t)(ps.end - ps.body));
    if (bad) {
        rc = fail_at(&ps, ps.body + bad - 1, YB_EINVAL, "invalid UTF-8");
        goto out;
    }
    skip_space(&ps);
    if (ps.p == ps.end) {
        rc = fail_at(&ps, ps.p, YB_EINVAL, "empty body, expected a JSON value");
        goto out;
    }
    struct yb_node *root = NULL;
    rc = parse_value(&ps, 0, &root);
    if (rc)
        goto out;
    skip_space(&ps);
    if (ps.p != ps.end) {
        rc = fail_at(&ps, ps.p, YB_EINVAL, "unexpected data after the JSON value");
        goto out;
    }
    *out = root;
out:
    yb_buf_free(&ps.scratch);
    free(ps.keys.slots);
    return rc;
}

/* ---- The encoder ---------------------------------------------------------- */

int yb_json_encode_string(const char *s, size_t len, struct yb_buf *out)
{
    size_t plain = 0;
    while (plain < len && (unsigned char)s[plain] >= 0x20 && s[plain] != '"' && s[plain] != '\\')
        plain++;
    if (plain == len) { /* nothing to escape, the common case: one copy */
        if (len > (size_t)-1 - 2)
            return YB_ELIMIT;
        int rc = yb_buf_reserve(out, len + 2);
        if (rc)
            return rc;
        out->data[out->len++] = '"';
        memcpy(out->data + out->len, s, len);
        out->len += len;
        out->data[out->len++] = '"';
        out->data[out->len] = '\0';
        return 0;
    }
    int rc = yb_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; !rc && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = yb_buf_append(out, s + run, i - run);
        run = i + 1;
        if (rc)
            break;
        switch (c) {
        case '"': rc = yb_buf_puts(out, "\\\""); break;
        case '\\': rc = yb_buf_puts(out, "\\\\"); break;
        case '\n': rc = yb_buf_puts(out, "\\n"); break;
        case '\r': rc = yb_buf_puts(out, "\\r"); break;
        case '\t': rc = yb_buf_puts(out, "\\t"); break;
        case '\b': rc = yb_buf_puts(out, "\\b"); break;
        case '\f': rc = yb_buf_puts(out, "\\f"); break;
        default: rc = yb_buf_printf(out, "\\u%04x", c); break;
        }
    }
    if (!rc)
        rc = yb_buf_append(out, s + run, len - run);
    if (!rc)
        rc = yb_buf_putc(out, '"');
    return rc;
}

int yb_json_encode_leaves(const struct yb_node *node, struct yb_buf *out, yb_json_leaf_fn leaf,
                          void *arg)
{
    int rc = 0;
    if (!node)
        return yb_buf_puts(out, "null");
    if (leaf && (node->type == YB_NODE_STRING || node->type == YB_NODE_NUMBER) &&
        (rc = leaf(arg, node, out)) != 0)
        return rc < 0 ? rc : 0;
    switch (node->type) {
    case YB_NODE_NULL: rc = yb_buf_puts(out, "null"); break;
    case YB_NODE_BOOL:
        rc = yb_buf_puts(out, node->text && node->text[0] == 't' ? "true" : "false");
        break;
    case YB_NODE_NUMBER:
        /* a number node without a literal is a bug upstream; null keeps the
         * output valid JSON rather than inventing a value */
        if (node->text && node->len)
            rc = yb_buf_append(out, node->text, node->len);
        else
            rc = yb_buf_puts(out, "null");
        break;
    case YB_NODE_STRING:
        return yb_json_encode_string(node->text ? node->text : "", node->text ? node->len : 0, out);
    case YB_NODE_OBJECT:
    case YB_NODE_ARRAY: {
        int is_object = node->type == YB_NODE_OBJECT;
        rc = yb_buf_putc(out, is_object ? '{' : '[');
        for (const struct yb_node *c = node->child; !rc && c; c = c->next) {
            if (c != node->child && (rc = yb_buf_putc(out, ',')))
                break;
            if (is_object) {
                rc = yb_json_encode_string(c->key ? c->key : "", c->key ? c->key_len : 0, out);
                if (!rc)
                    rc = yb_buf_putc(out, ':');
                if (rc)
                    break;
            }
            rc = yb_json_encode_leaves(c, out, leaf, arg);
        }
        if (!rc)
            rc = yb_buf_putc(out, is_object ? '}' : ']');
        break;
    }
    default: return YB_EINVAL;
    }
    return rc;
}

int yb_json_encode(const struct yb_node *node, struct yb_buf *out)
{
    return yb_json_encode_leaves(node, out, NULL, NULL);
}
