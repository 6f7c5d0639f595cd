/* Succession of warning series across tracks (issue 17; docs/WARNING_POLICY.md, "One
 * threat, one series"): which track carries a threat's series when a restarted node
 * rebuilds its tracks, a tracker loses one and opens another, or fusion holds two tracks
 * of one missile. The series state and its journal are warn_journal.c's; the decisions
 * that call on this are warn.c's. */
#include "warn/warn_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One threat, one series of each kind, whatever tracks carry it: a restarted node rebuilds
 * its tracks from scratch (several, on a live feed), a tracker loses a track and opens
 * another for the same missile, fusion holds two tracks of one missile until they merge.
 * A track about to send an Alert first looks for an active series of that kind on
 * another track of the same threat: a journaled series (orphan) or a lost track's is
 * taken over and continued (Update/Cancel referencing it); a live track's keeps warning,
 * and this track sends nothing of that kind (it takes the series over once the other is
 * lost). A lost track's warnings that no impact time ends (launch notice, boost fan) are
 * held LOST_HOLD_S for such a successor, then handed to a live track of the threat, and
 * only cancelled when there is none. */

#define SAME_POS_MAX_DT_S 240.0

/* Are a and b (b perhaps older: a lost track, a journaled one) one threat?
 *   - where: b's state carried to a's time under gravity lies within 50 km plus 5 % of
 *     the distance flown plus 5 m/s^2 of unmodelled thrust of a's (asked when at most
 *     SAME_POS_MAX_DT_S apart: two missiles are told apart by where they are);
 *   - launch: both launch estimates within LAUNCH_DT_S and 500 km (a track rebuilt
 *     mid-flight estimates its launch roughly; asked when both have one);
 *   - impact: with both predictions, the predicted impacts within both ellipses plus
 *     update_shift_km and 60 s of each other.
 * With both predictions: the impacts must agree, and where, else launch, when asked.
 * Without: where; for launch notices (by_launch) where or launch; for a track neither held
 * nor in reach by where, last seen in boost (or within LOST_THRUST_S of it), where its
 * missile can be by now (notice_where) and launch. Returns a cost (lower is nearer; the
 * same track id breaks ties) or INFINITY. */
#define LAUNCH_DT_S 120.0

/* A track last seen at most this long after a sign of thrust (an update in phase boost,
 * or thrust evidence) may have been under thrust still: a tracker's phase call is no
 * proof of burnout (the tracker's class `thrusting` holds as long after its last
 * evidence). Soak week at 150x, KR B7L46: fusion's KR-F1048, on US's track alone (called
 * ballistic from +59 s while the missile thrust on to +95 s), was last updated 9 s after
 * its last update in boost; B6L31's KR-F861 8 s after (tests/warn/test_threat.c). */
#define LOST_THRUST_S 20.0

static int seen_thrusting(const wtrack_t *t)
{
    return t->trk.phase == MWX_PHASE_BOOST || t->trk.t - t->last_boost_t <= LOST_THRUST_S ||
           t->trk.t - t->last_thrust_t <= LOST_THRUST_S;
}

/* Two tracks the tracker holds at once (neither lost nor journaled), at most HELD_DT_S
 * apart, are two objects when the older's state carried to the newer's time lies beyond
 * 1 km plus 4 sigma of both tracks' position (and velocity x dt) covariance plus 50 m/s^2
 * of thrust: fusion's two tracks of one missile lie within that (JP's own and fused
 * tracks in the chaos scenario: 1-4 km apart, 2.4 km sigma), a salvo's second missile,
 * launched 6 s after the first from the same site, does not (6-15 km apart, 0.7 km
 * sigma), whatever its launch estimate or (early, wide) impact prediction says. */
#define HELD_DT_S 5.0

static double cov_trace(const double c[6])
{
    double t = c[0] + c[3] + c[5];
    return isfinite(t) && t > 0 ? t : 0;
}

/* The distance of b's state carried to a's time (under gravity alone), in metres, or NAN
 * when not asked (more than max_dt apart, or b is no state in flight). */
static double carried_dist(const mwx_rec_track_t *a, const mwx_rec_track_t *b, double max_dt)
{
    double dt = a->t - b->t, r = mwx_norm3(b->ecef_m), d2 = 0;
    if (!(fabs(dt) <= max_dt) || r <= 1e6)
        return NAN;
    for (int i = 0; i < 3; i++) {
        double acc = -MWX_WGS84_GM * b->ecef_m[i] / (r * r * r);
        double p = b->ecef_m[i] + b->vel_mps[i] * dt + 0.5 * acc * dt * dt;
        d2 += (a->ecef_m[i] - p) * (a->ecef_m[i] - p);
    }
    return sqrt(d2);
}

static int held(const wtrack_t *t)
{
    return t->used && !t->orphan && !t->lost;
}

