/* The tracker of one node: scans in, confirmed tracks out.
 *
 * Per scan (the measurements of one sensor at one t):
 *   1. every active track's position is extrapolated linearly to t and hashed into a
 *      grid of cubes (grid_cell_m) in ECEF; tracks too uncertain for a cell go to an
 *      "oversize" list that every measurement checks;
 *   2. each radar measurement looks at the 27 cells around its own ECEF point (IR lines
 *      of sight check every track: they are few, boost-phase only); candidate tracks are
 *      predicted to t (once per scan) and gated on the Mahalanobis distance of the
 *      innovation (gate_chi2);
 *   3. gated pairs are split into clusters (union-find over shared tracks); each cluster
 *      is solved by global nearest neighbour (Hungarian on cost NIS + ln det S, with a
 *      "no track" column per measurement), so the cost stays near-linear in N;
 *   4. assigned tracks get an IMM update (with the measured point when the radar model
 *      linearised at the prediction would misplace it); unassigned radar measurements
 *      start tentative tracks (position from range/az/el, velocity 0 +- 3 km/s);
 *      unassigned IR lines of sight wait (ir_pair_dt_s) for a line of sight from another
 *      satellite and the pair is triangulated into a tentative track;
 *   5. tentative tracks are confirmed at confirm_hits hits (one a radar started by radar
 *      hits only: apply_update) and dropped after more than
 *      confirm_window - confirm_hits misses of the sensor that started them, or
 *      tentative_timeout_s without an update (checked before step 2); confirmed
 *      tracks are dropped after delete_timeout_s without an update (with a last record
 *      in phase "impact" when their predicted impact time has passed).
 * Updated confirmed tracks refresh their impact prediction and launch estimate (at most
 * every impact_refresh_s; the launch fitted to samples of the early flight) and are
 * reported (at most every report_interval_s).
 *
 * All memory is allocated in mwx_tracker_create. truth_object is never read. */
#include "tracker_int.h"
#include "dyn_internal.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mwx_tracker_cfg_default(mwx_tracker_cfg_t *c, const char *node, int capacity)
{
    mwx_earth_t e = mwx_earth_wgs84();
    memset(c, 0, sizeof(*c));
    mwx_strlcpy(c->node, node ? node : "ALL", sizeof(c->node));
    c->capacity = capacity > 0 ? capacity : 256;
    c->max_scan_meas = c->capacity + 256;
    mwx_dyn_params_default(&c->dyn, &e, 1, 1, 1);
    c->filter = NULL;
    c->gate_chi2 = 16.27; /* 3 dof, 99.9 % */
    c->confirm_hits = 3;
    c->confirm_window = 4;
    c->tentative_timeout_s = 5.0;
    c->delete_timeout_s = 15.0;
    c->impact_refresh_s = 1.0; /* a warning needs no fresher prediction; ~0.3 ms each */
    c->report_interval_s = 0.0;
    c->ir_pair_dt_s = 0.6;
    c->ir_pair_miss_m = 20e3;
    c->grid_cell_m = 25e3;
    c->use_imm = 1;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 64;
    while (p < n)
        p <<= 1;
    return p;
}

void mwx_tracker_destroy(mwx_tracker_t *t)
{
    if (!t)
        return;
    free(t->trk);
    free(t->free_list);
    free(t->scan);
    free(t->meas_model);
    free(t->meas_pos);
    free(t->meas_ok);
    free(t->meas_assigned);
    free(t->cluster_parent);
    free(t->cluster_next);
    free(t->cluster_row);
    free(t->meas_pair_first);
    free(t->meas_pair_count);
    free(t->meas_best_confirmed_nis);
    free(t->meas_best_confirmed_k);
    free(t->pairs);
    free(t->grid_key);
    free(t->grid_head);
    free(t->grid_stamp);
    free(t->oversize);
    free(t->assign_work);
    free(t->hist);
    free(t->hist_free);
    free(t);
}

int mwx_tracker_create(const mwx_tracker_cfg_t *cfg, mwx_tracker_t **out, mwx_err_t *err)
{
    mwx_tracker_t *t;
    size_t cap, ms;
    *out = NULL;
    if (!cfg || cfg->capacity < 1 || cfg->capacity > 1000000 || cfg->max_scan_meas < 1 ||
        cfg->confirm_hits < 1 || cfg->confirm_window < cfg->confirm_hits ||
        !(cfg->gate_chi2 > 0.0) || !(cfg->grid_cell_m > 0.0))
        return mwx_err_set(err, MWX_EINVAL, "tracker: invalid configuration");
    t = calloc(1, sizeof(*t));
    if (!t)
        return mwx_err_set(err, MWX_ENOMEM, "tracker: out of memory");
    t->cfg = *cfg;
    cap = (size_t)cfg->capacity;
    ms = (size_t)cfg->max_scan_meas;
    t->cap = cfg->capacity;
    t->next_id = cfg->first_id > 0 ? cfg->first_id : 0;
    t->filter = cfg->filter ? cfg->filter : mwx_filter_ekf();
    mwx_motion_boost(&t->models[0], &cfg->dyn);
    mwx_motion_ballistic(&t->models[1], &cfg->dyn);
    {
        /* the ballistic model with the white acceleration of a lifting body */
        mwx_dyn_params_t man = cfg->dyn;
        man.q_acc = MAN_Q_ACC;
        mwx_motion_ballistic(&t->models[2], &man);
        t->models[2].name = "manoeuvre";
    }
    for (int i = 0; i < 3; i++)
        t->model_ptr[i] = &t->models[i];
    t->trk = calloc(cap, sizeof(trk_t));
    t->free_list = calloc(cap, sizeof(int));
    t->scan = calloc(ms, sizeof(mwx_rec_meas_t));
    t->meas_model = calloc(ms, sizeof(mwx_meas_model_t));
    t->meas_pos = calloc(ms, sizeof(*t->meas_pos));
    t->meas_ok = calloc(ms, sizeof(int));
    t->meas_assigned = calloc(ms, sizeof(int));
    t->cluster_parent = calloc(ms, sizeof(int));
    t->cluster_next = calloc(ms, sizeof(int));
    t->cluster_row = calloc(ms, sizeof(int));
    t->meas_pair_first = calloc(ms, sizeof(int));
    t->meas_pair_count = calloc(ms, sizeof(int));
    t->meas_best_confirmed_nis = calloc(ms, sizeof(double));
    t->meas_best_confirmed_k = calloc(ms, sizeof(int));
    t->max_pairs = (int)(ms * PAIRS_PER_MEAS + PAIRS_SLACK);
    t->pairs = calloc((size_t)t->max_pairs, sizeof(pair_t));
    t->hsize = (int)pow2_at_least(GRID_BUCKETS_PER_TRACK * cap + GRID_SLACK);
    t->grid_key = calloc((size_t)t->hsize * 3, sizeof(int32_t));
    t->grid_head = calloc((size_t)t->hsize, sizeof(int));
    t->grid_stamp = calloc((size_t)t->hsize, sizeof(uint32_t));
    t->oversize = calloc(cap, sizeof(int));
    t->assign_work_bytes =
        mwx_assign_work_bytes(CLUSTER_MAX_ROWS, CLUSTER_MAX_COLS + CLUSTER_MAX_ROWS);
    t->assign_work = malloc(t->assign_work_bytes);
    t->n_hist = t->cap < HIST_TRACKS_MAX ? t->cap : HIST_TRACKS_MAX;
    t->hist = calloc((size_t)t->n_hist, sizeof(hist_t));
    t->hist_free = calloc((size_t)t->n_hist, sizeof(int));
    if (!t->hist || !t->hist_free || !t->trk || !t->free_list || !t->scan || !t->meas_model ||
        !t->meas_pos || !t->meas_ok || !t->meas_assigned || !t->cluster_parent ||
        !t->cluster_next || !t->cluster_row || !t->meas_pair_first || !t->meas_pair_count ||
        !t->meas_best_confirmed_nis || !t->meas_best_confirmed_k || !t->pairs || !t->grid_key ||
        !t->grid_head || !t->grid_stamp || !t->oversize || !t->assign_work) {
        mwx_tracker_destroy(t);
        return mwx_err_set(err, MWX_ENOMEM, "tracker: out of memory for %d tracks", cfg->capacity);
    }
    /* Free slots popped from the end: lowest index first, for a deterministic layout. */
    for (int i = 0; i < t->cap; i++)
        t->free_list[i] = t->cap - 1 - i;
    t->n_free = t->cap;
    for (int i = 0; i < t->n_hist; i++)
        t->hist_free[i] = t->n_hist - 1 - i;
    t->n_hist_free = t->n_hist;
    t->scan_sensor = -1;
    t->t_now = -1e300;
    *out = t;
    return MWX_OK;
}

