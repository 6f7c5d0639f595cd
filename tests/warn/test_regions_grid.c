/* The regions' cell grid (src/warn/regions_grid.c) against GEOS, on every region of the
 * real file and of hand-made ones (a hole, islands, the antimeridian, shared borders):
 *
 *   - every cell's class against GEOS on the cell's box (widened by half the margin the
 *     grid claims): an IN cell is properly inside the region, an OUT cell disjoint;
 *   - points (random, the regions' own vertices, points 1e-12..1e-7 degrees off them, edge
 *     midpoints, cell corners), ellipse rings (random, near and around every region,
 *     vertices on cell corners) and line strings: the hits with the grid equal GEOS's
 *     alone, region by region, and the grid answered most of them itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/warn.h"
#include "warn/regions_grid.h"
#include "warn/warn_internal.h"

#define REGIONS MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson"

/* a hole (XH-1), two islands (XI-1), the antimeridian (XF-1), a shared border (XA, XB) and
 * a thin sliver (XS-1) */
static const char SYNTH[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XA-1\",\"name\":\"A\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XB-1\",\"name\":\"B\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[11,10],[12,10],[12,11],[11,11],[11,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XF-1\",\"name\":\"F\"},\"geometry\":"
    "{\"type\":\"MultiPolygon\",\"coordinates\":["
    "[[[179.5,-17],[180,-17],[180,-16],[179.5,-16],[179.5,-17]]],"
    "[[[-180,-17],[-179.5,-17],[-179.5,-16],[-180,-16],[-180,-17]]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XI-1\",\"name\":\"I\"},\"geometry\":"
    "{\"type\":\"MultiPolygon\",\"coordinates\":["
    "[[[30,20],[30.1,20],[30.1,20.1],[30,20.1],[30,20]]],"
    "[[[31,20],[31.1,20],[31.1,20.1],[31,20.1],[31,20]]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XH-1\",\"name\":\"H\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[40,0],[42,0],[42,2],[40,2],[40,0]],"
    "[[40.5,0.5],[40.5,1.5],[41.5,1.5],[41.5,0.5],[40.5,0.5]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XS-1\",\"name\":\"S\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[50,5],[53,5.3],[50,5.0001],[50,5]]]}}"
    "]}";

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double urand(double lo, double hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

static mwx_regions_t *load_real(void)
{
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0};
    assert_int_equal(mwx_regions_load(REGIONS, &r, &err), 0);
    return r;
}

static mwx_regions_t *load_synth(void)
{
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0};
    int rc = mwx_regions_load_string(SYNTH, strlen(SYNTH), "synth", &r, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    return r;
}

/* ------------------------------------------------------------------ cells */

static GEOSGeometry *box(GEOSContextHandle_t gh, double x0, double y0, double x1, double y1)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(gh, 5, 2);
    const double p[5][2] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
    for (unsigned k = 0; k < 5; k++)
        GEOSCoordSeq_setXY_r(gh, cs, k, p[k][0], p[k][1]);
    return GEOSGeom_createPolygon_r(gh, GEOSGeom_createLinearRing_r(gh, cs), NULL, 0);
}

/* Every cell of every region against GEOS (the region read back from its GeoJSON text by
 * GEOS's own reader: independent of the loader). Returns the cells IN, OUT, EDGE. */
