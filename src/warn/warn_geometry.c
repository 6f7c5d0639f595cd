/* The warning context's geometry: a track's shapes (the 95 % ellipse, the ground-track
 * corridor, the boost-phase fan) and the regions they reach. */
#include "warn/warn_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ track geometry */

void mwxi_warn_track_view(const mwx_rec_track_t *trk, mwx_warn_trackview_t *tv)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    mwx_geo_t g;
    double e[3], n[3], u[3], R[3][3], P[3][3], RP[3][3], Q[3][3];
    const double *c = trk->cov_pos_m2;
    double ve, vn, vu, a, b, d, lmax;

    memset(tv, 0, sizeof *tv);
    tv->trk = trk;
    mwx_ecef_to_geo(&wgs, trk->ecef_m, &g);
    tv->lat = g.lat / MWX_DEG;
    tv->lon = g.lon / MWX_DEG;
    tv->alt_m = g.alt;
    mwx_enu_basis(g.lat, g.lon, e, n, u);
    ve = mwx_dot3(trk->vel_mps, e);
    vn = mwx_dot3(trk->vel_mps, n);
    vu = mwx_dot3(trk->vel_mps, u);
    tv->course_deg = mwx_wrap_2pi(atan2(ve, vn)) / MWX_DEG;
    tv->speed_mps = hypot(ve, vn);
    tv->vspeed_mps = vu;
    /* P_enu = R P R^T with the ENU unit vectors as the rows of R. */
    for (int k = 0; k < 3; k++) {
        R[0][k] = e[k];
        R[1][k] = n[k];
        R[2][k] = u[k];
    }
    P[0][0] = c[0], P[0][1] = c[1], P[0][2] = c[2];
    P[1][0] = c[1], P[1][1] = c[3], P[1][2] = c[4];
    P[2][0] = c[2], P[2][1] = c[4], P[2][2] = c[5];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            RP[i][j] = 0;
            for (int k = 0; k < 3; k++)
                RP[i][j] += R[i][k] * P[k][j];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            Q[i][j] = 0;
            for (int k = 0; k < 3; k++)
                Q[i][j] += RP[i][k] * R[j][k];
        }
    /* Largest eigenvalue of the horizontal 2x2 block: a one-sigma error in the worst
     * horizontal direction (CoT's ce is a one-sigma circle). */
    a = Q[0][0];
    b = Q[1][1];
    d = Q[0][1];
    lmax = 0.5 * (a + b) + sqrt(0.25 * (a - b) * (a - b) + d * d);
    tv->ce_m = lmax > 0 && isfinite(lmax) ? sqrt(lmax) : 0.0;
    tv->le_m = Q[2][2] > 0 && isfinite(Q[2][2]) ? sqrt(Q[2][2]) : 0.0;
}

/* A corridor's or a fan's rings are drawn from its path (warn_state.h mwxi_warn_path_t):
 * the main ring at once, the release ring only when a warned region lies outside the
 * main one (most updates have none), each from the same centre points and widths as
 * before, so the same vertices to the bit. */

/* Ring which (0: the main widths w1, 1: the release widths w2) of a path: at each step
 * the points at +-90 degrees of the path's azimuth, lon unwrapped around lon0; the left
 * side runs out, the right side back, closed. Returns its point count (0: no path). */
size_t mwxi_warn_path_ring(const struct geod_geodesic *g, const mwxi_warn_path_t *p, int which,
                           double (*ring)[2])
{
    int m = p->m;
    size_t n = 2 * (size_t)m + 2;
    if (m < 1)
        return 0;
    for (int i = 0; i <= m; i++) {
        double o[2][2], wd = which ? p->w2[i] : p->w1[i];
        geod_direct(g, p->la[i], p->lo[i], p->az[i] - 90.0, wd, &o[0][1], &o[0][0], NULL);
        geod_direct(g, p->la[i], p->lo[i], p->az[i] + 90.0, wd, &o[1][1], &o[1][0], NULL);
        for (int k = 0; k < 2; k++)
            o[k][0] = p->lon0 + mwx_wrap_pi((o[k][0] - p->lon0) * MWX_DEG) / MWX_DEG;
        ring[i][0] = o[0][0], ring[i][1] = o[0][1];
        ring[2 * m + 1 - i][0] = o[1][0], ring[2 * m + 1 - i][1] = o[1][1];
    }
    ring[n][0] = ring[0][0], ring[n][1] = ring[0][1];
    return n + 1;
}

