/* mwx sim SCENARIO.json -o RUN.mwxr [--seed N]: truth and sensor measurements into a
 * recording, written atomically (RUN.mwxr.tmp renamed into place on success). */
#include "cli.h"
#include "mwx/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: mwx sim SCENARIO.json -o RUN.mwxr [--seed N] [--truth-dt S]\n"
           "\n"
           "Simulate the scenario's launches and sensors; write the scenario record, truth\n"
           "and measurements, in time order, to the recording RUN.mwxr (written as\n"
           "RUN.mwxr.tmp and renamed only on success).\n"
           "\n"
           "options:\n"
           "  -o, --output FILE  the recording to write (required)\n"
           "  --seed N           random seed (0 .. 2^64-1), overrides the scenario's\n"
           "  --truth-dt S       truth record interval in seconds (default 1; burnout and\n"
           "                     impact are always recorded)\n"
           "  -h, --help         this help\n"
           "\n"
           "scenario defaults (keys not given; see docs/SCENARIOS.md):\n"
           "  name                file name without extension\n"
           "  status              \"%s\"  (\"Actual\" is refused: simulated data)\n"
           "  seed                %d\n"
           "  physics             {\"earth\": \"wgs84\", \"rotation\": true, \"j2\": true,\n"
           "                      \"drag\": true}  (j2 false with \"spherical\")\n"
           "  sharing             []  (nothing shared)\n"
           "  regions             DATA/regions/northeast-asia.geojson, DATA = $MWX_DATA_DIR,\n"
           "                      else share/mwx or data beside or above the mwx binary\n"
           "  sensors, launches   []\n"
           "  sensor revisit_s    %g\n"
           "  radar pd            %g       ir_satellite pd  %g\n"
           "  radar alt_m 0, max_range_km %g, min_elevation_deg %g, sigma_range_m %g,\n"
           "        sigma_az_deg %g, sigma_el_deg %g, false_alarms_per_scan %g\n"
           "  ir_satellite sigma_los_urad %g\n"
           "  launch profile \"minimum_energy\", burn_time_s %g,\n"
           "        ballistic_coefficient_kg_m2 %g\n"
           "required: epoch, duration_s, nations; per sensor id, nation, kind, lon (radar:\n"
           "lat too); per launch id, t_launch_s, site, aim (lofted/depressed: apogee_km).\n"
           "\n"
           "exit status: 0 ok, 1 the scenario is wrong (the message names the file and JSON\n"
           "path), 2 usage, 3 environment (cannot write, out of memory)\n",
           MWX_SCN_DEFAULT_STATUS, MWX_SCN_DEFAULT_SEED, MWX_SCN_DEFAULT_REVISIT_S,
           MWX_SCN_DEFAULT_RADAR_PD, MWX_SCN_DEFAULT_IR_PD, MWX_SCN_DEFAULT_MAX_RANGE_KM,
           MWX_SCN_DEFAULT_MIN_ELEVATION_DEG, MWX_SCN_DEFAULT_SIGMA_RANGE_M,
           MWX_SCN_DEFAULT_SIGMA_ANGLE_DEG, MWX_SCN_DEFAULT_SIGMA_ANGLE_DEG,
           MWX_SCN_DEFAULT_FALSE_ALARMS, MWX_SCN_DEFAULT_SIGMA_LOS_URAD,
           MWX_SCN_DEFAULT_BURN_TIME_S, MWX_SCN_DEFAULT_BETA_KG_M2);
}

typedef struct sink_ctx {
    mwx_recwriter_t *w;
    mwx_err_t err;
} sink_ctx_t;

static int to_recording(void *ctx, const mwx_record_t *rec)
{
    sink_ctx_t *c = ctx;
    return mwx_recwriter_append(c->w, rec, &c->err);
}

int mwx_cmd_sim(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    mwx_sim_opts_t opts = {0, 0, 0};
    mwx_scenario_t *sc;
    sink_ctx_t ctx = {NULL, {0, ""}};
    mwx_err_t err = {0, ""};
    int rc;

    if (mwx_cli_wants_help(argc, argv)) {
        help();
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("sim", "%s needs a file name", a);
            out = argv[i];
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            if (++i >= argc)
                return mwx_cli_usage_error("sim", "--seed needs a number");
            errno = 0;
            opts.seed = strtoull(argv[i], &end, 10);
            if (errno || end == argv[i] || *end || argv[i][0] == '-')
                return mwx_cli_usage_error("sim",
                                           "--seed: expected an integer in [0, 2^64-1], "
                                           "got \"%s\"",
                                           argv[i]);
            opts.has_seed = 1;
        } else if (strcmp(a, "--truth-dt") == 0) {
            char *end;
            if (++i >= argc)
                return mwx_cli_usage_error("sim", "--truth-dt needs a number of seconds");
            opts.truth_dt_s = strtod(argv[i], &end);
            if (end == argv[i] || *end || !(opts.truth_dt_s >= 0.01 && opts.truth_dt_s <= 3600))
                return mwx_cli_usage_error("sim",
                                           "--truth-dt: expected seconds in [0.01, "
                                           "3600], got \"%s\"",
                                           argv[i]);
        } else if (a[0] == '-' && a[1]) {
            return mwx_cli_usage_error("sim", "unknown option %s", a);
        } else if (!in) {
            in = a;
        } else {
            return mwx_cli_usage_error("sim", "one scenario only (got %s and %s)", in, a);
        }
    }
    if (!in)
        return mwx_cli_usage_error("sim", "missing SCENARIO.json");
    if (!out)
        return mwx_cli_usage_error("sim", "missing -o RUN.mwxr");

    sc = malloc(sizeof *sc);
    if (!sc) {
        mwx_err_set(&err, MWX_ENOMEM, "out of memory");
        return mwx_cli_fail("sim", &err);
    }
    if ((rc = mwx_scenario_load(in, sc, &err))) {
        free(sc);
        return mwx_cli_fail("sim", &err);
    }
    if ((rc = mwx_recwriter_open(out, MWX_REC_ATOMIC, &ctx.w, &err))) {
        mwx_scenario_free(sc);
        free(sc);
        return mwx_cli_fail("sim", &err);
    }
    rc = mwx_sim_run(sc, &opts, to_recording, &ctx, &err);
    if (rc) {
        mwx_recwriter_abort(ctx.w);
        mwx_scenario_free(sc);
        free(sc);
        /* A failure of the writer carries its own message. */
        return mwx_cli_fail("sim", ctx.err.code ? &ctx.err : &err);
    }
    rc = mwx_recwriter_close(ctx.w, &err);
    mwx_scenario_free(sc);
    free(sc);
    if (rc)
        return mwx_cli_fail("sim", &err);
    return 0;
}
