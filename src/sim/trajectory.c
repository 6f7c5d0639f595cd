/* Launch trajectories: the public mwx_traj_* API over the flight model
 * (traj_flight.h), the targeting solver (traj_solver.h) and the Dormand-Prince
 * integrator (traj_integrator.h). Design and figures: docs/TRAJECTORIES.md. */
#include <math.h>
#include <stdio.h>
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
    /* objects 1..n_obj-1: the separated parts, each its own flight */
    int n_obj;
    traj_flight_t part[MWX_TRAJ_MAX_OBJECTS];
    mwx_traj_object_t obj[MWX_TRAJ_MAX_OBJECTS];
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
    if (l->profile != MWX_PROFILE_SPACE_LAUNCH &&
        !(l->burn_time_s >= 10.0 && l->burn_time_s <= 600.0))
        return mwx_err_set(err, MWX_EINVAL, "launch %s: burn_time_s %g outside [10, 600] s", id,
                           l->burn_time_s);
    if (!(l->beta_kg_m2 >= 50.0 && l->beta_kg_m2 <= 1e6))
        return mwx_err_set(err, MWX_EINVAL,
                           "launch %s: ballistic coefficient %g outside [50, 1e6] kg/m^2", id,
                           l->beta_kg_m2);
    if (!(ph->earth.a > 1e6 && ph->earth.gm > 0 && ph->earth.f >= 0 && ph->earth.f < 0.1))
        return mwx_err_set(err, MWX_EINVAL, "launch %s: bad earth model", id);
    if ((unsigned)l->profile > MWX_PROFILE_SPACE_LAUNCH)
        return mwx_err_set(err, MWX_EINVAL, "launch %s: unknown profile %d", id, (int)l->profile);
    if (l->profile == MWX_PROFILE_SPACE_LAUNCH) {
        if (!isfinite(l->azimuth) || !isfinite(l->orbit_alt_m) || !isfinite(l->fail_at_s) ||
            l->fail_at_s < 0.0)
            return mwx_err_set(err, MWX_EINVAL, "launch %s: bad space-launch values", id);
        return MWX_OK;
    }
    if (l->n_stages > 2)
        return mwx_err_set(err, MWX_EINVAL,
                           "launch %s: impossible stage set: a %s flight has 1 or 2 stages, "
                           "not %d",
                           id, l->profile == MWX_PROFILE_GLIDE ? "glide" : "ballistic",
                           l->n_stages);
    if (!(l->terminal_g >= 0.0 && l->terminal_g <= 10.0))
        return mwx_err_set(err, MWX_EINVAL, "launch %s: terminal_maneuver_g %g outside [0, 10]", id,
                           l->terminal_g);
    if (l->profile == MWX_PROFILE_GLIDE &&
        !(l->lift_to_drag >= 0.0 && l->lift_to_drag <= 10.0 && l->glide_alt_m >= 1e3 &&
          l->glide_alt_m <= 150e3 && isfinite(l->crossrange_m)))
        return mwx_err_set(err, MWX_EINVAL, "launch %s: bad glide values", id);
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
    mwxi_traj_cfg_init(&tr->cfg, ph, l);
    tr->t_launch = l->t_launch;
    tr->theta_launch = ph->rotation ? mwx_earth_rotation_angle(epoch_unix + l->t_launch) : 0.0;
    traj_sep_t sep[MWX_MAX_STAGES];
    int n_sep = 0;
    if (l->profile == MWX_PROFILE_SPACE_LAUNCH) {
        rc = mwxi_traj_space_fly(&tr->cfg, l, &tr->fl, sep, &n_sep, err);
        if (!rc && l->fail_at_s > 0.0 && tr->fl.orbit)
            rc = mwx_err_set(err, MWX_EINVAL,
                             "launch %s: fail_at_s %g s is after the orbit insertion at %.0f s",
                             l->id, l->fail_at_s, tr->fl.tau_bo);
        if (!rc) {
            tr->sol.prog.dv = 0.0;
            tr->sol.apogee_m = mwxi_traj_flight_apogee(&tr->cfg, &tr->fl, NULL);
        }
    } else if (l->profile == MWX_PROFILE_GLIDE) {
        rc = mwxi_traj_glide_solve(&tr->cfg, l, &tr->fl, &tr->sol, err);
    } else {
        rc = mwxi_traj_solve(&tr->cfg, l, &tr->fl, &tr->sol, err);
        if (!rc && tr->cfg.weave_g > 0.0) {
            /* the weave fills the last TRAJ_WEAVE_S of the flight solved without it; the
             * second solve lands the weaving flight on the aim */
            tr->cfg.tau_weave = tr->fl.tau_imp - TRAJ_WEAVE_S;
            rc = mwxi_traj_solve(&tr->cfg, l, &tr->fl, &tr->sol, err);
        }
    }
    /* a missile's spent first stage ("stages": 2) falls from its burnout on its own path */
    if (!rc && l->profile != MWX_PROFILE_SPACE_LAUNCH && tr->cfg.stages_out) {
        traj_sep_t *sp = &sep[n_sep++];
        sp->tau = tr->fl.tau_stage;
        sp->beta = TRAJ_STAGE_BETA;
        sp->stage = 1;
        memcpy(sp->y, tr->fl.y_stage, sizeof sp->y);
    }
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
        in->in_orbit = tr->fl.orbit;
        to_ecef(tr, tr->fl.tau_bo, tr->fl.y_bo, in->burnout_ecef, in->burnout_vel);
        /* true ECI: L rotated back by the Earth rotation angle at launch */
        mwx_ecef_to_eci(tr->theta_launch, 0.0, tr->fl.y_bo, tr->fl.y_bo + 3, in->burnout_eci,
                        in->burnout_vel_eci);
        to_ecef(tr, tr->fl.tau_imp, tr->fl.y_imp, ecef, NULL);
        mwx_ecef_to_geo(&tr->cfg.earth, ecef, &g);
        in->impact_lat = g.lat;
        in->impact_lon = g.lon;
        in->apogee_m = tr->sol.apogee_m;
        mwx_geodesic_inverse(&tr->cfg.earth, l->site_lat, l->site_lon, g.lat, g.lon, &in->range_m,
                             NULL, NULL);
    }
    /* the objects: the vehicle, then the parts in order of separation */
    tr->n_obj = 1;
    for (int k = 0; k < n_sep; k++) {
        traj_flight_t *pf = &tr->part[tr->n_obj];
        rc = mwxi_traj_fly_coast(&tr->cfg, sep[k].beta, sep[k].tau, sep[k].y, pf);
        if (rc) {
            mwx_traj_destroy(tr);
            return mwx_err_set(err, rc, "launch %s: stage %d: trajectory integration failed", l->id,
                               sep[k].stage);
        }
        snprintf(tr->obj[tr->n_obj].id, sizeof tr->obj[0].id, "%.*s-S%d", MWX_ID_LEN - 5, l->id,
                 sep[k].stage);
        tr->n_obj++;
    }
    for (int k = 0; k < tr->n_obj; k++) {
        const traj_flight_t *f = k ? &tr->part[k] : &tr->fl;
        mwx_traj_object_t *o = &tr->obj[k];
        double ecef[3];
        mwx_geo_t g;
        if (!k)
            mwx_strlcpy(o->id, l->id, sizeof o->id);
        o->t_start = l->t_launch + (k ? f->tau_bo : 0.0);
        o->t_end = l->t_launch + f->tau_imp;
        o->impacts = f->impacted;
        to_ecef(tr, f->tau_imp, f->y_imp, ecef, NULL);
        mwx_ecef_to_geo(&tr->cfg.earth, ecef, &g);
        o->impact_lat = f->impacted ? g.lat : 0.0;
        o->impact_lon = f->impacted ? g.lon : 0.0;
    }
    *out = tr;
    return MWX_OK;
}

