/*
 * pii_test.c - personal data masks (pii.c): each kind's rule on typical,
 * short, empty and hostile values (Chinese names, invalid UTF-8, control
 * characters, a cut output buffer); the built-in field list, case-blind
 * lookup, `personal_field` overrides, additions, `none` and bad directives;
 * and a whole message tree with nested objects and arrays masked in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_json.h"
#include "conf.h"
#include "pii.h"
#include "pool.h"
#include "testutil.h"
#include "tree.h"
#include "ybgw/ybgw.h"

static char out[256];
static char err[512];

static const char *mask(int kind, const char *in)
{
    size_t n = yb_pii_mask(kind, in, strlen(in), out, sizeof(out));
    CU_ASSERT_EQUAL(n, strlen(out));
    CU_ASSERT(n <= strlen(in)); /* never longer, in bytes too */
    return out;
}

static void test_id(void)
{
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "450103199001011234"), "450103********1234");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "45010319900101123X"), "450103********123X");
    /* 13 characters: still head 6 and tail 4 */
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "1234567890123"), "123456***0123");
    /* 12 or fewer: the last 2 */
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "123456789012"), "**********12");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "1234"), "**34");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "123"), "*23");
    /* a rule that would show the whole value shows half */
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "12"), "*2");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "1"), "*");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, ""), "");
}

static void test_name(void)
{
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "张三丰"), "张**");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "张三"), "张*");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "欧阳娜娜"), "欧***");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "阿卜杜热合曼·买买提"), "阿*********");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "Li Wei"), "L*****");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "张"), "*");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, ""), "");
}

static void test_phone(void)
{
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_PHONE, "13812345678"), "138****5678");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_PHONE, "0771-5551234"), "077*****1234");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_PHONE, "5551234"), "*****34");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_PHONE, "12345678"), "******78");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_PHONE, "12"), "*2");
}

static void test_address_secret(void)
{
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ADDRESS, "广西壮族自治区南宁市青秀区民族大道100号"),
                           "广西壮族自治***************");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ADDRESS, "南宁市青秀区"), "南宁市***");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_SECRET, "hunter2-long-secret"), "***");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_SECRET, "ab"), "**");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_SECRET, ""), "");
    /* a kind this build does not know reveals nothing */
    CU_ASSERT_STRING_EQUAL(mask(99, "450103199001011234"), "***");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NONE, "as is"), "as is");
    /* text without a field list: only bare numbers */
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_TEXT, "certno \"4501\" id 450103199001011234"),
                           "certno \"4501\" id 450103********1234");
}

static void test_hostile_bytes(void)
{
    /* invalid bytes count as one character each and never show */
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "\xff\xfe\xfd"), "?**");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "4501\xc0\xaf"
                                           "0319900101123X"),
                           "4501??**********123X");
    /* a cut sequence: E5 BC (half of 张) then ASCII */
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_NAME, "\xe5\xbc"
                                             "abc"),
                           "?****");
    /* control characters cannot forge a log line */
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ADDRESS, "a\nb\rc\x7f"
                                                "defgh"),
                           "a?b?c?*****");
    CU_ASSERT_STRING_EQUAL(mask(YB_PII_ID, "\x1b[31m1234567890\n"), "?[31m1******890?");
    /* a NUL inside the length is a byte like any other */
    size_t n = yb_pii_mask(YB_PII_PHONE,
                           "138\0"
                           "12345678",
                           12, out, sizeof(out));
    CU_ASSERT_EQUAL(n, 12);
    CU_ASSERT_STRING_EQUAL(out, "138*****5678");
    /* NULL input is empty */
    CU_ASSERT_EQUAL(yb_pii_mask(YB_PII_ID, NULL, 5, out, sizeof(out)), 0);
    CU_ASSERT_STRING_EQUAL(out, "");
}

