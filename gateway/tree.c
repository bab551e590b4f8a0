/* tree.c - the message tree shared by the codecs, the checks and the plugins. */
#include "tree.h"

#include <stdlib.h>
#include <string.h>

struct yb_node *yb_node_new(struct yb_pool *pool, enum yb_node_type type)
{
    struct yb_node *n = yb_pool_alloc(pool, sizeof(*n));
    if (n)
        n->type = type;
    return n;
}

struct yb_node *yb_node_new_text(struct yb_pool *pool, enum yb_node_type type, const char *text,
                                 size_t len)
{
    struct yb_node *n = yb_node_new(pool, type);
    if (!n)
        return NULL;
    char *copy = yb_pool_strndup(pool, text, len);
    if (!copy)
        return NULL;
    n->text = copy;
    n->len = len;
    return n;
}

void yb_node_append(struct yb_node *parent, struct yb_node *child)
{
    child->parent = parent;
    child->next = NULL;
    if (parent->last)
        parent->last->next = child;
    else
        parent->child = child;
    parent->last = child;
    parent->count++;
}

int yb_node_append_member(struct yb_pool *pool, struct yb_node *object, const char *key,
                          size_t key_len, struct yb_node *child)
{
    if (!child)
        return YB_EINVAL;
    char *k = yb_pool_strndup(pool, key, key_len);
    if (!k)
        return YB_ENOMEM;
    child->key = k;
    child->key_len = key_len;
    yb_node_append(object, child);
    return 0;
}

struct yb_node *yb_node_getn(const struct yb_node *object, const char *key, size_t key_len)
{
    if (!object || object->type != YB_NODE_OBJECT)
        return NULL;
    for (struct yb_node *c = object->child; c; c = c->next)
        if (c->key_len == key_len && memcmp(c->key, key, key_len) == 0)
            return c;
    return NULL;
}

struct yb_node *yb_node_get(const struct yb_node *object, const char *key)
{
    return yb_node_getn(object, key, strlen(key));
}

struct yb_node *yb_node_at(const struct yb_node *node, size_t index)
{
    if (!node || (node->type != YB_NODE_ARRAY && node->type != YB_NODE_OBJECT))
        return NULL;
    struct yb_node *c = node->child;
    size_t at = 0;
    if (node->cursor && node->cursor_index <= index) {
        c = node->cursor;
        at = node->cursor_index;
    }
    while (c && at < index) {
        c = c->next;
        at++;
    }
    if (c) {
        /* the tree belongs to one transaction on one thread: a cache, not shared state */
        struct yb_node *mut = (struct yb_node *)node;
        mut->cursor = c;
        mut->cursor_index = index;
    }
    return c;
}

int yb_node_put(struct yb_pool *pool, struct yb_node *object, const char *key,
                struct yb_node *child)
{
    if (!object || object->type != YB_NODE_OBJECT || !child)
        return YB_EINVAL;
    size_t key_len = strlen(key);
    for (struct yb_node **link = &object->child; *link; link = &(*link)->next) {
        struct yb_node *old = *link;
        if (old->key_len == key_len && memcmp(old->key, key, key_len) == 0) {
            child->key = old->key;
            child->key_len = old->key_len;
            child->parent = object;
            child->next = old->next;
            *link = child;
            if (object->last == old)
                object->last = child;
            object->cursor = NULL;
            return 0;
        }
    }
    return yb_node_append_member(pool, object, key, key_len, child);
}

int yb_node_put_string(struct yb_pool *pool, struct yb_node *object, const char *key,
                       const char *value, size_t len)
{
    struct yb_node *n = yb_node_new_text(pool, YB_NODE_STRING, value, len);
    if (!n)
        return YB_ENOMEM;
    return yb_node_put(pool, object, key, n);
}

struct yb_node *yb_node_remove(struct yb_node *object, const char *key)
{
    if (!object || object->type != YB_NODE_OBJECT)
        return NULL;
    size_t key_len = strlen(key);
    struct yb_node *prev = NULL;
    for (struct yb_node *c = object->child; c; prev = c, c = c->next) {
        if (c->key_len == key_len && memcmp(c->key, key, key_len) == 0) {
            if (prev)
                prev->next = c->next;
            else
                object->child = c->next;
            if (object->last == c)
                object->last = prev;
            object->count--;
            object->cursor = NULL;
            c->next = NULL;
            c->parent = NULL;
            return c;
        }
    }
    return NULL;
}

int yb_node_is_scalar(const struct yb_node *n)
{
    return n && (n->type == YB_NODE_STRING || n->type == YB_NODE_NUMBER || n->type == YB_NODE_BOOL);
}

const char *yb_node_get_text(const struct yb_node *object, const char *key)
{
    struct yb_node *n = yb_node_get(object, key);
    return yb_node_is_scalar(n) ? n->text : NULL;
}

struct yb_node *yb_node_path(const struct yb_node *root, const char *path)
{
    const struct yb_node *n = root;
    const char *p = path;
    while (n && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            unsigned long idx = strtoul(p + 1, &end, 10);
            if (*end != ']' || n->type != YB_NODE_ARRAY)
                return NULL;
            n = yb_node_at(n, idx);
            p = end + 1;
            continue;
        }
        size_t len = strcspn(p, ".[");
        n = yb_node_getn(n, p, len);
        p += len;
    }
    return (struct yb_node *)n;
}

struct yb_node *yb_node_clone(struct yb_pool *pool, const struct yb_node *src)
{
    struct yb_node *n = yb_node_new(pool, src->type);
    if (!n)
        return NULL;
    if (src->text) {
        n->text = yb_pool_strndup(pool, src->text, src->len);
        if (!n->text)
            return NULL;
        n->len = src->len;
    }
    for (const struct yb_node *c = src->child; c; c = c->next) {
        struct yb_node *cc = yb_node_clone(pool, c);
        if (!cc)
            return NULL;
        if (src->type == YB_NODE_OBJECT) {
            if (yb_node_append_member(pool, n, c->key, c->key_len, cc))
                return NULL;
        } else {
            yb_node_append(n, cc);
        }
    }
    return n;
}
