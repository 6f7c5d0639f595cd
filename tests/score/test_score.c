/* Scoring against independent truth: hand-computed OSPA/GOSPA and assignments, exact
 * RMSE/NEES for fixed offsets, chi-square NEES for Gaussian errors drawn with a known
 * covariance, impact errors at the Report's times from synthetic predictions placed at
 * known geodesic distances, association of two crossing objects, the Report's JSON keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/score.h"

/* ------------------------------------------------------------------ helpers */

typedef struct recs {
    mwx_record_t *v;
    size_t n, cap;
} recs_t;

static mwx_record_t *push(recs_t *r, mwx_rec_type_t type)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    mwx_record_t *x = &r->v[r->n++];
    memset(x, 0, sizeof *x);
    x->type = type;
    return x;
}

static void add_truth(recs_t *r, const char *obj, double t, const double p[3], const double v[3],
                      mwx_phase_t ph)
{
    mwx_rec_truth_t *x = &push(r, MWX_REC_TRUTH)->u.truth;
    x->t = t;
    strcpy(x->object, obj);
    memcpy(x->ecef_m, p, sizeof x->ecef_m);
    memcpy(x->vel_mps, v, sizeof x->vel_mps);
    x->phase = ph;
}

static mwx_rec_track_t *add_track(recs_t *r, const char *node, const char *id, double t,
                                  const double p[3], const double v[3], double sigma_m)
{
    mwx_rec_track_t *x = &push(r, MWX_REC_TRACK)->u.track;
    x->t = t;
    strcpy(x->node, node);
    strcpy(x->track_id, id);
    memcpy(x->ecef_m, p, sizeof x->ecef_m);
    memcpy(x->vel_mps, v, sizeof x->vel_mps);
    x->cov_pos_m2[0] = x->cov_pos_m2[3] = x->cov_pos_m2[5] = sigma_m * sigma_m;
    x->confirmed = 1;
    x->phase = MWX_PHASE_BALLISTIC;
    return x;
}

/* Deterministic normal deviates (xorshift64* + Box-Muller): the same on every platform. */
static uint64_t rng_state = 88172645463325252ull;
static double urand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}
static double nrand(void)
{
    double u = urand(), v = urand();
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2 * log(u)) * cos(2 * MWX_PI * v);
}

/* A synthetic flight L1 from (39.0 N, 125.7 E) to (40.5 N, 135.5 E), launch at 60 s,
 * impact at 1060 s, sampled every second: geodetic straight interpolation with a parabolic
 * altitude (500 km apogee), velocities by central differences. The last sample is the
 * impact (altitude 0). */
#define L1_T0 60.0
#define L1_T1 1060.0
static void l1_state(double t, double p[3])
{
    mwx_earth_t e = mwx_earth_wgs84();
    double s = (t - L1_T0) / (L1_T1 - L1_T0);
    mwx_geo_t g = {(39.0 + 1.5 * s) * MWX_DEG, (125.7 + 9.8 * s) * MWX_DEG,
                   4 * 500e3 * s * (1 - s)};
    mwx_geo_to_ecef(&e, &g, p);
}
static void add_l1(recs_t *r)
{
    for (double t = L1_T0; t <= L1_T1 + 1e-9; t += 1.0) {
        double p[3], a[3], b[3], v[3];
        l1_state(t, p);
        l1_state(t - 0.01, a);
        l1_state(t + 0.01, b);
        for (int k = 0; k < 3; k++)
            v[k] = (b[k] - a[k]) / 0.02;
        add_truth(r, "L1", t, p, v, t >= L1_T1 ? MWX_PHASE_IMPACT : MWX_PHASE_BALLISTIC);
    }
}

/* The truth sample of L1 at integer time t (records are at whole seconds). */
static const mwx_rec_truth_t *l1_at(const recs_t *r, double t)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].type == MWX_REC_TRUTH && strcmp(r->v[i].u.truth.object, "L1") == 0 &&
            fabs(r->v[i].u.truth.t - t) < 1e-9)
            return &r->v[i].u.truth;
    fail_msg("no truth at %g", t);
    return NULL;
}

static json_t *report_json(const mwx_report_t *rep)
{
    /* Through text, as a user sees it. */
    json_t *j = mwx_report_to_json(rep);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_REAL_PRECISION(12));
    json_decref(j);
    assert_non_null(s);
    json_error_t je;
    json_t *back = json_loads(s, 0, &je);
    free(s);
    assert_non_null(back);
    return back;
}

/* ------------------------------------------------------------------ assignment, OSPA */

static void test_assign(void **state)
{
    /* Hand-solved: rows 0,1,2 -> cols 1,0,2 cost 1 + 2 + 2 = 5; greedy (the cheapest
     * entry first: (1,1) = 0, then (0,2) = 3, (2,0) = 3) would give 6. */
    const double c3[9] = {4, 1, 3, 2, 0, 5, 3, 2, 2};
    int a[3];
    assert_float_equal(mwx_score_assign(c3, 3, 3, a), 5.0, 1e-12);
    assert_int_equal(a[0], 1);
    assert_int_equal(a[1], 0);
    assert_int_equal(a[2], 2);
    /* 2 x 3: row 0 -> col 2 (1), row 1 -> col 0 (2): 3. */
    const double c23[6] = {5, 9, 1, 2, 7, 8};
    int b[2];
    assert_float_equal(mwx_score_assign(c23, 2, 3, b), 3.0, 1e-12);
    assert_int_equal(b[0], 2);
    assert_int_equal(b[1], 0);
    /* 3 x 2 (the transpose): one row left out. */
    const double c32[6] = {5, 2, 9, 7, 1, 8};
    int d[3];
    assert_float_equal(mwx_score_assign(c32, 3, 2, d), 3.0, 1e-12);
    assert_int_equal(d[0], 1);
    assert_int_equal(d[1], -1);
    assert_int_equal(d[2], 0);
}

static void test_ospa_gospa_hand(void **state)
{
    const double c = 10, p = 2;
    const double o[1][3] = {{0, 0, 0}};
    const double a[1][3] = {{3, 4, 0}};
    const double far[1][3] = {{50, 0, 0}};
    const double two[2][3] = {{0, 0, 0}, {100, 0, 0}};
    const double three[3][3] = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
    /* One pair 5 m apart. */
    assert_float_equal(mwx_score_ospa(o, 1, a, 1, c, p), 5.0, 1e-12);
    assert_float_equal(mwx_score_gospa(o, 1, a, 1, c, p, 2), 5.0, 1e-12);
    /* Beyond the cut-off: c for both (GOSPA: a pair at c costs c^p = two misses c^p/2). */
    assert_float_equal(mwx_score_ospa(o, 1, far, 1, c, p), 10.0, 1e-12);
    assert_float_equal(mwx_score_gospa(o, 1, far, 1, c, p, 2), 10.0, 1e-12);
    /* Cardinality error: {0, 100} vs {(3,4,0)}: OSPA sqrt((25 + 100)/2), GOSPA
     * sqrt(25 + 100/2). */
    assert_float_equal(mwx_score_ospa(two, 2, a, 1, c, p), sqrt(125.0 / 2), 1e-12);
    assert_float_equal(mwx_score_gospa(two, 2, a, 1, c, p, 2), sqrt(75.0), 1e-12);
    assert_float_equal(mwx_score_ospa(a, 1, two, 2, c, p), sqrt(125.0 / 2), 1e-12);
    /* Empty sets. */
    assert_float_equal(mwx_score_ospa(NULL, 0, NULL, 0, c, p), 0.0, 0);
    assert_float_equal(mwx_score_gospa(NULL, 0, NULL, 0, c, p, 2), 0.0, 0);
    assert_float_equal(mwx_score_ospa(three, 3, NULL, 0, c, p), c, 1e-12);
    assert_float_equal(mwx_score_gospa(three, 3, NULL, 0, c, p, 2), sqrt(3 * 100.0 / 2), 1e-12);
    /* The assignment must be the optimal one, not nearest-first: {0, 10} vs {9, 1}. */
    const double x2[2][3] = {{0, 0, 0}, {10, 0, 0}};
    const double y2[2][3] = {{9, 0, 0}, {1, 0, 0}};
    assert_float_equal(mwx_score_ospa(x2, 2, y2, 2, 100, 2), 1.0, 1e-12);
    assert_float_equal(mwx_score_gospa(x2, 2, y2, 2, 100, 2, 2), sqrt(2.0), 1e-12);
    /* p = 1, alpha = 1: {0} vs {(3,4,0), (100,0,0)}: OSPA (5 + 10)/2, GOSPA 5 + 10/1. */
    const double y3[2][3] = {{3, 4, 0}, {100, 0, 0}};
    assert_float_equal(mwx_score_ospa(o, 1, y3, 2, c, 1), 7.5, 1e-12);
    assert_float_equal(mwx_score_gospa(o, 1, y3, 2, c, 1, 1), 15.0, 1e-12);
    assert_float_equal(mwx_score_gospa(o, 1, y3, 2, c, 1, 2), 10.0, 1e-12);
}

