/*
 * ctl_send.c - the HTTP exchange with the gateway, answer decoding, and the
 * `ybgwctl send` subcommand.
 *
 * send posts one message file the way a HIS would and prints the answer with
 * the gateway's routing headers. A file is sent byte for byte unless a
 * conversion was asked for (--xml on a JSON file, or --encoding), so a
 * deliberately broken message reaches the gateway exactly as written.
 *
 * The credential options (--caller/--secret-file, --cert/--key, --cacert)
 * are parsed by ctl_credentials.c for send and visit alike, and applied per
 * request in ctl_http_post: the signature covers the body exactly as sent.
 */
#include "ctl_send.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "codec_json.h"
#include "codec_xml.h"

int ctl_use_color(FILE *stream)
{
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color)
        return 0;
    return isatty(fileno(stream));
}

int ctl_http_open(struct ctl_http *h, long connect_timeout_ms, long timeout_ms)
{
    memset(h, 0, sizeof(*h));
    h->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 3000;
    h->timeout_ms = timeout_ms > 0 ? timeout_ms : 60000;
    h->curl = curl_easy_init();
    return h->curl ? 0 : YB_ENOMEM;
}

void ctl_http_close(struct ctl_http *h)
{
    if (h->curl)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
}

void ctl_answer_free(struct ctl_answer *ans)
{
    yb_buf_free(&ans->body);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct ctl_answer *ans = arg;
    size_t n = size * nmemb;
    if (yb_buf_append(&ans->body, data, n))
        return 0; /* past the cap: curl stops with a write error */
    return n;
}

/* Copy the value of "Name: value\r\n" into dst when the name matches. */
static void take_header(const char *line, size_t len, const char *name, char *dst, size_t cap)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vlen = (size_t)(end - v);
    if (vlen >= cap)
        vlen = cap - 1;
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct ctl_answer *ans = arg;
    size_t n = size * nmemb;
    take_header(data, n, "X-Ybgw-Route", ans->route, sizeof(ans->route));
    take_header(data, n, "X-Ybgw-Hops", ans->hops, sizeof(ans->hops));
    take_header(data, n, "X-Ybgw-Outcome", ans->outcome, sizeof(ans->outcome));
    take_header(data, n, "X-Sim-Platform", ans->platform, sizeof(ans->platform));
    take_header(data, n, "Content-Type", ans->content_type, sizeof(ans->content_type));
    return n;
}

int ctl_http_post(struct ctl_http *h, const char *url, const char *content_type, const char *body,
                  size_t len, struct ctl_answer *ans)
{
    CURL *c = h->curl;
    struct curl_slist *headers = NULL;
    char ctline[200];
    char curl_err[CURL_ERROR_SIZE] = "";
    int rc = 0;

    memset(ans, 0, sizeof(*ans));
    yb_buf_init(&ans->body, CTL_MAX_ANSWER);

    snprintf(ctline, sizeof(ctline), "Content-Type: %s", content_type);
    headers = curl_slist_append(headers, ctline);
    /* no 100-continue round trip: the gateway answers a body it will not
     * take (413) with an envelope anyway */
    if (headers)
        headers = curl_slist_append(headers, "Expect:");
    if (!headers) {
        snprintf(ans->error, sizeof(ans->error), "out of memory");
        return YB_ENOMEM;
    }
    const struct ctl_credentials *cred = h->cred;
    if (cred && cred->caller &&
        ctl_credentials_sign(cred, body, len, (void **)&headers, ans->error, sizeof(ans->error))) {
        curl_slist_free_all(headers);
        return YB_EINVAL;
    }

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, ans);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ybgwctl");
    if (cred && cred->cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, cred->cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY, cred->key);
    }
    if (cred && cred->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, cred->cacert);

    CURLcode res = curl_easy_perform(c);
    double total = 0;
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &total);
    ans->total_ms = total * 1000.0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
    if (res != CURLE_OK) {
        if (res == CURLE_WRITE_ERROR)
            snprintf(ans->error, sizeof(ans->error), "answer larger than %u bytes", CTL_MAX_ANSWER);
        else
            snprintf(ans->error, sizeof(ans->error), "%s",
                     curl_err[0] ? curl_err : curl_easy_strerror(res));
        rc = YB_EIO;
    }
    /* the error buffer is on this stack frame; curl must not keep it */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return rc;
}

