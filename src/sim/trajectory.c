/* Launch trajectories: the public mwx_traj_* API over the flight model
 * (traj_flight.h), the targeting solver (traj_solver.h) and the Dormand-Prince
 * integrator (traj_integrator.h). Design and figures: docs/TRAJECTORIES.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/sim.h"
#include "sim/traj_flight.h"
#include "sim/traj_solver.h"
#include "sim/traj_trajectory.h"

struct mwx_traj {
    traj_cfg_t cfg;
    traj_flight_t fl;
    traj_solution_t sol;
    double t_launch;
    double theta_launch; /* Earth rotation angle at launch (0 when not rotating) */
    mwx_traj_info_t info;
};

static int check_launch(const mwx_physics_t *ph, const mwx_launch_t *l, mwx_err_t *err)
{
    const char *id = l->id;
    if (!isfinite(l->t_launch) || !isfinite(l->site_lat) || !isfinite(l->site_lon) ||
        !isfinite(l->aim_lat) || !isfinite(l->aim_lon) || !isfinite(l->apogee_m))
        return mwx_err_set(err, MWX_EINVAL, "launch %s: non-finite value", id);
    if (fabs(l->site_lat) > 0.5 * MWX_PI || fabs(l->aim_lat) > 0.5 * MWX_PI)
        return mwx_err_set(err, MWX_EINVAL, "launch %s: latitude beyond +-90 deg", id);
    if (!(l->burn_time_s >= 10.0 && l->burn_time_s <= 600.0))
        return mwx_err_set(err, MWX_EINVAL, "launch %s: burn_time_s %g outside [10, 600] s",
                           id, l->burn_time_s);
    if (!(l->beta_kg_m2 >= 50.0 && l->beta_kg_m2 <= 1e6))
        return mwx_err_set(err, MWX_EINVAL,
                           "launch %s: ballistic coefficient %g outside [50, 1e6] kg/m^2", id,
                           l->beta_kg_m2);
    if (!(ph->earth.a > 1e6 && ph->earth.gm > 0 && ph->earth.f >= 0 && ph->earth.f < 0.1))
        return mwx_err_set(err, MWX_EINVAL, "launch %s: bad earth model", id);
    if ((unsigned)l->profile > MWX_PROFILE_DEPRESSED)
        return mwx_err_set(err, MWX_EINVAL, "launch %s: unknown profile %d", id,
                           (int)l->profile);
    return MWX_OK;
}

static void to_ecef(const mwx_traj_t *tr, double tau, const double y[TRAJ_N], double ecef[3],
                    double vel[3])
{
    double w = tr->cfg.earth.omega;
    mwx_eci_to_ecef(w * tau, w, y, y + 3, ecef, vel);
}

int mwx_traj_create(const mwx_physics_t *ph, const mwx_launch_t *l, double epoch_unix,
                    mwx_traj_t **out, mwx_err_t *err)
{
    mwx_traj_t *tr;
    int rc;
    *out = NULL;
    if ((rc = check_launch(ph, l, err)))
        return rc;
    tr = calloc(1, sizeof *tr);
    if (!tr)
        return mwx_err_set(err, MWX_ENOMEM, "launch %s: out of memory", l->id);
    traj_cfg_init(&tr->cfg, ph, l);
    tr->t_launch = l->t_launch;
    tr->theta_launch =
        ph->rotation ? mwx_earth_rotation_angle(epoch_unix + l->t_launch) : 0.0;
    rc = traj_solve(&tr->cfg, l, &tr->fl, &tr->sol, err);
    if (rc) {
        mwx_traj_destroy(tr);
        return rc;
    }
    {
        mwx_traj_info_t *in = &tr->info;
        double ecef[3];
        mwx_geo_t g;
        in->t_launch = l->t_launch;
        in->t_burnout = l->t_launch + tr->fl.tau_bo;
        in->t_impact = l->t_launch + tr->fl.tau_imp;
        to_ecef(tr, tr->fl.tau_bo, tr->fl.y_bo, in->burnout_ecef, in->burnout_vel);
        /* true ECI: L rotated back by the Earth rotation angle at launch */
        mwx_ecef_to_eci(tr->theta_launch, 0.0, tr->fl.y_bo, tr->fl.y_bo + 3, in->burnout_eci,
                        in->burnout_vel_eci);
        to_ecef(tr, tr->fl.tau_imp, tr->fl.y_imp, ecef, NULL);
        mwx_ecef_to_geo(&tr->cfg.earth, ecef, &g);
        in->impact_lat = g.lat;
        in->impact_lon = g.lon;
        in->apogee_m = tr->sol.apogee_m;
        mwx_geodesic_inverse(&tr->cfg.earth, l->site_lat, l->site_lon, g.lat, g.lon,
                             &in->range_m, NULL, NULL);
    }
    *out = tr;
    return MWX_OK;
}

void mwx_traj_destroy(mwx_traj_t *tr)
{
    if (!tr)
        return;
    traj_flight_free(&tr->fl);
    free(tr);
}

int mwx_traj_state(const mwx_traj_t *tr, double t, double ecef[3], double vel[3],
                   mwx_phase_t *phase)
{
    double y[TRAJ_N], tau;
    double v[3];
    if (!tr || !(t >= tr->info.t_launch) || !(t <= tr->info.t_impact))
        return MWX_ERANGE;
    tau = t - tr->t_launch;
    if (t == tr->info.t_impact)
        tau = tr->fl.tau_imp;
    traj_flight_state(&tr->fl, tau, y);
    to_ecef(tr, tau, y, ecef, vel ? vel : v);
    if (phase)
        *phase = t >= tr->info.t_impact  ? MWX_PHASE_IMPACT
                 : t < tr->info.t_burnout ? MWX_PHASE_BOOST
                                          : MWX_PHASE_BALLISTIC;
    return MWX_OK;
}

void mwx_traj_get_info(const mwx_traj_t *tr, mwx_traj_info_t *info)
{
    if (!tr) {
        memset(info, 0, sizeof *info);
        return;
    }
    *info = tr->info;
}

void traj_get_details(const mwx_traj_t *tr, traj_details_t *d)
{
    d->prog = tr->sol.prog;
    d->miss_m = tr->sol.miss_m;
    d->thrust_weight = tr->sol.thrust_weight;
    d->kepler_min_energy_apogee_m = tr->sol.kepler_apogee_m;
    d->n_evals = tr->sol.n_evals;
    d->n_seg = tr->fl.n_seg;
    d->n_boost_seg = tr->fl.n_boost_seg;
    d->cfg = &tr->cfg;
    d->flight = &tr->fl;
}
