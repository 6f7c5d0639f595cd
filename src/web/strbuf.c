/* A growable string buffer for building HTTP bodies and SSE frames. Allocation failure
 * is sticky (sb->oom) so callers check once at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/internal.h"

void mwx_sb_init(mwx_sb_t *sb)
{
    sb->p = NULL;
    sb->len = sb->cap = 0;
    sb->oom = 0;
}

void mwx_sb_free(mwx_sb_t *sb)
{
    free(sb->p);
    mwx_sb_init(sb);
}

static int grow(mwx_sb_t *sb, size_t extra)
{
    if (sb->oom)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            sb->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(sb->p, cap);
    if (!p) {
        sb->oom = 1;
        return -1;
    }
    sb->p = p;
    sb->cap = cap;
    return 0;
}

void mwx_sb_put(mwx_sb_t *sb, const char *s, size_t n)
{
    if (grow(sb, n) != 0)
        return;
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void mwx_sb_puts(mwx_sb_t *sb, const char *s)
{
    mwx_sb_put(sb, s, strlen(s));
}

void mwx_sb_putc(mwx_sb_t *sb, char c)
{
    mwx_sb_put(sb, &c, 1);
}

void mwx_sb_printf(mwx_sb_t *sb, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        mwx_sb_put(sb, small, (size_t)n);
        return;
    }
    if (grow(sb, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void mwx_sb_json_str(mwx_sb_t *sb, const char *s)
{
    mwx_sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': mwx_sb_puts(sb, "\\\""); break;
        case '\\': mwx_sb_puts(sb, "\\\\"); break;
        case '\n': mwx_sb_puts(sb, "\\n"); break;
        case '\r': mwx_sb_puts(sb, "\\r"); break;
        case '\t': mwx_sb_puts(sb, "\\t"); break;
        default:
            if (*p < 0x20)
                mwx_sb_printf(sb, "\\u%04x", *p);
            else
                mwx_sb_putc(sb, (char)*p);
        }
    }
    mwx_sb_putc(sb, '"');
}

char *mwx_sb_take(mwx_sb_t *sb)
{
    char *p = NULL;
    if (!sb->oom) {
        if (!sb->p)
            grow(sb, 0);
        if (sb->p) {
            sb->p[sb->len] = '\0';
            p = sb->p;
            sb->p = NULL;
        }
    }
    mwx_sb_free(sb);
    return p;
}

void mwx_sse_event(mwx_sb_t *sb, const char *name, const char *data)
{
    mwx_sb_puts(sb, "event: ");
    mwx_sb_puts(sb, name);
    mwx_sb_puts(sb, "\ndata: ");
    /* A newline inside data would end the field: continue on another data: line
     * (the browser joins them with a newline, which JSON reads as whitespace). */
    for (const char *p = data; *p; p++) {
        if (*p == '\n')
            mwx_sb_puts(sb, "\ndata: ");
        else if (*p != '\r')
            mwx_sb_putc(sb, *p);
    }
    mwx_sb_puts(sb, "\n\n");
}
