/* Metrics registry: counters, gauges and histograms, rendered in the Prometheus text
 * exposition format 0.0.4. Registration (set-up time) takes a mutex and allocates;
 * updates are single atomic operations on preallocated series, so the hot paths that
 * count (per measurement, per message) never lock or allocate. */
#include "mwx/web.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/internal.h"

#define MAX_FAMILIES 128
#define MAX_SERIES   2048
#define MAX_BOUNDS   32
#define NAME_LEN     128
#define HELP_LEN     256
#define LABELS_LEN   256

enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

struct mwx_counter {
    _Atomic uint64_t v;
};
struct mwx_gauge {
    _Atomic uint64_t bits; /* a double's bits */
};
struct mwx_histogram {
    _Atomic uint64_t bucket[MAX_BOUNDS + 1]; /* per bucket, not cumulative; last = +Inf */
    _Atomic uint64_t sum_bits;
    const double *bounds; /* the family's */
    size_t n;
};

typedef struct series {
    int family;
    char labels[LABELS_LEN];
    union {
        struct mwx_counter c;
        struct mwx_gauge g;
        struct mwx_histogram h;
    } u;
} series_t;

typedef struct family {
    char name[NAME_LEN];
    char help[HELP_LEN];
    int kind;
    double bounds[MAX_BOUNDS];
    size_t n_bounds;
} family_t;

struct mwx_metrics {
    pthread_mutex_t lk;
    family_t fam[MAX_FAMILIES];
    size_t n_fam;
    series_t *ser[MAX_SERIES];
    size_t n_ser;
};

const double mwx_metrics_latency_buckets_s[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                1.0,    2.5,     5.0,    10.0};
const size_t mwx_metrics_latency_buckets_n =
    sizeof mwx_metrics_latency_buckets_s / sizeof mwx_metrics_latency_buckets_s[0];

static uint64_t dbits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}
static double bitsd(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

int mwx_metrics_new(mwx_metrics_t **out, mwx_err_t *err)
{
    mwx_metrics_t *m = calloc(1, sizeof *m);
    if (!m)
        return mwx_err_set(err, MWX_ENOMEM, "metrics: out of memory");
    pthread_mutex_init(&m->lk, NULL);
    *out = m;
    return 0;
}

void mwx_metrics_free(mwx_metrics_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_ser; i++)
        free(m->ser[i]);
    pthread_mutex_destroy(&m->lk);
    free(m);
}

static int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) >= NAME_LEN)
        return 0;
    for (const char *p = s; *p; p++) {
        int c = (unsigned char)*p;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(p > s && c >= '0' && c <= '9'))
            return 0;
    }
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* `k="v",k2="v2"`: label names [a-zA-Z_][a-zA-Z0-9_]* not starting "__", values with
 * only \\, \" and \n escapes, no raw newline. forbid: a name not allowed (le). */
static int labels_ok(const char *s, const char *forbid)
{
    if (!s || !*s)
        return 1;
    if (strlen(s) >= LABELS_LEN)
        return 0;
    const char *p = s;
    for (;;) {
        const char *k = p;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
            return 0;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
               (*p >= '0' && *p <= '9'))
            p++;
        size_t kl = (size_t)(p - k);
        if (kl >= 2 && k[0] == '_' && k[1] == '_')
            return 0;
        if (forbid && kl == strlen(forbid) && strncmp(k, forbid, kl) == 0)
            return 0;
        if (*p++ != '=' || *p++ != '"')
            return 0;
        while (*p && *p != '"') {
            if (*p == '\n')
                return 0;
            if (*p == '\\') {
                p++;
                if (*p != '\\' && *p != '"' && *p != 'n')
                    return 0;
            }
            p++;
        }
        if (*p++ != '"')
            return 0;
        if (!*p)
            return 1;
        if (*p++ != ',')
            return 0;
    }
}

static int help_ok(const char *s)
{
    return s && strlen(s) < HELP_LEN && !strchr(s, '\n');
}

