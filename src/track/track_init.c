/* Track initiation: a tentative track from one radar measurement (the point from range,
 * azimuth and elevation, the velocity from the prior), or from two IR lines of sight of
 * different satellites triangulated into a point. */
#include "tracker_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void prior_rest(mwx_gauss_t *s)
{
    const int n = MWX_TRACK_NX;
    for (int i = 3; i < 6; i++) {
        s->x[i] = 0.0;
        s->P[i * n + i] = PRIOR_SIGMA_VEL_MPS * PRIOR_SIGMA_VEL_MPS;
    }
    s->x[6] = PRIOR_THRUST_MPS2;
    s->P[6 * n + 6] = PRIOR_SIGMA_THRUST_MPS2 * PRIOR_SIGMA_THRUST_MPS2;
    s->x[7] = PRIOR_KAPPA_M2KG;
    s->P[7 * n + 7] = PRIOR_KAPPA_M2KG * PRIOR_KAPPA_M2KG;
}

/* ECEF covariance (3x3) of a radar measurement turned into a point, to first order at
 * the measured range, azimuth and elevation (where the conversion is linearised, it is
 * accurate: the angles' errors are small). */
void mwxi_trk_radar_point_cov(const mwx_meas_model_t *m, double C[9])
{
    double r = m->z[0], az = m->z[1], el = m->z[2];
    double ce = cos(el), se = sin(el), ca = cos(az), sa = sin(az);
    double J[3][3]; /* d enu / d (r, az, el) */
    double Je[9];   /* d ecef / d (r, az, el) */
    J[0][0] = ce * sa, J[0][1] = r * ce * ca, J[0][2] = -r * se * sa;
    J[1][0] = ce * ca, J[1][1] = -r * ce * sa, J[1][2] = -r * se * ca;
    J[2][0] = se, J[2][1] = 0.0, J[2][2] = r * ce;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            Je[i * 3 + j] = m->enu[i] * J[0][j] + m->enu[3 + i] * J[1][j] + m->enu[6 + i] * J[2][j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double a = 0.0;
            for (int q = 0; q < 3; q++)
                a += Je[i * 3 + q] * m->R[q * 3 + q] * Je[j * 3 + q];
            C[i * 3 + j] = a;
        }
}

/* Tentative track from one radar measurement. */
void mwxi_trk_start_from_radar(mwx_tracker_t *t, int mi)
{
    double C[9];
    mwx_gauss_t s;
    trk_t *k = mwxi_trk_new_track(t);
    const int n = MWX_TRACK_NX;
    if (!k)
        return;
    memset(&s, 0, sizeof(s));
    s.n = n;
    memcpy(s.x, t->meas_pos[mi], sizeof(double) * 3);
    mwxi_trk_radar_point_cov(&t->meas_model[mi], C);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            s.P[i * n + j] = C[i * 3 + j] + (i == j ? 1.0 : 0.0);
    prior_rest(&s);
    mwxi_trk_init_track(t, k, &s, t->scan_t, t->scan_sensor);
}

/* Two IR lines of sight: least-squares point and its covariance. */
static int triangulate(const ir_pending_t *a, const ir_pending_t *b, double p[3], double P[9],
                       double *miss)
{
    double A[9] = {0}, y[3] = {0}, Ai[9];
    const ir_pending_t *r[2] = {a, b};
    double w0 = 0, w1 = 0, c, d0, d1, p0[3], p1[3], w[3];
    /* closest points of the two lines */
    for (int i = 0; i < 3; i++)
        w[i] = a->origin[i] - b->origin[i];
    c = mwx_dot3(a->los, b->los);
    if (1.0 - c * c < 1e-8)
        return MWX_ERANGE;
    d0 = mwx_dot3(a->los, w);
    d1 = mwx_dot3(b->los, w);
    w0 = (c * d1 - d0) / (1.0 - c * c);
    w1 = (d1 - c * d0) / (1.0 - c * c);
    if (w0 <= 0.0 || w1 <= 0.0)
        return MWX_ERANGE;
    for (int i = 0; i < 3; i++) {
        p0[i] = a->origin[i] + w0 * a->los[i];
        p1[i] = b->origin[i] + w1 * b->los[i];
        p[i] = 0.5 * (p0[i] + p1[i]);
        w[i] = p0[i] - p1[i];
    }
    *miss = mwx_norm3(w);
    /* information of each ray: (I - l l^T) / (range sigma)^2 */
    for (int q = 0; q < 2; q++) {
        double rng = q ? w1 : w0, s2 = rng * r[q]->sigma * rng * r[q]->sigma;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                A[i * 3 + j] += ((i == j) - r[q]->los[i] * r[q]->los[j]) / s2;
    }
    (void)y;
    if (mwxi_la_spd_inv(A, Ai, 3, NULL))
        return MWX_ERANGE;
    memcpy(P, Ai, sizeof(Ai));
    return MWX_OK;
}

void mwxi_trk_ir_unassigned(mwx_tracker_t *t, int mi)
{
    const mwx_rec_meas_t *m = &t->scan[mi];
    ir_pending_t cur;
    double nl = mwx_norm3(m->los_ecef);
    int best = -1;
    double best_miss = t->cfg.ir_pair_miss_m, bp[3] = {0}, bP[9] = {0}; /* set with best */
    cur.t = m->t;
    cur.sensor = t->scan_sensor;
    cur.sigma = m->sigma_los_urad * 1e-6;
    for (int i = 0; i < 3; i++) {
        cur.origin[i] = m->sensor_ecef_m[i];
        cur.los[i] = m->los_ecef[i] / nl;
    }
    /* forget stale entries */
    {
        int w = 0;
        for (int i = 0; i < t->n_ir_pending; i++)
            if (cur.t - t->ir_pending[i].t <= t->cfg.ir_pair_dt_s)
                t->ir_pending[w++] = t->ir_pending[i];
        t->n_ir_pending = w;
    }
    for (int i = 0; i < t->n_ir_pending; i++) {
        double p[3], P[9], miss;
        mwx_geo_t g;
        if (t->ir_pending[i].sensor == cur.sensor)
            continue;
        if (triangulate(&t->ir_pending[i], &cur, p, P, &miss) || miss >= best_miss)
            continue;
        mwx_ecef_to_geo(&t->cfg.dyn.earth, p, &g);
        if (g.alt < IR_TRIANG_MIN_ALT_M || g.alt > IR_TRIANG_MAX_ALT_M)
            continue;
        best = i;
        best_miss = miss;
        memcpy(bp, p, sizeof(p));
        memcpy(bP, P, sizeof(P));
    }
    if (best >= 0) {
        mwx_gauss_t s;
        const int n = MWX_TRACK_NX;
        trk_t *k = mwxi_trk_new_track(t);
        t->ir_pending[best] = t->ir_pending[--t->n_ir_pending];
        if (!k)
            return;
        memset(&s, 0, sizeof(s));
        s.n = n;
        memcpy(s.x, bp, sizeof(bp));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                s.P[i * n + j] = bP[i * 3 + j] + (i == j ? best_miss * best_miss / 4.0 : 0.0);
        prior_rest(&s);
        mwxi_trk_init_track(t, k, &s, t->scan_t, t->scan_sensor);
        k->imm.mu[0] = 0.9; /* a hot plume: boosting */
        k->imm.mu[1] = 0.1;
        return;
    }
    if (t->n_ir_pending < IR_PENDING)
        t->ir_pending[t->n_ir_pending++] = cur;
}
