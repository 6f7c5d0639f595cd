/* The tracker end to end on synthetic scenes flown by the test's own integrator
 * (truthgen.c), with radar (and IR) measurements and false alarms:
 *   - a launch gets a confirmed track within 3 scans of its first detection; one track
 *     for one object over the whole flight;
 *   - the IMM declares burnout within a few seconds of the true burnout;
 *   - 60 s after burnout the impact point is within range-safety norms (cross-range
 *     <= 0.5 % of range, down-range <= 5 %);
 *   - a salvo of four launches seconds apart from one site: four tracks, no swaps;
 *   - false alarms at a realistic (and a 5x) rate confirm no track;
 *   - two IR satellites alone initiate a track by triangulation during boost;
 *   - the tracker never reads truth_object: blanked or shuffled, identical tracks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "mwx/track.h"
#include "truthgen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXREC 20000
#define MAXM   8

typedef struct sink {
    mwx_rec_track_t *rec;
    int n;
} sink_t;

static void on_track(void *ctx, const mwx_rec_track_t *r)
{
    sink_t *s = ctx;
    if (s->n < MAXREC)
        s->rec[s->n++] = *r;
}

typedef struct scene {
    tg_missile_t m[MAXM];
    char names[MAXM][8];
    int nm;
    tg_radar_t rd[2];
    int nrd;
    double fa_rate;    /* false alarms per scan per radar */
    int ir;            /* two IR satellites during boost */
    double ir_to;      /* s after launch they lose it (0: at burnout) */
    double radar_from; /* no radar measurement before this t */
    int use_radar;
    int truth_mode; /* 0 as is, 1 blank, 2 shuffle */
    uint64_t seed;
    double t_end;
} scene_t;

static tg_missile_t missile(double t0, double az_deg)
{
    tg_missile_t m;
    memset(&m, 0, sizeof(m));
    m.t_launch = t0;
    m.lat = 39.0 * MWX_DEG;
    m.lon = 125.7 * MWX_DEG;
    m.azimuth = az_deg * MWX_DEG;
    m.a0 = 18.0;
    m.burn_s = 100.0;
    m.mass_frac = 0.7;
    m.kick_deg = 6.0;
    m.beta = 5000.0;
    return m;
}

static void scene_radars(scene_t *s)
{
    tg_radar_t a = {
        "KR-R1", "KR", 37.5 * MWX_DEG, 128.5 * MWX_DEG, 300.0, 1500e3, 1.0 * MWX_DEG, 30.0, 0.05,
        0.05,    0.95};
    tg_radar_t b = {
        "JP-R1", "JP", 37.0 * MWX_DEG, 137.5 * MWX_DEG, 100.0, 1500e3, 1.0 * MWX_DEG, 30.0, 0.05,
        0.05,    0.95};
    s->rd[0] = a;
    s->rd[1] = b;
    s->nrd = 2;
    s->use_radar = 1;
}

static int poisson(tg_rng_t *r, double lam)
{
    double l = exp(-lam), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= tg_uniform(r);
    } while (p > l);
    return k - 1;
}

/* Generates the measurements in time order and feeds the tracker. Returns the first
 * detection time of each missile in det[]. */
static void run_scene(const scene_t *s, mwx_tracker_t *tr, double *det)
{
    tg_rng_t rng = {s->seed}, shuffle = {s->seed + 999};
    mwx_rec_meas_t buf[64];
    for (int i = 0; i < s->nm; i++)
        det[i] = -1.0;
    for (int step = 0; step * 0.5 <= s->t_end; step++) {
        double t = step * 0.5;
        int nb = 0;
        /* radar 0 on whole seconds, radar 1 on half seconds; IR every second */
        if (s->use_radar && t >= s->radar_from) {
            const tg_radar_t *rd = &s->rd[step % 2 == 0 ? 0 : 1];
            if ((step % 2) < s->nrd) {
                for (int i = 0; i < s->nm; i++) {
                    double x[6];
                    if (tg_missile_state(&s->m[i], t, x) == 0 &&
                        tg_radar_measure(rd, &rng, t, x, s->names[i], &buf[nb]) == 0) {
                        if (det[i] < 0)
                            det[i] = t;
                        nb++;
                    }
                }
                for (int k = poisson(&rng, s->fa_rate); k > 0 && nb < 64; k--)
                    tg_radar_false_alarm(rd, &rng, t, &buf[nb++]);
            }
        }
        if (s->ir && step % 2 == 0) {
            for (int sat = 0; sat < 2; sat++)
                for (int i = 0; i < s->nm; i++) {
                    double x[6];
                    if (tg_missile_state(&s->m[i], t, x) == 0 && t - s->m[i].t_launch > 10.0 &&
                        t < (s->ir_to > 0.0 ? s->m[i].t_launch + s->ir_to : s->m[i].t_burnout)) {
                        tg_ir_measure(sat ? "US-IR2" : "US-IR1", "US",
                                      (sat ? 150.0 : 100.0) * MWX_DEG, 30.0, &rng, t, x,
                                      s->names[i], &buf[nb++]);
                        if (det[i] < 0)
                            det[i] = t;
                    }
                }
        }
        /* truth_object blanked or replaced by random ids (own generator, so that the
         * measurements themselves stay identical) */
        for (int i = 0; i < nb; i++) {
            if (s->truth_mode == 1)
                buf[i].truth_object[0] = '\0';
            else if (s->truth_mode == 2)
                snprintf(buf[i].truth_object, sizeof(buf[i].truth_object), "X%d",
                         (int)(tg_uniform(&shuffle) * 1000));
        }
        for (int i = 0; i < nb; i++)
            assert_int_equal(mwx_tracker_add(tr, &buf[i], NULL), 0);
    }
    assert_int_equal(mwx_tracker_flush(tr, NULL), MWX_OK);
}