void mwx_tracker_set_callback(mwx_tracker_t *t, mwx_track_fn fn, void *ctx)
{
    t->fn = fn;
    t->fn_ctx = ctx;
}

/* ---------------------------------------------------------------- helpers */

static int nation_index(mwx_tracker_t *t, const char *id)
{
    for (int i = 0; i < t->n_nations; i++)
        if (strcmp(t->nations[i], id) == 0)
            return i;
    if (t->n_nations >= MWX_MAX_NATIONS)
        return -1;
    mwx_strlcpy(t->nations[t->n_nations], id, MWX_ID_LEN);
    return t->n_nations++;
}

static int sensor_index(mwx_tracker_t *t, const mwx_rec_meas_t *m)
{
    sensor_t *s;
    for (int i = 0; i < t->n_sensors; i++) {
        s = &t->sensors[i];
        if (strcmp(s->id, m->sensor) == 0) {
            /* satellites move: keep the latest position */
            if (memcmp(s->ecef, m->sensor_ecef_m, sizeof(s->ecef)) != 0) {
                memcpy(s->ecef, m->sensor_ecef_m, sizeof(s->ecef));
                mwx_ecef_to_geo(&t->cfg.dyn.earth, s->ecef, &s->geo);
            }
            return i;
        }
    }
    if (t->n_sensors >= MAX_SENSORS)
        return -1;
    s = &t->sensors[t->n_sensors];
    mwx_strlcpy(s->id, m->sensor, MWX_ID_LEN);
    s->nation = nation_index(t, m->nation);
    memcpy(s->ecef, m->sensor_ecef_m, sizeof(s->ecef));
    mwx_ecef_to_geo(&t->cfg.dyn.earth, s->ecef, &s->geo);
    return t->n_sensors++;
}

static double track_phase_boost(const trk_t *k)
{
    return k->boost_on ? k->imm.mu[0] : 0.0;
}

/* Switching rates for the modes the track has ([boost] ballistic [manoeuvre]). */
static void set_rates(trk_t *k)
{
    const int b = k->boost_on ? 1 : 0, m = k->man_on ? b + 1 : -1;
    memset(k->imm.rate, 0, sizeof k->imm.rate);
    if (k->boost_on) {
        k->imm.rate[0][1] = 0.05; /* boost -> ballistic, 1/s */
        k->imm.rate[1][0] = 0.01; /* ballistic -> boost (staging, late detection) */
    }
    if (m > 0) {
        k->imm.rate[b][m] = MAN_RATE_IN;
        k->imm.rate[m][b] = MAN_RATE_OUT;
    }
}

static void delete_track(mwx_tracker_t *t, trk_t *k)
{
    mwxi_trk_hist_release(t, k);
    k->active = 0;
    t->free_list[t->n_free++] = (int)(k - t->trk);
    t->st.tracks_deleted++;
}

#define LIFT_REACH_MPS2          20.0 /* 2 g of lift or manoeuvre, sideways */
#define LIFT_REACH_MAX_KM        300.0
#define LIFT_HOLD_S              10.0 /* s: how long the lift may yet act, from each refresh */
#define LAUNCH_BOOST_MAX_SIGMA_S 60.0 /* s: a boost fly-back less sure than this is not used */

void mwx_track_land_at_impact(mwx_rec_track_t *r)
{
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g;
    if (r->phase != MWX_PHASE_IMPACT || !r->impact.valid || !isfinite(r->impact.lat) ||
        !isfinite(r->impact.lon))
        return;
    g.lat = r->impact.lat * MWX_DEG;
    g.lon = r->impact.lon * MWX_DEG;
    g.alt = 0.0;
    mwx_geo_to_ecef(&e, &g, r->ecef_m);
    memset(r->vel_mps, 0, sizeof r->vel_mps);
}

/* A dive: the aerodynamic acceleration of the last 10 s (the guard's) pushes the path down
 * by more than DIVE_MIN_A, beyond 4 sigma plus half the drag's own effect (the guard's lift
 * rule, per second) */
#define DIVE_MIN_A  10.0 /* m/s^2 */
#define NSIGMA_DIVE 4.0
#define DIVE_MAX_LD 4.0 /* no lift-to-drag beyond this is believed */
#define DIVE_DRAG_A 0.5 /* m/s^2: the least drag a ratio is taken against */

/* Is the lifting track k seen diving? Then ld = the lift-to-drag ratio and bank of that
 * acceleration (mwx_predict_impact_lift): a glide vehicle's terminal dive, which the
 * ballistic continuation follows 65-87 km long (test-glide G1, 45-35 s to go: the
 * ballistic path from a 30 degree dive flattens and flies on). Only a dive: a pull-up or
 * a glide's positive lift held to the ground would glide on for hundreds of km (G1 at
 * 60 s to go: +1,500 km), which nothing bounds. */
static int dive_ld(const trk_t *k, double ld[2])
{
    const mwx_guard_t *g = &k->guard;
    double lv[3], ll[3], av, al, d, n;
    if ((g->klass != MWX_CLASS_LIFTING && g->klass != MWX_CLASS_GLIDE) ||
        !(k->t - g->aero_t <= 1.5) || mwxi_dyn_lift_frame(k->comb.x, lv, ll) != 0)
        return 0;
    av = mwx_dot3(g->aero_acc, lv);
    al = mwx_dot3(g->aero_acc, ll);
    if (!(-av > DIVE_MIN_A && -av > NSIGMA_DIVE * g->aero_sig + 0.5 * g->aero_drag))
        return 0;
    d = fmax(g->aero_drag, DIVE_DRAG_A);
    ld[0] = av / d;
    ld[1] = al / d;
    n = hypot(ld[0], ld[1]);
    if (n > DIVE_MAX_LD) {
        ld[0] *= DIVE_MAX_LD / n;
        ld[1] *= DIVE_MAX_LD / n;
    }
    return 1;
}

