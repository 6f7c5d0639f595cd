/* Sensors against independent truth: synthetic target states are fed straight into the
 * sensor interface (no trajectory code), and the measurements are compared with the
 * test's own geometry (its own geodetic->ECEF, ENU and line-of-sight code).
 *   - radar and IR residuals / sigma follow N(0, 1): chi-square goodness of fit over 20
 *     equiprobable bins, 99.9 % (critical value 43.82 for 19 degrees of freedom);
 *   - no radar measurement below min elevation or beyond max range; detection rate = pd;
 *   - IR only in boost and only above the limb (+10 km);
 *   - false alarms per scan: mean within 4 sigma of the Poisson rate, dispersion index
 *     consistent with 1; positions inside the coverage volume, uniform in r^3;
 *   - determinism: same seed same output, different seed different; streams per id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/sim.h"
#include "sim/rng.h"
#include "sim/sensor.h"

#define NBINS       20
#define CHI2_19_999 43.82

/* ---- the test's own geometry (WGS-84 constants typed in, not taken from core) */
static const double A = 6378137.0, F = 1.0 / 298.257223563;

static void my_geo_to_ecef(double lat, double lon, double h, double p[3])
{
    double e2 = F * (2 - F), n = A / sqrt(1 - e2 * sin(lat) * sin(lat));
    p[0] = (n + h) * cos(lat) * cos(lon);
    p[1] = (n + h) * cos(lat) * sin(lon);
    p[2] = (n * (1 - e2) + h) * sin(lat);
}

/* Range, azimuth (from north, clockwise), elevation of p from (lat, lon, h). */
static void my_rae(double lat, double lon, double h, const double p[3], double *r, double *az,
                   double *el)
{
    double s[3], d[3], e, n, u;
    my_geo_to_ecef(lat, lon, h, s);
    for (int i = 0; i < 3; i++)
        d[i] = p[i] - s[i];
    e = -sin(lon) * d[0] + cos(lon) * d[1];
    n = -sin(lat) * cos(lon) * d[0] - sin(lat) * sin(lon) * d[1] + cos(lat) * d[2];
    u = cos(lat) * cos(lon) * d[0] + cos(lat) * sin(lon) * d[1] + sin(lat) * d[2];
    *r = sqrt(e * e + n * n + u * u);
    *az = atan2(e, n);
    if (*az < 0)
        *az += 2 * M_PI;
    *el = atan2(u, sqrt(e * e + n * n));
}

static double wrap_pi(double a)
{
    while (a > M_PI)
        a -= 2 * M_PI;
    while (a <= -M_PI)
        a += 2 * M_PI;
    return a;
}

typedef struct gof {
    long bins[NBINS];
    long n;
} gof_t;

static void gof_add(gof_t *g, double z)
{
    double u = 0.5 * erfc(-z / sqrt(2.0)); /* Phi(z) */
    int b = (int)(u * NBINS);
    if (b < 0)
        b = 0;
    if (b >= NBINS)
        b = NBINS - 1;
    g->bins[b]++;
    g->n++;
}

static double gof_chi2(const gof_t *g)
{
    double e = (double)g->n / NBINS, c = 0;
    for (int i = 0; i < NBINS; i++)
        c += (g->bins[i] - e) * (g->bins[i] - e) / e;
    return c;
}

static mwx_physics_t wgs84_physics(void)
{
    mwx_physics_t ph;
    memset(&ph, 0, sizeof ph);
    ph.earth = mwx_earth_wgs84();
    ph.rotation = 1;
    ph.j2 = 1;
    return ph;
}

static mwx_sensor_cfg_t radar_cfg(void)
{
    mwx_sensor_cfg_t c;
    memset(&c, 0, sizeof c);
    strcpy(c.id, "KR-R1");
    strcpy(c.nation, "KR");
    c.kind = MWX_SENSOR_RADAR;
    c.lat = 37.5 * MWX_DEG;
    c.lon = 128.9 * MWX_DEG;
    c.alt_m = 300;
    c.max_range_m = 1000e3;
    c.min_elevation = 2.0 * MWX_DEG;
    c.sigma_range_m = 30;
    c.sigma_az = 0.05 * MWX_DEG;
    c.sigma_el = 0.08 * MWX_DEG;
    c.pd = 0.8;
    c.revisit_s = 1.0;
    return c;
}

