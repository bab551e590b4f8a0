/*
 * buf.h - a growable byte buffer with a size cap.
 *
 * Encoders write into a yb_buf. The cap is set when the buffer is made, and
 * an append that would pass it fails with YB_ELIMIT instead of growing, so no
 * encoder can be made to allocate without bound.
 */
#ifndef YB_BUF_H
#define YB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct yb_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* 0 = no limit */
};

void yb_buf_init(struct yb_buf *b, size_t max);
int yb_buf_append(struct yb_buf *b, const void *data, size_t len);
int yb_buf_puts(struct yb_buf *b, const char *s);
int yb_buf_putc(struct yb_buf *b, char c);
/* Make room for extra more bytes (and the NUL) within the cap; the caller
 * then writes them at data + len and moves len. 0, YB_ELIMIT or YB_ENOMEM. */
int yb_buf_reserve(struct yb_buf *b, size_t extra);
int yb_buf_printf(struct yb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int yb_buf_vprintf(struct yb_buf *b, const char *fmt, va_list ap);
void yb_buf_reset(struct yb_buf *b);
/* Hand the data to the caller (who frees it with free()); the buffer is empty after. */
char *yb_buf_steal(struct yb_buf *b, size_t *len);
void yb_buf_free(struct yb_buf *b);

#endif