static void test_truth_hermite_exact_for_quadratics(void **state)
{
    /* Constant acceleration: a cubic Hermite through exact positions and velocities
     * reproduces the parabola exactly. */
    const double p0[3] = {6.4e6, 1e5, -2e5}, v0[3] = {1200, -3400, 2500},
                 acc[3] = {-9.81, 3.0, 1.5};
    mwx_rec_truth_t s[6];
    for (int i = 0; i < 6; i++) {
        double t = 10.0 + 4.0 * i;
        s[i].t = t;
        for (int k = 0; k < 3; k++) {
            s[i].ecef_m[k] = p0[k] + v0[k] * t + 0.5 * acc[k] * t * t;
            s[i].vel_mps[k] = v0[k] + acc[k] * t;
        }
    }
    for (double t = 10.0; t <= 30.0; t += 0.37) {
        double p[3], v[3];
        assert_int_equal(mwx_score_truth_at(s, 6, t, p, v), 0);
        for (int k = 0; k < 3; k++) {
            assert_float_equal(p[k], p0[k] + v0[k] * t + 0.5 * acc[k] * t * t, 1e-6);
            assert_float_equal(v[k], v0[k] + acc[k] * t, 1e-8);
        }
    }
    double p[3];
    assert_int_equal(mwx_score_truth_at(s, 6, 9.99, p, NULL), MWX_ERANGE);
    assert_int_equal(mwx_score_truth_at(s, 6, 30.01, p, NULL), MWX_ERANGE);
    assert_int_equal(mwx_score_truth_at(s, 6, 30.0, p, NULL), 0);
    assert_float_equal(p[0], s[5].ecef_m[0], 1e-9);
}

/* ------------------------------------------------------------------ accuracy */

static void test_fixed_offset(void **state)
{
    recs_t r = {0};
    add_l1(&r);
    /* Every 2 s from 70 s: position off by (30, 40, 0) m (50 m), velocity by (3, 0, 4) m/s
     * (5 m/s), sigma 50 m per axis: NEES = 2500/2500 = 1 exactly; velocity covariance
     * 25 per axis: velocity NEES 1. */
    for (double t = 70; t <= 1050; t += 2) {
        /* a copy: push() may move r */
        const mwx_rec_truth_t s_copy = *l1_at(&r, t), *s = &s_copy;
        double p[3] = {s->ecef_m[0] + 30, s->ecef_m[1] + 40, s->ecef_m[2]};
        double v[3] = {s->vel_mps[0] + 3, s->vel_mps[1], s->vel_mps[2] + 4};
        mwx_rec_track_t *x = add_track(&r, "JP", "JP-1", t, p, v, 50);
        x->cov_vel_m2s2[0] = x->cov_vel_m2s2[3] = x->cov_vel_m2s2[5] = 25;
    }
    mwx_report_t rep;
    mwx_err_t err;
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, &err), 0);
    const mwx_score_tracking_t *t = &rep.tracking;
    assert_float_equal(t->pos_rmse_m, 50.0, 1e-6);
    assert_float_equal(t->vel_rmse_mps, 5.0, 1e-6);
    assert_float_equal(t->nees, 1.0, 1e-9);
    assert_float_equal(t->nees_vel, 1.0, 1e-9);
    assert_int_equal(t->n_records, 491);
    assert_int_equal(t->n_tracks, 1);
    assert_int_equal(t->n_false_tracks, 0);
    /* Grid steps 70..1050 s (981); at odd seconds the track is extrapolated 1 s with its
     * velocity (off by 5 m/s, plus the curvature of the path), so OSPA sits just above
     * 50 m; at even seconds it is exactly 50 m. */
    assert_int_equal(t->n_steps, 981);
    assert_true(t->ospa_m >= 50.0 - 1e-9 && t->ospa_m < 56.0);
    assert_float_equal(t->gospa_m, t->ospa_m, 1e-9); /* one to one: identical */
    assert_int_equal(rep.n_launches, 1);
    assert_string_equal(rep.launches[0].id, "L1");
    assert_float_equal(rep.launches[0].t_first_track, 70.0, 1e-12);
    mwx_report_free(&rep);
    free(r.v);
}

static void test_gaussian_nees(void **state)
{
    recs_t r = {0};
    add_l1(&r);
    /* Errors drawn from N(0, P) with a full covariance: P = L L', L lower triangular. */
    const double L[3][3] = {{80, 0, 0}, {30, 60, 0}, {-20, 10, 40}};
    double P[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            P[i][j] = 0;
            for (int k = 0; k < 3; k++)
                P[i][j] += L[i][k] * L[j][k];
        }
    size_t n = 0;
    for (int rep_i = 0; rep_i < 3; rep_i++) /* three nodes tracking the same flight */
        for (double t = 61; t <= 1059; t += 1) {
            /* a copy: push() may move r */
            const mwx_rec_truth_t s_copy = *l1_at(&r, t), *s = &s_copy;
            double z[3] = {nrand(), nrand(), nrand()}, p[3];
            for (int i = 0; i < 3; i++)
                p[i] = s->ecef_m[i] + L[i][0] * z[0] + L[i][1] * z[1] + L[i][2] * z[2];
            const char *node = rep_i == 0 ? "JP" : rep_i == 1 ? "KR" : "US";
            char id[16];
            snprintf(id, sizeof id, "%s-1", node);
            mwx_rec_track_t *x = add_track(&r, node, id, t, p, s->vel_mps, 0);
            x->cov_pos_m2[0] = P[0][0];
            x->cov_pos_m2[1] = P[0][1];
            x->cov_pos_m2[2] = P[0][2];
            x->cov_pos_m2[3] = P[1][1];
            x->cov_pos_m2[4] = P[1][2];
            x->cov_pos_m2[5] = P[2][2];
            n++;
        }
    mwx_report_t rep;
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, NULL), 0);
    assert_int_equal(rep.tracking.n_nees, n);
    /* Mean of n chi-square(3): 3 with standard deviation sqrt(6/n) = 0.045; +-0.2 is
     * 4.5 sigma. */
    assert_true(fabs(rep.tracking.nees - 3.0) < 0.2);
    /* RMSE^2 ~ trace P = 6400 + 4500 + 2100 = 13000 (114 m); chi-square spread ~2 %. */
    assert_true(fabs(rep.tracking.pos_rmse_m - sqrt(13000.0)) < 0.06 * sqrt(13000.0));
    assert_float_equal(rep.tracking.vel_rmse_mps, 0.0, 1e-6);
    assert_true(isnan(rep.tracking.nees_vel));
    assert_int_equal(rep.launches[0].n_tracks, 3);
    /* A covariance that underestimates the errors 4x in variance gives NEES ~12. */
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].type == MWX_REC_TRACK)
            for (int k = 0; k < 6; k++)
                r.v[i].u.track.cov_pos_m2[k] /= 4;
    mwx_report_free(&rep);
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, NULL), 0);
    assert_true(fabs(rep.tracking.nees - 12.0) < 0.8);
    mwx_report_free(&rep);
    free(r.v);
}

