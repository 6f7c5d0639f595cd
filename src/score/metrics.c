/* Scoring building blocks: optimal assignment, OSPA, GOSPA, truth interpolation. */
#include "mwx/score.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hungarian algorithm with potentials for rows <= cols (the classic O(n^2 m) shortest
 * augmenting path form); 1-based internal arrays. */
static double assign_rows_le_cols(const double *a, int n, int m, int stride, int transposed,
                                  int *row_to_col)
{
    size_t sz = (size_t)m + 1;
    double *u = calloc((size_t)n + 1, sizeof *u), *v = calloc(sz, sizeof *v);
    double *minv = malloc(sz * sizeof *minv);
    int *p = calloc(sz, sizeof *p), *way = calloc(sz, sizeof *way);
    char *used = malloc(sz);
    double total = 0;
    if (!u || !v || !minv || !p || !way || !used) {
        total = NAN;
        goto out;
    }
#define COST(i, j) (transposed ? a[(size_t)(j) * (size_t)stride + (size_t)(i)] \
                               : a[(size_t)(i) * (size_t)stride + (size_t)(j)])
    for (int i = 1; i <= n; i++) {
        p[0] = i;
        int j0 = 0;
        for (int j = 0; j <= m; j++) {
            minv[j] = DBL_MAX;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            int i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;
            for (int j = 1; j <= m; j++)
                if (!used[j]) {
                    double cur = COST(i0 - 1, j - 1) - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            for (int j = 0; j <= m; j++)
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int j = 1; j <= m; j++)
        if (p[j]) {
            row_to_col[p[j] - 1] = j - 1;
            total += COST(p[j] - 1, j - 1);
        }
#undef COST
out:
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
    return total;
}

double mwx_score_assign(const double *cost, int rows, int cols, int *row_to_col)
{
    for (int i = 0; i < rows; i++)
        row_to_col[i] = -1;
    if (rows <= 0 || cols <= 0)
        return 0;
    if (rows <= cols)
        return assign_rows_le_cols(cost, rows, cols, cols, 0, row_to_col);
    /* More rows than columns: assign the columns to rows on the transpose. */
    int *col_to_row = malloc((size_t)cols * sizeof *col_to_row);
    if (!col_to_row)
        return NAN;
    double total = assign_rows_le_cols(cost, cols, rows, cols, 1, col_to_row);
    for (int j = 0; j < cols; j++)
        if (col_to_row[j] >= 0)
            row_to_col[col_to_row[j]] = j;
    free(col_to_row);
    return total;
}

static double dist3(const double a[3], const double b[3])
{
    double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

/* min over assignments of min(n, m) pairs of sum min(d, c)^p. */
static double cut_assignment(const double (*x)[3], int nx, const double (*y)[3], int ny,
                             double c, double p)
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

int mwx_score_truth_at(const mwx_rec_truth_t *s, size_t n, double t, double pos[3],
                       double vel[3])
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
    double h00 = 2 * u3 - 3 * u2 + 1, h10 = u3 - 2 * u2 + u, h01 = -2 * u3 + 3 * u2,
           h11 = u3 - u2;
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
