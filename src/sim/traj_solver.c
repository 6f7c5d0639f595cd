/* Profile targeting (see traj_solver.h). */
#include "sim/traj_solver.h"

#include <math.h>
#include <string.h>

#include "sim/traj_kepler.h"

typedef struct target {
    double aim[3], east[3], north[3], up[3];
    mwx_profile_t profile;
    double apogee_m;
    int pitch_k;
} target_t;

static const char *profile_name(mwx_profile_t p)
{
    return p == MWX_PROFILE_LOFTED      ? "lofted"
           : p == MWX_PROFILE_DEPRESSED ? "depressed"
           : p == MWX_PROFILE_GLIDE     ? "glide"
                                        : "minimum_energy";
}

/* Scaled unknowns: mrad, mrad, m/s. */
static void prog_to_u(const traj_prog_t *p, double u[3])
{
    u[0] = p->psi * 1e3;
    u[1] = p->pitch_f * 1e3;
    u[2] = p->dv;
}

static void u_to_prog(const target_t *tg, const double u[3], traj_prog_t *p)
{
    p->pitch_k = tg->pitch_k;
    p->psi = u[0] * 1e-3;
    p->pitch_f = fmin(fmax(u[1] * 1e-3, -0.6), 0.5 * MWX_PI - 0.005);
    p->dv = fmin(fmax(u[2], 200.0), TRAJ_MAX_DV_MPS);
}

/* 0 and F filled, 1 when this programme gives no usable flight (crash, orbit), or a
 * negative MWX code. */
static int evaluate(const traj_cfg_t *c, const target_t *tg, int full, const traj_prog_t *p,
                    traj_flight_t *fl, double F[3], int *n_evals)
{
    double rimp[3], ecef[3], d[3], tau_imp, apo;
    int rc = mwxi_traj_fly(c, p, !full, fl);
    (*n_evals)++;
    if (rc)
        return rc;
    if (fl->crashed)
        return 1;
    if (full) {
        if (!fl->impacted)
            return 1;
        memcpy(rimp, fl->y_imp, sizeof rimp);
        tau_imp = fl->tau_imp;
        apo =
            tg->profile == MWX_PROFILE_MINIMUM_ENERGY ? 0.0 : mwxi_traj_flight_apogee(c, fl, NULL);
    } else {
        double tof, ra = mwx_norm3(tg->aim);
        if (mwxi_traj_kep_to_radius(c->earth.gm, fl->y_bo, fl->y_bo + 3, ra, &tof, rimp))
            return 1;
        tau_imp = fl->tau_bo + tof;
        apo = tg->profile == MWX_PROFILE_MINIMUM_ENERGY
                  ? 0.0
                  : mwxi_traj_kep_apoapsis(c->earth.gm, fl->y_bo, fl->y_bo + 3) -
                        0.5 * (ra + mwx_norm3(c->r0));
    }
    mwx_eci_to_ecef(c->earth.omega * tau_imp, 0.0, rimp, NULL, ecef, NULL);
    for (int i = 0; i < 3; i++)
        d[i] = ecef[i] - tg->aim[i];
    F[0] = mwx_dot3(d, tg->east);
    F[1] = mwx_dot3(d, tg->north);
    if (tg->profile == MWX_PROFILE_MINIMUM_ENERGY) {
        double aim_l[3];
        mwx_ecef_to_eci(c->earth.omega * tau_imp, 0.0, tg->aim, NULL, aim_l, NULL);
        double gmin = mwxi_traj_kep_min_energy_gamma(fl->y_bo, aim_l);
        double g = asin(mwx_dot3(fl->y_bo, fl->y_bo + 3) /
                        (mwx_norm3(fl->y_bo) * mwx_norm3(fl->y_bo + 3)));
        F[2] = (g - gmin) * 1e6;
    } else {
        F[2] = apo - tg->apogee_m;
    }
    return 0;
}

static double fnorm(const double F[3])
{
    return F[0] * F[0] + F[1] * F[1] + F[2] * F[2];
}

static int converged(const double F[3], double tol)
{
    return fabs(F[0]) < tol && fabs(F[1]) < tol && fabs(F[2]) < 4.0 * tol;
}

