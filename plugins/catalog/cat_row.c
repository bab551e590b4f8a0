/*
 * cat_row.c - one mapping as 3301 carries it: the field names and their
 * lengths, the sync state names, the check a row must pass before it may
 * enter the store (yb_cat_row_check) and the date forms a hospital's files
 * use (yb_cat_date_norm).
 *
 * The import (cat_import.c) checks every row of a file here, the catalog
 * plugin every catalogcompin row of a 3301, so a row the store holds is a
 * row the platform's 3301 would accept as far as its shape goes. Lengths
 * are in characters, as the specification counts them (a Chinese character
 * counts one). Nothing here allocates.
 */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "cs_internal.h"

#define DATE_INPUT_MAX 40 /* bytes of a date with its time part */

const char *const yb_cat_field_names[YB_CAT_NFIELDS] = {
    "fixmedins_code",
    "fixmedins_hilist_id",
    "fixmedins_hilist_name",
    "list_type",
    "med_list_codg",
    "begndate",
    "enddate",
    "aprvno",
    "dosform",
    "exct_cont",
    "item_cont",
    "prcunt",
    "spec",
    "pacspec",
    "memo",
};

/* spec/interface.md and conf/schemas/3301.schema; list_type is an enum of
 * three digits in the schema (6 leaves room for a local variant and still
 * fits the map's char[8]); dates count after normalising to yyyy-MM-dd. */
const size_t yb_cat_field_max[YB_CAT_NFIELDS] = {
    30,   /* fixmedins_code */
    30,   /* fixmedins_hilist_id */
    200,  /* fixmedins_hilist_name */
    6,    /* list_type */
    50,   /* med_list_codg */
    10,   /* begndate */
    10,   /* enddate */
    100,  /* aprvno */
    200,  /* dosform */
    2000, /* exct_cont */
    2000, /* item_cont */
    100,  /* prcunt */
    200,  /* spec */
    100,  /* pacspec */
    500,  /* memo */
};

const char *const yb_cat_sync_names[3] = {"unsynced", "synced", "rejected"};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read 1 to MAXD digits at *p (exactly MAXD when EXACT) into *v. */
static int digits(const char **p, int maxd, int exact, int *v)
{
    int n = 0, x = 0;
    while (n < maxd && is_digit((*p)[n])) {
        x = x * 10 + ((*p)[n] - '0');
        n++;
    }
    if (n == 0 || (exact && n != maxd))
        return -1;
    *p += n;
    *v = x;
    return 0;
}

/* A time part after the date: HH:mm[:ss[.fraction]] after a blank or T, or
 * HHmmss right after a compact date. Checked, then dropped. */
static int time_part(const char *p, int compact)
{
    int h, m, s = 0;
    if (*p == '\0')
        return 0;
    if (compact && is_digit(*p)) {
        if (digits(&p, 2, 1, &h) || digits(&p, 2, 1, &m) || digits(&p, 2, 1, &s))
            return -1;
    } else {
        if (*p != ' ' && *p != 'T')
            return -1;
        p++;
        if (digits(&p, 2, 0, &h) || *p++ != ':' || digits(&p, 2, 1, &m))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, 1, &s))
                return -1;
            if (*p == '.') {
                p++;
                int frac;
                if (digits(&p, 9, 0, &frac))
                    return -1;
            }
        }
    }
    return *p == '\0' && h < 24 && m < 60 && s < 61 ? 0 : -1;
}

int yb_cat_date_norm(const char *s, char out[11])
{
    if (!s || strnlen(s, DATE_INPUT_MAX + 1) > DATE_INPUT_MAX)
        return YB_EINVAL;
    const char *p = s;
    int y, m, d, compact = 0;
    if (digits(&p, 4, 1, &y))
        return YB_EINVAL;
    if (*p == '-' || *p == '/') {
        char sep = *p++;
        if (digits(&p, 2, 0, &m) || *p++ != sep || digits(&p, 2, 0, &d))
            return YB_EINVAL;
    } else {
        compact = 1;
        if (digits(&p, 2, 1, &m) || digits(&p, 2, 1, &d))
            return YB_EINVAL;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return YB_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return YB_EINVAL;
    if (time_part(p, compact))
        return YB_EINVAL;
    /* by hand: an import writes two dates a row */
    const int parts[3][2] = {{y, 4}, {m, 2}, {d, 2}};
    char *o = out;
    for (int k = 0; k < 3; k++) {
        for (int w = parts[k][1] - 1, v = parts[k][0]; w >= 0; w--, v /= 10)
            o[w] = (char)('0' + v % 10);
        o += parts[k][1];
        *o++ = k < 2 ? '-' : '\0';
    }
    return 0;
}

static int fail_with(char *err, size_t errcap, int field, const char *what, const char *detail)
{
    if (err && errcap)
        snprintf(err, errcap, "%s: %s%s", yb_cat_field_names[field], what, detail);
    return YB_EINVAL;
}

/* Characters (code points) of valid UTF-8 S[0..len). */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

/* The first control character of valid UTF-8 S (C0, DEL or C1), or -1.
 * With text, a tab or a line feed is no control character: the long free
 * text of a 3301 (exct_cont, item_cont, memo) may have lines, and a CSV
 * carries them in quotes. */
static long control_at(const char *s, size_t len, int text)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if ((u[i] < 0x20 && !(text && (u[i] == '\t' || u[i] == '\n'))) || u[i] == 0x7f)
            return (long)i;
        if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
            return (long)i;
    }
    return -1;
}

