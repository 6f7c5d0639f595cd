/* The stored trajectory: dense-output states against an independent fixed-step RK4
 * integration of the same equations of motion (steps 20-50 ms, aligned with the boost
 * events); continuity across the phase changes; the phases; the launch state; the
 * MWX_ERANGE outside [t_launch, t_impact]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "mwx/sim.h"
#include "sim/traj_trajectory.h"
#include "traj_test_util.h"

static void rk4_step(const traj_rhs_ctx_t *x, int stage, double t, double h, double y[TRAJ_N])
{
    double k1[TRAJ_N], k2[TRAJ_N], k3[TRAJ_N], k4[TRAJ_N], yt[TRAJ_N];
    mwxi_traj_rhs_stage(x, stage, t, y, k1);
    for (int i = 0; i < TRAJ_N; i++)
        yt[i] = y[i] + 0.5 * h * k1[i];
    mwxi_traj_rhs_stage(x, stage, t + 0.5 * h, yt, k2);
    for (int i = 0; i < TRAJ_N; i++)
        yt[i] = y[i] + 0.5 * h * k2[i];
    mwxi_traj_rhs_stage(x, stage, t + 0.5 * h, yt, k3);
    for (int i = 0; i < TRAJ_N; i++)
        yt[i] = y[i] + h * k3[i];
    mwxi_traj_rhs_stage(x, stage, t + h, yt, k4);
    for (int i = 0; i < TRAJ_N; i++)
        y[i] += h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

static void compare_with_rk4(const mwx_launch_t *l, double *max_dp, double *max_dv)
{
    mwx_physics_t ph = phys_full();
    mwx_traj_t *tr = NULL;
    mwx_err_t err = {0, ""};
    traj_details_t d;
    traj_rhs_ctx_t x;
    mwx_traj_info_t in;
    assert_int_equal(mwx_traj_create(&ph, l, TEST_EPOCH, &tr, &err), 0);
    mwxi_traj_get_details(tr, &d);
    mwx_traj_get_info(tr, &in);
    mwxi_traj_rhs_init(&x, d.cfg, &d.prog);

    const traj_cfg_t *c = d.cfg;
    double w = c->earth.omega;
    double y[TRAJ_N] = {c->r0[0], c->r0[1], c->r0[2], -w * c->r0[1], w * c->r0[0], 0.0};
    double tau_end = in.t_impact - in.t_launch - 2.0;
    double bounds[5] = {0.0, c->t_vert, x.t_stage, c->burn_s, tau_end};
    int stages[4] = {1, 1, 2, 0};
    *max_dp = *max_dv = 0.0;
    for (int k = 0; k < 4; k++) {
        double span = bounds[k + 1] - bounds[k];
        int n = (int)ceil(span / (k < 3 ? 0.02 : 0.05));
        double h = span / n;
        for (int i = 0; i < n; i++) {
            double tau = bounds[k] + i * h;
            if (i % 20 == 0) {
                double p[3], v[3], pr[3], vr[3];
                assert_int_equal(mwx_traj_state(tr, in.t_launch + tau, p, v, NULL), 0);
                mwx_eci_to_ecef(w * tau, w, y, y + 3, pr, vr);
                double dp[3] = {p[0] - pr[0], p[1] - pr[1], p[2] - pr[2]};
                double dv[3] = {v[0] - vr[0], v[1] - vr[1], v[2] - vr[2]};
                *max_dp = fmax(*max_dp, mwx_norm3(dp));
                *max_dv = fmax(*max_dv, mwx_norm3(dv));
            }
            rk4_step(&x, stages[k], tau, h, y);
        }
    }
    print_message("  %s: %zu steps stored; vs RK4: max position %.2e m, velocity %.2e m/s\n", l->id,
                  d.n_seg, *max_dp, *max_dv);
    mwx_traj_destroy(tr);
}

static void test_dense_output_vs_rk4(void **state)
{
    double dp, dv;
    mwx_launch_t a = make_launch("L1", 39.0, 125.7, 40.5, 135.5, MWX_PROFILE_LOFTED, 1000, 120);
    mwx_launch_t b = make_launch("DEP", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_DEPRESSED, 100, 120);
    mwx_launch_t c =
        make_launch("SRBM", 39.0, 125.7, 37.0, 129.5, MWX_PROFILE_MINIMUM_ENERGY, 0, 60);
    compare_with_rk4(&a, &dp, &dv);
    assert_true(dp < 0.05 && dv < 1e-3);
    compare_with_rk4(&b, &dp, &dv);
    assert_true(dp < 0.05 && dv < 1e-3);
    compare_with_rk4(&c, &dp, &dv);
    assert_true(dp < 0.05 && dv < 1e-3);
}

static void test_phases_and_continuity(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t l = make_launch("L1", 39.0, 125.7, 40.5, 135.5, MWX_PROFILE_LOFTED, 1000, 120);
    mwx_traj_t *tr = NULL;
    mwx_err_t err = {0, ""};
    mwx_traj_info_t in;
    traj_details_t d;
    double p[3], v[3], q[3], u[3], s[3];
    mwx_phase_t phase;
    mwx_geo_t site = {l.site_lat, l.site_lon, 0.0};
    assert_int_equal(mwx_traj_create(&ph, &l, TEST_EPOCH, &tr, &err), 0);
    mwx_traj_get_info(tr, &in);
    mwxi_traj_get_details(tr, &d);

    /* outside the flight */
    assert_int_equal(mwx_traj_state(tr, in.t_launch - 1e-6, p, v, &phase), MWX_ERANGE);
    assert_int_equal(mwx_traj_state(tr, in.t_impact + 1e-6, p, v, &phase), MWX_ERANGE);
    assert_int_equal(mwx_traj_state(tr, NAN, p, v, &phase), MWX_ERANGE);
    assert_int_equal(mwx_traj_state(tr, 0.0, p, v, &phase), MWX_ERANGE);

    /* on the pad, at rest in ECEF */
    mwx_geo_to_ecef(&ph.earth, &site, s);
    assert_int_equal(mwx_traj_state(tr, in.t_launch, p, v, &phase), 0);
    assert_int_equal(phase, MWX_PHASE_BOOST);
    for (int i = 0; i < 3; i++) {
        assert_float_equal(p[i], s[i], 1e-6);
        assert_float_equal(v[i], 0.0, 1e-9);
    }
    /* rising after 1 s */
    assert_int_equal(mwx_traj_state(tr, in.t_launch + 1.0, p, v, NULL), 0);
    double up[3], e_[3], n_[3];
    mwx_enu_basis(l.site_lat, l.site_lon, e_, n_, up);
    assert_true(mwx_dot3(v, up) > 5.0);

    /* continuity across every event of the flight: vertical rise end, staging, burnout */
    traj_rhs_ctx_t x;
    mwxi_traj_rhs_init(&x, d.cfg, &d.prog);
    double ev[3] = {in.t_launch + d.cfg->t_vert, in.t_launch + x.t_stage, in.t_burnout};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(mwx_traj_state(tr, ev[k] - 1e-7, p, v, NULL), 0);
        assert_int_equal(mwx_traj_state(tr, ev[k] + 1e-7, q, u, NULL), 0);
        double dp[3] = {p[0] - q[0], p[1] - q[1], p[2] - q[2]};
        double dv[3] = {v[0] - u[0], v[1] - u[1], v[2] - u[2]};
        assert_true(mwx_norm3(dp) < 1e-3);
        assert_true(mwx_norm3(dv) < 1e-4);
    }
    /* and across every stored step: the dense output is continuous */
    for (size_t k = 1; k < d.n_seg; k++) {
        double t = in.t_launch + d.flight->seg[k].t0;
        assert_int_equal(mwx_traj_state(tr, t - 1e-9, p, v, NULL), 0);
        assert_int_equal(mwx_traj_state(tr, t, q, u, NULL), 0);
        double dp[3] = {p[0] - q[0], p[1] - q[1], p[2] - q[2]};
        double dv[3] = {v[0] - u[0], v[1] - u[1], v[2] - u[2]};
        assert_true(mwx_norm3(dp) < 1e-3);
        assert_true(mwx_norm3(dv) < 1e-3);
    }

    /* phases */
    assert_int_equal(mwx_traj_state(tr, in.t_burnout - 1e-6, p, v, &phase), 0);
    assert_int_equal(phase, MWX_PHASE_BOOST);
    assert_int_equal(mwx_traj_state(tr, in.t_burnout, p, v, &phase), 0);
    assert_int_equal(phase, MWX_PHASE_BALLISTIC);
    for (int i = 0; i < 3; i++) {
        assert_float_equal(p[i], in.burnout_ecef[i], 1e-6);
        assert_float_equal(v[i], in.burnout_vel[i], 1e-6);
    }
    assert_int_equal(mwx_traj_state(tr, in.t_impact - 1e-6, p, v, &phase), 0);
    assert_int_equal(phase, MWX_PHASE_BALLISTIC);
    assert_int_equal(mwx_traj_state(tr, in.t_impact, p, v, &phase), 0);
    assert_int_equal(phase, MWX_PHASE_IMPACT);
    assert_true(mwx_dot3(v, up) < 0.0);

    /* the inertial burnout state is the ECEF one turned back by the rotation angle */
    double th = mwx_earth_rotation_angle(TEST_EPOCH + in.t_burnout), pe[3], ve[3];
    mwx_eci_to_ecef(th, ph.earth.omega, in.burnout_eci, in.burnout_vel_eci, pe, ve);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(pe[i] - in.burnout_ecef[i]) < 1.0);
        assert_true(fabs(ve[i] - in.burnout_vel[i]) < 1e-3);
    }
    mwx_traj_destroy(tr);
}

static void test_deterministic(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t l = make_launch("L1", 39.0, 125.7, 40.5, 135.5, MWX_PROFILE_LOFTED, 1000, 120);
    mwx_traj_t *a = NULL, *b = NULL;
    mwx_traj_info_t ia, ib;
    assert_int_equal(mwx_traj_create(&ph, &l, TEST_EPOCH, &a, NULL), 0);
    assert_int_equal(mwx_traj_create(&ph, &l, TEST_EPOCH, &b, NULL), 0);
    mwx_traj_get_info(a, &ia);
    mwx_traj_get_info(b, &ib);
    assert_memory_equal(&ia, &ib, sizeof ia);
    mwx_traj_destroy(a);
    mwx_traj_destroy(b);
    mwx_traj_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_output_vs_rk4),
        cmocka_unit_test(test_phases_and_continuity),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
