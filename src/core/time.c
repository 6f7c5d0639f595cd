/* Time: RFC 3339 <-> Unix seconds, and the clocks. Parsing is strict (a typo in an
 * epoch must not shift a whole scenario) and does not depend on the process's TZ. */
#include "mwx/core.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Howard Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long long yy = (long long)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int mwx_time_parse(const char *s, double *unix_s, mwx_err_t *err)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int Y, M, D, h, mi, sec, oh = 0, om = 0, sign = 0;
    double frac = 0.0;
    const char *p;

    if (!s || strlen(s) < 20)
        goto bad;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        goto bad;
    p = s + 19;
    if (*p == '.') {
        double scale = 0.1;
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad;
        while (isdigit((unsigned char)*p)) {
            frac += (*p - '0') * scale;
            scale *= 0.1;
            p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
            goto bad;
        p += 6;
    } else {
        goto bad;
    }
    if (*p != '\0')
        goto bad;
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
        om > 59)
        goto bad;
    if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
        goto bad;
    *unix_s = (double)days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400.0 + h * 3600.0 +
              mi * 60.0 + sec + frac - sign * (oh * 3600.0 + om * 60.0);
    return MWX_OK;
bad:
    return mwx_err_set(err, MWX_EINVAL,
                       "expected an RFC 3339 time such as \"2026-11-22T03:00:00Z\", got \"%s\"",
                       s ? s : "(null)");
}

int mwx_time_format(double unix_s, int offset_min, int frac_digits, char *buf, size_t n)
{
    /* years 0000..9999 only: beyond that (or NaN) the conversions below overflow */
    if (!isfinite(unix_s) || unix_s < -62167219200.0 || unix_s >= 253402300800.0) {
        if (n)
            buf[0] = '\0';
        return MWX_EINVAL;
    }
    double local = unix_s + offset_min * 60.0;
    double whole = floor(local);
    double frac = local - whole;
    long long days = (long long)floor(whole / 86400.0);
    long long sod = (long long)whole - days * 86400;
    int y;
    unsigned m, d;
    char fbuf[16] = "";
    int off = offset_min < 0 ? -offset_min : offset_min;
    int w;

    if (frac_digits < 0)
        frac_digits = 0;
    if (frac_digits > 6)
        frac_digits = 6;
    if (frac_digits > 0) {
        long long scale = 1;
        for (int i = 0; i < frac_digits; i++)
            scale *= 10;
        long long f = (long long)llround(frac * (double)scale);
        if (f >= scale) { /* rounding carried into the next second */
            f = 0;
            sod += 1;
            if (sod == 86400) {
                sod = 0;
                days += 1;
            }
        }
        snprintf(fbuf, sizeof fbuf, ".%0*lld", frac_digits, f);
    }
    civil_from_days(days, &y, &m, &d);
    w = snprintf(buf, n, "%04d-%02u-%02uT%02lld:%02lld:%02lld%s%c%02d:%02d", y, m, d, sod / 3600,
                 (sod / 60) % 60, sod % 60, fbuf, offset_min < 0 ? '-' : '+', off / 60, off % 60);
    return (w < 0 || (size_t)w >= n) ? MWX_EINVAL : MWX_OK;
}

double mwx_time_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double mwx_time_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
