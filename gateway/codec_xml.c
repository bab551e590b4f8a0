/*
 * codec_xml.c - XML to message tree and back, for HIS that speak XML.
 *
 * libxml2 does the parsing and the character decoding (GBK, GB18030, UTF-8,
 * ...); this file decides what an XML message may look like and maps it onto
 * the same tree the JSON codec makes, so every later stage is format-blind.
 *
 * Safety comes first, because a HIS body is untrusted:
 *   - no network (XML_PARSE_NONET), no entity substitution (no NOENT), no DTD
 *     loading or defaulting, no XML_PARSE_HUGE;
 *   - a document with a DOCTYPE is refused the moment the parser meets it
 *     (a SAX hook stops the parser), which closes XXE and the billion-laughs
 *     family before any declaration is read;
 *   - depth and element count are checked in the SAX start-element hook, so
 *     a hostile document stops growing as soon as it passes a limit;
 *   - errors go to a handler bound to this call, never to stderr, so a
 *     worker thread can report "XML not well-formed at line N: ..." to its
 *     own HIS without other threads' noise.
 *
 * The libxml2 document lives only for the duration of one call: its content
 * is copied into the transaction's pool and the document is freed here.
 */
#include "codec_xml.h"

#include <ctype.h>
#include <libxml/SAX2.h>
#include <libxml/encoding.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec_json.h" /* yb_utf8_check */

#define XML_DEFAULT_DEPTH 32
#define XML_DEFAULT_NODES 200000

/* Objects with more element children than this find same-named siblings
 * through a hash table instead of a scan of their members. */
#define XML_LINEAR_KEYS 16

/* Deepest tree the encoder writes; trees come from decoders that enforce
 * their own (smaller) limits, so this only stops a runaway plugin. */
#define XML_ENCODE_DEPTH 256

/* Per-call state, reached from libxml2 callbacks through ctxt->_private or
 * the structured-error context. */
struct xml_call {
    unsigned max_depth;
    unsigned max_nodes;
    unsigned depth;
    unsigned nodes;
    int refused;    /* our own hook stopped the parser: the YB_E* to return */
    int have_error; /* libxml2 reported an error: lib_msg, lib_line */
    char lib_msg[256];
    int lib_line;
    char *err;
    size_t errlen;
};

static void set_err(struct xml_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct xml_call *call, const char *fmt, ...)
{
    if (!call->err || !call->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->err, call->errlen, fmt, ap);
    va_end(ap);
}

/* ---- libxml2 hooks -------------------------------------------------------- */

/* Keep the first real error; warnings (such as a relative namespace URI)
 * do not make a message bad. Whichever comes first, a libxml2 error or one
 * of our refusals, is the one reported. */
static void on_error(void *data, xmlErrorPtr error)
{
    struct xml_call *call = data;
    if (!call || !error || error->level < XML_ERR_ERROR || call->refused || call->have_error)
        return;
    snprintf(call->lib_msg, sizeof(call->lib_msg), "%s",
             error->message ? error->message : "unknown error");
    size_t n = strlen(call->lib_msg);
    while (n && isspace((unsigned char)call->lib_msg[n - 1]))
        call->lib_msg[--n] = '\0';
    call->lib_line = error->line;
    call->have_error = 1;
}

/* The parser's errors come with ctxt as their user data. */
static void on_parser_error(void *ctx, xmlErrorPtr error)
{
    xmlParserCtxtPtr ctxt = ctx;
    on_error(ctxt ? ctxt->_private : NULL, error);
}

