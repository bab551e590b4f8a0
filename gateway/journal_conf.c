/*
 * journal_conf.c - the `journal { }` block of ybgw.conf (journal.h lists
 * the directives and their defaults), the status words of journal rows, and
 * the infno rules read from the block (idempotent, unknown).
 *
 * The block is read once, at start (the journal outlives reloads). Each
 * directive is a row in journal_commands; the setters here cover the values
 * conf.c has no setter for: retention in days, the key file (read at once,
 * so `ybgw -t` catches a bad or too-open key), and the infno lists. A list
 * directive given in the block replaces the default list; repeating it adds.
 */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "seal.h"
#include "ybgw/ybgw.h"

#define PATTERNS_MAX 256
#define PATTERN_LEN_MAX 16
#define DAY_MS 86400000L

static const char *const status_words[] = {"received", "forwarded", "answered", "failed",
                                           "unknown", NULL};

const char *yb_jstatus_word(int status)
{
    if (status < YB_J_RECEIVED || status > YB_J_UNKNOWN)
        return NULL;
    return status_words[status];
}

int yb_jstatus_parse(const char *word)
{
    for (int i = 0; word && status_words[i]; i++)
        if (strcmp(word, status_words[i]) == 0)
            return i;
    return -1;
}

/* An infno pattern: 1-16 letters or digits, or a prefix of them ending in '*'. */
static int pattern_ok(const char *p)
{
    size_t n = strnlen(p, PATTERN_LEN_MAX + 2);
    size_t stem = n && p[n - 1] == '*' ? n - 1 : n;
    if (n == 0 || n > PATTERN_LEN_MAX)
        return 0;
    for (size_t i = 0; i < stem; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static int pattern_match(const char *pattern, const char *infno)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return strncmp(pattern, infno, n - 1) == 0;
    return strcmp(pattern, infno) == 0;
}

static void free_lists(struct yb_journal_conf *c)
{
    for (int i = 0; i < c->n_idempotent; i++)
        free(c->idempotent[i]);
    free(c->idempotent);
    c->idempotent = NULL;
    c->n_idempotent = 0;
    for (int i = 0; i < c->n_unknown; i++)
        free(c->unknown[i].pattern);
    free(c->unknown);
    c->unknown = NULL;
    c->n_unknown = 0;
}

static int add_idempotent(struct yb_journal_conf *c, const char *pattern)
{
    char **list = realloc(c->idempotent, (size_t)(c->n_idempotent + 1) * sizeof(*list));
    if (!list)
        return YB_ENOMEM;
    c->idempotent = list;
    if (!(list[c->n_idempotent] = strdup(pattern)))
        return YB_ENOMEM;
    c->n_idempotent++;
    return 0;
}

static int add_unknown(struct yb_journal_conf *c, const char *pattern, int action)
{
    struct yb_junknown_rule *list = realloc(c->unknown, (size_t)(c->n_unknown + 1) * sizeof(*list));
    if (!list)
        return YB_ENOMEM;
    c->unknown = list;
    if (!(list[c->n_unknown].pattern = strdup(pattern)))
        return YB_ENOMEM;
    list[c->n_unknown++].action = action;
    return 0;
}

int yb_journal_conf_init(struct yb_journal_conf *c)
{
    static const char *const idempotent[] = {"2207", "2208", "2304", "2305", "2601"};
    static const char *const reverse[] = {"2207", "2208", "2304", "2305"};
    if (!c)
        return YB_EINVAL;
    if (!(c->path = strdup("journal.db")))
        return YB_ENOMEM;
    c->sync_full = 0;
    c->retention_ms = 180 * DAY_MS;
    c->personal = YB_JP_MASK; /* encrypt needs a key, so it is asked for by name */
    c->backlog = 10000;
    c->max_size = 0;
    c->resolve_after_ms = 60000;
    c->resolve_interval_ms = 10000;
    c->idempotent_window_ms = 7 * DAY_MS;
    c->update_delay_ms = 10;
    for (size_t i = 0; i < sizeof(idempotent) / sizeof(*idempotent); i++)
        if (add_idempotent(c, idempotent[i]))
            return YB_ENOMEM;
    for (size_t i = 0; i < sizeof(reverse) / sizeof(*reverse); i++)
        if (add_unknown(c, reverse[i], YB_JU_REVERSE))
            return YB_ENOMEM;
    return 0;
}

void yb_journal_conf_free(struct yb_journal_conf *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->key_file);
    free_lists(c);
    OPENSSL_cleanse(c->key, sizeof(c->key));
    memset(c, 0, sizeof(*c));
}

