/* Glide targeting (see traj_solver.h, mwxi_traj_glide_solve, and docs/TRAJECTORIES.md,
 * "Glide vehicles").
 *
 * The flight after burnout steers itself (traj_flight.c): altitude hold on lift, a bank
 * turn onto the aim, a dive once the aim is 20 deg below the horizon. What the solver
 * chooses is the boost: azimuth psi, final pitch and delta-v, for three conditions:
 *   - the apex after burnout is at apogee_km (1-D Illinois on the pitch for a given
 *     delta-v and azimuth, on flights cut at the apex);
 *   - the aim lies crossrange_km off the great circle of the burnout heading (0 when the
 *     key is absent): a fixed-point update of psi, inside the same loop;
 *   - the energy: the least delta-v with which the vehicle still holds glide_alt up to
 *     the dive, with TRAJ_GLIDE_MARGIN of its lift to spare there: Illinois on the
 *     residual  v_dive - v_hold  (v_hold the speed at which glide_alt is held by
 *     (1 - margin) of the lift), the flights that fall short counting as negative.
 * Then the tight-tolerance flight; the dive homes on the aim, and a few secant-like
 * shifts of the point the guidance steers to take out what is left of the miss.
 * With lift_to_drag 0 the vehicle cannot glide: the flight is ballistic, and it is
 * solved as the lofted or depressed flight with the same apex (the zero-lift limit). */
#include <math.h>
#include <string.h>

#include "sim/traj_atmosphere.h"
#include "sim/traj_kepler.h"
#include "sim/traj_solver.h"

#define TRAJ_GLIDE_MARGIN 0.25 /* lift kept in reserve at the dive start */
#define GL_APEX_TOL_M     20.0
#define GL_XR_TOL_M       200.0
#define GL_PITCH_MIN      (-0.6)
#define GL_MAX_HOLD_CIRC  0.95   /* a hold speed nearer orbital speed is refused */
#define GL_UNDER_M        3000.0 /* the pull-out may sink this far below glide_alt */
#define GL_UNDER_SCALE    0.5    /* m/s of energy residual per m of altitude */
#define GL_PITCH_MAX      (0.5 * MWX_PI - 0.005)

typedef struct glide {
    const mwx_launch_t *l;
    traj_cfg_t capex;         /* loose, flights cut at the apex */
    traj_cfg_t loose;         /* loose, whole flights */
    double aim[3];            /* true aim, ECEF */
    double east[3], north[3]; /* at the aim */
    double xr_want, d_xr;     /* crossrange wanted (m, + right); d xr / d psi (m/rad) */
    double v_hold;            /* m/s */
    int pitch_k;
    int n_evals;
    /* warm start of the inner solve */
    double psi, pitch;
    /* the best flight seen that holds glide_alt to the dive at v_hold or faster:
     * least undershoot beyond GL_UNDER_M first, then least energy */
    int have_best;
    double best_score, best_over;
    traj_prog_t best;
    /* for the messages */
    double short_m; /* how far short the fastest flight that fell short came down */
    int too_close;  /* a flight dived before it was down to glide_alt */
} glide_t;

/* Crossrange of the aim at burnout: its distance (m) off the great circle of the
 * Earth-relative heading, + to the right. */
static double crossrange(const traj_cfg_t *c, const double aim[3], const traj_flight_t *fl)
{
    double r[3], v[3], n[3], w = c->earth.omega;
    mwx_eci_to_ecef(w * fl->tau_bo, w, fl->y_bo, fl->y_bo + 3, r, v);
    mwx_cross3(r, v, n); /* r x v: to the left of the heading */
    double nn = mwx_norm3(n), an = mwx_norm3(aim);
    if (nn <= 0.0)
        return 0.0;
    double s = mwx_dot3(aim, n) / (nn * an);
    return -asin(fmax(-1.0, fmin(1.0, s))) * an;
}

/* Apex (max geodetic altitude up to the apex after burnout) and crossrange of one
 * boost. 0, 1 crashed in the boost, or a negative MWX code. */