static void fill_record(const mwx_tracker_t *t, const trk_t *k, mwx_rec_track_t *r)
{
    const double *P = k->comb.P;
    const int n = MWX_TRACK_NX;
    size_t len = 0;
    memset(r, 0, sizeof(*r));
    r->t = k->t;
    mwx_strlcpy(r->node, t->cfg.node, sizeof(r->node));
    mwx_strlcpy(r->track_id, k->id, sizeof(r->track_id));
    for (int i = 0; i < 3; i++) {
        r->ecef_m[i] = k->comb.x[i];
        r->vel_mps[i] = k->comb.x[3 + i];
    }
    {
        static const int ij[6][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 2}};
        for (int q = 0; q < 6; q++) {
            r->cov_pos_m2[q] = P[ij[q][0] * n + ij[q][1]];
            r->cov_vel_m2s2[q] = P[(3 + ij[q][0]) * n + 3 + ij[q][1]];
        }
    }
    r->phase = k->phase;
    r->confirmed = k->confirmed;
    for (int i = 0; i < t->n_nations; i++) {
        if (!(k->nations & (1u << i)))
            continue;
        if (len && len + 1 < sizeof(r->sources))
            r->sources[len++] = ',';
        mwx_strlcpy(r->sources + len, t->nations[i], sizeof(r->sources) - len);
        len = strlen(r->sources);
    }
    r->launch = k->launch;
    r->klass = k->guard.klass;
    if (r->klass == MWX_CLASS_BALLISTIC && k->stage)
        r->klass = MWX_CLASS_STAGE;
    mwx_strlcpy(r->parent, k->parent, sizeof r->parent);
    /* Never a ballistic impact for a track that may be under thrust or lifting, nor for
     * a body in orbit (issue 11): whatever the IMM's modes say, the guard decides. */
    if (r->klass == MWX_CLASS_GLIDE && !k->impact_dive.valid) {
        /* a glide vehicle: the centre of its footprint, the ellipse holding it (the
         * ballistic impact is one edge of it, not the estimate) */
        r->impact = k->impact_glide;
    } else if (mwx_guard_impact_ok(&k->guard) && r->klass != MWX_CLASS_GLIDE) {
        r->impact = k->impact;
    } else if ((r->klass == MWX_CLASS_LIFTING || r->klass == MWX_CLASS_GLIDE) && k->impact.valid) {
        /* A lifting body (quasi-ballistic pull-up, glide, weave) lands somewhere in what
         * its lift can reach before the ballistic impact: the ellipse grows by the
         * lateral reach of LIFT_REACH_MPS2 (capped), and narrows as the impact nears. A
         * stand-in for a corridor: issue 11 asks for one. */
        double tgo = fmax(0.0, k->impact.t - k->t);
        /* the lift acts for at most LIFT_HOLD_S more (the state carries what it has done
         * so far, and the reach is drawn again from each refresh), and the velocity it
         * gives is kept to the ground */
        double th = fmin(tgo, LIFT_HOLD_S);
        double reach_km = fmin(LIFT_REACH_MAX_KM, LIFT_REACH_MPS2 * th * (tgo - 0.5 * th) / 1000.0);
        /* Once the lift is no longer seen (a pull-up that has ended) the body is ballistic
         * but for what lift it may still start: the reach shrinks over the guard's quiet
         * wait instead of holding 40 km until the class turns ballistic at once (the
         * fused track carries this corridor, and its warning follows it) */
        double quiet = fmin(1.0, fmax(0.0, (k->t - k->guard.t_lift) / MWX_GUARD_QUIET_S));
        reach_km *= 1.0 - quiet;
        /* a dive seen goes on to the ground (dive_ld) */
        r->impact = k->impact_dive.valid ? k->impact_dive : k->impact;
        r->impact.semi_major_km += reach_km;
        r->impact.semi_minor_km += reach_km;
    }
}

/* One fly-back of the boost mode's state (mwx_estimate_launch) rests on the thrust
 * acceleration and the speed, both poorly known on a young track (one radar: thrust to
 * +-15 m/s^2, speed to 100-400 m/s in the first seconds), and near burnout the thrust
 * estimate decays while the IMM still says boost: from 80 km at 2.4 km/s a fly-back with
 * 10 m/s^2 puts the launch 150 s early. So each fly-back is also made with the thrust and
 * the speed one sigma off; their spread is the estimate's sigma, the estimates are
 * averaged with weights 1/sigma^2, and one whose sigma exceeds LAUNCH_BOOST_MAX_SIGMA_S
 * is not used at all (docs/TRACKER.md "Launch"). */
static void launch_from_boost(mwx_tracker_t *t, trk_t *k)
{
    const mwx_gauss_t *m = &k->imm.mode[0];
    const int n = MWX_TRACK_NX;
    mwx_rec_launch_est_t l, o;
    double x[MWX_TRACK_NX], v2 = 0.0, sv2 = 0.0, var = 0.0, w;
    if (mwx_estimate_launch(&t->cfg.dyn, m->x, k->t, 1, &l) != MWX_OK)
        return;
    for (int i = 0; i < 3; i++) {
        v2 += m->x[3 + i] * m->x[3 + i];
        for (int j = 0; j < 3; j++)
            sv2 += m->x[3 + i] * m->P[(3 + i) * n + 3 + j] * m->x[3 + j];
    }
    for (int c = 0; c < 4; c++) {
        double sa = sqrt(fmax(m->P[6 * n + 6], 0.0));
        double f = v2 > 1.0 ? sqrt(sv2 / v2) / sqrt(v2) : 1.0; /* relative speed sigma */
        memcpy(x, m->x, sizeof(x));
        if (c < 2) {
            x[6] += c ? sa : -sa;
            if (x[6] < 0.0)
                x[6] = 0.0;
        } else {
            double sc = c == 3 ? 1.0 + f : fmax(0.0, 1.0 - f);
            for (int i = 3; i < 6; i++)
                x[i] *= sc;
        }
        if (mwx_estimate_launch(&t->cfg.dyn, x, k->t, 1, &o) != MWX_OK)
            return;
        var += 0.5 * (o.t - l.t) * (o.t - l.t); /* each pair's half-spread squared */
    }
    if (!(var <= LAUNCH_BOOST_MAX_SIGMA_S * LAUNCH_BOOST_MAX_SIGMA_S))
        return;
    var = fmax(var, 1.0);
    w = 1.0 / var;
    if (!k->launch_from_boost) {
        k->launch_fb = l;
        k->launch_w = w;
    } else {
        double dlon = l.lon - k->launch_fb.lon, a = w / (k->launch_w + w);
        if (dlon > 180.0)
            dlon -= 360.0;
        if (dlon < -180.0)
            dlon += 360.0;
        k->launch_fb.lat += (l.lat - k->launch_fb.lat) * a;
        k->launch_fb.lon += dlon * a;
        k->launch_fb.t += (l.t - k->launch_fb.t) * a;
        k->launch_w += w;
    }
    k->launch_from_boost++;
    if (!k->launch_fit)
        k->launch = k->launch_fb;
}

/* A body coming down in air that brakes it harder than gravity pulls (drag above 1 g):
 * flown back, its arc is ruled by the drag (and any lift) it is thought to have, and the
 * backward integration multiplies their error (a glide vehicle first seen at 13 km,
 * 2.4 km/s: "launched" 800 km away, 206 s early). No ballistic point of origin is made
 * from such a state; an earlier one stands. */
static int reentering_in_air(const mwx_tracker_t *t, const trk_t *k)
{
    double x[MWX_TRACK_NX], a1[3], a0[3], up = 0.0, r = 0.0, d[3];
    memcpy(x, k->comb.x, sizeof(x));
    x[6] = 0.0;
    for (int i = 0; i < 3; i++) {
        up += x[i] * x[3 + i];
        r += x[i] * x[i];
    }
    if (up >= 0.0 || r <= 0.0)
        return 0;
    mwx_dyn_accel(&t->cfg.dyn, x, 0, a1);
    x[7] = 0.0;
    mwx_dyn_accel(&t->cfg.dyn, x, 0, a0);
    for (int i = 0; i < 3; i++)
        d[i] = a1[i] - a0[i];
    return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) > 9.8;
}

