/* Full physics (WGS-84, rotation, J2, drag): every profile lands within 1 km of the aim
 * over a spread of cases, checked independently (PROJ geodesic from the aim to the
 * state at impact, which must be on the ellipsoid); apogees are checked by sampling;
 * minimum energy costs less than lofted and depressed; drag slows the re-entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mwx/sim.h"
#include "traj_test_util.h"

static mwx_traj_t *solve(const mwx_physics_t *ph, const mwx_launch_t *l)
{
    mwx_traj_t *tr = NULL;
    mwx_err_t err = {0, ""};
    int rc = mwx_traj_create(ph, l, TEST_EPOCH, &tr, &err);
    if (rc)
        fprintf(stderr, "%s: %s\n", l->id, err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(tr);
    return tr;
}

static double geo_alt(const mwx_earth_t *e, const double p[3], mwx_geo_t *g)
{
    mwx_ecef_to_geo(e, p, g);
    return g->alt;
}

static void check_lands(const mwx_launch_t *l)
{
    mwx_physics_t ph = phys_full();
    mwx_traj_t *tr = solve(&ph, l);
    mwx_traj_info_t in;
    mwx_geo_t g;
    double p[3], v[3], miss, s_aim;
    mwx_phase_t phase;
    mwx_traj_get_info(tr, &in);

    /* the state at impact is on the ellipsoid, and on the aim */
    assert_int_equal(mwx_traj_state(tr, in.t_impact, p, v, &phase), 0);
    assert_int_equal(phase, MWX_PHASE_IMPACT);
    assert_true(fabs(geo_alt(&ph.earth, p, &g)) < 1e-3);
    mwx_geodesic_inverse(&ph.earth, g.lat, g.lon, l->aim_lat, l->aim_lon, &miss, NULL, NULL);
    assert_true(miss < 1000.0);
    assert_true(fabs(g.lat - in.impact_lat) < 1e-12);
    assert_true(fabs(mwx_wrap_pi(g.lon - in.impact_lon)) < 1e-12);
    mwx_geodesic_inverse(&ph.earth, l->site_lat, l->site_lon, l->aim_lat, l->aim_lon, &s_aim, NULL,
                         NULL);
    assert_true(fabs(in.range_m - s_aim) < 1000.0);
    assert_float_equal(in.t_burnout - in.t_launch, l->burn_time_s, 1e-9);

    /* apogee: against sampling every 0.5 s */
    double best = -1e9;
    for (double t = in.t_launch; t < in.t_impact; t += 0.5) {
        assert_int_equal(mwx_traj_state(tr, t, p, v, NULL), 0);
        best = fmax(best, geo_alt(&ph.earth, p, &g));
    }
    assert_true(in.apogee_m >= best - 1e-3);
    assert_true(in.apogee_m - best < 2.0);
    if (l->profile != MWX_PROFILE_MINIMUM_ENERGY)
        assert_true(fabs(in.apogee_m - l->apogee_m) < 1000.0);
    print_message("  %s: range %.1f km, apogee %.1f km, flight %.1f s, miss %.2f m\n", l->id,
                  in.range_m / 1e3, in.apogee_m / 1e3, in.t_impact - in.t_launch, miss);
    mwx_traj_destroy(tr);
}

static void test_short_range_minimum_energy(void **state)
{
    mwx_launch_t l =
        make_launch("SRBM", 39.0, 125.7, 37.0, 129.5, MWX_PROFILE_MINIMUM_ENERGY, 0, 60);
    check_lands(&l);
}

static void test_lofted_1000km_apogee(void **state)
{
    mwx_launch_t l = make_launch("LOFT", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_LOFTED, 1000, 120);
    check_lands(&l);
}

static void test_default_scenario_launch(void **state)
{
    mwx_launch_t l = make_launch("L1", 39.0, 125.7, 40.5, 135.5, MWX_PROFILE_LOFTED, 1000, 120);
    check_lands(&l);
}