static void check_cells(mwx_regions_t *r, size_t counts[3])
{
    GEOSContextHandle_t gh = GEOS_init_r();
    GEOSGeoJSONReader *rd = GEOSGeoJSONReader_create_r(gh);
    const double m = 0.5e-9; /* half the grid's claimed margin */
    for (size_t i = 0; i < mwx_regions_count(r); i++) {
        const mwxi_rgrid_t *g = mwxi_regions_grid(r, i);
        const mwx_region_info_t *ri = mwx_regions_info(r, i);
        GEOSGeometry *geom = GEOSGeoJSONReader_readGeometry_r(gh, rd, mwxi_regions_geojson(r, i));
        const GEOSPreparedGeometry *prep;
        assert_non_null(geom);
        prep = GEOSPrepare_r(gh, geom);
        assert_non_null(g->cell);
        /* the grid holds the envelope */
        assert_true(g->x0 < ri->min_lon && g->x0 + g->nx * g->dx > ri->max_lon);
        assert_true(g->y0 < ri->min_lat && g->y0 + g->ny * g->dy > ri->max_lat);
        for (int cj = 0; cj < g->ny; cj++)
            for (int ci = 0; ci < g->nx; ci++) {
                int c = g->cell[(size_t)cj * g->nx + ci];
                double x0 = g->x0 + ci * g->dx, y0 = g->y0 + cj * g->dy;
                GEOSGeometry *b;
                counts[c]++;
                if (c == MWXI_CELL_EDGE)
                    continue;
                b = box(gh, x0 - m, y0 - m, x0 + g->dx + m, y0 + g->dy + m);
                if (c == MWXI_CELL_IN && GEOSPreparedContainsProperly_r(gh, prep, b) != 1)
                    fail_msg("%s: cell (%d, %d) IN, not properly inside", ri->id, ci, cj);
                if (c == MWXI_CELL_OUT && GEOSPreparedIntersects_r(gh, prep, b) != 0)
                    fail_msg("%s: cell (%d, %d) OUT, meets the region", ri->id, ci, cj);
                GEOSGeom_destroy_r(gh, b);
            }
        GEOSPreparedGeom_destroy_r(gh, prep);
        GEOSGeom_destroy_r(gh, geom);
    }
    GEOSGeoJSONReader_destroy_r(gh, rd);
    GEOS_finish_r(gh);
}

/* The unit square with a notch cut in from its left side, its tip at (xs, 0.5). */
static mwx_regions_t *notch(double xs)
{
    char json[512];
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0};
    snprintf(json, sizeof json,
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
             "\"properties\":{\"id\":\"XN-1\",\"name\":\"N\"},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0.6],[%.17g,0.5],"
             "[0,0.4],[0,0]]]}}]}",
             xs);
    assert_int_equal(mwx_regions_load_string(json, strlen(json), "notch", &r, &err), 0);
    return r;
}

/* The margin: a boundary point a fraction of it from a cell's side makes the cell EDGE.
 * The notch's tip 0.3e-9 degrees either side of grid lines (the square's grid does not
 * change with the notch: the envelope is the same). */
static void test_margin(void **st)
{
    mwx_regions_t *r0 = notch(0.5);
    const mwxi_rgrid_t *g0 = mwxi_regions_grid(r0, 0);
    size_t counts[3] = {0};
    (void)st;
    for (int i = 20; i <= 44; i++)
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            mwx_regions_t *r = notch(g0->x0 + i * g0->dx + sgn * 0.3e-9);
            const mwxi_rgrid_t *g = mwxi_regions_grid(r, 0);
            assert_true(g->x0 == g0->x0 && g->dx == g0->dx && g->nx == g0->nx);
            check_cells(r, counts);
            mwx_regions_free(r);
        }
    mwx_regions_free(r0);
}

static void test_cells(void **st)
{
    size_t real[3] = {0}, syn[3] = {0};
    mwx_regions_t *r = load_real(), *s = load_synth();
    (void)st;
    check_cells(r, real);
    check_cells(s, syn);
    /* most cells are decided: the grid is of use */
    assert_true(real[MWXI_CELL_IN] + real[MWXI_CELL_OUT] > 4 * real[MWXI_CELL_EDGE]);
    assert_true(syn[MWXI_CELL_IN] > 0 && syn[MWXI_CELL_OUT] > 0 && syn[MWXI_CELL_EDGE] > 0);
    print_message("cells: real IN %zu OUT %zu EDGE %zu; synthetic IN %zu OUT %zu EDGE %zu\n",
                  real[1], real[0], real[2], syn[1], syn[0], syn[2]);
    mwx_regions_free(r);
    mwx_regions_free(s);
}

/* ------------------------------------------------------------------ decisions */

