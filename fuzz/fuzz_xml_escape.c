/* libFuzzer: the XML escaper that the CAP, Atom and CoT writers put every text through
 * (they write XML by hand into reused buffers, docs/WARNING_POLICY.md). Whatever the bytes
 * (a partner's track id, a region's name), the document around them must be well-formed
 * for libxml2, and text that XML can carry must come back unchanged. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warn/warn_internal.h"

/* valid UTF-8 (RFC 3629) of XML Chars only, no control characters but tab and newline */
static int plain_text(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], cp, len;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n')
                return 0;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, cp = c & 0x07;
        else
            return 0;
        if (i + len > n)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return 0;
        i += len;
    }
    return 1;
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    char *s = malloc(size + 1);
    mwx_buf_t b = {0};
    if (!s)
        return 0;
    if (!init) {
        xmlSetGenericErrorFunc(NULL, quiet);
        init = 1;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    size_t n = strlen(s); /* the writers take C strings */
    mwxi_buf_puts(&b, "<a x=\"");
    mwxi_warn_xml_esc(&b, s, 1);
    mwxi_buf_puts(&b, "\">");
    mwxi_warn_xml_esc(&b, s, 0);
    mwxi_buf_puts(&b, "</a>");
    if (b.oom)
        abort();
    xmlDocPtr doc = xmlReadMemory(b.p, (int)b.len, "esc.xml", "UTF-8", XML_PARSE_NONET);
    if (!doc)
        abort(); /* the escaper let through something that is not XML */
    if (plain_text((const unsigned char *)s, n)) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        xmlChar *content = xmlNodeGetContent(root);
        if (!content || strcmp((const char *)content, s) != 0)
            abort(); /* element text changed in transit */
        xmlFree(content);
        if (!strpbrk(s, "\t\n")) { /* attribute values normalise white space */
            xmlChar *x = xmlGetProp(root, (const xmlChar *)"x");
            if (!x || strcmp((const char *)x, s) != 0)
                abort();
            xmlFree(x);
        }
    }
    xmlFreeDoc(doc);
    mwxi_buf_free(&b);
    free(s);
    return 0;
}