/* ------------------------------------------------------------------ per launch */

/* A point d_km due north of the true impact (geodesic). */
static void north_of(double lat, double lon, double d_km, double *lat2, double *lon2)
{
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geodesic_direct(&e, lat * MWX_DEG, lon * MWX_DEG, 0.0, d_km * 1000, lat2, lon2);
    *lat2 /= MWX_DEG;
    *lon2 /= MWX_DEG;
}

static void test_impact_error_times(void **state)
{
    recs_t r = {0};
    add_l1(&r);
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t gi, gl;
    double pi[3], pl[3];
    l1_state(L1_T1, pi);
    l1_state(L1_T0, pl);
    mwx_ecef_to_geo(&e, pi, &gi);
    mwx_ecef_to_geo(&e, pl, &gl);
    /* Updates every 7 s from 70 s. The predicted impact is (1060 - t) * 0.01 km north of
     * the true one; the launch estimate 2 km north, 2 s late, from 100 s on. The latest
     * update at or before 180 s is 175 s (8.85 km); before 760 s, 756 s (3.04 km); before
     * 1000 s, 994 s (0.66 km). */
    for (double t = 70; t <= 1050; t += 7) {
        /* a copy: push() may move r */
        const mwx_rec_truth_t s_copy = *l1_at(&r, t), *s = &s_copy;
        mwx_rec_track_t *x = add_track(&r, "KR", "KR-3", t, s->ecef_m, s->vel_mps, 100);
        x->impact.valid = 1;
        north_of(gi.lat / MWX_DEG, gi.lon / MWX_DEG, (L1_T1 - t) * 0.01, &x->impact.lat,
                 &x->impact.lon);
        x->impact.t = L1_T1;
        if (t >= 100) {
            x->launch.valid = 1;
            north_of(gl.lat / MWX_DEG, gl.lon / MWX_DEG, 2.0, &x->launch.lat, &x->launch.lon);
            x->launch.t = L1_T0 + 2;
        }
    }
    /* Detections: a false alarm first, then the object. */
    mwx_rec_meas_t *m = &push(&r, MWX_REC_MEAS)->u.meas;
    m->t = 61.0;
    m = &push(&r, MWX_REC_MEAS)->u.meas;
    m->t = 64.5;
    strcpy(m->truth_object, "L1");
    m = &push(&r, MWX_REC_MEAS)->u.meas;
    m->t = 66.0;
    strcpy(m->truth_object, "L1");
    /* Shares of KR-3: unverified ones do not count; the first verified per nation does. */
    const struct {
        double t;
        const char *to;
        int verified;
    } sh[] = {{70.5, "JP", 0}, {71.2, "JP", 1}, {70.9, "US", 1}, {77.0, "US", 1}};
    for (size_t i = 0; i < sizeof sh / sizeof sh[0]; i++) {
        mwx_rec_share_t *x = &push(&r, MWX_REC_SHARE)->u.share;
        x->t = sh[i].t;
        strcpy(x->from, "KR");
        strcpy(x->to[0], sh[i].to);
        x->n_to = 1;
        strcpy(x->track_id, "KR-3");
        x->verified = sh[i].verified;
    }
    mwx_report_t rep;
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, NULL), 0);
    const mwx_score_launch_t *l = &rep.launches[0];
    assert_float_equal(l->t_launch, 60.0, 1e-12);
    assert_float_equal(l->t_impact, 1060.0, 1e-12);
    assert_float_equal(l->impact_lat_deg, 40.5, 1e-9);
    assert_float_equal(l->impact_lon_deg, 135.5, 1e-9);
    assert_float_equal(l->t_first_detection, 64.5, 1e-12);
    assert_float_equal(l->t_first_track, 70.0, 1e-12);
    assert_float_equal(l->impact_error_km[MWX_SCORE_AT_LAUNCH_PLUS_120], 8.85, 1e-6);
    assert_float_equal(l->impact_error_km[MWX_SCORE_AT_TTG_300], 3.04, 1e-6);
    assert_float_equal(l->impact_error_km[MWX_SCORE_AT_TTG_60], 0.66, 1e-6);
    assert_float_equal(l->launch_point_error_km, 2.0, 1e-6);
    assert_float_equal(l->launch_time_error_s, 2.0, 1e-9);
    assert_int_equal(l->n_shared, 2);
    for (int i = 0; i < 2; i++) {
        if (strcmp(l->shared_to[i], "JP") == 0)
            assert_float_equal(l->t_first_shared[i], 71.2, 1e-12);
        else if (strcmp(l->shared_to[i], "US") == 0)
            assert_float_equal(l->t_first_shared[i], 70.9, 1e-12);
        else
            fail_msg("unexpected nation %s", l->shared_to[i]);
    }
    assert_int_equal(l->n_curve, 0); /* off by default: not in the JSON */
    mwx_report_free(&rep);

    /* The impact-error curve (mwx run's sharing benefit, mwx report's alone/shared chart):
     * every 10 s from launch (60 s) to impact (1060 s), the latest update at or before
     * each time, as the checkpoints: 100 points, (1060 - t_update) * 0.01 km (the last
     * update is at 1050 s). */
    mwx_score_opts_t co;
    mwx_score_opts_default(&co);
    co.curve_step_s = 10;
    assert_int_equal(mwx_score_compute(r.v, r.n, &co, &rep, NULL), 0);
    l = &rep.launches[0];
    assert_int_equal(l->n_curve, 100);
    for (int i = 0; i < l->n_curve; i++) {
        double t = 70 + 10 * i, t_upd = fmin(70 + 7 * floor((t - 70) / 7), 1050);
        assert_float_equal(l->impact_error_curve[i][0], 1060 - t, 1e-9);
        assert_float_equal(l->impact_error_curve[i][1], (1060 - t_upd) * 0.01, 1e-6);
    }
    assert_float_equal(l->impact_error_km[MWX_SCORE_AT_TTG_300], 3.04, 1e-6); /* unchanged */
    mwx_report_free(&rep);

    /* A tracker that starts at 200 s has no prediction at launch + 120 s: null. */
    recs_t late = {0};
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].type != MWX_REC_TRACK || r.v[i].u.track.t >= 200)
            *push(&late, r.v[i].type) = r.v[i];
    assert_int_equal(mwx_score_compute(late.v, late.n, NULL, &rep, NULL), 0);
    assert_true(isnan(rep.launches[0].impact_error_km[MWX_SCORE_AT_LAUNCH_PLUS_120]));
    assert_float_equal(rep.launches[0].impact_error_km[MWX_SCORE_AT_TTG_60], 0.66, 1e-6);
    json_t *j = report_json(&rep);
    json_t *ie =
        json_object_get(json_array_get(json_object_get(j, "launches"), 0), "impact_error_km");
    assert_true(json_is_null(json_object_get(ie, "at_launch_plus_120s")));
    assert_true(json_is_real(json_object_get(ie, "at_ttg_300s")));
    json_decref(j);
    mwx_report_free(&rep);
    free(late.v);

    /* Issue 12: a track that has ended never gives the error. JP-5 follows L1 without a
     * prediction, then says its last word at 757 s (phase impact) with one 1,616 km off:
     * the newest record before t_impact - 300 s, and no estimate of anyone's then. */
    recs_t ended = {0};
    for (size_t i = 0; i < r.n; i++)
        *push(&ended, r.v[i].type) = r.v[i];
    for (double t = 740; t <= 757; t += 1) {
        const mwx_rec_truth_t s_copy = *l1_at(&ended, t), *s = &s_copy;
        mwx_rec_track_t *x = add_track(&ended, "JP", "JP-5", t, s->ecef_m, s->vel_mps, 100);
        if (t == 757) {
            x->phase = MWX_PHASE_IMPACT;
            x->impact.valid = 1;
            north_of(gi.lat / MWX_DEG, gi.lon / MWX_DEG, 1616.0, &x->impact.lat, &x->impact.lon);
            x->impact.t = 757;
        }
    }
    assert_int_equal(mwx_score_compute(ended.v, ended.n, NULL, &rep, NULL), 0);
    assert_float_equal(rep.launches[0].impact_error_km[MWX_SCORE_AT_TTG_300], 3.04, 1e-6);
    mwx_report_free(&rep);
    free(ended.v);

    /* ... nor a track its tracker has dropped silently: JP-7 predicts an impact at 720 s,
     * 1,616 km off, and is last heard at 744 s; KR-3 is not heard between 743 and 760 s.
     * At 760 s JP-7 has been silent 16 s past its own impact: dropped. KR-3's 742 s
     * prediction (3.18 km) is the latest estimate. */
    recs_t dropped = {0};
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].type != MWX_REC_TRACK || r.v[i].u.track.t < 743 || r.v[i].u.track.t > 760)
            *push(&dropped, r.v[i].type) = r.v[i];
    for (double t = 700; t <= 744; t += 1) {
        const mwx_rec_truth_t s_copy = *l1_at(&dropped, t), *s = &s_copy;
        mwx_rec_track_t *x = add_track(&dropped, "JP", "JP-7", t, s->ecef_m, s->vel_mps, 100);
        x->impact.valid = 1;
        north_of(gi.lat / MWX_DEG, gi.lon / MWX_DEG, 1616.0, &x->impact.lat, &x->impact.lon);
        x->impact.t = 720;
    }
    assert_int_equal(mwx_score_compute(dropped.v, dropped.n, NULL, &rep, NULL), 0);
    assert_float_equal(rep.launches[0].impact_error_km[MWX_SCORE_AT_TTG_300], 3.18, 1e-6);
    mwx_report_free(&rep);

    /* ... and a prediction under thrust is none: KR-3 boosting until 200 s has no
     * prediction at launch + 120 s */
    for (size_t i = 0; i < dropped.n; i++)
        if (dropped.v[i].type == MWX_REC_TRACK && dropped.v[i].u.track.t < 200)
            dropped.v[i].u.track.phase = MWX_PHASE_BOOST;
    assert_int_equal(mwx_score_compute(dropped.v, dropped.n, NULL, &rep, NULL), 0);
    assert_true(isnan(rep.launches[0].impact_error_km[MWX_SCORE_AT_LAUNCH_PLUS_120]));
    assert_float_equal(rep.launches[0].impact_error_km[MWX_SCORE_AT_TTG_60], 0.66, 1e-6);
    mwx_report_free(&rep);
    free(dropped.v);
    free(r.v);
}

