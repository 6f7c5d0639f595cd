/* Server-sent events framing (text/event-stream). */
#include "web/internal.h"

void mwx_sse_event(mwx_buf_t *sb, const char *name, const char *data)
{
    mwx_buf_puts(sb, "event: ");
    mwx_buf_puts(sb, name);
    mwx_buf_puts(sb, "\ndata: ");
    /* A newline inside data would end the field: continue on another data: line
     * (the browser joins them with a newline, which JSON reads as whitespace). */
    for (const char *p = data; *p; p++) {
        if (*p == '\n')
            mwx_buf_puts(sb, "\ndata: ");
        else if (*p != '\r')
            mwx_buf_putc(sb, *p);
    }
    mwx_buf_puts(sb, "\n\n");
}
