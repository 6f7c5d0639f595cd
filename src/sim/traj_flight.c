/* One flight for a given boost programme (see traj_flight.h). */
#include "core/grow.h"
#include "sim/traj_flight.h"

#include <math.h>
#include <stdlib.h>

#include "sim/traj_atmosphere.h"
#include "sim/traj_gravity.h"

void mwxi_traj_cfg_init(traj_cfg_t *c, const mwx_physics_t *ph, const mwx_launch_t *l)
{
    mwx_geo_t site = {l->site_lat, l->site_lon, 0.0};
    c->earth = ph->earth;
    if (!ph->rotation)
        c->earth.omega = 0.0;
    c->j2 = (ph->j2 && !ph->spherical) ? ph->earth.j2 : 0.0;
    c->drag = ph->drag;
    c->burn_s = l->burn_time_s;
    c->t_vert = fmin(fmax(0.08 * c->burn_s, 2.0), 12.0);
    if (c->t_vert > 0.25 * c->burn_s)
        c->t_vert = 0.25 * c->burn_s;
    c->beta_rv = l->beta_kg_m2;
    c->site_lat = l->site_lat;
    c->site_lon = l->site_lon;
    mwx_geo_to_ecef(&c->earth, &site, c->r0);
    mwx_enu_basis(l->site_lat, l->site_lon, c->east0, c->north0, c->up0);
    c->rtol = 1e-13;
    c->atol_m = 1e-5;
    c->atol_mps = 1e-8;
    c->post = TRAJ_POST_BALLISTIC;
    c->ld = 0.0;
    c->h_pullup = 0.0;
    c->weave_g = 0.0;
    c->tau_weave = HUGE_VAL;
    c->glide_h = 0.0;
    c->stop_at_apex = 0;
    c->stages_out = l->n_stages >= 2;
    if (l->profile == MWX_PROFILE_DEPRESSED && l->apogee_m < 80000.0) {
        c->post = TRAJ_POST_QUASI;
        c->h_pullup = fmax(TRAJ_PULLUP_FRAC * l->apogee_m, TRAJ_PULLUP_MIN_M);
        c->weave_g = l->terminal_g;
        c->ld = TRAJ_PULLUP_LD;
    } else if (l->profile == MWX_PROFILE_GLIDE) {
        mwx_geo_t aim = {l->aim_lat, l->aim_lon, 0.0};
        c->post = TRAJ_POST_GLIDE;
        c->ld = l->lift_to_drag;
        c->glide_h = l->glide_alt_m;
        mwx_geo_to_ecef(&c->earth, &aim, c->aim);
    }
}

double mwxi_traj_alt_radial(const mwx_earth_t *e, const double r[3])
{
    double rn = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    if (e->f == 0.0)
        return rn - e->a;
    /* radius of the ellipsoid along r: a b / sqrt(b^2 cos^2 + a^2 sin^2) of the
     * geocentric latitude */
    double a = e->a, b = e->a * (1.0 - e->f);
    double p2 = r[0] * r[0] + r[1] * r[1];
    return rn - a * b * rn / sqrt(b * b * p2 + a * a * r[2] * r[2]);
}

typedef struct rhs_state {
    traj_rhs_ctx_t x;
    int stage; /* 1, 2 burning; 0 ballistic */
} rhs_state_t;

double mwxi_traj_stage1_time(double burn_s, double zeta)
{
    /* lift-off thrust/weight = ve zeta / (g0 t1): shorten stage 1 (down to 30 % of the
     * burn) rather than let it fall below 1.5 */
    double t1 = TRAJ_ISP_S * zeta / TRAJ_MIN_TW;
    return fmin(0.5, fmax(0.3, t1 / burn_s)) * burn_s;
}