static void refresh_predictions(mwx_tracker_t *t, trk_t *k)
{
    int boost = track_phase_boost(k) > 0.5;
    if (k->t_refresh > -1e299 && t->cfg.impact_refresh_s > 0.0 &&
        k->t - k->t_refresh < t->cfg.impact_refresh_s)
        return;
    k->t_refresh = k->t;
    t->st.impact_refreshes++;
    if (mwx_predict_impact(&t->cfg.dyn, &k->comb, k->t, MAX_FLIGHT_S, &k->impact))
        k->impact.valid = 0;
    {
        double ld[2];
        k->impact_dive.valid = 0;
        if (dive_ld(k, ld) &&
            mwx_predict_impact_lift(&t->cfg.dyn, &k->comb, k->t, MAX_FLIGHT_S, ld, &k->impact_dive))
            k->impact_dive.valid = 0;
        k->impact_glide.valid = 0;
        if (k->guard.klass == MWX_CLASS_GLIDE && !k->impact_dive.valid &&
            mwx_predict_impact_glide(&t->cfg.dyn, &k->comb, k->t, MAX_FLIGHT_S, &k->impact_glide))
            k->impact_glide.valid = 0;
    }
    /* Launch: fitted to the early flight once there are samples enough (hist_add);
     * until then from the boost estimate while in boost (and frozen afterwards: it is
     * the better one); back along the ballistic arc when the track has neither (a
     * track whose first refreshes were not yet sure of the boost used to have its fit
     * replaced by the ballistic point of origin at burnout: soak block 0, 50 s late). */
    mwxi_trk_hist_add(t, k);
    if (boost) {
        /* from the boost mode's own estimate, while the IMM is sure of the boost (near
         * burnout the combined thrust is a blend of the modes); on past a fit whose
         * stage count was a tie, which it then decides (hist_add) */
        if (k->imm.mu[0] > 0.8 && (!k->launch_fit || k->fit_tie))
            launch_from_boost(t, k);
    } else if (!k->launch_from_boost && !k->launch_fit && !k->parent[0] &&
               !reentering_in_air(t, k)) {
        mwx_rec_launch_est_t l;
        if (mwx_estimate_launch(&t->cfg.dyn, k->comb.x, k->t, 0, &l) == MWX_OK)
            k->launch = l;
    }
}

static void report(mwx_tracker_t *t, trk_t *k, int force)
{
    mwx_rec_track_t r;
    if (!t->fn || !k->confirmed)
        return;
    if (!force && t->cfg.report_interval_s > 0.0 && k->t_report > -1e299 &&
        k->t - k->t_report < t->cfg.report_interval_s - 1e-9)
        return;
    k->t_report = k->t;
    fill_record(t, k, &r);
    t->fn(t->fn_ctx, &r);
}

void mwxi_trk_init_track(mwx_tracker_t *t, trk_t *k, const mwx_gauss_t *s0, double tm, int sensor)
{
    double mu0[2] = {0.6, 0.4}; /* first seen: more likely rising than falling */
    memset(k, 0, sizeof(*k));
    k->active = 1;
    k->hist = -1;
    k->hits = 1;
    k->origin_sensor = sensor;
    k->origin_radar = t->n_scan > 0 && t->scan[0].kind == MWX_SENSOR_RADAR;
    k->t = k->t_created = k->t_update = k->t_hit = tm;
    k->t_report = k->t_refresh = k->t_near = -1e300;
    if (t->cfg.use_imm) {
        mwx_imm_init(&k->imm, 2, t->model_ptr, t->filter, s0, mu0);
        k->boost_on = 1;
        set_rates(k);
    } else {
        mwx_imm_init(&k->imm, 1, t->model_ptr + 1, t->filter, s0, NULL);
    }
    k->comb = *s0;
    k->phase = MWX_PHASE_BOOST;
    mwxi_guard_init(&k->guard, tm);
    if (t->sensors[sensor].nation >= 0)
        k->nations |= 1u << t->sensors[sensor].nation;
    t->st.tracks_created++;
}

trk_t *mwxi_trk_new_track(mwx_tracker_t *t)
{
    if (!t->n_free) {
        t->st.pool_full++;
        return NULL;
    }
    trk_t *k = &t->trk[t->free_list[--t->n_free]];
    assert(!k->active); /* a pool slot is free before it is reused */
    return k;
}

/* ---------------------------------------------------------------- scan processing */

static int uf_find(int *uf, int a)
{
    while (uf[a] != a) {
        uf[a] = uf[uf[a]];
        a = uf[a];
    }
    return a;
}

/* A coasting track's gate may not outgrow this (m, 1 sigma of the position, the root of
 * the trace, extrapolated linearly to the scan): a track that uncertain takes any clutter
 * plot within a few hundred km for its body. The lofted L1 of the default scenario,
 * seen again after coasting 2437 s (JP) and 2813 s (US, lost at burnout), was 14 and
 * 59 km sure there; soak block 0's US-28 was 129 km when it took a clutter plot 332 km
 * from its prediction (380 km from the missile). */
#define COAST_SIGMA_MAX_M 100e3

/* May a confirmed track out of every sensor's sight coast on its prediction (keep its
 * gate open, and a record of the impact for the warning) until its predicted impact? Only
 * while the tracker can still predict it credibly:
 *   - it has an impact prediction;
 *   - its position is known to COAST_SIGMA_MAX_M;
 *   - when it was lost under thrust (thrust evidence in the MWX_GUARD_QUIET_S before its
 *     last update: its guard never let that impact out, the burn's end is a guess), no
 *     measurement it did not take has fallen near it (t_near) since: the body is seen,
 *     and not where the track predicts it. Soak block 0's US-28 (B0L27, lost at
 *     burnout) so kept 286 s of that missile's own radar plots from starting a track
 *     (each within 4 gates of it) and then took a clutter plot. A track lost under thrust
 *     that nothing contradicts (IR gone at burnout, no radar yet: the default L1 at US)
 *     coasts on.
 * Otherwise it ends at delete_timeout_s, as a track without a prediction does
 * (docs/TRACKER.md, step 5). */
static int coast_credible(const mwx_tracker_t *t, const trk_t *k)
{
    const double *P = k->comb.P, dt = t->scan_t - k->t;
    const int n = MWX_TRACK_NX;
    double var =
        P[0] + P[n + 1] + P[2 * n + 2] + dt * dt * (P[3 * n + 3] + P[4 * n + 4] + P[5 * n + 5]);
    if (!(var <= COAST_SIGMA_MAX_M * COAST_SIGMA_MAX_M))
        return 0;
    return !(k->t_update - k->guard.t_thrust < MWX_GUARD_QUIET_S && k->t_near > k->t_update);
}

static int may_coast(const mwx_tracker_t *t, const trk_t *k)
{
    return k->impact.valid && t->scan_t < k->impact.t + t->cfg.delete_timeout_s &&
           coast_credible(t, k);
}

/* A track no measurement of this scan may continue: one that has come down (its
 * predicted impact delete_timeout_s past: this scan's deletion ends it), or one silent
 * for REVIVE_MAX_S that is not coasting on an impact prediction. Predicting either to
 * the scan would fly it on from its last state for as long as the gap lasts, through
 * the ground: a node that fell 20 000 s behind its feed so reported a landed track
 * 3e15 m away, which its own fusion refused (bench/soak). */
#define REVIVE_MAX_S 120.0
static int past_reach(const mwx_tracker_t *t, const trk_t *k)
{
    if (k->impact.valid && t->scan_t >= k->impact.t + t->cfg.delete_timeout_s)
        return 1;
    /* a coasting track whose prediction is no longer credible takes nothing more (this
     * scan's deletion ends it) */
    if (k->confirmed && t->scan_t - k->t_update > t->cfg.delete_timeout_s && !coast_credible(t, k))
        return 1;
    return !may_coast(t, k) && t->scan_t - k->t_update > REVIVE_MAX_S;
}

static int predict_track(mwx_tracker_t *t, trk_t *k, double tm)
{
    if (k->pred_stamp == t->stamp)
        return MWX_OK;
    k->pred_stamp = t->stamp;
    if (tm > k->t) {
        if (mwx_imm_predict(&k->imm, tm - k->t))
            return MWX_ERANGE;
        k->t = tm;
        mwx_imm_combine(&k->imm, &k->comb);
    }
    return MWX_OK;
}

