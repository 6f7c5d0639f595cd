/* Fusion against independent truth: covariance intersection's closed-form properties,
 * association of same/different objects across nations, a salvo that must stay four
 * tracks, impact-ellipse fusion geometry, and Monte-Carlo consistency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/node.h"
#include "node/ballistic_truth.h"

/* deterministic normal samples (Box-Muller on a small LCG) */
static uint64_t rng = 12345;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((rng >> 11) + 0.5) / 9007199254740992.0;
}
static double nrand(void)
{
    return sqrt(-2 * log(urand())) * cos(2 * MWX_PI * urand());
}

static mwx_rec_track_t make_track(const char *node, const char *id, double t, const double x[3],
                                  const double v[3], double sp, double sv)
{
    mwx_rec_track_t r;
    memset(&r, 0, sizeof r);
    r.t = t;
    strcpy(r.node, node);
    strcpy(r.track_id, id);
    memcpy(r.ecef_m, x, sizeof r.ecef_m);
    memcpy(r.vel_mps, v, sizeof r.vel_mps);
    r.cov_pos_m2[0] = r.cov_pos_m2[3] = r.cov_pos_m2[5] = sp * sp;
    r.cov_vel_m2s2[0] = r.cov_vel_m2s2[3] = r.cov_vel_m2s2[5] = sv * sv;
    r.phase = MWX_PHASE_BALLISTIC;
    r.confirmed = 1;
    return r;
}

static void test_ci_closed_form(void **state)
{
    /* Two 2-D estimates with perpendicular elongated covariances: CI's optimum is
     * omega = 0.5 by symmetry, and the result is 2 (Pa^-1 + Pb^-1)^-1. */
    double xa[2] = {0, 0}, xb[2] = {10, -10};
    double pa[4] = {100, 0, 0, 1}, pb[4] = {1, 0, 0, 100};
    double x[2], p[4], w;
    assert_int_equal(mwx_fusion_ci(2, xa, pa, xb, pb, x, p, &w), 0);
    assert_float_equal(w, 0.5, 1e-5);
    double expect = 2.0 / (1.0 / 100 + 1.0);
    assert_float_equal(p[0], expect, 1e-4);
    assert_float_equal(p[3], expect, 1e-4);
    assert_float_equal(p[1], 0, 1e-9);
    /* x = P (0.5 Pa^-1 xa + 0.5 Pb^-1 xb) = expect * 0.5 * (10/1, -10/100)... */
    assert_float_equal(x[0], expect * 0.5 * (10.0 / 1.0), 1e-3);
    assert_float_equal(x[1], expect * 0.5 * (-10.0 / 100.0), 1e-3);
    /* A dominated estimate gets zero weight: the result is the better one. */
    double pc[4] = {1, 0, 0, 1}, pd[4] = {50, 0, 0, 50};
    assert_int_equal(mwx_fusion_ci(2, xa, pc, xb, pd, x, p, &w), 0);
    assert_float_equal(w, 1.0, 1e-9);
    assert_float_equal(p[0], 1.0, 1e-9);
    assert_float_equal(x[0], 0.0, 1e-9);
    /* singular input is refused, not fused */
    double ps[4] = {0, 0, 0, 0};
    assert_int_equal(mwx_fusion_ci(2, xa, ps, xb, pb, x, p, &w), MWX_ERANGE);
}

/* Issue 11: one member that may see thrust vetoes the others' impact ellipse (mode flips
 * in one nation's IMM cannot get an impact past another's guard); the fused class is the
 * most cautious member's; a stage's parent is named by its fused id, and the stage takes
 * the parent's launch. */
static void test_class_and_parent(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x[3] = {-3.2e6, 3.6e6, 4.3e6}, v[3] = {1500, -800, 900};
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    mwx_rec_track_t a = make_track("JP", "JP-1", 100.0, x, v, 200, 10);
    a.klass = MWX_CLASS_BALLISTIC;
    a.impact.valid = 1;
    a.impact.lat = 38.0, a.impact.lon = 135.0, a.impact.t = 600.0;
    a.impact.semi_major_km = 5.0, a.impact.semi_minor_km = 2.0;
    a.launch.valid = 1;
    a.launch.lat = 39.0, a.launch.lon = 125.0, a.launch.t = 20.0;
    a.launch.basis = MWX_LAUNCH_FIT;
    assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), 0);
    assert_true(out.impact.valid);
    assert_int_equal(out.klass, MWX_CLASS_BALLISTIC);
    mwx_rec_track_t b = make_track("US", "US-4", 100.0, x, v, 300, 15);
    b.klass = MWX_CLASS_THRUSTING; /* no impact: the US guard sees thrust */
    assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), 0);
    assert_int_equal(mwx_fusion_count(f), 1);
    assert_int_equal(out.klass, MWX_CLASS_THRUSTING);
    assert_false(out.impact.valid);
    b.t = 101.0;
    b.klass = MWX_CLASS_BALLISTIC;
    for (int i = 0; i < 3; i++)
        b.ecef_m[i] += v[i];
    assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), 0);
    assert_int_equal(out.klass, MWX_CLASS_BALLISTIC);
    assert_true(out.impact.valid);
    /* JP's spent stage, 40 km away: its own fused track, parent JP-F1, launch of F1 */
    double xs[3] = {x[0] + 40e3, x[1], x[2]};
    mwx_rec_track_t s = make_track("JP", "JP-2", 101.0, xs, v, 200, 10);
    s.klass = MWX_CLASS_STAGE;
    strcpy(s.parent, "JP-1");
    assert_int_equal(mwx_fusion_update(f, &s, &out, NULL), 0);
    assert_int_equal(mwx_fusion_count(f), 2);
    assert_string_equal(out.track_id, "JP-F2");
    assert_string_equal(out.parent, "JP-F1");
    assert_int_equal(out.klass, MWX_CLASS_STAGE);
    assert_true(out.launch.valid);
    assert_true(fabs(out.launch.t - 20.0) < 1e-9);
    mwx_fusion_destroy(f);
}

/* A lifting member (quasi-ballistic pull-up, glide) carries its corridor (the impact
 * grown by the lift's reach): the fused track carries it too, fused with the other
 * members' impacts, so a nation's picture keeps a prediction through the pull-up (issue
 * 11: test-quasi-ballistic's fused Q1 kept its 14-19 km short pre-pull-up impact
 * instead). A thrusting member still vetoes every impact. */
static void test_lifting_member_predicts(void **state)
{
    mwx_fusion_cfg_t cfg = {"KR", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x[3] = {-3.2e6, 3.6e6, 4.3e6}, v[3] = {1500, -800, 900};
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    mwx_rec_track_t a = make_track("KR", "KR-1", 100.0, x, v, 200, 10);
    a.klass = MWX_CLASS_LIFTING;
    a.impact.valid = 1;
    a.impact.lat = 36.0, a.impact.lon = 127.3, a.impact.t = 160.0;
    a.impact.semi_major_km = 30.0, a.impact.semi_minor_km = 28.0;
    assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), 0);
    assert_int_equal(out.klass, MWX_CLASS_LIFTING);
    assert_true(out.impact.valid);
    assert_float_equal(out.impact.lat, 36.0, 1e-6);
    assert_float_equal(out.impact.lon, 127.3, 1e-6);
    assert_true(out.impact.semi_major_km > 27.0);
    /* a second nation's ballistic member, 5 km off with a 3 km ellipse: the impacts are
     * fused (covariance intersection) and the fused track stays lifting with an impact
     * between the two */
    mwx_rec_track_t b = make_track("US", "US-4", 100.0, x, v, 300, 15);
    b.klass = MWX_CLASS_BALLISTIC;
    b.impact.valid = 1;
    b.impact.lat = 36.045, b.impact.lon = 127.3, b.impact.t = 158.0;
    b.impact.semi_major_km = 3.0, b.impact.semi_minor_km = 2.0;
    assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), 0);
    assert_int_equal(mwx_fusion_count(f), 1);
    assert_int_equal(out.klass, MWX_CLASS_LIFTING);
    assert_true(out.impact.valid);
    assert_true(out.impact.lat > 36.0 - 1e-6 && out.impact.lat < 36.045 + 1e-6);
    /* thrust evidence from one member still vetoes the corridor */
    b.t = 101.0;
    for (int i = 0; i < 3; i++)
        b.ecef_m[i] += v[i];
    b.klass = MWX_CLASS_THRUSTING;
    b.impact.valid = 0;
    assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), 0);
    assert_int_equal(out.klass, MWX_CLASS_THRUSTING);
    assert_false(out.impact.valid);
    mwx_fusion_destroy(f);
}