static void fly_all(scene_t *s)
{
    for (int i = 0; i < s->nm; i++) {
        snprintf(s->names[i], sizeof(s->names[i]), "L%d", i + 1);
        assert_int_equal(tg_missile_fly(&s->m[i]), 0);
    }
}

static void free_all(scene_t *s)
{
    for (int i = 0; i < s->nm; i++)
        tg_missile_free(&s->m[i]);
}

static mwx_tracker_t *make_tracker(void)
{
    mwx_tracker_cfg_t c;
    mwx_tracker_t *t = NULL;
    mwx_tracker_cfg_default(&c, "JP", 256);
    assert_int_equal(mwx_tracker_create(&c, &t, NULL), 0);
    return t;
}

/* nearest truth object to a record (test-side association) */
static int nearest(const scene_t *s, const mwx_rec_track_t *r, double *dist)
{
    int best = -1;
    double bd = HUGE_VAL;
    for (int i = 0; i < s->nm; i++) {
        double x[6], d;
        if (tg_missile_state(&s->m[i], r->t, x))
            continue;
        d = sqrt((x[0] - r->ecef_m[0]) * (x[0] - r->ecef_m[0]) +
                 (x[1] - r->ecef_m[1]) * (x[1] - r->ecef_m[1]) +
                 (x[2] - r->ecef_m[2]) * (x[2] - r->ecef_m[2]));
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    if (dist)
        *dist = bd;
    return best;
}

static int count_ids(const sink_t *k, char ids[][MWX_ID_LEN], int max)
{
    int n = 0;
    for (int i = 0; i < k->n; i++) {
        int found = 0;
        if (k->rec[i].phase == MWX_PHASE_IMPACT)
            continue;
        for (int j = 0; j < n && !found; j++)
            found = strcmp(ids[j], k->rec[i].track_id) == 0;
        if (!found && n < max)
            mwx_strlcpy(ids[n++], k->rec[i].track_id, MWX_ID_LEN);
    }
    return n;
}

static void test_single_launch(void **state)
{
    scene_t s;
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = make_tracker();
    double det[MAXM], t_conf = -1.0, t_ball = -1.0;
    char ids[8][MWX_ID_LEN];
    const mwx_earth_t e = mwx_earth_wgs84();
    memset(&s, 0, sizeof(s));
    s.m[0] = missile(60.0, 95.0);
    s.nm = 1;
    scene_radars(&s);
    s.fa_rate = 0.2;
    s.seed = 11;
    fly_all(&s);
    s.t_end = s.m[0].t_impact + 30.0;
    mwx_tracker_set_callback(tr, on_track, &k);
    run_scene(&s, tr, det);
    assert_true(det[0] > 0);
    assert_true(k.n > 100);
    assert_int_equal(count_ids(&k, ids, 8), 1);
    t_conf = k.rec[0].t;
    {
        double lr, az1, az2;
        mwx_geodesic_inverse(&e, s.m[0].lat, s.m[0].lon, s.m[0].impact_lat, s.m[0].impact_lon, &lr,
                             &az1, &az2);
        printf("truth: burnout %.1f s, impact %.1f s at %.3f %.3f, range %.0f km; first "
               "detection %.1f s, confirmed %.1f s\n",
               s.m[0].t_burnout, s.m[0].t_impact, s.m[0].impact_lat / MWX_DEG,
               s.m[0].impact_lon / MWX_DEG, lr / 1e3, det[0], t_conf);
        /* within 3 scans of the radar that saw it first */
        assert_true(t_conf <= det[0] + 3.0 + 1e-9);
        /* burnout: the first ballistic record after which every record is ballistic */
        for (int i = k.n - 1; i >= 0; i--) {
            if (k.rec[i].phase == MWX_PHASE_BOOST)
                break;
            if (k.rec[i].phase == MWX_PHASE_BALLISTIC)
                t_ball = k.rec[i].t;
        }
        printf("IMM burnout declared at %.1f s (truth %.1f s)\n", t_ball, s.m[0].t_burnout);
        assert_true(t_ball >= s.m[0].t_burnout - 1.0);
        assert_true(t_ball <= s.m[0].t_burnout + 6.0);
        /* boost phase reported during most of the tracked boost */
        {
            int nb = 0, nboost = 0;
            for (int i = 0; i < k.n; i++)
                if (k.rec[i].t < s.m[0].t_burnout - 2.0) {
                    nb++;
                    nboost += k.rec[i].phase == MWX_PHASE_BOOST;
                }
            printf("boost records %d / %d\n", nboost, nb);
            assert_true(nb == 0 || nboost >= 0.8 * nb);
        }
        /* impact 60 s after burnout */
        for (int i = 0; i < k.n; i++) {
            const mwx_rec_track_t *r = &k.rec[i];
            double d, a1, a2, down, cross;
            if (r->t < s.m[0].t_burnout + 60.0)
                continue;
            assert_true(r->impact.valid);
            mwx_geodesic_inverse(&e, s.m[0].impact_lat, s.m[0].impact_lon, r->impact.lat * MWX_DEG,
                                 r->impact.lon * MWX_DEG, &d, &a1, &a2);
            down = d * cos(a1 - az2);
            cross = d * sin(a1 - az2);
            printf("at %.1f s: impact error down %.2f km (%.2f %%), cross %.2f km (%.2f %%), "
                   "time %.1f s; ellipse %.1f x %.1f km @ %.0f deg\n",
                   r->t, down / 1e3, 100 * fabs(down) / lr, cross / 1e3, 100 * fabs(cross) / lr,
                   r->impact.t - s.m[0].t_impact, r->impact.semi_major_km, r->impact.semi_minor_km,
                   r->impact.orientation_deg);
            assert_true(fabs(down) <= 0.05 * lr);
            assert_true(fabs(cross) <= 0.005 * lr);
            assert_true(fabs(r->impact.t - s.m[0].t_impact) < 30.0);
            break;
        }
        /* launch point estimate */
        if (getenv("DBG"))
            for (int i = 0; i < 60 && i < k.n; i++)
                printf("  %.1f phase %d launch t %.1f %.3f %.3f\n", k.rec[i].t, k.rec[i].phase,
                       k.rec[i].launch.t, k.rec[i].launch.lat, k.rec[i].launch.lon);
        {
            const mwx_rec_track_t *r = &k.rec[k.n / 2];
            double d;
            assert_true(r->launch.valid);
            mwx_geodesic_inverse(&e, s.m[0].lat, s.m[0].lon, r->launch.lat * MWX_DEG,
                                 r->launch.lon * MWX_DEG, &d, NULL, NULL);
            printf("launch estimate: %.1f km from the site, t %.1f s (truth %.1f s)\n", d / 1e3,
                   r->launch.t, s.m[0].t_launch);
            assert_true(d < 10e3);
            assert_true(fabs(r->launch.t - s.m[0].t_launch) < 10.0);
        }
        /* every record close to the truth */
        for (int i = 0; i < k.n; i++) {
            double dist;
            if (k.rec[i].phase == MWX_PHASE_IMPACT)
                continue;
            assert_int_equal(nearest(&s, &k.rec[i], &dist), 0);
            assert_true(dist < 3000.0);
        }
    }
    mwx_tracker_destroy(tr);
    free(k.rec);
    free_all(&s);
}

/* Course (deg from north) of an ECEF velocity at an ECEF point, and the 95 % half-angle
 * (2 sigma) of the course from the record's velocity covariance, first order: the
 * warning's boost fan waits for it (docs/WARNING_POLICY.md, boost_fan_az_deg). */
static double course_deg(const double p[3], const double v[3], const double *cv, double *half)
{
    const mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g;
    double east[3], north[3], up[3], ve, vn, h2, ge, gn, C[3][3], var = 0.0;
    mwx_ecef_to_geo(&e, p, &g);
    mwx_enu_basis(g.lat, g.lon, east, north, up);
    ve = mwx_dot3(v, east);
    vn = mwx_dot3(v, north);
    h2 = ve * ve + vn * vn;
    if (half && cv) {
        double gr[3];
        C[0][0] = cv[0], C[0][1] = C[1][0] = cv[1], C[0][2] = C[2][0] = cv[2];
        C[1][1] = cv[3], C[1][2] = C[2][1] = cv[4], C[2][2] = cv[5];
        ge = vn / h2;
        gn = -ve / h2;
        for (int i = 0; i < 3; i++)
            gr[i] = ge * east[i] + gn * north[i]; /* d course / d v */
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                var += gr[i] * C[i][j] * gr[j];
        *half = 2.0 * sqrt(var) / MWX_DEG;
    }
    return atan2(ve, vn) / MWX_DEG;
}

/* A gravity turn stays in its vertical plane: the boost model's steering noise is small
 * across that plane (docs/TRACKER.md), so the course firms sooner: its 95 % half-angle
 * is at most 4 deg within 14 s of the track's first record (3.76 deg at 14 s), and the
 * course then within 4 deg of the truth. With the steering noise on every axis: 4.42
 * deg at 14 s, 4 deg only at 16 s (this test fails). */
static void test_boost_course_firms(void **state)
{
    scene_t s;
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = make_tracker();
    double det[MAXM], t0, t_firm = -1.0;
    /* test-landfall's geometry: one radar 290 km south-east of the site (0.08 deg, 400 m
     * across the line of sight there), the missile flying towards it, so that the course
     * rests on the radar's angles */
    tg_radar_t kr = {
        "KR-R1", "KR", 36.94 * MWX_DEG, 127.69 * MWX_DEG, 400.0, 800e3, 1.0 * MWX_DEG, 30.0, 0.08,
        0.08,    0.95};
    memset(&s, 0, sizeof(s));
    s.m[0] = missile(60.0, 125.0);
    s.m[0].a0 = 22.0;
    s.m[0].burn_s = 90.0;
    s.m[0].kick_deg = 12.0;
    s.nm = 1;
    s.rd[0] = kr;
    s.nrd = 1;
    s.use_radar = 1;
    s.fa_rate = 0.1;
    s.seed = 11;
    fly_all(&s);
    s.t_end = s.m[0].t_burnout - 10.0;
    mwx_tracker_set_callback(tr, on_track, &k);
    run_scene(&s, tr, det);
    assert_true(k.n > 20);
    t0 = k.rec[0].t;
    for (int i = 0; i < k.n; i++) {
        const mwx_rec_track_t *r = &k.rec[i];
        double x[6], half, c, ct, d;
        if (r->phase == MWX_PHASE_IMPACT || tg_missile_state(&s.m[0], r->t, x))
            continue;
        c = course_deg(r->ecef_m, r->vel_mps, r->cov_vel_m2s2, &half);
        ct = course_deg(x, x + 3, NULL, NULL);
        d = fmod(c - ct + 540.0, 360.0) - 180.0;
        if (getenv("DBG") || fmod(r->t - t0 + 1e-6, 5.0) < 0.4)
            printf("  +%5.1f s: course %.2f deg (truth %.2f), 95 %% half-angle %.2f deg\n",
                   r->t - t0, c, ct, half);
        if (t_firm < 0 && half <= 4.0) {
            t_firm = r->t;
            assert_true(fabs(d) <= 4.0);
        }
    }
    printf("first detection %.1f s, first record %.1f s, course firm (<= 4 deg) at %.1f s\n",
           det[0], t0, t_firm);
    assert_true(t_firm > 0);
    assert_true(t_firm - t0 <= 14.0);
    mwx_tracker_destroy(tr);
    free(k.rec);
    free_all(&s);
}

/* A real cross-plane manoeuvre in boost (a dogleg: the thrust turned 20 deg out of the
 * plane of flight for 12 s, 54-66 s after launch, ~7 m/s^2 across it, the course turning
 * 14 deg; the track started 2 s before, at 690 m/s, so the whole turn is flown below
 * 1,000 m/s, where the cross-plane noise is smallest) is held: one track over the whole
 * flight, every record within 3 km of the truth, and the course within 2 deg of the
 * truth from 20 s after the turn (1.5 deg; 2.4 deg 10-20 s after). The same dogleg 60-75
 * s after launch (890-1,300 m/s) was lost with 1 m/s^2 per sqrt(s) across the plane at
 * every speed. */
static void test_boost_dogleg_held(void **state)
{
    scene_t s;
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = make_tracker();
    double det[MAXM], worst = 0.0, worst_c = 0.0, worst_in = 0.0, worst_10 = 0.0, c_turn = 0.0;
    char ids[8][MWX_ID_LEN];
    memset(&s, 0, sizeof(s));
    s.m[0] = missile(60.0, 95.0);
    s.m[0].dogleg_t0 = 54.0;
    s.m[0].dogleg_t1 = 66.0;
    s.m[0].dogleg_deg = 20.0;
    s.nm = 1;
    scene_radars(&s);
    s.fa_rate = 0.2;
    s.seed = 11;
    fly_all(&s);
    s.t_end = s.m[0].t_burnout + 30.0;
    mwx_tracker_set_callback(tr, on_track, &k);
    run_scene(&s, tr, det);
    assert_int_equal(count_ids(&k, ids, 8), 1);
    for (int i = 0; i < k.n; i++) {
        const mwx_rec_track_t *r = &k.rec[i];
        double x[6], dist, c, ct, d;
        if (r->phase == MWX_PHASE_IMPACT)
            continue;
        assert_int_equal(nearest(&s, r, &dist), 0);
        if (dist > worst)
            worst = dist;
        assert_int_equal(tg_missile_state(&s.m[0], r->t, x), 0);
        c = course_deg(r->ecef_m, r->vel_mps, NULL, NULL);
        ct = course_deg(x, x + 3, NULL, NULL);
        d = fmod(c - ct + 540.0, 360.0) - 180.0;
        if (getenv("DBG"))
            printf("  %6.1f s: dist %.0f m, course %.2f (truth %.2f), speed %.0f m/s\n", r->t, dist,
                   c, ct, mwx_norm3(x + 3));
        if (r->t <= s.m[0].t_launch + s.m[0].dogleg_t0)
            c_turn = ct;
        if (r->t > s.m[0].t_launch + s.m[0].dogleg_t0 &&
            r->t < s.m[0].t_launch + s.m[0].dogleg_t1 && fabs(d) > worst_in)
            worst_in = fabs(d);
        if (r->t >= s.m[0].t_launch + s.m[0].dogleg_t1 + 10.0 &&
            r->t < s.m[0].t_launch + s.m[0].dogleg_t1 + 20.0 && fabs(d) > worst_10)
            worst_10 = fabs(d);
        if (r->t >= s.m[0].t_launch + s.m[0].dogleg_t1 + 20.0 && fabs(d) > worst_c)
            worst_c = fabs(d);
        if (r->t >= s.m[0].t_launch + s.m[0].dogleg_t1 &&
            r->t < s.m[0].t_launch + s.m[0].dogleg_t1 + 1)
            printf("course turned by %.1f deg in the dogleg, worst course error in it %.2f deg\n",
                   ct - c_turn, worst_in);
    }
    printf("dogleg: worst position error %.0f m, worst course error 10-20 s after the turn "
           "%.2f deg, from 20 s after %.2f deg\n",
           worst, worst_10, worst_c);
    assert_true(worst < 3000.0);
    assert_true(worst_c <= 2.0);
    mwx_tracker_destroy(tr);
    free(k.rec);
    free_all(&s);
}

/* A node that falls far behind its feed (bench/soak: 20 000 s) sees its next scan long
 * after a track's predicted impact. The track is down: no measurement of that scan may
 * continue it (predicting it there flew it on through the Earth and the node's own fusion
 * refused its last report, 3e15 m away), and its last report is on the ground at its
 * predicted impact point. */
static void test_landed_track_after_feed_gap(void **state)
{
    scene_t s;
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = make_tracker();
    double det[MAXM];
    const mwx_earth_t e = mwx_earth_wgs84();
    mwx_rec_meas_t fa;
    tg_rng_t rng = {77};
    int n_impact = 0;
    (void)state;
    memset(&s, 0, sizeof(s));
    s.m[0] = missile(60.0, 95.0);
    s.nm = 1;
    scene_radars(&s);
    s.seed = 5;
    fly_all(&s);
    s.t_end = s.m[0].t_impact - 60.0; /* still tracked, an impact predicted */
    mwx_tracker_set_callback(tr, on_track, &k);
    run_scene(&s, tr, det);
    assert_true(k.n > 0 && k.rec[k.n - 1].impact.valid);
    /* the next scan, 20 000 s later: one false alarm */
    tg_radar_false_alarm(&s.rd[0], &rng, s.t_end + 20000.0, &fa);
    assert_int_equal(mwx_tracker_add(tr, &fa, NULL), 0);
    assert_int_equal(mwx_tracker_flush(tr, NULL), MWX_OK);
    for (int i = 0; i < k.n; i++) {
        const mwx_rec_track_t *r = &k.rec[i];
        double rr = sqrt(mwx_dot3(r->ecef_m, r->ecef_m));
        assert_true(rr > 6.3e6 && rr < 1e8);
        if (r->phase != MWX_PHASE_IMPACT)
            continue;
        mwx_geo_t g;
        double d, az1, az2;
        n_impact++;
        mwx_ecef_to_geo(&e, r->ecef_m, &g);
        mwx_geodesic_inverse(&e, g.lat, g.lon, r->impact.lat * MWX_DEG, r->impact.lon * MWX_DEG, &d,
                             &az1, &az2);
        printf("last report at %.0f s: %.1f m from its impact point, altitude %.1f m\n", r->t, d,
               g.alt);
        assert_true(fabs(g.alt) < 1.0);
        assert_true(d < 1.0);
        /* and near the truth's impact (the prediction 60 s out) */
        mwx_geodesic_inverse(&e, g.lat, g.lon, s.m[0].impact_lat, s.m[0].impact_lon, &d, &az1,
                             &az2);
        assert_true(d < 5e3);
        assert_true(mwx_dot3(r->vel_mps, r->vel_mps) == 0.0);
    }
    assert_int_equal(n_impact, 1);
    mwx_tracker_destroy(tr);
    free_all(&s);
    free(k.rec);
}

static void test_salvo_four(void **state)
{
    scene_t s;
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = make_tracker();
    double det[MAXM];
    char ids[16][MWX_ID_LEN];
    int n_ids, owner[16], seen[MAXM] = {0};
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < 4; i++)
        s.m[i] = missile(60.0 + 4.0 * i, 93.0 + 1.5 * i);
    s.nm = 4;
    scene_radars(&s);
    s.fa_rate = 0.2;
    s.seed = 21;
    fly_all(&s);
    s.t_end = s.m[3].t_impact + 30.0;
    mwx_tracker_set_callback(tr, on_track, &k);
    run_scene(&s, tr, det);
    n_ids = count_ids(&k, ids, 16);
    printf("salvo: %d track ids\n", n_ids);
    assert_int_equal(n_ids, 4);
    for (int j = 0; j < n_ids; j++)
        owner[j] = -1;
    /* no swaps: each track's records stay nearest to one object */
    for (int i = 0; i < k.n; i++) {
        int j = 0, o;
        if (k.rec[i].phase == MWX_PHASE_IMPACT)
            continue;
        while (strcmp(ids[j], k.rec[i].track_id) != 0)
            j++;
        o = nearest(&s, &k.rec[i], NULL);
        if (o < 0)
            continue;
        if (owner[j] < 0)
            owner[j] = o;
        assert_int_equal(owner[j], o);
    }
    for (int j = 0; j < n_ids; j++) {
        assert_true(owner[j] >= 0);
        assert_false(seen[owner[j]]);
        seen[owner[j]] = 1;
    }
    mwx_tracker_destroy(tr);
    free(k.rec);
    free_all(&s);
}

