/*
 * schema.h - per-transaction field rules, read from conf/schemas/.
 *
 * The rules are data in the configuration language (see the header of any
 * file in conf/schemas/). One generic engine walks a message against them:
 * type, maximum length, required, enumerations (named dictionaries), decimal
 * precision and scale, dates, patterns, nested objects and lists, and the
 * code kind a field carries. Adding a transaction is adding a file.
 *
 * Paths in findings are relative to `input` (or `output`), with 0-based list
 * indexes: "feedetail[2].med_list_codg". Envelope fields are bare names.
 */
#ifndef YB_SCHEMA_H
#define YB_SCHEMA_H

#include <stddef.h>

#include "diag.h"
#include "pool.h"
#include "tree.h"

struct yb_schema_set;

/* Called for every present, non-empty field whose rule names code kinds.
 * kinds is the rule's text ("admdvs", or "drug|service|consumable"). */
typedef void (*yb_schema_kind_fn)(void *ctx, const char *kinds, const char *path,
                                  const struct yb_node *value);

/* Load every *.schema file in a directory (or one file). Returns NULL with
 * "file:line: reason" in err. */
struct yb_schema_set *yb_schema_load(const char *path, char *err, size_t errlen);
void yb_schema_free(struct yb_schema_set *set);

/* 1 if infno has a schema (a known transaction). */
int yb_schema_known(const struct yb_schema_set *set, const char *infno);
/* Its human name ("门诊费用明细信息上传"), or NULL. */
const char *yb_schema_title(const struct yb_schema_set *set, const char *infno);
/* 1 if infno's schema says `insuplc_optional;`: its insuplc_admdvs may be
 * empty even when the input names a person (9001, 9002, 1101). */
int yb_schema_insuplc_optional(const struct yb_schema_set *set, const char *infno);
/* Number of transactions, and the infno at index i (sorted), for listings. */
size_t yb_schema_count(const struct yb_schema_set *set);
const char *yb_schema_infno_at(const struct yb_schema_set *set, size_t i);

/* Make a decoded XML message agree with the schema's shapes: a single
 * object where the schema says list becomes a one-item array, and an empty
 * element where the schema says object or list becomes an empty one. which
 * is "input" or "output"; envelope is the whole message. */
int yb_schema_shape(const struct yb_schema_set *set, const char *infno, const char *which,
                    struct yb_pool *pool, struct yb_node *envelope);

/* Check the envelope fields against the `envelope { }` rules. */
int yb_schema_check_envelope(const struct yb_schema_set *set, const struct yb_node *envelope,
                             struct yb_diag *diag, yb_schema_kind_fn kind_fn, void *ctx);

/* Check input of infno against its rules. Findings go to diag with source
 * "schema". Returns the number of errors added (0 = passed). */
int yb_schema_check_input(const struct yb_schema_set *set, const char *infno,
                          const struct yb_node *input, struct yb_diag *diag,
                          yb_schema_kind_fn kind_fn, void *ctx);

#endif