static void test_same_object_two_nations(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x[3] = {-3.2e6, 3.6e6, 4.3e6}, v[3] = {1500, -800, 900};
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    mwx_rec_track_t a = make_track("JP", "JP-1", 100.0, x, v, 200, 10);
    double x2[3] = {x[0] + 150, x[1] - 100, x[2] + 50};
    mwx_rec_track_t b = make_track("US", "US-4", 100.0, x2, v, 300, 15);
    assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), 0);
    assert_string_equal(out.track_id, "JP-F1");
    assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), 0);
    assert_int_equal(mwx_fusion_count(f), 1);
    assert_string_equal(out.track_id, "JP-F1");
    assert_string_equal(out.sources, "JP,US");
    /* fused variance no larger than the better input, per axis */
    assert_true(out.cov_pos_m2[0] <= 200.0 * 200.0 + 1e-6);
    /* an object 50 km away from another nation is a new fused track */
    double x3[3] = {x[0] + 50e3, x[1], x[2]};
    mwx_rec_track_t c = make_track("KR", "KR-2", 100.0, x3, v, 200, 10);
    assert_int_equal(mwx_fusion_update(f, &c, &out, NULL), 0);
    assert_int_equal(mwx_fusion_count(f), 2);
    assert_string_equal(out.track_id, "JP-F2");
    /* the mapping is sticky: JP-1's next report stays with F1 */
    a.t = 101;
    for (int i = 0; i < 3; i++)
        a.ecef_m[i] += v[i];
    assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), 0);
    assert_string_equal(out.track_id, "JP-F1");
    mwx_fusion_destroy(f);
}

static void test_salvo_stays_four(void **state)
{
    /* Four missiles 3 s apart on the same path (about 4-6 km apart), seen by two nations
     * with 150 m / 250 m errors: four fused tracks, each with one track per nation, and
     * each nation's k-th track fused with the other's k-th. */
    mwx_fusion_cfg_t cfg = {"KR", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x0[3] = {-3.1e6, 4.0e6, 3.8e6}, v[3] = {1200, 900, 1100};
    char fused_of[2][4][MWX_ID_LEN];
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int step = 0; step < 5; step++) {
        double t = 200 + step;
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 4; k++) {
                double x[3];
                char id[16];
                for (int i = 0; i < 3; i++)
                    x[i] = x0[i] + v[i] * (t - 200 - 3.0 * k) + (n ? 250 : 150) * nrand();
                snprintf(id, sizeof id, "%s-%d", n ? "US" : "KR", k + 1);
                mwx_rec_track_t r = make_track(n ? "US" : "KR", id, t, x, v, n ? 250 : 150, 20);
                assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
                if (step == 0)
                    strcpy(fused_of[n][k], out.track_id);
                else
                    assert_string_equal(fused_of[n][k], out.track_id);
            }
    }
    assert_int_equal(mwx_fusion_count(f), 4);
    for (int k = 0; k < 4; k++)
        assert_string_equal(fused_of[0][k], fused_of[1][k]);
    mwx_fusion_destroy(f);
}

static void test_impact_ellipse_fusion(void **state)
{
    /* Two impact predictions at the same point, one elongated N-S, one E-W, 20 x 2 km:
     * the fused ellipse is centred there and smaller than both in area. */
    mwx_fusion_cfg_t cfg = {"JP", 4, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x[3] = {-3.2e6, 3.6e6, 4.3e6}, v[3] = {0, 0, 0};
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    mwx_rec_track_t a = make_track("JP", "JP-1", 50, x, v, 100, 5);
    mwx_rec_track_t b = make_track("US", "US-1", 50, x, v, 100, 5);
    a.impact = (mwx_rec_impact_est_t){1, 40.5, 135.5, 600, 20, 2, 0};
    b.impact = (mwx_rec_impact_est_t){1, 40.5, 135.5, 610, 20, 2, 90};
    assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), MWX_OK);
    assert_float_equal(out.impact.semi_major_km, 20, 1e-6);
    assert_float_equal(out.impact.orientation_deg, 0, 1e-6);
    assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), MWX_OK);
    assert_int_equal(out.impact.valid, 1);
    assert_float_equal(out.impact.lat, 40.5, 1e-9);
    assert_float_equal(out.impact.lon, 135.5, 1e-9);
    /* omega = 1/2: each axis gets variance 2 (1/s1^2 + 1/s2^2)^-1 -> semi-axis
     * sqrt(2 / (1/400 + 1/4)) km = 2.814 km */
    double expect = sqrt(2.0 / (1.0 / 400 + 1.0 / 4));
    assert_float_equal(out.impact.semi_major_km, expect, 1e-3);
    assert_float_equal(out.impact.semi_minor_km, expect, 1e-3);
    assert_float_equal(out.impact.t, 605, 1e-9);
    /* a rotated ellipse keeps its orientation when fused with itself */
    a.impact.orientation_deg = 30;
    b.impact = a.impact;
    b.t = a.t = 51;
    assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), MWX_OK);
    assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), MWX_OK);
    assert_float_equal(out.impact.orientation_deg, 30, 1e-6);
    assert_float_equal(out.impact.semi_major_km, 20, 1e-6);
    assert_float_equal(out.impact.semi_minor_km, 2, 1e-6);
    mwx_fusion_destroy(f);
}

static void test_consistency_monte_carlo(void **state)
{
    /* Two independent unbiased estimates of a known position; the fused error's NEES
     * must not exceed its dimension on average (CI is conservative: <= 3), and must beat
     * the worse input's RMSE. */
    double sum_nees = 0, se_f = 0, se_b = 0;
    int runs = 2000;
    for (int r = 0; r < runs; r++) {
        mwx_fusion_cfg_t cfg = {"US", 2, 0, 0, 0, 0};
        mwx_fusion_t *f;
        mwx_rec_track_t out;
        double truth[3] = {-3.0e6, 4.0e6, 3.9e6}, v[3] = {100, 200, 300};
        double xa[3], xb[3];
        for (int i = 0; i < 3; i++) {
            xa[i] = truth[i] + 100 * nrand() * (i == 0 ? 3 : 1);
            xb[i] = truth[i] + 100 * nrand() * (i == 1 ? 3 : 1);
        }
        mwx_rec_track_t a = make_track("JP", "JP-1", 10, xa, v, 100, 1);
        mwx_rec_track_t b = make_track("KR", "KR-1", 10, xb, v, 100, 1);
        a.cov_pos_m2[0] = 9e4;
        b.cov_pos_m2[3] = 9e4;
        assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), MWX_OK);
        assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), MWX_OK);
        assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), MWX_OK);
        assert_int_equal(mwx_fusion_count(f), 1);
        double d[3], p[9];
        for (int i = 0; i < 3; i++)
            d[i] = out.ecef_m[i] - truth[i];
        p[0] = out.cov_pos_m2[0];
        p[1] = out.cov_pos_m2[1];
        p[2] = out.cov_pos_m2[2];
        p[3] = p[1];
        p[4] = out.cov_pos_m2[3];
        p[5] = out.cov_pos_m2[4];
        p[6] = p[2];
        p[7] = p[5];
        p[8] = out.cov_pos_m2[5];
        /* diagonal in this construction */
        sum_nees += d[0] * d[0] / p[0] + d[1] * d[1] / p[4] + d[2] * d[2] / p[8];
        se_f += d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        se_b += (xb[0] - truth[0]) * (xb[0] - truth[0]) + (xb[1] - truth[1]) * (xb[1] - truth[1]) +
                (xb[2] - truth[2]) * (xb[2] - truth[2]);
        mwx_fusion_destroy(f);
    }
    double nees = sum_nees / runs;
    assert_true(nees < 3.0);
    assert_true(nees > 1.0); /* not absurdly conservative either */
    assert_true(se_f < se_b);
}

