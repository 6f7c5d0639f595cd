/*
 * Track-to-track fusion: association of source tracks (own and partners') into fused
 * tracks, and covariance intersection of their estimates.
 *
 * Why CI and not a Kalman combination: the nations' estimates of one missile are not
 * independent (common process noise, and a fused picture may be re-shared), and the
 * cross-covariance is unknown. CI is consistent for any cross-correlation, at the price
 * of some conservatism. The pos and vel blocks are intersected separately because the
 * wire carries only those two blocks.
 *
 * Time alignment: a partner's report arrives a few hundred milliseconds late; every
 * source estimate is propagated to the update time with gravity (point mass), Coriolis
 * and centrifugal terms and a small process noise, which is plenty over a few seconds.
 * A source silent for more than max_age_s stops contributing, and a fused track all of
 * whose sources are silent ends (mwx_fusion_expire) until a track that carries on its
 * missile relinks it (RELINK_S).
 */
#include "mwx/node.h"
#include "mwx/track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHI2_95_2DOF 5.991464547107979
#define DEFAULT_GATE 22.4577 /* chi-square 99.9 %, 6 dof */

/* Association is revisited, not decided once: a source whose reports stop agreeing with
 * the rest of its fused track for SPLIT_STRIKES reports in a row leaves it, and two fused
 * tracks with no live origin in common whose estimates agree for MERGE_CONFIRM updates in
 * a row become one. So a wrong pairing made in a salvo's first seconds (when its missiles
 * are still close) is undone once they separate, and the picture converges to what the
 * reports say, whatever order they arrived in. The split gate is wider than the join
 * gate so that a true pair is not torn apart by a few noisy reports. */
#define SPLIT_STRIKES     3
#define MERGE_CONFIRM     3
#define SPLIT_GATE_FACTOR 2.0
#define SPLIT_NOW_FACTOR  10.0 /* this far out, one report is enough */
/* A new track this uncertain in both position and velocity (RMS per axis) cannot tell
 * one missile of a salvo from the next (launched seconds apart from one site): it stays a
 * fused track of its own until it firms up, then merges. Pairing it at once would mix two
 * missiles. A radar track is sharp in position from its first report; an IR
 * triangulation is not, for its first seconds. */
#define MATURE_POS_SIGMA_M     600.0
#define MATURE_VEL_SIGMA_MPS   250.0
#define REENTRY_BETA_MIN_KG_M2 1000.0 /* lighter than any re-entry body we expect */
#define REENTRY_SCALE_HEIGHT_M 7200.0
#define REENTRY_RHO0_KG_M3     1.225     /* air density at sea level */
#define REENTRY_POLAR_RADIUS_M 6356752.3 /* WGS-84 b: no point of the surface is nearer */
/* A member whose latest report is this much older than its fused track's freshest live
 * member no longer feeds the estimate: its node has most likely dropped the track (a
 * tracker drops after 15 s without an update, and says nothing to its partners), and a
 * dropped track's last prediction must never steer the picture. Reports come every scan
 * (a few seconds at most), so a live member is never this late. */
#define MEMBER_STALE_S 10.0
/* Below this altitude a state that is not a landed track is a diverged filter. */
#define MEMBER_MIN_ALT_M (-5000.0)
/* A fused track keeps its past flying estimates, one per HIST_STEP_S, the last HIST_N
 * (256 s): a partner's reports that come late (gap recovery after a link cut brings
 * minutes of them at once, out of date) are gated against the fused track as it was at
 * their time, not as it is now. Carried over minutes under gravity alone, a report taken
 * in boost, or a landed track at rest, gates with nothing, and each late track opened a
 * second fused track of its missile that never merged (chaos test, issue 14). A report
 * more than HIST_STEP_S older than a fused track is late. */
#define HIST_N      32
#define HIST_STEP_S 8.0
/* A fused track whose members have all been silent for max_age_s ends (mwx_fusion_expire):
 * a node dropped its track, a partner's node died, a link is cut. It leaves the picture
 * (reported once more, unconfirmed) and its estimate feeds nothing, but for RELINK_S (the
 * history's span) its last estimate, carried forward under gravity, stays a candidate
 * for a track that comes back: a partner's track after a link cut (the same member) or
 * after the partner's node restarted (a new track id, found by the gate). Before this, a
 * silent fused track stayed in the picture, flying, for ever, and its estimate grew so
 * wide that it caught the next track of any missile near its path: in the chaos test,
 * US's restarted track of M1 joined KR's boost-phase track of M1, silent for 300 s,
 * instead of the fused track of M1 that a link cut had silenced, and KR showed M1
 * twice. Only a coasting estimate (ballistic, not boost, not a lifting or thrusting body)
 * is carried that far; a boost-phase one is good for seconds. */
#define RELINK_S (HIST_N * HIST_STEP_S)
/* Propagation steps (propagate): at most this long, at most this many. */
#define PROP_STEP_S    10.0
#define PROP_MAX_STEPS 64

typedef struct source {
    char origin[MWX_ID_LEN];
    char track_id[MWX_ID_LEN];
    uint64_t key; /* mwx_id_key(origin, track_id) */
    mwx_rec_track_t last;
    double first_t; /* its first report's time */
    int strikes;    /* consecutive reports inconsistent with the other members */
} source_t;

typedef struct hist {
    double t, x[3], v[3];
    float cp[6], cv[6]; /* covariance blocks (a gate needs no more precision) */
    int phase;          /* mwx_phase_t then (boost propagates with more noise) */
} hist_t;

/* What a scan of the whole table reads of every slot (try_merge, expire: ended, out.t,
 * the oldest history time) comes first, in the slot's first cache line: a full table is
 * mostly ended tracks, ~9 kB a slot. */
typedef struct fused {
    unsigned num; /* the n of "<node>-F<n>": the older of two merged survives */
    int ended;    /* every member silent for max_age_s: out of the picture (RELINK_S) */
    int n_hist, hist_head;
    uint64_t members; /* a filter of the members' keys (member_bits): the member list is
                       * read only where it may hold the one looked for */
    mwx_rec_track_t out;
    char id[MWX_ID_LEN];
    source_t src[MWX_FUSION_MAX_SOURCES]; /* sorted by origin, then track id */
    int n_src;
    unsigned merge_with; /* num of the fused track this one has agreed with ... */
    int merge_count;     /* ... for this many updates in a row */
    hist_t hist[HIST_N]; /* past flying estimates, a ring (oldest at hist_head) */
    /* the launch estimate of the best basis its members ever gave (refuse): a missile's
     * launch does not move when the member that fitted its boost is lost */
    mwx_rec_launch_est_t best_launch;
} fused_t;

typedef struct touched {
    mwx_rec_track_t trk;
    int ended;
} touched_t;

#define MAX_TOUCHED 4

struct mwx_fusion {
    mwx_fusion_cfg_t cfg;
    fused_t *v;
    size_t n, cap;
    unsigned next_id;
    double t_clock; /* the latest time seen (reports, mwx_fusion_expire) */
    uint64_t dropped, retired, merged, split, rejected, ended, relinked;
    touched_t touched[MAX_TOUCHED]; /* side effects of the last update */
    size_t n_touched;
};

/* ------------------------------------------------------------- small linear algebra */

static void sym3_from6(const double c[6], double m[9])
{
    m[0] = c[0];
    m[1] = c[1];
    m[2] = c[2];
    m[3] = c[1];
    m[4] = c[3];
    m[5] = c[4];
    m[6] = c[2];
    m[7] = c[4];
    m[8] = c[5];
}

static void sym3_to6(const double m[9], double c[6])
{
    c[0] = m[0];
    c[1] = 0.5 * (m[1] + m[3]);
    c[2] = 0.5 * (m[2] + m[6]);
    c[3] = m[4];
    c[4] = 0.5 * (m[5] + m[7]);
    c[5] = m[8];
}

