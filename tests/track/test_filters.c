/* Filters, models and the impact ellipse against independent truth:
 *   - radar and IR Jacobians against central differences;
 *   - ballistic model against an exact Kepler orbit (sphere, no rotation, no drag);
 *   - Monte-Carlo NEES (50 runs, fixed seeds) of the EKF and the UKF on a ballistic
 *     Kepler case with radar, within the 99 % chi-square bounds;
 *   - the 95 % impact ellipse against a Monte-Carlo of the same covariance;
 *   - a caller-supplied 2-D model driving the EKF (the benchmark use). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "mwx/track.h"
#include "truthgen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* chi-square quantile (Wilson-Hilferty) */
static double chi2q(double k, double z)
{
    double a = 2.0 / (9.0 * k);
    double c = 1.0 - a + z * sqrt(a);
    return k * c * c * c;
}

static void test_radar_jacobian(void **state)
{
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t s = {36.0 * MWX_DEG, 127.0 * MWX_DEG, 300.0};
    mwx_rec_meas_t m;
    mwx_meas_model_t mm;
    double x[MWX_TRACK_NX] = {0}, H[3 * MWX_TRACK_NX], z[3];
    mwx_geo_t tg = {38.5 * MWX_DEG, 129.0 * MWX_DEG, 250e3};
    memset(&m, 0, sizeof(m));
    m.kind = MWX_SENSOR_RADAR;
    mwx_geo_to_ecef(&e, &s, m.sensor_ecef_m);
    m.range_m = 1000.0;
    m.sigma_range_m = 30;
    m.sigma_az_deg = m.sigma_el_deg = 0.05;
    assert_int_equal(mwx_meas_radar(&mm, &e, NULL, &m), 0);
    mwx_geo_to_ecef(&e, &tg, x);
    mm.h(&mm, x, MWX_TRACK_NX, z, H);
    {
        double r, az, el;
        mwx_ecef_to_rae(&s, m.sensor_ecef_m, x, &r, &az, &el);
        assert_true(fabs(r - z[0]) < 1e-6 && fabs(az - z[1]) < 1e-12 && fabs(el - z[2]) < 1e-12);
    }
    for (int j = 0; j < 3; j++) {
        double xp[MWX_TRACK_NX], xm[MWX_TRACK_NX], zp[3], zm[3];
        memcpy(xp, x, sizeof(x));
        memcpy(xm, x, sizeof(x));
        xp[j] += 1.0;
        xm[j] -= 1.0;
        mm.h(&mm, xp, MWX_TRACK_NX, zp, NULL);
        mm.h(&mm, xm, MWX_TRACK_NX, zm, NULL);
        for (int i = 0; i < 3; i++) {
            double num = (zp[i] - zm[i]) / 2.0;
            assert_true(fabs(num - H[i * MWX_TRACK_NX + j]) <= 1e-6 * fabs(num) + 1e-12);
        }
    }
    /* IR */
    {
        tg_rng_t rng = {5};
        mwx_rec_meas_t im;
        double Hi[2 * MWX_TRACK_NX], zi[2];
        tg_ir_measure("SAT", "US", 120.0 * MWX_DEG, 1e-6, &rng, 0.0, x, NULL, &im);
        assert_int_equal(mwx_meas_ir(&mm, &im), 0);
        mm.h(&mm, x, MWX_TRACK_NX, zi, Hi);
        assert_true(fabs(zi[0]) < 1e-5 && fabs(zi[1]) < 1e-5);
        for (int j = 0; j < 3; j++) {
            double xp[MWX_TRACK_NX], xm[MWX_TRACK_NX], zp[2], zm[2];
            memcpy(xp, x, sizeof(x));
            memcpy(xm, x, sizeof(x));
            xp[j] += 10.0;
            xm[j] -= 10.0;
            mm.h(&mm, xp, MWX_TRACK_NX, zp, NULL);
            mm.h(&mm, xm, MWX_TRACK_NX, zm, NULL);
            for (int i = 0; i < 2; i++) {
                double num = (zp[i] - zm[i]) / 20.0;
                assert_true(fabs(num - Hi[i * MWX_TRACK_NX + j]) <= 1e-6 * fabs(num) + 1e-15);
            }
        }
    }
}

