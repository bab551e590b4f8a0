/*
 * cat_map.c - the catalog mappings in memory (struct yb_cat_map), for the
 * gateway's request path: a fee line's local code is translated to its
 * national code with one hash probe, never an SQLite query, and a
 * response's national code back to its local code through a second index.
 *
 * Layout, chosen so that a million mappings stay well within twice their
 * CSV size and a lookup neither allocates nor chases many pointers (one
 * random memory access costs some hundred nanoseconds on a server; a
 * lookup here costs about two):
 *
 *   - one arena of blocks (up to 2 MiB) that never move. A node is a
 *     struct yb_cat_entry (the public part) plus the links of its national
 *     group, followed at once by copies of its local and national codes
 *     (and its name, unless the entry it replaces has the same), so a probe
 *     finds the key in the cache lines it has just read. A node is named by
 *     a 32-bit reference (block, offset / 8). Codes carry a length byte
 *     just before their first character, so a probe needs no strlen.
 *     Institution codes are interned (a hospital has one or a few), and the
 *     change time and message id reuse the previous copy when they repeat
 *     (an import sets every row with the same time);
 *   - a set or revoke never changes a node handed out: it adds a new one
 *     and repoints the index, so an entry pointer a reader holds stays
 *     valid (and unchanged) until the map is freed;
 *   - the key index: open addressing with linear probing over slots of
 *     {32-bit hash, node reference + 1}; a miss mostly compares hashes only;
 *   - the national index: slots of {head node + 1, count, 12 bits of the
 *     hash} keyed by the (institution, national code) of the head node. The active entries of
 *     a group form a doubly linked list through the nodes; count is its
 *     length. A group that becomes empty keeps its slot (its head still
 *     names the key), so nothing is ever deleted from either index;
 *   - pieces of 2 MiB and more are aligned to 2 MiB and advised as huge
 *     pages (Linux), which takes most TLB misses out of a lookup.
 *
 * The map is not locked (catalog.h): readers share it while nobody writes,
 * and a writer (yb_cat_map_set, yb_cat_map_revoke, yb_cat_map_load) has it
 * alone. The find functions never write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "catalog.h"

/* Caps in bytes, above what a row yb_cat_row_check passes can hold (the
 * specification counts characters: a 50-character med_list_codg may take
 * 200 bytes of UTF-8, a 200-character name 800), so that every row of the
 * store loads; a code's length must also fit its length byte. */
#define KEY_MAX 200   /* an institution, local or national code */
#define NAME_MAX 1000 /* fixmedins_hilist_name */
#define AT_MAX 64     /* a change time */
#define MSGID_MAX 128 /* a message id */
#define NONE UINT32_MAX
#define HUGE_PAGE ((size_t)2 << 20)
#define BLOCK_MIN ((size_t)16 << 10)
#define BLOCK_MAX HUGE_PAGE
#define REF_SHIFT 18               /* a reference: block << 18 | offset / 8 (2 MiB blocks) */
#define MAX_BLOCKS 16383u          /* so that no reference is NONE: 32 GiB of nodes */
#define GROUP_MAX ((1u << 20) - 1) /* local codes active on one national code */
#define TAG(h) ((h) >> 20)

struct node {
    struct yb_cat_entry e;
    uint32_t next, prev; /* the active entries of the same national group */
    /* then: length byte, local code, NUL, length byte, national code, NUL,
     * and the name with its NUL when the node has its own copy */
};

struct key_slot {
    uint32_t hash;
    uint32_t node; /* reference + 1; 0: empty */
};

struct national_slot {
    uint32_t head;       /* reference + 1 of the group's first active node, or of its last
                            node when the group is empty; 0: empty slot */
    uint32_t count : 20; /* active nodes in the group */
    uint32_t tag : 12;   /* the top bits of the hash */
};

