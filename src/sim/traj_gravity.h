/* Gravity for trajectories (internal to src/sim): point mass, plus the J2 zonal term.
 * Valid in any frame whose z axis is the Earth's rotation axis (ECEF, or the inertial
 * frame the trajectories are integrated in), since J2 is symmetric about that axis. */
#ifndef MWX_TRAJ_GRAVITY_H
#define MWX_TRAJ_GRAVITY_H

#include "mwx/core.h"

/* Acceleration (m/s^2) at r (m). j2 = 0 gives the point mass only. */
void mwxi_traj_gravity(double gm, double a_eq, double j2, const double r[3], double acc[3]);

#endif
