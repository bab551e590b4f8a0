/* diag.c - collecting and rendering findings. */
#include "diag.h"

#include <stdio.h>
#include <string.h>

#include "ybgw/ybgw.h"

/* longest value quoted back to the HIS; a 2 MB field is not echoed whole */
#define DIAG_VALUE_MAX 64

void yb_diag_init(struct yb_diag *d, struct yb_pool *pool, unsigned max_entries)
{
    memset(d, 0, sizeof(*d));
    d->pool = pool;
    d->max_entries = max_entries ? max_entries : 64;
}

/* Copy at most DIAG_VALUE_MAX bytes of v, cut on a UTF-8 boundary. */
static const char *clip_value(struct yb_pool *pool, const char *v)
{
    size_t len = strlen(v);
    if (len <= DIAG_VALUE_MAX)
        return yb_pool_strndup(pool, v, len);
    size_t cut = DIAG_VALUE_MAX;
    while (cut > 0 && ((unsigned char)v[cut] & 0xC0) == 0x80)
        cut--;
    return yb_pool_printf(pool, "%.*s...", (int)cut, v);
}

void yb_diag_vadd(struct yb_diag *d, int severity, const char *path, const char *rule,
                  const char *value, const char *source, const char *fmt, va_list ap)
{
    if (severity == YB_DIAG_ERROR)
        d->errors++;
    else if (severity == YB_DIAG_WARN)
        d->warnings++;
    unsigned kept = 0;
    for (struct yb_diag_entry *e = d->head; e; e = e->next)
        kept++;
    if (kept >= d->max_entries) {
        d->dropped++;
        return;
    }
    struct yb_diag_entry *e = yb_pool_alloc(d->pool, sizeof(*e));
    if (!e) {
        d->dropped++;
        return;
    }
    e->severity = severity;
    e->path = yb_pool_strdup(d->pool, path ? path : "");
    e->rule = yb_pool_strdup(d->pool, rule ? rule : "");
    e->value = value ? clip_value(d->pool, value) : NULL;
    e->source = yb_pool_strdup(d->pool, source ? source : "gateway");
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    e->message = yb_pool_strdup(d->pool, msg);
    if (d->tail)
        d->tail->next = e;
    else
        d->head = e;
    d->tail = e;
}

void yb_diag_add(struct yb_diag *d, int severity, const char *path, const char *rule,
                 const char *value, const char *source, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yb_diag_vadd(d, severity, path, rule, value, source, fmt, ap);
    va_end(ap);
}

static int render_one(const struct yb_diag_entry *e, struct yb_buf *out)
{
    int rc = 0;
    if (e->path && *e->path)
        rc = yb_buf_printf(out, "%s: ", e->path);
    if (!rc && e->value)
        rc = yb_buf_printf(out, "\"%s\" ", e->value);
    if (!rc)
        rc = yb_buf_printf(out, "%s [%s]", e->message, e->source);
    return rc;
}

int yb_diag_render(const struct yb_diag *d, int severity, size_t max, struct yb_buf *out)
{
    unsigned total = severity == YB_DIAG_ERROR ? d->errors : d->warnings;
    unsigned shown = 0;
    for (const struct yb_diag_entry *e = d->head; e; e = e->next) {
        if (e->severity != severity)
            continue;
        size_t mark = out->len;
        if (shown && yb_buf_puts(out, "; "))
            return YB_ENOMEM;
        if (render_one(e, out))
            return YB_ENOMEM;
        if (max && out->len > max) {
            out->len = mark;
            out->data[mark] = '\0';
            break;
        }
        shown++;
    }
    if (shown < total)
        return yb_buf_printf(out, "%s(+%u more)", shown ? "; " : "", total - shown);
    return 0;
}
