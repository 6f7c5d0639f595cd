/* Space launch: a staged gravity turn to a circular orbit (see traj_flight.h and
 * docs/TRAJECTORIES.md, "Space launches").
 *
 * Vehicle: 2-3 stages, Isp TRAJ_ISP_S, constant mass flow. Stage 1 burns the fraction
 * of the stack that gives a lift-off thrust/weight of TRAJ_SPACE_TW (at most 0.9); the
 * upper stages share the rest of an ideal delta-v of TRAJ_SPACE_DV_MPS (each at most
 * 0.93 of its stack). Stage k separates when it burns out and falls alone
 * (TRAJ_STAGE_BETA); the next lights at once.
 * Steering: vertical for TRAJ_SPACE_VERT_S, a pitch kick of TRAJ_SPACE_KICK over the
 * next TRAJ_SPACE_VERT_S, then thrust along the air-relative velocity (gravity turn) to
 * the end of stage 1. The upper stages steer in the launch plane: the vertical part of
 * the thrust drives the altitude to orbit_alt (wanted climb rate = altitude error / 60 s,
 * or a 4 m/s^2 braking curve when that is slower; reached in 15 s, plus the gravity the horizontal speed does not yet balance), the rest
 * is horizontal. The last stage cuts off when its horizontal speed reaches the circular
 * speed: a near-circular orbit at orbit_alt. Its unused burn is margin.
 * fail_at_s: the vehicle breaks up then; the stage burning (unless it is the last) and
 * the upper stack (the launch's own ballistic coefficient) fall. */
#include <math.h>
#include <string.h>

#include "sim/traj_atmosphere.h"
#include "sim/traj_flight.h"
#include "sim/traj_gravity.h"

#define TRAJ_SPACE_TW     1.4
#define TRAJ_SPACE_MIN_TW 1.15
#define TRAJ_SPACE_DV_MPS 13000.0
#define TRAJ_SPACE_VERT_S 10.0
#define TRAJ_SPACE_KICK   (4.0 * MWX_DEG)
#define TRAJ_SPACE_TH_S   60.0
#define TRAJ_SPACE_TV_S   15.0

