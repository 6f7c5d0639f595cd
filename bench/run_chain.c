/* The whole chain (mwx_run) on scenarios/default.json: every nation's node tracking,
 * sharing signed tracks on the inproc bus, fusing and warning, with the recording and
 * the Report written. Reports wall and CPU time and the multiple of real time, for the
 * shared pass alone and with the second pass (each nation alone) that makes the
 * sharing-benefit table. No baseline applies: the comparison is real time. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "mwx/node.h"

#include <ftw.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
    const char *scenario = argc > 1 ? argv[1] : MWX_SOURCE_DIR "/scenarios/default.json";
    char out[] = "/tmp/mwx-bench-run-XXXXXX";
    mwx_scenario_t *sc = calloc(1, sizeof *sc);
    mwx_err_t err = {0};
    double duration;

    if (!sc || !mkdtemp(out))
        return 3;
    if (mwx_scenario_load(scenario, sc, &err) != MWX_OK) {
        fprintf(stderr, "run_chain: %s\n", err.msg);
        return 1;
    }
    duration = sc->duration_s;
    mwx_scenario_free(sc);
    free(sc);
    printf("run_chain: mwx_run on %s (%.0f s of scenario)\n", scenario, duration);
    for (int compare = 0; compare < 2; compare++) {
        mwx_run_opts_t o = {0};
        mwx_run_result_t res;
        double w0 = mwx_time_mono(), c0 = cpu_s(), wall, cpu;
        o.scenario_path = scenario;
        o.out_dir = out;
        o.compare_alone = compare;
        if (mwx_run(&o, &res, &err) != MWX_OK) {
            fprintf(stderr, "run_chain: %s\n", err.msg);
            return 1;
        }
        wall = mwx_time_mono() - w0;
        cpu = cpu_s() - c0;
        printf("  %-34s %7zu records  wall %6.2f s  cpu %6.2f s  %6.0fx real time\n",
               compare ? "shared pass + each nation alone" : "shared pass only (--no-compare)",
               res.n_records, wall, cpu, duration / wall);
        mwx_run_result_free(&res);
    }
    nftw(out, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