/* Inverse of a symmetric 2x2 or 3x3 matrix; returns -1 when singular. */
static int inv_n(int n, const double *a, double *out)
{
    if (n == 2) {
        double det = a[0] * a[3] - a[1] * a[2];
        if (!(fabs(det) > 1e-300))
            return -1;
        out[0] = a[3] / det;
        out[1] = -a[1] / det;
        out[2] = -a[2] / det;
        out[3] = a[0] / det;
        return 0;
    }
    {
        double c00 = a[4] * a[8] - a[5] * a[7];
        double c01 = a[5] * a[6] - a[3] * a[8];
        double c02 = a[3] * a[7] - a[4] * a[6];
        double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
        if (!(fabs(det) > 1e-300))
            return -1;
        out[0] = c00 / det;
        out[1] = (a[2] * a[7] - a[1] * a[8]) / det;
        out[2] = (a[1] * a[5] - a[2] * a[4]) / det;
        out[3] = c01 / det;
        out[4] = (a[0] * a[8] - a[2] * a[6]) / det;
        out[5] = (a[2] * a[3] - a[0] * a[5]) / det;
        out[6] = c02 / det;
        out[7] = (a[1] * a[6] - a[0] * a[7]) / det;
        out[8] = (a[0] * a[4] - a[1] * a[3]) / det;
        return 0;
    }
}

static void matvec(int n, const double *m, const double *x, double *y)
{
    for (int i = 0; i < n; i++) {
        y[i] = 0;
        for (int j = 0; j < n; j++)
            y[i] += m[i * n + j] * x[j];
    }
}

/* d^T S^-1 d; INFINITY unless S is positive definite (an indefinite S would give a
 * negative distance that beats every gate) */
static double mahal(int n, const double *d, const double *s)
{
    double si[9], y[3];
    if (inv_n(n, s, si))
        return INFINITY;
    matvec(n, si, d, y);
    double r = 0;
    for (int i = 0; i < n; i++)
        r += d[i] * y[i];
    return isfinite(r) && r >= 0 ? r : INFINITY;
}

/* A covariance block (xx xy xz yy yz zz) a report may carry: positive definite (Cholesky
 * pivots > 0) with every variance between (1 mm)^2 and (10 000 km)^2, in m^2 or m^2/s^2. */
static int cov6_ok(const double c[6])
{
    double l00, l10, l20, l11, l21, d11, d22;
    for (int i = 0; i < 6; i++)
        if (!isfinite(c[i]))
            return 0;
    if (!(c[0] >= 1e-6 && c[3] >= 1e-6 && c[5] >= 1e-6 && c[0] <= 1e14 && c[3] <= 1e14 &&
          c[5] <= 1e14))
        return 0;
    l00 = sqrt(c[0]);
    l10 = c[1] / l00;
    l20 = c[2] / l00;
    d11 = c[3] - l10 * l10;
    if (!(d11 > 0))
        return 0;
    l11 = sqrt(d11);
    l21 = (c[4] - l20 * l10) / l11;
    d22 = c[5] - l20 * l20 - l21 * l21;
    return d22 > 0;
}

/* CI for a given omega: P = (w Pa^-1 + (1-w) Pb^-1)^-1, x = P (w Pa^-1 xa + (1-w) Pb^-1 xb) */
static int ci_at(int n, const double *ia, const double *ib, const double *xa, const double *xb,
                 double w, double *x, double *p)
{
    double info[9], ya[3], yb[3], y[3];
    for (int i = 0; i < n * n; i++)
        info[i] = w * ia[i] + (1.0 - w) * ib[i];
    if (inv_n(n, info, p))
        return -1;
    matvec(n, ia, xa, ya);
    matvec(n, ib, xb, yb);
    for (int i = 0; i < n; i++)
        y[i] = w * ya[i] + (1.0 - w) * yb[i];
    if (x)
        matvec(n, p, y, x);
    return 0;
}

static double trace_n(int n, const double *p)
{
    double t = 0;
    for (int i = 0; i < n; i++)
        t += p[i * n + i];
    return t;
}

int mwx_fusion_ci(int n, const double *xa, const double *pa, const double *xb, const double *pb,
                  double *x, double *p, double *omega)
{
    double ia[9], ib[9], tmp[9];
    const double g = 0.6180339887498949;
    double lo = 0.0, hi = 1.0, w;
    if (n != 2 && n != 3)
        return MWX_EINVAL;
    if (inv_n(n, pa, ia) || inv_n(n, pb, ib))
        return MWX_ERANGE;
    /* trace(P(w)) is convex in w: golden section to 1e-6. */
    double c = hi - g * (hi - lo), d = lo + g * (hi - lo), fc, fd;
    if (ci_at(n, ia, ib, xa, xb, c, NULL, tmp))
        return MWX_ERANGE;
    fc = trace_n(n, tmp);
    if (ci_at(n, ia, ib, xa, xb, d, NULL, tmp))
        return MWX_ERANGE;
    fd = trace_n(n, tmp);
    for (int it = 0; it < 40 && hi - lo > 1e-6; it++) {
        if (fc < fd) {
            hi = d;
            d = c;
            fd = fc;
            c = hi - g * (hi - lo);
            if (ci_at(n, ia, ib, xa, xb, c, NULL, tmp))
                return MWX_ERANGE;
            fc = trace_n(n, tmp);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + g * (hi - lo);
            if (ci_at(n, ia, ib, xa, xb, d, NULL, tmp))
                return MWX_ERANGE;
            fd = trace_n(n, tmp);
        }
    }
    w = 0.5 * (lo + hi);
    /* The ends are candidates too: one estimate may dominate the other outright. */
    {
        double t0, t1, tw;
        ci_at(n, ia, ib, xa, xb, 0.0, NULL, tmp);
        t0 = trace_n(n, tmp);
        ci_at(n, ia, ib, xa, xb, 1.0, NULL, tmp);
        t1 = trace_n(n, tmp);
        ci_at(n, ia, ib, xa, xb, w, NULL, tmp);
        tw = trace_n(n, tmp);
        if (t0 < tw && t0 <= t1)
            w = 0.0;
        else if (t1 < tw)
            w = 1.0;
    }
    if (ci_at(n, ia, ib, xa, xb, w, x, p))
        return MWX_ERANGE;
    if (omega)
        *omega = w;
    return MWX_OK;
}

/* ------------------------------------------------------------- propagation */

/* Propagate a source estimate to time t in ECEF: point-mass gravity, Coriolis and
 * centrifugal terms; covariance grows with the velocity uncertainty and a white
 * acceleration noise q (larger in boost, where thrust is unknown to the receiver). */