static int boost_eval(glide_t *g, const traj_prog_t *p, traj_flight_t *fl, double *apex, double *xr)
{
    int rc = mwxi_traj_fly(&g->capex, p, 0, fl);
    g->n_evals++;
    if (rc == MWX_ERANGE)
        return 1; /* the step budget: no usable flight */
    if (rc)
        return rc;
    if (fl->crashed || fl->impacted)
        return 1;
    *apex = mwxi_traj_flight_apogee(&g->capex, fl, NULL);
    *xr = crossrange(&g->capex, g->aim, fl);
    return 0;
}

/* Inner solve at delta-v dv: psi and pitch for the apex and the crossrange.
 * 0 solved (g->psi, g->pitch), 1 not enough energy for the apex, 2 too much (even the
 * flattest boost peaks above it), 3 no usable flight, or a negative MWX code. */
static int inner(glide_t *g, double dv, traj_flight_t *fl)
{
    const double want = g->l->apogee_m;
    traj_prog_t p = {g->psi, g->pitch, dv, g->pitch_k};
    double apex = 0, xr = 0;
    int rc;
    for (int outer = 0; outer < 8; outer++) {
        /* 1-D on the pitch: bracket from the warm start, then Illinois */
        double a = p.pitch_f, fa, b, fb, step = 0.05;
        p.pitch_f = a;
        if ((rc = boost_eval(g, &p, fl, &apex, &xr)) < 0)
            return rc;
        fa = rc ? -want : apex - want; /* a crash: too flat or too weak, below */
        if (rc && a >= GL_PITCH_MAX)
            return 1;
        b = a;
        fb = fa;
        for (int k = 0; fabs(fa) > GL_APEX_TOL_M && (fa < 0) == (fb < 0); k++) {
            double nb = fa < 0 ? b + step : b - step;
            if (k > 40)
                return 3;
            if (nb > GL_PITCH_MAX)
                nb = GL_PITCH_MAX;
            if (nb < GL_PITCH_MIN)
                nb = GL_PITCH_MIN;
            if (nb == b)
                return fa < 0 ? 1 : 2; /* at the end of the pitch range */
            a = b;
            fa = fb;
            b = nb;
            p.pitch_f = b;
            if ((rc = boost_eval(g, &p, fl, &apex, &xr)) < 0)
                return rc;
            fb = rc ? -want : apex - want;
            step *= 2.0;
        }
        if (fabs(fa) <= GL_APEX_TOL_M) {
            b = a;
            fb = fa;
        } else {
            int side = 0;
            for (int it = 0; it < 60 && fabs(fb) > GL_APEX_TOL_M; it++) {
                double x = (a * fb - b * fa) / (fb - fa), fx;
                if (!(x > fmin(a, b) && x < fmax(a, b)))
                    x = 0.5 * (a + b);
                p.pitch_f = x;
                if ((rc = boost_eval(g, &p, fl, &apex, &xr)) < 0)
                    return rc;
                fx = rc ? -want : apex - want;
                if ((fx < 0) == (fb < 0)) {
                    b = x;
                    fb = fx;
                    if (side == -1)
                        fa *= 0.5;
                    side = -1;
                } else {
                    a = b;
                    fa = fb;
                    b = x;
                    fb = fx;
                    if (side == 1)
                        fa *= 0.5;
                    side = 1;
                }
                if (fabs(a - b) < 1e-9)
                    break;
            }
            if (fabs(fb) > GL_APEX_TOL_M)
                return 3;
        }
        p.pitch_f = b;
        if ((rc = boost_eval(g, &p, fl, &apex, &xr)))
            return rc < 0 ? rc : 3;
        g->pitch = b;
        g->psi = p.psi;
        if (fabs(xr - g->xr_want) < GL_XR_TOL_M)
            return 0;
        /* heading to the right (psi up) moves the aim to the left (xr down) */
        p.psi += (xr - g->xr_want) / g->d_xr;
    }
    return 3;
}

/* Lowest altitude (radial, at the stored steps) from the glide altitude to the dive. */
static double hold_min_alt(const traj_cfg_t *c, const traj_flight_t *fl)
{
    double m = HUGE_VAL;
    for (size_t i = 0; i < fl->n_seg; i++) {
        const traj_seg_t *sg = &fl->seg[i];
        if (sg->t0 < fl->tau_hold0 || sg->t0 > fl->tau_dive)
            continue;
        m = fmin(m, mwxi_traj_alt_radial(&c->earth, sg->c[0]));
    }
    return m;
}

