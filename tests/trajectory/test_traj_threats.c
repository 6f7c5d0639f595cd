/* The threat classes' trajectories, checked against independent truth:
 *   - quasi-ballistic (depressed below 80 km, with and without the terminal weave) and
 *     glide flights land within 1 km of the aim (PROJ geodesic from the aim to the state
 *     at impact, which must be on the ellipsoid); the apogee, sampled every 0.5 s, is
 *     within 2 % of apogee_km;
 *   - a glide holds glide_alt_km within 5 km from the pull-out to the dive (sampled);
 *   - with zero lift the quasi-ballistic and glide flight models are the ballistic one
 *     (same boost, same states to the millimetre), and a glide with lift_to_drag 0 is
 *     solved as the ballistic flight with the same apex;
 *   - a space launch reaches orbit_alt_km within 5 % (perigee and apogee from the
 *     insertion state's energy and angular momentum, closed form); while the truth says
 *     boost the engine does work (the specific energy rises), and while it says
 *     ballistic within the burn (the coast before circularising) it does not;
 *   - fail_at_s: every part comes down, none reaches orbit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mwx/sim.h"
#include "sim/traj_flight.h"
#include "sim/traj_trajectory.h"
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

/* Lands within 1 km of the aim, apogee within 2 % (sampled). */
static void check_lands_and_apogee(const mwx_physics_t *ph, const mwx_traj_t *tr,
                                   const mwx_launch_t *l)
{
    mwx_traj_info_t in;
    mwx_geo_t g;
    double p[3], v[3], miss, best = -1e9;
    mwx_phase_t phase;
    mwx_traj_get_info(tr, &in);
    assert_int_equal(mwx_traj_state(tr, in.t_impact, p, v, &phase), 0);
    assert_int_equal(phase, MWX_PHASE_IMPACT);
    assert_true(fabs(geo_alt(&ph->earth, p, &g)) < 1e-3);
    mwx_geodesic_inverse(&ph->earth, g.lat, g.lon, l->aim_lat, l->aim_lon, &miss, NULL, NULL);
    for (double t = in.t_launch; t < in.t_impact; t += 0.5) {
        assert_int_equal(mwx_traj_state(tr, t, p, v, NULL), 0);
        best = fmax(best, geo_alt(&ph->earth, p, &g));
    }
    print_message("  %s: miss %.1f m, apogee %.2f km (asked %.2f), flight %.0f s\n", l->id, miss,
                  best / 1e3, l->apogee_m / 1e3, in.t_impact - in.t_launch);
    assert_true(miss < 1000.0);
    assert_true(fabs(best - l->apogee_m) <= 0.02 * l->apogee_m);
}

static void test_quasi_ballistic_lands_on_aim(void **state)
{
    mwx_physics_t ph = phys_full();
    /* scenarios/test-quasi-ballistic.json's flights: 50 km; 45 km with a 5 g weave */
    mwx_launch_t a = make_launch("Q1", 39.0, 125.4, 36.0, 127.3, MWX_PROFILE_DEPRESSED, 50, 60);
    mwx_launch_t b = make_launch("Q2", 39.8, 127.6, 37.2, 131.0, MWX_PROFILE_DEPRESSED, 45, 60);
    mwx_launch_t c = make_launch("Q3", 40.0, 127.5, 39.0, 131.5, MWX_PROFILE_DEPRESSED, 30, 45);
    b.terminal_g = 5.0;
    const mwx_launch_t *ls[3] = {&a, &b, &c};
    for (int i = 0; i < 3; i++) {
        mwx_traj_t *tr = solve(&ph, ls[i]);
        traj_details_t d;
        mwxi_traj_get_details(tr, &d);
        /* it did fly on lift (the pull-up) */
        assert_true(isfinite(d.flight->tau_glide0));
        check_lands_and_apogee(&ph, tr, ls[i]);
        mwx_traj_destroy(tr);
    }
}