struct yb_cat_map {
    char **blocks; /* the arena; the last one is being filled */
    size_t nblocks, block_cap, used, size, block_bytes;
    struct key_slot *keys;
    size_t key_cap, key_count, active;
    struct national_slot *nats;
    size_t nat_cap, nat_count;
    const char **insts; /* interned institution codes (open addressing) */
    size_t inst_cap, inst_count;
    const char *last_at, *last_msgid;
};

/* ---- hashing ---------------------------------------------------------- */

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t len, uint64_t seed)
{
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0x100000001b3ULL;
    return mix64(h);
}

static uint32_t key_hash(const char *fix, size_t fixlen, const char *local, size_t len)
{
    return (uint32_t)hash_bytes(local, len, hash_bytes(fix, fixlen, 0x6b6579));
}

static uint32_t national_hash(const char *fix, size_t fixlen, const char *national, size_t len)
{
    return (uint32_t)hash_bytes(national, len, hash_bytes(fix, fixlen, 0x6e6174));
}

/* ---- storage ---------------------------------------------------------- */

/* SIZE zeroed bytes; 2 MiB-aligned and advised as huge pages from 2 MiB
 * on. Freed with free. */
static void *big_alloc(size_t size)
{
    if (size < HUGE_PAGE)
        return calloc(1, size);
    size = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = aligned_alloc(HUGE_PAGE, size);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE); /* advice only: without it, small pages */
#endif
    memset(p, 0, size);
    return p;
}

static struct node *node_at(const struct yb_cat_map *map, uint32_t ref)
{
    return (struct node *)(map->blocks[ref >> REF_SHIFT] +
                           ((size_t)(ref & ((1u << REF_SHIFT) - 1)) << 3));
}

/* A node's own copies of its codes, right after it (each after its length
 * byte): their addresses need no load from the node, so a probe fetches
 * the node's cache lines together. */
static const char *node_local(const struct node *n)
{
    return (const char *)(n + 1) + 1;
}

static const char *node_national(const struct node *n)
{
    const char *local = node_local(n);
    return local + (unsigned char)local[-1] + 2;
}

/* The length of a code stored with its length byte. */
static size_t code_len(const char *s)
{
    return (unsigned char)s[-1];
}

static int code_eq(const char *stored, const char *s, size_t len)
{
    return code_len(stored) == len && memcmp(stored, s, len) == 0;
}

/* LEN bytes from the arena (8-byte aligned with ALIGN), or NULL; *ref (if
 * not NULL) gets the reference of an aligned piece. */
static char *arena_alloc(struct yb_cat_map *map, size_t len, int align, uint32_t *ref)
{
    size_t at = align ? (map->used + 7) & ~(size_t)7 : map->used;
    if (!map->nblocks || at + len > map->size) {
        size_t size = map->size ? map->size * 2 : BLOCK_MIN;
        if (size > BLOCK_MAX)
            size = BLOCK_MAX;
        if (len > size || map->nblocks >= MAX_BLOCKS)
            return NULL;
        if (map->nblocks == map->block_cap) {
            size_t cap = map->block_cap ? map->block_cap * 2 : 16;
            char **b = realloc(map->blocks, cap * sizeof(*b));
            if (!b)
                return NULL;
            map->blocks = b;
            map->block_cap = cap;
        }
        char *b = big_alloc(size);
        if (!b)
            return NULL;
        map->blocks[map->nblocks++] = b;
        map->block_bytes += size;
        map->size = size;
        at = 0;
    }
    if (ref)
        *ref = (uint32_t)((map->nblocks - 1) << REF_SHIFT | at >> 3);
    map->used = at + len;
    return map->blocks[map->nblocks - 1] + at;
}

/* Copy S[0..len) to P, NUL-terminated; with LENBYTE the length (<= KEY_MAX)
 * goes first. Returns the copy; *end gets the byte after it. */