typedef struct space {
    const traj_cfg_t *c;
    int n, stage; /* stage burning: 1..n */
    double t_ign[MWX_MAX_STAGES + 1], zeta[MWX_MAX_STAGES], ve;
    double h_orb, n_plane[3], up0_dir[3];
    double t_shift; /* coast inside the last stage's burn (engine off), s */
    int circ;       /* circularising: thrust horizontal */
} space_t;

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void space_rhs(void *ctx, double tau, const double y[TRAJ_N], double dy[TRAJ_N])
{
    const space_t *s = ctx;
    const traj_cfg_t *c = s->c;
    int k = s->stage - 1;
    double acc[3], d[3], w = c->earth.omega;
    double rn = mwx_norm3(y), up[3] = {y[0] / rn, y[1] / rn, y[2] / rn};
    double dur = s->t_ign[k + 1] - s->t_ign[k];
    double fm = 1.0 - s->zeta[k] * (tau - s->t_shift - s->t_ign[k]) / dur;
    double at = s->ve * s->zeta[k] / (dur * fm);
    double va[3] = {y[3] + w * y[1], y[4] - w * y[0], y[5]};
    double fw[3];
    mwxi_traj_gravity(c->earth.gm, c->earth.a, c->j2, y, acc);
    mwx_cross3(s->n_plane, up, fw);
    double fn = mwx_norm3(fw);
    for (int i = 0; i < 3; i++)
        fw[i] /= fn;
    if (k == 0) {
        if (tau <= TRAJ_SPACE_VERT_S) {
            memcpy(d, up, sizeof d);
        } else if (tau <= 2.0 * TRAJ_SPACE_VERT_S) {
            double th =
                0.5 * MWX_PI - TRAJ_SPACE_KICK * (tau - TRAJ_SPACE_VERT_S) / TRAJ_SPACE_VERT_S;
            for (int i = 0; i < 3; i++)
                d[i] = cos(th) * fw[i] + sin(th) * up[i];
        } else {
            double van = mwx_norm3(va);
            for (int i = 0; i < 3; i++)
                d[i] = va[i] / van;
        }
    } else if (s->circ) {
        /* horizontal, plus what holds the climb rate at zero */
        double vr = mwx_dot3(y + 3, up), v2 = mwx_dot3(y + 3, y + 3), hd[3];
        double a_up =
            clampd(c->earth.gm / (rn * rn) - (v2 - vr * vr) / rn - vr / 5.0, -0.7 * at, 0.95 * at);
        for (int i = 0; i < 3; i++)
            hd[i] = y[3 + i] - vr * up[i];
        double dn = mwx_norm3(hd), a_h = sqrt(at * at - a_up * a_up);
        for (int i = 0; i < 3; i++)
            d[i] = (a_up * up[i] + a_h * hd[i] / dn) / at;
    } else {
        double vr = mwx_dot3(y + 3, up), v2 = mwx_dot3(y + 3, y + 3);
        double alt = mwxi_traj_alt_radial(&c->earth, y);
        /* wanted climb rate: linear near the orbit altitude, a 4 m/s^2 braking curve
         * further off (so it arrives level, not overshooting) */
        double e = s->h_orb - alt, ae = fabs(e);
        double vr_ref = copysign(fmin(ae / TRAJ_SPACE_TH_S, sqrt(2.0 * 4.0 * ae)), e);
        double a_up =
            c->earth.gm / (rn * rn) - (v2 - vr * vr) / rn + (vr_ref - vr) / TRAJ_SPACE_TV_S;
        a_up = clampd(a_up, -0.7 * at, 0.95 * at);
        double a_h = sqrt(at * at - a_up * a_up);
        for (int i = 0; i < 3; i++)
            d[i] = (a_up * up[i] + a_h * fw[i]) / at;
    }
    for (int i = 0; i < 3; i++)
        acc[i] += at * d[i];
    if (c->drag) {
        double rho = mwxi_traj_atm_density(mwxi_traj_alt_radial(&c->earth, y));
        if (rho > 0.0) {
            double kk = -0.5 * rho * mwx_norm3(va) / (TRAJ_BOOST_BETA0 * fm * (k ? 0.5 : 1.0));
            for (int i = 0; i < 3; i++)
                acc[i] += kk * va[i];
        }
    }
    dy[0] = y[3];
    dy[1] = y[4];
    dy[2] = y[5];
    dy[3] = acc[0];
    dy[4] = acc[1];
    dy[5] = acc[2];
}

typedef struct sev {
    const traj_cfg_t *c;
    int orbit; /* 0 ground only; 1 apoapsis reaches h; 2 apex; 3 circular speed */
    double h;
} sev_t;

static double space_event(void *ctx, double tau, const double y[TRAJ_N])
{
    const sev_t *e = ctx;
    double alt = mwxi_traj_alt_radial(&e->c->earth, y) + 1.0;
    double gm = e->c->earth.gm;
    double rn = mwx_norm3(y), vr = mwx_dot3(y, y + 3) / rn, v2 = mwx_dot3(y + 3, y + 3);
    double vh = sqrt(fmax(v2 - vr * vr, 0.0));
    switch (e->orbit) {
    case 1: {
        double a = 1.0 / (2.0 / rn - v2 / gm), hh = rn * vh;
        double ecc = sqrt(fmax(1.0 - hh * hh / (gm * a), 0.0));
        double ra = a > 0 ? a * (1.0 + ecc) : 1e12;
        return fmin(alt, e->h - (ra - (rn - alt)));
    }
    case 2: return fmin(alt, vr);
    case 3: return fmin(alt, sqrt(gm / rn) - vh);
    default: return alt;
    }
}

/* Engine off from *tau to the apex (gravity only above the atmosphere's reach; drag kept). */
static void coast_rhs(void *ctx, double tau, const double y[TRAJ_N], double dy[TRAJ_N])
{
    const traj_cfg_t *c = ctx;
    double acc[3];
    (void)tau;
    mwxi_traj_gravity(c->earth.gm, c->earth.a, c->j2, y, acc);
    dy[0] = y[3];
    dy[1] = y[4];
    dy[2] = y[5];
    dy[3] = acc[0];
    dy[4] = acc[1];
    dy[5] = acc[2];
}

