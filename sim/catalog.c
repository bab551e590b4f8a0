/*
 * catalog.c - catalogue mappings and queries: 3301 3302 1312.
 *
 * An institution maps its local item codes (fixmedins_hilist_id) to
 * national ones (med_list_codg); the simulator keeps the mappings per
 * institution and lists them with its own item table in 1312.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers_internal.h"
#include "ybgw/ybgw.h"

/* ---- catalogue: 3301 3302 1312 ---- */

static int do_catalog_map(struct ybsim_ctx *c)
{
    int rc;
    size_t count = 0;
    const struct yb_node *list = ybsim_input_list(c, "catalogcompin", &count, &rc);
    for (size_t i = 0; i < count && rc == 0; i++) {
        const struct yb_node *item = ybsim_list_item(list, i);
        char where[48];
        snprintf(where, sizeof(where), "input.catalogcompin[%zu]", i);
        if (!item || item->type != YB_NODE_OBJECT)
            return ybsim_fail(c, "输入格式错误: %s must be an object", where);
        struct ybsim_mapping m;
        memset(&m, 0, sizeof(m));
        if ((rc = ybsim_get(c, item, where, "fixmedins_hilist_id", m.fixmedins_hilist_id,
                            sizeof(m.fixmedins_hilist_id), 1)) ||
            (rc = ybsim_get(c, item, where, "fixmedins_hilist_name", m.fixmedins_hilist_name,
                            sizeof(m.fixmedins_hilist_name), 1)) ||
            (rc = ybsim_get(c, item, where, "list_type", m.list_type, sizeof(m.list_type), 1)) ||
            (rc = ybsim_get(c, item, where, "med_list_codg", m.med_list_codg,
                            sizeof(m.med_list_codg), 1)) ||
            (rc = ybsim_get(c, item, where, "begndate", m.begndate, sizeof(m.begndate), 1)) ||
            (rc = ybsim_get(c, item, where, "enddate", m.enddate, sizeof(m.enddate), 1)))
            return rc;
        if (strcmp(m.enddate, m.begndate) < 0)
            return ybsim_fail(c, "日期错误: %s.enddate %s is before begndate %s", where, m.enddate,
                              m.begndate);
        snprintf(m.fixmedins_code, sizeof(m.fixmedins_code), "%s", c->fixmedins_code);
        memcpy(m.upload_time, c->now, sizeof(c->now));
        snprintf(m.msgid, sizeof(m.msgid), "%s", c->msgid);
        if ((rc = ybsim_store_mapping_put(c->st, &m)))
            return ybsim_db_fail(c, rc);
        struct ybsim_charge charge;
        const struct ybsim_item *known;
        ybsim_catalog_charge(c->conf, m.med_list_codg, &charge, &known);
        if (!known)
            ybsim_warn(c,
                       "%s.med_list_codg %s is not in the simulator's item table; its charge level "
                       "comes from its shape (%s)",
                       where, m.med_list_codg, ybsim_level_code(charge.level));
    }
    return rc;
}

static int do_catalog_unmap(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    const char *w = "input.data";
    char code[16], hilist_id[64], list_type[8], med_list_codg[64];
    if (rc || (rc = ybsim_get(c, in, w, "fixmedins_code", code, sizeof(code), 0)) ||
        (rc = ybsim_get(c, in, w, "fixmedins_hilist_id", hilist_id, sizeof(hilist_id), 1)) ||
        (rc = ybsim_get(c, in, w, "list_type", list_type, sizeof(list_type), 0)) ||
        (rc = ybsim_get(c, in, w, "med_list_codg", med_list_codg, sizeof(med_list_codg), 0)))
        return rc;
    if (code[0] && strcmp(code, c->fixmedins_code) != 0)
        return ybsim_fail(c, "机构编码不符: input.data.fixmedins_code %s is not the sender %s",
                          code, c->fixmedins_code);
    rc = ybsim_store_mapping_delete(c->st, c->fixmedins_code, hilist_id, list_type, med_list_codg);
    if (rc == YB_ENOENT)
        return ybsim_fail(
            c, "目录对照信息不存在: %s has no mapping of fixmedins_hilist_id \"%s\"%s%s",
            c->fixmedins_code, hilist_id, med_list_codg[0] ? " to " : "", med_list_codg);
    return rc ? ybsim_db_fail(c, rc) : 0;
}

