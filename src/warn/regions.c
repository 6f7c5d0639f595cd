/* Regions: a GeoJSON FeatureCollection of Polygon / MultiPolygon features loaded into GEOS
 * prepared geometries, each with a cell grid (regions_grid.c) that answers most tests
 * before GEOS, and the geometry queries the warning policy and the scoring need (ellipse,
 * point, line, ring). The STRtree serves the GEOS-only path (mwxi_regions_set_grid).
 *
 * Geometry lives in a plain lon/lat plane (degrees). The shapes we test against it (impact
 * ellipses, corridors) are built on the ellipsoid with geodesics and densely sampled, so
 * the planar edges between their vertices are a few tens of metres from the geodesic at
 * most. Shapes are built in a longitude frame centred on themselves; when one leaves
 * [-180, 180] the part beyond is tested as a copy shifted by 360 degrees, which is how a
 * shape across the antimeridian meets regions stored on either side of it. */
#include "warn/regions_grid.h"
#include "warn/warn_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VERTICES_TOTAL 4000000 /* a sanity bound against hostile files */

typedef struct region {
    mwx_region_info_t info;
    GEOSGeometry *geom;
    const GEOSPreparedGeometry *prep;
    char *geojson;     /* compact geometry text, for latest.geojson */
    mwxi_rgrid_t grid; /* cells inside / outside / on the boundary (regions_grid.c) */
} region_t;

struct mwx_regions {
    GEOSContextHandle_t gh;
    struct geod_geodesic geod; /* WGS-84 */
    char gerr[256];            /* last GEOS error (message handler) */
    region_t *v;
    size_t n;
    size_t *idx; /* items of the tree: &idx[i] == i */
    GEOSSTRtree *tree;
    /* query scratch */
    size_t *cand;
    size_t n_cand;
    uint8_t *seen;
    int grid_off;            /* every test by GEOS, as before the grid (bench, tests) */
    mwxi_regions_stats_t st; /* how the region tests were answered */
};

static void geos_error(const char *msg, void *user)
{
    mwx_regions_t *r = user;
    snprintf(r->gerr, sizeof r->gerr, "%s", msg);
}

static void geos_notice(const char *msg, void *user)
{
    (void)msg;
    (void)user;
}

void mwx_regions_free(mwx_regions_t *r)
{
    if (!r)
        return;
    if (r->tree)
        GEOSSTRtree_destroy_r(r->gh, r->tree);
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].prep)
            GEOSPreparedGeom_destroy_r(r->gh, r->v[i].prep);
        if (r->v[i].geom)
            GEOSGeom_destroy_r(r->gh, r->v[i].geom);
        free(r->v[i].geojson);
        mwxi_rgrid_free(&r->v[i].grid);
    }
    free(r->v);
    free(r->idx);
    free(r->cand);
    free(r->seen);
    if (r->gh)
        GEOS_finish_r(r->gh);
    free(r);
}

size_t mwx_regions_count(const mwx_regions_t *r)
{
    return r ? r->n : 0;
}

const mwx_region_info_t *mwx_regions_info(const mwx_regions_t *r, size_t i)
{
    return r && i < r->n ? &r->v[i].info : NULL;
}

const struct geod_geodesic *mwxi_regions_geod(const mwx_regions_t *r)
{
    return &r->geod;
}

const char *mwxi_regions_geojson(const mwx_regions_t *r, size_t i)
{
    return r && i < r->n ? r->v[i].geojson : NULL;
}

int mwx_regions_find(const mwx_regions_t *r, const char *id)
{
    if (!r || !id)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].info.id, id) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------ loading */

typedef struct loadctx {
    mwx_regions_t *r;
    const char *name;
    size_t index;   /* feature index */
    const char *id; /* feature id, once known */
    size_t total_vertices;
    mwx_err_t *err;
} loadctx_t;

static int feat_error(loadctx_t *lc, const char *fmt, ...) MWX_PRINTF(2, 3);

static int feat_error(loadctx_t *lc, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return mwx_err_set(lc->err, MWX_EINVAL, "%s: feature %zu (id \"%s\"): %s", lc->name, lc->index,
                       lc->id ? lc->id : "?", what);
}

