/* pcrlb: the mwx tracker's filters against the posterior Cramer-Rao lower bound on the
 * classic re-entry problem of Farina, Ristic & Benvenuti, "Tracking a ballistic target:
 * comparison of several nonlinear filters", IEEE TAES 38(3), 2002.
 *
 * Problem (the paper's): flat Earth, a radar at the origin measures range and elevation
 * every T = 2 s (sigma_r = 100 m, sigma_el = 0.017 rad) of a re-entering body with known
 * ballistic coefficient beta = 40 000 N/m^2 (drag deceleration g rho(h) V^2 / (2 beta)),
 * starting at 232 km down-range, 88 km altitude, 2290 m/s on a 190 deg heading; gravity
 * 9.81 m/s^2. State s = [x, vx, h, vh]. Discrete dynamics (the paper's):
 *     s(k+1) = Phi s(k) + G [ f(s(k)) + (0, -g) ] + w(k),
 *     f(s) = -(g rho(h) V / (2 beta)) (vx, vh),  Phi = I + T d/dpos, G = [T^2/2; T] per axis,
 * w ~ N(0, Q), Q = q [T^3/3 T^2/2; T^2/2 T] per axis. Density: the two-piece exponential
 * the paper takes from Zarchan, rho = 1.227 exp(-1.093e-4 h) below 9144 m and
 * 1.754 exp(-1.49e-4 h) above (--single-exp: 1.227 exp(-1.093e-4 h) everywhere).
 *
 * Bound: Tichavsky, Muravchik & Nehorai (1998) recursion for additive Gaussian noise,
 *     J(k+1) = D22 - D21 (J(k) + D11)^-1 D12,
 *     D11 = E[F' Q^-1 F], D12 = D21' = -E[F]' Q^-1, D22 = Q^-1 + E[H' R^-1 H(k+1)],
 * J(0) = P0^-1 + E[H' R^-1 H(0)], expectations by Monte Carlo over the same truth
 * realisations the filters run on (initial state drawn from N(s0, P0), process noise).
 *
 * Filters: mwx_filter_ekf() and mwx_filter_ukf() of include/mwx/track.h, driven through
 * the track.h interfaces with this file's 2-D motion model (the paper's map above, its
 * Jacobian and Q) and range/elevation measurement model; both start at s0 with P0.
 *
 * Output: per step, RMSE / sqrt(PCRLB) for position and velocity for each filter, and a
 * summary over the steps after convergence (t >= 20 s). Goal: <= 1.2.
 *
 *   pcrlb [--runs N] [--seed S] [--single-exp] [--quiet]
 */
#include "mwx/track.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NX   4
#define NZ   2
#define KMAX 64

typedef struct prob {
    double T, g, beta, q;
    double sigma_r, sigma_el;
    int single_exp;
    double s0[NX];
    double P0[NX * NX];
} prob_t;

/* ------------------------------------------------------------------ small linear algebra */

static void mat_mul(const double *a, const double *b, double *c, int n, int m, int p)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++) {
            double s = 0;
            for (int k = 0; k < m; k++)
                s += a[i * m + k] * b[k * p + j];
            c[i * p + j] = s;
        }
}

static void mat_t(const double *a, double *t, int n, int m)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            t[j * n + i] = a[i * m + j];
}

/* Gauss-Jordan with partial pivoting; -1 when singular. */
static int mat_inv(const double *a, double *inv, int n)
{
    double m[NX * 2 * NX];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 2 * n; j++)
            m[i * 2 * n + j] = j < n ? a[i * n + j] : (j - n == i);
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(m[r * 2 * n + c]) > fabs(m[p * 2 * n + c]))
                p = r;
        if (!(fabs(m[p * 2 * n + c]) > 0))
            return -1;
        for (int j = 0; j < 2 * n; j++) {
            double t = m[c * 2 * n + j];
            m[c * 2 * n + j] = m[p * 2 * n + j];
            m[p * 2 * n + j] = t;
        }
        double d = m[c * 2 * n + c];
        for (int j = 0; j < 2 * n; j++)
            m[c * 2 * n + j] /= d;
        for (int r = 0; r < n; r++)
            if (r != c) {
                double f = m[r * 2 * n + c];
                for (int j = 0; j < 2 * n; j++)
                    m[r * 2 * n + j] -= f * m[c * 2 * n + j];
            }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            inv[i * n + j] = m[i * 2 * n + n + j];
    return 0;
}

