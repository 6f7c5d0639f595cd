/* Internals of a solved mwx_traj_t, for tests, benchmarks and diagnostics. */
#ifndef MWX_TRAJ_TRAJECTORY_H
#define MWX_TRAJ_TRAJECTORY_H

#include "mwx/sim.h"
#include "sim/traj_flight.h"

typedef struct traj_details {
    traj_prog_t prog;     /* the solved boost programme */
    double miss_m;        /* impact to aim (full physics) */
    double thrust_weight; /* lift-off thrust / weight */
    double kepler_min_energy_apogee_m;
    int n_evals;               /* flights integrated by the solver */
    size_t n_seg, n_boost_seg; /* integrator steps stored (dense output) */
    const traj_cfg_t *cfg;     /* valid while the trajectory lives */
    const traj_flight_t *flight;
} traj_details_t;

void mwxi_traj_get_details(const mwx_traj_t *tr, traj_details_t *d);

#endif
