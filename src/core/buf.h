/* The one growable text buffer of the library, and the one JSON string escaper. Internal
 * (src/ only): the records' JSON, the warn formats (CAP, CoT, GeoJSON, Atom), the web
 * server's bodies, the NATS configuration and the node's JSON log all build text here.
 *
 * Allocation failure is sticky (b->oom): appends after it do nothing, so a caller checks
 * once at the end. A buffer reset keeps its memory, so one reused between messages stops
 * allocating once it has grown to the largest message. The text is always NUL-terminated
 * once anything was appended. */
#ifndef MWX_CORE_BUF_H
#define MWX_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "mwx/core.h"

typedef struct mwx_buf {
    char *p;
    size_t len, cap;
    int oom; /* sticky: an append failed, the content is incomplete */
} mwx_buf_t;

#define MWX_BUF_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void mwxi_buf_init(mwx_buf_t *b);
void mwxi_buf_free(mwx_buf_t *b);
/* Empty it (and clear oom), keeping its memory. */
void mwxi_buf_reset(mwx_buf_t *b);
/* Room for `more` bytes and the NUL: 0, or MWX_ENOMEM (and oom set). */
int mwxi_buf_reserve(mwx_buf_t *b, size_t more);
void mwxi_buf_put(mwx_buf_t *b, const char *s, size_t n);
void mwxi_buf_puts(mwx_buf_t *b, const char *s);
void mwxi_buf_putc(mwx_buf_t *b, char c);
void mwxi_buf_printf(mwx_buf_t *b, const char *fmt, ...) MWX_PRINTF(2, 3);
void mwxi_buf_vprintf(mwx_buf_t *b, const char *fmt, va_list ap) MWX_PRINTF(2, 0);
/* Hand over the NUL-terminated text (NULL after an oom) and reset b to empty. */
char *mwxi_buf_take(mwx_buf_t *b);

/* A JSON string literal, quotes included, of the NUL-terminated s (json_str) or of at
 * most n bytes of s, stopping at a NUL (json_strn). The one escaping rule of every JSON
 * the library writes: " and \ escaped, \n \r \t as such, every other control character
 * and DEL as \u00XX, and each byte that does not start a valid UTF-8 sequence (overlong,
 * surrogate, beyond U+10FFFF, truncated, stray continuation) as \ufffd. The output is
 * therefore always valid JSON and valid UTF-8, whatever the input. */
void mwxi_buf_json_str(mwx_buf_t *b, const char *s);
void mwxi_buf_json_strn(mwx_buf_t *b, const char *s, size_t n);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and has no
 * NUL byte. */
int mwxi_utf8_valid(const char *s, size_t n);

#endif