void mwx_traj_destroy(mwx_traj_t *tr)
{
    if (!tr)
        return;
    mwxi_traj_flight_free(&tr->fl);
    for (int k = 0; k < MWX_TRAJ_MAX_OBJECTS; k++)
        mwxi_traj_flight_free(&tr->part[k]);
    free(tr);
}

int mwx_traj_object_state(const mwx_traj_t *tr, int k, double t, double ecef[3], double vel[3],
                          mwx_phase_t *phase)
{
    double y[TRAJ_N], tau;
    double v[3];
    if (!tr || k < 0 || k >= tr->n_obj)
        return MWX_ERANGE;
    const mwx_traj_object_t *o = &tr->obj[k];
    const traj_flight_t *f = k ? &tr->part[k] : &tr->fl;
    if (!(t >= o->t_start) || !(t <= o->t_end))
        return MWX_ERANGE;
    tau = t - tr->t_launch;
    if (t == o->t_end)
        tau = f->tau_imp;
    mwxi_traj_flight_state(f, tau, y);
    to_ecef(tr, tau, y, ecef, vel ? vel : v);
    if (phase)
        *phase = t >= o->t_end && o->impacts ? MWX_PHASE_IMPACT : mwxi_traj_flight_phase(f, tau);
    return MWX_OK;
}

int mwx_traj_state(const mwx_traj_t *tr, double t, double ecef[3], double vel[3],
                   mwx_phase_t *phase)
{
    return mwx_traj_object_state(tr, 0, t, ecef, vel, phase);
}

int mwx_traj_n_objects(const mwx_traj_t *tr)
{
    return tr ? tr->n_obj : 0;
}

int mwx_traj_object(const mwx_traj_t *tr, int k, mwx_traj_object_t *o)
{
    if (!tr || k < 0 || k >= tr->n_obj)
        return MWX_ERANGE;
    *o = tr->obj[k];
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

void mwxi_traj_get_details(const mwx_traj_t *tr, traj_details_t *d)
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
