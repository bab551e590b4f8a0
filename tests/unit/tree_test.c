/*
 * tree_test.c - the primitives every stage shares: the capped pool and its
 * cleanups, the capped buffer, the message tree (put, remove, path, clone)
 * and diagnostics rendering with its "(+N more)" tail.
 */
#include "buf.h"
#include "diag.h"
#include "pool.h"
#include "tree.h"

#include <stdint.h>

#include "testutil.h"

/* ---- pool ---------------------------------------------------------------- */

static void test_pool_cap(void)
{
    struct yb_pool *p = yb_pool_create(1024);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    /* allocations are rounded to 16 bytes and counted against the cap */
    CU_ASSERT_PTR_NOT_NULL(yb_pool_alloc(p, 1));
    CU_ASSERT_EQUAL(yb_pool_used(p), 16);
    CU_ASSERT_PTR_NOT_NULL(yb_pool_alloc(p, 1000));
    CU_ASSERT_EQUAL(yb_pool_used(p), 16 + 1008);
    CU_ASSERT_PTR_NULL(yb_pool_alloc(p, 1));
    CU_ASSERT_EQUAL(yb_pool_used(p), 1024);
    yb_pool_destroy(p);

    /* one request larger than the cap, and sizes that would overflow */
    p = yb_pool_create(4096);
    CU_ASSERT_PTR_NULL(yb_pool_alloc(p, 4097));
    CU_ASSERT_PTR_NULL(yb_pool_alloc(p, SIZE_MAX));
    CU_ASSERT_PTR_NULL(yb_pool_alloc(p, SIZE_MAX - 8));
    CU_ASSERT_PTR_NULL(yb_pool_strndup(p, "x", SIZE_MAX));
    CU_ASSERT_EQUAL(yb_pool_used(p), 0);
    /* after a refusal the pool still serves what fits */
    CU_ASSERT_PTR_NOT_NULL(yb_pool_alloc(p, 4096));
    yb_pool_destroy(p);
}

