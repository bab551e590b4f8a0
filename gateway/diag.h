/*
 * diag.h - findings about a message.
 *
 * Every check (envelope, schema, code kinds, plugins) reports what it found
 * as an entry here, never through return codes. The entries become the
 * err_msg and warn_msg a HIS reads, so each names the field path, the rule,
 * the value and the part of the gateway that decided.
 */
#ifndef YB_DIAG_H
#define YB_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#include "buf.h"
#include "pool.h"

struct yb_diag_entry {
    int severity;       /* enum yb_diag_severity */
    const char *path;   /* "feedetail[2].med_list_codg", or "" for the message */
    const char *rule;   /* "required", "maxlen", "kind", ... */
    const char *value;  /* offending value (may be NULL) */
    const char *source; /* "schema", "envelope", "codeset.drug", ... */
    const char *message;
    struct yb_diag_entry *next;
};

struct yb_diag {
    struct yb_pool *pool;
    struct yb_diag_entry *head, *tail;
    unsigned errors, warnings;
    unsigned dropped; /* entries past the cap, counted but not kept */
    unsigned max_entries;
};

void yb_diag_init(struct yb_diag *d, struct yb_pool *pool, unsigned max_entries);
void yb_diag_add(struct yb_diag *d, int severity, const char *path, const char *rule,
                 const char *value, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void yb_diag_vadd(struct yb_diag *d, int severity, const char *path, const char *rule,
                  const char *value, const char *source, const char *fmt, va_list ap);
/* Render entries of one severity as "path: "value" message [source]; ..."
 * into out, stopping before max bytes with a "(+N more)" tail. */
int yb_diag_render(const struct yb_diag *d, int severity, size_t max, struct yb_buf *out);

#endif