static void kepler_params(mwx_dyn_params_t *p)
{
    mwx_earth_t e = mwx_earth_sphere();
    mwx_dyn_params_default(p, &e, 0, 0, 0);
}

static void initial_truth(double r0[3], double v0[3])
{
    /* 300 km up over (38N, 130E), 4.5 km/s at 20 deg above the horizon, heading 80 deg */
    mwx_earth_t e = mwx_earth_sphere();
    mwx_geo_t g = {38.0 * MWX_DEG, 130.0 * MWX_DEG, 300e3};
    double east[3], north[3], up[3], az = 80.0 * MWX_DEG, fp = 20.0 * MWX_DEG;
    mwx_geo_to_ecef(&e, &g, r0);
    mwx_enu_basis(g.lat, g.lon, east, north, up);
    for (int i = 0; i < 3; i++)
        v0[i] = 4500.0 * (cos(fp) * (sin(az) * east[i] + cos(az) * north[i]) + sin(fp) * up[i]);
}

static void test_ballistic_vs_kepler(void **state)
{
    mwx_dyn_params_t p;
    mwx_motion_model_t mm;
    double r0[3], v0[3], r[3], v[3], x[MWX_TRACK_NX] = {0};
    kepler_params(&p);
    mwx_motion_ballistic(&mm, &p);
    initial_truth(r0, v0);
    memcpy(x, r0, sizeof(r0));
    memcpy(x + 3, v0, sizeof(v0));
    for (int i = 0; i < 300; i++)
        assert_int_equal(mm.propagate(&mm, x, 1.0, NULL), 0);
    tg_kepler(MWX_SPHERE_GM, r0, v0, 300.0, r, v);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(x[i] - r[i]) < 0.01); /* 1 cm after 300 s */
        assert_true(fabs(x[3 + i] - v[i]) < 1e-4);
    }
}

/* Mean NEES of pos+vel at checkpoints over 50 runs: filter driven by radar on a Kepler
 * arc perturbed each second by the white-noise acceleration the model assumes (the
 * default q_acc, drawn from its exact discrete covariance), initialised from truth plus
 * a draw from P0. */