static void test_false_alarms(void **state)
{
    static const double rates[2] = {0.2, 1.0};
    for (int r = 0; r < 2; r++) {
        scene_t s;
        sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
        mwx_tracker_t *tr = make_tracker();
        mwx_tracker_stats_t st;
        double det[MAXM];
        memset(&s, 0, sizeof(s));
        scene_radars(&s);
        s.fa_rate = rates[r];
        s.seed = 31 + (uint64_t)r;
        s.t_end = 1200.0;
        mwx_tracker_set_callback(tr, on_track, &k);
        run_scene(&s, tr, det);
        mwx_tracker_get_stats(tr, &st);
        printf("false alarms %.1f/scan: %llu tentative, %llu confirmed\n", rates[r],
               (unsigned long long)st.tracks_created, (unsigned long long)st.tracks_confirmed);
        assert_true(st.tracks_created > 100);
        assert_int_equal(st.tracks_confirmed, 0);
        assert_int_equal(k.n, 0);
        mwx_tracker_destroy(tr);
        free(k.rec);
    }
}

static void test_ir_triangulation(void **state)
{
    scene_t s;
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = make_tracker();
    double det[MAXM];
    memset(&s, 0, sizeof(s));
    s.m[0] = missile(60.0, 95.0);
    s.nm = 1;
    s.ir = 1;
    s.use_radar = 0;
    s.seed = 41;
    fly_all(&s);
    s.t_end = s.m[0].t_burnout + 5.0;
    mwx_tracker_set_callback(tr, on_track, &k);
    run_scene(&s, tr, det);
    assert_true(k.n > 10);
    printf("IR: first detection %.1f s, confirmed %.1f s\n", det[0], k.rec[0].t);
    assert_true(k.rec[0].t <= det[0] + 3.0);
    assert_true(k.rec[0].phase == MWX_PHASE_BOOST);
    {
        double dist;
        assert_int_equal(nearest(&s, &k.rec[k.n - 1], &dist), 0);
        printf("IR: last position error %.0f m\n", dist);
        assert_true(dist < 5000.0);
    }
    mwx_tracker_destroy(tr);
    free(k.rec);
    free_all(&s);
}

