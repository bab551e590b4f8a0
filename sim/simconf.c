/*
 * simconf.c - reading conf/sim.conf into a struct ybsim_config.
 *
 * Owns the directive tables of the simulator: the top level, the platform
 * block and the catalog block (policy blocks belong to fund.c). Checks that
 * cannot be made one directive at a time (region codes, two platforms on
 * one address serving the same prefix, more than one default) run after
 * the tables, with the line of the directive at fault.
 */
#include "simconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ybgw/ybgw.h"

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* ---- platform { } ---- */

static int set_region(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                      char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_platform *p = target;
    if (strlen(d->argv[0]) != 6 || !all_digits(d->argv[0]))
        return yb_conf_error(d, err, errlen, "\"region\": \"%s\" is not a 6-digit region code",
                             d->argv[0]);
    memcpy(p->region, d->argv[0], 7);
    return 0;
}

static int set_serves(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                      char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_platform *p = target;
    for (int i = 0; i < d->argc; i++) {
        const char *prefix = d->argv[i];
        if (strlen(prefix) > 6 || !all_digits(prefix))
            return yb_conf_error(d, err, errlen,
                                 "\"serves\": \"%s\" is not a region prefix of 1 to 6 digits",
                                 prefix);
        if (p->nserves == YBSIM_MAX_SERVES)
            return yb_conf_error(d, err, errlen, "\"serves\": more than %d prefixes",
                                 YBSIM_MAX_SERVES);
        if (!(p->serves[p->nserves] = strdup(prefix)))
            return yb_conf_error(d, err, errlen, "out of memory");
        p->nserves++;
    }
    return 0;
}