static void test_broken_track_rejoins(void **state)
{
    /* A node's tracker loses an object and starts a new track on it later: the new track
     * joins the same fused track (the old source is silent); a second live track of the
     * same node never does (two live tracks of one node are two objects). */
    mwx_fusion_cfg_t cfg = {"JP", 8, 0, 5.0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x[3] = {-3.2e6, 3.6e6, 4.3e6}, v[3] = {0, 0, 0};
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    mwx_rec_track_t us1 = make_track("US", "US-1", 100, x, v, 100, 5);
    mwx_rec_track_t kr1 = make_track("KR", "KR-1", 101, x, v, 100, 5);
    mwx_rec_track_t us2 = make_track("US", "US-2", 102, x, v, 100, 5);
    assert_int_equal(mwx_fusion_update(f, &us1, &out, NULL), MWX_OK);
    assert_string_equal(out.track_id, "JP-F1");
    assert_int_equal(mwx_fusion_update(f, &kr1, &out, NULL), MWX_OK);
    assert_string_equal(out.track_id, "JP-F1");
    assert_int_equal(mwx_fusion_update(f, &us2, &out, NULL), MWX_OK);
    assert_string_equal(out.track_id, "JP-F2"); /* US-1 is live: two objects */
    kr1.t = us2.t = 108;
    assert_int_equal(mwx_fusion_update(f, &kr1, &out, NULL), MWX_OK);
    assert_string_equal(out.track_id, "JP-F1");
    assert_int_equal(mwx_fusion_update(f, &us2, &out, NULL), MWX_OK);
    assert_string_equal(out.track_id, "JP-F2");
    /* US-1 silent for 8 s > 5: a new US track on the object rejoins F1 (F2 holds the
     * live US-2, so it cannot take it) */
    mwx_rec_track_t us3 = make_track("US", "US-3", 108, x, v, 100, 5);
    assert_int_equal(mwx_fusion_update(f, &us3, &out, NULL), MWX_OK);
    assert_string_equal(out.track_id, "JP-F1");
    assert_string_equal(out.sources, "KR,US"); /* US-1, silent, no longer contributes */
    assert_int_equal(mwx_fusion_count(f), 2);
    mwx_fusion_destroy(f);
}

static void test_full_table(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 2, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_err_t err;
    double v[3] = {0, 0, 0};
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int k = 0; k < 3; k++) {
        double x[3] = {-3.2e6 + k * 1e5, 3.6e6, 4.3e6};
        char id[16];
        snprintf(id, sizeof id, "JP-%d", k);
        mwx_rec_track_t a = make_track("JP", id, 1, x, v, 100, 5);
        int rc = mwx_fusion_update(f, &a, NULL, &err);
        assert_int_equal(rc, k < 2 ? MWX_OK : MWX_EFULL);
    }
    assert_int_equal(mwx_fusion_dropped(f), 1);
    assert_non_null(strstr(err.msg, "table full"));
    /* 40 s later (max_age_s 30 by default) JP-0 and JP-1 are silent: a new object takes
     * the slot of the one silent longest */
    {
        double x[3] = {-3.2e6 + 5e5, 3.6e6, 4.3e6};
        mwx_rec_track_t a = make_track("JP", "JP-1", 20, x, v, 100, 5);
        mwx_rec_track_t out;
        a.ecef_m[0] = -3.2e6 + 1e5;
        assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), MWX_OK); /* JP-1 at 20 */
        mwx_rec_track_t b = make_track("JP", "JP-9", 55, x, v, 100, 5);
        assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), MWX_OK);
        assert_string_equal(out.track_id, "JP-F3"); /* in F1's slot (JP-0, silent since 1) */
        assert_int_equal(mwx_fusion_count(f), 2);
        assert_int_equal(mwx_fusion_retired(f), 1);
        assert_int_equal(mwx_fusion_get(f, 0, &out), MWX_OK);
        assert_string_equal(out.track_id, "JP-F3");
    }
    mwx_fusion_destroy(f);
    mwx_fusion_cfg_t bad = {"", 0, 0, 0, 0, 0};
    assert_int_equal(mwx_fusion_create(&bad, &f, NULL) == MWX_EINVAL, 1);
    mwx_fusion_destroy(NULL);
}

/* Two missiles launched together, diverging: M2 starts 2 km from M1 and moves 150 m/s
 * faster along x. */
static void missile(int m, double t, double x[3], double v[3])
{
    double x0[3] = {-3.25e6, 4.2e6, 4.0e6}, v0[3] = {1200, 900, 1100}; /* ~280 km up */
    for (int i = 0; i < 3; i++) {
        v[i] = v0[i] + (m == 2 && i == 0 ? 150.0 : 0.0);
        x[i] = x0[i] + (m == 2 && i == 0 ? 2000.0 : 0.0) + v[i] * (t - 100);
    }
}

/* The reports of the split scenario: US-1 on M1 from t = 100, KR-1 on M2 from t = 100 (a
 * new track: 3 km / 200 m/s for 5 s, then 300 m / 20 m/s), US-2 on M2 from t = 110. KR-1's
 * first report is close enough to US-1 to be paired with it; it is not the same object. */
static int split_reports(mwx_rec_track_t *r, int max, int us2_start)
{
    int n = 0;
    for (int step = 0; step <= 40; step++) {
        double t = 100 + step, x[3], v[3];
        missile(1, t, x, v);
        for (int i = 0; i < 3; i++)
            x[i] += 100 * nrand();
        if (n < max)
            r[n++] = make_track("US", "US-1", t, x, v, 300, 20);
        missile(2, t, x, v);
        double sp = step < 5 ? 3000 : 300, sv = step < 5 ? 200 : 20;
        for (int i = 0; i < 3; i++)
            x[i] += 100 * nrand();
        if (n < max)
            r[n++] = make_track("KR", "KR-1", t, x, v, sp, sv);
        if (step >= us2_start && n < max) {
            missile(2, t, x, v);
            r[n++] = make_track("US", "US-2", t, x, v, 300, 20);
        }
    }
    return n;
}

static void test_wrong_pairing_is_undone(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t r[200], out, kr_first, kr_last, us2_last;
    int n = split_reports(r, 200, 10);
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(mwx_fusion_update(f, &r[i], &out, NULL), 0);
        if (i == 1)
            kr_first = out;
        if (strcmp(r[i].track_id, "KR-1") == 0)
            kr_last = out;
        if (strcmp(r[i].track_id, "US-2") == 0)
            us2_last = out;
    }
    /* the first KR report was (wrongly, but within the gate) paired with US-1 ... */
    assert_string_equal(kr_first.track_id, "JP-F1");
    assert_string_equal(kr_first.sources, "KR,US");
    /* ... and KR-1 ends up fused with US-2, on M2, with US-1 alone on M1 */
    assert_int_equal(mwx_fusion_split(f), 1);
    assert_int_equal(mwx_fusion_count(f), 2);
    assert_string_equal(kr_last.track_id, us2_last.track_id);
    assert_string_equal(us2_last.sources, "KR,US");
    {
        double x[3], v[3];
        missile(2, us2_last.t, x, v);
        double d = hypot(hypot(us2_last.ecef_m[0] - x[0], us2_last.ecef_m[1] - x[1]),
                         us2_last.ecef_m[2] - x[2]);
        assert_true(d < 1000.0);
    }
    for (size_t i = 0; i < mwx_fusion_count(f); i++) {
        assert_int_equal(mwx_fusion_get(f, i, &out), 0);
        if (strcmp(out.track_id, "JP-F1") == 0)
            assert_string_equal(out.sources, "US");
    }
    mwx_fusion_destroy(f);
}