/* A linear ring: an array of >= 4 positions, closed. Returns a GEOS LinearRing. */
static int load_ring(loadctx_t *lc, const json_t *jring, const char *where, GEOSGeometry **out)
{
    GEOSContextHandle_t gh = lc->r->gh;
    size_t n, i;
    GEOSCoordSequence *cs;
    double first[2] = {0, 0}, last[2] = {0, 0};

    if (!json_is_array(jring))
        return feat_error(lc, "%s: expected an array of positions", where);
    n = json_array_size(jring);
    if (n < 4)
        return feat_error(lc, "%s: a linear ring needs at least 4 positions, got %zu", where, n);
    lc->total_vertices += n;
    if (lc->total_vertices > MAX_VERTICES_TOTAL)
        return feat_error(lc, "%s: more than %d vertices in the file", where, MAX_VERTICES_TOTAL);
    cs = GEOSCoordSeq_create_r(gh, (unsigned)n, 2);
    if (!cs)
        return mwx_err_set(lc->err, MWX_ENOMEM, "%s: out of memory", lc->name);
    for (i = 0; i < n; i++) {
        const json_t *p = json_array_get(jring, i);
        double lon, lat;
        size_t np = json_is_array(p) ? json_array_size(p) : 0;
        if (np < 2 || np > 3 || !json_is_number(json_array_get(p, 0)) ||
            !json_is_number(json_array_get(p, 1)) ||
            (np == 3 && !json_is_number(json_array_get(p, 2)))) {
            GEOSCoordSeq_destroy_r(gh, cs);
            return feat_error(lc, "%s[%zu]: expected a position [lon, lat] (or [lon, lat, alt])",
                              where, i);
        }
        lon = json_number_value(json_array_get(p, 0));
        lat = json_number_value(json_array_get(p, 1));
        if (!isfinite(lon) || !isfinite(lat) || lon < -180.0 || lon > 180.0 || lat < -90.0 ||
            lat > 90.0) {
            GEOSCoordSeq_destroy_r(gh, cs);
            return feat_error(lc,
                              "%s[%zu]: position [%g, %g] is outside lon [-180, 180], "
                              "lat [-90, 90]",
                              where, i, lon, lat);
        }
        if (i == 0) {
            first[0] = lon;
            first[1] = lat;
        }
        last[0] = lon;
        last[1] = lat;
        GEOSCoordSeq_setXY_r(gh, cs, (unsigned)i, lon, lat);
    }
    if (first[0] != last[0] || first[1] != last[1]) {
        GEOSCoordSeq_destroy_r(gh, cs);
        return feat_error(lc, "%s: ring is not closed (first position [%g, %g], last [%g, %g])",
                          where, first[0], first[1], last[0], last[1]);
    }
    *out = GEOSGeom_createLinearRing_r(gh, cs);
    if (!*out)
        return feat_error(lc, "%s: GEOS refused the ring: %s", where, lc->r->gerr);
    return MWX_OK;
}

static int load_polygon(loadctx_t *lc, const json_t *jpoly, const char *where, GEOSGeometry **out)
{
    GEOSContextHandle_t gh = lc->r->gh;
    size_t nr, i;
    GEOSGeometry *shell = NULL, **holes = NULL;
    char w[96];
    int rc;

    if (!json_is_array(jpoly) || json_array_size(jpoly) == 0)
        return feat_error(lc, "%s: expected a non-empty array of linear rings", where);
    nr = json_array_size(jpoly);
    snprintf(w, sizeof w, "%s[0]", where);
    if ((rc = load_ring(lc, json_array_get(jpoly, 0), w, &shell)))
        return rc;
    if (nr > 1) {
        holes = calloc(nr - 1, sizeof *holes);
        if (!holes) {
            GEOSGeom_destroy_r(gh, shell);
            return mwx_err_set(lc->err, MWX_ENOMEM, "%s: out of memory", lc->name);
        }
    }
    for (i = 1; i < nr; i++) {
        snprintf(w, sizeof w, "%s[%zu]", where, i);
        if ((rc = load_ring(lc, json_array_get(jpoly, i), w, &holes[i - 1]))) {
            for (size_t k = 0; k + 1 < i; k++)
                GEOSGeom_destroy_r(gh, holes[k]);
            free(holes);
            GEOSGeom_destroy_r(gh, shell);
            return rc;
        }
    }
    *out = GEOSGeom_createPolygon_r(gh, shell, holes, (unsigned)(nr - 1));
    free(holes);
    if (!*out)
        return feat_error(lc, "%s: GEOS refused the polygon: %s", where, lc->r->gerr);
    return MWX_OK;
}