static int list_type_ok(const char *v, const char *const *list_types)
{
    if (!list_types)
        return strlen(v) == 3 && is_digit(v[0]) && is_digit(v[1]) && is_digit(v[2]);
    for (const char *const *t = list_types; *t; t++)
        if (strcmp(*t, v) == 0)
            return 1;
    return 0;
}

static int list_type_error(const char *v, const char *const *list_types, char *err, size_t errcap)
{
    char allowed[200] = "";
    size_t n = 0;
    for (const char *const *t = list_types; t && *t && n < sizeof(allowed); t++) {
        int w = snprintf(allowed + n, sizeof(allowed) - n, "%s%s", n ? ", " : "", *t);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (err && errcap)
        snprintf(err, errcap, "list_type: \"%.20s\" is not %s%s", v,
                 list_types ? "one of " : "a 3-digit catalogue type",
                 list_types ? allowed : " (101 西药中成药 ... 301 医用耗材)");
    return YB_EINVAL;
}

int yb_cat_row_check(const struct yb_cat_row *row, const char *const *list_types, char *err,
                     size_t errcap)
{
    char detail[96];
    char dates[2][11] = {"", ""};
    if (err && errcap)
        err[0] = '\0';
    for (int i = 0; i < YB_CAT_NFIELDS; i++) {
        const char *v = row->f[i];
        size_t len = v ? strlen(v) : 0;
        if (len == 0) {
            if (i <= YB_CAT_ENDDATE)
                return fail_with(err, errcap, i, "missing (required by 3301)", "");
            continue;
        }
        size_t bad = yb_cs_utf8_invalid_at((const unsigned char *)v, len);
        if (bad < len) {
            snprintf(detail, sizeof(detail), " at byte %zu (the file may be GBK: save it as UTF-8)",
                     bad + 1);
            return fail_with(err, errcap, i, "not valid UTF-8", detail);
        }
        long ctl =
            control_at(v, len, i == YB_CAT_EXCT_CONT || i == YB_CAT_ITEM_CONT || i == YB_CAT_MEMO);
        if (ctl >= 0) {
            snprintf(detail, sizeof(detail), " at byte %ld", ctl + 1);
            return fail_with(err, errcap, i, "a control character (tab, newline, ...)", detail);
        }
        if (i == YB_CAT_BEGNDATE || i == YB_CAT_ENDDATE) {
            if (yb_cat_date_norm(v, dates[i - YB_CAT_BEGNDATE])) {
                snprintf(detail, sizeof(detail), "\"%.40s\" is not a real date", v);
                return fail_with(err, errcap, i, detail,
                                 " (write yyyy-MM-dd, yyyyMMdd or yyyy/MM/dd)");
            }
            continue;
        }
        size_t chars = utf8_chars(v, len);
        if (chars > yb_cat_field_max[i]) {
            snprintf(detail, sizeof(detail), "%zu characters, at most %zu", chars,
                     yb_cat_field_max[i]);
            return fail_with(err, errcap, i, "too long: ", detail);
        }
        if (i == YB_CAT_LIST_TYPE && !list_type_ok(v, list_types))
            return list_type_error(v, list_types, err, errcap);
    }
    if (strcmp(dates[1], dates[0]) < 0) {
        snprintf(detail, sizeof(detail), "%s is before begndate %s", dates[1], dates[0]);
        return fail_with(err, errcap, YB_CAT_ENDDATE, detail, "");
    }
    return 0;
}