static void propagate(const mwx_rec_track_t *s, double t, double x[3], double v[3], double pp[9],
                      double pv[9])
{
    const double w = MWX_WGS84_OMEGA;
    double dt = t - s->t;
    double r = mwx_norm3(s->ecef_m);
    double q = s->phase == MWX_PHASE_BOOST ? 400.0 : 4.0; /* m^2/s^3 */
    double adt = fabs(dt);
    /* the state in steps of at most PROP_STEP_S (one step up to that: the estimate of a
     * fused track from its live members, never more than MEMBER_STALE_S apart, is what
     * it was); carried minutes on in one step (an ended track's last estimate relinked,
     * RELINK_S), gravity's turn would put it kilometres off */
    int steps = adt > PROP_STEP_S ? (int)fmin(ceil(adt / PROP_STEP_S), PROP_MAX_STEPS) : 1;
    double h = dt / steps;
    sym3_from6(s->cov_pos_m2, pp);
    sym3_from6(s->cov_vel_m2s2, pv);
    memcpy(x, s->ecef_m, sizeof(double) * 3);
    memcpy(v, s->vel_mps, sizeof(double) * 3);
    if (r < 1.0)
        return;
    for (int k = 0; k < steps; k++) {
        double rk = mwx_norm3(x), a[3];
        if (rk < 1.0)
            break;
        for (int i = 0; i < 3; i++)
            a[i] = -MWX_WGS84_GM * x[i] / (rk * rk * rk);
        a[0] += 2 * w * v[1] + w * w * x[0];
        a[1] += -2 * w * v[0] + w * w * x[1];
        for (int i = 0; i < 3; i++) {
            x[i] = x[i] + v[i] * h + 0.5 * a[i] * h * h;
            v[i] = v[i] + a[i] * h;
        }
    }
    for (int i = 0; i < 9; i++)
        pp[i] += dt * dt * pv[i];
    for (int i = 0; i < 3; i++) {
        pp[i * 4] += q * adt * adt * adt / 3.0;
        pv[i * 4] += q * adt;
    }
    /* Re-entry: the report carries no ballistic coefficient, so drag is an unknown
     * deceleration of up to rho v^2 / (2 beta) for a light re-entry body; without it two
     * nations' reports half a second apart disagree by tens of m/s in the last minute. */
    if (r < REENTRY_POLAR_RADIUS_M + 120e3) { /* else surely above 120 km: skip */
        mwx_earth_t e = mwx_earth_wgs84();
        mwx_geo_t g;
        mwx_ecef_to_geo(&e, s->ecef_m, &g);
        if (g.alt < 120e3) {
            double v2 = mwx_dot3(s->vel_mps, s->vel_mps);
            double rho = REENTRY_RHO0_KG_M3 * exp(-fmax(g.alt, 0.0) / REENTRY_SCALE_HEIGHT_M);
            double ad = rho * v2 / (2.0 * REENTRY_BETA_MIN_KG_M2); /* m/s^2 */
            double dv = ad * adt, dx = 0.5 * ad * adt * adt;
            for (int i = 0; i < 3; i++) {
                pv[i * 4] += dv * dv;
                pp[i * 4] += dx * dx;
            }
        }
    }
}

/* ------------------------------------------------------------- the table */

int mwx_fusion_create(const mwx_fusion_cfg_t *cfg, mwx_fusion_t **out, mwx_err_t *err)
{
    mwx_fusion_t *f;
    if (!cfg || cfg->capacity <= 0 || !cfg->node[0])
        return mwx_err_set(err, MWX_EINVAL, "fusion: need a node id and a capacity > 0");
    f = calloc(1, sizeof *f);
    if (!f)
        return mwx_err_set(err, MWX_ENOMEM, "fusion: out of memory");
    f->cfg = *cfg;
    if (f->cfg.gate_chi2 <= 0)
        f->cfg.gate_chi2 = DEFAULT_GATE;
    if (f->cfg.max_age_s <= 0)
        f->cfg.max_age_s = 30.0;
    f->cap = (size_t)cfg->capacity;
    f->next_id = cfg->first_num;
    f->t_clock = -INFINITY;
    f->v = calloc(f->cap, sizeof *f->v);
    if (!f->v) {
        free(f);
        return mwx_err_set(err, MWX_ENOMEM, "fusion: out of memory");
    }
    *out = f;
    return MWX_OK;
}

void mwx_fusion_destroy(mwx_fusion_t *f)
{
    if (!f)
        return;
    free(f->v);
    free(f);
}

size_t mwx_fusion_count(const mwx_fusion_t *f)
{
    return f->n;
}
uint64_t mwx_fusion_dropped(const mwx_fusion_t *f)
{
    return f->dropped;
}
uint64_t mwx_fusion_retired(const mwx_fusion_t *f)
{
    return f->retired;
}

int mwx_fusion_get(const mwx_fusion_t *f, size_t i, mwx_rec_track_t *out)
{
    if (i >= f->n)
        return MWX_ENOTFOUND;
    *out = f->v[i].out;
    return MWX_OK;
}

/* Two bits of a 64-bit filter for a member key: with at most MWX_FUSION_MAX_SOURCES
 * members a slot's filter passes ~5 % of the keys it does not hold. */
static uint64_t member_bits(uint64_t key)
{
    return ((uint64_t)1 << (key & 63)) | ((uint64_t)1 << ((key >> 6) & 63));
}

/* A member's key (mwx_id_key) is compared before its strings, and the slot's filter before
 * its member list: every report looks its member up in every fused track, and a node that
 * has run for hours keeps its table full (ended and landed fused tracks leave only when a
 * new one needs the slot): 1,024 of them, ~9 kB each, up to 8 members each. The week
 * soak: string compares were a tenth of a node's CPU; then reading the member lists (a
 * cache miss each) made a node's CPU per update grow with its age. */
static int find_source(const fused_t *fu, uint64_t key, const char *origin, const char *track_id)
{
    uint64_t bits = member_bits(key);
    if ((fu->members & bits) != bits)
        return -1;
    for (int k = 0; k < fu->n_src; k++)
        if (fu->src[k].key == key && strcmp(fu->src[k].origin, origin) == 0 &&
            strcmp(fu->src[k].track_id, track_id) == 0)
            return k;
    return -1;
}

/* A fused track that holds a live track of this origin cannot take another one: a
 * node's two live tracks are two objects. A source silent for max_age_s does not count:
 * its node has lost the object, and a new track of that node may be the same one. */
static int has_origin(const fused_t *fu, const char *origin, double t, double max_age_s)
{
    for (int k = 0; k < fu->n_src; k++)
        if (strcmp(fu->src[k].origin, origin) == 0 && t - fu->src[k].last.t <= max_age_s)
            return 1;
    return 0;
}

/* Would a new fused track of src's alone exceed its origin's share? Fused tracks whose
 * live members all come from that origin count; the node's own reports never do. A
 * bounded scan (capacity x MWX_FUSION_MAX_SOURCES), like association's. */
static int over_share(const mwx_fusion_t *f, const mwx_rec_track_t *src)
{
    int n = 0;
    if (f->cfg.per_origin <= 0 || strcmp(src->node, f->cfg.node) == 0)
        return 0;
    for (size_t i = 0; i < f->n; i++) {
        const fused_t *fu = &f->v[i];
        int mine = 0, others = 0;
        for (int k = 0; k < fu->n_src; k++) {
            if (src->t - fu->src[k].last.t > f->cfg.max_age_s)
                continue;
            if (strcmp(fu->src[k].origin, src->node) == 0)
                mine = 1;
            else
                others = 1;
        }
        if (mine && !others && ++n >= f->cfg.per_origin)
            return 1;
    }
    return 0;
}

/* The slowest a re-entry body falls: its terminal speed at sea level, sqrt(2 beta g / rho),
 * at REENTRY_BETA_MIN_KG_M2 (126 m/s); reached within that over g from rest (13 s). */
#define REENTRY_G_MPS2     9.80665
#define REENTRY_VT_MIN_MPS sqrt(2.0 * REENTRY_BETA_MIN_KG_M2 * REENTRY_G_MPS2 / REENTRY_RHO0_KG_M3)
#define REENTRY_VT_MIN_S   (REENTRY_VT_MIN_MPS / REENTRY_G_MPS2)

/* Has the body of estimate o surely come down by t? Its state carried on under gravity
 * alone to x is under the ground (below MEMBER_MIN_ALT_M), and t is later than o's body
 * could take to fall from its height at the slowest a re-entry body falls: drag, which
 * propagate() puts in the covariance only, slows a light body so that it is still
 * kilometres up when its gravity-only state is under the ground (a body of 1000 kg/m^2
 * from 20 km: after 14 s), so the ground alone would refuse it its own next report. */
static int came_down(const mwx_rec_track_t *o, double t, const double x[3])
{
    mwx_earth_t e;
    mwx_geo_t g;
    if (mwx_norm3(x) >= MWX_WGS84_A + MEMBER_MIN_ALT_M)
        return 0; /* only a point nearer the centre than the equator's surface can be under */
    e = mwx_earth_wgs84();
    mwx_ecef_to_geo(&e, x, &g);
    if (g.alt >= MEMBER_MIN_ALT_M)
        return 0;
    mwx_ecef_to_geo(&e, o->ecef_m, &g);
    return g.alt >= MEMBER_MIN_ALT_M &&
           t - o->t > fmax(g.alt, 0.0) / REENTRY_VT_MIN_MPS + REENTRY_VT_MIN_S;
}