static int load_geometry(loadctx_t *lc, const json_t *jg, GEOSGeometry **out)
{
    GEOSContextHandle_t gh = lc->r->gh;
    const json_t *jt, *jc;
    const char *type;
    int rc;

    if (!json_is_object(jg))
        return feat_error(lc, "geometry: expected an object (Polygon or MultiPolygon)");
    jt = json_object_get(jg, "type");
    jc = json_object_get(jg, "coordinates");
    if (!json_is_string(jt))
        return feat_error(lc, "geometry.type: expected a string");
    type = json_string_value(jt);
    if (!jc)
        return feat_error(lc, "geometry.coordinates: missing");
    if (strcmp(type, "Polygon") == 0)
        return load_polygon(lc, jc, "geometry.coordinates", out);
    if (strcmp(type, "MultiPolygon") == 0) {
        size_t np, i;
        GEOSGeometry **polys;
        char w[64];
        if (!json_is_array(jc) || json_array_size(jc) == 0)
            return feat_error(lc, "geometry.coordinates: expected a non-empty array of polygons");
        np = json_array_size(jc);
        polys = calloc(np, sizeof *polys);
        if (!polys)
            return mwx_err_set(lc->err, MWX_ENOMEM, "%s: out of memory", lc->name);
        for (i = 0; i < np; i++) {
            snprintf(w, sizeof w, "geometry.coordinates[%zu]", i);
            if ((rc = load_polygon(lc, json_array_get(jc, i), w, &polys[i]))) {
                for (size_t k = 0; k < i; k++)
                    GEOSGeom_destroy_r(gh, polys[k]);
                free(polys);
                return rc;
            }
        }
        *out = GEOSGeom_createCollection_r(gh, GEOS_MULTIPOLYGON, polys, (unsigned)np);
        if (!*out) {
            for (i = 0; i < np; i++)
                GEOSGeom_destroy_r(gh, polys[i]);
            free(polys);
            return feat_error(lc, "geometry: GEOS refused the MultiPolygon: %s", lc->r->gerr);
        }
        free(polys);
        return MWX_OK;
    }
    return feat_error(lc, "geometry.type: expected \"Polygon\" or \"MultiPolygon\", got \"%.40s\"",
                      type);
}

static int prop_string(loadctx_t *lc, const json_t *props, const char *key, int required, char *buf,
                       size_t n)
{
    const json_t *v = json_object_get(props, key);
    if (!v) {
        if (required)
            return feat_error(lc, "properties.%s: missing", key);
        buf[0] = '\0';
        return MWX_OK;
    }
    if (!json_is_string(v))
        return feat_error(lc, "properties.%s: expected a string", key);
    if (json_string_length(v) >= n || strlen(json_string_value(v)) != json_string_length(v))
        return feat_error(lc, "properties.%s: expected a string of at most %zu bytes without NUL",
                          key, n - 1);
    memcpy(buf, json_string_value(v), json_string_length(v) + 1);
    return MWX_OK;
}

