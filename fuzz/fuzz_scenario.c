/* libFuzzer target: bytes -> the scenario loader. The schema check runs on every input;
 * the full load (which solves each launch's trajectory) only when the input declares at
 * most two launches, so that one input never costs more than a few trajectory solves. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mwx/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mwx_scenario_t sc; /* large: keep it off the stack */
    mwx_err_t err = {0, ""};
    int rc = mwx_scenario_parse((const char *)data, size, "fuzz.json", NULL, MWX_SCENARIO_NO_TRAJ,
                                &sc, &err);
    if (rc == 0) {
        int n = sc.n_launches;
        if (!sc.json || err.msg[0])
            abort(); /* success must leave the text and no message */
        mwx_scenario_free(&sc);
        if (n <= 2 &&
            mwx_scenario_load_string((const char *)data, size, "fuzz.json", NULL, &sc, &err) == 0)
            mwx_scenario_free(&sc);
    } else if (!err.msg[0]) {
        abort(); /* every failure says why */
    }
    return 0;
}
