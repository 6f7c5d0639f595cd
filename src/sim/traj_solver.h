/* Profile targeting (internal to src/sim): find the boost programme (azimuth, final
 * pitch, delta-v) whose full-physics flight lands on the aim and meets the profile.
 *
 * 1. Checks on the sphere (closed-form Kepler) that the aim is reachable for the
 *    profile; MWX_ERANGE naming the launch and why otherwise.
 * 2. Newton (finite-difference Jacobian, Broyden updates, backtracking) on a cheap
 *    model: integrated boost + Kepler conic from burnout to the aim's radius, with the
 *    Earth turning under it.
 * 3. The same Newton through the full integration (rotation, J2, drag, ellipsoid),
 *    starting from step 2's solution and Jacobian, to a miss below TRAJ_SOLVE_TOL_M.
 *
 * Residuals: east and north miss at the aim (m); and for lofted / depressed the apogee
 * error (m), for minimum-energy the difference between the burnout flight-path angle
 * and that of the minimum-energy conic from the burnout point to the aim (as it will
 * be at impact, in the inertial frame), in microradians. */
#ifndef MWX_TRAJ_SOLVER_H
#define MWX_TRAJ_SOLVER_H

#include "sim/traj_flight.h"

#define TRAJ_SOLVE_TOL_M     5.0
#define TRAJ_MIN_RANGE_M     50000.0
#define TRAJ_MAX_RANGE_ANGLE (160.0 * MWX_DEG)
#define TRAJ_MIN_APOGEE_M    80000.0
#define TRAJ_MAX_DV_MPS      14000.0

typedef struct traj_solution {
    traj_prog_t prog;
    double miss_m; /* full-physics impact to aim, m */
    double apogee_m;
    double kepler_apogee_m; /* minimum-energy apogee on the sphere, for messages */
    double thrust_weight;   /* at lift-off */
    int n_evals;            /* flights integrated (cheap + full) */
} traj_solution_t;

/* On success fl holds the solved flight. Not for the glide profile. */
int mwxi_traj_solve(const traj_cfg_t *c, const mwx_launch_t *l, traj_flight_t *fl,
                    traj_solution_t *sol, mwx_err_t *err);

/* The glide profile (traj_glide.c): the boost for the apex, the crossrange and the
 * energy that holds glide_alt to the dive; sets c->aim to the point the guidance steers
 * to (within metres of the aim) so that the flight lands on the aim. */
int mwxi_traj_glide_solve(traj_cfg_t *c, const mwx_launch_t *l, traj_flight_t *fl,
                          traj_solution_t *sol, mwx_err_t *err);

#endif