struct query_page {
    struct ybsim_ctx *c;
    struct yb_node *list;
    const struct ybsim_item *item; /* the item being listed, to find its mapping */
};

static int add_mapping_id(const struct ybsim_mapping *m, void *arg)
{
    struct query_page *q = arg;
    struct yb_node *last = q->list ? q->list->last : NULL;
    if (last && !yb_node_get(last, "fixmedins_hilist_id"))
        ybsim_put_str(q->c, last, "fixmedins_hilist_id", m->fixmedins_hilist_id);
    return 0;
}

static int do_catalog_query(struct ybsim_ctx *c)
{
    int rc;
    const struct yb_node *in = ybsim_input_object(c, "data", &rc);
    const char *w = "input.data";
    char code[64], page_num[12], page_size[12];
    if (rc || (rc = ybsim_get(c, in, w, "med_list_codg", code, sizeof(code), 0)) ||
        (rc = ybsim_get(c, in, w, "page_num", page_num, sizeof(page_num), 0)) ||
        (rc = ybsim_get(c, in, w, "page_size", page_size, sizeof(page_size), 0)))
        return rc;
    unsigned long num = 1, size = 100;
    if ((page_num[0] && (yb_parse_uint(page_num, 1000000, &num) || num == 0)) ||
        (page_size[0] && (yb_parse_uint(page_size, 1000, &size) || size == 0)))
        return ybsim_fail(c, "分页参数错误: page_num and page_size must be positive whole numbers "
                             "(page_size at most 1000)");
    struct query_page q = {c, ybsim_new_node(c, YB_NODE_ARRAY), NULL};
    unsigned long total = 0;
    for (const struct ybsim_item *it = c->conf->items; it; it = it->next) {
        if (code[0] && strcmp(code, it->code) != 0)
            continue;
        total++;
        if (total <= (num - 1) * size || total > num * size)
            continue;
        struct yb_node *r = ybsim_new_node(c, YB_NODE_OBJECT);
        ybsim_put_str(c, r, "hilist_code", it->code);
        ybsim_put_str(c, r, "hilist_name", it->name);
        ybsim_put_str(c, r, "insu_admdvs", c->platform->region);
        ybsim_put_str(c, r, "begndate", "2020-01-01 00:00:00");
        ybsim_put_str(c, r, "enddate", "2099-12-31 23:59:59");
        ybsim_put_str(c, r, "med_chrg_itmtype", it->chrgitm_type);
        ybsim_put_str(c, r, "chrgitm_lv", ybsim_level_code(it->level));
        ybsim_put_fine(c, r, "hilist_pric_uplmt_amt", it->pric_uplmt);
        ybsim_put_str(c, r, "vali_flag", "1");
        if (q.list && r)
            yb_node_append(q.list, r);
        q.item = it;
        if ((rc = ybsim_store_mapping_each(c->st, c->fixmedins_code, it->code, add_mapping_id, &q)))
            return ybsim_db_fail(c, rc);
    }
    if (code[0] && total == 0)
        return ybsim_fail(
            c, "目录信息不存在: med_list_codg \"%s\" is not in the simulator's catalogue", code);
    ybsim_put(c, c->output, "data", q.list);
    ybsim_put_int(c, c->output, "recordCounts", (long long)total);
    ybsim_put_int(c, c->output, "pageNum", (long long)num);
    ybsim_put_int(c, c->output, "pageSize", (long long)size);
    ybsim_put_int(c, c->output, "pages", (long long)((total + size - 1) / size));
    return 0;
}

/* ---- the table ---- */

const struct ybsim_handler ybsim_catalog_handlers[] = {
    {"1312", "医保目录信息查询", do_catalog_query, 1},
    {"3301", "目录对照上传", do_catalog_map, 1},
    {"3302", "目录对照撤销", do_catalog_unmap, 1},
    {NULL, NULL, NULL, 0},
};
