/* Geodesy on WGS-84 or a sphere: geodetic <-> ECEF, local ENU, range/azimuth/elevation,
 * ECI <-> ECEF, and geodesics (PROJ's geodesic.h; Karney 2013, accurate to nanometres). */
#include "mwx/core.h"

#include <geodesic.h>
#include <math.h>

mwx_earth_t mwx_earth_wgs84(void)
{
    mwx_earth_t e = {MWX_WGS84_A, MWX_WGS84_F, MWX_WGS84_GM, MWX_WGS84_J2, MWX_WGS84_OMEGA};
    return e;
}

mwx_earth_t mwx_earth_sphere(void)
{
    mwx_earth_t e = {MWX_SPHERE_R, 0.0, MWX_SPHERE_GM, 0.0, MWX_WGS84_OMEGA};
    return e;
}

double mwx_earth_b(const mwx_earth_t *e)
{
    return e->a * (1.0 - e->f);
}
double mwx_earth_e2(const mwx_earth_t *e)
{
    return e->f * (2.0 - e->f);
}

double mwx_norm3(const double a[3])
{
    return sqrt(mwx_dot3(a, a));
}

void mwx_cross3(const double a[3], const double b[3], double out[3])
{
    double x = a[1] * b[2] - a[2] * b[1];
    double y = a[2] * b[0] - a[0] * b[2];
    double z = a[0] * b[1] - a[1] * b[0];
    out[0] = x;
    out[1] = y;
    out[2] = z;
}

double mwx_wrap_2pi(double a)
{
    a = fmod(a, 2.0 * MWX_PI);
    if (a < 0)
        a += 2.0 * MWX_PI;
    if (a >= 2.0 * MWX_PI) /* fmod of a tiny negative rounds up to 2pi */
        a = 0.0;
    return a;
}

double mwx_wrap_pi(double a)
{
    a = mwx_wrap_2pi(a);
    return a > MWX_PI ? a - 2.0 * MWX_PI : a;
}

void mwx_geo_to_ecef(const mwx_earth_t *e, const mwx_geo_t *g, double ecef[3])
{
    double e2 = mwx_earth_e2(e);
    double sl = sin(g->lat), cl = cos(g->lat);
    double n = e->a / sqrt(1.0 - e2 * sl * sl);
    ecef[0] = (n + g->alt) * cl * cos(g->lon);
    ecef[1] = (n + g->alt) * cl * sin(g->lon);
    ecef[2] = (n * (1.0 - e2) + g->alt) * sl;
}

void mwx_ecef_to_geo(const mwx_earth_t *e, const double ecef[3], mwx_geo_t *g)
{
    double x = ecef[0], y = ecef[1], z = ecef[2];
    double e2 = mwx_earth_e2(e);
    double p = hypot(x, y);
    double lat, n = e->a, h = 0.0;

    g->lon = (p > 0.0) ? atan2(y, x) : 0.0;
    if (e2 == 0.0) {
        g->lat = atan2(z, p);
        g->alt = hypot(p, z) - e->a;
        return;
    }
    /* Fixed-point iteration on latitude (Bowring's start); converges to 1e-15 rad in a
     * handful of steps for every altitude above -N/2, i.e. anything mwx handles. */
    lat = atan2(z, p * (1.0 - e2));
    for (int i = 0; i < 12; i++) {
        double sl = sin(lat), cl = cos(lat);
        double prev = lat;
        n = e->a / sqrt(1.0 - e2 * sl * sl);
        if (fabs(cl) > 1e-2)
            h = p / cl - n;
        else
            h = z / sl - n * (1.0 - e2);
        lat = atan2(z, p * (1.0 - e2 * n / (n + h)));
        if (fabs(lat - prev) < 1e-15)
            break;
    }
    {
        double sl = sin(lat), cl = cos(lat);
        n = e->a / sqrt(1.0 - e2 * sl * sl);
        /* Height from the projection that is well-conditioned at this latitude. */
        h = fabs(cl) > 0.7 ? p / cl - n : z / sl - n * (1.0 - e2);
    }
    g->lat = lat;
    g->alt = h;
}

void mwx_enu_basis(double lat, double lon, double east[3], double north[3], double up[3])
{
    double sl = sin(lat), cl = cos(lat), so = sin(lon), co = cos(lon);
    east[0] = -so;
    east[1] = co;
    east[2] = 0.0;
    north[0] = -sl * co;
    north[1] = -sl * so;
    north[2] = cl;
    up[0] = cl * co;
    up[1] = cl * so;
    up[2] = sl;
}

void mwx_ecef_to_enu(const mwx_geo_t *site, const double site_ecef[3], const double p[3],
                     double enu[3])
{
    double e[3], n[3], u[3], d[3];
    mwx_enu_basis(site->lat, site->lon, e, n, u);
    d[0] = p[0] - site_ecef[0];
    d[1] = p[1] - site_ecef[1];
    d[2] = p[2] - site_ecef[2];
    enu[0] = mwx_dot3(e, d);
    enu[1] = mwx_dot3(n, d);
    enu[2] = mwx_dot3(u, d);
}