/* Are a and b, both held by the tracker now, two objects (see HELD_DT_S)? */
static int held_apart(const wtrack_t *a, const wtrack_t *b)
{
    double d, dt, var;
    if (!held(a) || !held(b))
        return 0;
    d = carried_dist(&a->trk, &b->trk, HELD_DT_S);
    if (isnan(d))
        return 0;
    dt = a->trk.t - b->trk.t;
    var = cov_trace(a->trk.cov_pos_m2) + cov_trace(b->trk.cov_pos_m2) +
          dt * dt * (cov_trace(a->trk.cov_vel_m2s2) + cov_trace(b->trk.cov_vel_m2s2));
    return d > 1e3 + 4.0 * sqrt(var) + 25.0 * dt * dt;
}

/* A journaled launch notice (issue 17; docs/WARNING_POLICY.md "One threat, one series"):
 * what the notice knows of its missile is the track at its latest journal entry, often
 * the notice's own Alert, in boost, with no launch estimate yet. A restarted node's track
 * of the missile comes minutes later (the chaos test, seed 5: 100 s, after burnout, its
 * launch estimate, flown back from mid-flight, 100 s off); carried under gravity, the
 * boost-phase state lies 110-130 km from it, and the launch estimates of a salvo's two
 * missiles (6 s apart) came out in the wrong order. So the journaled state bounds where
 * its missile can be by now instead of predicting it (notice_where):
 *   - ahead: a's sub-point within NOTICE_FAN_DEG plus 3 sigma of b's course (plus the
 *     angle 50 km subtends) of b's course seen from b's sub-point (a missile does not turn
 *     back; a new launch from the same site is behind the journaled one), when b's course
 *     is known that well (within 90 degrees);
 *   - reachable: a's sub-point within 50 km plus 5 % of the distance flown at b's speed
 *     plus what NOTICE_THRUST_MPS2 of thrust adds, never faster than NOTICE_MAX_SPEED_MPS;
 *   - both in boost: a neither lower (5 km) nor slower (300 m/s) than b (a boosting
 *     missile only climbs and speeds up);
 * and a must be of b's launch as far as the launch estimates tell, whatever basis each
 * has (notice_launch). Returns 1 plus a cost in [0, 1] (off-course angle and distance, each
 * against its bound: a looser match than the carried state's, which stays below 1),
 * INFINITY out of reach or of another launch, NAN when not asked (a older than b, or either
 * no state in flight). */
#define NOTICE_FAN_DEG          25.0
#define NOTICE_THRUST_MPS2      50.0
#define NOTICE_MAX_SPEED_MPS    7900.0
#define NOTICE_LAUNCH_AFTER_S   30.0
#define NOTICE_BOOST_DROP_M     5e3
#define NOTICE_BOOST_SLOWER_MPS 300.0

static double notice_where(const mwx_warn_t *w, const mwx_rec_track_t *a, const mwx_rec_track_t *b)
{
    const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
    mwx_warn_trackview_t va, vb;
    double dt = a->t - b->t, vb3 = mwx_norm3(b->vel_mps), s12, az1, az2, base, reach;
    double lim = 180.0, daz = 0, half;

    if (!(dt >= 0) || mwx_norm3(a->ecef_m) <= 1e6 || mwx_norm3(b->ecef_m) <= 1e6)
        return NAN;
    mwxi_warn_track_view(a, &va);
    mwxi_warn_track_view(b, &vb);
    if (a->phase == MWX_PHASE_BOOST && b->phase == MWX_PHASE_BOOST &&
        (va.alt_m < vb.alt_m - NOTICE_BOOST_DROP_M ||
         mwx_norm3(a->vel_mps) < vb3 - NOTICE_BOOST_SLOWER_MPS))
        return INFINITY;
    base = 50e3 + 0.05 * vb3 * dt;
    reach = base + fmin(vb3 * dt + 0.5 * NOTICE_THRUST_MPS2 * dt * dt, NOTICE_MAX_SPEED_MPS * dt);
    geod_inverse(g, vb.lat, vb.lon, va.lat, va.lon, &s12, &az1, &az2);
    if (!(s12 <= reach))
        return INFINITY;
    /* b's course as far as its velocity's spread tells it (the early boost's is 200-300 m/s
     * at 1 km/s: the chaos test's JP, 58 degrees off) */
    half = mwxi_warn_course_half_angle_deg(&vb);
    if (vb.speed_mps >= BOOST_FAN_MIN_SPEED && s12 > base && 1.5 * half < 90.0) {
        lim = NOTICE_FAN_DEG + 1.5 * half + atan(base / s12) / MWX_DEG;
        daz = fabs(remainder(az1 - vb.course_deg, 360.0));
        if (!(daz <= lim))
            return INFINITY;
    }
    return 1.0 + 0.5 * daz / lim + 0.5 * s12 / reach;
}

/* Does tr stand for the journal: an orphan (a journaled series no track has taken over),
 * or a track a restarted node's replay of its history rebuilt and that no live update
 * reached before it was lost (a restarted node replays its partners' reports up to its
 * kill, and the fused tracks they rebuild take over the journaled series; then they go
 * silent, and the missile's live track comes minutes later: the chaos test, seed 5, JP)? */
