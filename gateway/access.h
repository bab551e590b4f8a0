/*
 * access.h - the access log: one JSON line per transaction.
 *
 * A line holds what an operator needs to find a transaction and see how it
 * ended (infno, msgid, institution, route, outcome, timings, caller, the
 * journal row, the platform's infcode), and nothing personal: no field of
 * the message's input or output is ever written. Each line is built whole
 * and written with one write(2), so lines from several workers never mix.
 *
 *   {"time":"2026-11-23T10:00:00.123+08:00","level":"info","log":"access",
 *    "infno":"2207","msgid":"H45019900055202611231000000001",
 *    "fixmedins_code":"H45019900055","route":"national","outcome":"ok",
 *    "http":200,"ms":12.345,"up_ms":10.002,"calls":1,"caller":null,
 *    "why":"default_upstream","hops":"ybgw","journal":42,"infcode":0}
 *
 * Absent values are null. Strings are escaped (quotes, backslashes, control
 * characters; an invalid UTF-8 byte becomes U+FFFD) and cut to a cap ("..."
 * marks a cut), so a hostile header cannot forge a line or grow it.
 *
 * Where lines go is `access_log stderr|off|PATH;` in ybgw.conf (default
 * stderr). On stderr they sit among the error log's text lines and follow
 * log_level (info or debug writes them). A file is opened on the first line
 * after a (re)load, in append mode, and always written: a reload (SIGHUP)
 * opens it again, which is how logrotate's "move, then HUP" works.
 */
#ifndef YB_ACCESS_H
#define YB_ACCESS_H

#include <stddef.h>
#include <stdint.h>

struct yb_conf;
struct yb_conf_command;

/* One transaction's line. Every string may be NULL (written as null). */
struct yb_access {
    const char *infno;
    const char *msgid;
    const char *fixmedins_code;
    const char *route;
    const char *outcome; /* ok, platform_error, rejected, upstream_error, gateway_error */
    int http;
    double ms;    /* from request read to answer sent */
    double up_ms; /* waiting for the platform */
    int calls;    /* upstream calls made */
    const char *caller;
    const char *why; /* why this route */
    const char *hops;
    int64_t journal;     /* the journal row; 0: none (null) */
    const char *infcode; /* the platform's infcode literal when it answered, else NULL */
};

#define YB_ACCESS_LINE_MAX 4096 /* bytes in one line, '\n' included */

/* Write a's line, ending in '\n', into out (cap bytes, NUL-terminated).
 * Returns its length without the NUL. With cap >= YB_ACCESS_LINE_MAX the
 * line is always whole (every field has a cap). */
size_t yb_access_format(const struct yb_access *a, char *out, size_t cap);

/* Where lines go: made by the `access_log` directive, NULL means stderr. */
struct yb_access_dest;

/* The setter of `access_log stderr|off|PATH;`: *(struct yb_access_dest **)
 * at target + cmd->offset. A PATH whose folder does not exist or cannot be
 * written is refused with "file:line: reason". */
int yb_access_conf(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                   char *err, size_t errlen);
void yb_access_dest_free(struct yb_access_dest *dest);

/* Write a's line to dest (NULL: stderr). A file that cannot be opened is
 * reported once on stderr, and its lines go to stderr until a reload.
 * Thread-safe. */
void yb_access_write(struct yb_access_dest *dest, const struct yb_access *a);

#endif