/* The speed at which glide_alt is held by (1 - margin) of the lift: L = g - v^2 / r. */
static double hold_speed(const traj_cfg_t *c, double ld, double beta, double h)
{
    double r = c->earth.a + h, gl = c->earth.gm / (r * r);
    double k = (1.0 - TRAJ_GLIDE_MARGIN) * ld * mwxi_traj_atm_density(h) / (2.0 * beta);
    return sqrt(gl / (k + 1.0 / r));
}

/* One energy: inner solve, then the whole flight. *res = v_dive - v_hold (m/s), or
 * less when the pull-out sinks more than GL_UNDER_M below glide_alt; the flights that
 * fall short get -v_hold. 0, or 1 (no usable flight at this dv; *side -1 too little
 * energy, +1 too much, 0 neither), or a negative MWX code. */
static int energy(glide_t *g, double dv, traj_flight_t *fl, double *res, int *side)
{
    traj_prog_t p;
    int rc = inner(g, dv, fl);
    *side = 0;
    if (rc < 0)
        return rc;
    if (rc) {
        *side = rc == 2 ? 1 : rc == 1 ? -1 : 0;
        return 1;
    }
    p.psi = g->psi;
    p.pitch_f = g->pitch;
    p.dv = dv;
    p.pitch_k = g->pitch_k;
    rc = mwxi_traj_fly(&g->loose, &p, 0, fl);
    g->n_evals++;
    if (rc == MWX_ERANGE)
        return 1; /* the step budget: no usable flight */
    if (rc)
        return rc;
    if (fl->crashed) {
        *side = -1;
        return 1;
    }
    if (!fl->impacted) {
        *side = 1; /* did not come down: too much energy */
        return 1;
    }
    if (!isfinite(fl->tau_dive)) {
        double e[3], d[3];
        mwx_eci_to_ecef(g->loose.earth.omega * fl->tau_imp, 0.0, fl->y_imp, NULL, e, NULL);
        for (int i = 0; i < 3; i++)
            d[i] = e[i] - g->aim[i];
        g->short_m = fmin(g->short_m, mwx_norm3(d));
        *res = -g->v_hold;
        return 0;
    }
    *res = fl->v_dive - g->v_hold;
    if (!isfinite(fl->tau_hold0)) {
        g->too_close = 1;
        return 0;
    }
    {
        double under = g->loose.glide_h - hold_min_alt(&g->loose, fl);
        double over = fmax(under - GL_UNDER_M, 0.0);
        if (*res >= 0.0) {
            double score = 10.0 * over + dv;
            if (!g->have_best || score < g->best_score) {
                g->have_best = 1;
                g->best_score = score;
                g->best_over = over;
                g->best = p;
            }
        }
        /* a steep entry needs the speed (lift) to level off */
        *res = fmin(*res, GL_UNDER_SCALE * (GL_UNDER_M - under));
    }
    return 0;
}

static void miss_en(const glide_t *g, const traj_cfg_t *c, const traj_flight_t *fl, double m[2])
{
    double e[3], d[3];
    mwx_eci_to_ecef(c->earth.omega * fl->tau_imp, 0.0, fl->y_imp, NULL, e, NULL);
    for (int i = 0; i < 3; i++)
        d[i] = e[i] - g->aim[i];
    m[0] = mwx_dot3(d, g->east);
    m[1] = mwx_dot3(d, g->north);
}