int mwxi_warn_journaled(const wtrack_t *tr)
{
    return tr->orphan || (tr->replayed && tr->lost);
}

/* Is l a launch estimate (of any basis) to compare? */
static int launch_known(const mwx_rec_launch_est_t *l)
{
    return l->valid && isfinite(l->lat) && fabs(l->lat) <= 90.0 && isfinite(l->lon) &&
           isfinite(l->t);
}

/* Do a's and b's launch estimates agree (within LAUNCH_DT_S and 500 km)? A cost (lower is
 * nearer), INFINITY when they do not, NAN when either has none. The one comparison of two
 * launch estimates: the newcomer rule, the path warnings' and a journaled notice's. */
static double launch_cost(const struct geod_geodesic *g, const mwx_rec_track_t *a,
                          const mwx_rec_track_t *b)
{
    double s12, az1, az2, ldt;
    if (!launch_known(&a->launch) || !launch_known(&b->launch))
        return NAN;
    ldt = fabs(a->launch.t - b->launch.t);
    geod_inverse(g, a->launch.lat, a->launch.lon, b->launch.lat, b->launch.lon, &s12, &az1, &az2);
    return ldt <= LAUNCH_DT_S && s12 <= 500e3 ? ldt / LAUNCH_DT_S + s12 / 500e3 : INFINITY;
}

/* Was a launched as b's missile was, as far as a's launch estimate tells, whatever basis
 * either estimate has (issues 14 and 17: at 33x in the chaos test US, restarted after M4's
 * launch, let M4's fused track take its journaled notice of M3, launched 214 s earlier
 * 22 km away: only a fitted estimate of a's was compared, and M4's was flown back)?
 *   - b's missile was flying at b->t: a's launch is not later than that by more than its
 *     estimate may err (NOTICE_LAUNCH_AFTER_S on a fit, good to seconds; LAUNCH_DT_S, the
 *     live rules' tolerance, on the others: a flown-back estimate errs by a minute or more);
 *   - with an estimate of b's (any basis): both agree as the live rules ask (launch_cost);
 *   - without (a notice journaled in boost before any estimate): a's launch point lies
 *     within 500 km plus what b's missile can have flown since a's launch (at b's speed)
 *     of b's sub-point.
 * Returns 1 (may be), 0 (another launch), -1 (a has no launch estimate). */
static int notice_launch(const mwx_warn_t *w, const mwx_rec_track_t *a, const mwx_rec_track_t *b)
{
    const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
    mwx_warn_trackview_t vb;
    double tol, s12, az1, az2;
    if (!launch_known(&a->launch))
        return -1;
    tol = a->launch.basis == MWX_LAUNCH_FIT ? NOTICE_LAUNCH_AFTER_S : LAUNCH_DT_S;
    if (a->launch.t > b->t + tol)
        return 0;
    if (launch_known(&b->launch))
        return isfinite(launch_cost(g, a, b));
    mwxi_warn_track_view(b, &vb);
    geod_inverse(g, vb.lat, vb.lon, a->launch.lat, a->launch.lon, &s12, &az1, &az2);
    return s12 <= 500e3 + mwx_norm3(b->vel_mps) * fmax(0.0, b->t - a->launch.t + tol);
}

static int launch_pending(const mwx_warn_t *w, const wtrack_t *tr);
static int notice_waits(const mwx_warn_t *w, const wtrack_t *tr);

/* May ta's track continue the journaled notice of tb: where its missile can be by now
 * (notice_where) and its launch (notice_launch)? A track whose launch is not known yet
 * takes no notice over while it waits for its estimate (launch_pending). */
static double notice_reach(const mwx_warn_t *w, const wtrack_t *ta, const wtrack_t *tb)
{
    double where = notice_where(w, &ta->trk, &tb->trk);
    int same;
    if (isnan(where) || isinf(where))
        return where;
    same = notice_launch(w, &ta->trk, &tb->trk);
    return same == 0 || (same < 0 && launch_pending(w, ta)) ? INFINITY : where;
}