void mwxi_traj_rhs_init(traj_rhs_ctx_t *x, const traj_cfg_t *c, const traj_prog_t *p)
{
    double h0[3];
    x->c = c;
    x->p = p;
    x->ve = TRAJ_ISP_S * TRAJ_G0;
    x->zeta = 1.0 - exp(-p->dv / (2.0 * x->ve));
    x->t_stage = mwxi_traj_stage1_time(c->burn_s, x->zeta);
    x->beta_coast = c->beta_rv;
    x->lift = TRAJ_LIFT_NONE;
    x->weave = 0;
    for (int i = 0; i < 3; i++)
        h0[i] = cos(p->psi) * c->north0[i] + sin(p->psi) * c->east0[i];
    /* normal of the flight plane: r0 x h0 */
    mwx_cross3(c->r0, h0, x->n);
    double nn = mwx_norm3(x->n);
    for (int i = 0; i < 3; i++)
        x->n[i] /= nn;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Lift and the weave after burnout (x->lift, x->weave), added to acc. Lift is normal to
 * the air-relative velocity va; its size is at most ld * q / beta (the drag's ld times). */
static void post_accel(const traj_rhs_ctx_t *x, double tau, const double y[TRAJ_N],
                       const double va[3], double rho, double acc[3])
{
    const traj_cfg_t *c = x->c;
    double rn = mwx_norm3(y), up[3] = {y[0] / rn, y[1] / rn, y[2] / rn};
    double van = mwx_norm3(va), u[3], lv[3], hv[3], ll[3], s, a_v = 0.0, a_l = 0.0, lmax;
    if (van < 1.0)
        return;
    for (int i = 0; i < 3; i++)
        u[i] = va[i] / van;
    /* lv: "up" normal to the velocity; hv: horizontal heading; ll = up x hv: left */
    s = mwx_dot3(up, u);
    for (int i = 0; i < 3; i++) {
        lv[i] = up[i] - s * u[i];
        hv[i] = u[i] - s * up[i];
    }
    double nlv = mwx_norm3(lv), nhv = mwx_norm3(hv);
    if (nlv < 1e-9 || nhv < 1e-9)
        return;
    for (int i = 0; i < 3; i++) {
        lv[i] /= nlv;
        hv[i] /= nhv;
    }
    mwx_cross3(up, hv, ll);
    if (x->weave) {
        double a =
            x->c->weave_g * TRAJ_G0 * cos(2.0 * MWX_PI * 2.0 * (tau - c->tau_weave) / TRAJ_WEAVE_S);
        for (int i = 0; i < 3; i++)
            acc[i] += a * ll[i];
    }
    if (x->lift == TRAJ_LIFT_NONE || rho <= 0.0)
        return;
    double q_beta = 0.5 * rho * van * van / x->beta_coast; /* drag acceleration */
    if (x->lift == TRAJ_LIFT_PULLUP) {
        a_v = fmin(c->ld * q_beta, TRAJ_PULLUP_MAX_G * TRAJ_G0);
    } else {
        double gm = c->earth.gm, vi2 = mwx_dot3(y + 3, y + 3), vr = mwx_dot3(y + 3, up);
        double gl = gm / (rn * rn), aim[3];
        mwx_ecef_to_eci(c->earth.omega * tau, 0.0, c->aim, NULL, aim, NULL);
        if (x->lift == TRAJ_LIFT_GLIDE) {
            /* hold the glide altitude; turn the heading onto the aim (bank) */
            double alt = mwxi_traj_alt_radial(&c->earth, y), d[3], dh[3], cr[3];
            double vr_ref = clampd(-(alt - c->glide_h) / TRAJ_GLIDE_TH_S, -1500.0, 1500.0);
            a_v = (gl - (vi2 - vr * vr) / rn) + (vr_ref - vr) / TRAJ_GLIDE_TV_S;
            for (int i = 0; i < 3; i++)
                d[i] = aim[i] - y[i];
            double dup = mwx_dot3(d, up);
            for (int i = 0; i < 3; i++)
                dh[i] = d[i] - dup * up[i];
            mwx_cross3(hv, dh, cr);
            double err = atan2(mwx_dot3(cr, up), mwx_dot3(hv, dh));
            a_l = van * err / TRAJ_GLIDE_TURN_S;
        } else {
            /* dive: turn the velocity onto the line of sight to the aim, against gravity */
            double d[3], dn, e[3];
            for (int i = 0; i < 3; i++)
                d[i] = aim[i] - y[i];
            dn = mwx_norm3(d);
            if (dn < 1.0)
                return;
            double du = mwx_dot3(d, u) / dn;
            for (int i = 0; i < 3; i++)
                e[i] = (d[i] / dn - du * u[i]) * van / TRAJ_DIVE_S + gl * (up[i] - s * u[i]);
            a_v = mwx_dot3(e, lv);
            a_l = mwx_dot3(e, ll);
        }
    }
    if (c->post == TRAJ_POST_GLIDE) {
        /* the lift vector is banked: the vertical part (altitude, dive) has the first
         * call on the lift available, the turn gets what is left */
        lmax = c->ld * q_beta;
        a_v = clampd(a_v, -lmax, lmax);
        double lat = sqrt(fmax(lmax * lmax - a_v * a_v, 0.0));
        a_l = clampd(a_l, -lat, lat);
    }
    for (int i = 0; i < 3; i++)
        acc[i] += a_v * lv[i] + a_l * ll[i];
}

void mwxi_traj_rhs_stage(const traj_rhs_ctx_t *x, int stage, double tau, const double y[TRAJ_N],
                         double dy[TRAJ_N])
{
    const traj_cfg_t *c = x->c;
    double acc[3], inv_beta = 0.0;
    mwxi_traj_gravity(c->earth.gm, c->earth.a, c->j2, y, acc);
    if (stage) {
        double ts = x->t_stage, dur = stage == 2 ? c->burn_s - ts : ts;
        double s = (stage == 2 ? tau - ts : tau) / dur;
        double fm = 1.0 - x->zeta * s;
        double at = x->ve * x->zeta / (dur * fm);
        double rn = mwx_norm3(y), up[3] = {y[0] / rn, y[1] / rn, y[2] / rn}, d[3];
        if (tau <= c->t_vert) {
            d[0] = up[0];
            d[1] = up[1];
            d[2] = up[2];
        } else {
            double q = 1.0 - (tau - c->t_vert) / (c->burn_s - c->t_vert), qk = q;
            for (int i = 1; i < x->p->pitch_k; i++)
                qk *= q;
            double th = x->p->pitch_f + (0.5 * MWX_PI - x->p->pitch_f) * qk;
            double fw[3];
            mwx_cross3(x->n, up, fw);
            double fn = mwx_norm3(fw), ct = cos(th) / fn, st = sin(th);
            for (int i = 0; i < 3; i++)
                d[i] = ct * fw[i] + st * up[i];
        }
        for (int i = 0; i < 3; i++)
            acc[i] += at * d[i];
        double mnorm = stage == 2 ? (1.0 - TRAJ_STAGING_DRY) * (1.0 - x->zeta) * fm : fm;
        inv_beta = (stage == 2 ? 0.5 : 1.0) / (TRAJ_BOOST_BETA0 * mnorm);
    } else {
        inv_beta = 1.0 / x->beta_coast;
    }
    {
        double w = c->earth.omega, rho = 0.0;
        double vr[3] = {y[3] + w * y[1], y[4] - w * y[0], y[5]};
        if (c->drag || (!stage && x->lift))
            rho = mwxi_traj_atm_density(mwxi_traj_alt_radial(&c->earth, y));
        if (c->drag && rho > 0.0) {
            double k = -0.5 * rho * mwx_norm3(vr) * inv_beta;
            for (int i = 0; i < 3; i++)
                acc[i] += k * vr[i];
        }
        if (!stage && (x->lift || x->weave))
            post_accel(x, tau, y, vr, rho, acc);
    }
    dy[0] = y[3];
    dy[1] = y[4];
    dy[2] = y[5];
    dy[3] = acc[0];
    dy[4] = acc[1];
    dy[5] = acc[2];
}

void mwxi_traj_rhs(void *ctx, double tau, const double y[TRAJ_N], double dy[TRAJ_N])
{
    const traj_rhs_ctx_t *x = ctx;
    double ts = x->t_stage;
    int stage = tau < ts ? 1 : tau < x->c->burn_s ? 2 : 0;
    mwxi_traj_rhs_stage(x, stage, tau, y, dy);
}

static void rhs_seg(void *ctx, double tau, const double y[TRAJ_N], double dy[TRAJ_N])
{
    const rhs_state_t *s = ctx;
    mwxi_traj_rhs_stage(&s->x, s->stage, tau, y, dy);
}

typedef struct ev_ctx {
    const traj_cfg_t *c;
    double offset;
    int kind; /* EV_* */
    double h;
} ev_ctx_t;
enum { EV_GROUND = 0, EV_APEX = 1, EV_BELOW = 2, EV_DIVE = 3, EV_ORBIT = 4, EV_ENTRY = 5 };

/* > 0 until the aim is TRAJ_DIVE_DEPRESSION or more below the local horizontal, taken
 * over the flat ground: altitude / ground distance (the chord to an aim far off dips
 * below the horizon by half its arc, which is no reason to dive) */
static double dive_margin(const traj_cfg_t *c, double tau, const double y[TRAJ_N])
{
    double aim[3], d[3], cr[3], rn = mwx_norm3(y);
    mwx_ecef_to_eci(c->earth.omega * tau, 0.0, c->aim, NULL, aim, NULL);
    for (int i = 0; i < 3; i++)
        d[i] = aim[i] - y[i];
    mwx_cross3(y, aim, cr);
    double ground = mwx_norm3(aim) * atan2(mwx_norm3(cr), mwx_dot3(y, aim));
    double alt = mwxi_traj_alt_radial(&c->earth, y);
    double m = (ground * tan(TRAJ_DIVE_DEPRESSION) - alt) / fmax(ground + alt, 1.0);
    /* ... or the aim is abeam (a glide that has not turned onto it dives all the same) */
    double w = c->earth.omega, va[3] = {y[3] + w * y[1], y[4] - w * y[0], y[5]};
    double along = mwx_dot3(d, va) - mwx_dot3(d, y) * mwx_dot3(va, y) / (rn * rn);
    return fmin(m, along / (mwx_norm3(d) * mwx_norm3(va)));
}

static double radial_speed(const double y[TRAJ_N])
{
    return mwx_dot3(y, y + 3) / mwx_norm3(y);
}

/* Ground, or whichever of the stretch's own events comes first (g > 0 before). */
static double ev_alt(void *ctx, double tau, const double y[TRAJ_N])
{
    const ev_ctx_t *ev = ctx;
    double alt = mwxi_traj_alt_radial(&ev->c->earth, y) + ev->offset;
    switch (ev->kind) {
    case EV_APEX: return fmin(alt, radial_speed(y));
    case EV_BELOW: return fmin(alt, alt - ev->h);
    case EV_DIVE: return fmin(alt, dive_margin(ev->c, tau, y));
    case EV_ENTRY:
        /* down to the glide altitude, or the dive (on an aim too close to glide) */
        return fmin(fmin(alt, alt - ev->h), dive_margin(ev->c, tau, y));
    case EV_ORBIT: {
        /* horizontal inertial speed reaches the circular speed */
        double vr = radial_speed(y), v2 = mwx_dot3(y + 3, y + 3);
        double vh = sqrt(fmax(v2 - vr * vr, 0.0)), rn = mwx_norm3(y);
        return fmin(alt, sqrt(ev->c->earth.gm / rn) - vh);
    }
    default: return alt;
    }
}

int mwxi_traj_push_seg(void *ctx, const traj_seg_t *seg)
{
    traj_flight_t *fl = ctx;
    if (mwxi_grow(&fl->seg, &fl->cap, fl->n_seg + 1, sizeof *fl->seg, 256) != 0)
        return MWX_ENOMEM;
    fl->seg[fl->n_seg++] = *seg;
    return MWX_OK;
}

void mwxi_traj_dp_opts(const traj_cfg_t *c, double h0, double hmax, traj_dp_opts_t *o)
{
    o->rtol = c->rtol;
    for (int i = 0; i < 3; i++) {
        o->atol[i] = c->atol_m;
        o->atol[3 + i] = c->atol_mps;
    }
    o->h0 = h0;
    o->hmax = hmax;
    o->max_steps = 200000;
}

void mwxi_traj_flight_start(const traj_cfg_t *c, traj_flight_t *fl, double y[TRAJ_N])
{
    double w = c->earth.omega;
    fl->n_seg = fl->n_boost_seg = 0;
    fl->impacted = fl->crashed = fl->orbit = 0;
    fl->n_steps = fl->n_rhs = 0;
    fl->tau_glide0 = fl->tau_glide1 = fl->tau_dive = fl->tau_hold0 = HUGE_VAL;
    fl->tau_coast0 = fl->tau_coast1 = HUGE_VAL;
    fl->tau_apo_post = 0.0;
    fl->v_dive = 0.0;
    y[0] = c->r0[0];
    y[1] = c->r0[1];
    y[2] = c->r0[2];
    y[3] = -w * c->r0[1];
    y[4] = w * c->r0[0];
    y[5] = 0.0;
}

static void coast_opts(const traj_cfg_t *c, traj_dp_opts_t *o)
{
    mwxi_traj_dp_opts(c, 2.0, 120.0, o);
}

/* One stretch after burnout from *tau to tau_to (or its event); split at the weave's
 * start. *hit: 0 reached tau_to, 1 ground, 2 the stretch's own event. */
static int stretch(const traj_cfg_t *c, rhs_state_t *st, double *tau, double y[TRAJ_N],
                   double tau_to, int ev_kind, double ev_h, traj_flight_t *fl, int *hit)
{
    traj_dp_opts_t o;
    traj_dp_result_t res;
    ev_ctx_t ev = {c, 0.0, ev_kind, ev_h};
    coast_opts(c, &o);
    if (c->post == TRAJ_POST_GLIDE || st->x.lift)
        o.hmax = 10.0; /* feedback laws: keep the steps short of their time constants */
    *hit = 0;
    while (*tau < tau_to) {
        double to = tau_to;
        st->x.weave = c->weave_g > 0.0 && *tau >= c->tau_weave;
        if (c->weave_g > 0.0 && *tau < c->tau_weave && c->tau_weave < to)
            to = c->tau_weave;
        int rc = mwxi_traj_dp_run(rhs_seg, st, *tau, y, to, &o, ev_alt, &ev, mwxi_traj_push_seg, fl,
                                  &res);
        fl->n_steps += res.n_steps + res.n_rejected;
        fl->n_rhs += res.n_rhs;
        if (rc)
            return rc;
        *tau = res.t;
        if (res.event) {
            *hit = mwxi_traj_alt_radial(&c->earth, y) < 1.0 ? 1 : 2;
            return MWX_OK;
        }
    }
    return MWX_OK;
}

static void set_impact(traj_flight_t *fl, double tau, const double y[TRAJ_N])
{
    fl->impacted = 1;
    fl->tau_imp = tau;
    for (int i = 0; i < TRAJ_N; i++)
        fl->y_imp[i] = y[i];
}

/* After burnout: the profile's stretches to impact. */
static int fly_post(const traj_cfg_t *c, rhs_state_t *st, double y[TRAJ_N], traj_flight_t *fl)
{
    double tau = fl->tau_bo;
    int hit, rc;
    st->stage = 0;
    st->x.lift = TRAJ_LIFT_NONE;
    if (c->post == TRAJ_POST_QUASI || c->post == TRAJ_POST_GLIDE) {
        /* coast to the apex (the burnout may already be past it) */
        if (radial_speed(y) > 0.0) {
            if ((rc = stretch(c, st, &tau, y, TRAJ_MAX_FLIGHT_S, EV_APEX, 0.0, fl, &hit)))
                return rc;
            if (hit == 1) {
                set_impact(fl, tau, y);
                return MWX_OK;
            }
        }
        fl->tau_apo_post = tau;
    }
    if (c->post == TRAJ_POST_QUASI && mwxi_traj_alt_radial(&c->earth, y) > c->h_pullup) {
        if ((rc = stretch(c, st, &tau, y, TRAJ_MAX_FLIGHT_S, EV_BELOW, c->h_pullup, fl, &hit)))
            return rc;
        if (hit == 1) {
            set_impact(fl, tau, y);
            return MWX_OK;
        }
        fl->tau_glide0 = tau;
        st->x.lift = TRAJ_LIFT_PULLUP;
        if ((rc = stretch(c, st, &tau, y, tau + TRAJ_PULLUP_S, EV_GROUND, 0.0, fl, &hit)))
            return rc;
        fl->tau_glide1 = tau;
        st->x.lift = TRAJ_LIFT_NONE;
        if (hit) {
            set_impact(fl, tau, y);
            return MWX_OK;
        }
    } else if (c->post == TRAJ_POST_GLIDE) {
        if (c->stop_at_apex)
            return MWX_OK;
        fl->tau_glide0 = tau;
        st->x.lift = TRAJ_LIFT_GLIDE;
        /* the pull-out: lift from the apex on (it grows as the air thickens) */
        if (mwxi_traj_alt_radial(&c->earth, y) > c->glide_h && dive_margin(c, tau, y) > 1e-9) {
            if ((rc = stretch(c, st, &tau, y, TRAJ_MAX_FLIGHT_S, EV_ENTRY, c->glide_h, fl, &hit)))
                return rc;
            if (hit == 1) {
                fl->tau_glide1 = tau;
                set_impact(fl, tau, y);
                return MWX_OK;
            }
        }
        if (dive_margin(c, tau, y) > 1e-9) {
            fl->tau_hold0 = tau;
            if ((rc = stretch(c, st, &tau, y, TRAJ_MAX_FLIGHT_S, EV_DIVE, 0.0, fl, &hit)))
                return rc;
        } else {
            hit = 2;
        }
        if (hit == 1) {
            fl->tau_glide1 = tau;
            set_impact(fl, tau, y);
            return MWX_OK;
        }
        fl->tau_dive = tau;
        {
            double w = c->earth.omega, va[3] = {y[3] + w * y[1], y[4] - w * y[0], y[5]};
            fl->v_dive = mwx_norm3(va);
        }
        st->x.lift = TRAJ_LIFT_DIVE;
    }
    if ((rc = stretch(c, st, &tau, y, TRAJ_MAX_FLIGHT_S, EV_GROUND, 0.0, fl, &hit)))
        return rc;
    if (c->post == TRAJ_POST_GLIDE)
        fl->tau_glide1 = tau;
    if (hit)
        set_impact(fl, tau, y);
    return MWX_OK;
}

int mwxi_traj_fly(const traj_cfg_t *c, const traj_prog_t *p, int boost_only, traj_flight_t *fl)
{
    rhs_state_t st;
    traj_dp_opts_t o;
    traj_dp_result_t res;
    ev_ctx_t ev = {c, 1.0, EV_GROUND, 0.0};
    double y[TRAJ_N];
    double tb[4] = {0.0, c->t_vert, 0.0, c->burn_s};
    int rc;

    mwxi_traj_flight_start(c, fl, y);
    mwxi_traj_rhs_init(&st.x, c, p);
    tb[2] = st.x.t_stage;
    mwxi_traj_dp_opts(c, 0.5, 20.0, &o);
    for (int k = 0; k < 3; k++) {
        st.stage = k < 2 ? 1 : 2;
        rc = mwxi_traj_dp_run(rhs_seg, &st, tb[k], y, tb[k + 1], &o, ev_alt, &ev,
                              mwxi_traj_push_seg, fl, &res);
        fl->n_steps += res.n_steps + res.n_rejected;
        fl->n_rhs += res.n_rhs;
        if (rc)
            return rc;
        if (res.event) {
            fl->crashed = fl->impacted = 1;
            fl->tau_bo = fl->tau_imp = res.t;
            for (int i = 0; i < TRAJ_N; i++)
                fl->y_bo[i] = fl->y_imp[i] = y[i];
            fl->n_boost_seg = fl->n_seg;
            return MWX_OK;
        }
        if (k == 1)
            for (int i = 0; i < TRAJ_N; i++)
                fl->y_stage[i] = y[i];
    }
    fl->n_boost_seg = fl->n_seg;
    fl->tau_bo = c->burn_s;
    fl->tau_stage = st.x.t_stage;
    for (int i = 0; i < TRAJ_N; i++)
        fl->y_bo[i] = y[i];
    if (boost_only)
        return MWX_OK;
    return fly_post(c, &st, y, fl);
}

int mwxi_traj_coast_append(const traj_cfg_t *c, double beta, double tau0, const double y0[TRAJ_N],
                           traj_flight_t *fl)
{
    rhs_state_t st;
    traj_prog_t p = {0.0, 0.0, 1000.0, 1};
    double y[TRAJ_N], tau = tau0;
    int hit, rc;
    traj_cfg_t cc = *c;
    cc.post = TRAJ_POST_BALLISTIC;
    cc.weave_g = 0.0;
    for (int i = 0; i < TRAJ_N; i++)
        y[i] = y0[i];
    mwxi_traj_rhs_init(&st.x, &cc, &p);
    st.x.beta_coast = beta;
    st.stage = 0;
    if ((rc = stretch(&cc, &st, &tau, y, TRAJ_MAX_FLIGHT_S, EV_GROUND, 0.0, fl, &hit)))
        return rc;
    fl->impacted = hit != 0;
    fl->orbit = !hit;
    fl->tau_imp = tau;
    for (int i = 0; i < TRAJ_N; i++)
        fl->y_imp[i] = y[i];
    return MWX_OK;
}

int mwxi_traj_fly_coast(const traj_cfg_t *c, double beta, double tau0, const double y0[TRAJ_N],
                        traj_flight_t *fl)
{
    fl->n_seg = fl->n_boost_seg = 0;
    fl->impacted = fl->crashed = fl->orbit = 0;
    fl->n_steps = fl->n_rhs = 0;
    fl->tau_glide0 = fl->tau_glide1 = fl->tau_dive = fl->tau_hold0 = HUGE_VAL;
    fl->tau_coast0 = fl->tau_coast1 = HUGE_VAL;
    fl->tau_bo = fl->tau_stage = tau0;
    for (int i = 0; i < TRAJ_N; i++)
        fl->y_bo[i] = fl->y_stage[i] = y0[i];
    return mwxi_traj_coast_append(c, beta, tau0, y0, fl);
}

mwx_phase_t mwxi_traj_flight_phase(const traj_flight_t *fl, double tau)
{
    if (tau >= fl->tau_coast0 && tau < fl->tau_coast1)
        return MWX_PHASE_BALLISTIC; /* engine off: no plume */
    if (tau < fl->tau_bo)
        return MWX_PHASE_BOOST;
    if (fl->orbit)
        return MWX_PHASE_ORBIT;
    if (tau >= fl->tau_glide0 && tau < fl->tau_glide1)
        return MWX_PHASE_GLIDE;
    return MWX_PHASE_BALLISTIC;
}

void mwxi_traj_flight_free(traj_flight_t *fl)
{
    free(fl->seg);
    fl->seg = NULL;
    fl->n_seg = fl->cap = 0;
}

void mwxi_traj_flight_state(const traj_flight_t *fl, double tau, double y[TRAJ_N])
{
    size_t lo = 0, hi = fl->n_seg;
    double tend = fl->impacted ? fl->tau_imp : fl->seg[fl->n_seg - 1].t0 + fl->seg[fl->n_seg - 1].h;
    if (tau < fl->seg[0].t0)
        tau = fl->seg[0].t0;
    if (tau > tend)
        tau = tend;
    /* last segment with t0 <= tau */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (fl->seg[mid].t0 <= tau)
            lo = mid;
        else
            hi = mid;
    }
    mwxi_traj_seg_eval(&fl->seg[lo], tau, y);
}

static double alt_at(const traj_cfg_t *c, const traj_flight_t *fl, double tau)
{
    double y[TRAJ_N];
    mwx_geo_t g;
    mwxi_traj_flight_state(fl, tau, y);
    mwx_ecef_to_geo(&c->earth, y, &g);
    return g.alt;
}

double mwxi_traj_flight_apogee(const traj_cfg_t *c, const traj_flight_t *fl, double *tau_apo)
{
    size_t n = fl->n_seg, k = 0;
    double tend = fl->impacted ? fl->tau_imp : fl->seg[n - 1].t0 + fl->seg[n - 1].h;
    double best = -HUGE_VAL;
    /* coarse: the segment starts; then golden section around the best */
    for (size_t i = 0; i < n; i++) {
        double hgt = mwxi_traj_alt_radial(&c->earth, fl->seg[i].c[0]);
        if (hgt > best) {
            best = hgt;
            k = i;
        }
    }
    double a = k > 0 ? fl->seg[k - 1].t0 : fl->seg[0].t0;
    double b = k + 1 < n ? fl->seg[k + 1].t0 : tend;
    const double gr = 0.6180339887498949;
    double x1 = b - gr * (b - a), x2 = a + gr * (b - a);
    double f1 = alt_at(c, fl, x1), f2 = alt_at(c, fl, x2);
    for (int it = 0; it < 60 && b - a > 1e-7; it++) {
        if (f1 < f2) {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + gr * (b - a);
            f2 = alt_at(c, fl, x2);
        } else {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - gr * (b - a);
            f1 = alt_at(c, fl, x1);
        }
    }
    double tm = 0.5 * (a + b);
    if (tau_apo)
        *tau_apo = tm;
    return alt_at(c, fl, tm);
}
