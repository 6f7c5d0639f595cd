/* A glide vehicle's dive (docs/TRACKER.md "Low and lifting flights"): test-glide's G1,
 * flown by the simulator (US76 atmosphere, lift banked to the aim, a dive once the aim
 * is 20 deg below the horizon), pushes over ~46 s before impact and dives at ~30 deg.
 *
 * - mwx_predict_impact_lift from the simulator's own state in the dive, with the
 *   lift-to-drag ratio and bank of the truth's aerodynamic acceleration (its velocity's
 *   change less the tracker's ballistic model), lands within 25 km of the impact, where
 *   the ballistic continuation flies on 38-76 km long; with no lift it is the ballistic
 *   prediction to the metre.
 * - The tracker, on JP's radar alone (test-glide, seeds 1-3), sees the dive by 31 s to go
 *   (its 10 s aerodynamic acceleration beyond 4 sigma) and predicts G1's impact within
 *   25 km then (14-20 km); with the ballistic continuation it said 40.6 km (seed 1).
 * - A glide vehicle's footprint (mwx_predict_impact_glide, docs/TRACKER.md "Glide
 *   vehicles") from the simulator's states of G1, 100 to 30 s before impact, holds the
 *   impact in its ellipse; its centre is within 35 km (within 25 km at 60 s to go, where
 *   the ballistic continuation is 48 km long).
 * - The tracker, on JP's radar alone (seeds 1-3), classes G1 `glide` at 60 s to go and
 *   its record's impact (the footprint's centre) is within 25 km, its ellipse holding the
 *   impact; the ballistic continuation said 30-38 km. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mwx/sim.h"
#include "mwx/track.h"

#define GLIDE_SCN MWX_SOURCE_DIR "/scenarios/test-glide.json"

static double ground_km(const mwx_earth_t *e, double lat1, double lon1, double lat2, double lon2)
{
    double s12 = 0.0;
    mwx_geodesic_inverse(e, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12 / 1e3;
}

static void load_glide(mwx_scenario_t *sc, mwx_traj_info_t *info)
{
    mwx_err_t err = {0, ""};
    assert_int_equal(mwx_scenario_load(GLIDE_SCN, sc, &err), MWX_OK);
    assert_string_equal(sc->launches[0].id, "G1");
    assert_non_null(sc->traj[0]);
    mwx_traj_get_info(sc->traj[0], info);
}

/* The truth's state at t and its aerodynamic acceleration's lift-to-drag ratio and bank
 * in the frame of mwx_predict_impact_lift: its velocity's change over +-0.5 s less the
 * tracker's ballistic model (gravity, rotation, drag with kappa), across the path, over
 * the model's drag. */
static void truth_ld(const mwx_traj_t *tr, const mwx_dyn_params_t *dp, double t, double kappa,
                     double x[MWX_TRACK_NX], double ld[2])
{
    double xa[3], va[3], xb[3], vb[3], a[3], am[3], r, v, s = 0.0, lv[3], ll[3], u[3], n = 0.0;
    double d, av = 0.0, al = 0.0;
    memset(x, 0, sizeof(double) * MWX_TRACK_NX);
    assert_int_equal(mwx_traj_state(tr, t, x, x + 3, NULL), 0);
    x[7] = kappa;
    assert_int_equal(mwx_traj_state(tr, t - 0.5, xa, va, NULL), 0);
    assert_int_equal(mwx_traj_state(tr, t + 0.5, xb, vb, NULL), 0);
    mwx_dyn_accel(dp, x, 0, am);
    for (int i = 0; i < 3; i++)
        a[i] = vb[i] - va[i] - am[i];
    r = mwx_norm3(x);
    v = mwx_norm3(x + 3);
    for (int i = 0; i < 3; i++) {
        u[i] = x[3 + i] / v;
        s += x[i] / r * u[i];
    }
    for (int i = 0; i < 3; i++) {
        lv[i] = x[i] / r - s * u[i];
        n += lv[i] * lv[i];
    }
    for (int i = 0; i < 3; i++)
        lv[i] /= sqrt(n);
    mwx_cross3(u, lv, ll);
    for (int i = 0; i < 3; i++) {
        av += a[i] * lv[i];
        al += a[i] * ll[i];
    }
    {
        /* the model's drag: its acceleration with and without */
        mwx_dyn_params_t nd = *dp;
        double a0[3];
        nd.drag = 0;
        mwx_dyn_accel(&nd, x, 0, a0);
        d = sqrt((a0[0] - am[0]) * (a0[0] - am[0]) + (a0[1] - am[1]) * (a0[1] - am[1]) +
                 (a0[2] - am[2]) * (a0[2] - am[2]));
    }
    ld[0] = av / d;
    ld[1] = al / d;
}

