/*
 * fuzz_json.c - fuzz target of the JSON decoder (gateway/codec_json.c), the
 * first code a HIS body meets.
 *
 * The body is decoded the way txn.c decodes a request: the gateway's
 * limits (json_depth, max_string = max_body, 100000 items) into a pool
 * capped like a transaction's. Then three properties:
 *   - a tree that decodes encodes (what the gateway sends the platform);
 *   - the encoding is a fixed point: decoding it and encoding again gives
 *     the same bytes, so no value changes on its way through the gateway;
 *   - an object written as an XML answer (what an XML caller gets back)
 *     reads back with the XML decoder, unless a limit stops it.
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

static const struct yb_json_limits limits = {
    .max_depth = FUZZ_JSON_DEPTH, .max_string = FUZZ_MAX_BODY, .max_items = FUZZ_JSON_ITEMS};

/* The tree as an XML answer, read back. */
static void xml_answer(const struct yb_node *tree)
{
    struct yb_buf xml;
    char err[320];
    yb_buf_init(&xml, FUZZ_OUTPUT_MAX);
    if (yb_xml_encode(tree, "response", "UTF-8", &xml, err, sizeof(err)) == 0) {
        struct yb_pool *pool = yb_pool_create(FUZZ_TXN_MEMORY);
        FUZZ_CHECK(pool != NULL);
        struct yb_node *back = NULL;
        const char *root = NULL;
        char encoding[32];
        struct yb_xml_limits xl = {.max_depth = FUZZ_JSON_DEPTH, .max_nodes = FUZZ_XML_NODES};
        int rc =
            yb_xml_decode(pool, xml.data, xml.len, &xl, &back, &root, encoding, err, sizeof(err));
        if (rc != 0 && rc != YB_ELIMIT)
            fprintf(stderr, "the XML answer does not read back: %s\n%.*s\n", err,
                    (int)(xml.len > 2000 ? 2000 : xml.len), xml.data);
        FUZZ_CHECK(rc == 0 || rc == YB_ELIMIT);
        FUZZ_CHECK(rc != 0 || (root && strcmp(root, "response") == 0));
        yb_pool_destroy(pool);
    }
    yb_buf_free(&xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_BODY)
        return 0; /* the listener refuses a longer body before decoding */
    struct yb_pool *pool = yb_pool_create(FUZZ_TXN_MEMORY);
    struct yb_pool *again = yb_pool_create(FUZZ_TXN_MEMORY);
    FUZZ_CHECK(pool && again);
    struct yb_buf first, second;
    yb_buf_init(&first, FUZZ_OUTPUT_MAX);
    yb_buf_init(&second, FUZZ_OUTPUT_MAX);
    char err[320];
    struct yb_node *tree = NULL;
    int rc = yb_json_decode(pool, (const char *)data, size, &limits, &tree, err, sizeof(err));
    if (rc) {
        FUZZ_CHECK(rc < 0 && tree == NULL && err[0]);
        goto out;
    }
    FUZZ_CHECK(tree != NULL);
    FUZZ_CHECK(yb_json_encode(tree, &first) == 0);
    FUZZ_CHECK(yb_utf8_check(first.data, first.len) == 0);
    struct yb_node *back = NULL;
    rc = yb_json_decode(again, first.data, first.len, &limits, &back, err, sizeof(err));
    if (rc)
        fprintf(stderr, "the encoding does not decode: %s\n", err);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(yb_json_encode(back, &second) == 0);
    FUZZ_CHECK(first.len == second.len && memcmp(first.data, second.data, first.len) == 0);
    if (tree->type == YB_NODE_OBJECT)
        xml_answer(tree);
out:
    yb_buf_free(&first);
    yb_buf_free(&second);
    yb_pool_destroy(pool);
    yb_pool_destroy(again);
    return 0;
}
