/* The boost fan's overflight series (issue 17, the overflight duplicates; docs/
 * WARNING_POLICY.md "One threat, one series"): one track's fan withdrawn after burnout is
 * not drawn again by a single sign of thrust (soak block 0: JP B0L21, KR B0L1, KR B0L17),
 * and a second track of the same launch that rule (d) holds apart does not send its own
 * Alert of regions the first track's live series warns of (soak block 0 at 200x, JP:
 * B0L62 JP-47, B0L7 JP-17). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "warn_test_path.h"

/* A missile towards (lat1, lon1): in boost from t = 130 (first confirmed) to 190 on a
 * firm course (the fan drawn to the powered reach, boost_fan_reach_km), then level at
 * 150 km and 1.8 km/s (no thrust evidence: constant energy), never a prediction. ahead_m:
 * a second track of it, that far ahead along the path (a partner's report late). */
static mwx_rec_track_t missile(const char *id, double t, double lat1, double lon1, double ahead_m)
{
    mwx_rec_track_t k;
    if (t <= 190) {
        double a = t - 130;
        k = path_track(id, t, lat1, lon1, 30e3 + 1500.0 * a + ahead_m, 40e3 + 1500.0 * a,
                       1000 + 30.0 * a, 1500, 3);
        k.phase = MWX_PHASE_BOOST;
        k.klass = MWX_CLASS_THRUSTING;
    } else {
        k = path_track(id, t, lat1, lon1, 120e3 + 1800.0 * (t - 190) + ahead_m, 150e3, 1800, 0, 3);
        k.phase = MWX_PHASE_BALLISTIC;
        k.klass = MWX_CLASS_BALLISTIC;
    }
    return k;
}

/* Overflight Alerts naming series id (NULL: any), the first one's time. */
static int ov_alerts(const fixture_t *f, const char *id, double *first_t)
{
    int n = 0;
    for (int i = 0; i < f->log.n; i++) {
        mwx_warn_kind_t kind;
        char track[64];
        const mwx_rec_alert_t *r = &f->log.rec[i];
        if (f->log.out[i] != MWX_WARN_OUT_CAP || r->msg_type != MWX_MSG_ALERT)
            continue;
        assert_int_equal(mwx_warn_identifier_parse(r->identifier, track, sizeof track, &kind), 0);
        if (kind != MWX_WARN_OVERFLIGHT || (id && strcmp(track, id) != 0))
            continue;
        if (n++ == 0 && first_t)
            *first_t = r->t;
    }
    return n;
}

/* Cancels of overflight series (any). */
static int ov_cancels(const fixture_t *f)
{
    int n = 0;
    for (int i = 0; i < f->log.n; i++) {
        mwx_warn_kind_t kind;
        const mwx_rec_alert_t *r = &f->log.rec[i];
        if (f->log.out[i] == MWX_WARN_OUT_CAP && r->msg_type == MWX_MSG_CANCEL &&
            mwx_warn_identifier_parse(r->identifier, NULL, 0, &kind) == 0 &&
            kind == MWX_WARN_OVERFLIGHT)
            n++;
    }
    return n;
}

/* Towards the sea point of the soak's aims (40.0 N, 131.4 E): the powered reach (3,500 km)
 * crosses northern Japan, the free-flight reach after burnout (about 500 km on) ends in
 * the sea, so the fan is withdrawn (Cancel) some 20 s after burnout. Then the track reports
 * phase boost from t_b0 to t_b1 (exclusive). */
static void run_coast(fixture_t *f, const char *name, double t_b0, double t_b1)
{
    open_ctx(f, name);
    for (double t = 130; t <= 320; t += 1) {
        mwx_rec_track_t k = missile("KR-F5", t, 40.0, 131.4, 0);
        if (t >= t_b0 && t < t_b1)
            k.phase = MWX_PHASE_BOOST;
        feed(f, &k);
    }
}

/* B0L21: one update in phase boost 40 s after burnout (after the fan's Cancel) does not
 * draw the fan again. Before: a second Alert of the same track's fan. */
static void test_withdrawn_fan_stays(void **st)
{
    fixture_t f;
    (void)st;
    run_coast(&f, "fan_blip", 230, 231);
    assert_int_equal(ov_cancels(&f), 1); /* the fan was withdrawn */
    assert_int_equal(ov_alerts(&f, NULL, NULL), 1);
    mwx_warn_free(f.w);
}

/* Thrust that holds (20 s of boost from t = 230: a real second burn) draws it again, once
 * confirmed (FAN_THRUST_CONFIRM_S, 8 s, after the run began). */