/* lift_to_drag 0: the lofted or depressed ballistic flight with the same apex. */
static int zero_lift(traj_cfg_t *cfg, const mwx_launch_t *l, traj_flight_t *fl,
                     traj_solution_t *sol, mwx_err_t *err)
{
    mwx_launch_t b = *l;
    double r0 = mwx_norm3(cfg->r0), v, gam, hme;
    mwx_geo_t aim = {l->aim_lat, l->aim_lon, 0.0};
    double ra[3], phi;
    if (l->has_crossrange && l->crossrange_m != 0.0)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: with lift_to_drag 0 a glide vehicle cannot turn: no "
                           "crossrange",
                           l->id);
    mwx_geo_to_ecef(&cfg->earth, &aim, ra);
    phi = acos(fmax(-1.0, fmin(1.0, mwx_dot3(cfg->r0, ra) / (r0 * mwx_norm3(ra)))));
    mwxi_traj_kep_min_energy(cfg->earth.gm, r0, phi, &v, &gam);
    {
        double rv[3] = {r0, 0, 0}, vv[3] = {v * sin(gam), v * cos(gam), 0};
        hme = mwxi_traj_kep_apoapsis(cfg->earth.gm, rv, vv) - r0;
    }
    b.profile = l->apogee_m > hme ? MWX_PROFILE_LOFTED : MWX_PROFILE_DEPRESSED;
    return mwxi_traj_solve(cfg, &b, fl, sol, err);
}

/* Search the energy for one pitch-over shape (g->pitch_k): bracket, then Illinois on
 * the energy residual. Fills g->best. 0, or a negative MWX code. */
static int search_energy(glide_t *g, double az0, traj_flight_t *fl)
{
    double lo = 0, flo = 0, hi = 0, fhi = 0, dv, f;
    int have_lo = 0, have_hi = 0, side, rc;
    g->psi = az0;
    g->pitch = 0.3;
    /* start near the hold speed plus the boost's losses; step by 25 % */
    dv = g->v_hold + TRAJ_G0 * g->loose.burn_s * 0.35 + 300.0;
    for (int k = 0; k < 24 && !(have_lo && have_hi); k++) {
        if ((rc = energy(g, dv, fl, &f, &side)) < 0)
            return rc;
        if (rc == 1 && side == 0)
            return 0; /* no usable flight with this shape */
        if ((rc == 0 && f < 0) || (rc == 1 && side < 0)) {
            lo = dv;
            flo = rc == 0 ? f : -g->v_hold;
            have_lo = 1;
            if (have_hi || dv >= TRAJ_MAX_DV_MPS)
                break;
            dv = hi > 0 ? 0.5 * (dv + hi) : fmin(dv * 1.25, TRAJ_MAX_DV_MPS);
        } else if (rc == 0) {
            hi = dv;
            fhi = f;
            have_hi = 1;
            if (have_lo)
                break;
            dv *= 0.8;
            if (dv < 200.0)
                break;
        } else {
            /* too much energy for the apex (or it stays up): a hi that flies is lower */
            hi = dv;
            dv = have_lo ? 0.5 * (lo + dv) : dv * 0.8;
            if (have_lo && hi - lo < 2.0)
                break;
        }
    }
    if (!(have_lo && have_hi))
        return 0;
    for (int it = 0, sd = 0; it < 30; it++) {
        double x, fx;
        if (fhi < 0.02 * g->v_hold || hi - lo < 2.0)
            break;
        x = (lo * fhi - hi * flo) / (fhi - flo);
        if (!(x > lo + 0.05 * (hi - lo) && x < hi - 0.05 * (hi - lo)))
            x = 0.5 * (lo + hi);
        if ((rc = energy(g, x, fl, &fx, &side)) < 0)
            return rc;
        if (rc == 1)
            fx = side > 0 ? g->v_hold : -g->v_hold;
        if (fx >= 0) {
            hi = x;
            fhi = fx;
            if (sd == 1)
                flo *= 0.5;
            sd = 1;
        } else {
            lo = x;
            flo = fx;
            if (sd == -1)
                fhi *= 0.5;
            sd = -1;
        }
    }
    return 0;
}

/* The flight of p at the tight tolerance; the guidance's aim point is shifted by the
 * miss until the impact is on the aim. 0 landed within 1 km, 1 no usable flight, 2 it
 * dived before it was down to glide_alt, 3 missed by more (*miss), or a negative MWX
 * code. */
