/* The simulation run (placeholder until the simulator issue lands). */
#include "mwx/sim.h"

int mwx_sim_run(const mwx_scenario_t *sc, const mwx_sim_opts_t *opts, mwx_sim_sink_fn sink,
                void *ctx, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "simulation not built yet");
}