/* ------------------------------------------------------------------ association */

/* Two objects on one line at 100 m/s towards each other, crossing at t = 50 s; T1 follows
 * A and T2 follows B, 20 m either side; T3 is a false track 100 km away. */
static void crossing(recs_t *r, int swap_labels_at_crossing)
{
    const double base[3] = {MWX_WGS84_A + 100e3, 0, 0};
    for (int i = 0; i <= 100; i++) {
        double t = i, pa[3] = {base[0], -5000 + 100 * t, 0}, pb[3] = {base[0], 5000 - 100 * t, 0};
        double va[3] = {0, 100, 0}, vb[3] = {0, -100, 0};
        add_truth(r, "A", t, pa, va, MWX_PHASE_BALLISTIC);
        add_truth(r, "B", t, pb, vb, MWX_PHASE_BALLISTIC);
        double q1[3] = {pa[0], pa[1], 20}, q2[3] = {pb[0], pb[1], -20};
        double q3[3] = {base[0], 0, 100e3}, v3[3] = {0, 0, 0};
        int sw = swap_labels_at_crossing && t > 50;
        add_track(r, "JP", sw ? "T2" : "T1", t, q1, va, 20);
        add_track(r, "JP", sw ? "T1" : "T2", t, q2, vb, 20);
        add_track(r, "JP", "T3", t, q3, v3, 20);
    }
}