static void test_duplicates_merge(void **state)
{
    /* KR-1 starts 6 km off (a biased early estimate) and so opens its own fused track;
     * once its reports agree with US-1's for a few updates the two fused tracks merge
     * into the older id, and the younger is reported as ended. */
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out, side;
    int merged_at = -1, ended = 0;
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int step = 0; step < 20; step++) {
        double t = 100 + step, x[3], v[3];
        missile(1, t, x, v);
        mwx_rec_track_t us = make_track("US", "US-1", t, x, v, 200, 10);
        assert_int_equal(mwx_fusion_update(f, &us, &out, NULL), 0);
        assert_int_equal(mwx_fusion_touched(f, 0, NULL, NULL), 0);
        x[0] += step < 5 ? 6000.0 : 50.0;
        mwx_rec_track_t kr = make_track("KR", "KR-1", t, x, v, 200, 10);
        assert_int_equal(mwx_fusion_update(f, &kr, &out, NULL), 0);
        if (step == 0)
            assert_string_equal(out.track_id, "JP-F2");
        if (mwx_fusion_touched(f, 0, &side, &ended) == 1 && merged_at < 0) {
            merged_at = step;
            assert_true(ended);
            assert_string_equal(side.track_id, "JP-F2");
            assert_int_equal(side.confirmed, 0);
            assert_string_equal(out.track_id, "JP-F1");
        }
    }
    /* agreement from step 5; US-1's and KR-1's updates both count, so by step 6 */
    assert_true(merged_at >= 5 && merged_at <= 7);
    assert_int_equal(mwx_fusion_count(f), 1);
    assert_int_equal(mwx_fusion_merged(f), 1);
    assert_int_equal(mwx_fusion_get(f, 0, &out), 0);
    assert_string_equal(out.track_id, "JP-F1");
    assert_string_equal(out.sources, "KR,US");
    mwx_fusion_destroy(f);
}

static void test_unsettled_track_waits(void **state)
{
    /* A new IR track with 1 km/s of velocity uncertainty could be any missile of a salvo:
     * it is a fused track of its own (not mixed into US-1's) until it firms up, and then
     * merges. While KR reports boost, the fused track is in boost. */
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int step = 0; step < 12; step++) {
        double t = 100 + step, x[3], v[3];
        missile(1, t, x, v);
        mwx_rec_track_t us = make_track("US", "US-1", t, x, v, 200, 10);
        assert_int_equal(mwx_fusion_update(f, &us, &out, NULL), 0);
        mwx_rec_track_t kr = make_track("KR", "KR-1", t, x, v, 1500, step < 6 ? 1000 : 50);
        kr.phase = MWX_PHASE_BOOST;
        assert_int_equal(mwx_fusion_update(f, &kr, &out, NULL), 0);
        if (step < 6) {
            assert_string_equal(out.track_id, "JP-F2");
            assert_string_equal(out.sources, "KR");
        }
    }
    assert_int_equal(mwx_fusion_count(f), 1);
    assert_string_equal(out.track_id, "JP-F1");
    assert_string_equal(out.sources, "KR,US");
    assert_int_equal(out.phase, MWX_PHASE_BOOST);
    mwx_fusion_destroy(f);
}

/* A body over 35 N 132 E at alt_m, diving east 30 degrees below the horizon: its position
 * x and unit direction u. */
static void dive_start(double alt_m, double x[3], double u[3])
{
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g = {35.0 * MWX_DEG, 132.0 * MWX_DEG, alt_m};
    double east[3], north[3], up[3];
    mwx_geo_to_ecef(&e, &g, x);
    mwx_enu_basis(g.lat, g.lon, east, north, up);
    for (int i = 0; i < 3; i++)
        u[i] = cos(30 * MWX_DEG) * east[i] - sin(30 * MWX_DEG) * up[i];
}
static void test_reentry_stays_one(void **state)
{
    /* Re-entry at 25 km: drag decelerates the body by 150 m/s^2, which the reports do not
     * carry. KR reports half a second after US, both exact to their (tight) covariance:
     * they stay one fused track, with no split. */
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x0[3], u[3];
    (void)state;
    dive_start(25e3, x0, u);
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int step = 0; step < 16; step++) {
        for (int n = 0; n < 2; n++) {
            double t = 0.5 * (2 * step + n), speed = 3000 - 150 * t, dist = 3000 * t - 75 * t * t;
            double x[3], v[3];
            for (int i = 0; i < 3; i++) {
                x[i] = x0[i] + dist * u[i];
                v[i] = speed * u[i];
            }
            mwx_rec_track_t r =
                make_track(n ? "KR" : "US", n ? "KR-1" : "US-1", 500 + t, x, v, 50, 5);
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        }
    }
    assert_int_equal(mwx_fusion_count(f), 1);
    assert_int_equal(mwx_fusion_split(f), 0);
    assert_string_equal(out.sources, "KR,US");
    mwx_fusion_destroy(f);
}

static void test_launch_from_the_best_basis(void **state)
{
    /* KR fitted the boost; JP saw the missile only after burnout, so its launch estimate
     * is the ballistic point of origin, 30 km and 40 s off. The fused launch is KR's,
     * not a blend; with two fits, their average. */
    mwx_fusion_cfg_t cfg = {"US", 8, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out;
    double x[3], v[3];
    (void)state;
    missile(1, 200, x, v);
    mwx_rec_track_t kr = make_track("KR", "KR-1", 200, x, v, 200, 10);
    mwx_rec_track_t jp = make_track("JP", "JP-1", 200, x, v, 100, 5);
    kr.launch = (mwx_rec_launch_est_t){1, 39.40, 125.90, 120.0, MWX_LAUNCH_FIT};
    jp.launch = (mwx_rec_launch_est_t){1, 39.55, 126.20, 160.0, MWX_LAUNCH_BALLISTIC};
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    assert_int_equal(mwx_fusion_update(f, &jp, &out, NULL), 0);
    assert_int_equal(out.launch.basis, MWX_LAUNCH_BALLISTIC);
    assert_int_equal(mwx_fusion_update(f, &kr, &out, NULL), 0);
    assert_string_equal(out.sources, "JP,KR");
    assert_int_equal(out.launch.basis, MWX_LAUNCH_FIT);
    assert_float_equal(out.launch.lat, 39.40, 1e-12);
    assert_float_equal(out.launch.t, 120.0, 1e-12);
    mwx_rec_track_t us = make_track("US", "US-1", 200.5, x, v, 200, 10);
    us.launch = (mwx_rec_launch_est_t){1, 39.42, 125.94, 122.0, MWX_LAUNCH_FIT};
    assert_int_equal(mwx_fusion_update(f, &us, &out, NULL), 0);
    assert_float_equal(out.launch.t, 121.0, 1e-9); /* equal weights (same covariance) */
    /* KR and US lose the missile; JP goes on: the launch stays the fits' (soak block 0,
     * B0L45: US's fitting track lost at burnout, its successor's arc flown back 77 s off) */
    for (double t = 201; t <= 211; t += 1) { /* the others stale from 210.5 */
        missile(1, t, x, v);
        jp = make_track("JP", "JP-1", t, x, v, 100, 5);
        jp.launch = (mwx_rec_launch_est_t){1, 39.55, 126.20, 160.0, MWX_LAUNCH_BALLISTIC};
        assert_int_equal(mwx_fusion_update(f, &jp, &out, NULL), 0);
    }
    assert_string_equal(out.sources, "JP");
    assert_int_equal(out.launch.basis, MWX_LAUNCH_FIT);
    assert_float_equal(out.launch.t, 121.0, 1e-9);
    assert_float_equal(out.launch.lat, 39.41, 1e-9);
    mwx_fusion_destroy(f);
}

static void test_no_estimate_refused(void **state)
{
    /* A partner's report whose covariance is not positive definite would have a negative
     * distance to everything (beating every gate) and pull fused tracks together: refused
     * and counted, and the picture is as it was. So are absurd and non-finite ones. */
    mwx_fusion_cfg_t cfg = {"JP", 8, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out, a, b, bad;
    mwx_err_t err;
    double x[3] = {-3.25e6, 4.2e6, 4.0e6}, v[3] = {1200, 900, 1100};
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    a = make_track("JP", "JP-1", 100, x, v, 200, 10);
    x[1] += 500e3;
    b = make_track("US", "US-9", 100, x, v, 200, 10);
    x[1] -= 250e3;
    for (int step = 0; step < 5; step++) {
        a.t = b.t = 100 + step;
        assert_int_equal(mwx_fusion_update(f, &a, &out, NULL), 0);
        assert_int_equal(mwx_fusion_update(f, &b, &out, NULL), 0);
        for (int k = 0; k < 5; k++) {
            bad = make_track("KR", "KR-1", 100 + step, x, v, 200, 10);
            switch (k) {
            case 0: bad.cov_pos_m2[0] = bad.cov_pos_m2[3] = bad.cov_pos_m2[5] = -1e12; break;
            case 1: bad.cov_pos_m2[1] = 1e6; break; /* |xy| > sqrt(xx yy): indefinite */
            case 2: bad.cov_vel_m2s2[5] = 1e20; break;
            case 3: bad.ecef_m[2] = NAN; break;
            case 4: bad.cov_vel_m2s2[4] = INFINITY; break;
            }
            assert_int_equal(mwx_fusion_update(f, &bad, &out, &err), MWX_EINVAL);
        }
    }
    assert_non_null(strstr(err.msg, "refused"));
    assert_int_equal(mwx_fusion_rejected(f), 25);
    assert_int_equal(mwx_fusion_count(f), 2);
    assert_int_equal(mwx_fusion_merged(f), 0);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(mwx_fusion_get(f, i, &out), 0);
        assert_int_equal(strchr(out.sources, 'K') == NULL, 1);
    }
    mwx_fusion_destroy(f);
}

/* Feed reports in order[], return the final picture sorted by sources then x. */
static int cmp_track(const void *a, const void *b)
{
    const mwx_rec_track_t *x = a, *y = b;
    int c = strcmp(x->sources, y->sources);
    return c ? c : (x->ecef_m[0] > y->ecef_m[0]) - (x->ecef_m[0] < y->ecef_m[0]);
}

static size_t picture(const mwx_rec_track_t *r, const int *order, int n, mwx_rec_track_t *pic)
{
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    size_t np;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(mwx_fusion_update(f, &r[order[i]], NULL, NULL), 0);
    np = mwx_fusion_count(f);
    for (size_t i = 0; i < np; i++)
        assert_int_equal(mwx_fusion_get(f, i, &pic[i]), 0);
    qsort(pic, np, sizeof pic[0], cmp_track);
    mwx_fusion_destroy(f);
    return np;
}

static void test_picture_independent_of_arrival_order(void **state)
{
    /* US-2 starts with KR-1 here, so whether KR-1's first report meets one fused track or
     * two depends on arrival order. The same reports, once in time order and 20 times in arrival orders a real bus may
     * produce (each source in order, but the sources interleaved with delays of up to 3 s,
     * as when a node is restarted or a partner's reports come through gap recovery): the
     * final picture (fused tracks, their sources and estimates) is identical, bit for bit. */
    mwx_rec_track_t r[200], ref[16], pic[16];
    int order[200], n = split_reports(r, 200, 0);
    size_t nref;
    (void)state;
    for (int i = 0; i < n; i++)
        order[i] = i;
    nref = picture(r, order, n, ref);
    assert_int_equal(nref, 2);
    for (int trial = 0; trial < 20; trial++) {
        /* arrival time = report time + a delay per source and report, kept in order per
         * source; then sort by arrival (insertion sort, stable) */
        double arr[200], last[3] = {0, 0, 0};
        for (int i = 0; i < n; i++) {
            int s = r[i].track_id[0] == 'K' ? 0 : r[i].track_id[3] == '1' ? 1 : 2;
            arr[i] = fmax(last[s], r[i].t + 3.0 * urand());
            last[s] = arr[i];
            order[i] = i;
        }
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && arr[order[j]] < arr[order[j - 1]]; j--) {
                int tmp = order[j];
                order[j] = order[j - 1];
                order[j - 1] = tmp;
            }
        assert_int_equal(picture(r, order, n, pic), nref);
        for (size_t k = 0; k < nref; k++) {
            assert_string_equal(pic[k].sources, ref[k].sources);
            assert_memory_equal(pic[k].ecef_m, ref[k].ecef_m, sizeof ref[k].ecef_m);
            assert_memory_equal(pic[k].vel_mps, ref[k].vel_mps, sizeof ref[k].vel_mps);
            assert_memory_equal(pic[k].cov_pos_m2, ref[k].cov_pos_m2, sizeof ref[k].cov_pos_m2);
            assert_true(pic[k].t == ref[k].t);
        }
    }
}

