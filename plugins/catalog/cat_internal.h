/*
 * cat_internal.h - what cat_store.c offers the import (cat_import.c) beyond
 * the public contract of catalog.h. Private to libybcatalog.
 */
#ifndef YBGW_CAT_INTERNAL_H
#define YBGW_CAT_INTERNAL_H

#include "catalog.h"

/* yb_cat_store_put, or with DRY_RUN only the comparison; *outcome gets the
 * enum yb_cat_outcome and *old (optional) the row that was current, or NULL
 * (valid until the next call). */
int yb_cat_store_apply(struct yb_cat_store *st, const struct yb_cat_row *row, int sync,
                       const struct yb_cat_who *who, int dry_run, int *outcome,
                       const struct yb_cat_record **old);
/* A read transaction: one snapshot for a dry run (ended with rollback). */
int yb_cat_store_begin_read(struct yb_cat_store *st);
/* ON: a big page cache for a bulk import; off: the usual one again. */
void yb_cat_store_bulk(struct yb_cat_store *st, int on);

#endif