static void check_glide(const mwx_launch_t *l)
{
    mwx_physics_t ph = phys_full();
    mwx_traj_t *tr = solve(&ph, l);
    traj_details_t d;
    double lo = 1e9, hi = -1e9, p[3], v[3];
    mwx_geo_t g;
    mwx_phase_t phase;
    check_lands_and_apogee(&ph, tr, l);
    mwxi_traj_get_details(tr, &d);
    const traj_flight_t *fl = d.flight;
    /* the hold: from the first time down at glide_alt to the dive */
    assert_true(isfinite(fl->tau_hold0) && isfinite(fl->tau_dive));
    assert_true(fl->tau_dive - fl->tau_hold0 > 5.0);
    for (double tau = fl->tau_hold0; tau < fl->tau_dive; tau += 0.5) {
        assert_int_equal(mwx_traj_state(tr, l->t_launch + tau, p, v, &phase), 0);
        assert_int_equal(phase, MWX_PHASE_GLIDE);
        double h = geo_alt(&ph.earth, p, &g);
        lo = fmin(lo, h);
        hi = fmax(hi, h);
    }
    print_message("  %s: glide %.0f s at %.2f .. %.2f km (asked %.1f)\n", l->id,
                  fl->tau_dive - fl->tau_hold0, lo / 1e3, hi / 1e3, l->glide_alt_m / 1e3);
    assert_true(fabs(lo - l->glide_alt_m) <= 5000.0);
    assert_true(fabs(hi - l->glide_alt_m) <= 5000.0);
    mwx_traj_destroy(tr);
}

static mwx_launch_t glide_launch(const char *id, double slat, double slon, double alat, double alon,
                                 double apex_km, double glide_km, double ld, double burn_s)
{
    mwx_launch_t l = make_launch(id, slat, slon, alat, alon, MWX_PROFILE_GLIDE, apex_km, burn_s);
    l.glide_alt_m = glide_km * 1e3;
    l.lift_to_drag = ld;
    return l;
}

static void test_glide_lands_and_holds_altitude(void **state)
{
    /* scenarios/test-glide.json's two, and longer ones */
    mwx_launch_t g1 = glide_launch("G1", 40.0, 127.5, 38.5, 136.0, 60, 40, 3, 120);
    mwx_launch_t g2 = glide_launch("G2", 39.2, 125.67, 39.0, 138.5, 60, 40, 3, 100);
    mwx_launch_t g3 = glide_launch("G3", 39.0, 125.7, 20.0, 160.0, 100, 50, 3, 120);
    mwx_launch_t g4 = glide_launch("G4", 39.0, 125.7, 36.0, 140.0, 80, 30, 2, 60);
    g2.crossrange_m = 120e3;
    g2.has_crossrange = 1;
    g4.beta_kg_m2 = 3000.0;
    check_glide(&g1);
    check_glide(&g2);
    check_glide(&g3);
    check_glide(&g4);
}

static void test_glide_refusals(void **state)
{
    mwx_physics_t ph = phys_full();
    struct {
        mwx_launch_t l;
        const char *words;
    } c[4];
    c[0].l = glide_launch("NEAR", 39.0, 125.7, 38.0, 129.0, 60, 40, 3, 120);
    c[0].words = "too close for a glide";
    c[1].l = glide_launch("FAR", 39.0, 125.7, 36.0, 140.0, 45, 25, 1, 120);
    c[1].words = "beyond the glide range";
    c[2].l = glide_launch("HIGH", 39.0, 125.7, 36.0, 140.0, 100, 70, 2, 120);
    c[2].words = "cannot be held below orbital speed";
    c[3].l = glide_launch("SIDE", 39.0, 125.7, 36.0, 140.0, 60, 40, 3, 120);
    c[3].l.crossrange_m = 900e3;
    c[3].l.has_crossrange = 1;
    c[3].words = "crossrange 900 km is too large";
    for (int i = 0; i < 4; i++) {
        mwx_traj_t *tr = NULL;
        mwx_err_t err = {0, ""};
        int rc = mwx_traj_create(&ph, &c[i].l, TEST_EPOCH, &tr, &err);
        print_message("  %s\n", err.msg);
        assert_int_equal(rc, MWX_ERANGE);
        assert_null(tr);
        assert_non_null(strstr(err.msg, c[i].words));
        char name[40];
        snprintf(name, sizeof name, "launch %s:", c[i].l.id);
        assert_true(strncmp(err.msg, name, strlen(name)) == 0);
    }
}

