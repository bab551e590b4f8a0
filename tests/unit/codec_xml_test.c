/*
 * codec_xml_test.c - the XML codec: mapping to the tree, encodings in and
 * out (GBK, GB18030), the refusals that keep hostile XML out (DOCTYPE, XXE,
 * billion laughs, attributes, mixed content), limits, and round trips
 * through JSON.
 */
#include "codec_xml.h"

#include <libxml/parser.h>
#include <unistd.h>

#include "codec_json.h"
#include "testutil.h"

static struct yb_pool *pool;
static char err[512];
static char enc[32];
static const char *root;

static int decode_with(const char *s, size_t len, const struct yb_xml_limits *lim,
                       struct yb_node **out)
{
    yb_pool_destroy(pool);
    pool = yb_pool_create(0);
    enc[0] = '\0';
    root = NULL;
    return yb_xml_decode(pool, s, len, lim, out, &root, enc, err, sizeof(err));
}

static int decode(const char *s, struct yb_node **out)
{
    return decode_with(s, strlen(s), NULL, out);
}

static void expect_error(const char *s, int rc, const char *want)
{
    struct yb_node *n = (struct yb_node *)1;
    int got = decode(s, &n);
    CU_ASSERT_EQUAL(got, rc);
    CU_ASSERT_PTR_NULL(n);
    if (!strstr(err, want))
        fprintf(stderr, "\n  error \"%s\" lacks \"%s\"\n", err, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
}

/* The tree as compact JSON, for whole-structure comparisons. */
static const char *as_json(const struct yb_node *n)
{
    static char text[4096];
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL(yb_json_encode(n, &b), 0);
    snprintf(text, sizeof(text), "%s", b.data ? b.data : "");
    yb_buf_free(&b);
    return text;
}

static void expect_tree(const char *xml, const char *json)
{
    struct yb_node *n = NULL;
    int rc = decode(xml, &n);
    if (rc)
        fprintf(stderr, "\n  decode failed: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const char *got = as_json(n);
    if (strcmp(got, json))
        fprintf(stderr, "\n  got  %s\n  want %s\n", got, json);
    CU_ASSERT_STRING_EQUAL(got, json);
}

static void test_envelope_mapping(void)
{
    expect_tree("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<request>\n"
                "  <infno>2204</infno>\n"
                "  <msgid>H43111100255202406120922370001</msgid>\n"
                "  <input>\n"
                "    <feedetail><feedetl_sn>1</feedetl_sn><pric>12.50</pric></feedetail>\n"
                "    <feedetail><feedetl_sn>2</feedetl_sn><pric>3.00</pric></feedetail>\n"
                "  </input>\n"
                "  <sign_no/>\n"
                "</request>\n",
                "{\"infno\":\"2204\",\"msgid\":\"H43111100255202406120922370001\","
                "\"input\":{\"feedetail\":[{\"feedetl_sn\":\"1\",\"pric\":\"12.50\"},"
                "{\"feedetl_sn\":\"2\",\"pric\":\"3.00\"}]},\"sign_no\":\"\"}");
    CU_ASSERT_STRING_EQUAL(root, "request");
    CU_ASSERT_STRING_EQUAL(enc, "UTF-8");
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("<response><infcode>0</infcode></response>", &n), 0);
    CU_ASSERT_STRING_EQUAL(root, "response");
    CU_ASSERT_EQUAL(n->type, YB_NODE_OBJECT);
    CU_ASSERT_EQUAL(yb_node_get(n, "infcode")->type, YB_NODE_STRING);
    /* an empty root is an empty object */
    expect_tree("<request/>", "{}");
    expect_tree("<request>  \n </request>", "{}");
}

static void test_one_item_list_stays_object(void)
{
    /* shaping one-item lists into arrays is the schema's job, not ours */
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("<request><input><feedetail><feedetl_sn>1</feedetl_sn>"
                                 "</feedetail></input></request>",
                                 &n),
                          0);
    struct yb_node *fd = yb_node_path(n, "input.feedetail");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fd);
    CU_ASSERT_EQUAL(fd->type, YB_NODE_OBJECT);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(fd, "feedetl_sn"), "1");
}

