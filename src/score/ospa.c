/* Scoring building blocks (distances between a track set and the truth): optimal assignment,
 * OSPA, GOSPA, truth interpolation. */
#include "mwx/score.h"
#include "mwx/track.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The tracker's Hungarian assignment (track.h), with its workspace allocated here: the
 * score is computed offline and allocates freely. */
double mwx_score_assign(const double *cost, int rows, int cols, int *row_to_col)
{
    double total = 0;
    void *work;
    for (int i = 0; i < rows; i++)
        row_to_col[i] = -1;
    if (rows <= 0 || cols <= 0)
        return 0;
    work = malloc(mwx_assign_work_bytes(rows, cols));
    if (!work)
        return NAN;
    if (mwx_assign_hungarian(cost, rows, cols, row_to_col, &total, work,
                             mwx_assign_work_bytes(rows, cols)) != MWX_OK)
        total = NAN;
    free(work);
    return total;
}

static double dist3(const double a[3], const double b[3])
{
    double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

/* min over assignments of min(n, m) pairs of sum min(d, c)^p. */
static double cut_assignment(const double (*x)[3], int nx, const double (*y)[3], int ny, double c,
                             double p)
{
    if (nx == 0 || ny == 0)
        return 0;
    double *cost = malloc((size_t)nx * (size_t)ny * sizeof *cost);
    int *r2c = malloc((size_t)nx * sizeof *r2c);
    double total = NAN;
    if (cost && r2c) {
        for (int i = 0; i < nx; i++)
            for (int j = 0; j < ny; j++)
                cost[(size_t)i * (size_t)ny + (size_t)j] = pow(fmin(dist3(x[i], y[j]), c), p);
        total = mwx_score_assign(cost, nx, ny, r2c);
    }
    free(cost);
    free(r2c);
    return total;
}

double mwx_score_ospa(const double (*x)[3], int nx, const double (*y)[3], int ny, double c,
                      double p)
{
    int n = nx > ny ? nx : ny, m = nx > ny ? ny : nx;
    if (n == 0)
        return 0;
    double s = cut_assignment(x, nx, y, ny, c, p);
    return pow((s + pow(c, p) * (n - m)) / n, 1.0 / p);
}

double mwx_score_gospa(const double (*x)[3], int nx, const double (*y)[3], int ny, double c,
                       double p, double alpha)
{
    int n = nx > ny ? nx : ny, m = nx > ny ? ny : nx;
    if (n == 0)
        return 0;
    double s = cut_assignment(x, nx, y, ny, c, p);
    return pow(s + pow(c, p) / alpha * (n - m), 1.0 / p);
}

int mwx_score_truth_at(const mwx_rec_truth_t *s, size_t n, double t, double pos[3], double vel[3])
{
    if (n == 0 || !(t >= s[0].t) || !(t <= s[n - 1].t))
        return MWX_ERANGE;
    /* Last sample with s.t <= t. */
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (s[mid].t <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    const mwx_rec_truth_t *a = &s[lo];
    if (lo == n - 1 || t == a->t || !(s[lo + 1].t > a->t)) {
        memcpy(pos, a->ecef_m, sizeof a->ecef_m);
        if (vel)
            memcpy(vel, a->vel_mps, sizeof a->vel_mps);
        return MWX_OK;
    }
    const mwx_rec_truth_t *b = &s[lo + 1];
    double h = b->t - a->t, u = (t - a->t) / h, u2 = u * u, u3 = u2 * u;
    double h00 = 2 * u3 - 3 * u2 + 1, h10 = u3 - 2 * u2 + u, h01 = -2 * u3 + 3 * u2, h11 = u3 - u2;
    double d00 = 6 * u2 - 6 * u, d10 = 3 * u2 - 4 * u + 1, d01 = -6 * u2 + 6 * u,
           d11 = 3 * u2 - 2 * u;
    for (int k = 0; k < 3; k++) {
        pos[k] = h00 * a->ecef_m[k] + h10 * h * a->vel_mps[k] + h01 * b->ecef_m[k] +
                 h11 * h * b->vel_mps[k];
        if (vel)
            vel[k] = (d00 * a->ecef_m[k] + d01 * b->ecef_m[k]) / h + d10 * a->vel_mps[k] +
                     d11 * b->vel_mps[k];
    }
    return MWX_OK;
}