static void test_confirmed_thrust_redraws(void **st)
{
    fixture_t f;
    double t1 = 0;
    int n;
    (void)st;
    run_coast(&f, "fan_reburn", 230, 250);
    n = ov_alerts(&f, NULL, NULL);
    assert_int_equal(n, 2);
    for (int i = 0, k = 0; i < f.log.n; i++)
        if (f.log.out[i] == MWX_WARN_OUT_CAP && f.log.rec[i].msg_type == MWX_MSG_ALERT &&
            strstr(f.log.rec[i].identifier, ".overflight.") && k++ == 1)
            t1 = f.log.rec[i].t;
    assert_float_equal(t1, 238.0, 1e-6);
    mwx_warn_free(f.w);
}

/* B0L62 / B0L7: the missile's track JP-F214 (towards Matsue) warns with its fan; from
 * t = 150 a second track of it, JP-F217, 3 km ahead (a partner's report late by a second
 * and a half), 100 m sigma: rule (d) holds the two apart. JP-F217 sends no overflight
 * Alert while JP-F214's series warns of its regions, and every region JP-F217's fan crosses
 * stays warned. Before: JP-F217's own Alert of the same regions 5 s after it appeared.
 * drop_launch: JP-F214's updates carry no launch estimate from t = 150 (below). */
static void second_track_run(const char *name, int drop_launch)
{
    fixture_t f;
    mwx_err_t err = {0};
    open_ctx(&f, name);
    for (double t = 130; t <= 260; t += 1) {
        mwx_rec_track_t a = missile("JP-F214", t, 35.47, 133.05, 0);
        if (drop_launch && t >= 150)
            a.launch.valid = 0;
        feed(&f, &a);
        if (t >= 150) {
            mwx_rec_track_t b = missile("JP-F217", t, 35.47, 133.05, 3e3);
            feed(&f, &b);
        }
    }
    assert_int_equal(ov_alerts(&f, "JP-F214", NULL), 1);
    assert_int_equal(ov_alerts(&f, "JP-F217", NULL), 0);
    /* no region the missile's fan named was cancelled while both tracks were held */
    for (int i = 0; i < f.log.n; i++)
        if (f.log.out[i] == MWX_WARN_OUT_CAP && f.log.rec[i].msg_type == MWX_MSG_CANCEL)
            assert_true(strstr(f.log.rec[i].identifier, ".launch.") != NULL);
    if (mwx_warn_tick(f.w, 2000, &err))
        fail_msg("mwx_warn_tick: %s", err.msg);
    mwx_warn_free(f.w);
}

static void test_second_track_folded(void **st)
{
    (void)st;
    second_track_run("fan_second", 0);
}

/* The same when the first track's launch estimate goes with the source that left it (the
 * 3-block soak at 150x, JP B2L58: US's track left JP-F683, which had drawn the fan, for a
 * fused track of its own; JP-F683 went on with JP's reports alone and no estimate, and the
 * new track's fan 3 s later named eight regions of JP-F683's open series, since the two
 * launch estimates could no longer be compared). A track keeps the last launch estimate
 * it had while its updates carry none. */
static void test_second_track_estimate_dropped(void **st)
{
    (void)st;
    second_track_run("fan_second_dropped", 1);
}

/* Which overflight messages of series id add region (from none), and how many name it. */
static int region_added(const fixture_t *f, const char *id, const char *region, int *named)
{
    int added = 0, in = 0;
    *named = 0;
    for (int i = 0; i < f->log.n; i++) {
        mwx_warn_kind_t kind;
        char track[64];
        int has = 0;
        const mwx_rec_alert_t *r = &f->log.rec[i];
        if (f->log.out[i] != MWX_WARN_OUT_CAP ||
            mwx_warn_identifier_parse(r->identifier, track, sizeof track, &kind) != 0 ||
            kind != MWX_WARN_OVERFLIGHT || strcmp(track, id) != 0)
            continue;
        for (int k = 0; k < r->n_regions; k++)
            has |= strcmp(r->regions[k], region) == 0;
        *named += has;
        if (r->msg_type == MWX_MSG_CANCEL)
            has = 0; /* a Cancel names what it releases */
        added += has && !in;
        in = has;
    }
    return added;
}

/* US B1L39 (six-block soak at 150x): a missile from the soak's launch site whose course
 * (146.7 degrees) passes Guam 5 degrees off, near the powered fan's tip (3,500 km). Its
 * velocity is known to 60 m/s a axis (a course's 95 % half-angle of 6 down to 2.6
 * degrees as it speeds up: the fan names Guam), then to 2 m/s from t = 150 (the fan
 * narrows: Guam released at 165), then to 60 m/s again from 185 (a fused track's
 * uncertainty as its sources' reports come and go): Guam is not named again (before:
 * again at 185). With the course itself turning 5 degrees towards Guam at 185 (a
 * dogleg), the narrower fan around the new course names it, so it comes back. */