static void refuse(xmlParserCtxtPtr ctxt, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(xmlParserCtxtPtr ctxt, int rc, const char *fmt, ...)
{
    struct xml_call *call = ctxt->_private;
    if (!call->refused && !call->have_error) {
        if (call->err && call->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(call->err, call->errlen, fmt, ap);
            va_end(ap);
        }
        call->refused = rc;
    }
    xmlStopParser(ctxt);
}

/* Called at "<!DOCTYPE name", before the internal subset is read: nothing
 * the DTD declares (entities, defaults) is ever seen. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    refuse(ctxt, YB_EINVAL, "XML with a DOCTYPE is not accepted (line %d)",
           xmlSAX2GetLineNumber(ctx));
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    refuse(ctx, YB_EINVAL, "XML with an entity declaration (%s) is not accepted (line %d)",
           (const char *)name, xmlSAX2GetLineNumber(ctx));
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct xml_call *call = ctxt->_private;
    int line = xmlSAX2GetLineNumber(ctx);
    call->nodes++;
    call->depth++;
    if (call->depth > call->max_depth) {
        refuse(ctxt, YB_ELIMIT, "XML nested deeper than %u elements at line %d", call->max_depth,
               line);
        return;
    }
    if (call->nodes > call->max_nodes) {
        refuse(ctxt, YB_ELIMIT, "XML has more than %u elements (line %d)", call->max_nodes, line);
        return;
    }
    /* attributes[] holds 5 pointers per attribute, the local name first */
    if (nb_attributes > 0) {
        refuse(ctxt, YB_EINVAL, "attribute %s on <%s> is not part of the message (line %d)",
               (const char *)attributes[0], (const char *)localname, line);
        return;
    }
    if (nb_namespaces > 0 || prefix) {
        refuse(ctxt, YB_EINVAL, "namespace on <%s%s%s> is not part of the message (line %d)",
               prefix ? (const char *)prefix : "", prefix ? ":" : "", (const char *)localname,
               line);
        return;
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct xml_call *call = ctxt->_private;
    if (call->depth)
        call->depth--;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

/* ---- From the libxml2 document to the message tree ------------------------ */

struct mapper {
    struct yb_pool *pool;
    struct xml_call *call;
    struct yb_buf text; /* a leaf's text, joined from its text and CDATA nodes */
};

static int is_xml_space(const xmlChar *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

static int map_fail(struct mapper *m, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int map_fail(struct mapper *m, int rc, const char *fmt, ...)
{
    struct xml_call *call = m->call;
    if (call->err && call->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(call->err, call->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int map_memory(struct mapper *m)
{
    return map_fail(m, YB_ELIMIT,
                    "message needs more memory than the transaction allows (pool cap reached)");
}

static int map_element(struct mapper *m, xmlNodePtr el, unsigned depth, struct yb_node **out);

/* Add child under name to object; a second element of the same name turns
 * the member into an array, kept at the first one's position. index, when
 * not NULL, maps names to members for big objects. */
static int add_member(struct mapper *m, struct yb_node *object, xmlHashTablePtr index,
                      const xmlChar *name, struct yb_node *child)
{
    size_t name_len = strlen((const char *)name);
    struct yb_node *seen =
        index ? xmlHashLookup(index, name) : yb_node_getn(object, (const char *)name, name_len);
    if (!seen) {
        if (yb_node_append_member(m->pool, object, (const char *)name, name_len, child))
            return map_memory(m);
        if (index && xmlHashAddEntry(index, name, child) != 0)
            return map_fail(m, YB_ENOMEM, "out of memory while reading XML");
        return 0;
    }
    if (seen->type != YB_NODE_ARRAY) {
        /* an element never maps to an array by itself, so an array here
         * means the name was seen twice already */
        struct yb_node *array = yb_node_new(m->pool, YB_NODE_ARRAY);
        if (!array)
            return map_memory(m);
        /* swap first, then move: yb_node_put reads seen->next */
        const char *key = seen->key;
        if (yb_node_put(m->pool, object, key, array))
            return map_memory(m);
        seen->key = NULL;
        seen->key_len = 0;
        yb_node_append(array, seen);
        if (index && xmlHashUpdateEntry(index, name, array, NULL) != 0)
            return map_fail(m, YB_ENOMEM, "out of memory while reading XML");
        seen = array;
    }
    yb_node_append(seen, child);
    return 0;
}

static int map_object(struct mapper *m, xmlNodePtr el, unsigned depth, unsigned elements,
                      struct yb_node **out)
{
    int rc = 0;
    xmlHashTablePtr index = NULL;
    struct yb_node *object = yb_node_new(m->pool, YB_NODE_OBJECT);
    if (!object)
        return map_memory(m);
    if (elements > XML_LINEAR_KEYS) {
        index = xmlHashCreate((int)elements);
        if (!index)
            return map_fail(m, YB_ENOMEM, "out of memory while reading XML");
    }
    for (xmlNodePtr c = el->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            struct yb_node *child = NULL;
            rc = map_element(m, c, depth + 1, &child);
            if (!rc)
                rc = add_member(m, object, index, c->name, child);
        } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content && !is_xml_space(c->content))
                rc = map_fail(m, YB_EINVAL,
                              "<%s> mixes text and elements (line %ld); a field holds either a "
                              "value or other fields",
                              (const char *)el->name, xmlGetLineNo(c));
        } else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
            rc = map_fail(m, YB_EINVAL, "unexpected XML node (type %d) in <%s> at line %ld",
                          (int)c->type, (const char *)el->name, xmlGetLineNo(c));
        }
        if (rc)
            goto out;
    }
    *out = object;
out:
    if (index)
        xmlHashFree(index, NULL);
    return rc;
}

static int map_leaf(struct mapper *m, xmlNodePtr el, struct yb_node **out)
{
    yb_buf_reset(&m->text);
    for (xmlNodePtr c = el->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content && yb_buf_puts(&m->text, (const char *)c->content))
                return map_fail(m, YB_ENOMEM, "out of memory while reading XML");
        } else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
            return map_fail(m, YB_EINVAL, "unexpected XML node (type %d) in <%s> at line %ld",
                            (int)c->type, (const char *)el->name, xmlGetLineNo(c));
        }
    }
    const char *text = m->text.data ? m->text.data : "";
    /* libxml2 hands out UTF-8; this check makes the tree's promise hold
     * whatever libxml2 let through from a UTF-8 body */
    if (yb_utf8_check(text, m->text.len))
        return map_fail(m, YB_EINVAL, "invalid UTF-8 in <%s> at line %ld", (const char *)el->name,
                        xmlGetLineNo(el));
    *out = yb_node_new_text(m->pool, YB_NODE_STRING, text, m->text.len);
    return *out ? 0 : map_memory(m);
}

