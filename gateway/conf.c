/*
 * conf.c - parser for the nginx-style configuration language, and the
 * generic directive-table engine.
 *
 * The parser is a small hand-written lexer: input is untrusted in the sense
 * that a typo must give a precise file:line message, so every limit (file
 * size, token length, argument count, nesting, include depth) is checked and
 * reported rather than assumed.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ybgw/ybgw.h"

struct lexer {
    const char *file;
    const char *p, *end;
    int line;
    int include_depth;
    char *err;
    size_t errlen;
};

static int lex_error(struct lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lex_error(struct lexer *lx, const char *fmt, ...)
{
    int n = snprintf(lx->err, lx->errlen, "%s:%d: ", lx->file, lx->line);
    if (n < 0 || (size_t)n >= lx->errlen)
        return YB_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return YB_EINVAL;
}

enum tok { TOK_WORD, TOK_SEMI, TOK_OPEN, TOK_CLOSE, TOK_EOF, TOK_ERROR };

/* Read one token. A word is copied into buf (NUL-terminated). */
static enum tok lex_next(struct lexer *lx, char *buf, size_t cap, int *quoted)
{
    *quoted = 0;
    for (;;) {
        while (lx->p < lx->end && isspace((unsigned char)*lx->p)) {
            if (*lx->p == '\n')
                lx->line++;
            lx->p++;
        }
        if (lx->p < lx->end && *lx->p == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
            continue;
        }
        break;
    }
    if (lx->p >= lx->end)
        return TOK_EOF;
    char c = *lx->p;
    if (c == ';' || c == '{' || c == '}') {
        lx->p++;
        return c == ';' ? TOK_SEMI : c == '{' ? TOK_OPEN : TOK_CLOSE;
    }
    size_t n = 0;
    if (c == '"' || c == '\'') {
        char q = c;
        int start_line = lx->line;
        *quoted = 1;
        lx->p++;
        for (;;) {
            if (lx->p >= lx->end) {
                lx->line = start_line;
                lex_error(lx, "unterminated quoted string");
                return TOK_ERROR;
            }
            char ch = *lx->p++;
            if (ch == q)
                break;
            if (ch == '\n')
                lx->line++;
            if (ch == '\\' && lx->p < lx->end) {
                ch = *lx->p++;
                if (ch == 'n')
                    ch = '\n';
                else if (ch == 't')
                    ch = '\t';
            }
            if (n + 1 >= cap) {
                lex_error(lx, "token longer than %d bytes", YB_CONF_MAX_TOKEN);
                return TOK_ERROR;
            }
            buf[n++] = ch;
        }
        buf[n] = '\0';
        return TOK_WORD;
    }
    while (lx->p < lx->end) {
        char ch = *lx->p;
        if (isspace((unsigned char)ch) || ch == ';' || ch == '{' || ch == '}' || ch == '#')
            break;
        if (ch == '"' || ch == '\'') {
            lex_error(lx, "quote in the middle of a word");
            return TOK_ERROR;
        }
        if (n + 1 >= cap) {
            lex_error(lx, "token longer than %d bytes", YB_CONF_MAX_TOKEN);
            return TOK_ERROR;
        }
        buf[n++] = ch;
        lx->p++;
    }
    buf[n] = '\0';
    return TOK_WORD;
}

static struct yb_conf *node_new(const char *file, int line)
{
    struct yb_conf *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->file = strdup(file);
    d->line = line;
    if (!d->file) {
        free(d);
        return NULL;
    }
    return d;
}

static void node_free(struct yb_conf *d)
{
    while (d) {
        struct yb_conf *next = d->next;
        node_free(d->children);
        for (int i = 0; i < d->argc; i++)
            free(d->argv[i]);
        free(d->argv);
        free(d->name);
        free(d->file);
        free(d);
        d = next;
    }
}

void yb_conf_free(struct yb_conf *root)
{
    node_free(root);
}

static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return YB_EIO;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return YB_ENOMEM;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= YB_CONF_MAX_FILE) {
                snprintf(err, errlen, "%s: larger than %u bytes", path, YB_CONF_MAX_FILE);
                free(buf);
                fclose(f);
                return YB_ELIMIT;
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return YB_ENOMEM;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return YB_EIO;
    }
    *text = buf;
    *len = n;
    return 0;
}

