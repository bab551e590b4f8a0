/*
 * cat_plugin.h - the catalog plugin's own state, shared by its hooks
 * (catalog.c: configuration, prepare and request; cat_response.c: answers,
 * 3301/3302 and the instances live in the process). Not a library header.
 */
#ifndef YBGW_CAT_PLUGIN_H
#define YBGW_CAT_PLUGIN_H

#include <pthread.h>
#include <stdatomic.h>

#include "cat_writer.h"
#include "catalog.h"
#include "ybgw/ybgw.h"

#define MAX_RULES 32
#define NAME_MAX_LEN 48

struct translate { /* translate INFNO LIST LOCAL NATIONAL [TIME] */
    char infno[8], list[NAME_MAX_LEN], local[NAME_MAX_LEN], national[NAME_MAX_LEN],
        time[NAME_MAX_LEN];
};

struct reverse { /* reverse INFNO LIST join KEY | reverse INFNO LIST NATIONAL LOCAL */
    char infno[8], list[NAME_MAX_LEN];
    int join;
    char a[NAME_MAX_LEN], b[NAME_MAX_LEN];
};

struct list_kind { /* list_kind LIST_TYPE KIND|- */
    char list_type[8], kind[32];
    /* the kind, found on first use (all plugins are loaded by then): a
     * race only stores the same pointer twice */
    _Atomic(const struct yb_code_kind *) found;
    atomic_int looked;
};

struct catalog {
    const struct yb_host *h;
    char store[1024];
    char only[32]; /* fixmedins: load only this institution ("" all) */
    int unmapped, mismatch, outside_dates, unsynced;
    struct translate tr[MAX_RULES];
    size_t n_tr;
    struct reverse rv[MAX_RULES];
    size_t n_rv;
    struct list_kind lk[16];
    size_t n_lk;
    char upload[8], revoke[8];

    pthread_rwlock_t lock; /* guards map */
    struct yb_cat_map *map;
    struct yb_cat_writer *writer;

    struct catalog *next_live; /* under live_lock */
    int loading;
    struct yb_cat_change *pending, *pending_tail; /* arrived while loading */
};


/* The text of OBJ.KEY, "" when absent or not a scalar. */
const char *yb_cat_text_of(const struct catalog *c, const struct yb_node *obj, const char *key);
/* The list NAME under PART ("input", "output") of TREE, an array or a lone
 * object; *count gets its items. */
const struct yb_node *yb_cat_list_of(const struct catalog *c, struct yb_node *tree,
                                     const char *part, const char *name, size_t *count);
/* Item I of such a list, or NULL when it is not an object. */
struct yb_node *yb_cat_item_of(const struct catalog *c, const struct yb_node *list, size_t i);

/* cat_response.c */
int yb_cat_on_response(void *state, struct yb_txn *txn);
/* Join the instances live in this process: flush every live writer, load
 * the map from the store, then apply what arrived meanwhile. */
int yb_cat_live_join(struct catalog *c, char *err, size_t errcap);
void yb_cat_live_leave(struct catalog *c);

#endif