/* The path of the ground-track corridors from (lat1, lon1) to (lat2, lon2) (degrees),
 * half-widths buf_m (the main ring) and buf2_m (the release corridor): samples along the
 * geodesic at most step_m apart, with its local azimuth. Returns the point count of
 * each ring (0 when too short: then p->m = 0). */
size_t mwxi_warn_corridor_path(const struct geod_geodesic *g, double lat1, double lon1, double lat2,
                               double lon2, double buf_m, double buf2_m, double step_m,
                               mwxi_warn_path_t *p)
{
    struct geod_geodesicline line;
    int m;

    p->m = 0;
    geod_inverseline(&line, g, lat1, lon1, lat2, lon2, 0);
    if (!(line.s13 >= 1000.0))
        return 0;
    m = (int)ceil(line.s13 / step_m);
    if (m < 1)
        m = 1;
    if (m > CORRIDOR_MAX_STEPS - 1)
        m = CORRIDOR_MAX_STEPS - 1;
    for (int i = 0; i <= m; i++) {
        geod_position(&line, line.s13 * i / m, &p->la[i], &p->lo[i], &p->az[i]);
        p->w1[i] = buf_m;
        p->w2[i] = buf2_m;
    }
    p->m = m;
    p->lon0 = lon1;
    return 2 * (size_t)m + 3;
}

/* Half-width of the ellipse across the direction az (radians): the support function of the
 * ellipse in the perpendicular direction. */
double mwxi_warn_ellipse_half_width_km(const mwx_rec_impact_est_t *e, double az)
{
    double d = az + MWX_PI / 2 - e->orientation_deg * MWX_DEG;
    double a = e->semi_major_km, b = e->semi_minor_km;
    return sqrt(a * a * cos(d) * cos(d) + b * b * sin(d) * sin(d));
}

/* ------------------------------------------------------------------ messages */

size_t mwxi_warn_list_regions(const mwx_warn_t *w, const uint8_t *set, int *list)
{
    size_t n = 0;
    for (size_t i = 0; i < w->nreg; i++)
        if (set[i])
            list[n++] = (int)i;
    return n;
}

/* Has the missile passed over every region in set: each region's centre is farther from
 * the predicted impact point than the track's current sub-point is (it lies behind)? */
int mwxi_warn_passed_over(const mwx_warn_t *w, const wtrack_t *tr, const uint8_t *set)
{
    const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
    const mwx_rec_impact_est_t *e = &tr->trk.impact;
    mwx_earth_t wgs = mwx_earth_wgs84();
    mwx_geo_t sub;
    double d_sub, az1, az2;
    int any = 0;
    mwx_ecef_to_geo(&wgs, tr->trk.ecef_m, &sub);
    if (!e->valid || w->no_prediction) {
        /* no prediction (the boost fan, a space launch's path): behind the sub-point is
         * where the bearing to the region's centre is more than 90 degrees off the
         * course */
        mwx_warn_trackview_t tv;
        mwxi_warn_track_view(&tr->trk, &tv);
        for (size_t i = 0; i < w->nreg; i++) {
            const mwx_region_info_t *ri;
            double d, az_c, az_e;
            if (!set[i])
                continue;
            ri = mwx_regions_info(w->regions, i);
            if (!ri)
                return 0;
            geod_inverse(g, sub.lat / MWX_DEG, sub.lon / MWX_DEG, 0.5 * (ri->min_lat + ri->max_lat),
                         0.5 * (ri->min_lon + ri->max_lon), &d, &az_c, &az_e);
            if (!(fabs(mwx_wrap_pi((az_c - tv.course_deg) * MWX_DEG)) > MWX_PI / 2))
                return 0;
            any = 1;
        }
        return any;
    }
    geod_inverse(g, sub.lat / MWX_DEG, sub.lon / MWX_DEG, e->lat, e->lon, &d_sub, &az1, &az2);
    for (size_t i = 0; i < w->nreg; i++) {
        const mwx_region_info_t *ri;
        double d;
        if (!set[i])
            continue;
        ri = mwx_regions_info(w->regions, i);
        if (!ri)
            return 0;
        geod_inverse(g, 0.5 * (ri->min_lat + ri->max_lat), 0.5 * (ri->min_lon + ri->max_lon),
                     e->lat, e->lon, &d, &az1, &az2);
        if (!(d > d_sub))
            return 0;
        any = 1;
    }
    return any;
}