static void fan_regain_run(fixture_t *f, const char *name, double turn_deg)
{
    open_ctx(f, name);
    for (double t = 130; t <= 215; t += 1) {
        double a = t - 130, sv = t >= 150 && t < 185 ? 2.0 : 60.0;
        double lat1, lon1;
        mwx_earth_t wgs = mwx_earth_wgs84();
        mwx_rec_track_t k;
        /* the aim, 600 km from the site; turned about the site from t = 185 */
        mwx_geodesic_direct(&wgs, LAT0 * MWX_DEG, LON0 * MWX_DEG,
                            (146.7 + (t >= 185 ? turn_deg : 0)) * MWX_DEG, 600e3, &lat1, &lon1);
        lat1 /= MWX_DEG;
        lon1 /= MWX_DEG;
        k = path_track("US-F241", t, lat1, lon1, 30e3 + 1500.0 * a, 40e3 + 1500.0 * a,
                       1000 + 30.0 * a, 1500, sv);
        k.phase = MWX_PHASE_BOOST;
        k.klass = MWX_CLASS_THRUSTING;
        feed(f, &k);
    }
}

static void test_fan_regain(void **st)
{
    fixture_t f;
    int named;
    (void)st;
    fan_regain_run(&f, "fan_regain", 0);
    assert_int_equal(region_added(&f, "US-F241", "US-GU", &named), 1);
    assert_int_equal(named, 1); /* named by the Alert, then released (before: named again) */
    mwx_warn_free(f.w);
    fan_regain_run(&f, "fan_regain_turn", -5);
    assert_int_equal(region_added(&f, "US-F241", "US-GU", &named), 2);
    mwx_warn_free(f.w);
}

/* The fan's length: a missile aimed at Guam (3,420 km from the site, inside the powered
 * reach of 3,500 km from the launch estimate) at up to 4 km/s (a free-flight range under
 * 2,000 km). Its launch estimate moves 400 km back for 40 s (the fan's tip then falls
 * short of Guam: released), then returns: Guam is not named again (the tip's place rests
 * on the estimate). From t = 230 the missile speeds up to 5.5 km/s (a free-flight range of
 * 4,200 km): Guam, now within the reach of its speed, comes back. */
static void test_fan_regain_reach(void **st)
{
    fixture_t f;
    int named, added_by_230 = -1;
    mwx_earth_t wgs = mwx_earth_wgs84();
    double s12, az1, az2, back_lat, back_lon;
    (void)st;
    mwx_geodesic_inverse(&wgs, LAT0 * MWX_DEG, LON0 * MWX_DEG, 13.45 * MWX_DEG, 144.79 * MWX_DEG,
                         &s12, &az1, &az2);
    mwx_geodesic_direct(&wgs, LAT0 * MWX_DEG, LON0 * MWX_DEG, az1 + M_PI, 400e3, &back_lat,
                        &back_lon);
    open_ctx(&f, "fan_regain_reach");
    for (double t = 130; t <= 260; t += 1) {
        double a = t - 130, v = t < 230 ? fmin(4000.0, 1000 + 40.0 * a) : 5500.0;
        mwx_rec_track_t k =
            path_track("US-F7", t, 13.45, 144.79, 30e3 + 1500.0 * a, 40e3 + 1000.0 * a, v, 500, 3);
        k.phase = MWX_PHASE_BOOST;
        k.klass = MWX_CLASS_THRUSTING;
        if (t >= 150 && t < 190) {
            k.launch.lat = back_lat / MWX_DEG;
            k.launch.lon = back_lon / MWX_DEG;
        }
        feed(&f, &k);
        if (t == 229)
            added_by_230 = region_added(&f, "US-F7", "US-GU", &named);
    }
    assert_int_equal(added_by_230, 1);
    assert_int_equal(region_added(&f, "US-F7", "US-GU", &named), 2);
    mwx_warn_free(f.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_withdrawn_fan_stays),
        cmocka_unit_test(test_confirmed_thrust_redraws),
        cmocka_unit_test(test_second_track_folded),
        cmocka_unit_test(test_fan_regain),
        cmocka_unit_test(test_fan_regain_reach),
        cmocka_unit_test(test_second_track_estimate_dropped),
    };
    return cmocka_run_group_tests(tests, wt_path_setup, NULL);
}
