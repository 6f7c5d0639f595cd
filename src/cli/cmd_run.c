/* mwx run SCENARIO.json --out DIR: the whole chain in one process. */
#include "cli.h"
#include "mwx/node.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mwx run SCENARIO.json --out DIR [--seed N] [--speed X] [--no-compare]\n"
               "\n"
               "Runs the whole chain in one process: the simulator feeds each nation's node its\n"
               "own sensors; nodes track, share signed tracks on the embedded bus under the\n"
               "scenario's sharing policy, fuse and warn. Writes DIR/run.mwxr (every record),\n"
               "DIR/report.json (the Report and the sharing-benefit table), DIR/alerts/*.cap.xml\n"
               "(CAP 1.2 warnings, signed), DIR/alerts/*.cot.xml (Cursor-on-Target), DIR/alerts/\n"
               "latest.geojson and alerts.atom. Deterministic for a seed.\n"
               "\n"
               "  --out DIR      output directory (created)\n"
               "  --seed N       override the scenario's seed\n"
               "  --speed X      pace the run at X scenario seconds per wall second (default: as\n"
               "                 fast as possible)\n"
               "  --cap-keys DIR sign each nation's CAP files with DIR/NATION-cap.key and its\n"
               "                 certificate DIR/NATION-cap.pem (mwx keygen NATION --cap -o DIR);\n"
               "                 without it a demo CA and keys are made in DIR/pki/ (labelled\n"
               "                 DEMO: they prove integrity only, not an authority)\n"
               "  --no-compare   skip the second pass that runs each nation alone (no\n"
               "                 sharing-benefit table)\n"
               "  --quiet        no progress line\n");
}

int mwx_cmd_run(int argc, char **argv)
{
    mwx_run_opts_t o;
    mwx_run_result_t res;
    mwx_err_t err = {0};
    int rc, quiet = 0;

    memset(&o, 0, sizeof o);
    o.compare_alone = 1;
    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--out") == 0 || strcmp(a, "-o") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("run", "--out needs a directory");
            o.out_dir = argv[i];
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            if (++i >= argc)
                return mwx_cli_usage_error("run", "--seed needs a number");
            errno = 0;
            o.seed = strtoull(argv[i], &end, 10);
            if (errno || *end || argv[i][0] == '-' || !argv[i][0])
                return mwx_cli_usage_error(
                    "run", "--seed: expected a non-negative integer, got '%s'", argv[i]);
            o.has_seed = 1;
        } else if (strcmp(a, "--speed") == 0) {
            char *end;
            if (++i >= argc)
                return mwx_cli_usage_error("run", "--speed needs a number");
            o.speed = strtod(argv[i], &end);
            if (*end || !(o.speed > 0))
                return mwx_cli_usage_error("run", "--speed: expected a positive number, got '%s'",
                                           argv[i]);
        } else if (strcmp(a, "--cap-keys") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("run", "--cap-keys needs a folder");
            o.cap_keys = argv[i];
        } else if (strcmp(a, "--no-compare") == 0) {
            o.compare_alone = 0;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return mwx_cli_usage_error("run", "unknown option '%s'", a);
        } else if (!o.scenario_path) {
            o.scenario_path = a;
        } else {
            return mwx_cli_usage_error("run", "unexpected argument '%s'", a);
        }
    }
    if (!o.scenario_path)
        return mwx_cli_usage_error("run", "missing SCENARIO.json");
    if (!o.out_dir)
        return mwx_cli_usage_error("run", "missing --out DIR");
    o.progress = !quiet && isatty(STDERR_FILENO);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    o.stop = &stop_flag;

    rc = mwx_run(&o, &res, &err);
    if (rc != MWX_OK)
        return mwx_cli_fail("run", &err);
    printf("mwx run: %zu records, %zu public warnings in %.1f s -> %s/\n", res.n_records,
           res.n_alerts, res.wall_s, o.out_dir);
    if (!o.cap_keys)
        printf("mwx run: CAP files signed with a DEMO key made for this run; check them with\n"
               "  mwx verify-cap %s/alerts/*.cap.xml --ca %s/pki/demo-ca.pem\n",
               o.out_dir, o.out_dir);
    mwx_run_print_benefit(&res, stdout);
    mwx_run_result_free(&res);
    return stop_flag ? 130 : 0;
}