/* 6-D chi-square distance between two estimates (a source report, a fused track), the
 * older propagated to the newer's time: symmetric, so it does not matter which came in.
 * INFINITY when the older's body has surely come down by the newer's time (came_down): it
 * is nothing the newer can be (the week soak, JP: B4L12's fused track, last heard 10 s
 * before its impact, carried 240 s on with the drag a re-entry body may meet, gated with
 * B4L13's first report 600 km off, and the warning took it for the landed missile). */
static double distance(const mwx_rec_track_t *s, const mwx_rec_track_t *o)
{
    double xf[3], vf[3], ppf[9], pvf[9], ps[9], pvs[9], d[3], dv[3], sp[9], sv[9];
    if (o->t > s->t) {
        const mwx_rec_track_t *tmp = s;
        s = o;
        o = tmp;
    }
    propagate(o, s->t, xf, vf, ppf, pvf);
    sym3_from6(s->cov_pos_m2, ps);
    sym3_from6(s->cov_vel_m2s2, pvs);
    if (came_down(o, s->t, xf))
        return INFINITY;
    for (int i = 0; i < 3; i++) {
        d[i] = s->ecef_m[i] - xf[i];
        dv[i] = s->vel_mps[i] - vf[i];
    }
    for (int i = 0; i < 9; i++) {
        sp[i] = ps[i] + ppf[i];
        sv[i] = pvs[i] + pvf[i];
    }
    return mahal(3, d, sp) + mahal(3, dv, sv);
}

/* The gate distance of estimate s to fused track fu as fu was at s's time: its past
 * estimate nearest that time when s is late (more than HIST_STEP_S older than fu) and
 * one lies within HIST_STEP_S of it, else its present one (or INFINITY when s is more
 * than max_age_s older than fu and fu has no past estimate near s's time). */
/* fu's past estimate p as a track report (for the gate) */
static void hist_track(const fused_t *fu, const hist_t *p, mwx_rec_track_t *h)
{
    *h = fu->out;
    h->t = p->t;
    h->phase = (mwx_phase_t)p->phase;
    for (int i = 0; i < 3; i++) {
        h->ecef_m[i] = p->x[i];
        h->vel_mps[i] = p->v[i];
    }
    for (int i = 0; i < 6; i++) {
        h->cov_pos_m2[i] = p->cp[i];
        h->cov_vel_m2s2[i] = p->cv[i];
    }
}

static double distance_at(const mwx_fusion_t *f, const mwx_rec_track_t *s, const fused_t *fu)
{
    const hist_t *best = NULL;
    mwx_rec_track_t h;
    if (s->t >= fu->out.t - HIST_STEP_S)
        return distance(s, &fu->out);
    for (int k = 0; k < fu->n_hist; k++) {
        const hist_t *p = &fu->hist[k];
        if (fabs(p->t - s->t) <= HIST_STEP_S && (!best || fabs(p->t - s->t) < fabs(best->t - s->t)))
            best = p;
    }
    if (!best)
        return fu->out.t - s->t > f->cfg.max_age_s ? INFINITY : distance(s, &fu->out);
    hist_track(fu, best, &h);
    return distance(s, &h);
}

/* Can estimate o be carried forward RELINK_S under gravity: a coasting body (ballistic,
 * not boost; not one the tracker says may be thrusting or lifting)? */
static int coasts(const mwx_rec_track_t *o)
{
    return o->phase == MWX_PHASE_BALLISTIC &&
           (o->klass == MWX_CLASS_UNKNOWN || o->klass == MWX_CLASS_BALLISTIC ||
            o->klass == MWX_CLASS_STAGE);
}

/* The gate distance of estimate s to the ended fused track fu: to fu as it was at s's
 * time when s is no newer (a late report: distance_at), else to fu's last estimate
 * carried forward, when it coasts and is at most RELINK_S older. */
static double ended_distance(const mwx_fusion_t *f, const mwx_rec_track_t *s, const fused_t *fu)
{
    double dt = s->t - fu->out.t;
    if (dt <= HIST_STEP_S)
        return distance_at(f, s, fu);
    if (dt > RELINK_S || !coasts(&fu->out))
        return INFINITY;
    return distance(s, &fu->out);
}

static int hist_mature(const hist_t *p)
{
    double vv = ((double)p->cv[0] + p->cv[3] + p->cv[5]) / 3.0;
    double vp = ((double)p->cp[0] + p->cp[3] + p->cp[5]) / 3.0;
    return vv <= MATURE_VEL_SIGMA_MPS * MATURE_VEL_SIGMA_MPS ||
           vp <= MATURE_POS_SIGMA_M * MATURE_POS_SIGMA_M;
}

/* The gate distance between the ended fused track e and the live one n that may carry on
 * its missile: n as it was at e's last time (distance_at), or, when n began after e went
 * silent (its oldest settled estimate is newer than e's last), e's last estimate carried
 * forward to that one (RELINK_S at most, e coasting). INFINITY when an origin has a
 * member in each that were live at once: one node's two tracks are two objects (a
 * partner's node restarted: its old track's last report comes before its new one's
 * first). */
static double successor_distance(const mwx_fusion_t *f, const fused_t *e, const fused_t *n)
{
    const hist_t *first = NULL;
    mwx_rec_track_t h;
    double d;
    for (int i = 0; i < e->n_src; i++)
        for (int k = 0; k < n->n_src; k++)
            if (strcmp(e->src[i].origin, n->src[k].origin) == 0 &&
                e->src[i].last.t >= n->src[k].first_t)
                return INFINITY;
    d = distance_at(f, &e->out, n);
    if (isfinite(d))
        return d;
    for (int k = 0; k < n->n_hist && !first; k++) {
        const hist_t *p = &n->hist[(n->hist_head + k) % HIST_N];
        if (hist_mature(p))
            first = p;
    }
    if (!first || first->t < e->out.t || first->t - e->out.t > RELINK_S || !coasts(&e->out))
        return INFINITY;
    hist_track(n, first, &h);
    return distance(&h, &e->out);
}

/* Keep fu's estimate in its history: flying ones, one per HIST_STEP_S. */
static void remember(fused_t *fu)
{
    const mwx_rec_track_t *o = &fu->out;
    hist_t *p;
    int last = (fu->hist_head + fu->n_hist - 1) % HIST_N;
    if (o->phase == MWX_PHASE_IMPACT || (fu->n_hist > 0 && o->t - fu->hist[last].t < HIST_STEP_S))
        return;
    if (fu->n_hist < HIST_N) {
        p = &fu->hist[(fu->hist_head + fu->n_hist) % HIST_N];
        fu->n_hist++;
    } else {
        p = &fu->hist[fu->hist_head];
        fu->hist_head = (fu->hist_head + 1) % HIST_N;
    }
    p->t = o->t;
    p->phase = (int)o->phase;
    for (int i = 0; i < 3; i++) {
        p->x[i] = o->ecef_m[i];
        p->v[i] = o->vel_mps[i];
    }
    for (int i = 0; i < 6; i++) {
        p->cp[i] = (float)o->cov_pos_m2[i];
        p->cv[i] = (float)o->cov_vel_m2s2[i];
    }
}

/* Impact estimate <-> 2-D Gaussian on the azimuthal-equidistant plane at ref. */
static void impact_to_gauss(const mwx_earth_t *e, double ref_lat, double ref_lon,
                            const mwx_rec_impact_est_t *im, double x[2], double c[4])
{
    double s, az;
    mwx_geodesic_inverse(e, ref_lat, ref_lon, im->lat * MWX_DEG, im->lon * MWX_DEG, &s, &az, NULL);
    x[0] = s * sin(az); /* east */
    x[1] = s * cos(az); /* north */
    double s1 = im->semi_major_km * 1e3 / sqrt(CHI2_95_2DOF);
    double s2 = im->semi_minor_km * 1e3 / sqrt(CHI2_95_2DOF);
    double th = im->orientation_deg * MWX_DEG;
    double u[2] = {sin(th), cos(th)}, w[2] = {cos(th), -sin(th)};
    /* keep it invertible even for a degenerate (point) ellipse */
    s1 = fmax(s1, 1.0);
    s2 = fmax(s2, 1.0);
    c[0] = s1 * s1 * u[0] * u[0] + s2 * s2 * w[0] * w[0];
    c[1] = s1 * s1 * u[0] * u[1] + s2 * s2 * w[0] * w[1];
    c[2] = c[1];
    c[3] = s1 * s1 * u[1] * u[1] + s2 * s2 * w[1] * w[1];
}

