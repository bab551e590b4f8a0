/*
 * access.c - the access log (access.h): one JSON line per transaction,
 * built whole in a stack buffer and written with one write(2).
 *
 * Owns the line's layout, its JSON string escaping and the destination set
 * by `access_log`. txn.c fills a struct yb_access when a transaction ends;
 * nothing here sees the message itself, so no personal value can reach the
 * line (pii.h masks what other logs write of a message).
 *
 * The destination belongs to one loaded configuration. Its file is opened
 * by the first line written after that configuration was loaded, so
 * `ybgw -t` creates no file, and a reload opens it again (logrotate moves the
 * file, then sends SIGHUP). Transactions still running on the old
 * configuration finish their lines into the old file, which is closed when
 * the old configuration is freed.
 */
#include "access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "codec_json.h"
#include "conf.h"
#include "log.h"
#include "ybgw/ybgw.h"

/* caps in bytes of each string field, as written (escapes included) */
#define CAP_SHORT 64 /* infno, outcome, infcode */
#define CAP_ID 160   /* msgid, fixmedins_code, route, caller */
#define CAP_WHY 600
#define CAP_HOPS 1200
#define PATH_MAX_LEN 1024

enum dest_mode { DEST_STDERR = 0, DEST_OFF, DEST_FILE };

#define FD_UNOPENED (-2) /* not opened yet since the configuration was loaded */
#define FD_FAILED (-1)   /* could not be opened: lines go to stderr */

struct yb_access_dest {
    int mode; /* enum dest_mode */
    char *path;
    atomic_int fd;
};

/* ---- the line ---- */

struct line {
    char *p;
    size_t len, cap; /* cap excludes the NUL */
};