static void consider(mwx_tracker_t *t, int mi, int ki)
{
    trk_t *k = &t->trk[ki];
    double nu[MWX_TRACK_MAX_Z], S[9], Si[9], d2 = 0.0, logdet;
    const int nz = t->meas_model[mi].nz;
    if (!k->active || past_reach(t, k))
        return;
    if (t->meas_model[mi].name[0] == 'r') {
        /* cheap pre-gate for radar, before any prediction: the measured point must lie
         * within 6 sigma of the track extrapolated in a straight line (both
         * uncertainties, the measurement's cross-range from its angles, plus up to 10 g
         * of curvature over dt) */
        const double *P = k->comb.P, *R = t->meas_model[mi].R;
        const int n = MWX_TRACK_NX;
        double d[3], r = t->meas_model[mi].z[0], dt = t->scan_t - k->t, curv = 50.0 * dt * dt;
        double v = P[0] + P[n + 1] + P[2 * n + 2] +
                   dt * dt * (P[3 * n + 3] + P[4 * n + 4] + P[5 * n + 5]) + R[0] +
                   r * r * (R[4] + R[8]);
        for (int i = 0; i < 3; i++)
            d[i] = t->meas_pos[mi][i] - k->comb.x[i] - k->comb.x[3 + i] * dt;
        if (sqrt(mwx_dot3(d, d)) > 6.0 * sqrt(v) + curv)
            return;
    }
    if (predict_track(t, k, t->scan_t)) {
        delete_track(t, k);
        return;
    }
    {
        int reuse = t->filter == mwx_filter_ekf() && k->imm.n_modes == 1;
        double H[MWX_TRACK_MAX_Z * MWX_TRACK_NX], PHt[MWX_TRACK_NX * MWX_TRACK_MAX_Z];
        if (reuse ? mwxi_track_ekf_innov(&t->meas_model[mi], &k->comb, nu, S, H, PHt)
                  : t->filter->innovation(t->filter, &t->meas_model[mi], &k->comb, nu, S))
            return;
        if (reuse) {
            k->g_stamp = t->stamp;
            k->g_meas = mi;
            memcpy(k->g_nu, nu, sizeof(k->g_nu));
            memcpy(k->g_S, S, sizeof(k->g_S));
            memcpy(k->g_H, H, sizeof(k->g_H));
            memcpy(k->g_PHt, PHt, sizeof(k->g_PHt));
        } else {
            k->g_stamp = 0;
        }
    }
    if (mwxi_la_spd_inv(S, Si, nz, &logdet))
        return;
    for (int i = 0; i < nz; i++)
        for (int j = 0; j < nz; j++)
            d2 += nu[i] * Si[i * nz + j] * nu[j];
    if (!(d2 < t->cfg.gate_chi2) && k->man_on) {
        /* The combined estimate is the ballistic mode's while the manoeuvre mode is
         * unlikely: a pull-up starting now shows only against the manoeuvre mode's own
         * (wider) prediction. Gated there, the update moves the IMM to that mode. */
        const mwx_gauss_t *g = &k->imm.mode[k->imm.n_modes - 1];
        double d2m = 0.0, ldm;
        if (t->filter->innovation(t->filter, &t->meas_model[mi], g, nu, S) == MWX_OK &&
            mwxi_la_spd_inv(S, Si, nz, &ldm) == MWX_OK) {
            for (int i = 0; i < nz; i++)
                for (int j = 0; j < nz; j++)
                    d2m += nu[i] * Si[i * nz + j] * nu[j];
            if (d2m < d2) {
                d2 = d2m;
                logdet = ldm;
            }
        }
    }
    if (k->confirmed && d2 < t->meas_best_confirmed_nis[mi]) {
        t->meas_best_confirmed_nis[mi] = d2;
        t->meas_best_confirmed_k[mi] = ki;
    }
    if (!(d2 < t->cfg.gate_chi2))
        return;
    if (t->n_pairs >= t->max_pairs) {
        t->st.meas_dropped++;
        return;
    }
    {
        pair_t *p = &t->pairs[t->n_pairs++];
        p->m = mi;
        p->k = ki;
        p->cost = d2 + logdet;
        p->logdet = logdet;
    }
    if (k->gate_stamp != t->stamp) {
        k->gate_stamp = t->stamp;
        k->uf_meas = mi;
    } else {
        int a = uf_find(t->cluster_parent, mi), b = uf_find(t->cluster_parent, k->uf_meas);
        if (a != b)
            t->cluster_parent[a < b ? b : a] = a < b ? a : b;
    }
}

/* Whether the radar model, linearised at the track's prediction (at the scan time), is
 * off at the measured point by more than the range's standard deviation: the
 * second-order term of range and angles over a distance d at range r is about d^2/2r. */
static int radar_far_from_linear(const mwx_tracker_t *t, const trk_t *k, int mi)
{
    const mwx_meas_model_t *m = &t->meas_model[mi];
    double d[3];
    if (m->name[0] != 'r')
        return 0;
    for (int i = 0; i < 3; i++)
        d[i] = t->meas_pos[mi][i] - k->comb.x[i];
    return mwx_dot3(d, d) / (2.0 * m->z[0]) > sqrt(m->R[0]);
}

static void link_parent(mwx_tracker_t *t, trk_t *k);

static trk_t *find_confirmed(mwx_tracker_t *t, const char *id)
{
    for (int i = 0; i < t->cap; i++)
        if (t->trk[i].active && t->trk[i].confirmed && strcmp(t->trk[i].id, id) == 0)
            return &t->trk[i];
    return NULL;
}

#define STAGE_CHILD_SETTLE_S                                                                       \
    15.0 /* a new track's P(boost) starts at 0.6: its own
                                   * "evidence" of its first seconds is no burn */
#define STAGE_PARENT_SETTLE_S 5.0

/* Separated parts: one that has been quiet since the separation while its sibling burned
 * on is the spent stage; a part of a space launch makes its relatives parts of it too. */
static void relatives(mwx_tracker_t *t, trk_t *k)
{
    trk_t *p;
    double t_sep = k->t_created;
    /* A tentative track has no id yet (ids are given at confirmation), and every track
     * without a parent has parent "": spread from it, the heritage made every parentless
     * confirmed track a space launch for good whenever a false alarm's wild first state
     * passed the orbit test (the default morning's lofted L1 re-entered as a "space
     * launch": its warnings would be drop zones, not impacts). Relatives are confirmed. */
    if (!k->confirmed || !k->id[0])
        return;
    if (k->guard.space && !k->space_seen) {
        k->space_seen = 1;
        for (int i = 0; i < t->cap; i++) {
            trk_t *c = &t->trk[i];
            if (c->active && c->confirmed && strcmp(c->parent, k->id) == 0)
                c->guard.space = 1;
        }
        if (k->parent[0] && (p = find_confirmed(t, k->parent)))
            p->guard.space = 1;
    }
    if (!k->parent[0] || !(p = find_confirmed(t, k->parent)))
        return;
    if (k->guard.t_thrust <= t_sep + STAGE_CHILD_SETTLE_S &&
        p->guard.t_thrust > t_sep + STAGE_CHILD_SETTLE_S)
        k->stage = 1;
    else if (p->guard.t_thrust <= t_sep + STAGE_PARENT_SETTLE_S &&
             k->guard.t_thrust > t_sep + STAGE_CHILD_SETTLE_S)
        p->stage = 1;
}

/* A single-mode (ballistic) track whose innovations show it has lost the body gets its
 * boost mode back: an upper stage re-ignites after a coast (a space launch's apoapsis
 * burn), and a rigid ballistic filter would break the track instead of following it. */
static void revive_boost(mwx_tracker_t *t, trk_t *k)
{
    const int n = MWX_TRACK_NX;
    mwx_gauss_t b = k->imm.mode[0];
    if (!t->cfg.use_imm || k->boost_on || k->imm.n_modes >= MWX_IMM_MAX_MODES)
        return;
    for (int j = k->imm.n_modes; j > 0; j--) {
        k->imm.mode[j] = k->imm.mode[j - 1];
        k->imm.model[j] = k->imm.model[j - 1];
        k->imm.mu[j] = 0.5 * k->imm.mu[j - 1];
    }
    b.x[MWX_TTHRUST] = 10.0;
    for (int i = 0; i < n; i++)
        b.P[MWX_TTHRUST * n + i] = b.P[i * n + MWX_TTHRUST] = 0.0;
    b.P[MWX_TTHRUST * n + MWX_TTHRUST] = 10.0 * 10.0;
    k->imm.mode[0] = b;
    k->imm.model[0] = t->model_ptr[0];
    k->imm.mu[0] = 0.5;
    k->imm.n_modes++;
    k->boost_on = 1;
    set_rates(k);
    k->ballistic_run = 0;
}