static void test_cap(void)
{
    char small[6];
    /* cut at a character boundary, always terminated */
    size_t n = yb_pii_mask(YB_PII_NAME, "张三丰", 9, small, sizeof(small));
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_STRING_EQUAL(small, "张**");
    n = yb_pii_mask(YB_PII_NAME, "张三丰", 9, small, 3);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_STRING_EQUAL(small, "");
    n = yb_pii_mask(YB_PII_NONE, "张三丰", 9, small, sizeof(small));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_STRING_EQUAL(small, "张");
    CU_ASSERT_EQUAL(yb_pii_mask(YB_PII_ID, "1234", 4, small, 0), 0);
    CU_ASSERT_EQUAL(yb_pii_mask(YB_PII_ID, "1234", 4, NULL, 10), 0);
}

/* Random bytes (weighted to UTF-8 lead and continuation bytes) through
 * every kind: never longer, always valid UTF-8 without controls, and never
 * more characters shown than the rule allows. */
static void test_random_bytes(void)
{
    static const unsigned char pick[] = {'1',  'a',  '\n', 0x00, 0x7f, 0x80, 0xbf, 0xc2,
                                         0xe5, 0xbc, 0xa0, 0xed, 0xf0, 0xf4, 0x90, 0xff,
                                         '"',  ':',  '=',  ' ',  't',  'e',  'l'};
    struct yb_pii *text_pii = yb_pii_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(text_pii);
    unsigned seed = 12345;
    unsigned char in[40];
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(round % 40);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = pick[(seed >> 16) % sizeof(pick)];
        }
        /* free text: never longer, whatever the bytes */
        CU_ASSERT_FATAL(yb_pii_mask_text(text_pii, (const char *)in, len, out, sizeof(out)) <= len);
        for (int kind = YB_PII_ID; kind <= YB_PII_SECRET; kind++) {
            size_t n = yb_pii_mask(kind, (const char *)in, len, out, sizeof(out));
            CU_ASSERT_FATAL(n <= len);
            CU_ASSERT_EQUAL_FATAL(yb_utf8_check(out, n), 0);
            size_t shown = 0, chars = yb_utf8_length(out, n);
            for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)out[i];
                CU_ASSERT_FATAL(c >= 0x20 && c != 0x7f);
                if (c != '*' && (c & 0xc0) != 0x80)
                    shown++;
            }
            CU_ASSERT_FATAL(chars <= len);
            CU_ASSERT_FATAL(shown <= (kind == YB_PII_ID || kind == YB_PII_PHONE ? 10u
                                      : kind == YB_PII_ADDRESS                  ? 6u
                                      : kind == YB_PII_NAME                     ? 1u
                                                                                : 0u));
            /* nothing shown in full unless it is empty */
            if (chars > 0)
                CU_ASSERT_FATAL(shown < chars);
        }
    }
    yb_pii_free(text_pii);
}

static void test_builtin(void)
{
    struct yb_pii *p = yb_pii_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "certno"), YB_PII_ID);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "mdtrt_cert_no"), YB_PII_ID);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "card_sn"), YB_PII_ID);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "psn_name"), YB_PII_NAME);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "coner_name"), YB_PII_NAME);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "tel"), YB_PII_PHONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "coner_tel"), YB_PII_PHONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "curr_addr"), YB_PII_ADDRESS);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "addr"), YB_PII_ADDRESS);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "err_msg"), YB_PII_TEXT);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "warn_msg"), YB_PII_TEXT);
    /* case-blind: a HIS's upper-case keys are masked too */
    CU_ASSERT_EQUAL(yb_pii_kind(p, "CERTNO"), YB_PII_ID);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "Psn_Name"), YB_PII_NAME);
    /* not personal */
    CU_ASSERT_EQUAL(yb_pii_kind(p, "psn_no"), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "med_list_codg"), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "certn"), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "certnoo"), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, ""), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, NULL), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(NULL, "certno"), YB_PII_NONE);
    yb_pii_free(p);
    yb_pii_free(NULL);
}

