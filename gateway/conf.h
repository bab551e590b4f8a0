/*
 * conf.h - the configuration language and its directive tables.
 *
 * One syntax serves the gateway configuration, the simulator configuration
 * and the message schemas: nginx-style directives, `name arg ...;` and
 * `name arg ... { ... }`, with # comments, quoted strings and
 * `include PATTERN;`. Parsing gives a tree of directives that remember their
 * file and line; a module then applies a table of commands (name, arity,
 * setter, offset) to a block, so adding a setting is adding a row.
 */
#ifndef YB_CONF_H
#define YB_CONF_H

#include <stddef.h>
#include <stdint.h>

/* A directive; a block directive has children. The public struct yb_conf
 * handed to plugins is the plugin's own `plugin NAME { ... }` directive. */
struct yb_conf {
    char *name;
    int argc;
    char **argv;
    char *file;
    int line;
    int has_block;
    struct yb_conf *children; /* first directive inside the block */
    struct yb_conf *next;     /* next directive in the same block */
    struct yb_conf *parent;
};

#define YB_CONF_MAX_FILE (4u << 20) /* bytes in one file */
#define YB_CONF_MAX_DEPTH 16        /* nested blocks */
#define YB_CONF_MAX_INCLUDE 8       /* nested includes */
#define YB_CONF_MAX_TOKEN 4096
#define YB_CONF_MAX_ARGS 64

/* Parse a file into a root block (name "main"). On failure returns NULL and
 * writes "file:line: reason" into err. Free with yb_conf_free. Include paths
 * are resolved against the including file's directory. */
struct yb_conf *yb_conf_parse_file(const char *path, char *err, size_t errlen);
/* Parse text held in memory; name is used in messages. */
struct yb_conf *yb_conf_parse_string(const char *name, const char *text, size_t len, char *err,
                                     size_t errlen);
void yb_conf_free(struct yb_conf *root);

/* First child directive called name, or NULL. */
const struct yb_conf *yb_conf_find(const struct yb_conf *block, const char *name);
/* Its first argument, or NULL. */
const char *yb_conf_value(const struct yb_conf *block, const char *name);

/* ---- directive tables ---- */
struct yb_conf_command;
typedef int (*yb_conf_setter)(const struct yb_conf *d, const struct yb_conf_command *cmd,
                              void *target, char *err, size_t errlen);

struct yb_conf_command {
    const char *name;
    int min_args, max_args; /* max_args -1: any number */
    int block;              /* 1: must have a block, 0: must not, 2: may */
    yb_conf_setter set;
    size_t offset; /* where in target the setter writes */
    uintptr_t data; /* setter-specific (e.g. an enum table) */
};

/* Apply table to every directive in block. An unknown directive, wrong
 * arity or a setter failure gives "file:line: reason" and a negative
 * return. */
int yb_conf_apply(const struct yb_conf *block, const struct yb_conf_command *table, void *target,
                  char *err, size_t errlen);

/* "file:line: " prefixed error. Returns YB_EINVAL. */
int yb_conf_error(const struct yb_conf *d, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Setters. Targets: char * (set_string: strdup'ed, caller frees), size_t
 * (set_size: "512", "64k", "1m"), unsigned (set_uint), long msec
 * (set_msec: "250ms", "2s", "1m"), int (set_flag: on|off), int (set_enum:
 * data points at a NULL-terminated const char *[], stores the index). */
int yb_conf_set_string(const struct yb_conf *, const struct yb_conf_command *, void *, char *,
                       size_t);
int yb_conf_set_size(const struct yb_conf *, const struct yb_conf_command *, void *, char *,
                     size_t);
int yb_conf_set_uint(const struct yb_conf *, const struct yb_conf_command *, void *, char *,
                     size_t);
int yb_conf_set_msec(const struct yb_conf *, const struct yb_conf_command *, void *, char *,
                     size_t);
int yb_conf_set_flag(const struct yb_conf *, const struct yb_conf_command *, void *, char *,
                     size_t);
int yb_conf_set_enum(const struct yb_conf *, const struct yb_conf_command *, void *, char *,
                     size_t);

/* ARG as a path: absolute stays, relative is taken from the directory of
 * the file that holds directive D (as include is), so a configuration tree
 * can be moved as a whole; used for secret, key, certificate and CA files.
 * A new string the caller frees, or NULL when memory runs out. */
char *yb_conf_relative_path(const struct yb_conf *d, const char *arg);

/* Parse helpers, usable on their own. Return 0 or YB_EINVAL. */
int yb_parse_size(const char *s, size_t *out);
int yb_parse_msec(const char *s, long *out);
int yb_parse_uint(const char *s, unsigned long max, unsigned long *out);

#endif