/* ---- setters ---- */

/* What a parse is writing into, and which list directives it has seen (the
 * first one of each replaces the default list). */
struct parse_target {
    struct yb_journal_conf *c;
    int saw_idempotent, saw_unknown;
};

static int set_path(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                    char *err, size_t errlen)
{
    struct parse_target *t = target;
    (void)cmd;
    if (d->argv[0][0] == '\0')
        return yb_conf_error(d, err, errlen, "journal path must not be empty");
    char *v = strdup(d->argv[0]);
    if (!v)
        return yb_conf_error(d, err, errlen, "out of memory");
    free(t->c->path);
    t->c->path = v;
    return 0;
}

static int set_sync(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                    char *err, size_t errlen)
{
    struct parse_target *t = target;
    (void)cmd;
    if (strcmp(d->argv[0], "normal") == 0)
        t->c->sync_full = 0;
    else if (strcmp(d->argv[0], "full") == 0)
        t->c->sync_full = 1;
    else
        return yb_conf_error(d, err, errlen,
                             "journal sync takes normal or full (fsync every commit), got \"%s\"",
                             d->argv[0]);
    return 0;
}

static int set_personal(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                        char *err, size_t errlen)
{
    static const char *const words[] = {"encrypt", "mask", "plain"};
    struct parse_target *t = target;
    (void)cmd;
    for (int i = 0; i < 3; i++) {
        if (strcmp(d->argv[0], words[i]) == 0) {
            t->c->personal = i;
            return 0;
        }
    }
    return yb_conf_error(d, err, errlen,
                         "journal personal takes encrypt, mask or plain, got \"%s\"", d->argv[0]);
}

static int set_retention(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                         char *err, size_t errlen)
{
    struct parse_target *t = target;
    const char *s = d->argv[0];
    size_t n = strlen(s);
    long v = 0;
    (void)cmd;
    if (n > 1 && s[n - 1] == 'd') {
        char num[24];
        unsigned long days;
        if (n - 1 >= sizeof(num))
            goto bad;
        memcpy(num, s, n - 1);
        num[n - 1] = '\0';
        if (yb_parse_uint(num, 100000, &days))
            goto bad;
        v = (long)days * DAY_MS;
    } else if (strcmp(s, "0") == 0) {
        v = 0;
    } else if (yb_parse_msec(s, &v)) {
        goto bad;
    }
    t->c->retention_ms = v;
    return 0;
bad:
    return yb_conf_error(d, err, errlen,
                         "journal retention \"%s\" is not a duration (like 180d, 12h, or 0 to keep "
                         "every row)",
                         s);
}

static int set_resolve_after(const struct yb_conf *d, const struct yb_conf_command *cmd,
                             void *target, char *err, size_t errlen)
{
    struct parse_target *t = target;
    (void)cmd;
    if (yb_parse_msec(d->argv[0], &t->c->resolve_after_ms))
        return yb_conf_error(d, err, errlen,
                             "journal resolve_after \"%s\" is not a duration (like 60s, 5m)",
                             d->argv[0]);
    return 0;
}

/* resolve_interval and idempotent_window: a duration into the long at
 * cmd->offset of the conf. */
static int set_duration(const struct yb_conf *d, const struct yb_conf_command *cmd,
                        void *target, char *err, size_t errlen)
{
    struct parse_target *t = target;
    long *out = (long *)((char *)t->c + cmd->offset);
    long v;
    if (yb_parse_msec(d->argv[0], &v) || v < 0)
        return yb_conf_error(d, err, errlen, "journal %s \"%s\" is not a duration (like 10s, 7d)",
                             d->name, d->argv[0]);
    *out = v;
    return 0;
}

