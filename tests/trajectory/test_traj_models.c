/* The trajectory models against independent truth: the US Standard Atmosphere 1976
 * tables, the gradient of the J2 potential, Dormand-Prince on harmonic oscillators
 * (closed form), and the minimum-energy conic against a brute-force search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "mwx/core.h"
#include "sim/traj_atmosphere.h"
#include "sim/traj_gravity.h"
#include "sim/traj_integrator.h"
#include "sim/traj_kepler.h"

static void test_us76_density(void **state)
{
    /* US Standard Atmosphere 1976, Table I: density (kg/m^3) at geometric altitude (m) */
    static const double tab[][2] = {
        {0, 1.2250},        {1000, 1.1117},     {5000, 0.73643},    {10000, 0.41351},
        {11000, 0.36480},   {20000, 0.088910},  {30000, 0.018410},  {40000, 3.9957e-3},
        {50000, 1.0269e-3}, {60000, 3.0968e-4}, {70000, 8.2829e-5}, {80000, 1.8458e-5},
        {86000, 6.958e-6},  {100000, 5.604e-7}, {150000, 2.076e-9}, {300000, 1.916e-11},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        double rho = mwxi_traj_atm_density(tab[i][0]);
        assert_true(fabs(rho / tab[i][1] - 1.0) < 1e-4); /* the table's 5 digits */
    }
    /* continuous where the layers meet the upper table, decreasing everywhere */
    assert_true(fabs(mwxi_traj_atm_density(85999.0) / mwxi_traj_atm_density(86001.0) - 1.0) < 1e-3);
    double prev = mwxi_traj_atm_density(-1000.0);
    for (double h = -900.0; h < 999000.0; h += 100.0) {
        double r = mwxi_traj_atm_density(h);
        assert_true(r < prev && r > 0.0);
        prev = r;
    }
    assert_true(mwxi_traj_atm_density(1.2e6) == 0.0);
}

static double potential(double gm, double a, double j2, const double r[3])
{
    double rn = mwx_norm3(r), s = r[2] / rn;
    return -gm / rn * (1.0 - j2 * (a / rn) * (a / rn) * 0.5 * (3.0 * s * s - 1.0));
}

static void test_gravity_is_minus_grad_potential(void **state)
{
    const double gm = MWX_WGS84_GM, a = MWX_WGS84_A, j2 = MWX_WGS84_J2;
    srand(3);
    for (int k = 0; k < 200; k++) {
        double r[3], acc[3];
        double rn = a + (rand() / (double)RAND_MAX) * 3e6;
        double lat = (rand() / (double)RAND_MAX - 0.5) * MWX_PI;
        double lon = (rand() / (double)RAND_MAX) * 2 * MWX_PI;
        r[0] = rn * cos(lat) * cos(lon);
        r[1] = rn * cos(lat) * sin(lon);
        r[2] = rn * sin(lat);
        mwxi_traj_gravity(gm, a, j2, r, acc);
        for (int i = 0; i < 3; i++) {
            double rp[3] = {r[0], r[1], r[2]}, rm[3] = {r[0], r[1], r[2]};
            rp[i] += 10.0;
            rm[i] -= 10.0;
            double g = -(potential(gm, a, j2, rp) - potential(gm, a, j2, rm)) / 20.0;
            assert_true(fabs(acc[i] - g) < 1e-8 * 10.0);
        }
    }
    /* equator, surface: mu/a^2 (1 + 3/2 J2) */
    double r[3] = {a, 0, 0}, acc[3];
    mwxi_traj_gravity(gm, a, j2, r, acc);
    assert_float_equal(-acc[0], gm / (a * a) * (1.0 + 1.5 * j2), 1e-12);
}

static const double omg[3] = {1.0, 2.0, 0.5};

static void osc(void *ctx, double t, const double y[TRAJ_N], double dy[TRAJ_N])
{
    for (int i = 0; i < 3; i++) {
        dy[i] = y[3 + i];
        dy[3 + i] = -omg[i] * omg[i] * y[i];
    }
}

static double ev_x0(void *ctx, double t, const double y[TRAJ_N])
{
    return y[0];
}

typedef struct segs {
    traj_seg_t s[4096];
    int n;
} segs_t;

static int keep(void *ctx, const traj_seg_t *seg)
{
    segs_t *ss = ctx;
    if (ss->n == 4096)
        return MWX_EFULL;
    ss->s[ss->n++] = *seg;
    return 0;
}