static void test_pool_memory(void)
{
    struct yb_pool *p = yb_pool_create(0);
    /* zeroed, aligned, large requests in their own blocks */
    unsigned char *a = yb_pool_alloc(p, 100);
    unsigned char *big = yb_pool_alloc(p, 100000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    CU_ASSERT_EQUAL((uintptr_t)a % 16, 0);
    CU_ASSERT_EQUAL((uintptr_t)big % 16, 0);
    int zero = 1;
    for (size_t i = 0; i < 100000; i++)
        zero &= big[i] == 0;
    CU_ASSERT(zero);
    memset(big, 0xAB, 100000); /* ASan checks the block holds it */
    /* many small allocations across blocks stay distinct */
    char *prev = NULL;
    for (int i = 0; i < 2000; i++) {
        char *s = yb_pool_printf(p, "item %d", i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_PTR_NOT_EQUAL(s, prev);
        prev = s;
    }
    CU_ASSERT_STRING_EQUAL(prev, "item 1999");
    char *d = yb_pool_strndup(p, "abcdef", 3);
    CU_ASSERT_STRING_EQUAL(d, "abc");
    CU_ASSERT_STRING_EQUAL(yb_pool_strdup(p, ""), "");
    yb_pool_destroy(p);
    yb_pool_destroy(NULL);
}

static int order[4];
static int order_n;

static void record(void *arg)
{
    order[order_n++] = *(int *)arg;
}

static void test_pool_cleanups(void)
{
    static int one = 1, two = 2, three = 3;
    order_n = 0;
    struct yb_pool *p = yb_pool_create(16);
    CU_ASSERT_EQUAL(yb_pool_cleanup_add(p, record, &one), 0);
    CU_ASSERT_EQUAL(yb_pool_cleanup_add(p, record, &two), 0);
    /* a full pool still takes cleanups: they are not message data */
    CU_ASSERT_PTR_NOT_NULL(yb_pool_alloc(p, 16));
    CU_ASSERT_PTR_NULL(yb_pool_alloc(p, 1));
    CU_ASSERT_EQUAL(yb_pool_cleanup_add(p, record, &three), 0);
    CU_ASSERT_EQUAL(order_n, 0);
    yb_pool_destroy(p);
    CU_ASSERT_EQUAL(order_n, 3);
    CU_ASSERT_EQUAL(order[0], 3);
    CU_ASSERT_EQUAL(order[1], 2);
    CU_ASSERT_EQUAL(order[2], 1);
}

/* ---- buf ----------------------------------------------------------------- */

static void test_buf_cap(void)
{
    struct yb_buf b;
    yb_buf_init(&b, 8);
    CU_ASSERT_EQUAL(yb_buf_puts(&b, "12345"), 0);
    CU_ASSERT_EQUAL(yb_buf_append(&b, "678", 3), 0);
    CU_ASSERT_EQUAL(b.len, 8);
    CU_ASSERT_STRING_EQUAL(b.data, "12345678");
    /* a refused append leaves the buffer as it was */
    CU_ASSERT_EQUAL(yb_buf_putc(&b, '9'), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_buf_printf(&b, "%d", 9), YB_ELIMIT);
    CU_ASSERT_EQUAL(yb_buf_append(&b, "x", SIZE_MAX), YB_ELIMIT);
    CU_ASSERT_EQUAL(b.len, 8);
    CU_ASSERT_STRING_EQUAL(b.data, "12345678");
    yb_buf_reset(&b);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_STRING_EQUAL(b.data, "");
    CU_ASSERT_EQUAL(yb_buf_printf(&b, "%s-%d", "ab", 42), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "ab-42");
    size_t len;
    char *s = yb_buf_steal(&b, &len);
    CU_ASSERT_STRING_EQUAL(s, "ab-42");
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_PTR_NULL(b.data);
    CU_ASSERT_EQUAL(b.len, 0);
    free(s);
    /* stealing from an empty buffer still gives a string to free */
    s = yb_buf_steal(&b, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "");
    CU_ASSERT_EQUAL(len, 0);
    free(s);
    yb_buf_free(&b);
}

static void test_buf_growth(void)
{
    struct yb_buf b;
    yb_buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        CU_ASSERT_EQUAL_FATAL(yb_buf_printf(&b, "%04d", i % 10000), 0);
    CU_ASSERT_EQUAL(b.len, 40000);
    CU_ASSERT_EQUAL(memcmp(b.data + 39996, "9999", 4), 0);
    CU_ASSERT_EQUAL(b.data[b.len], '\0');
    yb_buf_free(&b);
}

/* ---- tree ---------------------------------------------------------------- */

/* {"infno":"2204","input":{"feedetail":[{"sn":"1"},{"sn":"2"}]}} */
static struct yb_node *sample(struct yb_pool *p)
{
    struct yb_node *root = yb_node_new(p, YB_NODE_OBJECT);
    yb_node_put_string(p, root, "infno", "2204", 4);
    struct yb_node *input = yb_node_new(p, YB_NODE_OBJECT);
    yb_node_put(p, root, "input", input);
    struct yb_node *list = yb_node_new(p, YB_NODE_ARRAY);
    yb_node_put(p, input, "feedetail", list);
    for (int i = 1; i <= 2; i++) {
        struct yb_node *item = yb_node_new(p, YB_NODE_OBJECT);
        char sn[2] = {(char)('0' + i), 0};
        yb_node_put_string(p, item, "sn", sn, 1);
        yb_node_append(list, item);
    }
    return root;
}

static void test_tree_put_get(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_node *root = sample(p);
    CU_ASSERT_EQUAL(root->count, 2);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(root, "infno"), "2204");
    CU_ASSERT_PTR_NULL(yb_node_get_text(root, "input")); /* not a scalar */
    CU_ASSERT_PTR_NULL(yb_node_get_text(root, "nothere"));
    /* put replaces in place: same position, same count */
    CU_ASSERT_EQUAL(yb_node_put_string(p, root, "infno", "2207", 4), 0);
    CU_ASSERT_EQUAL(root->count, 2);
    CU_ASSERT_STRING_EQUAL(yb_node_at(root, 0)->key, "infno");
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(root, "infno"), "2207");
    CU_ASSERT_PTR_EQUAL(yb_node_at(root, 0)->next, yb_node_get(root, "input"));
    /* replacing the last member keeps last right */
    struct yb_node *n = yb_node_new_text(p, YB_NODE_NUMBER, "1.50", 4);
    CU_ASSERT_EQUAL(yb_node_put(p, root, "input", n), 0);
    CU_ASSERT_PTR_EQUAL(root->last, n);
    CU_ASSERT_PTR_EQUAL(n->parent, root);
    CU_ASSERT_EQUAL(yb_node_put_string(p, root, "new", "x", 1), 0);
    CU_ASSERT_EQUAL(root->count, 3);
    CU_ASSERT_STRING_EQUAL(root->last->key, "new");
    /* put on a non-object is refused */
    CU_ASSERT_EQUAL(yb_node_put_string(p, n, "k", "v", 1), YB_EINVAL);
    CU_ASSERT_PTR_NULL(yb_node_get(n, "k"));
    CU_ASSERT(yb_node_is_scalar(n));
    CU_ASSERT(!yb_node_is_scalar(root));
    CU_ASSERT(!yb_node_is_scalar(NULL));
    yb_pool_destroy(p);
}