static int valid_id(const char *s)
{
    /* ISO 3166-2: two letters, '-', 1 to 3 alphanumerics. */
    size_t n = strlen(s);
    if (n < 4 || n > 6 || s[2] != '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (i == 2)
            continue;
        if (i < 2 ? !(c >= 'A' && c <= 'Z') : !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static int load_feature(loadctx_t *lc, const json_t *jf, region_t *rg)
{
    GEOSContextHandle_t gh = lc->r->gh;
    const json_t *jt, *props, *jg;
    int rc;
    char validity;

    if (!json_is_object(jf))
        return feat_error(lc, "expected a Feature object");
    jt = json_object_get(jf, "type");
    if (!json_is_string(jt) || strcmp(json_string_value(jt), "Feature") != 0)
        return feat_error(lc, "type: expected \"Feature\"");
    props = json_object_get(jf, "properties");
    if (!json_is_object(props))
        return feat_error(lc, "properties: expected an object with id, name, name_local, "
                              "name_ja, name_ko, country");
    if ((rc = prop_string(lc, props, "id", 1, rg->info.id, sizeof rg->info.id)))
        return rc;
    lc->id = rg->info.id;
    if (!valid_id(rg->info.id))
        return feat_error(lc, "properties.id: expected an ISO 3166-2 code such as \"JP-13\"");
    if ((rc = prop_string(lc, props, "name", 1, rg->info.name, sizeof rg->info.name)) ||
        (rc = prop_string(lc, props, "name_local", 0, rg->info.name_local,
                          sizeof rg->info.name_local)) ||
        (rc = prop_string(lc, props, "name_ja", 0, rg->info.name_ja, sizeof rg->info.name_ja)) ||
        (rc = prop_string(lc, props, "name_ko", 0, rg->info.name_ko, sizeof rg->info.name_ko)) ||
        (rc = prop_string(lc, props, "country", 0, rg->info.country, sizeof rg->info.country)))
        return rc;
    if (!rg->info.name_local[0])
        memcpy(rg->info.name_local, rg->info.name, sizeof rg->info.name);
    if (!rg->info.country[0])
        memcpy(rg->info.country, rg->info.id, 2);
    /* A file without the per-language names still reads naturally in the country's own
     * language; elsewhere the English name is the best we have. */
    if (!rg->info.name_ja[0])
        snprintf(rg->info.name_ja, sizeof rg->info.name_ja, "%s",
                 strcmp(rg->info.country, "JP") == 0 ? rg->info.name_local : rg->info.name);
    if (!rg->info.name_ko[0])
        snprintf(rg->info.name_ko, sizeof rg->info.name_ko, "%s",
                 strcmp(rg->info.country, "KR") == 0 ? rg->info.name_local : rg->info.name);
    jg = json_object_get(jf, "geometry");
    if ((rc = load_geometry(lc, jg, &rg->geom)))
        return rc;
    validity = GEOSisValid_r(gh, rg->geom);
    if (validity != 1) {
        char *why = GEOSisValidReason_r(gh, rg->geom);
        rc = feat_error(lc, "geometry is not valid: %s", why ? why : lc->r->gerr);
        if (why)
            GEOSFree_r(gh, why);
        return rc;
    }
    if (GEOSGeom_getXMin_r(gh, rg->geom, &rg->info.min_lon) != 1 ||
        GEOSGeom_getYMin_r(gh, rg->geom, &rg->info.min_lat) != 1 ||
        GEOSGeom_getXMax_r(gh, rg->geom, &rg->info.max_lon) != 1 ||
        GEOSGeom_getYMax_r(gh, rg->geom, &rg->info.max_lat) != 1)
        return feat_error(lc, "geometry: empty");
    rg->prep = GEOSPrepare_r(gh, rg->geom);
    if (!rg->prep)
        return feat_error(lc, "geometry: GEOS could not prepare it: %s", lc->r->gerr);
    rg->geojson = json_dumps(jg, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (!rg->geojson)
        return mwx_err_set(lc->err, MWX_ENOMEM, "%s: out of memory", lc->name);
    return mwxi_rgrid_build(&rg->grid, gh, rg->geom, lc->err);
}

static int load_root(mwx_regions_t *r, const json_t *root, const char *name, mwx_err_t *err)
{
    const json_t *jt, *feats;
    loadctx_t lc = {.r = r, .name = name, .err = err};
    size_t n, i;
    int rc;

    if (!json_is_object(root))
        return mwx_err_set(err, MWX_EINVAL, "%s: $: expected a GeoJSON FeatureCollection object",
                           name);
    jt = json_object_get(root, "type");
    if (!json_is_string(jt) || strcmp(json_string_value(jt), "FeatureCollection") != 0)
        return mwx_err_set(err, MWX_EINVAL, "%s: $.type: expected \"FeatureCollection\"", name);
    feats = json_object_get(root, "features");
    if (!json_is_array(feats) || json_array_size(feats) == 0)
        return mwx_err_set(err, MWX_EINVAL, "%s: $.features: expected a non-empty array", name);
    n = json_array_size(feats);
    if (n > MWX_MAX_ALERT_REGIONS)
        return mwx_err_set(err, MWX_EINVAL, "%s: $.features: %zu features, at most %d supported",
                           name, n, MWX_MAX_ALERT_REGIONS);
    r->v = calloc(n, sizeof *r->v);
    r->idx = calloc(n, sizeof *r->idx);
    r->cand = calloc(n, sizeof *r->cand);
    r->seen = calloc(n, 1);
    if (!r->v || !r->idx || !r->cand || !r->seen)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", name);
    for (i = 0; i < n; i++) {
        lc.index = i;
        lc.id = NULL;
        rc = load_feature(&lc, json_array_get(feats, i), &r->v[i]);
        r->n = i + 1; /* so that free() releases what was built */
        if (rc)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(r->v[k].info.id, r->v[i].info.id) == 0)
                return feat_error(&lc, "properties.id: duplicate of feature %zu", k);
    }
    r->tree = GEOSSTRtree_create_r(r->gh, 10);
    if (!r->tree)
        return mwx_err_set(err, MWX_ENOMEM, "%s: cannot create the STRtree", name);
    for (i = 0; i < n; i++) {
        r->idx[i] = i;
        GEOSSTRtree_insert_r(r->gh, r->tree, r->v[i].geom, &r->idx[i]);
    }
    return MWX_OK;
}

static int regions_new(mwx_regions_t **out, mwx_err_t *err)
{
    mwx_regions_t *r = calloc(1, sizeof *r);
    if (!r)
        return mwx_err_set(err, MWX_ENOMEM, "regions: out of memory");
    r->gh = GEOS_init_r();
    if (!r->gh) {
        free(r);
        return mwx_err_set(err, MWX_ENOMEM, "regions: cannot create a GEOS context");
    }
    geod_init(&r->geod, MWX_WGS84_A, MWX_WGS84_F);
    GEOSContext_setErrorMessageHandler_r(r->gh, geos_error, r);
    GEOSContext_setNoticeMessageHandler_r(r->gh, geos_notice, r);
    *out = r;
    return MWX_OK;
}

int mwx_regions_load_string(const char *text, size_t len, const char *name, mwx_regions_t **out,
                            mwx_err_t *err)
{
    json_t *root = NULL;
    mwx_regions_t *r;
    int rc;

    *out = NULL;
    if (!name)
        name = "(regions)";
    if ((rc = mwx_json_load_string(text, len, name, &root, err)))
        return rc;
    if ((rc = regions_new(&r, err))) {
        json_decref(root);
        return rc;
    }
    rc = load_root(r, root, name, err);
    json_decref(root);
    if (rc) {
        mwx_regions_free(r);
        return rc;
    }
    *out = r;
    return MWX_OK;
}

int mwx_regions_load(const char *path, mwx_regions_t **out, mwx_err_t *err)
{
    json_t *root = NULL;
    mwx_regions_t *r;
    int rc;

    *out = NULL;
    if (!path)
        return mwx_err_set(err, MWX_EINVAL, "regions: no file given");
    if ((rc = mwx_json_load_file(path, &root, err)))
        return rc;
    if ((rc = regions_new(&r, err))) {
        json_decref(root);
        return rc;
    }
    rc = load_root(r, root, path, err);
    json_decref(root);
    if (rc) {
        mwx_regions_free(r);
        return rc;
    }
    *out = r;
    return MWX_OK;
}

/* ------------------------------------------------------------------ queries */

static void tree_cb(void *item, void *user)
{
    mwx_regions_t *r = user;
    size_t i = *(const size_t *)item;
    if (!r->seen[i]) {
        r->seen[i] = 1;
        r->cand[r->n_cand++] = i;
    }
}

/* OR into hit every region that intersects g; with a mask, only the regions it marks
 * are tested (no tree: the mask is usually a handful of regions). */
static int query_geom(mwx_regions_t *r, const GEOSGeometry *g, const uint8_t *mask, uint8_t *hit,
                      mwx_err_t *err)
{
    r->n_cand = 0;
    if (mask) {
        for (size_t i = 0; i < r->n; i++)
            if (mask[i] && !hit[i]) {
                r->seen[i] = 1;
                r->cand[r->n_cand++] = i;
            }
    } else {
        GEOSSTRtree_query_r(r->gh, r->tree, g, tree_cb, r);
    }
    for (size_t k = 0; k < r->n_cand; k++) {
        size_t i = r->cand[k];
        r->seen[i] = 0;
        if (hit[i])
            continue;
        r->st.geos++;
        char res = GEOSPreparedIntersects_r(r->gh, r->v[i].prep, g);
        if (res == 2) {
            for (size_t j = k + 1; j < r->n_cand; j++)
                r->seen[r->cand[j]] = 0;
            return mwx_err_set(err, MWX_EINVAL, "regions: intersection test failed for %s: %s",
                               r->v[i].info.id, r->gerr);
        }
        if (res == 1)
            hit[i] = 1;
    }
    return MWX_OK;
}

/* Build a polygon (closed ring) or a line string from (lon, lat) shifted by dlon. */
static GEOSGeometry *make_geom(mwx_regions_t *r, const double (*lonlat)[2], size_t n, double dlon,
                               int polygon)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(r->gh, (unsigned)n, 2);
    GEOSGeometry *g;
    if (!cs)
        return NULL;
    for (size_t i = 0; i < n; i++)
        GEOSCoordSeq_setXY_r(r->gh, cs, (unsigned)i, lonlat[i][0] + dlon, lonlat[i][1]);
    if (!polygon)
        return GEOSGeom_createLineString_r(r->gh, cs);
    g = GEOSGeom_createLinearRing_r(r->gh, cs);
    if (!g)
        return NULL;
    return GEOSGeom_createPolygon_r(r->gh, g, NULL, 0);
}

/* OR into hit every region the shape (n points shifted by dlon) meets, by the cell grid
 * where it is sure and by GEOS where it is not; with a mask, only the regions it marks.
 * The same hits as query_geom of the shape, exactly (regions_grid.c). */
static int query_grid(mwx_regions_t *r, const double (*lonlat)[2], size_t n, double dlon,
                      int polygon, const uint8_t *mask, uint8_t *hit, mwx_err_t *err)
{
    GEOSGeometry *g = NULL;
    int rc = MWX_OK;
    double env[4];

    mwxi_rgrid_envelope(lonlat, n, dlon, env);
    for (size_t i = 0; i < r->n && !rc; i++) {
        int res;
        if (hit[i] || (mask && !mask[i]))
            continue;
        res = mwxi_rgrid_shape(&r->v[i].grid, lonlat, n, dlon, polygon, env);
        if (res == MWXI_GRID_HIT) {
            r->st.grid_hit++;
            hit[i] = 1;
            continue;
        }
        if (res == MWXI_GRID_MISS) {
            r->st.grid_miss++;
            continue;
        }
        r->st.geos++;
        if (!g && !(g = make_geom(r, lonlat, n, dlon, polygon)))
            return mwx_err_set(err, MWX_EINVAL, "regions: cannot build the shape: %s", r->gerr);
        res = GEOSPreparedIntersects_r(r->gh, r->v[i].prep, g);
        if (res == 2)
            rc = mwx_err_set(err, MWX_EINVAL, "regions: intersection test failed for %s: %s",
                             r->v[i].info.id, r->gerr);
        else if (res == 1)
            hit[i] = 1;
    }
    if (g)
        GEOSGeom_destroy_r(r->gh, g);
    return rc;
}

/* Query a shape and its +-360 copies when it leaves [-180, 180]. */
static int query_shape(mwx_regions_t *r, const double (*lonlat)[2], size_t n, int polygon,
                       const uint8_t *mask, uint8_t *hit, mwx_err_t *err)
{
    double lo = INFINITY, hi = -INFINITY;
    double shifts[3] = {0.0, 0.0, 0.0};
    int ns = 1, rc = MWX_OK, grid;

    for (size_t i = 0; i < n; i++) {
        if (!isfinite(lonlat[i][0]) || !isfinite(lonlat[i][1]))
            return mwx_err_set(err, MWX_EINVAL, "regions: shape has a non-finite vertex");
        if (lonlat[i][0] < lo)
            lo = lonlat[i][0];
        if (lonlat[i][0] > hi)
            hi = lonlat[i][0];
    }
    if (hi > 180.0)
        shifts[ns++] = -360.0;
    if (lo < -180.0)
        shifts[ns++] = 360.0;
    /* a ring GEOS would refuse (not closed) keeps GEOS's error */
    grid = !r->grid_off && n >= 2 &&
           (!polygon || (lonlat[0][0] == lonlat[n - 1][0] && lonlat[0][1] == lonlat[n - 1][1]));
    for (int s = 0; s < ns && !rc; s++) {
        GEOSGeometry *g;
        if (grid) {
            rc = query_grid(r, lonlat, n, shifts[s], polygon, mask, hit, err);
            continue;
        }
        g = make_geom(r, lonlat, n, shifts[s], polygon);
        if (!g)
            return mwx_err_set(err, MWX_EINVAL, "regions: cannot build the shape: %s", r->gerr);
        rc = query_geom(r, g, mask, hit, err);
        GEOSGeom_destroy_r(r->gh, g);
    }
    return rc;
}

const mwxi_rgrid_t *mwxi_regions_grid(const mwx_regions_t *r, size_t i)
{
    return r && i < r->n ? &r->v[i].grid : NULL;
}

void mwxi_regions_set_grid(mwx_regions_t *r, int on)
{
    r->grid_off = !on;
}

void mwxi_regions_stats(const mwx_regions_t *r, mwxi_regions_stats_t *st)
{
    *st = r->st;
}

static size_t count_hits(const mwx_regions_t *r, const uint8_t *hit)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n; i++)
        c += hit[i] ? 1 : 0;
    return c;
}