/* How long an update that nothing waits for (a forwarded mark, the outcome
 * of a non-idempotent transaction) may wait to share a commit: at most 1 s,
 * since a crash in that window leaves its row unknown. */
static int set_update_delay(const struct yb_conf *d, const struct yb_conf_command *cmd,
                            void *target, char *err, size_t errlen)
{
    struct parse_target *t = target;
    long v;
    (void)cmd;
    if (yb_parse_msec(d->argv[0], &v) || v < 0 || v > 1000)
        return yb_conf_error(d, err, errlen,
                             "journal update_delay \"%s\" must be a duration from 0 to 1s (like "
                             "10ms; 0 commits every update at once)",
                             d->argv[0]);
    t->c->update_delay_ms = v;
    return 0;
}

static int set_backlog(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    struct parse_target *t = target;
    unsigned long v;
    (void)cmd;
    if (yb_parse_uint(d->argv[0], 10000000, &v) || v == 0)
        return yb_conf_error(d, err, errlen,
                             "journal backlog \"%s\" must be a whole number from 1 to 10000000",
                             d->argv[0]);
    t->c->backlog = (unsigned)v;
    return 0;
}

static int set_max_size(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                        char *err, size_t errlen)
{
    struct parse_target *t = target;
    size_t v;
    (void)cmd;
    if (yb_parse_size(d->argv[0], &v) || v > (size_t)INT64_MAX)
        return yb_conf_error(d, err, errlen,
                             "journal max_size \"%s\" is not a size (like 512m, 20g, or 0 for no "
                             "cap)",
                             d->argv[0]);
    if (v != 0 && v < 65536)
        return yb_conf_error(d, err, errlen,
                             "journal max_size %s is too small: give at least 64k, or 0 for no cap",
                             d->argv[0]);
    t->c->max_size = (int64_t)v;
    return 0;
}

/* A relative key_file is relative to the file that names it. */
static int set_key_file(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                        char *err, size_t errlen)
{
    struct parse_target *t = target;
    const char *arg = d->argv[0];
    char why[512] = "";
    (void)cmd;
    char *path = yb_conf_relative_path(d, arg);
    if (!path)
        return yb_conf_error(d, err, errlen, "out of memory");
    int rc = yb_seal_load_key(path, t->c->key, why, sizeof(why));
    if (rc) {
        free(path);
        return yb_conf_error(d, err, errlen, "journal key_file: %s", why);
    }
    free(t->c->key_file);
    t->c->key_file = path;
    t->c->has_key = 1;
    return 0;
}

static int set_idempotent(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                          char *err, size_t errlen)
{
    struct parse_target *t = target;
    struct yb_journal_conf *c = t->c;
    (void)cmd;
    if (!t->saw_idempotent) {
        for (int i = 0; i < c->n_idempotent; i++)
            free(c->idempotent[i]);
        c->n_idempotent = 0;
        t->saw_idempotent = 1;
    }
    for (int i = 0; i < d->argc; i++) {
        if (!pattern_ok(d->argv[i]))
            return yb_conf_error(d, err, errlen,
                                 "journal idempotent: \"%.40s\" is not an infno pattern (like "
                                 "2207, or 22* for a prefix)",
                                 d->argv[i]);
        if (c->n_idempotent >= PATTERNS_MAX)
            return yb_conf_error(d, err, errlen, "journal idempotent: more than %d patterns",
                                 PATTERNS_MAX);
        if (add_idempotent(c, d->argv[i]))
            return yb_conf_error(d, err, errlen, "out of memory");
    }
    return 0;
}