static void test_tree_remove(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_node *root = yb_node_new(p, YB_NODE_OBJECT);
    yb_node_put_string(p, root, "a", "1", 1);
    yb_node_put_string(p, root, "b", "2", 1);
    yb_node_put_string(p, root, "c", "3", 1);
    struct yb_node *b = yb_node_remove(root, "b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NULL(b->parent);
    CU_ASSERT_PTR_NULL(b->next);
    CU_ASSERT_EQUAL(root->count, 2);
    CU_ASSERT_PTR_EQUAL(yb_node_at(root, 0)->next, yb_node_get(root, "c"));
    struct yb_node *c = yb_node_remove(root, "c");
    CU_ASSERT_PTR_EQUAL(root->last, yb_node_get(root, "a"));
    CU_ASSERT_PTR_NOT_NULL(c);
    CU_ASSERT_PTR_NULL(yb_node_remove(root, "c"));
    CU_ASSERT_PTR_NOT_NULL(yb_node_remove(root, "a"));
    CU_ASSERT_EQUAL(root->count, 0);
    CU_ASSERT_PTR_NULL(root->child);
    CU_ASSERT_PTR_NULL(root->last);
    /* appending after emptying works */
    yb_node_put_string(p, root, "d", "4", 1);
    CU_ASSERT_PTR_EQUAL(root->child, root->last);
    yb_pool_destroy(p);
}

static void test_tree_path(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_node *root = sample(p);
    struct yb_node *sn = yb_node_path(root, "input.feedetail[1].sn");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sn);
    CU_ASSERT_STRING_EQUAL(sn->text, "2");
    CU_ASSERT_PTR_EQUAL(yb_node_path(root, "input.feedetail[0]"),
                        yb_node_at(yb_node_path(root, "input.feedetail"), 0));
    CU_ASSERT_PTR_EQUAL(yb_node_path(root, ""), root);
    CU_ASSERT_PTR_NULL(yb_node_path(root, "input.feedetail[2].sn"));
    CU_ASSERT_PTR_NULL(yb_node_path(root, "input.feedetail[x]"));
    CU_ASSERT_PTR_NULL(yb_node_path(root, "input[0]")); /* not an array */
    CU_ASSERT_PTR_NULL(yb_node_path(root, "input.nothere.sn"));
    CU_ASSERT_PTR_NULL(yb_node_path(root, "infn")); /* no prefix matches */
    CU_ASSERT_PTR_NULL(yb_node_path(NULL, "a"));
    yb_pool_destroy(p);
}

static void test_tree_clone(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_pool *q = yb_pool_create(0);
    struct yb_node *root = sample(p);
    struct yb_node *copy = yb_node_clone(q, root);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    /* the copy outlives the original's pool */
    yb_pool_destroy(p);
    CU_ASSERT_EQUAL(copy->count, 2);
    CU_ASSERT_STRING_EQUAL(yb_node_get_text(copy, "infno"), "2204");
    struct yb_node *list = yb_node_path(copy, "input.feedetail");
    CU_ASSERT_EQUAL(list->type, YB_NODE_ARRAY);
    CU_ASSERT_EQUAL(list->count, 2);
    CU_ASSERT_PTR_NULL(yb_node_at(list, 1)->key);
    CU_ASSERT_PTR_EQUAL(yb_node_at(list, 1)->parent, list);
    CU_ASSERT_STRING_EQUAL(yb_node_path(copy, "input.feedetail[1].sn")->text, "2");
    CU_ASSERT_PTR_EQUAL(list->last, yb_node_at(list, 1));
    /* a clone into a pool too small fails cleanly */
    struct yb_pool *tiny = yb_pool_create(64);
    CU_ASSERT_PTR_NULL(yb_node_clone(tiny, copy));
    yb_pool_destroy(tiny);
    yb_pool_destroy(q);
}

static void test_tree_text_with_nul(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_node *n = yb_node_new_text(p, YB_NODE_STRING, "a\0b", 3);
    CU_ASSERT_EQUAL(n->len, 3);
    CU_ASSERT_EQUAL(memcmp(n->text, "a\0b", 4), 0); /* and NUL-terminated */
    struct yb_node *o = yb_node_new(p, YB_NODE_OBJECT);
    CU_ASSERT_EQUAL(yb_node_append_member(p, o, "k\0z", 3, n), 0);
    CU_ASSERT_PTR_EQUAL(yb_node_getn(o, "k\0z", 3), n);
    CU_ASSERT_PTR_NULL(yb_node_get(o, "k"));
    yb_pool_destroy(p);
}