int mwxi_regions_in_ring(mwx_regions_t *r, const double (*lonlat)[2], size_t n, uint8_t *hit,
                         mwx_err_t *err)
{
    if (n < 4)
        return mwx_err_set(err, MWX_EINVAL, "regions: a ring needs at least 4 points");
    return query_shape(r, lonlat, n, 1, NULL, hit, err);
}

int mwxi_regions_in_ring_masked(mwx_regions_t *r, const double (*lonlat)[2], size_t n,
                                const uint8_t *mask, uint8_t *hit, mwx_err_t *err)
{
    if (n < 4)
        return mwx_err_set(err, MWX_EINVAL, "regions: a ring needs at least 4 points");
    return query_shape(r, lonlat, n, 1, mask, hit, err);
}

int mwxi_regions_on_line_masked(mwx_regions_t *r, const double (*lonlat)[2], size_t n,
                                const uint8_t *mask, uint8_t *hit, mwx_err_t *err)
{
    if (n < 2)
        return mwx_err_set(err, MWX_EINVAL, "regions: a line needs at least 2 points");
    return query_shape(r, lonlat, n, 0, mask, hit, err);
}

void mwxi_warn_ellipse_ring(const struct geod_geodesic *g, const mwx_rec_impact_est_t *e,
                            int n_vertices, double min_km, double max_km, double (*lonlat)[2])
{
    double a = e->semi_major_km, b = e->semi_minor_km;
    double orient = e->orientation_deg;

    if (!(a >= min_km))
        a = min_km;
    if (!(b >= min_km))
        b = min_km;
    if (a > max_km)
        a = max_km;
    if (b > max_km)
        b = max_km;
    if (b > a) { /* keep a as the major axis */
        double t = a;
        a = b;
        b = t;
        orient += 90.0;
    }
    /* Parametric angle u: the boundary point (a cos u, b sin u) in the ellipse's own frame
     * (x along the major axis). Uniform in u puts vertices densely where the curvature is
     * high, at the ends of a thin ellipse. Each vertex is the end of the geodesic from the
     * centre with azimuth = orientation + the angle of that point from the major axis
     * (clockwise, as azimuths are) and length = its distance from the centre. */
    for (int k = 0; k < n_vertices; k++) {
        double u = 2.0 * MWX_PI * k / n_vertices;
        double x = a * cos(u), y = b * sin(u);
        double lat2, lon2;
        geod_direct(g, e->lat, e->lon, orient + atan2(y, x) / MWX_DEG, hypot(x, y) * 1000.0, &lat2,
                    &lon2, NULL);
        lonlat[k][0] = e->lon + mwx_wrap_pi((lon2 - e->lon) * MWX_DEG) / MWX_DEG;
        lonlat[k][1] = lat2;
    }
    lonlat[n_vertices][0] = lonlat[0][0];
    lonlat[n_vertices][1] = lonlat[0][1];
}