/* Apply every personal_field directive of text to p. */
static int apply(struct yb_pii *p, const char *text)
{
    struct yb_conf *root = yb_conf_parse_string("t.conf", text, strlen(text), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    int rc = 0;
    for (const struct yb_conf *d = root->children; d && !rc; d = d->next)
        rc = yb_pii_conf(p, d, err, sizeof(err));
    yb_conf_free(root);
    return rc;
}

static void test_conf(void)
{
    struct yb_pii *p = yb_pii_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(apply(p, "personal_field psn_no id;\n"
                             "personal_field tel secret;\n"
                             "personal_field Addr none;\n"
                             "personal_field dr_name name;\n"
                             "personal_field memo text;\n"),
                    0);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "psn_no"), YB_PII_ID);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "tel"), YB_PII_SECRET);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "addr"), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "dr_name"), YB_PII_NAME);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "memo"), YB_PII_TEXT);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "certno"), YB_PII_ID);

    /* a copy keeps the changes and is independent */
    struct yb_pii *copy = yb_pii_dup(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    CU_ASSERT_EQUAL(apply(p, "personal_field dr_name none;\n"), 0);
    CU_ASSERT_EQUAL(yb_pii_kind(p, "dr_name"), YB_PII_NONE);
    CU_ASSERT_EQUAL(yb_pii_kind(copy, "dr_name"), YB_PII_NAME);
    CU_ASSERT_EQUAL(yb_pii_kind(copy, "tel"), YB_PII_SECRET);
    yb_pii_free(copy);

    /* many fields: the table grows and every one is still found */
    char text[64], name[32];
    for (int i = 0; i < 300; i++) {
        snprintf(text, sizeof(text), "personal_field f%d phone;\n", i);
        CU_ASSERT_EQUAL(apply(p, text), 0);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        CU_ASSERT_EQUAL(yb_pii_kind(p, name), YB_PII_PHONE);
    }
    CU_ASSERT_EQUAL(yb_pii_kind(p, "psn_name"), YB_PII_NAME);

    CU_ASSERT_EQUAL(apply(p, "personal_field certno medium;\n"), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"medium\""));
    CU_ASSERT_EQUAL(apply(p, "\npersonal_field \"cert no\" id;\n"), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a field name"));
    CU_ASSERT_EQUAL(apply(p, "personal_field certno;\n"), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "takes a field name"));
    CU_ASSERT_EQUAL(apply(p, "personal_field "
                             "a23456789012345678901234567890123456789012345678901234567890123456 "
                             "id;\n"),
                    YB_EINVAL);
    /* a refused directive changed nothing */
    CU_ASSERT_EQUAL(yb_pii_kind(p, "certno"), YB_PII_ID);
    yb_pii_free(p);
}

