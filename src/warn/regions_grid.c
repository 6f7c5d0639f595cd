/* A region's cell grid: its envelope cut into at most GRID_N x GRID_N cells, each
 * classified once, when the regions load, as
 *
 *   EDGE  a boundary segment of the region comes within GRID_EPS of the cell (closed),
 *   IN    otherwise, and the cell's centre is inside (ray parity over every ring),
 *   OUT   otherwise.
 *
 * An IN cell, and every point within GRID_EPS of it, is in the region's interior; an OUT
 * cell, and its GRID_EPS neighbourhood, is outside the region's closure (no boundary
 * comes that near, so the whole cell is on its centre's side). GRID_EPS (1e-9 degrees,
 * 0.1 mm) is four orders above the rounding of the cell arithmetic (coordinates below
 * 400 degrees: 1e-13), so the tests below are exact, not approximations: a shape with a
 * vertex in an IN cell meets the region; a shape whose every segment passes through OUT
 * cells only (or off the grid) has a boundary disjoint from the region, and meets it only
 * when it holds it whole, which one point of each of the region's rings tells (it lies
 * GRID_EPS or more from the shape's boundary, so the parity test on it is exact too).
 * Anything else (a segment through an EDGE cell) is left to GEOS. */
#include "warn/regions_grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRID_N     64   /* cells along the longer side of the envelope */
#define GRID_EPS   1e-9 /* degrees: the margin every classification keeps */
#define GRID_PAD   1e-7 /* degrees: the grid reaches this far beyond the envelope */
#define MAX_PIECES 4096 /* a segment longer than this many cells is left to GEOS */

typedef struct ringset {
    double (*p)[2]; /* every ring's points, one after another */
    size_t *start;  /* ring k is p[start[k] .. start[k + 1]) */
    size_t n_ring, n_pt;
} ringset_t;

/* ------------------------------------------------------------------ cells of a segment */

/* The cell index range [*i0, *i1] along one axis holding [lo - GRID_EPS, hi + GRID_EPS],
 * clipped to [0, n - 1]; 0 when the range is off the grid. */
static int axis_range(double lo, double hi, double o, double d, int n, int *i0, int *i1)
{
    double f0 = floor((lo - GRID_EPS - o) / d), f1 = floor((hi + GRID_EPS - o) / d);
    if (!(f1 >= 0) || !(f0 <= n - 1))
        return 0;
    *i0 = f0 < 0 ? 0 : (int)f0;
    *i1 = f1 > n - 1 ? n - 1 : (int)f1;
    return 1;
}

/* Visit the cells within GRID_EPS of the segment a-b: it is cut into pieces at most one
 * cell long each way (so each piece's envelope, widened by GRID_EPS, covers at most 2 x 2
 * cells, and holds the piece: the cut points' rounding is far below GRID_EPS). mark: set
 * them EDGE; else: return 1 at the first one that is not OUT. -1: too long (mark never
 * refuses). */
static int segment_cells(const mwxi_rgrid_t *g, uint8_t *cell, double ax, double ay, double bx,
                         double by, int mark)
{
    double lx = fmin(ax, bx), hx = fmax(ax, bx), ly = fmin(ay, by), hy = fmax(ay, by);
    double span;
    int i0, i1, j0, j1, k;
    double px = ax, py = ay;

    /* off the grid altogether */
    if (hx + GRID_EPS < g->x0 || lx - GRID_EPS > g->x0 + g->nx * g->dx || hy + GRID_EPS < g->y0 ||
        ly - GRID_EPS > g->y0 + g->ny * g->dy)
        return 0;
    span = fmax((hx - lx) / g->dx, (hy - ly) / g->dy);
    if (!(span < MAX_PIECES)) {
        if (!mark)
            return -1;
        span = MAX_PIECES - 1; /* not reached by a region's own segments in practice */
    }
    k = 1 + (int)span;
    for (int t = 1; t <= k; t++) {
        double qx = t == k ? bx : ax + (bx - ax) * ((double)t / k);
        double qy = t == k ? by : ay + (by - ay) * ((double)t / k);
        if (axis_range(fmin(px, qx), fmax(px, qx), g->x0, g->dx, g->nx, &i0, &i1) &&
            axis_range(fmin(py, qy), fmax(py, qy), g->y0, g->dy, g->ny, &j0, &j1)) {
            for (int j = j0; j <= j1; j++)
                for (int i = i0; i <= i1; i++) {
                    if (mark)
                        cell[(size_t)j * g->nx + i] = MWXI_CELL_EDGE;
                    else if (cell[(size_t)j * g->nx + i] != MWXI_CELL_OUT)
                        return 1;
                }
        }
        px = qx;
        py = qy;
    }
    return 0;
}

/* ------------------------------------------------------------------ building */