static mwx_rec_meas_t meas[MWX_SENSOR_MAX_MEAS(64)];
static const char *const ids[64] = {"T0",  "T1",  "T2",  "T3",  "T4",  "T5",  "T6",  "T7",
                                    "T8",  "T9",  "T10", "T11", "T12", "T13", "T14", "T15",
                                    "T16", "T17", "T18", "T19", "T20", "T21", "T22", "T23",
                                    "T24", "T25", "T26", "T27", "T28", "T29", "T30", "T31"};

/* Random targets in a box around the radar: some in coverage, some not. */
static void random_targets(mwx_rng_t *r, mwx_sim_target_t *tg, int n, double lat0, double lon0,
                           double span_deg, double hmax)
{
    for (int i = 0; i < n; i++) {
        double lat = (lat0 + (mwxi_rng_uniform(r) - 0.5) * span_deg) * MWX_DEG;
        double lon = (lon0 + (mwxi_rng_uniform(r) - 0.5) * span_deg) * MWX_DEG;
        double h = mwxi_rng_uniform(r) * hmax;
        my_geo_to_ecef(lat, lon, h, tg[i].ecef);
        tg[i].vel[0] = tg[i].vel[1] = tg[i].vel[2] = 0;
        tg[i].phase = MWX_PHASE_BALLISTIC;
        tg[i].id = ids[i];
    }
}