/* Largest position difference between two flights of the same programme, sampled every
 * second of the shorter one. */
static double max_diff(const traj_flight_t *a, const traj_flight_t *b)
{
    double m = 0.0, end = fmin(a->tau_imp, b->tau_imp), ya[TRAJ_N], yb[TRAJ_N];
    for (double tau = 0.0; tau <= end; tau += 1.0) {
        mwxi_traj_flight_state(a, tau, ya);
        mwxi_traj_flight_state(b, tau, yb);
        double d[3] = {ya[0] - yb[0], ya[1] - yb[1], ya[2] - yb[2]};
        m = fmax(m, mwx_norm3(d));
    }
    return m;
}

/* The solved flight of l flown again with lift (ld) zero and without the weave, and as a
 * plain ballistic flight: the same states. With its lift the flight differs by km. */
static void check_zero_lift_is_ballistic(const mwx_launch_t *l)
{
    mwx_physics_t ph = phys_full();
    mwx_traj_t *tr = solve(&ph, l);
    traj_details_t d;
    traj_cfg_t c0, cb, cl;
    traj_flight_t f0, fb, fl;
    memset(&f0, 0, sizeof f0);
    memset(&fb, 0, sizeof fb);
    memset(&fl, 0, sizeof fl);
    mwxi_traj_get_details(tr, &d);
    c0 = *d.cfg;
    c0.ld = 0.0;
    c0.weave_g = 0.0;
    cb = c0;
    cb.post = TRAJ_POST_BALLISTIC;
    cl = *d.cfg;
    cl.weave_g = 0.0;
    assert_int_equal(mwxi_traj_fly(&c0, &d.prog, 0, &f0), 0);
    assert_int_equal(mwxi_traj_fly(&cb, &d.prog, 0, &fb), 0);
    assert_int_equal(mwxi_traj_fly(&cl, &d.prog, 0, &fl), 0);
    assert_true(f0.impacted && fb.impacted && fl.impacted);
    double dz = max_diff(&f0, &fb), dl = max_diff(&fl, &fb);
    print_message("  %s: zero lift vs ballistic %.3g m (impact times %.6f / %.6f s); with "
                  "lift %.1f km\n",
                  l->id, dz, f0.tau_imp, fb.tau_imp, dl / 1e3);
    assert_true(dz < 0.01);
    assert_true(fabs(f0.tau_imp - fb.tau_imp) < 1e-6);
    assert_true(dl > 1000.0); /* the comparison can tell */
    mwxi_traj_flight_free(&f0);
    mwxi_traj_flight_free(&fb);
    mwxi_traj_flight_free(&fl);
    mwx_traj_destroy(tr);
}

static void test_zero_lift_is_ballistic(void **state)
{
    mwx_launch_t q = make_launch("Q1", 39.0, 125.4, 36.0, 127.3, MWX_PROFILE_DEPRESSED, 50, 60);
    mwx_launch_t g = glide_launch("G1", 40.0, 127.5, 38.5, 136.0, 60, 40, 3, 120);
    check_zero_lift_is_ballistic(&q);
    check_zero_lift_is_ballistic(&g);
}

/* A glide with lift_to_drag 0 is the ballistic (here depressed) flight with its apex. */
static void test_zero_lift_glide_solves_as_ballistic(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t g = glide_launch("G0", 39.0, 125.7, 38.0, 137.0, 150, 40, 0, 120);
    mwx_launch_t b = make_launch("B0", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_DEPRESSED, 150, 120);
    mwx_traj_t *tg = solve(&ph, &g), *tb = solve(&ph, &b);
    traj_details_t dg, db;
    mwx_traj_info_t ig, ib;
    double m = 0.0;
    mwxi_traj_get_details(tg, &dg);
    mwxi_traj_get_details(tb, &db);
    mwx_traj_get_info(tg, &ig);
    mwx_traj_get_info(tb, &ib);
    for (double t = ig.t_launch; t < fmin(ig.t_impact, ib.t_impact); t += 1.0) {
        double pg[3], pb[3], d[3];
        assert_int_equal(mwx_traj_state(tg, t, pg, NULL, NULL), 0);
        assert_int_equal(mwx_traj_state(tb, t, pb, NULL, NULL), 0);
        for (int i = 0; i < 3; i++)
            d[i] = pg[i] - pb[i];
        m = fmax(m, mwx_norm3(d));
    }
    print_message("  glide L/D 0 vs depressed 150 km: dv %.3f / %.3f m/s, states within %.3g m, "
                  "impacts %.3f / %.3f s\n",
                  dg.prog.dv, db.prog.dv, m, ig.t_impact, ib.t_impact);
    assert_true(fabs(dg.prog.dv - db.prog.dv) < 1.0);
    assert_true(m < 50.0);
    assert_true(fabs(ig.t_impact - ib.t_impact) < 0.1);
    mwx_traj_destroy(tg);
    mwx_traj_destroy(tb);
}