static void test_truth_blindness(void **state)
{
    sink_t out[3];
    for (int mode = 0; mode < 3; mode++) {
        scene_t s;
        mwx_tracker_t *tr = make_tracker();
        double det[MAXM];
        memset(&s, 0, sizeof(s));
        s.m[0] = missile(60.0, 95.0);
        s.m[1] = missile(70.0, 100.0);
        s.nm = 2;
        scene_radars(&s);
        s.fa_rate = 0.5;
        s.seed = 51;
        s.truth_mode = mode;
        fly_all(&s);
        s.t_end = 400.0;
        out[mode].rec = calloc(MAXREC, sizeof(mwx_rec_track_t));
        out[mode].n = 0;
        mwx_tracker_set_callback(tr, on_track, &out[mode]);
        run_scene(&s, tr, det);
        mwx_tracker_destroy(tr);
        free_all(&s);
    }
    assert_true(out[0].n > 100);
    for (int mode = 1; mode < 3; mode++) {
        assert_int_equal(out[mode].n, out[0].n);
        assert_memory_equal(out[mode].rec, out[0].rec, sizeof(mwx_rec_track_t) * (size_t)out[0].n);
    }
    for (int mode = 0; mode < 3; mode++)
        free(out[mode].rec);
}

/* Malformed measurements are dropped and counted; time going back is refused; a full
 * pool refuses new tracks without harm; other nations' sensors are ignored with --nation. */

