/*
 * pool.h - per-transaction memory.
 *
 * Every allocation made for one message comes from its pool and is released
 * in one go when the transaction ends, so the request path has no scattered
 * frees. A pool has a hard cap on the bytes it may hand out, which bounds what
 * a hostile message can make the gateway allocate. Resources that are not
 * memory (libxml2 documents, curl handles) register a cleanup on the pool.
 */
#ifndef YB_POOL_H
#define YB_POOL_H

#include <stddef.h>

struct yb_pool;

/* Create a pool that hands out at most cap bytes (0 means no cap).
 * Returns NULL if memory is short. Free it with yb_pool_destroy. */
struct yb_pool *yb_pool_create(size_t cap);

/* Aligned memory from the pool, or NULL if the cap is reached. Zeroed. */
void *yb_pool_alloc(struct yb_pool *pool, size_t size);

/* A NUL-terminated copy of s[0..len) in the pool, or NULL. */
char *yb_pool_strndup(struct yb_pool *pool, const char *s, size_t len);
char *yb_pool_strdup(struct yb_pool *pool, const char *s);

/* printf into the pool; NULL on failure. */
char *yb_pool_printf(struct yb_pool *pool, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Run fn(arg) when the pool is destroyed (last registered runs first). */
int yb_pool_cleanup_add(struct yb_pool *pool, void (*fn)(void *), void *arg);

/* Bytes handed out so far. */
size_t yb_pool_used(const struct yb_pool *pool);

/* Run the cleanups and free everything. NULL is allowed. */
void yb_pool_destroy(struct yb_pool *pool);

#endif
