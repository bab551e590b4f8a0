/*
 * envelope.c - step 2 of a message's path: the envelope checks that need
 * logic rather than a field rule.
 *
 * The per-field rules of the envelope (types, lengths, patterns, code kinds)
 * are data in conf/schemas/envelope.schema and run first, through
 * yb_schema_check_envelope. This file adds what a rule table cannot say:
 *   - infno names a known transaction (one that has a schema);
 *   - msgid has the layout fixmedins_code (12) + yyyyMMddHHmmss (14) +
 *     4-digit serial, agrees with fixmedins_code and carries a real time;
 *     live HIS break this often, so the policy can make it a warning;
 *   - inf_time is a real yyyy-MM-dd HH:mm:ss, and input is an object, even
 *     if a region has loosened envelope.schema (reported only when the
 *     field rules did not already report that field, so a HIS reads one
 *     finding per field);
 *   - insuplc_admdvs is present when the input names a person (psn_no),
 *     because routing needs the insured place; transactions whose schema
 *     says `insuplc_optional;` (sign-in, person lookup) are exempt.
 * It also owns the calendar checks that the schema engine's date and
 * datetime types use.
 */
#include "envelope.h"

#include <string.h>

#include "codec_json.h" /* yb_utf8_length */

#define SOURCE "envelope"
#define MSGID_LEN 30
#define INSTITUTION_LEN 12
#define COMPACT_TIME_LEN 14

/* ---- calendar ------------------------------------------------------------ */

/* n digits at s as a number, or -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int real_date(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

static int real_time(int h, int mi, int s)
{
    /* no leap second: the platform's own clocks never write :60 */
    return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

int yb_valid_date(const char *s, size_t len)
{
    if (!s || len != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    return real_date(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2));
}