/* A track lost under thrust, whose prediction a radar refutes, ends; it does not coast
 * for minutes and take a clutter plot far off (soak block 0's US-28, docs/TRACKER.md
 * step 5). The IR satellites lose the missile 80 s after launch, 20 s before its burnout;
 * the radar sees it from 16 s (or 28 s) later, when the track's prediction, a body whose
 * burn ended at the loss, is kilometres behind it. 200 s after launch a clutter plot
 * lies where that body would be: the test's own missile with the same thrust cut at
 * 80 s (truthgen), 109 km off the missile. Before the fix the lost track coasted on and
 * took the plot (seeds 2 and 4; with seeds 1 and 3 no track took it before either); now
 * no track takes it, and one follows the missile. */
static void test_lost_in_boost_takes_no_clutter(void **state)
{
    static const struct {
        uint64_t seed;
        double radar_after_s;
    } cases[] = {{2, 16.0}, {4, 28.0}};
    const double loss = 80.0, t_clutter = 60.0 + 200.0;
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        scene_t s;
        sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
        mwx_tracker_t *tr = make_tracker();
        double det[MAXM], x[6], xc[6], d, far;
        tg_missile_t cut;
        tg_radar_t rd;
        tg_rng_t rng = {7};
        mwx_rec_meas_t m;
        int n0, near_end = 0;
        memset(&s, 0, sizeof(s));
        s.m[0] = missile(60.0, 95.0);
        s.nm = 1;
        scene_radars(&s);
        s.nrd = 1;
        s.ir = 1;
        s.ir_to = loss;
        s.radar_from = 60.0 + loss + cases[c].radar_after_s;
        s.seed = cases[c].seed;
        fly_all(&s);
        /* the same missile with its burn cut at the loss: the same thrust profile */
        cut = missile(60.0, 95.0);
        cut.mass_frac = s.m[0].mass_frac * loss / s.m[0].burn_s;
        cut.burn_s = loss;
        assert_int_equal(tg_missile_fly(&cut), 0);
        s.t_end = t_clutter - 0.5;
        mwx_tracker_set_callback(tr, on_track, &k);
        run_scene(&s, tr, det);
        n0 = k.n;
        assert_int_equal(tg_missile_state(&cut, t_clutter, xc), 0);
        assert_int_equal(tg_missile_state(&s.m[0], t_clutter, x), 0);
        far = sqrt((x[0] - xc[0]) * (x[0] - xc[0]) + (x[1] - xc[1]) * (x[1] - xc[1]) +
                   (x[2] - xc[2]) * (x[2] - xc[2]));
        assert_true(far > 100e3);
        /* the clutter plot, and the missile, in the radar's scan at t_clutter */
        rd = s.rd[0];
        rd.pd = 1.0;
        rd.max_range_m = 3000e3;
        rd.min_el = -10.0 * MWX_DEG;
        assert_int_equal(tg_radar_measure(&rd, &rng, t_clutter, xc, "", &m), 0);
        assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
        if (tg_radar_measure(&rd, &rng, t_clutter, x, "L1", &m) == 0)
            assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
        assert_int_equal(mwx_tracker_flush(tr, NULL), MWX_OK);
        printf("case %zu: clutter %.0f km off the missile; %d records at %.0f s\n", c, far / 1e3,
               k.n - n0, t_clutter);
        for (int i = n0; i < k.n; i++) {
            assert_int_equal(nearest(&s, &k.rec[i], &d), 0);
            printf("  %s %.2f km from the missile\n", k.rec[i].track_id, d / 1e3);
            assert_true(d < 5e3); /* no track took the clutter */
            near_end = 1;
        }
        assert_true(near_end); /* and the missile is tracked */
        mwx_tracker_destroy(tr);
        tg_missile_free(&cut);
        free(k.rec);
        free_all(&s);
    }
}

