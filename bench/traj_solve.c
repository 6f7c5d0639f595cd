/* Trajectory solving speed (`make bench` runs it as build/bench/mwxi_traj_solve; figures go
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
        /* the threat classes (issue 11) */
        make_launch("quasi-50", 39.0, 125.4, 36.0, 127.3, MWX_PROFILE_DEPRESSED, 50, 60),
        make_launch("quasi-45-weave", 39.8, 127.6, 37.2, 131.0, MWX_PROFILE_DEPRESSED, 45, 60),
        make_launch("glide-750km", 40.0, 127.5, 38.5, 136.0, MWX_PROFILE_GLIDE, 60, 120),
        make_launch("glide-xr120", 39.2, 125.67, 39.0, 138.5, MWX_PROFILE_GLIDE, 60, 100),
        make_launch("glide-3900km", 39.0, 125.7, 20.0, 160.0, MWX_PROFILE_GLIDE, 100, 120),
        make_launch("space-3stage", 39.66, 124.7, 39.66, 124.7, MWX_PROFILE_SPACE_LAUNCH, 0, 0),
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    for (int k = 0; k < n; k++) {
        mwx_launch_t *l = &cases[k];
        if (l->profile == MWX_PROFILE_GLIDE) {
            l->glide_alt_m = (k == n - 2 ? 50.0 : 40.0) * 1e3;
            l->lift_to_drag = 3.0;
            l->has_crossrange = l->id[6] == 'x';
            l->crossrange_m = l->has_crossrange ? 120e3 : 0.0;
        } else if (l->profile == MWX_PROFILE_SPACE_LAUNCH) {
            l->azimuth = 175.0 * MWX_DEG;
            l->orbit_alt_m = 500e3;
            l->n_stages = 3;
            l->stage_burn_s[0] = 130;
            l->stage_burn_s[1] = 180;
            l->stage_burn_s[2] = 300;
            l->burn_time_s = 610;
        } else if (l->id[6] == '4') {
            l->terminal_g = 5.0;
        }
    }
    double base = 0.0;
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
            mwxi_traj_get_details(tr, &d);
            mwx_traj_destroy(tr);
        }
        qsort(t, (size_t)reps, sizeof *t, cmp);
        total += t[reps / 2];
        if (k == 0)
            base = t[reps / 2];
        /* ratio: median over the first case's (a 400 km ballistic flight), same run */
        printf("  %-16s %6.2f / %6.2f ms  x%5.1f  flights %3d  steps %4zu  miss %.2f m\n",
               cases[k].id, t[0] * 1e3, t[reps / 2] * 1e3, t[reps / 2] / base, d.n_evals, d.n_seg,
               d.miss_m);
        free(t);
    }
    printf("  all %d (medians): %.1f ms (x = median / the first case's median)\n", n, total * 1e3);

    /* state queries */
    {
        mwx_traj_t *tr = NULL;
        mwx_traj_info_t in;
        double p[3], v[3];
        volatile double sink = 0.0;
        mwx_phase_t phase;
        long calls = 0;
        (void)mwx_traj_create(&ph, &cases[1], TEST_EPOCH, &tr, NULL);
        mwx_traj_get_info(tr, &in);
        double t0 = mwx_time_mono();
        for (int r = 0; r < 200; r++)
            for (double t = in.t_launch; t < in.t_impact; t += 0.9973) {
                (void)mwx_traj_state(tr, t, p, v, &phase);
                sink = sink + p[0];
                calls++;
            }
        double dt = mwx_time_mono() - t0;
        printf("mwx_traj_state: %.0f ns per call (%ld calls)\n", dt / calls * 1e9, calls);
        printf("solve + 1 s truth for the %.0f s flight: %.0fx real time\n",
               in.t_impact - in.t_launch, (in.t_impact - in.t_launch) / (total / n + dt / 200));
        mwx_traj_destroy(tr);
    }
    return 0;
}