static int set_unknown(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                       char *err, size_t errlen)
{
    struct parse_target *t = target;
    struct yb_journal_conf *c = t->c;
    const char *word = d->argv[d->argc - 1];
    int action;
    (void)cmd;
    if (strcmp(word, "reverse") == 0)
        action = YB_JU_REVERSE;
    else if (strcmp(word, "operator") == 0)
        action = YB_JU_OPERATOR;
    else
        return yb_conf_error(d, err, errlen,
                             "journal unknown: the last argument must be reverse or operator, got "
                             "\"%.40s\" (unknown INFNO ... reverse|operator;)",
                             word);
    if (!t->saw_unknown) {
        for (int i = 0; i < c->n_unknown; i++)
            free(c->unknown[i].pattern);
        c->n_unknown = 0;
        t->saw_unknown = 1;
    }
    for (int i = 0; i < d->argc - 1; i++) {
        if (!pattern_ok(d->argv[i]))
            return yb_conf_error(d, err, errlen,
                                 "journal unknown: \"%.40s\" is not an infno pattern (like 2207, "
                                 "or 22* for a prefix)",
                                 d->argv[i]);
        if (c->n_unknown >= PATTERNS_MAX)
            return yb_conf_error(d, err, errlen, "journal unknown: more than %d patterns",
                                 PATTERNS_MAX);
        if (add_unknown(c, d->argv[i], action))
            return yb_conf_error(d, err, errlen, "out of memory");
    }
    return 0;
}

static const struct yb_conf_command journal_commands[] = {
    {"path", 1, 1, 0, set_path, 0, 0},
    {"sync", 1, 1, 0, set_sync, 0, 0},
    {"retention", 1, 1, 0, set_retention, 0, 0},
    {"personal", 1, 1, 0, set_personal, 0, 0},
    {"key_file", 1, 1, 0, set_key_file, 0, 0},
    {"backlog", 1, 1, 0, set_backlog, 0, 0},
    {"max_size", 1, 1, 0, set_max_size, 0, 0},
    {"idempotent", 1, -1, 0, set_idempotent, 0, 0},
    {"unknown", 2, -1, 0, set_unknown, 0, 0},
    {"resolve_after", 1, 1, 0, set_resolve_after, 0, 0},
    {"resolve_interval", 1, 1, 0, set_duration,
     offsetof(struct yb_journal_conf, resolve_interval_ms), 0},
    {"idempotent_window", 1, 1, 0, set_duration,
     offsetof(struct yb_journal_conf, idempotent_window_ms), 0},
    {"update_delay", 1, 1, 0, set_update_delay, 0, 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

int yb_journal_conf_parse(const struct yb_conf *d, struct yb_journal_conf *c, char *err,
                          size_t errlen)
{
    struct parse_target t = {c, 0, 0};
    if (!d || !c)
        return YB_EINVAL;
    if (!d->has_block || d->argc != 0)
        return yb_conf_error(d, err, errlen, "journal takes no arguments and a block: journal { "
                                             "path FILE; ... }");
    return yb_conf_apply(d, journal_commands, &t, err, errlen);
}

int yb_journal_conf_check(const struct yb_journal_conf *c, char *err, size_t errlen)
{
    if (!c)
        return YB_EINVAL;
    if (c->personal == YB_JP_ENCRYPT && !c->has_key) {
        snprintf(err, errlen,
                 "journal: personal encrypt needs a key: add key_file FILE; to the journal "
                 "block (32 random bytes as 64 hex digits, mode 0600), or choose personal mask;");
        return YB_EINVAL;
    }
    return 0;
}

int yb_journal_idempotent(const struct yb_journal_conf *c, const char *infno)
{
    if (!c || !infno)
        return 0;
    for (int i = 0; i < c->n_idempotent; i++)
        if (pattern_match(c->idempotent[i], infno))
            return 1;
    return 0;
}

int yb_journal_unknown_action(const struct yb_journal_conf *c, const char *infno)
{
    if (!c || !infno)
        return YB_JU_OPERATOR;
    for (int i = 0; i < c->n_unknown; i++)
        if (pattern_match(c->unknown[i].pattern, infno))
            return c->unknown[i].action;
    return YB_JU_OPERATOR;
}