static double same_threat(const mwx_warn_t *w, const wtrack_t *ta, const wtrack_t *tb,
                          int by_launch)
{
    const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
    const mwx_rec_track_t *a = &ta->trk, *b = &tb->trk;
    double s12, az1, az2, tie = strcmp(a->track_id, b->track_id) ? 1e-6 : 0;
    double pos = NAN, launch = NAN, dt = a->t - b->t, r = mwx_norm3(b->ecef_m);

    if (held_apart(ta, tb))
        return INFINITY;
    if (fabs(dt) <= SAME_POS_MAX_DT_S && r > 1e6) {
        double gate = 50e3 + 0.05 * mwx_norm3(b->vel_mps) * fabs(dt) + 2.5 * dt * dt, d2 = 0;
        for (int i = 0; i < 3; i++) {
            double acc = -MWX_WGS84_GM * b->ecef_m[i] / (r * r * r);
            double p = b->ecef_m[i] + b->vel_mps[i] * dt + 0.5 * acc * dt * dt;
            d2 += (a->ecef_m[i] - p) * (a->ecef_m[i] - p);
        }
        pos = sqrt(d2) <= gate ? sqrt(d2) / gate : INFINITY;
    }
    launch = launch_cost(g, a, b);
    if (mwxi_warn_impact_valid(&a->impact) && mwxi_warn_impact_valid(&b->impact)) {
        double gate_km = a->impact.semi_major_km + b->impact.semi_major_km + w->pol.update_shift_km;
        double idt = fabs(a->impact.t - b->impact.t), cost;
        geod_inverse(g, a->impact.lat, a->impact.lon, b->impact.lat, b->impact.lon, &s12, &az1,
                     &az2);
        if (s12 / 1000.0 > gate_km || idt > 60.0)
            return INFINITY;
        cost = s12 / 1000.0 / gate_km + idt / 60.0;
        if (!isnan(pos))
            return cost + pos + tie;
        if (!isnan(launch))
            return cost + launch + tie;
        return cost + tie;
    }
    if (!isnan(pos) && isfinite(pos))
        return pos + tie;
    if (by_launch && mwxi_warn_journaled(tb)) {
        /* a journaled notice: where its missile can be by now and its launch
         * (notice_reach), and only without a state in flight the launch estimates (a
         * looser match still) */
        double reach = notice_reach(w, ta, tb);
        if (!isnan(reach))
            return reach + tie;
        return !isnan(launch) ? 2.0 + launch + tie : INFINITY;
    }
    if (by_launch && !isnan(launch))
        return launch + tie;
    if (!isnan(launch) && isfinite(launch) && !held(tb) && seen_thrusting(tb)) {
        /* (f) a lost or journaled track last seen in boost, or soon after: its state
         * carried without thrust is no prediction (KR B1L37: 46 s later, outside the
         * gate; KR B7L46: 9 s after its last boost update), so where its missile can be
         * by now (notice_where) with both launch estimates agreeing */
        double where = notice_where(w, a, b);
        if (isfinite(where))
            return where + launch + tie;
    }
    return INFINITY;
}

/* Does the journaled track o offer a series of this kind to take over (kind < 0: all its
 * series, to a rebuilt track's adoption)? */
static int orphan_offered(wtrack_t *o, int kind)
{
    if (kind < 0)
        return o->used && o->orphan;
    return o->used && mwxi_warn_journaled(o) && mwxi_warn_jseries(o, kind)->active;
}

/* A journaled track whose only series is a launch notice: matched as a notice (by_launch)
 * whoever asks, as mwxi_warn_adopt always did. */
static int notice_only(const wtrack_t *o)
{
    return o->launch.has_last && !o->s[0].has_last && !o->s[1].has_last;
}

/* Will the held track t2 (other than the taker) ask for an orphan's series of this kind:
 * eligible to warn, and its own series of the kind not active (adoption: it has sent
 * nothing; a launch notice: it has not considered its own yet)? A track already carrying
 * its launch's notice does not stand in the way of the next missile's taking the other
 * notice, nor does one that will not ask (seed 1, JP: a partner's track of M1 the inbox
 * replay rebuilt, past its notice, took the pairing from JP's own new track of M1, which
 * sent a second notice; the notice reaches such a track by the hand-over, after the
 * hold). */
static int could_take(const mwx_warn_t *w, wtrack_t *t2, int kind)
{
    if (!held(t2) || (!t2->trk.confirmed && w->pol.require_confirmed))
        return 0;
    if (kind == MWX_WARN_LAUNCH && t2->launch_done)
        return 0;
    return kind < 0 ? !mwxi_warn_any_sent(t2) : !mwxi_warn_jseries(t2, kind)->active;
}

/* Is the journaled track o tr's, when the held tracks that could take a journaled series of
 * this kind and the journaled tracks that offer one are paired cheapest first (same_threat),
 * each once? A restarted node rebuilds a salvo's tracks at once and decides on them one at a
 * time: the first to decide took the orphan nearest it (or none, another held track being
 * nearer each) and the other missile warned afresh (the chaos test, seed 5, KR: after its
 * restart, M2's track was nearer both journaled notices of M2 and M3 by launch estimate, so
 * M3's took neither). The pairing is the same whichever decides first. Returns -1 when out
 * of memory (the caller falls back to the nearest). */