typedef struct cmp {
    mwx_regions_t *r;
    size_t n_cases, n_hits;
} cmp_t;

static void same_hits(cmp_t *c, const uint8_t *a, const uint8_t *b, const char *what, double x,
                      double y)
{
    for (size_t i = 0; i < mwx_regions_count(c->r); i++) {
        if (a[i] != b[i])
            fail_msg("%s at (%.12f, %.12f): %s grid %d, GEOS %d", what, x, y,
                     mwx_regions_info(c->r, i)->id, a[i], b[i]);
        c->n_hits += a[i];
    }
    c->n_cases++;
}

static void cmp_point(cmp_t *c, double lon, double lat)
{
    uint8_t a[MWX_MAX_ALERT_REGIONS], b[MWX_MAX_ALERT_REGIONS];
    mwx_err_t err = {0};
    if (!(fabs(lat) <= 90.0))
        return;
    mwxi_regions_set_grid(c->r, 1);
    assert_int_equal(mwx_regions_at_point(c->r, lat, lon, a, NULL, &err), 0);
    mwxi_regions_set_grid(c->r, 0);
    assert_int_equal(mwx_regions_at_point(c->r, lat, lon, b, NULL, &err), 0);
    mwxi_regions_set_grid(c->r, 1);
    same_hits(c, a, b, "point", lon, lat);
}

/* A ring (polygon) or line of n points: in_ring / on_line with the grid and without. */
static void cmp_shape(cmp_t *c, const double (*ll)[2], size_t n, int polygon)
{
    uint8_t a[MWX_MAX_ALERT_REGIONS] = {0}, b[MWX_MAX_ALERT_REGIONS] = {0};
    mwx_err_t err = {0};
    int (*q)(mwx_regions_t *, const double(*)[2], size_t, const uint8_t *, uint8_t *, mwx_err_t *) =
        polygon ? mwxi_regions_in_ring_masked : mwxi_regions_on_line_masked;
    uint8_t all[MWX_MAX_ALERT_REGIONS];
    memset(all, 1, sizeof all);
    mwxi_regions_set_grid(c->r, 1);
    assert_int_equal(q(c->r, ll, n, all, a, &err), 0);
    mwxi_regions_set_grid(c->r, 0);
    assert_int_equal(q(c->r, ll, n, all, b, &err), 0);
    mwxi_regions_set_grid(c->r, 1);
    same_hits(c, a, b, polygon ? "ring" : "line", ll[0][0], ll[0][1]);
    if (polygon) { /* and unmasked, as the warning context asks most */
        memset(a, 0, sizeof a);
        assert_int_equal(mwxi_regions_in_ring(c->r, ll, n, a, &err), 0);
        same_hits(c, a, b, "ring (unmasked)", ll[0][0], ll[0][1]);
    }
}

static void cmp_ellipse(cmp_t *c, double lon, double lat, double a_km, double b_km, double or)
{
    double ring[73][2];
    mwx_rec_impact_est_t e = {.valid = 1,
                              .lat = lat,
                              .lon = lon,
                              .semi_major_km = a_km,
                              .semi_minor_km = b_km,
                              .orientation_deg = or };
    if (!(fabs(lat) < 89.0))
        return;
    mwxi_warn_ellipse_ring(mwxi_regions_geod(c->r), &e, 72, 0.001, 3000, ring);
    cmp_shape(c, (const double(*)[2])ring, 73, 1);
}