/* ------------------------------------------------------------------ the model */

static void density(const prob_t *p, double h, double *rho, double *c2)
{
    if (p->single_exp || h < 9144.0) {
        *c2 = 1.093e-4;
        *rho = 1.227 * exp(-*c2 * h);
    } else {
        *c2 = 1.49e-4;
        *rho = 1.754 * exp(-*c2 * h);
    }
}

/* The paper's discrete map over dt, and its Jacobian when F is non-NULL. */
static void step(const prob_t *p, double *s, double dt, double *F)
{
    double vx = s[1], vh = s[3], V = sqrt(vx * vx + vh * vh), rho, c2;
    density(p, s[2], &rho, &c2);
    double k = p->g / (2 * p->beta);
    double a = -k * rho * V; /* f = a (vx, vh) */
    double fx = a * vx, fh = a * vh - p->g;
    if (F) {
        /* d a / d h = -c2 a; d a / d vx = -k rho vx / V; d a / d vh = -k rho vh / V */
        double da_h = -c2 * a, da_vx = V > 0 ? -k * rho * vx / V : 0,
               da_vh = V > 0 ? -k * rho * vh / V : 0;
        double J[2][NX] = {{0, a + vx * da_vx, vx * da_h, vx * da_vh},
                           {0, vh * da_vx, vh * da_h, a + vh * da_vh}};
        memset(F, 0, sizeof(double) * NX * NX);
        for (int i = 0; i < NX; i++)
            F[i * NX + i] = 1;
        F[0 * NX + 1] = dt;
        F[2 * NX + 3] = dt;
        for (int j = 0; j < NX; j++) {
            F[0 * NX + j] += 0.5 * dt * dt * J[0][j];
            F[1 * NX + j] += dt * J[0][j];
            F[2 * NX + j] += 0.5 * dt * dt * J[1][j];
            F[3 * NX + j] += dt * J[1][j];
        }
    }
    s[0] += dt * vx + 0.5 * dt * dt * fx;
    s[1] += dt * fx;
    s[2] += dt * vh + 0.5 * dt * dt * fh;
    s[3] += dt * fh;
}

static void process_noise(const prob_t *p, double dt, double *Q)
{
    memset(Q, 0, sizeof(double) * NX * NX);
    for (int ax = 0; ax < 2; ax++) {
        int i = 2 * ax;
        Q[i * NX + i] = p->q * dt * dt * dt / 3;
        Q[i * NX + i + 1] = Q[(i + 1) * NX + i] = p->q * dt * dt / 2;
        Q[(i + 1) * NX + i + 1] = p->q * dt;
    }
}

static void measure(const double *s, double z[NZ], double *H)
{
    double x = s[0], h = s[2], r2 = x * x + h * h, r = sqrt(r2);
    z[0] = r;
    z[1] = atan2(h, x);
    if (H) {
        memset(H, 0, sizeof(double) * NZ * NX);
        H[0 * NX + 0] = x / r;
        H[0 * NX + 2] = h / r;
        H[1 * NX + 0] = -h / r2;
        H[1 * NX + 2] = x / r2;
    }
}

/* ------------------------------------------------------------------ track.h adapters */

static int mm_propagate(const mwx_motion_model_t *m, double *x, double dt, double *F)
{
    const prob_t *p = m->ctx;
    step(p, x, dt, F);
    for (int i = 0; i < NX; i++)
        if (!isfinite(x[i]))
            return MWX_ERANGE;
    return MWX_OK;
}

static void mm_noise(const mwx_motion_model_t *m, const double *x, double dt, double *Q)
{
    process_noise(m->ctx, dt, Q);
}

static void me_h(const mwx_meas_model_t *m, const double *x, int nx, double *z, double *H)
{
    measure(x, z, H);
}

static void me_diff(const mwx_meas_model_t *m, const double *a, const double *b, double *out)
{
    out[0] = a[0] - b[0];
    out[1] = mwx_wrap_pi(a[1] - b[1]);
}

/* ------------------------------------------------------------------ random numbers */

typedef struct rng {
    uint64_t s;
} rng_t;