static char *put_str(char *p, const char *s, size_t len, int lenbyte, char **end)
{
    if (lenbyte)
        *p++ = (char)(unsigned char)len;
    memcpy(p, s, len);
    p[len] = '\0';
    *end = p + len + 1;
    return p;
}

static const char *arena_str(struct yb_cat_map *map, const char *s, size_t len, int lenbyte)
{
    char *p = arena_alloc(map, len + 1 + (lenbyte ? 1 : 0), 0, NULL), *end;
    return p ? put_str(p, s, len, lenbyte, &end) : NULL;
}

/* The interned copy of institution code FIX (stored with its length byte),
 * added when new; NULL when out of memory. */
static const char *intern_inst(struct yb_cat_map *map, const char *fix, size_t len)
{
    if ((map->inst_count + 1) * 2 > map->inst_cap) {
        size_t cap = map->inst_cap ? map->inst_cap * 2 : 8;
        const char **t = calloc(cap, sizeof(*t));
        if (!t)
            return NULL;
        for (size_t i = 0; i < map->inst_cap; i++) {
            const char *s = map->insts[i];
            if (!s)
                continue;
            size_t j = hash_bytes(s, code_len(s), 0) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = s;
        }
        free(map->insts);
        map->insts = t;
        map->inst_cap = cap;
    }
    size_t j = hash_bytes(fix, len, 0) & (map->inst_cap - 1);
    for (; map->insts[j]; j = (j + 1) & (map->inst_cap - 1))
        if (code_eq(map->insts[j], fix, len))
            return map->insts[j];
    const char *s = arena_str(map, fix, len, 1);
    if (!s)
        return NULL;
    map->insts[j] = s;
    map->inst_count++;
    return s;
}

/* The arena copy of S (NULL: ""), reusing *LAST when it is equal. */
static const char *copy_repeated(struct yb_cat_map *map, const char *s, const char **last)
{
    if (!s)
        s = "";
    if (*last && strcmp(*last, s) == 0)
        return *last;
    const char *c = arena_str(map, s, strlen(s), 0);
    if (c)
        *last = c;
    return c;
}

/* ---- the two indexes -------------------------------------------------- */

/* The slot of (FIX, LOCAL): the one holding it, or the empty one where it
 * belongs. */
static size_t key_probe(const struct yb_cat_map *map, const char *fix, size_t fixlen,
                        const char *local, size_t len, uint32_t h)
{
    size_t mask = map->key_cap - 1;
    for (size_t j = h & mask;; j = (j + 1) & mask) {
        const struct key_slot *s = &map->keys[j];
        if (!s->node)
            return j;
        if (s->hash != h)
            continue;
        const struct node *n = node_at(map, s->node - 1);
        if (code_eq(node_local(n), local, len) && code_eq(n->e.fixmedins, fix, fixlen))
            return j;
    }
}

static size_t national_probe(const struct yb_cat_map *map, const char *fix, size_t fixlen,
                             const char *national, size_t len, uint32_t h)
{
    size_t mask = map->nat_cap - 1;
    for (size_t j = h & mask;; j = (j + 1) & mask) {
        const struct national_slot *s = &map->nats[j];
        if (!s->head)
            return j;
        if (s->tag != TAG(h))
            continue;
        const struct node *n = node_at(map, s->head - 1);
        if (code_eq(node_national(n), national, len) && code_eq(n->e.fixmedins, fix, fixlen))
            return j;
    }
}

/* Room for one more key and one more national group: the indexes double
 * past a load of 0.6. Nodes stay where they are; only slots move. */
