/* Small dense linear algebra for the tracker (see linalg.h). */
#include "linalg.h"

#include <math.h>
#include <string.h>

static void mul8(const double *A, const double *B, double *C)
{
    enum { N = 8 };
    for (int i = 0; i < N; i++) {
        double row[N] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int k = 0; k < N; k++) {
            double a = A[i * N + k];
            if (a == 0.0)
                continue;
            for (int j = 0; j < N; j++)
                row[j] += a * B[k * N + j];
        }
        for (int j = 0; j < N; j++)
            C[i * N + j] = row[j];
    }
}

void mwxi_la_mul(const double *A, const double *B, double *C, int n, int m, int p)
{
    if (n == 8 && m == 8 && p == 8) {
        mul8(A, B, C);
        return;
    }
    /* i-k-j order, skipping the zeros of A (the dynamics' Jacobians are sparse) */
    for (int i = 0; i < n * p; i++)
        C[i] = 0.0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < m; k++) {
            double a = A[i * m + k];
            if (a == 0.0)
                continue;
            for (int j = 0; j < p; j++)
                C[i * p + j] += a * B[k * p + j];
        }
}

void mwxi_la_mul_bt(const double *A, const double *B, double *C, int n, int m, int p)
{
    /* skip the zero columns of B's rows (measurement Jacobians see position only) */
    int last = 0;
    for (int j = 0; j < p; j++)
        for (int k = 0; k < m; k++)
            if (B[j * m + k] != 0.0 && k + 1 > last)
                last = k + 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++) {
            double s = 0.0;
            for (int k = 0; k < last; k++)
                s += A[i * m + k] * B[j * m + k];
            C[i * p + j] = s;
        }
}

/* The same for the built-in 8-state: constant bounds let the compiler unroll. The
 * built-in motion models' F has row 6 = F[6][6] e_6 (thrust) and row 7 = e_7 (kappa), so
 * only its first 6 rows G need products: F P F^T = [G P G^T, (G P)_6 F66, (G P)_7; ...]
 * (about 550 multiply-adds instead of 1000). Any other F takes the dense path. The upper
 * triangle is mirrored: the result is exactly symmetric. */
static void fpft8(const double *F, double *P)
{
    enum { N = 8, G = 6 };
    double T[N * N];
    int special = F[7 * N + 7] == 1.0;
    for (int j = 0; j < N && special; j++)
        special = (j == 6 || F[6 * N + j] == 0.0) && (j == 7 || F[7 * N + j] == 0.0);
    if (special) {
        double f66 = F[6 * N + 6], p66 = P[6 * N + 6], p67 = P[6 * N + 7], p77 = P[7 * N + 7];
        for (int i = 0; i < G; i++)
            for (int j = 0; j < N; j++) {
                double a = 0.0;
                for (int k = 0; k < N; k++)
                    a += F[i * N + k] * P[k * N + j];
                T[i * N + j] = a;
            }
        for (int i = 0; i < G; i++) {
            for (int j = i; j < G; j++) {
                double a = 0.0;
                for (int k = 0; k < N; k++)
                    a += T[i * N + k] * F[j * N + k];
                P[i * N + j] = a;
                P[j * N + i] = a;
            }
            P[i * N + 6] = P[6 * N + i] = T[i * N + 6] * f66;
            P[i * N + 7] = P[7 * N + i] = T[i * N + 7];
        }
        P[6 * N + 6] = f66 * f66 * p66;
        P[6 * N + 7] = P[7 * N + 6] = f66 * p67;
        P[7 * N + 7] = p77;
        return;
    }
    for (int i = 0; i < N; i++) {
        double row[N] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int k = 0; k < N; k++) {
            double f = F[i * N + k];
            if (f == 0.0)
                continue;
            for (int j = 0; j < N; j++)
                row[j] += f * P[k * N + j];
        }
        for (int j = 0; j < N; j++)
            T[i * N + j] = row[j];
    }
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++) {
            double a = 0.0;
            for (int k = 0; k < N; k++)
                a += T[i * N + k] * F[j * N + k];
            P[i * N + j] = a;
            P[j * N + i] = a;
        }
}

