/*
 * tree.h - the message tree: one in-memory form for JSON and XML messages.
 *
 * Nodes live in the transaction's pool. An object keeps its members in the
 * order they arrived (the platform's field order is kept on the way out) and
 * finds them by a linear scan: envelopes have a few dozen fields at most.
 * Numbers keep the literal text the sender wrote, so amounts stay exact.
 */
#ifndef YB_TREE_H
#define YB_TREE_H

#include <stddef.h>

#include "pool.h"
#include "ybgw/ybgw.h"

struct yb_node {
    enum yb_node_type type;
    const char *key; /* member name when the parent is an object, else NULL */
    size_t key_len;
    const char *text; /* STRING: value; NUMBER: literal; BOOL: "true"/"false" */
    size_t len;       /* length of text in bytes */
    struct yb_node *parent;
    struct yb_node *next;  /* next sibling */
    struct yb_node *child; /* first member or item */
    struct yb_node *last;  /* last member or item */
    size_t count;          /* number of members or items */
    /* where the last yb_node_at stopped, so a walk by index is linear, not
     * quadratic; reset by anything that removes or replaces a member */
    struct yb_node *cursor;
    size_t cursor_index;
};

struct yb_node *yb_node_new(struct yb_pool *pool, enum yb_node_type type);
/* a STRING or NUMBER node holding a copy of text[0..len) */
struct yb_node *yb_node_new_text(struct yb_pool *pool, enum yb_node_type type, const char *text,
                                 size_t len);
/* append child to an array, or to an object under key (copied); no duplicate check */
void yb_node_append(struct yb_node *parent, struct yb_node *child);
int yb_node_append_member(struct yb_pool *pool, struct yb_node *object, const char *key,
                          size_t key_len, struct yb_node *child);
/* first member named key, or NULL */
struct yb_node *yb_node_get(const struct yb_node *object, const char *key);
struct yb_node *yb_node_getn(const struct yb_node *object, const char *key, size_t key_len);
struct yb_node *yb_node_at(const struct yb_node *node, size_t index);
/* replace object.key with child (or append it) */
int yb_node_put(struct yb_pool *pool, struct yb_node *object, const char *key,
                struct yb_node *child);
int yb_node_put_string(struct yb_pool *pool, struct yb_node *object, const char *key,
                       const char *value, size_t len);
/* remove and return member key (NULL if absent) */
struct yb_node *yb_node_remove(struct yb_node *object, const char *key);
/* Text of a string/number/bool member, or NULL if absent or not a scalar. */
const char *yb_node_get_text(const struct yb_node *object, const char *key);
/* Walk "a.b[2].c"; NULL if any step is missing. */
struct yb_node *yb_node_path(const struct yb_node *root, const char *path);
/* deep copy into another pool */
struct yb_node *yb_node_clone(struct yb_pool *pool, const struct yb_node *node);
int yb_node_is_scalar(const struct yb_node *node);

#endif
