/* Geodesy against independent truth: closed-form points, round trips, PROJ-independent
 * values (a degree of equatorial arc), the J2000 Earth rotation angle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "mwx/core.h"

static void test_geo_ecef_known_points(void **state)
{
    mwx_earth_t e = mwx_earth_wgs84();
    double p[3];
    mwx_geo_t g = {0, 0, 0};
    mwx_geo_to_ecef(&e, &g, p);
    assert_float_equal(p[0], MWX_WGS84_A, 1e-6);
    assert_float_equal(p[1], 0.0, 1e-6);
    g.lat = MWX_PI / 2;
    mwx_geo_to_ecef(&e, &g, p);
    assert_float_equal(p[2], mwx_earth_b(&e), 1e-6);
    assert_float_equal(mwx_earth_b(&e), 6356752.314245, 1e-6);
    /* 90 E, 1000 m */
    g.lat = 0;
    g.lon = MWX_PI / 2;
    g.alt = 1000;
    mwx_geo_to_ecef(&e, &g, p);
    assert_float_equal(p[1], MWX_WGS84_A + 1000, 1e-6);
    assert_float_equal(p[0], 0.0, 1e-6);
}

static void test_geo_round_trip(void **state)
{
    mwx_earth_t es[2] = {mwx_earth_wgs84(), mwx_earth_sphere()};
    srand(1);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 20000; i++) {
            mwx_geo_t g = {(rand() / (double)RAND_MAX - 0.5) * MWX_PI,
                           (rand() / (double)RAND_MAX - 0.5) * 2 * MWX_PI,
                           -500.0 + (rand() / (double)RAND_MAX) * 4.0e7},
                      h;
            double p[3], q[3];
            mwx_geo_to_ecef(&es[k], &g, p);
            mwx_ecef_to_geo(&es[k], p, &h);
            mwx_geo_to_ecef(&es[k], &h, q);
            assert_true(fabs(h.lat - g.lat) < 1e-11);
            assert_true(fabs(mwx_wrap_pi(h.lon - g.lon)) < 1e-11);
            assert_true(fabs(h.alt - g.alt) < 1e-4);
            for (int j = 0; j < 3; j++)
                assert_true(fabs(p[j] - q[j]) < 1e-4);
        }
}

static void test_rae(void **state)
{
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t site = {36 * MWX_DEG, 127 * MWX_DEG, 300};
    double s[3], p[3], r, az, el;
    mwx_geo_to_ecef(&e, &site, s);
    /* straight up: elevation 90 deg */
    mwx_geo_t above = site;
    above.alt += 10000;
    mwx_geo_to_ecef(&e, &above, p);
    mwx_ecef_to_rae(&site, s, p, &r, &az, &el);
    assert_float_equal(r, 10000, 1e-6);
    assert_float_equal(el, MWX_PI / 2, 1e-9);
    /* due east in the ENU frame */
    double enu[3] = {5000, 0, 0};
    mwx_enu_to_ecef(&site, s, enu, p);
    mwx_ecef_to_rae(&site, s, p, &r, &az, &el);
    assert_float_equal(az, MWX_PI / 2, 1e-12);
    assert_float_equal(el, 0, 1e-12);
    /* round trip through rae */
    for (int i = 0; i < 100; i++) {
        double az0 = i * 0.0628, el0 = -0.2 + i * 0.015, r0 = 1000 + i * 9000, q[3];
        mwx_rae_to_ecef(&site, s, r0, az0, el0, q);
        mwx_ecef_to_rae(&site, s, q, &r, &az, &el);
        assert_float_equal(r, r0, 1e-6);
        assert_float_equal(az, az0, 1e-11);
        assert_float_equal(el, el0, 1e-11);
    }
}

static void test_eci_ecef(void **state)
{
    /* ERA at J2000.0 (2000-01-01T12:00:00 UT1) is 2 pi * 0.7790572732640. */
    assert_float_equal(mwx_earth_rotation_angle(946728000.0), 2 * MWX_PI * 0.7790572732640, 1e-9);
    /* one sidereal day later the angle is the same */
    assert_float_equal(mwx_wrap_pi(mwx_earth_rotation_angle(946728000.0 + 86164.0905) -
                                   mwx_earth_rotation_angle(946728000.0)),
                       0.0, 1e-6);
    /* a point fixed in ECEF has zero ECEF velocity and omega x r in ECI */
    double r[3] = {MWX_WGS84_A, 0, 0}, v[3] = {0, 0, 0}, ri[3], vi[3], r2[3], v2[3];
    mwx_ecef_to_eci(0.3, MWX_WGS84_OMEGA, r, v, ri, vi);
    assert_float_equal(mwx_norm3(vi), MWX_WGS84_OMEGA * MWX_WGS84_A, 1e-9);
    mwx_eci_to_ecef(0.3, MWX_WGS84_OMEGA, ri, vi, r2, v2);
    for (int j = 0; j < 3; j++) {
        assert_float_equal(r2[j], r[j], 1e-6);
        assert_float_equal(v2[j], v[j], 1e-9);
    }
}

static void test_geodesic(void **state)
{
    mwx_earth_t e = mwx_earth_wgs84(), sph = mwx_earth_sphere();
    double s, a1, a2, lat, lon;
    /* one degree along the equator is a * pi / 180 */
    mwx_geodesic_inverse(&e, 0, 0, 0, 1 * MWX_DEG, &s, &a1, &a2);
    assert_float_equal(s, MWX_WGS84_A * MWX_DEG, 1e-6);
    assert_float_equal(a1, MWX_PI / 2, 1e-12);
    /* on the sphere, a quarter meridian is R pi / 2 */
    mwx_geodesic_inverse(&sph, 0, 0.5, MWX_PI / 2, 0.5, &s, &a1, &a2);
    assert_float_equal(s, MWX_SPHERE_R * MWX_PI / 2, 1e-6);
    /* direct inverts inverse */
    mwx_geodesic_inverse(&e, 39 * MWX_DEG, 125.7 * MWX_DEG, 40.5 * MWX_DEG, 135.5 * MWX_DEG, &s,
                         &a1, &a2);
    mwx_geodesic_direct(&e, 39 * MWX_DEG, 125.7 * MWX_DEG, a1, s, &lat, &lon);
    assert_float_equal(lat, 40.5 * MWX_DEG, 1e-12);
    assert_float_equal(lon, 135.5 * MWX_DEG, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geo_ecef_known_points),
        cmocka_unit_test(test_geo_round_trip),
        cmocka_unit_test(test_rae),
        cmocka_unit_test(test_eci_ecef),
        cmocka_unit_test(test_geodesic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