static void small_cov(mwx_gauss_t *g, const double x[MWX_TRACK_NX])
{
    memset(g, 0, sizeof(*g));
    g->n = MWX_TRACK_NX;
    memcpy(g->x, x, sizeof(double) * MWX_TRACK_NX);
    for (int i = 0; i < 3; i++) {
        g->P[i * MWX_TRACK_NX + i] = 100.0 * 100.0;
        g->P[(3 + i) * MWX_TRACK_NX + 3 + i] = 10.0 * 10.0;
    }
    g->P[6 * MWX_TRACK_NX + 6] = 1.0;
    g->P[7 * MWX_TRACK_NX + 7] = 1e-10;
}

static void test_dive_continued(void **state)
{
    static const double ttg[] = {44.0, 40.0, 35.0};
    mwx_scenario_t sc;
    mwx_traj_info_t info;
    mwx_dyn_params_t dp;
    double kappa;
    (void)state;
    load_glide(&sc, &info);
    kappa = 1.0 / sc.launches[0].beta_kg_m2;
    mwx_dyn_params_default(&dp, &sc.physics.earth, 1, 1, 1);
    for (size_t i = 0; i < sizeof ttg / sizeof ttg[0]; i++) {
        double x[MWX_TRACK_NX], ld[2], zero[2] = {0.0, 0.0}, t = info.t_impact - ttg[i];
        double e_lift, e_bal;
        mwx_gauss_t g;
        mwx_rec_impact_est_t lift, bal, none;
        truth_ld(sc.traj[0], &dp, t, kappa, x, ld);
        small_cov(&g, x);
        assert_int_equal(mwx_predict_impact_lift(&dp, &g, t, 3000.0, ld, &lift), MWX_OK);
        assert_int_equal(mwx_predict_impact(&dp, &g, t, 3000.0, &bal), MWX_OK);
        assert_int_equal(mwx_predict_impact_lift(&dp, &g, t, 3000.0, zero, &none), MWX_OK);
        e_lift = ground_km(&sc.physics.earth, lift.lat * MWX_DEG, lift.lon * MWX_DEG,
                           info.impact_lat, info.impact_lon);
        e_bal = ground_km(&sc.physics.earth, bal.lat * MWX_DEG, bal.lon * MWX_DEG, info.impact_lat,
                          info.impact_lon);
        printf("G1 at %2.0f s to go: lift-to-drag %+.2f, bank part %+.2f; impact with the dive "
               "held %.1f km off, ballistic %.1f km\n",
               ttg[i], ld[0], ld[1], e_lift, e_bal);
        assert_true(ld[0] < -1.0); /* pushing down: a dive */
        assert_true(e_lift < 25.0);
        assert_true(e_bal > 35.0);
        /* no lift: the ballistic prediction */
        assert_true(fabs(none.lat - bal.lat) < 1e-9 && fabs(none.lon - bal.lon) < 1e-9);
        assert_true(fabs(none.t - bal.t) < 1e-9);
    }
    assert_int_equal(mwx_predict_impact_lift(&dp, &(mwx_gauss_t){.n = MWX_TRACK_NX}, 0.0, 10.0,
                                             NULL, &(mwx_rec_impact_est_t){0}),
                     MWX_EINVAL);
    mwx_scenario_free(&sc);
}

/* Is the point (lat, lon, rad) inside the impact estimate's ellipse? Returns the
 * normalised distance (<= 1 inside). */
