/* One flight for a given boost programme (see traj_flight.h). */
#include "sim/traj_flight.h"

#include <math.h>
#include <stdlib.h>

#include "sim/traj_atmosphere.h"
#include "sim/traj_gravity.h"

void traj_cfg_init(traj_cfg_t *c, const mwx_physics_t *ph, const mwx_launch_t *l)
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
}

double traj_alt_radial(const mwx_earth_t *e, const double r[3])
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

double traj_stage1_time(double burn_s, double zeta)
{
    /* lift-off thrust/weight = ve zeta / (g0 t1): shorten stage 1 (down to 30 % of the
     * burn) rather than let it fall below 1.5 */
    double t1 = TRAJ_ISP_S * zeta / TRAJ_MIN_TW;
    return fmin(0.5, fmax(0.3, t1 / burn_s)) * burn_s;
}

void traj_rhs_init(traj_rhs_ctx_t *x, const traj_cfg_t *c, const traj_prog_t *p)
{
    double h0[3];
    x->c = c;
    x->p = p;
    x->ve = TRAJ_ISP_S * TRAJ_G0;
    x->zeta = 1.0 - exp(-p->dv / (2.0 * x->ve));
    x->t_stage = traj_stage1_time(c->burn_s, x->zeta);
    for (int i = 0; i < 3; i++)
        h0[i] = cos(p->psi) * c->north0[i] + sin(p->psi) * c->east0[i];
    /* normal of the flight plane: r0 x h0 */
    mwx_cross3(c->r0, h0, x->n);
    double nn = mwx_norm3(x->n);
    for (int i = 0; i < 3; i++)
        x->n[i] /= nn;
}

void traj_rhs_stage(const traj_rhs_ctx_t *x, int stage, double tau, const double y[TRAJ_N],
                    double dy[TRAJ_N])
{
    const traj_cfg_t *c = x->c;
    double acc[3], inv_beta = 0.0;
    traj_gravity(c->earth.gm, c->earth.a, c->j2, y, acc);
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
        inv_beta = 1.0 / c->beta_rv;
    }
    if (c->drag) {
        double alt = traj_alt_radial(&c->earth, y);
        double rho = traj_atm_density(alt);
        if (rho > 0.0) {
            double w = c->earth.omega;
            double vr[3] = {y[3] + w * y[1], y[4] - w * y[0], y[5]};
            double k = -0.5 * rho * mwx_norm3(vr) * inv_beta;
            for (int i = 0; i < 3; i++)
                acc[i] += k * vr[i];
        }
    }
    dy[0] = y[3];
    dy[1] = y[4];
    dy[2] = y[5];
    dy[3] = acc[0];
    dy[4] = acc[1];
    dy[5] = acc[2];
}

void traj_rhs(void *ctx, double tau, const double y[TRAJ_N], double dy[TRAJ_N])
{
    const traj_rhs_ctx_t *x = ctx;
    double ts = x->t_stage;
    int stage = tau < ts ? 1 : tau < x->c->burn_s ? 2 : 0;
    traj_rhs_stage(x, stage, tau, y, dy);
}

static void rhs_seg(void *ctx, double tau, const double y[TRAJ_N], double dy[TRAJ_N])
{
    const rhs_state_t *s = ctx;
    traj_rhs_stage(&s->x, s->stage, tau, y, dy);
}

typedef struct ev_ctx {
    const mwx_earth_t *e;
    double offset;
} ev_ctx_t;

static double ev_alt(void *ctx, double tau, const double y[TRAJ_N])
{
    const ev_ctx_t *ev = ctx;
    return traj_alt_radial(ev->e, y) + ev->offset;
}

static int push_seg(void *ctx, const traj_seg_t *seg)
{
    traj_flight_t *fl = ctx;
    if (fl->n_seg == fl->cap) {
        size_t nc = fl->cap ? 2 * fl->cap : 256;
        traj_seg_t *ns = realloc(fl->seg, nc * sizeof *ns);
        if (!ns)
            return MWX_ENOMEM;
        fl->seg = ns;
        fl->cap = nc;
    }
    fl->seg[fl->n_seg++] = *seg;
    return MWX_OK;
}