static void test_minimum_energy_across_japan(void **state)
{
    mwx_launch_t l =
        make_launch("JAPAN", 39.0, 125.7, 41.0, 148.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    check_lands(&l);
}

static void test_depressed_100km_apogee(void **state)
{
    mwx_launch_t l = make_launch("DEP", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_DEPRESSED, 100, 120);
    check_lands(&l);
}

static void test_long_range_lofted_6000km(void **state)
{
    mwx_launch_t l =
        make_launch("ICBM-LOFT", 39.0, 125.7, 40.0, 140.0, MWX_PROFILE_LOFTED, 6000, 180);
    /* 7400 km, over the antimeridian, to 6000 km */
    mwx_launch_t h =
        make_launch("HAWAII-LOFT", 39.0, 125.7, 21.3, -157.9, MWX_PROFILE_LOFTED, 6000, 240);
    check_lands(&l);
    check_lands(&h);
}

static void test_west_and_antimeridian(void **state)
{
    mwx_launch_t w =
        make_launch("WEST", 39.0, 125.7, 30.0, 100.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 150);
    mwx_launch_t a =
        make_launch("DATELINE", 40.0, 170.0, 30.0, -160.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 150);
    mwx_launch_t i =
        make_launch("ICBM", 40.0, 127.0, 38.0, -122.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 180);
    mwx_launch_t s = make_launch("SOUTH", -10.0, 20.0, -35.0, 30.0, MWX_PROFILE_LOFTED, 1200, 120);
    check_lands(&w);
    check_lands(&a);
    check_lands(&i);
    check_lands(&s);
}

static double burnout_speed(const mwx_launch_t *l)
{
    mwx_physics_t ph = phys_full();
    mwx_traj_t *tr = solve(&ph, l);
    mwx_traj_info_t in;
    mwx_traj_get_info(tr, &in);
    mwx_traj_destroy(tr);
    return mwx_norm3(in.burnout_vel_eci);
}

static void test_minimum_energy_is_cheapest(void **state)
{
    mwx_launch_t me =
        make_launch("ME", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    mwx_launch_t lo = make_launch("LO", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_LOFTED, 400, 120);
    mwx_launch_t de = make_launch("DE", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_DEPRESSED, 150, 120);
    double vme = burnout_speed(&me), vlo = burnout_speed(&lo), vde = burnout_speed(&de);
    assert_true(vme < vlo);
    assert_true(vme < vde);
}

/* ECEF speed when the descending body passes altitude h. */
static double speed_at_alt(const mwx_traj_t *tr, const mwx_earth_t *e, double h)
{
    mwx_traj_info_t in;
    double p[3], v[3], lo, hi;
    mwx_geo_t g;
    mwx_traj_get_info(tr, &in);
    lo = in.t_burnout;
    hi = in.t_impact;
    /* after the apogee altitude decreases monotonically: bisect */
    double tapo = lo, best = -1;
    for (double t = lo; t < hi; t += 1.0) {
        assert_int_equal(mwx_traj_state(tr, t, p, v, NULL), MWX_OK);
        mwx_ecef_to_geo(e, p, &g);
        if (g.alt > best) {
            best = g.alt;
            tapo = t;
        }
    }
    lo = tapo;
    for (int it = 0; it < 60; it++) {
        double m = 0.5 * (lo + hi);
        assert_int_equal(mwx_traj_state(tr, m, p, v, NULL), MWX_OK);
        mwx_ecef_to_geo(e, p, &g);
        if (g.alt > h)
            lo = m;
        else
            hi = m;
    }
    assert_int_equal(mwx_traj_state(tr, hi, p, v, NULL), MWX_OK);
    return mwx_norm3(v);
}

static void test_drag_slows_reentry(void **state)
{
    mwx_physics_t pd = phys_full(), pn = phys_full();
    mwx_launch_t l =
        make_launch("DRAG", 39.0, 125.7, 41.0, 148.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    pn.drag = 0;
    mwx_traj_t *td = solve(&pd, &l), *tn = solve(&pn, &l);
    double vd30 = speed_at_alt(td, &pd.earth, 30e3), vd5 = speed_at_alt(td, &pd.earth, 5e3);
    double vn30 = speed_at_alt(tn, &pn.earth, 30e3), vn5 = speed_at_alt(tn, &pn.earth, 5e3);
    double vd0 = speed_at_alt(td, &pd.earth, 1.0), vn0 = speed_at_alt(tn, &pn.earth, 1.0);
    print_message("  drag: %.0f -> %.0f -> %.0f m/s; vacuum: %.0f -> %.0f -> %.0f m/s "
                  "(30 km, 5 km, ground)\n",
                  vd30, vd5, vd0, vn30, vn5, vn0);
    assert_true(vd0 < vn0 - 100.0);  /* slower at impact with drag */
    assert_true(vd5 < vd30 - 100.0); /* decelerates in the low atmosphere */
    assert_true(vn5 > vn30);         /* while in vacuum it keeps falling faster */
    /* a heavier body (higher beta) loses less speed */
    l.beta_kg_m2 = 50000.0;
    mwx_traj_t *th = solve(&pd, &l);
    assert_true(speed_at_alt(th, &pd.earth, 1.0) > vd0 + 100.0);
    mwx_traj_destroy(th);
    mwx_traj_destroy(td);
    mwx_traj_destroy(tn);
}

/* Every combination of the physics switches, on WGS-84 and on the sphere, still lands:
 * the impact state is on that earth's surface and on the aim. */
static void test_every_physics_combination(void **state)
{
    mwx_launch_t l = make_launch("MIX", 39.0, 125.7, 40.5, 135.5, MWX_PROFILE_LOFTED, 800, 120);
    for (int k = 0; k < 16; k++) {
        mwx_physics_t ph;
        memset(&ph, 0, sizeof ph);
        ph.spherical = k & 1;
        ph.earth = ph.spherical ? mwx_earth_sphere() : mwx_earth_wgs84();
        ph.rotation = (k >> 1) & 1;
        ph.drag = (k >> 2) & 1;
        ph.j2 = ph.spherical ? 0 : (k >> 3) & 1;
        if (ph.spherical && (k >> 3))
            continue;
        if (!ph.rotation)
            ph.earth.omega = 0.0;
        mwx_traj_t *tr = solve(&ph, &l);
        mwx_traj_info_t in;
        double p[3], miss;
        mwx_geo_t g;
        mwx_traj_get_info(tr, &in);
        assert_int_equal(mwx_traj_state(tr, in.t_impact, p, NULL, NULL), 0);
        mwx_ecef_to_geo(&ph.earth, p, &g);
        assert_true(fabs(g.alt) < 1e-3);
        mwx_geodesic_inverse(&ph.earth, g.lat, g.lon, l.aim_lat, l.aim_lon, &miss, NULL, NULL);
        assert_true(miss < 1000.0);
        assert_true(fabs(in.apogee_m - l.apogee_m) < 1000.0);
        mwx_traj_destroy(tr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_range_minimum_energy),
        cmocka_unit_test(test_lofted_1000km_apogee),
        cmocka_unit_test(test_default_scenario_launch),
        cmocka_unit_test(test_minimum_energy_across_japan),
        cmocka_unit_test(test_depressed_100km_apogee),
        cmocka_unit_test(test_long_range_lofted_6000km),
        cmocka_unit_test(test_west_and_antimeridian),
        cmocka_unit_test(test_minimum_energy_is_cheapest),
        cmocka_unit_test(test_drag_slows_reentry),
        cmocka_unit_test(test_every_physics_combination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
