/* log.c - stderr logging; each line is built whole and written at once. */
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = YB_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void yb_log_set_level(int level)
{
    atomic_store(&current_level, level);
}

int yb_log_level(void)
{
    return atomic_load(&current_level);
}

int yb_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void yb_vlog(int level, const char *who, const char *fmt, va_list ap)
{
    if (level > atomic_load(&current_level))
        return;
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    int n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ld [%s] %s: ", (long)tv.tv_usec / 1000,
                  level_names[level < 0 ? 0 : level > 3 ? 3 : level], who);
    if (n < (int)sizeof(line) - 1) {
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        n = m < 0 ? n : n + m;
    }
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void yb_log(int level, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yb_vlog(level, who, fmt, ap);
    va_end(ap);
}