static int orphan_match(const mwx_warn_t *w, const wtrack_t *tr, const wtrack_t *o, int kind,
                        int by_launch)
{
    int rows[MWX_WARN_MAX_TRACKS], cols[MWX_WARN_MAX_TRACKS], nr = 0, nc = 0, mine = 0;
    double *cost;
    rows[nr++] = (int)(tr - w->tracks);
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *t2 = &w->tracks[k];
        if (t2 != tr && could_take(w, t2, kind))
            rows[nr++] = k;
        if (orphan_offered(t2, kind) || t2 == o) /* o: asked as the boost fan's stand-in too */
            cols[nc++] = k;
    }
    cost = malloc((size_t)nr * (size_t)nc * sizeof *cost);
    if (!cost)
        return -1;
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nc; j++) {
            wtrack_t *oj = &w->tracks[cols[j]];
            cost[i * nc + j] =
                same_threat(w, &w->tracks[rows[i]], oj, by_launch || notice_only(oj));
        }
    for (;;) {
        int bi = -1, bj = -1;
        double best = INFINITY;
        for (int i = 0; i < nr; i++)
            for (int j = 0; j < nc; j++)
                if (cost[i * nc + j] < best) {
                    best = cost[i * nc + j];
                    bi = i;
                    bj = j;
                }
        if (bi < 0)
            break;
        if (bi == 0 || &w->tracks[cols[bj]] == o) {
            mine = bi == 0 && &w->tracks[cols[bj]] == o;
            break;
        }
        for (int j = 0; j < nc; j++)
            cost[bi * nc + j] = INFINITY;
        for (int i = 0; i < nr; i++)
            cost[i * nc + bj] = INFINITY;
    }
    free(cost);
    return mine;
}

/* Is o (journaled, or lost) another held track's rather than tr's: one apart from tr (not
 * a second track of tr's object) whose own series of this kind o's stood for while both
 * were held (kind < 0: any), or that is nearer o than tr is (cost)? A salvo's second
 * missile does not take over a lost fragment of the first's track while the first is
 * still tracked (its state carried on without thrust may well lie nearer the second). */
static int nearer_other(const mwx_warn_t *w, const wtrack_t *tr, wtrack_t *o, int kind, double cost,
                        int by_launch)
{
    if (held(o))
        return 0;
    if (kind < 0 ? o->orphan : mwxi_warn_journaled(o)) {
        int m = orphan_match(w, tr, o, kind, by_launch);
        if (m >= 0)
            return !m;
    }
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        const wtrack_t *o2 = &w->tracks[k];
        if (o2 == tr || o2 == o || !held(o2) || !held_apart(tr, o2))
            continue;
        if (kind >= 0 && o2->stood_for[kind] &&
            o2->stood_for[kind] == mwxi_warn_jseries(o, kind)->jkey)
            return 1;
        if (same_threat(w, o2, o, by_launch) < cost)
            return 1;
    }
    return 0;
}

/* The rebuilt track tr (which has sent nothing) continues all the orphan's series (the
 * launch notice's too) under the orphan's journal key and series name. */
static void take_over(mwx_warn_t *w, wtrack_t *tr, wtrack_t *o)
{
    for (int j = 0; j < 2; j++) {
        tr->s[j] = o->s[j];
        mwxi_warn_fix_last(&tr->s[j]);
    }
    tr->launch = o->launch;
    mwxi_warn_fix_last(&tr->launch);
    tr->launch_done = o->launch_done || o->launch.has_last;
    tr->done = o->done;
    tr->assessed |= o->assessed || o->s[MWX_WARN_IMPACT].has_last;
    tr->jkey = o->jkey;
    mwx_strlcpy(tr->sname, o->sname, sizeof tr->sname);
    memset(o, 0, sizeof *o);
    w->st.adopted++;
    w->picture_pending = w->picture_force = 1;
}

/* Track to continues from's series of this kind (to's own is not active). from keeps an
 * empty series under a new key (its old one goes on with the series). */
static void move_series(mwx_warn_t *w, wtrack_t *to, wtrack_t *from, int kind)
{
    wseries_t *d = mwxi_warn_jseries(to, kind), *s = mwxi_warn_jseries(from, kind);
    *d = *s;
    mwxi_warn_fix_last(d);
    mwxi_warn_series_init(s, kind, w->next_key++, from->sname);
    if (kind == MWX_WARN_LAUNCH)
        to->launch_done = 1;
    if (kind == MWX_WARN_IMPACT)
        to->assessed = 1;
    if (from->orphan && !mwxi_warn_any_sent(from))
        memset(from, 0, sizeof *from);
    w->st.adopted++;
    w->picture_pending = w->picture_force = 1;
}

/* A rebuilt track that has sent nothing takes over the journaled series (all kinds) of
 * its threat, the nearest orphan. Returns 1 when taken over, 2 when it waits for its launch
 * estimate (by_launch: a journaled notice may be its launch's, notice_waits; the caller
 * decides its notice at its next update), 0 otherwise. */
int mwxi_warn_adopt(mwx_warn_t *w, wtrack_t *tr, int by_launch)
{
    wtrack_t *best = NULL;
    double best_cost = INFINITY;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *o = &w->tracks[k];
        double cost;
        if (!o->used || !o->orphan || o == tr)
            continue;
        int bl = by_launch || notice_only(o);
        cost = same_threat(w, tr, o, bl);
        /* the pairing asks each orphan as this does (by_launch, or a notice only) */
        if (cost < best_cost && !nearer_other(w, tr, o, -1, cost, by_launch)) {
            best_cost = cost;
            best = o;
        }
    }
    if (!best)
        return by_launch && notice_waits(w, tr) ? 2 : 0;
    take_over(w, tr, best);
    return 1;
}

