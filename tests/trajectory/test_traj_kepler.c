/* Spherical Earth, no rotation, no drag: after burnout the flight is a Kepler orbit.
 * Energy and angular momentum are conserved along the stored trajectory, and the
 * ground range and time of flight from burnout to impact match the closed-form conic
 * computed here from the burnout state (eccentricity vector, true anomaly at R, time
 * of flight by Kepler's equation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "mwx/sim.h"
#include "traj_test_util.h"

typedef struct kepler_pred {
    double range_angle; /* burnout -> impact, rad */
    double tof;         /* s */
} kepler_pred_t;

/* Eccentric anomaly in [0, 2pi) of true anomaly nu in [0, 2pi). */
static double ecc_anomaly(double e, double nu)
{
    double ce = (e + cos(nu)) / (1.0 + e * cos(nu));
    double ea = acos(fmax(-1.0, fmin(1.0, ce)));
    return nu > MWX_PI ? 2.0 * MWX_PI - ea : ea;
}

static kepler_pred_t kepler_to_surface(double mu, double R, const double r[3], const double v[3])
{
    kepler_pred_t k;
    double rn = mwx_norm3(r), v2 = mwx_dot3(v, v), rv = mwx_dot3(r, v);
    double ev[3], h[3];
    for (int i = 0; i < 3; i++)
        ev[i] = ((v2 - mu / rn) * r[i] - rv * v[i]) / mu;
    mwx_cross3(r, v, h);
    double e = mwx_norm3(ev);
    double p = mwx_dot3(h, h) / mu;
    double a = p / (1.0 - e * e);
    double nu0 = acos(fmax(-1.0, fmin(1.0, mwx_dot3(ev, r) / (e * rn))));
    if (rv < 0)
        nu0 = 2.0 * MWX_PI - nu0;
    double nu1 = 2.0 * MWX_PI - acos((p / R - 1.0) / e); /* descending at R */
    k.range_angle = nu1 - nu0;
    double e0 = ecc_anomaly(e, nu0), e1 = ecc_anomaly(e, nu1);
    double m0 = e0 - e * sin(e0), m1 = e1 - e * sin(e1);
    k.tof = (m1 - m0) / sqrt(mu / (a * a * a));
    return k;
}