/* The free-flight range (m) of a body at radius r_m moving at speed v_mps, at the best
 * flight-path angle (launch and fall at the same radius: sin(psi / 2) = nu / (2 - nu),
 * nu = v^2 r / GM): the farthest its present energy carries it, INFINITY at orbital
 * speed. Drag only shortens it. */
double mwxi_warn_energy_range_m(double r_m, double v_mps)
{
    double nu = v_mps * v_mps * r_m / MWX_WGS84_GM;
    if (!(r_m > 0) || !(nu < 0.99))
        return INFINITY;
    return MWX_WGS84_A * 2.0 * asin(nu / (2.0 - nu));
}

/* 95 % half-angle (degrees) of the track's course over the ground, from its velocity
 * covariance (the course's gradient through the horizontal block); INFINITY when the
 * body barely moves over the ground. */
double mwxi_warn_course_half_angle_deg(const mwx_warn_trackview_t *tv)
{
    const mwx_rec_track_t *k = tv->trk;
    mwx_geo_t g = {tv->lat * MWX_DEG, tv->lon * MWX_DEG, 0};
    const double *c = k->cov_vel_m2s2;
    double e[3], n[3], u[3], ce[3], cn[3], ve, vn, vh2, qee, qnn, qen, ge, gn, var;
    if (!(tv->speed_mps >= BOOST_FAN_MIN_SPEED))
        return INFINITY;
    mwx_enu_basis(g.lat, g.lon, e, n, u);
    ve = mwx_dot3(k->vel_mps, e);
    vn = mwx_dot3(k->vel_mps, n);
    for (int i = 0; i < 3; i++) { /* C e and C n, C symmetric from its 6 entries */
        static const int ix[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};
        ce[i] = cn[i] = 0;
        for (int j = 0; j < 3; j++) {
            ce[i] += c[ix[i][j]] * e[j];
            cn[i] += c[ix[i][j]] * n[j];
        }
    }
    qee = mwx_dot3(e, ce);
    qnn = mwx_dot3(n, cn);
    qen = mwx_dot3(e, cn);
    vh2 = ve * ve + vn * vn;
    ge = vn / vh2; /* d atan2(ve, vn) / d ve */
    gn = -ve / vh2;
    var = ge * ge * qee + 2 * ge * gn * qen + gn * gn * qnn;
    if (!(var >= 0) || !isfinite(var))
        return INFINITY;
    return 2.0 * sqrt(var) / MWX_DEG;
}

/* The regions on every path a fan holds (docs/WARNING_POLICY.md "Boost phase: the
 * reachable fan", "Before the course is firm"): rays len_m long from the sub-point and from
 * b_m to either side of it, at every azimuth within half_deg of the course (steps of at
 * most SURE_STEP_DEG), sampled every step_m; a region is set in hit when every ray crosses
 * it. tmp is scratch of the regions' size. */