int mwx_regions_in_ellipse(mwx_regions_t *r, const mwx_rec_impact_est_t *ellipse, int n_vertices,
                           uint8_t *hit, size_t *n_hit, mwx_err_t *err)
{
    double ring[MWX_WARN_MAX_RING + 1][2];
    int rc;

    if (!r || !ellipse || !hit)
        return mwx_err_set(err, MWX_EINVAL, "regions: missing argument");
    if (n_vertices <= 0)
        n_vertices = 72;
    if (n_vertices < 8 || n_vertices > MWX_WARN_MAX_RING)
        return mwx_err_set(err, MWX_EINVAL, "regions: ellipse vertices must be in [8, %d]",
                           MWX_WARN_MAX_RING);
    if (!isfinite(ellipse->lat) || !isfinite(ellipse->lon) || fabs(ellipse->lat) > 90.0 ||
        !isfinite(ellipse->semi_major_km) || !isfinite(ellipse->semi_minor_km) ||
        !isfinite(ellipse->orientation_deg) || ellipse->semi_major_km < 0 ||
        ellipse->semi_minor_km < 0)
        return mwx_err_set(err, MWX_EINVAL, "regions: ellipse has invalid values");
    memset(hit, 0, r->n);
    mwxi_warn_ellipse_ring(&r->geod, ellipse, n_vertices, 0.001, 3000.0, ring);
    rc = query_shape(r, (const double(*)[2])ring, (size_t)n_vertices + 1, 1, NULL, hit, err);
    if (n_hit)
        *n_hit = count_hits(r, hit);
    return rc;
}

