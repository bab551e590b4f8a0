/*
 * codec_json_test.c - the JSON codec: round trips, exact number literals,
 * UTF-8 and escape handling, every error class with its message, limits.
 */
#include "codec_json.h"

#include "testutil.h"

static struct yb_pool *pool;
static char err[256];

/* Decode s with the given limits (NULL = defaults) in a fresh pool. */
static int decode_with(const char *s, size_t len, const struct yb_json_limits *lim,
                       struct yb_node **out)
{
    yb_pool_destroy(pool);
    pool = yb_pool_create(0);
    return yb_json_decode(pool, s, len, lim, out, err, sizeof(err));
}

static int decode(const char *s, struct yb_node **out)
{
    return decode_with(s, strlen(s), NULL, out);
}

/* Decode s, expect failure with rc and err containing want. */
static void expect_error(const char *s, size_t len, int rc, const char *want)
{
    struct yb_node *n = (struct yb_node *)1;
    int got = decode_with(s, len, NULL, &n);
    CU_ASSERT_EQUAL(got, rc);
    CU_ASSERT_PTR_NULL(n);
    if (!strstr(err, want))
        fprintf(stderr, "\n  input <%.*s>: error \"%s\" lacks \"%s\"\n", (int)len, s, err, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
}
#define EXPECT_ERROR(s, rc, want) expect_error(s, sizeof(s) - 1, rc, want)

/* Decode then encode; the result must equal want. */
static void round_trip(const char *in, const char *want)
{
    struct yb_node *n = NULL;
    int rc = decode(in, &n);
    if (rc)
        fprintf(stderr, "\n  decode <%s>: %s\n", in, err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL(yb_json_encode(n, &b), 0);
    if (strcmp(b.data, want))
        fprintf(stderr, "\n  round trip <%s>: got <%s> want <%s>\n", in, b.data, want);
    CU_ASSERT_STRING_EQUAL(b.data, want);
    yb_buf_free(&b);
}

static void test_round_trip_envelope(void)
{
    round_trip("{\"infno\":\"2207\",\"msgid\":\"H43111100255202406120922370001\","
               "\"input\":{\"data\":{\"medfee_sumamt\":12.50,\"acct_used_flag\":\"0\"}},"
               "\"flags\":[true,false,null],\"empty\":{},\"none\":[]}",
               "{\"infno\":\"2207\",\"msgid\":\"H43111100255202406120922370001\","
               "\"input\":{\"data\":{\"medfee_sumamt\":12.50,\"acct_used_flag\":\"0\"}},"
               "\"flags\":[true,false,null],\"empty\":{},\"none\":[]}");
    /* whitespace goes, order stays */
    round_trip(" {\n\t\"b\" : 1 ,\r\n \"a\" : [ 2 , 3 ] } \n", "{\"b\":1,\"a\":[2,3]}");
    round_trip("\"top\"", "\"top\"");
    round_trip("7", "7");
    round_trip("null", "null");
}

static void test_numbers_kept_as_literals(void)
{
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("[12.50,1e400,-0,0.000001,1E+2,-3.0e-7,"
                                 "123456789012345678901234567890]",
                                 &n),
                          0);
    const char *want[] = {
        "12.50", "1e400", "-0", "0.000001", "1E+2", "-3.0e-7", "123456789012345678901234567890"};
    CU_ASSERT_EQUAL(n->count, 7);
    for (size_t i = 0; i < 7; i++) {
        struct yb_node *item = yb_node_at(n, i);
        CU_ASSERT_EQUAL(item->type, YB_NODE_NUMBER);
        CU_ASSERT_STRING_EQUAL(item->text, want[i]);
        CU_ASSERT_EQUAL(item->len, strlen(want[i]));
    }
    round_trip("{\"amt\":12.50,\"big\":1e400}", "{\"amt\":12.50,\"big\":1e400}");
}

static void test_number_grammar(void)
{
    EXPECT_ERROR("01", YB_EINVAL, "invalid number (leading zero) at byte 0 (line 1, column 1)");
    EXPECT_ERROR("[1.]", YB_EINVAL, "a digit must follow the decimal point");
    EXPECT_ERROR("[.5]", YB_EINVAL, "unexpected character '.'");
    EXPECT_ERROR("[-]", YB_EINVAL, "a digit must follow '-'");
    EXPECT_ERROR("[1e]", YB_EINVAL, "a digit must follow the exponent mark");
    EXPECT_ERROR("[1e+]", YB_EINVAL, "a digit must follow the exponent mark");
    EXPECT_ERROR("[+1]", YB_EINVAL, "unexpected character '+'");
    EXPECT_ERROR("[1.2.3]", YB_EINVAL, "invalid number at byte 1");
    EXPECT_ERROR("[12abc]", YB_EINVAL, "invalid number");
    EXPECT_ERROR("[0x10]", YB_EINVAL, "invalid number");
    EXPECT_ERROR("[NaN]", YB_EINVAL, "unexpected character 'N'");
    EXPECT_ERROR("[-Infinity]", YB_EINVAL, "a digit must follow '-'");
}

static void test_types_and_tree(void)
{
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(
        decode("{\"s\":\"x\",\"t\":true,\"f\":false,\"z\":null,\"o\":{\"k\":[1]}}", &n), 0);
    CU_ASSERT_EQUAL(n->type, YB_NODE_OBJECT);
    CU_ASSERT_EQUAL(n->count, 5);
    CU_ASSERT_EQUAL(yb_node_get(n, "s")->type, YB_NODE_STRING);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "t"), "true");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "f"), "false");
    CU_ASSERT_EQUAL(yb_node_get(n, "z")->type, YB_NODE_NULL);
    struct yb_node *k = yb_node_path(n, "o.k[0]");
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_STRING_EQUAL(k->text, "1");
    CU_ASSERT_PTR_EQUAL(k->parent, yb_node_path(n, "o.k"));
    CU_ASSERT_PTR_NULL(k->key);
}