static double urand(rng_t *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double nrand(rng_t *r)
{
    return sqrt(-2 * log(urand(r))) * cos(2 * MWX_PI * urand(r));
}

/* x += L n, L the lower Cholesky factor of the n x n C. */
static void add_gauss(rng_t *r, const double *C, double *x, int n)
{
    double L[NX * NX] = {0}, z[NX];
    for (int j = 0; j < n; j++) {
        double d = C[j * n + j];
        for (int k = 0; k < j; k++)
            d -= L[j * n + k] * L[j * n + k];
        L[j * n + j] = sqrt(d > 0 ? d : 0);
        for (int i = j + 1; i < n; i++) {
            double s = C[i * n + j];
            for (int k = 0; k < j; k++)
                s -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = L[j * n + j] > 0 ? s / L[j * n + j] : 0;
        }
    }
    for (int i = 0; i < n; i++)
        z[i] = nrand(r);
    for (int i = 0; i < n; i++)
        for (int k = 0; k <= i; k++)
            x[i] += L[i * n + k] * z[k];
}

/* ------------------------------------------------------------------ the run */

typedef struct acc {
    double se_pos[KMAX + 1], se_vel[KMAX + 1], nees[KMAX + 1];
    int n[KMAX + 1];
    int failed;
} acc_t;

static void run_filter(const mwx_filter_t *f, const prob_t *p, const double (*truth)[NX],
                       const double (*z)[NZ], int K, acc_t *acc)
{
    mwx_motion_model_t mm;
    memset(&mm, 0, sizeof mm);
    mm.name = "reentry-2d";
    mm.nx = NX;
    mm.propagate = mm_propagate;
    mm.noise = mm_noise;
    mm.ctx = (void *)p;
    mwx_meas_model_t me;
    memset(&me, 0, sizeof me);
    me.name = "range-elevation";
    me.nz = NZ;
    me.h = me_h;
    me.diff = me_diff;
    me.R[0] = p->sigma_r * p->sigma_r;
    me.R[3] = p->sigma_el * p->sigma_el;
    mwx_gauss_t s;
    memset(&s, 0, sizeof s);
    s.n = NX;
    memcpy(s.x, p->s0, sizeof p->s0);
    memcpy(s.P, p->P0, sizeof p->P0);
    for (int k = 0; k <= K; k++) {
        if (k > 0 && f->predict(f, &mm, &s, p->T) != 0) {
            acc->failed++;
            return;
        }
        me.z[0] = z[k][0];
        me.z[1] = z[k][1];
        if (f->update(f, &me, &s, NULL, NULL) != 0) {
            acc->failed++;
            return;
        }
        double e[NX], Pi[NX * NX], q = 0;
        for (int i = 0; i < NX; i++)
            e[i] = s.x[i] - truth[k][i];
        acc->se_pos[k] += e[0] * e[0] + e[2] * e[2];
        acc->se_vel[k] += e[1] * e[1] + e[3] * e[3];
        if (mat_inv(s.P, Pi, NX) == 0)
            for (int i = 0; i < NX; i++)
                for (int j = 0; j < NX; j++)
                    q += e[i] * Pi[i * NX + j] * e[j];
        acc->nees[k] += q;
        acc->n[k]++;
    }
}

typedef struct summary {
    double mean[4], max[4];           /* EKF pos, UKF pos, EKF vel, UKF vel */
    double cond_mean[2], cond_max[2]; /* EKF pos, vel against the per-realisation bound */
    int failed[2], n_steps, K;
} summary_t;

/* One Monte Carlo experiment with prior sigmas sp (m) and sv (m/s); prints the per-step
 * table when table is set. */
static int run_case(prob_t *p, double sp, double sv, int runs, uint64_t seed, int table,
                    summary_t *out)
{
    const double v0 = 2290.0, gam0 = 190.0 * MWX_DEG;
    const double s0[NX] = {232e3, v0 * cos(gam0), 88e3, v0 * sin(gam0)};
    memcpy(p->s0, s0, sizeof s0);
    memset(p->P0, 0, sizeof p->P0);
    p->P0[0] = p->P0[2 * NX + 2] = sp * sp;
    p->P0[1 * NX + 1] = p->P0[3 * NX + 3] = sv * sv;
    memset(out, 0, sizeof *out);

    /* Steps: while the nominal (noise-free) body stays above 5 km. */
    int K = 0;
    {
        double s[NX];
        memcpy(s, s0, sizeof s);
        while (K < KMAX) {
            step(p, s, p->T, NULL);
            if (s[2] < 5000.0)
                break;
            K++;
        }
    }
    out->K = K;

    double Q[NX * NX], Qi[NX * NX],
        Ri[NZ * NZ] = {1 / (p->sigma_r * p->sigma_r), 0, 0, 1 / (p->sigma_el * p->sigma_el)};
    process_noise(p, p->T, Q);
    if (mat_inv(Q, Qi, NX) != 0)
        return -1;
    static double D11[KMAX][NX * NX], D12[KMAX][NX * NX], D22[KMAX][NX * NX];
    static acc_t acc_ekf, acc_ukf;
    static double truth[KMAX + 1][NX], z[KMAX + 1][NZ];
    /* Per-realisation bound (Riccati along that truth, Jacobians at the truth), averaged:
     * E[J_m^-1] >= (E[J_m])^-1 (Jensen), so it is tighter than the PCRLB when the
     * information differs between realisations. */
    static double cond_pos[KMAX + 1], cond_vel[KMAX + 1];
    double J0[NX * NX] = {0}, alt_mean[KMAX + 1] = {0}, speed_mean[KMAX + 1] = {0};
    memset(D11, 0, sizeof D11);
    memset(D12, 0, sizeof D12);
    memset(D22, 0, sizeof D22);
    memset(&acc_ekf, 0, sizeof acc_ekf);
    memset(&acc_ukf, 0, sizeof acc_ukf);
    memset(cond_pos, 0, sizeof cond_pos);
    memset(cond_vel, 0, sizeof cond_vel);
    rng_t rng = {seed};
    const mwx_filter_t *ekf = mwx_filter_ekf(), *ukf = mwx_filter_ukf();

    for (int m = 0; m < runs; m++) {
        memcpy(truth[0], s0, sizeof s0);
        add_gauss(&rng, p->P0, truth[0], NX);
        for (int k = 1; k <= K; k++) {
            memcpy(truth[k], truth[k - 1], sizeof truth[k]);
            step(p, truth[k], p->T, NULL);
            add_gauss(&rng, Q, truth[k], NX);
        }
        double Jc[NX * NX], C[NX * NX];
        for (int k = 0; k <= K; k++) {
            double H[NZ * NX], Ht[NX * NZ], HtRi[NX * NZ], I[NX * NX];
            measure(truth[k], z[k], H);
            z[k][0] += p->sigma_r * nrand(&rng);
            z[k][1] += p->sigma_el * nrand(&rng);
            alt_mean[k] += truth[k][2] / runs;
            speed_mean[k] += hypot(truth[k][1], truth[k][3]) / runs;
            /* Information of measurement k: into J0 (k = 0) or D22 of step k-1. */
            mat_t(H, Ht, NZ, NX);
            mat_mul(Ht, Ri, HtRi, NX, NZ, NZ);
            mat_mul(HtRi, H, I, NX, NZ, NX);
            double *dst = k == 0 ? J0 : D22[k - 1];
            for (int i = 0; i < NX * NX; i++)
                dst[i] += I[i] / runs;
            double F[NX * NX], Ft[NX * NX], s[NX];
            if (k < K) {
                double FtQi[NX * NX], FtQiF[NX * NX];
                memcpy(s, truth[k], sizeof s);
                step(p, s, p->T, F);
                mat_t(F, Ft, NX, NX);
                mat_mul(Ft, Qi, FtQi, NX, NX, NX);
                mat_mul(FtQi, F, FtQiF, NX, NX, NX);
                for (int i = 0; i < NX * NX; i++) {
                    D11[k][i] += FtQiF[i] / runs;
                    D12[k][i] -= FtQi[i] / runs;
                }
            }
            /* Per-realisation Riccati: J = (F J^-1 F' + Q)^-1 + H' R^-1 H. */
            if (k == 0) {
                mat_inv(p->P0, C, NX);
            } else {
                double FC[NX * NX], P[NX * NX];
                memcpy(s, truth[k - 1], sizeof s);
                step(p, s, p->T, F);
                mat_t(F, Ft, NX, NX);
                mat_inv(Jc, C, NX);
                mat_mul(F, C, FC, NX, NX, NX);
                mat_mul(FC, Ft, P, NX, NX, NX);
                for (int i = 0; i < NX * NX; i++)
                    P[i] += Q[i];
                mat_inv(P, C, NX);
            }
            for (int i = 0; i < NX * NX; i++)
                Jc[i] = C[i] + I[i];
            mat_inv(Jc, C, NX);
            cond_pos[k] += (C[0] + C[2 * NX + 2]) / runs;
            cond_vel[k] += (C[1 * NX + 1] + C[3 * NX + 3]) / runs;
        }
        run_filter(ekf, p, (const double(*)[NX])truth, (const double(*)[NZ])z, K, &acc_ekf);
        run_filter(ukf, p, (const double(*)[NX])truth, (const double(*)[NZ])z, K, &acc_ukf);
    }

    /* The recursion. */
    double J[NX * NX], P0i[NX * NX], crlb_pos[KMAX + 1], crlb_vel[KMAX + 1];
    if (mat_inv(p->P0, P0i, NX) != 0)
        return -1;
    for (int i = 0; i < NX * NX; i++)
        J[i] = P0i[i] + J0[i];
    for (int k = 0; k <= K; k++) {
        double C[NX * NX];
        if (mat_inv(J, C, NX) != 0)
            return -1;
        crlb_pos[k] = sqrt(C[0] + C[2 * NX + 2]);
        crlb_vel[k] = sqrt(C[1 * NX + 1] + C[3 * NX + 3]);
        if (k == K)
            break;
        double A[NX * NX], Ai[NX * NX], D21[NX * NX], T1[NX * NX], T2[NX * NX];
        for (int i = 0; i < NX * NX; i++)
            A[i] = J[i] + D11[k][i];
        if (mat_inv(A, Ai, NX) != 0)
            return -1;
        mat_t(D12[k], D21, NX, NX);
        mat_mul(D21, Ai, T1, NX, NX, NX);
        mat_mul(T1, D12[k], T2, NX, NX, NX);
        for (int i = 0; i < NX * NX; i++)
            J[i] = D22[k][i] + Qi[i] - T2[i];
    }

    if (table)
        printf("  k    t_s  alt_km speed_mps | pcrlb_pos_m ekf/pcrlb ukf/pcrlb | pcrlb_vel_mps "
               "ekf/pcrlb ukf/pcrlb | ekf/cond pos vel | nees ekf ukf\n");
    const int k_conv = (int)ceil(20.0 / p->T);
    for (int k = 0; k <= K; k++) {
        if (acc_ekf.n[k] == 0 || acc_ukf.n[k] == 0)
            continue;
        double re_p = sqrt(acc_ekf.se_pos[k] / acc_ekf.n[k]);
        double ru_p = sqrt(acc_ukf.se_pos[k] / acc_ukf.n[k]);
        double re_v = sqrt(acc_ekf.se_vel[k] / acc_ekf.n[k]);
        double ru_v = sqrt(acc_ukf.se_vel[k] / acc_ukf.n[k]);
        double r[4] = {re_p / crlb_pos[k], ru_p / crlb_pos[k], re_v / crlb_vel[k],
                       ru_v / crlb_vel[k]};
        double c[2] = {re_p / sqrt(cond_pos[k]), re_v / sqrt(cond_vel[k])};
        if (table)
            printf("  %2d %6.1f %7.2f %9.0f | %11.1f %9.3f %9.3f | %13.2f %9.3f %9.3f | "
                   "%8.3f %6.3f | %6.2f %6.2f\n",
                   k, k * p->T, alt_mean[k] / 1000, speed_mean[k], crlb_pos[k], r[0], r[1],
                   crlb_vel[k], r[2], r[3], c[0], c[1], acc_ekf.nees[k] / acc_ekf.n[k],
                   acc_ukf.nees[k] / acc_ukf.n[k]);
        if (k >= k_conv) {
            for (int i = 0; i < 4; i++) {
                out->mean[i] += r[i];
                out->max[i] = fmax(out->max[i], r[i]);
            }
            for (int i = 0; i < 2; i++) {
                out->cond_mean[i] += c[i];
                out->cond_max[i] = fmax(out->cond_max[i], c[i]);
            }
            out->n_steps++;
        }
    }
    for (int i = 0; out->n_steps && i < 4; i++)
        out->mean[i] /= out->n_steps;
    for (int i = 0; out->n_steps && i < 2; i++)
        out->cond_mean[i] /= out->n_steps;
    out->failed[0] = acc_ekf.failed;
    out->failed[1] = acc_ukf.failed;
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 1000, quiet = 0;
    double sp = 200.0, sv = 10.0; /* prior sigma per axis: position m, velocity m/s */
    uint64_t seed = 2002;
    prob_t p = {
        .T = 2.0, .g = 9.81, .beta = 40000.0, .q = 1.0, .sigma_r = 100.0, .sigma_el = 0.017};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--prior") == 0 && i + 2 < argc) {
            sp = atof(argv[++i]);
            sv = atof(argv[++i]);
        } else if (strcmp(argv[i], "--single-exp") == 0)
            p.single_exp = 1;
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else {
            fprintf(stderr, "usage: pcrlb [--runs N] [--seed S] [--prior SIGMA_M SIGMA_MPS] "
                            "[--single-exp] [--quiet]\n");
            return 2;
        }
    }
    if (runs < 2)
        runs = 2;
    if (!(sp > 0) || !(sv > 0)) {
        fprintf(stderr, "pcrlb: --prior needs two positive sigmas\n");
        return 2;
    }

    printf("pcrlb: re-entry tracking (Farina, Ristic & Benvenuti 2002) vs the posterior CRLB\n");
    printf("  radar at origin, range + elevation, sigma_r = %.0f m, sigma_el = %.3f rad, "
           "T = %.0f s\n",
           p.sigma_r, p.sigma_el, p.T);
    printf("  beta = %.0f N/m^2, q = %.1f m^2/s^3, start 232 km / 88 km / 2290 m/s at 190 deg,"
           " density %s\n",
           p.beta, p.q, p.single_exp ? "1.227 exp(-1.093e-4 h)" : "two-piece (Zarchan)");
    printf("  filters: mwx_filter_ekf() and mwx_filter_ukf() (include/mwx/track.h), started "
           "at the prior mean\n");
    printf("  truth: initial state ~ N(s0, P0), process noise Q; %d Monte Carlo runs, seed "
           "%llu\n",
           runs, (unsigned long long)seed);
    printf("  ratios: Monte Carlo RMSE / sqrt(bound); pcrlb = Tichavsky recursion over the "
           "realisations;\n  cond = the mean per-realisation bound (Jacobians of that truth)\n\n");

    summary_t sm;
    printf("main case: prior P0 = diag(%.0f m, %.0f m/s)^2 per axis\n", sp, sv);
    if (run_case(&p, sp, sv, runs, seed, !quiet, &sm) != 0) {
        fprintf(stderr, "pcrlb: singular information matrix\n");
        return 3;
    }
    const double t_conv = ceil(20.0 / p.T) * p.T;
    printf("\nsummary over t >= %.0f s (%d steps to 5 km altitude): mean (max) of the ratio\n",
           t_conv, sm.n_steps);
    printf("  EKF  position %.3f (%.3f)  velocity %.3f (%.3f)  vs cond: %.3f (%.3f) "
           "%.3f (%.3f)  failed %d\n",
           sm.mean[0], sm.max[0], sm.mean[2], sm.max[2], sm.cond_mean[0], sm.cond_max[0],
           sm.cond_mean[1], sm.cond_max[1], sm.failed[0]);
    printf("  UKF  position %.3f (%.3f)  velocity %.3f (%.3f)  failed %d\n", sm.mean[1], sm.max[1],
           sm.mean[3], sm.max[3], sm.failed[1]);
    printf("  goal: EKF RMSE / sqrt(PCRLB) <= 1.2 at every step after convergence: %s\n",
           sm.max[0] <= 1.2 && sm.max[2] <= 1.2 ? "met" : "NOT met");

    /* How the PCRLB loosens when the prior is broad: realisations then meet the dense air
     * at different times, the drag information differs between them, and the averaged
     * information overstates what any one realisation offers. */
    static const double priors[][2] = {{100, 5},   {200, 10},  {500, 20},
                                       {1000, 20}, {1000, 50}, {1000, 100}};
    printf("\nprior sweep (same seed; t >= %.0f s): EKF ratio mean (max)\n", t_conv);
    printf("  sigma_p_m sigma_v_mps | pos/pcrlb       vel/pcrlb       | pos/cond        "
           "vel/cond\n");
    for (size_t i = 0; i < sizeof priors / sizeof priors[0]; i++) {
        summary_t s;
        if (run_case(&p, priors[i][0], priors[i][1], runs, seed, 0, &s) != 0)
            return 3;
        printf("  %9.0f %11.0f | %.3f (%.3f)   %.3f (%.3f)   | %.3f (%.3f)   %.3f (%.3f)\n",
               priors[i][0], priors[i][1], s.mean[0], s.max[0], s.mean[2], s.max[2], s.cond_mean[0],
               s.cond_max[0], s.cond_mean[1], s.cond_max[1]);
    }
    return 0;
}
