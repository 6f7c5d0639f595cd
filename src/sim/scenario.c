/* Scenario loader (placeholder until the simulator issue lands). */
#include "mwx/sim.h"

int mwx_scenario_load(const char *path, mwx_scenario_t *sc, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "%s: scenarios not built yet", path);
}
int mwx_scenario_load_string(const char *text, size_t len, const char *name,
                             const char *base_dir, mwx_scenario_t *sc, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "scenarios not built yet");
}
void mwx_scenario_free(mwx_scenario_t *sc) {}
