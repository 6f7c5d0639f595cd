/* What a fused-track update costs as a node ages (issue 17, docs/BENCHMARKS.md "Soak"):
 * ended fused tracks stay in the fusion table until it is full (a partner's track that
 * reports again relinks; a new one may carry on an ended one for RELINK_S), so a node
 * that has run for days updates its live tracks beside ~1,000 ended ones. The week soak
 * saw a node's CPU per scenario second grow with its age, and perf put the growth in
 * mwx_fusion_update's scans of the whole table.
 *
 * Method: the same live traffic (LIVE objects, each reported by JP and KR at 1 Hz,
 * UPDATES reports in all) into a fresh table (the baseline) and into one first filled
 * with ENDED fused tracks of earlier objects (spread over the globe and over earlier
 * time, each ended by mwx_fusion_expire), the node's capacity (1,024). CPU time per
 * report, median of ROUNDS alternated rounds; the ratio aged / fresh is the figure.
 * Usage: fusion_table [ended] [updates]. */
#define _POSIX_C_SOURCE 200809L
#include "mwx/core.h"
#include "mwx/node.h"

#include "bench_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS   5
#define LIVE     8
#define CAPACITY 1024

/* Object k's report by node at time t: a body at 300 km, 3 km/s east, at a place of its
 * own (a golden-angle spiral over the globe: no two objects within any gate). */
static mwx_rec_track_t report(const char *node, int k, double t, double t0)
{
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_rec_track_t r;
    double z = 1.0 - 2.0 * ((k % 4096) + 0.5) / 4096.0;
    mwx_geo_t g = {asin(z), fmod(k * 2.399963229728653, 2 * MWX_PI) - MWX_PI, 300e3};
    memset(&r, 0, sizeof r);
    r.t = t;
    snprintf(r.node, sizeof r.node, "%s", node);
    snprintf(r.track_id, sizeof r.track_id, "%s-%d", node, k + 1);
    mwx_geo_to_ecef(&e, &g, r.ecef_m);
    double east[3] = {-sin(g.lon), cos(g.lon), 0.0};
    for (int i = 0; i < 3; i++) {
        r.vel_mps[i] = 3000.0 * east[i];
        r.ecef_m[i] += r.vel_mps[i] * (t - t0);
    }
    r.cov_pos_m2[0] = r.cov_pos_m2[3] = r.cov_pos_m2[5] = 200.0 * 200.0;
    r.cov_vel_m2s2[0] = r.cov_vel_m2s2[3] = r.cov_vel_m2s2[5] = 20.0 * 20.0;
    r.phase = MWX_PHASE_BALLISTIC;
    r.confirmed = 1;
    return r;
}

static mwx_fusion_t *make(void)
{
    mwx_fusion_cfg_t c;
    mwx_fusion_t *f = NULL;
    mwx_err_t err = {0};
    memset(&c, 0, sizeof c);
    snprintf(c.node, sizeof c.node, "US");
    c.capacity = CAPACITY;
    if (mwx_fusion_create(&c, &f, &err) != MWX_OK) {
        fprintf(stderr, "fusion_table: %s\n", err.msg);
        exit(1);
    }
    return f;
}

/* ended objects, each reported 10 s by JP and KR, 120 s apart, then ended */
static double fill(mwx_fusion_t *f, int ended)
{
    mwx_rec_track_t out;
    double t = 0.0;
    for (int k = 0; k < ended; k++, t += 120.0) {
        for (int s = 0; s < 10; s++) {
            mwx_rec_track_t a = report("JP", LIVE + k, t + s, t),
                            b = report("KR", LIVE + k, t + s, t);
            if (mwx_fusion_update(f, &a, &out, NULL) != MWX_OK ||
                mwx_fusion_update(f, &b, &out, NULL) != MWX_OK) {
                fprintf(stderr, "fusion_table: filling refused at object %d\n", k);
                exit(1);
            }
        }
        while (mwx_fusion_expire(f, t + 100.0) > 0)
            ;
    }
    return t;
}

/* CPU us per report of the live traffic from t0 on */
static double live(mwx_fusion_t *f, double t0, int updates)
{
    mwx_rec_track_t out;
    int n = 0;
    double c0 = bench_process_cpu_s();
    for (double t = t0; n < updates; t += 1.0) {
        for (int k = 0; k < LIVE && n < updates; k++) {
            mwx_rec_track_t a = report("JP", k, t, t0), b = report("KR", k, t + 0.5, t0);
            if (mwx_fusion_update(f, &a, &out, NULL) != MWX_OK ||
                mwx_fusion_update(f, &b, &out, NULL) != MWX_OK) {
                fprintf(stderr, "fusion_table: live report refused\n");
                exit(1);
            }
            n += 2;
        }
        (void)mwx_fusion_expire(f, t);
    }
    return (bench_process_cpu_s() - c0) / n * 1e6;
}

int main(int argc, char **argv)
{
    int ended = argc > 1 ? atoi(argv[1]) : CAPACITY - 2 * LIVE;
    int updates = argc > 2 ? atoi(argv[2]) : 40000;
    double fresh[ROUNDS], aged[ROUNDS];
    if (ended < 0 || ended > CAPACITY - LIVE || updates < 2) {
        fprintf(stderr, "usage: fusion_table [ended 0..%d] [updates >= 2]\n", CAPACITY - LIVE);
        return 2;
    }
    for (int r = 0; r < ROUNDS; r++) {
        mwx_fusion_t *f = make();
        fresh[r] = live(f, 0.0, updates);
        mwx_fusion_destroy(f);
        f = make();
        double t0 = fill(f, ended);
        size_t n_ended = mwx_fusion_count(f);
        aged[r] = live(f, t0, updates);
        if (r == 0)
            printf("fusion_table: %zu ended fused tracks in a table of %d, %d live objects, %d "
                   "reports a round\n",
                   n_ended, CAPACITY, LIVE, updates);
        mwx_fusion_destroy(f);
    }
    qsort(fresh, ROUNDS, sizeof fresh[0], bench_cmp_double);
    qsort(aged, ROUNDS, sizeof aged[0], bench_cmp_double);
    printf("CPU per report, median of %d rounds: fresh table %.2f us, aged table %.2f us: "
           "aged / fresh %.2f\n",
           ROUNDS, fresh[ROUNDS / 2], aged[ROUNDS / 2], aged[ROUNDS / 2] / fresh[ROUNDS / 2]);
    return 0;
}