static void test_escapes(void)
{
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u6d4b\"", &n), 0);
    CU_ASSERT_STRING_EQUAL(n->text, "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe6\xb5\x8b");
    /* \u0000 is allowed; the length keeps it */
    CU_ASSERT_EQUAL_FATAL(decode("\"x\\u0000y\"", &n), 0);
    CU_ASSERT_EQUAL(n->len, 3);
    CU_ASSERT_EQUAL(memcmp(n->text, "x\0y", 3), 0);
    EXPECT_ERROR("\"\\x\"", YB_EINVAL, "invalid escape '\\x' in string at byte 1");
    EXPECT_ERROR("\"\\u12G4\"", YB_EINVAL, "invalid \\u escape");
    EXPECT_ERROR("\"\\u12\"", YB_EINVAL, "invalid \\u escape");
}

static void test_surrogates(void)
{
    struct yb_node *n;
    /* U+1F600 as a pair, and U+10FFFF, the highest */
    CU_ASSERT_EQUAL_FATAL(decode("\"\\uD83D\\uDE00|\\uDBFF\\uDFFF\"", &n), 0);
    CU_ASSERT_STRING_EQUAL(n->text, "\xf0\x9f\x98\x80|\xf4\x8f\xbf\xbf");
    EXPECT_ERROR("\"\\uD83D\"", YB_EINVAL,
                 "lone high surrogate \\uD83D in string (no low surrogate follows) at byte 1");
    EXPECT_ERROR("\"\\uD83Dx\"", YB_EINVAL, "lone high surrogate");
    EXPECT_ERROR("\"\\uD83D\\u0041\"", YB_EINVAL, "lone high surrogate");
    EXPECT_ERROR("\"\\uD83D\\uD83D\"", YB_EINVAL, "lone high surrogate");
    EXPECT_ERROR("\"ab\\uDE00\"", YB_EINVAL, "lone low surrogate \\uDE00 in string at byte 3");
}

