/*
 * pool.c - a bump allocator over a chain of blocks, with cleanups.
 *
 * Requests larger than a quarter block get a block of their own, so a big
 * body does not waste the tail of the current block.
 */
#include "pool.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BLOCK 8192
#define POOL_ALIGN 16

struct pool_block {
    struct pool_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(POOL_ALIGN) unsigned char data[];
};

struct pool_cleanup {
    struct pool_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

struct yb_pool {
    struct pool_block *current;
    struct pool_block *large; /* blocks of one allocation each */
    struct pool_cleanup *cleanups;
    size_t cap;
    size_t handed;
};

static struct pool_block *block_new(size_t size)
{
    struct pool_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct yb_pool *yb_pool_create(size_t cap)
{
    struct yb_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->cap = cap;
    return p;
}

void *yb_pool_alloc(struct yb_pool *p, size_t size)
{
    if (size == 0)
        size = 1;
    size_t rounded = (size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
    if (rounded < size)
        return NULL;
    if (p->cap && (rounded > p->cap || p->handed > p->cap - rounded))
        return NULL;

    void *mem;
    if (rounded > POOL_BLOCK / 4) {
        struct pool_block *b = block_new(rounded);
        if (!b)
            return NULL;
        b->next = p->large;
        p->large = b;
        b->used = rounded;
        mem = b->data;
    } else {
        struct pool_block *b = p->current;
        if (!b || b->size - b->used < rounded) {
            b = block_new(POOL_BLOCK);
            if (!b)
                return NULL;
            b->next = p->current;
            p->current = b;
        }
        mem = b->data + b->used;
        b->used += rounded;
    }
    p->handed += rounded;
    memset(mem, 0, size);
    return mem;
}

char *yb_pool_strndup(struct yb_pool *p, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *d = yb_pool_alloc(p, len + 1);
    if (!d)
        return NULL;
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *yb_pool_strdup(struct yb_pool *p, const char *s)
{
    return yb_pool_strndup(p, s, strlen(s));
}

char *yb_pool_printf(struct yb_pool *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = yb_pool_alloc(p, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

int yb_pool_cleanup_add(struct yb_pool *p, void (*fn)(void *), void *arg)
{
    /* cleanups are bookkeeping, not message data: they do not count
     * against the cap, so a resource can always be registered */
    struct pool_cleanup *c = malloc(sizeof(*c));
    if (!c)
        return -2;
    c->fn = fn;
    c->arg = arg;
    c->next = p->cleanups;
    p->cleanups = c;
    return 0;
}

size_t yb_pool_used(const struct yb_pool *p)
{
    return p->handed;
}

static void blocks_free(struct pool_block *b)
{
    while (b) {
        struct pool_block *next = b->next;
        free(b);
        b = next;
    }
}

void yb_pool_destroy(struct yb_pool *p)
{
    if (!p)
        return;
    struct pool_cleanup *c = p->cleanups;
    while (c) {
        struct pool_cleanup *next = c->next;
        c->fn(c->arg);
        free(c);
        c = next;
    }
    blocks_free(p->current);
    blocks_free(p->large);
    free(p);
}
