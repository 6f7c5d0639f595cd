/* A region's cell grid (regions_grid.c): its bounding box cut into cells classified once,
 * when the regions load, as inside, outside or on the boundary, so that most point, ring
 * and line tests against the region are answered without GEOS, and exactly (GEOS is asked
 * only when a shape comes near the boundary). docs/WARNING_POLICY.md, impact area,
 * "Index". */
#ifndef MWX_WARN_REGIONS_GRID_H
#define MWX_WARN_REGIONS_GRID_H

#include <geos_c.h>
#include <stddef.h>
#include <stdint.h>

#include "mwx/warn.h"

enum { MWXI_CELL_OUT = 0, MWXI_CELL_IN = 1, MWXI_CELL_EDGE = 2 };

/* The answer of a grid test: MWXI_GRID_UNSURE means ask GEOS. */
enum { MWXI_GRID_MISS = 0, MWXI_GRID_HIT = 1, MWXI_GRID_UNSURE = -1 };

typedef struct mwxi_rgrid {
    double min_x, min_y, max_x, max_y; /* the region's envelope (GEOS's) */
    double x0, y0, dx, dy; /* the grid: cell (i, j) is [x0 + i dx, x0 + (i+1) dx] x ... */
    int nx, ny;
    uint8_t *cell;      /* nx * ny classes, row j at cell + j * nx */
    double (*first)[2]; /* the first vertex of each of the region's rings */
    size_t n_first;
} mwxi_rgrid_t;

/* Build the grid of a (valid) Polygon or MultiPolygon. */
int mwxi_rgrid_build(mwxi_rgrid_t *g, GEOSContextHandle_t gh, const GEOSGeometry *geom,
                     mwx_err_t *err);
void mwxi_rgrid_free(mwxi_rgrid_t *g);

/* Does the point (x, y) lie in the region (closed): MWXI_GRID_HIT / MISS / UNSURE. */
int mwxi_rgrid_point(const mwxi_rgrid_t *g, double x, double y);

/* The envelope {min x, min y, max x, max y} of n (x + dlon, y) points. */
void mwxi_rgrid_envelope(const double (*xy)[2], size_t n, double dlon, double env[4]);

/* Does the shape of n (x + dlon, y) points (env: their envelope), a closed ring
 * (polygon != 0: the polygon it bounds, holes none) or a line string, intersect the
 * region (GEOS's intersects, closed sets): MWXI_GRID_HIT / MISS / UNSURE. */
int mwxi_rgrid_shape(const mwxi_rgrid_t *g, const double (*xy)[2], size_t n, double dlon,
                     int polygon, const double env[4]);

/* Region i's grid (tests). */
const mwxi_rgrid_t *mwxi_regions_grid(const mwx_regions_t *r, size_t i);

/* The class of the cell holding (x, y): MWXI_CELL_*, MWXI_CELL_OUT off the grid (tests). */
int mwxi_rgrid_cell_at(const mwxi_rgrid_t *g, double x, double y);

#endif
