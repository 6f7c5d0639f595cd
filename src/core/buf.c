/* The growable text buffer and the JSON string escaper (buf.h). */
#include "core/buf.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mwxi_buf_init(mwx_buf_t *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

void mwxi_buf_free(mwx_buf_t *b)
{
    free(b->p);
    mwxi_buf_init(b);
}

void mwxi_buf_reset(mwx_buf_t *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->p)
        b->p[0] = '\0';
}

int mwxi_buf_reserve(mwx_buf_t *b, size_t more)
{
    if (b->oom)
        return MWX_ENOMEM;
    if (more < b->cap - b->len) /* len < cap whenever cap > 0: room for the NUL too */
        return MWX_OK;
    if (more > SIZE_MAX / 2 - b->len - 1) {
        b->oom = 1;
        return MWX_ENOMEM;
    }
    size_t need = b->len + more + 1, cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return MWX_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return MWX_OK;
}

void mwxi_buf_put(mwx_buf_t *b, const char *s, size_t n)
{
    if (mwxi_buf_reserve(b, n) != MWX_OK)
        return;
    assert(b->len + n < b->cap); /* reserve left room for the text and its NUL */
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void mwxi_buf_puts(mwx_buf_t *b, const char *s)
{
    mwxi_buf_put(b, s, strlen(s));
}

void mwxi_buf_putc(mwx_buf_t *b, char c)
{
    mwxi_buf_put(b, &c, 1);
}

void mwxi_buf_vprintf(mwx_buf_t *b, const char *fmt, va_list ap)
{
    va_list again;
    if (mwxi_buf_reserve(b, 256) != MWX_OK)
        return;
    va_copy(again, ap);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    if (n < 0) {
        b->oom = 1;
    } else if ((size_t)n >= b->cap - b->len) {
        if (mwxi_buf_reserve(b, (size_t)n) == MWX_OK) {
            vsnprintf(b->p + b->len, b->cap - b->len, fmt, again);
            b->len += (size_t)n;
        }
    } else {
        b->len += (size_t)n;
    }
    va_end(again);
    if (b->p && !b->oom)
        b->p[b->len] = '\0';
}

void mwxi_buf_printf(mwx_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mwxi_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *mwxi_buf_take(mwx_buf_t *b)
{
    char *p = NULL;
    if (!b->oom && mwxi_buf_reserve(b, 0) == MWX_OK) {
        b->p[b->len] = '\0'; /* a buffer never appended to has no NUL yet */
        p = b->p;
        b->p = NULL;
    }
    mwxi_buf_free(b);
    return p;
}

/* Length (2..4) of the valid UTF-8 sequence starting with lead byte u[0] within u[0..n),
 * or 0. */
static size_t utf8_seq(const unsigned char *u, size_t n)
{
    unsigned c = u[0], cp, min;
    size_t k;
    if ((c & 0xe0) == 0xc0)
        k = 2, min = 0x80, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        k = 3, min = 0x800, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        k = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t j = 1; j < k; j++) {
        if ((u[j] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (u[j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}

int mwxi_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] == 0)
            return 0;
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(u + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

void mwxi_buf_json_strn(mwx_buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = strnlen(s, n);
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0; /* start of the pending run of bytes copied verbatim */
    mwxi_buf_putc(b, '"');
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        const char *esc = NULL;
        char tmp[8];
        size_t adv = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\t')
            esc = "\\t";
        else if (c == '\r')
            esc = "\\r";
        else if (c < 0x20 || c == 0x7f) {
            memcpy(tmp, "\\u00", 4);
            tmp[4] = hex[c >> 4];
            tmp[5] = hex[c & 15];
            tmp[6] = '\0';
            esc = tmp;
        } else if (c >= 0x80) {
            size_t k = utf8_seq(u + i, len - i);
            if (k)
                adv = k;
            else
                esc = "\\ufffd";
        }
        if (esc) {
            mwxi_buf_put(b, s + run, i - run);
            mwxi_buf_puts(b, esc);
            run = i + 1;
        }
        i += adv;
    }
    mwxi_buf_put(b, s + run, len - run);
    mwxi_buf_putc(b, '"');
}

void mwxi_buf_json_str(mwx_buf_t *b, const char *s)
{
    mwxi_buf_json_strn(b, s, SIZE_MAX);
}