static int add_ring(ringset_t *rs, size_t *cap, GEOSContextHandle_t gh, const GEOSGeometry *ring)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(gh, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(gh, cs, &n))
        return MWX_EINVAL;
    if (rs->n_pt + n > *cap) {
        size_t nc = (*cap ? *cap * 2 : 1024) + n;
        double(*p)[2] = realloc(rs->p, nc * sizeof *p);
        if (!p)
            return MWX_ENOMEM;
        rs->p = p;
        *cap = nc;
    }
    for (unsigned i = 0; i < n; i++)
        if (!GEOSCoordSeq_getXY_r(gh, cs, i, &rs->p[rs->n_pt + i][0], &rs->p[rs->n_pt + i][1]))
            return MWX_EINVAL;
    rs->start[rs->n_ring++] = rs->n_pt;
    rs->n_pt += n;
    rs->start[rs->n_ring] = rs->n_pt;
    return MWX_OK;
}

/* Every ring (shells and holes) of a Polygon or MultiPolygon. */
static int collect_rings(ringset_t *rs, GEOSContextHandle_t gh, const GEOSGeometry *geom)
{
    int type = GEOSGeomTypeId_r(gh, geom), np, nrings = 0, rc;
    size_t cap = 0;
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
        return MWX_EINVAL;
    np = type == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(gh, geom);
    for (int k = 0; k < np; k++) {
        const GEOSGeometry *poly = type == GEOS_POLYGON ? geom : GEOSGetGeometryN_r(gh, geom, k);
        int nh = poly ? GEOSGetNumInteriorRings_r(gh, poly) : -1;
        if (nh < 0)
            return MWX_EINVAL;
        nrings += 1 + nh;
    }
    rs->start = calloc((size_t)nrings + 1, sizeof *rs->start);
    if (!rs->start)
        return MWX_ENOMEM;
    for (int k = 0; k < np; k++) {
        const GEOSGeometry *poly = type == GEOS_POLYGON ? geom : GEOSGetGeometryN_r(gh, geom, k);
        int nh = GEOSGetNumInteriorRings_r(gh, poly);
        if ((rc = add_ring(rs, &cap, gh, GEOSGetExteriorRing_r(gh, poly))))
            return rc;
        for (int h = 0; h < nh; h++)
            if ((rc = add_ring(rs, &cap, gh, GEOSGetInteriorRingN_r(gh, poly, h))))
                return rc;
    }
    return MWX_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The cells no boundary comes near, by the parity of the crossings left of their centre
 * along the row's centre line. xs: scratch of n_pt doubles. */
static void classify_rows(mwxi_rgrid_t *g, const ringset_t *rs, double *xs)
{
    for (int j = 0; j < g->ny; j++) {
        double yc = g->y0 + (j + 0.5) * g->dy;
        size_t nx = 0, k = 0;
        for (size_t r = 0; r < rs->n_ring; r++)
            for (size_t i = rs->start[r]; i + 1 < rs->start[r + 1]; i++) {
                const double *a = rs->p[i], *b = rs->p[i + 1];
                if ((a[1] > yc) != (b[1] > yc))
                    xs[nx++] = a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            }
        qsort(xs, nx, sizeof *xs, cmp_double);
        for (int i = 0; i < g->nx; i++) {
            uint8_t *c = &g->cell[(size_t)j * g->nx + i];
            double xc = g->x0 + (i + 0.5) * g->dx;
            while (k < nx && xs[k] < xc)
                k++;
            if (*c != MWXI_CELL_EDGE)
                *c = (k & 1) ? MWXI_CELL_IN : MWXI_CELL_OUT;
        }
    }
}

int mwxi_rgrid_build(mwxi_rgrid_t *g, GEOSContextHandle_t gh, const GEOSGeometry *geom,
                     mwx_err_t *err)
{
    ringset_t rs = {0};
    double w, h, side, *xs = NULL;
    int rc;

    memset(g, 0, sizeof *g);
    if (GEOSGeom_getXMin_r(gh, geom, &g->min_x) != 1 ||
        GEOSGeom_getYMin_r(gh, geom, &g->min_y) != 1 ||
        GEOSGeom_getXMax_r(gh, geom, &g->max_x) != 1 ||
        GEOSGeom_getYMax_r(gh, geom, &g->max_y) != 1)
        return mwx_err_set(err, MWX_EINVAL, "regions: grid: empty geometry");
    if ((rc = collect_rings(&rs, gh, geom)))
        goto out;
    w = g->max_x - g->min_x + 2 * GRID_PAD;
    h = g->max_y - g->min_y + 2 * GRID_PAD;
    side = fmax(w, h) / GRID_N;
    g->nx = (int)fmin(GRID_N, fmax(1.0, ceil(w / side)));
    g->ny = (int)fmin(GRID_N, fmax(1.0, ceil(h / side)));
    g->x0 = g->min_x - GRID_PAD;
    g->y0 = g->min_y - GRID_PAD;
    g->dx = w / g->nx;
    g->dy = h / g->ny;
    g->cell = calloc((size_t)g->nx * g->ny, 1);
    g->first = calloc(rs.n_ring, sizeof *g->first);
    xs = malloc((rs.n_pt + 1) * sizeof *xs);
    if (!g->cell || !g->first || !xs) {
        rc = MWX_ENOMEM;
        goto out;
    }
    for (size_t r = 0; r < rs.n_ring; r++) {
        memcpy(g->first[r], rs.p[rs.start[r]], sizeof g->first[r]);
        for (size_t i = rs.start[r]; i + 1 < rs.start[r + 1]; i++)
            segment_cells(g, g->cell, rs.p[i][0], rs.p[i][1], rs.p[i + 1][0], rs.p[i + 1][1], 1);
    }
    g->n_first = rs.n_ring;
    classify_rows(g, &rs, xs);
out:
    free(xs);
    free(rs.p);
    free(rs.start);
    if (rc) {
        mwxi_rgrid_free(g);
        return mwx_err_set(err, rc, "regions: cannot build the cell grid%s",
                           rc == MWX_ENOMEM ? ": out of memory" : "");
    }
    return MWX_OK;
}

void mwxi_rgrid_free(mwxi_rgrid_t *g)
{
    free(g->cell);
    free(g->first);
    memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------------ tests */

int mwxi_rgrid_cell_at(const mwxi_rgrid_t *g, double x, double y)
{
    double fi = floor((x - g->x0) / g->dx), fj = floor((y - g->y0) / g->dy);
    if (!g->cell || !(fi >= 0) || !(fi < g->nx) || !(fj >= 0) || !(fj < g->ny))
        return MWXI_CELL_OUT;
    return g->cell[(size_t)fj * g->nx + (size_t)fi];
}

int mwxi_rgrid_point(const mwxi_rgrid_t *g, double x, double y)
{
    if (!g->cell)
        return MWXI_GRID_UNSURE;
    if (x < g->min_x || x > g->max_x || y < g->min_y || y > g->max_y)
        return MWXI_GRID_MISS;
    switch (mwxi_rgrid_cell_at(g, x, y)) {
    case MWXI_CELL_IN: return MWXI_GRID_HIT;
    case MWXI_CELL_OUT: return MWXI_GRID_MISS;
    default: return MWXI_GRID_UNSURE;
    }
}

/* Is (px, py) inside the ring of n (x + dlon, y) points by ray parity? Exact for a point
 * GRID_EPS or more from every segment of the ring. */
static int ring_parity(const double (*xy)[2], size_t n, double dlon, double px, double py)
{
    int in = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double ax = xy[i][0] + dlon, ay = xy[i][1], bx = xy[i + 1][0] + dlon, by = xy[i + 1][1];
        if ((ay > py) != (by > py) && px < ax + (py - ay) * (bx - ax) / (by - ay))
            in = !in;
    }
    return in;
}

void mwxi_rgrid_envelope(const double (*xy)[2], size_t n, double dlon, double env[4])
{
    env[0] = env[1] = INFINITY;
    env[2] = env[3] = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = xy[i][0] + dlon, y = xy[i][1];
        env[0] = fmin(env[0], x), env[1] = fmin(env[1], y);
        env[2] = fmax(env[2], x), env[3] = fmax(env[3], y);
    }
}