static int reg(mwx_metrics_t *m, int kind, const char *name, const char *labels, const char *help,
               const double *bounds, size_t n, series_t **out, mwx_err_t *err)
{
    if (!m)
        return mwx_err_set(err, MWX_EINVAL, "metrics: no registry");
    if (!labels)
        labels = "";
    if (!name_ok(name))
        return mwx_err_set(err, MWX_EINVAL, "metrics: bad metric name '%s'",
                           name ? name : "(null)");
    if (kind == KIND_COUNTER && !ends_with(name, "_total"))
        return mwx_err_set(err, MWX_EINVAL, "metrics: counter '%s' must end in _total", name);
    if (kind != KIND_COUNTER && ends_with(name, "_total"))
        return mwx_err_set(err, MWX_EINVAL, "metrics: only counters end in _total ('%s')", name);
    if (kind == KIND_HISTOGRAM &&
        (ends_with(name, "_bucket") || ends_with(name, "_sum") || ends_with(name, "_count")))
        return mwx_err_set(err, MWX_EINVAL, "metrics: histogram name '%s' has a reserved suffix",
                           name);
    if (!labels_ok(labels, kind == KIND_HISTOGRAM ? "le" : NULL))
        return mwx_err_set(err, MWX_EINVAL, "metrics: %s: bad labels '%s' (want k=\"v\",...)", name,
                           labels);
    if (!help_ok(help))
        return mwx_err_set(err, MWX_EINVAL, "metrics: %s: help must be one line", name);
    if (kind == KIND_HISTOGRAM) {
        if (!bounds || n == 0 || n > MAX_BOUNDS)
            return mwx_err_set(err, MWX_EINVAL, "metrics: %s: 1..%d bounds", name, MAX_BOUNDS);
        for (size_t i = 0; i < n; i++)
            if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
                return mwx_err_set(err, MWX_EINVAL,
                                   "metrics: %s: bounds must be finite and increasing", name);
    }

    int rc = 0;
    pthread_mutex_lock(&m->lk);
    size_t f;
    for (f = 0; f < m->n_fam; f++)
        if (strcmp(m->fam[f].name, name) == 0)
            break;
    if (f < m->n_fam) {
        family_t *fa = &m->fam[f];
        if (fa->kind != kind || strcmp(fa->help, help) != 0) {
            rc = mwx_err_set(err, MWX_EINVAL, "metrics: %s registered with another type or help",
                             name);
            goto out;
        }
        if (kind == KIND_HISTOGRAM &&
            (fa->n_bounds != n || memcmp(fa->bounds, bounds, n * sizeof *bounds) != 0)) {
            rc = mwx_err_set(err, MWX_EINVAL, "metrics: %s registered with other bounds", name);
            goto out;
        }
        for (size_t i = 0; i < m->n_ser; i++)
            if (m->ser[i]->family == (int)f && strcmp(m->ser[i]->labels, labels) == 0) {
                *out = m->ser[i];
                goto out;
            }
    } else {
        if (m->n_fam == MAX_FAMILIES) {
            rc = mwx_err_set(err, MWX_EFULL, "metrics: more than %d metric names", MAX_FAMILIES);
            goto out;
        }
        family_t *fa = &m->fam[f];
        memset(fa, 0, sizeof *fa);
        mwx_strlcpy(fa->name, name, sizeof fa->name);
        mwx_strlcpy(fa->help, help, sizeof fa->help);
        fa->kind = kind;
        if (kind == KIND_HISTOGRAM) {
            memcpy(fa->bounds, bounds, n * sizeof *bounds);
            fa->n_bounds = n;
        }
        m->n_fam++;
    }
    if (m->n_ser == MAX_SERIES) {
        rc = mwx_err_set(err, MWX_EFULL, "metrics: more than %d series", MAX_SERIES);
        goto out;
    }
    series_t *s = calloc(1, sizeof *s);
    if (!s) {
        rc = mwx_err_set(err, MWX_ENOMEM, "metrics: out of memory");
        goto out;
    }
    s->family = (int)f;
    mwx_strlcpy(s->labels, labels, sizeof s->labels);
    if (kind == KIND_HISTOGRAM) {
        s->u.h.bounds = m->fam[f].bounds;
        s->u.h.n = m->fam[f].n_bounds;
    }
    m->ser[m->n_ser++] = s;
    *out = s;
out:
    pthread_mutex_unlock(&m->lk);
    return rc;
}

int mwx_metrics_counter(mwx_metrics_t *m, const char *name, const char *labels, const char *help,
                        mwx_counter_t **out, mwx_err_t *err)
{
    series_t *s = NULL;
    int rc = reg(m, KIND_COUNTER, name, labels, help, NULL, 0, &s, err);
    *out = rc == 0 ? &s->u.c : NULL;
    return rc;
}

int mwx_metrics_gauge(mwx_metrics_t *m, const char *name, const char *labels, const char *help,
                      mwx_gauge_t **out, mwx_err_t *err)
{
    series_t *s = NULL;
    int rc = reg(m, KIND_GAUGE, name, labels, help, NULL, 0, &s, err);
    *out = rc == 0 ? &s->u.g : NULL;
    return rc;
}

int mwx_metrics_histogram(mwx_metrics_t *m, const char *name, const char *labels, const char *help,
                          const double *bounds, size_t n, mwx_histogram_t **out, mwx_err_t *err)
{
    series_t *s = NULL;
    int rc = reg(m, KIND_HISTOGRAM, name, labels, help, bounds, n, &s, err);
    *out = rc == 0 ? &s->u.h : NULL;
    return rc;
}