static void test_repeated_elements(void)
{
    /* the array sits where the first one was, even with others between */
    expect_tree("<request><a>1</a><b>x</b><a>2</a><c/><a>3</a></request>",
                "{\"a\":[\"1\",\"2\",\"3\"],\"b\":\"x\",\"c\":\"\"}");
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("<request><a>1</a><b>x</b><a>2</a></request>", &n), 0);
    struct yb_node *a = yb_node_get(n, "a");
    CU_ASSERT_EQUAL(a->type, YB_NODE_ARRAY);
    CU_ASSERT_EQUAL(a->count, 2);
    CU_ASSERT_PTR_NULL(yb_node_at(a, 0)->key);
    CU_ASSERT_PTR_EQUAL(yb_node_at(a, 1)->parent, a);
    CU_ASSERT_PTR_EQUAL(n->last, yb_node_get(n, "b"));
    CU_ASSERT_EQUAL(n->count, 2);
    CU_ASSERT_STRING_EQUAL(yb_node_path(n, "a[1]")->text, "2");
    /* a big object goes through the hash index: 40 distinct names, then
     * repeats of an early and a late one */
    struct yb_buf b;
    yb_buf_init(&b, 0);
    yb_buf_puts(&b, "<request>");
    for (int i = 0; i < 40; i++)
        yb_buf_printf(&b, "<f%d>%d</f%d>", i, i, i);
    yb_buf_puts(&b, "<f2>again</f2><f30>again</f30><f30>third</f30></request>");
    CU_ASSERT_EQUAL_FATAL(decode_with(b.data, b.len, NULL, &n), 0);
    CU_ASSERT_EQUAL(n->count, 40);
    CU_ASSERT_EQUAL(yb_node_get(n, "f2")->type, YB_NODE_ARRAY);
    CU_ASSERT_EQUAL(yb_node_get(n, "f30")->count, 3);
    CU_ASSERT_STRING_EQUAL(yb_node_path(n, "f30[2]")->text, "third");
    CU_ASSERT_STRING_EQUAL(yb_node_path(n, "f2[0]")->text, "2");
    CU_ASSERT_PTR_EQUAL(yb_node_at(n, 2), yb_node_get(n, "f2"));
    yb_buf_free(&b);
}

static void test_text_handling(void)
{
    /* leaves keep their spaces; entities and char refs are decoded; CDATA
     * joins the text; comments vanish */
    expect_tree("<request><a>  x y  </a><b>&lt;&amp;&gt;&quot;&apos;&#x6d4b;&#35797;</b>"
                "<c><![CDATA[<raw>&]]></c><d>1<!-- note -->2</d><e>   </e></request>",
                "{\"a\":\"  x y  \",\"b\":\"<&>\\\"'\xe6\xb5\x8b\xe8\xaf\x95\",\"c\":\"<raw>&\","
                "\"d\":\"12\",\"e\":\"   \"}");
    /* whitespace around child elements is not text */
    expect_tree("<request>\n\t<input>\n\t\t<data>\n\t\t\t<x>1</x>\n\t\t</data>\n\t</input>\n"
                "</request>",
                "{\"input\":{\"data\":{\"x\":\"1\"}}}");
}

static void test_gbk_in_and_out(void)
{
    /* 测试 in GBK is B2 E2 CA D4 */
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("<?xml version=\"1.0\" encoding=\"gbk\"?>"
                                 "<request><psn_name>\xb2\xe2\xca\xd4</psn_name></request>",
                                 &n),
                          0);
    CU_ASSERT_STRING_EQUAL(enc, "GBK");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "psn_name"), "\xe6\xb5\x8b\xe8\xaf\x95");

    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(yb_xml_encode(n, "response", "GBK", &b, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "<?xml version=\"1.0\" encoding=\"GBK\"?>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "<response><psn_name>\xb2\xe2\xca\xd4</psn_name>"
                                          "</response>"));
    /* and it reads back to the same tree */
    struct yb_node *back;
    CU_ASSERT_EQUAL_FATAL(decode_with(b.data, b.len, NULL, &back), 0);
    CU_ASSERT_STRING_EQUAL(root, "response");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(back, "psn_name"), "\xe6\xb5\x8b\xe8\xaf\x95");
    yb_buf_free(&b);
}

static void test_gbk_unrepresentable(void)
{
    /* U+1F600 and U+00E9 have no GBK form: written as character references */
    struct yb_pool *p = yb_pool_create(0);
    struct yb_node *o = yb_node_new(p, YB_NODE_OBJECT);
    yb_node_put_string(p, o, "memo", "\xf0\x9f\x98\x80|\xe6\xb5\x8b", 8);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(yb_xml_encode(o, "response", "GBK", &b, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "<memo>&#128512;|\xb2\xe2</memo>"));
    struct yb_node *back;
    CU_ASSERT_EQUAL_FATAL(decode_with(b.data, b.len, NULL, &back), 0);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(back, "memo"), "\xf0\x9f\x98\x80|\xe6\xb5\x8b");
    yb_buf_free(&b);
    yb_pool_destroy(p);
}