void mwxi_la_fpft(const double *F, double *P, int n)
{
    double T[LA_MAX * LA_MAX];
    if (n == 8) {
        fpft8(F, P);
        return;
    }
    /* T = F P; P = T F^T, skipping the zeros of F (the built-in F is sparse). */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) {
                double f = F[i * n + k];
                if (f != 0.0)
                    s += f * P[k * n + j];
            }
            T[i * n + j] = s;
        }
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) {
                double f = F[j * n + k];
                if (f != 0.0)
                    s += T[i * n + k] * f;
            }
            P[i * n + j] = s;
            P[j * n + i] = s;
        }
}

void mwxi_la_symmetrize(double *P, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double s = 0.5 * (P[i * n + j] + P[j * n + i]);
            P[i * n + j] = s;
            P[j * n + i] = s;
        }
}

int mwxi_la_chol(const double *A, double *L, int n)
{
    memset(L, 0, sizeof(double) * (size_t)(n * n));
    for (int j = 0; j < n; j++) {
        double d = A[j * n + j];
        for (int k = 0; k < j; k++)
            d -= L[j * n + k] * L[j * n + k];
        if (!(d > 0.0) || !isfinite(d))
            return MWX_ERANGE;
        d = sqrt(d);
        L[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = A[i * n + j];
            for (int k = 0; k < j; k++)
                s -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = s / d;
        }
    }
    return MWX_OK;
}

/* The 3 x 3 case (every radar innovation) written out: the same Cholesky, inverse of L
 * and Li^T Li as below, without loops, and one log for log det. */
static int spd_inv3(const double *A, double *Ai, double *logdet)
{
    double l00, l10, l20, l11, l21, l22, d, i00, i10, i20, i11, i21, i22;
    d = A[0];
    if (!(d > 0.0) || !isfinite(d))
        return MWX_ERANGE;
    l00 = sqrt(d);
    l10 = A[3] / l00;
    l20 = A[6] / l00;
    d = A[4] - l10 * l10;
    if (!(d > 0.0) || !isfinite(d))
        return MWX_ERANGE;
    l11 = sqrt(d);
    l21 = (A[7] - l20 * l10) / l11;
    d = A[8] - l20 * l20 - l21 * l21;
    if (!(d > 0.0) || !isfinite(d))
        return MWX_ERANGE;
    l22 = sqrt(d);
    if (logdet) {
        double pr = l00 * l11 * l22;
        *logdet =
            pr > 1e-300 && pr < 1e300 ? 2.0 * log(pr) : 2.0 * (log(l00) + log(l11) + log(l22));
    }
    i00 = 1.0 / l00;
    i11 = 1.0 / l11;
    i22 = 1.0 / l22;
    i10 = -l10 * i00 / l11;
    i21 = -l21 * i11 / l22;
    i20 = -(l20 * i00 + l21 * i10) / l22;
    Ai[0] = i00 * i00 + i10 * i10 + i20 * i20;
    Ai[1] = Ai[3] = i10 * i11 + i20 * i21;
    Ai[2] = Ai[6] = i20 * i22;
    Ai[4] = i11 * i11 + i21 * i21;
    Ai[5] = Ai[7] = i21 * i22;
    Ai[8] = i22 * i22;
    return MWX_OK;
}