static void nees_case(const mwx_filter_t *f, const char *name)
{
    enum { RUNS = 50, STEPS = 200, NCHK = 4 };
    static const int chk[NCHK] = {20, 60, 120, 200};
    mwx_earth_t es = mwx_earth_sphere();
    tg_radar_t rd = {"R1", "JP", 37.0 * MWX_DEG, 133.0 * MWX_DEG, 100.0, 3000e3, 0.0, 30.0, 0.05,
                     0.05, 1.0};
    mwx_dyn_params_t p;
    mwx_motion_model_t mm;
    double sum[NCHK] = {0};
    double lo = chi2q(6.0 * RUNS, -2.5758) / RUNS, hi = chi2q(6.0 * RUNS, 2.5758) / RUNS;
    kepler_params(&p);
    mwx_motion_ballistic(&mm, &p);
    for (int run = 0; run < RUNS; run++) {
        tg_rng_t rng = {1000u + (uint64_t)run};
        double r0[3], v0[3];
        mwx_gauss_t s;
        const int n = MWX_TRACK_NX;
        int c = 0;
        static const double sd0[8] = {500, 500, 500, 50, 50, 50, 1e-3, 1e-5};
        initial_truth(r0, v0);
        memset(&s, 0, sizeof(s));
        s.n = n;
        for (int i = 0; i < n; i++) {
            double tv = i < 3 ? r0[i] : i < 6 ? v0[i - 3] : 0.0;
            s.x[i] = tv + sd0[i] * tg_gauss(&rng);
            s.P[i * n + i] = sd0[i] * sd0[i];
        }
        s.x[7] = fabs(s.x[7]);
        for (int k = 1; k <= STEPS; k++) {
            double r[3], v[3];
            mwx_rec_meas_t m;
            mwx_meas_model_t hm;
            tg_kepler(MWX_SPHERE_GM, r0, v0, 1.0, r, v);
            for (int i = 0; i < 3; i++) {
                /* [p v] kick with covariance q [[1/3, 1/2], [1/2, 1]] (dt = 1) */
                double a = tg_gauss(&rng), b = tg_gauss(&rng), q = p.q_acc;
                v[i] += sqrt(q) * a;
                r[i] += sqrt(q) * (0.5 * a + sqrt(1.0 / 12.0) * b);
            }
            memcpy(r0, r, sizeof(r));
            memcpy(v0, v, sizeof(v));
            assert_int_equal(f->predict(f, &mm, &s, 1.0), 0);
            /* sphere geodesy for the sensor, as the truth uses it */
            {
                mwx_geo_t sg = {rd.lat, rd.lon, rd.alt};
                double se[3], rr, az, el;
                mwx_geo_to_ecef(&es, &sg, se);
                mwx_ecef_to_rae(&sg, se, r, &rr, &az, &el);
                memset(&m, 0, sizeof(m));
                m.kind = MWX_SENSOR_RADAR;
                memcpy(m.sensor_ecef_m, se, sizeof(se));
                m.range_m = rr + rd.sig_r * tg_gauss(&rng);
                m.az_deg = mwx_wrap_2pi(az + rd.sig_az_deg * MWX_DEG * tg_gauss(&rng)) / MWX_DEG;
                m.el_deg = (el + rd.sig_el_deg * MWX_DEG * tg_gauss(&rng)) / MWX_DEG;
                m.sigma_range_m = rd.sig_r;
                m.sigma_az_deg = rd.sig_az_deg;
                m.sigma_el_deg = rd.sig_el_deg;
                assert_int_equal(mwx_meas_radar(&hm, &es, &sg, &m), 0);
            }
            assert_int_equal(f->update(f, &hm, &s, NULL, NULL), 0);
            if (c < NCHK && k == chk[c]) {
                /* NEES over pos+vel (6x6 block) */
                double P6[36], L[36], e6[6], y[6], d2 = 0.0;
                for (int i = 0; i < 6; i++) {
                    e6[i] = s.x[i] - (i < 3 ? r[i] : v[i - 3]);
                    for (int j = 0; j < 6; j++)
                        P6[i * 6 + j] = s.P[i * n + j];
                }
                /* Cholesky solve */
                memset(L, 0, sizeof(L));
                for (int j = 0; j < 6; j++) {
                    double d = P6[j * 6 + j];
                    for (int q = 0; q < j; q++)
                        d -= L[j * 6 + q] * L[j * 6 + q];
                    assert_true(d > 0.0);
                    L[j * 6 + j] = sqrt(d);
                    for (int i = j + 1; i < 6; i++) {
                        double a = P6[i * 6 + j];
                        for (int q = 0; q < j; q++)
                            a -= L[i * 6 + q] * L[j * 6 + q];
                        L[i * 6 + j] = a / L[j * 6 + j];
                    }
                }
                for (int i = 0; i < 6; i++) {
                    double a = e6[i];
                    for (int q = 0; q < i; q++)
                        a -= L[i * 6 + q] * y[q];
                    y[i] = a / L[i * 6 + i];
                    d2 += y[i] * y[i];
                }
                sum[c++] += d2;
            }
        }
    }
    for (int c = 0; c < NCHK; c++) {
        double m = sum[c] / RUNS;
        printf("%s NEES at %3d s: %.2f (99 %% bounds %.2f .. %.2f)\n", name, chk[c], m, lo, hi);
        assert_true(m > lo && m < hi);
    }
}

static void test_nees_ekf(void **state)
{
    nees_case(mwx_filter_ekf(), "EKF");
}
static void test_nees_ukf(void **state)
{
    nees_case(mwx_filter_ukf(), "UKF");
}