static void test_gb18030(void)
{
    /* GB18030 holds U+1F600 as the four bytes 94 39 FC 36 */
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("<?xml version=\"1.0\" encoding=\"GB18030\"?>"
                                 "<request><a>\xb2\xe2\x94\x39\xfc\x36</a></request>",
                                 &n),
                          0);
    CU_ASSERT_STRING_EQUAL(enc, "GB18030");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "a"), "\xe6\xb5\x8b\xf0\x9f\x98\x80");
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(yb_xml_encode(n, "request", "gb18030", &b, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "encoding=\"GB18030\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "<a>\xb2\xe2\x94\x39\xfc\x36</a>"));
    yb_buf_free(&b);
    /* GB2312 is decoded too */
    CU_ASSERT_EQUAL(decode("<?xml version=\"1.0\" encoding=\"GB2312\"?>"
                           "<request><a>\xb2\xe2</a></request>",
                           &n),
                    0);
    CU_ASSERT_STRING_EQUAL(enc, "GB2312");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(n, "a"), "\xe6\xb5\x8b");
}

static void test_encoding_errors(void)
{
    expect_error("<?xml version=\"1.0\" encoding=\"NO-SUCH-ENC\"?><request/>", YB_EINVAL,
                 "XML not well-formed at line 1:");
    /* bytes that are not GBK */
    expect_error("<?xml version=\"1.0\" encoding=\"GBK\"?><request><a>\xff\xff</a></request>",
                 YB_EINVAL, "XML not well-formed");
    /* bad UTF-8: overlong and encoded surrogate */
    expect_error("<request><a>\xc0\xaf</a></request>", YB_EINVAL, "XML not well-formed at line 1");
    expect_error("<request><a>\xed\xa0\x80</a></request>", YB_EINVAL, "XML not well-formed");
    struct yb_buf b;
    yb_buf_init(&b, 0);
    struct yb_node *n;
    CU_ASSERT_EQUAL_FATAL(decode("<request><a>1</a></request>", &n), 0);
    CU_ASSERT_EQUAL(yb_xml_encode(n, "request", "NO-SUCH-ENC", &b, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown encoding \"NO-SUCH-ENC\""));
    CU_ASSERT_EQUAL(b.len, 0);
    yb_buf_free(&b);
}

static void test_doctype_refused(void)
{
    expect_error("<?xml version=\"1.0\"?>\n<!DOCTYPE request>\n<request/>", YB_EINVAL,
                 "XML with a DOCTYPE is not accepted (line 2)");
    /* XXE: an external entity naming a local file */
    expect_error("<?xml version=\"1.0\"?>\n"
                 "<!DOCTYPE request [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                 "<request><psn_name>&xxe;</psn_name></request>",
                 YB_EINVAL, "XML with a DOCTYPE is not accepted");
    /* external DTD over the network */
    expect_error("<!DOCTYPE request SYSTEM \"http://127.0.0.1:1/x.dtd\"><request/>", YB_EINVAL,
                 "XML with a DOCTYPE is not accepted");
    /* billion laughs */
    expect_error("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                 " <!ENTITY lol \"lol\">\n"
                 " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
                 " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
                 " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
                 " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
                 " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
                 "]>\n<request><a>&lol5;</a></request>",
                 YB_EINVAL, "XML with a DOCTYPE is not accepted (line 2)");
    /* without a DTD, an undeclared entity is simply not well-formed */
    expect_error("<request><a>&xxe;</a></request>", YB_EINVAL,
                 "XML not well-formed at line 1: Entity 'xxe' not defined");
}

static void test_structure_errors(void)
{
    expect_error("<request><a code=\"1\">x</a></request>", YB_EINVAL,
                 "attribute code on <a> is not part of the message (line 1)");
    expect_error("<request\n version=\"2\"/>", YB_EINVAL, "attribute version on <request>");
    expect_error("<request xmlns=\"urn:x\"/>", YB_EINVAL, "namespace on <request>");
    expect_error("<request xmlns:p=\"urn:x\"><p:a/></request>", YB_EINVAL, "namespace on");
    expect_error("<request>\n<a>text<b>1</b></a></request>", YB_EINVAL,
                 "<a> mixes text and elements (line 2)");
    expect_error("<request><a><b>1</b>tail</a></request>", YB_EINVAL, "<a> mixes text");
    expect_error("<request>hello</request>", YB_EINVAL, "<request> holds text");
    expect_error("<message><a/></message>", YB_EINVAL,
                 "XML root is <message>, expected <request> or <response>");
    expect_error("<request><a></request>", YB_EINVAL, "XML not well-formed at line 1:");
    expect_error("<request>\n\n<a>1</b></request>", YB_EINVAL, "XML not well-formed at line 3:");
    expect_error("<request/><request/>", YB_EINVAL, "XML not well-formed");
    expect_error("", YB_EINVAL, "empty body");
    expect_error("   ", YB_EINVAL, "XML not well-formed");
    expect_error("{\"infno\":\"2207\"}", YB_EINVAL, "XML not well-formed");
}