/* The regions' own vertices, read back through GEOS from their GeoJSON text. */
static void each_vertex(cmp_t *c, size_t i, void (*fn)(cmp_t *, const double *, const double *))
{
    GEOSContextHandle_t gh = GEOS_init_r();
    GEOSGeoJSONReader *rd = GEOSGeoJSONReader_create_r(gh);
    GEOSGeometry *geom = GEOSGeoJSONReader_readGeometry_r(gh, rd, mwxi_regions_geojson(c->r, i));
    unsigned n = 0;
    assert_non_null(geom);
    {
        int type = GEOSGeomTypeId_r(gh, geom);
        int np = type == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(gh, geom);
        for (int k = 0; k < np; k++) {
            const GEOSGeometry *poly =
                type == GEOS_POLYGON ? geom : GEOSGetGeometryN_r(gh, geom, k);
            int nh = GEOSGetNumInteriorRings_r(gh, poly);
            for (int h = -1; h < nh; h++) {
                const GEOSGeometry *ring =
                    h < 0 ? GEOSGetExteriorRing_r(gh, poly) : GEOSGetInteriorRingN_r(gh, poly, h);
                const GEOSCoordSequence *rs = GEOSGeom_getCoordSeq_r(gh, ring);
                double p[2], q[2];
                GEOSCoordSeq_getSize_r(gh, rs, &n);
                for (unsigned v = 0; v + 1 < n; v++) {
                    GEOSCoordSeq_getXY_r(gh, rs, v, &p[0], &p[1]);
                    GEOSCoordSeq_getXY_r(gh, rs, v + 1, &q[0], &q[1]);
                    fn(c, p, q);
                }
            }
        }
    }
    GEOSGeom_destroy_r(gh, geom);
    GEOSGeoJSONReader_destroy_r(gh, rd);
    GEOS_finish_r(gh);
}

/* every 7th edge: its start, points off it, its midpoint, and a tiny triangle on it */
static size_t edge_no;
static void edge_points(cmp_t *c, const double *p, const double *q)
{
    static const double off[] = {1e-12, 1e-10, 1e-9, 2e-9, 1e-7, 1e-4};
    if (edge_no++ % 7)
        return;
    cmp_point(c, p[0], p[1]);
    cmp_point(c, 0.5 * (p[0] + q[0]), 0.5 * (p[1] + q[1]));
    for (size_t k = 0; k < sizeof off / sizeof off[0]; k++) {
        double d = off[k];
        cmp_point(c, p[0] + d, p[1]);
        cmp_point(c, p[0] - d, p[1] - d);
        cmp_point(c, p[0], p[1] + d);
        {
            const double tri[4][2] = {{p[0] + d, p[1] + d},
                                      {q[0] + d, q[1] - d},
                                      {p[0] - d, p[1] - d},
                                      {p[0] + d, p[1] + d}};
            const double seg[2][2] = {{p[0] - d, p[1] + d}, {q[0] - d, q[1] + d}};
            cmp_shape(c, tri, 4, 1);
            cmp_shape(c, seg, 2, 0);
        }
    }
}

static void run_region(cmp_t *c, size_t i)
{
    const mwx_region_info_t *ri = mwx_regions_info(c->r, i);
    const mwxi_rgrid_t *g = mwxi_regions_grid(c->r, i);
    double w = ri->max_lon - ri->min_lon, h = ri->max_lat - ri->min_lat;
    double cx = 0.5 * (ri->min_lon + ri->max_lon), cy = 0.5 * (ri->min_lat + ri->max_lat);

    /* random points over the envelope and a margin around it */
    for (int k = 0; k < 300; k++)
        cmp_point(c, urand(ri->min_lon - 0.1 * w, ri->max_lon + 0.1 * w),
                  urand(ri->min_lat - 0.1 * h, ri->max_lat + 0.1 * h));
    /* cell corners and the midpoints of cell sides */
    for (int k = 0; k < 200; k++) {
        int ci = (int)urand(0, g->nx), cj = (int)urand(0, g->ny);
        double x = g->x0 + ci * g->dx, y = g->y0 + cj * g->dy;
        cmp_point(c, x, y);
        cmp_point(c, x + 0.5 * g->dx, y);
        {
            const double sq[5][2] = {
                {x, y}, {x + g->dx, y}, {x + g->dx, y + g->dy}, {x, y + g->dy}, {x, y}};
            cmp_shape(c, sq, 5, 1);
            cmp_shape(c, sq, 3, 0);
        }
    }
    /* the region's own vertices and edges */
    each_vertex(c, i, edge_points);
    /* ellipses near and around it: 1 km .. 600 km, and one holding it whole */
    for (int k = 0; k < 120; k++) {
        double a = exp(urand(0, log(600.0))), b = a * urand(0.1, 1.0);
        cmp_ellipse(c, urand(ri->min_lon - 0.3 * w - 1, ri->max_lon + 0.3 * w + 1),
                    urand(ri->min_lat - 0.3 * h - 1, ri->max_lat + 0.3 * h + 1), a, b,
                    urand(0, 180));
    }
    cmp_ellipse(c, cx, cy, 3000, 3000, 0);
    /* random lines across it */
    for (int k = 0; k < 40; k++) {
        double ln[6][2];
        size_t n = 2 + (size_t)urand(0, 4.99);
        for (size_t v = 0; v < n; v++) {
            ln[v][0] = urand(ri->min_lon - 0.2 * w, ri->max_lon + 0.2 * w);
            ln[v][1] = urand(ri->min_lat - 0.2 * h, ri->max_lat + 0.2 * h);
        }
        cmp_shape(c, (const double(*)[2])ln, n, 0);
    }
}