static void gauss_to_impact(const mwx_earth_t *e, double ref_lat, double ref_lon, const double x[2],
                            const double c[4], mwx_rec_impact_est_t *im)
{
    double s = hypot(x[0], x[1]), az = atan2(x[0], x[1]), lat, lon;
    mwx_geodesic_direct(e, ref_lat, ref_lon, az, s, &lat, &lon);
    im->lat = lat / MWX_DEG;
    im->lon = lon / MWX_DEG;
    /* eigen-decomposition of the symmetric 2x2 covariance (east, north) */
    double a = c[0], b = 0.5 * (c[1] + c[2]), d = c[3];
    double tr = a + d, det = a * d - b * b;
    double disc = sqrt(fmax(0.0, tr * tr / 4 - det));
    double l1 = tr / 2 + disc, l2 = fmax(0.0, tr / 2 - disc);
    double ve, vn;
    if (fabs(b) > 1e-12 * (fabs(a) + fabs(d))) {
        ve = l1 - d;
        vn = b;
    } else if (a >= d) {
        ve = 1;
        vn = 0;
    } else {
        ve = 0;
        vn = 1;
    }
    double th = atan2(ve, vn) / MWX_DEG; /* azimuth of the major axis */
    th = fmod(th + 360.0, 180.0);
    im->semi_major_km = sqrt(CHI2_95_2DOF * l1) / 1e3;
    im->semi_minor_km = sqrt(CHI2_95_2DOF * l2) / 1e3;
    im->orientation_deg = th;
}

/* A member report that may speak for a flying object: not its track's last word (phase
 * impact: the node has declared it down, and its state is that of its last update) and
 * not under the ground. */
static int member_flying(const mwx_rec_track_t *s)
{
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g;
    if (s->phase == MWX_PHASE_IMPACT)
        return 0;
    mwx_ecef_to_geo(&e, s->ecef_m, &g);
    return g.alt >= MEMBER_MIN_ALT_M;
}

/* Which members feed the fused estimate as of t: live[k] set for each. The live members
 * are the flying ones no more than MEMBER_STALE_S older than the freshest flying one;
 * when there is none (every member ended or gone), every member heard within max_age_s
 * (the fused track ends as its members said). Returns how many are live. */
static int live_members(const mwx_fusion_t *f, const fused_t *fu, double t, uint8_t *live)
{
    double t_fly = -INFINITY;
    int n = 0;
    for (int k = 0; k < fu->n_src; k++)
        if (member_flying(&fu->src[k].last))
            t_fly = fmax(t_fly, fu->src[k].last.t);
    for (int k = 0; k < fu->n_src; k++) {
        const mwx_rec_track_t *s = &fu->src[k].last;
        live[k] =
            t - s->t <= f->cfg.max_age_s && t_fly - s->t <= MEMBER_STALE_S && member_flying(s);
        n += live[k];
    }
    if (n == 0)
        for (int k = 0; k < fu->n_src; k++)
            live[k] = t - fu->src[k].last.t <= f->cfg.max_age_s;
    return n;
}

/* Caution order of the track classes: a fused track is what its most cautious live member
 * says (a receiver cannot tell which nation is right, and an impact prediction for a body
 * still under thrust is the worse error: issue 11). Unknown (a partner on an older
 * version) counts only when no member classifies. */
static int class_caution(mwx_track_class_t c)
{
    switch (c) {
    case MWX_CLASS_SPACE_LAUNCH: return 6;
    case MWX_CLASS_THRUSTING: return 5;
    /* a glide vehicle's footprint holds what a lifting member's reach says, and more */
    case MWX_CLASS_GLIDE: return 4;
    case MWX_CLASS_LIFTING: return 3;
    case MWX_CLASS_STAGE: return 2;
    case MWX_CLASS_BALLISTIC: return 1;
    default: return 0;
    }
}

/* The fused track holding member (origin, track_id), or NULL. */
static const fused_t *fused_of_member(const mwx_fusion_t *f, const char *origin,
                                      const char *track_id)
{
    uint64_t key = mwx_id_key(origin, track_id);
    for (size_t i = 0; i < f->n; i++)
        if (find_source(&f->v[i], key, origin, track_id) >= 0)
            return &f->v[i];
    return NULL;
}

/* Does the launch estimate l take the place of best (a fused track's best_launch)? One of a
 * better basis does (a fit to the boost, a boosting state flown back, a ballistic point of
 * origin: weakest last); one of the same basis when it is the newer (newer: the fused
 * track's own estimate, made from its members now), not when a merge brings it (the track
 * kept keeps its own). */
static int launch_better(const mwx_rec_launch_est_t *l, const mwx_rec_launch_est_t *best, int newer)
{
    return l->valid &&
           (!best->valid || l->basis > best->basis || (newer && l->basis == best->basis));
}

/* Recompute the fused estimate from the active sources, as of the newest report (and no
 * earlier than t_min, so that a fused track's time never goes back). The sources are
 * combined in their sorted order, so the result depends on which reports are held, not
 * on the order they came in. */
