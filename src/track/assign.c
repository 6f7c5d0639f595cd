/* Minimum-cost rectangular assignment: the Hungarian method with potentials (Kuhn-Munkres
 * in the O(n^2 m) shortest augmenting path form). Forbidden pairs (cost >=
 * MWX_ASSIGN_FORBIDDEN) get a large finite cost for the solve and are cut afterwards, so
 * rows whose only options are forbidden end unassigned. Workspace is caller-supplied. */
#include "mwx/track.h"

#include <math.h>
#include <string.h>

#define BIG 1e15

size_t mwx_assign_work_bytes(int nr, int nc)
{
    size_t n = (size_t)(nr < nc ? nr : nc), m = (size_t)(nr < nc ? nc : nr);
    /* u (n+1), v (m+1), minv (m+1) doubles; p, way (m+1) ints; used (m+1) chars */
    return (n + 1 + 2 * (m + 1)) * sizeof(double) + 2 * (m + 1) * sizeof(int) + (m + 1) + 16;
}

int mwx_assign_hungarian(const double *cost, int nr, int nc, int *row_to_col, double *total,
                         void *work, size_t work_bytes)
{
    /* Solve with n = min(nr, nc) "rows" against m = max "columns". */
    int tr = nr > nc, n = tr ? nc : nr, m = tr ? nr : nc;
    double *u, *v, *minv;
    int *p, *way;
    unsigned char *used;
    char *w = (char *)work;
    if (nr < 0 || nc < 0 || (!work && (nr || nc)))
        return MWX_EINVAL;
    if (work_bytes < mwx_assign_work_bytes(nr, nc))
        return MWX_EFULL;
    for (int i = 0; i < nr; i++)
        row_to_col[i] = -1;
    if (total)
        *total = 0.0;
    if (n == 0)
        return MWX_OK;
    u = (double *)w;
    v = u + (n + 1);
    minv = v + (m + 1);
    p = (int *)(minv + (m + 1));
    way = p + (m + 1);
    used = (unsigned char *)(way + (m + 1));
    for (int i = 0; i <= n; i++)
        u[i] = 0.0;
    for (int j = 0; j <= m; j++) {
        v[j] = 0.0;
        p[j] = 0;
        way[j] = 0;
    }
#define COST(i, j) (tr ? cost[(size_t)(j)*nc + (i)] : cost[(size_t)(i)*nc + (j)])
    for (int i = 1; i <= n; i++) {
        int j0 = 0;
        p[0] = i;
        for (int j = 0; j <= m; j++) {
            minv[j] = HUGE_VAL;
            used[j] = 0;
        }
        do {
            int i0 = p[j0], j1 = 0;
            double delta = HUGE_VAL;
            used[j0] = 1;
            for (int j = 1; j <= m; j++) {
                if (!used[j]) {
                    double c = COST(i0 - 1, j - 1);
                    double cur;
                    if (!(c < MWX_ASSIGN_FORBIDDEN))
                        c = BIG;
                    cur = c - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for (int j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int j = 1; j <= m; j++) {
        int i = p[j];
        int r, c;
        double cc;
        if (!i)
            continue;
        r = tr ? j - 1 : i - 1;
        c = tr ? i - 1 : j - 1;
        cc = cost[(size_t)r * nc + c];
        if (!(cc < MWX_ASSIGN_FORBIDDEN))
            continue;
        row_to_col[r] = c;
        if (total)
            *total += cc;
    }
#undef COST
    return MWX_OK;
}
