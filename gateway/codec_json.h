/*
 * codec_json.h - JSON to message tree and back.
 *
 * The decoder is the gateway's own, not jansson: it keeps each number's
 * literal text (amounts stay exact decimals), checks that the whole body is
 * valid UTF-8, and enforces depth, length and count limits while it parses,
 * so a hostile body costs bounded time and memory. Errors name the line,
 * column and byte offset.
 */
#ifndef YB_CODEC_JSON_H
#define YB_CODEC_JSON_H

#include <stddef.h>

#include "buf.h"
#include "pool.h"
#include "tree.h"

struct yb_json_limits {
    unsigned max_depth;  /* nesting of objects/arrays; 0 = 32 */
    size_t max_string;   /* bytes in one string or number literal; 0 = 1 MiB */
    unsigned max_items;  /* members of one object or items of one array; 0 = 100000 */
};

/* Parse text[0..len) into a tree in pool. Returns 0 and sets *out, or a
 * negative YB_E* with a sentence in err such as
 * "invalid UTF-8 at byte 17 (line 1, column 18)" or
 * "nesting deeper than 32 at byte 40 (line 3, column 7)".
 * Duplicate keys in one object are an error. Trailing data after the value
 * is an error. A leading UTF-8 BOM is skipped. */
int yb_json_decode(struct yb_pool *pool, const char *text, size_t len,
                   const struct yb_json_limits *limits, struct yb_node **out, char *err,
                   size_t errlen);

/* Write node as compact JSON (UTF-8, members in tree order, numbers as
 * their literal). Returns 0 or YB_ELIMIT when out's cap is reached. */
int yb_json_encode(const struct yb_node *node, struct yb_buf *out);

/* The same, with leaf(arg, n, out) asked first for every string and number:
 * it returns 1 when it wrote the value itself (a JSON value), 0 to let the
 * encoder write it, or a negative YB_E* to stop. */
typedef int (*yb_json_leaf_fn)(void *arg, const struct yb_node *n, struct yb_buf *out);
int yb_json_encode_leaves(const struct yb_node *node, struct yb_buf *out, yb_json_leaf_fn leaf,
                          void *arg);
/* s[0..len) as a JSON string literal, quotes included. */
int yb_json_encode_string(const char *s, size_t len, struct yb_buf *out);

/* 0 if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, no
 * code points past U+10FFFF); otherwise the offset of the first bad byte + 1. */
size_t yb_utf8_check(const char *s, size_t len);
/* Bytes of the well-formed UTF-8 sequence at s[0..avail) (avail >= 1), or
 * 0 when s does not start one: the ranges of RFC 3629, so no overlongs,
 * surrogates or code points past U+10FFFF. */
size_t yb_utf8_seq(const unsigned char *s, size_t avail);
/* Number of code points in well-formed UTF-8. */
size_t yb_utf8_length(const char *s, size_t len);

#endif
