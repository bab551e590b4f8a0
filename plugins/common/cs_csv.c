/*
 * cs_csv.c - reading the official table files: the header aliases of a
 * standard (columns.tsv) and the streaming CSV/TSV record reader that
 * cs_import.c takes its rows from.
 *
 * CSV follows RFC 4180 (quoted fields, doubled quotes, newlines inside
 * quotes); TSV is the IANA form (no quoting) and is chosen when the first
 * line with a delimiter has a tab. A record is capped at YB_CS_RECORD_MAX
 * bytes and YB_CS_MAX_COLUMNS fields, so a quote left open costs one
 * rejected row, not the memory of the machine. Fields are trimmed of ASCII
 * blanks and of the blanks spreadsheets add.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_internal.h"

#define READ_CHUNK (256 * 1024)
#define COLUMNS_LINE_MAX 4096

const char *const yb_cs_field_names[F_COUNT] = {"code",     "name",  "begin_date",
                                                "end_date", "flags", "refs"};

/* ---- columns.tsv ------------------------------------------------------------ */

void yb_cs_columns_free(struct columns *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].word);
        free(c->v[i].header);
    }
    free(c->v);
    memset(c, 0, sizeof(*c));
}

int yb_cs_is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trim ASCII blanks and the blanks spreadsheets add (U+3000 ideographic
 * space, U+00A0 no-break space, a stray U+FEFF) from [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s, *e = p + *len;
    for (;;) {
        if (p < e && yb_cs_is_blank(*p))
            p++;
        else if (e - p >= 3 && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
            p += 3;
        else if (e - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
            p += 3;
        else if (e - p >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
            p += 2;
        else
            break;
    }
    for (;;) {
        if (e > p && yb_cs_is_blank(e[-1]))
            e--;
        else if (e - p >= 3 && e[-3] == 0xe3 && e[-2] == 0x80 && e[-1] == 0x80)
            e -= 3;
        else if (e - p >= 3 && e[-3] == 0xef && e[-2] == 0xbb && e[-1] == 0xbf)
            e -= 3;
        else if (e - p >= 2 && e[-2] == 0xc2 && e[-1] == 0xa0)
            e -= 2;
        else
            break;
    }
    *s = (const char *)p;
    *len = (size_t)(e - p);
}

/* Case-insensitive for ASCII letters, exact for every other byte. */
int yb_cs_same_name(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

static char *dup_range(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static int columns_add(struct columns *c, int field, const char *word, size_t wlen,
                       const char *header, size_t hlen)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct alias *v = realloc(c->v, cap * sizeof(*v));
        if (!v)
            return YB_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    struct alias *a = &c->v[c->n];
    a->field = field;
    a->word = word ? dup_range(word, wlen) : NULL;
    a->header = dup_range(header, hlen);
    if (!a->header || (word && !a->word)) {
        free(a->word);
        free(a->header);
        return YB_ENOMEM;
    }
    c->n++;
    return 0;
}

/* One line of columns.tsv: FIELD<TAB>HEADER|HEADER|... */
static int columns_line(struct columns *c, const char *path, unsigned lineno, char *line, char *err,
                        size_t errcap)
{
    char *tab = strchr(line, '\t');
    if (!tab) {
        yb_cs_err(err, errcap, "%s:%u: expected FIELD<TAB>HEADER|HEADER..., got no tab", path,
                  lineno);
        return YB_EINVAL;
    }
    const char *field = line;
    size_t flen = (size_t)(tab - line);
    trim(&field, &flen);
    int id = -1;
    const char *word = NULL;
    size_t wlen = 0;
    for (int i = 0; i < F_COUNT; i++)
        if (yb_cs_same_name(field, flen, yb_cs_field_names[i], strlen(yb_cs_field_names[i])))
            id = i;
    if (id < 0 && flen > 5 && strncmp(field, "flag:", 5) == 0) {
        word = field + 5; /* flag:WORD<TAB>HEADER|... */
        wlen = flen - 5;
    } else if (id < 0) {
        yb_cs_err(err, errcap,
                  "%s:%u: unknown field \"%.*s\"; the fields are code, name, begin_date, "
                  "end_date, flags, refs and flag:WORD",
                  path, lineno, (int)(flen > 64 ? 64 : flen), field);
        return YB_EINVAL;
    }
    char *p = tab + 1;
    for (;;) {
        char *bar = strchr(p, '|');
        const char *h = p;
        size_t hlen = bar ? (size_t)(bar - p) : strlen(p);
        trim(&h, &hlen);
        if (hlen) {
            int rc;
            if (id == F_FLAGS && hlen > 5 && strncmp(h, "flag:", 5) == 0) {
                /* flag:WORD=HEADER among the flags aliases */
                const char *eq = memchr(h, '=', hlen);
                if (!eq || eq == h + 5 || eq == h + hlen - 1) {
                    yb_cs_err(err, errcap, "%s:%u: \"%.*s\" must be flag:WORD=HEADER", path, lineno,
                              (int)(hlen > 64 ? 64 : hlen), h);
                    return YB_EINVAL;
                }
                rc = columns_add(c, -1, h + 5, (size_t)(eq - h - 5), eq + 1,
                                 hlen - (size_t)(eq - h) - 1);
            } else {
                rc = columns_add(c, id, word, wlen, h, hlen);
            }
            if (rc) {
                yb_cs_err(err, errcap, "%s: out of memory", path);
                return rc;
            }
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

/* Read PATH (NULL: the English field names as the only headers). */
int yb_cs_columns_load(struct columns *c, const char *path, char *err, size_t errcap)
{
    if (!path) {
        for (int i = 0; i < F_COUNT; i++)
            if (columns_add(c, i, NULL, 0, yb_cs_field_names[i], strlen(yb_cs_field_names[i])))
                return YB_ENOMEM;
        return 0;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        yb_cs_err(err, errcap, "cannot open the column names %s: %s", path, strerror(errno));
        return errno == ENOENT ? YB_ENOENT : YB_EIO;
    }
    char line[COLUMNS_LINE_MAX];
    unsigned lineno = 0;
    int rc = 0, seen_header = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            yb_cs_err(err, errcap, "%s:%u: line longer than %d bytes", path, lineno,
                      COLUMNS_LINE_MAX);
            rc = YB_ELIMIT;
            goto out;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *s = line;
        if (lineno == 1 && (unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb &&
            (unsigned char)s[2] == 0xbf)
            s += 3;
        const char *t = s;
        size_t tlen = strlen(s);
        trim(&t, &tlen);
        if (tlen == 0 || t[0] == '#')
            continue;
        if (!seen_header) {
            seen_header = 1;
            if (strncmp(t, "field\t", 6) == 0)
                continue; /* the header line "field<TAB>headers" */
        }
        rc = columns_line(c, path, lineno, s, err, errcap);
        if (rc)
            goto out;
    }
    if (ferror(f)) {
        yb_cs_err(err, errcap, "cannot read %s: %s", path, strerror(errno));
        rc = YB_EIO;
    }
out:
    fclose(f);
    return rc;
}

/* ---- The record reader ------------------------------------------------------ */

static int reader_fill(struct reader *r)
{
    if (r->eof)
        return 0;
    r->len = fread(r->buf, 1, READ_CHUNK, r->f);
    r->pos = 0;
    if (r->len == 0) {
        r->eof = 1;
        if (ferror(r->f))
            r->error = errno ? errno : EIO;
    }
    return r->len > 0;
}

int yb_cs_reader_open(struct reader *r, const char *path, char *err, size_t errcap)
{
    memset(r, 0, sizeof(*r));
    r->line = 1;
    r->buf = malloc(READ_CHUNK);
    r->raw = malloc(YB_CS_RECORD_MAX + 1);
    r->text = malloc(YB_CS_RECORD_MAX + YB_CS_MAX_COLUMNS + 1);
    if (!r->buf || !r->raw || !r->text) {
        yb_cs_err(err, errcap, "out of memory");
        return YB_ENOMEM;
    }
    r->f = fopen(path, "rb");
    if (!r->f) {
        int e = errno;
        yb_cs_err(err, errcap, "cannot open the table %s: %s", path, strerror(e));
        return e == ENOENT ? YB_ENOENT : YB_EIO;
    }
    reader_fill(r);
    if (r->error) {
        yb_cs_err(err, errcap, "cannot read the table %s: %s", path, strerror(r->error));
        return YB_EIO;
    }
    if (r->len >= 3 && r->buf[0] == 0xef && r->buf[1] == 0xbb && r->buf[2] == 0xbf) {
        r->pos = 3; /* the UTF-8 byte order mark of spreadsheet exports */
        r->offset = 3;
    }
    /* TSV when the first line with a delimiter has a tab; lines without
     * any (a title above the header) do not decide. */
    for (size_t i = r->pos; i < r->len; i++) {
        if (r->buf[i] == '\t') {
            r->tsv = 1;
            break;
        }
        if (r->buf[i] == ',')
            break;
    }
    return 0;
}

void yb_cs_reader_close(struct reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->buf);
    free(r->raw);
    free(r->text);
}

static inline void field_begin(struct reader *r)
{
    if (r->n_fields == YB_CS_MAX_COLUMNS) {
        r->too_many = 1;
        return;
    }
    r->start[r->n_fields] = r->text_len;
}

static inline void field_end(struct reader *r)
{
    if (r->too_many)
        return;
    r->end[r->n_fields++] = r->text_len;
    r->text[r->text_len++] = '\0';
}

static inline void text_push(struct reader *r, int c)
{
    if (!r->too_many && r->text_len < YB_CS_RECORD_MAX)
        r->text[r->text_len++] = (char)c;
}

enum { ST_START, ST_PLAIN, ST_QUOTED, ST_QUOTE };

/* Read the next record. Returns 1 (a record), 0 (end of file) or YB_EIO. */
int yb_cs_reader_next(struct reader *r)
{
    r->raw_len = r->text_len = r->n_fields = 0;
    r->too_long = r->too_many = r->open_quote = 0;
    r->rec_line = r->line;
    r->rec_offset = r->offset;
    int state = ST_START, any = 0;
    field_begin(r);
    for (;;) {
        if (r->pos == r->len && !reader_fill(r)) {
            if (r->error)
                return YB_EIO;
            if (!any)
                return 0;
            r->open_quote = state == ST_QUOTED;
            break;
        }
        int c = r->buf[r->pos++];
        r->offset++;
        any = 1;
        if (c == '\n') {
            r->line++;
            if (state != ST_QUOTED)
                break;
        }
        if (r->raw_len < YB_CS_RECORD_MAX)
            r->raw[r->raw_len++] = (char)c;
        else
            r->too_long = 1;
        if (c == '\r')
            continue; /* line ends are LF or CRLF; a CR is never data */
        if (r->tsv) {
            if (c == '\t') {
                field_end(r);
                field_begin(r);
            } else {
                text_push(r, c);
            }
            continue;
        }
        switch (state) {
        case ST_START:
        case ST_PLAIN:
            if (c == ',') {
                field_end(r);
                field_begin(r);
                state = ST_START;
            } else if (c == '"' && state == ST_START) {
                state = ST_QUOTED;
            } else {
                text_push(r, c);
                state = ST_PLAIN;
            }
            break;
        case ST_QUOTED:
            if (c == '"')
                state = ST_QUOTE;
            else
                text_push(r, c);
            break;
        case ST_QUOTE:
            if (c == '"') {
                text_push(r, c);
                state = ST_QUOTED;
            } else if (c == ',') {
                field_end(r);
                field_begin(r);
                state = ST_START;
            } else {
                text_push(r, c); /* text after the closing quote: kept */
                state = ST_PLAIN;
            }
            break;
        }
    }
    if (r->raw_len && r->raw[r->raw_len - 1] == '\r')
        r->raw_len--;
    field_end(r);
    for (size_t i = 0; i < r->n_fields; i++) {
        const char *s = r->text + r->start[i];
        size_t len = r->end[i] - r->start[i];
        trim(&s, &len);
        r->start[i] = (size_t)(s - r->text);
        r->end[i] = r->start[i] + len;
        r->text[r->end[i]] = '\0';
    }
    return 1;
}

/* Field I of the record (trimmed, NUL-terminated), "" if absent. */
const char *yb_cs_field(const struct reader *r, int i, size_t *len)
{
    if (i < 0 || (size_t)i >= r->n_fields) {
        *len = 0;
        return "";
    }
    *len = r->end[i] - r->start[i];
    return r->text + r->start[i];
}

/* The offset of the first byte that is not valid UTF-8, or LEN. */
size_t yb_cs_utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n + 1;
    }
    return len;
}

int yb_cs_reject_line(FILE *f, const struct reader *r, char *reason)
{
    for (char *p = reason; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(f, "%llu\t%s\t", (unsigned long long)r->rec_line, reason);
    size_t from = 0;
    for (size_t i = 0; i < r->raw_len; i++) {
        if (r->raw[i] == '\n' || r->raw[i] == '\r') {
            fwrite(r->raw + from, 1, i - from, f);
            fputs(r->raw[i] == '\n' ? "\\n" : "\\r", f);
            from = i + 1;
        }
    }
    fwrite(r->raw + from, 1, r->raw_len - from, f);
    fputc('\n', f);
    return ferror(f) ? YB_EIO : 0;
}