static void put(struct line *l, const char *s, size_t n)
{
    if (n > l->cap - l->len)
        n = l->cap - l->len;
    if (n)
        memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void puts_(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* "name":"value" (or null), the value escaped and cut to cap bytes. */
static void put_string(struct line *l, const char *name, const char *v, size_t cap)
{
    puts_(l, ",\"");
    puts_(l, name);
    puts_(l, "\":");
    if (!v) {
        puts_(l, "null");
        return;
    }
    put(l, "\"", 1);
    const unsigned char *s = (const unsigned char *)v;
    size_t used = 0, len = strlen(v);
    for (size_t i = 0; i < len;) {
        char esc[8];
        const char *out = esc;
        size_t n = yb_utf8_seq(s + i, len - i), w;
        if (n == 0) {
            out = "\\ufffd";
            w = 6;
            n = 1;
        } else if (s[i] == '"' || s[i] == '\\') {
            esc[0] = '\\';
            esc[1] = (char)s[i];
            w = 2;
        } else if (s[i] < 0x20 || s[i] == 0x7f) {
            w = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
        } else {
            out = (const char *)s + i;
            w = n;
        }
        if (used + w > cap - 3) {
            puts_(l, "...");
            break;
        }
        put(l, out, w);
        used += w;
        i += n;
    }
    put(l, "\"", 1);
}

/* The platform's infcode as a JSON number when it is a plain integer,
 * else as a string (some platforms send "0"). */
static void put_infcode(struct line *l, const char *v)
{
    size_t len = v ? strlen(v) : 0;
    size_t digits = len && v[0] == '-' ? 1 : 0;
    if (len > digits && len <= 10 && strspn(v + digits, "0123456789") == len - digits) {
        puts_(l, ",\"infcode\":");
        put(l, v, len);
        return;
    }
    put_string(l, "infcode", v, CAP_SHORT);
}

/* 2026-11-23T10:00:00.123+08:00, local time */
static void put_time(struct line *l)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(buf + n, sizeof(buf) - n, ".%03ld%c%02ld:%02ld", (long)tv.tv_usec / 1000, sign,
             off / 60, off % 60);
    puts_(l, "{\"time\":\"");
    puts_(l, buf);
    puts_(l, "\",\"level\":\"info\",\"log\":\"access\"");
}

/* "name":1.234, milliseconds */
static void put_ms(struct line *l, const char *name, double v)
{
    char buf[64];
    if (v != v || v < 0 || v > 1e12) /* NaN, or a clock that went wrong */
        v = 0;
    int n = snprintf(buf, sizeof(buf), "%.3f", v);
    puts_(l, ",\"");
    puts_(l, name);
    puts_(l, "\":");
    put(l, buf, n > 0 ? (size_t)n : 0);
}

size_t yb_access_format(const struct yb_access *a, char *out, size_t cap)
{
    if (!out || cap == 0)
        return 0;
    struct line l = {out, 0, cap - 1};
    char num[32];
    put_time(&l);
    put_string(&l, "infno", a->infno && *a->infno ? a->infno : NULL, CAP_SHORT);
    put_string(&l, "msgid", a->msgid && *a->msgid ? a->msgid : NULL, CAP_ID);
    put_string(&l, "fixmedins_code", a->fixmedins_code, CAP_ID);
    put_string(&l, "route", a->route, CAP_ID);
    put_string(&l, "outcome", a->outcome, CAP_SHORT);
    snprintf(num, sizeof(num), ",\"http\":%d", a->http);
    puts_(&l, num);
    put_ms(&l, "ms", a->ms);
    put_ms(&l, "up_ms", a->up_ms);
    snprintf(num, sizeof(num), ",\"calls\":%d", a->calls);
    puts_(&l, num);
    put_string(&l, "caller", a->caller, CAP_ID);
    put_string(&l, "why", a->why && *a->why ? a->why : NULL, CAP_WHY);
    put_string(&l, "hops", a->hops, CAP_HOPS);
    if (a->journal > 0)
        snprintf(num, sizeof(num), ",\"journal\":%lld", (long long)a->journal);
    else
        snprintf(num, sizeof(num), ",\"journal\":null");
    puts_(&l, num);
    if (a->infcode)
        put_infcode(&l, a->infcode);
    else
        puts_(&l, ",\"infcode\":null");
    /* the closing brace and the line end always fit: cut the body if not */
    if (l.len > l.cap - 2)
        l.len = l.cap >= 2 ? l.cap - 2 : 0;
    put(&l, "}\n", 2);
    out[l.len] = '\0';
    return l.len;
}

/* ---- where lines go ---- */

static int dir_writable(const char *path)
{
    char dir[PATH_MAX_LEN + 1];
    const char *slash = strrchr(path, '/');
    if (!slash)
        return access(".", W_OK | X_OK) == 0;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return access(dir, W_OK | X_OK) == 0;
}

int yb_access_conf(const struct yb_conf *d, const struct yb_conf_command *cmd, void *target,
                   char *err, size_t errlen)
{
    struct yb_access_dest **slot = (struct yb_access_dest **)((char *)target + cmd->offset);
    const char *v = d->argv[0];
    size_t len = strlen(v);
    struct yb_access_dest *dest = calloc(1, sizeof(*dest));
    if (!dest)
        return yb_conf_error(d, err, errlen, "access_log: out of memory");
    atomic_init(&dest->fd, FD_UNOPENED);
    if (strcmp(v, "stderr") == 0) {
        dest->mode = DEST_STDERR;
    } else if (strcmp(v, "off") == 0) {
        dest->mode = DEST_OFF;
    } else if (len == 0 || len > PATH_MAX_LEN || v[len - 1] == '/') {
        free(dest);
        return yb_conf_error(d, err, errlen,
                             "access_log takes stderr, off or a file's path (up to %d bytes), "
                             "got \"%s\"",
                             PATH_MAX_LEN, len > 80 ? "(a longer text)" : v);
    } else if (!dir_writable(v)) {
        int e = errno;
        free(dest);
        return yb_conf_error(d, err, errlen,
                             "access_log %s: its folder cannot be written (%s); create it or "
                             "give the gateway's user write access",
                             v, strerror(e));
    } else {
        dest->mode = DEST_FILE;
        if (!(dest->path = strdup(v))) {
            free(dest);
            return yb_conf_error(d, err, errlen, "access_log: out of memory");
        }
    }
    yb_access_dest_free(*slot); /* a later access_log wins */
    *slot = dest;
    return 0;
}

void yb_access_dest_free(struct yb_access_dest *dest)
{
    if (!dest)
        return;
    int fd = atomic_load(&dest->fd);
    if (fd >= 0)
        close(fd);
    free(dest->path);
    free(dest);
}

/* The file's descriptor, opened by the first caller; FD_FAILED if it
 * cannot be opened (said once). */
static int dest_fd(struct yb_access_dest *dest)
{
    int fd = atomic_load(&dest->fd);
    if (fd != FD_UNOPENED)
        return fd;
    int opened = open(dest->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    int e = errno;
    int expected = FD_UNOPENED;
    if (!atomic_compare_exchange_strong(&dest->fd, &expected, opened < 0 ? FD_FAILED : opened)) {
        /* another worker opened it first */
        if (opened >= 0)
            close(opened);
        return expected;
    }
    if (opened < 0)
        yb_log(YB_LOG_ERROR, "access",
               "cannot open access_log %s (%s); access lines go to stderr until a reload",
               dest->path, strerror(e));
    return opened < 0 ? FD_FAILED : opened;
}

void yb_access_write(struct yb_access_dest *dest, const struct yb_access *a)
{
    int fd = STDERR_FILENO;
    if (dest && dest->mode == DEST_OFF)
        return;
    if (dest && dest->mode == DEST_FILE) {
        int f = dest_fd(dest);
        if (f >= 0)
            fd = f;
    }
    if (fd == STDERR_FILENO && yb_log_level() < YB_LOG_INFO)
        return;
    char line[YB_ACCESS_LINE_MAX];
    size_t n = yb_access_format(a, line, sizeof(line));
    ssize_t w = write(fd, line, n);
    (void)w;
}