static void test_association_crossing(void **state)
{
    recs_t r = {0};
    crossing(&r, 0);
    mwx_report_t rep;
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, NULL), 0);
    const mwx_score_tracking_t *t = &rep.tracking;
    /* Kept apart through the crossing: every error is 20 m. */
    assert_float_equal(t->pos_rmse_m, 20.0, 1e-6);
    assert_float_equal(t->vel_rmse_mps, 0.0, 1e-9);
    assert_float_equal(t->nees, 1.0, 1e-9);
    assert_int_equal(t->n_tracks, 3);
    assert_int_equal(t->n_false_tracks, 1);
    assert_int_equal(t->n_records, 202);
    /* Each step: two pairs 20 m apart and one false track at the 10 km cut-off. */
    assert_float_equal(t->ospa_m, sqrt((400 + 400 + 1e8) / 3.0), 1e-6);
    assert_float_equal(t->gospa_m, sqrt(800 + 1e8 / 2.0), 1e-6);
    assert_int_equal(t->n_steps, 101);
    assert_int_equal(rep.n_launches, 2);
    assert_int_equal(rep.launches[0].n_tracks, 1);
    assert_int_equal(rep.launches[1].n_tracks, 1);
    mwx_report_free(&rep);

    /* With measurements, OSPA counts only the objects some sensor saw in the last 10 s:
     * A is measured from 0 to 40 s, B never. Up to 50 s the set is {A} (T1 20 m away,
     * T2 and T3 false); after that it is empty (three false tracks). The in-flight figure
     * does not change. */
    for (int i = 0; i <= 40; i++) {
        mwx_rec_meas_t *m = &push(&r, MWX_REC_MEAS)->u.meas;
        m->t = i;
        strcpy(m->truth_object, "A");
    }
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, NULL), 0);
    double o1 = sqrt((400 + 2e8) / 3.0), g1 = sqrt(400 + 1e8), o2 = 1e4, g2 = sqrt(1.5e8);
    assert_float_equal(rep.tracking.ospa_m, (51 * o1 + 50 * o2) / 101, 1e-6);
    assert_float_equal(rep.tracking.gospa_m, (51 * g1 + 50 * g2) / 101, 1e-6);
    assert_float_equal(rep.tracking.ospa_in_flight_m, sqrt((400 + 400 + 1e8) / 3.0), 1e-6);
    assert_float_equal(rep.tracking.gospa_in_flight_m, sqrt(800 + 1e8 / 2.0), 1e-6);
    assert_int_equal(rep.tracking.n_steps, 101);
    assert_float_equal(rep.tracking.pos_rmse_m, 20.0, 1e-6); /* association unchanged */
    assert_int_equal(rep.tracking.n_false_tracks, 1);
    mwx_report_free(&rep);
    r.n -= 41; /* drop the measurements again (they were appended last) */

    /* The node's fused picture ("JP-F1" on A, 20 m the other side) is scored apart from
     * its own tracks: it competes with no one, belongs to A, and its steps count on
     * their own (OSPA there: one pair 20 m apart, B missed). */
    for (int i = 0; i <= 100; i++) {
        double p[3] = {MWX_WGS84_A + 100e3, -5000 + 100.0 * i, -20}, v[3] = {0, 100, 0};
        add_track(&r, "JP", "JP-F1", i, p, v, 20);
    }
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, NULL), 0);
    assert_int_equal(rep.tracking.n_tracks, 4);
    assert_int_equal(rep.tracking.n_false_tracks, 1);
    assert_int_equal(rep.launches[0].n_tracks, 2);
    assert_int_equal(rep.tracking.n_steps, 202);
    assert_float_equal(rep.tracking.pos_rmse_m, 20.0, 1e-6);
    /* the fused picture's OSPA: one pair 20 m apart and B missed, at every step */
    double own = sqrt((400 + 400 + 1e8) / 3.0), fused = sqrt((400 + 1e8) / 2.0);
    assert_float_equal(rep.tracking.ospa_m, (own + fused) / 2, 1e-6);
    mwx_report_free(&rep);
    free(r.v);

    /* A tracker that swaps its labels at the crossing: each track spends 51 steps on one
     * object and 50 on the other, so it belongs to the first; the second half of its life
     * is then 10 km off on average, which the RMSE must show. */
    recs_t s = {0};
    crossing(&s, 1);
    assert_int_equal(mwx_score_compute(s.v, s.n, NULL, &rep, NULL), 0);
    assert_true(rep.tracking.pos_rmse_m > 3000);
    /* OSPA does not care about labels. */
    assert_float_equal(rep.tracking.ospa_m, sqrt((400 + 400 + 1e8) / 3.0), 1e-6);
    mwx_report_free(&rep);
    free(s.v);
}

/* ------------------------------------------------------------------ report, regions */

typedef struct hook_seen {
    int calls;
    int n_alerts[4];
    char launch[4][MWX_ID_LEN];
} hook_seen_t;

/* A stand-in for the warning stage: region "JP-01" is threatened by A, nothing by B; a
 * region is warned at the first alert naming it. */
static int fake_regions(void *ctx, const mwx_score_launch_t *l, const mwx_rec_truth_t *s, size_t ns,
                        const mwx_rec_alert_t *al, size_t na, mwx_score_region_t *out, int cap,
                        int *n_out, mwx_err_t *err)
{
    hook_seen_t *seen = ctx;
    if (seen->calls < 4) {
        seen->n_alerts[seen->calls] = (int)na;
        strcpy(seen->launch[seen->calls], l->id);
    }
    seen->calls++;
    int n = 0;
    if (strcmp(l->id, "A") == 0) {
        strcpy(out[n].id, "JP-01");
        out[n].threatened = 1;
        out[n].t_first_alert = NAN;
        out[n++].lead_time_s = NAN;
    }
    for (size_t i = 0; i < na; i++)
        for (int j = 0; j < al[i].n_regions; j++) {
            int k = 0;
            while (k < n && strcmp(out[k].id, al[i].regions[j]) != 0)
                k++;
            if (k == n && n < cap) {
                strcpy(out[n].id, al[i].regions[j]);
                out[n].threatened = 0;
                out[n].t_first_alert = NAN;
                n++;
            }
            if (k < n && !(out[k].t_first_alert <= al[i].t)) {
                out[k].t_first_alert = al[i].t;
                out[k].lead_time_s = 100.0 - al[i].t;
            }
        }
    *n_out = n;
    return 0;
}

static void add_alert(recs_t *r, const char *node, const char *ident, double t, const char *region)
{
    mwx_rec_alert_t *a = &push(r, MWX_REC_ALERT)->u.alert;
    a->t = t;
    strcpy(a->node, node);
    strcpy(a->identifier, ident);
    a->msg_type = MWX_MSG_ALERT;
    a->status = MWX_STATUS_EXERCISE;
    strcpy(a->regions[0], region);
    a->n_regions = 1;
    snprintf(a->file, sizeof a->file, "alerts/%s.cap.xml", ident);
}