static int final_flight(glide_t *g, traj_cfg_t *cfg, const traj_prog_t *p, traj_flight_t *fl,
                        double *miss)
{
    double m[2] = {0, 0};
    int rc = 0;
    memcpy(cfg->aim, g->aim, sizeof g->aim);
    *miss = HUGE_VAL;
    for (int it = 0; it < 6; it++) {
        rc = mwxi_traj_fly(cfg, p, 0, fl);
        g->n_evals++;
        if (rc < 0 && rc != MWX_ERANGE)
            return rc;
        if (rc || fl->crashed || !fl->impacted)
            return 1;
        miss_en(g, cfg, fl, m);
        if (hypot(m[0], m[1]) < TRAJ_SOLVE_TOL_M)
            break;
        for (int i = 0; i < 3; i++)
            cfg->aim[i] -= m[0] * g->east[i] + m[1] * g->north[i];
    }
    *miss = hypot(m[0], m[1]);
    if (!isfinite(fl->tau_hold0))
        return 2;
    return *miss > 1000.0 ? 3 : 0;
}

static int finish(glide_t *g, const traj_cfg_t *cfg, const traj_prog_t *p, const traj_flight_t *fl,
                  double miss, traj_solution_t *sol)
{
    double ve = TRAJ_ISP_S * TRAJ_G0, zeta = 1.0 - exp(-p->dv / (2.0 * ve));
    sol->prog = *p;
    sol->miss_m = miss;
    sol->apogee_m = mwxi_traj_flight_apogee(cfg, fl, NULL);
    sol->n_evals = g->n_evals;
    sol->thrust_weight = ve * zeta / (mwxi_traj_stage1_time(cfg->burn_s, zeta) * TRAJ_G0);
    return MWX_OK;
}