static void test_utf8_validation(void)
{
    struct yb_node *n;
    /* 测试 in UTF-8 is fine, in strings and keys */
    CU_ASSERT_EQUAL_FATAL(decode("{\"\xe6\xb5\x8b\":\"\xe8\xaf\x95\"}", &n), 0);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "\xe6\xb5\x8b"), "\xe8\xaf\x95");
    /* overlong '/' (C0 AF), overlong 3-byte, encoded surrogate, > U+10FFFF,
     * stray continuation, truncated sequence, F5 lead */
    EXPECT_ERROR("{\"a\":\"\xc0\xaf\"}", YB_EINVAL, "invalid UTF-8 at byte 6 (line 1, column 7)");
    EXPECT_ERROR("\"\xe0\x80\xaf\"", YB_EINVAL, "invalid UTF-8 at byte 1");
    EXPECT_ERROR("\"\xed\xa0\x80\"", YB_EINVAL, "invalid UTF-8 at byte 1");
    EXPECT_ERROR("\"\xf4\x90\x80\x80\"", YB_EINVAL, "invalid UTF-8 at byte 1");
    EXPECT_ERROR("\"ok\x80\"", YB_EINVAL, "invalid UTF-8 at byte 3");
    EXPECT_ERROR("\"\xe6\xb5\"", YB_EINVAL, "invalid UTF-8 at byte 1");
    EXPECT_ERROR("\"\xf5\x80\x80\x80\"", YB_EINVAL, "invalid UTF-8 at byte 1");
    /* outside a string, too: the column counts characters, not bytes */
    EXPECT_ERROR("{\"\xe6\xb5\x8b\":1}\n\xff", YB_EINVAL,
                 "invalid UTF-8 at byte 10 (line 2, column 1)");
    EXPECT_ERROR("[\"\xe6\xb5\x8b\" x]", YB_EINVAL,
                 "expected ',' or ']' after array item at byte 7 (line 1, column 6)");
}

static void test_utf8_functions(void)
{
    CU_ASSERT_EQUAL(yb_utf8_check("", 0), 0);
    CU_ASSERT_EQUAL(yb_utf8_check("abc\xe6\xb5\x8b\xf0\x9f\x98\x80", 10), 0);
    CU_ASSERT_EQUAL(yb_utf8_check("ab\xc1\xbf", 4), 3);
    CU_ASSERT_EQUAL(yb_utf8_check("\xef\xbf\xbf", 3), 0);     /* U+FFFF is allowed */
    CU_ASSERT_EQUAL(yb_utf8_check("\xed\x9f\xbf", 3), 0);     /* U+D7FF */
    CU_ASSERT_EQUAL(yb_utf8_check("a\xed\xbf\xbf", 4), 2);    /* U+DFFF */
    CU_ASSERT_EQUAL(yb_utf8_check("\xf0\x8f\xbf\xbf", 4), 1); /* overlong 4-byte */
    CU_ASSERT_EQUAL(yb_utf8_check("\xe6\xb5\x8b", 2), 1);     /* cut short */
    CU_ASSERT_EQUAL(yb_utf8_length("abc\xe6\xb5\x8b\xf0\x9f\x98\x80", 10), 5);
    CU_ASSERT_EQUAL(yb_utf8_length("", 0), 0);
}

static void test_control_chars(void)
{
    EXPECT_ERROR("\"a\nb\"", YB_EINVAL,
                 "raw control character U+000A in string (escape it) at byte 2");
    EXPECT_ERROR("\"a\tb\"", YB_EINVAL, "raw control character U+0009");
    EXPECT_ERROR("[\"\x01\"]", YB_EINVAL, "raw control character U+0001");
    /* a NUL byte in the body ends nothing: it is a control character */
    expect_error("\"a\0b\"", 5, YB_EINVAL, "raw control character U+0000");
    expect_error("{}\0", 3, YB_EINVAL, "unexpected data after the JSON value at byte 2");
}