int mwxi_la_spd_inv(const double *A, double *Ai, int n, double *logdet)
{
    double L[LA_MAX * LA_MAX], Li[LA_MAX * LA_MAX];
    int rc;
    if (n == 3)
        return spd_inv3(A, Ai, logdet);
    rc = mwxi_la_chol(A, L, n);
    if (rc)
        return rc;
    if (logdet) {
        double s = 0.0;
        for (int i = 0; i < n; i++)
            s += 2.0 * log(L[i * n + i]);
        *logdet = s;
    }
    /* Li = L^-1 (lower), Ai = Li^T Li */
    memset(Li, 0, sizeof(double) * (size_t)(n * n));
    for (int j = 0; j < n; j++) {
        Li[j * n + j] = 1.0 / L[j * n + j];
        for (int i = j + 1; i < n; i++) {
            double s = 0.0;
            for (int k = j; k < i; k++)
                s -= L[i * n + k] * Li[k * n + j];
            Li[i * n + j] = s / L[i * n + i];
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            double s = 0.0;
            for (int k = j; k < n; k++)
                s += Li[k * n + i] * Li[k * n + j];
            Ai[i * n + j] = s;
            Ai[j * n + i] = s;
        }
    return MWX_OK;
}

/* x - x is 0 for every finite x and NaN otherwise: one branch for the whole matrix (two
 * sums, to halve the chain of dependent additions) */
LA_INLINE int cov_ok_n(const double *P, int n)
{
    double z0 = 0.0, z1 = 0.0;
    int i = 0;
    for (; i + 1 < n * n; i += 2) {
        z0 += P[i] - P[i];
        z1 += P[i + 1] - P[i + 1];
    }
    if (i < n * n)
        z0 += P[i] - P[i];
    if (z0 + z1 != 0.0)
        return 0;
    for (i = 0; i < n; i++)
        if (!(P[i * n + i] > 0.0))
            return 0;
    return 1;
}

int mwxi_la_cov_ok(const double *P, int n)
{
    return n == MWX_TRACK_NX ? cov_ok_n(P, MWX_TRACK_NX) : cov_ok_n(P, n);
}

void mwxi_la_eig2(double a, double b, double c, double *l1, double *l2, double v1[2])
{
    double tr = 0.5 * (a + c), d = sqrt(0.25 * (a - c) * (a - c) + b * b);
    *l1 = tr + d;
    *l2 = tr - d;
    if (fabs(b) > 1e-300 * (fabs(a) + fabs(c) + 1e-300)) {
        double x = *l1 - c, y = b;
        double nrm = hypot(x, y);
        v1[0] = x / nrm;
        v1[1] = y / nrm;
    } else if (a >= c) {
        v1[0] = 1.0;
        v1[1] = 0.0;
    } else {
        v1[0] = 0.0;
        v1[1] = 1.0;
    }
}

/* K = C Si, x = x0 + K nu, d2 = nu^T Si nu (see mwxi_la_kalman_correct). */
LA_INLINE void gain(const double *C, const double *Si, const double *nu, const double *x0, int n,
                    int k, double *K, double *x, double *d2)
{
    double a = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            double s = 0.0;
            for (int l = 0; l < k; l++)
                s += C[i * k + l] * Si[l * k + j];
            K[i * k + j] = s;
        }
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            a += nu[i] * Si[i * k + j] * nu[j];
    *d2 = a;
    for (int i = 0; i < n; i++) {
        double dx = 0.0;
        for (int j = 0; j < k; j++)
            dx += K[i * k + j] * nu[j];
        x[i] = x0[i] + dx;
    }
}

int mwxi_la_kalman_correct(const double *C, const double *S, const double *nu, const double *x0,
                           int n, int k, double *K, double *x, double *d2, double *logdet)
{
    double Si[MWX_TRACK_MAX_Z * MWX_TRACK_MAX_Z];
    int rc = mwxi_la_spd_inv(S, Si, k, logdet);
    if (rc)
        return rc;
    if (n == MWX_TRACK_NX && k == 3)
        gain(C, Si, nu, x0, MWX_TRACK_NX, 3, K, x, d2); /* the built-in state and radar */
    else
        gain(C, Si, nu, x0, n, k, K, x, d2);
    return 0;
}
