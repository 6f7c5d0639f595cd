/* Live-picture churn (issue 17): a track that enters the picture for an instant while
 * another track of the picture warns of a missile sends no launch notice or path warning
 * of its own, and a second missile's track that goes on being tracked still gets its own
 * (docs/WARNING_POLICY.md, "One threat, one series"). The sequence is bench/soak's block 0,
 * launch B0L27, as `mwx run` of the block replays it: the missile's fused track warns
 * (launch notice, boost fan); 375 s after launch a partner's track that had coasted out of
 * sight since burnout takes a clutter plot 380 km off the missile, and fusion opens a new
 * fused track for it (confirmed, classed a space launch, its launch estimate the
 * missile's) and folds it away at the same instant. Before the rule every node sent a
 * second launch notice of every region in reach, and JP a space launch's path warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "warn_test_path.h"

/* The missile (towards Matsue, JP-32): in boost from t = 130 (first confirmed) to 190 on a
 * firm course (the boost fan warns), then level and ballistic at 1.8 km/s (no thrust
 * evidence: the kinematics are only roughly a ballistic flight's), its prediction on
 * Matsue from 200, over it at 560 (the impact). */
static mwx_rec_track_t missile(double t)
{
    const double la1 = 35.47, lo1 = 133.05;
    mwx_rec_track_t k;
    if (t <= 190) {
        double a = t - 130;
        k = path_track("JP-F37", t, la1, lo1, 30e3 + 1500.0 * a, 40e3 + 1500.0 * a, 1000 + 30.0 * a,
                       1500, 20);
        k.phase = MWX_PHASE_BOOST;
        k.klass = MWX_CLASS_THRUSTING;
    } else {
        k = path_track("JP-F37", t, la1, lo1, 120e3 + 1800.0 * (t - 190), 150e3, 1800, 0, 3);
        k.phase = MWX_PHASE_BALLISTIC;
        k.klass = MWX_CLASS_BALLISTIC;
        if (t >= 200) {
            k.impact.valid = 1;
            k.impact.lat = la1;
            k.impact.lon = lo1;
            k.impact.t = 560;
            k.impact.semi_major_km = 20;
            k.impact.semi_minor_km = 10;
            k.impact.orientation_deg = 110;
        }
    }
    return k;
}

/* The intruder at t: 1,000 km from the site towards Sendai, 300 km up, 2.3 km/s, 250 m
 * sigma, classed a space launch (no prediction), its launch estimate the missile's. */
static mwx_rec_track_t intruder(const char *id, double t)
{
    mwx_rec_track_t k =
        path_track(id, t, 38.27, 140.87, 1000e3 + 2300.0 * (t - 475), 300e3, 2300, -500, 5);
    k.cov_pos_m2[0] = k.cov_pos_m2[3] = k.cov_pos_m2[5] = 250.0 * 250.0;
    k.phase = MWX_PHASE_BALLISTIC;
    k.klass = MWX_CLASS_SPACE_LAUNCH;
    k.launch.lat = LAT0 + 0.01;
    k.launch.t = T_LAUNCH + 0.05;
    return k;
}

/* Alerts per kind, and how many of them name series (track) id. */
static int alerts(const fixture_t *f, mwx_warn_kind_t want, const char *id, int *of_id,
                  double *first_t)
{
    int n = 0;
    *of_id = 0;
    for (int i = 0; i < f->log.n; i++) {
        mwx_warn_kind_t kind;
        char track[64];
        const mwx_rec_alert_t *r = &f->log.rec[i];
        if (f->log.out[i] != MWX_WARN_OUT_CAP || r->msg_type != MWX_MSG_ALERT)
            continue;
        assert_int_equal(mwx_warn_identifier_parse(r->identifier, track, sizeof track, &kind), 0);
        if (kind != want)
            continue;
        n++;
        if (strcmp(track, id) == 0 && (*of_id)++ == 0 && first_t)
            *first_t = r->t;
    }
    return n;
}

/* The missile tracked from 130 to 560 (every second) and, from t_in to t_out (exclusive),
 * the intruder; the intruder's track ended (LOST) at t_out; ticked to the all-clear. */
static void run(fixture_t *f, const char *name, double t_in, double t_out)
{
    mwx_err_t err = {0};
    open_ctx(f, name);
    for (double t = 130; t <= 560; t += 1) {
        mwx_rec_track_t k = missile(t);
        feed(f, &k);
        for (double ti = t_in; ti < t + 1 && ti < t_out; ti += 1)
            if (ti >= t) {
                mwx_rec_track_t b = intruder("JP-F38", ti);
                feed(f, &b);
            }
        if (t_out >= t && t_out < t + 1 &&
            mwx_warn_end_track(f->w, "JP-F38", t_out, MWX_WARN_END_LOST, &err))
            fail_msg("mwx_warn_end_track: %s", err.msg);
    }
    if (mwx_warn_tick(f->w, 700, &err) || mwx_warn_tick(f->w, 2000, &err))
        fail_msg("mwx_warn_tick: %s", err.msg);
}

/* B0L27: the intruder in the picture for one instant (t = 475.9, ended at once) sends
 * nothing; the missile's launch notice and path warnings are the only ones. Before the
 * rule: a second launch notice and a path warning of its own. */
