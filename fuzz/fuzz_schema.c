/*
 * fuzz_schema.c - fuzz target of the field checker (gateway/schema.c and
 * the envelope rules of envelope.c) against the shipped conf/schemas/.
 *
 * The input is a JSON envelope, decoded with the gateway's limits; the
 * transaction is the one its infno names (the seeds and json.dict carry
 * real ones). It goes through the checks in txn.c's order: the envelope,
 * then the input; then the input is shaped the way an XML message is
 * (yb_schema_shape) and checked again; then the findings are rendered into
 * err_msg and warn_msg as the gateway answers. The kind callback holds the
 * checker to its contract: called only for a present, non-empty scalar,
 * with a path that fits.
 */
#include <string.h>

#include "buf.h"
#include "codec_json.h"
#include "diag.h"
#include "envelope.h"
#include "fuzz.h"
#include "pool.h"
#include "schema.h"
#include "tree.h"
#include "ybgw/ybgw.h"

#define ERR_MSG_MAX 4000 /* txn.c: err_msg and warn_msg are capped */

static struct yb_schema_set *schemas;

static void free_schemas(void)
{
    yb_schema_free(schemas);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[4200], err[1024];
    schemas = yb_schema_load(fuzz_srcpath(dir, sizeof(dir), "conf/schemas"), err, sizeof(err));
    if (!schemas)
        fprintf(stderr, "fuzz_schema: %s\n", err);
    FUZZ_CHECK(schemas != NULL);
    atexit(free_schemas);
    return 0;
}

static void on_kind(void *ctx, const char *kinds, const char *path, const struct yb_node *value)
{
    unsigned *calls = ctx;
    (*calls)++;
    FUZZ_CHECK(kinds && kinds[0] && path && strlen(path) < 512);
    FUZZ_CHECK(value && (value->type == YB_NODE_STRING || value->type == YB_NODE_NUMBER));
    FUZZ_CHECK(value->text && value->len > 0);
}

static int has_finding(const struct yb_diag *diag, const char *path)
{
    for (const struct yb_diag_entry *e = diag->head; e; e = e->next)
        if (e->severity == YB_DIAG_ERROR && strcmp(e->path, path) == 0)
            return 1;
    return diag->dropped > 0; /* past the cap: cannot tell */
}

static void check_message(struct yb_pool *pool, struct yb_node *request, const char *infno)
{
    const struct yb_envelope_policy policy = {YB_POLICY_REJECT, YB_POLICY_REJECT};
    struct yb_diag diag;
    unsigned calls = 0;
    yb_diag_init(&diag, pool, 64);
    yb_envelope_check(schemas, request, &policy, &diag, on_kind, &calls);
    struct yb_node *input = yb_node_get(request, "input");
    /* the infno the gateway goes on with is a C string: the envelope rules
     * must not pass a value that says more than that (a NUL inside) */
    const struct yb_node *code = yb_node_get(request, "infno");
    if (code && code->type == YB_NODE_STRING && code->len && memchr(code->text, '\0', code->len))
        FUZZ_CHECK(has_finding(&diag, "infno"));
    int errors = yb_schema_check_input(schemas, infno, input, &diag, on_kind, &calls);
    FUZZ_CHECK(yb_schema_known(schemas, infno) ? errors >= 0 : errors == YB_ENOENT);
    /* the XML path: shape, then check again */
    if (yb_schema_shape(schemas, infno, "input", pool, request) == 0)
        yb_schema_check_input(schemas, infno, yb_node_get(request, "input"), &diag, on_kind,
                              &calls);
    struct yb_buf err, warn;
    yb_buf_init(&err, 0);
    yb_buf_init(&warn, 0);
    yb_diag_render(&diag, YB_DIAG_ERROR, ERR_MSG_MAX, &err);
    yb_diag_render(&diag, YB_DIAG_WARN, ERR_MSG_MAX, &warn);
    FUZZ_CHECK(err.len <= ERR_MSG_MAX + 64 && warn.len <= ERR_MSG_MAX + 64);
    FUZZ_CHECK(yb_utf8_check(err.data ? err.data : "", err.len) == 0);
    yb_buf_free(&err);
    yb_buf_free(&warn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_BODY)
        return 0;
    struct yb_pool *pool = yb_pool_create(FUZZ_TXN_MEMORY);
    FUZZ_CHECK(pool != NULL);
    const struct yb_json_limits limits = {
        .max_depth = FUZZ_JSON_DEPTH, .max_string = FUZZ_MAX_BODY, .max_items = FUZZ_JSON_ITEMS};
    struct yb_node *request = NULL;
    char err[320];
    if (yb_json_decode(pool, (const char *)data, size, &limits, &request, err, sizeof(err)) == 0 &&
        request->type == YB_NODE_OBJECT) {
        const struct yb_node *infno = yb_node_get(request, "infno");
        char code[32] = "";
        if (infno && infno->type == YB_NODE_STRING && infno->len < sizeof(code))
            memcpy(code, infno->text, infno->len); /* a NUL inside stops it, as in txn.c */
        check_message(pool, request, code);
    }
    yb_pool_destroy(pool);
    return 0;
}