static int target_index(const char *id)
{
    for (int i = 0; i < 32; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    return -1;
}

static void test_radar_residuals_and_coverage(void **state)
{
    mwx_physics_t ph = wgs84_physics();
    mwx_sensor_cfg_t c = radar_cfg();
    mwx_sensor_t s;
    mwx_rng_t r;
    mwx_sim_target_t tg[32];
    gof_t gr = {{0}, 0}, ga = {{0}, 0}, ge = {{0}, 0};
    long opportunities = 0, detections = 0, outside_seen = 0;
    assert_int_equal(mwxi_sensor_init(&s, &c, &ph, 42, NULL), 0);
    mwxi_rng_seed(&r, 1, "targets");
    for (int scan = 0; scan < 2000; scan++) {
        size_t nm;
        int in_cov[32];
        random_targets(&r, tg, 32, 37.5, 128.9, 24.0, 1500e3);
        for (int i = 0; i < 32; i++) {
            double rr, az, el;
            my_rae(c.lat, c.lon, c.alt_m, tg[i].ecef, &rr, &az, &el);
            in_cov[i] = el >= c.min_elevation && rr <= c.max_range_m;
            opportunities += in_cov[i];
        }
        nm = s.ops->scan(&s, scan, tg, 32, meas, MWX_SENSOR_MAX_MEAS(64));
        for (size_t k = 0; k < nm; k++) {
            const mwx_rec_meas_t *m = &meas[k];
            int i = target_index(m->truth_object);
            double rr, az, el;
            assert_true(i >= 0);
            if (!in_cov[i]) {
                outside_seen++;
                continue;
            }
            detections++;
            my_rae(c.lat, c.lon, c.alt_m, tg[i].ecef, &rr, &az, &el);
            gof_add(&gr, (m->range_m - rr) / c.sigma_range_m);
            gof_add(&ga, wrap_pi(m->az_deg * M_PI / 180 - az) / c.sigma_az);
            gof_add(&ge, (m->el_deg * M_PI / 180 - el) / c.sigma_el);
            /* complete record */
            assert_string_equal(m->sensor, "KR-R1");
            assert_string_equal(m->nation, "KR");
            assert_int_equal(m->kind, MWX_SENSOR_RADAR);
            assert_float_equal(m->sigma_range_m, 30, 1e-12);
            assert_float_equal(m->sigma_az_deg, 0.05, 1e-12);
            assert_float_equal(m->sigma_el_deg, 0.08, 1e-12);
            assert_true(m->az_deg >= 0 && m->az_deg < 360);
            assert_float_equal(m->t, scan, 0);
            {
                double sp[3];
                my_geo_to_ecef(c.lat, c.lon, c.alt_m, sp);
                for (int j = 0; j < 3; j++)
                    assert_float_equal(m->sensor_ecef_m[j], sp[j], 1e-6);
            }
        }
    }
    assert_int_equal(outside_seen, 0);
    assert_true(opportunities > 5000);
    /* detection rate pd within 4 binomial sigmas */
    {
        double p = (double)detections / opportunities;
        double sd = sqrt(c.pd * (1 - c.pd) / opportunities);
        assert_true(fabs(p - c.pd) < 4 * sd);
    }
    print_message("radar chi2: range %.1f az %.1f el %.1f (n=%ld, crit %.2f)\n", gof_chi2(&gr),
                  gof_chi2(&ga), gof_chi2(&ge), gr.n, CHI2_19_999);
    assert_true(gof_chi2(&gr) < CHI2_19_999);
    assert_true(gof_chi2(&ga) < CHI2_19_999);
    assert_true(gof_chi2(&ge) < CHI2_19_999);
}

/* The chi-square test must be able to fail: residuals with a 10 % wrong sigma. */
static void test_chi2_detects_wrong_sigma(void **state)
{
    mwx_rng_t r;
    gof_t g = {{0}, 0};
    mwxi_rng_seed(&r, 3, "x");
    for (int i = 0; i < 20000; i++)
        gof_add(&g, 1.1 * mwxi_rng_gauss(&r));
    assert_true(gof_chi2(&g) > CHI2_19_999);
}

static void test_radar_false_alarms_poisson(void **state)
{
    mwx_physics_t ph = wgs84_physics();
    mwx_sensor_cfg_t c = radar_cfg();
    mwx_sensor_t s;
    const int scans = 20000;
    const double lambda = 3.0;
    double sum = 0, disp = 0, r3 = 0, sinel = 0;
    long n = 0;
    c.false_alarms_per_scan = lambda;
    assert_int_equal(mwxi_sensor_init(&s, &c, &ph, 99, NULL), 0);
    for (int k = 0; k < scans; k++) {
        size_t nm = s.ops->scan(&s, k, NULL, 0, meas, MWX_SENSOR_MAX_MEAS(64));
        sum += (double)nm;
        disp += ((double)nm - lambda) * ((double)nm - lambda) / lambda;
        for (size_t j = 0; j < nm; j++) {
            const mwx_rec_meas_t *m = &meas[j];
            assert_string_equal(m->truth_object, "");
            assert_true(m->range_m <= c.max_range_m);
            assert_true(m->el_deg * MWX_DEG >= c.min_elevation - 1e-12);
            assert_true(m->el_deg <= 90);
            assert_true(m->az_deg >= 0 && m->az_deg < 360);
            r3 += pow(m->range_m / c.max_range_m, 3);
            sinel += (sin(m->el_deg * MWX_DEG) - sin(c.min_elevation)) / (1 - sin(c.min_elevation));
            n++;
        }
    }
    {
        double mean = sum / scans, sd = sqrt(lambda / scans);
        /* Sum of (n-lambda)^2/lambda over scans: mean = scans, variance ~ 2 scans (+ a
         * small excess-kurtosis term 1/lambda per scan for a Poisson). */
        double z = (disp - scans) / sqrt(scans * (2.0 + 1.0 / lambda));
        print_message("false alarms: mean %.4f (rate %.1f, 4 sd %.4f), dispersion z %.2f\n", mean,
                      lambda, 4 * sd, z);
        assert_true(fabs(mean - lambda) < 4 * sd);
        assert_true(fabs(z) < 4);
    }
    /* uniform in volume: (r/R)^3 and the scaled sin(el) are U(0,1), mean 1/2 */
    assert_true(fabs(r3 / n - 0.5) < 4 * sqrt(1.0 / 12 / n));
    assert_true(fabs(sinel / n - 0.5) < 4 * sqrt(1.0 / 12 / n));
}

static void test_poisson_sampler_large_rate(void **state)
{
    mwx_rng_t r;
    const int n = 20000;
    double lambda = 40.0, s = 0, s2 = 0;
    mwxi_rng_seed(&r, 5, "p");
    for (int i = 0; i < n; i++) {
        double k = mwxi_rng_poisson(&r, lambda);
        s += k;
        s2 += k * k;
    }
    {
        double mean = s / n, var = s2 / n - mean * mean;
        assert_true(fabs(mean - lambda) < 4 * sqrt(lambda / n));
        /* variance of the sample variance of a Poisson ~ (2 l^2 + l) / n */
        assert_true(fabs(var - lambda) < 4 * sqrt((2 * lambda * lambda + lambda) / n));
    }
    assert_int_equal(mwxi_rng_poisson(&r, 0.0), 0);
}

static mwx_sensor_cfg_t ir_cfg(void)
{
    mwx_sensor_cfg_t c;
    memset(&c, 0, sizeof c);
    strcpy(c.id, "US-IR1");
    strcpy(c.nation, "US");
    c.kind = MWX_SENSOR_IR;
    c.lon = 120.0 * MWX_DEG;
    c.sigma_los = 30e-6;
    c.pd = 1.0;
    c.revisit_s = 1.0;
    return c;
}

static double alt_at(const double a[3], const double b[3], double u)
{
    mwx_earth_t e = mwx_earth_wgs84();
    double p[3];
    mwx_geo_t g;
    for (int j = 0; j < 3; j++)
        p[j] = a[j] + u * (b[j] - a[j]);
    mwx_ecef_to_geo(&e, p, &g);
    return g.alt;
}

/* Lowest geodetic altitude along the segment a -> b (core's ecef_to_geo; the height
 * above a convex surface is unimodal along a line, so a ternary search finds it). */
static double min_alt_along(const double a[3], const double b[3])
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 50; i++) {
        double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;
        if (alt_at(a, b, m1) < alt_at(a, b, m2))
            hi = m2;
        else
            lo = m1;
    }
    return alt_at(a, b, 0.5 * (lo + hi));
}