static void test_syntax_errors(void)
{
    EXPECT_ERROR("", YB_EINVAL, "empty body");
    EXPECT_ERROR("  \n ", YB_EINVAL,
                 "empty body, expected a JSON value at byte 4 (line 2, column 2)");
    EXPECT_ERROR("{\"infno\" \"2207\"}", YB_EINVAL,
                 "expected ':' after object key at byte 9 (line 1, column 10)");
    EXPECT_ERROR("{\"a\":1 \"b\":2}", YB_EINVAL,
                 "expected ',' or '}' after object member at byte 7");
    EXPECT_ERROR("[1 2]", YB_EINVAL, "expected ',' or ']' after array item at byte 3");
    EXPECT_ERROR("{a:1}", YB_EINVAL, "expected a string as object key at byte 1");
    EXPECT_ERROR("{\"a\":1,}", YB_EINVAL, "expected a string as object key at byte 7");
    EXPECT_ERROR("[1,]", YB_EINVAL, "unexpected character ']', expected a value at byte 3");
    EXPECT_ERROR("{\"a\":}", YB_EINVAL, "expected a value at byte 5");
    EXPECT_ERROR("{\"a\":1", YB_EINVAL, "expected ',' or '}' after object member at byte 6");
    EXPECT_ERROR("{\"a\":", YB_EINVAL, "unexpected end of input, expected a value at byte 5");
    EXPECT_ERROR("{", YB_EINVAL, "unexpected end of input, expected an object key");
    EXPECT_ERROR("[", YB_EINVAL, "unexpected end of input, expected a value");
    EXPECT_ERROR("{\"abc", YB_EINVAL, "unterminated string at byte 1");
    EXPECT_ERROR("\"abc\\", YB_EINVAL, "unterminated string at byte 0");
    EXPECT_ERROR("[tru]", YB_EINVAL, "invalid literal (expected true, false or null) at byte 1");
    EXPECT_ERROR("[nulls]", YB_EINVAL, "invalid literal");
    EXPECT_ERROR("[True]", YB_EINVAL, "unexpected character 'T'");
    EXPECT_ERROR("{'a':1}", YB_EINVAL, "expected a string as object key");
    EXPECT_ERROR("{}{}", YB_EINVAL, "unexpected data after the JSON value at byte 2");
    EXPECT_ERROR("{} x", YB_EINVAL, "unexpected data after the JSON value at byte 3");
    EXPECT_ERROR("[1]\n\n  ]", YB_EINVAL, "at byte 7 (line 3, column 3)");
    EXPECT_ERROR("\x0b{}", YB_EINVAL, "unexpected byte 0x0B");
}

static void test_duplicate_keys(void)
{
    EXPECT_ERROR("{\"a\":1,\"b\":2,\"a\":3}", YB_EINVAL,
                 "duplicate key \"a\" in object at byte 13");
    /* the same key in different objects is fine */
    struct yb_node *n;
    CU_ASSERT_EQUAL(decode("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", &n), 0);
    /* escapes are decoded before comparing: "\u0061" is "a" */
    EXPECT_ERROR("{\"a\":1,\"\\u0061\":2}", YB_EINVAL, "duplicate key \"a\"");
    /* a big object goes through the key set: build 200 keys and repeat one
     * of the first (scanned) and one of the later (hashed) ones */
    struct yb_buf b;
    yb_buf_init(&b, 0);
    yb_buf_putc(&b, '{');
    for (int i = 0; i < 200; i++)
        yb_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    size_t base = b.len;
    yb_buf_puts(&b, "}");
    CU_ASSERT_EQUAL(decode_with(b.data, b.len, NULL, &n), 0);
    CU_ASSERT_EQUAL(n->count, 200);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "k199"), "199");
    b.len = base;
    yb_buf_puts(&b, ",\"k3\":0}");
    CU_ASSERT_EQUAL(decode_with(b.data, b.len, NULL, &n), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate key \"k3\""));
    b.len = base;
    yb_buf_puts(&b, ",\"k150\":0}");
    CU_ASSERT_EQUAL(decode_with(b.data, b.len, NULL, &n), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate key \"k150\""));
    /* two big objects with the same keys do not collide */
    yb_buf_reset(&b);
    yb_buf_puts(&b, "[");
    for (int o = 0; o < 2; o++) {
        yb_buf_puts(&b, o ? ",{" : "{");
        for (int i = 0; i < 40; i++)
            yb_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
        yb_buf_puts(&b, "}");
    }
    yb_buf_puts(&b, "]");
    CU_ASSERT_EQUAL(decode_with(b.data, b.len, NULL, &n), 0);
    yb_buf_free(&b);
}