/* An element with child elements is an object, any other is a string. The
 * recursion is bounded: the SAX hook already refused deeper documents. */
static int map_element(struct mapper *m, xmlNodePtr el, unsigned depth, struct yb_node **out)
{
    if (depth > m->call->max_depth)
        return map_fail(m, YB_ELIMIT, "XML nested deeper than %u elements at line %ld",
                        m->call->max_depth, xmlGetLineNo(el));
    if (yb_utf8_check((const char *)el->name, strlen((const char *)el->name)))
        return map_fail(m, YB_EINVAL, "invalid UTF-8 in an element name at line %ld",
                        xmlGetLineNo(el));
    unsigned elements = 0;
    for (xmlNodePtr c = el->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            elements++;
    return elements ? map_object(m, el, depth, elements, out) : map_leaf(m, el, out);
}

/* ---- Decode --------------------------------------------------------------- */

static void upper_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = '\0';
}

int yb_xml_decode(struct yb_pool *pool, const char *text, size_t len,
                  const struct yb_xml_limits *limits, struct yb_node **out, const char **root_name,
                  char *encoding, char *err, size_t errlen)
{
    struct xml_call call = {0};
    call.max_depth = limits && limits->max_depth ? limits->max_depth : XML_DEFAULT_DEPTH;
    call.max_nodes = limits && limits->max_nodes ? limits->max_nodes : XML_DEFAULT_NODES;
    call.err = err;
    call.errlen = errlen;
    struct mapper m = {pool, &call, {0}};
    yb_buf_init(&m.text, 0);
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    int rc = YB_EINVAL;

    *out = NULL;
    if (root_name)
        *root_name = NULL;
    if (encoding)
        upper_copy(encoding, 32, "UTF-8");
    if (err && errlen)
        err[0] = '\0';

    /* errors raised without a parser context (encoding conversion) go to the
     * thread's structured handler: point it at this call for the duration */
    xmlInitParser();
    xmlStructuredErrorFunc saved_handler = xmlStructuredError;
    void *saved_context = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(&call, on_error);

    if (!text || len == 0) {
        set_err(&call, "empty body, expected an XML document");
        goto out;
    }
    if (len > INT_MAX) {
        rc = YB_ELIMIT;
        set_err(&call, "XML body larger than %d bytes", INT_MAX);
        goto out;
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        rc = YB_ENOMEM;
        set_err(&call, "out of memory while reading XML");
        goto out;
    }
    ctxt->_private = &call;
    ctxt->sax->serror = on_parser_error;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->startElementNs = on_start;
    ctxt->sax->endElementNs = on_end;
    /* NONET: no fetching; NOBLANKS: drop indentation between elements.
     * Deliberately absent: NOENT, DTDLOAD, DTDATTR, HUGE. */
    doc = xmlCtxtReadMemory(ctxt, text, (int)len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_BIG_LINES);
    if (call.refused) {
        rc = call.refused;
        goto out;
    }
    if (call.have_error && call.lib_line > 0) {
        set_err(&call, "XML not well-formed at line %d: %s", call.lib_line, call.lib_msg);
        goto out;
    }
    if (call.have_error) {
        set_err(&call, "XML not well-formed: %s", call.lib_msg);
        goto out;
    }
    if (!doc || !ctxt->wellFormed) {
        set_err(&call, "XML not well-formed at line %d", xmlSAX2GetLineNumber(ctxt));
        goto out;
    }
    /* belt and braces: the hook above stops every DOCTYPE already */
    if (doc->intSubset || doc->extSubset) {
        set_err(&call, "XML with a DOCTYPE is not accepted");
        goto out;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root) {
        set_err(&call, "XML has no root element");
        goto out;
    }
    const char *name = (const char *)root->name;
    if (strcmp(name, "request") != 0 && strcmp(name, "response") != 0) {
        set_err(&call, "XML root is <%.64s>, expected <request> or <response>", name);
        goto out;
    }
    unsigned elements = 0;
    for (xmlNodePtr c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            elements++;
    /* the root is always an object, even when empty or holding only space */
    for (xmlNodePtr c = root->children; !elements && c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
            !is_xml_space(c->content)) {
            set_err(&call, "<%s> holds text; it must hold the message's fields", name);
            goto out;
        }
    rc = map_object(&m, root, 1, elements, out);
    if (rc)
        goto out;
    if (root_name) {
        *root_name = yb_pool_strdup(pool, name);
        if (!*root_name) {
            rc = map_memory(&m);
            goto out;
        }
    }
    if (encoding && doc->encoding)
        upper_copy(encoding, 32, (const char *)doc->encoding);
    rc = 0;
out:
    if (rc)
        *out = NULL;
    xmlFreeDoc(doc);
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    xmlSetStructuredErrorFunc(saved_context, saved_handler);
    yb_buf_free(&m.text);
    return rc;
}

/* ---- Encode --------------------------------------------------------------- */

struct writer {
    xmlDocPtr doc;
    char *err;
    size_t errlen;
};

static int write_fail(struct writer *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int write_fail(struct writer *w, int rc, const char *fmt, ...)
{
    if (w->err && w->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, w->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* XML 1.0 has no way to carry most control characters, not even as
 * character references, and libxml2 would drop them silently; a value that
 * holds one is refused rather than changed on its way to the HIS. */
static int check_text(struct writer *w, const char *name, const char *text, size_t len)
{
    if (yb_utf8_check(text, len))
        return write_fail(w, YB_EINVAL, "<%.64s> holds invalid UTF-8", name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return write_fail(w, YB_EINVAL,
                              "<%.64s> holds control character U+%04X, which XML cannot carry",
                              name, c);
        /* U+FFFE and U+FFFF (EF BF BE/BF) are not XML characters either */
        if (c == 0xEF && i + 2 < len && (unsigned char)text[i + 1] == 0xBF &&
            ((unsigned char)text[i + 2] & 0xFE) == 0xBE)
            return write_fail(w, YB_EINVAL,
                              "<%.64s> holds U+FFFE or U+FFFF, which XML cannot "
                              "carry",
                              name);
    }
    return 0;
}

static int write_members(struct writer *w, xmlNodePtr parent, const struct yb_node *object,
                         unsigned depth);

static int write_element(struct writer *w, xmlNodePtr parent, const char *name,
                         const struct yb_node *node, unsigned depth)
{
    xmlNodePtr el = xmlNewDocNode(w->doc, NULL, BAD_CAST name, NULL);
    if (!el)
        return write_fail(w, YB_ENOMEM, "out of memory while writing XML");
    xmlAddChild(parent, el);
    switch (node->type) {
    case YB_NODE_NULL: return 0;
    case YB_NODE_OBJECT: return write_members(w, el, node, depth + 1);
    case YB_NODE_ARRAY:
        return write_fail(w, YB_EINVAL,
                          "<%.64s> is a list inside a list, which XML cannot "
                          "carry",
                          name);
    case YB_NODE_BOOL:
    case YB_NODE_NUMBER:
    case YB_NODE_STRING: {
        const char *text = node->text ? node->text : "";
        size_t len = node->text ? node->len : 0;
        if (node->type == YB_NODE_BOOL) {
            text = node->text && node->text[0] == 't' ? "true" : "false";
            len = strlen(text);
        }
        int rc = check_text(w, name, text, len);
        if (rc)
            return rc;
        if (len > INT_MAX)
            return write_fail(w, YB_ELIMIT, "<%.64s> is too long to write as XML", name);
        if (len) {
            xmlNodePtr t = xmlNewDocTextLen(w->doc, BAD_CAST text, (int)len);
            if (!t)
                return write_fail(w, YB_ENOMEM, "out of memory while writing XML");
            xmlAddChild(el, t);
        }
        return 0;
    }
    }
    return write_fail(w, YB_EINVAL, "<%.64s> has an unknown node type", name);
}

static int write_members(struct writer *w, xmlNodePtr parent, const struct yb_node *object,
                         unsigned depth)
{
    if (depth > XML_ENCODE_DEPTH)
        return write_fail(w, YB_ELIMIT, "message nested deeper than %d levels", XML_ENCODE_DEPTH);
    for (const struct yb_node *c = object->child; c; c = c->next) {
        const char *name = c->key ? c->key : "";
        /* a key with a NUL, a space, a leading digit or a colon cannot be
         * an element name (colons would read as namespace prefixes) */
        if (strlen(name) != c->key_len || yb_utf8_check(name, c->key_len) ||
            xmlValidateNCName(BAD_CAST name, 0) != 0)
            return write_fail(w, YB_EINVAL, "field name \"%.64s\" cannot be an XML element name",
                              name);
        int rc = 0;
        if (c->type == YB_NODE_ARRAY) {
            for (const struct yb_node *item = c->child; !rc && item; item = item->next)
                rc = write_element(w, parent, name, item, depth);
        } else {
            rc = write_element(w, parent, name, c, depth);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int yb_xml_encode(const struct yb_node *node, const char *root_name, const char *encoding,
                  struct yb_buf *out, char *err, size_t errlen)
{
    struct writer w = {NULL, err, errlen};
    char enc[64];
    xmlCharEncodingHandlerPtr handler = NULL;
    xmlBufferPtr xbuf = NULL;
    int rc = YB_EINVAL;

    if (err && errlen)
        err[0] = '\0';
    xmlInitParser();
    xmlStructuredErrorFunc saved_handler = xmlStructuredError;
    void *saved_context = xmlStructuredErrorContext;
    struct xml_call call = {0};
    xmlSetStructuredErrorFunc(&call, on_error);

    if (!node || node->type != YB_NODE_OBJECT) {
        write_fail(&w, YB_EINVAL, "only an object can be written as an XML message");
        goto out;
    }
    if (!root_name || xmlValidateNCName(BAD_CAST root_name, 0) != 0) {
        write_fail(&w, YB_EINVAL, "\"%.64s\" cannot be an XML root element name",
                   root_name ? root_name : "(null)");
        goto out;
    }
    upper_copy(enc, sizeof(enc), encoding && *encoding ? encoding : "UTF-8");
    handler = xmlFindCharEncodingHandler(enc);
    if (!handler) {
        write_fail(&w, YB_EINVAL, "unknown encoding \"%s\"", enc);
        goto out;
    }

    w.doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = w.doc ? xmlNewDocNode(w.doc, NULL, BAD_CAST root_name, NULL) : NULL;
    if (!root) {
        rc = write_fail(&w, YB_ENOMEM, "out of memory while writing XML");
        goto out;
    }
    xmlDocSetRootElement(w.doc, root);
    rc = write_members(&w, root, node, 1);
    if (rc)
        goto out;

    /* libxml2 escapes & < > and \r, converts from UTF-8, and writes
     * characters the target encoding lacks as &#NNNN; references */
    xbuf = xmlBufferCreate();
    xmlSaveCtxtPtr save = xbuf ? xmlSaveToBuffer(xbuf, enc, 0) : NULL;
    if (!save) {
        rc = write_fail(&w, YB_ENOMEM, "cannot write XML in encoding \"%s\"", enc);
        goto out;
    }
    long written = xmlSaveDoc(save, w.doc);
    xmlSaveClose(save);
    if (written < 0 || call.have_error) {
        rc = write_fail(&w, YB_EINVAL, "writing XML in encoding \"%s\" failed%s%s", enc,
                        call.have_error ? ": " : "", call.have_error ? call.lib_msg : "");
        goto out;
    }
    rc = yb_buf_append(out, xmlBufferContent(xbuf), (size_t)xmlBufferLength(xbuf));
    if (rc)
        write_fail(&w, rc, "XML answer larger than the output cap (%zu bytes)", out->max);
out:
    if (xbuf)
        xmlBufferFree(xbuf);
    if (w.doc)
        xmlFreeDoc(w.doc);
    if (handler)
        xmlCharEncCloseFunc(handler);
    xmlSetStructuredErrorFunc(saved_context, saved_handler);
    return rc;
}

int yb_xml_sniff(const char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    return i < len && text[i] == '<';
}