/* Geodesic distance in km between two points given in degrees (spherical is enough for
 * the test's 1 km versus 600 km). */
static double dist_km(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * MWX_DEG, p2 = lat2 * MWX_DEG, dl = (lon2 - lon1) * MWX_DEG;
    double c = sin(p1) * sin(p2) + cos(p1) * cos(p2) * cos(dl);
    return 6371.0 * acos(fmin(1.0, fmax(-1.0, c)));
}

/* Issue 12, item 1: one nation's track is dropped with a wrong, tight last prediction
 * (600 km off). Its last report must not steer the fused track: neither its last word
 * (phase impact, declared down) at once, nor a report that is never followed (a track
 * its node dropped silently) once it is MEMBER_STALE_S old, nor a state under ground. */
static void test_dropped_member_never_feeds(void **state)
{
    mwx_fusion_cfg_t cfg = {"KR", 8, 0, 0, 0, 0};
    mwx_rec_impact_est_t good = {1, 40.5, 135.5, 900, 5, 3, 40};
    mwx_rec_impact_est_t bad = {1, 40.5, 142.6, 880, 2, 1, 40}; /* ~600 km east */
    mwx_rec_track_t out, r;
    double x[3], v[3];
    assert_true(dist_km(good.lat, good.lon, bad.lat, bad.lon) > 590);
    for (int variant = 0; variant < 3; variant++) {
        mwx_fusion_t *f;
        assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
        for (int t = 100; t <= 110; t++) {
            missile(1, t, x, v);
            r = make_track("JP", "JP-1", t, x, v, 300, 20);
            r.impact = good;
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
            r = make_track("US", "US-1", t + 0.2, x, v, 300, 20);
            r.impact = good;
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        }
        assert_string_equal(out.sources, "JP,US");
        /* JP's last report, with the wrong prediction */
        missile(1, 111, x, v);
        r = make_track("JP", "JP-1", 111, x, v, 300, 20);
        r.impact = bad;
        if (variant == 0)
            r.phase = MWX_PHASE_IMPACT; /* its last word: declared down */
        if (variant == 2) {             /* a diverged filter: 20 km under the ground */
            double n = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
            for (int i = 0; i < 3; i++)
                r.ecef_m[i] = x[i] / n * 6.33e6;
            r.cov_pos_m2[0] = r.cov_pos_m2[3] = r.cov_pos_m2[5] = 400e3 * 400e3;
        }
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), MWX_OK);
        /* US goes on with the right one; JP says nothing more */
        int first_ok = variant == 1 ? 111 + 11 : 111; /* silent: once 10 s stale */
        for (int t = 111; t <= 140; t++) {
            missile(1, t, x, v);
            r = make_track("US", "US-1", t + 0.2, x, v, 300, 20);
            r.impact = good;
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
            if (t >= first_ok) {
                double e = dist_km(out.impact.lat, out.impact.lon, good.lat, good.lon);
                if (e > 0.5)
                    fail_msg("variant %d, t = %d: fused impact %.1f km off", variant, t, e);
                assert_int_equal(out.phase, MWX_PHASE_BALLISTIC);
            }
        }
        mwx_fusion_destroy(f);
    }
}

/* Issue 12, item 6: when its last flying member has come down, the fused track ends on
 * the ground at its predicted impact point, at rest (the members' last states are from
 * before the impact, some way up). */
static void test_ends_on_the_ground(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 8, 0, 0, 0, 0};
    mwx_rec_impact_est_t imp = {1, 40.5, 135.5, 900, 5, 3, 40};
    mwx_rec_track_t out, r;
    mwx_fusion_t *f;
    double x[3], v[3];
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int t = 100; t <= 105; t++) {
        missile(1, t, x, v);
        r = make_track("JP", "JP-1", t, x, v, 300, 20);
        r.impact = imp;
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        r.node[0] = 'U', r.node[1] = 'S';
        strcpy(r.track_id, "US-1");
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
    }
    /* JP declares it down: US still flies it, so the fused track flies on */
    r = make_track("JP", "JP-1", 106, x, v, 300, 20);
    r.impact = imp;
    r.phase = MWX_PHASE_IMPACT;
    assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
    assert_int_not_equal(out.phase, MWX_PHASE_IMPACT);
    /* US too: the fused track is down, on the ground at the impact point */
    r = make_track("US", "US-1", 107, x, v, 300, 20);
    r.impact = imp;
    r.phase = MWX_PHASE_IMPACT;
    assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
    assert_int_equal(out.phase, MWX_PHASE_IMPACT);
    mwx_ecef_to_geo(&e, out.ecef_m, &g);
    assert_float_equal(g.alt, 0.0, 1.0);
    assert_true(dist_km(g.lat / MWX_DEG, g.lon / MWX_DEG, out.impact.lat, out.impact.lon) < 0.01);
    assert_true(dist_km(out.impact.lat, out.impact.lon, imp.lat, imp.lon) < 0.01);
    assert_float_equal(mwx_norm3(out.vel_mps), 0.0, 1e-9);
    mwx_fusion_destroy(f);
}

