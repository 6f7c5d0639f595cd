/* Unscented Kalman filter (scaled unscented transform, 2n+1 sigma points; defaults
 * alpha = 1, beta = 2, kappa = 0, so that every weight but the centre's is positive and
 * the centre's is zero). Angles in the measurement are differenced with the model's diff
 * around the central prediction. Covariances symmetrised and checked. */
#include "mwx/track.h"
#include "linalg.h"

#include <math.h>
#include <string.h>

#define NS (2 * LA_MAX + 1)

static void weights(const mwx_filter_t *f, int n, double *lambda, double *wm0, double *wc0,
                    double *wi)
{
    double a = f->ut_alpha > 0 ? f->ut_alpha : 1.0;
    double l = a * a * (n + f->ut_kappa) - n;
    *lambda = l;
    *wm0 = l / (n + l);
    *wc0 = *wm0 + (1.0 - a * a + f->ut_beta);
    *wi = 0.5 / (n + l);
}

static int sigma_points(const mwx_gauss_t *s, double lambda, double X[NS][LA_MAX])
{
    const int n = s->n;
    double L[LA_MAX * LA_MAX], c = sqrt(n + lambda);
    int rc = mwxi_la_chol(s->P, L, n);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        X[0][i] = s->x[i];
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            X[1 + j][i] = s->x[i] + c * L[i * n + j];
            X[1 + n + j][i] = s->x[i] - c * L[i * n + j];
        }
    return MWX_OK;
}

static int ukf_predict(const mwx_filter_t *f, const mwx_motion_model_t *mm, mwx_gauss_t *s,
                       double dt)
{
    const int n = s->n;
    double X[NS][LA_MAX], lambda, wm0, wc0, wi, Q[LA_MAX * LA_MAX];
    double x[LA_MAX] = {0}, P[LA_MAX * LA_MAX] = {0};
    int rc;
    if (n != mm->nx)
        return MWX_EINVAL;
    if (dt == 0.0)
        return MWX_OK;
    weights(f, n, &lambda, &wm0, &wc0, &wi);
    rc = sigma_points(s, lambda, X);
    if (rc)
        return rc;
    for (int k = 0; k < 2 * n + 1; k++) {
        rc = mm->propagate(mm, X[k], dt, NULL);
        if (rc)
            return rc;
        for (int i = 0; i < n; i++)
            x[i] += (k ? wi : wm0) * X[k][i];
    }
    for (int k = 0; k < 2 * n + 1; k++) {
        double w = k ? wi : wc0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                P[i * n + j] += w * (X[k][i] - x[i]) * (X[k][j] - x[j]);
    }
    mm->noise(mm, s->x, dt, Q);
    for (int i = 0; i < n * n; i++)
        P[i] += Q[i];
    mwxi_la_symmetrize(P, n);
    if (!mwxi_la_cov_ok(P, n))
        return MWX_ERANGE;
    memcpy(s->x, x, sizeof(double) * (size_t)n);
    memcpy(s->P, P, sizeof(double) * (size_t)(n * n));
    return MWX_OK;
}

static void zdiff(const mwx_meas_model_t *m, const double *a, const double *b, double *o)
{
    if (m->diff)
        m->diff(m, a, b, o);
    else
        for (int i = 0; i < m->nz; i++)
            o[i] = a[i] - b[i];
}

/* Predicted measurement statistics: zbar, S, cross covariance C (n x nz). */
static int ut_meas(const mwx_filter_t *f, const mwx_meas_model_t *m, const mwx_gauss_t *s,
                   double *zbar, double *S, double *C)
{
    const int n = s->n, k = m->nz;
    double X[NS][LA_MAX], Z[NS][MWX_TRACK_MAX_Z], D[NS][MWX_TRACK_MAX_Z];
    double lambda, wm0, wc0, wi, dz[MWX_TRACK_MAX_Z] = {0};
    int rc;
    weights(f, n, &lambda, &wm0, &wc0, &wi);
    rc = sigma_points(s, lambda, X);
    if (rc)
        return rc;
    for (int p = 0; p < 2 * n + 1; p++)
        m->h(m, X[p], n, Z[p], NULL);
    /* Mean as the centre plus the weighted mean of wrapped differences. */
    for (int p = 0; p < 2 * n + 1; p++) {
        zdiff(m, Z[p], Z[0], D[p]);
        for (int i = 0; i < k; i++)
            dz[i] += (p ? wi : wm0) * D[p][i];
    }
    for (int i = 0; i < k; i++)
        zbar[i] = Z[0][i] + dz[i];
    memset(S, 0, sizeof(double) * (size_t)(k * k));
    memset(C, 0, sizeof(double) * (size_t)(n * k));
    for (int p = 0; p < 2 * n + 1; p++) {
        double w = p ? wi : wc0, e[MWX_TRACK_MAX_Z];
        for (int i = 0; i < k; i++)
            e[i] = D[p][i] - dz[i];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                S[i * k + j] += w * e[i] * e[j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
                C[i * k + j] += w * (X[p][i] - s->x[i]) * e[j];
    }
    for (int i = 0; i < k * k; i++)
        S[i] += m->R[i];
    mwxi_la_symmetrize(S, k);
    return MWX_OK;
}

static int ukf_innovation(const mwx_filter_t *f, const mwx_meas_model_t *m, const mwx_gauss_t *s,
                          double *nu, double *S)
{
    double zbar[MWX_TRACK_MAX_Z], C[LA_MAX * MWX_TRACK_MAX_Z];
    int rc = ut_meas(f, m, s, zbar, S, C);
    if (rc)
        return rc;
    zdiff(m, m->z, zbar, nu);
    return MWX_OK;
}

static int ukf_update(const mwx_filter_t *f, const mwx_meas_model_t *m, mwx_gauss_t *s, double *nis,
                      double *loglik)
{
    const int n = s->n, k = m->nz;
    double zbar[MWX_TRACK_MAX_Z], S[9], C[LA_MAX * MWX_TRACK_MAX_Z], nu[3], logdet;
    double K[LA_MAX * MWX_TRACK_MAX_Z], x[LA_MAX], P[LA_MAX * LA_MAX], d2;
    int rc = ut_meas(f, m, s, zbar, S, C);
    if (rc)
        return rc;
    zdiff(m, m->z, zbar, nu);
    rc = mwxi_la_kalman_correct(C, S, nu, s->x, n, k, K, x, &d2, &logdet);
    if (rc)
        return rc;
    /* P - K S K^T */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double a = 0.0;
            for (int l = 0; l < k; l++)
                a += K[i * k + l] * C[j * k + l];
            P[i * n + j] = s->P[i * n + j] - a;
        }
    mwxi_la_symmetrize(P, n);
    if (!mwxi_la_cov_ok(P, n)) {
        return MWX_ERANGE;
    }
    {
        double L[LA_MAX * LA_MAX];
        if (mwxi_la_chol(P, L, n))
            return MWX_ERANGE;
    }
    memcpy(s->x, x, sizeof(double) * (size_t)n);
    memcpy(s->P, P, sizeof(double) * (size_t)(n * n));
    if (nis)
        *nis = d2;
    if (loglik)
        *loglik = -0.5 * (d2 + logdet + k * log(2.0 * MWX_PI));
    return MWX_OK;
}

static const mwx_filter_t g_ukf = {"ukf", ukf_predict, ukf_update, ukf_innovation, 1.0, 2.0, 0.0};

const mwx_filter_t *mwx_filter_ukf(void)
{
    return &g_ukf;
}