static int reserve(struct yb_cat_map *map, size_t keys, size_t groups)
{
    size_t cap = map->key_cap ? map->key_cap : 64;
    while (keys * 5 > cap * 3)
        cap *= 2;
    if (cap != map->key_cap) {
        if (cap > ((size_t)1 << 31))
            return YB_ENOMEM;
        struct key_slot *t = big_alloc(cap * sizeof(*t));
        if (!t)
            return YB_ENOMEM;
        for (size_t i = 0; i < map->key_cap; i++) {
            if (!map->keys[i].node)
                continue;
            size_t j = map->keys[i].hash & (cap - 1);
            while (t[j].node)
                j = (j + 1) & (cap - 1);
            t[j] = map->keys[i];
        }
        free(map->keys);
        map->keys = t;
        map->key_cap = cap;
    }
    cap = map->nat_cap ? map->nat_cap : 64;
    while (groups * 5 > cap * 3)
        cap *= 2;
    if (cap != map->nat_cap) {
        if (cap > ((size_t)1 << 31))
            return YB_ENOMEM;
        struct national_slot *t = big_alloc(cap * sizeof(*t));
        if (!t)
            return YB_ENOMEM;
        for (size_t i = 0; i < map->nat_cap; i++) {
            if (!map->nats[i].head)
                continue;
            const struct yb_cat_entry *e = &node_at(map, map->nats[i].head - 1)->e;
            size_t j = national_hash(e->fixmedins, code_len(e->fixmedins), e->national,
                                     code_len(e->national)) &
                       (cap - 1);
            while (t[j].head)
                j = (j + 1) & (cap - 1);
            t[j] = map->nats[i];
        }
        free(map->nats);
        map->nats = t;
        map->nat_cap = cap;
    }
    return 0;
}

/* Take active node I out of its national group. */
static void group_unlink(struct yb_cat_map *map, uint32_t i)
{
    struct node *n = node_at(map, i);
    const char *fix = n->e.fixmedins, *national = node_national(n);
    uint32_t h = national_hash(fix, code_len(fix), national, code_len(national));
    struct national_slot *g =
        &map->nats[national_probe(map, fix, code_len(fix), national, code_len(national), h)];
    if (n->prev != NONE)
        node_at(map, n->prev)->next = n->next;
    else if (n->next != NONE)
        g->head = n->next + 1;
    /* else: the group is empty and keeps N as the holder of its key */
    if (n->next != NONE)
        node_at(map, n->next)->prev = n->prev;
    n->next = n->prev = NONE;
    g->count--;
}

/* Put active node I at the head of its national group G (its slot, empty
 * for a new group; H the group's hash). */
static void group_link(struct yb_cat_map *map, uint32_t i, struct national_slot *g, uint32_t h)
{
    struct node *n = node_at(map, i);
    if (!g->head) {
        g->tag = TAG(h) & 0xfff;
        map->nat_count++;
    } else if (g->count) {
        n->next = g->head - 1;
        node_at(map, n->next)->prev = i;
    }
    g->head = i + 1;
    g->count++;
}

/* ---- setting ---------------------------------------------------------- */

/* A date in any form yb_cat_date_norm takes, as yyyymmdd; NULL or "" as
 * 0. YB_EINVAL if not a date. */
static int parse_date(const char *s, uint32_t *out)
{
    char d[11];
    *out = 0;
    if (!s || !*s)
        return 0;
    if (yb_cat_date_norm(s, d))
        return YB_EINVAL;
    for (int k = 0; k < 10; k++)
        if (k != 4 && k != 7)
            *out = *out * 10 + (uint32_t)(d[k] - '0');
    return 0;
}

/* strlen of S (NULL: 0) when at most MAX bytes, else MAX + 1. */
static size_t capped_len(const char *s, size_t max)
{
    if (!s)
        return 0;
    const char *z = memchr(s, '\0', max + 1);
    return z ? (size_t)(z - s) : max + 1;
}

/* Check ROW, AT and MSGID against the caps and fill PROTO (an active
 * entry whose strings are the caller's). YB_EINVAL with *why naming the
 * field and the rule. */