/* A ballistic truth from ~280 km up over Korea, at t (s, from t0 = 100). */
static void ballistic(double t, double x[3], double v[3])
{
    double x0[3] = {-3.25e6, 4.2e6, 4.0e6}, v0[3] = {1200, 900, 1100};
    double s = 6.65e6 / mwx_norm3(x0);
    for (int i = 0; i < 3; i++)
        x0[i] *= s;
    bt_fly(x0, v0, 100, t, x, v);
}

/* After a long link cut, gap recovery brings a partner's reports of a missile all at once
 * and minutes out of date (chaos test, issue 14): KR's own track of it is fused up to
 * t = 300 (and, in the second round, has landed); US's track of it, t = 100..300, comes
 * after, its first 5 reports unsettled (a new track). They are one missile: one fused
 * track of KR and US, not a second one of US's alone that never merges. */
static void test_late_reports_join(void **state)
{
    (void)state;
    for (int landed = 0; landed < 2; landed++) {
        mwx_fusion_cfg_t cfg = {"KR", 16, 0, 0, 0, 0};
        mwx_rec_impact_est_t imp = {1, 40.5, 135.5, 900, 5, 3, 40};
        mwx_fusion_t *f;
        mwx_rec_track_t out, r;
        double x[3], v[3];
        assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
        for (int t = 100; t <= 300; t++) {
            ballistic(t, x, v);
            for (int i = 0; i < 3; i++)
                x[i] += 80 * nrand();
            r = make_track("KR", "KR-1", t, x, v, 150, 8);
            r.impact = imp;
            if (landed && t == 300)
                r.phase = MWX_PHASE_IMPACT; /* KR's fused track lands, at rest */
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        }
        for (int t = 100; t <= 300; t++) {
            int young = t < 105;
            ballistic(t, x, v);
            for (int i = 0; i < 3; i++)
                x[i] += 100 * nrand();
            r = make_track("US", "US-1", t, x, v, young ? 3000 : 200, young ? 300 : 10);
            r.impact = imp;
            if (landed && t == 300)
                r.phase = MWX_PHASE_IMPACT;
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        }
        /* one live fused track (a merged-away one is gone from the table) */
        assert_int_equal(mwx_fusion_count(f), 1);
        assert_int_equal(mwx_fusion_get(f, 0, &out), 0);
        assert_string_equal(out.track_id, "KR-F1");
        assert_string_equal(out.sources, "KR,US");
        assert_int_equal(out.phase == MWX_PHASE_IMPACT, landed);
        mwx_fusion_destroy(f);
    }
}

/* Chaos at 33x (issue 14): KR's link was cut for 472 s of scenario, longer than the
 * fused tracks' history (256 s). KR's late reports of the first seconds after the cut
 * gated with nothing (JP's fused track holds no estimate that old) and opened a fused
 * track of their own, which the node's expiry ended at once (its member silent by the
 * clock); KR's later late reports, which do fall in the history, updated that ended track
 * but an ended track was never merged from its own side: M2 and M3 twice at JP to the
 * end. Here JP's own track flies t = 100..380 (live; expiry each scan), then KR's of the
 * same missile comes, t = 100..350 (none of it live: KR's track ended at 350), at JP's
 * clock 400, expiry after every report: one fused track of JP and KR at the end. */
static int tick(mwx_fusion_t *f, double t, char *ended_id);

static void test_late_reports_past_history_merge(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out, r;
    double x[3], v[3];
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int t = 100; t <= 380; t++) {
        ballistic(t, x, v);
        assert_true(mwx_norm3(x) > 6.37e6); /* still flying */
        for (int i = 0; i < 3; i++)
            x[i] += 80 * nrand();
        r = make_track("JP", "JP-1", t, x, v, 150, 8);
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        (void)tick(f, t, NULL);
    }
    for (int t = 100; t <= 350; t++) {
        ballistic(t, x, v);
        for (int i = 0; i < 3; i++)
            x[i] += 100 * nrand();
        r = make_track("KR", "KR-7", t, x, v, 200, 10);
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        (void)tick(f, 400, NULL);
    }
    assert_int_equal(mwx_fusion_merged(f), 1);
    assert_int_equal(mwx_fusion_count(f), 1);
    assert_int_equal(mwx_fusion_get(f, 0, &out), 0);
    assert_string_equal(out.track_id, "JP-F1"); /* the older id survives */
    /* US's late track of another missile, 50 km off all along, stays apart */
    for (int t = 100; t <= 350; t++) {
        ballistic(t, x, v);
        x[1] += 50e3;
        r = make_track("US", "US-3", t, x, v, 200, 10);
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        (void)tick(f, 400, NULL);
    }
    assert_int_equal(mwx_fusion_merged(f), 1);
    assert_int_equal(mwx_fusion_count(f), 2);
    mwx_fusion_destroy(f);
}

/* A late track of another missile (50 km away all along) stays a fused track of its own. */
static void test_late_other_missile_apart(void **state)
{
    mwx_fusion_cfg_t cfg = {"KR", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t out, r;
    double x[3], v[3];
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int t = 100; t <= 300; t++) {
        ballistic(t, x, v);
        r = make_track("KR", "KR-1", t, x, v, 150, 8);
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
    }
    for (int t = 100; t <= 300; t++) {
        ballistic(t, x, v);
        x[1] += 50e3;
        r = make_track("US", "US-1", t, x, v, 200, 10);
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
    }
    assert_int_equal(mwx_fusion_count(f), 2);
    assert_int_equal(mwx_fusion_merged(f), 0);
    mwx_fusion_destroy(f);
}

/* mwx_fusion_expire until it changes nothing, as the node does each scan; returns the
 * fused tracks ended, and the last one ended in *ended_id (when not NULL). */
static int tick(mwx_fusion_t *f, double t, char *ended_id)
{
    int n_ended = 0;
    size_t n;
    while ((n = mwx_fusion_expire(f, t)) > 0)
        for (size_t i = 0; i < n; i++) {
            mwx_rec_track_t trk;
            int ended = 0;
            mwx_fusion_touched(f, i, &trk, &ended);
            if (ended) {
                n_ended++;
                if (ended_id)
                    strcpy(ended_id, trk.track_id);
            }
        }
    return n_ended;
}

/* The confirmed fused tracks of the picture. */
static int picture_count(const mwx_fusion_t *f)
{
    int n = 0;
    for (size_t i = 0; i < mwx_fusion_count(f); i++) {
        mwx_rec_track_t trk;
        assert_int_equal(mwx_fusion_get(f, i, &trk), 0);
        n += trk.confirmed;
    }
    return n;
}

static int fused_by_id(const mwx_fusion_t *f, const char *id, mwx_rec_track_t *out)
{
    for (size_t i = 0; i < mwx_fusion_count(f); i++)
        if (mwx_fusion_get(f, i, out) == 0 && strcmp(out->track_id, id) == 0)
            return 1;
    return 0;
}

/* Issue 14: a fused track all of whose members go silent (a node dropped its track, a
 * partner's node died, a link was cut) ends when the last of them has been silent for
 * max_age_s (30 s): reported once more, unconfirmed (ended), and listed unconfirmed; not
 * again. One that came down stays in the picture as it is; one a member declared down
 * before the other went silent lands at its impact point. Before, nothing ended a silent
 * fused track: it stayed in the picture, flying and confirmed, for ever. */