static void test_report_json_and_regions(void **state)
{
    recs_t r = {0};
    crossing(&r, 0);
    add_alert(&r, "JP", "mwx.JP.T1.impact.1", 30.0, "JP-01");      /* T1 -> A */
    add_alert(&r, "JP", "mwx.JP.run7.T2.impact.1", 40.0, "JP-02"); /* T2 -> B */
    add_alert(&r, "JP", "mwx.JP.T3.impact.1", 45.0, "JP-03");      /* false track: neither */

    /* Without the hook: the region fields are empty arrays. */
    mwx_report_t rep;
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, NULL), 0);
    json_t *j = report_json(&rep);
    mwx_report_free(&rep);
    json_t *ls = json_object_get(j, "launches");
    assert_true(json_is_array(ls));
    assert_int_equal(json_array_size(ls), 2);
    static const char *const launch_keys[] = {"id",
                                              "t_launch",
                                              "t_impact",
                                              "impact",
                                              "t_first_detection",
                                              "t_first_track",
                                              "t_first_shared",
                                              "impact_error_km",
                                              "regions",
                                              "missed_regions",
                                              "false_regions",
                                              "launch_point_error_km",
                                              "launch_time_error_s",
                                              "n_tracks",
                                              "objects",
                                              "t_first_prediction",
                                              NULL};
    for (size_t i = 0; i < 2; i++) {
        json_t *l = json_array_get(ls, i);
        for (int k = 0; launch_keys[k]; k++)
            assert_non_null(json_object_get(l, launch_keys[k]));
        assert_int_equal(json_object_size(l), 16);
        assert_true(json_is_string(json_object_get(l, "id")));
        assert_true(json_is_real(json_object_get(l, "t_launch")));
        /* Objects that never hit the ground: no impact, so the impact fields are null. */
        assert_true(json_is_null(json_object_get(l, "t_impact")));
        assert_true(json_is_null(json_object_get(l, "impact")));
        assert_true(json_is_null(json_object_get(l, "t_first_detection")));
        assert_true(json_is_object(json_object_get(l, "t_first_shared")));
        json_t *ie = json_object_get(l, "impact_error_km");
        assert_int_equal(json_object_size(ie), 3);
        assert_true(json_is_null(json_object_get(ie, "at_launch_plus_120s")));
        assert_true(json_is_null(json_object_get(ie, "at_ttg_300s")));
        assert_true(json_is_null(json_object_get(ie, "at_ttg_60s")));
        assert_int_equal(json_array_size(json_object_get(l, "regions")), 0);
        assert_true(json_is_array(json_object_get(l, "missed_regions")));
        assert_true(json_is_array(json_object_get(l, "false_regions")));
    }
    json_t *tk = json_object_get(j, "tracking");
    static const char *const tk_keys[] = {
        "pos_rmse_m",       "vel_rmse_mps",      "nees", "ospa_m", "gospa_m",
        "ospa_in_flight_m", "gospa_in_flight_m", NULL};
    for (int k = 0; tk_keys[k]; k++)
        assert_true(json_is_number(json_object_get(tk, tk_keys[k])));
    assert_float_equal(json_number_value(json_object_get(tk, "pos_rmse_m")), 20.0, 1e-3);
    /* one picture (JP's own tracks) with the same figures */
    json_t *pics = json_object_get(tk, "pictures");
    assert_int_equal(json_array_size(pics), 1);
    json_t *pic = json_array_get(pics, 0);
    assert_string_equal(json_string_value(json_object_get(pic, "node")), "JP");
    assert_true(json_is_false(json_object_get(pic, "fused")));
    assert_float_equal(json_number_value(json_object_get(pic, "ospa_m")),
                       json_number_value(json_object_get(tk, "ospa_m")), 1e-9);
    assert_int_equal(json_integer_value(json_object_get(pic, "n_false_tracks")), 1);
    json_decref(j);

    /* With the hook: A's alerts are those of T1 only, B's those of T2; the false track's
     * alert names no launch's track and so goes to neither. */
    hook_seen_t seen = {0};
    mwx_score_opts_t o;
    mwx_score_opts_default(&o);
    o.regions = fake_regions;
    o.regions_ctx = &seen;
    assert_int_equal(mwx_score_compute(r.v, r.n, &o, &rep, NULL), 0);
    assert_int_equal(seen.calls, 2);
    assert_string_equal(seen.launch[0], "A");
    assert_int_equal(seen.n_alerts[0], 1);
    assert_int_equal(seen.n_alerts[1], 1);
    j = report_json(&rep);
    mwx_report_free(&rep);
    json_t *a = json_array_get(json_object_get(j, "launches"), 0);
    json_t *regs = json_object_get(a, "regions");
    assert_int_equal(json_array_size(regs), 1);
    json_t *g = json_array_get(regs, 0);
    assert_string_equal(json_string_value(json_object_get(g, "id")), "JP-01");
    assert_true(json_is_true(json_object_get(g, "threatened")));
    assert_float_equal(json_number_value(json_object_get(g, "t_first_alert")), 30.0, 1e-9);
    assert_float_equal(json_number_value(json_object_get(g, "lead_time_s")), 70.0, 1e-9);
    assert_int_equal(json_array_size(json_object_get(a, "missed_regions")), 0);
    assert_int_equal(json_array_size(json_object_get(a, "false_regions")), 0);
    json_t *b = json_array_get(json_object_get(j, "launches"), 1);
    assert_int_equal(json_array_size(json_object_get(b, "false_regions")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "false_regions"), 0)),
                        "JP-02");
    json_decref(j);
    free(r.v);
}

/* ------------------------------------------------------------------ launches of several objects */

#include "mwx/warn.h"

/* Boxes on the equator-side test ground: a region is [lon0, lon0 + 1] x [lat0, lat0 + 1]. */
static const char STAGE_BOXES[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XS-1\",\"name\":\"S\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XV-1\",\"name\":\"V\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[14,10],[15,10],[15,11],[14,11],[14,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XF-1\",\"name\":\"F\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[20,10],[21,10],[21,11],[20,11],[20,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XN-1\",\"name\":\"N\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[14,20],[15,20],[15,21],[14,21],[14,20]]]}}"
    "]}";

typedef void (*path_fn)(double t, mwx_geo_t *g);

/* Truth of one object of a launch, every second from t0 to t1, velocities by central
 * differences; the last sample in phase last. */
static void add_path(recs_t *r, const char *obj, const char *launch, double t0, double t1,
                     path_fn f, mwx_phase_t last)
{
    mwx_earth_t e = mwx_earth_wgs84();
    for (double t = t0; t <= t1 + 1e-9; t += 1.0) {
        mwx_geo_t g, ga, gb;
        double p[3], a[3], b[3], v[3];
        f(t, &g);
        f(t - 0.01, &ga);
        f(t + 0.01, &gb);
        mwx_geo_to_ecef(&e, &g, p);
        mwx_geo_to_ecef(&e, &ga, a);
        mwx_geo_to_ecef(&e, &gb, b);
        for (int k = 0; k < 3; k++)
            v[k] = (b[k] - a[k]) / 0.02;
        add_truth(r, obj, t, p, v, t >= t1 - 1e-9 ? last : MWX_PHASE_BALLISTIC);
        strcpy(r->v[r->n - 1].u.truth.launch, launch);
    }
}

/* The track of node/id following f exactly from t0 to t1 (every second), each record
 * predicting the impact at (lat, lon). */
static void add_follow(recs_t *r, const char *node, const char *id, double t0, double t1, path_fn f,
                       double lat, double lon)
{
    mwx_earth_t e = mwx_earth_wgs84();
    for (double t = t0; t <= t1 + 1e-9; t += 1.0) {
        mwx_geo_t g;
        double p[3], v[3] = {0, 0, 0};
        f(t, &g);
        mwx_geo_to_ecef(&e, &g, p);
        mwx_rec_track_t *x = add_track(r, node, id, t, p, v, 100.0);
        x->impact.valid = 1;
        x->impact.lat = lat;
        x->impact.lon = lon;
        x->impact.t = t + 100.0;
        x->impact.semi_major_km = x->impact.semi_minor_km = 5.0;
    }
}

static void add_alert_k(recs_t *r, const char *ident, double t, const char *region,
                        mwx_alert_kind_t kind)
{
    add_alert(r, "KR", ident, t, region);
    r->v[r->n - 1].u.alert.kind = kind;
}

static void add_meas(recs_t *r, const char *obj, double t)
{
    mwx_rec_meas_t *m = &push(r, MWX_REC_MEAS)->u.meas;
    m->t = t;
    strcpy(m->sensor, "KR-R1");
    strcpy(m->nation, "KR");
    strcpy(m->truth_object, obj);
}

/* L9: the vehicle flies (10.5 N, 8 E) -> (10.5 N, 14.5 E), t 100 -> 700, 300 km apogee;
 * its spent stage L9-S1 separates at t 160 and falls on (10.5 N, 10.5 E) at t 400. */
static void l9_vehicle(double t, mwx_geo_t *g)
{
    double s = (t - 100.0) / 600.0;
    g->lat = 10.5 * MWX_DEG;
    g->lon = (8.0 + 6.5 * s) * MWX_DEG;
    g->alt = 4 * 300e3 * s * (1 - s);
}
static void l9_stage(double t, mwx_geo_t *g)
{
    mwx_geo_t sep;
    l9_vehicle(160.0, &sep);
    double s = (t - 160.0) / 240.0;
    g->lat = 10.5 * MWX_DEG;
    g->lon = sep.lon + (10.5 * MWX_DEG - sep.lon) * s;
    g->alt = sep.alt * (1 - s * s);
}

/* The length of a short meridian arc at latitude lat (WGS-84, closed form of the
 * meridian radius of curvature): the independent truth of a northward offset. */
static double meridian_km(double lat_deg, double dlat_deg)
{
    double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f);
    double sl = sin((lat_deg + dlat_deg / 2) * MWX_DEG);
    double m = a * (1 - e2) / pow(1 - e2 * sl * sl, 1.5);
    return m * dlat_deg * MWX_DEG / 1000.0;
}