static int parse_block(struct lexer *lx, struct yb_conf *parent, int depth);

static int parse_text(const char *file, const char *text, size_t len, struct yb_conf *parent,
                      int include_depth, char *err, size_t errlen)
{
    struct lexer lx = {.file = file,
                       .p = text,
                       .end = text + len,
                       .line = 1,
                       .include_depth = include_depth,
                       .err = err,
                       .errlen = errlen};
    return parse_block(&lx, parent, 0);
}

static void append_child(struct yb_conf *parent, struct yb_conf *d)
{
    d->parent = parent;
    struct yb_conf **link = &parent->children;
    while (*link)
        link = &(*link)->next;
    *link = d;
}

static int do_include(struct lexer *lx, struct yb_conf *parent, const char *pattern)
{
    if (lx->include_depth >= YB_CONF_MAX_INCLUDE)
        return lex_error(lx, "includes nested deeper than %d", YB_CONF_MAX_INCLUDE);
    char full[PATH_MAX];
    if (pattern[0] == '/') {
        snprintf(full, sizeof(full), "%s", pattern);
    } else {
        const char *slash = strrchr(lx->file, '/');
        int dirlen = slash ? (int)(slash - lx->file) : 1;
        snprintf(full, sizeof(full), "%.*s/%s", dirlen, slash ? lx->file : ".", pattern);
    }
    glob_t g;
    int grc = glob(full, 0, NULL, &g);
    if (grc == GLOB_NOMATCH) {
        if (strpbrk(pattern, "*?["))
            return 0; /* an empty wildcard include is not an error */
        return lex_error(lx, "include \"%s\": no such file", pattern);
    }
    if (grc != 0)
        return lex_error(lx, "include \"%s\": cannot expand", pattern);
    int rc = 0;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
        char *text;
        size_t len;
        rc = read_file(g.gl_pathv[i], &text, &len, lx->err, lx->errlen);
        if (rc)
            break;
        rc = parse_text(g.gl_pathv[i], text, len, parent, lx->include_depth + 1, lx->err,
                        lx->errlen);
        free(text);
    }
    globfree(&g);
    return rc;
}

static int parse_block(struct lexer *lx, struct yb_conf *parent, int depth)
{
    char tok[YB_CONF_MAX_TOKEN];
    char *args[YB_CONF_MAX_ARGS + 1];
    for (;;) {
        int quoted;
        int line = lx->line;
        enum tok t = lex_next(lx, tok, sizeof(tok), &quoted);
        if (t == TOK_ERROR)
            return YB_EINVAL;
        if (t == TOK_EOF) {
            if (depth > 0)
                return lex_error(lx, "unexpected end of file, a \"}\" is missing");
            return 0;
        }
        if (t == TOK_CLOSE) {
            if (depth == 0)
                return lex_error(lx, "unexpected \"}\"");
            return 0;
        }
        if (t != TOK_WORD)
            return lex_error(lx, "unexpected \"%c\"", t == TOK_SEMI ? ';' : '{');
        line = lx->line;
        struct yb_conf *d = node_new(lx->file, line);
        if (!d || !(d->name = strdup(tok))) {
            node_free(d);
            return lex_error(lx, "out of memory");
        }
        int argc = 0;
        for (;;) {
            t = lex_next(lx, tok, sizeof(tok), &quoted);
            if (t == TOK_ERROR)
                goto fail;
            if (t == TOK_EOF) {
                lex_error(lx, "directive \"%s\" has no ending \";\"", d->name);
                goto fail;
            }
            if (t == TOK_CLOSE) {
                lex_error(lx, "directive \"%s\" has no ending \";\"", d->name);
                goto fail;
            }
            if (t != TOK_WORD)
                break;
            if (argc >= YB_CONF_MAX_ARGS) {
                lex_error(lx, "directive \"%s\" has more than %d arguments", d->name,
                          YB_CONF_MAX_ARGS);
                goto fail;
            }
            if (!(args[argc++] = strdup(tok))) {
                lex_error(lx, "out of memory");
                goto fail;
            }
        }
        d->argc = argc;
        d->argv = calloc((size_t)argc + 1, sizeof(char *));
        if (!d->argv) {
            lex_error(lx, "out of memory");
            goto fail;
        }
        memcpy(d->argv, args, (size_t)argc * sizeof(char *));
        argc = 0;
        if (t == TOK_OPEN) {
            if (depth + 1 >= YB_CONF_MAX_DEPTH) {
                lex_error(lx, "blocks nested deeper than %d", YB_CONF_MAX_DEPTH);
                node_free(d);
                return YB_EINVAL;
            }
            d->has_block = 1;
            append_child(parent, d);
            int rc = parse_block(lx, d, depth + 1);
            if (rc)
                return rc;
            continue;
        }
        /* TOK_SEMI */
        if (strcmp(d->name, "include") == 0) {
            int rc;
            if (d->argc != 1)
                rc = lex_error(lx, "include takes one file pattern");
            else
                rc = do_include(lx, parent, d->argv[0]);
            node_free(d);
            if (rc)
                return rc;
            continue;
        }
        append_child(parent, d);
        continue;
    fail:
        for (int i = 0; i < argc; i++)
            free(args[i]);
        node_free(d);
        return YB_EINVAL;
    }
}

