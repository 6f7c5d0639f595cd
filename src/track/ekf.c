/* Extended Kalman filter: linearised predict (F from the motion model) and update (H from
 * the measurement model) with the Joseph-form covariance update, symmetrised; a
 * covariance that stops being positive definite is refused (MWX_ERANGE, state kept). */
#include "mwx/track.h"
#include "ekf_internal.h"
#include "linalg.h"

#include <math.h>
#include <string.h>

static int ekf_predict(const mwx_filter_t *f, const mwx_motion_model_t *mm, mwx_gauss_t *s,
                       double dt)
{
    const int n = s->n;
    double F[LA_MAX * LA_MAX], Q[LA_MAX * LA_MAX], x[LA_MAX], P[LA_MAX * LA_MAX];
    int rc;
    if (n != mm->nx)
        return MWX_EINVAL;
    if (dt == 0.0)
        return MWX_OK;
    memcpy(x, s->x, sizeof(double) * (size_t)n);
    rc = mm->propagate(mm, x, dt, F);
    if (rc)
        return rc;
    memcpy(P, s->P, sizeof(double) * (size_t)(n * n));
    la_fpft(F, P, n);
    mm->noise(mm, s->x, dt, Q);
    for (int i = 0; i < n * n; i++)
        P[i] += Q[i];
    la_symmetrize(P, n);
    if (!la_cov_ok(P, n))
        return MWX_ERANGE;
    memcpy(s->x, x, sizeof(double) * (size_t)n);
    memcpy(s->P, P, sizeof(double) * (size_t)(n * n));
    return MWX_OK;
}

/* nu, S, H and P H^T for the current state. */
int mwx_track_ekf_innov(const mwx_meas_model_t *m, const mwx_gauss_t *s, double *nu, double *S,
                     double *H, double *PHt)
{
    const int n = s->n, k = m->nz;
    double zp[MWX_TRACK_MAX_Z];
    m->h(m, s->x, n, zp, H);
    if (m->diff)
        m->diff(m, m->z, zp, nu);
    else
        for (int i = 0; i < k; i++)
            nu[i] = m->z[i] - zp[i];
    la_mul_bt(s->P, H, PHt, n, n, k); /* n x k */
    la_mul(H, PHt, S, k, n, k);       /* k x k */
    for (int i = 0; i < k * k; i++)
        S[i] += m->R[i];
    la_symmetrize(S, k);
    for (int i = 0; i < k; i++)
        if (!isfinite(nu[i]))
            return MWX_ERANGE;
    return MWX_OK;
}

static int ekf_innovation(const mwx_filter_t *f, const mwx_meas_model_t *m,
                          const mwx_gauss_t *s, double *nu, double *S)
{
    double H[MWX_TRACK_MAX_Z * LA_MAX], PHt[LA_MAX * MWX_TRACK_MAX_Z];
    return mwx_track_ekf_innov(m, s, nu, S, H, PHt);
}

static int ekf_update(const mwx_filter_t *f, const mwx_meas_model_t *m, mwx_gauss_t *s,
                      double *nis, double *loglik)
{
    double H[MWX_TRACK_MAX_Z * LA_MAX], PHt[LA_MAX * MWX_TRACK_MAX_Z];
    double nu[MWX_TRACK_MAX_Z], S[9];
    int rc = mwx_track_ekf_innov(m, s, nu, S, H, PHt);
    if (rc)
        return rc;
    return mwx_track_ekf_update_pre(m, s, nu, S, H, PHt, nis, loglik);
}

int mwx_track_ekf_update_pre(const mwx_meas_model_t *m, mwx_gauss_t *s, const double *nu,
                             const double *S, const double *H, const double *PHt,
                             double *nis, double *loglik)
{
    const int n = s->n, k = m->nz;
    double K[LA_MAX * MWX_TRACK_MAX_Z], logdet;
    double P[LA_MAX * LA_MAX], x[LA_MAX];
    double KR[LA_MAX * MWX_TRACK_MAX_Z];
    double d2;
    int rc = la_kalman_correct(PHt, S, nu, s->x, n, k, K, x, &d2, &logdet);
    if (rc)
        return rc;
    /* Joseph: P = (I-KH) P (I-KH)^T + K R K^T, in O(n^2 k) rather than O(n^3):
     * T = (I-KH) P = P - K (P H^T)^T; T (I-KH)^T = T - (T H^T) K^T. */
    {
        double T[LA_MAX * LA_MAX], THt[LA_MAX * MWX_TRACK_MAX_Z];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double a = s->P[i * n + j];
                for (int l = 0; l < k; l++)
                    a -= K[i * k + l] * PHt[j * k + l];
                T[i * n + j] = a;
            }
        la_mul_bt(T, H, THt, n, n, k); /* n x k */
        la_mul(K, m->R, KR, n, k, k);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double a = T[i * n + j];
                for (int l = 0; l < k; l++)
                    a += -THt[i * k + l] * K[j * k + l] + KR[i * k + l] * K[j * k + l];
                P[i * n + j] = a;
            }
    }
    la_symmetrize(P, n);
    if (!la_cov_ok(P, n))
        return MWX_ERANGE;
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return MWX_ERANGE;
    memcpy(s->x, x, sizeof(double) * (size_t)n);
    memcpy(s->P, P, sizeof(double) * (size_t)(n * n));
    if (nis)
        *nis = d2;
    if (loglik)
        *loglik = -0.5 * (d2 + logdet + k * log(2.0 * MWX_PI));
    return MWX_OK;
}

static const mwx_filter_t g_ekf = {"ekf", ekf_predict, ekf_update, ekf_innovation, 0, 0, 0};

const mwx_filter_t *mwx_filter_ekf(void) { return &g_ekf; }