static const mwx_score_region_t *region_of(const mwx_score_launch_t *l, const char *id)
{
    for (int i = 0; i < l->n_regions; i++)
        if (strcmp(l->regions[i].id, id) == 0)
            return &l->regions[i];
    return NULL;
}

static void test_staged_launch(void **state)
{
    (void)state;
    recs_t r = {0};
    add_path(&r, "L9", "L9", 100.0, 700.0, l9_vehicle, MWX_PHASE_IMPACT);
    add_path(&r, "L9-S1", "L9", 160.0, 400.0, l9_stage, MWX_PHASE_IMPACT);
    add_meas(&r, "L9", 130.0);
    add_meas(&r, "L9-S1", 165.0);
    /* the vehicle's track predicts its impact 0.05 deg north, the stage's 0.03 deg north */
    add_follow(&r, "KR", "KR-1", 140.0, 690.0, l9_vehicle, 10.55, 14.5);
    add_follow(&r, "KR", "KR-2", 170.0, 390.0, l9_stage, 10.53, 10.5);
    add_alert_k(&r, "mwx.KR.KR-2.drop_zone.1", 200.0, "XS-1", MWX_ALERT_DROP_ZONE);
    add_alert_k(&r, "mwx.KR.KR-1.impact.2", 300.0, "XV-1", MWX_ALERT_IMPACT);
    add_alert_k(&r, "mwx.KR.KR-1.impact.3", 310.0, "XF-1", MWX_ALERT_IMPACT);

    mwx_regions_t *regs = NULL;
    mwx_err_t err = {0};
    assert_int_equal(
        mwx_regions_load_string(STAGE_BOXES, strlen(STAGE_BOXES), "boxes", &regs, &err), 0);
    mwx_score_opts_t o;
    mwx_score_opts_default(&o);
    o.regions = mwx_score_warn_regions;
    o.regions_ctx = regs;
    mwx_report_t rep;
    assert_int_equal(mwx_score_compute(r.v, r.n, &o, &rep, &err), 0);
    /* one launch: the stage is an object of L9, not a launch of its own */
    assert_int_equal(rep.n_launches, 1);
    const mwx_score_launch_t *l = &rep.launches[0];
    assert_string_equal(l->id, "L9");
    assert_int_equal(l->n_objects, 2);
    assert_string_equal(l->objects[0].id, "L9");
    assert_string_equal(l->objects[1].id, "L9-S1");
    assert_float_equal(l->t_impact, 700.0, 1e-9);
    assert_float_equal(l->objects[1].t_impact, 400.0, 1e-9);
    /* the stage's entry is its truth impact point */
    assert_float_equal(l->objects[1].impact_lat_deg, 10.5, 1e-7);
    assert_float_equal(l->objects[1].impact_lon_deg, 10.5, 1e-7);
    assert_float_equal(l->t_first_detection, 130.0, 1e-9);
    assert_float_equal(l->objects[1].t_first_detection, 165.0, 1e-9);
    assert_int_equal(l->n_tracks, 2);
    assert_float_equal(l->t_first_prediction, 140.0, 1e-9); /* KR-1's first record */
    /* each object's impact error from its own track, against the meridian arc */
    assert_float_equal(l->objects[1].impact_error_km[MWX_SCORE_AT_TTG_60], meridian_km(10.5, 0.03),
                       1e-3);
    assert_float_equal(l->impact_error_km[MWX_SCORE_AT_TTG_60], meridian_km(10.5, 0.05), 1e-3);
    assert_float_equal(l->objects[0].impact_error_km[MWX_SCORE_AT_TTG_300], meridian_km(10.5, 0.05),
                       1e-3);
    /* regions of both objects: the stage's drop zone warned by the drop-zone alert */
    assert_int_equal(l->n_regions, 3);
    const mwx_score_region_t *g = region_of(l, "XS-1");
    assert_non_null(g);
    assert_true(g->threatened);
    assert_int_equal(g->kind, MWX_ALERT_DROP_ZONE);
    assert_float_equal(g->t_event, 400.0, 1e-9);
    assert_float_equal(g->lead_time_s, 200.0, 1e-9);
    assert_string_equal(g->object, "L9-S1");
    g = region_of(l, "XV-1");
    assert_non_null(g);
    assert_true(g->threatened);
    assert_int_equal(g->kind, MWX_ALERT_IMPACT);
    assert_float_equal(g->lead_time_s, 400.0, 1e-9);
    g = region_of(l, "XF-1");
    assert_non_null(g);
    assert_false(g->threatened);
    assert_float_equal(g->t_first_alert, 310.0, 1e-9);

    json_t *j = report_json(&rep);
    json_t *lj = json_array_get(json_object_get(j, "launches"), 0);
    json_t *objs = json_object_get(lj, "objects");
    assert_int_equal(json_array_size(objs), 2);
    json_t *s1 = json_array_get(objs, 1);
    assert_string_equal(json_string_value(json_object_get(s1, "id")), "L9-S1");
    assert_float_equal(json_number_value(json_object_get(s1, "t_impact")), 400.0, 1e-9);
    assert_float_equal(json_number_value(json_object_get(json_object_get(s1, "impact"), "lat")),
                       10.5, 1e-6);
    assert_float_equal(json_number_value(json_object_get(json_object_get(s1, "impact"), "lon")),
                       10.5, 1e-6);
    assert_string_equal(json_string_value(json_object_get(s1, "last_phase")), "impact");
    json_t *rg = json_object_get(lj, "regions");
    int seen_dz = 0;
    for (size_t i = 0; i < json_array_size(rg); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(rg, i), "kind")),
                   "drop_zone") == 0)
            seen_dz++;
    assert_int_equal(seen_dz, 1);
    assert_int_equal(json_array_size(json_object_get(lj, "missed_regions")), 0);
    assert_int_equal(json_array_size(json_object_get(lj, "false_regions")), 1);
    json_decref(j);
    mwx_report_free(&rep);
    mwx_regions_free(regs);
    free(r.v);
}

/* SL: a space launch from (10.5 N, 8 E) at t 0, climbing to 400 km by 12 E at t 300, then
 * in orbit eastwards to 22 E at t 1000 (last phase orbit); its stage SL-S1 separates at
 * t 100 and falls on (10.5 N, 10.5 E) at t 300. */
static void sl_vehicle(double t, mwx_geo_t *g)
{
    g->lat = 10.5 * MWX_DEG;
    if (t <= 300.0) {
        g->lon = (8.0 + 4.0 * t / 300.0) * MWX_DEG;
        g->alt = 400e3 * sin(MWX_PI / 2 * t / 300.0);
    } else {
        g->lon = (12.0 + 10.0 * (t - 300.0) / 700.0) * MWX_DEG;
        g->alt = 400e3;
    }
}
static void sl_stage(double t, mwx_geo_t *g)
{
    mwx_geo_t sep;
    sl_vehicle(100.0, &sep);
    double s = (t - 100.0) / 200.0;
    g->lat = 10.5 * MWX_DEG;
    g->lon = sep.lon + (10.5 * MWX_DEG - sep.lon) * s;
    g->alt = sep.alt * (1 - s * s);
}