static void test_one_instant_track(void **st)
{
    fixture_t f;
    int mine, intr;
    (void)st;
    run(&f, "churn_instant", 475.9, 475.9 + 1e-6);
    assert_int_equal(alerts(&f, MWX_WARN_LAUNCH, "JP-F37", &mine, NULL), 1);
    assert_int_equal(mine, 1);
    assert_true(alerts(&f, MWX_WARN_OVERFLIGHT, "JP-F37", &mine, NULL) >= 1);
    assert_int_equal(mine, 1); /* the missile's fan warned */
    alerts(&f, MWX_WARN_OVERFLIGHT, "JP-F38", &intr, NULL);
    assert_int_equal(intr, 0);
    alerts(&f, MWX_WARN_LAUNCH, "JP-F38", &intr, NULL);
    assert_int_equal(intr, 0);
    mwx_warn_free(f.w);
}

/* The same track tracked on (a second missile, 380 km from the first): its own launch
 * notice. Every region of it stands in the first missile's live notice, so it waits
 * MWXI_WARN_NOTICE_COVERED_S (60 s) from its first update (fusion may yet fold it into
 * the first); tracked on 45 s only, it sends none. */
static void test_tracked_on_warns(void **st)
{
    fixture_t f;
    int intr;
    double t_notice = 0;
    (void)st;
    run(&f, "churn_tracked", 475.9, 545.5);
    assert_int_equal(alerts(&f, MWX_WARN_LAUNCH, "JP-F38", &intr, &t_notice), 2);
    assert_int_equal(intr, 1);
    assert_float_equal(t_notice, 475.9 + 60.0, 1e-6); /* MWXI_WARN_NOTICE_COVERED_S */
    mwx_warn_free(f.w);
    run(&f, "churn_tracked45", 475.9, 520.5);
    assert_int_equal(alerts(&f, MWX_WARN_LAUNCH, "JP-F38", &intr, &t_notice), 1);
    assert_int_equal(intr, 0);
    mwx_warn_free(f.w);
}

/* A landed missile's straggler (the 3-block soak at 150x, US B2L56): the fused track came
 * down (phase impact), its series were all-cleared and its slot freed; then a partner's
 * late report of it, coasted 22 km under the ground and still called ballistic, reached
 * the context, which took it for a new track and sent a launch notice (cancelled at its
 * next update, on the ground): a false alert for a missile that had landed. A state under
 * the ground, or past its own predicted impact time, is no missile in flight and starts no
 * warning. */
static void test_landed_straggler(void **st)
{
    fixture_t f;
    mwx_err_t err = {0};
    int mine;
    (void)st;
    open_ctx(&f, "churn_straggler");
    for (double t = 130; t <= 560; t += 1) {
        mwx_rec_track_t k = missile(t);
        feed(&f, &k);
    }
    mwx_rec_track_t down = missile(561); /* on the ground, its last word */
    down.phase = MWX_PHASE_IMPACT;
    feed(&f, &down);
    if (mwx_warn_tick(f.w, 600, &err) || mwx_warn_tick(f.w, 700, &err))
        fail_msg("mwx_warn_tick: %s", err.msg);
    assert_int_equal(alerts(&f, MWX_WARN_LAUNCH, "JP-F37", &mine, NULL), 1);
    int before = f.log.n;
    /* the straggler: 22 km under the ground past the predicted impact, and one without a
     * prediction, each as the track's and as a new track's (its slot may be gone); and one
     * on the ground past its predicted impact, not under it (a new id) */
    static const struct {
        const char *id;
        double alt_m;
        int predicted;
    } late[] = {{"JP-F37", -22e3, 1},
                {"JP-F37", -22e3, 0},
                {"JP-F39", -22e3, 1},
                {"JP-F39", -22e3, 0},
                {"JP-F40", 1e3, 1}};
    for (int i = 0; i < 5; i++) {
        mwx_rec_track_t k =
            path_track(late[i].id, 680 + i, 35.47, 133.05, 1e6, late[i].alt_m, 1800, -900, 5);
        k.phase = MWX_PHASE_BALLISTIC;
        k.klass = MWX_CLASS_BALLISTIC;
        if (late[i].predicted) {
            k.impact.valid = 1;
            k.impact.lat = 35.47;
            k.impact.lon = 133.05;
            k.impact.t = 560;
            k.impact.semi_major_km = 20;
            k.impact.semi_minor_km = 10;
        }
        feed(&f, &k);
    }
    if (mwx_warn_tick(f.w, 800, &err) || mwx_warn_tick(f.w, 2000, &err))
        fail_msg("mwx_warn_tick: %s", err.msg);
    for (int i = before; i < f.log.n; i++)
        if (f.log.out[i] == MWX_WARN_OUT_CAP && f.log.rec[i].msg_type == MWX_MSG_ALERT)
            fail_msg("the straggler alerted: %s", f.log.rec[i].identifier);
    mwx_warn_free(f.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_instant_track),
        cmocka_unit_test(test_tracked_on_warns),
        cmocka_unit_test(test_landed_straggler),
    };
    return cmocka_run_group_tests(tests, wt_path_setup, NULL);
}