static mwx_launch_t space_launch(const char *id, double fail_at_s)
{
    mwx_launch_t l;
    memset(&l, 0, sizeof l);
    strncpy(l.id, id, sizeof l.id - 1);
    l.t_launch = 60.0;
    l.site_lat = 39.66 * MWX_DEG;
    l.site_lon = 124.7 * MWX_DEG;
    l.aim_lat = l.site_lat;
    l.aim_lon = l.site_lon;
    l.profile = MWX_PROFILE_SPACE_LAUNCH;
    l.azimuth = 175.0 * MWX_DEG;
    l.orbit_alt_m = 500e3;
    l.n_stages = 3;
    l.stage_burn_s[0] = 130;
    l.stage_burn_s[1] = 180;
    l.stage_burn_s[2] = 300;
    l.burn_time_s = 610;
    l.beta_kg_m2 = 5000.0;
    l.fail_at_s = fail_at_s;
    return l;
}

/* Specific mechanical energy in the inertial frame, point mass + J2 potential
 * (conserved in a coast above the air: the potential is symmetric about the axis). */
static double energy_at(const mwx_physics_t *ph, const mwx_traj_t *tr, double t)
{
    double p[3], v[3], r[3], w[3];
    assert_int_equal(mwx_traj_state(tr, t, p, v, NULL), 0);
    mwx_ecef_to_eci(0.0, ph->earth.omega, p, v, r, w);
    double rn = mwx_norm3(r), a = ph->earth.a, s2 = r[2] * r[2] / (rn * rn);
    double u = -ph->earth.gm / rn +
               ph->earth.gm * ph->earth.j2 * a * a * (3.0 * s2 - 1.0) / (2.0 * rn * rn * rn);
    return 0.5 * mwx_dot3(w, w) + u;
}