/* Solve J x = b (3x3, partial pivoting). -1 when singular. */
static int solve3(double J[3][3], const double b[3], double x[3])
{
    double A[3][4];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            A[i][j] = J[i][j];
        A[i][3] = b[i];
    }
    for (int k = 0; k < 3; k++) {
        int piv = k;
        for (int i = k + 1; i < 3; i++)
            if (fabs(A[i][k]) > fabs(A[piv][k]))
                piv = i;
        if (fabs(A[piv][k]) < 1e-300)
            return -1;
        for (int j = 0; j < 4; j++) {
            double t = A[k][j];
            A[k][j] = A[piv][j];
            A[piv][j] = t;
        }
        for (int i = k + 1; i < 3; i++) {
            double f = A[i][k] / A[k][k];
            for (int j = k; j < 4; j++)
                A[i][j] -= f * A[k][j];
        }
    }
    for (int i = 2; i >= 0; i--) {
        double s = A[i][3];
        for (int j = i + 1; j < 3; j++)
            s -= A[i][j] * x[j];
        x[i] = s / A[i][i];
    }
    return isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]) ? 0 : -1;
}

static int fd_jacobian(const traj_cfg_t *c, const target_t *tg, int full, const double u[3],
                       const double F[3], traj_flight_t *fl, double J[3][3], int *n_evals)
{
    static const double du[3] = {0.1, 0.1, 1.0};
    for (int j = 0; j < 3; j++) {
        double uu[3] = {u[0], u[1], u[2]}, Fj[3];
        traj_prog_t p;
        int rc = 1;
        for (int sgn = 1; sgn >= -1 && rc == 1; sgn -= 2) {
            uu[j] = u[j] + sgn * du[j];
            u_to_prog(tg, uu, &p);
            rc = evaluate(c, tg, full, &p, fl, Fj, n_evals);
            if (rc == 0)
                for (int i = 0; i < 3; i++)
                    J[i][j] = (Fj[i] - F[i]) / (sgn * du[j]);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Newton / Broyden with backtracking. u in/out (scaled), F out. 0 converged, 1 not. */
static int newton(const traj_cfg_t *c, const target_t *tg, int full, double u[3], double J[3][3],
                  int *have_j, traj_flight_t *fl, int max_evals, double tol, double F[3],
                  int *n_evals)
{
    traj_prog_t p;
    int start = *n_evals, fresh = 0, rc;
    u_to_prog(tg, u, &p);
    prog_to_u(&p, u);
    rc = evaluate(c, tg, full, &p, fl, F, n_evals);
    if (rc)
        return rc;
    while (!converged(F, tol)) {
        double du[3], b[3] = {-F[0], -F[1], -F[2]}, un[3], Fn[3];
        int accepted = 0;
        if (*n_evals - start >= max_evals)
            return 1;
        if (!*have_j) {
            rc = fd_jacobian(c, tg, full, u, F, fl, J, n_evals);
            if (rc)
                return rc;
            *have_j = 1;
            fresh = 1;
        }
        if (solve3(J, b, du)) {
            if (fresh)
                return 1;
            *have_j = 0;
            continue;
        }
        /* trust limits: 0.1 rad of azimuth, 0.25 rad of pitch, 1.5 km/s */
        double s = fmax(fmax(fabs(du[0]) / 100.0, fabs(du[1]) / 250.0), fabs(du[2]) / 1500.0);
        if (s > 1.0)
            for (int i = 0; i < 3; i++)
                du[i] /= s;
        for (double lam = 1.0; lam > 1.0 / 64 && !accepted; lam *= 0.5) {
            for (int i = 0; i < 3; i++)
                un[i] = u[i] + lam * du[i];
            u_to_prog(tg, un, &p);
            prog_to_u(&p, un);
            rc = evaluate(c, tg, full, &p, fl, Fn, n_evals);
            if (rc < 0)
                return rc;
            if (rc == 0 && fnorm(Fn) < fnorm(F))
                accepted = 1;
        }
        if (!accepted) {
            if (fresh)
                return 1;
            *have_j = 0; /* a Broyden Jacobian went stale: difference again */
            continue;
        }
        /* Broyden rank-one update along the step taken */
        {
            double dx[3] = {un[0] - u[0], un[1] - u[1], un[2] - u[2]};
            double dd = dx[0] * dx[0] + dx[1] * dx[1] + dx[2] * dx[2];
            if (dd > 0)
                for (int i = 0; i < 3; i++) {
                    double r = Fn[i] - F[i];
                    for (int j = 0; j < 3; j++)
                        r -= J[i][j] * dx[j];
                    for (int j = 0; j < 3; j++)
                        J[i][j] += r * dx[j] / dd;
                }
        }
        fresh = 0;
        for (int i = 0; i < 3; i++) {
            u[i] = un[i];
            F[i] = Fn[i];
        }
    }
    return 0;
}

/* From the first guess to the full-physics solution, for one pitch-over shape.
 * <0 failure, 0 solved (sol->miss_m set), 1 no usable flight. */
static int attempt(const traj_cfg_t *cfg, const traj_cfg_t *c, const target_t *tg,
                   const double guess[3], traj_flight_t *fl, traj_solution_t *sol, double F[3])
{
    double J[3][3], u[3], az1 = guess[0], v_g = guess[1], g_g = guess[2];
    int have_j = 0, rc;
    /* --- first guess: the conic's burnout speed plus gravity losses, its angle */
    {
        traj_prog_t p0 = {az1, g_g, v_g + TRAJ_G0 * c->burn_s * 0.35 + 300.0, tg->pitch_k};
        prog_to_u(&p0, u);
    }
    /* a guess that crashes (too little thrust) is raised until it flies */
    for (int k = 0;; k++) {
        traj_prog_t p;
        u_to_prog(tg, u, &p);
        rc = evaluate(c, tg, 0, &p, fl, F, &sol->n_evals);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (k == 8)
            return 1;
        u[2] *= 1.25;
    }

    rc = newton(c, tg, 0, u, J, &have_j, fl, 60, 1.0, F, &sol->n_evals);
    if (rc < 0)
        return rc;
    rc = newton(c, tg, 1, u, J, &have_j, fl, 40, TRAJ_SOLVE_TOL_M, F, &sol->n_evals);
    if (rc < 0)
        return rc;
    /* the final flight, at the final tolerance, is judged on its own residuals */
    u_to_prog(tg, u, &sol->prog);
    rc = evaluate(cfg, tg, 1, &sol->prog, fl, F, &sol->n_evals);
    if (rc)
        return rc;
    sol->miss_m = hypot(F[0], F[1]);
    return 0;
}

/* Within 1 km of the aim, of the apogee (or 1 mrad of the minimum-energy angle), and
 * within the vehicle's means. */
static int solved(const traj_solution_t *sol, const double F[3])
{
    return hypot(F[0], F[1]) <= 1000.0 && fabs(F[2]) <= 1000.0 && sol->prog.dv < TRAJ_MAX_DV_MPS;
}

int mwxi_traj_solve(const traj_cfg_t *cfg, const mwx_launch_t *l, traj_flight_t *fl,
                    traj_solution_t *sol, mwx_err_t *err)
{
    /* The iterations integrate 100x looser than the final flight (a few decimetres at
     * impact; the finite differences move it by ~100 m), at half the cost. */
    traj_cfg_t cl = *cfg;
    const traj_cfg_t *c = &cl;
    target_t tg;
    mwx_geo_t aim = {l->aim_lat, l->aim_lon, 0.0};
    double s12, az1, v_me, g_me, v_g, g_g, F[3] = {0, 0, 0};
    int rc = 1;
    const char *id = l->id, *pn = profile_name(l->profile);

    memset(sol, 0, sizeof *sol);
    if (l->profile == MWX_PROFILE_GLIDE)
        return mwx_err_set(err, MWX_EINVAL, "launch %s: a glide is solved by mwxi_traj_glide_solve",
                           id);
    cl.rtol = cfg->rtol * 100.0;
    cl.atol_m = cfg->atol_m * 100.0;
    cl.atol_mps = cfg->atol_mps * 100.0;
    mwx_geo_to_ecef(&c->earth, &aim, tg.aim);
    mwx_enu_basis(l->aim_lat, l->aim_lon, tg.east, tg.north, tg.up);
    tg.profile = l->profile;
    tg.apogee_m = l->apogee_m;
    mwx_geodesic_inverse(&c->earth, l->site_lat, l->site_lon, l->aim_lat, l->aim_lon, &s12, &az1,
                         NULL);

    /* --- reachability on the sphere through the site */
    double r0 = mwx_norm3(c->r0), gm = c->earth.gm;
    double cphi = mwx_dot3(c->r0, tg.aim) / (r0 * mwx_norm3(tg.aim));
    double phi = acos(fmax(-1.0, fmin(1.0, cphi)));
    if (s12 < TRAJ_MIN_RANGE_M)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: aim is %.1f km from the site; a ballistic flight "
                           "needs at least %.0f km",
                           id, s12 / 1e3, TRAJ_MIN_RANGE_M / 1e3);
    if (phi > TRAJ_MAX_RANGE_ANGLE)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: range %.0f km is beyond a sub-orbital ballistic "
                           "flight (at most %.0f deg of arc)",
                           id, s12 / 1e3, TRAJ_MAX_RANGE_ANGLE / MWX_DEG);
    mwxi_traj_kep_min_energy(gm, r0, phi, &v_me, &g_me);
    {
        double rv[3] = {r0, 0, 0}, vv[3] = {v_me * sin(g_me), v_me * cos(g_me), 0};
        sol->kepler_apogee_m = mwxi_traj_kep_apoapsis(gm, rv, vv) - r0;
    }
    v_g = v_me;
    g_g = g_me;
    if (l->profile != MWX_PROFILE_MINIMUM_ENERGY) {
        double hme = sol->kepler_apogee_m;
        if (!(l->apogee_m > 0))
            return mwx_err_set(err, MWX_EINVAL, "launch %s: profile %s needs apogee_km", id, pn);
        if (l->profile == MWX_PROFILE_LOFTED && l->apogee_m < hme)
            return mwx_err_set(err, MWX_ERANGE,
                               "launch %s: lofted apogee %.0f km is below the %.0f km "
                               "minimum-energy apogee of this %.0f km range",
                               id, l->apogee_m / 1e3, hme / 1e3, s12 / 1e3);
        if (l->profile == MWX_PROFILE_DEPRESSED && l->apogee_m > hme)
            return mwx_err_set(err, MWX_ERANGE,
                               "launch %s: depressed apogee %.0f km is above the %.0f km "
                               "minimum-energy apogee of this %.0f km range",
                               id, l->apogee_m / 1e3, hme / 1e3, s12 / 1e3);
        /* below TRAJ_MIN_APOGEE_M a depressed flight is quasi-ballistic: the flight model
         * adds lift and its pull-up (traj_cfg_t.post), the same Newton solves it */
        if (mwxi_traj_kep_conic_apogee(gm, r0, phi, r0 + l->apogee_m, &v_g, &g_g))
            return mwx_err_set(err, MWX_ERANGE,
                               "launch %s: no ballistic conic peaks at "
                               "%.0f km over this %.0f km range",
                               id, l->apogee_m / 1e3, s12 / 1e3);
    }
    if (v_g >= sqrt(2.0 * gm / r0))
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: the %s flight needs escape speed (%.1f km/s)", id, pn,
                           v_g / 1e3);

    /* --- the pitch-over shapes to try, in order */
    {
        static const int k_dep[3] = {3, 6, 1}, k_oth[2] = {1, 3};
        const int *ks = l->profile == MWX_PROFILE_DEPRESSED ? k_dep : k_oth;
        int nk = l->profile == MWX_PROFILE_DEPRESSED ? 3 : 2;
        double guess[3] = {az1, v_g, g_g};
        for (int i = 0; i < nk; i++) {
            tg.pitch_k = ks[i];
            rc = attempt(cfg, &cl, &tg, guess, fl, sol, F);
            if (rc < 0)
                return mwx_err_set(err, rc, "launch %s: trajectory integration failed", id);
            if (rc == 0 && solved(sol, F))
                break;
        }
    }
    if (rc)
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: no %.0f s boost programme flies the %s profile to the "
                           "aim %.0f km away (the candidates crashed or did not come down)",
                           id, c->burn_s, pn, s12 / 1e3);
    if (!solved(sol, F))
        return mwx_err_set(err, MWX_ERANGE,
                           "launch %s: no %.0f s boost programme flies the %s profile to "
                           "within 1 km of the aim %.0f km away (closest: miss %.1f km, %s "
                           "off by %.1f %s%s)",
                           id, c->burn_s, pn, s12 / 1e3, hypot(F[0], F[1]) / 1e3,
                           l->profile == MWX_PROFILE_MINIMUM_ENERGY ? "burnout angle" : "apogee",
                           l->profile == MWX_PROFILE_MINIMUM_ENERGY ? F[2] / 1e3 : F[2] / 1e3,
                           l->profile == MWX_PROFILE_MINIMUM_ENERGY ? "mrad" : "km",
                           sol->prog.dv >= TRAJ_MAX_DV_MPS ? "; at the vehicle's limit" : "");
    sol->apogee_m = mwxi_traj_flight_apogee(c, fl, NULL);
    {
        double ve = TRAJ_ISP_S * TRAJ_G0, zeta = 1.0 - exp(-sol->prog.dv / (2.0 * ve));
        sol->thrust_weight = ve * zeta / (mwxi_traj_stage1_time(c->burn_s, zeta) * TRAJ_G0);
    }
    return MWX_OK;
}
