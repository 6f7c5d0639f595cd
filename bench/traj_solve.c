/* Trajectory solving speed (`make bench` runs it as build/bench/traj_solve; figures go
 * to docs/TRAJECTORIES.md). For each case: median wall time of mwx_traj_create over
 * repetitions, flights integrated by the solver, steps stored; then the cost of one
 * mwx_traj_state call, and a simulated 1 s truth stream's speed-up over real time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mwx/sim.h"
#include "sim/traj_trajectory.h"
#include "trajectory/traj_test_util.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 15;
    mwx_physics_t ph = phys_full();
    mwx_launch_t cases[] = {
        make_launch("SRBM-400km-ME", 39.0, 125.7, 37.0, 129.5, MWX_PROFILE_MINIMUM_ENERGY, 0, 60),
        make_launch("L1-lofted-1000", 39.0, 125.7, 40.5, 135.5, MWX_PROFILE_LOFTED, 1000, 120),
        make_launch("japan-1900km-ME", 39.0, 125.7, 41.0, 148.0, MWX_PROFILE_MINIMUM_ENERGY, 0,
                    120),
        make_launch("depressed-100", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_DEPRESSED, 100, 120),
        make_launch("lofted-6000", 39.0, 125.7, 40.0, 140.0, MWX_PROFILE_LOFTED, 6000, 180),
        make_launch("icbm-8900km-ME", 40.0, 127.0, 38.0, -122.0, MWX_PROFILE_MINIMUM_ENERGY, 0,
                    180),
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    double total = 0.0;
    if (reps < 1 || reps > 1000)
        reps = 15;
    printf("mwx_traj_create, WGS-84 + rotation + J2 + drag: min and median of %d\n", reps);
    for (int k = 0; k < n; k++) {
        double *t = calloc((size_t)reps, sizeof *t);
        traj_details_t d = {0};
        for (int r = 0; r < reps; r++) {
            mwx_traj_t *tr = NULL;
            double t0 = mwx_time_mono();
            if (mwx_traj_create(&ph, &cases[k], TEST_EPOCH, &tr, NULL)) {
                printf("%s: failed\n", cases[k].id);
                return 1;
            }
            t[r] = mwx_time_mono() - t0;
            traj_get_details(tr, &d);
            mwx_traj_destroy(tr);
        }
        qsort(t, (size_t)reps, sizeof *t, cmp);
        total += t[reps / 2];
        printf("  %-16s %6.2f / %6.2f ms  flights %3d  steps %4zu  miss %.2f m\n",
               cases[k].id, t[0] * 1e3, t[reps / 2] * 1e3, d.n_evals, d.n_seg, d.miss_m);
        free(t);
    }
    printf("  all %d (medians): %.1f ms\n", n, total * 1e3);

    /* state queries */
    {
        mwx_traj_t *tr = NULL;
        mwx_traj_info_t in;
        double p[3], v[3];
        volatile double sink = 0.0;
        mwx_phase_t phase;
        long calls = 0;
        mwx_traj_create(&ph, &cases[1], TEST_EPOCH, &tr, NULL);
        mwx_traj_get_info(tr, &in);
        double t0 = mwx_time_mono();
        for (int r = 0; r < 200; r++)
            for (double t = in.t_launch; t < in.t_impact; t += 0.9973) {
                mwx_traj_state(tr, t, p, v, &phase);
                sink = sink + p[0];
                calls++;
            }
        double dt = mwx_time_mono() - t0;
        printf("mwx_traj_state: %.0f ns per call (%ld calls)\n", dt / calls * 1e9, calls);
        printf("solve + 1 s truth for the %.0f s flight: %.0fx real time\n",
               in.t_impact - in.t_launch,
               (in.t_impact - in.t_launch) / (total / n + dt / 200));
        mwx_traj_destroy(tr);
    }
    return 0;
}
