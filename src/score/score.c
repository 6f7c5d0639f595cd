/* Scoring: associate tracks with truth, then the figures of the Report (docs/SCORING.md). */
#include "core/grow.h"
#include "mwx/score.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mwx_score_opts_default(mwx_score_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->gate_m = 10000.0;
    o->ospa_c_m = 10000.0;
    o->ospa_p = 2.0;
    o->gospa_alpha = 2.0;
    o->stale_s = 10.0;
    o->earth = mwx_earth_wgs84();
}

void mwx_score_opts_from_scenario(mwx_score_opts_t *o, const char *scenario_json)
{
    if (!scenario_json)
        return;
    json_error_t je;
    json_t *root = json_loads(scenario_json, 0, &je);
    if (!root)
        return;
    const char *earth =
        json_string_value(json_object_get(json_object_get(root, "physics"), "earth"));
    if (earth && strcmp(earth, "spherical") == 0)
        o->earth = mwx_earth_sphere();
    else if (earth && strcmp(earth, "wgs84") == 0)
        o->earth = mwx_earth_wgs84();
    json_decref(root);
}

/* ------------------------------------------------------------------ internal tables */

typedef struct obj {
    char id[MWX_ID_LEN];
    char launch[MWX_ID_LEN]; /* truth `launch`; the object id in older recordings */
    int lix;                 /* index of its launch in ctx_t.lau */
    mwx_rec_truth_t *s;
    size_t n, cap;
    double *meas_t; /* times of the measurements of this object, sorted */
    size_t n_meas, cap_meas;
} obj_t;

typedef struct trk {
    char node[MWX_ID_LEN];
    char id[MWX_ID_LEN];
    int node_ix;               /* its picture: index into ctx_t.node */
    const mwx_rec_track_t **r; /* confirmed records, time order */
    size_t n, cap;
    size_t cursor; /* grid walk: index of the next record not yet reached */
    int *votes;    /* grid steps assigned to each object */
    int obj;       /* -1: false track */
} trk_t;

typedef struct ctx {
    obj_t *obj;
    size_t n_obj, cap_obj;
    trk_t *trk;
    size_t n_trk, cap_trk;
    /* Pictures: a node's own tracks and its fused tracks are two pictures of the same sky,
     * scored apart (they would otherwise compete for the same objects). */
    struct picture {
        char node[MWX_ID_LEN];
        int fused;
    } * node;
    size_t n_node, cap_node;
    int have_meas; /* any measurement of a truth object at all */
    /* Launches: the objects sharing a `launch`, in order of first appearance; the
     * vehicle (object id = launch id, else the first member) is `primary`. */
    struct lau {
        char id[MWX_ID_LEN];
        int primary;
        int *member;
        int n_member;
    } * lau;
    size_t n_lau;
    int *alert_trk; /* per record: the track an alert names, -1 none */
} ctx_t;