static void test_bad_input(void **state)
{
    mwx_tracker_cfg_t c;
    mwx_tracker_t *tr = NULL;
    mwx_tracker_stats_t st;
    tg_rng_t rng = {61};
    tg_radar_t rd = {
        "KR-R1", "KR", 37.5 * MWX_DEG, 128.5 * MWX_DEG, 300.0, 1500e3, 1.0 * MWX_DEG, 30.0, 0.05,
        0.05,    1.0};
    mwx_rec_meas_t m, bad;
    mwx_err_t err;
    mwx_tracker_cfg_default(&c, "KR", 8);
    mwx_strlcpy(c.nation, "KR", sizeof(c.nation));
    assert_int_equal(mwx_tracker_create(&c, &tr, NULL), 0);
    tg_radar_false_alarm(&rd, &rng, 10.0, &m);
    for (int k = 0; k < 7; k++) {
        bad = m;
        switch (k) {
        case 0: bad.range_m = NAN; break;
        case 1: bad.sigma_range_m = 0.0; break;
        case 2: bad.el_deg = 120.0; break;
        case 3: bad.sensor_ecef_m[1] = INFINITY; break;
        case 4: bad.kind = (mwx_sensor_kind_t)7; break;
        case 5: bad.kind = MWX_SENSOR_IR; break; /* IR without a line of sight */
        case 6: mwx_strlcpy(bad.nation, "JP", sizeof(bad.nation)); break;
        }
        assert_int_equal(mwx_tracker_add(tr, &bad, NULL), 0);
    }
    assert_int_equal(mwx_tracker_flush(tr, NULL), 0);
    mwx_tracker_get_stats(tr, &st);
    assert_int_equal(st.meas_in, 7);
    assert_int_equal(st.meas_dropped, 7);
    assert_int_equal(st.tracks_created, 0);
    /* time going back */
    assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
    m.t = 5.0;
    assert_int_equal(mwx_tracker_add(tr, &m, &err), MWX_EINVAL);
    /* pool of 8: 40 false alarms in one scan start 8 tracks, the rest are counted */
    for (int k = 0; k < 40; k++) {
        tg_radar_false_alarm(&rd, &rng, 11.0, &m);
        assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
    }
    assert_int_equal(mwx_tracker_flush(tr, NULL), 0);
    mwx_tracker_get_stats(tr, &st);
    assert_int_equal(mwx_tracker_count(tr, 0), 8);
    assert_true(st.pool_full > 0);
    assert_int_equal(mwx_tracker_count(tr, 1), 0);
    mwx_tracker_destroy(tr);
}