static void test_limits(void)
{
    struct yb_node *n;
    struct yb_xml_limits lim = {.max_depth = 3};
    CU_ASSERT_EQUAL(decode_with("<request><a><b>1</b></a></request>", 34, &lim, &n), 0);
    CU_ASSERT_EQUAL(decode_with("<request><a><b><c>1</c></b></a></request>", 41, &lim, &n),
                    YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "XML nested deeper than 3 elements at line 1"));
    struct yb_xml_limits few = {.max_nodes = 4};
    CU_ASSERT_EQUAL(decode_with("<request><a/><a/><a/></request>", 31, &few, &n), 0);
    CU_ASSERT_EQUAL(decode_with("<request><a/><a/><a/><a/></request>", 35, &few, &n), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "XML has more than 4 elements"));
    /* default depth is 32: the root plus 31 levels pass, one more does not */
    struct yb_buf b;
    yb_buf_init(&b, 0);
    for (int depth = 32; depth <= 33; depth++) {
        yb_buf_reset(&b);
        yb_buf_puts(&b, "<request>");
        for (int i = 1; i < depth; i++)
            yb_buf_puts(&b, "<x>");
        for (int i = 1; i < depth; i++)
            yb_buf_puts(&b, "</x>");
        yb_buf_puts(&b, "</request>");
        CU_ASSERT_EQUAL(decode_with(b.data, b.len, NULL, &n), depth == 32 ? 0 : YB_ELIMIT);
    }
    yb_buf_free(&b);
    /* the pool cap holds too */
    struct yb_pool *small = yb_pool_create(256);
    yb_buf_init(&b, 0);
    yb_buf_puts(&b, "<request>");
    for (int i = 0; i < 100; i++)
        yb_buf_puts(&b, "<item>some value</item>");
    yb_buf_puts(&b, "</request>");
    CU_ASSERT_EQUAL(yb_xml_decode(small, b.data, b.len, NULL, &n, NULL, NULL, err, sizeof(err)),
                    YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pool cap reached"));
    yb_pool_destroy(small);
    yb_buf_free(&b);
}

static void test_encode_shapes(void)
{
    struct yb_node *n;
    const char *json = "{\"infcode\":0,\"err_msg\":null,\"ok\":true,"
                       "\"output\":{\"setlinfo\":{\"setl_id\":\"S1\",\"medfee_sumamt\":12.50},"
                       "\"setldetail\":[{\"fund_payamt\":1.10},{\"fund_payamt\":2.20}],"
                       "\"none\":[],\"e\":{}},\"memo\":\"a<b & c>d\\r\\n\\t\"}";
    CU_ASSERT_EQUAL_FATAL(yb_json_decode(pool, json, strlen(json), NULL, &n, err, sizeof(err)), 0);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(yb_xml_encode(n, "response", NULL, &b, err, sizeof(err)), 0);
    const char *want = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<response><infcode>0</infcode><err_msg/><ok>true</ok>"
                       "<output><setlinfo><setl_id>S1</setl_id>"
                       "<medfee_sumamt>12.50</medfee_sumamt></setlinfo>"
                       "<setldetail><fund_payamt>1.10</fund_payamt></setldetail>"
                       "<setldetail><fund_payamt>2.20</fund_payamt></setldetail><e/></output>"
                       "<memo>a&lt;b &amp; c&gt;d&#13;\n\t</memo></response>\n";
    if (strcmp(b.data, want))
        fprintf(stderr, "\n  got  %s\n  want %s\n", b.data, want);
    CU_ASSERT_STRING_EQUAL(b.data, want);
    /* reading it back gives strings, the same order, and the same text */
    struct yb_node *back;
    CU_ASSERT_EQUAL_FATAL(decode_with(b.data, b.len, NULL, &back), 0);
    CU_ASSERT_STRING_EQUAL(
        as_json(back), "{\"infcode\":\"0\",\"err_msg\":\"\",\"ok\":\"true\","
                       "\"output\":{\"setlinfo\":{\"setl_id\":\"S1\",\"medfee_sumamt\":"
                       "\"12.50\"},\"setldetail\":[{\"fund_payamt\":\"1.10\"},"
                       "{\"fund_payamt\":\"2.20\"}],\"e\":\"\"},\"memo\":\"a<b & c>d\\r\\n\\t\"}");
    yb_buf_free(&b);
}