int mwx_regions_at_point(mwx_regions_t *r, double lat_deg, double lon_deg, uint8_t *hit,
                         size_t *n_hit, mwx_err_t *err)
{
    GEOSGeometry *p = NULL;
    int rc = MWX_OK;

    if (!r || !hit)
        return mwx_err_set(err, MWX_EINVAL, "regions: missing argument");
    if (!isfinite(lat_deg) || !isfinite(lon_deg) || fabs(lat_deg) > 90.0)
        return mwx_err_set(err, MWX_EINVAL, "regions: invalid point");
    memset(hit, 0, r->n);
    lon_deg = mwx_wrap_pi(lon_deg * MWX_DEG) / MWX_DEG;
    if (r->grid_off) {
        p = GEOSGeom_createPointFromXY_r(r->gh, lon_deg, lat_deg);
        if (!p)
            return mwx_err_set(err, MWX_ENOMEM, "regions: cannot build a point");
        rc = query_geom(r, p, NULL, hit, err);
        GEOSGeom_destroy_r(r->gh, p);
        if (n_hit)
            *n_hit = count_hits(r, hit);
        return rc;
    }
    for (size_t i = 0; i < r->n && !rc; i++) {
        int res = mwxi_rgrid_point(&r->v[i].grid, lon_deg, lat_deg);
        if (res != MWXI_GRID_UNSURE) {
            hit[i] = res == MWXI_GRID_HIT;
            continue;
        }
        if (!p && !(p = GEOSGeom_createPointFromXY_r(r->gh, lon_deg, lat_deg)))
            return mwx_err_set(err, MWX_ENOMEM, "regions: cannot build a point");
        res = GEOSPreparedIntersects_r(r->gh, r->v[i].prep, p);
        if (res == 2)
            rc = mwx_err_set(err, MWX_EINVAL, "regions: intersection test failed for %s: %s",
                             r->v[i].info.id, r->gerr);
        else if (res == 1)
            hit[i] = 1;
    }
    if (p)
        GEOSGeom_destroy_r(r->gh, p);
    if (n_hit)
        *n_hit = count_hits(r, hit);
    return rc;
}

/* A geodesic "stadium" piece of a buffered line: the quadrilateral around one segment
 * (offsets at +-90 degrees of the geodesic's azimuth at each end) and a 16-gon around each
 * vertex for the joins. Each piece is tested on its own; their union is the buffer. */