/* A clutter plot coasted past tentative_timeout_s must not take a missile's IR lines of
 * sight (soak block 2, B2L59, US node; the measurements are the recording's). One radar
 * false alarm of US-TPY2-KYOGAMISAKI at t = 26696.64 (968 km, az 286, el 10: over the
 * Yellow Sea at 240 km), then no US scan until the OPIR satellites see B2L59 at 9 km over
 * its site (39.43N 125.93E, launched at 26670): 10.5 s later, the false alarm's tentative
 * track (velocity 0 +- 3 km/s) took the lines of sight, was confirmed in 1.5 s at 270 km
 * from the missile (35 km sigma) and flew back to a launch at 29.0N 158.1E, 989 s early.
 * Without it the two satellites triangulate the missile to within 2 km. */
static void test_stale_tentative_takes_no_ir(void **state)
{
    static const struct {
        double t;
        int sat;
        double los[3];
    } ir[] = {
        {26707.175169467937, 1, {0.21191486411012608, -0.9714471276320228, 0.10668912121055005}},
        {26707.289356955604, 2, {0.8864491408210617, -0.45043182030729245, 0.10639124020454135}},
        {26708.175169467937, 1, {0.2118931717479322, -0.9714489962956371, 0.10671518806055932}},
        {26708.289356955604, 2, {0.8864433814041021, -0.4504444738248492, 0.1063856548859693}},
        {26709.175169467937, 1, {0.21197441919685117, -0.9714295036772932, 0.10673127466420325}},
        {26709.289356955604, 2, {0.8864449394610067, -0.4504486525036446, 0.10635497525561846}},
        {26710.175169467937, 1, {0.21196159948133433, -0.9714340586961226, 0.10671527515071455}},
        {26710.289356955604, 2, {0.8864401314432054, -0.4504375660815661, 0.10644196742576423}},
        {26711.175169467937, 1, {0.21194073372508476, -0.9714375222548721, 0.10672518795198993}},
        {26711.289356955604, 2, {0.8864585156842499, -0.4503974506586479, 0.10645861360673169}},
    };
    /* B2L59's true position at whole seconds 26707..26712 (the recording's truth) */
    static const double truth[6][3] = {
        {-2900299.382726219, 4001229.9489048803, 4034547.6226533316},
        {-2900662.837871065, 4001627.6038319115, 4034788.5535013205},
        {-2901041.6585542616, 4002038.899996315, 4035031.6818883065},
        {-2901436.3122102064, 4002464.1402844163, 4035276.790499957},
        {-2901847.319761758, 4002903.679301853, 4035523.6800971604},
        {-2902275.22442679, 4003357.8888572, 4035772.1478386633},
    };
    static const double sat_ecef[2][3] = {{-10912890.734578447, 40727462.6788944, 0},
                                          {-36515244.081536524, 21082085.999999996, 0}};
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = NULL;
    mwx_tracker_cfg_t c;
    mwx_rec_meas_t m;
    mwx_earth_t e = mwx_earth_wgs84();
    double worst = 0, worst_launch_km = 0;
    mwx_tracker_cfg_default(&c, "US", 256);
    assert_int_equal(mwx_tracker_create(&c, &tr, NULL), 0);
    mwx_tracker_set_callback(tr, on_track, &k);
    memset(&m, 0, sizeof(m));
    m.t = 26696.63874132739;
    strcpy(m.sensor, "US-TPY2-KYOGAMISAKI");
    strcpy(m.nation, "US");
    m.kind = MWX_SENSOR_RADAR;
    m.range_m = 967942.6643887634;
    m.az_deg = 286.1392134459048;
    m.el_deg = 10.039351062557312;
    m.sigma_range_m = 10.0;
    m.sigma_az_deg = 0.02;
    m.sigma_el_deg = 0.02;
    m.sensor_ecef_m[0] = -3676165.12079181;
    m.sensor_ecef_m[1] = 3651864.3656935445;
    m.sensor_ecef_m[2] = 3706702.79465298;
    assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
    for (size_t i = 0; i < sizeof(ir) / sizeof(ir[0]); i++) {
        memset(&m, 0, sizeof(m));
        m.t = ir[i].t;
        snprintf(m.sensor, sizeof(m.sensor), "US-OPIR-%d", ir[i].sat);
        strcpy(m.nation, "US");
        m.kind = MWX_SENSOR_IR;
        memcpy(m.sensor_ecef_m, sat_ecef[ir[i].sat - 1], sizeof(m.sensor_ecef_m));
        memcpy(m.los_ecef, ir[i].los, sizeof(m.los_ecef));
        m.sigma_los_urad = 30.0;
        assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
    }
    assert_int_equal(mwx_tracker_flush(tr, NULL), MWX_OK);
    assert_true(k.n > 0); /* the missile is tracked */
    for (int i = 0; i < k.n; i++) {
        const mwx_rec_track_t *r = &k.rec[i];
        int s = (int)floor(r->t) - 26707;
        double d[3], err;
        assert_true(s >= 0 && s < 5);
        /* the truth at the whole second before (the missile flies 0.6 km in a second) */
        for (int a = 0; a < 3; a++)
            d[a] = r->ecef_m[a] - truth[s][a];
        err = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        worst = fmax(worst, err);
        if (r->launch.valid) {
            mwx_geo_t g = {r->launch.lat * MWX_DEG, r->launch.lon * MWX_DEG, 0.0},
                      site = {39.43 * MWX_DEG, 125.93 * MWX_DEG, 0.0};
            double p[3], q[3], dl[3];
            mwx_geo_to_ecef(&e, &g, p);
            mwx_geo_to_ecef(&e, &site, q);
            for (int a = 0; a < 3; a++)
                dl[a] = p[a] - q[a];
            worst_launch_km =
                fmax(worst_launch_km, sqrt(dl[0] * dl[0] + dl[1] * dl[1] + dl[2] * dl[2]) / 1e3);
        }
    }
    printf(
        "stale tentative: %d records, worst position error %.1f km, worst launch point %.0f km\n",
        k.n, worst / 1e3, worst_launch_km);
    assert_true(worst < 10e3);            /* before: 270 km */
    assert_true(worst_launch_km < 100.0); /* before: 3,300 km (29.0N 158.1E) */
    mwx_tracker_destroy(tr);
    free(k.rec);
}

