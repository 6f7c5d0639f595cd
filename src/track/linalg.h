/* Small dense linear algebra for the tracker (n <= MWX_TRACK_MAX_X): row-major, no
 * allocation. Internal to src/track. */
#ifndef MWX_TRACK_LINALG_H
#define MWX_TRACK_LINALG_H

#include "mwx/track.h"

#define LA_MAX MWX_TRACK_MAX_X

/* Small kernels written once with a size parameter and called with constants: forced
 * inline so that each call site gets fixed loop bounds (unrolled at -O2). */
#if defined(__GNUC__) || defined(__clang__)
#define LA_INLINE static inline __attribute__((always_inline))
#else
#define LA_INLINE static inline
#endif

/* C = A (n x m) * B (m x p) */
void mwxi_la_mul(const double *A, const double *B, double *C, int n, int m, int p);
/* C = A (n x m) * B^T (B is p x m) */
void mwxi_la_mul_bt(const double *A, const double *B, double *C, int n, int m, int p);
/* P = F P F^T (n x n), in place */
void mwxi_la_fpft(const double *F, double *P, int n);
void mwxi_la_symmetrize(double *P, int n);
/* Lower Cholesky L of the n x n SPD matrix A; MWX_ERANGE when not PD. */
int mwxi_la_chol(const double *A, double *L, int n);
/* Inverse of SPD A (n x n) into Ai, log det into *logdet (optional). */
int mwxi_la_spd_inv(const double *A, double *Ai, int n, double *logdet);
/* Guard: symmetric, finite, positive diagonal. */
int mwxi_la_cov_ok(const double *P, int n);
/* The Kalman correction both filters share: with C the state-measurement cross covariance
 * (n x k; P H^T for the EKF), S the innovation covariance (k x k) and nu the innovation,
 * K = C S^-1, x = x0 + K nu, *d2 = nu^T S^-1 nu (NIS), *logdet = log det S. Non-zero when
 * S is not positive definite. */
int mwxi_la_kalman_correct(const double *C, const double *S, const double *nu, const double *x0,
                           int n, int k, double *K, double *x, double *d2, double *logdet);
/* Eigen decomposition of a symmetric 2x2 [a b; b c]: l1 >= l2, unit v1 for l1. */
void mwxi_la_eig2(double a, double b, double c, double *l1, double *l2, double v1[2]);

#endif