static int check_row(const struct yb_cat_row *row, int sync, const char *at, const char *msgid,
                     struct yb_cat_entry *proto, const char **why)
{
    const char *list_type = row->f[YB_CAT_LIST_TYPE] ? row->f[YB_CAT_LIST_TYPE] : "";
    size_t fixlen = capped_len(row->f[YB_CAT_FIXMEDINS_CODE], KEY_MAX);
    size_t len = capped_len(row->f[YB_CAT_HILIST_ID], KEY_MAX);
    size_t natlen = capped_len(row->f[YB_CAT_MED_LIST_CODG], KEY_MAX);
    *why = NULL;
    if (!fixlen || fixlen > KEY_MAX)
        *why = "fixmedins_code: missing or longer than 200 bytes";
    else if (!len || len > KEY_MAX)
        *why = "fixmedins_hilist_id: missing or longer than 200 bytes";
    else if (!natlen || natlen > KEY_MAX)
        *why = "med_list_codg: missing or longer than 200 bytes";
    else if (capped_len(row->f[YB_CAT_HILIST_NAME], NAME_MAX) > NAME_MAX)
        *why = "fixmedins_hilist_name: longer than 1000 bytes";
    else if (capped_len(list_type, 7) > 7)
        *why = "list_type: longer than 7 bytes";
    else if (parse_date(row->f[YB_CAT_BEGNDATE], &proto->begndate))
        *why = "begndate: not a date (yyyy-MM-dd)";
    else if (parse_date(row->f[YB_CAT_ENDDATE], &proto->enddate))
        *why = "enddate: not a date (yyyy-MM-dd)";
    else if (capped_len(at, AT_MAX) > AT_MAX)
        *why = "changed_at: longer than 64 bytes";
    else if (capped_len(msgid, MSGID_MAX) > MSGID_MAX)
        *why = "msgid: longer than 128 bytes";
    else if (sync < YB_CAT_UNSYNCED || sync > YB_CAT_REJECTED)
        *why = "sync: not unsynced, synced or rejected";
    if (*why)
        return YB_EINVAL;
    proto->fixmedins = row->f[YB_CAT_FIXMEDINS_CODE];
    proto->local = row->f[YB_CAT_HILIST_ID];
    proto->national = row->f[YB_CAT_MED_LIST_CODG];
    proto->name = row->f[YB_CAT_HILIST_NAME] ? row->f[YB_CAT_HILIST_NAME] : "";
    snprintf(proto->list_type, sizeof(proto->list_type), "%s", list_type);
    proto->state = YB_CAT_ACTIVE;
    proto->sync = (uint8_t)sync;
    proto->changed_at = at ? at : "";
    proto->msgid = msgid ? msgid : "";
    return 0;
}

/* Make a copy of P (checked) the entry of its key, in a new node. Nothing
 * is changed unless it all succeeds. */