static void test_silent_fused_track_ends(void **state)
{
    mwx_fusion_cfg_t cfg = {"KR", 16, 0, 0, 0, 0};
    mwx_rec_impact_est_t imp = {1, 40.5, 135.5, 900, 5, 3, 40};
    mwx_fusion_t *f;
    mwx_rec_track_t out, r, a, b, c;
    double x[3], v[3];
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g;
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int t = 100; t <= 150; t++) {
        ballistic(t, x, v);
        /* A: JP and US, both silent after t = 150 */
        r = make_track("JP", "JP-1", t, x, v, 200, 10);
        r.impact = imp;
        assert_int_equal(mwx_fusion_update(f, &r, &a, NULL), 0);
        r = make_track("US", "US-1", t + 0.2, x, v, 200, 10);
        r.impact = imp;
        assert_int_equal(mwx_fusion_update(f, &r, &a, NULL), 0);
        /* B, 300 km off: KR's, which says its last word at t = 150 */
        x[1] += 300e3;
        r = make_track("KR", "KR-2", t, x, v, 200, 10);
        r.impact = imp;
        r.impact.lon += 4;
        if (t == 150)
            r.phase = MWX_PHASE_IMPACT;
        assert_int_equal(mwx_fusion_update(f, &r, &b, NULL), 0);
        /* C, 300 km the other way: JP declares it down at 148, US flies it on to 150
         * and is heard no more (its node killed before its own last word) */
        x[1] -= 600e3;
        if (t <= 148) {
            r = make_track("JP", "JP-3", t, x, v, 200, 10);
            r.impact = imp;
            r.impact.lon -= 4;
            if (t == 148)
                r.phase = MWX_PHASE_IMPACT;
            assert_int_equal(mwx_fusion_update(f, &r, &c, NULL), 0);
        }
        r = make_track("US", "US-3", t + 0.2, x, v, 200, 10);
        r.impact = imp;
        r.impact.lon -= 4;
        assert_int_equal(mwx_fusion_update(f, &r, &c, NULL), 0);
    }
    assert_int_equal(mwx_fusion_count(f), 3);
    assert_string_equal(a.sources, "JP,US");
    assert_int_equal(b.phase, MWX_PHASE_IMPACT);
    assert_int_not_equal(c.phase, MWX_PHASE_IMPACT);
    /* 29 s on: nothing ends */
    assert_int_equal(mwx_fusion_expire(f, 179.0), 0);
    assert_int_equal(picture_count(f), 3);
    /* 31 s: A ends, C lands, B (down already) stays as it is */
    size_t n = mwx_fusion_expire(f, 181.5);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        int ended = -1;
        assert_int_equal(mwx_fusion_touched(f, i, &out, &ended), n);
        if (strcmp(out.track_id, a.track_id) == 0) {
            assert_int_equal(ended, 1);
            assert_int_equal(out.confirmed, 0);
        } else {
            assert_string_equal(out.track_id, c.track_id);
            assert_int_equal(ended, 0);
            assert_int_equal(out.confirmed, 1);
            assert_int_equal(out.phase, MWX_PHASE_IMPACT);
            mwx_ecef_to_geo(&e, out.ecef_m, &g);
            assert_float_equal(g.alt, 0.0, 1.0); /* on the ground, at its impact point */
            assert_true(dist_km(g.lat / MWX_DEG, g.lon / MWX_DEG, out.impact.lat, out.impact.lon) <
                        0.01);
        }
    }
    assert_int_equal(mwx_fusion_expire(f, 182.0), 0);
    assert_int_equal(mwx_fusion_expire(f, 900.0), 0);
    assert_int_equal(mwx_fusion_ended(f), 1);
    assert_true(fused_by_id(f, a.track_id, &out));
    assert_int_equal(out.confirmed, 0);
    assert_true(fused_by_id(f, b.track_id, &out));
    assert_int_equal(out.confirmed, 1);
    assert_int_equal(out.phase, MWX_PHASE_IMPACT);
    assert_int_equal(picture_count(f), 2);
    mwx_fusion_destroy(f);
}

/* The chaos test's "KR M1: 2 fused tracks" (issue 14), rebuilt. KR's own track of the
 * missile is dropped in boost at t = 95 (it flew out of KR's sight; boosting, it was
 * slower than the missile after burnout). US's track of it, US-1, reports from t = 108
 * to 253; then KR's link is cut and US's node restarted, and US's new track of it, US-7,
 * reports from t = 410 (round 0). US-7 must carry on US-1's fused track, under its id:
 * not join KR's boost-phase track (silent 300 s, its estimate carried on with boost's
 * process noise gated with anything near its path: it took US-7, and US-1's track
 * stayed in the picture beside it, flying, for ever), nor open a second one. Round 1:
 * US-7 comes back 12 s after US-1's last report, while US-1 still blocks it (one node's
 * two live tracks are two objects): it opens a fused track of its own, which relinks
 * with US-1's once that has ended; the older id goes on. Round 2: only the link is cut
 * (t = 253..410); US-1's own reports come back and relink its fused track. Either way:
 * one fused track of the missile in the picture, and KR's boost track ended. */
static void test_returning_partner_rejoins(void **state)
{
    mwx_rec_impact_est_t imp = {1, 39.5, 122.0, 438, 5, 3, 40};
    (void)state;
    for (int round = 0; round < 3; round++) {
        mwx_fusion_cfg_t cfg = {"KR", 16, 0, 0, 0, 0};
        mwx_fusion_t *f;
        mwx_rec_track_t out, r, boost, us1;
        double x[3], v[3], x100[3], v100[3];
        char ended_id[MWX_ID_LEN] = "";
        int back = round == 1 ? 265 : 410;
        const char *us_new = round == 2 ? "US-1" : "US-7";
        assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
        ballistic(100, x100, v100);
        for (int t = 60; t <= 95; t++) {
            for (int i = 0; i < 3; i++) {
                x[i] = x100[i] - v100[i] * (100 - t) * 0.9;
                v[i] = v100[i] * (0.85 - 0.004 * (95 - t));
            }
            r = make_track("KR", "KR-1", t, x, v, 300, 20);
            r.phase = MWX_PHASE_BOOST;
            assert_int_equal(mwx_fusion_update(f, &r, &boost, NULL), 0);
            (void)tick(f, t, NULL);
        }
        for (int t = 108; t <= 253; t++) {
            ballistic(t, x, v);
            for (int i = 0; i < 3; i++)
                x[i] += 80 * nrand();
            r = make_track("US", "US-1", t, x, v, 200, 10);
            r.impact = imp;
            assert_int_equal(mwx_fusion_update(f, &r, &us1, NULL), 0);
            (void)tick(f, t, NULL);
        }
        assert_string_not_equal(us1.track_id, boost.track_id);
        assert_true(fused_by_id(f, boost.track_id, &out));
        assert_int_equal(out.confirmed, 0); /* KR's boost track ended at t = 126 */
        for (int t = 254; t < back; t++)
            (void)tick(f, t, ended_id);
        if (round != 1)
            assert_string_equal(ended_id, us1.track_id); /* silent since 253 */
        for (int t = back; t <= back + 40; t++) {
            ballistic(t, x, v);
            for (int i = 0; i < 3; i++)
                x[i] += 80 * nrand();
            r = make_track("US", us_new, t, x, v, 200, 10);
            r.impact = imp;
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
            (void)tick(f, t, NULL);
        }
        if (round == 1)
            assert_true(mwx_fusion_merged(f) >= 1);
        assert_true(mwx_fusion_relinked(f) >= 1);
        assert_string_equal(out.track_id, us1.track_id);
        assert_int_equal(out.confirmed, 1);
        assert_string_equal(out.sources, "US");
        assert_int_equal(picture_count(f), 1);
        mwx_fusion_destroy(f);
    }
}

/* A fused track whose members have all been silent for max_age_s is ended for the gate
 * whether or not mwx_fusion_expire has run since: a boost-phase estimate, good for
 * seconds, does not take a report 70 s on (5 km off its estimate carried on with boost's
 * process noise) in round 0 (no expiry before the report: a restarted node's first live
 * report after its replay) any more than in round 1 (expired). */
static void test_silent_track_ended_for_the_gate(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
        mwx_fusion_t *f;
        mwx_rec_track_t r, boost, out;
        double x[3], v[3];
        assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
        for (int t = 100; t <= 130; t++) {
            ballistic(t, x, v);
            r = make_track("KR", "KR-1", t, x, v, 300, 20);
            r.phase = MWX_PHASE_BOOST;
            assert_int_equal(mwx_fusion_update(f, &r, &boost, NULL), 0);
        }
        if (round == 1)
            assert_int_equal(tick(f, 200.0, NULL), 1);
        ballistic(200, x, v);
        x[0] += 5e3;
        r = make_track("US", "US-9", 200, x, v, 200, 10);
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        assert_string_not_equal(out.track_id, boost.track_id);
        assert_int_equal(mwx_fusion_count(f), 2);
        mwx_fusion_destroy(f);
    }
}