static int query_buffered(mwx_regions_t *r, const double (*ll)[2], size_t n, double buf_m,
                          uint8_t *hit, mwx_err_t *err)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    double ring[17][2];
    int rc;

    for (size_t i = 0; i < n; i++) {
        mwx_rec_impact_est_t c = {.valid = 1,
                                  .lat = ll[i][0],
                                  .lon = ll[i][1],
                                  .semi_major_km = buf_m / 1000.0,
                                  .semi_minor_km = buf_m / 1000.0};
        mwxi_warn_ellipse_ring(&r->geod, &c, 16, 0.001, 3000.0, ring);
        if ((rc = query_shape(r, (const double(*)[2])ring, 17, 1, NULL, hit, err)))
            return rc;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        double lat1 = ll[i][0] * MWX_DEG, lon1 = ll[i][1] * MWX_DEG;
        double lat2 = ll[i + 1][0] * MWX_DEG, lon2 = ll[i + 1][1] * MWX_DEG;
        double s, az1, az2, q[5][2], la, lo;
        mwx_geodesic_inverse(&wgs, lat1, lon1, lat2, lon2, &s, &az1, &az2);
        if (s < 1.0)
            continue;
        mwx_geodesic_direct(&wgs, lat1, lon1, az1 - MWX_PI / 2, buf_m, &la, &lo);
        q[0][0] = lo, q[0][1] = la;
        mwx_geodesic_direct(&wgs, lat2, lon2, az2 - MWX_PI / 2, buf_m, &la, &lo);
        q[1][0] = lo, q[1][1] = la;
        mwx_geodesic_direct(&wgs, lat2, lon2, az2 + MWX_PI / 2, buf_m, &la, &lo);
        q[2][0] = lo, q[2][1] = la;
        mwx_geodesic_direct(&wgs, lat1, lon1, az1 + MWX_PI / 2, buf_m, &la, &lo);
        q[3][0] = lo, q[3][1] = la;
        for (int k = 0; k < 4; k++) {
            q[k][0] = ll[i][1] + mwx_wrap_pi(q[k][0] - lon1) / MWX_DEG;
            q[k][1] /= MWX_DEG;
        }
        q[4][0] = q[0][0], q[4][1] = q[0][1];
        if ((rc = query_shape(r, (const double(*)[2])q, 5, 1, NULL, hit, err)))
            return rc;
    }
    return MWX_OK;
}

int mwx_regions_along_line(mwx_regions_t *r, const double (*latlon_deg)[2], size_t n,
                           double buffer_km, uint8_t *hit, size_t *n_hit, mwx_err_t *err)
{
    double(*ll)[2];
    int rc;

    if (!r || !hit || (n && !latlon_deg))
        return mwx_err_set(err, MWX_EINVAL, "regions: missing argument");
    if (!(buffer_km >= 0.0) || buffer_km > 3000.0)
        return mwx_err_set(err, MWX_EINVAL, "regions: buffer must be in [0, 3000] km");
    if (n == 0) {
        if (n_hit)
            *n_hit = count_hits(r, hit);
        return MWX_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(latlon_deg[i][0]) || !isfinite(latlon_deg[i][1]) ||
            fabs(latlon_deg[i][0]) > 90.0)
            return mwx_err_set(err, MWX_EINVAL, "regions: line point %zu is invalid", i);
    if (n == 1) {
        uint8_t *tmp = malloc(r->n);
        if (!tmp)
            return mwx_err_set(err, MWX_ENOMEM, "regions: out of memory");
        if (buffer_km > 0) {
            memset(tmp, 0, r->n);
            rc = query_buffered(r, latlon_deg, 1, buffer_km * 1000.0, tmp, err);
        } else {
            rc = mwx_regions_at_point(r, latlon_deg[0][0], latlon_deg[0][1], tmp, NULL, err);
        }
        for (size_t i = 0; i < r->n; i++)
            hit[i] |= tmp[i];
        free(tmp);
        if (n_hit)
            *n_hit = count_hits(r, hit);
        return rc;
    }
    if (buffer_km > 0) {
        rc = query_buffered(r, latlon_deg, n, buffer_km * 1000.0, hit, err);
    } else {
        /* (lon, lat) unwrapped from the first point, so that a line across the
         * antimeridian stays continuous. */
        ll = malloc(n * sizeof *ll);
        if (!ll)
            return mwx_err_set(err, MWX_ENOMEM, "regions: out of memory");
        ll[0][0] = mwx_wrap_pi(latlon_deg[0][1] * MWX_DEG) / MWX_DEG;
        ll[0][1] = latlon_deg[0][0];
        for (size_t i = 1; i < n; i++) {
            ll[i][0] = ll[i - 1][0] +
                       mwx_wrap_pi((latlon_deg[i][1] - latlon_deg[i - 1][1]) * MWX_DEG) / MWX_DEG;
            ll[i][1] = latlon_deg[i][0];
        }
        rc = query_shape(r, (const double(*)[2])ll, n, 0, NULL, hit, err);
        free(ll);
    }
    if (n_hit)
        *n_hit = count_hits(r, hit);
    return rc;
}