static int put(struct yb_cat_map *map, const struct yb_cat_entry *p, const char **why)
{
    size_t fixlen = strlen(p->fixmedins), len = strlen(p->local);
    size_t natlen = strlen(p->national), namelen = strlen(p->name);
    int rc = reserve(map, map->key_count + 1, map->nat_count + 1);
    if (rc)
        return rc;
    const char *fix = intern_inst(map, p->fixmedins, fixlen);
    if (!fix)
        return YB_ENOMEM;
    uint32_t h = key_hash(fix, fixlen, p->local, len);
    struct key_slot *slot = &map->keys[key_probe(map, fix, fixlen, p->local, len, h)];
    const struct yb_cat_entry *o = slot->node ? &node_at(map, slot->node - 1)->e : NULL;
    int same_name = o && strcmp(o->name, p->name) == 0;
    int same_nat = o && code_eq(o->national, p->national, natlen);
    if (o && same_nat && same_name && o->state == p->state && o->sync == p->sync &&
        strcmp(o->list_type, p->list_type) == 0 && o->begndate == p->begndate &&
        o->enddate == p->enddate && strcmp(o->changed_at, p->changed_at) == 0 &&
        strcmp(o->msgid, p->msgid) == 0)
        return 0; /* already so: no new node */
    struct national_slot *g = NULL;
    uint32_t nh = 0;
    if (p->state == YB_CAT_ACTIVE) {
        nh = national_hash(fix, fixlen, p->national, natlen);
        g = &map->nats[national_probe(map, fix, fixlen, p->national, natlen, nh)];
        if (g->count == GROUP_MAX && !(same_nat && o->state == YB_CAT_ACTIVE)) {
            *why = "med_list_codg: more than 1048575 local codes map to it";
            return YB_ELIMIT;
        }
    }
    const char *at = copy_repeated(map, p->changed_at, &map->last_at);
    const char *msgid = copy_repeated(map, p->msgid, &map->last_msgid);
    size_t size = sizeof(struct node) + len + natlen + 4 + (same_name ? 0 : namelen + 1);
    uint32_t i;
    char *mem = at && msgid ? arena_alloc(map, size, 1, &i) : NULL;
    if (!mem)
        return YB_ENOMEM;
    /* The layout node_local and node_national rely on: the node, then its
     * local and national codes. */
    struct node *n = (struct node *)mem;
    n->e = *p;
    n->next = n->prev = NONE;
    n->e.fixmedins = fix;
    mem += sizeof(*n);
    n->e.local = put_str(mem, p->local, len, 1, &mem);
    n->e.national = put_str(mem, p->national, natlen, 1, &mem);
    n->e.name = same_name ? o->name : put_str(mem, p->name, namelen, 0, &mem);
    n->e.changed_at = at;
    n->e.msgid = msgid;
    if (!o) {
        slot->hash = h;
        map->key_count++;
    } else if (o->state == YB_CAT_ACTIVE) {
        group_unlink(map, slot->node - 1);
        map->active--;
    }
    slot->node = i + 1;
    if (g) {
        group_link(map, i, g, nh);
        map->active++;
    }
    return 0;
}

/* ---- the API ---------------------------------------------------------- */

int yb_cat_map_new(struct yb_cat_map **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : YB_ENOMEM;
}

void yb_cat_map_free(struct yb_cat_map *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->nblocks; i++)
        free(map->blocks[i]);
    free(map->blocks);
    free(map->keys);
    free(map->nats);
    free(map->insts);
    free(map);
}

int yb_cat_map_set(struct yb_cat_map *map, const struct yb_cat_row *row, int sync, const char *at,
                   const char *msgid)
{
    struct yb_cat_entry proto;
    const char *why;
    int rc = check_row(row, sync, at, msgid, &proto, &why);
    return rc ? rc : put(map, &proto, &why);
}

int yb_cat_map_revoke(struct yb_cat_map *map, const char *fixmedins, const char *local,
                      const char *at, const char *msgid)
{
    size_t fixlen = capped_len(fixmedins, KEY_MAX), len = capped_len(local, KEY_MAX);
    if (fixlen > KEY_MAX || len > KEY_MAX || capped_len(at, AT_MAX) > AT_MAX ||
        capped_len(msgid, MSGID_MAX) > MSGID_MAX)
        return YB_EINVAL;
    const struct yb_cat_entry *e = yb_cat_map_find(map, fixmedins, local, len);
    if (!e || e->state != YB_CAT_ACTIVE)
        return YB_ENOENT;
    struct yb_cat_entry proto = *e;
    proto.state = YB_CAT_REVOKED;
    proto.changed_at = at ? at : "";
    proto.msgid = msgid ? msgid : "";
    const char *why;
    return put(map, &proto, &why);
}

const struct yb_cat_entry *yb_cat_map_find(const struct yb_cat_map *map, const char *fixmedins,
                                           const char *local, size_t len)
{
    if (!map || !map->key_count || !fixmedins || !local || len > KEY_MAX)
        return NULL;
    size_t fixlen = capped_len(fixmedins, KEY_MAX);
    if (fixlen > KEY_MAX)
        return NULL;
    uint32_t h = key_hash(fixmedins, fixlen, local, len);
    const struct key_slot *s = &map->keys[key_probe(map, fixmedins, fixlen, local, len, h)];
    return s->node ? &node_at(map, s->node - 1)->e : NULL;
}