static void test_space_launch_orbit_part(void **state)
{
    (void)state;
    recs_t r = {0};
    add_path(&r, "SL", "SL", 0.0, 1000.0, sl_vehicle, MWX_PHASE_ORBIT);
    add_path(&r, "SL-S1", "SL", 100.0, 300.0, sl_stage, MWX_PHASE_IMPACT);
    add_meas(&r, "SL", 20.0);
    add_follow(&r, "KR", "KR-1", 30.0, 1000.0, sl_vehicle, 20.5, 14.5);
    /* an overflight warning in time, and an impact warning for the part in orbit */
    add_alert_k(&r, "mwx.KR.KR-1.overflight.1", 400.0, "XV-1", MWX_ALERT_OVERFLIGHT);
    add_alert_k(&r, "mwx.KR.KR-1.impact.2", 420.0, "XN-1", MWX_ALERT_IMPACT);

    mwx_regions_t *regs = NULL;
    mwx_err_t err = {0};
    assert_int_equal(
        mwx_regions_load_string(STAGE_BOXES, strlen(STAGE_BOXES), "boxes", &regs, &err), 0);
    mwx_score_opts_t o;
    mwx_score_opts_default(&o);
    o.regions = mwx_score_warn_regions;
    o.regions_ctx = regs;
    mwx_report_t rep;
    assert_int_equal(mwx_score_compute(r.v, r.n, &o, &rep, &err), 0);
    assert_int_equal(rep.n_launches, 1);
    const mwx_score_launch_t *l = &rep.launches[0];
    assert_int_equal(l->n_objects, 2);
    /* the part in orbit: no impact, and one impact warning against it */
    assert_true(isnan(l->objects[0].t_impact));
    assert_true(isnan(l->objects[0].impact_lat_deg));
    assert_int_equal(l->objects[0].last_phase, MWX_PHASE_ORBIT);
    assert_int_equal(l->objects[0].n_impact_warnings, 1);
    assert_true(isnan(l->t_impact));
    assert_float_equal(l->objects[1].t_impact, 300.0, 1e-9);
    assert_float_equal(l->objects[1].impact_lon_deg, 10.5, 1e-7);
    assert_int_equal(l->objects[1].n_impact_warnings, 0);
    /* XS-1 is overflown by the climbing vehicle and struck by the stage: a drop zone */
    const mwx_score_region_t *g = region_of(l, "XS-1");
    assert_non_null(g);
    assert_true(g->threatened);
    assert_int_equal(g->kind, MWX_ALERT_DROP_ZONE);
    assert_true(isnan(g->t_first_alert));
    /* XV-1 overflown at 400 km when the sub-point crosses 14.5 E: t = 300 + 700 * 2.5 / 10 */
    g = region_of(l, "XV-1");
    assert_non_null(g);
    assert_true(g->threatened);
    assert_int_equal(g->kind, MWX_ALERT_OVERFLIGHT);
    assert_float_equal(g->t_event, 475.0, 1e-9);
    assert_float_equal(g->lead_time_s, 75.0, 1e-9);
    /* XF-1 overflown at t 300 + 700 * 8.5 / 10 = 895, never warned */
    g = region_of(l, "XF-1");
    assert_non_null(g);
    assert_int_equal(g->kind, MWX_ALERT_OVERFLIGHT);
    assert_float_equal(g->t_event, 895.0, 1e-9);
    assert_true(isnan(g->t_first_alert));
    /* XN-1, never under the path, named by the impact warning: false */
    g = region_of(l, "XN-1");
    assert_non_null(g);
    assert_false(g->threatened);
    assert_float_equal(g->t_first_alert, 420.0, 1e-9);
    assert_int_equal(l->n_regions, 4);

    json_t *j = report_json(&rep);
    json_t *lj = json_array_get(json_object_get(j, "launches"), 0);
    json_t *o0 = json_array_get(json_object_get(lj, "objects"), 0);
    assert_string_equal(json_string_value(json_object_get(o0, "id")), "SL");
    assert_true(json_is_null(json_object_get(o0, "t_impact")));
    assert_true(json_is_null(json_object_get(o0, "impact")));
    assert_string_equal(json_string_value(json_object_get(o0, "last_phase")), "orbit");
    assert_int_equal(json_integer_value(json_object_get(o0, "impact_warnings")), 1);
    assert_int_equal(json_array_size(json_object_get(lj, "missed_regions")), 2);
    assert_int_equal(json_array_size(json_object_get(lj, "false_regions")), 1);
    json_decref(j);
    mwx_report_free(&rep);
    mwx_regions_free(regs);
    free(r.v);
}

static void test_errors(void **state)
{
    recs_t r = {0};
    double p[3] = {MWX_WGS84_A, 0, 0}, v[3] = {0, 0, 0};
    add_track(&r, "JP", "T1", 1.0, p, v, 10);
    mwx_report_t rep;
    mwx_err_t err;
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "truth"));
    mwx_report_free(&rep);
    /* Truth but no tracks: a report of nulls, not a failure. */
    add_truth(&r, "L9", 0.0, p, v, MWX_PHASE_BOOST);
    add_truth(&r, "L9", 5.0, p, v, MWX_PHASE_IMPACT);
    r.v[0].u.track.confirmed = 0; /* tentative tracks are not scored */
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, &err), 0);
    assert_true(isnan(rep.tracking.pos_rmse_m));
    assert_true(isnan(rep.tracking.ospa_m));
    assert_int_equal(rep.tracking.n_tracks, 0);
    assert_true(isnan(rep.launches[0].t_first_track));
    assert_float_equal(rep.launches[0].t_impact, 5.0, 0);
    json_t *j = report_json(&rep);
    assert_true(json_is_null(json_object_get(json_object_get(j, "tracking"), "nees")));
    json_decref(j);
    mwx_report_free(&rep);
    /* Non-finite numbers are left out, never scored (and never hang the assignment). */
    double bad[3] = {NAN, 0, 0}, inf[3] = {INFINITY, 0, 0};
    add_truth(&r, "L9", 2.0, bad, v, MWX_PHASE_BALLISTIC);
    add_track(&r, "JP", "T2", 2.0, bad, v, 10);
    add_track(&r, "JP", "T2", 3.0, p, inf, 10);
    add_track(&r, "JP", "T3", 3.0, p, v, 10);
    add_track(&r, "JP", "T3", 5.0, p, v, 10); /* on the grid (truth times 0 and 5 s) */
    assert_int_equal(mwx_score_compute(r.v, r.n, NULL, &rep, &err), 0);
    assert_int_equal(rep.tracking.n_tracks, 1);
    assert_int_equal(rep.tracking.n_false_tracks, 0);
    assert_int_equal(rep.tracking.n_records, 2);
    assert_float_equal(rep.tracking.pos_rmse_m, 0.0, 1e-9);
    mwx_report_free(&rep);
    mwx_score_opts_t o;
    mwx_score_opts_default(&o);
    o.gospa_alpha = 3;
    assert_int_equal(mwx_score_compute(r.v, r.n, &o, &rep, &err), MWX_EINVAL);
    mwx_report_free(&rep);
    free(r.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assign),
        cmocka_unit_test(test_ospa_gospa_hand),
        cmocka_unit_test(test_truth_hermite_exact_for_quadratics),
        cmocka_unit_test(test_fixed_offset),
        cmocka_unit_test(test_gaussian_nees),
        cmocka_unit_test(test_impact_error_times),
        cmocka_unit_test(test_association_crossing),
        cmocka_unit_test(test_report_json_and_regions),
        cmocka_unit_test(test_staged_launch),
        cmocka_unit_test(test_space_launch_orbit_part),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