static void check_case(const mwx_launch_t *l)
{
    mwx_physics_t ph = phys_kepler();
    mwx_traj_t *tr = NULL;
    mwx_err_t err = {0, ""};
    mwx_traj_info_t in;
    const double mu = MWX_SPHERE_GM, R = MWX_SPHERE_R;
    int rc = mwx_traj_create(&ph, l, TEST_EPOCH, &tr, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    mwx_traj_get_info(tr, &in);

    /* not rotating: ECEF and ECI coincide */
    for (int i = 0; i < 3; i++) {
        assert_float_equal(in.burnout_ecef[i], in.burnout_eci[i], 1e-9);
        assert_float_equal(in.burnout_vel[i], in.burnout_vel_eci[i], 1e-9);
    }
    const double *rb = in.burnout_ecef, *vb = in.burnout_vel;
    double en0 = 0.5 * mwx_dot3(vb, vb) - mu / mwx_norm3(rb), h0[3];
    mwx_cross3(rb, vb, h0);
    double hn0 = mwx_norm3(h0), max_de = 0, max_dh = 0;
    for (int k = 0; k <= 400; k++) {
        double t = in.t_burnout + (in.t_impact - in.t_burnout) * k / 400.0, r[3], v[3], h[3];
        mwx_phase_t ph2;
        assert_int_equal(mwx_traj_state(tr, t, r, v, &ph2), 0);
        double en = 0.5 * mwx_dot3(v, v) - mu / mwx_norm3(r);
        mwx_cross3(r, v, h);
        double dh[3] = {h[0] - h0[0], h[1] - h0[1], h[2] - h0[2]};
        max_de = fmax(max_de, fabs(en / en0 - 1.0));
        max_dh = fmax(max_dh, mwx_norm3(dh) / hn0);
    }
    assert_true(max_de < 1e-9);
    assert_true(max_dh < 1e-9);

    /* the conic from the burnout state */
    kepler_pred_t kp = kepler_to_surface(mu, R, rb, vb);
    double ri[3], vi[3];
    assert_int_equal(mwx_traj_state(tr, in.t_impact, ri, vi, NULL), 0);
    assert_float_equal(mwx_norm3(ri), R, 1e-4);
    double ang = acos(mwx_dot3(rb, ri) / (mwx_norm3(rb) * mwx_norm3(ri)));
    double tof = in.t_impact - in.t_burnout;
    assert_true(fabs(ang / kp.range_angle - 1.0) < 1e-6);
    assert_true(fabs(tof / kp.tof - 1.0) < 1e-6);
    /* and it lands on the aim (sphere, so the great-circle distance) */
    double aim[3] = {R * cos(l->aim_lat) * cos(l->aim_lon), R * cos(l->aim_lat) * sin(l->aim_lon),
                     R * sin(l->aim_lat)};
    double d[3] = {ri[0] - aim[0], ri[1] - aim[1], ri[2] - aim[2]};
    assert_true(mwx_norm3(d) < 1000.0);
    print_message("  %s: range %.1f km, tof %.1f s: conic range %.3e rel, tof %.3e rel; "
                  "energy %.1e, momentum %.1e\n",
                  l->id, in.range_m / 1e3, tof, ang / kp.range_angle - 1.0, tof / kp.tof - 1.0,
                  max_de, max_dh);
    mwx_traj_destroy(tr);
}

static void test_kepler_minimum_energy(void **state)
{
    mwx_launch_t l =
        make_launch("K1", 39.0, 125.7, 41.0, 148.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    check_case(&l);
}

static void test_kepler_lofted(void **state)
{
    mwx_launch_t l = make_launch("K2", 39.0, 125.7, 40.5, 135.5, MWX_PROFILE_LOFTED, 1500, 120);
    check_case(&l);
}

static void test_kepler_long_range(void **state)
{
    mwx_launch_t l =
        make_launch("K3", 40.0, 127.0, 38.0, -122.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 180);
    check_case(&l);
}

/* Rotating sphere, no drag: the ECEF states, taken back to an inertial frame with the
 * Earth's rotation, still conserve energy and angular momentum (checks the rotation and
 * the omega x r velocity transport of mwx_traj_state). */
static void test_rotating_earth_inertial_invariants(void **state)
{
    mwx_physics_t ph = phys_kepler();
    mwx_launch_t l =
        make_launch("ROT", 39.0, 125.7, 41.0, 148.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    mwx_traj_t *tr = NULL;
    mwx_traj_info_t in;
    const double mu = MWX_SPHERE_GM, w = MWX_WGS84_OMEGA;
    ph.earth.omega = w;
    ph.rotation = 1;
    assert_int_equal(mwx_traj_create(&ph, &l, TEST_EPOCH, &tr, NULL), 0);
    mwx_traj_get_info(tr, &in);
    double en0 = 0, h0[3] = {0, 0, 0}, max_de = 0, max_dh = 0, vrel_max = 0;
    for (int k = 0; k <= 200; k++) {
        double t = in.t_burnout + (in.t_impact - in.t_burnout) * k / 200.0;
        double p[3], v[3], ri[3], vi[3], h[3];
        assert_int_equal(mwx_traj_state(tr, t, p, v, NULL), 0);
        mwx_ecef_to_eci(w * (t - in.t_launch), w, p, v, ri, vi);
        double en = 0.5 * mwx_dot3(vi, vi) - mu / mwx_norm3(ri);
        mwx_cross3(ri, vi, h);
        if (k == 0) {
            en0 = en;
            for (int i = 0; i < 3; i++)
                h0[i] = h[i];
        }
        double dh[3] = {h[0] - h0[0], h[1] - h0[1], h[2] - h0[2]};
        max_de = fmax(max_de, fabs(en / en0 - 1.0));
        max_dh = fmax(max_dh, mwx_norm3(dh) / mwx_norm3(h0));
        /* and the ECEF speed differs from the inertial one by omega x r */
        vrel_max = fmax(vrel_max, fabs(mwx_norm3(vi) - mwx_norm3(v)));
    }
    assert_true(max_de < 1e-9);
    assert_true(max_dh < 1e-9);
    assert_true(vrel_max > 100.0); /* the frames really differ */
    /* the burnout ECI state of the info is the same orbit */
    double ebo =
        0.5 * mwx_dot3(in.burnout_vel_eci, in.burnout_vel_eci) - mu / mwx_norm3(in.burnout_eci);
    assert_true(fabs(ebo / en0 - 1.0) < 1e-9);
    mwx_traj_destroy(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kepler_minimum_energy),
        cmocka_unit_test(test_kepler_lofted),
        cmocka_unit_test(test_kepler_long_range),
        cmocka_unit_test(test_rotating_earth_inertial_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
