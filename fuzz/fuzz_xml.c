/*
 * fuzz_xml.c - fuzz target of the XML decoder (gateway/codec_xml.c), for
 * the HIS that speak XML.
 *
 * The body is decoded the way txn.c decodes an XML request (depth =
 * json_depth, 200000 elements, a transaction's pool). The decoder must keep
 * its promises whatever the body: an object under <request> or <response>,
 * every key and text valid UTF-8, the declared encoding a short string
 * (the refusal of DOCTYPEs and entities is the seeds' and the unit tests'
 * business: a CDATA section may hold the same bytes). A decoded tree is then written the two ways
 * the gateway writes one: as JSON for the platform, and as an XML answer in the caller's declared
 * encoding. Written in UTF-8 it must read back as the same tree (compared through its JSON form).
 */
#include <string.h>

#include "buf.h"
#include "codec_json.h"
#include "codec_xml.h"
#include "fuzz.h"
#include "pool.h"
#include "tree.h"
#include "ybgw/ybgw.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static const struct yb_xml_limits limits = {.max_depth = FUZZ_JSON_DEPTH,
                                            .max_nodes = FUZZ_XML_NODES};

/* Every text and key of the tree is valid UTF-8 (the tree's promise). */
static void check_utf8(const struct yb_node *n)
{
    if (n->key)
        FUZZ_CHECK(yb_utf8_check(n->key, n->key_len) == 0);
    if (n->text)
        FUZZ_CHECK(yb_utf8_check(n->text, n->len) == 0);
    for (const struct yb_node *c = n->child; c; c = c->next)
        check_utf8(c);
}

/* The tree written in UTF-8 reads back as the same tree. */
static void round_trip(const struct yb_node *tree, const char *root, const struct yb_buf *json)
{
    struct yb_buf xml, json2;
    char err[320], encoding[32];
    yb_buf_init(&xml, FUZZ_OUTPUT_MAX);
    yb_buf_init(&json2, FUZZ_OUTPUT_MAX);
    struct yb_pool *pool = yb_pool_create(FUZZ_TXN_MEMORY);
    FUZZ_CHECK(pool != NULL);
    if (yb_xml_encode(tree, root, "UTF-8", &xml, err, sizeof(err)) == 0) {
        struct yb_node *back = NULL;
        const char *root2 = NULL;
        int rc = yb_xml_decode(pool, xml.data, xml.len, &limits, &back, &root2, encoding, err,
                               sizeof(err));
        if (rc)
            fprintf(stderr, "the XML written does not read back: %s\n", err);
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(strcmp(root, root2) == 0);
        FUZZ_CHECK(yb_json_encode(back, &json2) == 0);
        if (json->len != json2.len || memcmp(json->data, json2.data, json->len) != 0)
            fprintf(stderr, "read back as\n%s\nnot\n%s\n", json2.data, json->data);
        FUZZ_CHECK(json->len == json2.len && memcmp(json->data, json2.data, json->len) == 0);
    }
    yb_pool_destroy(pool);
    yb_buf_free(&xml);
    yb_buf_free(&json2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_BODY)
        return 0; /* the listener refuses a longer body before decoding */
    struct yb_pool *pool = yb_pool_create(FUZZ_TXN_MEMORY);
    FUZZ_CHECK(pool != NULL);
    struct yb_buf json, answer;
    yb_buf_init(&json, FUZZ_OUTPUT_MAX);
    yb_buf_init(&answer, FUZZ_OUTPUT_MAX);
    char err[320], encoding[32];
    struct yb_node *tree = NULL;
    const char *root = NULL;
    int rc = yb_xml_decode(pool, (const char *)data, size, &limits, &tree, &root, encoding, err,
                           sizeof(err));
    if (rc) {
        FUZZ_CHECK(rc < 0 && tree == NULL && err[0]);
        goto out;
    }
    FUZZ_CHECK(tree && tree->type == YB_NODE_OBJECT && root);
    FUZZ_CHECK(strcmp(root, "request") == 0 || strcmp(root, "response") == 0);
    FUZZ_CHECK(memchr(encoding, '\0', sizeof(encoding)) != NULL && encoding[0]);
    check_utf8(tree);
    FUZZ_CHECK(yb_json_encode(tree, &json) == 0);
    /* the answer in the caller's encoding: may be refused, must not break */
    yb_xml_encode(tree, root, encoding, &answer, err, sizeof(err));
    round_trip(tree, root, &json);
out:
    yb_buf_free(&json);
    yb_buf_free(&answer);
    yb_pool_destroy(pool);
    return 0;
}