/* The track keeps the ballistic mode (and the manoeuvre mode, if any) only: a re-entry
 * vehicle does not re-ignite. */
static void retire_boost(trk_t *k)
{
    double s = 0.0;
    if (!k->boost_on)
        return;
    for (int j = 0; j + 1 < k->imm.n_modes; j++) {
        k->imm.mode[j] = k->imm.mode[j + 1];
        k->imm.model[j] = k->imm.model[j + 1];
        k->imm.mu[j] = k->imm.mu[j + 1];
        s += k->imm.mu[j];
    }
    k->imm.n_modes--;
    for (int j = 0; j < k->imm.n_modes; j++)
        k->imm.mu[j] = s > 0.0 ? k->imm.mu[j] / s : (j == 0 ? 1.0 : 0.0);
    k->boost_on = 0;
    set_rates(k);
    mwx_imm_combine(&k->imm, &k->comb);
}

/* A ballistic track low enough for lift gets the manoeuvre mode, a copy of its
 * ballistic mode (MAN_ALT_M). Only once the boost mode is retired: beside the boost mode
 * it would explain thrust too and hide it from P(boost), the guard's thrust evidence. */
static void add_manoeuvre(mwx_tracker_t *t, trk_t *k)
{
    const int b = k->boost_on ? 1 : 0, m = k->imm.n_modes;
    mwx_geo_t g;
    if (!t->cfg.use_imm || k->man_on || k->boost_on || m >= MWX_IMM_MAX_MODES)
        return;
    mwx_ecef_to_geo(&t->cfg.dyn.earth, k->comb.x, &g);
    if (g.alt > MAN_ALT_M)
        return;
    k->imm.mode[m] = k->imm.mode[b];
    k->imm.model[m] = t->model_ptr[2];
    for (int j = 0; j < m; j++)
        k->imm.mu[j] *= 1.0 - MAN_MU0;
    k->imm.mu[m] = MAN_MU0;
    k->imm.n_modes++;
    k->man_on = 1;
    set_rates(k);
}

static void apply_update(mwx_tracker_t *t, int mi, int ki)
{
    trk_t *k = &t->trk[ki];
    double nis;
    if (k->hit_stamp == t->stamp)
        return; /* one measurement per track per scan */
    if (radar_far_from_linear(t, k, mi)) {
        /* The radar model linearised at a prediction this far from the measured point
         * misplaces the update by more than the measurement's own error (about d^2/2r:
         * 1.2 km after the 49 km, 3 degree innovation of the default scenario's L1 seen
         * again after a 2400 s coast), and the next scans then miss the gate and start a
         * second track. The measured point is linear in the state: update with it. */
        mwx_meas_model_t pm;
        double C[9];
        mwxi_trk_radar_point_cov(&t->meas_model[mi], C);
        mwx_meas_position(&pm, t->meas_pos[mi], C);
        if (mwx_imm_update(&k->imm, &pm, &nis))
            return;
    } else if (k->g_stamp == t->stamp && k->g_meas == mi && k->imm.n_modes == 1) {
        /* same state, same measurement as at the gate: reuse its innovation */
        if (mwxi_track_ekf_update_pre(&t->meas_model[mi], &k->imm.mode[0], k->g_nu, k->g_S, k->g_H,
                                      k->g_PHt, &nis, NULL))
            return;
    } else if (mwx_imm_update(&k->imm, &t->meas_model[mi], &nis)) {
        return;
    }
    mwx_imm_combine(&k->imm, &k->comb);
    if (mwxi_guard_innovation(&k->guard, nis, t->meas_model[mi].nz, t->scan_t))
        revive_boost(t, k);
    mwxi_guard_update(&k->guard, &t->models[1], &t->cfg.dyn, &k->comb, track_phase_boost(k),
                      t->scan_t, k->launch.valid ? k->launch.t : NAN);
    relatives(t, k);
    /* A re-entry vehicle does not re-ignite: after RETIRE_BOOST_UPDATES ballistic
     * updates the boost mode is retired, halving the cost of the midcourse. Ballistic:
     * the ballistic mode is clearly ahead, or the boost mode's own thrust estimate is
     * within two sigma of none (one 1 Hz radar cannot tell a few m/s^2 of thrust from free
     * fall, so P(boost) alone hovers at 0.02-0.1 for ever). A staging gap lasts seconds,
     * not RETIRE_BOOST_UPDATES. */
    if (k->boost_on) {
        const mwx_gauss_t *b = &k->imm.mode[0];
        double a = b->x[6], sa = sqrt(fmax(b->P[6 * b->n + 6], 0.0));
        double p_free = 1.0 - k->imm.mu[0]; /* ballistic or manoeuvre: no thrust */
        int no_thrust = p_free > 0.8 && fabs(a) < 2.0 * sa;
        k->ballistic_run = p_free > 0.95 || no_thrust ? k->ballistic_run + 1 : 0;
        if (k->ballistic_run >= RETIRE_BOOST_UPDATES)
            retire_boost(k);
    }
    if (k->confirmed)
        add_manoeuvre(t, k);
    {
        /* reported phase with hysteresis: switch at 0.7, not back and forth at 0.5 */
        double pb = track_phase_boost(k);
        if (k->phase == MWX_PHASE_BOOST && pb < 0.3) {
            k->phase = MWX_PHASE_BALLISTIC;
            k->t_ballistic = t->scan_t;
        } else if (k->phase == MWX_PHASE_BALLISTIC && pb > 0.7)
            k->phase = MWX_PHASE_BOOST;
    }
    k->hit_stamp = t->stamp;
    k->t_update = t->scan_t;
    /* A line of sight from geostationary orbit fixes two coordinates of three: a radar
     * false alarm's tentative track, gated wide on its velocity prior, lies along the
     * line of sight of any missile below it, and was confirmed by it (soak block 12,
     * B12L6: US's two clutter plots 384 km up over the Yellow Sea, 5 s old, took the
     * missile's first OPIR line of sight and were reported once, "launched" 850 s
     * before far out in the Pacific; every node sent a launch notice for it, the
     * missile's own came 8 s later, a second one). So a track a radar started is
     * confirmed by radar hits; the lines of sight still update it, but do not keep it
     * from its tentative timeout (t_hit): a false alarm of a radar that scans no more
     * would otherwise take a line of sight of the missile every second and keep the two
     * satellites' pair that starts the missile's own track from forming. */
    if (k->confirmed || !k->origin_radar || t->scan[0].kind == MWX_SENSOR_RADAR) {
        k->hits++;
        k->t_hit = t->scan_t;
    }
    if (t->sensors[t->scan_sensor].nation >= 0)
        k->nations |= 1u << t->sensors[t->scan_sensor].nation;
    t->meas_assigned[mi] = 1;
    t->st.updates++;
    t->st.meas_used++;
    if (!k->confirmed && k->hits >= t->cfg.confirm_hits) {
        k->confirmed = 1;
        snprintf(k->id, sizeof(k->id), "%.19s-%d", t->cfg.node, ++t->next_id);
        t->st.tracks_confirmed++;
        link_parent(t, k);
    }
    if (k->confirmed) {
        refresh_predictions(t, k);
        report(t, k, 0);
    }
}

#define PARENT_DIST_M    30e3  /* a separated part is this close to its parent ... */
#define PARENT_DV_MPS    600.0 /* ... as fast, within this ... */
#define PARENT_AGE_S     10.0  /* ... and confirmed this much later than it */
#define PARENT_MIN_ALT_M 20e3  /* no stage separates lower */

/* A newly confirmed track that appeared right beside an older confirmed one, high up and
 * as fast, is a part separated from it (a spent stage, or the upper stage the spent one
 * leaves): it is linked to that parent and takes the parent's launch, not a launch of
 * its own (a separated part was never on the ground; flown back, its "launch" is
 * nonsense). The age and altitude conditions keep a salvo's next missile (launched
 * seconds apart, seen first low) from being taken for a stage. */