static void test_impact_ellipse_vs_monte_carlo(void **state)
{
    enum { MC = 1500 };
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_dyn_params_t p;
    mwx_gauss_t s;
    mwx_rec_impact_est_t imp;
    const int n = MWX_TRACK_NX;
    double r0[3], L[64];
    double sd[8] = {300, 300, 300, 3, 3, 3, 0, 2e-5};
    double cee = 0, cen = 0, cnn = 0, me = 0, mn = 0, east[3], north[3], up[3], c0[3];
    double de[MC], dn[MC];
    int inside = 0;
    tg_rng_t rng = {77};
    mwx_geo_t g = {38.5 * MWX_DEG, 131.0 * MWX_DEG, 200e3}, gi;
    mwx_dyn_params_default(&p, &e, 1, 1, 1);
    mwx_geo_to_ecef(&e, &g, r0);
    memset(&s, 0, sizeof(s));
    s.n = n;
    memcpy(s.x, r0, sizeof(r0));
    mwx_enu_basis(g.lat, g.lon, east, north, up);
    for (int i = 0; i < 3; i++)
        s.x[3 + i] = 2500.0 * east[i] + 800.0 * north[i] - 1500.0 * up[i];
    s.x[7] = 2e-4;
    for (int i = 0; i < n; i++)
        s.P[i * n + i] = sd[i] * sd[i] + (i == 6 ? 1e-12 : 0.0);
    /* correlate position and velocity a little */
    s.P[0 * n + 3] = s.P[3 * n + 0] = 0.5 * sd[0] * sd[3];
    s.P[1 * n + 5] = s.P[5 * n + 1] = -0.4 * sd[1] * sd[5];
    assert_int_equal(mwx_predict_impact(&p, &s, 0.0, 2000.0, &imp), 0);
    assert_true(imp.valid);
    gi.lat = imp.lat * MWX_DEG;
    gi.lon = imp.lon * MWX_DEG;
    gi.alt = 0.0;
    mwx_geo_to_ecef(&e, &gi, c0);
    mwx_enu_basis(gi.lat, gi.lon, east, north, up);
    /* Cholesky of the 8x8 (index 6 tiny) */
    memset(L, 0, sizeof(L));
    for (int j = 0; j < n; j++) {
        double d = s.P[j * n + j];
        for (int q = 0; q < j; q++)
            d -= L[j * n + q] * L[j * n + q];
        L[j * n + j] = sqrt(d);
        for (int i = j + 1; i < n; i++) {
            double a = s.P[i * n + j];
            for (int q = 0; q < j; q++)
                a -= L[i * n + q] * L[j * n + q];
            L[i * n + j] = a / L[j * n + j];
        }
    }
    for (int k = 0; k < MC; k++) {
        double x[MWX_TRACK_NX], w[MWX_TRACK_NX], ip[3], ti, d[3];
        for (int i = 0; i < n; i++)
            w[i] = tg_gauss(&rng);
        for (int i = 0; i < n; i++) {
            x[i] = s.x[i];
            for (int j = 0; j <= i; j++)
                x[i] += L[i * n + j] * w[j];
        }
        x[6] = 0.0;
        if (x[7] < 0)
            x[7] = 0;
        assert_int_equal(mwx_propagate_to_ground(&p, x, 0.0, 2000.0, ip, &ti), 0);
        for (int i = 0; i < 3; i++)
            d[i] = ip[i] - c0[i];
        de[k] = mwx_dot3(east, d);
        dn[k] = mwx_dot3(north, d);
        me += de[k] / MC;
        mn += dn[k] / MC;
    }
    for (int k = 0; k < MC; k++) {
        cee += (de[k] - me) * (de[k] - me) / (MC - 1);
        cen += (de[k] - me) * (dn[k] - mn) / (MC - 1);
        cnn += (dn[k] - mn) * (dn[k] - mn) / (MC - 1);
    }
    {
        double tr = 0.5 * (cee + cnn), dd = sqrt(0.25 * (cee - cnn) * (cee - cnn) + cen * cen);
        double a = sqrt(5.991 * (tr + dd)) / 1000.0, b = sqrt(5.991 * (tr - dd)) / 1000.0;
        /* major axis (east, north) = (l1 - cnn, cen): its azimuth is atan2(east, north) */
        double az = atan2(tr + dd - cnn, cen) / MWX_DEG, dori;
        while (az < 0)
            az += 180.0;
        while (az >= 180.0)
            az -= 180.0;
        dori = fabs(az - imp.orientation_deg);
        if (dori > 90.0)
            dori = 180.0 - dori;
        printf("ellipse: sigma points %.2f x %.2f km @ %.1f deg; Monte-Carlo %.2f x %.2f km @ "
               "%.1f deg; mean offset %.0f m\n",
               imp.semi_major_km, imp.semi_minor_km, imp.orientation_deg, a, b, az, hypot(me, mn));
        assert_true(fabs(imp.semi_major_km / a - 1.0) < 0.1);
        assert_true(fabs(imp.semi_minor_km / b - 1.0) < 0.15);
        assert_true(dori < 5.0);
        assert_true(hypot(me, mn) < 0.2 * imp.semi_minor_km * 1000.0 + 50.0);
    }
    /* coverage of the reported ellipse */
    {
        double th = (90.0 - imp.orientation_deg) * MWX_DEG; /* angle from east */
        double ux = cos(th), uy = sin(th), A = imp.semi_major_km * 1000.0,
               B = imp.semi_minor_km * 1000.0;
        for (int k = 0; k < MC; k++) {
            double pa = de[k] * ux + dn[k] * uy, pb = -de[k] * uy + dn[k] * ux;
            if (pa * pa / (A * A) + pb * pb / (B * B) <= 1.0)
                inside++;
        }
        printf("ellipse coverage: %.3f\n", (double)inside / MC);
        assert_true(fabs((double)inside / MC - 0.95) < 0.02);
    }
}