static void test_dopri_dense_output_and_event(void **state)
{
    static segs_t ss;
    traj_dp_opts_t o = {1e-10, {1e-12, 1e-12, 1e-12, 1e-12, 1e-12, 1e-12}, 0.01, 1.0, 100000};
    traj_dp_result_t res;
    double y[TRAJ_N] = {1, 1, 1, 0, 0, 0};
    ss.n = 0;
    assert_int_equal(mwxi_traj_dp_run(osc, NULL, 0.0, y, 20.0, &o, NULL, NULL, keep, &ss, &res), 0);
    assert_float_equal(res.t, 20.0, 0);
    assert_int_equal(res.event, 0);
    assert_true(res.n_steps > 20 && res.n_steps < 2000);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(y[i] - cos(omg[i] * 20.0)) < 1e-7);
        assert_true(fabs(y[3 + i] + omg[i] * sin(omg[i] * 20.0)) < 1e-7);
    }
    /* dense output between the steps */
    int k = 0;
    for (double t = 0.0; t <= 20.0; t += 0.0137) {
        double yy[TRAJ_N];
        while (k + 1 < ss.n && ss.s[k + 1].t0 <= t)
            k++;
        mwxi_traj_seg_eval(&ss.s[k], t, yy);
        for (int i = 0; i < 3; i++) {
            assert_true(fabs(yy[i] - cos(omg[i] * t)) < 2e-8);
            assert_true(fabs(yy[3 + i] + omg[i] * sin(omg[i] * t)) < 2e-8);
        }
    }
    /* event: x0 = cos t first reaches 0 at pi/2, found on the dense output */
    double y2[TRAJ_N] = {1, 1, 1, 0, 0, 0};
    ss.n = 0;
    assert_int_equal(mwxi_traj_dp_run(osc, NULL, 0.0, y2, 20.0, &o, ev_x0, NULL, keep, &ss, &res),
                     0);
    assert_int_equal(res.event, 1);
    assert_true(fabs(res.t - MWX_PI / 2) < 1e-9);
    assert_true(fabs(y2[0]) < 1e-9);
    assert_true(fabs(y2[1] - cos(2.0 * res.t)) < 1e-8);
    /* the step budget is enforced */
    double y3[TRAJ_N] = {1, 1, 1, 0, 0, 0};
    o.max_steps = 5;
    assert_int_equal(mwxi_traj_dp_run(osc, NULL, 0.0, y3, 20.0, &o, NULL, NULL, NULL, NULL, &res),
                     MWX_ERANGE);
}

/* Range angle of the conic leaving radius r at speed v and angle g back to radius r. */
static double conic_range(double gm, double r, double v, double g)
{
    double nu = r * v * v / gm; /* (v / v_circ)^2 */
    /* tan(phi/2) = nu sin g cos g / (1 - nu cos^2 g) */
    return 2.0 * atan2(nu * sin(g) * cos(g), 1.0 - nu * cos(g) * cos(g));
}

static void test_min_energy_conic(void **state)
{
    const double gm = MWX_SPHERE_GM, r = MWX_SPHERE_R;
    for (double phi = 0.05; phi < 2.5; phi += 0.2) {
        double v, g;
        mwxi_traj_kep_min_energy(gm, r, phi, &v, &g);
        assert_true(fabs(conic_range(gm, r, v, g) - phi) < 1e-10);
        /* brute force: at any other angle, the speed for this range is higher */
        for (double gg = 0.02; gg < 1.55; gg += 0.01) {
            /* solve conic_range(v) = phi for v by bisection */
            double lo = 1.0, hi = sqrt(2.0 * gm / r) * 0.999999;
            if (conic_range(gm, r, hi, gg) < phi)
                continue;
            for (int it = 0; it < 200; it++) {
                double m = 0.5 * (lo + hi);
                if (conic_range(gm, r, m, gg) < phi)
                    lo = m;
                else
                    hi = m;
            }
            assert_true(hi >= v * (1.0 - 1e-9));
        }
        /* the same minimum-energy angle from the vector (chord bisector) form */
        double r1[3] = {r, 0, 0}, r2[3] = {r * cos(phi), r * sin(phi), 0};
        assert_true(fabs(mwxi_traj_kep_min_energy_gamma(r1, r2) - g) < 1e-12);
        /* a lofted conic through the same points: speed and angle reproduce the range
         * and the apogee */
        double va, ga, rv[3], vv[3];
        double apo = mwxi_traj_kep_apoapsis(gm, r1, (double[3]){v * sin(g), v * cos(g), 0});
        assert_int_equal(mwxi_traj_kep_conic_apogee(gm, r, phi, apo * 1.2, &va, &ga), 0);
        assert_true(fabs(conic_range(gm, r, va, ga) - phi) < 1e-9);
        rv[0] = r;
        rv[1] = rv[2] = 0;
        vv[0] = va * sin(ga);
        vv[1] = va * cos(ga);
        vv[2] = 0;
        assert_true(fabs(mwxi_traj_kep_apoapsis(gm, rv, vv) / (apo * 1.2) - 1.0) < 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_us76_density),
        cmocka_unit_test(test_gravity_is_minus_grad_potential),
        cmocka_unit_test(test_dopri_dense_output_and_event),
        cmocka_unit_test(test_min_energy_conic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
