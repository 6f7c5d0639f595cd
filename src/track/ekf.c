/* Extended Kalman filter: linearised predict (F from the motion model) and update (H from
 * the measurement model) with the Joseph-form covariance update, symmetrised; a
 * covariance that stops being positive definite is refused (MWX_ERANGE, state kept). */
#include "mwx/track.h"
#include "ekf_internal.h"
#include "linalg.h"

#include <math.h>
#include <string.h>

/* P += (Q + Q^T) / 2 on both triangles: mwxi_la_fpft leaves P exactly symmetric, and so
 * does this. */
LA_INLINE void add_sym(double *P, const double *Q, int n)
{
    for (int i = 0; i < n; i++) {
        P[i * n + i] += Q[i * n + i];
        for (int j = i + 1; j < n; j++) {
            double q = P[i * n + j] + 0.5 * (Q[i * n + j] + Q[j * n + i]);
            P[i * n + j] = q;
            P[j * n + i] = q;
        }
    }
}

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
    mwxi_la_fpft(F, P, n);
    mm->noise(mm, s->x, dt, Q);
    if (n == MWX_TRACK_NX)
        add_sym(P, Q, MWX_TRACK_NX);
    else
        add_sym(P, Q, n);
    if (!mwxi_la_cov_ok(P, n))
        return MWX_ERANGE;
    memcpy(s->x, x, sizeof(double) * (size_t)n);
    memcpy(s->P, P, sizeof(double) * (size_t)(n * n));
    return MWX_OK;
}

/* Whether H (k x n) sees the first 3 states only (radar and IR: position), so that the
 * fixed-size paths below apply: a sum of |H| over the other columns, without branches (a
 * NaN there is not 0 either). */
static int h_pos_only(const double *H, int n, int k)
{
    double z = 0.0;
    for (int l = 0; l < k; l++)
        for (int c = 3; c < n; c++)
            z += fabs(H[l * n + c]);
    return z == 0.0;
}

/* P H^T and H P H^T for the built-in state when H sees the first 3 states only. */
LA_INLINE void innov8(const double *P, const double *H, int k, double *PHt, double *S)
{
    enum { N = MWX_TRACK_NX, HC = 3 };
    for (int i = 0; i < N; i++)
        for (int l = 0; l < k; l++) {
            double a = 0.0;
            for (int c = 0; c < HC; c++)
                a += P[i * N + c] * H[l * N + c];
            PHt[i * k + l] = a;
        }
    for (int l = 0; l < k; l++)
        for (int q = l; q < k; q++) {
            double a = 0.0;
            for (int c = 0; c < HC; c++)
                a += H[l * N + c] * PHt[c * k + q];
            S[l * k + q] = a;
            S[q * k + l] = a;
        }
}

/* nu, S, H and P H^T for the current state. */
int mwxi_track_ekf_innov(const mwx_meas_model_t *m, const mwx_gauss_t *s, double *nu, double *S,
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
    if (n == MWX_TRACK_NX && h_pos_only(H, n, k)) {
        /* the built-in state seen through position only: fixed bounds */
        if (k == 3)
            innov8(s->P, H, 3, PHt, S);
        else
            innov8(s->P, H, k, PHt, S);
    } else {
        mwxi_la_mul_bt(s->P, H, PHt, n, n, k); /* n x k */
        mwxi_la_mul(H, PHt, S, k, n, k);       /* k x k */
    }
    for (int i = 0; i < k * k; i++)
        S[i] += m->R[i];
    mwxi_la_symmetrize(S, k);
    for (int i = 0; i < k; i++)
        if (!isfinite(nu[i]))
            return MWX_ERANGE;
    return MWX_OK;
}

static int ekf_innovation(const mwx_filter_t *f, const mwx_meas_model_t *m, const mwx_gauss_t *s,
                          double *nu, double *S)
{
    double H[MWX_TRACK_MAX_Z * LA_MAX], PHt[LA_MAX * MWX_TRACK_MAX_Z];
    return mwxi_track_ekf_innov(m, s, nu, S, H, PHt);
}