/* A track a radar started is not confirmed by IR lines of sight (tracker.c, apply_update):
 * soak block 12's US measurements around the launch of B12L6 (tests/track/data/
 * b12l6_us.txt). Two TPY-2 false alarms 384 km up over the Yellow Sea made a tentative
 * track that took B12L6's first OPIR line of sight, was confirmed by it and reported once
 * (a launch 850 s before, far out in the Pacific): every node's launch notice for it came
 * 8 s before the missile's own. Every confirmed report must now lie near the missile. */
static void test_ir_confirms_no_radar_start(void **state)
{
    enum { MAXT = 64 };
    double tt[MAXT], tx[MAXT][3], worst = 0.0;
    int nt = 0;
    char line[512], path[1024];
    sink_t k = {calloc(MAXREC, sizeof(mwx_rec_track_t)), 0};
    mwx_tracker_t *tr = NULL;
    mwx_tracker_cfg_t c;
    FILE *f;
    (void)state;
    snprintf(path, sizeof path, "%s/tests/track/data/b12l6_us.txt", MWX_SOURCE_DIR);
    f = fopen(path, "r");
    assert_non_null(f);
    mwx_tracker_cfg_default(&c, "US", 256);
    assert_int_equal(mwx_tracker_create(&c, &tr, NULL), 0);
    mwx_tracker_set_callback(tr, on_track, &k);
    while (fgets(line, sizeof line, f)) {
        mwx_rec_meas_t m;
        double *e = m.sensor_ecef_m;
        memset(&m, 0, sizeof m);
        strcpy(m.nation, "US");
        if (line[0] == 'T') {
            assert_true(nt < MAXT);
            assert_int_equal(
                sscanf(line, "T %lf %*s %lf %lf %lf", &tt[nt], &tx[nt][0], &tx[nt][1], &tx[nt][2]),
                4);
            nt++;
        } else if (line[0] == 'R') {
            m.kind = MWX_SENSOR_RADAR;
            assert_int_equal(sscanf(line, "R %lf %31s %lf %lf %lf %lf %lf %lf %lf %lf %lf", &m.t,
                                    m.sensor, &m.range_m, &m.az_deg, &m.el_deg, &m.sigma_range_m,
                                    &m.sigma_az_deg, &m.sigma_el_deg, &e[0], &e[1], &e[2]),
                             11);
            assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
        } else if (line[0] == 'I') {
            m.kind = MWX_SENSOR_IR;
            assert_int_equal(sscanf(line, "I %lf %31s %lf %lf %lf %lf %lf %lf %lf", &m.t, m.sensor,
                                    &m.los_ecef[0], &m.los_ecef[1], &m.los_ecef[2],
                                    &m.sigma_los_urad, &e[0], &e[1], &e[2]),
                             9);
            assert_int_equal(mwx_tracker_add(tr, &m, NULL), 0);
        }
    }
    fclose(f);
    assert_int_equal(mwx_tracker_flush(tr, NULL), MWX_OK);
    assert_true(nt > 30);
    assert_true(k.n > 0); /* the missile is tracked */
    for (int i = 0; i < k.n; i++) {
        const mwx_rec_track_t *r = &k.rec[i];
        int j = 0;
        double d[3];
        while (j + 1 < nt && tt[j + 1] <= r->t)
            j++;
        /* the truth at the whole second before: B12L6 flies < 2 km in a second here */
        for (int a = 0; a < 3; a++)
            d[a] = r->ecef_m[a] - tx[j][a];
        worst = fmax(worst, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
    }
    printf("radar-started track, IR: %d records from t = %.1f s, worst distance from B12L6 "
           "%.1f km\n",
           k.n, k.rec[0].t, worst / 1e3);
    assert_true(worst < 20e3); /* before: a report 563 km away */
    /* and the missile's own track is not held up by the false alarm's tentative one,
     * kept alive by lines of sight it may not confirm on: first reported at 2856.3 s,
     * 36 s after the launch */
    assert_true(k.rec[0].t < 2858.0);
    mwx_tracker_destroy(tr);
    free(k.rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_single_launch),
        cmocka_unit_test(test_salvo_four),
        cmocka_unit_test(test_false_alarms),
        cmocka_unit_test(test_ir_triangulation),
        cmocka_unit_test(test_truth_blindness),
        cmocka_unit_test(test_boost_course_firms),
        cmocka_unit_test(test_boost_dogleg_held),
        cmocka_unit_test(test_landed_track_after_feed_gap),
        cmocka_unit_test(test_lost_in_boost_takes_no_clutter),
        cmocka_unit_test(test_stale_tentative_takes_no_ir),
        cmocka_unit_test(test_ir_confirms_no_radar_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