void mwx_enu_to_ecef(const mwx_geo_t *site, const double site_ecef[3], const double enu[3],
                     double p[3])
{
    double e[3], n[3], u[3];
    mwx_enu_basis(site->lat, site->lon, e, n, u);
    for (int i = 0; i < 3; i++)
        p[i] = site_ecef[i] + e[i] * enu[0] + n[i] * enu[1] + u[i] * enu[2];
}

void mwx_ecef_to_rae(const mwx_geo_t *site, const double site_ecef[3], const double p[3],
                     double *range, double *az, double *el)
{
    double enu[3];
    mwx_ecef_to_enu(site, site_ecef, p, enu);
    *range = mwx_norm3(enu);
    *az = mwx_wrap_2pi(atan2(enu[0], enu[1]));
    *el = atan2(enu[2], hypot(enu[0], enu[1]));
}

void mwx_rae_to_ecef(const mwx_geo_t *site, const double site_ecef[3], double range, double az,
                     double el, double p[3])
{
    double enu[3] = {range * cos(el) * sin(az), range * cos(el) * cos(az), range * sin(el)};
    mwx_enu_to_ecef(site, site_ecef, enu, p);
}

double mwx_earth_rotation_angle(double unix_s)
{
    /* IERS 2010 ERA: theta = 2pi (0.7790572732640 + 1.00273781191135448 Du), Du = JD(UT1)
     * - 2451545.0. Split to keep precision: the integer days contribute only their
     * fractional turns. */
    double du = unix_s / 86400.0 + 2440587.5 - 2451545.0;
    double whole = floor(du), frac = du - whole;
    double turns = 0.7790572732640 + 0.00273781191135448 * du + frac;
    return mwx_wrap_2pi(2.0 * MWX_PI * fmod(turns, 1.0));
}

void mwx_eci_to_ecef(double theta, double omega, const double r_eci[3], const double v_eci[3],
                     double r_ecef[3], double v_ecef[3])
{
    double c = cos(theta), s = sin(theta);
    double r[3] = {c * r_eci[0] + s * r_eci[1], -s * r_eci[0] + c * r_eci[1], r_eci[2]};
    if (v_eci && v_ecef) {
        double v[3] = {c * v_eci[0] + s * v_eci[1], -s * v_eci[0] + c * v_eci[1], v_eci[2]};
        /* v_ecef = R v_eci - omega x r_ecef */
        v_ecef[0] = v[0] + omega * r[1];
        v_ecef[1] = v[1] - omega * r[0];
        v_ecef[2] = v[2];
    }
    r_ecef[0] = r[0];
    r_ecef[1] = r[1];
    r_ecef[2] = r[2];
}

void mwx_ecef_to_eci(double theta, double omega, const double r_ecef[3], const double v_ecef[3],
                     double r_eci[3], double v_eci[3])
{
    double c = cos(theta), s = sin(theta);
    if (v_ecef && v_eci) {
        double vi[3] = {v_ecef[0] - omega * r_ecef[1], v_ecef[1] + omega * r_ecef[0], v_ecef[2]};
        v_eci[0] = c * vi[0] - s * vi[1];
        v_eci[1] = s * vi[0] + c * vi[1];
        v_eci[2] = vi[2];
    }
    {
        double r[3] = {c * r_ecef[0] - s * r_ecef[1], s * r_ecef[0] + c * r_ecef[1], r_ecef[2]};
        r_eci[0] = r[0];
        r_eci[1] = r[1];
        r_eci[2] = r[2];
    }
}

void mwx_geodesic_inverse(const mwx_earth_t *e, double lat1, double lon1, double lat2, double lon2,
                          double *s12, double *az1, double *az2)
{
    struct geod_geodesic g;
    double s, a1, a2;
    geod_init(&g, e->a, e->f);
    geod_inverse(&g, lat1 / MWX_DEG, lon1 / MWX_DEG, lat2 / MWX_DEG, lon2 / MWX_DEG, &s, &a1, &a2);
    if (s12)
        *s12 = s;
    if (az1)
        *az1 = mwx_wrap_2pi(a1 * MWX_DEG);
    if (az2)
        *az2 = mwx_wrap_2pi(a2 * MWX_DEG);
}

void mwx_geodesic_direct(const mwx_earth_t *e, double lat1, double lon1, double az1, double s12,
                         double *lat2, double *lon2)
{
    struct geod_geodesic g;
    double la, lo;
    geod_init(&g, e->a, e->f);
    geod_direct(&g, lat1 / MWX_DEG, lon1 / MWX_DEG, az1 / MWX_DEG, s12, &la, &lo, NULL);
    *lat2 = la * MWX_DEG;
    *lon2 = mwx_wrap_pi(lo * MWX_DEG);
}
