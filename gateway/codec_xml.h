/*
 * codec_xml.h - XML to message tree and back, for HIS that speak XML.
 *
 * The root is <request> (or <response>); each envelope field is an element
 * and input/output nest as in JSON. Repeated sibling elements become an
 * array; a single element that the schema says is a list is made an array
 * later by yb_schema_shape(), so one-item lists stay lists. Leaf values are
 * strings. libxml2 parses with no network, no entity expansion and no DTD
 * loading, and the document is decoded from whatever encoding it declares
 * (GBK, GB18030, UTF-8, ...) to UTF-8.
 */
#ifndef YB_CODEC_XML_H
#define YB_CODEC_XML_H

#include <stddef.h>

#include "buf.h"
#include "pool.h"
#include "tree.h"

struct yb_xml_limits {
    unsigned max_depth;  /* element nesting; 0 = 32 */
    unsigned max_nodes;  /* elements in the document; 0 = 200000 */
};

/* Parse text[0..len). On success *out is an OBJECT holding the root's
 * children, *root_name (in pool) is "request" or "response", and encoding
 * (at least 32 bytes) receives the document's declared encoding in upper
 * case ("UTF-8" when none is declared). Returns 0 or a negative YB_E* with
 * a sentence in err naming the line. Attributes, mixed content and a root
 * other than request/response are errors. */
int yb_xml_decode(struct yb_pool *pool, const char *text, size_t len,
                  const struct yb_xml_limits *limits, struct yb_node **out,
                  const char **root_name, char *encoding, char *err, size_t errlen);

/* Write <root_name> with the members of node, in the given encoding (NULL
 * or "UTF-8" for UTF-8), with an XML declaration naming it. Arrays become
 * repeated elements; null becomes an empty element. Characters the target
 * encoding cannot hold are written as character references. */
int yb_xml_encode(const struct yb_node *node, const char *root_name, const char *encoding,
                  struct yb_buf *out, char *err, size_t errlen);

/* 1 if sniffing says the body is XML (after whitespace and a BOM, '<'). */
int yb_xml_sniff(const char *text, size_t len);

#endif