static void test_encode_errors(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    struct yb_node *o = yb_node_new(p, YB_NODE_OBJECT);
    yb_node_put_string(p, o, "a", "x\x01y", 3);
    CU_ASSERT_EQUAL(yb_xml_encode(o, "response", NULL, &b, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "<a> holds control character U+0001"));

    o = yb_node_new(p, YB_NODE_OBJECT);
    yb_node_put_string(p, o, "bad name", "x", 1);
    CU_ASSERT_EQUAL(yb_xml_encode(o, "response", NULL, &b, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "field name \"bad name\" cannot be an XML element name"));

    o = yb_node_new(p, YB_NODE_OBJECT);
    struct yb_node *outer = yb_node_new(p, YB_NODE_ARRAY);
    yb_node_append(outer, yb_node_new(p, YB_NODE_ARRAY));
    yb_node_put(p, o, "grid", outer);
    CU_ASSERT_EQUAL(yb_xml_encode(o, "response", NULL, &b, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "<grid> is a list inside a list"));

    struct yb_node *s = yb_node_new_text(p, YB_NODE_STRING, "x", 1);
    CU_ASSERT_EQUAL(yb_xml_encode(s, "response", NULL, &b, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "only an object"));

    o = yb_node_new(p, YB_NODE_OBJECT);
    yb_node_put_string(p, o, "a", "0123456789", 10);
    CU_ASSERT_EQUAL(yb_xml_encode(o, "1root", NULL, &b, err, sizeof(err)), YB_EINVAL);
    CU_ASSERT_EQUAL(b.len, 0);
    yb_buf_free(&b);
    /* the output cap */
    yb_buf_init(&b, 40);
    CU_ASSERT_EQUAL(yb_xml_encode(o, "response", NULL, &b, err, sizeof(err)), YB_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "output cap"));
    yb_buf_free(&b);
    yb_pool_destroy(p);
}

static void test_sniff(void)
{
    CU_ASSERT_EQUAL(yb_xml_sniff("<request/>", 10), 1);
    CU_ASSERT_EQUAL(yb_xml_sniff(" \r\n\t<?xml", 9), 1);
    CU_ASSERT_EQUAL(yb_xml_sniff("\xef\xbb\xbf <r/>", 8), 1);
    CU_ASSERT_EQUAL(yb_xml_sniff("{\"a\":1}", 7), 0);
    CU_ASSERT_EQUAL(yb_xml_sniff("   ", 3), 0);
    CU_ASSERT_EQUAL(yb_xml_sniff("", 0), 0);
    CU_ASSERT_EQUAL(yb_xml_sniff("\xef\xbb", 2), 0);
    /* a BOM only counts at the very start */
    CU_ASSERT_EQUAL(yb_xml_sniff(" \xef\xbb\xbf<r/>", 8), 0);
}

static void test_no_stderr_noise(void)
{
    /* errors are captured per call: redirect stderr to a file and check
     * that nothing was printed by libxml2 for a batch of bad documents */
    fflush(stderr);
    FILE *tmp = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
    int saved = dup(fileno(stderr));
    dup2(fileno(tmp), fileno(stderr));
    struct yb_node *n;
    decode("<request><a></request>", &n);
    decode("<?xml version=\"1.0\" encoding=\"GBK\"?><request><a>\xff\xff</a></request>", &n);
    decode("<request><a>\xc0\xaf</a></request>", &n);
    decode("<!DOCTYPE r [<!ENTITY x \"y\">]><request/>", &n);
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    CU_ASSERT_EQUAL(ftell(tmp), 0);
    fclose(tmp);
}

static const struct yb_test tests[] = {
    YB_TEST(test_envelope_mapping),
    YB_TEST(test_one_item_list_stays_object),
    YB_TEST(test_repeated_elements),
    YB_TEST(test_text_handling),
    YB_TEST(test_gbk_in_and_out),
    YB_TEST(test_gbk_unrepresentable),
    YB_TEST(test_gb18030),
    YB_TEST(test_encoding_errors),
    YB_TEST(test_doctype_refused),
    YB_TEST(test_structure_errors),
    YB_TEST(test_limits),
    YB_TEST(test_encode_shapes),
    YB_TEST(test_encode_errors),
    YB_TEST(test_sniff),
    YB_TEST(test_no_stderr_noise),
    YB_TEST_END,
};

int main(void)
{
    pool = yb_pool_create(0);
    int rc = yb_test_main("codec_xml", tests);
    yb_pool_destroy(pool);
    xmlCleanupParser();
    return rc;
}