static void test_tree(void)
{
    static const char body[] =
        "{\"infno\":\"4101\",\"input\":{\"setlinfo\":{\"psn_name\":\"张三丰\","
        "\"certno\":\"450103199001011234\",\"coner_tel\":13812345678,\"psn_no\":\"P001\","
        "\"curr_addr\":\"广西壮族自治区南宁市青秀区\",\"gend\":\"1\",\"CERTNO\":"
        "\"45010319900101123X\","
        "\"emp_addr\":null,\"card_sn\":true},"
        "\"feedetail\":[{\"feedetl_sn\":\"1\",\"psn_name\":\"李四\"},"
        "[{\"certno\":\"1234567890123\"}],{\"x\":[[{\"tel\":\"5551234\"}]]}],"
        "\"tel\":[\"13812345678\",[\"13900001111\"],{\"tel\":\"13700002222\"}],"
        "\"mdtrt_cert_no\":{\"nested\":\"not personal by itself\"}},"
        "\"err_msg\":\"data.certno: \\\"450103199001019999\\\" is refused [schema]\","
        "\"warn_msg\":\"nothing personal here\"}";
    struct yb_pool *pool = yb_pool_create(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    struct yb_node *root = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_json_decode(pool, body, strlen(body), NULL, &root, err, sizeof(err)),
                          0);
    struct yb_pii *p = yb_pii_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    /* yb_pii_encode writes what masking the tree and encoding it gives,
     * and leaves the tree as it was */
    struct yb_buf direct, plain;
    yb_buf_init(&direct, 0);
    yb_buf_init(&plain, 0);
    CU_ASSERT_EQUAL_FATAL(yb_pii_encode(p, root, &direct), 0);
    CU_ASSERT_EQUAL_FATAL(yb_json_encode(root, &plain), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.data, "450103199001011234"));
    CU_ASSERT_PTR_NULL(strstr(direct.data, "450103199001011234"));
    yb_buf_free(&plain);
    CU_ASSERT_EQUAL(yb_pii_mask_tree(p, pool, root), 12);

    struct yb_buf json;
    yb_buf_init(&json, 0);
    CU_ASSERT_EQUAL_FATAL(yb_json_encode(root, &json), 0);
    CU_ASSERT_STRING_EQUAL(direct.data, json.data);
    yb_buf_free(&direct);
    const char *s = json.data;
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"psn_name\":\"张**\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"certno\":\"450103********1234\""));
    /* a number becomes a string: the masked text is no JSON number */
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"coner_tel\":\"138****5678\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"psn_no\":\"P001\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"curr_addr\":\"广西壮族自治*******\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"gend\":\"1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"CERTNO\":\"450103********123X\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"emp_addr\":null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"card_sn\":true"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"feedetl_sn\":\"1\",\"psn_name\":\"李*\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "[{\"certno\":\"123456***0123\"}]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "[[{\"tel\":\"*****34\"}]]"));
    /* a list of plain values under a personal name, at any depth */
    CU_ASSERT_PTR_NOT_NULL(
        strstr(s, "\"tel\":[\"138****5678\",[\"139****1111\"],{\"tel\":\"137****2222\"}]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "{\"nested\":\"not personal by itself\"}"));
    CU_ASSERT_PTR_NULL(strstr(s, "199001011234"));
    CU_ASSERT_PTR_NULL(strstr(s, "三丰"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(s, "\"err_msg\":\"data.certno: \\\"450103********9999\\\" is refused [schema]\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"warn_msg\":\"nothing personal here\""));
    CU_ASSERT_PTR_NULL(strstr(s, "199001019999"));

    /* masking again changes nothing more (free text that did not change
     * is not counted) */
    CU_ASSERT_EQUAL(yb_pii_mask_tree(p, pool, root), 11);
    struct yb_buf again;
    yb_buf_init(&again, 0);
    CU_ASSERT_EQUAL(yb_json_encode(root, &again), 0);
    CU_ASSERT_STRING_EQUAL(again.data, s);
    yb_buf_free(&again);
    yb_buf_free(&json);

    /* a subtree, and a scalar root with a personal key */
    struct yb_node *setl = yb_node_path(root, "input.feedetail");
    CU_ASSERT_PTR_NOT_NULL(setl);
    struct yb_node *leaf = yb_node_new_text(pool, YB_NODE_STRING, "王五", 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(leaf);
    leaf->key = "psn_name";
    leaf->key_len = 8;
    CU_ASSERT_EQUAL(yb_pii_mask_tree(p, pool, leaf), 1);
    CU_ASSERT_EQUAL(leaf->len, 4);
    CU_ASSERT_NSTRING_EQUAL(leaf->text, "王*", 4);
    yb_pii_free(p);
    yb_pool_destroy(pool);
}

static const char *text(const struct yb_pii *p, const char *in)
{
    size_t n = yb_pii_mask_text(p, in, strlen(in), out, sizeof(out));
    CU_ASSERT_EQUAL(n, strlen(out));
    CU_ASSERT(n <= strlen(in));
    return out;
}

static void test_text(void)
{
    struct yb_pii *p = yb_pii_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    /* the gateway's own findings */
    CU_ASSERT_STRING_EQUAL(
        text(p, "data.certno: \"450103199001011234567\" is longer than 18 characters [schema]"),
        "data.certno: \"450103***********4567\" is longer than 18 characters [schema]");
    CU_ASSERT_STRING_EQUAL(text(p, "feedetail[3].psn_name: \"张三丰\" is required [schema]"),
                           "feedetail[3].psn_name: \"张**\" is required [schema]");
    /* a platform's messages */
    CU_ASSERT_STRING_EQUAL(
        text(p, "未查询到参保信息: no insured person with certno \"4501031988\""),
        "未查询到参保信息: no insured person with certno \"********88\"");
    CU_ASSERT_STRING_EQUAL(text(p, "姓名与证件不符: psn_name \"测试乙\" does not match"),
                           "姓名与证件不符: psn_name \"测**\" does not match");
    CU_ASSERT_STRING_EQUAL(text(p, "身份证号450103199001010011不存在"),
                           "身份证号450103********0011不存在");
    CU_ASSERT_STRING_EQUAL(text(p, "{\"certno\":\"45010319900101001X\",\"tel\": \"13812345678\"}"),
                           "{\"certno\":\"450103********001X\",\"tel\": \"138****5678\"}");
    CU_ASSERT_STRING_EQUAL(text(p, "tel=13812345678; addr: 南宁市青秀区民族大道1号, ok"),
                           "tel=138****5678; addr: 南宁市青秀区******, ok");
    CU_ASSERT_STRING_EQUAL(text(p, "call 13812345678 or 15 digits 450103900101001"),
                           "call 138****5678 or 15 digits 450103*****1001");
    /* what is not personal stays */
    const char *plain[] = {
        "psn_name does not match the person found",
        "msgid H45019900055202611231000000001 and psn_no 4501990000000001",
        "med_list_codg: \"XA01ABD075A00201010048\" is not a valid drug code [codeset.drug]",
        "amount 12345678901.00 at 20261123100000123",
        "certno",
        "certno: ",
        "",
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        CU_ASSERT_STRING_EQUAL(text(p, plain[i]), plain[i]);
    /* an unterminated quote masks to the end; invalid bytes pass through */
    CU_ASSERT_STRING_EQUAL(text(p, "certno \"4501"), "certno \"**01");
    CU_ASSERT_STRING_EQUAL(text(p, "\xff certno=12\xff"), "\xff certno=*2?");
    /* cut to the buffer, never mid-character */
    char small[8];
    size_t n = yb_pii_mask_text(p, "张三 tel=13812345678", 22, small, sizeof(small));
    CU_ASSERT_EQUAL(n, strlen(small));
    CU_ASSERT_STRING_EQUAL(small, "张三 ");
    CU_ASSERT_EQUAL(yb_pii_mask_text(p, "x", 1, small, 0), 0);
    yb_pii_free(p);
}

static void test_tree_nomem(void)
{
    static const char body[] = "{\"certno\":\"450103199001011234\"}";
    struct yb_pool *pool = yb_pool_create(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    struct yb_node *root = NULL;
    CU_ASSERT_EQUAL_FATAL(yb_json_decode(pool, body, strlen(body), NULL, &root, err, sizeof(err)),
                          0);
    struct yb_pool *tiny = yb_pool_create(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tiny);
    struct yb_pii *p = yb_pii_new();
    CU_ASSERT_EQUAL(yb_pii_mask_tree(p, tiny, root), YB_ENOMEM);
    yb_pii_free(p);
    yb_pool_destroy(tiny);
    yb_pool_destroy(pool);
}

int main(void)
{
    static const struct yb_test tests[] = {
        YB_TEST(test_id),
        YB_TEST(test_name),
        YB_TEST(test_phone),
        YB_TEST(test_address_secret),
        YB_TEST(test_hostile_bytes),
        YB_TEST(test_cap),
        YB_TEST(test_random_bytes),
        YB_TEST(test_builtin),
        YB_TEST(test_conf),
        YB_TEST(test_tree),
        YB_TEST(test_text),
        YB_TEST(test_tree_nomem),
        YB_TEST_END,
    };
    return yb_test_main("pii", tests);
}
