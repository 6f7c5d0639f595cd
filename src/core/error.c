/* Error codes and messages. The message lives in the caller's mwx_err_t: no global state. */
#include "mwx/core.h"

#include <stdarg.h>
#include <string.h>

const char *mwx_strerror(int code)
{
    switch (code) {
    case MWX_OK: return "ok";
    case MWX_EINVAL: return "invalid input";
    case MWX_ENOMEM: return "out of memory";
    case MWX_EIO: return "I/O error";
    case MWX_ECORRUPT: return "corrupt data";
    case MWX_ETRUNC: return "truncated data";
    case MWX_EOF: return "end of data";
    case MWX_EAGAIN: return "try again";
    case MWX_ENOTFOUND: return "not found";
    case MWX_ERANGE: return "out of range";
    case MWX_EBUS: return "message bus failure";
    case MWX_ECRYPTO: return "signature or key failure";
    case MWX_EUNSUPPORTED: return "unsupported";
    case MWX_EUSAGE: return "usage error";
    case MWX_EFULL: return "table full";
    default: return "unknown error";
    }
}

int mwx_err_set(mwx_err_t *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int mwx_err_prefix(mwx_err_t *err, const char *fmt, ...)
{
    char pre[256], old[sizeof err->msg];
    va_list ap;
    if (!err)
        return MWX_OK;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    snprintf(err->msg, sizeof err->msg, "%s: %s", pre, old[0] ? old : mwx_strerror(err->code));
    return err->code;
}

void mwx_err_clear(mwx_err_t *err)
{
    if (err) {
        err->code = MWX_OK;
        err->msg[0] = '\0';
    }
}

int mwx_exit_status(int code)
{
    switch (code) {
    case MWX_OK:
    case MWX_EOF: return 0;
    case MWX_EUSAGE: return 2;
    case MWX_EINVAL:
    case MWX_ECORRUPT:
    case MWX_ETRUNC:
    case MWX_ERANGE:
    case MWX_ENOTFOUND:
    case MWX_ECRYPTO: return 1;
    default: return 3;
    }
}

uint64_t mwx_id_key(const char *a, const char *b)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 1099511628211ULL;
    if (!b)
        return h;
    h = (h ^ 0xffu) * 1099511628211ULL; /* not a byte of a string (UTF-8 has no 0xff) */
    for (; *b; b++)
        h = (h ^ (unsigned char)*b) * 1099511628211ULL;
    return h;
}

int mwx_strlcpy(char *dst, const char *src, size_t n)
{
    size_t len;
    if (n == 0)
        return MWX_ERANGE;
    len = strlen(src);
    if (len >= n) {
        memcpy(dst, src, n - 1);
        dst[n - 1] = '\0';
        return MWX_ERANGE;
    }
    memcpy(dst, src, len + 1);
    return MWX_OK;
}