static void test_ir_residuals_boost_and_limb(void **state)
{
    mwx_physics_t ph = wgs84_physics();
    mwx_sensor_cfg_t c = ir_cfg();
    mwx_sensor_t s;
    mwx_rng_t r;
    mwx_sim_target_t tg[32];
    gof_t g1 = {{0}, 0}, g2 = {{0}, 0};
    double sat[3] = {42164172.0 * cos(c.lon), 42164172.0 * sin(c.lon), 0};
    long seen = 0, clear_expected = 0, hidden_seen = 0, nonboost_seen = 0;
    assert_int_equal(mwxi_sensor_init(&s, &c, &ph, 7, NULL), 0);
    for (int j = 0; j < 3; j++)
        assert_float_equal(s.pos_ecef[j], sat[j], 1.0);
    mwxi_rng_seed(&r, 2, "ir-targets");
    for (int scan = 0; scan < 400; scan++) {
        size_t nm;
        double lowest[32];
        /* wide box: many near or behind the limb; altitudes 0..60 km straddle the margin */
        random_targets(&r, tg, 32, 15.0, 120.0 + (scan % 2 ? 75.0 : 0.0), 140.0, 60e3);
        for (int i = 0; i < 32; i++) {
            if (i % 4 == 3)
                tg[i].phase = MWX_PHASE_BALLISTIC;
            else
                tg[i].phase = MWX_PHASE_BOOST;
            lowest[i] = min_alt_along(sat, tg[i].ecef);
            if (tg[i].phase == MWX_PHASE_BOOST && lowest[i] > 10e3 + 100)
                clear_expected++;
        }
        nm = s.ops->scan(&s, scan, tg, 32, meas, MWX_SENSOR_MAX_MEAS(64));
        for (size_t k = 0; k < nm; k++) {
            const mwx_rec_meas_t *m = &meas[k];
            int i = target_index(m->truth_object);
            double los[3], d, u1[3], u2[3], q[3], dotq;
            assert_true(i >= 0);
            if (tg[i].phase != MWX_PHASE_BOOST)
                nonboost_seen++;
            if (lowest[i] < 10e3 - 100)
                hidden_seen++;
            seen += lowest[i] > 10e3 + 100;
            assert_int_equal(m->kind, MWX_SENSOR_IR);
            assert_float_equal(m->sigma_los_urad, 30, 1e-9);
            assert_float_equal(mwx_norm3(m->los_ecef), 1.0, 1e-12);
            for (int j = 0; j < 3; j++)
                los[j] = tg[i].ecef[j] - sat[j];
            d = mwx_norm3(los);
            for (int j = 0; j < 3; j++)
                los[j] /= d;
            /* the test's own basis across the line of sight (not the sensor's) */
            {
                double ref[3] = {0.3, -0.5, 0.8}, nn;
                mwx_cross3(los, ref, u1);
                nn = mwx_norm3(u1);
                for (int j = 0; j < 3; j++)
                    u1[j] /= nn;
                mwx_cross3(los, u1, u2);
            }
            dotq = mwx_dot3(m->los_ecef, los);
            for (int j = 0; j < 3; j++)
                q[j] = m->los_ecef[j] / dotq;
            gof_add(&g1, atan(mwx_dot3(q, u1)) / c.sigma_los);
            gof_add(&g2, atan(mwx_dot3(q, u2)) / c.sigma_los);
        }
    }
    print_message("ir chi2: %.1f %.1f (n=%ld), seen %ld of %ld clear\n", gof_chi2(&g1),
                  gof_chi2(&g2), g1.n, seen, clear_expected);
    assert_int_equal(nonboost_seen, 0);
    assert_int_equal(hidden_seen, 0);
    assert_true(clear_expected > 3000);
    assert_int_equal(seen, clear_expected); /* pd = 1 */
    assert_true(gof_chi2(&g1) < CHI2_19_999);
    assert_true(gof_chi2(&g2) < CHI2_19_999);
}