void mwx_counter_add(mwx_counter_t *c, uint64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

uint64_t mwx_counter_value(const mwx_counter_t *c)
{
    return c ? atomic_load_explicit(&((mwx_counter_t *)c)->v, memory_order_relaxed) : 0;
}

void mwx_gauge_set(mwx_gauge_t *g, double v)
{
    if (g)
        atomic_store_explicit(&g->bits, dbits(v), memory_order_relaxed);
}

static void atomic_add_double(_Atomic uint64_t *bits, double dv)
{
    uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(bits, &old, dbits(bitsd(old) + dv),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void mwx_gauge_add(mwx_gauge_t *g, double dv)
{
    if (g)
        atomic_add_double(&g->bits, dv);
}

double mwx_gauge_value(const mwx_gauge_t *g)
{
    return g ? bitsd(atomic_load_explicit(&((mwx_gauge_t *)g)->bits, memory_order_relaxed)) : 0.0;
}

void mwx_histogram_observe(mwx_histogram_t *h, double v)
{
    if (!h || isnan(v))
        return;
    size_t i = 0;
    while (i < h->n && v > h->bounds[i]) /* le: v <= bound */
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_add_double(&h->sum_bits, v);
}

/* Shortest text that reads back as the same double; Go/Prometheus spellings of the
 * non-finite values. */
static void fmt_double(char *buf, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void put_help(mwx_buf_t *sb, const char *help)
{
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            mwxi_buf_puts(sb, "\\\\");
        else
            mwxi_buf_putc(sb, *p);
    }
}

static void put_series_name(mwx_buf_t *sb, const char *name, const char *suffix, const char *labels,
                            const char *le)
{
    mwxi_buf_puts(sb, name);
    mwxi_buf_puts(sb, suffix);
    if (labels[0] || le) {
        mwxi_buf_putc(sb, '{');
        mwxi_buf_puts(sb, labels);
        if (le)
            mwxi_buf_printf(sb, "%sle=\"%s\"", labels[0] ? "," : "", le);
        mwxi_buf_putc(sb, '}');
    }
}

static const char *kind_name(int k)
{
    return k == KIND_COUNTER ? "counter" : k == KIND_GAUGE ? "gauge" : "histogram";
}

int mwxi_metrics_render_into(mwx_metrics_t *m, mwx_buf_t *sb)
{
    char num[64];
    pthread_mutex_lock(&m->lk);
    for (size_t f = 0; f < m->n_fam; f++) {
        const family_t *fa = &m->fam[f];
        mwxi_buf_printf(sb, "# HELP %s ", fa->name);
        put_help(sb, fa->help);
        mwxi_buf_printf(sb, "\n# TYPE %s %s\n", fa->name, kind_name(fa->kind));
        for (size_t i = 0; i < m->n_ser; i++) {
            series_t *s = m->ser[i];
            if (s->family != (int)f)
                continue;
            if (fa->kind == KIND_COUNTER) {
                put_series_name(sb, fa->name, "", s->labels, NULL);
                mwxi_buf_printf(sb, " %llu\n", (unsigned long long)mwx_counter_value(&s->u.c));
            } else if (fa->kind == KIND_GAUGE) {
                put_series_name(sb, fa->name, "", s->labels, NULL);
                fmt_double(num, sizeof num, mwx_gauge_value(&s->u.g));
                mwxi_buf_printf(sb, " %s\n", num);
            } else {
                /* Cumulative from one read of each bucket, and _count = the +Inf bucket,
                 * so the sample is consistent even while observations race in. */
                uint64_t cum = 0;
                for (size_t b = 0; b <= s->u.h.n; b++) {
                    cum += atomic_load_explicit(&s->u.h.bucket[b], memory_order_relaxed);
                    if (b < s->u.h.n)
                        fmt_double(num, sizeof num, s->u.h.bounds[b]);
                    else
                        snprintf(num, sizeof num, "+Inf");
                    put_series_name(sb, fa->name, "_bucket", s->labels, num);
                    mwxi_buf_printf(sb, " %llu\n", (unsigned long long)cum);
                }
                fmt_double(num, sizeof num,
                           bitsd(atomic_load_explicit(&s->u.h.sum_bits, memory_order_relaxed)));
                put_series_name(sb, fa->name, "_sum", s->labels, NULL);
                mwxi_buf_printf(sb, " %s\n", num);
                put_series_name(sb, fa->name, "_count", s->labels, NULL);
                mwxi_buf_printf(sb, " %llu\n", (unsigned long long)cum);
            }
        }
    }
    pthread_mutex_unlock(&m->lk);
    return sb->oom ? MWX_ENOMEM : 0;
}

int mwx_metrics_render(mwx_metrics_t *m, char **text, size_t *len, mwx_err_t *err)
{
    mwx_buf_t sb;
    mwxi_buf_init(&sb);
    if (!m || mwxi_metrics_render_into(m, &sb) != 0) {
        mwxi_buf_free(&sb);
        return mwx_err_set(err, MWX_ENOMEM, "metrics: out of memory");
    }
    *len = sb.len;
    *text = mwxi_buf_take(&sb);
    return *text ? 0 : mwx_err_set(err, MWX_ENOMEM, "metrics: out of memory");
}
