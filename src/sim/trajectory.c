/* Launch trajectories (placeholder until the simulator issue lands). */
#include "mwx/sim.h"

int mwx_traj_create(const mwx_physics_t *ph, const mwx_launch_t *l, double epoch_unix,
                    mwx_traj_t **out, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "trajectories not built yet");
}
void mwx_traj_destroy(mwx_traj_t *tr) {}
int mwx_traj_state(const mwx_traj_t *tr, double t, double ecef[3], double vel[3],
                   mwx_phase_t *phase)
{
    return MWX_EUNSUPPORTED;
}
void mwx_traj_get_info(const mwx_traj_t *tr, mwx_traj_info_t *info) {}