/* Has a track (a journaled one: its impact series) acted on a settled prediction? The
 * boost fan of its threat is over then. */
static int threat_assessed(const wtrack_t *o)
{
    return o->assessed || o->s[MWX_WARN_IMPACT].has_last;
}

/* A newcomer (a track first updated less than NEWCOMER_S ago) whose launch notice or
 * warning on no prediction (boost fan, space launch path) would come while another track
 * of the picture has warned of that kind (its flight not over), is no track of its threat,
 * and was launched with it as far as both launch estimates tell (within LAUNCH_DT_S and
 * 500 km), waits: two missiles of a salvo, or one missile and a track that is no missile.
 * A track without a launch estimate never waits (a partner's report of a threat may come
 * without one: tests/adversary's threats, each reported for 0.8 s, got no warning at all
 * when it did). Fusion opens a fused track for any report it cannot associate, and
 * a tracker's track that coasted out of sight for minutes on a boost-phase state (lost at
 * burnout) and then took a clutter plot hundreds of km off the missile is one: opened,
 * confirmed (its source track is) and folded away at one instant, it sent a second launch
 * notice and a space launch's path warning for the missile the picture was warning of
 * (bench/soak block 0, launch B0L27 at all three nodes; `mwx run` of the block reproduces
 * it). A second missile's track goes on being updated and warns NEWCOMER_S later; a launch with
 * nothing of its time warned of is never held (in the soak's block, a launch every 450 s,
 * held for any warned track of the picture, 35 of 56 launch notices came 5 s later). */
#define NEWCOMER_S 5.0

/* A launch notice every region of which stands in another held track's live notice of a
 * launch both estimates cannot tell apart waits longer, up to MWXI_WARN_NOTICE_COVERED_S
 * (60 s) from its first update: the public of those regions is told of the launch
 * already, and fusion may hold two tracks of one missile apart for longer than NEWCOMER_S
 * around burnout (the week soak at 150x, KR B4L34: KR's own track left the notice's fused
 * track, its new fused track lay 31 s and 7 km off by launch estimate and was held apart
 * by state, sent a second notice to every region at 5 s and merged 8 s later). A salvo's
 * second missile still gets its own notice, that late at worst. The regions are
 * w->now_hit, which launch_notice fills before it asks. */
static int notice_covered(const mwx_warn_t *w, const wtrack_t *tr)
{
    size_t n = 0;
    if (!(w->now_t - tr->first_t < MWXI_WARN_NOTICE_COVERED_S))
        return 0;
    for (size_t i = 0; i < w->nreg; i++)
        n += w->now_hit[i];
    for (int k = 0; k < MWX_WARN_MAX_TRACKS && n; k++) {
        const wtrack_t *o = &w->tracks[k];
        size_t in = 0;
        if (o == tr || !held(o) || o->done || !o->launch.active ||
            !isfinite(launch_cost(mwxi_regions_geod(w->regions), &tr->trk, &o->trk)))
            continue;
        for (size_t i = 0; i < w->nreg; i++)
            in += w->now_hit[i] && o->launch.warned[i];
        if (in == n)
            return 1;
    }
    return 0;
}

static int newcomer_waits(const mwx_warn_t *w, const wtrack_t *tr, int kind)
{
    if (kind == MWX_WARN_LAUNCH && notice_covered(w, tr))
        return 1;
    /* never a warning that rests on a settled prediction (Shelter, with an impact time) */
    if (!(w->now_t - tr->first_t < NEWCOMER_S) || kind == MWX_WARN_IMPACT ||
        (kind == MWX_WARN_OVERFLIGHT && !w->no_prediction))
        return 0;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *o = &w->tracks[k];
        if (o != tr && o->used && !o->done && mwxi_warn_jseries(o, kind)->has_last &&
            isfinite(launch_cost(mwxi_regions_geod(w->regions), &tr->trk, &o->trk)))
            return 1;
    }
    return 0;
}

/* A track whose launch is not known yet (no estimate) waits for its estimate as a newcomer
 * does, at most NEWCOMER_S from its first update, before a journaled notice its missile may
 * be of by where it is (notice_where) is decided: it takes none over (notice_reach), and
 * sends no notice of its own (notice_waits) meanwhile. Then where decides alone. */
static int launch_pending(const mwx_warn_t *w, const wtrack_t *tr)
{
    return !launch_known(&tr->trk.launch) && w->now_t - tr->first_t < NEWCOMER_S;
}

static int notice_waits(const mwx_warn_t *w, const wtrack_t *tr)
{
    if (!launch_pending(w, tr))
        return 0;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        const wtrack_t *o = &w->tracks[k];
        if (o != tr && o->used && o->launch.active && mwxi_warn_journaled(o) &&
            isfinite(notice_where(w, &tr->trk, &o->trk)))
            return 1;
    }
    return 0;
}

/* a's relatives up its parent chain (the picture's tracks by id), at most PART_DEPTH;
 * returns how many */