int traj_fly(const traj_cfg_t *c, const traj_prog_t *p, int boost_only, traj_flight_t *fl)
{
    rhs_state_t st;
    traj_dp_opts_t o;
    traj_dp_result_t res;
    ev_ctx_t ev = {&c->earth, 1.0};
    double y[TRAJ_N];
    double w = c->earth.omega;
    double tb[4] = {0.0, c->t_vert, 0.0, c->burn_s};
    int rc;

    fl->n_seg = fl->n_boost_seg = 0;
    fl->impacted = fl->crashed = 0;
    fl->n_steps = fl->n_rhs = 0;
    traj_rhs_init(&st.x, c, p);
    tb[2] = st.x.t_stage;
    y[0] = c->r0[0];
    y[1] = c->r0[1];
    y[2] = c->r0[2];
    y[3] = -w * c->r0[1];
    y[4] = w * c->r0[0];
    y[5] = 0.0;
    o.rtol = c->rtol;
    for (int i = 0; i < 3; i++) {
        o.atol[i] = c->atol_m;
        o.atol[3 + i] = c->atol_mps;
    }
    o.h0 = 0.5;
    o.hmax = 20.0;
    o.max_steps = 200000;
    for (int k = 0; k < 3; k++) {
        st.stage = k < 2 ? 1 : 2;
        rc = traj_dp_run(rhs_seg, &st, tb[k], y, tb[k + 1], &o, ev_alt, &ev, push_seg, fl,
                         &res);
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
    }
    fl->n_boost_seg = fl->n_seg;
    fl->tau_bo = c->burn_s;
    for (int i = 0; i < TRAJ_N; i++)
        fl->y_bo[i] = y[i];
    if (boost_only)
        return MWX_OK;
    st.stage = 0;
    ev.offset = 0.0;
    o.h0 = 2.0;
    o.hmax = 120.0;
    rc = traj_dp_run(rhs_seg, &st, c->burn_s, y, TRAJ_MAX_FLIGHT_S, &o, ev_alt, &ev, push_seg,
                     fl, &res);
    fl->n_steps += res.n_steps + res.n_rejected;
    fl->n_rhs += res.n_rhs;
    if (rc)
        return rc;
    if (res.event) {
        fl->impacted = 1;
        fl->tau_imp = res.t;
        for (int i = 0; i < TRAJ_N; i++)
            fl->y_imp[i] = y[i];
    }
    return MWX_OK;
}

void traj_flight_free(traj_flight_t *fl)
{
    free(fl->seg);
    fl->seg = NULL;
    fl->n_seg = fl->cap = 0;
}

void traj_flight_state(const traj_flight_t *fl, double tau, double y[TRAJ_N])
{
    size_t lo = 0, hi = fl->n_seg;
    double tend = fl->impacted ? fl->tau_imp
                               : fl->seg[fl->n_seg - 1].t0 + fl->seg[fl->n_seg - 1].h;
    if (tau < 0.0)
        tau = 0.0;
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
    traj_seg_eval(&fl->seg[lo], tau, y);
}

static double alt_at(const traj_cfg_t *c, const traj_flight_t *fl, double tau)
{
    double y[TRAJ_N];
    mwx_geo_t g;
    traj_flight_state(fl, tau, y);
    mwx_ecef_to_geo(&c->earth, y, &g);
    return g.alt;
}

double traj_flight_apogee(const traj_cfg_t *c, const traj_flight_t *fl, double *tau_apo)
{
    size_t n = fl->n_seg, k = 0;
    double tend = fl->impacted ? fl->tau_imp : fl->seg[n - 1].t0 + fl->seg[n - 1].h;
    double best = -HUGE_VAL;
    /* coarse: the segment starts; then golden section around the best */
    for (size_t i = 0; i < n; i++) {
        double hgt = traj_alt_radial(&c->earth, fl->seg[i].c[0]);
        if (hgt > best) {
            best = hgt;
            k = i;
        }
    }
    double a = k > 0 ? fl->seg[k - 1].t0 : 0.0;
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