int ctl_decode(struct yb_pool *pool, const char *text, size_t len, struct yb_node **out,
               int *is_xml, char *encoding, char *err, size_t errlen)
{
    char enc[32] = "UTF-8";
    int rc;
    *is_xml = yb_xml_sniff(text, len);
    if (*is_xml) {
        const char *root = NULL;
        rc = yb_xml_decode(pool, text, len, NULL, out, &root, enc, err, errlen);
    } else {
        rc = yb_json_decode(pool, text, len, NULL, out, err, errlen);
        if (!rc && (*out)->type != YB_NODE_OBJECT) {
            snprintf(err, errlen, "the message is not a JSON object");
            rc = YB_EINVAL;
        }
    }
    if (encoding)
        snprintf(encoding, 32, "%s", enc);
    return rc;
}

int ctl_encode_request(const struct yb_node *msg, int xml, const char *encoding, struct yb_buf *out,
                       char *content_type, size_t ctcap, char *err, size_t errlen)
{
    int rc;
    if (!xml) {
        rc = yb_json_encode(msg, out);
        if (rc)
            snprintf(err, errlen, "the message is too large to encode");
        snprintf(content_type, ctcap, "application/json; charset=UTF-8");
        return rc;
    }
    const char *enc = encoding && *encoding ? encoding : "UTF-8";
    rc = yb_xml_encode(msg, "request", enc, out, err, errlen);
    snprintf(content_type, ctcap, "application/xml; charset=%s", enc);
    return rc;
}

const char *ctl_text(const struct yb_node *node)
{
    if (!node)
        return NULL;
    if (node->type == YB_NODE_NULL)
        return "";
    if (node->type == YB_NODE_OBJECT || node->type == YB_NODE_ARRAY)
        return NULL;
    return node->text ? node->text : "";
}

const struct yb_node *ctl_path(const struct yb_node *root, const char *path)
{
    const struct yb_node *n = root;
    const char *p = path;
    /* paths come from scripts and command lines: bound the walk anyway */
    for (int steps = 0; n && *p && steps < 256; steps++) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            errno = 0;
            unsigned long idx = strtoul(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || errno)
                return NULL;
            if (n->type == YB_NODE_ARRAY)
                n = yb_node_at(n, idx);
            else if (n->type != YB_NODE_OBJECT || idx != 0)
                return NULL;
            p = end + 1;
            continue;
        }
        size_t len = strcspn(p, ".[");
        if (n->type == YB_NODE_ARRAY && n->count > 0)
            n = n->child; /* a member of a list: the first item's */
        if (n->type != YB_NODE_OBJECT)
            return NULL;
        n = yb_node_getn(n, p, len);
        p += len;
    }
    return *p ? NULL : n;
}

int ctl_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    struct yb_buf b;
    char chunk[65536];
    int rc = 0;

    yb_buf_init(&b, CTL_MAX_FILE);
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return YB_EIO;
    }
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n && yb_buf_append(&b, chunk, n)) {
            snprintf(err, errlen, "%s: larger than %u bytes", path, CTL_MAX_FILE);
            rc = YB_ELIMIT;
            goto out;
        }
        if (n < sizeof(chunk))
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = YB_EIO;
        goto out;
    }
    /* an empty file is a valid (empty) body: give the caller "" not NULL */
    *out = yb_buf_steal(&b, len);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        rc = YB_ENOMEM;
    }
out:
    if (f != stdin)
        fclose(f);
    yb_buf_free(&b);
    return rc;
}

/* ---- ybgwctl send ---- */

static void send_usage(FILE *f)
{
    fprintf(f,
            "usage: ybgwctl send [--url URL] [--xml] [--encoding ENC] [--field PATH] [--raw]\n"
            "                    [--content-type TYPE] [--timeout SECONDS]\n"
            "                    [--caller NAME --secret-file F] [--cert F --key F] [--cacert F]\n"
            "                    FILE|-\n"
            "  Posts a message (JSON or XML) to the gateway and prints the answer.\n"
            "  --xml            send a JSON file as XML (root <request>)\n"
            "  --encoding ENC   encoding of the XML sent (GBK, GB18030, UTF-8)\n"
            "  --field PATH     print only this value of the answer (output.signinoutb.sign_no)\n"
            "  --raw            print the answer's bytes unchanged\n"
            "  --dry-run        print what would be sent (Content-Type, then the body) and stop\n"
            CTL_CREDENTIAL_USAGE
            "  exit: 0 infcode 0, 1 infcode -1, 2 no usable answer\n");
}