static int coast_to_apex(const traj_cfg_t *c, sev_t *ev, double *tau, double y[TRAJ_N],
                         traj_flight_t *fl)
{
    traj_dp_opts_t o;
    traj_dp_result_t res;
    mwxi_traj_dp_opts(c, 1.0, 60.0, &o);
    if (mwx_dot3(y, y + 3) <= 0.0)
        return MWX_OK;
    int rc = mwxi_traj_dp_run(coast_rhs, (void *)c, *tau, y, *tau + 20000.0, &o, space_event, ev,
                              mwxi_traj_push_seg, fl, &res);
    fl->n_steps += res.n_steps + res.n_rejected;
    fl->n_rhs += res.n_rhs;
    *tau = res.t;
    return rc;
}

int mwxi_traj_space_fly(const traj_cfg_t *c, const mwx_launch_t *l, traj_flight_t *fl,
                        traj_sep_t sep[MWX_MAX_STAGES], int *n_sep, mwx_err_t *err)
{
    space_t s;
    sev_t ev = {c, 0, 0.0};
    traj_dp_opts_t o;
    traj_dp_result_t res;
    double y[TRAJ_N], h0[3], tau = 0.0;
    double tf = l->fail_at_s > 0.0 ? l->fail_at_s : HUGE_VAL;
    int rc;
    const char *id = l->id;

    memset(&s, 0, sizeof s);
    *n_sep = 0;
    s.c = c;
    s.n = l->n_stages;
    s.ve = TRAJ_ISP_S * TRAJ_G0;
    s.h_orb = l->orbit_alt_m;
    if (s.n < 2 || s.n > MWX_MAX_STAGES)
        return mwx_err_set(err, MWX_EINVAL, "launch %s: a space launch has 2 or 3 stages, not %d",
                           id, s.n);
    for (int k = 0; k < s.n; k++) {
        if (!(l->stage_burn_s[k] >= 10.0 && l->stage_burn_s[k] <= 1000.0))
            return mwx_err_set(err, MWX_EINVAL,
                               "launch %s: stage %d burns %g s, outside [10, 1000] s", id, k + 1,
                               l->stage_burn_s[k]);
        s.t_ign[k + 1] = s.t_ign[k] + l->stage_burn_s[k];
    }
    {
        double t1 = l->stage_burn_s[0];
        double z1 = fmin(TRAJ_SPACE_TW * TRAJ_G0 * t1 / s.ve, 0.9);
        double tw = s.ve * z1 / (TRAJ_G0 * t1);
        if (tw < TRAJ_SPACE_MIN_TW)
            return mwx_err_set(err, MWX_ERANGE,
                               "launch %s: impossible stage set: a %.0f s first stage cannot "
                               "lift off (thrust/weight %.2f, at most %.0f s gives %.2f)",
                               id, t1, tw, 0.9 * s.ve / (TRAJ_SPACE_MIN_TW * TRAJ_G0),
                               TRAJ_SPACE_MIN_TW);
        s.zeta[0] = z1;
        double dv_up = (TRAJ_SPACE_DV_MPS + s.ve * log(1.0 - z1)) / (s.n - 1);
        for (int k = 1; k < s.n; k++)
            s.zeta[k] = fmin(1.0 - exp(-dv_up / s.ve), 0.93);
    }
    if (!(s.h_orb >= 150e3 && s.h_orb <= 2000e3))
        return mwx_err_set(err, MWX_EINVAL,
                           "launch %s: orbit altitude %.0f km outside [150, "
                           "2000] km",
                           id, s.h_orb / 1e3);
    for (int i = 0; i < 3; i++)
        h0[i] = cos(l->azimuth) * c->north0[i] + sin(l->azimuth) * c->east0[i];
    mwx_cross3(c->r0, h0, s.n_plane);
    {
        double nn = mwx_norm3(s.n_plane);
        for (int i = 0; i < 3; i++)
            s.n_plane[i] /= nn;
    }
    mwxi_traj_flight_start(c, fl, y);
    mwxi_traj_dp_opts(c, 0.5, 10.0, &o);
    for (int k = 0; k < s.n; k++) {
        /* stage k+1 burns: split at the kick's ends and at a break-up */
        double cuts[4] = {TRAJ_SPACE_VERT_S, 2.0 * TRAJ_SPACE_VERT_S, tf, s.t_ign[k + 1]};
        int last = k == s.n - 1;
        s.stage = k + 1;
        ev.orbit = last;
        ev.h = s.h_orb;
        for (int j = 0; j < 4; j++) {
            double to = fmin(cuts[j], s.t_ign[k + 1]);
            if (to <= tau)
                continue;
            rc = mwxi_traj_dp_run(space_rhs, &s, tau, y, to, &o, space_event, &ev,
                                  mwxi_traj_push_seg, fl, &res);
            fl->n_steps += res.n_steps + res.n_rejected;
            fl->n_rhs += res.n_rhs;
            if (rc)
                return mwx_err_set(err, rc, "launch %s: trajectory integration failed", id);
            tau = res.t;
            if (res.event && mwxi_traj_alt_radial(&c->earth, y) < 10.0)
                return mwx_err_set(err, MWX_ERANGE,
                                   "launch %s: impossible stage set: stage %d falls back to "
                                   "the ground at %.0f s",
                                   id, k + 1, tau);
            if (res.event) {
                /* the apoapsis is at the orbit altitude: coast to it (engine off), then
                 * burn horizontally to the circular speed there */
                double t_off = tau;
                ev.orbit = 2;
                s.stage = 0;
                rc = coast_to_apex(c, &ev, &tau, y, fl);
                if (rc)
                    return mwx_err_set(err, rc, "launch %s: trajectory integration failed", id);
                fl->tau_coast0 = t_off;
                fl->tau_coast1 = tau;
                s.stage = k + 1;
                s.t_shift = tau - t_off;
                s.circ = 1;
                ev.orbit = 3;
                if (tau < tf) {
                    double to2 = fmin(tf, s.t_ign[k + 1] + s.t_shift);
                    rc = mwxi_traj_dp_run(space_rhs, &s, tau, y, to2, &o, space_event, &ev,
                                          mwxi_traj_push_seg, fl, &res);
                    fl->n_steps += res.n_steps + res.n_rejected;
                    fl->n_rhs += res.n_rhs;
                    if (rc)
                        return mwx_err_set(err, rc, "launch %s: trajectory integration failed", id);
                    tau = res.t;
                }
                if (!res.event || tau >= tf) {
                    if (tau >= tf) {
                        fl->n_boost_seg = fl->n_seg;
                        fl->tau_bo = tau;
                        memcpy(fl->y_bo, y, sizeof y);
                        return mwxi_traj_coast_append(c, l->beta_kg_m2, tau, y, fl);
                    }
                    break; /* burnt out short of the circular speed */
                }
                fl->n_boost_seg = fl->n_seg;
                fl->tau_bo = tau;
                memcpy(fl->y_bo, y, sizeof y);
                return mwxi_traj_coast_append(c, l->beta_kg_m2, tau, y, fl);
            }
            if (tau >= tf) {
                /* break-up: the burning stage (unless the last) and the rest fall */
                if (!last) {
                    traj_sep_t *sp = &sep[(*n_sep)++];
                    sp->tau = tau;
                    sp->beta = TRAJ_STAGE_BETA;
                    sp->stage = k + 1;
                    memcpy(sp->y, y, sizeof y);
                }
                fl->n_boost_seg = fl->n_seg;
                fl->tau_bo = tau;
                memcpy(fl->y_bo, y, sizeof y);
                return mwxi_traj_coast_append(c, l->beta_kg_m2, tau, y, fl);
            }
        }
        if (last) {
            double rn = mwx_norm3(y), vr = mwx_dot3(y, y + 3) / rn;
            double vh = sqrt(fmax(mwx_dot3(y + 3, y + 3) - vr * vr, 0.0));
            return mwx_err_set(err, MWX_ERANGE,
                               "launch %s: impossible stage set: the last stage burns out "
                               "%.2f km/s short of orbital speed at %.0f km",
                               id, (sqrt(c->earth.gm / rn) - vh) / 1e3,
                               mwxi_traj_alt_radial(&c->earth, y) / 1e3);
        }
        {
            traj_sep_t *sp = &sep[(*n_sep)++];
            sp->tau = tau;
            sp->beta = TRAJ_STAGE_BETA;
            sp->stage = k + 1;
            memcpy(sp->y, y, sizeof y);
        }
    }
    return mwx_err_set(err, MWX_ERANGE, "launch %s: no stage", id);
}