static double ellipse_dist(const mwx_earth_t *e, const mwx_rec_impact_est_t *im, double lat,
                           double lon)
{
    double s12 = 0.0, az1 = 0.0, az2 = 0.0, ang, a, c;
    mwx_geodesic_inverse(e, im->lat * MWX_DEG, im->lon * MWX_DEG, lat, lon, &s12, &az1, &az2);
    ang = az1 - im->orientation_deg * MWX_DEG;
    a = s12 * cos(ang) / (im->semi_major_km * 1e3);
    c = s12 * sin(ang) / (im->semi_minor_km * 1e3);
    return sqrt(a * a + c * c);
}

static void test_glide_footprint(void **state)
{
    /* from its lifting flight on (the apex is ~125 s to go); at 150 s to go, coasting up
     * to the apex, the impact is 27.5 km off the centre and just outside the 5 km minor
     * axis (1.08 of the ellipse: the heading corrections to come, with this test's 100 m
     * and 10 m/s of state uncertainty; a tracker's is wider) */
    static const double ttg[] = {100.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0};
    mwx_scenario_t sc;
    mwx_traj_info_t info;
    mwx_dyn_params_t dp;
    (void)state;
    load_glide(&sc, &info);
    mwx_dyn_params_default(&dp, &sc.physics.earth, 1, 1, 1);
    for (size_t i = 0; i < sizeof ttg / sizeof ttg[0]; i++) {
        double x[MWX_TRACK_NX], ld[2], t = info.t_impact - ttg[i], e_fp, e_bal, in;
        mwx_gauss_t g;
        mwx_rec_impact_est_t fp, bal;
        truth_ld(sc.traj[0], &dp, t, 1.0 / sc.launches[0].beta_kg_m2, x, ld);
        small_cov(&g, x);
        assert_int_equal(mwx_predict_impact_glide(&dp, &g, t, 3000.0, &fp), MWX_OK);
        assert_int_equal(mwx_predict_impact(&dp, &g, t, 3000.0, &bal), MWX_OK);
        e_fp = ground_km(&sc.physics.earth, fp.lat * MWX_DEG, fp.lon * MWX_DEG, info.impact_lat,
                         info.impact_lon);
        e_bal = ground_km(&sc.physics.earth, bal.lat * MWX_DEG, bal.lon * MWX_DEG, info.impact_lat,
                          info.impact_lon);
        in = ellipse_dist(&sc.physics.earth, &fp, info.impact_lat, info.impact_lon);
        printf("G1 at %3.0f s to go: footprint centre %.1f km off (ellipse %.0f x %.0f km, the "
               "impact at %.2f of it), ballistic %.1f km\n",
               ttg[i], e_fp, fp.semi_major_km, fp.semi_minor_km, in, e_bal);
        assert_true(in <= 1.0);
        assert_true(e_fp < 35.0);
        if (ttg[i] == 60.0) {
            assert_true(e_fp < 25.0);
            assert_true(e_bal > 35.0);
        }
    }
    mwx_scenario_free(&sc);
}

/* ------------------------------------------------------------ the tracker, JP alone */

typedef struct run {
    mwx_tracker_t *trk;
    const mwx_traj_t *tr;
    double t_cut;        /* the latest record at or before this */
    double best_t;       /* its time */
    mwx_rec_track_t rec; /* the record of G1's track, impact set */
    int failed;
} run_t;

static void on_track(void *ctx, const mwx_rec_track_t *r)
{
    run_t *u = ctx;
    double x[3], v[3];
    if (!r->impact.valid || r->t > u->t_cut || r->t < u->best_t)
        return;
    if (mwx_traj_state(u->tr, r->t, x, v, NULL) != 0)
        return;
    double d[3] = {r->ecef_m[0] - x[0], r->ecef_m[1] - x[1], r->ecef_m[2] - x[2]};
    if (mwx_norm3(d) > 20e3)
        return; /* not G1's track */
    u->best_t = r->t;
    u->rec = *r;
}

static int on_sim(void *ctx, const mwx_record_t *rec)
{
    run_t *u = ctx;
    mwx_err_t err = {0, ""};
    if (rec->type == MWX_REC_MEAS && mwx_tracker_add(u->trk, &rec->u.meas, &err) != MWX_OK)
        u->failed = 1;
    return 0;
}