const struct yb_cat_entry *yb_cat_map_find_national(const struct yb_cat_map *map,
                                                    const char *fixmedins, const char *national,
                                                    size_t len, size_t *count)
{
    if (count)
        *count = 0;
    if (!map || !map->nat_count || !fixmedins || !national || len > KEY_MAX)
        return NULL;
    size_t fixlen = capped_len(fixmedins, KEY_MAX);
    if (fixlen > KEY_MAX)
        return NULL;
    uint32_t h = national_hash(fixmedins, fixlen, national, len);
    const struct national_slot *g =
        &map->nats[national_probe(map, fixmedins, fixlen, national, len, h)];
    if (!g->head || !g->count)
        return NULL;
    if (count)
        *count = g->count;
    return g->count == 1 ? &node_at(map, g->head - 1)->e : NULL;
}

struct load_ctx {
    struct yb_cat_map *map;
    char *err;
    size_t errcap;
};

static int load_one(const struct yb_cat_record *rec, void *arg)
{
    struct load_ctx *c = arg;
    struct yb_cat_entry proto;
    const char *why = "out of memory";
    int rc = rec->current
                 ? check_row(&rec->row, rec->sync, rec->changed_at, rec->source_msgid, &proto, &why)
                 : check_row(&rec->row, rec->sync, rec->closed_at, rec->closed_msgid, &proto, &why);
    if (rc == 0) {
        proto.state = rec->current ? YB_CAT_ACTIVE : YB_CAT_REVOKED;
        why = "out of memory";
        rc = put(c->map, &proto, &why);
    }
    if (rc)
        snprintf(c->err, c->errcap, "catalog map: store row %lld (%.64s %.64s): %s",
                 (long long)rec->id,
                 rec->row.f[YB_CAT_FIXMEDINS_CODE] ? rec->row.f[YB_CAT_FIXMEDINS_CODE] : "",
                 rec->row.f[YB_CAT_HILIST_ID] ? rec->row.f[YB_CAT_HILIST_ID] : "", why);
    return rc;
}

int yb_cat_map_load(struct yb_cat_map *map, struct yb_cat_store *st, const char *fixmedins,
                    char *err, size_t errcap)
{
    struct yb_cat_counts counts;
    if (yb_cat_store_counts(st, fixmedins, &counts) == 0) {
        /* Size the indexes once instead of doubling through the load. */
        size_t want = map->key_count + (size_t)(counts.current + counts.revoked);
        if (reserve(map, want, map->nat_count + (size_t)counts.current) != 0) {
            snprintf(err, errcap, "catalog map: out of memory for %zu mappings", want);
            return YB_ENOMEM;
        }
    }
    struct load_ctx c = {map, err, errcap};
    if (errcap)
        err[0] = '\0';
    int rc = yb_cat_store_each_latest(st, fixmedins, load_one, &c);
    if (rc && errcap && !err[0])
        snprintf(err, errcap, "catalog map: reading the store: %s", yb_cat_store_error(st));
    return rc;
}

size_t yb_cat_map_count(const struct yb_cat_map *map)
{
    return map ? map->key_count : 0;
}

size_t yb_cat_map_active(const struct yb_cat_map *map)
{
    return map ? map->active : 0;
}

size_t yb_cat_map_bytes(const struct yb_cat_map *map)
{
    if (!map)
        return 0;
    return sizeof(*map) + map->block_bytes + map->block_cap * sizeof(*map->blocks) +
           map->key_cap * sizeof(*map->keys) + map->nat_cap * sizeof(*map->nats) +
           map->inst_cap * sizeof(*map->insts);
}