#define PART_DEPTH 4
static int ancestors(const mwx_warn_t *w, const wtrack_t *a, const wtrack_t **up)
{
    const char *p = a->trk.parent;
    int n = 0;
    while (n < PART_DEPTH && p[0]) {
        const wtrack_t *u = NULL;
        for (int k = 0; k < MWX_WARN_MAX_TRACKS && !u; k++)
            if (w->tracks[k].used && strcmp(w->tracks[k].trk.track_id, p) == 0)
                u = &w->tracks[k];
        if (!u)
            break;
        up[n++] = u;
        p = u->trk.parent;
    }
    return n;
}

/* tr is about to send an Alert of this kind: is the threat warned of already? Returns 0
 * (no: send it), 1 (a journaled or lost track's series was taken over: decide again on
 * it), 2 (a live track of the threat carries the series, or, for the boost fan, a track of
 * the threat has a settled prediction: send nothing) or 3 (a newcomer waits: send nothing
 * now, decide again at its next update). */
int mwxi_warn_succession(mwx_warn_t *w, wtrack_t *tr, int kind)
{
    wtrack_t *best = NULL;
    double best_cost = INFINITY;
    int fan = w->no_prediction && kind == MWX_WARN_OVERFLIGHT;
    if (kind == MWX_WARN_LAUNCH) {
        /* (g) a part separated from a track (the record's parent, followed up: a spent
         * stage, the upper stage leaving it, what separates from that) is of that
         * track's launch, however far apart (d) finds their states: while a live
         * relative carries the launch's notice, it sends none (soak block 13, B13L46,
         * every node: US's track of the upper stage, linked to the fused track of the
         * booster it left, sent a second notice 44 s after the first). Only here: a
         * relative takes no series over (a spent stage's impact would end the notice). */
        const wtrack_t *up[PART_DEPTH], *oup[PART_DEPTH];
        int nup = ancestors(w, tr, up);
        for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
            wtrack_t *o = &w->tracks[k];
            int rel = 0;
            if (o == tr || !o->used || o->orphan || o->lost || mwxi_warn_journaled(o) ||
                !mwxi_warn_jseries(o, kind)->active)
                continue;
            for (int i = 0; i < nup && !rel; i++)
                rel = up[i] == o;
            if (!rel && o->trk.parent[0]) {
                int no = ancestors(w, o, oup);
                for (int i = 0; i < no && !rel; i++)
                    rel = oup[i] == tr;
            }
            if (!rel)
                continue;
            tr->stood_for[kind] = mwxi_warn_jseries(o, kind)->jkey;
            return 2;
        }
    }
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *o = &w->tracks[k];
        double cost;
        if (o == tr || !o->used ||
            (!mwxi_warn_jseries(o, kind)->active && !(fan && threat_assessed(o))))
            continue;
        cost = same_threat(w, tr, o, kind == MWX_WARN_LAUNCH);
        if (cost < best_cost && !nearer_other(w, tr, o, kind, cost, kind == MWX_WARN_LAUNCH)) {
            best_cost = cost;
            best = o;
        }
    }
    if (!best && kind == MWX_WARN_OVERFLIGHT) {
        /* a region another track of the threat warns of impact keeps that (more severe)
         * message, as within one track */
        wseries_t *s = mwxi_warn_jseries(tr, kind);
        size_t left = 0;
        for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
            wtrack_t *o = &w->tracks[k];
            if (o == tr || !o->used || !o->s[MWX_WARN_IMPACT].active ||
                !isfinite(same_threat(w, tr, o, 0)))
                continue;
            for (size_t i = 0; i < w->nreg; i++)
                if (o->s[MWX_WARN_IMPACT].warned[i])
                    s->warned[i] = 0;
        }
        for (size_t i = 0; i < w->nreg; i++)
            left += s->warned[i];
        return !left ? 2 : newcomer_waits(w, tr, kind) ? 3 : 0;
    }
    if (!best)
        return newcomer_waits(w, tr, kind) || (kind == MWX_WARN_LAUNCH && notice_waits(w, tr)) ? 3
                                                                                               : 0;
    if ((!best->orphan && !best->lost) || !mwxi_warn_jseries(best, kind)->active) {
        tr->stood_for[kind] = mwxi_warn_jseries(best, kind)->jkey;
        return 2;
    }
    if (best->orphan && !mwxi_warn_any_sent(tr))
        take_over(w, tr, best);
    else
        move_series(w, tr, best, kind);
    return 1;
}

/* A lost (or orphaned) track about to end its series of this kind for want of updates:
 * hand it to a live, confirmed track of the same threat whose own is not active, a track
 * that stood for this series first (docs/WARNING_POLICY.md, "Hand-over"). Returns 1 when
 * handed over. */
/* Is one of a and b up the other's parent chain (a part separated from the other)? */
static int related(const mwx_warn_t *w, const wtrack_t *a, const wtrack_t *b)
{
    const wtrack_t *up[PART_DEPTH];
    int n = ancestors(w, a, up);
    for (int i = 0; i < n; i++)
        if (up[i] == b)
            return 1;
    n = ancestors(w, b, up);
    for (int i = 0; i < n; i++)
        if (up[i] == a)
            return 1;
    return 0;
}