/* G1's latest record with an impact at or before ttg s to go, JP's radar alone */
static void jp_record(const mwx_scenario_t *sc_, const mwx_traj_info_t *info, uint64_t seed,
                      double ttg, run_t *u)
{
    mwx_scenario_t *sc = (mwx_scenario_t *)sc_;
    mwx_tracker_cfg_t cfg;
    mwx_sim_opts_t so = {seed, 1, 0.0};
    mwx_err_t err = {0, ""};
    memset(u, 0, sizeof *u);
    u->tr = sc->traj[0];
    u->t_cut = info->t_impact - ttg;
    u->best_t = -1e300;
    mwx_tracker_cfg_default(&cfg, "JP", 256);
    snprintf(cfg.nation, sizeof cfg.nation, "JP");
    assert_int_equal(mwx_tracker_create(&cfg, &u->trk, &err), MWX_OK);
    mwx_tracker_set_callback(u->trk, on_track, u);
    assert_int_equal(mwx_sim_run(sc, &so, on_sim, u, &err), MWX_OK);
    assert_int_equal(mwx_tracker_flush(u->trk, &err), MWX_OK);
    assert_false(u->failed);
    mwx_tracker_destroy(u->trk);
}

static void test_tracker_glide_at_60s(void **state)
{
    mwx_scenario_t sc;
    mwx_traj_info_t info;
    (void)state;
    load_glide(&sc, &info);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        run_t u;
        double e, in;
        jp_record(&sc, &info, seed, 60.0, &u);
        assert_true(u.best_t > info.t_impact - 63.0); /* a live track */
        e = ground_km(&sc.physics.earth, u.rec.impact.lat * MWX_DEG, u.rec.impact.lon * MWX_DEG,
                      info.impact_lat, info.impact_lon);
        in = ellipse_dist(&sc.physics.earth, &u.rec.impact, info.impact_lat, info.impact_lon);
        printf("seed %d: %s at %.1f s to go, class %s: impact %.1f km off, ellipse %.0f x %.0f km "
               "(the impact at %.2f of it)\n",
               (int)seed, u.rec.track_id, info.t_impact - u.best_t,
               mwx_track_class_name(u.rec.klass), e, u.rec.impact.semi_major_km,
               u.rec.impact.semi_minor_km, in);
        assert_int_equal(u.rec.klass, MWX_CLASS_GLIDE);
        assert_true(e < 25.0);
        assert_true(in <= 1.0);
    }
    mwx_scenario_free(&sc);
}

static void test_tracker_follows_dive(void **state)
{
    mwx_scenario_t sc;
    mwx_traj_info_t info;
    (void)state;
    load_glide(&sc, &info);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        mwx_tracker_cfg_t cfg;
        mwx_sim_opts_t so = {seed, 1, 0.0};
        mwx_err_t err = {0, ""};
        run_t u;
        double e;
        memset(&u, 0, sizeof u);
        u.tr = sc.traj[0];
        u.t_cut = info.t_impact - 31.0;
        u.best_t = -1e300;
        mwx_tracker_cfg_default(&cfg, "JP", 256);
        snprintf(cfg.nation, sizeof cfg.nation, "JP");
        assert_int_equal(mwx_tracker_create(&cfg, &u.trk, &err), MWX_OK);
        mwx_tracker_set_callback(u.trk, on_track, &u);
        assert_int_equal(mwx_sim_run(&sc, &so, on_sim, &u, &err), MWX_OK);
        assert_int_equal(mwx_tracker_flush(u.trk, &err), MWX_OK);
        assert_false(u.failed);
        assert_true(u.best_t > info.t_impact - 34.0); /* a live track */
        e = ground_km(&sc.physics.earth, u.rec.impact.lat * MWX_DEG, u.rec.impact.lon * MWX_DEG,
                      info.impact_lat, info.impact_lon);
        printf("seed %d: %s at %.1f s to go, class %d: impact %.1f km off\n", (int)seed,
               u.rec.track_id, info.t_impact - u.best_t, (int)u.rec.klass, e);
        /* a glide vehicle seen diving: the dive continued */
        assert_int_equal(u.rec.klass, MWX_CLASS_GLIDE);
        assert_true(e < 25.0);
        mwx_tracker_destroy(u.trk);
    }
    mwx_scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dive_continued),
        cmocka_unit_test(test_glide_footprint),
        cmocka_unit_test(test_tracker_glide_at_60s),
        cmocka_unit_test(test_tracker_follows_dive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