static void test_bom(void)
{
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("\xef\xbb\xbf{\"a\":\"b\"}", &n), 0);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "a"), "b");
    /* byte offsets count the BOM; columns do not */
    EXPECT_ERROR("\xef\xbb\xbf{\"a\" 1}", YB_EINVAL,
                 "expected ':' after object key at byte 8 "
                 "(line 1, column 6)");
    /* only one BOM, and only at the start */
    EXPECT_ERROR("\xef\xbb\xbf\xef\xbb\xbf{}", YB_EINVAL, "unexpected byte 0xEF");
    EXPECT_ERROR("{}\xef\xbb\xbf", YB_EINVAL, "unexpected data after the JSON value");
}

static void test_depth_limit(void)
{
    struct yb_node *n;
    char deep[80];
    /* 32 levels pass, 33 do not (default limit) */
    memset(deep, '[', 32);
    memset(deep + 32, ']', 32);
    CU_ASSERT_EQUAL(decode_with(deep, 64, NULL, &n), 0);
    memset(deep, '[', 33);
    memset(deep + 33, ']', 33);
    CU_ASSERT_EQUAL(decode_with(deep, 66, NULL, &n), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nesting deeper than 32 at byte 32 (line 1, column 33)"));
    EXPECT_ERROR("{\"a\":\n  {\"b\":\n    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", YB_ELIMIT,
                 "nesting deeper than 32 at byte 48 (line 3, column 35)");
    struct yb_json_limits lim = {.max_depth = 2};
    CU_ASSERT_EQUAL(decode_with("{\"a\":{}}", 8, &lim, &n), 0);
    CU_ASSERT_EQUAL(decode_with("{\"a\":{\"b\":[]}}", 14, &lim, &n), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nesting deeper than 2 at byte 10"));
    /* a million brackets cost nothing: the limit stops them early */
    size_t big = 1000000;
    char *many = malloc(big);
    memset(many, '[', big);
    CU_ASSERT_EQUAL(decode_with(many, big, NULL, &n), YB_ELIMIT);
    free(many);
}

static void test_string_limit(void)
{
    struct yb_node *n;
    struct yb_json_limits lim = {.max_string = 4};
    CU_ASSERT_EQUAL(decode_with("[\"abcd\"]", 8, &lim, &n), 0);
    CU_ASSERT_EQUAL(decode_with("[\"abcde\"]", 9, &lim, &n), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "string longer than 4 bytes at byte 1"));
    /* the limit is on decoded bytes: \u6d4b is 3 bytes, twice is 6 */
    CU_ASSERT_EQUAL(decode_with("[\"\\u6d4b\\u6d4b\"]", 16, &lim, &n), YB_ELIMIT);
    CU_ASSERT_EQUAL(decode_with("[\"\\u6d4b\"]", 10, &lim, &n), 0);
    /* keys count too */
    CU_ASSERT_EQUAL(decode_with("{\"abcde\":1}", 11, &lim, &n), YB_ELIMIT);
    CU_ASSERT_EQUAL(decode_with("[1234]", 6, &lim, &n), 0);
    CU_ASSERT_EQUAL(decode_with("[12345]", 7, &lim, &n), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "number literal longer than 4 bytes at byte 1"));
}