int yb_valid_datetime(const char *s, size_t len)
{
    if (!s || len != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return 0;
    return yb_valid_date(s, 10) &&
           real_time(digits(s + 11, 2), digits(s + 14, 2), digits(s + 17, 2));
}

int yb_valid_compact_time(const char *s, size_t len)
{
    if (!s || len != COMPACT_TIME_LEN)
        return 0;
    return real_date(digits(s, 4), digits(s + 4, 2), digits(s + 6, 2)) &&
           real_time(digits(s + 8, 2), digits(s + 10, 2), digits(s + 12, 2));
}

/* ---- the checks ---------------------------------------------------------- */

/* A non-empty string or number member, or NULL. */
static const struct yb_node *text_member(const struct yb_node *obj, const char *key)
{
    const struct yb_node *n = yb_node_get(obj, key);
    if (!n || (n->type != YB_NODE_STRING && n->type != YB_NODE_NUMBER) || n->len == 0)
        return NULL;
    return n;
}

/* Did a finding on path arrive after mark (NULL: since the start)? */
static int reported_since(const struct yb_diag *diag, const struct yb_diag_entry *mark,
                          const char *path)
{
    const struct yb_diag_entry *e = mark ? mark->next : diag->head;
    for (; e; e = e->next)
        if (strcmp(e->path, path) == 0)
            return 1;
    return 0;
}

static int severity_of(int policy)
{
    return policy == YB_POLICY_WARN ? YB_DIAG_WARN : YB_DIAG_ERROR;
}

static void check_msgid(const struct yb_node *env, int policy, struct yb_diag *diag)
{
    const struct yb_node *msgid = text_member(env, "msgid");
    if (policy == YB_POLICY_OFF || !msgid)
        return;
    int sev = severity_of(policy);
    const char *s = msgid->text;
    /* the layout is ASCII and is judged by byte offsets: a slice of other
     * text could cut a character in two and put invalid UTF-8 into err_msg
     * (found by fuzz/fuzz_schema) */
    for (size_t i = 0; i < msgid->len; i++)
        if ((unsigned char)s[i] >= 0x80 || (unsigned char)s[i] < 0x20) {
            yb_diag_add(diag, sev, "msgid", "msgid", s, SOURCE,
                        "must be ASCII: fixmedins_code (12) + yyyyMMddHHmmss (14) + 4-digit "
                        "serial, got a %s in position %zu",
                        (unsigned char)s[i] < 0x20 ? "control character" : "non-ASCII character",
                        yb_utf8_length(s, i) + 1);
            return;
        }
    if (msgid->len != MSGID_LEN) {
        yb_diag_add(diag, sev, "msgid", "msgid", s, SOURCE,
                    "must be 30 characters: fixmedins_code (12) + yyyyMMddHHmmss (14) + "
                    "4-digit serial, got %zu",
                    msgid->len);
        return;
    }
    const struct yb_node *code = text_member(env, "fixmedins_code");
    if (code && (code->len != INSTITUTION_LEN || memcmp(s, code->text, INSTITUTION_LEN) != 0))
        yb_diag_add(diag, sev, "msgid", "msgid", s, SOURCE,
                    "must start with fixmedins_code \"%s\"", code->text);
    if (!yb_valid_compact_time(s + INSTITUTION_LEN, COMPACT_TIME_LEN))
        yb_diag_add(diag, sev, "msgid", "msgid", s, SOURCE,
                    "has no real time in characters 13-26 (\"%.14s\"), expected yyyyMMddHHmmss",
                    s + INSTITUTION_LEN);
    if (digits(s + INSTITUTION_LEN + COMPACT_TIME_LEN, 4) < 0)
        yb_diag_add(diag, sev, "msgid", "msgid", s, SOURCE,
                    "must end with a 4-digit serial, got \"%s\"",
                    s + INSTITUTION_LEN + COMPACT_TIME_LEN);
}

static int names_person(const struct yb_node *obj)
{
    return obj && obj->type == YB_NODE_OBJECT && text_member(obj, "psn_no") != NULL;
}

/* psn_no in input itself, in an object directly under it (data, mdtrtinfo,
 * setlinfo, ...) or in the items of a list directly under it (feedetail). */
static int input_names_person(const struct yb_node *input)
{
    if (names_person(input))
        return 1;
    for (const struct yb_node *c = input->child; c; c = c->next) {
        if (names_person(c))
            return 1;
        if (c->type == YB_NODE_ARRAY)
            for (const struct yb_node *item = c->child; item; item = item->next)
                if (names_person(item))
                    return 1;
    }
    return 0;
}

int yb_envelope_check(const struct yb_schema_set *schemas, const struct yb_node *env,
                      const struct yb_envelope_policy *policy, struct yb_diag *diag,
                      yb_schema_kind_fn kind_fn, void *ctx)
{
    static const struct yb_envelope_policy defaults = {YB_POLICY_REJECT, YB_POLICY_REJECT};
    unsigned before = diag->errors;
    if (!policy)
        policy = &defaults;
    if (!env || env->type != YB_NODE_OBJECT) {
        yb_diag_add(diag, YB_DIAG_ERROR, "", "type", NULL, SOURCE,
                    "the message must be a JSON object (or an XML <request>)");
        return (int)(diag->errors - before);
    }
    const struct yb_diag_entry *mark = diag->tail;
    yb_schema_check_envelope(schemas, env, diag, kind_fn, ctx);

    const struct yb_node *infno = text_member(env, "infno");
    if (infno && !yb_schema_known(schemas, infno->text))
        yb_diag_add(diag, YB_DIAG_ERROR, "infno", "infno", infno->text, SOURCE,
                    "is not a known transaction");

    const struct yb_node *input = yb_node_get(env, "input");
    if ((!input || input->type != YB_NODE_OBJECT) && !reported_since(diag, mark, "input"))
        yb_diag_add(diag, YB_DIAG_ERROR, "input", input ? "type" : "required", NULL, SOURCE,
                    input ? "must be an object" : "is required");

    check_msgid(env, policy->msgid, diag);

    const struct yb_node *inf_time = yb_node_get(env, "inf_time");
    if (inf_time && yb_node_is_scalar(inf_time) && inf_time->len &&
        !yb_valid_datetime(inf_time->text, inf_time->len) &&
        !reported_since(diag, mark, "inf_time"))
        yb_diag_add(diag, YB_DIAG_ERROR, "inf_time", "datetime", inf_time->text, SOURCE,
                    "is not a real date and time (yyyy-MM-dd HH:mm:ss)");

    if (policy->insuplc_needed != YB_POLICY_OFF && input && input->type == YB_NODE_OBJECT &&
        !text_member(env, "insuplc_admdvs") &&
        !(infno && yb_schema_insuplc_optional(schemas, infno->text)) &&
        input_names_person(input))
        yb_diag_add(diag, severity_of(policy->insuplc_needed), "insuplc_admdvs", "required",
                    NULL, SOURCE,
                    "is required when the input names a person (psn_no): it is the insured "
                    "place, learned from 1101 insuinfo");
    return (int)(diag->errors - before);
}