/* A fused track's id is "<node>-F<n>" (node.h); an own track's "<node>-<n>". */
static int is_fused_id(const char *id)
{
    const char *dash = strrchr(id, '-');
    if (!dash || dash[1] != 'F' || !dash[2])
        return 0;
    for (const char *p = dash + 2; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

static void ctx_free(ctx_t *c)
{
    for (size_t i = 0; i < c->n_obj; i++) {
        free(c->obj[i].s);
        free(c->obj[i].meas_t);
    }
    for (size_t i = 0; i < c->n_trk; i++) {
        free(c->trk[i].r);
        free(c->trk[i].votes);
    }
    for (size_t i = 0; i < c->n_lau; i++)
        free(c->lau[i].member);
    free(c->obj);
    free(c->trk);
    free(c->node);
    free(c->lau);
    free(c->alert_trk);
}

static int find_obj(const ctx_t *c, const char *id)
{
    for (size_t i = 0; i < c->n_obj; i++)
        if (strcmp(c->obj[i].id, id) == 0)
            return (int)i;
    return -1;
}

static int find_trk(const ctx_t *c, const char *node, const char *id)
{
    for (size_t i = 0; i < c->n_trk; i++)
        if (strcmp(c->trk[i].id, id) == 0 && (!node || strcmp(c->trk[i].node, node) == 0))
            return (int)i;
    return -1;
}

static int cmp_truth(const void *a, const void *b)
{
    double ta = ((const mwx_rec_truth_t *)a)->t, tb = ((const mwx_rec_truth_t *)b)->t;
    return (ta > tb) - (ta < tb);
}

static int cmp_trackp(const void *a, const void *b)
{
    double ta = (*(const mwx_rec_track_t *const *)a)->t;
    double tb = (*(const mwx_rec_track_t *const *)b)->t;
    return (ta > tb) - (ta < tb);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int finite3(const double v[3])
{
    return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]);
}

/* Group the objects by launch (objects are in order of first appearance already). */
static int group_launches(ctx_t *c)
{
    c->lau = calloc(c->n_obj ? c->n_obj : 1, sizeof *c->lau);
    if (!c->lau)
        return MWX_ENOMEM;
    for (size_t i = 0; i < c->n_obj; i++) {
        size_t L = 0;
        while (L < c->n_lau && strcmp(c->lau[L].id, c->obj[i].launch) != 0)
            L++;
        struct lau *la = &c->lau[L];
        if (L == c->n_lau) {
            c->n_lau++;
            mwx_strlcpy(la->id, c->obj[i].launch, sizeof la->id);
            la->primary = -1;
            la->member = calloc(c->n_obj, sizeof *la->member);
            if (!la->member)
                return MWX_ENOMEM;
        }
        la->member[la->n_member++] = (int)i;
        c->obj[i].lix = (int)L;
        if (strcmp(c->obj[i].id, la->id) == 0)
            la->primary = (int)i;
    }
    for (size_t L = 0; L < c->n_lau; L++)
        if (c->lau[L].primary < 0)
            c->lau[L].primary = c->lau[L].member[0];
    return 0;
}

static int collect(ctx_t *c, const mwx_record_t *recs, size_t n, const mwx_score_opts_t *o)
{
    for (size_t i = 0; i < n; i++) {
        const mwx_record_t *r = &recs[i];
        if (r->type == MWX_REC_TRUTH) {
            /* Non-finite numbers (a damaged or hostile file) are left out, never scored. */
            if (!isfinite(r->u.truth.t) || !finite3(r->u.truth.ecef_m) ||
                !finite3(r->u.truth.vel_mps))
                continue;
            int k = find_obj(c, r->u.truth.object);
            if (k < 0) {
                if (mwxi_grow(&c->obj, &c->cap_obj, c->n_obj + 1, sizeof *c->obj, 16))
                    return MWX_ENOMEM;
                k = (int)c->n_obj++;
                memset(&c->obj[k], 0, sizeof c->obj[k]);
                mwx_strlcpy(c->obj[k].id, r->u.truth.object, sizeof c->obj[k].id);
                /* a stage names its parent; older recordings name no launch */
                const char *lid = r->u.truth.launch;
                if (!memchr(lid, '\0', MWX_ID_LEN) || !lid[0])
                    lid = c->obj[k].id;
                mwx_strlcpy(c->obj[k].launch, lid, sizeof c->obj[k].launch);
            }
            obj_t *ob = &c->obj[k];
            if (mwxi_grow(&ob->s, &ob->cap, ob->n + 1, sizeof *ob->s, 16))
                return MWX_ENOMEM;
            ob->s[ob->n++] = r->u.truth;
        } else if (r->type == MWX_REC_TRACK) {
            const mwx_rec_track_t *tr = &r->u.track;
            if (!tr->confirmed || !isfinite(tr->t) || !finite3(tr->ecef_m) || !finite3(tr->vel_mps))
                continue;
            if (o->node && strcmp(o->node, tr->node) != 0)
                continue;
            int k = find_trk(c, tr->node, tr->track_id);
            if (k < 0) {
                if (mwxi_grow(&c->trk, &c->cap_trk, c->n_trk + 1, sizeof *c->trk, 16))
                    return MWX_ENOMEM;
                k = (int)c->n_trk++;
                trk_t *t = &c->trk[k];
                memset(t, 0, sizeof *t);
                mwx_strlcpy(t->node, tr->node, sizeof t->node);
                mwx_strlcpy(t->id, tr->track_id, sizeof t->id);
                t->obj = -1;
                t->node_ix = -1;
                int fused = is_fused_id(tr->track_id);
                for (size_t j = 0; j < c->n_node; j++)
                    if (strcmp(c->node[j].node, tr->node) == 0 && c->node[j].fused == fused)
                        t->node_ix = (int)j;
                if (t->node_ix < 0) {
                    if (mwxi_grow(&c->node, &c->cap_node, c->n_node + 1, sizeof *c->node, 16))
                        return MWX_ENOMEM;
                    mwx_strlcpy(c->node[c->n_node].node, tr->node, MWX_ID_LEN);
                    c->node[c->n_node].fused = fused;
                    t->node_ix = (int)c->n_node++;
                }
            }
            trk_t *t = &c->trk[k];
            if (mwxi_grow(&t->r, &t->cap, t->n + 1, sizeof *t->r, 16))
                return MWX_ENOMEM;
            t->r[t->n++] = tr;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const mwx_rec_meas_t *m = &recs[i].u.meas;
        if (recs[i].type != MWX_REC_MEAS || !m->truth_object[0] || !isfinite(m->t))
            continue;
        int k = find_obj(c, m->truth_object);
        if (k < 0)
            continue;
        obj_t *ob = &c->obj[k];
        if (mwxi_grow(&ob->meas_t, &ob->cap_meas, ob->n_meas + 1, sizeof *ob->meas_t, 16))
            return MWX_ENOMEM;
        ob->meas_t[ob->n_meas++] = m->t;
        c->have_meas = 1;
    }
    for (size_t i = 0; i < c->n_obj; i++) {
        obj_t *ob = &c->obj[i];
        if (ob->n_meas)
            qsort(ob->meas_t, ob->n_meas, sizeof *ob->meas_t, cmp_double);
        qsort(ob->s, ob->n, sizeof *ob->s, cmp_truth);
        /* Drop duplicate times (the same truth from two inputs). */
        size_t w = 0;
        for (size_t j = 0; j < ob->n; j++)
            if (w == 0 || ob->s[j].t > ob->s[w - 1].t)
                ob->s[w++] = ob->s[j];
        ob->n = w;
    }
    for (size_t i = 0; i < c->n_trk; i++) {
        trk_t *t = &c->trk[i];
        qsort(t->r, t->n, sizeof *t->r, cmp_trackp);
        t->votes = calloc(c->n_obj ? c->n_obj : 1, sizeof *t->votes);
        if (!t->votes)
            return MWX_ENOMEM;
    }
    return group_launches(c);
}

/* ------------------------------------------------------------------ association + OSPA */

/* Some sensor saw object ob within [t - window, t]. */
static int detected(const obj_t *ob, double t, double window)
{
    size_t lo = 0, hi = ob->n_meas; /* first measurement at or after t - window */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ob->meas_t[mid] < t - window)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ob->n_meas && ob->meas_t[lo] <= t;
}

typedef struct sums {
    double ospa, gospa;
    size_t steps;
} sums_t;

static int add_ospa(sums_t *s, const double (*x)[3], int nx, const double (*y)[3], int ny,
                    const mwx_score_opts_t *o)
{
    if (nx == 0 && ny == 0)
        return 0;
    double os = mwx_score_ospa(x, nx, y, ny, o->ospa_c_m, o->ospa_p);
    double gs = mwx_score_gospa(x, nx, y, ny, o->ospa_c_m, o->ospa_p, o->gospa_alpha);
    if (isnan(os) || isnan(gs))
        return MWX_ENOMEM;
    s->ospa += os;
    s->gospa += gs;
    s->steps++;
    return 0;
}

static void set_ospa(mwx_score_tracking_t *t, const sums_t *det, const sums_t *all)
{
    t->n_steps = det->steps;
    t->ospa_m = det->steps ? det->ospa / (double)det->steps : NAN;
    t->gospa_m = det->steps ? det->gospa / (double)det->steps : NAN;
    t->n_steps_in_flight = all->steps;
    t->ospa_in_flight_m = all->steps ? all->ospa / (double)all->steps : NAN;
    t->gospa_in_flight_m = all->steps ? all->gospa / (double)all->steps : NAN;
}

static int associate(ctx_t *c, const mwx_score_opts_t *o, mwx_score_tracking_t *tk,
                     mwx_score_picture_t *pics)
{
    /* The grid: every distinct truth time. */
    size_t ng = 0;
    for (size_t i = 0; i < c->n_obj; i++)
        ng += c->obj[i].n;
    double *grid = malloc((ng ? ng : 1) * sizeof *grid);
    size_t nt = c->n_trk ? c->n_trk : 1, no = c->n_obj ? c->n_obj : 1;
    double(*tx)[3] = malloc(nt * sizeof *tx);
    double(*ox)[3] = malloc(no * sizeof *ox), (*dx)[3] = malloc(no * sizeof *dx);
    int *tix = malloc(nt * sizeof *tix), *oix = malloc(no * sizeof *oix);
    double *cost = malloc(nt * no * sizeof *cost);
    int *r2c = malloc(nt * sizeof *r2c);
    int rc = 0;
    if (!grid || !tx || !ox || !dx || !tix || !oix || !cost || !r2c) {
        rc = MWX_ENOMEM;
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->n_obj; i++)
        for (size_t j = 0; j < c->obj[i].n; j++)
            grid[k++] = c->obj[i].s[j].t;
    qsort(grid, ng, sizeof *grid, cmp_double);
    size_t w = 0;
    for (size_t i = 0; i < ng; i++)
        if (w == 0 || grid[i] > grid[w - 1])
            grid[w++] = grid[i];
    ng = w;

    sums_t det = {0, 0, 0}, all = {0, 0, 0};
    for (size_t nd = 0; nd < c->n_node; nd++) {
        sums_t p_det = {0, 0, 0}, p_all = {0, 0, 0};
        double t0 = INFINITY, t1 = -INFINITY;
        for (size_t i = 0; i < c->n_trk; i++) {
            trk_t *t = &c->trk[i];
            if (t->node_ix != (int)nd || t->n == 0)
                continue;
            t0 = fmin(t0, t->r[0]->t);
            t1 = fmax(t1, t->r[t->n - 1]->t);
            t->cursor = 0;
        }
        for (size_t g = 0; g < ng; g++) {
            double t = grid[g];
            if (t < t0 || t > t1)
                continue;
            int n_t = 0, n_o = 0;
            for (size_t i = 0; i < c->n_trk; i++) {
                trk_t *tr = &c->trk[i];
                if (tr->node_ix != (int)nd)
                    continue;
                while (tr->cursor < tr->n && tr->r[tr->cursor]->t <= t)
                    tr->cursor++;
                if (tr->cursor == 0)
                    continue;
                const mwx_rec_track_t *r = tr->r[tr->cursor - 1];
                double dt = t - r->t;
                if (dt > o->stale_s)
                    continue;
                for (int a = 0; a < 3; a++)
                    tx[n_t][a] = r->ecef_m[a] + r->vel_mps[a] * dt;
                tix[n_t++] = (int)i;
            }
            int n_d = 0;
            for (size_t i = 0; i < c->n_obj; i++)
                if (mwx_score_truth_at(c->obj[i].s, c->obj[i].n, t, ox[n_o], NULL) == 0) {
                    if (!c->have_meas || detected(&c->obj[i], t, o->stale_s))
                        memcpy(dx[n_d++], ox[n_o], sizeof dx[0]);
                    oix[n_o++] = (int)i;
                }
            if (n_t == 0 && n_o == 0)
                continue;
            /* GNN: minimum total squared distance, a pair beyond the gate costs as much as
             * leaving both unassigned, and is dropped afterwards. */
            double g2 = o->gate_m * o->gate_m;
            for (int i = 0; i < n_t; i++)
                for (int j = 0; j < n_o; j++) {
                    double d[3] = {tx[i][0] - ox[j][0], tx[i][1] - ox[j][1], tx[i][2] - ox[j][2]};
                    cost[(size_t)i * (size_t)n_o + (size_t)j] = fmin(mwx_dot3(d, d), g2);
                }
            if (n_t && n_o) {
                if (isnan(mwx_score_assign(cost, n_t, n_o, r2c))) {
                    rc = MWX_ENOMEM;
                    goto out;
                }
                for (int i = 0; i < n_t; i++)
                    if (r2c[i] >= 0 && cost[(size_t)i * (size_t)n_o + (size_t)r2c[i]] < g2)
                        c->trk[tix[i]].votes[oix[r2c[i]]]++;
            }
            const double(*txc)[3] = (const double(*)[3])tx;
            if (add_ospa(&p_det, txc, n_t, (const double(*)[3])dx, n_d, o) ||
                add_ospa(&p_all, txc, n_t, (const double(*)[3])ox, n_o, o)) {
                rc = MWX_ENOMEM;
                goto out;
            }
        }
        set_ospa(&pics[nd].tracking, &p_det, &p_all);
        det.ospa += p_det.ospa;
        det.gospa += p_det.gospa;
        det.steps += p_det.steps;
        all.ospa += p_all.ospa;
        all.gospa += p_all.gospa;
        all.steps += p_all.steps;
    }
    set_ospa(tk, &det, &all);
    for (size_t i = 0; i < c->n_trk; i++) {
        trk_t *t = &c->trk[i];
        int best = -1;
        for (size_t j = 0; j < c->n_obj; j++)
            if (t->votes[j] > 0 && (best < 0 || t->votes[j] > t->votes[best]))
                best = (int)j;
        t->obj = best;
        pics[t->node_ix].tracking.n_tracks++;
        if (best < 0) {
            tk->n_false_tracks++;
            pics[t->node_ix].tracking.n_false_tracks++;
        }
    }
    tk->n_tracks = c->n_trk;
out:
    free(grid);
    free(tx);
    free(ox);
    free(dx);
    free(tix);
    free(oix);
    free(cost);
    free(r2c);
    return rc;
}

/* ------------------------------------------------------------------ RMSE, NEES */

/* x' P^-1 x for a symmetric 3x3 P given as xx xy xz yy yz zz; NAN when P is not positive
 * definite. */
static double mahal3(const double p6[6], const double x[3])
{
    double a = p6[0], b = p6[1], cc = p6[2], d = p6[3], e = p6[4], f = p6[5];
    double A = d * f - e * e, B = -(b * f - cc * e), C = b * e - cc * d;
    double det = a * A + b * B + cc * C;
    if (!(a > 0) || !(a * d - b * b > 0) || !(det > 0))
        return NAN;
    double D = a * f - cc * cc, E = -(a * e - b * cc), F = a * d - b * b;
    double q = A * x[0] * x[0] + D * x[1] * x[1] + F * x[2] * x[2] +
               2 * (B * x[0] * x[1] + C * x[0] * x[2] + E * x[1] * x[2]);
    return q / det;
}

/* Over every picture (pic < 0) or one. */
static void accuracy(const ctx_t *c, int pic, mwx_score_tracking_t *tk)
{
    double sp = 0, sv = 0, sn = 0, snv = 0;
    size_t n = 0, nn = 0, nnv = 0;
    for (size_t i = 0; i < c->n_trk; i++) {
        const trk_t *t = &c->trk[i];
        if (t->obj < 0 || (pic >= 0 && t->node_ix != pic))
            continue;
        const obj_t *ob = &c->obj[t->obj];
        for (size_t j = 0; j < t->n; j++) {
            const mwx_rec_track_t *r = t->r[j];
            double p[3], v[3], dp[3], dv[3];
            if (mwx_score_truth_at(ob->s, ob->n, r->t, p, v) != 0)
                continue;
            for (int a = 0; a < 3; a++) {
                dp[a] = r->ecef_m[a] - p[a];
                dv[a] = r->vel_mps[a] - v[a];
            }
            sp += mwx_dot3(dp, dp);
            sv += mwx_dot3(dv, dv);
            n++;
            double q = mahal3(r->cov_pos_m2, dp);
            if (isfinite(q)) {
                sn += q;
                nn++;
            }
            if (r->cov_vel_m2s2[0] > 0) {
                q = mahal3(r->cov_vel_m2s2, dv);
                if (isfinite(q)) {
                    snv += q;
                    nnv++;
                }
            }
        }
    }
    tk->n_records = n;
    tk->n_nees = nn;
    tk->pos_rmse_m = n ? sqrt(sp / (double)n) : NAN;
    tk->vel_rmse_mps = n ? sqrt(sv / (double)n) : NAN;
    tk->nees = nn ? sn / (double)nn : NAN;
    tk->nees_vel = nnv ? snv / (double)nnv : NAN;
}

/* ------------------------------------------------------------------ per launch */

static double geodesic_km(const mwx_earth_t *e, double lat1_deg, double lon1_deg, double lat2_deg,
                          double lon2_deg)
{
    double s, a1, a2;
    mwx_geodesic_inverse(e, lat1_deg * MWX_DEG, lon1_deg * MWX_DEG, lat2_deg * MWX_DEG,
                         lon2_deg * MWX_DEG, &s, &a1, &a2);
    return s / 1000.0;
}

/* A tracker drops a track after this long without an update, unless its own predicted
 * impact is still to come (it coasts to it): mwx_tracker_cfg_default's delete_timeout_s. */
#define TRACK_DROP_S 15.0

/* Has track t ended by time tm: its latest record by then is its last word (phase
 * impact), or it has been silent for TRACK_DROP_S past its own predicted impact? A
 * dropped track's last prediction is no estimate of anyone's at tm (issue 12: a 1,616 km
 * "error" scored from a track dropped long before). */
static int track_ended_by(const trk_t *t, double tm)
{
    for (size_t j = t->n; j-- > 0;) {
        const mwx_rec_track_t *r = t->r[j];
        if (r->t > tm)
            continue;
        if (r->phase == MWX_PHASE_IMPACT)
            return 1;
        return tm - r->t > TRACK_DROP_S && !(r->impact.valid && r->impact.t >= tm);
    }
    return 0;
}

/* The latest record at or before t_max, over every track assigned to object k (k >= 0)
 * or to any object of launch L (k < 0), that has a valid impact (want_impact) or launch
 * estimate. */
static const mwx_rec_track_t *latest_estimate(const ctx_t *c, int k, int L, double t_max,
                                              int want_impact)
{
    const mwx_rec_track_t *best = NULL;
    for (size_t i = 0; i < c->n_trk; i++) {
        const trk_t *t = &c->trk[i];
        if (t->obj < 0 || (k >= 0 ? t->obj != k : c->obj[t->obj].lix != L) ||
            (want_impact && track_ended_by(t, t_max)))
            continue;
        for (size_t j = t->n; j-- > 0;) {
            const mwx_rec_track_t *r = t->r[j];
            if (r->t > t_max)
                continue;
            if (want_impact ? !r->impact.valid : !r->launch.valid)
                continue;
            /* under thrust the "impact" is where it would fall if the motor stopped now:
             * no prediction (the warning policy waits for burnout too) */
            if (want_impact && r->phase == MWX_PHASE_BOOST)
                break;
            if (!best || r->t > best->t)
                best = r;
            break;
        }
    }
    return best;
}

/* The track an alert identifier names: "mwx.<node>[.<run>].<track>.<kind>.<seq>", track
 * ids with anything outside [A-Za-z0-9_-] replaced by '_' (warn.h). -1 when none. */
static int alert_track(const ctx_t *c, const mwx_rec_alert_t *a)
{
    const char *id = a->identifier;
    size_t len = strnlen(id, sizeof a->identifier);
    if (len < 4 || strncmp(id, "mwx.", 4) != 0)
        return -1;
    /* The third field from the end. */
    size_t end = len;
    int dots = 0;
    while (end > 0 && dots < 2)
        if (id[--end] == '.')
            dots++;
    if (dots < 2)
        return -1;
    size_t start = end;
    while (start > 0 && id[start - 1] != '.')
        start--;
    size_t tl = end - start;
    for (size_t i = 0; i < c->n_trk; i++) {
        const trk_t *t = &c->trk[i];
        if (strcmp(t->node, a->node) != 0 || strlen(t->id) != tl)
            continue;
        size_t j = 0;
        for (; j < tl; j++) {
            char ch = t->id[j];
            int keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
            if ((keep ? ch : '_') != id[start + j])
                break;
        }
        if (j == tl)
            return (int)i;
    }
    return -1;
}

static int is_cap_warning(const mwx_rec_alert_t *a)
{
    size_t n = strnlen(a->file, sizeof a->file);
    return n >= 8 && n < sizeof a->file && strcmp(a->file + n - 8, ".cap.xml") == 0 &&
           a->msg_type != MWX_MSG_CANCEL;
}

/* Rank of a region result when two objects of a launch name the same region: a real
 * impact threat (the vehicle's, then a stage's drop zone) over an overflight over a
 * region merely warned. */
static int region_rank(const mwx_score_region_t *g, int from_primary)
{
    if (!g->threatened)
        return 0;
    if (g->kind == MWX_ALERT_OVERFLIGHT)
        return 1;
    return from_primary ? 3 : 2;
}

/* Merge one object's region results into the launch's. rank[] parallels l->regions. */
static void merge_regions(mwx_score_launch_t *l, int *rank, const mwx_score_region_t *in, int n_in,
                          const char *object, int from_primary)
{
    for (int i = 0; i < n_in; i++) {
        mwx_score_region_t g = in[i];
        g.id[MWX_ID_LEN - 1] = '\0';
        mwx_strlcpy(g.object, object, sizeof g.object);
        /* a spent stage falling on a region: its warnings are drop-zone warnings */
        if (!from_primary && g.kind == MWX_ALERT_IMPACT)
            g.kind = MWX_ALERT_DROP_ZONE;
        int rk = region_rank(&g, from_primary), j = 0;
        while (j < l->n_regions && strcmp(l->regions[j].id, g.id) != 0)
            j++;
        if (j == l->n_regions) {
            if (l->n_regions >= MWX_SCORE_MAX_REGIONS)
                continue;
            l->regions[l->n_regions] = g;
            rank[l->n_regions++] = rk;
            continue;
        }
        mwx_score_region_t *e = &l->regions[j];
        double notice = fmin(e->t_launch_notice, g.t_launch_notice); /* fmin skips NAN */
        if (rk > rank[j] || (rk == rank[j] && rk > 0 && g.t_event < e->t_event)) {
            *e = g;
            rank[j] = rk;
        } else if (rk == 0 && rank[j] == 0 && !(e->t_first_alert <= g.t_first_alert)) {
            e->t_first_alert = g.t_first_alert; /* warned, never threatened: the first */
        }
        e->t_launch_notice = notice;
    }
}

static int regions(const ctx_t *c, int L, const mwx_record_t *recs, size_t n,
                   const mwx_score_opts_t *o, mwx_score_launch_t *l, mwx_err_t *err)
{
    if (!o->regions)
        return 0;
    const struct lau *la = &c->lau[L];
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        na += recs[i].type == MWX_REC_ALERT;
    mwx_rec_alert_t *al = malloc((na ? na : 1) * sizeof *al);
    mwx_score_launch_t *tmp = malloc(sizeof *tmp);
    int *rank = calloc(MWX_SCORE_MAX_REGIONS, sizeof *rank);
    int rc = 0;
    if (!al || !tmp || !rank) {
        rc = mwx_err_set(err, MWX_ENOMEM, "score: out of memory");
        goto out;
    }
    /* the launch flies from its first sample to the last object's end */
    double t_end = -INFINITY;
    for (int m = 0; m < la->n_member; m++) {
        const obj_t *ob = &c->obj[la->member[m]];
        const mwx_rec_truth_t *last = &ob->s[ob->n - 1];
        t_end = fmax(t_end, last->phase == MWX_PHASE_IMPACT ? last->t : INFINITY);
    }
    na = 0;
    for (size_t i = 0; i < n; i++) {
        const mwx_rec_alert_t *a = &recs[i].u.alert;
        if (recs[i].type != MWX_REC_ALERT)
            continue;
        int ti = c->alert_trk[i];
        if (ti >= 0 ? c->trk[ti].obj >= 0 && c->obj[c->trk[ti].obj].lix == L
                    : (a->t >= l->t_launch && a->t <= t_end))
            al[na++] = *a;
    }
    l->n_regions = 0;
    for (int m = 0; m < la->n_member; m++) {
        int k = la->member[m];
        const obj_t *ob = &c->obj[k];
        const mwx_rec_truth_t *last = &ob->s[ob->n - 1];
        mwx_geo_t g;
        memset(tmp, 0, sizeof *tmp);
        mwx_strlcpy(tmp->id, ob->id, sizeof tmp->id);
        tmp->t_launch = ob->s[0].t;
        mwx_ecef_to_geo(&o->earth, ob->s[0].ecef_m, &g);
        tmp->launch_lat_deg = g.lat / MWX_DEG;
        tmp->launch_lon_deg = g.lon / MWX_DEG;
        tmp->t_impact = tmp->impact_lat_deg = tmp->impact_lon_deg = NAN;
        if (last->phase == MWX_PHASE_IMPACT) {
            tmp->t_impact = last->t;
            mwx_ecef_to_geo(&o->earth, last->ecef_m, &g);
            tmp->impact_lat_deg = g.lat / MWX_DEG;
            tmp->impact_lon_deg = g.lon / MWX_DEG;
        }
        tmp->t_first_detection = l->t_first_detection;
        tmp->t_first_track = l->t_first_track;
        for (int q = 0; q < 3; q++)
            tmp->impact_error_km[q] = NAN;
        tmp->launch_point_error_km = tmp->launch_time_error_s = NAN;
        int nr = 0;
        rc = o->regions(o->regions_ctx, tmp, ob->s, ob->n, al, na, tmp->regions,
                        MWX_SCORE_MAX_REGIONS, &nr, err);
        if (rc) {
            mwx_err_prefix(err, "object %s", ob->id);
            goto out;
        }
        nr = nr < 0 ? 0 : nr > MWX_SCORE_MAX_REGIONS ? MWX_SCORE_MAX_REGIONS : nr;
        merge_regions(l, rank, tmp->regions, nr, ob->id, k == la->primary);
    }
    l->regions_evaluated = 1;
out:
    free(al);
    free(tmp);
    free(rank);
    return rc;
}

static double first_detection(const obj_t *ob)
{
    return ob->n_meas ? ob->meas_t[0] : NAN;
}

static void object_figures(const ctx_t *c, int k, const mwx_record_t *recs, size_t n,
                           const mwx_score_opts_t *o, mwx_score_object_t *so)
{
    const obj_t *ob = &c->obj[k];
    const mwx_rec_truth_t *last = &ob->s[ob->n - 1];
    mwx_geo_t g;
    memset(so, 0, sizeof *so);
    mwx_strlcpy(so->id, ob->id, sizeof so->id);
    so->t_start = ob->s[0].t;
    so->last_phase = last->phase;
    so->t_impact = so->impact_lat_deg = so->impact_lon_deg = NAN;
    if (last->phase == MWX_PHASE_IMPACT) {
        so->t_impact = last->t;
        mwx_ecef_to_geo(&o->earth, last->ecef_m, &g);
        so->impact_lat_deg = g.lat / MWX_DEG;
        so->impact_lon_deg = g.lon / MWX_DEG;
    }
    so->t_first_detection = first_detection(ob);
    for (int i = 0; i < 3; i++)
        so->impact_error_km[i] = NAN;
    for (size_t i = 0; i < c->n_trk; i++)
        so->n_tracks += c->trk[i].obj == k;
    /* An impact warning from a track of this object (for a part in orbit: a warning of
     * an impact that never comes; issue 11 goal 0). */
    for (size_t i = 0; i < n; i++) {
        const mwx_rec_alert_t *a = &recs[i].u.alert;
        int ti = recs[i].type == MWX_REC_ALERT ? c->alert_trk[i] : -1;
        if (ti >= 0 && c->trk[ti].obj == k && a->kind == MWX_ALERT_IMPACT && is_cap_warning(a))
            so->n_impact_warnings++;
    }
    if (isnan(so->t_impact))
        return;
    double t0 = c->obj[c->lau[ob->lix].primary].s[0].t; /* the launch's lift-off */
    double at[3] = {t0 + 120.0, so->t_impact - 300.0, so->t_impact - 60.0};
    for (int i = 0; i < 3; i++) {
        if (at[i] < t0 || at[i] > so->t_impact)
            continue;
        const mwx_rec_track_t *r = latest_estimate(c, k, -1, at[i], 1);
        if (r)
            so->impact_error_km[i] = geodesic_km(&o->earth, r->impact.lat, r->impact.lon,
                                                 so->impact_lat_deg, so->impact_lon_deg);
    }
}

/* The vehicle's impact-error curve (score.h impact_error_curve): the same rule as the
 * checkpoints, sampled over the flight, so that `mwx report` can draw each nation alone
 * and shared from report.json (the alone pass keeps no recording). */
static void impact_curve(const ctx_t *c, int k, const mwx_score_opts_t *o, mwx_score_launch_t *l)
{
    l->n_curve = 0;
    if (!(o->curve_step_s > 0) || isnan(l->t_impact))
        return;
    double span = l->t_impact - l->t_launch;
    double step = fmax(o->curve_step_s, span / (MWX_SCORE_MAX_CURVE - 1));
    for (double t = l->t_launch + step; t <= l->t_impact && l->n_curve < MWX_SCORE_MAX_CURVE;
         t += step) {
        const mwx_rec_track_t *r = latest_estimate(c, k, -1, t, 1);
        if (!r)
            continue;
        l->impact_error_curve[l->n_curve][0] = l->t_impact - t;
        l->impact_error_curve[l->n_curve][1] = geodesic_km(&o->earth, r->impact.lat, r->impact.lon,
                                                           l->impact_lat_deg, l->impact_lon_deg);
        l->n_curve++;
    }
}

static void launch_figures(const ctx_t *c, int L, const mwx_record_t *recs, size_t n,
                           const mwx_score_opts_t *o, mwx_score_launch_t *l)
{
    const struct lau *la = &c->lau[L];
    const obj_t *ob = &c->obj[la->primary];
    mwx_geo_t g;
    memset(l, 0, sizeof *l);
    mwx_strlcpy(l->id, la->id, sizeof l->id);
    l->t_launch = ob->s[0].t;
    mwx_ecef_to_geo(&o->earth, ob->s[0].ecef_m, &g);
    l->launch_lat_deg = g.lat / MWX_DEG;
    l->launch_lon_deg = g.lon / MWX_DEG;
    l->t_first_detection = l->t_first_track = l->t_first_prediction = NAN;
    l->launch_point_error_km = l->launch_time_error_s = NAN;
    /* the objects, the vehicle first; the launch's impact figures are the vehicle's */
    object_figures(c, la->primary, recs, n, o, &l->objects[l->n_objects++]);
    for (int m = 0; m < la->n_member && l->n_objects < MWX_SCORE_MAX_OBJECTS; m++)
        if (la->member[m] != la->primary)
            object_figures(c, la->member[m], recs, n, o, &l->objects[l->n_objects++]);
    const mwx_score_object_t *v = &l->objects[0];
    l->t_impact = v->t_impact;
    l->impact_lat_deg = v->impact_lat_deg;
    l->impact_lon_deg = v->impact_lon_deg;
    memcpy(l->impact_error_km, v->impact_error_km, sizeof l->impact_error_km);
    impact_curve(c, la->primary, o, l);
    for (int m = 0; m < la->n_member; m++) {
        double td = first_detection(&c->obj[la->member[m]]);
        if (!(l->t_first_detection <= td))
            l->t_first_detection = td;
    }
    for (size_t i = 0; i < c->n_trk; i++) {
        const trk_t *t = &c->trk[i];
        if (t->obj < 0 || c->obj[t->obj].lix != L)
            continue;
        l->n_tracks++;
        if (!(l->t_first_track <= t->r[0]->t))
            l->t_first_track = t->r[0]->t;
        for (size_t j = 0; j < t->n; j++)
            if (t->r[j]->impact.valid) {
                if (!(l->t_first_prediction <= t->r[j]->t))
                    l->t_first_prediction = t->r[j]->t;
                break;
            }
    }
    /* Shares: the track is named by (from, track_id); verified receptions only. */
    for (size_t i = 0; i < n; i++) {
        const mwx_rec_share_t *s = &recs[i].u.share;
        if (recs[i].type != MWX_REC_SHARE || !s->verified || !isfinite(s->t))
            continue;
        int ti = find_trk(c, s->from, s->track_id);
        if (ti < 0)
            ti = find_trk(c, NULL, s->track_id);
        if (ti < 0 || c->trk[ti].obj < 0 || c->obj[c->trk[ti].obj].lix != L)
            continue;
        for (int j = 0; j < s->n_to && j < MWX_MAX_NATIONS; j++) {
            int q = 0;
            while (q < l->n_shared && strncmp(l->shared_to[q], s->to[j], MWX_ID_LEN) != 0)
                q++;
            if (q == l->n_shared) {
                if (l->n_shared >= MWX_MAX_NATIONS)
                    continue;
                memcpy(l->shared_to[q], s->to[j], MWX_ID_LEN);
                l->shared_to[q][MWX_ID_LEN - 1] = '\0';
                l->t_first_shared[q] = s->t;
                l->n_shared++;
            } else if (s->t < l->t_first_shared[q]) {
                l->t_first_shared[q] = s->t;
            }
        }
    }
    const mwx_rec_track_t *r =
        latest_estimate(c, -1, L, isnan(l->t_impact) ? INFINITY : l->t_impact, 0);
    if (r) {
        l->launch_point_error_km = geodesic_km(&o->earth, r->launch.lat, r->launch.lon,
                                               l->launch_lat_deg, l->launch_lon_deg);
        l->launch_time_error_s = r->launch.t - l->t_launch;
    }
}

/* ------------------------------------------------------------------ entry point */

int mwx_score_compute(const mwx_record_t *recs, size_t n, const mwx_score_opts_t *o,
                      mwx_report_t *rep, mwx_err_t *err)
{
    mwx_score_opts_t def;
    if (!o) {
        mwx_score_opts_default(&def);
        o = &def;
    }
    memset(rep, 0, sizeof *rep);
    rep->ospa_c_m = o->ospa_c_m;
    rep->ospa_p = o->ospa_p;
    rep->gospa_alpha = o->gospa_alpha;
    rep->gate_m = o->gate_m;
    mwx_score_tracking_t *tk = &rep->tracking;
    tk->pos_rmse_m = tk->vel_rmse_mps = tk->nees = tk->nees_vel = NAN;
    tk->ospa_m = tk->gospa_m = tk->ospa_in_flight_m = tk->gospa_in_flight_m = NAN;
    if (!(o->ospa_c_m > 0) || !(o->ospa_p >= 1) || !(o->gospa_alpha > 0) ||
        !(o->gospa_alpha <= 2) || !(o->gate_m > 0) || !(o->stale_s >= 0))
        return mwx_err_set(err, MWX_EINVAL,
                           "score: need c > 0, p >= 1, 0 < alpha <= 2, gate > 0, stale >= 0");

    ctx_t c;
    memset(&c, 0, sizeof c);
    int rc = collect(&c, recs, n, o);
    if (rc) {
        ctx_free(&c);
        return mwx_err_set(err, rc, "score: out of memory");
    }
    if (c.n_obj == 0) {
        ctx_free(&c);
        return mwx_err_set(err, MWX_EINVAL, "no truth records: nothing to score against");
    }
    rep->pictures = calloc(c.n_node ? c.n_node : 1, sizeof *rep->pictures);
    if (!rep->pictures) {
        ctx_free(&c);
        return mwx_err_set(err, MWX_ENOMEM, "score: out of memory");
    }
    rep->n_pictures = c.n_node;
    for (size_t i = 0; i < c.n_node; i++) {
        mwx_score_picture_t *pc = &rep->pictures[i];
        mwx_strlcpy(pc->node, c.node[i].node, sizeof pc->node);
        pc->fused = c.node[i].fused;
    }
    rc = associate(&c, o, tk, rep->pictures);
    if (rc) {
        ctx_free(&c);
        return mwx_err_set(err, rc, "score: out of memory");
    }
    accuracy(&c, -1, tk);
    for (size_t i = 0; i < c.n_node; i++)
        accuracy(&c, (int)i, &rep->pictures[i].tracking);
    rep->launches = calloc(c.n_lau, sizeof *rep->launches);
    c.alert_trk = malloc((n ? n : 1) * sizeof *c.alert_trk);
    if (!rep->launches || !c.alert_trk) {
        ctx_free(&c);
        return mwx_err_set(err, MWX_ENOMEM, "score: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        c.alert_trk[i] = recs[i].type == MWX_REC_ALERT ? alert_track(&c, &recs[i].u.alert) : -1;
    rep->n_launches = c.n_lau;
    for (size_t L = 0; L < c.n_lau; L++) {
        launch_figures(&c, (int)L, recs, n, o, &rep->launches[L]);
        rc = regions(&c, (int)L, recs, n, o, &rep->launches[L], err);
        if (rc) {
            mwx_err_prefix(err, "score: regions of %s", c.lau[L].id);
            ctx_free(&c);
            return rc;
        }
    }
    ctx_free(&c);
    return 0;
}

void mwx_report_free(mwx_report_t *rep)
{
    if (!rep)
        return;
    free(rep->launches);
    free(rep->pictures);
    rep->launches = NULL;
    rep->pictures = NULL;
    rep->n_launches = rep->n_pictures = 0;
}