static int print_answer_body(const struct ctl_answer *ans, const struct yb_node *tree, int is_xml,
                             const char *encoding, int raw)
{
    /* a GBK answer would print as mojibake on a UTF-8 terminal: show it
     * re-encoded unless the bytes themselves were asked for */
    if (is_xml && !raw && tree && strcasecmp(encoding, "UTF-8") != 0) {
        struct yb_buf b;
        char err[256];
        yb_buf_init(&b, CTL_MAX_ANSWER * 2);
        if (yb_xml_encode(tree, "response", "UTF-8", &b, err, sizeof(err)) == 0) {
            printf("<!-- answer was in %s, shown in UTF-8 -->\n%s", encoding, b.data ? b.data : "");
            if (b.len && b.data[b.len - 1] != '\n')
                putchar('\n');
            yb_buf_free(&b);
            return 0;
        }
        yb_buf_free(&b);
    }
    if (ans->body.len)
        fwrite(ans->body.data, 1, ans->body.len, stdout);
    if (!ans->body.len || ans->body.data[ans->body.len - 1] != '\n')
        putchar('\n');
    return 0;
}

int ctl_send_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"url", required_argument, NULL, 'u'},
        {"xml", no_argument, NULL, 'x'},
        {"encoding", required_argument, NULL, 'e'},
        {"field", required_argument, NULL, 'f'},
        {"raw", no_argument, NULL, 'r'},
        {"content-type", required_argument, NULL, 'T'},
        {"timeout", required_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        CTL_CREDENTIAL_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const char *url = getenv("YBGW_URL");
    const char *encoding = NULL, *field = NULL, *forced_type = NULL;
    int to_xml = 0, raw = 0, dry_run = 0, opt;
    long timeout_ms = 60000;
    char err[512] = "";
    char *file = NULL;
    size_t file_len = 0;
    struct yb_pool *pool = NULL;
    struct yb_buf wire;
    struct ctl_http http = {0};
    struct ctl_answer ans;
    struct ctl_credentials cred = {0};
    int rc = CTL_EXIT_TRANSPORT;

    yb_buf_init(&wire, CTL_MAX_FILE * 2);
    memset(&ans, 0, sizeof(ans));
    if (!url || !*url)
        url = CTL_DEFAULT_URL;
    while ((opt = getopt_long(argc, argv, "u:xe:f:rT:t:nh", options, NULL)) != -1) {
        int taken = ctl_credentials_option(&cred, opt, optarg, "ybgwctl send");
        if (taken < 0)
            goto out;
        if (taken)
            continue;
        switch (opt) {
        case 'n':
            dry_run = 1;
            break;
        case 'u':
            url = optarg;
            break;
        case 'x':
            to_xml = 1;
            break;
        case 'e':
            encoding = optarg;
            break;
        case 'f':
            field = optarg;
            break;
        case 'r':
            raw = 1;
            break;
        case 'T':
            forced_type = optarg;
            break;
        case 't': {
            char *end;
            long s = strtol(optarg, &end, 10);
            if (*end || s <= 0 || s > 3600) {
                fprintf(stderr, "ybgwctl send: --timeout takes 1 to 3600 seconds\n");
                goto out;
            }
            timeout_ms = s * 1000;
            break;
        }
        case 'h':
            send_usage(stdout);
            rc = CTL_EXIT_OK;
            goto out;
        default:
            send_usage(stderr);
            goto out;
        }
    }
    if (optind != argc - 1) {
        send_usage(stderr);
        goto out;
    }
    if (ctl_credentials_check(&cred, "ybgwctl send"))
        goto out;
    if (ctl_read_file(argv[optind], &file, &file_len, err, sizeof(err))) {
        fprintf(stderr, "ybgwctl send: %s\n", err);
        goto out;
    }
    if (!(pool = yb_pool_create(0))) {
        fprintf(stderr, "ybgwctl send: out of memory\n");
        goto out;
    }

    /* send the bytes as written unless a conversion was asked for */
    const char *body = file;
    size_t body_len = file_len;
    char content_type[160];
    int file_is_xml = yb_xml_sniff(file, file_len);
    if (to_xml || encoding) {
        struct yb_node *msg;
        int was_xml;
        if (ctl_decode(pool, file, file_len, &msg, &was_xml, NULL, err, sizeof(err))) {
            fprintf(stderr, "ybgwctl send: %s: cannot convert: %s\n", argv[optind], err);
            goto out;
        }
        if (ctl_encode_request(msg, 1, encoding, &wire, content_type, sizeof(content_type), err,
                               sizeof(err))) {
            fprintf(stderr, "ybgwctl send: %s: %s\n", argv[optind], err);
            goto out;
        }
        body = wire.data ? wire.data : "";
        body_len = wire.len;
    } else if (file_is_xml) {
        snprintf(content_type, sizeof(content_type), "application/xml");
    } else {
        snprintf(content_type, sizeof(content_type), "application/json; charset=UTF-8");
    }
    if (forced_type)
        snprintf(content_type, sizeof(content_type), "%s", forced_type);

    if (dry_run) {
        printf("Content-Type: %s\n\n", content_type);
        fwrite(body, 1, body_len, stdout);
        if (!body_len || body[body_len - 1] != '\n')
            putchar('\n');
        rc = CTL_EXIT_OK;
        goto out;
    }
    if (ctl_http_open(&http, 3000, timeout_ms)) {
        fprintf(stderr, "ybgwctl send: cannot start libcurl\n");
        goto out;
    }
    http.cred = &cred;
    if (ctl_http_post(&http, url, content_type, body, body_len, &ans)) {
        fprintf(stderr, "ybgwctl send: %s: %s\n", url, ans.error);
        goto out;
    }

    struct yb_node *tree = NULL;
    int is_xml = 0;
    char answer_encoding[32] = "UTF-8";
    int decoded = ans.body.len && ctl_decode(pool, ans.body.data, ans.body.len, &tree, &is_xml,
                                             answer_encoding, err, sizeof(err)) == 0;
    if (!field) {
        printf("HTTP %ld  %.1f ms\n", ans.status, ans.total_ms);
        if (ans.route[0])
            printf("X-Ybgw-Route: %s\n", ans.route);
        if (ans.hops[0])
            printf("X-Ybgw-Hops: %s\n", ans.hops);
        if (ans.outcome[0])
            printf("X-Ybgw-Outcome: %s\n", ans.outcome);
        if (ans.platform[0])
            printf("X-Sim-Platform: %s\n", ans.platform);
        print_answer_body(&ans, decoded ? tree : NULL, is_xml, answer_encoding, raw);
    }
    if (!decoded) {
        fprintf(stderr, "ybgwctl send: HTTP %ld, the answer is not a message%s%s\n", ans.status,
                ans.body.len ? ": " : " (empty body)", ans.body.len ? err : "");
        goto out;
    }
    const char *infcode = ctl_text(yb_node_get(tree, "infcode"));
    if (field) {
        const char *value = ctl_text(ctl_path(tree, field));
        if (value) {
            printf("%s\n", value);
        } else {
            const struct yb_node *n = ctl_path(tree, field);
            if (!n) {
                const char *err_msg = ctl_text(yb_node_get(tree, "err_msg"));
                fprintf(stderr, "ybgwctl send: the answer has no %s%s%s\n", field,
                        err_msg && *err_msg ? "; err_msg: " : "", err_msg ? err_msg : "");
                rc = infcode && strcmp(infcode, "0") == 0 ? CTL_EXIT_TRANSPORT : CTL_EXIT_REJECTED;
                goto out;
            }
            struct yb_buf b;
            yb_buf_init(&b, CTL_MAX_ANSWER * 2);
            if (yb_json_encode(n, &b) == 0 && b.data)
                printf("%s\n", b.data);
            yb_buf_free(&b);
        }
    }
    if (!infcode) {
        fprintf(stderr, "ybgwctl send: the answer has no infcode\n");
        goto out;
    }
    rc = strcmp(infcode, "0") == 0 ? CTL_EXIT_OK : CTL_EXIT_REJECTED;
out:
    ctl_answer_free(&ans);
    ctl_http_close(&http);
    ctl_credentials_free(&cred);
    yb_buf_free(&wire);
    yb_pool_destroy(pool);
    free(file);
    return rc;
}