static void run_all(mwx_regions_t *r, const char *name)
{
    cmp_t c = {.r = r};
    mwxi_regions_stats_t s0, s1;
    mwxi_regions_stats(r, &s0);
    for (size_t i = 0; i < mwx_regions_count(r); i++)
        run_region(&c, i);
    mwxi_regions_stats(r, &s1);
    print_message("%s: %zu cases, %zu hits; shape tests by the grid: %llu hit, %llu miss; by "
                  "GEOS %llu\n",
                  name, c.n_cases, c.n_hits, (unsigned long long)(s1.grid_hit - s0.grid_hit),
                  (unsigned long long)(s1.grid_miss - s0.grid_miss),
                  (unsigned long long)(s1.geos - s0.geos));
    /* every way of answering was taken, and the grid answered most */
    assert_true(s1.grid_hit > s0.grid_hit && s1.grid_miss > s0.grid_miss && s1.geos > s0.geos);
    assert_true(c.n_hits > 0);
}

static void test_decisions_real(void **st)
{
    mwx_regions_t *r = load_real();
    (void)st;
    run_all(r, "real");
    mwx_regions_free(r);
}

static void test_decisions_synthetic(void **st)
{
    mwx_regions_t *r = load_synth();
    cmp_t c = {.r = r};
    /* a ring in XH-1's hole, one around the hole's boundary, one holding both islands of
     * XI-1, one across the antimeridian round XF-1: decided by the grid, and right */
    const double in_hole[5][2] = {{40.8, 0.8}, {41.2, 0.8}, {41.2, 1.2}, {40.8, 1.2}, {40.8, 0.8}};
    const double islands[5][2] = {
        {29.5, 19.5}, {31.5, 19.5}, {31.5, 20.5}, {29.5, 20.5}, {29.5, 19.5}};
    const double across[5][2] = {
        {179.0, -18}, {181.0, -18}, {181.0, -15}, {179.0, -15}, {179.0, -18}};
    uint8_t hit[MWX_MAX_ALERT_REGIONS] = {0};
    mwx_err_t err = {0};
    (void)st;
    assert_int_equal(mwxi_regions_in_ring(r, in_hole, 5, hit, &err), 0);
    assert_false(hit[mwx_regions_find(r, "XH-1")]);
    assert_int_equal(mwxi_regions_in_ring(r, islands, 5, hit, &err), 0);
    assert_true(hit[mwx_regions_find(r, "XI-1")]);
    assert_int_equal(mwxi_regions_in_ring(r, across, 5, hit, &err), 0);
    assert_true(hit[mwx_regions_find(r, "XF-1")]);
    cmp_shape(&c, in_hole, 5, 1);
    cmp_shape(&c, islands, 5, 1);
    cmp_shape(&c, across, 5, 1);
    run_all(r, "synthetic");
    mwx_regions_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_margin),
        cmocka_unit_test(test_decisions_real),
        cmocka_unit_test(test_decisions_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