static void test_items_limit(void)
{
    struct yb_node *n;
    struct yb_json_limits lim = {.max_items = 3};
    CU_ASSERT_EQUAL(decode_with("[1,2,3]", 7, &lim, &n), 0);
    CU_ASSERT_EQUAL(decode_with("[1,2,3,4]", 9, &lim, &n), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 3 items in one array at byte 7"));
    CU_ASSERT_EQUAL(decode_with("{\"a\":1,\"b\":2,\"c\":3}", 19, &lim, &n), 0);
    CU_ASSERT_EQUAL(decode_with("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", 25, &lim, &n), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 3 members in one object at byte 19"));
}

static void test_pool_cap(void)
{
    struct yb_pool *small = yb_pool_create(512);
    struct yb_node *n;
    struct yb_buf b;
    yb_buf_init(&b, 0);
    yb_buf_putc(&b, '[');
    for (int i = 0; i < 100; i++)
        yb_buf_printf(&b, "%s\"value %d\"", i ? "," : "", i);
    yb_buf_putc(&b, ']');
    int rc = yb_json_decode(small, b.data, b.len, NULL, &n, err, sizeof(err));
    CU_ASSERT_EQUAL(rc, YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pool cap reached"));
    yb_pool_destroy(small);
    yb_buf_free(&b);
}

static void test_encode_escapes(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_node *o = yb_node_new(p, YB_NODE_OBJECT);
    const char raw[] = "q\"b\\n\nt\tr\rc\x01\x1f\x7f 测试 \xf0\x9f\x98\x80";
    yb_node_put_string(p, o, "k\"\n", raw, sizeof(raw) - 1);
    struct yb_node *num = yb_node_new_text(p, YB_NODE_NUMBER, "0.10", 4);
    yb_node_put(p, o, "n", num);
    struct yb_node *nul = yb_node_new_text(p, YB_NODE_STRING, "a\0b", 3);
    yb_node_put(p, o, "z", nul);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL(yb_json_encode(o, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "{\"k\\\"\\n\":\"q\\\"b\\\\n\\nt\\tr\\rc\\u0001\\u001f\x7f 测试 "
                                   "\xf0\x9f\x98\x80\",\"n\":0.10,\"z\":\"a\\u0000b\"}");
    /* and what it writes decodes back to the same text */
    struct yb_node *back;
    CU_ASSERT_EQUAL_FATAL(decode_with(b.data, b.len, NULL, &back), 0);
    struct yb_node *s = yb_node_get(back, "k\"\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->len, sizeof(raw) - 1);
    CU_ASSERT_EQUAL(memcmp(s->text, raw, s->len), 0);
    CU_ASSERT_EQUAL(yb_node_get(back, "z")->len, 3);
    yb_buf_free(&b);
    yb_pool_destroy(p);
}

static void test_encode_cap(void)
{
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("{\"a\":\"0123456789\",\"b\":[1,2,3]}", &n), 0);
    struct yb_buf b;
    yb_buf_init(&b, 29);
    CU_ASSERT_EQUAL(yb_json_encode(n, &b), YB_ELIMIT);
    yb_buf_free(&b);
    yb_buf_init(&b, 30);
    CU_ASSERT_EQUAL(yb_json_encode(n, &b), 0);
    CU_ASSERT_EQUAL(b.len, 30);
    yb_buf_free(&b);
}

static void test_error_buffer_small(void)
{
    /* a short err buffer is cut, not overrun; a NULL one is allowed */
    char small[8];
    struct yb_pool *p = yb_pool_create(0);
    struct yb_node *n;
    CU_ASSERT_EQUAL(yb_json_decode(p, "[1 2]", 5, NULL, &n, small, sizeof(small)), YB_EINVAL);
    CU_ASSERT_EQUAL(strlen(small), 7);
    CU_ASSERT_EQUAL(yb_json_decode(p, "[1 2]", 5, NULL, &n, NULL, 0), YB_EINVAL);
    yb_pool_destroy(p);
}

static const struct yb_test tests[] = {
    YB_TEST(test_round_trip_envelope),
    YB_TEST(test_numbers_kept_as_literals),
    YB_TEST(test_number_grammar),
    YB_TEST(test_types_and_tree),
    YB_TEST(test_escapes),
    YB_TEST(test_surrogates),
    YB_TEST(test_utf8_validation),
    YB_TEST(test_utf8_functions),
    YB_TEST(test_control_chars),
    YB_TEST(test_syntax_errors),
    YB_TEST(test_duplicate_keys),
    YB_TEST(test_bom),
    YB_TEST(test_depth_limit),
    YB_TEST(test_string_limit),
    YB_TEST(test_items_limit),
    YB_TEST(test_pool_cap),
    YB_TEST(test_encode_escapes),
    YB_TEST(test_encode_cap),
    YB_TEST(test_error_buffer_small),
    YB_TEST_END,
};

int main(void)
{
    int rc = yb_test_main("codec_json", tests);
    yb_pool_destroy(pool);
    return rc;
}