int mwxi_traj_glide_solve(traj_cfg_t *cfg, const mwx_launch_t *l, traj_flight_t *fl,
                          traj_solution_t *sol, mwx_err_t *err)
{
    glide_t g;
    double s12, az1, up[3], phi, best_miss = HUGE_VAL;
    mwx_geo_t aim = {l->aim_lat, l->aim_lon, 0.0};
    const char *id = l->id;
    int rc;
    static const int ks[3] = {6, 3, 1};

    memset(sol, 0, sizeof *sol);
    if (cfg->ld <= 0.0)
        return zero_lift(cfg, l, fl, sol, err);
    memset(&g, 0, sizeof g);
    g.l = l;
    g.loose = *cfg;
    g.loose.rtol = cfg->rtol * 100.0;
    g.loose.atol_m = cfg->atol_m * 100.0;
    g.loose.atol_mps = cfg->atol_mps * 100.0;
    g.capex = g.loose;
    g.capex.stop_at_apex = 1;
    g.short_m = HUGE_VAL;
    mwx_geo_to_ecef(&cfg->earth, &aim, g.aim);
    mwx_enu_basis(l->aim_lat, l->aim_lon, g.east, g.north, up);
    g.xr_want = l->has_crossrange ? l->crossrange_m : 0.0;
    mwx_geodesic_inverse(&cfg->earth, l->site_lat, l->site_lon, l->aim_lat, l->aim_lon, &s12, &az1,
                         NULL);
    phi = acos(
        fmax(-1.0, fmin(1.0, mwx_dot3(cfg->r0, g.aim) / (mwx_norm3(cfg->r0) * mwx_norm3(g.aim)))));
    if (s12 < TRAJ_MIN_RANGE_M)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: aim is %.1f km from the site; a glide needs at least "
                           "%.0f km",
                           id, s12 / 1e3, TRAJ_MIN_RANGE_M / 1e3);
    if (phi > TRAJ_MAX_RANGE_ANGLE)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: range %.0f km is beyond a glide (at most %.0f deg of "
                           "arc)",
                           id, s12 / 1e3, TRAJ_MAX_RANGE_ANGLE / MWX_DEG);
    /* the aim can lie at most the whole range off the burnout heading, and the vehicle
     * turns by banking: beyond half the range it would have to fly sideways */
    if (fabs(g.xr_want) > 0.5 * s12)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: crossrange %.0f km is too large for a %.0f km range (at "
                           "most half the range: %.0f km)",
                           id, g.xr_want / 1e3, s12 / 1e3, 0.5 * s12 / 1e3);
    g.d_xr = cfg->earth.a * sin(fmax(phi, 0.01));
    g.v_hold = hold_speed(cfg, cfg->ld, cfg->beta_rv, cfg->glide_h);
    {
        double rcirc = cfg->earth.a + cfg->glide_h, vc = sqrt(cfg->earth.gm / rcirc);
        if (g.v_hold > GL_MAX_HOLD_CIRC * vc)
            return mwx_err_set(err, MWX_ERANGE,
                               "launch %s: glide_alt_km %.0f cannot be held below orbital "
                               "speed at lift_to_drag %g and ballistic_coefficient_kg_m2 %.0f "
                               "(it needs %.2f of the %.2f km/s circular speed): lower the "
                               "glide altitude or the ballistic coefficient, or raise the "
                               "lift-to-drag ratio",
                               id, cfg->glide_h / 1e3, cfg->ld, cfg->beta_rv, g.v_hold / 1e3,
                               vc / 1e3);
    }

    /* the pitch-over shapes in turn: the first whose flight lands and levels off within
     * GL_UNDER_M wins; else the one that sank least */
    {
        traj_prog_t fb;
        double fb_over = HUGE_VAL;
        for (int ik = 0; ik < 3; ik++) {
            double az0 = az1 - asin(fmax(-1.0, fmin(1.0, g.xr_want / g.d_xr))), miss;
            g.pitch_k = ks[ik];
            g.have_best = 0;
            if ((rc = search_energy(&g, az0, fl)) < 0)
                return mwx_err_set(err, rc, "launch %s: trajectory integration failed", id);
            if (!g.have_best)
                continue;
            if ((rc = final_flight(&g, cfg, &g.best, fl, &miss)) < 0)
                return mwx_err_set(err, rc, "launch %s: trajectory integration failed", id);
            if (rc == 2)
                g.too_close = 1;
            if (rc == 0 || rc == 3)
                best_miss = fmin(best_miss, miss);
            if (rc)
                continue;
            if (g.best_over <= 0.0)
                return finish(&g, cfg, &g.best, fl, miss, sol);
            if (g.best_over < fb_over) {
                fb_over = g.best_over;
                fb = g.best;
            }
        }
        if (isfinite(fb_over)) {
            double miss;
            if ((rc = final_flight(&g, cfg, &fb, fl, &miss)) < 0)
                return mwx_err_set(err, rc, "launch %s: trajectory integration failed", id);
            if (rc == 0)
                return finish(&g, cfg, &fb, fl, miss, sol);
        }
    }
    sol->n_evals = g.n_evals;
    if (isfinite(best_miss))
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: no glide lands within 1 km of the aim %.0f km away "
                           "(closest: miss %.1f km; crossrange %.0f km, lift_to_drag %g)",
                           id, s12 / 1e3, best_miss / 1e3, g.xr_want / 1e3, cfg->ld);
    if (g.too_close && isfinite(g.short_m))
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: no boost energy both reaches the aim %.0f km away and "
                           "levels off at glide_alt_km %.0f: slower flights come down %.0f km "
                           "short, faster ones are still above glide_alt when they dive (a "
                           "lower apex than %.0f km, a higher glide or more lift would)",
                           id, s12 / 1e3, l->glide_alt_m / 1e3, g.short_m / 1e3, l->apogee_m / 1e3);
    if (g.too_close)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: aim %.0f km away is too close for a glide: the vehicle "
                           "is still above glide_alt_km %.0f (coming down from the %.0f km "
                           "apex) when the aim is %.0f deg below its horizon",
                           id, s12 / 1e3, l->glide_alt_m / 1e3, l->apogee_m / 1e3,
                           TRAJ_DIVE_DEPRESSION / MWX_DEG);
    if (isfinite(g.short_m))
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: aim %.0f km away is beyond the glide range at "
                           "lift_to_drag %g from glide_alt_km %.0f (the longest glide comes "
                           "down %.0f km from it)",
                           id, s12 / 1e3, cfg->ld, l->glide_alt_m / 1e3, g.short_m / 1e3);
    return mwx_err_set(err, MWX_ERANGE,
                       "launch %s: no %.0f s boost reaches the %.0f km apex and then holds "
                       "glide_alt_km %.0f to the aim %.0f km away",
                       id, cfg->burn_s, l->apogee_m / 1e3, l->glide_alt_m / 1e3, s12 / 1e3);
}