static void refuse(const mwx_fusion_t *f, fused_t *fu, double t_min)
{
    mwx_earth_t e = mwx_earth_wgs84();
    double x[3], v[3], pp[9], pv[9];
    int first = 1, n_imp = 0, n_launch = 0, any_boost = 0, glide = 0;
    double t = t_min;
    const mwx_rec_track_t *newest = NULL;
    double ix[2] = {0, 0}, ic[4] = {0}, ref_lat = 0, ref_lon = 0, imp_t_num = 0, imp_w = 0;
    double l_lat = 0, l_lon = 0, l_t = 0, l_w = 0;
    int l_basis = -1;
    mwx_track_class_t klass = MWX_CLASS_UNKNOWN;
    const fused_t *parent = NULL;
    mwx_rec_track_t *o = &fu->out;
    char sources[sizeof o->sources] = "";
    uint8_t live[MWX_FUSION_MAX_SOURCES];
    int n_live;

    for (int k = 0; k < fu->n_src; k++) { /* fuse as of the newest report */
        if (!newest || fu->src[k].last.t > newest->t)
            newest = &fu->src[k].last;
        t = fmax(t, fu->src[k].last.t);
    }
    n_live = live_members(f, fu, t, live);
    /* a glide vehicle's picture is its glide members' footprints: a member's ballistic
     * ellipse (one that has not classed it yet) is one edge of that footprint, and its
     * tight axes would outweigh the footprint in the fusion below */
    for (int k = 0; k < fu->n_src; k++)
        glide |= live[k] && fu->src[k].last.klass == MWX_CLASS_GLIDE;
    for (int k = 0; k < fu->n_src; k++) {
        const mwx_rec_track_t *s = &fu->src[k].last;
        double xs[3], vs[3], pps[9], pvs[9], xn[3], pn[9];
        if (!live[k])
            continue;
        propagate(s, t, xs, vs, pps, pvs);
        any_boost |= s->phase == MWX_PHASE_BOOST;
        if (class_caution(s->klass) > class_caution(klass))
            klass = s->klass;
        if (!parent && s->parent[0])
            parent = fused_of_member(f, fu->src[k].origin, s->parent);
        if (first) {
            memcpy(x, xs, sizeof x);
            memcpy(v, vs, sizeof v);
            memcpy(pp, pps, sizeof pp);
            memcpy(pv, pvs, sizeof pv);
            first = 0;
        } else {
            if (mwx_fusion_ci(3, x, pp, xs, pps, xn, pn, NULL) == MWX_OK) {
                memcpy(x, xn, sizeof x);
                memcpy(pp, pn, sizeof pp);
            }
            if (mwx_fusion_ci(3, v, pv, vs, pvs, xn, pn, NULL) == MWX_OK) {
                memcpy(v, xn, sizeof v);
                memcpy(pv, pn, sizeof pv);
            }
        }
        if (!strstr(sources, s->node)) {
            size_t len = strlen(sources);
            snprintf(sources + len, sizeof sources - len, "%s%s", len ? "," : "", s->node);
        }
        if (s->impact.valid && (!glide || s->klass == MWX_CLASS_GLIDE)) {
            double xi[2], ci[4], xn2[2], pn2[4];
            if (n_imp == 0) {
                ref_lat = s->impact.lat * MWX_DEG;
                ref_lon = s->impact.lon * MWX_DEG;
                impact_to_gauss(&e, ref_lat, ref_lon, &s->impact, ix, ic);
            } else {
                impact_to_gauss(&e, ref_lat, ref_lon, &s->impact, xi, ci);
                if (mwx_fusion_ci(2, ix, ic, xi, ci, xn2, pn2, NULL) == MWX_OK) {
                    memcpy(ix, xn2, sizeof ix);
                    memcpy(ic, pn2, sizeof ic);
                }
            }
            double wgt = 1.0 / fmax(1e-6, s->impact.semi_major_km * s->impact.semi_minor_km);
            imp_t_num += wgt * s->impact.t;
            imp_w += wgt;
            n_imp++;
        }
        /* launch: only the estimates of the best basis count (a fit to the boost beats a
         * boosting state flown back, which beats a ballistic point of origin) */
        if (s->launch.valid && (int)s->launch.basis > l_basis) {
            l_basis = (int)s->launch.basis;
            l_lat = l_lon = l_t = l_w = 0;
            n_launch = 0;
        }
        if (s->launch.valid && (int)s->launch.basis == l_basis) {
            double wgt = 1.0 / fmax(1.0, s->cov_pos_m2[0] + s->cov_pos_m2[3] + s->cov_pos_m2[5]);
            /* launch points of one missile are close: averaging lon is safe away from the
             * antimeridian, and the region has none */
            l_lat += wgt * s->launch.lat;
            l_lon += wgt * s->launch.lon;
            l_t += wgt * s->launch.t;
            l_w += wgt;
            n_launch++;
        }
    }
    if (first) /* nothing active: keep the latest report as is */
        return;
    o->t = t;
    memcpy(o->ecef_m, x, sizeof x);
    memcpy(o->vel_mps, v, sizeof v);
    sym3_to6(pp, o->cov_pos_m2);
    sym3_to6(pv, o->cov_vel_m2s2);
    /* boost while any active source still sees thrust (a receiver cannot tell which
     * nation's IMM is right, and warning early on a boosting missile is the worse error) */
    o->phase = n_live == 0 && newest->phase == MWX_PHASE_IMPACT ? MWX_PHASE_IMPACT
               : any_boost                                      ? MWX_PHASE_BOOST
                                                                : MWX_PHASE_BALLISTIC;
    o->confirmed = 0;
    for (int k = 0; k < fu->n_src; k++)
        o->confirmed |= fu->src[k].last.confirmed && !fu->ended; /* ended: out of the picture */
    mwx_strlcpy(o->sources, sources, sizeof o->sources);
    mwx_strlcpy(o->node, f->cfg.node, sizeof o->node);
    mwx_strlcpy(o->track_id, fu->id, sizeof o->track_id);
    o->impact.valid = n_imp > 0;
    if (n_imp > 0) {
        gauss_to_impact(&e, ref_lat, ref_lon, ix, ic, &o->impact);
        o->impact.t = imp_t_num / imp_w;
    }
    o->launch.valid = n_launch > 0;
    if (n_launch > 0) {
        o->launch.lat = l_lat / l_w;
        o->launch.lon = l_lon / l_w;
        o->launch.t = l_t / l_w;
        o->launch.basis = (mwx_launch_basis_t)l_basis;
    }
    /* A member that fitted the boost (the only basis good to seconds) may be lost at
     * burnout, and the track that carries the missile on, first seen in ballistic flight,
     * knows the launch only from the arc flown back, a minute or more off (soak block 0,
     * B0L45: 6 km / -0.3 s from the fit, 30 km / +77 s after). The launch does not move:
     * the best basis ever given stays until a member gives one as good. */
    if (launch_better(&o->launch, &fu->best_launch, 1))
        fu->best_launch = o->launch;
    else if (fu->best_launch.valid)
        o->launch = fu->best_launch;
    o->klass = klass;
    /* one member that may see thrust vetoes the others' impact ellipses; a lifting
     * member's corridor (its impact with the lift's reach: docs/TRACKER.md) is fused
     * with the others' ellipses like any impact. Not from the lifting members only: a
     * ballistic salvo's missile that one radar briefly classes lifting (test-salvo
     * seed 2, KR S3) then took that member's point, 30 km off, for the picture's */
    if (klass == MWX_CLASS_THRUSTING)
        o->impact.valid = 0;
    o->parent[0] = '\0';
    if (parent && parent != fu) {
        mwx_strlcpy(o->parent, parent->id, sizeof o->parent);
        /* a separated stage's launch is its parent's */
        if (parent->out.launch.valid)
            o->launch = parent->out.launch;
    }
    /* one that has come down ends on the ground at its impact point, at rest: the picture
     * must not show it flying after the impact */
    mwx_track_land_at_impact(&fu->out);
    remember(fu);
}

static int mature(const mwx_rec_track_t *t)
{
    double vv = (t->cov_vel_m2s2[0] + t->cov_vel_m2s2[3] + t->cov_vel_m2s2[5]) / 3.0;
    double vp = (t->cov_pos_m2[0] + t->cov_pos_m2[3] + t->cov_pos_m2[5]) / 3.0;
    return vv <= MATURE_VEL_SIGMA_MPS * MATURE_VEL_SIGMA_MPS ||
           vp <= MATURE_POS_SIGMA_M * MATURE_POS_SIGMA_M;
}

static void touch(mwx_fusion_t *f, const fused_t *fu, int ended)
{
    if (f->n_touched < MAX_TOUCHED) {
        f->touched[f->n_touched].trk = fu->out;
        f->touched[f->n_touched].ended = ended;
        f->n_touched++;
    }
}

/* Insert a source keeping the members sorted (origin, then track id). */
static int add_source(fused_t *fu, const source_t *s)
{
    int k = fu->n_src;
    if (k >= MWX_FUSION_MAX_SOURCES)
        return -1;
    while (k > 0) {
        const source_t *p = &fu->src[k - 1];
        int c = strcmp(p->origin, s->origin);
        if (c < 0 || (c == 0 && strcmp(p->track_id, s->track_id) < 0))
            break;
        fu->src[k] = *p;
        k--;
    }
    fu->src[k] = *s;
    fu->n_src++;
    fu->members |= member_bits(s->key);
    return k;
}

static void remove_source(fused_t *fu, int k)
{
    memmove(&fu->src[k], &fu->src[k + 1], (size_t)(fu->n_src - k - 1) * sizeof fu->src[0]);
    fu->n_src--;
    fu->members = 0;
    for (int j = 0; j < fu->n_src; j++)
        fu->members |= member_bits(fu->src[j].key);
}

/* Members of fu that cannot give up their slot as of t: heard within max_age_s, or a
 * last word (phase impact: the fused track lands by it). The others are tracks their node
 * has lost, which nothing but their own report can bring back; a fused track whose
 * partner restarted again and again (a new track id each time) filled its
 * MWX_FUSION_MAX_SOURCES slots with them and could take the next one no more: the chaos
 * long run's JP held M4 twice. */
static int kept_sources(const mwx_fusion_t *f, const fused_t *fu, double t)
{
    int n = 0;
    for (int k = 0; k < fu->n_src; k++)
        n += t - fu->src[k].last.t <= f->cfg.max_age_s || fu->src[k].last.phase == MWX_PHASE_IMPACT;
    return n;
}