/* The benchmark use: a caller's 2-D constant-velocity model and a linear position
 * measurement driving the EKF; steady-state against the closed-form alpha-beta gains is
 * too long here, so check the exact Kalman recursion on one step instead. */
static void test_cv_2d_one_step(void **state)
{
    mwx_motion_model_t mm;
    mwx_meas_model_t hm;
    mwx_gauss_t s;
    const mwx_filter_t *f = mwx_filter_ekf();
    double H[8] = {1, 0, 0, 0, 0, 1, 0, 0}, R[4] = {4, 0, 0, 4}, z[2] = {11, -1};
    mwx_motion_cv(&mm, 2, 0.0);
    memset(&s, 0, sizeof(s));
    s.n = 4;
    s.x[0] = 0, s.x[1] = 0, s.x[2] = 10, s.x[3] = 0;
    for (int i = 0; i < 4; i++)
        s.P[i * 4 + i] = i < 2 ? 4.0 : 1.0;
    assert_int_equal(f->predict(f, &mm, &s, 1.0), 0);
    /* P = [[5, 0, 1, 0], ...]: x = 10, y = 0 */
    assert_true(fabs(s.x[0] - 10.0) < 1e-12 && fabs(s.P[0] - 5.0) < 1e-12 &&
                fabs(s.P[2] - 1.0) < 1e-12);
    mwx_meas_linear(&hm, 2, 4, H, R, z);
    assert_int_equal(f->update(f, &hm, &s, NULL, NULL), 0);
    /* gain 5/9 on position: x = 10 + 5/9 (1) */
    assert_true(fabs(s.x[0] - (10.0 + 5.0 / 9.0)) < 1e-12);
    assert_true(fabs(s.x[1] - (-5.0 / 9.0)) < 1e-12);
    /* P_xx = 5 - 25/9 = 20/9 */
    assert_true(fabs(s.P[0] - 20.0 / 9.0) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radar_jacobian), cmocka_unit_test(test_ballistic_vs_kepler),
        cmocka_unit_test(test_cv_2d_one_step), cmocka_unit_test(test_nees_ekf),
        cmocka_unit_test(test_nees_ukf),       cmocka_unit_test(test_impact_ellipse_vs_monte_carlo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