/* A light re-entry body is not taken for landed while drag holds it up: 3000 kg/m^2 from
 * 30 km at 3 km/s, 30 degrees down, is 4 km up and at 740 m/s 25 s later, while its first
 * state carried on under gravity alone is 10 km under the ground. US's first report then
 * joins KR's fused track of it (the drag the gate allows for covers the difference); the
 * ground alone, without the time the body may take to come down, refused it from 22 s
 * (review of the rule above). */
static void test_reentry_body_not_landed_early(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t r, a, b;
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g;
    double x[3], v[3];
    (void)state;
    dive_start(30e3, x, v);
    for (int i = 0; i < 3; i++)
        v[i] *= 3000.0;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    r = make_track("KR", "KR-1", 500, x, v, 50, 5);
    assert_int_equal(mwx_fusion_update(f, &r, &a, NULL), 0);
    for (int k = 0; k < 2500; k++) { /* 25 s: gravity and drag, 10 ms steps */
        double rr = mwx_norm3(x), sp = mwx_norm3(v), rho, ad;
        mwx_ecef_to_geo(&e, x, &g);
        rho = 1.225 * exp(-g.alt / 7200.0);
        ad = rho * sp * sp / (2.0 * 3000.0);
        for (int i = 0; i < 3; i++) {
            v[i] += 0.01 * (-MWX_WGS84_GM * x[i] / (rr * rr * rr) - ad * v[i] / sp);
            x[i] += 0.01 * v[i];
        }
    }
    mwx_ecef_to_geo(&e, x, &g);
    assert_true(g.alt > 3e3 && g.alt < 5e3); /* still up */
    r = make_track("US", "US-1", 525, x, v, 50, 5);
    assert_int_equal(mwx_fusion_update(f, &r, &b, NULL), 0);
    assert_string_equal(b.track_id, a.track_id);
    assert_int_equal(mwx_fusion_count(f), 1);
    mwx_fusion_destroy(f);
}

/* A missile's fused track, last heard in re-entry, takes no newcomer (the week soak at
 * 150x, JP restarted: the inbox replay rebuilt the fused track of B4L12 from KR's last
 * report, 10 s before its impact at Seoul; 240 s later KR's first report of B4L13, 600 km
 * off and climbing, joined it, and the warning took the track for the landed missile:
 * its all-clear, and no warning of B4L13). Carried on under gravity, the last estimate
 * is under the ground within seconds, and the drag allowed for a re-entry body grows its
 * covariance so wide that the gate took anything. Round 0: nothing expired the silent
 * track before the newcomer's report (a restarted node's first live report after its
 * replay); round 1: it had ended (an ended track relinks within RELINK_S). Either way the
 * newcomer opens a fused track of its own. */
static void test_landed_missile_takes_no_newcomer(void **state)
{
    static const double x1[3] = {-3044965.4, 4046582.2, 3873098.8},
                        v1[3] = {11.76, -395.83, -726.74};
    static const double p1[6] = {2577.9, -815.1, -2320.0, 4556.2, 823.6, 3120.1};
    static const double q1[6] = {579.5, -50.1, -211.5, 814.9, 18.5, 669.6};
    static const double x2[3] = {-3115990.1, 4009811.6, 4019200.5},
                        v2[3] = {-1767.92, 1159.65, -311.55};
    static const double p2[6] = {8958.1, 44.5, -636.9, 5914.4, 1371.4, 496.7};
    static const double q2[6] = {82.61, -16.82, -8.99, 47.03, 11.01, 7.60};
    (void)state;
    for (int round = 0; round < 2; round++) {
        mwx_fusion_cfg_t cfg = {"JP", 16, 0, 0, 0, 0};
        mwx_fusion_t *f;
        mwx_rec_track_t r, old, out;
        assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
        r = make_track("KR", "KR-271", 121039.9, x1, v1, 0, 0);
        memcpy(r.cov_pos_m2, p1, sizeof p1);
        memcpy(r.cov_vel_m2s2, q1, sizeof q1);
        r.klass = MWX_CLASS_BALLISTIC;
        assert_int_equal(mwx_fusion_update(f, &r, &old, NULL), 0);
        if (round == 1)
            assert_true(tick(f, 121100.0, NULL) >= 1);
        r = make_track("KR", "KR-272", 121279.8, x2, v2, 0, 0);
        memcpy(r.cov_pos_m2, p2, sizeof p2);
        memcpy(r.cov_vel_m2s2, q2, sizeof q2);
        assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        assert_string_not_equal(out.track_id, old.track_id);
        assert_int_equal(mwx_fusion_count(f), 2);
        assert_int_equal(mwx_fusion_relinked(f), 0);
        mwx_fusion_destroy(f);
    }
}

/* A partner's node restarted again and again while the missile flies (the chaos long run:
 * US killed four times in 110 s), each time with a new track id: every new track joins
 * the one fused track (JP tracks the missile throughout). The tracks US lost gave up
 * their member slots: they filled all MWX_FUSION_MAX_SOURCES of them, the next one could
 * not join, and JP held the missile twice. */
static void test_partner_restarts_again_and_again(void **state)
{
    mwx_fusion_cfg_t cfg = {"JP", 16, 0, 5.0, 0, 0};
    mwx_fusion_t *f;
    mwx_rec_track_t r, own, out;
    double x[3], v[3];
    char id[MWX_ID_LEN];
    (void)state;
    assert_int_equal(mwx_fusion_create(&cfg, &f, NULL), 0);
    for (int t = 100; t <= 321; t++) {
        int k = (t - 100) / 15; /* US's k-th track: 12 s of reports, then 3 s down */
        ballistic(t, x, v);
        r = make_track("JP", "JP-1", t, x, v, 150, 8);
        assert_int_equal(mwx_fusion_update(f, &r, &own, NULL), 0);
        if ((t - 100) % 15 < 12) {
            snprintf(id, sizeof id, "US-%d", k + 1);
            for (int i = 0; i < 3; i++)
                x[i] += 100 * nrand();
            r = make_track("US", id, t + 0.3, x, v, 200, 10);
            assert_int_equal(mwx_fusion_update(f, &r, &out, NULL), 0);
        }
        (void)tick(f, t + 0.5, NULL);
    }
    /* US's 15th track, 11 s old: with JP's, in the picture's one fused track */
    assert_string_equal(id, "US-15");
    assert_string_equal(out.track_id, own.track_id);
    assert_string_equal(out.sources, "JP,US");
    assert_int_equal(picture_count(f), 1);
    mwx_fusion_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ci_closed_form),
        cmocka_unit_test(test_same_object_two_nations),
        cmocka_unit_test(test_salvo_stays_four),
        cmocka_unit_test(test_impact_ellipse_fusion),
        cmocka_unit_test(test_consistency_monte_carlo),
        cmocka_unit_test(test_broken_track_rejoins),
        cmocka_unit_test(test_full_table),
        cmocka_unit_test(test_wrong_pairing_is_undone),
        cmocka_unit_test(test_duplicates_merge),
        cmocka_unit_test(test_unsettled_track_waits),
        cmocka_unit_test(test_reentry_stays_one),
        cmocka_unit_test(test_launch_from_the_best_basis),
        cmocka_unit_test(test_no_estimate_refused),
        cmocka_unit_test(test_picture_independent_of_arrival_order),
        cmocka_unit_test(test_dropped_member_never_feeds),
        cmocka_unit_test(test_ends_on_the_ground),
        cmocka_unit_test(test_class_and_parent),
        cmocka_unit_test(test_lifting_member_predicts),
        cmocka_unit_test(test_late_reports_join),
        cmocka_unit_test(test_late_other_missile_apart),
        cmocka_unit_test(test_late_reports_past_history_merge),
        cmocka_unit_test(test_silent_fused_track_ends),
        cmocka_unit_test(test_returning_partner_rejoins),
        cmocka_unit_test(test_partner_restarts_again_and_again),
        cmocka_unit_test(test_landed_missile_takes_no_newcomer),
        cmocka_unit_test(test_silent_track_ended_for_the_gate),
        cmocka_unit_test(test_reentry_body_not_landed_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