static void link_parent(mwx_tracker_t *t, trk_t *k)
{
    const trk_t *best = NULL;
    double best_d = PARENT_DIST_M;
    mwx_geo_t g;
    mwx_ecef_to_geo(&t->cfg.dyn.earth, k->comb.x, &g);
    if (g.alt < PARENT_MIN_ALT_M)
        return;
    for (int i = 0; i < t->cap; i++) {
        const trk_t *p = &t->trk[i];
        double d[3], dv[3], dt;
        if (p == k || !p->active || !p->confirmed || p->t_created > k->t_created - PARENT_AGE_S)
            continue;
        dt = k->t - p->t;
        for (int a = 0; a < 3; a++) {
            d[a] = p->comb.x[a] + p->comb.x[3 + a] * dt - k->comb.x[a];
            dv[a] = p->comb.x[3 + a] - k->comb.x[3 + a];
        }
        if (mwx_norm3(dv) > PARENT_DV_MPS || mwx_norm3(d) >= best_d)
            continue;
        best_d = mwx_norm3(d);
        best = p;
    }
    if (!best)
        return;
    mwx_strlcpy(k->parent, best->id, sizeof k->parent);
    if (best->launch.valid) {
        k->launch = best->launch;
        k->launch_fit = 1; /* never replaced by a launch of its own */
    }
    mwxi_trk_hist_release(t, k);
    if (best->guard.space)
        k->guard.space = 1;
    if (best->guard.t_burn0 < k->guard.t_burn0)
        k->guard.t_burn0 = best->guard.t_burn0; /* its burn began with the parent's */
}

/* Global nearest neighbour on one cluster of measurements (rows linked via mnext). */
static void solve_cluster(mwx_tracker_t *t, int first)
{
    int rows[CLUSTER_MAX_ROWS], nr = 0, nc = 0, width;
    /* single measurement: best pair directly */
    for (int m = first; m >= 0; m = t->cluster_next[m]) {
        if (nr == CLUSTER_MAX_ROWS)
            break;
        rows[nr++] = m;
    }
    if (nr == 1 && t->cluster_next[first] < 0) {
        int best = -1;
        double bc = 0.0;
        for (int p = t->meas_pair_first[first];
             p < t->meas_pair_first[first] + t->meas_pair_count[first]; p++) {
            if (best < 0 || t->pairs[p].cost < bc) {
                best = p;
                bc = t->pairs[p].cost;
            }
        }
        if (best >= 0)
            apply_update(t, first, t->pairs[best].k);
        return;
    }
    /* rows beyond the cluster limit are left out, and start no track */
    {
        int m = first, r = 0;
        for (; m >= 0; m = t->cluster_next[m], r++)
            if (r >= nr)
                t->meas_assigned[m] = 1;
    }
    /* collect the tracks of the cluster (columns) */
    for (int r = 0; r < nr; r++)
        t->cluster_row[rows[r]] = r;
    nc = 0;
    for (int r = 0; r < nr; r++)
        for (int p = t->meas_pair_first[rows[r]];
             p < t->meas_pair_first[rows[r]] + t->meas_pair_count[rows[r]]; p++) {
            const pair_t *pp = &t->pairs[p];
            trk_t *k = &t->trk[pp->k];
            if (k->gate_stamp == t->stamp && k->col >= 0 && k->col < nc &&
                t->cl_tracks[k->col] == pp->k)
                continue;
            if (nc == CLUSTER_MAX_COLS)
                continue;
            k->col = nc;
            t->cl_tracks[nc++] = pp->k;
        }
    width = nc + nr;
    for (int i = 0; i < nr * width; i++)
        t->cost[i] = MWX_ASSIGN_FORBIDDEN;
    {
        double maxld[CLUSTER_MAX_ROWS];
        for (int r = 0; r < nr; r++)
            maxld[r] = 0.0;
        for (int r = 0; r < nr; r++)
            for (int p = t->meas_pair_first[rows[r]];
                 p < t->meas_pair_first[rows[r]] + t->meas_pair_count[rows[r]]; p++) {
                const pair_t *pp = &t->pairs[p];
                const trk_t *k = &t->trk[pp->k];
                if (k->col < 0 || k->col >= nc || t->cl_tracks[k->col] != pp->k)
                    continue;
                t->cost[r * width + k->col] = pp->cost;
                if (pp->logdet > maxld[r])
                    maxld[r] = pp->logdet;
            }
        for (int r = 0; r < nr; r++)
            t->cost[r * width + nc + r] = t->cfg.gate_chi2 + maxld[r] + 1.0;
    }
    if (mwx_assign_hungarian(t->cost, nr, width, t->row_to_col, NULL, t->assign_work,
                             t->assign_work_bytes))
        return;
    for (int r = 0; r < nr; r++) {
        int c = t->row_to_col[r];
        if (c >= 0 && c < nc)
            apply_update(t, rows[r], t->cl_tracks[c]);
    }
}