struct yb_conf *yb_conf_parse_string(const char *name, const char *text, size_t len, char *err,
                                     size_t errlen)
{
    struct yb_conf *root = node_new(name, 0);
    if (!root || !(root->name = strdup("main"))) {
        node_free(root);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    root->has_block = 1;
    if (len > YB_CONF_MAX_FILE) {
        snprintf(err, errlen, "%s: larger than %u bytes", name, YB_CONF_MAX_FILE);
        node_free(root);
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "%s: contains a NUL byte", name);
        node_free(root);
        return NULL;
    }
    if (parse_text(name, text, len, root, 0, err, errlen)) {
        node_free(root);
        return NULL;
    }
    return root;
}

struct yb_conf *yb_conf_parse_file(const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, err, errlen))
        return NULL;
    struct yb_conf *root = yb_conf_parse_string(path, text, len, err, errlen);
    free(text);
    return root;
}

const struct yb_conf *yb_conf_find(const struct yb_conf *block, const char *name)
{
    if (!block)
        return NULL;
    for (const struct yb_conf *d = block->children; d; d = d->next)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

const char *yb_conf_value(const struct yb_conf *block, const char *name)
{
    const struct yb_conf *d = yb_conf_find(block, name);
    return d && d->argc > 0 ? d->argv[0] : NULL;
}

int yb_conf_error(const struct yb_conf *d, char *err, size_t errlen, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%d: ", d->file, d->line);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return YB_EINVAL;
}

int yb_conf_apply(const struct yb_conf *block, const struct yb_conf_command *table, void *target,
                  char *err, size_t errlen)
{
    for (const struct yb_conf *d = block->children; d; d = d->next) {
        const struct yb_conf_command *cmd = table;
        while (cmd->name && strcmp(cmd->name, d->name) != 0)
            cmd++;
        if (!cmd->name)
            return yb_conf_error(d, err, errlen, "unknown directive \"%s\"", d->name);
        if (d->argc < cmd->min_args || (cmd->max_args >= 0 && d->argc > cmd->max_args)) {
            if (cmd->min_args == cmd->max_args)
                return yb_conf_error(d, err, errlen, "\"%s\" takes %d argument%s, got %d",
                                     d->name, cmd->min_args, cmd->min_args == 1 ? "" : "s",
                                     d->argc);
            return yb_conf_error(d, err, errlen, "\"%s\": wrong number of arguments (%d)",
                                 d->name, d->argc);
        }
        if (cmd->block == 1 && !d->has_block)
            return yb_conf_error(d, err, errlen, "\"%s\" needs a { ... } block", d->name);
        if (cmd->block == 0 && d->has_block)
            return yb_conf_error(d, err, errlen, "\"%s\" takes no block", d->name);
        if (cmd->set) {
            int rc = cmd->set(d, cmd, target, err, errlen);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- value parsers ---- */

int yb_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return YB_EINVAL;
    unsigned long v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return YB_EINVAL;
        unsigned d = (unsigned)(*s - '0');
        if (d > max || v > (max - d) / 10)
            return YB_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int yb_parse_size(const char *s, size_t *out)
{
    char num[32];
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n >= sizeof(num))
        return YB_EINVAL;
    memcpy(num, s, n);
    num[n] = '\0';
    unsigned long mult = 1;
    const char *suffix = s + n;
    if (strcasecmp(suffix, "k") == 0)
        mult = 1024;
    else if (strcasecmp(suffix, "m") == 0)
        mult = 1024 * 1024;
    else if (strcasecmp(suffix, "g") == 0)
        mult = 1024ul * 1024 * 1024;
    else if (*suffix)
        return YB_EINVAL;
    unsigned long v;
    if (yb_parse_uint(num, (unsigned long)-1 / mult, &v))
        return YB_EINVAL;
    *out = (size_t)(v * mult);
    return 0;
}

char *yb_conf_relative_path(const struct yb_conf *d, const char *arg)
{
    const char *slash = arg[0] != '/' && d->file ? strrchr(d->file, '/') : NULL;
    size_t dir = slash ? (size_t)(slash - d->file + 1) : 0;
    size_t len = dir + strlen(arg) + 1;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%.*s%s", (int)dir, dir ? d->file : "", arg);
    return path;
}

int yb_parse_msec(const char *s, long *out)
{
    char num[32];
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n >= sizeof(num))
        return YB_EINVAL;
    memcpy(num, s, n);
    num[n] = '\0';
    const char *suffix = s + n;
    long mult;
    if (strcmp(suffix, "ms") == 0)
        mult = 1;
    else if (strcmp(suffix, "s") == 0 || *suffix == '\0')
        mult = 1000;
    else if (strcmp(suffix, "m") == 0)
        mult = 60000;
    else if (strcmp(suffix, "h") == 0)
        mult = 3600000;
    else if (strcmp(suffix, "d") == 0)
        mult = 86400000;
    else
        return YB_EINVAL;
    unsigned long v;
    if (yb_parse_uint(num, (unsigned long)(LONG_MAX / mult), &v))
        return YB_EINVAL;
    *out = (long)v * mult;
    return 0;
}

/* ---- setters ---- */

int yb_conf_set_string(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    char **slot = (char **)((char *)target + cmd->offset);
    char *v = strdup(d->argv[0]);
    if (!v)
        return yb_conf_error(d, err, errlen, "out of memory");
    free(*slot);
    *slot = v;
    return 0;
}

int yb_conf_set_size(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    size_t *slot = (size_t *)((char *)target + cmd->offset);
    if (yb_parse_size(d->argv[0], slot))
        return yb_conf_error(d, err, errlen, "\"%s\": \"%s\" is not a size (like 512, 64k, 1m)",
                             d->name, d->argv[0]);
    return 0;
}

int yb_conf_set_uint(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    unsigned *slot = (unsigned *)((char *)target + cmd->offset);
    unsigned long v;
    if (yb_parse_uint(d->argv[0], 0xFFFFFFFFul, &v))
        return yb_conf_error(d, err, errlen, "\"%s\": \"%s\" is not a whole number", d->name,
                             d->argv[0]);
    *slot = (unsigned)v;
    return 0;
}

int yb_conf_set_msec(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    long *slot = (long *)((char *)target + cmd->offset);
    if (yb_parse_msec(d->argv[0], slot))
        return yb_conf_error(d, err, errlen,
                             "\"%s\": \"%s\" is not a duration (like 250ms, 2s, 1m)", d->name,
                             d->argv[0]);
    return 0;
}

int yb_conf_set_flag(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    int *slot = (int *)((char *)target + cmd->offset);
    if (strcmp(d->argv[0], "on") == 0)
        *slot = 1;
    else if (strcmp(d->argv[0], "off") == 0)
        *slot = 0;
    else
        return yb_conf_error(d, err, errlen, "\"%s\" takes on or off, got \"%s\"", d->name,
                             d->argv[0]);
    return 0;
}

int yb_conf_set_enum(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    int *slot = (int *)((char *)target + cmd->offset);
    const char *const *names = (const char *const *)cmd->data;
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], d->argv[0]) == 0) {
            *slot = i;
            return 0;
        }
    }
    char choices[256] = "";
    for (int i = 0; names[i]; i++) {
        strncat(choices, i ? ", " : "", sizeof(choices) - strlen(choices) - 1);
        strncat(choices, names[i], sizeof(choices) - strlen(choices) - 1);
    }
    return yb_conf_error(d, err, errlen, "\"%s\" takes one of %s, got \"%s\"", d->name, choices,
                         d->argv[0]);
}