#define SURE_STEP_DEG 1.0
int mwxi_warn_fan_sure(mwx_warn_t *w, const mwx_warn_trackview_t *tv, double len_m, double b_m,
                       double half_deg, double step_m, uint8_t *hit, uint8_t *tmp, mwx_err_t *err)
{
    const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
    int nh, m, rc, first = 1;
    double(*line)[2] = w->scratch;
    memset(hit, 0, w->nreg);
    if (!(len_m >= 1000.0) || !(half_deg >= 0) || !(half_deg < 90.0))
        return MWX_OK;
    nh = (int)ceil(half_deg / SURE_STEP_DEG);
    m = (int)ceil(len_m / step_m);
    if (m < 1)
        m = 1;
    if (m > CORRIDOR_MAX_STEPS - 1)
        m = CORRIDOR_MAX_STEPS - 1;
    if (nh < 1)
        nh = 1;
    /* the central ray first (it finds the candidates), then outwards: the edges are the
     * rays that miss */
    for (int k = 0; k <= 2 * nh; k++) {
        int j = (k & 1) ? (k + 1) / 2 : -(k / 2); /* 0, +1, -1, +2, ... */
        double az = tv->course_deg + half_deg * j / nh;
        for (int o = -1; o <= 1; o++) {
            struct geod_geodesicline gl;
            double la0 = tv->lat, lo0 = tv->lon;
            size_t any = 0;
            if (o && b_m > 0)
                geod_direct(g, tv->lat, tv->lon, tv->course_deg + 90.0 * o, b_m, &la0, &lo0, NULL);
            else if (o)
                continue;
            geod_directline(&gl, g, la0, lo0, az, len_m, 0);
            for (int i = 0; i <= m; i++) {
                double la, lo, a2;
                geod_position(&gl, len_m * i / m, &la, &lo, &a2);
                line[i][0] = tv->lon + mwx_wrap_pi((lo - tv->lon) * MWX_DEG) / MWX_DEG;
                line[i][1] = la;
            }
            memset(tmp, 0, w->nreg);
            if ((rc = mwxi_regions_on_line_masked(w->regions, (const double(*)[2])line,
                                                  (size_t)m + 1, first ? NULL : hit, tmp, err)))
                return rc;
            first = 0;
            for (size_t i = 0; i < w->nreg; i++)
                any += (hit[i] = tmp[i]);
            if (!any)
                return MWX_OK;
        }
    }
    return MWX_OK;
}

/* The reachable fan's path (docs/WARNING_POLICY.md "Boost phase: the reachable fan"): from
 * the sub-point along the course for len_m, half-width w0_m widening by tan(half_deg) per
 * metre flown (at most 1000 km); the release fan's widths are those times release_scale.
 * Returns the point count of each ring (0 when too short: then p->m = 0). */
size_t mwxi_warn_fan_path(const struct geod_geodesic *g, const mwx_warn_trackview_t *tv,
                          double len_m, double w0_m, double half_deg, double scale, double step_m,
                          mwxi_warn_path_t *p)
{
    struct geod_geodesicline line;
    double tn = tan(half_deg * MWX_DEG);
    int m;
    p->m = 0;
    if (!(len_m >= 1000.0))
        return 0;
    geod_directline(&line, g, tv->lat, tv->lon, tv->course_deg, len_m, 0);
    m = (int)ceil(len_m / step_m);
    if (m < 1)
        m = 1;
    if (m > CORRIDOR_MAX_STEPS - 1)
        m = CORRIDOR_MAX_STEPS - 1;
    for (int i = 0; i <= m; i++) {
        double sd = len_m * i / m;
        double wd = fmin(1000e3, w0_m + sd * tn);
        geod_position(&line, sd, &p->la[i], &p->lo[i], &p->az[i]);
        p->w1[i] = wd;
        p->w2[i] = wd * scale;
    }
    p->m = m;
    p->lon0 = tv->lon;
    return 2 * (size_t)m + 3;
}
