/* buf.c - growable, capped byte buffer. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ybgw/ybgw.h"

void yb_buf_init(struct yb_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int yb_buf_reserve(struct yb_buf *b, size_t extra)
{
    if (extra > (size_t)-1 - b->len - 1)
        return YB_ELIMIT;
    size_t need = b->len + extra + 1;
    if (b->max && need > b->max + 1)
        return YB_ELIMIT;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return YB_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int yb_buf_append(struct yb_buf *b, const void *data, size_t len)
{
    if (len && len < b->cap - b->len && (!b->max || b->len + len <= b->max)) {
        memcpy(b->data + b->len, data, len); /* room already: no checks beyond these */
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
    }
    int rc = yb_buf_reserve(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int yb_buf_puts(struct yb_buf *b, const char *s)
{
    return yb_buf_append(b, s, strlen(s));
}

int yb_buf_putc(struct yb_buf *b, char c)
{
    if (b->len + 2 <= b->cap && (!b->max || b->len + 1 <= b->max)) {
        b->data[b->len++] = c; /* the encoders' common case, without reserve */
        b->data[b->len] = '\0';
        return 0;
    }
    return yb_buf_append(b, &c, 1);
}

int yb_buf_vprintf(struct yb_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return YB_EINVAL;
    int rc = yb_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int yb_buf_printf(struct yb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = yb_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void yb_buf_reset(struct yb_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *yb_buf_steal(struct yb_buf *b, size_t *len)
{
    char *d = b->data;
    if (!d)
        d = calloc(1, 1);
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void yb_buf_free(struct yb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
