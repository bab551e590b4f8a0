/*
 * rules-internal.h - the parsed form of a rules file, shared by cs_rules.c
 * (which builds it) and cs_match.c (which matches codes against it). Nothing
 * outside libybcodeset sees these structs; the public view is the
 * yb_cs_rules_* accessors in codeset.h.
 */
#ifndef YBGW_CS_RULES_INTERNAL_H
#define YBGW_CS_RULES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "codeset.h"

enum cs_atom_type { CS_ATOM_LITERAL, CS_ATOM_SET };

/* One pattern atom: a literal byte or a set of bytes, repeated min..max. */
struct cs_atom {
    uint8_t type;
    uint8_t min, max;
    unsigned char literal;
    uint32_t set[8]; /* 256-bit membership, for CS_ATOM_SET */
};

struct cs_value {
    char *value;
    char *meaning;
};

struct cs_segment {
    char *name;
    char *pattern;
    char *meaning;
    char *check;       /* NULL if none */
    char *values_path; /* NULL if none */
    char *describe;    /* "a letter, 2 digits, 2 letters" */
    int optional;
    int in_key;
    struct cs_atom *atoms;
    size_t n_atoms;
    unsigned min_len, max_len;
    struct cs_value *values; /* sorted by value */
    size_t n_values;
};

struct cs_form {
    char *name;
    char *label;
    char *note;
    size_t kind; /* index into the kinds */
    int verified;
    int warn;
    struct cs_segment segs[YB_CS_MAX_SEGMENTS];
    size_t n_segs;
    uint64_t lengths; /* bit n set: a code of n characters can match (n < 64) */
};

struct cs_kind {
    char *name;
    char *label;
};

struct yb_cs_rules {
    char *standard;
    struct cs_kind *kinds;
    size_t n_kinds;
    struct cs_form *forms;
    size_t n_forms;
};

/* Does byte C satisfy atom A? */
static inline int cs_atom_accepts(const struct cs_atom *a, unsigned char c)
{
    if (a->type == CS_ATOM_LITERAL)
        return c == a->literal;
    return (a->set[c >> 5] >> (c & 31)) & 1u;
}

/* Does form F's first segment match the start of CODE? */
int cs_form_lead_matches(const struct cs_form *f, const char *code, size_t len);

/* The index of KIND in the rules, or -1. */
int cs_rules_kind_index(const struct yb_cs_rules *rules, const char *kind);

#endif