/* ---- diag ---------------------------------------------------------------- */

static void test_diag_render(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_diag d;
    yb_diag_init(&d, p, 0);
    yb_diag_add(&d, YB_DIAG_ERROR, "feedetail[3].med_list_codg", "length", "XA01ABD075A00201010048",
                "codeset.drug", "is not a valid %s code (length %d, expected 23)", "西药", 22);
    yb_diag_add(&d, YB_DIAG_WARN, "msgid", "length", NULL, "envelope", "is %d characters", 29);
    yb_diag_add(&d, YB_DIAG_ERROR, "", "required", NULL, NULL, "infno is missing");
    CU_ASSERT_EQUAL(d.errors, 2);
    CU_ASSERT_EQUAL(d.warnings, 1);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL(yb_diag_render(&d, YB_DIAG_ERROR, 0, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "feedetail[3].med_list_codg: \"XA01ABD075A00201010048\" is not "
                                   "a valid 西药 code (length 22, expected 23) [codeset.drug]; "
                                   "infno is missing [gateway]");
    yb_buf_reset(&b);
    CU_ASSERT_EQUAL(yb_diag_render(&d, YB_DIAG_WARN, 0, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "msgid: is 29 characters [envelope]");
    yb_buf_free(&b);
    yb_pool_destroy(p);
}

static void test_diag_truncation(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_diag d;
    yb_diag_init(&d, p, 0);
    for (int i = 0; i < 5; i++)
        yb_diag_add(&d, YB_DIAG_ERROR, "f", "r", NULL, "s", "error number %d", i);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    /* "f: error number 0 [s]" is 21 bytes; two with "; " are 44 */
    CU_ASSERT_EQUAL(yb_diag_render(&d, YB_DIAG_ERROR, 50, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "f: error number 0 [s]; f: error number 1 [s]; (+3 more)");
    yb_buf_reset(&b);
    /* too small for even one: only the count */
    CU_ASSERT_EQUAL(yb_diag_render(&d, YB_DIAG_ERROR, 10, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "(+5 more)");
    yb_buf_free(&b);
    yb_pool_destroy(p);
}

static void test_diag_caps(void)
{
    struct yb_pool *p = yb_pool_create(0);
    struct yb_diag d;
    yb_diag_init(&d, p, 2);
    for (int i = 0; i < 4; i++)
        yb_diag_add(&d, YB_DIAG_ERROR, "f", "r", NULL, "s", "e%d", i);
    /* entries past the cap are counted, not kept, and show as "more" */
    CU_ASSERT_EQUAL(d.errors, 4);
    CU_ASSERT_EQUAL(d.dropped, 2);
    struct yb_buf b;
    yb_buf_init(&b, 0);
    CU_ASSERT_EQUAL(yb_diag_render(&d, YB_DIAG_ERROR, 0, &b), 0);
    CU_ASSERT_STRING_EQUAL(b.data, "f: e0 [s]; f: e1 [s]; (+2 more)");
    yb_buf_free(&b);

    /* a long value is clipped at 64 bytes on a character boundary */
    yb_diag_init(&d, p, 0);
    char value[200];
    for (int i = 0; i < 60; i += 3)
        memcpy(value + i, "\xe6\xb5\x8b", 3); /* 20 x 测, 60 bytes */
    memset(value + 60, 'x', 100);
    value[62] = '\0';
    memcpy(value + 62, "\xe8\xaf\x95zz", 6); /* 试 straddles byte 64 */
    yb_diag_add(&d, YB_DIAG_ERROR, "p", "r", value, "s", "m");
    const char *v = d.head->value;
    CU_ASSERT_EQUAL(strlen(v), 62 + 3);
    CU_ASSERT_EQUAL(memcmp(v + 60, "xx...", 5), 0);
    yb_pool_destroy(p);
}

static const struct yb_test tests[] = {
    YB_TEST(test_pool_cap),      YB_TEST(test_pool_memory),
    YB_TEST(test_pool_cleanups), YB_TEST(test_buf_cap),
    YB_TEST(test_buf_growth),    YB_TEST(test_tree_put_get),
    YB_TEST(test_tree_remove),   YB_TEST(test_tree_path),
    YB_TEST(test_tree_clone),    YB_TEST(test_tree_text_with_nul),
    YB_TEST(test_diag_render),   YB_TEST(test_diag_truncation),
    YB_TEST(test_diag_caps),     YB_TEST_END,
};

int main(void)
{
    return yb_test_main("tree", tests);
}