static size_t scan_all(uint64_t seed, const mwx_sensor_cfg_t *c, mwx_rec_meas_t *out, size_t cap)
{
    mwx_physics_t ph = wgs84_physics();
    mwx_sensor_t s;
    mwx_rng_t r;
    mwx_sim_target_t tg[8];
    size_t total = 0;
    assert_int_equal(mwxi_sensor_init(&s, c, &ph, seed, NULL), 0);
    mwxi_rng_seed(&r, 4, "det");
    for (int k = 0; k < 50 && total < cap; k++) {
        random_targets(&r, tg, 8, 37.5, 128.9, 10.0, 500e3);
        total += s.ops->scan(&s, k, tg, 8, out + total, cap - total);
    }
    return total;
}

static void test_determinism(void **state)
{
    static mwx_rec_meas_t a[4096], b[4096];
    mwx_sensor_cfg_t c = radar_cfg();
    size_t na, nb;
    c.false_alarms_per_scan = 1.0;
    na = scan_all(42, &c, a, 4096);
    nb = scan_all(42, &c, b, 4096);
    assert_true(na > 100);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof a[0]);
    nb = scan_all(43, &c, b, 4096);
    assert_true(na != nb || memcmp(a, b, na * sizeof a[0]) != 0);
    /* a different id is a different stream */
    strcpy(c.id, "KR-R2");
    nb = scan_all(42, &c, b, 4096);
    assert_true(nb > 0);
    assert_true(a[0].range_m != b[0].range_m);
}

static void test_schedule(void **state)
{
    mwx_physics_t ph = wgs84_physics();
    mwx_sensor_cfg_t c = radar_cfg();
    mwx_sensor_t s;
    double t;
    c.revisit_s = 0.7;
    assert_int_equal(mwxi_sensor_init(&s, &c, &ph, 1, NULL), 0);
    t = s.ops->next_scan(&s, -1);
    assert_true(t >= 0 && t < 0.7);
    for (int k = 1; k < 10000; k++) {
        double n = s.ops->next_scan(&s, t);
        assert_true(n > t);
        assert_true(fabs((n - t) - 0.7) < 1e-9);
        t = n;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radar_residuals_and_coverage),
        cmocka_unit_test(test_chi2_detects_wrong_sigma),
        cmocka_unit_test(test_radar_false_alarms_poisson),
        cmocka_unit_test(test_poisson_sampler_large_rate),
        cmocka_unit_test(test_ir_residuals_boost_and_limb),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