/* A free member slot in fu as of t: the member silent the longest gives up its slot when
 * none is free (kept_sources says which may). Returns 0, or -1 when every slot is kept. */
static int make_room(const mwx_fusion_t *f, fused_t *fu, double t)
{
    while (fu->n_src >= MWX_FUSION_MAX_SOURCES) {
        int old = -1;
        for (int k = 0; k < fu->n_src; k++)
            if (t - fu->src[k].last.t > f->cfg.max_age_s &&
                fu->src[k].last.phase != MWX_PHASE_IMPACT &&
                (old < 0 || fu->src[k].last.t < fu->src[old].last.t))
                old = k;
        if (old < 0)
            return -1;
        remove_source(fu, old);
    }
    return 0;
}

/* Has every member of the live fused track fu been silent for max_age_s as of t? It is
 * ended for the gate then, as mwx_fusion_expire would have ended it: a restarted node's
 * first live report after its replay comes before any expiry at its time, and a silent
 * track's estimate, carried on minutes, gates with anything near its path. A landed one
 * stays as it is (expire leaves it too). */
static int silent(const mwx_fusion_t *f, const fused_t *fu, double t)
{
    double newest = -INFINITY;
    int down = 0;
    if (fu->ended || fu->out.phase == MWX_PHASE_IMPACT)
        return 0;
    for (int k = 0; k < fu->n_src; k++) {
        newest = fmax(newest, fu->src[k].last.t);
        down |= fu->src[k].last.phase == MWX_PHASE_IMPACT;
    }
    /* (one a member declared down lands instead: mwx_fusion_expire) */
    return t - newest > f->cfg.max_age_s && !(down && fu->out.impact.valid);
}

/* Remove fused track i from the table (the last one moves into its slot). */
static void remove_fused(mwx_fusion_t *f, size_t i)
{
    if (i + 1 < f->n)
        f->v[i] = f->v[f->n - 1];
    f->n--;
}

/* A new fused track, or NULL when the table is full and no fused track can be retired. */
static fused_t *new_fused(mwx_fusion_t *f, double t, mwx_err_t *err)
{
    fused_t *fu = NULL;
    if (f->n >= f->cap) {
        /* full: retire the fused track silent the longest, if every source of it has
         * been silent for max_age_s (its objects are down or lost) */
        double oldest = t - f->cfg.max_age_s;
        for (size_t i = 0; i < f->n; i++) {
            double newest = -INFINITY;
            for (int k = 0; k < f->v[i].n_src; k++)
                newest = fmax(newest, f->v[i].src[k].last.t);
            if (newest < oldest) {
                oldest = newest;
                fu = &f->v[i];
            }
        }
        if (!fu) {
            f->dropped++;
            mwx_err_set(err, MWX_EFULL, "fusion %s: table full (%zu live tracks)", f->cfg.node,
                        f->cap);
            return NULL;
        }
        f->retired++;
    } else {
        fu = &f->v[f->n++];
    }
    memset(fu, 0, sizeof *fu);
    fu->num = ++f->next_id;
    snprintf(fu->id, sizeof fu->id, "%s-F%u", f->cfg.node, fu->num);
    return fu;
}

/* How far member k of fu is from the nearest other live member, in units of the gate
 * (0 with none to compare against). */
static double disagreement(const mwx_fusion_t *f, const fused_t *fu, int k)
{
    const mwx_rec_track_t *s = &fu->src[k].last;
    double best = INFINITY;
    for (int j = 0; j < fu->n_src; j++) {
        const mwx_rec_track_t *o = &fu->src[j].last;
        if (j == k || fabs(s->t - o->t) > f->cfg.max_age_s)
            continue;
        best = fmin(best, distance(s, o) / f->cfg.gate_chi2);
    }
    /* no member to compare with, or only members that have surely come down (distance:
     * INFINITY): no witness either way. Within max_age_s (30 s) a member can only have
     * come down from below ~2 km (came_down: 126 m/s and 13 s), and a member still
     * reporting there is most likely the same body about to land (its tracker has not
     * called the impact yet): a split would open a fused track at the ground whose
     * fresh impact warning duplicates the one it had. */
    return isinf(best) ? 0.0 : best;
}

/* Can a and b become one fused track: no origin with a live track in both (as of the
 * newer of the two)? */
static int disjoint(const mwx_fusion_t *f, const fused_t *a, const fused_t *b)
{
    double t = fmax(a->out.t, b->out.t);
    if (kept_sources(f, a, t) + kept_sources(f, b, t) > MWX_FUSION_MAX_SOURCES)
        return 0;
    for (int k = 0; k < a->n_src; k++) {
        if (t - a->src[k].last.t > f->cfg.max_age_s)
            continue;
        if (has_origin(b, a->src[k].origin, t, f->cfg.max_age_s))
            return 0;
    }
    return 1;
}

/* Ended fused track e was over long before n's history begins: successor_distance(e, n)
 * is INFINITY (no estimate of n within HIST_STEP_S of e's end, n's first one more than
 * RELINK_S after it, n's last more than max_age_s after it). O(1), so that try_merge
 * passes over them before its member scans: ended tracks stay in the table until it is
 * full, and those scans over a full table made a node's CPU per update grow with its age
 * (bench/soak: 6.5 % of a 28-minute-old node's CPU, strcmp in has_origin). */
static int beyond_reach(const mwx_fusion_t *f, const fused_t *e, const fused_t *n)
{
    double n_first = n->n_hist ? fmin(n->hist[n->hist_head].t, n->out.t) : n->out.t;
    return e->out.t < n_first - HIST_STEP_S - RELINK_S && n->out.t - e->out.t > f->cfg.max_age_s;
}

/* Merge check for fused track i after its update; returns the index of the fused track
 * that now holds i's sources (i itself, or the older one it merged into). */
static size_t try_merge(mwx_fusion_t *f, size_t i)
{
    fused_t *a = &f->v[i];
    size_t best_j = f->n;
    double best = f->cfg.gate_chi2;
    int a_ended = a->ended || silent(f, a, f->t_clock);
    for (size_t j = 0; j < f->n && mature(&a->out); j++) {
        const fused_t *b = &f->v[j];
        double d;
        int b_ended;
        if (j == i || (a_ended && b->ended) || (b->ended && beyond_reach(f, b, a)) ||
            (a_ended && beyond_reach(f, a, b)) || !mature(&b->out) || !disjoint(f, a, b))
            continue;
        b_ended = b->ended || silent(f, b, f->t_clock); /* as expire would have it */
        if (a_ended && b_ended)
            continue;
        /* the older of the two against the newer as it was then: a late partner's
         * fused track (its reports recovered after a link cut) merges with the track of
         * its missile, even one that has landed since; an ended one with the track that
         * carries on its missile (it is relinked: the older id survives). a itself is
         * ended when a late report updated it: reports recovered long after their time
         * (a link cut longer than the history) open a fused track that is ended at once
         * (its members silent by the clock), and it must still fold into the track of
         * its missile once its reports reach that one's history (chaos at 33x: a 472 s
         * cut left M2 and M3 twice at JP) */
        if (b_ended)
            d = successor_distance(f, b, a);
        else if (a_ended)
            d = successor_distance(f, a, b);
        else
            d = a->out.t <= b->out.t ? distance_at(f, &a->out, b) : distance_at(f, &b->out, a);
        if (d < best) {
            best = d;
            best_j = j;
        }
    }
    if (best_j == f->n) {
        a->merge_count = 0;
        return i;
    }
    if (a->merge_with == f->v[best_j].num) {
        a->merge_count++;
    } else {
        a->merge_with = f->v[best_j].num;
        a->merge_count = 1;
    }
    if (a->merge_count < MERGE_CONFIRM)
        return i;
    {
        size_t keep = f->v[best_j].num < a->num ? best_j : i;
        size_t gone = keep == i ? best_j : i;
        fused_t *k = &f->v[keep], *g = &f->v[gone];
        double t_min = fmax(k->out.t, g->out.t);
        for (int s = 0; s < g->n_src; s++)
            if (make_room(f, k, t_min) == 0)
                add_source(k, &g->src[s]);
        if (launch_better(&g->best_launch, &k->best_launch, 0))
            k->best_launch = g->best_launch;
        if (k->ended && !g->ended)
            f->relinked++;
        k->ended = k->ended && g->ended;
        k->merge_count = 0;
        k->merge_with = 0;
        refuse(f, k, t_min);
        g->out.confirmed = 0; /* reported one last time, as no longer a track of its own */
        touch(f, g, 1);
        f->merged++;
        remove_fused(f, gone);
        if (keep == f->n) /* the last slot moved into gone's */
            keep = gone;
        return keep;
    }
}