static const struct yb_conf_command platform_commands[] = {
    {"region", 1, 1, 0, set_region, 0, 0},
    {"serves", 1, -1, 0, set_serves, 0, 0},
    {"listen", 1, 1, 0, yb_conf_set_string, offsetof(struct ybsim_platform, listen), 0},
    {"default", 1, 1, 0, yb_conf_set_flag, offsetof(struct ybsim_platform, is_default), 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

static void platform_free(struct ybsim_platform *p)
{
    for (int i = 0; i < p->nserves; i++)
        free(p->serves[i]);
    free(p->name);
    free(p->listen);
    free(p);
}

static int add_platform(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                        char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_config *conf = target;
    struct ybsim_platform *p = calloc(1, sizeof(*p));
    if (!p || !(p->name = strdup(d->argv[0]))) {
        free(p);
        return yb_conf_error(d, err, errlen, "out of memory");
    }
    p->file = d->file;
    p->line = d->line;
    /* linked first, so that a failure below is freed with the config */
    struct ybsim_platform **tail = &conf->platforms;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    int rc = yb_conf_apply(d, platform_commands, p, err, errlen);
    if (rc)
        return rc;
    if (!p->region[0])
        return yb_conf_error(d, err, errlen, "platform %s: no \"region\"", p->name);
    if (!p->listen)
        return yb_conf_error(d, err, errlen, "platform %s: no \"listen\"", p->name);
    if (!p->nserves && !p->is_default)
        return yb_conf_error(d, err, errlen,
                             "platform %s: no \"serves\" prefixes and not \"default on\"", p->name);
    for (struct ybsim_platform *q = conf->platforms; q != p; q = q->next)
        if (strcmp(q->name, p->name) == 0)
            return yb_conf_error(d, err, errlen, "platform %s is defined twice (first at %s:%d)",
                                 p->name, q->file, q->line);
    return 0;
}

/* ---- policy { } ---- */

static int add_policy(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                      char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_config *conf = target;
    struct ybsim_policy *p = ybsim_policy_parse(d, err, errlen);
    if (!p)
        return YB_EINVAL;
    struct ybsim_policy **tail = &conf->policies;
    for (; *tail; tail = &(*tail)->next) {
        const struct ybsim_policy *q = *tail;
        if (strcmp(q->region, p->region) == 0 && strcmp(q->insutype, p->insutype) == 0 &&
            q->scope == p->scope) {
            int line = q->line;
            free(p);
            return yb_conf_error(d, err, errlen, "a policy for %s %s is already at line %d",
                                 d->argv[0], d->argv[1], line);
        }
    }
    *tail = p;
    return 0;
}

/* ---- catalog { } ---- */

static int parse_level(const struct yb_conf *d, const char *s, int *level, char *err, size_t errlen)
{
    *level = ybsim_level_parse(s);
    if (*level < 0)
        return yb_conf_error(d, err, errlen,
                             "\"%s\": \"%s\" is not a charge level (甲 乙 丙 or 01 02 03)", d->name,
                             s);
    return 0;
}

static int check_type(const struct yb_conf *d, const char *s, char *err, size_t errlen)
{
    if (strlen(s) != 2 || !all_digits(s))
        return yb_conf_error(d, err, errlen, "\"%s\": \"%s\" is not a 2-digit med_chrgitm_type",
                             d->name, s);
    return 0;
}

static int add_shape(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                     char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_config *conf = target;
    if (conf->nshapes == YBSIM_MAX_SHAPES)
        return yb_conf_error(d, err, errlen, "more than %d shapes", YBSIM_MAX_SHAPES);
    struct ybsim_shape *s = &conf->shapes[conf->nshapes];
    if (strlen(d->argv[0]) >= sizeof(s->prefix))
        return yb_conf_error(d, err, errlen, "\"shape\": prefix \"%s\" too long", d->argv[0]);
    if (parse_level(d, d->argv[1], &s->level, err, errlen) ||
        check_type(d, d->argv[2], err, errlen))
        return YB_EINVAL;
    memcpy(s->prefix, d->argv[0], strlen(d->argv[0]) + 1);
    memcpy(s->chrgitm_type, d->argv[2], 3);
    conf->nshapes++;
    return 0;
}

static int add_item(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                    char *err, size_t errlen)
{
    (void)cmd;
    struct ybsim_config *conf = target;
    struct ybsim_item it;
    memset(&it, 0, sizeof(it));
    if (strlen(d->argv[0]) >= sizeof(it.code) || strlen(d->argv[4]) >= sizeof(it.name))
        return yb_conf_error(d, err, errlen, "\"item\": code or name too long");
    if (parse_level(d, d->argv[1], &it.level, err, errlen) ||
        check_type(d, d->argv[2], err, errlen))
        return YB_EINVAL;
    if (ybsim_dec_parse(d->argv[3], strlen(d->argv[3]), 6, &it.pric_uplmt) || it.pric_uplmt < 0)
        return yb_conf_error(d, err, errlen,
                             "\"item\": price cap \"%s\" is not a price (0 for none)", d->argv[3]);
    for (const struct ybsim_item *q = conf->items; q; q = q->next)
        if (strcmp(q->code, d->argv[0]) == 0)
            return yb_conf_error(d, err, errlen, "\"item\": %s is listed twice", d->argv[0]);
    memcpy(it.code, d->argv[0], strlen(d->argv[0]) + 1);
    memcpy(it.chrgitm_type, d->argv[2], 3);
    memcpy(it.name, d->argv[4], strlen(d->argv[4]) + 1);
    struct ybsim_item *copy = malloc(sizeof(*copy));
    if (!copy)
        return yb_conf_error(d, err, errlen, "out of memory");
    *copy = it;
    struct ybsim_item **tail = &conf->items;
    while (*tail)
        tail = &(*tail)->next;
    *tail = copy;
    return 0;
}

static const struct yb_conf_command catalog_commands[] = {
    {"shape", 3, 3, 0, add_shape, 0, 0},
    {"item", 5, 5, 0, add_item, 0, 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

static int apply_catalog(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                         char *err, size_t errlen)
{
    (void)cmd;
    return yb_conf_apply(d, catalog_commands, target, err, errlen);
}

/* ---- the top level ---- */

static const char *const filing_rules[] = {"off", "cross-province", "off-site", NULL};

static const struct yb_conf_command main_commands[] = {
    {"database", 1, 1, 0, yb_conf_set_string, offsetof(struct ybsim_config, database), 0},
    {"persons", 1, 1, 0, yb_conf_set_string, offsetof(struct ybsim_config, persons), 0},
    {"mappings", 1, 1, 0, yb_conf_set_string, offsetof(struct ybsim_config, mappings), 0},
    {"check_mapping", 1, 1, 0, yb_conf_set_flag, offsetof(struct ybsim_config, check_mapping), 0},
    {"require_filing", 1, 1, 0, yb_conf_set_enum, offsetof(struct ybsim_config, require_filing),
     (uintptr_t)filing_rules},
    {"require_sign_in", 1, 1, 0, yb_conf_set_flag, offsetof(struct ybsim_config, require_sign_in),
     0},
    {"reject_duplicate_msgid", 1, 1, 0, yb_conf_set_flag,
     offsetof(struct ybsim_config, reject_duplicate_msgid), 0},
    {"strict_msgid", 1, 1, 0, yb_conf_set_flag, offsetof(struct ybsim_config, strict_msgid), 0},
    {"access_log", 1, 1, 0, yb_conf_set_flag, offsetof(struct ybsim_config, access_log), 0},
    {"faults", 1, 1, 0, yb_conf_set_flag, offsetof(struct ybsim_config, faults), 0},
    {"max_body", 1, 1, 0, yb_conf_set_size, offsetof(struct ybsim_config, max_body), 0},
    {"platform", 1, 1, 1, add_platform, 0, 0},
    {"policy", 2, 3, 1, add_policy, 0, 0},
    {"catalog", 0, 0, 1, apply_catalog, 0, 0},
    {NULL, 0, 0, 0, NULL, 0, 0},
};

static int check_platforms(struct ybsim_config *conf, char *err, size_t errlen)
{
    if (!conf->platforms) {
        snprintf(err, errlen, "%s: no \"platform NAME { ... }\" block", conf->path);
        return YB_EINVAL;
    }
    for (struct ybsim_platform *p = conf->platforms; p; p = p->next) {
        for (struct ybsim_platform *q = conf->platforms; q != p; q = q->next) {
            if (strcmp(p->listen, q->listen) != 0)
                continue;
            if (p->is_default && q->is_default) {
                snprintf(err, errlen, "%s:%d: platform %s: %s already has a default platform (%s)",
                         p->file, p->line, p->name, p->listen, q->name);
                return YB_EINVAL;
            }
            for (int i = 0; i < p->nserves; i++)
                for (int j = 0; j < q->nserves; j++)
                    if (strcmp(p->serves[i], q->serves[j]) == 0) {
                        snprintf(err, errlen,
                                 "%s:%d: platform %s: prefix %s on %s is already served by %s",
                                 p->file, p->line, p->name, p->serves[i], p->listen, q->name);
                        return YB_EINVAL;
                    }
        }
    }
    return 0;
}

int ybsim_config_load(const char *path, struct ybsim_config *conf, char *err, size_t errlen)
{
    memset(conf, 0, sizeof(*conf));
    conf->require_sign_in = 1;
    conf->reject_duplicate_msgid = 1;
    conf->access_log = 1;
    conf->max_body = 4u << 20;
    if (!(conf->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        return YB_ENOMEM;
    }
    conf->root = yb_conf_parse_file(path, err, errlen);
    if (!conf->root)
        return YB_EINVAL;
    int rc = yb_conf_apply(conf->root, main_commands, conf, err, errlen);
    if (rc)
        return rc;
    if (!conf->database && !(conf->database = strdup(":memory:"))) {
        snprintf(err, errlen, "out of memory");
        return YB_ENOMEM;
    }
    if (!conf->persons) {
        snprintf(err, errlen, "%s: no \"persons FILE;\" (the insured persons, a TSV file)", path);
        return YB_EINVAL;
    }
    if (conf->nshapes == 0 || strcmp(conf->shapes[conf->nshapes - 1].prefix, "other") != 0) {
        /* without a catch-all the charge level of an odd code would be
         * undefined; make it self-pay, as the platform treats codes it does
         * not know */
        if (conf->nshapes == YBSIM_MAX_SHAPES) {
            snprintf(err, errlen, "%s: the last catalog shape must be \"other\"", path);
            return YB_EINVAL;
        }
        struct ybsim_shape *s = &conf->shapes[conf->nshapes++];
        memcpy(s->prefix, "other", 6);
        s->level = YBSIM_LEVEL_C;
        memcpy(s->chrgitm_type, "14", 3);
    }
    return check_platforms(conf, err, errlen);
}

void ybsim_config_free(struct ybsim_config *conf)
{
    while (conf->platforms) {
        struct ybsim_platform *next = conf->platforms->next;
        platform_free(conf->platforms);
        conf->platforms = next;
    }
    while (conf->items) {
        struct ybsim_item *next = conf->items->next;
        free(conf->items);
        conf->items = next;
    }
    ybsim_policy_free(conf->policies);
    free(conf->database);
    free(conf->persons);
    free(conf->mappings);
    free(conf->path);
    yb_conf_free(conf->root);
    memset(conf, 0, sizeof(*conf));
}

/* ---- the catalogue ---- */

static int shape_matches(const struct ybsim_shape *s, const char *code)
{
    if (strcmp(s->prefix, "other") == 0)
        return 1;
    if (strcmp(s->prefix, "digits") == 0)
        return all_digits(code);
    return strncmp(code, s->prefix, strlen(s->prefix)) == 0;
}

void ybsim_catalog_charge(const struct ybsim_config *conf, const char *med_list_codg,
                          struct ybsim_charge *out, const struct ybsim_item **item)
{
    *item = NULL;
    for (const struct ybsim_item *it = conf->items; it; it = it->next) {
        if (strcmp(it->code, med_list_codg) == 0) {
            out->level = it->level;
            out->chrgitm_type = it->chrgitm_type;
            out->pric_uplmt = it->pric_uplmt;
            out->name = it->name;
            *item = it;
            return;
        }
    }
    for (int i = 0; i < conf->nshapes; i++) {
        if (shape_matches(&conf->shapes[i], med_list_codg)) {
            out->level = conf->shapes[i].level;
            out->chrgitm_type = conf->shapes[i].chrgitm_type;
            out->pric_uplmt = 0;
            out->name = "";
            return;
        }
    }
    out->level = YBSIM_LEVEL_C; /* unreachable: load adds "other" */
    out->chrgitm_type = "14";
    out->pric_uplmt = 0;
    out->name = "";
}
