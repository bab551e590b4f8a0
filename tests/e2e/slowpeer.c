/*
 * slowpeer.c - a platform that answers slowly, for the drain test in
 * tests/e2e/lifecycle.sh.
 *
 *   slowpeer PORT DELAY_MS [LIFETIME_S]
 *
 * Listens on 127.0.0.1:PORT, and for each request (read up to the end of
 * its body by Content-Length) waits DELAY_MS and answers HTTP 200 with a
 * successful 9001 envelope whose sign_no is "SLOWPEER". A test can then
 * send SIGTERM to the gateway while a transaction is in flight and see that
 * the answer still arrives. Debian's base system has no netcat or socat,
 * and the tests must not depend on python, hence this small program.
 *
 * It serves one connection at a time and exits by itself after LIFETIME_S
 * seconds (default 60), so a test that dies cannot leave it behind for long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST (1u << 20)

static const char answer_body[] =
    "{\"infcode\":0,\"inf_refmsgid\":\"999999202601010000000000000001\","
    "\"refmsg_time\":\"20260101000000000\",\"respond_time\":\"20260101000000000\","
    "\"err_msg\":\"\",\"warn_msg\":\"\",\"cainfo\":\"\",\"signtype\":\"\","
    "\"output\":{\"signinoutb\":{\"sign_time\":\"2026-01-01 00:00:00\","
    "\"sign_no\":\"SLOWPEER\"}}}";

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read one request: headers, then Content-Length bytes of body. Returns 0
 * when a whole request arrived, -1 when the peer went away or took longer
 * than deadline. */
static int read_request(int fd, long deadline)
{
    static char buf[MAX_REQUEST + 1];
    size_t len = 0;
    long body = -1;
    size_t header_end = 0;

    while (len < MAX_REQUEST) {
        long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
            continue;
        ssize_t n = read(fd, buf + len, MAX_REQUEST - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (!header_end) {
            char *end = strstr(buf, "\r\n\r\n");
            if (!end)
                continue;
            header_end = (size_t)(end - buf) + 4;
            body = 0;
            for (char *line = strstr(buf, "\r\n"); line && line < end;
                 line = strstr(line + 2, "\r\n")) {
                if (strncasecmp(line + 2, "Content-Length:", 15) == 0) {
                    char *stop;
                    body = strtol(line + 17, &stop, 10);
                    if (body < 0)
                        body = 0;
                }
            }
        }
        if (header_end && len >= header_end + (size_t)body)
            return 0;
    }
    return -1;
}

static void write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

int main(int argc, char **argv)
{
    long port, delay_ms, lifetime_s = 60;
    int lfd = -1, rc = 1, one = 1;

    if (argc < 3 || parse_long(argv[1], 1, 65535, &port) ||
        parse_long(argv[2], 0, 600000, &delay_ms) ||
        (argc > 3 && parse_long(argv[3], 1, 3600, &lifetime_s))) {
        fprintf(stderr, "usage: slowpeer PORT DELAY_MS [LIFETIME_S]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 16)) {
        perror("slowpeer: 127.0.0.1");
        goto out;
    }
    fprintf(stderr, "slowpeer: listening on 127.0.0.1:%ld, answering after %ld ms\n", port,
            delay_ms);

    long end = now_ms() + lifetime_s * 1000;
    while (now_ms() < end) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        if (read_request(fd, now_ms() + 10000) == 0) {
            struct timespec ts = {.tv_sec = delay_ms / 1000,
                                  .tv_nsec = (delay_ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
            char head[200];
            int n = snprintf(head, sizeof(head),
                             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                             sizeof(answer_body) - 1);
            write_all(fd, head, (size_t)n);
            write_all(fd, answer_body, sizeof(answer_body) - 1);
            fprintf(stderr, "slowpeer: answered one request\n");
        }
        close(fd);
    }
    rc = 0;
out:
    if (lfd >= 0)
        close(lfd);
    return rc;
}