static void process_scan(mwx_tracker_t *t)
{
    const int nm = t->n_scan;
    const sensor_t *sen;
    double enu[9];
    int is_radar;
    if (nm == 0 || t->scan_sensor < 0)
        return;
    sen = &t->sensors[t->scan_sensor];
    t->st.scans++;
    t->stamp++;
    if (t->stamp == 0)
        t->stamp = 1;
    is_radar = t->scan[0].kind == MWX_SENSOR_RADAR;
    t->n_pairs = 0;
    /* A tentative track past tentative_timeout_s goes before it can be gated: scans come
     * only from sensors that detected something, so the check after the scan (below) may
     * come seconds late, and a clutter plot coasted that long on its 3 km/s velocity prior
     * spans tens of km along any line of sight. Soak block 2, B2L59, US: a Kyogamisaki
     * false alarm, 10.5 s old at the next scan, took the OPIR lines of sight of a missile
     * 270 km away, was confirmed on them in 1.5 s (35 km sigma, velocity unknown) and flew
     * back to a launch 1,000 s early off Japan; its launch notice was the first of two. */
    for (int i = 0; i < t->cap; i++) {
        trk_t *k = &t->trk[i];
        if (k->active && !k->confirmed && t->scan_t - k->t_hit > t->cfg.tentative_timeout_s)
            delete_track(t, k);
    }
    /* one ENU basis per scan: its measurements share the site */
    mwx_enu_basis(sen->geo.lat, sen->geo.lon, enu, enu + 3, enu + 6);
    for (int i = 0; i < nm; i++) {
        const mwx_rec_meas_t *m = &t->scan[i];
        int rc = m->kind == MWX_SENSOR_RADAR
                     ? mwxi_track_meas_radar_enu(&t->meas_model[i], &sen->geo, enu, m)
                     : mwx_meas_ir(&t->meas_model[i], m);
        t->meas_ok[i] = rc == MWX_OK && m->kind == t->scan[0].kind;
        t->meas_assigned[i] = 0;
        t->cluster_parent[i] = i;
        t->cluster_next[i] = -1;
        t->meas_best_confirmed_nis[i] = HUGE_VAL;
        t->meas_best_confirmed_k[i] = -1;
        t->meas_pair_first[i] = t->n_pairs;
        t->meas_pair_count[i] = 0;
        if (!t->meas_ok[i]) {
            t->st.meas_dropped++;
            continue;
        }
        if (m->kind == MWX_SENSOR_RADAR) {
            /* mwx_rae_to_ecef with the scan's basis */
            const double r = t->meas_model[i].z[0], az = t->meas_model[i].z[1],
                         el = t->meas_model[i].z[2];
            const double ce = cos(el);
            const double v[3] = {r * ce * sin(az), r * ce * cos(az), r * sin(el)};
            for (int a = 0; a < 3; a++)
                t->meas_pos[i][a] =
                    sen->ecef[a] + enu[a] * v[0] + enu[3 + a] * v[1] + enu[6 + a] * v[2];
        }
    }
    if (is_radar) {
        mwxi_trk_grid_build(t, t->scan_t);
        for (int i = 0; i < nm; i++) {
            int32_t c[3];
            if (!t->meas_ok[i])
                continue;
            t->meas_pair_first[i] = t->n_pairs;
            mwxi_trk_cell_of(t, t->meas_pos[i], c);
            for (int dx = -1; dx <= 1; dx++)
                for (int dy = -1; dy <= 1; dy++)
                    for (int dz = -1; dz <= 1; dz++) {
                        int32_t cc[3] = {c[0] + dx, c[1] + dy, c[2] + dz};
                        int *head = mwxi_trk_grid_slot(t, cc, 0);
                        for (int k = head ? *head : -1; k >= 0; k = t->trk[k].grid_next)
                            consider(t, i, k);
                    }
            for (int o = 0; o < t->n_oversize; o++)
                consider(t, i, t->oversize[o]);
            t->meas_pair_count[i] = t->n_pairs - t->meas_pair_first[i];
        }
    } else {
        for (int i = 0; i < nm; i++) {
            if (!t->meas_ok[i])
                continue;
            t->meas_pair_first[i] = t->n_pairs;
            for (int k = 0; k < t->cap; k++)
                if (t->trk[k].active)
                    consider(t, i, k);
            t->meas_pair_count[i] = t->n_pairs - t->meas_pair_first[i];
        }
    }
    /* clusters: link measurements by root, in measurement order */
    {
        int *last = t->cluster_row; /* reuse: last member of each root's list */
        for (int i = 0; i < nm; i++)
            last[i] = -1;
        for (int i = 0; i < nm; i++) {
            int r;
            if (!t->meas_ok[i])
                continue;
            r = uf_find(t->cluster_parent, i);
            if (r != i) {
                int tail = last[r] >= 0 ? last[r] : r;
                t->cluster_next[tail] = i;
                last[r] = i;
            }
        }
        for (int i = 0; i < t->cap; i++)
            t->trk[i].col = -1;
        for (int i = 0; i < nm; i++) {
            int has = 0;
            if (!t->meas_ok[i] || uf_find(t->cluster_parent, i) != i)
                continue;
            for (int m = i; m >= 0 && !has; m = t->cluster_next[m])
                has = t->meas_pair_count[m] > 0;
            if (has)
                solve_cluster(t, i);
        }
    }
    /* unassigned measurements start tracks (not right next to a confirmed track) */
    for (int i = 0; i < nm; i++) {
        if (!t->meas_ok[i] || t->meas_assigned[i])
            continue;
        if (t->meas_best_confirmed_nis[i] < 4.0 * t->cfg.gate_chi2) {
            trk_t *b = &t->trk[t->meas_best_confirmed_k[i]];
            if (b->hit_stamp != t->stamp)
                b->t_near = t->scan_t; /* a miss that keeps a body from a track (may_coast) */
            continue;
        }
        if (is_radar)
            mwxi_trk_start_from_radar(t, i);
        else
            mwxi_trk_ir_unassigned(t, i);
    }
    /* misses and deletion */
    for (int i = 0; i < t->cap; i++) {
        trk_t *k = &t->trk[i];
        if (!k->active)
            continue;
        if (!k->confirmed) {
            if (k->origin_sensor == t->scan_sensor && k->hit_stamp != t->stamp &&
                k->t_created < t->scan_t)
                k->misses++;
            /* (the timeout was checked before gating: this scan's time is the same) */
            if (k->misses > t->cfg.confirm_window - t->cfg.confirm_hits)
                delete_track(t, k);
        } else if (t->scan_t - k->t_update > t->cfg.delete_timeout_s) {
            /* Out of every sensor's sight (a lofted flight above the radars, IR gone at
             * burnout) a track with an impact prediction coasts until that impact: the
             * warning needs it, and a sensor that picks it up again continues it. */
            if (may_coast(t, k)) {
                if (k->boost_on) {
                    /* coasting is ballistic: the motor has stopped, as the prediction says */
                    retire_boost(k);
                    k->phase = MWX_PHASE_BALLISTIC;
                }
                continue;
            }
            if (k->impact.valid && k->impact.t <= t->scan_t && t->fn &&
                mwx_guard_impact_ok(&k->guard)) {
                mwx_rec_track_t r;
                fill_record(t, k, &r);
                r.phase = MWX_PHASE_IMPACT;
                r.t = t->scan_t; /* when it is declared down; impact.t says when */
                mwx_track_land_at_impact(&r);
                t->fn(t->fn_ctx, &r);
            }
            delete_track(t, k);
        }
    }
}

int mwx_tracker_flush(mwx_tracker_t *t, mwx_err_t *err)
{
    process_scan(t);
    t->n_scan = 0;
    t->scan_sensor = -1;
    return MWX_OK;
}

int mwx_tracker_add(mwx_tracker_t *t, const mwx_rec_meas_t *m, mwx_err_t *err)
{
    int si;
    t->st.meas_in++;
    /* NaN or nonsense in one measurement would poison every track it touches */
    if (mwx_rec_meas_check(m, NULL) != MWX_OK) {
        t->st.meas_dropped++;
        return MWX_OK;
    }
    if (t->cfg.nation[0] && strcmp(t->cfg.nation, m->nation) != 0) {
        t->st.meas_dropped++;
        return MWX_OK;
    }
    if (m->t < t->t_now) {
        t->st.meas_dropped++;
        return mwx_err_set(err, MWX_EINVAL,
                           "tracker: measurement at t=%.3f after t=%.3f (not in time order)", m->t,
                           t->t_now);
    }
    if (t->n_scan > 0 && (m->t != t->scan_t || strcmp(m->sensor, t->scan[0].sensor) != 0 ||
                          t->n_scan >= t->cfg.max_scan_meas)) {
        process_scan(t);
        t->n_scan = 0;
    }
    if (t->n_scan == 0) {
        si = sensor_index(t, m);
        if (si < 0) {
            t->st.meas_dropped++;
            return MWX_OK;
        }
        t->scan_sensor = si;
        t->scan_t = m->t;
    }
    assert(m->t >= t->scan_t || t->n_scan == 0); /* scan time never decreases */
    assert(t->n_scan < t->cfg.max_scan_meas);    /* a scan within its maximum */
    t->t_now = m->t;
    t->scan[t->n_scan++] = *m;
    /* The tracker must not see the truth: wipe it from its copy. */
    t->scan[t->n_scan - 1].truth_object[0] = '\0';
    return MWX_OK;
}

/* ---------------------------------------------------------------- queries */

int mwx_tracker_count(const mwx_tracker_t *t, int confirmed_only)
{
    int c = 0;
    for (int i = 0; i < t->cap; i++)
        if (t->trk[i].active && (!confirmed_only || t->trk[i].confirmed))
            c++;
    return c;
}

void mwx_tracker_foreach(const mwx_tracker_t *t, int confirmed_only, mwx_track_fn fn, void *ctx)
{
    for (int i = 0; i < t->cap; i++) {
        const trk_t *k = &t->trk[i];
        mwx_rec_track_t r;
        if (!k->active || (confirmed_only && !k->confirmed))
            continue;
        fill_record(t, k, &r);
        fn(ctx, &r);
    }
}

int mwx_tracker_get_state(const mwx_tracker_t *t, const char *track_id, mwx_gauss_t *state,
                          double mu[2])
{
    for (int i = 0; i < t->cap; i++) {
        const trk_t *k = &t->trk[i];
        if (!k->active || !k->confirmed || strcmp(k->id, track_id) != 0)
            continue;
        if (state)
            *state = k->comb;
        if (mu) {
            mu[0] = track_phase_boost(k);
            mu[1] = 1.0 - mu[0];
        }
        return MWX_OK;
    }
    return MWX_ENOTFOUND;
}

void mwx_tracker_get_stats(const mwx_tracker_t *t, mwx_tracker_stats_t *s)
{
    *s = t->st;
}