int mwx_fusion_update(mwx_fusion_t *f, const mwx_rec_track_t *src, mwx_rec_track_t *fused,
                      mwx_err_t *err)
{
    fused_t *fu = NULL, *left = NULL;
    int slot = -1;
    source_t moving;
    uint64_t key;

    f->n_touched = 0;
    /* a report that could not be a Gaussian estimate would steer association and merges
     * (a negative distance beats every gate): refused */
    if (!cov6_ok(src->cov_pos_m2) || !cov6_ok(src->cov_vel_m2s2) || !isfinite(src->t) ||
        !isfinite(mwx_dot3(src->ecef_m, src->ecef_m)) ||
        !isfinite(mwx_dot3(src->vel_mps, src->vel_mps))) {
        f->rejected++;
        return mwx_err_set(err, MWX_EINVAL,
                           "fusion %s: track %s of %s refused: covariance not positive "
                           "definite or out of range",
                           f->cfg.node, src->track_id, src->node);
    }
    f->t_clock = fmax(f->t_clock, src->t);
    key = mwx_id_key(src->node, src->track_id);
    /* 1. a source already mapped stays with its fused track (stable ids) while its
     *    reports agree with the other members' (an ended one's too: it relinks) */
    for (size_t i = 0; i < f->n && !fu; i++) {
        int k = find_source(&f->v[i], key, src->node, src->track_id);
        if (k >= 0) {
            fu = &f->v[i];
            slot = k;
        }
    }
    if (fu) {
        source_t *s = &fu->src[slot];
        s->first_t = fmin(s->first_t, src->t);
        /* out-of-order reports from one source never move its estimate backwards */
        if (src->t < s->last.t) {
            if (fused)
                *fused = fu->out;
            return MWX_OK;
        }
        s->last = *src;
        /* a track's last word (it has come down) ends it where it is: never a split */
        double far = src->phase == MWX_PHASE_IMPACT ? 0.0 : disagreement(f, fu, slot);
        if (far < SPLIT_GATE_FACTOR) {
            s->strikes = 0;
        } else if (++s->strikes >= SPLIT_STRIKES || far > SPLIT_NOW_FACTOR) {
            moving = *s;
            moving.strikes = 0;
            remove_source(fu, slot);
            fu->best_launch.valid = 0; /* the leaver's may be another missile's */
            refuse(f, fu, fu->out.t);
            touch(f, fu, 0);
            f->split++;
            left = fu;
            fu = NULL;
            slot = -1;
        }
    } else {
        memset(&moving, 0, sizeof moving);
        mwx_strlcpy(moving.origin, src->node, sizeof moving.origin);
        mwx_strlcpy(moving.track_id, src->track_id, sizeof moving.track_id);
        moving.key = key;
        moving.last = *src;
        moving.first_t = src->t;
    }
    /* 2. a new or departing source: the nearest fused track inside the gate that has no
     *    live track of this origin (a node's two tracks are two objects); failing one
     *    in the picture, an ended one it carries on (ended_distance) */
    if (!fu) {
        double best = f->cfg.gate_chi2;
        for (int pass = 0; pass < 2 && !fu; pass++) {
            for (size_t i = 0; i < f->n && mature(src); i++) {
                const fused_t *c = &f->v[i];
                double d;
                /* (an ended one more than RELINK_S older: ended_distance is INFINITY;
                 * most of a full table, passed over before its member lists are read) */
                if (c == left || (pass && src->t - c->out.t > RELINK_S) ||
                    (c->ended || silent(f, c, src->t)) != pass ||
                    kept_sources(f, c, src->t) >= MWX_FUSION_MAX_SOURCES ||
                    has_origin(c, src->node, src->t, f->cfg.max_age_s))
                    continue;
                d = pass ? ended_distance(f, src, c) : distance_at(f, src, c);
                if (d < best) {
                    best = d;
                    fu = &f->v[i];
                }
            }
        }
        /* 3. otherwise a new fused track, within the partner's share */
        if (!fu && over_share(f, src)) {
            f->dropped++;
            return mwx_err_set(err, MWX_EFULL,
                               "fusion %s: %s holds its share of %d tracks "
                               "only it reports; %s dropped",
                               f->cfg.node, src->node, f->cfg.per_origin, src->track_id);
        }
        if (!fu && !(fu = new_fused(f, src->t, err)))
            return MWX_EFULL;
        (void)make_room(f, fu, src->t); /* the gate took it only with room (kept_sources) */
        add_source(fu, &moving);
    }
    /* an ended fused track is back in the picture with a member's live report, or its
     * last word (a missile that came down while its reports were held up lands) */
    if (fu->ended && (src->t >= f->t_clock - f->cfg.max_age_s || src->phase == MWX_PHASE_IMPACT)) {
        fu->ended = 0;
        f->relinked++;
    }
    refuse(f, fu, fmax(fu->out.t, src->t));
    {
        size_t i = (size_t)(fu - f->v);
        i = try_merge(f, i);
        fu = &f->v[i];
    }
    if (fused)
        *fused = fu->out;
    return MWX_OK;
}

size_t mwx_fusion_expire(mwx_fusion_t *f, double t)
{
    f->n_touched = 0;
    if (isfinite(t))
        f->t_clock = fmax(f->t_clock, t);
    for (size_t i = 0; i < f->n && f->n_touched < MAX_TOUCHED; i++) {
        fused_t *fu = &f->v[i];
        double newest = -INFINITY;
        int down = 0;
        if (fu->ended || fu->out.phase == MWX_PHASE_IMPACT)
            continue;
        for (int k = 0; k < fu->n_src; k++) {
            newest = fmax(newest, fu->src[k].last.t);
            down |= fu->src[k].last.phase == MWX_PHASE_IMPACT;
        }
        if (!(f->t_clock - newest > f->cfg.max_age_s))
            continue;
        if (down && fu->out.impact.valid) {
            /* a member declared it down and the others went silent after (a node killed
             * before its own last word): it lands, as its members said */
            fu->out.phase = MWX_PHASE_IMPACT;
            mwx_track_land_at_impact(&fu->out);
            touch(f, fu, 0);
        } else {
            fu->ended = 1;
            fu->out.confirmed = 0;
            fu->merge_count = 0;
            f->ended++;
            touch(f, fu, 1);
        }
    }
    return f->n_touched;
}

uint64_t mwx_fusion_ended(const mwx_fusion_t *f)
{
    return f->ended;
}
uint64_t mwx_fusion_relinked(const mwx_fusion_t *f)
{
    return f->relinked;
}

size_t mwx_fusion_touched(const mwx_fusion_t *f, size_t i, mwx_rec_track_t *trk, int *ended)
{
    if (i < f->n_touched) {
        if (trk)
            *trk = f->touched[i].trk;
        if (ended)
            *ended = f->touched[i].ended;
    }
    return f->n_touched;
}

uint64_t mwx_fusion_merged(const mwx_fusion_t *f)
{
    return f->merged;
}
uint64_t mwx_fusion_rejected(const mwx_fusion_t *f)
{
    return f->rejected;
}
uint64_t mwx_fusion_split(const mwx_fusion_t *f)
{
    return f->split;
}
