/* Small helpers of the warn module: a reusable text buffer, atomic file writes, and the
 * Korean names of the KR regions (the regions file carries English names for them). */
#include "warn/warn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mwx_wbuf_reset(mwx_wbuf_t *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->p)
        b->p[0] = '\0';
}

void mwx_wbuf_free(mwx_wbuf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int mwx_wbuf_reserve(mwx_wbuf_t *b, size_t more)
{
    size_t need = b->len + more + 1;
    if (b->failed)
        return MWX_ENOMEM;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < need)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return MWX_ENOMEM;
        }
        b->p = p;
        b->cap = cap;
    }
    return MWX_OK;
}

void mwx_wbuf_add(mwx_wbuf_t *b, const char *s, size_t n)
{
    if (mwx_wbuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void mwx_wbuf_puts(mwx_wbuf_t *b, const char *s)
{
    mwx_wbuf_add(b, s, strlen(s));
}

void mwx_wbuf_printf(mwx_wbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (mwx_wbuf_reserve(b, 256))
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (mwx_wbuf_reserve(b, (size_t)n))
            return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void mwx_wbuf_fixed(mwx_wbuf_t *b, double v, int decimals)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
    char tmp[48], *p = tmp + sizeof tmp;
    long long q;
    int neg;
    /* printf's %.Nf is exact but slow; coordinates need fixed decimals only. Outside a
     * safe range (or not finite) fall back to printf. */
    if (decimals < 0 || decimals > 7 || !(fabs(v) < 1e9)) {
        mwx_wbuf_printf(b, "%.*f", decimals < 0 ? 0 : decimals > 7 ? 7 : decimals, v);
        return;
    }
    q = llround(fabs(v) * scale[decimals]);
    neg = v < 0 && q != 0;
    for (int d = 0; d < decimals; d++) {
        *--p = (char)('0' + q % 10);
        q /= 10;
    }
    if (decimals)
        *--p = '.';
    do {
        *--p = (char)('0' + q % 10);
        q /= 10;
    } while (q);
    if (neg)
        *--p = '-';
    mwx_wbuf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

void mwx_wbuf_xml(mwx_wbuf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': mwx_wbuf_puts(b, "&amp;"); break;
        case '<': mwx_wbuf_puts(b, "&lt;"); break;
        case '>': mwx_wbuf_puts(b, "&gt;"); break;
        case '"': mwx_wbuf_puts(b, "&quot;"); break;
        case '\'': mwx_wbuf_puts(b, "&apos;"); break;
        default:
            /* XML 1.0 forbids most control characters even escaped. */
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                mwx_wbuf_add(b, "?", 1);
            else
                mwx_wbuf_add(b, s, 1);
        }
    }
}

void mwx_wbuf_json_str(mwx_wbuf_t *b, const char *s)
{
    mwx_wbuf_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            mwx_wbuf_add(b, e, 2);
        } else if (c < 0x20) {
            mwx_wbuf_printf(b, "\\u%04x", c);
        } else {
            mwx_wbuf_add(b, s, 1);
        }
    }
    mwx_wbuf_add(b, "\"", 1);
}

int mwx_warn_mkdir(const char *dir, mwx_err_t *err)
{
    struct stat st;
    if (mkdir(dir, 0777) == 0)
        return MWX_OK;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return MWX_OK;
    return mwx_err_set(err, MWX_EIO, "%s: cannot create the directory: %s", dir, strerror(errno));
}

int mwx_warn_write_file(const char *dir, const char *name, const char *data, size_t len,
                        int durable, mwx_err_t *err)
{
    char tmp[MWX_PATH_LEN * 2], final[MWX_PATH_LEN * 2];
    int fd;
    size_t off = 0;

    if ((size_t)snprintf(final, sizeof final, "%s/%s", dir, name) >= sizeof final ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= sizeof tmp)
        return mwx_err_set(err, MWX_EINVAL, "%s/%s: path too long", dir, name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return mwx_err_set(err, MWX_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return mwx_err_set(err, MWX_EIO, "%s: write failed: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    if (durable && fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return mwx_err_set(err, MWX_EIO, "%s: fsync failed: %s", tmp, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return mwx_err_set(err, MWX_EIO, "%s: close failed: %s", tmp, strerror(e));
    }
    if (rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return mwx_err_set(err, MWX_EIO, "%s: rename failed: %s", final, strerror(e));
    }
    return MWX_OK;
}

const char *mwx_warn_korean_name(const char *iso_id)
{
    static const struct {
        const char *id, *ko;
    } t[] = {
        {"KR-11", "서울특별시"},       {"KR-26", "부산광역시"},
        {"KR-27", "대구광역시"},       {"KR-28", "인천광역시"},
        {"KR-29", "광주광역시"},       {"KR-30", "대전광역시"},
        {"KR-31", "울산광역시"},       {"KR-41", "경기도"},
        {"KR-42", "강원특별자치도"},   {"KR-43", "충청북도"},
        {"KR-44", "충청남도"},         {"KR-45", "전북특별자치도"},
        {"KR-46", "전라남도"},         {"KR-47", "경상북도"},
        {"KR-48", "경상남도"},         {"KR-49", "제주특별자치도"},
        {"KR-50", "세종특별자치시"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].id, iso_id) == 0)
            return t[i].ko;
    return NULL;
}
