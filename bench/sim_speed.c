/* Simulation speed: scenarios/default.json end to end (load with trajectory solving,
 * then the run), into a sink that only counts and into a real .mwxr recording.
 * Figures: multiple of real time (scenario duration / wall time; goal >= 1000x) and
 * measurement records per second. The counting sink is the baseline for the
 * recording's cost. Usage: sim_speed [SCENARIO.json] [REPEATS] */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mwx/sim.h"

static int count_sink(void *ctx, const mwx_record_t *rec)
{
    (*(uint64_t *)ctx)++;
    return 0;
}

static int rec_sink(void *ctx, const mwx_record_t *rec)
{
    return mwx_recwriter_append(ctx, rec, NULL);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : MWX_SOURCE_DIR "/scenarios/default.json";
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    mwx_scenario_t *sc = malloc(sizeof *sc);
    mwx_err_t err = {0, ""};
    mwx_sim_stats_t st;
    double t0, t_load, t_count = 1e300, t_rec = 1e300;
    char out[256];
    uint64_t n = 0;

    if (!sc || reps < 1)
        return 2;
    t0 = mwx_time_mono();
    if (mwx_scenario_load(path, sc, &err)) {
        fprintf(stderr, "sim_speed: %s\n", err.msg);
        return 1;
    }
    t_load = mwx_time_mono() - t0;
    for (int r = 0; r < reps; r++) {
        double t1 = mwx_time_mono();
        n = 0;
        if (mwx_sim_run_stats(sc, NULL, count_sink, &n, &st, &err)) {
            fprintf(stderr, "sim_speed: %s\n", err.msg);
            return 1;
        }
        t1 = mwx_time_mono() - t1;
        if (t1 < t_count)
            t_count = t1;
    }
    snprintf(out, sizeof out, "/tmp/mwx-sim-speed-%ld.mwxr", (long)getpid());
    for (int r = 0; r < reps; r++) {
        mwx_recwriter_t *w;
        double t1 = mwx_time_mono();
        if (mwx_recwriter_open(out, MWX_REC_ATOMIC, &w, &err) ||
            mwx_sim_run(sc, NULL, rec_sink, w, &err) || mwx_recwriter_close(w, &err)) {
            fprintf(stderr, "sim_speed: %s\n", err.msg);
            return 3;
        }
        t1 = mwx_time_mono() - t1;
        if (t1 < t_rec)
            t_rec = t1;
    }
    unlink(out);
    printf("method: %s (%.0f s of scenario, %d sensors, %d launches), best of %d runs;\n"
           "        load = parse + solve every trajectory; run = truth every 1 s + all scans\n",
           path, sc->duration_s, sc->n_sensors, sc->n_launches, reps);
    printf("records: %llu (%llu truth, %llu meas of which %llu false alarms), %llu scans\n",
           (unsigned long long)n, (unsigned long long)st.n_truth, (unsigned long long)st.n_meas,
           (unsigned long long)st.n_false_alarms, (unsigned long long)st.n_scans);
    printf("load:                 %8.3f s\n", t_load);
    printf("run, counting sink:   %8.3f s  %9.0fx real time  %10.0f meas/s\n", t_count,
           sc->duration_s / t_count, st.n_meas / t_count);
    printf("run, .mwxr recording: %8.3f s  %9.0fx real time  %10.0f meas/s  (%.2fx the "
           "counting sink's time)\n",
           t_rec, sc->duration_s / t_rec, st.n_meas / t_rec, t_rec / t_count);
    printf("end to end (load + recording): %.0fx real time\n", sc->duration_s / (t_load + t_rec));
    mwx_scenario_free(sc);
    free(sc);
    return 0;
}
