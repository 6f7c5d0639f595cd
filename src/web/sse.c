/* Server-sent events framing (text/event-stream). */
#include "web/internal.h"

void mwxi_sse_event(mwx_buf_t *sb, const char *name, const char *data)
{
    mwxi_buf_puts(sb, "event: ");
    mwxi_buf_puts(sb, name);
    mwxi_buf_puts(sb, "\ndata: ");
    /* A newline inside data would end the field: continue on another data: line
     * (the browser joins them with a newline, which JSON reads as whitespace). */
    for (const char *p = data; *p; p++) {
        if (*p == '\n')
            mwxi_buf_puts(sb, "\ndata: ");
        else if (*p != '\r')
            mwxi_buf_putc(sb, *p);
    }
    mwxi_buf_puts(sb, "\n\n");
}