static int ekf_update(const mwx_filter_t *f, const mwx_meas_model_t *m, mwx_gauss_t *s, double *nis,
                      double *loglik)
{
    double H[MWX_TRACK_MAX_Z * LA_MAX], PHt[LA_MAX * MWX_TRACK_MAX_Z];
    double nu[MWX_TRACK_MAX_Z], S[9];
    int rc = mwxi_track_ekf_innov(m, s, nu, S, H, PHt);
    if (rc)
        return rc;
    return mwxi_track_ekf_update_pre(m, s, nu, S, H, PHt, nis, loglik);
}

/* The same Joseph update for the built-in state when H sees the first 3 states only:
 * T is needed in the columns H sees and in the upper triangle; the result's upper
 * triangle is mirrored (exactly symmetric). About half the work of the general form. */
LA_INLINE void joseph8(const double *P0, const double *K, const double *C, const double *H,
                       const double *R, int k, double *P)
{
    enum { N = MWX_TRACK_NX, HC = 3, KZ = MWX_TRACK_MAX_Z };
    double T[N * N], M[N * KZ];
    for (int i = 0; i < N; i++) {
        /* columns 0..HC-1 for every row, then the rest of the upper triangle */
        for (int j = 0; j < HC; j++) {
            double a = P0[i * N + j];
            for (int l = 0; l < k; l++)
                a -= K[i * k + l] * C[j * k + l];
            T[i * N + j] = a;
        }
        for (int j = i > HC ? i : HC; j < N; j++) {
            double a = P0[i * N + j];
            for (int l = 0; l < k; l++)
                a -= K[i * k + l] * C[j * k + l];
            T[i * N + j] = a;
        }
    }
    /* M = T H^T - K R */
    for (int i = 0; i < N; i++)
        for (int l = 0; l < k; l++) {
            double a = 0.0;
            for (int c = 0; c < HC; c++)
                a += T[i * N + c] * H[l * N + c];
            for (int q = 0; q < k; q++)
                a -= K[i * k + q] * R[q * k + l];
            M[i * KZ + l] = a;
        }
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++) {
            double a = T[i * N + j];
            for (int l = 0; l < k; l++)
                a -= M[i * KZ + l] * K[j * k + l];
            P[i * N + j] = a;
            P[j * N + i] = a;
        }
}

int mwxi_track_ekf_update_pre(const mwx_meas_model_t *m, mwx_gauss_t *s, const double *nu,
                              const double *S, const double *H, const double *PHt, double *nis,
                              double *loglik)
{
    const int n = s->n, k = m->nz;
    double K[LA_MAX * MWX_TRACK_MAX_Z], logdet;
    double P[LA_MAX * LA_MAX], x[LA_MAX];
    double KR[LA_MAX * MWX_TRACK_MAX_Z];
    double d2;
    int rc = mwxi_la_kalman_correct(PHt, S, nu, s->x, n, k, K, x, &d2, &logdet);
    if (rc)
        return rc;
    /* Joseph: P = (I-KH) P (I-KH)^T + K R K^T, in O(n^2 k) rather than O(n^3):
     * T = (I-KH) P = P - K (P H^T)^T; T (I-KH)^T + K R K^T = T - (T H^T - K R) K^T. */
    if (n == MWX_TRACK_NX && k == 3 && h_pos_only(H, n, k))
        joseph8(s->P, K, PHt, H, m->R, 3, P);
    else if (n == MWX_TRACK_NX && h_pos_only(H, n, k))
        joseph8(s->P, K, PHt, H, m->R, k, P);
    else {
        double T[LA_MAX * LA_MAX], THt[LA_MAX * MWX_TRACK_MAX_Z];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double a = s->P[i * n + j];
                for (int l = 0; l < k; l++)
                    a -= K[i * k + l] * PHt[j * k + l];
                T[i * n + j] = a;
            }
        mwxi_la_mul_bt(T, H, THt, n, n, k); /* n x k */
        mwxi_la_mul(K, m->R, KR, n, k, k);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double a = T[i * n + j];
                for (int l = 0; l < k; l++)
                    a += -THt[i * k + l] * K[j * k + l] + KR[i * k + l] * K[j * k + l];
                P[i * n + j] = a;
            }
        mwxi_la_symmetrize(P, n);
    }
    if (!mwxi_la_cov_ok(P, n))
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

const mwx_filter_t *mwx_filter_ekf(void)
{
    return &g_ekf;
}