static void test_space_launch_orbit_and_phases(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t l = space_launch("SL1", 0.0);
    mwx_traj_t *tr = solve(&ph, &l);
    mwx_traj_info_t in;
    mwx_traj_get_info(tr, &in);
    assert_true(in.in_orbit);

    /* closed form: the conic of the insertion state (true ECI) */
    const double *r = in.burnout_eci, *v = in.burnout_vel_eci;
    double gm = ph.earth.gm, rn = mwx_norm3(r), h[3];
    double e = 0.5 * mwx_dot3(v, v) - gm / rn, a = -gm / (2.0 * e);
    mwx_cross3(r, v, h);
    double ecc = sqrt(fmax(0.0, 1.0 - mwx_dot3(h, h) / (gm * a)));
    mwx_geo_t g;
    double alt_ins = geo_alt(&ph.earth, in.burnout_ecef, &g);
    double r_surf = rn - alt_ins; /* the ellipsoid under the insertion point */
    double hp = a * (1.0 - ecc) - r_surf, ha = a * (1.0 + ecc) - r_surf;
    print_message("  orbit: perigee %.1f km, apogee %.1f km (asked %.0f), e %.5f\n", hp / 1e3,
                  ha / 1e3, l.orbit_alt_m / 1e3, ecc);
    assert_true(fabs(hp - l.orbit_alt_m) <= 0.05 * l.orbit_alt_m);
    assert_true(fabs(ha - l.orbit_alt_m) <= 0.05 * l.orbit_alt_m);
    /* and it stays up: a day later it is still above 400 km and in phase orbit */
    {
        double p[3];
        mwx_phase_t phase;
        mwx_traj_object_t o;
        assert_int_equal(mwx_traj_object(tr, 0, &o), 0);
        assert_false(o.impacts);
        assert_int_equal(mwx_traj_state(tr, o.t_end, p, NULL, &phase), 0);
        assert_int_equal(phase, MWX_PHASE_ORBIT);
        assert_true(geo_alt(&ph.earth, p, &g) > 400e3);
    }

    /* phase boost <=> the engine does work; the coast inside the burn is ballistic */
    int n_boost = 0, n_coast = 0;
    double de_boost_min = HUGE_VAL, de_coast_max = 0.0;
    for (double t = in.t_launch + 1.0; t + 1.0 < in.t_burnout; t += 1.0) {
        mwx_phase_t p0, p1;
        double pp[3];
        assert_int_equal(mwx_traj_state(tr, t, pp, NULL, &p0), 0);
        assert_int_equal(mwx_traj_state(tr, t + 1.0, pp, NULL, &p1), 0);
        if (p0 != p1)
            continue; /* a switch inside the second */
        double de = energy_at(&ph, tr, t + 1.0) - energy_at(&ph, tr, t);
        double alt = geo_alt(&ph.earth, pp, &g);
        if (p0 == MWX_PHASE_BOOST) {
            n_boost++;
            de_boost_min = fmin(de_boost_min, de);
            assert_true(de > 10.0); /* J/kg in a second: thrust */
        } else {
            assert_int_equal(p0, MWX_PHASE_BALLISTIC);
            n_coast++;
            if (alt > 150e3) {
                de_coast_max = fmax(de_coast_max, fabs(de));
                assert_true(fabs(de) < 1.0); /* thin air only */
            }
        }
    }
    print_message("  boost %d s (energy gain >= %.1f J/kg/s), coast inside the burn %d s "
                  "(|change| <= %.3f J/kg/s)\n",
                  n_boost, de_boost_min, n_coast, de_coast_max);
    assert_true(n_boost > 300);
    assert_true(n_coast > 30);
    mwx_traj_destroy(tr);
}

static void test_space_launch_failure_all_fall(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t l = space_launch("SLF", 250.0); /* during stage 2 */
    mwx_traj_t *tr = solve(&ph, &l);
    int n = mwx_traj_n_objects(tr);
    assert_int_equal(n, 3); /* the vehicle, the spent S1, the S2 burning at the break-up */
    for (int k = 0; k < n; k++) {
        mwx_traj_object_t o;
        double p[3];
        mwx_phase_t phase;
        mwx_geo_t g;
        assert_int_equal(mwx_traj_object(tr, k, &o), 0);
        assert_true(o.impacts);
        assert_true(o.t_end < l.t_launch + 3600.0);
        assert_int_equal(mwx_traj_object_state(tr, k, o.t_end, p, NULL, &phase), 0);
        assert_int_equal(phase, MWX_PHASE_IMPACT);
        assert_true(fabs(geo_alt(&ph.earth, p, &g)) < 1.0);
        for (double t = o.t_start; t < o.t_end; t += 5.0) {
            assert_int_equal(mwx_traj_object_state(tr, k, t, p, NULL, &phase), 0);
            assert_true(phase != MWX_PHASE_ORBIT);
            if (t > l.t_launch + l.fail_at_s)
                assert_true(phase != MWX_PHASE_BOOST);
        }
        print_message("  %s: down at %.0f s, %.2f N %.2f E\n", o.id, o.t_end - l.t_launch,
                      o.impact_lat / MWX_DEG, o.impact_lon / MWX_DEG);
    }
    mwx_traj_destroy(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quasi_ballistic_lands_on_aim),
        cmocka_unit_test(test_glide_lands_and_holds_altitude),
        cmocka_unit_test(test_glide_refusals),
        cmocka_unit_test(test_zero_lift_is_ballistic),
        cmocka_unit_test(test_zero_lift_glide_solves_as_ballistic),
        cmocka_unit_test(test_space_launch_orbit_and_phases),
        cmocka_unit_test(test_space_launch_failure_all_fall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