int mwxi_rgrid_shape(const mwxi_rgrid_t *g, const double (*xy)[2], size_t n, double dlon,
                     int polygon, const double env[4])
{
    if (!g->cell || n < 2)
        return MWXI_GRID_UNSURE;
    /* the envelopes apart (GEOS's first test) */
    if (env[0] > g->max_x || env[2] < g->min_x || env[1] > g->max_y || env[3] < g->min_y)
        return MWXI_GRID_MISS;
    /* a vertex in the interior (IN cells lie within the envelope) */
    for (size_t i = 0; i < n; i++) {
        double x = xy[i][0] + dlon, y = xy[i][1];
        if (x >= g->min_x && x <= g->max_x && y >= g->min_y && y <= g->max_y &&
            mwxi_rgrid_cell_at(g, x, y) == MWXI_CELL_IN)
            return MWXI_GRID_HIT;
    }
    /* the boundary (or the line) apart from the region */
    for (size_t i = 0; i + 1 < n; i++)
        if (segment_cells(g, g->cell, xy[i][0] + dlon, xy[i][1], xy[i + 1][0] + dlon, xy[i + 1][1],
                          0))
            return MWXI_GRID_UNSURE;
    /* then a polygon meets the region only if it holds it whole: any point of it will do,
     * one per ring */
    if (polygon)
        for (size_t k = 0; k < g->n_first; k++)
            if (ring_parity(xy, n, dlon, g->first[k][0], g->first[k][1]))
                return MWXI_GRID_HIT;
    return MWXI_GRID_MISS;
}