int mwxi_warn_hand_over(mwx_warn_t *w, wtrack_t *tr, int kind)
{
    wtrack_t *best = NULL;
    double best_cost = INFINITY;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *o = &w->tracks[k];
        double cost;
        if (o == tr || !o->used || o->orphan || o->lost || o->done ||
            (!o->trk.confirmed && w->pol.require_confirmed) || mwxi_warn_jseries(o, kind)->active)
            continue;
        /* a track that stood for this very series (it was this track's threat then, by
         * the rules above) is its heir, however far apart their states are by now; not a
         * relative that stood for it by (g) (a spent stage's impact would end a notice
         * the missile's flight still needs), nor one that has warned of the kind itself
         * since (it was judged a threat of its own) */
        cost = o->stood_for[kind] && o->stood_for[kind] == mwxi_warn_jseries(tr, kind)->jkey &&
                       !mwxi_warn_jseries(o, kind)->has_last && !related(w, o, tr)
                   ? -1.0
                   : same_threat(w, o, tr, kind == MWX_WARN_LAUNCH);
        if (cost < best_cost) {
            best_cost = cost;
            best = o;
        }
    }
    if (!best)
        return 0;
    move_series(w, best, tr, kind);
    return 1;
}

/* A journaled launch notice that nothing took over (the hold is over, no live track of its
 * launch without a notice of its own to hand it to): 1 while a live track of the launch
 * carries a notice (a second one: it stands beside it until that one ends), 2 once a
 * track of the launch has given its all-clear (the flight is over), 0 with no track of
 * the launch at all. */
int mwxi_warn_notice_fate(mwx_warn_t *w, wtrack_t *tr)
{
    int fate = 0;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *o = &w->tracks[k];
        if (o == tr || !o->used || mwxi_warn_journaled(o) || !isfinite(same_threat(w, o, tr, 1)))
            continue;
        if (!o->done && o->launch.active)
            return 1;
        if (o->done)
            fate = 2;
    }
    return fate;
}

/* A region of one launch's path, warned once (issue 17, "One region, one path warning"):
 * fusion may hold two tracks of one missile that rule (d) finds apart (a partner's report
 * late by a second at boost speed lies kilometres off), and each drew its own boost fan:
 * the second track's Alert named regions the first's live series warned of (soak block 0
 * at 200x, JP: B0L62 JP-47, B0L7 JP-17; earlier B0L26, B0L35). A warning on no prediction
 * (boost fan, space launch path) does not add a region that another track's active
 * overflight (or impact) series warns of when both launch estimates agree (within
 * LAUNCH_DT_S and 500 km): an overflight series keeps the region for as long as this
 * track's path still crosses it (mwxi_warn_fan_keep), so the public keeps one message (a
 * region warned of impact keeps that more severe one: 2016-02-07-kwangmyongsong-4 seed 2,
 * KR-41, a stage's drop zone at KR-F1 and the upper stage's path Alert at KR-F2). The
 * region is warned throughout; what is not yet warned is this track's to send. */
#define FAN_WANT_S 5.0 /* a track's wish lapses when not renewed this long */

static int fan_partner(const mwx_warn_t *w, const wtrack_t *tr, const wtrack_t *o)
{
    return o != tr && o->used && !o->done &&
           isfinite(launch_cost(mwxi_regions_geod(w->regions), &tr->trk, &o->trk));
}

void mwxi_warn_fan_cover(mwx_warn_t *w, wtrack_t *tr, uint8_t *now, uint8_t *rel)
{
    const uint8_t *mine = tr->s[MWX_WARN_OVERFLIGHT].warned;
    memset(tr->fan_want, 0, sizeof tr->fan_want);
    tr->fan_want_t = w->now_t;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        const wtrack_t *o = &w->tracks[k];
        const wseries_t *ov = &o->s[MWX_WARN_OVERFLIGHT], *im = &o->s[MWX_WARN_IMPACT];
        if (!(ov->active || im->active) || !fan_partner(w, tr, o))
            continue;
        for (size_t i = 0; i < w->nreg; i++)
            if ((now[i] || rel[i]) && !mine[i] &&
                ((ov->active && ov->warned[i]) || (im->active && im->warned[i]))) {
                tr->fan_want[i] |= now[i];
                now[i] = rel[i] = 0;
            }
    }
}

void mwxi_warn_fan_keep(const mwx_warn_t *w, const wtrack_t *tr, uint8_t *keep)
{
    memset(keep, 0, w->nreg);
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        const wtrack_t *o = &w->tracks[k];
        if (!held(o) || !(w->now_t - o->fan_want_t <= FAN_WANT_S) || !fan_partner(w, tr, o))
            continue;
        for (size_t i = 0; i < w->nreg; i++)
            keep[i] |= o->fan_want[i];
    }
}
